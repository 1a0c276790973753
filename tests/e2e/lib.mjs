// Shared helpers of the end-to-end tests: Debian's Chromium driven by
// playwright-core against the whole stack that tests/integration/test_web.py
// starts (nginx serving web/dist, runpad-fcgi, runpad-ws).
//
// Environment:
//   RUNPAD_URL    the site, e.g. http://127.0.0.1:PORT (required)
//   RUNPAD_WS     the daemon's websocket base, e.g. ws://127.0.0.1:PORT/ws/
//                 (default: derived from RUNPAD_URL)
//   RUNPAD_SHOTS  where screenshots go (default /tmp/runpad-e2e-shots)
//   RUNPAD_SEED   replays the random typing of a run (printed by each test)
//
// The UI contract the tests rely on (data-testid attributes, CodeMirror
// classes, window.__runpad) is described in tests/e2e/README.md.
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { chromium } from "playwright-core";
import WebSocket from "ws";

export const SITE = (process.env.RUNPAD_URL || "").replace(/\/+$/, "");
export const WS_BASE = process.env.RUNPAD_WS ||
  (SITE ? SITE.replace(/^http/, "ws") + "/ws/" : "");
export const SHOTS = process.env.RUNPAD_SHOTS || "/tmp/runpad-e2e-shots";
export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu",
  "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run",
];

// `skip` for node:test: a reason, or false when the tests can run
export const skip = !SITE
  ? "RUNPAD_URL is not set: the e2e tests need the whole stack (/usr/bin/python3 -m unittest tests/integration/test_web.py starts it)"
  : !fs.existsSync(CHROMIUM)
    ? `${CHROMIUM} is missing (apt-get install chromium)`
    : false;

export const sel = {
  editor: '[data-testid="editor"]',
  content: '[data-testid="editor"] .cm-content',
  run: '[data-testid="run"]',
  stop: '[data-testid="stop"]',
  terminal: '[data-testid="terminal"]',
  output: '[data-testid="output-text"]',
  verdict: '[data-testid="verdict"]',
  language: 'select[data-testid="language"]',
  variant: 'select[data-testid="variant"]',
  connection: '[data-testid="connection"]',
  participants: '[data-testid="participants"]',
  participant: '[data-testid="participants"] [data-testid="participant"]',
  name: '[data-testid="name"]',
  copyLink: '[data-testid="copy-link"]',
  stdin: 'input[data-testid="stdin"]',
  toast: '[data-testid="toast"]',
  tabTests: '[data-testid="tab-tests"]',
  tabOutput: '[data-testid="tab-output"]',
  runTests: '[data-testid="run-tests"]',
  addTest: '[data-testid="add-test"]',
  testItem: '[data-testid="test-item"]',
  testName: '[data-testid="test-name"]',
  testStdin: 'textarea[data-testid="test-stdin"]',
  testExpected: 'textarea[data-testid="test-expected"]',
  testVerdict: '[data-testid="test-verdict"]',
  testDiff: '[data-testid="test-diff"]',
  testsSummary: '[data-testid="tests-summary"]',
  // the new-interview screen at <site>/
  newInterview: '[data-testid="new-interview"]',
  newTitle: '[data-testid="new-title"]',
  newLanguage: 'select[data-testid="new-language"]',
  newTemplate: 'select[data-testid="new-template"]',
  createSecret: '[data-testid="create-secret"]',
  create: '[data-testid="create"]',
  quickPad: '[data-testid="quick-pad"]',
  // roles
  title: '[data-testid="title"]',
  roleBanner: '[data-testid="role-banner"]',
  roleNotice: '[data-testid="role-notice"]',
  roleBadge: '[data-testid="role-badge"]',
  removeParticipant: '[data-testid="remove-participant"]',
  confirm: '[data-testid="confirm"]',
  closed: '[data-testid="closed"]',
  ownerPanel: '[data-testid="owner-panel"]',
  titleInput: '[data-testid="title-input"]',
  lockEditing: '[data-testid="lock-editing"]',
  lockRuns: '[data-testid="lock-runs"]',
  allowReplay: '[data-testid="allow-replay"]',
  endInterview: '[data-testid="end-interview"]',
  linksMenu: '[data-testid="links-menu"]',
  tabNotes: '[data-testid="tab-notes"]',
  notes: '[data-testid="notes"]',
  notesContent: '[data-testid="notes"] .cm-content',
};

// The picker of a toolchain option (not in `sel`: that goes to the page
// whole, and a function does not survive the trip).
export function optionSel(name) {
  return `select[data-testid="option-${name}"]`;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A small seeded generator (mulberry32), so a failing run can be replayed.
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  next.pick = (xs) => xs[Math.floor(next() * xs.length)];
  return next;
}

export function seed() {
  return process.env.RUNPAD_SEED
    ? Number(process.env.RUNPAD_SEED)
    : Math.floor(Math.random() * 2 ** 31);
}

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

// A page in a context of its own (its own storage: another person).
// Records console errors, page errors and the websockets it opens.
export async function openPage(browser, label, options = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    ...options,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const p = { label, context, page, consoleErrors: [], pageErrors: [], sockets: [] };
  page.on("console", (m) => {
    if (m.type() === "error") {
      const loc = m.location();
      p.consoleErrors.push(`${m.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ""}`);
    }
  });
  page.on("pageerror", (e) => p.pageErrors.push(String(e && e.stack || e)));
  page.on("websocket", (ws) => p.sockets.push(ws.url()));
  return p;
}

export async function closeAll(pages) {
  for (const p of pages) {
    try { await p.context.close(); } catch { /* already gone */ }
  }
}

// The editor is there and the connection indicator says connected.
export async function ready(p, timeout = 20000) {
  await p.page.locator(sel.content).waitFor({ state: "visible", timeout });
  await waitState(p, "connected", timeout);
}

export async function connectionState(p) {
  return p.page.getAttribute(sel.connection, "data-state");
}

export async function waitState(p, want, timeout = 20000) {
  const ok = (s) => (typeof want === "function" ? want(s) : s === want);
  const deadline = Date.now() + timeout;
  let s = null;
  for (;;) {
    s = await connectionState(p).catch(() => null);
    if (ok(s)) return s;
    if (Date.now() > deadline) {
      throw new Error(`${p.label}: ${sel.connection} data-state stayed "${s}" for ${timeout} ms (wanted ${typeof want === "function" ? "a change" : `"${want}"`})`);
    }
    await sleep(50);
  }
}

// A pad id nobody has used: 16 random bytes in base64url, as the app makes.
export function freshPadId() {
  return crypto.randomBytes(16).toString("base64url");
}

// Open <site>/ and take its "quick pad" (an open pad, no links): the URL
// becomes <site>/#<padId>.
export async function newPad(p, site = SITE) {
  await p.page.goto(site + "/");
  await p.page.locator(sel.quickPad).click();
  await p.page.waitForURL(/#[A-Za-z0-9_-]{1,64}$/, { timeout: 15000 });
  const pad = new URL(p.page.url()).hash.slice(1);
  await ready(p);
  return pad;
}

export async function joinPad(p, pad, site = SITE) {
  await p.page.goto(`${site}/#${pad}`);
  await ready(p);
  assertEq(new URL(p.page.url()).hash, "#" + pad, `${p.label} stayed on the pad`);
}

function assertEq(a, b, what) {
  if (a !== b) throw new Error(`${what}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
}

// window.__runpad: {text, version}
export async function padState(p) {
  return p.page.evaluate(() => ({
    text: window.__runpad.text(),
    version: window.__runpad.version(),
  }));
}

// The daemon's own view of a pad: a direct websocket, hello, welcome.
// (It joins and leaves the pad, so the pages see a participant come and go.)
// `key`: a link's key, for a pad with links.
export function daemonWelcome(pad, timeout = 10000, key = null) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(WS_BASE + pad);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no welcome from ${WS_BASE + pad} within ${timeout} ms`));
    }, timeout);
    ws.on("open", () => ws.send(JSON.stringify({ type: "hello", version: null, name: "e2e-probe", ...(key ? { key } : {}) })));
    ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      if (m.type === "welcome") {
        clearTimeout(timer);
        ws.close();
        resolve(m);
      } else if (m.type === "error") {
        clearTimeout(timer);
        ws.close();
        reject(new Error(`daemon error ${m.code}: ${m.message}`));
      }
    });
    ws.on("error", (e) => { clearTimeout(timer); reject(e); });
  });
}

// Wait until every page has the same text and version as the daemon.
export async function converge(pages, pad, timeout = 20000, key = null) {
  const deadline = Date.now() + timeout;
  let states = null;
  let daemon = null;
  for (;;) {
    states = await Promise.all(pages.map((p) => padState(p)));
    const same = states.every((s) => s.text === states[0].text && s.version === states[0].version);
    if (same) {
      daemon = await daemonWelcome(pad, 10000, key);
      if (daemon.doc === states[0].text && daemon.version === states[0].version) {
        return { text: daemon.doc, version: daemon.version, welcome: daemon };
      }
    }
    if (Date.now() > deadline) {
      const lines = pages.map((p, i) => `  ${p.label}: version ${states[i].version}, text ${JSON.stringify(states[i].text)}`);
      if (daemon) lines.push(`  daemon: version ${daemon.version}, text ${JSON.stringify(daemon.doc)}`);
      throw new Error(`the pages and the daemon did not converge within ${timeout} ms:\n${lines.join("\n")}`);
    }
    await sleep(200);
  }
}

// Set the display name through the name input.
export async function setName(p, name) {
  const input = p.page.locator(sel.name);
  await input.fill(name);
  await input.press("Enter");
  await input.blur();
}

// Replace the editor's text as a user's paste would (Ctrl+A, then a paste
// event with text/plain): typing code would meet auto-closed brackets and
// auto-indentation.
export async function pasteCode(p, code) {
  const content = p.page.locator(sel.content);
  await content.click();
  await p.page.keyboard.press("Control+a");
  await content.evaluate((el, text) => {
    const dt = new DataTransfer();
    dt.setData("text/plain", text);
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
  }, code);
}

// Type at the end of the document (Ctrl+End, then the keys).
export async function typeAtEnd(p, text, delay = 10) {
  await p.page.locator(sel.content).click();
  await p.page.keyboard.press("Control+End");
  await p.page.keyboard.type(text, { delay });
}

export async function outputText(p) {
  return p.page.locator(sel.output).evaluate((el) => el.textContent);
}

export async function waitOutput(p, pred, what, timeout = 60000) {
  const deadline = Date.now() + timeout;
  let out = null;
  for (;;) {
    out = await outputText(p).catch(() => null);
    if (out !== null && pred(out)) return out;
    if (Date.now() > deadline) {
      throw new Error(`${p.label}: ${sel.output} never ${what} within ${timeout} ms; it is ${JSON.stringify(out)}`);
    }
    await sleep(100);
  }
}

// The verdict id of the badge (its data-verdict; the text is for people,
// e.g. "compile error · exit 1 · ...").
export async function verdictText(p) {
  const v = p.page.locator(sel.verdict);
  if (await v.count() === 0) return null;
  return ((await v.first().getAttribute("data-verdict")) || "").trim();
}

// Wait for the verdict badge to show `verdict`; returns its text.  A badge
// that writes the verdict another way ("compile error" for compile_error)
// ends the wait too: the caller asserts the exact text after its other
// checks, so one run reports every mismatch.
export async function waitVerdict(p, verdict, timeout = 60000) {
  const deadline = Date.now() + timeout;
  const loose = (v) => v.toLowerCase().replace(/[\s-]+/g, "_");
  let v = null;
  for (;;) {
    v = await verdictText(p).catch(() => null);
    if (v && (v.startsWith(verdict) || loose(v).startsWith(verdict))) return v;
    if (Date.now() > deadline) {
      throw new Error(`${p.label}: ${sel.verdict} never started with "${verdict}" within ${timeout} ms; it is ${JSON.stringify(v)}`);
    }
    await sleep(100);
  }
}

export function assertVerdict(p, text, verdict) {
  if (!text.startsWith(verdict)) {
    throw new Error(`${p.label}: ${sel.verdict} text is ${JSON.stringify(text)}; the contract wants it to start with the verdict "${verdict}"`);
  }
}

export async function shot(p, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await p.page.screenshot({ path: file, fullPage: true });
  return file;
}

// No uncaught exception in any page (console errors are reported by the
// tests that care: going offline on purpose logs failed connections).
export function noPageErrors(pages) {
  const bad = pages.filter((p) => p.pageErrors.length);
  if (bad.length) {
    throw new Error("uncaught errors in the page:\n" +
      bad.map((p) => `  ${p.label}: ${p.pageErrors.join("\n    ")}`).join("\n"));
  }
}

export function report(t, pages) {
  for (const p of pages) {
    if (p.consoleErrors.length) t.diagnostic(`${p.label} console errors: ${JSON.stringify(p.consoleErrors)}`);
  }
}

// A TCP proxy in front of the site, for one browser context: cut() drops
// every connection through it and refuses new ones until restore().
// (Chromium's offline emulation, context.setOffline, fails new requests
// but leaves an open websocket working, so it alone cuts nothing.)
export async function startProxy(site = SITE) {
  const target = new URL(site);
  const port = Number(target.port || 80);
  const open = new Set();
  let cut = false;
  let accepted = 0;
  let refused = 0;
  const srv = net.createServer((c) => {
    if (cut) {
      refused++;
      c.destroy();
      return;
    }
    accepted++;
    const u = net.connect(port, target.hostname);
    open.add(c);
    open.add(u);
    const done = () => {
      c.destroy();
      u.destroy();
      open.delete(c);
      open.delete(u);
    };
    c.on("error", done);
    u.on("error", done);
    c.on("close", done);
    u.on("close", done);
    c.pipe(u);
    u.pipe(c);
  });
  await new Promise((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    get stats() { return { accepted, refused, open: open.size }; },
    cut() {
      cut = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() { cut = false; },
    close() {
      for (const s of open) s.destroy();
      return new Promise((resolve) => srv.close(resolve));
    },
  };
}

// Record every data-state the connection indicator takes from now on.
export async function watchStates(p) {
  await p.page.evaluate((s) => {
    const el = document.querySelector(s);
    window.__e2eStates = [el.getAttribute("data-state")];
    new MutationObserver(() => window.__e2eStates.push(el.getAttribute("data-state")))
      .observe(el, { attributes: true, attributeFilter: ["data-state"] });
  }, sel.connection);
}

export async function seenStates(p) {
  return p.page.evaluate(() => window.__e2eStates.slice());
}

// Random keyboard editing: moves (arrows, Home/End, Ctrl+Home/End), short
// strings of [a-z0-9] and Enter, about `keys` keystrokes.  Returns the
// characters it inserted (Enter as "\n"): nothing is deleted, so the final
// text holds exactly the inserted characters of every typist.  Escape
// before Enter closes an autocompletion popup that could swallow it.
export function typingScript(r, keys) {
  const ops = [];
  let n = 0;
  let inserted = "";
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  while (n < keys) {
    const x = r();
    if (x < 0.3) {
      const key = r.pick(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "Control+Home", "Control+End"]);
      const times = key.startsWith("Arrow") ? r.int(1, 4) : 1;
      ops.push({ press: key, times });
      n += times;
    } else if (x < 0.4) {
      ops.push({ press: "Escape", times: 1 }, { press: "Enter", times: 1 });
      inserted += "\n";
      n += 2;
    } else {
      let s = "";
      const len = r.int(1, 6);
      for (let i = 0; i < len; i++) s += r.pick(alphabet);
      ops.push({ type: s });
      inserted += s;
      n += len;
    }
  }
  return { ops, inserted, keys: n };
}

export async function runScript(p, script, r) {
  const kb = p.page.keyboard;
  for (const op of script.ops) {
    if (op.type) {
      await kb.type(op.type, { delay: r.int(0, 15) });
    } else {
      for (let i = 0; i < op.times; i++) await kb.press(op.press);
    }
    if (r() < 0.2) await sleep(r.int(0, 40));
  }
}

export function sortedChars(s) {
  return [...s].sort().join("");
}

// Poll `probe` until `ok` says yes; the last value goes into the error.
export async function waitFor(probe, ok, what, timeout = 20000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await probe().catch((e) => `(${e.message})`);
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeout} ms; last: ${JSON.stringify(last)}`);
    await sleep(100);
  }
}

// The tests panel as drawn: per test its fields, verdict and diff text.
export async function testsPanel(p) {
  return p.page.evaluate((s) => ({
    items: [...document.querySelectorAll(s.testItem)].map((li) => ({
      name: li.querySelector(s.testName)?.value ?? null,
      stdin: li.querySelector(s.testStdin)?.value ?? null,
      expected: li.querySelector(s.testExpected)?.value ?? null,
      verdict: li.querySelector(s.testVerdict)?.getAttribute("data-verdict") ?? null,
      diff: li.querySelector(s.testDiff)?.textContent ?? null,
    })),
    summary: document.querySelector(s.testsSummary)?.textContent?.trim() ?? null,
  }), sel);
}
