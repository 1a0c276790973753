#!/usr/bin/env node
// bench/playback: what the timeline of a long interview costs in the
// browser.  See bench/README.md, "bench/playback".
//
//   node bench.mjs [--versions 20000] [--clients 4] [--runs 3] [--seeks 2000]
//                  [--k 16,32,64,128,256,512] [--from0-seeks N] [--seed 1]
//                  [--set key=value]... [--json FILE]
//
// 1. Makes a pad of --versions versions through the real runpad-ws: --clients
//    typists, each on its own websocket, type a Python program a keystroke
//    at a time (an insert at its cursor, now and then a backspace or a jump
//    elsewhere), one push in flight each, pushed at the version it has (the
//    daemon rebases it over what the others did meanwhile).  The first
//    typist sets the language and asks for --runs runs along the way; with
//    no runner reachable (ws.runner) they end with an error, kept all the
//    same.  ws.updates_per_second and ws.update_burst are raised so that
//    the typists are not rate limited.
// 2. As the browser does: a fresh socket, `hello`, then `history` pages from
//    version 0 until `more` is false (timed from the first request to the
//    last page), and the model built from them (web/src/playback/model.ts,
//    bundled for node with the rolldown that vite brings), timed.
// 3. --seeks seeks at random times of the pad's life, the same times for
//    every variant, interleaved (each time is sought in every variant before
//    the next): a model keeping a checkpoint every K versions, for each K of
//    --k, and replaying from version 0 (K infinite; at most --from0-seeks
//    of the times).  Per variant: the build time, the heap it holds, and
//    p50, p99 and max of a seek.
// The model's text at the head must be the daemon's (a fresh welcome):
// otherwise the exit status is 3.  1: the daemon could not run; 2: bad
// usage.  It asserts nothing about time.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { ChangeSet, Text } from '@codemirror/state';
import { Daemon, BenchError } from './daemon.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------ options
function usage(msg) {
  if (msg) console.error(`bench.mjs: ${msg}`);
  console.error('usage: node bench.mjs [--versions N] [--clients N] [--runs N] [--seeks N] [--k K,K,...]\n'
    + '                      [--from0-seeks N] [--seed N] [--set key=value]... [--json FILE]');
  process.exit(2);
}
const opt = {
  versions: 20000, clients: 4, runs: 3, seeks: 2000, k: [16, 32, 64, 128, 256, 512], from0: null, seed: 1,
  set: [], json: null,
};
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--help' || a === '-h') usage();
    else if (a === '--versions') opt.versions = Number(val());
    else if (a === '--clients') opt.clients = Number(val());
    else if (a === '--runs') opt.runs = Number(val());
    else if (a === '--seeks') opt.seeks = Number(val());
    else if (a === '--k') opt.k = val().split(',').filter(Boolean).map(Number);
    else if (a === '--from0-seeks') opt.from0 = Number(val());
    else if (a === '--seed') opt.seed = Number(val());
    else if (a === '--set') opt.set.push(val());
    else if (a === '--json') opt.json = val();
    else usage(`unknown argument ${a}`);
  }
  const int = (x, lo) => Number.isInteger(x) && x >= lo;
  if (!int(opt.versions, 1) || !int(opt.clients, 1) || !int(opt.runs, 0) || !int(opt.seeks, 1) || !int(opt.seed, 0)
      || !opt.k.length || !opt.k.every((k) => int(k, 1)) || (opt.from0 !== null && !int(opt.from0, 0))) {
    usage('--versions, --clients, --seeks and each --k at least 1; --runs, --seed, --from0-seeks at least 0');
  }
  if (opt.set.some((s) => !/^[A-Za-z0-9_.-]+=/.test(s))) usage('--set: key=value');
  if (opt.from0 === null) opt.from0 = opt.seeks;
}

// mulberry32
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  const r = (sorted.length - 1) * p;
  const lo = Math.floor(r), hi = Math.ceil(r);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo);
}
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const mib = (b) => (b / (1 << 20)).toFixed(1);
function loadavg() {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

// ------------------------------------------------------------ the model, bundled
// web/src/playback/model.ts for node: the very source the browser runs.
function bundleModel(build) {
  const rolldown = path.join(ROOT, 'web/node_modules/.bin/rolldown');
  if (!fs.existsSync(rolldown)) throw new BenchError(`${rolldown} is missing: run npm ci in web/ (make web)`);
  const out = path.join(build, 'bench/playback-model.mjs');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  execFileSync(rolldown, [path.join(ROOT, 'web/src/playback/model.ts'), '--format', 'esm', '--platform', 'node',
    '--file', out], { cwd: path.join(ROOT, 'web'), stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

// ------------------------------------------------------------ typists
const PROGRAM = `def two_sum(nums, target):
    seen = {}
    for i, x in enumerate(nums):
        if target - x in seen:
            return seen[target - x], i
        seen[x] = i
    return None


def main():
    nums = [int(x) for x in input().split()]
    target = int(input())
    print(two_sum(nums, target))


if __name__ == "__main__":
    main()
`;

// One participant typing: it keeps the pad's text from the broadcasts, a
// cursor mapped through them, and pushes one keystroke at a time.
class Typist {
  constructor(url, index, pad, rnd, shared) {
    this.url = `${url}/ws/${pad}`;
    this.index = index;
    this.rnd = rnd;
    this.shared = shared; // {target, head, stopped}
    this.clientID = `typist${index}-${Math.floor(rnd() * 1e9).toString(36)}`;
    this.doc = Text.empty;
    this.version = 0;
    this.cursor = 0;
    this.src = Math.floor(rnd() * PROGRAM.length);
    this.pending = false;
    this.pushes = 0;
    this.errors = new Map();
    this.runEnds = 0;
    this.runVerdicts = [];
  }

  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      const timer = setTimeout(() => reject(new BenchError(`typist ${this.index}: no welcome in 10 s`)), 10000);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', version: null, name: `Typist ${this.index + 1}` })));
      ws.on('error', (e) => reject(new BenchError(`typist ${this.index}: ${e.message}`)));
      ws.on('message', (d) => {
        const m = JSON.parse(d);
        if (m.type === 'welcome') {
          clearTimeout(timer);
          this.doc = Text.of((m.doc ?? '').split('\n'));
          this.version = m.version;
          resolve();
        } else this.onMessage(m);
      });
    });
  }

  onMessage(m) {
    if (m.type === 'updates') {
      if (m.version !== this.version) {
        if (m.version + m.updates.length <= this.version) return;
        if (m.version > this.version) {
          this.ws.send(JSON.stringify({ type: 'pull', version: this.version }));
          return;
        }
        m = { ...m, updates: m.updates.slice(this.version - m.version), version: this.version };
      }
      let mine = false;
      for (const u of m.updates) {
        const c = ChangeSet.fromJSON(u.changes);
        this.doc = c.apply(this.doc);
        this.cursor = c.mapPos(this.cursor, 1);
        this.version++;
        if (u.clientID === this.clientID) mine = true;
      }
      this.shared.head = Math.max(this.shared.head, this.version);
      if (mine && this.pending) {
        this.pending = false;
        setImmediate(() => this.type());
      }
    } else if (m.type === 'error') {
      this.errors.set(m.code, (this.errors.get(m.code) ?? 0) + 1);
      if (m.ref !== undefined && this.pending) {
        this.pending = false;
        // stale_version waits for the broadcasts; rate_limited for its time
        setTimeout(() => this.type(), m.code === 'rate_limited' ? (m.retry_after_ms ?? 50) : 20);
      }
    } else if (m.type === 'run' && m.event && m.event.event === 'end') {
      this.runEnds++;
      this.runVerdicts.push(m.event.verdict ?? null);
    }
  }

  // One keystroke against the text this typist has, pushed at its version.
  type() {
    if (this.pending || this.shared.stopped) return;
    if (this.shared.head >= this.shared.target) {
      this.shared.stopped = true;
      return;
    }
    const len = this.doc.length;
    this.cursor = Math.min(this.cursor, len);
    const r = this.rnd();
    let change;
    if (r < 0.03 && len) {
      this.cursor = Math.floor(this.rnd() * (len + 1)); // a click elsewhere
      change = { from: this.cursor, insert: PROGRAM[this.src] };
    } else if (r < 0.10 && this.cursor > 0) {
      change = { from: this.cursor - 1, to: this.cursor }; // backspace
    } else {
      change = { from: this.cursor, insert: PROGRAM[this.src] };
    }
    if (change.insert !== undefined) this.src = (this.src + 1) % PROGRAM.length;
    // the cursor moves when the daemon's broadcast brings the change back
    const cs = ChangeSet.of(change, len);
    this.pending = true;
    this.pushes++;
    this.ws.send(JSON.stringify({ type: 'push', version: this.version, ref: this.pushes,
      updates: [{ clientID: this.clientID, changes: cs.toJSON() }] }));
  }

  send(m) {
    this.ws.send(JSON.stringify(m));
  }

  close() {
    this.ws.close();
  }
}

async function makePad(daemon, pad) {
  const shared = { target: opt.versions, head: 0, stopped: false };
  const typists = [];
  for (let i = 0; i < opt.clients; i++) {
    const t = new Typist(daemon.url, i, pad, rng(opt.seed * 1000 + i + 1), shared);
    await t.connect();
    typists.push(t);
  }
  const lead = typists[0];
  if (opt.runs) lead.send({ type: 'language', language: 'python' });
  const t0 = now();
  for (const t of typists) t.type();
  const runAt = Array.from({ length: opt.runs }, (_, i) => Math.floor((opt.versions * (i + 1)) / (opt.runs + 1)));
  let asked = 0;
  let lastHead = -1, lastMove = now();
  while (!shared.stopped || typists.some((t) => t.pending)) {
    await sleep(20);
    daemon.check();
    if (asked < runAt.length && shared.head >= runAt[asked]) {
      lead.send({ type: 'run' });
      asked++;
    }
    if (shared.head !== lastHead) {
      lastHead = shared.head;
      lastMove = now();
    } else if (now() - lastMove > 15000) {
      throw new BenchError(`the pad stopped at version ${shared.head} for 15 s; errors: `
        + JSON.stringify(Object.fromEntries(typists.flatMap((t) => [...t.errors]))));
    }
  }
  const ms = now() - t0;
  // the runs end (a runner's time limit, or at once without a runner)
  const t1 = now();
  while (lead.runEnds < asked && now() - t1 < 30000) await sleep(50);
  const errors = {};
  for (const t of typists) for (const [k, v] of t.errors) errors[k] = (errors[k] ?? 0) + v;
  for (const t of typists) t.close();
  return { ms, head: shared.head, runs: asked, verdicts: lead.runVerdicts, errors };
}

// ------------------------------------------------------------ the browser's side
// A socket that has said hello, and the pad's text it was welcomed with.
function open(url, pad, name) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/ws/${pad}`);
    const timer = setTimeout(() => reject(new BenchError(`${name}: no welcome in 10 s`)), 10000);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', version: null, name })));
    ws.on('error', (e) => reject(new BenchError(`${name}: ${e.message}`)));
    ws.on('message', function first(d) {
      const m = JSON.parse(d);
      if (m.type !== 'welcome') return;
      clearTimeout(timer);
      ws.off('message', first);
      resolve({ ws, welcome: m });
    });
  });
}

// The HistoryFetch of model.ts over a raw socket; counts the bytes.
function socketFetch(ws, stats) {
  return (doc, from) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { ws.off('message', on); reject(new BenchError(`history from ${from}: no answer in 60 s`)); }, 60000);
    function on(d) {
      const m = JSON.parse(d);
      if (m.type === 'history' && m.doc === doc && m.from === from) {
        clearTimeout(timer);
        ws.off('message', on);
        stats.pages++;
        stats.bytes += d.length;
        resolve(m);
      } else if (m.type === 'error' && m.code === 'rate_limited') {
        // a page costs 100 of the reader's update budget: ask again
        stats.limited++;
        setTimeout(() => ws.send(JSON.stringify({ type: 'history', doc, from })), m.retry_after_ms ?? 1000);
      } else if (m.type === 'error') {
        clearTimeout(timer);
        ws.off('message', on);
        reject(new BenchError(`history from ${from}: ${m.code}: ${m.message}`));
      }
    }
    ws.on('message', on);
    ws.send(JSON.stringify({ type: 'history', doc, from }));
  });
}

function heap() {
  global.gc?.();
  global.gc?.();
  return process.memoryUsage().heapUsed;
}

// ------------------------------------------------------------ main
async function main() {
  const build = path.resolve(process.env.RUNPAD_BUILD || path.join(ROOT, 'build'));
  const modelFile = bundleModel(build);
  const M = await import(pathToFileURL(modelFile).href);
  const settings = ['ws.updates_per_second=1000000', 'ws.update_burst=1000000', ...opt.set];
  const daemon = new Daemon(build, settings);
  const pad = `bench-playback-${opt.seed}`;
  let status = 0;
  try {
    await daemon.start();
    console.log(`bench/playback: a pad of ${opt.versions} versions by ${opt.clients} typists through runpad-ws, `
      + `${opt.runs} runs, ${opt.seeks} seeks (seed ${opt.seed})`);
    console.log(`kernel:  ${os.type()} ${os.release()} ${os.arch()}`);
    console.log(`cpus:    ${os.cpus().length}, ${os.cpus()[0]?.model ?? '?'}`);
    console.log(`load:    ${loadavg()}`);
    console.log(`node:    ${process.version}; model: web/src/playback/model.ts (default K ${M.DEFAULT_CHECKPOINT_EVERY})`);
    console.log(`daemon:  ${daemon.cmd}`);
    console.log('');

    const made = await makePad(daemon, pad);
    const errs = Object.entries(made.errors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    console.log(`made:    ${made.head} versions in ${(made.ms / 1000).toFixed(1)} s `
      + `(${Math.round(made.head / (made.ms / 1000))}/s); errors: ${errs}`);
    console.log(`runs:    ${made.runs} asked, verdicts ${JSON.stringify(made.verdicts)}`
      + (made.verdicts.length && made.verdicts.every((v) => v === null) ? ' (no runner reachable: kept without output)' : ''));

    // the browser: fetch the history, build the model
    const { ws, welcome } = await open(daemon.url, pad, 'reader');
    const stats = { pages: 0, bytes: 0, limited: 0 };
    const tf = now();
    const record = await M.loadRecord(socketFetch(ws, stats));
    const fetchMs = now() - tf;
    ws.close();
    console.log(`history: ${record.updates.length} updates, ${record.events.length} events, ${record.runs.length} runs `
      + `in ${stats.pages} pages, ${mib(stats.bytes)} MiB, ${f2(fetchMs)} ms`
      + (stats.limited ? ` (${stats.limited} times rate limited)` : ''));

    const h0 = heap();
    const tb = now();
    const model = new M.Playback(record);
    const buildMs = now() - tb;
    const h1 = heap();
    const end = model.seekVersion(model.head);
    console.log(`model:   built in ${f2(buildMs)} ms, heap +${mib(h1 - h0)} MiB; at the head ${end.text.length} characters, `
      + `${end.spans.length} spans by ${end.authors.length} authors`);
    if (end.text !== welcome.doc) {
      console.log(`MISMATCH: the model's text at the head (${end.text.length}) is not the daemon's (${welcome.doc.length})`);
      status = 3;
    }
    console.log('');

    // the variants
    const variants = [];
    for (const k of opt.k) {
      const before = heap();
      const t = now();
      const m = new M.Playback(record, { checkpointEvery: k, reuseLast: false });
      const ms = now() - t;
      variants.push({ name: `K=${k}`, k, m, build: ms, heap: heap() - before, samples: [] });
    }
    {
      const before = heap();
      const t = now();
      const m = new M.Playback(record, { checkpointEvery: Infinity, reuseLast: false });
      variants.push({ name: 'replay from 0', k: Infinity, m, build: now() - t, heap: heap() - before, samples: [], from0: true });
    }
    const r = rng(opt.seed + 7);
    const times = Array.from({ length: opt.seeks }, () => model.start + r() * (model.end - model.start));
    // warm up every variant on a few times
    for (const v of variants) for (let i = 0; i < 20; i++) v.m.seek(times[(i * 97) % times.length]);
    let mismatches = 0;
    times.forEach((t, i) => {
      let ref = null;
      for (const v of variants) {
        if (v.from0 && i >= opt.from0) continue;
        const a = now();
        const mo = v.m.seek(t);
        v.samples.push(now() - a);
        if (ref === null) ref = mo;
        else if (mo.text !== ref.text || mo.spans.length !== ref.spans.length) mismatches++;
      }
    });
    if (mismatches) {
      console.log(`MISMATCH: ${mismatches} seeks gave another text or spans than K=${opt.k[0]}`);
      status = 3;
    }
    console.log(`${opt.seeks} seeks at random times, interleaved; seek = text + authorship spans + runs of the moment`);
    console.log('variant          checkpoints  build ms  heap MiB   p50 ms   p99 ms   max ms  seeks');
    for (const v of variants) {
      const s = v.samples.slice().sort((a, b) => a - b);
      v.p50 = pct(s, 0.5);
      v.p99 = pct(s, 0.99);
      v.max = s[s.length - 1];
      const cps = Number.isFinite(v.k) ? Math.floor(model.head / v.k) + 1 : 1;
      console.log(`${v.name.padEnd(16)} ${String(cps).padStart(11)} ${f2(v.build).padStart(9)} ${mib(v.heap).padStart(9)} `
        + `${f2(v.p50).padStart(8)} ${f2(v.p99).padStart(8)} ${f2(v.max).padStart(8)} ${String(s.length).padStart(6)}`);
    }
    const from0 = variants[variants.length - 1];
    const best = variants.find((v) => v.k === M.DEFAULT_CHECKPOINT_EVERY) ?? variants[0];
    console.log('');
    console.log(`${best.name} against replay from 0: p50 x${(from0.p50 / best.p50).toFixed(0)}, `
      + `p99 x${(from0.p99 / best.p99).toFixed(0)}, max x${(from0.max / best.max).toFixed(0)}`);
    console.log(`load at the end: ${loadavg()}`);
    if (opt.json) {
      fs.writeFileSync(opt.json, JSON.stringify({
        options: opt, made, fetchMs, pages: stats.pages, bytes: stats.bytes, buildMs,
        variants: variants.map(({ m, ...v }) => ({ ...v, k: Number.isFinite(v.k) ? v.k : null })),
      }, null, 1));
    }
  } catch (e) {
    if (!(e instanceof BenchError)) throw e;
    console.error(`bench/playback: ${e.message}`);
    if (!daemon.alive() && daemon.proc) console.error(daemon.deathNote());
    status = status || 1;
  } finally {
    await daemon.stop();
  }
  process.exit(status);
}

main();
