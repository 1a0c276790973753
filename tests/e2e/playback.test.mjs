// The timeline of a pad (web/src/playback): an owner types, runs a
// program, types more; the timeline shows the text and the output of a
// moment between the run and the later typing, plays, and the record and
// the report download with what happened.
import assert from "node:assert/strict";
import fs from "node:fs";
import crypto from "node:crypto";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import {
  closeAll, converge, launch, noPageErrors, openPage, pasteCode, ready, report,
  sel, setName, shot, skip, sleep, typeAtEnd, waitOutput, waitVerdict, WS_BASE, SITE,
} from "./lib.mjs";

let browser;
before(async () => { if (!skip) browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

const tl = {
  open: '[data-testid="open-timeline"]',
  timeline: '[data-testid="timeline"]',
  scrubber: 'input[data-testid="timeline-scrubber"]',
  play: '[data-testid="timeline-play"]',
  speed: 'select[data-testid="timeline-speed"]',
  nextRun: '[data-testid="timeline-next-run"]',
  nextBurst: '[data-testid="timeline-next-burst"]',
  text: '[data-testid="timeline-text"]',
  output: '[data-testid="timeline-output"]',
  time: '[data-testid="timeline-time"]',
  exportJson: '[data-testid="export-json"]',
  exportReport: '[data-testid="export-report"]',
};

// One socket: hello, then the messages; `first` resolves with the welcome.
function socket(url, hello) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`no welcome from ${url} in 10 s`)); }, 10000);
    ws.on("open", () => ws.send(JSON.stringify(hello)));
    ws.on("unexpected-response", (_req, res) => { clearTimeout(timer); reject(new Error(`${url}: HTTP ${res.statusCode}`)); });
    ws.on("error", (e) => { clearTimeout(timer); reject(e); });
    ws.on("message", function first(d) {
      const m = JSON.parse(String(d));
      if (m.type === "welcome") {
        clearTimeout(timer);
        ws.off("message", first);
        resolve({ ws, welcome: m });
      } else if (m.type === "error") {
        clearTimeout(timer);
        reject(new Error(`${url}: ${m.code}: ${m.message}`));
      }
    });
  });
}

// A pad with links, made as the web app makes it (hello with create at
// ws/new/<pad>); its owner key.
async function createPad(pad) {
  const hello = { type: "hello", version: null, name: "Maker", create: { language: "python", title: "Playback e2e" } };
  let s;
  try {
    s = await socket(`${WS_BASE}new/${pad}`, hello);
  } catch (e) {
    if (!/HTTP 404/.test(String(e))) throw e;
    s = await socket(WS_BASE + pad, hello); // a site without the ws/new/ location
  }
  s.ws.close();
  assert.equal(s.welcome.role, "owner");
  assert.match(s.welcome.links.owner, /^[A-Za-z0-9_-]{32}$/);
  return s.welcome.links.owner;
}

// Every page of the pad's history, as the daemon gives it to an owner.
async function history(pad, key) {
  const { ws } = await socket(WS_BASE + pad, { type: "hello", version: null, name: "e2e-probe", key });
  try {
    const pages = [];
    let from = 0;
    for (;;) {
      const page = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no history page from ${from}`)), 10000);
        ws.on("message", function on(d) {
          const m = JSON.parse(String(d));
          if (m.type === "history" && m.from === from) {
            clearTimeout(timer);
            ws.off("message", on);
            resolve(m);
          } else if (m.type === "error") {
            clearTimeout(timer);
            reject(new Error(`history: ${m.code}: ${m.message}`));
          }
        });
        ws.send(JSON.stringify({ type: "history", doc: "pad", from }));
      });
      pages.push(page);
      from += page.updates.length;
      if (!page.more) break;
    }
    return { ...pages[0], updates: pages.flatMap((p) => p.updates) };
  } finally {
    ws.close();
  }
}

async function timelineText(p) {
  return p.page.locator(`${tl.text} .cm-content`).evaluate((el) =>
    Array.from(el.querySelectorAll(".cm-line")).map((l) => l.textContent).join("\n"));
}

async function scrubTo(p, ms) {
  await p.page.locator(tl.scrubber).evaluate((el, v) => {
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    set.call(el, String(v));
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, ms);
}

async function waitFor(what, fn, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last.ok) return last;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeout} ms: ${JSON.stringify(last)}`);
    await sleep(100);
  }
}

async function download(p, selector) {
  const [d] = await Promise.all([p.page.waitForEvent("download", { timeout: 15000 }), p.page.click(selector)]);
  return { name: d.suggestedFilename(), text: fs.readFileSync(await d.path(), "utf8") };
}

const CODE = 'print("one")\n';
const LATER = "# two";

test("10. the timeline: the text and output of a moment, play, the record and the report", { skip, timeout: 180000 }, async (t) => {
  const pad = "e2e-play-" + crypto.randomBytes(6).toString("hex");
  const key = await createPad(pad);
  const a = await openPage(browser, "owner", { acceptDownloads: true });
  try {
    await a.page.goto(`${SITE}/#${pad}/${key}`);
    await ready(a);
    await setName(a, "Grace");
    await pasteCode(a, CODE);
    const first = await converge([a], pad, 20000, key);
    assert.equal(first.text, CODE);

    await a.page.click(sel.run);
    await waitOutput(a, (o) => o === "one\n", 'showed "one"', 60000);
    await waitVerdict(a, "accepted", 60000);
    await sleep(1500); // a pause between the run and the later typing
    await typeAtEnd(a, LATER, 30);
    const last = await converge([a], pad, 20000, key);
    assert.equal(last.text, CODE + LATER);

    // the daemon's record says when the run ended and the later typing began
    const h = await history(pad, key);
    assert.equal(h.updates.length, last.version);
    assert.equal(h.runs.length, 1);
    const run = h.runs[0];
    const end = run.events.find((e) => e.event === "end");
    assert.ok(end && typeof end.t === "number", "the run's end has a time");
    const later = h.updates.find((u) => u.t > end.t);
    assert.ok(later, "an update after the run");
    const moment = Math.floor((end.t + later.t) / 2);
    t.diagnostic(`run ended at +${end.t - h.created_ms} ms, typing again at +${later.t - h.created_ms} ms; seeking +${moment - h.created_ms}`);

    await a.page.click(tl.open);
    await a.page.locator(tl.timeline).waitFor({ state: "visible" });
    await waitFor("the scrubber is ready", async () => ({
      ok: await a.page.locator(tl.scrubber).isEnabled(),
    }));
    // it opens at the end: the text as it is now
    await waitFor("the timeline shows the final text", async () => {
      const text = await timelineText(a);
      return { ok: text === CODE + LATER, text };
    });

    await scrubTo(a, moment - h.created_ms);
    const at = await waitFor("the timeline shows the moment", async () => {
      const text = await timelineText(a);
      const output = await a.page.locator(tl.output).evaluate((el) => el.textContent);
      return { ok: text === CODE && output === "one\n", text, output };
    });
    assert.equal(at.text, CODE);
    assert.equal(at.output, "one\n");
    assert.equal(Number(await a.page.locator(tl.scrubber).inputValue()), moment - h.created_ms);
    // who wrote it: the owner's page, in its colour
    const authors = await a.page.locator(`${tl.text} [data-author]`).evaluateAll((els) =>
      [...new Set(els.map((e) => e.getAttribute("title")))]);
    assert.deepEqual(authors, ["Grace"]);
    await shot(a, "10-timeline-moment");

    // before the run: no output
    await scrubTo(a, 0);
    await waitFor("the start shows nothing", async () => {
      const text = await timelineText(a);
      const output = await a.page.locator(tl.output).evaluate((el) => el.textContent);
      return { ok: text === "" && output === "", text, output };
    });
    // next run goes to the run's start
    await a.page.click(tl.nextRun);
    await waitFor("next run goes to the run", async () => {
      const v = Number(await a.page.locator(tl.scrubber).inputValue());
      return { ok: v === h.runs[0].started_ms - h.created_ms, v };
    });

    // play from the start: at 1x the time moves on as the clock does; at
    // 16x it runs to the end and stops there
    await scrubTo(a, 0);
    const before = await a.page.locator(tl.time).textContent();
    await a.page.click(tl.play);
    await sleep(700);
    const moved = Number(await a.page.locator(tl.scrubber).inputValue());
    t.diagnostic(`after 0.7 s at 1x the scrubber is at ${moved} ms`);
    assert.ok(moved >= 400 && moved <= 3000, `1x: ${moved} ms after 0.7 s`);
    await shot(a, "10-timeline-playing");
    await waitFor("the time shown moves on", async () => {
      const now = await a.page.locator(tl.time).textContent();
      return { ok: now !== before, before, now };
    }, 5000);
    await a.page.selectOption(tl.speed, "16");
    const max = Number(await a.page.locator(tl.scrubber).getAttribute("max"));
    await waitFor("16x plays to the end and stops", async () => {
      const label = await a.page.locator(tl.play).getAttribute("aria-label");
      const v = Number(await a.page.locator(tl.scrubber).inputValue());
      return { ok: label === "Play" && v === max, label, v, max };
    }, 20000);
    assert.equal(await timelineText(a), CODE + LATER);

    // the downloads
    const rec = await download(a, tl.exportJson);
    assert.equal(rec.name, `runpad-${pad}-record.json`);
    const r = JSON.parse(rec.text);
    assert.equal(r.pad, pad);
    assert.equal(r.title, "Playback e2e");
    assert.equal(r.created_ms, h.created_ms);
    assert.equal(r.version, last.version);
    assert.equal(r.text, CODE + LATER);
    assert.equal(r.updates.length, last.version);
    assert.ok(r.updates.every((u) => typeof u.t === "number" && typeof u.a === "string"));
    assert.equal(r.runs.length, 1);
    assert.equal(r.runs[0].verdict, "accepted");
    assert.equal(r.runs[0].events.filter((e) => e.event === "stdout").map((e) => e.data).join(""), "one\n");
    assert.ok(r.events.some((e) => (e.type ?? e.event) === "join"), "join events in the record");
    assert.deepEqual(r.notes, { version: 0, text: "", updates: [] });

    const rep = await download(a, tl.exportReport);
    assert.equal(rep.name, `runpad-${pad}-report.md`);
    t.diagnostic(`report:\n${rep.text}`);
    assert.ok(rep.text.startsWith("# Playback e2e\n"), rep.text);
    assert.ok(rep.text.includes("```python\n" + CODE + LATER + "\n```\n"), rep.text);
    assert.match(rep.text, /\| 1 \| \d+:\d\d \| Grace \| run \| accepted \|/);
    assert.match(rep.text, /- Time to first run: \d+ s/);
    assert.ok(rep.text.includes("- Time to first accepted tests: never"), rep.text);
    assert.match(rep.text, /\| Grace \| owner \|/);

    await a.page.click(tl.open); // back to the pad
    await a.page.locator(tl.timeline).waitFor({ state: "detached" });
    await a.page.locator(sel.content).waitFor({ state: "visible" });
    noPageErrors([a]);
  } finally {
    report(t, [a]);
    await closeAll([a]);
  }
});
