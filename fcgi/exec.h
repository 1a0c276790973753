/*
 * exec.h - run a parsed request in the jail and describe the outcome, in
 * runpad's JSON shape or Piston's.
 *
 * The same executor serves sync, streaming, interactive and async runs;
 * they differ only in the io they pass (stdin pipe, cancel pipe, the
 * client's socket) and whether they listen to events.
 */
#ifndef RUNPAD_EXEC_H
#define RUNPAD_EXEC_H

#include <json-c/json.h>
#include <stdint.h>

#include "buf.h"
#include "diag.h"
#include "request.h"
#include "sandbox.h"

struct exec_io {
	int slot;      /* the jail slot to use (from the pool), or -1 */
	int stdin_fd;  /* interactive: the read end of the stdin pipe, or -1 */
	int cancel_fd; /* readable => stop (the kill endpoint), or -1 */
	int hangup_fd; /* the client's connection, or -1 */
	/*
	 * Streaming: called from the calling thread with each event
	 * (compile_start, run_start, stdout, stderr, exit); the object is
	 * borrowed for the call.  Returns false when the client is gone
	 * (the run is then stopped).  NULL: no events.
	 */
	bool (*emit)(void *arg, json_object *event);
	void *arg;
};

struct exec_result {
	struct sbx_job_result job;
	int rc;        /* sbx_run's return: <0 when the jail failed */
	char err[256]; /* why, when rc < 0 */
	struct diag_list compile_diags, run_diags;
	/* each stage's stdout+stderr in arrival order (Piston's "output");
	   owned, freed by exec_result_fini */
	struct buf compile_output, run_output;
	bool cancelled;      /* stopped by kill or by the client leaving */
	const char *verdict; /* overall, with tests: "wrong_answer" etc. */
	unsigned passed;     /* tests that were accepted */
};

/*
 * Run `r` (a parsed request whose settings are still referenced).  Blocks
 * until the job is over and its slot clean.  Always fills *x; release it
 * with exec_result_fini().  Returns x->rc.
 */
int exec_run(struct sbx_ctx *ctx, const struct run_req *r,
             const struct exec_io *io, struct exec_result *x);
void exec_result_fini(struct exec_result *x); /* accepts zeroed */

/* The result in runpad's shape (docs/api.md): a new reference. */
json_object *exec_result_json(const struct run_req *r,
                              const struct exec_result *x);

/* The result in Piston v2's shape: a new reference. */
json_object *exec_piston_json(const struct run_req *r,
                              const struct exec_result *x);

/* Piston's status letters for a stage: NULL (fine), "RE", "SG", "TO",
   "OL", "EL", "XX". */
const char *exec_piston_status(const struct sbx_stage_result *s);

/* The toolchain and options of r (`variant`, `options`) added to o, as
   the result and the stream's start event report them. */
void exec_add_choice(json_object *o, const struct run_req *r);

#endif
