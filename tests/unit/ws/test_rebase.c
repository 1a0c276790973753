/*
 * Unit tests: ws/rebase, @codemirror/collab's rebaseUpdates in C, against
 * tests/ot/rebase_vectors.json, which the library itself made
 * (tests/ot/gen_rebase.mjs): every vector's one-call result and its
 * one-update-at-a-time result, byte for byte, and the text they give.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ot.h"
#include "rebase.h"

#define VECTORS "tests/ot/rebase_vectors.json"

static struct json_object *file;

static void setup(void)
{
	file = json_object_from_file(VECTORS);
	cr_assert_not_null(
	        file,
	        "%s: run the tests from the source tree "
	        "(cd tests/ot && npm ci && node gen_rebase.mjs makes it)",
	        VECTORS);
}

static void teardown(void)
{
	json_object_put(file);
}

TestSuite(rebase, .init = setup, .fini = teardown);

static const char *plain(struct json_object *j)
{
	return json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s", key);
	return v;
}

/* an array of {clientID, changes} as rebase_updates takes it */
static struct rebase_update *updates_of(struct json_object *a, size_t *n)
{
	struct rebase_update *u;

	*n = json_object_array_length(a);
	u = calloc(*n ? *n : 1, sizeof(*u));
	for (size_t i = 0; i < *n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		enum ot_err err;
		char msg[200];
		u[i].client = json_object_get_string(get(e, "clientID"));
		u[i].changes = ot_changes_from_json(get(e, "changes"), NULL,
		                                    &err, msg, sizeof(msg));
		cr_assert_not_null(u[i].changes, "%s", msg);
	}
	return u;
}

static void free_updates(struct rebase_update *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ot_changes_free(u[i].changes);
	free(u);
}

/* upd[skip..n) equal the JSON array want, clientIDs and changes */
static void expect_same(size_t k, const char *what,
                        const struct rebase_update *upd, size_t n, size_t skip,
                        struct json_object *want)
{
	cr_assert_eq(n - skip, json_object_array_length(want),
	             "vector %zu, %s: %zu updates, the library kept %zu", k,
	             what, n - skip, json_object_array_length(want));
	for (size_t i = skip; i < n; i++) {
		struct json_object *w =
		        json_object_array_get_idx(want, i - skip);
		struct json_object *got = ot_changes_to_json(upd[i].changes);
		char g[4096];
		snprintf(g, sizeof(g), "%s", plain(got));
		cr_assert_str_eq(upd[i].client,
		                 json_object_get_string(get(w, "clientID")));
		cr_assert_str_eq(g, plain(get(w, "changes")),
		                 "vector %zu, %s, update %zu", k, what, i);
		json_object_put(got);
	}
}

/* apply every set of u to *doc in turn */
static void apply_all(char **doc, size_t *bytes, size_t *len16,
                      const struct rebase_update *u, size_t from, size_t n,
                      size_t k)
{
	for (size_t i = from; i < n; i++) {
		char *next, msg[200];
		enum ot_err e =
		        ot_apply(u[i].changes, *doc, *bytes, *len16, NULL,
		                 &next, bytes, len16, msg, sizeof(msg));
		cr_assert_eq(e, OT_OK, "vector %zu, update %zu: %s", k, i, msg);
		free(*doc);
		*doc = next;
	}
}

Test(rebase, one_call_matches_the_library)
{
	struct json_object *v = get(file, "vectors");
	size_t nv = json_object_array_length(v), dropped = 0;

	cr_assert_gt(nv, 100);
	for (size_t k = 0; k < nv; k++) {
		struct json_object *vec = json_object_array_get_idx(v, k);
		size_t n, no, skip = 99;
		struct rebase_update *push = updates_of(get(vec, "push"), &n);
		struct rebase_update *over = updates_of(get(vec, "over"), &no);
		enum ot_err err = OT_OK;

		cr_assert_eq(rebase_updates(push, n, over, no, &skip, &err), 0,
		             "vector %zu: %s", k, ot_err_code(err));
		expect_same(k, "one call", push, n, skip, get(vec, "result"));
		dropped += skip > 0;
		free_updates(push, n);
		free_updates(over, no);
	}
	cr_assert_gt(dropped, 10, "the vectors hold resends to drop");
}

Test(rebase, one_update_at_a_time_matches_the_library_and_applies)
{
	struct json_object *v = get(file, "vectors");
	size_t nv = json_object_array_length(v), differ = 0;

	for (size_t k = 0; k < nv; k++) {
		struct json_object *vec = json_object_array_get_idx(v, k);
		const char *d = json_object_get_string(get(vec, "doc"));
		size_t n, no, base = 0, bytes = strlen(d), len16;
		struct rebase_update *push = updates_of(get(vec, "push"), &n);
		struct rebase_update *over = updates_of(get(vec, "over"), &no);
		char *doc = strdup(d);

		len16 = (size_t)ot_utf16_len(doc, bytes);
		for (size_t i = 0; i < no; i++) {
			size_t skip;
			enum ot_err err = OT_OK;
			cr_assert_eq(rebase_updates(push + base, n - base,
			                            &over[i], 1, &skip, &err),
			             0, "vector %zu: %s", k, ot_err_code(err));
			base += skip;
		}
		expect_same(k, "one at a time", push, n, base,
		            get(vec, "sequential"));
		differ += strcmp(plain(get(vec, "result")),
		                 plain(get(vec, "sequential"))) != 0;
		/* the head's text, then the rebased push on it */
		apply_all(&doc, &bytes, &len16, over, 0, no, k);
		apply_all(&doc, &bytes, &len16, push, base, n, k);
		free(doc);
		free_updates(push, n);
		free_updates(over, no);
	}
	cr_assert_gt(differ, 0, "the vectors show where the two differ");
}

static struct ot_changes *cs(const char *json)
{
	enum ot_err err;
	struct ot_changes *c =
	        ot_changes_parse(json, strlen(json), NULL, &err, NULL, 0);

	cr_assert_not_null(c, "%s", json);
	return c;
}

Test(rebase, nothing_to_rebase_over_changes_nothing)
{
	enum ot_err err;
	struct rebase_update u = {"a", cs("[1,[0,\"x\"]]")};
	struct ot_changes *before = u.changes;
	size_t skip = 7;

	cr_assert_eq(rebase_updates(&u, 1, NULL, 0, &skip, &err), 0);
	cr_assert_eq(skip, 0);
	cr_assert_eq(u.changes, before, "the same object");
	ot_changes_free(u.changes);
}

Test(rebase, a_push_for_another_length_is_refused_and_kept)
{
	enum ot_err err = OT_OK;
	struct rebase_update over = {"b", cs("[[0,\"zz\"],3]")};
	/* made for a text of 5 units; the pad had 3 at that version */
	struct rebase_update u = {"a", cs("[5,[0,\"x\"]]")};
	struct ot_changes *before = u.changes;
	size_t skip = 7;

	cr_assert_eq(rebase_updates(&u, 1, &over, 1, &skip, &err), -1);
	cr_assert_eq(err, OT_ELENGTH);
	cr_assert_eq(skip, 0);
	cr_assert_eq(u.changes, before, "unchanged on failure");
	ot_changes_free(u.changes);
	ot_changes_free(over.changes);
}

Test(rebase, a_resend_of_accepted_updates_is_dropped_whole)
{
	enum ot_err err = OT_OK;
	struct rebase_update over[2] = {
	        {"a", cs("[3,[0,\"x\"]]")},
	        {"a", cs("[4,[0,\"y\"]]")},
	};
	struct rebase_update u[2] = {
	        {"a", ot_changes_dup(over[0].changes)},
	        {"a", ot_changes_dup(over[1].changes)},
	};
	size_t skip = 0;

	cr_assert_eq(rebase_updates(u, 2, over, 2, &skip, &err), 0);
	cr_assert_eq(skip, 2);
	for (int i = 0; i < 2; i++) {
		ot_changes_free(u[i].changes);
		ot_changes_free(over[i].changes);
	}
}
