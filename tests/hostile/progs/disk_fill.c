/* disk_fill DIR - writes DIR/fill until a write fails; reports the error
   and the bytes written.  Expected: ENOSPC near the size limit of DIR. */
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
	static char buf[65536];
	const char *dir = argc > 1 ? argv[1] : "/box";
	unsigned long long total = 0;
	char path[4096];
	int fd;

	memset(buf, 'x', sizeof(buf));
	snprintf(path, sizeof(path), "%s/fill", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("open %s: %s\n", path, strerrorname_np(errno));
		return 0;
	}
	for (;;) {
		ssize_t n = write(fd, buf, sizeof(buf));
		if (n < 0) {
			printf("write: %s\n", strerrorname_np(errno));
			break;
		}
		total += (unsigned long long)n;
	}
	printf("bytes: %llu\n", total);
	return 0;
}
