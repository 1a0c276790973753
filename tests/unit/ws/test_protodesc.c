/*
 * Unit tests: docs/protocol.json, the machine-readable description of the
 * pad protocol, against the daemon's parser of client messages (ws/proto)
 * and its tables of message types and error codes.  What the daemon sends
 * is checked against the same file in test_hub.c, where every message the
 * hub queues is validated.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "protodesc.h"

/* The daemon's defaults (ws.max_name, ws.max_updates_per_push), which are
   the bounds the description gives. */
static const struct proto_limits lim = {.max_name = 64,
                                        .max_updates_per_push = 1000};

static json_object *desc;
static char err[1024];

static void setup(void)
{
	desc = protodesc_load(err, sizeof(err));
	cr_assert_not_null(desc, "%s", err);
}

static void teardown(void)
{
	json_object_put(desc);
	desc = NULL;
}

TestSuite(protodesc, .init = setup, .fini = teardown);

static bool listed(const char *name, const char *const *list, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

Test(protodesc, uses_only_what_the_validator_knows)
{
	cr_assert_eq(protodesc_lint(desc, err, sizeof(err)), 0, "%s", err);
}

/* The parser's types are the described client messages, both ways. */
Test(protodesc, client_types_are_the_parsers)
{
	const char *names[64];
	int n = protodesc_names(desc, "clientMessage", "type", names, 64);
	const char *known[PROTO_TYPE_COUNT];

	cr_assert_gt(n, 0, "clientMessage: a oneOf of messages with a type");
	cr_assert_leq(n, 64);
	for (int t = 0; t < PROTO_TYPE_COUNT; t++) {
		known[t] = proto_type_name((enum proto_type)t);
		cr_assert_not_null(known[t], "type %d has no name", t);
		cr_assert(listed(known[t], names, n),
		          "the daemon parses '%s', docs/protocol.json does not "
		          "describe it",
		          known[t]);
	}
	for (int i = 0; i < n; i++)
		cr_assert(listed(names[i], known, PROTO_TYPE_COUNT),
		          "docs/protocol.json describes the client message "
		          "'%s', the daemon does not parse it",
		          names[i]);
}

/* The daemon's error codes are the described ones, both ways. */
Test(protodesc, error_codes_are_the_daemons)
{
	const char *names[128];
	int n = protodesc_names(desc, "errorCode", NULL, names, 128);
	const char *known[PROTO_ERR_COUNT];
	json_object *one, *b, *d;

	cr_assert_gt(n, 0, "errorCode: a oneOf of consts");
	cr_assert_leq(n, 128);
	for (int e = 0; e < PROTO_ERR_COUNT; e++) {
		known[e] = proto_err_name((enum proto_err)e);
		cr_assert_not_null(known[e], "code %d has no name", e);
		cr_assert(listed(known[e], names, n),
		          "the daemon sends the error '%s', docs/protocol.json "
		          "does not describe it",
		          known[e]);
	}
	for (int i = 0; i < n; i++)
		cr_assert(listed(names[i], known, PROTO_ERR_COUNT),
		          "docs/protocol.json describes the error '%s', the "
		          "daemon has no such code",
		          names[i]);
	/* each with its meaning */
	json_object_object_get_ex(protodesc_def(desc, "errorCode"), "oneOf",
	                          &one);
	for (size_t i = 0; i < json_object_array_length(one); i++) {
		b = json_object_array_get_idx(one, i);
		cr_assert(json_object_object_get_ex(b, "description", &d) &&
		                  json_object_get_string_len(d) > 0,
		          "error %s: no description", names[i]);
	}
}

/* Every described client message (its examples) is valid and parses, as
   the type it says. */
Test(protodesc, client_examples_parse)
{
	const char *names[64];
	int n = protodesc_names(desc, "clientMessage", "type", names, 64);
	size_t total = 0;

	for (int i = 0; i < n; i++) {
		json_object *b = protodesc_branch(desc, "clientMessage", "type",
		                                  names[i]),
		            *ex;
		cr_assert(json_object_object_get_ex(b, "examples", &ex) &&
		                  json_object_array_length(ex) > 0,
		          "client.%s: no examples", names[i]);
		for (size_t k = 0; k < json_object_array_length(ex); k++) {
			const char *s = json_object_to_json_string_ext(
			        json_object_array_get_idx(ex, k),
			        JSON_C_TO_STRING_PLAIN);
			struct proto_msg m;
			struct proto_error e;
			cr_assert_eq(protodesc_validate_text(
			                     desc, "clientMessage", s,
			                     strlen(s), err, sizeof(err)),
			             0, "%s: %s", s, err);
			cr_assert_eq(proto_parse(s, strlen(s), &lim, &m, &e), 0,
			             "the daemon refuses %s: %s: %s", s,
			             proto_err_name(e.code), e.message);
			cr_assert_str_eq(proto_type_name(m.type), names[i]);
			proto_msg_fini(&m);
			total++;
		}
	}
	cr_assert_geq(total, (size_t)n);
}

/* The examples of what the daemon sends are valid too. */
Test(protodesc, server_examples_are_valid)
{
	const char *names[64];
	int n = protodesc_names(desc, "serverMessage", "type", names, 64);

	cr_assert_gt(n, 0, "serverMessage: a oneOf of messages with a type");
	for (int i = 0; i < n; i++) {
		json_object *b = protodesc_branch(desc, "serverMessage", "type",
		                                  names[i]),
		            *ex;
		cr_assert(json_object_object_get_ex(b, "examples", &ex) &&
		                  json_object_array_length(ex) > 0,
		          "server.%s: no examples", names[i]);
		for (size_t k = 0; k < json_object_array_length(ex); k++)
			cr_assert_eq(protodesc_validate(
			                     desc, "serverMessage",
			                     json_object_array_get_idx(ex, k),
			                     err, sizeof(err)),
			             0, "%s: %s",
			             json_object_to_json_string(
			                     json_object_array_get_idx(ex, k)),
			             err);
	}
}

/*
 * The fields: every described field of a client message is one the parser
 * takes (it does not say "unknown field" about it), and a field the
 * description does not have is refused by both.
 */
Test(protodesc, client_fields_are_the_parsers)
{
	const char *names[64];
	int n = protodesc_names(desc, "clientMessage", "type", names, 64);

	for (int i = 0; i < n; i++) {
		json_object *b = protodesc_branch(desc, "clientMessage", "type",
		                                  names[i]),
		            *props;
		char text[256], needle[80];
		struct proto_msg m;
		struct proto_error e;

		cr_assert(json_object_object_get_ex(b, "properties", &props));
		json_object_object_foreach(props, key, val)
		{
			(void)val;
			snprintf(text, sizeof(text),
			         "{\"type\":\"%s\",\"%s\":{}}", names[i], key);
			snprintf(needle, sizeof(needle), "%s: unknown field",
			         key);
			if (proto_parse(text, strlen(text), &lim, &m, &e) == 0)
				proto_msg_fini(&m);
			else
				cr_assert_null(strstr(e.message, needle),
				               "%s: the daemon does not take "
				               "the described field %s",
				               names[i], key);
		}
		snprintf(text, sizeof(text), "{\"type\":\"%s\",\"zz\":1}",
		         names[i]);
		cr_assert_neq(protodesc_validate_text(desc, "clientMessage",
		                                      text, strlen(text), err,
		                                      sizeof(err)),
		              0, "the description takes %s", text);
		cr_assert_eq(proto_parse(text, strlen(text), &lim, &m, &e), -1,
		             "the daemon takes %s", text);
		cr_assert_str_eq(proto_err_name(e.code), "bad_message");
	}
}

static char *repeat(const char *head, const char *item, size_t n,
                    const char *tail)
{
	size_t len = strlen(head) + n * (strlen(item) + 1) + strlen(tail) + 1;
	char *s = malloc(len), *w = s;

	cr_assert_not_null(s);
	w += sprintf(w, "%s", head);
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "%s%s", i ? "," : "", item);
	sprintf(w, "%s", tail);
	return s;
}

/* The bounds: what the parser refuses for its shape, the description
   refuses too, and what is just inside passes both. */
Test(protodesc, bounds_agree)
{
	static const struct {
		const char *text, *code; /* code NULL: accepted */
	} cases[] = {
	        {"{\"type\":\"hello\",\"version\":-1}", "bad_message"},
	        {"{\"type\":\"hello\",\"version\":1.5}", "bad_message"},
	        {"{\"type\":\"hello\",\"version\":9007199254740993}",
	         "bad_message"},
	        {"{\"type\":\"hello\",\"version\":9007199254740992}", NULL},
	        {"{\"type\":\"hello\",\"name\":\"\"}", "bad_name"},
	        {"{\"type\":\"hello\",\"name\":\"a\\tb\"}", "bad_name"},
	        {"{\"type\":\"hello\",\"name\":\"a\\u007fb\"}", "bad_name"},
	        {"{\"type\":\"hello\",\"name\":\"Ad\xc3\xa9\"}", NULL},
	        {"{\"type\":\"profile\",\"color\":\"#12345\"}", "bad_color"},
	        {"{\"type\":\"profile\",\"color\":\"red\"}", "bad_color"},
	        {"{\"type\":\"profile\",\"color\":\"#AbC\"}", NULL},
	        {"{\"type\":\"language\",\"language\":\"\"}", "bad_language"},
	        {"{\"type\":\"language\",\"language\":\"Python\"}",
	         "bad_language"},
	        {"{\"type\":\"language\",\"language\":"
	         "\"abcdefghijklmnopqrstuvwxyz0123456\"}",
	         "bad_language"},
	        {"{\"type\":\"language\",\"language\":"
	         "\"abcdefghijklmnopqrstuvwxyz012345\"}",
	         NULL},
	        {"{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	         "\"clang-15\",\"options\":{\"std\":\"c11\",\"opt\":\"-O0\"}}",
	         NULL},
	        {"{\"type\":\"language\",\"language\":\"c\",\"variant\":null,"
	         "\"options\":null}",
	         NULL},
	        {"{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	         "\"abcdefghijklmnopqrstuvwxyz012345\"}",
	         NULL},
	        {"{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	         "\"abcdefghijklmnopqrstuvwxyz0123456\"}",
	         "bad_toolchain"},
	        {"{\"type\":\"language\",\"language\":\"c\",\"variant\":\"\"}",
	         "bad_toolchain"},
	        {"{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	         "\"gcc 12\"}",
	         "bad_toolchain"},
	        {"{\"type\":\"language\",\"language\":\"c\",\"variant\":12}",
	         "bad_message"},
	        {"{\"type\":\"language\",\"language\":\"c\",\"options\":"
	         "{\"std\":1}}",
	         "bad_message"},
	        {"{\"type\":\"language\",\"language\":\"c\",\"options\":"
	         "[\"std\"]}",
	         "bad_message"},
	        {"{\"type\":\"language\",\"language\":\"c\",\"options\":"
	         "{\"s/td\":\"c11\"}}",
	         "bad_toolchain"},
	        {"{\"type\":\"language\",\"language\":\"c\",\"options\":"
	         "{\"std\":\"c 11\"}}",
	         "bad_toolchain"},
	        {"{\"type\":\"language\",\"language\":\"c\",\"options\":"
	         "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":"
	         "\"5\",\"f\":\"6\",\"g\":\"7\",\"h\":\"8\"}}",
	         NULL},
	        {"{\"type\":\"language\",\"language\":\"c\",\"options\":"
	         "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":"
	         "\"5\",\"f\":\"6\",\"g\":\"7\",\"h\":\"8\",\"i\":\"9\"}}",
	         "bad_toolchain"},
	        {"{\"type\":\"push\",\"version\":0,\"updates\":[]}",
	         "bad_message"},
	        {"{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	         "\"\",\"changes\":[]}]}",
	         "bad_message"},
	        {"{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	         "\"a\",\"changes\":{}}]}",
	         "invalid_changes"},
	        {"{\"type\":\"push\",\"version\":0,\"ref\":[1],\"updates\":[{"
	         "\"clientID\":\"a\",\"changes\":[]}]}",
	         "bad_message"},
	        {"{\"type\":\"push\",\"version\":0,\"ref\":\"r-1\",\"updates\":"
	         "[{\"clientID\":\"a\",\"changes\":[]}]}",
	         NULL},
	        {"{\"type\":\"pull\"}", "bad_message"},
	        {"{\"type\":\"presence\",\"version\":0}", "bad_message"},
	        {"{\"type\":\"presence\",\"version\":0,\"selection\":{"
	         "\"main\":0,\"ranges\":[]}}",
	         "bad_message"},
	        {"{\"type\":\"presence\",\"version\":0,\"selection\":{"
	         "\"main\":0,\"ranges\":[{\"anchor\":-1,\"head\":0}]}}",
	         "bad_message"},
	        {"{\"type\":\"presence\",\"version\":0,\"selection\":{"
	         "\"main\":0,\"ranges\":[{\"anchor\":1,\"head\":0,\"x\":0}]}}",
	         "bad_message"},
	        {"{\"type\":\"run\",\"tests\":1}", "bad_message"},
	        {"{\"type\":\"run\",\"tests\":true,\"stdin\":\"x\"}",
	         "bad_message"},
	        {"{\"type\":\"run\",\"tests\":false,\"stdin\":\"x\"}", NULL},
	        {"{\"type\":\"stdin\"}", "bad_message"},
	        {"{\"type\":\"stdin\",\"data\":\"x\",\"eof\":1}",
	         "bad_message"},
	        {"{\"type\":\"tests\",\"tests\":[{\"stdin\":\"\"}]}",
	         "bad_message"},
	        {"{\"type\":\"tests\",\"tests\":[{\"stdin\":\"\","
	         "\"expected_stdout\":1}]}",
	         "bad_message"},
	        {"{\"type\":\"nope\"}", "unknown_type"},
	        {"{\"version\":0}", "bad_message"},
	        {"[1]", "bad_message"},
	};
	struct {
		const char *head, *item, *tail, *code;
		size_t n;
	} many[] = {
	        {"{\"type\":\"push\",\"version\":0,\"updates\":[",
	         "{\"clientID\":\"a\",\"changes\":[]}", "]}", NULL, 1000},
	        {"{\"type\":\"push\",\"version\":0,\"updates\":[",
	         "{\"clientID\":\"a\",\"changes\":[]}", "]}",
	         "too_many_updates", 1001},
	        {"{\"type\":\"presence\",\"version\":0,\"selection\":{\"main\":"
	         "99,\"ranges\":[",
	         "{\"anchor\":0,\"head\":0}", "]}}", NULL, 100},
	        {"{\"type\":\"presence\",\"version\":0,\"selection\":{\"main\":"
	         "0,\"ranges\":[",
	         "{\"anchor\":0,\"head\":0}", "]}}", "bad_message", 101},
	        {"{\"type\":\"tests\",\"tests\":[",
	         "{\"stdin\":\"\",\"expected_stdout\":\"\"}", "]}", NULL, 64},
	        {"{\"type\":\"tests\",\"tests\":[",
	         "{\"stdin\":\"\",\"expected_stdout\":\"\"}", "]}",
	         "tests_too_large", 65},
	        /* strings of n bytes */
	        {"{\"type\":\"hello\",\"name\":\"", "", "\"}", NULL, 0},
	        {"{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	         "\"",
	         "", "\",\"changes\":[]}]}", NULL, 0},
	        {"{\"type\":\"tests\",\"tests\":[{\"name\":\"", "",
	         "\",\"stdin\":\"\",\"expected_stdout\":\"\"}]}", NULL, 0},
	        {"{\"type\":\"tests\",\"tests\":[{\"stdin\":\"", "",
	         "\",\"expected_stdout\":\"\"}]}", NULL, 0},
	};
	/* the byte caps: at the cap and one past it */
	static const struct {
		size_t idx, cap;
		const char *code;
	} caps[] = {{6, 64, "name_too_long"},
	            {7, 64, "bad_message"},
	            {8, 64, "tests_too_large"},
	            {9, 64 * 1024, "tests_too_large"}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].text;
		struct proto_msg m;
		struct proto_error e;
		int r = proto_parse(t, strlen(t), &lim, &m, &e);
		int d = protodesc_validate_text(desc, "clientMessage", t,
		                                strlen(t), err, sizeof(err));
		if (!cases[i].code) {
			cr_assert_eq(r, 0, "the daemon refuses %s: %s", t,
			             e.message);
			proto_msg_fini(&m);
			cr_assert_eq(d, 0, "the description refuses %s: %s", t,
			             err);
		} else {
			cr_assert_eq(r, -1, "the daemon takes %s", t);
			cr_assert_str_eq(proto_err_name(e.code), cases[i].code,
			                 "%s: %s", t, e.message);
			cr_assert_neq(d, 0, "the description takes %s", t);
		}
	}
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++) {
		for (int past = 0; past < 2; past++) {
			const char *code = many[i].code;
			size_t n = many[i].n;
			char *t, *item = NULL;
			struct proto_msg m;
			struct proto_error e;
			int r, d;

			if (!many[i].item
			             [0]) { /* a string of the cap's bytes */
				for (size_t c = 0; c < 4; c++)
					if (caps[c].idx == i) {
						item = malloc(caps[c].cap + 2);
						memset(item, 'a',
						       caps[c].cap + past);
						item[caps[c].cap + past] = 0;
						code = past ? caps[c].code
						            : NULL;
					}
				cr_assert_not_null(item);
				t = repeat(many[i].head, item, 1, many[i].tail);
				free(item);
			} else if (past) {
				break;
			} else {
				t = repeat(many[i].head, many[i].item, n,
				           many[i].tail);
			}
			r = proto_parse(t, strlen(t), &lim, &m, &e);
			d = protodesc_validate_text(desc, "clientMessage", t,
			                            strlen(t), err,
			                            sizeof(err));
			if (!code) {
				cr_assert_eq(r, 0,
				             "the daemon refuses %.80s: %s", t,
				             e.message);
				proto_msg_fini(&m);
				cr_assert_eq(
				        d, 0,
				        "the description refuses %.80s: %s", t,
				        err);
			} else {
				cr_assert_eq(r, -1, "the daemon takes %.80s",
				             t);
				cr_assert_str_eq(proto_err_name(e.code), code,
				                 "%.80s: %s", t, e.message);
				cr_assert_neq(d, 0,
				              "the description takes %.80s", t);
			}
			free(t);
		}
	}
}
