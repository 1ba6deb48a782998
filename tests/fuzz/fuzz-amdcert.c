// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for formats/amdcert.c: amd_cert_load + amd_cert_info on
 * the input as a certificate (PEM or DER), amd_tcb_parse on it as a string
 * for every product, and amd_crl_load, amd_crl_verify and amd_crl_revokes
 * on it as a CRL (what amd_crl_load makes of it must load as itself).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "amdcert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static X509 *ark;
	struct amd_cert_info info;
	struct amd_tcb tcb, again;
	uint8_t *crl = NULL, *again_der = NULL;
	size_t crl_len = 0, again_len = 0;
	char buf[64];
	X509 *x = NULL;
	char *s;
	int p;

	if (!ark) {
		size_t len = 0;
		const uint8_t *der = amd_builtin_cert(AMD_PRODUCT_MILAN, AMD_CERT_ARK, &len);

		if (!der || amd_cert_load(der, len, &ark) < 0)
			abort();
	}
	if (amd_cert_load(data, size, &x) == 0) {
		if (amd_cert_info(x, &info) == 0) {
			amd_tcb_format(info.product, &info.tcb, buf, sizeof(buf));
			if (info.hwid_len > AMD_HWID_MAX || strlen(info.subject) >= sizeof(info.subject))
				abort();
		}
		X509_free(x);
	}
	amd_crl_verify(data, size, ark);
	amd_crl_revokes(data, size, ark);
	if (amd_crl_load(data, size, &crl, &crl_len) == 0) {
		if (amd_crl_load(crl, crl_len, &again_der, &again_len) != 0 ||
		    again_len != crl_len || memcmp(again_der, crl, crl_len) != 0)
			abort();
		free(again_der);
		free(crl);
	}

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (p = 0; p < AMD_PRODUCT_COUNT; p++) {
		if (amd_tcb_parse(s, (enum amd_product)p, &tcb) == 0) {
			/* A spec that parses formats back to the same TCB. */
			amd_tcb_format((enum amd_product)p, &tcb, buf, sizeof(buf));
			if (p != AMD_PRODUCT_UNKNOWN &&
			    (amd_tcb_parse(buf, (enum amd_product)p, &again) != 0 ||
			     !amd_tcb_equal((enum amd_product)p, &tcb, &again)))
				abort();
		}
	}
	free(s);
	return 0;
}
