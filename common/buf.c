/* buf.c - the growable byte string: see buf.h. */
#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_FIRST 256

void buf_limit(struct buf *b, size_t max)
{
	b->max = max;
	b->bounded = true;
}

int buf_reserve(struct buf *b, size_t n)
{
	if (n > SIZE_MAX - 1 - b->len)
		return -EFBIG;
	size_t need = b->len + n + 1;
	if (b->bounded && need - 1 > b->max)
		return -EFBIG;
	if (need <= b->cap)
		return 0;
	size_t nc = b->cap ? b->cap : BUF_FIRST;
	while (nc < need)
		nc = nc > SIZE_MAX / 2 ? need : nc * 2;
	if (b->bounded && b->max < SIZE_MAX && nc > b->max + 1)
		nc = b->max + 1; /* (a limit of SIZE_MAX is no limit) */
	char *p = realloc(b->p, nc);
	if (!p)
		return -ENOMEM;
	if (!b->p)
		p[0] = '\0';
	b->p = p;
	b->cap = nc;
	return 0;
}

void buf_commit(struct buf *b, size_t k)
{
	b->len += k;
	b->p[b->len] = '\0';
}

int buf_add(struct buf *b, const void *data, size_t n)
{
	int r = buf_reserve(b, n);
	if (r < 0)
		return r;
	if (n)
		memcpy(b->p + b->len, data, n);
	buf_commit(b, n);
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(tmp))
		return buf_add(b, tmp, (size_t)n);
	int r = buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_commit(b, (size_t)n);
	return 0;
}

size_t buf_add_upto(struct buf *b, const void *data, size_t n, int *err)
{
	size_t take = n;
	if (b->bounded)
		take = b->len >= b->max      ? 0
		       : n < b->max - b->len ? n
		                             : b->max - b->len;
	int r = take || !b->p ? buf_add(b, data, take) : 0;
	if (err)
		*err = r == -ENOMEM ? r : 0;
	return r < 0 ? 0 : take;
}

void buf_clear(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void buf_fini(struct buf *b)
{
	free(b->p);
	*b = (struct buf){.max = b->max, .bounded = b->bounded};
}

char *buf_steal(struct buf *b, size_t *len)
{
	char *p = b->p ? b->p : calloc(1, 1);
	if (len)
		*len = b->len;
	*b = (struct buf){.max = b->max, .bounded = b->bounded};
	return p;
}
