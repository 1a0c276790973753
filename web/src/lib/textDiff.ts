import { ChangeSet, Text } from "@codemirror/state";

// The smallest single replacement that turns `a` into `b`: common prefix and
// suffix kept, the middle replaced.  Never cuts a surrogate pair in two (the
// daemon refuses such changes with split_surrogate).
export function diffText(a: Text | string, b: string): ChangeSet {
  const at = typeof a === "string" ? Text.of(a.split("\n")) : a;
  const as = at.toString();
  let p = 0;
  const max = Math.min(as.length, b.length);
  while (p < max && as.charCodeAt(p) === b.charCodeAt(p)) p++;
  if (p > 0 && isHigh(as.charCodeAt(p - 1))) p--;
  let s = 0;
  while (s < max - p && as.charCodeAt(as.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  if (s > 0 && isLow(as.charCodeAt(as.length - s))) s--;
  const from = p;
  const to = as.length - s;
  const insert = b.slice(p, b.length - s);
  if (from === to && !insert) return ChangeSet.empty(as.length);
  return ChangeSet.of({ from, to, insert }, as.length);
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
