/* read_host PATH... - tries to read each host path.  Prints, per path,
   "PATH: ERRNO", "PATH: dir N entries" or "PATH: read N bytes".
   Expected: ENOENT or EACCES for every one. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void probe(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0) {
		printf("%s: %s\n", path, strerrorname_np(errno));
		return;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		DIR *d = fdopendir(fd);
		struct dirent *e;
		int n = 0;

		while (d && (e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				n++;
		}
		printf("%s: dir %d entries\n", path, n);
		if (d)
			closedir(d);
		return;
	}
	{
		char buf[4096];
		long total = 0;
		ssize_t n;

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			total += n;
		if (n < 0)
			printf("%s: read %s\n", path, strerrorname_np(errno));
		else
			printf("%s: read %ld bytes\n", path, total);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		probe(argv[i]);
	return 0;
}
