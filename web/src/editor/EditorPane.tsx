import { useEffect, useRef } from "react";
import type { Session } from "../app/session";

// Where CodeMirror lives; the session owns the view.
export function EditorPane({ session }: { session: Session }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    session.mount(ref.current!);
    return () => session.unmount();
  }, [session]);
  return <div className="editor" data-testid="editor" ref={ref} />;
}
