/* loginuid - an unset audit loginuid can be set once by anyone: the
   program tries to become auid 0 in the host's audit records, and reports
   its loginuid and OOM score before and after.  Expected: the write fails,
   the loginuid is the slot's uid (root mode) or unset (rootless). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void show(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (n < 0) {
		printf("%s: %s\n", path, strerrorname_np(errno));
	} else {
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		printf("%s: %s\n", path, buf);
	}
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	int fd;

	show("/proc/self/loginuid");
	fd = open("/proc/self/loginuid", O_WRONLY);
	if (fd < 0)
		printf("open loginuid for writing: %s\n",
		       strerrorname_np(errno));
	else if (write(fd, "0", 1) < 0)
		printf("write 0: %s\n", strerrorname_np(errno));
	else
		printf("write 0: ok\n");
	if (fd >= 0)
		close(fd);
	show("/proc/self/loginuid");
	show("/proc/self/oom_score_adj");
	fd = open("/proc/self/oom_score_adj", O_WRONLY);
	if (fd >= 0) {
		printf("oom_score_adj -1000: %s\n",
		       write(fd, "-1000", 5) < 0 ? strerrorname_np(errno)
		                                 : "ok");
		close(fd);
	}
	return 0;
}
