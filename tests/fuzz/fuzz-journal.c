// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the recovery journal reader (lib/journal.c): a
 * journal left by a crash is untrusted input.  Whatever it holds, reading
 * must not go out of bounds, and a journal it accepts has a payload of the
 * recorded length (the writer only replays payloads that are valid tables).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "snpcert-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct sc_journal_id id;
	uint8_t *table = NULL;
	size_t len = 0;

	if (fd < 0)
		fd = memfd_create("journal", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (sc_journal_read(fd, &id, &table, &len) == 0 && len + SC_JOURNAL_HEADER_SIZE != size)
		abort();
	free(table);
	return 0;
}
