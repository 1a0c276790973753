/*
 * Unit tests: the CLI's template namespaces (sandbox/template.c) through
 * the library, with a template directory of the test's own.  Root only:
 * holding a namespace on the host takes CAP_SYS_ADMIN.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

static char dir[64], file[64]; /* file: not below /tmp, which the jail mounts */

/* The defaults, or RUNPAD_TEST_CGROUP_PARENT and RUNPAD_TEST_FIRST_UID (as
   test_jail.c): runnable beside a test run that holds the default slots. */
static void config(struct sbx_config *c)
{
	const char *parent = getenv("RUNPAD_TEST_CGROUP_PARENT");
	const char *uid = getenv("RUNPAD_TEST_FIRST_UID");

	sbx_config_default(c);
	if (parent && *parent)
		c->cgroup_parent = parent;
	if (uid && *uid) {
		char *end;
		unsigned long u = strtoul(uid, &end, 10);
		cr_assert(*end == '\0' && u > 0 && u < 4000000000ul,
		          "RUNPAD_TEST_FIRST_UID=%s is not a uid", uid);
		c->first_uid = c->first_gid = (uint32_t)u;
	}
}

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("templates are root's: run as root");
	snprintf(dir, sizeof(dir), "/tmp/rp-template-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "/var/tmp/rp-template-file-XXXXXX");
	int fd = mkstemp(file);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "one\n", 4), 4);
	close(fd);
	chmod(file, 0644);
}

/* unmount every holder below d, then remove the tree */
static void remove_tree(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	char path[512];

	if (!dp)
		return;
	while ((e = readdir(dp))) {
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", d, e->d_name);
		while (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	closedir(dp);
	rmdir(d);
}

static void teardown(void)
{
	if (dir[0]) {
		umount2(dir, MNT_DETACH);
		remove_tree(dir);
	}
	if (file[0])
		unlink(file);
}

TestSuite(template, .init = setup, .fini = teardown, .timeout = 60);

/*
 * Run argv in slot 0 of a templated context, in a child (a templated run
 * joins the template's mount namespace, and the test must stay in the
 * host's); *out gets stdout.
 */
static void run_in_child(const char *const *binds, const char *const *argv,
                         char *out, size_t outlen)
{
	char buf[600] = "";
	int p[2], status;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sbx_config c;
		struct sbx_ctx *ctx;
		struct sbx_stage st;
		struct sbx_job job;
		struct sbx_job_result res;
		char err[512] = "";

		close(p[0]);
		config(&c);
		c.slots = 2;
		c.binds = binds;
		c.template_dir = dir;
		if (sbx_ctx_new(&c, &ctx, err, sizeof(err)) < 0 ||
		    sbx_ctx_cgroup_mode(ctx) == SBX_CGROUP_NONE) {
			dprintf(p[1], "S%s", err[0] ? err : "no cgroup here");
			_exit(0);
		}
		memset(&st, 0, sizeof(st));
		sbx_limits_default(&st.limits);
		st.argv = argv;
		st.stdin_fd = st.cancel_fd = st.hangup_fd = -1;
		job = (struct sbx_job){.run = &st, .slot = 0};
		if (sbx_run(ctx, &job, &res, err, sizeof(err)) < 0)
			dprintf(p[1], "Fsbx_run: %s", err);
		else if (res.verdict != SBX_ACCEPTED)
			dprintf(p[1], "F%s: %s", sbx_verdict_name(res.verdict),
			        res.run.err ? res.run.err : "");
		else
			dprintf(p[1], "O%s", res.run.out ? res.run.out : "");
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(n > 0, "the run's child died: %#x", status);
	buf[n] = '\0';
	if (buf[0] == 'S')
		cr_skip_test("the jail cannot start here: %s", buf + 1);
	cr_assert_eq(buf[0], 'O', "%s", buf + 1);
	n = (ssize_t)strlen(buf + 1);
	if ((size_t)n >= outlen)
		n = (ssize_t)outlen - 1;
	memcpy(out, buf + 1, (size_t)n);
	out[n] = '\0';
}

static void run_cat(char *out, size_t outlen)
{
	const char *binds[] = {"/usr", "/etc/ld.so.cache", file, NULL};
	const char *argv[] = {"/bin/cat", file, NULL};

	run_in_child(binds, argv, out, outlen);
}

/* The keys (directories) below dir; ns[] gets the nsfs inode numbers of
   their slot 0 mount namespaces. */
static int templates(ino_t ns[8])
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(dp);
	while ((e = readdir(dp)) && n < 8) {
		char path[512];
		struct stat st;
		if (e->d_name[0] == '.' || strcmp(e->d_name, "lock") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/slot0.mnt", dir, e->d_name);
		ns[n++] = stat(path, &st) == 0 ? st.st_ino : 0;
	}
	closedir(dp);
	return n;
}

Test(template, a_second_run_joins_the_first_one_template)
{
	char out[64];
	ino_t first[8], second[8];
	FILE *f;
	char line[512];
	int held = 0;

	run_cat(out, sizeof(out));
	cr_assert_str_eq(out, "one\n");
	cr_assert_eq(templates(first), 1);
	cr_assert_neq(first[0], 0, "slot 0's mount namespace is not held");

	run_cat(out, sizeof(out));
	cr_assert_str_eq(out, "one\n");
	cr_assert_eq(templates(second), 1);
	cr_assert_eq(second[0], first[0],
	             "the second run built a template anew");

	/* on the host: the holders, nsfs, and nothing else of the jail's */
	f = fopen("/proc/self/mountinfo", "re");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, dir))
			continue;
		if (strstr(line, " - nsfs ")) {
			held++;
			continue;
		}
		/* the private bind of the directory itself */
		cr_assert(strstr(line, " - tmpfs ") ||
		                  strstr(line, " - ext4 ") ||
		                  strstr(line, " - xfs ") ||
		                  strstr(line, " - btrfs "),
		          "a jail mount on the host: %s", line);
		cr_assert(!strstr(line, ".run"), "a run dir on the host: %s",
		          line);
	}
	fclose(f);
	cr_assert_eq(held, 2, "slot 0's mnt and net holders: %d", held);
}

Test(template, a_changed_host_file_makes_a_new_template)
{
	char out[64];
	ino_t first[8], second[8];
	struct timespec later[2] = {{0, UTIME_OMIT}, {0, 0}};
	struct stat st;
	int fd;

	run_cat(out, sizeof(out));
	cr_assert_str_eq(out, "one\n");
	cr_assert_eq(templates(first), 1);

	/* copied into the root: the copy must follow the host's file */
	fd = open(file, O_WRONLY | O_TRUNC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "two\n", 4), 4);
	close(fd);
	cr_assert_eq(stat(file, &st), 0);
	later[1].tv_sec = st.st_mtime + 2; /* whatever the clock's grain */
	cr_assert_eq(utimensat(AT_FDCWD, file, later, 0), 0);

	run_cat(out, sizeof(out));
	cr_assert_str_eq(out, "two\n", "the run saw the template's stale copy");
	cr_assert_eq(templates(second), 2, "the old one kept, a new one made");
	cr_assert(second[0] != second[1] && second[0] && second[1] &&
	                  (second[0] == first[0] || second[1] == first[0]),
	          "two templates, the first one's among them");
}

/* Mounts on slot 0's box in the template's namespace, seen from a child
   that joins it. */
static int box_mounts(void)
{
	ino_t ns[8];
	char key[512];
	DIR *dp = opendir(dir);
	struct dirent *e;
	int p[2], n = -1;
	pid_t pid;

	cr_assert_eq(templates(ns), 1);
	cr_assert_not_null(dp);
	while ((e = readdir(dp)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "lock") != 0)
			snprintf(key, sizeof(key), "%s/%s", dir, e->d_name);
	closedir(dp);
	cr_assert_eq(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		char path[600], line[1024];
		int fd, count = 0;
		FILE *f;
		snprintf(path, sizeof(path), "%s/slot0.mnt", key);
		fd = open(path, O_RDONLY);
		if (fd < 0 || setns(fd, CLONE_NEWNS) < 0) {
			fprintf(stderr, "cannot join %s: %s\n", path,
			        strerror(errno));
			_exit(1);
		}
		f = fopen("/proc/self/mountinfo", "re");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "/box0 ")) {
				count++;
				if (getenv("TDEBUG"))
					fputs(line, stderr);
			}
		(void)!write(p[1], &count, sizeof(count));
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &n, sizeof(n)) != sizeof(n))
		n = -1;
	close(p[0]);
	waitpid(pid, NULL, 0);
	return n;
}

/* the dying supervisor: gone as soon as the program has written */
static void die_on_output(void *arg, int stream, const char *b, size_t n)
{
	(void)arg;
	(void)stream;
	if (n >= 2 && memcmp(b, "ok", 2) == 0)
		_exit(0);
}

Test(template, a_box_left_by_a_killed_run_is_gone)
{
	/* a run whose supervisor died leaves its box mounted in the
	   template; the next run in the slot must get a fresh one */
	const char *binds[] = {"/usr", "/etc/ld.so.cache", NULL};
	const char *wr[] = {"/bin/sh", "-c",
	                    "echo secret > /box/left; echo ok; sleep 20", NULL};
	const char *ls[] = {"/bin/ls", "-A", "/box", NULL};
	struct sbx_config c;
	struct sbx_ctx *ctx;
	struct sbx_stage st;
	struct sbx_job job;
	struct sbx_job_result res;
	char err[512] = "", out[600];
	pid_t pid;
	int status;

	config(&c);
	c.slots = 2; /* as run_in_child's */
	c.binds = binds;
	c.template_dir = dir;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sbx_file f = {.name = "mine", .data = "x", .len = 1};
		if (sbx_ctx_new(&c, &ctx, err, sizeof(err)) < 0 ||
		    sbx_ctx_cgroup_mode(ctx) == SBX_CGROUP_NONE)
			_exit(3);
		memset(&st, 0, sizeof(st));
		sbx_limits_default(&st.limits);
		st.limits.wall_ms = 30000;
		st.argv = wr;
		st.stdin_fd = st.cancel_fd = st.hangup_fd = -1;
		st.on_output = die_on_output;
		job = (struct sbx_job){
		        .run = &st, .files = &f, .nfiles = 1, .slot = 0};
		sbx_run(ctx, &job, &res, err, sizeof(err));
		_exit(4); /* never saw "ok" */
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		cr_skip_test("the jail cannot start here, or has no cgroup");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "the first run did not die as planned: %#x", status);

	run_in_child(binds, ls, out, sizeof(out));
	cr_assert_str_eq(out, "out\n",
	                 "the box held more than its empty out/: %s", out);
	cr_assert_eq(box_mounts(), 0,
	             "the dead run's box is still mounted in the template");
}

Test(template, an_unusable_directory_falls_back_to_a_root_of_the_run_own)
{
	/* a directory that cannot be made: the run builds its own root */
	const char *binds[] = {"/usr", "/etc/ld.so.cache", NULL};
	const char *argv[] = {"/bin/sh", "-c", "echo fine", NULL};
	char out[64], saved[64];

	snprintf(saved, sizeof(saved), "%s", dir);
	snprintf(dir, sizeof(dir), "/proc/runpad-no-such-dir");
	run_in_child(binds, argv, out, sizeof(out));
	snprintf(dir, sizeof(dir), "%s", saved);
	cr_assert_str_eq(out, "fine\n");
}
