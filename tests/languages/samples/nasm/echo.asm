; copy stdin to stdout with read(2)/write(2) system calls
        global  main

        section .bss
buf:    resb    4096

        section .text
main:
.loop:  mov     eax, 0          ; read(0, buf, 4096)
        mov     edi, 0
        lea     rsi, [rel buf]
        mov     edx, 4096
        syscall
        test    rax, rax
        jle     .done
        mov     rdx, rax        ; write(1, buf, n)
        mov     eax, 1
        mov     edi, 1
        lea     rsi, [rel buf]
        syscall
        jmp     .loop
.done:  xor     eax, eax
        ret

        section .note.GNU-stack noalloc noexec nowrite progbits
