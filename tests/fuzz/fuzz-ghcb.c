// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the GHCB table parser.  Any input: the parser must
 * not read out of bounds (ASan) and must agree with itself; a table it
 * accepts re-encodes into a table it accepts again, entry for entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ghcb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ghcb_entry *e = NULL, *e2 = NULL;
	struct ghcb_item *items = NULL;
	struct ghcb_diag d;
	uint8_t *out = NULL;
	size_t n = 0, n2 = 0, out_len = 0;
	int ret;

	ret = ghcb_parse(data, size, GHCB_ALLOW_LARGE, &e, &n, &d);
	if (ret != ghcb_validate(data, size, GHCB_ALLOW_LARGE, NULL))
		abort();
	if (ret < 0) {
		if (d.code == GHCB_OK || d.offset > size + GHCB_PARSE_LIMIT)
			abort();
		goto out;
	}
	items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((size_t)e[i].offset + e[i].length > size)
			abort();
		memcpy(items[i].guid, e[i].guid, GHCB_GUID_LEN);
		items[i].data = data + e[i].offset;
		items[i].len = e[i].length;
	}
	if (ghcb_encode(items, n, GHCB_ALLOW_LARGE, &out, &out_len, NULL) < 0)
		goto out;
	if (ghcb_parse(out, out_len, GHCB_ALLOW_LARGE, &e2, &n2, NULL) < 0 || n2 != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (memcmp(e2[i].guid, e[i].guid, GHCB_GUID_LEN) != 0 ||
		    e2[i].length != e[i].length ||
		    memcmp(out + e2[i].offset, data + e[i].offset, e[i].length) != 0)
			abort();
out:
	free(e);
	free(e2);
	free(items);
	free(out);
	return 0;
}
