/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Certificates and trust roots read from files named on the command line. */
#ifndef SNP_CERTCTL_CERTS_H
#define SNP_CERTCTL_CERTS_H

#include <stddef.h>
#include <stdint.h>

#include "amdcert.h"
#include "cmd.h"

/* Largest certificate or CRL file accepted. */
#define CERT_FILE_MAX (64 * 1024)

struct cert_input {
	const char *path;
	X509 *x509;
	uint8_t *der;
	size_t der_len;
	struct amd_cert_info info;
};

/*
 * Read a PEM or DER certificate.  what names it in messages ("VCEK").
 * Returns 0 or an exit status after printing why.
 */
int cert_input_load(const char *path, const char *what, struct cert_input *c);
/* The same from built-in roots for product p. */
int cert_input_builtin(enum amd_product p, enum amd_cert_kind k, struct cert_input *c);
void cert_input_clear(struct cert_input *c);

/*
 * The trust roots: built-in ARKs, the configured trust_root and the PEM
 * files given with --trust-root (ctx->trust_roots).  0 or an exit status
 * after printing why.
 */
int trust_load(const struct ctx *ctx, struct amd_trust **out);

/* Print check lines (text) to stdout: "PASS name: detail" / "FAIL ...". */
void checks_print(const struct amd_check_list *l, int verbosity);

struct jout;
/* The checks as the JSON array "checks" of {"name", "ok", "detail"} objects. */
void checks_json(struct jout *j, const struct amd_check_list *l);

#endif
