// Pad creation guarded by nginx (docs/ops.md, "Behind nginx"): the
// location from the docs in front of the whole stack, with ws.create
// secret.  Run by tests/integration/test_roles.py with RUNPAD_STACK_URL
// (the site), RUNPAD_CREATE_USER and RUNPAD_CREATE_PASSWORD.
import assert from "node:assert/strict";
import test from "node:test";
import { RawClient, openSocket } from "./lib/client.mjs";

const SITE = process.env.RUNPAD_STACK_URL;
const WS = SITE ? SITE.replace(/^http/, "ws") + "ws/" : "";
const AUTH = "Basic " + Buffer.from(`${process.env.RUNPAD_CREATE_USER}:${process.env.RUNPAD_CREATE_PASSWORD}`).toString("base64");
const skip = SITE ? false : "RUNPAD_STACK_URL is not set (tests/integration/test_roles.py sets it)";

const A = "guard-a-" + process.pid, B = "guard-b-" + process.pid;

test("nginx guards /ws/new/: the template list and making pads need its password", { skip }, async () => {
  const bare = await fetch(SITE + "ws/new/templates.json");
  assert.equal(bare.status, 401);
  assert.match(bare.headers.get("www-authenticate") || "", /^Basic realm=/);
  const ok = await fetch(SITE + "ws/new/templates.json", { headers: { Authorization: AUTH } });
  assert.equal(ok.status, 200);
  const list = await ok.json();
  assert.equal(list.create, "secret");
  assert.ok(Array.isArray(list.templates));

  await assert.rejects(openSocket(WS + "new/" + A), /401/);
  const wrongPass = "Basic " + Buffer.from("alice:nope").toString("base64");
  await assert.rejects(openSocket(WS + "new/" + A, { headers: { Authorization: wrongPass } }), /401/);

  const owner = await RawClient.open(WS + "new/" + A, { headers: { Authorization: AUTH } });
  const w = await owner.hello({ name: "Grace", create: { title: "Guarded" } });
  assert.equal(w.role, "owner", "nginx gave the daemon the secret");

  // joining is open, at /ws/<pad>, with the link
  const cand = await RawClient.open(WS + A);
  assert.equal((await cand.hello({ key: w.links.candidate })).role, "candidate");

  // /ws/ itself makes nothing: no secret there, and a forged header is
  // only as good as the secret it holds
  for (const headers of [{}, { "X-Runpad-Create-Secret": "not-the-secret-at-all" }]) {
    const c = await RawClient.open(WS + B, { headers });
    c.send({ type: "hello", create: {} });
    await c.expectError("create_forbidden");
    assert.equal((await c.closed).code, 4401);
  }
  const nobody = await RawClient.open(WS + B);
  nobody.send({ type: "hello" });
  await nobody.expectError("no_pad");
  assert.equal((await nobody.closed).code, 4404);
  // the stack outlives the test: close what is open, or node waits
  await Promise.all([owner.close(), cand.close()]);
});
