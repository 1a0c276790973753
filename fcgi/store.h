/*
 * store.h - the async-submissions store of runpad-fcgi, on LMDB.
 *
 * An async run is submitted, waits in a FIFO queue, is claimed by one worker
 * thread, runs, and is finished with its result; clients poll it by id until
 * it expires.  The store keeps all of that in one LMDB environment so that
 * it survives a restart of the process:
 *
 *	submit ──> queued ──claim_next──> running ──finish──> done ──expire──> gone
 *	                                     │                  ^
 *	                                     └───recover────────┘  (after a crash)
 *
 * Files.  `dir` holds LMDB's data.mdb and lock.mdb (mode 0600; the directory
 * is made 0700 if missing).  Five named databases:
 *
 *	subs    id (32 bytes) -> record (below)
 *	queue   8-byte big-endian sequence -> id; a cursor walks it in FIFO order
 *	expiry  8-byte big-endian finished_ms + id -> empty; one per done record,
 *	        so store_expire() touches only what it deletes and
 *	        store_counts() is three O(1) stats instead of a scan
 *	meta    "next_seq" -> 8-byte host-order next queue sequence
 *	info    "format" -> the environment's format record (lmdbutil.h):
 *	        format 1, the layout this header describes
 *
 * Record format (version 1), host byte order like LMDB's own pages (an LMDB
 * file is not portable between architectures anyway):
 *
 *	offset size
 *	 0     1    version, 1
 *	 1     1    state: 0 queued, 1 running, 2 done
 *	 2     2    reserved, zero
 *	 4     4    request_len
 *	 8     4    result_len (zero unless done)
 *	12     4    reserved, zero
 *	16     8    seq: the record's queue key while it is queued
 *	24     8    created_ms   (signed, ms since the epoch, 0 = not yet)
 *	32     8    started_ms
 *	40     8    finished_ms
 *	48     -    request_len bytes of request, then result_len bytes of result
 *
 * A record whose size is not exactly 48 + request_len + result_len, whose
 * version, state or reserved bytes are wrong, or whose timestamps are
 * negative does not parse, and the functions that read it return -EBADMSG.
 *
 * Durability: LMDB's default sync mode; when a function that writes returns
 * 0 its transaction is committed and on disk (fsync), so an acknowledged
 * submission survives a crash of the process or of the machine.  Every
 * function is one transaction: it either happens completely or not at all.
 *
 * Threads: a struct store may be used by any number of threads at once; the
 * environment is opened MDB_NOTLS and every call uses its own transaction,
 * begun and ended inside the call.  Writers are serialised by LMDB's writer
 * lock (the longest writer is store_recover(), once at start-up, and
 * store_expire(), bounded by its `max`); readers never wait.  At most 126
 * calls may be reading at the same moment (LMDB's reader table); one more
 * gets -EAGAIN.
 *
 * Processes: open a directory at most once per process (LMDB's rule: a
 * second open of the same files in one process breaks its locks), and only
 * from one process at a time.  Every file descriptor of the environment is
 * close-on-exec (store_open() sets it on the data fd, which LMDB 0.9 leaves
 * inheritable), so jails spawned with fork+exec do not inherit them; call
 * store_open() before starting threads that fork, and never call into the
 * store from a forked child.
 *
 * Errors: 0 or a negative errno; where a function takes `char *err, size_t
 * errlen` it writes a lowercase reason there on failure (err may be NULL).
 * -ENOSPC with "store full" means the LMDB map is full: the transaction is
 * rolled back, nothing changes, and reads go on working.  LMDB writes copy
 * on write, so once the map is full every write (claim, finish and expire
 * too) may fail the same way; the map does not grow.  Size it for
 * max_pending requests plus a TTL's worth of results with room to spare
 * (a record over ~2 KiB takes whole 4 KiB pages, so the default 256 MiB
 * holds some 50k of those).
 */
#ifndef RUNPAD_STORE_H
#define RUNPAD_STORE_H

#include <stddef.h>
#include <stdint.h>

struct lmdb_format; /* lmdbutil.h */

/* Map size used when store_open() is given 0. */
#define STORE_MAP_SIZE_DEFAULT ((size_t)256 << 20)
/* Length of an id: 32 lowercase hex characters (128 random bits). */
#define STORE_ID_LEN 32

struct store;

enum store_state { STORE_QUEUED, STORE_RUNNING, STORE_DONE };

/* "queued", "running", "done"; "unknown" for anything else.  Static. */
const char *store_state_name(enum store_state s);

/*
 * One submission, copied out of the store.  The caller owns the struct and
 * the two buffers, which stay valid until store_sub_fini(); nothing in it
 * points into LMDB's map.  request and result are NUL-terminated after their
 * _len bytes for convenience, and may hold NUL bytes of their own.
 */
struct store_sub {
	char id[STORE_ID_LEN + 1];
	enum store_state state;
	int64_t created_ms, started_ms, finished_ms; /* 0 when not yet */
	char *request;                               /* owned, never NULL */
	size_t request_len;
	char *result; /* owned; NULL until done */
	size_t result_len;
};

/* Free the buffers of s and zero it.  Accepts NULL and a zeroed struct. */
void store_sub_fini(struct store_sub *s);

/*
 * Open (creating if needed) the store in dir with a map of map_size bytes
 * (0: STORE_MAP_SIZE_DEFAULT; LMDB raises a value below what the existing
 * file already needs).  Clears reader slots left by dead processes.  The map
 * does not grow: when it is full, writes fail with -ENOSPC.  On success
 * *out is a handle for store_close().  Returns 0 or -errno with err.
 *
 * The environment's format record (lmdbutil.h) is checked first.  A new
 * environment gets format 1 in the transaction that creates the databases;
 * one made before the record existed (by runpad 0.1.0, whose layout is
 * format 1) gets it written once, and store_format() says so, for the
 * caller to report.  A format above 1 is -ENOTSUP, a record that does not
 * parse -EBADMSG, both with lmdb_format_open()'s message naming dir; then
 * nothing in the environment has been written.
 */
int store_open(const char *dir, size_t map_size, struct store **out, char *err,
               size_t errlen);

/*
 * The format record as store_open() found or wrote it (->origin says
 * which).  Points into st: valid until store_close(); never NULL.
 */
const struct lmdb_format *store_format(const struct store *st);

/*
 * Close the environment.  No call may be running on st, in any thread.
 * Accepts NULL.
 */
void store_close(struct store *st);

/*
 * Add a queued submission with created_ms = now_ms.  id must be 32 lowercase
 * hex characters; request is len bytes (NULL when len is 0), copied.
 * Returns 0; -EINVAL for a bad id or a negative now_ms; -EMSGSIZE for a
 * request over 4 GiB; -EEXIST when id is already in the store (in any
 * state, until it expires); -ENOSPC when queued + running submissions have
 * reached max_pending (0: no limit) or the map is full.
 */
int store_submit(struct store *st, const char *id, const char *request,
                 size_t len, int64_t now_ms, size_t max_pending, char *err,
                 size_t errlen);

/*
 * Take the oldest queued submission, mark it running with started_ms =
 * now_ms and copy it into *out (which the caller then releases with
 * store_sub_fini()).  Atomic: two threads never claim the same submission.
 * Returns 0; -ENOENT when nothing is queued (*out zeroed).
 *
 * A record at the head of the queue that does not parse is taken off the
 * queue (it stays in subs, where store_get() reports it) and the call
 * returns -EBADMSG naming its id in err, so one bad record does not block
 * the queue: the next call goes on with the next submission.  Queue entries
 * whose record is gone or no longer queued are dropped silently (they cannot
 * arise through this API).
 */
int store_claim_next(struct store *st, int64_t now_ms, struct store_sub *out,
                     char *err, size_t errlen);

/*
 * Mark the running submission id done with finished_ms = now_ms and a copy
 * of the len bytes of result.  Returns 0; -ENOENT for an unknown id; -EINVAL
 * when it is not running (queued, or already done) or for a bad id;
 * -EMSGSIZE for a result over 4 GiB; -EBADMSG for a record that does not
 * parse; -ENOSPC when the map is full.
 */
int store_finish(struct store *st, const char *id, const char *result,
                 size_t len, int64_t now_ms, char *err, size_t errlen);

/*
 * Copy submission id into *out (release with store_sub_fini()).  A done
 * submission is returned until store_expire() deletes it.  Returns 0;
 * -ENOENT when unknown or already expired (*out zeroed); -EINVAL for a bad
 * id; -EBADMSG for a record that does not parse.
 */
int store_get(struct store *st, const char *id, struct store_sub *out,
              char *err, size_t errlen);

/*
 * Call once after store_open(), before any worker claims: every running
 * submission (its worker died with the previous process) becomes done with
 * finished_ms = now_ms and a copy of result (len bytes; the runner passes an
 * internal_error JSON).  Queued ones stay queued, in their order.  Scans
 * every record in one write transaction.  Records that do not parse are
 * skipped.  *interrupted and *queued (either may be NULL) get the numbers of
 * submissions finished and left queued.  Returns 0, or -errno with err and
 * nothing changed (-ENOSPC when the map is full).
 */
int store_recover(struct store *st, int64_t now_ms, const char *result,
                  size_t len, size_t *interrupted, size_t *queued, char *err,
                  size_t errlen);

/*
 * Delete done submissions with finished_ms <= now_ms - ttl_ms, oldest first,
 * at most max of them (0: no limit), so that a large backlog does not hold
 * the writer lock for long: call again while *deleted == max.  Walks the
 * expiry index, so the cost is that of the deletions, not of the store's
 * size.  *deleted (may be NULL) gets the number deleted.  Returns 0, or
 * -EINVAL for a negative ttl_ms, or -errno with err and nothing deleted.
 */
int store_expire(struct store *st, int64_t now_ms, int64_t ttl_ms, size_t max,
                 size_t *deleted, char *err, size_t errlen);

/*
 * Numbers of submissions by state, from one read transaction (a consistent
 * snapshot); any pointer may be NULL.  running is derived (all records minus
 * the queued and done ones), so a record that does not parse counts as
 * running.  Returns 0 or -errno.
 */
int store_counts(struct store *st, size_t *queued, size_t *running,
                 size_t *done);

#endif
