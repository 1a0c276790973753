/* hello - sanity check of the harness: prints a fixed line and its argc. */
#include <stdio.h>

int main(int argc, char **argv)
{
	(void)argv;
	printf("hello argc=%d\n", argc);
	return 0;
}
