/* Unit tests: the growable byte string. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

Test(buf, zeroed_is_empty_and_fini_accepts_it)
{
	struct buf b = {0};
	cr_assert_null(b.p);
	cr_assert_eq(b.len, 0);
	buf_fini(&b);
	buf_clear(&b);
	size_t n = 99;
	char *s = buf_steal(&b, &n);
	cr_assert_str_eq(s, "");
	cr_assert_eq(n, 0);
	free(s);
}

Test(buf, adds_grow_and_stay_terminated)
{
	struct buf b = {0};
	for (int i = 0; i < 10000; i++)
		cr_assert_eq(buf_add(&b, "abc", 3), 0);
	cr_assert_eq(b.len, 30000);
	cr_assert_eq(b.p[b.len], '\0');
	cr_assert_geq(b.cap, b.len + 1);
	for (size_t i = 0; i < b.len; i += 3)
		cr_assert_eq(memcmp(b.p + i, "abc", 3), 0, "at %zu", i);
	cr_assert_eq(buf_add(&b, "\0x", 2), 0); /* bytes, not strings */
	cr_assert_eq(b.len, 30002);
	cr_assert_eq(b.p[30001], 'x');
	buf_clear(&b);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(b.p, "");
	buf_fini(&b);
	cr_assert_null(b.p);
	cr_assert_eq(b.cap, 0);
}

Test(buf, addf_short_and_long)
{
	struct buf b = {0};
	cr_assert_eq(buf_addf(&b, "%d-%s", 42, "x"), 0);
	cr_assert_str_eq(b.p, "42-x");
	char big[1000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(buf_addf(&b, "[%s]", big), 0);
	cr_assert_eq(b.len, 4 + 2 + 999);
	cr_assert_eq(b.p[4], '[');
	cr_assert_eq(b.p[b.len - 1], ']');
	cr_assert_eq(b.p[b.len], '\0');
	buf_fini(&b);
}

Test(buf, max_refuses_whole_adds_and_keeps_what_fits)
{
	struct buf b = {0};
	buf_limit(&b, 10);
	cr_assert_eq(buf_add(&b, "0123456", 7), 0);
	cr_assert_eq(buf_add(&b, "7890", 4), -EFBIG);
	cr_assert_str_eq(b.p, "0123456"); /* unchanged */
	cr_assert_leq(b.cap, 11);         /* never allocates past max + 1 */
	int err = -1;
	cr_assert_eq(buf_add_upto(&b, "7890", 4, &err), 3);
	cr_assert_eq(err, 0);
	cr_assert_str_eq(b.p, "0123456789");
	cr_assert_eq(buf_add_upto(&b, "x", 1, &err), 0);
	cr_assert_eq(b.len, 10);
	cr_assert_eq(buf_addf(&b, "%s", "y"), -EFBIG);
	cr_assert_eq(buf_reserve(&b, 0), 0);
	cr_assert_eq(b.cap, 11);
	size_t n;
	char *s = buf_steal(&b, &n);
	cr_assert_eq(n, 10);
	cr_assert_eq(b.max, 10); /* the limit stays */
	cr_assert_null(b.p);
	free(s);
}

Test(buf, reserve_then_commit)
{
	struct buf b = {0};
	cr_assert_eq(buf_reserve(&b, 5000), 0);
	cr_assert_geq(b.cap, 5001);
	memcpy(b.p, "hello", 5);
	buf_commit(&b, 5);
	cr_assert_str_eq(b.p, "hello");
	cr_assert_eq(buf_reserve(&b, SIZE_MAX), -EFBIG); /* overflow */
	cr_assert_eq(buf_reserve(&b, SIZE_MAX - 5), -EFBIG);
	cr_assert_str_eq(b.p, "hello");
	buf_fini(&b);
}

Test(buf, a_limit_of_zero_holds_nothing)
{
	struct buf b = {0};
	buf_limit(&b, 0);
	cr_assert_eq(buf_add(&b, "a", 1), -EFBIG);
	int err = -1;
	cr_assert_eq(buf_add_upto(&b, "abc", 3, &err), 0);
	cr_assert_eq(err, 0);
	cr_assert_eq(b.len, 0);
	cr_assert_not_null(b.p); /* "" once asked to hold something */
	cr_assert_str_eq(b.p, "");
	buf_fini(&b);
	cr_assert(b.bounded);
}

/* The largest limit is no limit: the first allocation is not cut to
   SIZE_MAX + 1, which is 0. */
Test(buf, a_limit_of_size_max_grows_as_unbounded)
{
	struct buf b = {0};

	buf_limit(&b, SIZE_MAX);
	cr_assert_eq(buf_addf(&b, "{\"format\":1,\"pad\":\"%s\",\"head\":%d}",
	                      "a-pad-with-a-long-enough-name", 12345),
	             0);
	cr_assert_str_eq(
	        b.p,
	        "{\"format\":1,\"pad\":\"a-pad-with-a-long-enough-name\",\"head\":12345}");
	cr_assert_geq(b.cap, b.len + 1);
	for (int i = 0; i < 10000; i++)
		cr_assert_eq(buf_add(&b, "0123456789", 10), 0);
	cr_assert_eq(b.len, 63 + 100000);
	buf_fini(&b);
}
