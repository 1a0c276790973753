/* file_size - writes 4 MiB into /box/big without handling SIGXFSZ;
   expected: file_size_limit (killed by SIGXFSZ at the file size limit). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	static const char msg[] = "file_size: start\n";
	static char buf[65536];
	int fd, i;

	if (write(1, msg, sizeof(msg) - 1) < 0)
		return 2;
	memset(buf, 'x', sizeof(buf));
	fd = open("/box/big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("open: %s\n", strerrorname_np(errno));
		return 3;
	}
	for (i = 0; i < 64; i++) {
		if (write(fd, buf, sizeof(buf)) < 0) {
			printf("write: %s\n", strerrorname_np(errno));
			return 4;
		}
	}
	printf("wrote 4 MiB\n");
	return 0;
}
