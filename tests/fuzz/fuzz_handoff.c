/* libFuzzer target: a pad's dump from a peer (ws/handoff.h), imported into
   a real store in a temporary directory; a dump that is accepted is
   deleted again, so every input meets an empty store. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct padstore *ps;
static char dir[64];

/* the store leaves with the process */
static void cleanup(void)
{
	char f[96];

	padstore_close(ps);
	snprintf(f, sizeof(f), "%s/data.mdb", dir);
	remove(f);
	snprintf(f, sizeof(f), "%s/lock.mdb", dir);
	remove(f);
	remove(dir);
}

static struct padstore *store(void)
{
	struct padstore_options o = {.dir = dir, .map_size = 64 << 20};
	char err[256];

	if (ps)
		return ps;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_handoff.XXXXXX");
	if (!mkdtemp(dir) || padstore_open(&o, &ps, err, sizeof(err)) < 0)
		abort();
	atexit(cleanup);
	return ps;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[400];
	uint64_t head;

	if (handoff_import(store(), "fuzz", (const char *)data, size, &head,
	                   err, sizeof(err)) == 0)
		padstore_delete(store(), "fuzz", err, sizeof(err));
	return 0;
}
