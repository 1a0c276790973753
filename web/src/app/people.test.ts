import { describe, it, expect, beforeEach } from "vitest";
import { People, type RemoteCursors } from "./people";
import type { Person } from "./view";

// The editor's carets as calls: the test checks what would be drawn.
class FakeCursors implements RemoteCursors {
  drawn = new Map<string, { ranges?: unknown; name?: string; color?: string }>();
  removed: string[] = [];
  setRemote(id: string, fields: { ranges?: unknown; name?: string; color?: string }) {
    this.drawn.set(id, { ...this.drawn.get(id), ...fields });
  }
  removeRemote(id: string) {
    this.removed.push(id);
    this.drawn.delete(id);
  }
}

const grace = { id: "p2", name: "Grace", color: "#98c379" };
const linus = { id: "p3", name: "Linus", color: "#61afef" };
const me = { name: "Ada", color: "#e06c75" };

describe("People", () => {
  let cursors: FakeCursors;
  let lists: Person[][];
  let people: People;
  const list = () => lists[lists.length - 1];
  const names = () => list().map((p) => (p.you ? `${p.name} (you)` : p.name));

  beforeEach(() => {
    cursors = new FakeCursors();
    lists = [];
    people = new People({ cursors: () => cursors, onChange: (l) => lists.push(l) });
  });

  it("lists this page first and draws the others' carets from the welcome", () => {
    people.welcome("p1", me, [grace, linus]);
    expect(names()).toEqual(["Ada (you)", "Grace", "Linus"]);
    expect([...cursors.drawn.keys()]).toEqual(["p2", "p3"]);
    expect(cursors.drawn.get("p2")).toEqual({ name: "Grace", color: "#98c379" });
  });

  it("keeps this page first when someone joins, and follows a new profile", () => {
    people.welcome("p1", me, []);
    people.add(grace);
    people.add({ ...grace, name: "Grace H." });
    expect(names()).toEqual(["Ada (you)", "Grace H."]);
    expect(cursors.drawn.get("p2")?.name).toBe("Grace H.");
  });

  it("forgets who left but still names them for old run events", () => {
    people.welcome("p1", me, [grace]);
    people.leave("p2");
    expect(names()).toEqual(["Ada (you)"]);
    expect(cursors.removed).toEqual(["p2"]);
    expect(people.nameHere("p2")).toBe(null);
    expect(people.nameOf("p2")).toBe("Grace");
    expect(people.nameOf("nobody")).toBe(null);
  });

  it("drops the carets of a previous connection on a new welcome", () => {
    people.welcome("p1", me, [grace, linus]);
    people.welcome("p9", me, [linus]);
    expect(cursors.removed.sort()).toEqual(["p1", "p2", "p3"]);
    expect([...cursors.drawn.keys()]).toEqual(["p3"]);
    expect(list().map((p) => p.id)).toEqual(["p9", "p3"]);
  });

  it("does not draw the previous connection of this page as someone else", () => {
    people.welcome("p1", me, []);
    // reconnected while the daemon still holds the old connection
    people.welcome("p9", me, [{ id: "p1", ...me }]);
    expect(cursors.drawn.has("p1")).toBe(false);
    expect(list().every((p) => p.you)).toBe(true);
  });

  it("draws a selection with the person's name and colour", () => {
    people.welcome("p1", me, [grace]);
    people.presence({ id: "p2", ranges: [{ anchor: 1, head: 4 }] });
    expect(cursors.drawn.get("p2")).toEqual({ ranges: [{ anchor: 1, head: 4 }], name: "Grace", color: "#98c379" });
  });

  it("renames this page only once it has been welcomed", () => {
    people.setSelf("Bob", "#000000");
    expect(lists).toEqual([]);
    people.welcome("p1", me, [grace]);
    people.setSelf("Bob", "#000000");
    expect(list()[0]).toEqual({ id: "p1", name: "Bob", color: "#000000", you: true, role: null });
    expect(people.nameOf("p1")).toBe("Bob");
    expect(cursors.drawn.has("p1")).toBe(false);
  });

  it("works before the editor is there", () => {
    const none = new People({ cursors: () => null, onChange: (l) => lists.push(l) });
    none.welcome("p1", me, [grace]);
    none.presence({ id: "p2", ranges: null });
    none.leave("p2");
    expect(list().map((p) => p.id)).toEqual(["p1"]);
  });
});
