// The pad socket client: docs/protocol.md over one websocket, reconnecting.
//
// Theory of operation.  The daemon is the authority of the collab model:
// a push made at an older version is rebased over what was accepted since
// (rebaseUpdates, one accepted update at a time), then broadcast to
// everyone, the pusher included: the broadcast is the confirmation.  While
// it holds unconfirmed changes, the client takes remote updates one at a
// time too, so that both sides map those changes the same way (mapping
// over a composition can place an insertion differently from mapping over
// its parts in turn; docs/protocol.md, "Rebasing").  The client keeps
// - the editor state (owned by a DocHost, the editor in the app, a plain
//   EditorState in the tests) with the collab() extension, whose
//   sendableUpdates() are the local changes not yet confirmed;
// - `confirmed`, the text at the synced version (the daemon's text as far
//   as we know it), and the last updates, to map remote selections made at
//   older versions and to rebase local changes onto a snapshot.
// At most one push is in flight.  `stale_version` (a push more than
// ws.max_catchup behind) means: wait for the broadcasts (pull if they do
// not come), and push again rebased.  A lost socket reconnects with exponential backoff and
// `hello {version}`; the daemon answers with the missed updates (or a
// snapshot), local unconfirmed changes are rebased and pushed, so typing
// offline just works.  A refused change (doc_too_large, ...) cannot be
// rebased into something acceptable: the client tells the user and resets
// the editor from a fresh snapshot (hello without a version).
//
// The client knows nothing of React or the DOM; its socket comes from a
// factory (a WebSocket in the browser, a fake in the tests).
import { ChangeSet, EditorState, Text, TransactionSpec } from "@codemirror/state";
import { getSyncedVersion, receiveUpdates, sendableUpdates, Update } from "@codemirror/collab";
import type {
  ClientMessage,
  Controls,
  HistoryPageJSON,
  Participant,
  RunEvent,
  SelectionJSON,
  ServerMessage,
  TestJSON,
  UpdateJSON,
  Welcome,
} from "./protocol";
import { closeText, padErrorText } from "./errors";
import { diffText } from "./textDiff";

export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

// Where the text lives.  reset() replaces the state by a new one holding
// `doc` at `version` with collab({startVersion: version, clientID}).
export interface DocHost {
  readonly state: EditorState;
  dispatch(spec: TransactionSpec): void;
  reset(doc: string, version: number, clientID: string): void;
}

export type ConnState = "connected" | "reconnecting" | "offline";

export interface RemoteSelection {
  id: string;
  ranges: { anchor: number; head: number }[] | null; // in the host's current document
}

export type ClientEvent =
  | { kind: "state"; state: ConnState }
  | { kind: "welcome"; welcome: Welcome }
  | { kind: "version"; version: number }
  | { kind: "join" | "profile"; participant: Participant }
  | { kind: "leave"; id: string }
  | { kind: "presence"; selection: RemoteSelection }
  | { kind: "language"; language: string; by?: string }
  | { kind: "run"; event: RunEvent }
  | { kind: "tests"; tests: unknown; by?: string }
  | { kind: "control"; controls: Controls; by?: string }
  | { kind: "history"; page: HistoryPageJSON }
  | { kind: "toast"; code: string; text: string; level: "info" | "error" }
  | { kind: "fatal"; text: string };

export interface PadClientOptions {
  url: string;
  host: DocHost;
  socket: SocketFactory;
  name?: string;
  color?: string;
  key?: string; // the link's key (docs/protocol.md, "Roles and links")
  random?: () => number;
  pingMs?: number; // default 25 s
  pongTimeoutMs?: number; // default 10 s
  staleWaitMs?: number; // wait this long for the broadcast after stale_version, then pull
}

const OPEN = 1;
const HISTORY = 1000; // updates kept to map remote selections
const MAX_BACKOFF = 10000;

export function newClientID(random: () => number = Math.random): string {
  let s = "";
  for (let i = 0; i < 12; i++) s += "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(random() * 36)];
  return s;
}

export class PadClient {
  clientID: string;
  you: string | null = null;
  limits: Welcome["limits"] | null = null;
  connState: ConnState = "reconnecting";

  private readonly opts: Required<Pick<PadClientOptions, "pingMs" | "pongTimeoutMs" | "staleWaitMs">> &
    PadClientOptions;
  private listeners: ((e: ClientEvent) => void)[] = [];
  private ws: SocketLike | null = null;
  private gen = 0;
  private joined = false;
  private started = false; // the host holds a pad state
  private stopped = false;
  private discardLocal = false;
  private pushing: { ref: number; n: number } | null = null;
  private ref = 0;
  private waitHead: number | null = null;
  private waitTimer: ReturnType<typeof setTimeout> | null = null;
  private gap = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private attempts = 0;
  private minBackoff = 0;
  // the daemon said wrong_daemon / closed 4421: the pad's own daemon is
  // down or nginx and ws.ring disagree; keep retrying, never "offline"
  private misrouted = false;
  private confirmed: Text | null = null;
  private history: { version: number; changes: ChangeSet }[] = [];
  private pendingPresence = new Map<string, { version: number; selection: SelectionJSON | null }>();
  private presenceWanted: SelectionJSON | null | undefined = undefined;
  private lastPresence = "";

  constructor(opts: PadClientOptions) {
    this.opts = { pingMs: 25000, pongTimeoutMs: 10000, staleWaitMs: 500, ...opts };
    this.clientID = newClientID(opts.random);
  }

  on(fn: (e: ClientEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  private emit(e: ClientEvent): void {
    for (const l of this.listeners) l(e);
  }

  get connected(): boolean {
    return this.joined && !!this.ws && this.ws.readyState === OPEN;
  }

  get version(): number | null {
    return this.started ? getSyncedVersion(this.opts.host.state) : null;
  }

  get unconfirmed(): number {
    return this.started ? sendableUpdates(this.opts.host.state).length : 0;
  }

  // ------------------------------------------------------------ connection

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.gen++;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = ws.onmessage = ws.onopen = ws.onerror = null;
      try {
        ws.close(1000);
      } catch {
        /* already closed */
      }
    }
    this.joined = false;
  }

  // The browser came back online (or the user asked): try now.
  retryNow(): void {
    if (this.stopped || this.connected) return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.connect();
  }

  private setState(s: ConnState): void {
    if (s === this.connState) return;
    this.connState = s;
    this.emit({ kind: "state", state: s });
  }

  private connect(): void {
    const gen = ++this.gen;
    this.joined = false;
    this.pushing = null;
    this.waitHead = null;
    this.gap = false;
    if (this.ws) {
      const old = this.ws;
      old.onclose = old.onmessage = old.onopen = old.onerror = null;
      try {
        old.close(1000);
      } catch {
        /* ignore */
      }
    }
    let ws: SocketLike;
    try {
      ws = this.opts.socket(this.opts.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (gen !== this.gen) return;
      const version = this.started && !this.discardLocal ? this.version : null;
      this.send({
        type: "hello",
        version,
        ...(this.opts.name ? { name: this.opts.name } : {}),
        ...(this.opts.color ? { color: this.opts.color } : {}),
        ...(this.opts.key ? { key: this.opts.key } : {}),
      });
    };
    ws.onmessage = (ev) => {
      if (gen !== this.gen) return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as ServerMessage;
      } catch {
        return;
      }
      this.alive();
      this.handle(msg);
    };
    ws.onerror = () => {
      /* a close follows */
    };
    ws.onclose = (ev) => {
      if (gen !== this.gen) return;
      this.ws = null;
      this.joined = false;
      this.pushing = null;
      this.stopPing();
      const fatal = ev.code === 4400;
      const text = closeText(ev.code);
      if (fatal) {
        this.stopped = true;
        this.setState("offline");
        this.emit({ kind: "fatal", text: text || "The pad closed the connection." });
        return;
      }
      if (ev.code === 4429 || ev.code === 4503) this.minBackoff = 5000;
      if (ev.code === 4421) this.noteMisrouted();
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const n = this.attempts++;
    this.setState(n >= 3 && !this.misrouted ? "offline" : "reconnecting");
    const rnd = this.opts.random ?? Math.random;
    const base = Math.max(this.minBackoff, Math.min(MAX_BACKOFF, 250 * 2 ** n));
    const ms = Math.round(base * (0.5 + rnd() / 2));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, ms);
  }

  // The browser says the network is gone: a socket may look open for a long
  // while after that, so drop it now and show the state.
  networkLost(): void {
    if (this.ws) this.dropConnection();
  }

  // Close and reconnect at once, e.g. when the socket stopped answering.
  private dropConnection(): void {
    if (this.ws) {
      const ws = this.ws;
      ws.onclose = ws.onmessage = ws.onopen = ws.onerror = null;
      try {
        ws.close(4000, "reconnecting");
      } catch {
        /* ignore */
      }
      this.ws = null;
    }
    this.gen++;
    this.joined = false;
    this.pushing = null;
    this.stopPing();
    this.scheduleReconnect();
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      this.send({ type: "ping" });
      if (!this.pongTimer)
        this.pongTimer = setTimeout(() => {
          this.pongTimer = null;
          this.dropConnection();
        }, this.opts.pongTimeoutMs);
    }, this.opts.pingMs);
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }

  private alive(): void {
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }

  private clearTimers(): void {
    this.stopPing();
    for (const t of [this.waitTimer, this.retryTimer, this.reconnectTimer]) if (t) clearTimeout(t);
    this.waitTimer = this.retryTimer = this.reconnectTimer = null;
  }

  private send(msg: ClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  // ------------------------------------------------------------ messages

  private handle(msg: ServerMessage): void {
    switch (msg.type) {
      case "welcome":
        return this.onWelcome(msg);
      case "updates":
        return this.onUpdates(msg.version, msg.updates);
      case "snapshot":
        return this.resync(msg.doc, msg.version);
      case "error":
        return this.onError(msg);
      case "join":
        this.emit({ kind: "join", participant: msg.participant });
        return;
      case "profile":
        this.emit({ kind: "profile", participant: msg.participant });
        return;
      case "leave":
        this.pendingPresence.delete(msg.id);
        this.emit({ kind: "leave", id: msg.id });
        return;
      case "presence":
        return this.onPresence(msg.id, msg.version, msg.selection);
      case "language":
        this.emit({ kind: "language", language: msg.language, by: msg.by });
        return;
      case "run":
        this.emit({ kind: "run", event: msg.event });
        return;
      case "tests":
        this.emit({ kind: "tests", tests: msg.tests, by: msg.by });
        return;
      case "control":
        this.emit({ kind: "control", controls: msg.controls, by: msg.by });
        return;
      case "history": {
        const { type, ...page } = msg;
        this.emit({ kind: "history", page });
        return;
      }
      case "pong":
        return;
      default: {
        // a type this client does not know (a newer daemon): ignored; the
        // compiler checks that every type of ServerMessage has its case
        const unknown: never = msg;
        void unknown;
      }
    }
  }

  private onWelcome(w: Welcome): void {
    this.you = w.you;
    this.limits = w.limits ?? null;
    if (typeof w.doc === "string") {
      if (!this.started || this.discardLocal) this.replace(w.doc, w.version);
      else this.resync(w.doc, w.version);
    } else if (Array.isArray(w.updates) && this.started) {
      const local = this.version!;
      const from = w.from ?? w.version - w.updates.length;
      if (from > local) {
        // cannot happen with a well-behaved daemon: start over from a snapshot
        this.hardReset();
        return;
      }
      this.applyRemote(local, w.updates.slice(local - from));
    } else {
      this.hardReset();
      return;
    }
    this.discardLocal = false;
    this.joined = true;
    this.attempts = 0;
    this.minBackoff = 0;
    this.misrouted = false;
    this.setState("connected");
    this.startPing();
    this.pendingPresence.clear();
    this.emit({ kind: "welcome", welcome: w });
    for (const p of w.participants) {
      if (p.selection && typeof p.version === "number") this.onPresence(p.id, p.version, p.selection);
    }
    this.emit({ kind: "version", version: this.version! });
    this.schedulePush();
    this.flushPresence();
  }

  private replace(doc: string, version: number): void {
    this.opts.host.reset(doc, version, this.clientID);
    this.started = true;
    this.confirmed = this.opts.host.state.doc;
    this.history = [];
  }

  // A snapshot: the daemon's text at `version`, which the local unconfirmed
  // changes cannot be rebased onto by collab.  Rebase them here: the
  // difference between the text we last knew and the snapshot stands for
  // the updates we missed; map the local changes over it and re-apply them
  // as a new change.
  private resync(doc: string, version: number): void {
    if (!this.started) {
      this.replace(doc, version);
      return;
    }
    const state = this.opts.host.state;
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
    this.clientID = newClientID(this.opts.random);
    this.replace(doc, version);
    if (again && !again.empty) this.opts.host.dispatch({ changes: again });
    this.pushing = null;
    this.waitHead = null;
    this.gap = false;
    this.emit({ kind: "version", version });
    this.schedulePush();
  }

  private onUpdates(version: number, updates: UpdateJSON[]): void {
    if (!this.joined || !this.started) return;
    const local = this.version!;
    if (version > local) {
      if (!this.gap) {
        this.gap = true;
        this.send({ type: "pull", version: local });
      }
      return;
    }
    if (version + updates.length <= local) return;
    this.applyRemote(local, updates.slice(local - version));
    this.gap = false;
    this.schedulePush();
    this.flushPresence();
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
    if (!sendableUpdates(this.opts.host.state).length)
      this.opts.host.dispatch(receiveUpdates(this.opts.host.state, parsed));
    else for (const u of parsed) this.opts.host.dispatch(receiveUpdates(this.opts.host.state, [u]));
    if (ours) this.pushing = null;
    const v = this.version!;
    if (this.waitHead !== null && v >= this.waitHead) {
      this.waitHead = null;
      if (this.waitTimer) clearTimeout(this.waitTimer);
      this.waitTimer = null;
    }
    this.emit({ kind: "version", version: v });
    for (const [id, p] of [...this.pendingPresence]) {
      if (p.version <= v) {
        this.pendingPresence.delete(id);
        this.onPresence(id, p.version, p.selection);
      }
    }
  }

  private onError(msg: Extract<ServerMessage, { type: "error" }>): void {
    if (this.pushing && msg.ref === this.pushing.ref) {
      this.pushing = null;
      if (msg.code === "stale_version") {
        const head = typeof msg.head === "number" ? msg.head : this.version! + 1;
        if (this.version! >= head) {
          this.schedulePush();
          return;
        }
        this.waitHead = head;
        if (this.waitTimer) clearTimeout(this.waitTimer);
        const gen = this.gen;
        this.waitTimer = setTimeout(() => {
          this.waitTimer = null;
          if (gen === this.gen && this.waitHead !== null && !this.gap) {
            this.gap = true;
            this.send({ type: "pull", version: this.version! });
          }
        }, this.opts.staleWaitMs);
        return;
      }
      if (msg.code === "rate_limited") {
        this.emit({ kind: "toast", code: msg.code, text: padErrorText(msg.code, msg.message), level: "info" });
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(
          () => {
            this.retryTimer = null;
            this.schedulePush();
          },
          (msg.retry_after_ms ?? 200) + 10,
        );
        return;
      }
      this.emit({ kind: "toast", code: msg.code, text: padErrorText(msg.code, msg.message), level: "error" });
      this.hardReset();
      return;
    }
    switch (msg.code) {
      case "stale_version":
      case "bad_selection":
        return; // an old push or selection: nothing to tell
      case "future_version":
        this.emit({ kind: "toast", code: msg.code, text: padErrorText(msg.code, msg.message), level: "error" });
        this.hardReset();
        return;
      case "pad_full":
      case "server_busy":
        this.minBackoff = 5000;
        break;
      case "wrong_daemon":
        // a close 4421 follows; the local text stays and is pushed once
        // a daemon that owns the pad welcomes us
        this.noteMisrouted();
        return;
    }
    this.emit({ kind: "toast", code: msg.code, text: padErrorText(msg.code, msg.message), level: "error" });
  }

  // The pad's daemon is unavailable (docs/protocol.md, close 4421): one
  // toast per outage, then the usual backoff until a welcome.
  private noteMisrouted(): void {
    if (this.misrouted) return;
    this.misrouted = true;
    this.emit({ kind: "toast", code: "wrong_daemon", text: padErrorText("wrong_daemon"), level: "info" });
  }

  // Forget local changes and reload the pad's text from a fresh snapshot.
  hardReset(): void {
    this.discardLocal = true;
    this.attempts = 0;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.gen++;
    if (this.ws) {
      const ws = this.ws;
      ws.onclose = ws.onmessage = ws.onopen = ws.onerror = null;
      try {
        ws.close(1000);
      } catch {
        /* ignore */
      }
      this.ws = null;
    }
    this.stopPing();
    this.connect();
  }

  // ------------------------------------------------------------ local side

  // The host's document or selection changed.  `selection` is in the host's
  // current document; it is sent once nothing local is unconfirmed (then the
  // current document is the one at the synced version).
  localChange(selection?: SelectionJSON | null): void {
    if (selection !== undefined) this.presenceWanted = selection;
    this.schedulePush();
    this.flushPresence();
  }

  private schedulePush(): void {
    if (!this.connected || this.pushing || this.waitHead !== null || this.gap || this.retryTimer) return;
    const sendable = sendableUpdates(this.opts.host.state);
    if (!sendable.length) return;
    const max = this.limits?.updates_per_push ?? 1000;
    const updates = sendable
      .slice(0, max)
      .map((u): UpdateJSON => ({ clientID: u.clientID, changes: u.changes.toJSON() }));
    const ref = ++this.ref;
    this.pushing = { ref, n: updates.length };
    this.send({ type: "push", version: this.version!, ref, updates });
  }

  private flushPresence(): void {
    if (this.presenceWanted === undefined || !this.connected || this.unconfirmed) return;
    const msg = { type: "presence" as const, version: this.version!, selection: this.presenceWanted };
    const key = JSON.stringify(msg);
    this.presenceWanted = undefined;
    if (key === this.lastPresence) return;
    this.lastPresence = key;
    this.send(msg);
  }

  // A remote selection made at `version`, mapped to the host's document.
  private onPresence(id: string, version: number, selection: SelectionJSON | null): void {
    if (!this.started) return;
    if (!selection) {
      this.emit({ kind: "presence", selection: { id, ranges: null } });
      return;
    }
    const synced = this.version!;
    if (version > synced) {
      this.pendingPresence.set(id, { version, selection });
      return;
    }
    const steps: ChangeSet[] = [];
    if (version < synced) {
      const first = this.history.findIndex((h) => h.version === version);
      if (first < 0) return; // too old to place
      for (const h of this.history.slice(first)) steps.push(h.changes);
    }
    for (const u of sendableUpdates(this.opts.host.state)) steps.push(u.changes);
    let ranges = selection.ranges.map((r) => ({ anchor: r.anchor, head: r.head }));
    const len0 = steps.length ? steps[0].length : this.opts.host.state.doc.length;
    ranges = ranges.map((r) => ({ anchor: Math.min(r.anchor, len0), head: Math.min(r.head, len0) }));
    for (const c of steps) {
      ranges = ranges.map((r) => ({ anchor: c.mapPos(r.anchor, 1), head: c.mapPos(r.head, 1) }));
    }
    this.emit({ kind: "presence", selection: { id, ranges } });
  }

  // ------------------------------------------------------------ requests

  private request(msg: ClientMessage): boolean {
    if (this.send(msg)) return true;
    this.emit({
      kind: "toast",
      code: "offline",
      text: "Not connected to the pad right now; try again when the indicator shows connected.",
      level: "error",
    });
    return false;
  }

  setProfile(name?: string, color?: string): void {
    if (name !== undefined) this.opts.name = name;
    if (color !== undefined) this.opts.color = color;
    if (this.connected)
      this.send({
        type: "profile",
        ...(name !== undefined ? { name } : {}),
        ...(color !== undefined ? { color } : {}),
      });
  }

  setLanguage(language: string): boolean {
    return this.request({ type: "language", language });
  }
  run(): boolean {
    return this.request({ type: "run" });
  }
  // runs the pad's text against its tests (not interactive)
  runTests(): boolean {
    return this.request({ type: "run", tests: true });
  }
  // replaces the pad's tests; false (and nothing said) when not connected:
  // the caller keeps them and sends them after the next welcome
  sendTests(tests: TestJSON[]): boolean {
    return this.connected && this.send({ type: "tests", tests });
  }
  stdin(data: string, eof = false): boolean {
    return this.request({ type: "stdin", data, eof });
  }
  stopRun(): boolean {
    return this.request({ type: "stop" });
  }
  // asks for a page of the stored history; the answer comes as a
  // "history" event (web/src/playback reads it)
  requestHistory(doc: "pad" | "notes", from: number): boolean {
    return this.connected && this.send({ type: "history", doc, from });
  }
}
