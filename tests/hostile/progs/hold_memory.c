/* hold_memory - holds a known amount of memory of each kind the figure
   counts, all at once, then exits: ANON MiB of touched heap, TMPFS MiB in a
   file of /tmp, and CHILDREN processes that each touch CHILD MiB and wait
   until every one of them holds it.  The children exit first, the parent
   last, as most programs end: holding their peak until they go.
   usage: hold_memory ANON TMPFS CHILDREN CHILD */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void touch(size_t mib)
{
	size_t n = mib << 20;
	volatile char *p = malloc(n ? n : 1);

	if (!p) {
		printf("hold_memory: malloc failed\n");
		exit(1);
	}
	/* through a volatile pointer: a compiler may drop a memset of
	   memory that is never read */
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 0x5a;
}

int main(int argc, char **argv)
{
	size_t anon, tmpfs, kids, child;
	int ready[2], go[2];
	static char block[1 << 20];
	char c;

	if (argc != 5)
		return 2;
	anon = strtoul(argv[1], NULL, 10);
	tmpfs = strtoul(argv[2], NULL, 10);
	kids = strtoul(argv[3], NULL, 10);
	child = strtoul(argv[4], NULL, 10);
	if (pipe(ready) < 0 || pipe(go) < 0)
		return 1;
	memset(block, 'm', sizeof(block));
	int fd = open("/tmp/held", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (size_t i = 0; i < tmpfs; i++)
		if (fd < 0 ||
		    write(fd, block, sizeof(block)) != sizeof(block)) {
			printf("hold_memory: tmpfs write failed\n");
			return 1;
		}
	touch(anon);
	for (size_t i = 0; i < kids; i++) {
		pid_t p = fork();
		if (p < 0)
			return 1;
		if (p == 0) {
			close(go[1]); /* or it would never read EOF */
			touch(child);
			(void)!write(ready[1], "r", 1);
			(void)!read(go[0], &c, 1);
			_exit(0);
		}
	}
	for (size_t i = 0; i < kids; i++)
		if (read(ready[0], &c, 1) != 1)
			return 1;
	close(go[1]); /* every child reads EOF and exits */
	while (wait(NULL) > 0)
		;
	printf("hold_memory: held\n");
	return 0;
}
