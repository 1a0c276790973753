/*
 * hub.h - the pad authority of runpad-ws: every open pad with its text,
 * version, language, participants and run, and the rules of
 * docs/protocol.md.  It knows nothing of sockets: the server hands it each
 * complete text message of a connection and gives it a way to queue bytes
 * back (struct hub_ops).
 *
 * One event-loop turn:
 *   hub_message() / hub_join() / hub_leave()   as the loop delivers them
 *   hub_turn_end()                             after each lws_service()
 * Accepted updates go into one LMDB write transaction per turn; nothing a
 * message causes reaches any client before hub_turn_end() has committed
 * that transaction ("committed before broadcast").  When the commit fails,
 * the pads it touched return to their state before the turn and the
 * pushers get `store_error`.
 *
 * Threads: everything here runs on the loop's thread, except that runs
 * (runner.h) report from their own threads into a locked queue and call
 * ops->wake(); the loop then drains the queue in hub_turn_end().
 */
#ifndef RUNPAD_HUB_H
#define RUNPAD_HUB_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wsconf.h"

/* ---------------------------------------------------------------- messages */

/* Headroom before the payload, for the websocket frame header (LWS_PRE). */
#define WSMSG_PRE 16

/*
 * An outgoing message, shared by every connection it is queued on:
 * refcounted, immutable once made.  Payload at data + WSMSG_PRE.
 */
struct wsmsg {
	unsigned refs;
	size_t len;
	unsigned char data[];
};

/* New message with one reference holding json_object_to_json_string(o). */
struct wsmsg *wsmsg_from_json(json_object *o);
struct wsmsg *wsmsg_ref(struct wsmsg *m);
void wsmsg_unref(struct wsmsg *m); /* NULL ok */

/* ---------------------------------------------------------------- hub */

struct hub;
struct pad;
struct participant;

/*
 * A connection as the hub sees it.  The server embeds one in its
 * per-connection data, calls hub_join() when the websocket opens and
 * hub_leave() when it closes; the hub never frees it.
 */
struct hub_conn {
	char pad_id[65];
	bool create_path; /* the socket was opened at .../ws/new/<pad> */
	struct pad *pad;  /* after hello */
	struct participant *part; /* after hello */
	bool welcomed;            /* its welcome went out */
	bool refused;             /* told wrong_daemon; closing */
	uint64_t skip_below;      /* updates before this are in its text */
	double tokens;            /* update budget (token bucket) */
	int64_t tokens_at_ms;
	struct move *move; /* a hello waiting for its pad to move here */
	bool move_checked; /* its pad was asked for already */
	int role;          /* enum proto_role, after hello */
	uint64_t notes_skip_below; /* as skip_below, for the notes (owners) */
	/* the X-Runpad-Create-Secret header of the upgrade (nginx's), or "" */
	char create_secret[257];
	void *server;                 /* the server's own data for this conn */
	struct hub_conn *prev, *next; /* every connection, for shutdown */
};

struct hub_ops {
	/* Queue m (take a reference) for c.  Return 1 when c's queue now
	   holds more than ws.max_queue bytes: the hub then calls drop() and
	   queues a snapshot instead. */
	int (*send)(void *srv, struct hub_conn *c, struct wsmsg *m);
	/* Forget every message queued for c and not yet started. */
	void (*drop)(void *srv, struct hub_conn *c);
	/* Close c with a websocket close code once its queue is written. */
	void (*close)(void *srv, struct hub_conn *c, int code,
	              const char *reason);
	/* From any thread: make the loop come round (lws_cancel_service). */
	void (*wake)(void *srv);
	/* One log line, already prefixed with a journal priority "<N>". */
	void (*log)(void *srv, const char *line);
};

struct padstore;

/* conf and store stay owned by the caller and must outlive the hub (see
   hub_set_conf()). */
struct hub *hub_new(const struct wsconf *conf, struct padstore *store,
                    const struct hub_ops *ops, void *srv);
/* Stops runs (waiting for their threads), commits, frees every pad. */
void hub_free(struct hub *h);

/*
 * A reloaded configuration; the old one may be freed when this returns.
 * When ws.ring now gives pads in memory to another daemon, every
 * connection to them gets the `wrong_daemon` error and a close 4421 (so
 * clients come back through nginx to the new owner), a run in them is
 * stopped, and they leave memory as soon as they are empty and stored.
 * Call between turns (after hub_turn_end()).
 */
void hub_set_conf(struct hub *h, const struct wsconf *conf);

/* A websocket opened on path (the request URI).  Returns 0, or -1 when the
   path names no valid pad (an error and a close 4400 are queued). */
int hub_join(struct hub *h, struct hub_conn *c, const char *path);
/* A complete message: text frame (binary false) of len bytes, or too_big
   when it was longer than ws.max_message (text is then NULL). */
void hub_message(struct hub *h, struct hub_conn *c, const char *text,
                 size_t len, bool binary, bool too_big);
/* The connection closed; c may be freed after this returns. */
void hub_leave(struct hub *h, struct hub_conn *c);

/* Commit the turn, deliver its messages, drain run events, and do the
   periodic work (unloading idle pads, the expiry sweep, syncing). */
void hub_turn_end(struct hub *h);

/* Send every connection a close 1001 (the daemon is stopping). */
void hub_shutdown(struct hub *h);

/*
 * For a peer that takes a pad over (ws/handoff.h): stop serving pad (its
 * people are sent elsewhere, no hello is taken for it until the next
 * reload), commit, and append its dump to out.  0 with *head, -ENOENT when
 * it is not stored here, -errno with err.
 */
struct buf;
int hub_handoff_export(struct hub *h, const char *pad, struct buf *out,
                       uint64_t *head, char *err, size_t errlen);
/* Delete the copy of a pad handed over at head.  0; -EPERM when it was not
   handed over; -ESTALE when the copy here is at another head. */
int hub_handoff_forget(struct hub *h, const char *pad, uint64_t head, char *err,
                       size_t errlen);

struct hub_stats {
	size_t pads, connections, runs;
	uint64_t updates_accepted, updates_rejected;
	uint64_t
	        updates_rebased; /* of the accepted: made at an older version */
};
void hub_stats(const struct hub *h, struct hub_stats *st);

#endif
