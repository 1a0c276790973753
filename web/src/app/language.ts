// The pad's language and its toolchain: the editor's language support
// follows the language (loaded lazily; only the latest of overlapping
// loads is applied), a switch made by someone else is announced, and a new
// empty pad that nobody else is in gets a default (Python, or the first
// runtime) once both the runtimes list and the connection are there.
import type { Extension } from "@codemirror/state";
import type { PadClient } from "../lib/padClient";
import type { Toolchain, Welcome } from "../lib/protocol";
import type { EditorController } from "../editor/EditorController";
import { loadMode as loadEditorMode, modeOfLanguage } from "../editor/languages";
import type { Notify } from "./toasts";
import type { ViewAccess } from "./view";
import { describeToolchain, sameToolchain, toolchainAfter } from "./toolchain";

export type LanguageClient = Pick<PadClient, "connected" | "setLanguage">;
export type LanguageEditor = Pick<EditorController, "setLanguage">;

export interface PadLanguageOptions {
  view: ViewAccess;
  client: () => LanguageClient | null;
  editor: () => LanguageEditor | null;
  notify: Notify;
  nameOf: (id: string) => string | null; // someone in the pad now
  loadMode?: (mode: string | null) => Promise<Extension>; // must not reject
}

export class PadLanguage {
  private modeSeq = 0;
  private wantDefault = false;
  private readonly loadMode: (mode: string | null) => Promise<Extension>;

  constructor(private readonly opts: PadLanguageOptions) {
    this.loadMode = opts.loadMode ?? loadEditorMode;
  }

  // After the welcome has been applied to the view (its language included).
  // `mayEdit`: the role may set the language (an observer may not).
  welcome(w: Welcome, docEmpty: () => boolean, mayEdit = true): void {
    this.updateMode();
    if (mayEdit && !w.language && w.participants.length === 0 && docEmpty()) {
      this.wantDefault = true;
      this.maybeDefault();
    }
  }

  // The runtimes list arrived (in the view): it names the editor modes.
  runtimesLoaded(): void {
    this.updateMode();
    this.maybeDefault();
  }

  // The pad's language changed, `by` someone (or by the daemon), with the
  // toolchain the message says (null: it says none).
  changed(language: string, by: string | undefined, said: Toolchain | null = null): void {
    const was = this.opts.view.get();
    const toolchain = toolchainAfter(was, language, said);
    this.opts.view.patch({ language, toolchain });
    this.wantDefault = false;
    this.updateMode();
    if (by && by !== was.you) {
      const who = this.opts.nameOf(by) ?? "Someone";
      if (language !== was.language)
        this.opts.notify(`${who} switched the pad to ${this.languageName(language)}.`, "info");
      else if (!sameToolchain(toolchain, was.toolchain))
        this.opts.notify(`${who} switched the pad to ${describeToolchain(toolchain)}.`, "info");
    }
  }

  // This page picks a language (the daemon resets the toolchain for it).
  set(language: string): void {
    if (this.opts.client()?.setLanguage(language)) this.wantDefault = false;
  }

  // This page picks a toolchain for the pad's language.
  setToolchain(toolchain: Toolchain): void {
    const language = this.opts.view.get().language;
    if (language) this.opts.client()?.setLanguage(language, toolchain);
  }

  private languageName(id: string): string {
    return this.opts.view.get().runtimes.find((r) => r.language === id)?.name ?? id;
  }

  private maybeDefault(): void {
    const v = this.opts.view.get();
    const client = this.opts.client();
    if (!this.wantDefault || v.language || !v.runtimes.length || !client?.connected) return;
    this.wantDefault = false;
    const pick = v.runtimes.find((r) => r.language === "python") ?? v.runtimes[0];
    client.setLanguage(pick.language);
  }

  private updateMode(): void {
    const v = this.opts.view.get();
    const seq = ++this.modeSeq;
    const mode = v.language ? modeOfLanguage(v.language, v.runtimes) : null;
    void this.loadMode(mode).then((ext) => {
      if (seq === this.modeSeq) this.opts.editor()?.setLanguage(ext);
    });
  }
}
