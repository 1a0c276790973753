// The downloads on a record built by hand.
import { describe, it, expect } from "vitest";
import { ChangeSet, Text } from "@codemirror/state";
import {
  clockText,
  durationText,
  exportFileName,
  recordFile,
  recordJSON,
  reportMarkdown,
  utcText,
  type ExportMeta,
} from "./export";
import type { HistoryUpdate, PadRecord, RunRecord } from "./record";

const T0 = Date.UTC(2025, 11, 5, 9, 0, 0); // 2025-12-05 09:00:00 UTC

function updates(edits: [number, string, number, number, string][]): HistoryUpdate[] {
  let doc = Text.empty;
  return edits.map(([t, a, from, to, insert]) => {
    const c = ChangeSet.of({ from, to, insert }, doc.length);
    doc = c.apply(doc);
    return { clientID: "c" + a, changes: c.toJSON() as unknown, t: T0 + t, a };
  });
}

const run = (n: number, t: number, extra: Partial<RunRecord>, events: RunRecord["events"]): RunRecord => ({
  run: n,
  by: "p2",
  name: "Ada",
  version: 1,
  language: "python",
  active: false,
  verdict: null,
  truncated: false,
  started_ms: T0 + t,
  events,
  ...extra,
});

const tests = (t: number, passed: number, total: number) => [
  { event: "started", run: 0, by: "p2", name: "Ada", version: 1, language: "python", tests: total, t: T0 + t },
  {
    event: "result",
    result: {
      verdict: passed === total ? "accepted" : "wrong_answer",
      compile: null,
      run: null,
      tests: Array.from({ length: total }, (_, i) => ({
        name: `t${i}`,
        verdict: i < passed ? "accepted" : "wrong_answer",
        expected_stdout: "",
      })),
      passed,
      total,
    },
    t: T0 + t + 500,
  },
  { event: "end", verdict: passed === total ? "accepted" : "wrong_answer", t: T0 + t + 500 },
];

const record: PadRecord = {
  created_ms: T0,
  updates: updates([
    [1000, "template", 0, 0, "def f():\n    pass\n"],
    [65000, "p2", 13, 17, "return 1"],
    [200000, "p2", 21, 21, "\n# ``` done"],
  ]),
  events: [
    { type: "join", t: T0 + 5, id: "p1", name: "Grace", color: "#98c379", role: "owner" },
    { type: "language", t: T0 + 6, language: "python", by: "p1" },
    { type: "join", t: T0 + 30000, id: "p2", name: "Ada", color: "#e06c75", role: "candidate" },
    { type: "profile", t: T0 + 40000, id: "p2", name: "Ada | L.", color: "#e06c75", role: "candidate" },
    { type: "leave", t: T0 + 95000, id: "p2" },
    // Ada again after a reconnection: a new id, the same person
    { type: "join", t: T0 + 96000, id: "p3", name: "Ada | L.", color: "#e06c75", role: "candidate" },
    { type: "leave", t: T0 + 250000, id: "p3" },
  ],
  runs: [
    run(2, 90000, { verdict: "wrong_answer" }, tests(90000, 1, 3)),
    run(1, 70000, { verdict: "accepted", truncated: true }, [
      { event: "started", run: 1, by: "p2", name: "Ada", version: 2, language: "python", t: T0 + 70000 },
      { event: "end", verdict: "accepted", t: T0 + 71000 },
    ]),
    run(3, 180000, { verdict: "accepted", name: "" }, tests(180000, 3, 3)),
  ],
};
const notes = { updates: updates([[2000, "p1", 0, 0, "Strong start.\n"]]) };
const meta: ExportMeta = {
  pad: "iv-7",
  title: "Two sum",
  controls: { title: "Two sum", locked: false, runs_locked: false, ended: true, playback: false },
};

describe("the record file", () => {
  it("holds the pad, its controls, every update, event and run, the notes and the final texts", () => {
    const f = recordFile(meta, record, notes);
    expect(f).toEqual({
      format: "runpad-record-1",
      pad: "iv-7",
      title: "Two sum",
      controls: meta.controls,
      created_ms: T0,
      version: 3,
      text: "def f():\n    return 1\n# ``` done\n",
      updates: record.updates,
      events: record.events,
      runs: record.runs,
      notes: { version: 1, text: "Strong start.\n", updates: notes.updates },
    });
    expect(f.updates[1]).toEqual({
      clientID: "cp2",
      changes: [13, [4, "return 1"], 1],
      t: T0 + 65000,
      a: "p2",
    });
    expect(JSON.parse(recordJSON(meta, record, null))).toEqual({ ...f, notes: null });
    expect(exportFileName("iv-7", "record")).toBe("runpad-iv-7-record.json");
    expect(exportFileName("iv-7", "report")).toBe("runpad-iv-7-report.md");
  });
});

describe("the report", () => {
  it("is exactly this", () => {
    expect(reportMarkdown(meta, record, notes)).toBe(
      [
        "# Two sum",
        "",
        "- Pad: `iv-7`",
        "- Started: 2025-12-05 09:00:00 UTC",
        "- Duration: 4 min 10 s",
        "- Language: python",
        "- Versions: 3",
        "- Time to first run: 1 min 10 s",
        "- Time to first accepted tests: 3 min",
        "",
        "## Participants",
        "",
        "| name | role | joined |",
        "|---|---|---|",
        "| Grace | owner | 0:00 |",
        "| Ada \\| L. | candidate | 0:30 |",
        "",
        "## Final code",
        "",
        "````python",
        "def f():",
        "    return 1",
        "# ``` done",
        "````",
        "",
        "## Runs",
        "",
        "| run | time | by | kind | verdict |",
        "|---|---|---|---|---|",
        "| 1 | 1:10 | Ada | run | accepted (output cut) |",
        "| 2 | 1:30 | Ada | tests 1/3 | wrong_answer |",
        "| 3 | 3:00 | Ada \\| L. | tests 3/3 | accepted |",
        "",
        "## Tests over time",
        "",
        "| time | passed/total |",
        "|---|---|",
        "| 1:30 | 1/3 |",
        "| 3:00 | 3/3 |",
        "",
        "## Notes",
        "",
        "Strong start.",
        "",
      ].join("\n"),
    );
  });

  it("of an empty pad says so", () => {
    const empty: PadRecord = { created_ms: T0, updates: [], events: [], runs: [] };
    const r = reportMarkdown({ pad: "p", title: "", controls: null }, empty, null);
    expect(r).toBe(
      [
        "# Pad p",
        "",
        "- Pad: `p`",
        "- Started: 2025-12-05 09:00:00 UTC",
        "- Duration: 0 s",
        "- Language: none",
        "- Versions: 0",
        "- Time to first run: no run",
        "- Time to first accepted tests: never",
        "",
        "## Participants",
        "",
        "Nobody joined.",
        "",
        "## Final code",
        "",
        "```",
        "```",
        "",
        "## Runs",
        "",
        "No run.",
        "",
        "## Tests over time",
        "",
        "The tests were never run.",
        "",
        "## Notes",
        "",
        "No notes.",
        "",
      ].join("\n"),
    );
  });
});

describe("times", () => {
  it("as clocks, durations and UTC", () => {
    expect([clockText(0), clockText(5999), clockText(723000), clockText(3723000)]).toEqual([
      "0:00",
      "0:05",
      "12:03",
      "1:02:03",
    ]);
    expect(durationText(999)).toBe("0 s");
    expect([durationText(45000), durationText(723000), durationText(120000), durationText(3720000)]).toEqual([
      "45 s",
      "12 min 3 s",
      "2 min",
      "1 h 2 min",
    ]);
    expect(utcText(T0 + 1234)).toBe("2025-12-05 09:00:01 UTC");
  });
});
