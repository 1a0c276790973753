/* proc_mask - reads the /proc files that describe the host (its boot
   line, kernel configuration, disks, key users, modules, swap, devices)
   and reports whether each gave any data.  Expected: nothing from each
   masked file, and /proc/meminfo and /proc/self/status still readable. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void count(const char *path)
{
	char buf[4096];
	long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	/* a kernel without the entry (no modules, no sched_debug) hides
	   it as well as a mask does */
	if (fd < 0) {
		printf("%s: %s\n", path,
		       errno == ENOENT ? "hidden" : strerrorname_np(errno));
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	printf("%s: %s\n", path, total ? "data" : "hidden");
}

static void list(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d) {
		printf("%s/: %s\n", path, strerrorname_np(errno));
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	printf("%s/: %d entries\n", path, n);
}

int main(void)
{
	static const char *const files[] = {
	        "/proc/cmdline",    "/proc/diskstats", "/proc/partitions",
	        "/proc/key-users",  "/proc/keys",      "/proc/modules",
	        "/proc/swaps",      "/proc/devices",   "/proc/sched_debug",
	        "/proc/timer_list", "/proc/meminfo",   "/proc/self/status",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		count(files[i]);
	list("/proc/bus");
	list("/proc/fs");
	return 0;
}
