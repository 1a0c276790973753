/*
 * ring.c - nginx's consistent-hash ring.  See ring.h.
 */
#include "ring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

struct ring_point {
	uint32_t hash;
	uint32_t entry; /* index into entries */
	uint32_t seq;   /* order of making, for a stable sort */
};

struct ring {
	char **addrs; /* spec order */
	size_t naddrs;
	struct ring_point *points; /* sorted, distinct hashes */
	size_t npoints;
};

/* ---------------------------------------------------------------- crc32 */

/* ngx_crc32_update(): c starts at 0xffffffff and ends xored with it.
   Bitwise rather than by table: keys are short, and there is no table to
   initialise across threads. */
static uint32_t crc_update(uint32_t c, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return c;
}

uint32_t ring_crc32(const void *data, size_t len)
{
	return crc_update(0xffffffffu, data, len) ^ 0xffffffffu;
}

/* ---------------------------------------------------------------- points */

/* The points of one server, as ngx_http_upstream_init_chash() makes them. */
static void server_points(const char *server, unsigned weight, uint32_t entry,
                          struct ring_point *pt, size_t *n)
{
	size_t len = strlen(server), host_len = len, port_len = 0, j;
	const char *host = server, *port = NULL;
	uint32_t base, prev = 0;

	if (len >= 5 && strncasecmp(server, "unix:", 5) == 0) {
		host = server + 5;
		host_len = len - 5;
	} else {
		for (j = 0; j < len; j++) {
			char c = server[len - j - 1];
			if (c == ':') {
				host_len = len - j - 1;
				port = server + len - j;
				port_len = j;
				break;
			}
			if (c < '0' || c > '9')
				break;
		}
	}
	base = crc_update(0xffffffffu, host, host_len);
	base = crc_update(base, "", 1);
	base = crc_update(base, port, port_len);
	for (j = 0; j < (size_t)weight * 160; j++) {
		/* prev_hash's bytes in memory on a little-endian host */
		unsigned char b[4] = {(unsigned char)prev,
		                      (unsigned char)(prev >> 8),
		                      (unsigned char)(prev >> 16),
		                      (unsigned char)(prev >> 24)};
		uint32_t h = crc_update(base, b, 4) ^ 0xffffffffu;
		pt[*n].hash = h;
		pt[*n].entry = entry;
		pt[*n].seq = (uint32_t)*n;
		(*n)++;
		prev = h;
	}
}

static int cmp_points(const void *a, const void *b)
{
	const struct ring_point *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---------------------------------------------------------------- parsing */

static const char *skip_blank(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* One item `ADDRESS [weight=N] ...` of [s, end): its address (new string)
   and weight. */
static int parse_item(const char *s, const char *end, char **addr,
                      unsigned *weight, char *err, size_t errlen)
{
	const char *w;
	char word[RING_MAX_ADDR + 1];
	size_t n;
	unsigned long long u;

	*addr = NULL;
	*weight = 1;
	s = skip_blank(s, end);
	if (s == end) {
		snprintf(err, errlen, "empty entry");
		return -EINVAL;
	}
	for (bool first = true; s < end; first = false) {
		for (w = s; w < end && *w != ' ' && *w != '\t'; w++)
			;
		n = (size_t)(w - s);
		if (n > RING_MAX_ADDR) {
			snprintf(err, errlen,
			         "'%.40s...' is longer than %d bytes", s,
			         RING_MAX_ADDR);
			goto out_free;
		}
		memcpy(word, s, n);
		word[n] = 0;
		s = skip_blank(w, end);
		if (first) {
			*addr = strdup(word);
			if (!*addr)
				return -ENOMEM;
			continue;
		}
		if (strncmp(word, "weight=", 7) == 0) {
			if (conf_uint(word + 7, 1, RING_MAX_WEIGHT, &u) < 0) {
				snprintf(err, errlen,
				         "%s: weight: expected 1 to %d", *addr,
				         RING_MAX_WEIGHT);
				goto out_free;
			}
			*weight = (unsigned)u;
		} else if ((strncmp(word, "max_fails=", 10) == 0 ||
		            strncmp(word, "fail_timeout=", 13) == 0 ||
		            strncmp(word, "max_conns=", 10) == 0) &&
		           word[n - 1] != '=') {
			/* nginx's; they do not move points */
		} else if (strcmp(word, "backup") == 0 ||
		           strcmp(word, "down") == 0) {
			snprintf(
			        err, errlen,
			        "%s: '%s' is not allowed (remove the server from the ring instead)",
			        *addr, word);
			goto out_free;
		} else {
			snprintf(
			        err, errlen,
			        "%s: unknown parameter '%s' (expected weight=N)",
			        *addr, word);
			goto out_free;
		}
	}
	return 0;
out_free:
	free(*addr);
	*addr = NULL;
	return -EINVAL;
}

int ring_parse(const char *spec, struct ring **out, char *err, size_t errlen)
{
	struct ring *r = calloc(1, sizeof(*r));
	unsigned weights[RING_MAX_ENTRIES];
	const char *s = spec, *end;
	size_t total = 0, n, i, j;
	int rc = -ENOMEM;

	*out = NULL;
	if (!r)
		goto out_nomem;
	r->addrs = calloc(RING_MAX_ENTRIES, sizeof(*r->addrs));
	if (!r->addrs)
		goto out_nomem;
	for (;;) {
		char e[2 * RING_MAX_ADDR + 128];
		end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		if (r->naddrs == RING_MAX_ENTRIES) {
			snprintf(err, errlen, "more than %d entries",
			         RING_MAX_ENTRIES);
			rc = -EINVAL;
			goto out_free;
		}
		rc = parse_item(s, end, &r->addrs[r->naddrs],
		                &weights[r->naddrs], e, sizeof(e));
		if (rc == -ENOMEM)
			goto out_nomem;
		if (rc < 0) {
			snprintf(err, errlen, "entry %zu: %s", r->naddrs + 1,
			         e);
			goto out_free;
		}
		for (i = 0; i < r->naddrs; i++)
			if (strcmp(r->addrs[i], r->addrs[r->naddrs]) == 0) {
				snprintf(err, errlen, "%s is listed twice",
				         r->addrs[i]);
				r->naddrs++;
				rc = -EINVAL;
				goto out_free;
			}
		total += weights[r->naddrs];
		r->naddrs++;
		if (!*end)
			break;
		s = end + 1;
	}
	r->points = calloc(total * 160, sizeof(*r->points));
	if (!r->points)
		goto out_nomem;
	n = 0;
	for (i = 0; i < r->naddrs; i++)
		server_points(r->addrs[i], weights[i], (uint32_t)i, r->points,
		              &n);
	qsort(r->points, n, sizeof(*r->points), cmp_points);
	for (i = 0, j = 1; j < n; j++)
		if (r->points[i].hash != r->points[j].hash)
			r->points[++i] = r->points[j];
	r->npoints = i + 1;
	*out = r;
	return 0;

out_nomem:
	snprintf(err, errlen, "out of memory");
	rc = -ENOMEM;
out_free:
	ring_free(r);
	return rc;
}

/* ---------------------------------------------------------------- lookup */

const char *ring_owner(const struct ring *r, const char *key, size_t len)
{
	uint32_t hash = ring_crc32(key, len);
	size_t i = 0, j = r->npoints, k;

	/* ngx_http_upstream_find_chash_point(): first point >= hash */
	while (i < j) {
		k = (i + j) / 2;
		if (hash > r->points[k].hash) {
			i = k + 1;
		} else if (hash < r->points[k].hash) {
			j = k;
		} else {
			i = k;
			break;
		}
	}
	return r->addrs[r->points[i % r->npoints].entry];
}

bool ring_has(const struct ring *r, const char *addr)
{
	for (size_t i = 0; i < r->naddrs; i++)
		if (strcmp(r->addrs[i], addr) == 0)
			return true;
	return false;
}

size_t ring_entries(const struct ring *r)
{
	return r->naddrs;
}

const char *ring_entry(const struct ring *r, size_t i)
{
	return r->addrs[i];
}

int ring_load(const char *key, const char *spec, const char *self,
              struct ring **out, char *err, size_t errlen)
{
	char e[400];
	int rc;

	*out = NULL;
	if (!*spec)
		return 0;
	rc = ring_parse(spec, out, e, sizeof(e));
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", key, e);
		return rc;
	}
	if (self && !ring_has(*out, self)) {
		snprintf(err, errlen,
		         "%s_self '%s' is not one of the entries of %s '%s'",
		         key, self, key, spec);
		ring_free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

bool ring_owns(const struct ring *r, const char *self, const char *key,
               size_t len, const char **owner)
{
	const char *o;

	if (!r)
		return true;
	o = ring_owner(r, key, len);
	if (strcmp(o, self) == 0)
		return true;
	if (owner)
		*owner = o;
	return false;
}

void ring_free(struct ring *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->naddrs; i++)
		free(r->addrs[i]);
	free(r->addrs);
	free(r->points);
	free(r);
}

int ring_check(const char *key, const char *value, char *err, size_t errlen)
{
	struct ring *r;

	if (ring_load(key, value, NULL, &r, err, errlen) < 0)
		return -EINVAL;
	ring_free(r);
	return 0;
}
