/*
 * wsconf.h - settings of runpad-ws.
 *
 * runpad-ws reads the same `key = value` file as the other runpad programs
 * (conf.h) and takes the `ws.*` keys; keys of other programs (`fcgi.*`,
 * `jail.*`, ...) are skipped, an unknown `ws.*` key is an error.  Every key
 * has an embedded default, so the file may be empty or missing.
 * docs/ops.md lists the keys with their bounds and reload behaviour.
 *
 * A struct wsconf is plain data owned by whoever made it with wsconf_load()
 * and freed with wsconf_free(); the daemon swaps a whole new one in on
 * SIGHUP and keeps the old one until nothing points into it.
 */
#ifndef RUNPAD_WSCONF_H
#define RUNPAD_WSCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ring;

struct wsconf {
	char *listen;       /* common/addr.h's grammar; restart only */
	char *state_dir;    /* LMDB environment lives in <state_dir>/pads */
	char *runner;       /* run API base URL (runner.h) */
	char *runner_token; /* Bearer token for the run API, or NULL */
	char *ring;         /* ws.ring: nginx's server list; "" none */
	char *ring_self;    /* ws.ring_self: this daemon's entry in it */
	char *peers;  /* ws.peers: more daemons to ask for pads (handoff.h) */
	char *create; /* ws.create: "anyone" or "secret" */
	char *create_secret;  /* ws.create_secret, or NULL */
	char *templates;      /* ws.templates: the templates' directory */
	uint64_t max_run_log; /* ws.max_run_log: bytes of runs kept per pad */
	bool handoff;         /* ws.handoff: ask them for a pad not held here */
	struct ring *owners;  /* ws.ring parsed (ring.h); NULL when "" */
	uint64_t map_size;    /* LMDB map size, bytes; restart only */
	uint64_t max_doc;     /* bytes of UTF-8 text per pad */
	uint64_t max_message; /* bytes per incoming websocket message */
	uint64_t max_queue;   /* bytes queued to one client before resync */
	uint64_t max_run_output;     /* bytes of run events kept per pad */
	uint64_t run_files_total;    /* limits.out_total asked for pad runs */
	unsigned updates_per_second; /* per client, refill of the bucket */
	unsigned update_burst;       /* per client, size of the bucket */
	unsigned max_updates_per_push;
	unsigned max_participants; /* per pad */
	unsigned max_pads;         /* pads in memory */
	unsigned max_name;         /* bytes of a display name */
	unsigned max_catchup; /* updates sent on reconnect before a snapshot */
	unsigned snapshot_every; /* versions between stored snapshots */
	uint64_t idle_unload_ms; /* a pad with nobody in it leaves memory */
	unsigned
	        expire_days; /* delete pads not edited for this long; 0 never */
	uint64_t sweep_interval_ms;
	uint64_t sync_interval_ms; /* 0: fsync every commit */
	uint64_t run_wall_ms; /* wall_time asked of the runner for pad runs */
	unsigned runs_per_minute; /* per pad; 0: no limit */
	unsigned max_runs;        /* pad runs of this daemon at once; 0: none */
	uint64_t runner_timeout_ms; /* connect timeout to the runner */
};

/* The table of the ws.* keys (settab.h), for the docs check. */
extern const struct settab wsconf_table;

/* Print every ws.* key of c as "key = value" lines (secrets as "(set)"). */
void wsconf_print(const struct wsconf *c, FILE *f);

/* Load path (NULL: defaults only) and the drop-ins in conf.d next to it
   (conf_load_with_dropins), then apply the `key=value` overrides in
   sets[0..nsets).  Returns a new wsconf or NULL with a message in err. */
struct wsconf *wsconf_load(const char *path, char *const *sets, size_t nsets,
                           char *err, size_t errlen);

/* Apply one "key=value" override to c.  0 or -EINVAL with err.  ws.ring
   and ws.ring_self are checked together only by wsconf_load(). */
int wsconf_set_pair(struct wsconf *c, const char *pair, char *err,
                    size_t errlen);

/* Name of the first restart-only setting that differs, or NULL. */
const char *wsconf_restart_only_change(const struct wsconf *a,
                                       const struct wsconf *b);

/*
 * Whether this daemon serves pad: true when ws.ring is empty, else when
 * the ring gives the pad id (the key nginx hashes) to ws.ring_self.  When
 * it does not and owner is not NULL, *owner gets the entry that does
 * (valid while c lives).
 */
bool wsconf_owns(const struct wsconf *c, const char *pad, const char **owner);

void wsconf_free(struct wsconf *c); /* NULL ok */

#endif
