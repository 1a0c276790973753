/* argv - prints argc and the total length of the arguments. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	unsigned long bytes = 0;

	for (int i = 1; i < argc; i++)
		bytes += strlen(argv[i]);
	printf("argc: %d bytes: %lu\n", argc, bytes);
	return 0;
}
