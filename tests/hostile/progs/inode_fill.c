/* inode_fill DIR - creates empty files in DIR until it fails; reports the
   error and the count.  Expected: ENOSPC near the inode limit. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/box";
	char path[4096];
	int i;

	for (i = 0; i < 1000000; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/i%d", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0) {
			printf("create: %s\n", strerrorname_np(errno));
			break;
		}
		close(fd);
	}
	printf("files: %d\n", i);
	return 0;
}
