/*
 * libFuzzer target: client messages of the pad protocol (ws/proto), and
 * the changes of every update of a push applied to a small document with
 * an emoji, as the hub does (common/ot).  Must never crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ot.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "héllo 😀\nwörld": 1- to 4-byte sequences and a surrogate pair. */
static const char doc0[] = "h\xc3\xa9llo \xf0\x9f\x98\x80\nw\xc3\xb6rld";

static void apply_push(const char *text, size_t len, json_object *updates)
{
	struct ot_limits lim = {.max_sections = 0,
	                        .max_insert_bytes = 4096,
	                        .max_doc_bytes = 4096};
	size_t n = json_object_array_length(updates);
	char *doc = strdup(doc0);
	size_t bytes = sizeof(doc0) - 1, len16;
	ssize_t l16 = ot_utf16_len(doc0, bytes);

	if (!doc || l16 < 0)
		abort();
	len16 = (size_t)l16;
	for (size_t i = 0; i < n; i++) {
		json_object *u = json_object_array_get_idx(updates, i), *ch;
		enum ot_err err = OT_OK;
		struct ot_changes *cs;
		char msg[256], *out = NULL;
		size_t ob = 0, ol = 0;

		if (!json_object_object_get_ex(u, "changes", &ch))
			abort(); /* proto_parse promised an array */
		cs = ot_changes_from_json(ch, &lim, &err, msg, sizeof(msg));
		if (!cs) {
			if (err == OT_OK)
				abort();
			break;
		}
		err = ot_apply(cs, doc, bytes, len16, &lim, &out, &ob, &ol, msg,
		               sizeof(msg));
		if (err == OT_OK) {
			/* the result is what the changes say it is */
			if (ol != ot_changes_new_len(cs) ||
			    ot_utf16_len(out, ob) != (ssize_t)ol ||
			    out[ob] != 0)
				abort();
			free(doc);
			doc = out;
			bytes = ob;
			len16 = ol;
		} else if (out) {
			abort(); /* nothing on failure */
		}
		ot_changes_free(cs);
		if (err != OT_OK)
			break;
	}
	free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct proto_limits lim = {.max_name = 64,
	                                        .max_updates_per_push = 50};
	const char *text = (const char *)data;
	struct proto_msg m;
	struct proto_error e;

	memset(&e, 0, sizeof(e));
	if (proto_parse(text, size, &lim, &m, &e) < 0) {
		if (!proto_err_name(e.code) || m.root)
			abort();
		if (!memchr(e.message, 0, sizeof(e.message)))
			abort();
		return 0;
	}
	switch (m.type) {
	case PROTO_PUSH:
		if (!m.updates || json_object_array_length(m.updates) == 0 ||
		    json_object_array_length(m.updates) > 50)
			abort();
		apply_push(text, size, m.updates);
		break;
	case PROTO_HELLO:
	case PROTO_PROFILE:
		if (m.name && (strlen(m.name) == 0 || strlen(m.name) > 64))
			abort();
		if (m.color && strlen(m.color) != 4 && strlen(m.color) != 7)
			abort();
		break;
	case PROTO_LANGUAGE:
		if (!m.language || strlen(m.language) == 0 ||
		    strlen(m.language) > PROTO_MAX_LANGUAGE)
			abort();
		break;
	case PROTO_STDIN:
		if (!m.data)
			abort();
		break;
	default:
		break;
	}
	proto_msg_fini(&m);
	return 0;
}
