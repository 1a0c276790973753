/*
 * pool.c - slot admission.  See pool.h.
 *
 * Waiters form a list in arrival order; a released slot is handed to the
 * first waiter directly (so a newcomer cannot overtake the line), and
 * every waiter wakes at least every 100 ms to look at its client.
 */
#include "pool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct waiter {
	struct waiter *next;
	int slot; /* handed over by pool_release, or -1 */
	bool counted;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned nslots;
	bool *busy;
	unsigned nbusy;
	struct waiter *head, *tail;
	unsigned nwaiting, ncounted;
	bool shutdown;
};

struct pool *pool_new(unsigned slots)
{
	struct pool *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;

	if (!p)
		return NULL;
	p->busy = calloc(slots, sizeof(*p->busy));
	if (!p->busy) {
		free(p);
		return NULL;
	}
	p->nslots = slots;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	return p;
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->busy);
	free(p);
}

static int take_free(struct pool *p)
{
	for (unsigned i = 0; i < p->nslots; i++) {
		if (!p->busy[i]) {
			p->busy[i] = true;
			p->nbusy++;
			return (int)i;
		}
	}
	return -1;
}

static void unlink_waiter(struct pool *p, struct waiter *w)
{
	struct waiter **pp = &p->head, *prev = NULL;

	while (*pp && *pp != w) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = w->next;
	if (p->tail == w)
		p->tail = prev;
	p->nwaiting--;
	if (w->counted)
		p->ncounted--;
}

bool pool_client_gone(int fd)
{
	struct pollfd pfd = {fd, POLLIN | POLLRDHUP, 0};

	return fd >= 0 && poll(&pfd, 1, 0) > 0 && pfd.revents;
}

int pool_acquire(struct pool *p, unsigned queue_max, bool counted,
                 int hangup_fd, void (*on_queued)(void *arg, unsigned pos),
                 void *arg, int *slot)
{
	struct waiter w = {.slot = -1, .counted = counted};
	unsigned pos;
	int r = 0;

	pthread_mutex_lock(&p->lock);
	if (p->shutdown) {
		pthread_mutex_unlock(&p->lock);
		return -ESHUTDOWN;
	}
	if (!p->head && (*slot = take_free(p)) >= 0) {
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	if (counted && p->ncounted >= queue_max) {
		pthread_mutex_unlock(&p->lock);
		return -EBUSY;
	}
	if (p->tail)
		p->tail->next = &w;
	else
		p->head = &w;
	p->tail = &w;
	p->nwaiting++;
	p->ncounted += counted;
	pos = p->nwaiting;
	pthread_mutex_unlock(&p->lock);

	if (on_queued)
		on_queued(arg, pos);

	pthread_mutex_lock(&p->lock);
	while (w.slot < 0) {
		struct timespec ts;
		if (p->shutdown) {
			r = -ESHUTDOWN;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 100 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		if (w.slot < 0 && pool_client_gone(hangup_fd)) {
			r = -ECANCELED;
			break;
		}
	}
	if (w.slot >= 0) {
		*slot = w.slot;
		r = 0;
	} else {
		unlink_waiter(p, &w);
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

void pool_release(struct pool *p, int slot)
{
	pthread_mutex_lock(&p->lock);
	if (p->head && !p->shutdown) {
		/* hand the slot over to the first in line */
		struct waiter *w = p->head;
		unlink_waiter(p, w);
		w->slot = slot;
		pthread_cond_broadcast(&p->cond);
	} else {
		p->busy[slot] = false;
		p->nbusy--;
	}
	pthread_mutex_unlock(&p->lock);
}

void pool_shutdown(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->shutdown = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void pool_stats(struct pool *p, unsigned *slots, unsigned *busy,
                unsigned *waiting)
{
	pthread_mutex_lock(&p->lock);
	*slots = p->nslots;
	*busy = p->nbusy;
	*waiting = p->nwaiting;
	pthread_mutex_unlock(&p->lock);
}
