/* Unit tests: common/conf. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

struct seen {
	char keys[16][32];
	char vals[16][64];
	int n;
};

static int collect(void *arg, const char *k, const char *v, char *err,
                   size_t errlen)
{
	struct seen *s = arg;

	if (strcmp(k, "fail") == 0) {
		snprintf(err, errlen, "fail is not allowed");
		return -EINVAL;
	}
	cr_assert_lt(s->n, 16, "more settings than the test expects");
	snprintf(s->keys[s->n], 32, "%s", k);
	snprintf(s->vals[s->n], 64, "%s", v);
	s->n++;
	return 0;
}

Test(conf, parses_keys_values_comments)
{
	struct seen s = {0};
	char err[128];
	const char *t = "# c\n; c\n\n  slots = 4 \nbind=/a\nbind = /b c\r\n"
	                "empty =\n";

	cr_assert_eq(conf_parse(t, strlen(t), collect, &s, err, sizeof(err)),
	             0);
	cr_assert_eq(s.n, 4);
	cr_assert_str_eq(s.keys[0], "slots");
	cr_assert_str_eq(s.vals[0], "4");
	cr_assert_str_eq(s.vals[2], "/b c");
	cr_assert_str_eq(s.vals[3], "");
}

Test(conf, errors_carry_the_line)
{
	struct seen s = {0};
	char err[128];

	cr_assert_eq(
	        conf_parse("a=1\nnovalue\n", 12, collect, &s, err, sizeof(err)),
	        -EINVAL);
	cr_assert_str_eq(err, "line 2: expected key = value");
	cr_assert_eq(
	        conf_parse("a=1\nfail=1\n", 11, collect, &s, err, sizeof(err)),
	        -EINVAL);
	cr_assert_str_eq(err, "line 2: fail is not allowed");
	cr_assert_eq(conf_parse("b@d=1\n", 6, collect, &s, err, sizeof(err)),
	             -EINVAL);
	cr_assert_eq(conf_parse("a=\0\n", 4, collect, &s, err, sizeof(err)),
	             -EINVAL);
}

Test(conf, load_missing_file_says_which)
{
	char err[256];

	cr_assert_eq(conf_load("/nonexistent/x.conf", collect, NULL, err,
	                       sizeof(err)),
	             -ENOENT);
	cr_assert(strstr(err, "/nonexistent/x.conf"));
}

Test(conf, bools_and_uints)
{
	unsigned long long u;

	cr_assert_eq(conf_bool("Yes"), 1);
	cr_assert_eq(conf_bool("off"), 0);
	cr_assert_eq(conf_bool("maybe"), -EINVAL);
	cr_assert_eq(conf_uint("42", 1, 100, &u), 0);
	cr_assert_eq(u, 42);
	cr_assert_eq(conf_uint("0", 1, 100, &u), -ERANGE);
	cr_assert_eq(conf_uint("4x", 1, 100, &u), -EINVAL);
	cr_assert_eq(conf_uint("", 0, 100, &u), -EINVAL);
	cr_assert_eq(conf_uint("-1", 0, 100, &u), -EINVAL);
	cr_assert_eq(conf_uint("99999999999999999999999", 0, ~0ULL, &u),
	             -ERANGE);
}

Test(conf, set_string_replaces_and_owns_its_copy)
{
	char *s = NULL, value[] = "first";

	cr_assert_eq(conf_set_string(&s, value), 0);
	value[0] = 'F';
	cr_assert_str_eq(s, "first", "a copy, not the caller's buffer");
	cr_assert_eq(conf_set_string(&s, "second"), 0);
	cr_assert_str_eq(s, "second");
	free(s);
}

/* ------------------------------------------------------------- drop-ins */

static char tmp[64];

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
	return remove(path);
}

static void make_tmp(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_conf.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void remove_tmp(void)
{
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write text to <tmp>/<name>; returns the full path (static). */
static const char *put(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
	return path;
}

static const char *main_conf(const char *text)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s", put("runpad.conf", text));
	return path;
}

static void make_confd(void)
{
	char d[128];

	snprintf(d, sizeof(d), "%s/conf.d", tmp);
	cr_assert_eq(mkdir(d, 0755), 0);
}

/* "last wins" for every key, the way most keys of the daemons behave */
struct last {
	char slots[16];
	char queue[16];
};

static int last_wins(void *arg, const char *k, const char *v, char *err,
                     size_t errlen)
{
	struct last *l = arg;

	if (strcmp(k, "slots") == 0)
		snprintf(l->slots, sizeof(l->slots), "%s", v);
	else if (strcmp(k, "queue") == 0)
		snprintf(l->queue, sizeof(l->queue), "%s", v);
	return 0;
}

Test(conf, dropins_follow_the_file_in_byte_order, .init = make_tmp,
     .fini = remove_tmp)
{
	struct seen s = {0};
	char err[512];
	const char *path = main_conf("k = main\n");

	make_confd();
	put("conf.d/a.conf", "k = a\n");
	put("conf.d/B.conf", "k = B\n");
	put("conf.d/2.conf", "k = 2\n");
	put("conf.d/10-x.conf", "k = 10-x\n");
	put("conf.d/100.conf", "k = 100\n");
	cr_assert_eq(
	        conf_load_with_dropins(path, collect, &s, err, sizeof(err)), 0,
	        "%s", err);
	cr_assert_eq(s.n, 6);
	cr_assert_str_eq(s.vals[0], "main");
	/* strcmp order, not numeric: '-' < '0', '1' < '2' < 'B' < 'a' */
	cr_assert_str_eq(s.vals[1], "10-x");
	cr_assert_str_eq(s.vals[2], "100");
	cr_assert_str_eq(s.vals[3], "2");
	cr_assert_str_eq(s.vals[4], "B");
	cr_assert_str_eq(s.vals[5], "a");
}

Test(conf, dropins_skip_hidden_backups_and_other_names, .init = make_tmp,
     .fini = remove_tmp)
{
	struct seen s = {0};
	char err[512], p[256];
	const char *path = main_conf("k = main\n");
	static const char *const ignored[] = {
	        ".hidden.conf",
	        ".conf",
	        "x.conf.dpkg-old",
	        "x.conf.dpkg-dist",
	        "x.conf.dpkg-new",
	        "x.conf~",
	        "x.conf.bak",
	        "README",
	        "x.cnf",
	        "x.CONF",
	        "conf",
	};

	make_confd();
	/* each would stop the load if it were read */
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		snprintf(p, sizeof(p), "conf.d/%s", ignored[i]);
		put(p, "fail = 1\n");
	}
	/* not regular files: a directory, a dangling link, a FIFO */
	snprintf(p, sizeof(p), "%s/conf.d/dir.conf", tmp);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/conf.d/dangling.conf", tmp);
	cr_assert_eq(symlink("/nonexistent/x.conf", p), 0);
	snprintf(p, sizeof(p), "%s/conf.d/fifo.conf", tmp);
	cr_assert_eq(mkfifo(p, 0644), 0);
	/* a link to a regular file is read */
	put("elsewhere", "k = linked\n");
	snprintf(p, sizeof(p), "%s/conf.d/link.conf", tmp);
	cr_assert_eq(symlink("../elsewhere", p), 0);
	put("conf.d/z.conf", "k = z\n");

	cr_assert_eq(
	        conf_load_with_dropins(path, collect, &s, err, sizeof(err)), 0,
	        "%s", err);
	cr_assert_eq(s.n, 3);
	cr_assert_str_eq(s.vals[0], "main");
	cr_assert_str_eq(s.vals[1], "linked");
	cr_assert_str_eq(s.vals[2], "z");
}

Test(conf, dropin_error_names_the_dropin_and_line, .init = make_tmp,
     .fini = remove_tmp)
{
	struct seen s = {0};
	char err[512], want[300];
	const char *path = main_conf("k = main\n");

	make_confd();
	put("conf.d/05-ok.conf", "k = ok\n");
	put("conf.d/10-x.conf", "# a comment\nk = x\nfail = 1\n");
	put("conf.d/20-late.conf", "k = late\n");
	cr_assert_eq(
	        conf_load_with_dropins(path, collect, &s, err, sizeof(err)),
	        -EINVAL);
	snprintf(want, sizeof(want),
	         "%s/conf.d/10-x.conf: line 3: fail is not allowed", tmp);
	cr_assert_str_eq(err, want);
	cr_assert_eq(s.n, 3, "the files after the bad one are not read");

	put("conf.d/10-x.conf", "k = x\nno value here\n");
	s.n = 0;
	cr_assert_eq(
	        conf_load_with_dropins(path, collect, &s, err, sizeof(err)),
	        -EINVAL);
	snprintf(want, sizeof(want),
	         "%s/conf.d/10-x.conf: line 2: expected key = value", tmp);
	cr_assert_str_eq(err, want);
}

Test(conf, main_file_error_is_reported_before_dropins, .init = make_tmp,
     .fini = remove_tmp)
{
	struct seen s = {0};
	char err[512], want[300];
	const char *path = main_conf("fail = 1\n");

	make_confd();
	put("conf.d/10-x.conf", "k = x\n");
	cr_assert_eq(
	        conf_load_with_dropins(path, collect, &s, err, sizeof(err)),
	        -EINVAL);
	snprintf(want, sizeof(want), "%s: line 1: fail is not allowed", path);
	cr_assert_str_eq(err, want);
	cr_assert_eq(s.n, 0);

	snprintf(want, sizeof(want), "%s/missing.conf", tmp);
	cr_assert_eq(
	        conf_load_with_dropins(want, collect, &s, err, sizeof(err)),
	        -ENOENT);
	cr_assert(strstr(err, "missing.conf"), "%s", err);
}

Test(conf, dropins_missing_dir_is_fine, .init = make_tmp, .fini = remove_tmp)
{
	struct seen s = {0};
	char err[512];
	const char *path = main_conf("k = main\n");

	cr_assert_eq(
	        conf_load_with_dropins(path, collect, &s, err, sizeof(err)), 0,
	        "%s", err);
	cr_assert_eq(s.n, 1);

	/* empty is fine too */
	make_confd();
	s.n = 0;
	cr_assert_eq(
	        conf_load_with_dropins(path, collect, &s, err, sizeof(err)), 0,
	        "%s", err);
	cr_assert_eq(s.n, 1);
}

Test(conf, dropins_dir_that_is_a_file_is_an_error, .init = make_tmp,
     .fini = remove_tmp)
{
	struct seen s = {0};
	char err[512];
	const char *path = main_conf("k = main\n");

	put("conf.d", "k = no\n");
	cr_assert_eq(
	        conf_load_with_dropins(path, collect, &s, err, sizeof(err)),
	        -ENOTDIR);
	cr_assert(strstr(err, "conf.d"), "%s", err);
}

Test(conf, dropins_override_like_a_repeated_key, .init = make_tmp,
     .fini = remove_tmp)
{
	struct last l = {0};
	char err[512];
	const char *path = main_conf("slots = 4\nqueue = 16\n");

	make_confd();
	put("conf.d/20-b.conf", "slots = 16\n");
	put("conf.d/10-a.conf", "slots = 8\nqueue = 32\n");
	cr_assert_eq(
	        conf_load_with_dropins(path, last_wins, &l, err, sizeof(err)),
	        0, "%s", err);
	cr_assert_str_eq(l.slots, "16", "the last drop-in wins");
	cr_assert_str_eq(l.queue, "32", "a key no later file sets stays");
}

Test(conf, dropins_next_to_a_relative_path, .init = make_tmp,
     .fini = remove_tmp)
{
	struct seen s = {0};
	char err[512];

	main_conf("k = main\n");
	make_confd();
	put("conf.d/x.conf", "k = x\n");
	cr_assert_eq(chdir(tmp), 0);
	cr_assert_eq(conf_load_with_dropins("runpad.conf", collect, &s, err,
	                                    sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.vals[1], "x");
}

Test(conf, dropins_have_a_limit, .init = make_tmp, .fini = remove_tmp)
{
	struct last l = {0};
	char err[512], name[64];
	const char *path = main_conf("slots = 1\n");

	make_confd();
	for (int i = 0; i < CONF_MAX_DROPINS; i++) {
		snprintf(name, sizeof(name), "conf.d/%03d.conf", i);
		put(name, "slots = 2\n");
	}
	cr_assert_eq(
	        conf_load_with_dropins(path, last_wins, &l, err, sizeof(err)),
	        0, "%s", err);
	cr_assert_str_eq(l.slots, "2");

	put("conf.d/one-too-many.conf", "slots = 3\n");
	put("conf.d/ignored.txt", "slots = 3\n");
	memset(&l, 0, sizeof(l));
	cr_assert_eq(
	        conf_load_with_dropins(path, last_wins, &l, err, sizeof(err)),
	        -E2BIG);
	cr_assert(strstr(err, "conf.d: more than 256 drop-ins"), "%s", err);
	cr_assert_str_eq(l.slots, "1", "nothing of conf.d is read");
}
