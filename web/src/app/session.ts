// One pad open in this page: the pad client, the editor, the run and the
// people, as stores the components draw.  Everything the page does lives
// here or in lib/, editor/, presence/ and run/; components only draw and
// forward clicks.
import { createStore, Store } from "../lib/store";
import { PadClient, ClientEvent, ConnState, SocketLike } from "../lib/padClient";
import { fetchRuntimes, Runtime } from "../lib/api";
import { padLink, padSocketUrl } from "../lib/padId";
import { loadSettings, saveSettings, Settings, cleanName } from "../lib/settings";
import type { Participant, RunEvent } from "../lib/protocol";
import { EditorController } from "../editor/EditorController";
import { loadMode, modeOfLanguage } from "../editor/languages";
import { resultDiagnostics, toEditorDiagnostics } from "../editor/diagnostics";
import { emptyRun, foldRun, runErrorText, runFromWelcome, RunState, terminalText, RunResult } from "../run/runModel";
import { LineEditor } from "../run/lineEditor";
import { LocalTest, normalizeTests, TestField, TestsState } from "../tests/testsModel";

export interface Person {
  id: string;
  name: string;
  color: string;
  you: boolean;
}

export interface PadView {
  padId: string;
  link: string;
  connection: ConnState;
  you: string | null;
  people: Person[];
  language: string;
  version: number | null;
  run: RunState;
  runtimes: Runtime[];
  runtimesError: string | null;
  fatal: string | null;
  ready: boolean;
  tests: LocalTest[]; // the pad's tests as this page edits them
  testsError: string | null; // why the tests cannot be sent as they are
  testsSupported: boolean; // the daemon keeps tests (welcome.tests)
  testsRun: RunState | null; // the last run with tests (a later plain run keeps it)
}

export interface Toast {
  id: number;
  text: string;
  level: "info" | "error";
}

export interface TermSink {
  write(s: string): void;
  clear(): void;
}

const TERM_BUFFER_MAX = 2 * 1024 * 1024;

export class Session {
  readonly view: Store<PadView>;
  readonly toasts = createStore<Toast[]>([]);
  readonly settings: Store<Settings>;
  readonly dark = createStore(false);
  editor: EditorController | null = null;
  client: PadClient | null = null;

  private people = new Map<string, Person>();
  private seen = new Map<string, string>(); // every id met → name, for old run events
  private termBuffer = "";
  private sinks = new Set<TermSink>();
  private line = new LineEditor();
  private toastId = 0;
  private modeSeq = 0;
  private wantDefaultLanguage = false;
  private media: MediaQueryList | null = null;
  private cleanup: (() => void)[] = [];

  constructor(readonly padId: string) {
    this.settings = createStore(loadSettings());
    this.view = createStore<PadView>({
      padId,
      link: padLink(padId, location.href),
      connection: "reconnecting",
      you: null,
      people: [],
      language: "",
      version: null,
      run: emptyRun,
      runtimes: [],
      runtimesError: null,
      fatal: null,
      ready: false,
      tests: [],
      testsError: null,
      testsSupported: false,
      testsRun: null,
    });
    this.tests = new TestsState({
      send: (msg) => this.client?.sendTests(msg.tests) ?? false,
      onChange: (t) => this.patch({ tests: t.items, testsError: t.error }),
    });
  }

  readonly tests: TestsState;

  private patch(p: Partial<PadView>): void {
    this.view.set((v) => ({ ...v, ...p }));
  }

  // ------------------------------------------------------------ lifecycle

  mount(
    parent: HTMLElement,
    socket: (url: string) => SocketLike = (url) => new WebSocket(url) as unknown as SocketLike,
  ): void {
    const s = this.settings.get();
    this.editor = new EditorController(parent, {
      onLocal: (sel) => this.client?.localChange(sel),
      onRun: () => this.run(),
    });
    this.applySettings(s, null);
    this.client = new PadClient({
      url: padSocketUrl(this.padId, location.href),
      host: this.editor,
      socket,
      name: s.name,
      color: s.color,
    });
    this.cleanup.push(this.client.on((e) => this.onClient(e)));
    this.client.start();

    const online = () => this.client?.retryNow();
    window.addEventListener("online", online);
    this.cleanup.push(() => window.removeEventListener("online", online));
    const offline = () => this.client?.networkLost();
    window.addEventListener("offline", offline);
    this.cleanup.push(() => window.removeEventListener("offline", offline));
    this.media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    const mq = () => this.applySettings(this.settings.get(), null);
    this.media?.addEventListener?.("change", mq);
    this.cleanup.push(() => this.media?.removeEventListener?.("change", mq));

    fetchRuntimes().then(
      (runtimes) => {
        this.patch({ runtimes, runtimesError: null });
        this.updateMode();
        this.maybeDefaultLanguage();
      },
      (e: Error) => {
        this.patch({ runtimesError: e.message });
        this.toast(e.message, "error");
      },
    );
  }

  unmount(): void {
    for (const c of this.cleanup.splice(0)) c();
    this.tests.dispose();
    this.client?.stop();
    this.editor?.destroy();
    this.client = null;
    this.editor = null;
  }

  // ------------------------------------------------------------ client events

  private onClient(e: ClientEvent): void {
    switch (e.kind) {
      case "state":
        this.patch({ connection: e.state });
        return;
      case "version":
        this.patch({ version: e.version });
        return;
      case "welcome": {
        const w = e.welcome;
        // a (re)connection: the carets drawn so far may belong to
        // sessions that are gone; the welcome lists who is here
        for (const id of this.people.keys()) this.editor?.removeRemote(id);
        this.people.clear();
        const s = this.settings.get();
        this.people.set(w.you, { id: w.you, name: s.name, color: s.color, you: true });
        this.seen.set(w.you, s.name);
        for (const p of w.participants) this.addPerson(p);
        const run = runFromWelcome(w.run);
        const tests = normalizeTests(w.tests);
        this.patch({
          you: w.you,
          language: w.language,
          ready: true,
          run,
          testsSupported: tests !== null,
          ...(run.tests !== null ? { testsRun: run } : {}),
        });
        if (tests) this.tests.welcome(tests);
        this.syncPeople();
        this.redrawTerminal(w.run?.events ?? []);
        this.showDiagnostics(run.result);
        this.updateMode();
        if (!w.language && w.participants.length === 0 && this.editor!.state.doc.length === 0) {
          this.wantDefaultLanguage = true;
          this.maybeDefaultLanguage();
        }
        return;
      }
      case "join":
      case "profile":
        this.addPerson(e.participant);
        this.syncPeople();
        return;
      case "leave":
        this.people.delete(e.id);
        this.editor?.removeRemote(e.id);
        this.syncPeople();
        return;
      case "presence": {
        const p = this.people.get(e.selection.id);
        this.editor?.setRemote(e.selection.id, { ranges: e.selection.ranges, name: p?.name, color: p?.color });
        return;
      }
      case "language":
        this.patch({ language: e.language });
        this.wantDefaultLanguage = false;
        this.updateMode();
        if (e.by && e.by !== this.view.get().you) {
          const who = this.people.get(e.by)?.name ?? "Someone";
          this.toast(`${who} switched the pad to ${this.languageName(e.language)}.`, "info");
        }
        return;
      case "run":
        this.onRunEvent(e.event);
        return;
      case "tests": {
        const tests = normalizeTests(e.tests);
        if (tests) this.tests.remote(tests, !!e.by && e.by === this.view.get().you);
        return;
      }
      case "toast":
        if (e.code === "tests_too_large") this.tests.refused();
        this.toast(e.text, e.level);
        return;
      case "fatal":
        this.patch({ fatal: e.text });
        this.toast(e.text, "error");
        return;
    }
  }

  private addPerson(p: Participant): void {
    const you = p.id === this.view.get().you;
    this.people.set(p.id, { id: p.id, name: p.name, color: p.color, you });
    this.seen.set(p.id, p.name);
    if (!you) this.editor?.setRemote(p.id, { name: p.name, color: p.color });
  }

  private nameOf(id: string): string | null {
    return this.people.get(id)?.name ?? this.seen.get(id) ?? null;
  }

  private syncPeople(): void {
    const list = [...this.people.values()].sort((a, b) => (a.you === b.you ? 0 : a.you ? -1 : 1));
    this.patch({ people: list });
  }

  private languageName(id: string): string {
    return this.view.get().runtimes.find((r) => r.language === id)?.name ?? id;
  }

  private maybeDefaultLanguage(): void {
    const v = this.view.get();
    if (!this.wantDefaultLanguage || v.language || !v.runtimes.length || !this.client?.connected) return;
    this.wantDefaultLanguage = false;
    const pick = v.runtimes.find((r) => r.language === "python") ?? v.runtimes[0];
    this.client.setLanguage(pick.language);
  }

  private updateMode(): void {
    const v = this.view.get();
    const seq = ++this.modeSeq;
    const mode = v.language ? modeOfLanguage(v.language, v.runtimes) : null;
    // loadMode does not reject: a mode that fails to load is plain text
    void loadMode(mode).then((ext) => {
      if (seq === this.modeSeq) this.editor?.setLanguage(ext);
    });
  }

  // ------------------------------------------------------------ runs

  private onRunEvent(ev: RunEvent): void {
    const run = foldRun(this.view.get().run, ev);
    this.patch({ run, ...(run.tests !== null ? { testsRun: run } : {}) });
    if (ev.event === "started") {
      this.termBuffer = "";
      this.line.buf = "";
      for (const s of this.sinks) s.clear();
      this.editor?.setDiagnostics([]);
    }
    this.term(terminalText(ev, this.view.get().you, (id) => this.nameOf(id)));
    if (ev.event === "result") this.showDiagnostics(run.result);
    if (ev.event === "error") this.toast(`Run: ${runErrorText(ev)}`, "error");
  }

  private showDiagnostics(result: RunResult | null): void {
    if (!this.editor?.ready) return;
    const rt = this.view.get().runtimes.find((r) => r.language === this.view.get().run.language);
    this.editor.setDiagnostics(
      toEditorDiagnostics(resultDiagnostics(result as never), this.editor.state.doc, rt?.source_file),
    );
  }

  private redrawTerminal(events: RunEvent[]): void {
    this.termBuffer = "";
    for (const s of this.sinks) s.clear();
    const you = this.view.get().you;
    // stdin of an earlier connection of ours was echoed then, but not in this terminal
    for (const ev of events) this.term(terminalText(ev, ev.event === "stdin" ? null : you, (id) => this.nameOf(id)));
  }

  private term(s: string): void {
    if (!s) return;
    this.termBuffer += s;
    if (this.termBuffer.length > TERM_BUFFER_MAX) this.termBuffer = this.termBuffer.slice(-TERM_BUFFER_MAX / 2);
    for (const sink of this.sinks) sink.write(s);
  }

  attachTerminal(sink: TermSink): () => void {
    sink.clear();
    if (this.termBuffer) sink.write(this.termBuffer);
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  // keys typed in the terminal
  terminalInput(data: string): void {
    const run = this.view.get().run;
    if (!run.active || run.tests !== null) return;
    const r = this.line.feed(data);
    if (r.echo) this.term(r.echo);
    for (const l of r.lines) this.client?.stdin(l);
    if (r.eof) this.client?.stdin("", true);
  }

  // a line from the stdin input box
  sendLine(text: string): void {
    if (!this.view.get().run.active) {
      this.toast("Nothing is running: press Run first.", "info");
      return;
    }
    if (this.view.get().run.tests !== null) {
      this.toast("A tests run reads each test's input, not typed lines.", "info");
      return;
    }
    if (this.client?.stdin(text + "\n")) this.term(text + "\r\n");
  }

  // Whether a run may start now; says why not in a toast.
  private mayRun(v: PadView): boolean {
    if (v.run.active) {
      this.toast("A run is already in progress on this pad.", "info");
      return false;
    }
    if (!v.language) {
      this.toast("Choose a language before running.", "error");
      return false;
    }
    return true;
  }

  run(): void {
    if (this.mayRun(this.view.get())) this.client?.run();
  }

  stop(): void {
    this.client?.stopRun();
  }

  // Runs the pad against its tests, with the edits typed so far.
  runTests(): void {
    const v = this.view.get();
    if (!this.mayRun(v)) return;
    if (!v.tests.length) {
      this.toast("Add a test first.", "info");
      return;
    }
    if (!this.tests.flush()) {
      this.toast(v.testsError ?? this.tests.error ?? "The tests could not be sent; try again when connected.", "error");
      return;
    }
    this.client?.runTests();
  }

  addTest(): string | null {
    const key = this.tests.add();
    if (!key) this.toast("A pad holds at most 64 tests.", "info");
    return key;
  }
  removeTest(key: string): void {
    this.tests.remove(key);
  }
  editTest(key: string, field: TestField, value: string): void {
    this.tests.edit(key, field, value);
  }
  focusTest(key: string, field: TestField): void {
    this.tests.setFocus(key, field);
  }
  blurTest(key: string, field: TestField): void {
    this.tests.blur(key, field);
  }

  setLanguage(language: string): void {
    if (this.client?.setLanguage(language)) this.wantDefaultLanguage = false;
  }

  // ------------------------------------------------------------ settings

  updateSettings(p: Partial<Settings>): void {
    const prev = this.settings.get();
    const next = { ...prev, ...p };
    if (p.name !== undefined) next.name = cleanName(p.name) || prev.name;
    this.settings.set(next);
    saveSettings(next);
    this.applySettings(next, prev);
    if (next.name !== prev.name || next.color !== prev.color) {
      this.client?.setProfile(
        next.name !== prev.name ? next.name : undefined,
        next.color !== prev.color ? next.color : undefined,
      );
      const you = this.view.get().you;
      if (you && this.people.has(you)) {
        this.people.set(you, { ...this.people.get(you)!, name: next.name, color: next.color });
        this.seen.set(you, next.name);
        this.syncPeople();
      }
    }
  }

  private applySettings(s: Settings, prev: Settings | null): void {
    const dark = s.theme === "dark" || (s.theme === "system" && !!this.media?.matches);
    this.dark.set(dark);
    document.documentElement.dataset.theme = dark ? "dark" : "light";
    const ed = this.editor;
    if (!ed) return;
    ed.setDark(dark);
    if (!prev || prev.wrap !== s.wrap) ed.setWrap(s.wrap);
    if (!prev || prev.fontSize !== s.fontSize) ed.setFontSize(s.fontSize);
    if (!prev || prev.vim !== s.vim) {
      if (s.vim)
        import("@replit/codemirror-vim").then(
          (m) => {
            if (this.settings.get().vim) ed.setVim(m.vim());
          },
          () => this.toast("The Vim keys could not be loaded; reload the page to try again.", "error"),
        );
      else if (prev) ed.setVim(null);
    }
  }

  // ------------------------------------------------------------ toasts

  toast(text: string, level: "info" | "error" = "info"): void {
    const id = ++this.toastId;
    this.toasts.set((t) => [...t.filter((x) => x.text !== text), { id, text, level }].slice(-4));
    setTimeout(() => this.dismiss(id), level === "error" ? 8000 : 4000);
  }

  dismiss(id: number): void {
    this.toasts.set((t) => t.filter((x) => x.id !== id));
  }

  async copyLink(): Promise<void> {
    const link = this.view.get().link;
    try {
      await navigator.clipboard.writeText(link);
      this.toast("Link copied: send it to the candidate.", "info");
    } catch {
      this.toast(`Copy this link: ${link}`, "info");
    }
  }
}
