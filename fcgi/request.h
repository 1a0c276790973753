/*
 * request.h - the run API's request bodies: parsed, checked against the
 * settings' caps and limits, and turned into something the executor runs.
 *
 * Two shapes are accepted: runpad's own (POST /api/run, /api/submissions)
 * and Piston v2's (POST /api/v2/execute).  docs/api.md describes both.
 * Every refusal fills a struct api_error with the HTTP status, a stable
 * code and a sentence that names the offending field.
 */
#ifndef RUNPAD_REQUEST_H
#define RUNPAD_REQUEST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "sandbox.h"
#include "settings.h"

/* A refusal: status 400, 401, 404, 405, 413, 503, ...; code is a static
   string such as "bad_json"; message names the field. */
struct api_error {
	int status;
	const char *code;
	char message[512];
};

/* Fill e (printf-style message); returns -EINVAL for chaining. */
int api_error_set(struct api_error *e, int status, const char *code,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* {"error": {"code": ..., "message": ...}}: a new reference. */
json_object *api_error_json(const struct api_error *e);

struct req_file {
	const char *name; /* as placed in the box */
	char *data;       /* owned (decoded); may hold NUL bytes */
	size_t len;
};

struct req_test {
	const char *name; /* borrowed from the request's JSON, or "" */
	const char *stdin_data;
	size_t stdin_len;
	const char *expected;
	size_t expected_len;
};

enum req_compare {
	REQ_COMPARE_LINES, /* ignore trailing blanks on lines and at the end */
	REQ_COMPARE_EXACT,
};

struct run_req {
	json_object *root;              /* owns every borrowed string below */
	const struct sbx_lang *lang;    /* borrowed from the settings' registry:
	                                the toolchain `version` chose (a
	                                variant's entry, or the language's) */
	size_t choice[SBX_OPTIONS_MAX]; /* per option of lang: the value
	                                   chosen (0: its default) */
	struct req_file *files;         /* files[0] is the entry point */
	size_t nfiles;
	const char *stdin_data; /* NULL when not given */
	size_t stdin_len;
	const char **args; /* NULL-terminated, borrowed strings */
	size_t nargs;
	struct sbx_limits run_limits;     /* defaults + language + request */
	struct sbx_limits compile_limits; /* likewise */
	struct req_test *tests;
	size_t ntests;
	enum req_compare compare;
	bool interactive; /* streaming: keep stdin open for /stdin calls */
	bool piston;      /* parsed from the Piston shape */
};

/*
 * Parse a body that must be one JSON object: strict JSON, valid UTF-8, at
 * most 64 levels deep, nothing but blanks after it.  On success *out is a
 * new reference the caller puts; on failure *e says where it broke, and
 * *out (which may still be set) must be put too.  0 or -EINVAL.
 */
int req_parse_object(const char *body, size_t len, json_object **out,
                     struct api_error *e);

/*
 * Parse a request body.  `s` must stay referenced as long as *out (the
 * language points into its registry).  On success *out owns what it holds;
 * release with run_req_fini().  Returns 0, or -EINVAL with *e filled.
 * Limits: at most 64 levels of JSON nesting; see settings.h for the caps.
 */
int run_req_parse(const char *body, size_t len, const struct settings *s,
                  bool piston, struct run_req *out, struct api_error *e);
void run_req_fini(struct run_req *r); /* accepts zeroed */

/*
 * The languages of the registry closest to `name` (edit distance or
 * prefix), available ones only, written as "'py', 'python'" into buf.
 */
void req_close_matches(const struct sbx_registry *reg, const char *name,
                       char *buf, size_t buflen);

/* Whether output matches the expected output under `how`. */
bool req_output_matches(const char *out, size_t out_len, const char *expected,
                        size_t expected_len, enum req_compare how);

/* Whether `name` may be a file in the box: one path component, not "."
   or "..", no NUL or control character, at most `max` bytes. */
bool req_valid_file_name(const char *name, size_t len, size_t max);

#endif
