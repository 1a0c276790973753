/* log.c - the daemons' log: see log.h. */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_ident;

void log_init(const char *ident)
{
	log_ident = ident;
}

int log_format(char *out, size_t outlen, int prio, const char *fmt, va_list ap)
{
	int n;

	if (outlen == 0)
		return 0;
	if (prio < LOG_EMERG)
		prio = LOG_EMERG;
	if (prio > LOG_DEBUG)
		prio = LOG_DEBUG;
	if (log_ident)
		n = snprintf(out, outlen, "<%d>%s: ", prio, log_ident);
	else
		n = snprintf(out, outlen, "<%d>", prio);
	if (n < 0)
		n = 0;
	if ((size_t)n >= outlen)
		return (int)strlen(out);
	vsnprintf(out + n, outlen - (size_t)n, fmt, ap);
	return (int)strlen(out);
}

/* buf holds n < LOG_LINE_MAX bytes and has room for one more: end the line
   and write it at once, so lines of concurrent threads do not mix. */
static void emit(char *buf, size_t n)
{
	buf[n++] = '\n';
	(void)!write(2, buf, n);
}

void log_write(const char *line)
{
	char buf[LOG_LINE_MAX];
	size_t n = strnlen(line, LOG_LINE_MAX - 1);

	memcpy(buf, line, n);
	emit(buf, n);
}

void log_vmsg(int prio, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];

	emit(line, (size_t)log_format(line, sizeof(line), prio, fmt, ap));
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}
