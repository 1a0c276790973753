import { describe, it, expect, beforeEach } from "vitest";
import { lineDiff, splitLines, withContext, DiffLine } from "./lineDiff";
import {
  alignTests,
  checkTests,
  cutUtf8,
  LocalTest,
  mergeRemote,
  normalizeTests,
  TestCase,
  TestsSnapshot,
  TestsState,
  testsMessage,
  utf8Length,
} from "./testsModel";
import { emptyRun, foldRun, terminalText, verdictText } from "../run/runModel";
import { testStatus } from "./TestsPanel";

const show = (d: DiffLine[]) => d.map((l) => l.op + l.text);

describe("line diff", () => {
  it("splits lines as the runner compares them", () => {
    expect(splitLines("")).toEqual([]);
    expect(splitLines("4\n")).toEqual(["4"]);
    expect(splitLines("4  \n\n\n")).toEqual(["4  "]);
    expect(splitLines("a\r\nb")).toEqual(["a", "b"]);
    expect(splitLines("\n\na")).toEqual(["", "", "a"]);
  });
  it("gives - for expected and + for printed lines", () => {
    expect(show(lineDiff("5", "4\n"))).toEqual(["-5", "+4"]);
    expect(show(lineDiff("1\n2\n3\n", "1\n2\n3\n"))).toEqual([" 1", " 2", " 3"]);
    expect(show(lineDiff("a\nb\nc\n", "a\nc\n"))).toEqual([" a", "-b", " c"]);
    expect(show(lineDiff("a\nc\n", "a\nb\nc\n"))).toEqual([" a", "+b", " c"]);
    expect(show(lineDiff("", "x\n"))).toEqual(["+x"]);
    expect(show(lineDiff("x", ""))).toEqual(["-x"]);
  });
  it("is a longest common subsequence", () => {
    const d = lineDiff("a\nb\nc\nd\ne\n", "x\nb\nd\ny\ne\n");
    expect(d.filter((l) => l.op === " ").map((l) => l.text)).toEqual(["b", "d", "e"]);
    expect(show(d)).toEqual(["-a", "+x", " b", "-c", " d", "+y", " e"]);
    // rebuilding both sides from the diff
    const exp = d.filter((l) => l.op !== "+").map((l) => l.text);
    const act = d.filter((l) => l.op !== "-").map((l) => l.text);
    expect(exp).toEqual(["a", "b", "c", "d", "e"]);
    expect(act).toEqual(["x", "b", "d", "y", "e"]);
  });
  it("ignores blanks at line ends and blank lines at the end, shows the printed line", () => {
    expect(show(lineDiff("1\n2\n", "1  \n2\t\n\n\n"))).toEqual([" 1  ", " 2\t"]);
    expect(show(lineDiff(" 1", "1"))).toEqual(["- 1", "+1"]); // leading blanks count
  });
  it("falls back to removed-then-added past the size cap", () => {
    const a = "h\n" + Array.from({ length: 50 }, (_, i) => `a${i}`).join("\n") + "\nt";
    const b = "h\n" + Array.from({ length: 50 }, (_, i) => (i % 2 && i < 49 ? `a${i}` : `b${i}`)).join("\n") + "\nt";
    const d = lineDiff(a, b, 100);
    expect(d[0]).toEqual({ op: " ", text: "h" });
    expect(d[d.length - 1]).toEqual({ op: " ", text: "t" });
    expect(d.slice(1, 51).every((l) => l.op === "-")).toBe(true);
    expect(d.slice(51, 101).every((l) => l.op === "+")).toBe(true);
    expect(lineDiff(a, b).filter((l) => l.op === " ").length).toBe(26); // h, t, the 24 odd lines 1..47
  });
  it("keeps context around changes", () => {
    const d = lineDiff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\n5\n6\n7\n8\nX\n");
    const c = withContext(d, 2);
    expect(c[0]).toBe(null);
    expect(c.slice(1).map((l) => l && l.op + l.text)).toEqual([" 7", " 8", "-9", "+X"]);
  });
});

const T = (name: string, stdin: string, expected_stdout: string): TestCase => ({ name, stdin, expected_stdout });
let keyN = 0;
const L = (key: string, t: TestCase): LocalTest => ({ key, ...t });
const nk = () => `n${++keyN}`;

describe("tests list helpers", () => {
  it("normalizes wire lists", () => {
    expect(normalizeTests(undefined)).toBe(null);
    expect(normalizeTests({})).toBe(null);
    expect(normalizeTests([])).toEqual([]);
    expect(normalizeTests([{ stdin: "1", expected_stdout: "2" }, null, { name: 3 }])).toEqual([
      T("", "1", "2"),
      T("", "", ""),
      T("", "", ""),
    ]);
  });
  it("builds the message (name only when set)", () => {
    expect(testsMessage([T("one", "1 2\n", "3\n"), T("", "a", "b")])).toEqual({
      type: "tests",
      tests: [
        { name: "one", stdin: "1 2\n", expected_stdout: "3\n" },
        { stdin: "a", expected_stdout: "b" },
      ],
    });
    expect(JSON.stringify(testsMessage([]))).toBe('{"type":"tests","tests":[]}');
  });
  it("checks the daemon's limits", () => {
    expect(checkTests([T("a", "b", "c")])).toBe(null);
    expect(checkTests(Array.from({ length: 65 }, () => T("", "", "")))).toMatch(/64 tests/);
    expect(checkTests([T("é".repeat(33), "", "")])).toMatch(/name/);
    expect(checkTests([T("", "x".repeat(65536), "")])).toBe(null);
    expect(checkTests([T("", "x".repeat(65537), "")])).toMatch(/input/);
    expect(checkTests([T("", "", "é".repeat(32769))])).toMatch(/expected/);
    expect(checkTests(Array.from({ length: 5 }, () => T("", "x".repeat(60000), "")))).toMatch(/256 KiB/);
  });
  it("cuts UTF-8 at whole characters", () => {
    expect(cutUtf8("abc", 2)).toBe("ab");
    expect(cutUtf8("aé", 2)).toBe("a");
    expect(utf8Length(cutUtf8("😀".repeat(20), 64))).toBe(64);
  });
  it("aligns remote tests with local ones by content", () => {
    const a = T("", "1 2", "3"),
      b = T("", "2 2", "4"),
      c = T("", "5 5", "10");
    expect(alignTests([a, b, c], [a, b, c])).toEqual([0, 1, 2]);
    expect(alignTests([a, b, c], [b, c])).toEqual([1, 2]); // a removed
    expect(alignTests([b, c], [a, b, c])).toEqual([null, 0, 1]); // a inserted
    expect(alignTests([a, { ...b, stdin: "2 2 x" }, c], [b, c])).toEqual([1, 2]); // b edited here, a removed there
    expect(alignTests([T("x", "1", "2")], [T("y", "3", "4")])).toEqual([null]);
    expect(alignTests([], [a])).toEqual([null]);
  });
  it("merges a remote list keeping the fields asked for", () => {
    const local = [L("k1", T("", "1 2", "3")), L("k2", T("", "2 2 typing", "4"))];
    const remote = [T("", "1 2", "3 changed"), T("", "2 2", "4"), T("new", "", "")];
    const keep = (k: string, f: string) => k === "k2" && f === "stdin";
    const m = mergeRemote(local, remote, keep, nk);
    expect(m.map((t) => t.key)).toEqual(["k1", "k2", `n${keyN}`]);
    expect(m[0]).toEqual(L("k1", T("", "1 2", "3 changed")));
    expect(m[1]).toEqual(L("k2", T("", "2 2 typing", "4")));
    expect(m[2].name).toBe("new");
  });
  it("drops tests removed elsewhere unless they hold unsent fields", () => {
    const local = [L("k1", T("a", "1", "1")), L("k2", T("b", "2", "2")), L("k3", T("", "", ""))];
    const m = mergeRemote(local, [T("b", "2", "2")], (k) => k === "k3", nk);
    expect(m.map((t) => t.key)).toEqual(["k2", "k3"]);
  });
});

describe("tests state", () => {
  let sent: unknown[];
  let snaps: TestsSnapshot[];
  let timers: { fn: () => void; ms: number; live: boolean }[];
  let online: boolean;
  let s: TestsState;
  const fire = () => {
    for (const t of timers.splice(0)) if (t.live) t.fn();
  };
  const lastSent = () => sent[sent.length - 1] as { type: string; tests: TestCase[] };
  beforeEach(() => {
    sent = [];
    snaps = [];
    timers = [];
    online = true;
    s = new TestsState({
      send: (m) => {
        if (!online) return false;
        sent.push(JSON.parse(JSON.stringify(m)));
        return true;
      },
      onChange: (x) => snaps.push(x),
      setTimer: (fn, ms) => {
        const t = { fn, ms, live: true };
        timers.push(t);
        return t;
      },
      clearTimer: (t) => {
        (t as { live: boolean }).live = false;
      },
    });
  });

  it("applies the welcome list and remote lists", () => {
    s.welcome([T("one", "1 2\n", "3\n")]);
    expect(s.items.map(({ key: _k, ...t }) => t)).toEqual([T("one", "1 2\n", "3\n")]);
    expect(sent).toEqual([]); // nothing local to send
    s.remote([T("one", "1 2\n", "3\n"), T("two", "2 2\n", "4\n")]);
    expect(s.items.length).toBe(2);
    expect(snaps[snaps.length - 1].items).toBe(s.items);
    s.remote([]);
    expect(s.items).toEqual([]);
  });

  it("adds at once, debounces edits into one message", () => {
    s.welcome([]);
    const k = s.add()!;
    expect(lastSent()).toEqual({ type: "tests", tests: [{ stdin: "", expected_stdout: "" }] });
    s.edit(k, "stdin", "1");
    s.edit(k, "stdin", "1 2");
    s.edit(k, "expected_stdout", "3");
    expect(sent.length).toBe(1);
    expect(timers.filter((t) => t.live).length).toBe(1);
    expect(timers.find((t) => t.live)!.ms).toBe(400);
    fire();
    expect(sent.length).toBe(2);
    expect(lastSent()).toEqual({ type: "tests", tests: [{ stdin: "1 2", expected_stdout: "3" }] });
    expect(s.pending).toBe(false);
  });

  it("does not clobber the field being typed in when another test changes remotely", () => {
    s.welcome([T("", "1 2", "3"), T("", "2 2", "4")]);
    const [k1, k2] = s.items.map((t) => t.key);
    s.setFocus(k1, "stdin");
    s.edit(k1, "stdin", "1 2 3"); // not sent yet
    s.remote([T("", "1 2", "3"), T("", "2 2", "5")]); // someone fixed test 2
    expect(s.items.find((t) => t.key === k1)!.stdin).toBe("1 2 3");
    expect(s.items.find((t) => t.key === k2)!.expected_stdout).toBe("5");
    fire(); // our list carries their change too
    expect(lastSent().tests).toEqual([
      { stdin: "1 2 3", expected_stdout: "3" },
      { stdin: "2 2", expected_stdout: "5" },
    ]);
    // typing on after the send: the echo of the older send does not undo it
    s.edit(k1, "stdin", "1 2 3 4");
    s.remote([T("", "1 2 3", "3"), T("", "2 2", "5")], true);
    expect(s.items.find((t) => t.key === k1)!.stdin).toBe("1 2 3 4");
  });

  it("keeps sent text until its echo, even without focus", () => {
    s.welcome([T("", "a", "b")]);
    const k = s.items[0].key;
    s.setFocus(k, "stdin");
    s.edit(k, "stdin", "aa");
    s.blur(k, "stdin"); // sends now
    expect(lastSent().tests[0].stdin).toBe("aa");
    // someone else's list, sent before ours reached the daemon
    s.remote([T("", "a", "B")]);
    expect(s.items[0]).toMatchObject({ stdin: "aa", expected_stdout: "B" });
    // our echo (the daemon applied theirs, then ours)
    s.remote([T("", "aa", "b")], true);
    expect(s.items[0]).toMatchObject({ stdin: "aa", expected_stdout: "b" });
    // now nothing is held back: a later remote change to that field applies
    s.remote([T("", "zz", "b")]);
    expect(s.items[0].stdin).toBe("zz");
  });

  it("catches up a focused field on blur", () => {
    s.welcome([T("", "a", "b")]);
    const k = s.items[0].key;
    s.setFocus(k, "expected_stdout");
    s.remote([T("", "a", "c")]);
    expect(s.items[0].expected_stdout).toBe("b"); // left alone while focused
    s.blur(k, "expected_stdout");
    expect(s.items[0].expected_stdout).toBe("c");
    expect(sent).toEqual([]);
  });

  it("removes a test at once; a remote removal drops it here", () => {
    s.welcome([T("a", "1", "1"), T("b", "2", "2")]);
    s.remove(s.items[0].key);
    expect(lastSent().tests).toEqual([{ name: "b", stdin: "2", expected_stdout: "2" }]);
    s.remote([T("b", "2", "2")], true);
    s.remote([]);
    expect(s.items).toEqual([]);
  });

  it("keeps edits made offline and sends them after the welcome", () => {
    s.welcome([T("", "1", "1")]);
    online = false;
    const k = s.items[0].key;
    s.edit(k, "expected_stdout", "2");
    fire();
    expect(sent).toEqual([]);
    expect(s.pending).toBe(true);
    online = true;
    s.welcome([T("", "1", "1"), T("other", "x", "y")]);
    expect(lastSent().tests).toEqual([
      { stdin: "1", expected_stdout: "2" },
      { name: "other", stdin: "x", expected_stdout: "y" },
    ]);
  });

  it("resends what was not echoed when the connection came back", () => {
    s.welcome([]);
    const k = s.add()!;
    s.edit(k, "stdin", "q");
    fire();
    expect(sent.length).toBe(2);
    s.welcome([]); // lost with the connection
    expect(sent.length).toBe(3);
    expect(lastSent().tests).toEqual([{ stdin: "q", expected_stdout: "" }]);
  });

  it("does not send a list the daemon would refuse; a refusal restores the daemon's list", () => {
    s.welcome([T("", "1", "1")]);
    const k = s.items[0].key;
    s.edit(k, "stdin", "x".repeat(70000));
    fire();
    expect(sent).toEqual([]);
    expect(s.error).toMatch(/64 KiB/);
    expect(snaps[snaps.length - 1].error).toMatch(/64 KiB/);
    s.edit(k, "stdin", "2");
    fire();
    expect(s.error).toBe(null);
    expect(lastSent().tests[0].stdin).toBe("2");
    s.refused();
    expect(s.items[0].stdin).toBe("1");
  });

  it("strips line breaks from names and cuts them at 64 bytes", () => {
    s.welcome([T("", "", "")]);
    s.edit(s.items[0].key, "name", "a\nb" + "é".repeat(40));
    expect(s.items[0].name.startsWith("a b")).toBe(true);
    expect(utf8Length(s.items[0].name)).toBeLessThanOrEqual(64);
  });
});

describe("a tests run", () => {
  const events = [
    { event: "started", run: 3, by: "p1", name: "Ada", version: 7, language: "python", tests: 2 },
    { event: "start", id: "x" },
    { event: "run_start", stage: "run", test: 0 },
    { event: "stdout", stage: "run", test: 0, data: "3\n" },
    { event: "exit", stage: "run", test: 0, verdict: "accepted", exit_code: 0 },
    { event: "run_start", stage: "run", test: 1 },
    { event: "stdout", stage: "run", test: 1, data: "4\n" },
    { event: "exit", stage: "run", test: 1, verdict: "accepted", exit_code: 0 },
    {
      event: "result",
      result: {
        verdict: "wrong_answer",
        compile: null,
        run: null,
        passed: 1,
        total: 2,
        tests: [
          {
            name: "one",
            verdict: "accepted",
            stdout: "3\n",
            expected_stdout: "3",
            exit_code: 0,
            cpu_ms: 10,
            wall_ms: 20,
            memory_bytes: 1 << 20,
          },
          {
            name: "two",
            verdict: "wrong_answer",
            stdout: "4\n",
            expected_stdout: "5",
            exit_code: 0,
            cpu_ms: 10,
            wall_ms: 20,
            memory_bytes: 1 << 20,
          },
        ],
      },
    },
    { event: "end", verdict: "wrong_answer" },
  ];
  const local = [L("a", T("one", "1 2", "3")), L("b", T("two", "2 2", "5"))];

  it("folds into per-test states and a summary", () => {
    let r = emptyRun;
    r = foldRun(r, events[0]);
    expect(r.tests).toBe(2);
    expect(testStatus(r, 0, local[0])!.verdict).toBe("queued");
    r = foldRun(r, events[1]);
    r = foldRun(r, events[2]);
    expect(r.currentTest).toBe(0);
    expect(testStatus(r, 0, local[0])!.verdict).toBe("running");
    r = foldRun(r, events[3]);
    r = foldRun(r, events[4]);
    expect(testStatus(r, 0, local[0])!.verdict).toBe("checking");
    for (const ev of events.slice(5)) r = foldRun(r, ev);
    expect(r.active).toBe(false);
    expect(testStatus(r, 0, local[0])).toMatchObject({ verdict: "accepted", stale: false });
    expect(testStatus(r, 1, local[1])).toMatchObject({ verdict: "wrong_answer", stale: false });
    expect(testStatus(r, 1, L("b", T("two", "2 2", "4")))!.stale).toBe(true);
    expect(testStatus(r, 2, local[0])).toBe(null);
    expect(verdictText(r)).toBe("wrong answer · 1/2 tests passed");
    expect(show(lineDiff(r.result!.tests![1].expected_stdout, r.result!.tests![1].stdout!))).toEqual(["-5", "+4"]);
  });

  it("shows a failing stage at once", () => {
    let r = foldRun(emptyRun, events[0]);
    r = foldRun(r, { event: "exit", stage: "run", test: 0, verdict: "runtime_error", exit_code: 1 });
    expect(testStatus(r, 0, local[0])!.verdict).toBe("runtime_error");
  });

  it("marks each test in the terminal", () => {
    const names = () => null;
    expect(terminalText(events[2], null, names)).toContain("test 1");
    expect(terminalText(events[5], null, names)).toContain("test 2");
    expect(terminalText({ event: "run_start", stage: "run" }, null, names)).toBe("");
    const res = terminalText(events[8], null, names);
    expect(res).toContain("test 2 (two): wrong answer");
    expect(res).toContain("1/2 tests passed");
  });

  it("a plain run has no tests", () => {
    const r = foldRun(emptyRun, { event: "started", run: 1, by: "p1", name: "A", version: 1, language: "python" });
    expect(r.tests).toBe(null);
    expect(testStatus(r, 0, local[0])).toBe(null);
  });
});
