/* libFuzzer target: UTF-8 repair of program output. */
#include <stdint.h>
#include <stdlib.h>

#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;
	char *s = utf8_sanitize((const char *)data, size, &n);

	if (!s)
		return 0;
	if (!utf8_valid(s, n))
		abort(); /* the repair must always produce valid UTF-8 */
	if (utf8_valid((const char *)data, size) && n != size)
		abort(); /* and leave valid input unchanged */
	free(s);
	return 0;
}
