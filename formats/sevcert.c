// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The SEV (pre-SNP) formats, parsed strictly and without OpenSSL: the
 * 2084-byte SEV certificate, the AMD CA certificate, the 208-byte legacy
 * attestation report.  See sevcert.h and sev-certificates.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sevcert.h"

/* Offsets of the SEV certificate (sev-legacy.md section 1). */
#define OFF_VERSION 0x000
#define OFF_RESERVED 0x006
#define OFF_USAGE 0x008
#define OFF_ALGO 0x00C
#define OFF_KEY 0x010
#define OFF_RSA_EXP 0x014
#define OFF_RSA_MOD 0x214
#define OFF_EC_QX 0x014
#define OFF_EC_QY 0x05C
#define OFF_EC_RESERVED 0x0A4
#define OFF_SIG1 0x414
#define OFF_SIG2 0x61C
#define RSA_FIELD_LEN 512u
#define ECDSA_SIG_BYTES (2u * SEV_EC_COORD_LEN)

/* Offsets of the AMD CA certificate (section 2). */
#define CA_OFF_KEY_ID 0x04
#define CA_OFF_CERTIFYING_ID 0x14
#define CA_OFF_USAGE 0x24
#define CA_OFF_RESERVED 0x28
#define CA_RESERVED_LEN 16u
#define CA_OFF_PUBEXP_SIZE 0x38
#define CA_OFF_MODULUS_SIZE 0x3C
#define CA_HEADER_LEN 0x40u

/* Offsets of the report (section 6). */
#define REP_OFF_DIGEST 0x10
#define REP_OFF_POLICY 0x30
#define REP_OFF_SIG_USAGE 0x34
#define REP_OFF_SIG_ALGO 0x38
#define REP_OFF_RESERVED 0x3C
#define REP_OFF_SIG 0x40

static const char *const gen_names[SEV_GEN_COUNT] = { "naples", "rome", "milan", "genoa", "turin" };
static const char *const gen_titles[SEV_GEN_COUNT] = { "Naples", "Rome", "Milan", "Genoa", "Turin" };

const char *sev_gen_name(enum sev_gen g)
{
	return g >= 0 && g < SEV_GEN_COUNT ? gen_names[g] : NULL;
}

const char *sev_gen_title(enum sev_gen g)
{
	return g >= 0 && g < SEV_GEN_COUNT ? gen_titles[g] : NULL;
}

enum sev_gen sev_gen_parse(const char *name)
{
	for (int g = 0; name && g < SEV_GEN_COUNT; g++)
		if (strcasecmp(name, gen_names[g]) == 0)
			return (enum sev_gen)g;
	return SEV_GEN_UNKNOWN;
}

const char *sev_usage_name(uint32_t usage)
{
	switch (usage) {
	case SEV_USAGE_ARK:
		return "ARK";
	case SEV_USAGE_ASK:
		return "ASK";
	case SEV_USAGE_INVALID:
		return "empty";
	case SEV_USAGE_OCA:
		return "OCA";
	case SEV_USAGE_PEK:
		return "PEK";
	case SEV_USAGE_PDH:
		return "PDH";
	case SEV_USAGE_CEK:
		return "CEK";
	default:
		return NULL;
	}
}

const char *sev_algo_name(uint32_t algo)
{
	switch (algo) {
	case SEV_ALGO_NONE:
		return "none";
	case SEV_ALGO_RSA_SHA256:
		return "RSA-SHA256";
	case SEV_ALGO_ECDSA_SHA256:
		return "ECDSA-SHA256";
	case SEV_ALGO_ECDH_SHA256:
		return "ECDH-SHA256";
	case SEV_ALGO_RSA_SHA384:
		return "RSA-SHA384";
	case SEV_ALGO_ECDSA_SHA384:
		return "ECDSA-SHA384";
	case SEV_ALGO_ECDH_SHA384:
		return "ECDH-SHA384";
	default:
		return NULL;
	}
}

const char *sev_strerror(enum sev_error code)
{
	switch (code) {
	case SEV_ERR_NONE:
		return "no error";
	case SEV_ERR_LENGTH:
		return "wrong size for the format";
	case SEV_ERR_VERSION:
		return "version is not 1";
	case SEV_ERR_RESERVED:
		return "reserved bytes are not zero";
	case SEV_ERR_USAGE:
		return "unknown or unexpected key usage";
	case SEV_ERR_ALGO:
		return "unknown algorithm, or one that does not fit the key";
	case SEV_ERR_CURVE:
		return "unknown elliptic curve";
	case SEV_ERR_KEY_SIZE:
		return "RSA key size is not 2048 or 4096 bits, or exponent and modulus sizes differ";
	case SEV_ERR_PADDING:
		return "a key or signature has non-zero bytes past its length";
	case SEV_ERR_SIG_SLOT:
		return "a signature slot is neither empty nor well-formed";
	}
	return "unknown error";
}

void sev_diag_text(const struct sev_diag *d, char *buf, size_t len)
{
	if (len)
		snprintf(buf, len, "byte 0x%03zx: %s", d->offset, sev_strerror(d->code));
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int fail(struct sev_diag *diag, enum sev_error code, size_t offset)
{
	if (diag) {
		diag->code = code;
		diag->offset = offset;
	}
	return -EBADMSG;
}

/* The offset of the first non-zero byte of p[from, to), or to. */
static size_t nonzero(const uint8_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (p[i])
			return i;
	return to;
}

static bool is_rsa_algo(uint32_t a)
{
	return a == SEV_ALGO_RSA_SHA256 || a == SEV_ALGO_RSA_SHA384;
}

static bool is_ecdsa_algo(uint32_t a)
{
	return a == SEV_ALGO_ECDSA_SHA256 || a == SEV_ALGO_ECDSA_SHA384;
}

static bool is_ecdh_algo(uint32_t a)
{
	return a == SEV_ALGO_ECDH_SHA256 || a == SEV_ALGO_ECDH_SHA384;
}

/* The usages that sign SEV certificates. */
static bool is_signer_usage(uint32_t u)
{
	return u == SEV_USAGE_ASK || u == SEV_USAGE_OCA || u == SEV_USAGE_PEK ||
	       u == SEV_USAGE_CEK;
}

static int parse_key(const uint8_t *b, struct sev_cert *c, struct sev_diag *diag)
{
	size_t at;

	if (is_rsa_algo(c->algo)) {
		uint32_t bits = le32(b + OFF_KEY);
		size_t n = bits / 8;

		if (bits != 2048 && bits != 4096)
			return fail(diag, SEV_ERR_KEY_SIZE, OFF_KEY);
		c->rsa = true;
		c->rsa_bits = bits;
		c->rsa_exp = b + OFF_RSA_EXP;
		c->rsa_mod = b + OFF_RSA_MOD;
		if ((at = nonzero(b, OFF_RSA_EXP + n, OFF_RSA_EXP + RSA_FIELD_LEN)) <
		    OFF_RSA_EXP + RSA_FIELD_LEN)
			return fail(diag, SEV_ERR_PADDING, at);
		if ((at = nonzero(b, OFF_RSA_MOD + n, OFF_RSA_MOD + RSA_FIELD_LEN)) <
		    OFF_RSA_MOD + RSA_FIELD_LEN)
			return fail(diag, SEV_ERR_PADDING, at);
		return 0;
	}
	c->curve = le32(b + OFF_KEY);
	if (c->curve == SEV_CURVE_P256)
		c->coord_len = 32;
	else if (c->curve == SEV_CURVE_P384)
		c->coord_len = 48;
	else
		return fail(diag, SEV_ERR_CURVE, OFF_KEY);
	c->qx = b + OFF_EC_QX;
	c->qy = b + OFF_EC_QY;
	if ((at = nonzero(b, OFF_EC_QX + c->coord_len, OFF_EC_QX + SEV_EC_COORD_LEN)) <
	    OFF_EC_QX + SEV_EC_COORD_LEN)
		return fail(diag, SEV_ERR_PADDING, at);
	if ((at = nonzero(b, OFF_EC_QY + c->coord_len, OFF_EC_QY + SEV_EC_COORD_LEN)) <
	    OFF_EC_QY + SEV_EC_COORD_LEN)
		return fail(diag, SEV_ERR_PADDING, at);
	if ((at = nonzero(b, OFF_EC_RESERVED, SEV_CERT_SIGNED_LEN)) < SEV_CERT_SIGNED_LEN)
		return fail(diag, SEV_ERR_RESERVED, at);
	return 0;
}

static int parse_slot(const uint8_t *b, size_t off, struct sev_sig *s, struct sev_diag *diag)
{
	size_t sig = off + 8, at;

	s->usage = le32(b + off);
	s->algo = le32(b + off + 4);
	s->sig = b + sig;
	/* Any other algorithm is an empty slot (also KDS's old usage 0x0010). */
	s->empty = !is_rsa_algo(s->algo) && !is_ecdsa_algo(s->algo);
	if (s->empty) {
		if ((at = nonzero(b, sig, sig + SEV_SIG_LEN)) < sig + SEV_SIG_LEN)
			return fail(diag, SEV_ERR_SIG_SLOT, at);
		return 0;
	}
	if (!is_signer_usage(s->usage))
		return fail(diag, SEV_ERR_SIG_SLOT, off);
	if (is_ecdsa_algo(s->algo) &&
	    (at = nonzero(b, sig + ECDSA_SIG_BYTES, sig + SEV_SIG_LEN)) < sig + SEV_SIG_LEN)
		return fail(diag, SEV_ERR_PADDING, at);
	return 0;
}

int sev_cert_parse(const uint8_t *b, size_t len, struct sev_cert *out, struct sev_diag *diag)
{
	struct sev_cert c = { 0 };
	bool fits;
	int ret;

	if (!b || !out)
		return -EINVAL;
	if (len != SEV_CERT_LEN)
		return fail(diag, SEV_ERR_LENGTH, len < SEV_CERT_LEN ? len : SEV_CERT_LEN);
	c.raw = b;
	c.version = le32(b + OFF_VERSION);
	if (c.version != 1)
		return fail(diag, SEV_ERR_VERSION, OFF_VERSION);
	c.api_major = b[4];
	c.api_minor = b[5];
	if (b[OFF_RESERVED] || b[OFF_RESERVED + 1])
		return fail(diag, SEV_ERR_RESERVED, OFF_RESERVED + !b[OFF_RESERVED]);
	c.usage = le32(b + OFF_USAGE);
	c.algo = le32(b + OFF_ALGO);
	switch (c.usage) {
	case SEV_USAGE_OCA:
	case SEV_USAGE_PEK:
	case SEV_USAGE_CEK:
		fits = is_ecdsa_algo(c.algo) || is_rsa_algo(c.algo);
		break;
	case SEV_USAGE_PDH:
		fits = is_ecdh_algo(c.algo);
		break;
	default:
		return fail(diag, SEV_ERR_USAGE, OFF_USAGE);
	}
	if (!fits)
		return fail(diag, SEV_ERR_ALGO, OFF_ALGO);
	ret = parse_key(b, &c, diag);
	if (ret < 0)
		return ret;
	ret = parse_slot(b, OFF_SIG1, &c.sig[0], diag);
	if (ret < 0)
		return ret;
	ret = parse_slot(b, OFF_SIG2, &c.sig[1], diag);
	if (ret < 0)
		return ret;
	*out = c;
	return 0;
}

int sev_ca_parse(const uint8_t *b, size_t len, bool exact, struct sev_ca_cert *out, size_t *used,
		 struct sev_diag *diag)
{
	struct sev_ca_cert c = { 0 };
	size_t n, full, at;

	if (!b || !out)
		return -EINVAL;
	if (len < CA_HEADER_LEN)
		return fail(diag, SEV_ERR_LENGTH, len);
	c.raw = b;
	c.version = le32(b);
	if (c.version != 1)
		return fail(diag, SEV_ERR_VERSION, 0);
	c.key_id = b + CA_OFF_KEY_ID;
	c.certifying_id = b + CA_OFF_CERTIFYING_ID;
	c.usage = le32(b + CA_OFF_USAGE);
	if (c.usage != SEV_USAGE_ARK && c.usage != SEV_USAGE_ASK)
		return fail(diag, SEV_ERR_USAGE, CA_OFF_USAGE);
	if ((at = nonzero(b, CA_OFF_RESERVED, CA_OFF_RESERVED + CA_RESERVED_LEN)) <
	    CA_OFF_RESERVED + CA_RESERVED_LEN)
		return fail(diag, SEV_ERR_RESERVED, at);
	c.pubexp_bits = le32(b + CA_OFF_PUBEXP_SIZE);
	c.modulus_bits = le32(b + CA_OFF_MODULUS_SIZE);
	if (c.modulus_bits != 2048 && c.modulus_bits != 4096)
		return fail(diag, SEV_ERR_KEY_SIZE, CA_OFF_MODULUS_SIZE);
	if (c.pubexp_bits != c.modulus_bits)
		return fail(diag, SEV_ERR_KEY_SIZE, CA_OFF_PUBEXP_SIZE);
	n = c.modulus_bits / 8;
	full = CA_HEADER_LEN + 3 * n;
	c.pubexp = b + CA_HEADER_LEN;
	c.modulus = b + CA_HEADER_LEN + n;
	c.signed_len = CA_HEADER_LEN + 2 * n;
	if (len >= full && !(exact && len != full)) {
		c.sig = b + c.signed_len;
		c.len = full;
	} else if (c.usage == SEV_USAGE_ARK && c.modulus_bits == 2048 &&
		   len >= SEV_CA_UNSIGNED_LEN && !(exact && len != SEV_CA_UNSIGNED_LEN)) {
		c.len = SEV_CA_UNSIGNED_LEN; /* the Naples ARK as AMD publishes it */
	} else {
		return fail(diag, SEV_ERR_LENGTH, len < full ? len : full);
	}
	*out = c;
	if (used)
		*used = c.len;
	return 0;
}

int sev_ca_split(const uint8_t *b, size_t len, struct sev_ca_cert *ask, struct sev_ca_cert *ark,
		 struct sev_diag *diag)
{
	size_t used = 0;
	int ret;

	ret = sev_ca_parse(b, len, false, ask, &used, diag);
	if (ret < 0)
		return ret;
	if (ask->usage != SEV_USAGE_ASK || !ask->sig)
		return fail(diag, SEV_ERR_USAGE, CA_OFF_USAGE);
	ret = sev_ca_parse(b + used, len - used, true, ark, NULL, diag);
	if (ret < 0) {
		if (diag)
			diag->offset += used;
		return ret;
	}
	if (ark->usage != SEV_USAGE_ARK)
		return fail(diag, SEV_ERR_USAGE, used + CA_OFF_USAGE);
	return 0;
}

int sev_report_parse(const uint8_t *b, size_t len, struct sev_report *out, struct sev_diag *diag)
{
	if (!b || !out)
		return -EINVAL;
	if (len != SEV_REPORT_LEN)
		return fail(diag, SEV_ERR_LENGTH, len < SEV_REPORT_LEN ? len : SEV_REPORT_LEN);
	out->raw = b;
	out->mnonce = b;
	out->launch_digest = b + REP_OFF_DIGEST;
	out->policy = le32(b + REP_OFF_POLICY);
	out->sig_usage = le32(b + REP_OFF_SIG_USAGE);
	out->sig_algo = le32(b + REP_OFF_SIG_ALGO);
	out->reserved = le32(b + REP_OFF_RESERVED);
	out->r = b + REP_OFF_SIG;
	out->s = b + REP_OFF_SIG + SEV_EC_COORD_LEN;
	return 0;
}
