/*
 * template.h - interview question templates (docs/ops.md, "Templates").
 *
 * An admin puts one template per file in a directory (ws.templates,
 * TPL_DIR_DEFAULT): <name>.json, name 1 to 64 of [A-Za-z0-9_-].  Other
 * files there are ignored: other names (dotfiles too), anything that is not
 * a regular file once symlinks are followed.  A file is one JSON object:
 *
 *   {"title": "Two sum",              required, 1..200 bytes, no control
 *                                     characters
 *    "language": "python",            required, 1..32 of [a-z0-9+#._-]
 *    "code": "def two_sum(...",       optional starter text, <= 512 KiB
 *    "tests": [{"name": "example",    optional, <= 64 tests of <= 64 bytes
 *               "stdin": "...",       <= 64 KiB, required
 *               "expected_stdout": "..."}],  <= 64 KiB, required;
 *                                     256 KiB for all of them
 *    "notes": "..."}                  optional, for the interviewer,
 *                                     <= 64 KiB
 *
 * strict JSON (common/jsonstrict.h), at most TPL_MAX_FILE bytes, no other
 * key, no key twice.  "code" and "notes" become documents of the pad,
 * whose only line break is "\n": their "\r\n" and lone "\r" are made
 * "\n" (the limits apply to the result).  The tests are what a pad's
 * `tests` message accepts (ws/proto.h's PROTO_MAX_TEST*).
 *
 * Errors: 0 or -errno, and a message in the caller's buffer naming the
 * file the way an admin sees it, "templates/<name>.json: <what>", with the
 * first problem found.  Nothing here logs or keeps state.
 */
#ifndef RUNPAD_TEMPLATE_H
#define RUNPAD_TEMPLATE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define TPL_DIR_DEFAULT     "/etc/runpad/templates"
#define TPL_MAX_NAME        64
#define TPL_MAX_FILE        (1024 * 1024) /* bytes of one file */
#define TPL_MAX_LIST        256           /* templates tpl_list() lists */
#define TPL_MAX_TITLE       200
#define TPL_MAX_LANGUAGE    32
#define TPL_MAX_CODE        (512 * 1024)
#define TPL_MAX_NOTES       (64 * 1024)
#define TPL_MAX_TESTS       64
#define TPL_MAX_TEST_NAME   64
#define TPL_MAX_TEST_FIELD  (64 * 1024)  /* stdin, expected_stdout */
#define TPL_MAX_TESTS_BYTES (256 * 1024) /* every field of every test */

/*
 * A template, the caller's storage.  After a successful tpl_parse() or
 * tpl_load() every pointer is set and owned by the struct until
 * tpl_fini(): title and language NUL-terminated; code and notes
 * NUL-terminated, "" when the file has none, no NUL inside, no "\r"; tests
 * one reference to an array (empty when the file has none) of objects
 * with string "stdin" and "expected_stdout" and maybe "name", nothing
 * else.  Keep it past tpl_fini() with json_object_get().
 */
struct tpl {
	char name[TPL_MAX_NAME + 1];
	char *title, *language, *code, *notes;
	json_object *tests;
};

/* Whether name (NUL-terminated) is 1 to TPL_MAX_NAME of [A-Za-z0-9_-]:
   a template's name, and so a file name that cannot leave the
   directory. */
bool tpl_name_valid(const char *name);

/*
 * Check json[0..len), the text of templates/<name>.json, and fill *out.
 * Returns 0; -EINVAL for a bad name; -EBADMSG for a bad template (err
 * says what); -ENOMEM.  On failure *out is cleared (tpl_fini() on it is
 * harmless).  A UTF-8 byte order mark before the object is skipped.
 * Untrusted input is fine here (tests/fuzz/fuzz_template.c).
 */
int tpl_parse(const char *name, const char *json, size_t len, struct tpl *out,
              char *err, size_t errlen);

/*
 * Read <dir>/<name>.json and tpl_parse() it.  Returns 0; -EINVAL for a
 * bad name (nothing is opened); -ENOENT when there is no such template
 * (no file, no directory, or the name is something else than a regular
 * file: listing ignores those too); -EBADMSG for a bad file, a file over
 * TPL_MAX_FILE bytes included; -errno of open(2) or read(2) otherwise
 * (EACCES, EIO, ELOOP...); -ENOMEM.  err says what in each case.  Blocks
 * on the file system; never on a FIFO.
 */
int tpl_load(const char *dir, const char *name, struct tpl *out, char *err,
             size_t errlen);

/* Free what *t holds and clear it.  NULL and cleared structs are fine. */
void tpl_fini(struct tpl *t);

/*
 * Told about a template tpl_list() leaves out: name its name, error the
 * -errno tpl_load() gave (-EBADMSG, -EACCES...) or -E2BIG for a valid one
 * past the first TPL_MAX_LIST, msg the message ("templates/<name>.json:
 * ...", valid only during the call).
 */
typedef void tpl_skip_fn(void *arg, const char *name, int error,
                         const char *msg);

/*
 * The templates of dir, for a page that offers them: *out gets a new
 * array (the caller puts it) of {"name", "title", "language", "tests":
 * <how many>}, sorted by name (byte order), of the first TPL_MAX_LIST
 * valid ones; never their code, tests or notes.  Every <name>.json is
 * loaded and checked as tpl_load() does it; skip (may be NULL) is called
 * with arg for each one left out, in name order, so the caller can log
 * it.  A missing directory lists nothing (returns 0).  Returns 0, or
 * -errno with err set when dir cannot be read (ENOTDIR, EACCES...) or
 * memory runs out; *out is NULL then.
 *
 * It reads every file, up to TPL_MAX_FILE bytes each: a daemon should
 * keep the answer rather than list the directory for every request.
 */
int tpl_list(const char *dir, json_object **out, tpl_skip_fn *skip, void *arg,
             char *err, size_t errlen);

#endif
