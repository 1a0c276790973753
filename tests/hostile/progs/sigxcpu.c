/* sigxcpu - catches SIGXCPU (and SIGTERM), says so once, keeps spinning;
   expected: time_limit (cpu) all the same. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	static const char msg[] = "sigxcpu: caught\n";

	if (sig == SIGXCPU && !caught) {
		caught = 1;
		(void)!write(1, msg, sizeof(msg) - 1);
	}
}

int main(void)
{
	static const char msg[] = "sigxcpu: start\n";
	struct sigaction sa;
	volatile unsigned long n = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGXCPU, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (write(1, msg, sizeof(msg) - 1) < 0)
		return 2;
	for (;;)
		n++;
}
