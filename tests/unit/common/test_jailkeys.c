/* Unit tests: the table of the jail's settings keys (what runpad-ws checks
   without a jail, and what jailconf parses with). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "jailkeys.h"

Test(jailkeys, every_jail_key_is_found_and_others_are_not)
{
	static const char *const jail[] = {"slots",         "first_uid",
	                                   "cgroup_parent", "rlimits_only",
	                                   "bind",          "registry"};

	for (size_t i = 0; i < sizeof(jail) / sizeof(jail[0]); i++) {
		const struct jailkey *k = jailkey_find(jail[i]);
		cr_assert_not_null(k, "%s", jail[i]);
		cr_assert_str_eq(k->name, jail[i]);
	}
	cr_assert_null(jailkey_find("ws.listen"));
	cr_assert_null(jailkey_find("slot"));
	cr_assert_null(jailkey_find(""));
	cr_assert(jailkey_find("bind")->repeatable);
}

Test(jailkeys, values_are_parsed_with_their_bounds)
{
	unsigned long long u = 0;
	int b = -1;
	char err[128] = "";

	cr_assert_eq(jailkey_parse(jailkey_find("slots"), "8", &u, NULL, err,
	                           sizeof(err)),
	             0);
	cr_assert_eq(u, 8);
	cr_assert_eq(jailkey_parse(jailkey_find("rlimits_only"), "yes", NULL,
	                           &b, err, sizeof(err)),
	             0);
	cr_assert_eq(b, 1);
	cr_assert_eq(jailkey_parse(jailkey_find("slots"), "0", &u, NULL, err,
	                           sizeof(err)),
	             -EINVAL);
	cr_assert_str_eq(err, "slots: expected 1 to 1024");
	cr_assert_eq(jailkey_parse(jailkey_find("slots"), "1025", &u, NULL, err,
	                           sizeof(err)),
	             -EINVAL);
	cr_assert_eq(jailkey_parse(jailkey_find("bind"), "opt/x", NULL, NULL,
	                           err, sizeof(err)),
	             -EINVAL);
	cr_assert_str_eq(err, "bind: expected an absolute path (at most 64)");
}

Test(jailkeys, check_says_which_keys_are_the_jail_own)
{
	char err[128] = "";

	cr_assert_eq(jailkey_check("first_uid", "70000", err, sizeof(err)), 1);
	cr_assert_eq(jailkey_check("first_uid", "root", err, sizeof(err)),
	             -EINVAL);
	cr_assert(strstr(err, "first_uid"), "%s", err);
	err[0] = '\0';
	cr_assert_eq(jailkey_check("colour", "red", err, sizeof(err)), 0);
	cr_assert_str_eq(err, "");
}
