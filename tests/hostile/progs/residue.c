/* residue - leaves what a run can leave charged to its memory cgroup
   after it ends: negative dentries for 200000 names that do not exist in
   the read-only root, and page cache of every file it reads under
   /usr/lib (up to 256 MiB).  Run before a small program in the same slot,
   it must change nothing in that program's figures or verdict. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long long budget = 256ll << 20;

static void slurp(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	static char buf[1 << 16];

	if (!d)
		return;
	while (budget > 0 && (e = readdir(d))) {
		char path[4096];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < 8) {
			slurp(path, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			int fd = open(path, O_RDONLY);
			ssize_t n;
			if (fd < 0)
				continue;
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				budget -= n;
			close(fd);
		}
	}
	closedir(d);
}

int main(void)
{
	struct stat st;
	char name[64];

	printf("residue: start\n");
	for (int i = 0; i < 200000; i++) {
		snprintf(name, sizeof(name), "/usr/lib/runpad-residue-%d", i);
		stat(name, &st);
	}
	slurp("/usr/lib", 0);
	printf("residue: done\n");
	return 0;
}
