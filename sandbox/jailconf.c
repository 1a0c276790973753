/*
 * jailconf.c - the jail's keys of the shared settings file.  See
 * jailconf.h.
 */
#include "jailconf.h"

#include <errno.h>
#include <stdbool.h>
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
	const struct settab_key *k = settab_find(&jailkeys_table, key);
	struct settab_value v;
	size_t n = 0;

	if (!k)
		return 0; /* the caller's key, or another program's */
	if (settab_parse(k, value, &v, err, errlen) < 0)
		return -EINVAL;
	if (strcmp(key, "slots") == 0) {
		j->cfg.slots = (unsigned)v.u;
	} else if (strcmp(key, "first_uid") == 0) {
		j->cfg.first_uid = j->cfg.first_gid = (uint32_t)v.u;
	} else if (strcmp(key, "cgroup_parent") == 0) {
		if (conf_set_string(&j->cgroup_parent, value) < 0)
			return -ENOMEM;
		j->cfg.cgroup_parent = j->cgroup_parent;
	} else if (strcmp(key, "rlimits_only") == 0) {
		j->cfg.allow_rlimits_only = v.b;
	} else if (strcmp(key, "bind") == 0) {
		while (j->binds[n])
			n++;
		if (n == JAILCONF_MAX_BINDS) {
			snprintf(err, errlen, "bind: at most %d",
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
	}
	return 1;
}

/* key's value in j as a file writes it ("" for one not set) */
static void format_key(const struct jailconf *j, const struct settab_key *k,
                       char *buf, size_t n)
{
	const char *s = "";

	buf[0] = 0;
	if (strcmp(k->name, "slots") == 0) {
		settab_format(k, j->cfg.slots, buf, n);
		return;
	} else if (strcmp(k->name, "first_uid") == 0) {
		settab_format(k, j->cfg.first_uid, buf, n);
		return;
	} else if (strcmp(k->name, "rlimits_only") == 0) {
		s = j->cfg.allow_rlimits_only ? "yes" : "no";
	} else if (strcmp(k->name, "cgroup_parent") == 0) {
		s = j->cgroup_parent ? j->cgroup_parent : "";
	} else if (strcmp(k->name, "registry") == 0) {
		s = j->registry ? j->registry : "";
	}
	snprintf(buf, n, "%s", s);
}

static bool binds_differ(const struct jailconf *a, const struct jailconf *b)
{
	size_t i;

	for (i = 0; a->binds[i] && b->binds[i]; i++)
		if (strcmp(a->binds[i], b->binds[i]))
			return true;
	return a->binds[i] || b->binds[i];
}

const char *jailconf_restart_change(const struct jailconf *a,
                                    const struct jailconf *b)
{
	char x[4200], y[sizeof(x)]; /* a path and then some */

	for (size_t i = 0; i < jailkeys_table.n; i++) {
		const struct settab_key *k = &jailkeys_table.keys[i];
		if (!(k->flags & SETTAB_RESTART))
			continue;
		if (strcmp(k->name, "bind") == 0) {
			if (binds_differ(a, b))
				return k->name;
			continue;
		}
		format_key(a, k, x, sizeof(x));
		format_key(b, k, y, sizeof(y));
		if (strcmp(x, y))
			return k->name;
	}
	return NULL;
}

void jailconf_print(const struct jailconf *j, FILE *f)
{
	char buf[4200];

	for (size_t i = 0; i < jailkeys_table.n; i++) {
		const struct settab_key *k = &jailkeys_table.keys[i];
		if (strcmp(k->name, "bind") == 0) {
			for (size_t b = 0; j->binds[b]; b++)
				fprintf(f, "bind = %s\n", j->binds[b]);
			if (!j->binds[0])
				fprintf(f, "# bind: the built-in list\n");
			continue;
		}
		format_key(j, k, buf, sizeof(buf));
		if (!buf[0] && strcmp(k->name, "cgroup_parent") == 0)
			fprintf(f, "# cgroup_parent: %s\n", k->def_doc);
		else if (!buf[0] && strcmp(k->name, "registry") == 0)
			fprintf(f, "registry = %s\n", jailconf_registry(j));
		else
			fprintf(f, "%s = %s\n", k->name, buf);
	}
}

const char *jailconf_registry(const struct jailconf *j)
{
	if (j->registry)
		return j->registry;
	if (access(SYSTEM_REGISTRY, R_OK) == 0)
		return SYSTEM_REGISTRY;
	return RUNPAD_DATADIR "/languages.conf";
}
