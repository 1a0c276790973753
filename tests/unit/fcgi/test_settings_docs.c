/* Unit tests: docs/ops.md and runpad.conf(5) say what runpad-fcgi's
   settings table says (tests/unit/common/settab_docs.h). */
#include "../common/settab_docs.h"
#include "settings.h"

Test(settings_docs, ops_md_rows_match_the_table)
{
	docs_check_md(&settings_table, "docs/ops.md");
}

Test(settings_docs, man_page_entries_match_the_table)
{
	docs_check_man(&settings_table, "docs/man/runpad.conf.5");
}
