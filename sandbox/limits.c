/*
 * limits.c - stage limits, their text form, and the verdict rules.
 *
 * Everything here is pure: no system calls, so the rules that decide what a
 * user is told about their program are tested on their own
 * (tests/unit/sandbox/test_limits.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sandbox.h"
#include "units.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

void sbx_limits_default(struct sbx_limits *l)
{
	*l = (struct sbx_limits){
	        .cpu_ms = 2000,
	        .wall_ms = 5000,
	        .memory = 256 * MiB,
	        .processes = 64,
	        .stdout_max = 1 * MiB,
	        .stderr_max = 256 * KiB,
	        .file_size = 16 * MiB,
	        .open_files = 256,
	        .stack = 64 * MiB,
	        .box_size = 64 * MiB,
	        .tmp_size = 64 * MiB,
	        .inodes = 4096,
	        .out_files = 16,
	        .out_file_size = 1 * MiB,
	        .out_total = 4 * MiB,
	};
}

void sbx_limits_default_compile(struct sbx_limits *l)
{
	sbx_limits_default(l);
	l->cpu_ms = 20000;
	l->wall_ms = 40000;
	l->memory = 1 * GiB;
	l->processes = 128;
	l->stdout_max = 256 * KiB;
	l->stderr_max = 256 * KiB;
	l->file_size = 64 * MiB;
	l->open_files = 512;
}

int sbx_parse_size(const char *s, uint64_t *out)
{
	return units_parse_size(s, out);
}

int sbx_parse_duration_ms(const char *s, uint64_t *out)
{
	return units_parse_duration_ms(s, out);
}

enum limit_kind { LK_TIME, LK_SIZE, LK_COUNT };

static const struct limit_field {
	const char *name;
	size_t off;
	enum limit_kind kind;
	uint64_t min;
	uint64_t max;
} fields[] = {
#define F(n, m, k, lo, hi)                                                     \
	{                                                                      \
		n, offsetof(struct sbx_limits, m), k, lo, hi                   \
	}
        F("cpu_time", cpu_ms, LK_TIME, 1, 24 * 3600 * 1000ULL),
        F("wall_time", wall_ms, LK_TIME, 1, 24 * 3600 * 1000ULL),
        F("memory", memory, LK_SIZE, 1 * MiB, 1024 * GiB),
        F("processes", processes, LK_COUNT, 1, 1u << 22),
        F("stdout", stdout_max, LK_SIZE, 0, 1024 * MiB),
        F("stderr", stderr_max, LK_SIZE, 0, 1024 * MiB),
        F("file_size", file_size, LK_SIZE, 0, 1024 * GiB),
        F("open_files", open_files, LK_COUNT, 4, 1u << 20),
        F("stack", stack, LK_SIZE, 64 * KiB, 1024 * GiB),
        F("box_size", box_size, LK_SIZE, 64 * KiB, 1024 * GiB),
        F("tmp_size", tmp_size, LK_SIZE, 64 * KiB, 1024 * GiB),
        F("inodes", inodes, LK_COUNT, 16, 1u << 30),
        F("out_files", out_files, LK_COUNT, 0, 1024),
        F("out_file_size", out_file_size, LK_SIZE, 0, 1 * GiB),
        F("out_total", out_total, LK_SIZE, 0, 1 * GiB),
#undef F
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static uint64_t *field_ptr(struct sbx_limits *l, const struct limit_field *f)
{
	return (uint64_t *)((char *)l + f->off);
}

static uint64_t field_val(const struct sbx_limits *l,
                          const struct limit_field *f)
{
	return *(const uint64_t *)((const char *)l + f->off);
}

int sbx_limits_set(struct sbx_limits *l, const char *name, const char *value,
                   char *err, size_t errlen)
{
	const struct limit_field *f = NULL;
	uint64_t v;
	int r;

	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			f = &fields[i];
	if (!f) {
		if (err)
			snprintf(err, errlen, "unknown limit '%s'", name);
		return -EINVAL;
	}
	switch (f->kind) {
	case LK_TIME:
		r = sbx_parse_duration_ms(value, &v);
		break;
	case LK_SIZE:
		r = sbx_parse_size(value, &v);
		break;
	default:
		r = units_parse_count(value, &v);
		break;
	}
	if (r == -EINVAL) {
		if (err)
			snprintf(err, errlen,
			         "limit %s: cannot parse '%s' as %s", name,
			         value,
			         f->kind == LK_TIME   ? "a duration (2s, 500ms)"
			         : f->kind == LK_SIZE ? "a size (64M, 1G)"
			                              : "a whole number");
		return r;
	}
	if (r == 0 && (v < f->min || v > f->max))
		r = -ERANGE;
	if (r == -ERANGE) {
		if (err)
			snprintf(
			        err, errlen,
			        "limit %s: '%s' is out of range (%llu to %llu%s)",
			        name, value, (unsigned long long)f->min,
			        (unsigned long long)f->max,
			        f->kind == LK_TIME   ? " ms"
			        : f->kind == LK_SIZE ? " bytes"
			                             : "");
		return r;
	}
	*field_ptr(l, f) = v;
	return 0;
}

int sbx_limits_set_pair(struct sbx_limits *l, const char *pair, char *err,
                        size_t errlen)
{
	char name[32];
	const char *eq = strchr(pair, '=');
	size_t n;

	if (!eq || eq == pair) {
		if (err)
			snprintf(err, errlen, "limit '%s': expected NAME=VALUE",
			         pair);
		return -EINVAL;
	}
	n = (size_t)(eq - pair);
	if (n >= sizeof(name)) {
		if (err)
			snprintf(err, errlen, "limit '%.40s': name too long",
			         pair);
		return -EINVAL;
	}
	memcpy(name, pair, n);
	name[n] = '\0';
	return sbx_limits_set(l, name, eq + 1, err, errlen);
}

int sbx_limits_get(const struct sbx_limits *l, const char *name, uint64_t *out,
                   bool *is_time)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		if (strcmp(fields[i].name, name) == 0) {
			*out = field_val(l, &fields[i]);
			if (is_time)
				*is_time = fields[i].kind == LK_TIME;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sbx_limits_name(size_t i, bool *is_time, bool *is_size)
{
	if (i >= NFIELDS)
		return NULL;
	if (is_time)
		*is_time = fields[i].kind == LK_TIME;
	if (is_size)
		*is_size = fields[i].kind == LK_SIZE;
	return fields[i].name;
}

const char *sbx_limits_exceeds(const struct sbx_limits *l,
                               const struct sbx_limits *max)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (field_val(l, &fields[i]) > field_val(max, &fields[i]))
			return fields[i].name;
	return NULL;
}

const char *sbx_verdict_name(enum sbx_verdict v)
{
	switch (v) {
	case SBX_ACCEPTED:
		return "accepted";
	case SBX_RUNTIME_ERROR:
		return "runtime_error";
	case SBX_SIGNAL:
		return "signal";
	case SBX_TIME_LIMIT:
		return "time_limit";
	case SBX_MEMORY_LIMIT:
		return "memory_limit";
	case SBX_OUTPUT_LIMIT:
		return "output_limit";
	case SBX_FILE_SIZE_LIMIT:
		return "file_size_limit";
	case SBX_PROCESS_LIMIT:
		return "process_limit";
	case SBX_INTERNAL_ERROR:
		return "internal_error";
	case SBX_COMPILE_ERROR:
		return "compile_error";
	}
	return "internal_error";
}

const char *sbx_signal_name(int sig)
{
	switch (sig) {
#define S(x)                                                                   \
	case x:                                                                \
		return #x
		S(SIGHUP);
		S(SIGINT);
		S(SIGQUIT);
		S(SIGILL);
		S(SIGTRAP);
		S(SIGABRT);
		S(SIGBUS);
		S(SIGFPE);
		S(SIGKILL);
		S(SIGUSR1);
		S(SIGSEGV);
		S(SIGUSR2);
		S(SIGPIPE);
		S(SIGALRM);
		S(SIGTERM);
		S(SIGSTKFLT);
		S(SIGCHLD);
		S(SIGCONT);
		S(SIGSTOP);
		S(SIGTSTP);
		S(SIGTTIN);
		S(SIGTTOU);
		S(SIGURG);
		S(SIGXCPU);
		S(SIGXFSZ);
		S(SIGVTALRM);
		S(SIGPROF);
		S(SIGWINCH);
		S(SIGIO);
		S(SIGPWR);
		S(SIGSYS);
#undef S
	}
	return NULL;
}

/*
 * The verdict rules, most specific first.  A limit we enforced by killing
 * (output, wall, CPU) names itself.  Otherwise the kernel's evidence decides:
 * the OOM killer, a fork refused at the pids limit, the memory limit
 * reached.  A signal that a limit sends is taken for that limit only when
 * the limit was reached: SIGXCPU or SIGKILL from RLIMIT_CPU when the CPU
 * counter is at the limit, SIGXFSZ when a file reached the file size cap;
 * a program that raises them itself gets the signal it raised.  A program
 * that exits 0 is accepted even if it brushed against a limit and coped (a
 * failed fork it handled), unless the OOM killer fired in its stage.
 */
enum sbx_verdict sbx_classify(const struct sbx_facts *f, bool *time_wall)
{
	bool ok = f->exited && f->exit_code == 0;
	bool cpu_reached = f->cpu_limit_ms && f->cpu_ms >= f->cpu_limit_ms;

	*time_wall = false;
	if (f->internal_error)
		return SBX_INTERNAL_ERROR;
	if (f->killed_output)
		return SBX_OUTPUT_LIMIT;
	if (f->oom_killed)
		return SBX_MEMORY_LIMIT;
	if (ok)
		return SBX_ACCEPTED;
	if (f->pids_hit)
		return SBX_PROCESS_LIMIT;
	if (f->killed_cpu ||
	    ((f->signal == SIGXCPU || f->signal == SIGKILL) && cpu_reached))
		return SBX_TIME_LIMIT;
	if (f->killed_wall) {
		*time_wall = true;
		return SBX_TIME_LIMIT;
	}
	if (f->memory_hit)
		return SBX_MEMORY_LIMIT;
	if (f->signal == SIGXFSZ && f->fsize_evidence)
		return SBX_FILE_SIZE_LIMIT;
	if (!f->exited)
		return SBX_SIGNAL;
	return SBX_RUNTIME_ERROR;
}

void sbx_stage_result_fini(struct sbx_stage_result *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
	r->out_len = r->err_len = 0;
}
