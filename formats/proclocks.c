// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proclocks.h"

/* A whole decimal number: 0 or -EINVAL. */
static int decimal(const char *s, unsigned long long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

int proclock_parse(const char *s, struct proclock *out)
{
	char adv[16], mode[16], endtext[32];
	int used = 0;

	memset(out, 0, sizeof(*out));
	while (isspace((unsigned char)*s))
		s++;
	if (sscanf(s, "%*u: %n", &used) < 0 || used == 0)
		return -EINVAL;
	s += used;
	if (strncmp(s, "->", 2) == 0) {
		out->waiting = true;
		s += 2;
	}
	if (sscanf(s, "%15s %15s %15s %d %x:%x:%llu %llu %31s", out->kind, adv, mode, &out->pid,
		   &out->dev_major, &out->dev_minor, &out->ino, &out->start, endtext) != 9)
		return -EINVAL;
	if (strcmp(mode, "WRITE") != 0 && strcmp(mode, "READ") != 0)
		return -EINVAL;
	out->write = strcmp(mode, "WRITE") == 0;
	if (strcmp(endtext, "EOF") == 0)
		out->end = ULLONG_MAX;
	else if (decimal(endtext, &out->end) < 0 || out->end < out->start)
		return -EINVAL;
	return 0;
}
