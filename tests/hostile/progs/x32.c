/* x32 - an x32-ABI getpid (nr | 0x40000000).  Expected: killed by SIGSYS
   (seccomp sees the x32 bit before the kernel's dispatch). */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	static const char msg[] = "x32: start\n";
	long ret;

	if (write(1, msg, sizeof(msg) - 1) < 0)
		return 2;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(0x40000000L | 39L)
	                 : "rcx", "r11", "memory");
	printf("x32 getpid: returned %ld\n", ret);
	return 0;
}
