// 2. Persistence: what a client saw acknowledged survives SIGKILL; clients
// come back with hello {version} and go on without a reset; a clean
// SIGTERM closes with 1001 and loses nothing, versions included.
import assert from "node:assert/strict";
import test from "node:test";
import { ChangeSet, Text } from "@codemirror/state";
import { PadClient, RawClient, padState, quiesce } from "./lib/client.mjs";
import { sleep, withDaemon } from "./lib/daemon.mjs";
import { prng, seedFromEnv } from "./lib/random.mjs";
import { typist } from "./lib/typing.mjs";

function seeded(t) {
  const seed = seedFromEnv();
  console.log(`# ${t.name}: seed ${seed} (RUNPAD_SEED=${seed} replays it)`);
  return prng(seed);
}

function union(sets) {
  const all = new Set();
  for (const s of sets) for (const x of s) all.add(x);
  return all;
}

function count(haystack, needle) {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

async function waitFor(cond, timeout, what) {
  const deadline = Date.now() + timeout;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// Replays the pad's whole history (hello {version: 0}) and checks that it
// gives the text of the snapshot.
async function checkHistory(url, truth) {
  const c = await RawClient.open(url);
  try {
    const w = await c.hello({ version: 0, name: "history" });
    assert.equal(w.version, truth.version, "hello {version: 0} welcomed at another version");
    if (typeof w.doc === "string") {
      // the daemon keeps less history in reach (ws.max_catchup): a snapshot
      assert.equal(w.doc, truth.doc);
      return "snapshot";
    }
    assert.equal(w.from, 0);
    assert.equal(w.updates.length, truth.version, "the history does not hold one update per version");
    let doc = Text.empty;
    for (const u of w.updates) doc = ChangeSet.fromJSON(u.changes).apply(doc);
    assert.equal(doc.toString(), truth.doc, "replaying the history from version 0 does not give the pad's text");
    return "updates";
  } finally {
    await c.close();
  }
}

test("persistence: SIGKILL mid-session, restart, reconnect and go on; SIGTERM closes with 1001", async (t) => {
  const rng = seeded(t);
  await withDaemon(t, {}, async (d) => {
    const pad = "persist-kill";
    const url = d.padUrl(pad);
    const clients = [];
    for (let i = 0; i < 4; i++) {
      clients.push(new PadClient(url, { name: `k${i}`, rng: rng.fork(), delay: [0, 5], autoReconnect: true }));
    }
    await Promise.all(clients.map((c) => c.connect()));
    let ctl = { stop: false };
    let loops = clients.map((c) => typist(c, c.rng, ctl, { tokens: true, delay: [5, 30], reconnect: 0, presence: 0.03 }));

    // --- SIGKILL while everyone types
    await sleep(1200);
    await d.kill9();
    const acked = union(clients.map((c) => c.confirmed));
    const seen = Math.max(...clients.map((c) => c.version));
    assert.ok(acked.size > 10, `only ${acked.size} edits were acknowledged before the kill`);
    await sleep(300); // typing on, offline
    await d.start();
    const after = await padState(url);
    assert.ok(after.version >= seen, `the restarted pad is at version ${after.version}, clients had seen ${seen}`);
    const lost = [...acked].filter((tok) => !after.doc.includes(tok));
    assert.deepEqual(lost, [], "acknowledged edits lost by SIGKILL");
    await sleep(800); // typing on, reconnected
    ctl.stop = true;
    await Promise.all(loops);
    await quiesce(clients, 20000);
    let truth = await padState(url);
    for (const c of clients) {
      assert.deepEqual(c.errors, [], `${c.name} saw errors`);
      assert.equal(c.stats.resets, 0, `${c.name} was reset by a snapshot on reconnect: ${JSON.stringify(c.welcomes)}`);
      assert.equal(c.stats.snapshots, 0, `${c.name} got a snapshot`);
      assert.equal(c.version, truth.version);
      assert.equal(c.doc, truth.doc, `${c.name}'s text differs from the daemon's`);
      assert.ok(c.welcomes.length >= 2, `${c.name} never reconnected`);
      for (const w of c.welcomes.slice(1)) {
        assert.equal(w.snapshot, false, `${c.name} reconnected with a snapshot: ${JSON.stringify(w)}`);
        assert.equal(w.from, w.had, `${c.name} said version ${w.had} and was welcomed from ${w.from}`);
      }
    }
    // no edit lost, none applied twice (a resend after a lost
    // acknowledgement must be refused as stale)
    for (const c of clients) {
      for (const tok of c.typed) assert.equal(count(truth.doc, tok), 1, `${tok} appears ${count(truth.doc, tok)} times`);
    }
    assert.equal(await checkHistory(url, truth), "updates");

    // --- SIGTERM while everyone types: 1001, and still nothing lost
    ctl = { stop: false };
    loops = clients.map((c) => typist(c, c.rng, ctl, { tokens: true, delay: [5, 30], reconnect: 0, presence: 0 }));
    await sleep(600);
    const closesBefore = clients.map((c) => c.closes.length);
    const exit = await d.stop();
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, "runpad-ws did not exit cleanly on SIGTERM");
    await waitFor(() => clients.every((c, i) => c.closes.length > closesBefore[i]), 5000, "every client to see the close");
    for (const [i, c] of clients.entries()) {
      assert.equal(c.closes[closesBefore[i]].code, 1001, `${c.name} was closed with ${c.closes[closesBefore[i]].code}, not 1001 going away`);
    }
    const acked2 = union(clients.map((c) => c.confirmed));
    const seen2 = Math.max(...clients.map((c) => c.version));
    await d.start();
    const after2 = await padState(url);
    assert.ok(after2.version >= seen2);
    assert.deepEqual([...acked2].filter((tok) => !after2.doc.includes(tok)), [], "acknowledged edits lost by SIGTERM");
    await sleep(300);
    ctl.stop = true;
    await Promise.all(loops);
    await quiesce(clients, 20000);

    // --- SIGTERM when all is quiet: the same version and text after
    truth = await padState(url);
    for (const c of clients) {
      assert.deepEqual(c.errors, [], `${c.name} saw errors`);
      assert.equal(c.doc, truth.doc);
      assert.equal(c.version, truth.version);
    }
    for (const c of clients) c.autoReconnect = false;
    const closes3 = clients.map((c) => c.closes.length);
    assert.equal((await d.stop()).code, 0);
    await waitFor(() => clients.every((c, i) => c.closes.length > closes3[i]), 5000, "every client to see the close");
    assert.deepEqual(clients.map((c, i) => c.closes[closes3[i]].code), clients.map(() => 1001));
    await d.start();
    const again = await padState(url);
    assert.equal(again.version, truth.version, "the version changed across a clean restart");
    assert.equal(again.doc, truth.doc, "the text changed across a clean restart");
    for (const c of clients) {
      const w = await c.reconnect();
      assert.equal(w.from, truth.version);
      assert.deepEqual(w.updates, []);
      assert.equal(w.version, truth.version);
    }
    for (const c of clients) c.close();
  });
});
