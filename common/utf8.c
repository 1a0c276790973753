/*
 * utf8.c - UTF-8 validation and repair (see utf8.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (n == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		if (n < 2 || (s[1] & 0xc0) != 0x80)
			return 0;
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0) /* overlong */
			return 0;
		if (c == 0xed && s[1] >= 0xa0) /* UTF-16 surrogate */
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90) /* overlong */
			return 0;
		if (c == 0xf4 && s[1] >= 0x90) /* above U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k = utf8_seq_len(p + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

char *utf8_sanitize(const char *s, size_t n, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out;
	size_t o = 0;

	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(n * 3 + 1); /* each bad byte becomes 3 bytes */
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq_len(p + i, n - i);
		if (k) {
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

size_t utf8_complete(const char *buf, size_t len)
{
	/* look back at most 3 bytes for the lead byte of the last sequence */
	for (size_t back = 1; back <= 4 && back <= len; back++) {
		unsigned char c = (unsigned char)buf[len - back];
		size_t need;
		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte */
		need = c < 0x80             ? 1
		       : (c & 0xe0) == 0xc0 ? 2
		       : (c & 0xf0) == 0xe0 ? 3
		       : (c & 0xf8) == 0xf0 ? 4
		                            : 1;
		return need > back ? len - back : len;
	}
	return len;
}
