/* memfd_secret - memory hidden from the kernel's direct map.  Expected:
   EPERM. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

int main(void)
{
	long fd = syscall(SYS_memfd_secret, 0);

	printf("memfd_secret: %s\n", fd < 0 ? strerrorname_np(errno) : "ok");
	return 0;
}
