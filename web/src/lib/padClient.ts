// The pad socket client: docs/protocol.md over one websocket, reconnecting.
//
// Theory of operation.  The daemon is the authority of the collab model:
// a push made at an older version is rebased over what was accepted since
// (rebaseUpdates, one accepted update at a time), then broadcast to
// everyone, the pusher included: the broadcast is the confirmation.  One
// socket carries up to two documents, each kept in step by a DocSync
// (docSync.ts): the pad's text, and for owners the notes (`"doc":"notes"`
// on push, pull, updates and snapshot).  This class owns the socket: the
// hello (with the link's key, or `create` to make the pad), the routing of
// each message to its document or to the listeners, presence, pings, and
// reconnecting with exponential backoff and `hello {version}`; the daemon
// answers with the missed updates (or a snapshot), local unconfirmed
// changes are rebased and pushed, so typing offline just works.  A refused
// change (doc_too_large, forbidden, ...) cannot be rebased into something
// acceptable: the client tells the user and reloads that document from a
// fresh snapshot.  Closes that say the link, the pad or this participant
// is gone for good (4400, 4401, 4403, 4404, 4408, 4409) end the client:
// reconnecting would only be refused again.
//
// The client knows nothing of React or the DOM; its socket comes from a
// factory (a WebSocket in the browser, a fake in the tests).
import type {
  ClientMessage,
  Controls,
  CreateSpec,
  DocName,
  HistoryPageJSON,
  LinkRole,
  Links,
  Participant,
  Role,
  RunEvent,
  SelectionJSON,
  ServerMessage,
  TestJSON,
  Toolchain,
  Welcome,
} from "./protocol";
import { toolchainOf } from "./protocol";
import { closeText, padErrorText } from "./errors";
import { DocSync, type DocHost, type SyncLink } from "./docSync";

export { newClientID, type DocHost } from "./docSync";

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
  // `toolchain` null: a daemon older than toolchains said nothing of it
  | { kind: "language"; language: string; toolchain: Toolchain | null; by?: string }
  | { kind: "run"; event: RunEvent }
  | { kind: "tests"; tests: unknown; by?: string }
  | { kind: "toast"; code: string; text: string; level: "info" | "error" }
  | { kind: "control"; controls: Controls; by: string }
  | { kind: "links"; role: LinkRole; key: string | null; by: string }
  | { kind: "created"; links: Links }
  | { kind: "history"; page: HistoryPageJSON }
  | { kind: "notes"; version: number } // the notes' synced version moved
  // the end: `code` the close code, `error` the error code that came before it
  | { kind: "fatal"; text: string; code: number; error: string | null };

// Closes after which reconnecting is pointless (docs/protocol.md, "Closing").
export const FATAL_CLOSES = [4400, 4401, 4403, 4404, 4408, 4409];

// Errors the close after them explains: no toast of their own.
const CLOSE_ERRORS = new Set(["bad_link", "link_revoked", "removed", "no_pad", "create_forbidden", "pad_exists"]);

export const OPEN_CONTROLS: Controls = { title: "", locked: false, runs_locked: false, ended: false, playback: false };

export interface PadClientOptions {
  url: string; // ws/<pad>
  host: DocHost;
  notesHost?: DocHost; // where the notes go, for an owner
  key?: string | null; // the link's key
  create?: CreateSpec | null; // make the pad: hello {create} ...
  createUrl?: string; // ... at ws/new/<pad>
  socket: SocketFactory;
  name?: string;
  color?: string;
  random?: () => number;
  pingMs?: number; // default 25 s
  pongTimeoutMs?: number; // default 10 s
  staleWaitMs?: number; // wait this long for the broadcast after stale_version, then pull
}

const OPEN = 1;
const MAX_BACKOFF = 10000;

export class PadClient {
  you: string | null = null;
  limits: Welcome["limits"] | null = null;
  connState: ConnState = "reconnecting";
  role: Role | null = null; // from the last welcome
  controls: Controls = OPEN_CONTROLS;
  readonly pad: DocSync;
  readonly notes: DocSync | null;

  private readonly opts: Required<Pick<PadClientOptions, "pingMs" | "pongTimeoutMs" | "staleWaitMs">> &
    PadClientOptions;
  private listeners: ((e: ClientEvent) => void)[] = [];
  private ws: SocketLike | null = null;
  private gen_ = 0;
  private joined = false;
  private stopped = false;
  private ref = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private attempts = 0;
  private minBackoff = 0;
  private lastError: string | null = null; // the code of the last error, for the close after it
  // the daemon said wrong_daemon / closed 4421: the pad's own daemon is
  // down or nginx and ws.ring disagree; keep retrying, never "offline"
  private misrouted = false;
  private pendingPresence = new Map<string, { version: number; selection: SelectionJSON | null }>();
  private presenceWanted: SelectionJSON | null | undefined = undefined;
  private lastPresence = "";

  constructor(opts: PadClientOptions) {
    this.opts = { pingMs: 25000, pongTimeoutMs: 10000, staleWaitMs: 500, ...opts };
    const random = opts.random ?? Math.random;
    const link: SyncLink = {
      connected: () => this.connected,
      gen: () => this.gen_,
      send: (m) => this.send(m),
      nextRef: () => ++this.ref,
      maxPerPush: () => this.limits?.updates_per_push ?? 1000,
      toast: (code, text, level) => this.emit({ kind: "toast", code, text, level }),
      hardReset: () => this.hardReset(),
      onVersion: (doc, v) => this.onVersion(doc, v),
    };
    this.pad = new DocSync("pad", opts.host, link, random, this.opts.staleWaitMs);
    this.notes = opts.notesHost ? new DocSync("notes", opts.notesHost, link, random, this.opts.staleWaitMs) : null;
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

  get clientID(): string {
    return this.pad.clientID;
  }

  get version(): number | null {
    return this.pad.version;
  }

  get unconfirmed(): number {
    return this.pad.unconfirmed;
  }

  // the notes' synced version, or null when this page has none (not an owner)
  get notesVersion(): number | null {
    return this.notes?.version ?? null;
  }

  // The key this client joins with (the owner's, once it made the pad).
  get key(): string | null {
    return this.opts.key ?? null;
  }

  // ------------------------------------------------------------ connection

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.gen_++;
    this.closeSocket(1000);
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

  private closeSocket(code: number, reason?: string): void {
    if (!this.ws) return;
    const ws = this.ws;
    this.ws = null;
    ws.onclose = ws.onmessage = ws.onopen = ws.onerror = null;
    try {
      ws.close(code, reason);
    } catch {
      /* already closed */
    }
  }

  private connect(): void {
    const gen = ++this.gen_;
    this.joined = false;
    this.pad.connecting();
    this.notes?.connecting();
    this.closeSocket(1000);
    const creating = !!this.opts.create;
    let ws: SocketLike;
    try {
      ws = this.opts.socket(creating && this.opts.createUrl ? this.opts.createUrl : this.opts.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (gen !== this.gen_) return;
      const version = this.pad.started && !this.pad.discardLocal ? this.version : null;
      const create = this.opts.create;
      this.send({
        type: "hello",
        version,
        ...(this.opts.name ? { name: this.opts.name } : {}),
        ...(this.opts.color ? { color: this.opts.color } : {}),
        ...(create ? { create } : this.opts.key ? { key: this.opts.key } : {}),
      });
    };
    ws.onmessage = (ev) => {
      if (gen !== this.gen_) return;
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
      if (gen !== this.gen_) return;
      this.ws = null;
      this.joined = false;
      this.pad.connecting();
      this.notes?.connecting();
      this.stopPing();
      if (FATAL_CLOSES.includes(ev.code)) {
        this.stopped = true;
        this.clearTimers();
        this.setState("offline");
        const error = this.lastError;
        this.emit({
          kind: "fatal",
          text: closeText(ev.code, error) || "The pad closed the connection.",
          code: ev.code,
          error,
        });
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
    this.closeSocket(4000, "reconnecting");
    this.gen_++;
    this.joined = false;
    this.pad.connecting();
    this.notes?.connecting();
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
    this.pad.clearTimers();
    this.notes?.clearTimers();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
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
        if (msg.doc === "notes") this.notes?.updates(msg.version, msg.updates);
        else this.pad.updates(msg.version, msg.updates);
        this.flushPresence();
        return;
      case "snapshot":
        if (msg.notes === true) this.notes?.resync(msg.doc, msg.version);
        else this.pad.resync(msg.doc, msg.version);
        return;
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
        this.emit({
          kind: "language",
          language: msg.language,
          toolchain: msg.variant !== undefined || msg.options ? toolchainOf(msg) : null,
          by: msg.by,
        });
        return;
      case "run":
        this.emit({ kind: "run", event: msg.event });
        return;
      case "tests":
        this.emit({ kind: "tests", tests: msg.tests, by: msg.by });
        return;
      case "control":
        this.controls = { ...OPEN_CONTROLS, ...msg.controls };
        this.emit({ kind: "control", controls: this.controls, by: msg.by });
        return;
      case "links":
        this.emit({ kind: "links", role: msg.role, key: msg.key, by: msg.by });
        return;
      case "history": {
        const { type: _type, ...page } = msg;
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
    this.role = w.role ?? "editor";
    this.controls = { ...OPEN_CONTROLS, ...(w.controls ?? {}) };
    if (typeof w.doc === "string") {
      this.pad.snapshot(w.doc, w.version);
    } else if (!Array.isArray(w.updates) || !this.pad.catchUp(w.from ?? w.version - w.updates.length, w.updates)) {
      // cannot happen with a well-behaved daemon: start over from a snapshot
      this.pad.discardLocal = true;
      this.hardReset();
      return;
    }
    if (w.notes && this.notes) this.notes.snapshot(w.notes.doc, w.notes.version);
    if (this.opts.create) {
      // made: from now on this page joins with the owner's link
      this.opts.create = null;
      if (w.links) this.opts.key = w.links.owner;
    }
    this.joined = true;
    this.attempts = 0;
    this.minBackoff = 0;
    this.misrouted = false;
    this.lastError = null;
    this.setState("connected");
    this.startPing();
    this.pendingPresence.clear();
    if (w.links) this.emit({ kind: "created", links: w.links });
    this.emit({ kind: "welcome", welcome: w });
    for (const p of w.participants) {
      if (p.selection && typeof p.version === "number") this.onPresence(p.id, p.version, p.selection);
    }
    this.emit({ kind: "version", version: this.version! });
    if (this.notes?.started) this.emit({ kind: "notes", version: this.notes.version! });
    this.pad.schedulePush();
    this.notes?.schedulePush();
    this.flushPresence();
  }

  private onVersion(doc: DocName, v: number): void {
    if (doc === "notes") {
      this.emit({ kind: "notes", version: v });
      return;
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
    if (this.pad.pushError(msg) || this.notes?.pushError(msg)) return;
    this.lastError = msg.code;
    if (CLOSE_ERRORS.has(msg.code)) return; // the close after it says it
    switch (msg.code) {
      case "stale_version":
      case "bad_selection":
        return; // an old push or selection: nothing to tell
      case "future_version":
        this.emit({ kind: "toast", code: msg.code, text: padErrorText(msg.code, msg.message), level: "error" });
        this.pad.discardLocal = true;
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
      case "bad_template":
        // the hello that was to make the pad was refused: nothing to join
        this.stop();
        this.setState("offline");
        this.emit({ kind: "fatal", text: padErrorText(msg.code, msg.message), code: 0, error: msg.code });
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

  // Reconnect now, to reload from fresh snapshots the documents that
  // refused a change (their discardLocal; the pad's means hello without a
  // version).
  hardReset(): void {
    if (this.stopped) return;
    this.attempts = 0;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.gen_++;
    this.closeSocket(1000);
    this.stopPing();
    this.connect();
  }

  // ------------------------------------------------------------ local side

  // The host's document or selection changed.  `selection` is in the host's
  // current document; it is sent once nothing local is unconfirmed (then the
  // current document is the one at the synced version).  Observers send no
  // presence: the daemon would refuse it.
  localChange(selection?: SelectionJSON | null): void {
    if (selection !== undefined) this.presenceWanted = selection;
    this.pad.schedulePush();
    this.flushPresence();
  }

  // The notes host's document changed.
  notesChange(): void {
    this.notes?.schedulePush();
  }

  private flushPresence(): void {
    if (this.presenceWanted === undefined || !this.connected || this.unconfirmed) return;
    if (this.role === "observer") {
      this.presenceWanted = undefined;
      return;
    }
    const msg = { type: "presence" as const, version: this.version!, selection: this.presenceWanted };
    const key = JSON.stringify(msg);
    this.presenceWanted = undefined;
    if (key === this.lastPresence) return;
    this.lastPresence = key;
    this.send(msg);
  }

  // A remote selection made at `version`, mapped to the host's document.
  private onPresence(id: string, version: number, selection: SelectionJSON | null): void {
    if (!this.pad.started) return;
    if (!selection) {
      this.emit({ kind: "presence", selection: { id, ranges: null } });
      return;
    }
    if (version > this.version!) {
      this.pendingPresence.set(id, { version, selection });
      return;
    }
    const ranges = this.pad.mapSelection(version, selection);
    if (ranges) this.emit({ kind: "presence", selection: { id, ranges } });
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

  // The pad's language; with `toolchain`, its whole toolchain too (left
  // out, the daemon keeps the pad's for the same language and resets it
  // for another).
  setLanguage(language: string, toolchain?: Toolchain): boolean {
    if (!toolchain) return this.request({ type: "language", language });
    return this.request({ type: "language", language, variant: toolchain.variant, options: toolchain.options });
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
  // owners: change the controls (the `control` broadcast confirms)
  setControls(c: Partial<Controls>): boolean {
    return this.request({ type: "control", ...c });
  }
  // owners: a new key for a role's link, or none
  rotateLink(role: LinkRole): boolean {
    return this.request({ type: "links", rotate: role });
  }
  revokeLink(role: LinkRole): boolean {
    return this.request({ type: "links", revoke: role });
  }
  // owners: close a participant's socket
  remove(id: string): boolean {
    return this.request({ type: "remove", id });
  }
  // asks for a page of the stored history (web/src/playback reads the
  // answer, a `history` event)
  requestHistory(doc: DocName, from: number): boolean {
    return this.history(from, doc);
  }
  // a page of a document's history (answered by a `history` event)
  history(from: number, doc: DocName = "pad"): boolean {
    return this.request({ type: "history", from, ...(doc === "notes" ? { doc } : {}) });
  }
}
