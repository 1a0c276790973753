/*
 * libFuzzer target: the endpoint table.  The input is "METHOD\nPATH"; no
 * newline means the whole input is the path of a GET.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *prefix, const char *method, const char *path)
{
	struct route rt;
	int code = route_match(prefix, method, path, &rt);

	switch (code) {
	case 200:
		if (rt.id == ROUTE_NONE || !rt.name || !rt.allowed)
			abort();
		if (rt.arg[0]) {
			if (strlen(rt.arg) != 32 ||
			    strspn(rt.arg, "0123456789abcdef") != 32 ||
			    !strstr(path, rt.arg))
				abort();
		}
		if (strncmp(path, prefix, strlen(prefix)))
			abort();
		break;
	case 405:
		if (rt.id != ROUTE_NONE || !rt.allowed)
			abort();
		break;
	case 404:
		if (rt.id != ROUTE_NONE || rt.allowed || rt.arg[0])
			abort();
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *nl;
	const char *method = "GET", *path;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	path = buf;
	nl = memchr(buf, '\n', size);
	if (nl) {
		*nl = '\0';
		method = buf;
		path = nl + 1;
	}
	check("/api/", method, path);
	check("/", method, path);
	free(buf);
	return 0;
}
