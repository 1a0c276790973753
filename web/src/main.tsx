import { createRoot } from "react-dom/client";
import { Root } from "./Root";
import { Session } from "./app/session";
import { parsePadHash } from "./lib/padId";
import "./styles.css";

// `#<pad>` joins an open pad, `#<pad>/<key>` a pad with links; `/` shows
// the new-interview screen (which makes the pad in this page).
const ref = parsePadHash(location.hash);
window.addEventListener("hashchange", () => location.reload());

let session = typeof ref === "object" ? new Session({ pad: ref.pad, key: ref.key }) : null;

declare global {
  interface Window {
    __runpad: {
      version(): number | null;
      text(): string | null;
      notes(): string | null;
      role(): string | null;
      padId: string | null;
    };
  }
}
window.__runpad = {
  version: () => session?.client?.version ?? null,
  text: () => (session?.editor?.ready ? session.editor.state.doc.toString() : null),
  notes: () => (session?.notes?.ready ? session.notes.text : null),
  role: () => session?.view.get().role ?? null,
  get padId() {
    return session?.padId ?? null;
  },
};

createRoot(document.getElementById("root")!).render(
  <Root
    initial={session}
    onSession={(s) => {
      session = s;
    }}
  />,
);
