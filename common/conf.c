/*
 * conf.c - `key = value` configuration files (see conf.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

#define CONF_MAX_BYTES (1u << 20)
#define CONF_MAX_LINE  4096

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool valid_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-' &&
		    *k != '.')
			return false;
	return true;
}

int conf_parse(const char *text, size_t len, conf_cb cb, void *arg, char *err,
               size_t errlen)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	char line[CONF_MAX_LINE];
	char sub[256];

	if (len > CONF_MAX_BYTES) {
		if (err)
			snprintf(err, errlen, "larger than %u bytes",
			         CONF_MAX_BYTES);
		return -EFBIG;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *s, *eq, *key;
		int r;

		lineno++;
		if (n >= sizeof(line) || memchr(p, '\0', n)) {
			if (err)
				snprintf(err, errlen, "line %u: %s", lineno,
				         n >= sizeof(line) ? "too long"
				                           : "NUL byte");
			return -EINVAL;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : end;
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			if (err)
				snprintf(err, errlen,
				         "line %u: expected key = value",
				         lineno);
			return -EINVAL;
		}
		*eq = '\0';
		key = trim(s);
		if (!valid_key(key)) {
			if (err)
				snprintf(err, errlen, "line %u: bad key '%s'",
				         lineno, key);
			return -EINVAL;
		}
		sub[0] = '\0';
		r = cb(arg, key, trim(eq + 1), sub, sizeof(sub));
		if (r < 0) {
			if (err)
				snprintf(err, errlen, "line %u: %s", lineno,
				         sub[0] ? sub : strerror(-r));
			return r;
		}
	}
	return 0;
}

/*
 * Read and parse the open file fd, called path in messages.  Closes fd.
 * The file is read whole (at most CONF_MAX_BYTES) so that a line's number
 * is known before the callback sees it.
 */
static int load_fd(int fd, const char *path, conf_cb cb, void *arg, char *err,
                   size_t errlen)
{
	struct stat st;
	char *buf, sub[300];
	size_t n = 0;
	int r;

	if (fstat(fd, &st) < 0 || st.st_size > CONF_MAX_BYTES) {
		close(fd);
		if (err)
			snprintf(err, errlen, "%s: too large", path);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		if (err)
			snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (n < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			close(fd);
			free(buf);
			if (err)
				snprintf(err, errlen, "cannot read %s: %s",
				         path, strerror(-r));
			return r;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	r = conf_parse(buf, n, cb, arg, sub, sizeof(sub));
	free(buf);
	if (r < 0 && err)
		snprintf(err, errlen, "%s: %s", path, sub);
	return r;
}

int conf_load(const char *path, conf_cb cb, void *arg, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int r = -errno;
		if (err)
			snprintf(err, errlen, "cannot open %s: %s", path,
			         strerror(-r));
		return r;
	}
	return load_fd(fd, path, cb, arg, err, errlen);
}

/* A drop-in's name: "*.conf", not hidden (so also not ".conf" itself). */
static bool dropin_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names of the drop-ins of the open directory dfd (which it closes),
 * sorted, into *names (n of them, each and the array malloc'd).  0, or
 * -errno with err.
 */
static int list_dropins(int dfd, const char *dir, char ***names, size_t *n,
                        char *err, size_t errlen)
{
	DIR *d = fdopendir(dfd);
	char **v = NULL;
	size_t nv = 0;
	struct dirent *de;
	int r = 0;

	if (!d) {
		r = -errno;
		close(dfd);
		if (err)
			snprintf(err, errlen, "cannot read %s: %s", dir,
			         strerror(-r));
		return r;
	}
	v = calloc(CONF_MAX_DROPINS, sizeof(*v));
	if (!v) {
		r = -ENOMEM;
		goto out_close;
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (!dropin_name(de->d_name))
			continue;
		if (nv == CONF_MAX_DROPINS) {
			if (err)
				snprintf(err, errlen,
				         "%s: more than %d drop-ins (*.conf)",
				         dir, CONF_MAX_DROPINS);
			r = -E2BIG;
			goto out_free;
		}
		v[nv] = strdup(de->d_name);
		if (!v[nv]) {
			r = -ENOMEM;
			goto out_free;
		}
		nv++;
		errno = 0;
	}
	if (errno) {
		r = -errno;
		if (err)
			snprintf(err, errlen, "cannot read %s: %s", dir,
			         strerror(-r));
		goto out_free;
	}
	qsort(v, nv, sizeof(*v), cmp_names);
	*names = v;
	*n = nv;
	closedir(d);
	return 0;

out_free:
	for (size_t i = 0; i < nv; i++)
		free(v[i]);
	free(v);
out_close:
	closedir(d);
	if (r == -ENOMEM && err)
		snprintf(err, errlen, "%s: out of memory", dir);
	return r;
}

int conf_load_with_dropins(const char *path, conf_cb cb, void *arg, char *err,
                           size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX], file[PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	int dfd, r;

	r = conf_load(path, cb, arg, err, errlen);
	if (r < 0)
		return r;
	/* "conf.d" next to path: "/etc/runpad/conf.d", or "conf.d" */
	if ((size_t)snprintf(dir, sizeof(dir), "%.*sconf.d",
	                     slash ? (int)(slash - path + 1) : 0,
	                     path) >= sizeof(dir)) {
		if (err)
			snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return 0;
		if (err)
			snprintf(err, errlen, "cannot open %s: %s", dir,
			         strerror(-r));
		return r;
	}
	/* list_dropins closes the one it gets: the files are opened with
	   dfd, so that a renamed directory cannot mix two listings */
	r = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (r < 0) {
		r = -errno;
		if (err)
			snprintf(err, errlen, "cannot read %s: %s", dir,
			         strerror(-r));
	} else {
		r = list_dropins(r, dir, &names, &n, err, errlen);
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct stat st;
		int fd;

		if ((size_t)snprintf(file, sizeof(file), "%s/%s", dir,
		                     names[i]) >= sizeof(file)) {
			if (err)
				snprintf(err, errlen, "%s: path too long", dir);
			r = -ENAMETOOLONG;
			break;
		}
		/* O_NONBLOCK: a FIFO named x.conf must not hang us; it is
		   skipped below with the other files that are not regular */
		fd = openat(dfd, names[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 && errno == ENOENT)
			continue; /* a dangling symlink, or gone meanwhile */
		if (fd < 0) {
			r = -errno;
			if (err)
				snprintf(err, errlen, "cannot open %s: %s",
				         file, strerror(-r));
			break;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			continue;
		}
		r = load_fd(fd, file, cb, arg, err, errlen);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	close(dfd);
	return r;
}

int conf_set_string(char **dst, const char *value)
{
	char *d = strdup(value);

	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

int conf_bool(const char *v)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

int conf_uint(const char *v, unsigned long long min, unsigned long long max,
              unsigned long long *out)
{
	unsigned long long x = 0;

	if (!*v)
		return -EINVAL;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (x > (~0ULL - 9) / 10)
			return -ERANGE;
		x = x * 10 + (unsigned long long)(*p - '0');
	}
	if (x < min || x > max)
		return -ERANGE;
	*out = x;
	return 0;
}
