/*
 * hub_run.c - shared runs: one per pad, through the run API (runner.h),
 * its events relayed to everyone and kept for late joiners; the runner's
 * threads hand their notes to the hub's queue.
 */
#include "hub_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ot.h"
#include "padstore.h"
#include "proto.h"
#include "runner.h"

/* ---------------------------------------------------------------- runs */

static void note_push(struct run_ctx *ctx, struct note *n)
{
	struct hub *h = ctx->hub;

	n->ctx = ctx;
	pthread_mutex_lock(&h->qlock);
	*h->q_tail = n;
	h->q_tail = &n->next;
	pthread_mutex_unlock(&h->qlock);
	h->ops->wake(h->srv);
}

static void on_run_event(void *arg, struct json_object *ev)
{
	struct note *n = calloc(1, sizeof(*n));

	if (!n) {
		json_object_put(ev);
		return;
	}
	n->kind = NOTE_EVENT;
	n->ev = ev;
	note_push(arg, n);
}

static void on_run_control(void *arg, const char *what, int status,
                           const char *code, const char *message)
{
	struct note *n = calloc(1, sizeof(*n));

	if (!n)
		return;
	n->kind = NOTE_CONTROL;
	n->status = status;
	n->what = strdup(what ? what : "");
	n->code = strdup(code ? code : "runner_error");
	n->message = strdup(message ? message : "");
	note_push(arg, n);
}

static void on_run_done(void *arg, int status, const char *code,
                        const char *message)
{
	struct note *n = calloc(1, sizeof(*n));

	if (!n)
		return; /* the run stays active until the pad is freed */
	n->kind = NOTE_DONE;
	n->status = status;
	n->code = code ? strdup(code) : NULL;
	n->message = message ? strdup(message) : NULL;
	note_push(arg, n);
}

static const struct runner_cb run_cb = {
        .event = on_run_event,
        .control = on_run_control,
        .done = on_run_done,
};

/* Record ev (takes it) in the pad's run and send it to everyone.  The
   message is made once; its size is what the kept output counts. */
static void run_event(struct hub *h, struct pad *p, json_object *ev)
{
	json_object *o = json_object_new_object(), *t;
	const char *kind = "";
	struct wsmsg *m;
	size_t size;

	json_object_object_add(o, "type", json_object_new_string("run"));
	json_object_object_add(ev, "t", json_object_new_int64(now_ms()));
	/* o takes a reference; ev keeps ours for the kept events */
	json_object_object_add(o, "event", json_object_get(ev));
	m = wsmsg_from_json(o);
	json_object_put(o);
	size = m ? m->len : 0;
	if (json_object_object_get_ex(ev, "event", &t))
		kind = json_object_get_string(t);
	if ((strcmp(kind, "stdout") == 0 || strcmp(kind, "stderr") == 0 ||
	     strcmp(kind, "stdin") == 0) &&
	    p->run.bytes + size > h->conf->max_run_output) {
		p->run.truncated = true;
	} else if (p->run.events) {
		p->run.bytes += size;
		json_object_array_add(p->run.events, json_object_get(ev));
	}
	json_object_put(ev);
	if (m)
		hub_out_add(h, OUT_MSG, p, NULL, m);
}

static json_object *daemon_event(const char *kind)
{
	json_object *ev = json_object_new_object();

	json_object_object_add(ev, "event", json_object_new_string(kind));
	return ev;
}

/* An error event; retry_after_s >= 0 (a runner's 503 Retry-After) is
   passed on as retry_after_ms, so clients can say when to try again. */
static void run_error_after(struct hub *h, struct pad *p, const char *code,
                            const char *message, int retry_after_s)
{
	json_object *ev = daemon_event("error");

	json_object_object_add(ev, "code", json_object_new_string(code));
	json_object_object_add(ev, "message",
	                       json_object_new_string(message ? message : ""));
	if (retry_after_s >= 0)
		json_object_object_add(
		        ev, "retry_after_ms",
		        json_object_new_int64((int64_t)retry_after_s * 1000));
	run_event(h, p, ev);
}

static void run_error(struct hub *h, struct pad *p, const char *code,
                      const char *message)
{
	run_error_after(h, p, code, message, -1);
}

static void run_finish(struct hub *h, struct pad *p)
{
	json_object *ev = daemon_event("end"), *o;
	const char *s;

	json_object_object_add(
	        ev, "verdict",
	        p->run.verdict ? json_object_new_string(p->run.verdict) : NULL);
	run_event(h, p, ev);
	p->run.active = false;
	h->active_runs--;
	runner_free(p->run.rr);
	p->run.rr = NULL;
	free(p->run.ctx);
	p->run.ctx = NULL;
	/* keep the run with the pad; a failure here loses only the run */
	if (hub_txn_get(h) == 0) {
		o = hub_run_json(&p->run);
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		if (padstore_put_run(h->txn, p->id, s, strlen(s)) < 0)
			h->txn_failed = true;
		json_object_put(o);
		hub_runlog_put(h, p, &p->run);
	}
}

static void note_handle(struct hub *h, struct note *n)
{
	struct pad *p = hub_pad_find(h, n->ctx->pad);
	json_object *t;

	if (!p || !p->run.active || p->run.ctx != n->ctx) {
		json_object_put(n->ev);
		return;
	}
	switch (n->kind) {
	case NOTE_EVENT:
		json_object_object_del(n->ev, "control");
		if (json_object_object_get_ex(n->ev, "event", &t) &&
		    strcmp(json_object_get_string(t), "result") == 0) {
			json_object *res, *v;
			if (json_object_object_get_ex(n->ev, "result", &res) &&
			    json_object_object_get_ex(res, "verdict", &v)) {
				free(p->run.verdict);
				p->run.verdict =
				        strdup(json_object_get_string(v));
			}
		}
		run_event(h, p, n->ev);
		n->ev = NULL;
		break;
	case NOTE_CONTROL:
		run_error(h, p, n->code, n->message);
		break;
	case NOTE_DONE:
		if (n->code) {
			char msg[400];
			if (strcmp(n->code, "runner_killed") == 0) {
				snprintf(
				        msg, sizeof(msg),
				        "the run was stopped before it started");
			} else {
				snprintf(msg, sizeof(msg), "%s",
				         n->message ? n->message : n->code);
			}
			run_error_after(h, p, n->code, msg,
			                runner_retry_after(p->run.rr));
			logf_(h, 4, "pad %s: run %u: %s: %s", p->id, p->run.no,
			      n->code, msg);
		}
		run_finish(h, p);
		break;
	}
}

void hub_drain_notes(struct hub *h, bool handle)
{
	struct note *n, *next;

	pthread_mutex_lock(&h->qlock);
	n = h->q_head;
	h->q_head = NULL;
	h->q_tail = &h->q_head;
	pthread_mutex_unlock(&h->qlock);
	for (; n; n = next) {
		next = n->next;
		if (handle)
			note_handle(h, n);
		else
			json_object_put(n->ev);
		free(n->code);
		free(n->message);
		free(n->what);
		free(n);
	}
}

int hub_runner_url(struct hub *h, char *err, size_t errlen)
{
	struct runner_url *u;

	if (h->runner_url && strcmp(h->runner_url_text, h->conf->runner) == 0)
		return 0;
	if (runner_url_parse(h->conf->runner, &u, err, errlen) < 0)
		return -1;
	runner_url_free(h->runner_url);
	free(h->runner_url_text);
	h->runner_url = u;
	h->runner_url_text = strdup(h->conf->runner);
	return h->runner_url_text ? 0 : -1;
}

/* run_limited with when to try again; true when refused. */
static bool refuse_run_limit(struct hub *h, struct hub_conn *c)
{
	const struct wsconf *conf = h->conf;
	struct pad *p = c->pad;
	int64_t now = mono_ms(), wait;
	json_object *o;
	char msg[200];

	if (conf->max_runs && h->active_runs >= conf->max_runs) {
		snprintf(
		        msg, sizeof(msg),
		        "this server runs %zu pads' programs at once, the most it allows; try again in a few seconds",
		        h->active_runs);
		wait = 2000;
	} else if (conf->runs_per_minute) {
		double cap = conf->runs_per_minute;
		if (!p->run_tokens_at_ms)
			p->run_tokens = cap;
		else
			p->run_tokens += (double)(now - p->run_tokens_at_ms) *
			                 cap / 60000.0;
		if (p->run_tokens > cap)
			p->run_tokens = cap;
		p->run_tokens_at_ms = now;
		if (p->run_tokens >= 1.0) {
			p->run_tokens -= 1.0;
			return false;
		}
		snprintf(msg, sizeof(msg),
		         "too many runs: at most %u a minute in one pad",
		         conf->runs_per_minute);
		wait = (int64_t)((1.0 - p->run_tokens) * 60000.0 / cap) + 1;
	} else {
		return false;
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("error"));
	json_object_object_add(
	        o, "code",
	        json_object_new_string(proto_err_name(PROTO_E_RUN_LIMITED)));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "retry_after_ms",
	                       json_object_new_int64(wait));
	hub_send_json(h, p, c, NULL, o);
	return true;
}

void hub_do_run(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	struct runner_opts ro = {0};
	json_object *req, *lim, *ev;
	const char *body;
	char err[300];

	if (p->run.active) {
		hub_send_error(
		        h, c, PROTO_E_RUN_IN_PROGRESS,
		        "a run of this pad is in progress; wait for it or stop it",
		        NULL, -1);
		return;
	}
	if (!p->language[0]) {
		hub_send_error(h, c, PROTO_E_NO_LANGUAGE,
		               "pick the pad's language before running it",
		               NULL, -1);
		return;
	}
	if (m->run_tests &&
	    (!p->tests || json_object_array_length(p->tests) == 0)) {
		hub_send_error(h, c, PROTO_E_NO_TESTS,
		               "this pad has no tests to run; add some first",
		               NULL, -1);
		return;
	}
	if (refuse_run_limit(h, c))
		return;
	hub_run_clear(&p->run);
	p->run.no++;
	p->run.active = true;
	p->run.started_ms = now_ms();
	h->active_runs++;
	snprintf(p->run.by, sizeof(p->run.by), "%s", c->part->id);
	p->run.by_name = strdup(c->part->name);
	p->run.version = p->version;
	memcpy(p->run.language, p->language, sizeof(p->language));
	p->run.tc = p->acc.tc;
	p->run.events = json_object_new_array();
	p->run.interactive = !m->run_tests;

	ev = daemon_event("started");
	json_object_object_add(ev, "run", json_object_new_int64(p->run.no));
	json_object_object_add(ev, "by", json_object_new_string(c->part->id));
	json_object_object_add(ev, "name",
	                       json_object_new_string(c->part->name));
	json_object_object_add(ev, "version",
	                       json_object_new_int64((int64_t)p->version));
	json_object_object_add(ev, "language",
	                       json_object_new_string(p->language));
	hub_toolchain_json(ev, &p->run.tc);
	if (m->run_tests)
		json_object_object_add(
		        ev, "tests",
		        json_object_new_int64(
		                (int64_t)json_object_array_length(p->tests)));
	run_event(h, p, ev);

	if (hub_runner_url(h, err, sizeof(err)) < 0) {
		run_error(h, p, "runner_unavailable", err);
		goto out_finish;
	}
	p->run.ctx = calloc(1, sizeof(*p->run.ctx));
	if (!p->run.ctx) {
		run_error(h, p, "server_busy", "out of memory");
		goto out_finish;
	}
	p->run.ctx->hub = h;
	p->run.ctx->no = p->run.no;
	snprintf(p->run.ctx->pad, sizeof(p->run.ctx->pad), "%.64s", p->id);

	req = json_object_new_object();
	json_object_object_add(req, "language",
	                       json_object_new_string(p->language));
	/* the toolchain, as the run API takes it: it checks the choice */
	if (p->run.tc.variant[0])
		json_object_object_add(
		        req, "version",
		        json_object_new_string(p->run.tc.variant));
	if (p->run.tc.nopts) {
		json_object *opts = json_object_new_object();
		for (unsigned i = 0; i < p->run.tc.nopts; i++)
			json_object_object_add(
			        opts, p->run.tc.opt[i].name,
			        json_object_new_string(p->run.tc.opt[i].value));
		json_object_object_add(req, "options", opts); /* req owns it */
	}
	json_object_object_add(
	        req, "code",
	        json_object_new_string_len(p->text, (int)p->bytes));
	if (m->run_tests)
		/* shared with the pad: the parent takes a new reference */
		json_object_object_add(req, "tests", json_object_get(p->tests));
	else
		json_object_object_add(req, "interactive",
		                       json_object_new_boolean(1));
	if (m->data)
		json_object_object_add(
		        req, "stdin",
		        json_object_new_string_len(m->data, (int)m->data_len));
	lim = json_object_new_object();
	json_object_object_add(
	        lim, "wall_time",
	        json_object_new_int64((int64_t)h->conf->run_wall_ms));
	/* the files a pad's program writes go to everyone in the result
	   event and stay in the run log: a smaller total than the API's */
	json_object_object_add(
	        lim, "out_total",
	        json_object_new_int64((int64_t)h->conf->run_files_total));
	json_object_object_add(req, "limits", lim);
	body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	ro.url = h->runner_url;
	ro.token = h->conf->runner_token;
	ro.connect_timeout_ms = (int)h->conf->runner_timeout_ms;
	ro.idle_timeout_ms = (int)h->conf->run_wall_ms + 60000;
	p->run.rr = runner_start(&ro, body, strlen(body), &run_cb, p->run.ctx,
	                         err, sizeof(err));
	json_object_put(req);
	if (!p->run.rr) {
		run_error(h, p, "runner_unavailable", err);
		goto out_finish;
	}
	logf_(h, 6, "pad %s: run %u of version %llu in %s%s%s by %s", p->id,
	      p->run.no, (unsigned long long)p->version, p->language,
	      p->run.tc.variant[0] ? " " : "", p->run.tc.variant, c->part->id);
	return;
out_finish:
	run_finish(h, p);
}

void hub_do_stdin(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	json_object *ev;
	int r;

	if (!p->run.active || !p->run.rr) {
		hub_send_error(h, c, PROTO_E_NO_RUN,
		               "nothing is running in this pad", NULL, -1);
		return;
	}
	if (!p->run.interactive) {
		hub_send_error(
		        h, c, PROTO_E_NO_RUN,
		        "a run of the tests takes no input: each test has its own",
		        NULL, -1);
		return;
	}
	r = runner_send_stdin(p->run.rr, m->data, m->data_len, m->eof);
	if (r == -EPIPE) {
		hub_send_error(h, c, PROTO_E_NO_RUN,
		               "the program's input is closed", NULL, -1);
		return;
	}
	if (r == -ENOSPC) {
		hub_send_error(h, c, PROTO_E_STDIN_FULL,
		               "too much input is waiting for the program",
		               NULL, -1);
		return;
	}
	if (r < 0) {
		hub_send_error(h, c, PROTO_E_SERVER_BUSY, "out of memory", NULL,
		               -1);
		return;
	}
	ev = daemon_event("stdin");
	json_object_object_add(ev, "by", json_object_new_string(c->part->id));
	json_object_object_add(
	        ev, "data",
	        json_object_new_string_len(m->data, (int)m->data_len));
	json_object_object_add(ev, "eof", json_object_new_boolean(m->eof));
	run_event(h, p, ev);
}

void hub_do_stop(struct hub *h, struct hub_conn *c)
{
	struct pad *p = c->pad;
	json_object *ev;

	if (!p->run.active || !p->run.rr) {
		hub_send_error(h, c, PROTO_E_NO_RUN,
		               "nothing is running in this pad", NULL, -1);
		return;
	}
	runner_kill(p->run.rr);
	ev = daemon_event("stop");
	json_object_object_add(ev, "by", json_object_new_string(c->part->id));
	run_event(h, p, ev);
}
