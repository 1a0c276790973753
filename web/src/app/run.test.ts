import { describe, it, expect, beforeEach } from "vitest";
import { EditorState } from "@codemirror/state";
import { createStore } from "../lib/store";
import type { RunEvent, RunInfo } from "../lib/protocol";
import type { EditorDiagnostic } from "../editor/diagnostics";
import { PadRun, type RunClient, type RunEditor } from "./run";
import { TerminalFeed } from "./terminal";
import { initialView, type PadView, type ViewAccess } from "./view";
import { abilities } from "./roles";
import { OPEN_CONTROLS } from "../lib/padClient";

// The client as the calls it was asked to make.
class FakeClient implements RunClient {
  calls: string[] = [];
  stdinOk = true;
  run() {
    this.calls.push("run");
    return true;
  }
  runTests() {
    this.calls.push("runTests");
    return true;
  }
  stopRun() {
    this.calls.push("stop");
    return true;
  }
  stdin(data: string, eof = false) {
    this.calls.push(`stdin ${JSON.stringify(data)}${eof ? " eof" : ""}`);
    return this.stdinOk;
  }
}

class FakeEditor implements RunEditor {
  ready = true;
  state = EditorState.create({ doc: "x = 1\nprint(y)\n" });
  diagnostics: EditorDiagnostic[][] = [];
  setDiagnostics(d: EditorDiagnostic[]) {
    this.diagnostics.push(d);
  }
}

const started = (over: Partial<RunEvent> = {}): RunEvent => ({
  event: "started",
  run: 7,
  by: "p1",
  name: "Ada",
  version: 3,
  language: "python",
  ...over,
});

const nameError = {
  verdict: "runtime_error",
  compile: null,
  run: {
    verdict: "runtime_error",
    diagnostics: [{ file: "main.py", line: 2, column: 7, severity: "error", message: "name 'y' is not defined" }],
  },
};

describe("PadRun", () => {
  let store: ReturnType<typeof createStore<PadView>>;
  let client: FakeClient;
  let editor: FakeEditor;
  let terminal: TerminalFeed;
  let screen: string;
  let toasts: string[];
  let runs: PadRun;

  beforeEach(() => {
    store = createStore(initialView("pad", "http://h/#pad"));
    const view: ViewAccess = { get: store.get, patch: (p) => store.set((v) => ({ ...v, ...p })) };
    view.patch({
      you: "p1",
      role: "editor",
      may: abilities("editor", OPEN_CONTROLS),
      language: "python",
      runtimes: [
        { language: "python", name: "Python", aliases: [], version: "3", mode: "python", source_file: "main.py" },
      ],
    });
    client = new FakeClient();
    editor = new FakeEditor();
    terminal = new TerminalFeed();
    screen = "";
    terminal.attach({ write: (s) => (screen += s), clear: () => (screen = "") });
    toasts = [];
    runs = new PadRun({
      view,
      client: () => client,
      editor: () => editor,
      terminal,
      notify: (t) => toasts.push(t),
      nameOf: (id) => ({ p1: "Ada", p2: "Grace" })[id] ?? null,
    });
  });

  it("folds run events into the view and writes them to the terminal", () => {
    runs.event(started({ by: "p2", name: undefined }));
    expect(store.get().run).toMatchObject({ run: 7, active: true, by: "p2", language: "python" });
    expect(screen).toContain("started by Grace");
    runs.event({ event: "stdout", data: "hi\n" });
    expect(store.get().run.output).toBe("hi\n");
    expect(screen).toContain("hi\n");
    runs.event({ event: "end", verdict: "accepted" });
    expect(store.get().run).toMatchObject({ active: false, ended: true, verdict: "accepted" });
    expect(store.get().testsRun).toBe(null);
  });

  it("starts a new run on a clean terminal, without the old diagnostics", () => {
    runs.event(started());
    runs.event({ event: "stdout", data: "first\n" });
    runs.event({ event: "end", verdict: "accepted" });
    runs.event(started({ run: 8 }));
    expect(screen).not.toContain("first");
    expect(editor.diagnostics[editor.diagnostics.length - 1]).toEqual([]);
  });

  it("underlines a result's diagnostics in the pad's own file", () => {
    runs.event(started());
    runs.event({ event: "result", result: nameError });
    const last = editor.diagnostics[editor.diagnostics.length - 1];
    expect(last).toEqual([{ from: 12, to: 13, severity: "error", message: "name 'y' is not defined" }]);
  });

  it("keeps the last tests run when a plain run follows", () => {
    runs.event(started({ tests: 2 }));
    runs.event({ event: "end", verdict: "wrong_answer" });
    const testsRun = store.get().testsRun;
    expect(testsRun).toMatchObject({ run: 7, tests: 2, verdict: "wrong_answer" });
    runs.event(started({ run: 8 }));
    expect(store.get().run.run).toBe(8);
    expect(store.get().testsRun).toBe(testsRun);
  });

  it("tells the user about a run error", () => {
    runs.event(started());
    runs.event({ event: "error", code: "runner_busy", message: "busy" });
    expect(toasts).toHaveLength(1);
    expect(toasts[0]).toMatch(/^Run: /);
  });

  it("sends typed lines to a running program and echoes them", () => {
    runs.terminalInput("ignored\r");
    expect(client.calls).toEqual([]);
    runs.event(started());
    runs.terminalInput("4");
    runs.terminalInput("2\r");
    expect(client.calls).toEqual(['stdin "42\\n"']);
    expect(screen.endsWith("42\r\n")).toBe(true);
    runs.terminalInput("\x04");
    expect(client.calls[client.calls.length - 1]).toBe('stdin "" eof');
  });

  it("forgets a half-typed line when a new run starts", () => {
    runs.event(started());
    runs.terminalInput("half");
    runs.event(started({ run: 8 }));
    runs.terminalInput("new\r");
    expect(client.calls).toEqual(['stdin "new\\n"']);
  });

  it("takes no typed input in a tests run", () => {
    runs.event(started({ tests: 1 }));
    runs.terminalInput("1\r");
    runs.sendLine("1");
    expect(client.calls).toEqual([]);
    expect(toasts).toEqual(["A tests run reads each test's input, not typed lines."]);
  });

  it("sends a line from the input box, echoing it only when it went", () => {
    runs.sendLine("early");
    expect(toasts).toEqual(["Nothing is running: press Run first."]);
    runs.event(started());
    screen = "";
    runs.sendLine("5 6");
    expect(client.calls).toEqual(['stdin "5 6\\n"']);
    expect(screen).toBe("5 6\r\n");
    client.stdinOk = false;
    runs.sendLine("lost");
    expect(screen).toBe("5 6\r\n");
  });

  it("starts a run only when none is going and there is a language", () => {
    runs.run();
    expect(client.calls).toEqual(["run"]);
    runs.event(started());
    runs.run();
    expect(toasts).toEqual(["A run is already in progress on this pad."]);
    runs.event({ event: "end", verdict: "accepted" });
    store.set((v) => ({ ...v, language: "" }));
    runs.run();
    expect(toasts[1]).toBe("Choose a language before running.");
    expect(client.calls).toEqual(["run"]);
    runs.stop();
    expect(client.calls).toEqual(["run", "stop"]);
  });

  it("asks whether the tests are ready only when a run may start", () => {
    let asked = 0;
    let ready = false;
    const isReady = () => {
      asked++;
      return ready;
    };
    runs.event(started());
    runs.runTests(isReady);
    expect(asked).toBe(0);
    runs.event({ event: "end", verdict: "accepted" });
    runs.runTests(isReady);
    expect(asked).toBe(1);
    expect(client.calls).toEqual([]);
    ready = true;
    runs.runTests(isReady);
    expect(client.calls).toEqual(["runTests"]);
  });

  it("redraws a welcome's run, with the stdin an earlier connection of ours typed", () => {
    screen = "stale";
    const info: RunInfo = {
      run: 3,
      by: "p1",
      name: "Ada",
      version: 1,
      language: "python",
      active: true,
      verdict: null,
      truncated: false,
      events: [started({ run: 3 }), { event: "stdin", by: "p1", data: "typed\n" }, { event: "stdout", data: "out\n" }],
    };
    runs.welcome(info);
    expect(store.get().run).toMatchObject({ run: 3, active: true });
    expect(screen).not.toContain("stale");
    expect(screen).toContain("typed\n");
    expect(screen).toContain("out\n");
    // typed on this connection: echoed as typed, not again
    runs.event({ event: "stdin", by: "p1", data: "again\n" });
    expect(screen).not.toContain("again");
  });
});
