/* kernel_surface - system calls a sandboxed program has no business with,
   several of them favourite exploit primitives.  Each is called with
   harmless arguments; the report is the error of each.  Expected: every one
   fails (the test pins the exact errors). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "report.h"

int main(void)
{
	struct perf_event_attr pe;
	char buf[64];
	struct iovec local = {buf, sizeof(buf)}, remote = {buf, sizeof(buf)};
	struct {
		unsigned int handle_bytes;
		int handle_type;
		unsigned char f_handle[128];
	} fh;

	memset(&pe, 0, sizeof(pe));
	pe.type = PERF_TYPE_SOFTWARE;
	pe.size = sizeof(pe);
	pe.config = PERF_COUNT_SW_CPU_CLOCK;
	pe.exclude_kernel = 1;
	pe.exclude_hv = 1;
	report("perf_event_open",
	       syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));
	report("userfaultfd",
	       syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
	report("process_vm_readv self",
	       process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	report("setns", setns(0, CLONE_NEWNET));
	memset(&fh, 0, sizeof(fh));
	fh.handle_bytes = sizeof(fh.f_handle);
	report("open_by_handle_at",
	       syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY));
	report("init_module", syscall(SYS_init_module, buf, 0, ""));
	report("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
	report("reboot", syscall(SYS_reboot, 0, 0, 0, NULL));
	report("swapon", syscall(SYS_swapon, "/box/swap", 0));
	report("acct", syscall(SYS_acct, NULL));
	report("syslog", syscall(SYS_syslog, 3, buf, (int)sizeof(buf)));
	report("iopl", syscall(SYS_iopl, 3));
	report("ioperm", syscall(SYS_ioperm, 0x80, 1, 1));
	report("kcmp", syscall(SYS_kcmp, getpid(), getpid(), 0, 0, 0));
	report("mknod /box/dev",
	       syscall(SYS_mknod, "/box/dev", 020666, 0x0103));
	report("settimeofday", syscall(SYS_settimeofday, NULL, NULL));
	return 0;
}
