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

#include "addr.h"
#include "conf.h"
#include "ring.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

static void defaults(struct settings *s)
{
	jailconf_init(&s->jail);
	s->jail.cfg.netns_at_start = true;
	s->listen = strdup("/run/runpad/fcgi.sock");
	s->socket_mode = 0660;
	s->state_dir = strdup("/var/lib/runpad");
	s->prefix = strdup("/api/");
	s->ring = strdup("");
	s->ring_self = strdup("");
	s->queue = 16;
	s->retry_after = 2;
	s->max_body = 4 * MiB;
	s->max_code = 1 * MiB;
	s->max_files = 32;
	s->max_file_name = 128;
	s->max_stdin = 1 * MiB;
	s->max_args = 64;
	s->max_arg_len = 4096;
	s->max_tests = 64;
	s->async_workers = 2;
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
	};
	s->compile_max = s->run_max;
	s->compile_max.cpu_ms = 60000;
	s->compile_max.wall_ms = 90000;
	s->compile_max.memory = 2 * GiB;
	s->submission_ttl_ms = 3600 * 1000;
	s->max_submissions = 1000;
	s->log_requests = true;
	s->refs = 1;
}

/* key -> the unsigned field it sets, with its bounds */
static const struct uint_key {
	const char *key;
	size_t off;
	unsigned long long min, max;
} uint_keys[] = {
        {"fcgi.threads", offsetof(struct settings, threads), 0, 1024},
        {"fcgi.async_workers", offsetof(struct settings, async_workers), 1, 64},
        {"fcgi.queue", offsetof(struct settings, queue), 0, 4096},
        {"fcgi.retry_after", offsetof(struct settings, retry_after), 1, 3600},
        {"fcgi.max_files", offsetof(struct settings, max_files), 1, 1024},
        {"fcgi.max_file_name", offsetof(struct settings, max_file_name), 1,
         255},
        {"fcgi.max_args", offsetof(struct settings, max_args), 0, 4096},
        {"fcgi.max_arg_len", offsetof(struct settings, max_arg_len), 1,
         1 << 20},
        {"fcgi.max_tests", offsetof(struct settings, max_tests), 0, 1024},
        {"fcgi.max_submissions", offsetof(struct settings, max_submissions), 1,
         10000000},
};

static const struct size_key {
	const char *key;
	size_t off;
} size_keys[] = {
        {"fcgi.max_body", offsetof(struct settings, max_body)},
        {"fcgi.max_code", offsetof(struct settings, max_code)},
        {"fcgi.max_stdin", offsetof(struct settings, max_stdin)},
};

/* "fcgi.limit.memory", "fcgi.max.cpu_time", "fcgi.compile_limit.x", ... */
static int limit_key(struct settings *s, const char *key, const char *value,
                     char *err, size_t errlen)
{
	static const struct {
		const char *prefix;
		size_t off;
	} kinds[] = {
	        {"fcgi.limit.", offsetof(struct settings, run_default)},
	        {"fcgi.max.", offsetof(struct settings, run_max)},
	        {"fcgi.compile_limit.",
	         offsetof(struct settings, compile_default)},
	        {"fcgi.compile_max.", offsetof(struct settings, compile_max)},
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].prefix);
		if (strncmp(key, kinds[i].prefix, n) == 0) {
			struct sbx_limits *l =
			        (struct sbx_limits *)((char *)s + kinds[i].off);
			char e[160];
			if (sbx_limits_set(l, key + n, value, e, sizeof(e)) <
			    0) {
				snprintf(err, errlen, "%s: %s", key, e);
				return -EINVAL;
			}
			return 1;
		}
	}
	return 0;
}

static int on_setting(void *arg, const char *key, const char *value, char *err,
                      size_t errlen)
{
	struct settings *s = arg;
	unsigned long long u;
	uint64_t sz;
	int b, r;

	for (size_t i = 0; i < sizeof(uint_keys) / sizeof(uint_keys[0]); i++) {
		const struct uint_key *k = &uint_keys[i];
		if (strcmp(key, k->key))
			continue;
		if (conf_uint(value, k->min, k->max, &u) < 0) {
			snprintf(err, errlen, "%s: expected %llu to %llu", key,
			         k->min, k->max);
			return -EINVAL;
		}
		*(unsigned *)((char *)s + k->off) = (unsigned)u;
		return 0;
	}
	for (size_t i = 0; i < sizeof(size_keys) / sizeof(size_keys[0]); i++) {
		if (strcmp(key, size_keys[i].key))
			continue;
		if (sbx_parse_size(value, &sz) < 0 || sz == 0 ||
		    sz > 1024 * MiB) {
			snprintf(err, errlen,
			         "%s: expected a size such as 4M (at most 1G)",
			         key);
			return -EINVAL;
		}
		*(uint64_t *)((char *)s + size_keys[i].off) = sz;
		return 0;
	}
	r = limit_key(s, key, value, err, errlen);
	if (r)
		return r < 0 ? r : 0;

	r = jailconf_set(&s->jail, key, value, err, errlen);
	if (r)
		return r < 0 ? r : 0;

	if (strcmp(key, "fcgi.listen") == 0) {
		struct addr a;
		char why[96];
		if (addr_parse(value, &a, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "fcgi.listen: %s, got '%.200s'",
			         why, value);
			return -EINVAL;
		}
		return conf_set_string(&s->listen, value);
	} else if (strcmp(key, "fcgi.ring") == 0) {
		/* checked here for the line number, with ring_self at the end */
		struct ring *ring;
		if (ring_load(key, value, NULL, &ring, err, errlen) < 0)
			return -EINVAL;
		ring_free(ring);
		return conf_set_string(&s->ring, value);
	} else if (strcmp(key, "fcgi.ring_self") == 0) {
		return conf_set_string(&s->ring_self, value);
	} else if (strcmp(key, "fcgi.socket_mode") == 0) {
		char *end;
		errno = 0;
		u = strtoull(value, &end, 8);
		if (errno || end == value || *end || u > 0777) {
			snprintf(
			        err, errlen,
			        "fcgi.socket_mode: expected octal such as 0660");
			return -EINVAL;
		}
		s->socket_mode = (unsigned)u;
	} else if (strcmp(key, "fcgi.state_dir") == 0) {
		if (value[0] != '/') {
			snprintf(err, errlen,
			         "fcgi.state_dir: expected an absolute path");
			return -EINVAL;
		}
		return conf_set_string(&s->state_dir, value);
	} else if (strcmp(key, "fcgi.prefix") == 0) {
		size_t n = strlen(value);
		if (n < 1 || value[0] != '/' || value[n - 1] != '/' ||
		    n > 200) {
			snprintf(
			        err, errlen,
			        "fcgi.prefix: expected a path that starts and ends with '/'");
			return -EINVAL;
		}
		return conf_set_string(&s->prefix, value);
	} else if (strcmp(key, "fcgi.token") == 0) {
		if (strlen(value) < 16 || strpbrk(value, " \t")) {
			snprintf(
			        err, errlen,
			        "fcgi.token: expected at least 16 characters without blanks");
			return -EINVAL;
		}
		if (s->ntokens == SET_MAX_TOKENS) {
			snprintf(err, errlen, "fcgi.token: at most %d",
			         SET_MAX_TOKENS);
			return -EINVAL;
		}
		s->tokens[s->ntokens] = strdup(value);
		if (!s->tokens[s->ntokens])
			return -ENOMEM;
		s->ntokens++;
	} else if (strcmp(key, "fcgi.submission_ttl") == 0) {
		uint64_t ms;
		if (sbx_parse_duration_ms(value, &ms) < 0 || ms < 1000) {
			snprintf(
			        err, errlen,
			        "fcgi.submission_ttl: expected a duration such as 1h or 600s (at least 1s)");
			return -EINVAL;
		}
		s->submission_ttl_ms = ms;
	} else if (strcmp(key, "fcgi.log_requests") == 0) {
		b = conf_bool(value);
		if (b < 0) {
			snprintf(err, errlen,
			         "fcgi.log_requests: expected yes or no");
			return -EINVAL;
		}
		s->log_requests = b;
	} else if (strncmp(key, "fcgi.", 5) == 0 || !strchr(key, '.')) {
		snprintf(err, errlen, "unknown setting '%s'", key);
		return -EINVAL;
	}
	/* else: another program's key */
	return 0;
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
	defaults(s);
	if (!s->listen || !s->state_dir || !s->prefix || !s->ring ||
	    !s->ring_self) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
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
	free(s->listen);
	free(s->state_dir);
	free(s->prefix);
	ring_free(s->owners);
	free(s->ring);
	free(s->ring_self);
	sbx_registry_fini(&s->registry);
	free(s);
}

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

const char *settings_reload_blocker(const struct settings *cur,
                                    const struct settings *next)
{
	size_t i;

	const struct jailconf *a = &cur->jail, *b = &next->jail;

	if (a->cfg.slots != b->cfg.slots)
		return "slots";
	if (a->cfg.first_uid != b->cfg.first_uid)
		return "first_uid";
	if (str_differs(a->cgroup_parent, b->cgroup_parent))
		return "cgroup_parent";
	if (a->cfg.allow_rlimits_only != b->cfg.allow_rlimits_only)
		return "rlimits_only";
	for (i = 0; a->binds[i] && b->binds[i]; i++)
		if (strcmp(a->binds[i], b->binds[i]))
			return "bind";
	if (a->binds[i] || b->binds[i])
		return "bind";
	if (strcmp(cur->listen, next->listen))
		return "fcgi.listen";
	if (cur->socket_mode != next->socket_mode)
		return "fcgi.socket_mode";
	if (strcmp(cur->state_dir, next->state_dir))
		return "fcgi.state_dir";
	if (cur->threads != next->threads)
		return "fcgi.threads";
	if (cur->async_workers != next->async_workers)
		return "fcgi.async_workers";
	return NULL;
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
