/* stdin_small - reads 16 bytes of a (huge) stdin and exits.  Expected:
   accepted, "read: 16", no hang. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char buf[16];
	size_t got = 0;

	while (got < sizeof(buf)) {
		ssize_t n = read(0, buf + got, sizeof(buf) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	printf("read: %zu\n", got);
	return 0;
}
