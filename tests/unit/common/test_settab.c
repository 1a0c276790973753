/* Unit tests: settings tables (settab.h) - parse, defaults, reload rules,
   printing, and the words the docs are checked against. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "settab.h"

struct demo {
	unsigned count;
	uint64_t size, wait;
	bool on;
	unsigned mode;
	char *path, *token, *note;
	char *list[4];
	size_t nlist;
	char family[64];
};

static int add(void *obj, const char *key, const char *value, char *err,
               size_t errlen)
{
	struct demo *d = obj;

	if (d->nlist == 4) {
		snprintf(err, errlen, "%s: at most 4", key);
		return -EINVAL;
	}
	d->list[d->nlist++] = strdup(value);
	return 0;
}

static void print_list(const void *obj, const struct settab_key *k, FILE *f)
{
	const struct demo *d = obj;

	for (size_t i = 0; i < d->nlist; i++)
		fprintf(f, "%s = %s\n", k->name, d->list[i]);
}

static int set_family(void *obj, const char *key, const char *value, char *err,
                      size_t errlen)
{
	struct demo *d = obj;

	if (strcmp(key, "d.fam.good")) {
		snprintf(err, errlen, "%s: unknown member", key);
		return -EINVAL;
	}
	snprintf(d->family, sizeof(d->family), "%s", value);
	return 0;
}

#define F(m) offsetof(struct demo, m)
static const struct settab_key keys[] = {
        SETTAB_NUM("d.count", SETTAB_UINT, F(count), 1, 100, "10",
                   SETTAB_RESTART),
        SETTAB_NUM("d.size", SETTAB_SIZE, F(size), 1024, 1ull << 30, "512K", 0),
        SETTAB_NUM("d.wait", SETTAB_MS, F(wait), 0, 3600000, "30s", 0),
        SETTAB_NUM("d.on", SETTAB_BOOL, F(on), 0, 0, "yes", 0),
        SETTAB_NUM("d.mode", SETTAB_OCTAL, F(mode), 0, 0777, "0660",
                   SETTAB_RESTART),
        {.name = "d.path",
         .type = SETTAB_STRING,
         .off = F(path),
         .def = "/var/x",
         .flags = SETTAB_RESTART,
         .check = settab_check_abspath,
         .values = "absolute path"},
        {.name = "d.token",
         .type = SETTAB_STRING,
         .off = F(token),
         .flags = SETTAB_EMPTY_IS_NULL | SETTAB_SECRET},
        {.name = "d.note", .type = SETTAB_STRING, .off = F(note), .def = ""},
        {.name = "d.list",
         .type = SETTAB_STRING,
         .off = SETTAB_NOFIELD,
         .flags = SETTAB_REPEAT,
         .check = settab_check_abspath,
         .apply = add,
         .print = print_list},
        {.name = "d.fam.",
         .type = SETTAB_STRING,
         .off = SETTAB_NOFIELD,
         .flags = SETTAB_PREFIX,
         .apply = set_family},
};
#undef F
static const struct settab table = {keys, sizeof(keys) / sizeof(keys[0]), "d."};

static char err[256];

static void demo_init(struct demo *d)
{
	memset(d, 0, sizeof(*d));
	cr_assert_eq(settab_defaults(&table, d, err, sizeof(err)), 0, "%s",
	             err);
}

static void demo_fini(struct demo *d)
{
	settab_free(&table, d);
	for (size_t i = 0; i < d->nlist; i++)
		free(d->list[i]);
}

static int set(struct demo *d, const char *key, const char *value)
{
	err[0] = 0;
	return settab_set(&table, d, key, value, err, sizeof(err));
}

Test(settab, defaults_go_through_the_parser)
{
	struct demo d;

	demo_init(&d);
	cr_assert_eq(d.count, 10);
	cr_assert_eq(d.size, 512 * 1024);
	cr_assert_eq(d.wait, 30000);
	cr_assert_eq(d.on, true);
	cr_assert_eq(d.mode, 0660);
	cr_assert_str_eq(d.path, "/var/x");
	cr_assert_null(d.token);
	cr_assert_str_eq(d.note, "");
	cr_assert_eq(d.nlist, 0, "a list has no default entry");
	demo_fini(&d);
	cr_assert_null(d.path, "settab_free clears what it frees");

	/* a default its own key refuses is refused */
	static const struct settab_key bad[] = {
	        SETTAB_NUM("b.n", SETTAB_UINT, 0, 1, 9, "10", 0)};
	static const struct settab badt = {bad, 1, "b."};
	unsigned n = 0;
	cr_assert_eq(settab_defaults(&badt, &n, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "b.n: expected 1 to 9");
}

Test(settab, values_are_checked_and_a_refusal_changes_nothing)
{
	struct demo d;

	demo_init(&d);
	cr_assert_eq(set(&d, "d.count", "100"), 1);
	cr_assert_eq(d.count, 100);
	cr_assert_eq(set(&d, "d.count", "101"), -EINVAL);
	cr_assert_str_eq(err, "d.count: expected 1 to 100");
	cr_assert_eq(set(&d, "d.count", "0x10"), -EINVAL);
	cr_assert_eq(d.count, 100, "unchanged");

	cr_assert_eq(set(&d, "d.size", "1M"), 1);
	cr_assert_eq(d.size, 1 << 20);
	cr_assert_eq(set(&d, "d.size", "1023"), -EINVAL);
	cr_assert_str_eq(err,
	                 "d.size: expected a size from 1K to 1G, such as 512K");
	cr_assert_eq(set(&d, "d.size", "2G"), -EINVAL);
	cr_assert_eq(d.size, 1 << 20);

	cr_assert_eq(set(&d, "d.wait", "1.5s"), 1);
	cr_assert_eq(d.wait, 1500);
	cr_assert_eq(set(&d, "d.wait", "61min"), -EINVAL);
	cr_assert_str_eq(
	        err, "d.wait: expected a duration from 0 to 1h, such as 30s");

	cr_assert_eq(set(&d, "d.on", "off"), 1);
	cr_assert_eq(d.on, false);
	cr_assert_eq(set(&d, "d.on", "maybe"), -EINVAL);
	cr_assert_str_eq(err, "d.on: expected yes or no");

	cr_assert_eq(set(&d, "d.mode", "0600"), 1);
	cr_assert_eq(d.mode, 0600);
	cr_assert_eq(set(&d, "d.mode", "0800"), -EINVAL);
	cr_assert_eq(set(&d, "d.mode", "1777"), -EINVAL);
	cr_assert_str_eq(err,
	                 "d.mode: expected octal, up to 0777, such as 0660");
	cr_assert_eq(set(&d, "d.mode", "-1"), -EINVAL);
	cr_assert_eq(d.mode, 0600);

	cr_assert_eq(set(&d, "d.path", "relative"), -EINVAL);
	cr_assert_str_eq(err, "d.path: expected an absolute path");
	cr_assert_str_eq(d.path, "/var/x");
	cr_assert_eq(set(&d, "d.path", "/srv/y"), 1);
	cr_assert_str_eq(d.path, "/srv/y");

	cr_assert_eq(set(&d, "d.token", "s3cret"), 1);
	cr_assert_str_eq(d.token, "s3cret");
	cr_assert_eq(set(&d, "d.token", ""), 1);
	cr_assert_null(d.token, "empty: none");
	demo_fini(&d);
}

Test(settab, lists_and_families_are_the_hooks_own)
{
	struct demo d;

	demo_init(&d);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(set(&d, "d.list", "/a"), 1);
	cr_assert_eq(set(&d, "d.list", "/b"), -EINVAL);
	cr_assert_str_eq(err, "d.list: at most 4");
	cr_assert_eq(set(&d, "d.list", "rel"), -EINVAL, "checked first");
	cr_assert_str_eq(err, "d.list: expected an absolute path");
	cr_assert_eq(d.nlist, 4);

	cr_assert_eq(set(&d, "d.fam.good", "x"), 1);
	cr_assert_str_eq(d.family, "x");
	cr_assert_eq(set(&d, "d.fam.bad", "x"), -EINVAL);
	cr_assert_str_eq(err, "d.fam.bad: unknown member");
	cr_assert_null(settab_find(&table, "d.fam."),
	               "a family needs a member");
	demo_fini(&d);
}

Test(settab, unknown_keys_are_errors_only_for_this_program)
{
	const struct settab *t[] = {&table};
	struct demo d;

	demo_init(&d);
	cr_assert_eq(set(&d, "d.colour", "red"), 0, "not in the table");
	cr_assert_eq(settab_unknown(t, 1, "d.colour", err, sizeof(err)),
	             -EINVAL);
	cr_assert_str_eq(err, "unknown setting 'd.colour'");
	cr_assert_eq(settab_unknown(t, 1, "colour", err, sizeof(err)), -EINVAL,
	             "no dot: a jail key, and not one");
	cr_assert_eq(settab_unknown(t, 1, "other.key", err, sizeof(err)), 0,
	             "another program's");
	demo_fini(&d);
}

Test(settab, only_restart_keys_block_a_reload)
{
	struct demo a, b;

	demo_init(&a);
	demo_init(&b);
	cr_assert_null(settab_restart_change(&table, &a, &b));
	set(&b, "d.size", "1G");
	set(&b, "d.on", "no");
	set(&b, "d.token", "t");
	cr_assert_null(settab_restart_change(&table, &a, &b), "reloadable");
	set(&b, "d.path", "/other");
	cr_assert_str_eq(settab_restart_change(&table, &a, &b), "d.path");
	set(&b, "d.path", "/var/x");
	cr_assert_null(settab_restart_change(&table, &a, &b), "same text");
	set(&b, "d.mode", "0600");
	cr_assert_str_eq(settab_restart_change(&table, &a, &b), "d.mode");
	set(&b, "d.count", "11");
	cr_assert_str_eq(settab_restart_change(&table, &b, &a), "d.count",
	                 "the first in table order");
	demo_fini(&a);
	demo_fini(&b);
}

Test(settab, print_writes_what_a_file_would_and_hides_secrets)
{
	struct demo d;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	demo_init(&d);
	set(&d, "d.size", "3145728");
	set(&d, "d.wait", "90s");
	set(&d, "d.token", "s3cret");
	set(&d, "d.list", "/a");
	set(&d, "d.list", "/b");
	settab_print(&table, &d, f);
	fclose(f);
	cr_assert_str_eq(out, "d.count = 10\n"
	                      "d.size = 3M\n"
	                      "d.wait = 90s\n"
	                      "d.on = yes\n"
	                      "d.mode = 0660\n"
	                      "d.path = /var/x\n"
	                      "d.token = (set)\n"
	                      "d.note = \n"
	                      "d.list = /a\n"
	                      "d.list = /b\n");
	cr_assert_null(strstr(out, "s3cret"));
	free(out);
	demo_fini(&d);
}

Test(settab, formats_pick_the_largest_exact_unit)
{
	static const struct settab_key size = {.type = SETTAB_SIZE},
	                               ms = {.type = SETTAB_MS};
	static const struct {
		const struct settab_key *k;
		unsigned long long v;
		const char *want;
	} cases[] = {
	        {&size, 0, "0"},
	        {&size, 1, "1"},
	        {&size, 1536, "1536"},
	        {&size, 2048, "2K"},
	        {&size, 1 << 20, "1M"},
	        {&size, 1ull << 40, "1024G"},
	        {&ms, 0, "0"},
	        {&ms, 1500, "1500ms"},
	        {&ms, 2000, "2s"},
	        {&ms, 90000, "90s"},
	        {&ms, 600000, "10min"},
	        {&ms, 60000, "60s"},
	        {&ms, 1200000, "20min"},
	        {&ms, 3600000, "1h"},
	        {&ms, 7 * 86400000ull, "168h"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		settab_format(cases[i].k, cases[i].v, buf, sizeof(buf));
		cr_assert_str_eq(buf, cases[i].want, "%llu", cases[i].v);
	}
	settab_values(&keys[2], buf, sizeof(buf));
	cr_assert_str_eq(buf, "0 to 1h");
	settab_values(&keys[5], buf, sizeof(buf));
	cr_assert_str_eq(buf, "absolute path");
	cr_assert_str_eq(settab_default_doc(&keys[7]), "empty");
	cr_assert_str_eq(settab_default_doc(&keys[6]), "none");
	cr_assert_str_eq(settab_default_doc(&keys[1]), "512K");
}
