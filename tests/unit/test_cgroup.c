/* Unit tests: cgroup file parsing and host detection. */
#include <criterion/criterion.h>
#include <errno.h>

#include "internal.h"

Test(cgroup, keyed_files)
{
	const char *events = "low 0\nhigh 0\nmax 17\noom 2\noom_kill 1\n";
	const char *oomc = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
	uint64_t v = 0;

	cr_assert_eq(sbx_cg_parse_keyed(events, "max", &v), 0);
	cr_assert_eq(v, 17);
	cr_assert_eq(sbx_cg_parse_keyed(events, "oom_kill", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(sbx_cg_parse_keyed(events, "oom", &v), 0);
	cr_assert_eq(v, 2, "a key is not matched by its prefix");
	cr_assert_eq(sbx_cg_parse_keyed(oomc, "oom_kill", &v), 0);
	cr_assert_eq(v, 3);
	cr_assert_eq(sbx_cg_parse_keyed(events, "nope", &v), -ENOENT);
	cr_assert_eq(sbx_cg_parse_keyed("usage_usec x\n", "usage_usec", &v),
	             -EINVAL);
}

Test(cgroup, probe_reports_a_mode_with_detail)
{
	enum sbx_cgroup_mode m;
	char ctl[128], detail[256];

	sbx_cg_probe(&m, ctl, sizeof(ctl), detail, sizeof(detail));
	cr_assert_neq(detail[0], '\0');
	if (m == SBX_CGROUP_V1)
		cr_assert_str_eq(ctl, "memory pids cpuacct");
	else if (m == SBX_CGROUP_V2)
		cr_assert(strstr(ctl, "memory pids") == ctl);
	else
		cr_assert(strstr(detail, "no usable cgroup"));
}
