// What the page draws of one open pad: the PadView the session's parts
// keep up to date, each patching its own fields, and the people in it.
import type { ConnState } from "../lib/padClient";
import type { Runtime } from "../lib/api";
import { emptyRun, type RunState } from "../run/runModel";
import type { LocalTest } from "../tests/testsModel";
import { DEFAULT_TOOLCHAIN, type Controls, type Role, type Toolchain } from "../lib/protocol";
import { OPEN_CONTROLS } from "../lib/padClient";
import type { KnownLinks } from "../lib/links";
import { NOTHING, type Abilities } from "./roles";

export interface Person {
  id: string;
  name: string;
  color: string;
  you: boolean;
  role: Role | null; // null from a daemon older than roles
}

// The end of the pad for this page: a close after which it does not
// reconnect (docs/protocol.md, "Closing"), in words.
export interface Closed {
  code: number;
  error: string | null;
  text: string;
}

export interface PadView {
  padId: string;
  link: string;
  connection: ConnState;
  you: string | null;
  people: Person[];
  language: string;
  toolchain: Toolchain; // the pad's, for its language
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
  role: Role | null; // this page's, from the welcome
  controls: Controls; // the owner's controls, as everyone sees them
  may: Abilities; // what the role and the controls let this page do
  links: KnownLinks | null; // owners: the pad's links kept in this browser
  notesVersion: number | null; // owners: the notes are synced at this version
  closed: Closed | null; // the pad is gone for this page (link revoked, removed, ...)
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
    toolchain: DEFAULT_TOOLCHAIN,
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
    controls: OPEN_CONTROLS,
    may: NOTHING,
    links: null,
    notesVersion: null,
    closed: null,
  };
}
