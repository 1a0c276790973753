// Pads that move with the ring (tests/integration/test_scale.py, RingChange,
// runs it in phases around its changes of ws.ring and nginx's upstream):
//
//   node ring.mjs write FILE   24 pads with a history of several updates
//                              and a language, through nginx; FILE gets
//                              what each holds
//   node ring.mjs live FILE    collab clients typing on 8 pads of their own
//                              until FILE.stop exists; then they must
//                              settle with every edit confirmed and the
//                              daemon's text
//   node ring.mjs check FILE   every pad of FILE, through nginx, with its
//                              text, version, language and whole history
//
// RUNPAD_RING_WS is the websocket base through nginx.
import assert from "node:assert/strict";
import fs from "node:fs";
import { ChangeSet, Text } from "@codemirror/state";
import { PadClient, RawClient, padState, quiesce } from "./lib/client.mjs";
import { sleep } from "./lib/daemon.mjs";
import { prng } from "./lib/random.mjs";

const BASE = process.env.RUNPAD_RING_WS;
const [mode, file] = process.argv.slice(2);
const PADS = 24;

// hello through nginx, retrying while the pad is on its way (4421, 4503)
async function join(pad, fields = {}) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const c = await RawClient.open(BASE + pad);
    try {
      return [c, await c.hello({ name: "ring", ...fields })];
    } catch (e) {
      await c.close().catch(() => {});
      if (Date.now() > deadline) throw e;
      await sleep(100);
    }
  }
}

async function write() {
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const pads = {};
  for (let i = 0; i < PADS; i++) {
    const pad = `ring-${tag}-${i}`;
    const [c, w] = await join(pad);
    let doc = Text.of([w.doc]);
    for (let k = 0; k < 5; k++) {
      const changes = ChangeSet.of({ from: doc.length, insert: `${k ? "\n" : ""}line ${k} of pad ${i} 😀` }, doc.length);
      c.send({ type: "push", version: w.version + k, updates: [{ clientID: `w${k % 2}`, changes: changes.toJSON() }] });
      await c.next("updates");
      doc = changes.apply(doc);
    }
    c.send({ type: "language", language: i % 2 ? "python" : "cpp" });
    await c.next("language");
    await c.close();
    pads[pad] = { doc: doc.toString(), version: w.version + 5, language: i % 2 ? "python" : "cpp" };
  }
  fs.writeFileSync(file, JSON.stringify(pads));
  console.log(`# wrote ${PADS} pads`);
}

async function check() {
  const pads = JSON.parse(fs.readFileSync(file));
  for (const [pad, want] of Object.entries(pads)) {
    // the whole history: a hello at version 0 is answered with every update
    const [c, w] = await join(pad, { version: 0 });
    await c.close();
    assert.equal(w.version, want.version, `${pad}: version`);
    assert.ok(Array.isArray(w.updates), `${pad}: no history in ${JSON.stringify(w).slice(0, 200)}`);
    assert.equal(w.updates.length, want.version, `${pad}: ${w.updates.length} updates in its history`);
    let doc = Text.empty;
    for (const u of w.updates) doc = ChangeSet.fromJSON(u.changes).apply(doc);
    assert.equal(doc.toString(), want.doc, `${pad}: its history does not give its text`);
    assert.equal(w.language, want.language, `${pad}: language`);
    const s = await padState(BASE + pad);
    assert.equal(s.doc, want.doc, `${pad}: text`);
  }
  console.log(`# ${Object.keys(pads).length} pads whole`);
}

async function live() {
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const pads = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `live-${tag}-${i}`);
  const rng = prng(20261204);
  const clients = pads.map(
    (pad, i) => new PadClient(BASE + pad, { name: `live-${i}`, rng: rng.fork(), autoReconnect: true }),
  );
  await Promise.all(clients.map((c) => c.connect()));
  let typed = 0;
  while (!fs.existsSync(file + ".stop")) {
    for (const c of clients)
      if (c.state) {
        c.edit({ from: c.state.doc.length, insert: `[${typed}]` }, typed);
        typed++;
      }
    await sleep(40);
  }
  await quiesce(clients, 30000);
  for (const c of clients) {
    // sent elsewhere, or told to come back, while the pad moved
    const errors = c.errors.filter((e) => !/wrong_daemon|server_busy/.test(e));
    assert.deepEqual(errors, [], `${c.name} saw errors`);
    const truth = await padState(c.url);
    assert.equal(c.version, truth.version, `${c.name} at ${c.version}, the daemon at ${truth.version}`);
    assert.equal(c.doc, truth.doc, `${c.name}'s text differs from the daemon's`);
    for (const t of c.typed) assert.ok(c.confirmed.has(t), `${c.name}'s edit ${t} was lost`);
    console.log(`# ${c.name}: ${c.typed.length} edits, all confirmed; ${JSON.stringify(c.stats)}`);
  }
  // with 8 pads, some moved while their clients typed
  const moved = clients.filter((c) => c.stats.reconnects > 0).length;
  console.log(`# ${moved} of ${clients.length} clients reconnected, their pad moved`);
  assert.ok(moved > 0, "no pad a client typed on moved");
  for (const c of clients) c.close();
}

const modes = { write, live, check };
if (!BASE || !modes[mode]) {
  console.error("usage: RUNPAD_RING_WS=ws://.../ws/ node ring.mjs write|live|check FILE");
  process.exit(2);
}
modes[mode]().then(
  () => process.exit(0),
  (e) => {
    console.error(e.stack || e);
    process.exit(1);
  },
);
