// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for formats/sevcert.c and sevchain.c: the input as a
 * SEV certificate, an AMD CA certificate, AMD's ASK-then-ARK file and a
 * report; then as a whole platform chain (PEK | OCA | CEK | PDH | report,
 * the layout of PDH_CERT_EXPORT plus the rest) verified against the pinned
 * roots, and its first certificate put in the place of each link of AMD's
 * real Rome chain.  Whatever parses must describe bytes inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sevcert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void within(const void *p, size_t n, const uint8_t *data, size_t size)
{
	if (p && ((const uint8_t *)p < data || (const uint8_t *)p + n > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct amd_check_list l = { 0 };
	struct sev_verify_opts o = { .gen = SEV_GEN_UNKNOWN };
	struct sev_ca_cert ca, ark;
	struct sev_report r;
	struct sev_cert c;
	struct sev_diag d;
	size_t used = 0;
	char why[160];

	if (sev_cert_parse(data, size, &c, &d) == 0) {
		within(c.qx, c.rsa ? 0 : SEV_EC_COORD_LEN, data, size);
		within(c.sig[1].sig, SEV_SIG_LEN, data, size);
	} else if (d.offset > size || !sev_strerror(d.code)) {
		abort();
	}
	if (sev_ca_parse(data, size, false, &ca, &used, &d) == 0) {
		if (used > size || ca.len != used)
			abort();
		within(ca.modulus, ca.modulus_bits / 8, data, size);
	}
	sev_ca_split(data, size, &ca, &ark, &d);
	if (sev_report_parse(data, size, &r, &d) == 0)
		within(r.s, SEV_EC_COORD_LEN, data, size);
	if (size >= 4 * SEV_CERT_LEN + SEV_REPORT_LEN) {
		struct sev_chain ch = {
			.pek = data, .oca = data + SEV_CERT_LEN, .cek = data + 2 * SEV_CERT_LEN,
			.pdh = data + 3 * SEV_CERT_LEN, .report = data + 4 * SEV_CERT_LEN,
		};
		sev_chain_verify(&ch, &o, &l, NULL);
		amd_check_list_free(&l);
		sev_report_verify(ch.pek, ch.report, data, why, sizeof(why));
	}
	return 0;
}
