/*
 * seccomp.c - the system call filter every jailed program runs under.
 *
 * A deny list over a default of "allow": the jail's real walls are the
 * namespaces, the unprivileged uid, the dropped capabilities and the
 * cgroups; this filter removes the kernel surface a program in those walls
 * still reaches and never needs, the surface most container escapes and
 * local privilege escalations of the last decade went through.  Denied
 * calls fail with EPERM (ENOSYS where runtimes fall back on ENOSYS), so a
 * language runtime that probes them degrades instead of dying.
 * Any system call of a foreign architecture (i386 `int 0x80`, x32) kills
 * the process: its numbers mean different calls, and the rules below are
 * written for the native table only.
 *
 * The filter is compiled once per context with libseccomp and exported as
 * classic BPF, so the child loads it with one prctl() and no allocation.
 */
#include <errno.h>
#include <fcntl.h>
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

#define DENY  SCMP_ACT_ERRNO(EPERM)
#define NOSYS SCMP_ACT_ERRNO(ENOSYS)

struct rule {
	const char *name;
	uint32_t action;
};

/* Denied outright.  One line each on why. */
static const struct rule plain_rules[] = {
        /* reading or steering another process: the classic sandbox escape */
        {"ptrace", DENY},
        {"process_vm_readv", DENY},  /* reads another process's memory */
        {"process_vm_writev", DENY}, /* writes another process's memory */
        {"pidfd_getfd", DENY},       /* steals a file descriptor */
        {"kcmp", DENY}, /* probes other processes' kernel objects */
        /* the filesystem view is the jail's to build, not the program's */
        {"mount", DENY},
        {"umount2", DENY},
        {"pivot_root", DENY},
        {"chroot", DENY},
        {"fsopen", DENY},        /* new mount API: same power as mount */
        {"fsconfig", DENY},      /* new mount API */
        {"fsmount", DENY},       /* new mount API */
        {"fspick", DENY},        /* new mount API */
        {"move_mount", DENY},    /* new mount API */
        {"open_tree", DENY},     /* new mount API: clones mounts */
        {"mount_setattr", DENY}, /* would flip ro/nosuid on its mounts */
        /* namespaces: new user namespaces are the door to most kernel bugs */
        {"unshare", DENY},
        {"setns", DENY},
        /* clone3 passes flags in memory seccomp cannot read; ENOSYS makes
	   glibc fall back to clone(), whose flags are checked below */
        {"clone3", NOSYS},
        /* kernel keyrings: shared kernel state, a history of use-after-frees */
        {"keyctl", DENY},
        {"add_key", DENY},
        {"request_key", DENY},
        /* eBPF and perf: large attack surface, kernel address leaks */
        {"bpf", DENY},
        {"perf_event_open", DENY},
        /* userfaultfd stretches kernel race windows for exploits */
        {"userfaultfd", DENY},
        /* io_uring bypasses per-syscall filtering; ENOSYS makes runtimes
	   fall back to plain I/O */
        {"io_uring_setup", NOSYS},
        {"io_uring_enter", NOSYS},
        {"io_uring_register", NOSYS},
        /* loading kernels and modules */
        {"kexec_load", DENY},
        {"kexec_file_load", DENY},
        {"init_module", DENY},
        {"finit_module", DENY},
        {"delete_module", DENY},
        /* host-wide administration */
        {"reboot", DENY},
        {"swapon", DENY},
        {"swapoff", DENY},
        {"acct", DENY}, /* process accounting to a file */
        {"quotactl", DENY},
        {"quotactl_fd", DENY},
        {"syslog", DENY}, /* kernel log: addresses and host activity */
        {"vhangup", DENY},
        {"iopl", DENY},   /* raw I/O port access */
        {"ioperm", DENY}, /* raw I/O port access */
        {"sethostname", DENY},
        {"setdomainname", DENY},
        /* file handles bypass path permissions (the "shocker" escape) */
        {"name_to_handle_at", DENY},
        {"open_by_handle_at", DENY},
        /* secret memory is unreadable to the supervisor and the kernel's
	   accounting; no program here needs it */
        {"memfd_secret", DENY},
        /* the clock is the host's */
        {"clock_settime", DENY},
        {"clock_adjtime", DENY},
        {"settimeofday", DENY},
        {"adjtimex", DENY},
        /* NUMA page moves act on other processes and on host memory policy */
        {"migrate_pages", DENY},
        {"move_pages", DENY},
        /* fanotify watches the whole mount; needs privilege anyway */
        {"fanotify_init", DENY},
        /* obsolete calls with a history of bugs */
        {"uselib", DENY},
        {"lookup_dcookie", DENY},
        {"nfsservctl", DENY},
};

/* Namespace flags refused in clone(). */
static const uint64_t clone_ns_flags[] = {
        CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
        CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

static int add_rule(scmp_filter_ctx sc, const char *name, uint32_t action,
                    unsigned nargs, const struct scmp_arg_cmp *args, char *err,
                    size_t errlen)
{
	int nr = seccomp_syscall_resolve_name(name);
	int r;

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture or libseccomp version */
	r = seccomp_rule_add_array(sc, action, nr, nargs, args);
	if (r < 0 && err)
		snprintf(err, errlen, "seccomp rule for %s: %s", name,
		         strerror(-r));
	return r;
}

int sbx_seccomp_build(struct sock_fprog *prog, char *err, size_t errlen)
{
	scmp_filter_ctx sc;
	struct stat st;
	int fd = -1, r;
	void *buf = NULL;

	sc = seccomp_init(SCMP_ACT_ALLOW);
	if (!sc) {
		if (err)
			snprintf(err, errlen, "seccomp_init failed");
		return -ENOMEM;
	}
	/* foreign-architecture calls: kill, never interpret */
	r = seccomp_attr_set(sc, SCMP_FLTATR_ACT_BADARCH,
	                     SCMP_ACT_KILL_PROCESS);
	if (r < 0)
		goto out_err;
	/* the jail sets no_new_privs itself, before loading */
	r = seccomp_attr_set(sc, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		goto out_err;

	for (size_t i = 0; i < sizeof(plain_rules) / sizeof(plain_rules[0]);
	     i++) {
		r = add_rule(sc, plain_rules[i].name, plain_rules[i].action, 0,
		             NULL, err, errlen);
		if (r < 0)
			goto out_free;
	}

	/* clone() with any namespace flag: same reason as unshare */
	for (size_t i = 0;
	     i < sizeof(clone_ns_flags) / sizeof(clone_ns_flags[0]); i++) {
		struct scmp_arg_cmp a =
		        SCMP_A0(SCMP_CMP_MASKED_EQ, clone_ns_flags[i],
		                clone_ns_flags[i]);
		r = add_rule(sc, "clone", DENY, 1, &a, err, errlen);
		if (r < 0)
			goto out_free;
	}

	/* TIOCSTI pushes input into a terminal: the classic tty escape.
	   TIOCLINUX can do the same on a virtual console. */
	{
		struct scmp_arg_cmp a =
		        SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI);
		struct scmp_arg_cmp b =
		        SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX);
		r = add_rule(sc, "ioctl", DENY, 1, &a, err, errlen);
		if (r == 0)
			r = add_rule(sc, "ioctl", DENY, 1, &b, err, errlen);
		if (r < 0)
			goto out_free;
	}

	/* sockets: only AF_UNIX (local IPC inside the box); everything else
	   (inet, netlink, packet, vsock, ...) is refused even though the
	   network namespace is empty, as a second wall */
	{
		struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
		r = add_rule(sc, "socket", DENY, 1, &a, err, errlen);
		if (r == 0)
			r = add_rule(sc, "socketpair", DENY, 1, &a, err,
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
	    st.st_size % (off_t)sizeof(struct sock_filter)) {
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
