/* Unit tests: common/conf. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

struct seen {
	char keys[8][32];
	char vals[8][64];
	int n;
};

static int collect(void *arg, const char *k, const char *v, char *err,
                   size_t errlen)
{
	struct seen *s = arg;

	if (strcmp(k, "fail") == 0) {
		snprintf(err, errlen, "fail is not allowed");
		return -EINVAL;
	}
	snprintf(s->keys[s->n], 32, "%s", k);
	snprintf(s->vals[s->n], 64, "%s", v);
	s->n++;
	return 0;
}

Test(conf, parses_keys_values_comments)
{
	struct seen s = {0};
	char err[128];
	const char *t = "# c\n; c\n\n  slots = 4 \nbind=/a\nbind = /b c\r\n"
	                "empty =\n";

	cr_assert_eq(conf_parse(t, strlen(t), collect, &s, err, sizeof(err)),
	             0);
	cr_assert_eq(s.n, 4);
	cr_assert_str_eq(s.keys[0], "slots");
	cr_assert_str_eq(s.vals[0], "4");
	cr_assert_str_eq(s.vals[2], "/b c");
	cr_assert_str_eq(s.vals[3], "");
}

Test(conf, errors_carry_the_line)
{
	struct seen s = {0};
	char err[128];

	cr_assert_eq(
	        conf_parse("a=1\nnovalue\n", 12, collect, &s, err, sizeof(err)),
	        -EINVAL);
	cr_assert_str_eq(err, "line 2: expected key = value");
	cr_assert_eq(
	        conf_parse("a=1\nfail=1\n", 11, collect, &s, err, sizeof(err)),
	        -EINVAL);
	cr_assert_str_eq(err, "line 2: fail is not allowed");
	cr_assert_eq(conf_parse("b@d=1\n", 6, collect, &s, err, sizeof(err)),
	             -EINVAL);
	cr_assert_eq(conf_parse("a=\0\n", 4, collect, &s, err, sizeof(err)),
	             -EINVAL);
}

Test(conf, load_missing_file_says_which)
{
	char err[256];

	cr_assert_eq(conf_load("/nonexistent/x.conf", collect, NULL, err,
	                       sizeof(err)),
	             -ENOENT);
	cr_assert(strstr(err, "/nonexistent/x.conf"));
}

Test(conf, bools_and_uints)
{
	unsigned long long u;

	cr_assert_eq(conf_bool("Yes"), 1);
	cr_assert_eq(conf_bool("off"), 0);
	cr_assert_eq(conf_bool("maybe"), -EINVAL);
	cr_assert_eq(conf_uint("42", 1, 100, &u), 0);
	cr_assert_eq(u, 42);
	cr_assert_eq(conf_uint("0", 1, 100, &u), -ERANGE);
	cr_assert_eq(conf_uint("4x", 1, 100, &u), -EINVAL);
	cr_assert_eq(conf_uint("", 0, 100, &u), -EINVAL);
	cr_assert_eq(conf_uint("-1", 0, 100, &u), -EINVAL);
	cr_assert_eq(conf_uint("99999999999999999999999", 0, ~0ULL, &u),
	             -ERANGE);
}

Test(conf, set_string_replaces_and_owns_its_copy)
{
	char *s = NULL, value[] = "first";

	cr_assert_eq(conf_set_string(&s, value), 0);
	value[0] = 'F';
	cr_assert_str_eq(s, "first", "a copy, not the caller's buffer");
	cr_assert_eq(conf_set_string(&s, "second"), 0);
	cr_assert_str_eq(s, "second");
	free(s);
}
