// The pad's shared run as the UI shows it, folded from run events
// (docs/protocol.md "Runs").  Pure: the same events give the same state,
// whether they streamed in or came in welcome.run.events.
import type { RunEvent, RunInfo } from "../lib/protocol";

export interface StageResult {
  verdict: string;
  exit_code: number | null;
  signal: number | null;
  signal_name: string | null;
  cpu_ms: number;
  wall_ms: number;
  memory_bytes: number;
  time_limit?: string | null;
  message?: string;
  diagnostics?: unknown[];
}

// One entry of result.tests (docs/api.md "The result"): a stage plus name,
// expected_stdout and a verdict (accepted, wrong_answer, ..., skipped; a
// skipped test has only those three fields).
export interface TestResult extends Partial<StageResult> {
  name: string;
  verdict: string;
  expected_stdout: string;
  stdout?: string;
  stderr?: string;
  stdout_truncated?: boolean;
}

export interface RunResult {
  verdict: string;
  compile: StageResult | null;
  run: StageResult | null;
  tests?: TestResult[];
  passed?: number;
  total?: number;
  message?: string;
  [k: string]: unknown;
}

export interface RunState {
  run: number | null;
  active: boolean;
  by: string | null;
  name: string | null;
  version: number | null;
  language: string | null;
  output: string; // stdout + stderr + stdin, as typed
  verdict: string | null; // from result or end
  ended: boolean;
  result: RunResult | null;
  error: string | null;
  truncated: boolean;
  tests: number | null; // a tests run: how many tests (started.tests)
  testStage: (string | null)[]; // per test: the verdict of its run stage (exit), before the comparison
  currentTest: number | null; // the test running now
}

export const emptyRun: RunState = {
  run: null,
  active: false,
  by: null,
  name: null,
  version: null,
  language: null,
  output: "",
  verdict: null,
  ended: false,
  result: null,
  error: null,
  truncated: false,
  tests: null,
  testStage: [],
  currentTest: null,
};

export function foldRun(s: RunState, ev: RunEvent): RunState {
  switch (ev.event) {
    case "started":
      return {
        ...emptyRun,
        run: num(ev.run),
        active: true,
        by: str(ev.by),
        name: str(ev.name),
        version: num(ev.version),
        language: str(ev.language),
        tests: num(ev.tests),
      };
    case "run_start":
      return typeof ev.test === "number" ? { ...s, currentTest: ev.test, tests: s.tests ?? 0 } : s;
    case "exit": {
      if (typeof ev.test !== "number" || ev.test < 0 || ev.test > 1024) return s;
      const testStage = s.testStage.slice();
      while (testStage.length <= ev.test) testStage.push(null);
      testStage[ev.test] = str(ev.verdict);
      return { ...s, testStage, tests: s.tests ?? 0 };
    }
    case "stdout":
    case "stderr":
    case "stdin":
      return { ...s, output: s.output + (str(ev.data) ?? "") };
    case "result": {
      const result = ev.result as RunResult;
      const tests = Array.isArray(result?.tests) ? (s.tests ?? result.tests.length) : s.tests;
      return { ...s, result, verdict: result?.verdict ?? s.verdict, currentTest: null, tests };
    }
    case "error":
      return { ...s, error: runErrorText(ev) };
    case "end":
      return {
        ...s,
        active: false,
        ended: true,
        currentTest: null,
        verdict: (ev.verdict as string | null) ?? s.verdict ?? null,
      };
    default:
      return s;
  }
}

export function runFromWelcome(info: RunInfo | null): RunState {
  if (!info) return emptyRun;
  let s: RunState = {
    ...emptyRun,
    run: info.run,
    by: info.by,
    name: info.name,
    version: info.version,
    language: info.language,
    active: true,
  };
  for (const ev of info.events) s = foldRun(s, ev);
  return {
    ...s,
    run: info.run,
    by: info.by,
    name: info.name,
    active: info.active,
    ended: !info.active,
    verdict: s.verdict ?? info.verdict,
    truncated: info.truncated,
    tests: s.tests ?? num((info as unknown as Record<string, unknown>).tests),
  };
}

function num(x: unknown): number | null {
  return typeof x === "number" ? x : null;
}
// A run's error event as people read it: the message (or the code), and when
// the runner said when to try again (a busy runner's Retry-After), that too.
export function runErrorText(ev: RunEvent): string {
  const text = str(ev.message) || str(ev.code) || "the run failed";
  const ms = typeof ev.retry_after_ms === "number" ? ev.retry_after_ms : null;
  if (ms === null || ms < 0) return text;
  const s = Math.max(1, Math.ceil(ms / 1000));
  return `${text}; try again in ${s} s`;
}

function str(x: unknown): string | null {
  return typeof x === "string" ? x : null;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}

// The verdict badge: "accepted · exit 0 · 12 ms CPU · 30 ms wall · 8.1 MiB"
export function verdictText(s: RunState): string | null {
  if (!s.verdict && !s.ended) return null;
  const verdict = s.verdict ?? "error";
  const parts = [verdict.replace(/_/g, " ")];
  const r = s.result;
  if (r && Array.isArray(r.tests) && verdict !== "compile_error") {
    // a tests run: the tests panel has each test's numbers
    parts.push(
      `${r.passed ?? r.tests.filter((t) => t.verdict === "accepted").length}/${r.total ?? r.tests.length} tests passed`,
    );
    return parts.join(" · ");
  }
  const stage = r?.run ?? r?.compile ?? null;
  if (stage) {
    if (stage.signal_name || stage.signal) parts.push(String(stage.signal_name ?? `signal ${stage.signal}`));
    else if (stage.exit_code !== null && stage.exit_code !== undefined) parts.push(`exit ${stage.exit_code}`);
    if (stage.time_limit) parts.push(`${stage.time_limit} limit`);
    if (stage.message === "stopped on request") parts.push("stopped");
    parts.push(`${stage.cpu_ms} ms CPU`, `${stage.wall_ms} ms wall`, formatBytes(stage.memory_bytes));
  }
  return parts.join(" · ");
}

// A field of an event as text, or `missing` when it is absent or not a
// string, number or boolean.
function scalar(v: unknown, missing: string): string {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : missing;
}

// ANSI text the terminal draws for one event.  `you` is this participant's
// id: stdin this page typed was echoed as it was typed.
const RED = "\x1b[31m",
  DIM = "\x1b[2m",
  CYAN = "\x1b[36m",
  RESET = "\x1b[0m";

export function terminalText(ev: RunEvent, you: string | null, names: (id: string) => string | null): string {
  const d = typeof ev.data === "string" ? ev.data : "";
  switch (ev.event) {
    case "started":
      return `${CYAN}▶ run ${scalar(ev.run, "")} started by ${scalar(ev.name, names(String(ev.by)) ?? "someone")} (${scalar(ev.language, "?")}, pad version ${scalar(ev.version, "?")})${RESET}\r\n`;
    case "queued":
      return `${DIM}waiting for a free runner (position ${scalar(ev.position, "?")})…${RESET}\r\n`;
    case "compile_start":
      return `${DIM}compiling…${RESET}\r\n`;
    case "run_start":
      return typeof ev.test === "number"
        ? `${ev.test > 0 ? "\r\n" : ""}${CYAN}── test ${ev.test + 1} ──${RESET}\r\n`
        : "";
    case "stdout":
      return d;
    case "stderr":
      return RED + d + RESET;
    case "stdin":
      return ev.by === you ? "" : CYAN + d + RESET;
    case "exit":
      if (ev.stage === "compile" && ev.verdict !== "accepted")
        return `${RED}compilation failed (${String(ev.verdict)})${RESET}\r\n`;
      if (typeof ev.test === "number" && ev.verdict !== "accepted")
        return `\r\n${RED}test ${ev.test + 1}: ${String(ev.verdict).replace(/_/g, " ")}${RESET}\r\n`;
      return "";
    case "stop":
      return `\r\n${DIM}■ stopped by ${names(String(ev.by)) ?? "someone"}${RESET}\r\n`;
    case "error":
      return `\r\n${RED}✖ ${runErrorText(ev)}${RESET}\r\n`;
    case "result": {
      const r = ev.result as RunResult | undefined;
      if (!r || !Array.isArray(r.tests)) return "";
      const lines = r.tests.map(
        (t, i) =>
          `${t.verdict === "accepted" ? CYAN : RED}test ${i + 1}${t.name ? ` (${t.name})` : ""}: ${t.verdict.replace(/_/g, " ")}${RESET}`,
      );
      return `\r\n${lines.join("\r\n")}\r\n${DIM}${r.passed ?? 0}/${r.total ?? r.tests.length} tests passed${RESET}\r\n`;
    }
    case "end":
      return `\r\n${DIM}● finished: ${scalar(ev.verdict, "no verdict")}${RESET}\r\n`;
    default:
      return "";
  }
}
