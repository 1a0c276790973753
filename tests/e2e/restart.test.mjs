// 7. runpad-ws restarts mid-session: both pages reconnect by themselves,
// typing goes on, nothing typed before the restart is lost.
//
// The restart is done by tests/integration/test_web.py, which owns the
// stack: this test writes $RUNPAD_CONTROL/ready-to-restart, the wrapper
// stops runpad-ws (SIGTERM), starts it again and writes
// $RUNPAD_CONTROL/restarted.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  closeAll, converge, joinPad, launch, newPad, noPageErrors, openPage,
  padState, report, seenStates, setName, shot, skip, sleep, typeAtEnd,
  waitState, watchStates,
} from "./lib.mjs";

const CONTROL = process.env.RUNPAD_CONTROL;
const why = skip || (!CONTROL && "RUNPAD_CONTROL is not set: the daemon restart is done by tests/integration/test_web.py");

let browser;
before(async () => { if (!why) browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

async function waitFile(file, timeout) {
  const deadline = Date.now() + timeout;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeout} ms`);
    await sleep(50);
  }
}

test("7. a restart of runpad-ws mid-session is survived", { skip: why, timeout: 120000 }, async (t) => {
  const a = await openPage(browser, "A");
  const b = await openPage(browser, "B");
  try {
    const pad = await newPad(a);
    await joinPad(b, pad);
    await setName(a, "Ada");
    await setName(b, "Grace");
    await typeAtEnd(a, "beforeA1 ");
    await typeAtEnd(b, "beforeB1 ");
    const before = await converge([a, b], pad);
    t.diagnostic(`before the restart: version ${before.version}, ${JSON.stringify(before.text)}`);
    await watchStates(a);
    await watchStates(b);

    fs.writeFileSync(path.join(CONTROL, "ready-to-restart"), pad + "\n");
    // type while the daemon goes down and comes back
    await typeAtEnd(a, "duringA2 ", 30);
    await typeAtEnd(b, "duringB2 ", 30);
    await waitFile(path.join(CONTROL, "restarted"), 60000);
    const t0 = Date.now();
    await Promise.all([waitState(a, "connected", 30000), waitState(b, "connected", 30000)]);
    // each page saw its connection go and come back
    const sa = await seenStates(a);
    const sb = await seenStates(b);
    t.diagnostic(`connected again ${Date.now() - t0} ms after the restart; A's states ${JSON.stringify(sa)}, B's ${JSON.stringify(sb)}`);
    for (const [p, s] of [[a, sa], [b, sb]]) {
      assert.ok(s.some((x) => x !== "connected"), `${p.label} never showed the connection lost: ${JSON.stringify(s)}`);
      assert.equal(s[s.length - 1], "connected");
    }

    await typeAtEnd(a, "afterA3 ");
    await typeAtEnd(b, "afterB3 ");
    const end = await converge([a, b], pad, 30000);
    t.diagnostic(`after: version ${end.version}, ${JSON.stringify(end.text)}`);
    assert.ok(end.version > before.version);
    for (const tok of ["beforeA1", "beforeB1", "duringA2", "duringB2", "afterA3", "afterB3"]) {
      assert.equal(end.text.split(tok).length - 1, 1, `"${tok}" should be in the final text once: ${JSON.stringify(end.text)}`);
    }
    // everyone typed at the end: what was there before is the start
    assert.ok(end.text.startsWith(before.text), `${JSON.stringify(end.text)} does not start with ${JSON.stringify(before.text)}`);
    const sa2 = await padState(a);
    assert.equal(sa2.text, end.text);
    // one caret per other participant: none left from the sessions the
    // restart ended
    for (const p of [a, b]) {
      let n = 0;
      for (let i = 0; i < 50; i++) {
        n = await p.page.locator(".cm-remote-caret").count();
        if (n === 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(n, 1, `${p.label} shows ${n} remote carets after the restart, want 1`);
    }
    await shot(a, "07-after-daemon-restart-A");
    await shot(b, "07-after-daemon-restart-B");
    noPageErrors([a, b]);
  } finally {
    report(t, [a, b]);
    await closeAll([a, b]);
  }
});
