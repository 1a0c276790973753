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
	unsigned long long u;
	size_t n = 0;
	int b;

	if (strcmp(key, "slots") == 0) {
		if (conf_uint(value, 1, 1024, &u) < 0) {
			snprintf(err, errlen, "slots: expected 1 to 1024");
			return -EINVAL;
		}
		j->cfg.slots = (unsigned)u;
	} else if (strcmp(key, "first_uid") == 0) {
		if (conf_uint(value, 1, 4294900000ULL, &u) < 0) {
			snprintf(err, errlen, "first_uid: expected a uid");
			return -EINVAL;
		}
		j->cfg.first_uid = j->cfg.first_gid = (uint32_t)u;
	} else if (strcmp(key, "cgroup_parent") == 0) {
		if (conf_set_string(&j->cgroup_parent, value) < 0)
			return -ENOMEM;
		j->cfg.cgroup_parent = j->cgroup_parent;
	} else if (strcmp(key, "rlimits_only") == 0) {
		b = conf_bool(value);
		if (b < 0) {
			snprintf(err, errlen,
			         "rlimits_only: expected yes or no");
			return -EINVAL;
		}
		j->cfg.allow_rlimits_only = b;
	} else if (strcmp(key, "bind") == 0) {
		while (j->binds[n])
			n++;
		if (value[0] != '/' || n == JAILCONF_MAX_BINDS) {
			snprintf(err, errlen,
			         "bind: expected an absolute path (at most %d)",
			         JAILCONF_MAX_BINDS);
			return -EINVAL;
		}
		j->binds[n] = strdup(value);
		if (!j->binds[n])
			return -ENOMEM;
		j->cfg.binds = (const char *const *)j->binds;
	} else if (strcmp(key, "registry") == 0) {
		if (conf_set_string(&j->registry, value) < 0)
			return -ENOMEM;
	} else {
		return 0;
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
