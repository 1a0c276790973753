// The playback model on records built with real ChangeSets.
import { describe, it, expect } from "vitest";
import { ChangeSet, Text } from "@codemirror/state";
import { Playback, PlayClock, mapSpans, loadRecord, BURST_GAP_MS, type HistoryPage, type PadRecord } from "./model";
import type { HistoryUpdate, RunRecord } from "./record";

const T0 = 1764900000000;

// A record being written: each edit is made against the text so far.
class Writer {
  doc = Text.empty;
  updates: HistoryUpdate[] = [];
  edit(t: number, a: string, from: number, to: number, insert: string): this {
    const c = ChangeSet.of({ from, to, insert }, this.doc.length);
    this.doc = c.apply(this.doc);
    this.updates.push({ clientID: `c-${a}`, changes: c.toJSON(), t, a });
    return this;
  }
  type(t: number, a: string, at: number, text: string): this {
    return this.edit(t, a, at, at, text);
  }
}

const join = (t: number, id: string, name: string, color: string) => ({
  type: "join",
  t,
  id,
  name,
  color,
  role: "candidate",
});

function spansOf(p: Playback, t: number) {
  return p.seek(t).spans.map((s) => [s.from, s.to, s.author.name]);
}

describe("Playback.seek", () => {
  const w = new Writer()
    .type(T0 + 1000, "p1", 0, "hello") // v1
    .type(T0 + 2000, "p2", 5, " world") // v2: "hello world"
    .edit(T0 + 3000, "p2", 0, 1, "J") // v3: "Jello world"
    .edit(T0 + 4000, "p1", 3, 8, "") // v4: "Jelrld"
    .type(T0 + 4000, "p1", 6, "!"); // v5, same ms as v4: "Jelrld!"
  const record: PadRecord = {
    created_ms: T0,
    updates: w.updates,
    events: [join(T0 + 10, "p1", "Ada", "#e06c75"), join(T0 + 1500, "p2", "Alan", "#61afef")],
    runs: [],
  };
  const p = new Playback(record, { checkpointEvery: 2 });

  it("before the first update: version 0, no text", () => {
    const m = p.seek(T0 + 999);
    expect([m.version, m.text, m.spans]).toEqual([0, "", []]);
    expect(p.seek(T0 - 5000).version).toBe(0);
  });

  it("at an update's time it is applied; between updates the earlier holds", () => {
    expect([p.seek(T0 + 1000).version, p.seek(T0 + 1000).text]).toEqual([1, "hello"]);
    expect([p.seek(T0 + 1999).version, p.seek(T0 + 1999).text]).toEqual([1, "hello"]);
    expect([p.seek(T0 + 2000).version, p.seek(T0 + 2000).text]).toEqual([2, "hello world"]);
    expect(p.seek(T0 + 3500).text).toBe("Jello world");
    // two updates of one ms: both
    expect([p.seek(T0 + 4000).version, p.seek(T0 + 4000).text]).toEqual([5, "Jelrld!"]);
  });

  it("after the last update: the head", () => {
    const m = p.seek(T0 + 1e9);
    expect([m.version, m.text]).toEqual([5, "Jelrld!"]);
    expect(p.finalDoc.toString()).toBe("Jelrld!");
  });

  it("seekVersion gives each version and its time", () => {
    expect([0, 1, 2, 3, 4, 5].map((v) => p.seekVersion(v).text)).toEqual([
      "",
      "hello",
      "hello world",
      "Jello world",
      "Jelrld",
      "Jelrld!",
    ]);
    expect(p.seekVersion(3).time).toBe(T0 + 3000);
    expect(p.seekVersion(0).time).toBe(T0);
    expect(p.seekVersion(99).version).toBe(5);
  });

  it("authorship follows inserts and deletes of two authors", () => {
    expect(spansOf(p, T0 + 2000)).toEqual([
      [0, 5, "Ada"],
      [5, 11, "Alan"],
    ]);
    // "J" replaces Ada's "h"
    expect(spansOf(p, T0 + 3000)).toEqual([
      [0, 1, "Alan"],
      [1, 5, "Ada"],
      [5, 11, "Alan"],
    ]);
    // Ada deletes "lo wo" (3..8): "Jel" + "rld", then types "!"
    expect(spansOf(p, T0 + 4000)).toEqual([
      [0, 1, "Alan"],
      [1, 3, "Ada"],
      [3, 6, "Alan"],
      [6, 7, "Ada"],
    ]);
    const m = p.seek(T0 + 4000);
    expect(m.authors.map((a) => [a.id, a.name, a.color])).toEqual([
      ["p2", "Alan", "#61afef"],
      ["p1", "Ada", "#e06c75"],
    ]);
  });

  it("who was present", () => {
    expect(p.seek(T0 + 5).present).toEqual([]);
    expect(p.seek(T0 + 1000).present.map((x) => x.name)).toEqual(["Ada"]);
    expect(p.seek(T0 + 1500).present.map((x) => x.name)).toEqual(["Ada", "Alan"]);
  });
});

describe("authors' names and colours", () => {
  it("are those in effect at the update's time; template code is the template's", () => {
    const w = new Writer()
      .type(T0 + 1, "template", 0, "def f():\n")
      .type(T0 + 100, "p1", 9, "  pass")
      .type(T0 + 300, "p1", 15, "\n");
    const record: PadRecord = {
      created_ms: T0,
      updates: w.updates,
      events: [
        join(T0 + 50, "p1", "Ada", "#e06c75"),
        { type: "profile", t: T0 + 200, participant: { id: "p1", name: "Ada L.", color: "#98c379" } },
        { type: "leave", t: T0 + 400, id: "p1" },
      ],
      runs: [],
    };
    const p = new Playback(record);
    const m = p.seek(T0 + 300);
    expect(m.spans.map((s) => [s.from, s.to, s.author.id, s.author.name, s.author.color])).toEqual([
      [0, 9, "template", "template", "#8b949e"],
      [9, 15, "p1", "Ada", "#e06c75"],
      [15, 16, "p1", "Ada L.", "#98c379"],
    ]);
    expect(m.present.map((x) => x.name)).toEqual(["Ada L."]);
    expect(p.seek(T0 + 400).present).toEqual([]);
  });

  it("an author no event names is shown by id", () => {
    const w = new Writer().type(T0 + 1, "p9", 0, "x");
    const p = new Playback({ created_ms: T0, updates: w.updates, events: [], runs: [] });
    expect(p.seek(T0 + 1).spans[0].author).toMatchObject({ id: "p9", name: "p9", color: "#8b949e" });
  });
});

describe("runs, bursts and marks", () => {
  const w = new Writer()
    .type(T0 + 1000, "p1", 0, "print(1)")
    .type(T0 + 1100, "p1", 8, "\n")
    .type(T0 + 20000, "p1", 9, "print(2)")
    .type(T0 + 20050, "p1", 17, "\n");
  const run1: RunRecord = {
    run: 1,
    by: "p1",
    name: "Ada",
    version: 2,
    language: "python",
    active: false,
    verdict: "accepted",
    truncated: false,
    started_ms: T0 + 5000,
    events: [
      { event: "started", run: 1, by: "p1", name: "Ada", version: 2, language: "python", t: T0 + 5000 },
      { event: "stdout", stage: "run", data: "1\n", t: T0 + 5400 },
      { event: "result", result: { verdict: "accepted", compile: null, run: null }, t: T0 + 5500 },
      { event: "end", verdict: "accepted", t: T0 + 5500 },
    ],
  };
  const run2: RunRecord = {
    ...run1,
    run: 2,
    version: 4,
    verdict: "runtime_error",
    started_ms: T0 + 30000,
    events: [
      { event: "started", run: 2, by: "p1", name: "Ada", version: 4, language: "python", t: T0 + 30000 },
      { event: "stderr", stage: "run", data: "boom\n", t: T0 + 30100 },
      { event: "end", verdict: "runtime_error", t: T0 + 30200 },
    ],
  };
  const record: PadRecord = {
    created_ms: T0,
    updates: w.updates,
    events: [
      join(T0 + 10, "p1", "Ada", "#e06c75"),
      {
        type: "control",
        t: T0 + 25000,
        controls: { title: "", locked: true, runs_locked: false, ended: false, playback: false },
        by: "p0",
      },
    ],
    runs: [run2, run1],
  };
  const p = new Playback(record);

  it("the run of a moment, with its events up to then", () => {
    expect(p.seek(T0 + 4999).run).toBeNull();
    const mid = p.seek(T0 + 5450);
    expect(mid.run?.record.run).toBe(1);
    expect(mid.run?.active).toBe(true);
    expect(mid.run?.events.map((e) => e.event)).toEqual(["started", "stdout"]);
    expect(mid.run?.state.output).toBe("1\n");
    expect(mid.run?.state.verdict).toBeNull();
    const after = p.seek(T0 + 6000);
    expect([after.run?.active, after.run?.ended, after.run?.state.verdict]).toEqual([false, T0 + 5500, "accepted"]);
    const late = p.seek(T0 + 31000);
    expect(late.runs.map((r) => r.record.run)).toEqual([1, 2]);
    expect([late.run?.record.run, late.run?.state.output, late.run?.state.verdict]).toEqual([
      2,
      "boom\n",
      "runtime_error",
    ]);
  });

  it("controls of a moment", () => {
    expect(p.seek(T0 + 24999).controls).toBeNull();
    expect(p.seek(T0 + 25000).controls?.locked).toBe(true);
  });

  it("nextRun and nextBurst", () => {
    expect(p.nextRun(T0)).toBe(T0 + 5000);
    expect(p.nextRun(T0 + 5000)).toBe(T0 + 30000);
    expect(p.nextRun(T0 + 30000)).toBeNull();
    expect(BURST_GAP_MS).toBe(5000);
    expect(p.bursts).toEqual([T0 + 1000, T0 + 20000]);
    expect(p.nextBurst(T0)).toBe(T0 + 1000);
    expect(p.nextBurst(T0 + 1000)).toBe(T0 + 20000);
    expect(p.nextBurst(T0 + 20000)).toBeNull();
  });

  it("the end is the last thing that happened; the marks in order", () => {
    expect(p.end).toBe(T0 + 30200);
    expect(p.marks().map((m) => [m.t - T0, m.kind, m.label])).toEqual([
      [1000, "burst", "typing"],
      [5000, "run", "run 1: accepted"],
      [20000, "burst", "typing"],
      [25000, "control", "controls: locked"],
      [30000, "run", "run 2: runtime_error"],
    ]);
  });
});

describe("PlayClock", () => {
  it("moves at its speed and stops at the end", () => {
    const c = new PlayClock(0, 10000);
    c.play(100);
    expect(c.tick(600)).toBe(500);
    c.setSpeed(16, 600);
    expect(c.tick(700)).toBe(2100);
    c.pause(800);
    expect(c.time).toBe(3700);
    expect(c.tick(5000)).toBe(3700);
    c.play(5000);
    c.setSpeed(4, 5000);
    expect(c.tick(10000)).toBe(10000);
    expect(c.playing).toBe(false);
    c.play(10000); // from the start again
    expect(c.tick(10250)).toBe(1000);
  });
});

describe("loadRecord", () => {
  it("reads every page and keeps created_ms, events and runs of the first", async () => {
    const w = new Writer();
    for (let i = 0; i < 5; i++) w.type(T0 + i, "p1", i, "x");
    const asked: number[] = [];
    const page = (from: number): HistoryPage => ({
      type: "history",
      doc: "pad",
      from,
      head: 5,
      updates: w.updates.slice(from, from + 2),
      more: from + 2 < 5,
      ...(from === 0 ? { created_ms: T0 - 7, events: [join(T0, "p1", "Ada", "#e06c75")], runs: [] } : {}),
    });
    const r = await loadRecord((doc, from) => {
      expect(doc).toBe("pad");
      asked.push(from);
      return Promise.resolve(page(from));
    });
    expect(asked).toEqual([0, 2, 4]);
    expect([r.created_ms, r.updates.length, r.events.length]).toEqual([T0 - 7, 5, 1]);
    expect(new Playback(r).finalDoc.toString()).toBe("xxxxx");
  });
});

// A seeded generator (mulberry32).
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomRecord(seed: number, n: number): PadRecord {
  const r = rng(seed);
  const w = new Writer();
  const ids = ["p1", "p2", "p3"];
  const events = ids.map((id, i) => join(T0 + i, id, `N${id}`, `#00000${i}`));
  let t = T0 + 10;
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 3000);
    const a = ids[Math.floor(r() * ids.length)];
    const len = w.doc.length;
    const k = r();
    if (k < 0.6 || len === 0) w.type(t, a, Math.floor(r() * (len + 1)), "abc\n".slice(0, 1 + Math.floor(r() * 4)));
    else if (k < 0.85) {
      const from = Math.floor(r() * len);
      w.edit(t, a, from, Math.min(len, from + 1 + Math.floor(r() * 5)), "");
    } else {
      const from = Math.floor(r() * len);
      w.edit(t, a, from, Math.min(len, from + Math.floor(r() * 4)), "Z");
    }
    if (r() < 0.02) events.push({ ...join(t, a, `N${a}-${i}`, "#123456"), type: "profile" });
  }
  return { created_ms: T0, updates: w.updates, events, runs: [] };
}

describe("checkpoints", () => {
  it("give what replaying from version 0 gives, over random histories and seeks", () => {
    for (let seed = 1; seed <= 12; seed++) {
      const record = randomRecord(seed, 300);
      const from0 = new Playback(record, { checkpointEvery: Infinity, reuseLast: false });
      const r = rng(1000 + seed);
      for (const [k, reuseLast] of [
        [1, true],
        [3, true],
        [7, false],
        [7, true],
        [64, true],
      ] as const) {
        const p = new Playback(record, { checkpointEvery: k, reuseLast });
        for (let i = 0; i < 60; i++) {
          const t = T0 + Math.floor(r() * (p.end - T0 + 2000)) - 1000;
          const a = p.seek(t);
          const b = from0.seek(t);
          expect(a.version).toBe(b.version);
          expect(a.text).toBe(b.text);
          expect(a.spans).toEqual(b.spans);
          // the spans cover the text exactly, no two neighbours of one author
          expect(a.spans.length ? a.spans[a.spans.length - 1].to : 0).toBe(a.text.length);
          for (let j = 1; j < a.spans.length; j++) {
            expect(a.spans[j].from).toBe(a.spans[j - 1].to);
            expect(a.spans[j].author.key).not.toBe(a.spans[j - 1].author.key);
          }
        }
      }
    }
    // 12 histories replayed from 0 at every seek: seconds on a loaded
    // machine, and a property check, not a measure of speed
  }, 60000);

  it("the final text is every update applied", () => {
    const record = randomRecord(99, 500);
    let doc = Text.empty;
    for (const u of record.updates) doc = ChangeSet.fromJSON(u.changes).apply(doc);
    expect(new Playback(record, { checkpointEvery: 16 }).seek(T0 + 1e12).text).toBe(doc.toString());
  });
});

describe("mapSpans", () => {
  it("keeps what is not touched and gives the inserted text its author", () => {
    const s = { lens: [3, 4], who: [0, 1] };
    const c = ChangeSet.of(
      [
        { from: 1, to: 2, insert: "xy" },
        { from: 5, to: 7 },
      ],
      7,
    );
    expect(mapSpans(s, c, 2)).toEqual({ lens: [1, 2, 1, 2], who: [0, 2, 0, 1] });
  });
});
