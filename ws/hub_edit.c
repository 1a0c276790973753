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

/* ---------------------------------------------------------------- messages */

static const char *ot_code(enum ot_err e)
{
	switch (e) {
	case OT_ELENGTH:
		return "length_mismatch";
	case OT_ESURROGATE:
		return "split_surrogate";
	case OT_EUTF8:
		return "invalid_utf8";
	case OT_ETOOBIG:
		return "doc_too_large";
	case OT_ENOMEM:
		return "server_busy";
	default:
		return "invalid_changes";
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

void hub_do_push(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	struct ot_limits lim = {.max_sections = 0,
	                        .max_insert_bytes = h->conf->max_doc,
	                        .max_doc_bytes = h->conf->max_doc};
	size_t n = json_object_array_length(m->updates), i;
	char *text = p->text, *nt = NULL;
	size_t bytes = p->bytes, len16 = p->len16, nb, nl;
	char msg[300], full[400], head[96];
	uint64_t base = p->version;
	struct {
		const char *s;
		size_t len;
	} *texts = NULL;
	size_t total = 0;
	int head_len;
	struct wsmsg *msg_out;
	struct out *e;

	if ((uint64_t)m->version > p->version) {
		snprintf(msg, sizeof(msg),
		         "the pad is at version %llu, the push says %lld",
		         (unsigned long long)p->version, (long long)m->version);
		hub_send_error(h, c, "future_version", msg, m->ref,
		               (int64_t)p->version);
		h->rejected += n;
		return;
	}
	if ((uint64_t)m->version < p->version) {
		snprintf(
		        msg, sizeof(msg),
		        "the pad is at version %llu, the push was made at %lld",
		        (unsigned long long)p->version, (long long)m->version);
		hub_send_error(h, c, "stale_version", msg, m->ref,
		               (int64_t)p->version);
		h->rejected += n;
		return;
	}
	refill(h, c);
	if (c->tokens < (double)n) {
		double wait = ((double)n - c->tokens) * 1000.0 /
		              h->conf->updates_per_second;
		json_object *err = json_object_new_object();
		snprintf(
		        msg, sizeof(msg),
		        "too many changes: at most %u per second (bursts of %u)",
		        h->conf->updates_per_second, h->conf->update_burst);
		json_object_object_add(err, "type",
		                       json_object_new_string("error"));
		json_object_object_add(err, "code",
		                       json_object_new_string("rate_limited"));
		json_object_object_add(err, "message",
		                       json_object_new_string(msg));
		if (m->ref)
			json_object_object_add(err, "ref",
			                       json_object_get(m->ref));
		json_object_object_add(
		        err, "head",
		        json_object_new_int64((int64_t)p->version));
		json_object_object_add(
		        err, "retry_after_ms",
		        json_object_new_int64((int64_t)wait + 1));
		hub_send_json(h, p, c, NULL, err);
		h->rejected += n;
		return;
	}
	for (i = 0; i < n; i++) {
		json_object *u = json_object_array_get_idx(m->updates, i), *ch;
		enum ot_err err = OT_OK;
		struct ot_changes *cs;

		json_object_object_get_ex(u, "changes", &ch);
		msg[0] = 0;
		cs = ot_changes_from_json(ch, &lim, &err, msg, sizeof(msg));
		if (cs)
			err = ot_apply(cs, text, bytes, len16, &lim, &nt, &nb,
			               &nl, msg, sizeof(msg));
		ot_changes_free(cs);
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
			if (text != p->text)
				free(text);
			hub_send_error(h, c, ot_code(err), full, m->ref,
			               (int64_t)p->version);
			h->rejected += n;
			return;
		}
		if (text != p->text)
			free(text);
		text = nt;
		bytes = nb;
		len16 = nl;
	}
	if (hub_txn_get(h) < 0)
		goto out_store;
	/* each update is serialized once: for the store, and the broadcast
	   is put together from the same texts */
	texts = calloc(n, sizeof(*texts));
	if (!texts)
		goto out_store;
	for (i = 0; i < n; i++) {
		json_object *u = json_object_array_get_idx(m->updates, i);
		texts[i].s = json_object_to_json_string_length(
		        u,
		        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		        &texts[i].len);
		if (!texts[i].s ||
		    padstore_put_update(h->txn, p->id, base + 1 + i, texts[i].s,
		                        texts[i].len) < 0) {
			h->txn_failed = true;
			goto out_store;
		}
		total += texts[i].len + 1;
	}
	/* the broadcast first: once the pad has changed, nothing may fail
	   without failing the turn, or the update would be stored and
	   never broadcast nor acknowledged */
	head_len =
	        snprintf(head, sizeof(head),
	                 "{\"type\":\"updates\",\"version\":%llu,\"updates\":[",
	                 (unsigned long long)base);
	msg_out = wsmsg_alloc((size_t)head_len + total + 1);
	e = NULL;
	if (msg_out) {
		char *w = (char *)msg_out->data + WSMSG_PRE;
		memcpy(w, head, (size_t)head_len);
		w += head_len;
		for (i = 0; i < n; i++) {
			if (i)
				*w++ = ',';
			memcpy(w, texts[i].s, texts[i].len);
			w += texts[i].len;
		}
		memcpy(w, "]}", 2);
		msg_out->len =
		        (size_t)(w + 2 - ((char *)msg_out->data + WSMSG_PRE));
		msg_out->data[WSMSG_PRE + msg_out->len] = '\0';
		e = hub_out_add(h, OUT_MSG, p, NULL, msg_out); /* takes it */
	}
	if (!e) {
		/* the updates are in the turn's transaction: fail the turn,
		   so that they are not committed, and say so */
		h->txn_failed = true;
		snprintf(h->txn_err, sizeof(h->txn_err),
		         "out of memory for the broadcast");
		logf_(h, 3, "pad %s: %s", p->id, h->txn_err);
		goto out_store;
	}
	c->tokens -= (double)n;
	hub_mark_dirty(h, p);
	hub_set_text(p, text, bytes, len16);
	p->version += n;
	p->last_edit_ms = now_ms();
	h->accepted += n;
	e->upd_to = p->version;
	e->needs_commit = true;
	e->pusher = c;
	e->ref = m->ref ? json_object_get(m->ref) : NULL;
	free(texts);
	return;
out_store:
	free(texts);
	if (text != p->text)
		free(text);
	hub_send_error(h, c, "store_error",
	               h->txn_err[0] ? h->txn_err : "the pad store failed",
	               m->ref, (int64_t)p->version);
	h->rejected += n;
}
