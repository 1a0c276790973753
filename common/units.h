/*
 * units.h - sizes and durations as people write them in settings files,
 * command lines and API limits.  Pure functions: no allocation, no state.
 *
 * A number is decimal with an optional fraction of up to three digits
 * (further digits are ignored), then a unit, case-insensitive:
 *   sizes      "" b (bytes), k kb kib, m mb mib, g gb gib (powers of 1024)
 *   durations  "" s sec (seconds), ms, m min, h
 */
#ifndef RUNPAD_UNITS_H
#define RUNPAD_UNITS_H

#include <stdint.h>

/* 0 and *out in bytes; -EINVAL (no number, unknown unit) or -ERANGE. */
int units_parse_size(const char *s, uint64_t *out);
/* 0 and *out in milliseconds; -EINVAL or -ERANGE. */
int units_parse_duration_ms(const char *s, uint64_t *out);
/* A whole number, no fraction or unit: 0, -EINVAL or -ERANGE. */
int units_parse_count(const char *s, uint64_t *out);

#endif
