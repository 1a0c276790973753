/*
 * padstore.h - the persistence of runpad-ws's code pads, on LMDB.
 *
 * A pad is a text edited by many clients through the @codemirror/collab
 * authority model: the daemon accepts updates in order, each one taking the
 * pad from version v-1 to version v.  The store keeps, per pad, a small meta
 * record, every accepted update (the history, for later playback), one
 * snapshot of the text, and the JSON of the pad's last run.  To rebuild a pad
 * the daemon loads the snapshot and replays the tail of updates after it:
 *
 *	padstore_load()     meta + snapshot (text at snap_version) + last run
 *	padstore_updates()  updates snap_version+1 .. head, in order
 *
 * Versions.  A pad starts at version 0 with an empty text.  Update number v
 * (1-based) is the one that produces version v, so it is stored under v; the
 * head is the number of accepted updates, which is also the version of the
 * newest one.  A snapshot stored under v is the text after update v
 * (version 0: the initial text, if the daemon stores one).
 *
 * Pad ids are 1..PADSTORE_ID_MAX characters of [A-Za-z0-9_-]; every function
 * that takes one checks it and returns -EINVAL for anything else.  The store
 * treats updates, texts and runs as opaque bytes: it does not check that a
 * text is UTF-8 or that a run is JSON.
 *
 * Files.  `dir` holds LMDB's data.mdb and lock.mdb (mode 0600; the directory
 * is made 0700 if missing).  Nine named databases:
 *
 *	meta       pad id -> meta record (below)
 *	updates    pad id, 0x00, 8-byte big-endian version -> the update's bytes
 *	snapshots  pad id, 0x00, 8-byte big-endian version -> the text's bytes;
 *	           one per pad: a new one deletes the older ones
 *	runs       pad id -> the last run's JSON bytes
 *	tests      pad id -> the pad's tests, JSON bytes
 *	access     pad id -> the pad's links (hashes), controls and toolchain,
 *	           JSON bytes
 *	events     pad id, 0x00, 8-byte big-endian seq -> an event's JSON
 *	runlog     pad id, 0x00, 8-byte big-endian run number -> a run's JSON
 *	info       "format" -> the environment's format record (lmdbutil.h):
 *	           format 2, the layout this header describes (format 1 had
 *	           no access, events or runlog, and no notes documents)
 *
 * The 0x00 after the id (a byte no id contains) makes a cursor scan for
 * "a\0..." return exactly pad "a"'s keys, in version order, and never those
 * of "a-b" or "ab", which sort after it.
 *
 * Meta record (record format 1, its first byte), 72 bytes, host byte order
 * like LMDB's own pages (an LMDB file is not portable between architectures
 * anyway):
 *
 *	offset size
 *	 0     1    format, 1
 *	 1     1    language length, 0..32
 *	 2     6    reserved, zero
 *	 8     8    head (u64)
 *	16     8    snap_version (u64), <= head
 *	24     8    last_edit_ms (i64, ms since the epoch, >= 0)
 *	32     8    created_ms (i64, >= 0)
 *	40    32    language, zero-padded; no NUL inside its length
 *
 * A meta record that breaks any of these rules, an update or snapshot key of
 * the wrong length, a missing update inside a range that must be complete,
 * or a missing snapshot that the meta record names, is reported as -EBADMSG
 * with the pad and the reason in err; nothing is ever read past a record's
 * end.
 *
 * Durability.  With sync_interval_ms == 0 every commit is flushed to disk
 * (fsync) before it returns: a committed batch survives a crash of the
 * process and of the machine.  With sync_interval_ms > 0 the environment is
 * opened MDB_NOSYNC and the caller calls padstore_sync() about every that many
 * milliseconds (the store keeps no timer).  Then:
 *   - a crash of the process (SIGKILL, abort, OOM kill) loses nothing that
 *     was committed: a commit has written its pages into the kernel's page
 *     cache, which outlives the process;
 *   - a crash of the machine or a power loss may lose the batches committed
 *     since the last padstore_sync() that returned 0.  lmdb.h's caveat
 *     applies: the database stays intact (only the last batches are undone)
 *     only if the filesystem preserves write order; on one that does not, a
 *     power loss between two syncs can leave the file corrupt.
 * padstore_close() syncs in both modes.
 *
 * Threads.  A struct padstore may be used by any number of threads; the
 * environment is opened MDB_NOTLS, and every read function runs its own read
 * transaction, begun and ended inside the call, which never waits for a
 * writer.  Writes (a padstore_txn, padstore_sweep(), padstore_delete()) are
 * serialised by LMDB's writer lock: one at a time in the whole process, a
 * second one blocks until the first ends.  So a thread that holds an open
 * padstore_txn must not call padstore_begin(), padstore_sweep() or
 * padstore_delete() (it would wait for itself); read functions are fine.  A
 * padstore_txn must be committed or aborted by the thread that began it.
 * At most 126 read transactions may be open at once (LMDB's reader table);
 * one more gets -EAGAIN.
 *
 * Processes.  Open a directory at most once per process (LMDB's rule: a
 * second open of the same files in one process breaks its locks), and do not
 * call into the store from a forked child.  The environment's file
 * descriptors are close-on-exec.  If another process shares the directory
 * and grows the map (MDB_MAP_RESIZED), the next transaction begun while no
 * other transaction of this process is open adopts the new size and goes on;
 * one begun while another is open gets -EAGAIN "map resized ...; retry".
 *
 * Errors: 0 or a negative errno; where a function takes `char *err, size_t
 * errlen` it writes a lowercase reason there on failure (err may be NULL).
 * -ENOSPC "pad store is full (map size N MiB); raise ws.map_size" means the
 * LMDB map is full: the batch was rolled back, nothing of it is stored, and
 * reads (and writes small enough to fit, and deletes, which free pages for
 * the next batches) go on working.  The map does not grow by itself.
 */
#ifndef RUNPAD_PADSTORE_H
#define RUNPAD_PADSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lmdb_format; /* lmdbutil.h */

/* Map size used when padstore_options.map_size is 0: 1 GiB. */
#define PADSTORE_MAP_SIZE_DEFAULT ((size_t)1 << 30)
/* Longest pad id, in characters. */
#define PADSTORE_ID_MAX 64
/* Longest language id, in bytes (without the NUL). */
#define PADSTORE_LANG_MAX 32
/* A pad's notes are a document of their own, stored as the pad's id with
   this suffix (which no pad id contains, so no client can name it); they
   are deleted with the pad, and padstore_sweep() skips them. */
#define PADSTORE_NOTES_SUFFIX "!notes"
#define PADSTORE_DOC_MAX      (PADSTORE_ID_MAX + 6)
/* `to` for padstore_updates(): every stored update after `from`. */
#define PADSTORE_VERSION_END UINT64_MAX

struct padstore;

struct padstore_options {
	const char *dir; /* created 0700 if missing */
	size_t map_size; /* bytes; 0: PADSTORE_MAP_SIZE_DEFAULT */
	/* 0: every commit is synced (durable); > 0: MDB_NOSYNC, and the
	   caller calls padstore_sync() about this often (see above). */
	unsigned sync_interval_ms;
};

/* True when pad is 1..PADSTORE_ID_MAX characters of [A-Za-z0-9_-]. */
bool padstore_valid_id(const char *pad);
/* A pad id, or a pad id with PADSTORE_NOTES_SUFFIX: what every function
   below takes as `pad` (a document). */
bool padstore_valid_doc(const char *doc);

/*
 * Open (creating if needed) the store described by o.  LMDB raises a
 * map_size below what the existing file already holds.  Clears reader slots
 * left by dead processes.  On success *out is a handle for padstore_close();
 * on failure *out is NULL.  Returns 0 or -errno with err (-EINVAL when
 * o->dir is NULL or empty).
 *
 * The environment's format record (lmdbutil.h) is checked first.  A new
 * environment gets format 2 in the transaction that creates the databases;
 * one of format 1 (or made before the record existed, which is format 1)
 * is raised to 2 in that transaction (the new databases start empty), and
 * padstore_format() says so (LMDB_FORMAT_RAISED, from 1), for the caller
 * to report.  A format above 2 is -ENOTSUP, a record that does not parse
 * -EBADMSG, both with lmdb_format_open()'s message naming o->dir; then
 * nothing in the environment has been written.
 */
int padstore_open(const struct padstore_options *o, struct padstore **out,
                  char *err, size_t errlen);

/*
 * The format record as padstore_open() found or wrote it (->origin says
 * which).  Points into ps: valid until padstore_close(); never NULL.
 */
const struct lmdb_format *padstore_format(const struct padstore *ps);

/*
 * Sync to disk, then close the environment.  No call may be running on ps
 * and no padstore_txn may be open, in any thread.  Accepts NULL.
 */
void padstore_close(struct padstore *ps);

/*
 * Flush every committed batch to disk (mdb_env_sync with force), so that it
 * survives a power loss.  Needed only with sync_interval_ms > 0; harmless
 * otherwise.  May run while a batch is open (it flushes what was committed
 * before).  Returns 0 or -errno (e.g. -EIO).
 */
int padstore_sync(struct padstore *ps);

/*
 * A pad as stored, copied out of the map: the caller owns the struct and its
 * two buffers until padstore_pad_fini(); nothing points into LMDB's map.
 */
struct padstore_pad {
	uint64_t head;         /* version after the last stored update */
	uint64_t snap_version; /* version of snap_text; <= head */
	char *snap_text;       /* owned, NUL-terminated after snap_len bytes;
	                          never NULL after a successful load ("" when
	                          the pad has no snapshot yet, or none at all) */
	size_t snap_len;
	char language[PADSTORE_LANG_MAX + 1]; /* NUL-terminated, may be "" */
	int64_t last_edit_ms;
	int64_t created_ms; /* last_edit_ms of the pad's first put_meta */
	char *last_run;     /* owned, NUL-terminated; NULL when there is none */
	size_t last_run_len;
	char *tests; /* owned, NUL-terminated: the pad's tests as the
	                       daemon stored them; NULL when there are none */
	size_t tests_len;
	char *access; /* owned, NUL-terminated: the pad's links, controls
	                 and toolchain (the daemon's JSON); NULL when it has
	                 none (an open pad with the default toolchain) */
	size_t access_len;
	bool exists; /* false: no meta record; everything else zero/empty */
};

/*
 * Load pad's meta record, its snapshot and its last run into *out (zeroed
 * first; release it with padstore_pad_fini() on success and failure alike),
 * from one read transaction.  The updates after the snapshot,
 * (out->snap_version, out->head], are read with padstore_updates().  A pad
 * that is not stored is not an error: it returns 0 with out->exists false.
 * Returns 0; -EINVAL for a bad id; -EBADMSG for a meta record that does not
 * parse or a snapshot it names that is missing; -ENOMEM; -EAGAIN when the
 * reader table is full.
 */
int padstore_load(struct padstore *ps, const char *pad,
                  struct padstore_pad *out, char *err, size_t errlen);

/*
 * Only whether pad is stored, and its head: one read of its meta record,
 * none of its snapshot, run or tests.  0 with *head; -ENOENT when pad has
 * no meta record; -EINVAL for a bad id; -EBADMSG; -EAGAIN.
 */
int padstore_head(struct padstore *ps, const char *pad, uint64_t *head,
                  char *err, size_t errlen);

/* Free the buffers of p and zero it.  Accepts NULL and a zeroed struct. */
void padstore_pad_fini(struct padstore_pad *p);

/*
 * Call cb(arg, version, data, len) for pad's updates with from < version <=
 * to, in increasing order, from one read transaction.  data points into
 * LMDB's map and is valid only until cb returns; cb may call read functions
 * of the store but no write function (see Threads).
 *
 * The range must be complete: every version in (from, to] must be stored
 * (with to == PADSTORE_VERSION_END: every version from from+1 up to the last
 * stored one, none missing in between).  A missing version gives -EBADMSG
 * naming it, after cb has been called for the versions before it.  An empty
 * range (from >= to) calls nothing and returns 0.
 *
 * Returns 0; cb's value as soon as cb returns non-zero (nothing more is
 * called; make it negative or positive as you like, the store passes it
 * through); -EINVAL for a bad id; -EBADMSG; -EAGAIN.
 */
int padstore_updates(struct padstore *ps, const char *pad, uint64_t from,
                     uint64_t to,
                     int (*cb)(void *arg, uint64_t version, const void *data,
                               size_t len),
                     void *arg, char *err, size_t errlen);

/*
 * A write batch: one LMDB write transaction that groups everything the
 * daemon accepted in one turn of its event loop.  Nothing of it is visible
 * to readers or stored on disk until padstore_commit() returns 0.
 *
 * A batch is all or nothing: after any padstore_put_*() fails, the batch is
 * dead, the later puts return the same error without doing anything, and
 * padstore_commit() rolls everything back and returns that error with its
 * message.  So the daemon may check only the commit.  It should confirm
 * updates to their clients only after the commit returned 0; when it fails,
 * every pad the batch touched is back at its stored state, and the daemon
 * must refuse the pushes of that batch (and drop them from memory, or reload
 * those pads) before it goes on.
 *
 * The put functions copy what they are given; the caller's buffers are free
 * again when they return.
 */
struct padstore_txn;

/*
 * Begin a batch into *out (NULL on failure).  Blocks while another write is
 * running.  Returns 0 or -errno with err.
 */
int padstore_begin(struct padstore *ps, struct padstore_txn **out, char *err,
                   size_t errlen);

/*
 * Store update number `version` (>= 1, < PADSTORE_VERSION_END: the one that
 * produces that version) of pad: len bytes at data (NULL when len is 0).
 * Updates are history and never change: storing a version that is already
 * there fails with -EEXIST.  The store does not check that version follows
 * the head; that is the daemon's job (and padstore_updates() reports gaps).
 * Returns 0; -EINVAL for a bad id or version 0; -EEXIST; -ENOSPC (map full,
 * or the batch is too large for LMDB); -EBADMSG; -EIO.
 */
int padstore_put_update(struct padstore_txn *t, const char *pad,
                        uint64_t version, const void *data, size_t len);

/*
 * Make len bytes at text (NULL when len is 0) pad's snapshot: the text at
 * `version`.  Every other snapshot of pad is deleted in the same batch, so
 * the store keeps one per pad.  If pad has a meta record its snap_version
 * becomes version (and its head too, if it was lower); if it has none yet,
 * the put_meta() that creates it picks the snapshot up.  Returns 0, -EINVAL
 * for a bad id, or the errors of padstore_put_update() but -EEXIST.
 */
int padstore_put_snapshot(struct padstore_txn *t, const char *pad,
                          uint64_t version, const char *text, size_t len);

/*
 * Create or update pad's meta record: head, language (NUL-terminated, at
 * most PADSTORE_LANG_MAX bytes, may be ""; NULL keeps the stored language,
 * "" for a new pad) and last_edit_ms (>= 0).  A new record gets created_ms =
 * last_edit_ms and snap_version = the version of the pad's snapshot, or 0 if
 * it has none; an existing one keeps both.  Call it in every batch that
 * touches a pad: padstore_sweep() finds pads through it, and a pad without
 * one loads as not existing.  Returns 0; -EINVAL for a bad id, a bad
 * language, a negative time or a head below the snapshot's version; -EBADMSG
 * when the stored record does not parse; -ENOSPC; -EIO.
 */
int padstore_put_meta(struct padstore_txn *t, const char *pad, uint64_t head,
                      const char *language, int64_t last_edit_ms);

/*
 * Store len bytes at json as pad's last run, replacing the previous one;
 * json NULL deletes it.  Returns 0; -EINVAL for a bad id; -ENOSPC; -EIO.
 */
int padstore_put_run(struct padstore_txn *t, const char *pad, const char *json,
                     size_t len);

/* The pad's tests (the daemon's JSON), replacing any; json NULL deletes
   them.  Same batch rules as padstore_put_run(). */
int padstore_put_tests(struct padstore_txn *t, const char *pad,
                       const char *json, size_t len);

/* The pad's links, controls and toolchain (the daemon's JSON), replacing
   any; json NULL deletes them.  Same batch rules as padstore_put_run(). */
int padstore_put_access(struct padstore_txn *t, const char *pad,
                        const char *json, size_t len);

/*
 * Two logs per pad, each an ordered list of records keyed by a number
 * the daemon picks (>= 1, increasing): EVENTS, what happened in the pad
 * (joins, controls, ...), and RUNS, every run kept, by run number.  A put
 * replaces the record under that number (a run is stored again when it
 * ends).  Same batch rules as padstore_put_update().
 */
enum padstore_log { PADSTORE_LOG_EVENTS, PADSTORE_LOG_RUNS };

int padstore_put_log(struct padstore_txn *t, enum padstore_log log,
                     const char *pad, uint64_t seq, const void *data,
                     size_t len);

/*
 * Call cb(arg, seq, data, len) (cb may be NULL) for pad's records of log
 * with seq > from, in order, from one read transaction; data is valid only
 * until cb returns.  *last (may be NULL) gets the highest seq seen (0 for
 * none), *bytes (may be NULL) the bytes of the records seen.  Returns 0,
 * cb's non-zero value, -EINVAL, -EBADMSG (a malformed key), -EAGAIN.
 */
int padstore_log(struct padstore *ps, enum padstore_log log, const char *pad,
                 uint64_t from,
                 int (*cb)(void *arg, uint64_t seq, const void *data,
                           size_t len),
                 void *arg, uint64_t *last, size_t *bytes, char *err,
                 size_t errlen);

/*
 * Commit the batch: 0 when everything put in it is stored (and, with
 * sync_interval_ms == 0, on disk).  On failure nothing of it is stored and
 * err says why: the first failed put's error, or the commit's own (-ENOSPC
 * when the map filled up while committing, -EIO).  Frees t in every case.
 */
int padstore_commit(struct padstore_txn *t, char *err, size_t errlen);

/* Roll the batch back and free t.  Accepts NULL. */
void padstore_abort(struct padstore_txn *t);

/*
 * Delete every record (meta, updates, snapshot, run) of up to max pads
 * (0: no limit) whose last_edit_ms < cutoff_ms, in one write transaction,
 * skipping those for which in_use(arg, pad) returns true (in_use may be
 * NULL; it must not call into the store).  Finding them scans every meta
 * record, and each deleted pad costs its whole history, so keep max small
 * and call again while *deleted == max: the writer lock is held for one
 * call.  Meta records that do not parse are skipped and left alone.
 * *deleted (may be NULL) gets the number of pads deleted, 0 on failure.
 * Returns 0 or -errno with err, and then nothing is deleted.
 */
int padstore_sweep(struct padstore *ps, int64_t cutoff_ms, size_t max,
                   bool (*in_use)(void *arg, const char *pad), void *arg,
                   size_t *deleted, char *err, size_t errlen);

/*
 * Delete every record of pad, in one write transaction (also records left
 * without a meta record).  Returns 0; -ENOENT when nothing of pad was stored;
 * -EINVAL for a bad id; -errno with err.
 */
int padstore_delete(struct padstore *ps, const char *pad, char *err,
                    size_t errlen);

/*
 * From one read transaction: *pads the number of meta records, *map_used
 * the bytes of the map in use (pages up to the last one written; freed pages
 * inside it are reused but not given back), *map_size the map's size.  Any
 * pointer may be NULL.  Returns 0 or -errno.
 */
int padstore_stats(struct padstore *ps, size_t *pads, size_t *map_used,
                   size_t *map_size);

#endif
