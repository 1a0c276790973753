/* memory_bomb - maps and touches 1 MiB chunks forever; expected:
   memory_limit.  A failing mmap is reported and exits 3 (not expected: the
   cgroup, not RLIMIT_AS, must stop it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	static const char msg[] = "memory_bomb: start\n";
	const size_t chunk = 1 << 20;

	if (write(1, msg, sizeof(msg) - 1) < 0)
		return 2;
	for (;;) {
		char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("mmap: %s\n", strerrorname_np(errno));
			return 3;
		}
		for (size_t i = 0; i < chunk; i += 4096)
			((volatile char *)p)[i] = (char)i | 1;
	}
}
