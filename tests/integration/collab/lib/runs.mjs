// Helpers for shared runs: the run events a client sees, up to the end.
import assert from "node:assert/strict";

// the `event` objects of run messages until (and with) the next `end`
export async function runEvents(c, timeout = 30000, until = (e) => e.event === "end") {
  const events = [];
  const deadline = Date.now() + timeout;
  for (;;) {
    const m = await c.next("run", Math.max(1, deadline - Date.now()));
    assert.equal(typeof m.event, "object", JSON.stringify(m));
    events.push(m.event);
    if (until(m.event)) return events;
  }
}

// a run event without its time: every event has one, in ms since the epoch,
// no earlier than `since` and no later than now
export function untimed({ t, ...e }, since = 0) {
  assert.equal(typeof t, "number", JSON.stringify(e));
  assert.ok(Number.isInteger(t) && t >= since && t <= Date.now(), `t ${t} outside [${since}, now]: ${JSON.stringify(e)}`);
  return e;
}

export function names(events) {
  return events.map((e) => e.event);
}

export function stdout(events) {
  return events.filter((e) => e.event === "stdout").map((e) => e.data).join("");
}

// set the pad's text (from version, replacing oldLen units) and language
export async function setCode(c, version, oldLen, code, language) {
  c.send({ type: "push", version, updates: [{ clientID: "runner-test", changes: [[oldLen, ...code.split("\n")]] }] });
  const u = await c.next((m) => m.type === "updates" || m.type === "error", 5000);
  assert.equal(u.type, "updates", JSON.stringify(u));
  if (language) {
    c.send({ type: "language", language });
    await c.next("language");
  }
  return version + 1;
}
