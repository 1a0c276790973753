/*
 * libraries.c - the libraries a language's programs can use (struct
 * sbx_lib): which are installed, their versions, and the words that put
 * them into the commands.
 *
 * Debian installs every library runpad offers, so dpkg is the one source
 * of truth: a library is there when its package is "install ok
 * installed", and its version is the package's upstream version.  One
 * dpkg-query lists them all in about 20 ms, so it is asked at every start
 * and reload.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "sandbox.h"

#define DPKG_QUERY    "/usr/bin/dpkg-query"
#define DPKG_ADMINDIR "/var/lib/dpkg"

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

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

/* One line of dpkg-query's: "PACKAGE TAB STATUS TAB VERSION". */
static int take_line(const struct sbx_registry *reg, char *line,
                     struct installed *in)
{
	char *st = strchr(line, '\t'), *ver = st ? strchr(st + 1, '\t') : NULL;

	if (!ver)
		return 0;
	*st++ = '\0';
	*ver++ = '\0';
	if (strcmp(st, "install ok installed") || !*ver || !wanted(reg, line))
		return 0;
	return installed_add(in, line, ver);
}

/*
 * What dpkg says is installed, through its own interface (dpkg-query;
 * its database's files are dpkg's business): one line a package, read
 * within 10 s.  Nothing when dpkg-query cannot be run.
 */
static int read_status(const struct sbx_registry *reg, const char *admindir,
                       struct installed *in)
{
	char adm[600],
	        *argv[] = {"dpkg-query", adm, "-W",
	                   "-f=${Package}\t${Status}\t${Version}\n", NULL};
	char *envp[] = {"LANG=C", "PATH=/usr/bin:/bin", NULL};
	posix_spawn_file_actions_t fa;
	struct buf out = {0};
	int p[2], r = 0, status;
	pid_t pid;
	int64_t deadline;

	snprintf(adm, sizeof(adm), "--admindir=%s",
	         admindir ? admindir : DPKG_ADMINDIR);
	/* no database there, or no dpkg: nothing is installed that we can
	   tell (and nothing is spawned) */
	if (access(admindir ? admindir : DPKG_ADMINDIR, F_OK) < 0 ||
	    access(DPKG_QUERY, X_OK) < 0 || pipe2(p, O_CLOEXEC) < 0)
		return 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, DPKG_QUERY, &fa, NULL, argv, envp) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(p[0]);
		close(p[1]);
		return 0;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	buf_limit(&out, 16u << 20);
	deadline = mono_ms() + 10000;
	for (;;) {
		struct pollfd pfd = {p[0], POLLIN, 0};
		int64_t left = deadline - mono_ms();
		ssize_t k;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		if (buf_reserve(&out, 65536) < 0)
			break;
		k = read(p[0], out.p + out.len, 65536);
		if (k <= 0)
			break;
		buf_commit(&out, (size_t)k);
	}
	close(p[0]);
	kill(pid, SIGKILL); /* gone already, or late: either way done */
	waitpid(pid, &status, 0);
	if (buf_add(&out, "", 1) == 0)
		for (char *line = out.p, *nl; line && *line && r == 0;
		     line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			r = take_line(reg, line, in);
		}
	buf_fini(&out);
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

int sbx_registry_detect_libraries(struct sbx_registry *reg,
                                  const char *admindir)
{
	struct installed in = {0};
	int r = read_status(reg, admindir, &in);

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
