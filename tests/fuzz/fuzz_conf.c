/* libFuzzer target: `key = value` configuration files. */
#include <stdint.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cb(void *arg, const char *key, const char *value, char *err,
              size_t errlen)
{
	size_t *n = arg;
	unsigned long long u;

	*n += strlen(key) + strlen(value);
	conf_bool(value);
	conf_uint(value, 0, 1000, &u);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	size_t n = 0;

	conf_parse((const char *)data, size, cb, &n, err, sizeof(err));
	return 0;
}
