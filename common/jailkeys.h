/*
 * jailkeys.h - the jail's keys of the shared settings file, as a settings
 * table (settab.h):
 *
 *   slots = 4            first_uid = 60000     cgroup_parent = runpad
 *   rlimits_only = no    bind = /opt/tool      registry = /etc/runpad/...
 *
 * The table has no fields (SETTAB_NOFIELD): it says what each key takes.
 * runpad-jail and runpad-fcgi apply the keys through sandbox/jailconf.h,
 * which parses with this table; runpad-ws, which has no jail, only checks
 * them with it (settab_set with a NULL object), so that a typo in the
 * shared file is reported by every program that reads it.  Static data.
 */
#ifndef RUNPAD_JAILKEYS_H
#define RUNPAD_JAILKEYS_H

#include "settab.h"

/* how many "bind" lines a settings file may hold */
#define JAILKEY_MAX_BINDS 64

extern const struct settab jailkeys_table;

#endif
