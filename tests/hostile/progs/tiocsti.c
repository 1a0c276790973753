/* tiocsti - pushes "id\n" into the input of every terminal it can reach:
   fds 0..2 and /dev/tty.  Expected: nothing reaches the test's terminal
   (the exact errors are asserted by the test). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void inject(const char *what, int fd)
{
	static const char cmd[] = "id\n";
	int err = 0;

	for (const char *c = cmd; *c; c++) {
		if (ioctl(fd, TIOCSTI, c) < 0) {
			err = errno;
			break;
		}
	}
	printf("TIOCSTI %s: %s\n", what, err ? strerrorname_np(err) : "ok");
}

int main(void)
{
	int fd;

	inject("fd 0", 0);
	inject("fd 1", 1);
	inject("fd 2", 2);
	fd = open("/dev/tty", O_RDWR);
	if (fd < 0) {
		printf("open /dev/tty: %s\n", strerrorname_np(errno));
		return 0;
	}
	inject("/dev/tty", fd);
	return 0;
}
