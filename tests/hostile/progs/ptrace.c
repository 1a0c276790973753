/* ptrace - PTRACE_TRACEME, PTRACE_ATTACH to pid 1 and to our parent, and
   process_vm_readv of pid 1.  Expected: EPERM for each ptrace. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "report.h"

int main(void)
{
	report("PTRACE_TRACEME", ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	report("PTRACE_ATTACH 1", ptrace(PTRACE_ATTACH, 1, NULL, NULL));
	report("PTRACE_SEIZE 1", ptrace(PTRACE_SEIZE, 1, NULL, NULL));
	return 0;
}
