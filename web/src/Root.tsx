import { useState } from "react";
import { App } from "./App";
import { Session } from "./app/session";
import { NewInterview, type CreateRequest } from "./create/NewInterview";
import { createSpec, starterOf, type CreateForm } from "./create/newInterview";
import { newPadId } from "./lib/padId";

type Screen =
  | { kind: "new"; form: CreateForm | null; refused: boolean; notice: string | null }
  | { kind: "pad"; session: Session };

// The page: a pad (a link with a hash), or the new-interview screen (no
// hash), which makes a pad in this page and goes back to itself when the
// daemon wants the creation secret.
export function Root({ initial, onSession }: { initial: Session | null; onSession: (s: Session) => void }) {
  const [screen, setScreen] = useState<Screen>(
    initial
      ? { kind: "pad", session: initial }
      : { kind: "new", form: null, refused: false, notice: location.hash.length > 1 ? BAD_LINK : null },
  );
  if (screen.kind === "pad") return <App session={screen.session} />;
  const create = ({ form, secret, runtimes }: CreateRequest) => {
    const session = new Session({
      pad: newPadId(),
      key: null,
      create: { spec: createSpec(form, secret), starter: starterOf(form, runtimes) },
      onCreateRefused: () => setScreen({ kind: "new", form, refused: true, notice: null }),
    });
    onSession(session);
    setScreen({ kind: "pad", session });
  };
  return <NewInterview onCreate={create} initial={screen.form} refused={screen.refused} notice={screen.notice} />;
}

const BAD_LINK = "That pad link was not valid (a pad id, then perhaps / and a 32-character key).";
