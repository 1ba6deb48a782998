// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * formats/kds.c: known-answer KDS request paths and cache names for every
 * product, chip id handling, the cert_chain reply (built from the built-in
 * AMD roots), malformed replies, and Retry-After values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "kds.h"
#include "tap.h"

static struct kds_vcek_id milan_id(void)
{
	struct kds_vcek_id id = { .product = AMD_PRODUCT_MILAN, .hwid_len = 64,
				  .tcb = { .bl = 3, .tee = 0, .snp = 8, .ucode = 115 } };

	for (int i = 0; i < 64; i++)
		id.hwid[i] = (uint8_t)i;
	return id;
}

static void test_paths(void)
{
	struct kds_vcek_id id = milan_id();
	char buf[KDS_PATH_MAX], small[40];

	CHECK_EQ(kds_vcek_path(&id, buf, sizeof(buf)), 0, "Milan VCEK path");
	CHECK_STR(buf, "/vcek/v1/Milan/"
		       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		       "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
		       "?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115",
		  "Milan VCEK path: 128 lowercase hex digits, four SPLs");

	id.product = AMD_PRODUCT_GENOA;
	id.tcb = (struct amd_tcb){ .bl = 7, .tee = 2, .snp = 14, .ucode = 72 };
	memset(id.hwid, 0xAB, 64);
	CHECK_EQ(kds_vcek_path(&id, buf, sizeof(buf)), 0, "Genoa VCEK path");
	CHECK(strncmp(buf, "/vcek/v1/Genoa/abababab", 23) == 0 &&
		      strstr(buf, "?blSPL=7&teeSPL=2&snpSPL=14&ucodeSPL=72") &&
		      strlen(buf) == strlen("/vcek/v1/Genoa/") + 128 +
					     strlen("?blSPL=7&teeSPL=2&snpSPL=14&ucodeSPL=72"),
	      "Genoa VCEK path: lowercase hex, SPLs");

	/* Turin: the first 8 bytes of a 64-byte GET_ID2 chip id, fmcSPL first. */
	id.product = AMD_PRODUCT_TURIN;
	for (int i = 0; i < 64; i++)
		id.hwid[i] = (uint8_t)(0x01 + 0x22 * i);
	id.hwid_len = 64;
	id.tcb = (struct amd_tcb){ .fmc = 1, .bl = 4, .tee = 3, .snp = 22, .ucode = 71 };
	CHECK_EQ(kds_vcek_path(&id, buf, sizeof(buf)), 0, "Turin VCEK path from 64 bytes");
	CHECK_STR(buf, "/vcek/v1/Turin/0123456789abcdef?fmcSPL=1&blSPL=4&teeSPL=3&snpSPL=22"
		       "&ucodeSPL=71",
		  "Turin VCEK path: 8-byte hwid, fmcSPL first");
	id.hwid_len = 8;
	CHECK_EQ(kds_vcek_path(&id, buf, sizeof(buf)), 0, "Turin VCEK path from 8 bytes");
	CHECK(strstr(buf, "/Turin/0123456789abcdef?"), "Turin: the same with an 8-byte chip id");

	CHECK_EQ(kds_chain_path(AMD_PRODUCT_MILAN, KDS_FAMILY_VCEK, buf, sizeof(buf)), 0,
		 "chain path");
	CHECK_STR(buf, "/vcek/v1/Milan/cert_chain", "Milan VCEK cert_chain path");
	CHECK_EQ(kds_chain_path(AMD_PRODUCT_TURIN, KDS_FAMILY_VLEK, buf, sizeof(buf)), 0,
		 "VLEK chain path");
	CHECK_STR(buf, "/vlek/v1/Turin/cert_chain", "Turin VLEK cert_chain path");
	CHECK_EQ(kds_crl_path(AMD_PRODUCT_GENOA, KDS_FAMILY_VCEK, buf, sizeof(buf)), 0,
		 "CRL path");
	CHECK_STR(buf, "/vcek/v1/Genoa/crl", "Genoa VCEK CRL path");
	CHECK_EQ(kds_crl_path(AMD_PRODUCT_MILAN, KDS_FAMILY_VLEK, buf, sizeof(buf)), 0,
		 "VLEK CRL path");
	CHECK_STR(buf, "/vlek/v1/Milan/crl", "Milan VLEK CRL path");

	/* Errors. */
	CHECK_EQ(kds_chain_path(AMD_PRODUCT_UNKNOWN, KDS_FAMILY_VCEK, buf, sizeof(buf)), -EINVAL,
		 "chain path: unknown product");
	CHECK_EQ(kds_crl_path(AMD_PRODUCT_MILAN, (enum kds_family)7, buf, sizeof(buf)), -EINVAL,
		 "CRL path: unknown family");
	id = milan_id();
	CHECK_EQ(kds_vcek_path(&id, small, sizeof(small)), -ENOSPC, "VCEK path: buffer too small");
	CHECK_STR(small, "", "VCEK path: an empty string when it does not fit");
	id.hwid_len = 8;
	CHECK_EQ(kds_vcek_path(&id, buf, sizeof(buf)), -EINVAL,
		 "Milan: an 8-byte chip id is wrong");
	id = milan_id();
	id.tcb.fmc = 1;
	CHECK_EQ(kds_vcek_path(&id, buf, sizeof(buf)), -EINVAL, "Milan: no fmc SPL");
	id = milan_id();
	id.product = AMD_PRODUCT_UNKNOWN;
	CHECK_EQ(kds_vcek_path(&id, buf, sizeof(buf)), -EINVAL, "unknown product");
	CHECK_EQ(kds_vcek_path(NULL, buf, sizeof(buf)), -EINVAL, "NULL id");
	id = milan_id();
	id.product = AMD_PRODUCT_TURIN;
	id.hwid_len = 4;
	CHECK_EQ(kds_vcek_path(&id, buf, sizeof(buf)), -EINVAL, "Turin: 4 bytes are too few");
	id.hwid_len = 16;
	CHECK_EQ(kds_vcek_path(&id, buf, sizeof(buf)), -EINVAL,
		 "Turin: 16 bytes are neither the chip id nor its first 8");
	id = milan_id();
	id.hwid_len = 65;
	CHECK_EQ(kds_vcek_path(&id, buf, sizeof(buf)), -EINVAL, "Milan: 65 bytes are too many");
	id = milan_id();
	CHECK_EQ(kds_vcek_id_normalize(&id), 0, "normalize a Milan id");
	CHECK_EQ(id.hwid_len, 64, "Milan keeps 64 bytes");
	id.product = AMD_PRODUCT_TURIN;
	CHECK_EQ(kds_vcek_id_normalize(&id), 0, "normalize a Turin id of 64 bytes");
	CHECK(id.hwid_len == 8 && id.hwid[7] == 7 && id.hwid[8] == 0 && id.hwid[63] == 0,
	      "Turin keeps the first 8 bytes and zeroes the rest");
}

static void test_names(void)
{
	struct kds_vcek_id id = milan_id(), other;
	char buf[KDS_PATH_MAX], buf2[KDS_PATH_MAX];

	CHECK_EQ(kds_vcek_name(&id, buf, sizeof(buf)), 0, "Milan VCEK cache name");
	CHECK_STR(buf, "vcek/Milan/"
		       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		       "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
		       "/7308000000000003.der",
		  "Milan VCEK cache name: product, hwid, TCB_VERSION");

	/* Every field of the TCB and the chip id is part of the key. */
	other = id;
	other.tcb.ucode = 116;
	CHECK(kds_vcek_name(&other, buf2, sizeof(buf2)) == 0 && strcmp(buf, buf2) != 0,
	      "another ucode SPL is another entry");
	other = id;
	other.tcb.tee = 1;
	CHECK(kds_vcek_name(&other, buf2, sizeof(buf2)) == 0 && strcmp(buf, buf2) != 0,
	      "another tee SPL is another entry");
	other = id;
	other.hwid[63] ^= 1;
	CHECK(kds_vcek_name(&other, buf2, sizeof(buf2)) == 0 && strcmp(buf, buf2) != 0,
	      "another chip is another entry");
	other = id;
	other.product = AMD_PRODUCT_GENOA;
	CHECK(kds_vcek_name(&other, buf2, sizeof(buf2)) == 0 && strcmp(buf, buf2) != 0,
	      "another product is another entry");

	id.product = AMD_PRODUCT_TURIN;
	id.tcb = (struct amd_tcb){ .fmc = 1, .bl = 4, .tee = 3, .snp = 22, .ucode = 71 };
	CHECK_EQ(kds_vcek_name(&id, buf, sizeof(buf)), 0, "Turin VCEK cache name");
	CHECK_STR(buf, "vcek/Turin/0001020304050607/4700000016030401.der",
		  "Turin VCEK cache name: 8-byte hwid, Turin TCB layout");
	other = id;
	other.tcb.fmc = 2;
	CHECK(kds_vcek_name(&other, buf2, sizeof(buf2)) == 0 && strcmp(buf, buf2) != 0,
	      "Turin: another fmc SPL is another entry");

	CHECK_EQ(kds_chain_name(AMD_PRODUCT_GENOA, KDS_FAMILY_VCEK, buf, sizeof(buf)), 0,
		 "chain cache name");
	CHECK_STR(buf, "vcek/Genoa/cert_chain.pem", "Genoa VCEK chain cache name");
	CHECK_EQ(kds_chain_name(AMD_PRODUCT_MILAN, KDS_FAMILY_VLEK, buf, sizeof(buf)), 0,
		 "VLEK chain cache name");
	CHECK_STR(buf, "vlek/Milan/cert_chain.pem", "Milan VLEK chain cache name");
	CHECK_EQ(kds_crl_name(AMD_PRODUCT_TURIN, KDS_FAMILY_VCEK, buf, sizeof(buf)), 0,
		 "CRL cache name");
	CHECK_STR(buf, "vcek/Turin/crl.der", "Turin CRL cache name");
	CHECK_EQ(kds_crl_name(AMD_PRODUCT_UNKNOWN, KDS_FAMILY_VCEK, buf, sizeof(buf)), -EINVAL,
		 "CRL cache name: unknown product");
}

static void test_describe(void)
{
	struct kds_vcek_id id = { .product = AMD_PRODUCT_MILAN, .hwid_len = 64,
				  .tcb = { .bl = 2, .tee = 0, .snp = 5, .ucode = 68 } };
	char buf[256];

	id.hwid[0] = 0x3a, id.hwid[1] = 0xc3, id.hwid[2] = 0xfe, id.hwid[3] = 0x21;
	id.hwid[63] = 0x5d;
	kds_vcek_describe(&id, buf, sizeof(buf));
	CHECK_STR(buf, "Milan VCEK hwid 3ac3fe21...5d TCB bl=2,tee=0,snp=5,ucode=68",
		  "description of a Milan request");
	id.product = AMD_PRODUCT_TURIN;
	id.tcb.fmc = 9;
	kds_vcek_describe(&id, buf, sizeof(buf));
	CHECK_STR(buf, "Turin VCEK hwid 3ac3fe2100000000 TCB bl=2,tee=0,snp=5,ucode=68,fmc=9",
		  "description of a Turin request: the whole 8-byte chip id");
}

/* PEM of the built-in cert of product p, kind k, appended to bio. */
static int append_builtin(BIO *bio, enum amd_product p, enum amd_cert_kind k)
{
	size_t len = 0;
	const uint8_t *der = amd_builtin_cert(p, k, &len);
	X509 *x = NULL;
	int ok;

	if (!der || amd_cert_load(der, len, &x) < 0)
		return -1;
	ok = PEM_write_bio_X509(bio, x);
	X509_free(x);
	return ok ? 0 : -1;
}

static char *chain_pem(enum amd_product p, enum amd_cert_kind mid, size_t *len, const char *pre,
		       const char *post, int extra_ark)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *copy = NULL;
	long n;

	if (!bio)
		return NULL;
	BIO_puts(bio, pre);
	if (append_builtin(bio, p, mid) < 0 || append_builtin(bio, p, AMD_CERT_ARK) < 0 ||
	    (extra_ark && append_builtin(bio, p, AMD_CERT_ARK) < 0))
		goto out;
	BIO_puts(bio, post);
	n = BIO_get_mem_data(bio, &data);
	copy = malloc((size_t)n + 1);
	if (copy) {
		memcpy(copy, data, (size_t)n);
		copy[n] = '\0';
		*len = (size_t)n;
	}
out:
	BIO_free(bio);
	return copy;
}

static void test_chain_split(void)
{
	struct amd_cert_info mi, ai;
	X509 *mid = NULL, *ark = NULL;
	size_t len = 0;
	char *pem;

	pem = chain_pem(AMD_PRODUCT_MILAN, AMD_CERT_ASK, &len, "", "\n", 0);
	CHECK(pem != NULL, "built-in Milan ASK + ARK as PEM");
	CHECK_EQ(kds_chain_split(pem, len, &mid, &ark), 0, "split a Milan cert_chain");
	CHECK(mid && ark && amd_cert_info(mid, &mi) == 0 && amd_cert_info(ark, &ai) == 0 &&
		      mi.kind == AMD_CERT_ASK && ai.kind == AMD_CERT_ARK &&
		      mi.product == AMD_PRODUCT_MILAN,
	      "the ASK comes first, then the ARK");
	CHECK(mid && ark && amd_cert_check_signature(mid, ark, NULL, 0) == 0,
	      "the ASK of the chain is signed by its ARK");
	X509_free(mid);
	X509_free(ark);
	mid = ark = NULL;

	/* Truncated: only the first certificate left whole. */
	CHECK_EQ(kds_chain_split(pem, len / 2, &mid, &ark), -EBADMSG, "truncated chain");
	CHECK(mid == NULL && ark == NULL, "nothing returned on failure");
	CHECK_EQ(kds_chain_split(pem, 0, &mid, &ark), -EBADMSG, "empty reply");
	CHECK_EQ(kds_chain_split("<html>rate limited</html>", 25, &mid, &ark), -EBADMSG,
		 "an HTML page");
	free(pem);

	pem = chain_pem(AMD_PRODUCT_GENOA, AMD_CERT_ASVK, &len, "\r\n", "\r\n\r\n", 0);
	CHECK_EQ(kds_chain_split(pem, len, &mid, &ark), 0, "split a Genoa VLEK chain (CRLF)");
	CHECK(mid && amd_cert_info(mid, &mi) == 0 && mi.kind == AMD_CERT_ASVK,
	      "the ASVK comes first");
	X509_free(mid);
	X509_free(ark);
	mid = ark = NULL;
	free(pem);

	pem = chain_pem(AMD_PRODUCT_TURIN, AMD_CERT_ASK, &len, "", "", 1);
	CHECK_EQ(kds_chain_split(pem, len, &mid, &ark), -EBADMSG, "three certificates");
	free(pem);
	pem = chain_pem(AMD_PRODUCT_TURIN, AMD_CERT_ASK, &len, "junk\n", "", 0);
	CHECK_EQ(kds_chain_split(pem, len, &mid, &ark), -EBADMSG, "text before the chain");
	free(pem);
	pem = chain_pem(AMD_PRODUCT_TURIN, AMD_CERT_ASK, &len, "", "trailing junk\n", 0);
	CHECK_EQ(kds_chain_split(pem, len, &mid, &ark), -EBADMSG, "text after the chain");
	free(pem);
	CHECK_EQ(kds_chain_split(NULL, 3, &mid, &ark), -EINVAL, "NULL reply");
}

static void test_retry_after(void)
{
	time_t now = 1700000000; /* 2023-11-14T22:13:20Z */
	unsigned long s = 77;

	CHECK(kds_parse_retry_after("1", now, &s) == 0 && s == 1, "Retry-After: 1");
	CHECK(kds_parse_retry_after(" 120 ", now, &s) == 0 && s == 120, "Retry-After: 120");
	CHECK(kds_parse_retry_after("99999999999999999999", now, &s) == 0 && s >= 100000000UL,
	      "a huge delay saturates");
	CHECK(kds_parse_retry_after("Tue, 14 Nov 2023 22:14:00 GMT", now, &s) == 0 && s == 40,
	      "Retry-After as an HTTP-date");
	CHECK(kds_parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now, &s) == 0 && s == 0,
	      "an HTTP-date in the past is 0");
	CHECK_EQ(kds_parse_retry_after("-1", now, &s), -EINVAL, "negative delay");
	CHECK_EQ(kds_parse_retry_after("1.5", now, &s), -EINVAL, "fractional delay");
	CHECK_EQ(kds_parse_retry_after("soon", now, &s), -EINVAL, "words");
	CHECK_EQ(kds_parse_retry_after("", now, &s), -EINVAL, "empty");
}

/* The endpoint for providers: paths, names, the hash_sticks request and reply. */
static void test_csp(void)
{
	struct amd_tcb milan = { .bl = 3, .tee = 1, .snp = 8, .ucode = 115 };
	struct amd_tcb turin = { .fmc = 1, .bl = 4, .tee = 3, .snp = 22, .ucode = 71 };
	uint8_t hw[2] = { 0xab, 0x01 }, out[KDS_HASHSTICK_LEN];
	char buf[KDS_PATH_MAX], reply[2048], hex[2 * KDS_HASHSTICK_LEN + 1];

	CHECK_EQ(kds_vlek_path(AMD_PRODUCT_MILAN, &milan, buf, sizeof(buf)), 0, "VLEK path");
	CHECK_STR(buf, "/vlek/v1/Milan/cert?blSPL=3&teeSPL=1&snpSPL=8&ucodeSPL=115",
		  "Milan VLEK path: the SPLs of a VCEK request");
	CHECK_EQ(kds_hashsticks_path(AMD_PRODUCT_TURIN, &turin, buf, sizeof(buf)), 0,
		 "hash_sticks path");
	CHECK_STR(buf, "/vlek/v1/Turin/hash_sticks?fmcSPL=1&blSPL=4&teeSPL=3&snpSPL=22&ucodeSPL=71",
		  "Turin hash_sticks path: fmcSPL first");
	CHECK_EQ(kds_vlek_path(AMD_PRODUCT_MILAN, &turin, buf, sizeof(buf)), -EINVAL,
		 "an fmc SPL on Milan is refused");
	CHECK_EQ(kds_vlek_name(AMD_PRODUCT_MILAN, &milan, buf, sizeof(buf)), 0, "VLEK name");
	CHECK_STR(buf, "vlek/Milan/cert/7308000000000103.der", "VLEK cache name");
	CHECK_EQ(kds_hashstick_name(AMD_PRODUCT_MILAN, hw, 2, &milan, buf, sizeof(buf)), 0,
		 "hashstick name");
	CHECK_STR(buf, "vlek/Milan/hash_sticks/ab01/7308000000000103.bin", "hashstick cache name");
	CHECK_EQ(kds_hashsticks_body(hw, 2, buf, sizeof(buf)), 0, "hash_sticks body");
	CHECK_STR(buf, "{\"hwids\":[\"ab01\"]}", "hash_sticks body: one chip id, lowercase");

	for (int i = 0; i < KDS_HASHSTICK_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02X", (unsigned int)(i & 0xff));
	snprintf(reply, sizeof(reply), " {\"results\" : [ {\"cd00\": \"not found\", \"AB01\":\"%s\"} ] }\n",
		 hex);
	memset(out, 0, sizeof(out));
	CHECK_EQ(kds_hashsticks_parse(reply, strlen(reply), hw, 2, out), 0,
		 "hash_sticks reply: the chip's value, keys in any case, other chips skipped");
	CHECK(out[0] == 0 && out[1] == 1 && out[431] == (431 & 0xff), "hash_sticks reply: decoded");
	snprintf(reply, sizeof(reply), "{\"results\":[{\"ab01\":\"not found\"}]}");
	CHECK_EQ(kds_hashsticks_parse(reply, strlen(reply), hw, 2, out), -ENOENT,
		 "hash_sticks reply: \"not found\"");
	snprintf(reply, sizeof(reply), "{\"results\":[]}");
	CHECK_EQ(kds_hashsticks_parse(reply, strlen(reply), hw, 2, out), -ENOENT,
		 "hash_sticks reply: no result for the chip");
	snprintf(reply, sizeof(reply), "{\"results\":[{\"ab01\":\"00ff\"}]}");
	CHECK_EQ(kds_hashsticks_parse(reply, strlen(reply), hw, 2, out), -EBADMSG,
		 "hash_sticks reply: a value that is not 432 bytes");
	snprintf(reply, sizeof(reply), "{\"results\":[{\"ab01\":\"%s\"}]} x", hex);
	CHECK_EQ(kds_hashsticks_parse(reply, strlen(reply), hw, 2, out), -EBADMSG,
		 "hash_sticks reply: trailing garbage");
	snprintf(reply, sizeof(reply), "{\"results\":[{\"\\u0061b01\":\"%s\"}]}", hex);
	CHECK_EQ(kds_hashsticks_parse(reply, strlen(reply), hw, 2, out), 0,
		 "hash_sticks reply: escapes decoded as JSON says");
	snprintf(reply, sizeof(reply), "{\"results\":[{\"ab01\":7}]}");
	CHECK_EQ(kds_hashsticks_parse(reply, strlen(reply), hw, 2, out), -EBADMSG,
		 "hash_sticks reply: a value that is not a string");
	snprintf(reply, sizeof(reply), "{\"results\":[],\"results\":[]}");
	CHECK_EQ(kds_hashsticks_parse(reply, strlen(reply), hw, 2, out), -EBADMSG,
		 "hash_sticks reply: a key twice");
	snprintf(reply, sizeof(reply), "{\"results\":[{\"ab01\":\"%s\"}", hex);
	CHECK_EQ(kds_hashsticks_parse(reply, strlen(reply), hw, 2, out), -EBADMSG,
		 "hash_sticks reply: cut short");
}

/* The legacy SEV CEK: the whole GET_ID2 answer in uppercase hex. */
static void test_cek(void)
{
	uint8_t id[KDS_CEK_ID_MAX + 1];
	char buf[KDS_CEK_PATH_MAX], want[KDS_CEK_PATH_MAX];
	size_t n;

	for (size_t i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)(0xa0 + i);
	CHECK_EQ(kds_cek_path(id, 2, buf, sizeof(buf)), 0, "CEK path");
	CHECK_STR(buf, "/cek/id/A0A1", "CEK path: /cek/id/ and uppercase hex");
	CHECK_EQ(kds_cek_name(id, 2, buf, sizeof(buf)), 0, "CEK cache name");
	CHECK_STR(buf, "cek/id/A0A1.cert", "CEK cache name: cek/id/<HEX>.cert");
	CHECK_EQ(kds_cek_path(id, 128, buf, sizeof(buf)), 0, "CEK path of two sockets' ids");
	CHECK_EQ(strlen(buf), 8 + 256, "CEK path: all 128 bytes in hex");
	CHECK_EQ(kds_cek_path(id, KDS_CEK_ID_MAX, buf, sizeof(buf)), 0,
		 "KDS_CEK_PATH_MAX suffices for the longest id");
	CHECK_EQ(kds_cek_name(id, KDS_CEK_ID_MAX, buf, sizeof(buf)), 0,
		 "KDS_CEK_PATH_MAX suffices for the longest cache name");
	n = strlen(buf);
	CHECK(n == 7 + 2 * KDS_CEK_ID_MAX + 5, "the longest cache name is whole");
	CHECK_EQ(kds_cek_path(id, KDS_CEK_ID_MAX + 1, buf, sizeof(buf)), -EINVAL,
		 "CEK path: an id over KDS_CEK_ID_MAX is refused");
	CHECK_EQ(kds_cek_path(NULL, 0, buf, sizeof(buf)), -EINVAL, "CEK path: no id");
	CHECK_EQ(kds_cek_name(id, 0, buf, sizeof(buf)), -EINVAL, "CEK name: an empty id");
	CHECK_EQ(kds_cek_path(id, 64, buf, 20), -ENOSPC, "CEK path: a short buffer");
	snprintf(want, sizeof(want), "%s", "");
	CHECK_STR(buf, want, "CEK path: a short buffer is left empty");
}

int main(void)
{
	test_cek();
	test_paths();
	test_csp();
	test_names();
	test_describe();
	test_chain_split();
	test_retry_after();
	return tap_done();
}
