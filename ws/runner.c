/*
 * runner.c - the pad daemon's client of the run API: the socket helpers
 * (every wait is a poll() on the socket and the run's cancel eventfd), the
 * two threads of a run and the public calls.  The address parser is
 * runner_url.c, the response parser runner_http.c.  See runner.h for the
 * threads, the callbacks and the cancellation.
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

#define READ_BUF (64 * 1024)

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
