// 6. Shared runs through the whole stack (nginx, runpad-ws, runpad-fcgi,
// the jail): RUNPAD_STACK_WS is the websocket base, e.g.
// ws://127.0.0.1:PORT/ws/ (tests/integration/test_ws.py sets it).
import assert from "node:assert/strict";
import test from "node:test";
import { RawClient } from "./lib/client.mjs";
import { names, runEvents, setCode, stdout, untimed } from "./lib/runs.mjs";

const BASE = process.env.RUNPAD_STACK_WS;
const skip = BASE ? false : "RUNPAD_STACK_WS is not set: shared runs need the whole stack (python3 -m unittest tests/integration/test_ws.py starts it)";

const ASK = 'name = input("name? ")\nprint("hello " + name)\n';
const LOOP = "while True:\n    pass\n";

test("runs: a shared interactive run, stdin from another participant, a late joiner, stop", { skip }, async (t) => {
  const pad = `runs-${process.pid}-${Date.now().toString(36)}`;
  const a = await RawClient.open(BASE + pad);
  const wa = await a.hello({ name: "Ada" });
  const b = await RawClient.open(BASE + pad);
  const wb = await b.hello({ name: "Grace" });
  await a.next("join");
  let v = await setCode(a, 0, 0, ASK, "python");
  await b.next("updates");
  await b.next("language");

  a.send({ type: "run" });
  const isPrompt = (e) => e.event === "stdout" && e.data.includes("name? ");
  const headA = await runEvents(a, 60000, isPrompt);
  const headB = await runEvents(b, 60000, isPrompt);
  assert.deepEqual(headB, headA);
  assert.deepEqual(untimed(headA[0]), { event: "started", run: 1, by: wa.you, name: "Ada", version: v, language: "python", variant: null, options: {} });
  const seen = names(headA);
  assert.equal(seen[1], "start", JSON.stringify(headA));
  assert.ok(seen.includes("run_start"), JSON.stringify(seen));
  assert.equal(headA[headA.length - 1].stage, "run");

  // one run at a time
  b.send({ type: "run" });
  await b.expectError("run_in_progress");

  // Grace answers; both terminals show what she typed and what came back
  b.send({ type: "stdin", data: "Ada\n" });
  const tailA = await runEvents(a, 30000);
  const tailB = await runEvents(b, 30000);
  assert.deepEqual(tailB, tailA, "the two participants saw different runs");
  const stdinEv = tailA.find((e) => e.event === "stdin");
  assert.deepEqual(untimed(stdinEv), { event: "stdin", by: wb.you, data: "Ada\n", eof: false });
  assert.equal(stdout(headA.concat(tailA)), "name? hello Ada\n");
  const result = tailA.find((e) => e.event === "result");
  assert.ok(result, JSON.stringify(names(tailA)));
  assert.equal(result.result.verdict, "accepted");
  assert.deepEqual(untimed(tailA[tailA.length - 1]), { event: "end", verdict: "accepted" });
  assert.deepEqual(names(tailA).slice(-3), ["exit", "result", "end"]);
  const run1 = headA.concat(tailA);
  console.log(`# run 1: ${JSON.stringify(names(run1))}`);

  // a late joiner draws the same terminal
  const c = await RawClient.open(BASE + pad);
  const wc = await c.hello({ name: "Late" });
  assert.equal(wc.run.run, 1);
  assert.equal(wc.run.active, false);
  assert.equal(wc.run.by, wa.you);
  assert.deepEqual(wc.run.events, run1);
  await a.next("join");
  await b.next("join");

  // stop kills a loop
  v = await setCode(a, v, ASK.length, LOOP);
  await b.next("updates");
  await c.next("updates");
  c.send({ type: "run" });
  const started = await runEvents(a, 60000, (e) => e.event === "run_start");
  assert.equal(started[0].run, 2);
  assert.equal(started[0].by, wc.you);
  assert.equal(started[0].version, v);
  b.send({ type: "stop" });
  const stopped = await runEvents(a, 30000);
  assert.deepEqual(untimed(stopped[0]), { event: "stop", by: wb.you });
  const res2 = stopped.find((e) => e.event === "result");
  assert.ok(res2, JSON.stringify(names(stopped)));
  assert.equal(res2.result.run.verdict, "signal");
  assert.equal(res2.result.run.message, "stopped on request");
  assert.deepEqual(untimed(stopped[stopped.length - 1]), { event: "end", verdict: res2.result.verdict });
  const run2 = started.concat(stopped);
  assert.deepEqual(await runEvents(b, 10000), run2, "the two participants saw different runs");
  b.send({ type: "stop" });
  await b.expectError("no_run");
  b.send({ type: "stdin", data: "late\n" });
  await b.expectError("no_run");

  // and the pad runs again, with stdin given at the start
  v = await setCode(a, v, LOOP.length, ASK);
  a.send({ type: "run", stdin: "Bob\n" });
  const run3 = await runEvents(a, 60000);
  assert.equal(run3[0].run, 3);
  assert.equal(stdout(run3), "name? hello Bob\n");
  assert.deepEqual(untimed(run3[run3.length - 1]), { event: "end", verdict: "accepted" });
  const late = await RawClient.open(BASE + pad);
  const wl = await late.hello({});
  assert.equal(wl.run.run, 3);
  assert.deepEqual(wl.run.events, run3);
  for (const x of [a, b, c, late]) await x.close();
});
