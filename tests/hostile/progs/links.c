/* links CANARY CANARYDIR - plants symlinks in /box and /tmp that point at
   a host canary file and its directory (which do not exist inside), a
   hardlink attempt at the canary and one at a setuid binary.  The test then
   checks that the supervisor's cleanup left the canary alone.  Expected:
   symlinks "ok", links ENOENT (canary invisible) and EXDEV (other mount). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *what, int rc)
{
	printf("%s: %s\n", what, rc < 0 ? strerrorname_np(errno) : "ok");
}

int main(int argc, char **argv)
{
	const char *canary = argc > 1 ? argv[1] : "/nonexistent";
	const char *dir = argc > 2 ? argv[2] : "/nonexistent";

	report("symlink /box/sym", symlink(canary, "/box/sym"));
	report("symlink /box/symdir", symlink(dir, "/box/symdir"));
	report("mkdir /box/d", mkdir("/box/d", 0755));
	report("symlink /box/d/sym", symlink(dir, "/box/d/sym"));
	report("symlink /tmp/sym", symlink(canary, "/tmp/sym"));
	report("symlink /tmp/symdir", symlink(dir, "/tmp/symdir"));
	report("link /box/hard", link(canary, "/box/hard"));
	report("link /box/passwd", link("/usr/bin/passwd", "/box/passwd"));
	report("chmod /box/sym", chmod("/box/sym", 0777));
	return 0;
}
