/*
 * child.c - the two processes of a stage that run inside the jail: init
 * (pid 1 of the stage's pid namespace) and the program it forks.  Both are
 * raw clones of a possibly multithreaded supervisor: they allocate nothing
 * and call only system calls (see jail.c's theory of operation).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jail.h"

static size_t cpy(char *dst, const char *src, size_t cap)
{
	size_t i = 0;

	for (; src[i] && i + 1 < cap; i++)
		dst[i] = src[i];
	dst[i] = '\0';
	return i;
}

__attribute__((noreturn)) static void child_fail(int fd, int kind, int e,
                                                 const char *what)
{
	struct report rep;

	memset(&rep, 0, sizeof(rep));
	rep.kind = kind;
	rep.value = e;
	cpy(rep.what, what, sizeof(rep.what));
	(void)!write(fd, &rep, sizeof(rep));
	_exit(127);
}

/* Empty the bounding and ambient sets: nothing exec'd later can regain a
   capability, file capabilities included.  Needs CAP_SETPCAP. */
static int drop_bounding(int last_cap)
{
	for (int cap = 0; cap <= last_cap; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}

/* Empty the permitted, effective and inheritable sets. */
static int drop_caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	return (int)syscall(SYS_capset, &h, d);
}

static void set_rlimit(int res, uint64_t soft, uint64_t hard)
{
	struct rlimit cur, rl;

	/* a rootless supervisor cannot raise a hard limit: stay under it */
	if (getrlimit(res, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
	    hard > cur.rlim_max) {
		hard = cur.rlim_max;
		if (soft > hard)
			soft = hard;
	}
	rl.rlim_cur = soft;
	rl.rlim_max = hard;
	setrlimit(res, &rl);
}

/* Decimal of v into buf (at least 12 bytes), without stdio: the children
   call nothing but system calls.  Returns the length. */
static size_t fmt_uint(char *buf, unsigned v)
{
	char t[12];
	size_t n = 0, i = 0;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		buf[i++] = t[--n];
	buf[i] = '\0';
	return i;
}

/*
 * Load the filter whose exit_group waits for the supervisor, and hand the
 * supervisor its listener over exit_sock.  False when this kernel has no
 * user notification (the caller loads the plain filter); a failure after
 * the load ends the program.
 */
static bool load_exit_filter(const struct stage_plan *p)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = (void *)"L", .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf,
	                    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	                  SECCOMP_FILTER_FLAG_NEW_LISTENER,
	                  &p->ctx->seccomp_exit);

	if (fd < 0)
		return false;
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &(int){(int)fd}, sizeof(int));
	if (sendmsg(p->exit_sock, &mh, MSG_NOSIGNAL) != 1)
		child_fail(p->rep_wr, REP_SETUP, errno,
		           "hand over the seccomp listener");
	close((int)fd);
	close(p->exit_sock);
	return true;
}

__attribute__((noreturn)) static void run_program(const struct stage_plan *p,
                                                  bool init_spared)
{
	const struct sbx_limits *l = p->lim;
	int rep = p->rep_wr;
	uint64_t cpu_s = (l->cpu_ms + 999) / 1000;
	char num[16];

	setsid();
	/* The OOM killer's choice is the program, never init: init left
	   -1000 behind for us to undo (0 is the default).  Where init could
	   not go below the supervisor's score (rootless), the program takes
	   the highest score instead, so it still outranks init. */
	if (init_spared)
		sbx_write_file("/proc/self/oom_score_adj", "0");
	else
		sbx_write_file("/proc/self/oom_score_adj", "1000");
	/* An unset audit loginuid can be set once by anyone: set it to the
	   slot's uid while we may, so the program cannot claim auid 0 in the
	   host's audit records.  (In a user namespace the kernel refuses the
	   write to everyone.) */
	if (!p->ctx->rootless) {
		fmt_uint(num, (unsigned)p->slot->uid);
		sbx_write_file("/proc/self/loginuid", num);
	}
	if (dup2(p->in_rd, 0) < 0 || dup2(p->out_wr, 1) < 0 ||
	    dup2(p->err_wr, 2) < 0)
		child_fail(rep, REP_SETUP, errno, "dup2");

	/* With a cgroup the supervisor enforces CPU time on the whole tree
	   at ms precision; RLIMIT_CPU, per process and tick-sampled, is only
	   the backstop a second later. */
	if (!p->rlimits_only)
		cpu_s += 1;
	set_rlimit(RLIMIT_CPU, cpu_s, cpu_s + 1);
	set_rlimit(RLIMIT_FSIZE, l->file_size, l->file_size);
	set_rlimit(RLIMIT_NOFILE, l->open_files, l->open_files);
	set_rlimit(RLIMIT_STACK, l->stack, l->stack);
	set_rlimit(RLIMIT_CORE, 0, 0);
	set_rlimit(RLIMIT_MEMLOCK, 64 << 10, 64 << 10);
	set_rlimit(RLIMIT_MSGQUEUE, 0, 0);
	if (p->rlimits_only) {
		/* no cgroup: address space and per-uid processes instead */
		set_rlimit(RLIMIT_AS, l->memory, l->memory);
		set_rlimit(RLIMIT_NPROC, l->processes, l->processes);
	}
	/* With a cgroup, pids.max alone bounds processes: RLIMIT_NPROC counts
	   every task of the uid on the host, so any process of that uid
	   outside the slot would lower the run's limit and hide the evidence
	   (pids.events) the verdict needs. */

	/* Raw system calls: glibc's wrappers would try to change the
	   credentials of every thread of the supervisor we were cloned from
	   (threads that do not exist here), under a lock one of them may
	   hold.  The kernel's calls change this thread only: all there is. */
	if (!p->ctx->rootless) {
		if (syscall(SYS_setgroups, 0, NULL) < 0)
			child_fail(rep, REP_SETUP, errno, "setgroups");
	}
	if (syscall(SYS_setresgid, p->slot->gid, p->slot->gid, p->slot->gid) <
	    0)
		child_fail(rep, REP_SETUP, errno, "setresgid");
	if (drop_bounding(p->ctx->last_cap) < 0)
		child_fail(rep, REP_SETUP, errno, "drop capabilities");
	if (syscall(SYS_setresuid, p->slot->uid, p->slot->uid, p->slot->uid) <
	    0)
		child_fail(rep, REP_SETUP, errno, "setresuid");
	/* root mode: leaving uid 0 emptied the sets already; rootless: the
	   uid did not change, so empty them by hand */
	if (drop_caps() < 0)
		child_fail(rep, REP_SETUP, errno, "drop capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(rep, REP_SETUP, errno, "no_new_privs");
	if (chdir("/box") < 0)
		child_fail(rep, REP_SETUP, errno, "chdir /box");
	/* every fd but 0-2 closes at exec; the report pipe stays usable for
	   an exec failure until then */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3; fd < 65536; fd++)
			if (fd != rep)
				close(fd);
	}
	if (p->exit_sock < 0 || !load_exit_filter(p))
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p->ctx->seccomp,
		          0, 0) < 0)
			child_fail(rep, REP_SETUP, errno,
			           "load seccomp filter");
	execve(p->argv[0], p->argv, p->envp);
	child_fail(rep, REP_EXEC, errno, p->argv[0]);
}

/*
 * Close every fd but the ones in keep[].  init is a copy of the supervisor
 * without an exec, so it holds the supervisor's ends of its own pipes (a
 * held stdin write end would mean the program never sees EOF) and, in a
 * threaded runner, every other stage's fds as well.  Its 0-2 are the
 * supervisor's own (the CLI's stdout, the runner's FastCGI socket): an init
 * that outlives a killed supervisor must not hold them open, so they go
 * too; the program gets its own pipes as 0-2.
 */
static void close_all_but(int *keep, int n)
{
	int lo = 0;

	for (int i = 1; i < n; i++) /* insertion sort: no allocation here */
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		if (keep[i] > lo)
			syscall(SYS_close_range, lo, keep[i] - 1, 0);
		if (keep[i] + 1 > lo)
			lo = keep[i] + 1;
	}
	syscall(SYS_close_range, lo, ~0U, 0);
}

/*
 * /proc entries that describe the host (its boot line, kernel build,
 * disks, key users, devices, interrupts, memory layout) or reach the
 * kernel in ways no program needs, covered with an empty read-only file or
 * directory, as Docker masks its list.  Entries a kernel does not have are
 * skipped.
 */
static const char *const proc_masked_files[] = {
        "cmdline",       "config.gz",     "diskstats",  "partitions",
        "key-users",     "keys",          "timer_list", "sched_debug",
        "latency_stats", "sysrq-trigger", "kallsyms",   "modules",
        "swaps",         "devices",       "buddyinfo",  "zoneinfo",
        "consoles",      "ioports",
};
/* Files that only root may read (kcore, iomem, slabinfo...) need no mask:
   the program is never root on the host. */
static const char *const proc_masked_dirs[] = {"acpi",   "asound", "bus",
                                               "driver", "fs",     "scsi"};

static void mask_proc(const struct stage_plan *p)
{
	char src[200], dst[260];
	size_t base = cpy(dst, p->proc_path, sizeof(dst));

	dst[base++] = '/';
	cpy(src, p->ctx->mask, sizeof(src));
	size_t sb = strlen(src);
	cpy(src + sb, "/file", sizeof(src) - sb);
	for (size_t i = 0;
	     i < sizeof(proc_masked_files) / sizeof(proc_masked_files[0]);
	     i++) {
		cpy(dst + base, proc_masked_files[i], sizeof(dst) - base);
		mount(src, dst, NULL, MS_BIND, NULL); /* ENOENT: absent */
	}
	cpy(src + sb, "/dir", sizeof(src) - sb);
	for (size_t i = 0;
	     i < sizeof(proc_masked_dirs) / sizeof(proc_masked_dirs[0]); i++) {
		cpy(dst + base, proc_masked_dirs[i], sizeof(dst) - base);
		mount(src, dst, NULL, MS_BIND, NULL);
	}
}

/*
 * The jail's own /proc/cpuinfo, stat, uptime and loadavg (from the
 * read-only mask) and the slot's meminfo (from the run dir, so its bind is
 * made read-only here): see view.c.
 */
static int view_proc(const struct stage_plan *p)
{
	char src[200], dst[260];
	size_t base = cpy(dst, p->proc_path, sizeof(dst));
	size_t sb = cpy(src, p->ctx->mask, sizeof(src));

	dst[base++] = '/';
	src[sb++] = '/';
	for (int i = 0; i < SBX_VIEW_N; i++) {
		cpy(src + sb, sbx_view_names[i], sizeof(src) - sb);
		cpy(dst + base, sbx_view_names[i], sizeof(dst) - base);
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
			return -1;
	}
	cpy(dst + base, "meminfo", sizeof(dst) - base);
	if (mount(p->slot->meminfo, dst, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, dst, NULL,
	          MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
	                  MS_NOEXEC,
	          NULL) < 0)
		return -1;
	return 0;
}

struct linux_dirent64_ {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/*
 * Is there a regular file of at least `size` bytes below the directory
 * dfd (which it closes)?  Run by init after every other process of the
 * namespace is dead, so nothing can change the tree under it; it never
 * follows a link (fstatat with AT_SYMLINK_NOFOLLOW, O_NOFOLLOW opens of
 * directories only) and has no capabilities, so a directory the program
 * made unreadable only hides its files (the answer can only err towards
 * "no").  System calls only: init cannot allocate.
 */
static bool has_file_at_least(int dfd, uint64_t size, int depth)
{
	char buf[2048];
	bool found = false;
	long n;

	while (!found &&
	       (n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n && !found;) {
			struct linux_dirent64_ *d =
			        (struct linux_dirent64_ *)(buf + off);
			struct stat st;
			off += d->d_reclen;
			if (d->d_name[0] == '.' &&
			    (!d->d_name[1] ||
			     (d->d_name[1] == '.' && !d->d_name[2])))
				continue;
			if (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) <
			    0)
				continue;
			if (S_ISREG(st.st_mode) && (uint64_t)st.st_size >= size)
				found = true;
			else if (S_ISDIR(st.st_mode) && depth < 32) {
				int sub =
				        openat(dfd, d->d_name,
				               O_RDONLY | O_DIRECTORY |
				                       O_NOFOLLOW | O_CLOEXEC);
				if (sub >= 0)
					found = has_file_at_least(sub, size,
					                          depth + 1);
			}
		}
	}
	close(dfd);
	return found;
}

/*
 * The evidence that a SIGXFSZ is the kernel's: a file in /box or /tmp
 * reached the cap (the kernel sends it only to a write at or past the cap,
 * and a program can raise SIGXFSZ itself).  First every other process of
 * the namespace dies, so the tree is still.
 */
static bool fsize_evidence(const struct stage_plan *p)
{
	static const char *const dirs[] = {"/box", "/tmp"};
	int st;

	kill(-1, SIGKILL); /* as pid 1: everyone in the namespace but us */
	while (waitpid(-1, &st, __WALL) > 0 || errno == EINTR)
		;
	for (size_t i = 0; i < 2; i++) {
		int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && has_file_at_least(fd, p->lim->file_size, 0))
			return true;
	}
	return false;
}

/* init: pid 1 of the stage's pid namespace. */
__attribute__((noreturn)) void sbx_init_run(const struct stage_plan *p)
{
	int rep = p->rep_wr;
	int keep[] = {p->go_rd,
	              p->rep_wr,
	              p->in_rd,
	              p->out_wr,
	              p->err_wr,
	              p->slot->netfd,
	              p->slot->cg.tasks_fd[0],
	              p->slot->cg.tasks_fd[1],
	              p->slot->cg.tasks_fd[2],
	              p->exit_sock};
	struct report r;
	bool init_spared;
	char c;
	pid_t prog;
	int st;

	close_all_but(keep, (int)(sizeof(keep) / sizeof(keep[0])));

	/* Never the OOM killer's choice: init holds no memory to speak of,
	   but as a clone of the supervisor (a threaded daemon in the runner)
	   it can look the largest, and its death would take the program's
	   status with it.  Needs CAP_SYS_RESOURCE (root, or a supervisor
	   already at -1000); the program undoes it (run_program). */
	init_spared = sbx_write_file("/proc/self/oom_score_adj", "-1000") == 0;

	/* into the slot's cgroup before anything can be charged elsewhere */
	if (p->self_attach) {
		int e = sbx_cg_self_attach(&p->slot->cg);
		if (e < 0)
			child_fail(rep, REP_SETUP, -e,
			           "join the slot's cgroup");
	}
	for (int i = 0; i < 3; i++)
		if (p->slot->cg.tasks_fd[i] >= 0)
			close(p->slot->cg.tasks_fd[i]);
	/* wait until the supervisor says go (after moving us, if it must) */
	if (read(p->go_rd, &c, 1) != 1)
		_exit(1);
	close(p->go_rd);
	if (p->ctx->cgmode != SBX_CGROUP_NONE && !p->rlimits_only &&
	    unshare(CLONE_NEWCGROUP) < 0)
		child_fail(rep, REP_SETUP, errno, "cgroup namespace");
	if (setns(p->slot->netfd, CLONE_NEWNET) < 0)
		child_fail(rep, REP_SETUP, errno, "join network namespace");
	close(p->slot->netfd);
	if (sethostname("runpad", 6) < 0)
		child_fail(rep, REP_SETUP, errno, "sethostname");
	/* hidepid: init (root, or not dumpable) is invisible to the program */
	if (mount("proc", p->proc_path, "proc",
	          MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") < 0)
		child_fail(rep, REP_SETUP, errno, "mount /proc");
	mask_proc(p);
	if (view_proc(p) < 0)
		child_fail(rep, REP_SETUP, errno,
		           "bind the jail's /proc views");
	if (mount("tmpfs", p->tmp_path, "tmpfs",
	          MS_NOSUID | MS_NODEV | MS_NOEXEC, p->tmp_opts) < 0)
		child_fail(rep, REP_SETUP, errno, "mount /tmp");
	if (mount(p->slot->box, p->box_path, NULL, MS_BIND, NULL) < 0)
		child_fail(rep, REP_SETUP, errno, "bind /box");
	if (chdir(p->slot->root) < 0)
		child_fail(rep, REP_SETUP, errno, "chdir root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		child_fail(rep, REP_SETUP, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		child_fail(rep, REP_SETUP, errno, "detach old root");
	if (chdir("/") < 0)
		child_fail(rep, REP_SETUP, errno, "chdir /");

	/* A raw clone, not glibc's fork(): init is itself a raw clone of a
	   possibly multithreaded supervisor, so glibc's locks (malloc
	   arenas) may be held by threads that do not exist here, and fork()
	   would wait for them forever.  Nothing below calls into glibc
	   beyond system call wrappers. */
	prog = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
	if (prog < 0)
		child_fail(rep, REP_SETUP, errno, "clone the program");
	if (prog == 0)
		run_program(p, init_spared);

	/* From here on init only waits.  Make it untouchable first: not
	   dumpable (no /proc/1/mem, no /proc/1/environ) and no capabilities
	   left, should anything ever reach it. */
	close(p->in_rd);
	close(p->out_wr);
	close(p->err_wr);
	if (p->exit_sock >= 0)
		close(p->exit_sock);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	drop_bounding(p->ctx->last_cap);
	drop_caps();
	for (;;) {
		pid_t w = waitpid(-1, &st, __WALL);
		if (w == prog)
			break;
		if (w < 0 && errno != EINTR)
			_exit(1);
	}
	memset(&r, 0, sizeof(r));
	r.kind = REP_STATUS;
	r.value = st;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ)
		r.fsize_evidence = fsize_evidence(p);
	p->shared->status = r.value;
	p->shared->fsize_evidence = r.fsize_evidence;
	__atomic_store_n(&p->shared->done, 1, __ATOMIC_RELEASE);
	(void)!write(rep, &r, sizeof(r));
	/* our exit takes every other process of the namespace with it */
	_exit(0);
}
