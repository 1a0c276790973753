import type { Runtime } from "../lib/api";

// What a program in the pad's language can import or link, with versions,
// so that a candidate knows before trying: "numpy 1.24.2, pandas 1.5.3".
export function Libraries({ runtime }: { runtime: Runtime | undefined }) {
  const libs = runtime?.libraries ?? [];
  if (libs.length === 0) return null;
  const names = libs.map((l) => (l.version ? `${l.name} ${l.version}` : l.name)).join(", ");
  return (
    <details className="libraries" data-testid="libraries">
      <summary aria-label={`Libraries of ${runtime?.name}: ${names}`} title={names}>
        Libraries
      </summary>
      <div className="libraries-body">
        <p>{runtime?.name} programs here can use, with nothing to install:</p>
        <ul>
          {libs.map((l) => (
            <li key={l.name} data-testid="library">
              <code>{l.name}</code> <span>{l.version ?? ""}</span>
            </li>
          ))}
        </ul>
      </div>
    </details>
  );
}
