/*
 * settings.h - runpad-fcgi's settings: embedded defaults, overridden by the
 * `key = value` file shared with the other runpad programs.
 *
 * The runner reads the jail's keys (slots, first_uid, cgroup_parent,
 * rlimits_only, bind, registry) and its own `fcgi.` keys; it ignores the
 * keys of other programs (any other `name.` prefix).  docs/api.md lists
 * every key.
 *
 * A loaded settings object is immutable and reference counted: a request
 * takes a reference when it starts and drops it when it ends, so SIGHUP
 * can swap in a new one while older requests finish with theirs.
 */
#ifndef RUNPAD_SETTINGS_H
#define RUNPAD_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "jailconf.h"
#include "sandbox.h"

#define SET_MAX_TOKENS 32

struct ring;

struct settings {
	/* fixed at start (a reload that changes them is refused), but for
	   jail.registry, which a reload reads again */
	struct jailconf jail;
	char *listen;         /* an address in common/addr.h's grammar */
	unsigned socket_mode; /* of the unix socket */
	char *state_dir;      /* holds the submissions store */
	unsigned threads;     /* FastCGI worker threads; 0: automatic */
	unsigned async_workers;

	/* reloadable */
	char *prefix;                 /* "/api/" */
	struct sbx_registry registry; /* resolved, versions detected */
	unsigned queue;               /* runs waiting for a slot, at most */
	unsigned retry_after;         /* seconds, in 503 answers */
	uint64_t max_body;            /* bytes of a request body */
	uint64_t max_code;            /* bytes of all files together */
	unsigned max_files;
	unsigned max_file_name;
	uint64_t max_stdin;
	unsigned max_args;
	unsigned max_arg_len;
	unsigned max_tests;
	struct sbx_limits run_default, run_max;
	struct sbx_limits compile_default, compile_max;
	char *tokens[SET_MAX_TOKENS]; /* none: no authentication */
	size_t ntokens;
	uint64_t submission_ttl_ms;
	unsigned max_submissions; /* queued + running */
	bool log_requests;
	/* fcgi.ring: nginx's server list of runpad_fcgi_id ("" none);
	   fcgi.ring_self: this runner's entry in it.  owners is the parsed
	   ring (ring.h), NULL when fcgi.ring is empty. */
	char *ring;
	char *ring_self;
	struct ring *owners;

	int refs; /* atomically changed by settings_ref/unref */
};

/*
 * Load settings: defaults, then `path` (NULL: defaults only) and the
 * drop-ins in conf.d next to it (conf_load_with_dropins), then the
 * registry named by them (or the built-in one), resolved against the jail's
 * PATH.  Versions are not known yet: see settings_detect_versions().
 * Returns a new object with one reference, or NULL with err set.
 */
struct settings *settings_load(const char *path, char *err, size_t errlen);

/*
 * Fill in the languages' versions.  Running every version command takes
 * seconds (JVM languages), so the results are cached in
 * <state_dir>/versions, keyed by each command's executable (path, size,
 * mtime): an upgraded toolchain is asked again, an unchanged one is not.
 * Call before the object is shared.  A cache that cannot be read or
 * written only costs time.
 */
void settings_detect_versions(struct settings *s);

/*
 * Whether this runner holds id (a run or submission id, the key nginx's
 * runpad_fcgi_id upstream hashes): true when fcgi.ring is empty, else when
 * the ring gives id to fcgi.ring_self.  When it does not and owner is not
 * NULL, *owner gets the entry that does (valid while s lives).
 */
bool settings_owns(const struct settings *s, const char *id,
                   const char **owner);

struct settings *settings_ref(struct settings *s);
void settings_unref(struct settings *s); /* frees at zero; accepts NULL */

/* The table of the fcgi.* keys (settab.h); the jail's keys are
   jailkeys_table.  For the docs check and --print-config. */
extern const struct settab settings_table;

/* Print the settings in force, "key = value" per line, jail keys first. */
void settings_print(const struct settings *s, FILE *f);

/*
 * Whether `next` may replace `cur` on a reload: NULL if so, else the name of
 * the first setting that only a restart can change (a static string).
 */
const char *settings_reload_blocker(const struct settings *cur,
                                    const struct settings *next);

#endif
