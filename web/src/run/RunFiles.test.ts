import { describe, expect, it } from "vitest";
import { dataUrl, filesOf, sizeText } from "./RunFiles";

describe("the files of a run", () => {
  it("are read from the result, and nothing else is", () => {
    expect(filesOf(null)).toEqual({ files: [], refused: [], truncated: false });
    expect(filesOf({ verdict: "accepted", compile: null, run: null, files: "x" })).toEqual({
      files: [],
      refused: [],
      truncated: false,
    });
    const f = { name: "a.csv", type: "text/csv", size: 4, data: "1,2\n", encoding: "utf-8", truncated: false };
    const r = filesOf({
      verdict: "accepted",
      compile: null,
      run: null,
      files: [f],
      files_refused: [{ name: "x.exe", reason: "not a type runpad returns" }],
      files_truncated: true,
    });
    expect(r.files).toEqual([f]);
    expect(r.refused[0].name).toBe("x.exe");
    expect(r.truncated).toBe(true);
  });
  it("become data URLs as their encoding says", () => {
    expect(
      dataUrl({ name: "p.png", type: "image/png", size: 3, data: "iVBO", encoding: "base64", truncated: false }),
    ).toBe("data:image/png;base64,iVBO");
    expect(
      dataUrl({ name: "t.txt", type: "text/plain", size: 3, data: "a b#", encoding: "utf-8", truncated: false }),
    ).toBe("data:text/plain;charset=utf-8,a%20b%23");
  });
  it("say their size", () => {
    expect(sizeText(12)).toBe("12 B");
    expect(sizeText(2048)).toBe("2.0 KiB");
    expect(sizeText(3 * 1024 * 1024)).toBe("3.0 MiB");
  });
});
