// Editor-ready time, and a clean load: no console error, no uncaught error.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  closeAll, freshPadId, launch, openPage, report, sel, shot, SITE, skip,
} from "./lib.mjs";

let browser;
before(async () => { if (!skip) browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

// ms from navigation start (performance.timeOrigin) to the editor's
// .cm-content visible and the connection connected, polled every frame
async function readyTime(p) {
  return p.page.waitForFunction((s) => {
    const c = document.querySelector(s.content);
    const conn = document.querySelector(s.connection);
    if (!c || !conn || conn.getAttribute("data-state") !== "connected") return false;
    const r = c.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(c).visibility === "hidden") return false;
    return performance.now();
  }, { content: sel.content, connection: sel.connection }, { polling: "raf", timeout: 20000 })
    .then((h) => h.jsonValue());
}

test("8. editor-ready time and a load without console errors", { skip, timeout: 60000 }, async (t) => {
  // a warm-up load (the first of a fresh nginx and browser is not typical)
  const w = await openPage(browser, "warm-up");
  await w.page.goto(`${SITE}/#${freshPadId()}`);
  await readyTime(w);
  await closeAll([w]);

  const a = await openPage(browser, "A");
  const b = await openPage(browser, "B");
  try {
    // a new open pad: its link made here, the pad made by the hello
    await a.page.goto(`${SITE}/#${freshPadId()}`);
    const newMs = await readyTime(a);
    const pad = new URL(a.page.url()).hash.slice(1);
    assert.match(pad, /^[A-Za-z0-9_-]{1,64}$/, `the URL ${a.page.url()} names no pad`);
    await b.page.goto(`${SITE}/#${pad}`);
    const joinMs = await readyTime(b);
    const nav = await a.page.evaluate(() => {
      const n = performance.getEntriesByType("navigation")[0];
      return n ? { domContentLoaded: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) } : null;
    });
    console.log(`# editor-ready: new pad ${newMs.toFixed(0)} ms, joining a pad ${joinMs.toFixed(0)} ms (navigation start to .cm-content visible and connected); A's DOMContentLoaded ${nav && nav.domContentLoaded} ms, load ${nav && nav.load} ms`);
    t.diagnostic(`editor-ready new pad ${newMs.toFixed(0)} ms, join ${joinMs.toFixed(0)} ms`);
    assert.ok(newMs < 5000 && joinMs < 5000, "the editor took more than 5 s to be ready");
    // let late errors (a failed request after the first paint) show
    await a.page.waitForTimeout(1000);
    await shot(a, "08-loaded-new-pad-A");
    for (const p of [a, b]) {
      assert.deepEqual(p.consoleErrors, [], `${p.label}: console errors while loading`);
      assert.deepEqual(p.pageErrors, [], `${p.label}: uncaught errors while loading`);
    }
  } finally {
    report(t, [a, b]);
    await closeAll([a, b]);
  }
});
