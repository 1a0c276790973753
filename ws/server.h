/*
 * server.h - runpad-ws's libwebsockets side: the listening socket, one
 * websocket per participant, their outgoing queues, the event loop, and
 * signals.  The pad logic is hub.h; this module only moves bytes.
 */
#ifndef RUNPAD_WS_SERVER_H
#define RUNPAD_WS_SERVER_H

#include <stddef.h>

#include "wsconf.h"

struct wss;

/*
 * Make the server from a loaded configuration (the server takes
 * ownership of conf) and the path it came from (NULL for defaults; sets are
 * the --set overrides, borrowed until wss_free).  Opens the pad store and
 * the listening socket.  NULL with a message in err on failure.
 */
struct wss *wss_new(struct wsconf *conf, const char *config_path,
                    char *const *sets, size_t nsets, char *err, size_t errlen);

/*
 * Run the loop until SIGTERM or SIGINT, reloading on SIGHUP.  On the way
 * out every connection is closed with 1001 after its queue is written (2 s
 * at most).  Returns 0.
 */
int wss_run(struct wss *s);

void wss_free(struct wss *s); /* NULL ok */

#endif
