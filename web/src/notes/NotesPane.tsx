import { useEffect, useRef } from "react";
import type { Session } from "../app/session";

// The owners' private notes (a tab of the side panel).  The notes editor
// lives in the session; this only gives it a place in the page.
export function NotesPane({
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
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (ref.current) session.notes?.attach(ref.current);
  }, [session]);
  return (
    <section className="notes-panel" id={id} role="tabpanel" aria-labelledby={labelledBy} hidden={hidden}>
      <p className="hint notes-hint">Only interviewers see these notes; candidates and observers never receive them.</p>
      <div className="notes-editor" data-testid="notes" ref={ref} />
    </section>
  );
}
