/*
 * protodesc.c - docs/protocol.json for the unit tests: loading, a lint of
 * its keywords and a validator of the subset it uses.  See protodesc.h.
 */
#include "protodesc.h"

#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef PROTODESC_FILE
#define PROTODESC_FILE "docs/protocol.json"
#endif

static const char *const annotations[] = {
        "$schema",     "$id",      "$defs",    "title",
        "description", "$comment", "examples",
};

static const char *const keywords[] = {
        "$ref",       "type",          "const",
        "enum",       "properties",    "required",
        "items",      "prefixItems",   "additionalProperties",
        "minItems",   "maxItems",      "minimum",
        "maximum",    "minLength",     "pattern",
        "oneOf",      "anyOf",         "not",
        "x-maxBytes", "maxProperties", "propertyNames",
};

static bool in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

#define IN(s, list) in(s, list, sizeof(list) / sizeof(list[0]))

json_object *protodesc_load(char *err, size_t errlen)
{
	json_object *d = json_object_from_file(PROTODESC_FILE);

	if (!d) {
		snprintf(err, errlen, "%s: %s", PROTODESC_FILE,
		         json_util_get_last_err());
		return NULL;
	}
	if (json_object_get_type(d) != json_type_object ||
	    !json_object_object_get_ex(d, "$defs", NULL)) {
		snprintf(err, errlen, "%s: not a schema with $defs",
		         PROTODESC_FILE);
		json_object_put(d);
		return NULL;
	}
	return d;
}

json_object *protodesc_def(json_object *desc, const char *def)
{
	json_object *defs, *s;

	if (!json_object_object_get_ex(desc, "$defs", &defs) ||
	    !json_object_object_get_ex(defs, def, &s))
		return NULL;
	return s;
}

/* ---------------------------------------------------------------- lint */

static int lint(json_object *s, const char *where, char *err, size_t errlen)
{
	char sub[512];

	if (json_object_get_type(s) == json_type_boolean)
		return 0;
	if (json_object_get_type(s) != json_type_object) {
		snprintf(err, errlen, "%s: a schema is an object", where);
		return -1;
	}
	json_object_object_foreach(s, key, val)
	{
		snprintf(sub, sizeof(sub), "%s/%s", where, key);
		if (!IN(key, annotations) && !IN(key, keywords)) {
			snprintf(err, errlen, "%s: unsupported keyword", sub);
			return -1;
		}
		if (strcmp(key, "$defs") == 0 ||
		    strcmp(key, "properties") == 0) {
			json_object_object_foreach(val, k2, v2)
			{
				char sub2[600];
				snprintf(sub2, sizeof(sub2), "%s/%s", sub, k2);
				if (lint(v2, sub2, err, errlen) < 0)
					return -1;
			}
		} else if (strcmp(key, "oneOf") == 0 ||
		           strcmp(key, "anyOf") == 0 ||
		           strcmp(key, "prefixItems") == 0) {
			for (size_t i = 0; i < json_object_array_length(val);
			     i++) {
				char sub2[600];
				snprintf(sub2, sizeof(sub2), "%s/%zu", sub, i);
				if (lint(json_object_array_get_idx(val, i),
				         sub2, err, errlen) < 0)
					return -1;
			}
		} else if (strcmp(key, "items") == 0 ||
		           strcmp(key, "not") == 0 ||
		           strcmp(key, "propertyNames") == 0 ||
		           strcmp(key, "additionalProperties") == 0) {
			if (lint(val, sub, err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "$ref") == 0) {
			const char *r = json_object_get_string(val);
			if (strncmp(r, "#/$defs/", 8) != 0) {
				snprintf(err, errlen,
				         "%s: only #/$defs/NAME refs", sub);
				return -1;
			}
		}
	}
	return 0;
}

int protodesc_lint(json_object *desc, char *err, size_t errlen)
{
	json_object *defs;

	if (lint(desc, "#", err, errlen) < 0)
		return -1;
	/* every $ref resolves */
	json_object_object_get_ex(desc, "$defs", &defs);
	{
		const char *s = json_object_to_json_string_ext(
		        desc, JSON_C_TO_STRING_PLAIN |
		                      JSON_C_TO_STRING_NOSLASHESCAPE);
		for (const char *p = s; (p = strstr(p, "\"#/$defs/"));) {
			char name[128];
			size_t n = strcspn(p + 9, "\"");
			snprintf(name, sizeof(name), "%.*s", (int)n, p + 9);
			if (!json_object_object_get_ex(defs, name, NULL)) {
				snprintf(err, errlen,
				         "$ref to #/$defs/%s: no such schema",
				         name);
				return -1;
			}
			p += 9 + n;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- validate */

struct vctx {
	json_object *root;
	char *err;
	size_t errlen;
	size_t progress; /* checks passed, to tell which oneOf branch was meant */
	bool quiet;      /* inside a branch whose error is not wanted */
};

static int fail(struct vctx *v, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(struct vctx *v, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (v->quiet)
		return -1;
	n = snprintf(v->err, v->errlen, "%s: ", path);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < v->errlen)
		vsnprintf(v->err + n, v->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int validate(struct vctx *v, json_object *s, json_object *x,
                    const char *path);

static bool type_is(json_object *x, const char *t)
{
	json_type jt = json_object_get_type(x);

	if (strcmp(t, "object") == 0)
		return jt == json_type_object;
	if (strcmp(t, "array") == 0)
		return jt == json_type_array;
	if (strcmp(t, "string") == 0)
		return jt == json_type_string;
	if (strcmp(t, "integer") == 0)
		return jt == json_type_int;
	if (strcmp(t, "number") == 0)
		return jt == json_type_int || jt == json_type_double;
	if (strcmp(t, "boolean") == 0)
		return jt == json_type_boolean;
	if (strcmp(t, "null") == 0)
		return jt == json_type_null;
	return false;
}

/* <0, 0, >0 as x is below, at or above the bound k (exact for integers). */
static int compare(json_object *x, json_object *k)
{
	double a, b;

	if (json_object_get_type(x) == json_type_int &&
	    json_object_get_type(k) == json_type_int) {
		int64_t i = json_object_get_int64(x),
		        j = json_object_get_int64(k);
		return (i > j) - (i < j);
	}
	a = json_object_get_double(x);
	b = json_object_get_double(k);
	return (a > b) - (a < b);
}

static bool equal(json_object *a, json_object *b)
{
	return json_object_equal(a, b) != 0;
}

static int check_pattern(struct vctx *v, const char *pat, json_object *x,
                         const char *path)
{
	static struct {
		const char *pat; /* a string of the description */
		regex_t re;
	} cache[64];
	static size_t ncache;
	regex_t *re = NULL;
	regmatch_t m[1];
	size_t i;

	for (i = 0; i < ncache; i++)
		if (cache[i].pat == pat)
			re = &cache[i].re;
	if (!re) {
		if (ncache == sizeof(cache) / sizeof(cache[0]) ||
		    regcomp(&cache[ncache].re, pat, REG_EXTENDED | REG_NOSUB))
			return fail(v, path, "pattern %s does not compile",
			            pat);
		cache[ncache].pat = pat;
		re = &cache[ncache++].re;
	}
	m[0].rm_so = 0;
	m[0].rm_eo = json_object_get_string_len(x);
	if (regexec(re, json_object_get_string(x), 1, m, REG_STARTEND))
		return fail(v, path, "\"%.60s\" does not match %s",
		            json_object_get_string(x), pat);
	return 0;
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static int check_object(struct vctx *v, json_object *s, json_object *x,
                        const char *path)
{
	json_object *props = NULL, *req, *addl, *ps, *kw;
	char sub[512];

	if (json_object_object_get_ex(s, "maxProperties", &kw) &&
	    json_object_object_length(x) > json_object_get_int64(kw))
		return fail(v, path, "%d fields, at most %lld",
		            json_object_object_length(x),
		            (long long)json_object_get_int64(kw));
	if (json_object_object_get_ex(s, "propertyNames", &kw)) {
		json_object_object_foreach(x, name, val)
		{
			json_object *n = json_object_new_string(name);
			int r;
			(void)val;
			snprintf(sub, sizeof(sub), "%s.%s (its name)", path,
			         name);
			r = validate(v, kw, n, sub);
			json_object_put(n);
			if (r < 0)
				return -1;
		}
	}
	json_object_object_get_ex(s, "properties", &props);
	if (json_object_object_get_ex(s, "required", &req))
		for (size_t i = 0; i < json_object_array_length(req); i++) {
			const char *k = json_object_get_string(
			        json_object_array_get_idx(req, i));
			if (!json_object_object_get_ex(x, k, NULL))
				return fail(v, path, "%s is required", k);
		}
	json_object_object_foreach(x, key, val)
	{
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (props && json_object_object_get_ex(props, key, &ps)) {
			if (validate(v, ps, val, sub) < 0)
				return -1;
		} else if (json_object_object_get_ex(s, "additionalProperties",
		                                     &addl)) {
			if (json_object_get_type(addl) == json_type_boolean &&
			    !json_object_get_boolean(addl))
				return fail(v, sub, "not a field of this");
			if (validate(v, addl, val, sub) < 0)
				return -1;
		}
	}
	return 0;
}

static int check_array(struct vctx *v, json_object *s, json_object *x,
                       const char *path)
{
	size_t n = json_object_array_length(x), np = 0;
	json_object *k, *prefix = NULL, *items = NULL;
	char sub[512];

	if (json_object_object_get_ex(s, "minItems", &k) &&
	    n < (size_t)json_object_get_int64(k))
		return fail(v, path, "%zu items, at least %lld", n,
		            (long long)json_object_get_int64(k));
	if (json_object_object_get_ex(s, "maxItems", &k) &&
	    n > (size_t)json_object_get_int64(k))
		return fail(v, path, "%zu items, at most %lld", n,
		            (long long)json_object_get_int64(k));
	if (json_object_object_get_ex(s, "prefixItems", &prefix))
		np = json_object_array_length(prefix);
	json_object_object_get_ex(s, "items", &items);
	for (size_t i = 0; i < n; i++) {
		json_object *is =
		        i < np ? json_object_array_get_idx(prefix, i) : items;
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (is &&
		    validate(v, is, json_object_array_get_idx(x, i), sub) < 0)
			return -1;
	}
	return 0;
}

/* oneOf (exactly one) or anyOf (at least one) of the branches in arr. */
static int check_branches(struct vctx *v, json_object *arr, bool one,
                          json_object *x, const char *path)
{
	size_t n = json_object_array_length(arr), ok = 0;
	char best[1024] = "", saved_err[1024];
	size_t best_progress = 0, start = v->progress;
	bool quiet = v->quiet;

	snprintf(saved_err, sizeof(saved_err), "%s", v->err);
	for (size_t i = 0; i < n; i++) {
		v->err[0] = 0;
		v->progress = start;
		if (validate(v, json_object_array_get_idx(arr, i), x, path) ==
		    0) {
			ok++;
		} else if (!quiet &&
		           (!best[0] || v->progress - start > best_progress)) {
			/* the branch that got furthest is the one meant */
			snprintf(best, sizeof(best), "%s", v->err);
			best_progress = v->progress - start;
		}
	}
	snprintf(v->err, v->errlen, "%s", saved_err);
	v->progress = start + best_progress;
	if (one ? ok == 1 : ok >= 1)
		return 0;
	if (ok > 1)
		return fail(v, path, "matches %zu of oneOf, not exactly one",
		            ok);
	if (quiet)
		return -1;
	snprintf(v->err, v->errlen, "%s", best);
	return -1;
}

static int validate(struct vctx *v, json_object *s, json_object *x,
                    const char *path)
{
	json_object *k;

	if (json_object_get_type(s) == json_type_boolean)
		return json_object_get_boolean(s)
		               ? 0
		               : fail(v, path, "nothing is allowed here");
	if (json_object_object_get_ex(s, "$ref", &k)) {
		json_object *t =
		        protodesc_def(v->root, json_object_get_string(k) + 8);
		if (!t)
			return fail(v, path, "no schema %s",
			            json_object_get_string(k));
		if (validate(v, t, x, path) < 0)
			return -1;
	}
	if (json_object_object_get_ex(s, "type", &k)) {
		bool ok = false;
		if (json_object_get_type(k) == json_type_array) {
			for (size_t i = 0; i < json_object_array_length(k); i++)
				ok = ok ||
				     type_is(x,
				             json_object_get_string(
				                     json_object_array_get_idx(
				                             k, i)));
		} else {
			ok = type_is(x, json_object_get_string(k));
		}
		if (!ok)
			return fail(v, path, "%.60s is not of type %s",
			            json_object_to_json_string(x),
			            json_object_to_json_string(k));
	}
	if (json_object_object_get_ex(s, "const", &k) && !equal(k, x))
		return fail(v, path, "%.60s is not %s",
		            json_object_to_json_string(x),
		            json_object_to_json_string(k));
	if (json_object_object_get_ex(s, "enum", &k)) {
		bool ok = false;
		for (size_t i = 0; i < json_object_array_length(k); i++)
			ok = ok || equal(json_object_array_get_idx(k, i), x);
		if (!ok)
			return fail(v, path, "%.60s is not one of %s",
			            json_object_to_json_string(x),
			            json_object_to_json_string(k));
	}
	if (json_object_get_type(x) == json_type_int ||
	    json_object_get_type(x) == json_type_double) {
		if (json_object_object_get_ex(s, "minimum", &k) &&
		    compare(x, k) < 0)
			return fail(v, path, "%s is below %s",
			            json_object_to_json_string(x),
			            json_object_to_json_string(k));
		if (json_object_object_get_ex(s, "maximum", &k) &&
		    compare(x, k) > 0)
			return fail(v, path, "%s is above %s",
			            json_object_to_json_string(x),
			            json_object_to_json_string(k));
	}
	if (json_object_get_type(x) == json_type_string) {
		size_t len = (size_t)json_object_get_string_len(x);
		if (json_object_object_get_ex(s, "minLength", &k) &&
		    utf8_chars(json_object_get_string(x), len) <
		            (size_t)json_object_get_int64(k))
			return fail(v, path, "shorter than %lld characters",
			            (long long)json_object_get_int64(k));
		if (json_object_object_get_ex(s, "x-maxBytes", &k) &&
		    len > (size_t)json_object_get_int64(k))
			return fail(v, path, "%zu bytes, at most %lld", len,
			            (long long)json_object_get_int64(k));
		if (json_object_object_get_ex(s, "pattern", &k) &&
		    check_pattern(v, json_object_get_string(k), x, path) < 0)
			return -1;
	}
	if (json_object_get_type(x) == json_type_object &&
	    check_object(v, s, x, path) < 0)
		return -1;
	if (json_object_get_type(x) == json_type_array &&
	    check_array(v, s, x, path) < 0)
		return -1;
	if (json_object_object_get_ex(s, "oneOf", &k) &&
	    check_branches(v, k, true, x, path) < 0)
		return -1;
	if (json_object_object_get_ex(s, "anyOf", &k) &&
	    check_branches(v, k, false, x, path) < 0)
		return -1;
	if (json_object_object_get_ex(s, "not", &k)) {
		bool quiet = v->quiet;
		int r;
		v->quiet = true;
		r = validate(v, k, x, path);
		v->quiet = quiet;
		if (r == 0)
			return fail(v, path, "matches what `not` forbids: %s",
			            json_object_to_json_string(k));
	}
	v->progress++;
	return 0;
}

int protodesc_validate(json_object *desc, const char *def, json_object *inst,
                       char *err, size_t errlen)
{
	struct vctx v = {.root = desc, .err = err, .errlen = errlen};
	json_object *s = protodesc_def(desc, def);

	err[0] = 0;
	if (!s) {
		snprintf(err, errlen, "no schema $defs/%s", def);
		return -1;
	}
	return validate(&v, s, inst, "$");
}

int protodesc_validate_text(json_object *desc, const char *def,
                            const char *text, size_t len, char *err,
                            size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o =
	        tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
	int r;

	if (!o || json_tokener_get_parse_end(tok) != len) {
		snprintf(err, errlen, "not one JSON value: %.*s", (int)len,
		         text);
		json_object_put(o);
		json_tokener_free(tok);
		return -1;
	}
	json_tokener_free(tok);
	r = protodesc_validate(desc, def, o, err, errlen);
	json_object_put(o);
	return r;
}

/* A branch of a oneOf with its $ref followed. */
static json_object *deref(json_object *desc, json_object *s)
{
	json_object *r;

	if (json_object_object_get_ex(s, "$ref", &r))
		return protodesc_def(desc, json_object_get_string(r) + 8);
	return s;
}

static const char *branch_const(json_object *b, const char *key)
{
	json_object *props, *p, *c;

	if (!b)
		return NULL;
	if (key) {
		if (!json_object_object_get_ex(b, "properties", &props) ||
		    !json_object_object_get_ex(props, key, &p))
			return NULL;
		b = p;
	}
	if (!json_object_object_get_ex(b, "const", &c) ||
	    json_object_get_type(c) != json_type_string)
		return NULL;
	return json_object_get_string(c);
}

int protodesc_names(json_object *desc, const char *def, const char *key,
                    const char **out, size_t max)
{
	json_object *s = protodesc_def(desc, def), *one;
	size_t n;

	if (!s || !json_object_object_get_ex(s, "oneOf", &one))
		return -1;
	n = json_object_array_length(one);
	for (size_t i = 0; i < n; i++) {
		const char *c = branch_const(
		        deref(desc, json_object_array_get_idx(one, i)), key);
		if (!c)
			return -1;
		if (i < max)
			out[i] = c;
	}
	return (int)n;
}

json_object *protodesc_branch(json_object *desc, const char *def,
                              const char *key, const char *value)
{
	json_object *s = protodesc_def(desc, def), *one;

	if (!s || !json_object_object_get_ex(s, "oneOf", &one))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(one); i++) {
		json_object *b = deref(desc, json_object_array_get_idx(one, i));
		const char *c = branch_const(b, key);
		if (c && strcmp(c, value) == 0)
			return b;
	}
	return NULL;
}
