import { describe, it, expect, beforeEach, afterEach, vi } from "vitest";
import { ChangeSet, EditorState } from "@codemirror/state";
import { PadClient, ClientEvent } from "./padClient";
import { FakeSocket, MemoryHost, type Sent } from "./testFakes";

const welcome = (over: object = {}) => ({
  type: "welcome",
  you: "p1",
  pad: "t",
  version: 0,
  doc: "",
  language: "python",
  participants: [],
  run: null,
  limits: { updates_per_push: 1000 },
  ...over,
});

function lcg() {
  let x = 42;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

let sockets: FakeSocket[];
let host: MemoryHost;
let client: PadClient;
let events: ClientEvent[];
const sock = () => sockets[sockets.length - 1];

function edit(from: number, to: number, insert: string) {
  host.type(from, to, insert);
  client.localChange();
}

// what the daemon broadcasts back for a push
function ack(s: FakeSocket, push: Sent<"push">) {
  s.recv({ type: "updates", version: push.version, updates: push.updates });
}

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  host = new MemoryHost();
  events = [];
  client = new PadClient({
    url: "ws://x/ws/t",
    host,
    socket: (u) => {
      const s = new FakeSocket(u);
      sockets.push(s);
      return s;
    },
    name: "Ada",
    random: lcg(),
  });
  client.on((e) => events.push(e));
  client.start();
});

afterEach(() => {
  client.stop();
  vi.useRealTimers();
});

describe("PadClient", () => {
  it("says hello without a version first, then takes the snapshot", () => {
    sock().open();
    expect(sock().sent[0]).toEqual({ type: "hello", version: null, name: "Ada" });
    sock().recv(welcome({ version: 41, doc: "print(1)\n" }));
    expect(host.text).toBe("print(1)\n");
    expect(client.version).toBe(41);
    expect(client.connState).toBe("connected");
    expect(events.some((e) => e.kind === "welcome")).toBe(true);
  });

  it("pushes one batch at a time and confirms on the broadcast", () => {
    sock().open();
    sock().recv(welcome({ version: 3, doc: "abc" }));
    edit(3, 3, "d");
    const p1 = sock().last("push");
    expect(p1.version).toBe(3);
    expect(p1.updates).toHaveLength(1);
    edit(4, 4, "e");
    expect(sock().all("push")).toHaveLength(1); // one in flight
    ack(sock(), p1);
    expect(client.version).toBe(4);
    const p2 = sock().last("push");
    expect(p2.version).toBe(4);
    ack(sock(), p2);
    expect(client.version).toBe(5);
    expect(client.unconfirmed).toBe(0);
    expect(host.text).toBe("abcde");
  });

  // The daemon rebases a push over one accepted update at a time; a client
  // with unconfirmed changes must map them the same way, also when one
  // message brings several updates.  Mapped over the composition of the
  // two, "bab" would land before "ba" ("ababbabc"); over each in turn,
  // after it, as the daemon puts it.
  it("maps unconfirmed changes over remote updates one at a time", () => {
    sock().open();
    sock().recv(welcome({ version: 0, doc: "acbbc" }));
    edit(2, 2, "bab");
    const p = sock().last("push");
    sock().recv({
      type: "updates",
      version: 0,
      updates: [
        { clientID: "c0", changes: [1, [2], 2] },
        { clientID: "c1", changes: [1, [0, "ba"], 2] },
      ],
    });
    expect(host.text).toBe("abababbc");
    // the daemon's rebase of the push: the same text
    sock().recv({
      type: "updates",
      version: 2,
      updates: [{ clientID: p.updates[0].clientID, changes: [3, [0, "bab"], 2] }],
    });
    expect(client.unconfirmed).toBe(0);
    expect(host.text).toBe("abababbc");
  });

  it("after stale_version waits for the broadcast, then pushes rebased", () => {
    sock().open();
    sock().recv(welcome({ version: 0, doc: "hello" }));
    edit(5, 5, "!");
    const p = sock().last("push");
    sock().recv({ type: "error", code: "stale_version", message: "stale", ref: p.ref, head: 1 });
    expect(sock().all("push")).toHaveLength(1);
    // someone else's insert at the start
    sock().recv({
      type: "updates",
      version: 0,
      updates: [{ clientID: "other", changes: ChangeSet.of({ from: 0, insert: ">" }, 5).toJSON() as unknown }],
    });
    expect(host.text).toBe(">hello!");
    const p2 = sock().last("push");
    expect(p2.version).toBe(1);
    expect(
      ChangeSet.fromJSON(p2.updates[0].changes)
        .apply(EditorState.create({ doc: ">hello" }).doc)
        .toString(),
    ).toBe(">hello!");
  });

  it("pulls when the broadcast after stale_version does not come", () => {
    sock().open();
    sock().recv(welcome({ version: 0, doc: "x" }));
    edit(0, 0, "a");
    const p = sock().last("push");
    sock().recv({ type: "error", code: "stale_version", message: "stale", ref: p.ref, head: 2 });
    vi.advanceTimersByTime(600);
    expect(sock().last("pull")).toEqual({ type: "pull", version: 0 });
  });

  it("pulls on a gap in the updates", () => {
    sock().open();
    sock().recv(welcome({ version: 5, doc: "x" }));
    sock().recv({ type: "updates", version: 7, updates: [{ clientID: "o", changes: [1, [0, "y"]] }] });
    expect(sock().last("pull")).toEqual({ type: "pull", version: 5 });
    expect(client.version).toBe(5);
  });

  it("keeps typing offline and reconnects with hello {version}, then pushes", () => {
    sock().open();
    sock().recv(welcome({ version: 2, doc: "ab" }));
    const first = sock();
    first.drop();
    expect(client.connState).toBe("reconnecting");
    edit(2, 2, "c"); // offline
    expect(first.all("push")).toHaveLength(0);
    vi.advanceTimersByTime(300);
    expect(sockets).toHaveLength(2);
    sock().open();
    expect(sock().sent[0]).toMatchObject({ type: "hello", version: 2 });
    // someone typed at the start meanwhile
    sock().recv(welcome({ version: 3, doc: undefined, from: 2, updates: [{ clientID: "o", changes: [[0, "X"], 2] }] }));
    expect(host.text).toBe("Xabc");
    const p = sock().last("push");
    expect(p.version).toBe(3);
  });

  it("backs off exponentially and goes offline after a few failures", () => {
    for (let i = 0; i < 4; i++) {
      sock().drop();
      vi.advanceTimersByTime(10000);
    }
    expect(sockets.length).toBe(5);
    sock().drop();
    expect(client.connState).toBe("offline");
  });

  it("re-applies local unconfirmed text onto a snapshot", () => {
    sock().open();
    sock().recv(welcome({ version: 1, doc: "one\ntwo\n" }));
    edit(8, 8, "three\n");
    const p = sock().last("push");
    expect(p).toBeTruthy();
    // slow reader: someone changed line one meanwhile
    sock().recv({ type: "snapshot", version: 9, doc: "ONE\ntwo\n", reason: "slow_reader" });
    expect(host.text).toBe("ONE\ntwo\nthree\n");
    expect(client.version).toBe(9);
    const p2 = sock().last("push");
    expect(p2.version).toBe(9);
    expect(p2.updates[0].clientID).not.toBe(p.updates[0].clientID);
  });

  it("resets to a fresh snapshot after a refused change, with a toast", () => {
    sock().open();
    sock().recv(welcome({ version: 1, doc: "small" }));
    edit(5, 5, "x".repeat(100));
    const p = sock().last("push");
    sock().recv({ type: "error", code: "doc_too_large", message: "document would exceed 512 KiB", ref: p.ref });
    expect(events.some((e) => e.kind === "toast" && /512 KiB/.test(e.text))).toBe(true);
    expect(sockets).toHaveLength(2);
    sock().open();
    expect(sock().sent[0]).toMatchObject({ type: "hello", version: null });
    sock().recv(welcome({ version: 1, doc: "small" }));
    expect(host.text).toBe("small");
    expect(client.unconfirmed).toBe(0);
  });

  it("retries after rate_limited without losing text", () => {
    sock().open();
    sock().recv(welcome({ version: 0, doc: "" }));
    edit(0, 0, "a");
    const p = sock().last("push");
    sock().recv({ type: "error", code: "rate_limited", message: "slow down", ref: p.ref, retry_after_ms: 100 });
    expect(sock().all("push")).toHaveLength(1);
    vi.advanceTimersByTime(150);
    expect(sock().all("push")).toHaveLength(2);
    expect(host.text).toBe("a");
  });

  it("pings every 25 s and reconnects when nothing answers", () => {
    sock().open();
    sock().recv(welcome({ version: 0, doc: "" }));
    vi.advanceTimersByTime(25000);
    expect(sock().last("ping")).toEqual({ type: "ping" });
    vi.advanceTimersByTime(10001);
    expect(client.connState).not.toBe("connected");
    vi.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(2);
  });

  it("sends presence only when nothing is unconfirmed", () => {
    sock().open();
    sock().recv(welcome({ version: 0, doc: "abc" }));
    client.localChange({ main: 0, ranges: [{ anchor: 1, head: 2 }] });
    expect(sock().last("presence")).toEqual({
      type: "presence",
      version: 0,
      selection: { main: 0, ranges: [{ anchor: 1, head: 2 }] },
    });
    host.type(0, 0, "z");
    client.localChange({ main: 0, ranges: [{ anchor: 1, head: 1 }] });
    expect(sock().all("presence")).toHaveLength(1);
    ack(sock(), sock().last("push"));
    expect(sock().last("presence")).toMatchObject({ version: 1, selection: { ranges: [{ anchor: 1, head: 1 }] } });
  });

  it("maps a remote selection from an older version to the local document", () => {
    sock().open();
    sock().recv(welcome({ version: 0, doc: "abc" }));
    sock().recv({ type: "updates", version: 0, updates: [{ clientID: "o", changes: [[0, "12"], 3] }] });
    sock().recv({ type: "presence", id: "p2", version: 0, selection: { main: 0, ranges: [{ anchor: 3, head: 3 }] } });
    const e = events.filter((x) => x.kind === "presence").pop();
    expect(e?.selection).toEqual({ id: "p2", ranges: [{ anchor: 5, head: 5 }] });
  });

  it("keeps the text and retries when the pad's daemon is elsewhere (4421)", () => {
    sock().open();
    sock().recv(welcome({ version: 3, doc: "abc" }));
    edit(3, 3, "d");
    const first = sock();
    // the daemon moved the pad away: error, then close 4421
    first.recv({
      type: "error",
      code: "wrong_daemon",
      message: "pad is served by another daemon; reconnect through the proxy",
    });
    first.drop(4421);
    expect(client.connState).toBe("reconnecting");
    expect(host.text).toBe("abcd");
    const toasts = events.filter((e) => e.kind === "toast");
    expect(toasts).toHaveLength(1);
    expect(toasts[0]).toMatchObject({ code: "wrong_daemon", text: "This pad's server is unavailable; retrying." });
    // refused again and again: still reconnecting, never offline, one toast
    for (let i = 0; i < 6; i++) {
      vi.advanceTimersByTime(20000);
      sock().open();
      sock().recv({ type: "error", code: "wrong_daemon", message: "x" });
      sock().drop(4421);
      expect(client.connState).toBe("reconnecting");
    }
    expect(events.filter((e) => e.kind === "toast")).toHaveLength(1);
    expect(events.some((e) => e.kind === "fatal")).toBe(false);
    // the owner is back: hello with our version, the local edit is pushed
    vi.advanceTimersByTime(20000);
    sock().open();
    expect(sock().last("hello")).toMatchObject({ version: 3 });
    sock().recv(welcome({ version: 3, doc: "abc", updates: [] }));
    expect(client.connState).toBe("connected");
    expect(host.text).toBe("abcd");
    expect(sock().last("push")).toMatchObject({ version: 3 });
  });

  it("stops for good on a bad pad id", () => {
    sock().open();
    sock().drop(4400);
    vi.advanceTimersByTime(20000);
    expect(sockets).toHaveLength(1);
    expect(events.some((e) => e.kind === "fatal")).toBe(true);
  });
});
