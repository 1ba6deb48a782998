/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The configuration file syntax: "key = value" lines.  Blank lines and
 * lines whose first non-blank character is '#' are ignored; white space
 * around keys and values is dropped; a value in double quotes loses them.
 * Keys are not interpreted here.
 */
#ifndef SNPCERT_FORMATS_CONFSYNTAX_H
#define SNPCERT_FORMATS_CONFSYNTAX_H

#include <stddef.h>

/* Called per setting; a negative return stops the parse and is returned. */
typedef int (*conf_cb)(void *arg, unsigned int line, const char *key, const char *value);

/*
 * Parse text (not NUL-terminated, len bytes).  Returns 0, -EINVAL for a
 * line that is not "key = value" or holds a NUL byte (*bad_line set to its
 * number, from 1), -ENOMEM, or what cb returned.
 */
int conf_parse(const char *text, size_t len, conf_cb cb, void *arg, unsigned int *bad_line);

#endif
