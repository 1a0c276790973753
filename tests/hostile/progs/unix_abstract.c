/* unix_abstract NAME - connects to the abstract AF_UNIX socket @NAME on
   which the test listens on the host.  Expected: ECONNREFUSED (abstract
   sockets belong to the network namespace). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "runpad-hostile";
	struct sockaddr_un sa;
	socklen_t len;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		printf("socket: %s\n", strerrorname_np(errno));
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strncpy(sa.sun_path + 1, name, sizeof(sa.sun_path) - 2);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	                  strlen(name));
	if (connect(fd, (struct sockaddr *)&sa, len) < 0)
		printf("connect: %s\n", strerrorname_np(errno));
	else
		printf("connect: ok\n");
	return 0;
}
