// This browser's settings (lib/settings, kept in localStorage): changing
// them saves them and applies them to the page and the editor (theme,
// wrap, font size, the lazily loaded Vim keys), and a new name or colour
// is announced as this participant's profile.
import type { Extension } from "@codemirror/state";
import { createStore, type Store } from "../lib/store";
import { cleanName, loadSettings, saveSettings, type Settings } from "../lib/settings";
import type { EditorController } from "../editor/EditorController";
import type { Notify } from "./toasts";

export type SettingsEditor = Pick<EditorController, "setDark" | "setWrap" | "setFontSize" | "setVim">;

export interface PreferencesOptions {
  editor: () => SettingsEditor | null; // null before the editor is mounted
  // the name or colour changed: each is given only when it did
  onProfile: (name: string | undefined, color: string | undefined, now: Settings) => void;
  notify: Notify;
  prefersDark: () => boolean; // the system's colour scheme, for theme "system"
  setPageTheme: (theme: "dark" | "light") => void;
  storage?: Pick<Storage, "getItem" | "setItem"> | null; // localStorage by default
  loadVim?: () => Promise<Extension>;
}

const loadVimKeys = () => import("@replit/codemirror-vim").then((m) => m.vim());

export class Preferences {
  readonly settings: Store<Settings>;
  readonly dark = createStore(false);
  private readonly loadVim: () => Promise<Extension>;

  constructor(private readonly opts: PreferencesOptions) {
    this.settings = createStore(loadSettings(opts.storage));
    this.loadVim = opts.loadVim ?? loadVimKeys;
  }

  update(p: Partial<Settings>): void {
    const prev = this.settings.get();
    const next = { ...prev, ...p };
    if (p.name !== undefined) next.name = cleanName(p.name) || prev.name;
    this.settings.set(next);
    saveSettings(next, this.opts.storage);
    this.apply(next, prev);
    if (next.name !== prev.name || next.color !== prev.color)
      this.opts.onProfile(
        next.name !== prev.name ? next.name : undefined,
        next.color !== prev.color ? next.color : undefined,
        next,
      );
  }

  // All of the settings, to a new editor or after the system's colour
  // scheme changed.
  applyAll(): void {
    this.apply(this.settings.get(), null);
  }

  // What changed from `prev` (everything when null).
  private apply(s: Settings, prev: Settings | null): void {
    const dark = s.theme === "dark" || (s.theme === "system" && this.opts.prefersDark());
    this.dark.set(dark);
    this.opts.setPageTheme(dark ? "dark" : "light");
    const ed = this.opts.editor();
    if (!ed) return;
    ed.setDark(dark);
    if (!prev || prev.wrap !== s.wrap) ed.setWrap(s.wrap);
    if (!prev || prev.fontSize !== s.fontSize) ed.setFontSize(s.fontSize);
    if (!prev || prev.vim !== s.vim) {
      if (s.vim)
        this.loadVim().then(
          (ext) => {
            if (this.settings.get().vim) ed.setVim(ext);
          },
          () => this.opts.notify("The Vim keys could not be loaded; reload the page to try again.", "error"),
        );
      else if (prev) ed.setVim(null);
    }
  }
}
