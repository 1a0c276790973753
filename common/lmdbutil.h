/*
 * lmdbutil.h - what runpad's two LMDB stores (fcgi/store.c for
 * submissions, ws/padstore.c for pads) share: big-endian keys, copies out
 * of the map, and LMDB's return codes as -errno with a sentence.
 *
 * Library code: nothing here logs or exits.
 */
#ifndef RUNPAD_LMDBUTIL_H
#define RUNPAD_LMDBUTIL_H

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

#endif
