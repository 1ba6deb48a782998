// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Does a VCEK belong to a chip and a TCB?  The one place that compares a
 * decoded VCEK with a product, a chip id and a TCB, by the hwID rule of
 * amdtcb.h.  No OpenSSL calls: it works on struct amd_cert_info.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "amdcert.h"

/* "00010203...3f" for more than 8 bytes, all of them in hex otherwise. */
static void short_hex(const uint8_t *b, size_t n, char *out, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char h[2 * AMD_HWID_MAX + 1];

	if (n > AMD_HWID_MAX)
		n = AMD_HWID_MAX;
	for (size_t i = 0; i < n; i++) {
		h[2 * i] = digits[b[i] >> 4];
		h[2 * i + 1] = digits[b[i] & 15];
	}
	h[2 * n] = '\0';
	if (n > 8)
		snprintf(out, len, "%.8s...%s", h, h + 2 * n - 2);
	else
		snprintf(out, len, "%s", h);
}

/* snprintf into why, which may be NULL (len 0); returns rc. */
static int say(int rc, char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int say(int rc, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len > 0) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int amd_vcek_match(const struct amd_cert_info *key, enum amd_product p, const uint8_t *chip_id,
		   size_t chip_id_len, const struct amd_tcb *tcb, char *why, size_t len)
{
	char have[2 * AMD_HWID_MAX + 8], want[2 * AMD_HWID_MAX + 8];
	size_t n = amd_hwid_len(p);

	if (why && len > 0)
		why[0] = '\0';
	if (!key)
		return -EINVAL;
	if (key->kind != AMD_CERT_VCEK)
		return say(AMD_VCEK_NOT_VCEK, why, len, "it is not a VCEK (CN '%s')",
			   key->common_name);
	if (!key->has_product_name)
		return say(AMD_VCEK_INCOMPLETE, why, len, "it lacks the AMD productName extension");
	if (tcb && !key->has_tcb)
		return say(AMD_VCEK_INCOMPLETE, why, len, "it lacks the AMD TCB extension");
	if (chip_id && !key->has_hwid)
		return say(AMD_VCEK_INCOMPLETE, why, len, "it lacks the AMD hwID extension");
	if (p == AMD_PRODUCT_UNKNOWN || key->product != p)
		return say(AMD_VCEK_PRODUCT, why, len, "it is for product '%s', not %s",
			   key->product_name, amd_product_name(p) ?: "a known product");
	if (chip_id) {
		if (!amd_chip_id_len_valid(p, chip_id_len))
			return say(AMD_VCEK_CHIP, why, len, "%zu bytes are not a %s chip id",
				   chip_id_len, amd_product_name(p));
		if (key->hwid_len != n || memcmp(key->hwid, chip_id, n) != 0) {
			short_hex(key->hwid, key->hwid_len, have, sizeof(have));
			short_hex(chip_id, n, want, sizeof(want));
			return say(AMD_VCEK_CHIP, why, len, "it is for chip %s, not %s", have,
				   want);
		}
	}
	if (tcb && !amd_tcb_equal(p, &key->tcb, tcb)) {
		amd_tcb_format(p, &key->tcb, have, sizeof(have));
		amd_tcb_format(p, tcb, want, sizeof(want));
		return say(AMD_VCEK_TCB, why, len, "it is for TCB %s, not %s", have, want);
	}
	short_hex(key->hwid, key->hwid_len, have, sizeof(have));
	amd_tcb_format(p, &key->tcb, want, sizeof(want));
	if (chip_id && tcb)
		return say(0, why, len, "it is for chip %s and TCB %s", have, want);
	if (chip_id)
		return say(0, why, len, "it is for chip %s", have);
	if (tcb)
		return say(0, why, len, "it is for TCB %s", want);
	return say(0, why, len, "it is a %s VCEK", amd_product_name(p));
}
