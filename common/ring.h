/*
 * ring.h - nginx's `hash KEY consistent` ring, recomputed, so that a daemon
 * behind such an upstream knows which keys nginx sends to it.
 *
 * This is an exact re-implementation of ngx_http_upstream_init_chash() and
 * ngx_http_upstream_find_chash_point() (ngx_http_upstream_hash_module.c,
 * the ketama scheme of Cache::Memcached::Fast):
 *
 *   - per server, as written in nginx's `server` directive: for
 *     "unix:PATH" host is PATH and port is empty; else, when the text ends
 *     in ":DIGITS", host is what comes before that last colon and port the
 *     digits; else host is the whole text and port is empty;
 *   - base = crc32 over host, one NUL byte, port;
 *   - weight * 160 points, each crc32(base bytes || prev as 4 bytes in
 *     little-endian order), prev starting at 0 and then the point before;
 *   - all points sorted by hash, equal hashes kept once (the first, in
 *     server order, as a stable sort leaves them);
 *   - a key hashes to crc32(key); its server is that of the first point
 *     whose hash is >= it, wrapping past the last point to the first.
 *
 * What nginx does next is not reproduced: when the chosen server is down
 * or has failed, nginx walks on to the next points and picks another
 * server.  The daemons do not follow it there; a daemon that receives a
 * key the ring gives to another refuses it (close 4421, HTTP 421), so one
 * pad or run never lives in two places.
 *
 * Only the server's text and its weight move points; nginx's other server
 * parameters (max_fails=, fail_timeout=, max_conns=) are accepted and
 * ignored so that server lines can be copied as they are.  `backup` and
 * `down` are refused: hash upstreams take no backups, and a server marked
 * down still owns its points.
 */
#ifndef RUNPAD_RING_H
#define RUNPAD_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits on what a spec may make us allocate. */
#define RING_MAX_ENTRIES 256
#define RING_MAX_WEIGHT  100
#define RING_MAX_ADDR    255

struct ring; /* opaque, immutable once made */

/* crc32 as nginx's ngx_crc32_long (IEEE 802.3, zlib's crc32). */
uint32_t ring_crc32(const void *data, size_t len);

/*
 * Parse spec, a comma-separated list of `ADDRESS [weight=N] [PARAM=...]`
 * (whitespace around items and between words is trimmed), and build the
 * ring.  ADDRESS is the server's text exactly as in nginx's `server`
 * directive.  An address given twice is an error.  On success *out is a
 * new ring for ring_free() and 0 is returned; else -EINVAL (a message
 * naming the bad item in err) or -ENOMEM.
 */
int ring_parse(const char *spec, struct ring **out, char *err, size_t errlen);

/*
 * The address of the entry that owns key (len bytes): the server nginx
 * picks for it while that server is up.  The string is the ring's own,
 * valid while r lives.
 */
const char *ring_owner(const struct ring *r, const char *key, size_t len);

/* Whether addr is one of the ring's entries (exact text). */
bool ring_has(const struct ring *r, const char *addr);

/* Number of entries. */
size_t ring_entries(const struct ring *r);

/* The address of entry i (i < ring_entries()), in spec order; valid while
   r lives. */
const char *ring_entry(const struct ring *r, size_t i);

/*
 * A settings file's pair of keys, such as ws.ring and ws.ring_self: parse
 * spec (the value of the key named key) and, unless self is NULL, check
 * that self is one of its entries.  An empty spec gives *out = NULL: the
 * program owns every key.  0, or -EINVAL / -ENOMEM with a message naming
 * the key in err; *out is for ring_free().
 */
int ring_load(const char *key, const char *spec, const char *self,
              struct ring **out, char *err, size_t errlen);

/*
 * Whether self owns key (len bytes): true when r is NULL (no ring), else
 * when the ring gives key to the entry self.  When it does not and owner
 * is not NULL, *owner gets the entry that does (valid while r lives).
 */
bool ring_owns(const struct ring *r, const char *self, const char *key,
               size_t len, const char **owner);

/*
 * A check for a settings table (settab.h): value must parse as a ring
 * (ring_parse); 0, or -EINVAL with "KEY: ..." in err.  The key's _self is
 * checked against it once the whole file is read (ring_load).
 */
int ring_check(const char *key, const char *value, char *err, size_t errlen);

void ring_free(struct ring *r); /* NULL ok */

#endif
