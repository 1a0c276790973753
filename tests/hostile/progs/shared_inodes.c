/* shared_inodes - channels through inodes that every slot's read-only
   root shares with the host.  `hold SECS PATH...` takes an exclusive
   flock() and a POSIX read lock on each path (opened read-only: that is
   all a lock needs) and holds them; `probe PATH...` reports, for each
   path, whether a non-blocking flock() and F_GETLK see someone else's
   lock.  Also reports whether inotify can be had at all (its marks on
   those inodes would report the host's and other slots' activity).
   Expected: no lock is seen across slots or from the host, and inotify
   is not available. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc < 3)
		return 2;
	fd = inotify_init1(IN_CLOEXEC);
	printf("inotify_init1: %s\n", fd < 0 ? strerrorname_np(errno) : "ok");
	if (strcmp(argv[1], "hold") == 0) {
		int secs = atoi(argv[2]);
		for (int i = 3; i < argc; i++) {
			struct flock fl = {.l_type = F_RDLCK,
			                   .l_whence = SEEK_SET};
			int f = open(argv[i], O_RDONLY);
			if (f < 0) {
				printf("%s: open %s\n", argv[i],
				       strerrorname_np(errno));
				continue;
			}
			printf("%s: flock %s, F_SETLK %s\n", argv[i],
			       flock(f, LOCK_EX | LOCK_NB) < 0
			               ? strerrorname_np(errno)
			               : "held",
			       fcntl(f, F_SETLK, &fl) < 0
			               ? strerrorname_np(errno)
			               : "held");
		}
		fflush(stdout);
		sleep((unsigned)secs);
		return 0;
	}
	for (int i = 2; i < argc; i++) {
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		int f = open(argv[i], O_RDONLY);
		const char *fw;
		if (f < 0) {
			printf("%s: open %s\n", argv[i],
			       strerrorname_np(errno));
			continue;
		}
		fw = flock(f, LOCK_EX | LOCK_NB) == 0 ? "free"
		     : errno == EWOULDBLOCK           ? "busy"
		                                      : strerrorname_np(errno);
		if (fcntl(f, F_GETLK, &fl) < 0)
			printf("%s: flock %s, F_GETLK %s\n", argv[i], fw,
			       strerrorname_np(errno));
		else
			printf("%s: flock %s, F_GETLK %s\n", argv[i], fw,
			       fl.l_type == F_UNLCK ? "free" : "busy");
		close(f);
	}
	return 0;
}
