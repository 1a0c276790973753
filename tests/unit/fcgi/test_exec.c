/* Unit tests: fcgi/exec, its pure parts (the jail is not started here). */
#include <criterion/criterion.h>
#include <string.h>

#include "exec.h"

static size_t cut(const char *s)
{
	return exec_utf8_cut(s, strlen(s));
}

Test(exec, utf8_cut_ascii)
{
	cr_assert_eq(exec_utf8_cut("", 0), 0);
	cr_assert_eq(cut("a"), 1);
	cr_assert_eq(cut("hello\n"), 6);
	cr_assert_eq(exec_utf8_cut("a\0", 2), 2);
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
				cr_assert_eq(exec_utf8_cut(buf, pre + i), pre,
				             "char %zu, %zu of %zu bytes after "
				             "'%s'",
				             c, i, k, before[b]);
			cr_assert_eq(exec_utf8_cut(buf, pre + k), pre + k,
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
