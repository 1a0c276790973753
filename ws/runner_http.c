/*
 * runner_http.c - the response parser of the run API client: HTTP/1.1
 * status line, headers, Content-Length, close-delimited and chunked
 * bodies, and NDJSON events as they arrive.  Pure: bytes in, events and a
 * struct runner_response out.  See runner.h.
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

#include "buf.h"
#include "runner_int.h"

#define CHUNK_LINE_MAX 4096 /* a chunk-size line with its extensions */

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

	/* NDJSON: the unfinished line (RUNNER_LINE_MAX at most, checked
	   before each add). */
	struct buf line;
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
	buf_limit(&p->line, RUNNER_LINE_MAX);
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
	buf_fini(&p->line);
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

		if (p->line.len + take > RUNNER_LINE_MAX)
			return pfail(p, -EMSGSIZE,
			             "an event line is longer than %d bytes",
			             RUNNER_LINE_MAX);
		if (nl && p->line.len == 0) {
			rc = event_line(p, s, take); /* no copy */
		} else {
			if (buf_add(&p->line, s, take) < 0)
				return pfail(p, -ENOMEM, "out of memory");
			rc = 0;
			if (nl) {
				rc = event_line(p, p->line.p, p->line.len);
				buf_clear(&p->line);
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
		size_t n = p->line.len;

		if (!flush || !n) {
			buf_clear(&p->line);
			return 1;
		}
		rc = event_line(p, p->line.p, n);
		buf_clear(&p->line);
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
