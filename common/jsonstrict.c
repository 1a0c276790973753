/*
 * jsonstrict.c - strict parsing of one JSON object from untrusted bytes.
 */
#include "jsonstrict.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void position(const char *text, size_t len, size_t off, size_t *line,
                     size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int hex4(const char *s, size_t n, size_t i, unsigned *out)
{
	unsigned v = 0;

	if (n - i < 4)
		return -1;
	for (size_t k = 0; k < 4; k++) {
		char c = s[i + k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

bool json_has_lone_surrogate(const char *json, size_t len)
{
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = json[i];
		unsigned u, lo;

		if (!in_str) {
			if (c == '"')
				in_str = true;
			continue;
		}
		if (c == '"') {
			in_str = false;
			continue;
		}
		if (c != '\\' || i + 1 >= len)
			continue;
		i++;
		if (json[i] != 'u' || hex4(json, len, i + 1, &u))
			continue;
		i += 4;
		if (u >= 0xdc00 && u <= 0xdfff)
			return true;
		if (u < 0xd800 || u > 0xdbff)
			continue;
		if (len - i < 7 || json[i + 1] != '\\' || json[i + 2] != 'u' ||
		    hex4(json, len, i + 3, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return true;
		i += 6;
	}
	return false;
}

enum json_parse_err json_parse_object(const char *text, size_t len, int depth,
                                      const char *what, json_object **out,
                                      char *msg, size_t msglen)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *o;
	size_t end, line, col;
	bool bare = false;

	*out = NULL;
	if (json_has_lone_surrogate(text, len)) {
		/* json-c would quietly make it U+FFFD */
		snprintf(
		        msg, msglen,
		        "%s is not valid JSON: a string holds a \\u escape of a lone UTF-16 surrogate",
		        what);
		return JSON_PARSE_UTF8;
	}
	if (len > INT32_MAX) {
		snprintf(msg, msglen, "%s is too big", what);
		return JSON_PARSE_SYNTAX;
	}
	tok = json_tokener_new_ex(depth);
	if (!tok) {
		snprintf(msg, msglen, "out of memory");
		return JSON_PARSE_NOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	                                    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* a bare number or literal ends only at a delimiter: the
		   terminating NUL finishes it, and leaves anything else
		   incomplete */
		o = json_tokener_parse_ex(tok, "", 1);
		if (json_tokener_get_error(tok) == json_tokener_success) {
			jerr = json_tokener_success;
			bare = true; /* o is NULL for JSON's null */
		} else {
			json_object_put(o);
			o = NULL;
		}
	}
	json_tokener_free(tok);
	if (jerr == json_tokener_continue || (!o && jerr == 0 && !bare)) {
		position(text, len, len, &line, &col);
		snprintf(
		        msg, msglen,
		        "%s is not complete JSON: it ends at line %zu, column %zu",
		        what, line, col);
		return JSON_PARSE_SYNTAX;
	}
	if (jerr != json_tokener_success) {
		position(text, len, end, &line, &col);
		snprintf(
		        msg, msglen,
		        "%s is not valid JSON: %s at line %zu, column %zu (byte %zu)",
		        what, json_tokener_error_desc(jerr), line, col, end);
		return jerr == json_tokener_error_parse_utf8_string
		               ? JSON_PARSE_UTF8
		               : JSON_PARSE_SYNTAX;
	}
	for (size_t i = end; i < len; i++) {
		if (!isspace((unsigned char)text[i])) {
			position(text, len, i, &line, &col);
			snprintf(
			        msg, msglen,
			        "unexpected text after the JSON value at line %zu, column %zu",
			        line, col);
			json_object_put(o);
			return JSON_PARSE_SYNTAX;
		}
	}
	*out = o;
	if (!o || json_object_get_type(o) != json_type_object) {
		snprintf(msg, msglen, "%s must be a JSON object", what);
		return JSON_PARSE_NOT_OBJECT;
	}
	return JSON_PARSE_OK;
}
