/*
 * seccomp.c - the system call filter every jailed program runs under.
 *
 * An allow-list, after Docker's default profile (moby
 * profiles/seccomp/default.json, x86_64 only): the calls a language runtime
 * needs are allowed, each named below with why; every other call, and so
 * every call newer than this table, fails with ENOSYS, which is what
 * runtimes probe for and fall back on.  The jail's real walls are the
 * namespaces, the unprivileged uid, the dropped capabilities and the
 * cgroups; this filter keeps a program off the kernel surface it never
 * needs, the surface most container escapes and local privilege
 * escalations of the last decade went through.  Calls refused on purpose
 * are listed too, with their errno: EPERM ("not for you"), or ENOSYS where
 * runtimes fall back on it (clone3, io_uring, Linux AIO, inotify).
 * Any system call of a foreign architecture (i386 `int 0x80`, x32) kills
 * the process: its numbers mean different calls, and the table is written
 * for the native one only.
 *
 * The filter is compiled once per context with libseccomp and exported as
 * classic BPF, so the child loads it with one prctl() and no allocation.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/personality.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Rows: {name, 0 (allowed) or the errno, argument check}. */
#define ANY SBX_SC_ANY

const struct sbx_sc_rule sbx_sc_rules[] = {
        /* ---- allowed ---------------------------------------------------- */
        /* memory */
        {"brk", 0, ANY},           /* the classic heap */
        {"mmap", 0, ANY},          /* heaps, stacks, libraries, JIT code */
        {"munmap", 0, ANY},        /* give mappings back */
        {"mremap", 0, ANY},        /* grow a mapping (realloc of big blocks) */
        {"mprotect", 0, ANY},      /* JITs, guard pages, RELRO */
        {"madvise", 0, ANY},       /* GCs return and prefetch pages */
        {"mincore", 0, ANY},       /* residency of own pages (GC, allocators) */
        {"msync", 0, ANY},         /* flush a file mapping */
        {"mlock", 0, ANY},         /* pin pages, within RLIMIT_MEMLOCK */
        {"mlock2", 0, ANY},        /* same */
        {"munlock", 0, ANY},       /* same */
        {"mlockall", 0, ANY},      /* same */
        {"munlockall", 0, ANY},    /* same */
        {"membarrier", 0, ANY},    /* cross-thread barriers (JVM, .NET, urcu) */
        {"memfd_create", 0, ANY},  /* anonymous files: JIT double maps, shm */
        {"pkey_alloc", 0, ANY},    /* memory protection keys (JIT W^X) */
        {"pkey_free", 0, ANY},     /* same */
        {"pkey_mprotect", 0, ANY}, /* same */
        /* processes and threads */
        {"execve", 0, ANY},   /* run a program (the jail's own exec too) */
        {"execveat", 0, ANY}, /* same, from an fd (fexecve) */
        {"fork", 0, ANY},     /* new process */
        {"vfork", 0, ANY},    /* new process, posix_spawn */
        {"clone", 0, SBX_SC_CLONE},  /* threads, processes; no new namespaces */
        {"exit", 0, ANY},            /* end a thread */
        {"exit_group", 0, ANY},      /* end the process */
        {"wait4", 0, ANY},           /* reap children */
        {"waitid", 0, ANY},          /* same */
        {"set_tid_address", 0, ANY}, /* thread start (libc) */
        {"set_robust_list", 0, ANY}, /* robust futexes (libc thread start) */
        {"get_robust_list", 0, ANY}, /* same */
        {"futex", 0, ANY},           /* locks, condition variables, joins */
        {"futex_waitv", 0, ANY},     /* wait on several futexes (Wine, games) */
        {"rseq", 0, ANY},       /* restartable sequences (glibc registers) */
        {"arch_prctl", 0, ANY}, /* TLS base (FS/GS), CPUID faulting query */
        {"prctl", 0, ANY},      /* thread names, PDEATHSIG, own seccomp */
        {"personality", 0, SBX_SC_PERSONA}, /* query, linux32, setarch -R */
        {"seccomp", 0, ANY}, /* stack a filter of its own: only narrows */
        {"landlock_create_ruleset", 0, ANY}, /* self-sandboxing: only narrows */
        {"landlock_add_rule", 0, ANY},       /* same */
        {"landlock_restrict_self", 0, ANY},  /* same */
        {"restart_syscall", 0, ANY},         /* resume a call after a signal */
        {"getpid", 0, ANY},                  /* ids of its own processes */
        {"getppid", 0, ANY},                 /* same */
        {"gettid", 0, ANY},                  /* same */
        {"getpgid", 0, ANY},                 /* same */
        {"getpgrp", 0, ANY},                 /* same */
        {"getsid", 0, ANY},                  /* same */
        {"setpgid", 0, ANY},                 /* job control of shells */
        {"setsid", 0, ANY},                  /* daemonizing, shells */
        {"pidfd_open", 0, ANY}, /* race-free child handles (Python, Go) */
        {"pidfd_send_signal", 0, ANY}, /* signal through a pidfd */
        {"process_mrelease", 0, ANY},  /* free a killed child's memory sooner */
        /* credentials: without capabilities, only among its own ids */
        {"getuid", 0, ANY},    /* who am I */
        {"geteuid", 0, ANY},   /* same */
        {"getgid", 0, ANY},    /* same */
        {"getegid", 0, ANY},   /* same */
        {"getresuid", 0, ANY}, /* same */
        {"getresgid", 0, ANY}, /* same */
        {"getgroups", 0, ANY}, /* same */
        {"setuid", 0, ANY},    /* drop to ids it already has */
        {"setgid", 0, ANY},    /* same */
        {"setreuid", 0, ANY},  /* same */
        {"setregid", 0, ANY},  /* same */
        {"setresuid", 0, ANY}, /* same */
        {"setresgid", 0, ANY}, /* same */
        {"setfsuid", 0, ANY},  /* same */
        {"setfsgid", 0, ANY},  /* same */
        {"setgroups", 0, ANY}, /* fails without CAP_SETGID */
        {"capget", 0, ANY},    /* read its (empty) capability sets */
        {"capset", 0, ANY},    /* can only drop what it does not have */
        /* resources, scheduling, system facts */
        {"getrlimit", 0, ANY},   /* limits: read */
        {"setrlimit", 0, ANY},   /* lower a limit (hard limits are fixed) */
        {"prlimit64", 0, ANY},   /* both, for itself or its children */
        {"getrusage", 0, ANY},   /* CPU and memory used */
        {"getpriority", 0, ANY}, /* nice value */
        {"setpriority", 0, ANY}, /* only nicer without CAP_SYS_NICE */
        {"sched_yield", 0, ANY}, /* spin locks, GCs */
        {"sched_getaffinity", 0, ANY}, /* CPU count (nproc, JVM, Go, .NET) */
        {"sched_setaffinity", 0,
         ANY},                      /* pin threads, within the cgroup's CPUs */
        {"sched_getattr", 0, ANY},  /* scheduling policy: read */
        {"sched_setattr", 0, ANY},  /* only weaker without CAP_SYS_NICE */
        {"sched_getparam", 0, ANY}, /* same */
        {"sched_setparam", 0, ANY}, /* same */
        {"sched_getscheduler", 0, ANY},     /* same */
        {"sched_setscheduler", 0, ANY},     /* same */
        {"sched_get_priority_max", 0, ANY}, /* same */
        {"sched_get_priority_min", 0, ANY}, /* same */
        {"sched_rr_get_interval", 0, ANY},  /* same */
        {"ioprio_get", 0, ANY},             /* I/O priority */
        {"ioprio_set", 0, ANY}, /* only lower without CAP_SYS_ADMIN */
        {"getcpu", 0, ANY},     /* current CPU and node (sched_getcpu) */
        {"sysinfo", 0, ANY},    /* memory size, uptime (runtimes size heaps) */
        {"uname", 0, ANY},      /* kernel name and version */
        {"getrandom", 0, ANY},  /* randomness: hash seeds, crypto */
        /* signals */
        {"rt_sigaction", 0, ANY},      /* install handlers */
        {"rt_sigprocmask", 0, ANY},    /* block and unblock */
        {"rt_sigreturn", 0, ANY},      /* return from a handler */
        {"rt_sigpending", 0, ANY},     /* pending set */
        {"rt_sigsuspend", 0, ANY},     /* wait for a signal */
        {"rt_sigtimedwait", 0, ANY},   /* same, synchronously (sigwait) */
        {"rt_sigqueueinfo", 0, ANY},   /* sigqueue */
        {"rt_tgsigqueueinfo", 0, ANY}, /* same, to a thread */
        {"sigaltstack", 0, ANY}, /* stack-overflow handlers (Go, Rust, JVM) */
        {"kill", 0, ANY},        /* own processes only (uid, pid namespace) */
        {"tkill", 0, ANY},       /* same, a thread */
        {"tgkill", 0, ANY},      /* same, a thread (GC safepoints, Go) */
        {"signalfd", 0, ANY},    /* signals as a file descriptor */
        {"signalfd4", 0, ANY},   /* same */
        {"pause", 0, ANY},       /* wait for a signal */
        {"alarm", 0, ANY},       /* SIGALRM timer */
        /* time (reading the clock and sleeping; setting it is refused below) */
        {"clock_gettime", 0, ANY},    /* clocks (vDSO fallback) */
        {"clock_getres", 0, ANY},     /* same */
        {"gettimeofday", 0, ANY},     /* same */
        {"time", 0, ANY},             /* same */
        {"times", 0, ANY},            /* process times (clock()) */
        {"clock_nanosleep", 0, ANY},  /* sleep */
        {"nanosleep", 0, ANY},        /* same */
        {"getitimer", 0, ANY},        /* interval timers (profilers, alarm) */
        {"setitimer", 0, ANY},        /* same */
        {"timer_create", 0, ANY},     /* POSIX timers (Go, JVM, profilers) */
        {"timer_delete", 0, ANY},     /* same */
        {"timer_gettime", 0, ANY},    /* same */
        {"timer_settime", 0, ANY},    /* same */
        {"timer_getoverrun", 0, ANY}, /* same */
        {"timerfd_create", 0, ANY},   /* timers as fds (event loops) */
        {"timerfd_gettime", 0, ANY},  /* same */
        {"timerfd_settime", 0, ANY},  /* same */
        /* file descriptors and I/O */
        {"read", 0, ANY},           /* stdin, files, pipes */
        {"write", 0, ANY},          /* stdout, stderr, files */
        {"readv", 0, ANY},          /* scatter/gather I/O */
        {"writev", 0, ANY},         /* same */
        {"pread64", 0, ANY},        /* positioned I/O (ELF loading, JARs) */
        {"pwrite64", 0, ANY},       /* same */
        {"preadv", 0, ANY},         /* same */
        {"pwritev", 0, ANY},        /* same */
        {"preadv2", 0, ANY},        /* same, with flags */
        {"pwritev2", 0, ANY},       /* same */
        {"lseek", 0, ANY},          /* file offsets */
        {"close", 0, ANY},          /* release an fd */
        {"close_range", 0, ANY},    /* close many fds before exec */
        {"dup", 0, ANY},            /* redirections */
        {"dup2", 0, ANY},           /* same */
        {"dup3", 0, ANY},           /* same */
        {"fcntl", 0, ANY},          /* fd flags, record locks */
        {"flock", 0, ANY},          /* file locks (package caches, compilers) */
        {"ioctl", 0, SBX_SC_IOCTL}, /* terminals, FIONREAD; no TIOCSTI/LINUX */
        {"fsync", 0, ANY},          /* flush a file */
        {"fdatasync", 0, ANY},      /* same */
        {"sync_file_range", 0, ANY}, /* same, a range */
        {"syncfs", 0, ANY},          /* same, its filesystem */
        {"sync", 0, ANY},            /* same, all (coreutils sync) */
        {"fallocate", 0, ANY},       /* reserve file space (linkers) */
        {"ftruncate", 0, ANY},       /* resize a file */
        {"truncate", 0, ANY},        /* same, by path */
        {"fadvise64", 0, ANY},       /* access-pattern hints */
        {"readahead", 0, ANY},       /* same */
        {"sendfile", 0, ANY},        /* in-kernel copies (cp, servers) */
        {"copy_file_range", 0, ANY}, /* same */
        {"splice", 0, ANY},          /* same, through pipes */
        {"tee", 0, ANY},             /* same */
        {"vmsplice", 0, ANY},        /* same, from memory */
        {"pipe", 0, ANY},            /* pipes between processes */
        {"pipe2", 0, ANY},           /* same, with flags */
        /* files: paths and metadata (the mounts decide what is writable) */
        {"open", 0, ANY},         /* open files */
        {"openat", 0, ANY},       /* same */
        {"openat2", 0, ANY},      /* same, with resolve flags */
        {"creat", 0, ANY},        /* same */
        {"access", 0, ANY},       /* permission checks */
        {"faccessat", 0, ANY},    /* same */
        {"faccessat2", 0, ANY},   /* same */
        {"stat", 0, ANY},         /* file metadata */
        {"fstat", 0, ANY},        /* same */
        {"lstat", 0, ANY},        /* same */
        {"newfstatat", 0, ANY},   /* same */
        {"statx", 0, ANY},        /* same */
        {"statfs", 0, ANY},       /* filesystem facts (free space, type) */
        {"fstatfs", 0, ANY},      /* same */
        {"getdents", 0, ANY},     /* list a directory */
        {"getdents64", 0, ANY},   /* same */
        {"getcwd", 0, ANY},       /* working directory */
        {"chdir", 0, ANY},        /* same */
        {"fchdir", 0, ANY},       /* same */
        {"mkdir", 0, ANY},        /* build trees in /box and /tmp */
        {"mkdirat", 0, ANY},      /* same */
        {"rmdir", 0, ANY},        /* same */
        {"unlink", 0, ANY},       /* same */
        {"unlinkat", 0, ANY},     /* same */
        {"rename", 0, ANY},       /* same */
        {"renameat", 0, ANY},     /* same */
        {"renameat2", 0, ANY},    /* same */
        {"link", 0, ANY},         /* same */
        {"linkat", 0, ANY},       /* same */
        {"symlink", 0, ANY},      /* same */
        {"symlinkat", 0, ANY},    /* same */
        {"readlink", 0, ANY},     /* /proc/self/exe, symlinks */
        {"readlinkat", 0, ANY},   /* same */
        {"chmod", 0, ANY},        /* modes of its own files */
        {"fchmod", 0, ANY},       /* same */
        {"fchmodat", 0, ANY},     /* same */
        {"chown", 0, ANY},        /* same, owners (no capabilities) */
        {"fchown", 0, ANY},       /* same */
        {"lchown", 0, ANY},       /* same */
        {"fchownat", 0, ANY},     /* same */
        {"umask", 0, ANY},        /* default modes */
        {"utime", 0, ANY},        /* file times (make, tar) */
        {"utimes", 0, ANY},       /* same */
        {"utimensat", 0, ANY},    /* same */
        {"futimesat", 0, ANY},    /* same */
        {"mknod", 0, ANY},        /* FIFOs; device nodes need CAP_MKNOD */
        {"mknodat", 0, ANY},      /* same */
        {"getxattr", 0, ANY},     /* extended attributes (ls, cp -a) */
        {"lgetxattr", 0, ANY},    /* same */
        {"fgetxattr", 0, ANY},    /* same */
        {"listxattr", 0, ANY},    /* same */
        {"llistxattr", 0, ANY},   /* same */
        {"flistxattr", 0, ANY},   /* same */
        {"setxattr", 0, ANY},     /* same, user.* on its own files */
        {"lsetxattr", 0, ANY},    /* same */
        {"fsetxattr", 0, ANY},    /* same */
        {"removexattr", 0, ANY},  /* same */
        {"lremovexattr", 0, ANY}, /* same */
        {"fremovexattr", 0, ANY}, /* same */
        /* waiting for events */
        {"poll", 0, ANY},          /* event loops */
        {"ppoll", 0, ANY},         /* same */
        {"select", 0, ANY},        /* same */
        {"pselect6", 0, ANY},      /* same */
        {"epoll_create", 0, ANY},  /* same (libuv, Go, JVM NIO, asyncio) */
        {"epoll_create1", 0, ANY}, /* same */
        {"epoll_ctl", 0, ANY},     /* same */
        {"epoll_wait", 0, ANY},    /* same */
        {"epoll_pwait", 0, ANY},   /* same */
        {"epoll_pwait2", 0, ANY},  /* same */
        {"eventfd", 0, ANY},       /* wake-ups between threads */
        {"eventfd2", 0, ANY},      /* same */
        /* System V and POSIX IPC, in the stage's own IPC namespace */
        {"shmget", 0, ANY},          /* shared memory */
        {"shmat", 0, ANY},           /* same */
        {"shmdt", 0, ANY},           /* same */
        {"shmctl", 0, ANY},          /* same */
        {"semget", 0, ANY},          /* semaphores */
        {"semop", 0, ANY},           /* same */
        {"semtimedop", 0, ANY},      /* same */
        {"semctl", 0, ANY},          /* same */
        {"msgget", 0, ANY},          /* message queues */
        {"msgsnd", 0, ANY},          /* same */
        {"msgrcv", 0, ANY},          /* same */
        {"msgctl", 0, ANY},          /* same */
        {"mq_open", 0, ANY},         /* POSIX message queues */
        {"mq_unlink", 0, ANY},       /* same */
        {"mq_timedsend", 0, ANY},    /* same */
        {"mq_timedreceive", 0, ANY}, /* same */
        {"mq_notify", 0, ANY},       /* same */
        {"mq_getsetattr", 0, ANY},   /* same */
        /* sockets: AF_UNIX only (local IPC inside the box); the network
	   namespace is empty anyway, this is a second wall */
        {"socket", 0, SBX_SC_UNIX},     /* other families: EPERM */
        {"socketpair", 0, SBX_SC_UNIX}, /* same */
        {"bind", 0, ANY},               /* servers between its own processes */
        {"listen", 0, ANY},             /* same */
        {"accept", 0, ANY},             /* same */
        {"accept4", 0, ANY},            /* same */
        {"connect", 0, ANY},            /* same */
        {"shutdown", 0, ANY},           /* same */
        {"getsockname", 0, ANY},        /* same */
        {"getpeername", 0, ANY},        /* same */
        {"getsockopt", 0, ANY},         /* same */
        {"setsockopt", 0, ANY},         /* same */
        {"sendto", 0, ANY},             /* same */
        {"recvfrom", 0, ANY},           /* same */
        {"sendmsg", 0, ANY},            /* same, with fds (SCM_RIGHTS) */
        {"recvmsg", 0, ANY},            /* same */
        {"sendmmsg", 0, ANY},           /* same */
        {"recvmmsg", 0, ANY},           /* same */

        /* ---- refused ---------------------------------------------------- */
        /* reading or steering another process: the classic sandbox escape */
        {"ptrace", EPERM, ANY},
        {"process_vm_readv", EPERM, ANY},  /* reads another process's memory */
        {"process_vm_writev", EPERM, ANY}, /* writes another process's memory */
        {"pidfd_getfd", EPERM, ANY},       /* steals a file descriptor */
        {"kcmp", EPERM, ANY}, /* probes other processes' kernel objects */
        /* the filesystem view is the jail's to build, not the program's */
        {"mount", EPERM, ANY},
        {"umount2", EPERM, ANY},
        {"pivot_root", EPERM, ANY},
        {"chroot", EPERM, ANY},
        {"fsopen", EPERM, ANY},        /* new mount API: same power as mount */
        {"fsconfig", EPERM, ANY},      /* new mount API */
        {"fsmount", EPERM, ANY},       /* new mount API */
        {"fspick", EPERM, ANY},        /* new mount API */
        {"move_mount", EPERM, ANY},    /* new mount API */
        {"open_tree", EPERM, ANY},     /* new mount API: clones mounts */
        {"mount_setattr", EPERM, ANY}, /* would flip ro/nosuid on its mounts */
        /* namespaces: new user namespaces are the door to most kernel bugs */
        {"unshare", EPERM, ANY},
        {"setns", EPERM, ANY},
        /* clone3 passes flags in memory seccomp cannot read; ENOSYS makes
	   glibc fall back to clone(), whose flags are checked */
        {"clone3", ENOSYS, ANY},
        /* kernel keyrings: shared kernel state, a history of use-after-frees */
        {"keyctl", EPERM, ANY},
        {"add_key", EPERM, ANY},
        {"request_key", EPERM, ANY},
        /* eBPF and perf: large attack surface, kernel address leaks */
        {"bpf", EPERM, ANY},
        {"perf_event_open", EPERM, ANY},
        /* userfaultfd stretches kernel race windows for exploits */
        {"userfaultfd", EPERM, ANY},
        /* io_uring bypasses per-syscall filtering; ENOSYS makes runtimes
	   fall back to plain I/O */
        {"io_uring_setup", ENOSYS, ANY},
        {"io_uring_enter", ENOSYS, ANY},
        {"io_uring_register", ENOSYS, ANY},
        /* Linux AIO: one io_setup can take all of the host-wide
	   fs.aio-max-nr; ENOSYS makes libaio users fall back to threads */
        {"io_setup", ENOSYS, ANY},
        {"io_submit", ENOSYS, ANY},
        {"io_getevents", ENOSYS, ANY},
        {"io_pgetevents", ENOSYS, ANY},
        {"io_cancel", ENOSYS, ANY},
        {"io_destroy", ENOSYS, ANY},
        /* inotify: marks on the shared read-only root's inodes report the
	   host's and other runs' activity; ENOSYS makes watchers poll */
        {"inotify_init", ENOSYS, ANY},
        {"inotify_init1", ENOSYS, ANY},
        {"inotify_add_watch", ENOSYS, ANY},
        {"inotify_rm_watch", ENOSYS, ANY},
        /* loading kernels and modules */
        {"kexec_load", EPERM, ANY},
        {"kexec_file_load", EPERM, ANY},
        {"init_module", EPERM, ANY},
        {"finit_module", EPERM, ANY},
        {"delete_module", EPERM, ANY},
        /* host-wide administration */
        {"reboot", EPERM, ANY},
        {"swapon", EPERM, ANY},
        {"swapoff", EPERM, ANY},
        {"acct", EPERM, ANY}, /* process accounting to a file */
        {"quotactl", EPERM, ANY},
        {"quotactl_fd", EPERM, ANY},
        {"syslog", EPERM, ANY}, /* kernel log: addresses, host activity */
        {"vhangup", EPERM, ANY},
        {"iopl", EPERM, ANY},   /* raw I/O port access */
        {"ioperm", EPERM, ANY}, /* raw I/O port access */
        {"sethostname", EPERM, ANY},
        {"setdomainname", EPERM, ANY},
        /* file handles bypass path permissions (the "shocker" escape) */
        {"name_to_handle_at", EPERM, ANY},
        {"open_by_handle_at", EPERM, ANY},
        /* secret memory is unreadable to the supervisor and the kernel's
	   accounting; no program here needs it */
        {"memfd_secret", EPERM, ANY},
        /* the clock is the host's */
        {"clock_settime", EPERM, ANY},
        {"clock_adjtime", EPERM, ANY},
        {"settimeofday", EPERM, ANY},
        {"adjtimex", EPERM, ANY},
        /* NUMA page moves act on other processes and on host memory policy */
        {"migrate_pages", EPERM, ANY},
        {"move_pages", EPERM, ANY},
        /* fanotify watches the whole mount; needs privilege anyway */
        {"fanotify_init", EPERM, ANY},
        /* obsolete calls with a history of bugs */
        {"uselib", EPERM, ANY},
        {"lookup_dcookie", EPERM, ANY},
        {"nfsservctl", EPERM, ANY},
};
const size_t sbx_sc_nrules = sizeof(sbx_sc_rules) / sizeof(sbx_sc_rules[0]);

#define ALLOW SCMP_ACT_ALLOW
#define DENY  SCMP_ACT_ERRNO(EPERM)

/* Namespace flags refused in clone(). */
static const uint64_t clone_ns_flags[] = {
        CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
        CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};
#define CLONE_NS_MASK                                                          \
	(uint64_t)(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
	           CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

/* personality() values allowed: Docker's (query 0xffffffff, PER_LINUX,
   PER_LINUX32 for `linux32`, UNAME26, both), each also with
   ADDR_NO_RANDOMIZE, which only turns off the caller's own ASLR (`setarch
   -R`; Lisps that want a fixed heap address re-exec with it).  Refused:
   READ_IMPLIES_EXEC (every mapping executable), MMAP_PAGE_ZERO (page 0
   mapped at exec, the old helper of kernel NULL-pointer exploits), foreign
   execution domains, the address-limit flags. */
static const uint32_t personas[] = {
        PER_LINUX,
        PER_LINUX32,
        UNAME26,
        PER_LINUX32 | UNAME26,
        ADDR_NO_RANDOMIZE,
        ADDR_NO_RANDOMIZE | PER_LINUX32,
        ADDR_NO_RANDOMIZE | UNAME26,
        ADDR_NO_RANDOMIZE | PER_LINUX32 | UNAME26,
        0xffffffffu,
};

static int add(scmp_filter_ctx sc, int nr, const char *name, uint32_t action,
               unsigned nargs, const struct scmp_arg_cmp *args, char *err,
               size_t errlen)
{
	int r = seccomp_rule_add_array(sc, action, nr, nargs, args);

	if (r < 0 && err)
		snprintf(err, errlen, "seccomp rule for %s: %s", name,
		         strerror(-r));
	return r;
}

/*
 * An allowed call with an argument check.  libseccomp drops every
 * conditional rule of a call that also has an unconditional one (whatever
 * the order or the actions), so each check is a set of conditional rules
 * that together cover every value.  Where one of them has to be a catch-all
 * ("a >= 0", always true), the rules it overlaps are equality tests of the
 * same argument: libseccomp orders the nodes of one level equality tests
 * first, range tests last (_db_chain_lt in its db.c), so the catch-all only
 * sees what the equality tests did not take.  tests/unit/sandbox/test_seccomp.c
 * runs the exported BPF to hold it to that.
 */
static int add_checked(scmp_filter_ctx sc, int nr, const char *name,
                       enum sbx_sc_check check, char *err, size_t errlen)
{
	struct scmp_arg_cmp a;
	int r = 0;

	switch (check) {
	case SBX_SC_ANY:
		return add(sc, nr, name, ALLOW, 0, NULL, err, errlen);
	case SBX_SC_CLONE:
		/* no namespace flag: allowed; any one of them: refused */
		a = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NS_MASK, 0);
		r = add(sc, nr, name, ALLOW, 1, &a, err, errlen);
		for (size_t i = 0;
		     r == 0 &&
		     i < sizeof(clone_ns_flags) / sizeof(*clone_ns_flags);
		     i++) {
			a = SCMP_A0(SCMP_CMP_MASKED_EQ, clone_ns_flags[i],
			            clone_ns_flags[i]);
			r = add(sc, nr, name, DENY, 1, &a, err, errlen);
		}
		return r;
	case SBX_SC_UNIX:
		a = SCMP_A0(SCMP_CMP_EQ, AF_UNIX);
		r = add(sc, nr, name, ALLOW, 1, &a, err, errlen);
		if (r == 0) {
			a = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
			r = add(sc, nr, name, DENY, 1, &a, err, errlen);
		}
		return r;
	case SBX_SC_IOCTL:
		/* the kernel reads the request as 32 bits: compare those */
		a = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI);
		r = add(sc, nr, name, DENY, 1, &a, err, errlen);
		if (r == 0) {
			a = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX);
			r = add(sc, nr, name, DENY, 1, &a, err, errlen);
		}
		if (r == 0) {
			a = SCMP_A1(SCMP_CMP_GE, 0);
			r = add(sc, nr, name, ALLOW, 1, &a, err, errlen);
		}
		return r;
	case SBX_SC_PERSONA:
		/* an unsigned int to the kernel, too */
		for (size_t i = 0;
		     r == 0 && i < sizeof(personas) / sizeof(*personas); i++) {
			a = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
			            personas[i]);
			r = add(sc, nr, name, ALLOW, 1, &a, err, errlen);
		}
		if (r == 0) {
			a = SCMP_A0(SCMP_CMP_GE, 0);
			r = add(sc, nr, name, DENY, 1, &a, err, errlen);
		}
		return r;
	}
	if (err)
		snprintf(err, errlen, "seccomp rule for %s: unknown check",
		         name);
	return -EINVAL;
}

int sbx_seccomp_build(struct sock_fprog *prog, bool notify_exit, char *err,
                      size_t errlen)
{
	scmp_filter_ctx sc;
	struct stat st;
	int fd = -1, r;
	void *buf = NULL;

	/* anything not in the table: "no such call", as on an older kernel */
	sc = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	if (!sc) {
		if (err)
			snprintf(err, errlen, "seccomp_init failed");
		return -ENOMEM;
	}
	/* foreign-architecture calls: kill, never interpret.  libseccomp
	   sends x32 numbers (nr | __X32_SYSCALL_BIT) of the native token to
	   this action too. */
	r = seccomp_attr_set(sc, SCMP_FLTATR_ACT_BADARCH,
	                     SCMP_ACT_KILL_PROCESS);
	if (r < 0)
		goto out_err;
	/* the jail sets no_new_privs itself, before loading */
	r = seccomp_attr_set(sc, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		goto out_err;
	/* find the call by binary search, not by walking ~270 numbers */
	r = seccomp_attr_set(sc, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		goto out_err;

	for (size_t i = 0; i < sbx_sc_nrules; i++) {
		const struct sbx_sc_rule *ru = &sbx_sc_rules[i];
		int nr = seccomp_syscall_resolve_name(ru->name);

		if (nr < 0)
			continue; /* not on this architecture (the unit tests
				     hold the table to x86_64) */
		if (ru->err == ENOSYS)
			continue; /* the default action already (libseccomp
				     refuses a rule that repeats it) */
		if (notify_exit && (strcmp(ru->name, "exit_group") == 0 ||
		                    strcmp(ru->name, "sysinfo") == 0))
			r = add(sc, nr, ru->name, SCMP_ACT_NOTIFY, 0, NULL, err,
			        errlen);
		else if (ru->err)
			r = add(sc, nr, ru->name, SCMP_ACT_ERRNO(ru->err), 0,
			        NULL, err, errlen);
		else
			r = add_checked(sc, nr, ru->name, ru->check, err,
			                errlen);
		if (r < 0)
			goto out_free;
	}

	fd = memfd_create("runpad-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out_err;
	}
	r = seccomp_export_bpf(sc, fd);
	if (r < 0)
		goto out_err;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size % (off_t)sizeof(struct sock_filter) ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		r = -EIO;
		goto out_err;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		r = -ENOMEM;
		goto out_err;
	}
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		r = -EIO;
		goto out_err;
	}
	prog->filter = buf;
	prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	close(fd);
	seccomp_release(sc);
	return 0;

out_err:
	if (err)
		snprintf(err, errlen, "cannot build the seccomp filter: %s",
		         strerror(-r));
out_free:
	free(buf);
	if (fd >= 0)
		close(fd);
	seccomp_release(sc);
	return r;
}

void sbx_seccomp_free(struct sock_fprog *prog)
{
	if (!prog)
		return;
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}
