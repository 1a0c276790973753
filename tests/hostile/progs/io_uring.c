/* io_uring - io_uring_setup/enter/register.  Expected: ENOSYS for each. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

int main(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	report("io_uring_setup", syscall(SYS_io_uring_setup, 8, &p));
	report("io_uring_enter",
	       syscall(SYS_io_uring_enter, 0, 0, 0, 0, NULL, 0));
	report("io_uring_register",
	       syscall(SYS_io_uring_register, 0, 0, NULL, 0));
	return 0;
}
