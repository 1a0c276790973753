/*
 * hub_edit.c - edits.  A push is checked against the head and the rate
 * limit, rebased over what was accepted since its version (the same
 * computation as @codemirror/collab's authority: ws/rebase.h), applied,
 * stored in the turn's transaction and broadcast after the commit.
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

/* The document a push is for: the pad's text, or its notes. */
static struct pad *doc_of(const struct hub_conn *c, const struct proto_msg *m)
{
	return m->notes ? c->pad->notes : c->pad;
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

/* A push from the future (future_version), or older than the daemon
   rebases over (stale_version, beyond ws.max_catchup: the client catches
   up and pushes again).  True when refused. */
static bool refuse_version(struct hub *h, struct hub_conn *c,
                           const struct proto_msg *m, size_t n)
{
	struct pad *p = doc_of(c, m);
	uint64_t v = (uint64_t)m->version;
	char msg[200];

	if (v <= p->version && p->version - v <= h->conf->max_catchup)
		return false;
	if (v > p->version)
		snprintf(msg, sizeof(msg),
		         "the pad is at version %llu, the push says %lld",
		         (unsigned long long)p->version, (long long)m->version);
	else
		snprintf(
		        msg, sizeof(msg),
		        "the pad is at version %llu, the push was made at %lld, more than ws.max_catchup (%u) behind",
		        (unsigned long long)p->version, (long long)m->version,
		        h->conf->max_catchup);
	hub_send_error(h, c,
	               v > p->version ? PROTO_E_FUTURE_VERSION
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
	struct pad *p = doc_of(c, m);
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

/* Tell the pusher why update i (of n) was refused. */
static void refuse_update(struct hub *h, struct hub_conn *c,
                          const struct proto_msg *m, size_t n, size_t i,
                          enum ot_err err, const char *msg)
{
	char full[400];

	if (err == OT_ETOOBIG)
		snprintf(full, sizeof(full), "document would exceed %llu KiB",
		         (unsigned long long)h->conf->max_doc / 1024);
	else if (n > 1)
		snprintf(full, sizeof(full), "updates[%zu]: %s", i, msg);
	else
		snprintf(full, sizeof(full), "%s", msg);
	hub_send_error(h, c, ot_code(err), full, m->ref,
	               (int64_t)doc_of(c, m)->version);
	h->rejected += n;
}

static void free_updates(struct rebase_update *u, size_t n)
{
	for (size_t i = 0; u && i < n; i++)
		ot_changes_free(u[i].changes);
	free(u);
}

/* The push's updates parsed (clientIDs borrowed from m, changes owned),
   or NULL after telling the pusher why. */
static struct rebase_update *parse_all(struct hub *h, struct hub_conn *c,
                                       const struct proto_msg *m, size_t n)
{
	struct ot_limits lim = {.max_sections = 0,
	                        .max_insert_bytes = h->conf->max_doc,
	                        .max_doc_bytes = h->conf->max_doc};
	struct rebase_update *u = calloc(n, sizeof(*u));
	char msg[300];

	if (!u) {
		refuse_update(h, c, m, 1, 0, OT_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *up = json_object_array_get_idx(m->updates, i), *x;
		enum ot_err err = OT_OK;
		json_object_object_get_ex(up, "clientID", &x);
		u[i].client = json_object_get_string(x);
		json_object_object_get_ex(up, "changes", &x);
		msg[0] = 0;
		u[i].changes =
		        ot_changes_from_json(x, &lim, &err, msg, sizeof(msg));
		if (!u[i].changes) {
			refuse_update(h, c, m, n, i, err, msg);
			free_updates(u, n);
			return NULL;
		}
	}
	return u;
}

/* Rebase u[0..n) over the updates accepted since the push's version, one
   at a time (rebase.h says why).  0 with *base the number of leading
   updates the pad already had, or -1 after telling the pusher why. */
static int rebase(struct hub *h, struct hub_conn *c, const struct proto_msg *m,
                  struct rebase_update *u, size_t n, size_t *base)
{
	struct pad *p = doc_of(c, m);
	struct rebase_update *over;
	size_t nover, owned, i;
	char msg[300];
	int r = 0;

	*base = 0;
	if ((uint64_t)m->version == p->version)
		return 0;
	if (hub_hist_over(h, p, (uint64_t)m->version, &over, &nover, &owned,
	                  msg, sizeof(msg)) < 0) {
		logf_(h, 3, "pad %s: cannot read its history: %s", p->id, msg);
		hub_send_error(h, c, PROTO_E_STORE_ERROR,
		               "the pad's history cannot be read", m->ref,
		               (int64_t)p->version);
		h->rejected += n;
		return -1;
	}
	/* every update must fit the text it was made for: the first the
	   pad's at the push's version, each next what the one before made
	   (a resend too, though it is then dropped) */
	for (size_t j = 0, want = ot_changes_len(over[0].changes); j < n; j++) {
		if (ot_changes_len(u[j].changes) != want) {
			if (j == 0)
				snprintf(
				        msg, sizeof(msg),
				        "changes cover %zu units, the pad had %zu at version %lld",
				        ot_changes_len(u[0].changes), want,
				        (long long)m->version);
			else
				snprintf(
				        msg, sizeof(msg),
				        "changes cover %zu units, the update before them leaves %zu",
				        ot_changes_len(u[j].changes), want);
			refuse_update(h, c, m, n, j, OT_ELENGTH, msg);
			hub_hist_over_free(over, owned);
			return -1;
		}
		want = ot_changes_new_len(u[j].changes);
	}
	for (i = 0; i < nover && *base < n; i++) {
		enum ot_err err = OT_OK;
		size_t skip;
		if (rebase_updates(u + *base, n - *base, &over[i], 1, &skip,
		                   &err) < 0) {
			if (err == OT_ELENGTH)
				snprintf(
				        msg, sizeof(msg),
				        "the changes do not fit the pad at version %lld",
				        (long long)m->version);
			else
				snprintf(msg, sizeof(msg), "out of memory");
			refuse_update(h, c, m, 1, 0, err, msg);
			h->rejected += n - 1;
			r = -1;
			break;
		}
		*base += skip;
	}
	hub_hist_over_free(over, owned);
	return r;
}

/* The pad's text after every update of u[0..n) (the push's updates from
   number first on), without touching the pad: 0 with *out (the pad's own
   text when n is 0, else the caller's), or -1 after telling the pusher
   why. */
static int apply_all(struct hub *h, struct hub_conn *c,
                     const struct proto_msg *m, size_t npush, size_t first,
                     const struct rebase_update *u, size_t n,
                     struct pad_text *out)
{
	struct pad *p = doc_of(c, m);
	struct ot_limits lim = {.max_sections = 0,
	                        .max_insert_bytes = h->conf->max_doc,
	                        .max_doc_bytes = h->conf->max_doc};
	struct pad_text t = {p->text, p->bytes, p->len16};
	char msg[300];

	for (size_t i = 0; i < n; i++) {
		struct pad_text next = {NULL, 0, 0};
		enum ot_err err;

		msg[0] = 0;
		err = ot_apply(u[i].changes, t.text, t.bytes, t.len16, &lim,
		               &next.text, &next.bytes, &next.len16, msg,
		               sizeof(msg));
		if (t.text != p->text)
			free(t.text);
		if (err != OT_OK) {
			refuse_update(h, c, m, npush, first + i, err, msg);
			return -1;
		}
		t = next;
	}
	*out = t;
	return 0;
}

/* Store the updates ups[0..n) in the turn's transaction, each
   serialized once (texts[i], which the broadcast reuses); 0, or -1 with
   the turn marked failed.  *total gets the bytes of the texts, separators
   included. */
static int store_all(struct hub *h, struct pad *p, json_object *const *ups,
                     size_t n, struct json_text *texts, size_t *total)
{
	if (hub_txn_get(h) < 0)
		return -1;
	*total = 0;
	for (size_t i = 0; i < n; i++) {
		texts[i].s = json_object_to_json_string_length(
		        ups[i],
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

/* The JSON of the updates to store: the push's own when nothing was
   rebased, else {clientID, changes} made from the rebased sets.  New
   references in ups[0..n), or -1 (ENOMEM) with none left. */
static int updates_json(const struct proto_msg *m, bool rebased,
                        const struct rebase_update *u, size_t first, size_t n,
                        const char *author, json_object **ups)
{
	int64_t t = now_ms();

	for (size_t i = 0; i < n; i++) {
		json_object *o, *ch;
		if (!rebased) {
			/* the push's own object, with when and by whom (the
			   parser allows no such fields from the client) */
			o = json_object_array_get_idx(m->updates, first + i);
			json_object_object_add(o, "t",
			                       json_object_new_int64(t));
			json_object_object_add(o, "a",
			                       json_object_new_string(author));
			ups[i] = json_object_get(o);
			continue;
		}
		o = json_object_new_object();
		ch = ot_changes_to_json(u[i].changes);
		if (!o || !ch ||
		    json_object_object_add(
		            o, "clientID",
		            json_object_new_string(u[i].client)) < 0 ||
		    json_object_object_add(o, "changes", ch) < 0 ||
		    json_object_object_add(o, "t", json_object_new_int64(t)) <
		            0 ||
		    json_object_object_add(
		            o, "a", json_object_new_string(author)) < 0) {
			json_object_put(o);
			json_object_put(ch);
			while (i--)
				json_object_put(ups[i]);
			return -1;
		}
		ups[i] = o;
	}
	return 0;
}

/* The updates broadcast, queued in the outbox for after the commit; NULL
   when it cannot be made (ENOMEM). */
static struct out *queue_broadcast(struct hub *h, struct pad *p, size_t n,
                                   const struct json_text *texts, size_t total)
{
	char head[112];
	int head_len = snprintf(
	        head, sizeof(head),
	        "{\"type\":\"updates\",%s\"version\":%llu,\"updates\":[",
	        p->main ? "\"doc\":\"notes\"," : "",
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

/* Keep the accepted sets u[0..n) (taken from u; texts[i] their stored
   JSON) for rebasing later
   pushes.  Without memory for that, the pad forgets its history in
   memory: later pushes made before this one read it from the store once
   the turn is committed. */
static void remember(struct hub *h, struct pad *p, struct rebase_update *u,
                     const struct json_text *texts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (hub_hist_add(p, u[i].client, u[i].changes, texts[i].len) <
		    0) {
			logf_(h, 4,
			      "pad %s: out of memory for its recent history",
			      p->id);
			hub_hist_free(p);
			p->hist.first = p->version + 1;
			return;
		}
		u[i].changes = NULL;
	}
	hub_hist_trim(p, p->prev_version);
}

/*
 * A push: from now or the recent past, within the rate, rebased over what
 * was accepted since its version, every update applies; then it is stored
 * in the turn's transaction, its broadcast queued, and only then does the
 * pad change.  The broadcast (which is also the pusher's confirmation)
 * goes out after the commit (hub_turn.c); a failed commit takes the change
 * back.  Updates the pad already has (a resend) are dropped.
 */
void hub_do_push(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = doc_of(c, m);
	size_t n = json_object_array_length(m->updates), total = 0, base, k;
	bool rebased = (uint64_t)m->version != p->version;
	struct rebase_update *u;
	struct pad_text t;
	struct json_text *texts = NULL;
	json_object **ups = NULL;
	struct out *e = NULL;

	if (refuse_version(h, c, m, n) || refuse_rate(h, c, m, n))
		return;
	u = parse_all(h, c, m, n);
	if (!u)
		return;
	if (rebase(h, c, m, u, n, &base) < 0)
		goto out;
	k = n - base;
	if (k == 0)
		goto out; /* a resend: everything of it is in the pad */
	if (apply_all(h, c, m, n, base, u + base, k, &t) < 0)
		goto out;
	texts = calloc(k, sizeof(*texts));
	ups = calloc(k, sizeof(*ups));
	if (texts && ups &&
	    updates_json(m, rebased, u + base, base, k, c->part->id, ups) < 0) {
		free(ups);
		ups = NULL;
	}
	if (texts && ups && store_all(h, p, ups, k, texts, &total) == 0) {
		e = queue_broadcast(h, p, k, texts, total);
		if (!e) {
			/* the updates are in the turn's transaction: fail the
			   turn, so that they are not committed, and say so */
			h->txn_failed = true;
			snprintf(h->txn_err, sizeof(h->txn_err),
			         "out of memory for the broadcast");
			logf_(h, 3, "pad %s: %s", p->id, h->txn_err);
		}
	}
	if (!e) {
		for (size_t i = 0; ups && i < k; i++)
			json_object_put(ups[i]);
		free(ups);
		free(texts);
		if (t.text != p->text)
			free(t.text);
		hub_send_error(h, c, PROTO_E_STORE_ERROR,
		               h->txn_err[0] ? h->txn_err
		                             : "the pad store failed",
		               m->ref, (int64_t)p->version);
		h->rejected += n;
		goto out;
	}
	c->tokens -= (double)k;
	hub_mark_dirty(h, p);
	hub_set_text(p, t.text, t.bytes, t.len16);
	p->version += k;
	p->last_edit_ms = now_ms();
	h->accepted += k;
	h->rebased += rebased ? k : 0;
	e->upd_to = p->version;
	e->needs_commit = true;
	e->pusher = c;
	e->ref = m->ref ? json_object_get(m->ref) : NULL;
	remember(h, p, u + base, texts, k);
	for (size_t i = 0; i < k; i++)
		json_object_put(ups[i]);
	free(ups);
	free(texts);
out:
	free_updates(u, n);
}
