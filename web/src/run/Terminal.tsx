import { useEffect, useRef } from "react";
import type { Session } from "../app/session";
import { useStore } from "../app/useStore";

// The shared run's terminal: xterm.js, loaded lazily.  It draws what the
// session writes and hands typed keys back to it.
export function Terminal({ session }: { session: Session }) {
  const ref = useRef<HTMLDivElement>(null);
  const dark = useStore(session.dark);
  const termRef = useRef<{ setDark(d: boolean): void } | null>(null);

  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    const onLoadError = () => {
      if (!disposed) session.toast("The terminal could not be loaded; reload the page to see the output.", "error");
    };
    import("./xterm").then(({ createTerminal, darkTerm, lightTerm }) => {
      if (disposed || !ref.current) return;
      const { term, fit } = createTerminal(ref.current, session.dark.get());
      const detach = session.attachTerminal({ write: (s) => term.write(s), clear: () => term.reset() });
      const input = term.onData((d) => session.terminalInput(d));
      const ro = new ResizeObserver(() => {
        try {
          fit.fit();
        } catch {
          /* hidden */
        }
      });
      ro.observe(ref.current);
      termRef.current = {
        setDark: (d) => {
          term.options.theme = d ? darkTerm : lightTerm;
        },
      };
      cleanup = () => {
        ro.disconnect();
        input.dispose();
        detach();
        term.dispose();
      };
    }, onLoadError);
    return () => {
      disposed = true;
      cleanup();
    };
  }, [session]);

  useEffect(() => {
    termRef.current?.setDark(dark);
  }, [dark]);

  return (
    <div className="terminal" data-testid="terminal" ref={ref} role="region" aria-label="Program output and input" />
  );
}
