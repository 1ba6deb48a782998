// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the configuration syntax: any bytes; every key and
 * value handed out is NUL-terminated, trimmed and inside the input's size.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confsyntax.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(void *arg, unsigned int line, const char *key, const char *value)
{
	size_t size = *(size_t *)arg, k = strlen(key), v = strlen(value);

	if (line == 0 || k == 0 || k > size || v > size || isspace((unsigned char)key[0]) ||
	    isspace((unsigned char)key[k - 1]) || strchr(key, '\n') || strchr(value, '\n'))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int bad = 0;
	int ret = conf_parse((const char *)data, size, check, &size, &bad);

	if (ret != 0 && ret != -EINVAL && ret != -ENOMEM)
		abort();
	if (ret == -EINVAL && bad == 0)
		abort();
	return 0;
}
