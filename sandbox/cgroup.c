/*
 * cgroup.c - per-slot control groups, v1 and v2.
 *
 * A slot owns one cgroup per controller tree (v1: memory, pids, cpuacct) or
 * one directory (v2) under a parent the admin chose.  Limits are written
 * before each stage; counters are read after it.  Every file is reached
 * with openat() relative to a directory fd opened once, so a stage costs a
 * handful of small writes and no path walks.
 *
 * v1 resets its counters per stage (max_usage, failcnt, cpuacct.usage);
 * counters that cannot be reset (oom_kill, pids.events) are read before and
 * after.  v2 cannot reset memory.peak on the kernels Debian 12 ships, so
 * each stage runs in a fresh leaf "run" below the slot directory.
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

/*
 * Find the mount point of a cgroup hierarchy in /proc/self/mountinfo:
 * fstype "cgroup2", or "cgroup" whose super options name `controller`.
 */
static int find_mount(const char *fstype, const char *controller, char *out,
                      size_t outlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int found = -ENOENT;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - type
		   source superopts */
		char *sep = strstr(line, " - ");
		char mnt[512], type[32], superopts[512];
		if (!sep)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1)
			continue;
		if (sscanf(sep + 3, "%31s %*s %511s", type, superopts) != 2)
			continue;
		if (strcmp(type, fstype) != 0)
			continue;
		if (controller) {
			/* exact option match in a comma list */
			char *save = NULL, *tok;
			bool has = false;
			for (tok = strtok_r(superopts, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				if (strcmp(tok, controller) == 0)
					has = true;
			if (!has)
				continue;
		}
		if (strlen(mnt) >= outlen)
			continue;
		strcpy(out, mnt);
		found = 0;
		break;
	}
	free(line);
	fclose(f);
	return found;
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

void sbx_cg_probe(enum sbx_cgroup_mode *mode, char *controllers, size_t clen,
                  char *detail, size_t dlen)
{
	char v2[512], mem[512], pids[512], cpu[512];
	bool have_v2 = find_mount("cgroup2", NULL, v2, sizeof(v2)) == 0;
	bool v2_mem = have_v2 && v2_has(v2, "memory");
	bool v2_pids = have_v2 && v2_has(v2, "pids");
	bool v1_mem = find_mount("cgroup", "memory", mem, sizeof(mem)) == 0;
	bool v1_pids = find_mount("cgroup", "pids", pids, sizeof(pids)) == 0;
	bool v1_cpu = find_mount("cgroup", "cpuacct", cpu, sizeof(cpu)) == 0;

	if (v2_mem && v2_pids) {
		*mode = SBX_CGROUP_V2;
		snprintf(controllers, clen, "memory pids%s",
		         v2_has(v2, "cpu") ? " cpu" : "");
		snprintf(detail, dlen, "cgroup2 at %s", v2);
	} else if (v1_mem && v1_pids && v1_cpu) {
		*mode = SBX_CGROUP_V1;
		snprintf(controllers, clen, "memory pids cpuacct");
		snprintf(detail, dlen,
		         "cgroup v1: memory at %s, pids at %s, cpuacct at %s%s",
		         mem, pids, cpu,
		         have_v2 ? " (a cgroup2 mount exists without the "
		                   "memory and pids controllers)"
		                 : "");
	} else {
		*mode = SBX_CGROUP_NONE;
		controllers[0] = '\0';
		snprintf(detail, dlen,
		         "no usable cgroup: need cgroup2 with the memory and "
		         "pids controllers, or cgroup v1 memory, pids and "
		         "cpuacct hierarchies (found:%s%s%s%s%s)",
		         have_v2 ? " cgroup2" : "",
		         have_v2 && !v2_mem ? " without memory" : "",
		         v1_mem ? " v1-memory" : "", v1_pids ? " v1-pids" : "",
		         v1_cpu ? " v1-cpuacct" : "");
	}
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
			snprintf(err, errlen, "cannot create cgroup %s: %s%s",
			         path, strerror(e),
			         e == EACCES || e == EPERM
			                 ? " (as a user, ask the installer to "
			                   "create it and give it to you, or "
			                   "use systemd's Delegate=yes)"
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
	char mnt[512];
	int fd;

	memset(root, 0, sizeof(*root));
	root->v1_mem = root->v1_pids = root->v1_cpu = root->v2_parent = -1;
	sbx_cg_probe(&root->mode, root->controllers, sizeof(root->controllers),
	             root->detail, sizeof(root->detail));

	if (root->mode == SBX_CGROUP_V2) {
		char own[512];
		bool delegated = false;
		find_mount("cgroup2", NULL, mnt, sizeof(mnt));
		if (!parent && geteuid() != 0 &&
		    own_v2_cgroup(own, sizeof(own)) == 0) {
			/* Delegate=yes: our own cgroup is ours.  Move into a
			   leaf so the slots can have controllers. */
			parent = own;
			delegated = true;
		}
		fd = open_parent(mnt, parent ? parent : "runpad", err, errlen);
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
		static const char *const ctl[] = {"memory", "pids", "cpuacct"};
		int *fds[] = {&root->v1_mem, &root->v1_pids, &root->v1_cpu};
		for (int i = 0; i < 3; i++) {
			find_mount("cgroup", ctl[i], mnt, sizeof(mnt));
			fd = open_parent(mnt, rel, err, errlen);
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

int sbx_cg_slot_open(const struct sbx_cgroup_root *root, unsigned slot,
                     struct sbx_cgroup *cg, char *err, size_t errlen)
{
	char name[32];

	memset(cg, 0, sizeof(*cg));
	cg->mem_fd = cg->pids_fd = cg->cpu_fd = cg->leaf_fd = cg->lock_fd = -1;
	cg->tasks_fd[0] = cg->tasks_fd[1] = cg->tasks_fd[2] = -1;
	cg->mode = root->mode;
	snprintf(name, sizeof(name), "slot%u", slot);
	if (root->mode == SBX_CGROUP_V1) {
		cg->mem_fd = open_child(root->v1_mem, name);
		cg->pids_fd = open_child(root->v1_pids, name);
		cg->cpu_fd = open_child(root->v1_cpu, name);
		if (cg->mem_fd < 0 || cg->pids_fd < 0 || cg->cpu_fd < 0) {
			int e = cg->mem_fd < 0    ? cg->mem_fd
			        : cg->pids_fd < 0 ? cg->pids_fd
			                          : cg->cpu_fd;
			if (err)
				snprintf(err, errlen,
				         "cannot create cgroup %s: %s", name,
				         strerror(-e));
			sbx_cg_slot_close(cg);
			return e;
		}
		cg->lock_fd = cg->mem_fd;
		int dirs[3] = {cg->mem_fd, cg->pids_fd, cg->cpu_fd};
		for (int i = 0; i < 3; i++) {
			cg->tasks_fd[i] =
			        openat(dirs[i], "tasks", O_WRONLY | O_CLOEXEC);
			if (cg->tasks_fd[i] < 0) {
				int e = -errno;
				if (err)
					snprintf(err, errlen,
					         "cannot open %s/tasks: %s",
					         name, strerror(-e));
				sbx_cg_slot_close(cg);
				return e;
			}
		}
		return 0;
	}
	if (root->mode == SBX_CGROUP_V2) {
		cg->mem_fd = open_child(root->v2_parent, name);
		if (cg->mem_fd < 0) {
			int e = cg->mem_fd;
			if (err)
				snprintf(err, errlen,
				         "cannot create cgroup %s: %s", name,
				         strerror(-e));
			cg->mem_fd = -1;
			return e;
		}
		write_at(cg->mem_fd, "cgroup.subtree_control", "+memory +pids");
		write_at(cg->mem_fd, "cgroup.subtree_control", "+cpu");
		cg->lock_fd = cg->mem_fd;
		return 0;
	}
	return -ENOTSUP;
}

void sbx_cg_slot_close(struct sbx_cgroup *cg)
{
	if (cg->leaf_fd >= 0)
		close(cg->leaf_fd);
	if (cg->mem_fd >= 0)
		close(cg->mem_fd);
	if (cg->pids_fd >= 0)
		close(cg->pids_fd);
	if (cg->cpu_fd >= 0)
		close(cg->cpu_fd);
	for (int i = 0; i < 3; i++) {
		if (cg->tasks_fd[i] >= 0)
			close(cg->tasks_fd[i]);
		cg->tasks_fd[i] = -1;
	}
	cg->mem_fd = cg->pids_fd = cg->cpu_fd = cg->leaf_fd = cg->lock_fd = -1;
}

/* v1: set the memory limit and the memory+swap limit to the same value.
   The kernel wants limit <= memsw.limit at every step, so the order
   depends on whether the limit goes up or down. */
static int v1_set_memory(int fd, uint64_t bytes)
{
	int r = write_u64_at(fd, "memory.memsw.limit_in_bytes", bytes);

	if (r == -EINVAL) {
		/* lowering: memory first, then memsw */
		r = write_u64_at(fd, "memory.limit_in_bytes", bytes);
		if (r == 0)
			r = write_u64_at(fd, "memory.memsw.limit_in_bytes",
			                 bytes);
		return r;
	}
	if (r == -ENOENT) /* no swap accounting: memory alone */
		return write_u64_at(fd, "memory.limit_in_bytes", bytes);
	if (r < 0)
		return r;
	return write_u64_at(fd, "memory.limit_in_bytes", bytes);
}

static void rmdir_leaf(int slotfd)
{
	/* processes leave a cgroup asynchronously after they are reaped */
	for (int i = 0; i < 200; i++) {
		if (unlinkat(slotfd, "run", AT_REMOVEDIR) == 0 ||
		    errno == ENOENT)
			return;
		if (errno != EBUSY)
			return;
		usleep(500);
	}
}

int sbx_cg_stage_begin(struct sbx_cgroup *cg, const struct sbx_limits *l,
                       char *err, size_t errlen)
{
	int r;

	if (cg->mode == SBX_CGROUP_V1) {
		r = v1_set_memory(cg->mem_fd, l->memory);
		if (r < 0) {
			if (err)
				snprintf(err, errlen,
				         "cannot set the memory limit: %s",
				         strerror(-r));
			return r;
		}
		write_at(cg->mem_fd, "memory.max_usage_in_bytes", "0");
		write_at(cg->mem_fd, "memory.memsw.max_usage_in_bytes", "0");
		write_at(cg->mem_fd, "memory.failcnt", "0");
		write_at(cg->mem_fd, "memory.memsw.failcnt", "0");
		cg->oom_before = 0;
		read_keyed_at(cg->mem_fd, "memory.oom_control", "oom_kill",
		              &cg->oom_before);
		r = write_u64_at(cg->pids_fd, "pids.max", l->processes);
		if (r < 0) {
			if (err)
				snprintf(err, errlen, "cannot set pids.max: %s",
				         strerror(-r));
			return r;
		}
		cg->pids_max_before = 0;
		read_keyed_at(cg->pids_fd, "pids.events", "max",
		              &cg->pids_max_before);
		write_at(cg->cpu_fd, "cpuacct.usage", "0");
		return 0;
	}
	if (cg->mode == SBX_CGROUP_V2) {
		if (cg->leaf_fd >= 0) {
			close(cg->leaf_fd);
			cg->leaf_fd = -1;
		}
		rmdir_leaf(cg->mem_fd);
		r = open_child(cg->mem_fd, "run");
		if (r < 0) {
			if (err)
				snprintf(err, errlen,
				         "cannot create the stage cgroup: %s",
				         strerror(-r));
			return r;
		}
		cg->leaf_fd = r;
		r = write_u64_at(cg->leaf_fd, "memory.max", l->memory);
		if (r == 0)
			r = write_u64_at(cg->leaf_fd, "pids.max", l->processes);
		if (r < 0) {
			if (err)
				snprintf(err, errlen,
				         "cannot set the stage limits: %s",
				         strerror(-r));
			return r;
		}
		/* swap is part of the memory budget: none of it */
		write_at(cg->leaf_fd, "memory.swap.max", "0");
		/* an OOM kill ends the whole stage, not one random process */
		write_at(cg->leaf_fd, "memory.oom.group", "1");
		return 0;
	}
	return 0;
}

int sbx_cg_attach(struct sbx_cgroup *cg, pid_t pid)
{
	char buf[24];
	int r = 0;

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (cg->mode == SBX_CGROUP_V1) {
		r = write_at(cg->mem_fd, "cgroup.procs", buf);
		if (r == 0)
			r = write_at(cg->pids_fd, "cgroup.procs", buf);
		if (r == 0)
			r = write_at(cg->cpu_fd, "cgroup.procs", buf);
	} else if (cg->mode == SBX_CGROUP_V2) {
		r = write_at(cg->leaf_fd, "cgroup.procs", buf);
	}
	return r;
}

int sbx_cg_self_attach(const struct sbx_cgroup *cg)
{
	for (int i = 0; i < 3; i++) {
		if (cg->tasks_fd[i] < 0)
			return -EBADF;
		if (write(cg->tasks_fd[i], "0", 1) != 1)
			return -errno;
	}
	return 0;
}

int sbx_cg_clone_fd(const struct sbx_cgroup *cg)
{
	return cg->mode == SBX_CGROUP_V2 ? cg->leaf_fd : -1;
}

void sbx_cg_kill(struct sbx_cgroup *cg)
{
	if (cg->mode == SBX_CGROUP_V2 && cg->leaf_fd >= 0) {
		if (write_at(cg->leaf_fd, "cgroup.kill", "1") == 0)
			return;
	}
	if (cg->mode == SBX_CGROUP_V1 || cg->mode == SBX_CGROUP_V2) {
		/* Fallback: SIGKILL every listed pid.  Every process of a
		   stage is in its pid namespace, whose init we also kill, so
		   a fork racing with this loop dies with the namespace. */
		int dfd = cg->mode == SBX_CGROUP_V2 ? cg->leaf_fd : cg->pids_fd;
		char buf[4096];
		ssize_t n = read_at(dfd, "cgroup.procs", buf, sizeof(buf));
		if (n <= 0)
			return;
		for (char *save = NULL, *t = strtok_r(buf, "\n", &save); t;
		     t = strtok_r(NULL, "\n", &save)) {
			long p = strtol(t, NULL, 10);
			if (p > 1)
				kill((pid_t)p, SIGKILL);
		}
	}
}

uint64_t sbx_cg_cpu_ns(const struct sbx_cgroup *cg)
{
	uint64_t v = 0;

	if (cg->mode == SBX_CGROUP_V1) {
		if (read_u64_at(cg->cpu_fd, "cpuacct.usage", &v) < 0)
			return 0;
		return v;
	}
	if (cg->mode == SBX_CGROUP_V2 && cg->leaf_fd >= 0) {
		if (read_keyed_at(cg->leaf_fd, "cpu.stat", "usage_usec", &v) <
		    0)
			return 0;
		return v * 1000;
	}
	return 0;
}

void sbx_cg_stage_end(struct sbx_cgroup *cg, struct sbx_cg_usage *u)
{
	uint64_t v;

	memset(u, 0, sizeof(*u));
	u->cpu_ns = sbx_cg_cpu_ns(cg);
	if (cg->mode == SBX_CGROUP_V1) {
		if (read_u64_at(cg->mem_fd, "memory.memsw.max_usage_in_bytes",
		                &v) == 0 ||
		    read_u64_at(cg->mem_fd, "memory.max_usage_in_bytes", &v) ==
		            0)
			u->memory_peak = v;
		if (read_keyed_at(cg->mem_fd, "memory.oom_control", "oom_kill",
		                  &v) == 0)
			u->oom_killed = v > cg->oom_before;
		if ((read_u64_at(cg->mem_fd, "memory.memsw.failcnt", &v) == 0 &&
		     v > 0) ||
		    (read_u64_at(cg->mem_fd, "memory.failcnt", &v) == 0 &&
		     v > 0))
			u->memory_hit = true;
		if (read_keyed_at(cg->pids_fd, "pids.events", "max", &v) == 0)
			u->pids_hit = v > cg->pids_max_before;
		return;
	}
	if (cg->mode == SBX_CGROUP_V2 && cg->leaf_fd >= 0) {
		if (read_u64_at(cg->leaf_fd, "memory.peak", &v) == 0)
			u->memory_peak = v;
		if (read_keyed_at(cg->leaf_fd, "memory.events", "oom_kill",
		                  &v) == 0)
			u->oom_killed = v > 0;
		if (read_keyed_at(cg->leaf_fd, "memory.events", "max", &v) ==
		            0 &&
		    v > 0)
			u->memory_hit = true;
		if (read_keyed_at(cg->leaf_fd, "pids.events", "max", &v) == 0)
			u->pids_hit = v > 0;
		close(cg->leaf_fd);
		cg->leaf_fd = -1;
		rmdir_leaf(cg->mem_fd);
	}
}
