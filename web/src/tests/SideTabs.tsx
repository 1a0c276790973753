import { KeyboardEvent, useRef, useState } from "react";
import type { Session } from "../app/session";
import { useStore } from "../app/useStore";
import { RunPanel } from "../run/RunPanel";
import { TestsPanel } from "./TestsPanel";
import { NotesPane } from "../notes/NotesPane";

type Tab = "output" | "tests" | "notes";

// The side panel's tabs: the run's terminal, the pad's tests and, for
// owners, their notes.  They stay mounted (the terminal keeps its state);
// the hidden ones are not drawn.
export function SideTabs({ session }: { session: Session }) {
  const v = useStore(session.view);
  const [chosen, setTab] = useState<Tab>("output");
  const TABS: Tab[] = v.may.owner ? ["output", "tests", "notes"] : ["output", "tests"];
  const tab = TABS.includes(chosen) ? chosen : "output";
  const refs = useRef<Record<Tab, HTMLButtonElement | null>>({ output: null, tests: null, notes: null });
  const result = v.testsRun?.result && Array.isArray(v.testsRun.result.tests) ? v.testsRun.result : null;
  const badge =
    v.run.active && v.run.tests !== null
      ? "…"
      : result
        ? `${result.passed ?? 0}/${result.total ?? result.tests!.length}`
        : v.tests.length
          ? String(v.tests.length)
          : "";

  // arrows, Home and End move between tabs (WAI-ARIA tabs pattern)
  const onKey = (e: KeyboardEvent) => {
    const i = TABS.indexOf(tab);
    let next: Tab | null = null;
    if (e.key === "ArrowRight") next = TABS[(i + 1) % TABS.length];
    else if (e.key === "ArrowLeft") next = TABS[(i + TABS.length - 1) % TABS.length];
    else if (e.key === "Home") next = TABS[0];
    else if (e.key === "End") next = TABS[TABS.length - 1];
    if (!next) return;
    e.preventDefault();
    setTab(next);
    refs.current[next]?.focus();
  };
  const tabButton = (t: Tab, label: string, extra?: string) => (
    <button
      type="button"
      role="tab"
      id={`tab-${t}`}
      data-testid={`tab-${t}`}
      aria-selected={tab === t}
      aria-controls={`panel-${t}`}
      tabIndex={tab === t ? 0 : -1}
      className={`tab ${tab === t ? "selected" : ""}`}
      onClick={() => setTab(t)}
      ref={(el) => {
        refs.current[t] = el;
      }}
    >
      {label}
      {extra ? <span className="tab-badge">{extra}</span> : null}
    </button>
  );
  return (
    <>
      <div className="tabs" role="tablist" aria-label="Output, tests and notes" onKeyDown={onKey}>
        {tabButton("output", "Output")}
        {tabButton("tests", "Tests", badge)}
        {v.may.owner && tabButton("notes", "Notes")}
      </div>
      <RunPanel session={session} hidden={tab !== "output"} id="panel-output" labelledBy="tab-output" />
      <TestsPanel session={session} hidden={tab !== "tests"} id="panel-tests" labelledBy="tab-tests" />
      {v.may.owner && <NotesPane session={session} hidden={tab !== "notes"} id="panel-notes" labelledBy="tab-notes" />}
    </>
  );
}
