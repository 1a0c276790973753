/*
 * hub_presence.c - presence (selections), profiles, the pad's language
 * (with its toolchain) and its tests list.
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

void hub_do_presence(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	struct participant *pt = c->part;
	json_object *o;
	char msg[200];

	if ((uint64_t)m->version > p->version) {
		snprintf(msg, sizeof(msg),
		         "the pad is at version %llu, the selection says %lld",
		         (unsigned long long)p->version, (long long)m->version);
		hub_send_error(h, c, PROTO_E_FUTURE_VERSION, msg, NULL,
		               (int64_t)p->version);
		return;
	}
	if (m->selection && (uint64_t)m->version == p->version) {
		json_object *ranges;
		json_object_object_get_ex(m->selection, "ranges", &ranges);
		for (size_t i = 0; i < json_object_array_length(ranges); i++) {
			json_object *r = json_object_array_get_idx(ranges, i),
			            *a, *hd;
			json_object_object_get_ex(r, "anchor", &a);
			json_object_object_get_ex(r, "head", &hd);
			if ((size_t)json_object_get_int64(a) > p->len16 ||
			    (size_t)json_object_get_int64(hd) > p->len16) {
				snprintf(
				        msg, sizeof(msg),
				        "selection.ranges[%zu] is outside the document (%zu units)",
				        i, p->len16);
				hub_send_error(h, c, PROTO_E_BAD_SELECTION, msg,
				               NULL, (int64_t)p->version);
				return;
			}
		}
	}
	json_object_put(pt->selection);
	pt->selection = m->selection ? json_object_get(m->selection) : NULL;
	pt->sel_version = m->version;
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("presence"));
	json_object_object_add(o, "id", json_object_new_string(pt->id));
	json_object_object_add(o, "version", json_object_new_int64(m->version));
	json_object_object_add(o, "selection",
	                       m->selection ? json_object_get(m->selection)
	                                    : NULL);
	hub_send_json(h, p, NULL, c, o);
}

int hub_set_profile(struct participant *pt, const char *name, const char *color)
{
	if (name) {
		char *s = strdup(name);
		if (!s)
			return -ENOMEM;
		free(pt->name);
		pt->name = s;
	}
	if (color)
		snprintf(pt->color, sizeof(pt->color), "%s", color);
	return 0;
}

void hub_do_profile(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	json_object *o;

	if (hub_set_profile(c->part, m->name, m->color) < 0) {
		hub_send_error(h, c, PROTO_E_SERVER_BUSY, "out of memory", NULL,
		               -1);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("profile"));
	json_object_object_add(o, "participant",
	                       hub_participant_json(c->part, false));
	hub_send_json(h, c->pad, NULL, NULL, o);
	hub_event(h, c->pad, hub_participant_event("profile", c->part));
}

static bool toolchain_default(const struct pad_toolchain *t)
{
	return !t->variant[0] && !t->nopts;
}

/*
 * The pad's language and its toolchain.  A field of the toolchain that
 * the message leaves out is kept while the language stays, and reset to
 * the default when the language changes (a clang-15 means nothing to
 * Python).  The toolchain is stored in the pad's access record.
 */
void hub_do_language(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	bool was_default = toolchain_default(&p->acc.tc);
	json_object *o;
	struct out *e;

	if (hub_txn_get(h) < 0) {
		hub_send_error(h, c, PROTO_E_STORE_ERROR,
		               h->txn_err[0] ? h->txn_err
		                             : "the pad store failed",
		               NULL, -1);
		return;
	}
	hub_mark_dirty(h, p);
	hub_toolchain_from_msg(&p->acc.tc, m,
	                       strcmp(p->language, m->language) == 0);
	snprintf(p->language, sizeof(p->language), "%s", m->language);
	if ((p->acc.on || !was_default || !toolchain_default(&p->acc.tc)) &&
	    hub_access_store(h, p) < 0) {
		hub_send_error(h, c, PROTO_E_STORE_ERROR,
		               h->txn_err[0] ? h->txn_err
		                             : "the pad store failed",
		               NULL, -1);
		return;
	}
	{
		json_object *ev = json_object_new_object();
		json_object_object_add(ev, "type",
		                       json_object_new_string("language"));
		json_object_object_add(ev, "language",
		                       json_object_new_string(m->language));
		hub_toolchain_json(ev, &p->acc.tc);
		json_object_object_add(ev, "by",
		                       json_object_new_string(c->part->id));
		hub_event(h, p, ev);
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("language"));
	json_object_object_add(o, "language",
	                       json_object_new_string(m->language));
	hub_toolchain_json(o, &p->acc.tc);
	json_object_object_add(o, "by", json_object_new_string(c->part->id));
	e = hub_send_json(h, p, NULL, NULL, o);
	if (e) {
		e->needs_commit = true;
		e->pusher = c;
	}
}

void hub_do_tests(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	const char *s;
	json_object *o;
	struct out *e;

	s = json_object_to_json_string_ext(m->tests, JSON_C_TO_STRING_PLAIN);
	if (hub_txn_get(h) < 0 ||
	    padstore_put_tests(h->txn, p->id, s, strlen(s)) < 0) {
		if (h->txn)
			h->txn_failed = true;
		hub_send_error(h, c, PROTO_E_STORE_ERROR,
		               h->txn_err[0] ? h->txn_err
		                             : "the pad store failed",
		               NULL, -1);
		return;
	}
	hub_mark_dirty(h, p);
	json_object_put(p->tests);
	p->tests = json_object_get(m->tests);
	{
		json_object *ev = json_object_new_object();
		json_object_object_add(ev, "type",
		                       json_object_new_string("tests"));
		/* ev takes a new reference */
		json_object_object_add(ev, "tests", json_object_get(m->tests));
		json_object_object_add(ev, "by",
		                       json_object_new_string(c->part->id));
		hub_event(h, p, ev);
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("tests"));
	/* shared with the pad: the parent takes a new reference */
	json_object_object_add(o, "tests", json_object_get(m->tests));
	json_object_object_add(o, "by", json_object_new_string(c->part->id));
	e = hub_send_json(h, p, NULL, NULL, o);
	if (e) {
		e->needs_commit = true;
		e->pusher = c;
	}
}
