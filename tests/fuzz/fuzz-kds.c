// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for what KDS (or a host path) hands the program as text:
 * a cert_chain reply, a hash_sticks reply, a Retry-After value, and
 * certificate-directory names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certdir.h"
#include "kds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t hwid[2] = { 0xab, 0x01 };
	X509 *mid = NULL, *ark = NULL;
	uint8_t guid[GHCB_GUID_LEN], stick[KDS_HASHSTICK_LEN];
	unsigned long secs = 0;
	char *text;

	if (kds_chain_split(data, size, &mid, &ark) == 0 && (!mid || !ark))
		abort();
	X509_free(mid);
	X509_free(ark);
	kds_hashsticks_parse(data, size, hwid, sizeof(hwid), stick);
	text = strndup((const char *)data, size);
	if (!text)
		return 0;
	kds_parse_retry_after(text, 1700000000, &secs);
	if (certdir_classify(text, guid) == CERTDIR_EXTRA && strlen(text) != 40)
		abort();
	free(text);
	return 0;
}
