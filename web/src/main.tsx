import { createRoot } from "react-dom/client";
import { App } from "./App";
import { Session } from "./app/session";
import { linkKeyFromHash, newPadId, padIdFromHash } from "./lib/padId";
import "./styles.css";

// `/` makes a new pad and replaces the URL with `#<id>`; a link with a
// hash joins that pad.
let padId = padIdFromHash(location.hash);
const badLink = !padId && location.hash.length > 1;
if (!padId) {
  padId = newPadId();
  history.replaceState(null, "", "#" + padId);
}
window.addEventListener("hashchange", () => location.reload());

const session = new Session(padId, linkKeyFromHash(location.hash));
if (badLink) session.toast("That pad link was not valid, so a new pad was made.", "error");

declare global {
  interface Window {
    __runpad: { version(): number | null; text(): string | null; padId: string };
  }
}
window.__runpad = {
  version: () => session.client?.version ?? null,
  text: () => (session.editor?.ready ? session.editor.state.doc.toString() : null),
  padId,
};

createRoot(document.getElementById("root")!).render(<App session={session} />);
