// 5. Presence: participants in the welcome, join/leave, profiles,
// selections with their version, the pad's language (kept across a
// restart), and an idle pad leaving memory and coming back the same.
import assert from "node:assert/strict";
import test from "node:test";
import { RawClient, padState } from "./lib/client.mjs";
import { sleep, withDaemon } from "./lib/daemon.mjs";

const who = (p) => ({ id: p.id, name: p.name, color: p.color });

async function pushOk(c, version, changes, clientID) {
  c.send({ type: "push", version, updates: [{ clientID, changes }] });
  const m = await c.next((x) => x.type === "updates" || x.type === "error", 5000, "the push's answer");
  assert.equal(m.type, "updates", JSON.stringify(m));
}

test("presence: participants, join, leave, profile, selections", async (t) => {
  await withDaemon(t, {}, async (d) => {
    const url = d.padUrl("pres");
    const a = await RawClient.open(url);
    const wa = await a.hello({ name: "Ada", color: "#e06c75" });
    assert.equal(wa.pad, "pres");
    assert.deepEqual(wa.participants, []);
    assert.equal(wa.run, null);
    assert.equal(wa.version, 0);
    assert.equal(typeof wa.you, "string");

    const b = await RawClient.open(url);
    const wb = await b.hello({ name: "Grace", color: "#98c379" });
    assert.notEqual(wb.you, wa.you);
    assert.deepEqual(wb.participants.map(who), [{ id: wa.you, name: "Ada", color: "#e06c75" }]);
    const j = await a.next("join");
    assert.deepEqual(j, { type: "join", participant: { id: wb.you, name: "Grace", color: "#98c379", role: "editor" } });
    assert.equal(await b.none("join", 150), null, "b was told of its own join");

    // defaults: "Guest" and a colour picked by the daemon
    const g = await RawClient.open(url);
    const wg = await g.hello({});
    const jg = await a.next("join");
    assert.equal(jg.participant.name, "Guest");
    assert.match(jg.participant.color, /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/);
    assert.equal(jg.participant.id, wg.you);
    await b.next("join");
    await g.close();
    assert.deepEqual(await a.next("leave"), { type: "leave", id: wg.you });
    assert.deepEqual(await b.next("leave"), { type: "leave", id: wg.you });

    // a selection at the head goes to the others, with the version
    await pushOk(a, 0, [[0, "hello 😀 world"]], "ca");
    await b.next("updates");
    const sel = { main: 0, ranges: [{ anchor: 3, head: 9 }] };
    a.send({ type: "presence", version: 1, selection: sel });
    assert.deepEqual(await b.next("presence"), { type: "presence", id: wa.you, version: 1, selection: sel });
    assert.equal(await a.none("presence", 150), null, "the sender got its own presence back");

    // a stale one is relayed as it is: the receiver maps it
    await pushOk(b, 1, [[0, ">> "], 14], "cb");
    await a.next("updates");
    const old = { main: 1, ranges: [{ anchor: 0, head: 0 }, { anchor: 14, head: 2 }] };
    a.send({ type: "presence", version: 1, selection: old });
    assert.deepEqual(await b.next("presence"), { type: "presence", id: wa.you, version: 1, selection: old });
    // from the future: refused, not relayed
    a.send({ type: "presence", version: 3, selection: sel });
    await a.expectError("future_version");
    // outside the document at the head
    a.send({ type: "presence", version: 2, selection: { main: 0, ranges: [{ anchor: 0, head: 18 }] } });
    await a.expectError("bad_selection");
    // the end of the document is inside it
    const end = { main: 0, ranges: [{ anchor: 17, head: 17 }] };
    b.send({ type: "presence", version: 2, selection: end });
    assert.deepEqual(await a.next("presence"), { type: "presence", id: wb.you, version: 2, selection: end });
    assert.equal(await b.none("presence", 150), null, "a refused presence was relayed");
    // none
    b.send({ type: "presence", version: 2, selection: null });
    assert.deepEqual(await a.next("presence"), { type: "presence", id: wb.you, version: 2, selection: null });

    // profile changes go to everyone, the sender too; a field left out stays
    a.send({ type: "profile", name: "Ada L." });
    const pa = { type: "profile", participant: { id: wa.you, name: "Ada L.", color: "#e06c75", role: "editor" } };
    assert.deepEqual(await a.next("profile"), pa);
    assert.deepEqual(await b.next("profile"), pa);
    a.send({ type: "profile", color: "#61afef" });
    const pa2 = { type: "profile", participant: { id: wa.you, name: "Ada L.", color: "#61afef", role: "editor" } };
    assert.deepEqual(await b.next("profile"), pa2);
    assert.deepEqual(await a.next("profile"), pa2);

    // a newcomer sees everyone with their last selection
    const c = await RawClient.open(url);
    const wc = await c.hello({ name: "Alan" });
    const byId = Object.fromEntries(wc.participants.map((p) => [p.id, p]));
    assert.deepEqual(Object.keys(byId).sort(), [wa.you, wb.you].sort());
    assert.deepEqual(who(byId[wa.you]), { id: wa.you, name: "Ada L.", color: "#61afef" });
    assert.equal(byId[wa.you].version, 1);
    assert.deepEqual(byId[wa.you].selection, old);
    // no selection: the daemon leaves out selection and version (the
    // protocol's example shows both; null and absent mean the same here)
    assert.equal(byId[wb.you].selection ?? null, null);

    // leave, to everyone left
    await b.close();
    assert.deepEqual(await a.next("leave"), { type: "leave", id: wb.you });
    assert.deepEqual(await c.next("leave"), { type: "leave", id: wb.you });
    const after = await RawClient.open(url);
    const wafter = await after.hello({ name: "Last" });
    assert.deepEqual(wafter.participants.map((p) => p.id).sort(), [wa.you, wc.you].sort());
    await a.ping();
  });
});

test("presence: the language reaches everyone and survives a restart", async (t) => {
  await withDaemon(t, {}, async (d) => {
    const url = d.padUrl("lang");
    const a = await RawClient.open(url);
    const wa = await a.hello({ name: "A" });
    // a new pad has no language: the daemon says "" (the protocol does not
    // say whether "" or null)
    assert.ok(wa.language === null || wa.language === "", `a new pad's language is ${JSON.stringify(wa.language)}`);
    const b = await RawClient.open(url);
    const wb = await b.hello({ name: "B" });
    await a.next("join");
    a.send({ type: "language", language: "python" });
    // to everyone, the sender too
    const said = (language, by, variant = null, options = {}) => ({ type: "language", language, variant, options, by });
    assert.deepEqual(await b.next("language"), said("python", wa.you));
    assert.deepEqual(await a.next("language"), said("python", wa.you));
    for (const lang of ["c++", "c#", "node.js", "x_y-1", "a".repeat(32)]) {
      b.send({ type: "language", language: lang });
      assert.deepEqual(await a.next("language"), said(lang, wb.you));
      await b.next("language");
    }
    // the toolchain goes with it: kept for the same language, reset for another
    b.send({ type: "language", language: "c", variant: "clang-15", options: { std: "c11" } });
    assert.deepEqual(await a.next("language"), said("c", wb.you, "clang-15", { std: "c11" }));
    await b.next("language");
    b.send({ type: "language", language: "c", options: { opt: "-O0" } });
    assert.deepEqual(await a.next("language"), said("c", wb.you, "clang-15", { opt: "-O0" }));
    await b.next("language");
    assert.deepEqual((await (await RawClient.open(url)).hello({})).options, { opt: "-O0" });
    assert.equal((await d.stop()).code, 0);
    await d.start();
    {
      const w = await (await RawClient.open(url)).hello({});
      assert.equal(w.variant, "clang-15", "the toolchain was lost by a restart");
      assert.deepEqual(w.options, { opt: "-O0" });
    }
    const b2 = await RawClient.open(url);
    const wb2 = await b2.hello({ name: "B" });
    b2.send({ type: "language", language: "python" });
    assert.deepEqual(await b2.next("language"), said("python", wb2.you));
    const c = await RawClient.open(url);
    assert.equal((await c.hello({})).language, "python");
    assert.equal((await d.stop()).code, 0);
    await d.start();
    const after = await RawClient.open(url);
    assert.equal((await after.hello({})).language, "python", "the language was lost by a restart");
  });
});

// join a pad, retrying while the daemon says server_busy
async function joinWhenRoom(url, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const c = await RawClient.open(url);
    c.send({ type: "hello", name: "again" });
    const m = await c.next((x) => x.type === "welcome" || x.type === "error", 5000);
    if (m.type === "welcome") return { c, w: m };
    assert.equal(m.code, "server_busy", JSON.stringify(m));
    await c.closed;
    if (Date.now() > deadline) throw new Error(`${url} still server_busy after ${timeout} ms`);
    await sleep(100);
  }
}

test("presence: an idle pad leaves memory (ws.idle_unload=1s) and comes back the same", async (t) => {
  await withDaemon(t, { set: { "ws.idle_unload": "1s", "ws.max_pads": "1" } }, async (d) => {
    const one = d.padUrl("idle-one"), two = d.padUrl("idle-two");
    const a = await RawClient.open(one);
    await a.hello({ name: "A" });
    await pushOk(a, 0, [[0, "kept", "text 😀"]], "ca");
    await pushOk(a, 1, [12, [0, "!"]], "ca");
    a.send({ type: "language", language: "c" });
    await a.ping();
    await a.close();
    const left = Date.now();
    // while idle-one is in memory, there is no room for idle-two
    const busy = await RawClient.open(two);
    busy.send({ type: "hello" });
    await busy.expectError("server_busy");
    // once it is unloaded there is
    const { c: b, w: wb } = await joinWhenRoom(two, 6000);
    const waited = Date.now() - left;
    assert.ok(waited >= 900, `idle-one left memory after ${waited} ms, before ws.idle_unload=1s`);
    assert.equal(wb.version, 0);
    await b.close();
    // idle-one comes back from disk as it was
    const { c: c2, w } = await joinWhenRoom(one, 6000);
    assert.equal(w.version, 2);
    assert.equal(w.doc, "kept\ntext 😀!");
    assert.equal(w.language, "c");
    await pushOk(c2, 2, [13, [0, "?"]], "cc");
    await c2.close();
    await joinWhenRoom(two, 6000);
    const s = await padState(one).catch((e) => e);
    assert.ok(s instanceof Error, "two pads in memory with ws.max_pads=1");
  });
});
