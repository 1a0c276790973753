/*
 * wsconf.c - settings of runpad-ws: embedded defaults, the `ws.*` keys of
 * the shared configuration file, and `--set key=value` overrides.
 */
#include "wsconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "handoff.h"
#include "jailkeys.h"
#include "ring.h"
#include "settab.h"

#define KiB  1024ull
#define MiB  (1024ull * KiB)
#define GiB  (1024ull * MiB)
#define HOUR 3600000ull
#define DAY  (24 * HOUR)

static int check_create(const char *key, const char *value, char *err,
                        size_t errlen)
{
	if (strcmp(value, "anyone") == 0 || strcmp(value, "secret") == 0)
		return 0;
	snprintf(err, errlen, "%s: expected anyone or secret, got '%s'", key,
	         value);
	return -EINVAL;
}

/* comma-separated addresses, each one a peer's (handoff_peer_url) */
static int check_peers(const char *key, const char *value, char *err,
                       size_t errlen)
{
	char **v;
	size_t n;
	int r = handoff_peers(key, value, &v, &n, err, errlen);

	while (n)
		free(v[--n]);
	free(v);
	return r;
}

#define F(m)    offsetof(struct wsconf, m)
#define RESTART SETTAB_RESTART
static const struct settab_key keys[] = {
        {.name = "ws.listen",
         .type = SETTAB_STRING,
         .off = F(listen),
         .def = "unix:/run/runpad/ws.sock",
         .flags = RESTART,
         .check = settab_check_addr,
         .values = "a listen address"},
        {.name = "ws.state_dir",
         .type = SETTAB_STRING,
         .off = F(state_dir),
         .def = "/var/lib/runpad",
         .flags = RESTART,
         .check = settab_check_abspath,
         .values = "absolute path"},
        {.name = "ws.ring",
         .type = SETTAB_STRING,
         .off = F(ring),
         .def = "",
         .check = ring_check,
         .values =
                 "comma-separated ADDRESS [weight=N], as in nginx's server lines"},
        {.name = "ws.peers",
         .type = SETTAB_STRING,
         .off = F(peers),
         .def = "",
         .check = check_peers,
         .values = "comma-separated unix:/path or HOST:PORT"},
        SETTAB_NUM("ws.handoff", SETTAB_BOOL, F(handoff), 0, 0, "yes", 0),
        {.name = "ws.ring_self",
         .type = SETTAB_STRING,
         .off = F(ring_self),
         .def = "",
         .values = "one entry of ws.ring, exactly as written there"},
        {.name = "ws.runner",
         .type = SETTAB_STRING,
         .off = F(runner),
         .def = "http://127.0.0.1/api/",
         .values = "http://HOST:PORT/PREFIX/ or unix:/path.sock:/PREFIX/"},
        {.name = "ws.runner_token",
         .type = SETTAB_STRING,
         .off = F(runner_token),
         .flags = SETTAB_EMPTY_IS_NULL | SETTAB_SECRET,
         .values = "a token; empty for none"},
        SETTAB_NUM("ws.runner_timeout", SETTAB_MS, F(runner_timeout_ms), 100,
                   600000, "3s", 0),
        SETTAB_NUM("ws.run_wall_time", SETTAB_MS, F(run_wall_ms), 100, HOUR,
                   "20s", 0),
        SETTAB_NUM("ws.runs_per_minute", SETTAB_UINT, F(runs_per_minute), 0,
                   100000, "20", 0),
        SETTAB_NUM("ws.max_runs", SETTAB_UINT, F(max_runs), 0, 100000, "16", 0),
        {.name = "ws.create",
         .type = SETTAB_STRING,
         .off = F(create),
         .def = "anyone",
         .check = check_create,
         .values = "anyone or secret"},
        {.name = "ws.create_secret",
         .type = SETTAB_STRING,
         .off = F(create_secret),
         .flags = SETTAB_EMPTY_IS_NULL | SETTAB_SECRET,
         .values = "a secret of 16 to 256 bytes; empty for none"},
        {.name = "ws.templates",
         .type = SETTAB_STRING,
         .off = F(templates),
         .def = "/etc/runpad/templates",
         .check = settab_check_abspath,
         .values = "absolute path"},
        SETTAB_NUM("ws.max_run_log", SETTAB_SIZE, F(max_run_log), 0, 1 * GiB,
                   "2M", 0),
        SETTAB_NUM("ws.map_size", SETTAB_SIZE, F(map_size), 16 * MiB,
                   1024 * GiB, "1G", RESTART),
        SETTAB_NUM("ws.sync_interval", SETTAB_MS, F(sync_interval_ms), 0, HOUR,
                   "1s", RESTART),
        SETTAB_NUM("ws.snapshot_every", SETTAB_UINT, F(snapshot_every), 1,
                   1000000, "100", 0),
        SETTAB_NUM("ws.max_doc", SETTAB_SIZE, F(max_doc), 1 * KiB, 64 * MiB,
                   "512K", 0),
        SETTAB_NUM("ws.max_message", SETTAB_SIZE, F(max_message), 4 * KiB,
                   256 * MiB, "1M", 0),
        SETTAB_NUM("ws.max_queue", SETTAB_SIZE, F(max_queue), 64 * KiB, 1 * GiB,
                   "4M", 0),
        SETTAB_NUM("ws.max_run_output", SETTAB_SIZE, F(max_run_output), 1 * KiB,
                   256 * MiB, "1M", 0),
        SETTAB_NUM("ws.run_files_total", SETTAB_SIZE, F(run_files_total), 0,
                   2 * MiB, "1M", 0),
        SETTAB_NUM("ws.updates_per_second", SETTAB_UINT, F(updates_per_second),
                   1, 1000000, "100", 0),
        SETTAB_NUM("ws.update_burst", SETTAB_UINT, F(update_burst), 1, 10000000,
                   "5000", 0),
        SETTAB_NUM("ws.max_updates_per_push", SETTAB_UINT,
                   F(max_updates_per_push), 1, 1000000, "1000", 0),
        SETTAB_NUM("ws.max_participants", SETTAB_UINT, F(max_participants), 1,
                   10000, "32", 0),
        SETTAB_NUM("ws.max_pads", SETTAB_UINT, F(max_pads), 1, 10000000, "1000",
                   0),
        SETTAB_NUM("ws.max_name", SETTAB_UINT, F(max_name), 1, 1024, "64", 0),
        SETTAB_NUM("ws.max_catchup", SETTAB_UINT, F(max_catchup), 0, 10000000,
                   "10000", 0),
        SETTAB_NUM("ws.idle_unload", SETTAB_MS, F(idle_unload_ms), 0, 7 * DAY,
                   "30s", 0),
        SETTAB_NUM("ws.expire_days", SETTAB_UINT, F(expire_days), 0, 100000,
                   "30", 0),
        SETTAB_NUM("ws.sweep_interval", SETTAB_MS, F(sweep_interval_ms), 1000,
                   7 * DAY, "1h", 0),
};
#undef RESTART
#undef F

const struct settab wsconf_table = {keys, sizeof(keys) / sizeof(keys[0]),
                                    "ws."};

static int on_setting(void *arg, const char *key, const char *value, char *err,
                      size_t errlen)
{
	static const struct settab *const tables[] = {&wsconf_table,
	                                              &jailkeys_table};
	int r = settab_set(&wsconf_table, arg, key, value, err, errlen);

	/* the jail's keys have no prefix: check them as runpad-fcgi and
	   runpad-jail would, so a typo is caught here too */
	if (r == 0)
		r = settab_set(&jailkeys_table, NULL, key, value, err, errlen);
	if (r == 0)
		r = settab_unknown(tables, 2, key, err, errlen);
	return r < 0 ? r : 0;
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

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (settab_defaults(&wsconf_table, c, err, errlen) < 0)
		goto out_free;
	if (path &&
	    conf_load_with_dropins(path, on_setting, c, err, errlen) < 0)
		goto out_free;
	for (size_t i = 0; i < nsets; i++)
		if (wsconf_set_pair(c, sets[i], err, errlen) < 0)
			goto out_free;
	if (ring_load("ws.ring", c->ring, c->ring_self, &c->owners, err,
	              errlen) < 0)
		goto out_free;
	if (strcmp(c->create, "secret") == 0 &&
	    (!c->create_secret || strlen(c->create_secret) < 16 ||
	     strlen(c->create_secret) > 256)) {
		snprintf(
		        err, errlen,
		        "ws.create is secret: ws.create_secret must be 16 to 256 bytes");
		goto out_free;
	}
	return c;
out_free:
	wsconf_free(c);
	return NULL;
}

const char *wsconf_restart_only_change(const struct wsconf *a,
                                       const struct wsconf *b)
{
	return settab_restart_change(&wsconf_table, a, b);
}

void wsconf_print(const struct wsconf *c, FILE *f)
{
	settab_print(&wsconf_table, c, f);
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
	settab_free(&wsconf_table, c);
	free(c);
}
