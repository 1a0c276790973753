/*
 * Unit tests: the jail's keys of the shared settings file (sandbox/jailconf.c, with common/jailkeys.c).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jailconf.h"

Test(jailconf, keys_set_the_jail_config_and_own_their_strings)
{
	struct jailconf j;
	char err[200] = "", key[] = "cgroup_parent", value[] = "runpad/x";

	jailconf_init(&j);
	cr_assert_eq(jailconf_set(&j, "slots", "8", err, sizeof(err)), 1);
	cr_assert_eq(jailconf_set(&j, "first_uid", "70000", err, sizeof(err)),
	             1);
	cr_assert_eq(jailconf_set(&j, key, value, err, sizeof(err)), 1);
	cr_assert_eq(jailconf_set(&j, "rlimits_only", "yes", err, sizeof(err)),
	             1);
	cr_assert_eq(jailconf_set(&j, "bind", "/opt/a", err, sizeof(err)), 1);
	cr_assert_eq(jailconf_set(&j, "bind", "/opt/b", err, sizeof(err)), 1);
	cr_assert_eq(
	        jailconf_set(&j, "registry", "/tmp/r.conf", err, sizeof(err)),
	        1);
	/* the caller's buffers may go: the config keeps its own copies */
	memset(value, 0, sizeof(value));
	cr_assert_eq(j.cfg.slots, 8);
	cr_assert_eq(j.cfg.first_uid, 70000);
	cr_assert_eq(j.cfg.first_gid, 70000);
	cr_assert_str_eq(j.cfg.cgroup_parent, "runpad/x");
	cr_assert(j.cfg.allow_rlimits_only);
	cr_assert_str_eq(j.cfg.binds[0], "/opt/a");
	cr_assert_str_eq(j.cfg.binds[1], "/opt/b");
	cr_assert_null(j.cfg.binds[2]);
	cr_assert_str_eq(jailconf_registry(&j), "/tmp/r.conf");
	jailconf_fini(&j);
}

Test(jailconf, other_keys_are_left_to_the_caller)
{
	struct jailconf j;
	char err[200] = "";

	jailconf_init(&j);
	cr_assert_eq(jailconf_set(&j, "fcgi.listen", "/x", err, sizeof(err)),
	             0);
	cr_assert_eq(jailconf_set(&j, "colour", "red", err, sizeof(err)), 0);
	cr_assert_str_eq(err, "");
	jailconf_fini(&j);
}

Test(jailconf, bad_values_name_the_key)
{
	static const char *const bad[][2] = {
	        {"slots", "0"},         {"slots", "many"},
	        {"first_uid", "-1"},    {"rlimits_only", "perhaps"},
	        {"bind", "relative/x"},
	};
	struct jailconf j;

	jailconf_init(&j);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[200] = "";
		cr_assert_eq(jailconf_set(&j, bad[i][0], bad[i][1], err,
		                          sizeof(err)),
		             -EINVAL, "%s = %s", bad[i][0], bad[i][1]);
		cr_assert(strstr(err, bad[i][0]), "%s", err);
	}
	jailconf_fini(&j);
}

Test(jailconf, binds_are_bounded)
{
	struct jailconf j;
	char err[200] = "";

	jailconf_init(&j);
	for (int i = 0; i < JAILCONF_MAX_BINDS; i++)
		cr_assert_eq(jailconf_set(&j, "bind", "/opt", err, sizeof(err)),
		             1);
	cr_assert_eq(jailconf_set(&j, "bind", "/opt", err, sizeof(err)),
	             -EINVAL);
	cr_assert(strstr(err, "at most 64"), "%s", err);
	jailconf_fini(&j);
}

Test(jailconf, the_registry_defaults_to_the_shipped_one)
{
	struct jailconf j;

	/* no /etc/runpad/languages.conf on a build machine */
	if (access("/etc/runpad/languages.conf", R_OK) == 0)
		cr_skip_test("/etc/runpad/languages.conf exists");
	jailconf_init(&j);
	cr_assert_str_eq(jailconf_registry(&j),
	                 RUNPAD_DATADIR "/languages.conf");
	jailconf_fini(&j);
}
