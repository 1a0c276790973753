/*
 * libFuzzer target: common/ot.
 *
 * Input: a document, a NUL byte, then change set JSON (no NUL: all JSON,
 * empty document).  Parses, prints and re-parses, applies, maps positions,
 * maps and composes the set with itself where the lengths allow.  Must
 * never crash or leak; aborts when a printed set does not parse back to
 * the same JSON or an applied document is not what ot_apply says it is.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonstrict.h"
#include "ot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_apply(const struct ot_changes *cs, const char *doc,
                      size_t bytes, size_t len16, bool valid)
{
	struct ot_limits lim = {.max_doc_bytes = 1 << 16};
	char *out, msg[128];
	size_t ob, o16;

	if (ot_apply(cs, doc, bytes, len16, &lim, &out, &ob, &o16, msg,
	             sizeof(msg)) != OT_OK)
		return;
	if (valid && (ot_utf16_len(out, ob) != (ssize_t)o16 || out[ob]))
		abort();
	if (o16 != ot_changes_new_len(cs))
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ot_limits lim = {.max_sections = 1000,
	                        .max_insert_bytes = 1 << 16};
	const char *p = (const char *)data, *json = p;
	const char *nul = memchr(p, '\0', size);
	size_t dbytes = 0, jlen = size, len16;
	struct ot_changes *cs, *again, *m1, *m2, *c;
	struct json_object *j;
	enum ot_err err;
	char msg[128], *norm;
	ssize_t dl;
	bool valid;

	if (nul) {
		dbytes = (size_t)(nul - p);
		json = nul + 1;
		jlen = size - dbytes - 1;
	}
	norm = ot_doc_normalize(p, dbytes, NULL);
	free(norm);
	json_has_lone_surrogate(json, jlen);
	cs = ot_changes_parse(json, jlen, &lim, &err, msg, sizeof(msg));
	if (!cs)
		return 0;

	j = ot_changes_to_json(cs);
	if (j) {
		const char *s = json_object_to_json_string(j);
		char *first = strdup(s);
		again = ot_changes_parse(s, strlen(s), NULL, &err, msg,
		                         sizeof(msg));
		if (!again)
			abort(); /* what we print we must read back */
		json_object_put(j);
		j = ot_changes_to_json(again);
		if (first && j && strcmp(first, json_object_to_json_string(j)))
			abort();
		free(first);
		ot_changes_free(again);
		json_object_put(j);
	}

	dl = ot_utf16_len(p, dbytes);
	valid = dl >= 0;
	/* An invalid document is given the length the changes want, to
	   exercise the walk over bytes that are not UTF-8. */
	len16 = valid ? (size_t)dl : ot_changes_len(cs);
	try_apply(cs, p, dbytes, len16, valid);

	for (size_t pos = 0; pos <= ot_changes_len(cs) + 1 && pos < 64; pos++)
		if (ot_map_pos(cs, pos, pos & 1 ? 1 : -1) >
		    ot_changes_new_len(cs))
			abort();

	m1 = ot_changes_map(cs, cs, false);
	m2 = ot_changes_map(cs, cs, true);
	if (!m1 || !m2)
		abort(); /* same length: only ENOMEM could fail */
	c = ot_changes_compose(cs, m1);
	if (c) {
		try_apply(c, p, dbytes, len16, valid);
		ot_changes_free(c);
	}
	c = ot_changes_compose(cs, cs);
	if (c) {
		try_apply(c, p, dbytes, len16, valid);
		ot_changes_free(c);
	}
	ot_changes_free(m1);
	ot_changes_free(m2);
	ot_changes_free(cs);
	return 0;
}
