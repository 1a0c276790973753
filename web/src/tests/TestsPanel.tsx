import { useEffect, useRef, useState } from "react";
import type { Session } from "../app/session";
import { useStore } from "../app/useStore";
import type { RunState, TestResult } from "../run/runModel";
import { formatBytes } from "../run/runModel";
import { lineDiff, withContext } from "./lineDiff";
import { LIMITS, LocalTest, TestField } from "./testsModel";

// What a test shows after (or during) a tests run.
export interface TestStatus {
  verdict: string; // accepted, wrong_answer, ..., or running / queued / checking
  result: TestResult | null;
  stale: boolean; // its expected output changed since that run
}

export function testStatus(run: RunState | null, i: number, t: LocalTest): TestStatus | null {
  if (!run || run.tests === null) return null;
  const r = run.result?.tests?.[i];
  if (r)
    return {
      verdict: r.verdict,
      result: r,
      stale: typeof r.expected_stdout === "string" && r.expected_stdout !== t.expected_stdout,
    };
  if (run.result || !run.active) return null;
  if (i >= (run.tests || Infinity)) return null;
  const stage = run.testStage[i];
  if (stage && stage !== "accepted") return { verdict: stage, result: null, stale: false };
  if (stage) return { verdict: "checking", result: null, stale: false };
  return { verdict: run.currentTest === i ? "running" : "queued", result: null, stale: false };
}

const LIVE = new Set(["running", "queued", "checking"]);

export function TestsPanel({
  session,
  hidden,
  id,
  labelledBy,
}: {
  session: Session;
  hidden: boolean;
  id: string;
  labelledBy: string;
}) {
  const v = useStore(session.view);
  const listRef = useRef<HTMLOListElement>(null);
  const [focusKey, setFocusKey] = useState<string | null>(null);

  useEffect(() => {
    if (!focusKey) return;
    const el = listRef.current?.querySelector<HTMLTextAreaElement>(`[data-key="${focusKey}"] textarea`);
    if (el) {
      el.focus();
      setFocusKey(null);
    }
  }, [focusKey, v.tests]);

  const run = v.testsRun;
  const result = run?.result && Array.isArray(run.result.tests) ? run.result : null;
  const canEdit = v.testsSupported && v.ready && v.may.edit;
  const canRun =
    v.testsSupported &&
    v.ready &&
    v.may.run &&
    v.connection === "connected" &&
    !v.run.active &&
    v.tests.length > 0 &&
    !v.testsError;
  const runningTests = v.run.active && v.run.tests !== null;

  return (
    <section className="tests-panel" id={id} role="tabpanel" aria-labelledby={labelledBy} hidden={hidden}>
      <div className="tests-bar">
        <button
          type="button"
          className="primary"
          data-testid="run-tests"
          onClick={() => session.runTests()}
          disabled={!canRun}
          aria-label="Run the pad against every test"
        >
          {runningTests ? "Running tests…" : "▶ Run tests"}
        </button>
        <button
          type="button"
          data-testid="add-test"
          onClick={() => {
            const k = session.addTest();
            if (k) setFocusKey(k);
          }}
          disabled={!canEdit || v.tests.length >= LIMITS.tests}
          aria-label="Add a test"
        >
          + Add test
        </button>
        <span className="spacer" />
        {runningTests ? (
          <span className="running" role="status">
            {v.run.currentTest !== null
              ? `Test ${v.run.currentTest + 1} of ${v.run.tests || v.tests.length}…`
              : "Starting…"}
          </span>
        ) : result ? (
          <span className={`summary ${result.verdict === "accepted" ? "ok" : "bad"}`} role="status">
            <span
              data-testid="tests-summary"
              data-passed={result.passed ?? 0}
              data-total={result.total ?? result.tests!.length}
            >
              {result.passed ?? 0}/{result.total ?? result.tests!.length}
            </span>{" "}
            passed
          </span>
        ) : run && run.ended && run.verdict ? (
          <span className="summary bad" role="status">
            {run.verdict.replace(/_/g, " ")}
          </span>
        ) : null}
      </div>
      {!v.testsSupported && v.ready && <p className="hint tests-note">This server does not keep tests for pads.</p>}
      {v.testsError && (
        <p className="tests-error" role="alert">
          {v.testsError}
        </p>
      )}
      {canEdit && v.tests.length === 0 && (
        <p className="hint tests-note">
          No tests yet. A test is an input and the output the program should print for it; everyone in the pad sees and
          edits the same tests.
        </p>
      )}
      <ol className="tests-list" ref={listRef} aria-label="Tests">
        {v.tests.map((t, i) => (
          <TestItem
            key={t.key}
            session={session}
            test={t}
            index={i}
            status={testStatus(run, i, t)}
            disabled={!canEdit}
          />
        ))}
      </ol>
    </section>
  );
}

function TestItem({
  session,
  test,
  index,
  status,
  disabled,
}: {
  session: Session;
  test: LocalTest;
  index: number;
  status: TestStatus | null;
  disabled: boolean;
}) {
  const n = index + 1;
  const id = `test-${test.key}`;
  const field = (f: TestField) => ({
    value: test[f],
    disabled,
    spellCheck: false,
    onChange: (e: { target: { value: string } }) => session.editTest(test.key, f, e.target.value),
    onFocus: () => session.focusTest(test.key, f),
    onBlur: () => session.blurTest(test.key, f),
  });
  const r = status?.result ?? null;
  return (
    <li
      className="test-item"
      data-testid="test-item"
      data-key={test.key}
      aria-label={`Test ${n}${test.name ? `: ${test.name}` : ""}`}
    >
      <div className="test-head">
        <span className="test-num" aria-hidden="true">
          #{n}
        </span>
        <label htmlFor={`${id}-name`} className="visually-hidden">
          Name of test {n}
        </label>
        <input
          id={`${id}-name`}
          data-testid="test-name"
          className="test-name"
          placeholder={`Test ${n}`}
          maxLength={LIMITS.name_bytes}
          {...field("name")}
        />
        {status && (
          <span
            className={`test-verdict ${status.verdict === "accepted" ? "ok" : LIVE.has(status.verdict) ? "live" : "bad"}`}
            data-testid="test-verdict"
            data-verdict={status.verdict}
            title={status.stale ? "The expected output changed since this run" : undefined}
          >
            {status.verdict.replace(/_/g, " ")}
            {status.stale ? " (edited since)" : ""}
          </span>
        )}
        <button
          type="button"
          className="test-remove"
          data-testid="remove-test"
          onClick={() => session.removeTest(test.key)}
          disabled={disabled}
          aria-label={`Remove test ${n}`}
          title="Remove this test"
        >
          ×
        </button>
      </div>
      <div className="test-io">
        <div className="test-field">
          <label htmlFor={`${id}-stdin`}>Input</label>
          <textarea
            id={`${id}-stdin`}
            data-testid="test-stdin"
            rows={2}
            maxLength={LIMITS.field_bytes}
            aria-label={`Input of test ${n}`}
            {...field("stdin")}
          />
        </div>
        <div className="test-field">
          <label htmlFor={`${id}-expected`}>Expected output</label>
          <textarea
            id={`${id}-expected`}
            data-testid="test-expected"
            rows={2}
            maxLength={LIMITS.field_bytes}
            aria-label={`Expected output of test ${n}`}
            {...field("expected_stdout")}
          />
        </div>
      </div>
      {r && r.verdict !== "skipped" && (
        <div className="test-stats">
          {r.exit_code !== null && r.exit_code !== undefined && <span>exit {r.exit_code}</span>}
          {r.signal_name && <span>{r.signal_name}</span>}
          {typeof r.cpu_ms === "number" && <span>{r.cpu_ms} ms CPU</span>}
          {typeof r.wall_ms === "number" && <span>{r.wall_ms} ms wall</span>}
          {typeof r.memory_bytes === "number" && <span>{formatBytes(r.memory_bytes)}</span>}
        </div>
      )}
      {r && r.verdict === "wrong_answer" && (
        <Diff expected={r.expected_stdout} actual={r.stdout ?? ""} truncated={!!r.stdout_truncated} n={n} />
      )}
      {r &&
        r.verdict !== "accepted" &&
        r.verdict !== "wrong_answer" &&
        r.verdict !== "skipped" &&
        (r.stderr || r.stdout) && (
          <pre className="test-output" data-testid="test-output" aria-label={`Output of test ${n}`}>
            {clip(r.stderr || r.stdout || "")}
          </pre>
        )}
    </li>
  );
}

const MAX_DIFF_LINES = 200;

function Diff({ expected, actual, truncated, n }: { expected: string; actual: string; truncated: boolean; n: number }) {
  const diff = lineDiff(expected, actual);
  const changed = diff.some((d) => d.op !== " ");
  const lines = changed ? withContext(diff) : diff;
  const shown = lines.slice(0, MAX_DIFF_LINES);
  return (
    <div className="test-diff-wrap">
      <div className="diff-legend" id={`diff-legend-${n}`}>
        <span className="del">− expected</span> <span className="add">+ printed</span>
      </div>
      <pre
        className="test-diff"
        data-testid="test-diff"
        aria-describedby={`diff-legend-${n}`}
        aria-label={`Difference between expected and printed output of test ${n}`}
        tabIndex={0}
      >
        {shown.map((d, i) =>
          d === null ? (
            <span key={i} className="diff-line skip">
              ⋯{"\n"}
            </span>
          ) : (
            <span key={i} className={`diff-line ${d.op === "-" ? "del" : d.op === "+" ? "add" : "same"}`}>
              {d.op}
              {d.text}
              {"\n"}
            </span>
          ),
        )}
        {lines.length > shown.length && (
          <span className="diff-line skip">
            … {lines.length - shown.length} more lines{"\n"}
          </span>
        )}
        {truncated && <span className="diff-line skip">(the printed output was cut at the runner's limit){"\n"}</span>}
        {!changed && (
          <span className="diff-line skip">
            (the lines match once blanks at their ends are ignored: the difference is in spaces or line ends){"\n"}
          </span>
        )}
      </pre>
    </div>
  );
}

function clip(s: string): string {
  return s.length > 4000 ? s.slice(0, 4000) + "\n…" : s;
}
