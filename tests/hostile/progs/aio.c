/* aio - Linux AIO takes from a host-wide pool: one io_setup() of 65536
   events takes all of fs.aio-max-nr, and every io_setup on the host then
   fails until the run ends.  Expected: every AIO call is ENOSYS. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/aio_abi.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

int main(void)
{
	aio_context_t ctx = 0;
	struct io_event ev;

	report("io_setup", syscall(SYS_io_setup, 65536, &ctx));
	report("io_submit", syscall(SYS_io_submit, ctx, 0, NULL));
	report("io_getevents", syscall(SYS_io_getevents, ctx, 0, 1, &ev, NULL));
	report("io_pgetevents",
	       syscall(SYS_io_pgetevents, ctx, 0, 1, &ev, NULL, NULL));
	report("io_cancel", syscall(SYS_io_cancel, ctx, NULL, &ev));
	report("io_destroy", syscall(SYS_io_destroy, ctx));
	return 0;
}
