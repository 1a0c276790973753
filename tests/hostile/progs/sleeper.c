/* sleeper [SECONDS [NAME]] - the victim of other_slot: names itself
   "rp-sleeper", listens on the abstract AF_UNIX socket @NAME and waits for
   SIGUSR1 (which the test sends from the host once the attack is over), at
   most SECONDS (default 6); then reports how many connections reached it.
   Expected: accepted, "woken" and "accepted: 0". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts = {atoi(argc > 1 ? argv[1] : "6"), 0};
	struct sockaddr_un sa;
	int fd = -1, n = 0;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if (argc > 2) {
		socklen_t len =
		        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		                    strlen(argv[2]));

		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		strncpy(sa.sun_path + 1, argv[2], sizeof(sa.sun_path) - 2);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0 ||
		    listen(fd, 16) < 0) {
			printf("listen: %s\n", strerrorname_np(errno));
			return 0;
		}
	}
	/* the test looks for this name: only once the socket listens */
	prctl(PR_SET_NAME, "rp-sleeper", 0, 0, 0);
	fputs(sigtimedwait(&set, NULL, &ts) == SIGUSR1 ? "woken\n"
	                                               : "timed out\n",
	      stdout);
	if (fd >= 0) {
		while (accept(fd, NULL, NULL) >= 0)
			n++;
		printf("accepted: %d\n", n);
	}
	return 0;
}
