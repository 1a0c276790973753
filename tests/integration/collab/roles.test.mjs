// Roles against the real daemon over real sockets: hand-made frames from
// an observer and a candidate are refused and change nothing; notes never
// reach a non-owner socket (every frame they receive is recorded); revoked
// and removed sockets are closed with their codes; controls and links
// survive a restart; a template makes the pad, its notes only the owner's.
import assert from "node:assert/strict";
import path from "node:path";
import test from "node:test";
import { RawClient } from "./lib/client.mjs";
import { COLLAB_DIR, withDaemon } from "./lib/daemon.mjs";

const TEMPLATES = path.resolve(COLLAB_DIR, "../../../packaging/templates");
const MARK = "NOTE-7c1e-do-not-leak";

// Every frame a socket receives, as text, from its first on.
function record(c) {
  const frames = [];
  c.ws.on("message", (d) => frames.push(d.toString("utf8")));
  return frames;
}

// The owner's view of the pad's text: a fresh owner socket's welcome.
async function textOf(d, pad, key) {
  const c = await RawClient.open(d.padUrl(pad));
  const w = await c.hello({ key });
  c.close();
  return { doc: w.doc, version: w.version };
}

test("roles: a template pad, forged frames refused, notes never leave owner sockets", async (t) => {
  await withDaemon(t, { set: { "ws.templates": TEMPLATES } }, async (d) => {
    const pad = "roles-" + process.pid;
    const owner = await RawClient.open(d.padUrl(pad));
    const w = await owner.hello({ name: "Grace", create: { template: "two-sum" } });
    assert.equal(w.role, "owner");
    assert.equal(w.language, "python");
    assert.ok(w.doc.length > 0, "the template's code is the pad's text");
    assert.ok(w.notes.doc.length > 0, "the template's notes are the owner's notes");
    assert.equal(w.controls.title.length > 0, true);
    assert.ok(w.tests.length >= 2);
    const tplNotes = w.notes.doc;
    const links = w.links;
    for (const k of ["owner", "candidate", "observer"]) assert.match(links[k], /^[A-Za-z0-9_-]{32}$/);

    const cand = await RawClient.open(d.padUrl(pad));
    const candFrames = record(cand);
    const cw = await cand.hello({ name: "Ada", key: links.candidate });
    assert.equal(cw.role, "candidate");
    assert.equal(cw.notes, undefined);
    const obs = await RawClient.open(d.padUrl(pad));
    const obsFrames = record(obs);
    const ow = await obs.hello({ name: "Obi", key: links.observer });
    assert.equal(ow.role, "observer");
    assert.equal(ow.doc, w.doc);

    // the owner writes notes, the candidate types: both go on
    owner.send({ type: "push", version: w.notes.version, doc: "notes",
                 updates: [{ clientID: "g", changes: [w.notes.doc.length, [0, "", MARK]] }] });
    const nu = await owner.next((m) => m.type === "updates" && m.doc === "notes");
    assert.equal(nu.updates[0].a, w.you);
    cand.send({ type: "push", version: cw.version,
                updates: [{ clientID: "ada", changes: [[0, "# mine", ""], cw.doc.length] }] });
    await cand.next((m) => m.type === "updates" && !m.doc);
    const head = cw.version + 1;

    // forged frames from the observer: forbidden, nothing changes
    const forged = [
      { type: "push", version: head, updates: [{ clientID: "x", changes: [[0, "EVIL"], w.doc.length + 7] }] },
      { type: "push", version: 0, doc: "notes", updates: [{ clientID: "x", changes: [[0, "EVIL"]] }] },
      { type: "pull", version: 0, doc: "notes" },
      { type: "language", language: "c" },
      { type: "tests", tests: [] },
      { type: "run" },
      { type: "stdin", data: "EVIL" },
      { type: "stop" },
      { type: "control", ended: true },
      { type: "links", revoke: "candidate" },
      { type: "remove", id: cw.you },
      { type: "history", from: 0 },
      { type: "history", doc: "notes", from: 0 },
    ];
    for (const f of forged) {
      obs.send(f);
      const e = await obs.expectError("forbidden");
      assert.ok(e.message.length > 10, JSON.stringify(e));
    }
    // and the owner's messages from the candidate
    for (const f of forged.slice(8)) {
      cand.send(f);
      await cand.expectError("forbidden");
    }
    await obs.ping();
    await cand.ping();
    const now = await textOf(d, pad, links.owner);
    assert.equal(now.version, head);
    assert.ok(now.doc.startsWith("# mine\n"));
    assert.ok(!now.doc.includes("EVIL"));

    // the owner reads the whole history, with times and authors
    owner.send({ type: "history", from: 0 });
    const h = await owner.next("history");
    assert.equal(h.head, head);
    assert.equal(h.updates.length, head);
    assert.equal(h.updates[0].a, "template");
    assert.equal(h.updates[head - 1].a, cw.you);
    assert.ok(h.events.some((e) => e.type === "join" && e.role === "observer"));
    owner.send({ type: "history", doc: "notes", from: 0 });
    const hn = await owner.next((m) => m.type === "history" && m.doc === "notes");
    assert.equal(hn.updates.length, 2);

    // none of the candidate's or observer's frames holds a note
    await owner.ping();
    for (const [who, frames] of [["candidate", candFrames], ["observer", obsFrames]]) {
      assert.ok(frames.length >= 3, `${who} got ${frames.length} frames`);
      for (const f of frames) {
        assert.ok(!f.includes(MARK), `${who} got the notes: ${f.slice(0, 200)}`);
        assert.ok(!f.includes(tplNotes.slice(0, 40)), `${who} got the template's notes`);
      }
    }
    assert.ok(owner.all.some((m) => JSON.stringify(m).includes(MARK)));
  });
});

test("roles: rotate, revoke and remove close sockets at once; controls and links survive a restart", async (t) => {
  await withDaemon(t, {}, async (d) => {
    const pad = "rot-" + process.pid;
    const owner = await RawClient.open(d.padUrl(pad));
    const w = await owner.hello({ name: "Grace", create: { title: "Q" } });
    const cand = await RawClient.open(d.padUrl(pad));
    await cand.hello({ key: w.links.candidate });
    const obs = await RawClient.open(d.padUrl(pad));
    const ow = await obs.hello({ key: w.links.observer });

    owner.send({ type: "control", locked: true, runs_locked: true });
    const c = await cand.next("control");
    assert.deepEqual(c.controls, { title: "Q", locked: true, runs_locked: true, ended: false, playback: false });
    cand.send({ type: "push", version: 0, updates: [{ clientID: "c", changes: [[0, "x"]] }] });
    assert.equal((await cand.expectError("forbidden")).message, "editing is locked by the interviewer");

    owner.send({ type: "links", rotate: "candidate" });
    await cand.expectError("link_revoked");
    assert.equal((await cand.closed).code, 4403);
    const l = await owner.next("links");
    assert.equal(l.role, "candidate");
    assert.match(l.key, /^[A-Za-z0-9_-]{32}$/);

    owner.send({ type: "remove", id: ow.you });
    await obs.expectError("removed");
    assert.equal((await obs.closed).code, 4408);

    await d.restart();
    const old = await RawClient.open(d.padUrl(pad));
    old.send({ type: "hello", key: w.links.candidate });
    await old.expectError("bad_link");
    assert.equal((await old.closed).code, 4403);
    const fresh = await RawClient.open(d.padUrl(pad));
    const fw = await fresh.hello({ key: l.key });
    assert.equal(fw.role, "candidate");
    assert.deepEqual(fw.controls, { title: "Q", locked: true, runs_locked: true, ended: false, playback: false });
    // the observer was only removed: its link still works
    const back = await RawClient.open(d.padUrl(pad));
    assert.equal((await back.hello({ key: w.links.observer })).role, "observer");
  });
});

test("roles: with ws.create secret, pads are made only with it and unknown pads are not made", async (t) => {
  const secret = "s3cret-0123456789abcdef";
  await withDaemon(t, { set: { "ws.create": "secret", "ws.create_secret": secret } }, async (d) => {
    const a = await RawClient.open(d.padUrl("sec-a"));
    a.send({ type: "hello", create: {} });
    await a.expectError("create_forbidden");
    assert.equal((await a.closed).code, 4401);
    const b = await RawClient.open(d.padUrl("sec-a"));
    b.send({ type: "hello" });
    await b.expectError("no_pad");
    assert.equal((await b.closed).code, 4404);
    const c = await RawClient.open(d.padUrl("sec-a"));
    const w = await c.hello({ create: { secret } });
    assert.equal(w.role, "owner");
    const e = await RawClient.open(d.padUrl("sec-a"));
    e.send({ type: "hello", create: { secret } });
    await e.expectError("pad_exists");
    assert.equal((await e.closed).code, 4409);
    const res = await fetch(d.httpUrl + "/ws/new/templates.json");
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "create_forbidden");
    const ok = await fetch(d.httpUrl + "/ws/new/templates.json", { headers: { "X-Runpad-Create-Secret": secret } });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).create, "secret");
  });
});
