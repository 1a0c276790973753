/*
 * runpad-fcgi - the run API, a multithreaded FastCGI program.
 *
 * Thin by design: read the settings, take the listening socket (a path,
 * fd 0 as spawn-fcgi passes it, or fd 3 from systemd socket activation),
 * build the jail, start the service, then wait for signals: SIGHUP reloads
 * the settings, SIGTERM and SIGINT stop gracefully.  See docs/api.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "addr.h"
#include "sandbox.h"
#include "server.h"
#include "settings.h"

#define SYSTEM_CONFIG "/etc/runpad/runpad.conf"
#define GRACE_MS      10000

static void usage(FILE *f)
{
	fputs("usage: runpad-fcgi [--config FILE] [--listen PATH|ADDR:PORT] [--state-dir DIR]\n"
	      "       runpad-fcgi --check-config|--print-config [--config FILE]\n"
	      "\n"
	      "  --config FILE     settings (default " SYSTEM_CONFIG
	      " when it exists)\n"
	      "  --listen PATH     unix socket, or ADDRESS:PORT / [IPv6]:PORT "
	      "(TCP),\n"
	      "                    to listen on (default: fd 0 or systemd's\n"
	      "                    socket when given one, else fcgi.listen)\n"
	      "  --state-dir DIR   where submissions are kept "
	      "(fcgi.state_dir)\n"
	      "  --check-config    load the settings and the registry, "
	      "report, exit\n"
	      "  --print-config    load them and print every key in force, "
	      "exit\n"
	      "signals: HUP reloads the settings, TERM and INT stop "
	      "gracefully\n",
	      f);
}

/* A listening socket passed by systemd (LISTEN_FDS) or on fd 0. */
static int inherited_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int acc = 0;
	socklen_t len = sizeof(acc);

	if (pid && fds && atol(pid) == (long)getpid() && atoi(fds) >= 1) {
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		return 3;
	}
	if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc)
		return 0;
	return -1;
}

static int listen_unix(const char *path, unsigned mode)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_msg(LOG_ERR, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_msg(LOG_ERR, "socket: %s", strerror(errno));
		return -1;
	}
	/* a socket file left by a previous run: replace it */
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, mode) < 0 || listen(fd, 256) < 0) {
		log_msg(LOG_ERR, "cannot listen on %s: %s", path,
		        strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A TCP socket, for nginx on another host.  FastCGI has no
 * authentication: whoever reaches the port runs code in the jail, so
 * docs/ops.md says to bind to a private interface only.
 */
static int listen_tcp(const struct addr *a, const char *text)
{
	int fd, one = 1;

	fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_msg(LOG_ERR, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->salen) < 0 ||
	    listen(fd, 256) < 0) {
		log_msg(LOG_ERR, "cannot listen on %s: %s", text,
		        strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The listening socket: inherited (unless --listen), else fcgi.listen. */
static int take_socket(const struct settings *set, bool listen_given,
                       bool *inherited)
{
	int fd = listen_given ? -1 : inherited_socket();

	*inherited = fd >= 0;
	if (fd < 0) {
		struct addr a;
		/* checked when the settings were read */
		if (addr_parse(set->listen, &a, NULL, 0) < 0)
			log_msg(LOG_ERR, "cannot listen on '%s'", set->listen);
		else if (a.kind == ADDR_UNIX)
			fd = listen_unix(a.path, set->socket_mode);
		else
			fd = listen_tcp(&a, set->listen);
	}
	return fd;
}

static void log_ready(const struct settings *set, struct sbx_ctx *ctx, int fd,
                      bool inherited)
{
	size_t n = 0;
	sbx_registry_count(&set->registry, &n);
	const char *shared = sbx_ctx_root_shared(ctx);
	log_msg(LOG_INFO,
	        "ready: %s, %u slots, %zu languages, cgroup %s%s%s%s, prefix %s",
	        !inherited ? set->listen
	        : fd == 0  ? "socket on fd 0"
	                   : "socket from systemd",
	        sbx_ctx_slots(ctx), n,
	        sbx_ctx_cgroup_mode(ctx) == SBX_CGROUP_V2   ? "v2"
	        : sbx_ctx_cgroup_mode(ctx) == SBX_CGROUP_V1 ? "v1"
	                                                    : "none",
	        sbx_ctx_rootless(ctx) ? ", rootless" : "",
	        shared ? ", root with shared inodes: " : "",
	        shared ? shared : "", set->prefix);
}

/* SIGHUP: read the settings again; apply them unless a restart-only key
   changed.  Paths given on the command line stay. */
static void reload(struct srv *srv, const char *config, const char *listen_path,
                   const char *state_dir)
{
	struct settings *next, *cur = srv_settings(srv);
	const char *blocker;
	char err[512];

	next = settings_load(config, err, sizeof(err));
	if (!next) {
		log_msg(LOG_ERR,
		        "reload refused, keeping the running settings: %s",
		        err);
		settings_unref(cur);
		return;
	}
	if (listen_path) {
		free(next->listen);
		next->listen = strdup(cur->listen);
	}
	if (state_dir) {
		free(next->state_dir);
		next->state_dir = strdup(cur->state_dir);
	}
	settings_detect_versions(next);
	blocker = settings_reload_blocker(cur, next);
	if (blocker) {
		log_msg(LOG_ERR,
		        "reload refused: '%s' changes only with a restart",
		        blocker);
	} else {
		srv_reload(srv, next);
		log_msg(LOG_INFO, "settings reloaded");
	}
	settings_unref(next);
	settings_unref(cur);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"listen", required_argument, NULL, 'l'},
	        {"state-dir", required_argument, NULL, 's'},
	        {"check-config", no_argument, NULL, 'k'},
	        {"print-config", no_argument, NULL, 'p'},
	        {"version", no_argument, NULL, 'V'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *listen_path = NULL, *state_dir = NULL;
	int check = 0;
	struct settings *set;
	struct sbx_ctx *ctx = NULL;
	struct srv *srv = NULL;
	char err[512];
	sigset_t sigs;
	int c, fd, rc = 1;
	bool inherited;

	log_init("runpad-fcgi");
	while ((c = getopt_long(argc, argv, "c:l:s:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'l':
			listen_path = optarg;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'p':
			check = 2;
			break;
		case 'V':
			printf("runpad-fcgi %s\n", SBX_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (!config && access(SYSTEM_CONFIG, R_OK) == 0)
		config = SYSTEM_CONFIG;

	set = settings_load(config, err, sizeof(err));
	if (!set) {
		/* the error names the file (and drop-in) and the line */
		fprintf(stderr, "runpad-fcgi: %s\n", err);
		return 1;
	}
	if (listen_path) {
		struct addr a;
		char why[96];
		if (addr_parse(listen_path, &a, why, sizeof(why)) < 0) {
			fprintf(stderr, "runpad-fcgi: --listen: %s, got '%s'\n",
			        why, listen_path);
			settings_unref(set);
			return 2;
		}
		free(set->listen);
		set->listen = strdup(listen_path);
	}
	if (state_dir) {
		free(set->state_dir);
		set->state_dir = strdup(state_dir);
	}
	if (check == 2) {
		settings_print(set, stdout);
		settings_unref(set);
		return 0;
	}
	if (check) {
		size_t n = 0, all = sbx_registry_count(&set->registry, &n);
		printf("runpad-fcgi: settings ok (%s); %zu of %zu languages available; listen %s; state %s; prefix %s; %s; %s%s\n",
		       config ? config : "built-in defaults", n, all,
		       set->listen, set->state_dir, set->prefix,
		       set->ntokens ? "API tokens required" : "no API tokens",
		       set->owners
		               ? "fcgi.ring: this runner is "
		               : "fcgi.ring empty: this runner holds every id",
		       set->owners ? set->ring_self : "");
		settings_unref(set);
		return 0;
	}
	/* not for --check-config: it reports no versions */
	settings_detect_versions(set);

	/* every thread inherits this mask; the main thread waits for them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	fd = take_socket(set, listen_path != NULL, &inherited);
	if (fd < 0)
		goto out_settings;

	/* while still single-threaded; the languages' host paths are the
	   registry's at start (a reload that adds one needs a restart) */
	set->jail.cfg.lang_binds = sbx_registry_binds(&set->registry);
	if (sbx_ctx_new(&set->jail.cfg, &ctx, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "the jail cannot start: %s", err);
		close(fd);
		goto out_settings;
	}
	if (srv_new(set, ctx, fd, &srv, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out_ctx;
	}
	if (srv_start(srv, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		srv_stop(srv, 0);
		goto out_srv;
	}
	log_ready(set, ctx, fd, inherited);

	for (;;) {
		int sig = 0;
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGPIPE)
			continue;
		if (sig == SIGHUP) {
			reload(srv, config, listen_path, state_dir);
			continue;
		}
		log_msg(LOG_INFO,
		        "stopping (signal %d): runs in flight get %u s", sig,
		        GRACE_MS / 1000);
		break;
	}
	srv_stop(srv, GRACE_MS);
	rc = 0;
out_srv:
	srv_free(srv);
out_ctx:
	sbx_ctx_free(ctx);
out_settings:
	settings_unref(set);
	return rc;
}
