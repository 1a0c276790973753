/* socket_families - socket() in every interesting family.  Expected: only
   AF_UNIX works; everything else fails with EPERM. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif

static void try(const char *name, int family, int type, int proto)
{
	int fd = socket(family, type, proto);

	if (fd < 0) {
		printf("%s: %s\n", name, strerrorname_np(errno));
	} else {
		printf("%s: ok\n", name);
		close(fd);
	}
}

int main(void)
{
	int sv[2];

	try("AF_UNIX stream", AF_UNIX, SOCK_STREAM, 0);
	try("AF_UNIX dgram", AF_UNIX, SOCK_DGRAM, 0);
	try("AF_INET stream", AF_INET, SOCK_STREAM, 0);
	try("AF_INET dgram", AF_INET, SOCK_DGRAM, 0);
	try("AF_INET raw", AF_INET, SOCK_RAW, 1);
	try("AF_INET6 stream", AF_INET6, SOCK_STREAM, 0);
	try("AF_NETLINK route", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	try("AF_NETLINK audit", AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
	try("AF_PACKET raw", AF_PACKET, SOCK_RAW, 0);
	try("AF_VSOCK stream", AF_VSOCK, SOCK_STREAM, 0);
	try("AF_ALG seqpacket", AF_ALG, SOCK_SEQPACKET, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		printf("socketpair AF_UNIX: %s\n", strerrorname_np(errno));
	else
		printf("socketpair AF_UNIX: ok\n");
	if (socketpair(AF_INET, SOCK_STREAM, 0, sv) < 0)
		printf("socketpair AF_INET: %s\n", strerrorname_np(errno));
	else
		printf("socketpair AF_INET: ok\n");
	return 0;
}
