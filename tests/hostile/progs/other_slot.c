/* other_slot [NAME] - looks for processes of another slot in /proc, tries
   to kill them (kill(-1) and kill() of every pid) and to connect to the
   abstract socket @NAME another slot listens on.  Expected: "seen: none",
   "kill -1: ESRCH", "kill guesses: 0 hit", "connect: ECONNREFUSED". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int self = (int)getpid(), seen = 0, hits = 0, pid_max = 4194304;
	struct dirent *e;
	DIR *d = opendir("/proc");
	FILE *f;

	while (d && (e = readdir(d)) != NULL) {
		char path[300], comm[64] = "?";
		int pid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = atoi(e->d_name);
		if (pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				strcpy(comm, "?");
			comm[strcspn(comm, "\n")] = 0;
			fclose(f);
		}
		printf("seen: %d %s\n", pid, comm);
		seen++;
	}
	if (d)
		closedir(d);
	if (!seen)
		printf("seen: none\n");
	printf("kill -1: %s\n",
	       kill(-1, SIGKILL) < 0 ? strerrorname_np(errno) : "ok");
	f = fopen("/proc/sys/kernel/pid_max", "r");
	if (f) {
		if (fscanf(f, "%d", &pid_max) != 1)
			pid_max = 4194304;
		fclose(f);
	}
	for (int pid = 2; pid <= pid_max; pid++) {
		if (pid != self && kill(pid, SIGKILL) == 0)
			hits++;
	}
	printf("kill guesses: %d hit\n", hits);
	if (argc > 1) {
		struct sockaddr_un sa;
		socklen_t len =
		        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		                    strlen(argv[1]));
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		strncpy(sa.sun_path + 1, argv[1], sizeof(sa.sun_path) - 2);
		printf("connect: %s\n",
		       fd < 0 ? strerrorname_np(errno)
		       : connect(fd, (struct sockaddr *)&sa, len) < 0
		               ? strerrorname_np(errno)
		               : "ok");
	}
	return 0;
}
