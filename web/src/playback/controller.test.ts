// Reading history pages through the pad client, and who may.
import { describe, it, expect } from "vitest";
import type { ClientEvent } from "../lib/padClient";
import { clientHistoryFetch, mayReplay } from "./controller";

function fakeClient(connected = true) {
  const listeners: ((e: ClientEvent) => void)[] = [];
  const asked: [string, number][] = [];
  return {
    asked,
    emit: (e: ClientEvent) => [...listeners].forEach((l) => l(e)),
    listeners,
    on(fn: (e: ClientEvent) => void) {
      listeners.push(fn);
      return () => listeners.splice(listeners.indexOf(fn), 1);
    },
    requestHistory(doc: "pad" | "notes", from: number) {
      asked.push([doc, from]);
      return connected;
    },
  };
}

const page = (doc: "pad" | "notes", from: number) => ({ doc, from, head: 3, updates: [], more: false });

describe("clientHistoryFetch", () => {
  it("resolves with the page of the same document and version, and stops listening", async () => {
    const c = fakeClient();
    const seen: number[] = [];
    const p = clientHistoryFetch(c, (pg) => seen.push(pg.from))("pad", 2);
    c.emit({ kind: "history", page: page("notes", 2) });
    c.emit({ kind: "history", page: page("pad", 0) });
    c.emit({ kind: "history", page: page("pad", 2) });
    await expect(p).resolves.toEqual({ type: "history", ...page("pad", 2) });
    expect(c.asked).toEqual([["pad", 2]]);
    expect(seen).toEqual([2]);
    expect(c.listeners.length).toBe(0);
  });

  it("fails on forbidden, a lost connection, or when not connected", async () => {
    const c = fakeClient();
    const p1 = clientHistoryFetch(c)("notes", 0);
    c.emit({ kind: "toast", code: "forbidden", text: "observers cannot read the notes", level: "error" });
    await expect(p1).rejects.toThrow("observers cannot read the notes");
    const p2 = clientHistoryFetch(c)("pad", 0);
    c.emit({ kind: "state", state: "reconnecting" });
    await expect(p2).rejects.toThrow("the connection to the pad was lost");
    await expect(clientHistoryFetch(fakeClient(false))("pad", 0)).rejects.toThrow("not connected to the pad");
    expect(c.listeners.length).toBe(0);
  });
});

describe("clientHistoryFetch when rate limited", () => {
  it("asks again after a while", async () => {
    const c = fakeClient();
    const p = clientHistoryFetch(c, undefined, 5000, 20)("pad", 4);
    c.emit({ kind: "toast", code: "rate_limited", text: "slow down", level: "info" });
    await new Promise((r) => setTimeout(r, 60));
    expect(c.asked).toEqual([
      ["pad", 4],
      ["pad", 4],
    ]);
    c.emit({ kind: "history", page: page("pad", 4) });
    await expect(p).resolves.toMatchObject({ from: 4 });
  });
});

describe("mayReplay", () => {
  it("owners and editors; observers when playback is on; never candidates", () => {
    expect(mayReplay("owner", false)).toBe(true);
    expect(mayReplay("editor", false)).toBe(true);
    expect(mayReplay("observer", false)).toBe(false);
    expect(mayReplay("observer", true)).toBe(true);
    expect(mayReplay("candidate", true)).toBe(false);
    expect(mayReplay(null, true)).toBe(false);
  });
});
