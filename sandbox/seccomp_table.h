/*
 * seccomp_table.h - the table the seccomp filter is built from (seccomp.c),
 * exposed so the unit tests can check it.  Not installed, not stable.
 */
#ifndef RUNPAD_SANDBOX_SECCOMP_TABLE_H
#define RUNPAD_SANDBOX_SECCOMP_TABLE_H

#include <stddef.h>

/* Argument checks of allowed calls; what fails them gets EPERM. */
enum sbx_sc_check {
	SBX_SC_ANY = 0, /* no check */
	SBX_SC_CLONE,   /* a0 (flags): no namespace flag */
	SBX_SC_UNIX,    /* a0 (domain): AF_UNIX */
	SBX_SC_IOCTL,   /* a1 (request), low 32 bits: no TIOCSTI/LINUX */
	SBX_SC_PERSONA, /* a0 (persona), low 32 bits: see personas[] */
};

struct sbx_sc_rule {
	const char *name;        /* as libseccomp spells it (x86_64) */
	int err;                 /* 0: allowed; else the errno it fails with */
	enum sbx_sc_check check; /* of an allowed call */
};

/* Every system call the filter names, allowed (err 0) or refused; any
   other fails with ENOSYS. */
extern const struct sbx_sc_rule sbx_sc_rules[];
extern const size_t sbx_sc_nrules;

#endif
