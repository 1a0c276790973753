// The pad's tests as the Tests tab edits them: tests/testsModel's
// TestsState wired to the pad client (its `tests` messages out, the
// daemon's lists in) and to the view, with what the user is told when a
// test cannot be added or the tests cannot be sent for a tests run.
import type { PadClient } from "../lib/padClient";
import { normalizeTests, TestsState, type TestField } from "../tests/testsModel";
import type { Notify } from "./toasts";
import type { ViewAccess } from "./view";

export type TestsClient = Pick<PadClient, "sendTests">;

export interface PadTestsOptions {
  view: ViewAccess;
  client: () => TestsClient | null;
  notify: Notify;
}

export class PadTests {
  private readonly state: TestsState;

  constructor(private readonly opts: PadTestsOptions) {
    this.state = new TestsState({
      send: (msg) => this.opts.client()?.sendTests(msg.tests) ?? false,
      onChange: (t) => this.opts.view.patch({ tests: t.items, testsError: t.error }),
    });
  }

  // welcome.tests: whether the daemon keeps tests at all, and their list.
  welcome(raw: unknown): void {
    const tests = normalizeTests(raw);
    this.opts.view.patch({ testsSupported: tests !== null });
    if (tests) this.state.welcome(tests);
  }

  // A tests message, `by` whom.
  remote(raw: unknown, by: string | undefined): void {
    const tests = normalizeTests(raw);
    if (tests) this.state.remote(tests, !!by && by === this.opts.view.get().you);
  }

  // The daemon refused our list (tests_too_large).
  refused(): void {
    this.state.refused();
  }

  // Before a tests run: there are tests and the edits so far are sent;
  // says why not.
  readyToRun(): boolean {
    const v = this.opts.view.get();
    if (!v.tests.length) {
      this.opts.notify("Add a test first.", "info");
      return false;
    }
    if (!this.state.flush()) {
      this.opts.notify(
        v.testsError ?? this.state.error ?? "The tests could not be sent; try again when connected.",
        "error",
      );
      return false;
    }
    return true;
  }

  // A new empty test's key, or null (and the user told) when the pad is full.
  add(): string | null {
    const key = this.state.add();
    if (!key) this.opts.notify("A pad holds at most 64 tests.", "info");
    return key;
  }
  remove(key: string): void {
    this.state.remove(key);
  }
  edit(key: string, field: TestField, value: string): void {
    this.state.edit(key, field, value);
  }
  focus(key: string, field: TestField): void {
    this.state.setFocus(key, field);
  }
  blur(key: string, field: TestField): void {
    this.state.blur(key, field);
  }

  dispose(): void {
    this.state.dispose();
  }
}
