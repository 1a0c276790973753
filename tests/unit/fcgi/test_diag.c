/*
 * Unit tests: fcgi/diag.
 *
 * The fixtures are real output of the compilers and interpreters on
 * Debian 12 (gcc 12.2, clang 14, rustc 1.95 and 1.63, go 1.19, javac 17,
 * python 3.11, node 20), captured from small broken programs in /tmp.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "utf8.h"

static struct diag_list parse(const char *s)
{
	struct diag_list l;

	cr_assert_eq(diag_parse(s, strlen(s), &l), 0);
	return l;
}

static void expect(const struct diag_list *l, size_t i, const char *file,
                   unsigned line, unsigned column, enum diag_severity sev,
                   const char *message)
{
	const struct diag *d;

	cr_assert_lt(i, l->n, "diag %zu of %zu", i, l->n);
	d = &l->v[i];
	cr_assert_str_eq(d->file, file, "diag %zu", i);
	cr_assert_eq(d->line, line, "diag %zu: line %u", i, d->line);
	cr_assert_eq(d->column, column, "diag %zu: column %u", i, d->column);
	cr_assert_eq(d->severity, sev, "diag %zu: %s", i,
	             diag_severity_name(d->severity));
	cr_assert_str_eq(d->message, message, "diag %zu", i);
}

/* ------------------------------------------------------ gcc, g++, clang */

Test(diag, gcc_errors_warnings_notes)
{
	/* LC_ALL=C gcc -Wall main.c */
	struct diag_list l =
	        parse("main.c: In function 'main':\n"
	              "main.c:5:24: error: 'x' undeclared (first use in this "
	              "function)\n"
	              "    5 |         printf(\"%d\\n\", x)\n"
	              "      |                        ^\n"
	              "main.c:5:24: note: each undeclared identifier is "
	              "reported only once for each function it appears in\n"
	              "main.c:5:26: error: expected ';' before 'return'\n"
	              "    5 |         printf(\"%d\\n\", x)\n"
	              "      |                          ^\n"
	              "      |                          ;\n"
	              "    6 |         return 0;\n"
	              "      |         ~~~~~~            \n"
	              "main.c:4:13: warning: unused variable 'y' "
	              "[-Wunused-variable]\n"
	              "    4 |         int y;\n"
	              "      |             ^\n");

	cr_assert_eq(l.n, 4);
	expect(&l, 0, "main.c", 5, 24, DIAG_ERROR,
	       "'x' undeclared (first use in this function)");
	expect(&l, 1, "main.c", 5, 24, DIAG_NOTE,
	       "each undeclared identifier is reported only once for each "
	       "function it appears in");
	expect(&l, 2, "main.c", 5, 26, DIAG_ERROR,
	       "expected ';' before 'return'");
	expect(&l, 3, "main.c", 4, 13, DIAG_WARNING,
	       "unused variable 'y' [-Wunused-variable]");
	diag_list_fini(&l);
}

Test(diag, gcc_utf8_quotes_kept)
{
	/* gcc -Wall main.c under LANG=C.UTF-8 */
	struct diag_list l =
	        parse("main.c: In function \342\200\230main\342\200\231:\n"
	              "main.c:5:24: error: \342\200\230x\342\200\231 "
	              "undeclared (first use in this function)\n"
	              "    5 |         printf(\"%d\\n\", x)\n"
	              "      |                        ^\n"
	              "main.c:5:24: note: each undeclared identifier is "
	              "reported only once for each function it appears in\n"
	              "main.c:5:26: error: expected \342\200\230;\342\200\231 "
	              "before \342\200\230return\342\200\231\n"
	              "    5 |         printf(\"%d\\n\", x)\n"
	              "      |                          ^\n"
	              "      |                          ;\n"
	              "    6 |         return 0;\n"
	              "      |         ~~~~~~            \n"
	              "main.c:4:13: warning: unused variable "
	              "\342\200\230y\342\200\231 [-Wunused-variable]\n"
	              "    4 |         int y;\n"
	              "      |             ^\n");

	cr_assert_eq(l.n, 4);
	expect(&l, 2, "main.c", 5, 26, DIAG_ERROR,
	       "expected \342\200\230;\342\200\231 before "
	       "\342\200\230return\342\200\231");
	diag_list_fini(&l);
}

Test(diag, gcc_and_clang_fatal_error_is_error)
{
	struct diag_list l = parse(
	        "fe.c:1:10: fatal error: nope.h: No such file or directory\n"
	        "    1 | #include \"nope.h\"\n"
	        "      |          ^~~~~~~~\n"
	        "compilation terminated.\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "fe.c", 1, 10, DIAG_ERROR,
	       "nope.h: No such file or directory");
	diag_list_fini(&l);
	l = parse("fe.c:1:10: fatal error: 'nope.h' file not found\n"
	          "#include \"nope.h\"\n"
	          "         ^~~~~~~~\n"
	          "1 error generated.\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "fe.c", 1, 10, DIAG_ERROR, "'nope.h' file not found");
	diag_list_fini(&l);
}

Test(diag, clang_columns_and_summary_skipped)
{
	/* clang -Wall main.c: byte columns, "2 errors generated." */
	struct diag_list l =
	        parse("main.c:5:19: error: expected ';' after expression\n"
	              "        printf(\"%d\\n\", x)\n"
	              "                         ^\n"
	              "                         ;\n"
	              "main.c:5:17: error: use of undeclared identifier 'x'\n"
	              "        printf(\"%d\\n\", x)\n"
	              "                       ^\n"
	              "2 errors generated.\n");

	cr_assert_eq(l.n, 2);
	expect(&l, 0, "main.c", 5, 19, DIAG_ERROR,
	       "expected ';' after expression");
	expect(&l, 1, "main.c", 5, 17, DIAG_ERROR,
	       "use of undeclared identifier 'x'");
	diag_list_fini(&l);
}

Test(diag, gxx_notes_in_system_headers)
{
	/* LC_ALL=C g++ -Wall main.cpp: "In file included from" skipped */
	struct diag_list l = parse(
	        "main.cpp: In function 'int main()':\n"
	        "main.cpp:7:20: error: no matching function for call to "
	        "'push_back(const char [2])'\n"
	        "    7 |         v.push_back(\"x\");\n"
	        "      |         ~~~~~~~~~~~^~~~~\n"
	        "In file included from /usr/include/c++/12/vector:64,\n"
	        "                 from main.cpp:1:\n"
	        "/usr/include/c++/12/bits/stl_vector.h:1276:7: note: "
	        "candidate: 'void std::vector<_Tp, _Alloc>::push_back(const "
	        "value_type&) [with _Tp = int; _Alloc = std::allocator<int>; "
	        "value_type = int]' (near match)\n"
	        " 1276 |       push_back(const value_type& __x)\n"
	        "      |       ^~~~~~~~~\n"
	        "/usr/include/c++/12/bits/stl_vector.h:1276:7: note:   "
	        "conversion of argument 1 would be ill-formed:\n"
	        "main.cpp:7:21: error: invalid conversion from 'const char*' "
	        "to 'std::vector<int>::value_type' {aka 'int'} [-fpermissive]\n"
	        "    7 |         v.push_back(\"x\");\n"
	        "      |                     ^~~\n"
	        "      |                     |\n"
	        "      |                     const char*\n"
	        "/usr/include/c++/12/bits/stl_vector.h:1293:7: note: "
	        "candidate: 'void std::vector<_Tp, "
	        "_Alloc>::push_back(value_type&&) [with _Tp = int; _Alloc = "
	        "std::allocator<int>; value_type = int]' (near match)\n"
	        " 1293 |       push_back(value_type&& __x)\n"
	        "      |       ^~~~~~~~~\n"
	        "/usr/include/c++/12/bits/stl_vector.h:1293:7: note:   "
	        "conversion of argument 1 would be ill-formed:\n"
	        "main.cpp:7:21: error: invalid conversion from 'const char*' "
	        "to 'std::vector<int>::value_type' {aka 'int'} [-fpermissive]\n"
	        "    7 |         v.push_back(\"x\");\n"
	        "      |                     ^~~\n"
	        "      |                     |\n"
	        "      |                     const char*\n"
	        "main.cpp:8:28: error: conversion from 'int' to non-scalar "
	        "type 'std::string' {aka 'std::__cxx11::basic_string<char>'} "
	        "requested\n"
	        "    8 |         std::string s = add(1, 2);\n"
	        "      |                         ~~~^~~~~~\n"
	        "main.cpp:9:16: error: 'z' was not declared in this scope\n"
	        "    9 |         return z;\n"
	        "      |                ^\n");

	cr_assert_eq(l.n, 9);
	expect(&l, 0, "main.cpp", 7, 20, DIAG_ERROR,
	       "no matching function for call to 'push_back(const char [2])'");
	expect(&l, 2, "/usr/include/c++/12/bits/stl_vector.h", 1276, 7,
	       DIAG_NOTE, "conversion of argument 1 would be ill-formed:");
	expect(&l, 8, "main.cpp", 9, 16, DIAG_ERROR,
	       "'z' was not declared in this scope");
	diag_list_fini(&l);
}

Test(diag, gcc_werror_and_driver_lines)
{
	/* gcc -Wall -Werror: "cc1: all warnings being treated as errors" is
	 * not a diagnostic; `gcc nosuch.c` is, without a file */
	struct diag_list l =
	        parse("we.c: In function 'main':\n"
	              "we.c:1:22: error: unused variable 'y' "
	              "[-Werror=unused-variable]\n"
	              "    1 | int main(void) { int y; return 0; }\n"
	              "      |                      ^\n"
	              "cc1: all warnings being treated as errors\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "we.c", 1, 22, DIAG_ERROR,
	       "unused variable 'y' [-Werror=unused-variable]");
	diag_list_fini(&l);
	l = parse("cc1: fatal error: nosuch.c: No such file or directory\n"
	          "compilation terminated.\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "", 0, 0, DIAG_ERROR,
	       "nosuch.c: No such file or directory");
	diag_list_fini(&l);
}

Test(diag, gcc_colour_sequences_removed)
{
	/* gcc -fdiagnostics-color=always */
	struct diag_list l = parse(
	        "\033[01m\033[Kb.c:\033[m\033[K In function "
	        "'\033[01m\033[Kmain\033[m\033[K':\n"
	        "\033[01m\033[Kb.c:4:9:\033[m\033[K \033[01;31m\033[Kerror: "
	        "\033[m\033[Kexpected '\033[01m\033[K,\033[m\033[K' or "
	        "'\033[01m\033[K;\033[m\033[K' before "
	        "'\033[01m\033[Kreturn\033[m\033[K'\n"
	        "    4 |         \033[01;31m\033[Kreturn\033[m\033[K a;\n"
	        "      |         \033[01;31m\033[K^~~~~~\033[m\033[K\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "b.c", 4, 9, DIAG_ERROR,
	       "expected ',' or ';' before 'return'");
	diag_list_fini(&l);
}

/* ---------------------------------------------------------------- ld */

Test(diag, ld_undefined_reference)
{
	/* gcc, then clang; the collect2 and clang summaries are skipped */
	struct diag_list l =
	        parse("/usr/bin/ld: /tmp/ccGOrTeG.o: in function `main':\n"
	              "lk.c:(.text+0x5): undefined reference to `foo'\n"
	              "collect2: error: ld returned 1 exit status\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "", 0, 0, DIAG_ERROR, "undefined reference to `foo'");
	diag_list_fini(&l);
	l = parse("/usr/bin/ld: /tmp/lk-4554b3.o: in function `main':\n"
	          "lk.c:(.text+0x10): undefined reference to `foo'\n"
	          "clang: error: linker command failed with exit code 1 (use "
	          "-v to see invocation)\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "", 0, 0, DIAG_ERROR, "undefined reference to `foo'");
	diag_list_fini(&l);
}

Test(diag, ld_one_line_form_and_missing_library)
{
	struct diag_list l =
	        parse("/usr/bin/ld: cannot find -lnosuchlib: No such file or "
	              "directory\n"
	              "collect2: error: ld returned 1 exit status\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "", 0, 0, DIAG_ERROR,
	       "cannot find -lnosuchlib: No such file or directory");
	diag_list_fini(&l);
	/* binutils 2.40 prints the context and the reference on one line */
	l = parse("/usr/bin/ld: main.o: in function `main': "
	          "main.c:(.text+0x5): undefined reference to `foo'\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "", 0, 0, DIAG_ERROR, "undefined reference to `foo'");
	diag_list_fini(&l);
}

/* ------------------------------------------------------------- rustc */

Test(diag, rustc_errors_with_codes)
{
	/* rustc 1.95 main.rs */
	struct diag_list l =
	        parse("error[E0425]: cannot find value `x` in this scope\n"
	              " --> main.rs:3:20\n"
	              "  |\n"
	              "3 |     println!(\"{}\", x);\n"
	              "  |                    ^\n"
	              "  |\n"
	              "help: a local variable with a similar name exists\n"
	              "  |\n"
	              "3 -     println!(\"{}\", x);\n"
	              "3 +     println!(\"{}\", y);\n"
	              "  |\n"
	              "\n"
	              "error[E0308]: mismatched types\n"
	              " --> main.rs:4:18\n"
	              "  |\n"
	              "4 |     let s: i32 = \"a\";\n"
	              "  |            ---   ^^^ expected `i32`, found `&str`\n"
	              "  |            |\n"
	              "  |            expected due to this\n"
	              "\n"
	              "error: aborting due to 2 previous errors\n"
	              "\n"
	              "Some errors have detailed explanations: E0308, E0425.\n"
	              "For more information about an error, try `rustc "
	              "--explain E0308`.\n");

	cr_assert_eq(l.n, 2);
	expect(&l, 0, "main.rs", 3, 20, DIAG_ERROR,
	       "E0425: cannot find value `x` in this scope");
	expect(&l, 1, "main.rs", 4, 18, DIAG_ERROR, "E0308: mismatched types");
	diag_list_fini(&l);
	/* Debian's rustc 1.63 prints the same shape */
	l = parse("error[E0425]: cannot find value `x` in this scope\n"
	          " --> main.rs:3:20\n"
	          "  |\n"
	          "3 |     println!(\"{}\", x);\n"
	          "  |                    ^ help: a local variable with a "
	          "similar name exists: `y`\n"
	          "\n"
	          "error[E0308]: mismatched types\n"
	          " --> main.rs:4:18\n"
	          "  |\n"
	          "4 |     let s: i32 = \"a\";\n"
	          "  |            ---   ^^^ expected `i32`, found `&str`\n"
	          "  |            |\n"
	          "  |            expected due to this\n"
	          "\n"
	          "error: aborting due to 2 previous errors\n"
	          "\n"
	          "Some errors have detailed explanations: E0308, E0425.\n"
	          "For more information about an error, try `rustc --explain "
	          "E0308`.\n");
	cr_assert_eq(l.n, 2);
	expect(&l, 0, "main.rs", 3, 20, DIAG_ERROR,
	       "E0425: cannot find value `x` in this scope");
	diag_list_fini(&l);
}

Test(diag, rustc_warnings)
{
	struct diag_list l =
	        parse("warning: variable does not need to be mutable\n"
	              " --> w.rs:3:6\n"
	              "  |\n"
	              "3 |     let mut z = 3;\n"
	              "  |         ----^\n"
	              "  |         |\n"
	              "  |         help: remove this `mut`\n"
	              "  |\n"
	              "  = note: `#[warn(unused_mut)]` (part of "
	              "`#[warn(unused)]`) on by default\n"
	              "\n"
	              "warning: unused variable: `y`\n"
	              " --> w.rs:2:6\n"
	              "  |\n"
	              "2 |     let y = 5;\n"
	              "  |         ^ help: if this is intentional, prefix it "
	              "with an underscore: `_y`\n"
	              "  |\n"
	              "  = note: `#[warn(unused_variables)]` (part of "
	              "`#[warn(unused)]`) on by default\n"
	              "\n"
	              "warning: 2 warnings emitted\n"
	              "\n");

	cr_assert_eq(l.n, 2);
	expect(&l, 0, "w.rs", 3, 6, DIAG_WARNING,
	       "variable does not need to be mutable");
	expect(&l, 1, "w.rs", 2, 6, DIAG_WARNING, "unused variable: `y`");
	diag_list_fini(&l);
}

Test(diag, rustc_without_location_and_wide_arrow)
{
	struct diag_list l = parse("error: expected item, found `}`\n"
	                           "error[E0601]: `main` function not found\n"
	                           "   --> big.rs:120:1\n"
	                           "    |\n"
	                           "120 | }\n"
	                           "    |  ^ consider adding a `main`\n");

	cr_assert_eq(l.n, 2);
	expect(&l, 0, "", 0, 0, DIAG_ERROR, "expected item, found `}`");
	expect(&l, 1, "big.rs", 120, 1, DIAG_ERROR,
	       "E0601: `main` function not found");
	diag_list_fini(&l);
}

Test(diag, rust_panics)
{
	struct diag_list l =
	        parse("\n"
	              "thread 'main' (30704) panicked at p.rs:4:21:\n"
	              "index out of bounds: the len is 1 but the index is 3\n"
	              "note: run with `RUST_BACKTRACE=1` environment variable "
	              "to display a backtrace\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "p.rs", 4, 21, DIAG_ERROR,
	       "index out of bounds: the len is 1 but the index is 3");
	diag_list_fini(&l);
	/* RUST_BACKTRACE=1 */
	l = parse(
	        "\n"
	        "thread 'main' (30684) panicked at p.rs:4:21:\n"
	        "index out of bounds: the len is 1 but the index is 3\n"
	        "stack backtrace:\n"
	        "   0: __rustc::rust_begin_unwind\n"
	        "             at "
	        "/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/"
	        "src/panicking.rs:689:5\n"
	        "   1: core::panicking::panic_fmt\n"
	        "             at "
	        "/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/"
	        "src/panicking.rs:80:14\n"
	        "   2: core::panicking::panic_bounds_check\n"
	        "             at "
	        "/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/"
	        "src/panicking.rs:271:5\n"
	        "   3: <usize as core::slice::index::SliceIndex<[T]>>::index\n"
	        "   4: <alloc::vec::Vec<T,A> as "
	        "core::ops::index::Index<I>>::index\n"
	        "   5: p::main\n"
	        "   6: core::ops::function::FnOnce::call_once\n"
	        "note: Some details are omitted, run with "
	        "`RUST_BACKTRACE=full` for a verbose backtrace.\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "p.rs", 4, 21, DIAG_ERROR,
	       "index out of bounds: the len is 1 but the index is 3");
	diag_list_fini(&l);
	/* rustc 1.63 */
	l = parse("thread 'main' panicked at 'index out of bounds: the len is "
	          "1 but the index is 3', p.rs:4:20\n"
	          "note: run with `RUST_BACKTRACE=1` environment variable to "
	          "display a backtrace\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "p.rs", 4, 20, DIAG_ERROR,
	       "index out of bounds: the len is 1 but the index is 3");
	diag_list_fini(&l);
}

/* ---------------------------------------------------------------- go */

Test(diag, go_build_errors)
{
	/* go build main.go; go run prints the same */
	struct diag_list l =
	        parse("# command-line-arguments\n"
	              "./main.go:6:2: y declared but not used\n"
	              "./main.go:7:14: undefined: x\n"
	              "./main.go:8:14: cannot use \"a\" (untyped string "
	              "constant) as int value in variable declaration\n");

	cr_assert_eq(l.n, 3);
	expect(&l, 0, "main.go", 6, 2, DIAG_ERROR, "y declared but not used");
	expect(&l, 1, "main.go", 7, 14, DIAG_ERROR, "undefined: x");
	expect(&l, 2, "main.go", 8, 14, DIAG_ERROR,
	       "cannot use \"a\" (untyped string constant) as int value in "
	       "variable declaration");
	diag_list_fini(&l);
	l = parse("# command-line-arguments\n"
	          "./s.go:5:1: syntax error: unexpected }, expecting "
	          "expression\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "s.go", 5, 1, DIAG_ERROR,
	       "syntax error: unexpected }, expecting expression");
	diag_list_fini(&l);
}

Test(diag, go_vet)
{
	struct diag_list l = parse("# command-line-arguments\n"
	                           "./v.go:6:2: fmt.Printf format %d has arg "
	                           "\"s\" of wrong type string\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "v.go", 6, 2, DIAG_ERROR,
	       "fmt.Printf format %d has arg \"s\" of wrong type string");
	diag_list_fini(&l);
	l = parse("vet: ./main.go:7:14: undefined: x\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "main.go", 7, 14, DIAG_ERROR, "undefined: x");
	diag_list_fini(&l);
}

Test(diag, go_panic_and_deadlock)
{
	struct diag_list l = parse(
	        "panic: runtime error: index out of range [5] with length 0\n"
	        "\n"
	        "goroutine 1 [running]:\n"
	        "main.main()\n"
	        "\t/tmp/dg/g/p.go:5 +0x1a\n"
	        "exit status 2\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/g/p.go", 5, 0, DIAG_ERROR,
	       "panic: runtime error: index out of range [5] with length 0");
	diag_list_fini(&l);
	l = parse("fatal error: all goroutines are asleep - deadlock!\n"
	          "\n"
	          "goroutine 1 [chan send]:\n"
	          "main.main()\n"
	          "\t/tmp/dg/g/d.go:5 +0x31\n"
	          "exit status 2\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/g/d.go", 5, 0, DIAG_ERROR,
	       "fatal error: all goroutines are asleep - deadlock!");
	diag_list_fini(&l);
}

/* -------------------------------------------------------------- java */

Test(diag, javac_caret_column_with_tabs)
{
	/* the source is indented with tabs; a tab counts as one column */
	struct diag_list l = parse("Main.java:5: error: ';' expected\n"
	                           "\t\tSystem.out.println(y)\n"
	                           "\t\t                     ^\n"
	                           "1 error\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "Main.java", 5, 24, DIAG_ERROR, "';' expected");
	diag_list_fini(&l);
}

Test(diag, javac_symbol_appended)
{
	struct diag_list l = parse("Main.java:3: error: cannot find symbol\n"
	                           "\t\tint y = x + 1;\n"
	                           "\t\t        ^\n"
	                           "  symbol:   variable x\n"
	                           "  location: class Main\n"
	                           "Main.java:4: error: incompatible types: "
	                           "int cannot be converted to String\n"
	                           "        String s = 5;\n"
	                           "                   ^\n"
	                           "Main.java:5: error: cannot find symbol\n"
	                           "\t\tfoo(y);\n"
	                           "\t\t^\n"
	                           "  symbol:   method foo(int)\n"
	                           "  location: class Main\n"
	                           "3 errors\n");

	cr_assert_eq(l.n, 3);
	expect(&l, 0, "Main.java", 3, 11, DIAG_ERROR,
	       "cannot find symbol (symbol: variable x)");
	expect(&l, 1, "Main.java", 4, 20, DIAG_ERROR,
	       "incompatible types: int cannot be converted to String");
	expect(&l, 2, "Main.java", 5, 3, DIAG_ERROR,
	       "cannot find symbol (symbol: method foo(int))");
	diag_list_fini(&l);
}

Test(diag, javac_warnings_and_notes)
{
	/* javac -Xlint:all; without it only "Note:" lines, which are not
	 * diagnostics */
	struct diag_list l = parse(
	        "W.java:5: warning: [rawtypes] found raw type: List\n"
	        "\t\tList l = new ArrayList();\n"
	        "\t\t^\n"
	        "  missing type arguments for generic class List<E>\n"
	        "  where E is a type-variable:\n"
	        "    E extends Object declared in interface List\n"
	        "W.java:5: warning: [rawtypes] found raw type: ArrayList\n"
	        "\t\tList l = new ArrayList();\n"
	        "\t\t             ^\n"
	        "  missing type arguments for generic class ArrayList<E>\n"
	        "  where E is a type-variable:\n"
	        "    E extends Object declared in class ArrayList\n"
	        "W.java:6: warning: [unchecked] unchecked call to add(E) as a "
	        "member of the raw type List\n"
	        "\t\tl.add(\"x\");\n"
	        "\t\t     ^\n"
	        "  where E is a type-variable:\n"
	        "    E extends Object declared in interface List\n"
	        "W.java:7: warning: [cast] redundant cast to String\n"
	        "\t\tObject o = (String) \"x\";\n"
	        "\t\t           ^\n"
	        "4 warnings\n");

	cr_assert_eq(l.n, 4);
	expect(&l, 0, "W.java", 5, 3, DIAG_WARNING,
	       "[rawtypes] found raw type: List");
	expect(&l, 1, "W.java", 5, 16, DIAG_WARNING,
	       "[rawtypes] found raw type: ArrayList");
	expect(&l, 3, "W.java", 7, 14, DIAG_WARNING,
	       "[cast] redundant cast to String");
	diag_list_fini(&l);
	l = parse("Note: W.java uses unchecked or unsafe operations.\n"
	          "Note: Recompile with -Xlint:unchecked for details.\n");
	cr_assert_eq(l.n, 0);
	diag_list_fini(&l);
}

Test(diag, java_uncaught_exception)
{
	struct diag_list l = parse("Exception in thread \"main\" "
	                           "java.lang.ArrayIndexOutOfBoundsException: "
	                           "Index 3 out of bounds for length 1\n"
	                           "\tat Main.f(Main.java:3)\n"
	                           "\tat Main.main(Main.java:6)\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "Main.java", 3, 0, DIAG_ERROR,
	       "java.lang.ArrayIndexOutOfBoundsException: Index 3 out of "
	       "bounds for length 1");
	diag_list_fini(&l);
	/* the frames in java.base/ are skipped */
	l = parse(
	        "Exception in thread \"main\" java.lang.NumberFormatException: "
	        "For input string: \"zz\"\n"
	        "\tat "
	        "java.base/"
	        "java.lang.NumberFormatException.forInputString("
	        "NumberFormatException.java:67)\n"
	        "\tat java.base/java.lang.Integer.parseInt(Integer.java:668)\n"
	        "\tat java.base/java.lang.Integer.parseInt(Integer.java:786)\n"
	        "\tat Main.main(Main.java:3)\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "Main.java", 3, 0, DIAG_ERROR,
	       "java.lang.NumberFormatException: For input string: \"zz\"");
	diag_list_fini(&l);
}

/* ------------------------------------------------------------ python */

Test(diag, python_name_error_at_last_frame)
{
	struct diag_list l =
	        parse("Traceback (most recent call last):\n"
	              "  File \"/tmp/dg/py/main.py\", line 4, in <module>\n"
	              "    print(f())\n"
	              "          ^^^\n"
	              "  File \"/tmp/dg/py/main.py\", line 2, in f\n"
	              "    return x\n"
	              "           ^\n"
	              "NameError: name 'x' is not defined\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/py/main.py", 2, 0, DIAG_ERROR,
	       "NameError: name 'x' is not defined");
	diag_list_fini(&l);
}

Test(diag, python_library_frames_skipped)
{
	/* pyenv's lib/python3.11 and Debian's /usr/lib/python3.11 */
	struct diag_list l =
	        parse("Traceback (most recent call last):\n"
	              "  File \"/tmp/dg/py/m2.py\", line 2, in <module>\n"
	              "    json.loads(\"{\")\n"
	              "  File "
	              "\"/root/.pyenv/versions/3.11.7/lib/python3.11/json/"
	              "__init__.py\", line 346, in loads\n"
	              "    return _default_decoder.decode(s)\n"
	              "           ^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
	              "  File "
	              "\"/root/.pyenv/versions/3.11.7/lib/python3.11/json/"
	              "decoder.py\", line 337, in decode\n"
	              "    obj, end = self.raw_decode(s, idx=_w(s, 0).end())\n"
	              "               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
	              "  File "
	              "\"/root/.pyenv/versions/3.11.7/lib/python3.11/json/"
	              "decoder.py\", line 353, in raw_decode\n"
	              "    obj, end = self.scan_once(s, idx)\n"
	              "               ^^^^^^^^^^^^^^^^^^^^^^\n"
	              "json.decoder.JSONDecodeError: Expecting property name "
	              "enclosed in double quotes: line 1 column 2 (char 1)\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/py/m2.py", 2, 0, DIAG_ERROR,
	       "json.decoder.JSONDecodeError: Expecting property name "
	       "enclosed in double quotes: line 1 column 2 (char 1)");
	diag_list_fini(&l);
	l = parse("Traceback (most recent call last):\n"
	          "  File \"/tmp/dg/py/m2.py\", line 2, in <module>\n"
	          "    json.loads(\"{\")\n"
	          "  File \"/usr/lib/python3.11/json/__init__.py\", line 346, "
	          "in loads\n"
	          "    return _default_decoder.decode(s)\n"
	          "           ^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
	          "  File \"/usr/lib/python3.11/json/decoder.py\", line 337, "
	          "in decode\n"
	          "    obj, end = self.raw_decode(s, idx=_w(s, 0).end())\n"
	          "               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
	          "  File \"/usr/lib/python3.11/json/decoder.py\", line 353, "
	          "in raw_decode\n"
	          "    obj, end = self.scan_once(s, idx)\n"
	          "               ^^^^^^^^^^^^^^^^^^^^^^\n"
	          "json.decoder.JSONDecodeError: Expecting property name "
	          "enclosed in double quotes: line 1 column 2 (char 1)\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/py/m2.py", 2, 0, DIAG_ERROR,
	       "json.decoder.JSONDecodeError: Expecting property name "
	       "enclosed in double quotes: line 1 column 2 (char 1)");
	diag_list_fini(&l);
}

Test(diag, python_no_user_frame)
{
	/* python3 -m calendar 2024 13: only <frozen runpy> and /usr/lib */
	struct diag_list l = parse(
	        "Traceback (most recent call last):\n"
	        "  File \"<frozen runpy>\", line 198, in _run_module_as_main\n"
	        "  File \"<frozen runpy>\", line 88, in _run_code\n"
	        "  File \"/usr/lib/python3.11/calendar.py\", line 768, in "
	        "<module>\n"
	        "    main(sys.argv)\n"
	        "  File \"/usr/lib/python3.11/calendar.py\", line 759, in "
	        "main\n"
	        "    result = cal.formatmonth(options.year, options.month, "
	        "**optdict)\n"
	        "             "
	        "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
	        "  File \"/usr/lib/python3.11/calendar.py\", line 360, in "
	        "formatmonth\n"
	        "    s = self.formatmonthname(theyear, themonth, 7 * (w + 1) - "
	        "1)\n"
	        "        "
	        "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
	        "  File \"/usr/lib/python3.11/calendar.py\", line 343, in "
	        "formatmonthname\n"
	        "    s = month_name[themonth]\n"
	        "        ~~~~~~~~~~^^^^^^^^^^\n"
	        "  File \"/usr/lib/python3.11/calendar.py\", line 61, in "
	        "__getitem__\n"
	        "    funcs = self._months[i]\n"
	        "            ~~~~~~~~~~~~^^^\n"
	        "IndexError: list index out of range\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "", 0, 0, DIAG_ERROR,
	       "IndexError: list index out of range");
	diag_list_fini(&l);
}

Test(diag, python_syntax_error_column)
{
	struct diag_list l = parse("  File \"/tmp/dg/py/m7.py\", line 1\n"
	                           "    print(1 +* 2)\n"
	                           "             ^\n"
	                           "SyntaxError: invalid syntax\n");

	cr_assert_eq(l.n, 1);
	/* "print(1 +* 2)": the * is column 10 */
	expect(&l, 0, "/tmp/dg/py/m7.py", 1, 10, DIAG_ERROR,
	       "SyntaxError: invalid syntax");
	diag_list_fini(&l);
	l = parse("  File \"/tmp/dg/py/m3.py\", line 1\n"
	          "    x = (1,\n"
	          "        ^\n"
	          "SyntaxError: '(' was never closed\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/py/m3.py", 1, 5, DIAG_ERROR,
	       "SyntaxError: '(' was never closed");
	diag_list_fini(&l);
}

Test(diag, python_syntax_error_column_counts_from_indentation)
{
	/* "    x = 1 +* 2" in the file: python prints the line without its
	 * indentation, so the column is 8 where the * is at 12 */
	struct diag_list l = parse("  File \"/tmp/dg/py/m8.py\", line 2\n"
	                           "    x = 1 +* 2\n"
	                           "           ^\n"
	                           "SyntaxError: invalid syntax\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/py/m8.py", 2, 8, DIAG_ERROR,
	       "SyntaxError: invalid syntax");
	diag_list_fini(&l);
}

Test(diag, python_indentation_error)
{
	struct diag_list l = parse("  File \"/tmp/dg/py/m4.py\", line 2\n"
	                           "    print(1)\n"
	                           "    ^\n"
	                           "IndentationError: expected an indented "
	                           "block after 'if' statement on line 1\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/py/m4.py", 2, 1, DIAG_ERROR,
	       "IndentationError: expected an indented block after 'if' "
	       "statement on line 1");
	diag_list_fini(&l);
}

Test(diag, python_exception_without_message)
{
	struct diag_list l =
	        parse("Traceback (most recent call last):\n"
	              "  File \"/tmp/dg/py/m6.py\", line 1, in <module>\n"
	              "    raise KeyboardInterrupt\n"
	              "KeyboardInterrupt\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/py/m6.py", 1, 0, DIAG_ERROR,
	       "KeyboardInterrupt");
	diag_list_fini(&l);
}

Test(diag, python_chained_exceptions)
{
	struct diag_list l =
	        parse("Traceback (most recent call last):\n"
	              "  File \"/tmp/dg/py/ch.py\", line 3, in <module>\n"
	              "    d[\"a\"]\n"
	              "    ~^^^^^\n"
	              "KeyError: 'a'\n"
	              "\n"
	              "During handling of the above exception, another "
	              "exception occurred:\n"
	              "\n"
	              "Traceback (most recent call last):\n"
	              "  File \"/tmp/dg/py/ch.py\", line 5, in <module>\n"
	              "    raise ValueError(\"bad\")\n"
	              "ValueError: bad\n");

	cr_assert_eq(l.n, 2);
	expect(&l, 0, "/tmp/dg/py/ch.py", 3, 0, DIAG_ERROR, "KeyError: 'a'");
	expect(&l, 1, "/tmp/dg/py/ch.py", 5, 0, DIAG_ERROR, "ValueError: bad");
	diag_list_fini(&l);
}

Test(diag, python_syntax_error_in_imported_module)
{
	struct diag_list l =
	        parse("Traceback (most recent call last):\n"
	              "  File \"/tmp/dg/py/imp.py\", line 1, in <module>\n"
	              "    import foo\n"
	              "  File \"/tmp/dg/py/foo.py\", line 1\n"
	              "    x = (\n"
	              "        ^\n"
	              "SyntaxError: '(' was never closed\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/py/foo.py", 1, 5, DIAG_ERROR,
	       "SyntaxError: '(' was never closed");
	diag_list_fini(&l);
}

Test(diag, python_warning)
{
	struct diag_list l = parse("/tmp/dg/py/w.py:4: UserWarning: careful\n"
	                           "  warnings.warn(\"careful\")\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/py/w.py", 4, 0, DIAG_WARNING,
	       "UserWarning: careful");
	diag_list_fini(&l);
}

/* -------------------------------------------------------------- node */

Test(diag, node_errors)
{
	struct diag_list l =
	        parse("/tmp/dg/n/main.js:3\n"
	              "  return x + 1;\n"
	              "  ^\n"
	              "\n"
	              "ReferenceError: x is not defined\n"
	              "    at f (/tmp/dg/n/main.js:3:3)\n"
	              "    at Object.<anonymous> (/tmp/dg/n/main.js:5:13)\n"
	              "    at Module._compile "
	              "(node:internal/modules/cjs/loader:1521:14)\n"
	              "    at Module._extensions..js "
	              "(node:internal/modules/cjs/loader:1623:10)\n"
	              "    at Module.load "
	              "(node:internal/modules/cjs/loader:1266:32)\n"
	              "    at Module._load "
	              "(node:internal/modules/cjs/loader:1091:12)\n"
	              "    at Function.executeUserEntryPoint [as runMain] "
	              "(node:internal/modules/run_main:164:12)\n"
	              "    at node:internal/main/run_main_module:28:49\n"
	              "\n"
	              "Node.js v20.20.2\n");

	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/n/main.js", 3, 3, DIAG_ERROR,
	       "ReferenceError: x is not defined");
	diag_list_fini(&l);
	l = parse("/tmp/dg/n/s.js:2\n"
	          "let b = (;\n"
	          "         ^\n"
	          "\n"
	          "SyntaxError: Unexpected token ';'\n"
	          "    at wrapSafe (node:internal/modules/cjs/loader:1464:18)\n"
	          "    at Module._compile "
	          "(node:internal/modules/cjs/loader:1495:20)\n"
	          "    at Module._extensions..js "
	          "(node:internal/modules/cjs/loader:1623:10)\n"
	          "    at Module.load "
	          "(node:internal/modules/cjs/loader:1266:32)\n"
	          "    at Module._load "
	          "(node:internal/modules/cjs/loader:1091:12)\n"
	          "    at Function.executeUserEntryPoint [as runMain] "
	          "(node:internal/modules/run_main:164:12)\n"
	          "    at node:internal/main/run_main_module:28:49\n"
	          "\n"
	          "Node.js v20.20.2\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/n/s.js", 2, 10, DIAG_ERROR,
	       "SyntaxError: Unexpected token ';'");
	diag_list_fini(&l);
	/* throw "str" */
	l = parse("\n"
	          "/tmp/dg/n/u.js:1\n"
	          "throw \"str\"\n"
	          "^\n"
	          "str\n"
	          "(Use `node --trace-uncaught ...` to show where the "
	          "exception was thrown)\n"
	          "\n"
	          "Node.js v20.20.2\n");
	cr_assert_eq(l.n, 1);
	expect(&l, 0, "/tmp/dg/n/u.js", 1, 1, DIAG_ERROR, "str");
	diag_list_fini(&l);
}

/* ----------------------------------------------------- mixed and limits */

Test(diag, mixed_output)
{
	/* a run script's output: program text, javac, then a traceback */
	struct diag_list l =
	        parse("compiling...\n"
	              "result: 42\n"
	              "Main.java:3: error: cannot find symbol\n"
	              "\t\tint y = x + 1;\n"
	              "\t\t        ^\n"
	              "  symbol:   variable x\n"
	              "  location: class Main\n"
	              "1 error\n"
	              "# command-line-arguments\n"
	              "./main.go:7:14: undefined: x\n"
	              "Traceback (most recent call last):\n"
	              "  File \"/box/main.py\", line 2, in <module>\n"
	              "    f()\n"
	              "ZeroDivisionError: division by zero\n"
	              "main.c:4:13: warning: unused variable 'y' "
	              "[-Wunused-variable]\n"
	              "done\n");

	cr_assert_eq(l.n, 4);
	expect(&l, 0, "Main.java", 3, 11, DIAG_ERROR,
	       "cannot find symbol (symbol: variable x)");
	expect(&l, 1, "main.go", 7, 14, DIAG_ERROR, "undefined: x");
	expect(&l, 2, "/box/main.py", 2, 0, DIAG_ERROR,
	       "ZeroDivisionError: division by zero");
	expect(&l, 3, "main.c", 4, 13, DIAG_WARNING,
	       "unused variable 'y' [-Wunused-variable]");
	diag_list_fini(&l);
}

Test(diag, unknown_text_gives_nothing)
{
	struct diag_list l =
	        parse("hello\nworld: 3\nerrors: none\n"
	              "Note: Main.java uses unchecked operations.\n"
	              "warning: 2 warnings emitted\n"
	              "error: aborting due to 1 previous error\n"
	              "For more information about this error, "
	              "try `rustc --explain E0425`.\n");

	cr_assert_eq(l.n, 0);
	cr_assert_null(l.v);
	diag_list_fini(&l);
}

Test(diag, empty_input)
{
	struct diag_list l = {(struct diag *)1, 7};

	cr_assert_eq(diag_parse(NULL, 0, &l), 0);
	cr_assert_eq(l.n, 0);
	cr_assert_null(l.v);
	l = parse("");
	cr_assert_eq(l.n, 0);
	l = parse("\n\n \r\n");
	cr_assert_eq(l.n, 0);
	diag_list_fini(&l);
}

Test(diag, crlf_line_endings)
{
	struct diag_list l = parse("main.c:3:5: error: expected ';'\r\n"
	                           "error[E0425]: cannot find value `x`\r\n"
	                           " --> main.rs:2:5\r\n"
	                           "Traceback (most recent call last):\r\n"
	                           "  File \"main.py\", line 1, in <module>\r\n"
	                           "    x\r\n"
	                           "NameError: name 'x' is not defined\r\n");

	cr_assert_eq(l.n, 3);
	expect(&l, 0, "main.c", 3, 5, DIAG_ERROR, "expected ';'");
	expect(&l, 1, "main.rs", 2, 5, DIAG_ERROR,
	       "E0425: cannot find value `x`");
	expect(&l, 2, "main.py", 1, 0, DIAG_ERROR,
	       "NameError: name 'x' is not defined");
	diag_list_fini(&l);
}

Test(diag, at_most_diag_max_entries)
{
	size_t cap = (DIAG_MAX + 1) * 40, n = 0;
	char *text = malloc(cap);
	struct diag_list l;

	cr_assert_not_null(text);
	for (unsigned i = 1; i <= DIAG_MAX + 1; i++)
		n += (size_t)snprintf(text + n, cap - n,
		                      "main.c:%u:1: error: e%u\n", i, i);
	cr_assert_eq(diag_parse(text, n, &l), 0);
	cr_assert_eq(l.n, DIAG_MAX);
	expect(&l, DIAG_MAX - 1, "main.c", DIAG_MAX, 1, DIAG_ERROR, "e200");
	diag_list_fini(&l);
	free(text);
}

Test(diag, long_message_cut_at_utf8_boundary)
{
	char text[2048], file[400];
	struct diag_list l;
	size_t n;

	/* 499 bytes, then a 2-byte e-acute that would end at byte 501 */
	n = (size_t)snprintf(text, sizeof(text), "main.c:1:1: error: ");
	memset(text + n, 'a', 499);
	n += 499;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\303\251tail\n");
	cr_assert_eq(diag_parse(text, n, &l), 0);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(strlen(l.v[0].message), 499);
	cr_assert(utf8_valid(l.v[0].message, 499));
	diag_list_fini(&l);

	/* a 4-byte sequence across the limit */
	n = (size_t)snprintf(text, sizeof(text), "main.c:1:1: error: ");
	memset(text + n, 'a', 498);
	n += 498;
	n += (size_t)snprintf(text + n, sizeof(text) - n,
	                      "\360\237\230\200x\n");
	cr_assert_eq(diag_parse(text, n, &l), 0);
	cr_assert_eq(strlen(l.v[0].message), 498);
	diag_list_fini(&l);

	/* a file name of 300 bytes keeps 256 */
	memset(file, 'f', 300);
	file[300] = '\0';
	n = (size_t)snprintf(text, sizeof(text), "%s.c:1:1: error: x\n", file);
	cr_assert_eq(diag_parse(text, n, &l), 0);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(strlen(l.v[0].file), DIAG_FILE_MAX);
	diag_list_fini(&l);
}

Test(diag, long_line_cut_at_utf8_boundary)
{
	/* lines are cut near 4 KiB; a message that starts late in such a
	 * line must not end inside a sequence, whatever the parity */
	for (size_t pad = 3800; pad < 3802; pad++) {
		char text[6000];
		struct diag_list l;
		size_t n =
		        (size_t)snprintf(text, sizeof(text), "/usr/bin/ld: ");

		memset(text + n, 'o', pad);
		n += pad;
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		                      ".o: undefined reference to `");
		for (int k = 0; k < 400; k++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			                      "\303\251");
		cr_assert_eq(diag_parse(text, n, &l), 0);
		cr_assert_eq(l.n, 1);
		cr_assert(strncmp(l.v[0].message, "undefined reference", 19) ==
		          0);
		cr_assert(utf8_valid(l.v[0].message, strlen(l.v[0].message)),
		          "pad %zu", pad);
		diag_list_fini(&l);
	}
}

Test(diag, invalid_utf8_and_nul_give_valid_json)
{
	static const char text[] = "main.c:1:2: error: bad \377\376 bytes\n"
	                           "main.c:2:1: error: a\0hidden\n"
	                           "\0main.c:3:1: error: never seen\n"
	                           "\300\200.c:4:1: warning: w\n";
	struct diag_list l;
	struct json_object *j;
	const char *s;

	cr_assert_eq(diag_parse(text, sizeof(text) - 1, &l), 0);
	cr_assert_eq(l.n, 3);
	expect(&l, 0, "main.c", 1, 2, DIAG_ERROR, "bad \377\376 bytes");
	expect(&l, 1, "main.c", 2, 1, DIAG_ERROR, "a");
	expect(&l, 2, "\300\200.c", 4, 1, DIAG_WARNING, "w");
	j = diag_list_json(&l);
	cr_assert_not_null(j);
	s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	cr_assert(utf8_valid(s, strlen(s)));
	cr_assert(strstr(s, "bad \357\277\275\357\277\275 bytes"));
	json_object_put(j);
	diag_list_fini(&l);
}

Test(diag, json_shape)
{
	struct diag_list l = parse("main.c:3:5: error: expected ';'\n"
	                           "cc1: note: hm\n"
	                           "Main.java:7: warning: [cast] redundant\n");
	struct json_object *j = diag_list_json(&l), *o, *v;

	cr_assert_not_null(j);
	cr_assert(json_object_is_type(j, json_type_array));
	cr_assert_eq(json_object_array_length(j), 3);
	cr_assert_str_eq(
	        json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
	        "[{\"file\":\"main.c\",\"line\":3,\"column\":5,"
	        "\"severity\":\"error\",\"message\":\"expected ';'\"},"
	        "{\"file\":\"\",\"line\":null,\"column\":null,"
	        "\"severity\":\"note\",\"message\":\"hm\"},"
	        "{\"file\":\"Main.java\",\"line\":7,\"column\":null,"
	        "\"severity\":\"warning\","
	        "\"message\":\"[cast] redundant\"}]");
	o = json_object_array_get_idx(j, 1);
	cr_assert(json_object_object_get_ex(o, "line", &v));
	cr_assert_null(v);
	cr_assert(json_object_object_get_ex(o, "file", &v));
	cr_assert(json_object_is_type(v, json_type_string));
	json_object_put(j);
	diag_list_fini(&l);

	j = diag_list_json(NULL);
	cr_assert(json_object_is_type(j, json_type_array));
	cr_assert_eq(json_object_array_length(j), 0);
	json_object_put(j);
}

Test(diag, fini_and_names)
{
	struct diag_list l = {0};

	diag_list_fini(NULL);
	diag_list_fini(&l);
	l = parse("main.c:1:1: error: x\n");
	diag_list_fini(&l);
	diag_list_fini(&l);
	cr_assert_eq(l.n, 0);
	cr_assert_str_eq(diag_severity_name(DIAG_ERROR), "error");
	cr_assert_str_eq(diag_severity_name(DIAG_WARNING), "warning");
	cr_assert_str_eq(diag_severity_name(DIAG_NOTE), "note");
	cr_assert_str_eq(diag_severity_name((enum diag_severity)42), "error");
}

Test(diag, unfinished_colour_sequence_keeps_the_next_character)
{
	/* ESC [ 0 then "ϙ" (CF 99): the lead byte cannot end the sequence;
	   dropping it left a lone continuation byte in the message (found by
	   fuzz_diag) */
	struct diag_list l = parse("Exception in thread \"main\" "
	                           "java.lang.NumberFormatException: x\033[0"
	                           "\xcf\x99y\n"
	                           "\tat Main.main(Main.java:3)\n");

	cr_assert_eq(l.n, 1);
	cr_assert(utf8_valid(l.v[0].message, strlen(l.v[0].message)), "%s",
	          l.v[0].message);
	cr_assert(strstr(l.v[0].message, "x\xcf\x99y"), "%s", l.v[0].message);
	diag_list_fini(&l);
}
