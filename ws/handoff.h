/*
 * handoff.h - moving a pad from one pad daemon to another when ws.ring
 * changes.
 *
 * Theory of operation.  nginx gives every pad to one daemon of its ring;
 * when the ring changes, some pads belong to a daemon that has never held
 * them, while their history is in another daemon's store.  The new owner
 * asks for such a pad before serving it:
 *
 *   new owner                              old owner (a peer)
 *     GET /handoff/<pad>  ------------>    stops serving the pad (its
 *                                          people are sent to nginx again,
 *                                          4421), commits, answers with
 *                                          the whole pad: 200 + the dump
 *     imports the dump in one
 *     transaction, serves the pad
 *     GET /handoff/<pad>/forget?head=N ->  deletes its copy (if still at N)
 *
 * Peers that never held the pad answer 404; if every peer does, the pad
 * is new.  While a peer cannot be reached the pad is not served at all
 * (server_busy): it is never served empty while its history may exist
 * elsewhere.  No edit is accepted by both daemons: the old owner stops
 * before it exports, the new one starts after it imported.
 *
 * The dump is one JSON object:
 *
 *   {"format":1, "pad":"<id>", "language":"...", "head":N,
 *    "last_edit_ms":T, "snap_version":S, "snapshot":"<text at S>",
 *    "updates":[<update 1>, ..., <update N>], "created_ms":C,
 *    "run":<last run>|null, "tests":<tests>|null,
 *    "access":<links, controls, toolchain>|null, "events":[<event 1>, ...],
 *    "runs":[<kept run>, ...], "notes":{"head", "last_edit_ms",
 *    "snap_version", "snapshot", "updates"}|null}
 *
 * with every stored update, as stored ({"clientID":..,"changes":..}, with
 * "t" and "a"), the pad's links (their hashes) so that it is not served
 * open by its new owner, and its toolchain (both in "access"), its notes document, its event log (numbered from
 * 1 in order) and its kept runs (by their "run" number).  The fields after
 * "updates" are optional: a dump of an older daemon has none.
 * handoff_import checks all of it (the updates replayed from the empty
 * text must give the snapshot at S) before it stores anything.
 *
 * The export and import are functions of a padstore; the fetch is a
 * blocking HTTP/1.1 client for a thread of its own.  Nothing here logs.
 */
#ifndef RUNPAD_HANDOFF_H
#define RUNPAD_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "padstore.h"

/* Largest dump fetched (a pad's whole history). */
#define HANDOFF_MAX_DUMP ((size_t)256 << 20)

/*
 * The dump of pad from ps into out (appended; out's limit applies).
 * 0 with *head; -ENOENT when ps holds nothing of pad; -errno with err.
 */
int handoff_export(struct padstore *ps, const char *pad, struct buf *out,
                   uint64_t *head, char *err, size_t errlen);

/*
 * Check the dump (len bytes) and store it as pad in one batch: every
 * update, a snapshot at the head, the meta record, the last run and the
 * tests.  0 with *head; -EEXIST when ps already holds pad; -EBADMSG with
 * err for a dump that is not the pad's or does not add up; -errno of the
 * store.
 */
int handoff_import(struct padstore *ps, const char *pad, const char *dump,
                   size_t len, uint64_t *head, char *err, size_t errlen);

/*
 * The peer's URL for an entry of ws.ring or ws.peers ("unix:/path",
 * "/path", "HOST:PORT"): "unix:/path:/" or "http://HOST:PORT/" in buf.
 * 0, or -EINVAL.
 */
int handoff_peer_url(const char *entry, char *buf, size_t n);

/*
 * Split a ws.peers value (comma-separated entries, blanks around them
 * ignored, empty ones skipped) into *v, a new array of *n new strings
 * (free each and the array; NULL when *n is 0).  0, -EINVAL with "KEY:
 * 'ENTRY' is not unix:/path or HOST:PORT" in err, or -ENOMEM.
 */
int handoff_peers(const char *key, const char *list, char ***v, size_t *n,
                  char *err, size_t errlen);

/*
 * GET path from the peer at url (handoff_peer_url's form), within
 * timeout_ms for each step.  0 with *status and the body in body (its
 * limit applies: -E2BIG past it); -errno with err when there was no
 * answer.  Blocking: for a thread of its own.
 */
int handoff_get(const char *url, const char *path, int timeout_ms, int *status,
                struct buf *body, char *err, size_t errlen);

#endif
