/*
 * utf8.h - UTF-8 checks shared by the daemons and tools.
 *
 * Program output is bytes; JSON wants UTF-8.  These helpers validate and
 * repair without guessing at encodings.
 */
#ifndef RUNPAD_UTF8_H
#define RUNPAD_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence at s (1-4), or 0 if the bytes at s do
 * not start one (overlong forms, surrogates, values above U+10FFFF and
 * truncated sequences are invalid).  n is the number of bytes available.
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/*
 * Length of the longest prefix of buf that does not end inside a UTF-8
 * sequence: a streamed chunk, or a text cut at a cap, never splits a
 * character.  Looks back at most 4 bytes; what comes before is not checked.
 */
size_t utf8_complete(const char *buf, size_t len);

/* True when all n bytes are valid UTF-8 (NUL bytes allowed). */
bool utf8_valid(const char *s, size_t n);

/*
 * Copy s to a new NUL-terminated string, replacing each byte that does not
 * start a valid sequence with U+FFFD.  *outlen (may be NULL) gets the
 * length.  The caller frees the result; NULL on ENOMEM.
 */
char *utf8_sanitize(const char *s, size_t n, size_t *outlen);

#endif
