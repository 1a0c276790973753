import { describe, it, expect } from "vitest";
import { createSpec, defaultLanguage, fetchTemplates, starterEdit, starterOf } from "./newInterview";
import type { Runtime } from "../lib/api";
import type { Welcome } from "../lib/protocol";

type Call = { url: string; headers: Record<string, string> };
function fakeFetch(status: number, body: unknown, calls: Call[] = []): typeof fetch {
  return ((url: string, init?: RequestInit) => {
    calls.push({ url, headers: (init?.headers ?? {}) as Record<string, string> });
    return Promise.resolve(
      new Response(typeof body === "string" ? body : JSON.stringify(body), {
        status,
        headers: { "content-type": "application/json" },
      }),
    );
  }) as typeof fetch;
}

const rt = (language: string, starter?: string): Runtime => ({
  language,
  name: language,
  aliases: [],
  version: "1",
  mode: null,
  ...(starter !== undefined ? { starter } : {}),
});

describe("templates.json", () => {
  it("lists the templates, asking beside the creation socket with the secret", async () => {
    const calls: Call[] = [];
    const body = {
      templates: [{ name: "two-sum", title: "Two sum", language: "python", tests: 3 }, { nope: 1 }],
      create: "secret",
    };
    const a = await fetchTemplates("https://h/iv/#x", "s3cret", fakeFetch(200, body, calls));
    expect(a).toEqual({
      kind: "ok",
      templates: [{ name: "two-sum", title: "Two sum", language: "python", tests: 3 }],
      create: "secret",
    });
    expect(calls).toEqual([
      {
        url: "https://h/iv/ws/new/templates.json",
        headers: { Accept: "application/json", "X-Runpad-Create-Secret": "s3cret" },
      },
    ]);
  });

  it("sends no secret header without a secret", async () => {
    const calls: Call[] = [];
    await fetchTemplates("http://h/", "", fakeFetch(200, { templates: [], create: "anyone" }, calls));
    expect(calls[0].headers).toEqual({ Accept: "application/json" });
  });

  it("has no templates on a daemon older than them (404)", async () => {
    expect(await fetchTemplates("http://h/", "", fakeFetch(404, "not found"))).toEqual({ kind: "none", error: null });
  });

  it("asks for the secret on 401", async () => {
    const body = { error: "create_forbidden", message: "x" };
    expect(await fetchTemplates("http://h/", "", fakeFetch(401, body))).toEqual({ kind: "secret" });
  });

  it("says what went wrong otherwise", async () => {
    expect(await fetchTemplates("http://h/", "", fakeFetch(502, "<html>"))).toEqual({
      kind: "none",
      error: "The pad server answered HTTP 502 for its templates.",
    });
    expect(await fetchTemplates("http://h/", "", fakeFetch(200, "{bad"))).toEqual({
      kind: "none",
      error: "The pad server sent a list of templates this page cannot read.",
    });
    const down = (() => Promise.reject(new TypeError("failed"))) as typeof fetch;
    expect(await fetchTemplates("http://h/", "", down)).toEqual({
      kind: "none",
      error: "Could not reach the pad server to list its templates.",
    });
  });
});

describe("the hello's create", () => {
  it("has the template or else the language, the title, the secret", () => {
    expect(createSpec({ title: " Two sum ", language: "python", template: "" }, "")).toEqual({
      language: "python",
      title: "Two sum",
    });
    expect(createSpec({ title: "", language: "python", template: "two-sum" }, "s")).toEqual({
      template: "two-sum",
      secret: "s",
    });
  });

  it("starts a pad without a template with the language's starter", () => {
    const rts = [rt("python", "print('hello')\n"), rt("c"), rt("go", "")];
    expect(starterOf({ title: "", language: "python", template: "" }, rts)).toBe("print('hello')\n");
    expect(starterOf({ title: "", language: "python", template: "two-sum" }, rts)).toBeNull();
    expect(starterOf({ title: "", language: "c", template: "" }, rts)).toBeNull();
    expect(starterOf({ title: "", language: "go", template: "" }, rts)).toBeNull();
    expect(defaultLanguage(rts)).toBe("python");
    expect(defaultLanguage([rt("c")])).toBe("c");
    expect(defaultLanguage([])).toBe("");
  });

  it("pushes the starter only into the pad this page just made, while it is empty", () => {
    const links = { owner: "O".repeat(32), candidate: "C".repeat(32), observer: "V".repeat(32) };
    const w = { type: "welcome", version: 0, links } as unknown as Welcome;
    expect(starterEdit(w, "x = 1\n", 0)).toBe("x = 1\n");
    expect(starterEdit({ ...w, links: undefined }, "x = 1\n", 0)).toBeNull(); // joined, not made
    expect(starterEdit({ ...w, version: 1 }, "x = 1\n", 0)).toBeNull();
    expect(starterEdit(w, "x = 1\n", 3)).toBeNull();
    expect(starterEdit(w, null, 0)).toBeNull();
  });
});
