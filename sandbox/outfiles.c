/*
 * outfiles.c - the files a program hands back in the box's out/, listed,
 * checked and read by the supervisor.  See sandbox.h ("output files") and
 * docs/security.md ("Files a program returns").
 *
 * Everything in the box is the program's.  By the time this runs its
 * processes are gone, but what they left may be a symbolic link to the
 * host's /etc/shadow, a FIFO nobody will ever write to, a device node, a
 * directory of thousands of names, or a file that calls itself a PNG.  So:
 * one directory fd, opened O_NOFOLLOW; only single names relative to it,
 * and only names of [A-Za-z0-9._-]; fstatat without following links; only
 * what is a regular file is opened, and then with O_NOFOLLOW|O_NONBLOCK,
 * so that a link or a FIFO put there in between fails or opens without
 * waiting; the open file is fstat'ed again and must be the same regular
 * file; and no more than the caps is ever read or kept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"
#include "utf8.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)

_Static_assert(SBX_OUT_NAME_MAX == 100, "name_problem says 100 bytes");

static const struct out_type {
	const char *ext;
	const char *mime;
	bool text;
	bool png;
} types[] = {
        {".png", "image/png", false, true},
        {".svg", "image/svg+xml", false, false},
        {".txt", "text/plain", true, false},
        {".csv", "text/csv", true, false},
        {".json", "application/json", true, false},
};

static const unsigned char png_signature[8] = {0x89, 'P',  'N',  'G',
                                               '\r', '\n', 0x1a, '\n'};

void sbx_out_fini(struct sbx_out *out)
{
	if (!out)
		return;
	for (size_t i = 0; i < out->nfiles; i++)
		free(out->files[i].data);
	free(out->files);
	free(out->refused);
	memset(out, 0, sizeof(*out));
}

/* Why a name is not one runpad returns, or NULL when it is. */
static const char *name_problem(const char *name)
{
	size_t n = strlen(name);

	if (n > SBX_OUT_NAME_MAX)
		return "the name is longer than 100 bytes";
	if (name[0] == '.')
		return "the name starts with '.'";
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return "the name holds a byte other than letters, digits, '.', '_' and '-'";
	}
	return NULL;
}

/* Why an entry that is not a regular file is refused. */
static const char *kind_problem(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory: only files directly in out/ are returned";
	if (S_ISLNK(mode))
		return "a symbolic link: links are not followed";
	if (S_ISFIFO(mode))
		return "a FIFO: only regular files are returned";
	if (S_ISSOCK(mode))
		return "a socket: only regular files are returned";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device: only regular files are returned";
	return "not a regular file";
}

static const struct out_type *type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return &types[i];
	return NULL;
}

/* The name as a refusal shows it (struct sbx_out_refusal). */
static void show_name(char dst[SBX_OUT_SHOWN_MAX], const char *name)
{
	size_t o = 0, i;

	for (i = 0; name[i] && i < SBX_OUT_NAME_MAX; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '\\') {
			dst[o++] = '\\';
			dst[o++] = '\\';
		} else if (c >= 0x20 && c < 0x7f) {
			dst[o++] = (char)c;
		} else {
			snprintf(dst + o, 5, "\\x%02x", c);
			o += 4;
		}
	}
	if (name[i]) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* "1 MiB", "512 KiB", "1000 bytes": a cap in a sentence. */
static void size_text(char *buf, size_t n, uint64_t v)
{
	if (v && v % MiB == 0)
		snprintf(buf, n, "%llu MiB", (unsigned long long)(v / MiB));
	else if (v && v % KiB == 0)
		snprintf(buf, n, "%llu KiB", (unsigned long long)(v / KiB));
	else
		snprintf(buf, n, "%llu bytes", (unsigned long long)v);
}

static void refuse(struct sbx_out *out, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void refuse(struct sbx_out *out, const char *name, const char *fmt, ...)
{
	struct sbx_out_refusal *r;
	va_list ap;

	if (out->nrefused == SBX_OUT_REFUSED_MAX) {
		out->truncated = true;
		return;
	}
	r = &out->refused[out->nrefused++];
	show_name(r->name, name);
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in the directory dfd (not "." and ".."), at most
 * SBX_OUT_SCAN_MAX of them (*more when there were others), sorted.
 * Takes dfd (closed with the listing's own fd); *fd_out gets a new fd of
 * the same directory for the opens.  0, or -errno.
 */
static int list_names(int dfd, char ***names_out, size_t *n_out, bool *more,
                      int *fd_out)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	*fd_out = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (*fd_out < 0) {
		r = -errno;
		close(dfd);
		return r;
	}
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			r = -errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == SBX_OUT_SCAN_MAX) {
			*more = true;
			break;
		}
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 32;
			char **nn = realloc(names, nc * sizeof(*names));
			if (!nn) {
				r = -ENOMEM;
				break;
			}
			names = nn;
			cap = nc;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		close(*fd_out);
		*fd_out = -1;
		return r;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*names_out = names;
	*n_out = n;
	return 0;
}

/*
 * Open the entry `name` of dfd, which fstatat saw as the regular file
 * `seen`, and check that the open file is that one.  Returns the fd with
 * its fstat in *st, or -1 with the reason in why.
 */
static int open_seen(int dfd, const char *name, const struct stat *seen,
                     struct stat *st, char *why, size_t whylen)
{
	int fd = openat(dfd, name,
	                O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	                        O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, whylen, "cannot be opened: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) ||
	    st->st_dev != seen->st_dev || st->st_ino != seen->st_ino) {
		snprintf(why, whylen,
		         "changed between being looked at and being opened");
		close(fd);
		return -1;
	}
	return fd;
}

/* Read up to want bytes of fd into a new buffer (NUL after them); the
   length read in *len.  0, -ENOMEM, or -errno of a failed read. */
static int read_upto(int fd, uint64_t want, char **data, size_t *len)
{
	char *buf = malloc((size_t)want + 1);
	size_t got = 0;

	if (!buf)
		return -ENOMEM;
	while (got < want) {
		ssize_t k = read(fd, buf + got, (size_t)want - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (k == 0)
			break; /* shorter than fstat said */
		got += (size_t)k;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

/*
 * One entry that passed the name, kind and type checks: open, check the
 * caps, read, check a PNG's signature, and add it.  0, or -ENOMEM.
 */
static int take_file(struct sbx_out *out, int dfd, const char *name,
                     const struct stat *seen, const struct out_type *t,
                     const struct sbx_limits *l, uint64_t *total)
{
	struct sbx_out_file *f;
	struct stat st;
	char why[160], cap[32];
	uint64_t want;
	bool cut = false;
	char *data = NULL;
	size_t len = 0;
	int fd, r;

	fd = open_seen(dfd, name, seen, &st, why, sizeof(why));
	if (fd < 0) {
		refuse(out, name, "%s", why);
		return 0;
	}
	want = (uint64_t)st.st_size;
	if (want > l->out_file_size) {
		size_text(cap, sizeof(cap), l->out_file_size);
		if (!t->text) {
			refuse(out, name,
			       "larger than the %s a file may have (out_file_size): an image is returned whole or not at all",
			       cap);
			close(fd);
			return 0;
		}
		want = l->out_file_size;
		cut = true;
	}
	if (want > l->out_total - *total) {
		size_text(cap, sizeof(cap), l->out_total);
		refuse(out, name,
		       "over the %s that the files returned may have together (out_total)",
		       cap);
		out->truncated = true;
		close(fd);
		return 0;
	}
	r = read_upto(fd, want, &data, &len);
	close(fd);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		refuse(out, name, "cannot be read: %s", strerror(-r));
		return 0;
	}
	if (t->png &&
	    (len < sizeof(png_signature) ||
	     memcmp(data, png_signature, sizeof(png_signature)) != 0)) {
		refuse(out, name,
		       "not a PNG: it does not start with the 8 bytes of PNG's signature");
		free(data);
		return 0;
	}
	if (cut) {
		len = utf8_complete(data, len);
		data[len] = '\0';
	}
	f = &out->files[out->nfiles++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->type = t->mime;
	f->text = t->text;
	f->data = data;
	f->len = len;
	f->size = (uint64_t)st.st_size;
	f->truncated = cut;
	*total += len;
	return 0;
}

int sbx_out_collect(int dirfd, const char *name, const struct sbx_limits *l,
                    struct sbx_out *out)
{
	char **names = NULL;
	size_t n = 0, most;
	uint64_t total = 0;
	bool more = false;
	int dfd, fd = -1, r;

	memset(out, 0, sizeof(*out));
	dfd = openat(dirfd, name,
	             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK |
	                     O_CLOEXEC);
	if (dfd < 0) {
		/* no out/ (removed, or replaced by a link or a file) or one
		   the program shut (rootless, mode 000): nothing handed back */
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP ||
		    errno == EACCES || errno == EPERM)
			return 0;
		return -errno;
	}
	r = list_names(dfd, &names, &n, &more, &fd);
	if (r < 0)
		return r;
	out->truncated = more;
	most = n < l->out_files ? n : (size_t)l->out_files;
	if (most) {
		out->files = calloc(most, sizeof(*out->files));
		if (!out->files)
			r = -ENOMEM;
	}
	if (r == 0 && n) {
		size_t nr = n < SBX_OUT_REFUSED_MAX ? n : SBX_OUT_REFUSED_MAX;
		out->refused = calloc(nr, sizeof(*out->refused));
		if (!out->refused)
			r = -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *nm = names[i], *why = name_problem(nm);
		const struct out_type *t;
		struct stat st;

		if (why) {
			refuse(out, nm, "%s", why);
			continue;
		}
		if (fstatat(fd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			refuse(out, nm, "cannot be looked at: %s",
			       strerror(errno));
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			refuse(out, nm, "%s", kind_problem(st.st_mode));
			continue;
		}
		t = type_of(nm);
		if (!t) {
			refuse(out, nm,
			       "not a type runpad returns (png, svg, txt, csv, json)");
			continue;
		}
		if (out->nfiles >= l->out_files) {
			if (l->out_files)
				refuse(out, nm,
				       "past the limit of %llu file%s returned (out_files)",
				       (unsigned long long)l->out_files,
				       l->out_files == 1 ? "" : "s");
			else
				refuse(out, nm,
				       "no files are returned: out_files is 0");
			out->truncated = true;
			continue;
		}
		r = take_file(out, fd, nm, &st, t, l, &total);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	close(fd);
	return r;
}
