// The pad's tests as this page holds them (docs/protocol.md "tests"): a
// list of {name, stdin, expected_stdout} that the daemon keeps with the pad
// and replaces as a whole on every `tests` message, relayed to everyone.
//
// Local edits are sent debounced (the whole list, as the protocol wants);
// adding and removing a test is sent at once.  A list from the daemon (a
// welcome, someone's edit, the echo of our own) replaces the local one,
// except for the fields this page has changed and not sent yet, and the
// field the user is typing in: those keep the local text, so a remote
// update to another test (or an echo of an older send) never clobbers what
// is being typed.  Remote and local tests are paired by content (an
// order-keeping alignment), not by index, so a test someone else removes
// or inserts does not shift the one being edited.
//
// No DOM, no socket: `send` and the timer are injected (tests use fakes).
import type { TestCase, TestJSON } from "../lib/protocol";

export type { TestCase };
export type TestField = "name" | "stdin" | "expected_stdout";
export const FIELDS: TestField[] = ["name", "stdin", "expected_stdout"];

// A test on this page; `key` is local (React keys, focus, dirty fields).
export interface LocalTest extends TestCase {
  key: string;
}

export const LIMITS = { tests: 64, name_bytes: 64, field_bytes: 64 * 1024, total_bytes: 256 * 1024 };

const enc = new TextEncoder();
export function utf8Length(s: string): number {
  return enc.encode(s).length;
}

// The longest head of `s` of at most `max` UTF-8 bytes (whole characters).
export function cutUtf8(s: string, max: number): string {
  if (utf8Length(s) <= max) return s;
  let n = 0,
    out = "";
  for (const ch of s) {
    const l = utf8Length(ch);
    if (n + l > max) break;
    n += l;
    out += ch;
  }
  return out;
}

// A tests list from the wire (welcome.tests, a tests message): null when it
// is not a list; entries are made whole (missing strings → "").
export function normalizeTests(x: unknown): TestCase[] | null {
  if (!Array.isArray(x)) return null;
  return x.map((t) => {
    const o = (t && typeof t === "object" ? t : {}) as Record<string, unknown>;
    const s = (v: unknown) => (typeof v === "string" ? v : "");
    return { name: s(o.name), stdin: s(o.stdin), expected_stdout: s(o.expected_stdout) };
  });
}

// What the daemon would refuse (tests_too_large, bad_message), in words; null if fine.
export function checkTests(tests: TestCase[]): string | null {
  if (tests.length > LIMITS.tests) return `At most ${LIMITS.tests} tests.`;
  let total = 0;
  for (let i = 0; i < tests.length; i++) {
    const t = tests[i];
    const nb = utf8Length(t.name),
      ib = utf8Length(t.stdin),
      eb = utf8Length(t.expected_stdout);
    if (nb > LIMITS.name_bytes) return `Test ${i + 1}: the name is over ${LIMITS.name_bytes} bytes.`;
    if (ib > LIMITS.field_bytes) return `Test ${i + 1}: the input is over 64 KiB.`;
    if (eb > LIMITS.field_bytes) return `Test ${i + 1}: the expected output is over 64 KiB.`;
    total += nb + ib + eb;
  }
  if (total > LIMITS.total_bytes) return "The tests are over 256 KiB in all.";
  return null;
}

export function testsMessage(tests: TestCase[]): { type: "tests"; tests: TestJSON[] } {
  return {
    type: "tests",
    tests: tests.map((t) => ({
      ...(t.name ? { name: t.name } : {}),
      stdin: t.stdin,
      expected_stdout: t.expected_stdout,
    })),
  };
}

export function plainTests(items: LocalTest[]): TestCase[] {
  return items.map((t) => ({ name: t.name, stdin: t.stdin, expected_stdout: t.expected_stdout }));
}

function score(a: TestCase, b: TestCase): number {
  let s = 0;
  for (const f of FIELDS) if (a[f] === b[f]) s++;
  return s === 3 ? 4 : s;
}

// Pairs remote tests with local ones, keeping order: for each remote index
// the local index it continues, or null for a new test.  Maximises the sum
// of similarity (equal fields; a whole match counts more); tests that share
// no field are never paired.
export function alignTests(local: TestCase[], remote: TestCase[]): (number | null)[] {
  const n = local.length,
    m = remote.length;
  const w = m + 1;
  const best = new Int32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const s = score(local[i], remote[j]);
      let v = Math.max(best[(i + 1) * w + j], best[i * w + j + 1]);
      if (s > 0) v = Math.max(v, s + best[(i + 1) * w + j + 1]);
      best[i * w + j] = v;
    }
  }
  const pair = new Array<number | null>(m).fill(null);
  let i = 0,
    j = 0;
  while (i < n && j < m) {
    const s = score(local[i], remote[j]);
    if (s > 0 && best[i * w + j] === s + best[(i + 1) * w + j + 1]) {
      pair[j] = i;
      i++;
      j++;
    } else if (best[i * w + j] === best[(i + 1) * w + j]) i++;
    else j++;
  }
  return pair;
}

// The remote list, with the local text of the fields `keep` says to keep.
// Local tests no remote one continues are dropped (someone removed them),
// unless they hold kept fields (an unsent new test).
export function mergeRemote(
  local: LocalTest[],
  remote: TestCase[],
  keep: (key: string, field: TestField) => boolean,
  newKey: () => string,
): LocalTest[] {
  const pair = alignTests(local, remote);
  const out: LocalTest[] = [];
  const keepsAny = (t: LocalTest) => FIELDS.some((f) => keep(t.key, f));
  let li = 0; // next local index not yet passed
  const flushLocal = (upto: number) => {
    for (; li < upto; li++) if (keepsAny(local[li])) out.push({ ...local[li] });
  };
  remote.forEach((r, j) => {
    const p = pair[j];
    if (p === null) {
      out.push({ key: newKey(), ...r });
      return;
    }
    flushLocal(p);
    li = p + 1;
    const l = local[p];
    const t: LocalTest = { key: l.key, ...r };
    for (const f of FIELDS) if (keep(l.key, f)) t[f] = l[f];
    out.push(t);
  });
  flushLocal(local.length);
  return out;
}

export interface TestsSnapshot {
  items: LocalTest[];
  error: string | null; // the list cannot be sent as it is (too large)
  pending: boolean; // local changes not sent yet
}

export interface TestsStateOptions {
  send(msg: ReturnType<typeof testsMessage>): boolean; // false: not connected
  onChange(s: TestsSnapshot): void;
  delayMs?: number; // debounce of edits, default 400
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

const fk = (key: string, field: TestField) => key + "\u0000" + field;

export class TestsState {
  items: LocalTest[] = [];
  error: string | null = null;
  private lastRemote: TestCase[] | null = null;
  private dirty = new Set<string>(); // changed here, not sent yet
  private sent = new Set<string>(); // sent, our echo not back yet
  private inflight = 0; // our tests messages not echoed yet
  private structural = false; // an add or remove not sent yet
  private focus: { key: string; field: TestField } | null = null;
  private timer: unknown = null;
  private seq = 0;
  private readonly delay: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;

  constructor(private readonly opts: TestsStateOptions) {
    this.delay = opts.delayMs ?? 400;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  }

  get pending(): boolean {
    return this.structural || this.dirty.size > 0;
  }

  private newKey = (): string => `t${++this.seq}`;

  private keep = (key: string, field: TestField): boolean =>
    this.dirty.has(fk(key, field)) ||
    this.sent.has(fk(key, field)) ||
    (this.focus !== null && this.focus.key === key && this.focus.field === field);

  private changed(): void {
    this.opts.onChange({ items: this.items, error: this.error, pending: this.pending });
  }

  // A list from the daemon: a tests message; `mine` when it is the echo of
  // one this page sent (the daemon answers each in order).
  remote(list: TestCase[], mine = false): void {
    if (mine && this.inflight > 0 && --this.inflight === 0) this.sent.clear();
    this.lastRemote = list;
    const next = mergeRemote(this.items, list, this.keep, this.newKey);
    const live = new Set(next.map((t) => t.key));
    for (const set of [this.dirty, this.sent])
      for (const d of [...set]) if (!live.has(d.split("\u0000")[0])) set.delete(d);
    if (this.focus && !live.has(this.focus.key)) this.focus = null;
    this.items = next;
    this.error = checkTests(plainTests(next));
    this.changed();
  }

  // welcome.tests, after a (re)connection: what was sent and not echoed
  // may have been lost with the connection, so it is sent again.
  welcome(list: TestCase[]): void {
    for (const d of this.sent) this.dirty.add(d);
    this.sent.clear();
    this.inflight = 0;
    this.remote(list);
    this.flush();
  }

  edit(key: string, field: TestField, value: string): void {
    const i = this.items.findIndex((t) => t.key === key);
    if (i < 0) return;
    value = value.replaceAll("\0", ""); // the daemon refuses NUL
    if (field === "name") value = cutUtf8(value.replace(/[\r\n]/g, " "), LIMITS.name_bytes);
    if (this.items[i][field] === value) return;
    this.items = this.items.map((t, k) => (k === i ? { ...t, [field]: value } : t));
    this.dirty.add(fk(key, field));
    this.error = checkTests(plainTests(this.items));
    this.schedule();
    this.changed();
  }

  // A new empty test at the end; sent at once.  Returns its key, or null
  // at the limit.
  add(): string | null {
    if (this.items.length >= LIMITS.tests) return null;
    const key = this.newKey();
    this.items = [...this.items, { key, name: "", stdin: "", expected_stdout: "" }];
    for (const f of FIELDS) this.dirty.add(fk(key, f));
    this.structural = true;
    this.flush();
    this.changed();
    return key;
  }

  remove(key: string): void {
    if (!this.items.some((t) => t.key === key)) return;
    this.items = this.items.filter((t) => t.key !== key);
    for (const f of FIELDS) this.dirty.delete(fk(key, f));
    if (this.focus?.key === key) this.focus = null;
    this.structural = true;
    this.error = checkTests(plainTests(this.items));
    this.flush();
    this.changed();
  }

  setFocus(key: string, field: TestField): void {
    this.focus = { key, field };
  }

  // The field lost focus: send what was typed now, then catch up with the
  // daemon's last list for it.
  blur(key: string, field: TestField): void {
    if (this.focus && this.focus.key === key && this.focus.field === field) this.focus = null;
    this.flush();
    if (this.lastRemote) this.remote(this.lastRemote);
  }

  private schedule(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.flush();
    }, this.delay);
  }

  // Send the local changes now (before a run, after a reconnection).
  flush(): boolean {
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
    if (!this.pending) return true;
    const tests = plainTests(this.items);
    this.error = checkTests(tests);
    if (this.error) {
      this.changed();
      return false;
    }
    if (!this.opts.send(testsMessage(tests))) return false; // offline: kept, sent after the welcome
    for (const d of this.dirty) this.sent.add(d);
    this.inflight++;
    this.dirty.clear();
    this.structural = false;
    this.changed();
    return true;
  }

  // The daemon refused our list (tests_too_large, bad_message): back to its own.
  refused(): void {
    this.dirty.clear();
    this.sent.clear();
    this.inflight = 0;
    this.structural = false;
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
    if (this.lastRemote) this.remote(this.lastRemote);
    else this.changed();
  }

  dispose(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }
}
