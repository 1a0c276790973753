// Scale-out: two pad daemons behind nginx's `hash $runpad_pad consistent`
// (tests/integration/test_scale.py starts them and sets the variables).
// RUNPAD_SCALE_WS: the websocket base through nginx; RUNPAD_SCALE_DAEMONS:
// the daemons' unix sockets, comma-separated, to ask each one directly.
import assert from "node:assert/strict";
import test from "node:test";
import { RawClient } from "./lib/client.mjs";
import { runEvents, setCode, stdout, untimed } from "./lib/runs.mjs";

const BASE = process.env.RUNPAD_SCALE_WS;
const DAEMONS = (process.env.RUNPAD_SCALE_DAEMONS || "").split(",").filter(Boolean);
const skip = BASE && DAEMONS.length > 1 ? false : "RUNPAD_SCALE_WS and RUNPAD_SCALE_DAEMONS are not set (python3 -m unittest tests/integration/test_scale.py)";

const direct = (sock, pad) => `ws+unix://${sock}:/ws/${pad}`;

// welcome {doc, version} from the daemon that serves the pad, or the
// refusal {code, close} from one that does not
async function ask(sock, pad) {
  const c = await RawClient.open(direct(sock, pad));
  c.send({ type: "hello", name: "probe" });
  const m = await c.next((x) => x.type === "welcome" || x.type === "error", 5000);
  if (m.type === "welcome") {
    await c.close();
    return { doc: m.doc, version: m.version };
  }
  const closed = await c.closed;
  return { code: m.code, close: closed.code };
}

test("scale: every pad is served by exactly one daemon, the one nginx picks", { skip, timeout: 120000 }, async () => {
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const owners = new Map();
  for (let i = 0; i < 24; i++) {
    const pad = `scale-${tag}-${i}`;
    const c = await RawClient.open(BASE + pad);
    const w = await c.hello({ name: "writer" });
    assert.equal(w.type, "welcome");
    await setCode(c, w.version, 0, `pad ${i}`);
    await c.close();
    const answers = [];
    for (const sock of DAEMONS) answers.push(await ask(sock, pad));
    const serving = answers.map((a, k) => (a.doc !== undefined ? k : -1)).filter((k) => k >= 0);
    assert.equal(serving.length, 1, `${pad}: ${JSON.stringify(answers)}`);
    const k = serving[0];
    assert.equal(answers[k].doc, `pad ${i}`, "the daemon that serves the pad has nginx's edits");
    for (const [j, a] of answers.entries()) {
      if (j === k) continue;
      assert.equal(a.code, "wrong_daemon", JSON.stringify(a));
      assert.equal(a.close, 4421, JSON.stringify(a));
    }
    owners.set(pad, k);
  }
  const per = DAEMONS.map((_, k) => [...owners.values()].filter((o) => o === k).length);
  console.log(`# pads per daemon: ${JSON.stringify(per)}`);
  for (const n of per) assert.ok(n > 0, `a daemon got no pad: ${JSON.stringify(per)}`);
});

test("scale: shared runs with stdin on pads of both daemons", { skip, timeout: 180000 }, async () => {
  const t0 = Date.now();
  const tag = `${process.pid}-${t0.toString(36)}`;
  // pads until each daemon serves one
  const byDaemon = new Map();
  for (let i = 0; byDaemon.size < DAEMONS.length && i < 64; i++) {
    const pad = `run-${tag}-${i}`;
    for (const [k, sock] of DAEMONS.entries()) {
      if (byDaemon.has(k)) continue;
      const a = await ask(sock, pad);
      if (a.doc !== undefined) byDaemon.set(k, pad);
    }
  }
  assert.equal(byDaemon.size, DAEMONS.length);
  await Promise.all([...byDaemon.values()].map(async (pad) => {
    const a = await RawClient.open(BASE + pad);
    const b = await RawClient.open(BASE + pad);
    try {
      const wa = await a.hello({ name: "Ada" });
      await b.hello({ name: "Grace" });
      await a.next("join");
      await setCode(a, wa.version, 0, 'print("hi " + input())\n', "python");
      await b.next("updates");
      a.send({ type: "run" });
      await runEvents(b, 60000, (e) => e.event === "run_start");
      b.send({ type: "stdin", data: `${pad}\n`, eof: true });
      const evA = await runEvents(a, 60000);
      assert.equal(stdout(evA), `hi ${pad}\n`, JSON.stringify(evA));
      assert.deepEqual(untimed(evA[evA.length - 1], t0), { event: "end", verdict: "accepted" });
    } finally {
      await a.close();
      await b.close();
    }
  }));
});
