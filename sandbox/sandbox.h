/*
 * sandbox.h - libsandbox, the runpad jail.
 *
 * One public header for everything that runs untrusted code: the jail
 * context (namespaces, cgroups, seccomp, slots), per-stage limits, the
 * language registry and the result of a run.  The library does not log and
 * does not exit; every function that can fail returns 0 or a negative errno
 * and, where a code is not enough, writes a sentence into a caller's buffer
 * (`char *err, size_t errlen`, NUL-terminated, may be NULL).
 *
 * Theory of operation and the privilege model are in sandbox/jail.c and
 * docs/security.md.
 *
 * Threading: sbx_ctx_new() must be called while the process is still
 * single-threaded (it moves the process into a private mount namespace, and
 * into a user namespace when not root).  After that, sbx_run() may be called
 * from any number of threads at once; each call takes one slot.
 */
#ifndef RUNPAD_SANDBOX_H
#define RUNPAD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* the runpad version (common/version.h), for the jail's users */
#define SBX_VERSION RUNPAD_VERSION

/* ---------------------------------------------------------------- limits */

/*
 * Limits of one stage (compile or run).  Zero means "no limit of this kind"
 * only where noted; sbx_limits_default() fills every field.
 */
struct sbx_limits {
	uint64_t cpu_ms;     /* CPU time of the whole process tree */
	uint64_t wall_ms;    /* wall-clock time from exec to exit */
	uint64_t memory;     /* bytes, RAM + swap of the cgroup */
	uint64_t processes;  /* processes + threads (cgroup pids) */
	uint64_t stdout_max; /* bytes of stdout kept; more kills the run */
	uint64_t stderr_max; /* bytes of stderr kept; more kills the run */
	uint64_t file_size;  /* RLIMIT_FSIZE, bytes */
	uint64_t open_files; /* RLIMIT_NOFILE */
	uint64_t stack;      /* RLIMIT_STACK, bytes */
	uint64_t box_size;   /* tmpfs of the box (working directory), bytes */
	uint64_t tmp_size;   /* tmpfs of /tmp, bytes */
	uint64_t inodes;     /* inodes of the box and of /tmp, each */
	/* What a run stage's program may hand back in /box/out (the files
	   collected after the job's last run stage: sbx_out_collect); a
	   compile stage's are not used.  0 returns nothing of that kind. */
	uint64_t out_files;     /* files returned, at most */
	uint64_t out_file_size; /* bytes of one returned file */
	uint64_t out_total;     /* bytes of all returned files together */
};

/* Conservative defaults for a run stage.  Never fails. */
void sbx_limits_default(struct sbx_limits *l);
/* Defaults for a compile stage (more time, memory and processes). */
void sbx_limits_default_compile(struct sbx_limits *l);

/*
 * Set one limit by name from text, as written in config files, the registry
 * and command lines: `cpu_time=2s`, `memory=256M`, `wall_time=1500ms`,
 * `processes=64`.  Names: cpu_time, wall_time, memory, processes,
 * stdout, stderr, file_size, open_files, stack, box_size, tmp_size, inodes,
 * out_files, out_file_size, out_total.
 * Sizes take B, K, M, G (powers of 1024, optional "iB"); times take ms, s,
 * m, h (no unit: seconds, decimals allowed).  Returns 0, -EINVAL for an unknown
 * name or bad value, -ERANGE for a value out of range; err says which.
 */
int sbx_limits_set(struct sbx_limits *l, const char *name, const char *value,
                   char *err, size_t errlen);

/* Parse "NAME=VALUE" (one token) and apply it with sbx_limits_set(). */
int sbx_limits_set_pair(struct sbx_limits *l, const char *pair, char *err,
                        size_t errlen);

/*
 * Returns the name of the first field of `l` that is above the same field of
 * `max` (a static string), or NULL when none is; for callers that refuse a
 * request naming the field.
 */
const char *sbx_limits_exceeds(const struct sbx_limits *l,
                               const struct sbx_limits *max);

/* The value of a limit by name (ms for times, bytes for sizes); *is_time
   (may be NULL) says which.  0, or -EINVAL for an unknown name. */
int sbx_limits_get(const struct sbx_limits *l, const char *name, uint64_t *out,
                   bool *is_time);

/* The name of limit i (0, 1, ...; NULL past the last), and whether it is
   a time (ms) or a size (bytes); neither: a count.  Static strings. */
const char *sbx_limits_name(size_t i, bool *is_time, bool *is_size);

/* Parse a size ("64M") or a duration in ms ("2s", "150ms"); 0 or -errno. */
int sbx_parse_size(const char *s, uint64_t *out);
int sbx_parse_duration_ms(const char *s, uint64_t *out);

/* --------------------------------------------------------------- results */

enum sbx_verdict {
	SBX_ACCEPTED = 0,
	SBX_RUNTIME_ERROR, /* exited with a non-zero code */
	SBX_SIGNAL,        /* killed by a signal not caused by a limit */
	SBX_TIME_LIMIT,    /* see sbx_stage_result.time_limit_wall */
	SBX_MEMORY_LIMIT,
	SBX_OUTPUT_LIMIT,
	SBX_FILE_SIZE_LIMIT,
	SBX_PROCESS_LIMIT,
	SBX_INTERNAL_ERROR, /* the jail failed; see message */
	SBX_COMPILE_ERROR,  /* only as the overall verdict of a job */
};

/* "accepted", "runtime_error", ...; static strings. */
const char *sbx_verdict_name(enum sbx_verdict v);
/* "SIGKILL" for 9, NULL for an unknown number; static strings. */
const char *sbx_signal_name(int sig);

/*
 * What happened to one stage.  out/err are owned by the result and freed by
 * sbx_stage_result_fini(); they are NUL-terminated for convenience but may
 * hold NUL bytes (use the lengths) and are not guaranteed to be UTF-8.
 */
struct sbx_stage_result {
	enum sbx_verdict verdict;
	bool time_limit_wall; /* with SBX_TIME_LIMIT: wall (true) or CPU */
	int exit_code;        /* valid when the program exited */
	int signal;           /* 0 unless killed by a signal */
	uint64_t cpu_ms;
	uint64_t wall_ms;
	uint64_t memory_peak; /* bytes: the stage's own peak (anonymous
	                         memory, tmpfs and shared memory, and on
	                         cgroup v2 unreclaimable kernel memory;
	                         never page cache), sampled every 2 ms and
	                         at every exit_group; the limit when the
	                         OOM killer fired; rlimits only: the
	                         largest process's maximum RSS */
	char *out;
	size_t out_len;
	bool out_truncated;
	char *err;
	size_t err_len;
	bool err_truncated;
	bool rlimits_only; /* no cgroup enforced this stage */
	bool cancelled;    /* killed through cancel_fd or hangup_fd (the
			      verdict is then SBX_SIGNAL) */
	char message[256]; /* detail for SBX_INTERNAL_ERROR, else "" */
};

void sbx_stage_result_fini(struct sbx_stage_result *r);

/*
 * Raw facts the supervisor gathered about a finished stage; turned into a
 * verdict by sbx_classify().  Exposed so the rules are testable alone.
 */
struct sbx_facts {
	bool exited; /* wait status: exited normally */
	int exit_code;
	int signal;          /* terminating signal, 0 if exited */
	bool killed_wall;    /* supervisor killed it at the wall limit */
	bool killed_cpu;     /* supervisor killed it at the CPU limit */
	bool killed_output;  /* supervisor killed it for too much output */
	bool oom_killed;     /* the cgroup's OOM killer fired */
	bool memory_hit;     /* the memory limit was reached */
	bool pids_hit;       /* a fork/clone failed at the pids limit */
	bool fsize_evidence; /* a file in /box or /tmp reached file_size */
	uint64_t cpu_ms;
	uint64_t cpu_limit_ms;
	bool internal_error;
};

enum sbx_verdict sbx_classify(const struct sbx_facts *f, bool *time_wall);

/* ---------------------------------------------------------- output files */

/*
 * Files a program hands back.  Every box holds an empty directory `out`
 * (/box/out; every stage's environment has RUNPAD_OUT=/box/out), and after
 * a job's last run stage the supervisor takes from it, with
 * sbx_out_collect(), the regular files whose names and types runpad
 * returns, within the last run stage's out_files, out_file_size and
 * out_total.  The box is the program's: the collection opens nothing but
 * single names relative to a directory fd, follows no link, never opens
 * what is not a regular file, never blocks, and reads at most the caps.
 */
#define SBX_OUT_DIR         "out"                 /* in the box */
#define SBX_OUT_ENV         "RUNPAD_OUT=/box/out" /* every stage's env */
#define SBX_OUT_NAME_MAX    100  /* bytes of a name that is returned */
#define SBX_OUT_SCAN_MAX    4096 /* entries of out/ looked at, at most */
#define SBX_OUT_REFUSED_MAX 64   /* refusals listed, at most */
/* a refused name as shown: SBX_OUT_NAME_MAX bytes escaped, "...", NUL */
#define SBX_OUT_SHOWN_MAX (4 * SBX_OUT_NAME_MAX + 4)

/*
 * The types returned, by the name's extension (case-sensitive, lowercase):
 *   .png   image/png         base64; its first 8 bytes must be PNG's
 *                            signature
 *   .svg   image/svg+xml     base64 (not checked, not cleaned: show it as
 *                            an image, never inline it into a page)
 *   .txt   text/plain
 *   .csv   text/csv
 *   .json  application/json  (not checked)
 * An image over out_file_size is refused (half a PNG is useless); a text
 * file over it is returned cut to out_file_size bytes, at the end of a
 * UTF-8 character when its last bytes begin one, with `truncated` set.
 */
struct sbx_out_file {
	char name[SBX_OUT_NAME_MAX + 1]; /* [A-Za-z0-9._-], not starting
	                                    with '.' */
	const char *type;                /* "image/png", ...: a static string */
	bool text;                       /* a text type (txt, csv, json) */
	char *data; /* owned: len bytes and a NUL after them; valid until
	               sbx_out_fini (sbx_job_result_fini) */
	size_t len;
	uint64_t size;  /* the file's size in out/ */
	bool truncated; /* data is its first len bytes (text only) */
};

/* An entry of out/ that was not returned, and why. */
struct sbx_out_refusal {
	/* the name in printable ASCII: a backslash as two, other bytes
	   outside 0x20-0x7e as \xHH (\xff); a name longer than
	   SBX_OUT_NAME_MAX is shown up to there, then "..." */
	char name[SBX_OUT_SHOWN_MAX];
	char reason[160]; /* a sentence: "a symbolic link: ..." */
};

/*
 * What the collection found, in strcmp order of the names whatever the
 * directory's order: files returned, then (separately) entries refused.
 * Both arrays are owned by the struct (by sbx_job_result when it is its
 * `out`) and freed by sbx_out_fini().
 */
struct sbx_out {
	struct sbx_out_file *files;
	size_t nfiles;
	struct sbx_out_refusal *refused;
	size_t nrefused;
	/* a cap on the whole set left something out: a file refused for
	   out_files or out_total, more than SBX_OUT_SCAN_MAX entries, or more
	   than SBX_OUT_REFUSED_MAX refusals (the rest are not listed) */
	bool truncated;
};

/*
 * Collect the files of the directory `name` (one path component) under
 * the directory fd `dirfd`, as the supervisor does with the box's out/:
 * `name` is opened O_DIRECTORY|O_NOFOLLOW; each entry is looked at with
 * fstatat(AT_SYMLINK_NOFOLLOW) and, when it is a regular file of a type
 * above, opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC and fstat'ed again
 * to check it is the same regular file.  `l` gives out_files,
 * out_file_size and out_total.  A missing `name`, one that is not a
 * directory (a link, a file, a FIFO), or one that we may not open (a
 * rootless supervisor, a program that took the directory's modes away)
 * gives no files and no refusals.
 *
 * Fills *out (zeroed first) and returns 0, or -ENOMEM (*out then holds
 * what was collected so far: free it with sbx_out_fini) or another
 * -errno when `name` exists but cannot be read.
 */
int sbx_out_collect(int dirfd, const char *name, const struct sbx_limits *l,
                    struct sbx_out *out);
void sbx_out_fini(struct sbx_out *out); /* accepts zeroed; zeroes it */

/* ---------------------------------------------------------------- the jail */

struct sbx_ctx; /* opaque */

enum sbx_cgroup_mode {
	SBX_CGROUP_NONE = 0, /* not usable: rlimits only, if allowed */
	SBX_CGROUP_V1,
	SBX_CGROUP_V2,
};

struct sbx_config {
	unsigned slots;     /* size of the pool; default 4 */
	uint32_t first_uid; /* slot i runs as first_uid + i (root mode) */
	uint32_t first_gid; /* likewise */
	const char *cgroup_parent; /* v1: path under each controller's mount;
				      v2: path under the cgroup2 mount.  NULL:
				      "runpad" (root) or our own cgroup (v2
				      delegation). */
	bool allow_rlimits_only;   /* run even when no cgroup is usable */
	const char *const *binds;  /* NULL-terminated host paths shown read-only
				      (copied by sbx_ctx_new)
				      (host paths, mounted at the same place);
				      NULL: the built-in list (the base every
				      language needs) and lang_binds */
	const char *const *lang_binds; /* with binds NULL: the languages' own
					  paths (sbx_registry_binds), added
					  to the built-in list; copied */
	const char *path_env;          /* PATH inside; NULL: built-in */
	const char *lang_env;          /* LANG inside; NULL: "C.UTF-8" */
	bool netns_at_start;           /* make every slot's network namespace in
				      sbx_ctx_new (daemons), not on the
				      slot's first use (the CLI) */
	const char *template_dir; /* root, with a cgroup, not netns_at_start:
				      keep each slot's root and network
				      namespace in template namespaces held
				      under this directory (created 0700),
				      which later contexts with the same
				      settings join instead of building them
				      (template.c).  NULL: every context
				      builds its own (daemons build theirs
				      once, at start) */
};

/* Defaults for every field.  Never fails. */
void sbx_config_default(struct sbx_config *c);

/*
 * Create the jail context: detect cgroups, create the slot cgroups, the
 * slot boxes and network namespaces, build the seccomp filter, and build
 * the template root.  Must run while the process is single-threaded.
 * On success *out owns everything; free it with sbx_ctx_free().
 * Returns 0, or -errno with a sentence in err naming what is missing.
 */
int sbx_ctx_new(const struct sbx_config *c, struct sbx_ctx **out, char *err,
                size_t errlen);
void sbx_ctx_free(struct sbx_ctx *ctx); /* accepts NULL */

enum sbx_cgroup_mode sbx_ctx_cgroup_mode(const struct sbx_ctx *ctx);
unsigned sbx_ctx_slots(const struct sbx_ctx *ctx);
bool sbx_ctx_rootless(const struct sbx_ctx *ctx); /* user namespace in use */
/* NULL, or why a path of a slot's root built so far is a plain bind of the
   host's (overlayfs refused it, or a file was too large to copy), so that
   its inodes, and the locks and marks on them, are shared with the host and
   other slots.  The roots of slots not used yet are not counted.  Valid
   until sbx_ctx_free. */
const char *sbx_ctx_root_shared(const struct sbx_ctx *ctx);

/*
 * A job: files are placed in a fresh box, then an optional compile stage
 * and a run stage execute in it, each with its own limits.  Argument
 * vectors are NULL-terminated; every pointer is borrowed for the call only.
 */
struct sbx_file {
	const char *name; /* one path component: no '/', no "..", no NUL */
	const char *data;
	size_t len;
	bool executable;
};

struct sbx_stage {
	const char *const *argv; /* argv[0] is an absolute path in the jail */
	const char *const
	        *env; /* extra "K=V" entries, NULL-terminated, or NULL */
	struct sbx_limits limits;
	const char *stdin_data; /* fed to stdin, then closed; may be NULL */
	size_t stdin_len;
	int stdin_fd;  /* or: forward this fd to stdin until EOF
				    (interactive); -1 for none */
	int cancel_fd; /* readable => kill the stage; -1 for none */
	int hangup_fd; /* a connection whose peer may go away (a client's
			  socket): readable or hung up => kill the stage,
			  like cancel_fd; -1 for none.  Set it explicitly:
			  0 is a valid fd. */
	/* Streaming: called from the calling thread as output arrives
	   (stream 1 = stdout, 2 = stderr).  May be NULL. */
	void (*on_output)(void *arg, int stream, const char *buf, size_t len);
	void *arg;
};

struct sbx_job {
	const struct sbx_file *files;
	size_t nfiles;
	const struct sbx_stage *compile; /* NULL: no compile stage */
	const struct sbx_stage *run;     /* NULL: compile only */
	/* Or, instead of run: several run stages, one after another in the
	   same box after one compile (a program's tests).  Later stages see
	   the files earlier ones left.  A cancelled stage ends the job. */
	const struct sbx_stage *runs;
	size_t nruns;
	int slot; /* -1: any free slot (waits) */
	/* After the last run stage that ran, collect the files of /box/out
	   into the result's `out` (sbx_out_collect, with that stage's
	   limits).  Nothing is collected after a failed compile, without a
	   run stage, or when the jail failed. */
	bool collect_out;
	/* Called from the calling thread after each stage ended (compile,
	   run, each of runs), before the next starts.  May be NULL. */
	void (*on_stage_end)(void *arg, const struct sbx_stage *st,
	                     const struct sbx_stage_result *res);
	void *arg;
};

struct sbx_job_result {
	enum sbx_verdict verdict; /* of the job: compile_error, or the run's */
	bool compiled;            /* a compile stage ran */
	struct sbx_stage_result compile;
	bool ran; /* a run stage ran */
	struct sbx_stage_result run;
	/* With job->runs: one result per stage that ran (nruns of them,
	   fewer when the compile failed or a stage was cancelled); owned by
	   the result.  `run` is then unused. */
	struct sbx_stage_result *runs;
	size_t nruns;
	struct sbx_out out; /* with job->collect_out; owned by the result */
	int slot;
};

/*
 * Run a job in a slot.  Blocks until both stages ended and the slot is
 * clean again.  Returns 0 when the jail worked (the verdicts say what the
 * program did), or -errno when the jail itself failed (then err says why
 * and *res holds SBX_INTERNAL_ERROR).  Always fill *res; release it with
 * sbx_job_result_fini().
 */
int sbx_run(struct sbx_ctx *ctx, const struct sbx_job *job,
            struct sbx_job_result *res, char *err, size_t errlen);
void sbx_job_result_fini(struct sbx_job_result *res);

/* ------------------------------------------------------- capability report */

/*
 * What this host offers, for `runpad-jail --check`.  Strings are static or
 * live in the struct.  Does not need a context.
 */
struct sbx_host_report {
	bool root;
	bool userns;  /* unprivileged user namespaces work */
	bool seccomp; /* seccomp filters can be loaded */
	enum sbx_cgroup_mode cgroup;
	char controllers[128]; /* "memory pids cpuacct" etc. */
	char cgroup_detail[256];
	bool namespaces[6]; /* pid mnt net ipc uts cgroup */
};
void sbx_host_probe(struct sbx_host_report *r);

/* -------------------------------------------------------------- registry */

/*
 * The language registry: an INI-style file, one [section] per language.
 *
 *   [python]
 *   name     = Python
 *   aliases  = py python3
 *   version  = python3 --version
 *   source   = main.py
 *   compile  = ...            (optional)
 *   run      = python3 main.py
 *   mode     = python
 *   env      = PYTHONDONTWRITEBYTECODE=1
 *   limits   = memory=512M processes=32
 *   compile_limits = cpu_time=20s
 *   requires = /usr/lib/gcc/x86_64-linux-gnu/[0-9]*\/cc1obj   (optional)
 *   binds    = /etc/java-17-openjdk     (optional: host paths it needs)
 *   library  = numpy python3-numpy      (optional, repeatable; below)
 *   starter  = <<END                    (optional: what a new pad holds)
 *   print("Hello, world!")
 *   END
 *
 * Commands are split on blanks with '...' and "..." quoting; a first word
 * without '/' is looked up in the jail's PATH.  `{args}` (a whole word) in
 * run is replaced by the user's arguments, else they are appended.
 *
 * `starter = <<TAG` (TAG: 1 to 32 letters, digits or '_') opens a block:
 * the lines after it, verbatim (no trimming, no comments; a trailing '\r'
 * is dropped), up to the first line that holds only TAG (blanks around it
 * allowed), each ending in '\n'.  The text is at most SBX_STARTER_MAX bytes
 * and not empty; a block that no line closes is an error naming the line
 * that opened it.
 */
#define SBX_STARTER_MAX 4096

/*
 * `library = NAME PACKAGE [WORD...]`, once per library a language's
 * programs can use: NAME as users know it (numpy, rand, boost), the Debian
 * PACKAGE whose installed version is the library's, and the words the
 * commands need to find it.  sbx_registry_detect_libraries() marks the
 * library available when PACKAGE is installed and every absolute path
 * among its words (a whole word, or what follows the '=' of one such as
 * rand=/path) exists, and then puts the words of the available ones into
 * the language's compile and run commands: a word `{libs}` becomes all of
 * them, one argv entry each; `{libs:}` inside a word becomes ':' and the
 * words joined with ':' (nothing when there are none), for class paths:
 * `-cp /box{libs:}`.  At most SBX_LIBS_MAX per language.
 */
#define SBX_LIBS_MAX 64
struct sbx_lib {
	char *name;
	char *package;
	char **words;   /* NULL-terminated, maybe empty */
	bool available; /* set by sbx_registry_detect_libraries */
	char *version;  /* the package's upstream version, or NULL */
};

/*
 * Options: `option = NAME VALUE[=WORD,WORD...] ...`, the allow-listed
 * choices a run may make (C's standard, an optimisation level, Rust's
 * mode), never free flags.  The first value is the default.  A command
 * word `{NAME}` becomes the chosen value's words (the value itself when it
 * has no `=`; none for `debug=`); `{NAME}` inside a word becomes its first
 * word (`-std={std}`).  Names and values: 1 to 32 of [A-Za-z0-9+._-].
 */
#define SBX_OPTIONS_MAX       8
#define SBX_OPTION_VALUES_MAX 16
struct sbx_option_value {
	char *value;
	char **words; /* NULL-terminated */
};
struct sbx_option {
	char *name;
	struct sbx_option_value *values; /* values[0] is the default */
	size_t nvalues;
};

/*
 * Variants: a section `[BASE/VARIANT]` after [BASE] is another toolchain
 * for the same language (clang-15 for C, PyPy for Python).  It is not a
 * language of its own: sbx_registry_find() never returns it, it has BASE's
 * id, and it takes from BASE every key it does not give (source, mode,
 * name, commands, env, limits, binds, options, and the libraries unless
 * `libraries = none`); it may not give aliases, source, mode or a starter.
 * BASE names its own toolchain with `variant = ID`.  Programs and versions
 * are resolved and detected per variant, as for languages.
 */
struct sbx_lang {
	char *id;
	char *name;
	char **aliases;     /* NULL-terminated */
	char **version_cmd; /* argv, NULL-terminated; may be NULL */
	char *source;       /* file name in the box */
	char **compile_cmd; /* argv or NULL */
	char **run_cmd;     /* argv */
	char *mode;         /* CodeMirror mode name */
	char **env;         /* "K=V", NULL-terminated */
	char **limits;      /* "name=value" run overrides, NULL-terminated */
	char **compile_limits;
	char **requires; /* absolute path patterns (glob) that must each match
	                    an existing file, or NULL */
	char **binds;    /* host paths outside /usr the language needs in the
	                    jail's root, read-only (absolute; globs allowed),
	                    or NULL */
	bool available;  /* every command's program is installed, and every
	                    `requires` pattern matches */
	char *version;   /* detected, or NULL until sbx_registry_detect */
	char *starter;   /* the program a new pad starts from: text ending in
	                    '\n', at most SBX_STARTER_MAX bytes, or NULL when
	                    the entry has none */
	struct sbx_lib *libs; /* nlibs of them, in the registry's order */
	size_t nlibs;
	bool libs_placed;           /* the commands hold the libraries' words */
	struct sbx_option *options; /* noptions of them */
	size_t noptions;
	char *variant;   /* this toolchain's id (`variant =` of a base, the
	                    VARIANT of [BASE/VARIANT]), or NULL */
	bool is_variant; /* a [BASE/VARIANT] section */
	size_t base;     /* with is_variant: BASE's index in the registry */
	bool no_libs;    /* `libraries = none` */
};

struct sbx_registry {
	struct sbx_lang *langs;
	size_t n;
	char **binds; /* every language's binds, once each (sbx_registry_binds) */
};

/*
 * The binds of every language of the registry, each path once, in the
 * registry's order: what sbx_config.lang_binds takes.  NULL-terminated;
 * owned by reg (freed by sbx_registry_fini); NULL on ENOMEM.
 */
const char *const *sbx_registry_binds(struct sbx_registry *reg);

/*
 * Parse a registry from text.  Refuses duplicate ids or aliases, unknown
 * keys, missing source/run, bad limit overrides, and starter blocks that
 * are unclosed, empty, too long or not UTF-8; err names the line.
 * On success the caller owns *reg and frees it with sbx_registry_fini().
 */
int sbx_registry_parse(const char *text, size_t len, struct sbx_registry *reg,
                       char *err, size_t errlen);
int sbx_registry_load(const char *path, struct sbx_registry *reg, char *err,
                      size_t errlen);
void sbx_registry_fini(struct sbx_registry *reg); /* accepts zeroed */

/*
 * Mark each language available when every program its commands name is an
 * executable file under the jail's PATH (`path` as in sbx_config) and each
 * of its `requires` patterns matches a file (for a toolchain part that no
 * command names, such as gcc's cc1obj for Objective-C).  Detects the
 * libraries first (sbx_registry_detect_libraries with dpkg's own
 * database) unless that was done.
 */
void sbx_registry_resolve(struct sbx_registry *reg, const char *path);

/*
 * Run each available language's version command (on the host, in parallel,
 * 10 s at most) and store the first version number it prints.  Languages
 * that already have a version (from a caller's cache) keep it.
 */
void sbx_registry_detect_versions(struct sbx_registry *reg, const char *path);

/*
 * Mark each language's libraries available or not from what dpkg says is
 * installed (dpkg-query --admindir=ADMINDIR; NULL: /var/lib/dpkg) and the
 * paths their words name, take their versions from it ("1:1.24.2-1" and
 * "1.24.2+dfsg-2" give 1.24.2: no epoch, no Debian revision or repack
 * suffix, three numbers at most), and put the words of the available ones
 * into the commands (struct sbx_lib says how).  Once per registry: later
 * calls change nothing.  When dpkg-query cannot say, every library is
 * unavailable.  0, or -ENOMEM (a language not done yet keeps its commands
 * as written, and the next call tries again).
 */
int sbx_registry_detect_libraries(struct sbx_registry *reg, const char *status);

/* Find by id or alias, case-insensitively; NULL if none.  Valid as long as
   the registry. */
const struct sbx_lang *sbx_registry_find(const struct sbx_registry *reg,
                                         const char *name);

/* The languages of reg (its variants not counted), and in *available
   (may be NULL) how many of them are available. */
size_t sbx_registry_count(const struct sbx_registry *reg, size_t *available);

/*
 * The toolchains of base language l: l first, then its [l/...] sections in
 * registry order, at most max of them into out.  Returns how many there
 * are (1 for a language without variants).  Valid as long as reg.
 */
size_t sbx_registry_variants(const struct sbx_registry *reg,
                             const struct sbx_lang *l,
                             const struct sbx_lang **out, size_t max);

/*
 * A stage's argv: cmd (one of l's commands) with the options' placeholders
 * replaced by the values chosen (choice[i] indexes l->options[i].values;
 * NULL: every default) and the user's args substituted as by
 * sbx_lang_argv().  Free with sbx_argv_free(); NULL on ENOMEM.
 */
char **sbx_lang_command(const struct sbx_lang *l, const char *const *cmd,
                        const size_t *choice, const char *const *user_args);

/*
 * Build the argv of a language's stage with the user's args substituted.
 * Returns a NULL-terminated vector that the caller frees with
 * sbx_argv_free(), or NULL on ENOMEM.
 */
char **sbx_lang_argv(const char *const *cmd, const char *const *user_args);
void sbx_argv_free(char **argv); /* accepts NULL */

/*
 * The executable a program name means in the jail: `prog` itself when it
 * holds a '/', else the first match in `path` (NULL: SBX_DEFAULT_PATH), looked
 * up on the host, whose toolchain directories the jail binds at the same
 * place.  Returns a new string the caller frees, or NULL when none is found.
 */
char *sbx_which(const char *prog, const char *path);

/* Split a command line the way the registry does; NULL on error. */
char **sbx_split_command(const char *s, char *err, size_t errlen);

/* The built-in PATH inside the jail. */
#define SBX_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
/* Where runpad-jail, run by root, keeps its template namespaces. */
#define SBX_TEMPLATE_DIR "/run/runpad-jail"

#ifdef __cplusplus
}
#endif
#endif
