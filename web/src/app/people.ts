// Who is in the pad: this page's participant and the others, from the
// welcome, join, profile and leave messages, with their carets and
// selections drawn in the editor (presence).  Names outlive a departure:
// a run started by someone who has left still says who started it.
import type { Participant, Role } from "../lib/protocol";
import type { RemoteSelection } from "../lib/padClient";
import type { EditorController } from "../editor/EditorController";
import type { Person } from "./view";

export type RemoteCursors = Pick<EditorController, "setRemote" | "removeRemote">;

export interface PeopleOptions {
  cursors: () => RemoteCursors | null; // null before the editor is mounted
  onChange: (people: Person[]) => void; // this page's participant first
}

export class People {
  private people = new Map<string, Person>();
  private seen = new Map<string, string>(); // every id met → name, for old run events
  private you: string | null = null;

  constructor(private readonly opts: PeopleOptions) {}

  // A (re)connection: the carets drawn so far may belong to sessions that
  // are gone; the welcome lists who is here.  The others are compared with
  // the id of the connection before this one, so that one (not yet gone at
  // the daemon) is not drawn as someone else.
  welcome(you: string, self: { name: string; color: string; role?: Role }, participants: Participant[]): void {
    for (const id of this.people.keys()) this.opts.cursors()?.removeRemote(id);
    this.people.clear();
    this.people.set(you, { id: you, name: self.name, color: self.color, you: true, role: self.role ?? null });
    this.seen.set(you, self.name);
    for (const p of participants) this.put(p);
    this.you = you;
    this.changed();
  }

  // A join, or a new name or colour.
  add(p: Participant): void {
    this.put(p);
    this.changed();
  }

  leave(id: string): void {
    this.people.delete(id);
    this.opts.cursors()?.removeRemote(id);
    this.changed();
  }

  // Someone's selection, already mapped to the editor's document.
  presence(sel: RemoteSelection): void {
    const p = this.people.get(sel.id);
    this.opts.cursors()?.setRemote(sel.id, { ranges: sel.ranges, name: p?.name, color: p?.color });
  }

  // This page's own name or colour changed (once it has been welcomed).
  setSelf(name: string, color: string): void {
    const you = this.you;
    const me = you !== null ? this.people.get(you) : undefined;
    if (!you || !me) return;
    this.people.set(you, { ...me, name, color });
    this.seen.set(you, name);
    this.changed();
  }

  // The name of someone here now or met earlier, or null.
  nameOf(id: string): string | null {
    return this.people.get(id)?.name ?? this.seen.get(id) ?? null;
  }

  // The name of someone here now, or null.
  nameHere(id: string): string | null {
    return this.people.get(id)?.name ?? null;
  }

  private put(p: Participant): void {
    const you = p.id === this.you;
    const role = p.role ?? this.people.get(p.id)?.role ?? null;
    this.people.set(p.id, { id: p.id, name: p.name, color: p.color, you, role });
    this.seen.set(p.id, p.name);
    if (!you) this.opts.cursors()?.setRemote(p.id, { name: p.name, color: p.color });
  }

  private changed(): void {
    const list = [...this.people.values()].sort((a, b) => (a.you === b.you ? 0 : a.you ? -1 : 1));
    this.opts.onChange(list);
  }
}
