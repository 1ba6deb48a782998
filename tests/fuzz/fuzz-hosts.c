// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the fleet's hosts file (formats/hostlist.h): any
 * bytes, as text lines or status --json documents; every host handed out
 * has a known product, a chip id of a valid length for it and a TCB whose
 * fmc is 0 off Turin; a failure names a line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(void *arg, unsigned int line, const struct host_key *k)
{
	size_t *n = arg;

	if (line == 0 || k->product == AMD_PRODUCT_UNKNOWN ||
	    !amd_chip_id_len_valid(k->product, k->chip_id_len) ||
	    (k->product != AMD_PRODUCT_TURIN && k->tcb.fmc != 0))
		abort();
	(*n)++;
	/* Stop after a few: the callback's code comes back unchanged. */
	return *n == 8 ? -ECANCELED : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int bad = 0;
	char why[256];
	size_t n = 0;
	int ret = hosts_parse(data, size, check, &n, &bad, why, sizeof(why));

	if (ret != 0 && ret != -EINVAL && ret != -ENOMEM && ret != -ECANCELED)
		abort();
	if (ret == -EINVAL && (bad == 0 || why[0] == '\0' || strlen(why) >= sizeof(why)))
		abort();
	if (ret == -ECANCELED && n != 8)
		abort();
	return 0;
}
