/* Unit tests: ws/padstore, on real LMDB files in a fresh directory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lmdbutil.h"
#include "padstore.h"
#include "version.h"

static char tmp[64];
static char dir[128];
static char err[256];

static int rm_one(const char *path, const struct stat *sb, int type,
                  struct FTW *ftw)
{
	return remove(path);
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_padstore.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	/* A directory padstore_open() has to create. */
	snprintf(dir, sizeof(dir), "%s/db", tmp);
}

static void teardown(void)
{
	if (tmp[0])
		nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(padstore, .init = setup, .fini = teardown);

static struct padstore *open_opts(size_t map_size, unsigned sync_ms)
{
	struct padstore_options o = {
	        .dir = dir, .map_size = map_size, .sync_interval_ms = sync_ms};
	struct padstore *ps = NULL;
	int r = padstore_open(&o, &ps, err, sizeof(err));

	cr_assert_eq(r, 0, "padstore_open: %d %s", r, err);
	cr_assert_not_null(ps);
	return ps;
}

static struct padstore *open_store(void)
{
	return open_opts(0, 0);
}

static struct padstore_txn *begin(struct padstore *ps)
{
	struct padstore_txn *t = NULL;
	int r = padstore_begin(ps, &t, err, sizeof(err));

	cr_assert_eq(r, 0, "padstore_begin: %d %s", r, err);
	return t;
}

static void commit(struct padstore_txn *t)
{
	int r = padstore_commit(t, err, sizeof(err));

	cr_assert_eq(r, 0, "padstore_commit: %d %s", r, err);
}

/* The update text the tests store for version v of pad. */
static size_t upd_text(char *buf, size_t size, const char *pad, uint64_t v)
{
	int n = snprintf(buf, size,
	                 "{\"clientID\":\"%s\",\"changes\":[%" PRIu64 "]}", pad,
	                 v);

	return (size_t)n;
}

/* Store updates from+1..to of pad and the meta record, in one batch. */
static void push(struct padstore *ps, const char *pad, uint64_t from,
                 uint64_t to, int64_t now)
{
	struct padstore_txn *t = begin(ps);
	char buf[128];
	uint64_t v;

	for (v = from + 1; v <= to; v++) {
		size_t n = upd_text(buf, sizeof(buf), pad, v);

		cr_assert_eq(padstore_put_update(t, pad, v, buf, n), 0,
		             "put_update %s %" PRIu64, pad, v);
	}
	cr_assert_eq(padstore_put_meta(t, pad, to, "python", now), 0);
	commit(t);
}

struct collect {
	const char *pad;
	uint64_t first, last;
	size_t calls;
	size_t stop_at; /* return 7 on this call (1-based); 0: never */
	bool bad;
};

static int collect_cb(void *arg, uint64_t version, const void *data, size_t len)
{
	struct collect *c = arg;
	char buf[128];
	size_t n = upd_text(buf, sizeof(buf), c->pad, version);

	if (c->calls == 0)
		c->first = version;
	else if (version != c->last + 1)
		c->bad = true;
	c->last = version;
	c->calls++;
	if (len != n || memcmp(data, buf, n) != 0)
		c->bad = true;
	return c->stop_at && c->calls == c->stop_at ? 7 : 0;
}

/* Read pad's updates in (from, to] and check they are from+1..to, intact. */
static void expect_updates(struct padstore *ps, const char *pad, uint64_t from,
                           uint64_t to)
{
	struct collect c = {.pad = pad};
	int r = padstore_updates(ps, pad, from, to, collect_cb, &c, err,
	                         sizeof(err));

	cr_assert_eq(r, 0, "updates %s: %d %s", pad, r, err);
	cr_assert_not(c.bad, "updates of %s are out of order or wrong", pad);
	cr_assert_eq(c.calls, to > from ? to - from : 0, "%s: %zu calls", pad,
	             c.calls);
	if (c.calls) {
		cr_assert_eq(c.first, from + 1);
		cr_assert_eq(c.last, to);
	}
}

/* Read all of pad's updates after from and check they are from+1..last. */
static void expect_all(struct padstore *ps, const char *pad, uint64_t from,
                       uint64_t last)
{
	struct collect c = {.pad = pad};
	int r = padstore_updates(ps, pad, from, PADSTORE_VERSION_END,
	                         collect_cb, &c, err, sizeof(err));

	cr_assert_eq(r, 0, "updates %s: %d %s", pad, r, err);
	cr_assert_not(c.bad, "updates of %s are out of order or wrong", pad);
	cr_assert_eq(c.calls, last - from, "%s: %zu calls", pad, c.calls);
	if (c.calls)
		cr_assert_eq(c.last, last);
}

static void load(struct padstore *ps, const char *pad, struct padstore_pad *p)
{
	int r = padstore_load(ps, pad, p, err, sizeof(err));

	cr_assert_eq(r, 0, "load %s: %d %s", pad, r, err);
}

/* Raw LMDB access to the store's files, while the store is closed. */
static MDB_env *raw_open(MDB_txn **txn, MDB_dbi *dbi, const char *db)
{
	MDB_env *env;

	cr_assert_eq(mdb_env_create(&env), 0);
	cr_assert_eq(mdb_env_set_maxdbs(env, 4), 0);
	cr_assert_eq(mdb_env_open(env, dir, 0, 0600), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, 0, txn), 0);
	cr_assert_eq(mdb_dbi_open(*txn, db, 0, dbi), 0);
	return env;
}

static void raw_close(MDB_env *env, MDB_txn *txn)
{
	cr_assert_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* Number of keys in database db. */
static size_t raw_count(const char *db)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_stat st;
	MDB_env *env = raw_open(&txn, &dbi, db);

	cr_assert_eq(mdb_stat(txn, dbi, &st), 0);
	raw_close(env, txn);
	return st.ms_entries;
}

static void ver_key(unsigned char *key, size_t *klen, const char *pad,
                    uint64_t v)
{
	size_t n = strlen(pad);
	int i;

	memcpy(key, pad, n);
	key[n] = 0;
	for (i = 7; i >= 0; i--) {
		key[n + 1 + i] = (unsigned char)v;
		v >>= 8;
	}
	*klen = n + 9;
}

Test(padstore, empty_store_loads_missing_pad)
{
	struct padstore *ps = open_store();
	struct padstore_pad p;
	size_t pads = 9, used = 0, size = 0;

	load(ps, "nope", &p);
	cr_assert_not(p.exists);
	cr_assert_eq(p.head, 0);
	cr_assert_str_eq(p.snap_text, "");
	cr_assert_null(p.last_run);
	padstore_pad_fini(&p);
	padstore_pad_fini(&p); /* zeroed: fine twice */
	padstore_pad_fini(NULL);
	expect_all(ps, "nope", 0, 0);
	cr_assert_eq(padstore_stats(ps, &pads, &used, &size), 0);
	cr_assert_eq(pads, 0);
	cr_assert_eq(size, PADSTORE_MAP_SIZE_DEFAULT);
	cr_assert_gt(used, 0);
	cr_assert_eq(padstore_sync(ps), 0);
	padstore_close(ps);
	padstore_close(NULL);
	padstore_abort(NULL);
}

Test(padstore, round_trip)
{
	struct padstore *ps = open_store();
	struct padstore_txn *t = begin(ps);
	struct padstore_pad p;
	const char *run = "{\"stdout\":\"hi\\n\",\"exit\":0}";
	const char text[] = "print('hi')\n\0x"; /* an embedded NUL too */

	cr_assert_eq(padstore_put_update(t, "pad1", 1, "u1", 2), 0);
	cr_assert_eq(padstore_put_update(t, "pad1", 2, "u2", 2), 0);
	cr_assert_eq(padstore_put_update(t, "pad1", 3, NULL, 0), 0);
	cr_assert_eq(padstore_put_snapshot(t, "pad1", 3, text, sizeof(text)),
	             0);
	cr_assert_eq(padstore_put_meta(t, "pad1", 3, "python3", 1000), 0);
	cr_assert_eq(padstore_put_run(t, "pad1", run, strlen(run)), 0);
	commit(t);

	load(ps, "pad1", &p);
	cr_assert(p.exists);
	cr_assert_eq(p.head, 3);
	cr_assert_eq(p.snap_version, 3);
	cr_assert_eq(p.snap_len, sizeof(text));
	cr_assert_eq(memcmp(p.snap_text, text, sizeof(text)), 0);
	cr_assert_eq(p.snap_text[p.snap_len], '\0');
	cr_assert_str_eq(p.language, "python3");
	cr_assert_eq(p.last_edit_ms, 1000);
	cr_assert_eq(p.created_ms, 1000);
	cr_assert_eq(p.last_run_len, strlen(run));
	cr_assert_str_eq(p.last_run, run);
	padstore_pad_fini(&p);

	/* The run can be replaced and removed; the language kept with NULL. */
	t = begin(ps);
	cr_assert_eq(padstore_put_run(t, "pad1", "{}", 2), 0);
	cr_assert_eq(padstore_put_meta(t, "pad1", 3, NULL, 2000), 0);
	commit(t);
	load(ps, "pad1", &p);
	cr_assert_str_eq(p.last_run, "{}");
	cr_assert_str_eq(p.language, "python3");
	cr_assert_eq(p.last_edit_ms, 2000);
	cr_assert_eq(p.created_ms, 1000);
	padstore_pad_fini(&p);
	t = begin(ps);
	cr_assert_eq(padstore_put_run(t, "pad1", NULL, 0), 0);
	cr_assert_eq(padstore_put_run(t, "pad1", NULL, 0), 0); /* absent ok */
	cr_assert_eq(padstore_put_meta(t, "pad1", 3, "", 3000), 0);
	commit(t);
	load(ps, "pad1", &p);
	cr_assert_null(p.last_run);
	cr_assert_str_eq(p.language, "");
	padstore_pad_fini(&p);
	padstore_close(ps);
}

Test(padstore, new_pad_without_snapshot_is_empty_at_zero)
{
	struct padstore *ps = open_store();
	struct padstore_pad p;

	push(ps, "fresh", 0, 4, 50);
	load(ps, "fresh", &p);
	cr_assert(p.exists);
	cr_assert_eq(p.head, 4);
	cr_assert_eq(p.snap_version, 0);
	cr_assert_str_eq(p.snap_text, "");
	cr_assert_eq(p.snap_len, 0);
	padstore_pad_fini(&p);
	expect_updates(ps, "fresh", 0, 4);
	padstore_close(ps);
}

Test(padstore, prefix_sharing_ids_never_mix)
{
	static const char *const pads[] = {"a", "a-b", "ab", "a_", "A", "a-"};
	struct padstore *ps = open_store();
	struct padstore_txn *t;
	struct padstore_pad p;
	size_t i;

	/* Interleaved, several per batch, different lengths. */
	for (i = 0; i < 6; i++)
		push(ps, pads[i], 0, 3 + i, 10);
	t = begin(ps);
	for (i = 0; i < 6; i++) {
		cr_assert_eq(padstore_put_snapshot(t, pads[i], 2, pads[i],
		                                   strlen(pads[i])),
		             0);
	}
	commit(t);
	for (i = 0; i < 6; i++) {
		expect_updates(ps, pads[i], 0, 3 + i);
		expect_all(ps, pads[i], 0, 3 + i);
		expect_updates(ps, pads[i], 2, 3 + i);
		load(ps, pads[i], &p);
		cr_assert_eq(p.head, 3 + i);
		cr_assert_str_eq(p.snap_text, pads[i]);
		padstore_pad_fini(&p);
	}
	/* Deleting "a" leaves the others whole. */
	cr_assert_eq(padstore_delete(ps, "a", err, sizeof(err)), 0, "%s", err);
	load(ps, "a", &p);
	cr_assert_not(p.exists);
	padstore_pad_fini(&p);
	expect_all(ps, "a", 0, 0);
	for (i = 1; i < 6; i++) {
		expect_updates(ps, pads[i], 0, 3 + i);
		load(ps, pads[i], &p);
		cr_assert_str_eq(p.snap_text, pads[i]);
		padstore_pad_fini(&p);
	}
	padstore_close(ps);
}

Test(padstore, snapshot_replaces_older_and_tail_follows)
{
	struct padstore *ps = open_store();
	struct padstore_txn *t;
	struct padstore_pad p;

	push(ps, "p", 0, 6, 1);
	t = begin(ps);
	cr_assert_eq(padstore_put_snapshot(t, "p", 3, "three", 5), 0);
	commit(t);
	push(ps, "p", 6, 10, 2);
	t = begin(ps);
	cr_assert_eq(padstore_put_snapshot(t, "p", 6, "six", 3), 0);
	commit(t);
	/* Another pad's snapshot must survive p's replacements. */
	t = begin(ps);
	cr_assert_eq(padstore_put_snapshot(t, "p-2", 0, "init", 4), 0);
	cr_assert_eq(padstore_put_meta(t, "p-2", 0, "c", 5), 0);
	commit(t);
	t = begin(ps);
	cr_assert_eq(padstore_put_snapshot(t, "p", 8, "eight", 5), 0);
	commit(t);

	load(ps, "p", &p);
	cr_assert_eq(p.head, 10);
	cr_assert_eq(p.snap_version, 8);
	cr_assert_str_eq(p.snap_text, "eight");
	expect_updates(ps, "p", p.snap_version, p.head);
	padstore_pad_fini(&p);
	load(ps, "p-2", &p);
	cr_assert_eq(p.snap_version, 0);
	cr_assert_str_eq(p.snap_text, "init");
	padstore_pad_fini(&p);
	padstore_close(ps);
	cr_assert_eq(raw_count("snapshots"), 2);
	cr_assert_eq(raw_count("updates"), 10);
}

Test(padstore, snapshot_before_meta_in_one_batch)
{
	struct padstore *ps = open_store();
	struct padstore_txn *t = begin(ps);
	struct padstore_pad p;

	/* A new pad: the snapshot comes first, put_meta picks it up. */
	cr_assert_eq(padstore_put_update(t, "n", 1, "x", 1), 0);
	cr_assert_eq(padstore_put_update(t, "n", 2, "y", 1), 0);
	cr_assert_eq(padstore_put_snapshot(t, "n", 2, "xy", 2), 0);
	cr_assert_eq(padstore_put_meta(t, "n", 2, "js", 7), 0);
	commit(t);
	load(ps, "n", &p);
	cr_assert_eq(p.snap_version, 2);
	cr_assert_str_eq(p.snap_text, "xy");
	padstore_pad_fini(&p);
	/* A head before the snapshot is refused. */
	t = begin(ps);
	cr_assert_eq(padstore_put_meta(t, "n", 1, "js", 8), -EINVAL);
	cr_assert_eq(padstore_commit(t, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "before its snapshot"), "%s", err);
	padstore_close(ps);
}

Test(padstore, reopen_keeps_everything)
{
	struct padstore *ps = open_store();
	struct padstore_txn *t;
	struct padstore_pad p;

	push(ps, "keep", 0, 20, 100);
	t = begin(ps);
	cr_assert_eq(padstore_put_snapshot(t, "keep", 15, "fifteen", 7), 0);
	cr_assert_eq(padstore_put_run(t, "keep", "{\"ok\":1}", 8), 0);
	commit(t);
	padstore_close(ps);

	ps = open_opts(0, 500);
	load(ps, "keep", &p);
	cr_assert_eq(p.head, 20);
	cr_assert_eq(p.snap_version, 15);
	cr_assert_str_eq(p.snap_text, "fifteen");
	cr_assert_str_eq(p.last_run, "{\"ok\":1}");
	cr_assert_str_eq(p.language, "python");
	cr_assert_eq(p.created_ms, 100);
	padstore_pad_fini(&p);
	expect_updates(ps, "keep", 0, 20);
	push(ps, "keep", 20, 25, 200);
	padstore_close(ps);

	ps = open_store();
	load(ps, "keep", &p);
	cr_assert_eq(p.head, 25);
	cr_assert_eq(p.created_ms, 100);
	cr_assert_eq(p.last_edit_ms, 200);
	padstore_pad_fini(&p);
	expect_updates(ps, "keep", 15, 25);
	padstore_close(ps);
}

/*
 * A child commits 1000 updates in 100 batches and is killed without
 * closing; every committed one must be there.  sync_ms 0 and > 0 (NOSYNC:
 * a process crash still loses nothing, the pages are in the page cache).
 */
static void killed_child(unsigned sync_ms)
{
	struct padstore *ps;
	struct padstore_pad p;
	int status;
	pid_t pid;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct padstore_options o = {.dir = dir,
		                             .sync_interval_ms = sync_ms};
		struct padstore_txn *t;
		char buf[128];
		uint64_t v;

		if (padstore_open(&o, &ps, NULL, 0))
			_exit(2);
		for (v = 1; v <= 1000; v++) {
			size_t n = upd_text(buf, sizeof(buf), "crash", v);

			if (v % 10 == 1 && padstore_begin(ps, &t, NULL, 0))
				_exit(3);
			if (padstore_put_update(t, "crash", v, buf, n))
				_exit(4);
			if (v % 10 == 0 &&
			    (padstore_put_meta(t, "crash", v, "c", 1) ||
			     padstore_commit(t, NULL, 0)))
				_exit(5);
		}
		/* One more batch, left open: must not appear. */
		if (padstore_begin(ps, &t, NULL, 0) ||
		    padstore_put_update(t, "crash", 1001, "x", 1) ||
		    padstore_put_meta(t, "crash", 1001, "c", 1))
			_exit(6);
		raise(SIGKILL);
		_exit(7);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	          "child status %#x", status);

	ps = open_store();
	load(ps, "crash", &p);
	cr_assert_eq(p.head, 1000);
	padstore_pad_fini(&p);
	expect_updates(ps, "crash", 0, 1000);
	expect_all(ps, "crash", 0, 1000);
	push(ps, "crash", 1000, 1001, 2); /* and it goes on */
	padstore_close(ps);
}

Test(padstore, sigkill_after_commits_synced)
{
	killed_child(0);
}

Test(padstore, sigkill_after_commits_nosync)
{
	killed_child(1000);
}

/* The parent kills the child in the middle of a stream of commits. */
Test(padstore, sigkill_mid_stream)
{
	struct padstore *ps;
	struct padstore_pad p;
	uint64_t reported = 0, v;
	int fds[2], status;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct padstore_options o = {.dir = dir,
		                             .sync_interval_ms = 100};
		struct padstore_txn *t;
		char buf[128];

		close(fds[0]);
		if (padstore_open(&o, &ps, NULL, 0))
			_exit(2);
		for (v = 1;; v++) {
			size_t n = upd_text(buf, sizeof(buf), "mid", v);

			if (padstore_begin(ps, &t, NULL, 0) ||
			    padstore_put_update(t, "mid", v, buf, n) ||
			    padstore_put_meta(t, "mid", v, "c", 1) ||
			    padstore_commit(t, NULL, 0))
				_exit(3);
			/* Reported only after the commit returned. */
			if (write(fds[1], &v, sizeof(v)) != sizeof(v))
				_exit(4);
		}
	}
	close(fds[1]);
	while (reported < 300 &&
	       read(fds[0], &v, sizeof(v)) == (ssize_t)sizeof(v))
		reported = v;
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	cr_assert_geq(reported, 300, "child status %#x", status);

	ps = open_store();
	load(ps, "mid", &p);
	cr_assert_geq(p.head, reported);
	expect_updates(ps, "mid", 0, p.head);
	/* Nothing past the head: the meta and the updates agree. */
	expect_all(ps, "mid", 0, p.head);
	padstore_pad_fini(&p);
	padstore_close(ps);
}

Test(padstore, map_full_is_enospc_and_store_goes_on)
{
	const size_t map = 1 << 20;
	struct padstore *ps = open_opts(map, 0);
	struct padstore_txn *t;
	struct padstore_pad p;
	size_t big_len = 2 << 20, used, size;
	char *big = calloc(1, big_len), buf[16384];
	uint64_t v, committed = 0;
	int r;

	cr_assert_not_null(big);
	push(ps, "small", 0, 5, 1);

	/* One write larger than the map. */
	t = begin(ps);
	cr_assert_eq(padstore_put_update(t, "big", 1, "ok", 2), 0);
	r = padstore_put_update(t, "big", 2, big, big_len);
	cr_assert_eq(r, -ENOSPC);
	/* The batch is dead: later puts fail the same way. */
	cr_assert_eq(padstore_put_meta(t, "big", 2, "c", 1), -ENOSPC);
	r = padstore_commit(t, err, sizeof(err));
	cr_assert_eq(r, -ENOSPC);
	cr_assert_str_eq(
	        err, "pad store is full (map size 1 MiB); raise ws.map_size");
	free(big);
	load(ps, "big", &p);
	cr_assert_not(p.exists);
	padstore_pad_fini(&p);
	expect_all(ps, "big", 0, 0);

	/* Reads and small writes go on working. */
	expect_updates(ps, "small", 0, 5);
	push(ps, "small", 5, 6, 2);

	/* Fill the map one batch at a time until it refuses. */
	memset(buf, 'x', sizeof(buf));
	for (v = 1; v < 1000; v++) {
		t = begin(ps);
		if (padstore_put_update(t, "fill", v, buf, sizeof(buf)) == 0)
			padstore_put_meta(t, "fill", v, "c", 3);
		r = padstore_commit(t, err, sizeof(err));
		if (r)
			break;
		committed = v;
	}
	cr_assert_eq(r, -ENOSPC, "%d %s", r, err);
	cr_assert(strstr(err, "pad store is full"), "%s", err);
	cr_assert_gt(committed, 10);
	load(ps, "fill", &p);
	cr_assert_eq(p.head, committed);
	padstore_pad_fini(&p);
	cr_assert_eq(padstore_stats(ps, NULL, &used, &size), 0);
	cr_assert_eq(size, map);
	cr_assert_leq(used, size);

	/* Deleting frees pages for the next batches. */
	cr_assert_eq(padstore_delete(ps, "fill", err, sizeof(err)), 0, "%s",
	             err);
	push(ps, "small", 6, 20, 3);
	expect_updates(ps, "small", 0, 20);
	padstore_close(ps);
}

static bool in_use_cb(void *arg, const char *pad)
{
	const char *busy = arg;

	return strcmp(pad, busy) == 0;
}

Test(padstore, sweep_respects_cutoff_in_use_and_max)
{
	struct padstore *ps = open_store();
	struct padstore_txn *t;
	struct padstore_pad p;
	size_t deleted = 99, pads;
	char name[16];
	int i;

	/* old0..old4 edited at 100..104, new0..new2 at 1000. */
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "old%d", i);
		push(ps, name, 0, 3, 100 + i);
		t = begin(ps);
		cr_assert_eq(padstore_put_snapshot(t, name, 2, "s", 1), 0);
		cr_assert_eq(padstore_put_run(t, name, "{}", 2), 0);
		commit(t);
	}
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "new%d", i);
		push(ps, name, 0, 2, 1000);
	}
	/* Cutoff is strict: old4 (104) is not older than 104. */
	cr_assert_eq(padstore_sweep(ps, 104, 2, in_use_cb, "old1", &deleted,
	                            err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(deleted, 2);
	cr_assert_eq(padstore_sweep(ps, 104, 2, in_use_cb, "old1", &deleted,
	                            err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(deleted, 1);
	cr_assert_eq(padstore_sweep(ps, 104, 2, in_use_cb, "old1", &deleted,
	                            err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(deleted, 0);
	cr_assert_eq(padstore_stats(ps, &pads, NULL, NULL), 0);
	cr_assert_eq(pads, 5);
	load(ps, "old1", &p);
	cr_assert(p.exists);
	padstore_pad_fini(&p);
	load(ps, "old4", &p);
	cr_assert(p.exists);
	padstore_pad_fini(&p);
	load(ps, "old0", &p);
	cr_assert_not(p.exists);
	cr_assert_null(p.last_run);
	padstore_pad_fini(&p);
	expect_all(ps, "old2", 0, 0);

	/* No limit, no in_use. */
	cr_assert_eq(padstore_sweep(ps, 1000, 0, NULL, NULL, &deleted, err,
	                            sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(deleted, 2);
	cr_assert_eq(padstore_stats(ps, &pads, NULL, NULL), 0);
	cr_assert_eq(pads, 3);
	expect_updates(ps, "new1", 0, 2);
	padstore_close(ps);
	/* Nothing of the swept pads is left anywhere. */
	cr_assert_eq(raw_count("updates"), 6);
	cr_assert_eq(raw_count("snapshots"), 0);
	cr_assert_eq(raw_count("runs"), 0);
}

Test(padstore, delete_pad)
{
	struct padstore *ps = open_store();
	struct padstore_txn *t;
	struct padstore_pad p;

	push(ps, "gone", 0, 300, 1); /* many pages of updates */
	push(ps, "gone0", 0, 3, 1);
	t = begin(ps);
	cr_assert_eq(padstore_put_snapshot(t, "gone", 250, "t", 1), 0);
	cr_assert_eq(padstore_put_run(t, "gone", "{}", 2), 0);
	commit(t);
	cr_assert_eq(padstore_delete(ps, "gone", err, sizeof(err)), 0, "%s",
	             err);
	load(ps, "gone", &p);
	cr_assert_not(p.exists);
	cr_assert_null(p.last_run);
	padstore_pad_fini(&p);
	expect_all(ps, "gone", 0, 0);
	expect_updates(ps, "gone0", 0, 3);
	cr_assert_eq(padstore_delete(ps, "gone", err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "gone"), "%s", err);

	/* Records without a meta record are deleted too. */
	t = begin(ps);
	cr_assert_eq(padstore_put_update(t, "orphan", 1, "x", 1), 0);
	commit(t);
	cr_assert_eq(padstore_delete(ps, "orphan", err, sizeof(err)), 0);
	padstore_close(ps);
	cr_assert_eq(raw_count("updates"), 3);
}

/* Put value (len bytes) under key in database db, with the store closed. */
static void raw_put(const char *db, const void *key, size_t klen,
                    const void *val, size_t vlen)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_env *env = raw_open(&txn, &dbi, db);
	MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};

	cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	raw_close(env, txn);
}

static void raw_del(const char *db, const void *key, size_t klen)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_env *env = raw_open(&txn, &dbi, db);
	MDB_val k = {klen, (void *)key};

	cr_assert_eq(mdb_del(txn, dbi, &k, NULL), 0);
	raw_close(env, txn);
}

/* Copy of pad's meta record, with the store closed. */
static void raw_get_meta(const char *pad, unsigned char rec[72])
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_env *env = raw_open(&txn, &dbi, "meta");
	MDB_val k = {strlen(pad), (void *)pad}, v;

	cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
	cr_assert_eq(v.mv_size, 72);
	memcpy(rec, v.mv_data, 72);
	raw_close(env, txn);
}

static void expect_bad_load(const char *pad, const char *why)
{
	struct padstore *ps = open_store();
	struct padstore_pad p;
	int r = padstore_load(ps, pad, &p, err, sizeof(err));

	cr_assert_eq(r, -EBADMSG, "load: %d %s", r, err);
	cr_assert(strstr(err, why), "err: %s", err);
	cr_assert(strstr(err, pad), "err: %s", err);
	padstore_pad_fini(&p);
	padstore_close(ps);
}

Test(padstore, corrupt_meta_is_ebadmsg)
{
	struct padstore *ps = open_store();
	struct padstore_txn *t;
	unsigned char rec[72], bad[72];
	size_t deleted;

	push(ps, "bad", 0, 2, 1);
	push(ps, "good", 0, 2, 1);
	padstore_close(ps);
	raw_get_meta("bad", rec);
	cr_assert_eq(rec[0], 1); /* format */
	cr_assert_eq(rec[1], 6); /* strlen("python") */

	raw_put("meta", "bad", 3, "\1\0", 2); /* short */
	expect_bad_load("bad", "wrong size");
	raw_put("meta", "bad", 3, "", 0); /* empty */
	expect_bad_load("bad", "wrong size");
	memcpy(bad, rec, 72);
	bad[0] = 9;
	raw_put("meta", "bad", 3, bad, 72);
	expect_bad_load("bad", "unknown format");
	memcpy(bad, rec, 72);
	bad[1] = 40;
	raw_put("meta", "bad", 3, bad, 72);
	expect_bad_load("bad", "language");
	memcpy(bad, rec, 72);
	bad[1] = 2; /* "py" but "thon" follows */
	raw_put("meta", "bad", 3, bad, 72);
	expect_bad_load("bad", "language");
	memcpy(bad, rec, 72);
	bad[16] = 5; /* snap_version 5 > head 2 */
	raw_put("meta", "bad", 3, bad, 72);
	expect_bad_load("bad", "snapshot");
	memcpy(bad, rec, 72);
	bad[16] = 1; /* snap_version 1, no snapshot stored */
	raw_put("meta", "bad", 3, bad, 72);
	expect_bad_load("bad", "snapshot of version 1 is missing");
	memcpy(bad, rec, 72);
	bad[31] = 0x80; /* negative last_edit */
	raw_put("meta", "bad", 3, bad, 72);
	expect_bad_load("bad", "negative");
	memcpy(bad, rec, 72);
	bad[5] = 1;
	raw_put("meta", "bad", 3, bad, 72);
	expect_bad_load("bad", "reserved");

	/* Writes to the bad pad fail the batch; others are unaffected; sweep
	   skips it; delete removes it. */
	ps = open_store();
	t = begin(ps);
	cr_assert_eq(padstore_put_meta(t, "bad", 3, "c", 2), -EBADMSG);
	cr_assert_eq(padstore_commit(t, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "reserved"), "%s", err);
	t = begin(ps);
	cr_assert_eq(padstore_put_snapshot(t, "bad", 1, "x", 1), -EBADMSG);
	padstore_abort(t);
	cr_assert_eq(padstore_sweep(ps, 1000, 0, NULL, NULL, &deleted, err,
	                            sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(deleted, 1); /* "good" */
	cr_assert_eq(padstore_delete(ps, "bad", err, sizeof(err)), 0);
	padstore_close(ps);
}

Test(padstore, missing_update_or_bad_key_is_ebadmsg)
{
	struct padstore *ps = open_store();
	struct collect c = {.pad = "gap"};
	unsigned char key[80];
	size_t klen;
	int r;

	push(ps, "gap", 0, 10, 1);
	padstore_close(ps);
	ver_key(key, &klen, "gap", 5);
	raw_del("updates", key, klen);

	ps = open_store();
	r = padstore_updates(ps, "gap", 0, 10, collect_cb, &c, err,
	                     sizeof(err));
	cr_assert_eq(r, -EBADMSG);
	cr_assert_str_eq(err, "pad gap: update 5 is missing");
	cr_assert_eq(c.calls, 4);
	r = padstore_updates(ps, "gap", 2, PADSTORE_VERSION_END, collect_cb, &c,
	                     err, sizeof(err));
	cr_assert_eq(r, -EBADMSG);
	expect_updates(ps, "gap", 5, 10);
	expect_updates(ps, "gap", 0, 4);
	/* Asking for more than is stored. */
	r = padstore_updates(ps, "gap", 5, 11, collect_cb, &c, err,
	                     sizeof(err));
	cr_assert_eq(r, -EBADMSG);
	cr_assert_str_eq(err, "pad gap: update 11 is missing");
	padstore_close(ps);

	/* A key of pad's prefix with the wrong length. */
	raw_put("updates", "gap\0\0\0\0\0\0\0\0\1x", 13, "z", 1);
	ps = open_store();
	r = padstore_updates(ps, "gap", 0, 3, collect_cb, &c, err, sizeof(err));
	cr_assert_eq(r, -EBADMSG);
	cr_assert(strstr(err, "malformed"), "%s", err);
	padstore_close(ps);
}

Test(padstore, invalid_ids_are_einval)
{
	static const char *const bad[] = {
	        "", "a b", "a/b", "a\xc3\xa9", "a.b", "a\nb", "../x",
	        /* 65 characters */
	        ("0123456789012345678901234567890123456789012345678901234567890"
	         "1234")};
	char id64[65];
	struct padstore *ps = open_store();
	struct padstore_txn *t;
	struct padstore_pad p;
	struct collect c = {.pad = "x"};
	size_t i;

	memset(id64, 'Z', 64);
	id64[64] = '\0';
	cr_assert(padstore_valid_id(id64));
	cr_assert(padstore_valid_id("Az09_-"));
	cr_assert_not(padstore_valid_id(NULL));
	push(ps, id64, 0, 2, 1);
	expect_updates(ps, id64, 0, 2);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_not(padstore_valid_id(bad[i]), "%s", bad[i]);
		cr_assert_eq(padstore_load(ps, bad[i], &p, err, sizeof(err)),
		             -EINVAL);
		cr_assert(strstr(err, "bad pad id"), "%s", err);
		padstore_pad_fini(&p);
		cr_assert_eq(padstore_updates(ps, bad[i], 0, 9, collect_cb, &c,
		                              err, sizeof(err)),
		             -EINVAL);
		cr_assert_eq(padstore_delete(ps, bad[i], err, sizeof(err)),
		             -EINVAL);
		t = begin(ps);
		cr_assert_eq(padstore_put_update(t, bad[i], 1, "x", 1),
		             -EINVAL);
		padstore_abort(t);
		t = begin(ps);
		cr_assert_eq(padstore_put_snapshot(t, bad[i], 1, "x", 1),
		             -EINVAL);
		padstore_abort(t);
		t = begin(ps);
		cr_assert_eq(padstore_put_run(t, bad[i], "{}", 2), -EINVAL);
		padstore_abort(t);
		t = begin(ps);
		cr_assert_eq(padstore_put_update(t, "fine", 1, "x", 1), 0);
		cr_assert_eq(padstore_put_meta(t, bad[i], 1, "c", 1), -EINVAL);
		/* The whole batch is refused, "fine" included. */
		cr_assert_eq(padstore_commit(t, err, sizeof(err)), -EINVAL);
		cr_assert(strstr(err, "bad pad id"), "%s", err);
	}
	cr_assert_eq(c.calls, 0);
	expect_all(ps, "fine", 0, 0);
	padstore_close(ps);
}

Test(padstore, bad_arguments_kill_the_batch)
{
	struct padstore *ps = open_store();
	struct padstore_txn *t;
	struct padstore_pad p;
	char lang[40];

	push(ps, "p", 0, 2, 1);
	/* An update is never overwritten. */
	t = begin(ps);
	cr_assert_eq(padstore_put_update(t, "p", 2, "again", 5), -EEXIST);
	cr_assert_eq(padstore_put_update(t, "p", 3, "x", 1), -EEXIST);
	cr_assert_eq(padstore_commit(t, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "update 2 of pad p"), "%s", err);
	t = begin(ps);
	cr_assert_eq(padstore_put_update(t, "p", 0, "x", 1), -EINVAL);
	padstore_abort(t);
	t = begin(ps);
	cr_assert_eq(padstore_put_update(t, "p", 3, NULL, 1), -EINVAL);
	padstore_abort(t);
	t = begin(ps);
	memset(lang, 'l', 33);
	lang[33] = '\0';
	cr_assert_eq(padstore_put_meta(t, "p", 3, lang, 1), -EINVAL);
	padstore_abort(t);
	t = begin(ps);
	cr_assert_eq(padstore_put_meta(t, "p", 3, "c", -1), -EINVAL);
	padstore_abort(t);
	/* A 32-byte language is fine. */
	t = begin(ps);
	lang[32] = '\0';
	cr_assert_eq(padstore_put_meta(t, "p", 2, lang, 5), 0);
	commit(t);
	load(ps, "p", &p);
	cr_assert_str_eq(p.language, lang);
	cr_assert_eq(p.head, 2);
	padstore_pad_fini(&p);
	expect_all(ps, "p", 0, 2);
	padstore_close(ps);
}

Test(padstore, updates_callback_stops_early)
{
	struct padstore *ps = open_store();
	struct collect c = {.pad = "s", .stop_at = 3};
	int r;

	push(ps, "s", 0, 10, 1);
	r = padstore_updates(ps, "s", 4, 10, collect_cb, &c, err, sizeof(err));
	cr_assert_eq(r, 7);
	cr_assert_eq(c.calls, 3);
	cr_assert_eq(c.first, 5);
	cr_assert_eq(c.last, 7);
	cr_assert_not(c.bad);
	/* Empty ranges call nothing. */
	memset(&c, 0, sizeof(c));
	c.pad = "s";
	cr_assert_eq(padstore_updates(ps, "s", 10, 10, collect_cb, &c, err,
	                              sizeof(err)),
	             0);
	cr_assert_eq(padstore_updates(ps, "s", 9, 3, collect_cb, &c, err,
	                              sizeof(err)),
	             0);
	cr_assert_eq(c.calls, 0);
	expect_all(ps, "s", 10, 10);
	expect_all(ps, "s", 9, 10);
	padstore_close(ps);
}

struct reader {
	struct padstore *ps;
	bool stop;    /* atomic */
	size_t loads; /* atomic */
	bool bad;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	char e[256];

	while (!__atomic_load_n(&rd->stop, __ATOMIC_RELAXED)) {
		struct padstore_pad p;
		struct collect c = {.pad = "rw"};

		if (padstore_load(rd->ps, "rw", &p, e, sizeof(e)))
			rd->bad = true;
		/* Another transaction: the head may have moved on, so read
		   what the loaded head promised. */
		if (p.exists && padstore_updates(rd->ps, "rw", 0, p.head,
		                                 collect_cb, &c, e, sizeof(e)))
			rd->bad = true;
		if (c.bad || c.calls != p.head)
			rd->bad = true;
		padstore_pad_fini(&p);
		__atomic_add_fetch(&rd->loads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

Test(padstore, readers_in_other_threads)
{
	struct reader rd = {.ps = open_opts(0, 100)};
	pthread_t th[2];
	uint64_t v;
	int i;

	for (i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, reader_main, &rd), 0);
	/* Go on writing until the readers have read a while, too. */
	for (v = 0;
	     v < 200 ||
	     (__atomic_load_n(&rd.loads, __ATOMIC_RELAXED) < 100 && v < 100000);
	     v++)
		push(rd.ps, "rw", v, v + 1, (int64_t)v);
	__atomic_store_n(&rd.stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	cr_assert_not(rd.bad);
	cr_assert_geq(rd.loads, 100);
	cr_assert_eq(padstore_sync(rd.ps), 0);
	padstore_close(rd.ps);
}

/* Another process grows the map past ours: the next transaction adopts. */
Test(padstore, map_resized_by_another_process)
{
	struct padstore *ps = open_opts(1 << 20, 0);
	struct padstore_pad p;
	size_t size;
	int status;
	pid_t pid;

	push(ps, "mine", 0, 3, 1);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* Its own environment; the parent's is never touched. */
		struct padstore_options o = {.dir = dir, .map_size = 8 << 20};
		struct padstore *big;
		struct padstore_txn *t;
		static char buf[4 << 20];

		if (padstore_open(&o, &big, NULL, 0) ||
		    padstore_begin(big, &t, NULL, 0) ||
		    padstore_put_update(t, "theirs", 1, buf, sizeof(buf)) ||
		    padstore_put_meta(t, "theirs", 1, "c", 1) ||
		    padstore_commit(t, NULL, 0))
			_exit(2);
		padstore_close(big);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "child status %#x", status);
	load(ps, "theirs", &p);
	cr_assert(p.exists);
	cr_assert_eq(p.head, 1);
	padstore_pad_fini(&p);
	cr_assert_eq(padstore_stats(ps, NULL, NULL, &size), 0);
	cr_assert_eq(size, 8 << 20);
	push(ps, "mine", 3, 4, 2);
	expect_updates(ps, "mine", 0, 4);
	padstore_close(ps);
}

Test(padstore, open_errors)
{
	struct padstore_options o = {.dir = NULL};
	struct padstore *ps = (struct padstore *)1;

	cr_assert_eq(padstore_open(&o, &ps, err, sizeof(err)), -EINVAL);
	cr_assert_null(ps);
	o.dir = "/proc/nonexistent/db";
	cr_assert_lt(padstore_open(&o, &ps, err, sizeof(err)), 0);
	cr_assert_null(ps);
	cr_assert(strstr(err, "/proc/nonexistent/db"), "%s", err);
}

/* The one check of pad ids (the hub refuses a websocket path with it). */
Test(padstore, valid_id_edges)
{
	char id[81];

	cr_assert_not(padstore_valid_id(""));
	cr_assert(padstore_valid_id("a"));
	cr_assert(padstore_valid_id("Z"));
	cr_assert(padstore_valid_id("-"));
	cr_assert(padstore_valid_id("_"));
	cr_assert(padstore_valid_id("interview-7_B"));
	memset(id, 'x', sizeof(id) - 1);
	id[64] = '\0';
	cr_assert(padstore_valid_id(id));
	id[64] = 'x';
	id[65] = '\0';
	cr_assert_not(padstore_valid_id(id));
	id[65] = 'x';
	id[80] = '\0';
	cr_assert_not(padstore_valid_id(id));
	cr_assert_not(padstore_valid_id("a.b"));
	cr_assert_not(padstore_valid_id("a/b"));
	cr_assert_not(padstore_valid_id("a b"));
	cr_assert_not(padstore_valid_id(".."));
	cr_assert_not(padstore_valid_id("caf\xc3\xa9"));
	cr_assert_not(padstore_valid_id("a?x"));
	cr_assert_not(padstore_valid_id("a%20"));
}

Test(padstore, tests_round_trip_apart_from_the_run_and_go_with_the_pad)
{
	struct padstore *ps = open_store();
	struct padstore_txn *t = begin(ps);
	struct padstore_pad p;
	const char *tests = "[{\"stdin\":\"1 2\",\"expected_stdout\":\"3\"}]";

	cr_assert_eq(padstore_put_meta(t, "tp", 0, "python", 1000), 0);
	cr_assert_eq(padstore_put_tests(t, "tp", tests, strlen(tests)), 0);
	commit(t);
	load(ps, "tp", &p);
	cr_assert_str_eq(p.tests, tests);
	cr_assert_eq(p.tests_len, strlen(tests));
	cr_assert_null(p.last_run, "the tests are not the run");
	padstore_pad_fini(&p);

	t = begin(ps);
	cr_assert_eq(padstore_put_run(t, "tp", "{}", 2), 0);
	cr_assert_eq(padstore_put_tests(t, "tp", NULL, 0), 0);
	cr_assert_eq(padstore_put_tests(t, "tp", NULL, 0), 0); /* absent ok */
	commit(t);
	load(ps, "tp", &p);
	cr_assert_null(p.tests);
	cr_assert_str_eq(p.last_run, "{}");
	padstore_pad_fini(&p);

	t = begin(ps);
	cr_assert_eq(padstore_put_tests(t, "tp", tests, strlen(tests)), 0);
	commit(t);
	cr_assert_eq(padstore_delete(ps, "tp", err, sizeof(err)), 0, "%s", err);
	load(ps, "tp", &p);
	cr_assert_not(p.exists);
	cr_assert_null(p.tests, "deleting a pad deletes its tests");
	padstore_pad_fini(&p);
	padstore_close(ps);
}

/* The environment's format record (lmdbutil.h), read raw; its length. */
static size_t raw_get_format(unsigned char *buf, size_t size)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_env *env = raw_open(&txn, &dbi, "info");
	MDB_val k = {6, "format"}, v;

	cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
	cr_assert_leq(v.mv_size, size);
	memcpy(buf, v.mv_data, v.mv_size);
	raw_close(env, txn);
	return v.mv_size;
}

/* A format record with number format and writer w, laid out by hand. */
static size_t format_rec(unsigned char *buf, uint32_t format, const char *w)
{
	uint16_t n = (uint16_t)strlen(w), zero = 0;

	memcpy(buf, &format, 4);
	memcpy(buf + 4, &n, 2);
	memcpy(buf + 6, &zero, 2);
	memcpy(buf + 8, w, n);
	return 8u + n;
}

/* The whole of file name in dir, malloc'd, and its size in *len. */
static char *slurp(const char *name, size_t *len)
{
	char path[200], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Open must fail with r and exactly message want, and write nothing. */
static void expect_refused(int r, const char *want)
{
	struct padstore_options o = {.dir = dir};
	struct padstore *ps = (struct padstore *)1;
	char *data, *lock, *data2, *lock2;
	size_t dlen, llen, dlen2, llen2;

	data = slurp("data.mdb", &dlen);
	lock = slurp("lock.mdb", &llen);
	cr_assert_eq(padstore_open(&o, &ps, err, sizeof(err)), r, "%s", err);
	cr_assert_null(ps);
	cr_assert_str_eq(err, want);
	data2 = slurp("data.mdb", &dlen2);
	lock2 = slurp("lock.mdb", &llen2);
	cr_assert(dlen == dlen2 && memcmp(data, data2, dlen) == 0,
	          "a refused open changed data.mdb");
	cr_assert(llen == llen2 && memcmp(lock, lock2, llen) == 0,
	          "a refused open changed lock.mdb");
	free(data);
	free(lock);
	free(data2);
	free(lock2);
}

Test(padstore, new_store_is_format_2_written_by_runpad_ws)
{
	struct padstore *ps = open_store();
	const struct lmdb_format *f = padstore_format(ps);
	unsigned char rec[80], want[80];
	size_t n;

	cr_assert_eq(f->origin, LMDB_FORMAT_CREATED);
	cr_assert_eq(f->format, 2);
	cr_assert_str_eq(f->writer, "runpad-ws " RUNPAD_VERSION);
	push(ps, "p", 0, 2, 5);
	padstore_close(ps);
	n = format_rec(want, 2, "runpad-ws " RUNPAD_VERSION);
	cr_assert_eq(raw_get_format(rec, sizeof(rec)), n);
	cr_assert_eq(memcmp(rec, want, n), 0);

	ps = open_store();
	cr_assert_eq(padstore_format(ps)->origin, LMDB_FORMAT_FOUND);
	cr_assert_eq(padstore_format(ps)->format, 2);
	padstore_close(ps);
}

/* A store as runpad 0.1.0 made it: the five databases, no format record,
   one pad "old" at version 2 with a snapshot at 1, a run and tests. */
static void make_old_store(void)
{
	static const char *const dbs[] = {"meta", "updates", "snapshots",
	                                  "runs", "tests"};
	MDB_dbi dbi[5];
	unsigned char rec[72] = {1, 6}, key[80];
	uint64_t head = 2, snap = 1;
	int64_t edit = 2000, created = 1000;
	char upd[128];
	MDB_env *env;
	MDB_txn *txn;
	MDB_val k, v;
	size_t klen;

	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(mdb_env_create(&env), 0);
	cr_assert_eq(mdb_env_set_maxdbs(env, 5), 0);
	cr_assert_eq(mdb_env_open(env, dir, 0, 0600), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(mdb_dbi_open(txn, dbs[i], MDB_CREATE, &dbi[i]), 0);
	memcpy(rec + 8, &head, 8);
	memcpy(rec + 16, &snap, 8);
	memcpy(rec + 24, &edit, 8);
	memcpy(rec + 32, &created, 8);
	memcpy(rec + 40, "python", 6);
	k = (MDB_val){3, "old"};
	v = (MDB_val){sizeof(rec), rec};
	cr_assert_eq(mdb_put(txn, dbi[0], &k, &v, 0), 0);
	for (uint64_t ver = 1; ver <= 2; ver++) {
		ver_key(key, &klen, "old", ver);
		k = (MDB_val){klen, key};
		v = (MDB_val){upd_text(upd, sizeof(upd), "old", ver), upd};
		cr_assert_eq(mdb_put(txn, dbi[1], &k, &v, 0), 0);
	}
	ver_key(key, &klen, "old", 1);
	k = (MDB_val){klen, key};
	v = (MDB_val){5, "hello"};
	cr_assert_eq(mdb_put(txn, dbi[2], &k, &v, 0), 0);
	k = (MDB_val){3, "old"};
	v = (MDB_val){2, "{}"};
	cr_assert_eq(mdb_put(txn, dbi[3], &k, &v, 0), 0);
	v = (MDB_val){2, "[]"};
	cr_assert_eq(mdb_put(txn, dbi[4], &k, &v, 0), 0);
	cr_assert_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

Test(padstore, store_without_format_record_is_adopted_and_keeps_its_pads)
{
	struct padstore *ps;
	struct padstore_pad p;
	unsigned char rec[80], want[80];
	size_t n, pads;

	make_old_store();
	ps = open_store();
	/* adopted as format 1, then raised to 2 in the same transaction */
	cr_assert_eq(padstore_format(ps)->origin, LMDB_FORMAT_RAISED);
	cr_assert_eq(padstore_format(ps)->from, 1);
	cr_assert_eq(padstore_format(ps)->format, 2);
	load(ps, "old", &p);
	cr_assert(p.exists);
	cr_assert_eq(p.head, 2);
	cr_assert_eq(p.snap_version, 1);
	cr_assert_str_eq(p.snap_text, "hello");
	cr_assert_str_eq(p.language, "python");
	cr_assert_eq(p.last_edit_ms, 2000);
	cr_assert_eq(p.created_ms, 1000);
	cr_assert_str_eq(p.last_run, "{}");
	cr_assert_str_eq(p.tests, "[]");
	padstore_pad_fini(&p);
	expect_updates(ps, "old", 0, 2);
	cr_assert_eq(padstore_stats(ps, &pads, NULL, NULL), 0);
	cr_assert_eq(pads, 1); /* the info database is not a pad */
	push(ps, "old", 2, 3, 3000);
	padstore_close(ps);
	n = format_rec(want, 2, "runpad-ws " RUNPAD_VERSION);
	cr_assert_eq(raw_get_format(rec, sizeof(rec)), n);
	cr_assert_eq(memcmp(rec, want, n), 0);

	/* adopted once: the next open finds it */
	ps = open_store();
	cr_assert_eq(padstore_format(ps)->origin, LMDB_FORMAT_FOUND);
	expect_updates(ps, "old", 0, 3);
	padstore_close(ps);
}

Test(padstore, future_format_is_refused_and_nothing_is_written)
{
	struct padstore *ps = open_store();
	unsigned char rec[80];
	char want[400];

	push(ps, "p", 0, 2, 5);
	padstore_close(ps);
	raw_put("info", "format", 6, rec, format_rec(rec, 3, "runpad-ws 9.0"));
	snprintf(
	        want, sizeof(want),
	        "%s: format 3, this runpad-ws understands formats up to 2; upgrade runpad, or restore the state directory from a backup made by this version",
	        dir);
	expect_refused(-ENOTSUP, want);
	/* and again: the first refusal changed nothing that matters */
	expect_refused(-ENOTSUP, want);
}

Test(padstore, malformed_format_record_is_refused)
{
	struct padstore *ps = open_store();
	unsigned char rec[80];
	char want[400];
	size_t n;

	padstore_close(ps);
	raw_put("info", "format", 6, "\1\0", 2);
	snprintf(
	        want, sizeof(want),
	        "%s: malformed format record (2 bytes); restore the state directory from a backup",
	        dir);
	expect_refused(-EBADMSG, want);
	n = format_rec(rec, 1, "runpad-ws 0.1.0");
	rec[8] = 0x7f;
	raw_put("info", "format", 6, rec, n);
	snprintf(
	        want, sizeof(want),
	        "%s: malformed format record (writer is not printable); restore the state directory from a backup",
	        dir);
	expect_refused(-EBADMSG, want);
	raw_del("info", "format", 6);
	snprintf(
	        want, sizeof(want),
	        "%s: malformed format record (database info has none); restore the state directory from a backup",
	        dir);
	expect_refused(-EBADMSG, want);
}

struct logrec {
	uint64_t seq[8];
	char data[8][32];
	size_t n;
};

static int log_cb(void *arg, uint64_t seq, const void *data, size_t len)
{
	struct logrec *l = arg;

	cr_assert_lt(l->n, 8);
	l->seq[l->n] = seq;
	snprintf(l->data[l->n], sizeof(l->data[0]), "%.*s", (int)len,
	         (const char *)data);
	l->n++;
	return 0;
}

/* The links, the two logs and the notes document: kept apart per pad,
   in order, replaced by number, and deleted with the pad (by delete and
   by the sweep), while the notes are never swept on their own. */
Test(padstore, access_logs_and_notes_go_with_their_pad)
{
	struct padstore *ps = open_store();
	struct padstore_txn *t = begin(ps);
	struct padstore_pad p;
	struct logrec l = {0};
	uint64_t last;
	size_t bytes, deleted;

	cr_assert(padstore_valid_doc("lp!notes"));
	cr_assert_not(padstore_valid_id("lp!notes"),
	              "no client can name the notes");
	cr_assert_not(padstore_valid_doc("lp!note"));
	cr_assert_not(padstore_valid_doc("!notes"));
	cr_assert_not(padstore_valid_doc("a!notes!notes"));
	cr_assert_eq(padstore_put_meta(t, "lp", 0, "", 1000), 0);
	cr_assert_eq(padstore_put_meta(t, "lp-x", 0, "", 1000), 0);
	cr_assert_eq(padstore_put_access(t, "lp", "{\"a\":1}", 7), 0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_EVENTS, "lp", 1, "e1", 2),
	             0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_EVENTS, "lp", 2, "e2", 2),
	             0);
	cr_assert_eq(
	        padstore_put_log(t, PADSTORE_LOG_EVENTS, "lp-x", 1, "x", 1), 0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_RUNS, "lp", 3, "r3", 2),
	             0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_RUNS, "lp", 3, "r3b", 3),
	             0, "a run is stored again when it ends");
	cr_assert_eq(padstore_put_update(t, "lp!notes", 1, "n1", 2), 0);
	cr_assert_eq(padstore_put_meta(t, "lp!notes", 1, "", 1000), 0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_RUNS, "lp", 0, "r", 1),
	             -EINVAL);
	padstore_abort(t);

	t = begin(ps);
	cr_assert_eq(padstore_put_meta(t, "lp", 0, "", 1000), 0);
	cr_assert_eq(padstore_put_meta(t, "lp-x", 0, "", 1000), 0);
	cr_assert_eq(padstore_put_access(t, "lp", "{\"a\":1}", 7), 0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_EVENTS, "lp", 1, "e1", 2),
	             0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_EVENTS, "lp", 2, "e2", 2),
	             0);
	cr_assert_eq(
	        padstore_put_log(t, PADSTORE_LOG_EVENTS, "lp-x", 1, "x", 1), 0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_RUNS, "lp", 3, "r3", 2),
	             0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_RUNS, "lp", 3, "r3b", 3),
	             0);
	cr_assert_eq(padstore_put_update(t, "lp!notes", 1, "n1", 2), 0);
	cr_assert_eq(padstore_put_meta(t, "lp!notes", 1, "", 1000), 0);
	commit(t);

	load(ps, "lp", &p);
	cr_assert_str_eq(p.access, "{\"a\":1}");
	padstore_pad_fini(&p);
	cr_assert_eq(padstore_log(ps, PADSTORE_LOG_EVENTS, "lp", 0, log_cb, &l,
	                          &last, &bytes, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.data[0], "e1");
	cr_assert_str_eq(l.data[1], "e2");
	cr_assert_eq(last, 2);
	cr_assert_eq(bytes, 4);
	l.n = 0;
	cr_assert_eq(padstore_log(ps, PADSTORE_LOG_EVENTS, "lp", 1, log_cb, &l,
	                          NULL, NULL, err, sizeof(err)),
	             0);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.seq[0], 2);
	l.n = 0;
	cr_assert_eq(padstore_log(ps, PADSTORE_LOG_RUNS, "lp", 0, log_cb, &l,
	                          &last, &bytes, err, sizeof(err)),
	             0);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.data[0], "r3b");
	cr_assert_eq(last, 3);
	cr_assert_eq(bytes, 3);
	/* the sweep deletes "lp" with its notes, and never the notes alone */
	cr_assert_eq(padstore_sweep(ps, 2000, 0, NULL, NULL, &deleted, err,
	                            sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(deleted, 2, "lp and lp-x, not lp!notes on its own");
	load(ps, "lp!notes", &p);
	cr_assert_not(p.exists, "the notes went with their pad");
	padstore_pad_fini(&p);
	l.n = 0;
	cr_assert_eq(padstore_log(ps, PADSTORE_LOG_EVENTS, "lp", 0, log_cb, &l,
	                          &last, NULL, err, sizeof(err)),
	             0);
	cr_assert_eq(l.n, 0);
	cr_assert_eq(last, 0);
	load(ps, "lp", &p);
	cr_assert_null(p.access);
	padstore_pad_fini(&p);
	padstore_close(ps);
}

/* A format 1 store (runpad before links) is raised to 2 at open, its pads
   as they were, and a second open finds format 2. */
Test(padstore, format_1_store_is_raised_to_2)
{
	struct padstore *ps = open_store();
	unsigned char rec[80], want[80];
	size_t n;

	push(ps, "p", 0, 2, 5);
	padstore_close(ps);
	raw_put("info", "format", 6, rec,
	        format_rec(rec, 1, "runpad-ws 0.1.0"));
	ps = open_store();
	cr_assert_eq(padstore_format(ps)->origin, LMDB_FORMAT_RAISED);
	cr_assert_eq(padstore_format(ps)->from, 1);
	cr_assert_eq(padstore_format(ps)->format, 2);
	expect_updates(ps, "p", 0, 2);
	padstore_close(ps);
	n = format_rec(want, 2, "runpad-ws " RUNPAD_VERSION);
	cr_assert_eq(raw_get_format(rec, sizeof(rec)), n);
	cr_assert_eq(memcmp(rec, want, n), 0);
	ps = open_store();
	cr_assert_eq(padstore_format(ps)->origin, LMDB_FORMAT_FOUND);
	padstore_close(ps);
}
