/*
 * async.c - stored submissions: POST /submissions answers 202 at once, a
 * pool of async workers runs them in the jail, GET /submissions/ID polls
 * them (the store keeps them across restarts).  See server_int.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ring.h"
#include "server_int.h"

/* ---------------------------------------------------------- async */

void srv_h_submit(struct req *rq)
{
	struct srv *s = rq->srv;
	struct run_req r;
	struct api_error e;
	char id[RUN_ID_LEN + 1], err[256], loc[400];
	json_object *o;
	int rc;

	if (run_req_parse(rq->body, rq->body_len, rq->set, false, &r, &e) < 0) {
		rq_error(rq, &e);
		run_req_fini(&r);
		return;
	}
	rq->language = r.lang->id;
	if (r.interactive) {
		run_req_fini(&r);
		rq_fail(rq, 400, "bad_field",
		        "interactive: a submission runs unattended; use a streaming run");
		return;
	}
	run_req_fini(&r);
	rc = runs_make_id(id, rq->set->owners, rq->set->ring_self);
	if (rc == -EAGAIN) {
		log_msg(LOG_ERR,
		        "no submission id that fcgi.ring gives to '%s': check fcgi.ring",
		        rq->set->ring_self);
		rq_fail(rq, 500, "internal_error",
		        "cannot make a submission id this runner holds");
		return;
	}
	if (rc == 0)
		rc = store_submit(s->store, id, rq->body, rq->body_len,
		                  srv_now_ms(), rq->set->max_submissions, err,
		                  sizeof(err));
	if (rc == -ENOSPC && strstr(err, "store full")) {
		log_msg(LOG_ERR, "the submissions store is full: %s", err);
		rq_fail(rq, 503, "store_full",
		        "the submissions store is full; try again later");
		return;
	}
	if (rc == -ENOSPC) {
		rq_fail(rq, 503, "busy",
		        "%u submissions are waiting or running; try again shortly",
		        rq->set->max_submissions);
		return;
	}
	if (rc < 0) {
		log_msg(LOG_ERR, "cannot store a submission: %s", err);
		rq_fail(rq, 500, "store_failed", "cannot store the submission");
		return;
	}
	pthread_mutex_lock(&s->async_lock);
	pthread_cond_signal(&s->async_cond);
	pthread_mutex_unlock(&s->async_lock);

	snprintf(loc, sizeof(loc), "%ssubmissions/%s", rq->set->prefix, id);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "status", json_object_new_string("queued"));
	json_object_object_add(o, "url", json_object_new_string(loc));
	{
		char extra[512];
		snprintf(extra, sizeof(extra), "Location: %s\r\n", loc);
		rq_json(rq, 202, o, extra);
	}
}

static json_object *ms_or_null(int64_t ms)
{
	return ms ? json_object_new_int64(ms) : NULL;
}

void srv_h_submission(struct req *rq, const char *id)
{
	struct store_sub sub;
	char err[256];
	json_object *o;
	int rc;

	memset(&sub, 0, sizeof(sub));
	rc = store_get(rq->srv->store, id, &sub, err, sizeof(err));
	if (rc == -ENOENT && srv_wrong_runner(rq, "submission", id))
		return;
	if (rc == -ENOENT) {
		rq_fail(rq, 404, "no_such_submission",
		        "no submission %s (unknown, or expired)", id);
		return;
	}
	if (rc < 0) {
		log_msg(LOG_ERR, "cannot read submission %s: %s", id, err);
		rq_fail(rq, 500, "store_failed", "cannot read the submission");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(sub.id));
	json_object_object_add(
	        o, "status",
	        json_object_new_string(store_state_name(sub.state)));
	json_object_object_add(o, "created_at", ms_or_null(sub.created_ms));
	json_object_object_add(o, "started_at", ms_or_null(sub.started_ms));
	json_object_object_add(o, "finished_at", ms_or_null(sub.finished_ms));
	json_object_object_add(o, "result",
	                       sub.result ? json_tokener_parse(sub.result)
	                                  : NULL);
	store_sub_fini(&sub);
	rq_json(rq, 200, o, NULL);
}

/* The result stored for a submission the runner could not run. */
char *srv_internal_result(const char *message)
{
	json_object *o = json_object_new_object();
	char *text;

	json_object_object_add(o, "verdict",
	                       json_object_new_string("internal_error"));
	json_object_object_add(o, "compile", NULL);
	json_object_object_add(o, "run", NULL);
	json_object_object_add(o, "message", json_object_new_string(message));
	text = strdup(
	        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

static void run_submission(struct srv *s, struct store_sub *sub)
{
	struct settings *set = srv_settings(s);
	struct run_req r;
	struct api_error e;
	struct exec_result x;
	struct exec_io io = {.slot = -1, .stdin_fd = -1, .hangup_fd = -1};
	struct run_entry *entry = NULL;
	char *text = NULL, id[RUN_ID_LEN + 1], err[256];
	int stdin_rd, cancel_rd, slot, rc;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (run_req_parse(sub->request, sub->request_len, set, false, &r, &e) <
	    0) {
		/* valid when submitted: the settings changed since */
		text = srv_internal_result(e.message);
		goto out_store;
	}
	/* an id nobody sees: any will do */
	rc = runs_add(s->runs, false, NULL, NULL, id, &entry, &stdin_rd,
	              &cancel_rd);
	if (rc == 0)
		rc = pool_acquire(s->pool, 0, false, -1, NULL, NULL, &slot);
	if (rc < 0) {
		text = srv_internal_result(
		        rc == -ESHUTDOWN
		                ? "the runner stopped before this submission ran"
		                : "the runner could not start this submission");
		goto out_fini;
	}
	io.cancel_fd = cancel_rd;
	srv_run_in_slot(s, &r, &io, slot, &t0, &x);
	{
		json_object *o = exec_result_json(&r, &x);
		if (x.cancelled)
			json_object_object_add(
			        o, "message",
			        json_object_new_string(
			                "the runner stopped while this submission ran"));
		if (o)
			text = strdup(json_object_to_json_string_ext(
			        o, JSON_C_TO_STRING_PLAIN |
			                   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	log_msg(LOG_INFO, "submission %s %s %s %lldms", sub->id, r.lang->id,
	        x.verdict, (long long)(srv_since(&t0) * 1000));
	exec_result_fini(&x);

out_fini:
	if (entry)
		runs_remove(s->runs, entry);
	run_req_fini(&r);
out_store:
	if (!text)
		text = srv_internal_result("out of memory");
	if (text && store_finish(s->store, sub->id, text, strlen(text),
	                         srv_now_ms(), err, sizeof(err)) < 0)
		log_msg(LOG_ERR, "cannot store the result of %s: %s", sub->id,
		        err);
	free(text);
	settings_unref(set);
}

void *srv_async_main(void *arg)
{
	struct srv *s = arg;
	int64_t last_expire = 0;

	while (!__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
		struct store_sub sub;
		char err[256];
		int rc;

		if (srv_now_ms() - last_expire > 60000) {
			struct settings *set = srv_settings(s);
			size_t gone = 0;
			last_expire = srv_now_ms();
			store_expire(s->store, last_expire,
			             (int64_t)set->submission_ttl_ms, 10000,
			             &gone, err, sizeof(err));
			if (gone)
				log_msg(LOG_INFO, "expired %zu submissions",
				        gone);
			settings_unref(set);
		}
		memset(&sub, 0, sizeof(sub));
		rc = store_claim_next(s->store, srv_now_ms(), &sub, err,
		                      sizeof(err));
		if (rc == 0) {
			__atomic_add_fetch(&s->async_active, 1,
			                   __ATOMIC_RELAXED);
			run_submission(s, &sub);
			__atomic_sub_fetch(&s->async_active, 1,
			                   __ATOMIC_RELAXED);
			store_sub_fini(&sub);
			continue;
		}
		if (rc != -ENOENT)
			log_msg(LOG_ERR, "cannot take a submission: %s", err);
		pthread_mutex_lock(&s->async_lock);
		if (!__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&s->async_cond, &s->async_lock,
			                       &ts);
		}
		pthread_mutex_unlock(&s->async_lock);
	}
	return NULL;
}
