/*
 * server.h - runpad-fcgi's service: FastCGI worker threads answering the
 * run API, the async submission workers, and reload and shutdown.
 *
 * Threads: `threads` FastCGI workers accept on the listening socket and
 * each answers one request at a time (a run holds its worker while it
 * runs); `async_workers` threads run stored submissions.  Runs of both
 * kinds share the slot pool.  The settings are swapped atomically by
 * srv_reload(); each request keeps the settings it started with.
 */
#ifndef RUNPAD_SERVER_H
#define RUNPAD_SERVER_H

#include <stddef.h>

#include "log.h" /* the daemon logs with log_msg() */
#include "sandbox.h"
#include "settings.h"

struct srv; /* opaque */

/*
 * Build the service around a listening socket (owned from now on) and a
 * jail context (borrowed; it must outlive the service).  Opens the
 * submissions store under set->state_dir and recovers what a previous
 * process left.  Takes a reference to `set`.  No thread runs yet.
 * Returns 0 or -errno with err set.
 */
int srv_new(struct settings *set, struct sbx_ctx *ctx, int listen_fd,
            struct srv **out, char *err, size_t errlen);

/* Start the threads.  0 or -errno. */
int srv_start(struct srv *s, char *err, size_t errlen);

/* Use `next` for requests from now on (takes a reference). */
void srv_reload(struct srv *s, struct settings *next);

/* The settings in use, with a reference the caller drops. */
struct settings *srv_settings(struct srv *s);

/*
 * Stop: no new requests; runs in flight get up to `grace_ms` to finish,
 * then are stopped; every thread is joined.
 */
void srv_stop(struct srv *s, unsigned grace_ms);
void srv_free(struct srv *s); /* accepts NULL; after srv_stop */

#endif
