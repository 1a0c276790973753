// Message shapes of the pad protocol (runpad-ws).  docs/protocol.json is
// normative for them and docs/protocol.md explains them; protocol.test.ts
// holds these types, the lists below and padClient to the JSON file.

export interface SelectionJSON {
  main: number;
  ranges: { anchor: number; head: number }[];
}

export interface UpdateJSON {
  clientID: string;
  changes: unknown; // ChangeSet.toJSON()
}

// What a link lets its holder do (docs/protocol.md, "Roles and links");
// `editor` is everyone's on an open pad (one without links).
export type Role = "owner" | "candidate" | "observer" | "editor";

// The two links an owner may rotate or revoke.
export type LinkRole = "candidate" | "observer";

export interface Participant {
  id: string;
  name: string;
  color: string;
  version?: number | null;
  selection?: SelectionJSON | null;
  role?: Role;
}

// The owner's controls, as everyone sees them.
export interface Controls {
  title: string;
  locked: boolean; // only owners edit (text, language, tests)
  runs_locked: boolean; // only owners run, type stdin, stop
  ended: boolean; // the interview is over: read-only for all but owners
  playback: boolean; // observers may read the history
}

// A pad's three keys, told once, in the welcome of the hello that made it.
export interface Links {
  owner: string;
  candidate: string;
  observer: string;
}

// Which document a push, pull, updates or snapshot is about.
export type DocName = "pad" | "notes";

// `hello.create`: make the pad, with links.
export interface CreateSpec {
  template?: string;
  language?: string;
  title?: string;
  secret?: string;
}

// A pad event kept in the history (join, profile, leave, control,
// language, tests), each with `t`.
export interface PadEvent {
  type: string;
  t: number;
  [k: string]: unknown;
}

// The pad's toolchain for its language (docs/protocol.md, "language"):
// `variant` a toolchain id of the run API (null: the language's default),
// `options` NAME: VALUE ({}: every option's default).
export interface Toolchain {
  variant: string | null;
  options: Record<string, string>;
}

// The toolchain a welcome or language message says (the defaults when it
// says none, as a daemon older than toolchains does).
export function toolchainOf(m: { variant?: string | null; options?: Record<string, string> | null }): Toolchain {
  return { variant: m.variant ?? null, options: { ...(m.options ?? {}) } };
}

export const DEFAULT_TOOLCHAIN: Toolchain = { variant: null, options: {} };

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

// A test as it goes over the wire: `name` may be left out.
export type TestJSON = Omit<TestCase, "name"> & { name?: string };

export interface RunInfo {
  run: number;
  by: string;
  name: string;
  version: number;
  language: string;
  variant?: string | null; // absent from a run kept before toolchains
  options?: Record<string, string>;
  active: boolean;
  verdict: string | null;
  truncated: boolean;
  events: RunEvent[];
}

// The owner's controls of a pad with links (docs/protocol.md, "control").
export interface Controls {
  title: string;
  locked: boolean;
  runs_locked: boolean;
  ended: boolean;
  playback: boolean;
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
  variant?: string | null; // absent from a daemon older than toolchains
  options?: Record<string, string>;
  participants: Participant[];
  run: RunInfo | null;
  tests?: TestJSON[]; // always there with a daemon that has tests
  limits?: Limits;
  role?: Role; // absent from a daemon older than roles: then "editor"
  controls?: Controls;
  notes?: { version: number; doc: string }; // owners only
  links?: Links; // only when this hello made the pad
}

export type ServerMessage =
  | Welcome
  | { type: "updates"; version: number; updates: UpdateJSON[]; doc?: "notes" }
  // `notes`: a snapshot of the notes (owners only); `doc` is the text either way
  | { type: "snapshot"; version: number; doc: string; reason?: string; notes?: true }
  | { type: "error"; code: PadErrorCode; message: string; ref?: unknown; head?: number; retry_after_ms?: number }
  | { type: "join"; participant: Participant }
  | { type: "leave"; id: string }
  | { type: "profile"; participant: Participant }
  | { type: "presence"; id: string; version: number; selection: SelectionJSON | null }
  | { type: "language"; language: string; variant?: string | null; options?: Record<string, string>; by?: string }
  | { type: "run"; event: RunEvent }
  | { type: "tests"; tests: TestJSON[]; by?: string }
  | { type: "pong" }
  | { type: "control"; controls: Controls; by: string }
  | { type: "links"; role: LinkRole; key: string | null; by: string }
  | ({ type: "history" } & HistoryPageJSON);

// A page of a document's stored history (docs/protocol.md, "History and
// playback"); web/src/playback/record.ts reads it.
export interface HistoryPageJSON {
  doc: "pad" | "notes";
  from: number;
  head: number;
  updates: (UpdateJSON & { t: number; a: string })[];
  more: boolean;
  created_ms?: number;
  events?: ({ t: number } & Record<string, unknown>)[];
  runs?: (RunInfo & { started_ms?: number })[];
}

export type ClientMessage =
  | {
      type: "hello";
      version: number | null;
      name?: string;
      color?: string;
      key?: string;
      create?: CreateSpec;
    }
  | { type: "push"; version: number; ref: number; updates: UpdateJSON[]; doc?: "notes" }
  | { type: "pull"; version: number; doc?: "notes" }
  | { type: "presence"; version: number; selection: SelectionJSON | null }
  | { type: "profile"; name?: string; color?: string }
  | { type: "language"; language: string; variant?: string | null; options?: Record<string, string> | null }
  | { type: "run"; stdin?: string; tests?: boolean }
  | { type: "tests"; tests: TestJSON[] }
  | { type: "stdin"; data: string; eof?: boolean }
  | { type: "stop" }
  | { type: "ping" }
  | ({ type: "control" } & Partial<Controls>)
  | { type: "links"; rotate: LinkRole }
  | { type: "links"; revoke: LinkRole }
  | { type: "remove"; id: string }
  | { type: "history"; doc?: DocName; from: number };

// Every message type each way and every error code, as lists for code that
// needs them at run time; the types above must have exactly these (checked
// by the compiler below) and docs/protocol.json too (protocol.test.ts).
export const CLIENT_MESSAGE_TYPES = [
  "hello",
  "push",
  "pull",
  "presence",
  "profile",
  "language",
  "run",
  "tests",
  "stdin",
  "stop",
  "ping",
  "control",
  "links",
  "remove",
  "history",
] as const;

export const SERVER_MESSAGE_TYPES = [
  "welcome",
  "updates",
  "snapshot",
  "error",
  "join",
  "leave",
  "profile",
  "presence",
  "language",
  "tests",
  "run",
  "pong",
  "control",
  "links",
  "history",
] as const;

export const PAD_ERROR_CODES = [
  "bad_json",
  "binary_frame",
  "bad_message",
  "unknown_type",
  "message_too_large",
  "not_joined",
  "already_joined",
  "bad_pad_id",
  "stale_version",
  "future_version",
  "invalid_changes",
  "length_mismatch",
  "split_surrogate",
  "invalid_utf8",
  "doc_too_large",
  "too_many_updates",
  "rate_limited",
  "bad_selection",
  "name_too_long",
  "bad_name",
  "bad_color",
  "bad_language",
  "bad_toolchain",
  "pad_full",
  "server_busy",
  "wrong_daemon",
  "run_in_progress",
  "no_run",
  "stdin_full",
  "no_tests",
  "tests_too_large",
  "no_language",
  "run_limited",
  "forbidden",
  "bad_link",
  "link_revoked",
  "removed",
  "no_pad",
  "create_forbidden",
  "pad_exists",
  "bad_template",
  "store_error",
] as const;

export type PadErrorCode = (typeof PAD_ERROR_CODES)[number];

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type ClientTypesListed = Assert<Same<ClientMessage["type"], (typeof CLIENT_MESSAGE_TYPES)[number]>>;
export type ServerTypesListed = Assert<Same<ServerMessage["type"], (typeof SERVER_MESSAGE_TYPES)[number]>>;
