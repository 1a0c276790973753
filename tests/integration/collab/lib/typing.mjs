// People typing: a loop per client of random edits, presence, reconnects.
import { sleep } from "./daemon.mjs";
import { randomChanges } from "./random.mjs";

// The length of the client's text at its synced version (what a presence
// at that version must fit in).
export function syncedLength(client) {
  const sendable = client.unconfirmedUpdates();
  return sendable.length ? sendable[0].changes.length : client.state.doc.length;
}

// Token positions: 0 and right after every "]", so that concurrent tokens
// never land inside each other (persistence checks find them whole).
function tokenPosition(rng, doc) {
  const spots = [0];
  for (let i = doc.indexOf("]"); i >= 0; i = doc.indexOf("]", i + 1)) spots.push(i + 1);
  return rng.pick(spots);
}

// ctl.stop ends the loop.  opts: delay [min, max] between actions,
// reconnect and presence probabilities per action, tokens (insert unique
// tokens only, never delete), maxLen of the text.
export async function typist(client, rng, ctl, opts = {}) {
  const delay = opts.delay || [0, 40];
  const pReconnect = opts.reconnect ?? 0.02;
  const pPresence = opts.presence ?? 0.05;
  let n = 0;
  while (!ctl.stop) {
    await sleep(rng.between(delay[0], delay[1]));
    if (ctl.stop) break;
    if (!client.state) continue;
    const r = rng();
    if (r < pReconnect) {
      client.reconnect().catch((e) => client.errors.push(`reconnect: ${e.message}`));
      continue;
    }
    if (r < pReconnect + pPresence) {
      if (client.connected) {
        const len = syncedLength(client);
        const a = rng.int(len + 1), h = rng.int(len + 1);
        client.presence(rng.chance(0.1) ? null : { main: 0, ranges: [{ anchor: a, head: h }] });
      }
      continue;
    }
    if (opts.tokens) {
      const token = `[${client.name}:${++n}${rng.pick(["", "😀", "é", "👩‍👩‍👧", "\n"])}]`;
      client.edit({ from: tokenPosition(rng, client.doc), insert: token }, token);
    } else {
      client.edit(randomChanges(rng, client.doc, opts.maxLen || 2000));
    }
  }
}
