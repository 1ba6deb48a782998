// SPDX-License-Identifier: LGPL-2.1-or-later
/* A fleet's hosts: status --json documents or "product chip_id tcb" lines.  See hostlist.h. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "hostlist.h"

/* A chip id in hex for product p into k.  0, or -EINVAL with why. */
static int chip_id_parse(const char *hex, size_t n, struct host_key *k, char *why, size_t wlen)
{
	if (n % 2 || n / 2 > sizeof(k->chip_id) || !amd_chip_id_len_valid(k->product, n / 2)) {
		snprintf(why, wlen, "the chip id is %zu hex digits, not %zu%s", n,
			 2 * (size_t)AMD_CHIP_ID_LEN,
			 k->product == AMD_PRODUCT_TURIN ? " (or 16)" : "");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i += 2) {
		int hi = OPENSSL_hexchar2int((unsigned char)hex[i]);
		int lo = OPENSSL_hexchar2int((unsigned char)hex[i + 1]);

		if (hi < 0 || lo < 0) {
			snprintf(why, wlen, "the chip id is not hex");
			return -EINVAL;
		}
		k->chip_id[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	k->chip_id_len = n / 2;
	return 0;
}

static int product_parse(const char *name, struct host_key *k, char *why, size_t wlen)
{
	k->product = amd_product_parse(name);
	if (k->product == AMD_PRODUCT_UNKNOWN) {
		snprintf(why, wlen, "unknown product '%.32s': want Milan, Genoa or Turin", name);
		return -EINVAL;
	}
	return 0;
}

static int tcb_parse(const char *spec, struct host_key *k, char *why, size_t wlen)
{
	if (amd_tcb_parse(spec, k->product, &k->tcb) < 0) {
		snprintf(why, wlen, "invalid TCB '%.64s': want bl=N,tee=N,snp=N,ucode=N%s or 0x...",
			 spec, k->product == AMD_PRODUCT_TURIN ? ",fmc=N" : "");
		return -EINVAL;
	}
	return 0;
}

/* ---- text lines ----------------------------------------------------------- */

/* One line (NUL-terminated, at most HOSTS_LINE_MAX).  1 a host in k, 0 nothing, -EINVAL. */
static int text_line(char *s, struct host_key *k, char *why, size_t wlen)
{
	char *f[4], *save = NULL;
	int n = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	for (char *t = strtok_r(s, " \t\r\v\f", &save); t; t = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (n == 3) {
			n++;
			break;
		}
		f[n++] = t;
	}
	if (n != 3) {
		snprintf(why, wlen, "expected 'product chip_id tcb'");
		return -EINVAL;
	}
	if (product_parse(f[0], k, why, wlen) < 0 ||
	    chip_id_parse(f[1], strlen(f[1]), k, why, wlen) < 0 ||
	    tcb_parse(f[2], k, why, wlen) < 0)
		return -EINVAL;
	return 1;
}

static int text_parse(const char *text, size_t len, host_cb cb, void *arg,
		      unsigned int *bad_line, char *why, size_t wlen)
{
	char buf[HOSTS_LINE_MAX + 1];
	unsigned int line = 0;
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		struct host_key k = { 0 };
		int r;

		line++;
		*bad_line = line;
		if (n > HOSTS_LINE_MAX) {
			snprintf(why, wlen, "line longer than %d bytes", HOSTS_LINE_MAX);
			return -EINVAL;
		}
		if (memchr(text + off, '\0', n)) {
			snprintf(why, wlen, "a NUL byte: not a text file");
			return -EINVAL;
		}
		memcpy(buf, text + off, n);
		buf[n] = '\0';
		off += n + (nl ? 1 : 0);
		r = text_line(buf, &k, why, wlen);
		if (r < 0)
			return r;
		if (r > 0) {
			r = cb(arg, line, &k);
			if (r < 0)
				return r;
		}
	}
	*bad_line = 0;
	return 0;
}

/* ---- status --json documents ----------------------------------------------- */

static const char *get_string(json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* One status document.  0 with k, or -EINVAL with why. */
static int status_doc(json_t *doc, struct host_key *k, char *why, size_t wlen)
{
	json_t *sev, *tcb, *chip;
	const char *product, *raw;

	if (!json_is_object(doc)) {
		snprintf(why, wlen, "not a status --json document (an object)");
		return -EINVAL;
	}
	if (json_object_get(doc, "error")) {
		snprintf(why, wlen, "the error document of a failed status --json, not a status");
		return -EINVAL;
	}
	product = get_string(doc, "product");
	if (!product) {
		snprintf(why, wlen, "no \"product\": not a status --json document of an SNP host");
		return -EINVAL;
	}
	if (product_parse(product, k, why, wlen) < 0)
		return -EINVAL;
	sev = json_object_get(doc, "sev");
	chip = json_is_object(sev) ? json_object_get(sev, "chip_id") : NULL;
	if (!json_is_string(chip)) {
		snprintf(why, wlen, "no \"sev\".\"chip_id\" (no SEV device, or the chip id is "
			 "masked or unreadable)");
		return -EINVAL;
	}
	if (chip_id_parse(json_string_value(chip), json_string_length(chip), k, why, wlen) < 0)
		return -EINVAL;
	tcb = json_is_object(sev) ? json_object_get(sev, "reported_tcb") : NULL;
	raw = get_string(tcb, "raw");
	if (!raw) {
		snprintf(why, wlen, "no \"sev\".\"reported_tcb\".\"raw\"");
		return -EINVAL;
	}
	if (strncmp(raw, "0x", 2) != 0 || strlen(raw) > 18 || tcb_parse(raw, k, why, wlen) < 0) {
		snprintf(why, wlen, "\"sev\".\"reported_tcb\".\"raw\" is '%.32s', not 0x and up to "
			 "16 hex digits", raw);
		return -EINVAL;
	}
	return 0;
}

static unsigned int count_lines(const char *s, size_t n)
{
	unsigned int l = 0;

	for (size_t i = 0; i < n; i++)
		l += s[i] == '\n';
	return l;
}

static int json_parse(const char *text, size_t len, host_cb cb, void *arg,
		      unsigned int *bad_line, char *why, size_t wlen)
{
	unsigned int line = 1;
	size_t off = 0;

	for (;;) {
		struct host_key k = { 0 };
		json_error_t e;
		json_t *doc;
		size_t skip = off;
		int r;

		while (skip < len && isspace((unsigned char)text[skip]))
			skip++;
		line += count_lines(text + off, skip - off);
		off = skip;
		if (off == len)
			break;
		*bad_line = line;
		if (text[off] != '{') {
			snprintf(why, wlen, "expected a status --json document ('{')");
			return -EINVAL;
		}
		doc = json_loadb(text + off, len - off, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES,
				 &e);
		if (!doc) {
			if (e.line > 0)
				*bad_line = line + (unsigned int)e.line - 1;
			snprintf(why, wlen, "not JSON: %s", e.text);
			return strstr(e.text, "out of memory") ? -ENOMEM : -EINVAL;
		}
		r = status_doc(doc, &k, why, wlen);
		json_decref(doc);
		if (r < 0)
			return r;
		if ((size_t)e.position == 0 || (size_t)e.position > len - off) {
			snprintf(why, wlen, "cannot tell where the document ends");
			return -EINVAL;
		}
		r = cb(arg, line, &k);
		if (r < 0)
			return r;
		line += count_lines(text + off, (size_t)e.position);
		off += (size_t)e.position;
	}
	*bad_line = 0;
	return 0;
}

int hosts_parse(const void *data, size_t len, host_cb cb, void *arg, unsigned int *bad_line,
		char *why, size_t wlen)
{
	const char *text = data;
	size_t i = 0;

	*bad_line = 0;
	if (wlen)
		why[0] = '\0';
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (i < len && text[i] == '{')
		return json_parse(text, len, cb, arg, bad_line, why, wlen);
	return text_parse(text, len, cb, arg, bad_line, why, wlen);
}
