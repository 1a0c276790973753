// A real Debian 12 host (make check-host, tests/host/guest-check.sh): the
// installed packages, the units systemd started, the stock nginx site with
// runpad's include line.  Runs as root in the guest, so it can ask systemd
// to reload and restart the daemons in the middle of what it does.
//
// RUNPAD_HOST_WS     the websocket base, ws://127.0.0.1/runpad/ws/
// RUNPAD_HOST_STATE  a file that carries the pad from boot 1 to boot 2
// RUNPAD_HOST_PHASE  "boot1": two editors, a shared run across a reload of
//                    both daemons, a restart of runpad-ws while people type;
//                    "boot2": the pad after the guest's reboot
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import test from "node:test";
import { PadClient, RawClient, padState, quiesce } from "./lib/client.mjs";
import { sleep } from "./lib/daemon.mjs";
import { prng } from "./lib/random.mjs";
import { names, runEvents, stdout, untimed } from "./lib/runs.mjs";
import { typist } from "./lib/typing.mjs";


const BASE = process.env.RUNPAD_HOST_WS;
const STATE = process.env.RUNPAD_HOST_STATE;
const PHASE = process.env.RUNPAD_HOST_PHASE;
const skip = BASE && STATE ? false : "RUNPAD_HOST_WS and RUNPAD_HOST_STATE are not set: make check-host runs this in its Debian 12 guest";

function systemctl(...args) {
  execFileSync("systemctl", args, { stdio: ["ignore", "pipe", "pipe"], timeout: 60000 });
}

function count(haystack, needle) {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

// the pad is reachable again (the restarted daemon listens)
async function waitForPad(url, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await padState(url);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(200);
    }
  }
}

test("host: two editors co-edit a pad, then share a run across a reload of both daemons", { skip: skip || PHASE !== "boot1", timeout: 300000 }, async () => {
  const pad = `host-edit-${Date.now().toString(36)}`;
  const a = new PadClient(BASE + pad, { name: "Ada" });
  const b = new PadClient(BASE + pad, { name: "Grace" });
  try {
    await a.connect();
    await b.connect();
    a.edit({ from: 0, insert: 'import time\nname = input("name? ")\n' });
    b.edit({ from: 0, insert: "# by two\n" });
    await quiesce([a, b], 30000);
    a.edit({ from: a.doc.length, insert: 'print("hello " + name, flush=True)\ntime.sleep(3)\nprint("still here")\n' });
    await quiesce([a, b], 30000);
    assert.equal(a.doc, b.doc);
    const truth = await padState(BASE + pad);
    assert.equal(truth.doc, a.doc);
    assert.match(truth.doc, /^# by two\n/m);
    assert.deepEqual([a.errors, b.errors], [[], []]);
  } finally {
    a.close();
    b.close();
  }

  const ra = await RawClient.open(BASE + pad);
  const rb = await RawClient.open(BASE + pad);
  try {
    await ra.hello({ name: "Ada" });
    await rb.hello({ name: "Grace" });
    await ra.next("join");
    ra.send({ type: "language", language: "python" });
    await ra.next("language");
    await rb.next("language");
    ra.send({ type: "run" });
    const prompt = (e) => e.event === "stdout" && e.data.includes("name? ");
    const headA = await runEvents(ra, 120000, prompt);
    await runEvents(rb, 120000, prompt);
    rb.send({ type: "stdin", data: "Ada\n" });
    const hello = (e) => e.event === "stdout" && e.data.includes("hello Ada");
    const midA = await runEvents(ra, 60000, hello);
    await runEvents(rb, 60000, hello);
    // the program sleeps 3 s: both daemons reload under it
    systemctl("reload", "runpad-fcgi", "runpad-ws");
    const tailA = await runEvents(ra, 60000);
    const tailB = await runEvents(rb, 60000);
    assert.deepEqual(tailB, tailA, "the participants saw different ends of the run");
    const all = headA.concat(midA, tailA);
    assert.equal(stdout(all), "name? hello Ada\nstill here\n", JSON.stringify(names(all)));
    assert.deepEqual(untimed(tailA[tailA.length - 1]), { event: "end", verdict: "accepted" });
    assert.ok(ra.open && rb.open, "a reload closed a participant's socket");
  } finally {
    await ra.close();
    await rb.close();
  }
});

test("host: systemctl restart runpad-ws while three people type keeps every acknowledged edit", { skip: skip || PHASE !== "boot1", timeout: 300000 }, async (t) => {
  const pad = `host-restart-${Date.now().toString(36)}`;
  const url = BASE + pad;
  const rng = prng(Date.now() % 100000);
  const clients = ["k0", "k1", "k2"].map((name) => new PadClient(url, { name, rng: rng.fork(), autoReconnect: true }));
  await Promise.all(clients.map((c) => c.connect()));
  const ctl = { stop: false };
  const loops = clients.map((c) => typist(c, c.rng, ctl, { tokens: true, delay: [20, 80], reconnect: 0, presence: 0.03 }));
  try {
    await sleep(2500);
    const closes = clients.map((c) => c.closes.length);
    // restart blocks until the old daemon has gone and the new one started;
    // what was acknowledged before it returned must all be there after it
    systemctl("restart", "runpad-ws");
    const acked = new Set();
    for (const c of clients) for (const tok of c.confirmed) acked.add(tok);
    assert.ok(acked.size >= 10, `only ${acked.size} edits were acknowledged before the restart`);
    const after = await waitForPad(url, 30000);
    const lost = [...acked].filter((tok) => !after.doc.includes(tok));
    assert.deepEqual(lost, [], "acknowledged edits lost by systemctl restart runpad-ws");
    for (const [i, c] of clients.entries()) {
      assert.ok(c.closes.length > closes[i], `${c.name} never saw its socket close`);
      assert.equal(c.closes[closes[i]].code, 1001, `${c.name} was closed with ${c.closes[closes[i]].code}, not 1001 going away`);
    }
    await sleep(2000); // typing on, reconnected
  } finally {
    ctl.stop = true;
    await Promise.all(loops);
  }
  await quiesce(clients, 60000);
  const truth = await padState(url);
  for (const c of clients) {
    assert.deepEqual(c.errors, [], `${c.name} saw errors`);
    assert.equal(c.doc, truth.doc, `${c.name}'s text differs from the daemon's`);
    assert.equal(c.version, truth.version);
    assert.ok(c.welcomes.length >= 2, `${c.name} never reconnected`);
    for (const tok of c.typed) assert.equal(count(truth.doc, tok), 1, `${tok} appears ${count(truth.doc, tok)} times`);
    c.autoReconnect = false;
    c.close();
  }
  writeFileSync(STATE, JSON.stringify({ pad, doc: truth.doc, version: truth.version }));
  t.diagnostic(`${pad}: ${truth.version} versions, ${truth.doc.length} characters, ${clients.reduce((n, c) => n + c.typed.length, 0)} edits typed`);
});

test("host: the pad after the guest's reboot", { skip: skip || PHASE !== "boot2", timeout: 120000 }, async () => {
  const kept = JSON.parse(readFileSync(STATE, "utf8"));
  const now = await waitForPad(BASE + kept.pad, 60000);
  assert.equal(now.version, kept.version, "the pad's version changed across the reboot");
  assert.equal(now.doc, kept.doc, "the pad's text changed across the reboot");
});
