/*
 * exec.c - run a request in the jail; the result as JSON.  See exec.h.
 */
#include "exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "utf8.h"

/* What a stage's callbacks need: which stage it is, where its output goes,
   and the bytes of a character cut in two by a chunk boundary. */
struct stage_ctx {
	struct exec_ctx *ec;
	const char *stage; /* "compile" or "run" */
	int test;          /* index of the test, or -1 */
	struct buf *combined;
	char carry[2][4];
	size_t carry_len[2];
};

struct exec_ctx {
	const struct run_req *r;
	const struct exec_io *io;
	struct exec_result *x;
	bool client_gone;
	struct stage_ctx compile;
	struct stage_ctx *runs; /* one per run stage */
	size_t nruns;
};

static void output_add(struct buf *o, const char *buf, size_t len)
{
	/* Piston's "output" is a convenience: on ENOMEM it misses a part */
	if (o)
		(void)buf_add(o, buf, len);
}

static void emit(struct exec_ctx *ec, json_object *ev)
{
	if (ev && ec->io->emit && !ec->client_gone &&
	    !ec->io->emit(ec->io->arg, ev))
		ec->client_gone = true;
	json_object_put(ev);
}

static json_object *event_new(const char *name, const struct stage_ctx *sc)
{
	json_object *ev = json_object_new_object();

	if (!ev)
		return NULL;
	/* every value added belongs to ev */
	json_object_object_add(ev, "event", json_object_new_string(name));
	if (sc) {
		json_object_object_add(ev, "stage",
		                       json_object_new_string(sc->stage));
		if (sc->test >= 0)
			json_object_object_add(ev, "test",
			                       json_object_new_int(sc->test));
	}
	return ev;
}

static void emit_data(struct stage_ctx *sc, int stream, const char *buf,
                      size_t len)
{
	json_object *ev = event_new(stream == 1 ? "stdout" : "stderr", sc);

	if (ev)
		json_object_object_add(ev, "data", result_string(buf, len));
	emit(sc->ec, ev);
}

static void on_output(void *arg, int stream, const char *buf, size_t len)
{
	struct stage_ctx *sc = arg;
	int i = stream == 1 ? 0 : 1;
	char tmp[8192 + 4];

	output_add(sc->combined, buf, len);
	if (!sc->ec->io->emit || sc->ec->client_gone)
		return;
	while (len) {
		size_t take = len > 8192 ? 8192 : len, n, cut;
		memcpy(tmp, sc->carry[i], sc->carry_len[i]);
		memcpy(tmp + sc->carry_len[i], buf, take);
		n = sc->carry_len[i] + take;
		cut = utf8_complete(tmp, n);
		sc->carry_len[i] = n - cut;
		memcpy(sc->carry[i], tmp + cut, n - cut);
		if (cut)
			emit_data(sc, stream, tmp, cut);
		buf += take;
		len -= take;
	}
}

static void flush_carry(struct stage_ctx *sc)
{
	for (int i = 0; i < 2; i++) {
		if (sc->carry_len[i])
			emit_data(sc, i + 1, sc->carry[i], sc->carry_len[i]);
		sc->carry_len[i] = 0;
	}
}

/* A stage's fields into o; a compiler that exits non-zero failed to
   compile, which is what the editor and the API say. */
static json_object *stage_fields(json_object *o,
                                 const struct sbx_stage_result *res,
                                 bool compile, bool with_output)
{
	if (!result_stage_add(o, res, with_output))
		return NULL;
	if (compile && res->verdict == SBX_RUNTIME_ERROR)
		json_object_object_add(o, "verdict",
		                       json_object_new_string("compile_error"));
	return o;
}

static void on_stage_end(void *arg, const struct sbx_stage *st,
                         const struct sbx_stage_result *res)
{
	struct exec_ctx *ec = arg;
	struct stage_ctx *sc = st->arg;

	if (res->cancelled)
		ec->x->cancelled = true;
	if (!ec->io->emit)
		return;
	flush_carry(sc);
	emit(ec, stage_fields(event_new("exit", sc), res, sc == &ec->compile,
	                      false));
	/* the next stage starts now, if there is one */
	if (sc == &ec->compile && res->verdict == SBX_ACCEPTED)
		emit(ec, event_new("run_start", &ec->runs[0]));
	else if (sc != &ec->compile && sc->test >= 0 &&
	         (size_t)sc->test + 1 < ec->nruns && !res->cancelled)
		emit(ec, event_new("run_start", &ec->runs[sc->test + 1]));
}

static struct sbx_stage stage_base(const struct exec_io *io,
                                   const struct sbx_limits *l,
                                   struct stage_ctx *sc, char **env)
{
	return (struct sbx_stage){
	        .env = (const char *const *)env,
	        .limits = *l,
	        .stdin_fd = -1,
	        .cancel_fd = io->cancel_fd,
	        .hangup_fd = io->hangup_fd,
	        .on_output = on_output,
	        .arg = sc,
	};
}

/* Paths inside the jail are /box/<file>: the user knows them as <file>. */
static void strip_box(struct diag_list *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char *f = d->v[i].file;
		if (f && strncmp(f, "/box/", 5) == 0)
			memmove(f, f + 5, strlen(f + 5) + 1);
	}
}

int exec_run(struct sbx_ctx *ctx, const struct run_req *r,
             const struct exec_io *io, struct exec_result *x)
{
	const struct sbx_lang *lang = r->lang;
	struct exec_ctx ec = {.r = r, .io = io, .x = x};
	struct sbx_file *files;
	struct sbx_stage compile, *runs;
	struct sbx_job job;
	char **argv, **ccmd;
	size_t nruns = r->ntests ? r->ntests : 1;

	memset(x, 0, sizeof(*x));
	x->verdict = "internal_error";
	files = calloc(r->nfiles, sizeof(*files));
	runs = calloc(nruns, sizeof(*runs));
	ec.runs = calloc(nruns, sizeof(*ec.runs));
	argv = sbx_lang_command(lang, (const char *const *)lang->run_cmd,
	                        r->choice, r->args);
	ccmd = lang->compile_cmd
	               ? sbx_lang_command(
	                         lang, (const char *const *)lang->compile_cmd,
	                         r->choice, NULL)
	               : NULL;
	if (!files || !runs || !ec.runs || !argv ||
	    (lang->compile_cmd && !ccmd)) {
		x->rc = -ENOMEM;
		x->job.verdict = SBX_INTERNAL_ERROR;
		snprintf(x->err, sizeof(x->err), "out of memory");
		goto out_free;
	}
	ec.nruns = nruns;
	for (size_t i = 0; i < r->nfiles; i++)
		files[i] = (struct sbx_file){r->files[i].name, r->files[i].data,
		                             r->files[i].len, false};

	ec.compile = (struct stage_ctx){
	        .ec = &ec,
	        .stage = "compile",
	        .test = -1,
	        .combined = &x->compile_output,
	};
	compile = stage_base(io, &r->compile_limits, &ec.compile, lang->env);
	compile.argv = (const char *const *)ccmd;
	for (size_t i = 0; i < nruns; i++) {
		struct sbx_stage *st = &runs[i];
		ec.runs[i] = (struct stage_ctx){
		        .ec = &ec,
		        .stage = "run",
		        .test = r->ntests ? (int)i : -1,
		        .combined = r->ntests ? NULL : &x->run_output,
		};
		*st = stage_base(io, &r->run_limits, &ec.runs[i], lang->env);
		st->argv = (const char *const *)argv;
		if (r->ntests) {
			st->stdin_data = r->tests[i].stdin_data;
			st->stdin_len = r->tests[i].stdin_len;
		} else {
			/* interactive: the pipe (the caller put the given
			   stdin in it first); else the given stdin, then end
			   of file */
			st->stdin_fd = io->stdin_fd;
			if (io->stdin_fd < 0) {
				st->stdin_data =
				        r->stdin_data ? r->stdin_data : "";
				st->stdin_len = r->stdin_len;
			}
		}
	}
	job = (struct sbx_job){
	        .files = files,
	        .nfiles = r->nfiles,
	        .compile = lang->compile_cmd ? &compile : NULL,
	        .run = r->ntests ? NULL : &runs[0],
	        .runs = r->ntests ? runs : NULL,
	        .nruns = r->ntests,
	        .slot = io->slot,
	        /* Piston's shape has no place for them */
	        .collect_out = !r->piston,
	        .on_stage_end = on_stage_end,
	        .arg = &ec,
	};
	emit(&ec, event_new(job.compile ? "compile_start" : "run_start",
	                    job.compile ? &ec.compile : &ec.runs[0]));
	x->rc = sbx_run(ctx, &job, &x->job, x->err, sizeof(x->err));

	/* what the editor underlines: the compiler's complaints, or the
	   traceback of a failed run */
	if (x->job.compiled) {
		const struct sbx_stage_result *c = &x->job.compile;
		diag_parse(c->err, c->err_len, &x->compile_diags);
		if (!x->compile_diags.n)
			diag_parse(c->out, c->out_len, &x->compile_diags);
	}
	if (x->job.ran && x->job.run.verdict != SBX_ACCEPTED)
		diag_parse(x->job.run.err, x->job.run.err_len, &x->run_diags);
	strip_box(&x->compile_diags);
	strip_box(&x->run_diags);

	if (x->job.verdict == SBX_COMPILE_ERROR ||
	    x->job.verdict == SBX_INTERNAL_ERROR || !r->ntests) {
		x->verdict = sbx_verdict_name(x->job.verdict);
	} else {
		x->verdict = NULL;
		for (size_t i = 0; i < x->job.nruns; i++) {
			const struct sbx_stage_result *t = &x->job.runs[i];
			bool ok = t->verdict == SBX_ACCEPTED &&
			          req_output_matches(t->out, t->out_len,
			                             r->tests[i].expected,
			                             r->tests[i].expected_len,
			                             r->compare);
			x->passed += ok;
			if (!ok && !x->verdict)
				x->verdict =
				        t->verdict == SBX_ACCEPTED
				                ? "wrong_answer"
				                : sbx_verdict_name(t->verdict);
		}
		if (!x->verdict)
			x->verdict = x->job.nruns == r->ntests
			                     ? "accepted"
			                     : "internal_error";
	}

out_free:
	sbx_argv_free(argv);
	sbx_argv_free(ccmd);
	free(ec.runs);
	free(runs);
	free(files);
	return x->rc;
}

void exec_add_choice(json_object *o, const struct run_req *r)
{
	const struct sbx_lang *l = r->lang;
	json_object *opts;

	/* every value added belongs to o */
	if (l->variant)
		json_object_object_add(o, "variant",
		                       json_object_new_string(l->variant));
	if (!l->noptions)
		return;
	opts = json_object_new_object();
	for (size_t i = 0; i < l->noptions; i++)
		json_object_object_add(
		        opts, l->options[i].name,
		        json_object_new_string(
		                l->options[i].values[r->choice[i]].value));
	json_object_object_add(o, "options", opts);
}

void exec_result_fini(struct exec_result *x)
{
	if (!x)
		return;
	sbx_job_result_fini(&x->job);
	diag_list_fini(&x->compile_diags);
	diag_list_fini(&x->run_diags);
	buf_fini(&x->compile_output);
	buf_fini(&x->run_output);
	memset(x, 0, sizeof(*x));
}

static json_object *stage_json(const struct sbx_stage_result *s,
                               const struct diag_list *d, bool compile)
{
	json_object *o =
	        stage_fields(json_object_new_object(), s, compile, true);

	if (o && d)
		json_object_object_add(o, "diagnostics", diag_list_json(d));
	return o;
}

json_object *exec_result_json(const struct run_req *r,
                              const struct exec_result *x)
{
	json_object *o = json_object_new_object();
	const struct sbx_lang *l = r->lang;

	if (!o)
		return NULL;
	/* every value added belongs to o */
	json_object_object_add(o, "language", json_object_new_string(l->id));
	json_object_object_add(o, "version",
	                       l->version ? json_object_new_string(l->version)
	                                  : NULL);
	exec_add_choice(o, r);
	json_object_object_add(o, "verdict",
	                       json_object_new_string(x->verdict));
	json_object_object_add(
	        o, "compile",
	        x->job.compiled
	                ? stage_json(&x->job.compile, &x->compile_diags, true)
	                : NULL);
	json_object_object_add(
	        o, "run",
	        x->job.ran ? stage_json(&x->job.run, &x->run_diags, false)
	                   : NULL);
	if (r->ntests) {
		json_object *tests = json_object_new_array();
		for (size_t i = 0; i < r->ntests && tests; i++) {
			json_object *t;
			const char *v = "skipped";
			if (i < x->job.nruns) {
				const struct sbx_stage_result *s =
				        &x->job.runs[i];
				t = result_stage_json(s);
				if (s->verdict != SBX_ACCEPTED)
					v = sbx_verdict_name(s->verdict);
				else if (req_output_matches(
				                 s->out, s->out_len,
				                 r->tests[i].expected,
				                 r->tests[i].expected_len,
				                 r->compare))
					v = "accepted";
				else
					v = "wrong_answer";
			} else {
				t = json_object_new_object();
			}
			if (!t)
				continue;
			json_object_object_add(
			        t, "name",
			        json_object_new_string(r->tests[i].name));
			json_object_object_add(t, "verdict",
			                       json_object_new_string(v));
			json_object_object_add(
			        t, "expected_stdout",
			        result_string(r->tests[i].expected,
			                      r->tests[i].expected_len));
			json_object_array_add(tests, t);
		}
		json_object_object_add(o, "tests", tests);
		json_object_object_add(o, "passed",
		                       json_object_new_int((int)x->passed));
		json_object_object_add(o, "total",
		                       json_object_new_int((int)r->ntests));
	}
	/* what the program left in out/ after its last run stage (with
	   tests: after the last test) */
	result_files_add(o, &x->job.out);
	if (x->rc < 0 && x->err[0])
		json_object_object_add(o, "message",
		                       json_object_new_string(x->err));
	return o;
}

const char *exec_piston_status(const struct sbx_stage_result *s)
{
	switch (s->verdict) {
	case SBX_ACCEPTED:
		return NULL;
	case SBX_RUNTIME_ERROR:
		return "RE";
	case SBX_TIME_LIMIT:
		return "TO";
	case SBX_OUTPUT_LIMIT:
		return s->err_truncated && !s->out_truncated ? "EL" : "OL";
	case SBX_INTERNAL_ERROR:
		return "XX";
	default: /* signal, memory, file size, processes: killed */
		return "SG";
	}
}

static const char *piston_message(const struct sbx_stage_result *s)
{
	switch (s->verdict) {
	case SBX_ACCEPTED:
		return NULL;
	case SBX_RUNTIME_ERROR:
		return "Non-zero exit code";
	case SBX_TIME_LIMIT:
		return s->time_limit_wall ? "Wall-time limit exceeded"
		                          : "CPU-time limit exceeded";
	case SBX_MEMORY_LIMIT:
		return "Memory limit exceeded";
	case SBX_OUTPUT_LIMIT:
		return "Output limit exceeded";
	case SBX_FILE_SIZE_LIMIT:
		return "File size limit exceeded";
	case SBX_PROCESS_LIMIT:
		return "Process limit exceeded";
	case SBX_INTERNAL_ERROR:
		return s->message[0] ? s->message : "Internal error";
	default:
		return s->cancelled ? "Stopped on request"
		                    : "Killed by a signal";
	}
}

static json_object *piston_stage(const struct sbx_stage_result *s,
                                 const struct buf *combined)
{
	json_object *o = json_object_new_object();
	const char *status = exec_piston_status(s);
	const char *msg = piston_message(s);
	const char *sig = s->signal ? sbx_signal_name(s->signal) : NULL;

	if (!o)
		return NULL;
	/* every value added belongs to o */
	json_object_object_add(o, "stdout", result_string(s->out, s->out_len));
	json_object_object_add(o, "stderr", result_string(s->err, s->err_len));
	json_object_object_add(o, "output",
	                       result_string(combined->p, combined->len));
	json_object_object_add(
	        o, "code",
	        result_exited(s) ? json_object_new_int(s->exit_code) : NULL);
	json_object_object_add(o, "signal",
	                       sig ? json_object_new_string(sig) : NULL);
	json_object_object_add(o, "message",
	                       msg ? json_object_new_string(msg) : NULL);
	json_object_object_add(o, "status",
	                       status ? json_object_new_string(status) : NULL);
	json_object_object_add(o, "cpu_time",
	                       json_object_new_int64((int64_t)s->cpu_ms));
	json_object_object_add(o, "wall_time",
	                       json_object_new_int64((int64_t)s->wall_ms));
	json_object_object_add(o, "memory",
	                       json_object_new_int64((int64_t)s->memory_peak));
	return o;
}

json_object *exec_piston_json(const struct run_req *r,
                              const struct exec_result *x)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	/* every value added belongs to o */
	json_object_object_add(o, "language",
	                       json_object_new_string(r->lang->id));
	json_object_object_add(o, "version",
	                       json_object_new_string(r->lang->version
	                                                      ? r->lang->version
	                                                      : "0"));
	if (x->job.compiled)
		json_object_object_add(
		        o, "compile",
		        piston_stage(&x->job.compile, &x->compile_output));
	if (x->job.ran)
		json_object_object_add(
		        o, "run", piston_stage(&x->job.run, &x->run_output));
	else if (x->job.verdict == SBX_INTERNAL_ERROR) {
		/* Piston clients read run.*: say there what went wrong */
		struct sbx_stage_result fake;
		memset(&fake, 0, sizeof(fake));
		fake.verdict = SBX_INTERNAL_ERROR;
		snprintf(fake.message, sizeof(fake.message), "%s", x->err);
		json_object_object_add(o, "run",
		                       piston_stage(&fake, &x->run_output));
	}
	return o;
}
