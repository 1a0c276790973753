/* output_flood - writes 'A' to stdout (or 'E' to stderr with argument
   "stderr") forever; expected: output_limit, the stream cut exactly at its
   limit. */
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[65536];
	int fd = argc > 1 && strcmp(argv[1], "stderr") == 0 ? 2 : 1;

	memset(buf, fd == 1 ? 'A' : 'E', sizeof(buf));
	for (;;)
		(void)!write(fd, buf, sizeof(buf));
}
