/*
 * lmdbutil.h - what runpad's two LMDB stores (fcgi/store.c for
 * submissions, ws/padstore.c for pads) share: big-endian keys, copies out
 * of the map, and LMDB's return codes as -errno with a sentence.
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

#endif
