/* Unit tests: fcgi/store, on real LMDB files in a fresh directory. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lmdbutil.h"
#include "store.h"
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
	snprintf(tmp, sizeof(tmp), "/tmp/test_store.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	/* A directory store_open() has to create. */
	snprintf(dir, sizeof(dir), "%s/db", tmp);
}

static void teardown(void)
{
	if (tmp[0])
		nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(store, .init = setup, .fini = teardown);

static const char *mkid(unsigned n)
{
	static __thread char id[STORE_ID_LEN + 1];

	snprintf(id, sizeof(id), "%032x", n);
	return id;
}

static struct store *open_store(size_t map_size)
{
	struct store *st = NULL;
	int r = store_open(dir, map_size, &st, err, sizeof(err));

	cr_assert_eq(r, 0, "store_open: %d %s", r, err);
	return st;
}

static void submit(struct store *st, unsigned n, int64_t now)
{
	char req[64];
	int len = snprintf(req, sizeof(req), "{\"n\":%u}", n);
	int r = store_submit(st, mkid(n), req, (size_t)len, now, 0, err,
	                     sizeof(err));

	cr_assert_eq(r, 0, "submit %u: %d %s", n, r, err);
}

/* Claim the next one and check it is number n. */
static void claim_expect(struct store *st, unsigned n, int64_t now)
{
	struct store_sub s;
	int r = store_claim_next(st, now, &s, err, sizeof(err));

	cr_assert_eq(r, 0, "claim: %d %s", r, err);
	cr_assert_str_eq(s.id, mkid(n));
	cr_assert_eq(s.state, STORE_RUNNING);
	cr_assert_eq(s.started_ms, now);
	store_sub_fini(&s);
}

Test(store, state_names)
{
	cr_assert_str_eq(store_state_name(STORE_QUEUED), "queued");
	cr_assert_str_eq(store_state_name(STORE_RUNNING), "running");
	cr_assert_str_eq(store_state_name(STORE_DONE), "done");
	cr_assert_str_eq(store_state_name((enum store_state)7), "unknown");
	store_sub_fini(NULL);
	store_close(NULL);
}

Test(store, open_makes_dir_0700_and_files_cloexec)
{
	struct store *st = open_store(0);
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int seen = 0;

	cr_assert_eq(stat(dir, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0700);
	d = opendir("/proc/self/fd");
	cr_assert_not_null(d);
	while ((de = readdir(d))) {
		char link[64], target[256];
		ssize_t n;
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, dir, strlen(dir)) != 0)
			continue;
		seen++;
		cr_expect(fcntl(fd, F_GETFD) & FD_CLOEXEC, "%s not cloexec",
		          target);
	}
	closedir(d);
	cr_assert_geq(seen, 2);
	store_close(st);
}

Test(store, open_fails_on_a_file_with_err)
{
	struct store *st = (struct store *)1;
	FILE *f;

	f = fopen(dir, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_lt(store_open(dir, 0, &st, err, sizeof(err)), 0);
	cr_assert_null(st);
	cr_assert(strstr(err, dir), "err: %s", err);
}

Test(store, submit_get_round_trip_binary_safe)
{
	struct store *st = open_store(0);
	static const char req[] = "{\"a\":\"\0\xff\x01\"}\n";
	struct store_sub s;

	cr_assert_eq(store_submit(st, mkid(1), req, sizeof(req), 1000, 0, err,
	                          sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(store_get(st, mkid(1), &s, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_str_eq(s.id, mkid(1));
	cr_assert_eq(s.state, STORE_QUEUED);
	cr_assert_eq(s.created_ms, 1000);
	cr_assert_eq(s.started_ms, 0);
	cr_assert_eq(s.finished_ms, 0);
	cr_assert_eq(s.request_len, sizeof(req));
	cr_assert_eq(memcmp(s.request, req, sizeof(req)), 0);
	cr_assert_eq(s.request[s.request_len], '\0');
	cr_assert_null(s.result);
	cr_assert_eq(s.result_len, 0);
	store_sub_fini(&s);
	cr_assert_null(s.request);
	store_sub_fini(&s);

	/* An empty request is fine too. */
	cr_assert_eq(
	        store_submit(st, mkid(2), NULL, 0, 1001, 0, err, sizeof(err)),
	        0);
	cr_assert_eq(store_get(st, mkid(2), &s, err, sizeof(err)), 0);
	cr_assert_eq(s.request_len, 0);
	cr_assert_str_eq(s.request, "");
	store_sub_fini(&s);

	cr_assert_eq(store_get(st, mkid(3), &s, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, mkid(3)));
	store_close(st);
}

Test(store, fifo_claim_order_across_100)
{
	struct store *st = open_store(0);
	size_t q, r, d;
	unsigned i;

	/* Ids in an order unrelated to submission order. */
	for (i = 0; i < 100; i++)
		submit(st, (i * 37) % 100 + 1, 1000 + i);
	cr_assert_eq(store_counts(st, &q, &r, &d), 0);
	cr_assert_eq(q, 100);
	cr_assert_eq(r, 0);
	cr_assert_eq(d, 0);
	for (i = 0; i < 100; i++)
		claim_expect(st, (i * 37) % 100 + 1, 5000 + i);
	cr_assert_eq(store_counts(st, &q, &r, &d), 0);
	cr_assert_eq(q, 0);
	cr_assert_eq(r, 100);
	store_close(st);
}

Test(store, claim_on_empty_is_enoent)
{
	struct store *st = open_store(0);
	struct store_sub s;

	cr_assert_eq(store_claim_next(st, 1, &s, err, sizeof(err)), -ENOENT);
	cr_assert_null(s.request);
	submit(st, 1, 10);
	claim_expect(st, 1, 20);
	cr_assert_eq(store_claim_next(st, 30, &s, err, sizeof(err)), -ENOENT);
	store_close(st);
}

Test(store, finish_then_get_shows_done)
{
	struct store *st = open_store(0);
	static const char res[] = "{\"status\":\"ok\",\"stdout\":\"hi\\n\"}";
	struct store_sub s;
	size_t q, r, d;

	submit(st, 7, 100);
	cr_assert_eq(store_finish(st, mkid(7), res, strlen(res), 150, err,
	                          sizeof(err)),
	             -EINVAL, "finishing a queued one");
	cr_assert(strstr(err, "queued"), "err: %s", err);
	claim_expect(st, 7, 200);
	cr_assert_eq(store_finish(st, mkid(7), res, strlen(res), 300, err,
	                          sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(store_get(st, mkid(7), &s, err, sizeof(err)), 0);
	cr_assert_eq(s.state, STORE_DONE);
	cr_assert_eq(s.created_ms, 100);
	cr_assert_eq(s.started_ms, 200);
	cr_assert_eq(s.finished_ms, 300);
	cr_assert_str_eq(s.request, "{\"n\":7}");
	cr_assert_eq(s.result_len, strlen(res));
	cr_assert_str_eq(s.result, res);
	store_sub_fini(&s);

	cr_assert_eq(store_finish(st, mkid(7), "x", 1, 400, err, sizeof(err)),
	             -EINVAL, "finishing twice");
	cr_assert_eq(store_finish(st, mkid(8), "x", 1, 400, err, sizeof(err)),
	             -ENOENT);
	cr_assert_eq(store_counts(st, &q, &r, &d), 0);
	cr_assert_eq(q + r, 0);
	cr_assert_eq(d, 1);
	store_close(st);
}

Test(store, duplicate_id_is_eexist)
{
	struct store *st = open_store(0);
	size_t q;

	submit(st, 1, 1);
	cr_assert_eq(store_submit(st, mkid(1), "b", 1, 2, 0, err, sizeof(err)),
	             -EEXIST);
	cr_assert(strstr(err, mkid(1)), "err: %s", err);
	/* Also once it is done. */
	claim_expect(st, 1, 3);
	cr_assert_eq(store_finish(st, mkid(1), "r", 1, 4, err, sizeof(err)), 0);
	cr_assert_eq(store_submit(st, mkid(1), "b", 1, 5, 0, err, sizeof(err)),
	             -EEXIST);
	cr_assert_eq(store_counts(st, &q, NULL, NULL), 0);
	cr_assert_eq(q, 0);
	store_close(st);
}

Test(store, bad_ids_are_einval)
{
	struct store *st = open_store(0);
	static const char *const bad[] = {
	        "",
	        "0123456789abcdef",                  /* short */
	        "0123456789ABCDEF0123456789abcdef",  /* uppercase */
	        "0123456789abcdeg0123456789abcdef",  /* non-hex */
	        "0123456789abcdef0123456789abcdef0", /* long */
	        "0123456789abcdef 123456789abcdef",  /* space */
	        "0123456789abcdef\n0123456789abcde", /* newline */
	};
	struct store_sub s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(store_submit(st, bad[i], "x", 1, 1, 0, err,
		                          sizeof(err)),
		             -EINVAL, "id '%s'", bad[i]);
		cr_assert(err[0]);
		cr_assert_eq(store_get(st, bad[i], &s, err, sizeof(err)),
		             -EINVAL);
		cr_assert_eq(
		        store_finish(st, bad[i], "x", 1, 1, err, sizeof(err)),
		        -EINVAL);
	}
	cr_assert_eq(store_submit(st, NULL, "x", 1, 1, 0, err, sizeof(err)),
	             -EINVAL);
	cr_assert_eq(store_submit(st, mkid(1), "x", 1, -1, 0, err, sizeof(err)),
	             -EINVAL);
	/* err may be NULL. */
	cr_assert_eq(store_submit(st, "nope", "x", 1, 1, 0, NULL, 0), -EINVAL);
	store_close(st);
}

Test(store, max_pending_is_enospc)
{
	struct store *st = open_store(0);
	unsigned i;

	for (i = 1; i <= 3; i++)
		cr_assert_eq(store_submit(st, mkid(i), "r", 1, i, 3, err,
		                          sizeof(err)),
		             0);
	cr_assert_eq(store_submit(st, mkid(4), "r", 1, 4, 3, err, sizeof(err)),
	             -ENOSPC);
	cr_assert(strstr(err, "pending"), "err: %s", err);
	/* Running ones still count as pending... */
	claim_expect(st, 1, 5);
	cr_assert_eq(store_submit(st, mkid(4), "r", 1, 6, 3, err, sizeof(err)),
	             -ENOSPC);
	/* ...done ones do not. */
	cr_assert_eq(store_finish(st, mkid(1), "x", 1, 7, err, sizeof(err)), 0);
	cr_assert_eq(store_submit(st, mkid(4), "r", 1, 8, 3, err, sizeof(err)),
	             0, "%s", err);
	store_close(st);
}

Test(store, persistence_keeps_queue_order)
{
	struct store *st = open_store(0);
	struct store_sub s;
	unsigned i;

	for (i = 1; i <= 10; i++)
		submit(st, 11 - i, i);
	claim_expect(st, 10, 100);
	claim_expect(st, 9, 101);
	store_close(st);

	st = open_store(0);
	cr_assert_eq(store_get(st, mkid(9), &s, err, sizeof(err)), 0);
	cr_assert_eq(s.state, STORE_RUNNING);
	cr_assert_eq(s.started_ms, 101);
	store_sub_fini(&s);
	/* New submissions queue behind the old ones. */
	submit(st, 50, 200);
	for (i = 3; i <= 10; i++)
		claim_expect(st, 11 - i, 300 + i);
	claim_expect(st, 50, 400);
	cr_assert_eq(store_claim_next(st, 500, &s, err, sizeof(err)), -ENOENT);
	store_close(st);
}

Test(store, recover_finishes_running_keeps_queued)
{
	static const char ie[] = "{\"status\":\"internal_error\"}";
	struct store *st = open_store(0);
	struct store_sub s;
	size_t ni = 99, nq = 99, q, r, d;
	unsigned i;

	for (i = 1; i <= 6; i++)
		submit(st, i, i);
	claim_expect(st, 1, 10);
	claim_expect(st, 2, 11);
	claim_expect(st, 3, 12);
	cr_assert_eq(store_finish(st, mkid(3), "ok", 2, 13, err, sizeof(err)),
	             0);
	store_close(st);

	st = open_store(0);
	cr_assert_eq(store_recover(st, 1000, ie, strlen(ie), &ni, &nq, err,
	                           sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(ni, 2);
	cr_assert_eq(nq, 3);
	for (i = 1; i <= 2; i++) {
		cr_assert_eq(store_get(st, mkid(i), &s, err, sizeof(err)), 0);
		cr_assert_eq(s.state, STORE_DONE);
		cr_assert_eq(s.started_ms, 9 + i);
		cr_assert_eq(s.finished_ms, 1000);
		cr_assert_str_eq(s.result, ie);
		cr_assert_str_eq(s.request, i == 1 ? "{\"n\":1}" : "{\"n\":2}");
		store_sub_fini(&s);
	}
	cr_assert_eq(store_get(st, mkid(3), &s, err, sizeof(err)), 0);
	cr_assert_str_eq(s.result, "ok");
	cr_assert_eq(s.finished_ms, 13);
	store_sub_fini(&s);
	cr_assert_eq(store_counts(st, &q, &r, &d), 0);
	cr_assert_eq(q, 3);
	cr_assert_eq(r, 0);
	cr_assert_eq(d, 3);

	/* A second recover has nothing to do. */
	cr_assert_eq(store_recover(st, 2000, ie, strlen(ie), &ni, &nq, err,
	                           sizeof(err)),
	             0);
	cr_assert_eq(ni, 0);
	cr_assert_eq(nq, 3);
	claim_expect(st, 4, 3000);
	claim_expect(st, 5, 3001);
	claim_expect(st, 6, 3002);
	store_close(st);
}

Test(store, expire_only_old_done_and_honours_max)
{
	struct store *st = open_store(0);
	struct store_sub s;
	size_t n = 99, q, r, d;
	unsigned i;

	/* 1..10 done at 100+i, 11 running, 12 queued. */
	for (i = 1; i <= 12; i++)
		submit(st, i, 1);
	for (i = 1; i <= 11; i++)
		claim_expect(st, i, 50);
	for (i = 10; i >= 1; i--)
		cr_assert_eq(store_finish(st, mkid(i), "r", 1, 100 + i, err,
		                          sizeof(err)),
		             0);

	/* ttl 1000: nothing is old enough yet. */
	cr_assert_eq(store_expire(st, 1100, 1000, 0, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 0);
	/* cutoff 106: 1..6 are old, but at most 4 per call, oldest first. */
	cr_assert_eq(store_expire(st, 1106, 1000, 4, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 4);
	for (i = 1; i <= 4; i++)
		cr_assert_eq(store_get(st, mkid(i), &s, err, sizeof(err)),
		             -ENOENT);
	cr_assert_eq(store_get(st, mkid(5), &s, err, sizeof(err)), 0);
	store_sub_fini(&s);
	cr_assert_eq(store_expire(st, 1106, 1000, 4, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(store_get(st, mkid(6), &s, err, sizeof(err)), -ENOENT);
	cr_assert_eq(store_get(st, mkid(7), &s, err, sizeof(err)), 0);
	store_sub_fini(&s);

	/* Far in the future: all done ones go, running and queued stay. */
	cr_assert_eq(store_expire(st, 1000000, 1000, 0, &n, err, sizeof(err)),
	             0);
	cr_assert_eq(n, 4);
	cr_assert_eq(store_counts(st, &q, &r, &d), 0);
	cr_assert_eq(q, 1);
	cr_assert_eq(r, 1);
	cr_assert_eq(d, 0);
	cr_assert_eq(store_get(st, mkid(11), &s, err, sizeof(err)), 0);
	cr_assert_eq(s.state, STORE_RUNNING);
	store_sub_fini(&s);
	/* An expired id may be used again. */
	submit(st, 1, 2000000);

	cr_assert_eq(store_expire(st, 10, -1, 0, &n, err, sizeof(err)),
	             -EINVAL);
	store_close(st);
}

struct worker {
	struct store *st;
	unsigned got[500];
	size_t n;
	int fail;
};

static void *claimer(void *arg)
{
	struct worker *w = arg;
	char e[256];

	for (;;) {
		struct store_sub s;
		unsigned id;
		int r = store_claim_next(w->st, 1000, &s, e, sizeof(e));

		if (r == -ENOENT)
			break;
		if (r || sscanf(s.id, "%x", &id) != 1 || w->n >= 500) {
			w->fail = r ? r : -1;
			break;
		}
		w->got[w->n++] = id;
		r = store_finish(w->st, s.id, "done", 4, 2000, e, sizeof(e));
		store_sub_fini(&s);
		if (r) {
			w->fail = r;
			break;
		}
	}
	return NULL;
}

Test(store, four_threads_claim_each_exactly_once, .timeout = 120)
{
	struct store *st = open_store(0);
	static struct worker w[4];
	unsigned seen[501] = {0};
	pthread_t t[4];
	size_t i, j, total = 0, q, r, d;

	for (i = 1; i <= 500; i++)
		submit(st, (unsigned)i, (int64_t)i);
	for (i = 0; i < 4; i++) {
		w[i].st = st;
		cr_assert_eq(pthread_create(&t[i], NULL, claimer, &w[i]), 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(w[i].fail, 0, "thread %zu: %d", i, w[i].fail);
		for (j = 0; j < w[i].n; j++) {
			cr_assert(w[i].got[j] >= 1 && w[i].got[j] <= 500);
			seen[w[i].got[j]]++;
			/* Each thread sees FIFO order too. */
			if (j)
				cr_assert_lt(w[i].got[j - 1], w[i].got[j]);
		}
		total += w[i].n;
	}
	cr_assert_eq(total, 500);
	for (i = 1; i <= 500; i++)
		cr_assert_eq(seen[i], 1, "%zu claimed %u times", i, seen[i]);
	cr_assert_eq(store_counts(st, &q, &r, &d), 0);
	cr_assert_eq(q + r, 0);
	cr_assert_eq(d, 500);
	store_close(st);
}

Test(store, tiny_map_fills_with_enospc_and_stays_readable)
{
	struct store *st = open_store(64 << 10);
	char req[2000];
	struct store_sub s;
	size_t q, ok = 0;
	unsigned i;
	int r = 0;

	memset(req, 'x', sizeof(req));
	for (i = 1; i <= 1000; i++) {
		err[0] = '\0';
		r = store_submit(st, mkid(i), req, sizeof(req), i, 0, err,
		                 sizeof(err));
		if (r)
			break;
		ok++;
	}
	cr_assert_eq(r, -ENOSPC, "submit %u: %d %s", i, r, err);
	cr_assert(strstr(err, "store full"), "err: %s", err);
	cr_assert_gt(ok, 0);
	/* The failed submission left nothing behind. */
	cr_assert_eq(store_get(st, mkid(i), &s, err, sizeof(err)), -ENOENT);
	cr_assert_eq(store_counts(st, &q, NULL, NULL), 0);
	cr_assert_eq(q, ok);
	cr_assert_eq(store_get(st, mkid(1), &s, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_eq(s.request_len, sizeof(req));
	store_sub_fini(&s);
	/* And again, and a bigger one, still cleanly refused. */
	cr_assert_eq(store_submit(st, mkid(i), req, sizeof(req), i, 0, err,
	                          sizeof(err)),
	             -ENOSPC);
	store_close(st);

	/* Reopened, it still holds what was acknowledged. */
	st = open_store(64 << 10);
	cr_assert_eq(store_counts(st, &q, NULL, NULL), 0);
	cr_assert_eq(q, ok);
	store_close(st);
}

/* Write v under key into "subs" through raw LMDB (the store is closed). */
static void raw_put(const char *key, const void *val, size_t len)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};

	cr_assert_eq(mdb_env_create(&env), 0);
	cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
	cr_assert_eq(mdb_env_open(env, dir, 0, 0600), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, "subs", 0, &dbi), 0);
	cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	cr_assert_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

Test(store, corrupt_record_is_ebadmsg)
{
	struct store *st = open_store(0);
	unsigned char hdr[48] = {0};
	struct store_sub s;
	size_t ni, nq;

	submit(st, 1, 1);
	submit(st, 2, 2);
	submit(st, 3, 3);
	store_close(st);

	/* Garbage over a queued one; a header of a future version. */
	raw_put(mkid(1), "garbage", 7);
	hdr[0] = 9;
	raw_put(mkid(9), hdr, sizeof(hdr));
	/* A version-1 header whose lengths do not add up. */
	hdr[0] = 1;
	hdr[4] = 200;
	raw_put(mkid(2), hdr, sizeof(hdr));

	st = open_store(0);
	cr_assert_eq(store_get(st, mkid(1), &s, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, mkid(1)), "err: %s", err);
	cr_assert_null(s.request);
	cr_assert_eq(store_get(st, mkid(9), &s, err, sizeof(err)), -EBADMSG);
	cr_assert_eq(store_get(st, mkid(2), &s, err, sizeof(err)), -EBADMSG);
	cr_assert_eq(store_finish(st, mkid(1), "r", 1, 5, err, sizeof(err)),
	             -EBADMSG);
	/* Recover skips them. */
	cr_assert_eq(store_recover(st, 5, "ie", 2, &ni, &nq, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(ni, 0);
	cr_assert_eq(nq, 1);
	/* Bad heads leave the queue one per call; the good one follows. */
	cr_assert_eq(store_claim_next(st, 6, &s, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, mkid(1)), "err: %s", err);
	cr_assert_eq(store_claim_next(st, 6, &s, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, mkid(2)), "err: %s", err);
	claim_expect(st, 3, 7);
	cr_assert_eq(store_claim_next(st, 8, &s, err, sizeof(err)), -ENOENT);
	store_close(st);
}

/* Put val under key into database db through raw LMDB (store closed). */
static void raw_put_in(const char *db, const void *key, size_t klen,
                       const void *val, size_t len)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {klen, (void *)key}, v = {len, (void *)val};

	cr_assert_eq(mdb_env_create(&env), 0);
	cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
	cr_assert_eq(mdb_env_open(env, dir, 0, 0600), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, db, 0, &dbi), 0);
	cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	cr_assert_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* The environment's format record (lmdbutil.h), read raw; its length. */
static size_t raw_get_format(unsigned char *buf, size_t size)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {6, "format"}, v;

	cr_assert_eq(mdb_env_create(&env), 0);
	cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
	cr_assert_eq(mdb_env_open(env, dir, 0, 0600), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, "info", 0, &dbi), 0);
	cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
	cr_assert_leq(v.mv_size, size);
	memcpy(buf, v.mv_data, v.mv_size);
	mdb_txn_abort(txn);
	mdb_env_close(env);
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
	struct store *st = (struct store *)1;
	char *data, *lock, *data2, *lock2;
	size_t dlen, llen, dlen2, llen2;

	data = slurp("data.mdb", &dlen);
	lock = slurp("lock.mdb", &llen);
	cr_assert_eq(store_open(dir, 0, &st, err, sizeof(err)), r, "%s", err);
	cr_assert_null(st);
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

Test(store, new_store_is_format_1_written_by_runpad_fcgi)
{
	struct store *st = open_store(0);
	const struct lmdb_format *f = store_format(st);
	unsigned char rec[80], want[80];
	size_t n;

	cr_assert_eq(f->origin, LMDB_FORMAT_CREATED);
	cr_assert_eq(f->format, 1);
	cr_assert_str_eq(f->writer, "runpad-fcgi " RUNPAD_VERSION);
	submit(st, 1, 1);
	store_close(st);
	n = format_rec(want, 1, "runpad-fcgi " RUNPAD_VERSION);
	cr_assert_eq(raw_get_format(rec, sizeof(rec)), n);
	cr_assert_eq(memcmp(rec, want, n), 0);

	st = open_store(0);
	cr_assert_eq(store_format(st)->origin, LMDB_FORMAT_FOUND);
	cr_assert_eq(store_format(st)->format, 1);
	store_close(st);
}

/* A store as runpad 0.1.0 made it: the four databases, no format record,
   submission 1 queued ("hello", sequence 1) and 2 done ("req" -> "res",
   finished at 30), next sequence 2. */
static void make_old_store(void)
{
	static const char *const dbs[] = {"subs", "queue", "expiry", "meta"};
	unsigned char rec[64], key[8 + STORE_ID_LEN];
	uint32_t u32;
	uint64_t u64;
	int64_t ms;
	MDB_dbi dbi[4];
	MDB_env *env;
	MDB_txn *txn;
	MDB_val k, v;

	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(mdb_env_create(&env), 0);
	cr_assert_eq(mdb_env_set_maxdbs(env, 4), 0);
	cr_assert_eq(mdb_env_open(env, dir, 0, 0600), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(mdb_dbi_open(txn, dbs[i], MDB_CREATE, &dbi[i]), 0);

	memset(rec, 0, sizeof(rec));
	rec[0] = 1; /* version */
	rec[1] = 0; /* queued */
	u32 = 5;
	memcpy(rec + 4, &u32, 4);
	u64 = 1;
	memcpy(rec + 16, &u64, 8);
	ms = 10;
	memcpy(rec + 24, &ms, 8);
	memcpy(rec + 48, "hello", 5);
	k = (MDB_val){STORE_ID_LEN, (void *)mkid(1)};
	v = (MDB_val){48 + 5, rec};
	cr_assert_eq(mdb_put(txn, dbi[0], &k, &v, 0), 0);
	for (int i = 7; i >= 0; i--)
		key[7 - i] = (unsigned char)(u64 >> (8 * i));
	k = (MDB_val){8, key};
	v = (MDB_val){STORE_ID_LEN, (void *)mkid(1)};
	cr_assert_eq(mdb_put(txn, dbi[1], &k, &v, 0), 0);

	memset(rec, 0, sizeof(rec));
	rec[0] = 1;
	rec[1] = 2; /* done */
	u32 = 3;
	memcpy(rec + 4, &u32, 4);
	memcpy(rec + 8, &u32, 4);
	ms = 20;
	memcpy(rec + 24, &ms, 8);
	memcpy(rec + 32, &ms, 8);
	ms = 30;
	memcpy(rec + 40, &ms, 8);
	memcpy(rec + 48, "reqres", 6);
	k = (MDB_val){STORE_ID_LEN, (void *)mkid(2)};
	v = (MDB_val){48 + 6, rec};
	cr_assert_eq(mdb_put(txn, dbi[0], &k, &v, 0), 0);
	memset(key, 0, 8);
	key[7] = 30;
	memcpy(key + 8, mkid(2), STORE_ID_LEN);
	k = (MDB_val){sizeof(key), key};
	v = (MDB_val){0, NULL};
	cr_assert_eq(mdb_put(txn, dbi[2], &k, &v, 0), 0);

	u64 = 2;
	k = (MDB_val){8, "next_seq"};
	v = (MDB_val){8, &u64};
	cr_assert_eq(mdb_put(txn, dbi[3], &k, &v, 0), 0);
	cr_assert_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

Test(store, store_without_format_record_is_adopted_and_keeps_submissions)
{
	unsigned char rec[80], want[80];
	size_t n, q, r, d;
	struct store_sub s;
	struct store *st;

	make_old_store();
	st = open_store(0);
	cr_assert_eq(store_format(st)->origin, LMDB_FORMAT_ADOPTED);
	cr_assert_eq(store_format(st)->format, 1);
	cr_assert_eq(store_counts(st, &q, &r, &d), 0);
	cr_assert_eq(q, 1);
	cr_assert_eq(r, 0);
	cr_assert_eq(d, 1);
	cr_assert_eq(store_get(st, mkid(2), &s, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_eq(s.state, STORE_DONE);
	cr_assert_str_eq(s.request, "req");
	cr_assert_str_eq(s.result, "res");
	cr_assert_eq(s.finished_ms, 30);
	store_sub_fini(&s);
	submit(st, 3, 40); /* after 1 in the queue */
	cr_assert_eq(store_claim_next(st, 50, &s, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_str_eq(s.id, mkid(1));
	cr_assert_str_eq(s.request, "hello");
	cr_assert_eq(s.created_ms, 10);
	store_sub_fini(&s);
	claim_expect(st, 3, 60);
	store_close(st);
	n = format_rec(want, 1, "runpad-fcgi " RUNPAD_VERSION);
	cr_assert_eq(raw_get_format(rec, sizeof(rec)), n);
	cr_assert_eq(memcmp(rec, want, n), 0);

	/* adopted once: the next open finds it */
	st = open_store(0);
	cr_assert_eq(store_format(st)->origin, LMDB_FORMAT_FOUND);
	store_close(st);
}

Test(store, future_format_is_refused_and_nothing_is_written)
{
	struct store *st = open_store(0);
	unsigned char rec[80];
	char want[400];

	submit(st, 1, 1);
	store_close(st);
	raw_put_in("info", "format", 6, rec,
	           format_rec(rec, 2, "runpad-fcgi 9.0"));
	snprintf(
	        want, sizeof(want),
	        "%s: format 2, this runpad-fcgi understands formats up to 1; upgrade runpad, or restore the state directory from a backup made by this version",
	        dir);
	expect_refused(-ENOTSUP, want);
	expect_refused(-ENOTSUP, want);
}

Test(store, malformed_format_record_is_refused)
{
	struct store *st = open_store(0);
	unsigned char rec[80];
	char want[400];
	size_t n;

	store_close(st);
	n = format_rec(rec, 1, "runpad-fcgi 0.1.0");
	rec[6] = 1;
	raw_put_in("info", "format", 6, rec, n);
	snprintf(
	        want, sizeof(want),
	        "%s: malformed format record (reserved bytes set); restore the state directory from a backup",
	        dir);
	expect_refused(-EBADMSG, want);
	raw_put_in("info", "format", 6, "\0\0\0\0", 4);
	snprintf(
	        want, sizeof(want),
	        "%s: malformed format record (format 0); restore the state directory from a backup",
	        dir);
	expect_refused(-EBADMSG, want);
}
