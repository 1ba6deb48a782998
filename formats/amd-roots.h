/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The built-in AMD roots, generated at build time by gen-amd-roots.sh. */
#ifndef SNPCERT_FORMATS_AMD_ROOTS_H
#define SNPCERT_FORMATS_AMD_ROOTS_H

#include <stddef.h>

struct amd_root {
	const char *product; /* "milan", "genoa", "turin" */
	const char *kind;    /* "ark", "ask", "asvk" */
	const unsigned char *der;
	size_t len;
};

extern const struct amd_root amd_roots[];
extern const unsigned int amd_roots_count;

#endif
