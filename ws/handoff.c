/*
 * handoff.c - a pad's dump for moving it between daemons, and the HTTP
 * client that fetches it.  See handoff.h.
 */
#include "handoff.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jsonstrict.h"
#include "ot.h"
#include "runner.h"

/* ---------------------------------------------------------------- export */

/* json-c's escaping of one string, appended */
static int add_string(struct buf *out, const char *s, size_t n)
{
	json_object *j = json_object_new_string_len(s, (int)n);
	size_t len;
	const char *t = j ? json_object_to_json_string_length(
	                            j,
	                            JSON_C_TO_STRING_PLAIN |
	                                    JSON_C_TO_STRING_NOSLASHESCAPE,
	                            &len)
	                  : NULL;
	int r = t ? buf_add(out, t, len) : -ENOMEM;

	json_object_put(j);
	return r;
}

struct export_ctx {
	struct buf *out;
	uint64_t n;
	int err;
};

static int add_update(void *arg, uint64_t version, const void *data, size_t len)
{
	struct export_ctx *x = arg;

	(void)version;
	if ((x->n++ && buf_add(x->out, ",", 1) < 0) ||
	    buf_add(x->out, data, len) < 0)
		return x->err = -ENOMEM;
	return 0;
}

static int add_log(void *arg, uint64_t seq, const void *data, size_t len)
{
	return add_update(arg, seq, data, len);
}

/* "snap_version":S,"snapshot":"...","last_edit_ms":T,"updates":[...] of a
   loaded document p (doc's), appended to out. */
static int export_doc(struct padstore *ps, const char *doc,
                      const struct padstore_pad *p, struct buf *out, char *err,
                      size_t errlen)
{
	struct export_ctx x = {.out = out};
	int r;

	r = buf_addf(
	        out,
	        "\"head\":%llu,\"last_edit_ms\":%lld,\"snap_version\":%llu,"
	        "\"snapshot\":",
	        (unsigned long long)p->head, (long long)p->last_edit_ms,
	        (unsigned long long)p->snap_version);
	if (!r)
		r = add_string(out, p->snap_text, p->snap_len);
	if (!r)
		r = buf_add(out, ",\"updates\":[", 12);
	if (!r)
		r = padstore_updates(ps, doc, 0, p->head, add_update, &x, err,
		                     errlen);
	if (!r && x.n != p->head) {
		snprintf(err, errlen, "pad %s has %llu updates for head %llu",
		         doc, (unsigned long long)x.n,
		         (unsigned long long)p->head);
		r = -EBADMSG;
	}
	if (!r)
		r = buf_add(out, "]", 1);
	return r;
}

/* ,"name":[every record of pad's log] */
static int export_log(struct padstore *ps, enum padstore_log log,
                      const char *pad, const char *name, struct buf *out,
                      char *err, size_t errlen)
{
	struct export_ctx x = {.out = out};
	int r = buf_addf(out, ",\"%s\":[", name);

	if (!r)
		r = padstore_log(ps, log, pad, 0, add_log, &x, NULL, NULL, err,
		                 errlen);
	if (!r)
		r = buf_add(out, "]", 1);
	return r;
}

int handoff_export(struct padstore *ps, const char *pad, struct buf *out,
                   uint64_t *head, char *err, size_t errlen)
{
	char notes_id[PADSTORE_DOC_MAX + 1];
	struct padstore_pad p, n = {0};
	int r = padstore_load(ps, pad, &p, err, errlen);

	if (r < 0 || !p.exists) {
		padstore_pad_fini(&p);
		if (r == 0)
			snprintf(err, errlen, "no pad %s here", pad);
		return r < 0 ? r : -ENOENT;
	}
	r = buf_addf(out, "{\"format\":1,\"pad\":\"%s\",\"language\":", pad);
	if (!r)
		r = add_string(out, p.language, strlen(p.language));
	if (!r)
		r = buf_add(out, ",", 1);
	if (!r)
		r = export_doc(ps, pad, &p, out, err, errlen);
	if (!r)
		r = buf_addf(out, ",\"created_ms\":%lld,\"run\":",
		             (long long)p.created_ms);
	if (!r)
		r = p.last_run ? buf_add(out, p.last_run, p.last_run_len)
		               : buf_add(out, "null", 4);
	if (!r)
		r = buf_add(out, ",\"tests\":", 9);
	if (!r)
		r = p.tests ? buf_add(out, p.tests, p.tests_len)
		            : buf_add(out, "null", 4);
	if (!r)
		r = buf_add(out, ",\"access\":", 10);
	if (!r)
		r = p.access ? buf_add(out, p.access, p.access_len)
		             : buf_add(out, "null", 4);
	if (!r)
		r = export_log(ps, PADSTORE_LOG_EVENTS, pad, "events", out, err,
		               errlen);
	if (!r)
		r = export_log(ps, PADSTORE_LOG_RUNS, pad, "runs", out, err,
		               errlen);
	snprintf(notes_id, sizeof(notes_id), "%s" PADSTORE_NOTES_SUFFIX, pad);
	if (!r)
		r = padstore_load(ps, notes_id, &n, err, errlen);
	if (!r)
		r = buf_add(out, ",\"notes\":", 9);
	if (!r && n.exists) {
		r = buf_add(out, "{", 1);
		if (!r)
			r = export_doc(ps, notes_id, &n, out, err, errlen);
		if (!r)
			r = buf_add(out, "}", 1);
	} else if (!r) {
		r = buf_add(out, "null", 4);
	}
	if (!r)
		r = buf_add(out, "}", 1);
	if (r < 0 && !err[0])
		snprintf(err, errlen, "cannot make the dump of pad %s: %s", pad,
		         strerror(-r));
	*head = p.head;
	padstore_pad_fini(&p);
	padstore_pad_fini(&n);
	return r < 0 ? r : 0;
}

/* ---------------------------------------------------------------- import */

static int bad(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "the dump %s", what);
	return -EBADMSG;
}

/* The text after every update of ups, from "" on; at snap_version it must
   be snap.  0 with *text (malloc'd) or -EBADMSG / -ENOMEM with err. */
static int replay(json_object *ups, uint64_t snap_version, const char *snap,
                  size_t snap_len, char **text, size_t *bytes, char *err,
                  size_t errlen)
{
	size_t n = json_object_array_length(ups), len16 = 0;
	char *t = strdup(""), msg[200];

	*bytes = 0;
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i <= n; i++) {
		json_object *u, *id, *ch;
		struct ot_changes *cs;
		enum ot_err e;
		char *next;
		if (i == snap_version &&
		    (*bytes != snap_len || memcmp(t, snap, snap_len))) {
			free(t);
			return bad(err, errlen,
			           "holds a snapshot its updates do not give");
		}
		if (i == n)
			break;
		u = json_object_array_get_idx(ups, i);
		if (!json_object_is_type(u, json_type_object) ||
		    !json_object_object_get_ex(u, "clientID", &id) ||
		    !json_object_is_type(id, json_type_string) ||
		    !json_object_object_get_ex(u, "changes", &ch)) {
			free(t);
			snprintf(
			        err, errlen,
			        "the dump's update %zu is not {clientID, changes}",
			        i + 1);
			return -EBADMSG;
		}
		cs = ot_changes_from_json(ch, NULL, &e, msg, sizeof(msg));
		e = cs ? ot_apply(cs, t, *bytes, len16, NULL, &next, bytes,
		                  &len16, msg, sizeof(msg))
		       : e;
		ot_changes_free(cs);
		free(t);
		if (e != OT_OK) {
			snprintf(err, errlen, "the dump's update %zu: %s",
			         i + 1, msg);
			return e == OT_ENOMEM ? -ENOMEM : -EBADMSG;
		}
		t = next;
	}
	*text = t;
	return 0;
}

/* the fields of a dump, checked; borrowed from root */
struct dump {
	uint64_t head, snap_version;
	const char *language, *snapshot;
	size_t snap_len;
	int64_t last_edit_ms;
	json_object *updates, *run, *tests, *access, *events, *runs;
	json_object *notes; /* {head, snap_version, ...}, or NULL */
};

/* head, snap_version, last_edit_ms, snapshot and updates of a document */
static int doc_fields(json_object *root, struct dump *d, char *err,
                      size_t errlen)
{
	json_object *v;

#define GET(key, type)                                                         \
	(json_object_object_get_ex(root, key, &v) &&                           \
	 json_object_is_type(v, type))
	if (!GET("head", json_type_int) || json_object_get_int64(v) < 0)
		return bad(err, errlen, "has no head");
	d->head = (uint64_t)json_object_get_int64(v);
	if (!GET("snap_version", json_type_int) ||
	    json_object_get_int64(v) < 0 ||
	    (uint64_t)json_object_get_int64(v) > d->head)
		return bad(err, errlen,
		           "has no snapshot version up to its head");
	d->snap_version = (uint64_t)json_object_get_int64(v);
	if (!GET("last_edit_ms", json_type_int) || json_object_get_int64(v) < 0)
		return bad(err, errlen, "has no time of its last edit");
	d->last_edit_ms = json_object_get_int64(v);
	if (!GET("snapshot", json_type_string))
		return bad(err, errlen, "has no snapshot");
	d->snapshot = json_object_get_string(v);
	d->snap_len = (size_t)json_object_get_string_len(v);
	if (!GET("updates", json_type_array) ||
	    json_object_array_length(v) != d->head)
		return bad(err, errlen, "does not hold every update");
	d->updates = v;
#undef GET
	return 0;
}

static int fields(json_object *root, const char *pad, struct dump *d, char *err,
                  size_t errlen)
{
	json_object *v;

#define GET(key, type)                                                         \
	(json_object_object_get_ex(root, key, &v) &&                           \
	 json_object_is_type(v, type))
	if (!GET("format", json_type_int) || json_object_get_int64(v) != 1)
		return bad(err, errlen, "is not of format 1");
	if (!GET("pad", json_type_string) ||
	    strcmp(json_object_get_string(v), pad))
		return bad(err, errlen, "is of another pad");
	if (!GET("language", json_type_string) ||
	    strlen(json_object_get_string(v)) > PADSTORE_LANG_MAX)
		return bad(err, errlen, "has no language");
	d->language = json_object_get_string(v);
	if (doc_fields(root, d, err, errlen) < 0)
		return -EBADMSG;
	d->run = json_object_object_get_ex(root, "run", &v) &&
	                         json_object_is_type(v, json_type_object)
	                 ? v
	                 : NULL;
	d->tests = json_object_object_get_ex(root, "tests", &v) &&
	                           json_object_is_type(v, json_type_array)
	                   ? v
	                   : NULL;
	d->access = json_object_object_get_ex(root, "access", &v) &&
	                            json_object_is_type(v, json_type_object)
	                    ? v
	                    : NULL;
	d->events = json_object_object_get_ex(root, "events", &v) &&
	                            json_object_is_type(v, json_type_array)
	                    ? v
	                    : NULL;
	d->runs = json_object_object_get_ex(root, "runs", &v) &&
	                          json_object_is_type(v, json_type_array)
	                  ? v
	                  : NULL;
	for (size_t i = 0; d->runs && i < json_object_array_length(d->runs);
	     i++) {
		json_object *r = json_object_array_get_idx(d->runs, i), *no;
		if (!json_object_is_type(r, json_type_object) ||
		    !json_object_object_get_ex(r, "run", &no) ||
		    !json_object_is_type(no, json_type_int) ||
		    json_object_get_int64(no) < 1)
			return bad(err, errlen, "holds a run without a number");
	}
	d->notes = json_object_object_get_ex(root, "notes", &v) &&
	                           json_object_is_type(v, json_type_object)
	                   ? v
	                   : NULL;
#undef GET
	return 0;
}

static const char *plain(json_object *j, size_t *len)
{
	return json_object_to_json_string_length(
	        j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	        len);
}

/* a document's updates, snapshot and meta record, into t */
static int store_doc(struct padstore_txn *t, const char *doc,
                     const struct dump *d, const char *text, size_t bytes)
{
	const char *s;
	size_t len;
	int r = 0;

	for (uint64_t i = 0; i < d->head && r == 0; i++) {
		s = plain(json_object_array_get_idx(d->updates, i), &len);
		r = s ? padstore_put_update(t, doc, i + 1, s, len) : -ENOMEM;
	}
	if (!r)
		r = padstore_put_snapshot(t, doc, d->head, text, bytes);
	if (!r)
		r = padstore_put_meta(t, doc, d->head, d->language,
		                      d->last_edit_ms);
	return r;
}

static int store(struct padstore *ps, const char *pad, const struct dump *d,
                 const char *text, size_t bytes, const struct dump *nd,
                 const char *ntext, size_t nbytes, char *err, size_t errlen)
{
	char notes_id[PADSTORE_DOC_MAX + 1];
	struct padstore_txn *t;
	const char *s;
	size_t len;
	int r = padstore_begin(ps, &t, err, errlen);

	if (r < 0)
		return r;
	r = store_doc(t, pad, d, text, bytes);
	snprintf(notes_id, sizeof(notes_id), "%s" PADSTORE_NOTES_SUFFIX, pad);
	if (!r && nd)
		r = store_doc(t, notes_id, nd, ntext, nbytes);
	if (!r && d->access) {
		s = plain(d->access, &len);
		r = s ? padstore_put_access(t, pad, s, len) : -ENOMEM;
	}
	for (size_t i = 0;
	     !r && d->events && i < json_object_array_length(d->events); i++) {
		s = plain(json_object_array_get_idx(d->events, i), &len);
		r = s ? padstore_put_log(t, PADSTORE_LOG_EVENTS, pad, i + 1, s,
		                         len)
		      : -ENOMEM;
	}
	for (size_t i = 0;
	     !r && d->runs && i < json_object_array_length(d->runs); i++) {
		json_object *run = json_object_array_get_idx(d->runs, i), *no;
		json_object_object_get_ex(run, "run", &no);
		s = plain(run, &len);
		r = s ? padstore_put_log(t, PADSTORE_LOG_RUNS, pad,
		                         (uint64_t)json_object_get_int64(no), s,
		                         len)
		      : -ENOMEM;
	}
	if (!r && d->run) {
		s = plain(d->run, &len);
		r = s ? padstore_put_run(t, pad, s, len) : -ENOMEM;
	}
	if (!r && d->tests) {
		s = plain(d->tests, &len);
		r = s ? padstore_put_tests(t, pad, s, len) : -ENOMEM;
	}
	/* a failed put is reported by the commit, which rolls back */
	return padstore_commit(t, err, errlen);
}

int handoff_import(struct padstore *ps, const char *pad, const char *dump,
                   size_t len, uint64_t *head, char *err, size_t errlen)
{
	json_object *root = NULL;
	struct dump d = {0}, nd = {.language = ""};
	char *text = NULL, *ntext = NULL, msg[300];
	size_t bytes, nbytes = 0;
	uint64_t here;
	int r = padstore_head(ps, pad, &here, err, errlen);

	if (r == 0) {
		snprintf(err, errlen, "pad %s is here already", pad);
		return -EEXIST;
	}
	if (r != -ENOENT)
		return r;
	if (json_parse_object(dump, len, 64, "the dump", &root, msg,
	                      sizeof(msg)) != JSON_PARSE_OK) {
		json_object_put(root);
		snprintf(err, errlen, "%s", msg);
		return -EBADMSG;
	}
	r = fields(root, pad, &d, err, errlen);
	if (!r)
		r = replay(d.updates, d.snap_version, d.snapshot, d.snap_len,
		           &text, &bytes, err, errlen);
	if (!r && d.notes)
		r = doc_fields(d.notes, &nd, err, errlen);
	if (!r && d.notes)
		r = replay(nd.updates, nd.snap_version, nd.snapshot,
		           nd.snap_len, &ntext, &nbytes, err, errlen);
	if (!r)
		r = store(ps, pad, &d, text, bytes, d.notes ? &nd : NULL, ntext,
		          nbytes, err, errlen);
	if (!r)
		*head = d.head;
	free(text);
	free(ntext);
	json_object_put(root);
	return r;
}

/* ---------------------------------------------------------------- fetch */

int handoff_peer_url(const char *entry, char *buf, size_t n)
{
	int k;

	if (strncmp(entry, "unix:", 5) == 0)
		k = snprintf(buf, n, "%s:/", entry);
	else if (entry[0] == '/')
		k = snprintf(buf, n, "unix:%s:/", entry);
	else if (entry[0] && !strchr(entry, '/') && strchr(entry, ':'))
		k = snprintf(buf, n, "http://%s/", entry);
	else
		return -EINVAL;
	return k < 0 || (size_t)k >= n ? -EINVAL : 0;
}

int handoff_peers(const char *key, const char *list, char ***v, size_t *n,
                  char *err, size_t errlen)
{
	char *copy = strdup(list), *save = NULL, url[600], **out = NULL;
	size_t k = 0;
	int r = copy ? 0 : -ENOMEM;

	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !r;
	     t = strtok_r(NULL, ",", &save)) {
		char **grown;
		t += strspn(t, " \t");
		t[strcspn(t, " \t")] = 0;
		if (!*t)
			continue;
		if (handoff_peer_url(t, url, sizeof(url)) < 0) {
			snprintf(err, errlen,
			         "%s: '%.200s' is not unix:/path or HOST:PORT",
			         key, t);
			r = -EINVAL;
		} else if (!(grown = realloc(out, (k + 1) * sizeof(*out))) ||
		           !(grown[k] = strdup(t))) {
			out = grown ? grown : out;
			r = -ENOMEM;
		} else {
			out = grown;
			k++;
		}
	}
	free(copy);
	if (r < 0) {
		while (k)
			free(out[--k]);
		free(out);
		out = NULL;
	}
	*v = out;
	*n = k;
	return r;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait for fd to be ready for events until the deadline: 0 or -ETIMEDOUT */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int64_t left = deadline - now_ms();
		int r;
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int connect_to(const struct runner_url *u, int64_t deadline, char *err,
                      size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL, *a;
	int fd = -1, r = -ECONNREFUSED;

	if (u->kind == RUNNER_URL_UNIX) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", u->path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		            0);
		if (fd >= 0 &&
		    (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		     ((errno == EAGAIN || errno == EINPROGRESS) &&
		      wait_fd(fd, POLLOUT, deadline) == 0)))
			return fd;
		r = errno ? -errno : -ETIMEDOUT;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "%s: %s", u->display, strerror(-r));
		return r;
	}
	if (getaddrinfo(u->host, u->port, &hints, &ai) != 0) {
		snprintf(err, errlen, "%s: cannot resolve %s", u->display,
		         u->host);
		return -EHOSTUNREACH;
	}
	for (a = ai; a; a = a->ai_next) {
		int so = 0;
		socklen_t sl = sizeof(so);
		fd = socket(a->ai_family,
		            SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS &&
		     (r = wait_fd(fd, POLLOUT, deadline)) == 0 &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 &&
		     so == 0))
			break;
		r = so ? -so : (r < 0 ? r : -errno);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		snprintf(err, errlen, "%s: %s", u->display, strerror(-r));
	return fd < 0 ? r : fd;
}

/* the status and the body of a whole HTTP/1.1 answer in raw */
static int parse_answer(struct buf *raw, int *status, struct buf *body,
                        char *err, size_t errlen)
{
	const char *end = raw->p ? strstr(raw->p, "\r\n\r\n") : NULL;
	const char *cl;
	unsigned long long want;
	size_t have;

	if (!end || sscanf(raw->p, "HTTP/1.%*[01] %3d", status) != 1) {
		snprintf(err, errlen, "not an HTTP answer");
		return -EPROTO;
	}
	end += 4;
	have = raw->len - (size_t)(end - raw->p);
	cl = strcasestr(raw->p, "\r\ncontent-length:");
	if (cl && cl < end && sscanf(cl + 17, " %llu", &want) == 1 &&
	    want != have) {
		snprintf(err, errlen,
		         "the answer ended after %zu of %llu bytes", have,
		         want);
		return -EPROTO;
	}
	return buf_add(body, end, have);
}

int handoff_get(const char *url, const char *path, int timeout_ms, int *status,
                struct buf *body, char *err, size_t errlen)
{
	struct runner_url *u = NULL;
	struct buf raw = {0};
	int64_t deadline = now_ms() + timeout_ms;
	char req[1024];
	int fd, r, n;

	*status = 0;
	err[0] = 0;
	r = runner_url_parse(url, &u, err, errlen);
	if (r < 0)
		return r;
	fd = connect_to(u, deadline, err, errlen);
	if (fd < 0) {
		runner_url_free(u);
		return fd;
	}
	n = snprintf(req, sizeof(req),
	             "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
	             path, u->host_header);
	buf_limit(&raw, body->bounded ? body->max + 64 * 1024
	                              : HANDOFF_MAX_DUMP + 64 * 1024);
	for (int off = 0; off < n && r == 0;) {
		ssize_t w =
		        send(fd, req + off, (size_t)(n - off), MSG_NOSIGNAL);
		if (w > 0)
			off += (int)w;
		else if (w < 0 && errno == EAGAIN)
			r = wait_fd(fd, POLLOUT, deadline);
		else if (w < 0 && errno != EINTR)
			r = -errno;
	}
	while (r == 0) {
		ssize_t k;
		if ((r = buf_reserve(&raw, 65536)) < 0)
			break;
		k = recv(fd, raw.p + raw.len, 65536, 0);
		if (k > 0) {
			buf_commit(&raw, (size_t)k);
			deadline = now_ms() + timeout_ms;
		} else if (k == 0) {
			break;
		} else if (errno == EAGAIN) {
			r = wait_fd(fd, POLLIN, deadline);
		} else if (errno != EINTR) {
			r = -errno;
		}
	}
	close(fd);
	if (r == 0)
		r = parse_answer(&raw, status, body, err, errlen);
	else if (!err[0] || r == -EFBIG)
		snprintf(err, errlen, "%s: %s", u->display,
		         r == -EFBIG ? "the answer is too large"
		                     : strerror(-r));
	buf_fini(&raw);
	runner_url_free(u);
	return r == -EFBIG ? -E2BIG : r;
}
