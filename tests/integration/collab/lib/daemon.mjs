// A real runpad-ws for one test: 127.0.0.1 on a free port, a fresh state
// directory, its stderr in a log file whose tail is printed when the test
// fails.  stop() is SIGTERM and wait, kill9() is SIGKILL, restart() starts
// it again on the same state directory and port.
//
//   await withDaemon(t, {set: {"ws.max_doc": "1K"}}, async (d) => { ... });
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const COLLAB_DIR = path.dirname(HERE);
export const BUILD = process.env.RUNPAD_BUILD ||
  path.resolve(COLLAB_DIR, "..", "..", "..", "build");
export const BINARY = path.join(BUILD, "runpad-ws");

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

export class Daemon {
  // opts.set: {key: value} given as --set key=value; opts.runner: --runner
  constructor(opts = {}) {
    this.set = { ...(opts.set || {}) };
    this.runner = opts.runner || null;
    this.args = opts.args || [];
    this.proc = null;
    this.exits = []; // {code, signal, expected}
    this.port = null;
    this.stateDir = null;
    this.dir = null;
  }

  get url() { return `ws://127.0.0.1:${this.port}/ws/`; }
  get httpUrl() { return `http://127.0.0.1:${this.port}`; }
  get pid() { return this.proc ? this.proc.pid : null; }
  get running() { return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null; }

  padUrl(pad) { return this.url + pad; }

  async start() {
    if (!fs.existsSync(BINARY)) {
      throw new Error(`${BINARY} is not built (cd ${path.resolve(BUILD, "..")} && make build/runpad-ws)`);
    }
    if (!this.dir) {
      this.dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "runpad-ws-test-"));
      this.stateDir = path.join(this.dir, "state");
      fs.mkdirSync(this.stateDir);
      this.config = path.join(this.dir, "runpad-ws.conf");
      // an empty file: the test's settings come from --set only, never
      // from a system config
      fs.writeFileSync(this.config, "# runpad-ws integration test\n");
      this.logPath = path.join(this.dir, "runpad-ws.log");
      this.port = await freePort();
    }
    const args = ["--config", this.config,
      "--listen", `127.0.0.1:${this.port}`,
      "--state-dir", this.stateDir];
    if (this.runner) args.push("--runner", this.runner);
    for (const [k, v] of Object.entries(this.set)) args.push("--set", `${k}=${v}`);
    args.push(...this.args);
    const log = fs.openSync(this.logPath, "a");
    fs.writeSync(log, `=== ${BINARY} ${args.join(" ")}\n`);
    const proc = spawn(BINARY, args, { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    this.proc = proc;
    const record = { code: null, signal: null, expected: false };
    this.exits.push(record);
    this.exited = new Promise((resolve) => {
      proc.once("exit", (code, signal) => {
        record.code = code;
        record.signal = signal;
        resolve(record);
      });
    });
    const deadline = Date.now() + 10000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`runpad-ws exited at start (code ${proc.exitCode}, signal ${proc.signalCode}):\n${this.tail()}`);
      }
      if (await canConnect(this.port)) return this;
      if (Date.now() > deadline) throw new Error(`runpad-ws does not accept connections on ${this.port}:\n${this.tail()}`);
      await sleep(20);
    }
  }

  async _signal(sig, timeout) {
    if (!this.running) return this.exits[this.exits.length - 1] || null;
    this.exits[this.exits.length - 1].expected = true;
    this.proc.kill(sig);
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeout); });
    const r = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (r === null) {
      this.proc.kill("SIGKILL");
      await this.exited;
      throw new Error(`runpad-ws did not exit within ${timeout} ms of ${sig}`);
    }
    return r;
  }

  // SIGTERM and wait: {code, signal}
  stop(timeout = 10000) { return this._signal("SIGTERM", timeout); }
  kill9() { return this._signal("SIGKILL", 5000); }
  hup() { this.proc.kill("SIGHUP"); }

  async restart() {
    if (this.running) await this.stop();
    return this.start();
  }

  // an exit nobody asked for (a crash): {code, signal} or null
  unexpectedExit() {
    for (const e of this.exits) {
      if (!e.expected && (e.code !== null || e.signal !== null)) return e;
    }
    return null;
  }

  log() {
    try { return fs.readFileSync(this.logPath, "utf8"); } catch { return ""; }
  }

  tail(lines = 40) {
    return this.log().split("\n").slice(-lines - 1).join("\n");
  }

  // /proc/PID/status fields in KiB: {VmRSS, RssAnon, ...}
  memory() {
    const out = {};
    const text = fs.readFileSync(`/proc/${this.pid}/status`, "utf8");
    for (const line of text.split("\n")) {
      const m = /^(Vm\w+|Rss\w+):\s+(\d+) kB/.exec(line);
      if (m) out[m[1]] = Number(m[2]);
    }
    return out;
  }

  // Stop it; then the reports of a sanitized build (ASan, UBSan, LSan at
  // exit) and a SIGTERM that did not end in exit code 0 are failures.
  async cleanup() {
    let exit = null;
    if (this.running) {
      try { exit = await this.stop(10000); } catch { /* killed */ }
    }
    const log = this.log();
    const bad = /ERROR: (Address|Leak)Sanitizer|runtime error: /.exec(log);
    const problem = bad
      ? `runpad-ws reported "${bad[0]}":\n${log.slice(Math.max(0, bad.index - 200), bad.index + 3000)}`
      : exit && (exit.code !== 0 || exit.signal)
        ? `runpad-ws did not exit cleanly on SIGTERM (code ${exit.code}, signal ${exit.signal}):\n${this.tail()}`
        : null;
    if (this.dir && !process.env.RUNPAD_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
    if (problem) throw new Error(problem);
  }
}

// Run body(daemon) with a started daemon; on failure print the daemon's log
// tail; a daemon that died by itself fails the test; always clean up.
export async function withDaemon(t, opts, body) {
  const d = new Daemon(opts);
  let failed = null;
  try {
    await d.start();
    await body(d);
    const crash = d.unexpectedExit();
    if (crash) throw new Error(`runpad-ws died during the test (code ${crash.code}, signal ${crash.signal})`);
  } catch (e) {
    failed = e;
    const crash = d.unexpectedExit();
    console.error(`--- ${t.name}: runpad-ws ${crash ? `died (code ${crash.code}, signal ${crash.signal}); ` : ""}log ${d.logPath} (tail):\n${d.tail()}\n---`);
    throw e;
  } finally {
    if (!failed || !process.env.RUNPAD_KEEP) {
      try {
        await d.cleanup();
      } catch (e) {
        if (!failed) throw e;
      }
    }
  }
}
