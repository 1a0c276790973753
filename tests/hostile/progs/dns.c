/* dns - resolves a host name that exists nowhere locally.  Expected:
   getaddrinfo fails (the exact EAI_* code is asserted by the test). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <netdb.h>
#include <stdio.h>
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
	int rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, "80", &hints, &res);
	printf("getaddrinfo: %s\n", eai_name(rc));
	if (rc == 0)
		freeaddrinfo(res);
	return 0;
}
