/*
 * root.c - the jail's file system: each slot's read-only root (overlays,
 * copies, generated /etc, /dev), the run dir's mask, and the network
 * namespaces and id maps the jail's namespaces need.  See jail.c for the
 * theory of operation and docs/security.md for why each piece is so.
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

/* Host paths shown read-only in every slot's root, whatever the language
   (missing ones are skipped; the `bind` setting replaces the list, and the
   registry's `binds =` lines add each language's own: sbx_config). */
const char *const sbx_default_binds[] = {
        "/usr",
        "/etc/alternatives",
        "/etc/ld.so.cache",
        "/etc/ld.so.conf",
        "/etc/ld.so.conf.d",
        "/etc/localtime",
        "/etc/ssl/certs",
        "/etc/ca-certificates.conf",
        "/var/lib/dpkg/alternatives",
        NULL,
};

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
		sbx_seterr(err, errlen, "cannot bind %s: %s", src,
		           strerror(errno));
		return r;
	}
	if (mount(NULL, dst, NULL,
	          MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
	                  locked_flags(src),
	          NULL) < 0) {
		r = -errno;
		sbx_seterr(err, errlen, "cannot make %s read-only: %s", src,
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
	if (snprintf(opts, sizeof(opts), "lowerdir=%s:/proc/self/fd/%d", src,
	             ctx->mask_dir_fd) >= (int)sizeof(opts))
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
		sbx_seterr(err, errlen, "cannot create mount point %s: %s", dst,
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
		r = overlay_ro_at(ctx, src, dst);
		if (r == 0)
			return 0;
		if (!ctx->root_shared[0])
			snprintf(ctx->root_shared, sizeof(ctx->root_shared),
			         "overlayfs refused %s: %s", src, strerror(-r));
		return bind_ro_at(src, dst, err, errlen);
	}
	if (S_ISREG(st.st_mode) && st.st_size <= SBX_COPY_MAX &&
	    (r = copy_file(src, dst, &st)) == 0)
		return 0;
	if (!ctx->root_shared[0])
		snprintf(ctx->root_shared, sizeof(ctx->root_shared),
		         "%s is bound, not copied (%s)", src,
		         S_ISREG(st.st_mode) && st.st_size <= SBX_COPY_MAX
		                 ? strerror(-r)
		                 : "not a small regular file");
	{
		int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			r = -errno;
			sbx_seterr(err, errlen,
			           "cannot create mount point %s: %s", dst,
			           strerror(errno));
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
		sbx_seterr(err, errlen, "cannot mount the jail's /dev: %s",
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
				sbx_seterr(err, errlen, "cannot create %s: %s",
				           path, strerror(errno));
				return r;
			}
			continue;
		}
		char src[64];
		snprintf(src, sizeof(src), "/dev/%s", nodes[i].name);
		if ((r = sbx_create_file(path, "", 0644)) < 0)
			return r;
		if (mount(src, path, NULL, MS_BIND, NULL) < 0) {
			r = -errno;
			sbx_seterr(err, errlen, "cannot bind %s: %s", src,
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
		sbx_seterr(err, errlen,
		           "cannot make the jail's /dev read-only: %s",
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
int sbx_root_build(struct sbx_ctx *ctx, struct slot *slot, char *err,
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
		sbx_seterr(err, errlen, "cannot mount the template root: %s",
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
	if ((r = sbx_create_file(path, buf, 0644)) < 0)
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
	if ((r = sbx_create_file(path, buf, 0644)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/etc/hosts", root);
	if ((r = sbx_create_file(path,
	                         "127.0.0.1\tlocalhost runpad\n"
	                         "::1\tlocalhost runpad\n",
	                         0644)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/etc/hostname", root);
	if ((r = sbx_create_file(path, "runpad\n", 0644)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/etc/nsswitch.conf", root);
	if ((r = sbx_create_file(path,
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
		sbx_seterr(err, errlen,
		           "cannot make the template read-only: %s",
		           strerror(errno));
		return r;
	}
	return 0;
}

/* ------------------------------------------------------------ namespaces */

int sbx_id_maps_write(pid_t pid, uid_t outer_uid, gid_t outer_gid)
{
	char path[64], map[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	r = sbx_write_file(path, "deny");
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(map, sizeof(map), "%d %u 1\n", SBX_ROOTLESS_UID,
	         (unsigned)outer_uid);
	if ((r = sbx_write_file(path, map)) < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(map, sizeof(map), "%d %u 1\n", SBX_ROOTLESS_UID,
	         (unsigned)outer_gid);
	return sbx_write_file(path, map);
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
int sbx_netns_make(char *err, size_t errlen)
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
		sbx_seterr(err, errlen, "cannot create a network namespace: %s",
		           strerror(-fd));
	return fd;
}

/*
 * The run dir's "mask": a read-only tmpfs holding an empty file and an
 * empty directory.  /proc files that describe the host are covered with
 * the file, and the overlays use the directory as their second, empty
 * lower layer.
 */
int sbx_mask_make(struct sbx_ctx *ctx, char *err, size_t errlen)
{
	char path[200];
	int r;

	char opts[96];

	snprintf(ctx->mask, sizeof(ctx->mask), "%s/mask", ctx->rundir);
	if (mkdir(ctx->mask, 0755) < 0)
		return -errno;
	snprintf(opts, sizeof(opts), "size=%zuk,nr_inodes=16,mode=0755",
	         (sbx_view_bytes(&ctx->view) + 8192) / 1024);
	if (mount("tmpfs", ctx->mask, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          opts) < 0) {
		r = -errno;
		sbx_seterr(err, errlen, "cannot mount %s: %s", ctx->mask,
		           strerror(errno));
		return r;
	}
	snprintf(path, sizeof(path), "%s/file", ctx->mask);
	if ((r = sbx_create_file(path, "", 0444)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/dir", ctx->mask);
	if (mkdir(path, 0555) < 0)
		return -errno;
	/* the overlays name their empty layer /proc/self/fd/N: the jail's
	   mountinfo then shows no path of the host */
	ctx->mask_dir_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->mask_dir_fd < 0)
		return -errno;
	if ((r = sbx_view_write(&ctx->view, ctx->mask)) < 0) {
		sbx_seterr(err, errlen, "cannot write the /proc views: %s",
		           strerror(-r));
		return r;
	}
	if (mount(NULL, ctx->mask, NULL,
	          MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          NULL) < 0) {
		r = -errno;
		sbx_seterr(err, errlen, "cannot make %s read-only: %s",
		           ctx->mask, strerror(errno));
		return r;
	}
	return 0;
}

/* Keep the list of binds: slot roots are built after sbx_ctx_new. */
int sbx_binds_keep(struct sbx_ctx *ctx, const char *const *binds,
                   const char *const *lang_binds)
{
	const char *const *parts[2] = {binds, NULL};
	size_t n = 0, k = 0;

	if (!binds) {
		if (!lang_binds || !*lang_binds) {
			ctx->binds = sbx_default_binds;
			return 0;
		}
		parts[0] = sbx_default_binds;
		parts[1] = lang_binds;
	}
	for (int p = 0; p < 2; p++)
		for (size_t i = 0; parts[p] && parts[p][i]; i++)
			n++;
	ctx->binds_own = calloc(n + 1, sizeof(char *));
	if (!ctx->binds_own)
		return -ENOMEM;
	for (int p = 0; p < 2; p++)
		for (size_t i = 0; parts[p] && parts[p][i]; i++) {
			ctx->binds_own[k] = strdup(parts[p][i]);
			if (!ctx->binds_own[k++])
				return -ENOMEM;
		}
	ctx->binds = (const char *const *)ctx->binds_own;
	return 0;
}
