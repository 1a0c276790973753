import type { Session } from "../app/session";
import { useStore } from "../app/useStore";

export function Toasts({ session }: { session: Session }) {
  const toasts = useStore(session.toasts);
  return (
    <div className="toasts" aria-live="polite" role="status">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.level}`} data-testid="toast">
          <span>{t.text}</span>
          <button
            type="button"
            onClick={() => session.dismiss(t.id)}
            aria-label="Dismiss message"
            className="dismiss"
          />
        </div>
      ))}
    </div>
  );
}
