/* fork_bomb - every process forks forever; expected: process_limit. */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "fork_bomb: start\n";

	if (write(1, msg, sizeof(msg) - 1) < 0)
		return 2;
	for (;;)
		(void)fork();
}
