/*
 * route.c - the endpoint table.  See route.h.
 */
#include "route.h"

#include <stdbool.h>
#include <string.h>

static const struct entry {
	const char *path; /* "runs/{}/stdin": {} is a 32-hex id */
	const char *method;
	enum route_id id;
	const char *name;
} table[] = {
        {"runtimes", "GET", ROUTE_RUNTIMES, "runtimes"},
        {"run", "POST", ROUTE_RUN, "run"},
        {"runs/{}/stdin", "POST", ROUTE_RUN_STDIN, "runs/stdin"},
        {"runs/{}/kill", "POST", ROUTE_RUN_KILL, "runs/kill"},
        {"submissions", "POST", ROUTE_SUBMIT, "submissions"},
        {"submissions/{}", "GET", ROUTE_SUBMISSION, "submissions/get"},
        {"v2/runtimes", "GET", ROUTE_PISTON_RUNTIMES, "v2/runtimes"},
        {"v2/execute", "POST", ROUTE_PISTON_EXECUTE, "v2/execute"},
        {"healthz", "GET", ROUTE_HEALTHZ, "healthz"},
        {"metrics", "GET", ROUTE_METRICS, "metrics"},
};

static bool is_hex_id(const char *s, size_t n)
{
	if (n != 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Match one pattern; the id (if any) goes to arg. */
static bool match(const char *pat, const char *path, char *arg)
{
	const char *hole = strstr(pat, "{}");
	size_t pre, post, plen = strlen(path);

	if (!hole)
		return strcmp(pat, path) == 0;
	pre = (size_t)(hole - pat);
	post = strlen(hole + 2);
	if (plen < pre + post || strncmp(pat, path, pre) ||
	    strcmp(path + plen - post, hole + 2))
		return false;
	if (!is_hex_id(path + pre, plen - pre - post))
		return false;
	memcpy(arg, path + pre, 32);
	arg[32] = '\0';
	return true;
}

int route_match(const char *prefix, const char *method, const char *path,
                struct route *rt)
{
	size_t n = strlen(prefix);
	const char *rest;
	bool found = false;

	memset(rt, 0, sizeof(*rt));
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	if (strncmp(path, prefix, n))
		return 404;
	rest = path + n;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char arg[33] = "";
		if (!match(table[i].path, rest, arg))
			continue;
		found = true;
		rt->allowed = table[i].method;
		if (strcmp(method, table[i].method) == 0) {
			rt->id = table[i].id;
			rt->name = table[i].name;
			memcpy(rt->arg, arg, sizeof(arg));
			return 200;
		}
	}
	return found ? 405 : 404;
}
