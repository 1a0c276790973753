/*
 * buf.h - a growable byte string, the one every part of runpad appends to
 * (process output, request bodies, socket input, generated files).
 *
 * A zeroed struct buf is an empty buffer with no limit.  The buffer owns p,
 * which is NULL until the first byte is reserved and is then always
 * NUL-terminated at p[len] (the NUL is not counted in len, and is not
 * counted against max).  p moves when the buffer grows: do not keep
 * pointers into it across an add.  buf_fini() frees it; buf_steal() hands
 * it to the caller.  Not thread-safe; no global state.
 *
 * A buffer limited by buf_limit() never holds more than max bytes (0
 * included: then it holds nothing): an add that
 * would pass it fails with -EFBIG and changes nothing (buf_add), or keeps
 * what fits (buf_add_upto).  Growth doubles from 256 bytes, capped at
 * max + 1 so a limited buffer never allocates past its limit.
 */
#ifndef RUNPAD_BUF_H
#define RUNPAD_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *p;    /* owned; NULL or NUL-terminated at p[len] */
	size_t len; /* bytes held */
	size_t cap; /* bytes allocated at p */
	size_t max; /* with bounded: the most bytes it may hold */
	bool bounded;
};

/* Hold at most max bytes from now on (what it holds already stays). */
void buf_limit(struct buf *b, size_t max);

/*
 * Make room for n more bytes (and the NUL) without adding them: after 0,
 * p[len .. len + n] is writable, and a caller that wrote k bytes there
 * calls buf_commit(b, k).  -EFBIG past max or on overflow, -ENOMEM; the
 * buffer is unchanged on failure.
 */
int buf_reserve(struct buf *b, size_t n);
/* Count k bytes written after a successful buf_reserve(b, n >= k). */
void buf_commit(struct buf *b, size_t k);

/* Append n bytes: 0, or -EFBIG / -ENOMEM with the buffer unchanged. */
int buf_add(struct buf *b, const void *data, size_t n);
/* Append printf output: 0, -EFBIG / -ENOMEM (unchanged), -EINVAL (format). */
__attribute__((format(printf, 2, 3))) int buf_addf(struct buf *b,
                                                   const char *fmt, ...);
/*
 * Append as much of data as max lets the buffer hold.  Returns the bytes
 * taken (n when all fit); fewer than n also when memory runs out, which
 * *err (if not NULL) tells apart: 0 or -ENOMEM.
 */
size_t buf_add_upto(struct buf *b, const void *data, size_t n, int *err);

/* Drop the contents, keep the allocation and the limit. */
void buf_clear(struct buf *b);
/* Free p and zero the buffer except its limit.  Accepts a zeroed buffer. */
void buf_fini(struct buf *b);
/*
 * Hand p to the caller (who frees it) and zero the buffer except its limit.
 * An empty buffer gives an allocated "" so the result is never NULL unless
 * memory ran out.  *len, if not NULL, gets the length.
 */
char *buf_steal(struct buf *b, size_t *len);

#endif
