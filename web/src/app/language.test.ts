import { describe, it, expect, beforeEach } from "vitest";
import type { Extension } from "@codemirror/state";
import { createStore } from "../lib/store";
import type { Runtime } from "../lib/api";
import type { Toolchain, Welcome } from "../lib/protocol";
import { PadLanguage, type LanguageClient } from "./language";
import { initialView, type PadView, type ViewAccess } from "./view";

const rt = (language: string, name: string, mode: string): Runtime => ({
  language,
  name,
  aliases: [],
  version: "1",
  mode,
});
const RUNTIMES = [rt("c", "C", "cpp"), rt("python", "Python 3", "python"), rt("go", "Go", "go")];

const welcome = (over: Partial<Welcome> = {}): Welcome => ({
  type: "welcome",
  you: "p1",
  pad: "pad",
  version: 0,
  language: "",
  participants: [],
  run: null,
  ...over,
});

// Extensions told apart by identity: each mode's is an empty array of its own.
const labels = new Map<Extension, string>();
const modeExtension = (mode: string | null): Extension => {
  const ext: Extension = [];
  labels.set(ext, String(mode));
  return ext;
};

class FakeClient implements LanguageClient {
  connected = true;
  sent: string[] = [];
  toolchains: (Toolchain | undefined)[] = [];
  setLanguage(language: string, toolchain?: Toolchain) {
    if (!this.connected) return false;
    this.sent.push(language);
    this.toolchains.push(toolchain);
    return true;
  }
}

describe("PadLanguage", () => {
  let store: ReturnType<typeof createStore<PadView>>;
  let client: FakeClient;
  let modes: string[]; // the modes the editor got, in order
  let loads: { mode: string | null; resolve: () => void }[];
  let toasts: string[];
  let lang: PadLanguage;

  // the daemon's welcome, as the session applies it
  const welcomed = (w: Welcome, docEmpty = true) => {
    store.set((v) => ({ ...v, you: w.you, language: w.language }));
    lang.welcome(w, () => docEmpty);
  };
  const runtimesArrive = (runtimes = RUNTIMES) => {
    store.set((v) => ({ ...v, runtimes }));
    lang.runtimesLoaded();
  };
  const settle = async () => {
    for (const l of loads.splice(0)) l.resolve();
    await new Promise((r) => setTimeout(r, 0));
  };

  beforeEach(() => {
    store = createStore(initialView("pad", "http://h/#pad"));
    const view: ViewAccess = { get: store.get, patch: (p) => store.set((v) => ({ ...v, ...p })) };
    client = new FakeClient();
    modes = [];
    loads = [];
    toasts = [];
    lang = new PadLanguage({
      view,
      client: () => client,
      editor: () => ({ setLanguage: (ext: Extension) => modes.push(labels.get(ext) ?? "?") }),
      notify: (t) => toasts.push(t),
      nameOf: (id) => (id === "p2" ? "Grace" : null),
      loadMode: (mode) => new Promise((resolve) => loads.push({ mode, resolve: () => resolve(modeExtension(mode)) })),
    });
  });

  it("gives a new empty pad nobody else is in Python, once it knows the runtimes", () => {
    welcomed(welcome());
    expect(client.sent).toEqual([]);
    runtimesArrive();
    expect(client.sent).toEqual(["python"]);
    runtimesArrive();
    expect(client.sent).toEqual(["python"]); // once
  });

  it("picks the first runtime when there is no Python", () => {
    runtimesArrive([rt("c", "C", "cpp"), rt("go", "Go", "go")]);
    welcomed(welcome());
    expect(client.sent).toEqual(["c"]);
  });

  it("leaves the language alone when the pad has text, people or a language", () => {
    runtimesArrive();
    welcomed(welcome(), false);
    welcomed(welcome({ participants: [{ id: "p2", name: "Grace", color: "#fff" }] }));
    welcomed(welcome({ language: "go" }));
    expect(client.sent).toEqual([]);
  });

  it("does not set a default once someone chose a language", () => {
    welcomed(welcome());
    lang.changed("go", "p2");
    runtimesArrive();
    expect(client.sent).toEqual([]);
  });

  it("waits for the connection before setting the default", () => {
    runtimesArrive();
    client.connected = false;
    welcomed(welcome());
    expect(client.sent).toEqual([]);
    client.connected = true;
    runtimesArrive();
    expect(client.sent).toEqual(["python"]);
  });

  it("applies only the latest of overlapping mode loads", async () => {
    runtimesArrive();
    welcomed(welcome({ language: "python" }));
    lang.changed("go", "p2");
    expect(loads.map((l) => l.mode)).toEqual([null, "python", "go"]);
    await settle();
    expect(modes).toEqual(["go"]);
  });

  it("says who switched the language, by the runtime's name, unless it was this page", () => {
    runtimesArrive();
    welcomed(welcome({ language: "python" }));
    lang.changed("c", "p1");
    lang.changed("python", "p2");
    lang.changed("go", "p7");
    lang.changed("rust", undefined);
    expect(toasts).toEqual(["Grace switched the pad to Python 3.", "Someone switched the pad to Go."]);
    expect(store.get().language).toBe("rust");
  });

  it("follows the pad's toolchain: what the daemon says, or the defaults for a new language", () => {
    runtimesArrive();
    welcomed(welcome({ language: "c" }));
    lang.changed("c", "p2", { variant: "clang-15", options: { std: "c11" } });
    expect(store.get().toolchain).toEqual({ variant: "clang-15", options: { std: "c11" } });
    lang.changed("c", "p2", null); // a daemon older than toolchains
    expect(store.get().toolchain).toEqual({ variant: "clang-15", options: { std: "c11" } });
    lang.changed("go", "p2", null);
    expect(store.get().toolchain).toEqual({ variant: null, options: {} });
    expect(toasts).toEqual(["Grace switched the pad to clang-15, std=c11.", "Grace switched the pad to Go."]);
  });

  it("sends a toolchain with the pad's language, and none before there is one", () => {
    lang.setToolchain({ variant: "pypy", options: {} });
    expect(client.sent).toEqual([]);
    runtimesArrive();
    welcomed(welcome({ language: "python" }));
    lang.setToolchain({ variant: "pypy", options: {} });
    lang.set("c");
    expect(client.sent).toEqual(["python", "c"]);
    expect(client.toolchains).toEqual([{ variant: "pypy", options: {} }, undefined]);
  });

  it("a language this page picks cancels the default only when it was sent", () => {
    welcomed(welcome());
    client.connected = false;
    lang.set("go");
    client.connected = true;
    runtimesArrive();
    expect(client.sent).toEqual(["python"]);
  });
});
