/*
 * runner.c - the pad daemon's client of the run API.  See runner.h for the
 * threads, the callbacks and the cancellation.
 *
 * Layout: the address parser, the response parser (pure: bytes in, events
 * and a struct runner_response out), the socket helpers (every wait is a
 * poll() on the socket and the run's cancel eventfd), then the two threads
 * and the public calls.
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

#define CHUNK_LINE_MAX 4096 /* a chunk-size line with its extensions */
#define READ_BUF       (64 * 1024)

static void fmt(char *buf, size_t len, const char *f, ...)
        __attribute__((format(printf, 3, 4)));

static void fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, f);
	vsnprintf(buf, len, f, ap);
	va_end(ap);
}

/* Copy at most dstlen-1 bytes of s, not cutting a UTF-8 sequence. */
static void copy_cut(char *dst, size_t dstlen, const char *s, size_t n)
{
	if (n >= dstlen) {
		n = dstlen - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

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

/* ================================================================ parser */

enum pstate {
	P_STATUS,     /* the status line */
	P_HEADER,     /* header lines up to the empty one */
	P_CHUNK_SIZE, /* a chunk-size line */
	P_CHUNK_DATA, /* chunk bytes */
	P_CHUNK_END,  /* the CRLF after a chunk's bytes */
	P_TRAILER,    /* trailer lines after the last chunk */
	P_BODY_LEN,   /* a Content-Length body */
	P_BODY_CLOSE, /* a body read to the close */
	P_DONE,
	P_FAILED,
};

struct runner_parser {
	enum pstate st;
	int rc; /* the error once P_FAILED */
	bool stream;
	void (*event)(void *arg, struct json_object *ev);
	void *arg;
	struct runner_response res;

	/* Header, chunk-size and trailer lines are assembled here. */
	char hline[RUNNER_HEADER_MAX + 1];
	size_t hlen;
	size_t hdr_total; /* bytes of status line + headers (or trailers) */
	bool chunked, have_len, ndjson;
	uint64_t len; /* Content-Length; bytes left of a body or chunk */

	/* NDJSON: the unfinished line. */
	char *line;
	size_t llen, lcap;
	json_tokener *tok;
};

static int pfail(struct runner_parser *p, int rc, const char *f, ...)
        __attribute__((format(printf, 3, 4)));

static int pfail(struct runner_parser *p, int rc, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(p->res.error, sizeof(p->res.error), f, ap);
	va_end(ap);
	p->st = P_FAILED;
	p->rc = rc;
	return rc;
}

struct runner_parser *
runner_parser_new(bool stream, void (*event)(void *arg, struct json_object *ev),
                  void *arg)
{
	struct runner_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->stream = stream;
	p->event = event;
	p->arg = arg;
	p->res.retry_after = -1;
	p->tok = json_tokener_new_ex(64);
	if (!p->tok) {
		free(p);
		return NULL;
	}
	return p;
}

void runner_parser_free(struct runner_parser *p)
{
	if (!p)
		return;
	json_tokener_free(p->tok);
	free(p->line);
	free(p->res.body);
	free(p);
}

const struct runner_response *
runner_parser_response(const struct runner_parser *p)
{
	return &p->res;
}

/*
 * Take bytes up to '\n' into hline.  Returns 1 with a complete line (its
 * "\r\n" or "\n" removed, NUL-terminated), 0 when buf ran out first, or -1
 * when the line would pass max.  *buf and *n advance past what was taken.
 */
static int take_line(struct runner_parser *p, const char **buf, size_t *n,
                     size_t max)
{
	const char *nl = memchr(*buf, '\n', *n);
	size_t take = nl ? (size_t)(nl - *buf) : *n;

	if (p->hlen + take > max)
		return -1;
	memcpy(p->hline + p->hlen, *buf, take);
	p->hlen += take;
	*buf += take + (nl ? 1 : 0);
	*n -= take + (nl ? 1 : 0);
	if (!nl)
		return 0;
	if (p->hlen > 0 && p->hline[p->hlen - 1] == '\r')
		p->hlen--;
	p->hline[p->hlen] = '\0';
	return 1;
}

static bool ieq_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* A checked decimal: digits only, at most max. */
static int parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int status_line(struct runner_parser *p)
{
	const char *s = p->hline;
	uint64_t st;

	/* HTTP/1.x SP 3DIGIT [SP reason] */
	if (strncmp(s, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)s[7]) ||
	    s[8] != ' ' || parse_dec(s + 9, 3, 999, &st) < 0 ||
	    (s[12] != '\0' && s[12] != ' ') || st < 100 || st > 599)
		return pfail(p, -EPROTO, "bad status line");
	p->res.status = (int)st;
	copy_cut(p->res.reason, sizeof(p->res.reason), s[12] ? s + 13 : "",
	         s[12] ? strlen(s + 13) : 0);
	p->st = P_HEADER;
	return 0;
}

/* "chunked", possibly after "identity" codings: nothing else is decoded. */
static bool te_chunked(const char *v)
{
	const char *c = v;
	bool chunked = false;

	while (*c) {
		size_t n;

		c += strspn(c, " \t,");
		n = strcspn(c, " \t,");
		if (!n)
			break;
		if (chunked)
			return false; /* chunked must be the last coding */
		if (n == 7 && strncasecmp(c, "chunked", 7) == 0)
			chunked = true;
		else if (!(n == 8 && strncasecmp(c, "identity", 8) == 0))
			return false;
		c += n;
	}
	return chunked;
}

static int header_line(struct runner_parser *p)
{
	char *s = p->hline, *colon, *v, *e;
	uint64_t n;

	if (*s == ' ' || *s == '\t')
		return pfail(p, -EPROTO, "folded header line");
	colon = strchr(s, ':');
	if (!colon || colon == s)
		return pfail(p, -EPROTO, "bad header line");
	for (char *c = s; c < colon; c++) {
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
			return pfail(p, -EPROTO, "bad header name");
	}
	*colon = '\0';
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (strcasecmp(s, "Content-Length") == 0) {
		if (parse_dec(v, (size_t)(e - v), UINT64_MAX / 2, &n) < 0)
			return pfail(p, -EPROTO, "bad Content-Length");
		if (p->have_len && n != p->len)
			return pfail(p, -EPROTO, "conflicting Content-Length");
		p->have_len = true;
		p->len = n;
	} else if (strcasecmp(s, "Transfer-Encoding") == 0) {
		if (!te_chunked(v))
			return pfail(p, -EPROTO,
			             "unsupported Transfer-Encoding '%s'", v);
		p->chunked = true;
	} else if (strcasecmp(s, "Content-Type") == 0) {
		copy_cut(p->res.content_type, sizeof(p->res.content_type), v,
		         (size_t)(e - v));
	} else if (strcasecmp(s, "Retry-After") == 0) {
		if (parse_dec(v, (size_t)(e - v), INT_MAX, &n) == 0)
			p->res.retry_after = (int)n;
	}
	return 0;
}

/* The headers ended: choose how the body is framed and consumed. */
static int headers_end(struct runner_parser *p)
{
	int st = p->res.status;

	if (st >= 100 && st < 200) {
		if (st == 101)
			return pfail(p, -EPROTO, "unexpected 101 answer");
		/* An interim answer: the real one follows. */
		p->res.status = 0;
		p->res.reason[0] = p->res.content_type[0] = '\0';
		p->res.retry_after = -1;
		p->chunked = p->have_len = false;
		p->hdr_total = 0;
		p->st = P_STATUS;
		return 0;
	}
	if (p->stream && st == 200) {
		const char *ct = p->res.content_type;

		if (ct[0] && !ieq_prefix(ct, "application/x-ndjson"))
			return pfail(
			        p, -EPROTO,
			        "the answer is %s, not application/x-ndjson",
			        ct);
		p->ndjson = true;
	}
	if (st == 204 || st == 304) {
		p->st = P_DONE;
	} else if (p->chunked) {
		p->hdr_total = 0;
		p->st = P_CHUNK_SIZE;
	} else if (p->have_len) {
		p->st = p->len ? P_BODY_LEN : P_DONE;
	} else {
		p->st = P_BODY_CLOSE;
	}
	return 0;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!strchr(" \t\r", s[i]))
			return false;
	}
	return true;
}

/* One NDJSON line (without its '\n'). */
static int event_line(struct runner_parser *p, const char *s, size_t n)
{
	struct json_object *ev, *name;
	enum json_tokener_error jerr;
	size_t end;

	if (blank(s, n))
		return 0;
	json_tokener_reset(p->tok);
	ev = json_tokener_parse_ex(p->tok, s, (int)n);
	jerr = json_tokener_get_error(p->tok);
	end = json_tokener_get_parse_end(p->tok);
	if (!ev || jerr != json_tokener_success || !blank(s + end, n - end)) {
		json_object_put(ev);
		return pfail(p, -EPROTO, "bad event line: %s",
		             jerr == json_tokener_success
		                     ? "text after the object"
		                     : json_tokener_error_desc(jerr));
	}
	if (!json_object_is_type(ev, json_type_object)) {
		json_object_put(ev);
		return pfail(p, -EPROTO, "bad event line: not an object");
	}
	if (json_object_object_get_ex(ev, "event", &name) &&
	    json_object_is_type(name, json_type_string) &&
	    strcmp(json_object_get_string(name), "result") == 0)
		p->res.saw_result = true;
	if (p->event)
		p->event(p->arg, ev); /* ev belongs to the callee now */
	else
		json_object_put(ev);
	return 0;
}

static int ndjson_bytes(struct runner_parser *p, const char *s, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(s, '\n', n);
		size_t take = nl ? (size_t)(nl - s) : n;
		int rc;

		if (p->llen + take > RUNNER_LINE_MAX)
			return pfail(p, -EMSGSIZE,
			             "an event line is longer than %d bytes",
			             RUNNER_LINE_MAX);
		if (nl && p->llen == 0) {
			rc = event_line(p, s, take); /* no copy */
		} else {
			if (p->llen + take > p->lcap) {
				size_t cap = p->lcap ? p->lcap : 4096;
				char *l;

				while (cap < p->llen + take)
					cap *= 2;
				if (cap > RUNNER_LINE_MAX)
					cap = RUNNER_LINE_MAX;
				l = realloc(p->line, cap);
				if (!l)
					return pfail(p, -ENOMEM,
					             "out of memory");
				p->line = l;
				p->lcap = cap;
			}
			memcpy(p->line + p->llen, s, take);
			p->llen += take;
			rc = 0;
			if (nl) {
				size_t len = p->llen;

				p->llen = 0;
				rc = event_line(p, p->line, len);
			}
		}
		if (rc < 0)
			return rc;
		s += take + (nl ? 1 : 0);
		n -= take + (nl ? 1 : 0);
	}
	return 0;
}

static int body_bytes(struct runner_parser *p, const char *s, size_t n)
{
	size_t room;
	char *b;

	if (p->ndjson)
		return ndjson_bytes(p, s, n);
	room = RUNNER_ERROR_BODY_MAX - p->res.body_len;
	if (n > room)
		n = room;
	if (!n)
		return 0;
	b = realloc(p->res.body, p->res.body_len + n + 1);
	if (!b)
		return pfail(p, -ENOMEM, "out of memory");
	memcpy(b + p->res.body_len, s, n);
	p->res.body = b;
	p->res.body_len += n;
	b[p->res.body_len] = '\0';
	return 0;
}

/* The body is complete: the last NDJSON line, the error object. */
static int body_end(struct runner_parser *p, bool flush, bool lenient)
{
	struct json_object *o, *e, *c, *m;
	int rc = 0;

	p->st = P_DONE;
	if (p->ndjson) {
		size_t n = p->llen;

		p->llen = 0;
		if (!flush || !n)
			return 1;
		rc = event_line(p, p->line, n);
		if (rc < 0 && lenient) {
			/* A last line cut by the close: a truncated stream. */
			p->st = P_DONE;
			p->res.error[0] = '\0';
			p->res.truncated = true;
			return 1;
		}
		return rc < 0 ? rc : 1;
	}
	if (!p->res.body_len)
		return 1;
	o = json_tokener_parse(p->res.body);
	if (json_object_object_get_ex(o, "error", &e) &&
	    json_object_object_get_ex(e, "code", &c) &&
	    json_object_is_type(c, json_type_string)) {
		const char *cs = json_object_get_string(c);

		copy_cut(p->res.err_code, sizeof(p->res.err_code), cs,
		         strlen(cs));
		if (json_object_object_get_ex(e, "message", &m) &&
		    json_object_is_type(m, json_type_string))
			copy_cut(p->res.err_message, sizeof(p->res.err_message),
			         json_object_get_string(m),
			         (size_t)json_object_get_string_len(m));
	}
	json_object_put(o);
	return 1;
}

static int chunk_size_line(struct runner_parser *p)
{
	const char *s = p->hline;
	uint64_t v = 0;
	size_t i;

	for (i = 0; isxdigit((unsigned char)s[i]); i++) {
		unsigned d = isdigit((unsigned char)s[i])
		                     ? (unsigned)(s[i] - '0')
		                     : (unsigned)(tolower(s[i]) - 'a' + 10);

		if (v > (UINT64_MAX / 2 - d) / 16)
			return pfail(p, -EPROTO, "chunk size too large");
		v = v * 16 + d;
	}
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (i == 0 || !isxdigit((unsigned char)s[0]) ||
	    (s[i] != '\0' && s[i] != ';'))
		return pfail(p, -EPROTO, "bad chunk size line");
	p->len = v;
	p->st = v ? P_CHUNK_DATA : P_TRAILER;
	return 0;
}

int runner_parser_feed(struct runner_parser *p, const void *buf, size_t n)
{
	const char *s = buf;
	int rc = 0;

	while (rc == 0) {
		switch (p->st) {
		case P_FAILED:
			return p->rc;
		case P_DONE:
			return 1;
		case P_STATUS:
		case P_HEADER:
		case P_TRAILER: {
			size_t before = n;
			bool hdr = p->st != P_TRAILER;

			if (!n)
				return 0;
			/* hdr_total already counts this line's first hlen. */
			rc = take_line(p, &s, &n,
			               RUNNER_HEADER_MAX -
			                       (p->hdr_total - p->hlen));
			p->hdr_total += before - n;
			if (rc < 0)
				return pfail(p, -EMSGSIZE,
				             "%s longer than %d bytes",
				             hdr ? "headers" : "trailers",
				             RUNNER_HEADER_MAX);
			if (rc == 0)
				return 0;
			p->hlen = 0;
			if (p->st == P_STATUS)
				rc = status_line(p);
			else if (p->hline[0] == '\0')
				rc = hdr ? headers_end(p)
				         : body_end(p, true, false);
			else if (hdr)
				rc = header_line(p);
			else
				rc = 0; /* trailers are ignored */
			break;
		}
		case P_CHUNK_SIZE:
		case P_CHUNK_END:
			if (!n)
				return 0;
			rc = take_line(p, &s, &n, CHUNK_LINE_MAX);
			if (rc < 0)
				return pfail(p, -EPROTO, "bad chunk size line");
			if (rc == 0)
				return 0;
			p->hlen = 0;
			if (p->st == P_CHUNK_SIZE)
				rc = chunk_size_line(p);
			else if (p->hline[0] != '\0')
				rc = pfail(p, -EPROTO,
				           "chunk without its CRLF");
			else
				p->st = P_CHUNK_SIZE, rc = 0;
			break;
		case P_CHUNK_DATA:
		case P_BODY_LEN:
		case P_BODY_CLOSE: {
			size_t take = n;

			if (!n)
				return 0;
			if (p->st != P_BODY_CLOSE && take > p->len)
				take = (size_t)p->len;
			rc = body_bytes(p, s, take);
			s += take;
			n -= take;
			if (rc < 0)
				return rc;
			if (p->st != P_BODY_CLOSE) {
				p->len -= take;
				if (p->len == 0 && p->st == P_CHUNK_DATA)
					p->st = P_CHUNK_END;
				else if (p->len == 0)
					rc = body_end(p, true, false);
			}
			if (rc == 0 && !p->ndjson &&
			    p->res.body_len == RUNNER_ERROR_BODY_MAX)
				rc = body_end(p, false,
				              false); /* enough of it */
			break;
		}
		}
	}
	return rc;
}

int runner_parser_eof(struct runner_parser *p)
{
	switch (p->st) {
	case P_FAILED:
		return p->rc;
	case P_DONE:
		return 1;
	case P_STATUS:
		return pfail(
		        p, -EPIPE,
		        p->hdr_total
		                ? "the connection closed in the status line"
		                : "the connection closed without an answer");
	case P_HEADER:
		return pfail(p, -EPIPE, "the connection closed in the headers");
	case P_BODY_CLOSE:
		return body_end(p, true, true);
	default:
		p->res.truncated = true;
		return body_end(p, false, false);
	}
}

/* ================================================================ runs */

/* One queued control request. */
struct ctl_item {
	struct ctl_item *next;
	size_t len;
	bool eof;
	char data[]; /* len bytes */
};

struct runner_run {
	const struct runner_url *url;
	int connect_ms, idle_ms, control_ms;
	struct runner_cb cb;
	void *arg;
	char *req; /* the whole `POST run` request, headers and body */
	size_t req_len;
	char *auth;    /* "Authorization: Bearer ...\r\n" or "" */
	int cancel_fd; /* eventfd, written once by runner_free or an abort */
	atomic_bool stopping;
	pthread_t stream_th, ctl_th;

	pthread_mutex_t lock; /* guards the fields down to cb_lock */
	pthread_cond_t cond;  /* the control thread waits on it */
	char id[33];          /* the run id, "" until the start event */
	struct ctl_item *head, **tail;
	size_t queued;    /* stdin bytes in the queue */
	bool eof_queued;  /* no more stdin */
	bool kill_queued; /* a kill waits for the control thread */
	bool kill_done;   /* a kill was queued or the stream aborted */
	bool aborted;     /* runner_kill before the id: close the stream */
	bool finished;    /* the stream thread is past its end */

	pthread_mutex_t cb_lock; /* serialises callbacks */
	bool done_called;
	int retry_after;
};

/* Why a request failed, for done or control. */
struct fail {
	int status;
	const char *code;
	char msg[768];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until fd (-1: none) is ready for events, the run is cancelled, or
 * the deadline passes.  1 ready, 0 timeout, -ECANCELED, or -errno.
 */
static int wait_fd(struct runner_run *r, int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pf[2] = {
		        {.fd = r->cancel_fd, .events = POLLIN},
		        {.fd = fd, .events = events},
		};
		int64_t left = deadline - now_ms();
		int n;

		if (left < 0)
			left = 0;
		n = poll(pf, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (pf[0].revents)
			return -ECANCELED;
		if (n == 0)
			return 0;
		if (pf[1].revents)
			return 1;
	}
}

static int connect_one(struct runner_run *r, int family,
                       const struct sockaddr *sa, socklen_t salen,
                       int64_t deadline, int *out)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc, e = 0;
	socklen_t elen = sizeof(e);

	if (fd < 0)
		return -errno;
	for (;;) {
		if (connect(fd, sa, salen) == 0)
			goto out_ok;
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS)
			break;
		if (errno == EAGAIN && family == AF_UNIX) {
			/* The listen backlog is full: try again shortly. */
			rc = wait_fd(r, -1, 0,
			             deadline < now_ms() + 20 ? deadline
			                                      : now_ms() + 20);
			if (rc == -ECANCELED || now_ms() >= deadline) {
				close(fd);
				return rc == -ECANCELED ? rc : -ETIMEDOUT;
			}
			continue;
		}
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = wait_fd(r, fd, POLLOUT, deadline);
	if (rc <= 0) {
		close(fd);
		return rc == 0 ? -ETIMEDOUT : rc;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
		e = errno;
	if (e) {
		close(fd);
		return -e;
	}
out_ok:
	if (family != AF_UNIX) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	*out = fd;
	return 0;
}

/* Connect to the runner: 0 with *out, -ECANCELED, or -1 with f. */
static int dial(struct runner_run *r, int *out, struct fail *f)
{
	const struct runner_url *u = r->url;
	int64_t deadline = now_ms() + r->connect_ms;
	int rc;

	if (u->kind == RUNNER_URL_UNIX) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		memcpy(sa.sun_path, u->path, strlen(u->path) + 1);
		rc = connect_one(r, AF_UNIX, (struct sockaddr *)&sa, sizeof(sa),
		                 deadline, out);
	} else {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
		                         .ai_flags = AI_NUMERICSERV};
		struct addrinfo *ai, *a;
		int g = getaddrinfo(u->host, u->port, &hints, &ai);

		if (g != 0) {
			f->code = "runner_unavailable";
			fmt(f->msg, sizeof(f->msg),
			    "cannot resolve the runner's host '%s' (%s): %s",
			    u->host, u->display,
			    g == EAI_SYSTEM ? strerror(errno)
			                    : gai_strerror(g));
			return -1;
		}
		rc = -ENOENT;
		for (a = ai; a; a = a->ai_next) {
			rc = connect_one(r, a->ai_family, a->ai_addr,
			                 a->ai_addrlen, deadline, out);
			if (rc == 0 || rc == -ECANCELED || rc == -ETIMEDOUT)
				break;
		}
		freeaddrinfo(ai);
	}
	if (rc == 0 || rc == -ECANCELED)
		return rc;
	if (rc == -ETIMEDOUT) {
		f->code = "runner_timeout";
		fmt(f->msg, sizeof(f->msg),
		    "the runner at %s did not accept the connection within %d ms",
		    u->display, r->connect_ms);
	} else {
		f->code = "runner_unavailable";
		fmt(f->msg, sizeof(f->msg),
		    "cannot connect to the runner at %s: %s", u->display,
		    strerror(-rc));
	}
	return -1;
}

/* Send all of buf: 0, -ECANCELED, -ETIMEDOUT or -errno. */
static int send_all(struct runner_run *r, int fd, const char *buf, size_t len,
                    int idle_ms)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int rc;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		rc = wait_fd(r, fd, POLLOUT, now_ms() + idle_ms);
		if (rc <= 0)
			return rc == 0 ? -ETIMEDOUT : rc;
	}
	return 0;
}

/*
 * One HTTP exchange: connect, send req, feed the answer to p until it is
 * complete (in stream mode: or its result event was seen).  Returns 0,
 * -ECANCELED, or -1 with f.
 */
static int exchange(struct runner_run *r, const char *req, size_t len,
                    struct runner_parser *p, int idle_ms, struct fail *f)
{
	const struct runner_response *res = runner_parser_response(p);
	char *buf = NULL;
	int fd = -1, rc, send_err;

	rc = dial(r, &fd, f);
	if (rc < 0)
		return rc;
	buf = malloc(READ_BUF);
	if (!buf) {
		f->code = "runner_error";
		fmt(f->msg, sizeof(f->msg), "out of memory");
		rc = -1;
		goto out_close;
	}
	/* The runner may answer and close before it read everything (413):
	   read its answer anyway, and report the send error without one. */
	send_err = send_all(r, fd, req, len, idle_ms);
	if (send_err == -ECANCELED || send_err == -ETIMEDOUT) {
		rc = send_err;
		goto out_timeout;
	}
	for (;;) {
		ssize_t n;

		rc = wait_fd(r, fd, POLLIN, now_ms() + idle_ms);
		if (rc <= 0) {
			rc = rc == 0 ? -ETIMEDOUT : rc;
			goto out_timeout;
		}
		n = recv(fd, buf, READ_BUF, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno != ECONNRESET) {
			f->code = "runner_error";
			fmt(f->msg, sizeof(f->msg),
			    "cannot read from the runner at %s: %s",
			    r->url->display, strerror(errno));
			rc = -1;
			goto out_free;
		}
		rc = n > 0 ? runner_parser_feed(p, buf, (size_t)n)
		           : runner_parser_eof(p);
		if (rc < 0 && send_err < 0 && res->status == 0) {
			f->code = "runner_error";
			fmt(f->msg, sizeof(f->msg),
			    "cannot send the request to the runner at %s: %s",
			    r->url->display, strerror(-send_err));
			rc = -1;
			goto out_free;
		}
		if (rc < 0) {
			f->code = "runner_error";
			fmt(f->msg, sizeof(f->msg),
			    "bad answer from the runner at %s: %s",
			    r->url->display, res->error);
			rc = -1;
			goto out_free;
		}
		if (rc == 1 || res->saw_result || n <= 0) {
			rc = 0;
			goto out_free;
		}
	}
out_timeout:
	if (rc == -ETIMEDOUT) {
		f->code = "runner_timeout";
		fmt(f->msg, sizeof(f->msg),
		    "the runner at %s sent nothing for %d ms", r->url->display,
		    idle_ms);
		rc = -1;
	}
out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}

/* The code and message for a non-2xx answer. */
static void error_answer(struct runner_run *r,
                         const struct runner_response *res, struct fail *f)
{
	static const struct {
		int status;
		const char *code;
	} fallback[] = {
	        {401, "unauthorized"},       {404, "not_found"},
	        {413, "too_large"},          {429, "too_many_requests"},
	        {502, "runner_unavailable"}, {503, "busy"},
	        {504, "runner_timeout"},
	};

	f->status = res->status;
	f->code = "runner_error";
	for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++) {
		if (fallback[i].status == res->status)
			f->code = fallback[i].code;
	}
	if (res->err_code[0])
		f->code = res->err_code;
	if (res->err_code[0] && res->err_message[0])
		fmt(f->msg, sizeof(f->msg), "%s", res->err_message);
	else
		fmt(f->msg, sizeof(f->msg), "the runner at %s answered %d%s%s",
		    r->url->display, res->status, res->reason[0] ? " " : "",
		    res->reason);
}

/* Call done, unless runner_free has begun; the last callback of the run. */
static void finish(struct runner_run *r, int status, const char *code,
                   const char *message)
{
	pthread_mutex_lock(&r->lock);
	r->finished = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);

	pthread_mutex_lock(&r->cb_lock);
	if (!atomic_load(&r->stopping) && !r->done_called) {
		r->done_called = true;
		r->cb.done(r->arg, status, code, message);
	}
	pthread_mutex_unlock(&r->cb_lock);
}

static bool is_run_id(const char *s)
{
	size_t i;

	for (i = 0; i < 32; i++) {
		if (!isdigit((unsigned char)s[i]) &&
		    !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	}
	return s[i] == '\0';
}

/* The parser's event callback in the stream thread. */
static void on_event(void *arg, struct json_object *ev)
{
	struct runner_run *r = arg;
	struct json_object *name, *id;

	if (json_object_object_get_ex(ev, "event", &name) &&
	    json_object_is_type(name, json_type_string) &&
	    strcmp(json_object_get_string(name), "start") == 0 &&
	    json_object_object_get_ex(ev, "id", &id) &&
	    json_object_is_type(id, json_type_string) &&
	    is_run_id(json_object_get_string(id))) {
		pthread_mutex_lock(&r->lock);
		if (!r->id[0]) {
			memcpy(r->id, json_object_get_string(id), 33);
			pthread_cond_broadcast(&r->cond);
		}
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_lock(&r->cb_lock);
	if (!atomic_load(&r->stopping) && !r->done_called && r->cb.event)
		r->cb.event(r->arg, ev); /* ev belongs to the callee */
	else
		json_object_put(ev);
	pthread_mutex_unlock(&r->cb_lock);
}

static void *stream_main(void *arg)
{
	struct runner_run *r = arg;
	struct runner_parser *p = runner_parser_new(true, on_event, r);
	const struct runner_response *res;
	struct fail f = {0};
	bool aborted;
	int rc;

	if (!p) {
		finish(r, 0, "runner_error", "out of memory");
		return NULL;
	}
	res = runner_parser_response(p);
	rc = exchange(r, r->req, r->req_len, p, r->idle_ms, &f);
	r->retry_after = res->retry_after;
	if (rc == -ECANCELED) {
		pthread_mutex_lock(&r->lock);
		aborted = r->aborted;
		pthread_mutex_unlock(&r->lock);
		if (aborted)
			finish(r, 0, "runner_killed",
			       "the run was stopped before it started");
		else
			finish(r, 0, NULL, NULL); /* runner_free: no call */
	} else if (rc < 0) {
		finish(r, res->status, f.code, f.msg);
	} else if (res->status == 200 && res->saw_result) {
		finish(r, 200, NULL, NULL);
	} else if (res->status == 200) {
		finish(r, 200, "runner_error",
		       "the runner closed the stream before the result");
	} else {
		error_answer(r, res, &f);
		finish(r, f.status, f.code, f.msg);
	}
	runner_parser_free(p);
	return NULL;
}

/* Build a `POST {prefix}{path}` request with body; NULL on ENOMEM. */
static char *build_request(const struct runner_run *r, const char *path,
                           bool stream, const char *body, size_t blen,
                           size_t *len)
{
	char *head = NULL, *req;
	int hn = asprintf(&head,
	                  "POST %s%s HTTP/1.1\r\n"
	                  "Host: %s\r\n"
	                  "User-Agent: runpad-ws\r\n"
	                  "Content-Type: application/json\r\n"
	                  "Accept: %s\r\n"
	                  "%s"
	                  "Content-Length: %zu\r\n"
	                  "Connection: close\r\n"
	                  "\r\n",
	                  r->url->prefix, path, r->url->host_header,
	                  stream ? "application/x-ndjson" : "application/json",
	                  r->auth, blen);

	if (hn < 0)
		return NULL;
	req = malloc((size_t)hn + blen + 1);
	if (req) {
		memcpy(req, head, (size_t)hn);
		memcpy(req + hn, body, blen);
		req[(size_t)hn + blen] = '\0';
		*len = (size_t)hn + blen;
	}
	free(head);
	return req;
}

/* One stdin (item) or kill (item NULL) request; failures to `control`. */
static void control_request(struct runner_run *r, const char *id,
                            struct ctl_item *item)
{
	const char *what = item ? "stdin" : "kill";
	struct runner_parser *p = runner_parser_new(false, NULL, NULL);
	struct json_object *o = NULL;
	const char *body = "";
	char path[64];
	char *req = NULL;
	size_t len = 0, blen = 0;
	struct fail f = {0};
	int rc;

	snprintf(path, sizeof(path), "runs/%s/%s", id, what);
	if (item) {
		o = json_object_new_object();
		if (o) {
			/* Both new values belong to o. */
			json_object_object_add(
			        o, "data",
			        json_object_new_string_len(item->data,
			                                   (int)item->len));
			json_object_object_add(
			        o, "eof", json_object_new_boolean(item->eof));
			body = json_object_to_json_string_length(
			        o,
			        JSON_C_TO_STRING_PLAIN |
			                JSON_C_TO_STRING_NOSLASHESCAPE,
			        &blen);
		}
	}
	if (p && (!item || (o && body)))
		req = build_request(r, path, false, body ? body : "", blen,
		                    &len);
	if (!req) {
		f.code = "runner_error";
		fmt(f.msg, sizeof(f.msg), "out of memory");
		rc = -1;
	} else {
		rc = exchange(r, req, len, p, r->control_ms, &f);
	}
	if (rc == 0) {
		const struct runner_response *res = runner_parser_response(p);

		if (res->status >= 200 && res->status < 300)
			goto out;
		error_answer(r, res, &f);
	}
	if (rc != -ECANCELED) {
		pthread_mutex_lock(&r->cb_lock);
		if (!atomic_load(&r->stopping) && !r->done_called &&
		    r->cb.control)
			r->cb.control(r->arg, what, f.status, f.code, f.msg);
		pthread_mutex_unlock(&r->cb_lock);
	}
out:
	free(req);
	json_object_put(o);
	runner_parser_free(p);
}

static void *ctl_main(void *arg)
{
	struct runner_run *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct ctl_item *item = NULL;
		char id[33];

		while (!atomic_load(&r->stopping) && !r->finished &&
		       !(r->id[0] && (r->kill_queued || r->head)))
			pthread_cond_wait(&r->cond, &r->lock);
		if (atomic_load(&r->stopping) || r->finished)
			break;
		if (r->kill_queued) {
			r->kill_queued = false; /* the kill goes first */
		} else {
			item = r->head;
			r->head = item->next;
			if (!r->head)
				r->tail = &r->head;
			r->queued -= item->len;
		}
		memcpy(id, r->id, sizeof(id));
		pthread_mutex_unlock(&r->lock);
		control_request(r, id, item);
		free(item);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void free_run(struct runner_run *r)
{
	while (r->head) {
		struct ctl_item *next = r->head->next;

		free(r->head);
		r->head = next;
	}
	if (r->cancel_fd >= 0)
		close(r->cancel_fd);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->cb_lock);
	free(r->req);
	free(r->auth);
	free(r);
}

/* Wake both threads for good: the eventfd stays readable. */
static void cancel(struct runner_run *r)
{
	uint64_t one = 1;

	while (write(r->cancel_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

struct runner_run *runner_start(const struct runner_opts *o,
                                const char *request_json, size_t len,
                                const struct runner_cb *cb, void *arg,
                                char *err, size_t errlen)
{
	struct runner_run *r;
	sigset_t all, old;
	int e;

	if (!o || !o->url || !cb || !cb->done || (!request_json && len)) {
		fmt(err, errlen, "runner_start: missing address or callback");
		return NULL;
	}
	if (o->token) {
		for (const char *c = o->token; *c; c++) {
			if ((unsigned char)*c <= ' ' ||
			    (unsigned char)*c >= 0x7f) {
				fmt(err, errlen,
				    "runner token: only printable ASCII without blanks is allowed");
				return NULL;
			}
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		fmt(err, errlen, "cannot start a run: out of memory");
		return NULL;
	}
	r->url = o->url;
	r->connect_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
	                                          : RUNNER_CONNECT_TIMEOUT_MS;
	r->idle_ms = o->idle_timeout_ms > 0 ? o->idle_timeout_ms
	                                    : RUNNER_IDLE_TIMEOUT_MS;
	r->control_ms = o->control_timeout_ms > 0 ? o->control_timeout_ms
	                                          : RUNNER_CONTROL_TIMEOUT_MS;
	r->cb = *cb;
	r->arg = arg;
	r->tail = &r->head;
	r->retry_after = -1;
	r->cancel_fd = -1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->cb_lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	if (o->token && o->token[0]) {
		if (asprintf(&r->auth, "Authorization: Bearer %s\r\n",
		             o->token) < 0)
			r->auth = NULL;
	} else {
		r->auth = strdup("");
	}
	if (r->auth)
		r->req = build_request(r, "run", true,
		                       request_json ? request_json : "", len,
		                       &r->req_len);
	if (!r->req) {
		fmt(err, errlen, "cannot start a run: out of memory");
		goto out_free;
	}
	r->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->cancel_fd < 0) {
		fmt(err, errlen, "cannot start a run: eventfd: %s",
		    strerror(errno));
		goto out_free;
	}
	/* The threads inherit a mask blocking every asynchronous signal.  The
	   control thread comes first: it makes no callback before the stream
	   thread has learnt the run id, so undoing it is silent. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&r->ctl_th, NULL, ctl_main, r);
	if (e == 0) {
		e = pthread_create(&r->stream_th, NULL, stream_main, r);
		if (e != 0) {
			pthread_mutex_lock(&r->lock);
			atomic_store(&r->stopping, true);
			pthread_cond_broadcast(&r->cond);
			pthread_mutex_unlock(&r->lock);
			pthread_join(r->ctl_th, NULL);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		fmt(err, errlen, "cannot start a run: pthread_create: %s",
		    strerror(e));
		goto out_free;
	}
	return r;

out_free:
	free_run(r);
	return NULL;
}

int runner_send_stdin(struct runner_run *r, const char *data, size_t len,
                      bool eof)
{
	struct ctl_item *item;
	int rc = 0;

	if (!r || (!data && len))
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	if (r->eof_queued || r->finished) {
		rc = -EPIPE;
		goto out_unlock;
	}
	if (len > RUNNER_STDIN_MAX - r->queued) {
		rc = -ENOSPC;
		goto out_unlock;
	}
	item = malloc(sizeof(*item) + len);
	if (!item) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	item->next = NULL;
	item->len = len;
	item->eof = eof;
	if (len)
		memcpy(item->data, data, len);
	*r->tail = item;
	r->tail = &item->next;
	r->queued += len;
	r->eof_queued = eof;
	pthread_cond_broadcast(&r->cond);
out_unlock:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int runner_kill(struct runner_run *r)
{
	if (!r)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	if (!r->finished && !r->kill_done) {
		r->kill_done = true;
		if (r->id[0]) {
			r->kill_queued = true;
			pthread_cond_broadcast(&r->cond);
		} else {
			r->aborted = true;
			cancel(r);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int runner_retry_after(const struct runner_run *r)
{
	return r ? r->retry_after : -1;
}

void runner_free(struct runner_run *r)
{
	if (!r)
		return;
	atomic_store(&r->stopping, true);
	cancel(r);
	pthread_mutex_lock(&r->lock);
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->stream_th, NULL);
	pthread_join(r->ctl_th, NULL);
	free_run(r);
}
