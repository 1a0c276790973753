/*
 * jsonstrict.h - strict parsing of one JSON object from untrusted bytes, shared
 * by runpad-fcgi (request bodies) and runpad-ws (websocket messages).
 *
 * json-c's tokener in strict mode with UTF-8 validation, a depth cap, and
 * no trailing text; errors say where, by line and column, in words.  A
 * \uXXXX escape of a lone UTF-16 surrogate, which json-c 0.16 quietly
 * turns into U+FFFD, is refused as invalid UTF-8.
 */
#ifndef RUNPAD_JSONSTRICT_H
#define RUNPAD_JSONSTRICT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

enum json_parse_err {
	JSON_PARSE_OK = 0,
	JSON_PARSE_SYNTAX,     /* not JSON, incomplete, or trailing text */
	JSON_PARSE_UTF8,       /* a string holds bytes that are not UTF-8 */
	JSON_PARSE_NOT_OBJECT, /* valid JSON, but not an object */
	JSON_PARSE_NOMEM,
};

/*
 * Parse text[0..len) as one JSON object, nesting at most depth deep.
 * On JSON_PARSE_OK *out is a new reference the caller puts.  On
 * JSON_PARSE_NOT_OBJECT *out is set too (the caller puts it); on the other
 * errors *out is NULL.  what names the text in messages ("the body",
 * "the message"); msg gets a lowercase sentence such as "the message is not
 * valid JSON: unexpected character at line 1, column 9 (byte 8)".
 */
enum json_parse_err json_parse_object(const char *text, size_t len, int depth,
                                      const char *what, json_object **out,
                                      char *msg, size_t msglen);

/* True when a string in the JSON text holds a \uXXXX escape of a surrogate
   that is not half of a high-low pair (which json-c would quietly turn into
   U+FFFD).  Only looks at escapes inside strings; does not check syntax.
   For callers that parse other than an object (ot_changes_parse). */
bool json_has_lone_surrogate(const char *json, size_t len);

#endif
