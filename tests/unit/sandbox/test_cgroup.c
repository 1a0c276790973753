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

Test(cgroup, own_memory_leaves_the_page_cache_out)
{
	/* v1: rss + shmem; cache, mapped_file and total_* are not added */
	const char *v1 = "cache 268435456\nrss 3000000\nrss_huge 2097152\n"
	                 "shmem 1000000\nmapped_file 9000000\n"
	                 "total_rss 3000000\ntotal_shmem 1000000\n";
	/* v2: anon + shmem + kernel - slab_reclaimable */
	const char *v2 = "anon 5000000\nfile 300000000\nkernel 4000000\n"
	                 "kernel_stack 65536\npagetables 200000\n"
	                 "shmem 2000000\nfile_mapped 8000000\n"
	                 "anon_thp 0\nslab_reclaimable 3000000\n"
	                 "slab_unreclaimable 500000\nslab 3500000\n";
	/* a kernel without the "kernel" sum: its parts */
	const char *v2old = "anon 5000000\nfile 3\nkernel_stack 100\n"
	                    "pagetables 200\npercpu 300\nshmem 10\n"
	                    "slab_reclaimable 1000\nslab 1400\n";
	uint64_t v = 0;

	cr_assert_eq(sbx_cg_own_parse(SBX_CGROUP_V1, v1, &v), 0);
	cr_assert_eq(v, 4000000);
	cr_assert_eq(sbx_cg_own_parse(SBX_CGROUP_V2, v2, &v), 0);
	cr_assert_eq(v, 5000000 + 2000000 + 1000000);
	cr_assert_eq(sbx_cg_own_parse(SBX_CGROUP_V2, v2old, &v), 0);
	cr_assert_eq(v, 5000000 + 10 + 100 + 200 + 300 + 400);
	cr_assert_eq(sbx_cg_own_parse(SBX_CGROUP_V2, "file 3\n", &v), -EINVAL,
	             "no anon: not a memory.stat");
	cr_assert_eq(sbx_cg_own_parse(SBX_CGROUP_V1, v2, &v), -EINVAL);
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
