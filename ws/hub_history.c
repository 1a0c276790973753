/*
 * hub_history.c - the updates a stale push is rebased over.
 *
 * A push made at version v is rebased over the updates accepted after v
 * (ws/rebase.h).  Each pad with people in it keeps its last HUB_HIST_KEEP
 * accepted updates in memory, parsed (fewer when they are large: at most
 * about HUB_HIST_BYTES); older ones are read back from the store, up
 * to ws.max_catchup behind the head (the caller checks that).  Entries of
 * the open turn are never dropped, so everything older is committed and
 * the store's read transactions see it; a failed turn drops what it added
 * (hub_hist_drop_after).
 */
#include "hub_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void hub_hist_reset(struct pad *p)
{
	hub_hist_free(p);
	p->hist.first = p->version + 1;
}

void hub_hist_free(struct pad *p)
{
	for (size_t i = 0; i < p->hist.n; i++) {
		free(p->hist.e[i].client);
		ot_changes_free(p->hist.e[i].changes);
	}
	free(p->hist.e);
	p->hist.e = NULL;
	p->hist.n = p->hist.cap = p->hist.bytes = 0;
}

int hub_hist_add(struct pad *p, const char *client, struct ot_changes *cs,
                 size_t bytes)
{
	struct pad_hist *hi = &p->hist;
	char *id;

	if (hi->n == hi->cap) {
		size_t cap = hi->cap ? hi->cap * 2 : 16;
		struct hist_entry *e = realloc(hi->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		hi->e = e;
		hi->cap = cap;
	}
	id = strdup(client);
	if (!id)
		return -ENOMEM;
	hi->e[hi->n].client = id;
	hi->e[hi->n].changes = cs;
	hi->e[hi->n].bytes = bytes + 64;
	hi->bytes += bytes + 64;
	hi->n++;
	return 0;
}

/* Forget entries [0, k). */
static void drop_front(struct pad_hist *hi, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		free(hi->e[i].client);
		ot_changes_free(hi->e[i].changes);
		hi->bytes -= hi->e[i].bytes;
	}
	memmove(hi->e, hi->e + k, (hi->n - k) * sizeof(*hi->e));
	hi->n -= k;
	hi->first += k;
}

void hub_hist_trim(struct pad *p, uint64_t committed)
{
	struct pad_hist *hi = &p->hist;
	size_t k = 0, bytes = hi->bytes, keep;

	/* in steps, so that the move is paid once per HUB_HIST_KEEP adds, or
	   per half of HUB_HIST_BYTES */
	if (hi->n < 2 * HUB_HIST_KEEP && hi->bytes <= HUB_HIST_BYTES)
		return;
	keep = hi->bytes > HUB_HIST_BYTES ? HUB_HIST_BYTES / 2 : SIZE_MAX;
	/* e[i] made version first + i: only what is committed may go */
	while (k < hi->n && hi->first + k <= committed &&
	       (hi->n - k > HUB_HIST_KEEP || bytes > keep)) {
		bytes -= hi->e[k].bytes;
		k++;
	}
	if (k)
		drop_front(hi, k);
}

void hub_hist_drop_after(struct pad *p, uint64_t version)
{
	struct pad_hist *hi = &p->hist;

	while (hi->n && hi->first + hi->n - 1 > version) {
		hi->n--;
		free(hi->e[hi->n].client);
		ot_changes_free(hi->e[hi->n].changes);
		hi->bytes -= hi->e[hi->n].bytes;
	}
	if (!hi->n)
		hi->first = version + 1;
}

void hub_hist_over_free(struct rebase_update *over, size_t owned)
{
	for (size_t i = 0; over && i < owned; i++) {
		free((char *)over[i].client);
		ot_changes_free(over[i].changes);
	}
	free(over);
}

struct stored_ctx {
	struct rebase_update *over;
	size_t n;
	char msg[200];
};

/* one stored update: {"clientID": ..., "changes": [...]} */
static int read_stored(void *arg, uint64_t version, const void *data,
                       size_t len)
{
	struct stored_ctx *s = arg;
	json_object *u = hub_json_from_bytes(data, len), *id, *ch;
	enum ot_err e;

	if (!u || !json_object_object_get_ex(u, "clientID", &id) ||
	    !json_object_object_get_ex(u, "changes", &ch)) {
		snprintf(s->msg, sizeof(s->msg),
		         "stored update %llu does not parse",
		         (unsigned long long)version);
		json_object_put(u);
		return -EBADMSG;
	}
	s->over[s->n].client = strdup(json_object_get_string(id));
	s->over[s->n].changes =
	        ot_changes_from_json(ch, NULL, &e, s->msg, sizeof(s->msg));
	json_object_put(u);
	if (!s->over[s->n].client || !s->over[s->n].changes) {
		free((char *)s->over[s->n].client);
		ot_changes_free(s->over[s->n].changes);
		if (!s->msg[0])
			snprintf(s->msg, sizeof(s->msg), "out of memory");
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

int hub_hist_over(struct hub *h, struct pad *p, uint64_t from,
                  struct rebase_update **over, size_t *n, size_t *owned,
                  char *err, size_t errlen)
{
	struct pad_hist *hi = &p->hist;
	uint64_t stored_to = hi->first - 1; /* the store holds (.., first) */
	size_t total = (size_t)(p->version - from);
	struct stored_ctx s = {
	        .over = calloc(total ? total : 1, sizeof(*s.over))};
	size_t start;

	*over = NULL;
	*n = *owned = 0;
	if (!s.over) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (from < stored_to) {
		int r = padstore_updates(h->store, p->id, from, stored_to,
		                         read_stored, &s, err, errlen);
		if (r < 0) {
			if (s.msg[0])
				snprintf(err, errlen, "%s", s.msg);
			hub_hist_over_free(s.over, s.n);
			return -1;
		}
	}
	/* the rest from memory, borrowed */
	start = from >= stored_to ? (size_t)(from - stored_to) : 0;
	for (size_t i = start; i < hi->n; i++) {
		s.over[s.n].client = hi->e[i].client;
		s.over[s.n].changes = hi->e[i].changes;
		s.n++;
	}
	*owned = from < stored_to ? (size_t)(stored_to - from) : 0;
	*over = s.over;
	*n = s.n;
	return 0;
}
