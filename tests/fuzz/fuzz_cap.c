/*
 * libFuzzer target: link keys and their hashes (ws/cap, ws/sha256), which
 * a hello hands the daemon.  cap_hash accepts exactly 32 characters of
 * [A-Za-z0-9_-] and gives their SHA-256; cap_unhex accepts exactly 64
 * lowercase hex digits and is cap_hex's inverse; SHA-256 fed in pieces,
 * cut where the input says, is SHA-256 in one call.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char key_chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	uint8_t one[32], inc[32], h[32];
	struct sha256_ctx c;
	char hex[CAP_HEX_LEN + 1], *z;
	bool key_ok;
	int r;

	/* SHA-256 in pieces whose sizes are the input's own bytes */
	sha256(data, size, one);
	sha256_init(&c);
	for (size_t off = 0, i = 0; off < size; i++) {
		size_t take = data[i % size] + 1;
		if (take > size - off)
			take = size - off;
		sha256_update(&c, data + off, take);
		off += take;
	}
	sha256_final(&c, inc);
	if (memcmp(one, inc, 32))
		abort();

	/* a key */
	key_ok = size == CAP_KEY_LEN;
	for (size_t i = 0; key_ok && i < size; i++)
		key_ok = data[i] && strchr(key_chars, data[i]);
	memset(h, 0, sizeof(h));
	r = cap_hash(text, size, h);
	if (key_ok != (r == 0) || (r && r != -EINVAL))
		abort();
	if (!r && !cap_equal(h, one))
		abort(); /* the hash of a key is the SHA-256 of its text */

	/* a hash in hex, as a NUL-terminated string */
	z = malloc(size + 1);
	if (!z)
		return 0;
	memcpy(z, data, size);
	z[size] = 0;
	r = cap_unhex(z, h);
	if (r == 0) {
		cap_hex(h, hex);
		if (strcmp(hex, z))
			abort(); /* only the one spelling is accepted */
	} else if (r != -EINVAL ||
	           (strlen(z) == CAP_HEX_LEN &&
	            strspn(z, "0123456789abcdef") == CAP_HEX_LEN)) {
		abort();
	}
	free(z);
	cap_hex(one, hex);
	if (cap_unhex(hex, h) || !cap_equal(h, one))
		abort();
	return 0;
}
