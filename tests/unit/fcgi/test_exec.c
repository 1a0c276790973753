/* Unit tests: fcgi/exec, its pure parts (the jail is not started here). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "utf8.h"

static size_t cut(const char *s)
{
	return utf8_complete(s, strlen(s));
}

Test(exec, utf8_cut_ascii)
{
	cr_assert_eq(utf8_complete("", 0), 0);
	cr_assert_eq(cut("a"), 1);
	cr_assert_eq(cut("hello\n"), 6);
	cr_assert_eq(utf8_complete("a\0", 2), 2);
}

Test(exec, utf8_cut_holds_back_an_incomplete_sequence)
{
	/* é (2 bytes), € (3), 😀 (4) */
	static const char *const chars[] = {"\xc3\xa9", "\xe2\x82\xac",
	                                    "\xf0\x9f\x98\x80"};
	char buf[16];

	for (size_t c = 0; c < sizeof(chars) / sizeof(chars[0]); c++) {
		size_t k = strlen(chars[c]);
		/* after ASCII, after a complete multibyte character, alone */
		static const char *const before[] = {"ab", "\xc3\xa9", ""};
		for (size_t b = 0; b < 3; b++) {
			size_t pre = strlen(before[b]);
			memcpy(buf, before[b], pre);
			memcpy(buf + pre, chars[c], k);
			for (size_t i = 1; i < k; i++)
				cr_assert_eq(utf8_complete(buf, pre + i), pre,
				             "char %zu, %zu of %zu bytes after "
				             "'%s'",
				             c, i, k, before[b]);
			cr_assert_eq(utf8_complete(buf, pre + k), pre + k,
			             "char %zu complete", c);
		}
	}
}

Test(exec, utf8_cut_leaves_complete_text_alone)
{
	cr_assert_eq(cut("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"), 15);
	cr_assert_eq(cut("\xf0\x9f\x98\x80\xf0\x9f\x98\x80"), 8);
	cr_assert_eq(cut("\xc3\xa9\xc3\xa9"), 4);
}

Test(exec, utf8_cut_does_not_hold_invalid_bytes)
{
	/* nothing could complete these: waiting would only delay them */
	cr_assert_eq(cut("a\x80"), 2);
	cr_assert_eq(cut("\x80\x80\x80\x80\x80"), 5);
	cr_assert_eq(cut("a\xff"), 2);
	cr_assert_eq(cut("a\xf8"), 2);
	/* a 2-byte lead followed by too many continuation bytes */
	cr_assert_eq(cut("\xc3\xa9\x80"), 3);
}

static const char *status(enum sbx_verdict v, bool out_trunc, bool err_trunc)
{
	struct sbx_stage_result s;

	memset(&s, 0, sizeof(s));
	s.verdict = v;
	s.out_truncated = out_trunc;
	s.err_truncated = err_trunc;
	return exec_piston_status(&s);
}

Test(exec, piston_status_for_each_verdict)
{
	cr_assert_null(status(SBX_ACCEPTED, false, false));
	cr_assert_str_eq(status(SBX_RUNTIME_ERROR, false, false), "RE");
	cr_assert_str_eq(status(SBX_SIGNAL, false, false), "SG");
	cr_assert_str_eq(status(SBX_TIME_LIMIT, false, false), "TO");
	cr_assert_str_eq(status(SBX_MEMORY_LIMIT, false, false), "SG");
	cr_assert_str_eq(status(SBX_FILE_SIZE_LIMIT, false, false), "SG");
	cr_assert_str_eq(status(SBX_PROCESS_LIMIT, false, false), "SG");
	cr_assert_str_eq(status(SBX_INTERNAL_ERROR, false, false), "XX");
}

Test(exec, piston_status_output_limits)
{
	/* stdout over its limit (or both): OL; only stderr: EL */
	cr_assert_str_eq(status(SBX_OUTPUT_LIMIT, true, false), "OL");
	cr_assert_str_eq(status(SBX_OUTPUT_LIMIT, true, true), "OL");
	cr_assert_str_eq(status(SBX_OUTPUT_LIMIT, false, true), "EL");
	cr_assert_str_eq(status(SBX_OUTPUT_LIMIT, false, false), "OL");
}

Test(exec, piston_status_time_limit_either_clock)
{
	struct sbx_stage_result s;

	memset(&s, 0, sizeof(s));
	s.verdict = SBX_TIME_LIMIT;
	s.time_limit_wall = true;
	cr_assert_str_eq(exec_piston_status(&s), "TO");
	s.time_limit_wall = false;
	cr_assert_str_eq(exec_piston_status(&s), "TO");
	/* a cancelled stage reports as killed by a signal */
	s.verdict = SBX_SIGNAL;
	s.cancelled = true;
	s.signal = 9;
	cr_assert_str_eq(exec_piston_status(&s), "SG");
}

/* A result as exec_run leaves it after a run whose program returned a
   PNG, a text file and an entry that was refused. */
static void fake_result(struct exec_result *x, struct run_req *r,
                        struct sbx_lang *l)
{
	struct sbx_out *o = &x->job.out;

	memset(x, 0, sizeof(*x));
	memset(r, 0, sizeof(*r));
	memset(l, 0, sizeof(*l));
	l->id = "python";
	r->lang = l;
	x->verdict = "accepted";
	x->job.verdict = SBX_ACCEPTED;
	x->job.ran = true;
	o->files = calloc(2, sizeof(*o->files));
	o->refused = calloc(1, sizeof(*o->refused));
	cr_assert(o->files && o->refused);
	o->nfiles = 2;
	snprintf(o->files[0].name, sizeof(o->files[0].name), "plot.png");
	o->files[0].type = "image/png";
	o->files[0].data = malloc(9);
	memcpy(o->files[0].data, "\x89PNG\r\n\x1a\n", 9);
	o->files[0].len = 8;
	o->files[0].size = 8;
	snprintf(o->files[1].name, sizeof(o->files[1].name), "log.txt");
	o->files[1].type = "text/plain";
	o->files[1].text = true;
	o->files[1].data = strdup("step 1\n");
	o->files[1].len = 7;
	o->files[1].size = 4000;
	o->files[1].truncated = true;
	o->nrefused = 1;
	snprintf(o->refused[0].name, sizeof(o->refused[0].name), "x.bin");
	snprintf(o->refused[0].reason, sizeof(o->refused[0].reason),
	         "not a type runpad returns (png, svg, txt, csv, json)");
	o->truncated = true;
}

static const char *str_at(json_object *o, const char *key)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_string(v);
}

Test(exec, result_carries_the_files_piston_does_not)
{
	struct exec_result x;
	struct run_req r;
	struct sbx_lang l;
	json_object *o, *files, *f, *v;

	fake_result(&x, &r, &l);
	o = exec_result_json(&r, &x);
	cr_assert(json_object_object_get_ex(o, "files", &files));
	cr_assert_eq(json_object_array_length(files), 2);
	f = json_object_array_get_idx(files, 0);
	cr_assert_str_eq(str_at(f, "name"), "plot.png");
	cr_assert_str_eq(str_at(f, "type"), "image/png");
	cr_assert_str_eq(str_at(f, "encoding"), "base64");
	cr_assert_str_eq(str_at(f, "data"), "iVBORw0KGgo=");
	f = json_object_array_get_idx(files, 1);
	cr_assert_str_eq(str_at(f, "encoding"), "utf-8");
	cr_assert_str_eq(str_at(f, "data"), "step 1\n");
	json_object_object_get_ex(f, "size", &v);
	cr_assert_eq(json_object_get_int64(v), 4000);
	json_object_object_get_ex(f, "truncated", &v);
	cr_assert(json_object_get_boolean(v));
	cr_assert(json_object_object_get_ex(o, "files_refused", &v));
	cr_assert_eq(json_object_array_length(v), 1);
	cr_assert_str_eq(
	        str_at(json_object_array_get_idx(v, 0), "reason"),
	        "not a type runpad returns (png, svg, txt, csv, json)");
	json_object_object_get_ex(o, "files_truncated", &v);
	cr_assert(json_object_get_boolean(v));
	json_object_put(o);

	o = exec_piston_json(&r, &x);
	cr_assert_not(json_object_object_get_ex(o, "files", NULL));
	cr_assert_not(json_object_object_get_ex(o, "files_refused", NULL));
	cr_assert_not(json_object_object_get_ex(o, "files_truncated", NULL));
	json_object_put(o);
	exec_result_fini(&x);
}

Test(exec, result_without_files_has_empty_lists)
{
	struct exec_result x;
	struct run_req r;
	struct sbx_lang l;
	json_object *o, *v;

	fake_result(&x, &r, &l);
	sbx_out_fini(&x.job.out);
	x.verdict = "compile_error";
	x.job.ran = false;
	o = exec_result_json(&r, &x);
	cr_assert(json_object_object_get_ex(o, "files", &v));
	cr_assert_eq(json_object_array_length(v), 0);
	cr_assert(json_object_object_get_ex(o, "files_refused", &v));
	cr_assert_eq(json_object_array_length(v), 0);
	cr_assert(json_object_object_get_ex(o, "files_truncated", &v));
	cr_assert_not(json_object_get_boolean(v));
	json_object_put(o);
	exec_result_fini(&x);
}
