/* userns - new user (and other) namespaces by unshare() and clone(), each
   tried in a child of its own so one success cannot change the next try.
   Expected: EPERM for each. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void try_clone(const char *what, unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);

	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	waitpid((pid_t)pid, NULL, 0);
	printf("%s: ok\n", what);
}

static void try_unshare(const char *what, int flags)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("%s: fork %s\n", what, strerrorname_np(errno));
		return;
	}
	if (pid == 0) {
		printf("%s: %s\n", what,
		       unshare(flags) < 0 ? strerrorname_np(errno) : "ok");
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

int main(void)
{
	try_unshare("unshare CLONE_NEWUSER", CLONE_NEWUSER);
	try_unshare("unshare CLONE_NEWNS", CLONE_NEWNS);
	try_unshare("unshare CLONE_NEWNET", CLONE_NEWNET);
	try_clone("clone CLONE_NEWUSER", CLONE_NEWUSER);
	try_clone("clone CLONE_NEWUSER|CLONE_NEWNS",
	          CLONE_NEWUSER | CLONE_NEWNS);
	try_clone("clone CLONE_NEWPID", CLONE_NEWPID);
	return 0;
}
