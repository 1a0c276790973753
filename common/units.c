/*
 * units.c - sizes and durations in the settings and limits people write:
 * "64M", "1.5GiB", "512k", "2s", "500ms", "1.5min".  See units.h.
 */
#include "units.h"

#include <errno.h>
#include <stddef.h>
#include <strings.h>

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/*
 * Parse an unsigned decimal with an optional fraction of up to three
 * digits, scaled by `scale`.  Returns the number of bytes consumed, or -1.
 * Overflow is reported as -2.
 */
static int parse_scaled(const char *s, uint64_t scale_num, uint64_t *out,
                        const char **rest)
{
	uint64_t whole = 0, frac = 0, fdiv = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -2;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (fdiv < 1000) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				fdiv *= 10;
			}
		}
	}
	if (scale_num && whole > UINT64_MAX / scale_num)
		return -2;
	*out = whole * scale_num + frac * scale_num / fdiv;
	*rest = p;
	return 0;
}

struct unit {
	const char *suffix;
	uint64_t mul;
};

/* A number with one of `units` after it, scaled by that unit's factor. */
static int parse_with_units(const char *s, const struct unit *units, size_t n,
                            uint64_t *out)
{
	const char *rest;
	uint64_t base;
	int r;

	if (!s)
		return -EINVAL;
	/* Parse the number once to find the suffix, then again scaled. */
	r = parse_scaled(s, 1, &base, &rest);
	if (r == -2)
		return -ERANGE;
	if (r < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(rest, units[i].suffix) == 0) {
			r = parse_scaled(s, units[i].mul, out, &rest);
			return r == -2 ? -ERANGE : r < 0 ? -EINVAL : 0;
		}
	}
	return -EINVAL;
}

int units_parse_size(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
	        {"", 1},      {"b", 1},    {"k", KiB},   {"kb", KiB},
	        {"kib", KiB}, {"m", MiB},  {"mb", MiB},  {"mib", MiB},
	        {"g", GiB},   {"gb", GiB}, {"gib", GiB},
	};

	return parse_with_units(s, units, sizeof(units) / sizeof(units[0]),
	                        out);
}

int units_parse_duration_ms(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
	        {"", 1000},   {"s", 1000},    {"sec", 1000},  {"ms", 1},
	        {"m", 60000}, {"min", 60000}, {"h", 3600000},
	};

	return parse_with_units(s, units, sizeof(units) / sizeof(units[0]),
	                        out);
}

int units_parse_count(const char *s, uint64_t *out)
{
	const char *rest;
	int r;

	if (!s)
		return -EINVAL;
	r = parse_scaled(s, 1, out, &rest);
	if (r == -2)
		return -ERANGE;
	if (r < 0 || *rest)
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if (*p == '.')
			return -EINVAL;
	return 0;
}
