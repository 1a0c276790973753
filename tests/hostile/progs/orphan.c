/* orphan - double-forks a setsid() grandchild named "rp-orphan" that
   ignores SIGTERM/SIGHUP, keeps our stdout open and sleeps forever; we exit
   at once.  Expected: accepted well within the wall limit, and no
   rp-orphan left on the host. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) < 0)
		return 2;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		prctl(PR_SET_NAME, "rp-orphan", 0, 0, 0);
		(void)!write(p[1], "x", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	waitpid(pid, NULL, 0);
	if (read(p[0], &c, 1) != 1)
		return 4;
	printf("orphan: started\nuid: %u\n", (unsigned)getuid());
	return 0;
}
