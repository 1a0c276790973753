/*
 * wsmsg.c - refcounted messages: built once, queued to every recipient.
 * See hub.h.
 */
#include <stdlib.h>
#include <string.h>

#include "hub_int.h"

/* ---------------------------------------------------------------- messages */

/* A message of len bytes (plus a NUL) for the caller to fill. */
struct wsmsg *wsmsg_alloc(size_t len)
{
	struct wsmsg *m = malloc(sizeof(*m) + WSMSG_PRE + len + 1);

	if (!m)
		return NULL;
	m->refs = 1;
	m->len = len;
	m->data[WSMSG_PRE + len] = '\0';
	return m;
}

struct wsmsg *wsmsg_from_json(json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	        &len);
	struct wsmsg *m = s ? wsmsg_alloc(len) : NULL;

	if (m)
		memcpy(m->data + WSMSG_PRE, s, len);
	return m;
}

struct wsmsg *wsmsg_ref(struct wsmsg *m)
{
	m->refs++;
	return m;
}

void wsmsg_unref(struct wsmsg *m)
{
	if (m && --m->refs == 0)
		free(m);
}
