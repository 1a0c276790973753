// A seeded PRNG and random edits that stress the daemon's UTF-16 handling.
// RUNPAD_SEED replays a run; every test prints the seed it used.

export function seedFromEnv() {
  const env = process.env.RUNPAD_SEED;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0) throw new Error(`RUNPAD_SEED must be a non-negative integer, not ${env}`);
    return n >>> 0;
  }
  return (Math.random() * 2 ** 32) >>> 0;
}

// mulberry32: small, fast, good enough to drive a test
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n); // 0 <= x < n
  next.pick = (arr) => arr[Math.floor(next() * arr.length)];
  next.chance = (p) => next() < p;
  next.between = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  next.fork = () => prng((next() * 2 ** 32) >>> 0);
  return next;
}

// Text that is hard to count: astral characters (two UTF-16 units, four
// UTF-8 bytes), ZWJ sequences, combining marks, CRLF and lone CR (which
// CodeMirror turns into "\n" before they are sent), tabs, CJK.
export const SNIPPETS = [
  "a", "hello", "x", " ", "\n", "\t", "😀", "👩‍👩‍👧", "e\u0301", "é",
  "\r\n", "line one\nline two\n", "ß", "中文", "x😀y", "\r", "€", "🇫🇷",
  "if (a < b) {\r\n  return;\r\n}\r\n", "\u00a0", "ﬁ", "𝕏",
];

const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c) => c >= 0xdc00 && c <= 0xdfff;

// the nearest position at or before i that does not split a surrogate pair
export function boundary(doc, i) {
  if (i > 0 && i < doc.length && isLow(doc.charCodeAt(i)) && isHigh(doc.charCodeAt(i - 1))) return i - 1;
  return i;
}

export function randomText(rng) {
  let s = "";
  const n = rng.between(1, 3);
  for (let i = 0; i < n; i++) s += rng.pick(SNIPPETS);
  return s;
}

// A ChangeSpec array (sorted, not overlapping) against doc: inserts,
// deletes, replacements, sometimes two ranges at once, rarely a delete of
// everything.  maxLen keeps the document small.
export function randomChanges(rng, doc, maxLen = 2000) {
  const len = doc.length;
  if (len > 0 && rng.chance(0.006)) return [{ from: 0, to: len }];
  const ranges = rng.chance(0.2) ? 2 : 1;
  const cuts = [];
  for (let i = 0; i < ranges * 2; i++) cuts.push(boundary(doc, rng.int(len + 1)));
  cuts.sort((a, b) => a - b);
  const specs = [];
  for (let i = 0; i < cuts.length; i += 2) {
    let from = cuts[i], to = cuts[i + 1];
    const del = len > maxLen ? 0.9 : 0.25;
    if (!rng.chance(del)) to = rng.chance(0.8) ? from : to; // mostly inserts
    else if (to - from > 12) to = boundary(doc, from + rng.int(12));
    const insert = (to > from && rng.chance(0.6)) ? "" : randomText(rng);
    if (to === from && insert === "") continue;
    specs.push({ from, to, insert });
  }
  if (!specs.length) specs.push({ from: boundary(doc, rng.int(len + 1)), insert: randomText(rng) });
  // two ranges may share a point: make them not overlap
  for (let i = 1; i < specs.length; i++) {
    if (specs[i].from < specs[i - 1].to) specs[i].from = specs[i - 1].to;
    if (specs[i].to < specs[i].from) specs[i].to = specs[i].from;
  }
  return specs;
}
