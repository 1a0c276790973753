/* write_usr - tries to change /usr/bin.  Expected: EROFS for each try. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *what, int rc)
{
	printf("%s: %s\n", what, rc < 0 ? strerrorname_np(errno) : "ok");
}

int main(void)
{
	int fd;

	fd = open("/usr/bin/runpad-hostile-new", O_WRONLY | O_CREAT | O_EXCL,
	          0755);
	report("create /usr/bin/runpad-hostile-new", fd);
	fd = open("/usr/bin/true", O_WRONLY | O_APPEND);
	report("open /usr/bin/true for writing", fd);
	report("chmod /usr/bin/true", chmod("/usr/bin/true", 04777));
	report("unlink /usr/bin/true", unlink("/usr/bin/true"));
	report("mkdir /usr/bin/runpad-hostile-dir",
	       mkdir("/usr/bin/runpad-hostile-dir", 0755));
	report("rename /usr/bin/true",
	       rename("/usr/bin/true", "/usr/bin/runpad-hostile-true"));
	return 0;
}
