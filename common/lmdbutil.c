/*
 * lmdbutil.c - helpers shared by runpad's LMDB stores (see lmdbutil.h for
 * the format record's layout and rules).
 */
#include "lmdbutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "version.h"

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

/* The fixed part of the format record; see lmdbutil.h for the layout. */
struct format_hdr {
	uint32_t format;
	uint16_t writer_len;
	uint16_t reserved;
};

_Static_assert(sizeof(struct format_hdr) == 8, "format header is 8 bytes");

/*
 * Check the record in v against the rules of format 1 after its number.
 * A number above known is reported before anything else is looked at:
 * the rest of the record is a later format's business.
 */
static int format_decode(const MDB_val *v, const char *dir, const char *program,
                         uint32_t known, struct lmdb_format *out, char *err,
                         size_t errlen)
{
	const unsigned char *p = v->mv_data;
	struct format_hdr h;
	char why[80];

	memset(&h, 0, sizeof(h));
	if (v->mv_size < sizeof(h.format)) {
		snprintf(why, sizeof(why), "%zu bytes", v->mv_size);
		goto malformed;
	}
	memcpy(&h.format, p, sizeof(h.format));
	if (h.format > known) {
		if (err && errlen)
			snprintf(
			        err, errlen,
			        "%s: format %" PRIu32
			        ", this %s understands formats up to %" PRIu32
			        "; upgrade runpad, or restore the state directory from a backup made by this version",
			        dir, h.format, program, known);
		return -ENOTSUP;
	}
	if (h.format == 0) {
		snprintf(why, sizeof(why), "format 0");
		goto malformed;
	}
	if (v->mv_size < sizeof(h)) {
		snprintf(why, sizeof(why), "%zu bytes", v->mv_size);
		goto malformed;
	}
	memcpy(&h, p, sizeof(h));
	if (h.reserved) {
		snprintf(why, sizeof(why), "reserved bytes set");
		goto malformed;
	}
	if (h.writer_len == 0 || h.writer_len > LMDB_WRITER_MAX) {
		snprintf(why, sizeof(why), "writer of %u bytes",
		         (unsigned)h.writer_len);
		goto malformed;
	}
	if (v->mv_size != sizeof(h) + h.writer_len) {
		snprintf(why, sizeof(why), "%zu bytes for a writer of %u",
		         v->mv_size, (unsigned)h.writer_len);
		goto malformed;
	}
	for (size_t i = 0; i < h.writer_len; i++)
		if (p[sizeof(h) + i] < 0x20 || p[sizeof(h) + i] > 0x7e) {
			snprintf(why, sizeof(why), "writer is not printable");
			goto malformed;
		}
	out->format = h.format;
	memcpy(out->writer, p + sizeof(h), h.writer_len);
	out->writer[h.writer_len] = '\0';
	return 0;

malformed:
	if (err && errlen)
		snprintf(
		        err, errlen,
		        "%s: malformed format record (%s); restore the state directory from a backup",
		        dir, why);
	return -EBADMSG;
}

/* Put a record of format into dbi, with "program RUNPAD_VERSION" as its
   writer (already checked to fit), and copy it into *out. */
static int format_put(MDB_txn *txn, MDB_dbi dbi, const char *program,
                      uint32_t format, struct lmdb_format *out)
{
	unsigned char buf[sizeof(struct format_hdr) + LMDB_WRITER_MAX];
	struct format_hdr h = {.format = format};
	MDB_val k = {sizeof(LMDB_FORMAT_KEY) - 1, (void *)LMDB_FORMAT_KEY}, v;
	int n;

	n = snprintf(out->writer, sizeof(out->writer), "%s %s", program,
	             RUNPAD_VERSION);
	h.writer_len = (uint16_t)n;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), out->writer, (size_t)n);
	v.mv_size = sizeof(h) + (size_t)n;
	v.mv_data = buf;
	out->format = format;
	return mdb_put(txn, dbi, &k, &v, 0);
}

int lmdb_format_open(MDB_txn *txn, const char *dir, const char *program,
                     uint32_t known, struct lmdb_format *out, char *err,
                     size_t errlen)
{
	MDB_val k = {sizeof(LMDB_FORMAT_KEY) - 1, (void *)LMDB_FORMAT_KEY}, v;
	char where[400];
	MDB_dbi dbi, main_dbi;
	MDB_stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!known ||
	    strlen(program) + 1 + strlen(RUNPAD_VERSION) > LMDB_WRITER_MAX) {
		if (err && errlen)
			snprintf(
			        err, errlen,
			        "%s: bad format or writer for the format record",
			        dir);
		return -EINVAL;
	}
	snprintf(where, sizeof(where), "%s: cannot read the format record",
	         dir);
	rc = mdb_dbi_open(txn, LMDB_FORMAT_DB, 0, &dbi);
	if (rc == 0) {
		rc = mdb_get(txn, dbi, &k, &v);
		if (rc == MDB_NOTFOUND) {
			if (err && errlen)
				snprintf(
				        err, errlen,
				        "%s: malformed format record (database %s has none); restore the state directory from a backup",
				        dir, LMDB_FORMAT_DB);
			return -EBADMSG;
		}
		if (rc)
			return lmdb_errno(rc, where, err, errlen);
		out->origin = LMDB_FORMAT_FOUND;
		return format_decode(&v, dir, program, known, out, err, errlen);
	}
	if (rc != MDB_NOTFOUND)
		return lmdb_errno(rc, where, err, errlen);

	/* no record: a new environment has no named database at all */
	if ((rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) ||
	    (rc = mdb_stat(txn, main_dbi, &st)))
		return lmdb_errno(rc, where, err, errlen);
	out->origin = st.ms_entries ? LMDB_FORMAT_ADOPTED : LMDB_FORMAT_CREATED;
	snprintf(where, sizeof(where), "%s: cannot write the format record",
	         dir);
	rc = mdb_dbi_open(txn, LMDB_FORMAT_DB, MDB_CREATE, &dbi);
	if (!rc)
		rc = format_put(txn, dbi, program,
		                out->origin == LMDB_FORMAT_CREATED ? known : 1,
		                out);
	return rc ? lmdb_errno(rc, where, err, errlen) : 0;
}

int lmdb_format_raise(MDB_txn *txn, const char *dir, const char *program,
                      uint32_t to, struct lmdb_format *out, char *err,
                      size_t errlen)
{
	char where[400];
	uint32_t from = out->format;
	MDB_dbi dbi;
	int rc;

	if (to <= from ||
	    strlen(program) + 1 + strlen(RUNPAD_VERSION) > LMDB_WRITER_MAX) {
		if (err && errlen)
			snprintf(err, errlen,
			         "%s: cannot raise format %" PRIu32
			         " to %" PRIu32,
			         dir, from, to);
		return -EINVAL;
	}
	snprintf(where, sizeof(where), "%s: cannot write the format record",
	         dir);
	rc = mdb_dbi_open(txn, LMDB_FORMAT_DB, MDB_CREATE, &dbi);
	if (!rc)
		rc = format_put(txn, dbi, program, to, out);
	if (rc)
		return lmdb_errno(rc, where, err, errlen);
	out->from = from;
	out->origin = LMDB_FORMAT_RAISED;
	return 0;
}
