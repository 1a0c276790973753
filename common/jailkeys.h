/*
 * jailkeys.h - the jail's keys of the shared settings file, as data:
 *
 *   slots = 4            first_uid = 60000     cgroup_parent = runpad
 *   rlimits_only = no    bind = /opt/tool      registry = /etc/runpad/...
 *
 * One table says what each key takes.  runpad-jail and runpad-fcgi apply
 * the keys through sandbox/jailconf.h, which parses with this table;
 * runpad-ws, which has no jail, only checks them with it, so that a typo
 * in the shared file is reported by every program that reads it.
 * Everything here is static data or pure functions.
 */
#ifndef RUNPAD_JAILKEYS_H
#define RUNPAD_JAILKEYS_H

#include <stddef.h>

/* how many "bind" lines a settings file may hold */
#define JAILKEY_MAX_BINDS 64

enum jailkey_type {
	JAILKEY_UINT,   /* a whole number in [min, max] */
	JAILKEY_BOOL,   /* yes/no, true/false, on/off, 1/0 */
	JAILKEY_PATH,   /* an absolute path */
	JAILKEY_STRING, /* any text */
};

struct jailkey {
	const char *name;
	enum jailkey_type type;
	unsigned long long min, max; /* JAILKEY_UINT */
	const char *expected;        /* "1 to 1024", "a uid", ... */
	int repeatable;              /* a list: each line adds one */
};

/* The key called name, or NULL when it is not one of the jail's. */
const struct jailkey *jailkey_find(const char *name);

/*
 * Check value against k.  0, with *u or *b set for JAILKEY_UINT and
 * JAILKEY_BOOL (either may be NULL); or -EINVAL with "NAME: expected ..."
 * in err.
 */
int jailkey_parse(const struct jailkey *k, const char *value,
                  unsigned long long *u, int *b, char *err, size_t errlen);

/*
 * For a program that only checks the jail's keys: 1 when name is one of
 * them and value fits, 0 when name is not one of them, -EINVAL with err
 * set when value does not fit.
 */
int jailkey_check(const char *name, const char *value, char *err,
                  size_t errlen);

#endif
