/*
 * settings.c - runpad-fcgi's settings.  See settings.h.
 */
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "jailkeys.h"
#include "ring.h"
#include "settab.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

#define HOUR 3600000ULL

static int check_prefix(const char *key, const char *value, char *err,
                        size_t errlen)
{
	size_t n = strlen(value);

	if (n < 1 || value[0] != '/' || value[n - 1] != '/' || n > 200) {
		snprintf(err, errlen,
		         "%s: expected a path that starts and ends with '/'",
		         key);
		return -EINVAL;
	}
	return 0;
}

static int check_token(const char *key, const char *value, char *err,
                       size_t errlen)
{
	if (strlen(value) < 16 || strpbrk(value, " \t")) {
		snprintf(err, errlen,
		         "%s: expected at least 16 characters without blanks",
		         key);
		return -EINVAL;
	}
	return 0;
}

static int add_token(void *obj, const char *key, const char *value, char *err,
                     size_t errlen)
{
	struct settings *s = obj;

	if (s->ntokens == SET_MAX_TOKENS) {
		snprintf(err, errlen, "%s: at most %d", key, SET_MAX_TOKENS);
		return -EINVAL;
	}
	s->tokens[s->ntokens] = strdup(value);
	if (!s->tokens[s->ntokens])
		return -ENOMEM;
	s->ntokens++;
	return 0;
}

static void print_tokens(const void *obj, const struct settab_key *k, FILE *f)
{
	const struct settings *s = obj;

	for (size_t i = 0; i < s->ntokens; i++)
		fprintf(f, "%s = (set)\n", k->name);
}

/* "fcgi.limit.memory", "fcgi.max.cpu_time", "fcgi.compile_limit.x", ...:
   the family's sbx_limits in struct settings */
static struct sbx_limits *limits_of(const struct settings *s,
                                    const char *family)
{
	if (strcmp(family, "fcgi.limit.") == 0)
		return (struct sbx_limits *)&s->run_default;
	if (strcmp(family, "fcgi.max.") == 0)
		return (struct sbx_limits *)&s->run_max;
	if (strcmp(family, "fcgi.compile_limit.") == 0)
		return (struct sbx_limits *)&s->compile_default;
	return (struct sbx_limits *)&s->compile_max;
}

static int set_limit(void *obj, const char *key, const char *value, char *err,
                     size_t errlen)
{
	const char *dot = strrchr(key, '.');
	char family[32], e[160];
	size_t n = (size_t)(dot + 1 - key);

	snprintf(family, sizeof(family), "%.*s", (int)n, key);
	if (sbx_limits_set(limits_of(obj, family), dot + 1, value, e,
	                   sizeof(e)) < 0) {
		snprintf(err, errlen, "%s: %s", key, e);
		return -EINVAL;
	}
	return 0;
}

static void print_limits(const void *obj, const struct settab_key *k, FILE *f)
{
	const struct sbx_limits *l = limits_of(obj, k->name);
	const char *name;
	char buf[32];

	bool is_time, is_size;

	for (size_t i = 0; (name = sbx_limits_name(i, &is_time, &is_size));
	     i++) {
		struct settab_key as = {.type = is_time   ? SETTAB_MS
		                                : is_size ? SETTAB_SIZE
		                                          : SETTAB_UINT};
		uint64_t v = 0;
		sbx_limits_get(l, name, &v, NULL);
		settab_format(&as, v, buf, sizeof(buf));
		fprintf(f, "%s%s = %s\n", k->name, name, buf);
	}
}

#define F(m)    offsetof(struct settings, m)
#define RESTART SETTAB_RESTART
#define LIMITS(family, what)                                                   \
	{                                                                      \
		family, SETTAB_STRING, SETTAB_NOFIELD,                         \
		        .flags = SETTAB_PREFIX, .apply = set_limit,            \
		        .print = print_limits, .values = "as the limit",       \
		        .def_doc = what                                        \
	}
static const struct settab_key keys[] = {
        {.name = "fcgi.listen",
         .type = SETTAB_STRING,
         .off = F(listen),
         .def = "/run/runpad/fcgi.sock",
         .flags = RESTART,
         .check = settab_check_addr,
         .values = "a listen address"},
        SETTAB_NUM("fcgi.socket_mode", SETTAB_OCTAL, F(socket_mode), 0, 0777,
                   "0660", RESTART),
        {.name = "fcgi.state_dir",
         .type = SETTAB_STRING,
         .off = F(state_dir),
         .def = "/var/lib/runpad",
         .flags = RESTART,
         .check = settab_check_abspath,
         .values = "absolute path"},
        SETTAB_NUM("fcgi.threads", SETTAB_UINT, F(threads), 0, 1024, "0",
                   RESTART),
        SETTAB_NUM("fcgi.async_workers", SETTAB_UINT, F(async_workers), 1, 64,
                   "2", RESTART),
        {.name = "fcgi.ring",
         .type = SETTAB_STRING,
         .off = F(ring),
         .def = "",
         .check = ring_check,
         .values =
                 "comma-separated ADDRESS [weight=N], as in nginx's server lines"},
        {.name = "fcgi.ring_self",
         .type = SETTAB_STRING,
         .off = F(ring_self),
         .def = "",
         .values = "one entry of fcgi.ring, exactly as written there"},
        {.name = "fcgi.prefix",
         .type = SETTAB_STRING,
         .off = F(prefix),
         .def = "/api/",
         .check = check_prefix,
         .values = "starts and ends with /, 200 bytes"},
        SETTAB_NUM("fcgi.queue", SETTAB_UINT, F(queue), 0, 4096, "16", 0),
        SETTAB_NUM("fcgi.retry_after", SETTAB_UINT, F(retry_after), 1, 3600,
                   "2", 0),
        SETTAB_NUM("fcgi.max_body", SETTAB_SIZE, F(max_body), 1, 1024 * MiB,
                   "4M", 0),
        SETTAB_NUM("fcgi.max_code", SETTAB_SIZE, F(max_code), 1, 1024 * MiB,
                   "1M", 0),
        SETTAB_NUM("fcgi.max_stdin", SETTAB_SIZE, F(max_stdin), 1, 1024 * MiB,
                   "1M", 0),
        SETTAB_NUM("fcgi.max_files", SETTAB_UINT, F(max_files), 1, 1024, "32",
                   0),
        SETTAB_NUM("fcgi.max_file_name", SETTAB_UINT, F(max_file_name), 1, 255,
                   "128", 0),
        SETTAB_NUM("fcgi.max_args", SETTAB_UINT, F(max_args), 0, 4096, "64", 0),
        SETTAB_NUM("fcgi.max_arg_len", SETTAB_UINT, F(max_arg_len), 1, 1 << 20,
                   "4096", 0),
        SETTAB_NUM("fcgi.max_tests", SETTAB_UINT, F(max_tests), 0, 1024, "64",
                   0),
        SETTAB_NUM("fcgi.max_submissions", SETTAB_UINT, F(max_submissions), 1,
                   10000000, "1000", 0),
        SETTAB_NUM("fcgi.submission_ttl", SETTAB_MS, F(submission_ttl_ms), 1000,
                   365 * 24 * HOUR, "1h", 0),
        {.name = "fcgi.token",
         .type = SETTAB_STRING,
         .off = SETTAB_NOFIELD,
         .flags = SETTAB_REPEAT | SETTAB_SECRET,
         .check = check_token,
         .apply = add_token,
         .print = print_tokens,
         .values = "16 characters or more, no blanks; repeatable (32)"},
        {.name = "fcgi.log_requests",
         .type = SETTAB_BOOL,
         .off = F(log_requests),
         .def = "yes"},
        LIMITS("fcgi.limit.", "see below"),
        LIMITS("fcgi.max.", "see below"),
        LIMITS("fcgi.compile_limit.", "see below"),
        LIMITS("fcgi.compile_max.", "see below"),
};
#undef LIMITS
#undef RESTART
#undef F

_Static_assert(SET_MAX_TOKENS == 32, "fcgi.token's values say 32");

const struct settab settings_table = {keys, sizeof(keys) / sizeof(keys[0]),
                                      "fcgi."};

static int defaults(struct settings *s, char *err, size_t errlen)
{
	jailconf_init(&s->jail);
	s->jail.cfg.netns_at_start = true;
	sbx_limits_default(&s->run_default);
	sbx_limits_default_compile(&s->compile_default);
	s->run_max = (struct sbx_limits){
	        .cpu_ms = 10000,
	        .wall_ms = 20000,
	        .memory = 1 * GiB,
	        .processes = 256,
	        .stdout_max = 16 * MiB,
	        .stderr_max = 4 * MiB,
	        .file_size = 64 * MiB,
	        .open_files = 1024,
	        .stack = 256 * MiB,
	        .box_size = 256 * MiB,
	        .tmp_size = 256 * MiB,
	        .inodes = 16384,
	        .out_files = 64,
	        .out_file_size = 16 * MiB,
	        .out_total = 16 * MiB,
	};
	s->compile_max = s->run_max;
	s->compile_max.cpu_ms = 60000;
	s->compile_max.wall_ms = 90000;
	s->compile_max.memory = 2 * GiB;
	s->refs = 1;
	return settab_defaults(&settings_table, s, err, errlen);
}

static int on_setting(void *arg, const char *key, const char *value, char *err,
                      size_t errlen)
{
	static const struct settab *const tables[] = {&settings_table,
	                                              &jailkeys_table};
	struct settings *s = arg;
	int r = settab_set(&settings_table, s, key, value, err, errlen);

	if (r == 0)
		r = jailconf_set(&s->jail, key, value, err, errlen);
	if (r == 0)
		r = settab_unknown(tables, 2, key, err, errlen);
	return r < 0 ? r : 0;
}

bool settings_owns(const struct settings *s, const char *id, const char **owner)
{
	return ring_owns(s->owners, s->ring_self, id, strlen(id), owner);
}

struct settings *settings_load(const char *path, char *err, size_t errlen)
{
	struct settings *s = calloc(1, sizeof(*s));
	const char *reg;
	const char *bad;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (defaults(s, err, errlen) < 0)
		goto out_free;
	if (path &&
	    conf_load_with_dropins(path, on_setting, s, err, errlen) < 0)
		goto out_free;
	if (ring_load("fcgi.ring", s->ring, s->ring_self, &s->owners, err,
	              errlen) < 0)
		goto out_free;
	bad = sbx_limits_exceeds(&s->run_default, &s->run_max);
	if (bad) {
		snprintf(err, errlen, "fcgi.limit.%s is above fcgi.max.%s", bad,
		         bad);
		goto out_free;
	}
	bad = sbx_limits_exceeds(&s->compile_default, &s->compile_max);
	if (bad) {
		snprintf(err, errlen,
		         "fcgi.compile_limit.%s is above fcgi.compile_max.%s",
		         bad, bad);
		goto out_free;
	}
	reg = jailconf_registry(&s->jail);
	if (sbx_registry_load(reg, &s->registry, err, errlen) < 0)
		goto out_free;
	sbx_registry_resolve(&s->registry, s->jail.cfg.path_env);
	return s;

out_free:
	s->refs = 1;
	settings_unref(s);
	return NULL;
}

struct settings *settings_ref(struct settings *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void settings_unref(struct settings *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < s->ntokens; i++)
		free(s->tokens[i]);
	jailconf_fini(&s->jail);
	ring_free(s->owners);
	settab_free(&settings_table, s);
	sbx_registry_fini(&s->registry);
	free(s);
}

const char *settings_reload_blocker(const struct settings *cur,
                                    const struct settings *next)
{
	const char *k = jailconf_restart_change(&cur->jail, &next->jail);

	return k ? k : settab_restart_change(&settings_table, cur, next);
}

void settings_print(const struct settings *s, FILE *f)
{
	jailconf_print(&s->jail, f);
	settab_print(&settings_table, s, f);
}

/* The cache key of a language: "exe size mtime" of its version command. */
static bool version_key(const struct sbx_lang *l, char *key, size_t n)
{
	struct stat st;
	char *real;

	if (!l->available || !l->version_cmd || l->version_cmd[0][0] != '/')
		return false;
	real = realpath(l->version_cmd[0], NULL);
	if (!real || stat(real, &st) < 0) {
		free(real);
		return false;
	}
	snprintf(key, n, "%s %lld %lld", real, (long long)st.st_size,
	         (long long)st.st_mtime);
	free(real);
	return true;
}

void settings_detect_versions(struct settings *s)
{
	struct sbx_registry *reg = &s->registry;
	char path[1100], tmp[1120], line[1600], key[1200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/versions", s->state_dir);
	f = fopen(path, "re");
	/* lines: id TAB key TAB version */
	while (f && fgets(line, sizeof(line), f)) {
		char *id = strtok(line, "\t\n"), *k = strtok(NULL, "\t\n"),
		     *v = strtok(NULL, "\t\n");
		for (size_t i = 0; id && k && v && i < reg->n; i++) {
			struct sbx_lang *l = &reg->langs[i];
			if (strcmp(l->id, id) || l->version ||
			    !version_key(l, key, sizeof(key)) || strcmp(key, k))
				continue;
			l->version = strdup(v);
		}
	}
	if (f)
		fclose(f);
	sbx_registry_detect_versions(reg, s->jail.cfg.path_env);

	mkdir(s->state_dir, 0750);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return;
	for (size_t i = 0; i < reg->n; i++) {
		const struct sbx_lang *l = &reg->langs[i];
		if (l->version && version_key(l, key, sizeof(key)) &&
		    !strpbrk(l->version, "\t\n"))
			fprintf(f, "%s\t%s\t%s\n", l->id, key, l->version);
	}
	if (fclose(f) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}
