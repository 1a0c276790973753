/* Unit tests: sizes, durations and counts as people write them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>

#include "units.h"

Test(units, sizes_in_powers_of_1024)
{
	uint64_t v;

	cr_assert_eq(units_parse_size("64M", &v), 0);
	cr_assert_eq(v, 64ull << 20);
	cr_assert_eq(units_parse_size("1.5GiB", &v), 0);
	cr_assert_eq(v, 3ull << 29);
	cr_assert_eq(units_parse_size("512kb", &v), 0);
	cr_assert_eq(v, 512ull << 10);
	cr_assert_eq(units_parse_size("7", &v), 0);
	cr_assert_eq(v, 7);
	cr_assert_eq(units_parse_size("", &v), -EINVAL);
	cr_assert_eq(units_parse_size("M", &v), -EINVAL);
	cr_assert_eq(units_parse_size("3 M", &v), -EINVAL);
	cr_assert_eq(units_parse_size("2T", &v), -EINVAL);
	cr_assert_eq(units_parse_size("99999999999999999999", &v), -ERANGE);
	cr_assert_eq(units_parse_size("17179869184G", &v), -ERANGE);
	cr_assert_eq(units_parse_size(NULL, &v), -EINVAL);
}

Test(units, durations_in_milliseconds)
{
	uint64_t v;

	cr_assert_eq(units_parse_duration_ms("2", &v), 0);
	cr_assert_eq(v, 2000);
	cr_assert_eq(units_parse_duration_ms("500ms", &v), 0);
	cr_assert_eq(v, 500);
	cr_assert_eq(units_parse_duration_ms("1.5min", &v), 0);
	cr_assert_eq(v, 90000);
	cr_assert_eq(units_parse_duration_ms("0.25s", &v), 0);
	cr_assert_eq(v, 250);
	cr_assert_eq(units_parse_duration_ms("1h", &v), 0);
	cr_assert_eq(v, 3600000);
	cr_assert_eq(units_parse_duration_ms("1d", &v), -EINVAL);
	cr_assert_eq(units_parse_duration_ms("-1s", &v), -EINVAL);
}

Test(units, counts_are_whole_numbers)
{
	uint64_t v;

	cr_assert_eq(units_parse_count("128", &v), 0);
	cr_assert_eq(v, 128);
	cr_assert_eq(units_parse_count("1.5", &v), -EINVAL);
	cr_assert_eq(units_parse_count("12k", &v), -EINVAL);
	cr_assert_eq(units_parse_count("", &v), -EINVAL);
	cr_assert_eq(units_parse_count("99999999999999999999", &v), -ERANGE);
}
