/*
 * registry_host.c - the registry against this host: which languages'
 * programs are installed (sbx_which, sbx_registry_resolve) and what
 * versions they say they are (sbx_registry_detect_versions).  Parsing is
 * registry.c's; nothing here changes a language but its programs' paths,
 * `available` and `version`.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

/* Resolve a program name against PATH on the host, which the jail binds
   read-only at the same place.  Returns a new string or NULL. */
char *sbx_which(const char *prog, const char *path)
{
	if (!path)
		path = SBX_DEFAULT_PATH;
	char buf[4096];

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? strdup(prog) : NULL;
	for (const char *p = path; *p;) {
		const char *c = strchr(p, ':');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (n && n + strlen(prog) + 2 < sizeof(buf)) {
			struct stat st;
			memcpy(buf, p, n);
			buf[n] = '/';
			strcpy(buf + n + 1, prog);
			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
			    access(buf, X_OK) == 0)
				return strdup(buf);
		}
		if (!c)
			break;
		p = c + 1;
	}
	return NULL;
}

/*
 * Resolve a command's program.  A program in the box ("/box/main", or
 * "./main", which becomes "/box/main") is what the compile stage makes: it
 * cannot be checked before the run, only the toolchain can.
 */
static bool resolve_cmd(char **cmd, const char *path)
{
	char *abs;

	if (!cmd)
		return true;
	if (strncmp(cmd[0], "/box/", 5) == 0)
		return true;
	if (strncmp(cmd[0], "./", 2) == 0) {
		size_t n = strlen(cmd[0]) + 4;
		abs = malloc(n);
		if (!abs)
			return false;
		snprintf(abs, n, "/box/%s", cmd[0] + 2);
		free(cmd[0]);
		cmd[0] = abs;
		return true;
	}
	abs = sbx_which(cmd[0], path);
	if (!abs)
		return false;
	free(cmd[0]);
	cmd[0] = abs;
	return true;
}

/* Every pattern matches at least one existing file. */
static bool requires_met(char **pats)
{
	for (; pats && *pats; pats++) {
		glob_t g;
		int r = glob(*pats, GLOB_NOSORT, NULL, &g);
		bool found = r == 0 && g.gl_pathc > 0;
		if (r == 0)
			globfree(&g);
		if (!found)
			return false;
	}
	return true;
}

void sbx_registry_resolve(struct sbx_registry *reg, const char *path)
{
	if (!path)
		path = SBX_DEFAULT_PATH;
	/* the libraries' words go into the commands first (once: a caller
	   that detected them from another status file keeps its answer) */
	(void)sbx_registry_detect_libraries(reg, NULL);
	for (size_t i = 0; i < reg->n; i++) {
		struct sbx_lang *l = &reg->langs[i];
		l->available = resolve_cmd(l->run_cmd, path) &&
		               resolve_cmd(l->compile_cmd, path) &&
		               requires_met(l->requires);
		if (l->version_cmd)
			resolve_cmd(l->version_cmd, path);
	}
}

/* The first "digits(.digits)+" in text, else the first non-empty line. */
static char *extract_version(const char *text)
{
	for (const char *p = text; *p; p++) {
		if (isdigit((unsigned char)*p) &&
		    (p == text || !isalnum((unsigned char)p[-1]))) {
			const char *q = p;
			bool dot = false;
			while (isdigit((unsigned char)*q) ||
			       (*q == '.' && isdigit((unsigned char)q[1]))) {
				dot = dot || *q == '.';
				q++;
			}
			if (dot)
				return strndup(p, (size_t)(q - p));
		}
	}
	while (*text == '\n' || *text == ' ')
		text++;
	size_t n = strcspn(text, "\n");
	return n ? strndup(text, n > 60 ? 60 : n) : NULL;
}

struct vjob {
	struct sbx_lang *lang;
	pid_t pid;
	int fd;
	char buf[2048];
	size_t len;
};

void sbx_registry_detect_versions(struct sbx_registry *reg, const char *path)
{
	struct vjob *jobs = calloc(reg->n ? reg->n : 1, sizeof(*jobs));
	struct timespec t0, t;
	size_t nj = 0, open_jobs;
	char pathenv[600];
	char *envp[] = {pathenv, "LANG=C.UTF-8", "HOME=/tmp", NULL};

	if (!jobs)
		return;
	snprintf(pathenv, sizeof(pathenv), "PATH=%s",
	         path ? path : SBX_DEFAULT_PATH);
	for (size_t i = 0; i < reg->n; i++) {
		struct sbx_lang *l = &reg->langs[i];
		posix_spawn_file_actions_t fa;
		int p[2];
		if (!l->available || !l->version_cmd ||
		    l->version_cmd[0][0] != '/' || l->version)
			continue;
		if (pipe2(p, O_CLOEXEC) < 0)
			continue;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
		                                 0);
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		posix_spawn_file_actions_adddup2(&fa, p[1], 2);
		if (posix_spawn(&jobs[nj].pid, l->version_cmd[0], &fa, NULL,
		                l->version_cmd, envp) == 0) {
			jobs[nj].lang = l;
			jobs[nj].fd = p[0];
			nj++;
		} else {
			close(p[0]);
		}
		close(p[1]);
		posix_spawn_file_actions_destroy(&fa);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	open_jobs = nj;
	while (open_jobs > 0) {
		struct pollfd *pfd = calloc(nj, sizeof(*pfd));
		long ms;
		if (!pfd)
			break;
		for (size_t i = 0; i < nj; i++)
			pfd[i] = (struct pollfd){jobs[i].fd, POLLIN, 0};
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = 10000 - ((t.tv_sec - t0.tv_sec) * 1000 +
		              (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (ms <= 0 || poll(pfd, nj, (int)ms) <= 0) {
			free(pfd);
			break;
		}
		for (size_t i = 0; i < nj; i++) {
			struct vjob *j = &jobs[i];
			if (j->fd < 0 || !pfd[i].revents)
				continue;
			ssize_t k = read(j->fd, j->buf + j->len,
			                 sizeof(j->buf) - 1 - j->len);
			if (k > 0)
				j->len += (size_t)k;
			if (k <= 0 || j->len == sizeof(j->buf) - 1) {
				close(j->fd);
				j->fd = -1;
				open_jobs--;
			}
		}
		free(pfd);
	}
	for (size_t i = 0; i < nj; i++) {
		struct vjob *j = &jobs[i];
		if (j->fd >= 0) {
			close(j->fd);
			kill(j->pid, SIGKILL);
		}
		waitpid(j->pid, NULL, 0);
		j->buf[j->len] = '\0';
		free(j->lang->version);
		j->lang->version = extract_version(j->buf);
	}
	free(jobs);
}
