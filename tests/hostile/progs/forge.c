/* forge - raises the signals the CPU and file size limits send, at once,
   far below both limits (argument: xcpu or xfsz).  Expected: the verdict
   "signal" with that signal, not time_limit or file_size_limit. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int sig = argc > 1 && strcmp(argv[1], "xfsz") == 0 ? SIGXFSZ : SIGXCPU;

	printf("forge: start\n");
	fflush(stdout);
	kill(getpid(), sig);
	pause();
	return 0;
}
