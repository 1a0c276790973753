/*
 * reply.c - runpad-fcgi's side of a request: the parameters, the body,
 * the bearer token, and the answers (a JSON body, an API error, NDJSON
 * events flushed one by one).  See server_int.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server_int.h"

static const char *status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 421:
		return "Misdirected Request";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

/* ---------------------------------------------------------- output */

int rq_put(struct req *rq, const char *s, size_t n)
{
	if (rq->client_gone)
		return -1;
	if (FCGX_PutStr(s, (int)n, rq->fr->out) < 0) {
		rq->client_gone = true;
		return -1;
	}
	return 0;
}

void rq_head(struct req *rq, int status, const char *ctype, const char *extra)
{
	char head[1024];
	int n;

	rq->status = status;
	rq->headers_sent = true;
	n = snprintf(head, sizeof(head),
	             "Status: %d %s\r\nContent-Type: %s\r\n"
	             "Cache-Control: no-store\r\n"
	             "X-Content-Type-Options: nosniff\r\n%s\r\n",
	             status, status_text(status), ctype, extra ? extra : "");
	rq_put(rq, head, (size_t)n);
}

/* Answer with a JSON body; `o` is consumed. */
void rq_json(struct req *rq, int status, json_object *o, const char *extra)
{
	size_t n;
	const char *text;

	if (!o) {
		status = 500;
		o = json_object_new_string("out of memory");
	}
	text = json_object_to_json_string_length(
	        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	rq_head(rq, status, "application/json", extra);
	rq_put(rq, text, n);
	rq_put(rq, "\n", 1);
	json_object_put(o);
}

void rq_error(struct req *rq, const struct api_error *e)
{
	json_object *o = api_error_json(e);
	char extra[256] = "";

	if (e->status == 503)
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n",
		         rq->set->retry_after);
	else if (e->status == 401)
		snprintf(extra, sizeof(extra),
		         "WWW-Authenticate: Bearer realm=\"runpad\"\r\n");
	/* Piston clients read a top-level "message" */
	if (strncmp(rq->path, rq->set->prefix, strlen(rq->set->prefix)) == 0 &&
	    strncmp(rq->path + strlen(rq->set->prefix), "v2/", 3) == 0)
		json_object_object_add(o, "message",
		                       json_object_new_string(e->message));
	rq_json(rq, e->status, o, extra[0] ? extra : NULL);
}

void rq_fail(struct req *rq, int status, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void rq_fail(struct req *rq, int status, const char *code, const char *fmt, ...)
{
	struct api_error e = {.status = status, .code = code};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	rq_error(rq, &e);
}

/* One NDJSON line, flushed at once. */
bool rq_event(struct req *rq, json_object *ev)
{
	size_t n;
	const char *text = json_object_to_json_string_length(
	        ev, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	        &n);

	if (rq_put(rq, text, n) < 0 || rq_put(rq, "\n", 1) < 0)
		return false;
	if (FCGX_FFlush(rq->fr->out) < 0) {
		rq->client_gone = true;
		return false;
	}
	return true;
}

bool rq_emit_cb(void *arg, json_object *ev)
{
	return rq_event(arg, ev);
}

/* ---------------------------------------------------------- input */

const char *rq_param(struct req *rq, const char *name)
{
	return FCGX_GetParam(name, rq->fr->envp);
}

/*
 * Read the body to its end (the end record must be consumed, or the
 * connection would look readable and the run would be taken for
 * abandoned).  More than max_body is refused with 413.
 */
int rq_read_body(struct req *rq)
{
	const char *cl = rq_param(rq, "CONTENT_LENGTH");
	unsigned long long want = 0;
	size_t cap, n = 0;
	char sink[4096];

	if (cl && *cl) {
		char *end;
		errno = 0;
		want = strtoull(cl, &end, 10);
		if (errno || *end) {
			rq_fail(rq, 400, "bad_request",
			        "Content-Length: not a number");
			return -1;
		}
	}
	if (want > rq->set->max_body) {
		rq_fail(rq, 413, "too_large",
		        "the body is %llu bytes, at most %llu", want,
		        (unsigned long long)rq->set->max_body);
		return -1;
	}
	cap = want ? (size_t)want + 1 : 4096;
	rq->body = malloc(cap);
	if (!rq->body) {
		rq_fail(rq, 503, "out_of_memory", "out of memory");
		return -1;
	}
	for (;;) {
		int k;
		if (n == cap - 1) {
			size_t nc = cap * 2;
			char *nb;
			if (nc > rq->set->max_body + 2)
				nc = rq->set->max_body + 2;
			if (n + 1 >= nc) {
				/* over the cap: drain, then refuse */
				while (FCGX_GetStr(sink, sizeof(sink),
				                   rq->fr->in) > 0)
					;
				rq_fail(rq, 413, "too_large",
				        "the body is more than %llu bytes",
				        (unsigned long long)rq->set->max_body);
				return -1;
			}
			nb = realloc(rq->body, nc);
			if (!nb) {
				rq_fail(rq, 503, "out_of_memory",
				        "out of memory");
				return -1;
			}
			rq->body = nb;
			cap = nc;
		}
		k = FCGX_GetStr(rq->body + n, (int)(cap - 1 - n), rq->fr->in);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	rq->body[n] = '\0';
	rq->body_len = n;
	return 0;
}

/* Constant-time comparison of a presented token with the configured ones. */
bool rq_authorized(struct req *rq)
{
	const char *h = rq_param(rq, "HTTP_AUTHORIZATION");
	bool ok = false;

	if (!rq->set->ntokens)
		return true;
	if (!h || strncasecmp(h, "Bearer ", 7))
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	for (size_t i = 0; i < rq->set->ntokens; i++) {
		const char *t = rq->set->tokens[i];
		size_t lt = strlen(t), lh = strlen(h);
		unsigned char diff = lt != lh;
		for (size_t k = 0; k < lt; k++)
			diff |= (unsigned char)(t[k] ^ (k < lh ? h[k] : 0));
		ok |= diff == 0;
	}
	return ok;
}

bool rq_wants_stream(struct req *rq)
{
	const char *a = rq_param(rq, "HTTP_ACCEPT");

	return a && strstr(a, "application/x-ndjson");
}
