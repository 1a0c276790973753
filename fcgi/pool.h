/*
 * pool.h - admission to the jail's slots: a fixed number of slots and a
 * bounded, first-come first-served wait queue in front of them.
 *
 * A request that finds every slot busy and the queue full is refused at
 * once (the caller answers 503 with Retry-After): nothing waits without
 * bound, and a client that leaves while queued gives its place up.
 */
#ifndef RUNPAD_POOL_H
#define RUNPAD_POOL_H

#include <stdbool.h>

struct pool; /* opaque */

struct pool *pool_new(unsigned slots); /* NULL on ENOMEM */
void pool_free(struct pool *p);        /* accepts NULL; no one may wait */

/*
 * Take a slot, waiting in line when all are busy.  `queue_max` bounds the
 * waiters counted against it (`counted` false: an async worker, whose
 * number is bounded by itself, waits without being counted).  While
 * waiting, `hangup_fd` (or -1) is watched: readable or hung up means the
 * client left.  `on_queued(arg, position)` (may be NULL) is called once,
 * before the wait, when the request has to wait.
 * Returns 0 with *slot set, -EBUSY when the queue is full, -ECANCELED when
 * the client left, -ESHUTDOWN after pool_shutdown().
 */
int pool_acquire(struct pool *p, unsigned queue_max, bool counted,
                 int hangup_fd, void (*on_queued)(void *arg, unsigned pos),
                 void *arg, int *slot);
void pool_release(struct pool *p, int slot);

/* Whether the peer of a client's connection fd went away (readable or
   hung up: nginx sends nothing after the request, so either means the
   client left).  False for fd < 0. */
bool pool_client_gone(int fd);

/* Refuse every waiter and every later acquire with -ESHUTDOWN. */
void pool_shutdown(struct pool *p);

void pool_stats(struct pool *p, unsigned *slots, unsigned *busy,
                unsigned *waiting);

#endif
