/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A hashstick: the wrapped VLEK (SNP_VLEK_LOAD's 432 bytes) a cloud
 * provider gets from AMD's KDS.  It is encrypted for the chip, and its
 * inner layout is the firmware's (no public source gives it): what can be
 * checked without the firmware is its size and that it is the binary
 * wrapped key, not something else saved in its place.  One set of checks
 * for vlek-load, verify --hashstick and fetch hashsticks.
 */
#ifndef SNP_CERTCTL_HASHSTICK_H
#define SNP_CERTCTL_HASHSTICK_H

#include <stddef.h>
#include <stdint.h>

#include "amdcert.h"

/* The most read of a hashstick file (one is SNP_VLEK_HASHSTICK_LEN bytes). */
#define HASHSTICK_FILE_MAX (64 * 1024)

/*
 * Read the hashstick file path (not following it into a FIFO or device).
 * 0 with *data (malloc'd) and *len, or an exit status after saying why:
 * EXIT_FAIL (cannot read, not a regular file), EXIT_VERIFY (too large).
 */
int hashstick_read(const char *path, uint8_t **data, size_t *len);

/*
 * The offline checks, one amd_check each, appended to l:
 *   hashstick-size    exactly SNP_VLEK_HASHSTICK_LEN (432) bytes;
 *   hashstick-format  binary: not hex text (the KDS reply's form), not a
 *                     certificate (PEM or DER), not one byte repeated.
 * 0 when all pass, -EBADMSG when one failed, -ENOMEM.
 */
int hashstick_checks(const uint8_t *b, size_t n, struct amd_check_list *l);

/* The same checks, the first failure's detail in reason.  0, -EBADMSG or -ENOMEM. */
int hashstick_check(const uint8_t *b, size_t n, char *reason, size_t rlen);

#endif
