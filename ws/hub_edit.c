/*
 * hub_edit.c - edits: a push is checked against the head and the rate
 * limit, applied, stored in the turn's transaction and broadcast after the
 * commit.
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

/* A text and its lengths (UTF-8 bytes, UTF-16 units). */
struct pad_text {
	char *text;
	size_t bytes, len16;
};

/* An update serialized once: for the store and the broadcast. */
struct json_text {
	const char *s;
	size_t len;
};

static enum proto_err ot_code(enum ot_err e)
{
	switch (e) {
	case OT_ELENGTH:
		return PROTO_E_LENGTH_MISMATCH;
	case OT_ESURROGATE:
		return PROTO_E_SPLIT_SURROGATE;
	case OT_EUTF8:
		return PROTO_E_INVALID_UTF8;
	case OT_ETOOBIG:
		return PROTO_E_DOC_TOO_LARGE;
	case OT_ENOMEM:
		return PROTO_E_SERVER_BUSY;
	default:
		return PROTO_E_INVALID_CHANGES;
	}
}

static void refill(struct hub *h, struct hub_conn *c)
{
	int64_t now = mono_ms();
	double cap = h->conf->update_burst;

	c->tokens += (double)(now - c->tokens_at_ms) *
	             h->conf->updates_per_second / 1000.0;
	if (c->tokens > cap)
		c->tokens = cap;
	c->tokens_at_ms = now;
}

/* A push not made at the head: future_version or stale_version (the
   client catches up and rebases).  True when refused. */
static bool refuse_version(struct hub *h, struct hub_conn *c,
                           const struct proto_msg *m, size_t n)
{
	struct pad *p = c->pad;
	char msg[160];

	if ((uint64_t)m->version == p->version)
		return false;
	if ((uint64_t)m->version > p->version)
		snprintf(msg, sizeof(msg),
		         "the pad is at version %llu, the push says %lld",
		         (unsigned long long)p->version, (long long)m->version);
	else
		snprintf(
		        msg, sizeof(msg),
		        "the pad is at version %llu, the push was made at %lld",
		        (unsigned long long)p->version, (long long)m->version);
	hub_send_error(h, c,
	               (uint64_t)m->version > p->version
	                       ? PROTO_E_FUTURE_VERSION
	                       : PROTO_E_STALE_VERSION,
	               msg, m->ref, (int64_t)p->version);
	h->rejected += n;
	return true;
}

/* More changes than the connection's token bucket holds: rate_limited,
   with when to retry.  True when refused. */
static bool refuse_rate(struct hub *h, struct hub_conn *c,
                        const struct proto_msg *m, size_t n)
{
	struct pad *p = c->pad;
	double wait;
	json_object *err;
	char msg[160];

	refill(h, c);
	if (c->tokens >= (double)n)
		return false;
	wait = ((double)n - c->tokens) * 1000.0 / h->conf->updates_per_second;
	err = json_object_new_object();
	snprintf(msg, sizeof(msg),
	         "too many changes: at most %u per second (bursts of %u)",
	         h->conf->updates_per_second, h->conf->update_burst);
	json_object_object_add(err, "type", json_object_new_string("error"));
	json_object_object_add(
	        err, "code",
	        json_object_new_string(proto_err_name(PROTO_E_RATE_LIMITED)));
	json_object_object_add(err, "message", json_object_new_string(msg));
	if (m->ref)
		json_object_object_add(err, "ref", json_object_get(m->ref));
	json_object_object_add(err, "head",
	                       json_object_new_int64((int64_t)p->version));
	json_object_object_add(err, "retry_after_ms",
	                       json_object_new_int64((int64_t)wait + 1));
	hub_send_json(h, p, c, NULL, err);
	h->rejected += n;
	return true;
}

/* The pad's text after every update of the push, without touching the
   pad: 0 with *out (the pad's own text when n is 0, else the caller's),
   or -1 after telling the pusher why. */
static int apply_all(struct hub *h, struct hub_conn *c,
                     const struct proto_msg *m, size_t n, struct pad_text *out)
{
	struct pad *p = c->pad;
	struct ot_limits lim = {.max_sections = 0,
	                        .max_insert_bytes = h->conf->max_doc,
	                        .max_doc_bytes = h->conf->max_doc};
	struct pad_text t = {p->text, p->bytes, p->len16};
	char msg[300], full[400];

	for (size_t i = 0; i < n; i++) {
		json_object *u = json_object_array_get_idx(m->updates, i), *ch;
		enum ot_err err = OT_OK;
		struct ot_changes *cs;
		struct pad_text next = {NULL, 0, 0};

		json_object_object_get_ex(u, "changes", &ch);
		msg[0] = 0;
		cs = ot_changes_from_json(ch, &lim, &err, msg, sizeof(msg));
		if (cs)
			err = ot_apply(cs, t.text, t.bytes, t.len16, &lim,
			               &next.text, &next.bytes, &next.len16,
			               msg, sizeof(msg));
		ot_changes_free(cs);
		if (t.text != p->text)
			free(t.text);
		if (err != OT_OK) {
			if (err == OT_ETOOBIG)
				snprintf(full, sizeof(full),
				         "document would exceed %llu KiB",
				         (unsigned long long)h->conf->max_doc /
				                 1024);
			else if (n > 1)
				snprintf(full, sizeof(full), "updates[%zu]: %s",
				         i, msg);
			else
				snprintf(full, sizeof(full), "%s", msg);
			hub_send_error(h, c, ot_code(err), full, m->ref,
			               (int64_t)p->version);
			h->rejected += n;
			return -1;
		}
		t = next;
	}
	*out = t;
	return 0;
}

/* Store the push's updates in the turn's transaction, each serialized
   once (texts[i], which the broadcast reuses); 0, or -1 with the turn
   marked failed.  *total gets the bytes of the texts, separators
   included. */
static int store_all(struct hub *h, struct pad *p, const struct proto_msg *m,
                     size_t n, struct json_text *texts, size_t *total)
{
	if (hub_txn_get(h) < 0)
		return -1;
	*total = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *u = json_object_array_get_idx(m->updates, i);
		texts[i].s = json_object_to_json_string_length(
		        u,
		        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		        &texts[i].len);
		if (!texts[i].s ||
		    padstore_put_update(h->txn, p->id, p->version + 1 + i,
		                        texts[i].s, texts[i].len) < 0) {
			h->txn_failed = true;
			return -1;
		}
		*total += texts[i].len + 1;
	}
	return 0;
}

/* The updates broadcast, queued in the outbox for after the commit; NULL
   when it cannot be made (ENOMEM). */
static struct out *queue_broadcast(struct hub *h, struct pad *p, size_t n,
                                   const struct json_text *texts, size_t total)
{
	char head[96];
	int head_len =
	        snprintf(head, sizeof(head),
	                 "{\"type\":\"updates\",\"version\":%llu,\"updates\":[",
	                 (unsigned long long)p->version);
	struct wsmsg *msg = wsmsg_alloc((size_t)head_len + total + 1);
	char *w;

	if (!msg)
		return NULL;
	w = (char *)msg->data + WSMSG_PRE;
	memcpy(w, head, (size_t)head_len);
	w += head_len;
	for (size_t i = 0; i < n; i++) {
		if (i)
			*w++ = ',';
		memcpy(w, texts[i].s, texts[i].len);
		w += texts[i].len;
	}
	memcpy(w, "]}", 2);
	msg->len = (size_t)(w + 2 - ((char *)msg->data + WSMSG_PRE));
	msg->data[WSMSG_PRE + msg->len] = '\0';
	return hub_out_add(h, OUT_MSG, p, NULL, msg); /* takes msg */
}

/*
 * A push: at the head, within the rate, every update applies; then it is
 * stored in the turn's transaction, its broadcast queued, and only then
 * does the pad change.  The broadcast and the pusher's confirmation go out
 * after the commit (hub_turn.c); a failed commit takes the change back.
 */
void hub_do_push(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	size_t n = json_object_array_length(m->updates), total = 0;
	struct pad_text t;
	struct json_text *texts;
	struct out *e = NULL;

	if (refuse_version(h, c, m, n) || refuse_rate(h, c, m, n) ||
	    apply_all(h, c, m, n, &t) < 0)
		return;
	texts = calloc(n ? n : 1, sizeof(*texts));
	if (texts && store_all(h, p, m, n, texts, &total) == 0) {
		e = queue_broadcast(h, p, n, texts, total);
		if (!e) {
			/* the updates are in the turn's transaction: fail the
			   turn, so that they are not committed, and say so */
			h->txn_failed = true;
			snprintf(h->txn_err, sizeof(h->txn_err),
			         "out of memory for the broadcast");
			logf_(h, 3, "pad %s: %s", p->id, h->txn_err);
		}
	}
	free(texts);
	if (!e) {
		if (t.text != p->text)
			free(t.text);
		hub_send_error(h, c, PROTO_E_STORE_ERROR,
		               h->txn_err[0] ? h->txn_err
		                             : "the pad store failed",
		               m->ref, (int64_t)p->version);
		h->rejected += n;
		return;
	}
	c->tokens -= (double)n;
	hub_mark_dirty(h, p);
	hub_set_text(p, t.text, t.bytes, t.len16);
	p->version += n;
	p->last_edit_ms = now_ms();
	h->accepted += n;
	e->upd_to = p->version;
	e->needs_commit = true;
	e->pusher = c;
	e->ref = m->ref ? json_object_get(m->ref) : NULL;
}
