/*
 * Unit tests: ws/hub, the pad authority, driven directly.
 *
 * The hub runs on a real padstore in a fresh directory.  The test plays the
 * server: each connection is a struct tconn holding the struct hub_conn
 * the hub sees and a record of every message the hub queued for it (parsed
 * with json-c), of drops and of the close.  A turn of the event loop is
 * "call hub_message() a few times, then hub_turn_end()".  The rules checked
 * are those of docs/protocol.md, and every message the hub sends must be
 * one that docs/protocol.json describes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "handoff.h"
#include "hub.h"
#include "padstore.h"
#include "protodesc.h"
#include "wsconf.h"

/* ---------------------------------------------------------------- the server */

struct rec {
	json_object **msgs; /* every message queued for the connection */
	size_t n, cap;
	size_t read;    /* the test's cursor into msgs */
	size_t queued;  /* not yet "written"; the test resets it */
	size_t limit;   /* send returns 1 when queued > limit; 0: never */
	unsigned drops; /* drop() calls */
	size_t drop_at; /* n at the last drop */
	bool closed;
	int close_code;
	size_t close_at; /* n at the close */
	unsigned early;  /* updates delivered before their commit */
};

struct tconn {
	struct hub_conn hc;
	struct rec r;
	char cid[16]; /* the clientID of its pushes */
	bool live;    /* joined and not yet left */
};

#define MAX_CONNS 64

static char tmp[64];
static char dir[128];
static char err[512];
static struct wsconf *conf;
static struct padstore *ps;
static size_t map_size;
static struct hub *h;
static struct tconn *conns[MAX_CONNS];
static size_t nconns;
static atomic_uint wakes;
static json_object *desc; /* docs/protocol.json */
/* the message types and run events the hub has sent in this test */
static char sent_types[64][24];
static size_t nsent_types;

static void note_sent(const char *type)
{
	for (size_t i = 0; i < nsent_types; i++)
		if (strcmp(sent_types[i], type) == 0)
			return;
	if (nsent_types < sizeof(sent_types) / sizeof(sent_types[0]))
		snprintf(sent_types[nsent_types++], sizeof(sent_types[0]), "%s",
		         type);
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
	          json_object_to_json_string(o));
	cr_assert_eq(json_object_get_type(v), json_type_string,
	             "%s is not a string in %s", key,
	             json_object_to_json_string(o));
	return json_object_get_string(v);
}

static int64_t int_of(json_object *o, const char *key)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
	          json_object_to_json_string(o));
	cr_assert_eq(json_object_get_type(v), json_type_int,
	             "%s is not an integer in %s", key,
	             json_object_to_json_string(o));
	return json_object_get_int64(v);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
	          json_object_to_json_string(o));
	return v;
}

static bool has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static const char *plain(json_object *o)
{
	return json_object_to_json_string_ext(
	        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static int t_send(void *srv, struct hub_conn *c, struct wsmsg *m)
{
	struct rec *r = c->server;
	struct json_tokener *tok = json_tokener_new();
	json_object *o, *t;

	cr_assert_not_null(r, "a message for a connection the test never made");
	cr_assert_geq(m->refs, 1);
	o = json_tokener_parse_ex(tok, (const char *)m->data + WSMSG_PRE,
	                          (int)m->len);
	cr_assert_not_null(o, "the hub sent something that is not JSON: %.*s",
	                   (int)m->len, (const char *)m->data + WSMSG_PRE);
	cr_assert_eq(json_tokener_get_parse_end(tok), m->len);
	json_tokener_free(tok);
	cr_assert_eq(json_object_get_type(o), json_type_object);
	/* every message is one that docs/protocol.json describes */
	{
		char why[1024];
		json_object *ev;
		cr_assert_eq(protodesc_validate(desc, "serverMessage", o, why,
		                                sizeof(why)),
		             0,
		             "the hub sent what docs/protocol.json does not "
		             "describe: %s: %s",
		             why, plain(o));
		note_sent(str_of(o, "type"));
		if (json_object_object_get_ex(o, "event", &ev)) {
			char k[24];
			snprintf(k, sizeof(k), "run.%s", str_of(ev, "event"));
			note_sent(k);
		}
	}
	/* committed before broadcast: the store holds every update sent */
	if (json_object_object_get_ex(o, "type", &t) &&
	    strcmp(json_object_get_string(t), "updates") == 0) {
		struct padstore_pad sp;
		char e[256], doc[80];
		uint64_t upto = (uint64_t)int_of(o, "version") +
		                json_object_array_length(get(o, "updates"));
		snprintf(doc, sizeof(doc), "%s%s", c->pad_id,
		         has(o, "doc") ? PADSTORE_NOTES_SUFFIX : "");
		cr_assert_eq(padstore_load(ps, doc, &sp, e, sizeof(e)), 0, "%s",
		             e);
		if (sp.head < upto)
			r->early++;
		padstore_pad_fini(&sp);
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->msgs = realloc(r->msgs, r->cap * sizeof(*r->msgs));
		cr_assert_not_null(r->msgs);
	}
	r->msgs[r->n++] = o;
	r->queued++;
	return r->limit && r->queued > r->limit ? 1 : 0;
}

static void t_drop(void *srv, struct hub_conn *c)
{
	struct rec *r = c->server;

	r->queued = 0;
	r->drops++;
	r->drop_at = r->n;
}

static void t_close(void *srv, struct hub_conn *c, int code, const char *reason)
{
	struct rec *r = c->server;

	cr_assert_not(r->closed, "closed twice");
	r->closed = true;
	r->close_code = code;
	r->close_at = r->n;
}

static void t_wake(void *srv)
{
	atomic_fetch_add(&wakes, 1);
}

static void t_log(void *srv, const char *line)
{
	if (getenv("TEST_HUB_LOG"))
		fprintf(stderr, "%s\n", line);
}

static const struct hub_ops ops = {
        .send = t_send,
        .drop = t_drop,
        .close = t_close,
        .wake = t_wake,
        .log = t_log,
};

/* ---------------------------------------------------------------- setup */

static int rm_one(const char *p, const struct stat *sb, int type,
                  struct FTW *ftw)
{
	return remove(p);
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_hub.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(dir, sizeof(dir), "%s/pads", tmp);
	desc = protodesc_load(err, sizeof(err));
	cr_assert_not_null(desc, "%s", err);
	nsent_types = 0;
}

static void conn_free(struct tconn *t)
{
	for (size_t i = 0; i < t->r.n; i++)
		json_object_put(t->r.msgs[i]);
	free(t->r.msgs);
	free(t);
}

static void teardown(void)
{
	hub_free(h);
	h = NULL;
	padstore_close(ps);
	ps = NULL;
	wsconf_free(conf);
	conf = NULL;
	for (size_t i = 0; i < nconns; i++)
		conn_free(conns[i]);
	nconns = 0;
	if (tmp[0])
		nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	json_object_put(desc);
	desc = NULL;
}

TestSuite(hub, .init = setup, .fini = teardown, .timeout = 60);

static void store_open(void)
{
	struct padstore_options o = {
	        .dir = dir, .map_size = map_size, .sync_interval_ms = 1000};
	int r = padstore_open(&o, &ps, err, sizeof(err));

	cr_assert_eq(r, 0, "padstore_open: %d %s", r, err);
}

/* Make the hub with the defaults plus the --set pairs in sets (NULL
   terminated), on a store of map size ms (0: the default). */
static void start_ex(size_t ms, const char *const *sets)
{
	size_t n = 0;

	while (sets && sets[n])
		n++;
	conf = wsconf_load(NULL, (char *const *)sets, n, err, sizeof(err));
	cr_assert_not_null(conf, "wsconf_load: %s", err);
	map_size = ms;
	store_open();
	h = hub_new(conf, ps, &ops, NULL);
	cr_assert_not_null(h);
}

#define start(...) start_ex(0, (const char *const[]){__VA_ARGS__ NULL})

/* A daemon restart on the same directory: every connection is gone. */
static void restart(void)
{
	hub_free(h);
	padstore_close(ps);
	ps = NULL;
	for (size_t i = 0; i < nconns; i++)
		conns[i]->live = false;
	store_open();
	h = hub_new(conf, ps, &ops, NULL);
	cr_assert_not_null(h);
}

static void turn(void)
{
	hub_turn_end(h);
}

static struct tconn *conn_new(void)
{
	struct tconn *t = calloc(1, sizeof(*t));

	cr_assert_not_null(t);
	cr_assert_lt(nconns, MAX_CONNS);
	conns[nconns++] = t;
	t->hc.server = &t->r;
	snprintf(t->cid, sizeof(t->cid), "k%zu", nconns);
	return t;
}

static int join_path(struct tconn *t, const char *path)
{
	int r = hub_join(h, &t->hc, path);

	t->live = true;
	return r;
}

static void join(struct tconn *t, const char *pad)
{
	char path[128];

	snprintf(path, sizeof(path), "/ws/%s", pad);
	cr_assert_eq(join_path(t, path), 0, "hub_join %s", path);
	cr_assert_str_eq(t->hc.pad_id, pad);
}

static void leave(struct tconn *t)
{
	hub_leave(h, &t->hc);
	t->live = false;
}

static void say(struct tconn *t, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void say(struct tconn *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	cr_assert_geq(n, 0);
	hub_message(h, &t->hc, s, (size_t)n, false, false);
	free(s);
}

/* The updates of an updates message as {clientID, changes} only (the
   daemon adds t and a); valid until the next call. */
static const char *core(json_object *o)
{
	static char buf[8192];
	json_object *ups = json_object_object_get(o, "updates");
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(ups); i++) {
		json_object *u = json_object_array_get_idx(ups, i), *c;
		cr_assert(json_object_object_get_ex(u, "t", NULL),
		          "an update without its time: %s", plain(u));
		cr_assert(json_object_object_get_ex(u, "a", NULL),
		          "an update without its author: %s", plain(u));
		c = json_object_new_object();
		json_object_object_add(
		        c, "clientID",
		        json_object_get(json_object_object_get(u, "clientID")));
		json_object_object_add(
		        c, "changes",
		        json_object_get(json_object_object_get(u, "changes")));
		json_object_array_add(arr, c);
	}
	snprintf(buf, sizeof(buf), "%s", plain(arr));
	json_object_put(arr);
	return buf;
}

/* The next message queued for t, which must exist. */
static json_object *next_msg(struct tconn *t)
{
	cr_assert_lt(t->r.read, t->r.n, "%s: no more messages", t->cid);
	return t->r.msgs[t->r.read++];
}

/* The next message for t, which must be of type. */
static json_object *expect(struct tconn *t, const char *type)
{
	json_object *o = next_msg(t);

	cr_assert_str_eq(str_of(o, "type"), type, "%s: expected %s, got %s",
	                 t->cid, type, plain(o));
	return o;
}

static json_object *expect_error(struct tconn *t, const char *code)
{
	json_object *o = expect(t, "error");

	cr_assert_str_eq(str_of(o, "code"), code, "%s: expected %s, got %s",
	                 t->cid, code, plain(o));
	return o;
}

static void expect_none(struct tconn *t)
{
	cr_assert_eq(t->r.read, t->r.n, "%s: unexpected %s", t->cid,
	             t->r.read < t->r.n ? plain(t->r.msgs[t->r.read]) : "");
}

static void expect_none_all(void)
{
	for (size_t i = 0; i < nconns; i++)
		expect_none(conns[i]);
}

static void drain_all(void)
{
	for (size_t i = 0; i < nconns; i++)
		conns[i]->r.read = conns[i]->r.n;
}

/* Messages nobody has looked at yet. */
static size_t count_all(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nconns; i++)
		n += conns[i]->r.n - conns[i]->r.read;
	return n;
}

/* A new connection in pad with hello, after the turn: its welcome. */
static json_object *enter_t(struct tconn *t, const char *pad,
                            const char *hello_extra)
{
	join(t, pad);
	say(t, "{\"type\":\"hello\"%s}", hello_extra ? hello_extra : "");
	turn();
	return expect(t, "welcome");
}

static struct tconn *enter(const char *pad, const char *name)
{
	struct tconn *t = conn_new();
	char extra[100];

	snprintf(extra, sizeof(extra), ",\"name\":\"%s\"", name);
	enter_t(t, pad, extra);
	return t;
}

/* Push one update of changes (JSON text) made at version. */
static void push(struct tconn *t, int64_t version, const char *changes)
{
	say(t,
	    "{\"type\":\"push\",\"version\":%lld,\"updates\":[{\"clientID\":"
	    "\"%s\",\"changes\":%s}]}",
	    (long long)version, t->cid, changes);
}

/* Drain every record, push, end the turn, and check the pusher got its
   updates back. */
static void push_ok(struct tconn *t, int64_t version, const char *changes)
{
	json_object *o;

	drain_all();
	push(t, version, changes);
	turn();
	o = expect(t, "updates");
	cr_assert_eq(int_of(o, "version"), version);
}

/* Append text (no quotes or escapes in it) to a pad of len16 units. */
static void append(struct tconn *t, int64_t version, size_t len16,
                   const char *text)
{
	char ch[4200];

	if (len16)
		snprintf(ch, sizeof(ch), "[%zu,[0,\"%s\"]]", len16, text);
	else
		snprintf(ch, sizeof(ch), "[[0,\"%s\"]]", text);
	push_ok(t, version, ch);
}

/* The pad's text and version as a new participant's welcome says; the
   participant leaves again and every record is drained. */
static char *pad_doc(const char *pad, int64_t *version)
{
	struct tconn *t = conn_new();
	json_object *w = enter_t(t, pad, NULL);
	char *doc;

	cr_assert(has(w, "doc"), "a first hello gets a snapshot: %s", plain(w));
	cr_assert_not(has(w, "updates"));
	doc = strdup(str_of(w, "doc"));
	*version = int_of(w, "version");
	leave(t);
	turn();
	drain_all();
	return doc;
}

static void expect_doc(const char *pad, const char *text, int64_t version)
{
	int64_t v;
	char *doc = pad_doc(pad, &v);

	cr_assert_str_eq(doc, text, "pad %s: \"%s\" at %lld", pad, doc,
	                 (long long)v);
	cr_assert_eq(v, version, "pad %s at %lld, expected %lld", pad,
	             (long long)v, (long long)version);
	free(doc);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- join */

Test(hub, join_good_paths)
{
	static const char *const good[][2] = {
	        {"/ws/a", "a"},
	        {"/ws/interview-7", "interview-7"},
	        {"/ws/A_b-9", "A_b-9"},
	        {"ws/x", "x"},
	        {"/pads/ws/abc", "abc"},
	        {"/ws/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	         "xxxxxxxx",
	         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	         "xxxx"},
	};

	start();
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct tconn *t = conn_new();
		cr_assert_eq(join_path(t, good[i][0]), 0, "%s", good[i][0]);
		cr_assert_str_eq(t->hc.pad_id, good[i][1]);
		turn();
		expect_none(t);
		cr_assert_not(t->r.closed);
	}
}

Test(hub, join_bad_paths_error_and_close_4400)
{
	static const char *const bad[] = {
	        "/ws/",
	        "/ws",
	        "/",
	        "",
	        "/x/abc",
	        "/xws/abc",
	        "/ws/a/b",
	        "/ws/a.b",
	        "/ws/a b",
	        "/wsabc",
	        "abc",
	        "/ws/caf\xc3\xa9",
	        "/ws/..",
	        "/ws/a%20b",
	        "/ws/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	        "xxxxxxxxx",
	};
	struct hub_stats st;

	start();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tconn *t = conn_new();
		json_object *e;

		cr_assert_eq(join_path(t, bad[i]), -1, "'%s' was taken",
		             bad[i]);
		cr_assert_eq(t->r.n, 0, "nothing before the turn ends");
		cr_assert_not(t->r.closed);
		/* whatever it says later is ignored */
		say(t, "{\"type\":\"hello\"}");
		turn();
		e = expect_error(t, "bad_pad_id");
		cr_assert_str_eq(str_of(e, "message"),
		                 "the address must be /ws/ followed by 1 to 64 "
		                 "of A-Z a-z 0-9 _ -");
		expect_none(t);
		cr_assert(t->r.closed, "'%s' not closed", bad[i]);
		cr_assert_eq(t->r.close_code, 4400);
		cr_assert_eq(t->r.close_at, 1,
		             "the error goes before the close");
		leave(t);
	}
	hub_stats(h, &st);
	cr_assert_eq(st.pads, 0);
	cr_assert_eq(st.connections, 0);
}

/* ---------------------------------------------------------------- hello */

Test(hub, hello_new_pad_gets_empty_snapshot)
{
	struct tconn *a = conn_new(), *b = conn_new();
	json_object *w, *l, *parts, *j, *p;
	struct hub_stats st;

	start();
	join(a, "fresh");
	say(a, "{\"type\":\"hello\",\"name\":\"Ada\",\"color\":\"#e06c75\"}");
	cr_assert_eq(a->r.n, 0, "the welcome waits for the turn's end");
	turn();
	w = expect(a, "welcome");
	expect_none(a);
	cr_assert_gt(strlen(str_of(w, "you")), 0);
	cr_assert_str_eq(str_of(w, "pad"), "fresh");
	cr_assert_eq(int_of(w, "version"), 0);
	cr_assert_str_eq(str_of(w, "doc"), "");
	cr_assert_not(has(w, "updates"));
	cr_assert_not(has(w, "from"));
	cr_assert_str_eq(str_of(w, "language"), "");
	cr_assert_eq(json_object_array_length(get(w, "participants")), 0);
	cr_assert(has(w, "run"));
	cr_assert_null(get(w, "run"));
	l = get(w, "limits");
	cr_assert_eq(int_of(l, "doc_bytes"), 524288);
	cr_assert_eq(int_of(l, "message_bytes"), 1048576);
	cr_assert_eq(int_of(l, "updates_per_second"), 100);
	cr_assert_eq(int_of(l, "update_burst"), 5000);
	cr_assert_eq(int_of(l, "participants"), 32);
	cr_assert_eq(int_of(l, "name_bytes"), 64);

	/* a second one, without a name: "Guest" and a colour of the daemon */
	join(b, "fresh");
	say(b, "{\"type\":\"hello\"}");
	turn();
	w = expect(b, "welcome");
	cr_assert_str_neq(str_of(w, "you"), str_of(a->r.msgs[0], "you"));
	parts = get(w, "participants");
	cr_assert_eq(json_object_array_length(parts), 1);
	p = json_object_array_get_idx(parts, 0);
	cr_assert_str_eq(str_of(p, "id"), str_of(a->r.msgs[0], "you"));
	cr_assert_str_eq(str_of(p, "name"), "Ada");
	cr_assert_str_eq(str_of(p, "color"), "#e06c75");
	cr_assert_not(has(p, "selection"), "Ada has no selection yet");
	j = expect(a, "join");
	p = get(j, "participant");
	cr_assert_str_eq(str_of(p, "id"), str_of(w, "you"));
	cr_assert_str_eq(str_of(p, "name"), "Guest");
	cr_assert_eq(strlen(str_of(p, "color")), 7);
	cr_assert_eq(str_of(p, "color")[0], '#');
	expect_none_all();

	hub_stats(h, &st);
	cr_assert_eq(st.pads, 1);
	cr_assert_eq(st.connections, 2);
}

Test(hub, before_hello_and_bad_frames)
{
	struct tconn *a = conn_new();
	json_object *e;

	start();
	join(a, "frames");
	push(a, 0, "[[0,\"x\"]]");
	say(a, "{\"type\":\"ping\"}");
	say(a, "{\"type\":\"stop\"}");
	turn();
	e = expect_error(a, "not_joined");
	cr_assert_str_eq(str_of(e, "message"), "say hello first");
	expect(a, "pong");
	expect_error(a, "not_joined");
	expect_none(a);

	say(a, "{\"type\":\"hello\"}");
	say(a, "{\"type\":\"hello\"}");
	hub_message(h, &a->hc, "\x01\x02", 2, true, false);
	hub_message(h, &a->hc, NULL, 0, false, true);
	say(a, "{\"type\":");
	say(a, "{\"type\":\"language\",\"language\":\"\\ud800\"}");
	say(a, "{\"type\":\"frobnicate\"}");
	turn();
	expect(a, "welcome");
	expect_error(a, "already_joined");
	e = expect_error(a, "binary_frame");
	cr_assert_str_eq(str_of(e, "message"),
	                 "messages are JSON in text frames");
	e = expect_error(a, "message_too_large");
	cr_assert_str_eq(str_of(e, "message"),
	                 "the message is larger than 1024 KiB, the most "
	                 "allowed");
	e = expect_error(a, "bad_json");
	cr_assert(strstr(str_of(e, "message"), "line 1, column 9"), "%s",
	          str_of(e, "message"));
	expect_error(a, "invalid_utf8");
	expect_error(a, "unknown_type");
	expect_none(a);
	cr_assert_not(a->r.closed, "a client message never closes the socket");
	expect_doc("frames", "", 0);
}

/* ---------------------------------------------------------------- push */

Test(hub, push_is_committed_then_broadcast_to_everyone)
{
	struct tconn *a, *b;
	json_object *o, *u;
	struct padstore_pad sp;
	struct hub_stats st;

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	drain_all();
	say(a, "{\"type\":\"push\",\"version\":0,\"ref\":7,\"updates\":"
	       "[{\"clientID\":\"ka\",\"changes\":[[0,\"hello\"]]}]}");
	cr_assert_eq(count_all(), 0, "nothing before the turn ends");
	cr_assert_eq(padstore_load(ps, "p", &sp, err, sizeof(err)), 0);
	cr_assert_eq(sp.head, 0, "not committed before the turn ends");
	padstore_pad_fini(&sp);
	turn();
	for (int i = 0; i < 2; i++) {
		struct tconn *t = i ? b : a;
		o = expect(t, "updates");
		cr_assert_eq(int_of(o, "version"), 0);
		cr_assert_eq(json_object_array_length(get(o, "updates")), 1);
		u = json_object_array_get_idx(get(o, "updates"), 0);
		cr_assert_str_eq(str_of(u, "clientID"), "ka");
		cr_assert_str_eq(plain(get(u, "changes")), "[[0,\"hello\"]]");
		cr_assert_not(has(o, "ref"));
		cr_assert_eq(t->r.early, 0, "delivered before the commit");
		expect_none(t);
	}
	cr_assert_eq(padstore_load(ps, "p", &sp, err, sizeof(err)), 0);
	cr_assert(sp.exists);
	cr_assert_eq(sp.head, 1);
	padstore_pad_fini(&sp);
	hub_stats(h, &st);
	cr_assert_eq(st.updates_accepted, 1);
	cr_assert_eq(st.updates_rejected, 0);
	expect_doc("p", "hello", 1);

	/* several updates in one push, and several pushes in one turn */
	say(a, "{\"type\":\"push\",\"version\":1,\"updates\":["
	       "{\"clientID\":\"ka\",\"changes\":[5,[0,\",\"]]},"
	       "{\"clientID\":\"ka\",\"changes\":[6,[0,\" \"]]}]}");
	push(b, 3, "[7,[0,\"world\"]]");
	turn();
	o = expect(b, "updates");
	cr_assert_eq(int_of(o, "version"), 1);
	cr_assert_eq(json_object_array_length(get(o, "updates")), 2);
	o = expect(b, "updates");
	cr_assert_eq(int_of(o, "version"), 3);
	cr_assert_eq(b->r.early, 0);
	expect_doc("p", "hello, world", 4);
}

Test(hub, hello_and_push_in_one_turn)
{
	struct tconn *a, *b = conn_new(), *c = conn_new();
	json_object *w;

	start();
	a = enter("p", "Ada");
	/* a push, then a hello: the welcome has the push */
	push(a, 0, "[[0,\"abc\"]]");
	join(b, "p");
	say(b, "{\"type\":\"hello\"}");
	/* a hello, then a push: the welcome has it too, and no broadcast
	   repeats it */
	join(c, "p");
	say(c, "{\"type\":\"hello\"}");
	push(a, 1, "[3,[0,\"d\"]]");
	turn();
	w = expect(b, "welcome");
	cr_assert_eq(int_of(w, "version"), 2);
	cr_assert_str_eq(str_of(w, "doc"), "abcd");
	expect(b, "join"); /* c */
	expect_none(b);
	w = expect(c, "welcome");
	cr_assert_eq(int_of(w, "version"), 2);
	cr_assert_str_eq(str_of(w, "doc"), "abcd");
	expect_none(c);
	expect(a, "updates");
	expect(a, "join");
	expect(a, "join");
	expect(a, "updates");
	expect_none(a);
}

/*
 * A welcome lists the participants present when it is built (at the end
 * of the turn), so a participant who said hello in the same turn after
 * this one is in the list already; it must not be announced a second time
 * with a join (a client would draw it twice).
 */
Test(hub, each_participant_is_announced_once)
{
	struct tconn *a, *b = conn_new(), *c = conn_new();
	json_object *w;
	const char *cid;

	start();
	a = enter("p", "Ada");
	join(b, "p");
	say(b, "{\"type\":\"hello\",\"name\":\"Bob\"}");
	join(c, "p");
	say(c, "{\"type\":\"hello\",\"name\":\"Cy\"}");
	turn();
	w = expect(c, "welcome");
	cid = str_of(w, "you");
	cr_assert_eq(json_object_array_length(get(w, "participants")), 2);
	expect_none(c);
	/* Bob hears of each other participant exactly once: Ada in his
	   welcome, Cy (who came after him) in the welcome or by a join */
	w = expect(b, "welcome");
	{
		size_t ada = 0, cy = 0;
		json_object *parts = get(w, "participants");
		for (size_t i = 0; i < json_object_array_length(parts); i++) {
			const char *id = str_of(
			        json_object_array_get_idx(parts, i), "id");
			ada += strcmp(id, cid) != 0;
			cy += strcmp(id, cid) == 0;
		}
		while (b->r.read < b->r.n) {
			json_object *o = next_msg(b);
			if (strcmp(str_of(o, "type"), "join") == 0) {
				const char *id =
				        str_of(get(o, "participant"), "id");
				ada += strcmp(id, cid) != 0;
				cy += strcmp(id, cid) == 0;
			}
		}
		cr_assert_eq(ada, 1, "Bob hears of Ada %zu times", ada);
		cr_assert_eq(cy, 1, "Bob hears of Cy %zu times", cy);
	}
	expect(a, "join");
	expect(a, "join");
	expect_none(a);
}

Test(hub, a_stale_push_is_rebased_and_a_future_one_refused)
{
	struct tconn *a, *b;
	json_object *e, *u;
	struct hub_stats st;

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	append(a, 0, 0, "hello");
	drain_all();

	/* Bob typed "x" into the empty pad before he saw Ada's "hello" */
	say(b, "{\"type\":\"push\",\"version\":0,\"ref\":\"r1\",\"updates\":"
	       "[{\"clientID\":\"kb\",\"changes\":[[0,\"x\"]]}]}");
	say(a, "{\"type\":\"push\",\"version\":3,\"ref\":8,\"updates\":"
	       "[{\"clientID\":\"ka\",\"changes\":[5,[0,\"x\"]]}]}");
	say(a, "{\"type\":\"pull\",\"version\":3}");
	turn();
	/* rebased over "hello": the earlier insertion goes first */
	u = expect(b, "updates");
	cr_assert_eq(int_of(u, "version"), 1);
	cr_assert_str_eq(core(u),
	                 "[{\"clientID\":\"kb\",\"changes\":[5,[0,\"x\"]]}]");
	u = expect(a, "updates");
	cr_assert_str_eq(core(u),
	                 "[{\"clientID\":\"kb\",\"changes\":[5,[0,\"x\"]]}]");
	e = expect_error(a, "future_version");
	cr_assert_eq(int_of(e, "head"), 2);
	cr_assert_eq(int_of(e, "ref"), 8);
	cr_assert_str_eq(str_of(e, "message"),
	                 "the pad is at version 2, the push says 3");
	e = expect_error(a, "future_version");
	cr_assert_eq(int_of(e, "head"), 2);
	expect_none(a);
	expect_none(b);
	hub_stats(h, &st);
	cr_assert_eq(st.updates_accepted, 2);
	cr_assert_eq(st.updates_rebased, 1);
	cr_assert_eq(st.updates_rejected, 1);
	expect_doc("p", "hellox", 2);
}

/* Beyond ws.max_catchup a push is refused as before: the client catches
   up (a snapshot) and pushes again. */
Test(hub, a_push_older_than_the_catchup_is_refused)
{
	struct tconn *a, *b;
	json_object *e;

	start("ws.max_catchup=2", );
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	append(a, 0, 0, "a");
	append(a, 1, 1, "b");
	append(a, 2, 2, "c");
	drain_all();
	push(b, 0, "[[0,\"x\"]]");
	push(b, 1, "[1,[0,\"y\"]]");
	turn();
	e = expect_error(b, "stale_version");
	cr_assert_eq(int_of(e, "head"), 3);
	cr_assert_str_eq(
	        str_of(e, "message"),
	        "the pad is at version 3, the push was made at 0, more than ws.max_catchup (2) behind");
	expect(b, "updates");
	expect(a, "updates");
	/* y went in at 1 of "a": after the b and the c inserted there since */
	expect_doc("p", "abcy", 4);
}

/* A resend after a lost acknowledgement: the updates the pad already has
   are dropped, the rest are rebased and kept. */
Test(hub, a_resend_keeps_only_what_is_new)
{
	struct tconn *a, *b;
	json_object *u;

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	push_ok(a, 0, "[[0,\"ab\"]]");
	push_ok(b, 1, "[2,[0,\"!\"]]");
	drain_all();
	/* Ada did not hear back, and typed on: "ab" then "c" after it */
	say(a,
	    "{\"type\":\"push\",\"version\":0,\"updates\":["
	    "{\"clientID\":\"%s\",\"changes\":[[0,\"ab\"]]},"
	    "{\"clientID\":\"%s\",\"changes\":[2,[0,\"c\"]]}]}",
	    a->cid, a->cid);
	/* a resend of nothing but what the pad has: no broadcast */
	push(b, 1, "[2,[0,\"!\"]]");
	turn();
	u = expect(a, "updates");
	cr_assert_eq(int_of(u, "version"), 2);
	cr_assert_eq(
	        json_object_array_length(json_object_object_get(u, "updates")),
	        1);
	expect(b, "updates");
	expect_none_all();
	/* c, after "ab", goes after Bob's "!" accepted there before it */
	expect_doc("p", "ab!c", 3);
}

/* History beyond what a pad keeps in memory comes back from the store,
   and a reloaded pad rebases from the store alone. */
Test(hub, a_push_far_behind_is_rebased_from_the_store)
{
	struct tconn *a, *b;
	char ch[64];
	int n = 2600; /* more than a pad keeps in memory (2 x HUB_HIST_KEEP) */

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	for (int i = 0; i < n; i++)
		append(a, i, (size_t)i, "a");
	drain_all();
	snprintf(ch, sizeof(ch), "[[0,\"B\"],%d]", 5);
	push(b, 5, ch);
	turn();
	expect(b, "updates");
	expect(a, "updates");
	/* Bob's "B" went in at 0 of the text at version 5: the front */
	{
		int64_t v;
		char *doc = pad_doc("p", &v);
		cr_assert_eq(v, n + 1);
		cr_assert_eq(doc[0], 'B');
		cr_assert_eq(strlen(doc), (size_t)n + 1);
		free(doc);
	}
	drain_all();
	restart();
	b = enter("p", "Bob");
	drain_all();
	snprintf(ch, sizeof(ch), "[1,[0,\"C\"],%d]", 5);
	push(b, 6, ch);
	turn();
	expect(b, "updates");
	{
		int64_t v;
		char *doc = pad_doc("p", &v);
		cr_assert_eq(v, n + 2);
		cr_assert_eq(strncmp(doc, "BaC", 3), 0, "%.8s", doc);
		free(doc);
	}
}

Test(hub, invalid_changes_leave_the_text)
{
	struct tconn *a, *b;
	json_object *e;

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	append(a, 0, 0, "hello");
	drain_all();

	push(a, 1, "[3,[0,\"x\"]]");
	push(a, 1, "[\"x\"]");
	push(a, 1, "[5,[0,\"\\ud800\"]]");
	push(a, 1, "[5,[0,\"a\\nb\"]]");
	say(a, "{\"type\":\"push\",\"version\":1,\"ref\":3,\"updates\":["
	       "{\"clientID\":\"ka\",\"changes\":[5,[0,\"!\"]]},"
	       "{\"clientID\":\"ka\",\"changes\":[5,[0,\"?\"]]}]}");
	turn();
	e = expect_error(a, "length_mismatch");
	cr_assert_str_eq(str_of(e, "message"),
	                 "changes cover 3 units, the document has 5");
	cr_assert_eq(int_of(e, "head"), 1);
	e = expect_error(a, "invalid_changes");
	cr_assert_eq(int_of(e, "head"), 1);
	expect_error(a, "invalid_utf8");
	expect_error(a, "invalid_changes");
	/* all or nothing: the first update applied, the second did not */
	e = expect_error(a, "length_mismatch");
	cr_assert_str_eq(str_of(e, "message"),
	                 "updates[1]: changes cover 5 units, the document has "
	                 "6");
	cr_assert_eq(int_of(e, "ref"), 3);
	expect_none(a);
	expect_none(b);
	expect_doc("p", "hello", 1);
}

Test(hub, split_surrogate_in_an_emoji_doc)
{
	struct tconn *a, *b;
	json_object *e;

	start();
	a = enter("e", "Ada");
	b = enter("e", "Bob");
	/* a, U+1F600 (two UTF-16 units, four bytes of UTF-8), b */
	append(a, 0, 0,
	       "a\xf0\x9f\x98\x80"
	       "b");
	drain_all();
	push(a, 1, "[2,[0,\"x\"],2]");
	push(a, 1, "[1,[1],2]");
	push(a, 1, "[2,[2]]");
	push(a, 1, "[5]");
	turn();
	e = expect_error(a, "split_surrogate");
	cr_assert_eq(int_of(e, "head"), 1);
	expect_error(a, "split_surrogate");
	expect_error(a, "split_surrogate");
	expect_error(a, "length_mismatch");
	expect_none(a);
	expect_none(b);
	expect_doc("e",
	           "a\xf0\x9f\x98\x80"
	           "b",
	           1);
	/* around the pair is fine */
	push_ok(a, 1, "[3,[0,\"x\"],1]");
	push_ok(a, 2, "[1,[2],2]");
	expect_doc("e", "axb", 3);
}

Test(hub, doc_too_large)
{
	struct tconn *a, *b;
	char *big = malloc(2000), *msg = malloc(2200);
	json_object *e;

	start("ws.max_doc=1K", );
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	drain_all();
	memset(big, 'a', 1025);
	big[1025] = 0;
	snprintf(msg, 2200, "[[0,\"%s\"]]", big);
	push(a, 0, msg);
	turn();
	e = expect_error(a, "doc_too_large");
	cr_assert_str_eq(str_of(e, "message"), "document would exceed 1 KiB");
	cr_assert_eq(int_of(e, "head"), 0);
	expect_none_all();

	big[1024] = 0;
	append(a, 0, 0, big);
	expect(b, "updates");
	push(a, 1, "[1024,[0,\"b\"]]");
	turn();
	e = expect_error(a, "doc_too_large");
	cr_assert_str_eq(str_of(e, "message"), "document would exceed 1 KiB");
	cr_assert_eq(int_of(e, "head"), 1);
	expect_none_all();
	/* replacing keeps it at the limit */
	push_ok(a, 1, "[1023,[1,\"b\"]]");
	big[1023] = 'b';
	expect_doc("p", big, 2);
	free(big);
	free(msg);
}

Test(hub, rate_limited)
{
	struct tconn *a, *b;
	json_object *e;
	int64_t wait;

	start("ws.updates_per_second=10", "ws.update_burst=2", );
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	drain_all();
	say(a, "{\"type\":\"push\",\"version\":0,\"updates\":["
	       "{\"clientID\":\"ka\",\"changes\":[[0,\"a\"]]},"
	       "{\"clientID\":\"ka\",\"changes\":[1,[0,\"b\"]]}]}");
	say(a, "{\"type\":\"push\",\"version\":2,\"ref\":9,\"updates\":["
	       "{\"clientID\":\"ka\",\"changes\":[2,[0,\"c\"]]}]}");
	turn();
	expect(a, "updates");
	e = expect_error(a, "rate_limited");
	cr_assert_str_eq(str_of(e, "message"),
	                 "too many changes: at most 10 per second (bursts of "
	                 "2)");
	cr_assert_eq(int_of(e, "ref"), 9);
	cr_assert_eq(int_of(e, "head"), 2);
	wait = int_of(e, "retry_after_ms");
	cr_assert(wait >= 50 && wait <= 101, "retry_after_ms %lld",
	          (long long)wait);
	expect(b, "updates");
	expect_none_all();
	expect_doc("p", "ab", 2);

	/* after the wait a push goes in, and a stale one from Bob is
	   rebased (it costs Bob's budget, not Ada's) */
	sleep_ms((long)wait + 20);
	push(b, 1, "[1,[0,\"x\"]]");
	push(a, 2, "[2,[0,\"c\"]]");
	turn();
	expect(b, "updates");
	expect(a, "updates");
	/* x after "a" lands after the b there; then Ada's c, made at 2,
	   after the x */
	expect_doc("p", "abxc", 4);
}

/* ---------------------------------------------------------------- catch-up */

static void three_updates(struct tconn *a)
{
	append(a, 0, 0, "a");
	append(a, 1, 1, "b");
	append(a, 2, 2, "c");
}

static void check_updates(json_object *ups, int64_t from, int64_t to,
                          const char *cid)
{
	cr_assert_eq(json_object_array_length(ups), (size_t)(to - from));
	for (int64_t v = from; v < to; v++) {
		json_object *u =
		        json_object_array_get_idx(ups, (size_t)(v - from));
		char want[64];
		if (v == 0)
			snprintf(want, sizeof(want), "[[0,\"%c\"]]", 'a');
		else
			snprintf(want, sizeof(want), "[%lld,[0,\"%c\"]]",
			         (long long)v, (char)('a' + v));
		cr_assert_str_eq(str_of(u, "clientID"), cid);
		cr_assert_str_eq(plain(get(u, "changes")), want);
	}
}

Test(hub, reconnect_gets_the_missing_updates)
{
	struct tconn *a, *c;
	json_object *w, *o;

	start();
	a = enter("p", "Ada");
	three_updates(a);

	for (int64_t from = 0; from <= 3; from++) {
		char extra[64];
		c = conn_new();
		snprintf(extra, sizeof(extra), ",\"version\":%lld",
		         (long long)from);
		w = enter_t(c, "p", extra);
		cr_assert_eq(int_of(w, "version"), 3);
		cr_assert_eq(int_of(w, "from"), from);
		cr_assert_not(has(w, "doc"), "%s", plain(w));
		check_updates(get(w, "updates"), from, 3, a->cid);
		leave(c);
	}
	/* from the future: a snapshot */
	c = conn_new();
	w = enter_t(c, "p", ",\"version\":4");
	cr_assert_eq(int_of(w, "version"), 3);
	cr_assert_str_eq(str_of(w, "doc"), "abc");
	cr_assert_not(has(w, "updates"));
	cr_assert_not(has(w, "from"));

	/* pull */
	say(c, "{\"type\":\"pull\",\"version\":1}");
	say(c, "{\"type\":\"pull\",\"version\":3}");
	turn();
	o = expect(c, "updates");
	cr_assert_eq(int_of(o, "version"), 1);
	check_updates(get(o, "updates"), 1, 3, a->cid);
	o = expect(c, "updates");
	cr_assert_eq(int_of(o, "version"), 3);
	cr_assert_eq(json_object_array_length(get(o, "updates")), 0);
	expect_none(c);
}

Test(hub, too_far_behind_gets_a_snapshot)
{
	struct tconn *a, *c;
	json_object *w, *o;

	start("ws.max_catchup=2", );
	a = enter("p", "Ada");
	three_updates(a);
	append(a, 3, 3, "d");
	append(a, 4, 4, "e");

	c = conn_new();
	w = enter_t(c, "p", ",\"version\":3");
	cr_assert_eq(int_of(w, "from"), 3);
	cr_assert_eq(json_object_array_length(get(w, "updates")), 2);
	leave(c);

	c = conn_new();
	w = enter_t(c, "p", ",\"version\":2");
	cr_assert_eq(int_of(w, "version"), 5);
	cr_assert_str_eq(str_of(w, "doc"), "abcde");
	cr_assert_not(has(w, "updates"));
	cr_assert_not(has(w, "from"));

	say(c, "{\"type\":\"pull\",\"version\":1}");
	turn();
	o = expect(c, "snapshot");
	cr_assert_eq(int_of(o, "version"), 5);
	cr_assert_str_eq(str_of(o, "doc"), "abcde");
	cr_assert_str_eq(str_of(o, "reason"), "catchup");
	expect_none(c);
}

/* ---------------------------------------------------------------- restart */

Test(hub, restart_keeps_version_and_text_across_snapshots)
{
	char text[64] = "";
	int64_t v = 0;
	struct padstore_pad sp;
	struct tconn *a;
	json_object *w;

	start("ws.snapshot_every=3", );
	a = enter("p", "Ada");
	for (v = 0; v < 8; v++) {
		char ch[2] = {(char)('0' + v), 0};
		append(a, v, strlen(text), ch);
		strcat(text, ch);
		if (v + 1 == 2 || v + 1 == 3 || v + 1 == 4 || v + 1 == 6 ||
		    v + 1 == 7) {
			restart();
			cr_assert_eq(
			        padstore_load(ps, "p", &sp, err, sizeof(err)),
			        0);
			cr_assert_eq(sp.head, (uint64_t)v + 1);
			cr_assert_eq(sp.snap_version, (uint64_t)(v + 1) / 3 * 3,
			             "snapshot at %llu for head %lld",
			             (unsigned long long)sp.snap_version,
			             (long long)v + 1);
			padstore_pad_fini(&sp);
			expect_doc("p", text, v + 1);
			a = enter("p", "Ada");
		}
	}
	/* v = 8: four updates in one push cross the next boundary */
	say(a, "{\"type\":\"push\",\"version\":8,\"updates\":["
	       "{\"clientID\":\"ka\",\"changes\":[8,[0,\"8\"]]},"
	       "{\"clientID\":\"ka\",\"changes\":[9,[0,\"9\"]]},"
	       "{\"clientID\":\"ka\",\"changes\":[10,[0,\"A\"]]},"
	       "{\"clientID\":\"ka\",\"changes\":[11,[0,\"B\"]]}]}");
	turn();
	expect(a, "updates");
	strcat(text, "89AB");
	restart();
	cr_assert_eq(padstore_load(ps, "p", &sp, err, sizeof(err)), 0);
	cr_assert_eq(sp.head, 12);
	cr_assert_eq(sp.snap_version, 12);
	cr_assert_str_eq(sp.snap_text, text);
	padstore_pad_fini(&sp);
	expect_doc("p", text, 12);

	/* catch-up after a restart reads the history from the store */
	a = conn_new();
	w = enter_t(a, "p", ",\"version\":2");
	cr_assert_eq(int_of(w, "from"), 2);
	cr_assert_eq(json_object_array_length(get(w, "updates")), 10);
	/* and the pad goes on from where it was */
	append(a, 12, 12, "C");
	strcat(text, "C");
	restart();
	expect_doc("p", text, 13);
}

/* ---------------------------------------------------------------- presence */

Test(hub, presence_to_the_others_only)
{
	struct tconn *a, *b, *c;
	json_object *o, *w, *p, *e;
	const char *sel = "{\"main\":0,\"ranges\":[{\"anchor\":1,\"head\":7}]}";
	const char *aid;

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	aid = str_of(a->r.msgs[0], "you");
	/* hello, U+1F600: 5 + 2 UTF-16 units, 9 bytes */
	append(a, 0, 0, "hello\xf0\x9f\x98\x80");
	drain_all();

	say(a, "{\"type\":\"presence\",\"version\":1,\"selection\":null}");
	say(a, "{\"type\":\"presence\",\"version\":1,\"selection\":%s}", sel);
	cr_assert_eq(count_all(), 0);
	turn();
	o = expect(b, "presence");
	cr_assert_str_eq(str_of(o, "id"), aid);
	cr_assert_eq(int_of(o, "version"), 1);
	cr_assert_null(get(o, "selection"));
	o = expect(b, "presence");
	cr_assert_str_eq(str_of(o, "id"), aid);
	cr_assert_eq(int_of(o, "version"), 1);
	cr_assert_str_eq(plain(get(o, "selection")), sel);
	expect_none_all();

	/* outside the document (in UTF-16 units), or in the future */
	say(a, "{\"type\":\"presence\",\"version\":1,\"selection\":{\"main\":0,"
	       "\"ranges\":[{\"anchor\":0,\"head\":8}]}}");
	say(a, "{\"type\":\"presence\",\"version\":1,\"selection\":{\"main\":0,"
	       "\"ranges\":[{\"anchor\":0,\"head\":0},{\"anchor\":9,\"head\":"
	       "0}]}}");
	say(a, "{\"type\":\"presence\",\"version\":2,\"selection\":null}");
	say(a, "{\"type\":\"presence\",\"version\":1,\"selection\":{\"main\":0,"
	       "\"ranges\":[]}}");
	turn();
	e = expect_error(a, "bad_selection");
	cr_assert_str_eq(str_of(e, "message"),
	                 "selection.ranges[0] is outside the document (7 "
	                 "units)");
	cr_assert_eq(int_of(e, "head"), 1);
	e = expect_error(a, "bad_selection");
	cr_assert_str_eq(str_of(e, "message"),
	                 "selection.ranges[1] is outside the document (7 "
	                 "units)");
	e = expect_error(a, "future_version");
	cr_assert_str_eq(str_of(e, "message"),
	                 "the pad is at version 1, the selection says 2");
	cr_assert_eq(int_of(e, "head"), 1);
	expect_error(a, "bad_message");
	expect_none_all();

	/* a late joiner sees the last good selection */
	c = conn_new();
	w = enter_t(c, "p", NULL);
	p = NULL;
	for (size_t i = 0; i < json_object_array_length(get(w, "participants"));
	     i++) {
		json_object *x =
		        json_object_array_get_idx(get(w, "participants"), i);
		if (strcmp(str_of(x, "id"), aid) == 0)
			p = x;
	}
	cr_assert_not_null(p);
	cr_assert_eq(int_of(p, "version"), 1);
	cr_assert_str_eq(plain(get(p, "selection")), sel);

	/* at an older version a selection is relayed unchecked */
	drain_all();
	say(b, "{\"type\":\"presence\",\"version\":0,\"selection\":{\"main\":0,"
	       "\"ranges\":[{\"anchor\":99,\"head\":99}]}}");
	turn();
	expect(a, "presence");
	expect(c, "presence");
	expect_none_all();
}

/* ---------------------------------------------------------------- profile */

Test(hub, profile_and_language)
{
	struct tconn *a, *b;
	json_object *o, *p, *w;
	const char *aid;

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	aid = str_of(a->r.msgs[0], "you");
	drain_all();

	say(a, "{\"type\":\"profile\",\"name\":\"Ada L.\",\"color\":"
	       "\"#61afef\"}");
	say(a, "{\"type\":\"profile\",\"color\":\"#fff\"}");
	say(a, "{\"type\":\"profile\",\"color\":\"blue\"}");
	say(a, "{\"type\":\"language\",\"language\":\"python\"}");
	say(a, "{\"type\":\"language\",\"language\":\"Python 3\"}");
	cr_assert_eq(count_all(), 0);
	turn();
	for (int i = 0; i < 2; i++) {
		struct tconn *t = i ? b : a;
		o = expect(t, "profile");
		p = get(o, "participant");
		cr_assert_str_eq(str_of(p, "id"), aid);
		cr_assert_str_eq(str_of(p, "name"), "Ada L.");
		cr_assert_str_eq(str_of(p, "color"), "#61afef");
		o = expect(t, "profile");
		p = get(o, "participant");
		cr_assert_str_eq(str_of(p, "name"), "Ada L.");
		cr_assert_str_eq(str_of(p, "color"), "#fff");
		if (t == a)
			expect_error(a, "bad_color");
		o = expect(t, "language");
		cr_assert_str_eq(str_of(o, "language"), "python");
		cr_assert_str_eq(str_of(o, "by"), aid);
		if (t == a)
			expect_error(a, "bad_language");
		expect_none(t);
	}

	/* the language is kept with the pad */
	restart();
	a = conn_new();
	w = enter_t(a, "p", NULL);
	cr_assert_str_eq(str_of(w, "language"), "python");
	cr_assert_eq(int_of(w, "version"), 0);
}

/* The pad's toolchain as a message or welcome says it: "variant|options". */
static const char *toolchain_of(json_object *o)
{
	static char buf[512];
	json_object *v = get(o, "variant");

	cr_assert(has(o, "variant") && has(o, "options"), "no toolchain in %s",
	          plain(o));
	snprintf(buf, sizeof(buf), "%s|%s",
	         v ? json_object_get_string(v) : "null",
	         plain(get(o, "options")));
	return buf;
}

/*
 * The toolchain is shared like the language: broadcast to everyone, in
 * the welcome of a late joiner, kept across a restart; a field left out
 * is kept while the language stays and reset when it changes; a bad
 * shape is bad_toolchain to the sender only.
 */
Test(hub, language_toolchain_is_shared_stored_and_reset)
{
	struct tconn *a, *b, *c;
	struct padstore_pad sp;
	json_object *o, *w;
	const char *aid;

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	aid = str_of(a->r.msgs[0], "you");
	cr_assert_str_eq(toolchain_of(a->r.msgs[0]), "null|{}");
	drain_all();

	say(a, "{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	       "\"clang-15\",\"options\":{\"std\":\"c11\"}}");
	turn();
	for (struct tconn *const *t = (struct tconn *const[]){a, b, NULL}; *t;
	     t++) {
		o = expect(*t, "language");
		cr_assert_str_eq(str_of(o, "language"), "c");
		cr_assert_str_eq(str_of(o, "by"), aid);
		cr_assert_str_eq(toolchain_of(o), "clang-15|{\"std\":\"c11\"}");
		expect_none(*t);
	}
	c = conn_new();
	w = enter_t(c, "p", NULL);
	cr_assert_str_eq(str_of(w, "language"), "c");
	cr_assert_str_eq(toolchain_of(w), "clang-15|{\"std\":\"c11\"}");
	leave(c);
	turn();
	drain_all();

	/* the same language: what is left out is kept */
	say(b, "{\"type\":\"language\",\"language\":\"c\",\"options\":"
	       "{\"opt\":\"-O0\",\"std\":\"c99\"}}");
	say(b, "{\"type\":\"language\",\"language\":\"c\"}");
	/* a bad shape changes nothing and closes nothing */
	say(b, "{\"type\":\"language\",\"language\":\"python\",\"variant\":"
	       "\"gcc 12\"}");
	turn();
	o = expect(a, "language");
	cr_assert_str_eq(toolchain_of(o),
	                 "clang-15|{\"opt\":\"-O0\",\"std\":\"c99\"}");
	o = expect(a, "language");
	cr_assert_str_eq(toolchain_of(o),
	                 "clang-15|{\"opt\":\"-O0\",\"std\":\"c99\"}");
	expect_none(a);
	expect(b, "language");
	expect(b, "language");
	o = expect_error(b, "bad_toolchain");
	cr_assert_str_eq(str_of(o, "message"),
	                 "variant: 1 to 32 characters of A-Z a-z 0-9 + . _ -");
	cr_assert_not(b->r.closed);
	expect_none_all();

	/* kept with the pad */
	restart();
	a = conn_new();
	w = enter_t(a, "p", NULL);
	cr_assert_str_eq(str_of(w, "language"), "c");
	cr_assert_str_eq(toolchain_of(w),
	                 "clang-15|{\"opt\":\"-O0\",\"std\":\"c99\"}");

	/* a new language without a toolchain: the defaults, and an open
	   pad holds no access record again */
	say(a, "{\"type\":\"language\",\"language\":\"python\"}");
	turn();
	o = expect(a, "language");
	cr_assert_str_eq(toolchain_of(o), "null|{}");
	restart();
	cr_assert_eq(padstore_load(ps, "p", &sp, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_null(sp.access, "an open pad at the defaults: %s", sp.access);
	padstore_pad_fini(&sp);
	a = conn_new();
	w = enter_t(a, "p", NULL);
	cr_assert_str_eq(str_of(w, "language"), "python");
	cr_assert_str_eq(toolchain_of(w), "null|{}");

	/* a new language with one; then null resets what it names */
	say(a, "{\"type\":\"language\",\"language\":\"python\",\"variant\":"
	       "\"pypy\"}");
	say(a, "{\"type\":\"language\",\"language\":\"cpp\",\"options\":"
	       "{\"std\":\"c++17\"}}");
	say(a, "{\"type\":\"language\",\"language\":\"cpp\",\"variant\":"
	       "\"clang-16\",\"options\":null}");
	say(a, "{\"type\":\"language\",\"language\":\"cpp\",\"variant\":null}");
	turn();
	cr_assert_str_eq(toolchain_of(expect(a, "language")), "pypy|{}");
	cr_assert_str_eq(toolchain_of(expect(a, "language")),
	                 "null|{\"std\":\"c++17\"}");
	cr_assert_str_eq(toolchain_of(expect(a, "language")), "clang-16|{}");
	cr_assert_str_eq(toolchain_of(expect(a, "language")), "null|{}");
	expect_none(a);
}

/* ---------------------------------------------------------------- limits */

Test(hub, pad_full_closes_4429)
{
	struct tconn *a, *b, *c = conn_new(), *d;
	json_object *e, *o;

	start("ws.max_participants=2", );
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	drain_all();
	join(c, "p");
	say(c, "{\"type\":\"hello\",\"name\":\"Cy\"}");
	turn();
	e = expect_error(c, "pad_full");
	cr_assert_str_eq(str_of(e, "message"),
	                 "this pad already has 2 participants, the most "
	                 "allowed");
	expect_none(c);
	cr_assert(c->r.closed);
	cr_assert_eq(c->r.close_code, 4429);
	cr_assert_eq(c->r.close_at, 1);
	expect_none_all(); /* no join */
	leave(c);

	/* room again after a leave */
	leave(b);
	turn();
	o = expect(a, "leave");
	cr_assert_str_eq(str_of(o, "id"), str_of(b->r.msgs[0], "you"));
	expect_none_all();
	d = enter("p", "Dee");
	cr_assert_not(d->r.closed);
	expect(a, "join");
}

Test(hub, server_busy_closes_4503)
{
	struct tconn *a, *b = conn_new();
	json_object *e;
	struct hub_stats st;

	start("ws.max_pads=1", );
	a = enter("one", "Ada");
	drain_all();
	join(b, "two");
	say(b, "{\"type\":\"hello\"}");
	turn();
	e = expect_error(b, "server_busy");
	cr_assert_str_eq(str_of(e, "message"),
	                 "this server has too many pads open; try again in a "
	                 "minute");
	expect_none(b);
	cr_assert(b->r.closed);
	cr_assert_eq(b->r.close_code, 4503);
	cr_assert_eq(b->r.close_at, 1);
	expect_none(a);
	hub_stats(h, &st);
	cr_assert_eq(st.pads, 1);
	/* the open pad still takes more people */
	enter("one", "Bob");
}

Test(hub, idle_pad_unloads_and_comes_back)
{
	struct tconn *a, *b;
	json_object *w;
	struct hub_stats st;
	int i;

	start("ws.idle_unload=0", "ws.max_pads=1", );
	a = enter("p", "Ada");
	append(a, 0, 0, "hi");
	say(a, "{\"type\":\"language\",\"language\":\"c\"}");
	turn();
	leave(a);
	for (i = 0; i < 200; i++) {
		turn();
		hub_stats(h, &st);
		if (st.pads == 0)
			break;
		sleep_ms(10);
	}
	cr_assert_eq(st.pads, 0, "the empty pad stayed in memory");
	/* max_pads is 1: another pad fits now */
	b = enter("other", "Bob");
	leave(b);
	for (i = 0; i < 200; i++) {
		turn();
		hub_stats(h, &st);
		if (st.pads == 0)
			break;
		sleep_ms(10);
	}
	cr_assert_eq(st.pads, 0);
	b = conn_new();
	w = enter_t(b, "p", NULL);
	cr_assert_eq(int_of(w, "version"), 1);
	cr_assert_str_eq(str_of(w, "doc"), "hi");
	cr_assert_str_eq(str_of(w, "language"), "c");
	append(b, 1, 2, "!");
	expect_doc("p", "hi!", 2);
}

Test(hub, slow_reader_gets_a_snapshot)
{
	struct tconn *a, *b;
	json_object *o;
	size_t i, base;

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	drain_all();
	b->r.queued = 0;
	b->r.limit = 3;
	base = b->r.n;
	for (int v = 0; v < 6; v++) {
		char ch[32];
		snprintf(ch, sizeof(ch), v ? "[%d,[0,\"x\"]]" : "[[0,\"x\"]]",
		         v);
		push(a, v, ch);
	}
	turn();
	for (int v = 0; v < 6; v++) {
		o = expect(a, "updates");
		cr_assert_eq(int_of(o, "version"), v);
	}
	expect_none(a);
	cr_assert_eq(a->r.drops, 0);

	cr_assert_eq(b->r.drops, 1, "the hub did not drop the backlog");
	cr_assert_eq(b->r.drop_at, base + 4,
	             "the 4th message went over the limit");
	for (i = 0; i < 4; i++) {
		o = expect(b, "updates");
		cr_assert_eq(int_of(o, "version"), (int64_t)i);
	}
	o = expect(b, "snapshot");
	cr_assert_eq(int_of(o, "version"), 6);
	cr_assert_str_eq(str_of(o, "doc"), "xxxxxx");
	cr_assert_str_eq(str_of(o, "reason"), "slow_reader");
	/* updates 4 and 5 are in the snapshot: not sent */
	expect_none(b);

	/* later updates go out as usual */
	b->r.queued = 0;
	push(a, 6, "[6,[0,\"y\"]]");
	turn();
	o = expect(b, "updates");
	cr_assert_eq(int_of(o, "version"), 6);
	expect_none(b);
}

/* ---------------------------------------------------------------- store */

/*
 * A 1 MiB map filled by pushes that each replace the whole text with 3000
 * bytes: the push that does not fit is refused with store_error, nobody
 * else hears of it, and the pad stays at its last committed version, in
 * memory and on disk.
 */
Test(hub, store_full_refuses_the_push)
{
	struct tconn *a, *b, *c;
	char *text = malloc(3001), *ch = malloc(3100), *last = malloc(3001);
	int64_t v = 0, vv;
	json_object *o, *e, *w;
	size_t len = 0;
	char *doc;

	start_ex(1 << 20, NULL);
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	drain_all();
	last[0] = 0;
	for (;;) {
		cr_assert_lt(v, 2000, "the store never filled up");
		memset(text, 'a' + (int)(v % 26), 3000);
		text[3000] = 0;
		if (len)
			snprintf(ch, 3100, "[[%zu,\"%s\"]]", len, text);
		else
			snprintf(ch, 3100, "[[0,\"%s\"]]", text);
		say(a,
		    "{\"type\":\"push\",\"version\":%lld,\"ref\":%lld,"
		    "\"updates\":[{\"clientID\":\"ka\",\"changes\":%s}]}",
		    (long long)v, (long long)v, ch);
		turn();
		o = next_msg(a);
		if (strcmp(str_of(o, "type"), "error") == 0)
			break;
		cr_assert_str_eq(str_of(o, "type"), "updates");
		expect(b, "updates");
		v++;
		len = 3000;
		strcpy(last, text);
	}
	e = o;
	cr_assert_str_eq(str_of(e, "code"), "store_error", "%s", plain(e));
	cr_assert_eq(int_of(e, "head"), v);
	cr_assert_eq(int_of(e, "ref"), v);
	cr_assert_gt(v, 10);
	expect_none_all();

	/* a newcomer sees the last committed state */
	c = conn_new();
	w = enter_t(c, "p", NULL);
	cr_assert_eq(int_of(w, "version"), v);
	cr_assert_str_eq(str_of(w, "doc"), last);
	expect(a, "join");
	expect(b, "join");
	expect_none_all();

	/* and so does the store */
	restart();
	doc = pad_doc("p", &vv);
	cr_assert_eq(vv, v);
	cr_assert_str_eq(doc, last);
	free(doc);
	free(text);
	free(ch);
	free(last);
}

/*
 * After the map is full, a small push goes in again: LMDB reuses the pages
 * freed by the earlier transactions (the refused one was rolled back).
 */
Test(hub, store_full_then_small_push)
{
	struct tconn *a;
	char *text = malloc(3001), *ch = malloc(3100);
	int64_t v = 0;
	json_object *o;
	size_t len = 0;

	start_ex(1 << 20, NULL);
	a = enter("p", "Ada");
	for (;;) {
		cr_assert_lt(v, 2000, "the store never filled up");
		memset(text, 'a' + (int)(v % 26), 3000);
		text[3000] = 0;
		if (len)
			snprintf(ch, 3100, "[[%zu,\"%s\"]]", len, text);
		else
			snprintf(ch, 3100, "[[0,\"%s\"]]", text);
		push(a, v, ch);
		turn();
		o = next_msg(a);
		if (strcmp(str_of(o, "type"), "error") == 0)
			break;
		v++;
		len = 3000;
	}
	cr_assert_str_eq(str_of(o, "code"), "store_error");
	push(a, v, "[1,[0,\"z\"],2999]");
	turn();
	o = next_msg(a);
	cr_assert_str_eq(str_of(o, "type"), "updates", "%s", plain(o));
	cr_assert_eq(int_of(o, "version"), v);
	free(text);
	free(ch);
}

/*
 * The turn is one transaction: when it fails, every push of the turn is
 * refused, also those to other pads, and those pads go back to where they
 * were (the same version is accepted again in the next turn).
 */
Test(hub, store_full_refuses_the_whole_turn)
{
	struct tconn *a, *d, *e;
	char *text = malloc(3001), *ch = malloc(3100), *qtext = malloc(3000);
	char qch[64];
	int64_t v = 0, qv = 0;
	json_object *o;
	size_t len = 0;

	start_ex(1 << 20, NULL);
	a = enter("p", "Ada");
	d = enter("q", "Dee");
	e = enter("q", "Eve");
	qtext[0] = 0;
	for (;;) {
		cr_assert_lt(v, 2000, "the store never filled up");
		drain_all();
		memset(text, 'a' + (int)(v % 26), 3000);
		text[3000] = 0;
		if (len)
			snprintf(ch, 3100, "[[%zu,\"%s\"]]", len, text);
		else
			snprintf(ch, 3100, "[[0,\"%s\"]]", text);
		/* first a small push to q, then the big one to p */
		snprintf(qch, sizeof(qch),
		         qv ? "[%lld,[0,\"q\"]]" : "[[0,\"q\"]]",
		         (long long)qv);
		push(d, qv, qch);
		push(a, v, ch);
		turn();
		o = next_msg(a);
		if (strcmp(str_of(o, "type"), "error") == 0)
			break;
		expect(d, "updates");
		expect(e, "updates");
		v++;
		qv++;
		strcat(qtext, "q");
		len = 3000;
	}
	cr_assert_str_eq(str_of(o, "code"), "store_error");
	cr_assert_eq(int_of(o, "head"), v);
	o = expect_error(d, "store_error");
	cr_assert_eq(int_of(o, "head"), qv, "%s", plain(o));
	expect_none(d);
	expect_none(e);
	expect_doc("q", qtext, qv);
	/* q takes the same version again */
	snprintf(qch, sizeof(qch), "[%lld,[0,\"r\"]]", (long long)qv);
	push_ok(d, qv, qch);
	expect(e, "updates");
	strcat(qtext, "r");
	expect_doc("q", qtext, qv + 1);
	/* the refused push is not in the history a stale push is rebased
	   over: Eve's "E" made before the "r" lands at the front */
	drain_all();
	snprintf(qch, sizeof(qch), "[[0,\"E\"],%lld]", (long long)qv);
	push(e, qv, qch);
	turn();
	expect(e, "updates");
	expect(d, "updates");
	memmove(qtext + 1, qtext, strlen(qtext) + 1);
	qtext[0] = 'E';
	expect_doc("q", qtext, qv + 2);
	free(text);
	free(ch);
	free(qtext);
}

/* ---------------------------------------------------------------- runs */

Test(hub, run_needs_a_language)
{
	struct tconn *a, *b;
	json_object *e;

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	drain_all();
	say(a, "{\"type\":\"run\"}");
	turn();
	e = expect_error(a, "no_language");
	cr_assert_str_eq(str_of(e, "message"),
	                 "pick the pad's language before running it");
	expect_none(a);
	expect_none(b);
}

Test(hub, stdin_and_stop_without_a_run)
{
	struct tconn *a, *b;
	json_object *e;

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	say(a, "{\"type\":\"language\",\"language\":\"python\"}");
	turn();
	drain_all();
	say(a, "{\"type\":\"stdin\",\"data\":\"x\\n\"}");
	say(b, "{\"type\":\"stop\"}");
	turn();
	e = expect_error(a, "no_run");
	cr_assert_str_eq(str_of(e, "message"),
	                 "nothing is running in this pad");
	expect_error(b, "no_run");
	expect_none_all();
}

/* Turn until t has received a run event `end` (10 s at most). */
static void wait_run_end(struct tconn *t)
{
	for (int i = 0; i < 1000; i++) {
		turn();
		for (size_t k = t->r.read; k < t->r.n; k++) {
			json_object *o = t->r.msgs[k], *ev;
			if (strcmp(str_of(o, "type"), "run") == 0 &&
			    json_object_object_get_ex(o, "event", &ev) &&
			    strcmp(str_of(ev, "event"), "end") == 0)
				return;
		}
		sleep_ms(10);
	}
	cr_assert_fail("the run never ended");
}

static json_object *expect_event(struct tconn *t, const char *kind)
{
	json_object *o = expect(t, "run"), *ev = get(o, "event");

	cr_assert_str_eq(str_of(ev, "event"), kind, "%s", plain(o));
	return ev;
}

Test(hub, run_with_the_runner_unreachable)
{
	struct tconn *a, *b, *c;
	json_object *ev, *w, *r, *evs;
	const char *aid;

	start("ws.runner=http://127.0.0.1:1/api/", "ws.runner_timeout=1s", );
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	aid = str_of(a->r.msgs[0], "you");
	append(a, 0, 0, "print(1)");
	say(a, "{\"type\":\"language\",\"language\":\"python\"}");
	turn();
	drain_all();

	for (unsigned no = 1; no <= 2; no++) {
		say(a, "{\"type\":\"run\"}");
		say(b, "{\"type\":\"run\"}");
		cr_assert_eq(count_all(), 0, "nothing before the turn ends");
		wait_run_end(a);
		for (int i = 0; i < 2; i++) {
			struct tconn *t = i ? b : a;
			ev = expect_event(t, "started");
			cr_assert_eq(int_of(ev, "run"), no);
			cr_assert_str_eq(str_of(ev, "by"), aid);
			cr_assert_str_eq(str_of(ev, "name"), "Ada");
			cr_assert_eq(int_of(ev, "version"), 1);
			cr_assert_str_eq(str_of(ev, "language"), "python");
			if (t == b)
				expect_error(b, "run_in_progress");
			ev = expect_event(t, "error");
			cr_assert_str_eq(str_of(ev, "code"),
			                 "runner_unavailable");
			ev = expect_event(t, "end");
			cr_assert(has(ev, "verdict"));
			cr_assert_null(get(ev, "verdict"));
			expect_none(t);
		}
	}
	/* nothing runs any more */
	say(a, "{\"type\":\"stdin\",\"data\":\"1\\n\",\"eof\":true}");
	say(b, "{\"type\":\"stop\"}");
	turn();
	expect_error(a, "no_run");
	expect_error(b, "no_run");
	expect_none_all();

	/* a late joiner gets the last run with its events */
	c = conn_new();
	w = enter_t(c, "p", NULL);
	r = get(w, "run");
	cr_assert_eq(int_of(r, "run"), 2);
	cr_assert_str_eq(str_of(r, "by"), aid);
	cr_assert_eq(int_of(r, "version"), 1);
	cr_assert_str_eq(str_of(r, "language"), "python");
	cr_assert_eq(json_object_get_boolean(get(r, "active")), 0);
	evs = get(r, "events");
	cr_assert_eq(json_object_array_length(evs), 3);
	cr_assert_str_eq(str_of(json_object_array_get_idx(evs, 2), "event"),
	                 "end");

	/* and it is kept with the pad */
	restart();
	c = conn_new();
	w = enter_t(c, "p", NULL);
	r = get(w, "run");
	cr_assert_eq(int_of(r, "run"), 2);
	cr_assert_eq(json_object_get_boolean(get(r, "active")), 0);
	cr_assert_eq(json_object_array_length(get(r, "events")), 3);
	cr_assert_gt(atomic_load(&wakes), 0);
}

/* ---------------------------------------------------------------- leave */

Test(hub, leave_before_the_welcome)
{
	struct tconn *a, *b = conn_new();
	json_object *o;
	struct hub_stats st;

	start();
	a = enter("p", "Ada");
	join(b, "p");
	say(b, "{\"type\":\"hello\"}");
	say(b, "{\"type\":\"ping\"}");
	leave(b);
	turn();
	expect_none(b);
	expect(a, "join");
	o = expect(a, "leave");
	cr_assert(has(o, "id"));
	expect_none(a);
	hub_stats(h, &st);
	cr_assert_eq(st.connections, 1);
}

Test(hub, tests_are_shared_stored_and_run_only_when_present)
{
	struct tconn *a, *b, *c;
	json_object *o, *w;

	start();
	a = enter("t", "Ada");
	b = enter("t", "Bob");
	drain_all();
	say(a, "{\"type\":\"language\",\"language\":\"python\"}");
	say(a, "{\"type\":\"run\",\"tests\":true}");
	turn();
	expect(a, "language");
	expect_error(a, "no_tests");
	drain_all();

	say(a, "{\"type\":\"tests\",\"tests\":[{\"name\":\"one\",\"stdin\":"
	       "\"1 2\",\"expected_stdout\":\"3\"},{\"stdin\":\"\","
	       "\"expected_stdout\":\"x\"}]}");
	expect_none_all(); /* committed before anyone hears of it */
	turn();
	/* to everyone, the sender included, saying who */
	for (int i = 0; i < 2; i++) {
		o = expect(i ? b : a, "tests");
		cr_assert_str_eq(str_of(o, "by"), "p1");
		cr_assert_eq(json_object_array_length(get(o, "tests")), 2);
	}
	/* a run of the tests takes no stdin of its own */
	say(a, "{\"type\":\"run\",\"tests\":true,\"stdin\":\"x\"}");
	turn();
	expect_error(a, "bad_message");

	/* kept with the pad across a restart, and in every welcome */
	restart();
	c = conn_new();
	w = enter_t(c, "t", NULL);
	cr_assert_eq(json_object_array_length(get(w, "tests")), 2, "%s",
	             plain(w));
	cr_assert_str_eq(
	        str_of(json_object_array_get_idx(get(w, "tests"), 0), "name"),
	        "one");
}

/* ---------------------------------------------------------------- ws.ring */

/* no ws.handoff: nothing listens on these sockets */
#define RING_AB "ws.ring=unix:/a.sock, unix:/b.sock", "ws.handoff=no"

/* A pad id that the ring of c gives to this daemon (mine) or not. */
static void ring_pad(const struct wsconf *c, bool mine, char *out, size_t n)
{
	for (int i = 0; i < 1000; i++) {
		snprintf(out, n, "pad-%d", i);
		if (wsconf_owns(c, out, NULL) == mine)
			return;
	}
	cr_assert_fail("no pad found");
}

/* Swap in a new configuration, as a SIGHUP reload does. */
static void reload_with(const char *const *sets)
{
	size_t n = 0;
	struct wsconf *next;

	while (sets[n])
		n++;
	next = wsconf_load(NULL, (char *const *)sets, n, err, sizeof(err));
	cr_assert_not_null(next, "wsconf_load: %s", err);
	hub_set_conf(h, next);
	wsconf_free(conf);
	conf = next;
}

Test(hub, ring_owned_pad_is_served)
{
	char pad[32];
	struct tconn *a;

	start(RING_AB, "ws.ring_self=unix:/a.sock", );
	ring_pad(conf, true, pad, sizeof(pad));
	a = enter(pad, "Ada");
	cr_assert_not(a->r.closed);
	append(a, 0, 0, "hi");
	expect_doc(pad, "hi", 1);
}

/* A pad new here is not served while a daemon of the ring that may hold
   its history cannot be asked (ws/handoff.h): no pad is served empty by
   mistake. */
Test(hub, a_new_pad_waits_for_a_peer_that_cannot_be_asked)
{
	char pad[32];
	struct tconn *a = conn_new();
	json_object *e;

	start("ws.ring=unix:/nowhere/a.sock, unix:/nowhere/b.sock",
	      "ws.ring_self=unix:/nowhere/a.sock", );
	ring_pad(conf, true, pad, sizeof(pad));
	join(a, pad);
	say(a, "{\"type\":\"hello\",\"name\":\"Ada\"}");
	turn();
	/* the peer is asked from a thread; its answer ends a later turn */
	for (int i = 0; i < 200 && !a->r.n; i++) {
		sleep_ms(10);
		turn();
	}
	e = expect_error(a, "server_busy");
	cr_assert_str_eq(
	        str_of(e, "message"),
	        "the pad's earlier server cannot be reached to hand it over; try again in a minute");
	cr_assert(a->r.closed);
	cr_assert_eq(a->r.close_code, 4503);
}

Test(hub, ring_foreign_pad_is_refused_4421)
{
	char pad[32];
	struct tconn *a = conn_new();
	json_object *e;
	struct hub_stats st;

	start(RING_AB, "ws.ring_self=unix:/a.sock", );
	ring_pad(conf, false, pad, sizeof(pad));
	join(a, pad);
	say(a, "{\"type\":\"hello\",\"name\":\"Ada\"}");
	turn();
	e = expect_error(a, "wrong_daemon");
	cr_assert_str_eq(str_of(e, "message"),
	                 "pad is served by another daemon; reconnect through "
	                 "the proxy");
	expect_none(a);
	cr_assert(a->r.closed);
	cr_assert_eq(a->r.close_code, 4421);
	cr_assert_eq(a->r.close_at, 1); /* after the error */
	/* nothing more is answered while it closes, and nothing was loaded */
	say(a, "{\"type\":\"ping\"}");
	turn();
	expect_none(a);
	hub_stats(h, &st);
	cr_assert_eq(st.pads, 0);
	leave(a);
}

Test(hub, ring_reload_moves_pads_away)
{
	char mine[32], moved[32];
	struct tconn *a, *b, *c;
	json_object *e;
	struct hub_stats st;
	int i;

	/* one daemon owns everything; then b joins the ring */
	start("ws.ring=unix:/a.sock", "ws.ring_self=unix:/a.sock", );
	reload_with((const char *const[]){RING_AB, "ws.ring_self=unix:/a.sock",
	                                  NULL});
	ring_pad(conf, true, mine, sizeof(mine));
	ring_pad(conf, false, moved, sizeof(moved));
	reload_with((const char *const[]){"ws.ring=unix:/a.sock",
	                                  "ws.ring_self=unix:/a.sock", NULL});
	a = enter(mine, "Ada");
	b = enter(moved, "Bob");
	c = enter(moved, "Cy");
	append(b, 0, 0, "kept");
	drain_all();

	reload_with((const char *const[]){RING_AB, "ws.ring_self=unix:/a.sock",
	                                  NULL});
	for (size_t k = 0; k < 2; k++) {
		struct tconn *t = k ? c : b;
		e = expect_error(t, "wrong_daemon");
		cr_assert(t->r.closed);
		cr_assert_eq(t->r.close_code, 4421);
		cr_assert_eq(t->r.close_at, t->r.read);
	}
	cr_assert_not(a->r.closed);
	expect_none(a);
	(void)e;

	/* their messages go unanswered; once they are gone the pad leaves */
	say(b, "{\"type\":\"ping\"}");
	turn();
	expect_none(b);
	leave(b);
	leave(c);
	for (i = 0; i < 200; i++) {
		turn();
		hub_stats(h, &st);
		if (st.pads == 1)
			break;
		sleep_ms(10);
	}
	cr_assert_eq(st.pads, 1, "the moved pad stayed in memory");
	/* and a new hello for it is refused */
	c = conn_new();
	join(c, moved);
	say(c, "{\"type\":\"hello\"}");
	turn();
	expect_error(c, "wrong_daemon");
	cr_assert_eq(c->r.close_code, 4421);
	/* its update was stored before it left (the history stays here) */
	{
		struct padstore_pad sp;
		cr_assert_eq(padstore_load(ps, moved, &sp, err, sizeof(err)), 0,
		             "%s", err);
		cr_assert_eq(sp.head, 1);
		padstore_pad_fini(&sp);
	}
	/* the pad that stayed still works */
	append(a, 0, 0, "ok");
	expect_doc(mine, "ok", 1);
}

/* A peer of the ring as the hub sees it: GET /handoff/<pad> answers with a
   dump made from a store of its own, GET .../forget with 200, anything
   else 404. */
struct peer {
	int fd;
	pthread_t thread;
	const char *pads[2];
	char *dumps[2];
	size_t lens[2];
	atomic_int served; /* dumps sent */
	atomic_bool stop;
};

static void *peer_serve(void *arg)
{
	struct peer *pe = arg;

	while (!atomic_load(&pe->stop)) {
		char req[2048], path[600], head[200];
		size_t n = 0;
		int c = accept(pe->fd, NULL, NULL);
		const char *body = "";
		size_t blen = 0;
		int status = 404;

		if (c < 0)
			continue;
		while (n < sizeof(req) - 1) {
			ssize_t k = recv(c, req + n, sizeof(req) - 1 - n, 0);
			if (k <= 0)
				break;
			n += (size_t)k;
			req[n] = 0;
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[n] = 0;
		if (sscanf(req, "GET %599s ", path) == 1) {
			if (strstr(path, "/forget")) {
				status = 200;
				body = "{}";
				blen = 2;
			}
			for (int i = 0; i < 2 && status == 404; i++) {
				char want[200];
				snprintf(want, sizeof(want), "/handoff/%s",
				         pe->pads[i]);
				if (strcmp(path, want) == 0) {
					status = 200;
					body = pe->dumps[i];
					blen = pe->lens[i];
					atomic_fetch_add(&pe->served, 1);
				}
			}
		}
		snprintf(head, sizeof(head),
		         "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
		         "Connection: close\r\n\r\n",
		         status, blen);
		/* no cr_assert here: this is not the test's thread (a short
		   send shows as a broken dump to the hub, and the test fails) */
		if (send(c, head, strlen(head), MSG_NOSIGNAL) >= 0)
			(void)!send(c, body, blen, MSG_NOSIGNAL);
		close(c);
	}
	return NULL;
}

/* Two pads arrive from a peer and are taken in the same turn.  The hellos
   that waited for the first are welcomed before the second is stored, and a
   welcome writes (the join goes to the pad's events): the second pad's
   import must not wait for that turn's write lock, which this same thread
   holds.  It did, for ever, and the daemon stopped answering anyone. */
Test(hub, two_pads_that_arrive_in_one_turn_are_both_served)
{
	char self[100], peer_s[100], ring[220], self_set[120], pads[2][32];
	struct padstore *peer_store;
	struct padstore_options o = {0};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct peer pe = {0};
	struct tconn *a[2];
	char pdir[160];
	int k = 0;

	snprintf(self, sizeof(self), "unix:%s/self.sock", tmp);
	snprintf(peer_s, sizeof(peer_s), "%s/peer.sock", tmp);
	snprintf(ring, sizeof(ring), "ws.ring=%s, unix:%s", self, peer_s);
	snprintf(self_set, sizeof(self_set), "ws.ring_self=%s", self);
	start(ring, self_set, );
	for (int i = 0; i < 1000 && k < 2; i++) {
		snprintf(pads[k], sizeof(pads[k]), "pad-%d", i);
		if (wsconf_owns(conf, pads[k], NULL))
			k++;
	}
	cr_assert_eq(k, 2);

	/* the peer holds both, three updates each */
	snprintf(pdir, sizeof(pdir), "%s/peer", tmp);
	o.dir = pdir;
	cr_assert_eq(padstore_open(&o, &peer_store, err, sizeof(err)), 0, "%s",
	             err);
	for (int i = 0; i < 2; i++) {
		struct padstore_txn *t;
		struct buf b = {0};
		uint64_t head = 0;
		const char *up[] = {
		        "{\"clientID\":\"a\",\"changes\":[[0,\"ab\"]]}",
		        "{\"clientID\":\"a\",\"changes\":[2,[0,\"c\"]]}",
		        "{\"clientID\":\"a\",\"changes\":[3,[0,\"d\"]]}"};
		cr_assert_eq(padstore_begin(peer_store, &t, err, sizeof(err)),
		             0);
		for (int v = 0; v < 3; v++)
			cr_assert_eq(padstore_put_update(t, pads[i],
			                                 (uint64_t)v + 1, up[v],
			                                 strlen(up[v])),
			             0);
		cr_assert_eq(padstore_put_meta(t, pads[i], 3, "python", 1234),
		             0);
		cr_assert_eq(padstore_commit(t, err, sizeof(err)), 0, "%s",
		             err);
		cr_assert_eq(handoff_export(peer_store, pads[i], &b, &head, err,
		                            sizeof(err)),
		             0, "%s", err);
		cr_assert_eq(head, 3);
		pe.pads[i] = pads[i];
		pe.dumps[i] = buf_steal(&b, &pe.lens[i]);
	}
	padstore_close(peer_store);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", peer_s);
	pe.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(pe.fd, 0);
	cr_assert_eq(bind(pe.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(pe.fd, 8), 0);
	cr_assert_eq(pthread_create(&pe.thread, NULL, peer_serve, &pe), 0);

	/* both hellos in one turn; both answers in before the next */
	for (int i = 0; i < 2; i++) {
		a[i] = conn_new();
		join(a[i], pads[i]);
		say(a[i], "{\"type\":\"hello\",\"name\":\"P%d\"}", i);
	}
	turn();
	for (int i = 0; i < 500 && atomic_load(&pe.served) < 2; i++)
		sleep_ms(10);
	cr_assert_eq(atomic_load(&pe.served), 2);
	sleep_ms(300); /* the asking thread marks itself done */
	turn();
	for (int i = 0; i < 2; i++) {
		json_object *w = expect(a[i], "welcome");
		cr_assert_eq(int_of(w, "version"), 3, "%s", plain(w));
		cr_assert_str_eq(str_of(w, "doc"), "abcd");
	}
	for (int i = 0; i < 2; i++)
		expect_doc(pads[i], "abcd", 3);
	/* and the pads go on */
	append(a[1], 3, 4, "e");
	expect_doc(pads[1], "abcde", 4);

	atomic_store(&pe.stop, true);
	shutdown(pe.fd, SHUT_RDWR);
	{ /* wake accept() */
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		connect(c, (struct sockaddr *)&sa, sizeof(sa));
		close(c);
	}
	pthread_join(pe.thread, NULL);
	close(pe.fd);
	free(pe.dumps[0]);
	free(pe.dumps[1]);
}

/* ------------------------------------------------------ injected failure */

/*
 * test_hub links with -Wl,--wrap=wsmsg_alloc: every message the hub makes
 * goes through here, and fail_next_alloc makes the next one fail.
 */
struct wsmsg *__real_wsmsg_alloc(size_t len);
struct wsmsg *__wrap_wsmsg_alloc(size_t len);
static int fail_next_alloc;

struct wsmsg *__wrap_wsmsg_alloc(size_t len)
{
	if (fail_next_alloc) {
		fail_next_alloc = 0;
		return NULL;
	}
	return __real_wsmsg_alloc(len);
}

/*
 * The broadcast of an accepted push cannot be made: the update was
 * applied and stored in the turn's transaction, so the turn fails. The
 * pusher is told store_error, nobody else hears of it, and the pad stays
 * at its last committed version in memory and in the store; the next push
 * goes through.
 */
Test(hub, a_broadcast_that_cannot_be_made_fails_the_push)
{
	struct tconn *a, *b;
	json_object *o, *w;
	int64_t vv;
	char *doc;

	start();
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	drain_all();
	fail_next_alloc = 1;
	say(a,
	    "{\"type\":\"push\",\"version\":0,\"ref\":1,"
	    "\"updates\":[{\"clientID\":\"ka\",\"changes\":[[0,\"lost\"]]}]}");
	turn();
	cr_assert_eq(fail_next_alloc, 0, "the broadcast was not allocated");
	o = next_msg(a);
	cr_assert_str_eq(str_of(o, "type"), "error", "%s", plain(o));
	cr_assert_str_eq(str_of(o, "code"), "store_error", "%s", plain(o));
	cr_assert_eq(int_of(o, "head"), 0);
	cr_assert_eq(int_of(o, "ref"), 1);
	expect_none_all();

	w = enter_t(conn_new(), "p", NULL);
	cr_assert_eq(int_of(w, "version"), 0);
	cr_assert_str_eq(str_of(w, "doc"), "");
	drain_all();

	say(a,
	    "{\"type\":\"push\",\"version\":0,\"ref\":2,"
	    "\"updates\":[{\"clientID\":\"ka\",\"changes\":[[0,\"kept\"]]}]}");
	turn();
	o = next_msg(a);
	cr_assert_str_eq(str_of(o, "type"), "updates", "%s", plain(o));
	expect(b, "updates");

	restart();
	doc = pad_doc("p", &vv);
	cr_assert_eq(vv, 1);
	cr_assert_str_eq(doc, "kept");
	free(doc);
}

/* A run API that answers every request with one fixed response, and
   keeps the body of the last request it was sent (what the hub asked the
   runner for). */
struct fixed_api {
	int fd;
	int port;
	const char *answer;
	atomic_int hold_ms; /* wait this long before answering */
	pthread_t th;
	pthread_mutex_t lock;
	char body[8192]; /* the last request's body, under lock */
};

static void *fixed_api_main(void *arg)
{
	struct fixed_api *f = arg;

	for (;;) {
		int c = accept(f->fd, NULL, NULL);
		char buf[8192];
		size_t n = 0;
		if (c < 0)
			return NULL;
		/* the request: headers, then Content-Length bytes */
		for (;;) {
			ssize_t k = read(c, buf + n, sizeof(buf) - 1 - n);
			if (k <= 0)
				break;
			n += (size_t)k;
			buf[n] = '\0';
			char *e = strstr(buf, "\r\n\r\n");
			char *cl = strcasestr(buf, "content-length:");
			if (e &&
			    (!cl || (size_t)(e + 4 - buf) + strtoul(cl + 15,
			                                            NULL, 10) <=
			                    n))
				break;
		}
		{
			char *e = strstr(buf, "\r\n\r\n");
			pthread_mutex_lock(&f->lock);
			snprintf(f->body, sizeof(f->body), "%s",
			         e ? e + 4 : "");
			pthread_mutex_unlock(&f->lock);
		}
		sleep_ms(atomic_load(&f->hold_ms));
		/* the client may be gone (a run stopped early): no SIGPIPE */
		(void)!send(c, f->answer, strlen(f->answer), MSG_NOSIGNAL);
		close(c);
	}
}

static void fixed_api_start(struct fixed_api *f, const char *answer)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->answer = answer;
	f->body[0] = '\0';
	cr_assert_eq(pthread_mutex_init(&f->lock, NULL), 0);
	f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(f->fd, 0);
	cr_assert_eq(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(f->fd, 8), 0);
	cr_assert_eq(getsockname(f->fd, (struct sockaddr *)&sa, &len), 0);
	f->port = ntohs(sa.sin_port);
	cr_assert_eq(pthread_create(&f->th, NULL, fixed_api_main, f), 0);
}

static void fixed_api_stop(struct fixed_api *f)
{
	shutdown(f->fd, SHUT_RDWR);
	close(f->fd);
	pthread_join(f->th, NULL);
	pthread_mutex_destroy(&f->lock);
}

/* The body of the last request f was sent, parsed (the caller puts it). */
static json_object *fixed_api_request(struct fixed_api *f)
{
	json_object *o;

	pthread_mutex_lock(&f->lock);
	o = json_tokener_parse(f->body);
	pthread_mutex_unlock(&f->lock);
	cr_assert_not_null(o, "the runner was sent no JSON body");
	return o;
}

/* A runner with every slot taken, as the run API answers then. */
#define BUSY_503                                                               \
	"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 3\r\n"               \
	"Content-Type: application/json\r\nContent-Length: 66\r\n"             \
	"Connection: close\r\n\r\n"                                            \
	"{\"error\":{\"code\":\"busy\",\"message\":\"every slot is busy\"}}"

/* A busy runner's Retry-After reaches everyone in the pad. */
Test(hub, run_refused_busy_says_when_to_retry)
{
	static struct fixed_api api;
	struct tconn *a, *b;
	json_object *ev;
	char runner[80];

	fixed_api_start(&api, BUSY_503);
	snprintf(runner, sizeof(runner), "ws.runner=http://127.0.0.1:%d/api/",
	         api.port);
	start(runner, "ws.runner_timeout=5s", );
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	append(a, 0, 0, "print(1)");
	say(a, "{\"type\":\"language\",\"language\":\"python\"}");
	turn();
	drain_all();

	say(a, "{\"type\":\"run\"}");
	wait_run_end(a);
	for (int i = 0; i < 2; i++) {
		struct tconn *t = i ? b : a;
		expect_event(t, "started");
		ev = expect_event(t, "error");
		cr_assert_str_eq(str_of(ev, "code"), "busy");
		cr_assert_str_eq(str_of(ev, "message"), "every slot is busy");
		cr_assert_eq(int_of(ev, "retry_after_ms"), 3000);
		ev = expect_event(t, "end");
		cr_assert_null(get(ev, "verdict"));
		expect_none(t);
	}
	fixed_api_stop(&api);
}

/* ws.runs_per_minute: a pad that ran its share waits, told how long; a
   refused run starts nothing.  ws.max_runs: a daemon with that many runs
   going refuses one more, in any pad. */
Test(hub, runs_are_limited_per_pad_and_per_daemon)
{
	static struct fixed_api api;
	struct tconn *a, *b;
	json_object *e;
	char runner[80];
	int64_t wait;

	fixed_api_start(&api, BUSY_503);
	snprintf(runner, sizeof(runner), "ws.runner=http://127.0.0.1:%d/api/",
	         api.port);
	start(runner, "ws.runner_timeout=5s", "ws.runs_per_minute=2", );
	a = enter("p", "Ada");
	b = enter("q", "Bob");
	append(a, 0, 0, "print(1)");
	say(a, "{\"type\":\"language\",\"language\":\"python\"}");
	turn();
	drain_all();
	for (int i = 0; i < 2; i++) {
		say(a, "{\"type\":\"run\"}");
		wait_run_end(a);
		drain_all();
	}
	say(a, "{\"type\":\"run\"}");
	turn();
	e = expect_error(a, "run_limited");
	cr_assert_str_eq(str_of(e, "message"),
	                 "too many runs: at most 2 a minute in one pad");
	wait = int_of(e, "retry_after_ms");
	/* one run back in 30 s, less what passed since the bucket emptied */
	cr_assert(wait > 25000 && wait <= 30001, "retry_after_ms %lld",
	          (long long)wait);
	expect_none(a);
	fixed_api_stop(&api);

	/* one run at a time for the whole daemon: the fake runner holds
	   the first answer long enough for the second pad to ask */
	hub_free(h);
	h = NULL;
	padstore_close(ps);
	ps = NULL;
	wsconf_free(conf);
	for (size_t i = 0; i < nconns; i++)
		conns[i]->live = false;
	atomic_store(&api.hold_ms, 1500);
	fixed_api_start(&api, BUSY_503);
	snprintf(runner, sizeof(runner), "ws.runner=http://127.0.0.1:%d/api/",
	         api.port);
	start(runner, "ws.runner_timeout=5s", "ws.max_runs=1", );
	a = enter("p", "Ada");
	b = enter("q", "Bob");
	say(a, "{\"type\":\"language\",\"language\":\"python\"}");
	say(b, "{\"type\":\"language\",\"language\":\"python\"}");
	turn();
	drain_all();
	say(a, "{\"type\":\"run\"}");
	turn();
	say(b, "{\"type\":\"run\"}");
	turn();
	e = expect_error(b, "run_limited");
	cr_assert_str_eq(
	        str_of(e, "message"),
	        "this server runs 1 pads' programs at once, the most it allows; try again in a few seconds");
	cr_assert_eq(int_of(e, "retry_after_ms"), 2000);
	wait_run_end(a);
	fixed_api_stop(&api);
}

/* Every shared run asks the runner for the pad's toolchain: `version`
   when it has a variant, `options` when it has some; neither otherwise.
   The run's started event and its record say which it ran with. */
Test(hub, a_run_asks_the_runner_for_the_pads_toolchain)
{
	static struct fixed_api api;
	struct tconn *a, *b;
	json_object *req, *ev, *w;
	char runner[80];

	fixed_api_start(&api, BUSY_503);
	snprintf(runner, sizeof(runner), "ws.runner=http://127.0.0.1:%d/api/",
	         api.port);
	start(runner, "ws.runner_timeout=5s", );
	a = enter("p", "Ada");
	b = enter("p", "Bob");
	append(a, 0, 0, "int main(void){}");
	say(a, "{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	       "\"clang-15\",\"options\":{\"std\":\"c11\",\"opt\":\"-O0\"}}");
	turn();
	drain_all();

	say(b, "{\"type\":\"run\"}");
	wait_run_end(b);
	req = fixed_api_request(&api);
	cr_assert_str_eq(str_of(req, "language"), "c");
	cr_assert_str_eq(str_of(req, "version"), "clang-15");
	cr_assert_str_eq(plain(get(req, "options")),
	                 "{\"std\":\"c11\",\"opt\":\"-O0\"}");
	cr_assert_str_eq(str_of(req, "code"), "int main(void){}");
	json_object_put(req);
	ev = expect_event(a, "started");
	cr_assert_str_eq(toolchain_of(ev),
	                 "clang-15|{\"std\":\"c11\",\"opt\":\"-O0\"}");
	drain_all();
	w = enter_t(conn_new(), "p", NULL);
	cr_assert_str_eq(toolchain_of(get(w, "run")),
	                 "clang-15|{\"std\":\"c11\",\"opt\":\"-O0\"}");

	/* the language changes: the defaults, asked for by saying nothing */
	say(a, "{\"type\":\"language\",\"language\":\"python\"}");
	turn();
	say(a, "{\"type\":\"run\",\"tests\":false}");
	wait_run_end(a);
	req = fixed_api_request(&api);
	cr_assert_str_eq(str_of(req, "language"), "python");
	cr_assert_not(has(req, "version"), "%s", plain(req));
	cr_assert_not(has(req, "options"), "%s", plain(req));
	json_object_put(req);
	/* the run kept from before says what it ran with */
	restart();
	w = enter_t(conn_new(), "p", NULL);
	cr_assert_str_eq(str_of(get(w, "run"), "language"), "python");
	cr_assert_str_eq(toolchain_of(get(w, "run")), "null|{}");
	fixed_api_stop(&api);
}

/* ---------------------------------------------------------------- coverage */

#define RUN_ID "0123456789abcdef0123456789abcdef"
#define NDJSON_RUN                                                             \
	"{\"event\":\"start\",\"id\":\"" RUN_ID "\",\"language\":\"python\","  \
	"\"version\":\"3.11.2\",\"interactive\":true,\"control\":"             \
	"\"/api/runs/" RUN_ID "/\"}\n"                                         \
	"{\"event\":\"queued\",\"position\":1}\n"                              \
	"{\"event\":\"compile_start\",\"stage\":\"compile\"}\n"                \
	"{\"event\":\"exit\",\"stage\":\"compile\",\"verdict\":\"accepted\","  \
	"\"time_limit\":null,\"exit_code\":0,\"signal\":null,"                 \
	"\"signal_name\":null,\"cpu_ms\":1,\"wall_ms\":2,"                     \
	"\"memory_bytes\":4096,\"message\":\"\"}\n"                            \
	"{\"event\":\"run_start\",\"stage\":\"run\"}\n"                        \
	"{\"event\":\"stdout\",\"stage\":\"run\",\"data\":\"1\\n\"}\n"         \
	"{\"event\":\"stderr\",\"stage\":\"run\",\"data\":\"oops\\n\"}\n"      \
	"{\"event\":\"exit\",\"stage\":\"run\",\"verdict\":\"accepted\","      \
	"\"time_limit\":null,\"exit_code\":0,\"signal\":null,"                 \
	"\"signal_name\":null,\"cpu_ms\":1,\"wall_ms\":2,"                     \
	"\"memory_bytes\":4096,\"message\":\"\"}\n"                            \
	"{\"event\":\"result\",\"result\":{\"language\":\"python\","           \
	"\"verdict\":\"accepted\",\"id\":\"" RUN_ID "\"}}\n"

/*
 * Every message and run event that docs/protocol.json describes, the hub
 * sends (t_send checks each against the file): the description holds
 * nothing the daemon never says.
 */
Test(hub, sends_every_described_message)
{
	static struct fixed_api api;
	const char *names[64];
	struct tconn *a, *b, *c;
	char runner[80];
	int n;

	fixed_api_start(&api, "HTTP/1.1 200 OK\r\nContent-Type: "
	                      "application/x-ndjson\r\nConnection: "
	                      "close\r\n\r\n" NDJSON_RUN);
	snprintf(runner, sizeof(runner), "ws.runner=http://127.0.0.1:%d/api/",
	         api.port);
	start(runner, "ws.runner_timeout=5s", "ws.max_catchup=1", );
	a = enter("p", "Ada");                       /* welcome */
	b = enter("p", "Bob");                       /* join */
	append(a, 0, 0, "print(1)");                 /* updates */
	append(a, 1, 8, " print(2)");                /* updates */
	say(b, "{\"type\":\"pull\",\"version\":1}"); /* updates */
	say(b, "{\"type\":\"pull\",\"version\":0}"); /* snapshot */
	say(b, "{\"type\":\"nope\"}");               /* error */
	say(b, "{\"type\":\"ping\"}");               /* pong */
	say(b, "{\"type\":\"profile\",\"name\":\"Bo\"}");
	say(b, "{\"type\":\"presence\",\"version\":2,\"selection\":{\"main\":"
	       "0,\"ranges\":[{\"anchor\":1,\"head\":3}]}}");
	say(a, "{\"type\":\"language\",\"language\":\"python\"}");
	say(a, "{\"type\":\"tests\",\"tests\":[{\"stdin\":\"\","
	       "\"expected_stdout\":\"1\\n\"}]}");
	turn();
	c = conn_new();
	enter_t(c, "p", ",\"version\":1"); /* a welcome with updates */
	leave(c);                          /* leave */
	turn();

	/* a run the runner streams to its end: its events */
	say(a, "{\"type\":\"run\"}");
	wait_run_end(a);
	/* one stopped before the runner answers: stdin, stop, error */
	atomic_store(&api.hold_ms, 300);
	drain_all();
	say(a, "{\"type\":\"run\",\"tests\":true}");
	say(b, "{\"type\":\"stop\"}");
	turn();
	say(a, "{\"type\":\"run\",\"stdin\":\"x\\n\"}");
	wait_run_end(a);
	drain_all();
	say(a, "{\"type\":\"run\"}");
	turn();
	say(b, "{\"type\":\"stdin\",\"data\":\"2\\n\",\"eof\":true}");
	say(b, "{\"type\":\"stop\"}");
	wait_run_end(b);
	fixed_api_stop(&api);
	/* a pad with links: control, links, history */
	{
		struct tconn *o = conn_new();
		join(o, "q");
		say(o, "{\"type\":\"hello\",\"create\":{}}");
		turn();
		say(o, "{\"type\":\"control\",\"locked\":true}");
		say(o, "{\"type\":\"links\",\"rotate\":\"observer\"}");
		turn();
		say(o, "{\"type\":\"history\",\"from\":0}");
		turn();
	}

	n = protodesc_names(desc, "serverMessage", "type", names, 64);
	cr_assert_gt(n, 0);
	for (int i = 0; i < n; i++) {
		bool seen = false;
		for (size_t k = 0; k < nsent_types; k++)
			seen = seen || strcmp(sent_types[k], names[i]) == 0;
		cr_assert(seen,
		          "docs/protocol.json describes the message '%s', the "
		          "hub never sent one",
		          names[i]);
	}
	n = protodesc_names(desc, "runEvent", "event", names, 64);
	cr_assert_gt(n, 0);
	for (int i = 0; i < n; i++) {
		char k[24];
		bool seen = false;
		snprintf(k, sizeof(k), "run.%s", names[i]);
		for (size_t j = 0; j < nsent_types; j++)
			seen = seen || strcmp(sent_types[j], k) == 0;
		cr_assert(seen,
		          "docs/protocol.json describes the run event '%s', "
		          "the hub never sent one",
		          names[i]);
	}
}

/* ---------------------------------------------------------------- roles */

struct links {
	char owner[40], candidate[40], observer[40];
};

/* t makes pad with links (create, extra JSON inside it); its welcome. */
static json_object *create_pad(struct tconn *t, const char *pad,
                               const char *extra, struct links *k)
{
	json_object *w, *l;

	join(t, pad);
	say(t, "{\"type\":\"hello\",\"name\":\"Grace\",\"create\":{%s}}",
	    extra ? extra : "");
	turn();
	w = expect(t, "welcome");
	cr_assert_str_eq(str_of(w, "role"), "owner");
	l = get(w, "links");
	snprintf(k->owner, sizeof(k->owner), "%s", str_of(l, "owner"));
	snprintf(k->candidate, sizeof(k->candidate), "%s",
	         str_of(l, "candidate"));
	snprintf(k->observer, sizeof(k->observer), "%s", str_of(l, "observer"));
	return w;
}

/* A new connection in pad with key; its welcome, which must say role. */
static struct tconn *enter_key(const char *pad, const char *name,
                               const char *key, const char *role)
{
	struct tconn *t = conn_new();
	char extra[160];
	json_object *w;

	snprintf(extra, sizeof(extra), ",\"name\":\"%s\",\"key\":\"%s\"", name,
	         key);
	w = enter_t(t, pad, extra);
	cr_assert_str_eq(str_of(w, "role"), role);
	cr_assert_not(has(w, "links"), "links are said only at creation");
	cr_assert_eq(has(w, "notes"), strcmp(role, "owner") == 0,
	             "notes go to owners only: %s", plain(w));
	return t;
}

/* As expect_doc, for a pad with links: through an owner's key. */
static void expect_doc_key(const char *pad, const char *key, const char *text,
                           int64_t version)
{
	struct tconn *t = conn_new();
	char extra[100];
	json_object *w;

	snprintf(extra, sizeof(extra), ",\"key\":\"%s\"", key);
	w = enter_t(t, pad, extra);
	cr_assert_str_eq(str_of(w, "doc"), text);
	cr_assert_eq(int_of(w, "version"), version);
	leave(t);
	turn();
	drain_all();
}

/* t's participant id, from its welcome (its first message). */
static const char *you(struct tconn *t)
{
	cr_assert_gt(t->r.n, 0);
	return str_of(t->r.msgs[0], "you");
}

/* hello with key is refused with code and closed with close. */
static void refused_key(const char *pad, const char *key, const char *code,
                        int close)
{
	struct tconn *t = conn_new();

	join(t, pad);
	if (key)
		say(t, "{\"type\":\"hello\",\"key\":\"%s\"}", key);
	else
		say(t, "{\"type\":\"hello\"}");
	turn();
	expect_error(t, code);
	expect_none(t);
	cr_assert(t->r.closed);
	cr_assert_eq(t->r.close_code, close);
}

/* True when any message t was sent holds needle. */
static bool saw_text(const struct tconn *t, const char *needle)
{
	for (size_t i = 0; i < t->r.n; i++)
		if (strstr(plain(t->r.msgs[i]), needle))
			return true;
	return false;
}

Test(hub, roles_create_makes_three_links_stored_as_hashes)
{
	struct tconn *o = conn_new();
	struct links k;
	struct padstore_pad sp;
	json_object *w, *c, *n;

	start();
	w = create_pad(o, "r", "\"title\":\"Two sum\",\"language\":\"python\"",
	               &k);
	cr_assert_eq(strlen(k.owner), 32);
	cr_assert_eq(strlen(k.candidate), 32);
	cr_assert_eq(strlen(k.observer), 32);
	cr_assert_str_neq(k.owner, k.candidate);
	cr_assert_str_neq(k.candidate, k.observer);
	cr_assert_str_eq(str_of(w, "language"), "python");
	c = get(w, "controls");
	cr_assert_str_eq(plain(c), "{\"title\":\"Two sum\",\"locked\":false,"
	                           "\"runs_locked\":false,\"ended\":false,"
	                           "\"playback\":false}");
	n = get(w, "notes");
	cr_assert_eq(int_of(n, "version"), 0);
	cr_assert_str_eq(str_of(n, "doc"), "");
	/* the store has the hashes, never a key */
	cr_assert_eq(padstore_load(ps, "r", &sp, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert(sp.exists);
	cr_assert_not_null(sp.access);
	cr_assert_null(strstr(sp.access, k.owner));
	cr_assert_null(strstr(sp.access, k.candidate));
	cr_assert_null(strstr(sp.access, k.observer));
	cr_assert_eq(strlen(sp.access) > 3 * 64, true, "%s", sp.access);
	padstore_pad_fini(&sp);
}

Test(hub, roles_keys_give_roles_and_others_are_refused)
{
	struct tconn *o = conn_new(), *ca, *ob;
	struct links k;
	json_object *w, *j;
	char wrong[40];

	start();
	create_pad(o, "r", NULL, &k);
	ca = enter_key("r", "Ada", k.candidate, "candidate");
	j = get(expect(o, "join"), "participant");
	cr_assert_str_eq(str_of(j, "role"), "candidate");
	ob = enter_key("r", "Obi", k.observer, "observer");
	(void)ob;
	/* the welcome lists the others with their roles */
	{
		struct tconn *o2 = conn_new();
		char extra[100];
		snprintf(extra, sizeof(extra), ",\"key\":\"%s\"", k.owner);
		w = enter_t(o2, "r", extra);
		cr_assert_str_eq(str_of(w, "role"), "owner");
		j = get(w, "participants");
		cr_assert_eq(json_object_array_length(j), 3);
		cr_assert_str_eq(
		        str_of(json_object_array_get_idx(j, 0), "role"),
		        "observer");
		cr_assert_str_eq(
		        str_of(json_object_array_get_idx(j, 1), "role"),
		        "candidate");
		cr_assert_str_eq(
		        str_of(json_object_array_get_idx(j, 2), "role"),
		        "owner");
	}
	refused_key("r", NULL, "bad_link", 4403);
	snprintf(wrong, sizeof(wrong), "%s", k.candidate);
	wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
	refused_key("r", wrong, "bad_link", 4403);
	/* not the shape of a key at all: refused by the parser, not closed */
	{
		struct tconn *t = conn_new();
		join(t, "r");
		say(t, "{\"type\":\"hello\",\"key\":\"short\"}");
		turn();
		expect_error(t, "bad_link");
		cr_assert_not(t->r.closed);
	}
	/* the candidate edits */
	drain_all();
	append(ca, 0, 0, "x");
}

/* Every message an observer may not send is refused with forbidden and
   changes nothing, whatever it holds. */
Test(hub, roles_observer_frames_are_forbidden_and_change_nothing)
{
	static const char *const frames[] = {
	        "{\"type\":\"push\",\"version\":1,\"updates\":[{\"clientID\":"
	        "\"x\",\"changes\":[1,[0,\"EVIL\"]]}]}",
	        "{\"type\":\"push\",\"version\":0,\"doc\":\"notes\","
	        "\"updates\":[{\"clientID\":\"x\",\"changes\":[[0,\"EVIL\"]]}]}",
	        "{\"type\":\"pull\",\"version\":0,\"doc\":\"notes\"}",
	        "{\"type\":\"language\",\"language\":\"evil\"}",
	        "{\"type\":\"tests\",\"tests\":[]}",
	        "{\"type\":\"run\"}",
	        "{\"type\":\"stdin\",\"data\":\"EVIL\"}",
	        "{\"type\":\"stop\"}",
	        "{\"type\":\"presence\",\"version\":1,\"selection\":null}",
	        "{\"type\":\"control\",\"locked\":true}",
	        "{\"type\":\"links\",\"rotate\":\"candidate\"}",
	        "{\"type\":\"remove\",\"id\":\"p1\"}",
	        "{\"type\":\"history\",\"from\":0}",
	        "{\"type\":\"history\",\"doc\":\"notes\",\"from\":0}",
	};
	struct tconn *o = conn_new(), *ca, *ob;
	struct links k;
	int64_t v;
	char *doc;

	start();
	create_pad(o, "r", NULL, &k);
	append(o, 0, 0, "x");
	ca = enter_key("r", "Ada", k.candidate, "candidate");
	ob = enter_key("r", "Obi", k.observer, "observer");
	drain_all();
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		json_object *e;
		hub_message(h, &ob->hc, frames[i], strlen(frames[i]), false,
		            false);
		turn();
		e = expect_error(ob, "forbidden");
		cr_assert(strlen(str_of(e, "message")) > 10);
		expect_none_all();
		cr_assert_not(ob->r.closed, "a forbidden frame closes nothing");
	}
	expect_doc_key("r", k.owner, "x", 1);
	(void)v;
	(void)doc;
	/* a candidate may not use the owner's messages either */
	for (size_t i = 9; i < sizeof(frames) / sizeof(frames[0]); i++) {
		hub_message(h, &ca->hc, frames[i], strlen(frames[i]), false,
		            false);
		turn();
		expect_error(ca, "forbidden");
		expect_none_all();
	}
	say(ca, "%s", frames[1]); /* the notes */
	turn();
	expect_error(ca, "forbidden");
}

Test(hub, roles_controls_lock_end_and_survive_a_restart)
{
	struct tconn *o = conn_new(), *ca, *ob;
	struct links k;
	json_object *c, *e;

	start();
	create_pad(o, "r", NULL, &k);
	ca = enter_key("r", "Ada", k.candidate, "candidate");
	ob = enter_key("r", "Obi", k.observer, "observer");
	append(ca, 0, 0, "a");
	drain_all();
	say(o, "{\"type\":\"control\",\"locked\":true,\"title\":\"Q1\"}");
	turn();
	/* everyone sees it, the sender too */
	for (struct tconn *const *t = (struct tconn *const[]){o, ca, ob, NULL};
	     *t; t++) {
		c = expect(*t, "control");
		cr_assert_str_eq(str_of(c, "by"), you(o));
		cr_assert_str_eq(plain(get(c, "controls")),
		                 "{\"title\":\"Q1\",\"locked\":true,"
		                 "\"runs_locked\":false,\"ended\":false,"
		                 "\"playback\":false}");
	}
	push(ca, 1, "[1,[0,\"b\"]]");
	say(ca, "{\"type\":\"language\",\"language\":\"c\"}");
	turn();
	e = expect_error(ca, "forbidden");
	cr_assert_str_eq(str_of(e, "message"),
	                 "editing is locked by the interviewer");
	expect_error(ca, "forbidden");
	expect_none_all();
	append(o, 1, 1, "o"); /* owners edit */
	say(o, "{\"type\":\"control\",\"locked\":false,\"runs_locked\":true}");
	turn();
	drain_all();
	append(ca, 2, 2, "c");
	say(ca, "{\"type\":\"run\"}");
	turn();
	e = expect_error(ca, "forbidden");
	cr_assert_str_eq(str_of(e, "message"),
	                 "runs are locked by the interviewer");
	say(o, "{\"type\":\"control\",\"runs_locked\":false,\"ended\":true}");
	turn();
	drain_all();
	push(ca, 3, "[3,[0,\"d\"]]");
	turn();
	e = expect_error(ca, "forbidden");
	cr_assert_str_eq(str_of(e, "message"),
	                 "the interview has ended; the pad is read-only");
	expect_doc_key("r", k.owner, "aoc", 3);

	restart();
	ca = enter_key("r", "Ada", k.candidate, "candidate");
	c = get(ca->r.msgs[0], "controls");
	cr_assert_str_eq(plain(c), "{\"title\":\"Q1\",\"locked\":false,"
	                           "\"runs_locked\":false,\"ended\":true,"
	                           "\"playback\":false}");
	push(ca, 3, "[3,[0,\"d\"]]");
	turn();
	expect_error(ca, "forbidden");
	expect_doc_key("r", k.owner, "aoc", 3);
}

/* Whoever may change the language may change the toolchain: an observer
   is refused (forbidden, nothing changes), a candidate while the pad is
   locked too; it is kept in the access record with the links and the
   controls, which a restart keeps alike. */
Test(hub, roles_toolchain_follows_the_language_rules)
{
	struct tconn *o = conn_new(), *ca, *ob;
	struct links k;
	json_object *e, *w;

	start();
	create_pad(o, "r", "\"language\":\"c\"", &k);
	ca = enter_key("r", "Ada", k.candidate, "candidate");
	ob = enter_key("r", "Obi", k.observer, "observer");
	cr_assert_str_eq(toolchain_of(ob->r.msgs[0]), "null|{}");
	drain_all();

	say(ob, "{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	        "\"clang-15\"}");
	turn();
	e = expect_error(ob, "forbidden");
	cr_assert_str_eq(str_of(e, "message"),
	                 "observers cannot edit this pad");
	expect_none_all();

	say(ca, "{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	        "\"clang-15\",\"options\":{\"std\":\"c2x\"}}");
	turn();
	for (struct tconn *const *t = (struct tconn *const[]){o, ca, ob, NULL};
	     *t; t++)
		cr_assert_str_eq(toolchain_of(expect(*t, "language")),
		                 "clang-15|{\"std\":\"c2x\"}");
	say(o, "{\"type\":\"control\",\"locked\":true,\"title\":\"Q2\"}");
	turn();
	drain_all();
	say(ca, "{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	        "\"gcc-12\"}");
	turn();
	e = expect_error(ca, "forbidden");
	cr_assert_str_eq(str_of(e, "message"),
	                 "editing is locked by the interviewer");
	expect_none_all();

	restart();
	ob = enter_key("r", "Obi", k.observer, "observer");
	w = ob->r.msgs[0];
	cr_assert_str_eq(toolchain_of(w), "clang-15|{\"std\":\"c2x\"}");
	cr_assert_str_eq(str_of(get(w, "controls"), "title"), "Q2");
	cr_assert(json_object_get_boolean(get(get(w, "controls"), "locked")));
	o = enter_key("r", "Grace", k.owner, "owner");
	drain_all();
	say(o, "{\"type\":\"language\",\"language\":\"cpp\"}");
	turn();
	cr_assert_str_eq(toolchain_of(expect(ob, "language")), "null|{}");
}

/* A pad's access record as stored before toolchains (no variant, no
   options) and a run kept then load with the defaults and work. */
Test(hub, a_pad_stored_before_toolchains_has_the_defaults)
{
	struct tconn *o = conn_new(), *t;
	struct padstore_txn *txn;
	struct padstore_pad sp;
	struct links k;
	json_object *acc, *w;
	const char *s;

	start();
	create_pad(o, "r", "\"language\":\"c\"", &k);
	say(o, "{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	       "\"gcc-12\"}");
	turn();
	hub_free(h);
	h = NULL;
	cr_assert_eq(padstore_load(ps, "r", &sp, err, sizeof(err)), 0, "%s",
	             err);
	acc = json_tokener_parse(sp.access);
	padstore_pad_fini(&sp);
	cr_assert_not_null(acc);
	cr_assert_str_eq(str_of(acc, "variant"), "gcc-12");
	json_object_object_del(acc, "variant");
	json_object_object_del(acc, "options");
	s = plain(acc);
	cr_assert_eq(padstore_begin(ps, &txn, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(padstore_put_access(txn, "r", s, strlen(s)), 0);
	s = "{\"run\":1,\"by\":\"p1\",\"name\":\"Grace\",\"version\":0,"
	    "\"language\":\"c\",\"active\":false,\"verdict\":\"accepted\","
	    "\"truncated\":false,\"events\":[]}";
	cr_assert_eq(padstore_put_run(txn, "r", s, strlen(s)), 0);
	cr_assert_eq(padstore_commit(txn, err, sizeof(err)), 0, "%s", err);
	json_object_put(acc);
	restart();

	t = enter_key("r", "Ada", k.candidate, "candidate");
	w = t->r.msgs[0];
	cr_assert_str_eq(str_of(w, "language"), "c");
	cr_assert_str_eq(toolchain_of(w), "null|{}");
	cr_assert_str_eq(toolchain_of(get(w, "run")), "null|{}");
	cr_assert_str_eq(str_of(get(w, "controls"), "title"), "");
	refused_key("r", NULL, "bad_link", 4403); /* still a pad with links */
}

/* A pad's toolchain is in its dump (handoff.h): a pad that leaves this
   store and comes back from its dump, as it would arrive at another
   daemon, has it, open or with links. */
Test(hub, a_pads_toolchain_moves_with_its_dump)
{
	struct tconn *o = conn_new(), *a;
	struct links k;
	uint64_t head;
	json_object *w;

	start();
	a = enter("open", "Ada");
	say(a, "{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	       "\"clang-15\",\"options\":{\"std\":\"c11\"}}");
	turn();
	create_pad(o, "links", "\"language\":\"rust\"", &k);
	say(o, "{\"type\":\"language\",\"language\":\"rust\",\"options\":"
	       "{\"mode\":\"debug\",\"edition\":\"2018\"}}");
	turn();
	hub_free(h);
	h = NULL;
	for (int i = 0; i < 2; i++) {
		const char *pad = i ? "links" : "open";
		struct buf b = {0};
		size_t len;
		char *d;
		cr_assert_eq(
		        handoff_export(ps, pad, &b, &head, err, sizeof(err)), 0,
		        "%s", err);
		d = buf_steal(&b, &len);
		cr_assert_eq(padstore_delete(ps, pad, err, sizeof(err)), 0,
		             "%s", err);
		cr_assert_eq(handoff_import(ps, pad, d, len, &head, err,
		                            sizeof(err)),
		             0, "%s", err);
		free(d);
	}
	restart();
	w = enter_t(conn_new(), "open", NULL);
	cr_assert_str_eq(str_of(w, "role"), "editor");
	cr_assert_str_eq(toolchain_of(w), "clang-15|{\"std\":\"c11\"}");
	a = enter_key("links", "Ada", k.candidate, "candidate");
	cr_assert_str_eq(toolchain_of(a->r.msgs[0]),
	                 "null|{\"mode\":\"debug\",\"edition\":\"2018\"}");
}

Test(hub, roles_rotate_and_revoke_close_the_old_links_at_once)
{
	struct tconn *o = conn_new(), *ca, *ob, *o2;
	struct links k;
	json_object *l, *e;
	char fresh[40];

	start();
	create_pad(o, "r", NULL, &k);
	o2 = enter_key("r", "Ian", k.owner, "owner");
	ca = enter_key("r", "Ada", k.candidate, "candidate");
	ob = enter_key("r", "Obi", k.observer, "observer");
	drain_all();
	say(o, "{\"type\":\"links\",\"rotate\":\"candidate\"}");
	turn();
	e = expect_error(ca, "link_revoked");
	cr_assert(ca->r.closed);
	cr_assert_eq(ca->r.close_code, 4403);
	expect_none(ob);
	cr_assert_not(ob->r.closed);
	l = expect(o, "links");
	cr_assert_str_eq(str_of(l, "role"), "candidate");
	snprintf(fresh, sizeof(fresh), "%s", str_of(l, "key"));
	cr_assert_eq(strlen(fresh), 32);
	cr_assert_str_neq(fresh, k.candidate);
	l = expect(o2, "links"); /* every owner */
	cr_assert_str_eq(str_of(l, "key"), fresh);
	/* a revoked socket's frames do nothing, and nothing more reaches it */
	append(o, 0, 0, "z");
	cr_assert_eq(ca->r.n, ca->r.close_at,
	             "a revoked socket got %s after its close",
	             ca->r.n > ca->r.close_at
	                     ? plain(ca->r.msgs[ca->r.close_at])
	                     : "");
	say(ca, "{\"type\":\"push\",\"version\":1,\"updates\":[{\"clientID\":"
	        "\"x\",\"changes\":[1,[0,\"EVIL\"]]}]}");
	turn();
	expect_doc_key("r", k.owner, "z", 1);
	refused_key("r", k.candidate, "bad_link", 4403);
	enter_key("r", "Ada", fresh, "candidate");
	drain_all();
	say(o, "{\"type\":\"links\",\"revoke\":\"observer\"}");
	turn();
	expect_error(ob, "link_revoked");
	cr_assert_eq(ob->r.close_code, 4403);
	l = expect(o, "links");
	cr_assert_eq(json_object_get_type(get(l, "key")), json_type_null);
	refused_key("r", k.observer, "bad_link", 4403);
	restart();
	refused_key("r", k.observer, "bad_link", 4403);
	refused_key("r", k.candidate, "bad_link", 4403);
	enter_key("r", "Ada", fresh, "candidate");
	(void)e;
}

Test(hub, roles_remove_closes_4408_and_spares_owners)
{
	struct tconn *o = conn_new(), *ca, *o2;
	struct links k;
	char frame[80];

	start();
	create_pad(o, "r", NULL, &k);
	o2 = enter_key("r", "Ian", k.owner, "owner");
	ca = enter_key("r", "Ada", k.candidate, "candidate");
	drain_all();
	snprintf(frame, sizeof(frame), "{\"type\":\"remove\",\"id\":\"%s\"}",
	         you(ca));
	say(o, "%s", frame);
	turn();
	expect_error(ca, "removed");
	cr_assert_eq(ca->r.close_code, 4408);
	snprintf(frame, sizeof(frame), "{\"type\":\"remove\",\"id\":\"%s\"}",
	         you(o2));
	say(o, "%s", frame);
	turn();
	expect_error(o, "forbidden");
	cr_assert_not(o2->r.closed);
	say(o, "{\"type\":\"remove\",\"id\":\"p99\"}");
	turn();
	expect_error(o, "bad_message");
}

Test(hub, roles_notes_reach_owners_only)
{
	struct tconn *o = conn_new(), *o2, *ca, *ob, *late;
	struct links k;
	json_object *u, *w;

	start();
	create_pad(o, "r", NULL, &k);
	o2 = enter_key("r", "Ian", k.owner, "owner");
	ca = enter_key("r", "Ada", k.candidate, "candidate");
	ob = enter_key("r", "Obi", k.observer, "observer");
	append(ca, 0, 0, "code");
	drain_all();
	say(o, "{\"type\":\"push\",\"version\":0,\"doc\":\"notes\",\"updates\":"
	       "[{\"clientID\":\"n1\",\"changes\":[[0,\"NOTE-MARK-7\"]]}]}");
	turn();
	u = expect(o, "updates");
	cr_assert_str_eq(str_of(u, "doc"), "notes");
	cr_assert_eq(int_of(u, "version"), 0);
	u = expect(o2, "updates");
	cr_assert_str_eq(str_of(u, "doc"), "notes");
	expect_none(ca);
	expect_none(ob);
	/* a second push from the past is rebased like the pad's */
	say(o2,
	    "{\"type\":\"push\",\"version\":0,\"doc\":\"notes\",\"updates\":"
	    "[{\"clientID\":\"n2\",\"changes\":[[0,\"B \"]]}]}");
	turn();
	expect(o, "updates");
	say(o, "{\"type\":\"pull\",\"version\":0,\"doc\":\"notes\"}");
	turn();
	u = expect(o, "updates");
	cr_assert_str_eq(str_of(u, "doc"), "notes");
	cr_assert_eq(json_object_array_length(get(u, "updates")), 2);
	/* the pad's own version did not move */
	expect_doc_key("r", k.owner, "code", 1);
	restart();
	late = conn_new();
	{
		char extra[100];
		snprintf(extra, sizeof(extra), ",\"key\":\"%s\"", k.owner);
		w = enter_t(late, "r", extra);
	}
	cr_assert_str_eq(str_of(get(w, "notes"), "doc"), "NOTE-MARK-7B ");
	cr_assert_eq(int_of(get(w, "notes"), "version"), 2);
	ca = enter_key("r", "Ada", k.candidate, "candidate");
	ob = enter_key("r", "Obi", k.observer, "observer");
	for (size_t i = 0; i < nconns; i++) {
		struct tconn *t = conns[i];
		bool owner = t->r.n &&
		             strcmp(str_of(t->r.msgs[0], "role"), "owner") == 0;
		if (!owner)
			cr_assert_not(saw_text(t, "NOTE-MARK"),
			              "%s (not an owner) got the notes",
			              t->cid);
	}
	cr_assert(saw_text(late, "NOTE-MARK-7"));
}

Test(hub, roles_open_pads_work_as_before)
{
	struct tconn *a, *b;
	json_object *w;

	start();
	a = conn_new();
	w = enter_t(a, "open", ",\"name\":\"Ada\"");
	cr_assert_str_eq(str_of(w, "role"), "editor");
	cr_assert_not(has(w, "notes"));
	b = enter("open", "Bob");
	append(b, 0, 0, "hi");
	drain_all();
	say(a, "{\"type\":\"control\",\"locked\":true}");
	say(a, "{\"type\":\"links\",\"rotate\":\"candidate\"}");
	say(a, "{\"type\":\"push\",\"version\":1,\"doc\":\"notes\",\"updates\":"
	       "[{\"clientID\":\"n\",\"changes\":[[0,\"x\"]]}]}");
	turn();
	expect_error(a, "forbidden");
	expect_error(a, "forbidden");
	expect_error(a, "forbidden");
	/* a key given to an open pad is ignored */
	{
		struct tconn *c = conn_new();
		w = enter_t(c, "open",
		            ",\"key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"");
		cr_assert_str_eq(str_of(w, "role"), "editor");
	}
	drain_all();
	say(a, "{\"type\":\"history\",\"from\":0}");
	turn();
	w = expect(a, "history");
	cr_assert_eq(json_object_array_length(get(w, "updates")), 1);
}

Test(hub, roles_creation_secret_and_unknown_pads)
{
	struct tconn *t;
	struct links k;

	start("ws.create=secret", "ws.create_secret=0123456789abcdef0123", );
	t = conn_new();
	join(t, "r");
	say(t, "{\"type\":\"hello\",\"create\":{}}");
	turn();
	expect_error(t, "create_forbidden");
	cr_assert_eq(t->r.close_code, 4401);
	t = conn_new();
	join(t, "r");
	say(t,
	    "{\"type\":\"hello\",\"create\":{\"secret\":\"0123456789abcdef012\"}}");
	turn();
	expect_error(t, "create_forbidden");
	refused_key("r", NULL, "no_pad", 4404);
	refused_key("nothing", NULL, "no_pad", 4404);
	{
		struct hub_stats st;
		hub_stats(h, &st);
		cr_assert_eq(st.pads, 1,
		             "a link to nothing left %zu pads in "
		             "memory",
		             st.pads);
	}
	t = conn_new();
	create_pad(t, "r", "\"secret\":\"0123456789abcdef0123\"", &k);
	/* nginx's header instead of the hello's field */
	t = conn_new();
	snprintf(t->hc.create_secret, sizeof(t->hc.create_secret), "%s",
	         "0123456789abcdef0123");
	create_pad(t, "s", NULL, &k);
	t = conn_new();
	join(t, "s");
	say(t,
	    "{\"type\":\"hello\",\"create\":{\"secret\":\"0123456789abcdef0123\"}}");
	turn();
	expect_error(t, "pad_exists");
	cr_assert_eq(t->r.close_code, 4409);
	enter_key("s", "Ada", k.candidate, "candidate");
}

Test(hub, roles_history_has_time_author_events_and_pages)
{
	struct tconn *o = conn_new(), *ca, *ob;
	struct links k;
	json_object *hm, *u, *ev;
	char *big;
	size_t len = 0;
	int64_t before = (int64_t)time(NULL) * 1000 - 1000;

	start("ws.updates_per_second=100000", "ws.update_burst=100000", );
	create_pad(o, "r", NULL, &k);
	ca = enter_key("r", "Ada", k.candidate, "candidate");
	ob = enter_key("r", "Obi", k.observer, "observer");
	append(ca, 0, 0, "a");
	drain_all();
	say(o, "{\"type\":\"history\",\"from\":0}");
	turn();
	hm = expect(o, "history");
	cr_assert_eq(int_of(hm, "from"), 0);
	cr_assert_eq(int_of(hm, "head"), 1);
	cr_assert_eq(json_object_get_boolean(get(hm, "more")), false);
	u = json_object_array_get_idx(get(hm, "updates"), 0);
	cr_assert_str_eq(str_of(u, "a"), you(ca));
	cr_assert(int_of(u, "t") >= before);
	ev = get(hm, "events");
	cr_assert_eq(json_object_array_length(ev), 3, "%s", plain(ev));
	cr_assert_str_eq(str_of(json_object_array_get_idx(ev, 1), "role"),
	                 "candidate");
	cr_assert_str_eq(str_of(json_object_array_get_idx(ev, 1), "name"),
	                 "Ada");
	cr_assert_eq(json_object_array_length(get(hm, "runs")), 0);
	/* an observer only when the owner allows it */
	say(ob, "{\"type\":\"history\",\"from\":0}");
	turn();
	expect_error(ob, "forbidden");
	say(o, "{\"type\":\"control\",\"playback\":true}");
	turn();
	drain_all();
	say(ob, "{\"type\":\"history\",\"from\":0}");
	turn();
	expect(ob, "history");
	/* 2500 more updates: pages of 2000 */
	big = malloc(1000 * 60 + 64);
	cr_assert_not_null(big);
	for (int p = 0; p < 3; p++) {
		int n = p < 2 ? 1000 : 500;
		len = (size_t)sprintf(big,
		                      "{\"type\":\"push\",\"version\":%d,"
		                      "\"updates\":[",
		                      1 + p * 1000);
		for (int i = 0; i < n; i++)
			len += (size_t)sprintf(
			        big + len,
			        "%s{\"clientID\":\"c\",\"changes\""
			        ":[%d,[0,\"x\"]]}",
			        i ? "," : "", 1 + p * 1000 + i);
		len += (size_t)sprintf(big + len, "]}");
		hub_message(h, &ca->hc, big, len, false, false);
		turn();
	}
	free(big);
	drain_all();
	say(o, "{\"type\":\"history\",\"from\":0}");
	turn();
	hm = expect(o, "history");
	cr_assert_eq(json_object_array_length(get(hm, "updates")), 2000);
	cr_assert_eq(json_object_get_boolean(get(hm, "more")), true);
	cr_assert_eq(int_of(hm, "head"), 2501);
	say(o, "{\"type\":\"history\",\"from\":2000}");
	turn();
	hm = expect(o, "history");
	cr_assert_eq(json_object_array_length(get(hm, "updates")), 501);
	cr_assert_eq(json_object_get_boolean(get(hm, "more")), false);
	cr_assert_not(has(hm, "events"));
	say(o, "{\"type\":\"history\",\"from\":2502}");
	turn();
	expect_error(o, "future_version");
}

Test(hub, roles_history_pages_cost_the_update_budget)
{
	struct tconn *o = conn_new();
	struct links k;
	json_object *e;
	int pages = 0;

	start("ws.update_burst=1000", "ws.updates_per_second=1", );
	create_pad(o, "r", NULL, &k);
	drain_all();
	for (int i = 0; i < 12; i++) {
		say(o, "{\"type\":\"history\",\"from\":0}");
		turn();
		e = next_msg(o);
		if (strcmp(str_of(e, "type"), "history") == 0) {
			pages++;
			continue;
		}
		cr_assert_str_eq(str_of(e, "code"), "rate_limited");
		cr_assert(int_of(e, "retry_after_ms") > 1000);
	}
	cr_assert_eq(pages, 10, "a burst of 1000 buys 10 pages, got %d", pages);
}
