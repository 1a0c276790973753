/*
 * bench/jail.c - how much does a jail cost per run?
 *
 * Two workloads (/bin/true and a Python hello world) are started by three
 * launchers: bare posix_spawn of the program, bubblewrap with binds
 * comparable to the runpad jail, and runpad-jail --exec.  Every (workload,
 * launcher) cell runs a few untimed warm-up runs, which also check that it
 * works, then N timed runs.  The timed runs are interleaved round-robin (one
 * run of each cell per round, the starting cell rotating every round) so
 * that machine noise hits every cell alike.  A run is timed with
 * CLOCK_MONOTONIC from just before posix_spawn() to just after waitpid().
 *
 * A launcher that is missing or fails is reported and left out; the others
 * go on.  Nothing here asserts anything about time: the program prints
 * figures, and exits 1 only when some cell produced none.
 *
 * See bench/README.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, CPU_COUNT, strsignal */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_RUNS   200
#define DEFAULT_WARMUP 5
#define DEFAULT_JAIL   "build/runpad-jail"
#define DEFAULT_PYTHON "/usr/bin/python3"
#define HELLO          "Hello, World!"
#define CAPTURE_MAX    8192
#define WHY_MAX        512

enum workload { W_TRUE, W_PYTHON, NWORK };
enum launcher { L_BARE, L_BWRAP, L_JAIL, L_FRESH, NLAUNCH };

static const char *const work_name[NWORK] = {"true", "python"};
static const char *const launch_name[NLAUNCH] = {"bare", "bwrap", "runpad-jail",
                                                 "jail --fresh"};

/* The bwrap jail: read-only /usr, merged-usr symlinks, private everything. */
/* clang-format off */
static const char *const bwrap_args[] = {
	"--unshare-all",
	"--die-with-parent",
	"--ro-bind", "/usr", "/usr",
	"--symlink", "usr/bin", "/bin",
	"--symlink", "usr/lib", "/lib",
	"--symlink", "usr/lib64", "/lib64",
	"--symlink", "usr/sbin", "/sbin",
	"--ro-bind", "/etc/alternatives", "/etc/alternatives",
	"--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache",
	"--proc", "/proc",
	"--dev", "/dev",
	"--tmpfs", "/tmp",
	"--tmpfs", "/box",
	"--chdir", "/box",
	"--clearenv",
	"--setenv", "PATH", "/usr/bin:/bin",
	"--setenv", "HOME", "/box",
	"--",
};
/* clang-format on */

/* What the jails give the program; bare exec gets the same. */
static char *bare_env[] = {"PATH=/usr/bin:/bin", "HOME=/tmp", NULL};

struct argv {
	const char **v;
	size_t n, cap;
};

struct cell {
	enum workload work;
	enum launcher launch;
	struct argv argv;
	char *const *envp;
	bool failed;       /* no figures: missing, or a run failed */
	char why[WHY_MAX]; /* why it failed */
	double *ms;        /* timed samples, in run order */
	size_t n;
	double p50, p99, mean;
};

struct sample {
	unsigned round; /* 0-based round */
	unsigned seq;   /* 0-based position among all timed runs */
	unsigned cell;  /* index into cells[] */
	double ms;
};

static struct cell cells[NWORK * NLAUNCH];
static int devnull = -1;

static void die(const char *fmt, ...)
        __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench/jail: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory");
	return p;
}

static void argv_push(struct argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 16;
		const char **v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			die("out of memory");
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void argv_push_all(struct argv *a, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		argv_push(a, v[i]);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Find an executable: a name with a slash as is, else along $PATH. */
static char *find_exe(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	if (!path || !*path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		/* An empty entry is the current directory. */
		int k = snprintf(buf, sizeof(buf), "%.*s/%s",
		                 len ? (int)len : 1, len ? path : ".", name);

		if (k > 0 && (size_t)k < sizeof(buf) && access(buf, X_OK) == 0)
			return strdup(buf);
		path += len;
		if (*path == ':')
			path++;
	}
	return NULL;
}

/*
 * Run argv once with stdin from /dev/null and stdout, stderr to out_fd,
 * err_fd.  Returns 0 and the wait status and the time from spawn to reaped,
 * or a positive errno when it could not be started.
 */
static int run_once(const struct argv *a, char *const *envp, int out_fd,
                    int err_fd, int *status, double *ms)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	double t0;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);

	t0 = now_ms();
	rc = posix_spawn(&pid, a->v[0], &fa, NULL, (char *const *)a->v, envp);
	if (rc == 0) {
		while (waitpid(pid, status, 0) < 0) {
			if (errno != EINTR)
				die("waitpid: %s", strerror(errno));
		}
	}
	*ms = now_ms() - t0;
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

static int memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		die("memfd_create: %s", strerror(errno));
	return fd;
}

/* Read back what a run wrote into a memfd (at most len - 1 bytes), empty it. */
static void slurp(int fd, char *buf, size_t len)
{
	ssize_t k = pread(fd, buf, len - 1, 0);

	buf[k > 0 ? k : 0] = '\0';
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		die("cannot rewind a memfd: %s", strerror(errno));
}

/* The last non-empty line of s, at most 200 bytes, into out. */
static void last_line(const char *s, char *out, size_t len)
{
	const char *end = s + strlen(s);
	const char *start;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	snprintf(out, len, "%.*s", (int)(end - start > 200 ? 200 : end - start),
	         start);
}

static void describe_status(int status, char *out, size_t len)
{
	if (WIFEXITED(status))
		snprintf(out, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, len, "killed by signal %d (%s)", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else
		snprintf(out, len, "wait status 0x%x", status);
}

/*
 * runpad-jail exits 0 whatever the program did; its verdict is in the
 * summary line on stderr ("runpad-jail: accepted exit=0 ...").  Returns
 * that line when it names a verdict other than accepted, else NULL.
 */
static const char *jail_bad_verdict(const char *err)
{
	static const char *const verdicts[] = {
	        "runtime_error", "signal",         "time_limit",
	        "memory_limit",  "output_limit",   "file_size_limit",
	        "process_limit", "internal_error", "compile_error",
	};
	const char *p = err;

	while ((p = strstr(p, "runpad-jail: ")) != NULL) {
		const char *v = p + strlen("runpad-jail: ");

		if (p == err || p[-1] == '\n') {
			for (size_t i = 0;
			     i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
				size_t k = strlen(verdicts[i]);

				if (!strncmp(v, verdicts[i], k) &&
				    (v[k] == ' ' || v[k] == '\n' || !v[k]))
					return p;
			}
		}
		p = v;
	}
	return NULL;
}

/*
 * One untimed run with the output captured, to check that the cell really
 * runs the program.  Returns true when it does; else fills c->why.
 */
static bool check_cell(struct cell *c, int out_fd, int err_fd)
{
	static char out[CAPTURE_MAX], err[CAPTURE_MAX];
	char what[64], line[256];
	int status = 0;
	double ms;
	int rc;

	rc = run_once(&c->argv, c->envp, out_fd, err_fd, &status, &ms);
	slurp(out_fd, out, sizeof(out));
	slurp(err_fd, err, sizeof(err));
	if (rc) {
		snprintf(c->why, sizeof(c->why), "cannot start %s: %s",
		         c->argv.v[0], strerror(rc));
		return false;
	}
	last_line(err, line, sizeof(line));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		describe_status(status, what, sizeof(what));
		snprintf(c->why, sizeof(c->why), "%s%s%s", what,
		         *line ? ": " : "", line);
		return false;
	}
	if (c->launch == L_JAIL || c->launch == L_FRESH) {
		const char *bad = jail_bad_verdict(err);

		if (bad) {
			last_line(bad, line, sizeof(line));
			snprintf(c->why, sizeof(c->why),
			         "program did not succeed: %s", line);
			return false;
		}
	}
	if (c->work == W_PYTHON && !strstr(out, HELLO)) {
		snprintf(c->why, sizeof(c->why),
		         "exit 0 but no \"" HELLO "\" on stdout%s%s",
		         *line ? "; stderr: " : "", line);
		return false;
	}
	return true;
}

/*
 * A timed run of c failed (rc: errno of posix_spawn, else the wait status):
 * mark the cell failed, and run it once more, captured, to say why.
 */
static void timed_failure(struct cell *c, unsigned long round, int rc,
                          int status, int out_fd, int err_fd)
{
	char what[64], first[160];

	if (rc)
		snprintf(what, sizeof(what), "%s", strerror(rc));
	else
		describe_status(status, what, sizeof(what));
	snprintf(first, sizeof(first),
	         "timed run %lu: %s (%zu samples dropped)", round + 1, what,
	         c->n);
	c->failed = true;
	if (check_cell(c, out_fd, err_fd)) {
		snprintf(c->why, sizeof(c->why), "%s; a re-run worked", first);
	} else {
		char again[WHY_MAX];

		memcpy(again, c->why, sizeof(again));
		snprintf(c->why, sizeof(c->why), "%s; a re-run: %.300s", first,
		         again);
	}
}

/* First line of `argv[0] --version`, or "" when it says nothing. */
static void version_of(const char *exe, char *out, size_t len)
{
	static char buf[CAPTURE_MAX];
	struct argv a = {0};
	int fd = memfd("version");
	int status = 0;
	double ms;

	argv_push(&a, exe);
	argv_push(&a, "--version");
	*out = '\0';
	if (run_once(&a, environ, fd, devnull, &status, &ms) == 0 &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		slurp(fd, buf, sizeof(buf));
		snprintf(out, len, "%.*s", (int)strcspn(buf, "\n"), buf);
	}
	close(fd);
	free(a.v);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Percentile p (0..1) of sorted v, interpolating between closest ranks. */
static double percentile(const double *v, size_t n, double p)
{
	double pos = p * (double)(n - 1);
	size_t lo = (size_t)pos;
	double frac = pos - (double)lo;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + frac * (v[lo + 1] - v[lo]);
}

static void stats(struct cell *c)
{
	double *sorted, sum = 0;

	if (c->failed || c->n == 0)
		return;
	sorted = xcalloc(c->n, sizeof(*sorted));
	memcpy(sorted, c->ms, c->n * sizeof(*sorted));
	qsort(sorted, c->n, sizeof(*sorted), cmp_double);
	for (size_t i = 0; i < c->n; i++)
		sum += sorted[i];
	c->p50 = percentile(sorted, c->n, 0.50);
	c->p99 = percentile(sorted, c->n, 0.99);
	c->mean = sum / (double)c->n;
	free(sorted);
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: jail [-n RUNS] [-w WARMUP] [--jail PATH] [--bwrap "
	        "PATH]\n"
	        "            [--python PATH] [--csv FILE] [-- JAIL-ARGS...]\n"
	        "\n"
	        "Times /bin/true and a Python hello world started bare, by "
	        "bwrap\n"
	        "and by runpad-jail --exec, interleaved round-robin.\n"
	        "\n"
	        "  -n RUNS        timed runs per workload and launcher "
	        "(default %d)\n"
	        "  -w WARMUP      untimed warm-up runs of each, the first "
	        "checked\n"
	        "                 (default %d, at least 1)\n"
	        "  --jail PATH    the runpad-jail CLI (default %s)\n"
	        "  --bwrap PATH   bubblewrap (default: bwrap from $PATH)\n"
	        "  --python PATH  the Python of the hello world (default %s)\n"
	        "  --csv FILE     write every timed sample to FILE\n"
	        "  -- ARGS...     extra runpad-jail options, before --exec\n"
	        "                 (e.g. -- --slot 0)\n",
	        DEFAULT_RUNS, DEFAULT_WARMUP, DEFAULT_JAIL, DEFAULT_PYTHON);
}

static unsigned long parse_count(const char *opt, const char *s,
                                 unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		die("%s: want a number from %lu to %lu, got '%s'", opt, min,
		    max, s);
	return v;
}

/* The 1, 5 and 15 minute load averages: other work on the machine. */
static void print_load(const char *label)
{
	double l[3];

	if (getloadavg(l, 3) == 3)
		printf("%s%.2f %.2f %.2f\n", label, l[0], l[1], l[2]);
}

static void print_machine(const char *bwrap, const char *jail,
                          const char *python, const struct argv *jail_extra)
{
	struct utsname u;
	cpu_set_t set;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	char model[128] = "", ver[128], line[256];
	FILE *f;

	if (uname(&u) < 0)
		die("uname: %s", strerror(errno));
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			snprintf(model, sizeof(model), "%.*s",
			         (int)strcspn(colon + 2, "\n"), colon + 2);
			break;
		}
	}
	if (f)
		fclose(f);
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		die("sched_getaffinity: %s", strerror(errno));

	printf("kernel:      %s %s %s %s\n", u.sysname, u.release, u.version,
	       u.machine);
	printf("cpus:        %d usable of %ld online%s%s\n", CPU_COUNT(&set),
	       online, *model ? ", " : "", model);
	print_load("load:        ");
	version_of(python, ver, sizeof(ver));
	printf("python:      %s%s%s\n", python, *ver ? ", " : "", ver);
	if (bwrap) {
		version_of(bwrap, ver, sizeof(ver));
		printf("bwrap:       %s%s%s\n", bwrap, *ver ? ", " : "", ver);
	} else {
		printf("bwrap:       not found in $PATH\n");
	}
	if (access(jail, X_OK) == 0) {
		version_of(jail, ver, sizeof(ver));
		printf("runpad-jail: %s%s%s", jail, *ver ? ", " : "", ver);
		if (jail_extra->n) {
			printf(", with");
			for (size_t i = 0; i < jail_extra->n; i++)
				printf(" %s", jail_extra->v[i]);
		}
		printf("\n");
	} else {
		printf("runpad-jail: %s not found\n", jail);
	}
}

static void print_ratios(enum workload w)
{
	const struct cell *bare = &cells[w * NLAUNCH + L_BARE];
	const struct cell *bw = &cells[w * NLAUNCH + L_BWRAP];
	const struct cell *jl = &cells[w * NLAUNCH + L_JAIL];
	const struct cell *fr = &cells[w * NLAUNCH + L_FRESH];

	printf("%s: ", work_name[w]);
	if (bare->failed) {
		printf("no ratios: bare failed\n");
		return;
	}
	if (jl->failed)
		printf("runpad-jail: n/a (failed)");
	else
		printf("runpad-jail adds %.2f ms over bare at p50 (x%.2f)",
		       jl->p50 - bare->p50, jl->p50 / bare->p50);
	if (bw->failed)
		printf("; bwrap: n/a (failed)");
	else
		printf("; bwrap adds %.2f ms (x%.2f)", bw->p50 - bare->p50,
		       bw->p50 / bare->p50);
	if (!jl->failed && !bw->failed)
		printf("; runpad-jail/bwrap = %.2f", jl->p50 / bw->p50);
	else
		printf("; runpad-jail/bwrap = n/a");
	if (!fr->failed && !bw->failed)
		printf(" (--fresh: %.2f)\n", fr->p50 / bw->p50);
	else
		printf(" (--fresh: n/a)\n");
}

static void write_csv(const char *path, const struct sample *s, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "round,seq,workload,launcher,ms\n");
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[s[i].cell];

		if (c->failed)
			continue; /* its samples are not reported anywhere */

		fprintf(f, "%u,%u,%s,%s,%.6f\n", s[i].round, s[i].seq,
		        work_name[c->work], launch_name[c->launch], s[i].ms);
	}
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	unsigned long runs = DEFAULT_RUNS, warmup = DEFAULT_WARMUP;
	const char *jail = DEFAULT_JAIL, *python = DEFAULT_PYTHON;
	const char *csv = NULL, *bwrap_opt = NULL;
	struct argv jail_extra = {0};
	const size_t ncells = NWORK * NLAUNCH;
	struct sample *samples;
	size_t nlog = 0;
	char *bwrap;
	int out_fd, err_fd;
	bool all_ok = true;

	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--")) {
			for (int j = i + 1; j < argc; j++)
				argv_push(&jail_extra, argv[j]);
			break;
		}
		if (strcmp(a, "-n") && strcmp(a, "--runs") && strcmp(a, "-w") &&
		    strcmp(a, "--warmup") && strcmp(a, "--jail") &&
		    strcmp(a, "--bwrap") && strcmp(a, "--python") &&
		    strcmp(a, "--csv"))
			die("%s: unknown option (try --help)", a);
		if (!val)
			die("%s: needs a value (try --help)", a);
		if (!strcmp(a, "-n") || !strcmp(a, "--runs"))
			runs = parse_count(a, val, 1, 1000000);
		else if (!strcmp(a, "-w") || !strcmp(a, "--warmup"))
			warmup = parse_count(a, val, 1, 1000);
		else if (!strcmp(a, "--jail"))
			jail = val;
		else if (!strcmp(a, "--bwrap"))
			bwrap_opt = val;
		else if (!strcmp(a, "--python"))
			python = val;
		else
			csv = val;
	}

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		die("/dev/null: %s", strerror(errno));
	out_fd = memfd("stdout");
	err_fd = memfd("stderr");
	bwrap = find_exe(bwrap_opt ? bwrap_opt : "bwrap");

	/* The cells: argv of each (workload, launcher). */
	for (size_t k = 0; k < ncells; k++) {
		struct cell *c = &cells[k];
		const char *prog_true[] = {"/bin/true"};
		const char *prog_py[] = {python, "-c", "print(\"" HELLO "\")"};

		c->work = (enum workload)(k / NLAUNCH);
		c->launch = (enum launcher)(k % NLAUNCH);
		c->envp = environ;
		c->ms = xcalloc(runs, sizeof(*c->ms));
		switch (c->launch) {
		case L_BARE:
			c->envp = bare_env;
			break;
		case L_BWRAP:
			if (!bwrap) {
				c->failed = true;
				snprintf(c->why, sizeof(c->why),
				         "missing: %s not found",
				         bwrap_opt ? bwrap_opt : "bwrap");
			}
			argv_push(&c->argv, bwrap ? bwrap : "bwrap");
			argv_push_all(&c->argv, bwrap_args,
			              sizeof(bwrap_args) /
			                      sizeof(bwrap_args[0]));
			break;
		case L_JAIL:
		case L_FRESH:
			if (access(jail, X_OK) != 0) {
				c->failed = true;
				snprintf(c->why, sizeof(c->why),
				         "missing: %s: %s", jail,
				         strerror(errno));
			}
			argv_push(&c->argv, jail);
			argv_push_all(&c->argv, jail_extra.v, jail_extra.n);
			if (c->launch == L_FRESH)
				argv_push(&c->argv, "--fresh");
			argv_push(&c->argv, "--exec");
			break;
		case NLAUNCH:
			break;
		}
		if (c->work == W_TRUE)
			argv_push_all(&c->argv, prog_true, 1);
		else
			argv_push_all(&c->argv, prog_py, 3);
	}

	printf("bench/jail: %lu runs each (after %lu warm-up), interleaved, "
	       "%ld cpus\n",
	       runs, warmup, sysconf(_SC_NPROCESSORS_ONLN));
	print_machine(bwrap, jail, python, &jail_extra);
	fflush(stdout);

	/* Warm up: the first run of each cell checks it, captured. */
	for (size_t k = 0; k < ncells; k++) {
		struct cell *c = &cells[k];

		if (!c->failed && !check_cell(c, out_fd, err_fd))
			c->failed = true;
	}
	for (unsigned long r = 1; r < warmup; r++) {
		for (size_t k = 0; k < ncells; k++) {
			struct cell *c = &cells[k];
			int status = 0;
			double ms;

			if (c->failed)
				continue;
			if (run_once(&c->argv, c->envp, devnull, devnull,
			             &status, &ms) != 0 ||
			    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				if (check_cell(c, out_fd, err_fd))
					snprintf(c->why, sizeof(c->why),
					         "failed once in warm-up, "
					         "not again");
				c->failed = true;
			}
		}
	}

	/* Timed: round-robin over the cells, starting one further each round. */
	samples = xcalloc(runs * ncells, sizeof(*samples));
	for (unsigned long r = 0; r < runs; r++) {
		for (size_t j = 0; j < ncells; j++) {
			size_t k = (r + j) % ncells;
			struct cell *c = &cells[k];
			int status = 0, rc;
			double ms;

			if (c->failed)
				continue;
			rc = run_once(&c->argv, c->envp, devnull, devnull,
			              &status, &ms);
			if (rc == 0 && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0) {
				c->ms[c->n++] = ms;
				samples[nlog].round = (unsigned)r;
				samples[nlog].seq = (unsigned)nlog;
				samples[nlog].cell = (unsigned)k;
				samples[nlog].ms = ms;
				nlog++;
				continue;
			}
			timed_failure(c, r, rc, status, out_fd, err_fd);
		}
	}

	/* Report. */
	printf("\n%-11s %-12s %8s %8s %8s\n", "workload", "launcher", "p50 ms",
	       "p99 ms", "mean ms");
	for (size_t k = 0; k < ncells; k++) {
		struct cell *c = &cells[k];

		stats(c);
		if (c->failed) {
			all_ok = false;
			printf("%-11s %-12s FAILED: %s\n", work_name[c->work],
			       launch_name[c->launch], c->why);
			continue;
		}
		printf("%-11s %-12s %8.2f %8.2f %8.2f\n", work_name[c->work],
		       launch_name[c->launch], c->p50, c->p99, c->mean);
	}
	printf("\n");
	for (int w = 0; w < NWORK; w++)
		print_ratios((enum workload)w);

	print_load("\nload at the end: ");
	if (csv) {
		write_csv(csv, samples, nlog);
		printf("\nraw samples: %s (%zu rows)\n", csv, nlog);
	}
	for (size_t k = 0; k < ncells; k++) {
		free(cells[k].ms);
		free(cells[k].argv.v);
	}
	free(samples);
	free(jail_extra.v);
	free(bwrap);
	close(out_fd);
	close(err_fd);
	close(devnull);
	return all_ok ? 0 : 1;
}
