/*
 * stage.c - the supervisor of one stage: clones init into its namespaces
 * and cgroup, feeds stdin, reads stdout and stderr up to their caps, watches
 * CPU and wall time, kills the stage, and turns what the kernel counted
 * into the stage's result.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "jail.h"

/* ------------------------------------------------------- the supervisor */

/* A stream's kept output: a buf limited to the stage's stdout/stderr. */
struct outbuf {
	struct buf b;
	bool truncated;
};

/* Append, keeping at most the limit; false once something was dropped. */
static bool outbuf_add(struct outbuf *o, const char *data, size_t n)
{
	size_t take = buf_add_upto(&o->b, data, n, NULL);

	if (take < n)
		o->truncated = true;
	return take == n;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A read of less than this many bytes makes the supervisor leave that
   pipe alone for a while, so that small writes pile up in it: 1 ms after
   the first such read, doubling with each one in a row up to 8 ms (a
   flood of one-byte writes then costs the supervisor a wakeup per 8 ms,
   not one per write); a read of a full batch resets it, so a fast writer
   is never held back by a full pipe. */
#define SBX_DRAIN_BATCH     16384
#define SBX_DRAIN_HOLD_NS   1000000ull
#define SBX_DRAIN_HOLD_GROW 3 /* at most 1 ms << 3 */

/*
 * Read what is ready on one output pipe into its buffer and hand the kept
 * part to the streaming callback.  Closes the fd at EOF.  Returns true when
 * bytes had to be dropped: the cap is reached and the stage must end.
 *
 * The supervisor's cost must not follow the program's write count: a
 * program making a million one-byte writes would otherwise wake it a
 * million times, outside every cgroup.  After a small read the pipe is not
 * polled again for a millisecond (*hold), so the supervisor reads at most
 * about a thousand times a second per stream, whatever the program does;
 * the pipe's buffer (64 KiB) holds what comes meanwhile, and output still
 * streams within a millisecond.
 */
static bool drain_stream(int *fd, struct outbuf *o, const struct sbx_stage *st,
                         int stream, uint64_t *hold, unsigned *streak)
{
	char buf[65536];
	ssize_t k = read(*fd, buf, sizeof(buf));
	size_t before = o->b.len;
	bool fit;

	if (k <= 0) {
		if (k == 0 || errno != EAGAIN)
			close_fd(fd);
		return false;
	}
	if (k < SBX_DRAIN_BATCH) {
		*hold = sbx_now_ns() + (SBX_DRAIN_HOLD_NS << *streak);
		if (*streak < SBX_DRAIN_HOLD_GROW)
			(*streak)++;
	} else {
		*streak = 0;
	}
	fit = outbuf_add(o, buf, (size_t)k);
	if (st->on_output && o->b.len > before)
		st->on_output(st->arg, stream, o->b.p + before,
		              o->b.len - before);
	return !fit;
}

static char **build_env(const struct sbx_ctx *ctx, const char *const *extra)
{
	size_t n = 0;
	char **env;

	while (extra && extra[n])
		n++;
	env = calloc(n + 5, sizeof(char *));
	if (!env)
		return NULL;
	env[0] = (char *)ctx->path_env;
	env[1] = (char *)"HOME=/box";
	env[2] = (char *)ctx->lang_env;
	env[3] = (char *)SBX_OUT_ENV; /* where files to hand back go */
	for (size_t i = 0; i < n; i++)
		env[4 + i] = (char *)extra[i];
	return env;
}

static void stage_fail(struct sbx_stage_result *res, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void stage_fail(struct sbx_stage_result *res, const char *fmt, ...)
{
	va_list ap;

	res->verdict = SBX_INTERNAL_ERROR;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

static void kill_stage(struct slot *s, pid_t init, bool cg)
{
	if (cg)
		sbx_cg_kill(&s->cg);
	if (init > 0)
		kill(init, SIGKILL);
}

/*
 * Clone init into its new namespaces, fork-like (no new stack: the child
 * returns here).  On cgroup v2, clone3(CLONE_INTO_CGROUP) makes it be born
 * in the stage's cgroup: no migration, which would wait for an RCU grace
 * period.  Falls back to clone() on kernels without it.
 */
static pid_t clone_init(int cgroup_fd, bool *born_in_cg)
{
	const uint64_t ns =
	        CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
	pid_t pid;

	*born_in_cg = false;
	if (cgroup_fd >= 0) {
		struct clone_args ca;
		memset(&ca, 0, sizeof(ca));
		ca.flags = ns | CLONE_INTO_CGROUP;
		ca.exit_signal = SIGCHLD;
		ca.cgroup = (uint64_t)cgroup_fd;
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid >= 0) {
			if (pid > 0)
				*born_in_cg = true;
			return pid;
		}
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
			return -1;
	}
	return (pid_t)syscall(SYS_clone, ns | SIGCHLD, NULL, NULL, NULL, NULL);
}

/* Everything the supervisor keeps while one stage runs. */
struct stage_run {
	struct sbx_ctx *ctx;
	struct slot *s;
	const struct sbx_stage *st;
	struct sbx_stage_result *res;
	bool use_cg;
	int go[2], rep[2], in[2], out[2], err[2]; /* pipes, -1 when closed */
	int ex[2];     /* socketpair: the program's seccomp listener comes in */
	int notify_fd; /* that listener: the stage's exit_group calls */
	uint64_t next_sample; /* of the stage's memory (sbx_cg_sample) */
	char **env;
	pid_t init;
	uint64_t t0, deadline, cpu_limit_ns, next_cpu_check;
	uint64_t hold[2];   /* stdout, stderr: not polled until then */
	unsigned streak[2]; /* small reads in a row (SBX_DRAIN_HOLD_GROW) */
	struct outbuf ob, eb;
	struct report report; /* being read from the report pipe */
	size_t rep_got;
	int status; /* the program's wait status, once prog_done */
	bool prog_done, killed, cancelled;
	struct sbx_facts facts;
	size_t stdin_off; /* of the job's stdin_data fed so far */
	int stdin_src;    /* or a live source, forwarded through fwd */
	char fwd[16384];
	size_t fwd_len, fwd_off;
	int rc;
};

/* End the stage now (a limit, a cancel, the program gone). */
static void stop(struct stage_run *r)
{
	r->killed = true;
	kill_stage(r->s, r->init, r->use_cg);
}

/* Pipes, environment and the stage's cgroup; 0 or -errno with res set. */
static int stage_open(struct stage_run *r)
{
	const struct sbx_stage *st = r->st;
	struct slot *s = r->s;
	char cgerr[200];
	int *pipes[] = {r->go, r->rep, r->in, r->out, r->err};

	if (!st->argv || !st->argv[0] || st->argv[0][0] != '/') {
		stage_fail(r->res, "the program must be an absolute path");
		return -EINVAL;
	}
	r->env = build_env(r->ctx, st->env);
	if (!r->env) {
		stage_fail(r->res, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < sizeof(pipes) / sizeof(pipes[0]); i++) {
		if (pipe2(pipes[i], O_CLOEXEC) < 0) {
			int e = errno;
			stage_fail(r->res, "cannot create pipes: %s",
			           strerror(e));
			return -e;
		}
	}
	/* The program's ends belong to its uid: reopening them through
	   /dev/stdin (/proc/self/fd/0) checks the pipe inode's owner and
	   mode, and pipes are made 0600 for their creator. */
	if (fchown(r->in[0], s->uid, s->gid) < 0 ||
	    fchown(r->out[1], s->uid, s->gid) < 0 ||
	    fchown(r->err[1], s->uid, s->gid) < 0) {
		int e = errno;
		stage_fail(r->res, "cannot hand the pipes to the slot: %s",
		           strerror(e));
		return -e;
	}
	int vr = sbx_view_slot_meminfo(r->ctx, s, st->limits.memory);
	if (vr < 0) {
		stage_fail(r->res, "cannot write the jail's /proc/meminfo: %s",
		           strerror(-vr));
		return vr;
	}
	if (r->use_cg && r->ctx->seccomp_exit.len &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->ex) < 0)
		r->ex[0] = r->ex[1] = -1; /* the timer's samples alone */
	if (r->use_cg) {
		int rc = sbx_cg_stage_begin(&s->cg, &st->limits, cgerr,
		                            sizeof(cgerr));
		if (rc < 0) {
			stage_fail(r->res, "%s", cgerr);
			return rc;
		}
	}
	return 0;
}

/* What init and the program need, prepared before the clone. */
static void plan_fill(const struct stage_run *r, struct stage_plan *plan)
{
	const struct sbx_limits *l = &r->st->limits;
	struct slot *s = r->s;

	memset(plan, 0, sizeof(*plan));
	plan->ctx = r->ctx;
	plan->slot = s;
	plan->argv = (char *const *)r->st->argv;
	plan->envp = r->env;
	plan->lim = l;
	plan->rlimits_only = !r->use_cg;
	plan->self_attach = r->use_cg && s->cg.mode == SBX_CGROUP_V1;
	plan->go_rd = r->go[0];
	plan->rep_wr = r->rep[1];
	plan->shared = s->status;
	memset(s->status, 0, sizeof(*s->status));
	plan->in_rd = r->in[0];
	plan->out_wr = r->out[1];
	plan->err_wr = r->err[1];
	plan->exit_sock = r->ex[1];
	snprintf(plan->proc_path, sizeof(plan->proc_path), "%s/proc", s->root);
	snprintf(plan->tmp_path, sizeof(plan->tmp_path), "%s/tmp", s->root);
	snprintf(plan->box_path, sizeof(plan->box_path), "%s/box", s->root);
	snprintf(plan->tmp_opts, sizeof(plan->tmp_opts),
	         "size=%llu,nr_inodes=%llu,mode=1777",
	         (unsigned long long)l->tmp_size,
	         (unsigned long long)l->inodes);
}

/*
 * Clone init, put it in the stage's cgroup if it was not born there, and
 * let it go.  Returns 0; -errno when init could not be made (nothing to
 * reap), or 1 when init exists but the stage failed to start (res set,
 * init killed: reap it).
 */
static int stage_start(struct stage_run *r)
{
	const struct sbx_stage *st = r->st;
	struct stage_plan plan;
	bool born_in_cg = false;

	plan_fill(r, &plan);
	r->t0 = sbx_now_ns();
	r->init = clone_init(r->use_cg ? sbx_cg_clone_fd(&r->s->cg) : -1,
	                     &born_in_cg);
	if (r->init < 0) {
		int e = errno;
		stage_fail(r->res, "cannot clone the jail: %s", strerror(e));
		return -e;
	}
	if (r->init == 0)
		sbx_init_run(&plan);

	close_fd(&r->go[0]);
	close_fd(&r->rep[1]);
	close_fd(&r->in[0]);
	close_fd(&r->out[1]);
	close_fd(&r->err[1]);
	close_fd(&r->ex[1]);

	if (r->use_cg && !plan.self_attach && !born_in_cg) {
		int rc = sbx_cg_attach(&r->s->cg, r->init);
		if (rc < 0) {
			stage_fail(r->res,
			           "cannot move the jail into its cgroup: %s",
			           strerror(-rc));
			kill(r->init, SIGKILL);
			r->rc = rc;
			return 1;
		}
	}
	if (write(r->go[1], "g", 1) != 1) {
		r->rc = -errno;
		stage_fail(r->res, "cannot start the jail: %s",
		           strerror(errno));
		kill(r->init, SIGKILL);
		return 1;
	}
	close_fd(&r->go[1]);

	fcntl(r->in[1], F_SETFL, O_NONBLOCK);
	fcntl(r->out[0], F_SETFL, O_NONBLOCK);
	fcntl(r->err[0], F_SETFL, O_NONBLOCK);
	if (!st->stdin_data && r->stdin_src < 0)
		close_fd(&r->in[1]);
	r->deadline = r->t0 + st->limits.wall_ms * 1000000ull;
	r->cpu_limit_ns = st->limits.cpu_ms * 1000000ull;
	return 0;
}

/*
 * The stage's memory is sampled while it runs, and at every exit_group of
 * its processes (on_notify), when a process's memory is still whole: most
 * programs hold their peak until they exit.  Every 2 ms for the first
 * 100 ms (most runs are shorter), every 10 ms up to a second, then every
 * 25 ms: each wakeup costs the supervisor, and a long stage's peak is
 * held long enough to be seen.
 */
static uint64_t sample_period_ns(uint64_t elapsed_ns)
{
	if (elapsed_ns < 100000000ull)
		return 2000000ull;
	if (elapsed_ns < 1000000000ull)
		return 10000000ull;
	return 25000000ull;
}

/* The listener of the program's exit_group calls, sent by the program
   before its exec (child.c: load_exit_filter). */
static void on_listener(struct stage_run *r)
{
	char byte;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf,
	                    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	ssize_t k = recvmsg(r->ex[0], &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	cm = k > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)) && r->notify_fd < 0)
		memcpy(&r->notify_fd, CMSG_DATA(cm), sizeof(int));
	close_fd(&r->ex[0]); /* one listener per stage */
}

/*
 * sysinfo(2) as the jail's machine: RAM is the stage's memory limit, free
 * RAM what its own memory leaves of it, no swap, up since the stage began,
 * idle (as /proc/meminfo, /proc/uptime and /proc/loadavg say: view.c).
 * glibc's sysconf(_SC_PHYS_PAGES) and so the JVM's default heap come from
 * it.  The answer is written through /proc/PID/mem opened before the
 * notification is checked still pending: the fd is that process's memory
 * even if the pid were reused after.  Returns the errno to answer with.
 */
static int answer_sysinfo(struct stage_run *r, const struct seccomp_notif *req)
{
	struct sysinfo si;
	char path[64];
	uint64_t limit = r->st->limits.memory;
	uint64_t own = sbx_cg_sample(&r->s->cg);
	int fd, e = 0;

	memset(&si, 0, sizeof(si));
	si.uptime = (long)((sbx_now_ns() - r->t0) / 1000000000ull);
	si.totalram = (unsigned long)limit;
	si.freeram = (unsigned long)(own < limit ? limit - own : 0);
	si.procs = 1;
	si.mem_unit = 1;
	snprintf(path, sizeof(path), "/proc/%u/mem", (unsigned)req->pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ESRCH;
	if (ioctl(r->notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
		e = ESRCH;
	else if (pwrite(fd, &si, sizeof(si), (off_t)req->data.args[0]) !=
	         (ssize_t)sizeof(si))
		e = EFAULT;
	close(fd);
	return e;
}

/* A process of the stage called exit_group (sample, then let it go) or
   sysinfo (answer it). */
static void on_notify(struct stage_run *r, short revents)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	if (!(revents & POLLIN)) {
		close_fd(&r->notify_fd); /* POLLHUP: no process left */
		return;
	}
	memset(&req, 0, sizeof(req));
	if (ioctl(r->notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return; /* ENOENT: it was killed while waiting */
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	if (req.data.nr == SYS_sysinfo) {
		int e = answer_sysinfo(r, &req);
		resp.error = e ? -e : 0;
	} else {
		sbx_cg_sample(&r->s->cg);
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	}
	ioctl(r->notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* The wall and CPU limits; returns the poll timeout until the next look. */
static int check_limits(struct stage_run *r, uint64_t now)
{
	uint64_t wake;
	int timeout;

	if (!r->killed && now >= r->deadline) {
		r->facts.killed_wall = true;
		stop(r);
	}
	if (!r->killed && r->use_cg && r->cpu_limit_ns &&
	    now >= r->next_cpu_check) {
		/* one read of the counter per check, not per wakeup: the
		   tree can burn at most ncpu seconds of CPU per second, so
		   the next look can wait until then */
		uint64_t used = sbx_cg_cpu_ns(&r->s->cg);
		if (used >= r->cpu_limit_ns) {
			r->facts.killed_cpu = true;
			stop(r);
		} else {
			uint64_t cl = (r->cpu_limit_ns - used) /
			              (uint64_t)r->ctx->ncpu;
			if (cl < 1000000)
				cl = 1000000;
			if (cl > 100000000)
				cl = 100000000;
			r->next_cpu_check = now + cl;
		}
	}
	if (r->killed || r->prog_done)
		return 50;
	if (r->use_cg && now >= r->next_sample) {
		sbx_cg_sample(&r->s->cg);
		r->next_sample = now + sample_period_ns(now - r->t0);
	}
	wake = r->deadline;
	if (r->use_cg && r->cpu_limit_ns && r->next_cpu_check < wake)
		wake = r->next_cpu_check;
	if (r->use_cg && r->next_sample < wake)
		wake = r->next_sample;
	timeout = wake > now ? (int)((wake - now + 999999) / 1000000) : 1;
	return timeout < 1 ? 1 : timeout;
}

/* Read what init or the program reported (whole records only). */
static void on_report(struct stage_run *r)
{
	struct report *rep = &r->report;
	char *buf = (char *)rep;
	size_t got = r->rep_got % sizeof(*rep); /* always < sizeof(*rep) */
	ssize_t k = read(r->rep[0], buf + got, sizeof(*rep) - got);

	if (k <= 0) {
		if (k == 0 || errno != EAGAIN) {
			close_fd(&r->rep[0]);
			/* init is gone: no writer can be left */
			if (!r->prog_done && !r->killed && !r->res->message[0])
				kill_stage(r->s, r->init, r->use_cg);
		}
		return;
	}
	r->rep_got += (size_t)k;
	if (r->rep_got < sizeof(*rep))
		return;
	r->rep_got = 0;
	if (rep->kind == REP_STATUS) {
		r->status = rep->value;
		r->facts.fsize_evidence = rep->fsize_evidence;
		r->prog_done = true;
		return;
	}
	rep->what[sizeof(rep->what) - 1] = '\0';
	stage_fail(r->res, "%s %s: %s",
	           rep->kind == REP_EXEC ? "cannot execute"
	                                 : "jail setup failed at",
	           rep->what, strerror(rep->value));
	r->rc = -rep->value;
	kill_stage(r->s, r->init, r->use_cg);
}

/* Feed the program's stdin: the job's bytes, or what was forwarded. */
static void on_stdin_room(struct stage_run *r)
{
	const struct sbx_stage *st = r->st;
	ssize_t k;

	if (st->stdin_data)
		k = write(r->in[1], st->stdin_data + r->stdin_off,
		          st->stdin_len - r->stdin_off);
	else
		k = write(r->in[1], r->fwd + r->fwd_off,
		          r->fwd_len - r->fwd_off);
	if (k > 0) {
		if (st->stdin_data)
			r->stdin_off += (size_t)k;
		else
			r->fwd_off += (size_t)k;
	} else if (k < 0 && errno != EAGAIN) {
		close_fd(&r->in[1]); /* EPIPE: it stopped reading */
	}
	if (r->in[1] >= 0 && st->stdin_data && r->stdin_off >= st->stdin_len &&
	    r->stdin_src < 0)
		close_fd(&r->in[1]);
}

/* Take the next chunk from a live stdin source. */
static void on_stdin_source(struct stage_run *r)
{
	ssize_t k = read(r->stdin_src, r->fwd, sizeof(r->fwd));

	if (k > 0) {
		r->fwd_len = (size_t)k;
		r->fwd_off = 0;
	} else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
		r->stdin_src = -1;
		close_fd(&r->in[1]);
	}
}

/*
 * Watch the stage until both output pipes and the report pipe reached
 * EOF: every writer is dead, which happens only once init (and so the
 * namespace) is gone or the program closed them itself and exited.
 */
static void stage_watch(struct stage_run *r)
{
	const struct sbx_stage *st = r->st;

	while (r->out[0] >= 0 || r->err[0] >= 0 || r->rep[0] >= 0) {
		struct pollfd pfd[9];
		int n = 0, iout = -1, ierr = -1, irep = -1, iin = -1, isrc = -1,
		    ican = -1, ihup = -1, iex = -1, inot = -1;
		uint64_t now = sbx_now_ns();
		int timeout = check_limits(r, now);

		/* the hold paces a live writer; once the program is gone (or
		   killed) what is left in the pipes is read at once, so a run's
		   end is not a hold later than its last write */
		if (r->prog_done || r->killed)
			r->hold[0] = r->hold[1] = 0;
		for (int i = 0; i < 2; i++) {
			if (r->hold[i] > now) {
				int t = (int)((r->hold[i] - now + 999999) /
				              1000000);
				if (t < timeout)
					timeout = t;
			}
		}
		if (r->out[0] >= 0 && r->hold[0] <= now) {
			pfd[n] = (struct pollfd){r->out[0], POLLIN, 0};
			iout = n++;
		}
		if (r->err[0] >= 0 && r->hold[1] <= now) {
			pfd[n] = (struct pollfd){r->err[0], POLLIN, 0};
			ierr = n++;
		}
		if (r->rep[0] >= 0) {
			pfd[n] = (struct pollfd){r->rep[0], POLLIN, 0};
			irep = n++;
		}
		if (r->in[1] >= 0 &&
		    (st->stdin_data || r->fwd_off < r->fwd_len)) {
			pfd[n] = (struct pollfd){r->in[1], POLLOUT, 0};
			iin = n++;
		}
		if (r->in[1] >= 0 && r->stdin_src >= 0 &&
		    r->fwd_off >= r->fwd_len) {
			pfd[n] = (struct pollfd){r->stdin_src, POLLIN, 0};
			isrc = n++;
		}
		if (r->ex[0] >= 0) {
			pfd[n] = (struct pollfd){r->ex[0], POLLIN, 0};
			iex = n++;
		}
		if (r->notify_fd >= 0) {
			pfd[n] = (struct pollfd){r->notify_fd, POLLIN, 0};
			inot = n++;
		}
		if (st->cancel_fd >= 0 && !r->killed) {
			pfd[n] = (struct pollfd){st->cancel_fd, POLLIN, 0};
			ican = n++;
		}
		if (st->hangup_fd >= 0 && !r->killed) {
			pfd[n] = (struct pollfd){st->hangup_fd,
			                         POLLIN | POLLRDHUP, 0};
			ihup = n++;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			r->rc = -errno;
			stage_fail(r->res, "poll: %s", strerror(errno));
			kill_stage(r->s, r->init, r->use_cg);
			break;
		}
		if (iout >= 0 && pfd[iout].revents &&
		    drain_stream(&r->out[0], &r->ob, st, 1, &r->hold[0],
		                 &r->streak[0]) &&
		    !r->killed) {
			r->facts.killed_output = true;
			stop(r);
		}
		if (ierr >= 0 && pfd[ierr].revents &&
		    drain_stream(&r->err[0], &r->eb, st, 2, &r->hold[1],
		                 &r->streak[1]) &&
		    !r->killed) {
			r->facts.killed_output = true;
			stop(r);
		}
		if (inot >= 0 && pfd[inot].revents)
			on_notify(r, pfd[inot].revents);
		if (iex >= 0 && pfd[iex].revents)
			on_listener(r);
		if (irep >= 0 && pfd[irep].revents)
			on_report(r);
		if (iin >= 0 && pfd[iin].revents)
			on_stdin_room(r);
		if (isrc >= 0 && pfd[isrc].revents)
			on_stdin_source(r);
		if ((ican >= 0 && pfd[ican].revents) ||
		    (ihup >= 0 && pfd[ihup].revents)) {
			r->cancelled = true;
			stop(r);
		}
		/* the program is gone; init exits by itself and takes the
		   rest; make sure of it */
		if (r->prog_done && !r->killed)
			stop(r);
	}
}

/* Reap init, read the stage's counters and turn them into the result. */
static void stage_finish(struct stage_run *r)
{
	struct sbx_stage_result *res = r->res;
	struct sbx_facts *f = &r->facts;
	struct sbx_cg_usage usage;
	struct rusage ru;
	struct slot *s = r->s;

	memset(&usage, 0, sizeof(usage));
	memset(&ru, 0, sizeof(ru));
	close_fd(&r->in[1]);
	if (r->init > 0) {
		while (wait4(r->init, NULL, __WALL, &ru) < 0 && errno == EINTR)
			;
	}
	if (r->use_cg)
		sbx_cg_stage_end(&s->cg, &usage);
	res->wall_ms = (sbx_now_ns() - r->t0) / 1000000;
	if (!r->prog_done && !res->message[0] &&
	    __atomic_load_n(&s->status->done, __ATOMIC_ACQUIRE)) {
		/* init saw the program end, but its report found no room in
		   the pipe (a full memory cgroup): the shared page has it */
		r->status = s->status->status;
		f->fsize_evidence = s->status->fsize_evidence;
		r->prog_done = true;
	}
	f->oom_killed = usage.oom_killed;
	if (res->verdict == SBX_INTERNAL_ERROR && res->message[0]) {
		f->internal_error = true;
	} else if (!r->prog_done) {
		/* The namespace ended without the program's status: killed by
		   us (a limit, a cancel), or init died.  init is spared by the
		   OOM killer, but a v2 group kill or a rootless init at the
		   supervisor's score can still take it: that is the memory
		   limit when the cgroup's OOM counter moved, and our fault
		   otherwise.  Never accepted. */
		r->status = W_EXITCODE(0, SIGKILL);
		if (!r->killed && !f->oom_killed) {
			f->internal_error = true;
			res->verdict = SBX_INTERNAL_ERROR;
		}
	}
	f->exited = WIFEXITED(r->status);
	f->exit_code = f->exited ? WEXITSTATUS(r->status) : 0;
	f->signal = WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0;
	f->memory_hit = usage.memory_hit;
	f->pids_hit = usage.pids_hit;
	if (r->use_cg) {
		f->cpu_ms = usage.cpu_ns / 1000000;
		res->memory_peak = usage.memory_peak;
	} else {
		f->cpu_ms =
		        (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
		                1000 +
		        (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
		                1000;
		res->memory_peak = (uint64_t)ru.ru_maxrss * 1024;
	}
	f->cpu_limit_ms = r->st->limits.cpu_ms;
	if (!f->internal_error) {
		res->verdict = sbx_classify(f, &res->time_limit_wall);
		if (r->cancelled && !f->killed_output && !f->killed_wall &&
		    !f->killed_cpu) {
			res->verdict = SBX_SIGNAL;
			res->cancelled = true;
			snprintf(res->message, sizeof(res->message),
			         "stopped on request");
		}
	} else if (!res->message[0]) {
		snprintf(res->message, sizeof(res->message),
		         "the jail ended before the program reported");
	}
	res->exit_code = f->exit_code;
	res->signal = f->signal;
	res->cpu_ms = f->cpu_ms;
	res->out_truncated = r->ob.truncated;
	res->out = buf_steal(&r->ob.b, &res->out_len);
	res->err_truncated = r->eb.truncated;
	res->err = buf_steal(&r->eb.b, &res->err_len);
}

int sbx_stage_run(struct sbx_ctx *ctx, struct slot *s,
                  const struct sbx_stage *st, struct sbx_stage_result *res)
{
	struct stage_run r;
	int started;
	int *fds[] = {&r.go[0], &r.go[1],  &r.rep[0],   &r.rep[1], &r.in[0],
	              &r.in[1], &r.out[0], &r.out[1],   &r.err[0], &r.err[1],
	              &r.ex[0], &r.ex[1],  &r.notify_fd};

	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		*fds[i] = -1;
	r.ctx = ctx;
	r.s = s;
	r.st = st;
	r.res = res;
	r.use_cg = ctx->cgmode != SBX_CGROUP_NONE;
	r.init = -1;
	r.stdin_src = st->stdin_fd;
	buf_limit(&r.ob.b, st->limits.stdout_max);
	buf_limit(&r.eb.b, st->limits.stderr_max);
	res->rlimits_only = !r.use_cg;

	r.rc = stage_open(&r);
	if (r.rc == 0) {
		started = stage_start(&r);
		if (started < 0)
			r.rc = started;
		else {
			if (started == 0)
				stage_watch(&r);
			stage_finish(&r);
		}
	}
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close_fd(fds[i]);
	buf_fini(&r.ob.b);
	buf_fini(&r.eb.b);
	free(r.env);
	return r.rc;
}
