// The stored history of a pad as the daemon gives it (docs/protocol.md,
// "History and playback"): the updates with their time and author, the
// pad's events and every run kept, read a page at a time over the pad's
// socket.  No React, no DOM: the timeline view and bench/playback both use
// it.
import type { RunEvent, RunInfo, UpdateJSON } from "../lib/protocol";

// One accepted update: `t` the daemon's clock (ms since the epoch) when it
// accepted it, `a` the author's participant id ("template" for a
// template's code).
export interface HistoryUpdate extends UpdateJSON {
  t: number;
  a: string;
}

// An event of the pad, each with its time `t`: join and profile (the
// participant's id, name, color, role), leave (id), control (the controls
// after it, by), language and tests (by).  Kept as the daemon sent it;
// eventKind() and eventParticipant() read it.
export interface PadEvent {
  t: number;
  [k: string]: unknown;
}

// A kept run: welcome's run object plus when it started; its events carry
// `t` too.  `truncated`: its output events were dropped (ws.max_run_log).
export interface RunRecord extends Omit<RunInfo, "events"> {
  started_ms?: number;
  events: (RunEvent & { t?: number })[];
}

export interface Controls {
  title: string;
  locked: boolean;
  runs_locked: boolean;
  ended: boolean;
  playback: boolean;
}

export type HistoryDoc = "pad" | "notes";

// One `history` answer.  The page from 0 of the pad also has created_ms,
// events and runs.
export interface HistoryPage {
  type: "history";
  doc: HistoryDoc;
  from: number;
  head: number;
  updates: HistoryUpdate[];
  more: boolean;
  created_ms?: number;
  events?: PadEvent[];
  runs?: RunRecord[];
}

// Asks for the page of `doc` from version `from`; resolves with the
// daemon's answer, rejects on an error (forbidden, a lost socket).
export type HistoryFetch = (doc: HistoryDoc, from: number) => Promise<HistoryPage>;

// The whole record of a pad as loaded: every update from version 0 to
// the head, in order.
export interface PadRecord {
  created_ms: number;
  updates: HistoryUpdate[];
  events: PadEvent[];
  runs: RunRecord[];
}

// Every update of `doc` from version 0, page after page.  A page that
// says `more` but brings nothing would loop for ever: that is an error.
export async function loadUpdates(
  fetch: HistoryFetch,
  doc: HistoryDoc,
): Promise<{ first: HistoryPage; updates: HistoryUpdate[] }> {
  const first = await fetch(doc, 0);
  const updates = first.updates.slice();
  let page = first;
  while (page.more) {
    if (!page.updates.length) throw new Error(`history of ${doc}: an empty page at version ${page.from} says more`);
    page = await fetch(doc, updates.length);
    if (page.from !== updates.length)
      throw new Error(`history of ${doc}: asked from ${updates.length}, got a page from ${page.from}`);
    for (const u of page.updates) updates.push(u);
  }
  return { first, updates };
}

// Updates stored before the daemon kept their time and author have
// neither: each gets the time of the one before it (the pad's creation for
// the first) and an unknown author, so that the timeline stays in order.
export function datedUpdates(updates: HistoryUpdate[], created: number): void {
  let last = created;
  for (const u of updates as { t?: unknown; a?: unknown }[]) {
    if (typeof u.t !== "number") u.t = last;
    if (typeof u.a !== "string") u.a = "";
    last = u.t as number;
  }
}

// The pad's record: its updates, events and runs.
export async function loadRecord(fetch: HistoryFetch): Promise<PadRecord> {
  const { first, updates } = await loadUpdates(fetch, "pad");
  datedUpdates(updates, typeof first.created_ms === "number" ? first.created_ms : 0);
  const t0 = updates.length ? updates[0].t : Date.now();
  return {
    created_ms: typeof first.created_ms === "number" ? first.created_ms : t0,
    updates,
    events: first.events ?? [],
    runs: first.runs ?? [],
  };
}

// The kind of an event: its `type` (as the broadcast it stands for), or
// `event` / `kind` in a record that names it so.
export function eventKind(ev: PadEvent): string {
  const k = ev.type ?? ev.event ?? ev.kind;
  return typeof k === "string" ? k : "";
}

export interface Profile {
  id: string;
  name: string;
  color: string;
  role: string | null;
}

// The participant of a join or profile event: its fields at the top level
// or in `participant`, as the broadcast has them.
export function eventParticipant(ev: PadEvent): Profile | null {
  const p = (typeof ev.participant === "object" && ev.participant !== null ? ev.participant : ev) as Record<
    string,
    unknown
  >;
  if (typeof p.id !== "string") return null;
  return {
    id: p.id,
    name: typeof p.name === "string" ? p.name : p.id,
    color: typeof p.color === "string" ? p.color : GREY,
    role: typeof p.role === "string" ? p.role : null,
  };
}

// The id a leave event names.
export function eventId(ev: PadEvent): string | null {
  if (typeof ev.id === "string") return ev.id;
  const p = ev.participant as Record<string, unknown> | undefined;
  return p && typeof p.id === "string" ? p.id : null;
}

export const GREY = "#8b949e";

// When a run started: started_ms, else its first event's time.
export function runStart(r: RunRecord): number | null {
  if (typeof r.started_ms === "number") return r.started_ms;
  const t = r.events.find((e) => typeof e.t === "number")?.t;
  return typeof t === "number" ? t : null;
}

// When a run ended: its `end` event, or for a run kept as not active
// without one (the daemon stopped during it), its last event; null while
// it runs.
export function runEnd(r: RunRecord): number | null {
  const end = r.events.find((e) => e.event === "end");
  if (end) return typeof end.t === "number" ? end.t : runStart(r);
  if (r.active) return null;
  let last = runStart(r);
  for (const e of r.events) if (typeof e.t === "number") last = Math.max(last ?? e.t, e.t);
  return last;
}
