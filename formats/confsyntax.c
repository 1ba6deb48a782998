// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The configuration file syntax ("key = value" lines); what the keys mean
 * and which setting wins is snp-certctl/config.c.  See confsyntax.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "confsyntax.h"

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int conf_parse(const char *text, size_t len, conf_cb cb, void *arg, unsigned int *bad_line)
{
	char *copy, *line, *next;
	unsigned int lineno = 0;
	int ret = 0;

	if (memchr(text, '\0', len)) {
		/* Report the line holding the first NUL. */
		const char *nul = memchr(text, '\0', len);

		*bad_line = 1;
		for (const char *p = text; p < nul; p++)
			*bad_line += *p == '\n';
		return -EINVAL;
	}
	copy = strndup(text, len);
	if (!copy)
		return -ENOMEM;
	for (line = copy; ret == 0 && line; line = next) {
		char *s, *eq, *key, *value;
		size_t vlen;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq || eq == s) {
			*bad_line = lineno;
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		vlen = strlen(value);
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value[vlen - 1] = '\0';
			value++;
		}
		ret = cb(arg, lineno, key, value);
	}
	free(copy);
	return ret;
}
