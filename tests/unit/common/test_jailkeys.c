/* Unit tests: the table of the jail's settings keys (what runpad-ws checks
   without a jail, and what jailconf parses with). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "jailkeys.h"

static const struct settab_key *find(const char *name)
{
	return settab_find(&jailkeys_table, name);
}

Test(jailkeys, every_jail_key_is_found_and_others_are_not)
{
	static const char *const jail[] = {"slots",         "first_uid",
	                                   "cgroup_parent", "rlimits_only",
	                                   "bind",          "registry"};

	cr_assert_eq(jailkeys_table.n, sizeof(jail) / sizeof(jail[0]));
	for (size_t i = 0; i < sizeof(jail) / sizeof(jail[0]); i++) {
		const struct settab_key *k = find(jail[i]);
		cr_assert_not_null(k, "%s", jail[i]);
		cr_assert_str_eq(k->name, jail[i]);
		cr_assert_eq(k->off, SETTAB_NOFIELD, "%s: data only", jail[i]);
		/* only the registry is read again on a reload */
		cr_assert_eq(!(k->flags & SETTAB_RESTART),
		             strcmp(jail[i], "registry") == 0, "%s", jail[i]);
	}
	cr_assert_null(find("ws.listen"));
	cr_assert_null(find("slot"));
	cr_assert_null(find(""));
	cr_assert(find("bind")->flags & SETTAB_REPEAT);
}

Test(jailkeys, values_are_parsed_with_their_bounds)
{
	struct settab_value v = {0};
	char err[128] = "";

	cr_assert_eq(settab_parse(find("slots"), "8", &v, err, sizeof(err)), 0);
	cr_assert_eq(v.u, 8);
	cr_assert_eq(
	        settab_parse(find("rlimits_only"), "yes", &v, err, sizeof(err)),
	        0);
	cr_assert_eq(v.b, true);
	cr_assert_eq(settab_parse(find("slots"), "0", &v, err, sizeof(err)),
	             -EINVAL);
	cr_assert_str_eq(err, "slots: expected 1 to 1024");
	cr_assert_eq(settab_parse(find("slots"), "1025", &v, err, sizeof(err)),
	             -EINVAL);
	cr_assert_eq(
	        settab_parse(find("first_uid"), "root", &v, err, sizeof(err)),
	        -EINVAL);
	cr_assert_str_eq(err, "first_uid: expected a uid");
	cr_assert_eq(
	        settab_parse(find("bind"), "opt/x", NULL, err, sizeof(err)),
	        -EINVAL);
	cr_assert_str_eq(err, "bind: expected an absolute path");
}

Test(jailkeys, checking_without_a_jail_takes_only_the_jail_own)
{
	char err[128] = "";

	/* runpad-ws: a NULL object, nothing stored */
	cr_assert_eq(settab_set(&jailkeys_table, NULL, "first_uid", "70000",
	                        err, sizeof(err)),
	             1);
	cr_assert_eq(settab_set(&jailkeys_table, NULL, "bind", "/opt/x", err,
	                        sizeof(err)),
	             1);
	cr_assert_eq(settab_set(&jailkeys_table, NULL, "first_uid", "root", err,
	                        sizeof(err)),
	             -EINVAL);
	cr_assert(strstr(err, "first_uid"), "%s", err);
	err[0] = '\0';
	cr_assert_eq(settab_set(&jailkeys_table, NULL, "colour", "red", err,
	                        sizeof(err)),
	             0);
	cr_assert_str_eq(err, "");
}
