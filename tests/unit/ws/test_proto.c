/*
 * Unit tests: ws/proto, the shape checks of client messages
 * (docs/protocol.md, "Client to daemon" and "Errors").
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Small limits so that the boundaries are cheap to reach. */
static const struct proto_limits lim = {.max_name = 8,
                                        .max_updates_per_push = 3};

static void parse_ok_len(const char *text, size_t len, struct proto_msg *m)
{
	struct proto_error e = {0};
	int r = proto_parse(text, len, &lim, m, &e);

	cr_assert_eq(r, 0, "proto_parse(%s): %s: %s", text,
	             proto_err_name(e.code), e.message);
	cr_assert_not_null(m->root);
}

static void parse_ok(const char *text, struct proto_msg *m)
{
	parse_ok_len(text, strlen(text), m);
}

/* Parse text, which must fail with code; the message is left in e. */
static void parse_err_len(const char *text, size_t len, const char *code,
                          struct proto_error *e)
{
	struct proto_msg m;
	int r;

	memset(e, 0, sizeof(*e));
	r = proto_parse(text, len, &lim, &m, e);
	cr_assert_eq(r, -1, "proto_parse(%s) accepted it", text);
	cr_assert_null(m.root, "nothing to fini after a failure");
	cr_assert_not_null(proto_err_name(e->code), "%s: no code", text);
	cr_assert_str_eq(proto_err_name(e->code), code,
	                 "%s: code %s (%s), expected %s", text,
	                 proto_err_name(e->code), e->message, code);
}

static void parse_err(const char *text, const char *code, struct proto_error *e)
{
	parse_err_len(text, strlen(text), code, e);
}

/* Parse text, which must fail with code and exactly message. */
static void expect_err(const char *text, const char *code, const char *message)
{
	struct proto_error e;

	parse_err(text, code, &e);
	if (message)
		cr_assert_str_eq(e.message, message, "%s: message", text);
}

/* ---------------------------------------------------------------- types */

Test(proto, hello_with_every_field)
{
	struct proto_msg m;

	parse_ok("{\"type\":\"hello\",\"version\":41,\"name\":\"Ada\","
	         "\"color\":\"#e06c75\"}",
	         &m);
	cr_assert_eq(m.type, PROTO_HELLO);
	cr_assert(m.has_version);
	cr_assert_eq(m.version, 41);
	cr_assert_str_eq(m.name, "Ada");
	cr_assert_str_eq(m.color, "#e06c75");
	proto_msg_fini(&m);
	cr_assert_null(m.root);
}

Test(proto, hello_minimal_and_null_version)
{
	struct proto_msg m;

	parse_ok("{\"type\":\"hello\"}", &m);
	cr_assert_eq(m.type, PROTO_HELLO);
	cr_assert_not(m.has_version);
	cr_assert_null(m.name);
	cr_assert_null(m.color);
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"hello\",\"version\":null}", &m);
	cr_assert_not(m.has_version);
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"hello\",\"version\":0,\"color\":\"#AbC\"}", &m);
	cr_assert(m.has_version);
	cr_assert_eq(m.version, 0);
	cr_assert_str_eq(m.color, "#AbC");
	proto_msg_fini(&m);

	/* the largest version JavaScript counts exactly */
	parse_ok("{\"type\":\"hello\",\"version\":9007199254740992}", &m);
	cr_assert_eq(m.version, 9007199254740992LL);
	proto_msg_fini(&m);
}

Test(proto, push_fields)
{
	struct proto_msg m;
	json_object *u, *v;

	parse_ok("{\"type\":\"push\",\"version\":41,\"ref\":7,\"updates\":"
	         "[{\"clientID\":\"k3j9x\",\"changes\":[5,[0,\"hello\"],12]},"
	         "{\"clientID\":\"k3j9x\",\"changes\":[22]}]}",
	         &m);
	cr_assert_eq(m.type, PROTO_PUSH);
	cr_assert(m.has_version);
	cr_assert_eq(m.version, 41);
	cr_assert_not_null(m.ref);
	cr_assert_eq(json_object_get_type(m.ref), json_type_int);
	cr_assert_eq(json_object_get_int(m.ref), 7);
	cr_assert_eq(json_object_array_length(m.updates), 2);
	u = json_object_array_get_idx(m.updates, 0);
	cr_assert(json_object_object_get_ex(u, "clientID", &v));
	cr_assert_str_eq(json_object_get_string(v), "k3j9x");
	cr_assert(json_object_object_get_ex(u, "changes", &v));
	cr_assert_str_eq(
	        json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
	        "[5,[0,\"hello\"],12]");
	proto_msg_fini(&m);
}

Test(proto, push_ref_kinds)
{
	struct proto_msg m;

	parse_ok("{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	         "\"a\",\"changes\":[]}]}",
	         &m);
	cr_assert_null(m.ref);
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"push\",\"version\":0,\"ref\":\"r-1\",\"updates\":"
	         "[{\"clientID\":\"a\",\"changes\":[]}]}",
	         &m);
	cr_assert_str_eq(json_object_get_string(m.ref), "r-1");
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"push\",\"version\":0,\"ref\":null,\"updates\":"
	         "[{\"clientID\":\"a\",\"changes\":[]}]}",
	         &m);
	cr_assert_null(m.ref, "a null ref is json-c's NULL");
	proto_msg_fini(&m);

	expect_err("{\"type\":\"push\",\"version\":0,\"ref\":{},\"updates\":"
	           "[{\"clientID\":\"a\",\"changes\":[]}]}",
	           "bad_message", "ref: expected a number or a short string");
	expect_err("{\"type\":\"push\",\"version\":0,\"ref\":[1],\"updates\":"
	           "[{\"clientID\":\"a\",\"changes\":[]}]}",
	           "bad_message", "ref: expected a number or a short string");
	{
		char buf[256];
		snprintf(buf, sizeof(buf),
		         "{\"type\":\"push\",\"version\":0,\"ref\":\"%065d\","
		         "\"updates\":[{\"clientID\":\"a\",\"changes\":[]}]}",
		         0);
		expect_err(buf, "bad_message",
		           "ref: expected a number or a short string");
		snprintf(buf, sizeof(buf),
		         "{\"type\":\"push\",\"version\":0,\"ref\":\"%064d\","
		         "\"updates\":[{\"clientID\":\"a\",\"changes\":[]}]}",
		         0);
		parse_ok(buf, &m);
		cr_assert_eq(json_object_get_string_len(m.ref), 64);
		proto_msg_fini(&m);
	}
}

Test(proto, pull_fields)
{
	struct proto_msg m;

	parse_ok("{\"type\":\"pull\",\"version\":38}", &m);
	cr_assert_eq(m.type, PROTO_PULL);
	cr_assert(m.has_version);
	cr_assert_eq(m.version, 38);
	proto_msg_fini(&m);
}

Test(proto, presence_fields)
{
	struct proto_msg m;
	json_object *r, *v;

	parse_ok("{\"type\":\"presence\",\"version\":42,\"selection\":"
	         "{\"main\":1,\"ranges\":[{\"anchor\":3,\"head\":9},"
	         "{\"anchor\":0,\"head\":0}]}}",
	         &m);
	cr_assert_eq(m.type, PROTO_PRESENCE);
	cr_assert_eq(m.version, 42);
	cr_assert_not_null(m.selection);
	cr_assert(json_object_object_get_ex(m.selection, "ranges", &r));
	cr_assert_eq(json_object_array_length(r), 2);
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(r, 0),
	                                    "head", &v));
	cr_assert_eq(json_object_get_int(v), 9);
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"presence\",\"version\":0,\"selection\":null}",
	         &m);
	cr_assert_eq(m.type, PROTO_PRESENCE);
	cr_assert_eq(m.version, 0);
	cr_assert_null(m.selection);
	proto_msg_fini(&m);
}

Test(proto, profile_fields)
{
	struct proto_msg m;

	parse_ok("{\"type\":\"profile\",\"name\":\"Ada L.\",\"color\":"
	         "\"#61afef\"}",
	         &m);
	cr_assert_eq(m.type, PROTO_PROFILE);
	cr_assert_str_eq(m.name, "Ada L.");
	cr_assert_str_eq(m.color, "#61afef");
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"profile\",\"color\":\"#fff\"}", &m);
	cr_assert_null(m.name);
	cr_assert_str_eq(m.color, "#fff");
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"profile\"}", &m);
	cr_assert_null(m.name);
	cr_assert_null(m.color);
	proto_msg_fini(&m);
}

Test(proto, language_fields)
{
	struct proto_msg m;

	parse_ok("{\"type\":\"language\",\"language\":\"python\"}", &m);
	cr_assert_eq(m.type, PROTO_LANGUAGE);
	cr_assert_str_eq(m.language, "python");
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"language\",\"language\":\"c++\"}", &m);
	cr_assert_str_eq(m.language, "c++");
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"language\",\"language\":\"f#.net_1-2\"}", &m);
	cr_assert_str_eq(m.language, "f#.net_1-2");
	proto_msg_fini(&m);

	/* 32 characters: the most */
	parse_ok("{\"type\":\"language\",\"language\":"
	         "\"abcdefghijklmnopqrstuvwxyz012345\"}",
	         &m);
	cr_assert_eq(strlen(m.language), 32);
	proto_msg_fini(&m);
}

Test(proto, run_fields)
{
	struct proto_msg m;

	parse_ok("{\"type\":\"run\"}", &m);
	cr_assert_eq(m.type, PROTO_RUN);
	cr_assert_null(m.data);
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"run\",\"stdin\":\"1 2\\n\"}", &m);
	cr_assert_eq(m.type, PROTO_RUN);
	cr_assert_str_eq(m.data, "1 2\n");
	cr_assert_eq(m.data_len, 4);
	proto_msg_fini(&m);
}

Test(proto, stdin_fields)
{
	struct proto_msg m;

	parse_ok("{\"type\":\"stdin\",\"data\":\"Ada\\n\",\"eof\":false}", &m);
	cr_assert_eq(m.type, PROTO_STDIN);
	cr_assert_str_eq(m.data, "Ada\n");
	cr_assert_eq(m.data_len, 4);
	cr_assert_not(m.eof);
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"stdin\",\"data\":\"\",\"eof\":true}", &m);
	cr_assert_str_eq(m.data, "");
	cr_assert_eq(m.data_len, 0);
	cr_assert(m.eof);
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"stdin\",\"data\":\"\\u00e9\"}", &m);
	cr_assert_str_eq(m.data, "\xc3\xa9");
	cr_assert_eq(m.data_len, 2);
	cr_assert_not(m.eof, "eof defaults to false");
	proto_msg_fini(&m);
}

Test(proto, stop_and_ping)
{
	struct proto_msg m;

	parse_ok("{\"type\":\"stop\"}", &m);
	cr_assert_eq(m.type, PROTO_STOP);
	proto_msg_fini(&m);
	parse_ok(" {\"type\":\"ping\"}\n", &m);
	cr_assert_eq(m.type, PROTO_PING);
	proto_msg_fini(&m);
}

Test(proto, text_need_not_be_nul_terminated)
{
	struct proto_msg m;
	const char *s = "{\"type\":\"ping\"}garbage";

	parse_ok_len(s, 15, &m);
	cr_assert_eq(m.type, PROTO_PING);
	proto_msg_fini(&m);
}

/* ---------------------------------------------------------------- bad_json */

Test(proto, bad_json_says_where)
{
	struct proto_error e;

	expect_err("{\"type\":\"ping\"", "bad_json",
	           "the message is not complete JSON: it ends at line 1, "
	           "column 15");
	parse_err("{\"type\":\n  \"ping\" x}", "bad_json", &e);
	cr_assert(strstr(e.message, "the message is not valid JSON: ") ==
	                  e.message,
	          "%s", e.message);
	cr_assert(strstr(e.message, " at line 2, column 10 (byte 18)"), "%s",
	          e.message);
	expect_err("{\"type\":\"ping\"} {}", "bad_json",
	           "the message is not valid JSON: unexpected character at "
	           "line 1, column 17 (byte 16)");
	parse_err("", "bad_json", &e);
	parse_err("{'type':'ping'}", "bad_json", &e);
	/* strict mode: no trailing comma, no bare words */
	parse_err("{\"type\":\"ping\",}", "bad_json", &e);
	parse_err("{\"type\":ping}", "bad_json", &e);
}

Test(proto, too_deep_is_bad_json)
{
	char buf[200];
	size_t n = 0;
	struct proto_error e;

	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
	                      "{\"type\":\"ping\",\"x\":");
	for (int i = 0; i < 40; i++)
		buf[n++] = '[';
	for (int i = 0; i < 40; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = 0;
	parse_err(buf, "bad_json", &e);
}

/* ---------------------------------------------------------------- utf-8 */

Test(proto, raw_invalid_utf8_is_invalid_utf8)
{
	struct proto_error e;

	parse_err("{\"type\":\"hello\",\"name\":\"\xff\"}", "invalid_utf8", &e);
	cr_assert(strstr(e.message, "the message is not valid JSON"), "%s",
	          e.message);
	/* overlong '/' */
	parse_err("{\"type\":\"stdin\",\"data\":\"\xc0\xaf\"}", "invalid_utf8",
	          &e);
	/* a UTF-8-encoded surrogate */
	parse_err("{\"type\":\"stdin\",\"data\":\"\xed\xa0\x80\"}",
	          "invalid_utf8", &e);
	/* a cut sequence */
	parse_err("{\"type\":\"stdin\",\"data\":\"\xe2\x82\"}", "invalid_utf8",
	          &e);
}

Test(proto, nul_in_a_string_field_is_invalid_utf8)
{
	expect_err("{\"type\":\"hello\",\"name\":\"a\\u0000b\"}",
	           "invalid_utf8", "name: not valid UTF-8 text");
	expect_err("{\"type\":\"language\",\"language\":\"c\\u0000\"}",
	           "invalid_utf8", "language: not valid UTF-8 text");
}

/* ---------------------------------------------------------------- bad_message */

Test(proto, not_an_object)
{
	expect_err("[1,2]", "bad_message", "the message must be a JSON object");
	expect_err("\"hello\"", "bad_message",
	           "the message must be a JSON object");
	expect_err("42 ", "bad_message", "the message must be a JSON object");
}

/*
 * A bare number or literal is complete JSON (RFC 8259) but not an object,
 * so bad_message, as for [1,2].  json-c's tokener cannot see the end of a
 * number or a literal at the end of its input and says "continue"; the
 * parser must then finish the parse instead of calling the text
 * incomplete.
 */
Test(proto, bare_scalar_is_not_an_object)
{
	expect_err("42", "bad_message", "the message must be a JSON object");
	expect_err("1.5", "bad_message", "the message must be a JSON object");
	expect_err("null", "bad_message", "the message must be a JSON object");
	expect_err("true", "bad_message", "the message must be a JSON object");
	expect_err("false", "bad_message", "the message must be a JSON object");
}

Test(proto, type_missing_or_not_a_string)
{
	expect_err("{}", "bad_message", "type: missing");
	expect_err("{\"version\":1}", "bad_message", "type: missing");
	expect_err("{\"type\":1}", "bad_message", "type: missing");
	expect_err("{\"type\":null}", "bad_message", "type: missing");
	expect_err("{\"type\":[\"hello\"]}", "bad_message", "type: missing");
}

Test(proto, unknown_fields)
{
	expect_err("{\"type\":\"ping\",\"x\":1}", "bad_message",
	           "x: unknown field");
	expect_err("{\"type\":\"stop\",\"by\":\"me\"}", "bad_message",
	           "by: unknown field");
	/* a field of another type */
	expect_err("{\"type\":\"pull\",\"version\":1,\"name\":\"a\"}",
	           "bad_message", "name: unknown field");
	expect_err("{\"type\":\"hello\",\"selection\":null}", "bad_message",
	           "selection: unknown field");
	expect_err(
	        "{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	        "\"a\",\"changes\":[],\"effects\":[]}]}",
	        "bad_message", "updates[0].effects: unknown field");
}

Test(proto, versions)
{
	expect_err("{\"type\":\"pull\"}", "bad_message", "version: missing");
	expect_err("{\"type\":\"pull\",\"version\":null}", "bad_message",
	           "version: missing");
	expect_err("{\"type\":\"presence\",\"selection\":null}", "bad_message",
	           "version: missing");
	expect_err("{\"type\":\"push\",\"updates\":[{\"clientID\":\"a\","
	           "\"changes\":[]}]}",
	           "bad_message", "version: missing");
	expect_err("{\"type\":\"pull\",\"version\":\"3\"}", "bad_message",
	           "version: expected a version, a whole number from 0");
	expect_err("{\"type\":\"pull\",\"version\":-1}", "bad_message",
	           "version: expected a version, a whole number from 0");
	expect_err("{\"type\":\"pull\",\"version\":1.5}", "bad_message",
	           "version: expected a version, a whole number from 0");
	expect_err("{\"type\":\"pull\",\"version\":1.0}", "bad_message",
	           "version: expected a version, a whole number from 0");
	expect_err("{\"type\":\"hello\",\"version\":9007199254740993}",
	           "bad_message",
	           "version: expected a version, a whole number from 0");
	expect_err("{\"type\":\"hello\",\"version\":true}", "bad_message",
	           "version: expected a version, a whole number from 0");
}

Test(proto, wrong_typed_strings)
{
	expect_err("{\"type\":\"hello\",\"name\":5}", "bad_message",
	           "name: expected a string");
	expect_err("{\"type\":\"hello\",\"name\":null}", "bad_message",
	           "name: expected a string");
	expect_err("{\"type\":\"profile\",\"color\":255}", "bad_message",
	           "color: expected a string");
	expect_err("{\"type\":\"language\"}", "bad_message",
	           "language: missing");
	expect_err("{\"type\":\"language\",\"language\":1}", "bad_message",
	           "language: expected a string");
	expect_err("{\"type\":\"stdin\"}", "bad_message", "data: missing");
	expect_err("{\"type\":\"stdin\",\"data\":[\"a\"]}", "bad_message",
	           "data: expected a string");
	expect_err("{\"type\":\"stdin\",\"data\":\"a\",\"eof\":1}",
	           "bad_message", "eof: expected true or false");
	expect_err("{\"type\":\"stdin\",\"data\":\"a\",\"eof\":\"true\"}",
	           "bad_message", "eof: expected true or false");
	expect_err("{\"type\":\"run\",\"stdin\":false}", "bad_message",
	           "stdin: expected a string");
}

Test(proto, push_updates_shape)
{
	expect_err("{\"type\":\"push\",\"version\":0}", "bad_message",
	           "updates: expected an array");
	expect_err("{\"type\":\"push\",\"version\":0,\"updates\":{}}",
	           "bad_message", "updates: expected an array");
	expect_err("{\"type\":\"push\",\"version\":0,\"updates\":[]}",
	           "bad_message", "updates: empty");
	expect_err("{\"type\":\"push\",\"version\":0,\"updates\":[5]}",
	           "bad_message", "updates[0]: expected an object");
	expect_err(
	        "{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	        "\"a\",\"changes\":[]},null]}",
	        "bad_message", "updates[1]: expected an object");
	expect_err("{\"type\":\"push\",\"version\":0,\"updates\":[{\"changes\":"
	           "[]}]}",
	           "bad_message",
	           "updates[0].clientID: expected a string of 1 to 64 bytes");
	expect_err(
	        "{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	        "\"\",\"changes\":[]}]}",
	        "bad_message",
	        "updates[0].clientID: expected a string of 1 to 64 bytes");
	expect_err(
	        "{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	        "7,\"changes\":[]}]}",
	        "bad_message",
	        "updates[0].clientID: expected a string of 1 to 64 bytes");
}

Test(proto, push_client_id_lengths)
{
	char buf[256];
	struct proto_msg m;

	snprintf(buf, sizeof(buf),
	         "{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	         "\"%064d\",\"changes\":[]}]}",
	         0);
	parse_ok(buf, &m);
	proto_msg_fini(&m);
	snprintf(buf, sizeof(buf),
	         "{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	         "\"%065d\",\"changes\":[]}]}",
	         0);
	expect_err(buf, "bad_message",
	           "updates[0].clientID: expected a string of 1 to 64 bytes");
}

Test(proto, push_changes_not_an_array_is_invalid_changes)
{
	/* missing is a missing field; present but not an array is not a
	   ChangeSet */
	expect_err(
	        "{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	        "\"a\"}]}",
	        "bad_message", "updates[0].changes: missing");
	expect_err(
	        "{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	        "\"a\",\"changes\":{}}]}",
	        "invalid_changes",
	        "updates[0].changes: expected a ChangeSet (an array)");
	expect_err(
	        "{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	        "\"a\",\"changes\":\"[1]\"}]}",
	        "invalid_changes",
	        "updates[0].changes: expected a ChangeSet (an array)");
}

/* ---------------------------------------------------------------- others */

Test(proto, unknown_type)
{
	expect_err("{\"type\":\"hi\"}", "unknown_type",
	           "unknown message type 'hi'");
	expect_err("{\"type\":\"\"}", "unknown_type",
	           "unknown message type ''");
	expect_err("{\"type\":\"Hello\"}", "unknown_type",
	           "unknown message type 'Hello'");
	/* error messages from the server are not client messages */
	expect_err("{\"type\":\"welcome\"}", "unknown_type",
	           "unknown message type 'welcome'");
}

Test(proto, too_many_updates)
{
	const char *u = "{\"clientID\":\"a\",\"changes\":[]}";
	char buf[512];
	struct proto_msg m;

	snprintf(buf, sizeof(buf),
	         "{\"type\":\"push\",\"version\":0,\"updates\":[%s,%s,%s]}", u,
	         u, u);
	parse_ok(buf, &m);
	cr_assert_eq(json_object_array_length(m.updates), 3);
	proto_msg_fini(&m);
	snprintf(buf, sizeof(buf),
	         "{\"type\":\"push\",\"version\":0,\"updates\":[%s,%s,%s,%s]}",
	         u, u, u, u);
	expect_err(buf, "too_many_updates",
	           "a push may carry at most 3 updates, this one has 4");
}

Test(proto, names)
{
	struct proto_msg m;

	/* 8 bytes: the limit */
	parse_ok("{\"type\":\"hello\",\"name\":\"abcdefgh\"}", &m);
	cr_assert_str_eq(m.name, "abcdefgh");
	proto_msg_fini(&m);
	/* four 2-byte characters are 8 bytes */
	parse_ok("{\"type\":\"profile\",\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9"
	         "\xc3\xa9\"}",
	         &m);
	proto_msg_fini(&m);

	expect_err("{\"type\":\"hello\",\"name\":\"abcdefghi\"}",
	           "name_too_long", "name: 9 bytes, at most 8 allowed");
	expect_err("{\"type\":\"profile\",\"name\":\"\\u00e9\\u00e9\\u00e9"
	           "\\u00e9\\u00e9\"}",
	           "name_too_long", "name: 10 bytes, at most 8 allowed");
	expect_err("{\"type\":\"hello\",\"name\":\"\"}", "bad_name",
	           "name: empty");
	expect_err("{\"type\":\"hello\",\"name\":\"a\\tb\"}", "bad_name",
	           "name: control characters are not allowed");
	expect_err("{\"type\":\"profile\",\"name\":\"a\\u001fb\"}", "bad_name",
	           "name: control characters are not allowed");
	expect_err("{\"type\":\"hello\",\"name\":\"del\\u007f\"}", "bad_name",
	           "name: control characters are not allowed");
}

Test(proto, colors)
{
	static const char *const bad[] = {
	        "red",  "#12",    "#1234",   "#12345", "#1234567",
	        "#ggg", "e06c75", "#e06c7g", "",       "# 12345",
	};
	char buf[128];
	struct proto_msg m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf),
		         "{\"type\":\"hello\",\"color\":\"%s\"}", bad[i]);
		expect_err(buf, "bad_color", "color: expected #rgb or #rrggbb");
		snprintf(buf, sizeof(buf),
		         "{\"type\":\"profile\",\"color\":\"%s\"}", bad[i]);
		expect_err(buf, "bad_color", "color: expected #rgb or #rrggbb");
	}
	parse_ok("{\"type\":\"profile\",\"color\":\"#0aF\"}", &m);
	proto_msg_fini(&m);
	parse_ok("{\"type\":\"profile\",\"color\":\"#00aaFF\"}", &m);
	proto_msg_fini(&m);
}

Test(proto, languages)
{
	static const char *const bad[] = {
	        "",
	        "Python",
	        "py thon",
	        "c/c++",
	        "node!",
	        "\\u00e9",
	        "abcdefghijklmnopqrstuvwxyz0123456",
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf),
		         "{\"type\":\"language\",\"language\":\"%s\"}", bad[i]);
		expect_err(buf, "bad_language",
		           "language: 1 to 32 characters of a-z 0-9 + # . _ -");
	}
}

/* language's toolchain: variant and options, each absent, null, or of
   its shape; a bad one changes nothing (the hub never sees it). */
Test(proto, language_toolchain_fields)
{
	struct proto_msg m;
	json_object *v;

	parse_ok("{\"type\":\"language\",\"language\":\"c\"}", &m);
	cr_assert_not(m.has_variant);
	cr_assert_not(m.has_options);
	cr_assert_null(m.variant);
	cr_assert_null(m.options);
	proto_msg_fini(&m);

	parse_ok("{\"type\":\"language\",\"language\":\"c\",\"variant\":"
	         "\"clang-15\",\"options\":{\"std\":\"c11\",\"opt\":\"-O0\"}}",
	         &m);
	cr_assert(m.has_variant);
	cr_assert_str_eq(m.variant, "clang-15");
	cr_assert(m.has_options);
	cr_assert_eq(json_object_object_length(m.options), 2);
	cr_assert(json_object_object_get_ex(m.options, "opt", &v));
	cr_assert_str_eq(json_object_get_string(v), "-O0");
	proto_msg_fini(&m);

	/* null: the defaults, said explicitly; {} is no options */
	parse_ok("{\"type\":\"language\",\"language\":\"c\",\"variant\":null,"
	         "\"options\":null}",
	         &m);
	cr_assert(m.has_variant && m.has_options);
	cr_assert_null(m.variant);
	cr_assert_null(m.options);
	proto_msg_fini(&m);
	parse_ok("{\"type\":\"language\",\"language\":\"c\",\"options\":{}}",
	         &m);
	cr_assert(m.has_options);
	cr_assert_null(m.options);
	cr_assert_not(m.has_variant);
	proto_msg_fini(&m);

	/* the whole alphabet, 32 characters, 8 options: the most */
	parse_ok(
	        "{\"type\":\"language\",\"language\":\"cpp\",\"variant\":"
	        "\"Ab+._-9abcdefghijklmnopqrstuvwxy\",\"options\":{\"a\":\"1\","
	        "\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\",\"f\":\"6\","
	        "\"g\":\"7\",\"h\":\"c++2b\"}}",
	        &m);
	cr_assert_eq(strlen(m.variant), 32);
	cr_assert_eq(json_object_object_length(m.options), 8);
	proto_msg_fini(&m);
}

Test(proto, language_toolchain_shapes)
{
	static const struct {
		const char *fields, *code, *message;
	} bad[] = {
	        {"\"variant\":\"\"", "bad_toolchain",
	         "variant: 1 to 32 characters of A-Z a-z 0-9 + . _ -"},
	        {"\"variant\":\"clang 15\"", "bad_toolchain",
	         "variant: 1 to 32 characters of A-Z a-z 0-9 + . _ -"},
	        {"\"variant\":\"gcc/12\"", "bad_toolchain", NULL},
	        {"\"variant\":\"\\u00e9\"", "bad_toolchain", NULL},
	        {"\"variant\":\"abcdefghijklmnopqrstuvwxyz0123456\"",
	         "bad_toolchain", NULL},
	        {"\"variant\":15", "bad_message",
	         "variant: expected a string or null"},
	        {"\"variant\":[\"gcc-12\"]", "bad_message", NULL},
	        {"\"options\":[\"std\"]", "bad_message",
	         "options: expected an object of strings or null"},
	        {"\"options\":\"-O2\"", "bad_message", NULL},
	        {"\"options\":{\"std\":11}", "bad_message",
	         "options.std: expected a string"},
	        {"\"options\":{\"std\":null}", "bad_message", NULL},
	        {"\"options\":{\"std\":\"\"}", "bad_toolchain",
	         "options.std: 1 to 32 characters of A-Z a-z 0-9 + . _ -"},
	        {"\"options\":{\"std\":\"c11; rm -rf /\"}", "bad_toolchain",
	         NULL},
	        {"\"options\":{\"\":\"c11\"}", "bad_toolchain",
	         "options: a name is 1 to 32 characters of A-Z a-z 0-9 + . _ -"},
	        {"\"options\":{\"s td\":\"c11\"}", "bad_toolchain", NULL},
	        {"\"options\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\","
	         "\"e\":\"5\",\"f\":\"6\",\"g\":\"7\",\"h\":\"8\",\"i\":\"9\"}",
	         "bad_toolchain", "options: at most 8, these are 9"},
	        {"\"toolchain\":\"gcc-12\"", "bad_message",
	         "toolchain: unknown field"},
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf),
		         "{\"type\":\"language\",\"language\":\"c\",%s}",
		         bad[i].fields);
		expect_err(buf, bad[i].code, bad[i].message);
	}
	/* the language is checked first */
	expect_err("{\"type\":\"language\",\"language\":\"C\",\"variant\":"
	           "\"clang-15\"}",
	           "bad_language", NULL);
}

Test(proto, selection_shapes)
{
	static const char *const bad[] = {
	        "[]",
	        "5",
	        "\"all\"",
	        "{}",
	        "{\"ranges\":[{\"anchor\":0,\"head\":0}]}",
	        "{\"main\":0}",
	        "{\"main\":0,\"ranges\":{}}",
	        "{\"main\":-1,\"ranges\":[{\"anchor\":0,\"head\":0}]}",
	        "{\"main\":0.0,\"ranges\":[{\"anchor\":0,\"head\":0}]}",
	        "{\"main\":0,\"ranges\":[{\"anchor\":0,\"head\":0}],\"x\":1}",
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf),
		         "{\"type\":\"presence\",\"version\":0,\"selection\":%"
		         "s}",
		         bad[i]);
		expect_err(buf, "bad_message",
		           "selection: expected {main, ranges} or null");
	}
	expect_err("{\"type\":\"presence\",\"version\":0}", "bad_message",
	           "selection: missing");
	expect_err("{\"type\":\"presence\",\"version\":0,\"selection\":"
	           "{\"main\":0,\"ranges\":[]}}",
	           "bad_message",
	           "selection: 1 to 100 ranges, main one of them");
	expect_err("{\"type\":\"presence\",\"version\":0,\"selection\":"
	           "{\"main\":1,\"ranges\":[{\"anchor\":0,\"head\":0}]}}",
	           "bad_message",
	           "selection: 1 to 100 ranges, main one of them");
}

Test(proto, selection_ranges)
{
	static const char *const bad[] = {
	        "5",
	        "{\"anchor\":0}",
	        "{\"head\":0}",
	        "{\"anchor\":0,\"head\":0,\"goal\":0}",
	        "{\"anchor\":-1,\"head\":0}",
	        "{\"anchor\":0,\"head\":1.5}",
	        "{\"anchor\":\"0\",\"head\":0}",
	        "{\"anchor\":0,\"head\":2147483648}",
	        "{\"anchor\":0,\"from\":0}",
	};
	char buf[256];
	struct proto_msg m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf),
		         "{\"type\":\"presence\",\"version\":0,\"selection\":"
		         "{\"main\":0,\"ranges\":[{\"anchor\":1,\"head\":2},%s]"
		         "}}",
		         bad[i]);
		expect_err(buf, "bad_message",
		           "selection.ranges[1]: expected {anchor, head} "
		           "positions");
	}
	parse_ok(
	        "{\"type\":\"presence\",\"version\":0,\"selection\":"
	        "{\"main\":0,\"ranges\":[{\"anchor\":2147483647,\"head\":0}]}}",
	        &m);
	proto_msg_fini(&m);
}

Test(proto, selection_range_count)
{
	char *buf = malloc(8192);
	size_t n;
	struct proto_msg m;

	cr_assert_not_null(buf);
	for (int count = 100; count <= 101; count++) {
		n = (size_t)sprintf(buf,
		                    "{\"type\":\"presence\",\"version\":3,"
		                    "\"selection\":{\"main\":99,\"ranges\":[");
		for (int i = 0; i < count; i++)
			n += (size_t)sprintf(buf + n,
			                     "%s{\"anchor\":%d,\"head\":%d}",
			                     i ? "," : "", i, i);
		sprintf(buf + n, "]}}");
		if (count == 100) {
			parse_ok(buf, &m);
			proto_msg_fini(&m);
		} else {
			expect_err(buf, "bad_message",
			           "selection: 1 to 100 ranges, main one of "
			           "them");
		}
	}
	free(buf);
}

Test(proto, error_set)
{
	struct proto_error e;

	cr_assert_eq(proto_error_set(&e, PROTO_E_NO_RUN, "x=%d", 5), -1);
	cr_assert_str_eq(proto_err_name(e.code), "no_run");
	cr_assert_str_eq(e.message, "x=5");
}

Test(proto, tests_messages)
{
	struct proto_msg m;
	struct proto_error e;
	struct proto_limits tl = {.max_name = 64, .max_updates_per_push = 10};
	const char *ok = "{\"type\":\"tests\",\"tests\":[{\"name\":\"a\","
	                 "\"stdin\":\"1\",\"expected_stdout\":\"2\"}]}";

	cr_assert_eq(proto_parse(ok, strlen(ok), &tl, &m, &e), 0, "%s",
	             e.message);
	cr_assert_eq(m.type, PROTO_TESTS);
	cr_assert_eq(json_object_array_length(m.tests), 1);
	proto_msg_fini(&m);
	ok = "{\"type\":\"run\",\"tests\":true}";
	cr_assert_eq(proto_parse(ok, strlen(ok), &tl, &m, &e), 0, "%s",
	             e.message);
	cr_assert(m.run_tests);
	proto_msg_fini(&m);

	expect_err("{\"type\":\"tests\"}", "bad_message",
	           "tests: expected an array");
	expect_err("{\"type\":\"tests\",\"tests\":[{\"stdin\":\"1\"}]}",
	           "bad_message", "tests[0]: needs stdin and expected_stdout");
	expect_err("{\"type\":\"tests\",\"tests\":[{\"stdin\":\"1\","
	           "\"expected_stdout\":\"2\",\"x\":\"\"}]}",
	           "bad_message", "tests[0].x: unknown field");
	expect_err("{\"type\":\"run\",\"tests\":1}", "bad_message",
	           "tests: expected true or false");
}

Test(proto, tests_caps)
{
	size_t n = 70 * 1024 + 200;
	char *big = malloc(n), *p = big;

	p += sprintf(p, "{\"type\":\"tests\",\"tests\":[{\"stdin\":\"");
	memset(p, 'x', 65 * 1024);
	p += 65 * 1024;
	sprintf(p, "\",\"expected_stdout\":\"\"}]}");
	expect_err(big, "tests_too_large",
	           "tests[0].stdin: 66560 bytes, at most 65536");
	free(big);
}

#define KEY "Zk3mA0b1c2d3e4f5g6h7i8j9k0l1m2n3"

Test(proto, hello_key_and_create)
{
	struct proto_msg m;

	parse_ok("{\"type\":\"hello\",\"key\":\"" KEY "\"}", &m);
	cr_assert_str_eq(m.key, KEY);
	cr_assert_not(m.create);
	proto_msg_fini(&m);
	parse_ok("{\"type\":\"hello\",\"create\":{\"template\":\"two-sum\","
	         "\"language\":\"python\",\"title\":\"Q 1\",\"secret\":\"s\"}}",
	         &m);
	cr_assert(m.create);
	cr_assert_str_eq(m.tpl, "two-sum");
	cr_assert_str_eq(m.create_language, "python");
	cr_assert_str_eq(m.title, "Q 1");
	cr_assert_str_eq(m.secret, "s");
	proto_msg_fini(&m);
	parse_ok("{\"type\":\"hello\",\"create\":{}}", &m);
	cr_assert(m.create);
	cr_assert_null(m.tpl);
	proto_msg_fini(&m);
	expect_err("{\"type\":\"hello\",\"key\":\"short\"}", "bad_link",
	           "key: expected the 32 characters of a pad link's key");
	expect_err("{\"type\":\"hello\",\"key\":\"" KEY "x\"}", "bad_link",
	           "key: expected the 32 characters of a pad link's key");
	expect_err(
	        "{\"type\":\"hello\",\"key\":\"Zk3mA0b1c2d3e4f5g6h7i8j9k0l1m2n!\"}",
	        "bad_link",
	        "key: expected the 32 characters of a pad link's key");
	expect_err("{\"type\":\"hello\",\"key\":7}", "bad_message",
	           "key: expected a string");
	expect_err("{\"type\":\"hello\",\"create\":true}", "bad_message",
	           "create: expected an object");
	expect_err("{\"type\":\"hello\",\"create\":{\"owner\":\"me\"}}",
	           "bad_message", "owner: unknown field");
	expect_err("{\"type\":\"hello\",\"create\":{\"template\":\"../x\"}}",
	           "bad_template",
	           "create.template: 1 to 64 of A-Z a-z 0-9 _ -");
	expect_err("{\"type\":\"hello\",\"create\":{\"language\":\"C\"}}",
	           "bad_language",
	           "create.language: 1 to 32 characters of a-z 0-9 + # . _ -");
	expect_err("{\"type\":\"hello\",\"create\":{\"title\":\"a\\nb\"}}",
	           "bad_message",
	           "create.title: control characters are not allowed");
}

Test(proto, owner_messages)
{
	struct proto_msg m;

	parse_ok("{\"type\":\"control\",\"locked\":true,\"ended\":false}", &m);
	cr_assert_eq(m.type, PROTO_CONTROL);
	cr_assert_eq(m.locked, 1);
	cr_assert_eq(m.ended, 0);
	cr_assert_eq(m.runs_locked, -1);
	cr_assert_eq(m.playback, -1);
	cr_assert_null(m.title);
	proto_msg_fini(&m);
	expect_err("{\"type\":\"control\"}", "bad_message",
	           "control: give at least one of title, locked, runs_locked, "
	           "ended, playback");
	expect_err("{\"type\":\"control\",\"locked\":1}", "bad_message",
	           "locked: expected true or false");
	parse_ok("{\"type\":\"links\",\"rotate\":\"observer\"}", &m);
	cr_assert_eq(m.link_role, PROTO_ROLE_OBSERVER);
	cr_assert_not(m.revoke);
	proto_msg_fini(&m);
	parse_ok("{\"type\":\"links\",\"revoke\":\"candidate\"}", &m);
	cr_assert_eq(m.link_role, PROTO_ROLE_CANDIDATE);
	cr_assert(m.revoke);
	proto_msg_fini(&m);
	expect_err("{\"type\":\"links\",\"rotate\":\"owner\"}", "bad_message",
	           "rotate: expected \"candidate\" or \"observer\"");
	expect_err("{\"type\":\"links\"}", "bad_message",
	           "links: give rotate or revoke");
	expect_err("{\"type\":\"links\",\"rotate\":\"observer\",\"revoke\":"
	           "\"observer\"}",
	           "bad_message", "links: give rotate or revoke");
	parse_ok("{\"type\":\"remove\",\"id\":\"p4\"}", &m);
	cr_assert_str_eq(m.id, "p4");
	proto_msg_fini(&m);
	expect_err("{\"type\":\"remove\",\"id\":\"\"}", "bad_message",
	           "id: expected a participant id");
	parse_ok("{\"type\":\"history\",\"doc\":\"notes\",\"from\":5}", &m);
	cr_assert(m.notes);
	cr_assert_eq(m.version, 5);
	proto_msg_fini(&m);
	expect_err("{\"type\":\"history\"}", "bad_message", "from: missing");
	parse_ok("{\"type\":\"pull\",\"version\":1,\"doc\":\"pad\"}", &m);
	cr_assert_not(m.notes);
	proto_msg_fini(&m);
	expect_err("{\"type\":\"pull\",\"version\":1,\"doc\":\"other\"}",
	           "bad_message", "doc: expected \"pad\" or \"notes\"");
	parse_ok("{\"type\":\"push\",\"version\":0,\"doc\":\"notes\","
	         "\"updates\":[{\"clientID\":\"a\",\"changes\":[[0,\"x\"]]}]}",
	         &m);
	cr_assert(m.notes);
	proto_msg_fini(&m);
	/* the daemon writes t and a; a client may not */
	expect_err(
	        "{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientID\":"
	        "\"a\",\"changes\":[[0,\"x\"]],\"a\":\"p1\"}]}",
	        "bad_message", "updates[0].a: unknown field");
}
