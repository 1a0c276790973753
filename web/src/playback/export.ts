// What an owner downloads of a pad: the whole record as one JSON file, and
// a report to read (Markdown).  Pure functions of the record, the notes'
// history and what the welcome said (pad id, title, controls).
import {
  eventKind,
  eventParticipant,
  runStart,
  type Controls,
  type HistoryUpdate,
  type PadRecord,
  type RunRecord,
} from "./record";
import { finalText } from "./model";

export interface ExportMeta {
  pad: string;
  title: string;
  controls: Controls | null;
}

// The owners' notes: their updates (history doc "notes"); null when the
// pad has none (an open pad) or they could not be read.
export interface NotesHistory {
  updates: HistoryUpdate[];
}

export const RECORD_FORMAT = "runpad-record-1";

export interface RecordFile {
  format: typeof RECORD_FORMAT;
  pad: string;
  title: string;
  controls: Controls | null;
  created_ms: number;
  version: number;
  text: string;
  updates: HistoryUpdate[];
  events: PadRecord["events"];
  runs: RunRecord[];
  notes: { version: number; text: string; updates: HistoryUpdate[] } | null;
}

// The record file: everything the daemon keeps of the pad, and the final
// texts, so that a reader needs no ChangeSet code to see the outcome.
export function recordFile(meta: ExportMeta, record: PadRecord, notes: NotesHistory | null): RecordFile {
  return {
    format: RECORD_FORMAT,
    pad: meta.pad,
    title: meta.title,
    controls: meta.controls,
    created_ms: record.created_ms,
    version: record.updates.length,
    text: finalText(record.updates),
    updates: record.updates,
    events: record.events,
    runs: record.runs,
    notes: notes ? { version: notes.updates.length, text: finalText(notes.updates), updates: notes.updates } : null,
  };
}

export function recordJSON(meta: ExportMeta, record: PadRecord, notes: NotesHistory | null): string {
  return JSON.stringify(recordFile(meta, record, notes), null, 1) + "\n";
}

export function exportFileName(pad: string, kind: "record" | "report"): string {
  return `runpad-${pad}-${kind}.${kind === "record" ? "json" : "md"}`;
}

// "0:05", "12:03", "1:02:03": a time since the start.
export function clockText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = s % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

// "45 s", "12 min 3 s", "1 h 2 min" (whole seconds, as clockText)
export function durationText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = s % 60;
  if (h) return `${h} h ${m} min`;
  return sec ? `${m} min ${sec} s` : `${m} min`;
}

// "2025-12-05 01:33:20 UTC"
export function utcText(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
}

const FENCE_NAMES: Record<string, string> = { "c++": "cpp", "c#": "csharp", js: "javascript", node: "javascript" };

// A fence that the code cannot close: one backtick more than its longest run.
function fenced(code: string, language: string): string {
  let longest = 0;
  for (const m of code.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = "`".repeat(Math.max(3, longest + 1));
  const body = code.endsWith("\n") || !code ? code : code + "\n";
  return `${fence}${FENCE_NAMES[language] ?? language}\n${body}${fence}`;
}

// A table cell: no line breaks, no column breaks.
function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

interface TestsPoint {
  t: number;
  passed: number;
  total: number;
}

// A tests run's figures: from its result (passed, total), else none.
function testsOf(r: RunRecord): { passed: number; total: number } | null {
  for (const e of r.events) {
    if (e.event !== "result") continue;
    const res = e.result as { passed?: unknown; total?: unknown; tests?: unknown[] } | undefined;
    if (!res || !Array.isArray(res.tests)) return null;
    const total = typeof res.total === "number" ? res.total : res.tests.length;
    const passed =
      typeof res.passed === "number"
        ? res.passed
        : res.tests.filter((x) => (x as { verdict?: string }).verdict === "accepted").length;
    return { passed, total };
  }
  return null;
}

function isTestsRun(r: RunRecord): boolean {
  return r.events.some((e) => e.event === "started" && typeof e.tests === "number") || testsOf(r) !== null;
}

// The report: title, participants, duration, the final code, every run,
// the tests' figures over time, the notes, and how long it took to the
// first run and to the first tests run that passed every test (both from
// created_ms to the start of that run).
export function reportMarkdown(meta: ExportMeta, record: PadRecord, notes: NotesHistory | null): string {
  const start = record.created_ms;
  const runs = record.runs.map((r) => ({ r, t: runStart(r) ?? start })).sort((a, b) => a.t - b.t || a.r.run - b.r.run);
  let end = start;
  for (const u of record.updates) end = Math.max(end, u.t);
  for (const e of record.events) end = Math.max(end, e.t);
  for (const { r, t } of runs) {
    end = Math.max(end, t);
    for (const e of r.events) if (typeof e.t === "number") end = Math.max(end, e.t);
  }

  // participants, once each, as last named; the language as last set
  const people = new Map<string, { name: string; role: string | null; first: number }>();
  let language = "";
  for (const e of [...record.events].sort((a, b) => a.t - b.t)) {
    const kind = eventKind(e);
    if (kind === "join" || kind === "profile") {
      const p = eventParticipant(e);
      if (!p) continue;
      const was = people.get(p.id);
      people.set(p.id, { name: p.name, role: p.role ?? was?.role ?? null, first: was?.first ?? e.t });
    } else if (kind === "language" && typeof e.language === "string") language = e.language;
  }
  if (!language && runs.length) language = runs[runs.length - 1].r.language;
  const nameOf = (id: string) => people.get(id)?.name ?? id;

  const out: string[] = [];
  out.push(`# ${meta.title || `Pad ${meta.pad}`}`, "");
  out.push(`- Pad: \`${meta.pad}\``);
  out.push(`- Started: ${utcText(start)}`);
  out.push(`- Duration: ${durationText(end - start)}`);
  out.push(`- Language: ${language || "none"}`);
  out.push(`- Versions: ${record.updates.length}`);
  const firstRun = runs[0];
  out.push(`- Time to first run: ${firstRun ? durationText(firstRun.t - start) : "no run"}`);
  const points: TestsPoint[] = [];
  for (const { r, t } of runs) {
    const f = testsOf(r);
    if (f && isTestsRun(r)) points.push({ t, ...f });
  }
  const accepted = points.find((p) => p.total > 0 && p.passed === p.total);
  out.push(`- Time to first accepted tests: ${accepted ? durationText(accepted.t - start) : "never"}`);
  out.push("");

  // a person who came back (a reconnection, another tab) has a new id:
  // one line per name and role, when they first joined
  const persons = new Map<string, { name: string; role: string | null; first: number }>();
  for (const p of people.values()) {
    const k = `${p.name}\u0000${p.role ?? ""}`;
    const was = persons.get(k);
    if (!was || p.first < was.first) persons.set(k, p);
  }
  out.push("## Participants", "");
  if (!persons.size) out.push("Nobody joined.");
  else {
    out.push("| name | role | joined |", "|---|---|---|");
    for (const p of [...persons.values()].sort((a, b) => a.first - b.first))
      out.push(`| ${cell(p.name)} | ${p.role ?? ""} | ${clockText(p.first - start)} |`);
  }
  out.push("");

  out.push("## Final code", "");
  out.push(fenced(finalText(record.updates), language), "");

  out.push("## Runs", "");
  if (!runs.length) out.push("No run.");
  else {
    out.push("| run | time | by | kind | verdict |", "|---|---|---|---|---|");
    for (const { r, t } of runs) {
      const f = testsOf(r);
      const kind = isTestsRun(r) ? `tests${f ? ` ${f.passed}/${f.total}` : ""}` : "run";
      const verdict = r.verdict ?? (r.active ? "running" : "no verdict");
      out.push(
        `| ${r.run} | ${clockText(t - start)} | ${cell(r.name || nameOf(r.by))} | ${kind} | ${cell(verdict)}${r.truncated ? " (output cut)" : ""} |`,
      );
    }
  }
  out.push("");

  out.push("## Tests over time", "");
  if (!points.length) out.push("The tests were never run.");
  else {
    out.push("| time | passed/total |", "|---|---|");
    for (const p of points) out.push(`| ${clockText(p.t - start)} | ${p.passed}/${p.total} |`);
  }
  out.push("");

  out.push("## Notes", "");
  const text = notes ? finalText(notes.updates).trim() : "";
  out.push(text || "No notes.");
  out.push("");
  return out.join("\n");
}
