/* Unit tests: fcgi/pool, slot admission with real threads. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

TestSuite(pool, .timeout = 20);

/* One thread waiting for a slot. */
struct waiter {
	struct pool *p;
	unsigned queue_max;
	bool counted;
	int hangup_fd;
	sem_t *queued; /* posted from on_queued */
	unsigned pos;  /* what on_queued was told */
	int rc, slot;
	bool release; /* give the slot back at once */
	/* arrival order of slots, shared */
	pthread_mutex_t *order_lock;
	int *order;
	size_t *norder;
	int index;
	double waited; /* seconds in pool_acquire */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_queued(void *arg, unsigned pos)
{
	struct waiter *w = arg;

	w->pos = pos;
	if (w->queued)
		sem_post(w->queued);
}

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	double t0 = now_s();

	w->rc = pool_acquire(w->p, w->queue_max, w->counted, w->hangup_fd,
	                     on_queued, w, &w->slot);
	w->waited = now_s() - t0;
	if (w->rc == 0 && w->order) {
		pthread_mutex_lock(w->order_lock);
		w->order[(*w->norder)++] = w->index;
		pthread_mutex_unlock(w->order_lock);
	}
	if (w->rc == 0 && w->release)
		pool_release(w->p, w->slot);
	return NULL;
}

/* Start a waiter and return once it is in line. */
static void start_queued(pthread_t *th, struct waiter *w, sem_t *queued)
{
	struct timespec ts;

	w->queued = queued;
	cr_assert_eq(pthread_create(th, NULL, wait_thread, w), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	cr_assert_eq(sem_timedwait(queued, &ts), 0, "the waiter never queued");
}

static void stats(struct pool *p, unsigned slots, unsigned busy,
                  unsigned waiting)
{
	unsigned s, b, w;

	pool_stats(p, &s, &b, &w);
	cr_assert_eq(s, slots);
	cr_assert_eq(b, busy);
	cr_assert_eq(w, waiting);
}

static int calls;
static void count_calls(void *arg, unsigned pos)
{
	(void)arg;
	(void)pos;
	calls++;
}

Test(pool, free_slots_are_taken_at_once)
{
	struct pool *p = pool_new(2);
	int a = -1, b = -1, c = -1;

	cr_assert_not_null(p);
	stats(p, 2, 0, 0);
	cr_assert_eq(pool_acquire(p, 0, true, -1, count_calls, NULL, &a), 0);
	cr_assert_eq(pool_acquire(p, 0, true, -1, count_calls, NULL, &b), 0);
	cr_assert_eq(calls, 0, "on_queued is only for waiting");
	cr_assert_neq(a, b);
	cr_assert(a >= 0 && a < 2 && b >= 0 && b < 2);
	stats(p, 2, 2, 0);
	/* every slot busy and no room in line */
	cr_assert_eq(pool_acquire(p, 0, true, -1, count_calls, NULL, &c),
	             -EBUSY);
	cr_assert_eq(calls, 0);
	pool_release(p, a);
	stats(p, 2, 1, 0);
	cr_assert_eq(pool_acquire(p, 0, true, -1, NULL, NULL, &c), 0);
	cr_assert_eq(c, a, "the freed slot is reused");
	pool_release(p, b);
	pool_release(p, c);
	stats(p, 2, 0, 0);
	pool_free(p);
	pool_free(NULL);
}

Test(pool, waiters_get_slots_in_arrival_order)
{
	enum { N = 5 };
	struct pool *p = pool_new(1);
	struct waiter w[N];
	pthread_t th[N];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int order[N], held;
	size_t norder = 0;
	sem_t queued;

	cr_assert_eq(sem_init(&queued, 0, 0), 0);
	cr_assert_eq(pool_acquire(p, N, true, -1, NULL, NULL, &held), 0);
	for (int i = 0; i < N; i++) {
		w[i] = (struct waiter){
		        .p = p,
		        .queue_max = N,
		        .counted = true,
		        .hangup_fd = -1,
		        .release = true,
		        .order_lock = &lock,
		        .order = order,
		        .norder = &norder,
		        .index = i,
		};
		start_queued(&th[i], &w[i], &queued);
		cr_assert_eq(w[i].pos, (unsigned)i + 1, "position in line");
	}
	stats(p, 1, 1, N);
	/* each one releases at once: the slot travels down the line */
	pool_release(p, held);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(norder, N);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(w[i].rc, 0);
		cr_assert_eq(w[i].slot, held, "the one slot is handed on");
		cr_assert_eq(order[i], i, "slot %d went to waiter %d", i,
		             order[i]);
	}
	stats(p, 1, 0, 0);
	sem_destroy(&queued);
	pool_free(p);
}

Test(pool, a_full_line_refuses_counted_waiters_only)
{
	struct pool *p = pool_new(1);
	struct waiter a = {.p = p,
	                   .queue_max = 1,
	                   .counted = true,
	                   .hangup_fd = -1,
	                   .release = true};
	struct waiter u = {.p = p,
	                   .queue_max = 1,
	                   .counted = false,
	                   .hangup_fd = -1,
	                   .release = true};
	pthread_t ta, tu;
	sem_t queued;
	int held, s;

	cr_assert_eq(sem_init(&queued, 0, 0), 0);
	cr_assert_eq(pool_acquire(p, 1, true, -1, NULL, NULL, &held), 0);
	start_queued(&ta, &a, &queued);
	cr_assert_eq(a.pos, 1);
	/* one counted waiter: the line (1) is full */
	calls = 0;
	cr_assert_eq(pool_acquire(p, 1, true, -1, count_calls, NULL, &s),
	             -EBUSY);
	cr_assert_eq(calls, 0);
	/* an async worker is not counted: it waits behind */
	start_queued(&tu, &u, &queued);
	cr_assert_eq(u.pos, 2);
	stats(p, 1, 1, 2);
	/* still full for counted ones */
	cr_assert_eq(pool_acquire(p, 1, true, -1, NULL, NULL, &s), -EBUSY);
	pool_release(p, held);
	pthread_join(ta, NULL);
	pthread_join(tu, NULL);
	cr_assert_eq(a.rc, 0);
	cr_assert_eq(u.rc, 0);
	stats(p, 1, 0, 0);
	sem_destroy(&queued);
	pool_free(p);
}

Test(pool, queue_max_zero_refuses_any_wait)
{
	struct pool *p = pool_new(1);
	int held, s;

	cr_assert_eq(pool_acquire(p, 0, true, -1, NULL, NULL, &held), 0);
	cr_assert_eq(pool_acquire(p, 0, true, -1, NULL, NULL, &s), -EBUSY);
	stats(p, 1, 1, 0);
	pool_release(p, held);
	pool_free(p);
}

Test(pool, a_client_that_hangs_up_leaves_the_line)
{
	struct pool *p = pool_new(1);
	struct waiter a = {.p = p, .queue_max = 4, .counted = true};
	struct waiter b = {
	        .p = p, .queue_max = 4, .counted = true, .hangup_fd = -1};
	pthread_t ta, tb;
	sem_t queued;
	int sv[2], held;
	double t0;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	a.hangup_fd = sv[0];
	cr_assert_eq(sem_init(&queued, 0, 0), 0);
	cr_assert_eq(pool_acquire(p, 4, true, -1, NULL, NULL, &held), 0);
	start_queued(&ta, &a, &queued);
	start_queued(&tb, &b, &queued);
	cr_assert_eq(b.pos, 2);
	/* the connection stays quiet: a keeps waiting */
	usleep(250 * 1000);
	stats(p, 1, 1, 2);
	t0 = now_s();
	close(sv[1]);
	pthread_join(ta, NULL);
	cr_assert_eq(a.rc, -ECANCELED);
	cr_assert_lt(now_s() - t0, 1.0, "noticed after %.3f s", now_s() - t0);
	stats(p, 1, 1, 1);
	/* the slot goes to the next in line, not to the one who left */
	pool_release(p, held);
	pthread_join(tb, NULL);
	cr_assert_eq(b.rc, 0);
	cr_assert_eq(b.slot, held);
	stats(p, 1, 1, 0);
	pool_release(p, b.slot);
	stats(p, 1, 0, 0);
	close(sv[0]);
	sem_destroy(&queued);
	pool_free(p);
}

Test(pool, shutdown_wakes_every_waiter)
{
	enum { N = 3 };
	struct pool *p = pool_new(1);
	struct waiter w[N];
	pthread_t th[N];
	sem_t queued;
	int held, s;

	cr_assert_eq(sem_init(&queued, 0, 0), 0);
	cr_assert_eq(pool_acquire(p, N, true, -1, NULL, NULL, &held), 0);
	for (int i = 0; i < N; i++) {
		w[i] = (struct waiter){.p = p,
		                       .queue_max = N,
		                       .counted = i != 1,
		                       .hangup_fd = -1};
		start_queued(&th[i], &w[i], &queued);
	}
	stats(p, 1, 1, N);
	pool_shutdown(p);
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(w[i].rc, -ESHUTDOWN, "waiter %d: %d", i, w[i].rc);
		cr_assert_lt(w[i].waited, 5.0);
	}
	stats(p, 1, 1, 0);
	/* later calls are refused, even with a slot free */
	pool_release(p, held);
	stats(p, 1, 0, 0);
	cr_assert_eq(pool_acquire(p, N, true, -1, NULL, NULL, &s), -ESHUTDOWN);
	cr_assert_eq(pool_acquire(p, N, false, -1, NULL, NULL, &s), -ESHUTDOWN);
	sem_destroy(&queued);
	pool_free(p);
}
