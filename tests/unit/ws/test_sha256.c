/*
 * Unit tests: ws/sha256, against the FIPS 180-2 examples (NIST's "abc",
 * the 448-bit message, a million 'a'), the empty message, and lengths
 * around the padding boundaries (55, 56, 64 bytes ...) whose digests were
 * computed by coreutils' sha256sum.  The incremental calls, in any split,
 * give the same digest as the one-shot call.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void hex(const uint8_t d[SHA256_LEN], char out[65])
{
	for (int i = 0; i < SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void expect_digest(const void *data, size_t len, const char *want)
{
	uint8_t d[SHA256_LEN];
	char got[65];

	sha256(data, len, d);
	hex(d, got);
	cr_assert_str_eq(got, want, "sha256 of %zu bytes", len);
}

Test(sha256, empty)
{
	expect_digest("", 0,
	              "e3b0c44298fc1c149afbf4c8996fb924"
	              "27ae41e4649b934ca495991b7852b855");
	expect_digest(NULL, 0,
	              "e3b0c44298fc1c149afbf4c8996fb924"
	              "27ae41e4649b934ca495991b7852b855");
}

Test(sha256, abc)
{
	expect_digest("abc", 3,
	              "ba7816bf8f01cfea414140de5dae2223"
	              "b00361a396177a9cb410ff61f20015ad");
}

Test(sha256, two_blocks_448_bits)
{
	static const char m[] =
	        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	cr_assert_eq(sizeof(m) - 1, 56);
	expect_digest(m, 56,
	              "248d6a61d20638b8e5c026930c3e6039"
	              "a33ce45964ff2167f6ecedd419db06c1");
}

Test(sha256, one_million_a)
{
	static const char want[] = "cdc76e5c9914fb9281a1c7e284d73e67"
	                           "f1809a48a497200e046d39ccc7112cd0";
	size_t n = 1000000;
	char *m = malloc(n);
	struct sha256_ctx c;
	uint8_t d[SHA256_LEN];
	char got[65];

	cr_assert_not_null(m);
	memset(m, 'a', n);
	expect_digest(m, n, want);
	/* the same in 1000 odd-sized pieces */
	sha256_init(&c);
	for (size_t off = 0, k = 1; off < n; k = k % 997 + 1) {
		size_t take = n - off < k ? n - off : k;
		sha256_update(&c, m + off, take);
		off += take;
	}
	sha256_final(&c, d);
	hex(d, got);
	cr_assert_str_eq(got, want);
	free(m);
}

/* bytes (i * 7 + 3) mod 256, i = 0 .. len-1; the digests are sha256sum's:
   python3 -c "import sys; sys.stdout.buffer.write(bytes((i*7+3)&255
   for i in range(N)))" | sha256sum */
static const struct {
	size_t len;
	const char *digest;
} boundaries[] = {
        {55,
         "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
        {56,
         "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
        {57,
         "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73"},
        {63,
         "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
        {64,
         "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
        {65,
         "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
        {119,
         "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
        {120,
         "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
        {128,
         "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"},
};

static void pattern(uint8_t *m, size_t len)
{
	for (size_t i = 0; i < len; i++)
		m[i] = (uint8_t)(i * 7 + 3);
}

Test(sha256, padding_boundaries_match_sha256sum)
{
	uint8_t m[128];

	pattern(m, sizeof(m));
	for (size_t i = 0; i < sizeof(boundaries) / sizeof(boundaries[0]); i++)
		expect_digest(m, boundaries[i].len, boundaries[i].digest);
}

/* Every split of every length up to 200 bytes into two updates (with an
   empty update between) gives the one-shot digest. */
Test(sha256, incremental_equals_one_shot)
{
	uint8_t m[200], one[SHA256_LEN], inc[SHA256_LEN];

	pattern(m, sizeof(m));
	for (size_t len = 0; len <= sizeof(m); len++) {
		sha256(m, len, one);
		for (size_t cut = 0; cut <= len; cut++) {
			struct sha256_ctx c;

			sha256_init(&c);
			sha256_update(&c, m, cut);
			sha256_update(&c, NULL, 0);
			sha256_update(&c, m + cut, len - cut);
			sha256_final(&c, inc);
			cr_assert_eq(memcmp(one, inc, SHA256_LEN), 0,
			             "length %zu cut at %zu", len, cut);
		}
	}
}

Test(sha256, context_is_reusable_after_init)
{
	struct sha256_ctx c;
	uint8_t d[SHA256_LEN];
	char got[65];

	sha256_init(&c);
	sha256_update(&c, "xyz", 3);
	sha256_final(&c, d);
	sha256_init(&c);
	sha256_update(&c, "ab", 2);
	sha256_update(&c, "c", 1);
	sha256_final(&c, d);
	hex(d, got);
	cr_assert_str_eq(got, "ba7816bf8f01cfea414140de5dae2223"
	                      "b00361a396177a9cb410ff61f20015ad");
}
