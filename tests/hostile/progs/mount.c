/* mount - mount, umount, remount, chroot, pivot_root and the new mount
   API.  Expected: EPERM for each. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

int main(void)
{
	report("mount tmpfs /box", mount("none", "/box", "tmpfs", 0, NULL));
	report("mount proc /tmp", mount("proc", "/tmp", "proc", 0, NULL));
	report("remount /usr rw",
	       mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL));
	report("umount /usr", umount2("/usr", MNT_DETACH));
	report("chroot /box", chroot("/box"));
	report("pivot_root", syscall(SYS_pivot_root, "/box", "/box"));
	report("fsopen tmpfs", syscall(SYS_fsopen, "tmpfs", 0));
	report("open_tree /usr", syscall(SYS_open_tree, -100, "/usr", 1));
	return 0;
}
