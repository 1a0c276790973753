/*
 * lmdbutil.c - helpers shared by runpad's LMDB stores.
 */
#include "lmdbutil.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void lmdb_put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

uint64_t lmdb_get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

char *lmdb_dup(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int lmdb_errno(int rc, const char *what, char *err, size_t errlen)
{
	const char *why;
	int r;

	switch (rc) {
	case MDB_MAP_FULL:
		why = "the store is full";
		r = -ENOSPC;
		break;
	case MDB_TXN_FULL:
		why = "too much for one transaction";
		r = -ENOSPC;
		break;
	case MDB_READERS_FULL:
		why = "too many concurrent readers";
		r = -EAGAIN;
		break;
	case MDB_MAP_RESIZED:
		why = "map resized by another process while a transaction is open here; retry";
		r = -EAGAIN;
		break;
	case MDB_KEYEXIST:
		why = "already stored";
		r = -EEXIST;
		break;
	case MDB_NOTFOUND:
		why = "not found";
		r = -ENOENT;
		break;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		why = mdb_strerror(rc);
		r = -EBADMSG;
		break;
	default:
		why = mdb_strerror(rc);
		r = rc > 0 ? -rc : -EIO;
		break;
	}
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, why);
	return r;
}

int lmdb_env_open_dir(const char *dir, const char *what, unsigned maxdbs,
                      size_t map_size, unsigned flags, MDB_env **env,
                      size_t *map_size_out, char *err, size_t errlen)
{
	char where[400];
	MDB_envinfo info;
	int rc, dead, fd;

	*env = NULL;
	snprintf(where, sizeof(where), "cannot open %s in %s", what, dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		if (err)
			snprintf(err, errlen,
			         "cannot create %s directory %s: %s", what, dir,
			         strerror(errno));
		return rc;
	}
	rc = mdb_env_create(env);
	if (rc) {
		*env = NULL;
		return lmdb_errno(rc, where, err, errlen);
	}
	rc = mdb_env_set_maxdbs(*env, maxdbs);
	if (!rc)
		rc = mdb_env_set_mapsize(*env, map_size);
	if (!rc)
		rc = mdb_env_open(*env, dir, flags | MDB_NOTLS, 0600);
	if (rc) {
		rc = lmdb_errno(rc, where, err, errlen);
		goto out_close;
	}
	if (mdb_env_get_fd(*env, &fd) == 0 && fd >= 0 &&
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		rc = -errno;
		if (err)
			snprintf(err, errlen,
			         "cannot set close-on-exec on %s/data.mdb: %s",
			         dir, strerror(errno));
		goto out_close;
	}
	mdb_reader_check(*env, &dead);
	if (map_size_out && mdb_env_info(*env, &info) == 0)
		*map_size_out = info.me_mapsize;
	return 0;

out_close:
	mdb_env_close(*env);
	*env = NULL;
	return rc;
}
