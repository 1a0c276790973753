/* clone3 - clone3() plain and with CLONE_NEWUSER.  Expected: ENOSYS
   (seccomp cannot inspect clone3's flags, so the jail refuses it whole and
   libc falls back to clone). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void try(const char *what, unsigned long long flags)
{
	struct clone_args ca;
	long pid;

	memset(&ca, 0, sizeof(ca));
	ca.flags = flags;
	ca.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	waitpid((pid_t)pid, NULL, 0);
	printf("%s: ok\n", what);
}

int main(void)
{
	try("clone3", 0);
	try("clone3 CLONE_NEWUSER", CLONE_NEWUSER);
	return 0;
}
