/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sev-gen: a SEV (pre-SNP) test platform with fresh keys, written from the
 * format description (shared design sev-legacy.md sections 1-3 and 6) with
 * OpenSSL alone, not with the program's formats/ code: an independent
 * check of the parser and the verifier.
 *
 *   sev-gen platform DIR [--gen naples|rome|milan|genoa|turin] [--ca-bits N]
 *   sev-gen report --pek-key K --mnonce HEX [--digest HEX] [--policy N] -o FILE
 *   sev-gen rotate-pek DIR
 *   sev-gen new-oca DIR
 *
 * platform writes into DIR (made when missing):
 *   ark.cert ask.cert  AMD CA format: RSA (2048 bits for naples, else 4096,
 *                      or --ca-bits), RSASSA-PSS with SHA-256 (2048-bit
 *                      signer) or SHA-384 (4096-bit), salt = digest length,
 *                      random key IDs; the ARK self-signed, the ASK by it
 *   cek.cert           the CEK (ECDSA P-384) signed by the ASK in sig1
 *                      (usage 0x13, algo 0x001 or 0x101), API 0.14: what KDS serves
 *   cek-fw.cert        the same CEK key, API 0.24, both slots empty: what
 *                      the firmware's PDH_CERT_EXPORT returns
 *   oca.cert           the OCA (ECDSA P-384), self-signed in sig1
 *   pek.cert           the PEK (ECDSA P-384), OCA in sig1, CEK in sig2
 *   pdh.cert           the PDH (ECDH P-384), PEK in sig1
 *   id.bin             a random 64-byte chip id (GET_ID2, one socket)
 *   ark.key ask.key cek.key oca.key pek.key pdh.key   the private keys, PEM
 * rotate-pek makes a new PEK (signed by DIR's oca.key and cek.key) and a new
 * PDH signed by it; new-oca makes a new OCA and re-signs the PEK (same key)
 * with it.  report writes a 208-byte ATTESTATION report signed by the PEK
 * key K over mnonce (16 bytes), digest (32, default zeros) and policy
 * (default 0).  Exit 0, 1 on an error (one line on stderr), 2 on bad usage.
 */
#define PROG "sev-gen"
#include "tool.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#define CERT_LEN 2084
#define SIGNED_LEN 0x414
#define REPORT_LEN 208
#define REPORT_SIGNED_LEN 0x34

#define USAGE_ARK 0x0000
#define USAGE_ASK 0x0013
#define USAGE_INVALID 0x1000
#define USAGE_OCA 0x1001
#define USAGE_PEK 0x1002
#define USAGE_PDH 0x1003
#define USAGE_CEK 0x1004
#define ALGO_RSA_SHA256 0x001
#define ALGO_ECDSA_SHA256 0x002
#define ALGO_ECDH_SHA256 0x003
#define ALGO_RSA_SHA384 0x101

/* Offsets in a sev_cert. */
#define OFF_SIG1 0x414
#define OFF_SIG2 0x61C

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(void) __attribute__((noreturn));

static void usage(void)
{
	fprintf(stderr,
		"usage: " PROG " platform DIR [--gen naples|rome|milan|genoa|turin] [--ca-bits N]\n"
		"       " PROG " report --pek-key K --mnonce HEX [--digest HEX] [--policy N] -o FILE\n"
		"       " PROG " rotate-pek DIR\n"
		"       " PROG " new-oca DIR\n");
	exit(2);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static char *path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (!p)
		die("out of memory");
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* A temporary file's name in dir, this process' own. */
static char *tmp_in(const char *dir)
{
	char name[64];

	snprintf(name, sizeof(name), ".sev-gen.tmp.%d", (int)getpid());
	return path_in(dir, name);
}

/* The whole of buf into DIR/name, through a temporary file and a rename. */
static void write_file(const char *dir, const char *name, const void *buf, size_t len)
{
	char *path = path_in(dir, name), *tmp = tmp_in(dir);
	FILE *f = fopen(tmp, "we");

	if (!f || fwrite(buf, 1, len, f) != len || fflush(f) != 0 || ferror(f)) {
		int e = errno;

		if (f) {
			fclose(f);
			unlink(tmp);
		}
		die("cannot write '%s': %s", path, strerror(e));
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		die("cannot write '%s': %s", path, strerror(e));
	}
	free(tmp);
	free(path);
}

static void write_key(const char *dir, const char *name, EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	long len;

	if (!b || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
		die("cannot write the key '%s/%s'", dir, name);
	len = BIO_get_mem_data(b, &pem);
	write_file(dir, name, pem, (size_t)len);
	BIO_free(b);
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (!f)
		die("cannot open '%s': %s", path, strerror(errno));
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		die("'%s' holds no private key", path);
	return k;
}

static EVP_PKEY *read_key_in(const char *dir, const char *name)
{
	char *path = path_in(dir, name);
	EVP_PKEY *k = read_key(path);

	free(path);
	return k;
}

/* A BIGNUM parameter of k as n little-endian bytes. */
static void key_le(EVP_PKEY *k, const char *param, uint8_t *out, size_t n)
{
	BIGNUM *bn = NULL;

	if (!EVP_PKEY_get_bn_param(k, param, &bn) || BN_bn2lebinpad(bn, out, (int)n) < 0)
		die("cannot read the key's %s", param);
	BN_free(bn);
}

static EVP_PKEY *ec_new(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");

	if (!k)
		die("cannot make a P-384 key");
	return k;
}

static EVP_PKEY *rsa_new(unsigned bits)
{
	EVP_PKEY *k = EVP_RSA_gen(bits);

	if (!k)
		die("cannot make a %u-bit RSA key", bits);
	return k;
}

static unsigned rsa_bits(EVP_PKEY *k)
{
	return (unsigned)EVP_PKEY_get_bits(k);
}

/* The digest an RSA signer of the AMD formats uses: SHA-256 (2048 bits) or SHA-384. */
static const EVP_MD *rsa_md(EVP_PKEY *k)
{
	return rsa_bits(k) <= 2048 ? EVP_sha256() : EVP_sha384();
}

/* RSASSA-PSS by k over msg, salt = digest length, as a little-endian integer of the modulus' bytes. */
static void sign_pss(EVP_PKEY *k, const uint8_t *msg, size_t len, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t n = rsa_bits(k) / 8, siglen = 0;
	uint8_t sig[1024];

	if (!ctx || EVP_DigestSignInit(ctx, &pctx, rsa_md(k), NULL, k) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, rsa_md(k)) != 1)
		die("cannot set up an RSA-PSS signature");
	siglen = sizeof(sig);
	if (EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 || siglen != n)
		die("cannot sign with RSA-PSS");
	for (size_t i = 0; i < n; i++)
		out[i] = sig[n - 1 - i];
	EVP_MD_CTX_free(ctx);
}

/* ECDSA-SHA256 by k over msg: r[72] LE then s[72] LE at out. */
static void sign_ecdsa(EVP_PKEY *k, const uint8_t *msg, size_t len, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[256];
	const uint8_t *p = der;
	size_t dlen = sizeof(der);
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;

	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(ctx, der, &dlen, msg, len) != 1)
		die("cannot sign with ECDSA");
	sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	if (!sig)
		die("cannot read an ECDSA signature");
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2lebinpad(r, out, 72) < 0 || BN_bn2lebinpad(s, out + 72, 72) < 0)
		die("cannot write an ECDSA signature");
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
}

/* ---- the AMD CA format (ARK, ASK) ---------------------------------------- */

/* key's certificate, certified by signer (key itself for the ARK); length into *len. */
static uint8_t *ca_cert(EVP_PKEY *key, const uint8_t key_id[16], EVP_PKEY *signer,
			const uint8_t signer_id[16], uint32_t usage, size_t *len)
{
	unsigned bits = rsa_bits(key);
	size_t n = bits / 8, body = 0x40 + 2 * n;
	uint8_t *c = calloc(1, body + rsa_bits(signer) / 8);

	if (!c)
		die("out of memory");
	put32(c, 1);
	memcpy(c + 0x04, key_id, 16);
	memcpy(c + 0x14, signer_id, 16);
	put32(c + 0x24, usage);
	put32(c + 0x38, bits);
	put32(c + 0x3C, bits);
	key_le(key, OSSL_PKEY_PARAM_RSA_E, c + 0x40, n);
	key_le(key, OSSL_PKEY_PARAM_RSA_N, c + 0x40 + n, n);
	sign_pss(signer, c, body, c + body);
	*len = body + rsa_bits(signer) / 8;
	return c;
}

/* ---- the SEV certificate ------------------------------------------------- */

static void sev_body(uint8_t *c, EVP_PKEY *key, uint32_t usage, uint32_t algo, uint8_t api_major,
		     uint8_t api_minor)
{
	memset(c, 0, CERT_LEN);
	put32(c, 1);
	c[4] = api_major;
	c[5] = api_minor;
	put32(c + 0x08, usage);
	put32(c + 0x0C, algo);
	put32(c + 0x10, 2); /* P-384 */
	key_le(key, OSSL_PKEY_PARAM_EC_PUB_X, c + 0x14, 48);
	key_le(key, OSSL_PKEY_PARAM_EC_PUB_Y, c + 0x5C, 48);
	put32(c + OFF_SIG1, USAGE_INVALID);
	put32(c + OFF_SIG2, USAGE_INVALID);
}

/* Slot off (OFF_SIG1/OFF_SIG2) of c: signed by signer of usage and algo. */
static void sev_sign(uint8_t *c, size_t off, EVP_PKEY *signer, uint32_t usage, uint32_t algo)
{
	put32(c + off, usage);
	put32(c + off + 4, algo);
	memset(c + off + 8, 0, 512);
	if (EVP_PKEY_get_base_id(signer) == EVP_PKEY_RSA)
		sign_pss(signer, c, SIGNED_LEN, c + off + 8);
	else
		sign_ecdsa(signer, c, SIGNED_LEN, c + off + 8);
}

/* The firmware's API version in the certificates it makes. */
#define FW_API_MAJOR 0
#define FW_API_MINOR 24

static void make_oca(const char *dir, EVP_PKEY *oca)
{
	uint8_t c[CERT_LEN];

	sev_body(c, oca, USAGE_OCA, ALGO_ECDSA_SHA256, FW_API_MAJOR, FW_API_MINOR);
	sev_sign(c, OFF_SIG1, oca, USAGE_OCA, ALGO_ECDSA_SHA256);
	write_file(dir, "oca.cert", c, sizeof(c));
	write_key(dir, "oca.key", oca);
}

static void make_pek(const char *dir, EVP_PKEY *pek, EVP_PKEY *oca, EVP_PKEY *cek)
{
	uint8_t c[CERT_LEN];

	sev_body(c, pek, USAGE_PEK, ALGO_ECDSA_SHA256, FW_API_MAJOR, FW_API_MINOR);
	sev_sign(c, OFF_SIG1, oca, USAGE_OCA, ALGO_ECDSA_SHA256);
	sev_sign(c, OFF_SIG2, cek, USAGE_CEK, ALGO_ECDSA_SHA256);
	write_file(dir, "pek.cert", c, sizeof(c));
	write_key(dir, "pek.key", pek);
}

static void make_pdh(const char *dir, EVP_PKEY *pdh, EVP_PKEY *pek)
{
	uint8_t c[CERT_LEN];

	sev_body(c, pdh, USAGE_PDH, ALGO_ECDH_SHA256, FW_API_MAJOR, FW_API_MINOR);
	sev_sign(c, OFF_SIG1, pek, USAGE_PEK, ALGO_ECDSA_SHA256);
	write_file(dir, "pdh.cert", c, sizeof(c));
	write_key(dir, "pdh.key", pdh);
}

static void random_bytes(uint8_t *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1)
		die("no random bytes");
}

static void make_dir(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die("cannot make '%s': %s", dir, strerror(errno));
}

static int cmd_platform(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "gen", required_argument, NULL, 'g' },
		{ "ca-bits", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *gen = "rome";
	unsigned long bits = 0;
	EVP_PKEY *ark, *ask, *cek, *oca, *pek, *pdh;
	uint8_t ark_id[16], ask_id[16], id[64], c[CERT_LEN], *ca;
	size_t len;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'g':
			gen = optarg;
			break;
		case 'b':
			bits = tool_num(optarg);
			if (bits != 2048 && bits != 4096) {
				fprintf(stderr, PROG ": --ca-bits must be 2048 or 4096\n");
				exit(2);
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (strcmp(gen, "naples") != 0 && strcmp(gen, "rome") != 0 && strcmp(gen, "milan") != 0 &&
	    strcmp(gen, "genoa") != 0 && strcmp(gen, "turin") != 0) {
		fprintf(stderr, PROG ": unknown generation '%s'\n", gen);
		exit(2);
	}
	if (!bits)
		bits = strcmp(gen, "naples") == 0 ? 2048 : 4096;
	make_dir(argv[optind]);

	random_bytes(ark_id, sizeof(ark_id));
	random_bytes(ask_id, sizeof(ask_id));
	random_bytes(id, sizeof(id));
	ark = rsa_new((unsigned)bits);
	ask = rsa_new((unsigned)bits);
	ca = ca_cert(ark, ark_id, ark, ark_id, USAGE_ARK, &len);
	write_file(argv[optind], "ark.cert", ca, len);
	free(ca);
	ca = ca_cert(ask, ask_id, ark, ark_id, USAGE_ASK, &len);
	write_file(argv[optind], "ask.cert", ca, len);
	free(ca);
	write_key(argv[optind], "ark.key", ark);
	write_key(argv[optind], "ask.key", ask);

	cek = ec_new();
	sev_body(c, cek, USAGE_CEK, ALGO_ECDSA_SHA256, 0, 14);
	sev_sign(c, OFF_SIG1, ask, USAGE_ASK, bits == 2048 ? ALGO_RSA_SHA256 : ALGO_RSA_SHA384);
	write_file(argv[optind], "cek.cert", c, sizeof(c));
	sev_body(c, cek, USAGE_CEK, ALGO_ECDSA_SHA256, FW_API_MAJOR, FW_API_MINOR);
	write_file(argv[optind], "cek-fw.cert", c, sizeof(c));
	write_key(argv[optind], "cek.key", cek);

	oca = ec_new();
	make_oca(argv[optind], oca);
	pek = ec_new();
	make_pek(argv[optind], pek, oca, cek);
	pdh = ec_new();
	make_pdh(argv[optind], pdh, pek);
	write_file(argv[optind], "id.bin", id, sizeof(id));

	EVP_PKEY_free(ark);
	EVP_PKEY_free(ask);
	EVP_PKEY_free(cek);
	EVP_PKEY_free(oca);
	EVP_PKEY_free(pek);
	EVP_PKEY_free(pdh);
	return 0;
}

static int cmd_rotate_pek(int argc, char **argv)
{
	EVP_PKEY *oca, *cek, *pek, *pdh;

	if (argc != 2)
		usage();
	oca = read_key_in(argv[1], "oca.key");
	cek = read_key_in(argv[1], "cek.key");
	pek = ec_new();
	pdh = ec_new();
	make_pek(argv[1], pek, oca, cek);
	make_pdh(argv[1], pdh, pek);
	EVP_PKEY_free(oca);
	EVP_PKEY_free(cek);
	EVP_PKEY_free(pek);
	EVP_PKEY_free(pdh);
	return 0;
}

static int cmd_new_oca(int argc, char **argv)
{
	EVP_PKEY *oca, *cek, *pek;

	if (argc != 2)
		usage();
	cek = read_key_in(argv[1], "cek.key");
	pek = read_key_in(argv[1], "pek.key");
	oca = ec_new();
	make_oca(argv[1], oca);
	make_pek(argv[1], pek, oca, cek);
	EVP_PKEY_free(oca);
	EVP_PKEY_free(cek);
	EVP_PKEY_free(pek);
	return 0;
}

/* Exactly n bytes of hex s into out, or exit 2 naming what. */
static void hex_arg(const char *what, const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n) {
		fprintf(stderr, PROG ": %s must be %zu hex digits\n", what, 2 * n);
		exit(2);
	}
	for (size_t i = 0; i < n; i++) {
		char b[3] = { s[2 * i], s[2 * i + 1], 0 }, *end;

		out[i] = (uint8_t)strtoul(b, &end, 16);
		if (*end || !isxdigit((unsigned char)b[0])) {
			fprintf(stderr, PROG ": %s must be %zu hex digits\n", what, 2 * n);
			exit(2);
		}
	}
}

static int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pek-key", required_argument, NULL, 'k' },
		{ "mnonce", required_argument, NULL, 'm' },
		{ "digest", required_argument, NULL, 'd' },
		{ "policy", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *out = NULL, *slash;
	uint8_t r[REPORT_LEN] = { 0 };
	bool mnonce = false;
	unsigned long policy = 0;
	EVP_PKEY *pek;
	char *dir;
	int o;

	while ((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (o) {
		case 'k':
			key = optarg;
			break;
		case 'm':
			hex_arg("--mnonce", optarg, r, 16);
			mnonce = true;
			break;
		case 'd':
			hex_arg("--digest", optarg, r + 0x10, 32);
			break;
		case 'p':
			policy = tool_num(optarg);
			if (policy > UINT32_MAX) {
				fprintf(stderr, PROG ": --policy must fit in 32 bits\n");
				exit(2);
			}
			break;
		case 'o':
			out = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !key || !mnonce || !out)
		usage();
	put32(r + 0x30, (uint32_t)policy);
	put32(r + 0x34, USAGE_PEK);
	put32(r + 0x38, ALGO_ECDSA_SHA256);
	pek = read_key(key);
	sign_ecdsa(pek, r, REPORT_SIGNED_LEN, r + 0x40);
	EVP_PKEY_free(pek);
	slash = strrchr(out, '/');
	dir = slash ? strndup(out, (size_t)(slash - out) + (slash == out)) : strdup(".");
	if (!dir)
		die("out of memory");
	write_file(dir, slash ? slash + 1 : out, r, sizeof(r));
	free(dir);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	argv++;
	argc--;
	if (strcmp(argv[0], "platform") == 0)
		return cmd_platform(argc, argv);
	if (strcmp(argv[0], "report") == 0)
		return cmd_report(argc, argv);
	if (strcmp(argv[0], "rotate-pek") == 0)
		return cmd_rotate_pek(argc, argv);
	if (strcmp(argv[0], "new-oca") == 0)
		return cmd_new_oca(argc, argv);
	usage();
}
