import { describe, it, expect } from "vitest";
import { TerminalFeed, TERM_BUFFER_MAX, type TermSink } from "./terminal";

class Screen implements TermSink {
  text = "";
  clears = 0;
  write(s: string) {
    this.text += s;
  }
  clear() {
    this.text = "";
    this.clears++;
  }
}

describe("TerminalFeed", () => {
  it("replays what was written to a terminal attached later, then follows", () => {
    const feed = new TerminalFeed();
    feed.write("one\r\n");
    const a = new Screen();
    const detach = feed.attach(a);
    expect(a.text).toBe("one\r\n");
    feed.write("two\r\n");
    expect(a.text).toBe("one\r\ntwo\r\n");
    detach();
    feed.write("three\r\n");
    expect(a.text).toBe("one\r\ntwo\r\n");
    const b = new Screen();
    feed.attach(b);
    expect(b.text).toBe("one\r\ntwo\r\nthree\r\n");
  });

  it("clears every terminal and the replay", () => {
    const feed = new TerminalFeed();
    const a = new Screen();
    feed.attach(a);
    feed.write("old");
    feed.clear();
    expect(a.text).toBe("");
    const b = new Screen();
    feed.attach(b);
    expect(b.text).toBe("");
  });

  it("keeps the end of a long output only", () => {
    const feed = new TerminalFeed();
    feed.write("a".repeat(TERM_BUFFER_MAX));
    feed.write("b".repeat(10));
    const s = new Screen();
    feed.attach(s);
    expect(s.text.length).toBe(TERM_BUFFER_MAX / 2);
    expect(s.text.endsWith("a" + "b".repeat(10))).toBe(true);
  });
});
