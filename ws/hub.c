/*
 * hub.c - the pad authority: versions, changes, presence, runs, and the
 * one-transaction-per-turn commit that comes before every broadcast.
 *
 * Theory of operation.  Whatever a message causes is written to the
 * outbox, a list of (recipients, message) in order, and nothing else.
 * hub_turn_end() commits the turn's LMDB transaction and only then walks
 * the outbox, handing each message to the server's queues.  Entries made
 * by accepted changes are marked needs_commit: if the commit fails they are
 * dropped, the pads go back to the state they had before the turn (each
 * dirty pad keeps its previous text until then) and the pushers are told
 * store_error.  Welcomes and catch-ups are built when the outbox is walked,
 * from the committed state; a connection's skip_below then hides the
 * broadcasts that its welcome already includes.
 */
#include "hub.h"

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

#define HUB_BUCKETS       4096
#define PART_ID_MAX       16
#define STORE_SWEEP_BATCH 100

/* ---------------------------------------------------------------- messages */

/* A message of len bytes (plus a NUL) for the caller to fill. */
static struct wsmsg *wsmsg_alloc(size_t len)
{
	struct wsmsg *m = malloc(sizeof(*m) + WSMSG_PRE + len + 1);

	if (!m)
		return NULL;
	m->refs = 1;
	m->len = len;
	m->data[WSMSG_PRE + len] = '\0';
	return m;
}

struct wsmsg *wsmsg_from_json(json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	        &len);
	struct wsmsg *m = s ? wsmsg_alloc(len) : NULL;

	if (m)
		memcpy(m->data + WSMSG_PRE, s, len);
	return m;
}

struct wsmsg *wsmsg_ref(struct wsmsg *m)
{
	m->refs++;
	return m;
}

void wsmsg_unref(struct wsmsg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

/* ---------------------------------------------------------------- types */

struct participant {
	struct participant *next;
	struct hub_conn *conn;
	uint64_t seq; /* order of joining, daemon-wide */
	char id[PART_ID_MAX];
	char *name;
	char color[8];
	json_object *selection; /* owned, or NULL */
	int64_t sel_version;
};

struct run_ctx {
	struct hub *hub;
	char pad[PADSTORE_ID_MAX + 1];
	unsigned no;
};

struct run {
	unsigned no;
	bool active;
	char by[PART_ID_MAX];
	char *by_name;
	uint64_t version;
	char language[PADSTORE_LANG_MAX + 1];
	json_object *events; /* array, owned; NULL before the first run */
	size_t bytes;
	bool truncated;
	char *verdict;
	bool interactive; /* false for a run of the tests */
	struct runner_run *rr;
	struct run_ctx *ctx;
};

struct pad {
	struct pad *next;       /* bucket chain */
	struct pad *dirty_next; /* turn's dirty list */
	char id[PADSTORE_ID_MAX + 1];
	char *text;
	size_t bytes, len16;
	uint64_t version, snap_version;
	char language[PADSTORE_LANG_MAX + 1];
	int64_t last_edit_ms;
	struct participant *parts;
	unsigned nparts;
	int64_t empty_since_ms;
	struct run run;
	json_object *tests; /* the pad's tests (array), owned, or NULL */
	bool foreign;       /* ws.ring gives it to another daemon now */
	/* the turn's state */
	bool dirty, run_dirty;
	char *prev_text;
	size_t prev_bytes, prev_len16;
	uint64_t prev_version, prev_snap;
	char prev_language[PADSTORE_LANG_MAX + 1];
	int64_t prev_last_edit;
	json_object *prev_tests; /* a reference, during a dirty turn */
};

enum out_kind { OUT_MSG, OUT_WELCOME, OUT_PULL, OUT_CLOSE };

struct out {
	struct out *next;
	enum out_kind kind;
	struct pad *pad;
	struct hub_conn *to;     /* NULL: every participant of pad */
	struct hub_conn *except; /* with to NULL */
	struct wsmsg *msg;
	uint64_t upd_to; /* an updates broadcast: version after it */
	bool needs_commit;
	struct hub_conn *pusher; /* told store_error if the commit fails */
	json_object *ref;        /* the push's ref, owned */
	uint64_t from;           /* OUT_WELCOME (with has_from), OUT_PULL */
	bool has_from;
	int code; /* OUT_CLOSE */
};

enum note_kind { NOTE_EVENT, NOTE_CONTROL, NOTE_DONE };

struct note {
	struct note *next;
	struct run_ctx *ctx;
	enum note_kind kind;
	json_object *ev;
	int status;
	char *code, *message, *what;
};

struct hub {
	const struct wsconf *conf;
	struct padstore *store;
	const struct hub_ops *ops;
	void *srv;
	struct pad *buckets[HUB_BUCKETS];
	struct hub_conn *conns;
	size_t npads, nconns;
	uint64_t next_part;
	struct out *out_head, **out_tail;
	struct padstore_txn *txn;
	bool txn_failed;
	char txn_err[256];
	struct pad *dirty;
	struct runner_url *runner_url;
	char *runner_url_text;
	pthread_mutex_t qlock;
	struct note *q_head, **q_tail;
	int64_t next_tick_ms, next_sync_ms, next_sweep_ms;
	size_t active_runs;
	uint64_t accepted, rejected;
};

static const char *const palette[] = {
        "#e06c75", "#61afef", "#98c379", "#c678dd", "#d19a66",
        "#56b6c2", "#e5c07b", "#be5046", "#7f848e", "#ff79c6",
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logf_(struct hub *h, int prio, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void logf_(struct hub *h, int prio, const char *fmt, ...)
{
	char line[600];
	int n = snprintf(line, sizeof(line), "<%d>", prio);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (h->ops->log)
		h->ops->log(h->srv, line);
}

/* ---------------------------------------------------------------- outbox */

static struct out *out_add(struct hub *h, enum out_kind kind, struct pad *p,
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
static struct out *send_json(struct hub *h, struct pad *p, struct hub_conn *to,
                             struct hub_conn *except, json_object *o)
{
	struct wsmsg *m = wsmsg_from_json(o);
	struct out *e;

	json_object_put(o);
	if (!m)
		return NULL;
	e = out_add(h, OUT_MSG, p, to, m);
	if (e)
		e->except = except;
	return e;
}

static void send_error(struct hub *h, struct hub_conn *c, const char *code,
                       const char *message, json_object *ref, int64_t head)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("error"));
	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	if (ref) /* the parent takes the new reference */
		json_object_object_add(o, "ref", json_object_get(ref));
	if (head >= 0)
		json_object_object_add(o, "head", json_object_new_int64(head));
	send_json(h, c->pad, c, NULL, o);
}

static void send_close(struct hub *h, struct hub_conn *c, int code)
{
	struct out *o = out_add(h, OUT_CLOSE, NULL, c, NULL);

	if (o)
		o->code = code;
}

/* The pad belongs to another daemon (ws.ring): say so and close 4421, so
   the client reconnects through nginx. */
static void refuse_foreign(struct hub *h, struct hub_conn *c)
{
	send_error(
	        h, c, "wrong_daemon",
	        "pad is served by another daemon; reconnect through the proxy",
	        NULL, -1);
	send_close(h, c, 4421);
	c->refused = true;
}

/* ---------------------------------------------------------------- pads */

static unsigned bucket(const char *id)
{
	unsigned x = 2166136261u;

	for (; *id; id++)
		x = (x ^ (unsigned char)*id) * 16777619u;
	return x % HUB_BUCKETS;
}

static struct pad *pad_find(struct hub *h, const char *id)
{
	for (struct pad *p = h->buckets[bucket(id)]; p; p = p->next)
		if (strcmp(p->id, id) == 0)
			return p;
	return NULL;
}

static void run_clear(struct run *r)
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

static void pad_free(struct pad *p)
{
	json_object_put(p->tests);
	json_object_put(p->prev_tests);
	run_clear(&p->run);
	free(p->text);
	free(p);
}

/* Parse len bytes of stored JSON straight from LMDB's map (no copy, no
   NUL needed).  A new reference, or NULL when they do not parse. */
static json_object *json_from_bytes(const void *data, size_t len)
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

	u = json_from_bytes(data, len);
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
	if (json_object_object_get_ex(o, "by", &v))
		snprintf(r->by, sizeof(r->by), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "name", &v))
		r->by_name = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(o, "version", &v))
		r->version = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "language", &v))
		snprintf(r->language, sizeof(r->language), "%s",
		         json_object_get_string(v));
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

/* Load pad id from the store: latest snapshot plus the updates after it. */
static struct pad *pad_load(struct hub *h, const char *id, char *err,
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
	p->empty_since_ms = mono_ms();
	p->next = h->buckets[bucket(id)];
	h->buckets[bucket(id)] = p;
	h->npads++;
	return p;
out_free:
	padstore_pad_fini(&sp);
	pad_free(p);
	return NULL;
}

/* ---------------------------------------------------------------- turn */

static int txn_get(struct hub *h)
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

static void mark_dirty(struct hub *h, struct pad *p)
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
	p->dirty_next = h->dirty;
	h->dirty = p;
}

/* Replace the pad's text, keeping the turn's first text for a rollback. */
static void set_text(struct pad *p, char *text, size_t bytes, size_t len16)
{
	if (p->text != p->prev_text)
		free(p->text);
	p->text = text;
	p->bytes = bytes;
	p->len16 = len16;
}

static json_object *run_json(const struct run *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "run", json_object_new_int64(r->no));
	json_object_object_add(o, "by", json_object_new_string(r->by));
	json_object_object_add(
	        o, "name",
	        json_object_new_string(r->by_name ? r->by_name : ""));
	json_object_object_add(o, "version",
	                       json_object_new_int64((int64_t)r->version));
	json_object_object_add(o, "language",
	                       json_object_new_string(r->language));
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
static int turn_commit(struct hub *h)
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

static void turn_settle(struct hub *h, bool ok)
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
	json_object *u = json_from_bytes(data, len);

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

static json_object *participant_json(const struct participant *pt, bool sel)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(pt->id));
	json_object_object_add(o, "name", json_object_new_string(pt->name));
	json_object_object_add(o, "color", json_object_new_string(pt->color));
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
	parts = json_object_new_array();
	/* those who joined after c are announced to it by their join */
	for (struct participant *pt = p->parts; pt; pt = pt->next)
		if (pt->seq < c->part->seq)
			json_object_array_add(parts,
			                      participant_json(pt, true));
	json_object_object_add(o, "participants", parts);
	json_object_object_add(o, "run",
	                       p->run.events ? run_json(&p->run) : NULL);
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
	struct pad *p = c->pad;
	json_object *ups = catchup(h, p, e->from), *o;
	struct wsmsg *m;

	if (ups) {
		o = json_object_new_object();
		json_object_object_add(o, "type",
		                       json_object_new_string("updates"));
		json_object_object_add(o, "version",
		                       json_object_new_int64((int64_t)e->from));
		json_object_object_add(o, "updates", ups);
	} else {
		o = snapshot_json(p, "catchup");
	}
	m = wsmsg_from_json(o);
	json_object_put(o);
	c->skip_below = p->version;
	if (m) {
		deliver(h, c, m);
		wsmsg_unref(m);
	}
}

static void flush(struct hub *h, bool committed)
{
	struct out *e;

	/* entries added while walking (store_error) land at the tail */
	while ((e = h->out_head)) {
		h->out_head = e->next;
		if (!h->out_head)
			h->out_tail = &h->out_head;
		if (e->needs_commit && !committed) {
			if (e->pusher)
				send_error(h, e->pusher, "store_error",
				           h->txn_err, e->ref,
				           e->pusher->pad
				                   ? (int64_t)e->pusher->pad
				                             ->version
				                   : -1);
		} else if (e->kind == OUT_WELCOME) {
			if (e->to && e->to->pad)
				build_welcome(h, e);
		} else if (e->kind == OUT_PULL) {
			if (e->to && e->to->pad)
				build_pull(h, e);
		} else if (e->kind == OUT_CLOSE) {
			if (e->to)
				h->ops->close(h->srv, e->to, e->code, "");
		} else if (e->to) {
			deliver(h, e->to, e->msg);
		} else if (e->pad) {
			for (struct participant *pt = e->pad->parts; pt;
			     pt = pt->next) {
				struct hub_conn *c = pt->conn;
				if (c == e->except || !c->welcomed ||
				    (e->upd_to && e->upd_to <= c->skip_below))
					continue;
				deliver(h, c, e->msg);
			}
		}
		wsmsg_unref(e->msg);
		json_object_put(e->ref);
		free(e);
	}
}

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
		out_add(h, OUT_MSG, p, NULL, m);
}

static json_object *daemon_event(const char *kind)
{
	json_object *ev = json_object_new_object();

	json_object_object_add(ev, "event", json_object_new_string(kind));
	return ev;
}

static void run_error(struct hub *h, struct pad *p, const char *code,
                      const char *message)
{
	json_object *ev = daemon_event("error");

	json_object_object_add(ev, "code", json_object_new_string(code));
	json_object_object_add(ev, "message",
	                       json_object_new_string(message ? message : ""));
	run_event(h, p, ev);
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
	if (txn_get(h) == 0) {
		o = run_json(&p->run);
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		if (padstore_put_run(h->txn, p->id, s, strlen(s)) < 0)
			h->txn_failed = true;
		json_object_put(o);
	}
}

static void note_handle(struct hub *h, struct note *n)
{
	struct pad *p = pad_find(h, n->ctx->pad);
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
			run_error(h, p, n->code, msg);
			logf_(h, 4, "pad %s: run %u: %s: %s", p->id, p->run.no,
			      n->code, msg);
		}
		run_finish(h, p);
		break;
	}
}

static void drain_notes(struct hub *h, bool handle)
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

static int runner_url(struct hub *h, char *err, size_t errlen)
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

static void do_run(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	struct runner_opts ro = {0};
	json_object *req, *lim, *ev;
	const char *body;
	char err[300];

	if (p->run.active) {
		send_error(
		        h, c, "run_in_progress",
		        "a run of this pad is in progress; wait for it or stop it",
		        NULL, -1);
		return;
	}
	if (!p->language[0]) {
		send_error(h, c, "no_language",
		           "pick the pad's language before running it", NULL,
		           -1);
		return;
	}
	if (m->run_tests &&
	    (!p->tests || json_object_array_length(p->tests) == 0)) {
		send_error(h, c, "no_tests",
		           "this pad has no tests to run; add some first", NULL,
		           -1);
		return;
	}
	run_clear(&p->run);
	p->run.no++;
	p->run.active = true;
	h->active_runs++;
	snprintf(p->run.by, sizeof(p->run.by), "%s", c->part->id);
	p->run.by_name = strdup(c->part->name);
	p->run.version = p->version;
	memcpy(p->run.language, p->language, sizeof(p->language));
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
	if (m->run_tests)
		json_object_object_add(
		        ev, "tests",
		        json_object_new_int64(
		                (int64_t)json_object_array_length(p->tests)));
	run_event(h, p, ev);

	if (runner_url(h, err, sizeof(err)) < 0) {
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
	snprintf(p->run.ctx->pad, sizeof(p->run.ctx->pad), "%s", p->id);

	req = json_object_new_object();
	json_object_object_add(req, "language",
	                       json_object_new_string(p->language));
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
	logf_(h, 6, "pad %s: run %u of version %llu in %s by %s", p->id,
	      p->run.no, (unsigned long long)p->version, p->language,
	      c->part->id);
	return;
out_finish:
	run_finish(h, p);
}

static void do_stdin(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	json_object *ev;
	int r;

	if (!p->run.active || !p->run.rr) {
		send_error(h, c, "no_run", "nothing is running in this pad",
		           NULL, -1);
		return;
	}
	if (!p->run.interactive) {
		send_error(
		        h, c, "no_run",
		        "a run of the tests takes no input: each test has its own",
		        NULL, -1);
		return;
	}
	r = runner_send_stdin(p->run.rr, m->data, m->data_len, m->eof);
	if (r == -EPIPE) {
		send_error(h, c, "no_run", "the program's input is closed",
		           NULL, -1);
		return;
	}
	if (r == -ENOSPC) {
		send_error(h, c, "stdin_full",
		           "too much input is waiting for the program", NULL,
		           -1);
		return;
	}
	if (r < 0) {
		send_error(h, c, "server_busy", "out of memory", NULL, -1);
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

static void do_stop(struct hub *h, struct hub_conn *c)
{
	struct pad *p = c->pad;
	json_object *ev;

	if (!p->run.active || !p->run.rr) {
		send_error(h, c, "no_run", "nothing is running in this pad",
		           NULL, -1);
		return;
	}
	runner_kill(p->run.rr);
	ev = daemon_event("stop");
	json_object_object_add(ev, "by", json_object_new_string(c->part->id));
	run_event(h, p, ev);
}

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

static void do_push(struct hub *h, struct hub_conn *c, struct proto_msg *m)
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
		send_error(h, c, "future_version", msg, m->ref,
		           (int64_t)p->version);
		h->rejected += n;
		return;
	}
	if ((uint64_t)m->version < p->version) {
		snprintf(
		        msg, sizeof(msg),
		        "the pad is at version %llu, the push was made at %lld",
		        (unsigned long long)p->version, (long long)m->version);
		send_error(h, c, "stale_version", msg, m->ref,
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
		send_json(h, p, c, NULL, err);
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
			send_error(h, c, ot_code(err), full, m->ref,
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
	if (txn_get(h) < 0)
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
	c->tokens -= (double)n;
	mark_dirty(h, p);
	set_text(p, text, bytes, len16);
	p->version += n;
	p->last_edit_ms = now_ms();
	h->accepted += n;

	head_len =
	        snprintf(head, sizeof(head),
	                 "{\"type\":\"updates\",\"version\":%llu,\"updates\":[",
	                 (unsigned long long)base);
	msg_out = wsmsg_alloc((size_t)head_len + total + 1);
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
		e = out_add(h, OUT_MSG, p, NULL, msg_out);
		if (e) {
			e->upd_to = p->version;
			e->needs_commit = true;
			e->pusher = c;
			e->ref = m->ref ? json_object_get(m->ref) : NULL;
		}
	}
	free(texts);
	return;
out_store:
	free(texts);
	if (text != p->text)
		free(text);
	send_error(h, c, "store_error",
	           h->txn_err[0] ? h->txn_err : "the pad store failed", m->ref,
	           (int64_t)p->version);
	h->rejected += n;
}

static void do_presence(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	struct participant *pt = c->part;
	json_object *o;
	char msg[200];

	if ((uint64_t)m->version > p->version) {
		snprintf(msg, sizeof(msg),
		         "the pad is at version %llu, the selection says %lld",
		         (unsigned long long)p->version, (long long)m->version);
		send_error(h, c, "future_version", msg, NULL,
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
				send_error(h, c, "bad_selection", msg, NULL,
				           (int64_t)p->version);
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
	send_json(h, p, NULL, c, o);
}

static int set_profile(struct participant *pt, const char *name,
                       const char *color)
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

static void do_profile(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	json_object *o;

	if (set_profile(c->part, m->name, m->color) < 0) {
		send_error(h, c, "server_busy", "out of memory", NULL, -1);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("profile"));
	json_object_object_add(o, "participant",
	                       participant_json(c->part, false));
	send_json(h, c->pad, NULL, NULL, o);
}

static void do_language(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	json_object *o;
	struct out *e;

	if (txn_get(h) < 0) {
		send_error(h, c, "store_error",
		           h->txn_err[0] ? h->txn_err : "the pad store failed",
		           NULL, -1);
		return;
	}
	mark_dirty(h, p);
	snprintf(p->language, sizeof(p->language), "%s", m->language);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("language"));
	json_object_object_add(o, "language",
	                       json_object_new_string(m->language));
	json_object_object_add(o, "by", json_object_new_string(c->part->id));
	e = send_json(h, p, NULL, NULL, o);
	if (e) {
		e->needs_commit = true;
		e->pusher = c;
	}
}

static void do_tests(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = c->pad;
	const char *s;
	json_object *o;
	struct out *e;

	s = json_object_to_json_string_ext(m->tests, JSON_C_TO_STRING_PLAIN);
	if (txn_get(h) < 0 ||
	    padstore_put_tests(h->txn, p->id, s, strlen(s)) < 0) {
		if (h->txn)
			h->txn_failed = true;
		send_error(h, c, "store_error",
		           h->txn_err[0] ? h->txn_err : "the pad store failed",
		           NULL, -1);
		return;
	}
	mark_dirty(h, p);
	json_object_put(p->tests);
	p->tests = json_object_get(m->tests);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("tests"));
	/* shared with the pad: the parent takes a new reference */
	json_object_object_add(o, "tests", json_object_get(m->tests));
	json_object_object_add(o, "by", json_object_new_string(c->part->id));
	e = send_json(h, p, NULL, NULL, o);
	if (e) {
		e->needs_commit = true;
		e->pusher = c;
	}
}

static void do_hello(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = pad_find(h, c->pad_id);
	struct participant *pt;
	const char *owner;
	char err[300];
	json_object *o;
	struct out *e;

	if (!wsconf_owns(h->conf, c->pad_id, &owner)) {
		/* misrouted: an operator's mistake, not the client's */
		refuse_foreign(h, c);
		logf_(h, 5,
		      "pad %s refused (4421): ws.ring gives it to %s, not to %s; nginx's upstream and ws.ring disagree, or %s is down and nginx fell back",
		      c->pad_id, owner, h->conf->ring_self, owner);
		return;
	}
	if (!p) {
		if (h->npads >= h->conf->max_pads) {
			send_error(
			        h, c, "server_busy",
			        "this server has too many pads open; try again in a minute",
			        NULL, -1);
			send_close(h, c, 4503);
			logf_(h, 4, "pad %s refused: %zu pads in memory",
			      c->pad_id, h->npads);
			return;
		}
		p = pad_load(h, c->pad_id, err, sizeof(err));
		if (!p) {
			send_error(h, c, "store_error", err, NULL, -1);
			logf_(h, 3, "pad %s: cannot load: %s", c->pad_id, err);
			return;
		}
	}
	if (p->nparts >= h->conf->max_participants) {
		snprintf(
		        err, sizeof(err),
		        "this pad already has %u participants, the most allowed",
		        p->nparts);
		send_error(h, c, "pad_full", err, NULL, -1);
		send_close(h, c, 4429);
		return;
	}
	pt = calloc(1, sizeof(*pt));
	if (!pt ||
	    set_profile(
	            pt, m->name ? m->name : "Guest",
	            m->color ? m->color
	                     : palette[h->next_part % (sizeof(palette) /
	                                               sizeof(palette[0]))]) <
	            0) {
		free(pt);
		send_error(h, c, "server_busy", "out of memory", NULL, -1);
		return;
	}
	pt->seq = ++h->next_part;
	snprintf(pt->id, sizeof(pt->id), "p%llu", (unsigned long long)pt->seq);
	pt->conn = c;
	pt->next = p->parts;
	p->parts = pt;
	p->nparts++;
	c->pad = p;
	c->part = pt;
	c->welcomed = false;
	c->tokens = h->conf->update_burst;
	c->tokens_at_ms = mono_ms();

	e = out_add(h, OUT_WELCOME, p, c, NULL);
	if (e && m->has_version) {
		e->has_from = true;
		e->from = (uint64_t)m->version;
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("join"));
	json_object_object_add(o, "participant", participant_json(pt, false));
	send_json(h, p, NULL, c, o);
	logf_(h, 6, "pad %s: %s joined as %s (%u here, version %llu)", p->id,
	      pt->name, pt->id, p->nparts, (unsigned long long)p->version);
}

int hub_join(struct hub *h, struct hub_conn *c, const char *path)
{
	const char *id = strrchr(path, '/');
	size_t dir;

	h->nconns++;
	c->prev = NULL;
	c->next = h->conns;
	if (h->conns)
		h->conns->prev = c;
	h->conns = c;
	c->pad = NULL;
	c->part = NULL;
	c->welcomed = false;
	c->refused = false;
	c->pad_id[0] = 0;
	/* .../ws/<id>: the last segment, after a segment "ws" */
	if (id) {
		dir = (size_t)(id - path);
		id++;
		if (dir >= 2 && strncmp(id - 3, "ws/", 3) == 0 &&
		    (dir == 2 || id[-4] == '/') && padstore_valid_id(id)) {
			snprintf(c->pad_id, sizeof(c->pad_id), "%s", id);
			return 0;
		}
	}
	send_error(
	        h, c, "bad_pad_id",
	        "the address must be /ws/ followed by 1 to 64 of A-Z a-z 0-9 _ -",
	        NULL, -1);
	send_close(h, c, 4400);
	return -1;
}

void hub_message(struct hub *h, struct hub_conn *c, const char *text,
                 size_t len, bool binary, bool too_big)
{
	struct proto_limits lim = {
	        .max_name = h->conf->max_name,
	        .max_updates_per_push = h->conf->max_updates_per_push,
	};
	struct proto_msg m;
	struct proto_error e;
	char msg[200];

	if (!c->pad_id[0] || c->refused)
		return; /* bad path or another daemon's pad: closing */
	if (too_big) {
		snprintf(
		        msg, sizeof(msg),
		        "the message is larger than %llu KiB, the most allowed",
		        (unsigned long long)h->conf->max_message / 1024);
		send_error(h, c, "message_too_large", msg, NULL, -1);
		return;
	}
	if (binary) {
		send_error(h, c, "binary_frame",
		           "messages are JSON in text frames", NULL, -1);
		return;
	}
	if (proto_parse(text, len, &lim, &m, &e) < 0) {
		send_error(h, c, e.code, e.message, NULL, -1);
		return;
	}
	if (m.type == PROTO_PING) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "type",
		                       json_object_new_string("pong"));
		send_json(h, c->pad, c, NULL, o);
	} else if (m.type == PROTO_HELLO) {
		if (c->pad)
			send_error(h, c, "already_joined",
			           "this connection has already said hello",
			           NULL, -1);
		else
			do_hello(h, c, &m);
	} else if (!c->pad) {
		send_error(h, c, "not_joined", "say hello first", NULL, -1);
	} else {
		switch (m.type) {
		case PROTO_PUSH:
			do_push(h, c, &m);
			break;
		case PROTO_PULL:
			if ((uint64_t)m.version > c->pad->version) {
				snprintf(msg, sizeof(msg),
				         "the pad is at version %llu",
				         (unsigned long long)c->pad->version);
				send_error(h, c, "future_version", msg, NULL,
				           (int64_t)c->pad->version);
			} else {
				struct out *o =
				        out_add(h, OUT_PULL, c->pad, c, NULL);
				if (o)
					o->from = (uint64_t)m.version;
			}
			break;
		case PROTO_PRESENCE:
			do_presence(h, c, &m);
			break;
		case PROTO_PROFILE:
			do_profile(h, c, &m);
			break;
		case PROTO_LANGUAGE:
			do_language(h, c, &m);
			break;
		case PROTO_RUN:
			do_run(h, c, &m);
			break;
		case PROTO_STDIN:
			do_stdin(h, c, &m);
			break;
		case PROTO_STOP:
			do_stop(h, c);
			break;
		case PROTO_TESTS:
			do_tests(h, c, &m);
			break;
		default:
			break;
		}
	}
	proto_msg_fini(&m);
}

void hub_leave(struct hub *h, struct hub_conn *c)
{
	struct pad *p = c->pad;
	struct out **pe, *e;

	h->nconns--;
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	/* nothing queued may point at c any more */
	for (pe = &h->out_head; (e = *pe);) {
		if (e->to == c) {
			*pe = e->next;
			wsmsg_unref(e->msg);
			json_object_put(e->ref);
			free(e);
			continue;
		}
		if (e->except == c)
			e->except = NULL;
		if (e->pusher == c)
			e->pusher = NULL;
		pe = &e->next;
	}
	h->out_tail = &h->out_head;
	while (*h->out_tail)
		h->out_tail = &(*h->out_tail)->next;

	if (p && c->part) {
		struct participant **pp = &p->parts, *pt = c->part;
		json_object *o;
		while (*pp && *pp != pt)
			pp = &(*pp)->next;
		if (*pp)
			*pp = pt->next;
		p->nparts--;
		o = json_object_new_object();
		json_object_object_add(o, "type",
		                       json_object_new_string("leave"));
		json_object_object_add(o, "id", json_object_new_string(pt->id));
		send_json(h, p, NULL, NULL, o);
		logf_(h, 6, "pad %s: %s left (%u here)", p->id, pt->id,
		      p->nparts);
		json_object_put(pt->selection);
		free(pt->name);
		free(pt);
		if (!p->nparts)
			p->empty_since_ms = mono_ms();
	}
	c->pad = NULL;
	c->part = NULL;
}

/* ---------------------------------------------------------------- periodic */

static bool pad_in_memory(void *arg, const char *id)
{
	return pad_find(arg, id) != NULL;
}

static void tick(struct hub *h)
{
	int64_t now = mono_ms();
	char err[256];

	for (unsigned b = 0; b < HUB_BUCKETS; b++) {
		struct pad **pp = &h->buckets[b], *p;
		while ((p = *pp)) {
			if (!p->nparts && !p->run.active && !p->dirty &&
			    (p->foreign ||
			     now - p->empty_since_ms >=
			             (int64_t)h->conf->idle_unload_ms)) {
				*pp = p->next;
				h->npads--;
				pad_free(p);
				continue;
			}
			pp = &p->next;
		}
	}
	if (h->conf->sync_interval_ms && now >= h->next_sync_ms) {
		if (padstore_sync(h->store) < 0)
			logf_(h, 3, "syncing the pad store failed");
		h->next_sync_ms = now + (int64_t)h->conf->sync_interval_ms;
	}
	if (h->conf->expire_days && now >= h->next_sweep_ms) {
		size_t deleted = 0;
		int64_t cutoff =
		        now_ms() - (int64_t)h->conf->expire_days * 86400000;
		if (padstore_sweep(h->store, cutoff, STORE_SWEEP_BATCH,
		                   pad_in_memory, h, &deleted, err,
		                   sizeof(err)) < 0)
			logf_(h, 3, "expiry sweep failed: %s", err);
		else if (deleted)
			logf_(h, 6,
			      "expiry sweep deleted %zu pads not edited for %u days",
			      deleted, h->conf->expire_days);
		/* more to do: come back soon */
		h->next_sweep_ms =
		        now + (deleted == STORE_SWEEP_BATCH
		                       ? 1000
		                       : (int64_t)h->conf->sweep_interval_ms);
	}
}

void hub_turn_end(struct hub *h)
{
	bool ok;

	drain_notes(h, true);
	if (h->txn || h->txn_failed || h->dirty) {
		ok = turn_commit(h) == 0;
		if (!ok)
			logf_(h, 3,
			      "commit failed, the turn's changes are refused: %s",
			      h->txn_err);
		turn_settle(h, ok);
		flush(h, ok);
		h->txn_err[0] = 0;
	} else if (h->out_head) {
		flush(h, true);
	}
	if (mono_ms() >= h->next_tick_ms) {
		tick(h);
		h->next_tick_ms = mono_ms() + 250;
	}
}

/* ---------------------------------------------------------------- life */

struct hub *hub_new(const struct wsconf *conf, struct padstore *store,
                    const struct hub_ops *ops, void *srv)
{
	struct hub *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->conf = conf;
	h->store = store;
	h->ops = ops;
	h->srv = srv;
	h->out_tail = &h->out_head;
	h->q_tail = &h->q_head;
	pthread_mutex_init(&h->qlock, NULL);
	h->next_sweep_ms = mono_ms() + 5000;
	return h;
}

void hub_set_conf(struct hub *h, const struct wsconf *conf)
{
	size_t moved = 0, closed = 0;

	h->conf = conf;
	for (struct hub_conn *c = h->conns; c; c = c->next)
		if (c->pad_id[0] && !c->refused &&
		    !wsconf_owns(conf, c->pad_id, NULL)) {
			refuse_foreign(h, c);
			closed++;
		}
	for (unsigned b = 0; b < HUB_BUCKETS; b++)
		for (struct pad *p = h->buckets[b]; p; p = p->next) {
			p->foreign = !wsconf_owns(conf, p->id, NULL);
			if (!p->foreign)
				continue;
			moved++;
			if (p->run.active && p->run.rr)
				runner_kill(p->run.rr);
		}
	if (moved || closed)
		logf_(h, 5,
		      "ws.ring now gives %zu pads in memory to other daemons: %zu connections closed (4421), the pads unload",
		      moved, closed);
	/* the refusals go out now; empty foreign pads leave at the tick */
	hub_turn_end(h);
	h->next_tick_ms = 0;
}

void hub_shutdown(struct hub *h)
{
	for (struct hub_conn *c = h->conns; c; c = c->next)
		send_close(h, c, 1001);
	hub_turn_end(h);
}

void hub_free(struct hub *h)
{
	if (!h)
		return;
	/* no callback runs after runner_free: then the queue is final */
	for (unsigned b = 0; b < HUB_BUCKETS; b++)
		for (struct pad *p = h->buckets[b]; p; p = p->next)
			if (p->run.rr) {
				runner_free(p->run.rr);
				p->run.rr = NULL;
			}
	drain_notes(h, false);
	if (h->txn)
		padstore_abort(h->txn);
	for (unsigned b = 0; b < HUB_BUCKETS; b++) {
		struct pad *p, *next;
		for (p = h->buckets[b]; p; p = next) {
			next = p->next;
			while (p->parts) {
				struct participant *pt = p->parts;
				p->parts = pt->next;
				json_object_put(pt->selection);
				free(pt->name);
				free(pt);
			}
			if (p->prev_text != p->text)
				free(p->prev_text);
			free(p->run.ctx);
			pad_free(p);
		}
	}
	while (h->out_head) {
		struct out *e = h->out_head;
		h->out_head = e->next;
		wsmsg_unref(e->msg);
		json_object_put(e->ref);
		free(e);
	}
	runner_url_free(h->runner_url);
	free(h->runner_url_text);
	pthread_mutex_destroy(&h->qlock);
	free(h);
}

void hub_stats(const struct hub *h, struct hub_stats *st)
{
	st->pads = h->npads;
	st->connections = h->nconns;
	st->runs = h->active_runs;
	st->updates_accepted = h->accepted;
	st->updates_rejected = h->rejected;
}
