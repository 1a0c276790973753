/*
 * jailkeys.c - the table of the jail's settings keys.  See jailkeys.h.
 */
#include "jailkeys.h"

#include <stdio.h>

#define NOFIELD SETTAB_NOFIELD
#define RESTART SETTAB_RESTART

static const struct settab_key keys[] = {
        SETTAB_NUM("slots", SETTAB_UINT, NOFIELD, 1, 1024, "4", RESTART),
        {.name = "first_uid",
         .type = SETTAB_UINT,
         .off = NOFIELD,
         .min = 1,
         .max = 4294900000ULL,
         .def = "60000",
         .flags = RESTART,
         .values = "a uid"},
        {.name = "cgroup_parent",
         .type = SETTAB_STRING,
         .off = NOFIELD,
         .flags = RESTART,
         .values = "a path",
         .def_doc = "runpad (root), the service's own cgroup (rootless, "
                    "cgroup v2)"},
        {.name = "rlimits_only",
         .type = SETTAB_BOOL,
         .off = NOFIELD,
         .def = "no",
         .flags = RESTART},
        {.name = "bind",
         .type = SETTAB_STRING,
         .off = NOFIELD,
         .flags = RESTART | SETTAB_REPEAT,
         .check = settab_check_abspath,
         .values = "absolute path, repeatable (64)",
         .def_doc = "the built-in list"},
        {.name = "registry",
         .type = SETTAB_STRING,
         .off = NOFIELD,
         .values = "a path",
         .def_doc = "/etc/runpad/languages.conf if readable, else the "
                    "build's own (sandbox/languages.conf in a source "
                    "build)"},
};

const struct settab jailkeys_table = {keys, sizeof(keys) / sizeof(keys[0]),
                                      NULL};
