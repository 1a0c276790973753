// The pad's shared run as this page follows it: run events folded into the
// view (the last tests run kept apart), the terminal text, the diagnostics
// of a result in the editor, and what this page asks of a run: start it
// (once it may), stop it, feed it typed input.
import type { PadClient } from "../lib/padClient";
import type { RunEvent, RunInfo } from "../lib/protocol";
import type { EditorController } from "../editor/EditorController";
import { resultDiagnostics, toEditorDiagnostics } from "../editor/diagnostics";
import { foldRun, runErrorText, runFromWelcome, terminalText, type RunResult, type RunState } from "../run/runModel";
import { LineEditor } from "../run/lineEditor";
import type { TerminalFeed } from "./terminal";
import type { Notify } from "./toasts";
import type { PadView, ViewAccess } from "./view";

export type RunClient = Pick<PadClient, "run" | "runTests" | "stopRun" | "stdin">;
export type RunEditor = Pick<EditorController, "ready" | "state" | "setDiagnostics">;

export interface PadRunOptions {
  view: ViewAccess;
  client: () => RunClient | null;
  editor: () => RunEditor | null;
  terminal: TerminalFeed;
  notify: Notify;
  nameOf: (id: string) => string | null; // anyone met, for who started or stopped a run
}

// The view's run, and testsRun when it is a tests run.
function runPatch(run: RunState): Partial<PadView> {
  return { run, ...(run.tests !== null ? { testsRun: run } : {}) };
}

export class PadRun {
  private line = new LineEditor();

  constructor(private readonly opts: PadRunOptions) {}

  // welcome.run, after the welcome's `you` is in the view: the run so far,
  // its terminal text redrawn.
  welcome(info: RunInfo | null): void {
    const run = runFromWelcome(info);
    this.opts.view.patch(runPatch(run));
    this.redrawTerminal(info?.events ?? []);
    this.showDiagnostics(run.result);
  }

  event(ev: RunEvent): void {
    const { view, terminal } = this.opts;
    const run = foldRun(view.get().run, ev);
    view.patch(runPatch(run));
    if (ev.event === "started") {
      terminal.clear();
      this.line.buf = "";
      this.opts.editor()?.setDiagnostics([]);
    }
    terminal.write(terminalText(ev, view.get().you, this.opts.nameOf));
    if (ev.event === "result") this.showDiagnostics(run.result);
    if (ev.event === "error") this.opts.notify(`Run: ${runErrorText(ev)}`, "error");
  }

  // Keys typed in the terminal: echoed, sent a line at a time.
  terminalInput(data: string): void {
    const { run, may } = this.opts.view.get();
    if (!may.run || !run.active || run.tests !== null) return;
    const r = this.line.feed(data);
    if (r.echo) this.opts.terminal.write(r.echo);
    for (const l of r.lines) this.opts.client()?.stdin(l);
    if (r.eof) this.opts.client()?.stdin("", true);
  }

  // A line from the stdin input box.
  sendLine(text: string): void {
    const { run, may } = this.opts.view.get();
    if (!may.run) return;
    if (!run.active) {
      this.opts.notify("Nothing is running: press Run first.", "info");
      return;
    }
    if (run.tests !== null) {
      this.opts.notify("A tests run reads each test's input, not typed lines.", "info");
      return;
    }
    if (this.opts.client()?.stdin(text + "\n")) this.opts.terminal.write(text + "\r\n");
  }

  run(): void {
    if (this.mayRun()) this.opts.client()?.run();
  }

  // A tests run, if a run may start and `ready` (which says why not) agrees.
  runTests(ready: () => boolean): void {
    if (this.mayRun() && ready()) this.opts.client()?.runTests();
  }

  stop(): void {
    if (this.opts.view.get().may.run) this.opts.client()?.stopRun();
  }

  // Whether a run may start now; says why not.
  private mayRun(): boolean {
    const v = this.opts.view.get();
    if (!v.may.run) {
      this.opts.notify(
        v.role === "observer"
          ? "Observers cannot run the pad."
          : v.controls.ended
            ? "The interview has ended."
            : "Runs are locked by the interviewer.",
        "info",
      );
      return false;
    }
    if (v.run.active) {
      this.opts.notify("A run is already in progress on this pad.", "info");
      return false;
    }
    if (!v.language) {
      this.opts.notify("Choose a language before running.", "error");
      return false;
    }
    return true;
  }

  private showDiagnostics(result: RunResult | null): void {
    const editor = this.opts.editor();
    if (!editor?.ready) return;
    const v = this.opts.view.get();
    const rt = v.runtimes.find((r) => r.language === v.run.language);
    editor.setDiagnostics(toEditorDiagnostics(resultDiagnostics(result as never), editor.state.doc, rt?.source_file));
  }

  private redrawTerminal(events: RunEvent[]): void {
    this.opts.terminal.clear();
    const you = this.opts.view.get().you;
    // stdin of an earlier connection of ours was echoed then, but not in this terminal
    for (const ev of events)
      this.opts.terminal.write(terminalText(ev, ev.event === "stdin" ? null : you, this.opts.nameOf));
  }
}
