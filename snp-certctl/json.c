// SPDX-License-Identifier: GPL-2.0-or-later
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "json.h"
#include "util.h"

/* A document was finished on stdout (jout_document_written). */
static bool stdout_written;

void jout_init(struct jout *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->has_items[0] = false;
}

/*
 * The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0.
 */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;
	unsigned int lo = 0x80, hi = 0xbf;

	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4;
	else
		return 0;
	if (*p == 0xe0)
		lo = 0xa0;
	else if (*p == 0xed)
		hi = 0x9f;
	else if (*p == 0xf0)
		lo = 0x90;
	else if (*p == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* A JSON string; bytes that are not UTF-8 (a path may hold any) become U+FFFD. */
static void quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80) {
			size_t n = utf8_len(p);

			if (n) {
				fwrite(p, 1, n, f);
				p += n - 1;
			} else {
				fputs("\\ufffd", f);
			}
			continue;
		}
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator, indentation and key for the next value. */
static void member(struct jout *j, const char *key)
{
	if (j->depth > 0) {
		fputs(j->has_items[j->depth] ? ",\n" : "\n", j->f);
		j->has_items[j->depth] = true;
		fprintf(j->f, "%*s", 2 * j->depth, "");
	}
	if (key) {
		quote(j->f, key);
		fputs(": ", j->f);
	}
}

static void open_container(struct jout *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < JOUT_MAX_DEPTH)
		j->depth++;
	j->has_items[j->depth] = false;
}

static void close_container(struct jout *j, char c)
{
	bool had = j->has_items[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(c, j->f);
}

void jout_object_begin(struct jout *j, const char *key)
{
	open_container(j, key, '{');
}

void jout_object_end(struct jout *j)
{
	close_container(j, '}');
}

void jout_array_begin(struct jout *j, const char *key)
{
	open_container(j, key, '[');
}

void jout_array_end(struct jout *j)
{
	close_container(j, ']');
}

void jout_string(struct jout *j, const char *key, const char *value)
{
	member(j, key);
	if (value)
		quote(j->f, value);
	else
		fputs("null", j->f);
}

void jout_int(struct jout *j, const char *key, long long value)
{
	member(j, key);
	fprintf(j->f, "%lld", value);
}

void jout_uint(struct jout *j, const char *key, unsigned long long value)
{
	member(j, key);
	fprintf(j->f, "%llu", value);
}

void jout_bool(struct jout *j, const char *key, bool value)
{
	member(j, key);
	fputs(value ? "true" : "false", j->f);
}

void jout_finish(struct jout *j)
{
	fputc('\n', j->f);
	if (j->f == stdout)
		stdout_written = true;
}

void jout_tcb(struct jout *j, const char *key, enum amd_product p, const struct amd_tcb *tcb,
	      uint64_t raw)
{
	char hex[24];

	jout_object_begin(j, key);
	if (tcb) {
		jout_uint(j, "bl", tcb->bl);
		jout_uint(j, "tee", tcb->tee);
		jout_uint(j, "snp", tcb->snp);
		jout_uint(j, "ucode", tcb->ucode);
		if (p == AMD_PRODUCT_TURIN)
			jout_uint(j, "fmc", tcb->fmc);
	}
	snprintf(hex, sizeof(hex), "0x%016llx", (unsigned long long)raw);
	jout_string(j, "raw", hex);
	jout_object_end(j);
}

void jout_tcb_raw(struct jout *j, const char *key, enum amd_product p, uint64_t raw)
{
	struct amd_tcb tcb;

	if (p != AMD_PRODUCT_UNKNOWN)
		amd_tcb_from_raw(p, raw, &tcb);
	jout_tcb(j, key, p, p == AMD_PRODUCT_UNKNOWN ? NULL : &tcb, raw);
}

void jout_tcb_spec(struct jout *j, const char *key, enum amd_product p, const char *spec)
{
	struct amd_tcb tcb;

	if (!spec || !spec[0] || p == AMD_PRODUCT_UNKNOWN || amd_tcb_parse(spec, p, &tcb) < 0)
		jout_string(j, key, NULL);
	else
		jout_tcb(j, key, p, &tcb, amd_tcb_to_raw(p, &tcb));
}

/* file made absolute (see jout_table), malloc'd, or NULL. */
static char *absolute(const char *file)
{
	char *real = realpath(file, NULL), *copy, *dir, *ret;
	char cwd[PATH_MAX];

	if (real)
		return real;
	copy = strdup(file);
	if (!copy)
		return NULL;
	/* Not there (a table that failed, an output not written): its directory's real path. */
	dir = realpath(dirname(copy), NULL);
	free(copy);
	copy = strdup(file);
	if (dir && copy)
		ret = path_join(dir, basename(copy));
	else if (file[0] == '/')
		ret = strdup(file);
	else
		ret = getcwd(cwd, sizeof(cwd)) ? path_join(cwd, file) : NULL;
	free(dir);
	free(copy);
	return ret;
}

void jout_table(struct jout *j, const char *file)
{
	char *abs = absolute(file);

	jout_string(j, "file", file);
	jout_string(j, "path", abs ? abs : file);
	free(abs);
}

void jout_error(struct jout *j, int status)
{
	const char *msg = error_noted();

	jout_object_begin(j, "error");
	jout_string(j, "message", msg ? msg : exit_name(status));
	jout_int(j, "exit", status);
	jout_object_end(j);
}

bool jout_document_written(void)
{
	return stdout_written;
}

void jout_error_document(int status)
{
	struct jout j;

	if (stdout_written)
		return;
	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	jout_error(&j, status);
	jout_object_end(&j);
	jout_finish(&j);
}
