/*
 * internal.h - interfaces between the modules of libsandbox.  Not installed,
 * not stable; the public interface is sandbox.h.
 */
#ifndef RUNPAD_SANDBOX_INTERNAL_H
#define RUNPAD_SANDBOX_INTERNAL_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox.h"

/* CLOCK_MONOTONIC in ns (jail.c) */
uint64_t sbx_now_ns(void);

/* ---------------------------------------------------------------- cgroups */

/*
 * One slot's cgroup.  v1: a directory per controller (memory, pids,
 * cpuacct); v2: one slot directory.  Each stage runs in a fresh leaf "run"
 * below the slot's directory (on v1, one per controller), made before the
 * stage and removed after it: every counter starts at zero, no charge a
 * run leaves (page cache, dentries, tmpfs pages of the box) is counted in
 * the next stage, and a small limit never meets a stale usage (EBUSY).
 * All fds are O_CLOEXEC and owned by the struct.
 */
enum { SBX_CG_MEM = 0, SBX_CG_PIDS = 1, SBX_CG_CPU = 2, SBX_CG_N = 3 };

struct sbx_cgroup {
	enum sbx_cgroup_mode mode;
	int slot_fd[SBX_CG_N];    /* v1: the slot dir per controller;
				   v2: [SBX_CG_MEM] the slot dir, others -1 */
	int leaf_fd[SBX_CG_N];    /* the stage's leaves, while a stage runs */
	int tasks_fd[SBX_CG_N];   /* v1: the leaves' "tasks" files, open for
				   writing, so init can move itself (see
				   sbx_cg_self_attach) */
	int lock_fd;              /* directory fd the slot lock (flock) is on */
	int stat_fd;              /* the stage leaf's memory.stat, while a stage
				   runs (sampled: sbx_cg_sample) */
	uint64_t memory_limit;    /* the stage's, for the v1 limit-hit rule */
	uint64_t own_peak;        /* the largest sample of the stage's own
				   memory so far (see sbx_cg_own_parse) */
	int usage_fd;             /* the leaf's whole charge (v2 memory.current,
				   v1 memory.usage_in_bytes): one counter,
				   cheap to read, gating the memory.stat read */
	uint64_t stat_usage;      /* that charge at the last memory.stat read */
	uint64_t stat_ns;         /* when that read was (CLOCK_MONOTONIC) */
	uint64_t own_last;        /* what it found */
	unsigned long stat_reads; /* memory.stat reads this stage */
};
/* Where the cgroup trees are, found once per context. */
struct sbx_cgroup_root {
	enum sbx_cgroup_mode mode;
	int v1_mem, v1_pids, v1_cpu; /* parent dir fds (v1) or -1 */
	int v2_parent;               /* parent dir fd (v2) or -1 */
	char detail[256];            /* what was found, for --check */
	char controllers[128];
};

/* Detect and open the parent of the slot cgroups; creates `parent` when it
   does not exist.  Returns 0, or -errno with err saying what is missing. */
int sbx_cg_root_open(struct sbx_cgroup_root *root, const char *parent,
                     char *err, size_t errlen);
void sbx_cg_root_close(struct sbx_cgroup_root *root);
/* Describe the host without creating anything (for --check). */
void sbx_cg_probe(enum sbx_cgroup_mode *mode, char *controllers, size_t clen,
                  char *detail, size_t dlen);

/* Mark every fd of cg closed (-1): before sbx_cg_slot_open, and for slots
   that have no cgroup. */
void sbx_cg_slot_init(struct sbx_cgroup *cg);
int sbx_cg_slot_open(const struct sbx_cgroup_root *root, unsigned slot,
                     struct sbx_cgroup *cg, char *err, size_t errlen);
void sbx_cg_slot_close(struct sbx_cgroup *cg);

/* Before a stage: make the stage's leaves and set their limits. */
int sbx_cg_stage_begin(struct sbx_cgroup *cg, const struct sbx_limits *l,
                       char *err, size_t errlen);
/* Move pid into the stage's cgroup (from outside: the slow path). */
int sbx_cg_attach(struct sbx_cgroup *cg, pid_t pid);

/*
 * v1: called by a single-threaded child to move itself, by writing "0" to
 * each "tasks" fd.  A thread moving itself skips the global
 * cgroup_threadgroup_rwsem, whose write side waits for an RCU grace period
 * (about 10 ms) on every migration from outside.  Only system calls: safe
 * after clone() in a threaded process.  Returns 0 or -errno.
 */
int sbx_cg_self_attach(const struct sbx_cgroup *cg);

/* v2: the fd to pass to clone3(CLONE_INTO_CGROUP) for the stage, or -1. */
int sbx_cg_clone_fd(const struct sbx_cgroup *cg);
/* Kill everything in the stage's cgroup (v2 cgroup.kill; v1: SIGKILL each
   pid listed, pid-namespace teardown does the rest). */
void sbx_cg_kill(struct sbx_cgroup *cg);
/* CPU used by the stage so far, in ns; 0 if unknown. */
uint64_t sbx_cg_cpu_ns(const struct sbx_cgroup *cg);

/*
 * Sample the stage's own memory now and keep the largest sample in
 * cg->own_peak; returns the sample (0 when it cannot be read).  The
 * supervisor calls it on a timer and when a process of the stage calls
 * exit_group (its memory is still whole then).  memory.stat is costly to
 * generate (the kernel sums every counter over every CPU): it is read
 * only when the leaf's whole charge, one cheap counter that the own
 * memory never exceeds, has moved by more than SBX_CG_SAMPLE_SLACK since
 * the last read, or SBX_CG_SAMPLE_MAX_NS have passed (for page cache
 * reclaimed into anonymous memory at an unchanged charge); otherwise the
 * last sample stands.
 */
#define SBX_CG_SAMPLE_SLACK  (64u << 10)
#define SBX_CG_SAMPLE_MAX_NS 50000000ull
uint64_t sbx_cg_sample(struct sbx_cgroup *cg);

struct sbx_cg_usage {
	uint64_t cpu_ns;
	uint64_t memory_peak; /* the stage's own peak: see sbx_cg_own_parse */
	bool oom_killed;
	bool memory_hit;
	bool pids_hit;
};
/* After a stage: gather the leaves' counters and remove the leaves. */
void sbx_cg_stage_end(struct sbx_cgroup *cg, struct sbx_cg_usage *u);

/* Parsers of cgroup files, exposed for tests: the value of `key` in a
   "key value" per line file (memory.events, cpu.stat, oom_control). */
int sbx_cg_parse_keyed(const char *text, const char *key, uint64_t *out);
/*
 * A stage's own memory from its leaf's memory.stat text: anonymous memory
 * and tmpfs/shared memory (v1 "rss" + "shmem", v2 "anon" + "shmem") plus,
 * on v2, the kernel memory charged to it that the kernel cannot reclaim
 * ("kernel" less "slab_reclaimable": page tables, stacks, pipe and socket
 * buffers).  Left out: the page cache of files the stage read, and the
 * dentries and inodes of its lookups.  They belong to whichever cgroup
 * first touched a file, the kernel reclaims them at will, and counting them
 * made the figure depend on what ran before (a program that walks a tree
 * fills any limit with them).  v1 does not split kernel memory into what
 * can be reclaimed and what cannot, so there kmem is left out whole (it
 * still counts towards the limit).  Returns 0, or -EINVAL when a needed
 * key is missing.
 */
int sbx_cg_own_parse(enum sbx_cgroup_mode mode, const char *memstat,
                     uint64_t *out);

/* ---------------------------------------------------------------- seccomp */

/* The table the filter is built from (seccomp.c), exposed so the unit
   tests can check it. */
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

/* Build the filter once; the program is owned by the caller, free with
   sbx_seccomp_free().  notify_exit: exit_group and sysinfo go to a
   user-notification listener (SECCOMP_RET_USER_NOTIF) instead of straight
   through, so the supervisor can sample the stage's memory while the
   process is whole, and answer sysinfo with the jail's figures (the filter
   must then be loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER).
   Returns 0 or -errno with err. */
int sbx_seccomp_build(struct sock_fprog *prog, bool notify_exit, char *err,
                      size_t errlen);
void sbx_seccomp_free(struct sock_fprog *prog);
/* The filters as built into the library (filter.c): static, never freed.
   notify: the variant of sbx_seccomp_build(..., true, ...). */
void sbx_seccomp_program(struct sock_fprog *out, bool notify);

#endif
