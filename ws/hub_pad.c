/*
 * hub_pad.c - a pad in memory: found by id, loaded from the store (its
 * snapshot, the updates after it, its last run), freed.
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

/* ---------------------------------------------------------------- pads */

static unsigned bucket(const char *id)
{
	unsigned x = 2166136261u;

	for (; *id; id++)
		x = (x ^ (unsigned char)*id) * 16777619u;
	return x % HUB_BUCKETS;
}

struct pad *hub_pad_find(struct hub *h, const char *id)
{
	for (struct pad *p = h->buckets[bucket(id)]; p; p = p->next)
		if (strcmp(p->id, id) == 0)
			return p;
	return NULL;
}

void hub_run_clear(struct run *r)
{
	json_object_put(r->events);
	r->events = NULL;
	free(r->by_name);
	r->by_name = NULL;
	free(r->verdict);
	r->verdict = NULL;
	r->bytes = 0;
	r->truncated = false;
}

void hub_pad_free(struct pad *p)
{
	if (!p)
		return;
	if (p->notes)
		hub_pad_free(p->notes);
	hub_hist_free(p);
	json_object_put(p->tests);
	json_object_put(p->prev_tests);
	hub_run_clear(&p->run);
	free(p->text);
	free(p);
}

/* Parse len bytes of stored JSON straight from LMDB's map (no copy, no
   NUL needed).  A new reference, or NULL when they do not parse. */
json_object *hub_json_from_bytes(const void *data, size_t len)
{
	struct json_tokener *tok = len <= INT32_MAX ? json_tokener_new() : NULL;
	json_object *o =
	        tok ? json_tokener_parse_ex(tok, data, (int)len) : NULL;

	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
	          json_tokener_get_parse_end(tok) != len)) {
		json_object_put(o);
		o = NULL;
	}
	if (tok)
		json_tokener_free(tok);
	return o;
}

struct tail_ctx {
	struct pad *p;
	char msg[256];
};

static int apply_stored(void *arg, uint64_t version, const void *data,
                        size_t len)
{
	struct tail_ctx *t = arg;
	struct pad *p = t->p;
	json_object *u = NULL, *ch;
	struct ot_changes *cs = NULL;
	char *nt;
	size_t nb, nl;
	int r = -EBADMSG;

	u = hub_json_from_bytes(data, len);
	if (!u || !json_object_object_get_ex(u, "changes", &ch)) {
		snprintf(t->msg, sizeof(t->msg),
		         "update %llu of pad %s does not parse",
		         (unsigned long long)version, p->id);
		goto out;
	}
	cs = ot_changes_from_json(ch, NULL, NULL, t->msg, sizeof(t->msg));
	if (!cs || ot_apply(cs, p->text, p->bytes, p->len16, NULL, &nt, &nb,
	                    &nl, t->msg, sizeof(t->msg)) != OT_OK) {
		goto out;
	}
	free(p->text);
	p->text = nt;
	p->bytes = nb;
	p->len16 = nl;
	p->version = version;
	r = 0;
out:
	ot_changes_free(cs);
	json_object_put(u);
	return r;
}

static void run_load(struct run *r, const char *json)
{
	json_object *o = json ? json_tokener_parse(json) : NULL, *v;

	if (!o || json_object_get_type(o) != json_type_object) {
		json_object_put(o);
		return;
	}
	if (json_object_object_get_ex(o, "run", &v))
		r->no = (unsigned)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "started_ms", &v))
		r->started_ms = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "by", &v))
		snprintf(r->by, sizeof(r->by), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "name", &v))
		r->by_name = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(o, "version", &v))
		r->version = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "language", &v))
		snprintf(r->language, sizeof(r->language), "%s",
		         json_object_get_string(v));
	{
		/* absent from a run kept before toolchains: the defaults */
		json_object *opts;
		json_object_object_get_ex(o, "variant", &v);
		json_object_object_get_ex(o, "options", &opts);
		hub_toolchain_parse(&r->tc, v, opts);
	}
	if (json_object_object_get_ex(o, "verdict", &v) &&
	    json_object_get_type(v) == json_type_string)
		r->verdict = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(o, "truncated", &v))
		r->truncated = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "events", &v) &&
	    json_object_get_type(v) == json_type_array)
		r->events = json_object_get(v);
	json_object_put(o);
}

/* Load document id from the store: latest snapshot plus the updates after
   it, its access record and its logs' state. */
struct pad *hub_doc_load(struct hub *h, const char *id, char *err,
                         size_t errlen)
{
	struct padstore_pad sp;
	struct tail_ctx t = {0};
	struct pad *p;
	ssize_t l16;
	int r;

	r = padstore_load(h->store, id, &sp, err, errlen);
	if (r < 0) {
		padstore_pad_fini(&sp);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		padstore_pad_fini(&sp);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->text = sp.snap_text;
	sp.snap_text = NULL;
	p->bytes = sp.snap_len;
	l16 = ot_utf16_len(p->text, p->bytes);
	if (l16 < 0) {
		snprintf(err, errlen, "the snapshot of pad %s is not UTF-8",
		         id);
		goto out_free;
	}
	p->len16 = (size_t)l16;
	p->version = p->snap_version = sp.snap_version;
	snprintf(p->language, sizeof(p->language), "%s", sp.language);
	p->last_edit_ms = sp.last_edit_ms;
	p->created_ms = sp.exists ? sp.created_ms : now_ms();
	if (sp.access &&
	    hub_access_parse(&p->acc, sp.access, sp.access_len) < 0) {
		snprintf(err, errlen, "pad %s: its links do not parse", id);
		goto out_free;
	}
	if (padstore_log(h->store, PADSTORE_LOG_EVENTS, id, 0, NULL, NULL,
	                 &p->event_seq, NULL, err, errlen) < 0 ||
	    padstore_log(h->store, PADSTORE_LOG_RUNS, id, 0, NULL, NULL, NULL,
	                 &p->runlog_bytes, err, errlen) < 0)
		goto out_free;
	run_load(&p->run, sp.last_run);
	if (sp.tests) {
		json_object *tl = json_tokener_parse(sp.tests);
		if (tl && json_object_get_type(tl) == json_type_array)
			p->tests = tl;
		else
			json_object_put(tl);
	}
	t.p = p;
	if (sp.head > sp.snap_version) {
		r = padstore_updates(h->store, id, sp.snap_version, sp.head,
		                     apply_stored, &t, err, errlen);
		if (r < 0) {
			if (t.msg[0])
				snprintf(err, errlen, "%s", t.msg);
			goto out_free;
		}
	}
	if (p->version != sp.head) {
		snprintf(err, errlen, "pad %s: loaded version %llu, head %llu",
		         id, (unsigned long long)p->version,
		         (unsigned long long)sp.head);
		goto out_free;
	}
	padstore_pad_fini(&sp);
	hub_hist_reset(p);
	p->empty_since_ms = mono_ms();
	return p;
out_free:
	padstore_pad_fini(&sp);
	hub_pad_free(p);
	return NULL;
}

/* Load pad id (and the notes of a pad with links) into the hub's table. */
struct pad *hub_pad_load(struct hub *h, const char *id, char *err,
                         size_t errlen)
{
	struct pad *p = hub_doc_load(h, id, err, errlen);

	if (!p)
		return NULL;
	if (p->acc.on && !hub_notes_load(h, p, err, errlen)) {
		hub_pad_free(p);
		return NULL;
	}
	p->next = h->buckets[bucket(id)];
	h->buckets[bucket(id)] = p;
	h->npads++;
	return p;
}
