/*
 * server.c - runpad-fcgi's service.  See server.h.
 *
 * One request, start to end, on one worker thread:
 *
 *   accept -> params -> auth -> route -> body -> handler -> one log line
 *
 * A run takes an entry in the live-runs table (its id, stdin and cancel
 * pipes), then a slot from the pool (waiting in line, or 503 when the line
 * is full), then runs in the jail with the client's connection as its
 * hang-up fd: a client that leaves stops its run and frees its slot.
 * Streaming answers send their header as soon as the run is admitted and
 * flush one NDJSON line per event.
 */
#include "server_int.h"

#include <errno.h>
#include <fcgiapp.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "lmdbutil.h"
#include "metrics.h"
#include "pool.h"
#include "ring.h"
#include "request.h"
#include "route.h"
#include "runs.h"
#include "store.h"

int64_t srv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double srv_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

struct settings *srv_settings(struct srv *s)
{
	struct settings *set;

	pthread_mutex_lock(&s->lock);
	set = settings_ref(s->set);
	pthread_mutex_unlock(&s->lock);
	return set;
}

void srv_reload(struct srv *s, struct settings *next)
{
	struct settings *old;

	pthread_mutex_lock(&s->lock);
	old = s->set;
	s->set = settings_ref(next);
	pthread_mutex_unlock(&s->lock);
	settings_unref(old);
}

/* ---------------------------------------------------------- runtimes */

/* The libraries a program of l can use here: [{name, version, package}] */
static json_object *libraries_json(const struct sbx_lang *l)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < l->nlibs; i++) {
		const struct sbx_lib *lib = &l->libs[i];
		json_object *o;
		if (!lib->available)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name",
		                       json_object_new_string(lib->name));
		json_object_object_add(
		        o, "version",
		        lib->version ? json_object_new_string(lib->version)
		                     : NULL);
		json_object_object_add(o, "package",
		                       json_object_new_string(lib->package));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The toolchains of base language l that are installed: [{id, version,
   default}], l's own first; empty when it has no variants */
static json_object *variants_json(const struct sbx_registry *reg,
                                  const struct sbx_lang *l)
{
	const struct sbx_lang *vars[32];
	size_t nv = sbx_registry_variants(reg, l, vars, 32);
	json_object *arr = json_object_new_array();

	for (size_t i = 0; nv > 1 && i < nv && i < 32; i++) {
		json_object *o;
		if (!vars[i]->available || !vars[i]->variant)
			continue;
		o = json_object_new_object();
		json_object_object_add(
		        o, "id", json_object_new_string(vars[i]->variant));
		json_object_object_add(
		        o, "version",
		        vars[i]->version
		                ? json_object_new_string(vars[i]->version)
		                : NULL);
		json_object_object_add(o, "default",
		                       json_object_new_boolean(i == 0));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* [{name, values, default}] of l's options */
static json_object *options_json(const struct sbx_lang *l)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < l->noptions; i++) {
		const struct sbx_option *op = &l->options[i];
		json_object *o = json_object_new_object(),
		            *vals = json_object_new_array();
		for (size_t k = 0; k < op->nvalues; k++)
			json_object_array_add(
			        vals,
			        json_object_new_string(op->values[k].value));
		json_object_object_add(o, "name",
		                       json_object_new_string(op->name));
		json_object_object_add(o, "values", vals);
		json_object_object_add(
		        o, "default",
		        json_object_new_string(op->values[0].value));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void h_runtimes(struct req *rq, bool piston)
{
	const struct sbx_registry *reg = &rq->set->registry;
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < reg->n; i++) {
		const struct sbx_lang *l = &reg->langs[i];
		json_object *o, *al;
		if (!l->available || l->is_variant)
			continue;
		o = json_object_new_object();
		al = json_object_new_array();
		for (size_t k = 0; l->aliases && l->aliases[k]; k++)
			json_object_array_add(
			        al, json_object_new_string(l->aliases[k]));
		/* every value added belongs to o, and o to arr */
		json_object_object_add(o, "language",
		                       json_object_new_string(l->id));
		json_object_object_add(
		        o, "version",
		        json_object_new_string(l->version ? l->version : "0"));
		json_object_object_add(o, "aliases", al);
		if (!piston) {
			json_object_object_add(o, "name",
			                       json_object_new_string(l->name));
			json_object_object_add(
			        o, "mode",
			        l->mode ? json_object_new_string(l->mode)
			                : NULL);
			json_object_object_add(o, "compiled",
			                       json_object_new_boolean(
			                               l->compile_cmd != NULL));
			json_object_object_add(
			        o, "source_file",
			        json_object_new_string(l->source));
			/* what a new pad holds; Piston's list has no such field */
			json_object_object_add(
			        o, "starter",
			        l->starter ? json_object_new_string(l->starter)
			                   : NULL);
			json_object_object_add(o, "libraries",
			                       libraries_json(l));
			json_object_object_add(o, "variants",
			                       variants_json(reg, l));
			json_object_object_add(o, "options", options_json(l));
		}
		json_object_array_add(arr, o);
	}
	rq_json(rq, 200, arr, NULL);
}

/* ---------------------------------------------------------- runs */

struct stream_state {
	struct req *rq;
	bool started;
};

static void stream_start(struct req *rq, const struct run_req *r)
{
	json_object *ev = json_object_new_object();
	char prefix[300];

	rq_head(rq, 200, "application/x-ndjson", "X-Accel-Buffering: no\r\n");
	snprintf(prefix, sizeof(prefix), "%sruns/%s/", rq->set->prefix,
	         rq->run_id);
	/* every value added belongs to ev */
	json_object_object_add(ev, "event", json_object_new_string("start"));
	json_object_object_add(ev, "id", json_object_new_string(rq->run_id));
	json_object_object_add(ev, "language",
	                       json_object_new_string(r->lang->id));
	json_object_object_add(
	        ev, "version",
	        r->lang->version ? json_object_new_string(r->lang->version)
	                         : NULL);
	exec_add_choice(ev, r);
	json_object_object_add(ev, "interactive",
	                       json_object_new_boolean(r->interactive));
	json_object_object_add(ev, "control", json_object_new_string(prefix));
	rq_event(rq, ev);
	json_object_put(ev);
}

struct queued_arg {
	struct req *rq;
	const struct run_req *r;
	bool stream;
};

static void on_queued(void *arg, unsigned pos)
{
	struct queued_arg *q = arg;
	json_object *ev;

	if (!q->stream)
		return;
	stream_start(q->rq, q->r);
	ev = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string("queued"));
	json_object_object_add(ev, "position", json_object_new_int((int)pos));
	rq_event(q->rq, ev);
	json_object_put(ev);
}

/*
 * Run in the slot just taken, then give the slot back and count the run;
 * the same for a client's run and a submission.
 */
void srv_run_in_slot(struct srv *s, const struct run_req *r, struct exec_io *io,
                     int slot, const struct timespec *t0, struct exec_result *x)
{
	io->slot = slot;
	exec_run(s->ctx, r, io, x);
	pool_release(s->pool, slot);
	metrics_run(s->metrics, r->lang->id, x->verdict, srv_since(t0));
	if (x->rc < 0)
		log_msg(LOG_ERR, "a %s run failed in the jail: %s", r->lang->id,
		        x->err);
}

/*
 * Run a parsed request for a client: sync (the whole result at the end),
 * streaming (events), or Piston's execute.
 */
static void do_run(struct req *rq, struct run_req *r, bool stream, bool piston)
{
	struct srv *s = rq->srv;
	struct run_entry *entry = NULL;
	struct exec_result x;
	struct exec_io io = {.slot = -1, .stdin_fd = -1, .cancel_fd = -1};
	struct queued_arg q = {rq, r, stream};
	int stdin_rd, cancel_rd, rc, slot;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rq->language = r->lang->id;
	rc = runs_add(s->runs, stream && r->interactive, rq->set->owners,
	              rq->set->ring_self, rq->run_id, &entry, &stdin_rd,
	              &cancel_rd);
	if (rc == -EAGAIN) {
		log_msg(LOG_ERR,
		        "no run id that fcgi.ring gives to '%s' in %zu tries: check fcgi.ring",
		        rq->set->ring_self, 64 * ring_entries(rq->set->owners));
		rq_fail(rq, 500, "internal_error",
		        "cannot make a run id this runner holds");
		return;
	}
	if (rc < 0) {
		rq_fail(rq, 503, "out_of_memory", "cannot start a run: %s",
		        strerror(-rc));
		return;
	}
	if (stream && r->interactive && r->stdin_len) {
		size_t room = 0;
		if (runs_stdin(s->runs, rq->run_id, r->stdin_data, r->stdin_len,
		               false, &room) < 0) {
			rq_fail(rq, 413, "too_large",
			        "stdin: more than the %zu bytes an interactive run buffers",
			        room);
			goto out_remove;
		}
	}
	rc = pool_acquire(s->pool, rq->set->queue, true, rq->fr->ipcFd,
	                  on_queued, &q, &slot);
	if (rc == -EBUSY || rc == -ESHUTDOWN) {
		if (rq->headers_sent)
			goto out_remove;
		rq_fail(rq, 503, "busy",
		        rc == -EBUSY
		                ? "every jail slot is busy and %u runs are waiting; try again shortly"
		                : "the runner is shutting down%.0u",
		        rq->set->queue);
		goto out_remove;
	}
	if (rc == -ECANCELED) {
		rq->status = 499; /* nginx's "client closed request" */
		rq->client_gone = true;
		goto out_remove;
	}
	if (stream && !rq->headers_sent)
		stream_start(rq, r);

	io.stdin_fd = stdin_rd;
	io.cancel_fd = cancel_rd;
	io.hangup_fd = rq->fr->ipcFd;
	io.emit = stream ? rq_emit_cb : NULL;
	io.arg = rq;
	srv_run_in_slot(s, r, &io, slot, &t0, &x);
	rq->verdict = x.verdict;

	if (x.cancelled && pool_client_gone(rq->fr->ipcFd)) {
		/* nobody to answer: nginx's "client closed request" */
		rq->status = 499;
		rq->client_gone = true;
	} else if (piston) {
		rq_json(rq, 200, exec_piston_json(r, &x), NULL);
	} else {
		json_object *res = exec_result_json(r, &x);
		if (res)
			json_object_object_add(
			        res, "id", json_object_new_string(rq->run_id));
		if (stream) {
			json_object *ev = json_object_new_object();
			json_object_object_add(
			        ev, "event", json_object_new_string("result"));
			json_object_object_add(ev, "result", res);
			rq_event(rq, ev);
			json_object_put(ev);
		} else {
			rq_json(rq, 200, res, NULL);
		}
	}
	exec_result_fini(&x);

out_remove:
	runs_remove(s->runs, entry);
}

static void h_run(struct req *rq, bool piston)
{
	struct run_req r;
	struct api_error e;

	if (run_req_parse(rq->body, rq->body_len, rq->set, piston, &r, &e) <
	    0) {
		rq_error(rq, &e);
		run_req_fini(&r);
		return;
	}
	if (r.interactive && !rq_wants_stream(rq)) {
		rq_fail(rq, 400, "bad_field",
		        "interactive: needs a streaming request (Accept: application/x-ndjson)");
		run_req_fini(&r);
		return;
	}
	do_run(rq, &r, !piston && rq_wants_stream(rq), piston);
	run_req_fini(&r);
}

/*
 * An id this runner does not hold and fcgi.ring gives to another: nginx's
 * runpad_fcgi_id upstream sent it here because its server list and
 * fcgi.ring disagree, or the owner is down and nginx fell back.  Answer
 * 421 wrong_runner (not 404: the run or submission may well exist) and
 * return true; false when the id is this runner's.
 */
bool srv_wrong_runner(struct req *rq, const char *what, const char *id)
{
	const char *owner;

	if (settings_owns(rq->set, id, &owner))
		return false;
	log_msg(LOG_NOTICE,
	        "%s %s is held by %s, not by this runner (%s): nginx's runpad_fcgi_id and fcgi.ring disagree, or %s is down",
	        what, id, owner, rq->set->ring_self, owner);
	rq_fail(rq, 421, "wrong_runner",
	        "%s %s is held by another runner; send the request through the proxy",
	        what, id);
	return true;
}

static void h_stdin(struct req *rq, const char *id)
{
	json_object *root, *data = NULL, *eof = NULL, *o;
	const char *d = "";
	size_t n = 0, room = 0;
	bool close_after = false;
	struct api_error e;
	int r;

	if (req_parse_object(rq->body, rq->body_len, &root, &e) < 0) {
		json_object_put(root);
		rq_error(rq, &e);
		return;
	}
	json_object_object_get_ex(root, "data", &data);
	json_object_object_get_ex(root, "eof", &eof);
	if (data && json_object_get_type(data) != json_type_string) {
		json_object_put(root);
		rq_fail(rq, 400, "bad_field", "data: expected a string");
		return;
	}
	if (eof && json_object_get_type(eof) != json_type_boolean) {
		json_object_put(root);
		rq_fail(rq, 400, "bad_field", "eof: expected true or false");
		return;
	}
	if (data) {
		d = json_object_get_string(data);
		n = (size_t)json_object_get_string_len(data);
	}
	close_after = eof && json_object_get_boolean(eof);
	if (n > rq->set->max_stdin) {
		json_object_put(root);
		rq_fail(rq, 413, "too_large", "data: %zu bytes, at most %llu",
		        n, (unsigned long long)rq->set->max_stdin);
		return;
	}
	r = runs_stdin(rq->srv->runs, id, d, n, close_after, &room);
	json_object_put(root);
	if (r == -ENOENT && srv_wrong_runner(rq, "run", id)) {
		/* answered */
	} else if (r == -ENOENT) {
		rq_fail(rq, 404, "no_such_run",
		        "no run %s is in progress (it ended, or never was)",
		        id);
	} else if (r == -EPIPE) {
		rq_fail(rq, 409, "stdin_closed",
		        "the run's stdin is closed (the run is not interactive, or its stdin was closed with eof)");
	} else if (r == -EAGAIN) {
		rq_fail(rq, 409, "stdin_full",
		        "the program has not read its earlier input yet: %zu bytes are free; send less or retry",
		        room);
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "accepted",
		                       json_object_new_int64((int64_t)n));
		json_object_object_add(o, "eof",
		                       json_object_new_boolean(close_after));
		rq_json(rq, 200, o, NULL);
	}
}

static void h_kill(struct req *rq, const char *id)
{
	json_object *o;

	if (runs_kill(rq->srv->runs, id) < 0) {
		if (srv_wrong_runner(rq, "run", id))
			return;
		rq_fail(rq, 404, "no_such_run",
		        "no run %s is in progress (it ended, or never was)",
		        id);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "killed", json_object_new_boolean(true));
	rq_json(rq, 200, o, NULL);
}

/* ---------------------------------------------------------- health */

static void h_healthz(struct req *rq)
{
	unsigned slots, busy, waiting;
	size_t langs = 0;
	json_object *o = json_object_new_object();
	enum sbx_cgroup_mode cg = sbx_ctx_cgroup_mode(rq->srv->ctx);

	pool_stats(rq->srv->pool, &slots, &busy, &waiting);
	sbx_registry_count(&rq->set->registry, &langs);
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "version",
	                       json_object_new_string(SBX_VERSION));
	json_object_object_add(o, "slots", json_object_new_int((int)slots));
	json_object_object_add(o, "slots_busy", json_object_new_int((int)busy));
	json_object_object_add(o, "queue_depth",
	                       json_object_new_int((int)waiting));
	json_object_object_add(o, "languages", json_object_new_int((int)langs));
	json_object_object_add(o, "cgroup",
	                       json_object_new_string(cg == SBX_CGROUP_V2 ? "v2"
	                                              : cg == SBX_CGROUP_V1
	                                                      ? "v1"
	                                                      : "none"));
	json_object_object_add(
	        o, "rootless",
	        json_object_new_boolean(sbx_ctx_rootless(rq->srv->ctx)));
	rq_json(rq, 200, o, NULL);
}

static void h_metrics(struct req *rq)
{
	struct metrics_gauges g = {0};
	char *text;

	pool_stats(rq->srv->pool, &g.slots, &g.slots_busy, &g.queue_depth);
	g.live_runs = runs_count(rq->srv->runs);
	store_counts(rq->srv->store, &g.async_queued, &g.async_running,
	             &g.async_done);
	text = metrics_render(rq->srv->metrics, &g);
	if (!text) {
		rq_fail(rq, 503, "out_of_memory", "out of memory");
		return;
	}
	rq_head(rq, 200, "text/plain; version=0.0.4; charset=utf-8", NULL);
	rq_put(rq, text, strlen(text));
	free(text);
}

/* ---------------------------------------------------------- dispatch */

static void request_path(struct req *rq)
{
	const char *p = rq_param(rq, "DOCUMENT_URI");
	size_t n;

	if (!p || !*p) {
		p = rq_param(rq, "REQUEST_URI");
		if (!p)
			p = "/";
	}
	n = strcspn(p, "?");
	if (n >= sizeof(rq->path))
		n = sizeof(rq->path) - 1;
	memcpy(rq->path, p, n);
	rq->path[n] = '\0';
}

static void handle(struct srv *s, FCGX_Request *fr)
{
	struct req rq = {.srv = s, .fr = fr, .status = 500};
	struct route rt;
	int m;

	clock_gettime(CLOCK_MONOTONIC, &rq.t0);
	rq.set = srv_settings(s);
	rq.method = rq_param(&rq, "REQUEST_METHOD");
	if (!rq.method)
		rq.method = "GET";
	request_path(&rq);

	m = route_match(rq.set->prefix, rq.method, rq.path, &rt);
	rq.route = rt.name;
	if (m == 404) {
		rq_fail(&rq, 404, "not_found", "no endpoint %.200s", rq.path);
		goto out_log;
	}
	if (m == 405) {
		char extra[64];
		struct api_error e = {.status = 405,
		                      .code = "method_not_allowed"};
		snprintf(e.message, sizeof(e.message),
		         "%.200s takes %s, not %.16s", rq.path, rt.allowed,
		         rq.method);
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", rt.allowed);
		rq_json(&rq, 405, api_error_json(&e), extra);
		goto out_log;
	}
	if (rt.id != ROUTE_HEALTHZ && rt.id != ROUTE_METRICS &&
	    !rq_authorized(&rq)) {
		rq_fail(&rq, 401, "unauthorized",
		        "this server needs an API token: Authorization: Bearer <token>");
		goto out_log;
	}
	if (strcmp(rq.method, "POST") == 0 && rq_read_body(&rq) < 0)
		goto out_log;

	switch (rt.id) {
	case ROUTE_RUNTIMES:
		h_runtimes(&rq, false);
		break;
	case ROUTE_PISTON_RUNTIMES:
		h_runtimes(&rq, true);
		break;
	case ROUTE_RUN:
		h_run(&rq, false);
		break;
	case ROUTE_PISTON_EXECUTE:
		h_run(&rq, true);
		break;
	case ROUTE_RUN_STDIN:
		h_stdin(&rq, rt.arg);
		break;
	case ROUTE_RUN_KILL:
		h_kill(&rq, rt.arg);
		break;
	case ROUTE_SUBMIT:
		srv_h_submit(&rq);
		break;
	case ROUTE_SUBMISSION:
		srv_h_submission(&rq, rt.arg);
		break;
	case ROUTE_HEALTHZ:
		h_healthz(&rq);
		break;
	case ROUTE_METRICS:
		h_metrics(&rq);
		break;
	case ROUTE_NONE:
		rq_fail(&rq, 404, "not_found", "no endpoint %.200s", rq.path);
		break;
	}

out_log:
	metrics_request(s->metrics, rq.status);
	if (rq.set->log_requests || rq.status >= 500)
		log_msg(rq.status >= 500 ? LOG_WARNING : LOG_INFO,
		        "%s %s %d%s%s%s%s %.0fms", rq.method, rq.path,
		        rq.status, rq.language ? " " : "",
		        rq.language ? rq.language : "", rq.verdict ? " " : "",
		        rq.verdict ? rq.verdict : "", srv_since(&rq.t0) * 1000);
	free(rq.body);
	settings_unref(rq.set);
}

static void *worker_main(void *arg)
{
	struct srv *s = arg;
	FCGX_Request fr;

	if (FCGX_InitRequest(&fr, s->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return NULL;
	for (;;) {
		int r = FCGX_Accept_r(&fr);
		if (__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
			if (r >= 0)
				FCGX_Finish_r(&fr);
			break;
		}
		if (r < 0) {
			/* EMFILE and friends: breathe, then go on */
			usleep(10000);
			continue;
		}
		__atomic_add_fetch(&s->active, 1, __ATOMIC_RELAXED);
		handle(s, &fr);
		FCGX_Finish_r(&fr);
		__atomic_sub_fetch(&s->active, 1, __ATOMIC_RELAXED);
	}
	FCGX_Free(&fr, 1);
	return NULL;
}

/* ---------------------------------------------------------- life cycle */

int srv_new(struct settings *set, struct sbx_ctx *ctx, int listen_fd,
            struct srv **out, char *err, size_t errlen)
{
	struct srv *s = calloc(1, sizeof(*s));
	char *text;
	size_t interrupted = 0, queued = 0;
	int r;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->async_lock, NULL);
	pthread_cond_init(&s->async_cond, NULL);
	s->set = settings_ref(set);
	s->ctx = ctx;
	s->listen_fd = listen_fd;
	s->pool = pool_new(sbx_ctx_slots(ctx));
	s->runs = runs_new();
	s->metrics = metrics_new();
	if (!s->pool || !s->runs || !s->metrics) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out_free;
	}
	if (mkdir(set->state_dir, 0750) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(err, errlen, "cannot create %s: %s", set->state_dir,
		         strerror(errno));
		goto out_free;
	}
	{
		char dir[1100];
		snprintf(dir, sizeof(dir), "%s/submissions", set->state_dir);
		r = store_open(dir, SRV_STORE_MAP, &s->store, err, errlen);
		if (r < 0)
			goto out_free;
		if (store_format(s->store)->origin == LMDB_FORMAT_ADOPTED)
			log_msg(LOG_NOTICE,
			        "%s: made before runpad recorded store formats; recorded it as format %" PRIu32,
			        dir, store_format(s->store)->format);
	}
	text = srv_internal_result(
	        "the runner restarted while this submission ran");
	r = text ? store_recover(s->store, srv_now_ms(), text, strlen(text),
	                         &interrupted, &queued, err, errlen)
	         : -ENOMEM;
	free(text);
	if (r < 0)
		goto out_free;
	if (interrupted || queued)
		log_msg(LOG_NOTICE,
		        "submissions: %zu interrupted by a restart (reported as internal_error), %zu still queued",
		        interrupted, queued);
	*out = s;
	return 0;

out_free:
	s->listen_fd = -1;
	srv_free(s);
	return r;
}

static void noop(int sig)
{
	(void)sig;
}

int srv_start(struct srv *s, char *err, size_t errlen)
{
	struct sigaction sa = {.sa_handler = noop};
	unsigned n = s->set->threads
	                     ? s->set->threads
	                     : sbx_ctx_slots(s->ctx) + s->set->queue + 8;

	/* SIGUSR1 only interrupts a blocking accept at shutdown */
	sigaction(SIGUSR1, &sa, NULL);
	if (FCGX_Init() != 0) {
		snprintf(err, errlen, "FCGX_Init failed");
		return -EIO;
	}
	s->workers = calloc(n, sizeof(*s->workers));
	s->async = calloc(s->set->async_workers + 1, sizeof(*s->async));
	if (!s->workers || !s->async) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		int r = pthread_create(&s->workers[i], NULL, worker_main, s);
		if (r) {
			snprintf(err, errlen, "cannot start a thread: %s",
			         strerror(r));
			return -r;
		}
		s->nworkers++;
	}
	for (unsigned i = 0; i < s->set->async_workers; i++) {
		int r = pthread_create(&s->async[i], NULL, srv_async_main, s);
		if (r) {
			snprintf(err, errlen, "cannot start a thread: %s",
			         strerror(r));
			return -r;
		}
		s->nasync++;
	}
	return 0;
}

void srv_stop(struct srv *s, unsigned grace_ms)
{
	unsigned waited = 0;

	__atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
	/* no new connections; wake the threads blocked in accept */
	shutdown(s->listen_fd, SHUT_RDWR);
	for (size_t i = 0; i < s->nworkers; i++)
		pthread_kill(s->workers[i], SIGUSR1);
	pthread_mutex_lock(&s->async_lock);
	pthread_cond_broadcast(&s->async_cond);
	pthread_mutex_unlock(&s->async_lock);

	while ((__atomic_load_n(&s->active, __ATOMIC_RELAXED) ||
	        __atomic_load_n(&s->async_active, __ATOMIC_RELAXED)) &&
	       waited < grace_ms) {
		usleep(50000);
		waited += 50;
	}
	if (runs_kill_all(s->runs))
		log_msg(LOG_WARNING, "stopping the runs still in progress");
	pool_shutdown(s->pool);
	for (size_t i = 0; i < s->nworkers; i++) {
		pthread_kill(s->workers[i], SIGUSR1);
		pthread_join(s->workers[i], NULL);
	}
	for (size_t i = 0; i < s->nasync; i++)
		pthread_join(s->async[i], NULL);
	s->nworkers = s->nasync = 0;
}

void srv_free(struct srv *s)
{
	if (!s)
		return;
	store_close(s->store);
	metrics_free(s->metrics);
	runs_free(s->runs);
	pool_free(s->pool);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	settings_unref(s->set);
	free(s->workers);
	free(s->async);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->async_lock);
	pthread_cond_destroy(&s->async_cond);
	free(s);
}
