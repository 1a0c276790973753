/*
 * diag.h - compiler and interpreter diagnostics for the run API.
 *
 * The run API hands the jail's stderr (sometimes stdout) to diag_parse(),
 * which picks out the diagnostics the editor can mark in the pad: file,
 * line, column, severity and a one-line message.  There is no language
 * hint; each line is recognised by its shape, and a few formats read the
 * lines that follow (a location, a caret, a traceback's last line).
 * Anything else is skipped, so unknown text gives an empty list.
 *
 * What each format becomes:
 *
 *   gcc, g++, clang   `main.c:3:5: error: msg` and `main.c:3: error: msg`;
 *                     `fatal error` is DIAG_ERROR.  Columns are as printed
 *                     (gcc counts display columns, a tab to the next
 *                     multiple of 8; clang counts bytes).  A driver line
 *                     `cc1: warning: msg` gives file "" line 0.  Context
 *                     lines ("In function", "In file included from"),
 *                     source echoes, carets and the summaries "N errors
 *                     generated." and "collect2: error: ld returned ..."
 *                     are skipped.
 *   ld                `/usr/bin/ld: cannot find -lfoo` and
 *                     `main.c:(.text+0x5): undefined reference to `foo'`
 *                     give DIAG_ERROR, file "" line 0, message from
 *                     "undefined reference" on; "in function" context
 *                     lines are skipped.
 *   rustc             `error[E0425]: msg` then ` --> main.rs:2:5`; the
 *                     code leads the message: "E0425: msg".  Summaries
 *                     ("aborting due to", "N warnings emitted") are
 *                     skipped.  A panic `thread 'main' panicked at
 *                     main.rs:4:21:` gives DIAG_ERROR with the next line
 *                     as message (the pre-1.73 one-line form too).
 *   go                `./main.go:5:2: undefined: x` is DIAG_ERROR (go
 *                     build, go run and go vet); `# pkg` headers are
 *                     skipped.  `panic: msg` or `fatal error: msg` gives
 *                     DIAG_ERROR with the whole line as message, at the
 *                     first goroutine frame outside /usr/ and the runtime.
 *   javac             `Main.java:3: error: msg`, column from the caret
 *                     line (index of the ^ plus 1, a tab counts 1);
 *                     a following `  symbol:   variable x` is appended
 *                     as " (symbol: variable x)"; `location:` lines and
 *                     the "N errors" summary are skipped.  An uncaught
 *                     `Exception in thread "main" java.lang.X: msg` gives
 *                     DIAG_ERROR "java.lang.X: msg" at the first
 *                     `at` frame that is not in a JDK module.
 *   python            a traceback gives one DIAG_ERROR whose message is
 *                     the final line ("NameError: name 'x' is not
 *                     defined", or just "KeyboardInterrupt"), at the last
 *                     frame in a user file: frames whose file starts with
 *                     "/usr/" or "<frozen" or holds "/lib/python" are
 *                     skipped; with no user frame, file is "" line 0.
 *                     SyntaxError and IndentationError take the column
 *                     from the caret.  Python prints the line without its
 *                     indentation, so that column counts from the line's
 *                     first non-blank character: exact for unindented
 *                     lines, short by the indentation otherwise.
 *                     `main.py:4: UserWarning: msg` is DIAG_WARNING.
 *   node              `/box/main.js:3`, source, caret, then the error
 *                     line: DIAG_ERROR "ReferenceError: x is not defined"
 *                     with the caret's column.
 *
 * Every file name has one leading "./" removed.  Messages are trimmed.
 * Control sequences for colour (ESC [ ... m) are removed before matching.
 */
#ifndef RUNPAD_DIAG_H
#define RUNPAD_DIAG_H

#include <stddef.h>

struct json_object;

#define DIAG_MAX         200 /* entries kept; later ones are dropped */
#define DIAG_MESSAGE_MAX 500 /* bytes, cut at a UTF-8 boundary */
#define DIAG_FILE_MAX    256 /* bytes, cut at a UTF-8 boundary */

enum diag_severity { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

struct diag {
	char *file;      /* as printed, "./" stripped; "" when unknown */
	unsigned line;   /* 1-based; 0 when unknown */
	unsigned column; /* 1-based; 0 when unknown */
	enum diag_severity severity;
	char *message; /* one line, trimmed, never empty */
};

/* Diagnostics in the order they were printed; v and each string are owned
 * by the list and freed by diag_list_fini(). */
struct diag_list {
	struct diag *v;
	size_t n;
};

/*
 * Parse len bytes of compiler or interpreter output into *out, which is
 * overwritten (not freed first).  text need not be NUL-terminated and may
 * hold invalid UTF-8; a NUL byte ends the text of its line.  Strings in the
 * result are the input's bytes, not yet valid UTF-8 (diag_list_json repairs
 * them).  An empty result holds no memory (v is NULL), so a list that came
 * back empty may be parsed into again.  Returns 0, or -ENOMEM with *out
 * left empty.
 */
int diag_parse(const char *text, size_t len, struct diag_list *out);

/* Free everything in l and leave it empty.  Accepts NULL and a zeroed
 * list, and may be called twice. */
void diag_list_fini(struct diag_list *l);

/* "error", "warning" or "note" (a static string); "error" when s is out of
 * range. */
const char *diag_severity_name(enum diag_severity s);

/*
 * A new JSON array of {"file", "line", "column", "severity", "message"},
 * with line and column null when 0 and the strings made valid UTF-8.  The
 * caller owns the reference (json_object_put).  l may be NULL (an empty
 * array).  NULL on ENOMEM.
 */
struct json_object *diag_list_json(const struct diag_list *l);

#endif
