// What the page draws of one open pad: the PadView the session's parts
// keep up to date, each patching its own fields, and the people in it.
import type { ConnState } from "../lib/padClient";
import type { Runtime } from "../lib/api";
import type { Controls, Role } from "../lib/protocol";
import { emptyRun, type RunState } from "../run/runModel";
import type { LocalTest } from "../tests/testsModel";

export interface Person {
  id: string;
  name: string;
  color: string;
  you: boolean;
}

export interface PadView {
  padId: string;
  link: string;
  connection: ConnState;
  you: string | null;
  people: Person[];
  language: string;
  version: number | null;
  run: RunState;
  runtimes: Runtime[];
  runtimesError: string | null;
  fatal: string | null;
  ready: boolean;
  tests: LocalTest[]; // the pad's tests as this page edits them
  testsError: string | null; // why the tests cannot be sent as they are
  testsSupported: boolean; // the daemon keeps tests (welcome.tests)
  testsRun: RunState | null; // the last run with tests (a later plain run keeps it)
  role: Role | null; // from the welcome; null before it, or from a daemon without roles
  controls: Controls | null; // the owner's controls of a pad with links
}

// How a part reads the view and changes its fields.
export interface ViewAccess {
  get(): PadView;
  patch(p: Partial<PadView>): void;
}

// The view before the first welcome.
export function initialView(padId: string, link: string): PadView {
  return {
    padId,
    link,
    connection: "reconnecting",
    you: null,
    people: [],
    language: "",
    version: null,
    run: emptyRun,
    runtimes: [],
    runtimesError: null,
    fatal: null,
    ready: false,
    tests: [],
    testsError: null,
    testsSupported: false,
    testsRun: null,
    role: null,
    controls: null,
  };
}
