/*
 * Unit tests: sandbox/outfiles.c, the collection of the files a program
 * returns, on a plain temporary directory (no jail: what a hostile program
 * can leave in out/ is made here directly), and their JSON (result.c).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "result.h"
#include "sandbox.h"

static char top[64]; /* the "box": holds out/ */
static int topfd = -1;
static struct sbx_limits lim;
static struct sbx_out out;

static const char png_head[] = "\x89PNG\r\n\x1a\n";

static void setup(void)
{
	char path[128];

	snprintf(top, sizeof(top), "/tmp/test_outfiles.XXXXXX");
	cr_assert_not_null(mkdtemp(top));
	snprintf(path, sizeof(path), "%s/out", top);
	cr_assert_eq(mkdir(path, 0755), 0);
	topfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(topfd, 0);
	sbx_limits_default(&lim);
	memset(&out, 0, sizeof(out));
}

static int rm_one(const char *p, const struct stat *st, int flag,
                  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void teardown(void)
{
	sbx_out_fini(&out);
	if (topfd >= 0)
		close(topfd);
	topfd = -1;
	nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(outfiles, .init = setup, .fini = teardown, .timeout = 30);

/* out/NAME holding n bytes of data */
static void put(const char *name, const void *data, size_t n)
{
	char path[700];
	int fd;

	snprintf(path, sizeof(path), "%s/out/%s", top, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void put_str(const char *name, const char *text)
{
	put(name, text, strlen(text));
}

/* out/NAME holding n bytes: the PNG signature, then 'x's */
static void put_png(const char *name, size_t n)
{
	char *b = malloc(n);

	memset(b, 'x', n);
	memcpy(b, png_head, n < 8 ? n : 8);
	put(name, b, n);
	free(b);
}

static void collect(void)
{
	sbx_out_fini(&out);
	cr_assert_eq(sbx_out_collect(topfd, "out", &lim, &out), 0);
}

static const struct sbx_out_file *file(const char *name)
{
	for (size_t i = 0; i < out.nfiles; i++)
		if (strcmp(out.files[i].name, name) == 0)
			return &out.files[i];
	return NULL;
}

/* the reason `name` (as shown) was refused, or NULL */
static const char *refusal(const char *shown)
{
	for (size_t i = 0; i < out.nrefused; i++)
		if (strcmp(out.refused[i].name, shown) == 0)
			return out.refused[i].reason;
	return NULL;
}

static void expect_refused(const char *shown, const char *why)
{
	const char *r = refusal(shown);

	cr_assert_not_null(r, "'%s' is not among the %zu refused", shown,
	                   out.nrefused);
	cr_assert_not_null(strstr(r, why), "'%s': '%s', not '%s'", shown, r,
	                   why);
}

Test(outfiles, every_type_is_returned_with_its_bytes)
{
	put_png("a.png", 40);
	put_str("b.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
	put_str("c.txt", "hello\n");
	put_str("d.csv", "x,y\n1,2\n");
	put_str("e.json", "{\"k\": 1}");
	collect();
	cr_assert_eq(out.nfiles, 5);
	cr_assert_eq(out.nrefused, 0);
	cr_assert_not(out.truncated);
	cr_assert_str_eq(out.files[0].type, "image/png");
	cr_assert_str_eq(out.files[1].type, "image/svg+xml");
	cr_assert_str_eq(out.files[2].type, "text/plain");
	cr_assert_str_eq(out.files[3].type, "text/csv");
	cr_assert_str_eq(out.files[4].type, "application/json");
	cr_assert_not(out.files[0].text);
	cr_assert_not(out.files[1].text);
	cr_assert(out.files[2].text && out.files[3].text && out.files[4].text);
	cr_assert_eq(out.files[0].len, 40);
	cr_assert_eq(out.files[0].size, 40);
	cr_assert_eq(memcmp(out.files[0].data, png_head, 8), 0);
	cr_assert_str_eq(out.files[3].data, "x,y\n1,2\n");
	cr_assert_not(out.files[3].truncated);
}

Test(outfiles, empty_out_gives_nothing)
{
	collect();
	cr_assert_eq(out.nfiles, 0);
	cr_assert_eq(out.nrefused, 0);
	cr_assert_not(out.truncated);
}

Test(outfiles, png_without_its_signature_is_refused)
{
	put_str("gif.png", "GIF89a not a png at all");
	put("short.png", png_head, 5);
	put_png("empty.png", 0);
	put_png("ok.png", 8);
	collect();
	cr_assert_eq(out.nfiles, 1);
	cr_assert_str_eq(out.files[0].name, "ok.png");
	expect_refused("gif.png", "not a PNG");
	expect_refused("short.png", "not a PNG");
	expect_refused("empty.png", "not a PNG");
}

Test(outfiles, names_are_checked_and_shown_escaped)
{
	char longname[120], shown[120];

	put_str("..hidden.txt", "x");
	put_str(".env.txt", "x");
	put_str("a..b.txt", "two dots inside a name are only a name");
	put_str("\xff.txt", "x");
	put_str("a\nb.txt", "x");
	put_str("back\\slash.txt", "x");
	put_str("sp ace.txt", "x");
	put_str("caf\xc3\xa9.txt", "x");
	memset(longname, 'n', 101);
	strcpy(longname + 101, ".txt"); /* 105 bytes */
	put_str(longname, "x");
	memset(longname, 'm', 96);
	strcpy(longname + 96, ".txt"); /* exactly 100 bytes */
	put_str(longname, "the longest name returned");
	collect();

	cr_assert_eq(out.nfiles, 2, "a..b.txt and the 100-byte name");
	cr_assert_not_null(file("a..b.txt"));
	cr_assert_not_null(file(longname));
	expect_refused("..hidden.txt", "starts with '.'");
	expect_refused(".env.txt", "starts with '.'");
	expect_refused("\\xff.txt", "a byte other than");
	expect_refused("a\\x0ab.txt", "a byte other than");
	expect_refused("back\\\\slash.txt", "a byte other than");
	expect_refused("sp ace.txt", "a byte other than");
	expect_refused("caf\\xc3\\xa9.txt", "a byte other than");
	memset(shown, 'n', 100);
	strcpy(shown + 100, "...");
	expect_refused(shown, "longer than 100 bytes");
	for (size_t i = 0; i < out.nrefused; i++)
		for (const char *c = out.refused[i].name; *c; c++)
			cr_assert(*c >= 0x20 && *c < 0x7f,
			          "refused name %zu shows byte 0x%02x", i,
			          (unsigned char)*c);
}

Test(outfiles, other_types_are_refused_by_extension)
{
	put_str("data.bin", "x");
	put_str("noext", "x");
	put_str("UPPER.PNG", "x");
	put_str("script.html", "<script>");
	collect();
	cr_assert_eq(out.nfiles, 0);
	expect_refused("data.bin",
	               "not a type runpad returns (png, svg, txt, csv, json)");
	expect_refused("noext", "not a type runpad returns");
	expect_refused("UPPER.PNG", "not a type runpad returns");
	expect_refused("script.html", "not a type runpad returns");
}

Test(outfiles, symlink_to_etc_passwd_is_refused_and_not_read)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/out/passwd.txt", top);
	cr_assert_eq(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/out/dangling.png", top);
	cr_assert_eq(symlink("/nonexistent/x.png", path), 0);
	put_str("real.txt", "mine\n");
	collect();
	cr_assert_eq(out.nfiles, 1);
	cr_assert_str_eq(out.files[0].name, "real.txt");
	expect_refused("passwd.txt", "a symbolic link: links are not followed");
	expect_refused("dangling.png", "a symbolic link");
	cr_assert_null(strstr(out.files[0].data, "root:"));
}

Test(outfiles, fifo_is_refused_without_blocking)
{
	char path[300];
	struct timespec t0, t1;

	snprintf(path, sizeof(path), "%s/out/pipe.txt", top);
	cr_assert_eq(mkfifo(path, 0644), 0);
	put_str("after.txt", "after the fifo");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	collect(); /* an open of the FIFO for reading would wait forever */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 2);
	cr_assert_eq(out.nfiles, 1);
	cr_assert_str_eq(out.files[0].name, "after.txt");
	expect_refused("pipe.txt", "a FIFO: only regular files are returned");
}

Test(outfiles, out_itself_a_fifo_or_a_link_gives_nothing_without_blocking)
{
	char path[300], target[300];

	snprintf(path, sizeof(path), "%s/out", top);
	snprintf(target, sizeof(target), "%s/elsewhere", top);
	cr_assert_eq(mkdir(target, 0755), 0);
	snprintf(target, sizeof(target), "%s/elsewhere/secret.txt", top);
	cr_assert_eq(close(open(target, O_WRONLY | O_CREAT, 0644)), 0);

	cr_assert_eq(rmdir(path), 0);
	cr_assert_eq(mkfifo(path, 0644), 0);
	collect();
	cr_assert_eq(out.nfiles + out.nrefused, 0);

	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(symlink("elsewhere", path), 0);
	collect();
	cr_assert_eq(out.nfiles + out.nrefused, 0,
	             "out/ is a link: nothing behind it is read");

	cr_assert_eq(unlink(path), 0);
	collect();
	cr_assert_eq(out.nfiles + out.nrefused, 0, "no out/ at all");
}

Test(outfiles, sockets_and_devices_are_refused)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[300];
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/out/sock.txt", top);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(path, sizeof(path), "%s/out/null.txt", top);
	if (geteuid() == 0)
		cr_assert_eq(mknod(path, S_IFCHR | 0644, makedev(1, 3)), 0);
	collect();
	close(s);
	cr_assert_eq(out.nfiles, 0);
	expect_refused("sock.txt", "a socket");
	if (geteuid() == 0)
		expect_refused("null.txt", "a device");
}

Test(outfiles, subdirectory_is_refused_and_not_entered)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/out/sub", top);
	cr_assert_eq(mkdir(path, 0755), 0);
	put_str("sub/inner.txt", "inside");
	collect();
	cr_assert_eq(out.nfiles, 0);
	cr_assert_eq(out.nrefused, 1);
	expect_refused("sub", "a directory: only files directly in out/");
}

Test(outfiles, text_over_its_cap_is_cut_an_image_refused)
{
	char big[3000];

	lim.out_file_size = 1000;
	memset(big, 'a', sizeof(big));
	put("big.txt", big, sizeof(big));
	/* "é" across the cap: cut before it, not inside it */
	memset(big, 'b', sizeof(big));
	memcpy(big + 999, "\xc3\xa9", 2);
	put("utf8.csv", big, sizeof(big));
	put_png("big.png", 1001);
	put_png("fits.png", 1000);
	collect();

	cr_assert_eq(out.nfiles, 3);
	cr_assert(file("big.txt")->truncated);
	cr_assert_eq(file("big.txt")->len, 1000);
	cr_assert_eq(file("big.txt")->size, 3000);
	cr_assert_eq(file("utf8.csv")->len, 999);
	cr_assert(file("utf8.csv")->truncated);
	cr_assert_not(file("fits.png")->truncated);
	cr_assert_eq(file("fits.png")->len, 1000);
	expect_refused(
	        "big.png",
	        "larger than the 1000 bytes a file may have (out_file_size)");
	cr_assert_not(out.truncated, "a cap of one file cuts no other");
}

Test(outfiles, at_most_out_files_then_refused_and_flagged)
{
	char name[32];

	/* made in reverse: the first 16 by name are kept, not the first
	   the directory lists */
	for (int i = 19; i >= 0; i--) {
		snprintf(name, sizeof(name), "f%02d.txt", i);
		put_str(name, name);
	}
	collect();
	cr_assert_eq(out.nfiles, 16);
	cr_assert(out.truncated);
	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "f%02d.txt", i);
		cr_assert_str_eq(out.files[i].name, name);
	}
	cr_assert_eq(out.nrefused, 4);
	expect_refused("f16.txt",
	               "past the limit of 16 files returned (out_files)");
	expect_refused("f19.txt", "(out_files)");
}

Test(outfiles, total_cap_refuses_what_does_not_fit)
{
	char k[1000];

	memset(k, 'k', sizeof(k));
	lim.out_total = 2500;
	put("a.txt", k, 1000);
	put("b.txt", k, 1000);
	put("c.txt", k, 1000);
	put("d.txt", k, 400);
	collect();
	cr_assert(out.truncated);
	cr_assert_not_null(file("a.txt"));
	cr_assert_not_null(file("b.txt"));
	cr_assert_null(file("c.txt"));
	/* a later file that still fits is returned */
	cr_assert_not_null(file("d.txt"));
	expect_refused(
	        "c.txt",
	        "over the 2500 bytes that the files returned may have together (out_total)");
	lim.out_total = 0;
	collect();
	cr_assert_eq(out.nfiles, 0);
	expect_refused("a.txt", "(out_total)");
}

Test(outfiles, order_is_by_name_whatever_the_directory_says)
{
	static const char *const names[] = {"z.txt", "B.txt", "a.txt", "_.txt",
	                                    "0.txt", "-.txt", "a.csv", "A.txt"};
	static const char *const sorted[] = {"-.txt", "0.txt", "A.txt",
	                                     "B.txt", "_.txt", "a.csv",
	                                     "a.txt", "z.txt"};
	const size_t n = sizeof(names) / sizeof(names[0]);

	for (size_t i = 0; i < n; i++)
		put_str(names[i], names[i]);
	put_str("~bad.txt", "x");
	put_str("!bad.txt", "x");
	collect();
	cr_assert_eq(out.nfiles, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(out.files[i].name, sorted[i]);
	cr_assert_eq(out.nrefused, 2);
	cr_assert_str_eq(out.refused[0].name, "!bad.txt");
	cr_assert_str_eq(out.refused[1].name, "~bad.txt");
}

Test(outfiles, refusals_past_the_cap_are_counted_not_listed)
{
	char name[32];

	for (int i = 0; i < SBX_OUT_REFUSED_MAX + 6; i++) {
		snprintf(name, sizeof(name), "r%03d.bin", i);
		put_str(name, "x");
	}
	put_str("z.txt", "still returned");
	collect();
	cr_assert_eq(out.nrefused, SBX_OUT_REFUSED_MAX);
	cr_assert(out.truncated);
	cr_assert_eq(out.nfiles, 1);
}

Test(outfiles, json_text_as_utf8_else_base64)
{
	json_object *o = json_object_new_object(), *files, *f, *v;

	put_png("p.png", 9);
	put_str("t.txt", "caf\xc3\xa9\n");
	put_str("raw.csv", "a,\xff\n");
	put_str("x.bin", "x");
	collect();
	cr_assert_eq(result_files_add(o, &out), o);
	cr_assert(json_object_object_get_ex(o, "files", &files));
	cr_assert_eq(json_object_array_length(files), 3);

	f = json_object_array_get_idx(files, 0); /* p.png */
	json_object_object_get_ex(f, "encoding", &v);
	cr_assert_str_eq(json_object_get_string(v), "base64");
	json_object_object_get_ex(f, "data", &v);
	cr_assert_str_eq(json_object_get_string(v), "iVBORw0KGgp4");
	json_object_object_get_ex(f, "type", &v);
	cr_assert_str_eq(json_object_get_string(v), "image/png");
	json_object_object_get_ex(f, "size", &v);
	cr_assert_eq(json_object_get_int64(v), 9);

	f = json_object_array_get_idx(files, 1); /* raw.csv: not UTF-8 */
	json_object_object_get_ex(f, "name", &v);
	cr_assert_str_eq(json_object_get_string(v), "raw.csv");
	json_object_object_get_ex(f, "encoding", &v);
	cr_assert_str_eq(json_object_get_string(v), "base64");
	json_object_object_get_ex(f, "data", &v);
	cr_assert_str_eq(json_object_get_string(v), "YSz/Cg==");

	f = json_object_array_get_idx(files, 2); /* t.txt */
	json_object_object_get_ex(f, "encoding", &v);
	cr_assert_str_eq(json_object_get_string(v), "utf-8");
	json_object_object_get_ex(f, "data", &v);
	cr_assert_str_eq(json_object_get_string(v), "caf\xc3\xa9\n");
	json_object_object_get_ex(f, "truncated", &v);
	cr_assert_not(json_object_get_boolean(v));

	cr_assert(json_object_object_get_ex(o, "files_refused", &v));
	cr_assert_eq(json_object_array_length(v), 1);
	f = json_object_array_get_idx(v, 0);
	json_object_object_get_ex(f, "name", &v);
	cr_assert_str_eq(json_object_get_string(v), "x.bin");
	cr_assert(json_object_object_get_ex(o, "files_truncated", &v));
	cr_assert_not(json_object_get_boolean(v));
	json_object_put(o);
}

Test(outfiles, base64_pads_every_length)
{
	static const char *const want[] = {"", "YQ==", "YWI=", "YWJj",
	                                   "YWJjZA=="};

	for (size_t n = 0; n < 5; n++) {
		json_object *s = result_base64("abcd", n);
		cr_assert_str_eq(json_object_get_string(s), want[n]);
		json_object_put(s);
	}
}

static unsigned long nfstatat; /* calls of the fstatat below */

Test(outfiles, at_most_scan_max_entries_are_looked_at)
{
	char name[32];

	for (int i = 0; i < SBX_OUT_SCAN_MAX + 3; i++) {
		snprintf(name, sizeof(name), "e%05d.txt", i);
		put_str(name, "");
	}
	lim.out_files = 0;
	nfstatat = 0;
	collect();
	cr_assert_eq(nfstatat, SBX_OUT_SCAN_MAX);
	cr_assert(out.truncated);
	cr_assert_eq(out.nrefused, SBX_OUT_REFUSED_MAX);
	cr_assert_eq(out.nfiles, 0);
}

/*
 * What is in out/ changes between the look (fstatat) and the open: this
 * fstatat is the one outfiles.c calls (the program's own definition wins
 * over the C library's), and once armed it runs `swap` on the entry just
 * looked at, before returning what it saw.  In the jail nothing runs any
 * more at that point; these check that the open would not trust the look.
 */
static const char *swap_name;
static void (*swap)(const char *path);

int fstatat(int dfd, const char *path, struct stat *st, int flags)
{
	int r = (int)syscall(SYS_newfstatat, dfd, path, st, flags);

	nfstatat++;
	if (swap_name && strcmp(path, swap_name) == 0) {
		char full[300];
		swap_name = NULL;
		snprintf(full, sizeof(full), "%s/out/%s", top, path);
		swap(full);
	}
	return r;
}

static void swap_in_other_file(const char *path)
{
	char other[300];

	snprintf(other, sizeof(other), "%s/other", top);
	cr_assert_eq(rename(other, path), 0);
}

static void swap_in_fifo(const char *path)
{
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(mkfifo(path, 0644), 0);
}

static void swap_in_link(const char *path)
{
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(symlink("/etc/passwd", path), 0);
}

static void collect_swapped(void (*fn)(const char *))
{
	put_str("swap.txt", "what was looked at");
	swap_name = "swap.txt";
	swap = fn;
	collect();
	cr_assert_null(swap_name, "the hook ran");
	cr_assert_eq(out.nfiles, 0, "'%s' was returned",
	             out.nfiles ? out.files[0].data : "");
}

Test(outfiles, a_file_replaced_after_the_look_is_refused)
{
	char other[300];

	snprintf(other, sizeof(other), "%s/other", top);
	cr_assert_eq(close(open(other, O_WRONLY | O_CREAT, 0644)), 0);
	collect_swapped(swap_in_other_file);
	expect_refused("swap.txt", "changed between being looked at");
}

Test(outfiles, a_fifo_put_in_after_the_look_does_not_block)
{
	collect_swapped(swap_in_fifo);
	expect_refused("swap.txt", "changed between being looked at");
}

Test(outfiles, a_link_put_in_after_the_look_is_not_followed)
{
	collect_swapped(swap_in_link);
	expect_refused("swap.txt", "cannot be opened");
}
