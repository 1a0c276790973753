/*
 * ot.h - CodeMirror 6 change sets (@codemirror/state ChangeSet) in C.
 *
 * The collaborative editor keeps each document as UTF-8 but, like
 * CodeMirror, counts positions in UTF-16 code units: a character below
 * U+10000 is one unit, anything above (an emoji) is two.  A change set is
 * CodeMirror's list of sections, each a length in the old document plus
 * what replaces it:
 *
 *   JSON        section        meaning
 *   n           (n, keep)      keep n units of the old document
 *   [n]         (n, 0)         delete n units
 *   [n, "a"...] (n, units)     delete n units, insert the lines joined by \n
 *
 * This is exactly ChangeSet.toJSON(); ot_changes_to_json(ot_changes_from_json
 * (x)) gives what ChangeSet.fromJSON(x).toJSON() gives (sections are kept as
 * sent, not merged; [n, ""] comes back as [n]).  tests/ot/vectors.json holds
 * cases made by the real @codemirror/state and tests/unit/common/test_ot.c checks
 * every one.
 *
 * Line breaks.  CodeMirror's Text stores lines; its doc.toString() joins
 * them with "\n".  With the default lineSeparator an editor splits every
 * string it is given on \r\n, \r and \n, so a conforming client never sends
 * a line holding '\r' or '\n'.  We reject both (OT_EMALFORMED): a line
 * ending in '\r' would put "\r\n" in our copy, which a client that loads the
 * document afresh reads as one line break, one unit shorter than ours.  A
 * document that enters from outside (a file, a template) must go through
 * ot_doc_normalize first for the same reason.  NUL is allowed, as in
 * CodeMirror, so documents are counted buffers, not C strings.
 *
 * Lone surrogates.  json-c 0.16 turns an escaped lone surrogate ("\ud800")
 * into U+FFFD without complaint, so a json_object can no longer tell.
 * ot_changes_parse checks the raw text itself; a caller that parses a
 * message with json-c first must do so with json_parse_object
 * (jsonstrict.h), which refuses them, before ot_changes_from_json.
 *
 * Objects are immutable after they are made and own all their memory; none
 * of them points into the json_object or text it was made from.  Library
 * code: nothing here logs or exits.  Being immutable, one set may be read
 * from several threads at once.
 */
#ifndef RUNPAD_OT_H
#define RUNPAD_OT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Largest length, position or document size in UTF-16 units (2^30; V8's
   longest string is shorter). */
#define OT_MAX_UNITS ((size_t)1 << 30)

struct ot_changes; /* opaque, immutable after it is made */

enum ot_err {
	OT_OK = 0,
	OT_EMALFORMED, /* not the shape ChangeSet.toJSON makes */
	OT_ELENGTH,    /* changes made for a document of another length */
	OT_ESURROGATE, /* a position inside a surrogate pair */
	OT_EUTF8,      /* inserted text not valid UTF-8, or a lone surrogate */
	OT_ETOOBIG,    /* over a struct ot_limits cap */
	OT_ENOMEM,
};

/* Caps on what one change set or document may cost; 0 means no cap.  A NULL
   struct ot_limits pointer means no caps at all. */
struct ot_limits {
	size_t max_sections;     /* elements of the JSON array */
	size_t max_insert_bytes; /* all inserted text, UTF-8 bytes */
	size_t max_doc_bytes;    /* the document after ot_apply */
};

/*
 * Make a change set from a json-c value as ChangeSet.fromJSON would, but
 * strictly: every length a non-negative integer no larger than
 * OT_MAX_UNITS (json-c's 5.0 is a double and is refused), every inserted
 * line strict UTF-8 without '\r' or '\n'.  Does not take a reference to j.
 * On failure returns NULL, sets *err and writes a lowercase message naming
 * the problem into msg (msglen bytes, may be 0), e.g. "changes[3]: expected
 * a number or an array" or "inserted text is 600000 bytes, more than the
 * 524288 allowed".  err and msg may be NULL.
 */
struct ot_changes *ot_changes_from_json(struct json_object *j,
                                        const struct ot_limits *lim,
                                        enum ot_err *err, char *msg,
                                        size_t msglen);

/* The same from JSON text (len bytes, need not be NUL-terminated): strict
   JSON, nothing but white space after the value, lone surrogate escapes
   refused with OT_EUTF8. */
struct ot_changes *ot_changes_parse(const char *json, size_t len,
                                    const struct ot_limits *lim,
                                    enum ot_err *err, char *msg, size_t msglen);

void ot_changes_free(struct ot_changes *cs); /* NULL is fine */

/* A copy, or NULL on ENOMEM. */
struct ot_changes *ot_changes_dup(const struct ot_changes *cs);

/* Length of the document before the changes (ChangeSet.length) and after
   (newLength), in UTF-16 units. */
size_t ot_changes_len(const struct ot_changes *cs);
size_t ot_changes_new_len(const struct ot_changes *cs);

/* ChangeSet.empty: no section changes anything. */
bool ot_changes_empty(const struct ot_changes *cs);

/* Number of sections (the JSON array's length for a parsed set). */
size_t ot_changes_sections(const struct ot_changes *cs);

/* A new json-c reference the caller owns (or hands to a parent, which then
   owns it), equal to ChangeSet.toJSON(); NULL on ENOMEM. */
struct json_object *ot_changes_to_json(const struct ot_changes *cs);

/* Length of n bytes of UTF-8 in UTF-16 units, or -1 when they are not
   strict UTF-8 (overlong forms, surrogate code points, values above
   U+10FFFF and cut sequences are refused; NUL is allowed). */
ssize_t ot_utf16_len(const char *s, size_t n);

/*
 * Apply cs to doc (doc_bytes bytes of UTF-8, doc_len16 UTF-16 units) in
 * one pass over the document and the changes.  doc is never modified and
 * need not be NUL-terminated.  Checks that ot_changes_len(cs) == doc_len16
 * (OT_ELENGTH, "changes cover 12 units, the document has 10"), that no
 * section boundary falls inside a surrogate pair, i.e. inside a 4-byte
 * sequence (OT_ESURROGATE), and that the result is at most
 * lim->max_doc_bytes (OT_ETOOBIG, "document would exceed 512 KiB").  On
 * OT_OK *out is a new malloc'd NUL-terminated buffer that the caller frees,
 * with *out_bytes bytes (not counting the NUL) and *out_len16 units; on
 * failure *out is NULL and msg says why.  lim, out_bytes, out_len16 and
 * msg may be NULL.
 */
enum ot_err ot_apply(const struct ot_changes *cs, const char *doc,
                     size_t doc_bytes, size_t doc_len16,
                     const struct ot_limits *lim, char **out, size_t *out_bytes,
                     size_t *out_len16, char *msg, size_t msglen);

/* ChangeDesc.mapPos(pos, assoc, MapMode.Simple): where pos (UTF-16 units)
   ends up after the changes.  assoc < 0 keeps a position at an insertion
   before it, assoc >= 0 after it.  A pos past ot_changes_len (which
   CodeMirror throws on) maps to ot_changes_new_len. */
size_t ot_map_pos(const struct ot_changes *cs, size_t pos, int assoc);

/*
 * a.map(b, before): a, made for the same document as b, moved to apply
 * after b.  With before, a's insertions at the same place as b's go first.
 * This is what @codemirror/collab uses to rebase.  A new object, or NULL
 * when ot_changes_len(a) != ot_changes_len(b) or on ENOMEM.
 */
struct ot_changes *ot_changes_map(const struct ot_changes *a,
                                  const struct ot_changes *b, bool before);

/*
 * a.compose(b): one set doing a then b.  A new object, or NULL when
 * ot_changes_new_len(a) != ot_changes_len(b), on ENOMEM, or when b keeps
 * only half of a surrogate pair that a inserted (JavaScript can hold the
 * half, UTF-8 cannot; b never does that if ot_apply accepted it on a's
 * result).
 */
struct ot_changes *ot_changes_compose(const struct ot_changes *a,
                                      const struct ot_changes *b);

/*
 * Normalise line breaks as EditorState.create({doc}).doc.toString() does:
 * "\r\n" and a lone "\r" become "\n".  Returns a new malloc'd
 * NUL-terminated copy (*out_bytes, may be NULL, gets its length) or NULL on
 * ENOMEM.  Use it on every document that does not come from ot_apply.
 */
char *ot_doc_normalize(const char *s, size_t n, size_t *out_bytes);

/* Stable machine-readable name of an error: "invalid_changes",
   "length_mismatch", "split_surrogate", "invalid_utf8", "too_large",
   "no_memory" ("ok" for OT_OK).  Never NULL. */
const char *ot_err_code(enum ot_err e);

#endif
