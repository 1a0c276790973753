// The web app as the Debian packages serve it (tests/packaging/test_deb.py):
// Debian's Chromium opens RUNPAD_DEB_URL (the stock site's /runpad/), the
// new-interview page, and takes its quick pad; it types a program, presses
// Run and waits for the verdict.  A screenshot goes to RUNPAD_DEB_SHOT.
//   node deb-page.mjs        (exit 0 when the run was accepted)
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, sel } from "./lib.mjs";

const url = process.env.RUNPAD_DEB_URL;
const shot = process.env.RUNPAD_DEB_SHOT || "/tmp/runpad-deb-page.png";
if (!url) {
  console.error("RUNPAD_DEB_URL is not set");
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.locator(sel.quickPad).click();
  await page.waitForSelector(`${sel.connection}[data-state="connected"]`, { timeout: 20000 });
  if (!/\/runpad\/#[A-Za-z0-9_-]{16,}$/.test(page.url())) throw new Error(`no pad link: ${page.url()}`);
  await page.locator(sel.language).selectOption("python");
  await page.click(sel.content);
  await page.keyboard.type('print("hello from the Debian package")');
  await page.click(sel.run);
  await page.waitForSelector(`${sel.verdict}[data-verdict="accepted"]`, { timeout: 30000 });
  const out = await page.locator(sel.output).textContent();
  if (!out.includes("hello from the Debian package")) throw new Error(`output: ${out}`);
  await page.screenshot({ path: shot });
  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
  console.log(`ok: ${page.url()} ran, screenshot ${shot}`);
} finally {
  await browser.close();
}
