/*
 * settab.c - settings tables: parse, defaults, reload rules, printing.
 * See settab.h.
 */
#include "settab.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "units.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

static void *field(void *obj, const struct settab_key *k)
{
	return (char *)obj + k->off;
}

static const void *cfield(const void *obj, const struct settab_key *k)
{
	return (const char *)obj + k->off;
}

int settab_check_addr(const char *key, const char *value, char *err,
                      size_t errlen)
{
	struct addr a;
	char why[96];

	if (addr_parse(value, &a, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s, got '%.200s'", key, why, value);
		return -EINVAL;
	}
	return 0;
}

int settab_check_abspath(const char *key, const char *value, char *err,
                         size_t errlen)
{
	if (value[0] != '/') {
		snprintf(err, errlen, "%s: expected an absolute path", key);
		return -EINVAL;
	}
	return 0;
}

const struct settab_key *settab_find(const struct settab *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct settab_key *k = &t->keys[i];
		if (k->flags & SETTAB_PREFIX) {
			size_t n = strlen(k->name);
			if (strncmp(key, k->name, n) == 0 && key[n])
				return k;
		} else if (strcmp(key, k->name) == 0) {
			return k;
		}
	}
	return NULL;
}

void settab_format(const struct settab_key *k, unsigned long long u, char *buf,
                   size_t n)
{
	static const struct {
		unsigned long long div;
		const char *unit;
	} sizes[] = {{GiB, "G"}, {MiB, "M"}, {KiB, "K"}},
	  times[] = {{3600000, "h"}, {60000, "min"}, {1000, "s"}, {1, "ms"}};

	if (k->type == SETTAB_OCTAL) {
		snprintf(buf, n, "%04llo", u);
		return;
	}
	if (u == 0 || (k->type != SETTAB_SIZE && k->type != SETTAB_MS)) {
		snprintf(buf, n, "%llu", u);
		return;
	}
	if (k->type == SETTAB_SIZE) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			if (u % sizes[i].div == 0) {
				snprintf(buf, n, "%llu%s", u / sizes[i].div,
				         sizes[i].unit);
				return;
			}
		snprintf(buf, n, "%llu", u);
		return;
	}
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		/* minutes from ten on: "60s" and "90s" read better */
		if (u % times[i].div == 0 &&
		    (times[i].div != 60000 || u >= 600000)) {
			snprintf(buf, n, "%llu%s", u / times[i].div,
			         times[i].unit);
			return;
		}
}

void settab_values(const struct settab_key *k, char *buf, size_t n)
{
	char lo[32], hi[32];

	if (k->values) {
		snprintf(buf, n, "%s", k->values);
		return;
	}
	switch (k->type) {
	case SETTAB_BOOL:
		snprintf(buf, n, "yes or no");
		return;
	case SETTAB_STRING:
		snprintf(buf, n, "text");
		return;
	case SETTAB_OCTAL:
		settab_format(k, k->max, hi, sizeof(hi));
		snprintf(buf, n, "octal, up to %s", hi);
		return;
	default:
		settab_format(k, k->min, lo, sizeof(lo));
		settab_format(k, k->max, hi, sizeof(hi));
		snprintf(buf, n, "%s to %s", lo, hi);
	}
}

const char *settab_default_doc(const struct settab_key *k)
{
	if (k->def_doc)
		return k->def_doc;
	if (k->def)
		return k->def[0] ? k->def : "empty";
	return "none";
}

/* "expected ..." for a value k refused */
static void expected(const struct settab_key *k, char *err, size_t errlen)
{
	char vals[160];

	settab_values(k, vals, sizeof(vals));
	switch (k->type) {
	case SETTAB_SIZE:
		snprintf(err, errlen, "%s: expected a size from %s, such as %s",
		         k->name, vals, k->def ? k->def : "4M");
		break;
	case SETTAB_MS:
		snprintf(err, errlen,
		         "%s: expected a duration from %s, such as %s", k->name,
		         vals, k->def && strcmp(k->def, "0") ? k->def : "30s");
		break;
	case SETTAB_OCTAL:
		snprintf(err, errlen, "%s: expected %s, such as %s", k->name,
		         vals, k->def ? k->def : "0660");
		break;
	default:
		snprintf(err, errlen, "%s: expected %s", k->name, vals);
	}
}

int settab_parse(const struct settab_key *k, const char *value,
                 struct settab_value *v, char *err, size_t errlen)
{
	struct settab_value out = {0};
	uint64_t u = 0;
	char *end;
	int r = 0, b;

	switch (k->type) {
	case SETTAB_UINT:
		r = conf_uint(value, k->min, k->max, &out.u);
		break;
	case SETTAB_SIZE:
		r = units_parse_size(value, &u);
		out.u = u;
		break;
	case SETTAB_MS:
		r = units_parse_duration_ms(value, &u);
		out.u = u;
		break;
	case SETTAB_OCTAL:
		errno = 0;
		out.u = strtoull(value, &end, 8);
		if (errno || end == value || *end || value[0] == '-' ||
		    value[0] == '+' || value[0] == ' ')
			r = -EINVAL;
		break;
	case SETTAB_BOOL:
		b = conf_bool(value);
		r = b < 0 ? b : 0;
		out.b = b > 0;
		break;
	case SETTAB_STRING:
		if (k->check && k->check(k->name, value, err, errlen) < 0)
			return -EINVAL;
		break;
	}
	if (r == 0 && k->type != SETTAB_BOOL && k->type != SETTAB_STRING &&
	    (out.u < k->min || out.u > k->max))
		r = -ERANGE;
	if (r < 0) {
		expected(k, err, errlen);
		return -EINVAL;
	}
	if (v)
		*v = out;
	return 0;
}

int settab_set(const struct settab *t, void *obj, const char *key,
               const char *value, char *err, size_t errlen)
{
	const struct settab_key *k = settab_find(t, key);
	struct settab_value v;
	void *dst;

	if (!k)
		return 0;
	if (k->apply || k->off == SETTAB_NOFIELD) {
		int r;
		if (!(k->flags & SETTAB_PREFIX) &&
		    settab_parse(k, value, NULL, err, errlen) < 0)
			return -EINVAL;
		if (!k->apply)
			return 1; /* checked only */
		err[0] = 0;
		r = k->apply(obj, key, value, err, errlen);
		if (r < 0 && !err[0])
			snprintf(err, errlen, "%s: %s", key,
			         r == -ENOMEM ? "out of memory" : "refused");
		return r < 0 ? r : 1;
	}
	if (settab_parse(k, value, &v, err, errlen) < 0)
		return -EINVAL;
	dst = field(obj, k);
	switch (k->type) {
	case SETTAB_UINT:
	case SETTAB_OCTAL:
		*(unsigned *)dst = (unsigned)v.u;
		break;
	case SETTAB_SIZE:
	case SETTAB_MS:
		*(uint64_t *)dst = v.u;
		break;
	case SETTAB_BOOL:
		*(bool *)dst = v.b;
		break;
	case SETTAB_STRING:
		if ((k->flags & SETTAB_EMPTY_IS_NULL) && !value[0]) {
			free(*(char **)dst);
			*(char **)dst = NULL;
		} else if (conf_set_string((char **)dst, value) < 0) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		break;
	}
	return 1;
}

int settab_unknown(const struct settab *const *t, size_t n, const char *key,
                   char *err, size_t errlen)
{
	bool ours = !strchr(key, '.');

	for (size_t i = 0; i < n && !ours; i++)
		ours = t[i]->prefix &&
		       strncmp(key, t[i]->prefix, strlen(t[i]->prefix)) == 0;
	if (!ours)
		return 0;
	snprintf(err, errlen, "unknown setting '%s'", key);
	return -EINVAL;
}

int settab_defaults(const struct settab *t, void *obj, char *err, size_t errlen)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct settab_key *k = &t->keys[i];
		int r;
		if (!k->def || (k->flags & (SETTAB_PREFIX | SETTAB_REPEAT)))
			continue;
		r = settab_set(t, obj, k->name, k->def, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

const char *settab_restart_change(const struct settab *t, const void *a,
                                  const void *b)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct settab_key *k = &t->keys[i];
		const void *x, *y;
		bool same;
		if (!(k->flags & SETTAB_RESTART) || k->off == SETTAB_NOFIELD)
			continue;
		x = cfield(a, k);
		y = cfield(b, k);
		switch (k->type) {
		case SETTAB_UINT:
		case SETTAB_OCTAL:
			same = *(const unsigned *)x == *(const unsigned *)y;
			break;
		case SETTAB_SIZE:
		case SETTAB_MS:
			same = *(const uint64_t *)x == *(const uint64_t *)y;
			break;
		case SETTAB_BOOL:
			same = *(const bool *)x == *(const bool *)y;
			break;
		default:
			same = str_same(*(char *const *)x, *(char *const *)y);
		}
		if (!same)
			return k->name;
	}
	return NULL;
}

void settab_free(const struct settab *t, void *obj)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct settab_key *k = &t->keys[i];
		if (k->type == SETTAB_STRING && k->off != SETTAB_NOFIELD) {
			free(*(char **)field(obj, k));
			*(char **)field(obj, k) = NULL;
		}
	}
}

void settab_print(const struct settab *t, const void *obj, FILE *f)
{
	char buf[32];

	for (size_t i = 0; i < t->n; i++) {
		const struct settab_key *k = &t->keys[i];
		const void *x;
		if (k->off == SETTAB_NOFIELD) {
			if (k->print)
				k->print(obj, k, f);
			continue;
		}
		x = cfield(obj, k);
		switch (k->type) {
		case SETTAB_UINT:
		case SETTAB_OCTAL:
			settab_format(k, *(const unsigned *)x, buf,
			              sizeof(buf));
			fprintf(f, "%s = %s\n", k->name, buf);
			break;
		case SETTAB_SIZE:
		case SETTAB_MS:
			settab_format(k, *(const uint64_t *)x, buf,
			              sizeof(buf));
			fprintf(f, "%s = %s\n", k->name, buf);
			break;
		case SETTAB_BOOL:
			fprintf(f, "%s = %s\n", k->name,
			        *(const bool *)x ? "yes" : "no");
			break;
		case SETTAB_STRING: {
			const char *s = *(char *const *)x;
			if (s && s[0] && (k->flags & SETTAB_SECRET))
				s = "(set)";
			fprintf(f, "%s = %s\n", k->name, s ? s : "");
			break;
		}
		}
	}
}
