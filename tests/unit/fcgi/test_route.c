/* Unit tests: fcgi/route, the endpoint table. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "route.h"

#define ID "0123456789abcdef0123456789abcdef"

static struct route rt;

static int m(const char *method, const char *path)
{
	memset(&rt, 0x55, sizeof(rt)); /* route_match must reset it */
	return route_match("/api/", method, path, &rt);
}

/* 200 for this endpoint, with this log name and argument. */
static void ok(const char *method, const char *path, enum route_id id,
               const char *name, const char *arg)
{
	cr_assert_eq(m(method, path), 200, "%s %s", method, path);
	cr_assert_eq(rt.id, id, "%s %s", method, path);
	cr_assert_str_eq(rt.name, name, "%s %s", method, path);
	cr_assert_str_eq(rt.arg, arg, "%s %s", method, path);
	cr_assert_str_eq(rt.allowed, method[0] == 'H' ? "GET" : method);
}

static void not_found(const char *method, const char *path)
{
	cr_assert_eq(m(method, path), 404, "%s %s", method, path);
	cr_assert_eq(rt.id, ROUTE_NONE, "%s %s", method, path);
	cr_assert_null(rt.allowed, "%s %s", method, path);
	cr_assert_str_eq(rt.arg, "", "%s %s", method, path);
}

static void not_allowed(const char *method, const char *path,
                        const char *allowed)
{
	cr_assert_eq(m(method, path), 405, "%s %s", method, path);
	cr_assert_eq(rt.id, ROUTE_NONE, "%s %s", method, path);
	cr_assert_str_eq(rt.allowed, allowed, "%s %s", method, path);
}

Test(route, every_endpoint)
{
	ok("GET", "/api/runtimes", ROUTE_RUNTIMES, "runtimes", "");
	ok("POST", "/api/run", ROUTE_RUN, "run", "");
	ok("POST", "/api/runs/" ID "/stdin", ROUTE_RUN_STDIN, "runs/stdin", ID);
	ok("POST", "/api/runs/" ID "/kill", ROUTE_RUN_KILL, "runs/kill", ID);
	ok("POST", "/api/submissions", ROUTE_SUBMIT, "submissions", "");
	ok("GET", "/api/submissions/" ID, ROUTE_SUBMISSION, "submissions/get",
	   ID);
	ok("GET", "/api/v2/runtimes", ROUTE_PISTON_RUNTIMES, "v2/runtimes", "");
	ok("POST", "/api/v2/execute", ROUTE_PISTON_EXECUTE, "v2/execute", "");
	ok("GET", "/api/healthz", ROUTE_HEALTHZ, "healthz", "");
	ok("GET", "/api/metrics", ROUTE_METRICS, "metrics", "");
}

Test(route, wrong_method_is_405_with_allowed)
{
	not_allowed("GET", "/api/run", "POST");
	not_allowed("PUT", "/api/run", "POST");
	not_allowed("POST", "/api/runtimes", "GET");
	not_allowed("DELETE", "/api/submissions/" ID, "GET");
	not_allowed("GET", "/api/submissions", "POST");
	not_allowed("GET", "/api/runs/" ID "/stdin", "POST");
	not_allowed("GET", "/api/runs/" ID "/kill", "POST");
	not_allowed("GET", "/api/v2/execute", "POST");
	not_allowed("POST", "/api/v2/runtimes", "GET");
	not_allowed("POST", "/api/healthz", "GET");
	not_allowed("OPTIONS", "/api/metrics", "GET");
	/* methods are case-sensitive */
	not_allowed("post", "/api/run", "POST");
	not_allowed("", "/api/run", "POST");
}

Test(route, head_is_get)
{
	ok("HEAD", "/api/runtimes", ROUTE_RUNTIMES, "runtimes", "");
	ok("HEAD", "/api/submissions/" ID, ROUTE_SUBMISSION, "submissions/get",
	   ID);
	ok("HEAD", "/api/healthz", ROUTE_HEALTHZ, "healthz", "");
	not_allowed("HEAD", "/api/run", "POST");
}

Test(route, ids_are_32_lowercase_hex)
{
	static const char *const bad[] = {
	        "0123456789ABCDEF0123456789abcdef",  /* uppercase */
	        "0123456789abcdef0123456789abcde",   /* 31 */
	        "0123456789abcdef0123456789abcdef0", /* 33 */
	        "0123456789abcdef0123456789abcdeg",  /* not hex */
	        "0123456789abcdef/123456789abcdef",  /* a slash */
	        "0123456789abcdef 123456789abcdef",  /* a blank */
	        "",
	};
	char path[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/api/runs/%s/stdin", bad[i]);
		not_found("POST", path);
		snprintf(path, sizeof(path), "/api/runs/%s/kill", bad[i]);
		not_found("POST", path);
		snprintf(path, sizeof(path), "/api/submissions/%s", bad[i]);
		not_found("GET", path);
	}
	ok("GET", "/api/submissions/ffffffffffffffffffffffffffffffff",
	   ROUTE_SUBMISSION, "submissions/get",
	   "ffffffffffffffffffffffffffffffff");
	/* a bad id is 404 whatever the method */
	not_found("GET", "/api/runs/0123456789ABCDEF0123456789abcdef/stdin");
}

Test(route, unknown_paths)
{
	not_found("GET", "/api/");
	not_found("GET", "/api");
	not_found("POST", "/api/run/");
	not_found("POST", "/api//run");
	not_found("POST", "/api/runs");
	not_found("POST", "/api/runs/" ID);
	not_found("POST", "/api/runs/" ID "/stdin/");
	not_found("POST", "/api/runs/" ID "/stop");
	not_found("GET", "/api/submissions/");
	not_found("GET", "/api/RUNTIMES");
	not_found("GET", "/api/v2");
	not_found("POST", "/api/v2/execute?x=1"); /* caller strips the query */
	not_found("GET", "/api/runtimesx");
	not_found("GET", "");
}

Test(route, paths_outside_the_prefix)
{
	not_found("GET", "/runtimes");
	not_found("GET", "/apiruntimes");
	not_found("GET", "/API/runtimes");
	not_found("GET", "/x/api/runtimes");
	not_found("GET", "api/runtimes");
}

Test(route, custom_prefix)
{
	cr_assert_eq(route_match("/x/api/", "POST", "/x/api/run", &rt), 200);
	cr_assert_eq(rt.id, ROUTE_RUN);
	cr_assert_eq(
	        route_match("/x/api/", "POST", "/x/api/runs/" ID "/kill", &rt),
	        200);
	cr_assert_eq(rt.id, ROUTE_RUN_KILL);
	cr_assert_str_eq(rt.arg, ID);
	cr_assert_eq(route_match("/x/api/", "GET", "/x/api/run", &rt), 405);
	cr_assert_str_eq(rt.allowed, "POST");
	cr_assert_eq(route_match("/x/api/", "POST", "/api/run", &rt), 404);
	cr_assert_eq(route_match("/x/api/", "POST", "/x/api", &rt), 404);
	cr_assert_eq(route_match("/x/api/", "POST", "/x/run", &rt), 404);
	/* the root as prefix */
	cr_assert_eq(route_match("/", "GET", "/healthz", &rt), 200);
	cr_assert_eq(rt.id, ROUTE_HEALTHZ);
	cr_assert_eq(route_match("/", "GET", "/api/healthz", &rt), 404);
}
