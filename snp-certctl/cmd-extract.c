// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * extract: write a table's entries as files, named as certificate
 * directories name them (the inverse of build --from-dir).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>

#include "amdcert.h"
#include "certdir.h"
#include "cmd.h"
#include "json.h"
#include "table.h"
#include "util.h"

enum { OPT_DER = OPT_COMMON_LAST };

static const char usage[] =
	"Usage: snp-certctl extract FILE -d DIR [--der] [--json]\n"
	"\n"
	"Write the entries of a table into DIR (created if missing): ark.pem, ask.pem or\n"
	"asvk.pem, vcek.pem or vlek.pem, crl.der, and <guid>.bin for other entries.\n"
	"The whole table is checked before anything is written.\n"
	"\n"
	"  -d, --directory DIR   where to write\n"
	"      --der             write certificates as DER (.der) instead of PEM\n"
	"      --json            list the files written as JSON\n";

struct out_file {
	char *path;
	uint8_t *data;
	size_t len;
	const char *type;
};

/* PEM text of a DER certificate, malloc'd. */
static int to_pem(X509 *x, uint8_t **out, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *mem;
	long n;
	int ret = -ENOMEM;

	if (bio && PEM_write_bio_X509(bio, x) == 1) {
		n = BIO_get_mem_data(bio, &mem);
		*out = malloc((size_t)n);
		if (*out) {
			memcpy(*out, mem, (size_t)n);
			*len = (size_t)n;
			ret = 0;
		}
	}
	BIO_free(bio);
	return ret;
}

/* Decide every file's name and bytes before writing any. */
static int plan(const char *path, const char *dir, bool der, const uint8_t *blob,
		const struct ghcb_entry *e, size_t n, struct out_file *files)
{
	for (size_t i = 0; i < n; i++) {
		enum ghcb_kind kind = ghcb_guid_kind(e[i].guid);
		const uint8_t *data = blob + e[i].offset;
		struct out_file *f = &files[i];
		char guid[37], name[64];
		X509 *x = NULL;
		struct amd_cert_info info;
		int ret = 0;

		f->type = ghcb_kind_name(kind);
		if (kind == GHCB_KIND_OTHER || kind == GHCB_KIND_CRL) {
			ghcb_guid_format(e[i].guid, guid);
			snprintf(name, sizeof(name), "%s", kind == GHCB_KIND_CRL ? "crl.der" : "");
			if (kind == GHCB_KIND_OTHER)
				snprintf(name, sizeof(name), "%s.bin", guid);
			f->data = malloc(e[i].length);
			if (!f->data)
				return -ENOMEM;
			memcpy(f->data, data, e[i].length);
			f->len = e[i].length;
		} else {
			if (amd_cert_load(data, e[i].length, &x) < 0 || amd_cert_info(x, &info) < 0) {
				X509_free(x);
				err("'%s': entry %zu (%s) is not a valid certificate; nothing written",
				    path, i, f->type);
				return -EBADMSG;
			}
			if (kind == GHCB_KIND_ASK && info.kind == AMD_CERT_ASVK)
				f->type = "asvk";
			snprintf(name, sizeof(name), "%s.%s", f->type, der ? "der" : "pem");
			ret = der ? amd_cert_der(x, &f->data, &f->len) : to_pem(x, &f->data, &f->len);
			X509_free(x);
			if (ret < 0)
				return ret;
		}
		f->path = path_join(dir, name);
		if (!f->path)
			return -ENOMEM;
	}
	return 0;
}

static int cmd_extract_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "directory", required_argument, NULL, 'd' },
		{ "der", no_argument, NULL, OPT_DER },
		{ NULL, 0, NULL, 0 },
	};
	struct out_file *files = NULL;
	struct ghcb_entry *e = NULL;
	uint8_t *blob = NULL;
	size_t size = 0, n = 0;
	const char *dir = NULL;
	bool der = false;
	struct why why;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":d:" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		if (c == 'd')
			dir = optarg;
		else if (c == OPT_DER)
			der = true;
	}
	if (!dir && optind == argc - 1)
		return usage_error(ctx, "no directory: give -d DIR");
	ret = cmd_load_table(ctx, argc, argv, &blob, &size, &e, &n);
	if (ret)
		return ret;
	files = calloc(n ? n : 1, sizeof(*files));
	if (!files) {
		ret = EXIT_FAIL;
		goto out;
	}
	ret = plan(argv[optind], dir, der, blob, e, n, files);
	if (ret < 0) {
		if (ret == -ENOMEM)
			err("out of memory");
		ret = ret == -EBADMSG ? EXIT_VERIFY : EXIT_FAIL;
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		err("cannot create directory '%s': %s", dir, strerror(errno));
		ret = EXIT_FAIL;
		goto out;
	}
	/* Every target checked before the first is written: no partial set when one is refused. */
	for (size_t i = 0; i < n; i++) {
		if (write_target(files[i].path, WRITE_REPLACE, &why) < 0) {
			err("%s; nothing written", why.msg);
			ret = EXIT_FAIL;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		/* Never into a special file, never through a link planted in dir. */
		int r = write_file_atomic(files[i].path, files[i].data, files[i].len, 0644,
					  WRITE_REPLACE, &why);

		if (r < 0) {
			err("%s", why.msg);
			ret = EXIT_FAIL;
			goto out;
		}
	}
	if (ctx->json) {
		struct jout j;

		jout_init(&j, stdout);
		jout_object_begin(&j, NULL);
		jout_table(&j, argv[optind]);
		jout_array_begin(&j, "written");
		for (size_t i = 0; i < n; i++) {
			jout_object_begin(&j, NULL);
			jout_string(&j, "type", files[i].type);
			jout_string(&j, "path", files[i].path);
			jout_uint(&j, "length", files[i].len);
			jout_object_end(&j);
		}
		jout_array_end(&j);
		jout_object_end(&j);
		jout_finish(&j);
	} else if (ctx->verbosity >= 0) {
		for (size_t i = 0; i < n; i++)
			tprintf("wrote %s\n", files[i].path);
	}
	ret = 0;
out:
	for (size_t i = 0; files && i < n; i++) {
		free(files[i].path);
		free(files[i].data);
	}
	free(files);
	free(e);
	free(blob);
	return ret;
}

const struct cmd cmd_extract = { "extract", cmd_extract_main,
				 "write a table's entries as files", usage, .json = true };
