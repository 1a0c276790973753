/*
 * padstore.c - runpad-ws's pads on LMDB (see padstore.h for the databases,
 * the key and record formats, durability and the threading rules).
 *
 * Every read function is one read transaction begun and ended inside it; a
 * padstore_txn is one write transaction that lives from padstore_begin() to
 * padstore_commit() or padstore_abort().  Meta records are always decoded
 * into a struct (copied) before the transaction writes anything, because a
 * put may move or free the page an MDB_val points into.
 *
 * The rwlock is only for MDB_MAP_RESIZED: every transaction holds it shared,
 * and adopting a map grown by another process takes it exclusively (with a
 * try-lock, so it never waits), because LMDB requires that no transaction
 * of this process is open while mdb_env_set_mapsize() remaps the file.
 */
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmdbutil.h"
#include "padstore.h"

#define PADSTORE_META_FORMAT 1
/* The environment's format (lmdbutil.h's record): the highest this code
   reads, and the one it makes.  2 added the access, events and runlog
   databases and the notes documents ("<pad>!notes"); a format 1
   environment is raised to 2 at open (the new databases are made empty),
   so that a runpad-ws of format 1 refuses it instead of serving pads with
   links as open pads. */
#define PADSTORE_FORMAT 2
/* Longest update or snapshot key: id, 0x00, 8-byte version. */
#define PADSTORE_KEY_MAX (PADSTORE_DOC_MAX + 1 + 8)
#define SUFFIX_LEN       (sizeof(PADSTORE_NOTES_SUFFIX) - 1)

struct padstore {
	MDB_env *env;
	MDB_dbi meta, updates, snapshots, runs, tests, access, events, runlog;
	size_t map_size;
	bool nosync;
	pthread_rwlock_t lock;     /* see the top of this file */
	struct lmdb_format format; /* as padstore_open() found or wrote it */
};

struct padstore_txn {
	struct padstore *ps;
	MDB_txn *txn;
	int rc;        /* first failure, 0 while the batch is alive */
	char err[256]; /* its message */
};

/* The 72-byte meta record; see padstore.h for the layout. */
struct meta_rec {
	uint8_t format;
	uint8_t lang_len;
	uint8_t reserved[6];
	uint64_t head;
	uint64_t snap_version;
	int64_t last_edit_ms;
	int64_t created_ms;
	char language[PADSTORE_LANG_MAX];
};

_Static_assert(sizeof(struct meta_rec) == 72, "meta record is 72 bytes");

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
 * Turn an LMDB return code into -errno and explain it in err: a full map
 * with the setting to raise, the rest as lmdb_errno() says.
 */
static int mdb_fail(const struct padstore *ps, int rc, const char *what,
                    char *err, size_t errlen)
{
	size_t map = ps ? ps->map_size : 0;

	if (rc != MDB_MAP_FULL)
		return lmdb_errno(rc, what, err, errlen);
	if (map >= (size_t)1 << 20)
		seterr(err, errlen,
		       "pad store is full (map size %zu MiB); raise ws.map_size",
		       map >> 20);
	else
		seterr(err, errlen,
		       "pad store is full (map size %zu KiB); raise ws.map_size",
		       map >> 10);
	return -ENOSPC;
}

bool padstore_valid_id(const char *pad)
{
	size_t i;

	if (!pad)
		return false;
	for (i = 0; pad[i]; i++) {
		char c = pad[i];

		if (i == PADSTORE_ID_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return i > 0;
}

bool padstore_valid_doc(const char *doc)
{
	char id[PADSTORE_ID_MAX + 1];
	size_t n;

	if (!doc)
		return false;
	n = strlen(doc);
	if (padstore_valid_id(doc))
		return true;
	if (n <= SUFFIX_LEN || n - SUFFIX_LEN > PADSTORE_ID_MAX ||
	    strcmp(doc + n - SUFFIX_LEN, PADSTORE_NOTES_SUFFIX))
		return false;
	memcpy(id, doc, n - SUFFIX_LEN);
	id[n - SUFFIX_LEN] = '\0';
	return padstore_valid_id(id);
}

static int check_id(const char *pad, char *err, size_t errlen)
{
	if (padstore_valid_doc(pad))
		return 0;
	seterr(err, errlen,
	       "bad pad id: want 1..%d characters of [A-Za-z0-9_-]",
	       PADSTORE_ID_MAX);
	return -EINVAL;
}

/* Build pad's update/snapshot key for version in buf; returns its size. */
static size_t ver_key(unsigned char *buf, const char *pad, uint64_t version)
{
	size_t n = strlen(pad);

	memcpy(buf, pad, n);
	buf[n] = 0;
	lmdb_put_be64(buf + n + 1, version);
	return n + 9;
}

/* True when key k belongs to pad (n = strlen(pad)): "pad\0" starts it. */
static bool key_of(const MDB_val *k, const char *pad, size_t n)
{
	return k->mv_size >= n + 1 && memcmp(k->mv_data, pad, n) == 0 &&
	       ((const unsigned char *)k->mv_data)[n] == 0;
}

/* Parse v into *m; a short reason into *why on failure.  0 or -EBADMSG. */
static int meta_decode(const MDB_val *v, struct meta_rec *m, const char **why)
{
	size_t i;

	if (v->mv_size != sizeof(*m)) {
		*why = "meta record has the wrong size";
		return -EBADMSG;
	}
	memcpy(m, v->mv_data, sizeof(*m));
	if (m->format != PADSTORE_META_FORMAT) {
		*why = "meta record has an unknown format";
		return -EBADMSG;
	}
	for (i = 0; i < sizeof(m->reserved); i++)
		if (m->reserved[i]) {
			*why = "meta record has reserved bytes set";
			return -EBADMSG;
		}
	if (m->lang_len > PADSTORE_LANG_MAX) {
		*why = "meta record's language is too long";
		return -EBADMSG;
	}
	for (i = 0; i < PADSTORE_LANG_MAX; i++)
		if ((i < m->lang_len) != (m->language[i] != 0)) {
			*why = "meta record's language is malformed";
			return -EBADMSG;
		}
	if (m->snap_version > m->head) {
		*why = "meta record's snapshot is after its head";
		return -EBADMSG;
	}
	if (m->last_edit_ms < 0 || m->created_ms < 0) {
		*why = "meta record has a negative time";
		return -EBADMSG;
	}
	return 0;
}

/*
 * Begin a transaction, holding ps->lock shared until txn_end().  Adopts a
 * map grown by another process (MDB_MAP_RESIZED) when no other transaction
 * of this process is open.
 */
static int txn_begin(struct padstore *ps, unsigned flags, MDB_txn **txn,
                     char *err, size_t errlen)
{
	MDB_envinfo info;
	int rc;

	pthread_rwlock_rdlock(&ps->lock);
	rc = mdb_txn_begin(ps->env, NULL, flags, txn);
	if (rc == MDB_MAP_RESIZED) {
		pthread_rwlock_unlock(&ps->lock);
		if (pthread_rwlock_trywrlock(&ps->lock) != 0)
			return mdb_fail(ps, rc, "cannot begin transaction", err,
			                errlen);
		rc = mdb_env_set_mapsize(ps->env, 0);
		if (rc == 0 && mdb_env_info(ps->env, &info) == 0)
			ps->map_size = info.me_mapsize;
		pthread_rwlock_unlock(&ps->lock);
		if (rc)
			return mdb_fail(ps, rc, "cannot adopt the grown map",
			                err, errlen);
		pthread_rwlock_rdlock(&ps->lock);
		rc = mdb_txn_begin(ps->env, NULL, flags, txn);
	}
	if (rc) {
		pthread_rwlock_unlock(&ps->lock);
		return mdb_fail(ps, rc, "cannot begin transaction", err,
		                errlen);
	}
	return 0;
}

static void txn_abort(struct padstore *ps, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	pthread_rwlock_unlock(&ps->lock);
}

static int txn_commit(struct padstore *ps, MDB_txn *txn, char *err,
                      size_t errlen)
{
	int rc = mdb_txn_commit(txn);

	if (rc)
		rc = mdb_fail(ps, rc, "cannot commit", err, errlen);
	pthread_rwlock_unlock(&ps->lock);
	return rc;
}

int padstore_open(const struct padstore_options *o, struct padstore **out,
                  char *err, size_t errlen)
{
	struct padstore *ps;
	MDB_txn *txn;
	int rc;

	*out = NULL;
	if (!o || !o->dir || !o->dir[0]) {
		seterr(err, errlen, "no pad store directory given");
		return -EINVAL;
	}
	ps = calloc(1, sizeof(*ps));
	if (!ps) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ps->map_size = o->map_size ? o->map_size : PADSTORE_MAP_SIZE_DEFAULT;
	ps->nosync = o->sync_interval_ms > 0;
	rc = pthread_rwlock_init(&ps->lock, NULL);
	if (rc) {
		seterr(err, errlen, "cannot create lock: %s", strerror(rc));
		rc = -rc;
		goto out_free_ps;
	}
	rc = lmdb_env_open_dir(o->dir, "pad store", 9, ps->map_size,
	                       ps->nosync ? MDB_NOSYNC : 0, &ps->env,
	                       &ps->map_size, err, errlen);
	if (rc)
		goto out_destroy_lock;

	rc = mdb_txn_begin(ps->env, NULL, 0, &txn);
	if (rc) {
		rc = mdb_fail(ps, rc, "cannot begin transaction", err, errlen);
		goto out_close_env;
	}
	/* before the databases are created: it tells a new environment from
	   one made before format records */
	rc = lmdb_format_open(txn, o->dir, "runpad-ws", PADSTORE_FORMAT,
	                      &ps->format, err, errlen);
	if (rc)
		goto out_abort_txn;
	if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &ps->meta)) ||
	    (rc = mdb_dbi_open(txn, "updates", MDB_CREATE, &ps->updates)) ||
	    (rc = mdb_dbi_open(txn, "snapshots", MDB_CREATE, &ps->snapshots)) ||
	    (rc = mdb_dbi_open(txn, "runs", MDB_CREATE, &ps->runs)) ||
	    (rc = mdb_dbi_open(txn, "tests", MDB_CREATE, &ps->tests)) ||
	    (rc = mdb_dbi_open(txn, "access", MDB_CREATE, &ps->access)) ||
	    (rc = mdb_dbi_open(txn, "events", MDB_CREATE, &ps->events)) ||
	    (rc = mdb_dbi_open(txn, "runlog", MDB_CREATE, &ps->runlog))) {
		rc = mdb_fail(ps, rc, "cannot open the pad store's databases",
		              err, errlen);
		goto out_abort_txn;
	}
	if (ps->format.format < PADSTORE_FORMAT) {
		rc = lmdb_format_raise(txn, o->dir, "runpad-ws",
		                       PADSTORE_FORMAT, &ps->format, err,
		                       errlen);
		if (rc)
			goto out_abort_txn;
	}
	rc = mdb_txn_commit(txn);
	if (rc) {
		rc = mdb_fail(ps, rc, "cannot create the pad store's databases",
		              err, errlen);
		goto out_close_env;
	}
	*out = ps;
	return 0;

out_abort_txn:
	mdb_txn_abort(txn);
out_close_env:
	mdb_env_close(ps->env);
out_destroy_lock:
	pthread_rwlock_destroy(&ps->lock);
out_free_ps:
	free(ps);
	return rc;
}

const struct lmdb_format *padstore_format(const struct padstore *ps)
{
	return &ps->format;
}

void padstore_close(struct padstore *ps)
{
	if (!ps)
		return;
	mdb_env_sync(ps->env, 1);
	mdb_env_close(ps->env);
	pthread_rwlock_destroy(&ps->lock);
	free(ps);
}

int padstore_sync(struct padstore *ps)
{
	int rc = mdb_env_sync(ps->env, 1);

	return rc ? mdb_fail(ps, rc, "", NULL, 0) : 0;
}

void padstore_pad_fini(struct padstore_pad *p)
{
	if (!p)
		return;
	free(p->snap_text);
	free(p->last_run);
	free(p->tests);
	free(p->access);
	memset(p, 0, sizeof(*p));
}

/* Read pad's meta record into *m.  0, MDB_NOTFOUND, another MDB code, or
   -EBADMSG with err. */
static int meta_get(MDB_txn *txn, const struct padstore *ps, const char *pad,
                    struct meta_rec *m, char *err, size_t errlen)
{
	MDB_val k = {strlen(pad), (void *)pad}, v;
	const char *why;
	int rc;

	rc = mdb_get(txn, ps->meta, &k, &v);
	if (rc)
		return rc;
	rc = meta_decode(&v, m, &why);
	if (rc)
		seterr(err, errlen, "pad %s: %s", pad, why);
	return rc;
}

static int meta_put(MDB_txn *txn, const struct padstore *ps, const char *pad,
                    const struct meta_rec *m)
{
	MDB_val k = {strlen(pad), (void *)pad};
	MDB_val v = {sizeof(*m), (void *)m};

	return mdb_put(txn, ps->meta, &k, &v, 0);
}

/* A copy of pad's record in dbi (a last run, the tests) into *out, or NULL
   when there is none.  0 or -errno with err. */
static int get_blob(MDB_txn *txn, const struct padstore *ps, MDB_dbi dbi,
                    const char *pad, char **out, size_t *len, const char *what,
                    char *err, size_t errlen)
{
	MDB_val k = {strlen(pad), (void *)pad}, v;
	int rc = mdb_get(txn, dbi, &k, &v);

	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return mdb_fail(ps, rc, what, err, errlen);
	*out = lmdb_dup(v.mv_data, v.mv_size);
	if (!*out) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*len = v.mv_size;
	return 0;
}

int padstore_head(struct padstore *ps, const char *pad, uint64_t *head,
                  char *err, size_t errlen)
{
	struct meta_rec m;
	MDB_txn *txn;
	int rc;

	if ((rc = check_id(pad, err, errlen)) ||
	    (rc = txn_begin(ps, MDB_RDONLY, &txn, err, errlen)))
		return rc;
	rc = meta_get(txn, ps, pad, &m, err, errlen);
	txn_abort(ps, txn);
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc && rc != -EBADMSG) /* an LMDB code */
		return mdb_fail(ps, rc, "cannot read meta record", err, errlen);
	if (rc == 0)
		*head = m.head;
	return rc;
}

int padstore_load(struct padstore *ps, const char *pad,
                  struct padstore_pad *out, char *err, size_t errlen)
{
	unsigned char key[PADSTORE_KEY_MAX];
	struct meta_rec m;
	MDB_val k, v;
	MDB_txn *txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_id(pad, err, errlen)) ||
	    (rc = txn_begin(ps, MDB_RDONLY, &txn, err, errlen)))
		return rc;
	rc = meta_get(txn, ps, pad, &m, err, errlen);
	if (rc == MDB_NOTFOUND) {
		out->snap_text = lmdb_dup("", 0);
		rc = out->snap_text ? 0 : -ENOMEM;
		goto out_abort_txn;
	}
	if (rc) {
		if (rc != -EBADMSG) /* an LMDB code */
			rc = mdb_fail(ps, rc, "cannot read meta record", err,
			              errlen);
		goto out_abort_txn;
	}
	out->exists = true;
	out->head = m.head;
	out->snap_version = m.snap_version;
	memcpy(out->language, m.language, m.lang_len);
	out->language[m.lang_len] = '\0';
	out->last_edit_ms = m.last_edit_ms;
	out->created_ms = m.created_ms;

	k.mv_size = ver_key(key, pad, m.snap_version);
	k.mv_data = key;
	rc = mdb_get(txn, ps->snapshots, &k, &v);
	if (rc == MDB_NOTFOUND && m.snap_version == 0) {
		v.mv_size = 0;
		v.mv_data = "";
	} else if (rc == MDB_NOTFOUND) {
		seterr(err, errlen,
		       "pad %s: snapshot of version %llu is missing", pad,
		       (unsigned long long)m.snap_version);
		rc = -EBADMSG;
		goto out_abort_txn;
	} else if (rc) {
		rc = mdb_fail(ps, rc, "cannot read snapshot", err, errlen);
		goto out_abort_txn;
	}
	out->snap_text = lmdb_dup(v.mv_data, v.mv_size);
	if (!out->snap_text)
		goto out_nomem;
	out->snap_len = v.mv_size;

	k.mv_size = strlen(pad);
	k.mv_data = (void *)pad;
	rc = get_blob(txn, ps, ps->runs, pad, &out->last_run,
	              &out->last_run_len, "cannot read last run", err, errlen);
	if (!rc)
		rc = get_blob(txn, ps, ps->tests, pad, &out->tests,
		              &out->tests_len, "cannot read tests", err,
		              errlen);
	if (!rc)
		rc = get_blob(txn, ps, ps->access, pad, &out->access,
		              &out->access_len, "cannot read the links", err,
		              errlen);
	if (rc)
		goto out_abort_txn;
	rc = 0;
	goto out_abort_txn;

out_nomem:
	seterr(err, errlen, "out of memory");
	rc = -ENOMEM;
out_abort_txn:
	txn_abort(ps, txn);
	return rc;
}

int padstore_updates(struct padstore *ps, const char *pad, uint64_t from,
                     uint64_t to,
                     int (*cb)(void *arg, uint64_t version, const void *data,
                               size_t len),
                     void *arg, char *err, size_t errlen)
{
	unsigned char key[PADSTORE_KEY_MAX];
	uint64_t next = from + 1, ver;
	bool complete = false, gap = false;
	size_t n, ksize;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((rc = check_id(pad, err, errlen)))
		return rc;
	if (from >= to)
		return 0;
	if ((rc = txn_begin(ps, MDB_RDONLY, &txn, err, errlen)))
		return rc;
	rc = mdb_cursor_open(txn, ps->updates, &cur);
	if (rc) {
		rc = mdb_fail(ps, rc, "cannot open cursor", err, errlen);
		goto out_abort_txn;
	}
	n = strlen(pad);
	ksize = ver_key(key, pad, next);
	k.mv_size = ksize;
	k.mv_data = key;
	/* Invariant: every version in (from, next) went to cb, next <= to. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (!key_of(&k, pad, n))
			break; /* past pad's updates */
		if (k.mv_size != ksize) {
			seterr(err, errlen, "pad %s: malformed update key",
			       pad);
			rc = -EBADMSG;
			goto out_close_cursor;
		}
		ver = lmdb_get_be64((const unsigned char *)k.mv_data + n + 1);
		if (ver != next) {
			gap = true; /* next is missing, a later one is not */
			break;
		}
		rc = cb(arg, ver, v.mv_data, v.mv_size);
		if (rc)
			goto out_close_cursor;
		if (ver == to) {
			complete = true;
			break;
		}
		next = ver + 1;
	}
	if (rc && rc != MDB_NOTFOUND) {
		rc = mdb_fail(ps, rc, "cannot read updates", err, errlen);
		goto out_close_cursor;
	}
	rc = 0;
	/* Running out of pad's updates is complete only when `to` is open;
	   stopping at a later version than next is a gap either way. */
	if (!complete && (gap || to != PADSTORE_VERSION_END)) {
		seterr(err, errlen, "pad %s: update %llu is missing", pad,
		       (unsigned long long)next);
		rc = -EBADMSG;
	}
out_close_cursor:
	mdb_cursor_close(cur);
out_abort_txn:
	txn_abort(ps, txn);
	return rc;
}

/* Delete every key of pad ("pad\0...") in dbi; *count (may be NULL) is
   incremented per key.  0 or an LMDB code. */
static int del_versions(MDB_txn *txn, MDB_dbi dbi, const char *pad,
                        size_t *count)
{
	size_t n = strlen(pad);
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return rc;
	/* Seek afresh after every delete: simple, and O(log n) each. */
	for (;;) {
		k.mv_size = n + 1; /* "pad\0": pad's NUL is the 0x00 */
		k.mv_data = (void *)pad;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND || (rc == 0 && !key_of(&k, pad, n))) {
			rc = 0;
			break;
		}
		if (rc)
			break;
		rc = mdb_cursor_del(cur, 0);
		if (rc)
			break;
		if (count)
			(*count)++;
	}
	mdb_cursor_close(cur);
	return rc;
}

/* Delete every record of pad; *count gets the number of records.  0 or an
   LMDB code. */
static int del_pad(MDB_txn *txn, const struct padstore *ps, const char *pad,
                   size_t *count)
{
	MDB_val k = {strlen(pad), (void *)pad};
	int rc;

	*count = 0;
	rc = mdb_del(txn, ps->meta, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	*count += !rc;
	rc = mdb_del(txn, ps->runs, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	*count += !rc;
	rc = mdb_del(txn, ps->tests, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	*count += !rc;
	rc = mdb_del(txn, ps->access, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	*count += !rc;
	rc = del_versions(txn, ps->updates, pad, count);
	if (!rc)
		rc = del_versions(txn, ps->snapshots, pad, count);
	if (!rc)
		rc = del_versions(txn, ps->events, pad, count);
	if (!rc)
		rc = del_versions(txn, ps->runlog, pad, count);
	if (!rc && padstore_valid_id(pad)) {
		/* a pad's notes go with it */
		char notes[PADSTORE_DOC_MAX + 1];
		size_t n = 0;
		snprintf(notes, sizeof(notes), "%s" PADSTORE_NOTES_SUFFIX, pad);
		rc = del_pad(txn, ps, notes, &n);
		*count += n;
	}
	return rc;
}

int padstore_begin(struct padstore *ps, struct padstore_txn **out, char *err,
                   size_t errlen)
{
	struct padstore_txn *t;
	int rc;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = txn_begin(ps, 0, &t->txn, err, errlen);
	if (rc) {
		free(t);
		return rc;
	}
	t->ps = ps;
	*out = t;
	return 0;
}

/* Kill batch t with rc (-errno); its message is already in t->err. */
static int batch_kill(struct padstore_txn *t, int rc)
{
	t->rc = rc;
	return rc;
}

/* Kill batch t with LMDB code rc, explained as what (printf-style). */
__attribute__((format(printf, 3, 4))) static int
batch_mdb(struct padstore_txn *t, int rc, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return batch_kill(t, mdb_fail(t->ps, rc, what, t->err, sizeof(t->err)));
}

/* What every put checks first: a live batch and a good id. */
static int batch_start(struct padstore_txn *t, const char *pad)
{
	if (t->rc)
		return t->rc;
	if (check_id(pad, t->err, sizeof(t->err)))
		return batch_kill(t, -EINVAL);
	return 0;
}

int padstore_put_update(struct padstore_txn *t, const char *pad,
                        uint64_t version, const void *data, size_t len)
{
	unsigned char key[PADSTORE_KEY_MAX];
	MDB_val k = {0, key}, v = {len, (void *)data};
	int rc;

	if ((rc = batch_start(t, pad)))
		return rc;
	if (version == 0 || version == PADSTORE_VERSION_END || (len && !data)) {
		seterr(t->err, sizeof(t->err), "pad %s: bad update %llu", pad,
		       (unsigned long long)version);
		return batch_kill(t, -EINVAL);
	}
	k.mv_size = ver_key(key, pad, version);
	rc = mdb_put(t->txn, t->ps->updates, &k, &v, MDB_NOOVERWRITE);
	if (rc)
		return batch_mdb(t, rc, "cannot store update %llu of pad %s",
		                 (unsigned long long)version, pad);
	return 0;
}

int padstore_put_snapshot(struct padstore_txn *t, const char *pad,
                          uint64_t version, const char *text, size_t len)
{
	unsigned char key[PADSTORE_KEY_MAX];
	MDB_val k = {0, key}, v = {len, (void *)text};
	struct meta_rec m;
	int rc;

	if ((rc = batch_start(t, pad)))
		return rc;
	if (version == PADSTORE_VERSION_END || (len && !text)) {
		seterr(t->err, sizeof(t->err), "pad %s: bad snapshot %llu", pad,
		       (unsigned long long)version);
		return batch_kill(t, -EINVAL);
	}
	rc = del_versions(t->txn, t->ps->snapshots, pad, NULL);
	if (rc)
		return batch_mdb(t, rc, "cannot delete old snapshots of pad %s",
		                 pad);
	k.mv_size = ver_key(key, pad, version);
	rc = mdb_put(t->txn, t->ps->snapshots, &k, &v, 0);
	if (rc)
		return batch_mdb(t, rc, "cannot store snapshot of pad %s", pad);
	rc = meta_get(t->txn, t->ps, pad, &m, t->err, sizeof(t->err));
	if (rc == MDB_NOTFOUND)
		return 0; /* padstore_put_meta() will find it */
	if (rc == -EBADMSG)
		return batch_kill(t, rc);
	if (rc)
		return batch_mdb(t, rc, "cannot read meta record of pad %s",
		                 pad);
	m.snap_version = version;
	if (m.head < version)
		m.head = version;
	rc = meta_put(t->txn, t->ps, pad, &m);
	if (rc)
		return batch_mdb(t, rc, "cannot store meta record of pad %s",
		                 pad);
	return 0;
}

/* The version of pad's snapshot, 0 when it has none.  0 or an LMDB code. */
static int snap_version(MDB_txn *txn, const struct padstore *ps,
                        const char *pad, uint64_t *version)
{
	size_t n = strlen(pad);
	MDB_cursor *cur;
	MDB_val k = {n + 1, (void *)pad}, v;
	int rc;

	*version = 0;
	rc = mdb_cursor_open(txn, ps->snapshots, &cur);
	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && key_of(&k, pad, n)) {
		if (k.mv_size == n + 9)
			*version = lmdb_get_be64(
			        (const unsigned char *)k.mv_data + n + 1);
		else
			rc = MDB_CORRUPTED;
	} else if (rc == MDB_NOTFOUND) {
		rc = 0;
	}
	mdb_cursor_close(cur);
	return rc;
}

int padstore_put_meta(struct padstore_txn *t, const char *pad, uint64_t head,
                      const char *language, int64_t last_edit_ms)
{
	struct meta_rec m;
	size_t llen = 0;
	int rc;

	if ((rc = batch_start(t, pad)))
		return rc;
	if (language && (llen = strlen(language)) > PADSTORE_LANG_MAX) {
		seterr(t->err, sizeof(t->err),
		       "pad %s: language id longer than %d bytes", pad,
		       PADSTORE_LANG_MAX);
		return batch_kill(t, -EINVAL);
	}
	if (last_edit_ms < 0) {
		seterr(t->err, sizeof(t->err), "pad %s: negative edit time",
		       pad);
		return batch_kill(t, -EINVAL);
	}
	rc = meta_get(t->txn, t->ps, pad, &m, t->err, sizeof(t->err));
	if (rc == MDB_NOTFOUND) {
		memset(&m, 0, sizeof(m));
		m.format = PADSTORE_META_FORMAT;
		m.created_ms = last_edit_ms;
		rc = snap_version(t->txn, t->ps, pad, &m.snap_version);
		if (rc)
			return batch_mdb(t, rc,
			                 "cannot read snapshot key of pad %s",
			                 pad);
	} else if (rc == -EBADMSG) {
		return batch_kill(t, rc);
	} else if (rc) {
		return batch_mdb(t, rc, "cannot read meta record of pad %s",
		                 pad);
	}
	if (head < m.snap_version) {
		seterr(t->err, sizeof(t->err),
		       "pad %s: head %llu is before its snapshot %llu", pad,
		       (unsigned long long)head,
		       (unsigned long long)m.snap_version);
		return batch_kill(t, -EINVAL);
	}
	m.head = head;
	m.last_edit_ms = last_edit_ms;
	if (language) {
		memset(m.language, 0, sizeof(m.language));
		memcpy(m.language, language, llen);
		m.lang_len = (uint8_t)llen;
	}
	rc = meta_put(t->txn, t->ps, pad, &m);
	if (rc)
		return batch_mdb(t, rc, "cannot store meta record of pad %s",
		                 pad);
	return 0;
}

/* Store or (json NULL) delete pad's record in dbi, in the batch. */
static int put_blob(struct padstore_txn *t, MDB_dbi dbi, const char *pad,
                    const char *json, size_t len, const char *what)
{
	MDB_val k = {0, (void *)pad}, v = {len, (void *)json};
	int rc;

	if ((rc = batch_start(t, pad)))
		return rc;
	k.mv_size = strlen(pad);
	if (!json)
		rc = mdb_del(t->txn, dbi, &k, NULL);
	else
		rc = mdb_put(t->txn, dbi, &k, &v, 0);
	if (rc && !(rc == MDB_NOTFOUND && !json))
		return batch_mdb(t, rc, "cannot store %s of pad %s", what, pad);
	return 0;
}

int padstore_put_run(struct padstore_txn *t, const char *pad, const char *json,
                     size_t len)
{
	return put_blob(t, t->ps->runs, pad, json, len, "the last run");
}

int padstore_put_tests(struct padstore_txn *t, const char *pad,
                       const char *json, size_t len)
{
	return put_blob(t, t->ps->tests, pad, json, len, "the tests");
}

int padstore_put_access(struct padstore_txn *t, const char *pad,
                        const char *json, size_t len)
{
	return put_blob(t, t->ps->access, pad, json, len, "the links");
}

static MDB_dbi log_dbi(const struct padstore *ps, enum padstore_log log)
{
	return log == PADSTORE_LOG_RUNS ? ps->runlog : ps->events;
}

int padstore_put_log(struct padstore_txn *t, enum padstore_log log,
                     const char *pad, uint64_t seq, const void *data,
                     size_t len)
{
	unsigned char key[PADSTORE_KEY_MAX];
	MDB_val k = {0, key}, v = {len, (void *)data};
	int rc;

	if ((rc = batch_start(t, pad)))
		return rc;
	if (seq == 0 || (len && !data)) {
		seterr(t->err, sizeof(t->err), "pad %s: bad log entry %llu",
		       pad, (unsigned long long)seq);
		return batch_kill(t, -EINVAL);
	}
	k.mv_size = ver_key(key, pad, seq);
	rc = mdb_put(t->txn, log_dbi(t->ps, log), &k, &v, 0);
	if (rc)
		return batch_mdb(t, rc, "cannot store %s %llu of pad %s",
		                 log == PADSTORE_LOG_RUNS ? "run" : "event",
		                 (unsigned long long)seq, pad);
	return 0;
}

int padstore_log(struct padstore *ps, enum padstore_log log, const char *pad,
                 uint64_t from,
                 int (*cb)(void *arg, uint64_t seq, const void *data,
                           size_t len),
                 void *arg, uint64_t *last, size_t *bytes, char *err,
                 size_t errlen)
{
	unsigned char key[PADSTORE_KEY_MAX];
	size_t n, ksize;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	uint64_t seq;
	int rc;

	if (last)
		*last = 0;
	if (bytes)
		*bytes = 0;
	if ((rc = check_id(pad, err, errlen)))
		return rc;
	if (from == UINT64_MAX)
		return 0;
	if ((rc = txn_begin(ps, MDB_RDONLY, &txn, err, errlen)))
		return rc;
	rc = mdb_cursor_open(txn, log_dbi(ps, log), &cur);
	if (rc) {
		rc = mdb_fail(ps, rc, "cannot open cursor", err, errlen);
		goto out_abort_txn;
	}
	n = strlen(pad);
	ksize = ver_key(key, pad, from + 1);
	k.mv_size = ksize;
	k.mv_data = key;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (!key_of(&k, pad, n))
			break;
		if (k.mv_size != ksize) {
			seterr(err, errlen, "pad %s: malformed log key", pad);
			rc = -EBADMSG;
			goto out_close_cursor;
		}
		seq = lmdb_get_be64((const unsigned char *)k.mv_data + n + 1);
		if (last)
			*last = seq;
		if (bytes)
			*bytes += v.mv_size;
		if (cb && (rc = cb(arg, seq, v.mv_data, v.mv_size)))
			goto out_close_cursor;
	}
	if (rc && rc != MDB_NOTFOUND) {
		rc = mdb_fail(ps, rc, "cannot read the log", err, errlen);
		goto out_close_cursor;
	}
	rc = 0;
out_close_cursor:
	mdb_cursor_close(cur);
out_abort_txn:
	txn_abort(ps, txn);
	return rc;
}

int padstore_commit(struct padstore_txn *t, char *err, size_t errlen)
{
	int rc;

	if (t->rc) {
		rc = t->rc;
		seterr(err, errlen, "%s", t->err);
		txn_abort(t->ps, t->txn);
	} else {
		rc = txn_commit(t->ps, t->txn, err, errlen);
	}
	free(t);
	return rc;
}

void padstore_abort(struct padstore_txn *t)
{
	if (!t)
		return;
	txn_abort(t->ps, t->txn);
	free(t);
}

int padstore_sweep(struct padstore *ps, int64_t cutoff_ms, size_t max,
                   bool (*in_use)(void *arg, const char *pad), void *arg,
                   size_t *deleted, char *err, size_t errlen)
{
	unsigned char last[512]; /* LMDB's longest key is 511 bytes */
	char id[PADSTORE_ID_MAX + 1];
	size_t lastlen = 0, n = 0, nrec;
	struct meta_rec m;
	const char *why;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if (deleted)
		*deleted = 0;
	if ((rc = txn_begin(ps, 0, &txn, err, errlen)))
		return rc;
	rc = mdb_cursor_open(txn, ps->meta, &cur);
	if (rc) {
		rc = mdb_fail(ps, rc, "cannot open cursor", err, errlen);
		goto out_abort_txn;
	}
	while (!max || n < max) {
		/* Re-seek after the last key seen: it may have been deleted,
		   with the records of other databases. */
		if (!lastlen) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
		} else {
			k.mv_size = lastlen;
			k.mv_data = last;
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			if (rc == 0 && k.mv_size == lastlen &&
			    memcmp(k.mv_data, last, lastlen) == 0)
				rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
		if (rc)
			break;
		if (k.mv_size == 0 || k.mv_size > sizeof(last)) {
			rc = MDB_CORRUPTED;
			break;
		}
		lastlen = k.mv_size;
		memcpy(last, k.mv_data, lastlen);
		/* longer: a pad's notes, swept with the pad */
		if (lastlen > PADSTORE_ID_MAX)
			continue;
		memcpy(id, last, lastlen);
		id[lastlen] = '\0';
		if (!padstore_valid_id(id) || meta_decode(&v, &m, &why) ||
		    m.last_edit_ms >= cutoff_ms || (in_use && in_use(arg, id)))
			continue;
		rc = del_pad(txn, ps, id, &nrec);
		if (rc)
			break;
		n++;
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND) {
		rc = mdb_fail(ps, rc, "cannot sweep pads", err, errlen);
		goto out_abort_txn;
	}
	if (n == 0) {
		txn_abort(ps, txn);
		return 0;
	}
	rc = txn_commit(ps, txn, err, errlen);
	if (rc)
		return rc;
	if (deleted)
		*deleted = n;
	return 0;

out_abort_txn:
	txn_abort(ps, txn);
	return rc;
}

int padstore_delete(struct padstore *ps, const char *pad, char *err,
                    size_t errlen)
{
	MDB_txn *txn;
	size_t nrec;
	int rc;

	if ((rc = check_id(pad, err, errlen)) ||
	    (rc = txn_begin(ps, 0, &txn, err, errlen)))
		return rc;
	rc = del_pad(txn, ps, pad, &nrec);
	if (rc) {
		rc = mdb_fail(ps, rc, "cannot delete pad", err, errlen);
		txn_abort(ps, txn);
		return rc;
	}
	if (nrec == 0) {
		txn_abort(ps, txn);
		seterr(err, errlen, "no pad %s", pad);
		return -ENOENT;
	}
	return txn_commit(ps, txn, err, errlen);
}

int padstore_stats(struct padstore *ps, size_t *pads, size_t *map_used,
                   size_t *map_size)
{
	MDB_envinfo info;
	MDB_stat st, est;
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(ps, MDB_RDONLY, &txn, NULL, 0)))
		return rc;
	if ((rc = mdb_stat(txn, ps->meta, &st)) ||
	    (rc = mdb_env_stat(ps->env, &est)) ||
	    (rc = mdb_env_info(ps->env, &info))) {
		rc = mdb_fail(ps, rc, "", NULL, 0);
		txn_abort(ps, txn);
		return rc;
	}
	txn_abort(ps, txn);
	if (pads)
		*pads = st.ms_entries;
	if (map_used)
		*map_used = (info.me_last_pgno + 1) * (size_t)est.ms_psize;
	if (map_size)
		*map_size = info.me_mapsize;
	return 0;
}
