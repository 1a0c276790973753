// The playback of a pad: its record (record.ts) and what the pad looked
// like at any moment of it.  No React, no DOM.
//
// Theory of operation.  The record is a list of updates, each a ChangeSet
// with its time `t` and author `a`, plus events (joins, profiles, leaves,
// controls, language, tests) and runs, each with times.  The text at
// version v is update 1..v applied to "", and its authorship a list of
// spans (length, author) covering it: an update's inserted text is its
// author's, the rest keeps the spans it had, mapped through the ChangeSet
// (deleted text takes its spans with it).  An author is the participant as
// the join/profile events in effect at the update's time had them (name and
// colour), so a later rename does not rewrite what was written before.
//
// Seeking replays updates, which costs about (spans + changes) per update.
// The model is built once: every ChangeSet parsed, and a checkpoint (text +
// spans) kept every K versions, so a seek replays at most K-1 updates from
// the checkpoint below it, or from the last seek's state when that is
// nearer (playing forward).  K = DEFAULT_CHECKPOINT_EVERY was chosen with
// bench/playback (bench/README.md): build time and memory grow as K
// shrinks, seek time as it grows.  With checkpointEvery: Infinity the model
// keeps only version 0, i.e. replays from the start, which is what the
// bench compares against and the tests check checkpoints with.
//
// Times are ms since the epoch, as the daemon stores them; the view turns
// them into ms since created_ms.
import { ChangeSet, Text } from "@codemirror/state";
import { emptyRun, foldRun, type RunState } from "../run/runModel";
import type { RunEvent } from "../lib/protocol";
import {
  eventId,
  eventKind,
  eventParticipant,
  GREY,
  runEnd,
  runStart,
  type Controls,
  type PadEvent,
  type PadRecord,
  type Profile,
  type RunRecord,
} from "./record";

export * from "./record";

export const DEFAULT_CHECKPOINT_EVERY = 64;
// A pause in typing longer than this ends a burst: nextBurst() goes to the
// first update after such a pause (or the first update of all).
export const BURST_GAP_MS = 5000;
export const TEMPLATE_AUTHOR = "template";

// Who wrote a part of the text, as they were called when they wrote it.
export interface Author {
  key: number; // the same person with the same name and colour: the same key
  id: string; // participant id, or "template"
  name: string;
  color: string;
  role: string | null;
}

// A part of the text [from, to) written by `author`.
export interface AuthorSpan {
  from: number;
  to: number;
  author: Author;
}

// A run as it was at a moment: its events up to then.
export interface RunAt {
  record: RunRecord;
  started: number;
  ended: number | null; // when it ended, if it had by then
  active: boolean;
  events: RunEvent[];
  state: RunState; // the events folded as the run panel folds them
}

export interface Moment {
  time: number; // ms since the epoch
  version: number;
  doc: Text;
  text: string;
  spans: AuthorSpan[]; // in order, covering the text, neighbours of one author merged
  authors: Author[]; // those of the spans, once each, in order of first appearance
  runs: RunAt[]; // every run started by then, in order; the last may be active
  run: RunAt | null; // the last run started by then
  present: Profile[]; // who was in the pad
  controls: Controls | null;
  language: string | null;
}

export interface Mark {
  t: number;
  kind: "run" | "burst" | "control";
  label: string;
  verdict?: string | null; // runs: the verdict (null: none, or not ended)
  run?: number; // runs: the run number
}

export interface PlaybackOptions {
  checkpointEvery?: number;
  burstGapMs?: number;
  // start a seek from the last one's state when it is nearer than the
  // checkpoint (default true; bench/playback turns it off to time the
  // checkpoints alone)
  reuseLast?: boolean;
}

// Spans as two parallel arrays: lengths and author keys.
interface Spans {
  lens: number[];
  who: number[];
}

interface State {
  version: number;
  doc: Text;
  spans: Spans;
}

function pushSpan(out: Spans, len: number, who: number): void {
  if (len <= 0) return;
  const n = out.lens.length;
  if (n && out.who[n - 1] === who) out.lens[n - 1] += len;
  else {
    out.lens.push(len);
    out.who.push(who);
  }
}

// The spans of the text after `changes`, the inserted text `who`'s.  Runs
// of whole spans the changes do not touch are copied in one go: a
// keystroke touches one place of a text of hundreds of spans.
export function mapSpans(s: Spans, changes: ChangeSet, who: number): Spans {
  const out: Spans = { lens: [], who: [] };
  const n = s.lens.length;
  let i = 0,
    off = 0,
    pos = 0;
  const walk = (upTo: number, keep: boolean) => {
    while (pos < upTo && i < n) {
      if (off === 0) {
        let j = i,
          p = pos;
        while (j < n && p + s.lens[j] <= upTo) p += s.lens[j++];
        if (j > i) {
          if (keep) {
            pushSpan(out, s.lens[i], s.who[i]);
            if (j - i > 1) {
              out.lens = out.lens.concat(s.lens.slice(i + 1, j));
              out.who = out.who.concat(s.who.slice(i + 1, j));
            }
          }
          i = j;
          pos = p;
          continue;
        }
      }
      const take = Math.min(s.lens[i] - off, upTo - pos);
      if (keep) pushSpan(out, take, s.who[i]);
      off += take;
      pos += take;
      if (off === s.lens[i]) {
        i++;
        off = 0;
      }
    }
  };
  changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    walk(fromA, true);
    walk(toA, false);
    pushSpan(out, inserted.length, who);
  });
  walk(changes.length, true);
  return out;
}

function upperBound(xs: number[], t: number): number {
  let lo = 0,
    hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Playback {
  readonly record: PadRecord;
  readonly head: number;
  readonly start: number; // created_ms
  readonly end: number; // the last thing that happened
  readonly checkpointEvery: number;
  readonly burstGapMs: number;
  readonly reuseLast: boolean;
  readonly authors: Author[] = []; // by key
  readonly finalDoc: Text;

  private readonly changes: ChangeSet[];
  private readonly times: number[];
  private readonly authorOf: number[]; // per update: its author's key
  private readonly checkpoints: State[] = [];
  private readonly events: PadEvent[]; // by time
  private readonly runList: { record: RunRecord; started: number; ended: number | null }[];
  private readonly burstTimes: number[];
  private last: State | null = null;

  constructor(record: PadRecord, opts: PlaybackOptions = {}) {
    this.record = record;
    this.checkpointEvery = Math.max(1, opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY);
    this.burstGapMs = opts.burstGapMs ?? BURST_GAP_MS;
    this.reuseLast = opts.reuseLast ?? true;
    this.head = record.updates.length;
    this.start = record.created_ms;
    this.events = record.events
      .map((e, i) => ({ e, i }))
      .sort((x, y) => x.e.t - y.e.t || x.i - y.i)
      .map((x) => x.e);
    this.changes = record.updates.map((u) => ChangeSet.fromJSON(u.changes));
    this.times = record.updates.map((u) => u.t);

    // Who each update's author was at its time: the events before it folded.
    const keys = new Map<string, number>();
    const keyOf = (p: Profile): number => {
      const k = `${p.id}\u0000${p.name}\u0000${p.color}\u0000${p.role ?? ""}`;
      let key = keys.get(k);
      if (key === undefined) {
        key = this.authors.length;
        keys.set(k, key);
        this.authors.push({ key, ...p });
      }
      return key;
    };
    const profiles = new Map<string, Profile>();
    let ev = 0;
    this.authorOf = record.updates.map((u) => {
      while (ev < this.events.length && this.events[ev].t <= u.t) {
        const e = this.events[ev++];
        const kind = eventKind(e);
        if (kind === "join" || kind === "profile") {
          const p = eventParticipant(e);
          if (p) profiles.set(p.id, p);
        }
      }
      if (u.a === TEMPLATE_AUTHOR) return keyOf({ id: TEMPLATE_AUTHOR, name: "template", color: GREY, role: null });
      // stored before updates kept their author (record.ts, datedUpdates)
      if (!u.a) return keyOf({ id: "", name: "unknown", color: GREY, role: null });
      return keyOf(profiles.get(u.a) ?? { id: u.a, name: u.a, color: GREY, role: null });
    });

    // The checkpoints, and the final text.
    let st: State = { version: 0, doc: Text.empty, spans: { lens: [], who: [] } };
    this.checkpoints.push(st);
    for (let v = 0; v < this.head; v++) {
      st = this.step(st);
      if (st.version % this.checkpointEvery === 0) this.checkpoints.push(st);
    }
    this.finalDoc = st.doc;

    this.runList = record.runs
      .map((r) => ({ record: r, started: runStart(r) ?? this.start, ended: runEnd(r) }))
      .sort((a, b) => a.started - b.started || a.record.run - b.record.run);
    this.burstTimes = [];
    for (let i = 0; i < this.times.length; i++)
      if (i === 0 || this.times[i] - this.times[i - 1] > this.burstGapMs) this.burstTimes.push(this.times[i]);

    let end = Math.max(this.start, this.times.length ? this.times[this.times.length - 1] : this.start);
    for (const e of this.events) end = Math.max(end, e.t);
    for (const r of this.runList) {
      end = Math.max(end, r.started, r.ended ?? r.started);
      for (const e of r.record.events) if (typeof e.t === "number") end = Math.max(end, e.t);
    }
    this.end = end;
  }

  private step(st: State): State {
    const c = this.changes[st.version];
    if (c.length !== st.doc.length)
      throw new Error(`update ${st.version + 1} covers ${c.length} characters, the text has ${st.doc.length}`);
    return {
      version: st.version + 1,
      doc: c.apply(st.doc),
      spans: mapSpans(st.spans, c, this.authorOf[st.version]),
    };
  }

  // The text and its spans at version v (0..head).
  private stateAt(v: number): State {
    v = Math.max(0, Math.min(this.head, Math.floor(v)));
    let base = this.checkpoints[Math.min(this.checkpoints.length - 1, Math.floor(v / this.checkpointEvery))];
    if (this.reuseLast && this.last && this.last.version <= v && this.last.version > base.version) base = this.last;
    let st = base;
    while (st.version < v) st = this.step(st);
    this.last = st;
    return st;
  }

  // The version at time t: the updates accepted at or before it.
  versionAt(t: number): number {
    return upperBound(this.times, t);
  }

  // The time version v was made (the start for 0).
  timeOf(v: number): number {
    return v <= 0 ? this.start : this.times[Math.min(v, this.head) - 1];
  }

  seek(t: number): Moment {
    return this.moment(t, this.versionAt(t));
  }

  // The moment version v was made.
  seekVersion(v: number): Moment {
    v = Math.max(0, Math.min(this.head, Math.floor(v)));
    return this.moment(this.timeOf(v), v);
  }

  private moment(t: number, v: number): Moment {
    const st = this.stateAt(v);
    const spans: AuthorSpan[] = [];
    const authors: Author[] = [];
    const seen = new Set<number>();
    let pos = 0;
    for (let i = 0; i < st.spans.lens.length; i++) {
      const author = this.authors[st.spans.who[i]];
      spans.push({ from: pos, to: pos + st.spans.lens[i], author });
      pos += st.spans.lens[i];
      if (!seen.has(author.key)) {
        seen.add(author.key);
        authors.push(author);
      }
    }
    const present = new Map<string, Profile>();
    let controls: Controls | null = null;
    let language: string | null = null;
    for (const e of this.events) {
      if (e.t > t) break;
      const kind = eventKind(e);
      if (kind === "join" || kind === "profile") {
        const p = eventParticipant(e);
        if (p) present.set(p.id, p);
      } else if (kind === "leave" || kind === "remove") {
        const id = eventId(e);
        if (id) present.delete(id);
      } else if (kind === "control" && typeof e.controls === "object" && e.controls) {
        controls = e.controls as Controls;
      } else if (kind === "language" && typeof e.language === "string") {
        language = e.language;
      }
    }
    const runs = this.runList.filter((r) => r.started <= t).map((r) => runAt(r, t));
    return {
      time: t,
      version: v,
      doc: st.doc,
      text: st.doc.toString(),
      spans,
      authors,
      runs,
      run: runs.length ? runs[runs.length - 1] : null,
      present: [...present.values()],
      controls,
      language,
    };
  }

  // When the first run after t started, or null.
  nextRun(t: number): number | null {
    return this.runList.find((r) => r.started > t)?.started ?? null;
  }

  // When typing next started after a pause of more than burstGapMs
  // (BURST_GAP_MS), after t; or null.
  nextBurst(t: number): number | null {
    const i = upperBound(this.burstTimes, t);
    return i < this.burstTimes.length ? this.burstTimes[i] : null;
  }

  get bursts(): readonly number[] {
    return this.burstTimes;
  }

  get runs(): readonly { record: RunRecord; started: number; ended: number | null }[] {
    return this.runList;
  }

  // What the scrubber marks: runs (with their verdicts), bursts and
  // control changes, by time.
  marks(): Mark[] {
    const out: Mark[] = [];
    for (const r of this.runList)
      out.push({
        t: r.started,
        kind: "run",
        label: `run ${r.record.run}${r.record.verdict ? `: ${r.record.verdict}` : ""}`,
        verdict: r.record.verdict ?? null,
        run: r.record.run,
      });
    for (const t of this.burstTimes) out.push({ t, kind: "burst", label: "typing" });
    for (const e of this.events)
      if (eventKind(e) === "control") out.push({ t: e.t, kind: "control", label: controlLabel(e) });
    return out.sort((a, b) => a.t - b.t);
  }
}

function controlLabel(e: PadEvent): string {
  const c = e.controls as Partial<Controls> | undefined;
  if (!c) return "controls";
  const on = (["locked", "runs_locked", "ended", "playback"] as const).filter((k) => c[k]);
  return on.length ? `controls: ${on.join(", ")}` : "controls: all off";
}

function runAt(r: { record: RunRecord; started: number; ended: number | null }, t: number): RunAt {
  const ended = r.ended !== null && r.ended <= t ? r.ended : null;
  const events = r.record.events.filter((e) => (typeof e.t === "number" ? e.t : r.started) <= t);
  let state: RunState = { ...emptyRun, run: r.record.run, by: r.record.by, name: r.record.name, active: true };
  for (const e of events) state = foldRun(state, e);
  state = {
    ...state,
    run: r.record.run,
    by: r.record.by,
    name: r.record.name,
    version: state.version ?? r.record.version,
    language: state.language ?? r.record.language,
    active: ended === null,
    ended: ended !== null,
    truncated: r.record.truncated,
  };
  return { record: r.record, started: r.started, ended, active: ended === null, events, state };
}

// A play clock the view drives: time moves at `speed` times real time
// while playing, from where it was to `end`, where it stops.  `now` is a
// monotonic clock in ms (performance.now()).
export class PlayClock {
  time: number;
  speed = 1;
  playing = false;
  private last = 0;

  constructor(
    readonly start: number,
    readonly end: number,
  ) {
    this.time = start;
  }

  play(now: number): void {
    if (this.time >= this.end) this.time = this.start;
    this.playing = true;
    this.last = now;
  }

  pause(now: number): void {
    this.tick(now);
    this.playing = false;
  }

  setSpeed(speed: number, now: number): void {
    this.tick(now);
    this.speed = speed;
  }

  seek(t: number, now: number): void {
    this.time = Math.max(this.start, Math.min(this.end, t));
    this.last = now;
  }

  // The time now; stops playing at the end.
  tick(now: number): number {
    if (this.playing) {
      this.time = Math.min(this.end, this.time + Math.max(0, now - this.last) * this.speed);
      if (this.time >= this.end) this.playing = false;
    }
    this.last = now;
    return this.time;
  }
}

// The text after every update of a list (notes, or a pad without the model).
export function finalText(updates: { changes: unknown }[]): string {
  let doc = Text.empty;
  for (const u of updates) doc = ChangeSet.fromJSON(u.changes).apply(doc);
  return doc.toString();
}
