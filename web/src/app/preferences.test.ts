import { describe, it, expect, beforeEach } from "vitest";
import type { Extension } from "@codemirror/state";
import type { Settings } from "../lib/settings";
import { Preferences, type SettingsEditor } from "./preferences";

const VIM: Extension = []; // what the fake loader resolves with

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

// The editor as the calls it was asked to make.
class FakeEditor implements SettingsEditor {
  calls: string[] = [];
  setDark(d: boolean) {
    this.calls.push(`dark ${d}`);
  }
  setWrap(w: boolean) {
    this.calls.push(`wrap ${w}`);
  }
  setFontSize(px: number) {
    this.calls.push(`font ${px}`);
  }
  setVim(ext: Extension | null) {
    this.calls.push(ext === null ? "vim off" : ext === VIM ? "vim on" : "vim ?");
  }
}

const saved: Settings = { theme: "light", vim: false, wrap: false, fontSize: 14, name: "Ada", color: "#e06c75" };

describe("Preferences", () => {
  let storage: MemoryStorage;
  let editor: FakeEditor | null;
  let profiles: [string | undefined, string | undefined][];
  let toasts: string[];
  let systemDark: boolean;
  let page: string[];
  let vim: { resolve: (e: Extension) => void; reject: () => void }[];
  let prefs: Preferences;

  const make = () =>
    new Preferences({
      editor: () => editor,
      onProfile: (name, color) => profiles.push([name, color]),
      notify: (t) => toasts.push(t),
      prefersDark: () => systemDark,
      setPageTheme: (t) => page.push(t),
      storage,
      loadVim: () =>
        new Promise<Extension>((resolve, reject) => vim.push({ resolve, reject: () => reject(new Error()) })),
    });
  const stored = () => JSON.parse(storage.getItem("runpad.settings") ?? "null") as Settings | null;
  const tick = () => new Promise((r) => setTimeout(r, 0));

  beforeEach(() => {
    storage = new MemoryStorage();
    storage.setItem("runpad.settings", JSON.stringify(saved));
    editor = new FakeEditor();
    profiles = [];
    toasts = [];
    systemDark = false;
    page = [];
    vim = [];
    prefs = make();
  });

  it("starts from the saved settings and saves every change", () => {
    expect(prefs.settings.get()).toEqual(saved);
    prefs.update({ wrap: true, fontSize: 18 });
    expect(prefs.settings.get()).toMatchObject({ wrap: true, fontSize: 18 });
    expect(stored()).toEqual({ ...saved, wrap: true, fontSize: 18 });
    expect(make().settings.get()).toEqual({ ...saved, wrap: true, fontSize: 18 });
  });

  it("applies to the editor what changed, and everything on applyAll", () => {
    prefs.applyAll();
    expect(editor!.calls).toEqual(["dark false", "wrap false", "font 14"]);
    editor!.calls = [];
    prefs.update({ wrap: true });
    expect(editor!.calls).toEqual(["dark false", "wrap true"]);
  });

  it("follows the system's colour scheme for theme system", () => {
    prefs.update({ theme: "system" });
    expect(prefs.dark.get()).toBe(false);
    systemDark = true;
    prefs.applyAll();
    expect(prefs.dark.get()).toBe(true);
    expect(page[page.length - 1]).toBe("dark");
    expect(editor!.calls).toContain("dark true");
    prefs.update({ theme: "light" });
    expect(prefs.dark.get()).toBe(false);
    expect(page[page.length - 1]).toBe("light");
  });

  it("sets the page theme before the editor is there", () => {
    editor = null;
    prefs.update({ theme: "dark" });
    expect(page).toEqual(["dark"]);
    expect(prefs.dark.get()).toBe(true);
  });

  it("announces only the part of the profile that changed", () => {
    prefs.update({ wrap: true });
    expect(profiles).toEqual([]);
    prefs.update({ name: "  Grace\u0007 " });
    expect(profiles).toEqual([["Grace", undefined]]);
    prefs.update({ color: "#61afef" });
    expect(profiles[1]).toEqual([undefined, "#61afef"]);
  });

  it("keeps the old name when the new one is empty once cleaned", () => {
    prefs.update({ name: " \u0001 " });
    expect(prefs.settings.get().name).toBe("Ada");
    expect(profiles).toEqual([]);
  });

  it("loads the Vim keys when asked, and applies them if still wanted", async () => {
    prefs.update({ vim: true });
    expect(vim).toHaveLength(1);
    vim[0].resolve(VIM);
    await tick();
    expect(editor!.calls).toContain("vim on");
    prefs.update({ vim: false });
    expect(editor!.calls[editor!.calls.length - 1]).toBe("vim off");
  });

  it("does not apply Vim keys that arrive after Vim was turned off", async () => {
    prefs.update({ vim: true });
    prefs.update({ vim: false });
    vim[0].resolve(VIM);
    await tick();
    expect(editor!.calls).not.toContain("vim on");
  });

  it("says so when the Vim keys cannot be loaded", async () => {
    prefs.update({ vim: true });
    vim[0].reject();
    await tick();
    expect(toasts).toEqual(["The Vim keys could not be loaded; reload the page to try again."]);
  });
});
