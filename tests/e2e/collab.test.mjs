// Two people on one pad, each in a browser context of their own: concurrent
// typing, cursors and names, the language, and a network cut.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  closeAll, converge, daemonWelcome, joinPad, launch, newPad, noPageErrors,
  openPage, padState, ready, report, rng, runScript, seed, seenStates, sel,
  setName, shot, skip, sleep, sortedChars, startProxy, typeAtEnd,
  typingScript, waitState, watchStates,
} from "./lib.mjs";

let browser;
before(async () => { if (!skip) browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

test("1. two people typing at once at random places end with the daemon's text", { skip, timeout: 120000 }, async (t) => {
  const s = seed();
  t.diagnostic(`RUNPAD_SEED=${s}`);
  const a = await openPage(browser, "A");
  const b = await openPage(browser, "B");
  try {
    const pad = await newPad(a);
    await joinPad(b, pad);
    const ra = rng(s);
    const rb = rng(s ^ 0x5bd1e995);
    const sa = typingScript(ra, 200);
    const sb = typingScript(rb, 200);
    await a.page.locator(sel.content).click();
    await b.page.locator(sel.content).click();
    const t0 = Date.now();
    await Promise.all([runScript(a, sa, ra), runScript(b, sb, rb)]);
    t.diagnostic(`typed ${sa.keys} + ${sb.keys} keystrokes in ${Date.now() - t0} ms`);
    const end = await converge([a, b], pad, 30000);
    t.diagnostic(`converged at version ${end.version}, ${end.text.length} characters`);
    // nothing deleted: exactly the characters both typed, none lost or doubled
    assert.equal(sortedChars(end.text), sortedChars(sa.inserted + sb.inserted),
      "the final text does not hold exactly the characters both people typed");
    assert.ok(end.version > 0);
    await shot(a, "01-concurrent-typing-A");
    await shot(b, "01-concurrent-typing-B");
    noPageErrors([a, b]);
  } finally {
    report(t, [a, b]);
    await closeAll([a, b]);
  }
});

async function caretNames(p) {
  return p.page.evaluate(() => [...document.querySelectorAll(".cm-remote-caret")]
    .filter((el) => {
      const r = el.getBoundingClientRect();
      const st = getComputedStyle(el);
      return r.height > 0 && st.visibility !== "hidden" && st.display !== "none";
    })
    .map((el) => (el.getAttribute("title") || el.textContent || "").trim()));
}

async function waitCaret(p, name, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let names = [];
  for (;;) {
    names = await caretNames(p);
    if (names.includes(name)) return names;
    if (Date.now() > deadline) {
      const all = await p.page.evaluate(() => [...document.querySelectorAll(".cm-remote-caret")]
        .map((el) => ({ title: el.getAttribute("title"), text: el.textContent, rect: el.getBoundingClientRect().toJSON() })));
      throw new Error(`${p.label}: no visible .cm-remote-caret named "${name}" within ${timeout} ms; visible names ${JSON.stringify(names)}, all carets ${JSON.stringify(all)}`);
    }
    await sleep(100);
  }
}

async function participantNames(p) {
  return p.page.locator(sel.participant).evaluateAll((els) => els.map((el) => el.textContent.trim()));
}

async function waitParticipants(p, names, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let got = [];
  for (;;) {
    got = await participantNames(p);
    if (got.length === names.length && names.every((n) => got.some((g) => g.includes(n)))) return got;
    if (Date.now() > deadline) {
      throw new Error(`${p.label}: ${sel.participant} items are ${JSON.stringify(got)}, wanted exactly one per name of ${JSON.stringify(names)}`);
    }
    await sleep(100);
  }
}

test("2. names: remote cursors carry the other's name, the list shows both", { skip, timeout: 60000 }, async (t) => {
  const a = await openPage(browser, "A");
  const b = await openPage(browser, "B");
  try {
    const pad = await newPad(a);
    await joinPad(b, pad);
    await setName(a, "Ada");
    await setName(b, "Grace");
    // some text and a caret for each
    await typeAtEnd(a, "first line\nsecond line");
    await converge([a, b], pad);
    await a.page.locator(`${sel.content} .cm-line`).nth(0).click();
    await b.page.locator(`${sel.content} .cm-line`).nth(1).click();
    await a.page.keyboard.press("End");
    await b.page.keyboard.press("Home");

    const inA = await waitCaret(a, "Grace");
    const inB = await waitCaret(b, "Ada");
    t.diagnostic(`carets seen by A: ${JSON.stringify(inA)}, by B: ${JSON.stringify(inB)}`);
    assert.deepEqual(inA, ["Grace"], "A should see exactly one remote caret, Grace's");
    assert.deepEqual(inB, ["Ada"], "B should see exactly one remote caret, Ada's");

    const la = await waitParticipants(a, ["Ada", "Grace"]);
    const lb = await waitParticipants(b, ["Ada", "Grace"]);
    t.diagnostic(`participants in A: ${JSON.stringify(la)}, in B: ${JSON.stringify(lb)}`);
    assert.equal(await a.page.locator(sel.name).inputValue(), "Ada");
    assert.equal(await b.page.locator(sel.name).inputValue(), "Grace");

    // the daemon knows both by their names
    const w = await daemonWelcome(pad);
    assert.deepEqual(w.participants.map((x) => x.name).sort(), ["Ada", "Grace"]);

    await shot(a, "02-cursor-and-names-A");
    await shot(b, "02-cursor-and-names-B");
    noPageErrors([a, b]);
  } finally {
    report(t, [a, b]);
    await closeAll([a, b]);
  }
});

async function waitSelect(p, value, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let v = null;
  for (;;) {
    v = await p.page.locator(sel.language).inputValue();
    if (v === value) return;
    if (Date.now() > deadline) {
      throw new Error(`${p.label}: ${sel.language} value is "${v}", wanted "${value}" within ${timeout} ms`);
    }
    await sleep(50);
  }
}

test("3. a language picked in one browser reaches the other", { skip, timeout: 60000 }, async (t) => {
  const a = await openPage(browser, "A");
  const b = await openPage(browser, "B");
  try {
    const pad = await newPad(a);
    await joinPad(b, pad);
    const options = await a.page.locator(`${sel.language} option`).evaluateAll((os) => os.map((o) => o.value));
    t.diagnostic(`language options: ${JSON.stringify(options)}`);
    for (const l of ["python", "c"]) assert.ok(options.includes(l), `no option "${l}" in ${JSON.stringify(options)}`);

    await a.page.selectOption(sel.language, "c");
    await waitSelect(b, "c");
    assert.equal((await daemonWelcome(pad)).language, "c");
    await b.page.selectOption(sel.language, "python");
    await waitSelect(a, "python");
    assert.equal(await b.page.locator(sel.language).inputValue(), "python");
    assert.equal((await daemonWelcome(pad)).language, "python");
    // a late joiner gets it too
    const c = await openPage(browser, "C");
    try {
      await joinPad(c, pad);
      await waitSelect(c, "python");
    } finally {
      await closeAll([c]);
    }
    noPageErrors([a, b]);
  } finally {
    report(t, [a, b]);
    await closeAll([a, b]);
  }
});

test("6. a network cut while both type loses nothing; A reconnects by itself", { skip, timeout: 90000 }, async (t) => {
  const proxy = await startProxy();
  const a = await openPage(browser, "A");
  const b = await openPage(browser, "B");
  try {
    // A reaches the site through a proxy that can drop its connections
    const pad = await newPad(a, proxy.url);
    await joinPad(b, pad);
    await typeAtEnd(a, "shared start");
    await converge([a, b], pad);
    await watchStates(a);

    // cut: A's connections drop, then the browser goes offline (in the
    // other order Chromium's offline emulation sometimes holds back the
    // close of the open websocket, and the page never learns of the cut)
    proxy.cut();
    await sleep(100);
    await a.context.setOffline(true);
    const offState = await waitState(a, (s) => s !== "connected", 10000).catch((e) => {
      throw new Error(`${e.message}; A's websockets ${JSON.stringify(a.sockets)}, proxy ${JSON.stringify(proxy.stats)}`);
    });
    t.diagnostic(`A's connection while cut: ${offState}`);
    assert.ok(["reconnecting", "offline"].includes(offState), `data-state "${offState}"`);

    await typeAtEnd(a, " alphaOffline7");
    await b.page.locator(sel.content).click();
    await b.page.keyboard.press("Control+Home");
    await b.page.keyboard.type("betaOnline3 ", { delay: 10 });
    await sleep(1500);
    const aState = await padState(a);
    const bState = await padState(b);
    assert.ok(aState.text.includes("alphaOffline7"), "A's own edit is in A's editor");
    assert.ok(!aState.text.includes("betaOnline3"), "B's edit reached A through a cut network");
    assert.ok(!bState.text.includes("alphaOffline7"), "A's edit reached B through a cut network");
    assert.notEqual(await a.page.getAttribute(sel.connection, "data-state"), "connected");
    await shot(a, "06-network-cut-A-offline");

    // back online: A reconnects by itself
    proxy.restore();
    await a.context.setOffline(false);
    const t0 = Date.now();
    await waitState(a, "connected", 30000);
    t.diagnostic(`A reconnected ${Date.now() - t0} ms after the network came back; states ${JSON.stringify(await seenStates(a))}; proxy ${JSON.stringify(proxy.stats)}`);
    const end = await converge([a, b], pad, 20000);
    for (const tok of ["shared start", "alphaOffline7", "betaOnline3"]) {
      assert.equal(end.text.split(tok).length - 1, 1, `"${tok}" should be in the final text once: ${JSON.stringify(end.text)}`);
    }
    assert.equal(end.text, "betaOnline3 shared start alphaOffline7");
    await shot(a, "06-network-restored-A");
    await shot(b, "06-network-restored-B");
    noPageErrors([a, b]);
  } finally {
    report(t, [a, b]);
    await closeAll([a, b]);
    await proxy.close();
  }
});
