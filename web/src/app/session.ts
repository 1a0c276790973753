// One pad open in this page: the pad client and the editor, and the parts
// that follow the pad for the page (people, language, run, tests,
// settings, toasts), wired together.  This file owns the lifecycle (mount,
// unmount, the browser's online/offline and colour-scheme events, the
// runtimes list) and hands each client event to the part it concerns.
// Components draw the stores and call the methods here; they hold no
// logic of their own.  A session either joins a pad (with a link's key or
// none, for an open pad) or makes one (`create`: hello {create} at
// ws/new/<pad>, then the starter text as the first edit).
import { createStore, type Store } from "../lib/store";
import { PadClient, type ClientEvent, type SocketLike } from "../lib/padClient";
import { fetchRuntimes } from "../lib/api";
import { padLink, padSocketUrl } from "../lib/padId";
import type { Settings } from "../lib/settings";
import { toolchainOf, type Controls, type CreateSpec, type Links, type Role, type Welcome } from "../lib/protocol";
import { EditorController } from "../editor/EditorController";
import { NotesEditor } from "../notes/NotesEditor";
import { starterEdit } from "../create/newInterview";
import type { TestField } from "../tests/testsModel";
import { initialView, type Closed, type PadView, type ViewAccess } from "./view";
import { abilities } from "./roles";
import { PadOwner } from "./owner";
import { Toasts, type Toast, type ToastLevel } from "./toasts";
import { People } from "./people";
import { Preferences } from "./preferences";
import { PadLanguage } from "./language";
import { chooseOption, chooseVariant } from "./toolchain";
import { TerminalFeed, type TermSink } from "./terminal";
import { PadRun } from "./run";
import { PadTests } from "./tests";

export type { PadView, Person } from "./view";
export type { Toast } from "./toasts";
export type { TermSink } from "./terminal";

// Which pad a session opens, and how.
export interface SessionTarget {
  pad: string;
  key: string | null; // the link's key; null for an open pad
  // make the pad: the hello's `create`, and the text to start it with
  create?: { spec: CreateSpec; starter: string | null } | null;
  // the daemon refused to make the pad (4401: the creation secret)
  onCreateRefused?: (closed: Closed) => void;
}

export class Session {
  readonly view: Store<PadView>;
  readonly toasts: Store<Toast[]>;
  readonly settings: Store<Settings>;
  readonly dark: Store<boolean>;
  editor: EditorController | null = null;
  notes: NotesEditor | null = null;
  client: PadClient | null = null;
  readonly padId: string;

  private readonly notices = new Toasts();
  private readonly people: People;
  private readonly prefs: Preferences;
  private readonly language: PadLanguage;
  private readonly terminal = new TerminalFeed();
  private readonly runs: PadRun;
  private readonly tests: PadTests;
  private readonly owner: PadOwner;
  private starter: string | null;
  private media: MediaQueryList | null = null;
  private cleanup: (() => void)[] = [];

  constructor(readonly target: SessionTarget) {
    const padId = (this.padId = target.pad);
    this.starter = target.create?.starter ?? null;
    this.view = createStore(initialView(padId, padLink(padId, location.href, target.key)));
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
    this.owner = new PadOwner({
      pad: padId,
      view,
      client,
      notify,
      href: () => location.href,
      setUrl: (url) => history.replaceState(null, "", url),
      copy: (text) => navigator.clipboard.writeText(text),
    });
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
    this.notes = new NotesEditor(() => this.client?.notesChange());
    this.client = new PadClient({
      url: padSocketUrl(this.padId, location.href),
      createUrl: padSocketUrl(this.padId, location.href, true),
      create: this.target.create?.spec ?? null,
      key: this.target.key,
      host: this.editor,
      notesHost: this.notes,
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
    this.notes?.destroy();
    this.client = null;
    this.editor = null;
    this.notes = null;
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
        this.language.changed(e.language, e.by, e.toolchain);
        return;
      case "run":
        this.runs.event(e.event);
        return;
      case "tests":
        this.tests.remote(e.tests, e.by);
        return;
      case "toast":
        if (e.code === "tests_too_large") this.tests.refused();
        this.toast(e.text, e.level);
        return;
      case "control":
        this.controlsChanged(e.controls);
        return;
      case "links":
        this.owner.linkChanged(e.role, e.key, e.by);
        return;
      case "created":
        this.created(e.links);
        return;
      case "notes":
        this.patch({ notesVersion: e.version });
        return;
      case "history":
        return; // for the playback, which asks the client itself
      case "fatal": {
        const closed: Closed = { code: e.code, error: e.error, text: e.text };
        if (e.code === 4401 && this.target.onCreateRefused) {
          this.target.onCreateRefused(closed);
          return;
        }
        this.patch({ fatal: e.text, closed, connection: "offline" });
        return;
      }
    }
  }

  // The role and the controls: what this page may do, and the editor with it.
  private applyAbilities(role: Role | null, controls: Controls): void {
    const may = abilities(role, controls);
    this.patch({ role, controls, may });
    this.editor?.setEditable(may.edit);
    document.title = controls.title ? `${controls.title} · runpad` : "runpad";
  }

  private controlsChanged(controls: Controls): void {
    const was = this.view.get().controls;
    this.applyAbilities(this.view.get().role, controls);
    const role = this.view.get().role;
    if (role === "owner") return;
    if (controls.ended && !was.ended) this.toast("The interview has ended.", "info");
    else if (!controls.ended && was.ended) this.toast("The interview was reopened.", "info");
  }

  // This page made the pad: its links, kept here; the owner's link in the URL.
  private created(links: Links): void {
    this.owner.created(links);
  }

  // A (re)connection: who is here, the language, the run so far, the tests.
  private welcome(w: Welcome): void {
    const s = this.settings.get();
    const role = w.role ?? "editor";
    this.people.welcome(w.you, { ...s, role }, w.participants);
    this.patch({ you: w.you, language: w.language, toolchain: toolchainOf(w), ready: true });
    this.applyAbilities(role, this.client?.controls ?? this.view.get().controls);
    this.owner.welcome(role, this.client?.key ?? null);
    this.runs.welcome(w.run);
    this.tests.welcome(w.tests);
    this.language.welcome(w, () => this.editor!.state.doc.length === 0, this.view.get().may.edit);
    const starter = starterEdit(w, this.starter, this.editor?.state.doc.length ?? -1);
    this.starter = null;
    if (starter) this.editor?.dispatch({ changes: { from: 0, insert: starter } });
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

  // The pad's toolchain: the picker of variants or of option `name`
  // shows a new value; the whole choice goes to everyone.
  setVariant(id: string): void {
    const v = this.view.get();
    this.language.setToolchain(chooseVariant(this.runtime(), v.toolchain, id));
  }
  setOption(name: string, value: string): void {
    const v = this.view.get();
    this.language.setToolchain(chooseOption(this.runtime(), v.toolchain, name, value));
  }
  private runtime() {
    const v = this.view.get();
    return v.runtimes.find((r) => r.language === v.language);
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

  // ------------------------------------------------------------ owners

  setTitle(title: string): void {
    this.owner.setTitle(title);
  }
  setControls(c: Partial<Controls>): void {
    this.owner.setControls(c);
  }
  copyRoleLink(role: keyof Links): Promise<void> {
    return this.owner.copy(role);
  }
  roleLink(role: keyof Links): string | null {
    return this.owner.link(role);
  }
  rotateLink(role: "candidate" | "observer"): void {
    this.owner.rotate(role);
  }
  revokeLink(role: "candidate" | "observer"): void {
    this.owner.revoke(role);
  }
  removePerson(id: string): void {
    this.owner.remove(id);
  }

  // The header's "Copy link": an owner's page holds the owner's link, which
  // is not for the candidate; it copies the candidate's.
  async copyLink(): Promise<void> {
    const v = this.view.get();
    if (v.role === "owner") return this.owner.copy("candidate");
    const link = v.link;
    try {
      await navigator.clipboard.writeText(link);
      this.toast(
        v.role === "candidate" || v.role === "observer"
          ? `Link copied: whoever has it joins as ${v.role}.`
          : "Link copied: send it to the candidate.",
        "info",
      );
    } catch {
      this.toast(`Copy this link: ${link}`, "info");
    }
  }
}
