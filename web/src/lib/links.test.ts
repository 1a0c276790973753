import { describe, it, expect } from "vitest";
import { loadLinks, loadSecret, NO_LINKS, saveLinks, saveSecret, updateLink, type KeyValue } from "./links";

class MapStorage implements KeyValue {
  m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

const O = "O".repeat(32);
const C = "C".repeat(32);
const V = "V".repeat(32);

describe("links kept in the browser", () => {
  it("keeps a pad's links apart from another's", () => {
    const s = new MapStorage();
    saveLinks("p1", { owner: O, candidate: C, observer: V }, s);
    expect(loadLinks("p1", s)).toEqual({ owner: O, candidate: C, observer: V });
    expect(loadLinks("p2", s)).toEqual(NO_LINKS);
  });

  it("takes a rotated key and forgets a revoked one", () => {
    const s = new MapStorage();
    saveLinks("p1", { owner: O, candidate: C, observer: V }, s);
    const n = "N".repeat(32);
    expect(updateLink("p1", "candidate", n, s)).toEqual({ owner: O, candidate: n, observer: V });
    expect(updateLink("p1", "observer", null, s)).toEqual({ owner: O, candidate: n, observer: null });
    expect(loadLinks("p1", s)).toEqual({ owner: O, candidate: n, observer: null });
  });

  it("reads nothing it did not write", () => {
    const s = new MapStorage();
    s.setItem("runpad.links.p1", "{not json");
    expect(loadLinks("p1", s)).toEqual(NO_LINKS);
    s.setItem("runpad.links.p1", JSON.stringify({ owner: "short", candidate: 5, observer: V }));
    expect(loadLinks("p1", s)).toEqual({ owner: null, candidate: null, observer: V });
    expect(loadLinks("p1", null)).toEqual(NO_LINKS);
  });

  it("keeps the creation secret, and forgets an empty one", () => {
    const s = new MapStorage();
    expect(loadSecret(s)).toBe("");
    saveSecret("hunter2hunter2hunter2", s);
    expect(loadSecret(s)).toBe("hunter2hunter2hunter2");
    saveSecret("", s);
    expect(s.m.size).toBe(0);
  });
});
