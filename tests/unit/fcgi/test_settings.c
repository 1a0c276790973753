/* Unit tests: fcgi/settings, with config files in a fresh directory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settings.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

static char dir[64];
static char path[128];
static char err[512];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_settings.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/runpad.conf", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

TestSuite(settings, .init = setup, .fini = teardown);

/* Load settings from a file holding text. */
static struct settings *load(const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fputs(text, f) >= 0, true);
	cr_assert_eq(fclose(f), 0);
	err[0] = '\0';
	return settings_load(path, err, sizeof(err));
}

static struct settings *load_ok(const char *text)
{
	struct settings *s = load(text);

	cr_assert_not_null(s, "refused:\n%s\n%s", text, err);
	return s;
}

/* Refused, with err == "<path>: <expect>". */
static void load_refused(const char *text, const char *expect)
{
	struct settings *s = load(text);
	char want[600];

	cr_assert_null(s, "accepted:\n%s", text);
	snprintf(want, sizeof(want), "%s: %s", path, expect);
	cr_assert_str_eq(err, want, "for:\n%s", text);
}

static bool limits_eq(const struct sbx_limits *a, const struct sbx_limits *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

Test(settings, defaults)
{
	struct settings *s = settings_load(NULL, err, sizeof(err));
	struct sbx_limits l;
	const struct sbx_lang *py;

	cr_assert_not_null(s, "%s", err);
	cr_assert_eq(s->jail.cfg.slots, 4);
	cr_assert_eq(s->jail.cfg.first_uid, 60000);
	cr_assert_null(s->jail.cfg.cgroup_parent);
	cr_assert_null(s->jail.binds[0]);
	cr_assert_not(s->jail.cfg.allow_rlimits_only);
	cr_assert_str_eq(s->listen, "/run/runpad/fcgi.sock");
	cr_assert_eq(s->socket_mode, 0660);
	cr_assert_str_eq(s->state_dir, "/var/lib/runpad");
	cr_assert_eq(s->threads, 0);
	cr_assert_eq(s->async_workers, 2);
	cr_assert_str_eq(s->prefix, "/api/");
	cr_assert_null(s->jail.registry);
	cr_assert_eq(s->queue, 16);
	cr_assert_eq(s->retry_after, 2);
	cr_assert_eq(s->max_body, 4 * MiB);
	cr_assert_eq(s->max_code, 1 * MiB);
	cr_assert_eq(s->max_files, 32);
	cr_assert_eq(s->max_file_name, 128);
	cr_assert_eq(s->max_stdin, 1 * MiB);
	cr_assert_eq(s->max_args, 64);
	cr_assert_eq(s->max_arg_len, 4096);
	cr_assert_eq(s->max_tests, 64);
	cr_assert_eq(s->ntokens, 0);
	cr_assert_eq(s->submission_ttl_ms, 3600 * 1000);
	cr_assert_eq(s->max_submissions, 1000);
	cr_assert(s->log_requests);
	sbx_limits_default(&l);
	cr_assert(limits_eq(&s->run_default, &l));
	sbx_limits_default_compile(&l);
	cr_assert(limits_eq(&s->compile_default, &l));
	cr_assert_eq(s->run_max.memory, 1 * GiB);
	cr_assert_eq(s->run_max.cpu_ms, 10000);
	cr_assert_eq(s->run_max.wall_ms, 20000);
	cr_assert_eq(s->compile_max.memory, 2 * GiB);
	cr_assert_eq(s->compile_max.cpu_ms, 60000);
	cr_assert_null(sbx_limits_exceeds(&s->run_default, &s->run_max));
	cr_assert_null(
	        sbx_limits_exceeds(&s->compile_default, &s->compile_max));
	/* the built-in registry, resolved; versions not detected yet */
	cr_assert_gt(s->registry.n, 10);
	py = sbx_registry_find(&s->registry, "python");
	cr_assert_not_null(py);
	cr_assert(py->available, "python3 is installed here");
	cr_assert_null(py->version);
	cr_assert(sbx_registry_find(&s->registry, "c")->available);
	cr_assert_eq(s->refs, 1);
	settings_unref(s);
}

Test(settings, a_full_config_file)
{
	struct settings *s = load_ok("# the shared file\n"
	                             "slots = 8\n"
	                             "first_uid = 70000\n"
	                             "cgroup_parent = runpad/test\n"
	                             "rlimits_only = yes\n"
	                             "bind = /opt/a\n"
	                             "bind = /opt/b\n"
	                             "ws.listen = 127.0.0.1:9000\n"
	                             "ws.anything = goes\n"
	                             "fcgi.listen = /tmp/x.sock\n"
	                             "fcgi.socket_mode = 0600\n"
	                             "fcgi.state_dir = /tmp/state\n"
	                             "fcgi.threads = 8\n"
	                             "fcgi.async_workers = 1\n"
	                             "fcgi.prefix = /x/api/\n"
	                             "fcgi.queue = 3\n"
	                             "fcgi.retry_after = 10\n"
	                             "fcgi.max_body = 2M\n"
	                             "fcgi.max_code = 512K\n"
	                             "fcgi.max_stdin = 64K\n"
	                             "fcgi.max_files = 4\n"
	                             "fcgi.max_file_name = 64\n"
	                             "fcgi.max_args = 2\n"
	                             "fcgi.max_arg_len = 100\n"
	                             "fcgi.max_tests = 5\n"
	                             "fcgi.max_submissions = 50\n"
	                             "fcgi.limit.memory = 128M\n"
	                             "fcgi.max.cpu_time = 30s\n"
	                             "fcgi.limit.cpu_time = 3s\n"
	                             "fcgi.compile_limit.wall_time = 60s\n"
	                             "fcgi.compile_max.memory = 3G\n"
	                             "fcgi.compile_limit.memory = 2560M\n"
	                             "fcgi.token = 0123456789abcdef0123\n"
	                             "fcgi.token = another-token-of-16+\n"
	                             "fcgi.submission_ttl = 10m\n"
	                             "fcgi.log_requests = no\n");

	cr_assert_eq(s->jail.cfg.slots, 8);
	cr_assert_eq(s->jail.cfg.first_uid, 70000);
	cr_assert_eq(s->jail.cfg.first_gid, 70000);
	cr_assert_str_eq(s->jail.cfg.cgroup_parent, "runpad/test");
	cr_assert(s->jail.cfg.allow_rlimits_only);
	cr_assert_str_eq(s->jail.binds[0], "/opt/a");
	cr_assert_str_eq(s->jail.binds[1], "/opt/b");
	cr_assert_null(s->jail.binds[2]);
	cr_assert_eq((const void *)s->jail.cfg.binds,
	             (const void *)s->jail.binds);
	cr_assert_str_eq(s->listen, "/tmp/x.sock");
	cr_assert_eq(s->socket_mode, 0600);
	cr_assert_str_eq(s->state_dir, "/tmp/state");
	cr_assert_eq(s->threads, 8);
	cr_assert_eq(s->async_workers, 1);
	cr_assert_str_eq(s->prefix, "/x/api/");
	cr_assert_eq(s->queue, 3);
	cr_assert_eq(s->retry_after, 10);
	cr_assert_eq(s->max_body, 2 * MiB);
	cr_assert_eq(s->max_code, 512 * KiB);
	cr_assert_eq(s->max_stdin, 64 * KiB);
	cr_assert_eq(s->max_files, 4);
	cr_assert_eq(s->max_file_name, 64);
	cr_assert_eq(s->max_args, 2);
	cr_assert_eq(s->max_arg_len, 100);
	cr_assert_eq(s->max_tests, 5);
	cr_assert_eq(s->max_submissions, 50);
	cr_assert_eq(s->run_default.memory, 128 * MiB);
	cr_assert_eq(s->run_default.cpu_ms, 3000);
	cr_assert_eq(s->run_max.cpu_ms, 30000);
	cr_assert_eq(s->run_max.memory, 1 * GiB, "others keep defaults");
	cr_assert_eq(s->compile_default.wall_ms, 60000);
	cr_assert_eq(s->compile_default.memory, 2560 * MiB);
	cr_assert_eq(s->compile_max.memory, 3 * GiB);
	cr_assert_eq(s->ntokens, 2);
	cr_assert_str_eq(s->tokens[0], "0123456789abcdef0123");
	cr_assert_str_eq(s->tokens[1], "another-token-of-16+");
	cr_assert_eq(s->submission_ttl_ms, 600 * 1000);
	cr_assert_not(s->log_requests);
	settings_unref(s);
}

Test(settings, unknown_keys_refused_other_programs_ignored)
{
	struct settings *s = load_ok("ws.listen = 0.0.0.0:80\n"
	                             "jail.whatever = 1\n");

	settings_unref(s);
	load_refused("fcgi.queue = 2\nfcgi.bogus = 1\n",
	             "line 2: unknown setting 'fcgi.bogus'");
	load_refused("colour = red\n", "line 1: unknown setting 'colour'");
	load_refused("\n\n\nfcgi.limit.colour = 1\n",
	             "line 4: fcgi.limit.colour: unknown limit 'colour'");
}

Test(settings, bad_values_refused_with_the_line)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
	        {"fcgi.queue = lots\n",
	         "line 1: fcgi.queue: expected 0 to 4096"},
	        {"# c\nfcgi.queue = 4097\n",
	         "line 2: fcgi.queue: expected 0 to 4096"},
	        {"fcgi.retry_after = 0\n",
	         "line 1: fcgi.retry_after: expected 1 to 3600"},
	        {"fcgi.max_body = 2T\n",
	         "line 1: fcgi.max_body: expected a size from 1 to 1G, such as 4M"},
	        {"fcgi.max_code = 0\n",
	         "line 1: fcgi.max_code: expected a size from 1 to 1G, such as 1M"},
	        {"fcgi.max_stdin = 2G\n",
	         "line 1: fcgi.max_stdin: expected a size from 1 to 1G, such as 1M"},
	        {"slots = 0\n", "line 1: slots: expected 1 to 1024"},
	        {"first_uid = root\n", "line 1: first_uid: expected a uid"},
	        {"rlimits_only = maybe\n",
	         "line 1: rlimits_only: expected yes or no"},
	        {"bind = opt\n", "line 1: bind: expected an absolute path"},
	        {"fcgi.listen = run/x.sock\n",
	         "line 1: fcgi.listen: expected unix:/absolute/path, "
	         "A.B.C.D:PORT or [IPv6]:PORT, got 'run/x.sock'"},
	        {"fcgi.listen = localhost:9000\n",
	         "line 1: fcgi.listen: expected unix:/absolute/path, "
	         "A.B.C.D:PORT or [IPv6]:PORT, got 'localhost:9000'"},
	        {"fcgi.listen = 10.0.0.1:0\n",
	         "line 1: fcgi.listen: a port is 1 to 65535, got '10.0.0.1:0'"},
	        {"fcgi.listen = ::1:9000\n",
	         "line 1: fcgi.listen: expected unix:/absolute/path, "
	         "A.B.C.D:PORT or [IPv6]:PORT, got '::1:9000'"},
	        {"fcgi.listen = [::1]\n",
	         "line 1: fcgi.listen: expected unix:/absolute/path, "
	         "A.B.C.D:PORT or [IPv6]:PORT, got '[::1]'"},
	        {"fcgi.listen = unix:run/x.sock\n",
	         "line 1: fcgi.listen: a unix socket path must be absolute, "
	         "got 'unix:run/x.sock'"},
	        {"fcgi.ring = unix:/a.sock weight=0\n",
	         "line 1: fcgi.ring: entry 1: unix:/a.sock: weight: expected 1 "
	         "to 100"},
	        {"fcgi.socket_mode = 0999\n",
	         "line 1: fcgi.socket_mode: expected octal, up to 0777, "
	         "such as 0660"},
	        {"fcgi.socket_mode = 01777\n",
	         "line 1: fcgi.socket_mode: expected octal, up to 0777, "
	         "such as 0660"},
	        {"fcgi.state_dir = state\n",
	         "line 1: fcgi.state_dir: expected an absolute path"},
	        {"fcgi.prefix = /api\n",
	         "line 1: fcgi.prefix: expected a path that starts and ends "
	         "with '/'"},
	        {"fcgi.prefix = api/\n",
	         "line 1: fcgi.prefix: expected a path that starts and ends "
	         "with '/'"},
	        {"fcgi.submission_ttl = 500ms\n",
	         "line 1: fcgi.submission_ttl: expected a duration from 1s to "
	         "8760h, such as 1h"},
	        {"fcgi.log_requests = sometimes\n",
	         "line 1: fcgi.log_requests: expected yes or no"},
	        {"fcgi.limit.memory = lots\n",
	         "line 1: fcgi.limit.memory: limit memory: cannot parse 'lots' "
	         "as a size (64M, 1G)"},
	        {"fcgi.max.cpu_time = 0\n",
	         "line 1: fcgi.max.cpu_time: limit cpu_time: '0' is out of "
	         "range (1 to 86400000 ms)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		load_refused(cases[i].text, cases[i].err);
}

Test(settings, a_default_limit_above_its_max_refused)
{
	struct settings *s = load("fcgi.limit.memory = 2G\n");

	cr_assert_null(s);
	cr_assert_str_eq(err, "fcgi.limit.memory is above fcgi.max.memory");
	s = load("fcgi.max.cpu_time = 1s\n");
	cr_assert_null(s);
	cr_assert_str_eq(err, "fcgi.limit.cpu_time is above fcgi.max.cpu_time");
	s = load("fcgi.compile_limit.memory = 3G\n");
	cr_assert_null(s);
	cr_assert_str_eq(err, "fcgi.compile_limit.memory is above "
	                      "fcgi.compile_max.memory");
	/* raising both is fine */
	s = load_ok("fcgi.max.memory = 4G\nfcgi.limit.memory = 2G\n");
	cr_assert_eq(s->run_default.memory, 2 * GiB);
	settings_unref(s);
}

Test(settings, tokens)
{
	char text[40 * 48];
	size_t o = 0;

	load_refused("fcgi.token = short\n",
	             "line 1: fcgi.token: expected at least 16 characters "
	             "without blanks");
	load_refused("fcgi.token = 0123456789abcde\n",
	             "line 1: fcgi.token: expected at least 16 characters "
	             "without blanks");
	load_refused("fcgi.token = 01234567 89abcdef\n",
	             "line 1: fcgi.token: expected at least 16 characters "
	             "without blanks");
	for (int i = 0; i < SET_MAX_TOKENS + 1; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		                      "fcgi.token = token-number-%04d\n", i);
	load_refused(text, "line 33: fcgi.token: at most 32");
	/* exactly 16 is enough */
	{
		struct settings *s = load_ok("fcgi.token = 0123456789abcdef\n");
		cr_assert_eq(s->ntokens, 1);
		settings_unref(s);
	}
}

Test(settings, missing_files)
{
	cr_assert_null(
	        settings_load("/nonexistent/runpad.conf", err, sizeof(err)));
	cr_assert(strstr(err, "/nonexistent/runpad.conf"), "%s", err);
	cr_assert_null(load("registry = /nonexistent/languages.conf\n"));
	cr_assert(strstr(err, "/nonexistent/languages.conf"), "%s", err);
}

Test(settings, reload_blockers)
{
	struct settings *cur = settings_load(NULL, err, sizeof(err)), *next;
	static const struct {
		const char *text, *blocker;
	} cases[] = {
	        {"slots = 8\n", "slots"},
	        {"first_uid = 61000\n", "first_uid"},
	        {"cgroup_parent = other\n", "cgroup_parent"},
	        {"rlimits_only = yes\n", "rlimits_only"},
	        {"bind = /opt\n", "bind"},
	        {"fcgi.listen = /tmp/other.sock\n", "fcgi.listen"},
	        {"fcgi.socket_mode = 0666\n", "fcgi.socket_mode"},
	        {"fcgi.state_dir = /tmp/other\n", "fcgi.state_dir"},
	        {"fcgi.threads = 3\n", "fcgi.threads"},
	        {"fcgi.async_workers = 5\n", "fcgi.async_workers"},
	        /* the first one that differs is named */
	        {"fcgi.threads = 3\nslots = 2\n", "slots"},
	};

	cr_assert_not_null(cur, "%s", err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *b;
		next = load_ok(cases[i].text);
		b = settings_reload_blocker(cur, next);
		cr_assert_not_null(b, "%s", cases[i].text);
		cr_assert_str_eq(b, cases[i].blocker);
		/* and the other way round */
		b = settings_reload_blocker(next, cur);
		cr_assert_not_null(b, "%s", cases[i].text);
		cr_assert_str_eq(b, cases[i].blocker);
		settings_unref(next);
	}
	/* binds compared in order and by value */
	{
		struct settings *a = load_ok("bind = /a\nbind = /b\n");
		struct settings *b = load_ok("bind = /b\nbind = /a\n");
		struct settings *c = load_ok("bind = /a\nbind = /b\n");
		cr_assert_str_eq(settings_reload_blocker(a, b), "bind");
		cr_assert_null(settings_reload_blocker(a, c));
		settings_unref(a);
		settings_unref(b);
		settings_unref(c);
	}
	settings_unref(cur);
}

Test(settings, reloadable_changes_pass)
{
	struct settings *cur = settings_load(NULL, err, sizeof(err));
	struct settings *next = load_ok("fcgi.prefix = /x/api/\n"
	                                "fcgi.queue = 3\n"
	                                "fcgi.retry_after = 9\n"
	                                "fcgi.max_body = 1M\n"
	                                "fcgi.max_files = 2\n"
	                                "fcgi.limit.memory = 64M\n"
	                                "fcgi.max.memory = 512M\n"
	                                "fcgi.token = 0123456789abcdef0123\n"
	                                "fcgi.submission_ttl = 5m\n"
	                                "fcgi.log_requests = off\n"
	                                "ws.listen = :9000\n");

	cr_assert_null(settings_reload_blocker(cur, next));
	cr_assert_null(settings_reload_blocker(next, cur));
	cr_assert_null(settings_reload_blocker(cur, cur));
	settings_unref(next);
	settings_unref(cur);
}

Test(settings, ref_unref)
{
	struct settings *s = settings_load(NULL, err, sizeof(err));

	cr_assert_eq(settings_ref(s), s);
	cr_assert_eq(settings_ref(s), s);
	cr_assert_eq(s->refs, 3);
	settings_unref(s);
	settings_unref(s);
	cr_assert_eq(s->refs, 1);
	cr_assert_str_eq(s->prefix, "/api/", "still alive");
	settings_unref(s); /* freed: ASan reports a leak or a double free */
	settings_unref(NULL);
}

Test(settings, listen_takes_tcp_addresses)
{
	static const char *const good[] = {
	        "/run/runpad/fcgi.sock",
	        "unix:/run/runpad/fcgi.sock",
	        "10.1.2.3:9000",
	        "0.0.0.0:1",
	        "[::1]:9000",
	        "[fd00::7]:65535",
	};
	char line[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "fcgi.listen = %s\n", good[i]);
		struct settings *s = load_ok(line);
		cr_assert_str_eq(s->listen, good[i]);
		settings_unref(s);
	}
}

#define RING2 "unix:/run/runpad/fcgi.sock, 10.0.0.2:9000 weight=2"

Test(settings, ring_empty_holds_every_id)
{
	struct settings *s = settings_load(NULL, err, sizeof(err));
	const char *owner = "untouched";

	cr_assert_not_null(s, "%s", err);
	cr_assert_str_eq(s->ring, "");
	cr_assert_null(s->owners);
	cr_assert(settings_owns(s, "0123456789abcdef0123456789abcdef", &owner));
	cr_assert_str_eq(owner, "untouched");
	settings_unref(s);
}

Test(settings, ring_self_holds_its_share)
{
	struct settings *s = load_ok("fcgi.ring = " RING2 "\n"
	                             "fcgi.ring_self = 10.0.0.2:9000\n");
	size_t mine = 0, n = 300;

	cr_assert_str_eq(s->ring_self, "10.0.0.2:9000");
	for (size_t i = 0; i < n; i++) {
		char id[40];
		const char *owner = NULL;
		snprintf(id, sizeof(id), "%032zx", i * 2654435761u);
		if (settings_owns(s, id, &owner))
			mine++;
		else
			cr_assert_str_eq(owner, "unix:/run/runpad/fcgi.sock");
	}
	cr_assert(mine > n / 3 && mine < n, "%zu of %zu", mine, n);
	settings_unref(s);
}

Test(settings, ring_self_must_be_in_the_ring)
{
	struct settings *s = load("fcgi.ring = " RING2 "\n"
	                          "fcgi.ring_self = 10.0.0.3:9000\n");

	cr_assert_null(s);
	cr_assert_str_eq(err, "fcgi.ring_self '10.0.0.3:9000' is not one of "
	                      "the entries of fcgi.ring '" RING2 "'");
}

Test(settings, ring_is_reloadable)
{
	struct settings *cur = settings_load(NULL, err, sizeof(err));
	struct settings *next = load_ok("fcgi.ring = " RING2 "\n"
	                                "fcgi.ring_self = 10.0.0.2:9000\n");

	cr_assert_null(settings_reload_blocker(cur, next));
	settings_unref(cur);
	settings_unref(next);
}

static char *print_settings(const struct settings *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	settings_print(s, f);
	fclose(f);
	return out;
}

/* --print-config's output, read back as a settings file, gives the same
   settings (tokens aside: they print as "(set)"). */
Test(settings, printed_settings_read_back_the_same)
{
	struct settings *a = load_ok("slots = 3\n"
	                             "bind = /usr\n"
	                             "bind = /etc/alternatives\n"
	                             "cgroup_parent = runpad/x\n"
	                             "fcgi.socket_mode = 0600\n"
	                             "fcgi.max_body = 3M\n"
	                             "fcgi.submission_ttl = 90s\n"
	                             "fcgi.limit.memory = 300M\n"
	                             "fcgi.compile_max.wall_time = 2min\n"
	                             "fcgi.log_requests = no\n");
	struct settings *b;
	char *one = print_settings(a), *two;

	cr_assert(strstr(one, "slots = 3\n"), "%s", one);
	cr_assert(strstr(one, "bind = /usr\nbind = /etc/alternatives\n"), "%s",
	          one);
	cr_assert(strstr(one, "fcgi.socket_mode = 0600\n"), "%s", one);
	cr_assert(strstr(one, "fcgi.limit.memory = 300M\n"), "%s", one);
	cr_assert(strstr(one, "fcgi.compile_max.wall_time = 120s\n"), "%s",
	          one);
	cr_assert(strstr(one, "fcgi.log_requests = no\n"), "%s", one);
	b = load_ok(one);
	two = print_settings(b);
	cr_assert_str_eq(two, one);
	cr_assert_null(settings_reload_blocker(a, b));
	cr_assert(limits_eq(&a->run_default, &b->run_default));
	cr_assert(limits_eq(&a->compile_max, &b->compile_max));
	free(one);
	free(two);
	settings_unref(a);
	settings_unref(b);
}

Test(settings, printed_settings_hide_the_tokens)
{
	struct settings *s = load_ok("fcgi.token = 0123456789abcdef0123\n"
	                             "fcgi.token = another-token-of-16+\n");
	char *out = print_settings(s);

	cr_assert(strstr(out, "fcgi.token = (set)\nfcgi.token = (set)\n"), "%s",
	          out);
	cr_assert_null(strstr(out, "0123456789abcdef"));
	free(out);
	settings_unref(s);
}
