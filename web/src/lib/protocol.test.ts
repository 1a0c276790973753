// The client against docs/protocol.json, the normative description of the
// pad protocol (the very file the daemon's tests read, not a copy): the
// messages PadClient builds validate, it handles every message the daemon
// sends, and protocol.ts lists the same types and error codes.
import { describe, it, expect, beforeEach, afterEach, vi } from "vitest";
import Ajv2020 from "ajv/dist/2020";
import { ChangeSet, EditorState, TransactionSpec } from "@codemirror/state";
import { collab } from "@codemirror/collab";
import desc from "../../../docs/protocol.json";
import { PadClient, DocHost, SocketLike, ClientEvent } from "./padClient";
import { CLIENT_MESSAGE_TYPES, PAD_ERROR_CODES, SERVER_MESSAGE_TYPES } from "./protocol";
import type { ClientMessage, UpdateJSON } from "./protocol";

type Sent<T extends ClientMessage["type"]> = Extract<ClientMessage, { type: T }>;
// The first message of type t the client sent (the test fails without one).
function first<T extends ClientMessage["type"]>(sent: ClientMessage[], t: T): Sent<T> {
  const m = sent.find((x): x is Sent<T> => x.type === t);
  if (!m) throw new Error(`no ${t} was sent`);
  return m;
}

type Schema = { $ref?: string; properties?: Record<string, { const?: string }>; const?: string; oneOf?: Schema[] };
const defs = desc.$defs as unknown as Record<string, Schema>;
const deref = (s: Schema): Schema => (s.$ref ? defs[s.$ref.replace("#/$defs/", "")] : s);
const branches = (def: string): Schema[] => (defs[def].oneOf ?? []).map(deref);
const typesOf = (def: string, key: string) => branches(def).map((b) => b.properties?.[key]?.const);
const branchOf = (def: string, type: string) => branches(def).find((b) => b.properties?.type?.const === type);

// x-maxBytes: the one keyword of the file beyond JSON Schema 2020-12
// strictTuples off: a section of changes is a tuple with an open tail
const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true, strictTuples: false });
ajv.addKeyword({
  keyword: "x-maxBytes",
  type: "string",
  schemaType: "number",
  validate: (max: number, data: string) => new TextEncoder().encode(data).length <= max,
});
ajv.addSchema(desc);
const validator = (def: string) => ajv.getSchema(`${desc.$id}#/$defs/${def}`)!;

// For a message, the errors are those of the schema of its type (a oneOf
// of every message says too much).
function expectValid(def: string, msg: unknown) {
  const v = validator(def);
  if (v(msg)) return;
  const side = { clientMessage: "client", serverMessage: "server" }[def];
  const type = (msg as { type?: unknown } | null)?.type;
  const own = side && typeof type === "string" ? ajv.getSchema(`${desc.$id}#/$defs/${side}.${type}`) : undefined;
  const errors = own && !own(msg) ? own.errors : v.errors;
  expect.fail(`${JSON.stringify(msg)}: ${ajv.errorsText(errors)}`);
}

describe("docs/protocol.json", () => {
  it("is a JSON Schema 2020-12 document whose examples are valid", () => {
    expect(desc.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    for (const [name, s] of Object.entries(defs)) {
      const examples = (s as { examples?: unknown[] }).examples ?? [];
      for (const ex of examples) expectValid(name, ex);
    }
  });

  it("has the message types and error codes of protocol.ts", () => {
    expect(typesOf("clientMessage", "type")).toEqual([...CLIENT_MESSAGE_TYPES]);
    expect(typesOf("serverMessage", "type")).toEqual([...SERVER_MESSAGE_TYPES]);
    expect(branches("errorCode").map((b) => b.const)).toEqual([...PAD_ERROR_CODES]);
  });
});

// ---------------------------------------------------------------- the client

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: ClientMessage[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  recv(msg: object) {
    expectValid("serverMessage", msg); // the test plays a daemon that keeps to the file
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }
}

class MemoryHost implements DocHost {
  state = EditorState.create({ doc: "" });
  dispatch(spec: TransactionSpec) {
    this.state = this.state.update(spec).state;
  }
  reset(doc: string, version: number, clientID: string) {
    this.state = EditorState.create({ doc, extensions: [collab({ startVersion: version, clientID })] });
  }
}

const limits = {
  doc_bytes: 524288,
  message_bytes: 1048576,
  updates_per_second: 100,
  update_burst: 5000,
  updates_per_push: 1000,
  participants: 32,
  name_bytes: 64,
};
const welcome = (over: object = {}) => ({
  type: "welcome",
  you: "p1",
  pad: "t",
  version: 0,
  doc: "abc",
  language: "python",
  variant: null,
  options: {},
  participants: [],
  run: null,
  tests: [],
  limits,
  role: "editor",
  controls: { title: "", locked: false, runs_locked: false, ended: false, playback: false },
  ...over,
});

let sockets: FakeSocket[];
let host: MemoryHost;
let client: PadClient;
let events: ClientEvent[];
const sock = () => sockets[sockets.length - 1];
const sentAll = () => sockets.flatMap((s) => s.sent);

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  host = new MemoryHost();
  events = [];
  client = new PadClient({
    url: "ws://x/ws/t",
    host,
    socket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    name: "Ada",
    color: "#e06c75",
  });
  client.on((e) => events.push(e));
  client.start();
  sock().open();
  sock().recv(welcome());
});

afterEach(() => {
  client.stop();
  vi.useRealTimers();
});

describe("PadClient and docs/protocol.json", () => {
  it("sends only described messages, and every kind of them", () => {
    host.dispatch({ changes: { from: 3, insert: "d" } });
    client.localChange({ main: 0, ranges: [{ anchor: 4, head: 4 }] });
    const push = first(sock().sent, "push");
    sock().recv({ type: "updates", version: 0, updates: push.updates });
    client.localChange({ main: 0, ranges: [{ anchor: 1, head: 3 }] }); // presence
    client.localChange(null);
    sock().recv({ type: "updates", version: 5, updates: [] }); // a gap: pull
    client.setProfile("Ada L.", "#61afef");
    client.setProfile(undefined, "#abc");
    client.setLanguage("python");
    client.setLanguage("c", { variant: "clang-15", options: { std: "c11", opt: "-O0" } });
    client.setLanguage("c", { variant: null, options: {} });
    client.run();
    client.runTests();
    client.sendTests([
      { name: "one", stdin: "1 2\n", expected_stdout: "3\n" },
      { stdin: "", expected_stdout: "" },
    ]);
    client.stdin("Ada\n");
    client.stdin("", true);
    client.stopRun();
    client.setControls({ locked: true });
    client.setControls({ title: "Two sum", ended: false, runs_locked: true, playback: true });
    client.rotateLink("candidate");
    client.revokeLink("observer");
    client.remove("p2");
    client.history(0);
    client.history(0, "notes");
    vi.advanceTimersByTime(25000); // ping
    sock().drop(); // and a hello with a version when it comes back
    vi.advanceTimersByTime(1000);
    sock().open();

    const sent = sentAll();
    for (const m of sent) expectValid("clientMessage", m);
    expect(sent.filter((m): m is Sent<"hello"> => m.type === "hello").map((m) => m.version)).toEqual([null, 1]);
    expect(new Set(sent.map((m) => m.type))).toEqual(new Set(CLIENT_MESSAGE_TYPES));
  });

  it("makes a pad, joins with a key and syncs the notes in described messages", () => {
    client.stop();
    sockets.length = 0;
    const notes = new MemoryHost();
    const links = { owner: "O".repeat(32), candidate: "C".repeat(32), observer: "V".repeat(32) };
    client = new PadClient({
      url: "ws://x/ws/t",
      createUrl: "ws://x/ws/new/t",
      create: { language: "python", title: "Two sum", secret: "s".repeat(16) },
      host,
      notesHost: notes,
      socket: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      name: "Grace",
    });
    client.start();
    sock().open();
    sock().recv(welcome({ role: "owner", links, notes: { version: 0, doc: "" } }));
    notes.dispatch({ changes: { from: 0, insert: "ask about\nedge cases" } });
    client.notesChange();
    const push = first(sock().sent, "push");
    expect(push.doc).toBe("notes");
    sock().recv({ type: "updates", doc: "notes", version: 0, updates: push.updates });
    sock().recv({ type: "updates", doc: "notes", version: 4, updates: [] }); // a gap: pull the notes
    sock().drop();
    vi.advanceTimersByTime(1000);
    sock().open(); // hello with the owner's key
    const sent = sentAll();
    for (const m of sent) expectValid("clientMessage", m);
    const hellos = sent.filter((m): m is Sent<"hello"> => m.type === "hello");
    expect(hellos.map((h) => [h.create ? "create" : "key", h.key ?? null])).toEqual([
      ["create", null],
      ["key", links.owner],
    ]);
    expect(first(sent, "pull")).toEqual({ type: "pull", version: 1, doc: "notes" });
  });

  it("pushes many updates within the described bounds", () => {
    for (let i = 0; i < 1500; i++) host.dispatch({ changes: { from: 0, insert: "x\ny" } });
    client.localChange();
    const push = first(sock().sent, "push");
    expect(push.updates.length).toBe(1000);
    expectValid("clientMessage", push);
  });

  // What each message the daemon sends does to the client; one entry per
  // described type, each message valid by the file (FakeSocket.recv).
  const peer = { id: "p2", name: "Bob", color: "#98c379" };
  const effects: Record<string, () => void> = {
    welcome: () => {
      expect(events.some((e) => e.kind === "welcome")).toBe(true);
    },
    updates: () => {
      const changes = ChangeSet.of({ from: 3, insert: "!" }, 3).toJSON() as UpdateJSON["changes"];
      sock().recv({ type: "updates", version: 0, updates: [{ clientID: "zz", changes }] });
      expect(host.state.doc.toString()).toBe("abc!");
    },
    snapshot: () => {
      sock().recv({ type: "snapshot", version: 9, doc: "new", reason: "catchup" });
      expect(host.state.doc.toString()).toBe("new");
      expect(client.version).toBe(9);
    },
    error: () => {
      sock().recv({ type: "error", code: "no_run", message: "nothing is running in this pad" });
      expect(events.some((e) => e.kind === "toast" && e.code === "no_run")).toBe(true);
    },
    join: () => {
      sock().recv({ type: "join", participant: peer });
      expect(events.some((e) => e.kind === "join" && e.participant.id === "p2")).toBe(true);
    },
    leave: () => {
      sock().recv({ type: "leave", id: "p2" });
      expect(events.some((e) => e.kind === "leave" && e.id === "p2")).toBe(true);
    },
    profile: () => {
      sock().recv({ type: "profile", participant: { ...peer, name: "Bo" } });
      expect(events.some((e) => e.kind === "profile" && e.participant.name === "Bo")).toBe(true);
    },
    presence: () => {
      sock().recv({ type: "presence", id: "p2", version: 0, selection: { main: 0, ranges: [{ anchor: 1, head: 2 }] } });
      const p = events.find((e) => e.kind === "presence");
      expect(p && p.kind === "presence" && p.selection.ranges).toEqual([{ anchor: 1, head: 2 }]);
    },
    language: () => {
      sock().recv({ type: "language", language: "c++", variant: "clang-16", options: { std: "c++17" }, by: "p2" });
      expect(
        events.some(
          (e) =>
            e.kind === "language" &&
            e.language === "c++" &&
            e.toolchain?.variant === "clang-16" &&
            e.toolchain.options.std === "c++17",
        ),
      ).toBe(true);
    },
    tests: () => {
      sock().recv({ type: "tests", tests: [{ stdin: "", expected_stdout: "1" }], by: "p2" });
      expect(events.some((e) => e.kind === "tests" && e.by === "p2")).toBe(true);
    },
    run: () => {
      sock().recv({ type: "run", event: { event: "stdout", stage: "run", data: "hi\n" } });
      expect(events.some((e) => e.kind === "run" && e.event.event === "stdout")).toBe(true);
    },
    control: () => {
      const controls = { title: "Two sum", locked: true, runs_locked: false, ended: false, playback: false };
      sock().recv({ type: "control", controls, by: "p2" });
      expect(client.controls).toEqual(controls);
      expect(events.some((e) => e.kind === "control" && e.by === "p2" && e.controls.locked)).toBe(true);
    },
    links: () => {
      sock().recv({ type: "links", role: "observer", key: null, by: "p2" });
      expect(events.some((e) => e.kind === "links" && e.role === "observer" && e.key === null)).toBe(true);
    },
    history: () => {
      sock().recv({ type: "history", doc: "pad", from: 0, head: 0, updates: [], more: false, events: [], runs: [] });
      expect(events.some((e) => e.kind === "history" && e.page.head === 0)).toBe(true);
    },
    pong: () => {
      vi.advanceTimersByTime(25000); // ping, and a 10 s wait for any answer
      expect(sock().sent.some((m) => m.type === "ping")).toBe(true);
      sock().recv({ type: "pong" });
      vi.advanceTimersByTime(10000);
      expect(sockets.length).toBe(1); // answered: no reconnect
    },
  };

  it("handles every message the daemon sends", () => {
    expect(Object.keys(effects).sort()).toEqual(typesOf("serverMessage", "type").sort());
  });

  for (const [type, effect] of Object.entries(effects)) {
    it(`handles ${type}`, () => {
      expect(branchOf("serverMessage", type), `${type} is described`).toBeDefined();
      effect();
    });
  }
});
