	.text
	.globl main
main:
	movq	%rax, %rbx, %rcx
	notaninstruction %rax
	ret
