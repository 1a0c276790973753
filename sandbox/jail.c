/*
 * jail.c - the runpad jail: slots, the supervisor and the init.
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
 *           PIPE_BUF, so writes are atomic.
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
 * no planted symlink or hard link can point its cleanup elsewhere.
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

#include "internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The uid a program runs as in rootless mode (mapped to our own). */
#define SBX_ROOTLESS_UID 1000

static const char *const default_binds[] = {
        "/usr",
        "/etc/alternatives",
        "/etc/ld.so.cache",
        "/etc/ld.so.conf",
        "/etc/ld.so.conf.d",
        "/etc/localtime",
        "/etc/ssl/certs",
        "/etc/ca-certificates.conf",
        "/etc/java-17-openjdk",
        "/etc/mono",
        "/etc/fpc.cfg",
        "/etc/fpc-*.cfg",
        "/etc/gnucobol",
        "/etc/nim",
        "/var/lib/chicken",
        "/etc/gprolog",
        "/etc/R",
        "/etc/php",
        "/etc/ocamlfind.conf",
        "/etc/gnat",
        "/etc/emacs",
        "/etc/sbclrc",
        "/etc/racket",
        "/etc/guile",
        "/etc/elixir",
        "/etc/erlang",
        "/var/lib/ghc",
        "/var/lib/dpkg/alternatives",
        NULL,
};

/*
 * The program's status as init saw it, in a page shared with the
 * supervisor (MAP_SHARED, made and touched by the supervisor, so writing
 * it allocates nothing).  A report through the pipe needs a pipe buffer
 * charged to the stage's memory cgroup, which a program that filled the
 * cgroup with tmpfs pages leaves no room for; the page always has room.
 */
struct stage_status {
	int done; /* set last, with release order */
	int status;
	int fsize_evidence;
};

struct slot {
	unsigned index;
	uid_t uid;
	gid_t gid;
	int netfd;      /* the slot's network namespace */
	char root[192]; /* the slot's template root, in the run dir */
	bool root_ready;
	char box[256]; /* mount point of the box, in the run dir */
	int box_lock;  /* fd locked in rlimits-only mode */
	struct stage_status *status; /* shared with the stage's init */
	bool busy;                   /* taken by a thread of this process */
	struct sbx_cgroup cg;
};

struct sbx_ctx {
	bool rootless;
	bool allow_rlimits;
	enum sbx_cgroup_mode cgmode;
	struct sbx_cgroup_root cgroot;
	unsigned nslots;
	struct slot *slots;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sock_fprog seccomp;
	void *status_pages; /* MAP_SHARED, one stage_status per slot */
	size_t status_len;
	char rundir[128];
	char mask[160]; /* read-only tmpfs: "file" (empty) and "dir" (empty) */
	const char *const *binds;
	char **binds_own; /* a copy of the config's list, or NULL */
	bool root_shared; /* a directory of some slot's root is a plain bind
			     (overlayfs refused): its inodes are the host's */
	char path_env[512];
	char lang_env[64];
	long ncpu;
	int last_cap; /* the highest capability this kernel knows */
};

/* ------------------------------------------------------------------ util */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int write_file(const char *path, const char *data)
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

static int create_file_at(const char *path, const char *data, mode_t mode)
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

/* mkdir -p of `path` (absolute, inside the template) */
static int mkdir_p(const char *path, mode_t mode)
{
	char buf[512];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The flags a read-only rebind must keep: in a user namespace the kernel
   refuses to clear flags that the original mount has (they are locked). */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

/* Bind `src` read-only, nosuid, nodev at `dst` (which exists). */
static int bind_ro_at(const char *src, const char *dst, char *err,
                      size_t errlen)
{
	int r;

	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0) {
		r = -errno;
		seterr(err, errlen, "cannot bind %s: %s", src, strerror(errno));
		return r;
	}
	if (mount(NULL, dst, NULL,
	          MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
	                  locked_flags(src),
	          NULL) < 0) {
		r = -errno;
		seterr(err, errlen, "cannot make %s read-only: %s", src,
		       strerror(errno));
		return r;
	}
	return 0;
}

/*
 * A read-only overlay of the host directory `src` at `dst`: the files are
 * the host's, but every inode the jail sees is the overlay's own, so locks
 * (flock, fcntl, OFD) taken on them and inotify marks placed on them stay
 * inside this slot.  A bind would share the host's inodes: two slots could
 * pass bits through a lock on /usr/bin/env, and watch what the host runs.
 * Returns 0, or -errno when overlayfs refuses (the caller binds instead).
 */
static int overlay_ro_at(const struct sbx_ctx *ctx, const char *src,
                         const char *dst)
{
	char opts[600];

	/* ':' and ',' separate overlayfs options; such paths get a bind */
	if (strpbrk(src, ":,\\"))
		return -EINVAL;
	if (snprintf(opts, sizeof(opts), "lowerdir=%s:%s/dir", src,
	             ctx->mask) >= (int)sizeof(opts))
		return -ENAMETOOLONG;
	if (mount("overlay", dst, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV,
	          opts) < 0)
		return -errno;
	return 0;
}

/* Copy the host file `src` into the template at `dst` (a small file the
   toolchains read, such as /etc/ld.so.cache): an inode of the slot's own,
   for the same reason as the overlays. */
static int copy_file(const char *src, const char *dst, const struct stat *st)
{
	char buf[16384];
	int in, out, r = 0;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	           st->st_mode & 0755);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			r = errno ? -errno : -EIO;
			break;
		}
	}
	if (n < 0)
		r = -errno;
	close(in);
	close(out);
	return r;
}

/* Files larger than this are bound, not copied, into each slot's root. */
#define SBX_COPY_MAX (1 << 20)

/*
 * Place the host path `src` at the same path under `root`, read-only,
 * nosuid, nodev: a directory as an overlay (a bind where overlayfs
 * refuses), a small file as a copy, a symlink recreated.
 */
static int place_ro(struct sbx_ctx *ctx, const char *root, const char *src,
                    char *err, size_t errlen)
{
	char dst[512], parent[512];
	struct stat st;
	int r;

	if (lstat(src, &st) < 0)
		return 0; /* not on this host: nothing to place */
	if (snprintf(dst, sizeof(dst), "%s%s", root, src) >= (int)sizeof(dst))
		return -ENAMETOOLONG;
	snprintf(parent, sizeof(parent), "%s", dst);
	*strrchr(parent, '/') = '\0';
	r = mkdir_p(parent, 0755);
	if (r == 0 && S_ISDIR(st.st_mode))
		r = mkdir_p(dst, 0755);
	if (r < 0) {
		seterr(err, errlen, "cannot create mount point %s: %s", dst,
		       strerror(-r));
		return r;
	}
	if (S_ISLNK(st.st_mode)) {
		/* a symlink: recreate it, binds follow links */
		char target[512];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return 0;
		target[n] = '\0';
		if (symlink(target, dst) < 0 && errno != EEXIST)
			return -errno;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (overlay_ro_at(ctx, src, dst) == 0)
			return 0;
		ctx->root_shared = true;
		return bind_ro_at(src, dst, err, errlen);
	}
	if (S_ISREG(st.st_mode) && st.st_size <= SBX_COPY_MAX &&
	    copy_file(src, dst, &st) == 0)
		return 0;
	ctx->root_shared = true;
	{
		int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			r = -errno;
			seterr(err, errlen, "cannot create mount point %s: %s",
			       dst, strerror(errno));
			return r;
		}
		close(fd);
	}
	return bind_ro_at(src, dst, err, errlen);
}

/* ------------------------------------------------------------- template */

/*
 * /dev of a slot's root.  As root: a tmpfs of its own (without nodev) with
 * fresh device nodes, so that no inode is shared with the host or another
 * slot.  Rootless, device nodes cannot be made (nor opened on a mount the
 * user namespace made), so the host's nodes are bound: their inodes are
 * shared, which docs/security.md describes as the one remaining channel.
 */
static int build_dev(const struct sbx_ctx *ctx, const char *root, char *err,
                     size_t errlen)
{
	static const struct {
		const char *name;
		unsigned minor; /* major 1: the memory devices */
	} nodes[] = {{"null", 3},
	             {"zero", 5},
	             {"full", 7},
	             {"random", 8},
	             {"urandom", 9}};
	static const char *const links[][2] = {
	        {"fd", "/proc/self/fd"},
	        {"stdin", "/proc/self/fd/0"},
	        {"stdout", "/proc/self/fd/1"},
	        {"stderr", "/proc/self/fd/2"},
	        {"shm", "/tmp"},
	};
	char dev[512], path[600];
	int r;

	snprintf(dev, sizeof(dev), "%s/dev", root);
	if (mkdir(dev, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (!ctx->rootless &&
	    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC,
	          "size=4k,nr_inodes=32,mode=0755") < 0) {
		r = -errno;
		seterr(err, errlen, "cannot mount the jail's /dev: %s",
		       strerror(errno));
		return r;
	}
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dev, nodes[i].name);
		if (!ctx->rootless) {
			if (mknod(path, S_IFCHR | 0666,
			          makedev(1, nodes[i].minor)) < 0 ||
			    chmod(path, 0666) < 0) {
				r = -errno;
				seterr(err, errlen, "cannot create %s: %s",
				       path, strerror(errno));
				return r;
			}
			continue;
		}
		char src[64];
		snprintf(src, sizeof(src), "/dev/%s", nodes[i].name);
		if ((r = create_file_at(path, "", 0644)) < 0)
			return r;
		if (mount(src, path, NULL, MS_BIND, NULL) < 0) {
			r = -errno;
			seterr(err, errlen, "cannot bind %s: %s", src,
			       strerror(errno));
			return r;
		}
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dev, links[i][0]);
		if (symlink(links[i][1], path) < 0 && errno != EEXIST)
			return -errno;
	}
	if (!ctx->rootless &&
	    mount(NULL, dev, NULL,
	          MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) < 0) {
		r = -errno;
		seterr(err, errlen, "cannot make the jail's /dev read-only: %s",
		       strerror(errno));
		return r;
	}
	return 0;
}

/*
 * A slot's root, made on the slot's first use (or at start in daemons):
 * a tmpfs holding the toolchain directories as read-only overlays, small
 * /etc files as copies, generated /etc files, /dev, and empty mount
 * points; read-only once built.  Each slot has its own, so no two slots
 * share an inode of their roots (see overlay_ro_at).
 */
static int build_template(struct sbx_ctx *ctx, struct slot *slot, char *err,
                          size_t errlen)
{
	static const char *const top_links[] = {"/bin",   "/sbin",  "/lib",
	                                        "/lib32", "/lib64", "/libx32"};
	const char *const *binds = ctx->binds;
	const char *root = slot->root;
	char path[512], buf[4096];
	int r;
	size_t off;

	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV,
	          "size=8m,nr_inodes=4096,mode=0755") < 0) {
		r = -errno;
		seterr(err, errlen, "cannot mount the template root: %s",
		       strerror(errno));
		return r;
	}

	/* /bin, /lib... : symlinks on merged-/usr hosts, else binds */
	for (size_t i = 0; i < sizeof(top_links) / sizeof(top_links[0]); i++) {
		struct stat st;
		if (lstat(top_links[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			char target[256];
			ssize_t n = readlink(top_links[i], target,
			                     sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			snprintf(path, sizeof(path), "%s%s", root,
			         top_links[i]);
			if (symlink(target, path) < 0 && errno != EEXIST)
				return -errno;
		} else if (S_ISDIR(st.st_mode)) {
			r = place_ro(ctx, root, top_links[i], err, errlen);
			if (r < 0)
				return r;
		}
	}
	for (const char *const *b = binds; *b; b++) {
		glob_t g;
		/* a pattern ("/etc/fpc-*.cfg") binds every match */
		if (!strpbrk(*b, "*?[")) {
			r = place_ro(ctx, root, *b, err, errlen);
			if (r < 0)
				return r;
			continue;
		}
		if (glob(*b, GLOB_NOSORT, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			r = place_ro(ctx, root, g.gl_pathv[i], err, errlen);
			if (r < 0) {
				globfree(&g);
				return r;
			}
		}
		globfree(&g);
	}

	/* /etc: only what programs need to know who and where they are */
	snprintf(path, sizeof(path), "%s/etc", root);
	mkdir_p(path, 0755);
	off = (size_t)snprintf(buf, sizeof(buf),
	                       "root:x:0:0:root:/root:/usr/sbin/nologin\n");
	if (ctx->rootless)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		                        "runner:x:%d:%d:runpad:/box:/bin/sh\n",
		                        SBX_ROOTLESS_UID, SBX_ROOTLESS_UID);
	else
		for (unsigned i = 0; i < ctx->nslots && off < sizeof(buf) - 80;
		     i++)
			off += (size_t)snprintf(
			        buf + off, sizeof(buf) - off,
			        "runner:x:%u:%u:runpad:/box:/bin/sh\n",
			        (unsigned)ctx->slots[i].uid,
			        (unsigned)ctx->slots[i].gid);
	snprintf(
	        buf + off, sizeof(buf) - off,
	        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	if ((r = create_file_at(path, buf, 0644)) < 0)
		return r;
	off = (size_t)snprintf(buf, sizeof(buf), "root:x:0:\n");
	if (ctx->rootless)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		                        "runner:x:%d:\n", SBX_ROOTLESS_UID);
	else
		for (unsigned i = 0; i < ctx->nslots && off < sizeof(buf) - 40;
		     i++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			                        "runner:x:%u:\n",
			                        (unsigned)ctx->slots[i].gid);
	snprintf(buf + off, sizeof(buf) - off, "nogroup:x:65534:\n");
	snprintf(path, sizeof(path), "%s/etc/group", root);
	if ((r = create_file_at(path, buf, 0644)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/etc/hosts", root);
	if ((r = create_file_at(path,
	                        "127.0.0.1\tlocalhost runpad\n"
	                        "::1\tlocalhost runpad\n",
	                        0644)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/etc/hostname", root);
	if ((r = create_file_at(path, "runpad\n", 0644)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/etc/nsswitch.conf", root);
	if ((r = create_file_at(path,
	                        "passwd: files\ngroup: files\n"
	                        "hosts: files\n",
	                        0644)) < 0)
		return r;

	r = build_dev(ctx, root, err, errlen);
	if (r < 0)
		return r;
	/* mount points filled per stage */
	static const char *const points[] = {"proc", "tmp", "box"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, points[i]);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	if (mount(NULL, root, NULL,
	          MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) {
		r = -errno;
		seterr(err, errlen, "cannot make the template read-only: %s",
		       strerror(errno));
		return r;
	}
	return 0;
}

/* ------------------------------------------------------------ namespaces */

static int write_id_maps(pid_t pid, uid_t outer_uid, gid_t outer_gid)
{
	char path[64], map[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	r = write_file(path, "deny");
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(map, sizeof(map), "%d %u 1\n", SBX_ROOTLESS_UID,
	         (unsigned)outer_uid);
	if ((r = write_file(path, map)) < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(map, sizeof(map), "%d %u 1\n", SBX_ROOTLESS_UID,
	         (unsigned)outer_gid);
	return write_file(path, map);
}

static void loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

/*
 * A network namespace with only a loopback interface, kept alive by an fd.
 * Made by a short-lived child so that we never leave our own namespace
 * (a rootless process could not come back to it).
 */
static int make_netns(char *err, size_t errlen)
{
	int p[2], q[2], fd = -1;
	pid_t pid;
	char c = 0, path[64];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(q, O_CLOEXEC) < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		close(q[0]);
		close(q[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		close(q[1]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		loopback_up();
		c = 1;
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		(void)!read(q[0], &c, 1); /* wait until the parent has it */
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	if (read(p[0], &c, 1) == 1 && c == 1) {
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	} else {
		fd = -EPERM;
	}
	close(q[1]);
	close(p[0]);
	waitpid(pid, NULL, 0);
	if (fd < 0)
		seterr(err, errlen, "cannot create a network namespace: %s",
		       strerror(-fd));
	return fd;
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

bool sbx_ctx_root_shared(const struct sbx_ctx *ctx)
{
	return ctx->root_shared;
}

static int enter_namespaces(struct sbx_ctx *ctx, char *err, size_t errlen)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid != 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
			int e = errno;
			seterr(err, errlen,
			       "cannot create a user namespace: %s (running "
			       "as a user needs unprivileged user namespaces; "
			       "check kernel.unprivileged_userns_clone and "
			       "user.max_user_namespaces)",
			       strerror(e));
			return -e;
		}
		int r = write_id_maps(getpid(), uid, gid);
		if (r < 0) {
			seterr(err, errlen, "cannot map our uid: %s",
			       strerror(-r));
			return r;
		}
		ctx->rootless = true;
	} else if (unshare(CLONE_NEWNS) < 0) {
		int e = errno;
		seterr(err, errlen, "cannot create a mount namespace: %s",
		       strerror(e));
		return -e;
	}
	/* nothing we mount may leak back to the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		int e = errno;
		seterr(err, errlen, "cannot make our mounts private: %s",
		       strerror(e));
		return -e;
	}
	return 0;
}

/*
 * The run dir's "mask": a read-only tmpfs holding an empty file and an
 * empty directory.  /proc files that describe the host are covered with
 * the file, and the overlays use the directory as their second, empty
 * lower layer.
 */
static int make_mask(struct sbx_ctx *ctx, char *err, size_t errlen)
{
	char path[200];
	int r;

	snprintf(ctx->mask, sizeof(ctx->mask), "%s/mask", ctx->rundir);
	if (mkdir(ctx->mask, 0755) < 0)
		return -errno;
	if (mount("tmpfs", ctx->mask, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          "size=4k,nr_inodes=8,mode=0755") < 0) {
		r = -errno;
		seterr(err, errlen, "cannot mount %s: %s", ctx->mask,
		       strerror(errno));
		return r;
	}
	snprintf(path, sizeof(path), "%s/file", ctx->mask);
	if ((r = create_file_at(path, "", 0444)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/dir", ctx->mask);
	if (mkdir(path, 0555) < 0)
		return -errno;
	if (mount(NULL, ctx->mask, NULL,
	          MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          NULL) < 0) {
		r = -errno;
		seterr(err, errlen, "cannot make %s read-only: %s", ctx->mask,
		       strerror(errno));
		return r;
	}
	return 0;
}

/* Keep the list of binds: slot roots are built after sbx_ctx_new. */
static int copy_binds(struct sbx_ctx *ctx, const char *const *binds)
{
	size_t n = 0;

	if (!binds) {
		ctx->binds = default_binds;
		return 0;
	}
	while (binds[n])
		n++;
	ctx->binds_own = calloc(n + 1, sizeof(char *));
	if (!ctx->binds_own)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ctx->binds_own[i] = strdup(binds[i]);
		if (!ctx->binds_own[i])
			return -ENOMEM;
	}
	ctx->binds = (const char *const *)ctx->binds_own;
	return 0;
}

/* A slot's root and network namespace, made once. */
static int slot_prepare(struct sbx_ctx *ctx, struct slot *s, char *err,
                        size_t errlen)
{
	int r;

	if (!s->root_ready) {
		r = build_template(ctx, s, err, errlen);
		if (r < 0) {
			if (err && !err[0])
				seterr(err, errlen,
				       "cannot build the jail root: %s",
				       strerror(-r));
			umount2(s->root, MNT_DETACH);
			return r;
		}
		s->root_ready = true;
	}
	if (s->netfd < 0) {
		r = make_netns(err, errlen);
		if (r < 0)
			return r;
		s->netfd = r;
	}
	return 0;
}

int sbx_ctx_new(const struct sbx_config *c, struct sbx_ctx **out, char *err,
                size_t errlen)
{
	struct sbx_config defc;
	struct sbx_ctx *ctx;
	char cgerr[256] = "";
	const char *tmpdir;
	int r;

	*out = NULL;
	if (!c) {
		sbx_config_default(&defc);
		c = &defc;
	}
	if (c->slots == 0 || c->slots > 1024) {
		seterr(err, errlen, "slots must be 1 to 1024, not %u",
		       c->slots);
		return -EINVAL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
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
			seterr(err, errlen,
			       "%s; refusing to run without a cgroup (allow it "
			       "with rlimits only: --rlimits-only, or "
			       "rlimits_only = yes)",
			       cgerr);
			goto out_free;
		}
		ctx->cgmode = SBX_CGROUP_NONE;
	} else {
		ctx->cgmode = ctx->cgroot.mode;
	}

	r = enter_namespaces(ctx, err, errlen);
	if (r < 0)
		goto out_free;
	for (unsigned i = 0; i < c->slots; i++) {
		struct slot *s = &ctx->slots[i];
		s->uid = ctx->rootless ? SBX_ROOTLESS_UID : c->first_uid + i;
		s->gid = ctx->rootless ? SBX_ROOTLESS_UID : c->first_gid + i;
	}

	tmpdir = getenv("RUNTIME_DIRECTORY");
	if (!tmpdir || !*tmpdir || strlen(tmpdir) > 80)
		tmpdir = "/tmp";
	snprintf(ctx->rundir, sizeof(ctx->rundir), "%s/runpad-jail.XXXXXX",
	         tmpdir);
	if (!mkdtemp(ctx->rundir)) {
		r = -errno;
		seterr(err, errlen, "cannot create %s: %s", ctx->rundir,
		       strerror(errno));
		ctx->rundir[0] = '\0';
		goto out_free;
	}
	if (mount("tmpfs", ctx->rundir, "tmpfs", MS_NOSUID | MS_NODEV,
	          "size=1m,nr_inodes=4096,mode=0700") < 0) {
		r = -errno;
		seterr(err, errlen, "cannot mount the run dir: %s",
		       strerror(errno));
		goto out_free;
	}
	r = make_mask(ctx, err, errlen);
	if (r < 0)
		goto out_free;
	r = copy_binds(ctx, c->binds);
	if (r < 0) {
		seterr(err, errlen, "out of memory");
		goto out_free;
	}
	for (unsigned i = 0; i < c->slots; i++) {
		struct slot *s = &ctx->slots[i];
		snprintf(s->box, sizeof(s->box), "%s/box%u", ctx->rundir, i);
		snprintf(s->root, sizeof(s->root), "%s/root%u", ctx->rundir, i);
		if (mkdir(s->box, 0755) < 0) {
			r = -errno;
			seterr(err, errlen, "cannot create %s: %s", s->box,
			       strerror(errno));
			goto out_free;
		}
		s->box_lock = open(s->box, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ctx->cgmode != SBX_CGROUP_NONE) {
			r = sbx_cg_slot_open(&ctx->cgroot, i, &s->cg, err,
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
	}

	r = sbx_seccomp_build(&ctx->seccomp, err, errlen);
	if (r < 0)
		goto out_free;
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
	if (ctx->rundir[0]) {
		/* everything below it goes with it */
		umount2(ctx->rundir, MNT_DETACH);
		rmdir(ctx->rundir);
	}
	sbx_seccomp_free(&ctx->seccomp);
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
static struct slot *slot_acquire(struct sbx_ctx *ctx, int want)
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

/* ------------------------------------------------------------ the child */

enum report_kind { REP_STATUS = 1, REP_SETUP = 2, REP_EXEC = 3 };

struct report {
	int kind;
	int value;          /* wait status, or errno */
	int fsize_evidence; /* REP_STATUS: a file reached the file_size cap */
	char what[116];
};

/* Everything a stage's children need, prepared before the clone. */
struct stage_plan {
	const struct sbx_ctx *ctx;
	const struct slot *slot;
	char *const *argv;
	char *const *envp;
	const struct sbx_limits *lim;
	bool rlimits_only;
	bool self_attach; /* v1: init moves itself into the slot's cgroup */
	int go_rd;
	int rep_wr;
	struct stage_status *shared;
	int in_rd, out_wr, err_wr;
	char proc_path[200], tmp_path[200], box_path[200];
	char tmp_opts[96];
};

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
		write_file("/proc/self/oom_score_adj", "0");
	else
		write_file("/proc/self/oom_score_adj", "1000");
	/* An unset audit loginuid can be set once by anyone: set it to the
	   slot's uid while we may, so the program cannot claim auid 0 in the
	   host's audit records.  (In a user namespace the kernel refuses the
	   write to everyone.) */
	if (!p->ctx->rootless) {
		fmt_uint(num, (unsigned)p->slot->uid);
		write_file("/proc/self/loginuid", num);
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
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p->ctx->seccomp, 0, 0) <
	    0)
		child_fail(rep, REP_SETUP, errno, "load seccomp filter");
	execve(p->argv[0], p->argv, p->envp);
	child_fail(rep, REP_EXEC, errno, p->argv[0]);
}

/*
 * Close every fd but the ones in keep[].  init is a copy of the supervisor
 * without an exec, so it holds the supervisor's ends of its own pipes (a
 * held stdin write end would mean the program never sees EOF) and, in a
 * threaded runner, every other stage's fds as well.
 */
static void close_all_but(int *keep, int n)
{
	int lo = 3;

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
__attribute__((noreturn)) static void run_init(const struct stage_plan *p)
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
	              p->slot->cg.tasks_fd[2]};
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
	init_spared = write_file("/proc/self/oom_score_adj", "-1000") == 0;

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

/* ------------------------------------------------------- the supervisor */

struct outbuf {
	char *buf;
	size_t len, cap, max;
	bool truncated;
};

/* Append, keeping at most max bytes; false once something was dropped. */
static bool outbuf_add(struct outbuf *o, const char *data, size_t n)
{
	size_t room = o->max - o->len;
	size_t take = n < room ? n : room;

	if (take) {
		if (o->len + take + 1 > o->cap) {
			size_t nc = o->cap ? o->cap : 4096;
			while (nc < o->len + take + 1)
				nc *= 2;
			if (nc > o->max + 1)
				nc = o->max + 1;
			char *nb = realloc(o->buf, nc);
			if (!nb)
				return false;
			o->buf = nb;
			o->cap = nc;
		}
		memcpy(o->buf + o->len, data, take);
		o->len += take;
		o->buf[o->len] = '\0';
	}
	if (take < n)
		o->truncated = true;
	return take == n;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A read of less than this many bytes makes the supervisor leave that
   pipe alone for SBX_DRAIN_HOLD_NS, so that small writes pile up in it. */
#define SBX_DRAIN_BATCH   16384
#define SBX_DRAIN_HOLD_NS 1000000ull

/*
 * Read what is ready on one output pipe into its buffer and hand the kept
 * part to the streaming callback.  Closes the fd at EOF.  Returns true when
 * bytes had to be dropped: the cap is reached and the stage must end.
 *
 * The supervisor's cost must not follow the program's write count: a
 * program making a million one-byte writes would otherwise wake it a
 * million times, outside every cgroup.  After a small read the pipe is not
 * polled again for a millisecond (*hold), so the supervisor reads at most
 * about a thousand times a second per stream, whatever the program does;
 * the pipe's buffer (64 KiB) holds what comes meanwhile, and output still
 * streams within a millisecond.
 */
static bool drain_stream(int *fd, struct outbuf *o, const struct sbx_stage *st,
                         int stream, uint64_t *hold)
{
	char buf[65536];
	ssize_t k = read(*fd, buf, sizeof(buf));
	size_t before = o->len;
	bool fit;

	if (k <= 0) {
		if (k == 0 || errno != EAGAIN)
			close_fd(fd);
		return false;
	}
	if (k < SBX_DRAIN_BATCH)
		*hold = now_ns() + SBX_DRAIN_HOLD_NS;
	fit = outbuf_add(o, buf, (size_t)k);
	if (st->on_output && o->len > before)
		st->on_output(st->arg, stream, o->buf + before,
		              o->len - before);
	return !fit;
}

static char **build_env(const struct sbx_ctx *ctx, const char *const *extra)
{
	size_t n = 0;
	char **env;

	while (extra && extra[n])
		n++;
	env = calloc(n + 4, sizeof(char *));
	if (!env)
		return NULL;
	env[0] = (char *)ctx->path_env;
	env[1] = (char *)"HOME=/box";
	env[2] = (char *)ctx->lang_env;
	for (size_t i = 0; i < n; i++)
		env[3 + i] = (char *)extra[i];
	return env;
}

static void stage_fail(struct sbx_stage_result *res, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void stage_fail(struct sbx_stage_result *res, const char *fmt, ...)
{
	va_list ap;

	res->verdict = SBX_INTERNAL_ERROR;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

static void kill_stage(struct slot *s, pid_t init, bool cg)
{
	if (cg)
		sbx_cg_kill(&s->cg);
	if (init > 0)
		kill(init, SIGKILL);
}

/*
 * Clone init into its new namespaces, fork-like (no new stack: the child
 * returns here).  On cgroup v2, clone3(CLONE_INTO_CGROUP) makes it be born
 * in the stage's cgroup: no migration, which would wait for an RCU grace
 * period.  Falls back to clone() on kernels without it.
 */
static pid_t clone_init(int cgroup_fd, bool *born_in_cg)
{
	const uint64_t ns =
	        CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
	pid_t pid;

	*born_in_cg = false;
	if (cgroup_fd >= 0) {
		struct clone_args ca;
		memset(&ca, 0, sizeof(ca));
		ca.flags = ns | CLONE_INTO_CGROUP;
		ca.exit_signal = SIGCHLD;
		ca.cgroup = (uint64_t)cgroup_fd;
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid >= 0) {
			if (pid > 0)
				*born_in_cg = true;
			return pid;
		}
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
			return -1;
	}
	return (pid_t)syscall(SYS_clone, ns | SIGCHLD, NULL, NULL, NULL, NULL);
}

static int run_stage(struct sbx_ctx *ctx, struct slot *s,
                     const struct sbx_stage *st, struct sbx_stage_result *res)
{
	struct stage_plan plan;
	int go[2] = {-1, -1}, rep[2] = {-1, -1}, in[2] = {-1, -1},
	    out[2] = {-1, -1}, errp[2] = {-1, -1};
	struct outbuf ob = {0}, eb = {0};
	struct sbx_facts facts;
	struct sbx_cg_usage usage;
	struct report report;
	size_t rep_got = 0;
	char **env = NULL;
	pid_t init = -1;
	bool use_cg = ctx->cgmode != SBX_CGROUP_NONE;
	bool prog_done = false, killed = false, cancelled = false;
	size_t stdin_off = 0;
	uint64_t t0, deadline, cpu_limit_ns, next_cpu_check = 0;
	char cgerr[200];
	struct rusage ru;
	int status = 0, rc = 0;
	char fwd[16384];
	size_t fwd_len = 0, fwd_off = 0;
	int stdin_src = st->stdin_fd;
	bool born_in_cg = false;
	uint64_t hold[2] = {0, 0}; /* stdout, stderr: not polled until then */

	memset(res, 0, sizeof(*res));
	memset(&facts, 0, sizeof(facts));
	memset(&usage, 0, sizeof(usage));
	memset(&ru, 0, sizeof(ru));
	res->rlimits_only = !use_cg;
	ob.max = st->limits.stdout_max;
	eb.max = st->limits.stderr_max;

	if (!st->argv || !st->argv[0] || st->argv[0][0] != '/') {
		stage_fail(res, "the program must be an absolute path");
		return -EINVAL;
	}
	env = build_env(ctx, st->env);
	if (!env) {
		stage_fail(res, "out of memory");
		return -ENOMEM;
	}
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0 ||
	    pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0) {
		rc = -errno;
		stage_fail(res, "cannot create pipes: %s", strerror(errno));
		goto out;
	}
	/* The program's ends belong to its uid: reopening them through
	   /dev/stdin (/proc/self/fd/0) checks the pipe inode's owner and
	   mode, and pipes are made 0600 for their creator. */
	if (fchown(in[0], s->uid, s->gid) < 0 ||
	    fchown(out[1], s->uid, s->gid) < 0 ||
	    fchown(errp[1], s->uid, s->gid) < 0) {
		rc = -errno;
		stage_fail(res, "cannot hand the pipes to the slot: %s",
		           strerror(errno));
		goto out;
	}
	if (use_cg) {
		rc = sbx_cg_stage_begin(&s->cg, &st->limits, cgerr,
		                        sizeof(cgerr));
		if (rc < 0) {
			stage_fail(res, "%s", cgerr);
			goto out;
		}
	}

	memset(&plan, 0, sizeof(plan));
	plan.ctx = ctx;
	plan.slot = s;
	plan.argv = (char *const *)st->argv;
	plan.envp = env;
	plan.lim = &st->limits;
	plan.rlimits_only = !use_cg;
	plan.go_rd = go[0];
	plan.rep_wr = rep[1];
	plan.shared = s->status;
	memset(s->status, 0, sizeof(*s->status));
	plan.in_rd = in[0];
	plan.out_wr = out[1];
	plan.err_wr = errp[1];
	snprintf(plan.proc_path, sizeof(plan.proc_path), "%s/proc", s->root);
	snprintf(plan.tmp_path, sizeof(plan.tmp_path), "%s/tmp", s->root);
	snprintf(plan.box_path, sizeof(plan.box_path), "%s/box", s->root);
	snprintf(plan.tmp_opts, sizeof(plan.tmp_opts),
	         "size=%llu,nr_inodes=%llu,mode=1777",
	         (unsigned long long)st->limits.tmp_size,
	         (unsigned long long)st->limits.inodes);

	plan.self_attach = use_cg && s->cg.mode == SBX_CGROUP_V1;

	t0 = now_ns();
	init = clone_init(use_cg ? sbx_cg_clone_fd(&s->cg) : -1, &born_in_cg);
	if (init < 0) {
		rc = -errno;
		stage_fail(res, "cannot clone the jail: %s", strerror(errno));
		goto out;
	}
	if (init == 0)
		run_init(&plan);

	close_fd(&go[0]);
	close_fd(&rep[1]);
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&errp[1]);

	if (use_cg && !plan.self_attach && !born_in_cg) {
		rc = sbx_cg_attach(&s->cg, init);
		if (rc < 0) {
			stage_fail(res,
			           "cannot move the jail into its cgroup: %s",
			           strerror(-rc));
			kill(init, SIGKILL);
			goto reap;
		}
	}
	if (write(go[1], "g", 1) != 1) {
		rc = -errno;
		stage_fail(res, "cannot start the jail: %s", strerror(errno));
		kill(init, SIGKILL);
		goto reap;
	}
	close_fd(&go[1]);

	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	if (!st->stdin_data && stdin_src < 0)
		close_fd(&in[1]);

	deadline = t0 + st->limits.wall_ms * 1000000ull;
	cpu_limit_ns = st->limits.cpu_ms * 1000000ull;

	/* The loop ends when both output pipes reached EOF: every writer is
	   dead, which happens only once init (and so the namespace) is gone
	   or the program closed them itself and exited. */
	while (out[0] >= 0 || errp[0] >= 0 || rep[0] >= 0) {
		struct pollfd pfd[7];
		int n = 0, iout = -1, ierr = -1, irep = -1, iin = -1, isrc = -1,
		    ican = -1, ihup = -1;
		uint64_t now = now_ns();
		int timeout;

		if (!killed && now >= deadline) {
			facts.killed_wall = true;
			killed = true;
			kill_stage(s, init, use_cg);
		}
		if (!killed && use_cg && cpu_limit_ns &&
		    now >= next_cpu_check) {
			/* one read of the counter per check, not per wakeup:
			   the tree can burn at most ncpu seconds of CPU per
			   second, so the next look can wait until then */
			uint64_t used = sbx_cg_cpu_ns(&s->cg);
			if (used >= cpu_limit_ns) {
				facts.killed_cpu = true;
				killed = true;
				kill_stage(s, init, use_cg);
			} else {
				uint64_t cl = (cpu_limit_ns - used) /
				              (uint64_t)ctx->ncpu;
				if (cl < 1000000)
					cl = 1000000;
				if (cl > 100000000)
					cl = 100000000;
				next_cpu_check = now + cl;
			}
		}
		if (killed || prog_done) {
			timeout = 50;
		} else {
			uint64_t wake = deadline;
			if (use_cg && cpu_limit_ns && next_cpu_check < wake)
				wake = next_cpu_check;
			timeout =
			        wake > now
			                ? (int)((wake - now + 999999) / 1000000)
			                : 1;
			if (timeout < 1)
				timeout = 1;
		}

		for (int i = 0; i < 2; i++) {
			if (hold[i] > now) {
				int t = (int)((hold[i] - now + 999999) /
				              1000000);
				if (t < timeout)
					timeout = t;
			}
		}
		if (out[0] >= 0 && hold[0] <= now) {
			pfd[n] = (struct pollfd){out[0], POLLIN, 0};
			iout = n++;
		}
		if (errp[0] >= 0 && hold[1] <= now) {
			pfd[n] = (struct pollfd){errp[0], POLLIN, 0};
			ierr = n++;
		}
		if (rep[0] >= 0) {
			pfd[n] = (struct pollfd){rep[0], POLLIN, 0};
			irep = n++;
		}
		if (in[1] >= 0 && (st->stdin_data || fwd_off < fwd_len)) {
			pfd[n] = (struct pollfd){in[1], POLLOUT, 0};
			iin = n++;
		}
		if (in[1] >= 0 && stdin_src >= 0 && fwd_off >= fwd_len) {
			pfd[n] = (struct pollfd){stdin_src, POLLIN, 0};
			isrc = n++;
		}
		if (st->cancel_fd >= 0 && !killed) {
			pfd[n] = (struct pollfd){st->cancel_fd, POLLIN, 0};
			ican = n++;
		}
		if (st->hangup_fd >= 0 && !killed) {
			pfd[n] = (struct pollfd){st->hangup_fd,
			                         POLLIN | POLLRDHUP, 0};
			ihup = n++;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			stage_fail(res, "poll: %s", strerror(errno));
			kill_stage(s, init, use_cg);
			break;
		}
		if (iout >= 0 && pfd[iout].revents &&
		    drain_stream(&out[0], &ob, st, 1, &hold[0]) && !killed) {
			facts.killed_output = true;
			killed = true;
			kill_stage(s, init, use_cg);
		}
		if (ierr >= 0 && pfd[ierr].revents &&
		    drain_stream(&errp[0], &eb, st, 2, &hold[1]) && !killed) {
			facts.killed_output = true;
			killed = true;
			kill_stage(s, init, use_cg);
		}
		if (irep >= 0 && pfd[irep].revents) {
			ssize_t k = read(rep[0], (char *)&report + rep_got,
			                 sizeof(report) - rep_got);
			if (k > 0) {
				rep_got += (size_t)k;
				if (rep_got == sizeof(report)) {
					rep_got = 0;
					if (report.kind == REP_STATUS) {
						status = report.value;
						facts.fsize_evidence =
						        report.fsize_evidence;
						prog_done = true;
					} else {
						report.what
						        [sizeof(report.what) -
						         1] = '\0';
						stage_fail(
						        res, "%s %s: %s",
						        report.kind == REP_EXEC
						                ? "cannot "
						                  "execute"
						                : "jail setup "
						                  "failed at",
						        report.what,
						        strerror(report.value));
						rc = -report.value;
						kill_stage(s, init, use_cg);
					}
				}
			} else if (k == 0 || errno != EAGAIN) {
				close_fd(&rep[0]);
				/* init is gone: no writer can be left */
				if (!prog_done && !killed && !res->message[0])
					kill_stage(s, init, use_cg);
			}
		}
		if (iin >= 0 && pfd[iin].revents) {
			ssize_t k;
			if (st->stdin_data)
				k = write(in[1], st->stdin_data + stdin_off,
				          st->stdin_len - stdin_off);
			else
				k = write(in[1], fwd + fwd_off,
				          fwd_len - fwd_off);
			if (k > 0) {
				if (st->stdin_data)
					stdin_off += (size_t)k;
				else
					fwd_off += (size_t)k;
			} else if (k < 0 && errno != EAGAIN) {
				close_fd(
				        &in[1]); /* EPIPE: it stopped reading */
			}
			if (in[1] >= 0 && st->stdin_data &&
			    stdin_off >= st->stdin_len && stdin_src < 0)
				close_fd(&in[1]);
		}
		if (isrc >= 0 && pfd[isrc].revents) {
			ssize_t k = read(stdin_src, fwd, sizeof(fwd));
			if (k > 0) {
				fwd_len = (size_t)k;
				fwd_off = 0;
			} else if (k == 0 ||
			           (errno != EAGAIN && errno != EINTR)) {
				stdin_src = -1;
				close_fd(&in[1]);
			}
		}
		if ((ican >= 0 && pfd[ican].revents) ||
		    (ihup >= 0 && pfd[ihup].revents)) {
			cancelled = true;
			killed = true;
			kill_stage(s, init, use_cg);
		}
		if (prog_done && !killed) {
			/* the program is gone; init exits by itself and takes
			   the rest; make sure of it */
			killed = true;
			kill_stage(s, init, use_cg);
		}
	}

reap:
	close_fd(&in[1]);
	if (init > 0) {
		while (wait4(init, NULL, __WALL, &ru) < 0 && errno == EINTR)
			;
	}
	if (use_cg) {
		sbx_cg_stage_end(&s->cg, &usage);
	}
	res->wall_ms = (now_ns() - t0) / 1000000;
	if (!prog_done && !res->message[0] &&
	    __atomic_load_n(&s->status->done, __ATOMIC_ACQUIRE)) {
		/* init saw the program end, but its report found no room in
		   the pipe (a full memory cgroup): the shared page has it */
		status = s->status->status;
		facts.fsize_evidence = s->status->fsize_evidence;
		prog_done = true;
	}
	facts.oom_killed = usage.oom_killed;
	if (res->verdict == SBX_INTERNAL_ERROR && res->message[0]) {
		facts.internal_error = true;
	} else if (!prog_done) {
		/* The namespace ended without the program's status: killed by
		   us (a limit, a cancel), or init died.  init is spared by the
		   OOM killer, but a v2 group kill or a rootless init at the
		   supervisor's score can still take it: that is the memory
		   limit when the cgroup's OOM counter moved, and our fault
		   otherwise.  Never accepted. */
		status = W_EXITCODE(0, SIGKILL);
		if (!killed && !facts.oom_killed) {
			facts.internal_error = true;
			res->verdict = SBX_INTERNAL_ERROR;
		}
	}
	facts.exited = WIFEXITED(status);
	facts.exit_code = facts.exited ? WEXITSTATUS(status) : 0;
	facts.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	facts.memory_hit = usage.memory_hit;
	facts.pids_hit = usage.pids_hit;
	if (use_cg) {
		facts.cpu_ms = usage.cpu_ns / 1000000;
		res->memory_peak = usage.memory_peak;
	} else {
		facts.cpu_ms =
		        (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
		                1000 +
		        (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
		                1000;
		res->memory_peak = (uint64_t)ru.ru_maxrss * 1024;
	}
	facts.cpu_limit_ms = st->limits.cpu_ms;
	if (!facts.internal_error) {
		res->verdict = sbx_classify(&facts, &res->time_limit_wall);
		if (cancelled && !facts.killed_output && !facts.killed_wall &&
		    !facts.killed_cpu) {
			res->verdict = SBX_SIGNAL;
			res->cancelled = true;
			snprintf(res->message, sizeof(res->message),
			         "stopped on request");
		}
	} else if (!res->message[0]) {
		snprintf(res->message, sizeof(res->message),
		         "the jail ended before the program reported");
	}
	res->exit_code = facts.exit_code;
	res->signal = facts.signal;
	res->cpu_ms = facts.cpu_ms;
	res->out = ob.buf;
	res->out_len = ob.len;
	res->out_truncated = ob.truncated;
	res->err = eb.buf;
	res->err_len = eb.len;
	res->err_truncated = eb.truncated;
	ob.buf = eb.buf = NULL;
	if (!res->out)
		res->out = calloc(1, 1);
	if (!res->err)
		res->err = calloc(1, 1);

out:
	close_fd(&go[0]);
	close_fd(&go[1]);
	close_fd(&rep[0]);
	close_fd(&rep[1]);
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	free(ob.buf);
	free(eb.buf);
	free(env);
	return rc;
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
		seterr(err, errlen, "cannot mount the box: %s", strerror(e));
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
	for (size_t i = 0; i < job->nfiles; i++) {
		const struct sbx_file *f = &job->files[i];
		size_t off = 0;
		int fd;

		if (!f->name || !valid_name(f->name)) {
			seterr(err, errlen,
			       "bad file name '%s': one path component, no "
			       "'/', not '.' or '..'",
			       f->name ? f->name : "");
			r = -EINVAL;
			break;
		}
		fd = openat(dfd, f->name,
		            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		                    O_CLOEXEC,
		            f->executable ? 0755 : 0644);
		if (fd < 0) {
			r = -errno;
			seterr(err, errlen, "cannot create %s in the box: %s",
			       f->name,
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
			seterr(err, errlen, "cannot write %s into the box: %s",
			       f->name,
			       r == -ENOSPC ? "the files exceed box_size"
			                    : strerror(-r));
			break;
		}
	}
	close(dfd);
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
		seterr(err, errlen, "no slot %d (there are %u)", job->slot,
		       ctx->nslots);
		res->verdict = SBX_INTERNAL_ERROR;
		return -EINVAL;
	}
	if ((!job->compile && !job->run && !job->nruns) ||
	    (job->run && job->nruns) || (job->nruns && !job->runs)) {
		seterr(err, errlen,
		       job->run && job->nruns ? "give run or runs, not both"
		                              : "nothing to run");
		res->verdict = SBX_INTERNAL_ERROR;
		return -EINVAL;
	}
	/* a program closing stdin early must not SIGPIPE the caller */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);

	s = slot_acquire(ctx, job->slot);
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
		r = run_stage(ctx, s, job->compile, &res->compile);
		if (job->on_stage_end)
			job->on_stage_end(job->arg, job->compile,
			                  &res->compile);
		if (r < 0) {
			seterr(err, errlen, "%s", res->compile.message);
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
		r = run_stage(ctx, s, job->run, &res->run);
		if (job->on_stage_end)
			job->on_stage_end(job->arg, job->run, &res->run);
		if (r < 0)
			seterr(err, errlen, "%s", res->run.message);
		res->verdict = res->run.verdict;
	}
	if (job->nruns) {
		res->runs = calloc(job->nruns, sizeof(*res->runs));
		if (!res->runs) {
			r = -ENOMEM;
			seterr(err, errlen, "out of memory");
			goto out_umount;
		}
		for (size_t i = 0; i < job->nruns; i++) {
			struct sbx_stage_result *rr = &res->runs[i];
			res->nruns++;
			r = run_stage(ctx, s, &job->runs[i], rr);
			if (job->on_stage_end)
				job->on_stage_end(job->arg, &job->runs[i], rr);
			if (r < 0) {
				seterr(err, errlen, "%s", rr->message);
				break;
			}
			if (rr->verdict != SBX_ACCEPTED &&
			    res->verdict == SBX_ACCEPTED)
				res->verdict = rr->verdict;
			if (rr->cancelled)
				break;
		}
	}

out_umount:
	/* the only cleanup: never a path walk inside the box */
	if (umount2(s->box, MNT_DETACH) < 0 && r == 0) {
		r = -errno;
		seterr(err, errlen, "cannot unmount the box: %s",
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
