/*
 * result.h - a jail stage result as JSON, shared by runpad-jail --json and
 * the run API so that both print the same fields the same way.
 *
 * Every function returns a new json-c reference that the caller owns (or
 * hands to a parent with json_object_object_add, which takes it), or NULL
 * on ENOMEM.
 */
#ifndef RUNPAD_RESULT_H
#define RUNPAD_RESULT_H

#include <json-c/json.h>
#include <stddef.h>

#include "sandbox.h"

/* A JSON string from bytes that may be any binary: invalid UTF-8 becomes
   U+FFFD.  s may be NULL (then ""). */
json_object *result_string(const char *s, size_t n);

/* Whether the program exited by itself (so its exit code means something). */
bool result_exited(const struct sbx_stage_result *r);

/*
 * Add one stage's fields to the object o: verdict, time_limit ("cpu",
 * "wall" or null), exit_code (null unless result_exited), signal,
 * signal_name, cpu_ms, wall_ms, memory_bytes, message, and with
 * `with_output` also stdout, stderr, stdout_truncated, stderr_truncated.
 * Returns o (NULL stays NULL).
 */
json_object *result_stage_add(json_object *o, const struct sbx_stage_result *r,
                              bool with_output);

/* A new object with every field of the stage, output included. */
json_object *result_stage_json(const struct sbx_stage_result *r);

/* A JSON string of the standard base64 (padded) of n bytes at s. */
json_object *result_base64(const char *s, size_t n);

/*
 * Add the files a program returned (struct sbx_out; may be zeroed) to the
 * object o: `files`, an array of {name, type, size, data, encoding,
 * truncated} where a text file that is valid UTF-8 has its text as data
 * with encoding "utf-8" and every other file base64 with "base64";
 * `files_refused`, an array of {name, reason}; and `files_truncated`.
 * Returns o (NULL stays NULL).
 */
json_object *result_files_add(json_object *o, const struct sbx_out *out);

#endif
