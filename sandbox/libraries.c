/*
 * libraries.c - the libraries a language's programs can use (struct
 * sbx_lib): which are installed, their versions, and the words that put
 * them into the commands.
 *
 * Debian installs every library runpad offers, so dpkg's status file is
 * the one source of truth: a library is there when its package is
 * "install ok installed", and its version is the package's upstream
 * version.  Reading the file takes a few milliseconds and runs no program,
 * so it is done at every start and reload.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sandbox.h"

#define DPKG_STATUS "/var/lib/dpkg/status"

struct installed {
	char **pkg, **ver; /* n of each, in the file's order */
	size_t n, cap;
};

static void installed_fini(struct installed *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->pkg[i]);
		free(in->ver[i]);
	}
	free(in->pkg);
	free(in->ver);
}

/* "1:1.24.2-1" -> "1.24.2"; "4.17.21+dfsg+~cs8-9" -> "4.17.21";
   "1.74.0.3" -> "1.74.0"; NULL when it does not start with a digit */
static char *upstream(const char *v)
{
	const char *colon = strchr(v, ':'), *p;
	char out[64];
	size_t n = 0;
	int dots = 0;

	if (colon)
		v = colon + 1;
	if (!isdigit((unsigned char)*v))
		return NULL;
	for (p = v; *p && n < sizeof(out) - 1; p++) {
		if (*p == '.') {
			if (++dots == 3 || !isdigit((unsigned char)p[1]))
				break;
		} else if (!isdigit((unsigned char)*p)) {
			break;
		}
		out[n++] = *p;
	}
	out[n] = '\0';
	return strdup(out);
}

static int installed_add(struct installed *in, const char *pkg, const char *ver)
{
	char *p, *v;

	if (in->n == in->cap) {
		size_t nc = in->cap ? 2 * in->cap : 256;
		char **a = realloc(in->pkg, nc * sizeof(*a)), **b;
		if (!a)
			return -ENOMEM;
		in->pkg = a;
		b = realloc(in->ver, nc * sizeof(*b));
		if (!b)
			return -ENOMEM;
		in->ver = b;
		in->cap = nc;
	}
	p = strdup(pkg);
	v = strdup(ver);
	if (!p || !v) {
		free(p);
		free(v);
		return -ENOMEM;
	}
	in->pkg[in->n] = p;
	in->ver[in->n] = v;
	in->n++;
	return 0;
}

/* Only the packages some library names are kept. */
static bool wanted(const struct sbx_registry *reg, const char *pkg)
{
	for (size_t i = 0; i < reg->n; i++)
		for (size_t k = 0; k < reg->langs[i].nlibs; k++)
			if (strcmp(reg->langs[i].libs[k].package, pkg) == 0)
				return true;
	return false;
}

/* Stanzas of "Package:", "Status:" and "Version:" lines, blank-separated. */
static int read_status(const struct sbx_registry *reg, const char *path,
                       struct installed *in)
{
	FILE *f = fopen(path, "re");
	char line[4096], pkg[sizeof(line)] = "", ver[sizeof(line)] = "";
	bool ok = false;
	int r = 0;

	if (!f)
		return 0; /* nothing installed that we can tell */
	for (;;) {
		bool eof = !fgets(line, sizeof(line), f);
		if (eof || line[0] == '\n') {
			if (ok && pkg[0] && ver[0] && wanted(reg, pkg))
				r = installed_add(in, pkg, ver);
			pkg[0] = ver[0] = '\0';
			ok = false;
			if (eof || r < 0)
				break;
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "Package: ", 9) == 0)
			snprintf(pkg, sizeof(pkg), "%s", line + 9);
		else if (strncmp(line, "Version: ", 9) == 0)
			snprintf(ver, sizeof(ver), "%s", line + 9);
		else if (strncmp(line, "Status: ", 8) == 0)
			ok = strcmp(line + 8, "install ok installed") == 0;
	}
	fclose(f);
	return r;
}

static const char *version_of(const struct installed *in, const char *pkg)
{
	for (size_t i = 0; i < in->n; i++)
		if (strcmp(in->pkg[i], pkg) == 0)
			return in->ver[i];
	return NULL;
}

/* Every absolute path a word names (itself, or after its first '=')
   exists. */
static bool paths_exist(char *const *words)
{
	struct stat st;

	for (char *const *w = words; *w; w++) {
		const char *eq = strchr(*w, '='), *p = **w == '/' ? *w : NULL;
		if (!p && eq && eq[1] == '/')
			p = eq + 1;
		if (p && stat(p, &st) < 0)
			return false;
	}
	return true;
}

/* w with every "{libs:}" in it replaced by colon; NULL on ENOMEM */
static char *replace_all(const char *w, const char *colon)
{
	size_t k = 0, cl = strlen(colon);
	char *out, *o;

	for (const char *p = w; (p = strstr(p, "{libs:}")); p += 7)
		k++;
	out = malloc(strlen(w) + k * cl + 1);
	if (!out)
		return NULL;
	o = out;
	for (const char *p = w, *at; *p; p = at + 7) {
		at = strstr(p, "{libs:}");
		if (!at) {
			strcpy(o, p);
			return out;
		}
		memcpy(o, p, (size_t)(at - p));
		o += at - p;
		memcpy(o, colon, cl);
		o += cl;
	}
	*o = '\0';
	return out;
}

/* cmd with "{libs}" words replaced by the words of the available
   libraries and "{libs:}" inside words by ':'-joined ones; a new vector,
   or NULL on ENOMEM.  *changed says whether there was anything to do. */
static char **place(char *const *cmd, const struct sbx_lang *l, bool *changed)
{
	size_t n = 0, nw = 0, joined = 0;
	char **v, *colon = NULL;

	*changed = false;
	for (size_t i = 0; i < l->nlibs; i++)
		for (char **w = l->libs[i].words; l->libs[i].available && *w;
		     w++) {
			nw++;
			joined += strlen(*w) + 1;
		}
	for (char *const *c = cmd; *c; c++) {
		n++;
		if (strcmp(*c, "{libs}") == 0 || strstr(*c, "{libs:}"))
			*changed = true;
	}
	if (!*changed)
		return NULL;
	colon = malloc(joined + 1);
	v = calloc(n * (nw + 1) + 1, sizeof(*v)); /* generous */
	if (!colon || !v)
		goto nomem;
	colon[0] = '\0';
	for (size_t i = 0; i < l->nlibs; i++)
		for (char **w = l->libs[i].words; l->libs[i].available && *w;
		     w++) {
			strcat(colon, ":");
			strcat(colon, *w);
		}
	n = 0;
	for (char *const *c = cmd; *c; c++) {
		bool at = strstr(*c, "{libs:}") != NULL;
		if (strcmp(*c, "{libs}") == 0) {
			for (size_t i = 0; i < l->nlibs; i++)
				for (char **w = l->libs[i].words;
				     l->libs[i].available && *w; w++)
					if (!(v[n++] = strdup(*w)))
						goto nomem;
		} else if (at) {
			if (!(v[n++] = replace_all(*c, colon)))
				goto nomem;
		} else if (!(v[n++] = strdup(*c))) {
			goto nomem;
		}
	}
	free(colon);
	return v;
nomem:
	free(colon);
	sbx_argv_free(v);
	return NULL;
}

int sbx_registry_detect_libraries(struct sbx_registry *reg, const char *status)
{
	struct installed in = {0};
	int r = read_status(reg, status ? status : DPKG_STATUS, &in);

	for (size_t i = 0; r == 0 && i < reg->n; i++) {
		struct sbx_lang *l = &reg->langs[i];
		char **cc = NULL, **rc = NULL;
		bool cch = false, rch = false;
		if (l->libs_placed)
			continue;
		for (size_t k = 0; k < l->nlibs; k++) {
			struct sbx_lib *lib = &l->libs[k];
			const char *v = version_of(&in, lib->package);
			lib->available = v && paths_exist(lib->words);
			free(lib->version);
			lib->version = lib->available ? upstream(v) : NULL;
		}
		if (l->compile_cmd)
			cc = place(l->compile_cmd, l, &cch);
		rc = place(l->run_cmd, l, &rch);
		if ((cch && !cc) || (rch && !rc)) {
			sbx_argv_free(cc);
			sbx_argv_free(rc);
			r = -ENOMEM;
			break;
		}
		if (cch) {
			sbx_argv_free(l->compile_cmd);
			l->compile_cmd = cc;
		}
		if (rch) {
			sbx_argv_free(l->run_cmd);
			l->run_cmd = rc;
		}
		l->libs_placed = true;
	}
	installed_fini(&in);
	return r;
}
