/*
 * diag.c - compiler and interpreter diagnostics (see diag.h).
 *
 * One pass over the lines.  A line goes first to the format that is waiting
 * for it (mode), then to each format's header matcher in turn, and the
 * first that takes it wins.  Formats whose diagnostic spans several lines
 * keep their state in the parser in one of two ways:
 *
 *   - the diagnostic is added at once and `cur` names it, so a later line
 *     can still give it a location (rustc's ` --> `, a Java or Go stack
 *     frame) or a column and detail (javac's caret and `symbol:` lines);
 *   - the location is kept in `pend` until the message line arrives
 *     (python tracebacks, node, rust panics).
 *
 * Each matcher returns 1 when the line was its own, 0 when not, or -ENOMEM.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "diag.h"
#include "utf8.h"

/* Longer lines are cut: a message keeps 500 bytes, a file name 256. */
#define LINE_BYTES 4096

enum mode {
	M_NONE,
	M_RUST,       /* cur waits for ` --> file:line:col` */
	M_JAVAC,      /* cur waits for the source, caret and symbol lines */
	M_JAVA_EXC,   /* cur waits for an `at` frame in user code */
	M_GO_PANIC,   /* cur waits for a goroutine frame in user code */
	M_PY,         /* in a traceback; pend is the last user frame */
	M_NODE,       /* pend waits for the source, caret and error lines */
	M_RUST_PANIC, /* pend waits for the message line */
};

struct loc {
	char file[DIAG_FILE_MAX + 1];
	unsigned line, column;
};

struct parser {
	struct diag_list *out;
	size_t cap;
	enum mode mode;
	unsigned since;  /* lines read since the mode began */
	size_t cur;      /* index into out->v, or SIZE_MAX */
	bool want_caret; /* python: the frame is a SyntaxError's */
	struct loc pend;
};

static const struct loc no_loc;

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static const char *skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Bytes of s[0..n) to keep so that at most max remain and no UTF-8
 * sequence is split (invalid input is cut at max). */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
	size_t k = max;

	if (n <= max)
		return n;
	while (k > 0 && k + 3 > max && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	return ((unsigned char)s[k] & 0xc0) == 0x80 ? max : k;
}

/* o, less the last UTF-8 sequence if a cut at o left it unfinished. */
static size_t utf8_whole(const char *s, size_t o)
{
	size_t k = o;

	while (k > 0 && o - k < 3 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
		k--;
	if (k > 0 && (unsigned char)s[k - 1] >= 0xc0 &&
	    !utf8_seq_len((const unsigned char *)s + k - 1, o - k + 1))
		return k - 1;
	return o;
}

/* Decimal of 1 to 9 digits at s; the end, or NULL. */
static const char *num(const char *s, unsigned *out)
{
	unsigned v = 0;
	int k = 0;

	while (s[k] >= '0' && s[k] <= '9') {
		if (k == 9)
			return NULL;
		v = v * 10 + (unsigned)(s[k] - '0');
		k++;
	}
	if (!k)
		return NULL;
	*out = v;
	return s + k;
}

static void loc_set(struct loc *l, const char *file, size_t n, unsigned line,
                    unsigned column)
{
	if (n >= 2 && file[0] == '.' && file[1] == '/') {
		file += 2;
		n -= 2;
	}
	n = utf8_cut(file, n, DIAG_FILE_MAX);
	memcpy(l->file, file, n);
	l->file[n] = '\0';
	l->line = line;
	l->column = column;
}

/*
 * `FILE:LINE:` or `FILE:LINE:COL:` at the start of s, FILE not starting
 * with a blank.  Fills l and returns what follows, or NULL.
 */
static const char *file_line_col(const char *s, struct loc *l)
{
	if (!*s || *s == ' ' || *s == '\t' || *s == ':')
		return NULL;
	for (const char *c = strchr(s, ':'); c; c = strchr(c + 1, ':')) {
		unsigned line, col = 0;
		const char *q = num(c + 1, &line), *r;

		if (!q || *q != ':')
			continue;
		r = num(q + 1, &col);
		if (r && *r == ':')
			q = r;
		else
			col = 0;
		loc_set(l, s, (size_t)(c - s), line, col);
		return q + 1;
	}
	return NULL;
}

/* `FILE:LINE:COL` filling all of s[0..n) (rustc's ` --> ` and panics). */
static bool file_line_col_end(const char *s, size_t n, struct loc *l)
{
	const char *c2 = memrchr(s, ':', n), *c1;
	unsigned line, col;

	if (!c2 || c2 == s)
		return false;
	c1 = memrchr(s, ':', (size_t)(c2 - s));
	if (!c1 || c1 == s || num(c1 + 1, &line) != c2 ||
	    num(c2 + 1, &col) != s + n)
		return false;
	loc_set(l, s, (size_t)(c1 - s), line, col);
	return true;
}

/* ` error: ` and the like after a location; the message, or NULL. */
static const char *severity(const char *s, enum diag_severity *sev)
{
	static const struct {
		const char *word;
		enum diag_severity sev;
	} words[] = {
	        {"fatal error: ", DIAG_ERROR},
	        {"error: ", DIAG_ERROR},
	        {"warning: ", DIAG_WARNING},
	        {"note: ", DIAG_NOTE},
	};

	if (*s++ != ' ')
		return NULL;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (starts(s, words[i].word)) {
			*sev = words[i].sev;
			return s + strlen(words[i].word);
		}
	}
	return NULL;
}

/* A copy of the trimmed s[0..n), cut to max bytes; NULL on ENOMEM. */
static char *dup_trimmed(const char *s, size_t n, size_t max)
{
	char *d;

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	n = utf8_cut(s, n, max);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	d = malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/*
 * Append a diagnostic and make it cur; the mode ends.  A blank message or
 * a full list adds nothing (cur is then SIZE_MAX).  0 or -ENOMEM.
 */
static int add(struct parser *p, const struct loc *l, enum diag_severity sev,
               const char *msg)
{
	struct diag_list *out = p->out;
	struct diag *d;

	p->mode = M_NONE;
	p->cur = SIZE_MAX;
	if (!*skip_blank(msg) || out->n == DIAG_MAX)
		return 0;
	if (out->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct diag *v;

		if (cap > DIAG_MAX)
			cap = DIAG_MAX;
		v = realloc(out->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		out->v = v;
		p->cap = cap;
	}
	d = &out->v[out->n];
	d->file = strdup(l->file);
	d->message = dup_trimmed(msg, strlen(msg), DIAG_MESSAGE_MAX);
	if (!d->file || !d->message) {
		free(d->file);
		free(d->message);
		return -ENOMEM;
	}
	d->line = l->line;
	d->column = l->column;
	d->severity = sev;
	p->cur = out->n++;
	return 0;
}

static void begin(struct parser *p, enum mode m)
{
	p->mode = m;
	p->since = 0;
}

/* The current diagnostic, if a later line may still give it a location. */
static struct diag *unlocated(struct parser *p)
{
	struct diag *d;

	if (p->cur == SIZE_MAX)
		return NULL;
	d = &p->out->v[p->cur];
	return d->file[0] || d->line ? NULL : d;
}

static int locate(struct parser *p, const struct loc *l)
{
	struct diag *d = unlocated(p);
	char *f;

	if (!d)
		return 1;
	f = strdup(l->file);
	if (!f)
		return -ENOMEM;
	free(d->file);
	d->file = f;
	d->line = l->line;
	d->column = l->column;
	return 1;
}

/* Column of a caret line (blanks then ^, a tab counting 1) past indent
 * bytes of prefix, or 0. */
static unsigned caret_column(const char *s, size_t indent)
{
	const char *c = skip_blank(s);
	size_t at = (size_t)(c - s);

	if (*c != '^' || at < indent || at - indent >= 999999999)
		return 0;
	return (unsigned)(at - indent + 1);
}

/* ---------------------------------------------------- gcc, clang, javac */

/* `main.c:3:5: error: msg`, `Main.java:3: error: msg`. */
static int cc_line(struct parser *p, const char *s)
{
	enum diag_severity sev;
	struct loc l;
	const char *m = file_line_col(s, &l);
	int r;

	if (!m || !(m = severity(m, &sev)))
		return 0;
	r = add(p, &l, sev, m);
	if (r < 0)
		return r;
	if (p->cur != SIZE_MAX && !l.column &&
	    ends(l.file, strlen(l.file), ".java"))
		begin(p, M_JAVAC);
	return 1;
}

/* The source echo, the caret, then `  symbol:   variable x`. */
static int javac_follow(struct parser *p, const char *s)
{
	struct diag *d = &p->out->v[p->cur];
	char buf[DIAG_MESSAGE_MAX + LINE_BYTES];
	const char *v;
	char *m;

	if (p->since == 1)
		return 1;
	if (p->since == 2 && caret_column(s, 0)) {
		d->column = caret_column(s, 0);
		return 1;
	}
	if (starts(s, "  location:"))
		return 1;
	if (!starts(s, "  symbol:")) {
		p->mode = M_NONE;
		return 0;
	}
	v = skip_blank(s + strlen("  symbol:"));
	snprintf(buf, sizeof(buf), "%s (symbol: %s)", d->message, v);
	m = dup_trimmed(buf, strlen(buf), DIAG_MESSAGE_MAX);
	if (!m)
		return -ENOMEM;
	free(d->message);
	d->message = m;
	return 1;
}

/* `cc1: warning: msg`, `gcc: error: msg`: no file, no line. */
static int tool_line(struct parser *p, const char *s)
{
	const char *c = strstr(s, ": "), *m;
	enum diag_severity sev;

	if (!c || c == s || strpbrk(s, " \t:") != c ||
	    !(m = severity(c + 1, &sev)))
		return 0;
	/* summaries of the linker errors reported line by line */
	if (starts(m, "ld returned ") || starts(m, "linker command failed"))
		return 1;
	return add(p, &no_loc, sev, m) < 0 ? -ENOMEM : 1;
}

/* ---------------------------------------------------------------- ld */

/*
 * `/usr/bin/ld: msg` (and ld.bfd, ld.gold, ld.lld) or
 * `main.c:(.text+0x5): undefined reference to `foo'`.
 */
static int ld_line(struct parser *p, const char *s)
{
	const char *c = strstr(s, ": "), *base, *m, *u;
	enum diag_severity sev = DIAG_ERROR;
	size_t n;

	if (!c || c == s || memchr(s, ' ', (size_t)(c - s)))
		return 0;
	if (c[-1] == ')' && (m = strstr(s, ":(")) && m < c)
		return add(p, &no_loc, DIAG_ERROR, c + 2) < 0 ? -ENOMEM : 1;
	if (memchr(s, ':', (size_t)(c - s)))
		return 0;
	base = memrchr(s, '/', (size_t)(c - s));
	base = base ? base + 1 : s;
	n = (size_t)(c - base);
	if (!(n == 2 && starts(base, "ld")) && !(n > 3 && starts(base, "ld.")))
		return 0;
	m = c + 2;
	if (starts(m, "warning: ")) {
		sev = DIAG_WARNING;
		m += strlen("warning: ");
	} else if (starts(m, "error: ")) {
		m += strlen("error: ");
	}
	if ((u = strstr(m, "undefined reference to ")) ||
	    (u = strstr(m, "multiple definition of ")))
		m = u;
	else if (strstr(m, "in function ") && ends(m, strlen(m), ":"))
		return 1; /* context for the next line */
	return add(p, &no_loc, sev, m) < 0 ? -ENOMEM : 1;
}

/* ------------------------------------------------------------- rustc */

static bool rust_summary(const char *m)
{
	size_t n = strlen(m);

	return starts(m, "aborting due to") || starts(m, "could not compile") ||
	       ends(m, n, " warning emitted") ||
	       ends(m, n, " warnings emitted") || strstr(m, ") generated ") ||
	       strstr(m, "RUST_BACKTRACE");
}

/* `error[E0425]: msg`, `warning: msg`; the location follows. */
static int rust_line(struct parser *p, const char *s)
{
	static const struct {
		const char *word;
		enum diag_severity sev;
	} words[] = {
	        {"error", DIAG_ERROR},
	        {"warning", DIAG_WARNING},
	        {"note", DIAG_NOTE},
	};
	char buf[LINE_BYTES + 32];
	const char *q, *e;
	size_t i = 0;
	int r;

	while (i < sizeof(words) / sizeof(words[0]) &&
	       !starts(s, words[i].word))
		i++;
	if (i == sizeof(words) / sizeof(words[0]))
		return 0;
	q = s + strlen(words[i].word);
	if (*q == '[') {
		e = strchr(q, ']');
		if (!e || e - q < 2 || e - q > 16 ||
		    memchr(q, ' ', (size_t)(e - q)))
			return 0;
		if (!starts(e + 1, ": "))
			return 0;
		snprintf(buf, sizeof(buf), "%.*s: %s", (int)(e - q - 1), q + 1,
		         e + 3);
	} else if (starts(q, ": ")) {
		if (rust_summary(q + 2))
			return 1;
		snprintf(buf, sizeof(buf), "%s", q + 2);
	} else {
		return 0;
	}
	r = add(p, &no_loc, words[i].sev, buf);
	if (r < 0)
		return r;
	begin(p, M_RUST);
	return 1;
}

static int rust_follow(struct parser *p, const char *s)
{
	struct loc l;

	s = skip_blank(s);
	if (!starts(s, "--> ") || !file_line_col_end(s + 4, strlen(s + 4), &l))
		return 0;
	return locate(p, &l);
}

/*
 * `thread 'main' panicked at main.rs:4:21:` with the message on the next
 * line (rustc 1.73 on), or `thread 'main' panicked at 'msg', main.rs:4:20`.
 */
static int rust_panic_line(struct parser *p, const char *s)
{
	const char *at = strstr(s, " panicked at "), *q;
	char msg[LINE_BYTES];
	size_t n;

	if (!starts(s, "thread '") || !at)
		return 0;
	at += strlen(" panicked at ");
	n = strlen(at);
	if (*at == '\'' && (q = strstr(at, "', ")) &&
	    file_line_col_end(q + 3, strlen(q + 3), &p->pend)) {
		snprintf(msg, sizeof(msg), "%.*s", (int)(q - at - 1), at + 1);
		return add(p, &p->pend, DIAG_ERROR, msg) < 0 ? -ENOMEM : 1;
	}
	if (!n || at[n - 1] != ':' || !file_line_col_end(at, n - 1, &p->pend))
		return 0;
	begin(p, M_RUST_PANIC);
	return 1;
}

static int rust_panic_follow(struct parser *p, const char *s)
{
	return add(p, &p->pend, DIAG_ERROR, s) < 0 ? -ENOMEM : 1;
}

/* ---------------------------------------------------------------- go */

/* `./main.go:5:2: undefined: x`, also after go vet's `vet: `. */
static int go_line(struct parser *p, const char *s)
{
	struct loc l;
	const char *m;

	if (starts(s, "vet: "))
		s += strlen("vet: ");
	m = file_line_col(s, &l);
	if (!m || *m != ' ' || !ends(l.file, strlen(l.file), ".go") ||
	    strchr(l.file, ' '))
		return 0;
	return add(p, &l, DIAG_ERROR, m) < 0 ? -ENOMEM : 1;
}

/* `panic: msg` or `fatal error: msg`; the goroutine frames follow. */
static int go_panic_line(struct parser *p, const char *s)
{
	int r;

	if (!starts(s, "panic: ") && !starts(s, "fatal error: "))
		return 0;
	r = add(p, &no_loc, DIAG_ERROR, s);
	if (r < 0)
		return r;
	begin(p, M_GO_PANIC);
	return 1;
}

/* `\t/box/main.go:5 +0x1a`: the first frame outside the Go runtime. */
static int go_panic_follow(struct parser *p, const char *s)
{
	const char *e = strstr(s, ".go:"), *q;
	struct loc l;
	unsigned line;

	if (s[0] != '\t' || !e)
		return 0;
	q = num(e + 4, &line);
	if (!q || (*q && *q != ' '))
		return 0;
	if (starts(s + 1, "/usr/") || strstr(s, "/src/runtime/"))
		return 1;
	loc_set(&l, s + 1, (size_t)(e + 3 - (s + 1)), line, 0);
	return locate(p, &l);
}

/* -------------------------------------------------------------- java */

/* `Exception in thread "main" java.lang.X: msg`; `at` frames follow. */
static int java_exc_line(struct parser *p, const char *s)
{
	const char *q;
	int r;

	if (!starts(s, "Exception in thread \"") ||
	    !(q = strstr(s + strlen("Exception in thread \""), "\" ")))
		return 0;
	r = add(p, &no_loc, DIAG_ERROR, q + 2);
	if (r < 0)
		return r;
	begin(p, M_JAVA_EXC);
	return 1;
}

/* `\tat Main.f(Main.java:3)`; frames in a JDK module (`java.base/`)
 * are skipped. */
static int java_exc_follow(struct parser *p, const char *s)
{
	const char *o, *e, *q;
	struct loc l;
	unsigned line;

	if (!starts(s, "\tat ") || !(o = strchr(s, '(')))
		return 0;
	if (memchr(s, '/', (size_t)(o - s)))
		return 1;
	e = strstr(o, ".java:");
	if (!e || !(q = num(e + 6, &line)) || *q != ')')
		return 1;
	loc_set(&l, o + 1, (size_t)(e + 5 - (o + 1)), line, 0);
	return locate(p, &l);
}

/* ------------------------------------------------------------ python */

static bool py_user_file(const char *f, size_t n)
{
	return !starts(f, "/usr/") && !starts(f, "<frozen") &&
	       !memmem(f, n, "/lib/python", strlen("/lib/python"));
}

/* `  File "main.py", line 3, in f`; without `, in` it is the frame of a
 * SyntaxError, whose caret line gives the column. */
static int py_frame(struct parser *p, const char *s)
{
	const char *f = s + strlen("  File \""), *e, *q;
	unsigned line;

	if (!starts(s, "  File \"") || !(e = strstr(f, "\", line ")) ||
	    !(q = num(e + strlen("\", line "), &line)) ||
	    (*q && !starts(q, ", in ")))
		return 0;
	p->want_caret = false;
	p->since = 0;
	if (py_user_file(f, (size_t)(e - f))) {
		loc_set(&p->pend, f, (size_t)(e - f), line, 0);
		p->want_caret = !*q;
	}
	return 1;
}

static int py_start(struct parser *p, const char *s)
{
	if (strcmp(s, "Traceback (most recent call last):") != 0 &&
	    !starts(s, "  File \""))
		return 0;
	p->pend = no_loc;
	begin(p, M_PY);
	if (s[0] == ' ' && !py_frame(p, s)) {
		p->mode = M_NONE;
		return 0;
	}
	return 1;
}

/* `NameError: name 'x' is not defined`, `json.decoder.JSONDecodeError:
 * ...`, `KeyboardInterrupt`. */
static bool py_exception(const char *s)
{
	const char *c = s;

	if (!(*c == '_' || (*c >= 'A' && *c <= 'Z') ||
	      (*c >= 'a' && *c <= 'z')))
		return false;
	while (*c == '_' || *c == '.' || (*c >= 'A' && *c <= 'Z') ||
	       (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'))
		c++;
	return !*c || *c == ':';
}

static int py_follow(struct parser *p, const char *s)
{
	unsigned col;

	if (starts(s, "  File \"")) {
		py_frame(p, s);
		return 1;
	}
	if (s[0] == ' ' || s[0] == '\t') {
		/* Python echoes the source as 4 blanks and the line without
		 * its indentation; the caret line has the same 4 blanks. */
		if (p->want_caret && p->since == 2 &&
		    (col = caret_column(s, 4))) {
			p->pend.column = col;
			p->want_caret = false;
		}
		return 1;
	}
	if (!*s)
		return 1;
	if (!py_exception(s)) {
		p->mode = M_NONE;
		return 0;
	}
	return add(p, &p->pend, DIAG_ERROR, s) < 0 ? -ENOMEM : 1;
}

/* `main.py:4: UserWarning: msg` from the warnings module. */
static int py_warning_line(struct parser *p, const char *s)
{
	struct loc l;
	const char *m = file_line_col(s, &l), *c;

	if (!m || l.column || !ends(l.file, strlen(l.file), ".py") ||
	    *m != ' ' || !(c = strstr(m, "Warning: ")) ||
	    memchr(m + 1, ' ', (size_t)(c - m - 1)))
		return 0;
	return add(p, &l, DIAG_WARNING, m) < 0 ? -ENOMEM : 1;
}

/* -------------------------------------------------------------- node */

/* `/box/main.js:3` alone on its line. */
static int node_line(struct parser *p, const char *s)
{
	size_t n = strlen(s);
	const char *c = memrchr(s, ':', n);
	unsigned line;

	if (!c || c == s || s[0] == ' ' || s[0] == '\t' ||
	    num(c + 1, &line) != s + n || memchr(s, ' ', (size_t)(c - s)))
		return 0;
	n = (size_t)(c - s);
	if (!ends(s, n, ".js") && !ends(s, n, ".mjs") && !ends(s, n, ".cjs"))
		return 0;
	loc_set(&p->pend, s, n, line, 0);
	begin(p, M_NODE);
	return 1;
}

/* The source line, a caret, a blank line, then `ReferenceError: ...`. */
static int node_follow(struct parser *p, const char *s)
{
	if (p->since == 1 || !*s)
		return 1;
	if (p->since == 2 && caret_column(s, 0)) {
		p->pend.column = caret_column(s, 0);
		return 1;
	}
	return add(p, &p->pend, DIAG_ERROR, s) < 0 ? -ENOMEM : 1;
}

/* ------------------------------------------------------------ driver */

static int follow(struct parser *p, const char *s)
{
	switch (p->mode) {
	case M_RUST:
		return rust_follow(p, s);
	case M_JAVAC:
		return javac_follow(p, s);
	case M_JAVA_EXC:
		return java_exc_follow(p, s);
	case M_GO_PANIC:
		return go_panic_follow(p, s);
	case M_PY:
		return py_follow(p, s);
	case M_NODE:
		return node_follow(p, s);
	case M_RUST_PANIC:
		return rust_panic_follow(p, s);
	case M_NONE:
		break;
	}
	return 0;
}

static int parse_line(struct parser *p, const char *s)
{
	/* Most specific first: a go panic's `fatal error:` is not a tool's,
	 * a `.go` location without severity is not gcc's. */
	static int (*const headers[])(struct parser *, const char *) = {
	        py_start,        node_line, rust_panic_line, java_exc_line,
	        go_panic_line,   ld_line,   cc_line,         go_line,
	        py_warning_line, tool_line, rust_line,
	};
	int r;

	p->since++;
	r = follow(p, s);
	for (size_t i = 0; !r && i < sizeof(headers) / sizeof(headers[0]); i++)
		r = headers[i](p, s);
	return r < 0 ? r : 0;
}

/* Copy one line for matching: cut at a NUL and before LINE_BYTES (not
 * inside a UTF-8 sequence), colour sequences (ESC [ params final) removed,
 * trailing blanks and CR too. */
static void copy_line(char *dst, const char *src, size_t n)
{
	size_t o = 0, i;
	const char *nul = memchr(src, '\0', n);

	if (nul)
		n = (size_t)(nul - src);
	for (i = 0; i < n && o < LINE_BYTES - 1; i++) {
		if (src[i] != '\033') {
			dst[o++] = src[i];
			continue;
		}
		if (i + 1 < n && src[i + 1] == '[') {
			i += 2;
			while (i < n && (unsigned char)src[i] >= 0x20 &&
			       (unsigned char)src[i] <= 0x3f)
				i++;
			/* the loop's i++ skips the final byte; a byte that
			   cannot end the sequence (a UTF-8 lead byte, a
			   control) ends it unfinished and is kept */
			if (i < n && ((unsigned char)src[i] < 0x40 ||
			              (unsigned char)src[i] > 0x7e))
				i--;
		}
	}
	if (i < n)
		o = utf8_whole(dst, o);
	while (o &&
	       (dst[o - 1] == ' ' || dst[o - 1] == '\t' || dst[o - 1] == '\r'))
		o--;
	dst[o] = '\0';
}

int diag_parse(const char *text, size_t len, struct diag_list *out)
{
	struct parser p = {.out = out, .cur = SIZE_MAX};
	const char *end;
	char line[LINE_BYTES];
	int r = 0;

	out->v = NULL;
	out->n = 0;
	if (!len)
		return 0;
	end = text + len;
	while (text < end && r == 0) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t n = (size_t)((nl ? nl : end) - text);

		copy_line(line, text, n);
		text = nl ? nl + 1 : end;
		r = parse_line(&p, line);
	}
	if (r < 0)
		diag_list_fini(out);
	return r;
}

void diag_list_fini(struct diag_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].file);
		free(l->v[i].message);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const char *diag_severity_name(enum diag_severity s)
{
	switch (s) {
	case DIAG_WARNING:
		return "warning";
	case DIAG_NOTE:
		return "note";
	case DIAG_ERROR:
		break;
	}
	return "error";
}

/* ---------------------------------------------------------------- JSON */

/* Add val (NULL is JSON null) to obj, which then owns it; on failure val
 * is released here.  mandatory: a NULL val means its constructor failed. */
static int json_field(struct json_object *obj, const char *key,
                      struct json_object *val, bool mandatory)
{
	if ((mandatory && !val) || json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

static struct json_object *json_utf8(const char *s)
{
	char *u = utf8_sanitize(s, strlen(s), NULL);
	struct json_object *o;

	if (!u)
		return NULL;
	o = json_object_new_string(u);
	free(u);
	return o;
}

static struct json_object *json_uint(unsigned v)
{
	return v ? json_object_new_int64(v) : NULL;
}

static struct json_object *diag_json(const struct diag *d)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (json_field(o, "file", json_utf8(d->file), true) < 0 ||
	    json_field(o, "line", json_uint(d->line), d->line) < 0 ||
	    json_field(o, "column", json_uint(d->column), d->column) < 0 ||
	    json_field(o, "severity",
	               json_object_new_string(diag_severity_name(d->severity)),
	               true) < 0 ||
	    json_field(o, "message", json_utf8(d->message), true) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *diag_list_json(const struct diag_list *l)
{
	struct json_object *a = json_object_new_array();

	if (!a)
		return NULL;
	for (size_t i = 0; l && i < l->n; i++) {
		struct json_object *o = diag_json(&l->v[i]);

		/* on success o belongs to the array */
		if (!o || json_object_array_add(a, o) < 0) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}
