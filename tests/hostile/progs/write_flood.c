/* write_flood - a million one-byte writes to stdout.  Each would wake the
   supervisor, which runs outside every cgroup, for one byte.  Expected:
   accepted, and the supervisor's CPU a small fraction of the program's. */
#include <unistd.h>

int main(void)
{
	for (int i = 0; i < 1000000; i++)
		if (write(1, "x", 1) != 1)
			return 1;
	return 0;
}
