/* cpu_spin - burns CPU forever; expected: time_limit (cpu). */
#include <unistd.h>

int main(void)
{
	static const char msg[] = "cpu_spin: start\n";
	volatile unsigned long n = 0;

	if (write(1, msg, sizeof(msg) - 1) < 0)
		return 2;
	for (;;)
		n++;
}
