// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>

#include "certdir.h"

static const char *const stems[CERTDIR_KIND_COUNT] = {
	[CERTDIR_ARK] = "ark", [CERTDIR_ASK] = "ask",   [CERTDIR_ASVK] = "asvk",
	[CERTDIR_VCEK] = "vcek", [CERTDIR_VLEK] = "vlek", [CERTDIR_CRL] = "crl",
};

const char *certdir_stem(enum certdir_kind kind)
{
	return kind > CERTDIR_NONE && kind < CERTDIR_KIND_COUNT ? stems[kind] : NULL;
}

enum certdir_kind certdir_classify(const char *name, uint8_t guid[GHCB_GUID_LEN])
{
	const char *dot = strchr(name, '.');
	size_t stem_len = dot ? (size_t)(dot - name) : strlen(name);
	size_t len = strlen(name);

	if (!dot || dot[1] == '\0' || name[0] == '.')
		return CERTDIR_NONE;
	/* "<guid>.bin": 36 characters of GUID. */
	if (stem_len == 36 && strcmp(dot, ".bin") == 0) {
		char text[37];

		memcpy(text, name, 36);
		text[36] = '\0';
		return ghcb_guid_parse(text, guid) == 0 ? CERTDIR_EXTRA : CERTDIR_NONE;
	}
	if (len > 4 && strcmp(name + len - 4, ".crl") == 0)
		return CERTDIR_CRL;
	for (int k = CERTDIR_ARK; k <= CERTDIR_CRL; k++) {
		if (strlen(stems[k]) == stem_len && strncmp(name, stems[k], stem_len) == 0 &&
		    strchr(dot + 1, '.') == NULL)
			return k == CERTDIR_CRL && strcmp(dot, ".der") != 0 ? CERTDIR_NONE : k;
	}
	return CERTDIR_NONE;
}
