/*
 * jailkeys.c - the table of the jail's settings keys.  See jailkeys.h.
 */
#include "jailkeys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

_Static_assert(JAILKEY_MAX_BINDS == 64, "the bind entry's text says 64");

static const struct jailkey keys[] = {
        {"slots", JAILKEY_UINT, 1, 1024, "1 to 1024", 0},
        {"first_uid", JAILKEY_UINT, 1, 4294900000ULL, "a uid", 0},
        {"cgroup_parent", JAILKEY_STRING, 0, 0, "a cgroup path", 0},
        {"rlimits_only", JAILKEY_BOOL, 0, 0, "yes or no", 0},
        {"bind", JAILKEY_PATH, 0, 0, "an absolute path (at most 64)", 1},
        {"registry", JAILKEY_STRING, 0, 0, "a file", 0},
};

const struct jailkey *jailkey_find(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

int jailkey_parse(const struct jailkey *k, const char *value,
                  unsigned long long *u, int *b, char *err, size_t errlen)
{
	unsigned long long v;
	int ok = 1, t;

	switch (k->type) {
	case JAILKEY_UINT:
		ok = conf_uint(value, k->min, k->max, &v) == 0;
		if (ok && u)
			*u = v;
		break;
	case JAILKEY_BOOL:
		t = conf_bool(value);
		ok = t >= 0;
		if (ok && b)
			*b = t;
		break;
	case JAILKEY_PATH:
		ok = value[0] == '/';
		break;
	case JAILKEY_STRING:
		break;
	}
	if (!ok) {
		snprintf(err, errlen, "%s: expected %s", k->name, k->expected);
		return -EINVAL;
	}
	return 0;
}

int jailkey_check(const char *name, const char *value, char *err, size_t errlen)
{
	const struct jailkey *k = jailkey_find(name);

	if (!k)
		return 0;
	return jailkey_parse(k, value, NULL, NULL, err, errlen) < 0 ? -EINVAL
	                                                            : 1;
}
