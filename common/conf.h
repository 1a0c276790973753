/*
 * conf.h - `key = value` configuration files, shared by every runpad daemon
 * and tool.
 *
 * Lines are `key = value`; `#` or `;` starts a comment line; blank lines are
 * skipped; keys are [A-Za-z0-9_.-]; values are trimmed and may be empty.
 * The parser calls back once per setting, in file order, so a key given
 * twice is seen twice (the callback decides whether that means "repeat",
 * like `bind`, or "last wins").
 */
#ifndef RUNPAD_CONF_H
#define RUNPAD_CONF_H

#include <stddef.h>

/*
 * Called for each setting.  key and value are valid only during the call.
 * Return 0 to go on, or a negative errno to stop; write a reason into err
 * (errlen bytes) and the parser prefixes it with the line number.
 */
typedef int (*conf_cb)(void *arg, const char *key, const char *value, char *err,
                       size_t errlen);

/* Parse text of len bytes.  Returns 0, or -errno with "line N: ..." in err. */
int conf_parse(const char *text, size_t len, conf_cb cb, void *arg, char *err,
               size_t errlen);

/* Read and parse a file (at most 1 MiB).  Returns 0 or -errno with err. */
int conf_load(const char *path, conf_cb cb, void *arg, char *err,
              size_t errlen);

/* The most drop-ins conf_load_with_dropins() reads from one conf.d. */
#define CONF_MAX_DROPINS 256

/*
 * Load path with conf_load(), then its drop-ins: every regular file whose
 * name ends in ".conf" in the directory "conf.d" next to path
 * (/etc/runpad/runpad.conf: /etc/runpad/conf.d/), in byte-wise (strcmp)
 * order of the names, as systemd and sysctl read theirs.  Names that
 * start with '.' and names without the ".conf" suffix ("x.conf.dpkg-old",
 * "x.conf.dpkg-dist", "x.conf~", "README") are skipped, and so is anything
 * that is not a regular file once symlinks are followed (a directory, a
 * dangling link).  A missing conf.d is not an error.
 *
 * Every file goes through the same cb in turn, so a key in a later file
 * reaches the callback after the same key in an earlier one: it overrides
 * it exactly as a repeated key in one file would (or adds to it, for keys
 * the callback treats as lists).
 *
 * Returns 0, or -errno with a message in err that names the file:
 * "/etc/runpad/conf.d/10-x.conf: line 3: ...".  More than
 * CONF_MAX_DROPINS names ending in ".conf" is -E2BIG, and nothing of the
 * directory is read then.  On an error the callback may already have seen
 * the settings of the files before, and of the lines before: the caller
 * throws away what it built, as with conf_load().
 */
int conf_load_with_dropins(const char *path, conf_cb cb, void *arg, char *err,
                           size_t errlen);

/* Replace the owned string *dst with a copy of value (the old one is
   freed).  0 or -ENOMEM (then *dst is unchanged). */
int conf_set_string(char **dst, const char *value);

/* "yes/no/true/false/on/off/1/0" to 1 or 0; -EINVAL otherwise. */
int conf_bool(const char *value);

/* Checked unsigned decimal in [min, max]; 0 or -EINVAL/-ERANGE. */
int conf_uint(const char *value, unsigned long long min, unsigned long long max,
              unsigned long long *out);

#endif
