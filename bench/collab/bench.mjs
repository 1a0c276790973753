#!/usr/bin/env node
// bench/collab: N clients typing into one pad and into many pads, runpad-ws
// against ShareDB, both in the same run.  See README.md in this directory.
//
//   node bench.mjs [--clients 50] [--pads 10] [--seconds 10] [--rate 100]
//                  [--typist-rate 10] [--seed 1] [--idle 1000] [--procs 2]
//                  [--only ours|sharedb] [--set key=value]... [--json FILE]
//
// Every client types at a rate (keystrokes per second, exponential gaps),
// applies each keystroke locally at once and lets its client library send
// them: @codemirror/collab's peer pushes all its unconfirmed updates whenever
// no push is in flight, ShareDB's client composes the ops submitted while one
// is in flight.  It prints figures side by side and asserts nothing about
// time.  The exit status is 0 whatever the figures (even when the targets are
// missed), 1 when a server could not be run (not built, did not start,
// died), 2 on bad usage.
import { fork, spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import ShareDB from 'sharedb/lib/client/index.js';
import otText from 'ot-text-unicode';

ShareDB.types.register(otText.type);

const HERE = path.dirname(fileURLToPath(import.meta.url));
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, CLOCK_MONOTONIC
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha1 = (s) => crypto.createHash('sha1').update(s).digest('hex');
const TARGET_RATIO = 5; // ours >= 5x ShareDB's keystrokes/s
const TARGET_P99 = 5; // ms, broadcast latency at 50 clients
const DRAIN_MS = 10000; // after the deadline, for every keystroke to be acknowledged

// ------------------------------------------------------------ options
function usage(msg) {
  if (msg) console.error(`bench.mjs: ${msg}`);
  console.error('usage: node bench.mjs [--clients N] [--pads P] [--seconds S] [--rate R] [--typist-rate R]\n'
    + '                      [--seed N] [--idle K] [--procs C] [--only ours|sharedb] [--set key=value]... [--json FILE]');
  process.exit(2);
}
const opt = {
  clients: 50, pads: 10, seconds: 10, rate: 100, typistRate: 10, seed: 1, idle: 1000, procs: 2,
  only: null, set: [], json: null,
};
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--help' || a === '-h') usage();
    else if (a === '--clients') opt.clients = Number(val());
    else if (a === '--pads') opt.pads = Number(val());
    else if (a === '--seconds') opt.seconds = Number(val());
    else if (a === '--rate') opt.rate = Number(val());
    else if (a === '--typist-rate') opt.typistRate = Number(val());
    else if (a === '--seed') opt.seed = Number(val());
    else if (a === '--idle') opt.idle = Number(val());
    else if (a === '--procs') opt.procs = Number(val());
    else if (a === '--only') opt.only = val();
    else if (a === '--set') opt.set.push(val());
    else if (a === '--json') opt.json = val();
    else usage(`unknown argument ${a}`);
  }
  const int = (x, lo) => Number.isInteger(x) && x >= lo;
  if (!int(opt.clients, 1) || !int(opt.pads, 1) || !int(opt.idle, 0) || !int(opt.procs, 1) || !int(opt.seed, 0)
      || !(opt.seconds > 0) || !(opt.rate > 0) || !(opt.typistRate >= 0)) {
    usage('--clients, --pads, --procs must be at least 1, --idle, --seed, --typist-rate at least 0 (0 skips that scenario), '
      + '--seconds and --rate above 0');
  }
  if (opt.pads > opt.clients) usage('--pads cannot exceed --clients');
  if (opt.only && !['ours', 'sharedb'].includes(opt.only)) usage('--only: ours or sharedb');
  if (opt.set.some((s) => !/^[A-Za-z0-9_.-]+=/.test(s))) usage('--set: key=value');
}

// ------------------------------------------------------------ machine
function loadavg() {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
let CLK_TCK = 100;
try { CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch (e) { /* 100 */ }
function cpuMs(pid) { // utime + stime of a process
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch (e) {
    return NaN;
  }
}
function pkgVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch (e) {
    return '?';
  }
}
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
function canConnect(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.on('connect', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  });
}

// ------------------------------------------------------------ servers
class BenchError extends Error {}

class Server {
  constructor(kind, label) {
    this.kind = kind;
    this.label = label;
    this.failed = null;
    this.log = '';
    this.exited = null;
  }
  keepLog(chunk) {
    this.log = (this.log + chunk).slice(-8192);
  }
  alive() {
    return this.proc && this.exited === null;
  }
  deathNote() {
    return `${this.label} is not running (${this.exited || 'never started'})`
      + (this.log ? `; its last output:\n${this.log.trim().split('\n').slice(-15).join('\n')}` : '');
  }
  check() {
    if (!this.alive()) throw new BenchError(this.deathNote());
  }
  watch() {
    this.proc.on('exit', (code, sig) => { this.exited = sig ? `killed by ${sig}` : `exited ${code}`; });
    if (this.proc.stdout) this.proc.stdout.on('data', (d) => this.keepLog(d.toString()));
    if (this.proc.stderr) this.proc.stderr.on('data', (d) => this.keepLog(d.toString()));
  }
  async gc() {}
  async stop() {
    if (!this.alive()) return;
    this.proc.kill('SIGTERM');
    for (let i = 0; i < 50 && this.alive(); i++) await sleep(100);
    if (this.alive()) this.proc.kill('SIGKILL');
  }
}

class OursServer extends Server {
  constructor(settings) {
    super('ours', 'runpad-ws');
    const build = process.env.RUNPAD_BUILD || path.resolve(HERE, '../../build');
    this.bin = path.join(build, 'runpad-ws');
    this.settings = settings;
  }
  async start() {
    if (!fs.existsSync(this.bin)) throw new BenchError(`${this.bin} does not exist (make build/runpad-ws)`);
    this.port = await freePort();
    this.stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runpad-bench-collab-'));
    const args = ['--listen', `127.0.0.1:${this.port}`, '--state-dir', this.stateDir];
    for (const s of this.settings) args.push('--set', s);
    this.cmd = `${this.bin} ${args.join(' ')}`;
    this.proc = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.on('error', (e) => { this.exited = `could not start: ${e.message}`; });
    this.watch();
    this.url = `ws://127.0.0.1:${this.port}`;
    const t0 = now();
    while (now() - t0 < 10000) {
      if (!this.alive()) break;
      if (await canConnect(this.port)) return;
      await sleep(50);
    }
    this.check();
    throw new BenchError(`runpad-ws did not listen on 127.0.0.1:${this.port} within 10 s`);
  }
  async stop() {
    await super.stop();
    if (this.stateDir) fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
  // A fresh client's welcome: the server's own version and text of a pad.
  read(id) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${this.url}/ws/${id}`);
      const timer = setTimeout(() => { ws.terminate(); reject(new BenchError(`no welcome on /ws/${id} in 10 s`)); }, 10000);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', version: null, name: 'reader' })));
      ws.on('message', (d) => {
        const m = JSON.parse(d);
        if (m.type === 'welcome') {
          clearTimeout(timer);
          ws.close();
          resolve({ version: m.version, doc: m.doc, hash: sha1(m.doc) });
        } else if (m.type === 'error') {
          clearTimeout(timer);
          ws.close();
          reject(new BenchError(`reader of ${id}: ${m.code}: ${m.message}`));
        }
      });
      ws.on('error', (e) => { clearTimeout(timer); reject(new BenchError(`reader of ${id}: ${e.message}`)); });
    });
  }
  async prepare() {}
  fresh() { return new OursServer(this.settings); }
}

class ShareDBServer extends Server {
  constructor() {
    super('sharedb', 'ShareDB');
  }
  async start() {
    this.port = await freePort();
    this.proc = fork(path.join(HERE, 'sharedb-server.mjs'), ['--port', String(this.port)], {
      execArgv: ['--expose-gc'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.watch();
    this.url = `ws://127.0.0.1:${this.port}`;
    this.cmd = `node --expose-gc sharedb-server.mjs --port ${this.port}`;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new BenchError('ShareDB server did not listen within 10 s')), 10000);
      this.proc.on('message', (m) => { if (m && m.listening) { clearTimeout(timer); resolve(); } });
      this.proc.on('exit', () => { clearTimeout(timer); reject(new BenchError(`ShareDB server ${this.exited}: ${this.log}`)); });
    });
  }
  fresh() { return new ShareDBServer(); }
  gc() {
    if (!this.alive()) return Promise.resolve();
    return new Promise((resolve) => {
      const f = (m) => { if (m && 'gc' in m) { this.proc.off('message', f); resolve(); } };
      this.proc.on('message', f);
      this.proc.send({ cmd: 'gc' });
    });
  }
  withDocs(ids, fn) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      const conn = new ShareDB.Connection(ws);
      const timer = setTimeout(() => { conn.close(); reject(new BenchError('ShareDB reader timed out (10 s)')); }, 10000);
      Promise.all(ids.map((id) => fn(conn.get('pads', id)))).then(
        (r) => { clearTimeout(timer); conn.close(); resolve(r); },
        (e) => { clearTimeout(timer); conn.close(); reject(e); },
      );
    });
  }
  // A fresh connection's fetch: the server's own version and text of a doc.
  async readMany(ids) {
    const docs = await this.withDocs(ids, (doc) => new Promise((resolve, reject) => {
      doc.fetch((e) => (e ? reject(e) : resolve({ version: doc.version, doc: doc.data, hash: sha1(doc.data || '') })));
    }));
    return Object.fromEntries(ids.map((id, i) => [id, docs[i]]));
  }
  // Typing scenarios' docs are created before any client subscribes.
  async prepare(ids) {
    await this.withDocs(ids, (doc) => new Promise((resolve, reject) => {
      doc.fetch((e) => {
        if (e) return reject(e);
        if (doc.type) return resolve();
        doc.create('', otText.type.uri, (e2) => (e2 ? reject(e2) : resolve()));
      });
    }));
  }
}
OursServer.prototype.readMany = async function (ids) {
  const r = await Promise.all(ids.map((id) => this.read(id)));
  return Object.fromEntries(ids.map((id, i) => [id, r[i]]));
};

// ------------------------------------------------------------ load processes
class Worker {
  constructor(i) {
    this.i = i;
    this.proc = fork(path.join(HERE, 'client.mjs'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.waiting = [];
    this.proc.on('message', (m) => {
      const w = this.waiting.shift();
      if (!w) return;
      if (m && m.failed) w.reject(new BenchError(`load process ${i}: ${m.failed}`));
      else w.resolve(m);
    });
    this.proc.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new BenchError(`load process ${i} exited ${code}`));
    });
  }
  ask(msg, timeoutMs = 120000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new BenchError(`load process ${this.i}: no answer to ${msg.cmd} in ${timeoutMs / 1000} s`)), timeoutMs);
      this.waiting.push({
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.proc.send(msg);
    });
  }
  kill() { this.proc.kill('SIGTERM'); }
}

// Which process holds which clients of which pad: a pad's clients all in one
// process when there are at least as many pads as processes, else each pad's
// clients split evenly over the processes.  `first` is the index in its pad
// of the first of the clients (it seeds the clients' generators).
function assign(padIds, perPad, procs, create = false) {
  const out = Array.from({ length: procs }, () => []);
  padIds.forEach((id, p) => {
    const n = perPad[p];
    if (padIds.length >= procs) {
      out[p % procs].push({ id, n, first: 0, create });
    } else {
      let first = 0;
      for (let w = 0; w < procs; w++) {
        const k = Math.floor(n / procs) + (w < n % procs ? 1 : 0);
        if (k) out[w].push({ id, n: k, first, create: create && w === 0 });
        first += k;
      }
    }
  });
  return out;
}

function pct(xs, p) { // xs sorted
  if (!xs.length) return null;
  const k = ((xs.length - 1) * p) / 100;
  const lo = Math.floor(k);
  const hi = Math.min(lo + 1, xs.length - 1);
  return xs[lo] + (xs[hi] - xs[lo]) * (k - lo);
}
const sorted = (xs) => Float64Array.from(xs).sort();
const dist = (xs) => {
  const s = sorted(xs);
  return { p50: pct(s, 50), p99: pct(s, 99), max: s.length ? s[s.length - 1] : null, n: s.length };
};

// ------------------------------------------------------------ one typing cell
async function typingCell(server, workers, scen, runId) {
  server.check();
  const padIds = Array.from({ length: scen.pads }, (_, i) => `${runId}-${scen.key}-${i}`);
  const perPad = padIds.map((_, i) => Math.floor(opt.clients / scen.pads) + (i < opt.clients % scen.pads ? 1 : 0));
  const padClients = Object.fromEntries(padIds.map((id, i) => [id, perPad[i]]));
  await server.prepare(padIds);
  const plan = assign(padIds, perPad, workers.length);
  await Promise.all(workers.map((w, i) => (plan[i].length
    ? w.ask({ cmd: 'setup', kind: server.kind, url: server.url, pads: plan[i] }) : null)));
  await sleep(500);
  const v0 = await server.readMany(padIds);

  const cpuS0 = cpuMs(server.proc.pid);
  const t0 = now() + 50; // the go messages reach the load processes before t0
  const deadline = t0 + opt.seconds * 1000;
  const typedP = Promise.all(workers.map((w, i) => (plan[i].length
    ? w.ask({ cmd: 'go', t0, deadline, rate: scen.rate, seed: opt.seed, drainMs: DRAIN_MS }, opt.seconds * 1000 + 60000)
    : { typed: null })));
  await sleep(Math.max(0, deadline - now()));
  // Server-side truth at the deadline, read by fresh clients while the
  // others may still be pushing.
  const tr0 = now();
  server.check();
  const vd = await server.readMany(padIds);
  const tr1 = now();
  const cpuS1 = cpuMs(server.proc.pid);
  const typed = (await typedP).map((m) => m.typed).filter(Boolean);
  server.check();
  const finals = await server.readMany(padIds);
  const settledR = await Promise.all(workers.map((w, i) => (plan[i].length
    ? w.ask({ cmd: 'settle', finals: Object.fromEntries(padIds.map((id) => [id, finals[id].version])), timeoutMs: 5000 })
    : { settled: { pads: [] } })));
  await Promise.all(workers.map((w, i) => (plan[i].length ? w.ask({ cmd: 'close' }) : null)));

  // Throughput: keystrokes are one-character inserts into pads that start
  // empty, so the server's text length is the count of accepted keystrokes.
  const interval = ((tr0 + tr1) / 2 - t0) / 1000;
  const len = (r) => r.doc.length;
  const accepted = padIds.reduce((s, id) => s + len(vd[id]) - len(v0[id]), 0);
  const acceptedAll = padIds.reduce((s, id) => s + len(finals[id]) - len(v0[id]), 0);
  const versionsAll = padIds.reduce((s, id) => s + finals[id].version - v0[id].version, 0);
  const versionsInt = padIds.reduce((s, id) => s + vd[id].version - v0[id].version, 0);
  const sum = (k) => typed.reduce((s, t) => s + (typeof t[k] === 'number' ? t[k] : 0), 0);
  const errorCodes = {};
  for (const t of typed) for (const [k, v] of Object.entries(t.errorCodes)) errorCodes[k] = (errorCodes[k] || 0) + v;

  const bcast = []; // per accepted push / op: its send until the last client of the pad has it
  const typingLat = []; // per keystroke: until the last client of the pad has it
  const perClient = []; // {typed, acks, acksInTime, lat: []}
  let pushesAccepted = 0;
  let incomplete = 0;
  let noPusher = 0;
  let lostKeys = 0;
  let docMismatch = 0;
  let behind = 0;
  const checks = [];
  for (const id of padIds) {
    const parts = settledR.flatMap((r) => r.settled.pads.filter((p) => p.id === id));
    const from = v0[id].version;
    const to = finals[id].version;
    const n = to - from;
    const last = new Float64Array(n).fill(-Infinity);
    const cnt = new Float64Array(n);
    const pushT = new Float64Array(n).fill(NaN);
    const pushN = new Float64Array(n);
    for (const p of parts) {
      for (let v = from; v < to; v++) {
        const i = v - p.base;
        if (i < 0 || i >= p.recvMax.length) continue;
        const j = v - from;
        if (p.recvMax[i] > last[j]) last[j] = p.recvMax[i];
        cnt[j] += p.recvCnt[i];
        if (!Number.isNaN(p.pushT[i])) pushT[j] = p.pushT[i];
        if (p.pushN[i]) pushN[j] = p.pushN[i];
      }
    }
    for (let j = 0; j < n; j++) {
      if (Number.isNaN(pushT[j])) noPusher++;
      else if (cnt[j] !== padClients[id]) incomplete++;
      if (pushN[j]) {
        pushesAccepted++;
        let l = -Infinity;
        for (let k = j; k < j + pushN[j] && k < n; k++) if (last[k] > l) l = last[k];
        bcast.push(l - pushT[j]);
      }
    }
    const lat = Array.from({ length: padClients[id] }, () => []);
    for (const p of parts) {
      for (let k = 0; k < p.keys.length; k += 3) {
        const j = p.keys[k] - from;
        if (j < 0 || j >= n || cnt[j] !== padClients[id]) { lostKeys++; continue; }
        const l = last[j] - p.keys[k + 1];
        typingLat.push(l);
        lat[p.keys[k + 2]].push(l);
      }
      for (const c of p.clients) {
        perClient.push({ typed: c.typed, acks: c.acks, acksInTime: c.acksInTime, lat: lat[c.index] });
        if (c.version !== to) behind++;
        else if (c.typed === c.acks && c.hash !== finals[id].hash) docMismatch++; // else it holds unconfirmed keystrokes
      }
    }
  }
  const typedAll = sum('typed');
  const acks = sum('acks');
  const unacked = sum('unacked');
  if (unacked) {
    checks.push(`${unacked} keystrokes of ${sum('stuck')} clients still unacknowledged ${DRAIN_MS / 1000} s after the deadline `
      + '(they stopped pushing then)');
  }
  if (acks + unacked !== typedAll) checks.push(`acknowledged ${acks} + unacknowledged ${unacked} != typed ${typedAll}`);
  // A push still in flight when the clients stopped may have been accepted
  // after all: between the acknowledged and that.
  const inflightKeys = sum('inflightKeys');
  const within = (x) => x >= acks && x <= acks + inflightKeys;
  const and = inflightKeys ? ` (+ ${inflightKeys} in flight at the stop)` : '';
  if (!within(acceptedAll)) checks.push(`acknowledged ${acks}${and} != server's text growth ${acceptedAll}`);
  if (server.kind === 'ours' && !within(versionsAll)) checks.push(`acknowledged ${acks}${and} != version delta ${versionsAll}`);
  if (server.kind === 'ours' && versionsAll !== acceptedAll) checks.push(`version delta ${versionsAll} != text growth ${acceptedAll}`);
  if (server.kind === 'sharedb' && pushesAccepted !== versionsAll) checks.push(`acknowledged ops ${pushesAccepted} != version delta ${versionsAll}`);
  if (docMismatch) checks.push(`${docMismatch} clients' text differs from the server's`);
  if (behind) checks.push(`${behind} clients not at the server's version 10 s after the end`);
  if (noPusher) checks.push(`${noPusher} versions without a known pusher`);
  if (incomplete) checks.push(`${incomplete} versions not received by every client of their pad`);
  if (lostKeys) checks.push(`${lostKeys} keystrokes without a complete version`);
  const pc = (f) => {
    const s = sorted(perClient.map(f).filter((x) => !Number.isNaN(x)));
    return { min: s[0], p50: pct(s, 50), max: s[s.length - 1] };
  };
  return {
    scenario: scen.label, key: scen.key, rate: scen.rate, server: server.label, kind: server.kind,
    typedPerS: sum('typed') / opt.seconds, acceptedPerS: accepted / interval, interval, accepted, acceptedAll,
    versions: versionsAll, versionsPerS: versionsInt / interval, typed: typedAll, acks,
    pushes: sum('pushes'), pushesAccepted, stale: sum('stale'), capped: sum('capped'),
    keysPerPush: pushesAccepted ? acceptedAll / pushesAccepted : null,
    bcast: dist(bcast), typing: dist(typingLat),
    fair: {
      inTime: pc((c) => c.acksInTime),
      p99: pc((c) => (c.lat.length ? pct(sorted(c.lat), 99) : NaN)),
      zero: perClient.filter((c) => !c.acksInTime).length,
    },
    drainS: Math.max(0, (Math.max(...typed.map((t) => t.stoppedAt)) - deadline) / 1000),
    errors: sum('errors'), errorCodes,
    firstError: typed.map((t) => t.firstError).find(Boolean) || null,
    disconnects: sum('disconnects'), snapshots: sum('snapshots'), pulls: sum('pulls'), gaps: sum('gaps'),
    staleAhead: sum('staleAhead'), lateKeys: sum('lateKeys'),
    serverCpu: (cpuS1 - cpuS0) / 1000 / ((tr1 - t0) / 1000),
    clientCpu: sum('cpuMs') / 1000 / opt.seconds, rebaseMs: sum('rebaseMs'), rebaseS: (sum('rebaseMs') / 1000).toFixed(1),
    docLen: finals[padIds[0]].doc.length,
    checks,
  };
}

// ------------------------------------------------------------ idle memory
async function settledRss(server) {
  await sleep(1000);
  await server.gc();
  await sleep(200);
  return rssKiB(server.proc.pid);
}

// One memory figure on a server of its own, started for it: a warm-up (a
// few clients join and leave, so that what is allocated once per process is
// in the baseline), the baseline RSS, then `sets` of pads joined and kept
// idle, and the RSS again.  A fresh server per figure, because memory freed
// by an earlier step would be reused by the next and hide its cost.
async function idleFigure(proto, workers, runId, what) {
  const K = opt.idle;
  const server = proto.fresh();
  try {
    await server.start();
    const join = async (padIds, perPad, create) => {
      const plan = assign(padIds, perPad, workers.length, create);
      if (!create) await server.prepare(padIds);
      await Promise.all(workers.map((w, i) => (plan[i].length
        ? w.ask({ cmd: 'setup', kind: server.kind, url: server.url, pads: plan[i], batch: 50 }) : null)));
    };
    const leave = () => Promise.all(workers.map((w) => w.ask({ cmd: 'close' })));
    await join(Array.from({ length: 20 }, (_, i) => `${runId}-warm-${i}`), Array(20).fill(1), true);
    await leave();
    const r0 = await settledRss(server);
    if (what === 'conn') await join([`${runId}-idleconn`], [K], false);
    else await join(Array.from({ length: K }, (_, i) => `${runId}-idlepad-${i}`), Array(K).fill(1), true);
    const r1 = await settledRss(server);
    server.check();
    await leave();
    return { kib: (r1 - r0) / K, rss: [r0, r1] };
  } finally {
    await server.stop();
  }
}

async function idleCell(server, workers, runId) {
  const conn = await idleFigure(server, workers, runId, 'conn');
  const pad = await idleFigure(server, workers, runId, 'pad');
  return {
    server: server.label, kind: server.kind,
    connKiB: conn.kib, connRss: conn.rss, padKiB: pad.kib, padRss: pad.rss,
  };
}

// ------------------------------------------------------------ report
const f1 = (x, w = 9, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '-'.padStart(w) : x.toFixed(d).padStart(w));
const ratio = (a, b) => (a > 0 && b > 0 ? `${(a / b).toFixed(2)}x` : '-');
const padsLabel = (p) => `${p} pad${p > 1 ? 's' : ''} x ${opt.clients % p ? `~${Math.round(opt.clients / p)}` : opt.clients / p}`;

async function main() {
  const runId = `bc${crypto.randomBytes(3).toString('hex')}`;
  const maxConn = Math.max(opt.clients, opt.idle) + 64;
  const oursSettings = [
    'ws.updates_per_second=100000', 'ws.update_burst=100000',
    `ws.max_participants=${maxConn}`, `ws.max_pads=${opt.idle + opt.pads + 64}`,
    ...opt.set,
  ];
  const servers = [];
  if (opt.only !== 'sharedb') servers.push(new OursServer(oursSettings));
  if (opt.only !== 'ours') servers.push(new ShareDBServer());
  const scenarios = [];
  if (opt.typistRate > 0) scenarios.push({ key: 'typist', pads: 1, rate: opt.typistRate });
  scenarios.push({ key: 'one', pads: 1, rate: opt.rate });
  if (opt.pads > 1) scenarios.push({ key: 'many', pads: opt.pads, rate: opt.rate });
  for (const sc of scenarios) sc.label = `${padsLabel(sc.pads)} @${sc.rate}/s`;

  const cpus = os.cpus();
  console.log(`bench/collab: ${opt.clients} clients typing for ${opt.seconds} s, each at a rate R (keystrokes/s, exponential gaps, `
    + `seed ${opt.seed}); a keystroke is a 1-character insert at a random place of the client's own text, applied at once;`);
  console.log('          ours: @codemirror/collab peer (push all unconfirmed updates when no push is in flight; '
    + 'on stale_version rebase and push again); ShareDB: submitOp (one op in flight, the rest composed)');
  console.log(`          scenarios: ${scenarios.map((sc) => `${padsLabel(sc.pads)} at ${sc.rate}/s per client (${sc.rate * opt.clients}/s offered)`).join('; ')}; `
    + `${opt.idle ? `${opt.idle} idle pads / connections for memory; ` : ''}${opt.procs} load processes`);
  console.log(`machine:  nproc ${os.availableParallelism ? os.availableParallelism() : cpus.length}, `
    + `${cpus[0] ? cpus[0].model : '?'}, ${os.type()} ${os.release()}, node ${process.version}`);
  console.log(`load:     ${loadavg()} (at the start)`);

  let failedServer = false;
  for (const s of servers) {
    try {
      await s.start();
    } catch (e) {
      s.failed = e.message;
      failedServer = true;
    }
  }
  for (const s of servers) {
    if (s.kind === 'ours') {
      console.log(`ours:     ${s.cmd || s.bin}`);
      console.log('          state in a temp dir (every accepted update committed to LMDB); '
        + `the per-client rate limit lifted (ws.updates_per_second, ws.update_burst), pads allowed ${maxConn} participants`);
    } else {
      console.log(`ShareDB:  ${s.cmd || 'sharedb-server.mjs'}: sharedb ${pkgVersion('sharedb')}, `
        + `ot-text-unicode ${pkgVersion('ot-text-unicode')}, ws ${pkgVersion('ws')}, `
        + `@teamwork/websocket-json-stream ${pkgVersion('@teamwork/websocket-json-stream')}; `
        + 'in-memory default DB (MemoryDB, nothing on disk)');
    }
    if (s.failed) console.log(`          FAILED: ${s.failed}`);
  }
  console.log(`clients:  ours: @codemirror/state ${pkgVersion('@codemirror/state')} + @codemirror/collab `
    + `${pkgVersion('@codemirror/collab')}; ShareDB: sharedb/lib/client + ot-text-unicode; `
    + `all over ws ${pkgVersion('ws')}\n`);

  const workers = Array.from({ length: opt.procs }, (_, i) => new Worker(i));
  const results = [];
  const idle = [];
  try {
    // The clocks of the load processes must be this process's clock.
    for (const w of workers) {
      const a = now();
      const { clock } = await w.ask({ cmd: 'clock' });
      const b = now();
      if (!(clock >= a && clock <= b)) throw new BenchError(`load process ${w.i}'s clock is not ours (${clock} outside [${a}, ${b}])`);
    }
    const live = () => servers.filter((s) => !s.failed);
    if (opt.idle > 0) {
      for (const s of live()) {
        try {
          idle.push(await idleCell(s, workers, runId));
        } catch (e) {
          if (!(e instanceof BenchError)) throw e;
          if (!s.alive()) {
            s.failed = `idle memory: ${e.message}`;
            failedServer = true;
          }
          idle.push({ server: s.label, kind: s.kind, failed: e.message });
          for (const w of workers) await w.ask({ cmd: 'close' }).catch(() => {});
        }
      }
    }
    for (const scen of scenarios) {
      for (const s of live()) {
        process.stderr.write(`bench/collab: ${scen.label}, ${s.label}...\n`);
        try {
          results.push(await typingCell(s, workers, scen, runId));
        } catch (e) {
          if (!(e instanceof BenchError)) throw e;
          let why = e.message;
          if (!s.alive()) { // a dead server fails the run; a failed cell does not
            if (!why.includes('is not running')) why += `; ${s.deathNote()}`;
            s.failed = why;
            failedServer = true;
          }
          results.push({ scenario: scen.label, key: scen.key, server: s.label, kind: s.kind, failed: why });
          for (const w of workers) await w.ask({ cmd: 'close' }).catch(() => {});
        }
      }
    }
  } finally {
    for (const w of workers) w.kill();
    for (const s of servers) await s.stop();
  }

  // The tables.
  const L = 22;
  console.log(`${'scenario'.padEnd(L)} ${'server'.padEnd(10)}  typed/s  accepted/s  pushes  rejected  keys/push`
    + '   broadcast ms: p50     p99     max   typing ms: p50     p99     max');
  for (const r of results) {
    if (r.failed) {
      console.log(`${r.scenario.padEnd(L)} ${r.server.padEnd(10)}  FAILED: ${r.failed}`);
      continue;
    }
    console.log(`${r.scenario.padEnd(L)} ${r.server.padEnd(10)} ${f1(r.typedPerS, 8, 0)} ${f1(r.acceptedPerS, 11, 0)} `
      + `${String(r.pushes).padStart(7)} ${(r.kind === 'ours' ? String(r.stale) : '-').padStart(9)} ${f1(r.keysPerPush, 10, 1)}`
      + `${''.padStart(14)}${f1(r.bcast.p50, 7)} ${f1(r.bcast.p99, 7)} ${f1(r.bcast.max, 7)}`
      + `${''.padStart(11)}${f1(r.typing.p50, 7)} ${f1(r.typing.p99, 7)} ${f1(r.typing.max, 7)}`);
  }
  const get = (key, kind) => results.find((r) => r.key === key && r.kind === kind && !r.failed);
  if (servers.length === 2) {
    console.log(`\n${'ours/ShareDB'.padEnd(L)} ${''.padEnd(10)}          accepted/s  pushes                   `
      + '                 p50     p99     max              p50     p99     max');
    for (const sc of scenarios) {
      const a = get(sc.key, 'ours');
      const b = get(sc.key, 'sharedb');
      if (!a || !b) continue;
      console.log(`${sc.label.padEnd(L)} ${''.padEnd(10)} ${''.padStart(8)} ${ratio(a.acceptedPerS, b.acceptedPerS).padStart(11)} `
        + `${ratio(a.pushes, b.pushes).padStart(7)} ${''.padStart(9)} ${''.padStart(10)}${''.padStart(14)}`
        + `${ratio(a.bcast.p50, b.bcast.p50).padStart(7)} ${ratio(a.bcast.p99, b.bcast.p99).padStart(7)} ${ratio(a.bcast.max, b.bcast.max).padStart(7)}`
        + `${''.padStart(11)}${ratio(a.typing.p50, b.typing.p50).padStart(7)} ${ratio(a.typing.p99, b.typing.p99).padStart(7)} ${ratio(a.typing.max, b.typing.max).padStart(7)}`);
    }
  }

  // What the server spends, independent of whether the load processes
  // (on the same 2 cores) could offer more: CPU per accepted keystroke and
  // per push or op handled (ours counts rejected pushes too).
  console.log(`\n${'server CPU cost'.padEnd(L)} ${'server'.padEnd(10)}  us per accepted keystroke  us per push/op  keystrokes per CPU-second`);
  for (const r of results) {
    if (r.failed || !r.acceptedPerS) continue;
    const perKey = r.serverCpu * 1e6 / r.acceptedPerS;
    const perPush = r.serverCpu * 1e6 / (r.pushes / opt.seconds);
    console.log(`${r.scenario.padEnd(L)} ${r.server.padEnd(10)} ${f1(perKey, 26)} ${f1(perPush, 15)} ${f1(1e6 / perKey, 26, 0)}`);
  }
  if (servers.length === 2) {
    for (const sc of scenarios) {
      const a = get(sc.key, 'ours');
      const b = get(sc.key, 'sharedb');
      if (!a || !b || !a.acceptedPerS || !b.acceptedPerS) continue;
      const ka = a.acceptedPerS / a.serverCpu, kb = b.acceptedPerS / b.serverCpu;
      console.log(`${sc.label.padEnd(L)} ${'ours/ShareDB'.padEnd(10)} keystrokes per server CPU-second: ${ratio(ka, kb)}`);
    }
  }

  console.log(`\n${'fairness'.padEnd(L)} ${'server'.padEnd(10)}  accepted by the deadline per client: min  median     max  none`
    + '   per-client typing p99 ms: min  median     max');
  for (const r of results) {
    if (r.failed) continue;
    const { inTime: a, p99: q } = r.fair;
    console.log(`${r.scenario.padEnd(L)} ${r.server.padEnd(10)} ${''.padStart(38)}${String(a.min).padStart(5)} ${f1(a.p50, 7, 0)} ${String(a.max).padStart(7)} `
      + `${String(r.fair.zero).padStart(5)} ${''.padStart(27)}${f1(q.min, 6)} ${f1(q.p50, 7)} ${f1(q.max, 7)}`);
  }

  console.log(`\n${'details'.padEnd(L)} ${'server'.padEnd(10)}  accepted  versions  errors  discon  srv CPU  load CPU  drain s  doc chars  checks`);
  for (const r of results) {
    if (r.failed) continue;
    console.log(`${r.scenario.padEnd(L)} ${r.server.padEnd(10)} ${String(r.acceptedAll).padStart(9)} ${String(r.versions).padStart(9)} `
      + `${String(r.errors).padStart(7)} ${String(r.disconnects).padStart(7)} `
      + `${`${(r.serverCpu * 100).toFixed(0)}%`.padStart(8)} ${`${(r.clientCpu * 100).toFixed(0)}%`.padStart(9)} ${f1(r.drainS, 8, 2)} `
      + `${String(r.docLen).padStart(10)}  ${r.checks.length ? r.checks.join('; ') : 'ok'}`);
    if (r.errors) console.log(`${''.padEnd(L)} errors: ${JSON.stringify(r.errorCodes)}; first: ${r.firstError}`);
    const odd = [['staleAhead', 'stale_version before the updates that made the push stale'], ['gaps', 'updates with a gap (pulled)'],
      ['snapshots', 'snapshots'], ['pulls', 'pulls'], ['capped', `pushes capped at ${1000} updates`]].filter(([k]) => r[k]);
    if (r.kind === 'ours') odd.push(['rebaseS', `s in the clients' receiveUpdates by the deadline (${(r.rebaseMs / 10 / r.clientCpu / opt.seconds).toFixed(0)}% of the load processes' CPU)`]);
    if (odd.length) console.log(`${''.padEnd(L)} ${odd.map(([k, what]) => `${r[k]} ${what}`).join('; ')}`);
  }

  if (idle.length) {
    console.log(`\n${'idle memory'.padEnd(L)} ${'server'.padEnd(10)}  RSS/conn KiB  RSS/pad KiB`);
    for (const i of idle) {
      if (i.failed) {
        console.log(`${`idle, K=${opt.idle}`.padEnd(L)} ${i.server.padEnd(10)}  FAILED: ${i.failed}`);
        continue;
      }
      console.log(`${`idle, K=${opt.idle}`.padEnd(L)} ${i.server.padEnd(10)} ${f1(i.connKiB, 13, 1)} ${f1(i.padKiB, 12, 1)}`
        + `   (RSS ${i.connRss[0]} -> ${i.connRss[1]} KiB for ${opt.idle} connections to one pad, `
        + `${i.padRss[0]} -> ${i.padRss[1]} KiB for ${opt.idle} pads with one idle client each)`);
    }
    const io = idle.find((x) => x.kind === 'ours' && !x.failed);
    const is = idle.find((x) => x.kind === 'sharedb' && !x.failed);
    if (io && is) {
      console.log(`${'ours/ShareDB'.padEnd(L)} ${''.padEnd(10)} ${ratio(io.connKiB, is.connKiB).padStart(13)} ${ratio(io.padKiB, is.padKiB).padStart(12)}`);
    }
  }

  console.log('\ntyped/s: keystrokes typed per second (all clients); accepted/s: keystrokes accepted per second, the server\'s '
    + 'own text growth\n  over the interval (fresh readers at its start and end); pushes: pushes (ours) or ops (ShareDB) sent; '
    + 'rejected: stale_version;\n  keys/push: keystrokes per accepted push / op.  broadcast: from the send of the push / op that was '
    + 'accepted until the\n  last client of the pad has it, one sample per accepted push / op; typing: from a keystroke until the '
    + 'last client of the pad\n  has it, one sample per keystroke.  CPU: of one core; load = all load processes; drain: from the '
    + 'deadline until every\n  keystroke is acknowledged.  ShareDB runs on its in-memory DB; ours commits every update to LMDB.');
  const targets = [];
  const so = get('one', 'ours');
  const ss = get('one', 'sharedb');
  if (so && ss) {
    const x = so.acceptedPerS / ss.acceptedPerS;
    targets.push(`throughput ${x.toFixed(2)}x ShareDB at ${so.scenario} (target >= ${TARGET_RATIO}x: ${x >= TARGET_RATIO ? 'met' : 'MISSED'})`);
  }
  for (const key of ['typist', 'one']) {
    const o = get(key, 'ours');
    if (o) {
      targets.push(`broadcast p99 ${o.bcast.p99 === null ? '-' : o.bcast.p99.toFixed(2)} ms at ${o.scenario} `
        + `(target < ${TARGET_P99} ms: ${o.bcast.p99 !== null && o.bcast.p99 < TARGET_P99 ? 'met' : 'MISSED'})`);
    }
  }
  if (targets.length) console.log(`targets:  ${targets.join(';\n          ')}`);
  console.log(`load:     ${loadavg()} (at the end)`);
  if (opt.json) {
    const slim = results.map((r) => ({ ...r }));
    fs.writeFileSync(opt.json, JSON.stringify({ options: opt, load: loadavg(), results: slim, idle }, null, 1));
  }
  return failedServer ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(`bench.mjs: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
