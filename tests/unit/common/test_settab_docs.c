/* Unit tests: docs/ops.md and runpad.conf(5) say what the jail's keys
   table says (settab_docs.h). */
#include "jailkeys.h"
#include "settab_docs.h"

Test(settab_docs, ops_md_rows_match_the_jail_table)
{
	docs_check_md(&jailkeys_table, "docs/ops.md");
}

Test(settab_docs, man_page_entries_match_the_jail_table)
{
	docs_check_man(&jailkeys_table, "docs/man/runpad.conf.5");
}
