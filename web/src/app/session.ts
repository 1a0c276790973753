// One pad open in this page: the pad client and the editor, and the parts
// that follow the pad for the page (people, language, run, tests,
// settings, toasts), wired together.  This file owns the lifecycle (mount,
// unmount, the browser's online/offline and colour-scheme events, the
// runtimes list) and hands each client event to the part it concerns.
// Components draw the stores and call the methods here; they hold no
// logic of their own.
import { createStore, type Store } from "../lib/store";
import { PadClient, type ClientEvent, type SocketLike } from "../lib/padClient";
import { fetchRuntimes } from "../lib/api";
import { padLink, padSocketUrl } from "../lib/padId";
import type { Settings } from "../lib/settings";
import type { Welcome } from "../lib/protocol";
import { EditorController } from "../editor/EditorController";
import type { TestField } from "../tests/testsModel";
import { initialView, type PadView, type ViewAccess } from "./view";
import { Toasts, type Toast, type ToastLevel } from "./toasts";
import { People } from "./people";
import { Preferences } from "./preferences";
import { PadLanguage } from "./language";
import { TerminalFeed, type TermSink } from "./terminal";
import { PadRun } from "./run";
import { PadTests } from "./tests";

export type { PadView, Person } from "./view";
export type { Toast } from "./toasts";
export type { TermSink } from "./terminal";

export class Session {
  readonly view: Store<PadView>;
  readonly toasts: Store<Toast[]>;
  readonly settings: Store<Settings>;
  readonly dark: Store<boolean>;
  editor: EditorController | null = null;
  client: PadClient | null = null;

  private readonly notices = new Toasts();
  private readonly people: People;
  private readonly prefs: Preferences;
  private readonly language: PadLanguage;
  private readonly terminal = new TerminalFeed();
  private readonly runs: PadRun;
  private readonly tests: PadTests;
  private media: MediaQueryList | null = null;
  private cleanup: (() => void)[] = [];

  constructor(
    readonly padId: string,
    readonly key: string | null = null, // the link's key, "#<pad>/<key>"
  ) {
    this.view = createStore(initialView(padId, padLink(padId, location.href)));
    const view: ViewAccess = { get: this.view.get, patch: (p) => this.patch(p) };
    const notify = (text: string, level?: ToastLevel) => this.notices.show(text, level);
    const client = () => this.client;
    const editor = () => this.editor;
    this.toasts = this.notices.items;
    this.people = new People({ cursors: editor, onChange: (people) => view.patch({ people }) });
    this.prefs = new Preferences({
      editor,
      notify,
      onProfile: (name, color, now) => {
        this.client?.setProfile(name, color);
        this.people.setSelf(now.name, now.color);
      },
      prefersDark: () => !!this.media?.matches,
      setPageTheme: (theme) => {
        document.documentElement.dataset.theme = theme;
      },
    });
    this.settings = this.prefs.settings;
    this.dark = this.prefs.dark;
    this.language = new PadLanguage({
      view,
      client,
      editor,
      notify,
      nameOf: (id) => this.people.nameHere(id),
    });
    this.runs = new PadRun({
      view,
      client,
      editor,
      terminal: this.terminal,
      notify,
      nameOf: (id) => this.people.nameOf(id),
    });
    this.tests = new PadTests({ view, client, notify });
  }

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
    // the system's colour scheme is needed by the first applyAll (theme "system")
    this.media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    this.prefs.applyAll();
    this.client = new PadClient({
      url: padSocketUrl(this.padId, location.href),
      host: this.editor,
      socket,
      name: s.name,
      color: s.color,
      ...(this.key ? { key: this.key } : {}),
    });
    this.cleanup.push(this.client.on((e) => this.onClient(e)));
    this.client.start();

    const online = () => this.client?.retryNow();
    window.addEventListener("online", online);
    this.cleanup.push(() => window.removeEventListener("online", online));
    const offline = () => this.client?.networkLost();
    window.addEventListener("offline", offline);
    this.cleanup.push(() => window.removeEventListener("offline", offline));
    const mq = () => this.prefs.applyAll();
    this.media?.addEventListener?.("change", mq);
    this.cleanup.push(() => this.media?.removeEventListener?.("change", mq));

    fetchRuntimes().then(
      (runtimes) => {
        this.patch({ runtimes, runtimesError: null });
        this.language.runtimesLoaded();
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
      case "welcome":
        this.welcome(e.welcome);
        return;
      case "join":
      case "profile":
        this.people.add(e.participant);
        return;
      case "leave":
        this.people.leave(e.id);
        return;
      case "presence":
        this.people.presence(e.selection);
        return;
      case "language":
        this.language.changed(e.language, e.by);
        return;
      case "run":
        this.runs.event(e.event);
        return;
      case "tests":
        this.tests.remote(e.tests, e.by);
        return;
      case "control":
        this.patch({ controls: e.controls });
        return;
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

  // A (re)connection: who is here, the language, the run so far, the tests.
  private welcome(w: Welcome): void {
    const s = this.settings.get();
    this.people.welcome(w.you, s, w.participants);
    this.patch({ you: w.you, language: w.language, ready: true, role: w.role ?? null, controls: w.controls ?? null });
    this.runs.welcome(w.run);
    this.tests.welcome(w.tests);
    this.language.welcome(w, () => this.editor!.state.doc.length === 0);
  }

  // ------------------------------------------------------------ what the page asks

  attachTerminal(sink: TermSink): () => void {
    return this.terminal.attach(sink);
  }

  // keys typed in the terminal
  terminalInput(data: string): void {
    this.runs.terminalInput(data);
  }

  // a line from the stdin input box
  sendLine(text: string): void {
    this.runs.sendLine(text);
  }

  run(): void {
    this.runs.run();
  }

  stop(): void {
    this.runs.stop();
  }

  // Runs the pad against its tests, with the edits typed so far.
  runTests(): void {
    this.runs.runTests(() => this.tests.readyToRun());
  }

  addTest(): string | null {
    return this.tests.add();
  }
  removeTest(key: string): void {
    this.tests.remove(key);
  }
  editTest(key: string, field: TestField, value: string): void {
    this.tests.edit(key, field, value);
  }
  focusTest(key: string, field: TestField): void {
    this.tests.focus(key, field);
  }
  blurTest(key: string, field: TestField): void {
    this.tests.blur(key, field);
  }

  setLanguage(language: string): void {
    this.language.set(language);
  }

  updateSettings(p: Partial<Settings>): void {
    this.prefs.update(p);
  }

  toast(text: string, level: ToastLevel = "info"): void {
    this.notices.show(text, level);
  }

  dismiss(id: number): void {
    this.notices.dismiss(id);
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
