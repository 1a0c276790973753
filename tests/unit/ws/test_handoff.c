/*
 * Unit tests: ws/handoff, a pad's dump from one store into another (real
 * LMDB files in a fresh directory), and what a broken dump gets.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"

static char tmp[64];
static char err[400];

static int rm_one(const char *p, const struct stat *sb, int type,
                  struct FTW *ftw)
{
	return remove(p);
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_handoff.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
	if (tmp[0])
		nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(handoff, .init = setup, .fini = teardown);

static struct padstore *open_store(const char *name)
{
	char dir[128];
	struct padstore_options o = {.dir = dir};
	struct padstore *ps;

	snprintf(dir, sizeof(dir), "%s/%s", tmp, name);
	cr_assert_eq(padstore_open(&o, &ps, err, sizeof(err)), 0, "%s", err);
	return ps;
}

static const char *const UPDATES[] = {
        "{\"clientID\":\"a\",\"changes\":[[0,\"hello\"]]}",
        "{\"clientID\":\"b\",\"changes\":[5,[0,\" 😀\"]]}",
        "{\"clientID\":\"a\",\"changes\":[[1],7]}",
};

/* a pad of 3 updates ("ello 😀"), a snapshot at 2, a run and tests */
static void fill(struct padstore *ps, const char *pad)
{
	struct padstore_txn *t;

	cr_assert_eq(padstore_begin(ps, &t, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(padstore_put_update(t, pad, (uint64_t)i + 1,
		                                 UPDATES[i],
		                                 strlen(UPDATES[i])),
		             0);
	cr_assert_eq(
	        padstore_put_snapshot(t, pad, 2, "hello 😀", strlen("hello 😀")),
	        0);
	cr_assert_eq(padstore_put_meta(t, pad, 3, "python", 1234), 0);
	cr_assert_eq(padstore_put_run(t, pad, "{\"run\":1}", 9), 0);
	cr_assert_eq(padstore_put_tests(t, pad, "[{\"stdin\":\"\"}]", 14), 0);
	cr_assert_eq(padstore_commit(t, err, sizeof(err)), 0, "%s", err);
}

static char *dump_of(struct padstore *ps, const char *pad, size_t *len)
{
	struct buf b = {0};
	uint64_t head = 0;

	cr_assert_eq(handoff_export(ps, pad, &b, &head, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(head, 3);
	return buf_steal(&b, len);
}

struct collect {
	int n;
	char got[3][128];
};

static int collect(void *arg, uint64_t v, const void *data, size_t len)
{
	struct collect *c = arg;

	snprintf(c->got[v - 1], sizeof(c->got[0]), "%.*s", (int)len,
	         (const char *)data);
	c->n++;
	return 0;
}

Test(handoff, a_pad_moves_whole)
{
	struct padstore *a = open_store("a"), *b = open_store("b");
	struct padstore_pad p;
	struct collect c = {0};
	uint64_t head = 0;
	size_t len;
	char *d;

	fill(a, "moving");
	d = dump_of(a, "moving", &len);
	cr_assert_eq(
	        handoff_import(b, "moving", d, len, &head, err, sizeof(err)), 0,
	        "%s", err);
	cr_assert_eq(head, 3);
	cr_assert_eq(padstore_load(b, "moving", &p, err, sizeof(err)), 0);
	cr_assert(p.exists);
	cr_assert_eq(p.head, 3);
	/* a snapshot at the head: the new owner loads without replaying */
	cr_assert_eq(p.snap_version, 3);
	cr_assert_str_eq(p.snap_text, "ello 😀");
	cr_assert_str_eq(p.language, "python");
	cr_assert_eq(p.last_edit_ms, 1234);
	cr_assert_str_eq(p.last_run, "{\"run\":1}");
	cr_assert_str_eq(p.tests, "[{\"stdin\":\"\"}]");
	padstore_pad_fini(&p);
	/* every update, as it was */
	cr_assert_eq(padstore_updates(b, "moving", 0, 3, collect, &c, err,
	                              sizeof(err)),
	             0);
	cr_assert_eq(c.n, 3);
	for (int i = 0; i < 3; i++)
		cr_assert_str_eq(c.got[i], UPDATES[i]);
	/* twice: refused, the copy stays */
	cr_assert_eq(
	        handoff_import(b, "moving", d, len, &head, err, sizeof(err)),
	        -EEXIST);
	free(d);
	padstore_close(a);
	padstore_close(b);
}

Test(handoff, a_pad_not_here_is_enoent)
{
	struct padstore *a = open_store("a");
	struct buf b = {0};
	uint64_t head;

	cr_assert_eq(handoff_export(a, "none", &b, &head, err, sizeof(err)),
	             -ENOENT);
	cr_assert_eq(b.len, 0);
	padstore_close(a);
}

/* Replace the first `from` in d by `to` (same or any length). */
static char *edit(const char *d, const char *from, const char *to)
{
	const char *at = strstr(d, from);
	char *out;

	cr_assert_not_null(at, "no '%s' in the dump", from);
	cr_assert_geq(asprintf(&out, "%.*s%s%s", (int)(at - d), d, to,
	                       at + strlen(from)),
	              0);
	return out;
}

Test(handoff, a_broken_dump_is_refused_and_stores_nothing)
{
	struct padstore *a = open_store("a"), *b = open_store("b");
	static const struct {
		const char *from, *to, *why;
	} cases[] = {
	        {"\"format\":1", "\"format\":2", "the dump is not of format 1"},
	        {"\"pad\":\"moving\"", "\"pad\":\"other\"",
	         "the dump is of another pad"},
	        {"\"head\":3", "\"head\":4",
	         "the dump does not hold every update"},
	        {"\"snap_version\":2", "\"snap_version\":9",
	         "the dump has no snapshot version up to its head"},
	        {"\"snapshot\":\"hello 😀\"", "\"snapshot\":\"hello\"",
	         "the dump holds a snapshot its updates do not give"},
	        {"[[1],7]", "[[1],70]",
	         "the dump's update 3: changes cover 71 units, the document has 8"},
	        {"\"clientID\":\"b\"", "\"clientID\":2",
	         "the dump's update 2 is not {clientID, changes}"},
	        {"\"language\":\"python\"", "\"language\":7",
	         "the dump has no language"},
	};
	struct padstore_pad p;
	uint64_t head;
	size_t len;
	char *d;

	fill(a, "moving");
	d = dump_of(a, "moving", &len);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *bad = edit(d, cases[i].from, cases[i].to);
		err[0] = 0;
		cr_assert_eq(handoff_import(b, "moving", bad, strlen(bad),
		                            &head, err, sizeof(err)),
		             -EBADMSG, "%s", cases[i].to);
		cr_assert_str_eq(err, cases[i].why);
		free(bad);
	}
	/* not JSON at all, and a cut one */
	cr_assert_eq(
	        handoff_import(b, "moving", "{]", 2, &head, err, sizeof(err)),
	        -EBADMSG);
	cr_assert_eq(handoff_import(b, "moving", d, len / 2, &head, err,
	                            sizeof(err)),
	             -EBADMSG);
	cr_assert_eq(padstore_load(b, "moving", &p, err, sizeof(err)), 0);
	cr_assert_not(p.exists, "a refused dump left something");
	padstore_pad_fini(&p);
	free(d);
	padstore_close(a);
	padstore_close(b);
}

Test(handoff, peer_urls)
{
	char u[128];

	cr_assert_eq(
	        handoff_peer_url("unix:/run/runpad/ws-1.sock", u, sizeof(u)),
	        0);
	cr_assert_str_eq(u, "unix:/run/runpad/ws-1.sock:/");
	cr_assert_eq(handoff_peer_url("/run/ws.sock", u, sizeof(u)), 0);
	cr_assert_str_eq(u, "unix:/run/ws.sock:/");
	cr_assert_eq(handoff_peer_url("10.0.0.2:8090", u, sizeof(u)), 0);
	cr_assert_str_eq(u, "http://10.0.0.2:8090/");
	cr_assert_eq(handoff_peer_url("[::1]:8090", u, sizeof(u)), 0);
	cr_assert_str_eq(u, "http://[::1]:8090/");
	cr_assert_eq(handoff_peer_url("host.example", u, sizeof(u)), -EINVAL);
	cr_assert_eq(handoff_peer_url("", u, sizeof(u)), -EINVAL);
	cr_assert_eq(handoff_peer_url("a/b:1", u, sizeof(u)), -EINVAL);
}

static int count_log(void *arg, uint64_t seq, const void *data, size_t len)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%llu=%.*s;", (unsigned long long)seq,
	         (int)len, (const char *)data);
	return 0;
}

/* A pad with links keeps them when it moves, with its notes, its event
   log and every kept run: the new owner would otherwise serve it open. */
Test(handoff, links_notes_and_logs_move_with_the_pad)
{
	struct padstore *a = open_store("a"), *b = open_store("b");
	struct padstore_txn *t;
	struct padstore_pad p;
	uint64_t head = 0;
	char logs[256] = "", *d;
	const char *acc = "{\"owner\":\"00\",\"title\":\"Q\"}";
	size_t len;

	fill(a, "mv");
	cr_assert_eq(padstore_begin(a, &t, err, sizeof(err)), 0);
	cr_assert_eq(padstore_put_access(t, "mv", acc, strlen(acc)), 0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_EVENTS, "mv", 1,
	                              "{\"type\":\"join\"}", 15),
	             0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_EVENTS, "mv", 2,
	                              "{\"type\":\"leave\"}", 16),
	             0);
	cr_assert_eq(padstore_put_log(t, PADSTORE_LOG_RUNS, "mv", 4,
	                              "{\"run\":4}", 9),
	             0);
	cr_assert_eq(padstore_put_update(t, "mv!notes", 1, UPDATES[0],
	                                 strlen(UPDATES[0])),
	             0);
	cr_assert_eq(padstore_put_meta(t, "mv!notes", 1, "", 1234), 0);
	cr_assert_eq(padstore_commit(t, err, sizeof(err)), 0, "%s", err);
	d = dump_of(a, "mv", &len);
	cr_assert_eq(handoff_import(b, "mv", d, len, &head, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(padstore_load(b, "mv", &p, err, sizeof(err)), 0);
	cr_assert_str_eq(p.access, acc);
	padstore_pad_fini(&p);
	cr_assert_eq(padstore_load(b, "mv!notes", &p, err, sizeof(err)), 0);
	cr_assert(p.exists);
	cr_assert_eq(p.head, 1);
	cr_assert_str_eq(p.snap_text, "hello");
	padstore_pad_fini(&p);
	cr_assert_eq(padstore_log(b, PADSTORE_LOG_EVENTS, "mv", 0, count_log,
	                          logs, NULL, NULL, err, sizeof(err)),
	             0);
	cr_assert_str_eq(logs, "1={\"type\":\"join\"};2={\"type\":\"leave\"};");
	logs[0] = 0;
	cr_assert_eq(padstore_log(b, PADSTORE_LOG_RUNS, "mv", 0, count_log,
	                          logs, NULL, NULL, err, sizeof(err)),
	             0);
	cr_assert_str_eq(logs, "4={\"run\":4};");
	free(d);
	padstore_close(a);
	padstore_close(b);
}

/* An open pad's toolchain lives in its access record (with "owner" null;
   ws/hub_roles.c): it moves with the pad, as a pad with links' does with
   its links and controls. */
Test(handoff, the_toolchain_moves_with_the_pad)
{
	static const char *const accs[] = {
	        "{\"owner\":null,\"variant\":\"clang-15\",\"options\":"
	        "{\"std\":\"c11\",\"opt\":\"-O0\"}}",
	        "{\"title\":\"Q\",\"locked\":false,\"runs_locked\":false,"
	        "\"ended\":false,\"playback\":false,\"owner\":\"00\","
	        "\"candidate\":null,\"observer\":null,\"variant\":\"pypy\","
	        "\"options\":{}}",
	};

	for (size_t i = 0; i < sizeof(accs) / sizeof(accs[0]); i++) {
		struct padstore *a, *b;
		struct padstore_txn *t;
		struct padstore_pad p;
		uint64_t head = 0;
		char name[8], *d;
		size_t len;

		snprintf(name, sizeof(name), "a%zu", i);
		a = open_store(name);
		snprintf(name, sizeof(name), "b%zu", i);
		b = open_store(name);
		fill(a, "tc");
		cr_assert_eq(padstore_begin(a, &t, err, sizeof(err)), 0);
		cr_assert_eq(
		        padstore_put_access(t, "tc", accs[i], strlen(accs[i])),
		        0);
		cr_assert_eq(padstore_commit(t, err, sizeof(err)), 0, "%s",
		             err);
		d = dump_of(a, "tc", &len);
		cr_assert_eq(handoff_import(b, "tc", d, len, &head, err,
		                            sizeof(err)),
		             0, "%s", err);
		cr_assert_eq(padstore_load(b, "tc", &p, err, sizeof(err)), 0);
		cr_assert_str_eq(p.access, accs[i]);
		padstore_pad_fini(&p);
		free(d);
		padstore_close(a);
		padstore_close(b);
	}
}
