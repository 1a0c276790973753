import { describe, it, expect, beforeEach, afterEach, vi } from "vitest";
import { Toasts } from "./toasts";

describe("Toasts", () => {
  let toasts: Toasts;
  const texts = () => toasts.items.get().map((t) => t.text);
  beforeEach(() => {
    vi.useFakeTimers();
    toasts = new Toasts();
  });
  afterEach(() => vi.useRealTimers());

  it("shows at most four, the newest last", () => {
    for (const t of ["a", "b", "c", "d", "e"]) toasts.show(t);
    expect(texts()).toEqual(["b", "c", "d", "e"]);
  });

  it("shows a repeated text once, moved to the end", () => {
    toasts.show("a");
    toasts.show("b");
    toasts.show("a", "error");
    expect(toasts.items.get().map((t) => [t.text, t.level])).toEqual([
      ["b", "info"],
      ["a", "error"],
    ]);
  });

  it("hides information after 4 s and errors after 8 s", () => {
    toasts.show("note");
    toasts.show("broken", "error");
    vi.advanceTimersByTime(3999);
    expect(texts()).toEqual(["note", "broken"]);
    vi.advanceTimersByTime(1);
    expect(texts()).toEqual(["broken"]);
    vi.advanceTimersByTime(4000);
    expect(texts()).toEqual([]);
  });

  it("does not let an old timer hide a repeat of the same text", () => {
    toasts.show("again");
    vi.advanceTimersByTime(3000);
    toasts.show("again");
    vi.advanceTimersByTime(1000);
    expect(texts()).toEqual(["again"]);
    vi.advanceTimersByTime(3000);
    expect(texts()).toEqual([]);
  });

  it("dismisses one by id", () => {
    toasts.show("a");
    toasts.show("b");
    toasts.dismiss(toasts.items.get()[0].id);
    expect(texts()).toEqual(["b"]);
  });
});
