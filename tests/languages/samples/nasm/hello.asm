        global  main
        extern  puts

        section .rodata
msg:    db      "Hello, World!", 0

        section .text
main:
        sub     rsp, 8
        lea     rdi, [rel msg]
        call    puts
        xor     eax, eax
        add     rsp, 8
        ret

        section .note.GNU-stack noalloc noexec nowrite progbits
