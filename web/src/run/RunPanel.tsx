import { useState } from "react";
import type { Session } from "../app/session";
import { useStore } from "../app/useStore";
import { verdictText } from "./runModel";
import { Terminal } from "./Terminal";
import { RunFiles } from "./RunFiles";

export function RunPanel({
  session,
  hidden = false,
  id,
  labelledBy,
}: {
  session: Session;
  hidden?: boolean;
  id?: string;
  labelledBy?: string;
}) {
  const v = useStore(session.view);
  const [line, setLine] = useState("");
  const verdict = verdictText(v.run);
  const ok = v.run.verdict === "accepted";
  return (
    <section
      className="run-panel"
      id={id}
      role={labelledBy ? "tabpanel" : undefined}
      aria-labelledby={labelledBy}
      aria-label={labelledBy ? undefined : "Run"}
      hidden={hidden}
    >
      <div className="run-status">
        {v.run.active ? (
          <span className="running" role="status">
            {v.run.tests !== null ? "Tests run" : "Run"} in progress{v.run.name ? ` (started by ${v.run.name})` : ""}…
          </span>
        ) : verdict ? (
          <span
            className={`verdict ${ok ? "ok" : "bad"}`}
            data-testid="verdict"
            data-verdict={v.run.verdict ?? ""}
            role="status"
          >
            {verdict}
          </span>
        ) : (
          <span className="hint">Press Run (Ctrl/⌘-Enter) to run the pad; everyone sees the output.</span>
        )}
        {v.run.truncated && <span className="hint"> (output cut: too long)</span>}
      </div>
      <Terminal session={session} />
      <RunFiles result={v.run.result} />
      <pre className="sr-hidden" data-testid="output-text" aria-hidden="true">
        {v.run.output}
      </pre>
      <form
        className="stdin-form"
        onSubmit={(e) => {
          e.preventDefault();
          session.sendLine(line);
          setLine("");
        }}
      >
        <label htmlFor="stdin-input" className="visually-hidden">
          Input for the program
        </label>
        <input
          id="stdin-input"
          data-testid="stdin"
          value={line}
          onChange={(e) => setLine(e.target.value)}
          disabled={!v.may.run || (v.run.active && v.run.tests !== null)}
          placeholder={
            !v.may.run
              ? v.role === "observer"
                ? "Observers watch the program's input and output"
                : v.controls.ended
                  ? "The interview has ended"
                  : "Runs are locked"
              : v.run.active && v.run.tests !== null
                ? "A tests run reads each test's input"
                : v.run.active
                  ? "Type a line for the program, then Enter"
                  : "Input goes here while a program runs"
          }
          aria-label="Input for the running program"
          autoComplete="off"
          spellCheck={false}
        />
      </form>
    </section>
  );
}
