/* Unit tests: common/utf8. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

Test(utf8, valid_sequences)
{
	cr_assert(utf8_valid("", 0));
	cr_assert(utf8_valid("abc", 3));
	cr_assert(utf8_valid("\xc3\xa9", 2));         /* é */
	cr_assert(utf8_valid("\xe2\x82\xac", 3));     /* € */
	cr_assert(utf8_valid("\xf0\x9f\x98\x80", 4)); /* emoji */
	cr_assert(utf8_valid("a\0b", 3));
}

Test(utf8, invalid_sequences)
{
	cr_assert_not(utf8_valid("\xc0\xaf", 2));         /* overlong */
	cr_assert_not(utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
	cr_assert_not(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	cr_assert_not(utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	cr_assert_not(utf8_valid("\xe2\x82", 2));         /* truncated */
	cr_assert_not(utf8_valid("\x80", 1));
	cr_assert_not(utf8_valid("\xff", 1));
}

Test(utf8, sanitize_replaces_each_bad_byte)
{
	size_t n;
	char *s = utf8_sanitize("a\xff"
	                        "b\xe2\x82",
	                        5, &n);

	cr_assert_str_eq(s, "a\xef\xbf\xbd"
	                    "b\xef\xbf\xbd\xef\xbf\xbd");
	cr_assert_eq(n, strlen(s));
	cr_assert(utf8_valid(s, n));
	free(s);
	s = utf8_sanitize("ok \xf0\x9f\x98\x80", 7, &n);
	cr_assert_str_eq(s, "ok \xf0\x9f\x98\x80");
	free(s);
}
