// A line diff of a test's expected output against what the program printed,
// for wrong answers.  "-" lines are expected but missing, "+" lines were
// printed but not expected, " " lines are the same in both (the usual
// `diff expected actual` convention).
//
// Lines compare as the runner's default "lines" comparison does
// (docs/api.md "tests and compare"): blanks (spaces, tabs, \r) at the end of
// a line do not count, nor do blank lines at the end of the output.  The
// text shown is the line as it is, without its trailing \r.
//
// A longest common subsequence over the lines, after cutting the common
// head and tail; a middle too big for the table (rows × columns over
// MAX_CELLS) is shown as all removed, then all added.

export type DiffOp = " " | "-" | "+";
export interface DiffLine {
  op: DiffOp;
  text: string;
}

export const MAX_CELLS = 4_000_000;

export function splitLines(s: string): string[] {
  if (s === "") return [];
  const lines = s.split("\n").map((l) => l.replace(/\r$/, ""));
  // blank lines at the end (and the empty piece after a final \n)
  while (lines.length && lines[lines.length - 1].trim() === "") lines.pop();
  return lines;
}

const key = (l: string) => l.replace(/[ \t\r]+$/, "");

export function lineDiff(expected: string, actual: string, maxCells = MAX_CELLS): DiffLine[] {
  const a = splitLines(expected);
  const b = splitLines(actual);
  const ka = a.map(key);
  const kb = b.map(key);
  let head = 0;
  while (head < a.length && head < b.length && ka[head] === kb[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && ka[a.length - 1 - tail] === kb[b.length - 1 - tail])
    tail++;

  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ op: " ", text: b[i] });
  const ma = a.slice(head, a.length - tail),
    mb = b.slice(head, b.length - tail);
  const mka = ka.slice(head, a.length - tail),
    mkb = kb.slice(head, b.length - tail);
  const n = ma.length,
    m = mb.length;
  if (n * m > maxCells) {
    for (const t of ma) out.push({ op: "-", text: t });
    for (const t of mb) out.push({ op: "+", text: t });
  } else if (n && m) {
    // lcs[i][j]: the LCS length of ma[i..] and mb[j..]
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] =
          mka[i] === mkb[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0,
      j = 0;
    while (i < n && j < m) {
      if (mka[i] === mkb[j]) {
        out.push({ op: " ", text: mb[j] });
        i++;
        j++;
      } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) out.push({ op: "-", text: ma[i++] });
      else out.push({ op: "+", text: mb[j++] });
    }
    while (i < n) out.push({ op: "-", text: ma[i++] });
    while (j < m) out.push({ op: "+", text: mb[j++] });
  } else {
    for (const t of ma) out.push({ op: "-", text: t });
    for (const t of mb) out.push({ op: "+", text: t });
  }
  for (let i = b.length - tail; i < b.length; i++) out.push({ op: " ", text: b[i] });
  return out;
}

// The lines to draw: every changed line with up to `context` unchanged lines
// around it; runs of unchanged lines between become one "…" marker (null).
export function withContext(diff: DiffLine[], context = 3): (DiffLine | null)[] {
  const keep = diff.map(() => false);
  diff.forEach((d, i) => {
    if (d.op === " ") return;
    for (let k = Math.max(0, i - context); k <= Math.min(diff.length - 1, i + context); k++) keep[k] = true;
  });
  const out: (DiffLine | null)[] = [];
  let skipped = false;
  diff.forEach((d, i) => {
    if (keep[i]) {
      out.push(d);
      skipped = false;
    } else if (!skipped) {
      out.push(null);
      skipped = true;
    }
  });
  return out;
}
