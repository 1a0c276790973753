        global  main
        section .text
main:
        mov     rax, rbx, rcx
        notaninstruction rax
        ret
