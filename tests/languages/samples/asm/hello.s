	.section .rodata
msg:	.string "Hello, World!"

	.text
	.globl main
main:
	subq	$8, %rsp
	leaq	msg(%rip), %rdi
	call	puts
	xorl	%eax, %eax
	addq	$8, %rsp
	ret
	.section .note.GNU-stack,"",@progbits
