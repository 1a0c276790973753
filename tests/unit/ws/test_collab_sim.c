/*
 * Unit tests: the collab protocol of runpad-ws in a simulated network,
 * with common/ot and ws/rebase.
 *
 * One authority and K clients run the @codemirror/collab protocol over
 * links that deliver in order per link but at random times relative to
 * each other, lose messages from the authority (acknowledgements and
 * broadcasts), and get cut (reconnect: messages in flight both ways are
 * lost, the client pulls the updates since its version and pushes again).
 * Clients push whenever they like, so several pushes of one client, made
 * at different versions, can be in flight.  Clients follow receiveUpdates
 * from @codemirror/collab 6.1, ported with ot_changes_map and
 * ot_changes_compose.  The authority does what runpad-ws does: a push made
 * up to CATCHUP versions behind the head is rebased over the updates
 * accepted since, one at a time (rebase_updates), dropping those it holds
 * already; an older one is refused and the client pushes again once it has
 * caught up.  After the edits stop and the links drain every client must
 * hold the authority's document.
 *
 * One at a time, on both sides: CodeMirror's map is not the same over a
 * composition as over its parts (test ot/map_over_a_composition_differs),
 * so an authority that rebased over the updates composed, while a client
 * mapped over the batches it happened to receive, would end up with
 * another document (this simulation found that first, with seed 1002 and
 * 2 clients).  So the authority rebases over each update in turn, and a
 * client holding unconfirmed changes receives each update on its own, as
 * the web client does.
 *
 * Everything comes from one seeded PRNG.  RUNPAD_SIM_SEED=n runs that seed
 * alone (a failure prints the seed); otherwise a fixed list runs.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ot.h"
#include "rebase.h"

#define MAX_CLIENTS 6
/* how far behind the head a push is still rebased (ws.max_catchup) */
#define CATCHUP 40

static uint64_t cur_seed;

/* What the runs did, to check that they exercised something. */
static struct {
	size_t accepted, refused, dropped, reconnects, rebased;
	size_t pushes_rebased, resends_dropped;
} stats;
static uint64_t rng_state;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			cr_assert_fail("seed %" PRIu64 " (replay with "        \
			               "RUNPAD_SIM_SEED=%" PRIu64 "): %s",     \
			               cur_seed, cur_seed, #cond);             \
	} while (0)

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rnd(size_t n)
{
	return n ? (size_t)(rng() % n) : 0;
}

static bool chance(unsigned percent)
{
	return rnd(100) < percent;
}

/* ------------------------------------------------------------ updates */

struct update {
	int client;
	struct ot_changes *cs;
};

struct ulist {
	struct update *v;
	size_t n, cap;
};

static void ul_push(struct ulist *l, int client, struct ot_changes *cs)
{
	CHECK(cs != NULL);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		CHECK(l->v != NULL);
	}
	l->v[l->n++] = (struct update){client, cs};
}

static void ul_free(struct ulist *l)
{
	for (size_t i = 0; i < l->n; i++)
		ot_changes_free(l->v[i].cs);
	free(l->v);
	*l = (struct ulist){0};
}

/* Drop the first k updates. */
static void ul_shift(struct ulist *l, size_t k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k; i++)
		ot_changes_free(l->v[i].cs);
	memmove(l->v, l->v + k, (l->n - k) * sizeof(*l->v));
	l->n -= k;
}

static void ul_copy(struct ulist *dst, const struct update *src, size_t n)
{
	*dst = (struct ulist){0};
	for (size_t i = 0; i < n; i++)
		ul_push(dst, src[i].client, ot_changes_dup(src[i].cs));
}

/* -------------------------------------------------------------- links */

enum kind { PUSH, PULL, UPDATES };

struct msg {
	enum kind kind;
	size_t version;
	struct ulist ups;
	struct msg *next;
};

struct link {
	struct msg *head, *tail;
	size_t n;
};

static void link_send(struct link *l, enum kind kind, size_t version,
                      const struct update *ups, size_t n)
{
	struct msg *m = calloc(1, sizeof(*m));

	CHECK(m != NULL);
	m->kind = kind;
	m->version = version;
	ul_copy(&m->ups, ups, n);
	if (l->tail)
		l->tail->next = m;
	else
		l->head = m;
	l->tail = m;
	l->n++;
}

static struct msg *link_take(struct link *l)
{
	struct msg *m = l->head;

	if (!m)
		return NULL;
	l->head = m->next;
	if (!l->head)
		l->tail = NULL;
	l->n--;
	return m;
}

static void msg_free(struct msg *m)
{
	ul_free(&m->ups);
	free(m);
}

static void link_clear(struct link *l)
{
	struct msg *m;

	while ((m = link_take(l)))
		msg_free(m);
}

/* ------------------------------------------------------------ peers */

struct doc {
	char *s;
	size_t bytes, len16;
};

static void doc_apply(struct doc *d, const struct ot_changes *cs)
{
	char *out, msg[200] = "";
	size_t ob, o16;
	enum ot_err e = ot_apply(cs, d->s, d->bytes, d->len16, NULL, &out, &ob,
	                         &o16, msg, sizeof(msg));

	if (e != OT_OK)
		cr_assert_fail("seed %" PRIu64 ": apply failed: %s %s",
		               cur_seed, ot_err_code(e), msg);
	free(d->s);
	d->s = out;
	d->bytes = ob;
	d->len16 = o16;
}

struct authority {
	struct doc doc;
	struct ulist updates; /* version == updates.n */
	struct doc *hist;     /* the document at each version */
};

static const struct authority *the_auth;

struct client {
	int id;
	struct doc doc; /* confirmed plus unconfirmed */
	size_t version;
	struct ulist unconfirmed;
	struct link up, down; /* to and from the authority */
};

struct sim {
	struct authority auth;
	struct client c[MAX_CLIENTS];
	int k;
	unsigned drop_pct;
};

/* ------------------------------------------------------- random edits */

static const char *pieces[] = {
        "a",
        "b",
        "xyz",
        " ",
        "\n",
        "\xc3\xa9" /* é */,
        "e\xcc\x81" /* e+◌́ */,
        "\xe4\xb8\xad" /* 中 */,
        "\xf0\x9f\x98\x80" /* 😀 */,
        "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7" /* 👩‍👧 */,
};

/* UTF-16 positions of the code point boundaries of d, into *out. */
static size_t boundaries(const struct doc *d, size_t **out)
{
	size_t *b = malloc((d->bytes + 1) * sizeof(*b)), n = 0, u = 0;

	CHECK(b != NULL);
	b[n++] = 0;
	for (size_t i = 0; i < d->bytes;) {
		unsigned char c = (unsigned char)d->s[i];
		size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		u += k == 4 ? 2 : 1;
		i += k;
		b[n++] = u;
	}
	*out = b;
	return n;
}

static int cmp_size(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	return a < b ? -1 : a > b;
}

/* A random change set for d, made as JSON text and parsed. */
static struct ot_changes *random_changes(const struct doc *d)
{
	size_t *b, nb = boundaries(d, &b), cuts[6], nc, pos = 0;
	char buf[4096];
	size_t o = 0;
	struct ot_changes *cs;
	enum ot_err err;
	char msg[200];

	nc = 2 * (1 + rnd(3));
	for (size_t i = 0; i < nc; i++)
		cuts[i] = b[rnd(nb)];
	qsort(cuts, nc, sizeof(cuts[0]), cmp_size);
	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "[");
	for (size_t i = 0; i < nc; i += 2) {
		size_t from = cuts[i], to = cuts[i + 1];
		if (d->len16 < 40 && chance(70))
			to = from; /* grow small documents */
		bool ins = d->len16 < 300 && chance(80);
		if (to == from && !ins)
			continue; /* ChangeSet.of makes no (0, 0) sections */
		if (from > pos)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%zu,",
			                      from - pos);
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "[%zu",
		                      to - from);
		if (ins) {
			size_t np = 1 + rnd(4);
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, ",\"");
			for (size_t p = 0; p < np; p++) {
				const char *s = pieces[rnd(sizeof(pieces) /
				                           sizeof(pieces[0]))];
				if (s[0] == '\n')
					s = "\",\""; /* a new line */
				o += (size_t)snprintf(buf + o, sizeof(buf) - o,
				                      "%s", s);
			}
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\"");
		}
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "],");
		pos = to;
	}
	if (d->len16 > pos)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%zu,",
		                      d->len16 - pos);
	if (buf[o - 1] == ',')
		buf[o - 1] = ']';
	else
		buf[o++] = ']';
	free(b);
	cs = ot_changes_parse(buf, o, NULL, &err, msg, sizeof(msg));
	if (!cs)
		cr_assert_fail("seed %" PRIu64 ": own edit %.*s rejected: %s",
		               cur_seed, (int)o, buf, msg);
	return cs;
}

/* -------------------------------------------------------------- client */

/* receiveUpdates from @codemirror/collab. */
static void client_receive(struct client *c, const struct update *ups, size_t n)
{
	struct ot_changes *changes = NULL, *t;
	size_t own = 0;

	for (size_t i = 0; i < n; i++) {
		if (own < c->unconfirmed.n && ups[i].client == c->id) {
			if (changes) {
				t = ot_changes_map(changes,
				                   c->unconfirmed.v[own].cs,
				                   true);
				ot_changes_free(changes);
				changes = t;
				CHECK(changes != NULL);
			}
			own++;
		} else {
			t = changes ? ot_changes_compose(changes, ups[i].cs)
			            : ot_changes_dup(ups[i].cs);
			ot_changes_free(changes);
			changes = t;
			CHECK(changes != NULL);
		}
	}
	ul_shift(&c->unconfirmed, own);
	if (changes) {
		for (size_t i = 0; i < c->unconfirmed.n; i++) {
			struct ot_changes *u = c->unconfirmed.v[i].cs;
			struct ot_changes *mapped =
			        ot_changes_map(u, changes, false);
			t = ot_changes_map(changes, u, true);
			CHECK(mapped != NULL && t != NULL);
			ot_changes_free(changes);
			changes = t;
			ot_changes_free(u);
			c->unconfirmed.v[i].cs = mapped;
		}
		if (c->unconfirmed.n)
			stats.rebased++;
		doc_apply(&c->doc, changes);
		ot_changes_free(changes);
	}
	c->version += n;
	if (!c->unconfirmed.n) {
		/* nothing pending: the client holds that version exactly */
		const struct doc *h = &the_auth->hist[c->version];
		CHECK(c->doc.bytes == h->bytes &&
		      memcmp(c->doc.s, h->s, h->bytes) == 0);
	}
}

static void client_push(struct client *c)
{
	if (c->unconfirmed.n)
		link_send(&c->up, PUSH, c->version, c->unconfirmed.v,
		          c->unconfirmed.n);
}

static void client_edit(struct client *c)
{
	struct ot_changes *cs = random_changes(&c->doc);

	if (ot_changes_empty(cs)) {
		ot_changes_free(cs);
		return;
	}
	doc_apply(&c->doc, cs);
	ul_push(&c->unconfirmed, c->id, cs);
}

static void client_reconnect(struct client *c)
{
	stats.reconnects++;
	link_clear(&c->up);
	link_clear(&c->down);
	link_send(&c->up, PULL, c->version, NULL, 0);
	client_push(c);
}

static void client_deliver(struct client *c, struct msg *m)
{
	CHECK(m->kind == UPDATES);
	if (m->version > c->version) {
		/* a broadcast was lost: ask again */
		link_send(&c->up, PULL, c->version, NULL, 0);
	} else if (m->version + m->ups.n > c->version) {
		size_t skip = c->version - m->version;
		if (!c->unconfirmed.n)
			client_receive(c, m->ups.v + skip, m->ups.n - skip);
		else /* as the daemon rebases: one at a time */
			for (size_t i = skip; i < m->ups.n; i++)
				client_receive(c, m->ups.v + i, 1);
		client_push(c); /* as the collab plugin does */
	}
	msg_free(m);
}

/* ----------------------------------------------------------- authority */

static const char *const NAMES[MAX_CLIENTS] = {"c0", "c1", "c2",
                                               "c3", "c4", "c5"};

/* Keep cs as the authority's next update, by client. */
static void authority_accept(struct authority *a, int client,
                             struct ot_changes *cs)
{
	struct doc *h;

	doc_apply(&a->doc, cs);
	ul_push(&a->updates, client, cs);
	a->hist = realloc(a->hist, (a->updates.n + 1) * sizeof(*a->hist));
	CHECK(a->hist != NULL);
	h = &a->hist[a->updates.n];
	h->s = malloc(a->doc.bytes + 1);
	CHECK(h->s != NULL);
	memcpy(h->s, a->doc.s, a->doc.bytes + 1);
	h->bytes = a->doc.bytes;
	h->len16 = a->doc.len16;
	stats.accepted++;
}

/* A push: rebased over what came since, one update at a time. */
static void authority_push(struct sim *s, struct msg *m)
{
	struct authority *a = &s->auth;
	struct rebase_update *u = calloc(m->ups.n ? m->ups.n : 1, sizeof(*u));
	size_t base = 0, start = a->updates.n;

	CHECK(u != NULL);
	for (size_t i = 0; i < m->ups.n; i++) {
		u[i].client = NAMES[m->ups.v[i].client];
		u[i].changes = ot_changes_dup(m->ups.v[i].cs);
	}
	for (size_t v = m->version; v < a->updates.n && base < m->ups.n; v++) {
		struct rebase_update over = {NAMES[a->updates.v[v].client],
		                             a->updates.v[v].cs};
		size_t skip;
		enum ot_err err;
		CHECK(rebase_updates(u + base, m->ups.n - base, &over, 1, &skip,
		                     &err) == 0);
		base += skip;
	}
	if (m->version < start)
		stats.pushes_rebased++;
	if (base)
		stats.resends_dropped++;
	for (size_t i = 0; i < m->ups.n; i++)
		if (i < base)
			ot_changes_free(u[i].changes);
		else
			authority_accept(a, m->ups.v[i].client, u[i].changes);
	free(u);
	if (a->updates.n > start)
		for (int i = 0; i < s->k; i++)
			link_send(&s->c[i].down, UPDATES, start,
			          a->updates.v + start, a->updates.n - start);
}

static void authority_deliver(struct sim *s, struct client *from, struct msg *m)
{
	struct authority *a = &s->auth;

	CHECK(m->version <= a->updates.n);
	if (m->kind == PULL)
		link_send(&from->down, UPDATES, m->version,
		          a->updates.v + m->version, a->updates.n - m->version);
	else if (m->kind == PUSH && a->updates.n - m->version <= CATCHUP)
		authority_push(s, m);
	else if (m->kind == PUSH)
		stats.refused++; /* too far behind: it catches up, pushes again */
	msg_free(m);
}

/* ------------------------------------------------------------ the run */

static void sim_init(struct sim *s, int k, unsigned drop_pct)
{
	static const char start[] = "hello\nw\xc3\xb6rld \xf0\x9f\x98\x80\n";

	memset(s, 0, sizeof(*s));
	s->k = k;
	s->drop_pct = drop_pct;
	s->auth.doc.s = strdup(start);
	s->auth.doc.bytes = strlen(start);
	s->auth.doc.len16 = (size_t)ot_utf16_len(start, strlen(start));
	s->auth.hist = malloc(sizeof(*s->auth.hist));
	CHECK(s->auth.hist != NULL);
	s->auth.hist[0] = s->auth.doc;
	s->auth.hist[0].s = strdup(start);
	the_auth = &s->auth;
	for (int i = 0; i < k; i++) {
		s->c[i].id = i;
		s->c[i].doc = s->auth.doc;
		s->c[i].doc.s = strdup(start);
	}
}

static void sim_fini(struct sim *s)
{
	free(s->auth.doc.s);
	for (size_t i = 0; i <= s->auth.updates.n; i++)
		free(s->auth.hist[i].s);
	free(s->auth.hist);
	ul_free(&s->auth.updates);
	for (int i = 0; i < s->k; i++) {
		free(s->c[i].doc.s);
		ul_free(&s->c[i].unconfirmed);
		link_clear(&s->c[i].up);
		link_clear(&s->c[i].down);
	}
}

/* Deliver the head of one random non-empty link; false if all are empty. */
static bool deliver_one(struct sim *s, bool drops)
{
	int busy[2 * MAX_CLIENTS], nb = 0;

	for (int i = 0; i < s->k; i++) {
		if (s->c[i].up.n)
			busy[nb++] = 2 * i;
		if (s->c[i].down.n)
			busy[nb++] = 2 * i + 1;
	}
	if (!nb)
		return false;
	int pick = busy[rnd((size_t)nb)];
	struct client *c = &s->c[pick / 2];
	if (pick % 2 == 0) {
		authority_deliver(s, c, link_take(&c->up));
	} else {
		struct msg *m = link_take(&c->down);
		if (drops && chance(s->drop_pct)) {
			msg_free(m); /* lost acknowledgement or broadcast */
			stats.dropped++;
		} else
			client_deliver(c, m);
	}
	return true;
}

static void run_seed(uint64_t seed, int steps)
{
	struct sim s;

	cur_seed = seed;
	rng_state = seed;
	sim_init(&s, 2 + (int)rnd(MAX_CLIENTS - 1), (unsigned)rnd(25));
	for (int step = 0; step < steps; step++) {
		struct client *c = &s.c[rnd((size_t)s.k)];
		size_t r = rnd(100);

		if (r < 25)
			client_edit(c);
		else if (r < 35)
			client_push(c);
		else if (r < 37)
			client_reconnect(c);
		else
			deliver_one(&s, true);
	}

	/* Quiescence: no more edits or losses.  Everyone reconnects, then
	   links drain, pushing whatever is still unconfirmed. */
	for (int round = 0; round < 20; round++) {
		bool settled = true;
		for (int i = 0; i < s.k; i++)
			client_reconnect(&s.c[i]);
		while (deliver_one(&s, false))
			;
		for (int i = 0; i < s.k; i++)
			if (s.c[i].unconfirmed.n ||
			    s.c[i].version != s.auth.updates.n)
				settled = false;
		if (settled)
			break;
	}
	for (int i = 0; i < s.k; i++) {
		struct client *c = &s.c[i];
		CHECK(c->unconfirmed.n == 0);
		CHECK(c->version == s.auth.updates.n);
		CHECK(c->doc.len16 == s.auth.doc.len16);
		CHECK(c->doc.bytes == s.auth.doc.bytes);
		CHECK(memcmp(c->doc.s, s.auth.doc.s, c->doc.bytes) == 0);
	}
	CHECK(s.auth.updates.n > 0 || steps < 50);
	sim_fini(&s);
}

Test(collab_sim, converges)
{
	const char *env = getenv("RUNPAD_SIM_SEED");

	if (env && *env) {
		char *end;
		unsigned long long v = strtoull(env, &end, 10);
		cr_assert(*end == '\0', "RUNPAD_SIM_SEED=%s is not a number",
		          env);
		run_seed(v, 3000);
		return;
	}
	for (uint64_t seed = 1; seed <= 60; seed++)
		run_seed(seed, 3000);
	cr_log_info("collab_sim: %zu updates accepted, %zu pushes rebased, "
	            "%zu with a resend dropped, %zu refused (beyond %d), %zu "
	            "client rebases, %zu messages dropped, %zu reconnects",
	            stats.accepted, stats.pushes_rebased, stats.resends_dropped,
	            stats.refused, CATCHUP, stats.rebased, stats.dropped,
	            stats.reconnects);
	cr_assert(stats.accepted > 10000 && stats.pushes_rebased > 1000 &&
	          stats.resends_dropped > 500 && stats.refused > 10 &&
	          stats.rebased > 1000 && stats.dropped > 1000 &&
	          stats.reconnects > 500);
}

/* No losses and no reconnects until the end: the plain protocol. */
Test(collab_sim, converges_on_a_reliable_network)
{
	struct sim s;

	for (uint64_t seed = 1000; seed < 1020; seed++) {
		cur_seed = seed;
		rng_state = seed;
		sim_init(&s, 4, 0);
		for (int step = 0; step < 2000; step++) {
			struct client *c = &s.c[rnd((size_t)s.k)];
			if (chance(30))
				client_edit(c);
			else if (chance(20))
				client_push(c);
			else
				deliver_one(&s, false);
		}
		for (int i = 0; i < s.k; i++)
			client_push(&s.c[i]);
		while (deliver_one(&s, false))
			;
		for (int i = 0; i < s.k; i++) {
			CHECK(s.c[i].unconfirmed.n == 0);
			CHECK(s.c[i].doc.bytes == s.auth.doc.bytes);
			CHECK(memcmp(s.c[i].doc.s, s.auth.doc.s,
			             s.auth.doc.bytes) == 0);
		}
		sim_fini(&s);
	}
}
