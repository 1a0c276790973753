/* int80 - a 32-bit (int 0x80) getpid from a 64-bit program: a syscall of
   a foreign architecture, which a filter written for x86_64 numbers would
   misread.  Expected: killed by SIGSYS before it returns. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	static const char msg[] = "int80: start\n";
	long ret;

	if (write(1, msg, sizeof(msg) - 1) < 0)
		return 2;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	printf("int80 getpid: returned %ld\n", ret);
	return 0;
}
