/*
 * proto.h - the client half of the pad protocol (docs/protocol.md): one
 * websocket text message in, a checked struct proto_msg out, or a typed
 * error (the `code` of an `error` message and a sentence for people).
 *
 * Only the shape is checked here.  What needs the pad (versions against the
 * head, changes against the text, limits per client) is checked by pad.c.
 */
#ifndef RUNPAD_PROTO_H
#define RUNPAD_PROTO_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum proto_type {
	PROTO_HELLO,
	PROTO_PUSH,
	PROTO_PULL,
	PROTO_PRESENCE,
	PROTO_PROFILE,
	PROTO_LANGUAGE,
	PROTO_RUN,
	PROTO_STDIN,
	PROTO_STOP,
	PROTO_PING,
	PROTO_TESTS,
};

#define PROTO_MAX_RANGES      100
#define PROTO_MAX_CLIENT_ID   64
#define PROTO_MAX_LANGUAGE    32
#define PROTO_MAX_TESTS       64
#define PROTO_MAX_TEST_NAME   64
#define PROTO_MAX_TEST_FIELD  (64 * 1024)  /* stdin, expected_stdout */
#define PROTO_MAX_TESTS_BYTES (256 * 1024) /* all of them */

struct proto_limits {
	size_t max_name; /* bytes of a display name */
	size_t max_updates_per_push;
};

/*
 * A parsed message.  Every pointer borrows from root, which the struct
 * owns: valid until proto_msg_fini().
 */
struct proto_msg {
	enum proto_type type;
	json_object *root;
	bool has_version;       /* hello: false for null or absent */
	int64_t version;        /* hello, push, pull, presence */
	json_object *updates;   /* push: array of {clientID, changes} */
	json_object *ref;       /* push: echoed in errors, or NULL */
	const char *name;       /* hello, profile: or NULL */
	const char *color;      /* hello, profile: or NULL */
	json_object *selection; /* presence: object, or NULL for none */
	const char *language;   /* language */
	const char *data;       /* stdin, run (initial stdin): or NULL */
	size_t data_len;
	bool eof;           /* stdin */
	bool run_tests;     /* run: the pad's tests instead of a plain run */
	json_object *tests; /* tests: array of {name, stdin, expected_stdout} */
};

struct proto_error {
	const char *code; /* static string, e.g. "bad_message" */
	char message[256];
};

/*
 * Parse one text message.  0 and *m filled (fini it), or -1 with *e set
 * and nothing to fini.
 */
int proto_parse(const char *text, size_t len, const struct proto_limits *lim,
                struct proto_msg *m, struct proto_error *e);

void proto_msg_fini(struct proto_msg *m);

/* Sets e and returns -1: for callers that report their own errors. */
int proto_error_set(struct proto_error *e, const char *code, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

#endif
