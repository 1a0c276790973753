/* Unit tests: fcgi/runs, the live runs table, on real pipes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ring.h"
#include "runs.h"

TestSuite(runs, .timeout = 30);

struct run {
	char id[RUN_ID_LEN + 1];
	struct run_entry *e;
	int stdin_rd, cancel_rd;
};

static void add(struct runs *t, bool interactive, struct run *r)
{
	int rc = runs_add(t, interactive, NULL, NULL, r->id, &r->e,
	                  &r->stdin_rd, &r->cancel_rd);

	cr_assert_eq(rc, 0, "runs_add: %d", rc);
	if (interactive)
		cr_assert_geq(r->stdin_rd, 0);
	else
		cr_assert_eq(r->stdin_rd, -1,
		             "no stdin pipe unless interactive");
	cr_assert_geq(r->cancel_rd, 0);
}

static bool is_hex_id(const char *id)
{
	if (strlen(id) != RUN_ID_LEN)
		return false;
	for (size_t i = 0; i < RUN_ID_LEN; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return false;
	return true;
}

static bool readable(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLIN | POLLHUP));
}

static int queued(int fd)
{
	int n = -1;

	cr_assert_eq(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

Test(runs, add_remove_count)
{
	struct runs *t = runs_new();
	struct run a, b;

	cr_assert_not_null(t);
	cr_assert_eq(runs_count(t), 0);
	add(t, true, &a);
	add(t, false, &b);
	cr_assert_eq(runs_count(t), 2);
	runs_remove(t, a.e);
	cr_assert_eq(runs_count(t), 1);
	cr_assert_eq(runs_kill(t, a.id), -ENOENT, "removed: not found");
	cr_assert_eq(runs_kill(t, b.id), 0);
	runs_remove(t, b.e);
	cr_assert_eq(runs_count(t), 0);
	runs_free(t);
	runs_free(NULL);
}

Test(runs, ids_are_32_hex_and_unique)
{
	enum { N = 200 };
	static char ids[N][RUN_ID_LEN + 1];
	struct runs *t = runs_new();
	struct run a, b;

	for (int i = 0; i < N; i++) {
		cr_assert_eq(runs_make_id(ids[i], NULL, NULL), 0);
		cr_assert(is_hex_id(ids[i]), "'%s'", ids[i]);
		for (int k = 0; k < i; k++)
			cr_assert_str_neq(ids[i], ids[k]);
	}
	add(t, true, &a);
	add(t, true, &b);
	cr_assert(is_hex_id(a.id), "'%s'", a.id);
	cr_assert(is_hex_id(b.id), "'%s'", b.id);
	cr_assert_str_neq(a.id, b.id);
	runs_remove(t, a.e);
	runs_remove(t, b.e);
	runs_free(t);
}

Test(runs, stdin_reaches_the_read_end)
{
	struct runs *t = runs_new();
	struct run a;
	char buf[64];
	size_t room = 12345;

	add(t, true, &a);
	cr_assert_eq(runs_stdin(t, a.id, "hello\n", 6, false, &room), 0);
	cr_assert_eq(runs_stdin(t, a.id, "", 0, false, &room), 0);
	cr_assert_eq(runs_stdin(t, a.id, "world", 5, false, &room), 0);
	cr_assert_eq(read(a.stdin_rd, buf, sizeof(buf)), 11);
	cr_assert_eq(memcmp(buf, "hello\nworld", 11), 0);
	/* still open: nothing to read, but no EOF */
	cr_assert_eq(read(a.stdin_rd, buf, sizeof(buf)), -1);
	cr_assert_eq(errno, EAGAIN);
	runs_remove(t, a.e);
	runs_free(t);
}

Test(runs, stdin_all_or_nothing_when_full)
{
	struct runs *t = runs_new();
	struct run a;
	int size;
	char *big;
	size_t room = 0;

	add(t, true, &a);
	size = fcntl(a.stdin_rd, F_GETPIPE_SZ);
	cr_assert_gt(size, 4096);
	big = calloc(1, (size_t)size);
	/* a pipe holds whole pages and one may be partly used: the room
	   promised is the pipe less one page */
	cr_assert_eq(runs_stdin(t, a.id, big, (size_t)size - 4096 - 10, false,
	                        &room),
	             0);
	cr_assert_eq(queued(a.stdin_rd), size - 4096 - 10);
	/* 11 bytes do not fit: none are written, and the room is told */
	cr_assert_eq(runs_stdin(t, a.id, "0123456789a", 11, false, &room),
	             -EAGAIN);
	cr_assert_eq(room, 0);
	cr_assert_eq(queued(a.stdin_rd), size - 4096 - 10);
	free(big);
	runs_remove(t, a.e);
	runs_free(t);
}

/*
 * A pipe holds whole pages: the unread tail of a partly read page cannot
 * take new data, so the room runs_stdin() promises counts pages.  Here one
 * byte is left in a page and a write of "size - 1" bytes is attempted: it
 * must be refused whole, never half written.
*/
Test(runs, stdin_all_or_nothing_after_a_partial_read)
{
	struct runs *t = runs_new();
	struct run a;
	int size, before, after, rc;
	char *big, page[4096];
	size_t room = 0;

	add(t, true, &a);
	size = fcntl(a.stdin_rd, F_GETPIPE_SZ);
	big = calloc(1, (size_t)size);
	memset(page, 'p', sizeof(page));
	cr_assert_eq(runs_stdin(t, a.id, page, sizeof(page), false, &room), 0);
	cr_assert_eq(read(a.stdin_rd, page, sizeof(page) - 1),
	             (ssize_t)sizeof(page) - 1);
	before = queued(a.stdin_rd);
	cr_assert_eq(before, 1);
	rc = runs_stdin(t, a.id, big, (size_t)size - 1, false, &room);
	after = queued(a.stdin_rd);
	free(big);
	runs_remove(t, a.e);
	runs_free(t);
	if (rc == 0)
		cr_assert_eq(after, size);
	else
		cr_assert_eq(after, before,
		             "runs_stdin returned %d (room %zu) after writing "
		             "%d bytes",
		             rc, room, after - before);
}

Test(runs, close_after_gives_eof)
{
	struct runs *t = runs_new();
	struct run a;
	char buf[8];
	size_t room;

	add(t, true, &a);
	cr_assert_eq(runs_stdin(t, a.id, "last", 4, true, &room), 0);
	cr_assert_eq(read(a.stdin_rd, buf, sizeof(buf)), 4);
	cr_assert_eq(read(a.stdin_rd, buf, sizeof(buf)), 0, "EOF");
	cr_assert_eq(runs_stdin(t, a.id, "more", 4, false, &room), -EPIPE);
	cr_assert_eq(runs_stdin(t, a.id, "", 0, true, &room), -EPIPE);
	runs_remove(t, a.e);

	/* an empty write can close too */
	add(t, true, &a);
	cr_assert_eq(runs_stdin(t, a.id, "", 0, true, &room), 0);
	cr_assert_eq(read(a.stdin_rd, buf, sizeof(buf)), 0, "EOF");
	runs_remove(t, a.e);
	runs_free(t);
}

Test(runs, not_interactive_stdin_is_closed)
{
	struct runs *t = runs_new();
	struct run a;
	size_t room;

	/* add() checks that there is no stdin pipe at all */
	add(t, false, &a);
	cr_assert_eq(runs_stdin(t, a.id, "x", 1, false, &room), -EPIPE);
	cr_assert_eq(runs_stdin(t, a.id, "", 0, true, &room), -EPIPE);
	runs_remove(t, a.e);
	runs_free(t);
}

Test(runs, kill_makes_cancel_readable)
{
	struct runs *t = runs_new();
	struct run a, b;
	char c;

	add(t, true, &a);
	add(t, true, &b);
	cr_assert_not(readable(a.cancel_rd));
	cr_assert_eq(runs_kill(t, a.id), 0);
	cr_assert(readable(a.cancel_rd));
	cr_assert_not(readable(b.cancel_rd), "only that run");
	cr_assert_eq(read(a.cancel_rd, &c, 1), 1);
	runs_remove(t, a.e);
	runs_remove(t, b.e);
	runs_free(t);
}

Test(runs, unknown_ids)
{
	struct runs *t = runs_new();
	struct run a;
	char other[RUN_ID_LEN + 1], longer[RUN_ID_LEN + 2];
	size_t room;

	add(t, true, &a);
	cr_assert_eq(runs_make_id(other, NULL, NULL), 0);
	cr_assert_eq(runs_stdin(t, other, "x", 1, false, &room), -ENOENT);
	cr_assert_eq(runs_kill(t, other), -ENOENT);
	cr_assert_eq(runs_kill(t, ""), -ENOENT);
	cr_assert_eq(runs_kill(t, "abc"), -ENOENT);
	/* a prefix or an extension of a real id is not that id */
	snprintf(longer, sizeof(longer), "%s0", a.id);
	cr_assert_eq(runs_kill(t, longer), -ENOENT);
	longer[RUN_ID_LEN - 1] = '\0';
	cr_assert_eq(runs_kill(t, longer), -ENOENT);
	cr_assert_not(readable(a.cancel_rd));
	runs_remove(t, a.e);
	cr_assert_eq(runs_stdin(t, a.id, "x", 1, false, &room), -ENOENT);
	runs_free(t);
}

Test(runs, kill_all)
{
	enum { N = 4 };
	struct runs *t = runs_new();
	struct run r[N];

	cr_assert_eq(runs_kill_all(t), 0);
	for (int i = 0; i < N; i++)
		add(t, i % 2, &r[i]);
	cr_assert_eq(runs_count(t), N);
	cr_assert_eq(runs_kill_all(t), N);
	for (int i = 0; i < N; i++) {
		cr_assert(readable(r[i].cancel_rd), "run %d", i);
		runs_remove(t, r[i].e);
	}
	cr_assert_eq(runs_kill_all(t), 0);
	runs_free(t);
}

/* Writers and killers hammer one run while the main thread removes it. */
struct hammer {
	struct runs *t;
	const char *id;
	int bad; /* an unexpected return */
	unsigned ok, gone;
	bool kill;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	char chunk[512];
	size_t room;

	memset(chunk, 'x', sizeof(chunk));
	for (;;) {
		int rc = h->kill ? runs_kill(h->t, h->id)
		                 : runs_stdin(h->t, h->id, chunk, sizeof(chunk),
		                              false, &room);
		if (rc == 0)
			h->ok++;
		else if (rc == -ENOENT)
			break;
		else if (rc != -EAGAIN && rc != -EPIPE)
			h->bad = rc;
	}
	h->gone++;
	return NULL;
}

Test(runs, concurrent_writers_and_a_racing_remove)
{
	enum { W = 6 };
	struct runs *t = runs_new();
	struct hammer h[W];
	pthread_t th[W];
	struct run a, other;
	char buf[65536];

	for (int round = 0; round < 20; round++) {
		add(t, true, &a);
		add(t, true, &other);
		for (int i = 0; i < W; i++) {
			h[i] = (struct hammer){
			        .t = t, .id = a.id, .kill = i == W - 1};
			cr_assert_eq(pthread_create(&th[i], NULL, hammer_thread,
			                            &h[i]),
			             0);
		}
		/* drain a little, then pull the run out under them */
		for (int k = 0; k < 4; k++)
			(void)!read(a.stdin_rd, buf, sizeof(buf));
		usleep(1000 * (unsigned)(round % 5));
		runs_remove(t, a.e);
		for (int i = 0; i < W; i++) {
			pthread_join(th[i], NULL);
			cr_assert_eq(h[i].bad, 0, "thread %d got %d", i,
			             h[i].bad);
			cr_assert_eq(h[i].gone, 1);
		}
		cr_assert_eq(runs_count(t), 1);
		/* the other run was not disturbed */
		cr_assert_not(readable(other.cancel_rd));
		cr_assert_eq(queued(other.stdin_rd), 0);
		runs_remove(t, other.e);
	}
	cr_assert_eq(runs_count(t), 0);
	runs_free(t);
}

/* fcgi.ring: every id made is one the ring gives to this runner. */
Test(runs, ids_follow_the_ring)
{
	struct ring *ring;
	char e[256], id[RUN_ID_LEN + 1];
	struct runs *t = runs_new();
	struct run_entry *entry;
	int in, can;

	cr_assert_eq(ring_parse("unix:/a.sock, unix:/b.sock weight=3, "
	                        "10.0.0.9:9000",
	                        &ring, e, sizeof(e)),
	             0, "%s", e);
	for (int i = 0; i < 200; i++) {
		cr_assert_eq(runs_make_id(id, ring, "unix:/a.sock"), 0);
		cr_assert(is_hex_id(id), "'%s'", id);
		cr_assert_str_eq(ring_owner(ring, id, RUN_ID_LEN),
		                 "unix:/a.sock");
	}
	cr_assert_eq(
	        runs_add(t, true, ring, "10.0.0.9:9000", id, &entry, &in, &can),
	        0);
	cr_assert_str_eq(ring_owner(ring, id, RUN_ID_LEN), "10.0.0.9:9000");
	runs_remove(t, entry);
	/* an entry that is not in the ring never gets an id */
	cr_assert_eq(runs_make_id(id, ring, "unix:/c.sock"), -EAGAIN);
	ring_free(ring);
	runs_free(t);
}
