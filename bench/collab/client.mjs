// A load-generating process of bench.mjs (forked, IPC with the "advanced"
// serialization).  It holds some clients of some pads and makes them type.
//
// Typing is modelled as an editor sees it: a client types at a given rate
// (exponential inter-arrival times from a seeded generator), every keystroke
// is applied to its own document at once (a one-character insert at a random
// place of its current text), and the network side catches up on its own:
//
// - runpad-ws clients are what a browser runs: the real @codemirror/state
//   EditorState with the real @codemirror/collab extension, driven like the
//   collab example's peer.  Whenever no push is in flight and
//   sendableUpdates() is not empty, ALL of them are pushed at
//   getSyncedVersion().  The daemon rebases a push made at an older version
//   over the updates accepted since (docs/protocol.md, "Rebasing"); the
//   acknowledgement is the client's own updates coming back in an `updates`
//   broadcast.  While the client holds unconfirmed changes it gives each
//   remote update to receiveUpdates() on its own, one call per update, as
//   the web client does: that is how the daemon maps them, and mapping over
//   a batch at once can place an insertion differently.  `stale_version`
//   only comes for a push more than ws.max_catchup behind: then the client
//   waits for the broadcasts that made it stale and pushes again.
// - ShareDB clients are sharedb/lib/client with the ot-text-unicode type over
//   a `ws` WebSocket: every keystroke is a doc.submitOp(); ShareDB keeps one
//   op in flight and composes the keystrokes submitted meanwhile into one
//   pending op, sent when the in-flight one is acknowledged.
// - Yjs clients are a Y.Doc with a Y.Text, synced by y-websocket's
//   WebsocketProvider over a `ws` WebSocket (no BroadcastChannel between the
//   clients of one process, no awareness state: only the text travels).  A
//   keystroke is ytext.insert(); the provider sends every transaction's
//   update at once, and the server relays it to the pad's other clients.
//
// Bookkeeping for ours and ShareDB, per pad and per version number (versions
// are the pad's own count of accepted updates; ours: one keystroke each,
// ShareDB: one op of one or more composed keystrokes): every client records
// when it had version v applied (the process keeps the latest time and how
// many of its clients got it); the pusher records the send time of the push
// (or op) that was accepted and how many versions it made; and every
// keystroke is recorded with its time, its client and the version it became.
//
// Yjs has no versions: a keystroke is the item (clientID, clock) that its
// insert made (one character, one clock tick), and a client's Y clientID is
// its index in the pad plus one.  Every client records, per writer and
// clock, when a remote transaction took its state vector past that clock
// (the latest time in the process and how many of its clients); the writer
// records each keystroke's time and the send time of its update.
//
// Times are process.hrtime.bigint(), i.e. CLOCK_MONOTONIC, one clock for
// every process on the machine, so bench.mjs can take the max over processes
// (it checks the clocks agree before it starts).
//
// Commands from bench.mjs and their answers:
//   {cmd:"clock"}                                -> {clock: now}
//   {cmd:"setup", kind, url, pads:[{id, n, first, create}]}
//                                                -> {ready, versions:{id: v}}
//   {cmd:"go", t0, deadline, rate, seed, drainMs} -> {typed: {...}} once every
//        client has stopped typing and (ours, ShareDB) has every keystroke
//        acknowledged; Yjs clients have no acknowledgement and stop when
//        their typing is over
//   {cmd:"settle", finals:{id: v}, timeoutMs}     -> {settled: {...}}
//   {cmd:"close"}                                 -> {closed: true}, the
//        clients' sockets closed; the process ends when bench.mjs does
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { EditorState, ChangeSet } from '@codemirror/state';
import {
  collab, receiveUpdates, sendableUpdates, getSyncedVersion, getClientID,
} from '@codemirror/collab';
import ShareDB from 'sharedb/lib/client/index.js';
import otText from 'ot-text-unicode';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { Awareness } from 'y-protocols/awareness';

ShareDB.types.register(otText.type);
// Every WebsocketProvider adds a process 'exit' listener; a thousand idle
// Yjs clients are not a leak.
process.setMaxListeners(0);

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, CLOCK_MONOTONIC
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const sha1 = (s) => crypto.createHash('sha1').update(s).digest('hex');
const MAX_UPDATES_PER_PUSH = 1000; // runpad-ws's ws.max_updates_per_push default

// A small seeded generator (mulberry32), one per client.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function seedOf(...parts) {
  return crypto.createHash('sha256').update(parts.join('/')).digest().readUInt32LE(0);
}

let t0 = 0;
let deadline = Infinity;
let rate = 10; // keystrokes per second per client
let typing = false;
let halted = false; // the drain took too long: no more pushes
let onStopped = null;
const stats = {
  typed: 0, acks: 0, acksInTime: 0, pushes: 0, stale: 0, capped: 0, errors: 0, errorCodes: {}, firstError: null,
  disconnects: 0, snapshots: 0, pulls: 0, gaps: 0, staleAhead: 0, lateKeys: 0, rebaseMs: 0, rebased: 0, atHead: 0,
};
function noteError(code, text) {
  stats.errors++;
  stats.errorCodes[code] = (stats.errorCodes[code] || 0) + 1;
  if (!stats.firstError) stats.firstError = text;
}

// Per-pad bookkeeping shared by this process's clients of the pad.
class Pad {
  constructor(id) {
    this.id = id;
    this.base = null; // version at setup: index 0 of the arrays
    this.pushT = []; // send time of the accepted push / op that made version v
    this.pushN = []; // at the first version of an accepted push: how many versions it made
    this.recvMax = [];
    this.recvCnt = [];
    this.keys = []; // [version, keystroke time, client index in the pad, ...]
    this.clients = [];
  }
  idx(v) {
    if (this.base === null) this.base = v;
    return v - this.base;
  }
  recv(v, t) {
    const i = this.idx(v);
    if (i < 0) return;
    if (!(this.recvMax[i] >= t)) this.recvMax[i] = t;
    this.recvCnt[i] = (this.recvCnt[i] || 0) + 1;
  }
  pushed(v, n, t) {
    const i = this.idx(v);
    if (i < 0) return;
    this.pushN[i] = n;
    for (let k = 0; k < n; k++) this.pushT[i + k] = t;
  }
  key(v, t, client) {
    this.keys.push(v, t, client);
  }
}

function dense(a, n, fill) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i] === undefined ? fill : a[i];
  return out;
}

// The typing schedule of a client: keystroke times t0 + the sum of
// exponential gaps of mean 1000/rate ms.  A timer wakes the client at the
// next one; when the process was late it types all the keystrokes that are
// due, one transaction each, so that the offered rate is the rate asked for.
class Typist {
  constructor(pad, index) {
    this.pad = pad;
    this.index = index; // the client's index in its pad, over all processes
    this.stopped = true;
    this.timer = null;
    this.acks = 0;
    this.acksInTime = 0;
    this.typed = 0;
  }

  start(seed) {
    this.rand = rng(seedOf(seed, this.pad.id.replace(/^[^-]*-/, ''), this.index));
    this.stopped = false;
    this.nextAt = t0 + this.gap();
    this.schedule();
  }

  gap() { return (-Math.log(1 - this.rand()) * 1000) / rate; }

  schedule() {
    if (this.nextAt >= deadline) {
      this.timer = null;
      this.maybeStop();
      return;
    }
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.nextAt - now()));
  }

  tick() {
    const t = now();
    let n = 0;
    while (this.nextAt <= t && this.nextAt < deadline && !this.closed) {
      const pos = Math.floor(this.rand() * (this.docLength() + 1));
      const ch = LETTERS[Math.floor(this.rand() * 26)];
      this.keystroke(pos, ch, now());
      this.typed++;
      stats.typed++;
      if (++n > 1) stats.lateKeys++;
      this.nextAt += this.gap();
    }
    this.afterTyping();
    this.schedule();
  }

  acked(n, t) {
    this.acks += n;
    stats.acks += n;
    if (t <= deadline) {
      this.acksInTime += n;
      stats.acksInTime += n;
    }
  }

  maybeStop() {
    if (this.stopped || this.timer || this.hasPending()) return;
    this.stopped = true;
    clientStopped();
  }

  abort() { // the socket is gone: nothing more will be acknowledged
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    this.stopped = true;
    clientStopped();
  }
}

// ------------------------------------------------------------ runpad-ws
class OursClient extends Typist {
  constructor(url, pad, index) {
    super(pad, index);
    this.url = `${url}/ws/${pad.id}`;
    this.state = null;
    this.inflight = 0; // updates in the push in flight (0: none)
    this.tPush = 0; // when the push in flight was sent
    this.vPush = 0; // the version it was made at
    this.keyQ = []; // keystroke times of the unconfirmed updates, in order
    this.staleHead = -1; // rejected: waiting to catch up to this head before pushing again
    this.closed = false;
    this.pullTimer = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', version: null, name: 'bench' })));
      ws.on('message', (data) => {
        let m;
        try {
          m = JSON.parse(data);
        } catch (e) {
          noteError('client_bad_json', `unparsable frame: ${String(data).slice(0, 200)}`);
          return;
        }
        if (m.type === 'welcome') {
          if (typeof m.doc !== 'string') {
            reject(new Error(`welcome without doc: ${String(data).slice(0, 300)}`));
            return;
          }
          this.state = EditorState.create({ doc: m.doc, extensions: [collab({ startVersion: m.version })] });
          this.clientID = getClientID(this.state);
          this.pad.idx(m.version);
          resolve(this);
          return;
        }
        if (!this.state) {
          if (m.type === 'error') reject(new Error(`${m.code}: ${m.message}`));
          return;
        }
        this.onMessage(m);
      });
      ws.on('error', (e) => {
        if (!this.state) reject(e);
        else noteError('socket_error', `socket error: ${e.message}`);
      });
      ws.on('close', (code, reason) => {
        this.closed = true;
        if (!this.state) {
          reject(new Error(`closed ${code} ${reason} before welcome`));
          return;
        }
        if (!this.closing) {
          stats.disconnects++;
          noteError(`close_${code}`, `socket closed by the daemon: ${code} ${reason}`);
          this.abort();
        }
      });
    });
  }

  version() { return this.state ? getSyncedVersion(this.state) : -1; }
  docText() { return this.state.doc.toString(); }
  docLength() { return this.state.doc.length; }
  hasPending() { return this.inflight > 0 || sendableUpdates(this.state).length > 0; }

  keystroke(pos, ch, t) {
    this.state = this.state.update({ changes: { from: pos, insert: ch } }).state;
    this.keyQ.push(t);
  }

  afterTyping() { this.maybePush(); }

  // The collab peer: push everything unconfirmed when nothing is in flight.
  maybePush() {
    if (this.inflight || this.staleHead >= 0 || this.closed || halted) return;
    let ups = sendableUpdates(this.state);
    if (!ups.length) return;
    if (ups.length > MAX_UPDATES_PER_PUSH) {
      ups = ups.slice(0, MAX_UPDATES_PER_PUSH);
      stats.capped++;
    }
    stats.pushes++;
    this.inflight = ups.length;
    this.tPush = now();
    this.vPush = getSyncedVersion(this.state);
    this.ws.send(JSON.stringify({
      type: 'push',
      version: this.vPush,
      updates: ups.map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() })),
    }));
  }

  onMessage(m) {
    if (m.type === 'updates') {
      const synced = getSyncedVersion(this.state);
      const skip = synced - m.version;
      if (skip < 0) { // missed something: ask again
        stats.gaps++;
        this.pull();
        return;
      }
      if (skip >= m.updates.length) return; // already have them (a pull's answer)
      const ups = skip ? m.updates.slice(skip) : m.updates;
      const tr = now();
      const updates = ups.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) }));
      // One at a time while there are unconfirmed changes, as the daemon
      // rebases (docs/protocol.md, "Rebasing"); a batch when there are none.
      if (!sendableUpdates(this.state).length) this.state = receiveUpdates(this.state, updates).state;
      else for (const u of updates) this.state = receiveUpdates(this.state, [u]).state;
      const t = now();
      stats.rebaseMs += t - tr;
      let own = 0;
      let firstOwn = -1;
      for (let i = 0; i < ups.length; i++) {
        this.pad.recv(synced + i, t);
        if (ups[i].clientID === this.clientID) {
          if (firstOwn < 0) firstOwn = synced + i;
          this.pad.key(synced + i, this.keyQ.shift(), this.index);
          own++;
        }
      }
      if (own) { // the acknowledgement of the push in flight
        if (!this.inflight) noteError('unexpected_ack', `own updates at ${firstOwn} with no push in flight`);
        this.pad.pushed(firstOwn, own, this.tPush);
        // accepted at a later version than it was made at: the daemon rebased it
        if (firstOwn > this.vPush) stats.rebased++;
        else stats.atHead++;
        this.inflight = Math.max(0, this.inflight - own);
        this.acked(own, t);
      }
      if (this.pullTimer && getSyncedVersion(this.state) >= this.staleHead) {
        clearTimeout(this.pullTimer);
        this.pullTimer = null;
      }
      if (this.staleHead >= 0 && getSyncedVersion(this.state) >= this.staleHead) this.staleHead = -1;
      this.maybePush();
      this.maybeStop();
    } else if (m.type === 'error') {
      if (m.code === 'stale_version') {
        // Only for a push more than ws.max_catchup behind the head.
        stats.stale++;
        this.inflight = 0;
        if (getSyncedVersion(this.state) >= m.head) {
          this.maybePush();
        } else {
          // Wait for the broadcasts that made the push stale; they come before
          // the error on the same socket, so this should not happen: pull if
          // they are not there 100 ms later.
          stats.staleAhead++;
          this.staleHead = m.head;
          if (!this.pullTimer) this.pullTimer = setTimeout(() => { this.pullTimer = null; this.pull(); }, 100);
        }
      } else {
        noteError(m.code, `${m.code}: ${m.message}`);
        this.inflight = 0;
        setTimeout(() => this.maybePush(), m.retry_after_ms || 10);
      }
    } else if (m.type === 'snapshot') {
      // Unconfirmed changes cannot be rebased onto a snapshot; this breaks the
      // bookkeeping and is reported as an error.
      stats.snapshots++;
      noteError('snapshot', `snapshot (${m.reason}) at version ${m.version}`);
      this.state = EditorState.create({ doc: m.doc, extensions: [collab({ startVersion: m.version })] });
      this.clientID = getClientID(this.state);
      this.inflight = 0;
      this.staleHead = -1;
      this.keyQ = [];
      this.maybeStop();
    }
    // join, leave, presence, profile, pong...: nothing to do
  }

  pull() {
    stats.pulls++;
    this.ws.send(JSON.stringify({ type: 'pull', version: getSyncedVersion(this.state) }));
  }

  close() {
    this.closing = true;
    clearTimeout(this.timer);
    clearTimeout(this.pullTimer);
    try { this.ws.close(); } catch (e) { /* gone already */ }
  }
}

// ------------------------------------------------------------ ShareDB
class ShareDBClient extends Typist {
  constructor(url, pad, index, create) {
    super(pad, index);
    this.url = url;
    this.create = create;
    this.tSend = 0; // when the op in flight was sent
    this.lastAckV = -1;
    this.closed = false;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.on('close', () => {
        this.closed = true;
        if (!this.closing && this.doc) {
          stats.disconnects++;
          noteError('close', 'ShareDB socket closed');
          this.abort();
        }
      });
      ws.on('error', (e) => reject(e));
      this.conn = new ShareDB.Connection(ws);
      // ShareDB sends an op when none is in flight (on the next tick after a
      // submitOp, or when the one in flight is acknowledged): that send is
      // the one that gets accepted (no resends without a reconnect).
      this.conn.on('send', (msg) => {
        if (msg.a === 'op') {
          this.tSend = now();
          stats.pushes++;
        }
      });
      const doc = this.conn.get('pads', this.pad.id);
      doc.on('error', (e) => noteError('doc_error', `ShareDB doc error: ${e.message}`));
      doc.on('op batch', (op, source) => {
        if (!source) this.pad.recv(doc.version - 1, now());
      });
      const ready = () => {
        this.doc = doc;
        this.pad.idx(doc.version);
        resolve(this);
      };
      doc.subscribe((err) => {
        if (err) return reject(err);
        if (doc.type) return ready();
        if (!this.create) return reject(new Error(`ShareDB doc ${this.pad.id} does not exist`));
        doc.create('', otText.type.uri, (e) => (e ? reject(e) : ready()));
      });
    });
  }

  version() { return this.doc ? this.doc.version : -1; }
  docText() { return this.doc.data; }
  docLength() { return this.doc.data.length; }
  hasPending() { return this.doc.hasWritePending(); }

  keystroke(pos, ch, t) {
    const doc = this.doc;
    doc.submitOp(pos ? [pos, ch] : [ch], (err) => {
      if (err) {
        noteError(err.code || 'submit', `submitOp: ${err.message}`);
        this.maybeStop();
        return;
      }
      // Every keystroke composed into the acknowledged op is called back in
      // turn, with the doc's version already counting it.
      const v = doc.version - 1;
      const t2 = now();
      if (v !== this.lastAckV) {
        this.lastAckV = v;
        this.pad.recv(v, t2);
        this.pad.pushed(v, 1, this.tSend);
      }
      this.pad.key(v, t, this.index);
      this.acked(1, t2);
      // The last callback runs before ShareDB flushes its next op.
      if (!doc.pendingOps.length) setImmediate(() => this.maybeStop());
    });
  }

  afterTyping() {}

  close() {
    this.closing = true;
    clearTimeout(this.timer);
    try { this.conn.close(); } catch (e) { /* gone already */ }
  }
}

// ------------------------------------------------------------ Yjs
// Per pad, per writer (its index in the pad) and per clock: the latest time
// a client of this process had that keystroke from someone else, and how
// many of them had it; for this process's writers, each keystroke's time and
// the send time of its update.
class YPad extends Pad {
  constructor(id) {
    super(id);
    this.arr = new Map(); // writer index -> {recvMax: [], recvCnt: []}
    this.ykeys = []; // [writer index, clock, keystroke time, send time, ...]
  }
  writer(w) {
    let a = this.arr.get(w);
    if (!a) {
      a = { recvMax: [], recvCnt: [] };
      this.arr.set(w, a);
    }
    return a;
  }
  arrived(w, from, to, t) {
    const a = this.writer(w);
    for (let c = from; c < to; c++) {
      if (!(a.recvMax[c] >= t)) a.recvMax[c] = t;
      a.recvCnt[c] = (a.recvCnt[c] || 0) + 1;
    }
  }
}

class YjsClient extends Typist {
  constructor(url, pad, index) {
    super(pad, index);
    this.url = url;
    this.closed = false;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const doc = new Y.Doc();
      doc.clientID = this.index + 1; // the writer's index, seen in every other client's state vector
      this.doc = doc;
      this.text = doc.getText('t');
      // No presence: the awareness state stays null, so nothing but the text
      // is sent (ours and ShareDB send no presence either).
      const awareness = new Awareness(doc);
      awareness.setLocalState(null);
      doc.on('afterTransaction', (tr) => {
        if (tr.local) return;
        const t = now();
        tr.afterState.forEach((clock, client) => {
          const before = tr.beforeState.get(client) || 0;
          if (clock > before) this.pad.arrived(client - 1, before, clock, t);
        });
      });
      const provider = new WebsocketProvider(this.url, this.pad.id, doc, {
        WebSocketPolyfill: WebSocket, disableBc: true, awareness, maxBackoffTime: 1000,
      });
      this.provider = provider;
      const timer = setTimeout(() => reject(new Error(`y-websocket: no sync on ${this.pad.id} in 30 s`)), 30000);
      const onSync = (synced) => {
        if (!synced) return;
        provider.off('sync', onSync);
        clearTimeout(timer);
        resolve(this);
      };
      provider.on('sync', onSync);
      provider.on('connection-close', () => {
        if (this.closing || !this.provider.synced) return;
        stats.disconnects++;
        noteError('close', 'y-websocket socket closed');
      });
    });
  }

  version() { return this.doc ? sumState(this.doc) : -1; }
  docText() { return this.text.toString(); }
  docLength() { return this.text.length; }
  // Nothing is acknowledged: a keystroke is sent the moment it is typed.
  hasPending() { return false; }

  keystroke(pos, ch, t) {
    const clock = Y.getState(this.doc.store, this.doc.clientID);
    const sent = this.provider.wsconnected;
    this.text.insert(pos, ch); // the provider sends the update in here
    const t2 = now();
    if (sent) stats.pushes++;
    this.pad.ykeys.push(this.index, clock, t, t2);
  }

  afterTyping() {}

  close() {
    this.closing = true;
    this.closed = true;
    clearTimeout(this.timer);
    try { this.provider.destroy(); } catch (e) { /* gone already */ }
  }
}

// The sum of a Y.Doc's state vector: with inserts only, its text length and
// the count of keystrokes it holds; equal in every client once they agree.
function sumState(doc) {
  let n = 0;
  for (const client of doc.store.clients.keys()) n += Y.getState(doc.store, client);
  return n;
}

// ------------------------------------------------------------ driver
let pads = new Map();
let clients = [];
let running = 0;
let kind = null;

function clientStopped() {
  running--;
  if (running === 0 && onStopped) onStopped();
}

async function setup(msg) {
  pads = new Map();
  clients = [];
  kind = msg.kind;
  const todo = [];
  for (const p of msg.pads) {
    const pad = kind === 'yjs' ? new YPad(p.id) : new Pad(p.id);
    pads.set(p.id, pad);
    for (let i = 0; i < p.n; i++) {
      const index = (p.first || 0) + i;
      const c = kind === 'ours' ? new OursClient(msg.url, pad, index)
        : kind === 'yjs' ? new YjsClient(msg.url, pad, index)
          : new ShareDBClient(msg.url, pad, index, p.create && i === 0);
      pad.clients.push(c);
      clients.push(c);
      todo.push(c);
    }
  }
  // Connect in batches, so that a thousand idle clients do not stampede.
  const batch = msg.batch || 50;
  for (let i = 0; i < todo.length; i += batch) {
    await Promise.all(todo.slice(i, i + batch).map((c) => c.connect()));
  }
  const versions = {};
  for (const [id, pad] of pads) versions[id] = pad.clients[0].version();
  return { ready: true, clients: clients.length, versions };
}

function go(msg) {
  return new Promise((resolve) => {
    for (const k of Object.keys(stats)) {
      stats[k] = typeof stats[k] === 'number' ? 0 : k === 'errorCodes' ? {} : null;
    }
    t0 = msg.t0;
    deadline = msg.deadline;
    rate = msg.rate;
    typing = true;
    const cpu0 = process.cpuUsage();
    const start = now();
    running = clients.length;
    halted = false;
    let timer = null;
    let cpuInterval = null; // CPU used from the start to the deadline
    let rebaseInterval = null;
    const cpuTimer = setTimeout(() => { cpuInterval = process.cpuUsage(cpu0); rebaseInterval = stats.rebaseMs; }, Math.max(0, deadline - now()));
    let stoppedAt = null;
    onStopped = () => {
      clearTimeout(timer);
      clearTimeout(cpuTimer);
      onStopped = null;
      stoppedAt = now();
      const cpu = cpuInterval || process.cpuUsage(cpu0);
      typing = false;
      // Yjs clients know nothing of acknowledgements: bench.mjs counts what
      // the server holds instead.
      const unacked = kind === 'yjs' ? 0 : clients.reduce((s, c) => s + c.typed - c.acks, 0);
      const padTyped = {};
      for (const [id, pad] of pads) padTyped[id] = pad.clients.reduce((n, c) => n + c.typed, 0);
      resolve({
        typed: {
          ...stats, stuck: kind === 'yjs' ? 0 : clients.filter((c) => c.typed > c.acks).length, unacked, padTyped,
          inflightKeys: clients.reduce((n, c) => n + (c.inflight || 0), 0), cpuMs: (cpu.user + cpu.system) / 1000,
          stoppedAt, halted, rebaseMs: rebaseInterval === null ? stats.rebaseMs : rebaseInterval,
        },
      });
    };
    // Clients whose last keystrokes are not acknowledged by then must not hang
    // the run: they stop pushing, and once the pushes in flight are answered
    // (or 3 s later) the process reports.
    timer = setTimeout(async () => {
      halted = true;
      const h0 = now();
      while (clients.some((c) => c.inflight > 0 || (c.doc && c.doc.inflightOp)) && now() - h0 < 3000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      if (onStopped) onStopped();
    }, Math.max(0, deadline - now()) + (msg.drainMs || 10000));
    if (!running) onStopped();
    for (const c of clients) c.start(msg.seed);
  });
}

async function settle(msg) {
  const start = now();
  for (;;) {
    let behind = 0;
    for (const [id, pad] of pads) {
      for (const c of pad.clients) if (!c.closed && c.version() < msg.finals[id]) behind++;
    }
    if (!behind || now() - start > msg.timeoutMs) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const out = [];
  for (const [id, pad] of pads) {
    const n = pad.recvMax.length;
    const ywriters = pad instanceof YPad ? [...pad.arr].map(([w, a]) => ({
      w, recvMax: dense(a.recvMax, a.recvMax.length, NaN), recvCnt: dense(a.recvCnt, a.recvCnt.length, 0),
    })) : null;
    out.push({
      ywriters,
      ykeys: pad instanceof YPad ? Float64Array.from(pad.ykeys) : null,
      id,
      base: pad.base,
      pushT: dense(pad.pushT, n, NaN),
      pushN: dense(pad.pushN, n, 0),
      recvMax: dense(pad.recvMax, n, NaN),
      recvCnt: dense(pad.recvCnt, n, 0),
      keys: Float64Array.from(pad.keys),
      clients: pad.clients.map((c) => ({
        index: c.index, version: c.version(), hash: sha1(c.docText()), closed: Boolean(c.closed),
        pending: c.closed ? false : c.hasPending(),
        typed: c.typed, acks: c.acks, acksInTime: c.acksInTime,
      })),
    });
  }
  return { settled: { pads: out } };
}

process.on('message', async (msg) => {
  try {
    if (msg.cmd === 'clock') process.send({ clock: now() });
    else if (msg.cmd === 'setup') process.send(await setup(msg));
    else if (msg.cmd === 'go') process.send(await go(msg));
    else if (msg.cmd === 'settle') process.send(await settle(msg));
    else if (msg.cmd === 'close') {
      for (const c of clients) c.close();
      clients = [];
      pads = new Map();
      await new Promise((r) => setTimeout(r, 200));
      process.send({ closed: true });
    }
  } catch (e) {
    process.send({ failed: `${e && e.stack ? e.stack : e}` });
  }
});
process.on('disconnect', () => process.exit(0));
