/* bpf - BPF_MAP_CREATE and BPF_PROG_LOAD.  Expected: EPERM for each. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

int main(void)
{
	struct bpf_insn prog[2];
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	report("bpf BPF_MAP_CREATE",
	       syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)));

	memset(prog, 0, sizeof(prog));
	prog[0].code = BPF_ALU64 | BPF_MOV | BPF_K; /* r0 = 0 */
	prog[1].code = BPF_JMP | BPF_EXIT;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (unsigned long)prog;
	a.insn_cnt = 2;
	a.license = (unsigned long)"GPL";
	report("bpf BPF_PROG_LOAD",
	       syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a)));
	return 0;
}
