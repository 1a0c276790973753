/* report.h - the one line every syscall-probing attack prints per call:
   "what: ok" or "what: ERRNONAME".  Header-only: each attack stays one
   program built from one file. */
#ifndef RUNPAD_HOSTILE_REPORT_H
#define RUNPAD_HOSTILE_REPORT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

static inline void report(const char *what, long rc)
{
	printf("%s: %s\n", what, rc < 0 ? strerrorname_np(errno) : "ok");
}

#endif
