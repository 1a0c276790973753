// 6b. Shared runs with the runner down (--runner http://127.0.0.1:1/api/):
// an error event runner_unavailable, then end; the pad is not stuck.
// Needs only runpad-ws.
import assert from "node:assert/strict";
import test from "node:test";
import { RawClient } from "./lib/client.mjs";
import { withDaemon } from "./lib/daemon.mjs";
import { names, runEvents, setCode, untimed } from "./lib/runs.mjs";

test("runs: a runner that is down gives error runner_unavailable then end, and the pad can run again", async (t) => {
  await withDaemon(t, { runner: "http://127.0.0.1:1/api/" }, async (d) => {
    const url = d.padUrl("down");
    const a = await RawClient.open(url);
    const wa = await a.hello({ name: "Ada" });
    const b = await RawClient.open(url);
    await b.hello({ name: "Grace" });
    await a.next("join");
    await setCode(a, 0, 0, 'print("hi")\n', "python");
    await b.next("language");
    let last = null;
    for (const n of [1, 2, 3]) {
      a.send({ type: "run" });
      const ea = await runEvents(a, 20000);
      const eb = await runEvents(b, 20000);
      assert.deepEqual(names(ea), ["started", "error", "end"], JSON.stringify(ea));
      assert.deepEqual(eb, ea, "the two participants saw different runs");
      assert.equal(typeof ea[0].t, "number", "every run event has its time");
      assert.deepEqual(ea[0], { event: "started", run: n, by: wa.you, name: "Ada", version: 1, language: "python", variant: null, options: {}, t: ea[0].t });
      assert.equal(ea[1].code, "runner_unavailable");
      assert.equal(typeof ea[1].message, "string");
      assert.deepEqual(untimed(ea[2]), { event: "end", verdict: null });
      last = ea;
      // nothing runs now
      b.send({ type: "stop" });
      await b.expectError("no_run");
      b.send({ type: "stdin", data: "x" });
      await b.expectError("no_run");
    }
    // a late joiner sees the last run
    const c = await RawClient.open(url);
    const wc = await c.hello({ name: "Late" });
    const { run, by, version, language, active, events } = wc.run;
    assert.deepEqual({ run, by, version, language, active, events },
      { run: 3, by: wa.you, version: 1, language: "python", active: false, events: last });
    // and it is kept with the pad
    assert.equal((await d.stop()).code, 0);
    await d.start();
    const e = await RawClient.open(url);
    assert.deepEqual((await e.hello({})).run, wc.run);
  });
});
