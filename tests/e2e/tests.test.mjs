// The tests panel: tests written in one browser show in the other, a run of
// the tests started there gives both the same verdicts, the summary and a
// line diff for the wrong answer.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  closeAll, converge, daemonWelcome, joinPad, launch, newPad, noPageErrors, openPage,
  outputText, pasteCode, report, sel, shot, skip, sleep, testsPanel, waitFor,
} from "./lib.mjs";

let browser;
before(async () => { if (!skip) browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

const SUM = "a, b = map(int, input().split())\nprint(a + b)";
const TESTS = [
  { stdin: "1 2", expected: "3" },
  { stdin: "2 2", expected: "5" }, // wrong on purpose: the program prints 4
];

async function waitLanguage(p, value, timeout = 10000) {
  await waitFor(() => p.page.locator(sel.language).inputValue(), (v) => v === value,
    `${p.label}: ${sel.language} = "${value}"`, timeout);
}

test("9. tests: A writes two, B sees them and runs them, both see the verdicts and the diff", { skip, timeout: 120000 }, async (t) => {
  const a = await openPage(browser, "A");
  const b = await openPage(browser, "B");
  const pages = [a, b];
  try {
    const pad = await newPad(a);
    await joinPad(b, pad);
    await a.page.selectOption(sel.language, "python");
    await waitLanguage(b, "python");
    await pasteCode(a, SUM);
    const synced = await converge([a, b], pad);
    assert.equal(synced.text, SUM);
    assert.deepEqual(synced.welcome.tests, [], "a new pad's welcome has tests: []");

    // A writes the tests, through the keyboard-reachable controls
    await a.page.click(sel.tabTests);
    for (const [i, tc] of TESTS.entries()) {
      await a.page.click(sel.addTest);
      const item = a.page.locator(sel.testItem).nth(i);
      await item.waitFor();
      await item.locator(sel.testStdin).fill(tc.stdin);
      await item.locator(sel.testExpected).fill(tc.expected);
    }
    await a.page.locator(sel.testItem).nth(1).locator(sel.testExpected).blur();

    // B sees the same list, live
    await b.page.click(sel.tabTests);
    const want = TESTS.map((tc) => ({ stdin: tc.stdin, expected: tc.expected }));
    const fields = (s) => (typeof s === "string" ? s : s.items.map((x) => ({ stdin: x.stdin, expected: x.expected })));
    const t0 = Date.now();
    const seen = await waitFor(() => testsPanel(b), (s) => JSON.stringify(fields(s)) === JSON.stringify(want),
      "B: the tests A wrote", 15000);
    t.diagnostic(`B saw A's tests ${Date.now() - t0} ms after A's last keystroke: ${JSON.stringify(seen.items)}`);
    // and the daemon keeps them with the pad
    const w = await daemonWelcome(pad);
    assert.deepEqual(w.tests.map((x) => ({ stdin: x.stdin, expected: x.expected_stdout })), want, "welcome.tests");

    // B runs them
    const runTests = b.page.locator(sel.runTests);
    assert.equal(await runTests.isEnabled(), true, `B: ${sel.runTests} is enabled with two tests`);
    await runTests.click();
    const done = (s) => s.summary === "1/2" && s.items.length === 2 && s.items[1].diff !== null;
    const results = {};
    for (const p of [a, b]) {
      results[p.label] = await waitFor(() => testsPanel(p), done, `${p.label}: ${sel.testsSummary} "1/2" and a diff`, 60000);
    }
    await sleep(300);
    for (const p of [a, b]) {
      const s = await testsPanel(p);
      t.diagnostic(`${p.label}: ${JSON.stringify(s)}`);
      assert.equal(s.summary, "1/2", `${p.label}: ${sel.testsSummary}`);
      assert.deepEqual(s.items.map((x) => x.verdict), ["accepted", "wrong_answer"], `${p.label}: the verdicts`);
      assert.equal(s.items[0].diff, null, `${p.label}: no diff for an accepted test`);
      const lines = s.items[1].diff.split("\n").map((l) => l.trimEnd()).filter(Boolean);
      assert.ok(lines.includes("-5"), `${p.label}: the diff has the expected line "-5": ${JSON.stringify(lines)}`);
      assert.ok(lines.includes("+4"), `${p.label}: the diff has the printed line "+4": ${JSON.stringify(lines)}`);
      assert.ok(lines.indexOf("-5") < lines.indexOf("+4"), `${p.label}: expected before printed`);
      assert.deepEqual(fields(s), want, `${p.label}: the tests are unchanged by the run`);
    }
    // the button is usable again once the run ended
    await waitFor(() => runTests.isEnabled(), (x) => x === true, `B: ${sel.runTests} enabled after the run`, 10000);
    // the shared verdict of the run in the output tab
    await b.page.click(sel.tabOutput);
    const badge = await b.page.locator(sel.verdict).getAttribute("data-verdict");
    assert.equal(badge, "wrong_answer", `B: ${sel.verdict} of the tests run`);
    assert.equal(await outputText(b), "3\n4\n", `B: ${sel.output}: each test's stdout in turn`);
    await shot(b, "09-tests-output-B");
    await b.page.click(sel.tabTests);
    await shot(a, "09-tests-A");
    await shot(b, "09-tests-B");

    // someone joining later gets the tests and the run's verdicts from the welcome
    const c = await openPage(browser, "C");
    pages.push(c);
    await joinPad(c, pad);
    await c.page.click(sel.tabTests);
    const late = await waitFor(() => testsPanel(c), done, `C (joined after the run): ${sel.testsSummary} "1/2" and a diff`, 15000);
    assert.deepEqual(fields(late), want, "C: the tests");
    assert.deepEqual(late.items.map((x) => x.verdict), ["accepted", "wrong_answer"], "C: the verdicts");
    assert.equal(late.items[1].diff, results.B.items[1].diff, "C: the same diff");
    noPageErrors(pages);
  } finally {
    report(t, pages);
    await closeAll(pages);
  }
});
