// Message shapes of docs/protocol.md (runpad-ws), the contract.

export interface SelectionJSON {
  main: number;
  ranges: { anchor: number; head: number }[];
}

export interface UpdateJSON {
  clientID: string;
  changes: unknown; // ChangeSet.toJSON()
}

export interface Participant {
  id: string;
  name: string;
  color: string;
  version?: number | null;
  selection?: SelectionJSON | null;
}

export interface Limits {
  doc_bytes: number;
  message_bytes: number;
  updates_per_second: number;
  update_burst: number;
  updates_per_push: number;
  participants: number;
  name_bytes: number;
}

// A run event: the daemon's own (started, stdin, stop, error, end) and the
// runner's (start, queued, compile_start, run_start, stdout, stderr, exit,
// result), see docs/api.md#streaming.
export interface RunEvent {
  event: string;
  [k: string]: unknown;
}

// One of the pad's tests (docs/protocol.md "tests"): `name` at most 64
// bytes, `stdin` and `expected_stdout` at most 64 KiB each.
export interface TestCase {
  name: string;
  stdin: string;
  expected_stdout: string;
}

export interface RunInfo {
  run: number;
  by: string;
  name: string;
  version: number;
  language: string;
  active: boolean;
  verdict: string | null;
  truncated: boolean;
  events: RunEvent[];
}

export interface Welcome {
  type: "welcome";
  you: string;
  pad: string;
  version: number;
  from?: number;
  doc?: string;
  updates?: UpdateJSON[];
  language: string;
  participants: Participant[];
  run: RunInfo | null;
  tests?: TestCase[]; // always there with a daemon that has tests
  limits?: Limits;
}

export type ServerMessage =
  | Welcome
  | { type: "updates"; version: number; updates: UpdateJSON[] }
  | { type: "snapshot"; version: number; doc: string; reason?: string }
  | { type: "error"; code: string; message: string; ref?: unknown; head?: number; retry_after_ms?: number }
  | { type: "join"; participant: Participant }
  | { type: "leave"; id: string }
  | { type: "profile"; participant: Participant }
  | { type: "presence"; id: string; version: number; selection: SelectionJSON | null }
  | { type: "language"; language: string; by?: string }
  | { type: "run"; event: RunEvent }
  | { type: "tests"; tests: TestCase[]; by?: string }
  | { type: "pong" };

export type ClientMessage =
  | { type: "hello"; version: number | null; name?: string; color?: string }
  | { type: "push"; version: number; ref: number; updates: UpdateJSON[] }
  | { type: "pull"; version: number }
  | { type: "presence"; version: number; selection: SelectionJSON | null }
  | { type: "profile"; name?: string; color?: string }
  | { type: "language"; language: string }
  | { type: "run"; stdin?: string; tests?: boolean }
  | { type: "tests"; tests: Partial<TestCase>[] }
  | { type: "stdin"; data: string; eof?: boolean }
  | { type: "stop" }
  | { type: "ping" };
