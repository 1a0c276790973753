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

static const char *const palette[] = {
        "#e06c75", "#61afef", "#98c379", "#c678dd", "#d19a66",
        "#56b6c2", "#e5c07b", "#be5046", "#7f848e", "#ff79c6",
};

void hub_do_hello(struct hub *h, struct hub_conn *c, struct proto_msg *m)
{
	struct pad *p = hub_pad_find(h, c->pad_id);
	struct participant *pt;
	const char *owner;
	char err[300];
	json_object *o, *links = NULL;
	struct out *e;
	bool is_new = false;
	uint64_t head;
	int r;

	if (hub_moved_away(h, c->pad_id)) {
		/* handed over to a peer: nginx sends it there once the ring
		   here says so too */
		hub_refuse_foreign(h, c);
		return;
	}
	if (!wsconf_owns(h->conf, c->pad_id, &owner)) {
		/* misrouted: an operator's mistake, not the client's */
		hub_refuse_foreign(h, c);
		logf_(h, 5,
		      "pad %s refused (4421): ws.ring gives it to %s, not to %s; nginx's upstream and ws.ring disagree, or %s is down and nginx fell back",
		      c->pad_id, owner, h->conf->ring_self, owner);
		return;
	}
	if (!p) {
		if (h->npads >= h->conf->max_pads) {
			hub_send_error(
			        h, c, PROTO_E_SERVER_BUSY,
			        "this server has too many pads open; try again in a minute",
			        NULL, -1);
			hub_send_close(h, c, 4503);
			logf_(h, 4, "pad %s refused: %zu pads in memory",
			      c->pad_id, h->npads);
			return;
		}
		if (!c->move_checked && hub_move_needed(h, c->pad_id)) {
			/* perhaps held by the daemon that owned it before */
			if (hub_move_wait(h, c, m) < 0)
				hub_send_error(h, c, PROTO_E_SERVER_BUSY,
				               "out of memory", NULL, -1);
			return;
		}
		/* with ws.create secret, a link to nothing makes nothing, not
		   even an empty pad in memory */
		if (!m->create && strcmp(h->conf->create, "anyone") != 0 &&
		    padstore_head(h->store, c->pad_id, &head, err,
		                  sizeof(err)) == -ENOENT) {
			hub_send_error(
			        h, c, PROTO_E_NO_PAD,
			        "there is no such pad; ask for a new link",
			        NULL, -1);
			hub_send_close(h, c, 4404);
			c->refused = true;
			return;
		}
		p = hub_pad_load(h, c->pad_id, err, sizeof(err));
		if (!p) {
			hub_send_error(h, c, PROTO_E_STORE_ERROR, err, NULL,
			               -1);
			logf_(h, 3, "pad %s: cannot load: %s", c->pad_id, err);
			return;
		}
	}
	if (!p->nparts && !p->version && !p->acc.on) {
		/* not stored (or only an empty pad left in memory by a
		   refused hello): made now, if anyone may make pads */
		r = padstore_head(h->store, c->pad_id, &head, err, sizeof(err));
		is_new = r == -ENOENT;
		if (is_new && !m->create &&
		    strcmp(h->conf->create, "anyone") != 0) {
			hub_send_error(
			        h, c, PROTO_E_NO_PAD,
			        "there is no such pad; ask for a new link",
			        NULL, -1);
			hub_send_close(h, c, 4404);
			c->refused = true;
			return;
		}
	}
	if (p->nparts >= h->conf->max_participants) {
		snprintf(
		        err, sizeof(err),
		        "this pad already has %u participants, the most allowed",
		        p->nparts);
		hub_send_error(h, c, PROTO_E_PAD_FULL, err, NULL, -1);
		hub_send_close(h, c, 4429);
		return;
	}
	if (hub_hello_access(h, c, p, is_new, m, &links) < 0)
		return;
	pt = calloc(1, sizeof(*pt));
	if (!pt ||
	    hub_set_profile(
	            pt, m->name ? m->name : "Guest",
	            m->color ? m->color
	                     : palette[h->next_part % (sizeof(palette) /
	                                               sizeof(palette[0]))]) <
	            0) {
		free(pt);
		json_object_put(links);
		hub_send_error(h, c, PROTO_E_SERVER_BUSY, "out of memory", NULL,
		               -1);
		return;
	}
	pt->role = (enum proto_role)c->role;
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

	e = hub_out_add(h, OUT_WELCOME, p, c, NULL);
	if (e && m->has_version) {
		e->has_from = true;
		e->from = (uint64_t)m->version;
	}
	if (e)
		e->links = links;
	else
		json_object_put(links);
	if (e && links) {
		e->needs_commit = true; /* the pad is made by the turn */
		e->pusher = c;
	}
	hub_event(h, p, hub_participant_event("join", pt));
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("join"));
	json_object_object_add(o, "participant",
	                       hub_participant_json(pt, false));
	hub_send_json(h, p, NULL, c, o);
	logf_(h, 6, "pad %s: %s joined as %s, %s (%u here, version %llu)",
	      p->id, pt->name, pt->id, proto_role_name(pt->role), p->nparts,
	      (unsigned long long)p->version);
}

/* True when the first n bytes of path end with the segments seg. */
static bool ends_with_seg(const char *path, size_t n, const char *seg)
{
	size_t k = strlen(seg);

	return n >= k && memcmp(path + n - k, seg, k) == 0 &&
	       (n == k || path[n - k - 1] == '/');
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
	c->move = NULL;
	c->move_checked = false;
	c->welcomed = false;
	c->refused = false;
	c->role = PROTO_ROLE_EDITOR;
	c->notes_skip_below = 0;
	c->pad_id[0] = 0;
	/* .../ws/<id> or .../ws/new/<id>: the last segment, after a segment
	   "ws" or the segments "ws/new" */
	if (id) {
		dir = (size_t)(id - path);
		id++;
		c->create_path = ends_with_seg(path, dir, "ws/new");
		if ((c->create_path || ends_with_seg(path, dir, "ws")) &&
		    padstore_valid_id(id)) {
			snprintf(c->pad_id, sizeof(c->pad_id), "%s", id);
			return 0;
		}
	}
	hub_send_error(
	        h, c, PROTO_E_BAD_PAD_ID,
	        "the address must be /ws/ followed by 1 to 64 of A-Z a-z 0-9 _ -",
	        NULL, -1);
	hub_send_close(h, c, 4400);
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
		hub_send_error(h, c, PROTO_E_MESSAGE_TOO_LARGE, msg, NULL, -1);
		return;
	}
	if (binary) {
		hub_send_error(h, c, PROTO_E_BINARY_FRAME,
		               "messages are JSON in text frames", NULL, -1);
		return;
	}
	if (proto_parse(text, len, &lim, &m, &e) < 0) {
		hub_send_error(h, c, e.code, e.message, NULL, -1);
		return;
	}
	if (m.type == PROTO_PING) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "type",
		                       json_object_new_string("pong"));
		hub_send_json(h, c->pad, c, NULL, o);
	} else if (m.type == PROTO_HELLO) {
		if (c->pad || c->move)
			hub_send_error(h, c, PROTO_E_ALREADY_JOINED,
			               "this connection has already said hello",
			               NULL, -1);
		else
			hub_do_hello(h, c, &m);
	} else if (!c->pad) {
		hub_send_error(h, c, PROTO_E_NOT_JOINED, "say hello first",
		               NULL, -1);
	} else if (!hub_allowed(h, c, &m)) {
		/* forbidden: told so, nothing done */
	} else if (m.type == PROTO_PULL && m.notes) {
		struct pad *n = c->pad->notes;
		if (!n || (uint64_t)m.version > n->version) {
			snprintf(msg, sizeof(msg),
			         "the notes are at version %llu",
			         n ? (unsigned long long)n->version : 0ull);
			hub_send_error(h, c, PROTO_E_FUTURE_VERSION, msg, NULL,
			               n ? (int64_t)n->version : 0);
		} else {
			struct out *o = hub_out_add(h, OUT_PULL, n, c, NULL);
			if (o) {
				o->from = (uint64_t)m.version;
				o->notes = true;
			}
		}
	} else {
		switch (m.type) {
		case PROTO_PUSH:
			hub_do_push(h, c, &m);
			break;
		case PROTO_PULL:
			if ((uint64_t)m.version > c->pad->version) {
				snprintf(msg, sizeof(msg),
				         "the pad is at version %llu",
				         (unsigned long long)c->pad->version);
				hub_send_error(h, c, PROTO_E_FUTURE_VERSION,
				               msg, NULL,
				               (int64_t)c->pad->version);
			} else {
				struct out *o = hub_out_add(h, OUT_PULL, c->pad,
				                            c, NULL);
				if (o)
					o->from = (uint64_t)m.version;
			}
			break;
		case PROTO_PRESENCE:
			hub_do_presence(h, c, &m);
			break;
		case PROTO_PROFILE:
			hub_do_profile(h, c, &m);
			break;
		case PROTO_LANGUAGE:
			hub_do_language(h, c, &m);
			break;
		case PROTO_RUN:
			hub_do_run(h, c, &m);
			break;
		case PROTO_STDIN:
			hub_do_stdin(h, c, &m);
			break;
		case PROTO_STOP:
			hub_do_stop(h, c);
			break;
		case PROTO_TESTS:
			hub_do_tests(h, c, &m);
			break;
		case PROTO_CONTROL:
			hub_do_control(h, c, &m);
			break;
		case PROTO_LINKS:
			hub_do_links(h, c, &m);
			break;
		case PROTO_REMOVE:
			hub_do_remove(h, c, &m);
			break;
		case PROTO_HISTORY:
			hub_do_history(h, c, &m);
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
	hub_move_leave(h, c);
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
			json_object_put(e->links);
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
		hub_send_json(h, p, NULL, NULL, o);
		hub_event(h, p, hub_participant_event("leave", pt));
		logf_(h, 6, "pad %s: %s left (%u here)", p->id, pt->id,
		      p->nparts);
		json_object_put(pt->selection);
		free(pt->name);
		free(pt);
		if (!p->nparts) {
			p->empty_since_ms = mono_ms();
			/* nobody left to push against it; the store has it all
			   unless the turn is still open */
			if (!p->dirty)
				hub_hist_reset(p);
		}
	}
	c->pad = NULL;
	c->part = NULL;
}

/* ---------------------------------------------------------------- periodic */

static bool pad_in_memory(void *arg, const char *id)
{
	return hub_pad_find(arg, id) != NULL;
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
				hub_pad_free(p);
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

/* commit what the turn wrote, then deliver what it queued */
static void turn_commit(struct hub *h)
{
	bool ok;

	hub_drain_notes(h, true);
	if (h->txn || h->txn_failed || h->dirty) {
		ok = hub_turn_commit(h) == 0;
		if (!ok)
			logf_(h, 3,
			      "commit failed, the turn's changes are refused: %s",
			      h->txn_err);
		hub_turn_settle(h, ok);
		hub_flush(h, ok);
		h->txn_err[0] = 0;
	} else if (h->out_head) {
		hub_flush(h, true);
	}
}

void hub_turn_end(struct hub *h)
{
	turn_commit(h);
	/* after the commit: a pad that arrived is stored with a write
	   transaction of its own, which the turn's would block (LMDB has one
	   writer); the hellos that waited for it are welcomed now, and what
	   their welcomes wrote is committed before it is delivered */
	if (hub_moves_settle(h))
		turn_commit(h);
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
	/* the ring decides again (hub_move.c) */
	hub_moved_clear(h);
	for (struct hub_conn *c = h->conns; c; c = c->next)
		if (c->pad_id[0] && !c->refused &&
		    !wsconf_owns(conf, c->pad_id, NULL)) {
			hub_refuse_foreign(h, c);
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
		hub_send_close(h, c, 1001);
	hub_turn_end(h);
}

void hub_free(struct hub *h)
{
	if (!h)
		return;
	hub_moves_free(h);
	/* no callback runs after runner_free: then the queue is final */
	for (unsigned b = 0; b < HUB_BUCKETS; b++)
		for (struct pad *p = h->buckets[b]; p; p = p->next)
			if (p->run.rr) {
				runner_free(p->run.rr);
				p->run.rr = NULL;
			}
	hub_drain_notes(h, false);
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
			hub_pad_free(p);
		}
	}
	while (h->out_head) {
		struct out *e = h->out_head;
		h->out_head = e->next;
		wsmsg_unref(e->msg);
		json_object_put(e->ref);
		json_object_put(e->links);
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
	st->updates_rebased = h->rebased;
}
