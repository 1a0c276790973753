import type { ConnState } from "../lib/padClient";

const WORDS: Record<ConnState, string> = {
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline: your edits are kept and sent when the connection is back",
};

export function Connection({ state }: { state: ConnState }) {
  return (
    <span
      className={`connection ${state}`}
      data-testid="connection"
      data-state={state}
      role="status"
      aria-label={WORDS[state]}
      title={WORDS[state]}
    >
      <span className="dot" aria-hidden="true" />
      <span className="label">{state === "offline" ? "Offline" : WORDS[state]}</span>
    </span>
  );
}
