/*
 * view.c - what a program sees of its machine: /proc files that describe
 * the jail instead of the host.
 *
 * Programs size themselves from /proc/meminfo, /proc/cpuinfo and
 * /proc/stat (JVMs, node, Python's multiprocessing, build tools).  The
 * host's files would tell them 24 GiB where the run may use 256 MiB, list
 * CPUs the run cannot use, and identify the host (its boot time, its load,
 * its uptime).  Denying the reads breaks those programs; LXCFS answers them
 * through FUSE.  Here the files are generated and bound over the
 * originals, without FUSE:
 *
 *   cpuinfo, stat   the CPUs of the supervisor's affinity mask (what the
 *                   program's sched_getaffinity() returns), counters at 0,
 *                   btime the jail's start;
 *   uptime, loadavg a machine that has just started and is idle;
 *   meminfo         per slot, rewritten when a stage's memory limit differs
 *                   from the last one: MemTotal, MemFree, MemAvailable and
 *                   CommitLimit are the limit, every other figure 0 (no
 *                   swap, no cache), in the host's own list of keys.
 *
 * The four shared files live in the context's read-only mask tmpfs; a
 * slot's meminfo in the run directory, bound read-only.  sysinfo(2), which
 * glibc's sysconf(_SC_PHYS_PAGES) and the JVM's heap sizing use, is
 * answered by the supervisor with the same figures (stage.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "jail.h"

/* A view being written: the first failed allocation fails the view. */
struct sbuf {
	struct buf b;
	bool failed;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (!b->failed && buf_add(&b->b, s, n) < 0)
		b->failed = true;
}

#define sb_fmt(sb, ...)                                                        \
	do {                                                                   \
		if (!(sb)->failed && buf_addf(&(sb)->b, __VA_ARGS__) < 0)      \
			(sb)->failed = true;                                   \
	} while (0)

/* The view as a new string (the caller frees it), or NULL on ENOMEM. */
static char *sb_done(struct sbuf *b)
{
	if (b->failed) {
		buf_fini(&b->b);
		return NULL;
	}
	return buf_steal(&b->b, NULL);
}

char *sbx_view_cpuinfo(const char *host, const cpu_set_t *cpus)
{
	struct sbuf b = {0};
	const char *p = host;

	/* blocks separated by blank lines, each starting "processor : N" */
	while (*p) {
		const char *end = strstr(p, "\n\n");
		size_t len = end ? (size_t)(end - p) + 2 : strlen(p);
		unsigned n;
		if (sscanf(p, "processor : %u", &n) == 1 ||
		    sscanf(p, "processor\t: %u", &n) == 1) {
			if (n < CPU_SETSIZE && CPU_ISSET(n, cpus))
				sb_add(&b, p, len);
		}
		p += len;
	}
	return sb_done(&b);
}

char *sbx_view_stat(const cpu_set_t *cpus, time_t btime)
{
	struct sbuf b = {0};

	sb_fmt(&b, "cpu  0 0 0 0 0 0 0 0 0 0\n");
	for (unsigned i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, cpus))
			sb_fmt(&b, "cpu%u 0 0 0 0 0 0 0 0 0 0\n", i);
	sb_fmt(&b,
	       "intr 0\nctxt 0\nbtime %lld\nprocesses 1\nprocs_running 1\n"
	       "procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
	       (long long)btime);
	return sb_done(&b);
}

char *sbx_view_meminfo(const char *host, uint64_t limit)
{
	struct sbuf b = {0};
	const char *p = host;
	uint64_t kb = limit / 1024;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		if (colon) {
			size_t klen = (size_t)(colon - p);
			bool has_kb = len >= 2 && p[len - 2] == 'k' &&
			              p[len - 1] == 'B';
			uint64_t v = 0;
			char key[64];
			if (klen >= sizeof(key))
				klen = sizeof(key) - 1;
			memcpy(key, p, klen);
			key[klen] = '\0';
			if (!strcmp(key, "MemTotal") ||
			    !strcmp(key, "MemFree") ||
			    !strcmp(key, "MemAvailable") ||
			    !strcmp(key, "CommitLimit"))
				v = kb;
			else if (!strcmp(key, "Hugepagesize") ||
			         !strcmp(key, "VmallocTotal"))
				/* constants of the architecture, not of
				   the host */
				v = strtoull(colon + 1, NULL, 10);
			sb_fmt(&b, "%s:%*s%8" PRIu64 "%s\n", key,
			       (int)(klen < 15 ? 15 - klen : 0), "", v,
			       has_kb ? " kB" : "");
		}
		p += len + (nl ? 1 : 0);
	}
	return sb_done(&b);
}

/* The whole of a /proc file (they report st_size 0). */
static char *slurp(const char *path)
{
	struct sbuf b = {0};
	char tmp[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		sb_add(&b, tmp, (size_t)n);
	close(fd);
	return n < 0 ? (buf_fini(&b.b), NULL) : sb_done(&b);
}

void sbx_view_fini(struct sbx_view *v)
{
	for (int i = 0; i < SBX_VIEW_N; i++) {
		free(v->text[i]);
		v->text[i] = NULL;
	}
	free(v->meminfo_host);
	v->meminfo_host = NULL;
}

const char *const sbx_view_names[SBX_VIEW_N] = {"cpuinfo", "stat", "uptime",
                                                "loadavg"};

int sbx_view_prepare(struct sbx_view *v, char *err, size_t errlen)
{
	cpu_set_t cpus;
	char *cpuinfo;

	memset(v, 0, sizeof(*v));
	CPU_ZERO(&cpus);
	if (sched_getaffinity(0, sizeof(cpus), &cpus) < 0) {
		int e = errno;
		sbx_seterr(err, errlen, "sched_getaffinity: %s", strerror(e));
		return -e;
	}
	v->ncpu = CPU_COUNT(&cpus);
	cpuinfo = slurp("/proc/cpuinfo");
	v->meminfo_host = slurp("/proc/meminfo");
	if (!cpuinfo || !v->meminfo_host) {
		free(cpuinfo);
		sbx_view_fini(v);
		sbx_seterr(err, errlen, "cannot read /proc/cpuinfo or meminfo");
		return -EIO;
	}
	v->text[0] = sbx_view_cpuinfo(cpuinfo, &cpus);
	free(cpuinfo);
	v->text[1] = sbx_view_stat(&cpus, time(NULL));
	v->text[2] = strdup("0.00 0.00\n");
	v->text[3] = strdup("0.00 0.00 0.00 1/1 1\n");
	for (int i = 0; i < SBX_VIEW_N; i++)
		if (!v->text[i]) {
			sbx_view_fini(v);
			sbx_seterr(err, errlen, "out of memory");
			return -ENOMEM;
		}
	return 0;
}

size_t sbx_view_bytes(const struct sbx_view *v)
{
	size_t n = 0;

	for (int i = 0; i < SBX_VIEW_N; i++)
		n += (strlen(v->text[i]) / 4096 + 1) * 4096;
	return n;
}

int sbx_view_write(const struct sbx_view *v, const char *dir)
{
	char path[256];

	for (int i = 0; i < SBX_VIEW_N; i++) {
		int r;
		snprintf(path, sizeof(path), "%s/%s", dir, sbx_view_names[i]);
		r = sbx_create_file(path, v->text[i], 0444);
		if (r < 0)
			return r;
	}
	return 0;
}

int sbx_view_slot_meminfo(const struct sbx_ctx *ctx, struct slot *s,
                          uint64_t limit)
{
	char *text;
	int fd, r = 0;
	size_t len;

	if (s->meminfo_limit == limit && s->meminfo_limit)
		return 0;
	text = sbx_view_meminfo(ctx->view.meminfo_host, limit);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	/* in place: a bind made by an earlier stage's init is gone with its
	   mount namespace, and the next one binds the file anew */
	fd = open(s->meminfo,
	          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0444);
	if (fd < 0)
		r = -errno;
	else {
		if (write(fd, text, len) != (ssize_t)len)
			r = -EIO;
		close(fd);
	}
	free(text);
	if (r == 0)
		s->meminfo_limit = limit;
	return r;
}
