/* SPDX-License-Identifier: GPL-2.0-or-later */
/* show --url: the KDS URLs of this host's keys (snphost's show vcek-url). */
#ifndef SNP_CERTCTL_SHOW_URL_H
#define SNP_CERTCTL_SHOW_URL_H

#include "cmd.h"

/*
 * Print, for this platform (product, chip id, reported TCB from the SEV
 * device), the KDS URLs of its VCEK, of the VCEK and VLEK CA chains and
 * CRLs, and of its provider's VLEK (the CSP endpoint), under the settings
 * kds_url and kds_csp_url; text or, with --json, one document.  0, or an
 * exit status after saying why (5: no device, or Venice, for which AMD has
 * published no KDS endpoint).
 */
int show_urls(struct ctx *ctx);

#endif
