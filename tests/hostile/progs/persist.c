/* persist write|check - "write" leaves a marker file in /tmp, /dev/shm and
   /box; "check" (a later run in the same slot) reports whether each marker
   is still there.  Expected: every marker absent. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const markers[] = {
        "/tmp/runpad-persist",
        "/dev/shm/runpad-persist",
        "/box/runpad-persist",
};

int main(int argc, char **argv)
{
	int write_mode = argc > 1 && strcmp(argv[1], "write") == 0;

	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		const char *m = markers[i];

		if (write_mode) {
			int fd = open(m, O_WRONLY | O_CREAT | O_TRUNC, 0666);
			if (fd < 0) {
				printf("write %s: %s\n", m,
				       strerrorname_np(errno));
				continue;
			}
			(void)!write(fd, "marker\n", 7);
			close(fd);
			printf("write %s: ok\n", m);
		} else if (access(m, F_OK) == 0) {
			printf("check %s: present\n", m);
		} else {
			printf("check %s: %s\n", m,
			       errno == ENOENT ? "absent"
			                       : strerrorname_np(errno));
		}
	}
	return 0;
}
