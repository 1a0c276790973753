/*
 * request.c - parsing and checking run requests.  See request.h.
 *
 * The body is parsed once by json-c in strict mode with UTF-8 validation
 * and a depth limit; strings are then borrowed from the tree, which the
 * request keeps until run_req_fini().  Only file contents are copied,
 * because they may arrive base64-encoded.
 */
#include "request.h"
#include "jsonstrict.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQ_MAX_DEPTH 64

int api_error_set(struct api_error *e, int status, const char *code,
                  const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

json_object *api_error_json(const struct api_error *e)
{
	json_object *top = json_object_new_object();
	json_object *inner = json_object_new_object();

	/* inner and its strings belong to top once added */
	json_object_object_add(inner, "code", json_object_new_string(e->code));
	json_object_object_add(inner, "message",
	                       json_object_new_string(e->message));
	json_object_object_add(top, "error", inner);
	return top;
}

bool req_valid_file_name(const char *name, size_t len, size_t max)
{
	if (len == 0 || len > max || strlen(name) != len)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '/' || c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* ---------------------------------------------------------- helpers */

/* Line and column (1-based, in bytes) of offset off in text. */
static bool is_null(json_object *o)
{
	return o == NULL || json_object_get_type(o) == json_type_null;
}

/* A string field, or NULL with *e set when it has another type. */
static const char *get_string(json_object *o, const char *field, size_t *len,
                              struct api_error *e)
{
	if (json_object_get_type(o) != json_type_string) {
		api_error_set(e, 400, "bad_field", "%s: expected a string",
		              field);
		return NULL;
	}
	*len = (size_t)json_object_get_string_len(o);
	return json_object_get_string(o);
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decode base64 (standard or URL alphabet, padding optional, blanks
   skipped).  Returns a new buffer or NULL when the text is not base64. */
static char *b64_decode(const char *s, size_t n, size_t *outlen)
{
	char *out = malloc(n / 4 * 3 + 4);
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0, pad = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int v;
		if (c == '=') {
			pad++;
			continue;
		}
		if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
			continue;
		v = b64_value(c);
		if (v < 0 || pad) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	if (bits >= 6 || pad > 2) {
		free(out);
		return NULL;
	}
	*outlen = o;
	return out;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) !=
			              tolower((unsigned char)b[j - 1]);
			size_t best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static bool close_to(const char *cand, const char *name)
{
	size_t n = strlen(name), c = strlen(cand);

	if (n >= 2 && (strncasecmp(cand, name, n) == 0 ||
	               (c >= 2 && strncasecmp(name, cand, c) == 0)))
		return true;
	return edit_distance(cand, name) <= (n <= 4 ? 1 : 2);
}

void req_close_matches(const struct sbx_registry *reg, const char *name,
                       char *buf, size_t buflen)
{
	size_t used = 0, found = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < reg->n && found < 6; i++) {
		const struct sbx_lang *l = &reg->langs[i];
		if (l->is_variant)
			continue;
		bool hit = close_to(l->id, name);
		for (size_t k = 0; !hit && l->aliases && l->aliases[k]; k++)
			hit = close_to(l->aliases[k], name);
		if (!hit || !l->available)
			continue;
		int w = snprintf(buf + used, buflen - used, "%s'%s'",
		                 found ? ", " : "", l->id);
		if (w < 0 || (size_t)w >= buflen - used) {
			buf[used] = '\0'; /* whole entries only */
			break;
		}
		used += (size_t)w;
		found++;
	}
}

/* Output compared line by line with trailing blanks (and trailing empty
   lines) ignored, or byte for byte. */
static size_t trim_end(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
	             s[n - 1] == '\t'))
		n--;
	return n;
}

static size_t next_line(const char *s, size_t n, size_t *start, size_t *len)
{
	const char *nl = memchr(s + *start, '\n', n - *start);
	size_t end = nl ? (size_t)(nl - s) : n;
	size_t l = end - *start;

	while (l && (s[*start + l - 1] == ' ' || s[*start + l - 1] == '\t' ||
	             s[*start + l - 1] == '\r'))
		l--;
	*len = l;
	return nl ? end + 1 : n;
}

bool req_output_matches(const char *out, size_t out_len, const char *expected,
                        size_t expected_len, enum req_compare how)
{
	size_t a = 0, b = 0;

	if (how == REQ_COMPARE_EXACT)
		return out_len == expected_len &&
		       memcmp(out, expected, out_len) == 0;
	out_len = trim_end(out, out_len);
	expected_len = trim_end(expected, expected_len);
	while (a < out_len && b < expected_len) {
		size_t sa = a, sb = b, la, lb;
		a = next_line(out, out_len, &sa, &la);
		b = next_line(expected, expected_len, &sb, &lb);
		if (la != lb || memcmp(out + sa, expected + sb, la))
			return false;
	}
	return a >= out_len && b >= expected_len;
}

/* ---------------------------------------------------------- fields */

static int pick_variant(const struct settings *s, const char *v, size_t vn,
                        struct run_req *r, struct api_error *e);

static int parse_language(json_object *root, const struct settings *s,
                          bool piston, struct run_req *r, struct api_error *e)
{
	json_object *lang = NULL, *ver = NULL;
	const char *name, *v = NULL;
	size_t n, vn = 0;
	char near[200];

	json_object_object_get_ex(root, "language", &lang);
	if (is_null(lang))
		return api_error_set(
		        e, 400, "missing_field",
		        "language: required (GET %sruntimes lists them)",
		        s->prefix);
	name = get_string(lang, "language", &n, e);
	if (!name)
		return -EINVAL;
	r->lang = sbx_registry_find(&s->registry, name);
	if (!r->lang || !r->lang->available) {
		req_close_matches(&s->registry, name, near, sizeof(near));
		if (r->lang)
			return api_error_set(
			        e, 400, "unknown_language",
			        "language: '%.64s' is not installed on this server%s%s",
			        name,
			        near[0] ? "; available close matches: " : "",
			        near);
		return api_error_set(e, 400, "unknown_language",
		                     "language: unknown '%.64s'%s%s", name,
		                     near[0] ? "; did you mean " : "", near);
	}
	json_object_object_get_ex(root, "version", &ver);
	if (!is_null(ver)) {
		v = get_string(ver, "version", &vn, e);
		if (!v)
			return -EINVAL;
	}
	if (v && vn && strcmp(v, "*"))
		return pick_variant(s, v, vn, r, e);
	(void)piston;
	return 0;
}

/* "name 1.2.3, clang-15 15.0.6": the available toolchains of base */
static void variants_text(const struct sbx_registry *reg,
                          const struct sbx_lang *base, char *buf, size_t n)
{
	const struct sbx_lang *vars[32];
	size_t nv = sbx_registry_variants(reg, base, vars, 32), used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < nv && i < 32; i++) {
		int k;
		if (!vars[i]->available)
			continue;
		k = snprintf(buf + used, n - used, "%s%s%s%s", used ? ", " : "",
		             vars[i]->variant && nv > 1 ? vars[i]->variant : "",
		             vars[i]->variant && nv > 1 && vars[i]->version
		                     ? " "
		                     : "",
		             vars[i]->version ? vars[i]->version : "");
		if (k < 0 || (size_t)k >= n - used)
			break;
		used += (size_t)k;
	}
}

/*
 * "version": a toolchain's id ("clang-15", any case), or the detected
 * version of one or a prefix of it that ends at a dot ("3", "3.11"), the
 * first in registry order that fits: r->lang becomes that toolchain.
 */
static int pick_variant(const struct settings *s, const char *v, size_t vn,
                        struct run_req *r, struct api_error *e)
{
	const struct sbx_lang *vars[32], *hit = NULL;
	size_t nv = sbx_registry_variants(&s->registry, r->lang, vars, 32);
	char have[600];

	if (nv > 32)
		nv = 32;
	for (size_t i = 0; i < nv && !hit; i++)
		if (vars[i]->variant && strlen(vars[i]->variant) == vn &&
		    strncasecmp(vars[i]->variant, v, vn) == 0)
			hit = vars[i];
	for (size_t i = 0; i < nv && !hit; i++) {
		const char *dv = vars[i]->version;
		size_t dl = dv ? strlen(dv) : 0;
		if (vars[i]->available && dv && vn <= dl &&
		    strncmp(dv, v, vn) == 0 && (vn == dl || dv[vn] == '.'))
			hit = vars[i];
	}
	/* nothing detected to compare with: any version goes, as before */
	if (!hit && !r->lang->version)
		return 0;
	if (hit && hit->available) {
		r->lang = hit;
		return 0;
	}
	variants_text(&s->registry, r->lang, have, sizeof(have));
	return api_error_set(
	        e, 400, "unknown_version",
	        "version: %s %.32s is not installed; this server has %s",
	        r->lang->id, v, have[0] ? have : "no version of it");
}

/*
 * "options": {NAME: VALUE} from the toolchain's allow-list; every other
 * option keeps its default.
 */
static int parse_options(json_object *root, struct run_req *r,
                         struct api_error *e)
{
	const struct sbx_lang *l = r->lang;
	json_object *opts = NULL;
	char names[400], values[600];

	json_object_object_get_ex(root, "options", &opts);
	if (is_null(opts))
		return 0;
	if (!json_object_is_type(opts, json_type_object))
		return api_error_set(
		        e, 400, "bad_type",
		        "options: expected an object of NAME: VALUE");
	json_object_object_foreach(opts, key, val)
	{
		const struct sbx_option *o = NULL;
		size_t oi = 0, n;
		const char *want;
		for (size_t i = 0; i < l->noptions && !o; i++)
			if (strcmp(l->options[i].name, key) == 0) {
				o = &l->options[i];
				oi = i;
			}
		if (!o) {
			names[0] = '\0';
			for (size_t i = 0; i < l->noptions; i++)
				snprintf(names + strlen(names),
				         sizeof(names) - strlen(names), "%s%s",
				         i ? ", " : "", l->options[i].name);
			return api_error_set(
			        e, 400, "unknown_option",
			        "options: %s has no option '%.32s'%s%s", l->id,
			        key,
			        l->noptions ? "; it has " : " (it has none)",
			        names);
		}
		if (!json_object_is_type(val, json_type_string))
			return api_error_set(e, 400, "bad_type",
			                     "options.%s: expected a string",
			                     o->name);
		want = json_object_get_string(val);
		n = (size_t)json_object_get_string_len(val);
		values[0] = '\0';
		r->choice[oi] = SIZE_MAX;
		for (size_t k = 0; k < o->nvalues; k++) {
			if (strlen(o->values[k].value) == n &&
			    memcmp(o->values[k].value, want, n) == 0)
				r->choice[oi] = k;
			snprintf(values + strlen(values),
			         sizeof(values) - strlen(values), "%s%s",
			         k ? ", " : "", o->values[k].value);
		}
		if (r->choice[oi] == SIZE_MAX)
			return api_error_set(
			        e, 400, "bad_option",
			        "options.%s: '%.32s' is not one of %s", o->name,
			        want, values);
	}
	return 0;
}

static int parse_files(json_object *root, const struct settings *s,
                       struct run_req *r, struct api_error *e)
{
	json_object *files = NULL, *code = NULL;
	size_t total = 0, n;
	int entry = -1;

	json_object_object_get_ex(root, "files", &files);
	json_object_object_get_ex(root, "code", &code);
	if (!is_null(files) && !is_null(code))
		return api_error_set(e, 400, "bad_field",
		                     "code, files: give one of them, not both");
	if (!is_null(code)) {
		const char *c = get_string(code, "code", &n, e);
		if (!c)
			return -EINVAL;
		if (n > s->max_code)
			return api_error_set(e, 413, "too_large",
			                     "code: %zu bytes, at most %llu", n,
			                     (unsigned long long)s->max_code);
		r->files = calloc(1, sizeof(*r->files));
		if (!r->files || !(r->files[0].data = malloc(n + 1)))
			return api_error_set(e, 503, "out_of_memory",
			                     "out of memory");
		memcpy(r->files[0].data, c, n);
		r->files[0].len = n;
		r->files[0].name = r->lang->source;
		r->nfiles = 1;
		return 0;
	}
	if (is_null(files))
		return api_error_set(e, 400, "missing_field",
		                     "files: required (or give code)");
	if (json_object_get_type(files) != json_type_array)
		return api_error_set(
		        e, 400, "bad_field",
		        "files: expected an array of {name, content}");
	n = json_object_array_length(files);
	if (n == 0)
		return api_error_set(e, 400, "bad_field",
		                     "files: at least one file is needed");
	if (n > s->max_files)
		return api_error_set(e, 400, "too_many",
		                     "files: %zu files, at most %u", n,
		                     s->max_files);
	r->files = calloc(n, sizeof(*r->files));
	if (!r->files)
		return api_error_set(e, 503, "out_of_memory", "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(files, i);
		json_object *name = NULL, *content = NULL, *enc = NULL;
		struct req_file *rf = &r->files[i];
		const char *c, *encoding = "utf8";
		char field[48];
		size_t cl, nl;

		r->nfiles = i + 1;
		if (json_object_get_type(f) != json_type_object)
			return api_error_set(
			        e, 400, "bad_field",
			        "files[%zu]: expected an object {name, content}",
			        i);
		json_object_object_foreach(f, key, val)
		{
			(void)val;
			if (strcmp(key, "name") && strcmp(key, "content") &&
			    strcmp(key, "encoding") && !r->piston)
				return api_error_set(
				        e, 400, "unknown_field",
				        "files[%zu].%.32s: unknown field", i,
				        key);
		}
		json_object_object_get_ex(f, "name", &name);
		json_object_object_get_ex(f, "content", &content);
		json_object_object_get_ex(f, "encoding", &enc);
		snprintf(field, sizeof(field), "files[%zu].content", i);
		if (is_null(content))
			return api_error_set(e, 400, "missing_field",
			                     "%s: required", field);
		c = get_string(content, field, &cl, e);
		if (!c)
			return -EINVAL;
		if (!is_null(enc)) {
			snprintf(field, sizeof(field), "files[%zu].encoding",
			         i);
			encoding = get_string(enc, field, &nl, e);
			if (!encoding)
				return -EINVAL;
		}
		if (strcmp(encoding, "base64") == 0) {
			rf->data = b64_decode(c, cl, &rf->len);
			if (!rf->data)
				return api_error_set(
				        e, 400, "bad_field",
				        "files[%zu].content: not valid base64",
				        i);
		} else if (strcmp(encoding, "utf8") == 0 ||
		           strcmp(encoding, "utf-8") == 0) {
			rf->data = malloc(cl + 1);
			if (!rf->data)
				return api_error_set(e, 503, "out_of_memory",
				                     "out of memory");
			memcpy(rf->data, c, cl);
			rf->len = cl;
		} else {
			return api_error_set(
			        e, 400, "bad_field",
			        "files[%zu].encoding: expected utf8 or base64",
			        i);
		}
		total += rf->len;
		if (total > s->max_code)
			return api_error_set(
			        e, 413, "too_large",
			        "files: more than %llu bytes of code in all",
			        (unsigned long long)s->max_code);
		if (is_null(name)) {
			if (i > 0 || !r->piston)
				return api_error_set(
				        e, 400, "missing_field",
				        "files[%zu].name: required", i);
			rf->name = r->lang->source;
			continue;
		}
		snprintf(field, sizeof(field), "files[%zu].name", i);
		rf->name = get_string(name, field, &nl, e);
		if (!rf->name)
			return -EINVAL;
		if (!req_valid_file_name(rf->name, nl, s->max_file_name))
			return api_error_set(
			        e, 400, "bad_file_name",
			        "files[%zu].name: '%.64s' is not allowed: one name of at most %u bytes, no '/', no NUL or control characters, not '.' or '..'",
			        i, rf->name, s->max_file_name);
		if (strcmp(rf->name, SBX_OUT_DIR) == 0)
			return api_error_set(
			        e, 400, "bad_file_name",
			        "files[%zu].name: '%s' is the directory of the box where a program leaves the files it returns",
			        i, SBX_OUT_DIR);
		if (strcmp(rf->name, r->lang->source) == 0)
			entry = (int)i;
		for (size_t k = 0; k < i; k++)
			if (strcmp(r->files[k].name, rf->name) == 0)
				return api_error_set(
				        e, 400, "bad_file_name",
				        "files[%zu].name: '%.64s' is given twice",
				        i, rf->name);
	}
	/* The entry point is the file named like the language's source
	   (main.py, Main.java); else the first file, which then takes that
	   name, as Piston does. */
	if (entry > 0) {
		struct req_file t = r->files[0];
		r->files[0] = r->files[entry];
		r->files[entry] = t;
	} else if (entry < 0) {
		r->files[0].name = r->lang->source;
	}
	return 0;
}

static int parse_args(json_object *root, const struct settings *s,
                      struct run_req *r, struct api_error *e)
{
	json_object *args = NULL;
	size_t n;

	json_object_object_get_ex(root, "args", &args);
	if (is_null(args)) {
		r->args = calloc(1, sizeof(*r->args));
		return r->args ? 0
		               : api_error_set(e, 503, "out_of_memory",
		                               "out of memory");
	}
	if (json_object_get_type(args) != json_type_array)
		return api_error_set(e, 400, "bad_field",
		                     "args: expected an array of strings");
	n = json_object_array_length(args);
	if (n > s->max_args)
		return api_error_set(e, 400, "too_many",
		                     "args: %zu arguments, at most %u", n,
		                     s->max_args);
	r->args = calloc(n + 1, sizeof(*r->args));
	if (!r->args)
		return api_error_set(e, 503, "out_of_memory", "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(args, i);
		char field[32];
		size_t l = 0;
		snprintf(field, sizeof(field), "args[%zu]", i);
		r->args[i] = get_string(a, field, &l, e);
		if (!r->args[i])
			return -EINVAL;
		if (l > s->max_arg_len)
			return api_error_set(e, 413, "too_large",
			                     "args[%zu]: %zu bytes, at most %u",
			                     i, l, s->max_arg_len);
		if (strlen(r->args[i]) != l)
			return api_error_set(e, 400, "bad_field",
			                     "args[%zu]: holds a NUL character",
			                     i);
		r->nargs++;
	}
	return 0;
}

/* Set one limit from its text ("2000ms", "256M") unless that is above the
   server's maximum; `label` names the request's field in errors. */
static int set_limit_text(struct sbx_limits *l, const struct sbx_limits *max,
                          const char *label, const char *name, const char *text,
                          struct api_error *e)
{
	struct sbx_limits probe = *l;
	uint64_t want, cap;
	bool time = false;
	char err[200];

	if (sbx_limits_set(&probe, name, text, err, sizeof(err)) < 0)
		return api_error_set(e, 400, "bad_limit", "%s: %s", label, err);
	sbx_limits_get(&probe, name, &want, &time);
	sbx_limits_get(max, name, &cap, NULL);
	if (want > cap)
		return api_error_set(
		        e, 400, "limit_too_high",
		        "%s: %llu%s is above this server's maximum of %llu%s",
		        label, (unsigned long long)want, time ? " ms" : "",
		        (unsigned long long)cap, time ? " ms" : "");
	*l = probe;
	return 0;
}

/* The text of a limit given as a number: ms for times, bytes for sizes. */
static void number_text(char *text, size_t n, int64_t v, bool time)
{
	snprintf(text, n, "%lld%s", (long long)v, time ? "ms" : "");
}

/* One limit of a "limits" object: a number or a string with a unit. */
static int set_limit(struct sbx_limits *l, const struct sbx_limits *max,
                     const char *group, const char *name, json_object *v,
                     struct api_error *e)
{
	char label[80], text[48];
	uint64_t cur;
	bool time = false;

	snprintf(label, sizeof(label), "%s.%.32s", group, name);
	if (sbx_limits_get(l, name, &cur, &time) < 0)
		return api_error_set(
		        e, 400, "bad_limit",
		        "%s: unknown limit (known: cpu_time, wall_time, memory, processes, stdout, stderr, file_size, open_files, stack, box_size, tmp_size, inodes, out_files, out_file_size, out_total)",
		        label);
	if (json_object_get_type(v) == json_type_int) {
		int64_t n = json_object_get_int64(v);
		if (n < 0)
			return api_error_set(e, 400, "bad_limit",
			                     "%s: must not be negative", label);
		number_text(text, sizeof(text), n, time);
	} else if (json_object_get_type(v) == json_type_string) {
		snprintf(text, sizeof(text), "%.40s",
		         json_object_get_string(v));
	} else {
		return api_error_set(
		        e, 400, "bad_limit",
		        "%s: expected a number (ms or bytes) or a string such as \"2s\" or \"256M\"",
		        label);
	}
	return set_limit_text(l, max, label, name, text, e);
}

static int parse_limits(json_object *root, const char *field,
                        struct sbx_limits *l, const struct sbx_limits *max,
                        struct api_error *e)
{
	json_object *lim = NULL;

	json_object_object_get_ex(root, field, &lim);
	if (is_null(lim))
		return 0;
	if (json_object_get_type(lim) != json_type_object)
		return api_error_set(
		        e, 400, "bad_field",
		        "%s: expected an object such as {\"cpu_time\": 2000, \"memory\": \"256M\"}",
		        field);
	json_object_object_foreach(lim, key, val)
	{
		if (set_limit(l, max, field, key, val, e) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Piston's numbers (ms, bytes): -1 (or absent) keeps the default. */
static int piston_limit(json_object *root, const char *field,
                        struct sbx_limits *l, const struct sbx_limits *max,
                        const char *name, struct api_error *e)
{
	json_object *v = NULL;
	char text[48];
	uint64_t cur;
	bool time = false;
	double d;

	json_object_object_get_ex(root, field, &v);
	if (is_null(v))
		return 0;
	if (json_object_get_type(v) != json_type_int &&
	    json_object_get_type(v) != json_type_double)
		return api_error_set(e, 400, "bad_field",
		                     "%s: expected a number", field);
	d = json_object_get_double(v);
	if (d == -1)
		return 0;
	if (d < 0)
		return api_error_set(e, 400, "bad_limit",
		                     "%s: must not be negative", field);
	if (!(d < 1e15))
		return api_error_set(e, 400, "bad_limit",
		                     "%s: %g is out of range", field, d);
	sbx_limits_get(l, name, &cur, &time);
	number_text(text, sizeof(text), (int64_t)d, time);
	return set_limit_text(l, max, field, name, text, e);
}

static int parse_tests(json_object *root, const struct settings *s,
                       struct run_req *r, struct api_error *e)
{
	json_object *tests = NULL, *cmp = NULL;
	size_t n, total = 0;

	json_object_object_get_ex(root, "compare", &cmp);
	if (!is_null(cmp)) {
		size_t l;
		const char *c = get_string(cmp, "compare", &l, e);
		if (!c)
			return -EINVAL;
		if (strcmp(c, "exact") == 0)
			r->compare = REQ_COMPARE_EXACT;
		else if (strcmp(c, "lines") == 0)
			r->compare = REQ_COMPARE_LINES;
		else
			return api_error_set(
			        e, 400, "bad_field",
			        "compare: expected \"lines\" or \"exact\"");
	}
	json_object_object_get_ex(root, "tests", &tests);
	if (is_null(tests))
		return 0;
	if (json_object_get_type(tests) != json_type_array)
		return api_error_set(
		        e, 400, "bad_field",
		        "tests: expected an array of {name, stdin, expected_stdout}");
	n = json_object_array_length(tests);
	if (n > s->max_tests)
		return api_error_set(e, 400, "too_many",
		                     "tests: %zu tests, at most %u", n,
		                     s->max_tests);
	if (n == 0)
		return 0;
	r->tests = calloc(n, sizeof(*r->tests));
	if (!r->tests)
		return api_error_set(e, 503, "out_of_memory", "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(tests, i);
		json_object *name = NULL, *in = NULL, *exp = NULL;
		struct req_test *rt = &r->tests[i];
		char field[48];
		size_t l;

		r->ntests = i + 1;
		if (json_object_get_type(t) != json_type_object)
			return api_error_set(e, 400, "bad_field",
			                     "tests[%zu]: expected an object",
			                     i);
		json_object_object_foreach(t, key, val)
		{
			(void)val;
			if (strcmp(key, "name") && strcmp(key, "stdin") &&
			    strcmp(key, "expected_stdout"))
				return api_error_set(
				        e, 400, "unknown_field",
				        "tests[%zu].%.32s: unknown field", i,
				        key);
		}
		json_object_object_get_ex(t, "name", &name);
		json_object_object_get_ex(t, "stdin", &in);
		json_object_object_get_ex(t, "expected_stdout", &exp);
		rt->name = "";
		rt->stdin_data = "";
		if (!is_null(name)) {
			snprintf(field, sizeof(field), "tests[%zu].name", i);
			rt->name = get_string(name, field, &l, e);
			if (!rt->name)
				return -EINVAL;
		}
		if (!is_null(in)) {
			snprintf(field, sizeof(field), "tests[%zu].stdin", i);
			rt->stdin_data =
			        get_string(in, field, &rt->stdin_len, e);
			if (!rt->stdin_data)
				return -EINVAL;
		}
		snprintf(field, sizeof(field), "tests[%zu].expected_stdout", i);
		if (is_null(exp))
			return api_error_set(e, 400, "missing_field",
			                     "%s: required", field);
		rt->expected = get_string(exp, field, &rt->expected_len, e);
		if (!rt->expected)
			return -EINVAL;
		total += rt->stdin_len;
		if (total > s->max_stdin)
			return api_error_set(
			        e, 413, "too_large",
			        "tests: more than %llu bytes of stdin in all",
			        (unsigned long long)s->max_stdin);
	}
	return 0;
}

static const char *const native_fields[] = {
        "language", "version", "files",       "code",
        "stdin",    "args",    "limits",      "compile_limits",
        "tests",    "compare", "interactive", "options",
        NULL,
};

/* A language's own limits (the registry), never above the server's
   maxima: the admin's fcgi.max.* wins. */
static int apply_registry_limits(struct sbx_limits *l, char **pairs,
                                 const struct sbx_limits *max,
                                 struct api_error *e)
{
	_Static_assert(sizeof(struct sbx_limits) % sizeof(uint64_t) == 0,
	               "sbx_limits holds only uint64_t fields");
	uint64_t *v = (uint64_t *)l;
	const uint64_t *m = (const uint64_t *)max;
	char err[200];

	for (size_t i = 0; pairs && pairs[i]; i++)
		if (sbx_limits_set_pair(l, pairs[i], err, sizeof(err)) < 0)
			return api_error_set(e, 500, "bad_registry",
			                     "the language registry: %s", err);
	for (size_t i = 0; i < sizeof(*l) / sizeof(uint64_t); i++)
		if (v[i] > m[i])
			v[i] = m[i];
	return 0;
}

int req_parse_object(const char *body, size_t len, json_object **out,
                     struct api_error *e)
{
	char msg[200];

	switch (json_parse_object(body, len, REQ_MAX_DEPTH, "the body", out,
	                          msg, sizeof(msg))) {
	case JSON_PARSE_OK:
		return 0;
	case JSON_PARSE_NOMEM:
		return api_error_set(e, 503, "out_of_memory", "out of memory");
	default:
		/* an object of another type is handed out too: the caller
		   frees it with the rest */
		return api_error_set(e, 400, "bad_json", "%s", msg);
	}
}

int run_req_parse(const char *body, size_t len, const struct settings *s,
                  bool piston, struct run_req *r, struct api_error *e)
{
	json_object *v = NULL;

	memset(r, 0, sizeof(*r));
	r->piston = piston;
	if (len > s->max_body)
		return api_error_set(e, 413, "too_large",
		                     "the body is %zu bytes, at most %llu", len,
		                     (unsigned long long)s->max_body);
	if (req_parse_object(body, len, &r->root, e) < 0)
		return -EINVAL;
	if (!piston) {
		json_object_object_foreach(r->root, key, val)
		{
			bool known = false;
			(void)val;
			for (size_t i = 0; native_fields[i]; i++)
				known |= strcmp(key, native_fields[i]) == 0;
			if (!known)
				return api_error_set(e, 400, "unknown_field",
				                     "%.64s: unknown field",
				                     key);
		}
	}
	if (parse_language(r->root, s, piston, r, e) < 0 ||
	    (!piston && parse_options(r->root, r, e) < 0))
		return -EINVAL;
	r->run_limits = s->run_default;
	r->compile_limits = s->compile_default;
	if (apply_registry_limits(&r->run_limits, r->lang->limits, &s->run_max,
	                          e) < 0 ||
	    apply_registry_limits(&r->compile_limits, r->lang->compile_limits,
	                          &s->compile_max, e) < 0)
		return -EINVAL;
	if (parse_files(r->root, s, r, e) < 0 ||
	    parse_args(r->root, s, r, e) < 0)
		return -EINVAL;

	json_object_object_get_ex(r->root, "stdin", &v);
	if (!is_null(v)) {
		r->stdin_data = get_string(v, "stdin", &r->stdin_len, e);
		if (!r->stdin_data)
			return -EINVAL;
		if (r->stdin_len > s->max_stdin)
			return api_error_set(e, 413, "too_large",
			                     "stdin: %zu bytes, at most %llu",
			                     r->stdin_len,
			                     (unsigned long long)s->max_stdin);
	}
	if (piston) {
		if (piston_limit(r->root, "run_timeout", &r->run_limits,
		                 &s->run_max, "wall_time", e) < 0 ||
		    piston_limit(r->root, "compile_timeout", &r->compile_limits,
		                 &s->compile_max, "wall_time", e) < 0 ||
		    piston_limit(r->root, "run_cpu_time", &r->run_limits,
		                 &s->run_max, "cpu_time", e) < 0 ||
		    piston_limit(r->root, "compile_cpu_time",
		                 &r->compile_limits, &s->compile_max,
		                 "cpu_time", e) < 0 ||
		    piston_limit(r->root, "run_memory_limit", &r->run_limits,
		                 &s->run_max, "memory", e) < 0 ||
		    piston_limit(r->root, "compile_memory_limit",
		                 &r->compile_limits, &s->compile_max, "memory",
		                 e) < 0)
			return -EINVAL;
		return 0;
	}
	if (parse_limits(r->root, "limits", &r->run_limits, &s->run_max, e) <
	            0 ||
	    parse_limits(r->root, "compile_limits", &r->compile_limits,
	                 &s->compile_max, e) < 0 ||
	    parse_tests(r->root, s, r, e) < 0)
		return -EINVAL;
	v = NULL;
	json_object_object_get_ex(r->root, "interactive", &v);
	if (!is_null(v)) {
		if (json_object_get_type(v) != json_type_boolean)
			return api_error_set(
			        e, 400, "bad_field",
			        "interactive: expected true or false");
		r->interactive = json_object_get_boolean(v);
	}
	if (r->interactive && r->ntests)
		return api_error_set(e, 400, "bad_field",
		                     "interactive: not with tests");
	return 0;
}

void run_req_fini(struct run_req *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i].data);
	free(r->files);
	free(r->args);
	free(r->tests);
	json_object_put(r->root);
	memset(r, 0, sizeof(*r));
}
