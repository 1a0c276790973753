// One document kept in step with the daemon: the collab side of the pad
// client, for the pad's text or the owners' notes (docs/protocol.md,
// "Notes": the same authority and rules, `"doc":"notes"` on the wire).
//
// It holds the document's editor state (through a DocHost) with the
// collab() extension, whose sendableUpdates() are the local changes not
// yet confirmed; `confirmed`, the text at the synced version; and the last
// updates, to map remote selections made at older versions.  At most one
// push is in flight.  `stale_version` means: wait for the broadcasts (pull
// if they do not come), and push again rebased.  A snapshot rebases the
// local unconfirmed changes over the difference between the text we knew
// and the snapshot.  The socket, the hello and the routing of messages are
// the PadClient's (padClient.ts); it hands each document its messages.
import { ChangeSet, EditorState, Text, TransactionSpec } from "@codemirror/state";
import { getSyncedVersion, receiveUpdates, sendableUpdates, Update } from "@codemirror/collab";
import type { ClientMessage, DocName, SelectionJSON, UpdateJSON } from "./protocol";
import { padErrorText } from "./errors";
import { diffText } from "./textDiff";

// Where the text lives.  reset() replaces the state by a new one holding
// `doc` at `version` with collab({startVersion: version, clientID}).
export interface DocHost {
  readonly state: EditorState;
  dispatch(spec: TransactionSpec): void;
  reset(doc: string, version: number, clientID: string): void;
}

// What a document needs of the connection it shares.
export interface SyncLink {
  connected(): boolean; // welcomed, and the socket is open
  gen(): number; // bumped on every new socket
  send(msg: ClientMessage): boolean;
  nextRef(): number; // push refs are unique across the documents of a socket
  maxPerPush(): number;
  toast(code: string, text: string, level: "info" | "error"): void;
  hardReset(): void; // reconnect and take fresh snapshots of what was refused
  onVersion(doc: DocName, version: number): void; // the synced version moved
}

const HISTORY = 1000; // updates kept to map remote selections

export function newClientID(random: () => number = Math.random): string {
  let s = "";
  for (let i = 0; i < 12; i++) s += "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(random() * 36)];
  return s;
}

export class DocSync {
  clientID: string;
  started = false; // the host holds this document's state
  discardLocal = false; // the next snapshot replaces the local text
  private pushing: { ref: number; n: number } | null = null;
  private waitHead: number | null = null;
  private waitTimer: ReturnType<typeof setTimeout> | null = null;
  private gap = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private confirmed: Text | null = null;
  private history: { version: number; changes: ChangeSet }[] = [];

  constructor(
    readonly doc: DocName,
    readonly host: DocHost,
    private readonly link: SyncLink,
    private readonly random: () => number = Math.random,
    private readonly staleWaitMs = 500,
  ) {
    this.clientID = newClientID(random);
  }

  get version(): number | null {
    return this.started ? getSyncedVersion(this.host.state) : null;
  }

  get unconfirmed(): number {
    return this.started ? sendableUpdates(this.host.state).length : 0;
  }

  // `doc` on the wire: absent for the pad's text (what daemons before notes know)
  private get tag(): { doc?: "notes" } {
    return this.doc === "notes" ? { doc: "notes" } : {};
  }

  // A new socket: nothing is in flight on it.
  connecting(): void {
    this.pushing = null;
    this.waitHead = null;
    this.gap = false;
  }

  clearTimers(): void {
    for (const t of [this.waitTimer, this.retryTimer]) if (t) clearTimeout(t);
    this.waitTimer = this.retryTimer = null;
  }

  // The text of a welcome: a first load (or one after a refused change)
  // replaces, a reconnection rebases the local changes onto it.
  snapshot(doc: string, version: number): void {
    if (!this.started || this.discardLocal) this.replace(doc, version);
    else this.resync(doc, version);
    this.discardLocal = false;
  }

  // The updates of a welcome, from `from`; false when they do not reach
  // back to the synced version (start over from a snapshot).
  catchUp(from: number, updates: UpdateJSON[]): boolean {
    if (!this.started) return false;
    const local = this.version!;
    if (from > local) return false;
    this.applyRemote(local, updates.slice(local - from));
    this.discardLocal = false;
    return true;
  }

  private replace(doc: string, version: number): void {
    this.host.reset(doc, version, this.clientID);
    this.started = true;
    this.confirmed = this.host.state.doc;
    this.history = [];
  }

  // A snapshot: the daemon's text at `version`, which the local unconfirmed
  // changes cannot be rebased onto by collab.  Rebase them here: the
  // difference between the text we last knew and the snapshot stands for
  // the updates we missed; map the local changes over it and re-apply them
  // as a new change.
  resync(doc: string, version: number): void {
    if (!this.started) {
      this.replace(doc, version);
      return;
    }
    const state = this.host.state;
    const unconfirmed = sendableUpdates(state);
    let again: ChangeSet | null = null;
    if (unconfirmed.length) {
      const local = unconfirmed.map((u) => u.changes).reduce((a, b) => a.compose(b));
      if (this.confirmed && local.length === this.confirmed.length) {
        again = local.map(diffText(this.confirmed, doc));
      } else {
        again = diffText(doc, state.doc.toString());
      }
    }
    // a new clientID: nothing the daemon still holds from us can be
    // mistaken for the re-applied change
    this.clientID = newClientID(this.random);
    this.replace(doc, version);
    if (again && !again.empty) this.host.dispatch({ changes: again });
    this.pushing = null;
    this.waitHead = null;
    this.gap = false;
    this.link.onVersion(this.doc, version);
    this.schedulePush();
  }

  // An `updates` message; a gap before it is filled by a pull.
  updates(version: number, updates: UpdateJSON[]): void {
    if (!this.link.connected() || !this.started) return;
    const local = this.version!;
    if (version > local) {
      if (!this.gap) {
        this.gap = true;
        this.link.send({ type: "pull", version: local, ...this.tag });
      }
      return;
    }
    if (version + updates.length <= local) return;
    this.applyRemote(local, updates.slice(local - version));
    this.gap = false;
    this.schedulePush();
  }

  // updates[0] applies to `from`, which is the synced version
  private applyRemote(from: number, updates: UpdateJSON[]): void {
    if (!updates.length) return;
    const parsed: Update[] = updates.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) }));
    let confirmed = this.confirmed!;
    parsed.forEach((u, i) => {
      confirmed = u.changes.apply(confirmed);
      this.history.push({ version: from + i, changes: u.changes });
    });
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    this.confirmed = confirmed;
    const ours = parsed.some((u) => u.clientID === this.clientID);
    if (!sendableUpdates(this.host.state).length) this.host.dispatch(receiveUpdates(this.host.state, parsed));
    else for (const u of parsed) this.host.dispatch(receiveUpdates(this.host.state, [u]));
    if (ours) this.pushing = null;
    const v = this.version!;
    if (this.waitHead !== null && v >= this.waitHead) {
      this.waitHead = null;
      if (this.waitTimer) clearTimeout(this.waitTimer);
      this.waitTimer = null;
    }
    this.link.onVersion(this.doc, v);
  }

  // An error about this document's push in flight (matched by `ref`);
  // false when it is about something else.
  pushError(msg: { code: string; message: string; ref?: unknown; head?: number; retry_after_ms?: number }): boolean {
    if (!this.pushing || msg.ref !== this.pushing.ref) return false;
    this.pushing = null;
    if (msg.code === "stale_version") {
      const head = typeof msg.head === "number" ? msg.head : this.version! + 1;
      if (this.version! >= head) {
        this.schedulePush();
        return true;
      }
      this.waitHead = head;
      if (this.waitTimer) clearTimeout(this.waitTimer);
      const gen = this.link.gen();
      this.waitTimer = setTimeout(() => {
        this.waitTimer = null;
        if (gen === this.link.gen() && this.waitHead !== null && !this.gap) {
          this.gap = true;
          this.link.send({ type: "pull", version: this.version!, ...this.tag });
        }
      }, this.staleWaitMs);
      return true;
    }
    if (msg.code === "rate_limited") {
      this.link.toast(msg.code, padErrorText(msg.code, msg.message), "info");
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(
        () => {
          this.retryTimer = null;
          this.schedulePush();
        },
        (msg.retry_after_ms ?? 200) + 10,
      );
      return true;
    }
    // refused (too large, malformed, forbidden, ...): it cannot be rebased
    // into something acceptable; reload this document's text
    this.link.toast(msg.code, padErrorText(msg.code, msg.message), "error");
    this.discardLocal = true;
    this.link.hardReset();
    return true;
  }

  schedulePush(): void {
    if (!this.started || !this.link.connected()) return;
    if (this.pushing || this.waitHead !== null || this.gap || this.retryTimer) return;
    const sendable = sendableUpdates(this.host.state);
    if (!sendable.length) return;
    const updates = sendable
      .slice(0, this.link.maxPerPush())
      .map((u): UpdateJSON => ({ clientID: u.clientID, changes: u.changes.toJSON() }));
    const ref = this.link.nextRef();
    this.pushing = { ref, n: updates.length };
    this.link.send({ type: "push", version: this.version!, ref, updates, ...this.tag });
  }

  // Ranges of a selection made at `version` (at most the synced one),
  // mapped through the updates since and the local changes to the host's
  // document; null when `version` is too old to place.
  mapSelection(version: number, selection: SelectionJSON): { anchor: number; head: number }[] | null {
    const synced = this.version!;
    const steps: ChangeSet[] = [];
    if (version < synced) {
      const first = this.history.findIndex((h) => h.version === version);
      if (first < 0) return null;
      for (const h of this.history.slice(first)) steps.push(h.changes);
    }
    for (const u of sendableUpdates(this.host.state)) steps.push(u.changes);
    const len0 = steps.length ? steps[0].length : this.host.state.doc.length;
    let ranges = selection.ranges.map((r) => ({ anchor: Math.min(r.anchor, len0), head: Math.min(r.head, len0) }));
    for (const c of steps) {
      ranges = ranges.map((r) => ({ anchor: c.mapPos(r.anchor, 1), head: c.mapPos(r.head, 1) }));
    }
    return ranges;
  }
}
