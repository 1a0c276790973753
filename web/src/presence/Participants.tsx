import { useState } from "react";
import type { Session } from "../app/session";
import { useStore } from "../app/useStore";
import { COLORS } from "../lib/settings";
import { ROLE_NAMES } from "../app/roles";
import { ConfirmButton } from "../ui/ConfirmButton";

export function Participants({ session }: { session: Session }) {
  const v = useStore(session.view);
  const s = useStore(session.settings);
  // the name as typed until it is committed; a newly saved name replaces it
  const [name, setName] = useState(s.name);
  const [savedName, setSavedName] = useState(s.name);
  if (savedName !== s.name) {
    setSavedName(s.name);
    setName(s.name);
  }
  const commit = () => {
    if (name !== s.name) session.updateSettings({ name });
  };
  return (
    <section className="people" aria-label="People in this pad">
      <div className="profile">
        <label htmlFor="name-input" className="visually-hidden">
          Your name
        </label>
        <input
          id="name-input"
          data-testid="name"
          value={name}
          maxLength={64}
          onChange={(e) => setName(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              commit();
              (e.target as HTMLInputElement).blur();
            }
          }}
          aria-label="Your display name"
        />
        <input
          type="color"
          data-testid="color"
          value={expand(s.color)}
          onChange={(e) => session.updateSettings({ color: e.target.value })}
          aria-label="Your colour"
          list="runpad-colors"
        />
        <datalist id="runpad-colors">
          {COLORS.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
      </div>
      <ul data-testid="participants" className="participants" aria-label="Participants">
        {v.people.map((p) => (
          <li
            key={p.id}
            data-testid="participant"
            data-id={p.id}
            data-role={p.role ?? ""}
            title={`${p.name}${p.role && p.role !== "editor" ? `, ${ROLE_NAMES[p.role]}` : ""}${p.you ? " (you)" : ""}`}
            aria-current={p.you ? "true" : undefined}
          >
            <span className="dot" style={{ background: p.color }} aria-hidden="true" />
            <span className="pname">{p.name}</span>
            {p.role && p.role !== "editor" && (
              <span className={`role-badge ${p.role}`} data-testid="role-badge">
                {ROLE_NAMES[p.role]}
              </span>
            )}
            {p.you && <span className="you" aria-hidden="true" />}
            {v.may.owner && !p.you && p.role !== "owner" && (
              <ConfirmButton
                testId="remove-participant"
                label="×"
                ariaLabel={`Remove ${p.name} from the pad`}
                question={`Remove ${p.name}?`}
                confirmLabel="Remove"
                onConfirm={() => session.removePerson(p.id)}
              />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function expand(c: string): string {
  return c.length === 4 ? "#" + c[1] + c[1] + c[2] + c[2] + c[3] + c[3] : c;
}
