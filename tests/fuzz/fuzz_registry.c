/* libFuzzer target: the language registry parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_registry reg;
	char err[256];

	if (sbx_registry_parse((const char *)data, size, &reg, err,
	                       sizeof(err)) == 0) {
		/* the libraries' words into the commands (every library
		   absent: no status file); one pass, so "{libs{libs:}}" leaves
		   "{libs}": only memory safety is checked here */
		(void)sbx_registry_detect_libraries(&reg, "/nonexistent");
		for (size_t i = 0; i < reg.n; i++) {
			const char *args[] = {"a", NULL};
			char **v = sbx_lang_argv(
			        (const char *const *)reg.langs[i].run_cmd,
			        args);
			sbx_argv_free(v);
			sbx_registry_find(&reg, reg.langs[i].id);
			/* a starter is NUL-terminated and within its limit */
			if (reg.langs[i].starter &&
			    strlen(reg.langs[i].starter) > SBX_STARTER_MAX)
				__builtin_trap();
		}
		sbx_registry_fini(&reg);
	}
	return 0;
}
