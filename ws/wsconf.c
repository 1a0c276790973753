/*
 * wsconf.c - settings of runpad-ws: embedded defaults, the `ws.*` keys of
 * the shared configuration file, and `--set key=value` overrides.
 */
#include "wsconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "jailkeys.h"
#include "ring.h"
#include "units.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

enum kind { K_UINT, K_SIZE, K_MS, K_STR };

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	unsigned long long min, max;
	bool restart; /* takes effect only at start */
};

#define F(m) offsetof(struct wsconf, m)
static const struct key keys[] = {
        {"ws.listen", K_STR, F(listen), 0, 0, true},
        {"ws.state_dir", K_STR, F(state_dir), 0, 0, true},
        {"ws.runner", K_STR, F(runner), 0, 0, false},
        {"ws.runner_token", K_STR, F(runner_token), 0, 0, false},
        {"ws.ring", K_STR, F(ring), 0, 0, false},
        {"ws.ring_self", K_STR, F(ring_self), 0, 0, false},
        {"ws.map_size", K_SIZE, F(map_size), 16 * MiB, 1024 * GiB, true},
        {"ws.max_doc", K_SIZE, F(max_doc), 1 * KiB, 64 * MiB, false},
        {"ws.max_message", K_SIZE, F(max_message), 4 * KiB, 256 * MiB, false},
        {"ws.max_queue", K_SIZE, F(max_queue), 64 * KiB, 1 * GiB, false},
        {"ws.max_run_output", K_SIZE, F(max_run_output), 1 * KiB, 256 * MiB,
         false},
        {"ws.updates_per_second", K_UINT, F(updates_per_second), 1, 1000000,
         false},
        {"ws.update_burst", K_UINT, F(update_burst), 1, 10000000, false},
        {"ws.max_updates_per_push", K_UINT, F(max_updates_per_push), 1, 1000000,
         false},
        {"ws.max_participants", K_UINT, F(max_participants), 1, 10000, false},
        {"ws.max_pads", K_UINT, F(max_pads), 1, 10000000, false},
        {"ws.max_name", K_UINT, F(max_name), 1, 1024, false},
        {"ws.max_catchup", K_UINT, F(max_catchup), 0, 10000000, false},
        {"ws.snapshot_every", K_UINT, F(snapshot_every), 1, 1000000, false},
        {"ws.idle_unload", K_MS, F(idle_unload_ms), 0, 7 * 24 * 3600000ull,
         false},
        {"ws.expire_days", K_UINT, F(expire_days), 0, 100000, false},
        {"ws.sweep_interval", K_MS, F(sweep_interval_ms), 1000,
         7 * 24 * 3600000ull, false},
        {"ws.sync_interval", K_MS, F(sync_interval_ms), 0, 3600000, true},
        {"ws.run_wall_time", K_MS, F(run_wall_ms), 100, 3600000, false},
        {"ws.runner_timeout", K_MS, F(runner_timeout_ms), 100, 600000, false},
};
#undef F

static int defaults(struct wsconf *c)
{
	c->map_size = 1 * GiB;
	c->max_doc = 512 * KiB;
	c->max_message = 1 * MiB;
	c->max_queue = 4 * MiB;
	c->max_run_output = 1 * MiB;
	c->updates_per_second = 100;
	c->update_burst = 5000;
	c->max_updates_per_push = 1000;
	c->max_participants = 32;
	c->max_pads = 1000;
	c->max_name = 64;
	c->max_catchup = 10000;
	c->snapshot_every = 100;
	c->idle_unload_ms = 30000;
	c->expire_days = 30;
	c->sweep_interval_ms = 3600000;
	c->sync_interval_ms = 1000;
	c->run_wall_ms = 20000;
	c->runner_timeout_ms = 3000;
	if (conf_set_string(&c->listen, "unix:/run/runpad/ws.sock") < 0 ||
	    conf_set_string(&c->state_dir, "/var/lib/runpad") < 0 ||
	    conf_set_string(&c->runner, "http://127.0.0.1/api/") < 0 ||
	    conf_set_string(&c->ring, "") < 0 ||
	    conf_set_string(&c->ring_self, "") < 0)
		return -ENOMEM;
	return 0;
}

static int check_listen(const char *v, char *err, size_t errlen)
{
	struct addr a;
	char why[96];

	if (addr_parse(v, &a, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "ws.listen: %s, got '%.200s'", why, v);
		return -EINVAL;
	}
	return 0;
}

static int on_setting(void *arg, const char *key, const char *value, char *err,
                      size_t errlen)
{
	struct wsconf *c = arg;
	unsigned long long u;
	uint64_t v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		void *dst = (char *)c + k->off;
		if (strcmp(key, k->name))
			continue;
		switch (k->kind) {
		case K_UINT:
			if (conf_uint(value, k->min, k->max, &u) < 0) {
				snprintf(err, errlen,
				         "%s: expected %llu to %llu", key,
				         k->min, k->max);
				return -EINVAL;
			}
			*(unsigned *)dst = (unsigned)u;
			return 0;
		case K_SIZE:
			if (units_parse_size(value, &v) < 0 || v < k->min ||
			    v > k->max) {
				snprintf(
				        err, errlen,
				        "%s: expected a size from %lluK to %lluM, such as 512K",
				        key, k->min / KiB, k->max / MiB);
				return -EINVAL;
			}
			*(uint64_t *)dst = v;
			return 0;
		case K_MS:
			if (units_parse_duration_ms(value, &v) < 0 ||
			    v < k->min || v > k->max) {
				snprintf(
				        err, errlen,
				        "%s: expected a duration from %llu ms to %llu s, such as 30s",
				        key, k->min, k->max / 1000);
				return -EINVAL;
			}
			*(uint64_t *)dst = v;
			return 0;
		case K_STR:
			if (strcmp(key, "ws.listen") == 0 &&
			    check_listen(value, err, errlen) < 0)
				return -EINVAL;
			if (strcmp(key, "ws.state_dir") == 0 &&
			    value[0] != '/') {
				snprintf(
				        err, errlen,
				        "ws.state_dir: expected an absolute path");
				return -EINVAL;
			}
			if (strcmp(key, "ws.ring") == 0) {
				/* here for the line number; ws.ring_self is
				   checked at the end */
				struct ring *r;
				if (ring_load(key, value, NULL, &r, err,
				              errlen) < 0)
					return -EINVAL;
				ring_free(r);
			}
			if (strcmp(key, "ws.runner_token") == 0 && !*value) {
				free(c->runner_token);
				c->runner_token = NULL;
				return 0;
			}
			return conf_set_string((char **)dst, value);
		}
	}
	if (!strchr(key, '.')) {
		/* the jail's keys have no prefix: check them as runpad-fcgi
		   and runpad-jail would, so a typo is caught here too */
		int r = jailkey_check(key, value, err, errlen);
		if (r < 0)
			return r;
		if (r > 0)
			return 0;
	}
	if (strncmp(key, "ws.", 3) == 0 || !strchr(key, '.')) {
		snprintf(err, errlen, "unknown setting '%s'", key);
		return -EINVAL;
	}
	return 0; /* another program's key */
}

int wsconf_set_pair(struct wsconf *c, const char *pair, char *err,
                    size_t errlen)
{
	const char *eq = strchr(pair, '=');
	char key[96];
	size_t n;

	if (!eq || eq == pair || (n = (size_t)(eq - pair)) >= sizeof(key)) {
		snprintf(err, errlen, "expected key=value, got '%s'", pair);
		return -EINVAL;
	}
	memcpy(key, pair, n);
	key[n] = 0;
	return on_setting(c, key, eq + 1, err, errlen);
}

struct wsconf *wsconf_load(const char *path, char *const *sets, size_t nsets,
                           char *err, size_t errlen)
{
	struct wsconf *c = calloc(1, sizeof(*c));

	if (!c || defaults(c) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	if (path &&
	    conf_load_with_dropins(path, on_setting, c, err, errlen) < 0)
		goto out_free;
	for (size_t i = 0; i < nsets; i++)
		if (wsconf_set_pair(c, sets[i], err, errlen) < 0)
			goto out_free;
	if (ring_load("ws.ring", c->ring, c->ring_self, &c->owners, err,
	              errlen) < 0)
		goto out_free;
	return c;
out_free:
	wsconf_free(c);
	return NULL;
}

const char *wsconf_restart_only_change(const struct wsconf *a,
                                       const struct wsconf *b)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		const void *x = (const char *)a + k->off;
		const void *y = (const char *)b + k->off;
		bool same;
		if (!k->restart)
			continue;
		if (k->kind == K_STR)
			same = strcmp(*(char *const *)x, *(char *const *)y) ==
			       0;
		else if (k->kind == K_UINT)
			same = *(const unsigned *)x == *(const unsigned *)y;
		else
			same = *(const uint64_t *)x == *(const uint64_t *)y;
		if (!same)
			return k->name;
	}
	return NULL;
}

bool wsconf_owns(const struct wsconf *c, const char *pad, const char **owner)
{
	return ring_owns(c->owners, c->ring_self, pad, strlen(pad), owner);
}

void wsconf_free(struct wsconf *c)
{
	if (!c)
		return;
	ring_free(c->owners);
	free(c->ring);
	free(c->ring_self);
	free(c->listen);
	free(c->state_dir);
	free(c->runner);
	free(c->runner_token);
	free(c);
}
