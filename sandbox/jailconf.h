/*
 * jailconf.h - the jail's keys of the shared settings file applied to a
 * jail configuration, the same way by runpad-jail and runpad-fcgi (what
 * each key takes: common/jailkeys.h):
 *
 *   slots = 4            first_uid = 60000     cgroup_parent = runpad
 *   rlimits_only = no    bind = /opt/tool      registry = /etc/runpad/...
 *
 * A struct jailconf owns the strings its sbx_config points to; it lives
 * as long as the caller keeps it and is released with jailconf_fini().
 */
#ifndef RUNPAD_JAILCONF_H
#define RUNPAD_JAILCONF_H

#include <stddef.h>
#include <stdio.h>

#include "jailkeys.h"
#include "sandbox.h"

#define JAILCONF_MAX_BINDS JAILKEY_MAX_BINDS

struct jailconf {
	struct sbx_config cfg; /* its strings point into this struct */
	char *binds[JAILCONF_MAX_BINDS + 1]; /* NULL-terminated, owned */
	char *cgroup_parent;                 /* owned, or NULL */
	char *registry;                      /* owned, or NULL: built in */
};

/* Defaults (sbx_config_default); never fails. */
void jailconf_init(struct jailconf *j);
void jailconf_fini(struct jailconf *j); /* accepts a zeroed struct */

/*
 * Apply one setting.  Returns 1 when key is a jail key and was applied,
 * 0 when it is not a jail key (the caller's, or another program's), or
 * -errno with a sentence naming the key in err.
 */
int jailconf_set(struct jailconf *j, const char *key, const char *value,
                 char *err, size_t errlen);

/* The first restart-only jail key (jailkeys.h) whose value differs
   between a and b (a static string), or NULL. */
const char *jailconf_restart_change(const struct jailconf *a,
                                    const struct jailconf *b);

/* Print the jail keys in force as "key = value" lines. */
void jailconf_print(const struct jailconf *j, FILE *f);

/* The registry to load: the configured one, else /etc/runpad/
   languages.conf when it exists, else the one shipped with the jail.  The
   string lives as long as j (or is static). */
const char *jailconf_registry(const struct jailconf *j);

#endif
