/* addr.c - the listen address grammar: see addr.h. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", why);
	return -EINVAL;
}

static int parse_port(const char *s, uint16_t *out)
{
	unsigned v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > 65535)
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int addr_parse(const char *s, struct addr *a, char *err, size_t errlen)
{
	const char *colon, *host;
	size_t hlen;

	memset(a, 0, sizeof(*a));
	if (strncmp(s, "unix:", 5) == 0 || s[0] == '/') {
		const char *path = s[0] == '/' ? s : s + 5;
		struct sockaddr_un *un = (struct sockaddr_un *)&a->sa;
		if (path[0] != '/')
			return fail(err, errlen,
			            "a unix socket path must be absolute");
		if (strlen(path) >= sizeof(a->path))
			return fail(err, errlen,
			            "a unix socket path is at most 107 bytes");
		a->kind = ADDR_UNIX;
		strcpy(a->path, path);
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		a->salen = (socklen_t)sizeof(*un);
		return 0;
	}
	colon = strrchr(s, ':');
	if (!colon)
		return fail(err, errlen, "expected " ADDR_GRAMMAR);
	host = s;
	hlen = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hlen < 3 || s[hlen - 1] != ']')
			return fail(err, errlen, "expected " ADDR_GRAMMAR);
		host = s + 1;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(a->host))
		return fail(err, errlen, "expected " ADDR_GRAMMAR);
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	if (parse_port(colon + 1, &a->port) < 0) {
		memset(a, 0, sizeof(*a));
		return fail(err, errlen, "a port is 1 to 65535");
	}
	if (s[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
		if (inet_pton(AF_INET6, a->host, &s6->sin6_addr) != 1)
			goto bad;
		a->kind = ADDR_INET6;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		a->salen = (socklen_t)sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
		if (inet_pton(AF_INET, a->host, &s4->sin_addr) != 1)
			goto bad;
		a->kind = ADDR_INET;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		a->salen = (socklen_t)sizeof(*s4);
	}
	return 0;
bad:
	memset(a, 0, sizeof(*a));
	return fail(err, errlen, "expected " ADDR_GRAMMAR);
}
