/* keyctl - the kernel keyring syscalls.  Expected: EPERM for each. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

int main(void)
{
	report("keyctl GET_KEYRING_ID",
	       syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
	               KEY_SPEC_SESSION_KEYRING, 0));
	report("keyctl JOIN_SESSION_KEYRING",
	       syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL));
	report("add_key", syscall(SYS_add_key, "user", "runpad", "x", 1,
	                          KEY_SPEC_SESSION_KEYRING));
	report("request_key", syscall(SYS_request_key, "user", "runpad", NULL,
	                              KEY_SPEC_SESSION_KEYRING));
	return 0;
}
