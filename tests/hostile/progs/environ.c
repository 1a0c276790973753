/* environ - prints our environment and the one of /proc/1 (which, if it
   is a forked supervisor, would be the host's).  Expected: exactly PATH,
   HOME, LANG and RUNPAD_OUT; never the test's secret. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

extern char **environ;

int main(void)
{
	char buf[65536];
	size_t n, i;
	FILE *f;

	for (char **e = environ; *e; e++)
		printf("env: %s\n", *e);
	f = fopen("/proc/1/environ", "r");
	if (!f) {
		printf("proc1: %s\n", strerrorname_np(errno));
		return 0;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (i = 0; i < n; i += strlen(buf + i) + 1)
		printf("proc1: %s\n", buf + i);
	return 0;
}
