// Generates tests/ot/vectors.json from the real @codemirror/state, so that
// common/ot.c is checked against CodeMirror itself without node at test time.
//
//   cd tests/ot && npm ci && node gen_vectors.mjs
//
// Seeded (own PRNG, no Math.random): the same package version gives the same
// file byte for byte.  Documents are what CodeMirror's doc.toString() gives,
// i.e. lines joined with "\n"; positions are UTF-16 units.  Random change
// positions are kept off the middle of surrogate pairs (the server refuses
// those, see the "invalid" list); mapPos probes go everywhere.
import { ChangeSet, EditorState, Text } from "@codemirror/state";
import { readFileSync, writeFileSync } from "node:fs";
import { draws } from "./prng.mjs";

const pkg = JSON.parse(
  readFileSync(new URL("./node_modules/@codemirror/state/package.json", import.meta.url)),
);

const { rnd, int, pick } = draws(20240611);

// Pieces of text: ASCII, line breaks (CRLF and lone CR too, which
// CodeMirror turns into "\n"), combining marks, CJK, astral emoji, ZWJ
// sequences, flags.
const PIECES = [
  "a", "b", "c", "x", "y", " ", "hello", "\t", "\n", "\n", "\r\n", "\r",
  "é", "e\u0301", "ß", "€", "中", "文字", "한", "😀", "👩‍👩‍👧", "🇫🇷",
  "𝔸", "\u0000", "\ufeff", "\ufffd",
];
function randText(maxPieces) {
  let s = "";
  const n = int(maxPieces + 1);
  for (let i = 0; i < n; i++) s += pick(PIECES);
  return s;
}
const norm = (s) => EditorState.create({ doc: s }).doc.toString();

// Code point boundaries of s (UTF-16 positions not inside a pair).
function boundaries(s) {
  const out = [0];
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c < 0xdc00 && i + 1 < s.length ? 2 : 1;
    out.push(i);
  }
  return out;
}

function randChanges(doc, maxChanges) {
  const b = boundaries(doc);
  const specs = [];
  const n = int(maxChanges + 1);
  for (let i = 0; i < n; i++) {
    let from = pick(b), to = pick(b);
    if (from > to) [from, to] = [to, from];
    if (rnd() < 0.4) to = from;
    const insert = rnd() < 0.25 ? "" : randText(3);
    specs.push({ from, to, insert });
  }
  // ChangeSet.of takes unsorted and overlapping specs and composes them.
  if (rnd() < 0.5) specs.sort((x, y) => x.from - y.from || x.to - y.to);
  try {
    return ChangeSet.of(specs, doc.length);
  } catch {
    // overlapping sorted specs throw nothing, but be safe
    return ChangeSet.of([], doc.length);
  }
}

function docOf(s) {
  return Text.of(s.split("\n"));
}

const apply = [], map = [], compose = [], json = [], normalize = [];

function addApply(name, doc, cs) {
  const text = docOf(doc);
  const result = cs.apply(text).toString();
  const mapped = [];
  const probes = new Set([0, doc.length]);
  for (let i = 0; i < 4; i++) probes.add(int(doc.length + 1));
  for (const pos of [...probes].sort((x, y) => x - y))
    for (const assoc of [-1, 1]) mapped.push({ pos, assoc, result: cs.mapPos(pos, assoc) });
  apply.push({
    name, doc, changes: cs.toJSON(), result, len: cs.length, new_len: cs.newLength, mapped,
  });
}

// ------------------------------------------------------------ hand-picked
const hand = [
  ["empty document, nothing", "", []],
  ["insert into empty", "", [{ from: 0, insert: "hello" }]],
  ["insert multi-line into empty", "", [{ from: 0, insert: "a\nb\n\nc" }]],
  ["insert a lone line break", "ab", [{ from: 1, insert: "\n" }]],
  ["insert CRLF text (split into lines)", "ab", [{ from: 1, insert: "x\r\ny\rz\n" }]],
  ["insert at end", "hello", [{ from: 5, insert: " world" }]],
  ["delete everything", "hello\nworld", [{ from: 0, to: 11 }]],
  ["replace everything", "hello\nworld", [{ from: 0, to: 11, insert: "bye" }]],
  ["delete an emoji (a surrogate pair)", "a😀b", [{ from: 1, to: 3 }]],
  ["insert between emoji", "😀😀", [{ from: 2, insert: "|" }]],
  ["insert an emoji", "ab", [{ from: 1, insert: "😀" }]],
  ["ZWJ family, delete one member", "👩‍👩‍👧", [{ from: 3, to: 5 }]],
  ["ZWJ family, insert in the middle", "x👩‍👩‍👧y", [{ from: 4, insert: "🇫🇷" }]],
  ["combining mark, delete the mark", "cafe\u0301!", [{ from: 4, to: 5 }]],
  ["combining mark, insert between base and mark", "e\u0301", [{ from: 1, insert: "x" }]],
  ["precomposed é", "café", [{ from: 3, to: 4, insert: "e\u0301" }]],
  ["CJK", "中文字符", [{ from: 1, to: 3, insert: "汉字" }, { from: 4, insert: "。" }]],
  ["CRLF document (normalised)", norm("one\r\ntwo\r\nthree\r\n"), [{ from: 4, to: 7, insert: "2\r\n2" }]],
  ["lone CR document (normalised)", norm("a\rb\r\rc"), [{ from: 2, to: 3 }]],
  ["multi-line insert and delete", "line1\nline2\nline3", [{ from: 3, to: 9, insert: "X\nY\nZ" }]],
  ["NUL in text", "a\u0000b", [{ from: 1, to: 2, insert: "\u0000\u0000" }]],
  ["BOM and replacement char", "\ufeffx", [{ from: 1, insert: "\ufffd" }]],
  ["adjacent changes", "abcdef", [{ from: 1, to: 2, insert: "X" }, { from: 2, to: 3, insert: "Y" }, { from: 3, insert: "Z" }]],
  ["two inserts at one place", "abc", [{ from: 1, insert: "X" }, { from: 1, insert: "Y" }]],
  ["overlapping specs (composed by ChangeSet.of)", "abcdefgh", [{ from: 5, to: 7, insert: "1" }, { from: 2, to: 6, insert: "22" }]],
];
{
  const specs = [];
  for (let i = 0; i < 200; i += 2) specs.push({ from: i, to: i + 1, insert: i % 4 ? "" : "é" });
  hand.push(["many small changes", "0123456789".repeat(20), specs]);
}
for (const [name, doc, specs] of hand) addApply(name, doc, ChangeSet.of(specs, doc.length));

// ------------------------------------------------------------ random
for (let i = 0; i < 220; i++) {
  const doc = norm(randText(i < 100 ? 8 : 25));
  addApply(`random ${i}`, doc, randChanges(doc, i < 100 ? 3 : 8));
}

for (let i = 0; i < 180; i++) {
  const doc = norm(randText(12));
  const a = randChanges(doc, 4), b = randChanges(doc, 4);
  const before = rnd() < 0.5;
  map.push({ doc, a: a.toJSON(), b: b.toJSON(), before, result: a.map(b, before).toJSON() });
}
// Insertions at the same place both ways round.
for (const before of [false, true]) {
  const a = ChangeSet.of({ from: 1, insert: "A" }, 3), b = ChangeSet.of({ from: 1, insert: "B" }, 3);
  map.push({ doc: "xyz", a: a.toJSON(), b: b.toJSON(), before, result: a.map(b, before).toJSON() });
}
{
  const e = ChangeSet.of([], 3), a = ChangeSet.of({ from: 0, to: 3 }, 3);
  map.push({ doc: "xyz", a: a.toJSON(), b: e.toJSON(), before: false, result: a.map(e).toJSON() });
  map.push({ doc: "xyz", a: e.toJSON(), b: a.toJSON(), before: false, result: e.map(a).toJSON() });
}

for (let i = 0; i < 180; i++) {
  const doc = norm(randText(12));
  const a = randChanges(doc, 4);
  const mid = a.apply(docOf(doc)).toString();
  const b = randChanges(mid, 4);
  compose.push({ doc, a: a.toJSON(), b: b.toJSON(), result: a.compose(b).toJSON() });
}

// fromJSON keeps sections as sent; toJSON prints them back.
for (const input of [
  [], [0], [[0]], [[0, ""]], [1, 2, 3], [[0, "", ""]], [[2, "a", "b"], 0, [0], [0, "x"]],
  [[0, ""], 1, 2, [0]], [3, [0, "😀"], [1, "é", ""]],
]) {
  const cs = ChangeSet.fromJSON(input);
  json.push({ input, output: cs.toJSON(), len: cs.length, new_len: cs.newLength, empty: cs.empty });
}

for (const input of ["", "a", "a\r\nb", "a\rb", "a\n\rb", "\r\r\n\n", "x\r", "\r\n", "e\u0301\r\n😀"])
  normalize.push({ input, output: norm(input) });

// ------------------------------------------------------------ invalid
// changes is JSON text, kept as text so that escapes reach the parser as
// sent.  CodeMirror's fromJSON accepts several of these (negative or
// fractional lengths, lines with "\n"); the server must not.
const invalid = [
  ["too short", "hello", "[3]", "length_mismatch"],
  ["too long", "hello", "[6]", "length_mismatch"],
  ["too long with insert", "hi", "[[3,\"x\"]]", "length_mismatch"],
  ["empty changes on a document", "hi", "[]", "length_mismatch"],
  ["insert inside a surrogate pair", "a😀b", "[2,[0,\"x\"],2]", "split_surrogate"],
  ["delete half a surrogate pair", "a😀b", "[1,[1],2]", "split_surrogate"],
  ["delete from inside a surrogate pair", "😀", "[1,[1]]", "split_surrogate"],
  ["keep ending inside the ZWJ family", "👩‍👩‍👧", "[1,[7]]", "split_surrogate"],
  ["not an array", "", "{}", "invalid_changes"],
  ["a number", "", "5", "invalid_changes"],
  ["a string element", "", "[\"a\"]", "invalid_changes"],
  ["empty inner array", "", "[[]]", "invalid_changes"],
  ["inner array without length", "", "[[\"a\"]]", "invalid_changes"],
  ["number as a line", "", "[[0,2]]", "invalid_changes"],
  ["null as a line", "", "[[0,null]]", "invalid_changes"],
  ["boolean", "", "[true]", "invalid_changes"],
  ["null", "", "[null]", "invalid_changes"],
  ["object element", "", "[{}]", "invalid_changes"],
  ["negative", "", "[-1]", "invalid_changes"],
  ["negative length of a replacement", "", "[[-1,\"a\"]]", "invalid_changes"],
  ["fraction", "a", "[1.5]", "invalid_changes"],
  ["integral double", "a", "[1.0]", "invalid_changes"],
  ["exponent", "a", "[1e0]", "invalid_changes"],
  ["huge", "", "[99999999999999999999]", "invalid_changes"],
  ["above 2^30", "", "[1073741825]", "invalid_changes"],
  ["2^53", "", "[9007199254740992]", "invalid_changes"],
  ["line holding a line feed", "", "[[0,\"a\\nb\"]]", "invalid_changes"],
  ["line holding a carriage return", "", "[[0,\"a\\r\"]]", "invalid_changes"],
  ["trailing comma", "", "[1,]", "invalid_changes"],
  ["text after the value", "a", "[1] x", "invalid_changes"],
  ["empty text", "", "", "invalid_changes"],
  ["truncated", "a", "[1", "invalid_changes"],
  ["lone high surrogate", "", "[[0,\"\\ud800\"]]", "invalid_utf8"],
  ["lone low surrogate", "", "[[0,\"x\\udc00\"]]", "invalid_utf8"],
  ["high surrogate then a letter escape", "", "[[0,\"\\ud800\\u0041\"]]", "invalid_utf8"],
  ["two high surrogates", "", "[[0,\"\\ud83d\\ud83d\"]]", "invalid_utf8"],
  ["high surrogate at the end of a line", "", "[[0,\"a\\uD83D\",\"b\"]]", "invalid_utf8"],
].map(([name, doc, changes, error]) => ({ name, doc, changes, error }));
// An astral character sent raw; test_ot.c also sends it as an escaped pair.
apply.push({
  name: "emoji into empty (no escapes: JSON.stringify keeps it raw)", doc: "", changes: [[0, "😀"]], result: "😀", len: 0, new_len: 2,
  mapped: [{ pos: 0, assoc: -1, result: 0 }, { pos: 0, assoc: 1, result: 2 }],
});

const out = {
  generator: "tests/ot/gen_vectors.mjs",
  codemirror_state: pkg.version,
  apply, map, compose, json, normalize, invalid,
};
writeFileSync(new URL("./vectors.json", import.meta.url), JSON.stringify(out) + "\n");
console.log(
  `vectors.json: ${apply.length} apply, ${map.length} map, ${compose.length} compose, ` +
  `${json.length} json, ${normalize.length} normalize, ${invalid.length} invalid`,
);
