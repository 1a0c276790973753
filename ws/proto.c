/*
 * proto.c - parsing and shape checks of client messages (docs/protocol.md).
 */
#include "proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jsonstrict.h"
#include "utf8.h"

#define PROTO_MAX_DEPTH 32

static const char *const err_names[] = {
#define PROTO_ERR_NAME(id, name) [PROTO_E_##id] = name,
        PROTO_ERRORS(PROTO_ERR_NAME)
#undef PROTO_ERR_NAME
};

const char *proto_err_name(enum proto_err e)
{
	return (unsigned)e < PROTO_ERR_COUNT ? err_names[e] : NULL;
}

int proto_error_set(struct proto_error *e, enum proto_err code, const char *fmt,
                    ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

static const struct {
	const char *name;
	enum proto_type type;
	const char *const *fields; /* allowed besides "type" */
} types[] = {
        {"hello", PROTO_HELLO,
         (const char *const[]){"version", "name", "color", "key", "create",
                               NULL}},
        {"push", PROTO_PUSH,
         (const char *const[]){"version", "updates", "ref", "doc", NULL}},
        {"pull", PROTO_PULL, (const char *const[]){"version", "doc", NULL}},
        {"presence", PROTO_PRESENCE,
         (const char *const[]){"version", "selection", NULL}},
        {"profile", PROTO_PROFILE,
         (const char *const[]){"name", "color", NULL}},
        {"language", PROTO_LANGUAGE,
         (const char *const[]){"language", "variant", "options", NULL}},
        {"run", PROTO_RUN, (const char *const[]){"stdin", "tests", NULL}},
        {"tests", PROTO_TESTS, (const char *const[]){"tests", NULL}},
        {"stdin", PROTO_STDIN, (const char *const[]){"data", "eof", NULL}},
        {"stop", PROTO_STOP, (const char *const[]){NULL}},
        {"ping", PROTO_PING, (const char *const[]){NULL}},
        {"control", PROTO_CONTROL,
         (const char *const[]){"title", "locked", "runs_locked", "ended",
                               "playback", NULL}},
        {"links", PROTO_LINKS, (const char *const[]){"rotate", "revoke", NULL}},
        {"remove", PROTO_REMOVE, (const char *const[]){"id", NULL}},
        {"history", PROTO_HISTORY, (const char *const[]){"doc", "from", NULL}},
};

const char *proto_role_name(enum proto_role r)
{
	switch (r) {
	case PROTO_ROLE_OWNER:
		return "owner";
	case PROTO_ROLE_CANDIDATE:
		return "candidate";
	case PROTO_ROLE_OBSERVER:
		return "observer";
	default:
		return "editor";
	}
}

/* A non-negative integer field below 2^53 (what JavaScript counts exactly). */
const char *proto_type_name(enum proto_type t)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == t)
			return types[i].name;
	return NULL;
}

static int get_version(json_object *root, const char *field, bool nullable,
                       bool *has, int64_t *out, struct proto_error *e)
{
	json_object *v;

	*has = false;
	if (!json_object_object_get_ex(root, field, &v) ||
	    json_object_get_type(v) == json_type_null) {
		if (nullable)
			return 0;
		return proto_error_set(e, PROTO_E_BAD_MESSAGE, "%s: missing",
		                       field);
	}
	if (json_object_get_type(v) != json_type_int ||
	    json_object_get_int64(v) < 0 ||
	    json_object_get_int64(v) > (INT64_C(1) << 53)) {
		return proto_error_set(
		        e, PROTO_E_BAD_MESSAGE,
		        "%s: expected a version, a whole number from 0", field);
	}
	*has = true;
	*out = json_object_get_int64(v);
	return 0;
}

static int get_string(json_object *root, const char *field, bool optional,
                      const char **out, size_t *len, struct proto_error *e)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(root, field, &v)) {
		if (optional)
			return 0;
		return proto_error_set(e, PROTO_E_BAD_MESSAGE, "%s: missing",
		                       field);
	}
	if (json_object_get_type(v) != json_type_string)
		return proto_error_set(e, PROTO_E_BAD_MESSAGE,
		                       "%s: expected a string", field);
	*out = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	if (memchr(*out, 0, *len) || !utf8_valid(*out, *len))
		return proto_error_set(e, PROTO_E_INVALID_UTF8,
		                       "%s: not valid UTF-8 text", field);
	return 0;
}

static int check_name(const char *s, size_t len, const struct proto_limits *lim,
                      struct proto_error *e)
{
	if (len > lim->max_name)
		return proto_error_set(e, PROTO_E_NAME_TOO_LONG,
		                       "name: %zu bytes, at most %zu allowed",
		                       len, lim->max_name);
	if (len == 0)
		return proto_error_set(e, PROTO_E_BAD_NAME, "name: empty");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return proto_error_set(
			        e, PROTO_E_BAD_NAME,
			        "name: control characters are not allowed");
	return 0;
}

static int check_color(const char *s, size_t len, struct proto_error *e)
{
	if ((len == 4 || len == 7) && s[0] == '#') {
		size_t i;
		for (i = 1; i < len; i++)
			if (!strchr("0123456789abcdefABCDEF", s[i]))
				break;
		if (i == len)
			return 0;
	}
	return proto_error_set(e, PROTO_E_BAD_COLOR,
	                       "color: expected #rgb or #rrggbb");
}

static int check_updates(json_object *u, const struct proto_limits *lim,
                         struct proto_error *e)
{
	size_t n;

	if (!u || json_object_get_type(u) != json_type_array)
		return proto_error_set(e, PROTO_E_BAD_MESSAGE,
		                       "updates: expected an array");
	n = json_object_array_length(u);
	if (n == 0)
		return proto_error_set(e, PROTO_E_BAD_MESSAGE,
		                       "updates: empty");
	if (n > lim->max_updates_per_push)
		return proto_error_set(
		        e, PROTO_E_TOO_MANY_UPDATES,
		        "a push may carry at most %zu updates, this one has %zu",
		        lim->max_updates_per_push, n);
	for (size_t i = 0; i < n; i++) {
		json_object *up = json_object_array_get_idx(u, i), *id, *ch;
		size_t idlen;
		if (json_object_get_type(up) != json_type_object)
			return proto_error_set(
			        e, PROTO_E_BAD_MESSAGE,
			        "updates[%zu]: expected an object", i);
		json_object_object_foreach(up, key, val)
		{
			(void)val;
			if (strcmp(key, "clientID") && strcmp(key, "changes"))
				return proto_error_set(
				        e, PROTO_E_BAD_MESSAGE,
				        "updates[%zu].%.32s: unknown field", i,
				        key);
		}
		if (!json_object_object_get_ex(up, "clientID", &id) ||
		    json_object_get_type(id) != json_type_string ||
		    (idlen = (size_t)json_object_get_string_len(id)) == 0 ||
		    idlen > PROTO_MAX_CLIENT_ID ||
		    !utf8_valid(json_object_get_string(id), idlen))
			return proto_error_set(
			        e, PROTO_E_BAD_MESSAGE,
			        "updates[%zu].clientID: expected a string of 1 to %d bytes",
			        i, PROTO_MAX_CLIENT_ID);
		if (!json_object_object_get_ex(up, "changes", &ch))
			return proto_error_set(e, PROTO_E_BAD_MESSAGE,
			                       "updates[%zu].changes: missing",
			                       i);
		if (json_object_get_type(ch) != json_type_array)
			return proto_error_set(
			        e, PROTO_E_INVALID_CHANGES,
			        "updates[%zu].changes: expected a ChangeSet (an array)",
			        i);
	}
	return 0;
}

/* The pad's tests: {name?, stdin, expected_stdout} each, within caps. */
static int check_tests(json_object *t, struct proto_error *e)
{
	size_t n, total = 0;

	if (!t || json_object_get_type(t) != json_type_array)
		return proto_error_set(e, PROTO_E_BAD_MESSAGE,
		                       "tests: expected an array");
	n = json_object_array_length(t);
	if (n > PROTO_MAX_TESTS)
		return proto_error_set(
		        e, PROTO_E_TESTS_TOO_LARGE,
		        "a pad may hold at most %d tests, this list has %zu",
		        PROTO_MAX_TESTS, n);
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(t, i);
		static const char *const fields[] = {"name", "stdin",
		                                     "expected_stdout"};
		if (json_object_get_type(x) != json_type_object)
			return proto_error_set(e, PROTO_E_BAD_MESSAGE,
			                       "tests[%zu]: expected an object",
			                       i);
		json_object_object_foreach(x, key, val)
		{
			size_t f, len;
			for (f = 0; f < 3; f++)
				if (strcmp(key, fields[f]) == 0)
					break;
			if (f == 3)
				return proto_error_set(
				        e, PROTO_E_BAD_MESSAGE,
				        "tests[%zu].%.32s: unknown field", i,
				        key);
			if (json_object_get_type(val) != json_type_string)
				return proto_error_set(
				        e, PROTO_E_BAD_MESSAGE,
				        "tests[%zu].%s: expected a string", i,
				        key);
			len = (size_t)json_object_get_string_len(val);
			if (memchr(json_object_get_string(val), 0, len) ||
			    !utf8_valid(json_object_get_string(val), len))
				return proto_error_set(
				        e, PROTO_E_INVALID_UTF8,
				        "tests[%zu].%s: not valid UTF-8 text",
				        i, key);
			if (len > (f == 0 ? PROTO_MAX_TEST_NAME
			                  : PROTO_MAX_TEST_FIELD))
				return proto_error_set(
				        e, PROTO_E_TESTS_TOO_LARGE,
				        "tests[%zu].%s: %zu bytes, at most %d",
				        i, key, len,
				        f == 0 ? PROTO_MAX_TEST_NAME
				               : PROTO_MAX_TEST_FIELD);
			total += len;
		}
		if (!json_object_object_get_ex(x, "stdin", NULL) ||
		    !json_object_object_get_ex(x, "expected_stdout", NULL))
			return proto_error_set(
			        e, PROTO_E_BAD_MESSAGE,
			        "tests[%zu]: needs stdin and expected_stdout",
			        i);
	}
	if (total > PROTO_MAX_TESTS_BYTES)
		return proto_error_set(e, PROTO_E_TESTS_TOO_LARGE,
		                       "the tests hold %zu bytes, at most %d",
		                       total, PROTO_MAX_TESTS_BYTES);
	return 0;
}

static int int_field(json_object *o, const char *f, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, f, &v) ||
	    json_object_get_type(v) != json_type_int ||
	    json_object_get_int64(v) < 0 ||
	    json_object_get_int64(v) > INT32_MAX)
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

static int check_selection(json_object *s, struct proto_error *e)
{
	json_object *ranges;
	int64_t main_idx, x;
	size_t n;

	if (json_object_get_type(s) != json_type_object ||
	    json_object_object_length(s) != 2 ||
	    !json_object_object_get_ex(s, "ranges", &ranges) ||
	    json_object_get_type(ranges) != json_type_array ||
	    int_field(s, "main", &main_idx) < 0)
		return proto_error_set(
		        e, PROTO_E_BAD_MESSAGE,
		        "selection: expected {main, ranges} or null");
	n = json_object_array_length(ranges);
	if (n == 0 || n > PROTO_MAX_RANGES || (size_t)main_idx >= n)
		return proto_error_set(
		        e, PROTO_E_BAD_MESSAGE,
		        "selection: 1 to %d ranges, main one of them",
		        PROTO_MAX_RANGES);
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(ranges, i);
		if (json_object_get_type(r) != json_type_object ||
		    json_object_object_length(r) != 2 ||
		    int_field(r, "anchor", &x) < 0 ||
		    int_field(r, "head", &x) < 0)
			return proto_error_set(
			        e, PROTO_E_BAD_MESSAGE,
			        "selection.ranges[%zu]: expected {anchor, head} positions",
			        i);
	}
	return 0;
}

static int check_fields(json_object *root, const char *const *allowed,
                        struct proto_error *e)
{
	json_object_object_foreach(root, key, val)
	{
		bool known = strcmp(key, "type") == 0;
		(void)val;
		for (size_t i = 0; !known && allowed[i]; i++)
			known = strcmp(key, allowed[i]) == 0;
		if (!known)
			return proto_error_set(e, PROTO_E_BAD_MESSAGE,
			                       "%.32s: unknown field", key);
	}
	return 0;
}

/* "doc": "pad" (the default) or "notes" */
static int get_doc(json_object *root, bool *notes, struct proto_error *e)
{
	json_object *v;
	const char *s;

	*notes = false;
	if (!json_object_object_get_ex(root, "doc", &v))
		return 0;
	s = json_object_get_type(v) == json_type_string
	            ? json_object_get_string(v)
	            : "";
	if (strcmp(s, "pad") == 0)
		return 0;
	if (strcmp(s, "notes") == 0) {
		*notes = true;
		return 0;
	}
	return proto_error_set(e, PROTO_E_BAD_MESSAGE,
	                       "doc: expected \"pad\" or \"notes\"");
}

static int get_bool3(json_object *root, const char *f, int *out,
                     struct proto_error *e)
{
	json_object *v;

	*out = -1;
	if (!json_object_object_get_ex(root, f, &v))
		return 0;
	if (json_object_get_type(v) != json_type_boolean)
		return proto_error_set(e, PROTO_E_BAD_MESSAGE,
		                       "%s: expected true or false", f);
	*out = json_object_get_boolean(v);
	return 0;
}

static int check_title(const char *s, size_t len, const char *field,
                       struct proto_error *e)
{
	if (len > PROTO_MAX_TITLE)
		return proto_error_set(e, PROTO_E_BAD_MESSAGE,
		                       "%s: %zu bytes, at most %d", field, len,
		                       PROTO_MAX_TITLE);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return proto_error_set(
			        e, PROTO_E_BAD_MESSAGE,
			        "%s: control characters are not allowed",
			        field);
	return 0;
}

bool proto_toolchain_word(const char *s, size_t len)
{
	return len > 0 && len <= PROTO_MAX_TOOLCHAIN &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789+._-") == len;
}

/* language's variant and options: each absent, null, or of its shape */
static int parse_toolchain(struct proto_msg *m, struct proto_error *e)
{
	json_object *v;
	size_t n;

	if (json_object_object_get_ex(m->root, "variant", &v)) {
		m->has_variant = true;
		if (json_object_get_type(v) != json_type_null) {
			if (json_object_get_type(v) != json_type_string)
				return proto_error_set(
				        e, PROTO_E_BAD_MESSAGE,
				        "variant: expected a string or null");
			m->variant = json_object_get_string(v);
			if (!proto_toolchain_word(
			            m->variant,
			            (size_t)json_object_get_string_len(v)))
				return proto_error_set(
				        e, PROTO_E_BAD_TOOLCHAIN,
				        "variant: 1 to %d characters of A-Z a-z 0-9 + . _ -",
				        PROTO_MAX_TOOLCHAIN);
		}
	}
	if (!json_object_object_get_ex(m->root, "options", &v))
		return 0;
	m->has_options = true;
	if (json_object_get_type(v) == json_type_null)
		return 0;
	if (json_object_get_type(v) != json_type_object)
		return proto_error_set(
		        e, PROTO_E_BAD_MESSAGE,
		        "options: expected an object of strings or null");
	n = (size_t)json_object_object_length(v);
	if (n > PROTO_MAX_OPTIONS)
		return proto_error_set(e, PROTO_E_BAD_TOOLCHAIN,
		                       "options: at most %d, these are %zu",
		                       PROTO_MAX_OPTIONS, n);
	json_object_object_foreach(v, key, val)
	{
		if (!proto_toolchain_word(key, strlen(key)))
			return proto_error_set(
			        e, PROTO_E_BAD_TOOLCHAIN,
			        "options: a name is 1 to %d characters of A-Z a-z 0-9 + . _ -",
			        PROTO_MAX_TOOLCHAIN);
		if (json_object_get_type(val) != json_type_string)
			return proto_error_set(e, PROTO_E_BAD_MESSAGE,
			                       "options.%s: expected a string",
			                       key);
		if (!proto_toolchain_word(
		            json_object_get_string(val),
		            (size_t)json_object_get_string_len(val)))
			return proto_error_set(
			        e, PROTO_E_BAD_TOOLCHAIN,
			        "options.%s: 1 to %d characters of A-Z a-z 0-9 + . _ -",
			        key, PROTO_MAX_TOOLCHAIN);
	}
	m->options = n ? v : NULL;
	return 0;
}

static bool key_chars(const char *s, size_t len)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789_-") == len;
}

/* hello's key and create */
static int parse_link(struct proto_msg *m, struct proto_error *e)
{
	json_object *root = m->root, *c;
	size_t len;

	if (get_string(root, "key", true, &m->key, &len, e) < 0)
		return -1;
	if (m->key && (len != PROTO_KEY_LEN || !key_chars(m->key, len)))
		return proto_error_set(
		        e, PROTO_E_BAD_LINK,
		        "key: expected the %d characters of a pad link's key",
		        PROTO_KEY_LEN);
	if (!json_object_object_get_ex(root, "create", &c))
		return 0;
	if (json_object_get_type(c) != json_type_object)
		return proto_error_set(e, PROTO_E_BAD_MESSAGE,
		                       "create: expected an object");
	if (check_fields(c,
	                 (const char *const[]){"template", "language", "title",
	                                       "secret", NULL},
	                 e) < 0)
		return -1;
	m->create = true;
	if (get_string(c, "template", true, &m->tpl, &len, e) < 0)
		return -1;
	if (m->tpl &&
	    (len == 0 || len > PROTO_MAX_TEMPLATE || !key_chars(m->tpl, len)))
		return proto_error_set(
		        e, PROTO_E_BAD_TEMPLATE,
		        "create.template: 1 to %d of A-Z a-z 0-9 _ -",
		        PROTO_MAX_TEMPLATE);
	if (get_string(c, "language", true, &m->create_language, &len, e) < 0)
		return -1;
	if (m->create_language &&
	    (len == 0 || len > PROTO_MAX_LANGUAGE ||
	     strspn(m->create_language,
	            "abcdefghijklmnopqrstuvwxyz0123456789+#._-") != len))
		return proto_error_set(
		        e, PROTO_E_BAD_LANGUAGE,
		        "create.language: 1 to %d characters of a-z 0-9 + # . _ -",
		        PROTO_MAX_LANGUAGE);
	if (get_string(c, "title", true, &m->title, &len, e) < 0 ||
	    (m->title && check_title(m->title, len, "create.title", e) < 0))
		return -1;
	if (get_string(c, "secret", true, &m->secret, &len, e) < 0)
		return -1;
	if (m->secret && len > PROTO_MAX_SECRET)
		return proto_error_set(e, PROTO_E_CREATE_FORBIDDEN,
		                       "create.secret: at most %d bytes",
		                       PROTO_MAX_SECRET);
	return 0;
}

static int parse_links(struct proto_msg *m, struct proto_error *e)
{
	json_object *rot, *rev, *v;
	const char *s;

	json_object_object_get_ex(m->root, "rotate", &rot);
	json_object_object_get_ex(m->root, "revoke", &rev);
	if (!rot == !rev)
		return proto_error_set(e, PROTO_E_BAD_MESSAGE,
		                       "links: give rotate or revoke");
	v = rot ? rot : rev;
	m->revoke = rev != NULL;
	s = json_object_get_type(v) == json_type_string
	            ? json_object_get_string(v)
	            : "";
	if (strcmp(s, "candidate") == 0)
		m->link_role = PROTO_ROLE_CANDIDATE;
	else if (strcmp(s, "observer") == 0)
		m->link_role = PROTO_ROLE_OBSERVER;
	else
		return proto_error_set(
		        e, PROTO_E_BAD_MESSAGE,
		        "%s: expected \"candidate\" or \"observer\"",
		        rot ? "rotate" : "revoke");
	return 0;
}

static int parse_fields(struct proto_msg *m, const struct proto_limits *lim,
                        struct proto_error *e)
{
	json_object *root = m->root, *v;
	size_t len;
	bool has;

	switch (m->type) {
	case PROTO_HELLO:
	case PROTO_PROFILE:
		if (m->type == PROTO_HELLO &&
		    get_version(root, "version", true, &m->has_version,
		                &m->version, e) < 0)
			return -1;
		if (get_string(root, "name", true, &m->name, &len, e) < 0 ||
		    (m->name && check_name(m->name, len, lim, e) < 0))
			return -1;
		if (get_string(root, "color", true, &m->color, &len, e) < 0 ||
		    (m->color && check_color(m->color, len, e) < 0))
			return -1;
		if (m->type == PROTO_HELLO)
			return parse_link(m, e);
		return 0;
	case PROTO_PUSH:
		if (get_doc(root, &m->notes, e) < 0)
			return -1;
		if (get_version(root, "version", false, &has, &m->version, e) <
		    0)
			return -1;
		m->has_version = true;
		json_object_object_get_ex(root, "updates", &m->updates);
		if (check_updates(m->updates, lim, e) < 0)
			return -1;
		if (json_object_object_get_ex(root, "ref", &m->ref)) {
			json_type t = json_object_get_type(m->ref);
			if (t == json_type_object || t == json_type_array ||
			    (t == json_type_string &&
			     json_object_get_string_len(m->ref) > 64))
				return proto_error_set(
				        e, PROTO_E_BAD_MESSAGE,
				        "ref: expected a number or a short string");
		}
		return 0;
	case PROTO_PULL:
		m->has_version = true;
		if (get_doc(root, &m->notes, e) < 0)
			return -1;
		return get_version(root, "version", false, &has, &m->version,
		                   e);
	case PROTO_HISTORY:
		m->has_version = true;
		if (get_doc(root, &m->notes, e) < 0)
			return -1;
		return get_version(root, "from", false, &has, &m->version, e);
	case PROTO_CONTROL:
		if (get_string(root, "title", true, &m->title, &len, e) < 0 ||
		    (m->title && check_title(m->title, len, "title", e) < 0))
			return -1;
		if (get_bool3(root, "locked", &m->locked, e) < 0 ||
		    get_bool3(root, "runs_locked", &m->runs_locked, e) < 0 ||
		    get_bool3(root, "ended", &m->ended, e) < 0 ||
		    get_bool3(root, "playback", &m->playback, e) < 0)
			return -1;
		if (!m->title && m->locked < 0 && m->runs_locked < 0 &&
		    m->ended < 0 && m->playback < 0)
			return proto_error_set(
			        e, PROTO_E_BAD_MESSAGE,
			        "control: give at least one of title, locked, runs_locked, ended, playback");
		return 0;
	case PROTO_LINKS:
		return parse_links(m, e);
	case PROTO_REMOVE:
		if (get_string(root, "id", false, &m->id, &len, e) < 0)
			return -1;
		if (len == 0 || len >= 16)
			return proto_error_set(e, PROTO_E_BAD_MESSAGE,
			                       "id: expected a participant id");
		return 0;
	case PROTO_PRESENCE:
		if (get_version(root, "version", false, &has, &m->version, e) <
		    0)
			return -1;
		m->has_version = true;
		if (!json_object_object_get_ex(root, "selection", &v))
			return proto_error_set(e, PROTO_E_BAD_MESSAGE,
			                       "selection: missing");
		if (json_object_get_type(v) == json_type_null)
			return 0;
		m->selection = v;
		return check_selection(v, e);
	case PROTO_LANGUAGE:
		if (get_string(root, "language", false, &m->language, &len, e) <
		    0)
			return -1;
		if (len == 0 || len > PROTO_MAX_LANGUAGE ||
		    strspn(m->language,
		           "abcdefghijklmnopqrstuvwxyz0123456789+#._-") != len)
			return proto_error_set(
			        e, PROTO_E_BAD_LANGUAGE,
			        "language: 1 to %d characters of a-z 0-9 + # . _ -",
			        PROTO_MAX_LANGUAGE);
		return parse_toolchain(m, e);
	case PROTO_RUN:
		if (json_object_object_get_ex(root, "tests", &v)) {
			if (json_object_get_type(v) != json_type_boolean)
				return proto_error_set(
				        e, PROTO_E_BAD_MESSAGE,
				        "tests: expected true or false");
			m->run_tests = json_object_get_boolean(v);
		}
		if (get_string(root, "stdin", true, &m->data, &m->data_len, e) <
		    0)
			return -1;
		if (m->run_tests && m->data)
			return proto_error_set(
			        e, PROTO_E_BAD_MESSAGE,
			        "stdin: a run of the tests takes each test's own stdin");
		return 0;
	case PROTO_TESTS:
		json_object_object_get_ex(root, "tests", &m->tests);
		return check_tests(m->tests, e);
	case PROTO_STDIN:
		if (get_string(root, "data", false, &m->data, &m->data_len, e) <
		    0)
			return -1;
		if (json_object_object_get_ex(root, "eof", &v)) {
			if (json_object_get_type(v) != json_type_boolean)
				return proto_error_set(
				        e, PROTO_E_BAD_MESSAGE,
				        "eof: expected true or false");
			m->eof = json_object_get_boolean(v);
		}
		return 0;
	case PROTO_STOP:
	case PROTO_PING:
	case PROTO_TYPE_COUNT: /* not a type */
		return 0;
	}
	return 0;
}

int proto_parse(const char *text, size_t len, const struct proto_limits *lim,
                struct proto_msg *m, struct proto_error *e)
{
	json_object *t;
	const char *type;
	size_t i;

	memset(m, 0, sizeof(*m));
	m->locked = m->runs_locked = m->ended = m->playback = -1;
	switch (json_parse_object(text, len, PROTO_MAX_DEPTH, "the message",
	                          &m->root, e->message, sizeof(e->message))) {
	case JSON_PARSE_OK:
		break;
	case JSON_PARSE_UTF8:
		e->code = PROTO_E_INVALID_UTF8;
		return -1;
	case JSON_PARSE_NOT_OBJECT:
		json_object_put(m->root);
		m->root = NULL;
		e->code = PROTO_E_BAD_MESSAGE;
		return -1;
	case JSON_PARSE_NOMEM:
		e->code = PROTO_E_SERVER_BUSY;
		return -1;
	default:
		e->code = PROTO_E_BAD_JSON;
		return -1;
	}
	if (!json_object_object_get_ex(m->root, "type", &t) ||
	    json_object_get_type(t) != json_type_string) {
		proto_error_set(e, PROTO_E_BAD_MESSAGE, "type: missing");
		goto out_put;
	}
	type = json_object_get_string(t);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		proto_error_set(e, PROTO_E_UNKNOWN_TYPE,
		                "unknown message type '%.32s'", type);
		goto out_put;
	}
	m->type = types[i].type;
	if (check_fields(m->root, types[i].fields, e) < 0 ||
	    parse_fields(m, lim, e) < 0)
		goto out_put;
	return 0;
out_put:
	json_object_put(m->root);
	memset(m, 0, sizeof(*m));
	return -1;
}

void proto_msg_fini(struct proto_msg *m)
{
	json_object_put(m->root);
	m->root = NULL;
}
