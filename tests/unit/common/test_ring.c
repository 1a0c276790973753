/*
 * Unit tests: common/ring, nginx's consistent-hash ring.
 *
 * The vectors in ring_vectors.h are what a real nginx picked for each key
 * (tests/unit/ring_vectors.py regenerates them); this test needs no nginx.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ring.h"
#include "ring_vectors.h"

static char err[512];

static struct ring *parse_ok(const char *spec)
{
	struct ring *r = NULL;

	err[0] = 0;
	cr_assert_eq(ring_parse(spec, &r, err, sizeof(err)), 0,
	             "ring_parse(%s): %s", spec, err);
	cr_assert_not_null(r);
	return r;
}

static void parse_err(const char *spec, const char *message)
{
	struct ring *r = (struct ring *)1;

	err[0] = 0;
	cr_assert_eq(ring_parse(spec, &r, err, sizeof(err)), -EINVAL,
	             "ring_parse(%s) accepted it", spec);
	cr_assert_null(r);
	cr_assert_str_eq(err, message);
}

static void check_vectors(const char *spec, const struct ring_vector *v,
                          size_t n)
{
	struct ring *r = parse_ok(spec);

	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(ring_owner(r, v[i].key, strlen(v[i].key)),
		                 v[i].owner, "key '%s'", v[i].key);
	ring_free(r);
}

Test(ring, crc32_matches_zlib)
{
	cr_assert_eq(ring_crc32("", 0), 0u);
	cr_assert_eq(ring_crc32("123456789", 9), 0xcbf43926u);
	cr_assert_eq(
	        ring_crc32("The quick brown fox jumps over the lazy dog", 43),
	        0x414fa339u);
}

Test(ring, nginx_vectors_tcp_weights_and_unix)
{
	size_t n = sizeof(RING_VECTORS_U) / sizeof(RING_VECTORS_U[0]);

	cr_assert_geq(n, 40);
	check_vectors(RING_SPEC_U, RING_VECTORS_U, n);
}

Test(ring, nginx_vectors_deployment_like)
{
	check_vectors(RING_SPEC_WS, RING_VECTORS_WS,
	              sizeof(RING_VECTORS_WS) / sizeof(RING_VECTORS_WS[0]));
}

Test(ring, nginx_parameters_do_not_move_points)
{
	struct ring *a = parse_ok(RING_SPEC_U);
	struct ring *b = parse_ok(
	        "  127.0.0.1:19001 max_fails=0 ,127.0.0.1:19002\tweight=2 "
	        "fail_timeout=10s max_conns=5,unix:/tmp/runpad-ring-x.sock ");

	cr_assert_eq(ring_entries(b), 3);
	cr_assert_str_eq(ring_entry(b, 1), "127.0.0.1:19002");
	for (size_t i = 0; i < 500; i++) {
		char key[32];
		int n = snprintf(key, sizeof(key), "k%zu", i);
		cr_assert_str_eq(ring_owner(a, key, (size_t)n),
		                 ring_owner(b, key, (size_t)n));
	}
	ring_free(a);
	ring_free(b);
}

Test(ring, single_entry_owns_everything)
{
	struct ring *r = parse_ok("unix:/run/runpad/ws.sock");

	for (size_t i = 0; i < 100; i++) {
		char key[32];
		int n = snprintf(key, sizeof(key), "pad-%zu", i);
		cr_assert_str_eq(ring_owner(r, key, (size_t)n),
		                 "unix:/run/runpad/ws.sock");
	}
	ring_free(r);
}

Test(ring, has_is_exact)
{
	struct ring *r = parse_ok("unix:/a.sock, 127.0.0.1:9001 weight=3");

	cr_assert(ring_has(r, "unix:/a.sock"));
	cr_assert(ring_has(r, "127.0.0.1:9001"));
	cr_assert_not(ring_has(r, "127.0.0.1:9001 weight=3"));
	cr_assert_not(ring_has(r, "unix:/a.soc"));
	cr_assert_not(ring_has(r, "UNIX:/a.sock"));
	ring_free(r);
}

/* Adding a server moves about its share of keys to it, and only to it. */
Test(ring, adding_an_entry_moves_keys_only_to_it)
{
	struct ring *a =
	        parse_ok("unix:/w1.sock, unix:/w2.sock, unix:/w3.sock");
	struct ring *b = parse_ok(
	        "unix:/w1.sock, unix:/w2.sock, unix:/w3.sock, unix:/w4.sock");
	size_t moved = 0, n = 4000;

	for (size_t i = 0; i < n; i++) {
		char key[32];
		int k = snprintf(key, sizeof(key), "pad%zu", i);
		const char *x = ring_owner(a, key, (size_t)k);
		const char *y = ring_owner(b, key, (size_t)k);
		if (strcmp(x, y)) {
			cr_assert_str_eq(y, "unix:/w4.sock");
			moved++;
		}
	}
	cr_assert(moved > n / 8 && moved < n * 3 / 8, "%zu of %zu moved", moved,
	          n);
	ring_free(a);
	ring_free(b);
}

Test(ring, bad_specs)
{
	parse_err("", "entry 1: empty entry");
	parse_err("unix:/a.sock,", "entry 2: empty entry");
	parse_err("unix:/a.sock, , unix:/b.sock", "entry 2: empty entry");
	parse_err("unix:/a.sock weight=0",
	          "entry 1: unix:/a.sock: weight: expected 1 to 100");
	parse_err("unix:/a.sock weight=101",
	          "entry 1: unix:/a.sock: weight: expected 1 to 100");
	parse_err("unix:/a.sock weight=x",
	          "entry 1: unix:/a.sock: weight: expected 1 to 100");
	parse_err("unix:/a.sock backup",
	          "entry 1: unix:/a.sock: 'backup' is not allowed (remove the "
	          "server from the ring instead)");
	parse_err("unix:/a.sock, unix:/b.sock down",
	          "entry 2: unix:/b.sock: 'down' is not allowed (remove the "
	          "server from the ring instead)");
	parse_err("unix:/a.sock slow_start=3s",
	          "entry 1: unix:/a.sock: unknown parameter 'slow_start=3s' "
	          "(expected weight=N)");
	parse_err("unix:/a.sock max_fails=",
	          "entry 1: unix:/a.sock: unknown parameter 'max_fails=' "
	          "(expected weight=N)");
	parse_err("unix:/a.sock, unix:/a.sock weight=2",
	          "unix:/a.sock is listed twice");
}

Test(ring, entry_limit)
{
	char spec[RING_MAX_ENTRIES * 16 + 64];
	size_t n = 0;
	struct ring *r;

	for (int i = 0; i < RING_MAX_ENTRIES; i++)
		n += (size_t)snprintf(spec + n, sizeof(spec) - n, "%sunix:/%d",
		                      i ? "," : "", i);
	r = parse_ok(spec);
	cr_assert_eq(ring_entries(r), RING_MAX_ENTRIES);
	ring_free(r);
	snprintf(spec + n, sizeof(spec) - n, ",unix:/x");
	parse_err(spec, "more than 256 entries");
}

Test(ring, free_accepts_null)
{
	ring_free(NULL);
}

Test(ring, load_checks_self_and_owns_answers_for_one_entry)
{
	const char *spec = "unix:/run/a.sock, unix:/run/b.sock weight=2";
	struct ring *r;
	const char *owner;
	char msg[600];
	int mine = 0;

	/* empty: owns everything */
	cr_assert_eq(ring_load("ws.ring", "", "x", &r, msg, sizeof(msg)), 0);
	cr_assert_null(r);
	cr_assert(ring_owns(NULL, "", "any", 3, NULL));

	cr_assert_eq(ring_load("ws.ring", spec, "unix:/run/c.sock", &r, msg,
	                       sizeof(msg)),
	             -EINVAL);
	cr_assert_null(r);
	cr_assert_str_eq(msg, "ws.ring_self 'unix:/run/c.sock' is not one of "
	                      "the entries of ws.ring 'unix:/run/a.sock, "
	                      "unix:/run/b.sock weight=2'");
	cr_assert_eq(
	        ring_load("fcgi.ring", "a b c", NULL, &r, msg, sizeof(msg)),
	        -EINVAL);
	cr_assert(strncmp(msg, "fcgi.ring: ", 11) == 0, "%s", msg);

	cr_assert_eq(ring_load("ws.ring", spec, "unix:/run/a.sock", &r, msg,
	                       sizeof(msg)),
	             0, "%s", msg);
	for (int i = 0; i < 64; i++) {
		char key[16];
		int n = snprintf(key, sizeof(key), "pad-%d", i);
		owner = NULL;
		if (ring_owns(r, "unix:/run/a.sock", key, (size_t)n, &owner)) {
			mine++;
			cr_assert_str_eq(ring_owner(r, key, (size_t)n),
			                 "unix:/run/a.sock");
		} else {
			cr_assert_str_eq(owner, "unix:/run/b.sock");
		}
	}
	cr_assert(mine > 0 && mine < 64, "a owns %d of 64", mine);
	ring_free(r);
}
