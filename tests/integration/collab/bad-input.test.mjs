// 3. Bad input: every bad message gets its typed error, the socket stays
// open (a ping is still answered) and the pad's text and version are as
// they were.  Each case has its own daemon.
import assert from "node:assert/strict";
import test from "node:test";
import { RawClient, listen, openSocket, padState } from "./lib/client.mjs";
import { withDaemon } from "./lib/daemon.mjs";

const PAD = "bad-input";
// an astral character at units 2-3, a ZWJ sequence, a combining mark
const TEXT = "hé😀\nline 2 👩‍👩‍👧 e\u0301\n";
const L = TEXT.length; // 24 UTF-16 units
const INIT = [[0, ...TEXT.split("\n")]];

// A joined client on a pad holding TEXT at version 1.
async function setup(d) {
  const c = await RawClient.open(d.padUrl(PAD));
  const w = await c.hello({ name: "Eve" });
  assert.equal(w.version, 0);
  assert.equal(w.doc, "");
  c.send({ type: "push", version: 0, ref: "init", updates: [{ clientID: "eve", changes: INIT }] });
  const u = await c.next("updates");
  // the daemon adds when (t) and by whom (a, the pusher's id)
  assert.equal(typeof u.updates[0].t, "number");
  assert.deepEqual(u, { type: "updates", version: 0, updates: [{ clientID: "eve", changes: INIT, t: u.updates[0].t, a: w.you }] });
  return c;
}

// still open, still answering, the pad untouched
async function intact(d, c) {
  await c.ping();
  assert.equal(c.closeInfo, null);
  const s = await padState(d.padUrl(PAD));
  assert.equal(s.version, 1, "the pad's version changed");
  assert.equal(s.doc, TEXT, "the pad's text changed");
  await c.ping();
}

function push(changes, extra = {}) {
  return { type: "push", version: 1, ref: 7, updates: [{ clientID: "eve", changes }], ...extra };
}

// [name, what to send (object, string = raw text frame, function(c)), code,
//  optional check of the error message]
const CASES = [
  ["malformed JSON", '{"type":"push","version":', "bad_json"],
  ["JSON with trailing garbage", '{"type":"ping"} x', "bad_json"],
  ["empty text frame", "", "bad_json"],
  ["binary frame", (c) => c.sendRaw(Buffer.from('{"type":"ping"}'), { binary: true }), "binary_frame"],
  ["not an object: array", "[1,2]", "bad_message"],
  ["not an object: string", '"push"', "bad_message"],
  ["not an object: null", "null", "bad_message"],
  ["no type", { version: 1 }, "bad_message", /type/],
  ["type not a string", { type: 7 }, "bad_message", /type/],
  ["unknown type", { type: "dance" }, "unknown_type"],
  ["second hello", { type: "hello", name: "Eve" }, "already_joined"],
  // made at version 0 (an empty pad) for a text of L units: it cannot be
  // rebased, and nothing of it goes in
  ["push at an old version that does not fit it", push([L, [0, "x"]], { version: 0 }), "length_mismatch", /the pad had 0 at version 0/, (m) => {
    assert.equal(m.head, 1);
    assert.equal(m.ref, 7);
  }],
  ["push at a future version", push([[0, "x"], L], { version: 2 }), "future_version", null, (m) => assert.equal(m.ref, 7)],
  ["pull at a future version", { type: "pull", version: 9 }, "future_version"],
  ["presence at a future version", { type: "presence", version: 2, selection: null }, "future_version"],
  ["changes one unit too short", push([[0, "x"], L - 1]), "length_mismatch"],
  ["changes one unit too long", push([[0, "x"], L + 1]), "length_mismatch"],
  ["changes of an empty document", push([[0, "x"]]), "length_mismatch"],
  ["negative retain", push([-1, [0, "x"], L + 1]), "invalid_changes"],
  ["negative delete", push([[-2, "x"], L + 2]), "invalid_changes"],
  ["fractional retain", push([1.5, [0, "x"], L - 1.5]), "invalid_changes"],
  ["retain as a string", push(["22"]), "invalid_changes"],
  ["insert of a number", push([[0, 5], L]), "invalid_changes"],
  ["empty replacement array", push([[], L]), "invalid_changes"],
  ["object in changes", push([{ insert: "x" }, L]), "invalid_changes"],
  ["changes a string", push("hello"), "invalid_changes"],
  ["changes an object", push({ from: 0, insert: "x" }), "invalid_changes"],
  ["an inserted line holding CR (CodeMirror splits lines on it)", push([[0, "a\r", "b"], L]), "invalid_changes"],
  ["an inserted line holding LF", push([[0, "a\nb"], L]), "invalid_changes"],
  ["insert inside a surrogate pair", push([3, [0, "x"], L - 3]), "split_surrogate"],
  ["delete of a high surrogate", push([2, [1], L - 3]), "split_surrogate"],
  ["delete of a low surrogate", push([3, [1], L - 4]), "split_surrogate"],
  ["lone high surrogate in JSON", `{"type":"push","version":1,"ref":7,"updates":[{"clientID":"eve","changes":[[0,"a\\ud800b"],${L}]}]}`, "invalid_utf8"],
  ["lone low surrogate in JSON", `{"type":"push","version":1,"ref":7,"updates":[{"clientID":"eve","changes":[[0,"\\udc00"],${L}]}]}`, "invalid_utf8"],
  ["reversed surrogate pair in JSON", `{"type":"push","version":1,"ref":7,"updates":[{"clientID":"eve","changes":[[0,"\\ude00\\ud83d"],${L}]}]}`, "invalid_utf8"],
  ["raw 0xff in a text frame", (c) => c.sendRaw(Buffer.concat([
    Buffer.from('{"type":"push","version":1,"ref":7,"updates":[{"clientID":"eve","changes":[[0,"a'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from(`"],${L}]}]}`)]), { binary: false }), "invalid_utf8"],
  ["raw UTF-8 encoded surrogate (CESU) in a text frame", (c) => c.sendRaw(Buffer.concat([
    Buffer.from('{"type":"push","version":1,"ref":7,"updates":[{"clientID":"eve","changes":[[0,"'),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from(`"],${L}]}]}`)]), { binary: false }), "invalid_utf8"],
  ["raw overlong encoding in a text frame", (c) => c.sendRaw(Buffer.concat([
    Buffer.from('{"type":"push","version":1,"ref":7,"updates":[{"clientID":"eve","changes":[[0,"'),
    Buffer.from([0xc0, 0xaf]),
    Buffer.from(`"],${L}]}]}`)]), { binary: false }), "invalid_utf8"],
  ["push without version", { type: "push", updates: [{ clientID: "eve", changes: [L] }] }, "bad_message", /version/],
  ["push without updates", { type: "push", version: 1 }, "bad_message", /updates/],
  ["update without clientID", { type: "push", version: 1, updates: [{ changes: [L] }] }, "bad_message", /clientID/],
  ["update without changes", { type: "push", version: 1, updates: [{ clientID: "eve" }] }, "bad_message", /changes/],
  ["push version a string", push([L], { version: "1" }), "bad_message", /version/],
  ["push version fractional", push([L], { version: 1.5 }), "bad_message", /version/],
  ["updates an object", { type: "push", version: 1, updates: { clientID: "eve", changes: [L] } }, "bad_message", /updates/],
  ["updates empty", { type: "push", version: 1, updates: [] }, "bad_message", /updates/],
  ["clientID a number", { type: "push", version: 1, updates: [{ clientID: 5, changes: [L] }] }, "bad_message", /clientID/],
  ["clientID empty", { type: "push", version: 1, updates: [{ clientID: "", changes: [L] }] }, "bad_message", /clientID/],
  ["clientID over 64 bytes", { type: "push", version: 1, updates: [{ clientID: "x".repeat(65), changes: [L] }] }, "bad_message", /clientID/],
  ["update not an object", { type: "push", version: 1, updates: ["eve"] }, "bad_message"],
  ["pull version a string", { type: "pull", version: "0" }, "bad_message", /version/],
  ["presence without version", { type: "presence", selection: null }, "bad_message", /version/],
  ["presence selection a string", { type: "presence", version: 1, selection: "0-3" }, "bad_message", /selection/],
  ["presence outside the document", { type: "presence", version: 1, selection: { main: 0, ranges: [{ anchor: 0, head: L + 1 }] } }, "bad_selection"],
  ["language a number", { type: "language", language: 3 }, "bad_message", /language/],
  ["language with a space", { type: "language", language: "py thon" }, "bad_language"],
  ["language upper case", { type: "language", language: "Python" }, "bad_language"],
  ["language too long", { type: "language", language: "a".repeat(33) }, "bad_language"],
  ["variant with a space", { type: "language", language: "c", variant: "clang 15" }, "bad_toolchain", /variant/],
  ["variant a number", { type: "language", language: "c", variant: 15 }, "bad_message", /variant/],
  ["option value not a word", { type: "language", language: "c", options: { std: "c11 -fplugin=x" } }, "bad_toolchain", /options\.std/],
  ["more than 8 options", { type: "language", language: "c", options: Object.fromEntries("abcdefghi".split("").map((k) => [k, "1"])) }, "bad_toolchain", /at most 8/],
  ["profile color not a colour", { type: "profile", color: "red" }, "bad_color"],
  ["profile name with a control character", { type: "profile", name: "Eve\u0007" }, "bad_name"],
  ["profile name a number", { type: "profile", name: 5 }, "bad_message", /name/],
  ["stdin without a run", { type: "stdin", data: "x\n" }, "no_run"],
  ["stop without a run", { type: "stop" }, "no_run"],
  ["run before the pad has a language", { type: "run" }, "no_language"],
  ["stdin data a number", { type: "stdin", data: 5 }, "bad_message", /data/],
  ["more updates than ws.max_updates_per_push", { type: "push", version: 1, ref: 7, updates: Array.from({ length: 1001 }, () => ({ clientID: "eve", changes: [L] })) }, "too_many_updates"],
  ["second update of a push does not apply (all or none)", { type: "push", version: 1, ref: 7, updates: [
    { clientID: "eve", changes: [[0, "ok"], L] },
    { clientID: "eve", changes: [[0, "x"], L] }] }, "length_mismatch", null, (m) => assert.equal(m.ref, 7)],
  ["a message over ws.max_message (1 MiB)", push([[0, "x".repeat(1100 * 1024)], L]), "message_too_large"],
];

for (const [name, msg, code, msgRe, check] of CASES) {
  test(`bad input: ${name} → ${code}`, async (t) => {
    await withDaemon(t, {}, async (d) => {
      const c = await setup(d);
      if (typeof msg === "function") msg(c);
      else if (typeof msg === "string") c.sendRaw(msg);
      else c.send(msg);
      const e = await c.expectError(code);
      if (msgRe) assert.match(e.message, msgRe, `the message of ${code} does not name the field`);
      if (check) check(e);
      await intact(d, c);
      // nothing else came back: no updates, no second error
      assert.deepEqual(c.inbox.filter((m) => !["pong", "join", "leave"].includes(m.type)), []);
      await c.close();
    });
  });
}

test("bad input: messages before hello → not_joined, then hello works", async (t) => {
  await withDaemon(t, {}, async (d) => {
    await setup(d);
    const c = await RawClient.open(d.padUrl(PAD));
    c.send(push([[0, "x"], L]));
    await c.expectError("not_joined");
    c.send({ type: "presence", version: 1, selection: null });
    await c.expectError("not_joined");
    c.send({ type: "run" });
    await c.expectError("not_joined");
    const w = await c.hello({ name: "Late" });
    assert.equal(w.version, 1);
    assert.equal(w.doc, TEXT);
    await intact(d, c);
  });
});

test("bad input: a bad hello is refused and a good one works after it", async (t) => {
  await withDaemon(t, {}, async (d) => {
    await setup(d);
    const c = await RawClient.open(d.padUrl(PAD));
    for (const [hello, code] of [
      [{ name: 5 }, "bad_message"],
      [{ version: "1" }, "bad_message"],
      [{ color: "#12345" }, "bad_color"],
      [{ color: "12345g" }, "bad_color"],
      [{ name: "a\nb" }, "bad_name"],
    ]) {
      c.send({ type: "hello", ...hello });
      await c.expectError(code);
    }
    const w = await c.hello({ name: "Good", color: "#abc" });
    assert.equal(w.doc, TEXT);
    await intact(d, c);
  });
});

test("bad input: bad pad ids get HTTP 404 or error bad_pad_id and close 4400", async (t) => {
  await withDaemon(t, {}, async (d) => {
    const base = `ws://127.0.0.1:${d.port}`;
    const bad = ["/ws/", "/ws", "/ws/bad!id", "/ws/a%20b", "/ws/a.b", `/ws/${"a".repeat(65)}`, "/ws/a/b", "/nothing", "/", "/ws/%00", "/ws/é"];
    for (const path of bad) {
      let ws;
      try {
        ws = await openSocket(base + encodeURI(path).replace(/%25/g, "%"));
      } catch (e) {
        assert.equal(e.status, 404, `${path}: ${e.message}`);
        continue;
      }
      const msgs = [];
      const [code] = await new Promise((resolve) => listen(ws,
        (data) => msgs.push(JSON.parse(data.toString())), (...a) => resolve(a)));
      assert.equal(code, 4400, `${path} was closed with ${code}`);
      assert.equal(msgs.length, 1, `${path}: ${JSON.stringify(msgs)}`);
      assert.equal(msgs[0].type, "error");
      assert.equal(msgs[0].code, "bad_pad_id");
    }
    // the longest and the oddest good ids work
    for (const id of ["a".repeat(64), "A-z_0-9", "-", "_"]) {
      const c = await RawClient.open(d.padUrl(id));
      const w = await c.hello({});
      assert.equal(w.pad, id);
      assert.equal(w.version, 0);
      await c.close();
    }
  });
});
