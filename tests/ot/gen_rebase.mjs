// Generates tests/ot/rebase_vectors.json from the real @codemirror/collab
// rebaseUpdates, so that ws/rebase.c is checked against the library itself
// without node at test time.
//
//   cd tests/ot && npm ci && node gen_rebase.mjs
//
// Each vector is one push made at an old version: the text at that
// version, the updates accepted since (`over`), the push, what
// rebaseUpdates(push, over) returns in one call (`result`), and what
// calling it over one accepted update at a time returns (`sequential`),
// which is what runpad-ws stores.  The
// calls come from simulated sessions: clients with real collab state push
// whenever they like (several pushes in flight: a resend after a lost
// acknowledgement, which rebaseUpdates must drop), receive the broadcast
// late, and must all end with the authority's text.  Texts hold emoji,
// CRLF (which CodeMirror turns into line breaks), combining marks and CJK;
// edits delete across others' insertions.  Seeded: the same package
// versions give the same file byte for byte.
import { ChangeSet, EditorState } from "@codemirror/state";
import { collab, getSyncedVersion, rebaseUpdates, receiveUpdates, sendableUpdates } from "@codemirror/collab";
import { readFileSync, writeFileSync } from "node:fs";
import { draws } from "./prng.mjs";

const version = (name) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url))).version;

const { rnd, int, pick } = draws(20261204);

const PIECES = ["a", "b", "xy", " ", "hello", "\n", "\r\n", "é", "e\u0301", "中文", "😀", "👩‍👩‍👧", "🇫🇷", "\t"];
const randText = (max) => {
  let s = "";
  for (let i = int(max + 1); i > 0; i--) s += pick(PIECES);
  return s;
};

// UTF-16 positions of s not inside a surrogate pair
function boundaries(s) {
  const out = [0];
  for (let i = 0; i < s.length; ) {
    i += s.codePointAt(i) > 0xffff ? 2 : 1;
    out.push(i);
  }
  return out;
}

// A random edit of state's text: insert, delete (often long, across what
// others inserted) or replace; one to three at once.
function randomEdit(state) {
  const doc = state.doc.toString();
  const b = boundaries(doc);
  const specs = [];
  for (let k = 1 + int(3); k > 0; k--) {
    const from = pick(b);
    const r = rnd();
    let to = from;
    if (r < 0.45) to = pick(b.filter((x) => x >= from && x <= from + 12));
    specs.push({ from: Math.min(from, to), to: Math.max(from, to), insert: r < 0.3 ? "" : randText(3) });
  }
  return state.update({ changes: state.changes(specs) });
}

const vectors = [];
const MAX_VECTORS = 700;
const plain = (u) => ({ clientID: u.clientID, changes: u.changes.toJSON() });

function session(seed, nclients, steps) {
  const start = randText(6);
  const clients = [];
  for (let i = 0; i < nclients; i++)
    clients.push({
      state: EditorState.create({ doc: start, extensions: [collab({ clientID: `c${seed}-${i}` })] }),
      inbox: [], // server messages not yet delivered
      sent: null, // the push in flight: until its updates come back
    });
  const server = { docs: [EditorState.create({ doc: start }).doc], updates: [] };
  const queue = []; // pushes on their way to the server

  const deliver = (c, n) => {
    while (n-- > 0 && c.inbox.length) {
      const m = c.inbox.shift();
      const from = getSyncedVersion(c.state);
      if (m.to <= from) continue;
      const ups = server.updates.slice(from, m.to).map((u) => ({ changes: u.changes, clientID: u.clientID }));
      // as the web client: one update at a time while it holds
      // unconfirmed changes, so that they are mapped as the daemon maps
      if (!sendableUpdates(c.state).length) c.state = receiveUpdates(c.state, ups).state;
      else for (const u of ups) c.state = receiveUpdates(c.state, [u]).state;
    }
  };
  const serve = (p) => {
    if (p.version > server.updates.length) return;
    const updates = p.updates.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) }));
    const over = server.updates.slice(p.version);
    // the daemon rebases over one accepted update at a time, as a client
    // that receives them one by one does (see the header of ws/rebase.h)
    let rebased = updates;
    for (const o of over) rebased = rebaseUpdates(rebased, [o]);
    if (over.length && vectors.length < MAX_VECTORS)
      vectors.push({
        doc: server.docs[p.version].toString(),
        over: over.map(plain),
        push: p.updates,
        result: rebaseUpdates(updates, over).map(plain),
        sequential: rebased.map(plain),
      });
    let doc = server.docs[server.docs.length - 1];
    for (const u of rebased) {
      doc = u.changes.apply(doc);
      server.updates.push({ changes: u.changes, clientID: u.clientID });
      server.docs.push(doc);
    }
    for (const c of clients) c.inbox.push({ to: server.updates.length });
  };

  for (let s = 0; s < steps; s++) {
    const c = pick(clients);
    const r = rnd();
    if (r < 0.45) c.state = randomEdit(c.state).state;
    else if (r < 0.7) {
      // one push in flight, as the web client does; a push whose answer
      // is late is sent again unchanged (a resend after a lost
      // acknowledgement), which the authority must drop
      const ups = sendableUpdates(c.state);
      if (c.sent && c.sent.version === getSyncedVersion(c.state) && rnd() < 0.3) queue.push(c.sent);
      else if (!c.sent && ups.length) {
        c.sent = { version: getSyncedVersion(c.state), updates: ups.map(plain) };
        queue.push(c.sent);
      }
    } else if (r < 0.85 && queue.length) serve(queue.splice(int(Math.min(queue.length, 2)), 1)[0]);
    else deliver(c, 1 + int(3));
  }
  // the end: every push arrives, every client hears everything and pushes
  // what it still holds until nothing is left
  for (let round = 0; round < 50; round++) {
    while (queue.length) serve(queue.shift());
    let left = 0;
    for (const c of clients) {
      deliver(c, Infinity);
      const ups = sendableUpdates(c.state);
      if (ups.length) {
        left++;
        c.sent = { version: getSyncedVersion(c.state), updates: ups.map(plain) };
        queue.push(c.sent);
      }
    }
    if (!left && !queue.length) break;
  }
  const want = server.docs[server.docs.length - 1].toString();
  for (const c of clients)
    if (c.state.doc.toString() !== want)
      throw new Error(`session ${seed}: a client diverged: ${JSON.stringify(c.state.doc.toString())} vs ${JSON.stringify(want)}, ${sendableUpdates(c.state).length} unsent, synced ${getSyncedVersion(c.state)} of ${server.updates.length}`);
}

// many sessions for convergence, the first vectors for the file
for (let s = 0; s < 200; s++) session(s, 2 + int(5), 60 + int(120));

const out = {
  generator: "tests/ot/gen_rebase.mjs",
  "@codemirror/state": version("@codemirror/state"),
  "@codemirror/collab": version("@codemirror/collab"),
  vectors,
};
writeFileSync(new URL("./rebase_vectors.json", import.meta.url), JSON.stringify(out) + "\n");
const dups = vectors.filter((v) => v.result.length < v.push.length).length;
const differ = vectors.filter((v) => JSON.stringify(v.result) !== JSON.stringify(v.sequential)).length;
console.log(
  `${vectors.length} rebase vectors (${dups} drop already accepted updates, ${differ} where one call and one at a time differ); 200 sessions converged`,
);
