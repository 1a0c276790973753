/*
 * jail.c - the runpad jail: contexts, slots and jobs.
 *
 * The jail is four files: this one (the context, the slot pool, a job's
 * box and stages, the host probe), root.c (each slot's root and the
 * namespaces), child.c (init and the program) and stage.c (the supervisor
 * of one stage).  jail.h holds what they share.
 *
 * Theory of operation
 * ===================
 * Three processes take part in a stage (compile or run):
 *
 *   supervisor  the caller's thread (runpad-fcgi's worker, runpad-jail's
 *               main).  Owns the slot, its cgroup and its box; feeds stdin,
 *               reads stdout/stderr up to their caps, watches CPU and wall
 *               time, and kills the stage.
 *   init        cloned by the supervisor into new pid, mount, ipc and uts
 *               namespaces; it joins the slot's network namespace and a new
 *               cgroup namespace once the supervisor has moved it into the
 *               slot's cgroup.  As pid 1 it builds the root, forks the
 *               program, reaps orphans, and reports the program's wait
 *               status.  When it exits the kernel kills every process left
 *               in the pid namespace: a double-forked, setsid orphan that
 *               ignores SIGTERM included.  init makes itself non-dumpable
 *               and drops its capabilities after forking, so the program
 *               can neither read nor steer it.
 *   program     forked by init; takes the pipes as fds 0-2, drops to the
 *               slot's uid, applies rlimits, drops every capability, sets
 *               no_new_privs, marks every other fd close-on-exec, loads the
 *               seccomp filter and execs.
 *
 * Pipes between them (all O_CLOEXEC):
 *   go      supervisor -> init: one byte once init is in the slot's cgroup.
 *   report  init/program -> supervisor: fixed-size records (setup failure,
 *           exec failure, the program's wait status).  Each is smaller than
 *           PIPE_BUF, so writes are atomic.  init also leaves the status
 *           in a page shared with the supervisor (struct stage_status),
 *           for when a full memory cgroup leaves the pipe no buffer.
 *   stdin, stdout, stderr: between the supervisor and the program.
 *
 * The root
 * ========
 * At context creation the process moves into a private mount namespace
 * (and, when not root, a user namespace that maps its own uid only).
 * There it mounts a small tmpfs "run dir".  Each slot has its own root in
 * it, built on the slot's first use (at start in daemons): a tmpfs with
 * read-only, nosuid, nodev overlays of the toolchain directories (inodes
 * of the slot's own, so locks and inotify marks never reach the host or
 * another slot), copies of small /etc files, generated /etc files, device
 * nodes and empty mount points; the root is then made read-only.  A
 * stage's clone copies that tree; init mounts a fresh /proc (its
 * host-describing entries covered), a size-limited noexec /tmp and the
 * slot's box on the copy, pivots into it and detaches the old root.
 *
 * The box is a size- and inode-limited tmpfs mounted per job below the run
 * dir, filled by the supervisor with openat(O_EXCL|O_NOFOLLOW) in the fresh
 * tmpfs, shared by the compile and run stages, and destroyed by unmounting
 * it: the supervisor never walks a path inside a box a program has had, so
 * no planted symlink or hard link can point its cleanup elsewhere.  The
 * one thing it reads back is the box's out/ after the last run stage, the
 * files a program returns (outfiles.c): single names under a directory
 * fd, no link followed, nothing but regular files opened, within caps.
 *
 * Everything the child processes use is prepared before the clone: they
 * allocate nothing and call only system calls, so the supervisor may be
 * one thread of many.
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

/* ------------------------------------------------------------------ util */

void sbx_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

uint64_t sbx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int sbx_write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	size_t len = strlen(data);

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	if (n < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

int sbx_create_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(data);

	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* --------------------------------------------------------------- context */

/* /proc/sys/kernel/cap_last_cap, or 63 (every bit) when unreadable. */
static int read_last_cap(void)
{
	char buf[16];
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	long v;

	if (fd < 0)
		return 63;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 63;
	buf[n] = '\0';
	v = strtol(buf, NULL, 10);
	return v > 0 && v <= 63 ? (int)v : 63;
}

void sbx_config_default(struct sbx_config *c)
{
	*c = (struct sbx_config){
	        .slots = 4,
	        .first_uid = 60000,
	        .first_gid = 60000,
	        .cgroup_parent = NULL,
	        .allow_rlimits_only = false,
	        .binds = NULL,
	        .path_env = NULL,
	        .lang_env = NULL,
	};
}

enum sbx_cgroup_mode sbx_ctx_cgroup_mode(const struct sbx_ctx *ctx)
{
	return ctx->cgmode;
}

unsigned sbx_ctx_slots(const struct sbx_ctx *ctx)
{
	return ctx->nslots;
}

bool sbx_ctx_rootless(const struct sbx_ctx *ctx)
{
	return ctx->rootless;
}

const char *sbx_ctx_root_shared(const struct sbx_ctx *ctx)
{
	return ctx->root_shared[0] ? ctx->root_shared : NULL;
}

static int enter_namespaces(struct sbx_ctx *ctx, char *err, size_t errlen)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid != 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
			int e = errno;
			sbx_seterr(
			        err, errlen,
			        "cannot create a user namespace: %s (running as a user needs unprivileged user namespaces; check kernel.unprivileged_userns_clone and user.max_user_namespaces)",
			        strerror(e));
			return -e;
		}
		int r = sbx_id_maps_write(getpid(), uid, gid);
		if (r < 0) {
			sbx_seterr(err, errlen, "cannot map our uid: %s",
			           strerror(-r));
			return r;
		}
		ctx->rootless = true;
	} else if (unshare(CLONE_NEWNS) < 0) {
		int e = errno;
		sbx_seterr(err, errlen, "cannot create a mount namespace: %s",
		           strerror(e));
		return -e;
	}
	/* nothing we mount may leak back to the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		int e = errno;
		sbx_seterr(err, errlen, "cannot make our mounts private: %s",
		           strerror(e));
		return -e;
	}
	return 0;
}

static int local_setup(struct sbx_ctx *ctx, char *err, size_t errlen);

/* A slot's root and network namespace, made once. */
static int slot_prepare(struct sbx_ctx *ctx, struct slot *s, char *err,
                        size_t errlen)
{
	int r;

	if (ctx->template_dir[0] && !s->root_ready) {
		r = sbx_template_enter(ctx, s, err, errlen);
		if (r == 0)
			return 0;
		/* no template (a read-only /run, a kernel that refuses to
		   hold a namespace): build this run's own, as without */
		ctx->template_dir[0] = '\0';
		if (ctx->mask_dir_fd >= 0)
			close(ctx->mask_dir_fd);
		ctx->mask_dir_fd = -1;
		ctx->root_shared[0] = '\0';
		r = local_setup(ctx, err, errlen);
		if (r < 0)
			return r;
		if (err)
			err[0] = '\0';
	}
	if (!s->root_ready) {
		r = sbx_root_build(ctx, s, err, errlen);
		if (r < 0) {
			if (err && !err[0])
				sbx_seterr(err, errlen,
				           "cannot build the jail root: %s",
				           strerror(-r));
			umount2(s->root, MNT_DETACH);
			return r;
		}
		s->root_ready = true;
	}
	if (s->netfd < 0) {
		r = sbx_netns_make(err, errlen);
		if (r < 0)
			return r;
		s->netfd = r;
	}
	return 0;
}

/* Mount the run dir's tmpfs at dir: 1 MiB, and a page for each of nslots
   slots' meminfo. */
int sbx_rundir_mount(const char *dir, unsigned nslots, char *err, size_t errlen)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "size=%uk,nr_inodes=4096,mode=0700",
	         1024 + 4 * nslots);
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
		int e = errno;
		sbx_seterr(err, errlen, "cannot mount the run dir: %s",
		           strerror(e));
		return -e;
	}
	return 0;
}

void sbx_slot_paths(struct sbx_ctx *ctx, struct slot *s)
{
	snprintf(s->box, sizeof(s->box), "%s/box%u", ctx->rundir, s->index);
	snprintf(s->root, sizeof(s->root), "%s/root%u", ctx->rundir, s->index);
	snprintf(s->meminfo, sizeof(s->meminfo), "%s/meminfo%u", ctx->rundir,
	         s->index);
}

/*
 * A run dir of the context's own, in a private mount namespace: where a
 * context without templates (a daemon, a rootless CLI, --fresh) builds
 * its slots' roots.  It goes with the context.
 */
static int local_setup(struct sbx_ctx *ctx, char *err, size_t errlen)
{
	const char *tmpdir;
	int r;

	r = enter_namespaces(ctx, err, errlen);
	if (r < 0)
		return r;
	tmpdir = getenv("RUNTIME_DIRECTORY");
	if (!tmpdir || !*tmpdir || strlen(tmpdir) > 80)
		tmpdir = "/tmp";
	snprintf(ctx->rundir, sizeof(ctx->rundir), "%s/runpad-jail.XXXXXX",
	         tmpdir);
	if (!mkdtemp(ctx->rundir)) {
		r = -errno;
		sbx_seterr(err, errlen, "cannot create %s: %s", ctx->rundir,
		           strerror(errno));
		ctx->rundir[0] = '\0';
		return r;
	}
	ctx->rundir_own = true;
	r = sbx_rundir_mount(ctx->rundir, ctx->nslots, err, errlen);
	if (r < 0)
		return r;
	r = sbx_mask_make(ctx, err, errlen);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < ctx->nslots; i++) {
		struct slot *s = &ctx->slots[i];
		sbx_slot_paths(ctx, s);
		if (mkdir(s->box, 0755) < 0) {
			r = -errno;
			sbx_seterr(err, errlen, "cannot create %s: %s", s->box,
			           strerror(errno));
			return r;
		}
		if (s->box_lock >= 0)
			close(s->box_lock);
		s->box_lock = open(s->box, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	return 0;
}

int sbx_ctx_new(const struct sbx_config *c, struct sbx_ctx **out, char *err,
                size_t errlen)
{
	struct sbx_config defc;
	struct sbx_ctx *ctx;
	char cgerr[256] = "";
	int r;

	*out = NULL;
	if (!c) {
		sbx_config_default(&defc);
		c = &defc;
	}
	if (c->slots == 0 || c->slots > 1024) {
		sbx_seterr(err, errlen, "slots must be 1 to 1024, not %u",
		           c->slots);
		return -EINVAL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->mask_dir_fd = -1;
	pthread_mutex_init(&ctx->mu, NULL);
	pthread_cond_init(&ctx->cv, NULL);
	ctx->cgroot.v1_mem = ctx->cgroot.v1_pids = ctx->cgroot.v1_cpu =
	        ctx->cgroot.v2_parent = -1;
	ctx->allow_rlimits = c->allow_rlimits_only;
	ctx->last_cap = read_last_cap();
	ctx->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ctx->ncpu < 1)
		ctx->ncpu = 1;
	snprintf(ctx->path_env, sizeof(ctx->path_env), "PATH=%s",
	         c->path_env ? c->path_env : SBX_DEFAULT_PATH);
	snprintf(ctx->lang_env, sizeof(ctx->lang_env), "LANG=%s",
	         c->lang_env ? c->lang_env : "C.UTF-8");

	ctx->nslots = c->slots;
	ctx->slots = calloc(c->slots, sizeof(*ctx->slots));
	if (!ctx->slots) {
		r = -ENOMEM;
		goto out_free;
	}
	ctx->status_len = c->slots * sizeof(struct stage_status);
	ctx->status_pages = mmap(NULL, ctx->status_len, PROT_READ | PROT_WRITE,
	                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctx->status_pages == MAP_FAILED) {
		ctx->status_pages = NULL;
		r = -ENOMEM;
		goto out_free;
	}
	/* touched now, so init's write into it never allocates */
	memset(ctx->status_pages, 0, ctx->status_len);
	for (unsigned i = 0; i < c->slots; i++) {
		ctx->slots[i].status =
		        (struct stage_status *)ctx->status_pages + i;
		ctx->slots[i].index = i;
		ctx->slots[i].netfd = -1;
		ctx->slots[i].box_lock = -1;
		sbx_cg_slot_init(&ctx->slots[i].cg);
	}

	/* cgroups first: in rootless mode the user namespace does not change
	   what we may write there, and the error is the most useful one */
	r = sbx_cg_root_open(&ctx->cgroot, c->cgroup_parent, cgerr,
	                     sizeof(cgerr));
	if (r < 0) {
		if (!c->allow_rlimits_only) {
			sbx_seterr(
			        err, errlen,
			        "%s; refusing to run without a cgroup (allow it with rlimits only: --rlimits-only, or rlimits_only = yes)",
			        cgerr);
			goto out_free;
		}
		ctx->cgmode = SBX_CGROUP_NONE;
	} else {
		ctx->cgmode = ctx->cgroot.mode;
	}

	ctx->rootless = geteuid() != 0;
	for (unsigned i = 0; i < c->slots; i++) {
		struct slot *s = &ctx->slots[i];
		s->uid = ctx->rootless ? SBX_ROOTLESS_UID : c->first_uid + i;
		s->gid = ctx->rootless ? SBX_ROOTLESS_UID : c->first_gid + i;
	}
	r = sbx_view_prepare(&ctx->view, err, errlen);
	if (r < 0)
		goto out_free;
	r = sbx_binds_keep(ctx, c->binds, c->lang_binds);
	if (r < 0) {
		sbx_seterr(err, errlen, "out of memory");
		goto out_free;
	}
	/* Templates need root (to hold namespaces on the host) and a cgroup
	   (whose flock guards a slot across processes: the box's directory
	   is only known once the template is joined).  A templated context
	   opens a slot's cgroup when it takes the slot: a CLI run uses one. */
	if (c->template_dir && !ctx->rootless &&
	    ctx->cgmode != SBX_CGROUP_NONE && !c->netns_at_start &&
	    strlen(c->template_dir) < 80)
		snprintf(ctx->template_dir, sizeof(ctx->template_dir), "%s",
		         c->template_dir);
	for (unsigned i = 0; ctx->cgmode != SBX_CGROUP_NONE &&
	                     !ctx->template_dir[0] && i < c->slots;
	     i++) {
		r = sbx_cg_slot_open(&ctx->cgroot, i, &ctx->slots[i].cg, err,
		                     errlen);
		if (r < 0 && !c->allow_rlimits_only)
			goto out_free;
		if (r < 0) {
			/* allowed to do without: every slot does */
			for (unsigned k = 0; k <= i; k++)
				sbx_cg_slot_close(&ctx->slots[k].cg);
			sbx_cg_root_close(&ctx->cgroot);
			ctx->cgmode = SBX_CGROUP_NONE;
			if (err)
				err[0] = '\0';
		}
	}
	if (!ctx->template_dir[0] && (r = local_setup(ctx, err, errlen)) < 0)
		goto out_free;

	sbx_seccomp_program(&ctx->seccomp, false);
	/* the variant that reports exits, for the memory figure, and answers
	   sysinfo; a kernel without user notification gets the plain one
	   (child.c: load_exit_filter) */
	if (ctx->cgmode != SBX_CGROUP_NONE)
		sbx_seccomp_program(&ctx->seccomp_exit, true);
	/* A daemon makes every slot's root and network namespace now:
	   creating a namespace waits for the kernel's namespace cleanup,
	   which other processes' teardowns can make slow, and a run must not
	   pay for that. */
	for (unsigned i = 0; c->netns_at_start && i < ctx->nslots; i++) {
		r = slot_prepare(ctx, &ctx->slots[i], err, errlen);
		if (r < 0)
			goto out_free;
	}
	*out = ctx;
	return 0;

out_free:
	sbx_ctx_free(ctx);
	return r;
}

void sbx_ctx_free(struct sbx_ctx *ctx)
{
	if (!ctx)
		return;
	for (unsigned i = 0; ctx->slots && i < ctx->nslots; i++) {
		struct slot *s = &ctx->slots[i];
		if (s->netfd >= 0)
			close(s->netfd);
		if (s->box_lock >= 0)
			close(s->box_lock);
		sbx_cg_slot_close(&s->cg);
	}
	sbx_cg_root_close(&ctx->cgroot);
	if (ctx->rundir[0] && ctx->rundir_own) {
		/* everything below it goes with it (a template's stays) */
		umount2(ctx->rundir, MNT_DETACH);
		rmdir(ctx->rundir);
	}
	sbx_view_fini(&ctx->view);
	if (ctx->mask_dir_fd >= 0)
		close(ctx->mask_dir_fd);
	if (ctx->status_pages)
		munmap(ctx->status_pages, ctx->status_len);
	for (size_t i = 0; ctx->binds_own && ctx->binds_own[i]; i++)
		free(ctx->binds_own[i]);
	free(ctx->binds_own);
	free(ctx->slots);
	pthread_cond_destroy(&ctx->cv);
	pthread_mutex_destroy(&ctx->mu);
	free(ctx);
}

/* ----------------------------------------------------------------- slots */

static int slot_lock_fd(struct slot *s)
{
	return s->cg.lock_fd >= 0 ? s->cg.lock_fd : s->box_lock;
}

/*
 * Take a slot: free in this process (mutex) and in every other process
 * sharing the cgroup tree (flock on the slot's cgroup directory).
 */
static struct slot *slot_acquire(struct sbx_ctx *ctx, int want, char *err,
                                 size_t errlen)
{
	for (;;) {
		bool waited_on_other = false;
		pthread_mutex_lock(&ctx->mu);
		for (unsigned i = 0; i < ctx->nslots; i++) {
			struct slot *s = &ctx->slots[i];
			if (want >= 0 && (unsigned)want != i)
				continue;
			if (s->busy)
				continue;
			if (s->cg.lock_fd < 0 &&
			    ctx->cgmode != SBX_CGROUP_NONE) {
				/* a templated context's slots open on use */
				int r = sbx_cg_slot_open(&ctx->cgroot, i,
				                         &s->cg, err, errlen);
				if (r < 0) {
					pthread_mutex_unlock(&ctx->mu);
					return NULL;
				}
			}
			if (flock(slot_lock_fd(s), LOCK_EX | LOCK_NB) < 0) {
				waited_on_other = true;
				continue;
			}
			s->busy = true;
			pthread_mutex_unlock(&ctx->mu);
			return s;
		}
		if (!waited_on_other) {
			pthread_cond_wait(&ctx->cv, &ctx->mu);
			pthread_mutex_unlock(&ctx->mu);
			continue;
		}
		pthread_mutex_unlock(&ctx->mu);
		/* held by another process: poll for it */
		usleep(2000);
	}
}

static void slot_release(struct sbx_ctx *ctx, struct slot *s)
{
	pthread_mutex_lock(&ctx->mu);
	flock(slot_lock_fd(s), LOCK_UN);
	s->busy = false;
	pthread_cond_broadcast(&ctx->cv);
	pthread_mutex_unlock(&ctx->mu);
}

/* ------------------------------------------------------------------ jobs */

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255 || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	return strchr(name, '/') == NULL;
}

static int mount_box(const struct slot *s, const struct sbx_limits *l,
                     char *err, size_t errlen)
{
	char opts[160];

	snprintf(opts, sizeof(opts),
	         "size=%llu,nr_inodes=%llu,mode=0755,uid=%u,gid=%u",
	         (unsigned long long)l->box_size, (unsigned long long)l->inodes,
	         (unsigned)s->uid, (unsigned)s->gid);
	if (mount("tmpfs", s->box, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
		int e = errno;
		sbx_seterr(err, errlen, "cannot mount the box: %s",
		           strerror(e));
		return -e;
	}
	return 0;
}

static int fill_box(const struct slot *s, const struct sbx_job *job, char *err,
                    size_t errlen)
{
	int dfd = open(s->box, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (dfd < 0)
		return -errno;
	/* the fresh tmpfs holds nothing yet: no link can be in the way */
	if (mkdirat(dfd, SBX_OUT_DIR, 0755) < 0 ||
	    fchownat(dfd, SBX_OUT_DIR, s->uid, s->gid, AT_SYMLINK_NOFOLLOW) <
	            0) {
		r = -errno;
		sbx_seterr(err, errlen,
		           "cannot create the box's %s directory: %s",
		           SBX_OUT_DIR, strerror(errno));
		close(dfd);
		return r;
	}
	for (size_t i = 0; i < job->nfiles; i++) {
		const struct sbx_file *f = &job->files[i];
		size_t off = 0;
		int fd;

		if (!f->name || !valid_name(f->name)) {
			sbx_seterr(
			        err, errlen,
			        "bad file name '%s': one path component, no '/', not '.' or '..'",
			        f->name ? f->name : "");
			r = -EINVAL;
			break;
		}
		if (strcmp(f->name, SBX_OUT_DIR) == 0) {
			sbx_seterr(
			        err, errlen,
			        "bad file name '%s': the box's directory for the files a program returns has that name",
			        f->name);
			r = -EINVAL;
			break;
		}
		fd = openat(dfd, f->name,
		            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		                    O_CLOEXEC,
		            f->executable ? 0755 : 0644);
		if (fd < 0) {
			r = -errno;
			sbx_seterr(err, errlen,
			           "cannot create %s in the box: %s", f->name,
			           errno == EEXIST ? "two files with that name"
			                           : strerror(errno));
			break;
		}
		while (off < f->len) {
			ssize_t k = write(fd, f->data + off, f->len - off);
			if (k < 0) {
				if (errno == EINTR)
					continue;
				r = -errno;
				break;
			}
			off += (size_t)k;
		}
		if (r == 0 && fchown(fd, s->uid, s->gid) < 0)
			r = -errno;
		close(fd);
		if (r < 0) {
			sbx_seterr(err, errlen,
			           "cannot write %s into the box: %s", f->name,
			           r == -ENOSPC ? "the files exceed box_size"
			                        : strerror(-r));
			break;
		}
	}
	close(dfd);
	return r;
}

/*
 * The files the program left in the box's out/, taken before the box is
 * unmounted (outfiles.c says how a hostile box is read).  The box's own
 * directory is ours: its mount point is in the run dir, which no program
 * sees.
 */
static int collect_out(const struct slot *s, const struct sbx_limits *l,
                       struct sbx_out *out, char *err, size_t errlen)
{
	int bfd = open(s->box, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (bfd < 0) {
		r = -errno;
		sbx_seterr(err, errlen, "cannot open the box: %s",
		           strerror(errno));
		return r;
	}
	r = sbx_out_collect(bfd, SBX_OUT_DIR, l, out);
	close(bfd);
	if (r < 0)
		sbx_seterr(err, errlen,
		           "cannot collect the files of the box's %s: %s",
		           SBX_OUT_DIR, strerror(-r));
	return r;
}

int sbx_run(struct sbx_ctx *ctx, const struct sbx_job *job,
            struct sbx_job_result *res, char *err, size_t errlen)
{
	struct slot *s;
	struct sbx_limits boxlim;
	sigset_t pipe_set, old_set;
	int r = 0;

	memset(res, 0, sizeof(*res));
	res->slot = -1;
	if (job->slot >= (int)ctx->nslots) {
		sbx_seterr(err, errlen, "no slot %d (there are %u)", job->slot,
		           ctx->nslots);
		res->verdict = SBX_INTERNAL_ERROR;
		return -EINVAL;
	}
	if ((!job->compile && !job->run && !job->nruns) ||
	    (job->run && job->nruns) || (job->nruns && !job->runs)) {
		sbx_seterr(err, errlen,
		           job->run && job->nruns ? "give run or runs, not both"
		                                  : "nothing to run");
		res->verdict = SBX_INTERNAL_ERROR;
		return -EINVAL;
	}
	/* a program closing stdin early must not SIGPIPE the caller */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);

	s = slot_acquire(ctx, job->slot, err, errlen);
	if (!s) {
		pthread_sigmask(SIG_SETMASK, &old_set, NULL);
		res->verdict = SBX_INTERNAL_ERROR;
		return -EIO;
	}
	res->slot = (int)s->index;
	/* made on first use: a CLI run pays for one slot, not for all */
	r = slot_prepare(ctx, s, err, errlen);
	if (r < 0)
		goto out_release;

	/* the box lives as long as the job: size it for the larger stage */
	boxlim = job->run     ? job->run->limits
	         : job->nruns ? job->runs[0].limits
	                      : job->compile->limits;
	for (size_t i = 1; i < job->nruns; i++) {
		if (job->runs[i].limits.box_size > boxlim.box_size)
			boxlim.box_size = job->runs[i].limits.box_size;
		if (job->runs[i].limits.inodes > boxlim.inodes)
			boxlim.inodes = job->runs[i].limits.inodes;
	}
	if (job->compile && (job->run || job->nruns)) {
		if (job->compile->limits.box_size > boxlim.box_size)
			boxlim.box_size = job->compile->limits.box_size;
		if (job->compile->limits.inodes > boxlim.inodes)
			boxlim.inodes = job->compile->limits.inodes;
	}
	r = mount_box(s, &boxlim, err, errlen);
	if (r < 0)
		goto out_release;
	r = fill_box(s, job, err, errlen);
	if (r < 0)
		goto out_umount;

	res->verdict = SBX_ACCEPTED;
	if (job->compile) {
		res->compiled = true;
		r = sbx_stage_run(ctx, s, job->compile, &res->compile);
		if (job->on_stage_end)
			job->on_stage_end(job->arg, job->compile,
			                  &res->compile);
		if (r < 0) {
			sbx_seterr(err, errlen, "%s", res->compile.message);
			res->verdict = SBX_INTERNAL_ERROR;
			goto out_umount;
		}
		if (res->compile.verdict != SBX_ACCEPTED) {
			res->verdict = SBX_COMPILE_ERROR;
			goto out_umount;
		}
	}
	if (job->run) {
		res->ran = true;
		r = sbx_stage_run(ctx, s, job->run, &res->run);
		if (job->on_stage_end)
			job->on_stage_end(job->arg, job->run, &res->run);
		if (r < 0)
			sbx_seterr(err, errlen, "%s", res->run.message);
		res->verdict = res->run.verdict;
	}
	if (job->nruns) {
		res->runs = calloc(job->nruns, sizeof(*res->runs));
		if (!res->runs) {
			r = -ENOMEM;
			sbx_seterr(err, errlen, "out of memory");
			goto out_umount;
		}
		for (size_t i = 0; i < job->nruns; i++) {
			struct sbx_stage_result *rr = &res->runs[i];
			res->nruns++;
			r = sbx_stage_run(ctx, s, &job->runs[i], rr);
			if (job->on_stage_end)
				job->on_stage_end(job->arg, &job->runs[i], rr);
			if (r < 0) {
				sbx_seterr(err, errlen, "%s", rr->message);
				break;
			}
			if (rr->verdict != SBX_ACCEPTED &&
			    res->verdict == SBX_ACCEPTED)
				res->verdict = rr->verdict;
			if (rr->cancelled)
				break;
		}
	}

	if (r == 0 && job->collect_out && (res->ran || res->nruns))
		r = collect_out(s,
		                job->run ? &job->run->limits
		                         : &job->runs[res->nruns - 1].limits,
		                &res->out, err, errlen);

out_umount:
	/* the only cleanup: never a path walk inside the box */
	if (umount2(s->box, MNT_DETACH) < 0 && r == 0) {
		r = -errno;
		sbx_seterr(err, errlen, "cannot unmount the box: %s",
		           strerror(errno));
	}
out_release:
	slot_release(ctx, s);
	{
		/* swallow a SIGPIPE raised while stdin was being fed */
		struct timespec zero = {0, 0};
		sigset_t pending;
		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE) &&
		    !sigismember(&old_set, SIGPIPE))
			sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	if (r < 0 && res->verdict != SBX_COMPILE_ERROR)
		res->verdict = SBX_INTERNAL_ERROR;
	return r;
}

void sbx_job_result_fini(struct sbx_job_result *res)
{
	if (!res)
		return;
	sbx_stage_result_fini(&res->compile);
	sbx_stage_result_fini(&res->run);
	for (size_t i = 0; i < res->nruns; i++)
		sbx_stage_result_fini(&res->runs[i]);
	free(res->runs);
	res->runs = NULL;
	res->nruns = 0;
	sbx_out_fini(&res->out);
}

/* ---------------------------------------------------------------- probe */

static bool try_unshare(int flags)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(unshare(flags) == 0 ? 0 : 1);
	if (waitpid(pid, &st, 0) < 0)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool try_seccomp(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return false;
	if (pid == 0) {
		struct sock_filter allow[] = {
		        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
		struct sock_fprog prog = {1, allow};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(1);
		_exit(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) ==
		                      0
		              ? 0
		              : 1);
	}
	if (waitpid(pid, &st, 0) < 0)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool try_userns(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return false;
	if (pid == 0) {
		/* as an unprivileged user would: drop root first if we have it */
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 ||
		                       setresgid(65534, 65534, 65534) < 0 ||
		                       setresuid(65534, 65534, 65534) < 0))
			_exit(1);
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
	}
	if (waitpid(pid, &st, 0) < 0)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

void sbx_host_probe(struct sbx_host_report *r)
{
	static const int ns[] = {CLONE_NEWPID, CLONE_NEWNS,  CLONE_NEWNET,
	                         CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP};
	bool root = geteuid() == 0;

	memset(r, 0, sizeof(*r));
	r->root = root;
	r->userns = try_userns();
	r->seccomp = try_seccomp();
	sbx_cg_probe(&r->cgroup, r->controllers, sizeof(r->controllers),
	             r->cgroup_detail, sizeof(r->cgroup_detail));
	for (int i = 0; i < 6; i++)
		r->namespaces[i] =
		        try_unshare(root ? ns[i] : ns[i] | CLONE_NEWUSER);
}
