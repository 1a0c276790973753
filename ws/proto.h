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
	PROTO_CONTROL,
	PROTO_LINKS,
	PROTO_REMOVE,
	PROTO_HISTORY,
	PROTO_TYPE_COUNT
};

/* The `type` of a client message: "hello", ... (static), or NULL for a
   value outside the table. */
const char *proto_type_name(enum proto_type t);

/*
 * Every code of an `error` message the daemon sends.  docs/protocol.json
 * lists the same codes with their meaning (tests/unit/ws/test_protodesc.c
 * holds the two together); a code not in this table cannot be sent.
 */
#define PROTO_ERRORS(X)                                                        \
	X(BAD_JSON, "bad_json")                                                \
	X(BINARY_FRAME, "binary_frame")                                        \
	X(BAD_MESSAGE, "bad_message")                                          \
	X(UNKNOWN_TYPE, "unknown_type")                                        \
	X(MESSAGE_TOO_LARGE, "message_too_large")                              \
	X(NOT_JOINED, "not_joined")                                            \
	X(ALREADY_JOINED, "already_joined")                                    \
	X(BAD_PAD_ID, "bad_pad_id")                                            \
	X(STALE_VERSION, "stale_version")                                      \
	X(FUTURE_VERSION, "future_version")                                    \
	X(INVALID_CHANGES, "invalid_changes")                                  \
	X(LENGTH_MISMATCH, "length_mismatch")                                  \
	X(SPLIT_SURROGATE, "split_surrogate")                                  \
	X(INVALID_UTF8, "invalid_utf8")                                        \
	X(DOC_TOO_LARGE, "doc_too_large")                                      \
	X(TOO_MANY_UPDATES, "too_many_updates")                                \
	X(RATE_LIMITED, "rate_limited")                                        \
	X(BAD_SELECTION, "bad_selection")                                      \
	X(NAME_TOO_LONG, "name_too_long")                                      \
	X(BAD_NAME, "bad_name")                                                \
	X(BAD_COLOR, "bad_color")                                              \
	X(BAD_LANGUAGE, "bad_language")                                        \
	X(BAD_TOOLCHAIN, "bad_toolchain")                                      \
	X(PAD_FULL, "pad_full")                                                \
	X(SERVER_BUSY, "server_busy")                                          \
	X(WRONG_DAEMON, "wrong_daemon")                                        \
	X(RUN_IN_PROGRESS, "run_in_progress")                                  \
	X(NO_RUN, "no_run")                                                    \
	X(STDIN_FULL, "stdin_full")                                            \
	X(NO_TESTS, "no_tests")                                                \
	X(TESTS_TOO_LARGE, "tests_too_large")                                  \
	X(NO_LANGUAGE, "no_language")                                          \
	X(RUN_LIMITED, "run_limited")                                          \
	X(FORBIDDEN, "forbidden")                                              \
	X(BAD_LINK, "bad_link")                                                \
	X(LINK_REVOKED, "link_revoked")                                        \
	X(REMOVED, "removed")                                                  \
	X(NO_PAD, "no_pad")                                                    \
	X(CREATE_FORBIDDEN, "create_forbidden")                                \
	X(PAD_EXISTS, "pad_exists")                                            \
	X(BAD_TEMPLATE, "bad_template")                                        \
	X(STORE_ERROR, "store_error")

enum proto_err {
#define PROTO_ERR_ENUM(id, name) PROTO_E_##id,
	PROTO_ERRORS(PROTO_ERR_ENUM)
#undef PROTO_ERR_ENUM
	        PROTO_ERR_COUNT
};

/* The code as it goes on the wire: "bad_json", ... (static), or NULL for
   a value outside the table. */
const char *proto_err_name(enum proto_err e);

#define PROTO_MAX_RANGES      100
#define PROTO_MAX_CLIENT_ID   64
#define PROTO_MAX_LANGUAGE    32
#define PROTO_MAX_TOOLCHAIN   32 /* a variant, an option's name or value */
#define PROTO_MAX_OPTIONS     8
#define PROTO_MAX_TESTS       64
#define PROTO_MAX_TEST_NAME   64
#define PROTO_MAX_TEST_FIELD  (64 * 1024)  /* stdin, expected_stdout */
#define PROTO_MAX_TESTS_BYTES (256 * 1024) /* all of them */
#define PROTO_MAX_TITLE       200
#define PROTO_KEY_LEN         32 /* a link's key: cap.h's CAP_KEY_LEN */
#define PROTO_MAX_SECRET      256
#define PROTO_MAX_TEMPLATE    64

/* The roles a link gives (docs/protocol.md, "Roles and links").  EDITOR is
   everyone's on an open pad (one made without links). */
enum proto_role {
	PROTO_ROLE_EDITOR,
	PROTO_ROLE_OWNER,
	PROTO_ROLE_CANDIDATE,
	PROTO_ROLE_OBSERVER
};

/* "editor", "owner", ... (static) */
const char *proto_role_name(enum proto_role r);

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
	/* language: the toolchain.  has_variant, has_options: the field was
	   given (null included); variant NULL and options NULL mean the
	   language's default (options: an object of 1 to PROTO_MAX_OPTIONS
	   NAME: VALUE strings, each proto_toolchain_word()) */
	bool has_variant, has_options;
	const char *variant;
	json_object *options;
	const char *data; /* stdin, run (initial stdin): or NULL */
	size_t data_len;
	bool eof;           /* stdin */
	bool run_tests;     /* run: the pad's tests instead of a plain run */
	json_object *tests; /* tests: array of {name, stdin, expected_stdout} */
	const char *key;    /* hello: the link's key, or NULL */
	bool create;        /* hello: make the pad */
	const char *tpl;    /* hello.create.template, or NULL */
	const char *create_language; /* hello.create.language, or NULL */
	const char *secret;          /* hello.create.secret, or NULL */
	const char *title; /* hello.create.title, control.title: or NULL */
	bool notes;        /* push, pull, history: "doc":"notes" */
	/* control: -1 when absent, else 0 or 1 */
	int locked, runs_locked, ended, playback;
	enum proto_role link_role; /* links: CANDIDATE or OBSERVER */
	bool revoke;               /* links: revoke instead of rotate */
	const char *id;            /* remove: the participant */
};

struct proto_error {
	enum proto_err code; /* the wire's code: proto_err_name(code) */
	char message[256];
};

/*
 * Parse one text message.  0 and *m filled (fini it), or -1 with *e set
 * and nothing to fini.
 */
int proto_parse(const char *text, size_t len, const struct proto_limits *lim,
                struct proto_msg *m, struct proto_error *e);

void proto_msg_fini(struct proto_msg *m);

/* True when len bytes at s are 1 to PROTO_MAX_TOOLCHAIN of
   [A-Za-z0-9+._-]: a toolchain id, an option's name or its value. */
bool proto_toolchain_word(const char *s, size_t len);

/* Sets e and returns -1: for callers that report their own errors. */
int proto_error_set(struct proto_error *e, enum proto_err code, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

#endif
