import { describe, it, expect, beforeEach, afterEach, vi } from "vitest";
import { createStore } from "../lib/store";
import type { TestCase } from "../lib/protocol";
import { PadTests, type TestsClient } from "./tests";
import { initialView, type PadView, type ViewAccess } from "./view";

class FakeClient implements TestsClient {
  connected = true;
  sent: Partial<TestCase>[][] = [];
  sendTests(tests: Partial<TestCase>[]) {
    if (!this.connected) return false;
    this.sent.push(JSON.parse(JSON.stringify(tests)) as Partial<TestCase>[]);
    return true;
  }
}

const T = (name: string, stdin = "", expected_stdout = ""): TestCase => ({ name, stdin, expected_stdout });

describe("PadTests", () => {
  let store: ReturnType<typeof createStore<PadView>>;
  let client: FakeClient;
  let toasts: string[];
  let tests: PadTests;
  const names = () => store.get().tests.map((t) => t.name);

  beforeEach(() => {
    vi.useFakeTimers();
    store = createStore(initialView("pad", "http://h/#pad"));
    store.set((v) => ({ ...v, you: "p1" }));
    const view: ViewAccess = { get: store.get, patch: (p) => store.set((v) => ({ ...v, ...p })) };
    client = new FakeClient();
    toasts = [];
    tests = new PadTests({ view, client: () => client, notify: (t) => toasts.push(t) });
  });
  afterEach(() => {
    tests.dispose();
    vi.useRealTimers();
  });

  it("knows from the welcome whether the daemon keeps tests", () => {
    tests.welcome(undefined);
    expect(store.get().testsSupported).toBe(false);
    tests.welcome([T("one", "1\n", "1\n"), { stdin: 5 }]);
    expect(store.get().testsSupported).toBe(true);
    expect(store.get().tests.map(({ name, stdin, expected_stdout }) => ({ name, stdin, expected_stdout }))).toEqual([
      T("one", "1\n", "1\n"),
      T(""),
    ]);
    expect(client.sent).toEqual([]);
  });

  it("sends an added test at once and typed text after the pause", () => {
    tests.welcome([]);
    const key = tests.add()!;
    expect(client.sent).toEqual([[{ stdin: "", expected_stdout: "" }]]);
    tests.focus(key, "name");
    tests.edit(key, "name", "sum");
    expect(client.sent).toHaveLength(1);
    vi.advanceTimersByTime(400);
    expect(client.sent[1]).toEqual([{ name: "sum", stdin: "", expected_stdout: "" }]);
    expect(names()).toEqual(["sum"]);
  });

  it("takes lists from the daemon, keeping the field being typed in", () => {
    tests.welcome([T("one")]);
    const key = store.get().tests[0].key;
    tests.focus(key, "name");
    tests.edit(key, "name", "one!");
    tests.remote([T("one"), T("two")], "p2");
    expect(names()).toEqual(["one!", "two"]);
    tests.blur(key, "name");
    expect(client.sent[client.sent.length - 1].map((t) => t.name)).toEqual(["one!", "two"]);
  });

  it("keeps sent text until the daemon echoes it back to this page", () => {
    tests.welcome([T("one")]);
    const key = store.get().tests[0].key;
    tests.edit(key, "name", "mine");
    vi.advanceTimersByTime(400);
    expect(client.sent).toEqual([[{ name: "mine", stdin: "", expected_stdout: "" }]]);
    tests.remote([T("one")], "p2"); // sent before ours reached the daemon
    expect(names()).toEqual(["mine"]);
    tests.remote([T("mine")], "p1"); // our echo
    tests.remote([T("theirs")], "p2");
    expect(names()).toEqual(["theirs"]);
  });

  it("ignores a tests message that is not a list", () => {
    tests.welcome([T("one")]);
    tests.remote({ not: "a list" }, "p2");
    expect(names()).toEqual(["one"]);
  });

  it("says when the pad holds as many tests as it can", () => {
    tests.welcome(Array.from({ length: 64 }, (_, i) => T(`t${i}`)));
    expect(tests.add()).toBe(null);
    expect(toasts).toEqual(["A pad holds at most 64 tests."]);
  });

  it("is ready for a tests run once there are tests and they are sent", () => {
    tests.welcome([]);
    expect(tests.readyToRun()).toBe(false);
    expect(toasts).toEqual(["Add a test first."]);
    const key = tests.add()!;
    tests.edit(key, "stdin", "2 3\n");
    client.connected = false;
    expect(tests.readyToRun()).toBe(false);
    expect(toasts[1]).toBe("The tests could not be sent; try again when connected.");
    client.connected = true;
    expect(tests.readyToRun()).toBe(true);
    expect(client.sent[client.sent.length - 1]).toEqual([{ stdin: "2 3\n", expected_stdout: "" }]);
  });

  it("says why tests too large for the daemon cannot run", () => {
    tests.welcome([]);
    const key = tests.add()!;
    tests.edit(key, "stdin", "x".repeat(64 * 1024 + 1));
    expect(store.get().testsError).toBeTruthy();
    expect(tests.readyToRun()).toBe(false);
    expect(toasts).toEqual([store.get().testsError]);
  });

  it("drops refused edits and takes the daemon's list again", () => {
    tests.welcome([T("one")]);
    const key = store.get().tests[0].key;
    tests.edit(key, "name", "changed");
    tests.refused();
    expect(names()).toEqual(["one"]);
    vi.advanceTimersByTime(1000);
    expect(client.sent).toEqual([]);
  });

  it("removes a test for everyone", () => {
    tests.welcome([T("one"), T("two")]);
    tests.remove(store.get().tests[0].key);
    expect(client.sent).toEqual([[T("two")]]);
    expect(names()).toEqual(["two"]);
  });
});
