/*
 * result.c - a jail stage result as JSON.  See result.h.
 */
#include "result.h"

#include <stdbool.h>
#include <stdint.h>
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

json_object *result_base64(const char *s, size_t n)
{
	static const char abc[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, m = (n + 2) / 3 * 4;
	char *text = malloc(m + 1);
	json_object *j;

	if (!text)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		text[o++] = abc[v >> 18 & 63];
		text[o++] = abc[v >> 12 & 63];
		text[o++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
		text[o++] = i + 2 < n ? abc[v & 63] : '=';
	}
	text[o] = '\0';
	j = json_object_new_string_len(text, (int)o);
	free(text);
	return j;
}

static json_object *file_json(const struct sbx_out_file *f)
{
	json_object *o = json_object_new_object();
	bool utf8 = f->text && utf8_valid(f->data, f->len);

	if (!o)
		return NULL;
	/* every value added belongs to o */
	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "type", json_object_new_string(f->type));
	json_object_object_add(o, "size",
	                       json_object_new_int64((int64_t)f->size));
	json_object_object_add(
	        o, "data",
	        utf8 ? json_object_new_string_len(f->data, (int)f->len)
	             : result_base64(f->data, f->len));
	json_object_object_add(
	        o, "encoding",
	        json_object_new_string(utf8 ? "utf-8" : "base64"));
	json_object_object_add(o, "truncated",
	                       json_object_new_boolean(f->truncated));
	return o;
}

json_object *result_files_add(json_object *o, const struct sbx_out *out)
{
	json_object *files, *refused;

	if (!o)
		return NULL;
	files = json_object_new_array();
	for (size_t i = 0; files && i < out->nfiles; i++)
		/* the array takes the file's object */
		json_object_array_add(files, file_json(&out->files[i]));
	refused = json_object_new_array();
	for (size_t i = 0; refused && i < out->nrefused; i++) {
		json_object *r = json_object_new_object();
		if (!r)
			continue;
		/* the names are printable ASCII (sandbox.h) */
		json_object_object_add(
		        r, "name",
		        json_object_new_string(out->refused[i].name));
		json_object_object_add(
		        r, "reason",
		        json_object_new_string(out->refused[i].reason));
		json_object_array_add(refused, r);
	}
	/* every value added belongs to o */
	json_object_object_add(o, "files", files);
	json_object_object_add(o, "files_refused", refused);
	json_object_object_add(o, "files_truncated",
	                       json_object_new_boolean(out->truncated));
	return o;
}
