/*
 * runs.h - the table of live runs, so that other requests can reach a run
 * by its id: feed its stdin, stop it.
 *
 * Every run the API starts is in the table from start to end; only
 * streaming runs tell their id to the client.  Ids are 128 random bits
 * from getrandom(2), written as 32 lowercase hex characters: knowing one is
 * the capability to feed or stop that run.
 *
 * A run owns the read ends of two pipes: stdin (what /stdin writes) and
 * cancel (one byte written by /kill or by shutdown).
 */
#ifndef RUNPAD_RUNS_H
#define RUNPAD_RUNS_H

#include <stdbool.h>
#include <stddef.h>

#define RUN_ID_LEN 32

struct runs;      /* opaque table */
struct run_entry; /* opaque; reference counted */

struct runs *runs_new(void);    /* NULL on ENOMEM */
void runs_free(struct runs *t); /* accepts NULL; the table must be empty */

struct ring;

/*
 * Fill buf (RUN_ID_LEN + 1 bytes) with a new random id.  With a ring
 * (fcgi.ring, ring.h; NULL: any id), draw until the ring gives the id to
 * self, so nginx's runpad_fcgi_id upstream brings later requests for it
 * here: 64 tries per ring entry at most, a miss every time being
 * astronomically unlikely unless self holds no points.  Returns 0, -EAGAIN
 * when the tries ran out, or -errno from getrandom(2).
 */
int runs_make_id(char *buf, const struct ring *ring, const char *self);

/*
 * Register a run.  On success *out is the entry (one reference, the
 * run's), id gets its id (runs_make_id() with ring and self), and *stdin_rd (-1 unless interactive) /
 * *cancel_rd the read ends the
 * jail polls (owned by the entry, valid until runs_remove).
 * `interactive`: /stdin may write; else stdin is closed for writers.
 * Returns 0 or -errno.
 */
int runs_add(struct runs *t, bool interactive, const struct ring *ring,
             const char *self, char *id, struct run_entry **out, int *stdin_rd,
             int *cancel_rd);

/* Take the entry out of the table, close its pipes and drop the run's
   reference.  Later lookups of its id fail. */
void runs_remove(struct runs *t, struct run_entry *e);

/*
 * Feed stdin: all of data or nothing.  Returns 0; -ENOENT unknown id;
 * -EPIPE stdin is closed (not interactive, closed already, or the program
 * is gone); -EAGAIN not enough room now (*room gets the free bytes).
 * With `close_after`, stdin is closed after the data.
 */
int runs_stdin(struct runs *t, const char *id, const char *data, size_t len,
               bool close_after, size_t *room);

/* Stop a run: 0 or -ENOENT. */
int runs_kill(struct runs *t, const char *id);

/* Stop every run (shutdown); returns how many. */
size_t runs_kill_all(struct runs *t);

size_t runs_count(struct runs *t);

#endif
