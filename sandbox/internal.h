/*
 * internal.h - interfaces between the modules of libsandbox.  Not installed,
 * not stable; the public interface is sandbox.h.
 */
#ifndef RUNPAD_SANDBOX_INTERNAL_H
#define RUNPAD_SANDBOX_INTERNAL_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox.h"

/* ---------------------------------------------------------------- cgroups */

/*
 * One slot's cgroup.  v1: a directory per controller (memory, pids,
 * cpuacct), each an open directory fd.  v2: the slot directory and, per
 * stage, a fresh leaf "run" below it (so memory.peak starts at zero).
 * All fds are O_CLOEXEC and owned by the struct.
 */
struct sbx_cgroup {
	enum sbx_cgroup_mode mode;
	int mem_fd;      /* v1 memory dir | v2 slot dir */
	int pids_fd;     /* v1 pids dir | -1 */
	int cpu_fd;      /* v1 cpuacct dir | -1 */
	int leaf_fd;     /* v2: the stage leaf, while a stage runs */
	int lock_fd;     /* directory fd the slot lock (flock) is taken on */
	int tasks_fd[3]; /* v1: the slot's "tasks" files, open for writing, so
			    init can move itself (see sbx_cg_self_attach) */
	/* counters read before a stage, to compute deltas (v1) */
	uint64_t oom_before;
	uint64_t pids_max_before;
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

int sbx_cg_slot_open(const struct sbx_cgroup_root *root, unsigned slot,
                     struct sbx_cgroup *cg, char *err, size_t errlen);
void sbx_cg_slot_close(struct sbx_cgroup *cg);

/* Before a stage: set limits, reset counters (v1) or make the leaf (v2). */
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

struct sbx_cg_usage {
	uint64_t cpu_ns;
	uint64_t memory_peak;
	bool oom_killed;
	bool memory_hit;
	bool pids_hit;
};
/* After a stage: gather the counters and (v2) remove the leaf. */
void sbx_cg_stage_end(struct sbx_cgroup *cg, struct sbx_cg_usage *u);

/* Parsers of cgroup files, exposed for tests: the value of `key` in a
   "key value" per line file (memory.events, cpu.stat, oom_control). */
int sbx_cg_parse_keyed(const char *text, const char *key, uint64_t *out);

/* ---------------------------------------------------------------- seccomp */

/* Build the filter once; the program is owned by the caller, free with
   sbx_seccomp_free().  Returns 0 or -errno with err. */
int sbx_seccomp_build(struct sock_fprog *prog, char *err, size_t errlen);
void sbx_seccomp_free(struct sock_fprog *prog);

#endif
