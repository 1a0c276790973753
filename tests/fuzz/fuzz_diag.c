/* libFuzzer target: compiler and interpreter diagnostics. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list l;
	struct json_object *j;
	const char *s;

	if (diag_parse((const char *)data, size, &l) < 0)
		return 0;
	/* the limits the header promises */
	if (l.n > DIAG_MAX)
		abort();
	for (size_t i = 0; i < l.n; i++) {
		size_t m = strlen(l.v[i].message);

		if (!m || m > DIAG_MESSAGE_MAX ||
		    strlen(l.v[i].file) > DIAG_FILE_MAX)
			abort();
		if (utf8_valid((const char *)data, size) &&
		    !utf8_valid(l.v[i].message, m))
			abort(); /* a cut split a sequence */
	}
	j = diag_list_json(&l);
	if (j) {
		s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
		if (!s || !utf8_valid(s, strlen(s)))
			abort();
		json_object_put(j);
	}
	diag_list_fini(&l);
	return 0;
}
