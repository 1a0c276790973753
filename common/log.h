/*
 * log.h - the daemons' log: one line per event on stderr, opened by a
 * journal priority ("<3>" error, "<4>" warning, "<5>" notice, "<6>" info,
 * the numbers of <syslog.h>), which systemd's journal turns into the
 * entry's priority and strips.  Under another supervisor the prefix stays
 * in the text and still says how bad it is.
 *
 * Each line is a single write(2), so the lines of concurrent threads never
 * interleave; a line is cut to LOG_LINE_MAX bytes with its newline.  No allocation.
 * log_init() is called once at start, before any thread logs; the ident it
 * takes is a string the caller keeps for the life of the process.
 */
#ifndef RUNPAD_LOG_H
#define RUNPAD_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

#define LOG_LINE_MAX 1024

/* Prefix every line with "ident: " after its priority (NULL: no prefix). */
void log_init(const char *ident);

/* "<prio>ident: message\n"; prio is clamped to 0..7. */
__attribute__((format(printf, 2, 3))) void log_msg(int prio, const char *fmt,
                                                   ...);
__attribute__((format(printf, 2, 0))) void log_vmsg(int prio, const char *fmt,
                                                    va_list ap);

/*
 * Format the line log_msg would write, without the newline, into out (at
 * most outlen bytes, NUL-terminated, cut like the log).  Returns its length.
 * For callers that hand lines to someone else (a test's capture).
 */
__attribute__((format(printf, 4, 0))) int
log_format(char *out, size_t outlen, int prio, const char *fmt, va_list ap);

/* Write a line that is already formatted (as by log_format). */
void log_write(const char *line);

#endif
