import type { Session } from "../app/session";
import { useStore } from "../app/useStore";
import { roleNotices } from "../app/roles";

// What this page may not do, and why: "Observer: read only", "Editing
// locked by the interviewer", "Runs locked", "The interview has ended".
export function RoleBanner({ session }: { session: Session }) {
  const v = useStore(session.view);
  const notices = roleNotices(v.role, v.controls);
  if (!notices.length) return null;
  return (
    <div
      className={`role-banner ${v.role === "observer" ? "observer" : ""}`}
      data-testid="role-banner"
      data-notices={notices.map((n) => n.id).join(" ")}
      role="status"
    >
      {notices.map((n) => (
        <span key={n.id} className="role-notice" data-testid="role-notice" data-notice={n.id}>
          {n.text}
        </span>
      ))}
    </div>
  );
}
