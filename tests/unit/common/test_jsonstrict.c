/* Unit tests: strict parsing of one JSON object (common/jsonstrict). */
#include <criterion/criterion.h>
#include <string.h>

#include "jsonstrict.h"

static enum json_parse_err parse(const char *text, json_object **o, char *msg)
{
	return json_parse_object(text, strlen(text), 8, "the message", o, msg,
	                         200);
}

Test(jsonstrict, object_parses)
{
	json_object *o;
	char msg[200];

	cr_assert_eq(parse(" {\"a\": [1, \"\\ud83d\\ude00\"]} \n", &o, msg),
	             JSON_PARSE_OK, "%s", msg);
	cr_assert(json_object_object_get_ex(o, "a", NULL));
	json_object_put(o);
}

Test(jsonstrict, errors_say_where)
{
	json_object *o;
	char msg[200];

	cr_assert_eq(parse("{\"a\": }", &o, msg), JSON_PARSE_SYNTAX);
	cr_assert_null(o);
	cr_assert(strstr(msg, "the message is not valid JSON: "), "%s", msg);
	cr_assert(strstr(msg, "line 1, column 7"), "%s", msg);

	cr_assert_eq(parse("{\"a\": 1", &o, msg), JSON_PARSE_SYNTAX);
	cr_assert(strstr(msg, "is not complete JSON: it ends at line 1, column "
	                      "8"),
	          "%s", msg);

	cr_assert_eq(parse("{}\n  x", &o, msg), JSON_PARSE_SYNTAX);
	cr_assert_null(o);
	cr_assert(strstr(msg, "at line 2, column 3"), "%s", msg);
}

Test(jsonstrict, other_values_are_not_objects)
{
	static const char *const values[] = {"42",   "1.5",   "null",
	                                     "true", "\"x\"", "[1]"};
	json_object *o;
	char msg[200];

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		cr_assert_eq(parse(values[i], &o, msg), JSON_PARSE_NOT_OBJECT,
		             "%s: %s", values[i], msg);
		cr_assert_str_eq(msg, "the message must be a JSON object");
		json_object_put(o); /* NULL for null */
	}
}

Test(jsonstrict, depth_is_capped)
{
	json_object *o;
	char msg[200];

	cr_assert_eq(parse("{\"a\":[[[[[[[[[[1]]]]]]]]]]}", &o, msg),
	             JSON_PARSE_SYNTAX);
	cr_assert_null(o);
}

Test(jsonstrict, invalid_utf8_and_lone_surrogates)
{
	json_object *o;
	char msg[200];

	cr_assert_eq(parse("{\"a\":\"\xff\"}", &o, msg), JSON_PARSE_UTF8);
	cr_assert_null(o);
	/* json-c alone would hand back U+FFFD for these */
	cr_assert_eq(parse("{\"a\":\"x\\ud800y\"}", &o, msg), JSON_PARSE_UTF8);
	cr_assert_null(o);
	cr_assert_str_eq(msg, "the message is not valid JSON: a string holds "
	                      "a \\u escape of a lone UTF-16 surrogate");
	cr_assert_eq(parse("{\"a\":\"\\udc00\"}", &o, msg), JSON_PARSE_UTF8);
	cr_assert_eq(parse("{\"a\":\"\\ude00\\ud83d\"}", &o, msg),
	             JSON_PARSE_UTF8);
}

Test(jsonstrict, lone_surrogate_scan)
{
	cr_assert(json_has_lone_surrogate("[[0,\"\\ud800\"]]", 13));
	cr_assert(json_has_lone_surrogate("\"\\udfff", 7));
	cr_assert(json_has_lone_surrogate("\"\\uD800\\n\"", 10));
	cr_assert_not(json_has_lone_surrogate("\"\\ud83d\\ude00\"", 14));
	cr_assert_not(json_has_lone_surrogate("\"\\\\ud800\"", 9));
	cr_assert_not(json_has_lone_surrogate("\\ud800", 6)); /* no string */
	cr_assert_not(json_has_lone_surrogate("\"\\u00e9\"", 8));
}
