/*
 * Unit tests: ws/runner (the run API client).
 *
 * The parser is fed bytes directly; the client talks to a small HTTP server
 * in this file (an accept thread and one thread per connection, on
 * 127.0.0.1 with an ephemeral port or on a unix socket in a mkdtemp
 * directory) that records every request and answers as the test says.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

#define RUN_ID "0123456789abcdef0123456789abcdef"
#define START                                                                  \
	"{\"event\":\"start\",\"id\":\"" RUN_ID "\",\"interactive\":true}\n"
#define RESULT "{\"event\":\"result\",\"result\":{\"verdict\":\"accepted\"}}\n"

/* ---------------------------------------------------------------- helpers */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- server */

struct req {
	char method[16];
	char path[256];
	char head[4096];
	char body[8192];
	size_t body_len;
};

struct srv;
typedef void (*handler)(struct srv *s, int fd, const struct req *rq);

struct srv {
	int lfd;
	int port;
	char dir[64];
	char sock[128];
	handler run; /* answers POST .../run */
	handler ctl; /* answers POST .../runs/... */
	pthread_t th;
	atomic_bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct req reqs[16];
	int nreqs;
	int active; /* connection threads running */
	bool go;    /* set by a test to release a waiting handler */
	int ctl_status;
};

static struct srv S = {.mu = PTHREAD_MUTEX_INITIALIZER,
                       .cv = PTHREAD_COND_INITIALIZER,
                       .lfd = -1};

/* Wait (up to ms) until cond holds; evaluated under S.mu. */
#define SRV_WAIT(cond, ms)                                                     \
	({                                                                     \
		int64_t _end = now_ms() + (ms);                                \
		bool _ok;                                                      \
		pthread_mutex_lock(&S.mu);                                     \
		while (!(_ok = (cond)) && !atomic_load(&S.stop) &&             \
		       now_ms() < _end) {                                      \
			pthread_mutex_unlock(&S.mu);                           \
			sleep_ms(2);                                           \
			pthread_mutex_lock(&S.mu);                             \
		}                                                              \
		pthread_mutex_unlock(&S.mu);                                   \
		_ok;                                                           \
	})

static void put(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void puts_fd(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

static bool read_req(int fd, struct req *rq)
{
	char buf[16384];
	size_t n = 0;
	char *end = NULL, *cl;
	size_t want = 0;

	memset(rq, 0, sizeof(*rq));
	while (!end) {
		ssize_t r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);

		if (r <= 0)
			return false;
		n += (size_t)r;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	*end = '\0';
	snprintf(rq->head, sizeof(rq->head), "%.4000s", buf);
	sscanf(buf, "%15s %255s", rq->method, rq->path);
	cl = strcasestr(rq->head, "\ncontent-length:");
	if (cl)
		want = strtoul(cl + 16, NULL, 10);
	if (want > sizeof(rq->body))
		return false;
	rq->body_len = n - (size_t)(end + 4 - buf);
	memcpy(rq->body, end + 4, rq->body_len);
	while (rq->body_len < want) {
		ssize_t r = recv(fd, rq->body + rq->body_len,
		                 want - rq->body_len, 0);

		if (r <= 0)
			return false;
		rq->body_len += (size_t)r;
	}
	return true;
}

struct conn {
	int fd;
};

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct req rq;

	if (read_req(c->fd, &rq)) {
		pthread_mutex_lock(&S.mu);
		if (S.nreqs < 16)
			S.reqs[S.nreqs++] = rq;
		pthread_mutex_unlock(&S.mu);
		if (strstr(rq.path, "/runs/"))
			S.ctl(&S, c->fd, &rq);
		else
			S.run(&S, c->fd, &rq);
	}
	close(c->fd);
	free(c);
	pthread_mutex_lock(&S.mu);
	S.active--;
	pthread_mutex_unlock(&S.mu);
	return NULL;
}

static void *accept_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&S.stop)) {
		struct pollfd pf = {.fd = S.lfd, .events = POLLIN};
		struct conn *c;
		pthread_t th;
		int fd;

		if (poll(&pf, 1, 20) <= 0)
			continue;
		fd = accept4(S.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (S.port) {
			int one = 1;

			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			           sizeof(one));
		}
		c = malloc(sizeof(*c));
		c->fd = fd;
		pthread_mutex_lock(&S.mu);
		S.active++;
		pthread_mutex_unlock(&S.mu);
		pthread_create(&th, NULL, conn_main, c);
		pthread_detach(th);
	}
	return NULL;
}

static void ctl_ok(struct srv *s, int fd, const struct req *rq)
{
	const char *ok = "{\"accepted\":1,\"eof\":false}";
	char head[256];

	if (s->ctl_status == 409) {
		ok = "{\"error\":{\"code\":\"stdin_full\",\"message\":\"stdin: "
		     "only 3 bytes free\"}}";
		snprintf(head, sizeof(head),
		         "HTTP/1.1 409 Conflict\r\nContent-Type: "
		         "application/json\r\nContent-Length: %zu\r\n\r\n",
		         strlen(ok));
	} else {
		snprintf(
		        head, sizeof(head),
		        "HTTP/1.1 200 OK\r\nContent-Type: "
		        "application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
		        "%zx\r\n",
		        strlen(ok));
	}
	puts_fd(fd, head);
	puts_fd(fd, ok);
	if (s->ctl_status != 409)
		puts_fd(fd, "\r\n0\r\n\r\n");
}

static void srv_start(bool unix_socket, handler run)
{
	S.run = run;
	S.ctl = ctl_ok;
	if (unix_socket) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		strcpy(S.dir, "/tmp/test_runner.XXXXXX");
		cr_assert_not_null(mkdtemp(S.dir));
		snprintf(S.sock, sizeof(S.sock), "%s/api.sock", S.dir);
		strcpy(sa.sun_path, S.sock);
		S.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert(bind(S.lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	} else {
		struct sockaddr_in sa = {.sin_family = AF_INET,
		                         .sin_addr.s_addr =
		                                 htonl(INADDR_LOOPBACK)};
		socklen_t len = sizeof(sa);

		S.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert(bind(S.lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		getsockname(S.lfd, (struct sockaddr *)&sa, &len);
		S.port = ntohs(sa.sin_port);
	}
	cr_assert(listen(S.lfd, 16) == 0);
	pthread_create(&S.th, NULL, accept_main, NULL);
}

static void srv_stop(void)
{
	if (S.lfd < 0)
		return;
	atomic_store(&S.stop, true);
	pthread_join(S.th, NULL);
	SRV_WAIT(S.active == 0, 3000);
	close(S.lfd);
	S.lfd = -1;
	if (S.sock[0])
		unlink(S.sock);
	if (S.dir[0])
		rmdir(S.dir);
}

/* ---------------------------------------------------------------- client */

struct obs {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *events[32];
	int nevents;
	char ctl[8][512];
	int nctl;
	bool done;
	int calls_after_done;
	int status;
	char code[64];
	char msg[768];
	atomic_bool freed;
	atomic_int after_free;
};

static struct obs O = {.mu = PTHREAD_MUTEX_INITIALIZER,
                       .cv = PTHREAD_COND_INITIALIZER};

static void on_event(void *arg, struct json_object *ev)
{
	struct obs *o = arg;

	if (atomic_load(&o->freed))
		atomic_fetch_add(&o->after_free, 1);
	pthread_mutex_lock(&o->mu);
	if (o->done)
		o->calls_after_done++;
	if (o->nevents < 32)
		o->events[o->nevents++] = strdup(json_object_to_json_string_ext(
		        ev, JSON_C_TO_STRING_PLAIN));
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	json_object_put(ev);
}

static void on_control(void *arg, const char *what, int status,
                       const char *code, const char *message)
{
	struct obs *o = arg;

	if (atomic_load(&o->freed))
		atomic_fetch_add(&o->after_free, 1);
	pthread_mutex_lock(&o->mu);
	if (o->done)
		o->calls_after_done++;
	if (o->nctl < 8)
		snprintf(o->ctl[o->nctl++], sizeof(o->ctl[0]), "%s %d %s %s",
		         what, status, code, message);
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
}

static void on_done(void *arg, int status, const char *code,
                    const char *message)
{
	struct obs *o = arg;

	if (atomic_load(&o->freed))
		atomic_fetch_add(&o->after_free, 1);
	pthread_mutex_lock(&o->mu);
	if (o->done)
		o->calls_after_done++;
	o->done = true;
	o->status = status;
	snprintf(o->code, sizeof(o->code), "%s", code ? code : "(null)");
	snprintf(o->msg, sizeof(o->msg), "%s", message ? message : "(null)");
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
}

static const struct runner_cb CB = {on_event, on_control, on_done};

#define OBS_WAIT(cond, ms)                                                     \
	({                                                                     \
		int64_t _end = now_ms() + (ms);                                \
		bool _ok;                                                      \
		pthread_mutex_lock(&O.mu);                                     \
		while (!(_ok = (cond)) && now_ms() < _end) {                   \
			struct timespec _ts;                                   \
			clock_gettime(CLOCK_REALTIME, &_ts);                   \
			_ts.tv_nsec += 10 * 1000000;                           \
			if (_ts.tv_nsec >= 1000000000) {                       \
				_ts.tv_sec++;                                  \
				_ts.tv_nsec -= 1000000000;                     \
			}                                                      \
			pthread_cond_timedwait(&O.cv, &O.mu, &_ts);            \
		}                                                              \
		pthread_mutex_unlock(&O.mu);                                   \
		_ok;                                                           \
	})

static struct runner_url *U;
static struct runner_run *R;

static struct runner_run *start_url(const char *addr, const char *token,
                                    int idle_ms)
{
	char err[256];
	const char *body = "{\"language\":\"python\",\"code\":\"print(1)\","
	                   "\"interactive\":true}";
	struct runner_opts o = {0};

	cr_assert_eq(runner_url_parse(addr, &U, err, sizeof(err)), 0, "%s",
	             err);
	o.url = U;
	o.token = token;
	o.connect_timeout_ms = 1000;
	o.idle_timeout_ms = idle_ms;
	o.control_timeout_ms = 2000;
	R = runner_start(&o, body, strlen(body), &CB, &O, err, sizeof(err));
	cr_assert_not_null(R, "%s", err);
	return R;
}

/* Start a run against the test server. */
static struct runner_run *start(const char *token, int idle_ms)
{
	char addr[256];

	if (S.sock[0])
		snprintf(addr, sizeof(addr), "unix:%s:/api/", S.sock);
	else
		snprintf(addr, sizeof(addr), "http://127.0.0.1:%d/api/",
		         S.port);
	return start_url(addr, token, idle_ms);
}

static void teardown(void)
{
	runner_free(R);
	R = NULL;
	atomic_store(&O.freed, true);
	srv_stop();
	cr_assert_eq(atomic_load(&O.after_free), 0,
	             "a callback ran after runner_free");
	cr_assert_eq(O.calls_after_done, 0, "a callback ran after done");
	runner_url_free(U);
	U = NULL;
	for (int i = 0; i < O.nevents; i++)
		free(O.events[i]);
}

static void wait_done(void)
{
	cr_assert(OBS_WAIT(O.done, 5000), "done was not called");
}

static void assert_done(int status, const char *code)
{
	wait_done();
	cr_assert_eq(O.status, status, "status %d, message %s", O.status,
	             O.msg);
	cr_assert_str_eq(O.code, code, "code %s, message %s", O.code, O.msg);
}

/* Does events[i] hold "event":"name"? */
static bool event_is(int i, const char *name)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "\"event\":\"%s\"", name);
	return i < O.nevents && strstr(O.events[i], pat);
}

/* ---------------------------------------------------------------- handlers */

/*
 * Chunked NDJSON sent in pieces cut inside a chunk-size line, inside a
 * JSON line, inside a UTF-8 sequence and between CR and LF; the rest is
 * only sent once the client has seen the start event.
 */
static void h_chunked(struct srv *s, int fd, const struct req *rq)
{
	const char *ev2 = "{\"event\":\"stdout\",\"data\":\"h\xc3\xa9 "
	                  "\xe2\x82\xac\"}\n";
	char wire[2048];
	size_t n = 0;
	const char *cuts[] = {"\r\n{\"event\":\"start\"",
	                      "\"start\"",
	                      "\xa9",
	                      "\x82",
	                      "verdict",
	                      "\n0\r\n"};
	size_t off = 0;

	n += (size_t)snprintf(wire + n, sizeof(wire) - n,
	                      "HTTP/1.1 200 OK\r\nContent-Type: "
	                      "application/x-ndjson\r\nTransfer-Encoding: "
	                      "chunked\r\nX-Accel-Buffering: no\r\n\r\n");
	n += (size_t)snprintf(wire + n, sizeof(wire) - n, "%zx\r\n%s\r\n",
	                      strlen(START), START);
	n += (size_t)snprintf(wire + n, sizeof(wire) - n, "%zx\r\n%s\r\n",
	                      strlen(ev2), ev2);
	n += (size_t)snprintf(wire + n, sizeof(wire) - n, "%zx\r\n%s\r\n",
	                      strlen(RESULT), RESULT);
	n += (size_t)snprintf(wire + n, sizeof(wire) - n, "0\r\n\r\n");
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		const char *at = strstr(wire + off, cuts[i]);
		size_t cut = at ? (size_t)(at - wire) + 1 : off;

		put(fd, wire + off, cut - off);
		off = cut;
		if (i == 2) {
			/* START is complete: the client must have it. */
			if (!OBS_WAIT(O.nevents >= 1, 3000))
				return;
		}
		sleep_ms(5);
	}
	put(fd, wire + off, n - off);
}

static void h_length(struct srv *s, int fd, const struct req *rq)
{
	char head[256];

	snprintf(head, sizeof(head),
	         "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
	         "Content-Length: %zu\r\n\r\n",
	         strlen(START RESULT));
	puts_fd(fd, head);
	puts_fd(fd, START RESULT);
}

static void h_close(struct srv *s, int fd, const struct req *rq)
{
	puts_fd(fd, "HTTP/1.0 200 OK\r\nContent-Type: "
	            "application/x-ndjson\r\n\r\n" START);
	sleep_ms(20);
	puts_fd(fd, "{\"event\":\"stdout\",\"data\":\"x\"}\r\n" RESULT);
}

static const char *error_answer;

static void h_error(struct srv *s, int fd, const struct req *rq)
{
	puts_fd(fd, error_answer);
}

static void h_silent(struct srv *s, int fd, const struct req *rq)
{
	puts_fd(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson"
	            "\r\nTransfer-Encoding: chunked\r\n\r\n");
	SRV_WAIT(false, 5000);
}

static void h_mute(struct srv *s, int fd, const struct req *rq)
{
	SRV_WAIT(false, 5000);
}

static void h_truncated(struct srv *s, int fd, const struct req *rq)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
	         "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
	         "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%s\r\n"
	         "20\r\n{\"event\":\"stdout\"",
	         strlen(START), START);
	puts_fd(fd, buf);
}

/* Waits for the test's go, sends start, then the result once n_ctl
   control requests came (or 3 s passed). */
static int n_ctl;

static void h_interactive(struct srv *s, int fd, const struct req *rq)
{
	char buf[512];

	SRV_WAIT(S.go, 5000);
	snprintf(buf, sizeof(buf),
	         "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
	         "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%s\r\n",
	         strlen(START), START);
	puts_fd(fd, buf);
	SRV_WAIT(S.nreqs >= 1 + n_ctl, 3000);
	snprintf(buf, sizeof(buf), "%zx\r\n%s\r\n0\r\n\r\n", strlen(RESULT),
	         RESULT);
	puts_fd(fd, buf);
}

/* ---------------------------------------------------------------- address */

Test(runner, url_parse_good)
{
	struct runner_url *u;
	char err[256];

	cr_assert_eq(runner_url_parse("http://127.0.0.1:8080/api/", &u, err,
	                              sizeof(err)),
	             0);
	cr_assert_eq(u->kind, RUNNER_URL_TCP);
	cr_assert_str_eq(u->host, "127.0.0.1");
	cr_assert_str_eq(u->port, "8080");
	cr_assert_str_eq(u->prefix, "/api/");
	cr_assert_str_eq(u->host_header, "127.0.0.1:8080");
	cr_assert_null(u->path);
	runner_url_free(u);

	cr_assert_eq(
	        runner_url_parse("http://[::1]:9/x/y", &u, err, sizeof(err)),
	        0);
	cr_assert_str_eq(u->host, "::1");
	cr_assert_str_eq(u->host_header, "[::1]:9");
	cr_assert_str_eq(u->prefix, "/x/y/");
	runner_url_free(u);

	cr_assert_eq(
	        runner_url_parse("http://runner.local", &u, err, sizeof(err)),
	        0);
	cr_assert_str_eq(u->port, "80");
	cr_assert_str_eq(u->prefix, "/");
	runner_url_free(u);

	cr_assert_eq(runner_url_parse("unix:/run/runpad/api.sock:/api/", &u,
	                              err, sizeof(err)),
	             0);
	cr_assert_eq(u->kind, RUNNER_URL_UNIX);
	cr_assert_str_eq(u->path, "/run/runpad/api.sock");
	cr_assert_str_eq(u->prefix, "/api/");
	cr_assert_str_eq(u->host_header, "localhost");
	runner_url_free(u);

	cr_assert_eq(runner_url_parse("unix:/a:b/s.sock", &u, err, sizeof(err)),
	             0);
	cr_assert_str_eq(u->path, "/a:b/s.sock");
	cr_assert_str_eq(u->prefix, "/");
	runner_url_free(u);
	runner_url_free(NULL);
}

Test(runner, url_parse_bad)
{
	static const struct {
		const char *url, *says;
	} bad[] = {
	        {"", "empty"},
	        {"ftp://x/", "expected http://"},
	        {"https://x/api/", "https is not supported"},
	        {"http:///api/", "no host"},
	        {"http://:80/", "no host"},
	        {"http://h:0/", "not in 1-65535"},
	        {"http://h:65536/", "not in 1-65535"},
	        {"http://h:80x/", "bad port"},
	        {"http://h:/", "bad port"},
	        {"http://u@h/", "user info"},
	        {"http://h/api?x=1", "query"},
	        {"http://h/a b/", "blanks"},
	        {"http://[::1/", "without its ']'"},
	        {"http://[1:2:3]:1/", "bad IPv6"},
	        {"http://[::1]x/", "text after ']'"},
	        {"http://h%41/", "bad character"},
	        {"unix:rel.sock:/api/", "must be absolute"},
	        {"unix::/api/", "must be absolute"},
	        {"unix:/"
	         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.sock",
	         "longer than"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct runner_url *u = (void *)1;
		char err[256] = "";

		cr_assert_eq(runner_url_parse(bad[i].url, &u, err, sizeof(err)),
		             -EINVAL, "%s accepted", bad[i].url);
		cr_assert_null(u);
		cr_assert(strstr(err, bad[i].says), "%s: '%s'", bad[i].url,
		          err);
	}
}

/* ---------------------------------------------------------------- parser */

struct pobs {
	int n;
	char text[4096];
};

static void p_event(void *arg, struct json_object *ev)
{
	struct pobs *o = arg;
	size_t l = strlen(o->text);

	snprintf(o->text + l, sizeof(o->text) - l, "%s|",
	         json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN));
	o->n++;
	json_object_put(ev);
}

/* Parse wire in pieces of `piece` bytes; returns the final rc. */
static int parse(const char *wire, size_t n, bool stream, size_t piece,
                 struct pobs *o, struct runner_response *res)
{
	struct runner_parser *p = runner_parser_new(stream, p_event, o);
	int rc = 0;

	memset(o, 0, sizeof(*o));
	for (size_t off = 0; off < n && rc == 0; off += piece)
		rc = runner_parser_feed(p, wire + off,
		                        n - off < piece ? n - off : piece);
	if (rc == 0)
		rc = runner_parser_eof(p);
	*res = *runner_parser_response(p);
	res->body = NULL;
	runner_parser_free(p);
	return rc;
}

static const char CHUNKED[] =
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson; "
        "charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n"
        "1A\r\n{\"event\":\"start\",\"id\":\"x\"\r\n"
        "14;ext=\"a\"\r\n}\n{\"event\":\"stdout\",\r\n"
        "10\r\n\"data\":\"\xc3\xa9\xe2\x82\xac\"}\n\r\n"
        "1d\r\n{\"event\":\"result\",\"result\":1}\r\n"
        "1\r\n\n\r\n"
        "0\r\nTrailer: x\r\n\r\n";

Test(runner, parser_chunked_any_split)
{
	struct runner_response res;
	struct pobs whole, part;
	size_t n = strlen(CHUNKED);

	cr_assert_eq(parse(CHUNKED, n, true, n, &whole, &res), 1, "%s",
	             res.error);
	cr_assert_eq(whole.n, 3);
	cr_assert_str_eq(
	        whole.text,
	        "{\"event\":\"start\",\"id\":\"x\"}|"
	        "{\"event\":\"stdout\",\"data\":\"\xc3\xa9\xe2\x82\xac\"}|"
	        "{\"event\":\"result\",\"result\":1}|");
	cr_assert(res.saw_result);
	cr_assert_not(res.truncated);
	for (size_t piece = 1; piece < n; piece++) {
		cr_assert_eq(parse(CHUNKED, n, true, piece, &part, &res), 1);
		cr_assert_str_eq(part.text, whole.text, "piece %zu", piece);
	}
	/* Every two-piece cut too. */
	for (size_t cut = 1; cut < n; cut++) {
		struct runner_parser *p =
		        runner_parser_new(true, p_event, &part);

		memset(&part, 0, sizeof(part));
		cr_assert_eq(runner_parser_feed(p, CHUNKED, cut), 0);
		cr_assert_eq(runner_parser_feed(p, CHUNKED + cut, n - cut), 1);
		cr_assert_str_eq(part.text, whole.text, "cut %zu", cut);
		runner_parser_free(p);
	}
}

Test(runner, parser_truncated_and_bad)
{
	struct runner_response res;
	struct pobs o;
	size_t n = strlen(CHUNKED);
	char big[RUNNER_HEADER_MAX + 64];

	/* Cut in the body: complete but truncated, no result. */
	cr_assert_eq(parse(CHUNKED, n - 60, true, 7, &o, &res), 1);
	cr_assert(res.truncated);
	cr_assert_not(res.saw_result);
	/* Cut in the headers. */
	cr_assert_eq(parse(CHUNKED, 30, true, 7, &o, &res), -EPIPE);
	cr_assert_eq(parse("", 0, true, 1, &o, &res), -EPIPE);
	cr_assert(strstr(res.error, "without an answer"));

#define BAD(wire, rc, says)                                                    \
	do {                                                                   \
		cr_assert_eq(parse(wire, strlen(wire), true, 3, &o, &res), rc, \
		             "%s", wire);                                      \
		cr_assert(strstr(res.error, says), "%s", res.error);           \
	} while (0)
	BAD("HTTP/2 200 OK\r\n\r\n", -EPROTO, "status line");
	BAD("HTTP/1.1 20 OK\r\n\r\n", -EPROTO, "status line");
	BAD("HTTP/1.1 200OK\r\n\r\n", -EPROTO, "status line");
	BAD("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", -EPROTO, "header line");
	BAD("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", -EPROTO, "folded");
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", -EPROTO,
	    "Content-Length");
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
	    -EPROTO, "conflicting");
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    -EPROTO, "Transfer-Encoding");
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	    -EPROTO, "chunk size");
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "fffffffffffffffffffff\r\n",
	    -EPROTO, "chunk size");
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{x\r\n",
	    -EPROTO, "CRLF");
	BAD("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", -EPROTO,
	    "not application/x-ndjson");
	BAD("HTTP/1.1 200 OK\r\n\r\n{\"event\":1}x\n", -EPROTO, "text after");
	BAD("HTTP/1.1 200 OK\r\n\r\n[1]\n", -EPROTO, "not an object");
	BAD("HTTP/1.1 200 OK\r\n\r\n{\"a\":\n", -EPROTO, "bad event line");
	BAD("HTTP/1.1 101 Switching\r\n\r\n", -EPROTO, "101");

	/* Headers over 16 KiB. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	big[sizeof(big) - 1] = '\0';
	BAD(big, -EMSGSIZE, "headers longer");
#undef BAD
}

Test(runner, parser_line_cap)
{
	const char *head = "HTTP/1.1 200 OK\r\n\r\n{\"data\":\"";
	struct runner_parser *p = runner_parser_new(true, p_event, NULL);
	char *chunk = malloc(1 << 20);
	int rc = 0;

	memset(chunk, 'x', 1 << 20);
	cr_assert_eq(runner_parser_feed(p, head, strlen(head)), 0);
	for (int i = 0; i < 5 && rc == 0; i++)
		rc = runner_parser_feed(p, chunk, 1 << 20);
	cr_assert_eq(rc, -EMSGSIZE);
	cr_assert(strstr(runner_parser_response(p)->error, "longer than"));
	cr_assert_eq(runner_parser_feed(p, "\n", 1), -EMSGSIZE);
	runner_parser_free(p);
	free(chunk);
}

Test(runner, parser_interim_and_lengths)
{
	struct runner_response res;
	struct pobs o;
	const char *w;

	w = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\n"
	    "Content-Length: 19\n\n{\"event\":\"result\"}\nEXTRA";
	cr_assert_eq(parse(w, strlen(w), true, 2, &o, &res), 1);
	cr_assert_eq(res.status, 200);
	cr_assert_eq(o.n, 1);
	cr_assert(res.saw_result);
	/* Read to close: the last line needs no newline. */
	w = "HTTP/1.0 200 OK\r\n\r\n\r\n{\"event\":\"result\"}";
	cr_assert_eq(parse(w, strlen(w), true, 5, &o, &res), 1);
	cr_assert(res.saw_result);
	/* ... and a last line cut by the close is a truncated stream. */
	w = "HTTP/1.0 200 OK\r\n\r\n{\"event\":\"start\"}\n{\"event\":\"res";
	cr_assert_eq(parse(w, strlen(w), true, 5, &o, &res), 1);
	cr_assert(res.truncated);
	cr_assert_eq(o.n, 1);
	/* 204: no body. */
	w = "HTTP/1.1 204 No Content\r\n\r\n";
	cr_assert_eq(parse(w, strlen(w), false, 5, &o, &res), 1);
}

Test(runner, parser_error_bodies)
{
	struct runner_response res;
	struct pobs o;
	const char *w;
	char *big;
	size_t n;

	w = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n"
	    "Content-Type: application/json\r\nContent-Length: 56\r\n\r\n"
	    "{\"error\":{\"code\":\"busy\",\"message\":\"every slot is "
	    "busy\"}}";
	cr_assert_eq(parse(w, strlen(w), true, 4, &o, &res), 1);
	cr_assert_eq(res.status, 503);
	cr_assert_eq(res.retry_after, 2);
	cr_assert_str_eq(res.err_code, "busy");
	cr_assert_str_eq(res.err_message, "every slot is busy");
	cr_assert_str_eq(res.reason, "Service Unavailable");
	cr_assert_eq(o.n, 0);

	w = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: Fri, 07 Nov 2025"
	    "\r\n\r\n<html>429</html>";
	cr_assert_eq(parse(w, strlen(w), true, 4, &o, &res), 1);
	cr_assert_eq(res.retry_after, -1);
	cr_assert_str_eq(res.err_code, "");

	/* An endless error body is cut at 64 KiB. */
	n = 200000;
	big = malloc(n);
	memset(big, 'x', n);
	w = "HTTP/1.1 500 Oops\r\n\r\n";
	memcpy(big, w, strlen(w));
	{
		struct runner_parser *p = runner_parser_new(true, NULL, NULL);

		cr_assert_eq(runner_parser_feed(p, big, n), 1);
		cr_assert_eq(runner_parser_response(p)->body_len,
		             RUNNER_ERROR_BODY_MAX);
		runner_parser_free(p);
	}
	free(big);
}

/* ---------------------------------------------------------------- streams */

Test(runner, chunked_stream_in_awkward_pieces, .fini = teardown)
{
	srv_start(false, h_chunked);
	start(NULL, 0);
	assert_done(200, "(null)");
	cr_assert_eq(O.nevents, 3);
	cr_assert(event_is(0, "start"));
	cr_assert(strstr(O.events[1], "\"data\":\"h\xc3\xa9 \xe2\x82\xac\""));
	cr_assert(event_is(2, "result"));
	/* The request as the runner sees it. */
	cr_assert_eq(S.nreqs, 1);
	cr_assert_str_eq(S.reqs[0].method, "POST");
	cr_assert_str_eq(S.reqs[0].path, "/api/run");
	cr_assert(strstr(S.reqs[0].head, "\r\nAccept: application/x-ndjson"));
	cr_assert(strstr(S.reqs[0].head, "\r\nContent-Type: application/json"));
	cr_assert(strstr(S.reqs[0].head, "\r\nConnection: close"));
	cr_assert_not(strstr(S.reqs[0].head, "Authorization"));
	{
		char host[64];

		snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%d", S.port);
		cr_assert(strstr(S.reqs[0].head, host));
	}
	cr_assert(strstr(S.reqs[0].body, "\"interactive\":true"));
}

Test(runner, unix_socket_stream_with_token, .fini = teardown)
{
	srv_start(true, h_chunked);
	start("s3cret", 0);
	assert_done(200, "(null)");
	cr_assert_eq(O.nevents, 3);
	cr_assert(strstr(S.reqs[0].head, "\r\nAuthorization: Bearer s3cret"));
	cr_assert(strstr(S.reqs[0].head, "\r\nHost: localhost"));
}

Test(runner, content_length_body, .fini = teardown)
{
	srv_start(false, h_length);
	start(NULL, 0);
	assert_done(200, "(null)");
	cr_assert_eq(O.nevents, 2);
}

Test(runner, read_to_close_body, .fini = teardown)
{
	srv_start(true, h_close);
	start(NULL, 0);
	assert_done(200, "(null)");
	cr_assert_eq(O.nevents, 3);
	cr_assert(event_is(1, "stdout"));
}

Test(runner, error_400_json, .fini = teardown)
{
	error_answer =
	        "HTTP/1.1 400 Bad Request\r\nContent-Type: "
	        "application/json\r\nContent-Length: 99\r\n\r\n"
	        "{\"error\":{\"code\":\"unknown_language\",\"message\":"
	        "\"language: unknown 'pyhton'; did you mean 'python'\"}}";
	srv_start(false, h_error);
	start(NULL, 0);
	assert_done(400, "unknown_language");
	cr_assert_str_eq(O.msg,
	                 "language: unknown 'pyhton'; did you mean 'python'");
	cr_assert_eq(runner_retry_after(R), -1);
	cr_assert_eq(O.nevents, 0);
}

Test(runner, error_503_busy_retry_after, .fini = teardown)
{
	error_answer = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n"
	               "Content-Type: application/json\r\n"
	               "Transfer-Encoding: chunked\r\n\r\n"
	               "10\r\n{\"error\":{\"code\"\r\n"
	               "1a\r\n:\"busy\",\"message\":\"full\"}}\r\n0\r\n\r\n";
	srv_start(true, h_error);
	start(NULL, 0);
	assert_done(503, "busy");
	cr_assert_str_eq(O.msg, "full");
	cr_assert_eq(runner_retry_after(R), 2);
}

Test(runner, error_429_plain_text, .fini = teardown)
{
	error_answer = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: "
	               "text/html\r\nConnection: close\r\n\r\n"
	               "<html><body>429 Too Many Requests</body></html>\r\n";
	srv_start(false, h_error);
	start(NULL, 0);
	assert_done(429, "too_many_requests");
	cr_assert(strstr(O.msg, "answered 429 Too Many Requests"), "%s", O.msg);
	cr_assert(strstr(O.msg, "http://127.0.0.1:"), "%s", O.msg);
}

Test(runner, error_502_html, .fini = teardown)
{
	error_answer = "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n"
	               "Content-Length: 5\r\n\r\n<h1/>";
	srv_start(false, h_error);
	start(NULL, 0);
	assert_done(502, "runner_unavailable");
}

Test(runner, garbage_answer, .fini = teardown)
{
	error_answer = "SSH-2.0-OpenSSH\r\n\r\n";
	srv_start(false, h_error);
	start(NULL, 0);
	assert_done(0, "runner_error");
	cr_assert(strstr(O.msg, "bad status line"), "%s", O.msg);
}

Test(runner, connection_refused, .fini = teardown)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char addr[64];

	/* A port that was just free: nothing listens on it. */
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	snprintf(addr, sizeof(addr), "http://127.0.0.1:%d/api/",
	         ntohs(sa.sin_port));
	start_url(addr, NULL, 0);
	assert_done(0, "runner_unavailable");
	cr_assert(strstr(O.msg, addr), "%s", O.msg);
	cr_assert(strstr(O.msg, "refused"), "%s", O.msg);
}

Test(runner, missing_unix_socket, .fini = teardown)
{
	start_url("unix:/nonexistent/runpad/api.sock:/api/", NULL, 0);
	assert_done(0, "runner_unavailable");
	cr_assert(strstr(O.msg, "unix:/nonexistent/runpad/api.sock:/api/"),
	          "%s", O.msg);
}

Test(runner, idle_timeout, .fini = teardown)
{
	int64_t t0 = now_ms();

	srv_start(false, h_silent);
	start(NULL, 300);
	assert_done(200, "runner_timeout");
	cr_assert(strstr(O.msg, "sent nothing for 300 ms"), "%s", O.msg);
	cr_assert_geq(now_ms() - t0, 250);
}

Test(runner, stream_closed_before_result, .fini = teardown)
{
	srv_start(false, h_truncated);
	start(NULL, 0);
	assert_done(200, "runner_error");
	cr_assert_str_eq(O.msg,
	                 "the runner closed the stream before the result");
	cr_assert_eq(O.nevents, 1);
}

/* ---------------------------------------------------------------- control */

Test(runner, stdin_held_until_start_then_in_order, .fini = teardown)
{
	struct json_object *b;

	n_ctl = 3;
	srv_start(false, h_interactive);
	start(NULL, 0);
	cr_assert_eq(runner_send_stdin(R, "Ada\n", 4, false), 0);
	cr_assert_eq(runner_send_stdin(R, "\"q\" \xc3\xa9/", 8, false), 0);
	cr_assert_eq(runner_send_stdin(R, "", 0, true), 0);
	cr_assert_eq(runner_send_stdin(R, "x", 1, false), -EPIPE);
	sleep_ms(100); /* nothing may be sent before the start event */
	pthread_mutex_lock(&S.mu);
	cr_assert_eq(S.nreqs, 1);
	S.go = true;
	pthread_mutex_unlock(&S.mu);
	assert_done(200, "(null)");
	cr_assert_eq(O.nctl, 0, "%s", O.ctl[0]);
	cr_assert_eq(S.nreqs, 4);
	for (int i = 1; i < 4; i++)
		cr_assert_str_eq(S.reqs[i].path, "/api/runs/" RUN_ID "/stdin");
	b = json_tokener_parse(S.reqs[1].body);
	cr_assert_str_eq(
	        json_object_get_string(json_object_object_get(b, "data")),
	        "Ada\n");
	cr_assert_not(
	        json_object_get_boolean(json_object_object_get(b, "eof")));
	json_object_put(b);
	b = json_tokener_parse(S.reqs[2].body);
	cr_assert_str_eq(
	        json_object_get_string(json_object_object_get(b, "data")),
	        "\"q\" \xc3\xa9/");
	json_object_put(b);
	b = json_tokener_parse(S.reqs[3].body);
	cr_assert_str_eq(
	        json_object_get_string(json_object_object_get(b, "data")), "");
	cr_assert(json_object_get_boolean(json_object_object_get(b, "eof")));
	json_object_put(b);
	cr_assert_eq(runner_send_stdin(R, "x", 1, false), -EPIPE);
}

Test(runner, stdin_limit, .fini = teardown)
{
	char *big = calloc(1, RUNNER_STDIN_MAX);

	srv_start(false, h_interactive); /* no go: the id never comes */
	start(NULL, 0);
	cr_assert_eq(runner_send_stdin(R, big, RUNNER_STDIN_MAX - 1, false), 0);
	cr_assert_eq(runner_send_stdin(R, big, 2, false), -ENOSPC);
	cr_assert_eq(runner_send_stdin(R, big, 1, false), 0);
	free(big);
}

Test(runner, kill_posts_with_the_id, .fini = teardown)
{
	n_ctl = 1;
	S.go = true;
	srv_start(true, h_interactive);
	start(NULL, 0);
	cr_assert(OBS_WAIT(O.nevents >= 1, 3000));
	cr_assert_eq(runner_kill(R), 0);
	cr_assert_eq(runner_kill(R), 0); /* once is enough */
	assert_done(200, "(null)");
	cr_assert_eq(S.nreqs, 2);
	cr_assert_str_eq(S.reqs[1].path, "/api/runs/" RUN_ID "/kill");
	cr_assert_str_eq(S.reqs[1].method, "POST");
	cr_assert_eq(O.nctl, 0, "%s", O.ctl[0]);
}

Test(runner, kill_before_start_closes_the_stream, .fini = teardown)
{
	int64_t t0;

	srv_start(false, h_mute);
	start(NULL, 0);
	cr_assert(SRV_WAIT(S.nreqs == 1, 3000));
	t0 = now_ms();
	cr_assert_eq(runner_kill(R), 0);
	assert_done(0, "runner_killed");
	cr_assert_lt(now_ms() - t0, 1000);
	cr_assert_eq(runner_kill(R), 0);
	cr_assert_eq(runner_send_stdin(R, "x", 1, false), -EPIPE);
}

Test(runner, control_failure_reported, .fini = teardown)
{
	n_ctl = 2;
	S.go = true;
	S.ctl_status = 409;
	srv_start(false, h_interactive);
	start(NULL, 0);
	cr_assert_eq(runner_send_stdin(R, "a", 1, false), 0);
	cr_assert_eq(runner_send_stdin(R, "b", 1, false), 0);
	assert_done(200, "(null)");
	/* the run may end as soon as the server has the second request,
	   before the control thread has read its answer */
	cr_assert(OBS_WAIT(O.nctl >= 2, 3000), "%d control answers", O.nctl);
	cr_assert_eq(O.nctl, 2);
	cr_assert_str_eq(O.ctl[0],
	                 "stdin 409 stdin_full stdin: only 3 bytes free");
	cr_assert_str_eq(S.reqs[2].body, "{\"data\":\"b\",\"eof\":false}");
}

/* ---------------------------------------------------------------- free */

Test(runner, free_right_after_start, .fini = teardown)
{
	srv_start(false, h_silent);
	for (int i = 0; i < 20; i++) {
		start(NULL, 0);
		runner_free(R);
		R = NULL;
		runner_url_free(U);
		U = NULL;
	}
	start(NULL, 0);
}

Test(runner, free_while_streaming, .fini = teardown)
{
	int64_t t0;

	S.go = true;
	n_ctl = 100;
	srv_start(false, h_interactive);
	start(NULL, 0);
	cr_assert(OBS_WAIT(O.nevents >= 1, 3000));
	cr_assert_eq(runner_send_stdin(R, "a", 1, false), 0);
	t0 = now_ms();
	runner_free(R);
	R = NULL;
	atomic_store(&O.freed, true);
	cr_assert_lt(now_ms() - t0, 500);
	sleep_ms(50);
	cr_assert_not(O.done);
}

Test(runner, free_while_connecting, .fini = teardown)
{
	/* A non-routable address: the SYN goes unanswered (or the network
	   is unreachable at once; either way free must not wait). */
	int64_t t0;

	start_url("http://10.255.255.1:9/api/", NULL, 0);
	sleep_ms(20);
	t0 = now_ms();
	runner_free(R);
	R = NULL;
	atomic_store(&O.freed, true);
	cr_assert_lt(now_ms() - t0, 500);
}

Test(runner, start_refuses_bad_token)
{
	struct runner_url *u;
	struct runner_opts o = {0};
	char err[256];

	cr_assert_eq(
	        runner_url_parse("http://127.0.0.1:1/", &u, err, sizeof(err)),
	        0);
	o.url = u;
	o.token = "a\r\nX-Evil: 1";
	cr_assert_null(runner_start(&o, "{}", 2, &CB, &O, err, sizeof(err)));
	cr_assert(strstr(err, "token"), "%s", err);
	runner_url_free(u);
	runner_free(NULL);
}
