/* tmpfs_oom - overruns the memory limit with pages that belong to no
   process: files in a tmpfs (/tmp, /dev/shm or /box, by argument), or
   anonymous memory in a child while the program itself waits and exits 0.
   tmpfs pages are charged to the stage's cgroup but to nobody's RSS, so the
   OOM killer's choice falls on the largest process, which must never be
   the jail's init.  Expected: memory_limit, whatever the way. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void fill(const char *path)
{
	/* a small buffer: the program's own RSS stays below init's */
	static char buf[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0) {
		printf("open %s: %s\n", path, strerrorname_np(errno));
		exit(3);
	}
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < 4096 * 256; i++) {
		if (write(fd, buf, sizeof(buf)) < 0) {
			printf("write: %s\n", strerrorname_np(errno));
			exit(4);
		}
	}
	printf("filled\n");
	exit(0);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "tmp";

	printf("tmpfs_oom: start\n");
	fflush(stdout);
	if (strcmp(how, "tmp") == 0)
		fill("/tmp/fill");
	if (strcmp(how, "shm") == 0)
		fill("/dev/shm/fill");
	if (strcmp(how, "box") == 0)
		fill("/box/fill");
	if (strcmp(how, "child") == 0) {
		pid_t pid = fork();
		int st;
		if (pid == 0) {
			for (size_t n = 0;; n += 1 << 20) {
				char *p = malloc(1 << 20);
				if (!p)
					_exit(5);
				memset(p, 'y', 1 << 20);
			}
		}
		waitpid(pid, &st, 0);
		return 0; /* the parent copes and exits 0 */
	}
	return 2;
}
