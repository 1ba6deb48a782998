// SPDX-License-Identifier: GPL-2.0-or-later
/* The offline checks of a hashstick.  See hashstick.h. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "hashstick.h"
#include "kds.h"
#include "sev.h"
#include "util.h"

_Static_assert(KDS_HASHSTICK_LEN == SNP_VLEK_HASHSTICK_LEN,
	       "KDS's hashstick is what SNP_VLEK_LOAD takes");

int hashstick_read(const char *path, uint8_t **data, size_t *len)
{
	int r = read_file(path, HASHSTICK_FILE_MAX, data, len);

	if (r == -ERR_REFUSED) {
		err("refusing '%s': not a regular file", path);
		return EXIT_FAIL;
	}
	if (r == -EFBIG) {
		err("cannot read hashstick '%s': larger than %d KiB", path,
		    HASHSTICK_FILE_MAX / 1024);
		return EXIT_VERIFY;
	}
	if (r < 0) {
		err("cannot read hashstick '%s': %s", path, strerror(-r));
		return EXIT_FAIL;
	}
	return 0;
}

static bool all_hex(const uint8_t *b, size_t n)
{
	size_t digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (isxdigit(b[i]))
			digits++;
		else if (!isspace(b[i]))
			return false;
	}
	return digits > 0;
}

/* What the bytes are instead of a wrapped VLEK, or NULL when they may be one. */
static const char *impostor(const uint8_t *b, size_t n, char *buf, size_t len)
{
	X509 *x = NULL;
	size_t same = 0;

	if (n == 0)
		return "it is empty";
	if (all_hex(b, n)) {
		snprintf(buf, len, "it is hex text (%zu bytes), the form KDS sends it in: "
			 "decode it to the binary %d bytes", n, SNP_VLEK_HASHSTICK_LEN);
		return buf;
	}
	if (n >= 11 && memcmp(b, "-----BEGIN ", 11) == 0)
		return "it is a PEM file (a certificate?), not a wrapped VLEK";
	if (amd_cert_load(b, n, &x) == 0) {
		X509_free(x);
		return "it is a certificate (the VLEK itself?), not the wrapped VLEK";
	}
	while (same < n && b[same] == b[0])
		same++;
	if (same == n) {
		snprintf(buf, len, "it is the byte 0x%02x repeated: a placeholder, not a key",
			 b[0]);
		return buf;
	}
	return NULL;
}

int hashstick_checks(const uint8_t *b, size_t n, struct amd_check_list *l)
{
	char buf[160];
	const char *bad = impostor(b, n, buf, sizeof(buf));
	bool size_ok = n == SNP_VLEK_HASHSTICK_LEN;
	int r;

	if (size_ok)
		r = amd_check_add(l, "hashstick-size", true, "%zu bytes, a wrapped VLEK", n);
	else
		r = amd_check_add(l, "hashstick-size", false, "%zu bytes, not the %d of a wrapped "
				  "VLEK", n, SNP_VLEK_HASHSTICK_LEN);
	if (r == 0)
		r = amd_check_add(l, "hashstick-format", !bad, "%s",
				  bad ? bad : "binary, not hex text, a certificate or filler");
	if (r < 0)
		return -ENOMEM;
	return size_ok && !bad ? 0 : -EBADMSG;
}

int hashstick_check(const uint8_t *b, size_t n, char *reason, size_t rlen)
{
	struct amd_check_list l = { 0 };
	int r = hashstick_checks(b, n, &l);

	for (size_t i = 0; r == -EBADMSG && i < l.n; i++) {
		if (!l.v[i].ok) {
			snprintf(reason, rlen, "%s", l.v[i].detail);
			break;
		}
	}
	amd_check_list_free(&l);
	return r;
}
