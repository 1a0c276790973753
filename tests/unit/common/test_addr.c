/* Unit tests: the listen address grammar. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "addr.h"

Test(addr, unix_sockets_in_both_spellings)
{
	struct addr a;
	char err[128];
	cr_assert_eq(
	        addr_parse("unix:/run/runpad/ws.sock", &a, err, sizeof(err)), 0,
	        "%s", err);
	cr_assert_eq(a.kind, ADDR_UNIX);
	cr_assert_str_eq(a.path, "/run/runpad/ws.sock");
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a.sa;
	cr_assert_eq(un->sun_family, AF_UNIX);
	cr_assert_str_eq(un->sun_path, "/run/runpad/ws.sock");
	cr_assert_eq(addr_parse("/run/x.sock", &a, err, sizeof(err)), 0);
	cr_assert_str_eq(a.path, "/run/x.sock");
	cr_assert_eq(a.port, 0);
	cr_assert_str_eq(a.host, "");
}

Test(addr, tcp_v4_and_v6)
{
	struct addr a;
	char err[128];
	cr_assert_eq(addr_parse("127.0.0.1:8080", &a, err, sizeof(err)), 0);
	cr_assert_eq(a.kind, ADDR_INET);
	cr_assert_str_eq(a.host, "127.0.0.1");
	cr_assert_eq(a.port, 8080);
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a.sa;
	cr_assert_eq(s4->sin_family, AF_INET);
	cr_assert_eq(ntohs(s4->sin_port), 8080);
	cr_assert_eq(ntohl(s4->sin_addr.s_addr), 0x7f000001);
	cr_assert_eq(a.salen, sizeof(*s4));

	cr_assert_eq(addr_parse("[::1]:65535", &a, err, sizeof(err)), 0);
	cr_assert_eq(a.kind, ADDR_INET6);
	cr_assert_str_eq(a.host, "::1");
	cr_assert_eq(a.port, 65535);
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a.sa;
	cr_assert_eq(s6->sin6_family, AF_INET6);
	cr_assert_eq(ntohs(s6->sin6_port), 65535);
	cr_assert(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
	cr_assert_eq(a.salen, sizeof(*s6));
}

Test(addr, refusals_say_why)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
	        {"", "expected unix:/absolute/path, A.B.C.D:PORT or "
	             "[IPv6]:PORT"},
	        {"8080", "expected"},
	        {":8080", "expected"},
	        {"localhost:80", "expected"}, /* names are not resolved */
	        {"::1:9000", "expected"},     /* v6 needs brackets */
	        {"[::1:9000", "expected"},
	        {"[]:80", "expected"},
	        {"[127.0.0.1]:80", "expected"},
	        {"256.0.0.1:80", "expected"},
	        {"10.0.0.1:0", "a port is 1 to 65535"},
	        {"10.0.0.1:65536", "a port is 1 to 65535"},
	        {"10.0.0.1:", "a port is 1 to 65535"},
	        {"10.0.0.1:80x", "a port is 1 to 65535"},
	        {"10.0.0.1:+80", "a port is 1 to 65535"},
	        {"unix:relative.sock", "must be absolute"},
	        {"unix:", "must be absolute"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct addr a;
		char err[128] = "";
		cr_assert_eq(addr_parse(bad[i].in, &a, err, sizeof(err)),
		             -EINVAL, "'%s'", bad[i].in);
		cr_assert(strstr(err, bad[i].why), "'%s': '%s'", bad[i].in,
		          err);
		cr_assert_eq(a.kind, 0, "'%s'", bad[i].in);
	}
	char longp[200] = "unix:/";
	memset(longp + 6, 'p', 120);
	struct addr a;
	char err[128];
	cr_assert_eq(addr_parse(longp, &a, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "at most 107 bytes"), "%s", err);
	cr_assert_eq(addr_parse("x", &a, NULL, 0), -EINVAL); /* no err */
}
