/*
 * template.c - the CLI's template namespaces.
 *
 * A daemon builds each slot's root once, at start, and keeps it for its
 * life.  A CLI run would build one, use it once and tear it down, and that
 * was most of what a short run cost.  So in root mode the CLI keeps each
 * slot's root in a mount namespace of its own, held by a bind mount of its
 * nsfs file, with the slot's network namespace beside it:
 *
 *   DIR/lock              flock: one process at a time builds or removes
 *   DIR/KEY/slotN.mnt     the mount namespace, whose run dir is a tmpfs
 *                         over DIR/KEY/slotN.run (the slot's root, the
 *                         /proc views, the box's mount point)
 *   DIR/KEY/slotN.net     the network namespace (loopback only)
 *   DIR/KEY/slotN.run/    that mount point; empty on the host
 *
 * DIR (sbx_config.template_dir, /run/runpad-jail for the CLI) is a private
 * bind of itself, so nothing held there propagates to other namespaces.
 * A run joins the slot's namespace with setns() and mounts only its box
 * there; the stage's init copies that namespace as before.  Every slot has
 * its own namespace, so a stage's copy holds one root, not all of them.
 *
 * KEY hashes everything the root is made of: the bind list, with the
 * type, device, inode, size and mtime of each host path (so a new
 * /etc/ld.so.cache or a package installed under /usr, which touches
 * /var/lib/dpkg/status, makes a new template), the slots' ids, the CPU
 * affinity the /proc views describe, the boot, and this binary.  A
 * template unused for an hour, or beyond the four most recently used,
 * is removed when another is built; a process still inside one keeps it
 * alive until it exits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jail.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/* changes whenever the layout of a template changes */
#define TEMPLATE_FORMAT "runpad-template-2"
#define KEEP_OTHERS     3
#define MAX_IDLE_S      3600

/* ------------------------------------------------------------------ key */

static void fnv(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= 0x100000001b3ULL;
	}
}

static void key_path(uint64_t *h, const char *path, bool follow)
{
	struct stat st;

	fnv(h, path, strlen(path) + 1);
	if ((follow ? stat(path, &st) : lstat(path, &st)) < 0) {
		fnv(h, "-", 1);
		return;
	}
	fnv(h, &st.st_dev, sizeof(st.st_dev));
	fnv(h, &st.st_ino, sizeof(st.st_ino));
	fnv(h, &st.st_mode, sizeof(st.st_mode));
	fnv(h, &st.st_size, sizeof(st.st_size));
	fnv(h, &st.st_mtim, sizeof(st.st_mtim));
}

void sbx_template_key(const struct sbx_ctx *ctx, char out[17])
{
	static const char *const fixed[] = {
	        "/bin",   "/sbin",   "/lib",  "/lib32",
	        "/lib64", "/libx32", "/proc", "/var/lib/dpkg/status",
	};
	uint64_t h = 0xcbf29ce484222325ULL;
	char boot[64] = "";
	cpu_set_t cpus;
	int fd;

	fnv(&h, TEMPLATE_FORMAT, sizeof(TEMPLATE_FORMAT));
	key_path(&h, "/proc/self/exe", true);
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, boot, sizeof(boot) - 1);
		if (n > 0)
			fnv(&h, boot, (size_t)n);
		close(fd);
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		key_path(&h, fixed[i], false);
	for (const char *const *b = ctx->binds; *b; b++) {
		glob_t g;
		if (!strpbrk(*b, "*?[")) {
			key_path(&h, *b, false);
			continue;
		}
		fnv(&h, *b, strlen(*b) + 1);
		if (glob(*b, 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++)
			key_path(&h, g.gl_pathv[i], false);
		globfree(&g);
	}
	fnv(&h, &ctx->nslots, sizeof(ctx->nslots));
	for (unsigned i = 0; i < ctx->nslots; i++) {
		fnv(&h, &ctx->slots[i].uid, sizeof(ctx->slots[i].uid));
		fnv(&h, &ctx->slots[i].gid, sizeof(ctx->slots[i].gid));
	}
	CPU_ZERO(&cpus);
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		fnv(&h, &cpus, sizeof(cpus));
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* ------------------------------------------------------------ holders */

static bool is_nsfs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

/* fd of the namespace held at path, or -1 when none is */
static int open_held(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd >= 0 && !is_nsfs(fd)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A holder's name: slotN.mnt or slotN.net. */
static bool is_holder(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && (strcmp(name + n - 4, ".mnt") == 0 ||
	                 strcmp(name + n - 4, ".net") == 0);
}

/* Unmount every layer mounted on dir/name (in our mount namespace). */
static void unmount_holder(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%.200s/%.200s", dir, name);
	while (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
}

/* Unmount and remove a holder file. */
static void drop_holder(int dirfd, const char *dir, const char *name)
{
	unmount_holder(dir, name);
	unlinkat(dirfd, name, 0);
}

/* Remove the template directory dir (its holders and mount points). */
static void remove_template(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (is_holder(e->d_name))
			drop_holder(dirfd(d), dir, e->d_name);
		else
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
	rmdir(dir);
}

struct aged {
	char name[64];
	time_t mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	return (x->mtime < y->mtime) - (x->mtime > y->mtime);
}

/* Remove templates other than `keep` that are idle or too many. */
static void remove_stale(const char *base, const char *keep)
{
	struct aged list[64];
	size_t n = 0;
	time_t now = time(NULL);
	DIR *d = opendir(base);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d)) && n < sizeof(list) / sizeof(list[0])) {
		struct stat st;
		if (e->d_name[0] == '.' || strcmp(e->d_name, "lock") == 0 ||
		    strcmp(e->d_name, keep) == 0 ||
		    strlen(e->d_name) >= sizeof(list[0].name))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		            0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		snprintf(list[n].name, sizeof(list[n].name), "%.63s",
		         e->d_name);
		list[n++].mtime = st.st_mtime;
	}
	closedir(d);
	qsort(list, n, sizeof(list[0]), newest_first);
	for (size_t i = 0; i < n; i++) {
		if (i < KEEP_OTHERS && now - list[i].mtime < MAX_IDLE_S)
			continue;
		snprintf(path, sizeof(path), "%.200s/%.63s", base,
		         list[i].name);
		remove_template(path);
	}
}

/* DIR exists, is root's only, and is a private mount of its own. */
static int base_prepare(const char *base, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(base, 0700) < 0 && errno != EEXIST)
		goto fail;
	if (lstat(base, &st) < 0)
		goto fail;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077)) {
		sbx_seterr(err, errlen,
		           "%s must be a directory of root's, mode 0700", base);
		return -EPERM;
	}
	if (mount(NULL, base, NULL, MS_PRIVATE, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		goto fail;
	/* not a mount point yet */
	if (mount(base, base, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, base, NULL, MS_PRIVATE, NULL) < 0)
		goto fail;
	return 0;
fail:
	sbx_seterr(err, errlen, "cannot prepare %s: %s", base, strerror(errno));
	return -errno;
}

/* ------------------------------------------------------------- building */

/*
 * In a child: a new mount namespace with slot s's run dir and root, and a
 * network namespace.  Tells the parent the network namespace's fd number
 * and why some path is shared (ctx->root_shared), then waits until the
 * parent has bound both namespaces, and exits.
 */
__attribute__((noreturn)) static void build_child(struct sbx_ctx *ctx,
                                                  struct slot *s,
                                                  const char *keydir, int up,
                                                  int down)
{
	char msg[1 + sizeof(int) + sizeof(ctx->root_shared) + 256];
	char err[256] = "";
	DIR *d;
	struct dirent *e;
	int r, netfd = -1;

	r = unshare(CLONE_NEWNS) < 0 ? -errno : 0;
	if (r == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		r = -errno;
	if (r < 0)
		sbx_seterr(err, sizeof(err),
		           "cannot create a mount namespace: %s", strerror(-r));
	/* the other slots' holders are not this namespace's to keep */
	if (r == 0 && (d = opendir(keydir))) {
		while ((e = readdir(d)))
			if (is_holder(e->d_name))
				unmount_holder(keydir, e->d_name);
		closedir(d);
	}
	if (r == 0)
		r = sbx_rundir_mount(ctx->rundir, 1, err, sizeof(err));
	if (r == 0)
		r = sbx_mask_make(ctx, err, sizeof(err));
	if (r == 0 && mkdir(s->box, 0755) < 0) {
		r = -errno;
		sbx_seterr(err, sizeof(err), "cannot create %s: %s", s->box,
		           strerror(errno));
	}
	if (r == 0) {
		r = sbx_root_build(ctx, s, err, sizeof(err));
		if (r < 0 && !err[0])
			sbx_seterr(err, sizeof(err),
			           "cannot build the jail root: %s",
			           strerror(-r));
	}
	if (r == 0) {
		netfd = sbx_netns_make(err, sizeof(err));
		if (netfd < 0)
			r = netfd;
	}
	msg[0] = r == 0;
	memcpy(msg + 1, &netfd, sizeof(int));
	snprintf(msg + 1 + sizeof(int), sizeof(msg) - 1 - sizeof(int), "%s",
	         r == 0 ? ctx->root_shared : err);
	if (write(up, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		_exit(1);
	(void)!read(down, msg, 1);
	_exit(0);
}

static int bind_ns(const char *src, const char *dst, char *err, size_t errlen)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 || (close(fd), mount(src, dst, NULL, MS_BIND, NULL) < 0)) {
		int e = errno;
		sbx_seterr(err, errlen, "cannot hold a namespace at %s: %s",
		           dst, strerror(e));
		return -e;
	}
	return 0;
}

/* Build slot s's template under keydir (we hold the lock). */
static int build(struct sbx_ctx *ctx, struct slot *s, const char *keydir,
                 char *err, size_t errlen)
{
	char msg[1 + sizeof(int) + sizeof(ctx->root_shared) + 256];
	char src[64], dst[512];
	int up[2], down[2], netfd, r = 0;
	pid_t pid;

	if (mkdir(keydir, 0700) < 0 && errno != EEXIST)
		goto fail;
	snprintf(dst, sizeof(dst), "%s/slot%u.run", keydir, s->index);
	if (mkdir(dst, 0700) < 0 && errno != EEXIST)
		goto fail;
	/* a holder left half made by a build that died */
	for (int k = 0; k < 2; k++) {
		char name[32];
		snprintf(name, sizeof(name), "slot%u.%s", s->index,
		         k ? "net" : "mnt");
		drop_holder(AT_FDCWD, keydir, name);
	}
	if (pipe2(up, O_CLOEXEC) < 0)
		goto fail;
	if (pipe2(down, O_CLOEXEC) < 0) {
		close(up[0]);
		close(up[1]);
		goto fail;
	}
	pid = fork();
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		build_child(ctx, s, keydir, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	if (pid < 0) {
		r = -errno;
		sbx_seterr(err, errlen, "cannot fork: %s", strerror(errno));
	} else if (read(up[0], msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
		r = -EIO;
		sbx_seterr(err, errlen, "the template builder died");
	} else if (!msg[0]) {
		r = -EIO;
		msg[sizeof(msg) - 1] = '\0';
		sbx_seterr(err, errlen, "%s", msg + 1 + sizeof(int));
	} else {
		memcpy(&netfd, msg + 1, sizeof(int));
		msg[sizeof(msg) - 1] = '\0';
		snprintf(ctx->root_shared, sizeof(ctx->root_shared), "%.159s",
		         msg + 1 + sizeof(int));
		/* the network namespace first: a mount namespace held means
		   the template is whole */
		snprintf(src, sizeof(src), "/proc/%d/fd/%d", (int)pid, netfd);
		snprintf(dst, sizeof(dst), "%s/slot%u.net", keydir, s->index);
		r = bind_ns(src, dst, err, errlen);
		snprintf(src, sizeof(src), "/proc/%d/ns/mnt", (int)pid);
		snprintf(dst, sizeof(dst), "%s/slot%u.mnt", keydir, s->index);
		if (r == 0)
			r = bind_ns(src, dst, err, errlen);
	}
	close(down[1]); /* the child may exit */
	close(up[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return r;
fail:
	r = -errno;
	sbx_seterr(err, errlen, "cannot create %s: %s", dst, strerror(errno));
	return r;
}

/* ---------------------------------------------------------------- enter */

int sbx_template_enter(struct sbx_ctx *ctx, struct slot *s, char *err,
                       size_t errlen)
{
	char key[17], keydir[100], path[256];
	int mntfd, netfd, lock = -1, r;

	sbx_template_key(ctx, key);
	if (snprintf(keydir, sizeof(keydir), "%s/%s", ctx->template_dir, key) >=
	    (int)sizeof(keydir)) {
		sbx_seterr(err, errlen, "template_dir is too long");
		return -ENAMETOOLONG;
	}
	/* the paths the builder uses, and which the namespace then has */
	snprintf(ctx->rundir, sizeof(ctx->rundir), "%s/slot%u.run", keydir,
	         s->index);
	sbx_slot_paths(ctx, s);
	snprintf(ctx->mask, sizeof(ctx->mask), "%s/mask", ctx->rundir);

	for (int attempt = 0;; attempt++) {
		snprintf(path, sizeof(path), "%s/slot%u.mnt", keydir, s->index);
		mntfd = open_held(path);
		snprintf(path, sizeof(path), "%s/slot%u.net", keydir, s->index);
		netfd = mntfd >= 0 ? open_held(path) : -1;
		if (mntfd >= 0 && netfd >= 0)
			break;
		if (mntfd >= 0)
			close(mntfd);
		if (attempt > 0) {
			/* built under the lock, and still not there */
			if (lock >= 0)
				close(lock);
			if (!err || !err[0])
				sbx_seterr(err, errlen,
				           "the template of slot %u vanished",
				           s->index);
			return -EIO;
		}
		r = base_prepare(ctx->template_dir, err, errlen);
		if (r < 0)
			return r;
		snprintf(path, sizeof(path), "%s/lock", ctx->template_dir);
		lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		            0600);
		if (lock < 0 || flock(lock, LOCK_EX) < 0) {
			r = -errno;
			sbx_seterr(err, errlen, "cannot lock %s: %s", path,
			           strerror(errno));
			if (lock >= 0)
				close(lock);
			return r;
		}
		/* someone may have built it while we waited */
		snprintf(path, sizeof(path), "%s/slot%u.mnt", keydir, s->index);
		mntfd = open_held(path);
		if (mntfd >= 0) {
			close(mntfd);
			continue;
		}
		remove_stale(ctx->template_dir, key);
		r = build(ctx, s, keydir, err, errlen);
		if (r < 0) {
			close(lock);
			return r;
		}
	}
	if (lock >= 0)
		close(lock);
	/* the age remove_stale() goes by */
	utimensat(AT_FDCWD, keydir, NULL, 0);

	if (setns(mntfd, CLONE_NEWNS) < 0) {
		r = -errno;
		sbx_seterr(err, errlen,
		           "cannot join the template of slot %u: %s", s->index,
		           strerror(errno));
		close(mntfd);
		close(netfd);
		return r;
	}
	close(mntfd);
	snprintf(path, sizeof(path), "%s/dir", ctx->mask);
	ctx->mask_dir_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	s->box_lock = open(s->box, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx->mask_dir_fd < 0 || s->box_lock < 0) {
		/* joined, yet not a template of ours: build locally from here
		   (the caller falls back) */
		r = -errno;
		sbx_seterr(err, errlen, "the template of slot %u is damaged",
		           s->index);
		close(netfd);
		return r;
	}
	s->netfd = netfd;
	s->root_ready = true;
	s->meminfo_limit = 0; /* another run may have written it */
	/* a box left mounted by a run that was killed */
	while (umount2(s->box, MNT_DETACH) == 0)
		;
	return 0;
}
