/*
 * jailconf.c - the jail's keys of the shared settings file.  See
 * jailconf.h.
 */
#include "jailconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "jailkeys.h"

#ifndef RUNPAD_DATADIR
#define RUNPAD_DATADIR "/usr/share/runpad"
#endif
#define SYSTEM_REGISTRY "/etc/runpad/languages.conf"

void jailconf_init(struct jailconf *j)
{
	memset(j, 0, sizeof(*j));
	sbx_config_default(&j->cfg);
}

void jailconf_fini(struct jailconf *j)
{
	for (size_t i = 0; j->binds[i]; i++)
		free(j->binds[i]);
	free(j->cgroup_parent);
	free(j->registry);
	memset(j, 0, sizeof(*j));
}

int jailconf_set(struct jailconf *j, const char *key, const char *value,
                 char *err, size_t errlen)
{
	const struct jailkey *k = jailkey_find(key);
	unsigned long long u = 0;
	size_t n = 0;
	int b = 0;

	if (!k)
		return 0; /* the caller's key, or another program's */
	if (jailkey_parse(k, value, &u, &b, err, errlen) < 0)
		return -EINVAL;
	if (strcmp(key, "slots") == 0) {
		j->cfg.slots = (unsigned)u;
	} else if (strcmp(key, "first_uid") == 0) {
		j->cfg.first_uid = j->cfg.first_gid = (uint32_t)u;
	} else if (strcmp(key, "cgroup_parent") == 0) {
		if (conf_set_string(&j->cgroup_parent, value) < 0)
			return -ENOMEM;
		j->cfg.cgroup_parent = j->cgroup_parent;
	} else if (strcmp(key, "rlimits_only") == 0) {
		j->cfg.allow_rlimits_only = b;
	} else if (strcmp(key, "bind") == 0) {
		while (j->binds[n])
			n++;
		if (n == JAILCONF_MAX_BINDS) {
			snprintf(err, errlen, "bind: expected %s", k->expected);
			return -EINVAL;
		}
		j->binds[n] = strdup(value);
		if (!j->binds[n])
			return -ENOMEM;
		j->cfg.binds = (const char *const *)j->binds;
	} else if (strcmp(key, "registry") == 0) {
		if (conf_set_string(&j->registry, value) < 0)
			return -ENOMEM;
	}
	return 1;
}

const char *jailconf_registry(const struct jailconf *j)
{
	if (j->registry)
		return j->registry;
	if (access(SYSTEM_REGISTRY, R_OK) == 0)
		return SYSTEM_REGISTRY;
	return RUNPAD_DATADIR "/languages.conf";
}
