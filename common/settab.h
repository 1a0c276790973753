/*
 * settab.h - a program's settings as one table: for every key its type,
 * bounds, default, whether only a restart changes it, and where it is
 * stored.  The same table parses the file and the command line
 * (settab_set), fills in the defaults (settab_defaults, through the same
 * parser, so a default out of its own bounds cannot be built), refuses a
 * reload that changes a restart-only key (settab_restart_change), prints
 * the settings in force (settab_print, for --print-config) and is what the
 * docs and man pages are checked against (tests/unit/settab_docs.c).
 *
 *   static const struct settab_key keys[] = {
 *       {"ws.max_doc", SETTAB_SIZE, F(max_doc), 1 * KiB, 64 * MiB, "512K"},
 *       {"ws.listen", SETTAB_STRING, F(listen), .def = "unix:/run/...",
 *        .flags = SETTAB_RESTART, .check = settab_check_addr,
 *        .values = "a listen address"},
 *   };
 *   static const struct settab table = {keys, ARRAY_SIZE(keys), "ws."};
 *
 * A table is static data.  The settings object it describes is the
 * caller's struct; the strings the table stores in it (SETTAB_STRING
 * fields) are owned by that struct and freed with settab_free().
 */
#ifndef RUNPAD_SETTAB_H
#define RUNPAD_SETTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum settab_type {
	SETTAB_UINT,   /* unsigned, a whole number in [min, max] */
	SETTAB_SIZE,   /* uint64_t bytes, "512K" (units.h), in [min, max] */
	SETTAB_MS,     /* uint64_t milliseconds, "30s" (units.h), [min, max] */
	SETTAB_BOOL,   /* bool: yes/no, true/false, on/off, 1/0 */
	SETTAB_OCTAL,  /* unsigned, octal such as 0660, in [min, max] */
	SETTAB_STRING, /* char *, owned; check() says what is valid */
};

/* Only a restart changes the key: a reload that changes it is refused. */
#define SETTAB_RESTART 0x1u
/* SETTAB_STRING: an empty value stores NULL ("none"). */
#define SETTAB_EMPTY_IS_NULL 0x2u
/* Printed as "(set)", never as its value (tokens). */
#define SETTAB_SECRET 0x4u
/* A family: name ends in '.', and every key that starts with it is this
   entry's (the rest of the key is for apply() to understand). */
#define SETTAB_PREFIX 0x8u
/* A list: each line adds one (apply() keeps them). */
#define SETTAB_REPEAT 0x10u

/* off of a key whose value is kept by apply(), not in a field */
#define SETTAB_NOFIELD ((size_t)-1)

struct settab_key {
	const char *name;
	enum settab_type type;
	size_t off; /* of the field in the settings struct, or NOFIELD */
	unsigned long long min, max; /* UINT, SIZE, MS, OCTAL */
	/* The default as a settings file would write it, applied by
	   settab_defaults(); NULL: the field's zero (a NULL string). */
	const char *def;
	unsigned flags;
	/* SETTAB_STRING: 0, or -EINVAL with the whole message in err
	   ("ws.state_dir: expected an absolute path"). */
	int (*check)(const char *key, const char *value, char *err,
	             size_t errlen);
	/* For SETTAB_NOFIELD keys: store the value, checked against type,
	   bounds and check() (a family's is not: apply checks it), in obj.
	   Returns 0 or -errno with the whole message in err. */
	int (*apply)(void *obj, const char *key, const char *value, char *err,
	             size_t errlen);
	/* For SETTAB_NOFIELD keys: print "key = value" lines of obj to f. */
	void (*print)(const void *obj, const struct settab_key *k, FILE *f);
	/* What the values are, when type and bounds do not say it ("a
	   listen address"); the docs' values column says the same. */
	const char *values;
	/* What the docs say the default is, when def does not ("the
	   built-in list"). */
	const char *def_doc;
};

/* An entry of a number or boolean key. */
#define SETTAB_NUM(n, t, o, lo, hi, d, fl)                                     \
	{                                                                      \
		.name = (n), .type = (t), .off = (o), .min = (lo),             \
		.max = (hi), .def = (d), .flags = (fl)                         \
	}

struct settab {
	const struct settab_key *keys;
	size_t n;
	/* The program's own prefix ("ws.", "fcgi."): an unknown key with it
	   is an error.  Keys of other programs (another "name.") are
	   skipped; unknown keys without a dot are errors (the jail's keys
	   have none, and every program checks them). */
	const char *prefix;
};

/* A parsed value: u for UINT, SIZE, MS and OCTAL, b for BOOL. */
struct settab_value {
	unsigned long long u;
	bool b;
};

/* Checks for SETTAB_STRING keys: a listen address (common/addr.h), an
   absolute path. */
int settab_check_addr(const char *key, const char *value, char *err,
                      size_t errlen);
int settab_check_abspath(const char *key, const char *value, char *err,
                         size_t errlen);

/* The entry of key (a family's, for a key under its prefix), or NULL. */
const struct settab_key *settab_find(const struct settab *t, const char *key);

/*
 * Check value against k's type, bounds and check().  0 with *v filled in
 * (v may be NULL), or -EINVAL with "NAME: expected ..." in err.
 */
int settab_parse(const struct settab_key *k, const char *value,
                 struct settab_value *v, char *err, size_t errlen);

/*
 * Apply key = value to obj.  1 when key is one of t's and was applied, 0
 * when it is not (another table's, or another program's), -errno with a
 * message naming the key in err.  On an error obj is unchanged.
 */
int settab_set(const struct settab *t, void *obj, const char *key,
               const char *value, char *err, size_t errlen);

/*
 * Is key acceptable to a program whose tables are t[0..n)?  Used for what
 * no table took: 0 for another program's key, -EINVAL with "unknown
 * setting 'key'" for a key with one of the tables' prefixes or no dot.
 */
int settab_unknown(const struct settab *const *t, size_t n, const char *key,
                   char *err, size_t errlen);

/* Apply every key's default (entries with def).  0, or -errno with err:
   a default that its own key refuses is a bug the unit tests catch. */
int settab_defaults(const struct settab *t, void *obj, char *err,
                    size_t errlen);

/* The first restart-only key (with a field) whose value differs between a
   and b, or NULL.  Strings compare by content; NULL equals only NULL. */
const char *settab_restart_change(const struct settab *t, const void *a,
                                  const void *b);

/* Free the SETTAB_STRING fields of obj and set them to NULL. */
void settab_free(const struct settab *t, void *obj);

/*
 * Print every key as "name = value" in table order, the way a settings
 * file would write it (sizes and durations in their largest exact unit;
 * secrets as "(set)"; an unset string as nothing after '=').
 */
void settab_print(const struct settab *t, const void *obj, FILE *f);

/* One value as a file would write it: "512K", "30s", "90s", "10min", "1h",
   "0660" (the largest exact unit; minutes only from ten on). */
void settab_format(const struct settab_key *k, unsigned long long u, char *buf,
                   size_t n);

/* What values k takes, as the docs and messages say it: "1 to 1024",
   "1K to 64M", "100ms to 10min", "yes or no", k->values. */
void settab_values(const struct settab_key *k, char *buf, size_t n);

/* What the docs say the default is: def_doc, else def ("empty" for ""),
   else "none". */
const char *settab_default_doc(const struct settab_key *k);

#endif
