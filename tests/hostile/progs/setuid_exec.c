/* setuid_exec PROGRAM [ARGS...] - executes a setuid-root program and reads
   the credentials it ended with from /proc/PID/status while it is a zombie
   (a zombie keeps its final credentials).  Expected: "exec PROGRAM: ok" and
   "euid: unchanged" (nosuid / no_new_privs / unmapped owner all keep the
   effective uid). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *prog = argc > 1 ? argv[1] : "/usr/bin/passwd";
	char path[64], line[256];
	int pfd[2], err = 0, devnull;
	unsigned ruid, euid, suid, fsuid;
	siginfo_t si;
	FILE *f;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return 2;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("fork: %s\n", strerrorname_np(errno));
		return 0;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execv(prog, argv + 1);
		err = errno;
		(void)!write(pfd[1], &err, sizeof(err));
		_exit(127);
	}
	close(pfd[1]);
	if (read(pfd[0], &err, sizeof(err)) == (ssize_t)sizeof(err)) {
		printf("exec %s: %s\n", prog, strerrorname_np(err));
		return 0;
	}
	printf("exec %s: ok\n", prog);
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0) {
		printf("waitid: %s\n", strerrorname_np(errno));
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f) {
		printf("open %s: %s\n", path, strerrorname_np(errno));
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u %u %u %u", &ruid, &euid, &suid,
		           &fsuid) != 4)
			continue;
		if (euid == (unsigned)geteuid() && suid == (unsigned)geteuid())
			printf("euid: unchanged\n");
		else
			printf("euid: %u suid: %u (ours: %u)\n", euid, suid,
			       (unsigned)geteuid());
	}
	fclose(f);
	return 0;
}
