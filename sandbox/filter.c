/*
 * filter.c - the jail's seccomp programs, compiled into the library at
 * build time from the table in seccomp.c (sandbox/gen/filter_gen.c).
 */
#include "internal.h"

#include "filter_bpf.h"

void sbx_seccomp_program(struct sock_fprog *out, bool notify)
{
	if (notify) {
		out->filter = (struct sock_filter *)sbx_bpf_notify;
		out->len = sizeof(sbx_bpf_notify) / sizeof(sbx_bpf_notify[0]);
	} else {
		out->filter = (struct sock_filter *)sbx_bpf_plain;
		out->len = sizeof(sbx_bpf_plain) / sizeof(sbx_bpf_plain[0]);
	}
}
