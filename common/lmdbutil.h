/*
 * lmdbutil.h - what runpad's two LMDB stores (fcgi/store.c for
 * submissions, ws/padstore.c for pads) share: big-endian keys, copies out
 * of the map, LMDB's return codes as -errno with a sentence, and the
 * format record that says which format an environment is in.
 *
 * Library code: nothing here logs or exits.
 */
#ifndef RUNPAD_LMDBUTIL_H
#define RUNPAD_LMDBUTIL_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

/* v as 8 bytes, most significant first, so that LMDB's byte order of keys
   is numeric order. */
void lmdb_put_be64(unsigned char *p, uint64_t v);
uint64_t lmdb_get_be64(const unsigned char *p);

/* A malloc'd, NUL-terminated copy of n bytes at p (a value in the map is
   valid only until its transaction ends); NULL on ENOMEM. */
char *lmdb_dup(const void *p, size_t n);

/*
 * Turn an LMDB return code (its own negative MDB_* codes, or a positive
 * errno) into -errno, and explain it in err (may be NULL) as "what: why".
 * MDB_MAP_FULL and MDB_TXN_FULL give -ENOSPC, MDB_READERS_FULL and
 * MDB_MAP_RESIZED -EAGAIN, MDB_KEYEXIST -EEXIST, MDB_NOTFOUND -ENOENT,
 * corruption -EBADMSG, anything else its errno or -EIO.  A store that words
 * a code its own way (a full map, with the setting to raise) does so before
 * calling this.
 */
int lmdb_errno(int rc, const char *what, char *err, size_t errlen);

/*
 * Open the LMDB environment of a store in dir, made (mode 0700) when
 * missing: maxdbs named databases, a map of map_size bytes, flags plus
 * MDB_NOTLS, files mode 0600.  LMDB 0.9 leaves the main data fd
 * inheritable: it is marked close-on-exec, so that spawned processes never
 * get it.  Readers left by dead processes are cleared.  On success *env
 * is the caller's (mdb_env_close()), *map_size_out (may be NULL) the map's
 * real size, and 0 is returned; else -errno with "what DIR: why" in err,
 * and nothing is left open.  what names the store ("pad store").
 */
int lmdb_env_open_dir(const char *dir, const char *what, unsigned maxdbs,
                      size_t map_size, unsigned flags, MDB_env **env,
                      size_t *map_size_out, char *err, size_t errlen);

/*
 * The format record.  Every environment of runpad holds, in the named
 * database "info" under the key "format", the number of the format its
 * other databases are in and what wrote that number:
 *
 *	offset size
 *	 0     4    format (u32, host byte order like the stores' records), >= 1
 *	 4     2    writer length n, 1..LMDB_WRITER_MAX (u16)
 *	 6     2    reserved, zero
 *	 8     n    writer: program, a space, its version ("runpad-ws 0.1.0"),
 *	            printable ASCII, no NUL
 *
 * and nothing after: the value is exactly 8 + n bytes.  The database, the
 * key and the first 4 bytes stay where they are in every format, so that
 * any release can read the number and refuse a format it does not know
 * before it looks at anything else; the rest is format 1's layout of the
 * record and may change with a later format.  The writer is the program
 * that created the environment or last changed its format; opening it
 * again does not rewrite it.
 *
 * Each store numbers its own formats, starting at 1: its format is the
 * layout of all its databases and records, and a release that changes
 * that layout raises the number and converts older environments at open.
 * Environments made before the record existed are format 1 by definition.
 */
#define LMDB_FORMAT_DB  "info"
#define LMDB_FORMAT_KEY "format"
/* Longest writer, in bytes. */
#define LMDB_WRITER_MAX 64

/* How lmdb_format_open() came by the record. */
enum lmdb_format_origin {
	LMDB_FORMAT_FOUND,   /* it was there */
	LMDB_FORMAT_CREATED, /* a new environment: written with `known` */
	LMDB_FORMAT_ADOPTED, /* databases but no record: written with 1 */
	LMDB_FORMAT_RAISED,  /* converted by lmdb_format_raise() */
};

/* The record as read or written, copied out of the map. */
struct lmdb_format {
	uint32_t format;
	uint32_t from; /* LMDB_FORMAT_RAISED: the format it was in */
	enum lmdb_format_origin origin;
	char writer[LMDB_WRITER_MAX + 1]; /* NUL-terminated */
};

/*
 * Read, or write when missing, the format record of the environment that
 * txn (a write transaction) belongs to.  Call it first in the transaction
 * that opens the store's databases, before any of them is created: an
 * environment with no named database yet is new and gets format `known`
 * (the highest this code understands, >= 1), one with databases but no
 * record was made before records existed and gets format 1.  Either way
 * the record, with program (e.g. "runpad-ws") and RUNPAD_VERSION as its
 * writer, is only put into txn: it is stored when the caller commits, with
 * the databases, and not at all if the caller aborts.
 *
 * A record that is there is only read.  Its format may be below `known`;
 * converting is the caller's business, as is telling someone that an
 * environment was adopted (out->origin).
 *
 * Returns 0 with *out filled in.  On failure the caller aborts txn, which
 * leaves the environment as it was (a record that is refused is never
 * written over), and err says, naming dir (only used in messages):
 *   -ENOTSUP  "DIR: format N, this PROGRAM understands formats up to
 *             KNOWN; upgrade runpad, or restore the state directory from
 *             a backup made by this version"
 *   -EBADMSG  "DIR: malformed format record (WHY); restore the state
 *             directory from a backup", also when "info" holds no record
 *   -EINVAL   known is 0, or program is too long for the record
 *   or what lmdb_errno() makes of LMDB's code ("DIR: cannot ...").
 */
int lmdb_format_open(MDB_txn *txn, const char *dir, const char *program,
                     uint32_t known, struct lmdb_format *out, char *err,
                     size_t errlen);

/*
 * After the caller converted an environment of out->format (found or
 * adopted by lmdb_format_open() in txn) to format `to` (> out->format), in
 * the same transaction: put the record of `to` with program as its writer,
 * and out says so (origin LMDB_FORMAT_RAISED, out->from the old format).
 * Returns 0, -EINVAL for a `to` not above the format, or what lmdb_errno()
 * makes of LMDB's code.
 */
int lmdb_format_raise(MDB_txn *txn, const char *dir, const char *program,
                      uint32_t to, struct lmdb_format *out, char *err,
                      size_t errlen);

#endif
