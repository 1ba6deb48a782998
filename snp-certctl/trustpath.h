// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ownership rule for a path, not only for a file: every directory
 * above something that decides what is trusted (the configuration, a trust
 * root, the hooks directory) must pass it too, or whoever can write one of
 * them can swap what lies below.
 */
#ifndef SNP_CERTCTL_TRUSTPATH_H
#define SNP_CERTCTL_TRUSTPATH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Walk path from "/" (a relative path from the working directory's) one
 * component at a time with O_NOFOLLOW, each directory above the last
 * component checked as it is entered: sc_trust_check, except that a sticky
 * directory (/tmp) may be writable by group or others, who cannot move or
 * replace entries they do not own.  A symbolic link above the last
 * component is followed (the directory holding it was checked, so only a
 * trusted user can re-point it) and its target walked the same way; so is
 * a symbolic link as the last component when follow_last.
 *
 * Returns the O_PATH descriptor of the directory that holds the last
 * component, checked, with that component in name ("." for "/"); the
 * caller opens it with openat(O_NOFOLLOW) and checks it.  -ENOENT when a
 * component above does not exist, -EPERM with the phrase "'DIR' above it
 * is writable by group or others" in bad (badlen bytes), or -errno.
 */
int trust_path_walk(const char *path, bool follow_last, char name[NAME_MAX + 1], char *bad,
		    size_t badlen);

#endif
