/* Unit tests: the daemons' log. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static void fini(void)
{
	log_init(NULL);
}

Test(log, lines_carry_priority_and_ident, .init = cr_redirect_stderr,
     .fini = fini)
{
	log_init("runpad-test");
	log_msg(LOG_ERR, "cannot %s: %d", "open", 5);
	log_msg(LOG_INFO, "ok");
	log_init(NULL);
	log_msg(LOG_WARNING, "bare");
	log_msg(42, "clamped");
	log_msg(-1, "clamped");
	fflush(stderr);
	cr_assert_stderr_eq_str("<3>runpad-test: cannot open: 5\n"
	                        "<6>runpad-test: ok\n"
	                        "<4>bare\n"
	                        "<7>clamped\n"
	                        "<0>clamped\n");
}

Test(log, a_long_line_is_cut_and_still_ends_the_line,
     .init = cr_redirect_stderr, .fini = fini)
{
	static char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	log_msg(LOG_INFO, "%s", big);
	log_write(big);
	fflush(stderr);
	FILE *f = cr_get_redirected_stderr();
	char line[4096];
	for (int i = 0; i < 2; i++) {
		cr_assert_not_null(fgets(line, sizeof(line), f));
		size_t n = strlen(line);
		cr_assert_eq(n, LOG_LINE_MAX, "line %d: %zu bytes", i, n);
		cr_assert_eq(line[n - 1], '\n');
	}
	cr_assert_null(fgets(line, sizeof(line), f));
}

static int fmt(char *out, size_t len, int prio, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = log_format(out, len, prio, f, ap);
	va_end(ap);
	return n;
}

Test(log, format_gives_the_line_without_writing, .fini = fini)
{
	char out[32];
	log_init("d");
	cr_assert_eq(fmt(out, sizeof(out), LOG_NOTICE, "n=%d", 7), 9);
	cr_assert_str_eq(out, "<5>d: n=7");
	cr_assert_eq(fmt(out, 6, LOG_NOTICE, "long text"), 5);
	cr_assert_str_eq(out, "<5>d:");
	cr_assert_eq(fmt(out, 0, LOG_NOTICE, "x"), 0);
}
