/* sleep_wall - sleeps 60 s using no CPU; expected: time_limit (wall). */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "sleep_wall: start\n";

	if (write(1, msg, sizeof(msg) - 1) < 0)
		return 2;
	sleep(60);
	return 0;
}
