/*
 * hub_roles.c - links and roles (docs/protocol.md, "Roles and links"):
 * making a pad with its three keys, the role a key gives at hello, the
 * check of every message against the role and the owner's controls, the
 * owner's messages (control, links, remove), the pad's event log, and its
 * history for playback.
 *
 * A key is never stored: the access record keeps its SHA-256 (cap.h), so
 * the store and its backups hold no usable link.  The record is JSON in
 * the store's "access" database:
 *
 *   {"owner":"<hex>","candidate":"<hex>"|null,"observer":"<hex>"|null,
 *    "title":"...","locked":false,"runs_locked":false,"ended":false,
 *    "playback":false,"variant":"clang-15"|null,"options":{"std":"c11"}}
 *
 * A pad without one, or with "owner" null (and no candidate or observer
 * key), is open: everyone in it is an editor, as before links.  An open
 * pad has a record only while it has a toolchain (a variant or options),
 * {"owner":null,"variant":...,"options":...}: a pad that never picked one
 * is stored as before toolchains.  A record without "variant" and
 * "options" (one written before them) has the language's defaults.
 */
#include "hub_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "padstore.h"
#include "proto.h"
#include "sha256.h"
#include "template.h"

/* A history page: at most this many updates, about this many bytes. */
#define HISTORY_PAGE       2000
#define HISTORY_PAGE_BYTES ((size_t)512 << 10)
/* What a history page costs of the connection's update budget
   (ws.update_burst, refilled at ws.updates_per_second): with the defaults
   a burst of 50 pages, then one a second. */
#define HISTORY_COST 100
/* Events kept per pad; past it joins, leaves and profiles are not kept. */
#define EVENTS_MAX 5000

/* ---------------------------------------------------------------- access */

static int get_hash(json_object *o, const char *f, uint8_t out[32], bool *on)
{
	json_object *v;

	*on = false;
	if (!json_object_object_get_ex(o, f, &v) ||
	    json_object_get_type(v) == json_type_null)
		return 0;
	if (json_object_get_type(v) != json_type_string ||
	    cap_unhex(json_object_get_string(v), out) < 0)
		return -1;
	*on = true;
	return 0;
}

static bool get_flag(json_object *o, const char *f)
{
	json_object *v;

	return json_object_object_get_ex(o, f, &v) &&
	       json_object_get_type(v) == json_type_boolean &&
	       json_object_get_boolean(v);
}

void hub_toolchain_parse(struct pad_toolchain *t, json_object *variant,
                         json_object *options)
{
	memset(t, 0, sizeof(*t));
	if (json_object_get_type(variant) == json_type_string &&
	    proto_toolchain_word(json_object_get_string(variant),
	                         (size_t)json_object_get_string_len(variant)))
		snprintf(t->variant, sizeof(t->variant), "%s",
		         json_object_get_string(variant));
	if (json_object_get_type(options) != json_type_object)
		return;
	json_object_object_foreach(options, key, val)
	{
		if (t->nopts == PROTO_MAX_OPTIONS ||
		    !proto_toolchain_word(key, strlen(key)) ||
		    json_object_get_type(val) != json_type_string ||
		    !proto_toolchain_word(
		            json_object_get_string(val),
		            (size_t)json_object_get_string_len(val)))
			continue;
		snprintf(t->opt[t->nopts].name, sizeof(t->opt[0].name), "%s",
		         key);
		snprintf(t->opt[t->nopts].value, sizeof(t->opt[0].value), "%s",
		         json_object_get_string(val));
		t->nopts++;
	}
}

void hub_toolchain_from_msg(struct pad_toolchain *t, const struct proto_msg *m,
                            bool keep)
{
	struct pad_toolchain next;

	/* the options the message gives (the parser checked each), or t's */
	if (m->has_options)
		hub_toolchain_parse(&next, NULL, m->options);
	else if (keep)
		next = *t;
	else
		memset(&next, 0, sizeof(next));
	next.variant[0] = '\0';
	if (m->has_variant ? m->variant != NULL : keep)
		snprintf(next.variant, sizeof(next.variant), "%s",
		         m->has_variant ? m->variant : t->variant);
	*t = next;
}

void hub_toolchain_json(json_object *o, const struct pad_toolchain *t)
{
	json_object *opts = json_object_new_object();

	json_object_object_add(
	        o, "variant",
	        t->variant[0] ? json_object_new_string(t->variant) : NULL);
	for (unsigned i = 0; i < t->nopts; i++)
		json_object_object_add(opts, t->opt[i].name,
		                       json_object_new_string(t->opt[i].value));
	json_object_object_add(o, "options", opts); /* o owns opts */
}

int hub_access_parse(struct pad_access *a, const char *json, size_t len)
{
	json_object *o = hub_json_from_bytes(json, len), *v, *opts;
	bool owner;
	int r = -1;

	memset(a, 0, sizeof(*a));
	if (!o || json_object_get_type(o) != json_type_object)
		goto out;
	json_object_object_get_ex(o, "variant", &v);
	json_object_object_get_ex(o, "options", &opts);
	hub_toolchain_parse(&a->tc, v, opts);
	if (get_hash(o, "owner", a->owner, &owner) < 0 ||
	    get_hash(o, "candidate", a->candidate, &a->candidate_on) < 0 ||
	    get_hash(o, "observer", a->observer, &a->observer_on) < 0)
		goto out;
	if (!owner) {
		/* an open pad's record: its toolchain only */
		if (a->candidate_on || a->observer_on)
			goto out;
		r = 0;
		goto out;
	}
	if (json_object_object_get_ex(o, "title", &v) &&
	    json_object_get_type(v) == json_type_string)
		snprintf(a->title, sizeof(a->title), "%s",
		         json_object_get_string(v));
	a->locked = get_flag(o, "locked");
	a->runs_locked = get_flag(o, "runs_locked");
	a->ended = get_flag(o, "ended");
	a->playback = get_flag(o, "playback");
	a->on = true;
	r = 0;
out:
	json_object_put(o);
	if (r < 0)
		memset(a, 0, sizeof(*a));
	return r;
}

static json_object *hash_json(const uint8_t h[32], bool on)
{
	char hex[65];

	if (!on)
		return NULL;
	cap_hex(h, hex);
	return json_object_new_string(hex);
}

json_object *hub_controls_json(const struct pad_access *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "title", json_object_new_string(a->title));
	json_object_object_add(o, "locked", json_object_new_boolean(a->locked));
	json_object_object_add(o, "runs_locked",
	                       json_object_new_boolean(a->runs_locked));
	json_object_object_add(o, "ended", json_object_new_boolean(a->ended));
	json_object_object_add(o, "playback",
	                       json_object_new_boolean(a->playback));
	return o;
}

int hub_access_store(struct hub *h, struct pad *p)
{
	const struct pad_access *a = &p->acc;
	json_object *o;
	const char *s;
	int r = -1;

	if (!a->on && !a->tc.variant[0] && !a->tc.nopts) {
		/* an open pad back at the defaults: no record, as before */
		if (hub_txn_get(h) == 0 &&
		    padstore_put_access(h->txn, p->id, NULL, 0) == 0)
			return 0;
		if (h->txn)
			h->txn_failed = true;
		return -1;
	}
	o = a->on ? hub_controls_json(a) : json_object_new_object();
	json_object_object_add(o, "owner", hash_json(a->owner, a->on));
	if (a->on) {
		json_object_object_add(
		        o, "candidate",
		        hash_json(a->candidate, a->candidate_on));
		json_object_object_add(o, "observer",
		                       hash_json(a->observer, a->observer_on));
	}
	hub_toolchain_json(o, &a->tc);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (hub_txn_get(h) == 0 && s &&
	    padstore_put_access(h->txn, p->id, s, strlen(s)) == 0)
		r = 0;
	else if (h->txn)
		h->txn_failed = true;
	json_object_put(o);
	return r;
}

/* ---------------------------------------------------------------- checks */

static bool forbid(struct hub *h, struct hub_conn *c, const struct proto_msg *m,
                   const char *why)
{
	hub_send_error(h, c, PROTO_E_FORBIDDEN, why, m->ref,
	               c->pad ? (int64_t)c->pad->version : -1);
	h->rejected += m->type == PROTO_PUSH && m->updates
	                       ? json_object_array_length(m->updates)
	                       : 0;
	return false;
}

bool hub_allowed(struct hub *h, struct hub_conn *c, const struct proto_msg *m)
{
	const struct pad_access *a = &c->pad->acc;
	enum proto_role role = (enum proto_role)c->role;
	bool owner = role == PROTO_ROLE_OWNER;
	bool observer = role == PROTO_ROLE_OBSERVER;

	switch (m->type) {
	case PROTO_HELLO:
	case PROTO_PING:
	case PROTO_PROFILE:
	case PROTO_TYPE_COUNT:
		return true;
	case PROTO_PULL:
		if (m->notes && !owner)
			return forbid(h, c, m, "only owners have the notes");
		return true;
	case PROTO_PRESENCE:
		if (observer)
			return forbid(h, c, m,
			              "observers do not show a cursor");
		return true;
	case PROTO_PUSH:
	case PROTO_LANGUAGE:
	case PROTO_TESTS:
		if (m->type == PROTO_PUSH && m->notes)
			return owner ? true
			             : forbid(h, c, m,
			                      "only owners write the notes");
		if (owner || role == PROTO_ROLE_EDITOR)
			return true;
		if (observer)
			return forbid(h, c, m,
			              "observers cannot edit this pad");
		if (a->ended)
			return forbid(
			        h, c, m,
			        "the interview has ended; the pad is read-only");
		if (a->locked)
			return forbid(h, c, m,
			              "editing is locked by the interviewer");
		return true;
	case PROTO_RUN:
	case PROTO_STDIN:
	case PROTO_STOP:
		if (owner || role == PROTO_ROLE_EDITOR)
			return true;
		if (observer)
			return forbid(
			        h, c, m,
			        "observers cannot run, stop or type input");
		if (a->ended)
			return forbid(h, c, m,
			              "the interview has ended; runs are over");
		if (a->runs_locked)
			return forbid(h, c, m,
			              "runs are locked by the interviewer");
		return true;
	case PROTO_CONTROL:
	case PROTO_LINKS:
	case PROTO_REMOVE:
		if (owner)
			return true;
		return forbid(h, c, m,
		              a->on ? "only the pad's owners may do that"
		                    : "this pad has no owner links; it is open "
		                      "to everyone alike");
	case PROTO_HISTORY:
		if (owner)
			return true;
		if (m->notes)
			return forbid(h, c, m, "only owners have the notes");
		if (role == PROTO_ROLE_EDITOR || (observer && a->playback))
			return true;
		return forbid(h, c, m,
		              observer ? "the owner has not allowed observers "
		                         "to replay this pad"
		                       : "only owners replay the interview");
	}
	return true;
}

/* ---------------------------------------------------------------- hello */

static bool secret_ok(const struct hub *h, const struct hub_conn *c,
                      const struct proto_msg *m)
{
	const char *want = h->conf->create_secret;
	const char *got = m->secret ? m->secret : c->create_secret;
	uint8_t a[32], b[32];

	if (strcmp(h->conf->create, "anyone") == 0)
		return true;
	if (!want || !got || !*got)
		return false;
	/* compared as hashes: in the same time whatever the guess */
	sha256(want, strlen(want), a);
	sha256(got, strlen(got), b);
	return cap_equal(a, b);
}

/* Make doc's text `text` as its update 1 (authored by `a`), stored in the
   turn.  0, or -1 with the turn failed. */
static int seed_doc(struct hub *h, struct pad *doc, const char *text,
                    const char *a)
{
	json_object *ins = json_object_new_array(), *ch, *u;
	struct ot_changes *cs = NULL;
	const char *line = text, *nl, *s;
	char *nt = NULL, msg[200];
	size_t nb, nl16;
	int r = -1;

	if (!text || !*text) {
		json_object_put(ins);
		return 0;
	}
	json_object_array_add(ins, json_object_new_int(0));
	for (;; line = nl + 1) {
		nl = strchr(line, '\n');
		json_object_array_add(
		        ins,
		        json_object_new_string_len(
		                line, (int)(nl ? nl - line
		                               : (ptrdiff_t)strlen(line))));
		if (!nl)
			break;
	}
	ch = json_object_new_array();
	json_object_array_add(ch, ins); /* ch owns ins */
	cs = ot_changes_from_json(ch, NULL, NULL, msg, sizeof(msg));
	if (!cs || ot_apply(cs, doc->text, doc->bytes, doc->len16, NULL, &nt,
	                    &nb, &nl16, msg, sizeof(msg)) != OT_OK) {
		json_object_put(ch);
		goto out;
	}
	u = json_object_new_object();
	json_object_object_add(u, "clientID", json_object_new_string(a));
	json_object_object_add(u, "changes", ch); /* u owns ch */
	json_object_object_add(u, "t", json_object_new_int64(now_ms()));
	json_object_object_add(u, "a", json_object_new_string(a));
	s = json_object_to_json_string_ext(u, JSON_C_TO_STRING_PLAIN);
	if (hub_txn_get(h) < 0 ||
	    padstore_put_update(h->txn, doc->id, doc->version + 1, s,
	                        strlen(s)) < 0) {
		if (h->txn)
			h->txn_failed = true;
		json_object_put(u);
		free(nt);
		goto out;
	}
	json_object_put(u);
	hub_mark_dirty(h, doc);
	hub_set_text(doc, nt, nb, nl16);
	doc->version++;
	doc->last_edit_ms = now_ms();
	/* the history in memory starts after it: read from the store */
	hub_hist_free(doc);
	doc->hist.first = doc->version + 1;
	r = 0;
out:
	ot_changes_free(cs);
	return r;
}

struct pad *hub_notes_load(struct hub *h, struct pad *p, char *err,
                           size_t errlen)
{
	char id[PADSTORE_DOC_MAX + 1];

	if (p->notes)
		return p->notes;
	snprintf(id, sizeof(id), "%.64s" PADSTORE_NOTES_SUFFIX, p->id);
	p->notes = hub_doc_load(h, id, err, errlen);
	if (p->notes)
		p->notes->main = p;
	return p->notes;
}

static json_object *new_key(uint8_t hash[32], int *r)
{
	char key[CAP_KEY_LEN + 1];

	if (*r < 0 || (*r = cap_new(key, hash)) < 0)
		return NULL;
	return json_object_new_string(key);
}

/* Make p (new) a pad with links, from m's create; c is its first owner. */
static int create(struct hub *h, struct hub_conn *c, struct pad *p,
                  const struct proto_msg *m, json_object **links)
{
	struct tpl t = {0};
	char err[300];
	int r = 0;

	if (m->tpl) {
		r = tpl_load(h->conf->templates, m->tpl, &t, err, sizeof(err));
		if (r < 0) {
			if (r != -ENOENT)
				logf_(h, 3, "pad %s: template %s: %s", p->id,
				      m->tpl, err);
			hub_send_error(h, c, PROTO_E_BAD_TEMPLATE,
			               r == -ENOENT
			                       ? "no such template"
			                       : "that template is broken; "
			                         "the daemon's log says how",
			               NULL, -1);
			return -1;
		}
	}
	if (!hub_notes_load(h, p, err, sizeof(err))) {
		tpl_fini(&t);
		hub_send_error(h, c, PROTO_E_STORE_ERROR, err, NULL, -1);
		return -1;
	}
	hub_mark_dirty(h, p);
	*links = json_object_new_object();
	json_object_object_add(*links, "owner", new_key(p->acc.owner, &r));
	json_object_object_add(*links, "candidate",
	                       new_key(p->acc.candidate, &r));
	json_object_object_add(*links, "observer",
	                       new_key(p->acc.observer, &r));
	if (r < 0) {
		json_object_put(*links);
		*links = NULL;
		tpl_fini(&t);
		memset(&p->acc, 0, sizeof(p->acc));
		hub_send_error(h, c, PROTO_E_SERVER_BUSY,
		               "no randomness for the pad's links", NULL, -1);
		return -1;
	}
	p->acc.on = p->acc.candidate_on = p->acc.observer_on = true;
	snprintf(p->acc.title, sizeof(p->acc.title), "%s",
	         m->title  ? m->title
	         : t.title ? t.title
	                   : "");
	if (t.language)
		snprintf(p->language, sizeof(p->language), "%s", t.language);
	else if (m->create_language)
		snprintf(p->language, sizeof(p->language), "%s",
		         m->create_language);
	p->created_ms = now_ms();
	p->last_edit_ms = p->created_ms;
	if (t.tests && json_object_array_length(t.tests)) {
		const char *s = json_object_to_json_string_ext(
		        t.tests, JSON_C_TO_STRING_PLAIN);
		if (hub_txn_get(h) == 0)
			padstore_put_tests(h->txn, p->id, s, strlen(s));
		json_object_put(p->tests);
		p->tests = json_object_get(t.tests);
	}
	if (hub_access_store(h, p) < 0 ||
	    seed_doc(h, p, t.code, "template") < 0 ||
	    seed_doc(h, p->notes, t.notes, "template") < 0) {
		tpl_fini(&t);
		hub_send_error(h, c, PROTO_E_STORE_ERROR,
		               h->txn_err[0] ? h->txn_err
		                             : "the pad store failed",
		               NULL, -1);
		return -1;
	}
	if (p->notes->version == 0)
		hub_mark_dirty(h, p->notes); /* its meta record */
	logf_(h, 6, "pad %s: made with links%s%s", p->id,
	      m->tpl ? " from template " : "", m->tpl ? m->tpl : "");
	tpl_fini(&t);
	return 0;
}

int hub_hello_access(struct hub *h, struct hub_conn *c, struct pad *p,
                     bool is_new, const struct proto_msg *m,
                     json_object **links)
{
	uint8_t hash[32];

	*links = NULL;
	if (m->create) {
		if (!secret_ok(h, c, m)) {
			hub_send_error(h, c, PROTO_E_CREATE_FORBIDDEN,
			               "making pads here needs the creation "
			               "secret (ws.create is secret)",
			               NULL, -1);
			hub_send_close(h, c, 4401);
			c->refused = true;
			return -1;
		}
		if (!is_new || p->nparts || p->version) {
			hub_send_error(h, c, PROTO_E_PAD_EXISTS,
			               "a pad with this id exists already",
			               NULL, -1);
			hub_send_close(h, c, 4409);
			c->refused = true;
			return -1;
		}
		if (create(h, c, p, m, links) < 0)
			return -1;
		c->role = PROTO_ROLE_OWNER;
		return 0;
	}
	if (!p->acc.on) {
		c->role = PROTO_ROLE_EDITOR;
		return 0;
	}
	if (m->key && cap_hash(m->key, strlen(m->key), hash) == 0) {
		/* all three compared, in constant time each */
		bool o = cap_equal(hash, p->acc.owner);
		bool ca = p->acc.candidate_on &&
		          cap_equal(hash, p->acc.candidate);
		bool ob =
		        p->acc.observer_on && cap_equal(hash, p->acc.observer);
		if (o || ca || ob) {
			c->role = o    ? PROTO_ROLE_OWNER
			          : ca ? PROTO_ROLE_CANDIDATE
			               : PROTO_ROLE_OBSERVER;
			return 0;
		}
	}
	hub_send_error(h, c, PROTO_E_BAD_LINK,
	               m->key ? "this link is not valid for this pad: it was "
	                        "revoked or replaced, or it is mistyped"
	                      : "this pad needs a link with a key",
	               NULL, -1);
	hub_send_close(h, c, 4403);
	c->refused = true;
	return -1;
}

/* ---------------------------------------------------------------- events */

void hub_event(struct hub *h, struct pad *p, json_object *ev)
{
	const char *s;
	json_object *k;
	bool people = json_object_object_get_ex(ev, "type", &k) &&
	              (strcmp(json_object_get_string(k), "join") == 0 ||
	               strcmp(json_object_get_string(k), "leave") == 0 ||
	               strcmp(json_object_get_string(k), "profile") == 0);

	if (p->main || (people && p->event_seq >= EVENTS_MAX) ||
	    hub_txn_get(h) < 0) {
		json_object_put(ev);
		return;
	}
	hub_mark_dirty(h, p);
	json_object_object_add(ev, "t", json_object_new_int64(now_ms()));
	s = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN);
	if (!s || padstore_put_log(h->txn, PADSTORE_LOG_EVENTS, p->id,
	                           p->event_seq + 1, s, strlen(s)) < 0)
		h->txn_failed = true;
	else
		p->event_seq++;
	json_object_put(ev);
}

json_object *hub_participant_event(const char *kind,
                                   const struct participant *pt)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(kind));
	json_object_object_add(o, "id", json_object_new_string(pt->id));
	if (strcmp(kind, "leave")) {
		json_object_object_add(o, "name",
		                       json_object_new_string(pt->name));
		json_object_object_add(o, "color",
		                       json_object_new_string(pt->color));
		json_object_object_add(
		        o, "role",
		        json_object_new_string(proto_role_name(pt->role)));
	}
	return o;
}

void hub_runlog_put(struct hub *h, struct pad *p, const struct run *r)
{
	json_object *o = hub_run_json(r), *evs, *kept;
	uint64_t cap = h->conf->max_run_log < h->conf->max_queue / 2
	                       ? h->conf->max_run_log
	                       : h->conf->max_queue / 2;
	const char *s;
	size_t len;

	if (!o || hub_txn_get(h) < 0) {
		json_object_put(o);
		return;
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = s ? strlen(s) : 0;
	/* at most half a socket's queue: the first history page holds them */
	if (s && p->runlog_bytes + len > cap &&
	    json_object_object_get_ex(o, "events", &evs)) {
		/* past the cap: the run without its output */
		kept = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(evs); i++) {
			json_object *ev = json_object_array_get_idx(evs, i), *k;
			const char *kind =
			        json_object_object_get_ex(ev, "event", &k)
			                ? json_object_get_string(k)
			                : "";
			if (strcmp(kind, "stdout") && strcmp(kind, "stderr"))
				json_object_array_add(kept,
				                      json_object_get(ev));
		}
		json_object_object_add(o, "events", kept);
		json_object_object_add(o, "truncated",
		                       json_object_new_boolean(true));
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		len = s ? strlen(s) : 0;
	}
	hub_mark_dirty(h, p);
	if (!s || padstore_put_log(h->txn, PADSTORE_LOG_RUNS, p->id, r->no, s,
	                           len) < 0)
		h->txn_failed = true;
	else
		p->runlog_bytes += len;
	json_object_put(o);
}

/* ---------------------------------------------------------------- owner */

void hub_do_control(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	json_object *o, *ev;
	struct out *e;

	hub_mark_dirty(h, p);
	if (m->title)
		snprintf(p->acc.title, sizeof(p->acc.title), "%s", m->title);
	if (m->locked >= 0)
		p->acc.locked = m->locked;
	if (m->runs_locked >= 0)
		p->acc.runs_locked = m->runs_locked;
	if (m->ended >= 0)
		p->acc.ended = m->ended;
	if (m->playback >= 0)
		p->acc.playback = m->playback;
	if (hub_access_store(h, p) < 0) {
		hub_send_error(h, c, PROTO_E_STORE_ERROR,
		               h->txn_err[0] ? h->txn_err
		                             : "the pad store failed",
		               NULL, -1);
		return;
	}
	ev = json_object_new_object();
	json_object_object_add(ev, "type", json_object_new_string("control"));
	json_object_object_add(ev, "controls", hub_controls_json(&p->acc));
	json_object_object_add(ev, "by", json_object_new_string(c->part->id));
	hub_event(h, p, ev);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("control"));
	json_object_object_add(o, "controls", hub_controls_json(&p->acc));
	json_object_object_add(o, "by", json_object_new_string(c->part->id));
	e = hub_send_json(h, p, NULL, NULL, o);
	if (e) {
		e->needs_commit = true;
		e->pusher = c;
	}
	logf_(h, 6,
	      "pad %s: %s set the controls: locked %d, runs_locked %d, ended %d, playback %d",
	      p->id, c->part->id, p->acc.locked, p->acc.runs_locked,
	      p->acc.ended, p->acc.playback);
}

/* Close every connection that joined p with role's key. */
static size_t close_role(struct hub *h, struct pad *p, enum proto_role role)
{
	size_t n = 0;

	for (struct participant *pt = p->parts; pt; pt = pt->next) {
		struct hub_conn *c = pt->conn;
		if (c->role != (int)role || c->refused)
			continue;
		hub_send_error(h, c, PROTO_E_LINK_REVOKED,
		               "the link you joined with was revoked by the "
		               "pad's owner",
		               NULL, -1);
		hub_send_close(h, c, 4403);
		c->refused = true;
		n++;
	}
	return n;
}

void hub_do_links(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	bool cand = m->link_role == PROTO_ROLE_CANDIDATE;
	uint8_t *hash = cand ? p->acc.candidate : p->acc.observer;
	bool *on = cand ? &p->acc.candidate_on : &p->acc.observer_on;
	json_object *key = NULL, *ev;
	size_t closed;
	int r = 0;

	hub_mark_dirty(h, p);
	if (!m->revoke) {
		key = new_key(hash, &r);
		if (r < 0) {
			hub_send_error(h, c, PROTO_E_SERVER_BUSY,
			               "no randomness for a new link", NULL,
			               -1);
			return;
		}
	}
	*on = !m->revoke;
	if (hub_access_store(h, p) < 0) {
		json_object_put(key);
		hub_send_error(h, c, PROTO_E_STORE_ERROR,
		               h->txn_err[0] ? h->txn_err
		                             : "the pad store failed",
		               NULL, -1);
		return;
	}
	closed = close_role(h, p, m->link_role);
	ev = json_object_new_object();
	json_object_object_add(ev, "type", json_object_new_string("links"));
	json_object_object_add(
	        ev, "role",
	        json_object_new_string(proto_role_name(m->link_role)));
	json_object_object_add(
	        ev, "action",
	        json_object_new_string(m->revoke ? "revoke" : "rotate"));
	json_object_object_add(ev, "by", json_object_new_string(c->part->id));
	hub_event(h, p, ev);
	for (struct participant *pt = p->parts; pt; pt = pt->next) {
		json_object *o;
		struct out *e;
		if (pt->role != PROTO_ROLE_OWNER)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "type",
		                       json_object_new_string("links"));
		json_object_object_add(
		        o, "role",
		        json_object_new_string(proto_role_name(m->link_role)));
		/* o takes a new reference to the shared key */
		json_object_object_add(o, "key",
		                       key ? json_object_get(key) : NULL);
		json_object_object_add(o, "by",
		                       json_object_new_string(c->part->id));
		e = hub_send_json(h, p, pt->conn, NULL, o);
		if (e)
			e->needs_commit = true;
	}
	json_object_put(key);
	logf_(h, 6, "pad %s: %s %s the %s link; %zu connections closed (4403)",
	      p->id, c->part->id, m->revoke ? "revoked" : "rotated",
	      proto_role_name(m->link_role), closed);
}

void hub_do_remove(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct participant *pt;
	json_object *ev;
	char msg[100];

	for (pt = c->pad->parts; pt; pt = pt->next)
		if (strcmp(pt->id, m->id) == 0 && !pt->conn->refused)
			break;
	if (!pt) {
		snprintf(msg, sizeof(msg), "id: no participant %s in this pad",
		         m->id);
		hub_send_error(h, c, PROTO_E_BAD_MESSAGE, msg, NULL, -1);
		return;
	}
	if (pt->role == PROTO_ROLE_OWNER) {
		hub_send_error(h, c, PROTO_E_FORBIDDEN,
		               "an owner cannot be removed", NULL, -1);
		return;
	}
	hub_send_error(h, pt->conn, PROTO_E_REMOVED,
	               "the pad's owner removed you from this pad", NULL, -1);
	hub_send_close(h, pt->conn, 4408);
	pt->conn->refused = true;
	ev = hub_participant_event("remove", pt);
	json_object_object_add(ev, "by", json_object_new_string(c->part->id));
	hub_event(h, c->pad, ev);
	logf_(h, 6, "pad %s: %s removed %s", c->pad->id, c->part->id, pt->id);
}

/* ---------------------------------------------------------------- history */

struct page {
	json_object *arr;
	size_t bytes, n, max;
	uint64_t last;
};

static int page_add(void *arg, uint64_t seq, const void *data, size_t len)
{
	struct page *pg = arg;
	json_object *u;

	if (pg->max && (pg->n >= pg->max ||
	                (pg->n && pg->bytes + len > HISTORY_PAGE_BYTES)))
		return 1; /* full: the rest on the next page */
	u = hub_json_from_bytes(data, len);
	if (!u)
		return -EBADMSG;
	json_object_array_add(pg->arr, u); /* the array owns u */
	pg->bytes += len;
	pg->n++;
	pg->last = seq;
	return 0;
}

/* Reading the history costs the reader's update budget: a page is
   work for the store.  True when refused (rate_limited). */
static bool history_limited(struct hub *h, struct hub_conn *c)
{
	int64_t now = mono_ms();
	double cap = h->conf->update_burst, wait;
	json_object *o;

	c->tokens += (double)(now - c->tokens_at_ms) *
	             h->conf->updates_per_second / 1000.0;
	if (c->tokens > cap)
		c->tokens = cap;
	c->tokens_at_ms = now;
	if (c->tokens >= HISTORY_COST || cap < HISTORY_COST) {
		c->tokens -= c->tokens >= HISTORY_COST ? HISTORY_COST : 0;
		return false;
	}
	wait = (HISTORY_COST - c->tokens) * 1000.0 /
	       h->conf->updates_per_second;
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("error"));
	json_object_object_add(
	        o, "code",
	        json_object_new_string(proto_err_name(PROTO_E_RATE_LIMITED)));
	json_object_object_add(
	        o, "message",
	        json_object_new_string("too many history pages; each costs "
	                               "100 of the update budget"));
	json_object_object_add(o, "retry_after_ms",
	                       json_object_new_int64((int64_t)wait + 1));
	hub_send_json(h, c->pad, c, NULL, o);
	return true;
}

void hub_do_history(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad, *doc = m->notes ? p->notes : p;
	uint64_t from = (uint64_t)m->version, head;
	struct page pg = {.max = HISTORY_PAGE};
	json_object *o, *more;
	char err[256], msg[100];
	int r;

	if (!doc) {
		hub_send_error(h, c, PROTO_E_BAD_MESSAGE,
		               "this pad has no notes", NULL, -1);
		return;
	}
	if (history_limited(h, c))
		return;
	/* what is committed: this turn's updates are not in the store yet */
	head = doc->dirty ? doc->prev_version : doc->version;
	if (from > head) {
		snprintf(msg, sizeof(msg), "the history ends at version %llu",
		         (unsigned long long)head);
		hub_send_error(h, c, PROTO_E_FUTURE_VERSION, msg, NULL,
		               (int64_t)head);
		return;
	}
	pg.arr = json_object_new_array();
	r = padstore_updates(h->store, doc->id, from, head, page_add, &pg, err,
	                     sizeof(err));
	if (r < 0) {
		json_object_put(pg.arr);
		logf_(h, 3, "pad %s: history from %llu: %s", doc->id,
		      (unsigned long long)from, err);
		hub_send_error(h, c, PROTO_E_STORE_ERROR,
		               "the pad's history cannot be read", NULL, -1);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("history"));
	json_object_object_add(
	        o, "doc", json_object_new_string(m->notes ? "notes" : "pad"));
	json_object_object_add(o, "from", json_object_new_int64((int64_t)from));
	json_object_object_add(o, "head", json_object_new_int64((int64_t)head));
	json_object_object_add(o, "updates", pg.arr); /* o owns the array */
	more = json_object_new_boolean(from + pg.n < head);
	json_object_object_add(o, "more", more);
	if (from == 0 && !m->notes) {
		struct page ev = {.arr = json_object_new_array()};
		struct page runs = {.arr = json_object_new_array()};
		json_object_object_add(o, "created_ms",
		                       json_object_new_int64(p->created_ms));
		if (padstore_log(h->store, PADSTORE_LOG_EVENTS, p->id, 0,
		                 page_add, &ev, NULL, NULL, err,
		                 sizeof(err)) < 0 ||
		    padstore_log(h->store, PADSTORE_LOG_RUNS, p->id, 0,
		                 page_add, &runs, NULL, NULL, err,
		                 sizeof(err)) < 0)
			logf_(h, 3, "pad %s: its logs cannot be read: %s",
			      p->id, err);
		/* the run going on, which the log gets when it ends */
		if (p->run.active && p->run.events)
			json_object_array_add(runs.arr, hub_run_json(&p->run));
		json_object_object_add(o, "events", ev.arr);
		json_object_object_add(o, "runs", runs.arr);
	}
	hub_send_json(h, p, c, NULL, o);
}
