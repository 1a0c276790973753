/*
 * conf.c - `key = value` configuration files (see conf.h).
 */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
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

int conf_load(const char *path, conf_cb cb, void *arg, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf, sub[300];
	ssize_t n;
	int r;

	if (fd < 0) {
		r = -errno;
		if (err)
			snprintf(err, errlen, "cannot open %s: %s", path,
			         strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || st.st_size > CONF_MAX_BYTES) {
		close(fd);
		if (err)
			snprintf(err, errlen, "%s: too large", path);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(buf);
		if (err)
			snprintf(err, errlen, "cannot read %s", path);
		return -EIO;
	}
	r = conf_parse(buf, (size_t)n, cb, arg, sub, sizeof(sub));
	free(buf);
	if (r < 0 && err)
		snprintf(err, errlen, "%s: %s", path, sub);
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
