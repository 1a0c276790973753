/*
 * Unit tests: ws/cap, the keys of pad links: what cap_new draws (length,
 * alphabet, no repeats, every character at every position), their hashes
 * (SHA-256 of the text; the constants are coreutils' sha256sum), the
 * constant-time comparison, and the strict hex form, with every
 * malformed input refused and the output left alone.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "sha256.h"

#define DRAWS 10000

static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, CAP_KEY_LEN + 1);
}

Test(cap, new_keys_are_32_characters_of_base64url_and_distinct)
{
	char(*keys)[CAP_KEY_LEN + 1] = calloc(DRAWS, CAP_KEY_LEN + 1);
	/* seen[position][character] */
	static unsigned seen[CAP_KEY_LEN][256];

	cr_assert_not_null(keys);
	for (size_t i = 0; i < DRAWS; i++) {
		uint8_t h[CAP_HASH_LEN], again[CAP_HASH_LEN], want[32];

		memset(keys[i], '!', sizeof(keys[i]));
		cr_assert_eq(cap_new(keys[i], h), 0);
		cr_assert_eq(strlen(keys[i]), CAP_KEY_LEN, "key %s", keys[i]);
		cr_assert_eq(strspn(keys[i], alphabet), CAP_KEY_LEN, "key %s",
		             keys[i]);
		for (size_t p = 0; p < CAP_KEY_LEN; p++)
			seen[p][(unsigned char)keys[i][p]]++;
		/* the hash is the SHA-256 of the text, as cap_hash says */
		sha256(keys[i], CAP_KEY_LEN, want);
		cr_assert_eq(memcmp(h, want, 32), 0);
		cr_assert_eq(cap_hash(keys[i], CAP_KEY_LEN, again), 0);
		cr_assert_eq(memcmp(h, again, 32), 0);
	}
	qsort(keys, DRAWS, CAP_KEY_LEN + 1, cmp_key);
	for (size_t i = 1; i < DRAWS; i++)
		cr_assert_neq(cmp_key(keys[i - 1], keys[i]), 0,
		              "key %s drawn twice", keys[i]);
	/* 6 random bits per character: each of the 64 turns up at each
	   position (about 156 times in 10000; missing one by chance is
	   below 1e-60) */
	for (size_t p = 0; p < CAP_KEY_LEN; p++)
		for (size_t c = 0; c < 64; c++)
			cr_assert_gt(seen[p][(unsigned char)alphabet[c]], 0,
			             "'%c' never at position %zu", alphabet[c],
			             p);
	free(keys);
}

Test(cap, hash_is_sha256_of_the_text)
{
	static const struct {
		const char *key, *sha256sum;
	} v[] = {
	        {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	         "22a48051594c1949deed7040850c1f0f8764537f5191be56732d16a54c1d8153"},
	        {"Zk3_-9azAZ09xxxxxxxxxxxxxxxxxxx-",
	         "a33ac267abe4f265738bbaf980899502401771dd193c28999b96f41ccba4218b"},
	};

	for (size_t i = 0; i < 2; i++) {
		uint8_t h[CAP_HASH_LEN];
		char hex[CAP_HEX_LEN + 1];

		cr_assert_eq(cap_hash(v[i].key, strlen(v[i].key), h), 0);
		cap_hex(h, hex);
		cr_assert_str_eq(hex, v[i].sha256sum);
	}
}

Test(cap, hash_reads_only_len_bytes)
{
	char buf[40];
	uint8_t a[CAP_HASH_LEN], b[CAP_HASH_LEN];

	memcpy(buf, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+++", 35);
	cr_assert_eq(cap_hash(buf, CAP_KEY_LEN, a), 0);
	cr_assert_eq(cap_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 32, b), 0);
	cr_assert_eq(memcmp(a, b, 32), 0);
}

static void expect_bad_key(const char *key, size_t len, const char *what)
{
	uint8_t h[CAP_HASH_LEN];

	memset(h, 0x5a, sizeof(h));
	cr_assert_eq(cap_hash(key, len, h), -EINVAL, "%s accepted", what);
	for (size_t i = 0; i < sizeof(h); i++)
		cr_assert_eq(h[i], 0x5a, "%s: hash written", what);
}

Test(cap, hash_refuses_every_malformed_key)
{
	static const char good[] = "Zk3_-9azAZ09xxxxxxxxxxxxxxxxxxx-";
	/* base64 (not url), padding, space, dot, NUL, DEL, Latin-1, UTF-8 */
	static const char bad[] = {'+',  '/',  '=', ' ',        '.',       '\0',
	                           0x7f, '\t', '~', (char)0xe9, (char)0xc3};
	char key[CAP_KEY_LEN + 2];

	expect_bad_key(NULL, CAP_KEY_LEN, "NULL");
	expect_bad_key("", 0, "the empty key");
	expect_bad_key(good, CAP_KEY_LEN - 1, "31 characters");
	memcpy(key, good, CAP_KEY_LEN);
	key[CAP_KEY_LEN] = 'A';
	expect_bad_key(key, CAP_KEY_LEN + 1, "33 characters");
	for (size_t p = 0; p < CAP_KEY_LEN; p++) {
		for (size_t b = 0; b < sizeof(bad); b++) {
			char what[64];

			memcpy(key, good, CAP_KEY_LEN);
			key[p] = bad[b];
			snprintf(what, sizeof(what), "byte 0x%02x at %zu",
			         (unsigned char)bad[b], p);
			expect_bad_key(key, CAP_KEY_LEN, what);
		}
	}
}

Test(cap, equal_compares_every_bit)
{
	uint8_t a[CAP_HASH_LEN], b[CAP_HASH_LEN];

	cr_assert_eq(cap_hash("Zk3_-9azAZ09xxxxxxxxxxxxxxxxxxx-", 32, a), 0);
	memcpy(b, a, sizeof(a));
	cr_assert(cap_equal(a, b));
	for (size_t i = 0; i < CAP_HASH_LEN; i++) {
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1 << bit);
			cr_assert_not(cap_equal(a, b), "byte %zu bit %d", i,
			              bit);
			cr_assert_not(cap_equal(b, a));
			b[i] ^= (uint8_t)(1 << bit);
		}
	}
	cr_assert(cap_equal(a, b));
}

Test(cap, hex_round_trips)
{
	for (int n = 0; n < 200; n++) {
		char key[CAP_KEY_LEN + 1], hex[CAP_HEX_LEN + 1];
		uint8_t h[CAP_HASH_LEN], back[CAP_HASH_LEN];

		cr_assert_eq(cap_new(key, h), 0);
		memset(hex, '!', sizeof(hex));
		cap_hex(h, hex);
		cr_assert_eq(strlen(hex), CAP_HEX_LEN);
		cr_assert_eq(strspn(hex, "0123456789abcdef"), CAP_HEX_LEN);
		cr_assert_eq(cap_unhex(hex, back), 0, "%s", hex);
		cr_assert_eq(memcmp(h, back, sizeof(h)), 0);
	}
}

Test(cap, hex_of_every_byte_value)
{
	uint8_t h[CAP_HASH_LEN], back[CAP_HASH_LEN];
	char hex[CAP_HEX_LEN + 1];

	for (int base = 0; base < 256; base += CAP_HASH_LEN) {
		for (int i = 0; i < CAP_HASH_LEN; i++)
			h[i] = (uint8_t)(base + i);
		cap_hex(h, hex);
		for (int i = 0; i < CAP_HASH_LEN; i++) {
			char two[4];
			snprintf(two, sizeof(two), "%02x", base + i);
			cr_assert_eq(memcmp(hex + 2 * i, two, 2), 0);
		}
		cr_assert_eq(cap_unhex(hex, back), 0);
		cr_assert_eq(memcmp(h, back, sizeof(h)), 0);
	}
}

static void expect_bad_hex(const char *hex, const char *what)
{
	uint8_t out[CAP_HASH_LEN];

	memset(out, 0x5a, sizeof(out));
	cr_assert_eq(cap_unhex(hex, out), -EINVAL, "%s accepted", what);
	for (size_t i = 0; i < sizeof(out); i++)
		cr_assert_eq(out[i], 0x5a, "%s: output written", what);
}

Test(cap, unhex_refuses_every_malformed_input)
{
	static const char good[] =
	        "a33ac267abe4f265738bbaf980899502401771dd193c28999b96f41ccba4218b";
	static const char bad[] = {'A', 'F', 'g',  'G',        'x', ' ',
	                           '-', '+', '\n', (char)0xe9, '\0'};
	char hex[CAP_HEX_LEN + 2];
	uint8_t out[CAP_HASH_LEN];

	cr_assert_eq(cap_unhex(good, out), 0);
	expect_bad_hex(NULL, "NULL");
	expect_bad_hex("", "the empty string");
	memcpy(hex, good, CAP_HEX_LEN);
	hex[CAP_HEX_LEN - 1] = 0;
	expect_bad_hex(hex, "63 digits");
	memcpy(hex, good, CAP_HEX_LEN);
	hex[CAP_HEX_LEN] = '0';
	hex[CAP_HEX_LEN + 1] = 0;
	expect_bad_hex(hex, "65 digits");
	hex[CAP_HEX_LEN] = '\n';
	expect_bad_hex(hex, "a trailing newline");
	expect_bad_hex(
	        "0xa33ac267abe4f265738bbaf980899502401771dd193c28999b96f41ccba421",
	        "a 0x prefix");
	expect_bad_hex(
	        "A33AC267ABE4F265738BBAF980899502401771DD193C28999B96F41CCBA4218B",
	        "upper case");
	for (size_t p = 0; p < CAP_HEX_LEN; p++) {
		for (size_t b = 0; b < sizeof(bad); b++) {
			char what[64];

			memcpy(hex, good, CAP_HEX_LEN + 1);
			hex[p] = bad[b];
			snprintf(what, sizeof(what), "byte 0x%02x at %zu",
			         (unsigned char)bad[b], p);
			expect_bad_hex(hex, what);
		}
	}
}
