/*
 * settab_docs.h - checks that the docs say what a settings table says, for
 * the unit tests of each program's table (included, not linked).
 *
 * docs/ops.md: every key of the table has one row, `KEY` in the first
 * cell, in a table whose header names its columns; the "default" cell says
 * settab_default_doc(), the "values" (or "bounds") cell settab_values(),
 * and a "reload" cell starts with "restart" for a restart-only key and
 * "yes" for the others.  A row whose key has the table's prefix but is not
 * in the table is a key the docs invented, or one that was removed.
 *
 * docs/man/runpad.conf.5: every key has a .BI entry whose text (the fonts
 * taken out) says "Restart." or "Reloadable.", "Default <def>" where the
 * table has a plain default, and "<min> to <max>" for a number.
 *
 * Markdown is compared with its backticks and links taken out, so
 * "a [listen address](#listen-addresses)" reads "a listen address".
 */
#ifndef RUNPAD_TEST_SETTAB_DOCS_H
#define RUNPAD_TEST_SETTAB_DOCS_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settab.h"

#define DOCS_MAX_COLS 8

static char *docs_read(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;

	cr_assert_not_null(f, "%s: run the tests from the source tree", path);
	cr_assert_eq(getdelim(&text, &len, '\0', f) > 0, 1, "%s", path);
	fclose(f);
	return text;
}

/* markdown cell text without backticks, links and padding, in out */
static void docs_md_plain(const char *in, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		if (in[i] == '`')
			continue;
		if (in[i] == '\\' && i + 1 < n && in[i + 1] == '|')
			continue;
		if (in[i] == ']' && i + 1 < n && in[i + 1] == '(') {
			while (i < n && in[i] != ')')
				i++;
			continue;
		}
		if (in[i] == '[') {
			const char *close = memchr(in + i, ']', n - i);
			if (close && close + 1 < in + n && close[1] == '(')
				continue; /* a link's text follows */
		}
		out[o++] = in[i];
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = 0;
	memmove(out, out + strspn(out, " "),
	        strlen(out + strspn(out, " ")) + 1);
}

/* split a "| a | b |" line into up to DOCS_MAX_COLS plain cells */
static size_t docs_md_cells(const char *line, size_t n,
                            char cells[DOCS_MAX_COLS][512])
{
	size_t nc = 0, start = 1;

	for (size_t i = 1; i < n && nc < DOCS_MAX_COLS; i++)
		if (line[i] == '|' && line[i - 1] != '\\') {
			docs_md_plain(line + start, i - start, cells[nc++],
			              512);
			start = i + 1;
		}
	return nc;
}

/* the docs' name of key k: a family "fcgi.limit." is "fcgi.limit.NAME" */
static void docs_key_name(const struct settab_key *k, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", k->name,
	         (k->flags & SETTAB_PREFIX) ? "NAME" : "");
}

static const struct settab_key *docs_key_of(const struct settab *t,
                                            const char *name)
{
	char buf[128];

	for (size_t i = 0; i < t->n; i++) {
		docs_key_name(&t->keys[i], buf, sizeof(buf));
		if (strcmp(buf, name) == 0)
			return &t->keys[i];
	}
	return NULL;
}

static void docs_check_md(const struct settab *t, const char *path)
{
	char *text = docs_read(path);
	char cells[DOCS_MAX_COLS][512], want[512];
	int col_def = -1, col_val = -1, col_reload = -1;
	size_t *seen = calloc(t->n, sizeof(*seen));

	for (char *line = text, *end; *line; line = end + (*end != 0)) {
		const struct settab_key *k;
		size_t nc, len;
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		len = (size_t)(end - line);
		if (len < 2 || line[0] != '|') {
			col_def = col_val = col_reload = -1;
			continue;
		}
		nc = docs_md_cells(line, len, cells);
		if (nc && strcmp(cells[0], "key") == 0) {
			col_def = col_val = col_reload = -1;
			for (size_t c = 1; c < nc; c++) {
				if (strcmp(cells[c], "default") == 0)
					col_def = (int)c;
				else if (strcmp(cells[c], "values") == 0 ||
				         strcmp(cells[c], "bounds") == 0)
					col_val = (int)c;
				else if (strcmp(cells[c], "reload") == 0)
					col_reload = (int)c;
			}
			continue;
		}
		if (col_def < 0 || strncmp(line, "| `", 3))
			continue;
		k = docs_key_of(t, cells[0]);
		if (!k) {
			cr_expect(!t->prefix || strncmp(cells[0], t->prefix,
			                                strlen(t->prefix)),
			          "%s: row of '%s', which is not a setting",
			          path, cells[0]);
			continue;
		}
		seen[k - t->keys]++;
		cr_expect(strcmp(cells[col_def], settab_default_doc(k)) == 0,
		          "%s: default of %s: '%s', the table says '%s'", path,
		          cells[0], cells[col_def], settab_default_doc(k));
		if (col_val >= 0) {
			settab_values(k, want, sizeof(want));
			cr_expect(strcmp(cells[col_val], want) == 0,
			          "%s: values of %s: '%s', the table says '%s'",
			          path, cells[0], cells[col_val], want);
		}
		if (col_reload >= 0) {
			const char *r =
			        (k->flags & SETTAB_RESTART) ? "restart" : "yes";
			cr_expect(strncmp(cells[col_reload], r, strlen(r)) == 0,
			          "%s: reload of %s is '%s', the table says %s",
			          path, cells[0], cells[col_reload], r);
		}
	}
	for (size_t i = 0; i < t->n; i++)
		cr_assert_eq(seen[i], 1, "%s: %zu rows of %s", path, seen[i],
		             t->keys[i].name);
	free(seen);
	free(text);
}

/* troff text without macros' names, quotes and font escapes */
static void docs_man_plain(const char *in, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	bool bol = true;

	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		if (bol && in[i] == '.') {
			while (i < n && in[i] != ' ' && in[i] != '\n')
				i++;
			if (i < n && in[i] == '\n')
				out[o++] = ' ';
			bol = in[i] == '\n';
			continue;
		}
		bol = in[i] == '\n';
		if (in[i] == '\\' && i + 1 < n) {
			if (in[i + 1] == 'f' && i + 2 < n) {
				i += 2; /* \fR, \fI, \fB, \fP */
				continue;
			}
			if (in[i + 1] == '-') {
				out[o++] = '-';
				i++;
				continue;
			}
			if (in[i + 1] == '&') {
				i++;
				continue;
			}
		}
		if (in[i] == '"')
			continue;
		if ((in[i] == '\n' || in[i] == ' ') && o && out[o - 1] == ' ')
			continue;
		out[o++] = in[i] == '\n' ? ' ' : in[i];
	}
	out[o] = 0;
}

/* "Default <def>" in body, ended by '.', ' .' or ';' for a number */
static bool docs_man_default(const char *body, const char *def, bool number)
{
	char want[200];
	size_t n = (size_t)snprintf(want, sizeof(want), "Default %s", def);

	for (const char *p = body; (p = strstr(p, want)); p++) {
		const char *after = p + n;
		if (!number || *after == '.' || *after == ';' ||
		    (after[0] == ' ' && after[1] == '.'))
			return true;
	}
	return false;
}

static void docs_check_man(const struct settab *t, const char *path)
{
	char *text = docs_read(path);

	for (size_t i = 0; i < t->n; i++) {
		const struct settab_key *k = &t->keys[i];
		char head[160], body[4096], want[200];
		const char *at, *stop;
		int n = snprintf(head, sizeof(head), "\n.BI %s%s", k->name,
		                 (k->flags & SETTAB_PREFIX) ? " NAME" : " ");

		at = strstr(text, head);
		cr_assert_not_null(at, "%s: no entry '.BI %s'", path, k->name);
		at += n;
		stop = at + strcspn(at, "\n");
		for (const char *p = stop; *p; p++)
			if (p[0] == '\n' && p[1] == '.' &&
			    (strncmp(p + 1, ".TP", 3) == 0 ||
			     strncmp(p + 1, ".SH", 3) == 0 ||
			     strncmp(p + 1, ".SS", 3) == 0)) {
				stop = p;
				break;
			}
		at += strcspn(at, "\n");
		docs_man_plain(at, (size_t)(stop - at), body, sizeof(body));
		if (k->flags & SETTAB_RESTART)
			cr_expect(strstr(body, "Restart."), "%s: %s: %s", path,
			          k->name, body);
		else
			cr_expect(strstr(body, "Reloadable"), "%s: %s: %s",
			          path, k->name, body);
		if (k->def && k->def[0])
			cr_expect(docs_man_default(body, k->def,
			                           k->type != SETTAB_STRING),
			          "%s: %s: no 'Default %s' in: %s", path,
			          k->name, k->def, body);
		else if (!k->def_doc)
			cr_expect(strstr(body, k->def ? "Default empty."
			                              : "Default: none."),
			          "%s: %s: no 'Default %s' in: %s", path,
			          k->name, k->def ? "empty." : ": none.", body);
		if (!k->values && k->type != SETTAB_BOOL &&
		    k->type != SETTAB_STRING && k->type != SETTAB_OCTAL) {
			settab_values(k, want, sizeof(want));
			cr_expect(strstr(body, want), "%s: %s: no '%s' in: %s",
			          path, k->name, want, body);
		}
	}
	free(text);
}

#endif
