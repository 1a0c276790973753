/*
 * runpad-jail - run one program or one source file in the runpad jail.
 *
 * Thin by design: parse the command line and config, build the job, call
 * libsandbox, print the result.  See docs/runpad-jail.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "jailconf.h"
#include "result.h"
#include "sandbox.h"

#define MAX_INPUT_BYTES (256u << 20)
#define MAX_FILES       64

enum { EXIT_JAIL_OK = 0, EXIT_USAGE = 1, EXIT_JAIL_FAILED = 2 };

struct opts {
	struct jailconf jc; /* the jail's settings: file, then options */
	const char *lang;
	const char *source;
	bool starter; /* --starter: the registry's starter is the source */
	const char *variant;                  /* --variant ID */
	const char *options[SBX_OPTIONS_MAX]; /* --option NAME=VALUE */
	size_t noptions;
	const char *files[MAX_FILES];
	size_t nfiles;
	const char *stdin_path;
	const char **args;
	size_t nargs, args_cap;
	char **exec_argv;
	bool json;
	bool check;
	int slot;
	char *run_limits[64];
	size_t nrun_limits;
	char *compile_limits[64];
	size_t ncompile_limits;
	bool fresh; /* --fresh: build the root, no template */
};

/* What one invocation runs: the box's files and the two stages. */
struct plan {
	struct sbx_file files[MAX_FILES + 1];
	size_t nf;
	struct sbx_stage compile, run;
	const struct sbx_lang *lang; /* NULL for --exec */
	char **run_argv;
	char **compile_argv;
	char *stdin_data; /* --stdin FILE */
	size_t stdin_len;
};

static void usage(FILE *f)
{
	fputs("usage: runpad-jail [OPTIONS] --lang ID --source FILE|--starter [-- ARGS...]\n"
	      "       runpad-jail [OPTIONS] --exec PROGRAM [ARGS...]\n"
	      "       runpad-jail --check | --version | --help\n"
	      "\n"
	      "  --lang ID                language id or alias\n"
	      "  --source FILE            source file for --lang\n"
	      "  --starter                the registry's starter program as\n"
	      "                           the source for --lang\n"
	      "  --variant ID             another toolchain of --lang (clang-15)\n"
	      "  --option NAME=VALUE      an allow-listed choice (std=c++17)\n"
	      "  --file PATH[=NAME]       extra file for the box (repeatable)\n"
	      "  --exec PROGRAM [ARGS]    run a program of the jail's root\n"
	      "  --stdin FILE             standard input ('-': ours)\n"
	      "  --arg ARG                program argument (repeatable)\n"
	      "  --json                   print the result as JSON\n"
	      "  --time DUR, --wall-time DUR, --memory SIZE, --processes N,\n"
	      "  --output SIZE            run stage limits\n"
	      "  --limit [compile.]NAME=VALUE   any limit of a stage\n"
	      "  --slot N, --slots N      slot to use, size of the pool\n"
	      "  --cgroup-parent PATH     parent of the slot cgroups\n"
	      "  --first-uid UID          uid of slot 0 (root mode)\n"
	      "  --rlimits-only           run without cgroups if none usable\n"
	      "  --fresh                  build the jail's root for this run\n"
	      "                           (not the template in " SBX_TEMPLATE_DIR
	      ")\n"
	      "  --registry FILE          language registry\n"
	      "  --config FILE            settings file (key = value)\n"
	      "  --check                  report what this host offers\n"
	      "exit status: 0 the jail worked, 1 usage, 2 the jail failed\n",
	      f);
}

__attribute__((format(printf, 1, 2), noreturn)) static void
die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "runpad-jail: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(EXIT_USAGE);
}

static void add_arg(struct opts *o, const char *a)
{
	if (o->nargs + 1 >= o->args_cap) {
		size_t nc = o->args_cap ? o->args_cap * 2 : 16;
		const char **na = realloc(o->args, nc * sizeof(*na));
		if (!na)
			die_usage("%s", "out of memory");
		o->args = na;
		o->args_cap = nc;
	}
	o->args[o->nargs++] = a;
	o->args[o->nargs] = NULL;
}

static void add_limit(struct opts *o, const char *pair)
{
	char err[200];
	struct sbx_limits probe;
	bool compile = strncmp(pair, "compile.", 8) == 0;
	const char *p = compile ? pair + 8 : pair;

	sbx_limits_default(&probe);
	if (sbx_limits_set_pair(&probe, p, err, sizeof(err)) < 0)
		die_usage("%s", err);
	if (compile) {
		if (o->ncompile_limits == 64)
			die_usage("%s", "too many --limit options");
		o->compile_limits[o->ncompile_limits++] = (char *)p;
	} else {
		if (o->nrun_limits == 64)
			die_usage("%s", "too many --limit options");
		o->run_limits[o->nrun_limits++] = (char *)p;
	}
}

static void add_named_limit(struct opts *o, const char *name, const char *v)
{
	size_t n = strlen(name) + strlen(v) + 2;
	char *pair = malloc(n);

	if (!pair)
		die_usage("%s", "out of memory");
	snprintf(pair, n, "%s=%s", name, v);
	add_limit(o, pair);
}

static int conf_cb_fn(void *arg, const char *key, const char *value, char *err,
                      size_t errlen)
{
	struct opts *o = arg;
	int r = jailconf_set(&o->jc, key, value, err, errlen);

	if (r != 0)
		return r < 0 ? r : 0;
	/* the daemons share the file: ignore what is theirs */
	if (strchr(key, '.'))
		return 0;
	snprintf(err, errlen, "unknown setting '%s'", key);
	return -EINVAL;
}

/* A whole file (or stdin for "-"), at most MAX_INPUT_BYTES: a new string
   the caller frees, or NULL with errno (EFBIG when it is larger). */
static char *read_all(const char *path, size_t *len)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	struct buf b = {0};
	int r = 0;

	if (fd < 0)
		return NULL;
	buf_limit(&b, MAX_INPUT_BYTES);
	for (;;) {
		/* one byte past the limit tells a file of exactly the limit
		   from a larger one */
		size_t want = b.len < 65536 ? 65536 : b.len;
		if (want > MAX_INPUT_BYTES - b.len)
			want = MAX_INPUT_BYTES - b.len;
		if (want == 0) {
			char c;
			ssize_t k = read(fd, &c, 1);
			if (k < 0 && errno == EINTR)
				continue;
			r = k > 0 ? -EFBIG : k < 0 ? -errno : 0;
			break;
		}
		r = buf_reserve(&b, want);
		if (r < 0)
			break;
		ssize_t k = read(fd, b.p + b.len, want);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : 0;
			break;
		}
		buf_commit(&b, (size_t)k);
	}
	if (fd > 0)
		close(fd);
	if (r < 0) {
		buf_fini(&b);
		errno = -r;
		return NULL;
	}
	return buf_steal(&b, len);
}

static void on_output(void *arg, int stream, const char *buf, size_t len)
{
	(void)arg;
	(void)!write(stream == 1 ? 1 : 2, buf, len);
}

static const char *cgroup_name(enum sbx_cgroup_mode m)
{
	return m == SBX_CGROUP_V2 ? "v2" : m == SBX_CGROUP_V1 ? "v1" : "none";
}

static int do_check(const struct opts *o)
{
	static const char *const nsnames[] = {"pid", "mnt", "net",
	                                      "ipc", "uts", "cgroup"};
	struct sbx_host_report hr;
	struct sbx_registry reg;
	char err[512];
	const char *path = jailconf_registry(&o->jc);
	size_t avail = 0;

	sbx_host_probe(&hr);
	printf("runpad-jail %s\n", SBX_VERSION);
	printf("privilege:        %s\n",
	       hr.root ? "root (slots drop to their own uids)"
	               : "unprivileged (user namespace)");
	printf("namespaces:      ");
	for (int i = 0; i < 6; i++)
		printf(" %s:%s", nsnames[i], hr.namespaces[i] ? "yes" : "NO");
	printf("\n");
	printf("user namespaces:  %s\n",
	       hr.userns ? "yes (unprivileged users can run the jail)" : "no");
	printf("seccomp:          %s\n", hr.seccomp ? "yes" : "NO");
	printf("cgroup:           %s (%s)\n", cgroup_name(hr.cgroup),
	       hr.cgroup_detail);
	if (hr.cgroup != SBX_CGROUP_NONE)
		printf("controllers:      %s\n", hr.controllers);
	if (sbx_registry_load(path, &reg, err, sizeof(err)) < 0) {
		printf("languages:        registry error: %s\n", err);
		return EXIT_JAIL_FAILED;
	}
	{
		/* build one slot's root for real, to say what it is made of */
		struct sbx_config cfg = o->jc.cfg;
		struct sbx_ctx *ctx = NULL;
		cfg.lang_binds = sbx_registry_binds(&reg);
		cfg.slots = 1;
		cfg.netns_at_start = true;
		if (sbx_ctx_new(&cfg, &ctx, err, sizeof(err)) < 0) {
			printf("jail root:        cannot build: %s\n", err);
		} else {
			const char *why = sbx_ctx_root_shared(ctx);
			if (why)
				printf("jail root:        shared inodes (%s): locks on the root reach other slots and the host\n",
				       why);
			else
				printf("jail root:        per-slot overlays\n");
			printf("device nodes:     %s\n",
			       sbx_ctx_rootless(ctx)
			               ? "the host's (rootless: locks on them reach other slots)"
			               : "per slot");
			sbx_ctx_free(ctx);
		}
	}

	sbx_registry_resolve(&reg, o->jc.cfg.path_env);
	sbx_registry_detect_versions(&reg, o->jc.cfg.path_env);
	printf("languages:        %zu of %zu available (registry %s)\n",
	       (sbx_registry_count(&reg, &avail), avail),
	       sbx_registry_count(&reg, NULL), path);
	for (size_t i = 0; i < reg.n; i++) {
		const struct sbx_lang *l = &reg.langs[i];
		if (l->available)
			printf("  %-12s %-16s %s%s%s\n", l->id, l->name,
			       l->version ? l->version : "?",
			       l->variant ? "  " : "",
			       l->variant ? l->variant : "");
	}
	for (size_t i = 0; i < reg.n; i++) {
		const struct sbx_lang *l = &reg.langs[i];
		if (!l->available)
			printf("  %-12s %-16s not installed%s%s\n", l->id,
			       l->name, l->variant ? "  " : "",
			       l->variant ? l->variant : "");
	}
	sbx_registry_fini(&reg);
	return hr.seccomp && hr.cgroup != SBX_CGROUP_NONE ? EXIT_JAIL_OK
	                                                  : EXIT_JAIL_FAILED;
}

static void apply_limits(struct sbx_limits *l, char **pairs, size_t n,
                         const char *what)
{
	char err[200];

	for (size_t i = 0; i < n && pairs[i]; i++) {
		if (sbx_limits_set_pair(l, pairs[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "runpad-jail: %s: %s\n", what, err);
			exit(EXIT_USAGE);
		}
	}
}

static char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return strdup(s ? s + 1 : path);
}

/*
 * The command line into *o (after jailconf_init).  Returns -1 to go on, or
 * the exit code for --version, --help and a bad option; other mistakes
 * exit through die_usage().
 */
static int parse_args(int argc, char **argv, struct opts *o)
{
	enum {
		O_LANG = 256,
		O_SOURCE,
		O_STARTER,
		O_VARIANT,
		O_OPTION,
		O_FILE,
		O_EXEC,
		O_STDIN,
		O_ARG,
		O_JSON,
		O_TIME,
		O_WALL,
		O_MEM,
		O_PROCS,
		O_OUTPUT,
		O_LIMIT,
		O_SLOT,
		O_SLOTS,
		O_CGP,
		O_UID,
		O_RLIM,
		O_FRESH,
		O_REG,
		O_CONF,
		O_CHECK,
		O_VER,
		O_HELP
	};
	static const struct option lo[] = {
	        {"lang", required_argument, NULL, O_LANG},
	        {"source", required_argument, NULL, O_SOURCE},
	        {"starter", no_argument, NULL, O_STARTER},
	        {"variant", required_argument, NULL, O_VARIANT},
	        {"option", required_argument, NULL, O_OPTION},
	        {"file", required_argument, NULL, O_FILE},
	        {"exec", required_argument, NULL, O_EXEC},
	        {"stdin", required_argument, NULL, O_STDIN},
	        {"arg", required_argument, NULL, O_ARG},
	        {"json", no_argument, NULL, O_JSON},
	        {"time", required_argument, NULL, O_TIME},
	        {"wall-time", required_argument, NULL, O_WALL},
	        {"memory", required_argument, NULL, O_MEM},
	        {"processes", required_argument, NULL, O_PROCS},
	        {"output", required_argument, NULL, O_OUTPUT},
	        {"limit", required_argument, NULL, O_LIMIT},
	        {"slot", required_argument, NULL, O_SLOT},
	        {"slots", required_argument, NULL, O_SLOTS},
	        {"cgroup-parent", required_argument, NULL, O_CGP},
	        {"first-uid", required_argument, NULL, O_UID},
	        {"rlimits-only", no_argument, NULL, O_RLIM},
	        {"fresh", no_argument, NULL, O_FRESH},
	        {"registry", required_argument, NULL, O_REG},
	        {"config", required_argument, NULL, O_CONF},
	        {"check", no_argument, NULL, O_CHECK},
	        {"version", no_argument, NULL, O_VER},
	        {"help", no_argument, NULL, O_HELP},
	        {NULL, 0, NULL, 0},
	};
	char err[512];
	unsigned long long u;
	int c;

	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (c) {
		case O_LANG:
			o->lang = optarg;
			break;
		case O_SOURCE:
			o->source = optarg;
			break;
		case O_STARTER:
			o->starter = true;
			break;
		case O_VARIANT:
			o->variant = optarg;
			break;
		case O_OPTION:
			if (o->noptions == SBX_OPTIONS_MAX ||
			    !strchr(optarg, '='))
				die_usage("--option %s: NAME=VALUE, at most %d",
				          optarg, SBX_OPTIONS_MAX);
			o->options[o->noptions++] = optarg;
			break;
		case O_FILE:
			if (o->nfiles == MAX_FILES)
				die_usage("at most %d --file options",
				          MAX_FILES);
			o->files[o->nfiles++] = optarg;
			break;
		case O_EXEC:
			/* the program and everything after it */
			o->exec_argv = &argv[optind - 1];
			optind = argc;
			break;
		case O_STDIN:
			o->stdin_path = optarg;
			break;
		case O_ARG:
			add_arg(o, optarg);
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_TIME:
			add_named_limit(o, "cpu_time", optarg);
			break;
		case O_WALL:
			add_named_limit(o, "wall_time", optarg);
			break;
		case O_MEM:
			add_named_limit(o, "memory", optarg);
			break;
		case O_PROCS:
			add_named_limit(o, "processes", optarg);
			break;
		case O_OUTPUT:
			add_named_limit(o, "stdout", optarg);
			break;
		case O_LIMIT:
			add_limit(o, optarg);
			break;
		case O_SLOT:
			if (conf_uint(optarg, 0, 1023, &u) < 0)
				die_usage("--slot: '%s' is not 0 to 1023",
				          optarg);
			o->slot = (int)u;
			break;
		case O_SLOTS:
			if (conf_uint(optarg, 1, 1024, &u) < 0)
				die_usage("--slots: '%s' is not 1 to 1024",
				          optarg);
			o->jc.cfg.slots = (unsigned)u;
			break;
		case O_CGP:
			if (jailconf_set(&o->jc, "cgroup_parent", optarg, err,
			                 sizeof(err)) < 0)
				die_usage("%s", err);
			break;
		case O_UID:
			if (conf_uint(optarg, 1, 4294900000ULL, &u) < 0)
				die_usage("--first-uid: '%s' is not a uid",
				          optarg);
			o->jc.cfg.first_uid = o->jc.cfg.first_gid = (uint32_t)u;
			break;
		case O_RLIM:
			o->jc.cfg.allow_rlimits_only = true;
			break;
		case O_FRESH:
			o->fresh = true;
			break;
		case O_REG:
			if (jailconf_set(&o->jc, "registry", optarg, err,
			                 sizeof(err)) < 0)
				die_usage("%s", err);
			break;
		case O_CONF:
			if (conf_load_with_dropins(optarg, conf_cb_fn, o, err,
			                           sizeof(err)) < 0)
				die_usage("%s", err);
			break;
		case O_CHECK:
			o->check = true;
			break;
		case O_VER:
			printf("runpad-jail %s\n", SBX_VERSION);
			return 0;
		case O_HELP:
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (o->exec_argv)
			break;
		add_arg(o, argv[i]);
	}
	return -1;
}

/* --variant: the toolchain of lang it names */
static const struct sbx_lang *choose_variant(const struct sbx_registry *reg,
                                             const struct sbx_lang *lang,
                                             const char *id)
{
	const struct sbx_lang *v[32];
	size_t n = sbx_registry_variants(reg, lang, v, 32);
	char have[400] = "";

	for (size_t i = 0; i < n && i < 32; i++) {
		if (v[i]->variant && strcasecmp(v[i]->variant, id) == 0) {
			if (!v[i]->available)
				die_usage("--variant %s of %s is not installed",
				          id, lang->id);
			return v[i];
		}
		if (v[i]->variant)
			snprintf(have + strlen(have),
			         sizeof(have) - strlen(have), "%s%s",
			         have[0] ? ", " : "", v[i]->variant);
	}
	die_usage("%s has no variant '%s'%s%s", lang->id, id,
	          have[0] ? "; it has " : "", have);
	return NULL;
}

/* --option NAME=VALUE: the value's index per option of lang */
static void choose_options(const struct opts *o, const struct sbx_lang *lang,
                           size_t *choice)
{
	for (size_t i = 0; i < o->noptions; i++) {
		const char *eq = strchr(o->options[i], '=');
		size_t nl = (size_t)(eq - o->options[i]);
		bool found = false;
		for (size_t k = 0; k < lang->noptions && !found; k++) {
			const struct sbx_option *op = &lang->options[k];
			if (strlen(op->name) != nl ||
			    strncmp(op->name, o->options[i], nl))
				continue;
			found = true;
			choice[k] = SIZE_MAX;
			for (size_t j = 0; j < op->nvalues; j++)
				if (strcmp(op->values[j].value, eq + 1) == 0)
					choice[k] = j;
			if (choice[k] == SIZE_MAX)
				die_usage("--option %s: not a value of %s",
				          o->options[i], op->name);
		}
		if (!found)
			die_usage("--option %s: %s has no such option",
			          o->options[i], lang->id);
	}
}

/* --lang: the source file, the registry's commands, env and limits. */
static void plan_lang(struct opts *o, struct sbx_registry *reg, struct plan *pl)
{
	const struct sbx_lang *lang;
	struct sbx_file *f = &pl->files[pl->nf];
	size_t len, choice[SBX_OPTIONS_MAX] = {0};

	sbx_registry_resolve(reg, o->jc.cfg.path_env);
	lang = sbx_registry_find(reg, o->lang);
	if (!lang)
		die_usage(
		        "unknown language '%s' (runpad-jail --check lists them)",
		        o->lang);
	if (!lang->available)
		die_usage(
		        "language '%s' is not available: its toolchain is not installed",
		        o->lang);
	if (o->variant)
		lang = choose_variant(reg, lang, o->variant);
	f->name = lang->source;
	if (o->starter) {
		if (!lang->starter)
			die_usage(
			        "language '%s' has no starter in the registry",
			        o->lang);
		f->data = lang->starter; /* valid as long as reg */
		len = strlen(lang->starter);
	} else {
		f->data = read_all(o->source, &len);
		if (!f->data)
			die_usage("cannot read %s: %s", o->source,
			          strerror(errno));
	}
	f->len = len;
	f->executable = false;
	pl->nf++;
	apply_limits(&pl->run.limits, lang->limits, SIZE_MAX,
	             "registry limits");
	apply_limits(&pl->compile.limits, lang->compile_limits, SIZE_MAX,
	             "registry compile_limits");
	choose_options(o, lang, choice);
	pl->run_argv = sbx_lang_command(
	        lang, (const char *const *)lang->run_cmd, choice, o->args);
	pl->compile_argv =
	        lang->compile_cmd
	                ? sbx_lang_command(
	                          lang, (const char *const *)lang->compile_cmd,
	                          choice, NULL)
	                : NULL;
	if (!pl->run_argv || (lang->compile_cmd && !pl->compile_argv))
		die_usage("%s", "out of memory");
	pl->run.env = (const char *const *)lang->env;
	pl->compile.env = (const char *const *)lang->env;
	pl->compile.argv = (const char *const *)pl->compile_argv;
	pl->lang = lang;
}

/* --exec: the program, absolute or looked up like the registry does. */
static void plan_exec(struct opts *o, struct plan *pl)
{
	const char *prog = o->exec_argv[0];
	size_t n = 0;

	if (prog[0] != '/') {
		prog = sbx_which(prog, o->jc.cfg.path_env);
		if (!prog)
			die_usage("'%s' is not in the jail's PATH",
			          o->exec_argv[0]);
	}
	while (o->exec_argv[n])
		n++;
	pl->run_argv = calloc(n + o->nargs + 1, sizeof(char *));
	if (!pl->run_argv)
		die_usage("%s", "out of memory");
	pl->run_argv[0] = (char *)prog;
	for (size_t i = 1; i < n; i++)
		pl->run_argv[i] = o->exec_argv[i];
	for (size_t i = 0; i < o->nargs; i++)
		pl->run_argv[n + i] = (char *)o->args[i];
}

/* --file PATH[=NAME] and --stdin. */
static void plan_inputs(struct opts *o, struct plan *pl)
{
	for (size_t i = 0; i < o->nfiles; i++) {
		char *spec = strdup(o->files[i]);
		struct sbx_file *f = &pl->files[pl->nf];
		struct stat st;
		size_t len;
		char *eq;

		if (!spec)
			die_usage("%s", "out of memory");
		eq = strchr(spec, '=');
		if (eq)
			*eq = '\0';
		f->name = eq ? eq + 1 : base_name(spec);
		f->data = read_all(spec, &len);
		if (!f->data)
			die_usage("cannot read %s: %s", spec, strerror(errno));
		f->len = len;
		f->executable = stat(spec, &st) == 0 && (st.st_mode & 0111);
		pl->nf++;
	}
	if (!o->stdin_path)
		return;
	if (strcmp(o->stdin_path, "-") == 0) {
		pl->run.stdin_fd = 0;
		return;
	}
	pl->stdin_data = read_all(o->stdin_path, &pl->stdin_len);
	if (!pl->stdin_data)
		die_usage("cannot read %s: %s", o->stdin_path, strerror(errno));
	pl->run.stdin_data = pl->stdin_data;
	pl->run.stdin_len = pl->stdin_len;
}

/* The result: one JSON object on stdout, or one line on stderr. */
static void report(const struct opts *o, const struct plan *pl,
                   struct sbx_ctx *ctx, const struct sbx_job_result *res, int r,
                   const char *err)
{
	enum sbx_cgroup_mode cg = sbx_ctx_cgroup_mode(ctx);

	if (o->json) {
		json_object *top = json_object_new_object();
		/* every value added belongs to top */
		json_object_object_add(
		        top, "verdict",
		        json_object_new_string(sbx_verdict_name(res->verdict)));
		json_object_object_add(
		        top, "language",
		        pl->lang ? json_object_new_string(pl->lang->id) : NULL);
		json_object_object_add(top, "slot",
		                       json_object_new_int(res->slot));
		json_object_object_add(top, "cgroup",
		                       json_object_new_string(cgroup_name(cg)));
		json_object_object_add(
		        top, "rlimits_only",
		        json_object_new_boolean(cg == SBX_CGROUP_NONE));
		json_object_object_add(
		        top, "compile",
		        res->compiled ? result_stage_json(&res->compile)
		                      : NULL);
		json_object_object_add(top, "run",
		                       res->ran ? result_stage_json(&res->run)
		                                : NULL);
		result_files_add(top, &res->out);
		if (r < 0)
			json_object_object_add(top, "message",
			                       json_object_new_string(err));
		puts(json_object_to_json_string_ext(
		        top, JSON_C_TO_STRING_PLAIN |
		                     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
		return;
	}
	const struct sbx_stage_result *s = res->ran ? &res->run : &res->compile;
	fprintf(stderr,
	        "runpad-jail: %s%s%s exit=%d signal=%d cpu=%llums wall=%llums mem=%lluKiB%s%s\n",
	        sbx_verdict_name(res->verdict),
	        res->verdict == SBX_TIME_LIMIT
	                ? (s->time_limit_wall ? " (wall)" : " (cpu)")
	                : "",
	        cg == SBX_CGROUP_NONE ? " [rlimits only]" : "", s->exit_code,
	        s->signal, (unsigned long long)s->cpu_ms,
	        (unsigned long long)s->wall_ms,
	        (unsigned long long)s->memory_peak / 1024,
	        s->message[0] ? ": " : "", s->message);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct plan pl;
	struct sbx_job job;
	struct sbx_job_result res;
	struct sbx_registry reg = {0};
	struct sbx_ctx *ctx = NULL;
	char err[512] = "";
	int r, rc = EXIT_JAIL_OK;

	memset(&o, 0, sizeof(o));
	memset(&pl, 0, sizeof(pl));
	jailconf_init(&o.jc);
	o.slot = -1;
	r = parse_args(argc, argv, &o);
	if (r >= 0)
		return r;
	if (o.check)
		return do_check(&o);
	if (!!o.exec_argv == !!o.lang)
		die_usage("%s",
		          "give exactly one of --lang or --exec (see --help)");
	if (o.lang && !o.source == !o.starter)
		die_usage("%s",
		          "--lang needs one of --source FILE and --starter");
	if (o.starter && !o.lang)
		die_usage("%s", "--starter needs --lang ID");
	/* root's runs join the slot's template root (template.c) */
	if (!o.fresh)
		o.jc.cfg.template_dir = SBX_TEMPLATE_DIR;
	if (o.slot >= 0 && (unsigned)o.slot >= o.jc.cfg.slots)
		o.jc.cfg.slots = (unsigned)o.slot + 1;

	pl.run = (struct sbx_stage){
	        .stdin_fd = -1,
	        .cancel_fd = -1,
	        .hangup_fd = -1,
	        .on_output = o.json ? NULL : on_output,
	};
	pl.compile = pl.run;
	sbx_limits_default(&pl.run.limits);
	sbx_limits_default_compile(&pl.compile.limits);

	/* the registry names the host paths each language needs in the
	   root, so --exec loads it too */
	if (sbx_registry_load(jailconf_registry(&o.jc), &reg, err,
	                      sizeof(err)) < 0)
		die_usage("%s", err);
	o.jc.cfg.lang_binds = sbx_registry_binds(&reg);
	if (o.lang)
		plan_lang(&o, &reg, &pl);
	else
		plan_exec(&o, &pl);
	apply_limits(&pl.run.limits, o.run_limits, o.nrun_limits, "--limit");
	apply_limits(&pl.compile.limits, o.compile_limits, o.ncompile_limits,
	             "--limit");
	pl.run.argv = (const char *const *)pl.run_argv;
	plan_inputs(&o, &pl);

	r = sbx_ctx_new(&o.jc.cfg, &ctx, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "runpad-jail: %s\n", err);
		return EXIT_JAIL_FAILED;
	}
	job = (struct sbx_job){
	        .files = pl.files,
	        .nfiles = pl.nf,
	        .compile = pl.compile.argv ? &pl.compile : NULL,
	        .run = &pl.run,
	        .slot = o.slot,
	        /* only --json has a place for them */
	        .collect_out = o.json,
	};
	r = sbx_run(ctx, &job, &res, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "runpad-jail: %s\n", err);
		rc = EXIT_JAIL_FAILED;
	}
	report(&o, &pl, ctx, &res, r, err);
	sbx_job_result_fini(&res);
	sbx_ctx_free(ctx);
	sbx_registry_fini(&reg);
	jailconf_fini(&o.jc);
	free(pl.stdin_data);
	return rc;
}
