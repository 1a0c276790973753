/* dns NAME [PORT [noaddrinfo]] - resolves NAME with getaddrinfo() (the
   jail's nsswitch) and with res_query() sent straight to 127.0.0.1:PORT, where the test runs
   a DNS server that answers every A query with 192.0.2.1.  Outside the jail
   the second one works (the test checks that); inside, both must fail and
   no query may reach the server. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *eai_name(int e)
{
	switch (e) {
	case 0:
		return "ok";
	case EAI_AGAIN:
		return "EAI_AGAIN";
	case EAI_FAIL:
		return "EAI_FAIL";
	case EAI_NONAME:
		return "EAI_NONAME";
	case EAI_NODATA:
		return "EAI_NODATA";
	case EAI_SYSTEM:
		return "EAI_SYSTEM";
	case EAI_ADDRFAMILY:
		return "EAI_ADDRFAMILY";
	case EAI_SERVICE:
		return "EAI_SERVICE";
	case EAI_MEMORY:
		return "EAI_MEMORY";
	default:
		return "EAI_other";
	}
}

int main(int argc, char **argv)
{
	const char *host = argc > 1 ? argv[1] : "runpad-hostile.example.com";
	struct addrinfo hints = {0}, *res = NULL;
	unsigned char ans[512];
	int rc, n;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (argc < 4) {
		rc = getaddrinfo(host, "80", &hints, &res);
		printf("getaddrinfo: %s\n", eai_name(rc));
		if (rc == 0)
			freeaddrinfo(res);
	}
	if (argc < 3)
		return 0;

	res_init();
	_res.nscount = 1;
	memset(&_res.nsaddr_list[0], 0, sizeof(_res.nsaddr_list[0]));
	_res.nsaddr_list[0].sin_family = AF_INET;
	_res.nsaddr_list[0].sin_port = htons((unsigned short)atoi(argv[2]));
	_res.nsaddr_list[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	_res.retrans = 1;
	_res.retry = 1;
	errno = 0;
	n = res_query(host, ns_c_in, ns_t_a, ans, sizeof(ans));
	if (n < 0) {
		printf("res_query: failed (%s)\n",
		       errno ? strerrorname_np(errno) : "no errno");
	} else if (n >= 16) {
		printf("res_query: ok %u.%u.%u.%u\n", ans[n - 4], ans[n - 3],
		       ans[n - 2], ans[n - 1]);
	} else {
		printf("res_query: short answer\n");
	}
	return 0;
}
