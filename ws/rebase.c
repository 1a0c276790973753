/*
 * rebase.c - @codemirror/collab's rebaseUpdates.  See rebase.h.
 */
#include "rebase.h"

#include <stdlib.h>
#include <string.h>

/* a.map(b, before), or NULL with *err (lengths first, then memory) */
static struct ot_changes *map(const struct ot_changes *a,
                              const struct ot_changes *b, bool before,
                              enum ot_err *err)
{
	struct ot_changes *r;

	if (ot_changes_len(a) != ot_changes_len(b)) {
		*err = OT_ELENGTH;
		return NULL;
	}
	r = ot_changes_map(a, b, before);
	if (!r)
		*err = OT_ENOMEM;
	return r;
}

static struct ot_changes *compose(const struct ot_changes *a,
                                  const struct ot_changes *b, enum ot_err *err)
{
	struct ot_changes *r;

	if (ot_changes_new_len(a) != ot_changes_len(b)) {
		*err = OT_ELENGTH;
		return NULL;
	}
	r = ot_changes_compose(a, b);
	if (!r)
		*err = OT_ENOMEM;
	return r;
}

/* Replace *changes with next (NULL: failure, *changes kept for the caller
   to free). */
static bool step(struct ot_changes **changes, struct ot_changes *next)
{
	if (!next)
		return false;
	ot_changes_free(*changes);
	*changes = next;
	return true;
}

int rebase_updates(struct rebase_update *upd, size_t n,
                   const struct rebase_update *over, size_t nover, size_t *skip,
                   enum ot_err *err)
{
	struct ot_changes *changes = NULL, **out = NULL;
	size_t sk = 0, i;

	*skip = 0;
	if (!nover || !n)
		return 0;
	for (i = 0; i < nover; i++) {
		const struct rebase_update *other = sk < n ? &upd[sk] : NULL;
		if (other && strcmp(other->client, over[i].client) == 0) {
			if (changes &&
			    !step(&changes,
			          map(changes, other->changes, true, err)))
				goto fail;
			sk++;
		} else if (changes) {
			if (!step(&changes,
			          compose(changes, over[i].changes, err)))
				goto fail;
		} else if (!(changes = ot_changes_dup(over[i].changes))) {
			*err = OT_ENOMEM;
			goto fail;
		}
	}
	*skip = sk;
	if (!changes || sk == n) {
		ot_changes_free(changes);
		return 0;
	}
	out = calloc(n - sk, sizeof(*out));
	if (!out) {
		*err = OT_ENOMEM;
		goto fail;
	}
	for (i = sk; i < n; i++) {
		out[i - sk] = map(upd[i].changes, changes, false, err);
		if (!out[i - sk] ||
		    !step(&changes, map(changes, upd[i].changes, true, err)))
			goto fail;
	}
	for (i = sk; i < n; i++) {
		ot_changes_free(upd[i].changes);
		upd[i].changes = out[i - sk];
	}
	free(out);
	ot_changes_free(changes);
	return 0;
fail:
	for (i = 0; out && i < n - sk; i++)
		ot_changes_free(out[i]);
	free(out);
	ot_changes_free(changes);
	*skip = 0;
	return -1;
}
