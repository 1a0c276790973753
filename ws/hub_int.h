/*
 * hub_int.h - what the parts of the pad authority share (not a public
 * header: see hub.h).  The parts:
 *
 *   wsmsg.c         refcounted messages
 *   hub_pad.c       a pad: loaded from the store, its text, freed
 *   hub_turn.c      the turn: the outbox, the one commit that comes
 *                   before every broadcast, settling a failed turn, and
 *                   the delivery of welcomes, catch-ups and broadcasts
 *   hub_edit.c      edits: a push checked, rebased, applied, stored,
 *                   broadcast
 *   hub_history.c   the updates a push may be rebased over: the recent
 *                   ones in memory, older ones from the store
 *   hub_move.c      pads that move with the ring: asking peers for a pad
 *                   not held here, handing one over
 *   hub_presence.c  presence, profile, language and the tests list
 *   hub_roles.c     links and roles, creating pads, owner controls, the
 *                   pad's event log and its history for playback
 *   hub_run.c       shared runs through the run API
 *   hub.c           connections (hello, join, message, leave), the
 *                   periodic work and the hub's life
 */
#ifndef RUNPAD_HUB_INT_H
#define RUNPAD_HUB_INT_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "hub.h"
#include "log.h"
#include "ot.h"
#include "padstore.h"
#include "proto.h"
#include "rebase.h"
#include "runner.h"

#define HUB_BUCKETS       4096
#define PART_ID_MAX       16
#define STORE_SWEEP_BATCH 100

/* ---------------------------------------------------------------- types */

struct participant {
	struct participant *next;
	struct hub_conn *conn;
	enum proto_role role;
	uint64_t seq; /* order of joining, daemon-wide */
	char id[PART_ID_MAX];
	char *name;
	char color[8];
	json_object *selection; /* owned, or NULL */
	int64_t sel_version;
};

/* A pad's toolchain for its language (docs/protocol.md, "language"): what
   its runs ask the run API for as `version` and `options`.  All zero: the
   language's defaults.  The daemon does not know the registry; the run
   API checks the choice on every run. */
struct pad_toolchain {
	char variant[PROTO_MAX_TOOLCHAIN + 1]; /* "": the default */
	unsigned nopts;
	struct {
		char name[PROTO_MAX_TOOLCHAIN + 1];
		char value[PROTO_MAX_TOOLCHAIN + 1];
	} opt[PROTO_MAX_OPTIONS];
};

struct run_ctx {
	struct hub *hub;
	char pad[PADSTORE_ID_MAX + 1];
	unsigned no;
};

struct run {
	unsigned no;
	int64_t started_ms;
	bool active;
	char by[PART_ID_MAX];
	char *by_name;
	uint64_t version;
	char language[PADSTORE_LANG_MAX + 1];
	struct pad_toolchain tc; /* the pad's when the run started */
	json_object *events;     /* array, owned; NULL before the first run */
	size_t bytes;
	bool truncated;
	char *verdict;
	bool interactive; /* false for a run of the tests */
	struct runner_run *rr;
	struct run_ctx *ctx;
};

/* An accepted update, kept for rebasing later pushes over it. */
struct hist_entry {
	char *client;               /* clientID, owned */
	struct ot_changes *changes; /* owned */
	size_t bytes;               /* what it costs, about */
};

/* The pad's most recent accepted updates: e[i] made version first + i.
   It always holds every update of the open turn (not yet committed), so
   what it does not hold can be read from the store. */
struct pad_hist {
	uint64_t first;
	size_t n, cap;
	size_t bytes; /* of every entry */
	struct hist_entry *e;
};

/* A pad's links (the SHA-256 of each key), its owner's controls and its
   toolchain: what the store's access record holds (hub_roles.c). */
struct pad_access {
	bool on; /* the pad has links; false: an open pad */
	uint8_t owner[32], candidate[32], observer[32];
	bool candidate_on, observer_on; /* false: revoked */
	char title[PROTO_MAX_TITLE + 1];
	bool locked, runs_locked, ended, playback;
	struct pad_toolchain tc;
};

struct pad {
	struct pad *next;       /* bucket chain */
	struct pad *dirty_next; /* turn's dirty list */
	char id[PADSTORE_DOC_MAX + 1];
	struct pad *notes; /* the owners' notes (a pad with links), or NULL */
	struct pad *main;  /* for the notes: their pad; NULL otherwise */
	struct pad_access acc;
	int64_t created_ms;
	uint64_t event_seq;  /* the last stored event's number */
	size_t runlog_bytes; /* of the runs kept (ws.max_run_log) */
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
	struct pad_hist hist;
	double run_tokens; /* runs this pad may start now (ws.runs_per_minute) */
	int64_t run_tokens_at_ms;
	/* the turn's state */
	bool dirty, run_dirty;
	char *prev_text;
	size_t prev_bytes, prev_len16;
	uint64_t prev_version, prev_snap;
	char prev_language[PADSTORE_LANG_MAX + 1];
	int64_t prev_last_edit;
	json_object *prev_tests; /* a reference, during a dirty turn */
	struct pad_access prev_acc;
	uint64_t prev_event_seq;
	size_t prev_runlog_bytes;
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
	bool notes;         /* OUT_PULL of the notes; OUT_MSG for owners only */
	json_object *links; /* OUT_WELCOME of a pad just made: its keys */
	int code;           /* OUT_CLOSE */
};

/* a pad handed over to a peer: no hello for it until the next reload */
struct moved {
	struct moved *next;
	char pad[PADSTORE_ID_MAX + 1];
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
	uint64_t accepted, rejected, rebased;
	struct move *moves;  /* pads being asked for (hub_move.c) */
	struct moved *moved; /* pads handed over since the last reload */
};

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void logf_(struct hub *h, int prio, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static inline void logf_(struct hub *h, int prio, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	log_format(line, sizeof(line), prio, fmt, ap);
	va_end(ap);
	if (h->ops->log)
		h->ops->log(h->srv, line);
}

/* wsmsg.c: a message of len bytes (plus a NUL) for the caller to fill */
struct wsmsg *wsmsg_alloc(size_t len);

/* hub_turn.c */
void hub_flush(struct hub *h, bool committed);
void hub_mark_dirty(struct hub *h, struct pad *p);
struct out *hub_out_add(struct hub *h, enum out_kind kind, struct pad *p,
                        struct hub_conn *to, struct wsmsg *m);
json_object *hub_participant_json(const struct participant *pt, bool sel);
void hub_refuse_foreign(struct hub *h, struct hub_conn *c);
json_object *hub_run_json(const struct run *r);
void hub_send_close(struct hub *h, struct hub_conn *c, int code);
void hub_send_error(struct hub *h, struct hub_conn *c, enum proto_err code,
                    const char *message, json_object *ref, int64_t head);
struct out *hub_send_json(struct hub *h, struct pad *p, struct hub_conn *to,
                          struct hub_conn *except, json_object *o);
void hub_set_text(struct pad *p, char *text, size_t bytes, size_t len16);
int hub_turn_commit(struct hub *h);
void hub_turn_settle(struct hub *h, bool ok);
int hub_txn_get(struct hub *h);

/* hub_pad.c */
json_object *hub_json_from_bytes(const void *data, size_t len);
struct pad *hub_pad_find(struct hub *h, const char *id);
void hub_pad_free(struct pad *p);
struct pad *hub_pad_load(struct hub *h, const char *id, char *err,
                         size_t errlen);
/* A document (a pad or a pad's notes) from the store, not entered in the
   hub's table: the caller owns it. */
struct pad *hub_doc_load(struct hub *h, const char *id, char *err,
                         size_t errlen);
void hub_run_clear(struct run *r);

/* hub_run.c */
void hub_do_run(struct hub *h, struct hub_conn *c, struct proto_msg *m);
void hub_do_stdin(struct hub *h, struct hub_conn *c, struct proto_msg *m);
void hub_do_stop(struct hub *h, struct hub_conn *c);
void hub_drain_notes(struct hub *h, bool handle);
int hub_runner_url(struct hub *h, char *err, size_t errlen);

/* hub_edit.c */
void hub_do_push(struct hub *h, struct hub_conn *c, struct proto_msg *m);

/* hub_history.c */
/* Updates kept in memory per pad: HUB_HIST_KEEP, or fewer when they
   take more than HUB_HIST_BYTES (the turn's own are always kept). */
#define HUB_HIST_KEEP  1024
#define HUB_HIST_BYTES ((size_t)1 << 20)
void hub_hist_reset(struct pad *p); /* empty, starting after p->version */
/* Keep cs (taken) with its clientID; bytes: its stored JSON's length. */
int hub_hist_add(struct pad *p, const char *client, struct ot_changes *cs,
                 size_t bytes);
void hub_hist_trim(struct pad *p, uint64_t committed);
void hub_hist_drop_after(struct pad *p, uint64_t version);
void hub_hist_free(struct pad *p);
/* The updates (from, p->version] into *over (*n of them; the first
   *owned are the caller's to free with hub_hist_over_free).  0, or -1 with
   a message. */
int hub_hist_over(struct hub *h, struct pad *p, uint64_t from,
                  struct rebase_update **over, size_t *n, size_t *owned,
                  char *err, size_t errlen);
void hub_hist_over_free(struct rebase_update *over, size_t owned);

/* hub.c */
void hub_do_hello(struct hub *h, struct hub_conn *c, struct proto_msg *m);

/* hub_move.c */
bool hub_moved_away(const struct hub *h, const char *pad);
void hub_moved_clear(struct hub *h);
bool hub_move_needed(struct hub *h, const char *pad);
int hub_move_wait(struct hub *h, struct hub_conn *c, const struct proto_msg *m);
void hub_move_leave(struct hub *h, struct hub_conn *c);
/* Finish the moves whose peers answered; true when one did.  Only with
   no turn open (it writes to the store). */
bool hub_moves_settle(struct hub *h);
void hub_moves_free(struct hub *h);

/* hub_roles.c */
/* The pad's access record from its stored JSON: 0, or -1 (malformed). */
int hub_access_parse(struct pad_access *a, const char *json, size_t len);
/* Put p's access record into the turn's transaction (for an open pad,
   only while it has a toolchain; none otherwise): 0, or -1 with the turn
   failed. */
int hub_access_store(struct hub *h, struct pad *p);
json_object *hub_controls_json(const struct pad_access *a);
/* Add t to o as "variant" (a string, or null for the default) and
   "options" (an object, {} for none). */
void hub_toolchain_json(json_object *o, const struct pad_toolchain *t);
/* t from a stored "variant" and "options" (either may be NULL): what
   does not have the protocol's shape is left at the default. */
void hub_toolchain_parse(struct pad_toolchain *t, json_object *variant,
                         json_object *options);
/* t from a language message m: variant and options as m gives them; a
   field m leaves out keeps t's, unless keep is false (a new language:
   then it is the default). */
void hub_toolchain_from_msg(struct pad_toolchain *t, const struct proto_msg *m,
                            bool keep);
/* True when c may send m; otherwise c is told `forbidden` and nothing
   is done. */
bool hub_allowed(struct hub *h, struct hub_conn *c, const struct proto_msg *m);
/* At hello: c's role in p (which is_new says was not stored), creating
   the pad's links when m asks to.  0 with c->role set (*links: the new
   keys, for the welcome, or NULL), or -1 after telling c why (and
   closing it, where the protocol says so). */
int hub_hello_access(struct hub *h, struct hub_conn *c, struct pad *p,
                     bool is_new, const struct proto_msg *m,
                     json_object **links);
/* Store ev (taken) in p's event log with its time; the turn's. */
void hub_event(struct hub *h, struct pad *p, json_object *ev);
json_object *hub_participant_event(const char *kind,
                                   const struct participant *pt);
void hub_do_control(struct hub *h, struct hub_conn *c, struct proto_msg *m);
void hub_do_links(struct hub *h, struct hub_conn *c, struct proto_msg *m);
void hub_do_remove(struct hub *h, struct hub_conn *c, struct proto_msg *m);
void hub_do_history(struct hub *h, struct hub_conn *c, struct proto_msg *m);
/* Keep run r of p (its JSON) in the pad's run log, within
   ws.max_run_log; the turn's. */
void hub_runlog_put(struct hub *h, struct pad *p, const struct run *r);
/* The notes document of p (loaded, or new and empty): NULL when out of
   memory or the store failed (err says). */
struct pad *hub_notes_load(struct hub *h, struct pad *p, char *err,
                           size_t errlen);

/* hub_presence.c */
void hub_do_language(struct hub *h, struct hub_conn *c, struct proto_msg *m);
void hub_do_presence(struct hub *h, struct hub_conn *c, struct proto_msg *m);
void hub_do_profile(struct hub *h, struct hub_conn *c, struct proto_msg *m);
void hub_do_tests(struct hub *h, struct hub_conn *c, struct proto_msg *m);
int hub_set_profile(struct participant *pt, const char *name,
                    const char *color);

#endif
