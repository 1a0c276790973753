// The pad client and roles: links and keys in the hello, making a pad,
// the controls, the links messages, the notes as a second document on the
// same socket, refusals, and the closes after which it does not reconnect.
import { describe, it, expect, beforeEach, afterEach, vi } from "vitest";
import { PadClient, ClientEvent, type PadClientOptions } from "./padClient";
import { FakeSocket, MemoryHost } from "./testFakes";

const KEY_O = "O".repeat(32);
const KEY_C = "C".repeat(32);
const KEY_V = "V".repeat(32);
const controls = { title: "", locked: false, runs_locked: false, ended: false, playback: false };

const welcome = (over: object = {}) => ({
  type: "welcome",
  you: "p1",
  pad: "t",
  version: 0,
  doc: "",
  language: "python",
  participants: [],
  run: null,
  tests: [],
  limits: { updates_per_push: 1000 },
  role: "owner",
  controls,
  notes: { version: 0, doc: "" },
  ...over,
});

function lcg() {
  let x = 7;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

let sockets: FakeSocket[];
let host: MemoryHost;
let notes: MemoryHost;
let client: PadClient;
let events: ClientEvent[];
const sock = () => sockets[sockets.length - 1];

function make(over: Partial<PadClientOptions> = {}) {
  client?.stop();
  sockets = [];
  host = new MemoryHost();
  notes = new MemoryHost();
  events = [];
  client = new PadClient({
    url: "ws://x/ws/t",
    createUrl: "ws://x/ws/new/t",
    host,
    notesHost: notes,
    socket: (u) => {
      const s = new FakeSocket(u);
      sockets.push(s);
      return s;
    },
    name: "Grace",
    random: lcg(),
    ...over,
  });
  client.on((e) => events.push(e));
  client.start();
}

const fatal = () => events.filter((e) => e.kind === "fatal");
const toasts = () => events.filter((e): e is Extract<ClientEvent, { kind: "toast" }> => e.kind === "toast");

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  client.stop();
  vi.useRealTimers();
});

describe("PadClient: links and making a pad", () => {
  it("joins with the link's key", () => {
    make({ key: KEY_C });
    sock().open();
    expect(sock().url).toBe("ws://x/ws/t");
    expect(sock().sent[0]).toEqual({ type: "hello", version: null, name: "Grace", key: KEY_C });
  });

  it("joins an open pad without a key", () => {
    make();
    sock().open();
    expect(sock().sent[0]).toEqual({ type: "hello", version: null, name: "Grace" });
  });

  it("makes the pad at ws/new/, then rejoins with the owner's key", () => {
    make({ create: { language: "python", title: "Two sum", secret: "s3cret" } });
    expect(sock().url).toBe("ws://x/ws/new/t");
    sock().open();
    expect(sock().sent[0]).toEqual({
      type: "hello",
      version: null,
      name: "Grace",
      create: { language: "python", title: "Two sum", secret: "s3cret" },
    });
    const links = { owner: KEY_O, candidate: KEY_C, observer: KEY_V };
    sock().recv(welcome({ links }));
    expect(events.find((e) => e.kind === "created")).toEqual({ kind: "created", links });
    expect(client.key).toBe(KEY_O);
    // a reconnection joins (ws/<pad>, the key), never makes it again
    sock().drop();
    vi.advanceTimersByTime(500);
    expect(sock().url).toBe("ws://x/ws/t");
    sock().open();
    expect(sock().sent[0]).toEqual({ type: "hello", version: 0, name: "Grace", key: KEY_O });
  });

  it("ends when the creation secret is refused (4401), saying why", () => {
    make({ create: { language: "python" } });
    sock().open();
    sock().recv({ type: "error", code: "create_forbidden", message: "this server makes pads only with its secret" });
    sock().drop(4401);
    vi.advanceTimersByTime(30000);
    expect(sockets).toHaveLength(1);
    expect(toasts()).toEqual([]); // the close says it
    expect(fatal()).toEqual([
      {
        kind: "fatal",
        code: 4401,
        error: "create_forbidden",
        text: "Making a pad on this server needs its creation secret.",
      },
    ]);
    expect(client.connState).toBe("offline");
  });

  it("ends on an unknown template", () => {
    make({ create: { template: "nope" } });
    sock().open();
    sock().recv({ type: "error", code: "bad_template", message: "no template nope" });
    vi.advanceTimersByTime(30000);
    expect(sockets).toHaveLength(1);
    expect(fatal()[0]).toMatchObject({
      error: "bad_template",
      text: "The server has no such template; pick another one.",
    });
  });
});

describe("PadClient: closes it does not come back from", () => {
  const cases: [number, string, string][] = [
    [4403, "bad_link", "The link was mistyped, or the interviewer replaced or withdrew it."],
    [4403, "link_revoked", "The interviewer replaced or withdrew the link this page joined with."],
    [4408, "removed", "The interviewer closed your connection to this pad."],
    [4404, "no_pad", "There is no pad at this link, and this server makes pads only for interviewers."],
    [4409, "pad_exists", "A pad with this id exists already; make the new pad again."],
  ];
  for (const [code, error, text] of cases) {
    it(`${code} after ${error}`, () => {
      make({ key: KEY_C });
      sock().open();
      sock().recv(welcome({ role: "candidate", notes: undefined }));
      sock().recv({ type: "error", code: error, message: "x" });
      sock().drop(code);
      vi.advanceTimersByTime(60000);
      expect(sockets).toHaveLength(1);
      expect(fatal()).toEqual([{ kind: "fatal", code, error, text }]);
      expect(toasts()).toEqual([]);
      expect(client.connState).toBe("offline");
    });
  }

  it("still reconnects after an ordinary drop", () => {
    make({ key: KEY_C });
    sock().open();
    sock().recv(welcome({ role: "candidate", notes: undefined }));
    sock().drop(1006);
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(2);
    expect(fatal()).toEqual([]);
  });
});

describe("PadClient: roles and controls", () => {
  it("takes the role and the controls from the welcome, and follows control broadcasts", () => {
    make({ key: KEY_C });
    sock().open();
    sock().recv(welcome({ role: "candidate", notes: undefined, controls: { ...controls, title: "Two sum" } }));
    expect(client.role).toBe("candidate");
    expect(client.controls.title).toBe("Two sum");
    const next = { ...controls, title: "Two sum", locked: true };
    sock().recv({ type: "control", controls: next, by: "p2" });
    expect(client.controls).toEqual(next);
    expect(events.filter((e) => e.kind === "control")).toEqual([{ kind: "control", controls: next, by: "p2" }]);
  });

  it("is an editor with open controls with a daemon older than roles", () => {
    make();
    sock().open();
    sock().recv(welcome({ role: undefined, controls: undefined, notes: undefined }));
    expect(client.role).toBe("editor");
    expect(client.controls).toEqual(controls);
  });

  it("sends no presence as an observer", () => {
    make({ key: KEY_V });
    sock().open();
    sock().recv(welcome({ role: "observer", notes: undefined, doc: "abc" }));
    client.localChange({ main: 0, ranges: [{ anchor: 1, head: 1 }] });
    expect(sock().all("presence")).toEqual([]);
  });

  it("sends the owner's requests", () => {
    make({ key: KEY_O });
    sock().open();
    sock().recv(welcome());
    client.setControls({ locked: true });
    client.setControls({ title: "Two sum" });
    client.rotateLink("candidate");
    client.revokeLink("observer");
    client.remove("p4");
    expect(sock().sent.slice(1)).toEqual([
      { type: "control", locked: true },
      { type: "control", title: "Two sum" },
      { type: "links", rotate: "candidate" },
      { type: "links", revoke: "observer" },
      { type: "remove", id: "p4" },
    ]);
  });

  it("passes links messages on", () => {
    make({ key: KEY_O });
    sock().open();
    sock().recv(welcome());
    sock().recv({ type: "links", role: "candidate", key: KEY_C, by: "p1" });
    sock().recv({ type: "links", role: "observer", key: null, by: "p3" });
    expect(events.filter((e) => e.kind === "links")).toEqual([
      { kind: "links", role: "candidate", key: KEY_C, by: "p1" },
      { kind: "links", role: "observer", key: null, by: "p3" },
    ]);
  });

  it("names what was refused, and keeps the socket", () => {
    make({ key: KEY_V });
    sock().open();
    sock().recv(welcome({ role: "observer", notes: undefined }));
    sock().recv({ type: "error", code: "forbidden", message: "observers cannot run this pad" });
    expect(toasts().map((t) => t.text)).toEqual(["Not allowed: observers cannot run this pad."]);
    expect(sockets).toHaveLength(1);
    expect(client.connected).toBe(true);
  });

  it("drops a push the role may not make and reloads the pad's text", () => {
    make({ key: KEY_C });
    sock().open();
    sock().recv(welcome({ role: "candidate", notes: undefined, doc: "abc", version: 3 }));
    host.type(3, 3, "!");
    client.localChange();
    const p = sock().last("push");
    // the owner locked the pad meanwhile
    sock().recv({ type: "error", code: "forbidden", message: "the pad is locked", ref: p.ref });
    expect(toasts().map((t) => t.text)).toEqual(["Not allowed: the pad is locked."]);
    expect(sockets).toHaveLength(2);
    sock().open();
    expect(sock().sent[0]).toMatchObject({ type: "hello", version: null, key: KEY_C });
    sock().recv(welcome({ role: "candidate", notes: undefined, doc: "abc", version: 3 }));
    expect(host.text).toBe("abc");
    expect(client.unconfirmed).toBe(0);
  });
});

describe("PadClient: the notes", () => {
  beforeEach(() => {
    make({ key: KEY_O });
    sock().open();
    sock().recv(welcome({ doc: "pad text", version: 2, notes: { version: 5, doc: "ask about tests" } }));
  });

  it("loads the notes from an owner's welcome", () => {
    expect(notes.text).toBe("ask about tests");
    expect(client.notesVersion).toBe(5);
    expect(host.text).toBe("pad text");
    expect(events.some((e) => e.kind === "notes" && e.version === 5)).toBe(true);
  });

  it("pushes notes edits with doc notes, apart from the pad's", () => {
    notes.type(0, 0, "1. ");
    client.notesChange();
    host.type(0, 0, "# ");
    client.localChange();
    const pushes = sock().all("push");
    expect(pushes).toHaveLength(2);
    const [n, p] = pushes;
    expect(n).toMatchObject({ type: "push", doc: "notes", version: 5 });
    expect(p.doc).toBeUndefined();
    expect(p.version).toBe(2);
    expect(n.ref).not.toBe(p.ref);
    // each broadcast confirms its own document
    sock().recv({ type: "updates", doc: "notes", version: 5, updates: n.updates });
    expect(client.notesVersion).toBe(6);
    expect(client.version).toBe(2);
    sock().recv({ type: "updates", version: 2, updates: p.updates });
    expect(client.version).toBe(3);
    expect(notes.text).toBe("1. ask about tests");
    expect(host.text).toBe("# pad text");
  });

  it("applies another owner's notes updates, and pulls the notes on a gap", () => {
    sock().recv({ type: "updates", doc: "notes", version: 5, updates: [{ clientID: "o", changes: [15, [0, "!"]] }] });
    expect(notes.text).toBe("ask about tests!");
    sock().recv({ type: "updates", doc: "notes", version: 9, updates: [{ clientID: "o", changes: [16, [0, "?"]] }] });
    expect(sock().last("pull")).toEqual({ type: "pull", doc: "notes", version: 6 });
    expect(host.text).toBe("pad text");
  });

  it("resyncs both documents after a reconnection, keeping local edits of each", () => {
    sock().drop();
    notes.type(0, 0, "Q: ");
    client.notesChange();
    host.type(8, 8, ";");
    client.localChange();
    vi.advanceTimersByTime(500);
    sock().open();
    expect(sock().sent[0]).toMatchObject({ type: "hello", version: 2, key: KEY_O });
    // meanwhile another owner wrote in the notes and someone typed in the pad
    sock().recv(
      welcome({
        doc: undefined,
        from: 2,
        updates: [{ clientID: "x", changes: [[0, ">"], 8] }],
        version: 3,
        notes: { version: 6, doc: "ask about tests\nand edge cases" },
      }),
    );
    expect(host.text).toBe(">pad text;");
    expect(notes.text).toBe("Q: ask about tests\nand edge cases");
    const pushes = sock().all("push");
    expect(pushes.map((p) => [p.doc ?? "pad", p.version])).toEqual([
      ["pad", 3],
      ["notes", 6],
    ]);
  });

  it("reloads the notes alone after a refused notes push", () => {
    host.type(0, 0, "x");
    client.localChange();
    notes.type(0, 0, "y".repeat(10));
    client.notesChange();
    const n = sock()
      .all("push")
      .find((p) => p.doc === "notes")!;
    sock().recv({ type: "error", code: "doc_too_large", message: "document would exceed 512 KiB", ref: n.ref });
    expect(sockets).toHaveLength(2);
    sock().open();
    // the pad's unconfirmed edit is kept: hello with its version
    expect(sock().sent[0]).toMatchObject({ type: "hello", version: 2 });
    sock().recv(
      welcome({ doc: undefined, from: 2, updates: [], version: 2, notes: { version: 5, doc: "ask about tests" } }),
    );
    expect(notes.text).toBe("ask about tests");
    expect(host.text).toBe("xpad text");
  });

  it("takes a snapshot of the notes apart from the pad's, rebasing local notes edits", () => {
    notes.type(0, 0, "Q: ");
    client.notesChange();
    sock().recv({ type: "snapshot", notes: true, version: 9, doc: "ASK about tests", reason: "slow_reader" });
    expect(notes.text).toBe("Q: ASK about tests");
    expect(client.notesVersion).toBe(9);
    expect(host.text).toBe("pad text");
    expect(client.version).toBe(2);
    expect(sock().all("push").pop()).toMatchObject({ doc: "notes", version: 9 });
    sock().recv({ type: "snapshot", version: 4, doc: "PAD", reason: "slow_reader" });
    expect(host.text).toBe("PAD");
    expect(notes.text).toBe("Q: ASK about tests");
  });

  it("ignores notes for a page that has no notes host", () => {
    make({ key: KEY_C, notesHost: undefined });
    sock().open();
    sock().recv(welcome({ role: "candidate", notes: undefined, doc: "abc" }));
    sock().recv({ type: "updates", doc: "notes", version: 0, updates: [{ clientID: "o", changes: [[0, "secret"]] }] });
    expect(host.text).toBe("abc");
    expect(client.notesVersion).toBeNull();
  });
});
