/*
 * rebase.h - @codemirror/collab's rebaseUpdates (6.1), ported from the
 * library's source:
 *
 *   function rebaseUpdates(updates, over) {
 *     if (!over.length || !updates.length) return updates;
 *     let changes = null, skip = 0;
 *     for (let update of over) {
 *       let other = skip < updates.length ? updates[skip] : null;
 *       if (other && other.clientID == update.clientID) {
 *         if (changes) changes = changes.mapDesc(other.changes, true);
 *         skip++;
 *       } else {
 *         changes = changes ? changes.composeDesc(update.changes)
 *                           : update.changes;
 *       }
 *     }
 *     if (skip) updates = updates.slice(skip);
 *     return !changes ? updates : updates.map(update => {
 *       let updateChanges = update.changes.map(changes);
 *       changes = changes.mapDesc(update.changes, true);
 *       return {changes: updateChanges, clientID: update.clientID};
 *     });
 *   }
 *
 * A push made at an older version is rebased over the updates accepted
 * since: those it already holds (a resend after a lost acknowledgement:
 * the same clientID in the same order) are dropped, and the rest are moved
 * over the others.  Descs are full change sets here (ot.h): the positions
 * come out the same, the inserted text is carried along.
 * tests/ot/rebase_vectors.json, made by the library itself, checks the
 * port byte for byte.
 *
 * One at a time.  Mapping over a composition is not always mapping over
 * its parts in turn: an insertion inside a range one update deleted, next
 * to where a later one inserted, lands on the other side.  A client's
 * receiveUpdates maps its unconfirmed changes over each batch it is given,
 * and the web client is given one update at a time while it holds
 * unconfirmed changes; so runpad-ws calls rebase_updates() once per update
 * accepted since the push's version, in order, and both sides compute the
 * same thing (docs/protocol.md, "Rebasing").
 *
 * Pure: nothing here logs, allocates beyond its result, or keeps state.
 */
#ifndef RUNPAD_REBASE_H
#define RUNPAD_REBASE_H

#include <stddef.h>

#include "ot.h"

struct rebase_update {
	const char *client;         /* clientID, NUL-terminated */
	struct ot_changes *changes; /* see rebase_updates() for who owns it */
};

/*
 * rebaseUpdates(upd, over).  upd[0..n) is the push (its changes owned by
 * the caller), over[0..nover) the updates accepted since its version
 * (read only).  On success returns 0, *skip is the number of leading
 * updates of upd that over already holds, and upd[*skip..n) hold the
 * rebased changes: each old set was freed and replaced by a new one the
 * caller owns (when nothing had to move, they are left as they were).
 * upd[0..*skip) are untouched.
 *
 * On failure returns -1 with *err: OT_ELENGTH when a set does not fit the
 * document it should apply to (a push not made at the version it claims),
 * OT_ENOMEM; upd is then unchanged.
 */
int rebase_updates(struct rebase_update *upd, size_t n,
                   const struct rebase_update *over, size_t nover, size_t *skip,
                   enum ot_err *err);

#endif
