// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The table model: entries in order, each owning its bytes (from a blob,
 * set, removed, found, encoded), its endorsement key, and the program's
 * ends of checking, encoding and reporting one.  See table.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "cmd.h"
#include "json.h"
#include "table.h"
#include "util.h"

/* Append a copy of data under guid. */
static int append(struct table *t, const uint8_t guid[GHCB_GUID_LEN], const uint8_t *data,
		  size_t len)
{
	struct ghcb_item *items;
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return -ENOMEM;
	items = realloc(t->items, (t->n + 1) * sizeof(*items));
	if (!items) {
		free(copy);
		return -ENOMEM;
	}
	memcpy(copy, data, len);
	t->items = items;
	memcpy(items[t->n].guid, guid, GHCB_GUID_LEN);
	items[t->n].data = copy;
	items[t->n].len = len;
	t->n++;
	return 0;
}

int table_from_blob(const uint8_t *buf, size_t len, unsigned int flags, struct table *t,
		    struct ghcb_diag *diag)
{
	struct ghcb_entry *e = NULL;
	size_t n = 0;
	int ret;

	*t = (struct table){ 0 };
	ret = ghcb_parse(buf, len, flags, &e, &n, diag);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = append(t, e[i].guid, buf + e[i].offset, e[i].length);
	free(e);
	if (ret < 0)
		table_free(t);
	return ret;
}

int table_set(struct table *t, const uint8_t guid[GHCB_GUID_LEN], const uint8_t *data,
	      size_t len)
{
	for (size_t i = 0; i < t->n; i++) {
		if (memcmp(t->items[i].guid, guid, GHCB_GUID_LEN) == 0) {
			uint8_t *copy = malloc(len ? len : 1);

			if (!copy)
				return -ENOMEM;
			memcpy(copy, data, len);
			free((void *)t->items[i].data);
			t->items[i].data = copy;
			t->items[i].len = len;
			return 0;
		}
	}
	return append(t, guid, data, len);
}

int table_remove(struct table *t, const uint8_t guid[GHCB_GUID_LEN])
{
	size_t kept = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (memcmp(t->items[i].guid, guid, GHCB_GUID_LEN) == 0)
			free((void *)t->items[i].data);
		else
			t->items[kept++] = t->items[i];
	}
	if (kept == t->n)
		return -ENOENT;
	t->n = kept;
	return 0;
}

const struct ghcb_item *table_find(const struct table *t, enum ghcb_kind kind)
{
	for (size_t i = 0; i < t->n; i++)
		if (ghcb_guid_kind(t->items[i].guid) == kind)
			return &t->items[i];
	return NULL;
}

int table_encode(const struct table *t, uint8_t **out, size_t *len, struct ghcb_diag *diag)
{
	return ghcb_encode(t->items, t->n, 0, out, len, diag);
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free((void *)t->items[i].data);
	free(t->items);
	*t = (struct table){ 0 };
}

int table_verify(const struct table *t, const struct verify_opts *o, struct amd_check_list *out)
{
	const struct amd_table_opts fo = {
		.trust = o->trust,
		.at = o->at,
		.tcb_spec = o->tcb_spec,
		.hwid = o->hwid,
		.hwid_len = o->hwid_len,
		.skip_chain = o->skip_chain,
		.platform_product = o->platform_product,
	};

	return amd_table_verify(t->items, t->n, &fo, out);
}

int table_endorsement_key(const struct table *t, struct amd_cert_info *info)
{
	const struct ghcb_item *it = table_find(t, GHCB_KIND_VCEK);
	X509 *x = NULL;
	int ret;

	if (!it)
		it = table_find(t, GHCB_KIND_VLEK);
	if (!it)
		return -ENOENT;
	ret = amd_cert_load(it->data, it->len, &x);
	if (ret == 0)
		ret = amd_cert_info(x, info);
	X509_free(x);
	return ret;
}

/* ---- writing and reporting ------------------------------------------- */

int table_encode_report(const struct table *t, uint8_t **out, size_t *len)
{
	struct ghcb_diag diag;
	size_t total = GHCB_ENTRY_SIZE * (t->n + 1);

	if (table_encode(t, out, len, &diag) == 0)
		return 0;
	for (size_t i = 0; i < t->n; i++)
		total += t->items[i].len;
	if (diag.code == GHCB_ERR_TOO_LARGE)
		err("the table would be %zu bytes, over the %u KiB Linux guests accept", total,
		    GHCB_MAX_SIZE / 1024);
	else
		err("cannot lay out the table: %s", ghcb_strerror(diag.code));
	return diag.code == GHCB_ERR_NOMEM ? EXIT_FAIL : EXIT_VERIFY;
}

int table_verify_report(const struct table *t, const struct amd_trust *trust, const char *path)
{
	struct verify_opts vo = { .at = time(NULL), .trust = trust };
	struct amd_check_list checks = { 0 };
	int ret;

	ret = table_verify(t, &vo, &checks);
	if (ret == -ENOMEM) {
		err("out of memory");
		ret = EXIT_FAIL;
	} else if (ret < 0) {
		for (size_t i = 0; i < checks.n; i++)
			if (!checks.v[i].ok)
				err("%s: %s", checks.v[i].name, checks.v[i].detail);
		err("not writing '%s': the chain does not verify (--no-verify skips this)", path);
		ret = EXIT_VERIFY;
	}
	amd_check_list_free(&checks);
	return ret;
}

void table_report(const struct ctx *ctx, const char *path, const char *action, size_t n,
		  size_t size)
{
	struct jout j;

	if (ctx->json) {
		jout_init(&j, stdout);
		jout_object_begin(&j, NULL);
		jout_table(&j, path);
		jout_string(&j, "action", action);
		jout_uint(&j, "entries", n);
		jout_uint(&j, "size", size);
		jout_object_end(&j);
		jout_finish(&j);
	} else if (ctx->verbosity >= 0) {
		tprintf("%s %s: %zu entries, %zu bytes\n", action, path, n, size);
	}
}
