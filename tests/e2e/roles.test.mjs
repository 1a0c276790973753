// Roles and links in the browser: an interviewer makes a pad on the
// new-interview screen, a candidate and an observer join with their links;
// the observer changes nothing (nor does a forged push from its page), the
// locks and the end of the interview hold for the candidate, a withdrawn
// link is closed at once, the notes never reach a candidate's or an
// observer's page, and a participant is removed.
//
// The tests share one pad and run in order: each starts where the one
// before left it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import {
  closeAll, launch, noPageErrors, openPage, ready, report, sel, shot, SITE,
  skip, sleep, typeAtEnd, waitFor, WS_BASE,
} from "./lib.mjs";

let browser;
let owner;
let candidate;
let observer;
let pad;
let links; // {owner, candidate, observer}: the links as the owner's page shows them
let starter = null; // python's starter from api/runtimes, when the registry has one
const frames = new Map(); // page label -> every text frame its websockets received

before(async () => {
  if (skip) return;
  browser = await launch();
});
after(async () => {
  for (const p of [owner, candidate, observer]) if (p) await closeAll([p]);
  if (browser) await browser.close();
});

// A page whose received websocket frames are all kept (from before its
// first navigation, so none is missed).
async function recordedPage(label) {
  const p = await openPage(browser, label);
  const got = [];
  frames.set(label, got);
  p.page.on("websocket", (ws) => {
    ws.on("framereceived", (f) => got.push(typeof f.payload === "string" ? f.payload : f.payload.toString("utf8")));
  });
  return p;
}

const role = (p) => p.page.evaluate(() => window.__runpad.role());
const text = (p) => p.page.evaluate(() => window.__runpad.text());
const notices = async (p) => {
  const b = p.page.locator(sel.roleBanner);
  return (await b.count()) ? (await b.getAttribute("data-notices")).split(" ") : [];
};

// The daemon's own view through a socket of our own with the owner's key:
// the welcome (text, version, participants, controls, notes).
function probe(key, timeout = 10000) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(WS_BASE + pad);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no welcome for ${pad} within ${timeout} ms`));
    }, timeout);
    ws.on("open", () => ws.send(JSON.stringify({ type: "hello", version: null, name: "e2e-probe", key })));
    ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      if (m.type === "welcome" || m.type === "error") {
        clearTimeout(timer);
        ws.close();
        if (m.type === "welcome") resolve(m);
        else reject(new Error(`daemon error ${m.code}: ${m.message}`));
      }
    });
    ws.on("error", (e) => { clearTimeout(timer); reject(e); });
  });
}
// A control's checkbox follows the daemon's `control` broadcast, not the
// click: click, then wait for the state to come back.
async function toggle(p, selector, want) {
  await p.page.locator(selector).click();
  await waitFor(() => p.page.locator(selector).isChecked(), (c) => c === want, `${selector} ${want ? "on" : "off"}`);
}
const keyOf = (link) => new URL(link).hash.split("/")[1];
const daemonText = async () => (await probe(keyOf(links.owner))).doc;

async function participantRoles(p) {
  return p.page.locator(sel.participant).evaluateAll((els) =>
    els.map((el) => `${el.querySelector(".pname").textContent}:${el.getAttribute("data-role")}`).sort());
}

// The display name, kept in the browser's settings before the page joins.
async function presetName(p, name) {
  await p.page.goto(SITE + "/");
  await p.page.evaluate((n) => localStorage.setItem("runpad.settings", JSON.stringify({ name: n })), name);
}

test("R1. the interviewer makes a pad on the new-interview screen", { skip, timeout: 60000 }, async () => {
  const rts = await (await fetch(SITE + "/api/runtimes")).json();
  starter = rts.find((r) => r.language === "python")?.starter ?? null;
  owner = await recordedPage("owner");
  await presetName(owner, "Grace");
  await owner.page.reload();
  await owner.page.locator(sel.newInterview).waitFor();
  await owner.page.locator(sel.newTitle).fill("Two sum (e2e)");
  await owner.page.locator(sel.newLanguage).selectOption("python");
  await owner.page.locator(sel.create).click();
  // the address becomes the owner's link: #<pad>/<key>
  await owner.page.waitForURL(/#[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{32}$/, { timeout: 15000 });
  await ready(owner);
  pad = new URL(owner.page.url()).hash.slice(1).split("/")[0];
  assert.equal(await role(owner), "owner");
  assert.equal(await owner.page.locator(sel.title).textContent(), "Two sum (e2e)");
  await owner.page.locator(sel.ownerPanel).waitFor();
  await owner.page.locator(sel.linksMenu).locator("summary").click();
  links = {};
  for (const r of ["owner", "candidate", "observer"]) {
    links[r] = await owner.page.locator(`[data-testid="link-${r}"]`).inputValue();
    assert.match(links[r], new RegExp(`#${pad}/[A-Za-z0-9_-]{32}$`), `the ${r} link`);
  }
  assert.equal(links.owner, owner.page.url());
  assert.equal(new Set([keyOf(links.owner), keyOf(links.candidate), keyOf(links.observer)]).size, 3);
  await owner.page.locator(sel.linksMenu).locator("summary").click();
  // the links stay in this browser for the pad
  const kept = await owner.page.evaluate((id) => JSON.parse(localStorage.getItem("runpad.links." + id)), pad);
  assert.deepEqual(kept, { owner: keyOf(links.owner), candidate: keyOf(links.candidate), observer: keyOf(links.observer) });
  // the pad starts with python's starter, pushed by the page that made it
  if (starter) {
    await waitFor(() => daemonText(), (t) => t === starter, "the daemon's text to be python's starter");
    assert.equal(await text(owner), starter);
  }
  const w = await probe(keyOf(links.owner));
  assert.equal(w.language, "python");
  assert.equal(w.controls.title, "Two sum (e2e)");
});

test("R2. a candidate and an observer join with their links", { skip, timeout: 60000 }, async () => {
  candidate = await recordedPage("candidate");
  observer = await recordedPage("observer");
  await presetName(candidate, "Ada");
  await candidate.page.goto(links.candidate);
  await ready(candidate);
  await presetName(observer, "Linus");
  await observer.page.goto(links.observer);
  await ready(observer);
  assert.equal(await role(candidate), "candidate");
  assert.equal(await role(observer), "observer");
  for (const p of [candidate, observer]) {
    assert.equal(await p.page.locator(sel.title).textContent(), "Two sum (e2e)", `${p.label} sees the title`);
    assert.equal(await p.page.locator(sel.ownerPanel).count(), 0, `${p.label} has no owner controls`);
    assert.equal(await p.page.locator(sel.tabNotes).count(), 0, `${p.label} has no notes tab`);
  }
  const want = ["Ada:candidate", "Grace:owner", "Linus:observer"];
  for (const p of [owner, candidate, observer]) {
    await waitFor(() => participantRoles(p), (r) => JSON.stringify(r) === JSON.stringify(want), `${p.label}'s people list with roles`);
  }
  assert.deepEqual(await notices(observer), ["observer"]);
  assert.match(await observer.page.locator(sel.roleBanner).textContent(), /Observer: read only/);
  assert.deepEqual(await notices(candidate), []);
  // the observer's controls are off, its editor is not editable
  for (const s of [sel.run, sel.stop, sel.language, sel.stdin]) {
    assert.equal(await observer.page.locator(s).isDisabled(), true, `the observer's ${s} is disabled`);
  }
  assert.equal(await observer.page.locator(sel.content).getAttribute("contenteditable"), "false");
  assert.equal(await candidate.page.locator(sel.content).getAttribute("contenteditable"), "true");
  // the candidate types, everyone sees it
  await typeAtEnd(candidate, "x = 1");
  await waitFor(() => daemonText(), (t) => t.endsWith("x = 1"), "the candidate's typing at the daemon");
  await waitFor(() => text(observer), (t) => t.endsWith("x = 1"), "the candidate's typing in the observer's page");
  await shot(candidate, "r02-candidate-view");
  await shot(observer, "r02-observer-view");
});

test("R3. an observer's keystrokes and a forged push from its page change nothing", { skip, timeout: 60000 }, async () => {
  const before = await daemonText();
  await observer.page.locator(sel.content).click();
  await observer.page.keyboard.type("observer was here");
  await observer.page.keyboard.press("Enter");
  await sleep(800);
  assert.equal(await text(observer), before, "the observer's editor took keystrokes");
  assert.equal(await daemonText(), before, "the daemon's text changed");
  // a push of our own over a raw websocket from the observer's page, with its key
  const answer = await observer.page.evaluate(async ({ pad, key }) => {
    const url = new URL("ws/" + pad, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.hash = "";
    const ws = new WebSocket(url.href);
    const got = [];
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ timeout: true, got }), 8000);
      ws.onopen = () => ws.send(JSON.stringify({ type: "hello", version: null, name: "forger", key }));
      ws.onmessage = (ev) => {
        const m = JSON.parse(ev.data);
        got.push(m.type === "error" ? `error:${m.code}` : m.type);
        if (m.type === "welcome") {
          const n = m.doc.length;
          ws.send(JSON.stringify({
            type: "push", version: m.version, ref: "forged",
            updates: [{ clientID: "forger", changes: n ? [[0, "FORGED"], n] : [[0, "FORGED"]] }],
          }));
        } else if (m.type === "error" && m.ref === "forged") {
          clearTimeout(timer);
          ws.close();
          resolve({ code: m.code, message: m.message, got });
        }
      };
    });
  }, { pad, key: keyOf(links.observer) });
  assert.equal(answer.code, "forbidden", `the forged push was answered ${JSON.stringify(answer)}`);
  await sleep(300);
  assert.equal(await daemonText(), before, "the forged push changed the daemon's text");
  for (const p of [owner, candidate, observer]) assert.equal(await text(p), before, `${p.label}'s text changed`);
});

test("R4. locking editing stops the candidate's typing; unlocking lets it through", { skip, timeout: 60000 }, async () => {
  await toggle(owner, sel.lockEditing, true);
  await waitFor(() => notices(candidate), (n) => n.includes("locked"), "the candidate's 'Editing locked' notice");
  assert.match(await candidate.page.locator(sel.roleBanner).textContent(), /Editing locked by the interviewer/);
  await waitFor(() => candidate.page.locator(sel.content).getAttribute("contenteditable"), (e) => e === "false", "the candidate's editor read-only");
  assert.equal(await candidate.page.locator(sel.language).isDisabled(), true);
  assert.equal(await candidate.page.locator(sel.run).isDisabled(), false, "runs are not locked");
  const before = await daemonText();
  await candidate.page.locator(sel.content).click();
  await candidate.page.keyboard.press("Control+End");
  await candidate.page.keyboard.type("locked typing");
  await sleep(800);
  assert.equal(await text(candidate), before);
  assert.equal(await daemonText(), before);
  await shot(candidate, "r04-locked-candidate");
  await toggle(owner, sel.lockEditing, false);
  await waitFor(() => notices(candidate), (n) => !n.includes("locked"), "the lock notice gone");
  await typeAtEnd(candidate, "\ny = 2");
  await waitFor(() => daemonText(), (t) => t.endsWith("y = 2"), "the candidate's typing after the unlock");
  // runs locked: the candidate cannot run
  await toggle(owner, sel.lockRuns, true);
  await waitFor(() => notices(candidate), (n) => n.includes("runs_locked"), "the 'Runs locked' notice");
  assert.equal(await candidate.page.locator(sel.run).isDisabled(), true);
  assert.equal(await candidate.page.locator(sel.stdin).isDisabled(), true);
  await toggle(owner, sel.lockRuns, false);
  await waitFor(() => candidate.page.locator(sel.run).isDisabled(), (d) => d === false, "Run enabled again");
});

test("R5. the notes never reach the candidate's or the observer's page", { skip, timeout: 60000 }, async () => {
  const marker = `NOTES-MARKER-${Math.random().toString(36).slice(2, 10)}`;
  await owner.page.locator(sel.tabNotes).click();
  await owner.page.locator(sel.notesContent).click();
  await owner.page.keyboard.type("Strong start. ", { delay: 5 });
  await owner.page.keyboard.insertText(marker); // one insertion: one push holds it whole
  await owner.page.keyboard.type(" Ask about edge cases.", { delay: 5 });
  await waitFor(() => owner.page.evaluate(() => window.__runpad.notes()), (n) => n && n.includes(marker), "the owner's notes");
  // the daemon has them: an owner's welcome holds the notes
  await waitFor(async () => (await probe(keyOf(links.owner))).notes?.doc ?? "", (d) => d.includes(marker), "the notes at the daemon");
  // and the owner's page got them back (the broadcast confirming its pushes)
  assert.ok(frames.get("owner").some((f) => f.includes(marker)), "the marker never came back to the owner's page");
  await sleep(1000); // anything on its way arrives
  for (const label of ["candidate", "observer"]) {
    const got = frames.get(label);
    assert.ok(got.length > 5, `${label}'s frames were recorded (${got.length})`);
    const leak = got.filter((f) => f.includes(marker) || /"notes"/.test(f));
    assert.deepEqual(leak, [], `the ${label}'s page received notes`);
  }
  await shot(owner, "r05-owner-controls-notes");
  await owner.page.locator(sel.linksMenu).locator("summary").click();
  await shot(owner, "r05-owner-links");
  await owner.page.locator(sel.linksMenu).locator("summary").click();
});

test("R6. ending the interview makes the candidate read-only; reopening undoes it", { skip, timeout: 60000 }, async () => {
  await owner.page.locator(sel.endInterview).click();
  await owner.page.locator(sel.ownerPanel).locator(sel.confirm).click();
  await waitFor(() => notices(candidate), (n) => n.includes("ended"), "the candidate's 'ended' notice");
  assert.match(await candidate.page.locator(sel.roleBanner).textContent(), /The interview has ended/);
  assert.equal(await candidate.page.locator(sel.content).getAttribute("contenteditable"), "false");
  assert.equal(await candidate.page.locator(sel.run).isDisabled(), true);
  const before = await daemonText();
  await candidate.page.locator(sel.content).click();
  await candidate.page.keyboard.type("after the end");
  await sleep(800);
  assert.equal(await daemonText(), before);
  assert.equal((await probe(keyOf(links.owner))).controls.ended, true);
  await shot(candidate, "r06-ended-candidate");
  await shot(owner, "r06-ended-owner");
  await owner.page.locator(sel.endInterview).click(); // "Reopen the interview"
  await waitFor(() => notices(candidate), (n) => !n.includes("ended"), "the end undone");
  assert.equal(await candidate.page.locator(sel.content).getAttribute("contenteditable"), "true");
});

test("R7. a withdrawn observer link is closed at once", { skip, timeout: 60000 }, async () => {
  const socketsBefore = observer.sockets.length;
  await owner.page.locator(sel.linksMenu).locator("summary").click();
  await owner.page.locator('[data-testid="revoke-observer-link"]').click();
  await owner.page.locator(sel.linksMenu).locator(sel.confirm).click();
  await observer.page.locator(`${sel.closed}[data-code="4403"]`).waitFor({ timeout: 5000 });
  assert.match(await observer.page.locator(sel.closed).textContent(), /This link is no longer valid/);
  assert.equal(await observer.page.locator(sel.closed).getAttribute("data-error"), "link_revoked");
  await waitFor(() => owner.page.locator('[data-testid="link-observer"]').getAttribute("data-missing"), (m) => m === "true", "the owner's observer link gone");
  await owner.page.locator(sel.linksMenu).locator("summary").click();
  await sleep(2000);
  assert.equal(observer.sockets.length, socketsBefore, "the observer's page reconnected after 4403");
  await waitFor(() => participantRoles(owner), (r) => !r.some((x) => x.startsWith("Linus")), "the observer gone from the owner's list");
  await shot(observer, "r07-revoked-observer");
  // the old link opened again is refused the same way
  const again = await openPage(browser, "observer-again");
  try {
    await again.page.goto(links.observer);
    await again.page.locator(`${sel.closed}[data-code="4403"]`).waitFor({ timeout: 10000 });
    assert.equal(await again.page.locator(sel.closed).getAttribute("data-error"), "bad_link");
  } finally {
    await closeAll([again]);
  }
});

test("R8. the interviewer removes the candidate", { skip, timeout: 60000 }, async () => {
  const li = owner.page.locator(sel.participant, { hasText: "Ada" });
  await li.locator(sel.removeParticipant).click();
  await li.locator(sel.confirm).click();
  await candidate.page.locator(`${sel.closed}[data-code="4408"]`).waitFor({ timeout: 5000 });
  assert.match(await candidate.page.locator(sel.closed).textContent(), /You were removed from this pad/);
  await waitFor(() => participantRoles(owner), (r) => JSON.stringify(r) === JSON.stringify(["Grace:owner"]), "the owner alone");
  const n = candidate.sockets.length;
  await sleep(2000);
  assert.equal(candidate.sockets.length, n, "the removed page reconnected");
  await shot(candidate, "r08-removed-candidate");
  noPageErrors([owner, candidate, observer]);
});

test("R9. report", { skip }, (t) => {
  report(t, [owner, candidate, observer].filter(Boolean));
});
