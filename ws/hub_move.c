/*
 * hub_move.c - pads that move with the ring (handoff.h says how).
 *
 * Asking.  A hello for a pad this daemon owns by ws.ring but does not
 * hold, while it has peers (ws.ring's other entries and ws.peers), waits:
 * a thread asks every peer for the pad (GET /handoff/<pad>), and the loop
 * picks the answer up at the end of a turn (hub_moves_settle).  The
 * highest head found is imported; the hellos that waited, and those that
 * came meanwhile, then go on as if the pad had always been here.  A peer
 * that cannot be reached while no peer had the pad stops the hellos with
 * server_busy (4503): the client comes back later.
 *
 * Giving.  A peer's GET /handoff/<pad> (hub_handoff_export) marks the pad
 * moved: its people are sent to nginx again (4421) and no hello is taken
 * for it until the next reload, whatever this daemon's ring says (so a
 * daemon that has not reloaded yet cannot take edits the new owner would
 * miss).  The open turn is committed before the dump is made.  The new
 * owner's GET /handoff/<pad>/forget?head=N deletes the copy.
 */
#include "hub_int.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"
#include "ring.h"
#include "wsconf.h"

#define PEER_TIMEOUT_MS 10000

struct move_wait {
	struct move_wait *next;
	struct hub_conn *c;
	bool has_version;
	int64_t version;
	char *name, *color; /* owned, or NULL */
};

struct move {
	struct move *next;
	struct hub *hub;
	char pad[PADSTORE_ID_MAX + 1];
	struct move_wait *waiting;
	pthread_t thread;
	/* the thread's, until done */
	char **peers; /* entries as written in ws.ring / ws.peers */
	size_t npeers;
	struct buf dump;
	uint64_t head;
	size_t from;      /* index of the peer whose dump it is */
	bool found;       /* some peer had it */
	bool *had;        /* per peer: held a copy (to be told to forget) */
	uint64_t *heads;  /* per peer: the head of its copy */
	bool unreachable; /* some peer did not answer */
	char why[300];
	int done; /* set last, atomically */
};

/* ---------------------------------------------------------------- giving */

bool hub_moved_away(const struct hub *h, const char *pad)
{
	for (const struct moved *m = h->moved; m; m = m->next)
		if (strcmp(m->pad, pad) == 0)
			return true;
	return false;
}

int hub_handoff_export(struct hub *h, const char *pad, struct buf *out,
                       uint64_t *head, char *err, size_t errlen)
{
	struct pad *p = hub_pad_find(h, pad);
	size_t closed = 0;
	int r;

	if (!padstore_valid_id(pad)) {
		snprintf(err, errlen, "not a pad id");
		return -EINVAL;
	}
	if (!hub_moved_away(h, pad)) {
		struct moved *m = calloc(1, sizeof(*m));
		if (!m) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		snprintf(m->pad, sizeof(m->pad), "%s", pad);
		m->next = h->moved;
		h->moved = m;
	}
	for (struct hub_conn *c = h->conns; c; c = c->next)
		if (!c->refused && strcmp(c->pad_id, pad) == 0) {
			hub_refuse_foreign(h, c);
			closed++;
		}
	if (p) {
		p->foreign = true;
		if (p->run.active && p->run.rr)
			runner_kill(p->run.rr);
	}
	/* what was accepted is committed before it is read */
	hub_turn_end(h);
	r = handoff_export(h->store, pad, out, head, err, errlen);
	if (r == 0)
		logf_(h, 5,
		      "pad %s: handed over at version %llu (%zu connections sent elsewhere)",
		      pad, (unsigned long long)*head, closed);
	return r;
}

int hub_handoff_forget(struct hub *h, const char *pad, uint64_t head, char *err,
                       size_t errlen)
{
	uint64_t here = 0;
	int r;

	/* handed over since the last reload, or not ours by the ring (a
	   reload came in between): a pad this daemon serves is never
	   deleted */
	if (!hub_moved_away(h, pad) && wsconf_owns(h->conf, pad, NULL)) {
		snprintf(err, errlen, "pad %s was not handed over", pad);
		return -EPERM;
	}
	/* the delete is a write: the open turn's must end first */
	hub_turn_end(h);
	r = padstore_head(h->store, pad, &here, err, errlen);
	if (r == 0 && here != head) {
		snprintf(err, errlen,
		         "pad %s is at version %llu here, not %llu", pad,
		         (unsigned long long)here, (unsigned long long)head);
		r = -ESTALE;
	}
	if (r == -ENOENT)
		r = 0; /* deleted already: nothing to do */
	else if (r == 0)
		r = padstore_delete(h->store, pad, err, errlen);
	if (r == 0)
		logf_(h, 6, "pad %s: the copy here is deleted (moved)", pad);
	return r;
}

void hub_moved_clear(struct hub *h)
{
	while (h->moved) {
		struct moved *m = h->moved;
		h->moved = m->next;
		free(m);
	}
}

/* ---------------------------------------------------------------- asking */

/* ws.ring's entries but ours, then ws.peers' (owned, *n of them) */
static char **peer_list(const struct wsconf *conf, size_t *n)
{
	size_t nring = conf->owners ? ring_entries(conf->owners) : 0, np, k = 0;
	char **peers, err[300], **v;

	*n = 0;
	if (handoff_peers("ws.peers", conf->peers ? conf->peers : "", &peers,
	                  &np, err, sizeof(err)) < 0)
		return NULL; /* checked when the settings were read */
	v = calloc(nring + np + 1, sizeof(*v));
	if (!v)
		goto nomem;
	for (size_t i = 0; i < nring; i++)
		if (strcmp(ring_entry(conf->owners, i), conf->ring_self) &&
		    !(v[k++] = strdup(ring_entry(conf->owners, i))))
			goto nomem;
	for (size_t i = 0; i < np; i++)
		if (strcmp(peers[i], conf->ring_self))
			v[k++] = peers[i];
		else
			free(peers[i]);
	free(peers);
	*n = k;
	return v;
nomem:
	while (k)
		free(v[--k]);
	free(v);
	for (size_t i = 0; i < np; i++)
		free(peers[i]);
	free(peers);
	return NULL;
}

static void *ask_peers(void *arg)
{
	struct move *m = arg;
	char path[128], url[600], err[256];
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	snprintf(path, sizeof(path), "/handoff/%s", m->pad);
	for (size_t i = 0; i < m->npeers; i++) {
		struct buf body = {0};
		int status = 0;
		buf_limit(&body, HANDOFF_MAX_DUMP);
		if (handoff_peer_url(m->peers[i], url, sizeof(url)) < 0 ||
		    handoff_get(url, path, PEER_TIMEOUT_MS, &status, &body, err,
		                sizeof(err)) < 0 ||
		    (status != 200 && status != 404)) {
			m->unreachable = true;
			snprintf(m->why, sizeof(m->why), "%s: %s", m->peers[i],
			         status ? "it answered with an error" : err);
		} else if (status == 200) {
			json_object *d = json_tokener_parse(body.p), *v;
			uint64_t head =
			        d && json_object_object_get_ex(d, "head", &v)
			                ? (uint64_t)json_object_get_int64(v)
			                : 0;
			json_object_put(d);
			m->had[i] = true;
			m->heads[i] = head;
			if (!m->found || head > m->head) {
				buf_fini(&m->dump);
				m->dump = body;
				body = (struct buf){0};
				m->head = head;
				m->from = i;
				m->found = true;
			}
		}
		buf_fini(&body);
	}
	__atomic_store_n(&m->done, 1, __ATOMIC_RELEASE);
	m->hub->ops->wake(m->hub->srv);
	return NULL;
}

static void *tell_forget(void *arg)
{
	char **a = arg; /* url, path */
	struct buf body = {0};
	char err[300];
	int status = 0;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	buf_limit(&body, 4096);
	for (int tries = 0; tries < 5; tries++) {
		buf_clear(&body);
		if (handoff_get(a[0], a[1], PEER_TIMEOUT_MS, &status, &body,
		                err, sizeof(err)) == 0 &&
		    status < 500)
			break;
		sleep(1u << tries);
	}
	buf_fini(&body);
	free(a[0]);
	free(a[1]);
	free(a);
	return NULL;
}

/* the peer that had a copy deletes it; in the background */
static void forget_on(struct hub *h, const char *peer, const char *pad,
                      uint64_t head)
{
	char **a = calloc(2, sizeof(*a)), url[600], path[160];
	pthread_attr_t attr;
	pthread_t t;

	if (!a || handoff_peer_url(peer, url, sizeof(url)) < 0) {
		free(a);
		return;
	}
	snprintf(path, sizeof(path), "/handoff/%s/forget?head=%llu", pad,
	         (unsigned long long)head);
	a[0] = strdup(url);
	a[1] = strdup(path);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!a[0] || !a[1] || pthread_create(&t, &attr, tell_forget, a)) {
		logf_(h, 4, "pad %s: cannot tell %s to delete its copy", pad,
		      peer);
		free(a[0]);
		free(a[1]);
		free(a);
	}
	pthread_attr_destroy(&attr);
}

static struct move *move_find(struct hub *h, const char *pad)
{
	for (struct move *m = h->moves; m; m = m->next)
		if (strcmp(m->pad, pad) == 0)
			return m;
	return NULL;
}

bool hub_move_needed(struct hub *h, const char *pad)
{
	uint64_t head;
	char err[200];

	/* nobody to ask: ws.handoff off, ws.ring of this daemon alone, and
	   no ws.peers */
	if (!h->conf->handoff)
		return false;
	if (!(h->conf->owners && ring_entries(h->conf->owners) > 1) &&
	    !(h->conf->peers && h->conf->peers[0]))
		return false;
	if (move_find(h, pad))
		return true;
	/* stored here: no one to ask (an unreadable record: hub_pad_load
	   reports it) */
	return padstore_head(h->store, pad, &head, err, sizeof(err)) == -ENOENT;
}

static void wait_free(struct move_wait *w)
{
	free(w->name);
	free(w->color);
	free(w);
}

int hub_move_wait(struct hub *h, struct hub_conn *c, const struct proto_msg *m)
{
	struct move *mv = move_find(h, c->pad_id);
	struct move_wait *w = calloc(1, sizeof(*w));

	if (!w || (m->name && !(w->name = strdup(m->name))) ||
	    (m->color && !(w->color = strdup(m->color))))
		goto nomem;
	w->c = c;
	w->has_version = m->has_version;
	w->version = m->version;
	if (!mv) {
		mv = calloc(1, sizeof(*mv));
		if (!mv)
			goto nomem;
		mv->hub = h;
		snprintf(mv->pad, sizeof(mv->pad), "%s", c->pad_id);
		mv->peers = peer_list(h->conf, &mv->npeers);
		mv->had = calloc(mv->npeers ? mv->npeers : 1, sizeof(bool));
		mv->heads =
		        calloc(mv->npeers ? mv->npeers : 1, sizeof(uint64_t));
		if (!mv->peers || !mv->had || !mv->heads ||
		    pthread_create(&mv->thread, NULL, ask_peers, mv)) {
			for (size_t i = 0; mv->peers && i < mv->npeers; i++)
				free(mv->peers[i]);
			free(mv->peers);
			free(mv->had);
			free(mv->heads);
			free(mv);
			goto nomem;
		}
		mv->next = h->moves;
		h->moves = mv;
		logf_(h, 6, "pad %s: not here; asking %zu peers for it",
		      mv->pad, mv->npeers);
	}
	w->next = mv->waiting;
	mv->waiting = w;
	c->move = mv;
	return 0;
nomem:
	if (w)
		wait_free(w);
	return -ENOMEM;
}

void hub_move_leave(struct hub *h, struct hub_conn *c)
{
	struct move *mv = c->move;

	(void)h;
	if (!mv)
		return;
	for (struct move_wait **pw = &mv->waiting; *pw; pw = &(*pw)->next)
		if ((*pw)->c == c) {
			struct move_wait *w = *pw;
			*pw = w->next;
			wait_free(w);
			break;
		}
	c->move = NULL;
}

/* the waiting hellos go on: joined, or refused with why */
static void release(struct hub *h, struct move *mv, const char *why)
{
	while (mv->waiting) {
		struct move_wait *w = mv->waiting;
		struct hub_conn *c = w->c;
		mv->waiting = w->next;
		c->move = NULL;
		if (why) {
			hub_send_error(h, c, PROTO_E_SERVER_BUSY, why, NULL,
			               -1);
			hub_send_close(h, c, 4503);
		} else {
			struct proto_msg m = {.type = PROTO_HELLO,
			                      .has_version = w->has_version,
			                      .version = w->version,
			                      .name = w->name,
			                      .color = w->color};
			c->move_checked = true;
			hub_do_hello(h, c, &m);
		}
		wait_free(w);
	}
}

/* The pad that arrived is stored (a write transaction of its own: no turn
   may be open).  Returns NULL, or why the waiting hellos are refused. */
static const char *take(struct hub *h, struct move *mv)
{
	char err[400];
	uint64_t head = 0;
	int r;

	if (!mv->found && mv->unreachable) {
		logf_(h, 4,
		      "pad %s: not served, a peer that may hold it cannot be reached: %s",
		      mv->pad, mv->why);
		return "the pad's earlier server cannot be reached to hand it over; try again in a minute";
	}
	if (!mv->found)
		return NULL;
	r = handoff_import(h->store, mv->pad, mv->dump.p, mv->dump.len, &head,
	                   err, sizeof(err));
	if (r < 0 && r != -EEXIST) {
		logf_(h, 3, "pad %s: cannot take it from %s: %s", mv->pad,
		      mv->peers[mv->from], err);
		return "the pad could not be moved to this server; try again in a minute";
	}
	if (r == 0)
		logf_(h, 5, "pad %s: moved here from %s at version %llu",
		      mv->pad, mv->peers[mv->from], (unsigned long long)head);
	for (size_t i = 0; r == 0 && i < mv->npeers; i++)
		if (mv->had[i])
			forget_on(h, mv->peers[i], mv->pad, mv->heads[i]);
	return NULL;
}

static void move_free(struct move *mv)
{
	for (size_t i = 0; i < mv->npeers; i++)
		free(mv->peers[i]);
	free(mv->peers);
	free(mv->had);
	free(mv->heads);
	buf_fini(&mv->dump);
	free(mv);
}

bool hub_moves_settle(struct hub *h)
{
	struct move *done = NULL, **tail = &done;
	const char *why;

	/* Two passes.  Every pad that arrived is stored first, while no
	   turn is open; only then do the hellos that waited go on, and
	   these open the turn (a join is written to the pad's events).  An
	   import after a welcome would wait for the turn's write lock, held
	   by this same thread: for ever. */
	for (struct move **pm = &h->moves, *mv; (mv = *pm);) {
		if (!__atomic_load_n(&mv->done, __ATOMIC_ACQUIRE)) {
			pm = &mv->next;
			continue;
		}
		*pm = mv->next;
		mv->next = NULL;
		pthread_join(mv->thread, NULL);
		why = take(h, mv);
		snprintf(mv->why, sizeof(mv->why), "%s", why ? why : "");
		*tail = mv;
		tail = &mv->next;
	}
	if (!done)
		return false;
	while (done) {
		struct move *mv = done;
		done = mv->next;
		release(h, mv, mv->why[0] ? mv->why : NULL);
		move_free(mv);
	}
	return true;
}

void hub_moves_free(struct hub *h)
{
	while (h->moves) {
		struct move *mv = h->moves;
		h->moves = mv->next;
		pthread_join(mv->thread, NULL);
		while (mv->waiting) {
			struct move_wait *w = mv->waiting;
			mv->waiting = w->next;
			w->c->move = NULL;
			wait_free(w);
		}
		move_free(mv);
	}
	hub_moved_clear(h);
}
