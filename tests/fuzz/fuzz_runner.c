/*
 * libFuzzer target: the run API response parser of ws/runner.c (status
 * line, headers, chunked and Content-Length framing, NDJSON splitting,
 * error bodies).
 *
 * The first byte picks the mode (bit 7: stream mode) and a piece size (low
 * bits, 0: everything at once); the rest is the response.  It is parsed
 * twice, at once and in pieces, and both must agree: splitting the bytes
 * anywhere must never change the outcome.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	uint64_t hash; /* of the events, in order */
	size_t events;
	int rc;
	int status;
	bool saw_result, truncated;
	char err_code[64];
};

static void on_event(void *arg, struct json_object *ev)
{
	struct outcome *o = arg;
	const char *s = json_object_to_json_string(ev);

	for (; *s; s++)
		o->hash = (o->hash ^ (unsigned char)*s) * 1099511628211ull;
	o->events++;
	json_object_put(ev);
}

static void parse(const uint8_t *data, size_t size, bool stream, size_t piece,
                  struct outcome *o)
{
	struct runner_parser *p = runner_parser_new(stream, on_event, o);
	const struct runner_response *res;
	int rc = 0;

	memset(o, 0, sizeof(*o));
	if (!p)
		abort();
	for (size_t off = 0; off < size && rc == 0; off += piece) {
		size_t n = size - off < piece ? size - off : piece;

		rc = runner_parser_feed(p, data + off, n);
	}
	if (rc == 0)
		rc = runner_parser_eof(p);
	res = runner_parser_response(p);
	if (rc < 0 && !res->error[0])
		abort(); /* every failure says why */
	if (rc != 1 && rc >= 0)
		abort();
	if (res->body_len > RUNNER_ERROR_BODY_MAX)
		abort();
	o->rc = rc;
	o->status = res->status;
	o->saw_result = res->saw_result;
	o->truncated = res->truncated;
	memcpy(o->err_code, res->err_code, sizeof(o->err_code));
	runner_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, split;
	bool stream;
	size_t piece;

	if (size < 1)
		return 0;
	stream = data[0] & 0x80;
	piece = data[0] & 0x1f;
	data++;
	size--;
	parse(data, size, stream, size ? size : 1, &whole);
	if (!piece)
		return 0;
	parse(data, size, stream, piece, &split);
	if (whole.hash != split.hash || whole.events != split.events ||
	    whole.rc != split.rc || whole.status != split.status ||
	    whole.saw_result != split.saw_result ||
	    whole.truncated != split.truncated ||
	    strcmp(whole.err_code, split.err_code) != 0)
		abort();
	return 0;
}
