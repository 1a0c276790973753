/*
 * cap.c - link keys: random, base64url, hashed with SHA-256.
 */
#include "cap.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "sha256.h"

_Static_assert(CAP_KEY_RAW * 4 == CAP_KEY_LEN * 3,
               "a key's bytes fill its characters exactly, no padding");
_Static_assert(CAP_HASH_LEN == SHA256_LEN, "a key's hash is its SHA-256");

static const char b64url[64] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static bool key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int random_bytes(uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t k = getrandom(buf + got, len - got, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)k;
	}
	return 0;
}

int cap_new(char key[CAP_KEY_LEN + 1], uint8_t hash[CAP_HASH_LEN])
{
	uint8_t raw[CAP_KEY_RAW];
	int r = random_bytes(raw, sizeof(raw));

	if (r < 0) {
		memset(key, 0, CAP_KEY_LEN + 1);
		memset(hash, 0, CAP_HASH_LEN);
		explicit_bzero(raw, sizeof(raw));
		return r;
	}
	/* every 3 bytes make 4 characters of 6 bits each, high bits first */
	for (size_t i = 0, o = 0; i < CAP_KEY_RAW; i += 3, o += 4) {
		uint32_t v = (uint32_t)raw[i] << 16 |
		             (uint32_t)raw[i + 1] << 8 | raw[i + 2];

		key[o] = b64url[v >> 18];
		key[o + 1] = b64url[(v >> 12) & 63];
		key[o + 2] = b64url[(v >> 6) & 63];
		key[o + 3] = b64url[v & 63];
	}
	key[CAP_KEY_LEN] = 0;
	explicit_bzero(raw, sizeof(raw));
	sha256(key, CAP_KEY_LEN, hash);
	return 0;
}

int cap_hash(const char *key, size_t len, uint8_t hash[CAP_HASH_LEN])
{
	if (!key || len != CAP_KEY_LEN)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!key_char(key[i]))
			return -EINVAL;
	sha256(key, len, hash);
	return 0;
}

bool cap_equal(const uint8_t a[CAP_HASH_LEN], const uint8_t b[CAP_HASH_LEN])
{
	/* volatile: the compiler may not stop at the first difference */
	volatile uint8_t diff = 0;

	for (size_t i = 0; i < CAP_HASH_LEN; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

void cap_hex(const uint8_t hash[CAP_HASH_LEN], char out[CAP_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < CAP_HASH_LEN; i++) {
		out[2 * i] = digits[hash[i] >> 4];
		out[2 * i + 1] = digits[hash[i] & 15];
	}
	out[CAP_HEX_LEN] = 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int cap_unhex(const char *hex, uint8_t out[CAP_HASH_LEN])
{
	uint8_t v[CAP_HASH_LEN];

	if (!hex)
		return -EINVAL;
	/* a NUL before the end is not a digit, so nothing past it is read */
	for (size_t i = 0; i < CAP_HASH_LEN; i++) {
		int hi = nibble(hex[2 * i]), lo;

		if (hi < 0)
			return -EINVAL;
		lo = nibble(hex[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		v[i] = (uint8_t)(hi << 4 | lo);
	}
	if (hex[CAP_HEX_LEN] != 0)
		return -EINVAL;
	memcpy(out, v, sizeof(v));
	return 0;
}
