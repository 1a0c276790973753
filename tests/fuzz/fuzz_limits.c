/* libFuzzer target: limit values as they arrive from requests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_limits l;
	char err[256];
	char *s = malloc(size + 1);
	uint64_t v;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	sbx_limits_default(&l);
	sbx_limits_set_pair(&l, s, err, sizeof(err));
	sbx_parse_size(s, &v);
	sbx_parse_duration_ms(s, &v);
	free(s);
	return 0;
}
