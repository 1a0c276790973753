/*
 * store.c - the async-submissions store on LMDB (see store.h for the
 * database layout, the record format and the threading rules).
 *
 * Every public function is one LMDB transaction begun and ended inside it.
 * Records are always copied out of the map (rec_decode) before the
 * transaction writes anything, because a put may move or free the page an
 * MDB_val points into.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmdbutil.h"
#include "store.h"

#define STORE_REC_VERSION 1
/* The environment's format (lmdbutil.h's record): the highest this code
   reads, and the one it makes. */
#define STORE_FORMAT     1
#define STORE_MAX_BLOB   UINT32_MAX
#define STORE_SEQ_KEY    "next_seq"
#define STORE_EXPIRY_KEY (8 + STORE_ID_LEN)

struct store {
	MDB_env *env;
	MDB_dbi subs, queue, expiry, meta;
	size_t map_size;
	struct lmdb_format format; /* as store_open() found or wrote it */
};

/* The 48-byte record header; see store.h for the layout. */
struct rec_hdr {
	uint8_t version;
	uint8_t state;
	uint8_t reserved0[2];
	uint32_t request_len;
	uint32_t result_len;
	uint32_t reserved1;
	uint64_t seq;
	int64_t created_ms;
	int64_t started_ms;
	int64_t finished_ms;
};

_Static_assert(sizeof(struct rec_hdr) == 48, "record header is 48 bytes");

__attribute__((format(printf, 3, 4))) static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Turn an LMDB return code into -errno and explain it in err: a full map in
 * this store's words, the rest as lmdb_errno() says.
 */
static int mdb_fail(const struct store *st, int rc, const char *what, char *err,
                    size_t errlen)
{
	if (rc == MDB_MAP_FULL) {
		seterr(err, errlen, "store full (map size %zu bytes): %s",
		       st ? st->map_size : 0, what);
		return -ENOSPC;
	}
	return lmdb_errno(rc, what, err, errlen);
}

const char *store_state_name(enum store_state s)
{
	switch (s) {
	case STORE_QUEUED:
		return "queued";
	case STORE_RUNNING:
		return "running";
	case STORE_DONE:
		return "done";
	}
	return "unknown";
}

void store_sub_fini(struct store_sub *s)
{
	if (!s)
		return;
	free(s->request);
	free(s->result);
	memset(s, 0, sizeof(*s));
}

static bool valid_id(const char *id)
{
	size_t i;

	if (!id)
		return false;
	for (i = 0; i < STORE_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return id[STORE_ID_LEN] == '\0';
}

static int check_id(const char *id, char *err, size_t errlen)
{
	if (valid_id(id))
		return 0;
	seterr(err, errlen, "bad submission id: want %d lowercase hex digits",
	       STORE_ID_LEN);
	return -EINVAL;
}

/* What every write checks (a timestamp, the size of what it stores, named
   `what`), then its write transaction. */
static int begin_write(struct store *st, int64_t now_ms, size_t len,
                       const char *what, MDB_txn **txn, char *err,
                       size_t errlen)
{
	int rc;

	if (now_ms < 0) {
		seterr(err, errlen, "negative timestamp");
		return -EINVAL;
	}
	if (len > STORE_MAX_BLOB) {
		seterr(err, errlen, "%s of %zu bytes is too large", what, len);
		return -EMSGSIZE;
	}
	rc = mdb_txn_begin(st->env, NULL, 0, txn);
	if (rc)
		return mdb_fail(st, rc, "cannot begin transaction", err,
		                errlen);
	return 0;
}

/*
 * Parse the record in v into *out (copies) and its queue sequence into *seq.
 * Returns 0, -EBADMSG or -ENOMEM.  On failure *out is zeroed.
 */
static int rec_decode(const MDB_val *v, const char *id, struct store_sub *out,
                      uint64_t *seq)
{
	const unsigned char *p = v->mv_data;
	struct rec_hdr h;

	memset(out, 0, sizeof(*out));
	if (v->mv_size < sizeof(h))
		return -EBADMSG;
	memcpy(&h, p, sizeof(h));
	if (h.version != STORE_REC_VERSION || h.state > STORE_DONE ||
	    h.reserved0[0] || h.reserved0[1] || h.reserved1 ||
	    v->mv_size != sizeof(h) + (size_t)h.request_len + h.result_len ||
	    (h.state != STORE_DONE && h.result_len) || h.created_ms < 0 ||
	    h.started_ms < 0 || h.finished_ms < 0)
		return -EBADMSG;
	out->request = lmdb_dup(p + sizeof(h), h.request_len);
	if (!out->request)
		return -ENOMEM;
	if (h.state == STORE_DONE) {
		out->result =
		        lmdb_dup(p + sizeof(h) + h.request_len, h.result_len);
		if (!out->result) {
			store_sub_fini(out);
			return -ENOMEM;
		}
	}
	memcpy(out->id, id, STORE_ID_LEN);
	out->id[STORE_ID_LEN] = '\0';
	out->state = (enum store_state)h.state;
	out->request_len = h.request_len;
	out->result_len = h.result_len;
	out->created_ms = h.created_ms;
	out->started_ms = h.started_ms;
	out->finished_ms = h.finished_ms;
	if (seq)
		*seq = h.seq;
	return 0;
}

static size_t rec_size(const struct store_sub *s)
{
	return sizeof(struct rec_hdr) + s->request_len +
	       (s->state == STORE_DONE ? s->result_len : 0);
}

/* Encode s into dst, which holds rec_size(s) bytes. */
static void rec_encode(const struct store_sub *s, uint64_t seq, void *dst)
{
	unsigned char *p = dst;
	struct rec_hdr h;

	memset(&h, 0, sizeof(h));
	h.version = STORE_REC_VERSION;
	h.state = (uint8_t)s->state;
	h.request_len = (uint32_t)s->request_len;
	h.result_len = s->state == STORE_DONE ? (uint32_t)s->result_len : 0;
	h.seq = seq;
	h.created_ms = s->created_ms;
	h.started_ms = s->started_ms;
	h.finished_ms = s->finished_ms;
	memcpy(p, &h, sizeof(h));
	if (s->request_len)
		memcpy(p + sizeof(h), s->request, s->request_len);
	if (h.result_len)
		memcpy(p + sizeof(h) + s->request_len, s->result,
		       s->result_len);
}

/* Write s into subs under its id with flags (e.g. MDB_NOOVERWRITE). */
static int rec_put(MDB_txn *txn, MDB_dbi dbi, const struct store_sub *s,
                   uint64_t seq, unsigned flags)
{
	MDB_val k = {STORE_ID_LEN, (void *)s->id};
	MDB_val v = {rec_size(s), NULL};
	int rc;

	rc = mdb_put(txn, dbi, &k, &v, flags | MDB_RESERVE);
	if (rc == 0)
		rec_encode(s, seq, v.mv_data);
	return rc;
}

static void expiry_key(unsigned char *key, int64_t finished_ms, const char *id)
{
	lmdb_put_be64(key, (uint64_t)finished_ms);
	memcpy(key + 8, id, STORE_ID_LEN);
}

static int expiry_put(MDB_txn *txn, const struct store *st,
                      const struct store_sub *s)
{
	unsigned char key[STORE_EXPIRY_KEY];
	MDB_val k = {sizeof(key), key}, v = {0, NULL};

	expiry_key(key, s->finished_ms, s->id);
	return mdb_put(txn, st->expiry, &k, &v, 0);
}

int store_open(const char *dir, size_t map_size, struct store **out, char *err,
               size_t errlen)
{
	struct store *st;
	MDB_txn *txn;
	int rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->map_size = map_size ? map_size : STORE_MAP_SIZE_DEFAULT;
	rc = lmdb_env_open_dir(dir, "store", 5, st->map_size, 0, &st->env,
	                       &st->map_size, err, errlen);
	if (rc)
		goto out_free_st;

	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc) {
		rc = mdb_fail(st, rc, "cannot begin transaction", err, errlen);
		goto out_close_env;
	}
	/* before the databases are created: it tells a new environment from
	   one made before format records */
	rc = lmdb_format_open(txn, dir, "runpad-fcgi", STORE_FORMAT,
	                      &st->format, err, errlen);
	if (rc)
		goto out_abort_txn;
	if ((rc = mdb_dbi_open(txn, "subs", MDB_CREATE, &st->subs)) ||
	    (rc = mdb_dbi_open(txn, "queue", MDB_CREATE, &st->queue)) ||
	    (rc = mdb_dbi_open(txn, "expiry", MDB_CREATE, &st->expiry)) ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &st->meta))) {
		rc = mdb_fail(st, rc, "cannot open the store's databases", err,
		              errlen);
		goto out_abort_txn;
	}
	rc = mdb_txn_commit(txn);
	if (rc) {
		rc = mdb_fail(st, rc, "cannot create the store's databases",
		              err, errlen);
		goto out_close_env;
	}
	*out = st;
	return 0;

out_abort_txn:
	mdb_txn_abort(txn);
out_close_env:
	mdb_env_close(st->env);
out_free_st:
	free(st);
	return rc;
}

const struct lmdb_format *store_format(const struct store *st)
{
	return &st->format;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	mdb_env_close(st->env);
	free(st);
}

/* Commit txn (freed either way) and map a failure. */
static int commit(struct store *st, MDB_txn *txn, char *err, size_t errlen)
{
	int rc = mdb_txn_commit(txn);

	return rc ? mdb_fail(st, rc, "cannot commit", err, errlen) : 0;
}

/* Read-modify-write the queue sequence: *seq gets the next, meta is bumped. */
static int next_seq(MDB_txn *txn, const struct store *st, uint64_t *seq)
{
	MDB_val k = {sizeof(STORE_SEQ_KEY) - 1, (void *)STORE_SEQ_KEY}, v;
	uint64_t next = 1;
	int rc;

	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == 0) {
		if (v.mv_size != sizeof(next))
			return MDB_CORRUPTED;
		memcpy(&next, v.mv_data, sizeof(next));
	} else if (rc != MDB_NOTFOUND) {
		return rc;
	}
	*seq = next++;
	v.mv_size = sizeof(next);
	v.mv_data = &next;
	return mdb_put(txn, st->meta, &k, &v, 0);
}

static int pending(MDB_txn *txn, const struct store *st, size_t *n)
{
	MDB_stat subs, done;
	int rc;

	if ((rc = mdb_stat(txn, st->subs, &subs)) ||
	    (rc = mdb_stat(txn, st->expiry, &done)))
		return rc;
	*n = subs.ms_entries > done.ms_entries
	             ? subs.ms_entries - done.ms_entries
	             : 0;
	return 0;
}

int store_submit(struct store *st, const char *id, const char *request,
                 size_t len, int64_t now_ms, size_t max_pending, char *err,
                 size_t errlen)
{
	struct store_sub s = {0};
	unsigned char qkey[8];
	MDB_val k = {sizeof(qkey), qkey}, v = {STORE_ID_LEN, (void *)id};
	MDB_txn *txn;
	uint64_t seq;
	size_t n;
	int rc;

	if ((rc = check_id(id, err, errlen)) ||
	    (rc = begin_write(st, now_ms, len, "request", &txn, err, errlen)))
		return rc;
	memcpy(s.id, id, sizeof(s.id));
	s.state = STORE_QUEUED;
	s.created_ms = now_ms;
	s.request = (char *)request;
	s.request_len = len;
	if (max_pending) {
		rc = pending(txn, st, &n);
		if (rc) {
			rc = mdb_fail(st, rc, "cannot count submissions", err,
			              errlen);
			goto out_abort_txn;
		}
		if (n >= max_pending) {
			seterr(err, errlen,
			       "too many pending submissions (%zu, limit %zu)",
			       n, max_pending);
			rc = -ENOSPC;
			goto out_abort_txn;
		}
	}
	rc = next_seq(txn, st, &seq);
	if (rc) {
		rc = mdb_fail(st, rc, "cannot take a queue sequence", err,
		              errlen);
		goto out_abort_txn;
	}
	rc = rec_put(txn, st->subs, &s, seq, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		seterr(err, errlen, "submission %s already exists", id);
		rc = -EEXIST;
		goto out_abort_txn;
	}
	if (rc) {
		rc = mdb_fail(st, rc, "cannot store submission", err, errlen);
		goto out_abort_txn;
	}
	/* Sequences only grow, so the new key sorts last. */
	lmdb_put_be64(qkey, seq);
	rc = mdb_put(txn, st->queue, &k, &v, MDB_APPEND);
	if (rc) {
		rc = mdb_fail(st, rc, "cannot queue submission", err, errlen);
		goto out_abort_txn;
	}
	return commit(st, txn, err, errlen);

out_abort_txn:
	mdb_txn_abort(txn);
	return rc;
}

/*
 * Inside txn, take the head of the queue into *out and mark it running.
 * Returns 0 or an LMDB code (MDB_* or a positive errno) to roll back.  When
 * the head is bad, it is dropped, *bad is set, err says why, and the caller
 * commits the drop and returns -EBADMSG.
 */
static int claim_head(MDB_txn *txn, struct store *st, int64_t now_ms,
                      struct store_sub *out, bool *bad, char *err,
                      size_t errlen)
{
	MDB_cursor *cur;
	MDB_val qk, qv, v;
	char id[STORE_ID_LEN + 1];
	uint64_t seq, rseq;
	int rc;

	*bad = false;
	rc = mdb_cursor_open(txn, st->queue, &cur);
	if (rc)
		return rc;
	for (;;) {
		rc = mdb_cursor_get(cur, &qk, &qv, MDB_FIRST);
		if (rc)
			goto out_close_cursor;
		if (qk.mv_size != 8 || qv.mv_size != STORE_ID_LEN) {
			rc = mdb_cursor_del(cur, 0);
			*bad = !rc;
			seterr(err, errlen, "dropped a malformed queue entry");
			goto out_close_cursor;
		}
		seq = lmdb_get_be64(qk.mv_data);
		memcpy(id, qv.mv_data, STORE_ID_LEN);
		id[STORE_ID_LEN] = '\0';
		/* The queue entry goes in every case below. */
		rc = mdb_cursor_del(cur, 0);
		if (rc)
			goto out_close_cursor;
		qk.mv_size = STORE_ID_LEN;
		qk.mv_data = id;
		rc = mdb_get(txn, st->subs, &qk, &v);
		if (rc == MDB_NOTFOUND)
			continue; /* stale entry */
		if (rc)
			goto out_close_cursor;
		rc = rec_decode(&v, id, out, &rseq);
		if (rc == -EBADMSG) {
			seterr(err, errlen,
			       "submission %s: record does not parse; taken off the queue",
			       id);
			*bad = true;
			rc = 0;
			goto out_close_cursor;
		}
		if (rc) {
			rc = ENOMEM;
			goto out_close_cursor;
		}
		if (out->state != STORE_QUEUED || rseq != seq) {
			store_sub_fini(out);
			continue; /* stale entry */
		}
		break;
	}
	out->state = STORE_RUNNING;
	out->started_ms = now_ms;
	rc = rec_put(txn, st->subs, out, 0, 0);
	if (rc)
		store_sub_fini(out);
out_close_cursor:
	mdb_cursor_close(cur);
	return rc;
}

int store_claim_next(struct store *st, int64_t now_ms, struct store_sub *out,
                     char *err, size_t errlen)
{
	MDB_txn *txn;
	bool bad;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = begin_write(st, now_ms, 0, "claim", &txn, err, errlen);
	if (rc)
		return rc;
	rc = claim_head(txn, st, now_ms, out, &bad, err, errlen);
	if (rc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		seterr(err, errlen, "no queued submission");
		return -ENOENT;
	}
	if (rc) {
		mdb_txn_abort(txn);
		return mdb_fail(st, rc, "cannot claim a submission", err,
		                errlen);
	}
	if (bad) {
		/* Keep the drop; err already names the record. */
		rc = mdb_txn_commit(txn);
		return rc ? mdb_fail(st, rc, "cannot drop a bad queue entry",
		                     err, errlen)
		          : -EBADMSG;
	}
	rc = commit(st, txn, err, errlen);
	if (rc)
		store_sub_fini(out);
	return rc;
}

int store_finish(struct store *st, const char *id, const char *result,
                 size_t len, int64_t now_ms, char *err, size_t errlen)
{
	MDB_val k = {STORE_ID_LEN, (void *)id}, v;
	struct store_sub s;
	MDB_txn *txn;
	uint64_t seq;
	int rc;

	if ((rc = check_id(id, err, errlen)) ||
	    (rc = begin_write(st, now_ms, len, "result", &txn, err, errlen)))
		return rc;
	rc = mdb_get(txn, st->subs, &k, &v);
	if (rc == MDB_NOTFOUND) {
		seterr(err, errlen, "no submission %s", id);
		rc = -ENOENT;
		goto out_abort_txn;
	}
	if (rc) {
		rc = mdb_fail(st, rc, "cannot read submission", err, errlen);
		goto out_abort_txn;
	}
	rc = rec_decode(&v, id, &s, &seq);
	if (rc) {
		seterr(err, errlen, "submission %s: %s", id,
		       rc == -EBADMSG ? "record does not parse"
		                      : "out of memory");
		goto out_abort_txn;
	}
	if (s.state != STORE_RUNNING) {
		seterr(err, errlen, "submission %s is %s, not running", id,
		       store_state_name(s.state));
		rc = -EINVAL;
		goto out_fini_sub;
	}
	s.state = STORE_DONE;
	s.finished_ms = now_ms;
	s.result = (char *)result;
	s.result_len = len;
	rc = rec_put(txn, st->subs, &s, seq, 0);
	if (!rc)
		rc = expiry_put(txn, st, &s);
	s.result = NULL; /* the caller's */
	store_sub_fini(&s);
	if (rc) {
		rc = mdb_fail(st, rc, "cannot store result", err, errlen);
		goto out_abort_txn;
	}
	return commit(st, txn, err, errlen);

out_fini_sub:
	store_sub_fini(&s);
out_abort_txn:
	mdb_txn_abort(txn);
	return rc;
}

int store_get(struct store *st, const char *id, struct store_sub *out,
              char *err, size_t errlen)
{
	MDB_val k = {STORE_ID_LEN, (void *)id}, v;
	MDB_txn *txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_id(id, err, errlen)))
		return rc;
	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return mdb_fail(st, rc, "cannot begin read transaction", err,
		                errlen);
	rc = mdb_get(txn, st->subs, &k, &v);
	if (rc == MDB_NOTFOUND) {
		seterr(err, errlen, "no submission %s", id);
		rc = -ENOENT;
	} else if (rc) {
		rc = mdb_fail(st, rc, "cannot read submission", err, errlen);
	} else {
		rc = rec_decode(&v, id, out, NULL);
		if (rc)
			seterr(err, errlen, "submission %s: %s", id,
			       rc == -EBADMSG ? "record does not parse"
			                      : "out of memory");
	}
	mdb_txn_abort(txn);
	return rc;
}

/* Finish the running record under cur with result; see store_recover(). */
static int recover_one(MDB_txn *txn, MDB_cursor *cur, struct store *st,
                       struct store_sub *s, uint64_t seq)
{
	MDB_val k = {STORE_ID_LEN, s->id}, v = {rec_size(s), NULL};
	int rc;

	v.mv_data = malloc(v.mv_size);
	if (!v.mv_data)
		return ENOMEM;
	rec_encode(s, seq, v.mv_data);
	rc = mdb_cursor_put(cur, &k, &v, MDB_CURRENT);
	free(v.mv_data);
	return rc ? rc : expiry_put(txn, st, s);
}

int store_recover(struct store *st, int64_t now_ms, const char *result,
                  size_t len, size_t *interrupted, size_t *queued, char *err,
                  size_t errlen)
{
	size_t nint = 0, nq = 0;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	MDB_cursor_op op = MDB_FIRST;
	int rc;

	rc = begin_write(st, now_ms, len, "result", &txn, err, errlen);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, st->subs, &cur);
	if (rc) {
		rc = mdb_fail(st, rc, "cannot open cursor", err, errlen);
		goto out_abort_txn;
	}
	while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		struct store_sub s;
		uint64_t seq;

		op = MDB_NEXT;
		if (k.mv_size != STORE_ID_LEN)
			continue;
		rc = rec_decode(&v, k.mv_data, &s, &seq);
		if (rc == -EBADMSG)
			continue; /* skipped, as documented */
		if (rc) {
			rc = ENOMEM;
			break;
		}
		if (s.state == STORE_QUEUED)
			nq++;
		if (s.state != STORE_RUNNING) {
			store_sub_fini(&s);
			continue;
		}
		s.state = STORE_DONE;
		s.finished_ms = now_ms;
		s.result = (char *)result;
		s.result_len = len;
		rc = recover_one(txn, cur, st, &s, seq);
		s.result = NULL; /* the caller's */
		store_sub_fini(&s);
		if (rc)
			break;
		nint++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		rc = mdb_fail(st, rc, "cannot recover running submissions", err,
		              errlen);
		goto out_abort_txn;
	}
	rc = commit(st, txn, err, errlen);
	if (rc)
		return rc;
	if (interrupted)
		*interrupted = nint;
	if (queued)
		*queued = nq;
	return 0;

out_abort_txn:
	mdb_txn_abort(txn);
	return rc;
}

int store_expire(struct store *st, int64_t now_ms, int64_t ttl_ms, size_t max,
                 size_t *deleted, char *err, size_t errlen)
{
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	size_t n = 0;
	int64_t cutoff;
	int rc;

	if (deleted)
		*deleted = 0;
	if (ttl_ms < 0 || now_ms < 0) {
		seterr(err, errlen, "negative ttl or timestamp");
		return -EINVAL;
	}
	cutoff = now_ms - ttl_ms;
	if (cutoff < 0)
		return 0;
	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc)
		return mdb_fail(st, rc, "cannot begin transaction", err,
		                errlen);
	rc = mdb_cursor_open(txn, st->expiry, &cur);
	if (rc) {
		rc = mdb_fail(st, rc, "cannot open cursor", err, errlen);
		goto out_abort_txn;
	}
	/* Always the first entry: the previous one was just deleted. */
	while ((!max || n < max) &&
	       (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
		char id[STORE_ID_LEN];
		MDB_val idv = {sizeof(id), id};

		if (k.mv_size == STORE_EXPIRY_KEY &&
		    lmdb_get_be64(k.mv_data) > (uint64_t)cutoff)
			break;
		/* A malformed index key is dropped as if it had expired. */
		if (k.mv_size == STORE_EXPIRY_KEY) {
			memcpy(id, (const char *)k.mv_data + 8, sizeof(id));
			rc = mdb_del(txn, st->subs, &idv, NULL);
			if (rc && rc != MDB_NOTFOUND)
				break;
		}
		rc = mdb_cursor_del(cur, 0);
		if (rc)
			break;
		n++;
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND) {
		rc = mdb_fail(st, rc, "cannot expire submissions", err, errlen);
		goto out_abort_txn;
	}
	if (n == 0) {
		mdb_txn_abort(txn);
		return 0;
	}
	rc = commit(st, txn, err, errlen);
	if (rc)
		return rc;
	if (deleted)
		*deleted = n;
	return 0;

out_abort_txn:
	mdb_txn_abort(txn);
	return rc;
}

int store_counts(struct store *st, size_t *queued, size_t *running,
                 size_t *done)
{
	MDB_stat subs, q, d;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return mdb_fail(st, rc, "", NULL, 0);
	if ((rc = mdb_stat(txn, st->subs, &subs)) ||
	    (rc = mdb_stat(txn, st->queue, &q)) ||
	    (rc = mdb_stat(txn, st->expiry, &d))) {
		mdb_txn_abort(txn);
		return mdb_fail(st, rc, "", NULL, 0);
	}
	mdb_txn_abort(txn);
	if (queued)
		*queued = q.ms_entries;
	if (done)
		*done = d.ms_entries;
	if (running)
		*running =
		        subs.ms_entries > q.ms_entries + d.ms_entries
		                ? subs.ms_entries - q.ms_entries - d.ms_entries
		                : 0;
	return 0;
}
