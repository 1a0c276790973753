import { describe, it, expect } from "vitest";
import { Text } from "@codemirror/state";
import {
  newPadId,
  padIdFromHash,
  padSocketUrl,
  padLink,
  isPadId,
  isLinkKey,
  parsePadHash,
  templatesUrl,
  linkKeyFromHash,
} from "./padId";
import { modeKey, modeOfLanguage, LOADERS } from "../editor/languages";
import { toEditorDiagnostics, resultDiagnostics } from "../editor/diagnostics";
import { diffText } from "./textDiff";
import { LineEditor } from "../run/lineEditor";
import { foldRun, emptyRun, runErrorText, runFromWelcome, terminalText, verdictText } from "../run/runModel";
import { httpErrorText } from "./api";
import { sanitize, defaultSettings, cleanName } from "./settings";

describe("pad ids", () => {
  it("makes 22 base64url characters from 16 random bytes", () => {
    for (let i = 0; i < 50; i++) {
      const id = newPadId();
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(isPadId(id)).toBe(true);
    }
    expect(newPadId(() => new Uint8Array(16).fill(255))).toBe("_____________________w");
  });
  it("reads the hash", () => {
    expect(padIdFromHash("#abc_D-1")).toBe("abc_D-1");
    expect(padIdFromHash("#/abc")).toBe("abc");
    expect(padIdFromHash("")).toBe(null);
    expect(padIdFromHash("#bad id")).toBe(null);
    expect(padIdFromHash("#" + "a".repeat(65))).toBe(null);
    const key = "Zk3_-" + "a".repeat(27);
    expect(padIdFromHash(`#iv-7/${key}`)).toBe("iv-7");
    expect(linkKeyFromHash(`#iv-7/${key}`)).toBe(key);
    expect(linkKeyFromHash("#iv-7")).toBe(null);
    expect(padIdFromHash("#iv-7/short")).toBe(null);
    expect(linkKeyFromHash("#iv-7/short")).toBe(null);
  });
  it("builds relative socket urls and links under any prefix", () => {
    expect(padSocketUrl("p1", "https://h.example/interviews/#p1")).toBe("wss://h.example/interviews/ws/p1");
    expect(padSocketUrl("p1", "http://127.0.0.1:8080/")).toBe("ws://127.0.0.1:8080/ws/p1");
    expect(padSocketUrl("p1", "http://h/x/index.html?a=1#p1")).toBe("ws://h/x/ws/p1");
    expect(padLink("p1", "http://h/x/")).toBe("http://h/x/#p1");
  });
  const KEY = "Zk3mA0b1c2d3e4f5g6h7i8j9k0l1m2n3";
  it("reads a link's key after the pad id", () => {
    expect(isLinkKey(KEY)).toBe(true);
    expect(parsePadHash(`#interview-7/${KEY}`)).toEqual({ pad: "interview-7", key: KEY });
    expect(parsePadHash(`#/interview-7/${KEY}`)).toEqual({ pad: "interview-7", key: KEY });
    expect(parsePadHash("#interview-7")).toEqual({ pad: "interview-7", key: null });
    expect(padIdFromHash(`#p1/${KEY}`)).toBe("p1");
  });
  it("tells an empty hash from a bad one", () => {
    expect(parsePadHash("")).toBe("none");
    expect(parsePadHash("#")).toBe("none");
    expect(parsePadHash("#bad id")).toBe("bad");
    expect(parsePadHash("#p1/short")).toBe("bad"); // a key is 32 characters
    expect(parsePadHash(`#p1/${KEY}x`)).toBe("bad");
    expect(parsePadHash(`#p1/${KEY.slice(1)}+`)).toBe("bad");
    expect(parsePadHash(`#p1/${KEY}/more`)).toBe("bad");
    expect(parsePadHash(`#p1/`)).toBe("bad");
    expect(padIdFromHash("#p1/short")).toBe(null);
  });
  it("makes pads at ws/new/ and lists templates beside it", () => {
    expect(padSocketUrl("p1", "https://h.example/interviews/", true)).toBe("wss://h.example/interviews/ws/new/p1");
    expect(padSocketUrl("p1", "http://h/x/index.html?a=1#p1/" + KEY, true)).toBe("ws://h/x/ws/new/p1");
    expect(templatesUrl("https://h.example/interviews/#p1")).toBe("https://h.example/interviews/ws/new/templates.json");
  });
  it("puts the key in the link's fragment only", () => {
    expect(padLink("p1", "http://h/x/?q=1", KEY)).toBe(`http://h/x/?q=1#p1/${KEY}`);
    expect(padLink("p1", `http://h/x/#p1/${KEY}`, null)).toBe("http://h/x/#p1");
    expect(new URL(padLink("p1", "http://h/x/", KEY)).pathname).toBe("/x/");
  });
});

describe("language modes", () => {
  const rts = [
    { language: "python", aliases: ["py"], mode: "python" },
    { language: "ocaml", aliases: ["ml"], mode: "oCaml" },
    { language: "ada", aliases: [], mode: "plaintext" },
    { language: "c", aliases: ["gcc"], mode: "c" },
  ];
  it("maps registry modes to loaders, plain text otherwise", () => {
    expect(modeKey("python")).toBe("python");
    expect(modeKey("ocaml")).toBe("oCaml");
    expect(modeKey("commonLisp")).toBe("commonLisp");
    expect(modeKey("plaintext")).toBe(null);
    expect(modeKey(null)).toBe(null);
    expect(modeOfLanguage("python", rts)).toBe("python");
    expect(modeOfLanguage("ml", rts)).toBe("oCaml");
    expect(modeOfLanguage("ada", rts)).toBe(null);
    expect(modeOfLanguage("rust", rts)).toBe("rust");
  });
  it("has a loader for every mode of docs/languages.md", () => {
    for (const m of [
      "c",
      "cpp",
      "objectiveC",
      "d",
      "fortran",
      "pascal",
      "gas",
      "python",
      "javascript",
      "typescript",
      "coffeeScript",
      "shell",
      "ruby",
      "php",
      "perl",
      "lua",
      "tcl",
      "r",
      "octave",
      "sqlite",
      "java",
      "kotlin",
      "scala",
      "groovy",
      "clojure",
      "csharp",
      "go",
      "rust",
      "haskell",
      "oCaml",
      "sml",
      "cobol",
      "crystal",
      "haxe",
      "brainfuck",
      "forth",
      "erlang",
      "commonLisp",
      "scheme",
    ]) {
      expect(LOADERS[m], m).toBeTypeOf("function");
    }
  });
  it("loads a legacy mode and a lang package", async () => {
    expect(await LOADERS.oCaml()).toBeTruthy();
    expect(await LOADERS.python()).toBeTruthy();
  });
});

describe("diagnostics", () => {
  const doc = Text.of(["#include <stdio.h>", "int main(void)", "{", "\treturn x;", "}"]);
  it("maps line and column to a word", () => {
    const r = {
      compile: { diagnostics: [{ file: "main.c", line: 4, column: 9, severity: "error", message: "‘x’ undeclared" }] },
      run: null,
    };
    const d = toEditorDiagnostics(resultDiagnostics(r), doc, "main.c");
    const line4 = doc.line(4);
    expect(d).toEqual([{ from: line4.from + 8, to: line4.from + 9, severity: "error", message: "‘x’ undeclared" }]);
  });
  it("takes the whole line without a column, skips other files and unknown lines", () => {
    const d = toEditorDiagnostics(
      [
        { file: "main.py", line: 2, column: null, severity: "warning", message: "w" },
        { file: "/usr/include/stdio.h", line: 1, column: 1, severity: "note", message: "n" },
        { file: "", line: null, column: null, severity: "error", message: "ld" },
        { file: "", line: 99, column: 1, severity: "note", message: "past the end" },
      ],
      doc,
      "main.py",
    );
    expect(d[0]).toEqual({ from: doc.line(2).from, to: doc.line(2).to, severity: "warning", message: "w" });
    expect(d[1]).toMatchObject({ severity: "info", message: "past the end" });
    expect(d).toHaveLength(2);
  });
  it("reads compile and run diagnostics", () => {
    expect(resultDiagnostics(null)).toEqual([]);
    expect(
      resultDiagnostics({
        compile: null,
        run: { diagnostics: [{ file: "", line: 1, column: 1, severity: "error", message: "m" }] },
      }),
    ).toHaveLength(1);
  });
});

describe("text diff", () => {
  it("replaces only the middle and keeps surrogate pairs whole", () => {
    const c = diffText("hello world", "hello brave world");
    expect(c.apply(Text.of(["hello world"])).toString()).toBe("hello brave world");
    const e = diffText("a😀b", "a😃b");
    let ok = true;
    e.iterChanges((fa, ta) => {
      if (fa !== 1 || ta !== 3) ok = false;
    });
    expect(ok).toBe(true);
    expect(diffText("same", "same").empty).toBe(true);
  });
});

describe("terminal line editor", () => {
  it("echoes, edits and sends lines", () => {
    const l = new LineEditor();
    expect(l.feed("Ad")).toEqual({ echo: "Ad", lines: [], eof: false });
    expect(l.feed("x\x7fa\r")).toEqual({ echo: "x\b \ba\r\n", lines: ["Ada\n"], eof: false });
    expect(l.feed("\x1b[A").echo).toBe("");
  });
});

describe("run model", () => {
  it("says when a busy runner asks to be tried again", () => {
    const busy = { event: "error", code: "busy", message: "every slot is busy", retry_after_ms: 3000 };
    expect(runErrorText(busy)).toBe("every slot is busy; try again in 3 s");
    expect(runErrorText({ event: "error", code: "busy", retry_after_ms: 1 })).toBe("busy; try again in 1 s");
    expect(runErrorText({ event: "error", code: "runner_unavailable", message: "down" })).toBe("down");
    expect(runErrorText({ event: "error" })).toBe("the run failed");
    expect(foldRun(emptyRun, busy).error).toBe("every slot is busy; try again in 3 s");
    expect(terminalText(busy, null, () => null)).toContain("every slot is busy; try again in 3 s");
  });

  it("folds a run's events", () => {
    let s = foldRun(emptyRun, { event: "started", run: 3, by: "p1", name: "Ada", version: 7, language: "python" });
    expect(s.active).toBe(true);
    s = foldRun(s, { event: "stdout", stage: "run", data: "Name? " });
    s = foldRun(s, { event: "stdin", by: "p2", data: "Bob\n", eof: false });
    s = foldRun(s, { event: "stderr", stage: "run", data: "oops\n" });
    s = foldRun(s, {
      event: "result",
      result: {
        verdict: "runtime_error",
        compile: null,
        run: {
          verdict: "runtime_error",
          exit_code: 1,
          signal: null,
          signal_name: null,
          cpu_ms: 12,
          wall_ms: 30,
          memory_bytes: 8 << 20,
        },
      },
    });
    s = foldRun(s, { event: "end", verdict: "runtime_error" });
    expect(s.output).toBe("Name? Bob\noops\n");
    expect(s.active).toBe(false);
    expect(verdictText(s)).toBe("runtime error · exit 1 · 12 ms CPU · 30 ms wall · 8.0 MiB");
  });
  it("draws a late joiner's run from welcome", () => {
    const s = runFromWelcome({
      run: 1,
      by: "p1",
      name: "Ada",
      version: 1,
      language: "c",
      active: true,
      verdict: null,
      truncated: false,
      events: [
        { event: "started", run: 1, by: "p1", name: "Ada", version: 1, language: "c" },
        { event: "stdout", data: "hi\n" },
      ],
    });
    expect(s.active).toBe(true);
    expect(s.output).toBe("hi\n");
  });
});

describe("api and settings", () => {
  it("puts HTTP errors in words", () => {
    expect(httpErrorText(502, "<html>", "text/html")).toMatch(/not running/);
    expect(httpErrorText(400, '{"error":{"code":"x","message":"language: unknown"}}', "application/json")).toMatch(
      /language: unknown/,
    );
  });
  it("sanitizes stored settings", () => {
    const d = defaultSettings(() => 0);
    expect(sanitize({ theme: "neon", fontSize: 100, color: "red", name: "Ada", vim: true }, d)).toEqual({
      ...d,
      name: "Ada",
      vim: true,
    });
    expect(cleanName(" Ada\n ")).toBe("Ada");
    expect(new TextEncoder().encode(cleanName("é".repeat(64))).length).toBeLessThanOrEqual(64);
  });
});
