// Many clients typing on some pads at once, then the check that everyone
// (and a newcomer) sees the same text at the same version.
import assert from "node:assert/strict";
import { PadClient, padState, quiesce } from "./client.mjs";
import { sleep } from "./daemon.mjs";
import { typist } from "./typing.mjs";

// url(pad, i) → websocket URL of client i of pad.  Returns {clients,
// byPad, totals}.
export async function convergeRun(url, rng, { pads, perPad, ms, dropAck = 0.03, reconnect = 0.02, delay = [0, 40], inDelay = [0, 8] }) {
  const byPad = new Map();
  const clients = [];
  for (const pad of pads) {
    const group = [];
    for (let i = 0; i < perPad; i++) {
      const c = new PadClient(url(pad, i), {
        name: `${pad}-c${i}`,
        rng: rng.fork(),
        delay: inDelay,
        dropAck,
        autoReconnect: true,
      });
      group.push(c);
      clients.push(c);
    }
    byPad.set(pad, group);
  }
  try {
    await Promise.all(clients.map((c) => c.connect()));
    const ctl = { stop: false };
    const loops = clients.map((c) => typist(c, c.rng, ctl, { delay, reconnect }));
    await sleep(ms);
    ctl.stop = true;
    await Promise.all(loops);
    for (const c of clients) c.dropAck = 0;
    for (const [pad, group] of byPad) {
      await quiesce(group, 30000);
      const truth = await padState(url(pad, -1));
      for (const c of group) {
        assert.deepEqual(c.errors, [], `${c.name} saw errors`);
        assert.equal(c.version, truth.version, `${c.name} is at version ${c.version}, the daemon at ${truth.version}`);
        assert.equal(c.doc, truth.doc, `${c.name}'s text differs from the daemon's at version ${truth.version}`);
      }
    }
    const totals = {};
    for (const c of clients) for (const [k, v] of Object.entries(c.stats)) totals[k] = (totals[k] || 0) + v;
    return { clients, byPad, totals };
  } finally {
    for (const c of clients) c.close();
  }
}
