/*
 * cgroup.c - per-slot control groups, v1 and v2.
 *
 * A slot owns one cgroup per controller tree (v1: memory, pids, cpuacct) or
 * one directory (v2) under a parent the admin chose.  Limits are written
 * before each stage; counters are read after it.  Every file is reached
 * with openat() relative to a directory fd opened once, so a stage costs a
 * handful of small writes and no path walks.
 *
 * Each stage runs in fresh leaves "run" below the slot's directories (one
 * per controller on v1), removed after it.  Resetting counters in a cgroup
 * that lives on is not enough: on v1 memory.max_usage_in_bytes resets to
 * the current usage, and page cache, dentries and box pages a run leaves
 * stay charged to the cgroup, so the next run's figures, reclaim cost and
 * verdicts would depend on what ran before it.  A removed leaf keeps its
 * charges (it lingers as a dying cgroup until they are reclaimed), but no
 * later stage's counters or limit see them.
 *
 * The slot lock is flock() on the slot's directory: it keeps two processes
 * (say a CLI and the runner) from sharing a slot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <time.h>

#include "internal.h"

/* ------------------------------------------------------------ file helpers */

static int write_at(int dirfd, const char *name, const char *val)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	size_t len = strlen(val);

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

static int write_u64_at(int dirfd, const char *name, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return write_at(dirfd, name, buf);
}

static ssize_t read_at(int dirfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

static int read_u64_at(int dirfd, const char *name, uint64_t *out)
{
	char buf[64], *end;
	ssize_t n = read_at(dirfd, name, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (strncmp(buf, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*out = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

int sbx_cg_parse_keyed(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(p + klen + 1, &end, 10);
			if (errno || end == p + klen + 1)
				return -EINVAL;
			*out = v;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

static int read_keyed_at(int dirfd, const char *name, const char *key,
                         uint64_t *out)
{
	char buf[1024];
	ssize_t n = read_at(dirfd, name, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return sbx_cg_parse_keyed(buf, key, out);
}

/* ----------------------------------------------------------- mount lookup */

/* The cgroup hierarchies' mount points, from one read of mountinfo. */
struct cg_mounts {
	bool v2, mem, pids, cpu;
	char v2_at[512], mem_at[512], pids_at[512], cpu_at[512];
};

/* exact match of opt in the comma list opts */
static bool has_opt(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = opts; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, opt, n) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/*
 * Find the mount points of the cgroup hierarchies in /proc/self/mountinfo:
 * fstype "cgroup2", and "cgroup" whose super options name each v1
 * controller; the first of each counts.
 */
static void scan_mounts(struct cg_mounts *m)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	memset(m, 0, sizeof(*m));
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - type
		   source superopts */
		char *sep = strstr(line, " - ");
		char mnt[512], type[32], superopts[512];
		struct {
			bool *have;
			char *at;
			const char *ctl;
		} v1[] = {{&m->mem, m->mem_at, "memory"},
		          {&m->pids, m->pids_at, "pids"},
		          {&m->cpu, m->cpu_at, "cpuacct"}};
		if (!sep)
			continue;
		if (sscanf(sep + 3, "%31s %*s %511s", type, superopts) != 2)
			continue;
		if (strcmp(type, "cgroup2") != 0 && strcmp(type, "cgroup") != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1)
			continue;
		if (strcmp(type, "cgroup2") == 0) {
			if (!m->v2) {
				m->v2 = true;
				strcpy(m->v2_at, mnt);
			}
			continue;
		}
		for (size_t i = 0; i < 3; i++)
			if (!*v1[i].have && has_opt(superopts, v1[i].ctl)) {
				*v1[i].have = true;
				strcpy(v1[i].at, mnt);
			}
	}
	free(line);
	fclose(f);
}

static bool v2_has(const char *mnt, const char *ctrl)
{
	char path[600], buf[256];
	int dfd;
	ssize_t n;
	bool has = false;

	snprintf(path, sizeof(path), "%s", mnt);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	n = read_at(dfd, "cgroup.controllers", buf, sizeof(buf));
	close(dfd);
	if (n <= 0)
		return false;
	for (char *save = NULL, *t = strtok_r(buf, " \n", &save); t;
	     t = strtok_r(NULL, " \n", &save))
		if (strcmp(t, ctrl) == 0)
			has = true;
	return has;
}

static void probe(const struct cg_mounts *m, enum sbx_cgroup_mode *mode,
                  char *controllers, size_t clen, char *detail, size_t dlen)
{
	const char *v2 = m->v2_at, *mem = m->mem_at, *pids = m->pids_at,
	           *cpu = m->cpu_at;
	bool have_v2 = m->v2;
	bool v2_mem = have_v2 && v2_has(v2, "memory");
	bool v2_pids = have_v2 && v2_has(v2, "pids");
	bool v1_mem = m->mem, v1_pids = m->pids, v1_cpu = m->cpu;

	if (v2_mem && v2_pids) {
		*mode = SBX_CGROUP_V2;
		snprintf(controllers, clen, "memory pids%s",
		         v2_has(v2, "cpu") ? " cpu" : "");
		snprintf(detail, dlen, "cgroup2 at %s", v2);
	} else if (v1_mem && v1_pids && v1_cpu) {
		*mode = SBX_CGROUP_V1;
		snprintf(controllers, clen, "memory pids cpuacct");
		snprintf(
		        detail, dlen,
		        "cgroup v1: memory at %s, pids at %s, cpuacct at %s%s",
		        mem, pids, cpu,
		        have_v2 ? " (a cgroup2 mount exists without the memory and pids controllers)"
		                : "");
	} else {
		*mode = SBX_CGROUP_NONE;
		controllers[0] = '\0';
		snprintf(
		        detail, dlen,
		        "no usable cgroup: need cgroup2 with the memory and pids controllers, or cgroup v1 memory, pids and cpuacct hierarchies (found:%s%s%s%s%s)",
		        have_v2 ? " cgroup2" : "",
		        have_v2 && !v2_mem ? " without memory" : "",
		        v1_mem ? " v1-memory" : "", v1_pids ? " v1-pids" : "",
		        v1_cpu ? " v1-cpuacct" : "");
	}
}

void sbx_cg_probe(enum sbx_cgroup_mode *mode, char *controllers, size_t clen,
                  char *detail, size_t dlen)
{
	struct cg_mounts m;

	scan_mounts(&m);
	probe(&m, mode, controllers, clen, detail, dlen);
}

/* Open (creating if needed) `rel` below the directory `base`. */
static int open_parent(const char *base, const char *rel, char *err,
                       size_t errlen)
{
	char path[1024];
	int fd;

	while (*rel == '/')
		rel++;
	if (snprintf(path, sizeof(path), "%s/%s", base, rel) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		int e = errno;
		if (err)
			snprintf(
			        err, errlen, "cannot create cgroup %s: %s%s",
			        path, strerror(e),
			        e == EACCES || e == EPERM
			                ? " (as a user, ask the installer to create it and give it to you, or use systemd's Delegate=yes)"
			                : "");
		return -e;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (err)
			snprintf(err, errlen, "cannot open cgroup %s: %s", path,
			         strerror(e));
		return -e;
	}
	return fd;
}

/* Our own cgroup on the v2 tree, from /proc/self/cgroup ("0::/path"). */
static int own_v2_cgroup(char *out, size_t len)
{
	char buf[1024];
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "0::", 3) == 0) {
			snprintf(out, len, "%s", l + 3);
			return 0;
		}
	}
	return -ENOENT;
}

int sbx_cg_root_open(struct sbx_cgroup_root *root, const char *parent,
                     char *err, size_t errlen)
{
	struct cg_mounts m;
	int fd;

	memset(root, 0, sizeof(*root));
	root->v1_mem = root->v1_pids = root->v1_cpu = root->v2_parent = -1;
	scan_mounts(&m);
	probe(&m, &root->mode, root->controllers, sizeof(root->controllers),
	      root->detail, sizeof(root->detail));

	if (root->mode == SBX_CGROUP_V2) {
		char own[512];
		bool delegated = false;
		if (!parent && geteuid() != 0 &&
		    own_v2_cgroup(own, sizeof(own)) == 0) {
			/* Delegate=yes: our own cgroup is ours.  Move into a
			   leaf so the slots can have controllers. */
			parent = own;
			delegated = true;
		}
		fd = open_parent(m.v2_at, parent ? parent : "runpad", err,
		                 errlen);
		if (fd < 0)
			return fd;
		if (delegated) {
			int sfd = openat(fd, "supervisor",
			                 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sfd < 0 && mkdirat(fd, "supervisor", 0755) == 0)
				sfd = openat(fd, "supervisor",
				             O_RDONLY | O_DIRECTORY |
				                     O_CLOEXEC);
			if (sfd >= 0) {
				write_at(sfd, "cgroup.procs", "0");
				close(sfd);
			}
		}
		/* controllers for the slot directories below */
		write_at(fd, "cgroup.subtree_control", "+memory +pids");
		write_at(fd, "cgroup.subtree_control", "+cpu");
		root->v2_parent = fd;
		return 0;
	}
	if (root->mode == SBX_CGROUP_V1) {
		const char *rel = parent ? parent : "runpad";
		const char *at[] = {m.mem_at, m.pids_at, m.cpu_at};
		int *fds[] = {&root->v1_mem, &root->v1_pids, &root->v1_cpu};
		for (int i = 0; i < 3; i++) {
			fd = open_parent(at[i], rel, err, errlen);
			if (fd < 0) {
				sbx_cg_root_close(root);
				return fd;
			}
			*fds[i] = fd;
		}
		/* children inherit hierarchy accounting */
		write_at(root->v1_mem, "memory.use_hierarchy", "1");
		return 0;
	}
	if (err)
		snprintf(err, errlen, "%s", root->detail);
	return -ENOTSUP;
}

void sbx_cg_root_close(struct sbx_cgroup_root *root)
{
	int *fds[] = {&root->v1_mem, &root->v1_pids, &root->v1_cpu,
	              &root->v2_parent};
	for (int i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static int open_child(int parent, const char *name)
{
	int fd;

	if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static const char *const v1_names[SBX_CG_N] = {"memory", "pids", "cpuacct"};

void sbx_cg_slot_init(struct sbx_cgroup *cg)
{
	for (int i = 0; i < SBX_CG_N; i++)
		cg->slot_fd[i] = cg->leaf_fd[i] = cg->tasks_fd[i] = -1;
	cg->lock_fd = cg->stat_fd = cg->usage_fd = -1;
}

int sbx_cg_slot_open(const struct sbx_cgroup_root *root, unsigned slot,
                     struct sbx_cgroup *cg, char *err, size_t errlen)
{
	char name[32];

	memset(cg, 0, sizeof(*cg));
	sbx_cg_slot_init(cg);
	cg->mode = root->mode;
	snprintf(name, sizeof(name), "slot%u", slot);
	if (root->mode == SBX_CGROUP_V1) {
		const int parents[SBX_CG_N] = {root->v1_mem, root->v1_pids,
		                               root->v1_cpu};
		for (int i = 0; i < SBX_CG_N; i++) {
			int fd = open_child(parents[i], name);
			if (fd < 0) {
				if (err)
					snprintf(
					        err, errlen,
					        "cannot create cgroup %s/%s: %s",
					        v1_names[i], name,
					        strerror(-fd));
				sbx_cg_slot_close(cg);
				return fd;
			}
			cg->slot_fd[i] = fd;
		}
		/* the limits are the stage leaves'; a slot directory left
		   limited by an older version must not cap them */
		write_at(cg->slot_fd[SBX_CG_MEM], "memory.memsw.limit_in_bytes",
		         "-1");
		write_at(cg->slot_fd[SBX_CG_MEM], "memory.limit_in_bytes",
		         "-1");
		write_at(cg->slot_fd[SBX_CG_PIDS], "pids.max", "max");
		cg->lock_fd = cg->slot_fd[SBX_CG_MEM];
		return 0;
	}
	if (root->mode == SBX_CGROUP_V2) {
		int fd = open_child(root->v2_parent, name);
		if (fd < 0) {
			if (err)
				snprintf(err, errlen,
				         "cannot create cgroup %s: %s", name,
				         strerror(-fd));
			return fd;
		}
		cg->slot_fd[SBX_CG_MEM] = fd;
		write_at(fd, "cgroup.subtree_control", "+memory +pids");
		write_at(fd, "cgroup.subtree_control", "+cpu");
		cg->lock_fd = fd;
		return 0;
	}
	return -ENOTSUP;
}

static void close_leaves(struct sbx_cgroup *cg)
{
	for (int i = 0; i < SBX_CG_N; i++) {
		if (cg->tasks_fd[i] >= 0)
			close(cg->tasks_fd[i]);
		if (cg->leaf_fd[i] >= 0)
			close(cg->leaf_fd[i]);
		cg->tasks_fd[i] = cg->leaf_fd[i] = -1;
	}
	if (cg->stat_fd >= 0)
		close(cg->stat_fd);
	if (cg->usage_fd >= 0)
		close(cg->usage_fd);
	cg->stat_fd = cg->usage_fd = -1;
}

void sbx_cg_slot_close(struct sbx_cgroup *cg)
{
	close_leaves(cg);
	for (int i = 0; i < SBX_CG_N; i++) {
		if (cg->slot_fd[i] >= 0)
			close(cg->slot_fd[i]);
		cg->slot_fd[i] = -1;
	}
	cg->lock_fd = -1;
}

/* v1: set the memory limit and the memory+swap limit to the same value.
   The kernel wants limit <= memsw.limit at every step; a fresh leaf has
   both unlimited, so the memory limit goes first. */
static int v1_set_memory(int fd, uint64_t bytes)
{
	int r = write_u64_at(fd, "memory.limit_in_bytes", bytes);

	if (r < 0)
		return r;
	r = write_u64_at(fd, "memory.memsw.limit_in_bytes", bytes);
	return r == -ENOENT ? 0 : r; /* no swap accounting: memory alone */
}

/* Kill every process of the cgroup dfd: v2 cgroup.kill, else SIGKILL to each
   listed pid (a fork racing with the loop dies with its pid namespace,
   whose init is killed too). */
static void kill_procs(int dfd, bool v2)
{
	char buf[4096];
	ssize_t n;

	if (dfd < 0)
		return;
	if (v2 && write_at(dfd, "cgroup.kill", "1") == 0)
		return;
	n = read_at(dfd, "cgroup.procs", buf, sizeof(buf));
	if (n <= 0)
		return;
	for (char *save = NULL, *t = strtok_r(buf, "\n", &save); t;
	     t = strtok_r(NULL, "\n", &save)) {
		long p = strtol(t, NULL, 10);
		if (p > 1)
			kill((pid_t)p, SIGKILL);
	}
}

/* Remove a slot's stage leaf.  Processes leave a cgroup asynchronously
   after they are reaped, so EBUSY is retried for up to 100 ms. */
static void rmdir_leaf(int slotfd)
{
	if (slotfd < 0)
		return;
	for (int i = 0; i < 200; i++) {
		if (unlinkat(slotfd, "run", AT_REMOVEDIR) == 0 ||
		    errno == ENOENT)
			return;
		if (errno != EBUSY)
			return;
		usleep(500);
	}
}

/*
 * Make the stage's leaves (n of them: one per controller on v1).  A leaf
 * that is already there was left by a supervisor that died mid-stage (its
 * processes may still run: they are killed) or outlived the EBUSY retries
 * of the last removal: it is removed and made anew, never reused with its
 * processes and counters.
 */
static void remove_stale_leaf(const struct sbx_cgroup *cg, int i)
{
	int fd = openat(cg->slot_fd[i], "run",
	                O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		kill_procs(fd, cg->mode == SBX_CGROUP_V2);
		close(fd);
	}
	rmdir_leaf(cg->slot_fd[i]);
}

static int make_leaves(struct sbx_cgroup *cg, int n)
{
	for (int i = 0; i < n; i++) {
		int fd;
		if (mkdirat(cg->slot_fd[i], "run", 0755) < 0) {
			if (errno != EEXIST)
				return -errno;
			remove_stale_leaf(cg, i);
			if (mkdirat(cg->slot_fd[i], "run", 0755) < 0)
				return errno == EEXIST ? -EBUSY : -errno;
		}
		fd = openat(cg->slot_fd[i], "run",
		            O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		cg->leaf_fd[i] = fd;
	}
	return 0;
}

/* Write the stage's limits into its fresh leaves. */
static int set_stage_limits(struct sbx_cgroup *cg, const struct sbx_limits *l,
                            const char **what)
{
	int r;

	if (cg->mode == SBX_CGROUP_V1) {
		*what = "cannot set the memory limit";
		r = v1_set_memory(cg->leaf_fd[SBX_CG_MEM], l->memory);
		if (r < 0)
			return r;
		*what = "cannot set pids.max";
		r = write_u64_at(cg->leaf_fd[SBX_CG_PIDS], "pids.max",
		                 l->processes);
		if (r < 0)
			return r;
		*what = "cannot open a stage cgroup's tasks file";
		for (int i = 0; i < SBX_CG_N; i++) {
			cg->tasks_fd[i] = openat(cg->leaf_fd[i], "tasks",
			                         O_WRONLY | O_CLOEXEC);
			if (cg->tasks_fd[i] < 0)
				return -errno;
		}
		return 0;
	}
	*what = "cannot set the stage limits";
	r = write_u64_at(cg->leaf_fd[SBX_CG_MEM], "memory.max", l->memory);
	if (r == 0)
		r = write_u64_at(cg->leaf_fd[SBX_CG_MEM], "pids.max",
		                 l->processes);
	if (r < 0)
		return r;
	/* swap is part of the memory budget: none of it */
	write_at(cg->leaf_fd[SBX_CG_MEM], "memory.swap.max", "0");
	/* an OOM kill ends the whole stage, not one random process (init,
	   at oom_score_adj -1000, is spared and reports) */
	write_at(cg->leaf_fd[SBX_CG_MEM], "memory.oom.group", "1");
	return 0;
}

int sbx_cg_stage_begin(struct sbx_cgroup *cg, const struct sbx_limits *l,
                       char *err, size_t errlen)
{
	const char *what = "cannot create the stage cgroup";
	int r;

	close_leaves(cg);
	cg->memory_limit = l->memory;
	if (cg->mode != SBX_CGROUP_V1 && cg->mode != SBX_CGROUP_V2)
		return 0;
	r = make_leaves(cg, cg->mode == SBX_CGROUP_V1 ? SBX_CG_N : 1);
	if (r == 0)
		r = set_stage_limits(cg, l, &what);
	cg->own_peak = cg->own_last = cg->stat_usage = 0;
	cg->stat_ns = 0;
	cg->stat_reads = 0;
	if (r == 0) {
		/* opened once: a sample is then one or two preads */
		cg->stat_fd = openat(cg->leaf_fd[SBX_CG_MEM], "memory.stat",
		                     O_RDONLY | O_CLOEXEC);
		cg->usage_fd = openat(cg->leaf_fd[SBX_CG_MEM],
		                      cg->mode == SBX_CGROUP_V2
		                              ? "memory.current"
		                              : "memory.usage_in_bytes",
		                      O_RDONLY | O_CLOEXEC);
	}
	if (r < 0 && err)
		snprintf(err, errlen, "%s: %s", what, strerror(-r));
	return r;
}

int sbx_cg_attach(struct sbx_cgroup *cg, pid_t pid)
{
	char buf[24];
	int r = 0;

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (cg->mode == SBX_CGROUP_V1) {
		for (int i = 0; i < SBX_CG_N && r == 0; i++)
			r = write_at(cg->leaf_fd[i], "cgroup.procs", buf);
	} else if (cg->mode == SBX_CGROUP_V2) {
		r = write_at(cg->leaf_fd[SBX_CG_MEM], "cgroup.procs", buf);
	}
	return r;
}

int sbx_cg_self_attach(const struct sbx_cgroup *cg)
{
	for (int i = 0; i < SBX_CG_N; i++) {
		if (cg->tasks_fd[i] < 0)
			return -EBADF;
		if (write(cg->tasks_fd[i], "0", 1) != 1)
			return -errno;
	}
	return 0;
}

int sbx_cg_clone_fd(const struct sbx_cgroup *cg)
{
	return cg->mode == SBX_CGROUP_V2 ? cg->leaf_fd[SBX_CG_MEM] : -1;
}

void sbx_cg_kill(struct sbx_cgroup *cg)
{
	if (cg->mode == SBX_CGROUP_V2)
		kill_procs(cg->leaf_fd[SBX_CG_MEM], true);
	else if (cg->mode == SBX_CGROUP_V1)
		kill_procs(cg->leaf_fd[SBX_CG_PIDS], false);
}

uint64_t sbx_cg_cpu_ns(const struct sbx_cgroup *cg)
{
	uint64_t v = 0;

	if (cg->mode == SBX_CGROUP_V1 && cg->leaf_fd[SBX_CG_CPU] >= 0) {
		if (read_u64_at(cg->leaf_fd[SBX_CG_CPU], "cpuacct.usage", &v) <
		    0)
			return 0;
		return v;
	}
	if (cg->mode == SBX_CGROUP_V2 && cg->leaf_fd[SBX_CG_MEM] >= 0) {
		if (read_keyed_at(cg->leaf_fd[SBX_CG_MEM], "cpu.stat",
		                  "usage_usec", &v) < 0)
			return 0;
		return v * 1000;
	}
	return 0;
}

static uint64_t key_or_0(const char *text, const char *key)
{
	uint64_t v = 0;

	sbx_cg_parse_keyed(text, key, &v);
	return v;
}

int sbx_cg_own_parse(enum sbx_cgroup_mode mode, const char *memstat,
                     uint64_t *out)
{
	uint64_t anon, shmem, kernel, reclaimable = 0;

	if (mode == SBX_CGROUP_V1) {
		if (sbx_cg_parse_keyed(memstat, "rss", &anon) < 0 ||
		    sbx_cg_parse_keyed(memstat, "shmem", &shmem) < 0)
			return -EINVAL;
		*out = anon + shmem;
		return 0;
	}
	if (sbx_cg_parse_keyed(memstat, "anon", &anon) < 0 ||
	    sbx_cg_parse_keyed(memstat, "shmem", &shmem) < 0)
		return -EINVAL;
	sbx_cg_parse_keyed(memstat, "slab_reclaimable", &reclaimable);
	if (sbx_cg_parse_keyed(memstat, "kernel", &kernel) < 0)
		kernel = key_or_0(memstat, "kernel_stack") +
		         key_or_0(memstat, "pagetables") +
		         key_or_0(memstat, "percpu") +
		         key_or_0(memstat, "slab");
	*out = anon + shmem + (kernel > reclaimable ? kernel - reclaimable : 0);
	return 0;
}

uint64_t sbx_cg_sample(struct sbx_cgroup *cg)
{
	char buf[4096];
	uint64_t own, usage = 0, now = sbx_now_ns();
	ssize_t n;

	if (cg->stat_fd < 0)
		return 0;
	if (cg->usage_fd >= 0) {
		n = pread(cg->usage_fd, buf, 31, 0);
		if (n > 0) {
			buf[n] = '\0';
			usage = strtoull(buf, NULL, 10);
		}
		if (n > 0 && cg->stat_reads > 0 &&
		    usage <= cg->stat_usage + SBX_CG_SAMPLE_SLACK &&
		    usage + SBX_CG_SAMPLE_SLACK >= cg->stat_usage &&
		    now - cg->stat_ns < SBX_CG_SAMPLE_MAX_NS)
			return cg->own_last; /* nothing has moved */
	}
	n = pread(cg->stat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sbx_cg_own_parse(cg->mode, buf, &own) < 0)
		return 0;
	cg->stat_reads++;
	cg->stat_usage = usage;
	cg->stat_ns = now;
	cg->own_last = own;
	if (own > cg->own_peak)
		cg->own_peak = own;
	return own;
}

/*
 * The stage's memory figure: its own peak (sbx_cg_sample), never above the
 * kernel's peak of the whole charge (which counts page cache too); when
 * the OOM killer fired, the stage held its limit, and the kernel's peak
 * says so.  Without a sample (memory.stat unreadable) the kernel's peak.
 */
static uint64_t stage_figure(struct sbx_cgroup *cg, uint64_t kernel_peak,
                             bool oom_killed)
{
	sbx_cg_sample(cg);
	if (oom_killed || cg->own_peak == 0 || cg->own_peak > kernel_peak)
		return kernel_peak;
	return cg->own_peak;
}

/*
 * The counters, read from the stage's own leaves.  "The limit was
 * reached" must not fire for page cache the kernel reclaimed at the limit
 * (a program that reads many files meets the limit and goes on): on v2 it
 * is memory.events "oom" (reclaim could not make room), on v1, where
 * memory.failcnt is not kept by every kernel (6.x leaves it at 0 on an OOM
 * kill) and there is no such event, the stage's own peak coming within a
 * sixteenth of the limit.
 */
void sbx_cg_stage_end(struct sbx_cgroup *cg, struct sbx_cg_usage *u)
{
	uint64_t v, peak = 0;

	memset(u, 0, sizeof(*u));
	u->cpu_ns = sbx_cg_cpu_ns(cg);
	if (cg->mode == SBX_CGROUP_V1 && cg->leaf_fd[SBX_CG_MEM] >= 0) {
		int mem = cg->leaf_fd[SBX_CG_MEM];
		if (read_u64_at(mem, "memory.memsw.max_usage_in_bytes", &v) ==
		            0 ||
		    read_u64_at(mem, "memory.max_usage_in_bytes", &v) == 0)
			peak = v;
		if (read_keyed_at(mem, "memory.oom_control", "oom_kill", &v) ==
		    0)
			u->oom_killed = v > 0;
		u->memory_peak = stage_figure(cg, peak, u->oom_killed);
		u->memory_hit = cg->memory_limit &&
		                u->memory_peak + cg->memory_limit / 16 >=
		                        cg->memory_limit;
		if (read_keyed_at(cg->leaf_fd[SBX_CG_PIDS], "pids.events",
		                  "max", &v) == 0)
			u->pids_hit = v > 0;
		close_leaves(cg);
		for (int i = 0; i < SBX_CG_N; i++)
			rmdir_leaf(cg->slot_fd[i]);
		return;
	}
	if (cg->mode == SBX_CGROUP_V2 && cg->leaf_fd[SBX_CG_MEM] >= 0) {
		int leaf = cg->leaf_fd[SBX_CG_MEM];
		if (read_u64_at(leaf, "memory.peak", &v) == 0)
			peak = v;
		if (read_keyed_at(leaf, "memory.events", "oom_kill", &v) == 0)
			u->oom_killed = v > 0;
		u->memory_peak = stage_figure(cg, peak, u->oom_killed);
		if (read_keyed_at(leaf, "memory.events", "oom", &v) == 0 &&
		    v > 0)
			u->memory_hit = true;
		if (read_keyed_at(leaf, "pids.events", "max", &v) == 0)
			u->pids_hit = v > 0;
		close_leaves(cg);
		rmdir_leaf(cg->slot_fd[SBX_CG_MEM]);
	}
}
