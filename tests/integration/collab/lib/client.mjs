// Clients of runpad-ws speaking docs/protocol.md.
//
// RawClient: one websocket, JSON messages in an inbox that tests take from
// in order (next(), expect(), expectError()), for exact protocol checks.
//
// PadClient: an editor without a view: a real EditorState with the real
// collab() extension, driven the way CodeMirror's collab example drives it
// (sendableUpdates → push, receiveUpdates on the authority's updates,
// getSyncedVersion for the version to push at, getClientID to recognise
// its own updates), plus what the example leaves out: rebase on
// stale_version, pull on a gap, reconnect with hello {version}, snapshot
// resync, and knobs to make life hard (dropped acknowledgements, random
// delays before handling a message).
import { Annotation, ChangeSet, EditorState } from "@codemirror/state";
import { collab, getClientID, getSyncedVersion, receiveUpdates, sendableUpdates } from "@codemirror/collab";
import WebSocket from "ws";
import { sleep } from "./daemon.mjs";

// ------------------------------------------------------------------ raw

// Resolves with an open WebSocket, or rejects with an Error carrying
// .status (the HTTP status when the upgrade was refused).
// Messages and a close that come with the upgrade's answer are emitted
// before the promise's continuation runs: they are kept for listen().
export function openSocket(url, opts = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: 5000, ...opts });
    ws.early = [];
    ws.earlyClose = null;
    ws.keep = (data, isBinary) => ws.early.push([data, isBinary]);
    ws.keepClose = (code, reason) => { ws.earlyClose = [code, reason]; };
    ws.on("message", ws.keep);
    ws.on("close", ws.keepClose);
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (req, res) => {
      const e = new Error(`upgrade of ${url} refused with HTTP ${res.statusCode}`);
      e.status = res.statusCode;
      res.resume();
      ws.terminate();
      reject(e);
    });
    ws.once("error", (e) => reject(e));
  });
}

// Attach the handlers of an open socket, first giving them what came early.
export function listen(ws, onMessage, onClose) {
  ws.off("message", ws.keep);
  ws.off("close", ws.keepClose);
  for (const [data, isBinary] of ws.early.splice(0)) onMessage(data, isBinary);
  if (ws.earlyClose) {
    onClose(...ws.earlyClose);
    return;
  }
  ws.on("message", onMessage);
  ws.on("close", onClose);
}

export class RawClient {
  static async open(url, opts) {
    const c = new RawClient(url);
    await c.connect(opts);
    return c;
  }

  constructor(url) {
    this.url = url;
    this.inbox = [];
    this.waiters = [];
    this.all = [];
    this.ws = null;
    this.closeInfo = null;
  }

  async connect(opts) {
    this.ws = await openSocket(this.url, opts);
    let closed;
    this.closed = new Promise((resolve) => { closed = resolve; });
    this.ws.on("error", () => {});
    listen(this.ws, (data, isBinary) => {
      let msg;
      try {
        msg = JSON.parse(data.toString("utf8"));
      } catch (e) {
        msg = { type: "<not json>", raw: data.toString("utf8"), binary: isBinary };
      }
      if (isBinary) msg = { type: "<binary frame>", raw: data.toString("hex") };
      this.all.push(msg);
      const i = this.waiters.findIndex((w) => w.pred(msg));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        w.resolve(msg);
      } else {
        this.inbox.push(msg);
      }
    }, (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() };
      for (const w of this.waiters.splice(0)) w.onClose(this.closeInfo);
      closed(this.closeInfo);
    });
    return this;
  }

  get open() { return this.ws && this.ws.readyState === WebSocket.OPEN; }

  send(obj) { this.ws.send(JSON.stringify(obj)); }
  sendRaw(data, opts = { binary: false }) { this.ws.send(data, opts); }

  // The first message (already here or still to come) that pred accepts;
  // rejects after timeout ms or when the socket closes first.
  next(pred = () => true, timeout = 5000, what = "a message") {
    if (typeof pred === "string") {
      const type = pred;
      what = `a "${type}" message`;
      pred = (m) => m.type === type;
    }
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        onClose: (info) => {
          clearTimeout(timer);
          reject(new Error(`socket closed (code ${info.code} "${info.reason}") while waiting for ${what}; got ${this.describe()}`));
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no ${what} within ${timeout} ms; got ${this.describe()}`));
      }, timeout);
      if (this.closeInfo) return w.onClose(this.closeInfo);
      this.waiters.push(w);
    });
  }

  describe() {
    const tail = this.all.slice(-6).map((m) => JSON.stringify(m).slice(0, 300));
    return tail.length ? tail.join("\n  ") : "nothing";
  }

  // no message that pred accepts arrives within ms (those already here count)
  async none(pred, ms) {
    if (typeof pred === "string") { const type = pred; pred = (m) => m.type === type; }
    try {
      const m = await this.next(pred, ms);
      return m;
    } catch (e) {
      if (/^no /.test(e.message)) return null;
      throw e;
    }
  }

  async expectError(code, timeout = 5000) {
    const m = await this.next((x) => x.type === "error", timeout, `an error "${code}"`);
    if (m.code !== code) {
      throw new Error(`expected error "${code}", got ${JSON.stringify(m)}`);
    }
    if (typeof m.message !== "string" || !m.message) {
      throw new Error(`error "${code}" without a message: ${JSON.stringify(m)}`);
    }
    return m;
  }

  // hello and its welcome; throws with the error when there is one instead
  async hello(fields = {}, timeout = 5000) {
    this.send({ type: "hello", ...fields });
    const m = await this.next((x) => x.type === "welcome" || x.type === "error", timeout, "a welcome");
    if (m.type === "error") {
      const e = new Error(`hello answered with error ${JSON.stringify(m)}`);
      e.reply = m;
      throw e;
    }
    this.welcome = m;
    this.you = m.you;
    return m;
  }

  // the socket is still open and answers
  async ping(timeout = 5000) {
    if (!this.open) throw new Error(`socket is not open (close ${JSON.stringify(this.closeInfo)})`);
    this.send({ type: "ping" });
    return this.next("pong", timeout);
  }

  close() {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
    return this.closed;
  }

  terminate() { if (this.ws) this.ws.terminate(); }
}

// The text and version of a pad as a newcomer sees it.
export async function padState(url) {
  const c = await RawClient.open(url);
  try {
    const w = await c.hello({ name: "probe" });
    if (typeof w.doc !== "string") throw new Error(`a first hello got no snapshot: ${JSON.stringify(w).slice(0, 300)}`);
    return { version: w.version, doc: w.doc, welcome: w };
  } finally {
    await c.close();
  }
}

// ChangeSet JSON that replaces the whole of a document of length oldLen
export function replaceAll(oldLen, text) {
  return [[oldLen, ...text.split("\n")]];
}

// ------------------------------------------------------------------ collab

// Marks a local transaction so that the test can tell which of its own
// edits the daemon confirmed.
export const Token = Annotation.define();

let clientCounter = 0;

export class PadClient {
  // opts: name, color, rng (lib/random.mjs), delay [min, max] ms before
  // each incoming message is handled, dropAck (probability to ignore an
  // `updates` message and reconnect a little later), autoReconnect,
  // maxPerPush
  constructor(url, opts = {}) {
    this.url = url;
    this.opts = opts;
    this.name = opts.name || `client${++clientCounter}`;
    this.color = opts.color;
    this.rng = opts.rng || Math.random;
    this.delay = opts.delay || null;
    this.dropAck = opts.dropAck || 0;
    this.autoReconnect = opts.autoReconnect ?? false;
    this.maxPerPush = opts.maxPerPush || 1000;
    this.clientID = `${this.name}-${Math.floor(this.rng() * 1e9).toString(36)}`;
    this.state = null;
    this.ws = null;
    this.gen = 0;
    this.joined = false;
    this.pushing = null;
    this.waitHead = null;
    this.gap = false;
    this.reconnectTimer = null;
    this.reconnecting = null;
    this.retryTimer = null;
    this.inq = [];
    this.busy = false;
    this.ref = 0;
    this.closedByUs = false;
    this.confirmed = new Set(); // tokens of own edits the daemon broadcast back
    this.typed = []; // every token typed
    this.welcomes = [];
    this.closes = [];
    this.events = []; // join, leave, presence, profile, language, run, snapshot
    this.errors = []; // unexpected errors and protocol violations
    this.stats = { pushes: 0, acks: 0, rebased: 0, stale: 0, pulls: 0, gaps: 0, drops: 0, reconnects: 0, snapshots: 0, resets: 0, rateLimited: 0 };
  }

  extensions(version) {
    // CodeMirror's default line separator, as in the web app: "\r\n" and
    // "\r" typed or pasted become "\n" before they reach the daemon (which
    // refuses lines holding "\r", see common/ot.h)
    return [collab({ startVersion: version, clientID: this.clientID })];
  }

  reset(doc, version) {
    this.state = EditorState.create({ doc, extensions: this.extensions(version) });
    if (getClientID(this.state) !== this.clientID) throw new Error("collab lost the clientID");
  }

  get doc() { return this.state ? this.state.doc.toString() : null; }
  get version() { return this.state ? getSyncedVersion(this.state) : null; }
  unconfirmedUpdates() { return this.state ? sendableUpdates(this.state) : []; }
  get unconfirmed() { return this.state ? sendableUpdates(this.state).length : 0; }
  get connected() { return !!this.ws && this.ws.readyState === WebSocket.OPEN && this.joined; }

  // open a socket and join: hello {version} with the synced version when
  // there is one; resolves on the welcome
  async connect() {
    const gen = ++this.gen;
    this.joined = false;
    this.pushing = null;
    this.waitHead = null;
    this.gap = false;
    this.inq = [];
    this.closedByUs = false;
    const ws = await openSocket(this.url);
    if (gen !== this.gen) { ws.terminate(); throw new Error("superseded connect"); }
    this.ws = ws;
    ws.on("error", () => {});
    let onWelcome;
    const welcomed = new Promise((resolve, reject) => { onWelcome = { resolve, reject }; });
    this.onWelcome = onWelcome;
    listen(ws, (data, isBinary) => {
      if (gen !== this.gen) return;
      this.inq.push({ gen, data, isBinary });
      this.pump();
    }, (code, reason) => {
      this.closes.push({ code, reason: reason.toString(), at: Date.now(), byUs: this.closedByUs && gen === this.gen });
      if (gen !== this.gen) return;
      this.joined = false;
      onWelcome.reject(new Error(`closed with ${code} before the welcome`));
      if (this.autoReconnect && !this.closedByUs) this.scheduleReconnect(50 + Math.floor(this.rng() * 100));
    });
    this.hadVersion = this.state ? this.version : null;
    ws.send(JSON.stringify({ type: "hello", version: this.hadVersion, name: this.name, ...(this.color ? { color: this.color } : {}) }));
    const t = setTimeout(() => onWelcome.reject(new Error("no welcome within 5 s")), 5000);
    try {
      await welcomed;
    } finally {
      clearTimeout(t);
    }
    return this.welcome;
  }

  // connect, retrying while the daemon is down (for restarts)
  async reconnect(timeout = 15000) {
    if (this.reconnecting) return this.reconnecting;
    this.reconnecting = (async () => {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      this.stats.reconnects++;
      if (this.ws && this.ws.readyState <= WebSocket.OPEN) {
        this.closedByUs = true;
        this.ws.terminate();
      }
      const deadline = Date.now() + timeout;
      for (;;) {
        try {
          return await this.connect();
        } catch (e) {
          if (Date.now() > deadline) throw new Error(`${this.name} could not reconnect: ${e.message}`);
          if (e.reply) throw e;
          await sleep(50);
        }
      }
    })();
    try {
      return await this.reconnecting;
    } finally {
      this.reconnecting = null;
    }
  }

  scheduleReconnect(ms) {
    if (this.reconnectTimer || this.reconnecting) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.reconnect().catch((e) => this.errors.push(`reconnect: ${e.message}`));
    }, ms);
  }

  close() {
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.retryTimer);
    this.reconnectTimer = null;
    this.autoReconnect = false;
    this.closedByUs = true;
    this.gen++;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  // incoming messages, in order, each after an optional random delay
  async pump() {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.inq.length) {
        if (this.delay) await sleep(this.delay[0] + Math.floor(this.rng() * (this.delay[1] - this.delay[0] + 1)));
        const item = this.inq.shift();
        if (!item || item.gen !== this.gen) continue;
        let msg;
        try {
          msg = JSON.parse(item.data.toString("utf8"));
        } catch (e) {
          this.errors.push(`not JSON from the daemon: ${item.data.toString("utf8").slice(0, 200)}`);
          continue;
        }
        try {
          this.handle(msg);
        } catch (e) {
          this.errors.push(`handling ${JSON.stringify(msg).slice(0, 300)}: ${e.stack}`);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  handle(msg) {
    switch (msg.type) {
      case "welcome": return this.onWelcomeMsg(msg);
      case "updates": return this.onUpdates(msg);
      case "snapshot": return this.onSnapshot(msg);
      case "error": return this.onError(msg);
      case "pong": this.events.push(msg); return;
      default: this.events.push(msg);
    }
  }

  onWelcomeMsg(msg) {
    this.welcomes.push({ had: this.hadVersion, version: msg.version, from: msg.from, snapshot: typeof msg.doc === "string", n: msg.updates ? msg.updates.length : null });
    if (typeof msg.doc === "string") {
      if (this.hadVersion !== null) this.stats.resets++;
      this.reset(msg.doc, msg.version);
    } else if (Array.isArray(msg.updates)) {
      if (this.state === null) throw new Error(`welcome with updates on a first join: ${JSON.stringify(msg).slice(0, 200)}`);
      if (msg.from !== this.version) {
        this.errors.push(`welcome from ${msg.from} but hello said ${this.version}`);
      }
      if (msg.from + msg.updates.length !== msg.version) {
        this.errors.push(`welcome from ${msg.from} with ${msg.updates.length} updates claims version ${msg.version}`);
      }
      this.applyRemote(msg.updates.slice(this.version - msg.from));
    } else {
      throw new Error(`welcome with neither doc nor updates: ${JSON.stringify(msg).slice(0, 200)}`);
    }
    this.welcome = msg;
    this.you = msg.you;
    this.limits = msg.limits;
    this.joined = true;
    this.onWelcome.resolve(msg);
    this.schedulePush();
  }

  onUpdates(msg) {
    if (!this.joined) return;
    if (this.dropAck && this.rng() < this.dropAck) {
      // a lost acknowledgement: forget the message, reconnect a little later
      this.stats.drops++;
      this.gap = true;
      this.scheduleReconnect(20 + Math.floor(this.rng() * 200));
      return;
    }
    const local = this.version;
    if (msg.version > local) {
      // missed something: pull once (unless a reconnect will fix it)
      if (!this.gap) {
        this.stats.gaps++;
        this.gap = true;
        if (!this.reconnectTimer && !this.reconnecting) {
          this.stats.pulls++;
          this.send({ type: "pull", version: local });
        }
      }
      return;
    }
    if (msg.version + msg.updates.length <= local) return; // seen already
    this.applyRemote(msg.updates.slice(local - msg.version));
    if (this.reconnectTimer || this.reconnecting) return;
    this.gap = false;
    this.schedulePush();
  }

  applyRemote(updates) {
    if (!updates.length) return;
    const before = sendableUpdates(this.state);
    const ours = updates.filter((u) => u.clientID === this.clientID).length;
    const parsed = updates.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) }));
    // as the web client: one at a time while there are unconfirmed
    // changes, which is how the daemon rebases (ws/rebase.h)
    if (!before.length) this.state = receiveUpdates(this.state, parsed).state;
    else for (const u of parsed) this.state = receiveUpdates(this.state, [u]).state;
    const own = Math.min(ours, before.length);
    for (const u of before.slice(0, own)) {
      const token = u.origin && u.origin.annotation(Token);
      if (token !== undefined) this.confirmed.add(token);
    }
    if (own && this.pushing) {
      this.stats.acks++;
      // accepted at a later version than it was made at: rebased
      const at = this.version - updates.length + updates.findIndex((u) => u.clientID === this.clientID);
      if (at > this.pushing.version) this.stats.rebased++;
      this.pushing = null;
    }
    if (this.waitHead !== null && this.version >= this.waitHead) {
      this.waitHead = null;
      clearTimeout(this.waitTimer);
    }
  }

  onSnapshot(msg) {
    this.stats.snapshots++;
    this.events.push({ type: "snapshot", version: msg.version, reason: msg.reason, length: msg.doc.length });
    // unconfirmed edits cannot be rebased onto a snapshot: they are lost
    this.reset(msg.doc, msg.version);
    this.pushing = null;
    this.waitHead = null;
    this.gap = false;
    this.schedulePush();
  }

  onError(msg) {
    if (this.pushing && msg.ref === this.pushing.ref) {
      this.pushing = null;
      if (msg.code === "stale_version") {
        this.stats.stale++;
        if (!Number.isInteger(msg.head)) this.errors.push(`stale_version without head: ${JSON.stringify(msg)}`);
        if (this.version >= msg.head) return this.schedulePush();
        // rebase: wait for the updates that made us stale, pull if they
        // do not come
        this.waitHead = msg.head;
        clearTimeout(this.waitTimer);
        const gen = this.gen;
        this.waitTimer = setTimeout(() => {
          if (gen === this.gen && this.waitHead !== null && !this.gap) {
            this.stats.pulls++;
            this.send({ type: "pull", version: this.version });
          }
        }, 300);
        return;
      }
      if (msg.code === "rate_limited") {
        this.stats.rateLimited++;
        clearTimeout(this.retryTimer);
        this.retryWait = true;
        this.retryTimer = setTimeout(() => { this.retryWait = false; this.schedulePush(); }, (msg.retry_after_ms || 100) + 5);
        return;
      }
    }
    this.errors.push(`error from the daemon: ${JSON.stringify(msg)}`);
  }

  schedulePush() {
    if (!this.connected || this.pushing || this.waitHead !== null || this.gap || this.retryWait) return;
    const sendable = sendableUpdates(this.state);
    if (!sendable.length) return;
    const ref = ++this.ref;
    const updates = sendable.slice(0, this.maxPerPush).map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() }));
    this.pushing = { ref, version: this.version, n: updates.length };
    this.stats.pushes++;
    this.send({ type: "push", version: this.version, ref, updates });
  }

  // a local edit: specs as for state.changes(); token marks it
  edit(specs, token) {
    if (!this.state) throw new Error("edit before the first welcome");
    const tr = this.state.update({ changes: specs, annotations: token !== undefined ? [Token.of(token)] : [] });
    this.state = tr.state;
    if (token !== undefined) this.typed.push(token);
    this.schedulePush();
  }

  presence(selection) {
    this.send({ type: "presence", version: this.version, selection });
  }

  // nothing to send, nothing in flight, nothing missed
  get idle() {
    return this.connected && !this.pushing && this.waitHead === null && !this.gap &&
      !this.reconnectTimer && !this.reconnecting && !this.retryWait &&
      this.inq.length === 0 && !this.busy && this.unconfirmed === 0;
  }

  status() {
    return `${this.name}: v${this.version} connected=${this.connected} pushing=${JSON.stringify(this.pushing)} waitHead=${this.waitHead} gap=${this.gap} unconfirmed=${this.unconfirmed} inq=${this.inq.length} reconnect=${!!this.reconnectTimer || !!this.reconnecting} stats=${JSON.stringify(this.stats)} errors=${JSON.stringify(this.errors.slice(0, 3))}`;
  }
}

// Wait until every client is idle at the same version for a moment.
export async function quiesce(clients, timeout = 20000) {
  const deadline = Date.now() + timeout;
  let stableSince = null;
  for (;;) {
    const ok = clients.every((c) => c.idle) && clients.every((c) => c.version === clients[0].version);
    if (ok) {
      if (stableSince === null) stableSince = Date.now();
      if (Date.now() - stableSince >= 150) return clients[0].version;
    } else {
      stableSince = null;
    }
    if (Date.now() > deadline) {
      throw new Error(`clients did not settle within ${timeout} ms:\n  ${clients.map((c) => c.status()).join("\n  ")}`);
    }
    await sleep(20);
  }
}
