/*
 * runpad-ws - the pad daemon: collaborative sync, presence, persistence
 * and shared runs for runpad's pads (docs/protocol.md, docs/ops.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "version.h"
#include "ring.h"
#include "server.h"
#include "wsconf.h"

#define SYSTEM_CONFIG "/etc/runpad/runpad.conf"
#define MAX_SETS      64

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: runpad-ws [--config FILE] [--listen unix:/PATH | ADDRESS:PORT]\n"
	        "                 [--state-dir DIR] [--runner URL] [--set KEY=VALUE]...\n"
	        "                 [--check-config] [--print-config] [--version]\n"
	        "--config defaults to " SYSTEM_CONFIG " when it exists.\n"
	        "The pad daemon of runpad; see runpad-ws(8) and "
	        "docs/ops.md.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"listen", required_argument, NULL, 'l'},
	        {"state-dir", required_argument, NULL, 'd'},
	        {"runner", required_argument, NULL, 'r'},
	        {"set", required_argument, NULL, 's'},
	        {"check-config", no_argument, NULL, 'C'},
	        {"print-config", no_argument, NULL, 'P'},
	        {"version", no_argument, NULL, 'V'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	char *sets[MAX_SETS];
	size_t nsets = 0;
	const char *config = NULL;
	int check = 0, o;
	char err[512];
	struct wsconf *conf;
	struct wss *s;

	log_init("runpad-ws");
	while ((o = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		const char *key = NULL;
		switch (o) {
		case 'c':
			config = optarg;
			continue;
		case 'l':
			key = "ws.listen=";
			break;
		case 'd':
			key = "ws.state_dir=";
			break;
		case 'r':
			key = "ws.runner=";
			break;
		case 's':
			key = "";
			break;
		case 'C':
			check = 1;
			continue;
		case 'P':
			check = 2;
			continue;
		case 'V':
			printf("runpad-ws %s\n", RUNPAD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (nsets == MAX_SETS) {
			fprintf(stderr,
			        "runpad-ws: too many settings on the command line\n");
			return 2;
		}
		if (asprintf(&sets[nsets], "%s%s", key, optarg) < 0)
			return 1;
		nsets++;
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	/* as runpad-fcgi: the packaged units pass no --config */
	if (!config && access(SYSTEM_CONFIG, R_OK) == 0)
		config = SYSTEM_CONFIG;
	conf = wsconf_load(config, sets, nsets, err, sizeof(err));
	if (!conf) {
		/* a file's errors name the file (and drop-in) themselves */
		fprintf(stderr, "runpad-ws: %s\n", err);
		return 1;
	}
	if (check == 2) {
		/* what the daemon would run with: every ws.* key */
		wsconf_print(conf, stdout);
		wsconf_free(conf);
		return 0;
	}
	if (check) {
		if (*conf->ring)
			printf("runpad-ws: settings are valid; ws.ring has %zu entries, this daemon is %s\n",
			       ring_entries(conf->owners), conf->ring_self);
		else
			printf("runpad-ws: settings are valid; ws.ring is empty: this daemon serves every pad\n");
		wsconf_free(conf);
		return 0;
	}
	s = wss_new(conf, config, sets, nsets, err, sizeof(err));
	if (!s) {
		log_msg(LOG_ERR, "%s", err);
		return 1;
	}
	wss_run(s);
	wss_free(s);
	log_msg(LOG_INFO, "stopped");
	for (size_t i = 0; i < nsets; i++)
		free(sets[i]);
	return 0;
}
