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
