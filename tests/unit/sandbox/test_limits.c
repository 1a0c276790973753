/* Unit tests: limits parsing, verdict classification, names. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "sandbox.h"

Test(limits, sizes_parse_with_binary_units)
{
	uint64_t v;

	cr_assert_eq(sbx_parse_size("64M", &v), 0);
	cr_assert_eq(v, 64ull << 20);
	cr_assert_eq(sbx_parse_size("1GiB", &v), 0);
	cr_assert_eq(v, 1ull << 30);
	cr_assert_eq(sbx_parse_size("512k", &v), 0);
	cr_assert_eq(v, 512ull << 10);
	cr_assert_eq(sbx_parse_size("1.5M", &v), 0);
	cr_assert_eq(v, 3ull << 19);
	cr_assert_eq(sbx_parse_size("100", &v), 0);
	cr_assert_eq(v, 100);
}

Test(limits, sizes_reject_garbage_and_overflow)
{
	uint64_t v = 7;

	cr_assert_eq(sbx_parse_size("", &v), -EINVAL);
	cr_assert_eq(sbx_parse_size("M", &v), -EINVAL);
	cr_assert_eq(sbx_parse_size("-1M", &v), -EINVAL);
	cr_assert_eq(sbx_parse_size("12X", &v), -EINVAL);
	cr_assert_eq(sbx_parse_size("1.M", &v), -EINVAL);
	cr_assert_eq(sbx_parse_size("99999999999999999999", &v), -ERANGE);
	cr_assert_eq(sbx_parse_size("99999999999G", &v), -ERANGE);
	cr_assert_eq(v, 7, "a failed parse must not write");
}

Test(limits, durations_parse_in_ms)
{
	uint64_t v;

	cr_assert_eq(sbx_parse_duration_ms("2s", &v), 0);
	cr_assert_eq(v, 2000);
	cr_assert_eq(sbx_parse_duration_ms("150ms", &v), 0);
	cr_assert_eq(v, 150);
	cr_assert_eq(sbx_parse_duration_ms("1.25", &v), 0);
	cr_assert_eq(v, 1250);
	cr_assert_eq(sbx_parse_duration_ms("2m", &v), 0);
	cr_assert_eq(v, 120000);
	cr_assert_eq(sbx_parse_duration_ms("2h", &v), 0);
	cr_assert_eq(v, 7200000);
	cr_assert_eq(sbx_parse_duration_ms("2d", &v), -EINVAL);
}

Test(limits, set_by_name_checks_range_and_names_the_field)
{
	struct sbx_limits l;
	char err[200];

	sbx_limits_default(&l);
	cr_assert_eq(sbx_limits_set(&l, "memory", "128M", err, sizeof(err)), 0);
	cr_assert_eq(l.memory, 128ull << 20);
	cr_assert_eq(sbx_limits_set_pair(&l, "processes=8", err, sizeof(err)),
	             0);
	cr_assert_eq(l.processes, 8);
	cr_assert_eq(sbx_limits_set(&l, "processes", "1.5", err, sizeof(err)),
	             -EINVAL);
	cr_assert_eq(sbx_limits_set(&l, "memory", "10K", err, sizeof(err)),
	             -ERANGE);
	cr_assert(strstr(err, "memory"), "error names the limit: %s", err);
	cr_assert_eq(sbx_limits_set(&l, "bogus", "1", err, sizeof(err)),
	             -EINVAL);
	cr_assert(strstr(err, "bogus"));
	cr_assert_eq(sbx_limits_set_pair(&l, "=1", err, sizeof(err)), -EINVAL);
	cr_assert_eq(sbx_limits_set_pair(&l, "memory", err, sizeof(err)),
	             -EINVAL);
}

Test(limits, out_files_limits_default_and_parse)
{
	struct sbx_limits l;
	char err[160];

	sbx_limits_default(&l);
	cr_assert_eq(l.out_files, 16);
	cr_assert_eq(l.out_file_size, 1ull << 20);
	cr_assert_eq(l.out_total, 4ull << 20);
	cr_assert_eq(sbx_limits_set_pair(&l, "out_files=0", err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(l.out_files, 0);
	cr_assert_eq(
	        sbx_limits_set(&l, "out_file_size", "2M", err, sizeof(err)), 0);
	cr_assert_eq(l.out_file_size, 2ull << 20);
	cr_assert_eq(sbx_limits_set(&l, "out_total", "8M", err, sizeof(err)),
	             0);
	cr_assert_eq(l.out_total, 8ull << 20);
	cr_assert_eq(sbx_limits_set(&l, "out_files", "1025", err, sizeof(err)),
	             -ERANGE);
	cr_assert(strstr(err, "out_files"), "%s", err);
	cr_assert_eq(sbx_limits_set(&l, "out_total", "2G", err, sizeof(err)),
	             -ERANGE);
}

Test(limits, exceeds_names_first_field_above_max)
{
	struct sbx_limits l, max;

	sbx_limits_default(&l);
	sbx_limits_default(&max);
	cr_assert_null(sbx_limits_exceeds(&l, &max));
	l.wall_ms = max.wall_ms + 1;
	cr_assert_str_eq(sbx_limits_exceeds(&l, &max), "wall_time");
}

Test(limits, compile_defaults_are_larger)
{
	struct sbx_limits r, c;

	sbx_limits_default(&r);
	sbx_limits_default_compile(&c);
	cr_assert_gt(c.cpu_ms, r.cpu_ms);
	cr_assert_gt(c.memory, r.memory);
	cr_assert_gt(c.processes, r.processes);
}

static enum sbx_verdict classify(struct sbx_facts f, bool *wall)
{
	return sbx_classify(&f, wall);
}

Test(verdict, exit_codes)
{
	bool wall;

	cr_assert_eq(classify((struct sbx_facts){.exited = true}, &wall),
	             SBX_ACCEPTED);
	cr_assert_eq(
	        classify((struct sbx_facts){.exited = true, .exit_code = 3},
	                 &wall),
	        SBX_RUNTIME_ERROR);
	cr_assert_eq(classify((struct sbx_facts){.signal = SIGSEGV}, &wall),
	             SBX_SIGNAL);
}

Test(verdict, limits_we_enforced_name_themselves)
{
	bool wall;

	cr_assert_eq(classify((struct sbx_facts){.signal = SIGKILL,
	                                         .killed_wall = true},
	                      &wall),
	             SBX_TIME_LIMIT);
	cr_assert(wall);
	cr_assert_eq(classify((struct sbx_facts){.signal = SIGKILL,
	                                         .killed_cpu = true},
	                      &wall),
	             SBX_TIME_LIMIT);
	cr_assert_not(wall);
	cr_assert_eq(classify((struct sbx_facts){.signal = SIGKILL,
	                                         .killed_output = true,
	                                         .killed_wall = true},
	                      &wall),
	             SBX_OUTPUT_LIMIT);
}

Test(verdict, kernel_evidence)
{
	bool wall;

	cr_assert_eq(classify((struct sbx_facts){.signal = SIGKILL,
	                                         .oom_killed = true},
	                      &wall),
	             SBX_MEMORY_LIMIT);
	cr_assert_eq(classify((struct sbx_facts){.signal = SIGXCPU,
	                                         .cpu_ms = 2001,
	                                         .cpu_limit_ms = 2000},
	                      &wall),
	             SBX_TIME_LIMIT);
	cr_assert_eq(classify((struct sbx_facts){.signal = SIGKILL,
	                                         .cpu_ms = 2000,
	                                         .cpu_limit_ms = 2000},
	                      &wall),
	             SBX_TIME_LIMIT);
	cr_assert_eq(classify((struct sbx_facts){.signal = SIGXFSZ,
	                                         .fsize_evidence = true},
	                      &wall),
	             SBX_FILE_SIZE_LIMIT);
	cr_assert_eq(classify((struct sbx_facts){.exited = true,
	                                         .exit_code = 1,
	                                         .memory_hit = true},
	                      &wall),
	             SBX_MEMORY_LIMIT);
}

/* A program can raise the signals the limits send: they name a limit only
   when the kernel's counters show it was reached. */
Test(verdict, self_raised_limit_signals_are_signals)
{
	bool wall;

	cr_assert_eq(classify((struct sbx_facts){.signal = SIGXCPU,
	                                         .cpu_ms = 2,
	                                         .cpu_limit_ms = 2000},
	                      &wall),
	             SBX_SIGNAL);
	cr_assert_eq(classify((struct sbx_facts){.signal = SIGXCPU,
	                                         .cpu_ms = 1999,
	                                         .cpu_limit_ms = 2000},
	                      &wall),
	             SBX_SIGNAL);
	cr_assert_eq(classify((struct sbx_facts){.signal = SIGKILL,
	                                         .cpu_ms = 3,
	                                         .cpu_limit_ms = 2000},
	                      &wall),
	             SBX_SIGNAL);
	cr_assert_eq(classify((struct sbx_facts){.signal = SIGXFSZ}, &wall),
	             SBX_SIGNAL);
	cr_assert_eq(classify((struct sbx_facts){.signal = SIGXCPU}, &wall),
	             SBX_SIGNAL, "no CPU limit: never a time limit");
}

/* An OOM kill anywhere in the stage is the memory limit, even when the
   program's own status was lost with its namespace (init gone). */
Test(verdict, oom_without_status_is_memory_limit)
{
	bool wall;

	cr_assert_eq(
	        classify((struct sbx_facts){.exited = true, .oom_killed = true},
	                 &wall),
	        SBX_MEMORY_LIMIT);
}

Test(verdict, fork_bomb_is_a_process_limit_even_when_it_times_out)
{
	bool wall;

	cr_assert_eq(classify((struct sbx_facts){.signal = SIGKILL,
	                                         .killed_wall = true,
	                                         .pids_hit = true},
	                      &wall),
	             SBX_PROCESS_LIMIT);
}

Test(verdict, success_wins_over_a_limit_it_coped_with)
{
	bool wall;

	cr_assert_eq(classify((struct sbx_facts){.exited = true,
	                                         .pids_hit = true,
	                                         .memory_hit = true},
	                      &wall),
	             SBX_ACCEPTED);
}

Test(verdict, internal_error_wins)
{
	bool wall;

	cr_assert_eq(classify((struct sbx_facts){.internal_error = true,
	                                         .killed_output = true},
	                      &wall),
	             SBX_INTERNAL_ERROR);
}

Test(verdict, names)
{
	cr_assert_str_eq(sbx_verdict_name(SBX_ACCEPTED), "accepted");
	cr_assert_str_eq(sbx_verdict_name(SBX_TIME_LIMIT), "time_limit");
	cr_assert_str_eq(sbx_verdict_name(SBX_COMPILE_ERROR), "compile_error");
	cr_assert_str_eq(sbx_verdict_name(SBX_PROCESS_LIMIT), "process_limit");
	cr_assert_str_eq(sbx_signal_name(SIGKILL), "SIGKILL");
	cr_assert_str_eq(sbx_signal_name(SIGSYS), "SIGSYS");
	cr_assert_null(sbx_signal_name(0));
	cr_assert_null(sbx_signal_name(77));
}
