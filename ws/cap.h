/*
 * cap.h - the keys of pad links (docs/protocol.md, "Roles and links").
 *
 * A link is a capability: whoever holds its key has its role.  A key is
 * 24 bytes from getrandom(2) (192 bits), written in base64url without
 * padding: exactly CAP_KEY_LEN characters of [A-Za-z0-9_-].  The daemon
 * keeps only a key's SHA-256 (of its 32 characters), so neither the pad
 * store nor a backup of it holds a usable link, and compares hashes in
 * constant time.  Hashes go into JSON as 64 lowercase hex digits.
 *
 * Nothing here allocates, logs or keeps state.  Every buffer is the
 * caller's.
 */
#ifndef RUNPAD_CAP_H
#define RUNPAD_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAP_KEY_LEN  32 /* characters of a key */
#define CAP_KEY_RAW  24 /* random bytes in it */
#define CAP_HASH_LEN 32 /* bytes of its SHA-256 */
#define CAP_HEX_LEN  64 /* hex digits of that */

/*
 * A new key: key gets its CAP_KEY_LEN characters and a NUL, hash its
 * SHA-256 (what cap_hash() gives for it).  Returns 0, or -errno of
 * getrandom(2) (EINTR is retried; it blocks only until the kernel's pool
 * is first initialised, early at boot).  On failure key and hash are
 * cleared.
 */
int cap_new(char key[CAP_KEY_LEN + 1], uint8_t hash[CAP_HASH_LEN]);

/*
 * The hash of the key key[0..len) (need not be NUL-terminated): 0, or
 * -EINVAL, with hash untouched, unless len is CAP_KEY_LEN and every
 * character is of [A-Za-z0-9_-].  Untrusted input (a hello's key) is
 * fine here.
 */
int cap_hash(const char *key, size_t len, uint8_t hash[CAP_HASH_LEN]);

/* Whether two hashes are equal, in a time that does not depend on
   where they differ. */
bool cap_equal(const uint8_t a[CAP_HASH_LEN], const uint8_t b[CAP_HASH_LEN]);

/* hash as CAP_HEX_LEN lowercase hex digits and a NUL. */
void cap_hex(const uint8_t hash[CAP_HASH_LEN], char out[CAP_HEX_LEN + 1]);

/*
 * The hash written by cap_hex(): hex must be a NUL-terminated string of
 * exactly CAP_HEX_LEN lowercase hex digits.  Returns 0, or -EINVAL (out
 * untouched) for anything else: another length, upper case, a sign,
 * spaces.  hex is read up to its NUL or CAP_HEX_LEN + 1 bytes, whichever
 * comes first.
 */
int cap_unhex(const char *hex, uint8_t out[CAP_HASH_LEN]);

#endif
