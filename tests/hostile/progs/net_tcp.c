/* net_tcp PORT - TCP connect to 127.0.0.1:PORT, where the test listens.
   Expected: "socket: EPERM" (no connection is ever made). */
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

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		printf("socket: %s\n", strerrorname_np(errno));
		return 0;
	}
	printf("socket: ok\n");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argc > 1 ? argv[1] : "1"));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		printf("connect: %s\n", strerrorname_np(errno));
	else
		printf("connect: ok\n");
	return 0;
}
