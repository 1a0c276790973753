// The installed packages through Debian's stock nginx site (the one
// include line): two real @codemirror/collab editors type into one pad,
// converge, then share a run whose input the second one types.
// RUNPAD_DEB_WS is the websocket base, e.g. ws://127.0.0.1:PORT/runpad/ws/
// (tests/packaging/test_deb.py sets it).
import assert from "node:assert/strict";
import test from "node:test";
import { PadClient, RawClient, padState, quiesce } from "./lib/client.mjs";
import { names, runEvents, stdout, untimed } from "./lib/runs.mjs";


const BASE = process.env.RUNPAD_DEB_WS;
const skip = BASE ? false : "RUNPAD_DEB_WS is not set: make check-deb runs this against the installed packages";

test("deb: two editors, one pad, a shared run with stdin from the second", { skip, timeout: 120000 }, async () => {
  const pad = `deb-${process.pid}-${Date.now().toString(36)}`;
  const a = new PadClient(BASE + pad, { name: "Ada" });
  const b = new PadClient(BASE + pad, { name: "Grace" });
  try {
    await a.connect();
    await b.connect();
    // both type at once; the daemon orders, the clients rebase
    a.edit({ from: 0, insert: 'name = input("name? ")\n' });
    b.edit({ from: 0, insert: "# by two\n" });
    await quiesce([a, b], 15000);
    a.edit({ from: a.doc.length, insert: 'print("hello " + name)\n' });
    await quiesce([a, b], 15000);
    assert.equal(a.doc, b.doc);
    assert.equal(a.version, b.version);
    const truth = await padState(BASE + pad);
    assert.equal(truth.doc, a.doc);
    assert.match(truth.doc, /# by two\n/);
    assert.match(truth.doc, /print\("hello " \+ name\)/);
  } finally {
    a.close();
    b.close();
  }

  // the shared run, seen by two raw participants
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
    const headA = await runEvents(ra, 60000, prompt);
    await runEvents(rb, 60000, prompt);
    rb.send({ type: "stdin", data: "Ada\n" });
    const tailA = await runEvents(ra, 30000);
    const tailB = await runEvents(rb, 30000);
    assert.deepEqual(tailB, tailA, "the participants saw different runs");
    assert.equal(stdout(headA.concat(tailA)), "name? hello Ada\n", JSON.stringify(names(headA.concat(tailA))));
    assert.deepEqual(untimed(tailA[tailA.length - 1]), { event: "end", verdict: "accepted" });
  } finally {
    await ra.close();
    await rb.close();
  }
});
