/*
 * runner_url.c - the run API's address as the pad daemon's settings give
 * it (ws.runner): http://HOST:PORT/PREFIX/ or unix:/PATH:/PREFIX/.  Pure.
 * See runner.h.
 */
#include "runner.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "runner_int.h"

/* ================================================================ address */

void runner_url_free(struct runner_url *u)
{
	if (!u)
		return;
	free(u->host);
	free(u->port);
	free(u->path);
	free(u->prefix);
	free(u->host_header);
	free(u->display);
	free(u);
}

/* A prefix: starts with '/', gets a final '/', only URL path characters. */
static int parse_prefix(const char *s, size_t n, char **out, char *err,
                        size_t errlen)
{
	char *p;

	if (n == 0) {
		s = "/";
		n = 1;
	}
	if (s[0] != '/') {
		fmt(err, errlen,
		    "runner address: the prefix must start with '/'");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '?' || c == '#') {
			fmt(err, errlen,
			    "runner address: a query or fragment is not allowed");
			return -EINVAL;
		}
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\') {
			fmt(err, errlen,
			    "runner address: the prefix holds a character that needs escaping (0x%02x)",
			    c);
			return -EINVAL;
		}
	}
	p = malloc(n + 2);
	if (!p)
		return -ENOMEM;
	memcpy(p, s, n);
	if (p[n - 1] != '/')
		p[n++] = '/';
	p[n] = '\0';
	*out = p;
	return 0;
}

static int parse_http(const char *s, struct runner_url *u, char *err,
                      size_t errlen)
{
	const char *h = s + strlen("http://");
	const char *slash = strchr(h, '/');
	const char *hend = slash ? slash : h + strlen(h);
	const char *host, *hostend, *port = NULL;
	size_t portlen = 0;
	bool v6 = false;
	unsigned long pn = 80;
	int rc;

	if (memchr(h, '@', (size_t)(hend - h))) {
		fmt(err, errlen,
		    "runner address '%s': user info is not allowed", s);
		return -EINVAL;
	}
	if (h[0] == '[') {
		host = h + 1;
		hostend = memchr(host, ']', (size_t)(hend - host));
		if (!hostend) {
			fmt(err, errlen,
			    "runner address '%s': '[' without its ']'", s);
			return -EINVAL;
		}
		v6 = true;
		if (hostend + 1 < hend) {
			if (hostend[1] != ':') {
				fmt(err, errlen,
				    "runner address '%s': text after ']'", s);
				return -EINVAL;
			}
			port = hostend + 2;
		}
	} else {
		host = h;
		hostend = memchr(h, ':', (size_t)(hend - h));
		if (hostend)
			port = hostend + 1;
		else
			hostend = hend;
	}
	if (hostend == host) {
		fmt(err, errlen, "runner address '%s': no host", s);
		return -EINVAL;
	}
	for (const char *c = host; c < hostend; c++) {
		if (v6 ? !(isxdigit((unsigned char)*c) || *c == ':' ||
		           *c == '.')
		       : !(isalnum((unsigned char)*c) || *c == '-' ||
		           *c == '.' || *c == '_')) {
			fmt(err, errlen,
			    "runner address '%s': bad character in the host",
			    s);
			return -EINVAL;
		}
	}
	if (v6) {
		struct in6_addr a;
		char tmp[INET6_ADDRSTRLEN + 1];

		if ((size_t)(hostend - host) >= sizeof(tmp)) {
			fmt(err, errlen,
			    "runner address '%s': bad IPv6 address", s);
			return -EINVAL;
		}
		memcpy(tmp, host, (size_t)(hostend - host));
		tmp[hostend - host] = '\0';
		if (inet_pton(AF_INET6, tmp, &a) != 1) {
			fmt(err, errlen,
			    "runner address '%s': bad IPv6 address", s);
			return -EINVAL;
		}
	}
	if (port) {
		portlen = (size_t)(hend - port);
		pn = 0;
		if (portlen == 0 || portlen > 5) {
			fmt(err, errlen, "runner address '%s': bad port", s);
			return -EINVAL;
		}
		for (size_t i = 0; i < portlen; i++) {
			if (!isdigit((unsigned char)port[i])) {
				fmt(err, errlen,
				    "runner address '%s': bad port", s);
				return -EINVAL;
			}
			pn = pn * 10 + (unsigned long)(port[i] - '0');
		}
		if (pn < 1 || pn > 65535) {
			fmt(err, errlen,
			    "runner address '%s': port %lu is not in 1-65535",
			    s, pn);
			return -EINVAL;
		}
	}
	u->host = strndup(host, (size_t)(hostend - host));
	if (asprintf(&u->port, "%lu", pn) < 0)
		u->port = NULL;
	if (asprintf(&u->host_header, v6 ? "[%s]:%s" : "%s:%s",
	             u->host ? u->host : "", u->port ? u->port : "") < 0)
		u->host_header = NULL;
	if (!u->host || !u->port || !u->host_header)
		return -ENOMEM;
	rc = parse_prefix(hend, strlen(hend), &u->prefix, err, errlen);
	return rc;
}

static int parse_unix(const char *s, struct runner_url *u, char *err,
                      size_t errlen)
{
	const char *p = s + strlen("unix:");
	const char *sep = NULL;
	size_t plen;
	int rc;

	for (const char *c = p; (c = strstr(c, ":/")); c++)
		sep = c;
	plen = sep ? (size_t)(sep - p) : strlen(p);
	if (plen == 0 || p[0] != '/') {
		fmt(err, errlen,
		    "runner address '%s': the socket path must be absolute", s);
		return -EINVAL;
	}
	if (plen >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fmt(err, errlen,
		    "runner address '%s': the socket path is longer than %zu bytes",
		    s, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return -EINVAL;
	}
	u->path = strndup(p, plen);
	u->host_header = strdup("localhost");
	if (!u->path || !u->host_header)
		return -ENOMEM;
	rc = parse_prefix(sep ? sep + 1 : "", sep ? strlen(sep + 1) : 0,
	                  &u->prefix, err, errlen);
	return rc;
}

int runner_url_parse(const char *s, struct runner_url **out, char *err,
                     size_t errlen)
{
	struct runner_url *u;
	int rc;

	*out = NULL;
	if (!s || !*s) {
		fmt(err, errlen, "runner address: empty");
		return -EINVAL;
	}
	for (const char *c = s; *c; c++) {
		if ((unsigned char)*c <= ' ' || *c == 0x7f) {
			fmt(err, errlen,
			    "runner address '%s': blanks and control characters are not allowed",
			    s);
			return -EINVAL;
		}
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->display = strdup(s);
	if (!u->display) {
		rc = -ENOMEM;
	} else if (strncmp(s, "http://", 7) == 0) {
		u->kind = RUNNER_URL_TCP;
		rc = parse_http(s, u, err, errlen);
	} else if (strncmp(s, "unix:", 5) == 0) {
		u->kind = RUNNER_URL_UNIX;
		rc = parse_unix(s, u, err, errlen);
	} else if (strncmp(s, "https://", 8) == 0) {
		fmt(err, errlen,
		    "runner address '%s': https is not supported (use http:// to a local nginx, or unix:)",
		    s);
		rc = -EINVAL;
	} else {
		fmt(err, errlen,
		    "runner address '%s': expected http://HOST:PORT/PREFIX/ or unix:/PATH:/PREFIX/",
		    s);
		rc = -EINVAL;
	}
	if (rc < 0) {
		if (rc == -ENOMEM)
			fmt(err, errlen, "runner address: out of memory");
		runner_url_free(u);
		return rc;
	}
	*out = u;
	return 0;
}
