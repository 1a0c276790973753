/*
 * result.c - a jail stage result as JSON.  See result.h.
 */
#include "result.h"

#include <stdbool.h>
#include <stdlib.h>

#include "utf8.h"

json_object *result_string(const char *s, size_t n)
{
	size_t m;
	char *clean = utf8_sanitize(s ? s : "", s ? n : 0, &m);
	json_object *o;

	if (!clean)
		return NULL;
	o = json_object_new_string_len(clean, (int)m);
	free(clean);
	return o;
}

bool result_exited(const struct sbx_stage_result *r)
{
	return r->signal == 0 && r->verdict != SBX_INTERNAL_ERROR;
}

json_object *result_stage_add(json_object *o, const struct sbx_stage_result *r,
                              bool with_output)
{
	const char *sig = r->signal ? sbx_signal_name(r->signal) : NULL;

	if (!o)
		return NULL;
	/* every value added below belongs to o */
	json_object_object_add(
	        o, "verdict",
	        json_object_new_string(sbx_verdict_name(r->verdict)));
	json_object_object_add(
	        o, "time_limit",
	        r->verdict == SBX_TIME_LIMIT
	                ? json_object_new_string(r->time_limit_wall ? "wall"
	                                                            : "cpu")
	                : NULL);
	json_object_object_add(
	        o, "exit_code",
	        result_exited(r) ? json_object_new_int(r->exit_code) : NULL);
	json_object_object_add(
	        o, "signal", r->signal ? json_object_new_int(r->signal) : NULL);
	json_object_object_add(o, "signal_name",
	                       sig ? json_object_new_string(sig) : NULL);
	json_object_object_add(o, "cpu_ms",
	                       json_object_new_int64((int64_t)r->cpu_ms));
	json_object_object_add(o, "wall_ms",
	                       json_object_new_int64((int64_t)r->wall_ms));
	json_object_object_add(o, "memory_bytes",
	                       json_object_new_int64((int64_t)r->memory_peak));
	if (with_output) {
		json_object_object_add(o, "stdout",
		                       result_string(r->out, r->out_len));
		json_object_object_add(o, "stderr",
		                       result_string(r->err, r->err_len));
		json_object_object_add(
		        o, "stdout_truncated",
		        json_object_new_boolean(r->out_truncated));
		json_object_object_add(
		        o, "stderr_truncated",
		        json_object_new_boolean(r->err_truncated));
	}
	json_object_object_add(o, "message",
	                       json_object_new_string(r->message));
	return o;
}

json_object *result_stage_json(const struct sbx_stage_result *r)
{
	return result_stage_add(json_object_new_object(), r, true);
}
