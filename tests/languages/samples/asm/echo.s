# copy stdin to stdout with read(2)/write(2) system calls
	.bss
buf:	.skip 4096

	.text
	.globl main
main:
1:	movl	$0, %eax		# read(0, buf, 4096)
	movl	$0, %edi
	leaq	buf(%rip), %rsi
	movl	$4096, %edx
	syscall
	testq	%rax, %rax
	jle	2f
	movq	%rax, %rdx		# write(1, buf, n)
	movl	$1, %eax
	movl	$1, %edi
	leaq	buf(%rip), %rsi
	syscall
	jmp	1b
2:	xorl	%eax, %eax
	ret
	.section .note.GNU-stack,"",@progbits
