/* Unit tests: the seccomp filter, loaded into a forked child, and its
   exported BPF run through a small classic-BPF interpreter. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/personality.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* Run fn in a child under the filter; its exit code is fn's result. */
static int under_filter(int (*fn)(void))
{
	struct sock_fprog prog;
	char err[256];
	pid_t pid;
	int st;

	cr_assert_eq(sbx_seccomp_build(&prog, false, err, sizeof(err)), 0, "%s",
	             err);
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
			_exit(100);
		_exit(fn());
	}
	sbx_seccomp_free(&prog);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + WTERMSIG(st);
}

static int try_inet(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	return s < 0 && errno == EPERM ? 0 : 1;
}

static int try_unix(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	return s >= 0 ? 0 : 1;
}

static int try_unshare(void)
{
	return unshare(CLONE_NEWUSER) < 0 && errno == EPERM ? 0 : 1;
}

static int try_io_uring(void)
{
	long r = syscall(__NR_io_uring_setup, 1, NULL);
	return r < 0 && errno == ENOSYS ? 0 : 1;
}

static int try_clone3(void)
{
	long r = syscall(__NR_clone3, NULL, 0);
	return r < 0 && errno == ENOSYS ? 0 : 1;
}

static int try_getpid(void)
{
	return getpid() > 0 ? 0 : 1;
}

/* The new denials, on the running kernel. */
static int try_new_denials(void)
{
	unsigned long ctx = 0;

	if (syscall(__NR_io_setup, 1, &ctx) >= 0 || errno != ENOSYS)
		return 1;
	if (inotify_init1(IN_CLOEXEC) >= 0 || errno != ENOSYS)
		return 2;
	if (syscall(1000) >= 0 || errno != ENOSYS)
		return 3;
	if (syscall(458, NULL, NULL, 0, 0) >= 0 || errno != ENOSYS)
		return 4; /* listmount */
	/* TIOCSTI in the low 32 bits, garbage above: still refused */
	if (syscall(__NR_ioctl, 0, 0xdead000000000000ul | TIOCSTI, "x") >= 0 ||
	    errno != EPERM)
		return 5;
	return 0;
}

Test(seccomp, filter_builds_and_has_instructions)
{
	struct sock_fprog prog;
	char err[256];

	cr_assert_eq(sbx_seccomp_build(&prog, false, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_gt(prog.len, 20);
	sbx_seccomp_free(&prog);
	cr_assert_null(prog.filter);
}

Test(seccomp, inet_sockets_refused_unix_allowed)
{
	cr_assert_eq(under_filter(try_inet), 0);
	cr_assert_eq(under_filter(try_unix), 0);
}

Test(seccomp, namespaces_io_uring_clone3_refused)
{
	cr_assert_eq(under_filter(try_unshare), 0);
	cr_assert_eq(under_filter(try_io_uring), 0);
	cr_assert_eq(under_filter(try_clone3), 0);
}

Test(seccomp, ordinary_calls_pass)
{
	cr_assert_eq(under_filter(try_getpid), 0);
}

Test(seccomp, aio_inotify_new_calls_fail_enosys)
{
	cr_assert_eq(under_filter(try_new_denials), 0);
}

/* ------------------------------------------------- a classic BPF machine */

/*
 * Runs a seccomp program over one seccomp_data the way the kernel does,
 * for the opcodes libseccomp emits; any other opcode, an out-of-range
 * load or jump, or running off the end fails the test.
 */
static uint32_t bpf_run(const struct sock_fprog *prog,
                        const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};

	for (unsigned pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *f = &prog->filter[pc];
		unsigned jt = f->jt, jf = f->jf;
		bool taken;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert(f->k % 4 == 0 && f->k + 4 <= sizeof(*d),
			          "pc %u: load at %u", pc, f->k);
			memcpy(&a, (const char *)d + f->k, 4);
			continue;
		case BPF_LD | BPF_MEM:
			cr_assert_lt(f->k, BPF_MEMWORDS);
			a = mem[f->k];
			continue;
		case BPF_LDX | BPF_MEM:
			cr_assert_lt(f->k, BPF_MEMWORDS);
			x = mem[f->k];
			continue;
		case BPF_ST:
			cr_assert_lt(f->k, BPF_MEMWORDS);
			mem[f->k] = a;
			continue;
		case BPF_STX:
			cr_assert_lt(f->k, BPF_MEMWORDS);
			mem[f->k] = x;
			continue;
		case BPF_MISC | BPF_TAX:
			x = a;
			continue;
		case BPF_MISC | BPF_TXA:
			a = x;
			continue;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= f->k;
			continue;
		case BPF_RET | BPF_K:
			return f->k;
		case BPF_JMP | BPF_JA:
			cr_assert_lt(pc + 1 + f->k, prog->len, "pc %u: ja", pc);
			pc += f->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			taken = a == f->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			taken = a > f->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			taken = a >= f->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			taken = (a & f->k) != 0;
			break;
		default:
			cr_assert_fail("pc %u: unknown opcode 0x%04x", pc,
			               f->code);
		}
		pc += taken ? jt : jf;
		cr_assert_lt(pc + 1, prog->len, "pc %u: jump off the end", pc);
	}
	cr_assert_fail("ran off the end of the program");
	return 0;
}

static struct sock_fprog prog;

static void build(void)
{
	char err[256];

	cr_assert_eq(sbx_seccomp_build(&prog, false, err, sizeof(err)), 0, "%s",
	             err);
}

static void release(void)
{
	sbx_seccomp_free(&prog);
}

static uint32_t run_arch(uint32_t arch, int nr, uint64_t a0, uint64_t a1)
{
	struct seccomp_data d;

	memset(&d, 0, sizeof(d));
	d.nr = nr;
	d.arch = arch;
	d.instruction_pointer = 0x401000;
	d.args[0] = a0;
	d.args[1] = a1;
	return bpf_run(&prog, &d);
}

static uint32_t run(int nr, uint64_t a0, uint64_t a1)
{
	return run_arch(AUDIT_ARCH_X86_64, nr, a0, a1);
}

#define ALLOW  SECCOMP_RET_ALLOW
#define KILL   SECCOMP_RET_KILL_PROCESS
#define ERR(e) (SECCOMP_RET_ERRNO | (e))

Test(seccomp_bpf, plain_calls_allowed, .init = build, .fini = release)
{
	static const int nrs[] = {
	        __NR_read,       __NR_write, __NR_mmap,         __NR_openat,
	        __NR_execve,     __NR_close, __NR_futex,        __NR_exit_group,
	        __NR_getppid,    __NR_brk,   __NR_rt_sigaction, __NR_wait4,
	        __NR_newfstatat, __NR_fork,  __NR_arch_prctl,   __NR_rseq,
	};

	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		cr_expect_eq(run(nrs[i], 0, 0), ALLOW, "nr %d: 0x%08x", nrs[i],
		             run(nrs[i], 0, 0));
}

Test(seccomp_bpf, unknown_and_new_calls_enosys, .init = build, .fini = release)
{
	static const int nrs[] = {
	        __NR_io_setup,
	        __NR_io_submit,
	        __NR_inotify_init1,
	        __NR_inotify_add_watch,
	        1000,
	        457, /* statmount */
	        458, /* listmount */
	        459, /* lsm_get_self_attr */
	        462, /* mseal */
	        467, /* open_tree_attr */
	        468, /* file_getattr */
	        __NR_modify_ldt,
	        __NR_mbind,
	};

	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		cr_expect_eq(run(nrs[i], 0, 0), ERR(ENOSYS), "nr %d: 0x%08x",
		             nrs[i], run(nrs[i], 0, 0));
	/* the number a tracer uses to skip a call */
	cr_expect_eq(run(-1, 0, 0), ERR(ENOSYS));
}

Test(seccomp_bpf, refused_calls_keep_their_errno, .init = build,
     .fini = release)
{
	cr_expect_eq(run(__NR_ptrace, 0, 0), ERR(EPERM));
	cr_expect_eq(run(__NR_mount, 0, 0), ERR(EPERM));
	cr_expect_eq(run(__NR_unshare, CLONE_NEWUSER, 0), ERR(EPERM));
	cr_expect_eq(run(__NR_bpf, 0, 0), ERR(EPERM));
	cr_expect_eq(run(__NR_settimeofday, 0, 0), ERR(EPERM));
	cr_expect_eq(run(__NR_clone3, 0, 0), ERR(ENOSYS));
	cr_expect_eq(run(__NR_io_uring_setup, 0, 0), ERR(ENOSYS));
}

Test(seccomp_bpf, clone_namespace_flags, .init = build, .fini = release)
{
	const uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES |
	                        CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
	                        CLONE_SETTLS | CLONE_PARENT_SETTID |
	                        CLONE_CHILD_CLEARTID;
	static const uint64_t ns[] = {
	        CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
	        CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
	};

	cr_expect_eq(run(__NR_clone, thread, 0), ALLOW);
	cr_expect_eq(run(__NR_clone, SIGCHLD, 0), ALLOW);
	cr_expect_eq(run(__NR_clone, 0xffffffff00000000ull | SIGCHLD, 0),
	             ALLOW);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		cr_expect_eq(run(__NR_clone, ns[i] | SIGCHLD, 0), ERR(EPERM),
		             "flag 0x%llx", (unsigned long long)ns[i]);
		cr_expect_eq(run(__NR_clone, ns[i] | thread, 0), ERR(EPERM));
	}
	cr_expect_eq(run(__NR_clone, CLONE_NEWUSER | CLONE_NEWNS, 0),
	             ERR(EPERM));
}

Test(seccomp_bpf, sockets_unix_only, .init = build, .fini = release)
{
	cr_expect_eq(run(__NR_socket, AF_UNIX, SOCK_STREAM), ALLOW);
	cr_expect_eq(run(__NR_socketpair, AF_UNIX, SOCK_DGRAM), ALLOW);
	cr_expect_eq(run(__NR_socket, AF_INET, SOCK_STREAM), ERR(EPERM));
	cr_expect_eq(run(__NR_socket, AF_INET6, SOCK_DGRAM), ERR(EPERM));
	cr_expect_eq(run(__NR_socket, AF_NETLINK, SOCK_RAW), ERR(EPERM));
	cr_expect_eq(run(__NR_socket, 0, 0), ERR(EPERM));
	cr_expect_eq(run(__NR_socketpair, AF_INET, SOCK_STREAM), ERR(EPERM));
	/* AF_UNIX with garbage above: refused, as before */
	cr_expect_eq(run(__NR_socket, 0x100000000ull | AF_UNIX, 0), ERR(EPERM));
}

Test(seccomp_bpf, ioctl_tiocsti_tioclinux, .init = build, .fini = release)
{
	cr_expect_eq(run(__NR_ioctl, 0, TIOCSTI), ERR(EPERM));
	cr_expect_eq(run(__NR_ioctl, 1, TIOCLINUX), ERR(EPERM));
	cr_expect_eq(run(__NR_ioctl, 0, 0xffffffff00000000ull | TIOCSTI),
	             ERR(EPERM));
	cr_expect_eq(run(__NR_ioctl, 0, 0x1234567800000000ull | TIOCLINUX),
	             ERR(EPERM));
	cr_expect_eq(run(__NR_ioctl, 0, TCGETS), ALLOW);
	cr_expect_eq(run(__NR_ioctl, 0, FIONREAD), ALLOW);
	cr_expect_eq(run(__NR_ioctl, 0, 0), ALLOW);
	cr_expect_eq(run(__NR_ioctl, 0, 0xffffffff80045430ull), ALLOW);
	cr_expect_eq(run(__NR_ioctl, 0, 0x100000000ull | TCGETS), ALLOW);
	cr_expect_eq(run(__NR_ioctl, 0, ~0ull), ALLOW);
}

Test(seccomp_bpf, personality_values, .init = build, .fini = release)
{
	cr_expect_eq(run(__NR_personality, 0xffffffff, 0), ALLOW);
	cr_expect_eq(run(__NR_personality, ~0ull, 0), ALLOW);
	cr_expect_eq(run(__NR_personality, 0, 0), ALLOW);
	cr_expect_eq(run(__NR_personality, PER_LINUX32, 0), ALLOW);
	cr_expect_eq(run(__NR_personality, UNAME26, 0), ALLOW);
	cr_expect_eq(run(__NR_personality, PER_LINUX32 | UNAME26, 0), ALLOW);
	cr_expect_eq(run(__NR_personality, ADDR_NO_RANDOMIZE, 0), ALLOW);
	cr_expect_eq(run(__NR_personality, ADDR_NO_RANDOMIZE | PER_LINUX32, 0),
	             ALLOW);
	cr_expect_eq(run(__NR_personality, MMAP_PAGE_ZERO, 0), ERR(EPERM));
	cr_expect_eq(run(__NR_personality, READ_IMPLIES_EXEC, 0), ERR(EPERM));
	cr_expect_eq(
	        run(__NR_personality, ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC, 0),
	        ERR(EPERM));
	cr_expect_eq(run(__NR_personality, PER_SVR4, 0), ERR(EPERM));
	cr_expect_eq(run(__NR_personality, 0x100000000ull | UNAME26, 0), ALLOW);
}

Test(seccomp_bpf, foreign_arch_and_x32_killed, .init = build, .fini = release)
{
	cr_expect_eq(run_arch(AUDIT_ARCH_I386, 20, 0, 0), KILL);
	cr_expect_eq(run_arch(AUDIT_ARCH_I386, __NR_read, 0, 0), KILL);
	cr_expect_eq(run_arch(AUDIT_ARCH_AARCH64, __NR_read, 0, 0), KILL);
	/* x32 shares the x86_64 token, its numbers carry bit 30 */
	cr_expect_eq(run(0x40000000 | __NR_getpid, 0, 0), KILL);
	cr_expect_eq(run(0x40000000 | __NR_read, 0, 0), KILL);
	cr_expect_eq(run(0x40000000 | 512, 0, 0), KILL);
}

/* Every number the kernel might see, against the table. */
Test(seccomp_bpf, every_number_matches_the_table, .init = build,
     .fini = release)
{
	for (int nr = 0; nr < 1024; nr++) {
		uint32_t want = ERR(ENOSYS), got = run(nr, 0, 0);
		char *name =
		        seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);

		for (size_t i = 0; name && i < sbx_sc_nrules; i++) {
			const struct sbx_sc_rule *r = &sbx_sc_rules[i];

			if (strcmp(r->name, name) != 0)
				continue;
			if (r->err)
				want = ERR(r->err);
			else if (r->check == SBX_SC_ANY)
				want = ALLOW;
			else
				want = got; /* argument checks: above */
		}
		cr_expect_eq(got, want, "nr %d (%s): 0x%08x, want 0x%08x", nr,
		             name ? name : "?", got, want);
		free(name);
	}
}

/* The filters compiled into the library are what the table builds now
   (a stale generated header would fail here), and the notifying variant
   differs from the plain one in exit_group and sysinfo only. */
Test(seccomp_bpf, built_in_filters_are_the_table, .init = build,
     .fini = release)
{
	struct sock_fprog in, notify, fresh;
	char err[256];
	int eg = seccomp_syscall_resolve_name("exit_group");
	int si = seccomp_syscall_resolve_name("sysinfo");

	sbx_seccomp_program(&in, false);
	cr_assert_eq(in.len, prog.len);
	cr_assert_eq(memcmp(in.filter, prog.filter,
	                    prog.len * sizeof(struct sock_filter)),
	             0, "the built-in plain filter is stale");
	cr_assert_eq(sbx_seccomp_build(&fresh, true, err, sizeof(err)), 0, "%s",
	             err);
	sbx_seccomp_program(&notify, true);
	cr_assert_eq(notify.len, fresh.len);
	cr_assert_eq(memcmp(notify.filter, fresh.filter,
	                    fresh.len * sizeof(struct sock_filter)),
	             0, "the built-in notifying filter is stale");
	sbx_seccomp_free(&fresh);
	for (int nr = 0; nr < 1024; nr++) {
		struct seccomp_data d;
		uint32_t a, b;

		memset(&d, 0, sizeof(d));
		d.nr = nr;
		d.arch = AUDIT_ARCH_X86_64;
		a = bpf_run(&in, &d);
		b = bpf_run(&notify, &d);
		if (nr == eg || nr == si)
			cr_expect_eq(b, SECCOMP_RET_USER_NOTIF, "nr %d", nr);
		else
			cr_expect_eq(a, b, "nr %d: 0x%08x / 0x%08x", nr, a, b);
	}
}

/* No typos: every name is a real x86_64 system call, named once. */
Test(seccomp, table_names_resolve_on_x86_64)
{
	size_t allowed = 0;

	for (size_t i = 0; i < sbx_sc_nrules; i++) {
		const struct sbx_sc_rule *r = &sbx_sc_rules[i];
		int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64,
		                                           r->name);

		/* negative: unknown, or a pseudo number of another arch */
		cr_expect_geq(nr, 0, "\"%s\" is not an x86_64 system call",
		              r->name);
		cr_expect(r->err == 0 || r->err == EPERM || r->err == ENOSYS,
		          "%s: errno %d", r->name, r->err);
		cr_expect(r->err == 0 || r->check == SBX_SC_ANY,
		          "%s: refused and checked", r->name);
		for (size_t j = 0; j < i; j++)
			cr_expect_str_neq(sbx_sc_rules[j].name, r->name,
			                  "%s is listed twice", r->name);
		allowed += r->err == 0;
	}
	cr_expect_gt(allowed, 200);
}

/*
 * runpad-fcgi.service's SystemCallFilter= deny list is inherited by every
 * program the jail runs, on top of the jail's own filter: it must hold
 * only calls the jail refuses anyway, with the same EPERM (or ENOSYS of
 * calls it does not name: of two errno actions the kernel keeps the
 * newer filter's, the jail's), so that a program sees the same answers
 * under systemd as without.  The groups are expanded by systemd itself.
 */
Test(seccomp, unit_deny_list_only_refused_calls)
{
	const char *unit = "packaging/systemd/runpad-fcgi.service";
	char line[1024], cmd[2200], groups[2000] = "";
	bool eperm = false;
	size_t names = 0;
	FILE *f = fopen(unit, "re");

	cr_assert(f, "%s: %s (run from the source tree)", unit,
	          strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "SystemCallFilter=", 17) == 0) {
			cr_assert(
			        line[17] == '~',
			        "%s: an allow list (%s) would be inherited by "
			        "every program",
			        unit, line);
			snprintf(groups + strlen(groups),
			         sizeof(groups) - strlen(groups), " %s",
			         line + 18);
		}
		if (strcmp(line, "SystemCallErrorNumber=EPERM") == 0)
			eperm = true;
	}
	fclose(f);
	cr_assert(groups[0], "%s has no SystemCallFilter=~ line", unit);
	cr_assert(eperm,
	          "%s: the deny list must fail calls with EPERM, as "
	          "the jail does, not kill the program",
	          unit);
	if (access("/usr/bin/systemd-analyze", X_OK) != 0)
		cr_skip_test("systemd-analyze (package systemd) is needed to "
		             "expand %s",
		             groups);
	snprintf(cmd, sizeof(cmd),
	         "/usr/bin/systemd-analyze syscall-filter --no-pager %s",
	         groups);
	f = popen(cmd, "r");
	cr_assert(f, "%s: %s", cmd, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char name[128];

		/* "    ptrace", under each "@group" and "# comment" line */
		if (strncmp(line, "    ", 4) != 0 || line[4] == '#' ||
		    sscanf(line, " %127s", name) != 1 || name[0] == '@')
			continue;
		names++;
		for (size_t i = 0; i < sbx_sc_nrules; i++)
			if (strcmp(sbx_sc_rules[i].name, name) == 0)
				cr_expect(
				        sbx_sc_rules[i].err == EPERM,
				        "%s: the unit refuses it, the jail %s",
				        name,
				        sbx_sc_rules[i].err ? "with another "
				                              "errno"
				                            : "allows it");
	}
	cr_assert_eq(pclose(f), 0, "%s failed", cmd);
	cr_assert_gt(names, 30, "%s listed only %zu calls", cmd, names);
}
