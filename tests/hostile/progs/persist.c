/* persist write|check - "write" leaves a marker file in /tmp, /dev/shm and
   /box, and a SysV shared memory segment, message queue and semaphore set
   with key 0x52554e50; "check" (a later run in the same slot) reports
   whether each is still there.  Expected: every one absent. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

static const char *const markers[] = {
        "/tmp/runpad-persist",
        "/dev/shm/runpad-persist",
        "/box/runpad-persist",
};

#define IPC_KEY 0x52554e50

static void ipc(const char *kind, int write_mode)
{
	int flags = write_mode ? IPC_CREAT | IPC_EXCL | 0666 : 0;
	int id;

	if (kind[0] == 's' && kind[1] == 'h')
		id = shmget(IPC_KEY, 4096, flags);
	else if (kind[0] == 'm')
		id = msgget(IPC_KEY, flags);
	else
		id = semget(IPC_KEY, 1, flags);
	if (write_mode)
		printf("write %s: %s\n", kind,
		       id < 0 ? strerrorname_np(errno) : "ok");
	else
		printf("check %s: %s\n", kind,
		       id >= 0           ? "present"
		       : errno == ENOENT ? "absent"
		                         : strerrorname_np(errno));
}

int main(int argc, char **argv)
{
	int write_mode = argc > 1 && strcmp(argv[1], "write") == 0;

	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		const char *m = markers[i];

		if (write_mode) {
			int fd = open(m, O_WRONLY | O_CREAT | O_TRUNC, 0666);
			if (fd < 0) {
				printf("write %s: %s\n", m,
				       strerrorname_np(errno));
				continue;
			}
			(void)!write(fd, "marker\n", 7);
			close(fd);
			printf("write %s: ok\n", m);
		} else if (access(m, F_OK) == 0) {
			printf("check %s: present\n", m);
		} else {
			printf("check %s: %s\n", m,
			       errno == ENOENT ? "absent"
			                       : strerrorname_np(errno));
		}
	}
	ipc("shm", write_mode);
	ipc("msg", write_mode);
	ipc("sem", write_mode);
	return 0;
}
