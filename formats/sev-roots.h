/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The built-in legacy SEV roots, generated at build time by gen-sev-roots.sh. */
#ifndef SNPCERT_FORMATS_SEV_ROOTS_H
#define SNPCERT_FORMATS_SEV_ROOTS_H

#include <stddef.h>

struct sev_root {
	const char *gen;  /* "naples", "rome", ... */
	const char *kind; /* "ark", "ask" */
	const unsigned char *data;
	size_t len;
};

extern const struct sev_root sev_roots[];
extern const unsigned int sev_roots_count;

#endif
