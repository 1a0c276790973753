/* Unit tests: fcgi/request, against settings with the built-in registry. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "settings.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

static struct settings *set;
static struct run_req req;
static struct api_error aerr;
static char err[256];

static void setup(void)
{
	set = settings_load(NULL, err, sizeof(err));
	cr_assert_not_null(set, "settings_load: %s", err);
	memset(&aerr, 0, sizeof(aerr));
}

static void teardown(void)
{
	run_req_fini(&req);
	settings_unref(set);
}

TestSuite(request, .init = setup, .fini = teardown);

/* The registry's entry for id, writable so that tests can set versions or
   take a language away. */
static struct sbx_lang *lang(const char *id)
{
	for (size_t i = 0; i < set->registry.n; i++)
		if (strcmp(set->registry.langs[i].id, id) == 0)
			return &set->registry.langs[i];
	cr_assert_fail("no language %s in the registry", id);
	return NULL;
}

static int parse_n(const char *body, size_t len, bool piston)
{
	run_req_fini(&req);
	memset(&aerr, 0, sizeof(aerr));
	return run_req_parse(body, len, set, piston, &req, &aerr);
}

static void accepted(const char *body, bool piston)
{
	int r = parse_n(body, strlen(body), piston);

	cr_assert_eq(r, 0, "%s\nrefused: %d %s %s", body, aerr.status,
	             aerr.code, aerr.message);
}

/* Refused with this status and code, and a message that starts with
   `start` (the field's name, or the whole sentence). */
static void refused_n(const char *body, size_t len, bool piston, int status,
                      const char *code, const char *start)
{
	int r = parse_n(body, len, piston);

	cr_assert_eq(r, -EINVAL, "%.200s\naccepted", body);
	cr_assert_eq(aerr.status, status, "%.200s\n%d %s", body, aerr.status,
	             aerr.message);
	cr_assert_str_eq(aerr.code, code, "%.200s\n%s", body, aerr.message);
	cr_assert(strncmp(aerr.message, start, strlen(start)) == 0,
	          "%.200s\nmessage '%s' does not start with '%s'", body,
	          aerr.message, start);
}

static void refused(const char *body, bool piston, int status, const char *code,
                    const char *start)
{
	refused_n(body, strlen(body), piston, status, code, start);
}

/* A JSON document {"language": "python", <extra>} */
static char *body_with(const char *extra)
{
	char *b = NULL;

	cr_assert_neq(asprintf(&b, "{\"language\": \"python\", %s}", extra),
	              -1);
	return b;
}

static void refused_with(const char *extra, int status, const char *code,
                         const char *start)
{
	char *b = body_with(extra);

	refused(b, false, status, code, start);
	free(b);
}

/* "x" repeated n times inside a JSON string: a new buffer. */
static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	cr_assert_not_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static bool limits_eq(const struct sbx_limits *a, const struct sbx_limits *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* ------------------------------------------------------------ success */

Test(request, minimal_code_request)
{
	accepted("{\"language\": \"python\", \"code\": \"print(1)\"}", false);
	cr_assert_str_eq(req.lang->id, "python");
	cr_assert_eq(req.nfiles, 1);
	cr_assert_str_eq(req.files[0].name, "main.py");
	cr_assert_eq(req.files[0].len, 8);
	cr_assert_eq(memcmp(req.files[0].data, "print(1)", 8), 0);
	cr_assert_null(req.stdin_data);
	cr_assert_eq(req.stdin_len, 0);
	cr_assert_not_null(req.args);
	cr_assert_null(req.args[0]);
	cr_assert_eq(req.nargs, 0);
	cr_assert_eq(req.ntests, 0);
	cr_assert_null(req.tests);
	cr_assert_eq(req.compare, REQ_COMPARE_LINES);
	cr_assert_not(req.interactive);
	cr_assert_not(req.piston);
	/* python has no registry overrides: the server's defaults */
	cr_assert(limits_eq(&req.run_limits, &set->run_default));
	cr_assert(limits_eq(&req.compile_limits, &set->compile_default));
}

Test(request, language_by_alias_any_case)
{
	accepted("{\"language\": \"PY3\", \"code\": \"\"}", false);
	cr_assert_str_eq(req.lang->id, "python");
	cr_assert_eq(req.files[0].len, 0);
	accepted("{\"language\": \"gcc\", \"code\": \"int main;\"}", false);
	cr_assert_str_eq(req.lang->id, "c");
	cr_assert_str_eq(req.files[0].name, "main.c");
}

Test(request, registry_limits_override_defaults)
{
	/* [java] limits = memory=512M processes=128 cpu_time=4s wall_time=8s */
	accepted("{\"language\": \"java\", \"code\": \"class Main {}\"}",
	         false);
	cr_assert_str_eq(req.files[0].name, "Main.java");
	cr_assert_eq(req.run_limits.memory, 512 * MiB);
	cr_assert_eq(req.run_limits.processes, 128);
	cr_assert_eq(req.run_limits.cpu_ms, 4000);
	cr_assert_eq(req.run_limits.wall_ms, 8000);
	cr_assert_eq(req.run_limits.stdout_max, set->run_default.stdout_max);
	/* [go] compile_limits = processes=256 (go is in make deps; kotlin,
	   with bigger compile limits, is not) */
	accepted("{\"language\": \"go\", \"code\": \"\"}", false);
	cr_assert_eq(req.compile_limits.processes, 256);
	cr_assert_eq(req.run_limits.processes, 128);
	cr_assert_eq(req.compile_limits.memory, set->compile_default.memory);
}

Test(request, stdin_and_args)
{
	accepted("{\"language\": \"python\", \"code\": \"x\", \"stdin\": "
	         "\"1 2\\n\", \"args\": [\"a\", \"b c\"]}",
	         false);
	cr_assert_eq(req.stdin_len, 4);
	cr_assert_eq(memcmp(req.stdin_data, "1 2\n", 4), 0);
	cr_assert_eq(req.nargs, 2);
	cr_assert_str_eq(req.args[0], "a");
	cr_assert_str_eq(req.args[1], "b c");
	cr_assert_null(req.args[2]);
}

Test(request, nulls_mean_absent)
{
	accepted("{\"language\": \"python\", \"code\": \"x\", \"files\": null, "
	         "\"stdin\": null, \"args\": null, \"limits\": null, "
	         "\"tests\": null, \"interactive\": null, \"version\": null}",
	         false);
	cr_assert_null(req.stdin_data);
	cr_assert_eq(req.nargs, 0);
	cr_assert(limits_eq(&req.run_limits, &set->run_default));
}

Test(request, file_named_like_the_source_is_the_entry_point)
{
	accepted("{\"language\": \"python\", \"files\": ["
	         "{\"name\": \"util.py\", \"content\": \"u\"},"
	         "{\"name\": \"data.txt\", \"content\": \"d\"},"
	         "{\"name\": \"main.py\", \"content\": \"m\"}]}",
	         false);
	cr_assert_eq(req.nfiles, 3);
	cr_assert_str_eq(req.files[0].name, "main.py");
	cr_assert_eq(req.files[0].data[0], 'm');
	cr_assert_str_eq(req.files[1].name, "data.txt");
	cr_assert_str_eq(req.files[2].name, "util.py");
	cr_assert_eq(req.files[2].data[0], 'u');
}

Test(request, first_file_takes_the_source_name)
{
	accepted("{\"language\": \"python\", \"files\": ["
	         "{\"name\": \"app.py\", \"content\": \"a\"},"
	         "{\"name\": \"util.py\", \"content\": \"u\"}]}",
	         false);
	cr_assert_eq(req.nfiles, 2);
	cr_assert_str_eq(req.files[0].name, "main.py");
	cr_assert_eq(req.files[0].data[0], 'a');
	cr_assert_str_eq(req.files[1].name, "util.py");
}

Test(request, base64_contents)
{
	accepted("{\"language\": \"python\", \"files\": ["
	         "{\"name\": \"main.py\", \"content\": \"aGk=\", "
	         "\"encoding\": \"base64\"},"
	         "{\"name\": \"bin\", \"content\": \"AP_-\\nAA\", "
	         "\"encoding\": \"base64\"},"
	         "{\"name\": \"t.txt\", \"content\": \"x\", "
	         "\"encoding\": \"utf-8\"}]}",
	         false);
	cr_assert_eq(req.files[0].len, 2);
	cr_assert_eq(memcmp(req.files[0].data, "hi", 2), 0);
	/* URL alphabet, no padding, a line break skipped; holds a NUL */
	cr_assert_eq(req.files[1].len, 4);
	cr_assert_eq(memcmp(req.files[1].data, "\x00\xff\xfe\x00", 4), 0);
	cr_assert_eq(req.files[2].len, 1);
}

Test(request, bad_base64_and_encodings_refused)
{
	refused_with("\"files\": [{\"name\": \"main.py\", \"content\": \"a\", "
	             "\"encoding\": \"base64\"}]",
	             400, "bad_field", "files[0].content: not valid base64");
	refused_with("\"files\": [{\"name\": \"main.py\", \"content\": "
	             "\"aG=k\", \"encoding\": \"base64\"}]",
	             400, "bad_field", "files[0].content: not valid base64");
	refused_with("\"files\": [{\"name\": \"main.py\", \"content\": "
	             "\"a*bc\", \"encoding\": \"base64\"}]",
	             400, "bad_field", "files[0].content: not valid base64");
	refused_with("\"files\": [{\"name\": \"main.py\", \"content\": \"x\"}, "
	             "{\"name\": \"b\", \"content\": \"x\", "
	             "\"encoding\": \"hex\"}]",
	             400, "bad_field", "files[1].encoding: expected utf8");
	refused_with("\"files\": [{\"name\": \"main.py\", \"content\": \"x\", "
	             "\"encoding\": 64}]",
	             400, "bad_field", "files[0].encoding: expected a string");
}

Test(request, interactive_flag)
{
	accepted("{\"language\": \"python\", \"code\": \"x\", "
	         "\"interactive\": true}",
	         false);
	cr_assert(req.interactive);
	accepted("{\"language\": \"python\", \"code\": \"x\", "
	         "\"interactive\": false}",
	         false);
	cr_assert_not(req.interactive);
	refused_with("\"code\": \"x\", \"interactive\": \"yes\"", 400,
	             "bad_field", "interactive: expected true or false");
	refused_with("\"code\": \"x\", \"interactive\": true, \"tests\": "
	             "[{\"expected_stdout\": \"1\"}]",
	             400, "bad_field", "interactive: not with tests");
}

Test(request, tests_and_compare)
{
	accepted(
	        "{\"language\": \"python\", \"code\": \"x\", \"compare\": "
	        "\"exact\", \"tests\": [{\"name\": \"one\", \"stdin\": \"1\", "
	        "\"expected_stdout\": \"2\\n\"}, {\"expected_stdout\": \"\"}]}",
	        false);
	cr_assert_eq(req.compare, REQ_COMPARE_EXACT);
	cr_assert_eq(req.ntests, 2);
	cr_assert_str_eq(req.tests[0].name, "one");
	cr_assert_eq(req.tests[0].stdin_len, 1);
	cr_assert_eq(req.tests[0].stdin_data[0], '1');
	cr_assert_eq(req.tests[0].expected_len, 2);
	cr_assert_str_eq(req.tests[0].expected, "2\n");
	cr_assert_str_eq(req.tests[1].name, "");
	cr_assert_str_eq(req.tests[1].stdin_data, "");
	cr_assert_eq(req.tests[1].stdin_len, 0);
	cr_assert_eq(req.tests[1].expected_len, 0);

	accepted("{\"language\": \"python\", \"code\": \"x\", \"compare\": "
	         "\"lines\", \"tests\": []}",
	         false);
	cr_assert_eq(req.compare, REQ_COMPARE_LINES);
	cr_assert_eq(req.ntests, 0);

	refused_with("\"code\": \"x\", \"compare\": \"fuzzy\"", 400,
	             "bad_field", "compare: expected \"lines\" or \"exact\"");
	refused_with("\"code\": \"x\", \"tests\": {}", 400, "bad_field",
	             "tests: expected an array");
	refused_with("\"code\": \"x\", \"tests\": [1]", 400, "bad_field",
	             "tests[0]: expected an object");
	refused_with("\"code\": \"x\", \"tests\": [{\"expected_stdout\": "
	             "\"\"}, {\"stdin\": \"1\"}]",
	             400, "missing_field",
	             "tests[1].expected_stdout: required");
	refused_with("\"code\": \"x\", \"tests\": [{\"input\": \"1\", "
	             "\"expected_stdout\": \"\"}]",
	             400, "unknown_field", "tests[0].input: unknown field");
	refused_with("\"code\": \"x\", \"tests\": [{\"expected_stdout\": 2}]",
	             400, "bad_field",
	             "tests[0].expected_stdout: expected a "
	             "string");
}

/* ------------------------------------------------------------ refusals */

Test(request, missing_language)
{
	refused("{\"code\": \"x\"}", false, 400, "missing_field",
	        "language: required (GET /api/runtimes lists them)");
	refused("{\"language\": null, \"code\": \"x\"}", false, 400,
	        "missing_field", "language: required");
	refused("{\"files\": [{\"content\": \"x\"}]}", true, 400,
	        "missing_field", "language: required");
}

Test(request, unknown_language_suggests_close_matches)
{
	refused("{\"language\": \"pythn\", \"code\": \"x\"}", false, 400,
	        "unknown_language", "language: unknown 'pythn'");
	cr_assert_str_eq(aerr.message,
	                 "language: unknown 'pythn'; did you mean 'python'");
	refused("{\"language\": \"zzzzzzzz\", \"code\": \"x\"}", false, 400,
	        "unknown_language", "language: unknown 'zzzzzzzz'");
	cr_assert_str_eq(aerr.message, "language: unknown 'zzzzzzzz'");
}

Test(request, language_not_installed)
{
	lang("python")->available = false;
	refused("{\"language\": \"python\", \"code\": \"x\"}", false, 400,
	        "unknown_language",
	        "language: 'python' is not installed on this server");
	/* and not offered as its own close match */
	cr_assert_str_eq(aerr.message,
	                 "language: 'python' is not installed on this server");
}

Test(request, unknown_fields_refused_in_native_shape)
{
	refused_with("\"code\": \"x\", \"timeout\": 5", 400, "unknown_field",
	             "timeout: unknown field");
	refused_with("\"files\": [{\"name\": \"main.py\", \"content\": \"x\", "
	             "\"mode\": \"0755\"}]",
	             400, "unknown_field", "files[0].mode: unknown field");
}

Test(request, wrong_types_name_the_field)
{
	refused("{\"language\": 5, \"code\": \"x\"}", false, 400, "bad_field",
	        "language: expected a string");
	refused_with("\"version\": 3, \"code\": \"x\"", 400, "bad_field",
	             "version: expected a string");
	refused_with("\"code\": 1", 400, "bad_field",
	             "code: expected a string");
	refused_with("\"code\": \"x\", \"files\": [{\"name\": \"a\", "
	             "\"content\": \"x\"}]",
	             400, "bad_field", "code, files: give one of them");
	refused_with("\"stdin\": \"\"", 400, "missing_field",
	             "files: required (or give code)");
	refused_with("\"files\": {}", 400, "bad_field",
	             "files: expected an array");
	refused_with("\"files\": []", 400, "bad_field",
	             "files: at least one file is needed");
	refused_with("\"files\": [\"main.py\"]", 400, "bad_field",
	             "files[0]: expected an object");
	refused_with("\"files\": [{\"name\": \"main.py\"}]", 400,
	             "missing_field", "files[0].content: required");
	refused_with("\"files\": [{\"name\": \"main.py\", \"content\": [1]}]",
	             400, "bad_field", "files[0].content: expected a string");
	refused_with("\"files\": [{\"content\": \"x\"}]", 400, "missing_field",
	             "files[0].name: required");
	refused_with("\"files\": [{\"name\": 7, \"content\": \"x\"}]", 400,
	             "bad_field", "files[0].name: expected a string");
	refused_with("\"code\": \"x\", \"args\": \"-v\"", 400, "bad_field",
	             "args: expected an array of strings");
	refused_with("\"code\": \"x\", \"args\": [\"a\", 2]", 400, "bad_field",
	             "args[1]: expected a string");
	refused_with("\"code\": \"x\", \"args\": [\"a\\u0000b\"]", 400,
	             "bad_field", "args[0]: holds a NUL character");
	refused_with("\"code\": \"x\", \"stdin\": 5", 400, "bad_field",
	             "stdin: expected a string");
	refused_with("\"code\": \"x\", \"limits\": [1]", 400, "bad_field",
	             "limits: expected an object");
	refused_with("\"code\": \"x\", \"compile_limits\": \"2s\"", 400,
	             "bad_field", "compile_limits: expected an object");
	refused_with("\"code\": \"x\", \"limits\": {\"memory\": true}", 400,
	             "bad_limit", "limits.memory: expected a number");
	refused_with("\"code\": \"x\", \"limits\": {\"cpu_time\": 1.5}", 400,
	             "bad_limit", "limits.cpu_time: expected a number");
}

Test(request, bad_file_names_refused)
{
	static const char *const names[] = {
	        "../x",      "a/b",       ".",          "..",         "",
	        "a\\u0001b", "a\\u0000b", "tab\\there", "del\\u007f", "/abs",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char extra[200];
		snprintf(extra, sizeof(extra),
		         "\"files\": [{\"name\": \"main.py\", \"content\": "
		         "\"x\"}, {\"name\": \"%s\", \"content\": \"x\"}]",
		         names[i]);
		refused_with(extra, 400, "bad_file_name", "files[1].name: '");
		cr_assert(strstr(aerr.message, "is not allowed"), "%s",
		          aerr.message);
	}
}

Test(request, file_name_length_cap)
{
	char *name = repeat('n', 129), *extra = NULL;

	/* 128 bytes: allowed */
	name[128] = '\0';
	cr_assert_neq(asprintf(&extra,
	                       "{\"language\": \"python\", \"files\": "
	                       "[{\"name\": \"main.py\", \"content\": \"\"}, "
	                       "{\"name\": \"%s\", \"content\": \"\"}]}",
	                       name),
	              -1);
	accepted(extra, false);
	cr_assert_str_eq(req.files[1].name, name);
	free(extra);
	/* 129: refused */
	name[128] = 'n';
	cr_assert_neq(asprintf(&extra,
	                       "\"files\": [{\"name\": \"%s\", "
	                       "\"content\": \"x\"}]",
	                       name),
	              -1);
	refused_with(extra, 400, "bad_file_name", "files[0].name: 'nnn");
	cr_assert(strstr(aerr.message, "at most 128 bytes"), "%s",
	          aerr.message);
	free(extra);
	free(name);
}

Test(request, a_file_named_out_is_refused)
{
	/* the box's out/ holds what the program returns */
	refused_with("\"files\": [{\"name\": \"main.py\", \"content\": \"1\"}, "
	             "{\"name\": \"out\", \"content\": \"2\"}]",
	             400, "bad_file_name",
	             "files[1].name: 'out' is the directory of the box");
	accepted("{\"language\": \"python\", \"files\": [{\"name\": "
	         "\"main.py\", \"content\": \"1\"}, {\"name\": \"out.txt\", "
	         "\"content\": \"2\"}]}",
	         false);
}

Test(request, duplicate_file_names_refused)
{
	refused_with("\"files\": [{\"name\": \"a.py\", \"content\": \"1\"}, "
	             "{\"name\": \"b.py\", \"content\": \"2\"}, "
	             "{\"name\": \"a.py\", \"content\": \"3\"}]",
	             400, "bad_file_name",
	             "files[2].name: 'a.py' is given "
	             "twice");
	refused_with("\"files\": [{\"name\": \"main.py\", \"content\": \"1\"}, "
	             "{\"name\": \"main.py\", \"content\": \"2\"}]",
	             400, "bad_file_name",
	             "files[1].name: 'main.py' is given "
	             "twice");
}

/* A JSON array of n copies of item. */
static char *json_array(const char *item, size_t n)
{
	size_t il = strlen(item);
	char *s = malloc(n * (il + 1) + 3);
	size_t o = 0;

	cr_assert_not_null(s);
	s[o++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			s[o++] = ',';
		memcpy(s + o, item, il);
		o += il;
	}
	s[o++] = ']';
	s[o] = '\0';
	return s;
}

Test(request, too_many_files_args_tests)
{
	char *files = malloc(33 * 64 + 3), *arr, *extra = NULL;
	size_t o = 0;

	cr_assert_not_null(files);
	files[o++] = '[';
	for (int i = 0; i < 33; i++)
		o += (size_t)sprintf(files + o,
		                     "%s{\"name\": \"f%d\", \"content\": \"\"}",
		                     i ? "," : "", i);
	files[o++] = ']';
	files[o] = '\0';
	cr_assert_neq(asprintf(&extra, "\"files\": %s", files), -1);
	refused_with(extra, 400, "too_many", "files: 33 files, at most 32");
	free(extra);
	free(files);

	arr = json_array("\"a\"", 65);
	cr_assert_neq(asprintf(&extra, "\"code\": \"\", \"args\": %s", arr),
	              -1);
	refused_with(extra, 400, "too_many", "args: 65 arguments, at most 64");
	free(extra);
	free(arr);
	arr = json_array("\"a\"", 64);
	cr_assert_neq(asprintf(&extra, "\"code\": \"\", \"args\": %s", arr),
	              -1);
	{
		char *b = body_with(extra);
		accepted(b, false);
		free(b);
	}
	cr_assert_eq(req.nargs, 64);
	free(extra);
	free(arr);

	arr = json_array("{\"expected_stdout\": \"\"}", 65);
	cr_assert_neq(asprintf(&extra, "\"code\": \"\", \"tests\": %s", arr),
	              -1);
	refused_with(extra, 400, "too_many", "tests: 65 tests, at most 64");
	free(extra);
	free(arr);
}

Test(request, arg_too_long)
{
	char *a = repeat('a', 4097), *extra = NULL;

	cr_assert_neq(asprintf(&extra, "\"code\": \"\", \"args\": [\"%s\"]", a),
	              -1);
	refused_with(extra, 413, "too_large",
	             "args[0]: 4097 bytes, at most 4096");
	free(extra);
	free(a);
}

Test(request, code_and_stdin_too_large)
{
	char *big = repeat('x', MiB + 1), *half = repeat('y', 600 * KiB);
	char *extra = NULL;

	cr_assert_neq(asprintf(&extra, "\"code\": \"%s\"", big), -1);
	refused_with(extra, 413, "too_large",
	             "code: 1048577 bytes, at most 1048576");
	free(extra);

	cr_assert_neq(asprintf(&extra,
	                       "\"files\": [{\"name\": \"a\", \"content\": "
	                       "\"%s\"}, {\"name\": \"b\", \"content\": "
	                       "\"%s\"}]",
	                       half, half),
	              -1);
	refused_with(extra, 413, "too_large",
	             "files: more than 1048576 bytes of code in all");
	free(extra);

	cr_assert_neq(
	        asprintf(&extra, "\"code\": \"\", \"stdin\": \"%s\"", big), -1);
	refused_with(extra, 413, "too_large",
	             "stdin: 1048577 bytes, at most 1048576");
	free(extra);

	cr_assert_neq(
	        asprintf(&extra,
	                 "\"code\": \"\", \"tests\": [{\"stdin\": \"%s\", "
	                 "\"expected_stdout\": \"\"}, {\"stdin\": \"%s\", "
	                 "\"expected_stdout\": \"\"}]",
	                 half, half),
	        -1);
	refused_with(extra, 413, "too_large",
	             "tests: more than 1048576 bytes of stdin in all");
	free(extra);
	free(big);
	free(half);
}

Test(request, body_too_large)
{
	const char *b = "{\"language\": \"python\", \"code\": \"x\"}";

	set->max_body = 16;
	refused(b, false, 413, "too_large", "the body is 35 bytes, at most 16");
}

Test(request, limits_as_numbers_and_strings)
{
	accepted("{\"language\": \"python\", \"code\": \"\", \"limits\": "
	         "{\"cpu_time\": 1500, \"memory\": 134217728, \"processes\": "
	         "8}}",
	         false);
	cr_assert_eq(req.run_limits.cpu_ms, 1500);
	cr_assert_eq(req.run_limits.memory, 128 * MiB);
	cr_assert_eq(req.run_limits.processes, 8);
	cr_assert_eq(req.run_limits.wall_ms, set->run_default.wall_ms);
	cr_assert(limits_eq(&req.compile_limits, &set->compile_default));

	accepted("{\"language\": \"python\", \"code\": \"\", \"limits\": "
	         "{\"cpu_time\": \"2s\", \"wall_time\": \"1.5s\", \"memory\": "
	         "\"256M\", \"stdout\": \"64K\"}, \"compile_limits\": "
	         "{\"memory\": \"2G\", \"wall_time\": 60000}}",
	         false);
	cr_assert_eq(req.run_limits.cpu_ms, 2000);
	cr_assert_eq(req.run_limits.wall_ms, 1500);
	cr_assert_eq(req.run_limits.memory, 256 * MiB);
	cr_assert_eq(req.run_limits.stdout_max, 64 * KiB);
	cr_assert_eq(req.compile_limits.memory, 2 * GiB);
	cr_assert_eq(req.compile_limits.wall_ms, 60000);
	cr_assert_eq(req.compile_limits.cpu_ms, set->compile_default.cpu_ms);
}

Test(request, out_files_limits_are_limits)
{
	accepted("{\"language\": \"python\", \"code\": \"\", \"limits\": "
	         "{\"out_files\": 2, \"out_file_size\": \"64K\", "
	         "\"out_total\": \"16M\"}}",
	         false);
	cr_assert_eq(req.run_limits.out_files, 2);
	cr_assert_eq(req.run_limits.out_file_size, 64 * KiB);
	cr_assert_eq(req.run_limits.out_total, 16 * MiB);
	accepted("{\"language\": \"python\", \"code\": \"\"}", false);
	cr_assert_eq(req.run_limits.out_files, 16);
	cr_assert_eq(req.run_limits.out_file_size, 1 * MiB);
	cr_assert_eq(req.run_limits.out_total, 4 * MiB);
	refused_with("\"code\": \"\", \"limits\": {\"out_files\": 65}", 400,
	             "limit_too_high", "limits.out_files: 65 is above");
	refused_with("\"code\": \"\", \"limits\": {\"out_total\": \"17M\"}",
	             400, "limit_too_high", "limits.out_total: ");
	refused_with("\"code\": \"\", \"limits\": {\"outfiles\": 1}", 400,
	             "bad_limit", "limits.outfiles: unknown limit");
	cr_assert(strstr(aerr.message, "out_files, out_file_size, out_total"),
	          "%s", aerr.message);
}

Test(request, limit_refusals)
{
	refused_with("\"code\": \"\", \"limits\": {\"colour\": 1}", 400,
	             "bad_limit", "limits.colour: unknown limit");
	refused_with("\"code\": \"\", \"limits\": {\"memory\": \"2G\"}", 400,
	             "limit_too_high", "limits.memory: ");
	cr_assert_str_eq(aerr.message,
	                 "limits.memory: 2147483648 is above this server's "
	                 "maximum of 1073741824");
	refused_with("\"code\": \"\", \"limits\": {\"cpu_time\": 10001}", 400,
	             "limit_too_high", "limits.cpu_time: ");
	cr_assert_str_eq(aerr.message,
	                 "limits.cpu_time: 10001 ms is above this server's "
	                 "maximum of 10000 ms");
	refused_with("\"code\": \"\", \"compile_limits\": {\"memory\": \"3G\"}",
	             400, "limit_too_high", "compile_limits.memory: ");
	refused_with("\"code\": \"\", \"limits\": {\"cpu_time\": -5}", 400,
	             "bad_limit", "limits.cpu_time: must not be negative");
	refused_with("\"code\": \"\", \"limits\": {\"memory\": \"lots\"}", 400,
	             "bad_limit", "limits.memory: ");
	refused_with("\"code\": \"\", \"limits\": {\"memory\": 0}", 400,
	             "bad_limit", "limits.memory: ");
}

Test(request, malformed_json_reports_line_and_column)
{
	refused("{\n  \"language\": \"python\",\n  \"code\": ,\n}", false, 400,
	        "bad_json", "the body is not valid JSON: ");
	cr_assert(strstr(aerr.message, "at line 3, column 11"), "%s",
	          aerr.message);
	refused("{\"language\": ", false, 400, "bad_json",
	        "the body is not complete JSON: it ends at line 1, column 14");
	refused("", false, 400, "bad_json", "the body is not complete JSON");
	refused("{\"language\" \"python\"}", false, 400, "bad_json",
	        "the body is not valid JSON: ");
	cr_assert(strstr(aerr.message, "at line 1, column 13"), "%s",
	          aerr.message);
	refused("{\"language\": \"python\", \"code\": \"\",}", false, 400,
	        "bad_json", "the body is not valid JSON: ");
	cr_assert(strstr(aerr.message, "at line 1, column 35"), "%s",
	          aerr.message);
	refused("[\"python\"]", false, 400, "bad_json",
	        "the body must be a JSON object");
	refused("\"python\"", false, 400, "bad_json",
	        "the body must be a JSON object");
}

Test(request, trailing_garbage_refused)
{
	accepted("{\"language\": \"python\", \"code\": \"x\"}\r\n\t \n", false);
	refused("{\"language\": \"python\", \"code\": \"x\"} x", false, 400,
	        "bad_json", "");
	cr_assert(strstr(aerr.message, "line 1, column 37"), "%s",
	          aerr.message);
	refused("{\"language\": \"python\", \"code\": \"x\"}\n{}", false, 400,
	        "bad_json", "");
	cr_assert(strstr(aerr.message, "line 2, column 1"), "%s", aerr.message);
}

/* {"language": "python", "code": "", "args": [[...]]}: `levels` in all,
   the object included. */
static char *nested(int levels)
{
	char *b = malloc(64 + 2 * (size_t)levels);
	int n = sprintf(b, "{\"language\": \"python\", \"code\": \"\", "
	                   "\"args\": ");

	for (int i = 1; i < levels; i++)
		b[n++] = '[';
	for (int i = 1; i < levels; i++)
		b[n++] = ']';
	b[n++] = '}';
	b[n] = '\0';
	return b;
}

Test(request, nesting_deeper_than_64_refused)
{
	char *b = nested(64);

	/* parsed: refused for the args' type, not as JSON */
	refused(b, false, 400, "bad_field", "args[0]: expected a string");
	free(b);
	b = nested(65);
	refused(b, false, 400, "bad_json", "the body is not valid JSON: ");
	cr_assert(strstr(aerr.message, "too deep"), "%s", aerr.message);
	free(b);
}

Test(request, invalid_utf8_refused)
{
	/* broken sequences (json-c does not refuse overlong forms or
	   encoded surrogates, so neither does the parser) */
	static const char *const bad[] = {
	        "\xff", "\xc3", "\xe2\x82", "a\x80", "\xf0\x9f\x98",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *b = NULL;
		cr_assert_neq(asprintf(&b,
		                       "{\"language\": \"python\", \"code\": "
		                       "\"%s\"}",
		                       bad[i]),
		              -1);
		refused(b, false, 400, "bad_json",
		        "the body is not valid JSON");
		cr_assert(strstr(aerr.message, "utf-8"), "%s", aerr.message);
		free(b);
	}
	accepted("{\"language\": \"python\", \"code\": \"\xc3\xa9\xe2\x82\xac"
	         "\xf0\x9f\x98\x80\"}",
	         false);
	cr_assert_eq(req.files[0].len, 9);
}

/* ------------------------------------------------------------ Piston */

Test(request, piston_defaults_and_timeouts)
{
	accepted(
	        "{\"language\": \"python\", \"version\": \"*\", \"files\": "
	        "[{\"content\": \"print(1)\"}], \"stdin\": \"\", \"args\": [], "
	        "\"run_timeout\": 3000, \"compile_timeout\": -1, "
	        "\"run_cpu_time\": 1000, \"compile_memory_limit\": -1, "
	        "\"run_memory_limit\": -1}",
	        true);
	cr_assert(req.piston);
	cr_assert_str_eq(req.files[0].name, "main.py");
	cr_assert_eq(req.run_limits.wall_ms, 3000);
	cr_assert_eq(req.run_limits.cpu_ms, 1000);
	cr_assert_eq(req.run_limits.memory, set->run_default.memory);
	cr_assert(limits_eq(&req.compile_limits, &set->compile_default));
	cr_assert_eq(req.stdin_len, 0);
	cr_assert_not_null(req.stdin_data);
}

Test(request, piston_memory_limits)
{
	accepted("{\"language\": \"python\", \"files\": [{\"content\": \"\"}], "
	         "\"run_memory_limit\": 134217728, \"compile_memory_limit\": "
	         "536870912, \"compile_timeout\": 30000, "
	         "\"compile_cpu_time\": 25000}",
	         true);
	cr_assert_eq(req.run_limits.memory, 128 * MiB);
	cr_assert_eq(req.compile_limits.memory, 512 * MiB);
	cr_assert_eq(req.compile_limits.wall_ms, 30000);
	cr_assert_eq(req.compile_limits.cpu_ms, 25000);
	cr_assert(req.run_limits.wall_ms == set->run_default.wall_ms);
}

Test(request, piston_limit_refusals_name_piston_fields)
{
	refused("{\"language\": \"python\", \"files\": [{\"content\": \"\"}], "
	        "\"run_timeout\": 30000}",
	        true, 400, "limit_too_high",
	        "run_timeout: 30000 ms is above this server's maximum of "
	        "20000 ms");
	refused("{\"language\": \"python\", \"files\": [{\"content\": \"\"}], "
	        "\"compile_memory_limit\": 3221225472}",
	        true, 400, "limit_too_high", "compile_memory_limit: ");
	refused("{\"language\": \"python\", \"files\": [{\"content\": \"\"}], "
	        "\"run_timeout\": \"3s\"}",
	        true, 400, "bad_field", "run_timeout: expected a number");
	refused("{\"language\": \"python\", \"files\": [{\"content\": \"\"}], "
	        "\"run_cpu_time\": -7}",
	        true, 400, "bad_limit", "run_cpu_time: must not be negative");
}

Test(request, piston_fractional_timeout_truncated)
{
	accepted("{\"language\": \"python\", \"files\": [{\"content\": \"\"}], "
	         "\"run_timeout\": 2500.9}",
	         true);
	cr_assert_eq(req.run_limits.wall_ms, 2500);
}

/*
 * A huge double is converted with (int64_t) in piston_limit(): undefined
 * behaviour, and on x86-64 it becomes INT64_MIN, so the request is told
 * its positive timeout is negative.  It should be refused like the same
 * value written as an integer: out of range.
 */
Test(request, piston_huge_timeout_is_not_negative)
{
	const char *big =
	        "{\"language\": \"python\", \"files\": [{\"content\": "
	        "\"\"}], \"run_timeout\": 99999999999999}";
	const char *huge =
	        "{\"language\": \"python\", \"files\": [{\"content\": "
	        "\"\"}], \"run_timeout\": 1e300}";

	refused(big, true, 400, "bad_limit", "run_timeout: ");
	refused(huge, true, 400, "bad_limit", "run_timeout: ");
	cr_assert_null(strstr(aerr.message, "negative"), "%s", aerr.message);
}

static void piston_version(char *b, size_t n, const char *version)
{
	snprintf(b, n,
	         "{\"language\": \"python\", \"version\": \"%s\", "
	         "\"files\": [{\"content\": \"\"}]}",
	         version);
}

Test(request, piston_versions)
{
	struct sbx_lang *py = lang("python");
	static const char *const ok[] = {"*", "", "3.11.2", "3.11", "3"};
	static const char *const bad[] = {"3.1", "3.11.20", "3.11.2.1",
	                                  "2",   "3.",      "x"};
	char b[200];

	/* no detected version: anything goes */
	piston_version(b, sizeof(b), "2.7");
	accepted(b, true);

	py->version = strdup("3.11.2");
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		piston_version(b, sizeof(b), ok[i]);
		accepted(b, true);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		piston_version(b, sizeof(b), bad[i]);
		refused(b, true, 400, "unknown_version", "version: python ");
	}
	piston_version(b, sizeof(b), "2.7");
	refused(b, true, 400, "unknown_version",
	        "version: python 2.7 is not installed; this server has cpython "
	        "3.11.2");
	/* the native shape checks it too */
	refused("{\"language\": \"python\", \"version\": \"2.7\", \"code\": "
	        "\"\"}",
	        false, 400, "unknown_version", "version: python 2.7");
}

Test(request, piston_files_without_names)
{
	accepted("{\"language\": \"python\", \"files\": [{\"content\": \"m\"}, "
	         "{\"name\": \"util.py\", \"content\": \"u\"}]}",
	         true);
	cr_assert_eq(req.nfiles, 2);
	cr_assert_str_eq(req.files[0].name, "main.py");
	cr_assert_eq(req.files[0].data[0], 'm');
	cr_assert_str_eq(req.files[1].name, "util.py");
	/* only the first may go without */
	refused("{\"language\": \"python\", \"files\": [{\"content\": \"m\"}, "
	        "{\"content\": \"u\"}]}",
	        true, 400, "missing_field", "files[1].name: required");
	/* Piston names its entry point anything: it becomes main.py */
	accepted("{\"language\": \"python\", \"files\": [{\"name\": "
	         "\"solution.py\", \"content\": \"s\"}]}",
	         true);
	cr_assert_str_eq(req.files[0].name, "main.py");
}

Test(request, piston_unknown_fields_ignored)
{
	accepted("{\"language\": \"python\", \"version\": \"3.10.0\", "
	         "\"files\": [{\"name\": \"main.py\", \"content\": \"x\", "
	         "\"lastModified\": 1}], \"aliases\": [], \"frobnicate\": "
	         "{\"a\": [1, 2]}, \"interactive\": true, \"tests\": 5, "
	         "\"limits\": \"ignored\"}",
	         true);
	cr_assert(req.piston);
	/* native-only fields mean nothing here */
	cr_assert_not(req.interactive);
	cr_assert_eq(req.ntests, 0);
	cr_assert(limits_eq(&req.run_limits, &set->run_default));
	/* the same body in the native shape is refused */
	refused("{\"language\": \"python\", \"code\": \"\", \"frobnicate\": 1}",
	        false, 400, "unknown_field", "frobnicate: unknown field");
}

/* ------------------------------------------------------------ helpers */

static bool lines_eq(const char *out, const char *exp)
{
	return req_output_matches(out, strlen(out), exp, strlen(exp),
	                          REQ_COMPARE_LINES);
}

static bool exact_eq(const char *out, const char *exp)
{
	return req_output_matches(out, strlen(out), exp, strlen(exp),
	                          REQ_COMPARE_EXACT);
}

Test(request, output_matches_lines)
{
	cr_assert(lines_eq("1\n2\n", "1\n2\n"));
	cr_assert(lines_eq("1\n2", "1\n2\n"));
	cr_assert(lines_eq("1  \n2\t\n", "1\n2"));
	cr_assert(lines_eq("1\r\n2\r\n", "1\n2\n"));
	cr_assert(lines_eq("1\n2\n\n\n \n", "1\n2"));
	cr_assert(lines_eq("a\n \nb", "a\n\nb"));
	cr_assert(lines_eq("", ""));
	cr_assert(lines_eq("\n\n", ""));
	cr_assert(lines_eq("", " \r\n"));
	cr_assert_not(lines_eq("1\n2\n", "1\n3\n"));
	cr_assert_not(lines_eq("1\n2\n", "1\n"));
	cr_assert_not(lines_eq("1\n", "1\n2\n"));
	cr_assert_not(lines_eq("", "x"));
	cr_assert_not(lines_eq("1 2", "1  2"));
	cr_assert_not(lines_eq(" 1", "1"));
	cr_assert_not(lines_eq("a\n\nb", "a\nb"));
	cr_assert_not(lines_eq("A", "a"));
	/* NUL bytes are compared like any other */
	cr_assert(
	        req_output_matches("a\0b", 3, "a\0b\n", 4, REQ_COMPARE_LINES));
	cr_assert_not(
	        req_output_matches("a\0b", 3, "a\0c", 3, REQ_COMPARE_LINES));
}

Test(request, output_matches_exact)
{
	cr_assert(exact_eq("1\n2\n", "1\n2\n"));
	cr_assert(exact_eq("", ""));
	cr_assert_not(exact_eq("1\n2", "1\n2\n"));
	cr_assert_not(exact_eq("1 \n", "1\n"));
	cr_assert_not(exact_eq("1\r\n", "1\n"));
	cr_assert(req_output_matches("a\0b", 3, "a\0b", 3, REQ_COMPARE_EXACT));
	cr_assert_not(
	        req_output_matches("a\0b", 3, "a\0c", 3, REQ_COMPARE_EXACT));
}

Test(request, valid_file_name)
{
	cr_assert(req_valid_file_name("main.py", 7, 128));
	cr_assert(req_valid_file_name("a b", 3, 128));
	cr_assert(req_valid_file_name("...", 3, 128));
	cr_assert(req_valid_file_name(".hidden", 7, 128));
	cr_assert(req_valid_file_name("\xc3\xa9.py", 5, 128));
	cr_assert(req_valid_file_name("abcd", 4, 4));
	cr_assert_not(req_valid_file_name("abcde", 5, 4));
	cr_assert_not(req_valid_file_name("", 0, 128));
	cr_assert_not(req_valid_file_name(".", 1, 128));
	cr_assert_not(req_valid_file_name("..", 2, 128));
	cr_assert_not(req_valid_file_name("../x", 4, 128));
	cr_assert_not(req_valid_file_name("a/b", 3, 128));
	cr_assert_not(req_valid_file_name("a/", 2, 128));
	cr_assert_not(req_valid_file_name("a\nb", 3, 128));
	cr_assert_not(req_valid_file_name("a\x1f", 2, 128));
	cr_assert_not(req_valid_file_name("a\x7f", 2, 128));
	/* a NUL inside: the length says more than strlen */
	cr_assert_not(req_valid_file_name("a\0b", 3, 128));
}

Test(request, close_matches)
{
	char buf[200];

	req_close_matches(&set->registry, "pythn", buf, sizeof(buf));
	cr_assert_str_eq(buf, "'python'");
	req_close_matches(&set->registry, "jav", buf, sizeof(buf));
	cr_assert_str_eq(buf, "'javascript', 'java'");
	req_close_matches(&set->registry, "zzzzzzzz", buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
	/* unavailable languages are not suggested */
	lang("java")->available = false;
	req_close_matches(&set->registry, "jav", buf, sizeof(buf));
	cr_assert_str_eq(buf, "'javascript'");
}

/*
 * When the next entry does not fit, snprintf() has already written part of
 * it: the buffer ends in "'javascript', '" instead of "'javascript'".
 */
Test(request, close_matches_keep_only_whole_entries)
{
	char buf[16];

	req_close_matches(&set->registry, "jav", buf, sizeof(buf));
	cr_assert_str_eq(buf, "'javascript'");
}

Test(request, api_error_json_shape)
{
	struct api_error e;
	json_object *o, *inner = NULL, *v = NULL;

	cr_assert_eq(api_error_set(&e, 413, "too_large", "code: %d bytes", 5),
	             -EINVAL);
	cr_assert_eq(e.status, 413);
	o = api_error_json(&e);
	cr_assert(json_object_object_get_ex(o, "error", &inner));
	cr_assert(json_object_object_get_ex(inner, "code", &v));
	cr_assert_str_eq(json_object_get_string(v), "too_large");
	cr_assert(json_object_object_get_ex(inner, "message", &v));
	cr_assert_str_eq(json_object_get_string(v), "code: 5 bytes");
	json_object_put(o);
}

/* ------------------------------------------------------ variants, options */

/* The registry entry of variant vid of language id, made available with
   version ver (the host's toolchains do not matter here). */
static struct sbx_lang *variant(const char *id, const char *vid,
                                const char *ver)
{
	for (size_t i = 0; i < set->registry.n; i++) {
		struct sbx_lang *l = &set->registry.langs[i];
		if (strcmp(l->id, id) == 0 && l->variant &&
		    strcmp(l->variant, vid) == 0) {
			l->available = true;
			free(l->version);
			l->version = strdup(ver);
			return l;
		}
	}
	cr_assert_fail("no variant %s of %s", vid, id);
	return NULL;
}

Test(request, version_picks_a_toolchain_by_id_or_number)
{
	struct sbx_lang *gcc = variant("c", "gcc-12", "12.2.0"),
	                *c15 = variant("c", "clang-15", "15.0.6");

	variant("c", "clang-14", "14.0.6");
	accepted("{\"language\": \"c\", \"code\": \"\"}", false);
	cr_assert_eq(req.lang, gcc, "the language's own by default");
	accepted(
	        "{\"language\": \"c\", \"version\": \"CLANG-15\", \"code\": \"\"}",
	        false);
	cr_assert_eq(req.lang, c15);
	cr_assert_str_eq(req.lang->id, "c");
	accepted("{\"language\": \"c\", \"version\": \"15.0\", \"code\": \"\"}",
	         false);
	cr_assert_eq(req.lang, c15);
	accepted("{\"language\": \"c\", \"version\": \"12\", \"code\": \"\"}",
	         false);
	cr_assert_eq(req.lang, gcc);
	/* Piston clients send versions too */
	accepted("{\"language\": \"c\", \"version\": \"15.0.6\", \"files\": "
	         "[{\"content\": \"\"}]}",
	         true);
	cr_assert_eq(req.lang, c15);
	/* not installed: named, with what there is */
	c15->available = false;
	refused("{\"language\": \"c\", \"version\": \"clang-15\", \"code\": \"\"}",
	        false, 400, "unknown_version",
	        "version: c clang-15 is not installed; this server has gcc-12 "
	        "12.2.0, clang-14 14.0.6");
	refused("{\"language\": \"c\", \"version\": \"tcc\", \"code\": \"\"}",
	        false, 400, "unknown_version",
	        "version: c tcc is not installed");
}

Test(request, options_are_allow_listed)
{
	const struct sbx_lang *c;

	variant("c", "gcc-12", "12.2.0");
	accepted("{\"language\": \"c\", \"code\": \"\", \"options\": "
	         "{\"std\": \"c99\", \"opt\": \"-O0\"}}",
	         false);
	c = req.lang;
	cr_assert_str_eq(c->options[0].name, "std");
	cr_assert_str_eq(c->options[0].values[req.choice[0]].value, "c99");
	cr_assert_str_eq(c->options[1].values[req.choice[1]].value, "-O0");
	accepted("{\"language\": \"c\", \"code\": \"\", \"options\": {}}",
	         false);
	cr_assert_eq(req.choice[0], 0);
	cr_assert_eq(req.choice[1], 0);
	accepted("{\"language\": \"c\", \"code\": \"\", \"options\": null}",
	         false);

	refused("{\"language\": \"c\", \"code\": \"\", \"options\": "
	        "{\"flags\": \"-fno-pie\"}}",
	        false, 400, "unknown_option",
	        "options: c has no option 'flags'; it has std, opt");
	refused("{\"language\": \"c\", \"code\": \"\", \"options\": "
	        "{\"std\": \"c++17\"}}",
	        false, 400, "bad_option",
	        "options.std: 'c++17' is not one of gnu17, c17, c11, c99, "
	        "gnu11, c2x");
	refused("{\"language\": \"c\", \"code\": \"\", \"options\": "
	        "{\"std\": 17}}",
	        false, 400, "bad_type", "options.std: expected a string");
	refused("{\"language\": \"c\", \"code\": \"\", \"options\": "
	        "[\"-O0\"]}",
	        false, 400, "bad_type", "options: expected an object");
	refused("{\"language\": \"python\", \"code\": \"\", \"options\": "
	        "{\"opt\": \"-O0\"}}",
	        false, 400, "unknown_option",
	        "options: python has no option 'opt' (it has none)");
}
