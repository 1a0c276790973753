/*
 * Unit tests: ws/wsconf, the settings of runpad-ws (docs/ops.md,
 * "Settings").  Files are written to a fresh directory.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wsconf.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

static char tmp[64];
static char path[128];
static char err[512];

static int rm_one(const char *p, const struct stat *sb, int type,
                  struct FTW *ftw)
{
	return remove(p);
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_wsconf.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/runpad.conf", tmp);
}

static void teardown(void)
{
	if (tmp[0])
		nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(wsconf, .init = setup, .fini = teardown);

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fputs(text, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
}

static struct wsconf *load_ok(const char *p, char *const *sets, size_t n)
{
	struct wsconf *c;

	err[0] = 0;
	c = wsconf_load(p, sets, n, err, sizeof(err));
	cr_assert_not_null(c, "wsconf_load: %s", err);
	return c;
}

/* Loading must fail with exactly message. */
static void load_err(const char *p, char *const *sets, size_t n,
                     const char *message)
{
	struct wsconf *c;

	err[0] = 0;
	c = wsconf_load(p, sets, n, err, sizeof(err));
	cr_assert_null(c, "wsconf_load accepted it");
	cr_assert_str_eq(err, message);
}

/* One --set pair must be refused with exactly message. */
static void set_err(const char *pair, const char *message)
{
	char *sets[] = {(char *)pair};

	load_err(NULL, sets, 1, message);
}

static struct wsconf *set_ok(const char *pair)
{
	char *sets[] = {(char *)pair};

	return load_ok(NULL, sets, 1);
}

Test(wsconf, defaults)
{
	struct wsconf *c = load_ok(NULL, NULL, 0);

	cr_assert_str_eq(c->listen, "unix:/run/runpad/ws.sock");
	cr_assert_str_eq(c->state_dir, "/var/lib/runpad");
	cr_assert_str_eq(c->runner, "http://127.0.0.1/api/");
	cr_assert_null(c->runner_token);
	cr_assert_eq(c->map_size, 1 * GiB);
	cr_assert_eq(c->max_doc, 512 * KiB);
	cr_assert_eq(c->max_message, 1 * MiB);
	cr_assert_eq(c->max_queue, 4 * MiB);
	cr_assert_eq(c->max_run_output, 1 * MiB);
	cr_assert_eq(c->updates_per_second, 100);
	cr_assert_eq(c->update_burst, 5000);
	cr_assert_eq(c->max_updates_per_push, 1000);
	cr_assert_eq(c->max_participants, 32);
	cr_assert_eq(c->max_pads, 1000);
	cr_assert_eq(c->max_name, 64);
	cr_assert_eq(c->max_catchup, 10000);
	cr_assert_eq(c->snapshot_every, 100);
	cr_assert_eq(c->idle_unload_ms, 30000);
	cr_assert_eq(c->expire_days, 30);
	cr_assert_eq(c->sweep_interval_ms, 3600000);
	cr_assert_eq(c->sync_interval_ms, 1000);
	cr_assert_eq(c->run_wall_ms, 20000);
	cr_assert_eq(c->runner_timeout_ms, 3000);
	wsconf_free(c);
}

Test(wsconf, empty_file_is_defaults)
{
	struct wsconf *c;

	write_file("");
	c = load_ok(path, NULL, 0);
	cr_assert_eq(c->max_doc, 512 * KiB);
	cr_assert_str_eq(c->listen, "unix:/run/runpad/ws.sock");
	wsconf_free(c);
}

Test(wsconf, file_with_ws_keys)
{
	struct wsconf *c;

	write_file("# runpad-ws\n"
	           "ws.listen = 127.0.0.1:8090\n"
	           "ws.state_dir = /srv/runpad\n"
	           "ws.runner = unix:/run/nginx.sock:/api/\n"
	           "ws.runner_token = s3cret\n"
	           "ws.map_size = 64M\n"
	           "ws.max_doc = 256K\n"
	           "ws.max_message = 64KiB\n"
	           "ws.max_queue = 2M\n"
	           "ws.max_run_log = 1M\n"
	           "ws.max_run_output = 4k\n"
	           "ws.updates_per_second = 7\n"
	           "ws.update_burst = 70\n"
	           "ws.max_updates_per_push = 9\n"
	           "ws.max_participants = 3\n"
	           "ws.max_pads = 11\n"
	           "ws.max_name = 16\n"
	           "ws.max_catchup = 0\n"
	           "ws.snapshot_every = 5\n"
	           "ws.idle_unload = 0\n"
	           "ws.expire_days = 0\n"
	           "ws.sweep_interval = 2m\n"
	           "ws.sync_interval = 250ms\n"
	           "ws.run_wall_time = 45\n"
	           "ws.runner_timeout = 1500ms\n");
	c = load_ok(path, NULL, 0);
	cr_assert_str_eq(c->listen, "127.0.0.1:8090");
	cr_assert_str_eq(c->state_dir, "/srv/runpad");
	cr_assert_str_eq(c->runner, "unix:/run/nginx.sock:/api/");
	cr_assert_str_eq(c->runner_token, "s3cret");
	cr_assert_eq(c->map_size, 64 * MiB);
	cr_assert_eq(c->max_doc, 256 * KiB);
	cr_assert_eq(c->max_message, 64 * KiB);
	cr_assert_eq(c->max_queue, 2 * MiB);
	cr_assert_eq(c->max_run_output, 4 * KiB);
	cr_assert_eq(c->updates_per_second, 7);
	cr_assert_eq(c->update_burst, 70);
	cr_assert_eq(c->max_updates_per_push, 9);
	cr_assert_eq(c->max_participants, 3);
	cr_assert_eq(c->max_pads, 11);
	cr_assert_eq(c->max_name, 16);
	cr_assert_eq(c->max_catchup, 0);
	cr_assert_eq(c->snapshot_every, 5);
	cr_assert_eq(c->idle_unload_ms, 0);
	cr_assert_eq(c->expire_days, 0);
	cr_assert_eq(c->sweep_interval_ms, 120000);
	cr_assert_eq(c->sync_interval_ms, 250);
	cr_assert_eq(c->run_wall_ms, 45000, "a bare number is seconds");
	cr_assert_eq(c->runner_timeout_ms, 1500);
	wsconf_free(c);
}

Test(wsconf, last_one_wins_and_empty_token_is_none)
{
	struct wsconf *c;

	write_file("ws.max_doc = 2K\nws.max_doc = 3K\n"
	           "ws.runner_token = abc\nws.runner_token =\n");
	c = load_ok(path, NULL, 0);
	cr_assert_eq(c->max_doc, 3 * KiB);
	cr_assert_null(c->runner_token);
	wsconf_free(c);
}

Test(wsconf, other_programs_keys_are_skipped)
{
	struct wsconf *c;

	write_file("fcgi.x = 1\n"
	           "fcgi.queue = 32\n"
	           "fcgi.max.wall_time = 30s\n"
	           "jail.whatever = yes\n"
	           "web.port = not-a-number\n"
	           "ws.max_name = 20\n");
	c = load_ok(path, NULL, 0);
	cr_assert_eq(c->max_name, 20);
	wsconf_free(c);
}

/*
 * docs/ops.md: runpad-ws "reads the same settings file as the runner and
 * takes the ws.* keys"; keys without a dot are the jail's (the example
 * there starts with `slots = 8`).  The shared file must load.
 */
Test(wsconf, shared_file_with_jail_keys_loads)
{
	struct wsconf *c;

	write_file("# /etc/runpad/runpad.conf\n"
	           "slots = 8\n"
	           "first_uid = 60000\n"
	           "\n"
	           "fcgi.queue = 32\n"
	           "fcgi.token = 3f6c1e0a9b2d47e8a1c5f0d29e7b6a41\n"
	           "fcgi.max.wall_time = 30s\n"
	           "fcgi.limit.memory = 512M\n"
	           "ws.max_pads = 5\n");
	err[0] = 0;
	c = wsconf_load(path, NULL, 0, err, sizeof(err));
	cr_assert_not_null(c, "the shared file is refused: %s", err);
	cr_assert_eq(c->max_pads, 5);
	wsconf_free(c);
}

Test(wsconf, unknown_ws_key_is_refused)
{
	char want[256];

	write_file("ws.max_doc = 2K\nws.max_docs = 3K\n");
	snprintf(want, sizeof(want),
	         "%s: line 2: unknown setting 'ws.max_docs'", path);
	load_err(path, NULL, 0, want);
	set_err("ws.port=80", "unknown setting 'ws.port'");
}

Test(wsconf, missing_file_is_an_error)
{
	char want[256];

	snprintf(want, sizeof(want), "cannot open %s/nope.conf: %s", tmp,
	         strerror(ENOENT));
	snprintf(path, sizeof(path), "%s/nope.conf", tmp);
	load_err(path, NULL, 0, want);
}

Test(wsconf, bad_line_in_file)
{
	char want[256];

	write_file("ws.max_doc = 2K\nthis is not a setting\n");
	snprintf(want, sizeof(want), "%s: line 2: expected key = value", path);
	load_err(path, NULL, 0, want);
}

Test(wsconf, size_bounds)
{
	struct wsconf *c;

	set_err("ws.max_doc=1023",
	        "ws.max_doc: expected a size from 1K to 64M, such as 512K");
	set_err("ws.max_doc=65M",
	        "ws.max_doc: expected a size from 1K to 64M, such as 512K");
	set_err("ws.max_doc=lots",
	        "ws.max_doc: expected a size from 1K to 64M, such as 512K");
	set_err("ws.max_doc=",
	        "ws.max_doc: expected a size from 1K to 64M, such as 512K");
	set_err("ws.map_size=15M",
	        "ws.map_size: expected a size from 16M to 1024G, such as 1G");
	set_err("ws.max_message=4095",
	        "ws.max_message: expected a size from 4K to 256M, such as 1M");
	set_err("ws.max_queue=63K",
	        "ws.max_queue: expected a size from 64K to 1G, such as 4M");
	set_err("ws.max_run_output=257M",
	        "ws.max_run_output: expected a size from 1K to 256M, such as 1M");

	c = set_ok("ws.max_doc=1K");
	cr_assert_eq(c->max_doc, 1024);
	wsconf_free(c);
	c = set_ok("ws.max_doc=64M");
	cr_assert_eq(c->max_doc, 64 * MiB);
	wsconf_free(c);
	c = set_ok("ws.map_size=16M");
	cr_assert_eq(c->map_size, 16 * MiB);
	wsconf_free(c);
	c = set_ok("ws.map_size=1024G");
	cr_assert_eq(c->map_size, 1024 * GiB);
	wsconf_free(c);
}

Test(wsconf, uint_bounds)
{
	struct wsconf *c;

	set_err("ws.updates_per_second=0",
	        "ws.updates_per_second: expected 1 to 1000000");
	set_err("ws.updates_per_second=1000001",
	        "ws.updates_per_second: expected 1 to 1000000");
	set_err("ws.update_burst=10000001",
	        "ws.update_burst: expected 1 to 10000000");
	set_err("ws.max_participants=0", "ws.max_participants: expected 1 to "
	                                 "10000");
	set_err("ws.max_name=1025", "ws.max_name: expected 1 to 1024");
	set_err("ws.max_name=-1", "ws.max_name: expected 1 to 1024");
	set_err("ws.max_name=12x", "ws.max_name: expected 1 to 1024");
	set_err("ws.max_name=1.5", "ws.max_name: expected 1 to 1024");
	set_err("ws.snapshot_every=0", "ws.snapshot_every: expected 1 to "
	                               "1000000");
	set_err("ws.max_catchup=10000001", "ws.max_catchup: expected 0 to "
	                                   "10000000");
	set_err("ws.expire_days=100001",
	        "ws.expire_days: expected 0 to 100000");
	set_err("ws.max_pads=99999999999999999999",
	        "ws.max_pads: expected 1 to 10000000");

	c = set_ok("ws.max_name=1024");
	cr_assert_eq(c->max_name, 1024);
	wsconf_free(c);
	c = set_ok("ws.max_catchup=0");
	cr_assert_eq(c->max_catchup, 0);
	wsconf_free(c);
	c = set_ok("ws.max_pads=10000000");
	cr_assert_eq(c->max_pads, 10000000);
	wsconf_free(c);
}

Test(wsconf, duration_bounds)
{
	struct wsconf *c;

	set_err("ws.sweep_interval=999ms",
	        "ws.sweep_interval: expected a duration from 1s to 168h, such as 1h");
	set_err("ws.idle_unload=169h",
	        "ws.idle_unload: expected a duration from 0 to 168h, such as 30s");
	set_err("ws.sync_interval=61m",
	        "ws.sync_interval: expected a duration from 0 to 1h, such as 1s");
	set_err("ws.run_wall_time=99ms",
	        "ws.run_wall_time: expected a duration from 100ms to 1h, such as 20s");
	set_err("ws.runner_timeout=11m",
	        "ws.runner_timeout: expected a duration from 100ms to 10min, such as 3s");
	set_err("ws.runner_timeout=soon",
	        "ws.runner_timeout: expected a duration from 100ms to 10min, such as 3s");

	c = set_ok("ws.idle_unload=168h");
	cr_assert_eq(c->idle_unload_ms, 7 * 24 * 3600000ull);
	wsconf_free(c);
	c = set_ok("ws.sync_interval=0");
	cr_assert_eq(c->sync_interval_ms, 0);
	wsconf_free(c);
	c = set_ok("ws.runner_timeout=100ms");
	cr_assert_eq(c->runner_timeout_ms, 100);
	wsconf_free(c);
}

Test(wsconf, string_checks)
{
	struct wsconf *c;

	set_err("ws.listen=unix:relative.sock",
	        "ws.listen: a unix socket path must be absolute, got "
	        "'unix:relative.sock'");
	set_err("ws.listen=8080", "ws.listen: expected unix:/absolute/path, "
	                          "A.B.C.D:PORT or [IPv6]:PORT, got '8080'");
	set_err("ws.listen=:8080", "ws.listen: expected unix:/absolute/path, "
	                           "A.B.C.D:PORT or [IPv6]:PORT, got ':8080'");
	set_err("ws.listen=localhost:8080",
	        "ws.listen: expected unix:/absolute/path, A.B.C.D:PORT or "
	        "[IPv6]:PORT, got 'localhost:8080'");
	set_err("ws.listen=127.0.0.1:0",
	        "ws.listen: a port is 1 to 65535, got '127.0.0.1:0'");
	set_err("ws.listen=127.0.0.1:65536",
	        "ws.listen: a port is 1 to 65535, got '127.0.0.1:65536'");
	set_err("ws.state_dir=var/state", "ws.state_dir: expected an absolute "
	                                  "path");

	c = set_ok("ws.listen=[::1]:443");
	cr_assert_str_eq(c->listen, "[::1]:443");
	wsconf_free(c);
	c = set_ok("ws.listen=unix:/run/ws.sock");
	cr_assert_str_eq(c->listen, "unix:/run/ws.sock");
	wsconf_free(c);
	c = set_ok("ws.listen=/run/ws.sock"); /* as fcgi.listen takes it */
	cr_assert_str_eq(c->listen, "/run/ws.sock");
	wsconf_free(c);
}

Test(wsconf, bad_pairs)
{
	set_err("ws.max_doc", "expected key=value, got 'ws.max_doc'");
	set_err("=5", "expected key=value, got '=5'");
}

Test(wsconf, sets_override_the_file)
{
	char *sets[] = {"ws.max_doc=8K", "ws.listen=127.0.0.1:9000",
	                "ws.max_doc=16K"};
	struct wsconf *c;

	write_file("ws.max_doc = 2K\nws.listen = unix:/a.sock\n"
	           "ws.max_pads = 9\n");
	c = load_ok(path, sets, 3);
	cr_assert_eq(c->max_doc, 16 * KiB);
	cr_assert_str_eq(c->listen, "127.0.0.1:9000");
	cr_assert_eq(c->max_pads, 9, "what --set does not name stays");
	wsconf_free(c);
}

Test(wsconf, bad_set_after_good_file)
{
	char *sets[] = {"ws.max_doc=8K", "ws.max_docs=8K"};

	write_file("ws.max_doc = 2K\n");
	load_err(path, sets, 2, "unknown setting 'ws.max_docs'");
}

Test(wsconf, set_pair_on_a_loaded_conf)
{
	struct wsconf *c = load_ok(NULL, NULL, 0);

	cr_assert_eq(wsconf_set_pair(c, "ws.max_doc=4K", err, sizeof(err)), 0);
	cr_assert_eq(c->max_doc, 4 * KiB);
	cr_assert_eq(wsconf_set_pair(c, "ws.max_doc=1", err, sizeof(err)),
	             -EINVAL);
	cr_assert_eq(c->max_doc, 4 * KiB, "a refused value changes nothing");
	cr_assert_eq(wsconf_set_pair(c, "nonsense", err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "expected key=value, got 'nonsense'");
	wsconf_free(c);
}

Test(wsconf, restart_only_change)
{
	struct wsconf *a = load_ok(NULL, NULL, 0), *b;
	static const struct {
		const char *set, *name;
	} cases[] = {
	        {"ws.listen=127.0.0.1:1", "ws.listen"},
	        {"ws.state_dir=/elsewhere", "ws.state_dir"},
	        {"ws.map_size=2G", "ws.map_size"},
	        {"ws.sync_interval=0", "ws.sync_interval"},
	        {"ws.max_doc=1M", NULL},
	        {"ws.runner=http://10.0.0.1/api/", NULL},
	        {"ws.runner_token=x", NULL},
	        {"ws.max_pads=3", NULL},
	        {"ws.idle_unload=1s", NULL},
	        {"ws.snapshot_every=9", NULL},
	};

	cr_assert_null(wsconf_restart_only_change(a, a));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got;
		b = set_ok(cases[i].set);
		got = wsconf_restart_only_change(a, b);
		if (cases[i].name)
			cr_assert(got && strcmp(got, cases[i].name) == 0,
			          "%s: got %s", cases[i].set,
			          got ? got : "NULL");
		else
			cr_assert_null(got, "%s: got %s", cases[i].set, got);
		wsconf_free(b);
	}
	wsconf_free(a);
	wsconf_free(NULL);
}

/* ---------------------------------------------------------------- ws.ring */

#define RING3                                                                  \
	"unix:/run/runpad/ws-1.sock, unix:/run/runpad/ws-2.sock weight=2, "    \
	"127.0.0.1:9003"

Test(wsconf, ring_defaults_to_every_pad)
{
	struct wsconf *c = load_ok(NULL, NULL, 0);
	const char *owner = "untouched";

	cr_assert_str_eq(c->ring, "");
	cr_assert_str_eq(c->ring_self, "");
	cr_assert_null(c->owners);
	cr_assert(wsconf_owns(c, "any-pad", &owner));
	cr_assert_str_eq(owner, "untouched");
	wsconf_free(c);
}

Test(wsconf, ring_self_picks_this_daemons_pads)
{
	char *sets[] = {"ws.ring=" RING3, "ws.ring_self=127.0.0.1:9003"};
	struct wsconf *c = load_ok(NULL, sets, 2);
	size_t mine = 0, n = 300;

	cr_assert_not_null(c->owners);
	for (size_t i = 0; i < n; i++) {
		char pad[32];
		const char *owner = NULL;
		snprintf(pad, sizeof(pad), "pad-%zu", i);
		if (wsconf_owns(c, pad, &owner)) {
			mine++;
			cr_assert_null(owner);
		} else {
			cr_assert(
			        strcmp(owner, "unix:/run/runpad/ws-1.sock") ==
			                        0 ||
			                strcmp(owner,
			                       "unix:/run/runpad/ws-2.sock") ==
			                        0,
			        "owner %s", owner);
		}
	}
	/* a quarter of the weight */
	cr_assert(mine > n / 8 && mine < n / 2, "%zu of %zu", mine, n);
	wsconf_free(c);
}

Test(wsconf, ring_from_the_file)
{
	struct wsconf *c;

	write_file("ws.ring = unix:/a.sock, unix:/b.sock\n"
	           "ws.ring_self = unix:/b.sock\n");
	c = load_ok(path, NULL, 0);
	cr_assert_str_eq(c->ring, "unix:/a.sock, unix:/b.sock");
	cr_assert_str_eq(c->ring_self, "unix:/b.sock");
	wsconf_free(c);
}

Test(wsconf, ring_self_not_in_the_ring_is_refused)
{
	char *sets[] = {"ws.ring=unix:/a.sock, unix:/b.sock",
	                "ws.ring_self=unix:/c.sock"};
	char *none[] = {"ws.ring=unix:/a.sock, unix:/b.sock"};
	char *weight[] = {"ws.ring=unix:/a.sock weight=2",
	                  "ws.ring_self=unix:/a.sock weight=2"};

	load_err(NULL, sets, 2,
	         "ws.ring_self 'unix:/c.sock' is not one of the entries of "
	         "ws.ring 'unix:/a.sock, unix:/b.sock'");
	load_err(NULL, none, 1,
	         "ws.ring_self '' is not one of the entries of ws.ring "
	         "'unix:/a.sock, unix:/b.sock'");
	load_err(NULL, weight, 2,
	         "ws.ring_self 'unix:/a.sock weight=2' is not one of the "
	         "entries of ws.ring 'unix:/a.sock weight=2'");
}

Test(wsconf, bad_ring_is_refused)
{
	set_err("ws.ring=unix:/a.sock weight=0",
	        "ws.ring: entry 1: unix:/a.sock: weight: expected 1 to 100");
	set_err("ws.ring=unix:/a.sock,,unix:/b.sock",
	        "ws.ring: entry 2: empty entry");
}

Test(wsconf, ring_is_reloadable)
{
	struct wsconf *a = load_ok(NULL, NULL, 0);
	char *sets[] = {"ws.ring=unix:/a.sock, unix:/b.sock",
	                "ws.ring_self=unix:/a.sock"};
	struct wsconf *b = load_ok(NULL, sets, 2);

	cr_assert_null(wsconf_restart_only_change(a, b));
	wsconf_free(a);
	wsconf_free(b);
}

/* --print-config's output, read back as a settings file, gives the same
   settings: what it prints is what the daemon runs with. */
static char *print_conf(const struct wsconf *c)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	wsconf_print(c, f);
	fclose(f);
	return out;
}

Test(wsconf, printed_settings_read_back_the_same)
{
	char *sets[] = {"ws.max_doc=3M",
	                "ws.idle_unload=90s",
	                "ws.runner=unix:/run/nginx.sock:/api/",
	                "ws.ring=unix:/a.sock, unix:/b.sock",
	                "ws.ring_self=unix:/b.sock",
	                "ws.sync_interval=0"};
	struct wsconf *a = load_ok(NULL, sets, 6), *b;
	char *one = print_conf(a), *two;

	cr_assert(strstr(one, "ws.max_doc = 3M\n"), "%s", one);
	cr_assert(strstr(one, "ws.idle_unload = 90s\n"), "%s", one);
	cr_assert(strstr(one, "ws.sync_interval = 0\n"), "%s", one);
	write_file(one);
	b = load_ok(path, NULL, 0);
	two = print_conf(b);
	cr_assert_str_eq(two, one);
	cr_assert_null(wsconf_restart_only_change(a, b));
	cr_assert_eq(b->max_doc, 3 * MiB);
	free(one);
	free(two);
	wsconf_free(a);
	wsconf_free(b);
}

Test(wsconf, printed_settings_hide_the_runner_token)
{
	char *sets[] = {"ws.runner_token=s3cret-token-value"};
	struct wsconf *c = load_ok(NULL, sets, 1);
	char *out = print_conf(c);

	cr_assert(strstr(out, "ws.runner_token = (set)\n"), "%s", out);
	cr_assert_null(strstr(out, "s3cret"));
	free(out);
	wsconf_free(c);
}
