/*
 * hub_turn.c - the turn: whatever a message causes goes to the outbox;
 * hub_turn_end() commits the turn's transaction and only then delivers
 * (welcomes and catch-ups built from the committed state), or settles a
 * failed turn.  See hub.c for the theory of operation.
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

/* ---------------------------------------------------------------- outbox */

struct out *hub_out_add(struct hub *h, enum out_kind kind, struct pad *p,
                        struct hub_conn *to, struct wsmsg *m)
{
	struct out *o = calloc(1, sizeof(*o));

	if (!o) {
		wsmsg_unref(m);
		return NULL;
	}
	o->kind = kind;
	o->pad = p;
	o->to = to;
	o->msg = m;
	*h->out_tail = o;
	h->out_tail = &o->next;
	return o;
}

/* Queue o (takes the reference) for one connection or a whole pad. */
struct out *hub_send_json(struct hub *h, struct pad *p, struct hub_conn *to,
                          struct hub_conn *except, json_object *o)
{
	struct wsmsg *m = wsmsg_from_json(o);
	struct out *e;

	json_object_put(o);
	if (!m)
		return NULL;
	e = hub_out_add(h, OUT_MSG, p, to, m);
	if (e)
		e->except = except;
	return e;
}

void hub_send_error(struct hub *h, struct hub_conn *c, enum proto_err code,
                    const char *message, json_object *ref, int64_t head)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("error"));
	json_object_object_add(o, "code",
	                       json_object_new_string(proto_err_name(code)));
	json_object_object_add(o, "message", json_object_new_string(message));
	if (ref) /* the parent takes the new reference */
		json_object_object_add(o, "ref", json_object_get(ref));
	if (head >= 0)
		json_object_object_add(o, "head", json_object_new_int64(head));
	hub_send_json(h, c->pad, c, NULL, o);
}

void hub_send_close(struct hub *h, struct hub_conn *c, int code)
{
	struct out *o = hub_out_add(h, OUT_CLOSE, NULL, c, NULL);

	if (o)
		o->code = code;
}

/* The pad belongs to another daemon (ws.ring): say so and close 4421, so
   the client reconnects through nginx. */
void hub_refuse_foreign(struct hub *h, struct hub_conn *c)
{
	hub_send_error(
	        h, c, PROTO_E_WRONG_DAEMON,
	        "pad is served by another daemon; reconnect through the proxy",
	        NULL, -1);
	hub_send_close(h, c, 4421);
	c->refused = true;
}

/* ---------------------------------------------------------------- turn */

int hub_txn_get(struct hub *h)
{
	if (h->txn_failed)
		return -EIO;
	if (h->txn)
		return 0;
	if (padstore_begin(h->store, &h->txn, h->txn_err, sizeof(h->txn_err)) <
	    0) {
		h->txn = NULL;
		return -EIO;
	}
	return 0;
}

void hub_mark_dirty(struct hub *h, struct pad *p)
{
	if (p->dirty)
		return;
	p->dirty = true;
	p->prev_text = p->text;
	p->prev_bytes = p->bytes;
	p->prev_len16 = p->len16;
	p->prev_version = p->version;
	p->prev_snap = p->snap_version;
	memcpy(p->prev_language, p->language, sizeof(p->language));
	p->prev_last_edit = p->last_edit_ms;
	p->prev_tests = p->tests ? json_object_get(p->tests) : NULL;
	p->prev_acc = p->acc;
	p->prev_event_seq = p->event_seq;
	p->prev_runlog_bytes = p->runlog_bytes;
	p->dirty_next = h->dirty;
	h->dirty = p;
}

/* Replace the pad's text, keeping the turn's first text for a rollback. */
void hub_set_text(struct pad *p, char *text, size_t bytes, size_t len16)
{
	if (p->text != p->prev_text)
		free(p->text);
	p->text = text;
	p->bytes = bytes;
	p->len16 = len16;
}

json_object *hub_run_json(const struct run *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "run", json_object_new_int64(r->no));
	if (r->started_ms)
		json_object_object_add(o, "started_ms",
		                       json_object_new_int64(r->started_ms));
	json_object_object_add(o, "by", json_object_new_string(r->by));
	json_object_object_add(
	        o, "name",
	        json_object_new_string(r->by_name ? r->by_name : ""));
	json_object_object_add(o, "version",
	                       json_object_new_int64((int64_t)r->version));
	json_object_object_add(o, "language",
	                       json_object_new_string(r->language));
	hub_toolchain_json(o, &r->tc);
	json_object_object_add(o, "active", json_object_new_boolean(r->active));
	json_object_object_add(o, "verdict",
	                       r->verdict ? json_object_new_string(r->verdict)
	                                  : NULL);
	json_object_object_add(o, "truncated",
	                       json_object_new_boolean(r->truncated));
	/* shared with the pad: the parent takes a new reference */
	json_object_object_add(o, "events", json_object_get(r->events));
	return o;
}

/* Write what the turn changed in dirty pads; commit. 0 or -1. */
int hub_turn_commit(struct hub *h)
{
	struct pad *p;

	if (!h->txn)
		return h->txn_failed ? -1 : 0;
	for (p = h->dirty; p && !h->txn_failed; p = p->dirty_next) {
		if (padstore_put_meta(h->txn, p->id, p->version, p->language,
		                      p->last_edit_ms) < 0)
			h->txn_failed = true;
		else if (p->version - p->snap_version >=
		                 h->conf->snapshot_every &&
		         padstore_put_snapshot(h->txn, p->id, p->version,
		                               p->text, p->bytes) < 0)
			h->txn_failed = true;
		else if (p->version - p->snap_version >=
		         h->conf->snapshot_every)
			p->snap_version = p->version;
	}
	if (h->txn_failed) {
		padstore_abort(h->txn);
		h->txn = NULL;
		if (!h->txn_err[0])
			snprintf(h->txn_err, sizeof(h->txn_err),
			         "a write to the pad store failed");
		return -1;
	}
	if (padstore_commit(h->txn, h->txn_err, sizeof(h->txn_err)) < 0) {
		h->txn = NULL;
		return -1;
	}
	h->txn = NULL;
	return 0;
}

void hub_turn_settle(struct hub *h, bool ok)
{
	struct pad *p, *next;

	for (p = h->dirty; p; p = next) {
		next = p->dirty_next;
		if (ok) {
			if (p->prev_text != p->text)
				free(p->prev_text);
		} else {
			if (p->text != p->prev_text)
				free(p->text);
			hub_hist_drop_after(p, p->prev_version);
			p->text = p->prev_text;
			p->bytes = p->prev_bytes;
			p->len16 = p->prev_len16;
			p->version = p->prev_version;
			p->snap_version = p->prev_snap;
			memcpy(p->language, p->prev_language,
			       sizeof(p->language));
			p->last_edit_ms = p->prev_last_edit;
			json_object_put(p->tests);
			p->tests = p->prev_tests
			                   ? json_object_get(p->prev_tests)
			                   : NULL;
			p->acc = p->prev_acc;
			p->event_seq = p->prev_event_seq;
			p->runlog_bytes = p->prev_runlog_bytes;
		}
		json_object_put(p->prev_tests);
		p->prev_tests = NULL;
		p->prev_text = NULL;
		p->dirty = false;
		p->dirty_next = NULL;
		p->run_dirty = false;
	}
	h->dirty = NULL;
	h->txn_failed = false;
}

/* ---------------------------------------------------------------- delivery */

static void deliver(struct hub *h, struct hub_conn *c, struct wsmsg *m);

static json_object *snapshot_json(struct pad *p, const char *reason)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("snapshot"));
	if (p->main) /* "doc" is the text here */
		json_object_object_add(o, "notes",
		                       json_object_new_boolean(true));
	json_object_object_add(o, "version",
	                       json_object_new_int64((int64_t)p->version));
	json_object_object_add(
	        o, "doc", json_object_new_string_len(p->text, (int)p->bytes));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	return o;
}

static void deliver(struct hub *h, struct hub_conn *c, struct wsmsg *m)
{
	if (h->ops->send(h->srv, c, m) > 0 && c->pad) {
		json_object *o = snapshot_json(c->pad, "slow_reader");
		struct wsmsg *s = wsmsg_from_json(o);

		json_object_put(o);
		h->ops->drop(h->srv, c);
		c->skip_below = c->pad->version;
		if (s) {
			h->ops->send(h->srv, c, s);
			wsmsg_unref(s);
		}
		if (c->part && c->part->role == PROTO_ROLE_OWNER &&
		    c->pad->notes) {
			/* the notes' backlog went too */
			o = snapshot_json(c->pad->notes, "slow_reader");
			s = wsmsg_from_json(o);
			json_object_put(o);
			c->notes_skip_below = c->pad->notes->version;
			if (s) {
				h->ops->send(h->srv, c, s);
				wsmsg_unref(s);
			}
		}
		logf_(h, 5,
		      "pad %s: participant %s reads too slowly; sent a snapshot at version %llu instead of the backlog",
		      c->pad->id, c->part ? c->part->id : "?",
		      (unsigned long long)c->pad->version);
	}
}

struct collect {
	json_object *arr;
	int bad;
};

static int collect_update(void *arg, uint64_t version, const void *data,
                          size_t len)
{
	struct collect *c = arg;
	json_object *u = hub_json_from_bytes(data, len);

	(void)version;
	if (!u)
		return -EBADMSG;
	json_object_array_add(c->arr, u); /* the array owns u */
	return 0;
}

/* The updates after from, or NULL when a snapshot is due instead. */
static json_object *catchup(struct hub *h, struct pad *p, uint64_t from)
{
	struct collect c;
	char err[256];

	if (from > p->version || p->version - from > h->conf->max_catchup)
		return NULL;
	c.arr = json_object_new_array();
	if (from < p->version &&
	    padstore_updates(h->store, p->id, from, p->version, collect_update,
	                     &c, err, sizeof(err)) < 0) {
		logf_(h, 4,
		      "pad %s: catch-up from %llu failed (%s); sending a snapshot",
		      p->id, (unsigned long long)from, err);
		json_object_put(c.arr);
		return NULL;
	}
	return c.arr;
}

json_object *hub_participant_json(const struct participant *pt, bool sel)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(pt->id));
	json_object_object_add(o, "name", json_object_new_string(pt->name));
	json_object_object_add(o, "color", json_object_new_string(pt->color));
	json_object_object_add(
	        o, "role", json_object_new_string(proto_role_name(pt->role)));
	if (sel && pt->selection) {
		json_object_object_add(o, "version",
		                       json_object_new_int64(pt->sel_version));
		/* shared: the parent takes a new reference */
		json_object_object_add(o, "selection",
		                       json_object_get(pt->selection));
	}
	return o;
}

static void build_welcome(struct hub *h, struct out *e)
{
	struct hub_conn *c = e->to;
	struct pad *p = c->pad;
	json_object *o = json_object_new_object(), *parts, *lim, *ups = NULL;
	struct wsmsg *m;

	json_object_object_add(o, "type", json_object_new_string("welcome"));
	json_object_object_add(o, "you", json_object_new_string(c->part->id));
	json_object_object_add(o, "pad", json_object_new_string(p->id));
	json_object_object_add(o, "version",
	                       json_object_new_int64((int64_t)p->version));
	if (e->has_from)
		ups = catchup(h, p, e->from);
	if (ups) {
		json_object_object_add(o, "from",
		                       json_object_new_int64((int64_t)e->from));
		json_object_object_add(o, "updates", ups);
	} else {
		json_object_object_add(
		        o, "doc",
		        json_object_new_string_len(p->text, (int)p->bytes));
	}
	json_object_object_add(o, "language",
	                       json_object_new_string(p->language));
	hub_toolchain_json(o, &p->acc.tc);
	json_object_object_add(
	        o, "role",
	        json_object_new_string(proto_role_name(c->part->role)));
	json_object_object_add(o, "controls", hub_controls_json(&p->acc));
	if (c->part->role == PROTO_ROLE_OWNER && p->notes) {
		json_object *n = json_object_new_object();
		json_object_object_add(
		        n, "version",
		        json_object_new_int64((int64_t)p->notes->version));
		json_object_object_add(
		        n, "doc",
		        json_object_new_string_len(p->notes->text,
		                                   (int)p->notes->bytes));
		json_object_object_add(o, "notes", n);
		c->notes_skip_below = p->notes->version;
	}
	if (e->links) /* o takes the links */
		json_object_object_add(o, "links", json_object_get(e->links));
	parts = json_object_new_array();
	/* those who joined after c are announced to it by their join */
	for (struct participant *pt = p->parts; pt; pt = pt->next)
		if (pt->seq < c->part->seq)
			json_object_array_add(parts,
			                      hub_participant_json(pt, true));
	json_object_object_add(o, "participants", parts);
	json_object_object_add(o, "run",
	                       p->run.events ? hub_run_json(&p->run) : NULL);
	/* shared with the pad: the parent takes a new reference */
	json_object_object_add(o, "tests",
	                       p->tests ? json_object_get(p->tests)
	                                : json_object_new_array());
	lim = json_object_new_object();
	json_object_object_add(
	        lim, "doc_bytes",
	        json_object_new_int64((int64_t)h->conf->max_doc));
	json_object_object_add(
	        lim, "message_bytes",
	        json_object_new_int64((int64_t)h->conf->max_message));
	json_object_object_add(
	        lim, "updates_per_second",
	        json_object_new_int64(h->conf->updates_per_second));
	json_object_object_add(lim, "update_burst",
	                       json_object_new_int64(h->conf->update_burst));
	json_object_object_add(
	        lim, "updates_per_push",
	        json_object_new_int64(h->conf->max_updates_per_push));
	json_object_object_add(
	        lim, "participants",
	        json_object_new_int64(h->conf->max_participants));
	json_object_object_add(lim, "name_bytes",
	                       json_object_new_int64(h->conf->max_name));
	json_object_object_add(o, "limits", lim);
	m = wsmsg_from_json(o);
	json_object_put(o);
	c->welcomed = true;
	c->skip_below = p->version;
	if (m) {
		deliver(h, c, m);
		wsmsg_unref(m);
	}
}

static void build_pull(struct hub *h, struct out *e)
{
	struct hub_conn *c = e->to;
	struct pad *p = e->notes ? c->pad->notes : c->pad;
	json_object *ups = catchup(h, p, e->from), *o;
	struct wsmsg *m;

	if (ups) {
		o = json_object_new_object();
		json_object_object_add(o, "type",
		                       json_object_new_string("updates"));
		if (e->notes)
			json_object_object_add(o, "doc",
			                       json_object_new_string("notes"));
		json_object_object_add(o, "version",
		                       json_object_new_int64((int64_t)e->from));
		json_object_object_add(o, "updates", ups);
	} else {
		o = snapshot_json(p, "catchup");
	}
	m = wsmsg_from_json(o);
	json_object_put(o);
	if (e->notes)
		c->notes_skip_below = p->version;
	else
		c->skip_below = p->version;
	if (m) {
		deliver(h, c, m);
		wsmsg_unref(m);
	}
}

void hub_flush(struct hub *h, bool committed)
{
	struct out *e;

	/* entries added while walking (store_error) land at the tail */
	while ((e = h->out_head)) {
		h->out_head = e->next;
		if (!h->out_head)
			h->out_tail = &h->out_head;
		if (e->needs_commit && !committed) {
			if (e->pusher)
				hub_send_error(
				        h, e->pusher, PROTO_E_STORE_ERROR,
				        h->txn_err, e->ref,
				        e->pusher->pad ? (int64_t)e->pusher->pad
				                                 ->version
				                       : -1);
		} else if (e->kind == OUT_WELCOME) {
			if (e->to && e->to->pad)
				build_welcome(h, e);
		} else if (e->kind == OUT_PULL) {
			if (e->to && e->to->pad &&
			    (!e->notes || e->to->pad->notes))
				build_pull(h, e);
		} else if (e->kind == OUT_CLOSE) {
			if (e->to)
				h->ops->close(h->srv, e->to, e->code, "");
		} else if (e->to) {
			deliver(h, e->to, e->msg);
		} else if (e->pad && e->pad->main) {
			/* the notes: to owners only, never anyone else */
			for (struct participant *pt = e->pad->main->parts; pt;
			     pt = pt->next) {
				struct hub_conn *c = pt->conn;
				if (pt->role != PROTO_ROLE_OWNER ||
				    c == e->except || !c->welcomed ||
				    c->refused ||
				    (e->upd_to &&
				     e->upd_to <= c->notes_skip_below))
					continue;
				deliver(h, c, e->msg);
			}
		} else if (e->pad) {
			for (struct participant *pt = e->pad->parts; pt;
			     pt = pt->next) {
				struct hub_conn *c = pt->conn;
				/* refused: revoked, removed or sent away,
				   closing; nothing more reaches it */
				if (c == e->except || !c->welcomed ||
				    c->refused ||
				    (e->upd_to && e->upd_to <= c->skip_below))
					continue;
				deliver(h, c, e->msg);
			}
		}
		wsmsg_unref(e->msg);
		json_object_put(e->ref);
		json_object_put(e->links);
		free(e);
	}
}
