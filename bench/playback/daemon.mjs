// The real runpad-ws for a benchmark, as bench/collab starts it: the
// binary from $RUNPAD_BUILD (default build/), on a free port of 127.0.0.1,
// a state directory of its own (removed at the end), the given --set
// settings.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class BenchError extends Error {}

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

export class Daemon {
  constructor(build, settings) {
    this.bin = path.join(build, 'runpad-ws');
    this.settings = settings;
    this.log = '';
    this.exited = null;
    this.proc = null;
  }

  alive() {
    return this.proc && this.exited === null;
  }

  deathNote() {
    return `runpad-ws is not running (${this.exited || 'never started'})`
      + (this.log ? `; its last output:\n${this.log.trim().split('\n').slice(-15).join('\n')}` : '');
  }

  check() {
    if (!this.alive()) throw new BenchError(this.deathNote());
  }

  async start() {
    if (!fs.existsSync(this.bin)) throw new BenchError(`${this.bin} does not exist (make build/runpad-ws)`);
    this.port = await freePort();
    this.stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runpad-bench-playback-'));
    const args = ['--listen', `127.0.0.1:${this.port}`, '--state-dir', this.stateDir];
    for (const s of this.settings) args.push('--set', s);
    this.cmd = `${this.bin} ${args.join(' ')}`;
    this.proc = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.on('error', (e) => { this.exited = `could not start: ${e.message}`; });
    this.proc.on('exit', (code, sig) => { this.exited = sig ? `killed by ${sig}` : `exited ${code}`; });
    const keep = (d) => { this.log = (this.log + d.toString()).slice(-8192); };
    this.proc.stdout.on('data', keep);
    this.proc.stderr.on('data', keep);
    this.url = `ws://127.0.0.1:${this.port}`;
    const t0 = Date.now();
    while (Date.now() - t0 < 10000) {
      if (!this.alive()) break;
      if (await canConnect(this.port)) return;
      await sleep(50);
    }
    this.check();
    throw new BenchError(`runpad-ws did not listen on 127.0.0.1:${this.port} within 10 s`);
  }

  async stop() {
    if (this.alive()) {
      this.proc.kill('SIGTERM');
      for (let i = 0; i < 50 && this.alive(); i++) await sleep(100);
      if (this.alive()) this.proc.kill('SIGKILL');
    }
    if (this.stateDir) fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}
