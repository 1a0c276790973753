/*
 * ot.c - CodeMirror 6 change sets (see ot.h).
 *
 * map and compose are line-for-line ports of mapSet and composeSets in
 * @codemirror/state (src/change.ts), including addSection's merging rules,
 * so that the sections we make, and so our JSON, are the ones CodeMirror
 * makes.  Keep them that way: tests/ot/vectors.json compares the results.
 *
 * A set is an array of sections plus one buffer holding all inserted text,
 * each inserting section owning a contiguous run of it.  Builders only ever
 * add text to the last section, so the last section's text is always at
 * the end of the buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ot.h"

#include "jsonstrict.h"
#include "utf8.h"

#define INS_KEEP (-1)
#define INS_DONE (-2)

struct ot_sec {
	size_t len;  /* units of the old document */
	int64_t ins; /* INS_KEEP, or units inserted in their place */
	size_t toff; /* inserted text: text[toff .. toff + tbytes) */
	size_t tbytes;
};

struct ot_changes {
	struct ot_sec *sec;
	size_t nsec;
	char *text;
	size_t text_bytes;
	size_t len, new_len;
};

/* ------------------------------------------------------------- helpers */

static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !msglen)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

const char *ot_err_code(enum ot_err e)
{
	switch (e) {
	case OT_OK:
		return "ok";
	case OT_EMALFORMED:
		return "invalid_changes";
	case OT_ELENGTH:
		return "length_mismatch";
	case OT_ESURROGATE:
		return "split_surrogate";
	case OT_EUTF8:
		return "invalid_utf8";
	case OT_ETOOBIG:
		return "too_large";
	case OT_ENOMEM:
		return "no_memory";
	}
	return "invalid_changes";
}

ssize_t ot_utf16_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t units = 0;

	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq_len(p + i, n - i);
		if (!k)
			return -1;
		units += k == 4 ? 2 : 1;
		i += k;
	}
	return (ssize_t)units;
}

/* Byte length of the character whose lead byte is c.  Used on text that
   was validated when it came in, so no checks beyond staying in bounds. */
static size_t lead_len(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/*
 * Move *bp forward over `units` UTF-16 units of s (n bytes).  Returns 0,
 * -ERANGE when that would stop inside a 4-byte sequence (half a surrogate
 * pair) or -ENODATA when s ends first.
 */
static int skip_units(const char *s, size_t n, size_t *bp, size_t units)
{
	size_t b = *bp;

	while (units) {
		size_t k;
		if (b >= n)
			return -ENODATA;
		k = lead_len((unsigned char)s[b]);
		if (k > n - b)
			k = n - b;
		if (k == 4) {
			if (units < 2)
				return -ERANGE;
			units -= 2;
		} else {
			units--;
		}
		b += k;
	}
	*bp = b;
	return 0;
}

/* ------------------------------------------------------------ building */

struct builder {
	struct ot_sec *sec;
	size_t n, cap;
	char *text;
	size_t tlen, tcap;
	bool nomem;
};

static void b_push(struct builder *b, size_t len, int64_t ins)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct ot_sec *p = realloc(b->sec, cap * sizeof(*p));
		if (!p) {
			b->nomem = true;
			return;
		}
		b->sec = p;
		b->cap = cap;
	}
	b->sec[b->n++] = (struct ot_sec){
	        .len = len, .ins = ins, .toff = b->tlen, .tbytes = 0};
}

/* CodeMirror's addSection: merge with the last section where it can. */
static void add_section(struct builder *b, size_t len, int64_t ins,
                        bool force_join)
{
	struct ot_sec *last = b->n ? &b->sec[b->n - 1] : NULL;

	if (len == 0 && ins <= 0)
		return;
	if (last && ins <= 0 && ins == last->ins) {
		last->len += len;
	} else if (last && len == 0 && last->len == 0) {
		last->ins += ins;
	} else if (last && force_join) {
		last->len += len;
		last->ins += ins;
	} else {
		b_push(b, len, ins);
	}
}

/* CodeMirror's addInsert: the text belongs to the last section. */
static void add_insert(struct builder *b, const char *s, size_t n)
{
	if (!n || !b->n || b->nomem)
		return;
	if (n > b->tcap - b->tlen) {
		size_t cap = b->tcap ? b->tcap : 64;
		char *p;
		while (cap - b->tlen < n)
			cap *= 2;
		p = realloc(b->text, cap);
		if (!p) {
			b->nomem = true;
			return;
		}
		b->text = p;
		b->tcap = cap;
	}
	memcpy(b->text + b->tlen, s, n);
	b->tlen += n;
	b->sec[b->n - 1].tbytes += n;
}

static void b_fini(struct builder *b)
{
	free(b->sec);
	free(b->text);
}

/* Turn the builder into a set (the builder is emptied either way). */
static struct ot_changes *b_finish(struct builder *b)
{
	struct ot_changes *cs;

	if (b->nomem)
		goto out_free;
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		goto out_free;
	cs->sec = b->sec;
	cs->nsec = b->n;
	cs->text = b->text;
	cs->text_bytes = b->tlen;
	for (size_t i = 0; i < cs->nsec; i++) {
		cs->len += cs->sec[i].len;
		cs->new_len += cs->sec[i].ins < 0 ? cs->sec[i].len
		                                  : (size_t)cs->sec[i].ins;
	}
	return cs;
out_free:
	b_fini(b);
	return NULL;
}

/* ------------------------------------------------------------- basics */

void ot_changes_free(struct ot_changes *cs)
{
	if (!cs)
		return;
	free(cs->sec);
	free(cs->text);
	free(cs);
}

struct ot_changes *ot_changes_dup(const struct ot_changes *cs)
{
	struct ot_changes *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	*c = *cs;
	c->sec = malloc((cs->nsec ? cs->nsec : 1) * sizeof(*c->sec));
	c->text = malloc(cs->text_bytes ? cs->text_bytes : 1);
	if (!c->sec || !c->text) {
		free(c->sec);
		free(c->text);
		free(c);
		return NULL;
	}
	if (cs->nsec)
		memcpy(c->sec, cs->sec, cs->nsec * sizeof(*c->sec));
	if (cs->text_bytes)
		memcpy(c->text, cs->text, cs->text_bytes);
	return c;
}

size_t ot_changes_len(const struct ot_changes *cs)
{
	return cs->len;
}

size_t ot_changes_new_len(const struct ot_changes *cs)
{
	return cs->new_len;
}

size_t ot_changes_sections(const struct ot_changes *cs)
{
	return cs->nsec;
}

bool ot_changes_empty(const struct ot_changes *cs)
{
	return cs->nsec == 0 || (cs->nsec == 1 && cs->sec[0].ins < 0);
}

/* ------------------------------------------------------------- parsing */

/* Read the length at changes[i] (or changes[i][0]) into *out. */
static int get_len(struct json_object *v, size_t *out, enum ot_err *err,
                   char *msg, size_t msglen, const char *where)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int)) {
		*err = OT_EMALFORMED;
		set_msg(msg, msglen, "%s: expected a non-negative integer",
		        where);
		return -1;
	}
	x = json_object_get_int64(v);
	if (x < 0 || (uint64_t)x > OT_MAX_UNITS) {
		*err = OT_EMALFORMED;
		set_msg(msg, msglen, "%s: length %s is out of range (0 to %zu)",
		        where, json_object_to_json_string(v), OT_MAX_UNITS);
		return -1;
	}
	*out = (size_t)x;
	return 0;
}

struct ot_changes *ot_changes_from_json(struct json_object *j,
                                        const struct ot_limits *lim,
                                        enum ot_err *err, char *msg,
                                        size_t msglen)
{
	struct builder b = {0};
	enum ot_err dummy;
	size_t n, total = 0, total_new = 0;
	char where[64];

	if (!err)
		err = &dummy;
	*err = OT_OK;
	if (!json_object_is_type(j, json_type_array)) {
		*err = OT_EMALFORMED;
		set_msg(msg, msglen, "changes: expected an array");
		return NULL;
	}
	n = json_object_array_length(j);
	if (lim && lim->max_sections && n > lim->max_sections) {
		*err = OT_ETOOBIG;
		set_msg(msg, msglen,
		        "changes have %zu sections, more than the %zu allowed",
		        n, lim->max_sections);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(j, i);
		size_t len, m, units = 0;

		snprintf(where, sizeof(where), "changes[%zu]", i);
		if (json_object_is_type(v, json_type_int)) {
			if (get_len(v, &len, err, msg, msglen, where))
				goto out_fail;
			b_push(&b, len, INS_KEEP);
		} else if (json_object_is_type(v, json_type_array)) {
			m = json_object_array_length(v);
			if (m == 0) {
				*err = OT_EMALFORMED;
				set_msg(msg, msglen,
				        "%s: expected [length, lines...], got []",
				        where);
				goto out_fail;
			}
			snprintf(where, sizeof(where), "changes[%zu][0]", i);
			if (get_len(json_object_array_get_idx(v, 0), &len, err,
			            msg, msglen, where))
				goto out_fail;
			b_push(&b, len, 0);
			for (size_t k = 1; k < m; k++) {
				struct json_object *l =
				        json_object_array_get_idx(v, k);
				const char *s;
				size_t sn;
				ssize_t u;

				if (!json_object_is_type(l, json_type_string)) {
					*err = OT_EMALFORMED;
					set_msg(msg, msglen,
					        "changes[%zu][%zu]: expected a string",
					        i, k);
					goto out_fail;
				}
				s = json_object_get_string(l);
				sn = (size_t)json_object_get_string_len(l);
				if (memchr(s, '\n', sn) ||
				    memchr(s, '\r', sn)) {
					*err = OT_EMALFORMED;
					set_msg(msg, msglen,
					        "changes[%zu][%zu]: an inserted line holds a line break",
					        i, k);
					goto out_fail;
				}
				u = ot_utf16_len(s, sn);
				if (u < 0) {
					*err = OT_EUTF8;
					set_msg(msg, msglen,
					        "changes[%zu][%zu]: inserted text is not valid utf-8",
					        i, k);
					goto out_fail;
				}
				if (k > 1) {
					add_insert(&b, "\n", 1);
					units++;
				}
				add_insert(&b, s, sn);
				units += (size_t)u;
				if (lim && lim->max_insert_bytes &&
				    b.tlen > lim->max_insert_bytes) {
					size_t all = b.tlen;
					/* count the rest for the message */
					for (size_t r = k + 1; r < m; r++)
						all += 1 +
						       (size_t)json_object_get_string_len(
						               json_object_array_get_idx(
						                       v, r));
					for (size_t q = i + 1; q < n; q++) {
						struct json_object *w =
						        json_object_array_get_idx(
						                j, q);
						size_t wm;
						if (!json_object_is_type(
						            w, json_type_array))
							continue;
						wm = json_object_array_length(
						        w);
						for (size_t r = 1; r < wm; r++)
							all += (r > 1) +
							       (size_t)json_object_get_string_len(
							               json_object_array_get_idx(
							                       w,
							                       r));
					}
					*err = OT_ETOOBIG;
					set_msg(msg, msglen,
					        "inserted text is %zu bytes, more than the %zu allowed",
					        all, lim->max_insert_bytes);
					goto out_fail;
				}
				if (units > OT_MAX_UNITS)
					break; /* caught below */
			}
			if (!b.nomem)
				b.sec[b.n - 1].ins = (int64_t)units;
		} else {
			*err = OT_EMALFORMED;
			set_msg(msg, msglen,
			        "%s: expected a number or an array", where);
			goto out_fail;
		}
		if (b.nomem)
			break;
		total += len;
		total_new += b.sec[b.n - 1].ins < 0
		                     ? len
		                     : (size_t)b.sec[b.n - 1].ins;
		if (total > OT_MAX_UNITS || total_new > OT_MAX_UNITS) {
			*err = OT_ETOOBIG;
			set_msg(msg, msglen,
			        "changes cover more than %zu units",
			        OT_MAX_UNITS);
			goto out_fail;
		}
	}
	if (b.nomem) {
		*err = OT_ENOMEM;
		set_msg(msg, msglen, "out of memory");
		goto out_fail;
	}
	{
		struct ot_changes *cs = b_finish(&b);
		if (!cs) {
			*err = OT_ENOMEM;
			set_msg(msg, msglen, "out of memory");
		}
		return cs;
	}
out_fail:
	b_fini(&b);
	return NULL;
}

struct ot_changes *ot_changes_parse(const char *json, size_t len,
                                    const struct ot_limits *lim,
                                    enum ot_err *err, char *msg, size_t msglen)
{
	struct json_tokener *tok;
	struct json_object *j;
	struct ot_changes *cs;
	enum ot_err dummy;
	size_t used;

	if (!err)
		err = &dummy;
	if (len > INT32_MAX) {
		*err = OT_ETOOBIG;
		set_msg(msg, msglen, "changes are %zu bytes of json", len);
		return NULL;
	}
	tok = json_tokener_new_ex(16);
	if (!tok) {
		*err = OT_ENOMEM;
		set_msg(msg, msglen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	j = json_tokener_parse_ex(tok, json, (int)len);
	used = json_tokener_get_parse_end(tok);
	if (!j || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error te = json_tokener_get_error(tok);
		*err = OT_EMALFORMED;
		set_msg(msg, msglen, "changes are not valid json: %s",
		        te == json_tokener_continue
		                ? "unexpected end of text"
		                : json_tokener_error_desc(te));
		json_object_put(j);
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	for (; used < len; used++) {
		if (!strchr(" \t\r\n", json[used]) || !json[used]) {
			*err = OT_EMALFORMED;
			set_msg(msg, msglen,
			        "changes are not valid json: text after the value");
			json_object_put(j);
			return NULL;
		}
	}
	if (json_has_lone_surrogate(json, len)) {
		*err = OT_EUTF8;
		set_msg(msg, msglen,
		        "inserted text holds an escaped lone surrogate");
		json_object_put(j);
		return NULL;
	}
	cs = ot_changes_from_json(j, lim, err, msg, msglen);
	json_object_put(j);
	return cs;
}

/* ------------------------------------------------------------ to json */

struct json_object *ot_changes_to_json(const struct ot_changes *cs)
{
	struct json_object *arr = json_object_new_array_ext((int)cs->nsec);

	if (!arr)
		return NULL;
	for (size_t i = 0; i < cs->nsec; i++) {
		const struct ot_sec *s = &cs->sec[i];
		struct json_object *v, *part;

		if (s->ins < 0) {
			v = json_object_new_int64((int64_t)s->len);
		} else {
			v = json_object_new_array();
			if (!v)
				goto out_put;
			part = json_object_new_int64((int64_t)s->len);
			/* each part belongs to v once added */
			if (!part || json_object_array_add(v, part)) {
				json_object_put(part);
				json_object_put(v);
				goto out_put;
			}
			if (s->ins > 0) {
				const char *t = cs->text + s->toff;
				const char *end = t + s->tbytes;
				for (;;) {
					const char *nl = memchr(
					        t, '\n', (size_t)(end - t));
					const char *e = nl ? nl : end;
					part = json_object_new_string_len(
					        t, (int)(e - t));
					if (!part ||
					    json_object_array_add(v, part)) {
						json_object_put(part);
						json_object_put(v);
						goto out_put;
					}
					if (!nl)
						break;
					t = nl + 1;
				}
			}
		}
		/* v belongs to arr once added */
		if (!v || json_object_array_add(arr, v)) {
			json_object_put(v);
			goto out_put;
		}
	}
	return arr;
out_put:
	json_object_put(arr);
	return NULL;
}

/* --------------------------------------------------------------- apply */

enum ot_err ot_apply(const struct ot_changes *cs, const char *doc,
                     size_t doc_bytes, size_t doc_len16,
                     const struct ot_limits *lim, char **out, size_t *out_bytes,
                     size_t *out_len16, char *msg, size_t msglen)
{
	size_t bp = 0, op = 0, pos = 0;
	char *buf;
	int r;

	*out = NULL;
	if (cs->len != doc_len16) {
		set_msg(msg, msglen,
		        "changes cover %zu units, the document has %zu",
		        cs->len, doc_len16);
		return OT_ELENGTH;
	}
	if (doc_bytes > SIZE_MAX - cs->text_bytes - 1)
		goto out_nomem;
	buf = malloc(doc_bytes + cs->text_bytes + 1);
	if (!buf)
		goto out_nomem;
	for (size_t i = 0; i < cs->nsec; i++) {
		const struct ot_sec *s = &cs->sec[i];
		size_t start = bp;

		r = skip_units(doc, doc_bytes, &bp, s->len);
		if (r == -ERANGE) {
			set_msg(msg, msglen,
			        "changes[%zu] ends inside a surrogate pair at %zu",
			        i, pos + s->len);
			free(buf);
			return OT_ESURROGATE;
		}
		if (r) {
			set_msg(msg, msglen,
			        "the document is shorter than its %zu units",
			        doc_len16);
			free(buf);
			return OT_ELENGTH;
		}
		pos += s->len;
		if (s->ins < 0) {
			if (bp > start)
				memcpy(buf + op, doc + start, bp - start);
			op += bp - start;
		} else {
			if (s->tbytes)
				memcpy(buf + op, cs->text + s->toff, s->tbytes);
			op += s->tbytes;
		}
	}
	if (bp != doc_bytes) {
		set_msg(msg, msglen,
		        "the document is longer than its %zu units", doc_len16);
		free(buf);
		return OT_ELENGTH;
	}
	if (lim && lim->max_doc_bytes && op > lim->max_doc_bytes) {
		set_msg(msg, msglen, "document would exceed %zu KiB",
		        lim->max_doc_bytes / 1024);
		free(buf);
		return OT_ETOOBIG;
	}
	buf[op] = '\0';
	*out = buf;
	if (out_bytes)
		*out_bytes = op;
	if (out_len16)
		*out_len16 = cs->new_len;
	return OT_OK;
out_nomem:
	set_msg(msg, msglen, "out of memory");
	return OT_ENOMEM;
}

/* ------------------------------------------------------------- mapping */

size_t ot_map_pos(const struct ot_changes *cs, size_t pos, int assoc)
{
	size_t pos_a = 0, pos_b = 0;

	for (size_t i = 0; i < cs->nsec; i++) {
		size_t len = cs->sec[i].len, end_a = pos_a + len;
		int64_t ins = cs->sec[i].ins;

		if (ins < 0) {
			if (end_a > pos)
				return pos_b + (pos - pos_a);
			pos_b += len;
		} else {
			if (end_a > pos || (end_a == pos && assoc < 0 && !len))
				return pos == pos_a || assoc < 0
				               ? pos_b
				               : pos_b + (size_t)ins;
			pos_b += (size_t)ins;
		}
		pos_a = end_a;
	}
	return pos_b;
}

/* CodeMirror's SectionIter, with the byte offset of `off` in the text of
   an inserting section (for textBit) kept alongside. */
struct iter {
	const struct ot_changes *set;
	size_t i; /* sections read so far */
	size_t len;
	int64_t ins;
	size_t off, boff;
};

static void it_next(struct iter *it)
{
	if (it->i < it->set->nsec) {
		it->len = it->set->sec[it->i].len;
		it->ins = it->set->sec[it->i].ins;
		it->i++;
	} else {
		it->len = 0;
		it->ins = INS_DONE;
	}
	it->off = 0;
	it->boff = 0;
}

static void it_init(struct iter *it, const struct ot_changes *set)
{
	it->set = set;
	it->i = 0;
	it_next(it);
}

static bool it_done(const struct iter *it)
{
	return it->ins == INS_DONE;
}

static size_t it_len2(const struct iter *it)
{
	return it->ins < 0 ? it->len : (size_t)it->ins;
}

/* The whole inserted text of the current section. */
static const char *it_text(const struct iter *it, size_t *n)
{
	const struct ot_sec *s;

	if (it_done(it)) {
		*n = 0;
		return "";
	}
	s = &it->set->sec[it->i - 1];
	*n = s->tbytes;
	/* a set with no inserted text may have no buffer: NULL + 0 is
	   undefined */
	return it->set->text ? it->set->text + s->toff : "";
}

/* textBit(len): len units of the inserted text from off.  -ERANGE when
   that would cut a surrogate pair. */
static int it_text_bit(const struct iter *it, size_t len, const char **p,
                       size_t *n)
{
	size_t tn, b;
	const char *t = it_text(it, &tn);

	b = it->boff;
	if (skip_units(t, tn, &b, len))
		return -ERANGE;
	*p = t + it->boff;
	*n = b - it->boff;
	return 0;
}

static void it_forward(struct iter *it, size_t len)
{
	if (len == it->len) {
		it_next(it);
	} else {
		it->len -= len;
		it->off += len;
	}
}

static int it_forward2(struct iter *it, size_t len)
{
	size_t tn;
	const char *t;

	if (it->ins == INS_KEEP) {
		it_forward(it, len);
	} else if (len == (size_t)it->ins) {
		it_next(it);
	} else {
		t = it_text(it, &tn);
		if (skip_units(t, tn, &it->boff, len))
			return -ERANGE;
		it->ins -= (int64_t)len;
		it->off += len;
	}
	return 0;
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* mapSet(setA, setB, before, true) */
static struct ot_changes *map_set(const struct ot_changes *sa,
                                  const struct ot_changes *sb, bool before)
{
	struct builder out = {0};
	struct iter a, b;
	size_t inserted = SIZE_MAX; /* JS -1: no section of A yet */
	const char *t;
	size_t tn;

	it_init(&a, sa);
	it_init(&b, sb);
#define INSERTED_LT(i) (inserted == SIZE_MAX || inserted < (i))
	for (;;) {
		if ((it_done(&a) && b.len) || (it_done(&b) && a.len)) {
			goto out_fail;
		} else if (a.ins == INS_KEEP && b.ins == INS_KEEP) {
			size_t len = min_sz(a.len, b.len);
			add_section(&out, len, INS_KEEP, false);
			it_forward(&a, len);
			it_forward(&b, len);
		} else if (b.ins >= 0 &&
		           (a.ins < 0 || inserted == a.i ||
		            (a.off == 0 &&
		             (b.len < a.len || (b.len == a.len && !before))))) {
			size_t len = b.len;
			add_section(&out, (size_t)b.ins, INS_KEEP, false);
			while (len) {
				size_t piece = min_sz(a.len, len);
				if (a.ins >= 0 && INSERTED_LT(a.i) &&
				    a.len <= piece) {
					add_section(&out, 0, a.ins, false);
					t = it_text(&a, &tn);
					add_insert(&out, t, tn);
					inserted = a.i;
				}
				if (it_done(&a) && piece == 0)
					goto out_fail; /* JS would loop */
				it_forward(&a, piece);
				len -= piece;
			}
			it_next(&b);
		} else if (a.ins >= 0) {
			size_t len = 0, left = a.len;
			while (left) {
				if (b.ins == INS_KEEP) {
					size_t piece = min_sz(left, b.len);
					len += piece;
					left -= piece;
					it_forward(&b, piece);
				} else if (b.ins == 0 && b.len < left) {
					left -= b.len;
					it_next(&b);
				} else {
					break;
				}
			}
			add_section(&out, len, INSERTED_LT(a.i) ? a.ins : 0,
			            false);
			if (INSERTED_LT(a.i)) {
				t = it_text(&a, &tn);
				add_insert(&out, t, tn);
			}
			inserted = a.i;
			it_forward(&a, a.len - left);
		} else if (it_done(&a) && it_done(&b)) {
			return b_finish(&out);
		} else {
			goto out_fail;
		}
		if (out.nomem)
			goto out_fail;
	}
#undef INSERTED_LT
out_fail:
	b_fini(&out);
	return NULL;
}

/* composeSets(setA, setB, true) */
static struct ot_changes *compose_sets(const struct ot_changes *sa,
                                       const struct ot_changes *sb)
{
	struct builder out = {0};
	struct iter a, b;
	bool open = false;
	const char *t;
	size_t tn;

	it_init(&a, sa);
	it_init(&b, sb);
	for (;;) {
		if (it_done(&a) && it_done(&b)) {
			return b_finish(&out);
		} else if (a.ins == 0) {
			add_section(&out, a.len, 0, open);
			it_next(&a);
		} else if (b.len == 0 && !it_done(&b)) {
			add_section(&out, 0, b.ins, open);
			t = it_text(&b, &tn);
			add_insert(&out, t, tn);
			it_next(&b);
		} else if (it_done(&a) || it_done(&b)) {
			goto out_fail;
		} else {
			size_t len = min_sz(it_len2(&a), b.len);
			size_t before = out.n;
			if (a.ins == INS_KEEP) {
				int64_t ins_b = b.ins == INS_KEEP ? INS_KEEP
				                : b.off           ? 0
				                                  : b.ins;
				add_section(&out, len, ins_b, open);
				if (ins_b) {
					t = it_text(&b, &tn);
					add_insert(&out, t, tn);
				}
			} else if (b.ins == INS_KEEP) {
				add_section(&out, a.off ? 0 : a.len,
				            (int64_t)len, open);
				if (it_text_bit(&a, len, &t, &tn))
					goto out_fail;
				add_insert(&out, t, tn);
			} else {
				add_section(&out, a.off ? 0 : a.len,
				            b.off ? 0 : b.ins, open);
				if (!b.off) {
					t = it_text(&b, &tn);
					add_insert(&out, t, tn);
				}
			}
			open = (a.ins > (int64_t)len ||
			        (b.ins >= 0 && b.len > len)) &&
			       (open || out.n > before);
			if (it_forward2(&a, len))
				goto out_fail;
			it_forward(&b, len);
		}
		if (out.nomem)
			goto out_fail;
	}
out_fail:
	b_fini(&out);
	return NULL;
}

struct ot_changes *ot_changes_map(const struct ot_changes *a,
                                  const struct ot_changes *b, bool before)
{
	if (a->len != b->len)
		return NULL;
	if (ot_changes_empty(b))
		return ot_changes_dup(a);
	return map_set(a, b, before);
}

struct ot_changes *ot_changes_compose(const struct ot_changes *a,
                                      const struct ot_changes *b)
{
	if (a->new_len != b->len)
		return NULL;
	if (ot_changes_empty(a))
		return ot_changes_dup(b);
	if (ot_changes_empty(b))
		return ot_changes_dup(a);
	return compose_sets(a, b);
}

/* ------------------------------------------------------------ documents */

char *ot_doc_normalize(const char *s, size_t n, size_t *out_bytes)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (out_bytes)
		*out_bytes = o;
	return out;
}
