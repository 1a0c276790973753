/* Unit tests: the helpers both LMDB stores share (common/lmdbutil). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lmdbutil.h"
#include "version.h"

Test(lmdbutil, be64_round_trip_and_byte_order_is_numeric_order)
{
	unsigned char a[8], b[8];
	static const uint64_t v[] = {
	        0,         1, 255, 256, 0x0102030405060708ull, UINT64_MAX - 1,
	        UINT64_MAX};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		lmdb_put_be64(a, v[i]);
		cr_assert_eq(lmdb_get_be64(a), v[i]);
		if (i) {
			lmdb_put_be64(b, v[i - 1]);
			cr_assert_lt(memcmp(b, a, 8), 0);
		}
	}
	lmdb_put_be64(a, 0x0102030405060708ull);
	cr_assert_eq(a[0], 1);
	cr_assert_eq(a[7], 8);
}

Test(lmdbutil, dup_is_nul_terminated)
{
	char *s = lmdb_dup("ab\0c", 4);

	cr_assert_eq(memcmp(s, "ab\0c", 5), 0);
	free(s);
	s = lmdb_dup(NULL, 0);
	cr_assert_str_eq(s, "");
	free(s);
}

Test(lmdbutil, codes_become_errno_with_a_sentence)
{
	char err[200];

	cr_assert_eq(lmdb_errno(MDB_MAP_FULL, "store x", err, sizeof(err)),
	             -ENOSPC);
	cr_assert_str_eq(err, "store x: the store is full");
	cr_assert_eq(lmdb_errno(MDB_TXN_FULL, "w", err, sizeof(err)), -ENOSPC);
	cr_assert_eq(lmdb_errno(MDB_READERS_FULL, "r", err, sizeof(err)),
	             -EAGAIN);
	cr_assert_eq(lmdb_errno(MDB_MAP_RESIZED, "r", err, sizeof(err)),
	             -EAGAIN);
	cr_assert_eq(lmdb_errno(MDB_KEYEXIST, "put u", err, sizeof(err)),
	             -EEXIST);
	cr_assert_str_eq(err, "put u: already stored");
	cr_assert_eq(lmdb_errno(MDB_NOTFOUND, "get", NULL, 0), -ENOENT);
	cr_assert_eq(lmdb_errno(MDB_CORRUPTED, "read", err, sizeof(err)),
	             -EBADMSG);
	cr_assert_eq(lmdb_errno(EACCES, "open", err, sizeof(err)), -EACCES);
	cr_assert(strstr(err, "open: "), "%s", err);
	cr_assert_eq(lmdb_errno(MDB_BAD_TXN, "commit", err, sizeof(err)), -EIO);
}

Test(lmdbutil, env_open_dir_makes_the_dir_and_keeps_the_data_fd_private)
{
	char base[] = "/tmp/runpad-lmdbutil-XXXXXX", dir[64], err[300];
	MDB_env *env;
	size_t map = 0;
	int fd;

	cr_assert_not_null(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/store", base);
	cr_assert_eq(lmdb_env_open_dir(dir, "test store", 2, 1 << 20, 0, &env,
	                               &map, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(map, (size_t)1 << 20);
	cr_assert_eq(mdb_env_get_fd(env, &fd), 0);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC,
	          "the data fd would be inherited by spawned processes");
	mdb_env_close(env);

	/* a directory that cannot be made: the store and the path named */
	snprintf(dir, sizeof(dir), "%s/no/such/store", base);
	cr_assert_eq(lmdb_env_open_dir(dir, "test store", 2, 1 << 20, 0, &env,
	                               NULL, err, sizeof(err)),
	             -ENOENT);
	cr_assert_null(env);
	cr_assert(strstr(err, "cannot create test store directory"), "%s", err);
	cr_assert(strstr(err, dir), "%s", err);

	snprintf(dir, sizeof(dir), "%s/store/data.mdb", base);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/store/lock.mdb", base);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/store", base);
	rmdir(dir);
	rmdir(base);
}

/* The format record (lmdbutil.h): an environment in a fresh directory. */
struct fmt_env {
	char base[40], dir[64];
	MDB_env *env;
};

static void fmt_env_open(struct fmt_env *e)
{
	char err[300];

	snprintf(e->base, sizeof(e->base), "/tmp/runpad-lmdbfmt-XXXXXX");
	cr_assert_not_null(mkdtemp(e->base));
	snprintf(e->dir, sizeof(e->dir), "%s/store", e->base);
	cr_assert_eq(lmdb_env_open_dir(e->dir, "test store", 4, 1 << 20, 0,
	                               &e->env, NULL, err, sizeof(err)),
	             0, "%s", err);
}

static void fmt_env_close(struct fmt_env *e)
{
	char path[100];

	mdb_env_close(e->env);
	snprintf(path, sizeof(path), "%s/data.mdb", e->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", e->dir);
	unlink(path);
	rmdir(e->dir);
	rmdir(e->base);
}

/* lmdb_format_open() in a write transaction, committed when it succeeds
   and aborted when it fails; its return value. */
static int fmt_open(struct fmt_env *e, uint32_t known, struct lmdb_format *f,
                    char *err, size_t errlen)
{
	MDB_txn *txn;
	int r;

	cr_assert_eq(mdb_txn_begin(e->env, NULL, 0, &txn), 0);
	r = lmdb_format_open(txn, e->dir, "runpad-test", known, f, err, errlen);
	if (r)
		mdb_txn_abort(txn);
	else
		cr_assert_eq(mdb_txn_commit(txn), 0);
	return r;
}

/* Replace the record with len bytes at val, creating "info" if needed. */
static void fmt_put_raw(struct fmt_env *e, const void *val, size_t len)
{
	MDB_val k = {6, "format"}, v = {len, (void *)val};
	MDB_txn *txn;
	MDB_dbi dbi;

	cr_assert_eq(mdb_txn_begin(e->env, NULL, 0, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, "info", MDB_CREATE, &dbi), 0);
	cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	cr_assert_eq(mdb_txn_commit(txn), 0);
}

/* The record's bytes into buf (size bytes at most); its length. */
static size_t fmt_get_raw(struct fmt_env *e, void *buf, size_t size)
{
	MDB_val k = {6, "format"}, v;
	MDB_txn *txn;
	MDB_dbi dbi;

	cr_assert_eq(mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, "info", 0, &dbi), 0);
	cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
	cr_assert_leq(v.mv_size, size);
	memcpy(buf, v.mv_data, v.mv_size);
	mdb_txn_abort(txn);
	return v.mv_size;
}

/* A format-1 record as lmdbutil.h lays it out, by hand. */
static size_t fmt_rec(unsigned char *buf, uint32_t format, const char *writer)
{
	uint16_t n = (uint16_t)strlen(writer), zero = 0;

	memcpy(buf, &format, 4);
	memcpy(buf + 4, &n, 2);
	memcpy(buf + 6, &zero, 2);
	memcpy(buf + 8, writer, n);
	return 8u + n;
}

Test(lmdbutil, format_new_environment_gets_known_and_the_writer)
{
	unsigned char want[80], got[80];
	struct lmdb_format f;
	struct fmt_env e;
	char err[300];
	size_t n;

	fmt_env_open(&e);
	cr_assert_eq(fmt_open(&e, 1, &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(f.origin, LMDB_FORMAT_CREATED);
	cr_assert_eq(f.format, 1);
	cr_assert_str_eq(f.writer, "runpad-test " RUNPAD_VERSION);
	n = fmt_rec(want, 1, "runpad-test " RUNPAD_VERSION);
	cr_assert_eq(fmt_get_raw(&e, got, sizeof(got)), n);
	cr_assert_eq(memcmp(got, want, n), 0);

	/* found, and left as it was, the next time */
	cr_assert_eq(fmt_open(&e, 1, &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(f.origin, LMDB_FORMAT_FOUND);
	cr_assert_eq(f.format, 1);
	cr_assert_str_eq(f.writer, "runpad-test " RUNPAD_VERSION);
	fmt_env_close(&e);

	/* a new environment is made in the newest format the code knows */
	fmt_env_open(&e);
	cr_assert_eq(fmt_open(&e, 3, &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(f.origin, LMDB_FORMAT_CREATED);
	cr_assert_eq(f.format, 3);
	fmt_env_close(&e);
}

Test(lmdbutil, format_environment_without_record_is_adopted_as_1)
{
	MDB_val k = {1, "a"}, v = {1, "b"};
	struct lmdb_format f;
	struct fmt_env e;
	char err[300];
	MDB_txn *txn;
	MDB_dbi dbi;

	fmt_env_open(&e);
	/* what a store made before the record existed */
	cr_assert_eq(mdb_txn_begin(e.env, NULL, 0, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, "things", MDB_CREATE, &dbi), 0);
	cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	cr_assert_eq(mdb_txn_commit(txn), 0);

	/* format 1 even for code that knows later ones: it must convert */
	cr_assert_eq(fmt_open(&e, 2, &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(f.origin, LMDB_FORMAT_ADOPTED);
	cr_assert_eq(f.format, 1);
	cr_assert_eq(fmt_open(&e, 2, &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(f.origin, LMDB_FORMAT_FOUND);
	cr_assert_eq(f.format, 1);

	cr_assert_eq(mdb_txn_begin(e.env, NULL, MDB_RDONLY, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, "things", 0, &dbi), 0);
	cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
	cr_assert_eq(v.mv_size, 1);
	cr_assert_eq(memcmp(v.mv_data, "b", 1), 0);
	mdb_txn_abort(txn);
	fmt_env_close(&e);
}

Test(lmdbutil, format_from_the_future_is_refused_naming_both)
{
	unsigned char rec[80], got[80];
	struct lmdb_format f;
	struct fmt_env e;
	char err[300], want[400];
	size_t n;

	fmt_env_open(&e);
	/* only the number counts: the rest may be a later layout */
	n = fmt_rec(rec, 2, "runpad-test 9.0.0");
	rec[6] = 0xff;
	fmt_put_raw(&e, rec, n);
	cr_assert_eq(fmt_open(&e, 1, &f, err, sizeof(err)), -ENOTSUP);
	snprintf(
	        want, sizeof(want),
	        "%s: format 2, this runpad-test understands formats up to 1; upgrade runpad, or restore the state directory from a backup made by this version",
	        e.dir);
	cr_assert_str_eq(err, want);
	cr_assert_eq(fmt_get_raw(&e, got, sizeof(got)), n);
	cr_assert_eq(memcmp(got, rec, n), 0);

	/* and understood by the release that knows it */
	n = fmt_rec(rec, 2, "runpad-test 9.0.0");
	fmt_put_raw(&e, rec, n);
	cr_assert_eq(fmt_open(&e, 2, &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(f.origin, LMDB_FORMAT_FOUND);
	cr_assert_eq(f.format, 2);
	cr_assert_str_eq(f.writer, "runpad-test 9.0.0");
	fmt_env_close(&e);
}

static void expect_malformed(struct fmt_env *e, const void *rec, size_t len,
                             const char *why)
{
	unsigned char got[80];
	struct lmdb_format f;
	char err[300], want[400];

	fmt_put_raw(e, rec, len);
	cr_assert_eq(fmt_open(e, 1, &f, err, sizeof(err)), -EBADMSG, "%s", why);
	snprintf(
	        want, sizeof(want),
	        "%s: malformed format record (%s); restore the state directory from a backup",
	        e->dir, why);
	cr_assert_str_eq(err, want);
	cr_assert_eq(fmt_get_raw(e, got, sizeof(got)), len);
	cr_assert_eq(memcmp(got, rec, len), 0);
}

Test(lmdbutil, format_malformed_records_are_refused)
{
	unsigned char rec[80];
	uint16_t u16;
	struct fmt_env e;
	size_t n;

	fmt_env_open(&e);
	expect_malformed(&e, "\1\0\0", 3, "3 bytes");
	expect_malformed(&e, "\1\0\0\0\3\0", 6, "6 bytes");
	n = fmt_rec(rec, 0, "runpad-test 0.1.0");
	expect_malformed(&e, rec, n, "format 0");
	n = fmt_rec(rec, 1, "runpad-test 0.1.0");
	rec[7] = 1;
	expect_malformed(&e, rec, n, "reserved bytes set");
	n = fmt_rec(rec, 1, "");
	expect_malformed(&e, rec, n, "writer of 0 bytes");
	n = fmt_rec(rec, 1, "runpad-test 0.1.0");
	u16 = 65;
	memcpy(rec + 4, &u16, 2);
	expect_malformed(&e, rec, n, "writer of 65 bytes");
	n = fmt_rec(rec, 1, "runpad-test 0.1.0");
	expect_malformed(&e, rec, n - 1, "24 bytes for a writer of 17");
	rec[n] = 'x';
	expect_malformed(&e, rec, n + 1, "26 bytes for a writer of 17");
	rec[9] = '\n';
	expect_malformed(&e, rec, n, "writer is not printable");
	fmt_env_close(&e);
}

Test(lmdbutil, format_info_database_without_the_record_is_malformed)
{
	MDB_val k = {5, "other"}, v = {1, "x"};
	struct lmdb_format f;
	struct fmt_env e;
	char err[300], want[400];
	MDB_txn *txn;
	MDB_dbi dbi;

	fmt_env_open(&e);
	cr_assert_eq(mdb_txn_begin(e.env, NULL, 0, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, "info", MDB_CREATE, &dbi), 0);
	cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	cr_assert_eq(mdb_txn_commit(txn), 0);
	cr_assert_eq(fmt_open(&e, 1, &f, err, sizeof(err)), -EBADMSG);
	snprintf(
	        want, sizeof(want),
	        "%s: malformed format record (database info has none); restore the state directory from a backup",
	        e.dir);
	cr_assert_str_eq(err, want);
	fmt_env_close(&e);
}

Test(lmdbutil, format_bad_arguments_are_einval)
{
	char program[LMDB_WRITER_MAX + 1], err[300];
	struct lmdb_format f;
	struct fmt_env e;
	MDB_txn *txn;

	fmt_env_open(&e);
	cr_assert_eq(mdb_txn_begin(e.env, NULL, 0, &txn), 0);
	cr_assert_eq(lmdb_format_open(txn, e.dir, "runpad-test", 0, &f, err,
	                              sizeof(err)),
	             -EINVAL);
	memset(program, 'p', LMDB_WRITER_MAX);
	program[LMDB_WRITER_MAX] = '\0';
	cr_assert_eq(
	        lmdb_format_open(txn, e.dir, program, 1, &f, err, sizeof(err)),
	        -EINVAL);
	mdb_txn_abort(txn);
	fmt_env_close(&e);
}
