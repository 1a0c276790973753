// Runs from the browser: a shared interactive Python run answered from the
// other browser, and a C compile error shown in the editor.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  closeAll, converge, optionSel, joinPad, launch, newPad, noPageErrors, openPage,
  outputText, pasteCode, report, sel, shot, skip, sleep, verdictText,
  waitOutput, waitVerdict, assertVerdict,
} from "./lib.mjs";

let browser;
before(async () => { if (!skip) browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

async function waitLanguage(p, value, timeout = 10000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await p.page.locator(sel.language).inputValue();
    if (v === value) return;
    if (Date.now() > deadline) throw new Error(`${p.label}: ${sel.language} is "${v}", wanted "${value}"`);
    await sleep(50);
  }
}

const ASK = 'name = input("Your name? ")\nprint("Hello, " + name + "!")';

test("4. an interactive Python run: A runs, B answers input(), both see it", { skip, timeout: 120000 }, async (t) => {
  const a = await openPage(browser, "A");
  const b = await openPage(browser, "B");
  try {
    const pad = await newPad(a);
    await joinPad(b, pad);
    await a.page.selectOption(sel.language, "python");
    await waitLanguage(b, "python");
    await pasteCode(a, ASK);
    const synced = await converge([a, b], pad);
    assert.equal(synced.text, ASK);
    assert.equal(synced.welcome.language, "python");

    const t0 = Date.now();
    await a.page.click(sel.run);
    const prompt = "Your name? ";
    for (const p of [a, b]) {
      const out = await waitOutput(p, (o) => o.includes(prompt), `showed the prompt "${prompt}"`, 60000);
      assert.equal(out, prompt, `${p.label}: the output before any input`);
    }
    t.diagnostic(`the prompt showed ${Date.now() - t0} ms after Run`);
    await shot(a, "04-python-input-prompt-A");

    const stdin = b.page.locator(sel.stdin);
    await stdin.fill("Ada");
    await stdin.press("Enter");
    const want = "Your name? Ada\nHello, Ada!\n";
    for (const p of [a, b]) {
      await waitOutput(p, (o) => o.includes("Hello, Ada!"), 'showed "Hello, Ada!"', 30000);
      await waitVerdict(p, "accepted", 30000);
    }
    // the run's output settles: both terminals hold exactly the same
    await sleep(300);
    for (const p of [a, b]) {
      assert.equal(await outputText(p), want, `${p.label}: ${sel.output}`);
      assertVerdict(p, await verdictText(p), "accepted");
    }
    t.diagnostic(`verdict A: ${JSON.stringify(await verdictText(a))}, B: ${JSON.stringify(await verdictText(b))}`);
    await shot(a, "04-python-input-accepted-A");
    await shot(b, "04-python-input-accepted-B");
    noPageErrors([a, b]);
  } finally {
    report(t, [a, b]);
    await closeAll([a, b]);
  }
});

const BAD_C = "int main(void) {\n  return x;\n}";

test("5. a C compile error underlines line 2 in the editor", { skip, timeout: 120000 }, async (t) => {
  const a = await openPage(browser, "A");
  try {
    const pad = await newPad(a);
    await a.page.selectOption(sel.language, "c");
    await pasteCode(a, BAD_C);
    const synced = await converge([a], pad);
    assert.equal(synced.text, BAD_C);
    assert.equal(synced.welcome.language, "c");
    await a.page.click(sel.run);
    const v = await waitVerdict(a, "compile_error", 60000);
    t.diagnostic(`verdict: ${JSON.stringify(v)}; output: ${JSON.stringify(await outputText(a))}`);

    // a lint mark on line 2: a range in the 2nd .cm-line, or a gutter marker
    // level with it; none on lines 1 and 3
    const find = () => a.page.evaluate(() => {
      const lines = [...document.querySelectorAll('[data-testid="editor"] .cm-content .cm-line')];
      const mid = (el) => { const r = el.getBoundingClientRect(); return (r.top + r.bottom) / 2; };
      const lineOf = (y) => lines.findIndex((l) => {
        const r = l.getBoundingClientRect();
        return y >= r.top && y < r.bottom;
      }) + 1;
      return {
        ranges: lines.map((l, i) => [i + 1, l.querySelectorAll(".cm-lintRange-error").length]).filter(([, n]) => n > 0).map(([i]) => i),
        markers: [...document.querySelectorAll('[data-testid="editor"] .cm-lint-marker-error')].map((m) => lineOf(mid(m))),
        lines: lines.length,
      };
    });
    const deadline = Date.now() + 10000;
    let marks = await find();
    while (!marks.ranges.includes(2) && !marks.markers.includes(2) && Date.now() < deadline) {
      await sleep(100);
      marks = await find();
    }
    t.diagnostic(`lint ranges on lines ${JSON.stringify(marks.ranges)}, gutter markers on lines ${JSON.stringify(marks.markers)}`);
    assert.equal(marks.lines, 3);
    assert.ok(marks.ranges.includes(2) || marks.markers.includes(2),
      `no .cm-lintRange-error in the 2nd .cm-line and no .cm-lint-marker-error level with it: ${JSON.stringify(marks)}`);
    for (const l of marks.ranges.concat(marks.markers)) assert.equal(l, 2, `an error mark on line ${l}`);
    await shot(a, "05-c-compile-error-A");
    assertVerdict(a, v, "compile_error");
    noPageErrors([a]);
  } finally {
    report(t, [a]);
    await closeAll([a]);
  }
});

const NUMPY = "import numpy as np\nimport pandas as pd\nprint(np.arange(5).sum(), pd.Series([2, 4]).mean())";

test("L1. the pad lists its language's libraries with versions, and a numpy + pandas run works", { skip, timeout: 120000 }, async (t) => {
  const a = await openPage(browser, "A");
  try {
    await newPad(a);
    await a.page.selectOption(sel.language, "python");
    // the list is the run API's own, in its order, with its versions
    const runtimes = await a.page.evaluate(async () => (await fetch("api/runtimes")).json());
    const py = runtimes.find((r) => r.language === "python");
    const want = py.libraries.map((l) => `${l.name} ${l.version}`);
    assert.ok(want.length > 0, "the run API lists no Python library: make deps installs them");
    await a.page.click('[data-testid="libraries"] summary');
    const items = a.page.locator('[data-testid="library"]');
    await items.first().waitFor({ timeout: 5000 });
    const shown = (await items.allInnerTexts()).map((s) => s.replace(/\s+/g, " ").trim());
    assert.deepEqual(shown, want);
    await shot(a, "L1-python-libraries");
    // a language without libraries has no such button
    await a.page.selectOption(sel.language, "bash");
    await a.page.locator('[data-testid="libraries"]').waitFor({ state: "detached", timeout: 5000 });

    await a.page.selectOption(sel.language, "python");
    await pasteCode(a, NUMPY);
    await a.page.click(sel.run);
    await waitVerdict(a, "accepted", 60000);
    await waitOutput(a, (o) => o.includes("10 3.0"), 'showed "10 3.0"', 30000);
    assert.equal(await outputText(a), "10 3.0\n");
    noPageErrors([a]);
  } finally {
    report(t, [a]);
    await closeAll([a]);
  }
});

const PLOT = [
  "import matplotlib.pyplot as plt",
  "plt.plot([1, 4, 2, 5], marker='o')",
  "plt.title('runpad')",
  "plt.savefig('out/plot.png')",
  "with open('out/data.csv', 'w') as f:",
  "    f.write('x,y\\n1,4\\n')",
  "print('saved')",
].join("\n");

// the img of out/NAME in p's output panel has loaded: its natural size
async function shownImage(p, name, timeout = 30000) {
  const img = p.page.locator(`[data-testid="run-file"][data-name="${name}"] img`);
  await img.waitFor({ timeout });
  const size = await img.evaluate(async (el) => {
    if (!el.complete) await new Promise((r) => el.addEventListener("load", r, { once: true }));
    return [el.naturalWidth, el.naturalHeight];
  });
  return size;
}

test("L2. a matplotlib plot saved to out/ shows for everyone in the pad, and for one who joins later", { skip, timeout: 150000 }, async (t) => {
  const a = await openPage(browser, "A");
  const b = await openPage(browser, "B");
  let c;
  try {
    const pad = await newPad(a);
    await joinPad(b, pad);
    await a.page.selectOption(sel.language, "python");
    await waitLanguage(b, "python");
    await pasteCode(a, PLOT);
    await converge([a, b], pad);
    await a.page.click(sel.run);
    for (const p of [a, b]) {
      await waitVerdict(p, "accepted", 60000);
      const [w, h] = await shownImage(p, "plot.png");
      // matplotlib's default figure: 6.4 x 4.8 in at 100 dpi
      assert.deepEqual([w, h], [640, 480], `${p.label}: the plot's size`);
      const csv = await p.page.locator('[data-testid="run-file"][data-name="data.csv"] pre').innerText();
      assert.equal(csv, "x,y\n1,4\n");
    }
    await a.page.locator('[data-testid="run-files"]').scrollIntoViewIfNeeded();
    await shot(a, "L2-plot-A");
    await shot(b, "L2-plot-B");
    // the run is kept with the pad: a late joiner sees the same plot
    c = await openPage(browser, "C");
    await joinPad(c, pad);
    const [w, h] = await shownImage(c, "plot.png");
    assert.deepEqual([w, h], [640, 480], "C: the plot of the run before it came");
    await shot(c, "L2-plot-late-C");
    noPageErrors([a, b, c]);
  } finally {
    report(t, [a, b, ...(c ? [c] : [])]);
    await closeAll([a, b, ...(c ? [c] : [])]);
  }
});

async function waitValue(p, selector, value, timeout = 10000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await p.page.locator(selector).inputValue().catch(() => null);
    if (v === value) return;
    if (Date.now() > deadline) throw new Error(`${p.label}: ${selector} is "${v}", wanted "${value}"`);
    await sleep(50);
  }
}

const WHICH_C = '#include <stdio.h>\nint main(void) {\n  printf("%d %ld\\n", __clang_major__, __STDC_VERSION__);\n  return 0;\n}';

test("V1. A picks clang-15 and std=c11 beside the language, B's pickers follow, the run uses them", { skip, timeout: 120000 }, async (t) => {
  const a = await openPage(browser, "A");
  const b = await openPage(browser, "B");
  try {
    const pad = await newPad(a);
    // the page's own view of the run API: its URL is the site's now
    const runtimes = await a.page.evaluate(async () => (await fetch("api/runtimes")).json());
    const c = runtimes.find((r) => r.language === "c");
    if (!c || !(c.variants ?? []).some((v) => v.id === "clang-15")) {
      t.skip("this server's C has no clang-15");
      return;
    }
    await joinPad(b, pad);
    await a.page.selectOption(sel.language, "c");
    await waitLanguage(b, "c");
    // before any choice: the defaults, for everyone
    const def = c.variants.find((v) => v.default).id;
    for (const p of [a, b]) await waitValue(p, sel.variant, def);
    await a.page.selectOption(sel.variant, "clang-15");
    await a.page.selectOption(optionSel("std"), "c11");
    for (const p of [a, b]) {
      await waitValue(p, sel.variant, "clang-15");
      await waitValue(p, optionSel("std"), "c11");
    }
    await pasteCode(a, WHICH_C);
    const synced = await converge([a, b], pad);
    assert.equal(synced.welcome.variant, "clang-15");
    assert.equal(synced.welcome.options.std, "c11");
    await b.page.click(sel.run);
    for (const p of [a, b]) await waitVerdict(p, "accepted", 60000);
    for (const p of [a, b]) assert.equal(await outputText(p), "15 201112\n", `${p.label}: ${sel.output}`);
    await shot(b, "V1-clang-15-c11-B");

    // another language resets the choice for everyone
    await b.page.selectOption(sel.language, "python");
    await waitLanguage(a, "python");
    await a.page.selectOption(sel.language, "c");
    for (const p of [a, b]) {
      await waitValue(p, sel.variant, def);
      await waitValue(p, optionSel("std"), c.options.find((o) => o.name === "std").default);
    }
    noPageErrors([a, b]);
  } finally {
    report(t, [a, b]);
    await closeAll([a, b]);
  }
});
