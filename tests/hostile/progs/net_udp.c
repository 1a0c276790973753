/* net_udp PORT - UDP sendto 127.0.0.1:PORT, where the test listens.
   Expected: "socket: EPERM" (no datagram ever arrives). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		printf("socket: %s\n", strerrorname_np(errno));
		return 0;
	}
	printf("socket: ok\n");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argc > 1 ? argv[1] : "1"));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sendto(fd, "ping", 4, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		printf("sendto: %s\n", strerrorname_np(errno));
	else
		printf("sendto: ok\n");
	return 0;
}
