/* Unit tests: the seccomp filter, loaded into a forked child. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
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

	cr_assert_eq(sbx_seccomp_build(&prog, err, sizeof(err)), 0, "%s", err);
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

Test(seccomp, filter_builds_and_has_instructions)
{
	struct sock_fprog prog;
	char err[256];

	cr_assert_eq(sbx_seccomp_build(&prog, err, sizeof(err)), 0, "%s", err);
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
