/*
 * Unit tests: ws/template, interview question templates (docs/ops.md,
 * "Templates"), written as real files to a fresh directory: every rule of
 * the format refused with its exact message, what a good one gives, the
 * files the listing ignores, reports or leaves out, and every template
 * shipped in packaging/templates/.
 *
 * (test_tpl, not test_template: the jail's tests/unit/sandbox/test_template.c
 * makes build/tests/test_template.)
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto.h"
#include "template.h"

/* A template holds what a pad's `tests` message may. */
_Static_assert(TPL_MAX_TESTS == PROTO_MAX_TESTS, "tests");
_Static_assert(TPL_MAX_TEST_NAME == PROTO_MAX_TEST_NAME, "test name");
_Static_assert(TPL_MAX_TEST_FIELD == PROTO_MAX_TEST_FIELD, "test field");
_Static_assert(TPL_MAX_TESTS_BYTES == PROTO_MAX_TESTS_BYTES, "tests bytes");
_Static_assert(TPL_MAX_LANGUAGE == PROTO_MAX_LANGUAGE, "language");

#define EXAMPLES  "packaging/templates"
#define LANGUAGES "sandbox/languages.conf"
#define KiB       1024
#define T0        "{\"title\":\"T\",\"language\":\"c\",\"tests\":"

static char tmp[64];
static char err[512];

static int rm_one(const char *p, const struct stat *sb, int type,
                  struct FTW *ftw)
{
	return remove(p);
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_tpl.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
	if (tmp[0])
		nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(tpl, .init = setup, .fini = teardown);

static void write_bytes(const char *file, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, file);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void write_file(const char *file, const char *text)
{
	write_bytes(file, text, strlen(text));
}

/* A string of n copies of c (the caller frees). */
static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	cr_assert_not_null(s);
	memset(s, c, n);
	s[n] = 0;
	return s;
}

/* text, formatted, in a new string */
__attribute__((format(printf, 1, 2))) static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	cr_assert_geq(vasprintf(&s, f, ap), 0);
	va_end(ap);
	return s;
}

static void load_ok(const char *text, struct tpl *t)
{
	write_file("t.json", text);
	err[0] = 0;
	cr_assert_eq(tpl_load(tmp, "t", t, err, sizeof(err)), 0, "%s\n%.200s",
	             err, text);
	cr_assert_str_eq(t->name, "t");
}

/* text as templates/t.json is refused with "templates/t.json: <want>" */
static void refused(const char *text, const char *want)
{
	struct tpl t;
	char full[400];

	memset(&t, 0x5a, sizeof(t));
	write_file("t.json", text);
	err[0] = 0;
	cr_assert_eq(tpl_load(tmp, "t", &t, err, sizeof(err)), -EBADMSG,
	             "accepted: %.300s", text);
	snprintf(full, sizeof(full), "templates/t.json: %s", want);
	cr_assert_str_eq(err, full);
	/* cleared: nothing to free, tpl_fini harmless */
	cr_assert_null(t.title);
	cr_assert_null(t.language);
	cr_assert_null(t.code);
	cr_assert_null(t.notes);
	cr_assert_null(t.tests);
	tpl_fini(&t);
}

/* the same with a heap string, freed */
static void refused_f(char *text, const char *want)
{
	refused(text, want);
	free(text);
}

/* ------------------------------------------------------- good files */

Test(tpl, minimal_template_has_empty_code_notes_and_tests)
{
	struct tpl t;

	load_ok("{\"title\":\"Two sum\",\"language\":\"python\"}", &t);
	cr_assert_str_eq(t.title, "Two sum");
	cr_assert_str_eq(t.language, "python");
	cr_assert_str_eq(t.code, "");
	cr_assert_str_eq(t.notes, "");
	cr_assert_not_null(t.tests);
	cr_assert(json_object_is_type(t.tests, json_type_array));
	cr_assert_eq(json_object_array_length(t.tests), 0);
	tpl_fini(&t);
	cr_assert_null(t.title);
	cr_assert_eq(t.name[0], 0);
	tpl_fini(&t); /* twice is fine */
	tpl_fini(NULL);
}

Test(tpl, full_template_gives_every_field)
{
	static const char text[] =
	        "\xef\xbb\xbf" /* a byte order mark is skipped */
	        "{\n"
	        "  \"title\": \"Tv\xc3\xa5 summor \xf0\x9f\x98\x80\",\n"
	        "  \"language\": \"c++\",\n"
	        "  \"code\": \"int main()\\r\\n{\\r\\n}\\rx\\n\",\n"
	        "  \"tests\": [\n"
	        "    {\"name\": \"one\", \"stdin\": \"1\\r\\n\", \"expected_stdout\": \"1\\n\"},\n"
	        "    {\"stdin\": \"\", \"expected_stdout\": \"\"}\n"
	        "  ],\n"
	        "  \"notes\": \"look for\\r\\nedge cases\"\n"
	        "}\n";
	struct tpl t;
	json_object *tests, *t0;

	load_ok(text, &t);
	cr_assert_str_eq(t.title, "Tv\xc3\xa5 summor \xf0\x9f\x98\x80");
	cr_assert_str_eq(t.language, "c++");
	/* the pad's text has only \n for line breaks */
	cr_assert_str_eq(t.code, "int main()\n{\n}\nx\n");
	cr_assert_str_eq(t.notes, "look for\nedge cases");
	cr_assert_eq(json_object_array_length(t.tests), 2);
	/* the tests as written: stdin is bytes for the program */
	cr_assert_str_eq(
	        json_object_to_json_string_ext(t.tests, JSON_C_TO_STRING_PLAIN),
	        "[{\"name\":\"one\",\"stdin\":\"1\\r\\n\",\"expected_stdout\":\"1\\n\"},"
	        "{\"stdin\":\"\",\"expected_stdout\":\"\"}]");
	/* the caller may keep the tests past tpl_fini */
	tests = json_object_get(t.tests);
	tpl_fini(&t);
	t0 = json_object_array_get_idx(tests, 0);
	cr_assert_str_eq(json_object_get_string(
	                         json_object_object_get(t0, "expected_stdout")),
	                 "1\n");
	json_object_put(tests);
}

Test(tpl, parse_takes_text_and_the_name)
{
	static const char text[] = "{\"title\":\"T\",\"language\":\"c\"}";
	struct tpl t;
	char name[TPL_MAX_NAME + 1];

	memset(name, 'x', TPL_MAX_NAME);
	name[TPL_MAX_NAME] = 0;
	cr_assert_eq(tpl_parse(name, text, strlen(text), &t, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(t.name, name);
	tpl_fini(&t);
	/* not NUL-terminated: only len bytes are read */
	cr_assert_eq(tpl_parse("a-b_C9",
	                       "{\"title\":\"T\",\"language\":\"c\"}}}",
	                       strlen(text), &t, err, sizeof(err)),
	             0, "%s", err);
	tpl_fini(&t);
	cr_assert_eq(
	        tpl_parse("a", text, strlen(text) - 1, &t, err, sizeof(err)),
	        -EBADMSG);
	cr_assert_str_eq(
	        err,
	        "templates/a.json: the file is not complete JSON: it ends at line 1, column 28");
}

Test(tpl, limits_are_inclusive)
{
	char *title = repeat('t', TPL_MAX_TITLE);
	char *lang = repeat('c', TPL_MAX_LANGUAGE);
	char *code = repeat('x', TPL_MAX_CODE);
	char *notes = repeat('n', TPL_MAX_NOTES);
	char *name = repeat('m', TPL_MAX_TEST_NAME);
	char *field = repeat('f', TPL_MAX_TEST_FIELD);
	char *text =
	        fmt("{\"title\":\"%s\",\"language\":\"%s\",\"code\":\"%s\","
	            "\"notes\":\"%s\",\"tests\":[{\"name\":\"%s\","
	            "\"stdin\":\"%s\",\"expected_stdout\":\"%s\"}]}",
	            title, lang, code, notes, name, field, field);
	struct tpl t;

	load_ok(text, &t);
	cr_assert_eq(strlen(t.title), TPL_MAX_TITLE);
	cr_assert_eq(strlen(t.language), TPL_MAX_LANGUAGE);
	cr_assert_eq(strlen(t.code), TPL_MAX_CODE);
	cr_assert_eq(strlen(t.notes), TPL_MAX_NOTES);
	tpl_fini(&t);
	free(text);
	free(title);
	free(lang);
	free(code);
	free(notes);
	free(name);
	free(field);
}

Test(tpl, code_limit_applies_after_line_breaks_are_normalised)
{
	/* 512 KiB of text, one of its breaks written \r\n: 512 KiB + 1 in
	   the file, 512 KiB in the pad */
	char *code = repeat('x', TPL_MAX_CODE - 1);
	char *text = fmt(
	        "{\"title\":\"T\",\"language\":\"c\",\"code\":\"\\r\\n%s\"}",
	        code);
	struct tpl t;

	load_ok(text, &t);
	cr_assert_eq(strlen(t.code), TPL_MAX_CODE);
	cr_assert_eq(t.code[0], '\n');
	tpl_fini(&t);
	free(text);
	free(code);
}

Test(tpl, every_language_character)
{
	static const char *const ok[] = {"c",       "c++",         "c#",
	                                 "f#",      "objective.c", "python3",
	                                 "node_js", "x-1"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *text =
		        fmt("{\"title\":\"T\",\"language\":\"%s\"}", ok[i]);
		struct tpl t;

		load_ok(text, &t);
		cr_assert_str_eq(t.language, ok[i]);
		tpl_fini(&t);
		free(text);
	}
}

/* ------------------------------------------------------- refusals */

Test(tpl, refuses_what_is_not_one_json_object)
{
	refused("",
	        "the file is not complete JSON: it ends at line 1, column 1");
	refused("{\"title\":\"T\",\n\"language\":\"c\"",
	        "the file is not complete JSON: it ends at line 2, column 15");
	refused("[{\"title\":\"T\"}]", "the file must be a JSON object");
	refused("\"T\"", "the file must be a JSON object");
	refused("{\"title\":\"T\",\"language\":\"c\"} {}",
	        "the file is not valid JSON: unexpected character at line 1, column 30 (byte 29)");
	refused("{\"title\":'T',\"language\":\"c\"}",
	        "the file is not valid JSON: unexpected character at line 1, column 10 (byte 9)");
	refused("{\"title\":\"T\",\"language\":\"c\",}",
	        "the file is not valid JSON: unexpected character at line 1, column 29 (byte 28)");
	refused("{\"title\":\"\xff\",\"language\":\"c\"}",
	        "the file is not valid JSON: invalid utf-8 string at line 1, column 11 (byte 10)");
	refused("{\"title\":\"\\udc00\",\"language\":\"c\"}",
	        "the file is not valid JSON: a string holds a \\u escape of a lone UTF-16 surrogate");
}

/* json-c's UTF-8 check lets a UTF-16 surrogate written as UTF-8 through,
   and the pad's text must not hold one */
Test(tpl, refuses_surrogates_written_as_utf8)
{
	refused("{\"title\":\"a\xed\xa0\x80\",\"language\":\"c\"}",
	        "\"title\" is not valid UTF-8");
	refused("{\"title\":\"T\",\"language\":\"c\",\"code\":\"\xed\xbf\xbf\"}",
	        "\"code\" is not valid UTF-8");
	refused("{\"title\":\"T\",\"language\":\"c\",\"notes\":\"\xed\xb0\x80\"}",
	        "\"notes\" is not valid UTF-8");
	refused(T0 "[{\"stdin\":\"\",\"expected_stdout\":\"\xed\xa0\x80\"}]}",
	        "tests[0].expected_stdout is not valid UTF-8");
}

Test(tpl, refuses_unknown_keys_naming_them)
{
	refused("{\"title\":\"T\",\"language\":\"c\",\"author\":\"Ada\"}",
	        "unknown key \"author\"");
	refused("{\"Title\":\"T\",\"language\":\"c\"}",
	        "unknown key \"Title\"");
	/* shown safely: control characters as ?, long keys cut */
	refused("{\"title\":\"T\",\"a\\nb\":1,\"language\":\"c\"}",
	        "unknown key \"a?b\"");
	refused_f(
	        fmt("{\"%s\":1}",
	            "0123456789012345678901234567890123456789abc"),
	        "unknown key \"0123456789012345678901234567890123456789...\"");
	/* json-c would take this key for "title" */
	refused("{\"title\\u0000x\":\"T\",\"language\":\"c\"}",
	        "unknown key \"title?x\"");
}

Test(tpl, refuses_duplicate_keys_naming_them)
{
	refused("{\"title\":\"T\",\"language\":\"c\",\"title\":\"U\"}",
	        "duplicate key \"title\"");
	refused("{\"title\":\"T\",\"language\":\"c\",\"lang\\u0075age\":\"c\"}",
	        "duplicate key \"language\"");
	refused("{\"title\":\"T\",\"language\":\"c\",\"tests\":[],\"tests\":[]}",
	        "duplicate key \"tests\"");
	refused("{\"title\":\"T\",\"language\":\"c\",\"tests\":["
	        "{\"stdin\":\"\",\"expected_stdout\":\"\"},"
	        "{\"stdin\":\"1\",\"expected_stdout\":\"\",\"stdin\":\"2\"}]}",
	        "tests[1]: duplicate key \"stdin\"");
}

Test(tpl, refuses_a_bad_title)
{
	refused("{\"language\":\"c\"}", "\"title\" is required");
	refused("{\"title\":5,\"language\":\"c\"}",
	        "\"title\" must be a string");
	refused("{\"title\":null,\"language\":\"c\"}",
	        "\"title\" must be a string");
	refused("{\"title\":\"\",\"language\":\"c\"}", "\"title\" is empty");
	refused_f(fmt("{\"title\":\"%0201d\",\"language\":\"c\"}", 0),
	          "\"title\" is 201 bytes, at most 200");
	refused("{\"title\":\"Two\\tsum\",\"language\":\"c\"}",
	        "\"title\" holds a control character (U+0009)");
	refused("{\"title\":\"Two\\nsum\",\"language\":\"c\"}",
	        "\"title\" holds a control character (U+000A)");
	refused("{\"title\":\"Two\x7fsum\",\"language\":\"c\"}",
	        "\"title\" holds a control character (U+007F)");
	refused("{\"title\":\"Two\\u0085sum\",\"language\":\"c\"}",
	        "\"title\" holds a control character (U+0085)");
	refused("{\"title\":\"Two\\u0000\",\"language\":\"c\"}",
	        "\"title\" holds a NUL character (\\u0000)");
}

Test(tpl, refuses_a_bad_language)
{
	refused("{\"title\":\"T\"}", "\"language\" is required");
	refused("{\"title\":\"T\",\"language\":[\"c\"]}",
	        "\"language\" must be a string");
	refused("{\"title\":\"T\",\"language\":\"\"}",
	        "\"language\" is 0 bytes, a language id is 1 to 32");
	refused_f(fmt("{\"title\":\"T\",\"language\":\"%033d\"}", 0),
	          "\"language\" is 33 bytes, a language id is 1 to 32");
	refused("{\"title\":\"T\",\"language\":\"Python\"}",
	        "\"language\" \"Python\" is not a language id: 1 to 32 of a-z 0-9 + # . _ -");
	refused("{\"title\":\"T\",\"language\":\"objective c\"}",
	        "\"language\" \"objective c\" is not a language id: 1 to 32 of a-z 0-9 + # . _ -");
	refused("{\"title\":\"T\",\"language\":\"../c\"}",
	        "\"language\" \"../c\" is not a language id: 1 to 32 of a-z 0-9 + # . _ -");
}

Test(tpl, refuses_bad_code_and_notes)
{
	char *big = repeat('x', TPL_MAX_CODE + 1);

	refused("{\"title\":\"T\",\"language\":\"c\",\"code\":1}",
	        "\"code\" must be a string");
	refused("{\"title\":\"T\",\"language\":\"c\",\"code\":\"a\\u0000b\"}",
	        "\"code\" holds a NUL character (\\u0000)");
	refused_f(fmt("{\"title\":\"T\",\"language\":\"c\",\"code\":\"%s\"}",
	              big),
	          "\"code\" is 524289 bytes, at most 524288 (512 KiB)");
	big[TPL_MAX_NOTES + 1] = 0;
	refused_f(fmt("{\"title\":\"T\",\"language\":\"c\",\"notes\":\"%s\"}",
	              big),
	          "\"notes\" is 65537 bytes, at most 65536 (64 KiB)");
	refused("{\"title\":\"T\",\"language\":\"c\",\"notes\":{}}",
	        "\"notes\" must be a string");
	refused("{\"title\":\"T\",\"language\":\"c\",\"notes\":\"\\u0000\"}",
	        "\"notes\" holds a NUL character (\\u0000)");
	free(big);
}

Test(tpl, refuses_bad_tests)
{
	char *big = repeat('x', TPL_MAX_TEST_FIELD + 1);
	char *many, *p;

	refused(T0 "{}}", "\"tests\" must be an array");
	refused(T0 "[1]}", "tests[0] must be an object");
	refused(T0 "[{\"stdin\":\"\",\"expected_stdout\":\"\"},[]]}",
	        "tests[1] must be an object");
	refused(T0 "[{\"stdin\":\"\",\"expected_stdout\":\"\",\"args\":\"\"}]}",
	        "tests[0]: unknown key \"args\"");
	refused(T0 "[{\"stdin\":1,\"expected_stdout\":\"\"}]}",
	        "tests[0].stdin must be a string");
	refused(T0 "[{\"stdin\":\"\",\"expected_stdout\":null}]}",
	        "tests[0].expected_stdout must be a string");
	refused(T0 "[{\"name\":true,\"stdin\":\"\",\"expected_stdout\":\"\"}]}",
	        "tests[0].name must be a string");
	refused(T0 "[{\"stdin\":\"a\\u0000\",\"expected_stdout\":\"\"}]}",
	        "tests[0].stdin holds a NUL character (\\u0000)");
	refused(T0 "[{\"expected_stdout\":\"\"}]}", "tests[0] needs \"stdin\"");
	refused(T0 "[{\"name\":\"n\",\"stdin\":\"\"}]}",
	        "tests[0] needs \"expected_stdout\"");
	refused_f(fmt(T0 "[{\"stdin\":\"%s\",\"expected_stdout\":\"\"}]}", big),
	          "tests[0].stdin is 65537 bytes, at most 65536");
	refused_f(fmt(T0 "[{\"stdin\":\"\",\"expected_stdout\":\"%s\"}]}", big),
	          "tests[0].expected_stdout is 65537 bytes, at most 65536");
	big[TPL_MAX_TEST_NAME + 1] = 0;
	refused_f(
	        fmt(T0
	            "[{\"name\":\"%s\",\"stdin\":\"\",\"expected_stdout\":\"\"}]}",
	            big),
	        "tests[0].name is 65 bytes, at most 64");

	/* 65 tests */
	many = malloc(65 * 64 + 64);
	cr_assert_not_null(many);
	p = many + sprintf(many, T0 "[");
	for (int i = 0; i < 65; i++)
		p += sprintf(p, "%s{\"stdin\":\"\",\"expected_stdout\":\"\"}",
		             i ? "," : "");
	sprintf(p, "]}");
	refused(many, "\"tests\" has 65 tests, at most 64");
	free(many);

	/* 5 tests of 2 x 32 KiB and a name: more than 256 KiB in all */
	free(big);
	big = repeat('x', 32 * KiB);
	many = malloc(5 * (64 * KiB + 100) + 64);
	cr_assert_not_null(many);
	p = many + sprintf(many, T0 "[");
	for (int i = 0; i < 5; i++)
		p += sprintf(
		        p,
		        "%s{\"name\":\"n\",\"stdin\":\"%s\",\"expected_stdout\":\"%s\"}",
		        i ? "," : "", big, big);
	sprintf(p, "]}");
	refused(many, "the tests hold 327685 bytes, at most 262144 (256 KiB)");
	free(many);
	free(big);
}

Test(tpl, refuses_a_file_over_1_mib_naming_it)
{
	static const char head[] = "{\"title\":\"T\",\"language\":\"c\"}";
	char *text = repeat(' ', TPL_MAX_FILE + 1);
	struct tpl t;

	/* exactly 1 MiB (trailing spaces) is fine */
	memcpy(text, head, sizeof(head) - 1);
	write_bytes("t.json", text, TPL_MAX_FILE);
	cr_assert_eq(tpl_load(tmp, "t", &t, err, sizeof(err)), 0, "%s", err);
	tpl_fini(&t);
	write_bytes("t.json", text, TPL_MAX_FILE + 1);
	cr_assert_eq(tpl_load(tmp, "t", &t, err, sizeof(err)), -EBADMSG);
	cr_assert_str_eq(
	        err,
	        "templates/t.json: 1048577 bytes, at most 1048576 (1 MiB)");
	cr_assert_eq(
	        tpl_parse("t", text, TPL_MAX_FILE + 1, &t, err, sizeof(err)),
	        -EBADMSG);
	cr_assert_str_eq(
	        err,
	        "templates/t.json: 1048577 bytes, at most 1048576 (1 MiB)");
	free(text);
}

Test(tpl, refuses_bad_names_without_opening_anything)
{
	static const char *const bad[] = {"",   "a.b", "../t",      "sub/../t",
	                                  "t ", "-\n", "\xc3\xa9t", ".t"};
	char sub[128], *long_name = repeat('a', TPL_MAX_NAME + 1);
	struct tpl t;

	/* tmp/t.json exists, so only the name check keeps "../t" out */
	write_file("t.json", "{\"title\":\"T\",\"language\":\"c\"}");
	snprintf(sub, sizeof(sub), "%s/sub", tmp);
	cr_assert_eq(mkdir(sub, 0700), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_not(tpl_name_valid(bad[i]), "'%s'", bad[i]);
		cr_assert_eq(tpl_load(sub, bad[i], &t, err, sizeof(err)),
		             -EINVAL, "'%s'", bad[i]);
		cr_assert_str_eq(
		        err, "bad template name: 1 to 64 of A-Z a-z 0-9 _ -");
		cr_assert_eq(tpl_parse(bad[i], "{}", 2, &t, err, sizeof(err)),
		             -EINVAL);
	}
	cr_assert_not(tpl_name_valid(NULL));
	cr_assert_not(tpl_name_valid(long_name));
	cr_assert_eq(tpl_load(tmp, long_name, &t, err, sizeof(err)), -EINVAL);
	long_name[TPL_MAX_NAME] = 0;
	cr_assert(tpl_name_valid(long_name));
	cr_assert(tpl_name_valid("Two-sum_2"));
	free(long_name);
}

Test(tpl, what_is_not_a_template_is_enoent)
{
	char path[256], target[256];
	struct tpl t;

	cr_assert_eq(tpl_load(tmp, "none", &t, err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(err, "templates/none.json: no such template");
	snprintf(path, sizeof(path), "%s/missing", tmp);
	cr_assert_eq(tpl_load(path, "none", &t, err, sizeof(err)), -ENOENT);
	/* a directory, a FIFO (and no hang), a dangling link */
	snprintf(path, sizeof(path), "%s/d.json", tmp);
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(tpl_load(tmp, "d", &t, err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(
	        err, "templates/d.json: not a regular file, so not a template");
	snprintf(path, sizeof(path), "%s/f.json", tmp);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(tpl_load(tmp, "f", &t, err, sizeof(err)), -ENOENT);
	snprintf(path, sizeof(path), "%s/l.json", tmp);
	cr_assert_eq(symlink("nowhere.json", path), 0);
	cr_assert_eq(tpl_load(tmp, "l", &t, err, sizeof(err)), -ENOENT);
	/* a link to a directory */
	snprintf(path, sizeof(path), "%s/ld.json", tmp);
	cr_assert_eq(symlink("d.json", path), 0);
	cr_assert_eq(tpl_load(tmp, "ld", &t, err, sizeof(err)), -ENOENT);
	/* a link to a regular file is a template */
	write_file("real", "{\"title\":\"Linked\",\"language\":\"c\"}");
	snprintf(path, sizeof(path), "%s/lr.json", tmp);
	snprintf(target, sizeof(target), "%s/real", tmp);
	cr_assert_eq(symlink(target, path), 0);
	cr_assert_eq(tpl_load(tmp, "lr", &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(t.title, "Linked");
	tpl_fini(&t);
	/* a loop is an error of its own */
	snprintf(path, sizeof(path), "%s/loop.json", tmp);
	cr_assert_eq(symlink("loop.json", path), 0);
	cr_assert_eq(tpl_load(tmp, "loop", &t, err, sizeof(err)), -ELOOP);
	cr_assert_str_eq(
	        err,
	        "templates/loop.json: cannot open: Too many levels of symbolic links");
}

Test(tpl, directory_that_is_a_file)
{
	char path[256];
	json_object *list;
	struct tpl t;

	write_file("plain", "x");
	snprintf(path, sizeof(path), "%s/plain", tmp);
	cr_assert_eq(tpl_load(path, "t", &t, err, sizeof(err)), -ENOTDIR);
	cr_assert_eq(tpl_list(path, &list, NULL, NULL, err, sizeof(err)),
	             -ENOTDIR);
	cr_assert_null(list);
	cr_assert(strstr(err, "templates: cannot open ") == err, "%s", err);
	cr_assert(strstr(err, "/plain: Not a directory"), "%s", err);
}

/* ---------------------------------------------------------- listing */

struct skipped {
	char text[8192];
	int n;
};

static void on_skip(void *arg, const char *name, int error, const char *msg)
{
	struct skipped *s = arg;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s %d %s\n", name,
	         error, msg);
	s->n++;
}

static const char *plain(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

Test(tpl, missing_directory_lists_nothing)
{
	char path[256];
	json_object *list;
	struct skipped s = {{0}, 0};

	snprintf(path, sizeof(path), "%s/none", tmp);
	cr_assert_eq(tpl_list(path, &list, on_skip, &s, err, sizeof(err)), 0);
	cr_assert_str_eq(plain(list), "[]");
	cr_assert_eq(s.n, 0);
	json_object_put(list);
}

Test(tpl, list_shows_valid_templates_by_name_and_never_their_content)
{
	char path[256], target[256];
	json_object *list;
	struct skipped s = {{0}, 0};
	char *big = repeat(' ', TPL_MAX_FILE + 1);

	write_file(
	        "two-sum.json",
	        "{\"title\":\"Two sum\",\"language\":\"python\",\"code\":\"SECRET-CODE\","
	        "\"notes\":\"SECRET-NOTES\",\"tests\":["
	        "{\"stdin\":\"SECRET-IN\",\"expected_stdout\":\"1\"},"
	        "{\"stdin\":\"2\",\"expected_stdout\":\"2\"}]}");
	write_file("FizzBuzz.json", "{\"title\":\"Fizz\",\"language\":\"c\"}");
	write_file("broken.json",
	           "{\"title\":\"B\",\"language\":\"c\",\"x\":1}");
	memcpy(big, "{\"title\":\"B\",\"language\":\"c\"}", 29);
	write_bytes("huge.json", big, TPL_MAX_FILE + 1);
	free(big);
	/* ignored: other names, dotfiles, non-regular files, dangling links */
	write_file(".hidden.json", "{\"title\":\"H\",\"language\":\"c\"}");
	write_file("notes.txt", "{\"title\":\"N\",\"language\":\"c\"}");
	write_file("upper.JSON", "{\"title\":\"U\",\"language\":\"c\"}");
	write_file("two sum.json", "{\"title\":\"S\",\"language\":\"c\"}");
	write_file("a.b.json", "{\"title\":\"D\",\"language\":\"c\"}");
	write_file(".json", "{\"title\":\"E\",\"language\":\"c\"}");
	write_file("two-sum.json~", "{\"title\":\"E\",\"language\":\"c\"}");
	snprintf(path, sizeof(path), "%s/dir.json", tmp);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/fifo.json", tmp);
	cr_assert_eq(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/dangling.json", tmp);
	cr_assert_eq(symlink("nowhere", path), 0);
	/* a link to a regular file counts, under its own name */
	snprintf(path, sizeof(path), "%s/alias.json", tmp);
	snprintf(target, sizeof(target), "%s/two-sum.json", tmp);
	cr_assert_eq(symlink(target, path), 0);

	cr_assert_eq(tpl_list(tmp, &list, on_skip, &s, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_str_eq(
	        plain(list),
	        "[{\"name\":\"FizzBuzz\",\"title\":\"Fizz\",\"language\":\"c\",\"tests\":0},"
	        "{\"name\":\"alias\",\"title\":\"Two sum\",\"language\":\"python\",\"tests\":2},"
	        "{\"name\":\"two-sum\",\"title\":\"Two sum\",\"language\":\"python\",\"tests\":2}]");
	cr_assert_null(strstr(plain(list), "SECRET"));
	cr_assert_eq(s.n, 2, "%s", s.text);
	cr_assert_str_eq(
	        s.text,
	        "broken -74 templates/broken.json: unknown key \"x\"\n"
	        "huge -74 templates/huge.json: 1048577 bytes, at most 1048576 (1 MiB)\n");
	json_object_put(list);
	/* no callback is fine too */
	cr_assert_eq(tpl_list(tmp, &list, NULL, NULL, err, sizeof(err)), 0);
	cr_assert_eq(json_object_array_length(list), 3);
	json_object_put(list);
}

Test(tpl, list_holds_at_most_256)
{
	json_object *list;
	struct skipped s = {{0}, 0};

	/* t000 .. t258, t005 broken: t000..t256 but t005 listed (256) */
	for (int i = 258; i >= 0; i--) {
		char file[32];

		snprintf(file, sizeof(file), "t%03d.json", i);
		write_file(file,
		           i == 5 ? "{\"title\":\"\",\"language\":\"c\"}"
		                  : "{\"title\":\"T\",\"language\":\"c\"}");
	}
	cr_assert_eq(tpl_list(tmp, &list, on_skip, &s, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(json_object_array_length(list), TPL_MAX_LIST);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(
	                         json_object_array_get_idx(list, 0), "name")),
	                 "t000");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(
	                         json_object_array_get_idx(list, 5), "name")),
	                 "t006");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(
	                         json_object_array_get_idx(list, 255), "name")),
	                 "t256");
	cr_assert_str_eq(
	        s.text,
	        "t005 -74 templates/t005.json: \"title\" is empty\n"
	        "t257 -7 templates/t257.json: not listed, a list holds at most 256 templates\n"
	        "t258 -7 templates/t258.json: not listed, a list holds at most 256 templates\n");
	json_object_put(list);
}

/* ------------------------------------------------- shipped templates */

/* Whether [id] is a section of sandbox/languages.conf. */
static bool registered(const char *id)
{
	FILE *f = fopen(LANGUAGES, "r");
	char line[512], want[64];
	bool found = false;

	cr_assert_not_null(f, "%s: run the tests from the source tree",
	                   LANGUAGES);
	snprintf(want, sizeof(want), "[%s]\n", id);
	while (!found && fgets(line, sizeof(line), f))
		found = strcmp(line, want) == 0;
	fclose(f);
	return found;
}

Test(tpl, every_shipped_template_loads)
{
	DIR *d = opendir(EXAMPLES);
	struct dirent *de;
	json_object *list;
	size_t n = 0;
	struct skipped s = {{0}, 0};

	cr_assert_not_null(d, "%s: run the tests from the source tree",
	                   EXAMPLES);
	while ((de = readdir(d))) {
		char name[TPL_MAX_NAME + 1];
		size_t len = strlen(de->d_name);
		struct tpl t;
		size_t tests;

		if (de->d_name[0] == '.')
			continue;
		cr_assert(len > 5 && len - 5 <= TPL_MAX_NAME &&
		                  strcmp(de->d_name + len - 5, ".json") == 0,
		          "%s/%s is not a template's file name", EXAMPLES,
		          de->d_name);
		memcpy(name, de->d_name, len - 5);
		name[len - 5] = 0;
		cr_assert_eq(tpl_load(EXAMPLES, name, &t, err, sizeof(err)), 0,
		             "%s", err);
		/* a good example: a language runpad has, starter code, 2 to
		   4 tests, notes for the interviewer */
		cr_assert(registered(t.language),
		          "%s: language %s is not in %s", name, t.language,
		          LANGUAGES);
		cr_assert_neq(t.code[0], 0, "%s: no starter code", name);
		cr_assert_neq(t.notes[0], 0, "%s: no notes", name);
		tests = json_object_array_length(t.tests);
		cr_assert(tests >= 2 && tests <= 4, "%s: %zu tests", name,
		          tests);
		tpl_fini(&t);
		n++;
	}
	closedir(d);
	cr_assert_geq(n, 3);
	cr_assert_eq(tpl_list(EXAMPLES, &list, on_skip, &s, err, sizeof(err)),
	             0);
	cr_assert_eq(json_object_array_length(list), n);
	cr_assert_eq(s.n, 0, "%s", s.text);
	json_object_put(list);
}
