/* sleeper [SECONDS] - the victim of other_slot: names itself "rp-sleeper",
   sleeps (default 6 s) and prints "slept".  Expected: accepted. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned left = (unsigned)atoi(argc > 1 ? argv[1] : "6");

	prctl(PR_SET_NAME, "rp-sleeper", 0, 0, 0);
	while (left)
		left = sleep(left);
	printf("slept\n");
	return 0;
}
