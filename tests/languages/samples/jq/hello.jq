"Hello, World!\n"
