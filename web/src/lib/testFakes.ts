// Test doubles for the pad client: a socket the test drives as the daemon
// would, and a DocHost over a plain EditorState.  Used by the tests only.
import { EditorState, TransactionSpec } from "@codemirror/state";
import { collab } from "@codemirror/collab";
import type { DocHost, SocketLike } from "./padClient";
import type { ClientMessage } from "./protocol";

export type Sent<T extends ClientMessage["type"]> = Extract<ClientMessage, { type: T }>;

// The fake socket is the boundary: the test plays the daemon.
export class FakeSocket implements SocketLike {
  readyState = 0;
  sent: ClientMessage[] = [];
  closed: number | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }
  close(code = 1000) {
    this.closed = code;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  recv(msg: object) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }
  // the last message of that type; a test that expects one fails here if none was sent
  last<T extends ClientMessage["type"]>(type: T): Sent<T> {
    const m = this.all(type).pop();
    if (!m) throw new Error(`no ${type} message was sent`);
    return m;
  }
  all<T extends ClientMessage["type"]>(type: T): Sent<T>[] {
    return this.sent.filter((m): m is Sent<T> => m.type === type);
  }
}

export class MemoryHost implements DocHost {
  state = EditorState.create({ doc: "" });
  dispatch(spec: TransactionSpec) {
    this.state = this.state.update(spec).state;
  }
  reset(doc: string, version: number, clientID: string) {
    this.state = EditorState.create({ doc, extensions: [collab({ startVersion: version, clientID })] });
  }
  type(from: number, to: number, insert: string) {
    this.dispatch({ changes: { from, to, insert } });
  }
  get text() {
    return this.state.doc.toString();
  }
}
