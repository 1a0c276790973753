/*
 * libFuzzer target: interview question templates (ws/template), the text
 * of templates/<name>.json.  Must never crash or leak; a refusal says why
 * in valid UTF-8 and leaves nothing behind; what is accepted keeps every
 * promise of template.h and, written back as JSON, is accepted again as
 * the same template.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s, size_t min, size_t max, bool doc)
{
	size_t n;

	if (!s)
		abort();
	n = strlen(s);
	if (n < min || n > max || !utf8_valid(s, n))
		abort();
	if (doc && strchr(s, '\r'))
		abort(); /* line breaks are \n only */
}

static void check(const struct tpl *t)
{
	size_t n;

	if (strcmp(t->name, "fuzz"))
		abort();
	check_string(t->title, 1, TPL_MAX_TITLE, false);
	for (const unsigned char *p = (const unsigned char *)t->title; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
	check_string(t->language, 1, TPL_MAX_LANGUAGE, false);
	if (strspn(t->language, "abcdefghijklmnopqrstuvwxyz0123456789+#._-") !=
	    strlen(t->language))
		abort();
	check_string(t->code, 0, TPL_MAX_CODE, true);
	check_string(t->notes, 0, TPL_MAX_NOTES, true);
	if (!json_object_is_type(t->tests, json_type_array))
		abort();
	n = json_object_array_length(t->tests);
	if (n > TPL_MAX_TESTS)
		abort();
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(t->tests, i), *v;

		if (!json_object_is_type(x, json_type_object) ||
		    !json_object_object_get_ex(x, "stdin", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    !json_object_object_get_ex(x, "expected_stdout", &v) ||
		    !json_object_is_type(v, json_type_string))
			abort();
	}
}

/* t written as a template file again parses to the same template */
static void round_trip(const struct tpl *t)
{
	json_object *o = json_object_new_object();
	struct tpl again;
	const char *text;
	char err[512];

	if (!o)
		return;
	/* each value belongs to o */
	json_object_object_add(o, "title", json_object_new_string(t->title));
	json_object_object_add(o, "language",
	                       json_object_new_string(t->language));
	json_object_object_add(o, "code", json_object_new_string(t->code));
	json_object_object_add(o, "tests", json_object_get(t->tests));
	json_object_object_add(o, "notes", json_object_new_string(t->notes));
	text = json_object_to_json_string_ext(
	        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (strlen(text) > TPL_MAX_FILE) { /* escapes can make it longer */
		json_object_put(o);
		return;
	}
	if (tpl_parse("fuzz", text, strlen(text), &again, err, sizeof(err)))
		abort();
	if (strcmp(t->title, again.title) ||
	    strcmp(t->language, again.language) ||
	    strcmp(t->code, again.code) || strcmp(t->notes, again.notes) ||
	    !json_object_equal(t->tests, again.tests))
		abort();
	tpl_fini(&again);
	json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tpl t;
	char err[512];
	int r;

	err[0] = 0;
	r = tpl_parse("fuzz", (const char *)data, size, &t, err, sizeof(err));
	if (r < 0) {
		if (r != -EBADMSG && r != -ENOMEM)
			abort();
		if (strncmp(err, "templates/fuzz.json: ", 21) ||
		    !utf8_valid(err, strlen(err)))
			abort();
		if (t.title || t.language || t.code || t.notes || t.tests)
			abort();
		return 0;
	}
	check(&t);
	round_trip(&t);
	tpl_fini(&t);
	return 0;
}
