/* machine_view - what a program sees of its machine: one line per source,
   with the figures that must describe the jail, not the host.  The test
   compares them with the limit it set and the CPUs it may use. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static char *slurp(const char *path)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static long long key(const char *text, const char *k)
{
	const char *p = text ? strstr(text, k) : NULL;

	return p ? atoll(p + strlen(k)) : -1;
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

int main(void)
{
	char host[256] = "";
	struct sysinfo si;
	cpu_set_t set;
	char *t;
	int stat_cpus = 0;

	t = slurp("/proc/meminfo");
	printf("meminfo: MemTotal %lld MemFree %lld MemAvailable %lld "
	       "SwapTotal %lld\n",
	       key(t, "MemTotal:"), key(t, "MemFree:"), key(t, "MemAvailable:"),
	       key(t, "SwapTotal:"));
	sched_getaffinity(0, sizeof(set), &set);
	t = slurp("/proc/cpuinfo");
	printf("cpus: affinity %d cpuinfo %d nprocs_onln %ld\n",
	       CPU_COUNT(&set), count(t, "processor\t:"),
	       sysconf(_SC_NPROCESSORS_ONLN));
	t = slurp("/proc/stat");
	for (const char *p = t; p && (p = strstr(p, "\ncpu")); p++)
		stat_cpus++;
	printf("stat: per-cpu lines %d ctxt %lld\n", stat_cpus,
	       key(t, "ctxt "));
	t = slurp("/proc/uptime");
	printf("uptime: %s", t ? t : "missing\n");
	t = slurp("/proc/loadavg");
	printf("loadavg: %s", t ? t : "missing\n");
	sysinfo(&si);
	printf("sysinfo: totalram %llu totalswap %llu loads %lu\n",
	       (unsigned long long)si.totalram * si.mem_unit,
	       (unsigned long long)si.totalswap * si.mem_unit, si.loads[0]);
	printf("phys_pages: %lld\n",
	       (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE));
	gethostname(host, sizeof(host));
	t = slurp("/proc/self/mountinfo");
	printf("hostname: %s, mountinfo names the run dir: %s\n", host,
	       t && (strstr(t, "runpad-jail") || strstr(t, "/mask/")) ? "yes"
	                                                              : "no");
	t = slurp("/proc/cmdline");
	printf("cmdline: %zu bytes\n", t ? strlen(t) : (size_t)0);
	return 0;
}
