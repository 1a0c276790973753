/* Unit tests: docs/ops.md and runpad.conf(5) say what runpad-ws's
   settings table says (tests/unit/common/settab_docs.h). */
#include "../common/settab_docs.h"
#include "wsconf.h"

Test(wsconf_docs, ops_md_rows_match_the_table)
{
	docs_check_md(&wsconf_table, "docs/ops.md");
}

Test(wsconf_docs, man_page_entries_match_the_table)
{
	docs_check_man(&wsconf_table, "docs/man/runpad.conf.5");
}
