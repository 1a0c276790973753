// 1. Convergence: clients typing hard-to-count text at once, with random
// delays, reconnects and lost acknowledgements, end with the daemon's text
// and version.  RUNPAD_SEED=<n> replays a run.
import assert from "node:assert/strict";
import test from "node:test";
import { convergeRun } from "./lib/converge.mjs";
import { withDaemon } from "./lib/daemon.mjs";
import { delayProxy } from "./lib/proxy.mjs";
import { prng, seedFromEnv } from "./lib/random.mjs";

function seeded(t) {
  const seed = seedFromEnv();
  console.log(`# ${t.name}: seed ${seed} (RUNPAD_SEED=${seed} replays it)`);
  return prng(seed);
}

function checkExercised(totals) {
  // a run that never rebased, dropped or reconnected tested nothing
  assert.ok(totals.acks > 50, `only ${totals.acks} pushes were acknowledged`);
  // pushes made before the head are rebased by the daemon, not refused
  assert.ok(totals.rebased > 0, "no push was ever rebased");
  assert.equal(totals.stale, 0, "a push was refused as stale");
  assert.ok(totals.drops > 0, "no acknowledgement was dropped");
  assert.ok(totals.reconnects > 0, "nobody reconnected");
}

test("convergence: 8 clients on one pad", async (t) => {
  const rng = seeded(t);
  await withDaemon(t, {}, async (d) => {
    const r = await convergeRun((pad) => d.padUrl(pad), rng, { pads: ["conv-one"], perPad: 8, ms: 4000 });
    console.log(`# ${JSON.stringify(r.totals)} final version ${r.clients[0].version}, ${r.clients[0].doc.length} units`);
    checkExercised(r.totals);
  });
});

test("convergence: 12 clients on 3 pads", async (t) => {
  const rng = seeded(t);
  await withDaemon(t, {}, async (d) => {
    const pads = ["conv-a", "conv_b", "C-3"];
    const r = await convergeRun((pad) => d.padUrl(pad), rng, { pads, perPad: 4, ms: 3000 });
    console.log(`# ${JSON.stringify(r.totals)}`);
    checkExercised(r.totals);
    // the pads stayed apart
    const texts = pads.map((p) => r.byPad.get(p)[0].doc);
    assert.equal(new Set(texts).size, 3, "two pads ended with the same text");
  });
});

test("convergence: a client 300 ms away among 5 fast ones", async (t) => {
  const rng = seeded(t);
  await withDaemon(t, {}, async (d) => {
    const proxy = await delayProxy(d.port, 150);
    t.after(() => proxy.close());
    const slow = (pad) => `ws://127.0.0.1:${proxy.port}/ws/${pad}`;
    const r = await convergeRun((pad, i) => (i === 0 ? slow(pad) : d.padUrl(pad)), rng, {
      pads: ["conv-slow"],
      perPad: 6,
      ms: 5000,
      // fewer losses: each costs the slow one a reconnect of a few round trips
      dropAck: 0.005,
      reconnect: 0.005,
    });
    const s = r.clients[0];
    console.log(`# slow client ${JSON.stringify(s.stats)}; all ${JSON.stringify(r.totals)}`);
    checkExercised(r.totals);
    // the slow one is never starved: its pushes go in, rebased
    assert.ok(s.stats.acks >= 3, `the slow client had ${s.stats.acks} pushes accepted`);
    assert.ok(s.stats.rebased > 0, "the slow client's pushes were never rebased");
    for (const token of s.typed) assert.ok(s.confirmed.has(token), `the slow client's edit ${token} was never confirmed`);
  });
});
