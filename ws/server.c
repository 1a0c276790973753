/*
 * server.c - the libwebsockets side of runpad-ws.
 *
 * One protocol, one callback switching on reason, as lws's minimal servers
 * do.  Messages are gathered from their fragments up to ws.max_message and
 * handed to the hub whole; writes happen only in SERVER_WRITEABLE, as many
 * queued messages per callback as the socket takes without blocking, from
 * buffers with LWS_PRE of headroom that
 * several connections share.  After each lws_service() the hub ends its
 * turn: commit, then deliver.
 */
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "addr.h"
#include "buf.h"
#include "cap.h"
#include "lmdbutil.h"
#include "log.h"
#include "hub.h"
#include "padstore.h"
#include "ring.h"
#include "sha256.h"
#include "template.h"

_Static_assert(LWS_PRE <= WSMSG_PRE, "WSMSG_PRE must cover LWS_PRE");

struct qent {
	struct qent *next;
	struct wsmsg *msg;
};

struct conn {
	struct hub_conn hc;
	struct lws *wsi;
	struct wss *srv;
	struct qent *q_head, **q_tail;
	size_t q_bytes;
	struct buf rx; /* the message being received, in pieces */
	bool rx_too_big, rx_binary;
	bool closing;
	int close_code;
	bool joined;
	struct buf http_body; /* an HTTP answer too big for one write */
	size_t http_off;
};

struct wss {
	struct lws_context *ctx;
	struct hub *hub;
	struct wsconf *conf;
	struct wsconf *old_conf; /* freed at the next reload */
	struct padstore *store;
	const char *config_path;
	char *const *sets;
	size_t nsets;
	lws_sorted_usec_list_t sul;
	char *unix_path;
	struct addr addr; /* ws.listen, parsed; lws's iface points into it */
};

static volatile sig_atomic_t got_stop, got_reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_reload = 1;
	else
		got_stop = 1;
}

static void log_line(void *srv, const char *line)
{
	(void)srv;
	log_write(line);
}

static void q_free(struct conn *c)
{
	while (c->q_head) {
		struct qent *e = c->q_head;
		c->q_head = e->next;
		wsmsg_unref(e->msg);
		free(e);
	}
	c->q_tail = &c->q_head;
	c->q_bytes = 0;
}

static int op_send(void *srv, struct hub_conn *hc, struct wsmsg *m)
{
	struct wss *s = srv;
	struct conn *c = hc->server;
	struct qent *e;

	if (c->closing)
		return 0;
	e = malloc(sizeof(*e));
	if (!e)
		return 1; /* treated as a slow reader: it gets a snapshot */
	e->next = NULL;
	e->msg = wsmsg_ref(m);
	*c->q_tail = e;
	c->q_tail = &e->next;
	c->q_bytes += m->len;
	lws_callback_on_writable(c->wsi);
	return c->q_bytes > s->conf->max_queue && c->q_head != e;
}

static void op_drop(void *srv, struct hub_conn *hc)
{
	(void)srv;
	q_free(hc->server);
}

static void op_close(void *srv, struct hub_conn *hc, int code,
                     const char *reason)
{
	struct conn *c = hc->server;

	(void)srv;
	(void)reason;
	c->closing = true;
	c->close_code = code;
	lws_callback_on_writable(c->wsi);
}

static void op_wake(void *srv)
{
	struct wss *s = srv;

	lws_cancel_service(s->ctx);
}

static const struct hub_ops ops = {
        .send = op_send,
        .drop = op_drop,
        .close = op_close,
        .wake = op_wake,
        .log = log_line,
};

static int http_reply(struct lws *wsi, int status, const char *body)
{
	unsigned char buf[LWS_PRE + 512], *p = buf + LWS_PRE,
	                                  *end = buf + sizeof(buf);
	size_t n = strlen(body);

	if (lws_add_http_common_headers(wsi, (unsigned)status,
	                                "application/json", n, &p, end) ||
	    lws_finalize_write_http_header(wsi, buf + LWS_PRE, &p, end))
		return -1;
	memcpy(buf + LWS_PRE, body, n);
	if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP_FINAL) < 0)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/*
 * GET /healthz: alive, and how full it is: pads in memory and in the
 * store, connections, runs, and the store's map (when map_used nears
 * map_size, ws.map_size must grow before writes fail), and the store's
 * format.  503 when the store cannot be read.
 */
static int healthz(struct lws *wsi, struct wss *s)
{
	struct hub_stats st;
	size_t stored = 0, used = 0, size = 0;
	char body[400];
	int r;

	hub_stats(s->hub, &st);
	r = padstore_stats(s->store, &stored, &used, &size);
	if (r < 0) {
		snprintf(
		        body, sizeof(body),
		        "{\"status\":\"store_error\",\"message\":\"the pad store cannot be read: %s\"}",
		        strerror(-r));
		return http_reply(wsi, 503, body);
	}
	snprintf(
	        body, sizeof(body),
	        "{\"status\":\"ok\",\"pads_in_memory\":%zu,\"pads_stored\":%zu,"
	        "\"connections\":%zu,\"runs\":%zu,\"map_used\":%zu,"
	        "\"map_size\":%zu,\"format\":%" PRIu32 "}",
	        st.pads, stored, st.connections, st.runs, used, size,
	        padstore_format(s->store)->format);
	return http_reply(wsi, 200, body);
}

/*
 * GET /handoff/<pad>: a peer takes the pad over (handoff.h): 200 and the
 * dump, sent in pieces from HTTP_WRITEABLE; 404 when it is not here.
 * GET /handoff/<pad>/forget?head=N: the peer has it; delete the copy.
 * Not proxied by the nginx snippet, as /healthz.
 */
static int handoff(struct lws *wsi, struct conn *c, struct wss *s,
                   const char *uri)
{
	char pad[PADSTORE_ID_MAX + 2], arg[32], err[400], body[600];
	const char *rest = uri + strlen("/handoff/");
	size_t n = strcspn(rest, "/");
	uint64_t head = 0;
	int r;

	/* for the daemons themselves: never what came through nginx (the
	   snippet proxies only /ws/, and says who it forwards for) */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_X_FORWARDED_FOR) > 0)
		return http_reply(
		        wsi, 403,
		        "{\"error\":{\"code\":\"forbidden\",\"message\":\"for pad daemons only, on their own sockets\"}}");
	if (n == 0 || n > PADSTORE_ID_MAX)
		return http_reply(
		        wsi, 404,
		        "{\"error\":{\"code\":\"not_found\",\"message\":\"no such pad\"}}");
	memcpy(pad, rest, n);
	pad[n] = 0;
	err[0] = 0;
	if (strcmp(rest + n, "/forget") == 0) {
		const char *v = lws_get_urlarg_by_name(wsi, "head=", arg,
		                                       (int)sizeof(arg));
		char *end;
		if (!v)
			return http_reply(
			        wsi, 400,
			        "{\"error\":{\"code\":\"bad_request\",\"message\":\"head=N is needed\"}}");
		head = strtoull(v, &end, 10);
		if (end == v || *end)
			return http_reply(
			        wsi, 400,
			        "{\"error\":{\"code\":\"bad_request\",\"message\":\"head=N is needed\"}}");
		r = hub_handoff_forget(s->hub, pad, head, err, sizeof(err));
		snprintf(
		        body, sizeof(body),
		        r == 0 ? "{\"deleted\":true}"
		               : "{\"error\":{\"code\":\"%s\",\"message\":\"%.400s\"}}",
		        r == -ESTALE  ? "stale"
		        : r == -EPERM ? "not_handed_over"
		                      : "store_error",
		        err);
		return http_reply(wsi,
		                  r == 0                        ? 200
		                  : r == -ESTALE || r == -EPERM ? 409
		                                                : 503,
		                  body);
	}
	if (rest[n])
		return http_reply(
		        wsi, 404,
		        "{\"error\":{\"code\":\"not_found\",\"message\":\"no such path\"}}");
	buf_fini(&c->http_body);
	r = hub_handoff_export(s->hub, pad, &c->http_body, &head, err,
	                       sizeof(err));
	if (r == -ENOENT) {
		buf_fini(&c->http_body);
		return http_reply(
		        wsi, 404,
		        "{\"error\":{\"code\":\"not_found\",\"message\":\"the pad is not here\"}}");
	}
	if (r < 0) {
		buf_fini(&c->http_body);
		log_msg(LOG_ERR, "pad %s: cannot hand it over: %s", pad, err);
		return http_reply(
		        wsi, 503,
		        "{\"error\":{\"code\":\"store_error\",\"message\":\"the pad cannot be read\"}}");
	}
	{
		unsigned char hb[LWS_PRE + 512], *p = hb + LWS_PRE,
		                                 *end = hb + sizeof(hb);
		if (lws_add_http_common_headers(wsi, 200, "application/json",
		                                c->http_body.len, &p, end) ||
		    lws_finalize_write_http_header(wsi, hb + LWS_PRE, &p, end))
			return -1;
	}
	c->http_off = 0;
	lws_callback_on_writable(wsi);
	return 0;
}

/* The X-Runpad-Create-Secret header into dst ("" when absent). */
static void create_secret(struct lws *wsi, char *dst, size_t len)
{
	static const char name[] = "x-runpad-create-secret:";

	dst[0] = 0;
	if (lws_hdr_custom_length(wsi, name, (int)sizeof(name) - 1) <= 0 ||
	    lws_hdr_custom_copy(wsi, dst, (int)len, name,
	                        (int)sizeof(name) - 1) < 0)
		dst[0] = 0;
}

/* True when the request may make pads: ws.create is anyone, or it has
   the secret (hashes compared: the same time for every guess). */
static bool may_create(struct lws *wsi, const struct wss *s)
{
	char got[257];
	uint8_t a[32], b[32];

	if (strcmp(s->conf->create, "anyone") == 0)
		return true;
	create_secret(wsi, got, sizeof(got));
	if (!got[0] || !s->conf->create_secret)
		return false;
	sha256(got, strlen(got), a);
	sha256(s->conf->create_secret, strlen(s->conf->create_secret), b);
	return cap_equal(a, b);
}

static void skipped_template(void *arg, const char *name, int error,
                             const char *msg)
{
	(void)arg;
	(void)name;
	(void)error;
	log_msg(LOG_WARNING, "template left out: %s", msg);
}

/*
 * GET .../ws/new/templates.json: the question templates an owner may
 * start a pad from (names, titles, languages, test counts; never their
 * code, tests or notes).  Behind the creation secret when ws.create is
 * secret, as nginx may guard .../ws/new/ (docs/ops.md).
 */
static int templates(struct lws *wsi, struct conn *c, struct wss *s)
{
	json_object *o, *list = NULL;
	const char *text;
	char err[300];
	unsigned char hb[LWS_PRE + 512], *p = hb + LWS_PRE,
	                                 *end = hb + sizeof(hb);

	if (!may_create(wsi, s))
		return http_reply(
		        wsi, 401,
		        "{\"error\":{\"code\":\"create_forbidden\",\"message\":\"making pads here needs the creation secret\"}}");
	if (tpl_list(s->conf->templates, &list, skipped_template, NULL, err,
	             sizeof(err)) < 0) {
		log_msg(LOG_ERR, "templates in %s: %s", s->conf->templates,
		        err);
		list = json_object_new_array();
	}
	o = json_object_new_object();
	json_object_object_add(o, "templates", list); /* o owns list */
	json_object_object_add(o, "create",
	                       json_object_new_string(s->conf->create));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	buf_fini(&c->http_body);
	if (!text || buf_add(&c->http_body, text, strlen(text)) < 0) {
		json_object_put(o);
		return http_reply(
		        wsi, 503,
		        "{\"error\":{\"code\":\"server_busy\",\"message\":\"out of memory\"}}");
	}
	json_object_put(o);
	if (lws_add_http_common_headers(wsi, 200, "application/json",
	                                c->http_body.len, &p, end) ||
	    lws_finalize_write_http_header(wsi, hb + LWS_PRE, &p, end))
		return -1;
	c->http_off = 0;
	lws_callback_on_writable(wsi);
	return 0;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && strcmp(s + n - k, tail) == 0;
}

/* the next piece of a big answer; the last one ends the transaction */
static int http_more(struct lws *wsi, struct conn *c)
{
	size_t left = c->http_body.len - c->http_off,
	       k = left < 65536 ? left : 65536;
	static unsigned char chunk[LWS_PRE + 65536];

	if (!c->http_body.p)
		return 0;
	memcpy(chunk + LWS_PRE, c->http_body.p + c->http_off, k);
	if (lws_write(wsi, chunk + LWS_PRE, k,
	              k == left ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
	    (int)k)
		return -1;
	c->http_off += k;
	if (c->http_off < c->http_body.len) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	buf_fini(&c->http_body);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int rx_add(struct conn *c, const void *in, size_t len, size_t max)
{
	if (c->rx_too_big)
		return 0;
	if (len > max || c->rx.len > max - len) {
		/* the hub refuses it by its size; nothing of it is kept */
		c->rx_too_big = true;
		buf_fini(&c->rx);
		return 0;
	}
	return buf_add(&c->rx, in, len) < 0 ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
	struct conn *c = user;
	struct wss *s = lws_context_user(lws_get_context(wsi));
	char uri[256];

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (len && strcmp(in, "/healthz") == 0)
			return healthz(wsi, s);
		if (len && c && strncmp(in, "/handoff/", 9) == 0)
			return handoff(wsi, c, s, in);
		if (len && c && ends_with(in, "/ws/new/templates.json"))
			return templates(wsi, c, s);
		return http_reply(
		        wsi, 404,
		        "{\"error\":{\"code\":\"not_found\",\"message\":\"pads are websockets at /ws/<pad-id>\"}}");

	case LWS_CALLBACK_HTTP_WRITEABLE:
		return c ? http_more(wsi, c) : 0;

	case LWS_CALLBACK_CLOSED_HTTP:
		if (c) /* NULL for a connection that never sent a request */
			buf_fini(&c->http_body);
		break;

	case LWS_CALLBACK_ESTABLISHED:
		memset(c, 0, sizeof(*c));
		c->wsi = wsi;
		c->srv = s;
		c->q_tail = &c->q_head;
		c->hc.server = c;
		c->joined = true;
		if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0)
			uri[0] = 0;
		create_secret(wsi, c->hc.create_secret,
		              sizeof(c->hc.create_secret));
		hub_join(s->hub, &c->hc, uri);
		break;

	case LWS_CALLBACK_RECEIVE:
		if (!c->joined)
			break;
		if (lws_is_first_fragment(wsi)) {
			buf_clear(&c->rx);
			c->rx_too_big = false;
			c->rx_binary = lws_frame_is_binary(wsi);
		}
		if (rx_add(c, in, len, s->conf->max_message) < 0)
			return -1;
		if (lws_is_final_fragment(wsi) &&
		    !lws_remaining_packet_payload(wsi)) {
			hub_message(s->hub, &c->hc, c->rx.p ? c->rx.p : "",
			            c->rx.len, c->rx_binary, c->rx_too_big);
			c->rx_too_big = false;
			if (c->rx.cap > 65536)
				buf_fini(&c->rx);
			else
				buf_clear(&c->rx);
		}
		break;

	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!c->joined)
			break;
		/* as many queued messages as the socket takes now: one per
		   callback drains a crowded pad's broadcasts (every join goes
		   to everyone) far slower than they come */
		for (int sent = 0; c->q_head && sent < 64; sent++) {
			struct qent *e = c->q_head;
			if (sent && lws_send_pipe_choked(wsi))
				break;
			c->q_head = e->next;
			if (!c->q_head)
				c->q_tail = &c->q_head;
			c->q_bytes -= e->msg->len;
			if (lws_write(wsi, e->msg->data + WSMSG_PRE,
			              e->msg->len,
			              LWS_WRITE_TEXT) < (int)e->msg->len) {
				wsmsg_unref(e->msg);
				free(e);
				return -1;
			}
			wsmsg_unref(e->msg);
			free(e);
		}
		if (c->q_head) {
			lws_callback_on_writable(wsi);
			break;
		}
		if (c->closing) {
			lws_close_reason(wsi,
			                 (enum lws_close_status)c->close_code,
			                 NULL, 0);
			return -1;
		}
		break;

	case LWS_CALLBACK_CLOSED:
		if (!c->joined)
			break;
		hub_leave(s->hub, &c->hc);
		q_free(c);
		buf_fini(&c->rx);
		c->joined = false;
		break;

	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
        /* rx: a message arrives in pieces of at most 16 KiB (gathered in
         * struct conn); tx: one send() may take 64 KiB */
        {"runpad-pad", callback, sizeof(struct conn), 16384, 0, NULL, 65536},
        {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_tick(lws_sorted_usec_list_t *sul)
{
	struct wss *s = lws_container_of(sul, struct wss, sul);

	lws_sul_schedule(s->ctx, 0, &s->sul, on_tick, 250 * LWS_US_PER_MS);
}

static void lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_msg(level == LLL_ERR ? LOG_ERR : LOG_WARNING, "lws: %.*s", (int)n,
	        line);
}

/*
 * lws reports some failures to listen only in its log and carries on
 * (it retries the listen later): a chown it makes of the socket file that
 * a system call filter refuses is one.  So the socket is tried: 0 when a
 * connection to it is accepted, else -errno.
 */
static int probe_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	close(fd);
	return r;
}

struct wss *wss_new(struct wsconf *conf, const char *config_path,
                    char *const *sets, size_t nsets, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	struct padstore_options po = {0};
	struct wss *s = calloc(1, sizeof(*s));
	char dir[4200], why[96];
	int r;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		wsconf_free(conf);
		return NULL;
	}
	s->conf = conf;
	s->config_path = config_path;
	s->sets = sets;
	s->nsets = nsets;
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);

	/* the state directory itself, as runpad-fcgi does (systemd's
	   StateDirectory= makes it for the packaged daemon) */
	if (mkdir(conf->state_dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", conf->state_dir,
		         strerror(errno));
		goto out_free;
	}
	snprintf(dir, sizeof(dir), "%s/pads", conf->state_dir);
	po.dir = dir;
	po.map_size = (size_t)conf->map_size;
	po.sync_interval_ms = (unsigned)conf->sync_interval_ms;
	r = padstore_open(&po, &s->store, err, errlen);
	if (r < 0)
		goto out_free;
	if (padstore_format(s->store)->origin == LMDB_FORMAT_RAISED)
		log_msg(LOG_NOTICE,
		        "%s: converted from store format %" PRIu32
		        " to %" PRIu32
		        " (pads' links, notes and logs); older runpad-ws releases refuse it now",
		        dir, padstore_format(s->store)->from,
		        padstore_format(s->store)->format);

	s->hub = hub_new(s->conf, s->store, &ops, s);
	if (!s->hub) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}

	memset(&info, 0, sizeof(info));
	info.protocols = protocols;
	info.user = s;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	info.timeout_secs = 20;
	if (addr_parse(conf->listen, &s->addr, why, sizeof(why)) < 0) {
		/* wsconf checked it; a caller that did not is told */
		snprintf(err, errlen, "ws.listen: %s, got '%s'", why,
		         conf->listen);
		goto out_free;
	}
	if (s->addr.kind == ADDR_UNIX) {
		s->unix_path = strdup(s->addr.path);
		if (!s->unix_path) {
			snprintf(err, errlen, "out of memory");
			goto out_free;
		}
		unlink(s->unix_path);
		info.options = LWS_SERVER_OPTION_UNIX_SOCK;
		info.iface = s->unix_path;
		info.port = 0;
	} else {
		if (s->addr.kind == ADDR_INET6)
			info.options = 0;
		info.iface = s->addr.host;
		info.port = s->addr.port;
	}
	s->ctx = lws_create_context(&info);
	if (!s->ctx) {
		snprintf(err, errlen,
		         "cannot listen on %s (see lws: lines above)",
		         conf->listen);
		goto out_free;
	}
	if (s->unix_path && chmod(s->unix_path, 0666) < 0) {
		snprintf(err, errlen, "chmod %s: %s", s->unix_path,
		         strerror(errno));
		goto out_free;
	}
	if (s->unix_path && (r = probe_unix(s->unix_path)) < 0) {
		snprintf(
		        err, errlen,
		        "not listening on %s: connect: %s (see lws: lines above)",
		        conf->listen, strerror(-r));
		goto out_free;
	}
	lws_sul_schedule(s->ctx, 0, &s->sul, on_tick, 250 * LWS_US_PER_MS);
	return s;
out_free:
	wss_free(s);
	return NULL;
}

static void reload(struct wss *s)
{
	char err[512];
	struct wsconf *c = wsconf_load(s->config_path, s->sets, s->nsets, err,
	                               sizeof(err));
	const char *bad;

	if (!c) {
		log_msg(LOG_ERR, "reload refused, keeping the settings: %s",
		        err);
		return;
	}
	bad = wsconf_restart_only_change(s->conf, c);
	if (bad) {
		log_msg(LOG_ERR,
		        "reload refused, keeping the settings: %s changes only at a restart",
		        bad);
		wsconf_free(c);
		return;
	}
	wsconf_free(s->old_conf);
	s->old_conf = s->conf;
	s->conf = c;
	/* may close connections to pads ws.ring now gives elsewhere */
	hub_set_conf(s->hub, c);
	log_msg(LOG_INFO, "settings reloaded%s%s",
	        s->config_path ? " from " : "",
	        s->config_path ? s->config_path : "");
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int wss_run(struct wss *s)
{
	struct sigaction sa;
	struct hub_stats st;
	int64_t deadline;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_msg(LOG_INFO, "listening on %s, pads in %s/pads", s->conf->listen,
	        s->conf->state_dir);
	if (s->conf->owners)
		log_msg(LOG_INFO,
		        "ws.ring has %zu entries; this daemon is %s and refuses the others' pads (4421)",
		        ring_entries(s->conf->owners), s->conf->ring_self);
	while (!got_stop) {
		if (lws_service(s->ctx, 0) < 0)
			break;
		hub_turn_end(s->hub);
		if (got_reload) {
			got_reload = 0;
			reload(s);
		}
	}
	hub_stats(s->hub, &st);
	log_msg(LOG_INFO, "stopping: closing %zu connections (1001 going away)",
	        st.connections);
	hub_shutdown(s->hub);
	deadline = mono_ms() + 2000;
	while (mono_ms() < deadline) {
		hub_stats(s->hub, &st);
		if (!st.connections)
			break;
		lws_service(s->ctx, 0);
		hub_turn_end(s->hub);
	}
	return 0;
}

void wss_free(struct wss *s)
{
	if (!s)
		return;
	if (s->ctx)
		lws_context_destroy(s->ctx);
	hub_free(s->hub);
	padstore_close(s->store);
	if (s->unix_path)
		unlink(s->unix_path);
	free(s->unix_path);
	wsconf_free(s->conf);
	wsconf_free(s->old_conf);
	free(s);
}
