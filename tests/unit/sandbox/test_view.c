/* Unit tests: the jail's generated /proc files (sandbox/view.c). */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "jail.h"

static const char cpuinfo[] =
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: X\n\n"
        "processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: X\n\n"
        "processor\t: 2\nvendor_id\t: GenuineIntel\nmodel name\t: X\n\n"
        "processor\t: 3\nvendor_id\t: GenuineIntel\nmodel name\t: X\n\n";

Test(view, cpuinfo_lists_only_the_allowed_cpus)
{
	cpu_set_t set;
	char *t;

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	CPU_SET(3, &set);
	t = sbx_view_cpuinfo(cpuinfo, &set);
	cr_assert_not_null(t);
	cr_assert_str_eq(t, "processor\t: 1\nvendor_id\t: GenuineIntel\n"
	                    "model name\t: X\n\n"
	                    "processor\t: 3\nvendor_id\t: GenuineIntel\n"
	                    "model name\t: X\n\n");
	free(t);
}

Test(view, stat_has_a_line_per_allowed_cpu_and_no_host_counters)
{
	cpu_set_t set;
	char *t;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CPU_SET(5, &set);
	t = sbx_view_stat(&set, 1700000000);
	cr_assert_not_null(t);
	cr_assert_str_eq(t, "cpu  0 0 0 0 0 0 0 0 0 0\n"
	                    "cpu0 0 0 0 0 0 0 0 0 0 0\n"
	                    "cpu5 0 0 0 0 0 0 0 0 0 0\n"
	                    "intr 0\nctxt 0\nbtime 1700000000\nprocesses 1\n"
	                    "procs_running 1\nprocs_blocked 0\n"
	                    "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
	free(t);
}

Test(view, meminfo_is_the_limit_in_the_host_keys)
{
	const char *host = "MemTotal:       24683568 kB\n"
	                   "MemFree:        20431852 kB\n"
	                   "MemAvailable:   22319864 kB\n"
	                   "Cached:          1234567 kB\n"
	                   "SwapTotal:       8000000 kB\n"
	                   "CommitLimit:    20000000 kB\n"
	                   "VmallocTotal:   34359738367 kB\n"
	                   "HugePages_Total:       0\n"
	                   "Hugepagesize:       2048 kB\n"
	                   "DirectMap2M:    20000000 kB\n";
	char *t = sbx_view_meminfo(host, 256ull << 20);

	cr_assert_not_null(t);
	cr_assert_str_eq(t, "MemTotal:         262144 kB\n"
	                    "MemFree:          262144 kB\n"
	                    "MemAvailable:     262144 kB\n"
	                    "Cached:                0 kB\n"
	                    "SwapTotal:             0 kB\n"
	                    "CommitLimit:      262144 kB\n"
	                    "VmallocTotal:   34359738367 kB\n"
	                    "HugePages_Total:       0\n"
	                    "Hugepagesize:       2048 kB\n"
	                    "DirectMap2M:           0 kB\n");
	free(t);
}

Test(view, prepare_reads_this_host)
{
	struct sbx_view v;
	char err[128] = "";
	cpu_set_t set;

	cr_assert_eq(sbx_view_prepare(&v, err, sizeof(err)), 0, "%s", err);
	sched_getaffinity(0, sizeof(set), &set);
	cr_assert_eq(v.ncpu, CPU_COUNT(&set));
	cr_assert_not_null(strstr(v.text[0], "processor"));
	cr_assert_not_null(strstr(v.meminfo_host, "MemTotal:"));
	cr_assert_gt(sbx_view_bytes(&v), 4 * 4096 - 1);
	sbx_view_fini(&v);
}
