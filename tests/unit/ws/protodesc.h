/*
 * protodesc.h - docs/protocol.json, the machine-readable description of
 * the pad protocol, for the unit tests: loaded with json-c, and a
 * validator for the part of JSON Schema 2020-12 that the file uses.
 *
 * Supported keywords: $ref (to "#/$defs/NAME" only), type, const, enum,
 * properties, required, additionalProperties, maxProperties,
 * propertyNames, items, prefixItems, minItems, maxItems, minimum, maximum,
 * minLength, pattern (POSIX ERE,
 * which the file's patterns are written to mean the same in), oneOf,
 * anyOf, not, and the file's own x-maxBytes (a string's length in bytes).
 * Annotations ($schema, $id, $defs, title, description, $comment,
 * examples) are skipped.  Any other keyword makes protodesc_lint() fail,
 * so that the file cannot use what this validator would silently ignore.
 *
 * Unlike JSON Schema, "integer" does not take 1.0: the daemon refuses it.
 *
 * Test support, linked into the tests only (not into runpad-ws).
 */
#ifndef RUNPAD_TEST_PROTODESC_H
#define RUNPAD_TEST_PROTODESC_H

#include <json-c/json.h>
#include <stddef.h>

/* The description (PROTODESC_FILE, set by the Makefile): a new reference,
   or NULL with why in err. */
json_object *protodesc_load(char *err, size_t errlen);

/* 0 when every schema in desc uses only the keywords above, else -1 with
   the first offending place in err. */
int protodesc_lint(json_object *desc, char *err, size_t errlen);

/* $defs/def of desc, or NULL. */
json_object *protodesc_def(json_object *desc, const char *def);

/*
 * Validate inst against $defs/def ("clientMessage", "serverMessage",
 * "client.hello", ...).  0 when valid, else -1 with the place and the
 * reason in err (for a oneOf that nothing matched: the reason of the
 * branch that went deepest).
 */
int protodesc_validate(json_object *desc, const char *def, json_object *inst,
                       char *err, size_t errlen);

/* The same for a message as text: -1 also when it does not parse. */
int protodesc_validate_text(json_object *desc, const char *def,
                            const char *text, size_t len, char *err,
                            size_t errlen);

/*
 * The names a oneOf of $defs/def stands for: for each branch (a $ref or an
 * inline schema), the const of its property key ("type", "event"), or
 * with key NULL the branch's own const (the error codes).  Up to max
 * pointers into desc in out; the number of branches is returned, or -1
 * when a branch has no such const.
 */
int protodesc_names(json_object *desc, const char *def, const char *key,
                    const char **out, size_t max);

/* The schema in $defs/def whose property key has const value, or NULL. */
json_object *protodesc_branch(json_object *desc, const char *def,
                              const char *key, const char *value);

#endif
