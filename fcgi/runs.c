/*
 * runs.c - the live runs table.  See runs.h.
 *
 * Small by nature (at most slots + queue entries), so a list under one
 * mutex; each entry has its own lock for its stdin, because a write to a
 * pipe must not race with its closing.
 */
#include "runs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "ring.h"

/* room for a generous paste; the pipe is the stdin buffer */
#define RUNS_PIPE_SIZE (1 << 20)

struct run_entry {
	struct run_entry *next;
	char id[RUN_ID_LEN + 1];
	pthread_mutex_t lock;
	int refs;
	int stdin_rd, stdin_wr;
	int cancel_rd, cancel_wr;
};

struct runs {
	pthread_mutex_t lock;
	struct run_entry *head;
	size_t n;
};

struct runs *runs_new(void)
{
	struct runs *t = calloc(1, sizeof(*t));

	if (t)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void runs_free(struct runs *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static int random_id(char *buf)
{
	unsigned char raw[RUN_ID_LEN / 2];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t k = getrandom(raw + got, sizeof(raw) - got, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)k;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		sprintf(buf + 2 * i, "%02x", raw[i]);
	return 0;
}

int runs_make_id(char *buf, const struct ring *ring, const char *self)
{
	size_t tries = ring ? 64 * ring_entries(ring) : 1;
	int r;

	for (size_t i = 0; i < tries; i++) {
		r = random_id(buf);
		if (r < 0)
			return r;
		if (ring_owns(ring, self, buf, RUN_ID_LEN, NULL))
			return 0;
	}
	return -EAGAIN;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void entry_unref(struct run_entry *e)
{
	if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	close_fd(&e->stdin_rd);
	close_fd(&e->stdin_wr);
	close_fd(&e->cancel_rd);
	close_fd(&e->cancel_wr);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

int runs_add(struct runs *t, bool interactive, const struct ring *ring,
             const char *self, char *id, struct run_entry **out, int *stdin_rd,
             int *cancel_rd)
{
	struct run_entry *e = calloc(1, sizeof(*e));
	int in[2] = {-1, -1}, can[2], r;

	if (!e)
		return -ENOMEM;
	r = runs_make_id(e->id, ring, self);
	if (r < 0)
		goto out_free;
	/* only an interactive run has a stdin pipe: the others get their
	   stdin from the request and pay for no pipe of a megabyte */
	if (interactive) {
		/* writers never block: /stdin answers "full" instead */
		if (pipe2(in, O_CLOEXEC | O_NONBLOCK) < 0) {
			r = -errno;
			goto out_free;
		}
		fcntl(in[1], F_SETPIPE_SZ, RUNS_PIPE_SIZE);
	}
	if (pipe2(can, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		if (interactive) {
			close(in[0]);
			close(in[1]);
		}
		goto out_free;
	}
	e->stdin_rd = in[0];
	e->stdin_wr = in[1];
	e->cancel_rd = can[0];
	e->cancel_wr = can[1];
	pthread_mutex_init(&e->lock, NULL);
	e->refs = 1;
	memcpy(id, e->id, RUN_ID_LEN + 1);
	*stdin_rd = e->stdin_rd;
	*cancel_rd = e->cancel_rd;
	*out = e;
	pthread_mutex_lock(&t->lock);
	e->next = t->head;
	t->head = e;
	t->n++;
	pthread_mutex_unlock(&t->lock);
	return 0;

out_free:
	free(e);
	return r;
}

void runs_remove(struct runs *t, struct run_entry *e)
{
	pthread_mutex_lock(&t->lock);
	for (struct run_entry **pp = &t->head; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			t->n--;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_lock(&e->lock);
	close_fd(&e->stdin_wr);
	close_fd(&e->cancel_wr);
	pthread_mutex_unlock(&e->lock);
	entry_unref(e);
}

/* Find by id and take a reference; NULL if none. */
static struct run_entry *lookup(struct runs *t, const char *id)
{
	struct run_entry *e;

	if (strlen(id) != RUN_ID_LEN)
		return NULL;
	pthread_mutex_lock(&t->lock);
	for (e = t->head; e; e = e->next)
		if (memcmp(e->id, id, RUN_ID_LEN) == 0)
			break;
	if (e)
		__atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->lock);
	return e;
}

int runs_stdin(struct runs *t, const char *id, const char *data, size_t len,
               bool close_after, size_t *room)
{
	struct run_entry *e = lookup(t, id);
	int r = 0;

	if (!e)
		return -ENOENT;
	pthread_mutex_lock(&e->lock);
	if (e->stdin_wr < 0) {
		r = -EPIPE;
	} else if (len) {
		long page = sysconf(_SC_PAGESIZE);
		int size = fcntl(e->stdin_wr, F_GETPIPE_SZ), queued = 0;
		long used, free_bytes;
		ioctl(e->stdin_rd, FIONREAD, &queued);
		/* a pipe holds whole pages: a partly read page at the head
		   and a partly filled one at the tail each take a slot */
		used = ((long)queued + page - 1) / page + 1;
		free_bytes = size - used * page;
		if (free_bytes < 0)
			free_bytes = 0;
		if (size > 0 && (size_t)free_bytes < len) {
			*room = (size_t)free_bytes;
			r = -EAGAIN;
		} else {
			size_t off = 0;
			while (off < len) {
				ssize_t k = write(e->stdin_wr, data + off,
				                  len - off);
				if (k < 0) {
					if (errno == EINTR)
						continue;
					r = errno == EAGAIN ? -EAGAIN : -EPIPE;
					*room = 0;
					break;
				}
				off += (size_t)k;
			}
		}
	}
	if (r == 0 && close_after)
		close_fd(&e->stdin_wr);
	pthread_mutex_unlock(&e->lock);
	entry_unref(e);
	return r;
}

static void cancel(struct run_entry *e)
{
	pthread_mutex_lock(&e->lock);
	if (e->cancel_wr >= 0)
		(void)!write(e->cancel_wr, "k", 1);
	pthread_mutex_unlock(&e->lock);
}

int runs_kill(struct runs *t, const char *id)
{
	struct run_entry *e = lookup(t, id);

	if (!e)
		return -ENOENT;
	cancel(e);
	entry_unref(e);
	return 0;
}

size_t runs_kill_all(struct runs *t)
{
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	for (struct run_entry *e = t->head; e; e = e->next, n++)
		cancel(e);
	pthread_mutex_unlock(&t->lock);
	return n;
}

size_t runs_count(struct runs *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->n;
	pthread_mutex_unlock(&t->lock);
	return n;
}
