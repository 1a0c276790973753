/*
 * sha256.h - SHA-256 (FIPS 180-4), one-shot and incremental.
 *
 * What the pad daemon stores of a link's key (cap.h) is its SHA-256, so
 * neither the store nor a backup of it holds a usable link.  Pure: no
 * allocation, no state outside the caller's context, no failure.
 */
#ifndef RUNPAD_SHA256_H
#define RUNPAD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* An incremental computation, storage the caller owns (on the stack is
   fine); nothing to free.  Its fields are private. */
struct sha256_ctx {
	uint32_t h[8];
	uint64_t bytes; /* hashed so far */
	uint8_t block[64];
	size_t fill; /* bytes of block in use, 0..63 */
};

/* Start a computation. */
void sha256_init(struct sha256_ctx *c);

/* Add len bytes of data (any len, NULL with 0). */
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);

/* Finish: out gets the digest of everything added.  The context is then
   wiped; sha256_init() starts it again. */
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN]);

/* The digest of data[0..len) in one call. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

#endif
