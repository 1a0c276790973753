/*
 * addr.h - the one grammar of the addresses runpad listens on
 * (fcgi.listen, ws.listen and both daemons' --listen):
 *
 *   unix:/absolute/path    a unix socket; "/absolute/path" means the same
 *   A.B.C.D:PORT           IPv4, numeric
 *   [IPv6]:PORT            IPv6, numeric, in brackets
 *
 * PORT is 1 to 65535; names are not resolved (a listening daemon must not
 * depend on DNS at start), so "localhost:80" is refused.  Pure: no
 * allocation, no global state.
 */
#ifndef RUNPAD_ADDR_H
#define RUNPAD_ADDR_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/* What every error message says is expected. */
#define ADDR_GRAMMAR "unix:/absolute/path, A.B.C.D:PORT or [IPv6]:PORT"

enum addr_kind { ADDR_UNIX = 1, ADDR_INET, ADDR_INET6 };

struct addr {
	enum addr_kind kind;
	char host[INET6_ADDRSTRLEN]; /* numeric, no brackets; "" for unix */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* unix */
	uint16_t port;                                          /* 0 for unix */
	struct sockaddr_storage sa; /* ready for bind() or connect() */
	socklen_t salen;
};

/*
 * Parse s into *a.  0, or -EINVAL with err (if not NULL) saying what is
 * wrong ("a unix socket path must be absolute", "a port is 1 to 65535",
 * otherwise "expected " ADDR_GRAMMAR); the caller adds the key and value.
 */
int addr_parse(const char *s, struct addr *a, char *err, size_t errlen);

#endif
