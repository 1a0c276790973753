import { useEffect, useRef } from "react";
import { terminalText, verdictText } from "../run/runModel";
import { RunFiles } from "../run/RunFiles";
import type { RunAt } from "./model";

type Term = {
  write(s: string): void;
  reset(): void;
  options: { theme?: unknown };
  dispose(): void;
};

interface TermRef {
  term: Term;
  themes: { dark: unknown; light: unknown };
  run: number | null; // the run it shows
  events: number; // how many of its events
}

// Draws the events of `run` the terminal does not show yet (all of them,
// after a reset, when it showed another run or more of this one).
function drawInto(t: TermRef, run: RunAt | null, names: (id: string) => string | null): void {
  const n = run?.record.run ?? null;
  const events = run?.events ?? [];
  if (t.run !== n || t.events > events.length) {
    t.term.reset();
    t.run = n;
    t.events = 0;
  }
  let s = "";
  for (const ev of events.slice(t.events)) s += terminalText(ev, null, names);
  if (s) t.term.write(s);
  t.events = events.length;
}

// The run of the moment as its terminal was then: the run panel's drawing
// (terminalText) of its events so far, in a terminal that takes no input,
// and the plain output beside it.
export function TimelineOutput({
  run,
  dark,
  nameOf,
}: {
  run: RunAt | null;
  dark: boolean;
  nameOf: (id: string) => string | null;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const term = useRef<TermRef | null>(null);
  const latest = useRef<{ run: RunAt | null; nameOf: (id: string) => string | null }>({ run: null, nameOf });

  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    void import("../run/xterm").then(({ createTerminal, darkTerm, lightTerm }) => {
      if (disposed || !ref.current) return;
      const { term: t, fit } = createTerminal(ref.current, dark);
      t.options.disableStdin = true;
      t.options.cursorBlink = false;
      const tr: TermRef = {
        term: t,
        themes: { dark: darkTerm, light: lightTerm },
        run: null,
        events: 0,
      };
      term.current = tr;
      drawInto(tr, latest.current.run, latest.current.nameOf);
      const ro = new ResizeObserver(() => {
        try {
          fit.fit();
        } catch {
          /* hidden */
        }
      });
      ro.observe(ref.current);
      cleanup = () => {
        ro.disconnect();
        t.dispose();
        term.current = null;
      };
    });
    return () => {
      disposed = true;
      cleanup();
    };
    // the terminal is made once; `dark` changes its theme below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const t = term.current;
    if (t) t.term.options.theme = dark ? t.themes.dark : t.themes.light;
  }, [dark]);

  useEffect(() => {
    latest.current = { run, nameOf };
    if (term.current) drawInto(term.current, run, nameOf);
  }, [run, nameOf]);

  const state = run?.state ?? null;
  const verdict = state ? verdictText(state) : null;
  return (
    <section className="timeline-output" aria-label="The run of this moment">
      <div className="run-status">
        {!run ? (
          <span className="hint">No run yet at this moment.</span>
        ) : run.active ? (
          <span className="running">
            Run {run.record.run} in progress (started by {run.record.name || nameOf(run.record.by) || "someone"})…
          </span>
        ) : (
          <span
            className={`verdict ${state?.verdict === "accepted" ? "ok" : "bad"}`}
            data-verdict={state?.verdict ?? ""}
          >
            Run {run.record.run}: {verdict ?? "no verdict"}
          </span>
        )}
        {run?.record.truncated && <span className="hint"> (output not kept: too long)</span>}
      </div>
      <div className="terminal" ref={ref} role="region" aria-label="Program output at this moment" />
      {/* the files the run returned, once its result is in at this moment */}
      <RunFiles result={state?.result ?? null} />
      <pre className="sr-hidden" data-testid="timeline-output" aria-hidden="true">
        {state?.output ?? ""}
      </pre>
    </section>
  );
}
