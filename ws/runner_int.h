/*
 * runner_int.h - what the three parts of the run API client share: the
 * address parser (runner_url.c), the response parser (runner_http.c) and
 * the threads (runner.c).  Not a public header: see runner.h.
 */
#ifndef RUNPAD_RUNNER_INT_H
#define RUNPAD_RUNNER_INT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static inline void fmt(char *buf, size_t len, const char *f, ...)
        __attribute__((format(printf, 3, 4)));

static inline void fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, f);
	vsnprintf(buf, len, f, ap);
	va_end(ap);
}

/* Copy at most dstlen-1 bytes of s, not cutting a UTF-8 sequence. */
static inline void copy_cut(char *dst, size_t dstlen, const char *s, size_t n)
{
	if (n >= dstlen) {
		n = dstlen - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

#endif
