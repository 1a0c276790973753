/*
 * libFuzzer target: run request bodies, both shapes.  The first byte picks
 * the shape (odd: Piston), the rest is the body; the seeds start with '0'
 * (runpad's shape) or '1' (Piston's).  The output comparison is fed the two
 * halves of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct settings *settings(void)
{
	static struct settings *s;
	char err[256];

	if (s)
		return s;
	s = settings_load(NULL, err, sizeof(err));
	if (!s)
		abort();
	/* give two languages a version so that version checks run */
	for (size_t i = 0; i < s->registry.n; i++) {
		struct sbx_lang *l = &s->registry.langs[i];
		if (strcmp(l->id, "python") == 0)
			l->version = strdup("3.11.2");
		else if (strcmp(l->id, "c") == 0)
			l->version = strdup("12");
	}
	return s;
}

/* Touch everything a parsed request claims to hold. */
static size_t walk(const struct run_req *r)
{
	size_t n = strlen(r->lang->id) + r->stdin_len;

	if (r->nfiles == 0 || !r->files[0].name)
		abort();
	for (size_t i = 0; i < r->nfiles; i++) {
		n += strlen(r->files[i].name);
		for (size_t k = 0; k < r->files[i].len; k++)
			n += (unsigned char)r->files[i].data[k];
	}
	for (size_t i = 0; i < r->nargs; i++)
		n += strlen(r->args[i]);
	if (r->args[r->nargs])
		abort();
	for (size_t i = 0; i < r->ntests; i++) {
		const struct req_test *t = &r->tests[i];
		n += strlen(t->name);
		n += req_output_matches(t->stdin_data, t->stdin_len,
		                        t->expected, t->expected_len,
		                        r->compare);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct settings *s = settings();
	struct run_req r;
	struct api_error e;
	size_t half;
	char *body, *name;

	if (size == 0)
		return 0;
	/* an exact copy, not NUL-terminated, so overreads are caught */
	body = malloc(size - 1 ? size - 1 : 1);
	if (!body)
		return 0;
	memcpy(body, data + 1, size - 1);
	if (run_req_parse(body, size - 1, s, data[0] & 1, &r, &e) == 0) {
		volatile size_t n = walk(&r);
		(void)n;
	} else if (e.status < 400 || !e.code || !e.message[0]) {
		abort();
	}
	run_req_fini(&r);
	free(body);

	half = size / 2;
	req_output_matches((const char *)data, half, (const char *)data + half,
	                   size - half, REQ_COMPARE_LINES);
	req_output_matches((const char *)data, half, (const char *)data + half,
	                   size - half, REQ_COMPARE_EXACT);

	/* the input as a file name and as a language name */
	name = malloc(size + 1);
	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	req_valid_file_name(name, size, 128);
	if (size <= 64) {
		char near[200];
		req_close_matches(&s->registry, name, near, sizeof(near));
	}
	free(name);
	return 0;
}
