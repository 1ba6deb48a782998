// SPDX-License-Identifier: LGPL-2.1-or-later
/* libFuzzer harness for the /proc lock-line parser: any line. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proclocks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = strndup((const char *)data, size);
	struct proclock l;

	if (!line)
		return 0;
	if (proclock_parse(line, &l) == 0 &&
	    (l.end < l.start || strnlen(l.kind, sizeof(l.kind)) == sizeof(l.kind)))
		abort();
	free(line);
	return 0;
}
