// The pad's language → a CodeMirror language support, loaded on demand.
//
// `mode` comes from GET api/runtimes: the name of a @codemirror/lang-*
// package or of an export of @codemirror/legacy-modes (docs/languages.md).
// Every loader is a dynamic import, so a language costs nothing until a pad
// uses it.
import type { Extension } from "@codemirror/state";
import { StreamLanguage, type StreamParser } from "@codemirror/language";

export type LanguageLoader = () => Promise<Extension>;

async function legacy(load: () => Promise<Record<string, unknown>>, name: string): Promise<Extension> {
  const mod = await load();
  return StreamLanguage.define(mod[name] as StreamParser<unknown>);
}

const L =
  (load: () => Promise<Record<string, unknown>>, name: string): LanguageLoader =>
  () =>
    legacy(load, name);

const clike = () => import("@codemirror/legacy-modes/mode/clike") as Promise<Record<string, unknown>>;
const mllike = () => import("@codemirror/legacy-modes/mode/mllike") as Promise<Record<string, unknown>>;
const scheme = () => import("@codemirror/legacy-modes/mode/scheme") as Promise<Record<string, unknown>>;

export const LOADERS: Record<string, LanguageLoader> = {
  python: async () => (await import("@codemirror/lang-python")).python(),
  cpp: async () => (await import("@codemirror/lang-cpp")).cpp(),
  javascript: async () => (await import("@codemirror/lang-javascript")).javascript(),
  typescript: async () => (await import("@codemirror/lang-javascript")).javascript({ typescript: true }),
  java: async () => (await import("@codemirror/lang-java")).java(),
  rust: async () => (await import("@codemirror/lang-rust")).rust(),
  go: async () => (await import("@codemirror/lang-go")).go(),
  php: async () => (await import("@codemirror/lang-php")).php({ plain: false }),
  sql: async () => (await import("@codemirror/lang-sql")).sql(),
  sqlite: async () => {
    const m = await import("@codemirror/lang-sql");
    return m.sql({ dialect: m.SQLite });
  },
  c: L(clike, "c"),
  csharp: L(clike, "csharp"),
  kotlin: L(clike, "kotlin"),
  scala: L(clike, "scala"),
  objectiveC: L(clike, "objectiveC"),
  dart: L(clike, "dart"),
  oCaml: L(mllike, "oCaml"),
  fSharp: L(mllike, "fSharp"),
  sml: L(mllike, "sml"),
  commonLisp: L(() => import("@codemirror/legacy-modes/mode/commonlisp"), "commonLisp"),
  coffeeScript: L(() => import("@codemirror/legacy-modes/mode/coffeescript"), "coffeeScript"),
  shell: L(() => import("@codemirror/legacy-modes/mode/shell"), "shell"),
  ruby: L(() => import("@codemirror/legacy-modes/mode/ruby"), "ruby"),
  haskell: L(() => import("@codemirror/legacy-modes/mode/haskell"), "haskell"),
  lua: L(() => import("@codemirror/legacy-modes/mode/lua"), "lua"),
  perl: L(() => import("@codemirror/legacy-modes/mode/perl"), "perl"),
  r: L(() => import("@codemirror/legacy-modes/mode/r"), "r"),
  tcl: L(() => import("@codemirror/legacy-modes/mode/tcl"), "tcl"),
  octave: L(() => import("@codemirror/legacy-modes/mode/octave"), "octave"),
  d: L(() => import("@codemirror/legacy-modes/mode/d"), "d"),
  fortran: L(() => import("@codemirror/legacy-modes/mode/fortran"), "fortran"),
  pascal: L(() => import("@codemirror/legacy-modes/mode/pascal"), "pascal"),
  gas: L(() => import("@codemirror/legacy-modes/mode/gas"), "gas"),
  groovy: L(() => import("@codemirror/legacy-modes/mode/groovy"), "groovy"),
  clojure: L(() => import("@codemirror/legacy-modes/mode/clojure"), "clojure"),
  cobol: L(() => import("@codemirror/legacy-modes/mode/cobol"), "cobol"),
  crystal: L(() => import("@codemirror/legacy-modes/mode/crystal"), "crystal"),
  haxe: L(() => import("@codemirror/legacy-modes/mode/haxe"), "haxe"),
  brainfuck: L(() => import("@codemirror/legacy-modes/mode/brainfuck"), "brainfuck"),
  forth: L(() => import("@codemirror/legacy-modes/mode/forth"), "forth"),
  erlang: L(() => import("@codemirror/legacy-modes/mode/erlang"), "erlang"),
  scheme: L(scheme, "scheme"),
  swift: L(() => import("@codemirror/legacy-modes/mode/swift"), "swift"),
  julia: L(() => import("@codemirror/legacy-modes/mode/julia"), "julia"),
};

// Mode names as the registry may spell them, case aside.
const BY_LOWER = new Map(Object.keys(LOADERS).map((k) => [k.toLowerCase(), k]));

// The loader key for a registry mode, or null for plain text (no mode,
// "plaintext", or a name we do not know).
export function modeKey(mode: string | null | undefined): string | null {
  if (!mode) return null;
  if (mode in LOADERS) return mode;
  return BY_LOWER.get(mode.toLowerCase()) ?? null;
}

// The mode of a language id, from the runtimes list: by id, then alias.
export function modeOfLanguage(
  language: string,
  runtimes: { language: string; aliases?: string[]; mode: string | null }[],
): string | null {
  const l = language.toLowerCase();
  const rt =
    runtimes.find((r) => r.language === l) ??
    runtimes.find((r) => (r.aliases ?? []).some((a) => a.toLowerCase() === l));
  if (rt) return modeKey(rt.mode);
  return modeKey(l); // a pad language the server no longer lists: try it as a mode
}

export async function loadMode(mode: string | null): Promise<Extension> {
  const key = modeKey(mode);
  if (!key) return [];
  try {
    return await LOADERS[key]();
  } catch {
    return []; // a chunk that failed to load: plain text rather than no editor
  }
}
