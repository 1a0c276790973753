import { useState } from "react";
import type { Session } from "../app/session";
import { useStore } from "../app/useStore";
import type { Links } from "../lib/protocol";
import { ConfirmButton } from "../ui/ConfirmButton";

const LINK_ROLES: { role: keyof Links; label: string; hint: string }[] = [
  { role: "candidate", label: "Candidate", hint: "edits and runs, unless you lock them" },
  { role: "observer", label: "Observer", hint: "watches, changes nothing" },
  { role: "owner", label: "Interviewer", hint: "everything you can do: keep it to yourself" },
];

// The owner's controls: the title, the locks, ending the interview,
// replay for observers, and the pad's links.  Owners only.
export function OwnerPanel({ session }: { session: Session }) {
  const v = useStore(session.view);
  const c = v.controls;
  // the title as typed until it is committed; a title from the daemon replaces it
  const [title, setTitle] = useState(c.title);
  const [savedTitle, setSavedTitle] = useState(c.title);
  if (savedTitle !== c.title) {
    setSavedTitle(c.title);
    setTitle(c.title);
  }
  const live = v.connection === "connected";
  const commit = () => session.setTitle(title);
  return (
    <section className="owner-panel" data-testid="owner-panel" aria-label="Interviewer controls">
      <label className="owner-title">
        <span className="visually-hidden">Title of the interview</span>
        <input
          data-testid="title-input"
          value={title}
          placeholder="Title of the interview"
          maxLength={200}
          onChange={(e) => setTitle(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === "Enter") (e.target as HTMLInputElement).blur();
          }}
          disabled={!live}
          aria-label="Title of the interview (everyone sees it)"
        />
      </label>
      <label className="toggle" title="Only interviewers change the text, the language and the tests">
        <input
          type="checkbox"
          data-testid="lock-editing"
          checked={c.locked}
          disabled={!live}
          onChange={(e) => session.setControls({ locked: e.target.checked })}
        />
        Lock editing
      </label>
      <label className="toggle" title="Only interviewers run, stop and type input">
        <input
          type="checkbox"
          data-testid="lock-runs"
          checked={c.runs_locked}
          disabled={!live}
          onChange={(e) => session.setControls({ runs_locked: e.target.checked })}
        />
        Lock runs
      </label>
      <label className="toggle" title="Observers may replay the interview from the start">
        <input
          type="checkbox"
          data-testid="allow-replay"
          checked={c.playback}
          disabled={!live}
          onChange={(e) => session.setControls({ playback: e.target.checked })}
        />
        Observers may replay
      </label>
      {c.ended ? (
        <button
          type="button"
          data-testid="end-interview"
          data-ended="true"
          disabled={!live}
          onClick={() => session.setControls({ ended: false })}
        >
          Reopen the interview
        </button>
      ) : (
        <ConfirmButton
          testId="end-interview"
          label="End interview"
          question="End it? The pad becomes read-only for the others."
          confirmLabel="End"
          disabled={!live}
          onConfirm={() => session.setControls({ ended: true })}
        />
      )}
      <details className="links-menu" data-testid="links-menu">
        <summary>Links</summary>
        <div className="links-body">
          {LINK_ROLES.map(({ role, label, hint }) => {
            const link = session.roleLink(role);
            return (
              <div className="link-row" key={role} data-role={role}>
                <div className="link-head">
                  <strong>{label}</strong> <span className="hint">{hint}</span>
                </div>
                {link ? (
                  <input
                    readOnly
                    data-testid={`link-${role}`}
                    value={link}
                    onFocus={(e) => e.target.select()}
                    aria-label={`${label} link`}
                  />
                ) : (
                  <span className="hint" data-testid={`link-${role}`} data-missing="true">
                    {role === "owner"
                      ? "Not kept in this browser."
                      : v.links && v.links[role] === null
                        ? "No link: withdrawn or not kept in this browser. Make a new one."
                        : "…"}
                  </span>
                )}
                <div className="link-actions">
                  <button
                    type="button"
                    data-testid={`copy-${role}-link`}
                    disabled={!link}
                    onClick={() => void session.copyRoleLink(role)}
                  >
                    Copy
                  </button>
                  {role !== "owner" && (
                    <>
                      <ConfirmButton
                        testId={`rotate-${role}-link`}
                        label={link ? "New link" : "Make a link"}
                        question={
                          link
                            ? `Replace the ${role} link? Whoever uses the old one is disconnected.`
                            : `Make a ${role} link?`
                        }
                        confirmLabel={link ? "Replace" : "Make"}
                        danger={!!link}
                        disabled={!live}
                        onConfirm={() => session.rotateLink(role)}
                      />
                      <ConfirmButton
                        testId={`revoke-${role}-link`}
                        label="Withdraw"
                        question={`Withdraw the ${role} link? Whoever uses it is disconnected at once.`}
                        confirmLabel="Withdraw"
                        disabled={!live || !link}
                        onConfirm={() => session.revokeLink(role)}
                      />
                    </>
                  )}
                </div>
              </div>
            );
          })}
        </div>
      </details>
    </section>
  );
}
