// What this page may do in the pad, from its role and the owner's controls
// (docs/protocol.md, "Roles and links").  The daemon checks every message;
// this only decides what the page offers and says.
import type { Controls, Role } from "../lib/protocol";

export interface Abilities {
  edit: boolean; // the text, the language, the tests
  run: boolean; // run, stop, type stdin
  presence: boolean; // share the caret
  owner: boolean; // controls, links, notes, removing people
}

export const NOTHING: Abilities = { edit: false, run: false, presence: false, owner: false };

export function abilities(role: Role | null, c: Controls): Abilities {
  switch (role) {
    case "owner":
      return { edit: true, run: true, presence: true, owner: true };
    case "editor":
      return { edit: true, run: true, presence: true, owner: false };
    case "candidate":
      return { edit: !c.locked && !c.ended, run: !c.runs_locked && !c.ended, presence: true, owner: false };
    default:
      return NOTHING; // an observer, or before the welcome
  }
}

// One line the page shows about what it may not do, and why.
export interface RoleNotice {
  id: "observer" | "ended" | "locked" | "runs_locked";
  text: string;
}

export function roleNotices(role: Role | null, c: Controls): RoleNotice[] {
  if (role === "observer") {
    const ended = c.ended ? [{ id: "ended" as const, text: "The interview has ended." }] : [];
    return [{ id: "observer", text: "Observer: read only" }, ...ended];
  }
  const out: RoleNotice[] = [];
  if (c.ended) {
    out.push({
      id: "ended",
      text:
        role === "owner"
          ? "The interview has ended: only interviewers can change the pad."
          : "The interview has ended.",
    });
    return out;
  }
  if (role === "owner") return out; // the owner panel shows the locks
  if (c.locked) out.push({ id: "locked", text: "Editing locked by the interviewer" });
  if (c.runs_locked) out.push({ id: "runs_locked", text: "Runs locked" });
  return out;
}

// How a role is named to people.
export const ROLE_NAMES: Record<Role, string> = {
  owner: "interviewer",
  candidate: "candidate",
  observer: "observer",
  editor: "editor",
};
