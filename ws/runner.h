/*
 * runner.h - the pad daemon's client of the run API (docs/api.md).
 *
 * Theory of operation.  The pad daemon is one libwebsockets event loop that
 * must never block, so every run gets two threads of its own doing blocking
 * I/O with poll() and timeouts:
 *
 *   stream thread   connects, sends `POST {prefix}run` (streaming,
 *                   `Accept: application/x-ndjson`), parses the answer and
 *                   calls `event` once per NDJSON line as it arrives, then
 *                   `done` once.
 *   control thread  waits on a condition variable for what runner_send_stdin
 *                   and runner_kill queued, and sends each as its own
 *                   `POST {prefix}runs/{id}/stdin` or `.../kill` (one
 *                   connection each, `Connection: close`), in order.  It
 *                   learns {id} from the stream's `start` event; stdin queued
 *                   before that is held until then.  Failures go to `control`.
 *
 * Callbacks are CALLED FROM THESE THREADS, never from the owner's: the owner
 * copies what it needs, queues it and wakes its loop.  Callbacks of one run
 * never overlap (a per-run mutex serialises them), `done` is the last one,
 * and none starts once runner_free has begun.  A callback may call
 * runner_send_stdin and runner_kill, but never runner_free, and must not
 * wait for the owner's thread (runner_free waits for a callback in
 * progress).
 *
 * Cancellation: every poll() of both threads also watches one eventfd per
 * run.  runner_free writes it (it stays readable), so whatever either
 * thread waits for ends at once; the threads close their own sockets and
 * runner_free joins them.  The one wait that cannot be cut short is
 * getaddrinfo() for a host name (not for an IP literal or a unix socket).
 *
 * Both threads block all asynchronous signals, so the owner's signal
 * handling is not disturbed.
 *
 * The HTTP/1.1 response parser is exposed below (runner_parser_*) so that
 * tests and fuzzers can feed it bytes without sockets.
 */
#ifndef RUNPAD_RUNNER_H
#define RUNPAD_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* ---------------------------------------------------------------- address */

enum runner_url_kind {
	RUNNER_URL_TCP,
	RUNNER_URL_UNIX,
};

/*
 * A parsed runner address; every string is owned by the struct and
 * NUL-terminated.
 */
struct runner_url {
	enum runner_url_kind kind;
	char *host; /* TCP: a name or an IP literal (no brackets); NULL for unix */
	char *port;   /* TCP: decimal, "80" when not given; NULL for unix */
	char *path;   /* unix: the socket's absolute path; NULL for TCP */
	char *prefix; /* where the API lives: starts and ends with '/' */
	char *host_header; /* the Host header: "host:port", "[v6]:port", "localhost" */
	char *display; /* the address for messages, as given */
};

/*
 * Parse a runner address:
 *
 *   http://HOST[:PORT][/PREFIX/]   HOST a name, an IPv4 literal or [IPv6]
 *   unix:/PATH/TO/SOCK[:/PREFIX/]  HTTP over a unix socket; the prefix
 *                                  starts after the last ":/" of the string
 *
 * A missing prefix means "/"; a prefix without its final '/' gets one.
 * Refused: other schemes (https: put nginx in front), user info, a query or
 * fragment, blanks or control characters, an empty host, a port outside
 * 1-65535, a relative or too long socket path.  Returns 0 and a new *out
 * (free with runner_url_free), or -EINVAL (-ENOMEM) with a sentence in err.
 */
int runner_url_parse(const char *s, struct runner_url **out, char *err,
                     size_t errlen);

/* Free a parsed address; NULL is fine. */
void runner_url_free(struct runner_url *u);

/* ---------------------------------------------------------------- runs */

#define RUNNER_CONNECT_TIMEOUT_MS 3000          /* default connect_timeout_ms */
#define RUNNER_IDLE_TIMEOUT_MS    120000        /* default idle_timeout_ms */
#define RUNNER_CONTROL_TIMEOUT_MS 10000         /* default control_timeout_ms */
#define RUNNER_STDIN_MAX          (1024 * 1024) /* stdin waiting locally */
#define RUNNER_HEADER_MAX         (16 * 1024)   /* status line + headers */
#define RUNNER_LINE_MAX           (4 * 1024 * 1024) /* one NDJSON line */
#define RUNNER_ERROR_BODY_MAX     (64 * 1024)       /* a non-200 body kept */

struct runner_opts {
	const struct runner_url *url;
	const char *token; /* Authorization: Bearer; NULL or "" for none */
	/* Each <= 0 means its default. */
	int connect_timeout_ms; /* one connection attempt, all addresses */
	/* Longest silence of the stream (and the wait for its headers).  A
	   program waiting for stdin is silent, so the default is the longest
	   run there can be (wall time 20 s, queue, compile), generously. */
	int idle_timeout_ms;
	int control_timeout_ms; /* silence of one stdin or kill request */
};

struct runner_cb {
	/* One event object of the NDJSON stream, in order.  Ownership of ev
	   passes to the callee (json_object_put it).  May be NULL. */
	void (*event)(void *arg, struct json_object *ev);
	/* A stdin or kill request failed: what is "stdin" or "kill"; status the
	   HTTP status, or 0 when there was no answer (then code is
	   runner_unavailable, runner_timeout or runner_error); code and
	   message from the error body, or our own.  May be NULL. */
	void (*control)(void *arg, const char *what, int status,
	                const char *code, const char *message);
	/*
	 * Called exactly once, last, unless runner_free came first.  code is
	 * NULL (status 200, message NULL) when the stream ended with a result
	 * event.  Otherwise status is the HTTP status (0 when there was
	 * none) and code one of:
	 *   runner_unavailable  no connection: refused, no such socket, DNS
	 *                       failure (the message names the address); also
	 *                       nginx's 502 without a JSON body
	 *   runner_timeout      connect or idle timeout; nginx's 504
	 *   runner_error        a broken answer, or a stream that ended
	 *                       before its result event
	 *   runner_killed       runner_kill before the run id was known: the
	 *                       stream was closed (which stops the run)
	 *   the API's code      from the error body (unknown_language, busy,
	 *                       ...); for a body that is not JSON:
	 *                       too_many_requests (429), unauthorized (401),
	 *                       not_found (404), too_large (413), busy (503)
	 * runner_retry_after() gives a 503's Retry-After.  Required.
	 */
	void (*done)(void *arg, int status, const char *code,
	             const char *message);
};

struct runner_run;

/*
 * Start a run: copy the request body (request_json, len bytes; the caller
 * builds it, e.g. {"language":"python","code":"...","interactive":true})
 * and start the run's threads.  o->url, o->token and cb's functions must
 * stay valid until runner_free; o and cb themselves are copied.  Returns
 * the run, or NULL with a sentence in err (bad token, thread creation,
 * memory).  Every started run must be given to runner_free.
 */
struct runner_run *runner_start(const struct runner_opts *o,
                                const char *request_json, size_t len,
                                const struct runner_cb *cb, void *arg,
                                char *err, size_t errlen);

/*
 * Queue len bytes (UTF-8: the runner refuses invalid UTF-8 with bad_json)
 * for the program's stdin, then end of file when eof.  Sent in order, one
 * request per call, once the run id is known.  Never blocks on I/O; any
 * thread.  Returns 0, -EPIPE once eof was queued or the run has ended,
 * -ENOSPC when more than RUNNER_STDIN_MAX bytes would wait locally, or
 * -ENOMEM.  A request the runner refuses (409 stdin_full, ...) is reported
 * through `control` and dropped; later chunks are still sent.
 */
int runner_send_stdin(struct runner_run *r, const char *data, size_t len,
                      bool eof);

/*
 * Stop the run.  With the run id known, queue `POST runs/{id}/kill` ahead
 * of any waiting stdin (the stream then ends with the result as usual).
 * Before that (connecting, waiting for the answer), close the stream
 * instead: done reports runner_killed.  Never blocks on I/O; any thread.
 * Returns 0 (also when the run has already ended, or a kill is pending).
 */
int runner_kill(struct runner_run *r);

/*
 * Stop everything and free the run: wake both threads (they close their
 * sockets), join them, free what is queued.  Call it from the owner's
 * thread, at any time, exactly once per run, never from a callback.  If the
 * stream was still going, closing it stops the run on the runner.  When it
 * returns no callback runs any more; done may or may not have been called
 * before (the owner must not rely on either).  NULL is fine.
 */
void runner_free(struct runner_run *r);

/*
 * Retry-After of the answer in seconds (delta-seconds form), or -1 when
 * there was none.  Meaningful once done has been called.
 */
int runner_retry_after(const struct runner_run *r);

/* ---------------------------------------------------------------- parser */

/*
 * What the parser learnt of one response.  Strings are NUL-terminated and
 * owned by the parser; valid until runner_parser_free.
 */
struct runner_response {
	int status;       /* 0 until the status line is read */
	char reason[128]; /* the reason phrase, cut */
	char content_type[128];
	int retry_after; /* delta-seconds, or -1 */
	bool saw_result; /* stream mode: a `result` event was delivered */
	bool truncated;  /* the body ended before its framing said */
	char *body;      /* non-stream body (at most RUNNER_ERROR_BODY_MAX) */
	size_t body_len;
	/* From a body {"error":{"code":...,"message":...}}, else "". */
	char err_code[64];
	char err_message[1024];
	char error[256]; /* why feed or eof failed */
};

struct runner_parser;

/*
 * A parser for one HTTP/1.x response.  In stream mode the body of a 200 is
 * NDJSON: each line is parsed (json-c) and, when it is an object, handed to
 * event(arg, ev) at once, ownership included (event NULL: dropped).  Any
 * other body (every body when stream is false) is kept, cut at
 * RUNNER_ERROR_BODY_MAX, and parsed for an error object when it ends.
 * Returns NULL on ENOMEM.
 */
struct runner_parser *
runner_parser_new(bool stream, void (*event)(void *arg, struct json_object *ev),
                  void *arg);

/*
 * Feed n bytes.  Returns 0 when more is wanted, 1 when the response is
 * complete (later bytes are ignored), or a negative errno with
 * runner_parser_response()->error set: -EPROTO (bad status line, header,
 * chunk or event line), -EMSGSIZE (headers over RUNNER_HEADER_MAX, a line
 * over RUNNER_LINE_MAX), -ENOMEM.  After an error every call returns it.
 */
int runner_parser_feed(struct runner_parser *p, const void *buf, size_t n);

/*
 * The connection closed.  Returns 1 when the response is complete (a body
 * read to the close; or a cut body, then `truncated` is set), or -EPIPE
 * when the headers had not ended (error says so), or the earlier error.
 */
int runner_parser_eof(struct runner_parser *p);

const struct runner_response *
runner_parser_response(const struct runner_parser *p);

/* NULL is fine. */
void runner_parser_free(struct runner_parser *p);

#endif
