/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SEV and SEV-ES (pre-SNP) platform formats, AMD's own binary layouts
 * (formats/sev-certificates.md; the design facts in sev-legacy.md):
 *
 *   the SEV certificate (2084 bytes: CEK, OCA, PEK, PDH)
 *   the AMD CA certificate (ARK, ASK: 832 bytes for Naples, 1600 after;
 *       the unsigned Naples ARK as AMD publishes it: 576)
 *   the legacy ATTESTATION report (208 bytes)
 *
 * Parsing (sevcert.c) is strict and needs no OpenSSL: every field is
 * checked, reserved bytes must be zero, curve and algorithm codes must be
 * known.  The parsed structures borrow the buffer they were parsed from.
 * Verification (sevchain.c) uses OpenSSL, exactly as the facts say:
 * little-endian integers, the signed bytes, PSS with salt = digest length,
 * each signature slot matched to its signer by usage and algorithm.
 */
#ifndef SNPCERT_FORMATS_SEVCERT_H
#define SNPCERT_FORMATS_SEVCERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amdcert.h" /* struct amd_check_list */

#define SEV_CERT_LEN 2084u
#define SEV_CERT_SIGNED_LEN 0x414u /* version through pub_key */
#define SEV_SIG_LEN 512u
#define SEV_EC_COORD_LEN 72u
#define SEV_CHAIN_EXPORT_LEN (3u * SEV_CERT_LEN) /* PDH_CERT_EXPORT's PEK | OCA | CEK */
#define SEV_REPORT_LEN 208u
#define SEV_REPORT_SIGNED_LEN 0x34u /* mnonce, launch digest, policy */
#define SEV_MNONCE_LEN 16u
#define SEV_DIGEST_LEN 32u
#define SEV_CA_KEY_ID_LEN 16u
#define SEV_CA_MAX_LEN 1600u      /* 4096-bit: 64 + 3 * 512 */
#define SEV_CA_NAPLES_LEN 832u    /* 2048-bit: 64 + 3 * 256 */
#define SEV_CA_UNSIGNED_LEN 576u  /* the Naples ARK as AMD publishes it */

/* pub_key_usage and sig_usage codes. */
enum sev_usage {
	SEV_USAGE_ARK = 0x0000,
	SEV_USAGE_ASK = 0x0013,
	SEV_USAGE_INVALID = 0x1000, /* an empty signature slot */
	SEV_USAGE_OCA = 0x1001,
	SEV_USAGE_PEK = 0x1002,
	SEV_USAGE_PDH = 0x1003,
	SEV_USAGE_CEK = 0x1004,
};

/* pub_key_algo and sig_algo codes. */
enum sev_algo {
	SEV_ALGO_NONE = 0x000,
	SEV_ALGO_RSA_SHA256 = 0x001, /* RSASSA-PSS */
	SEV_ALGO_ECDSA_SHA256 = 0x002,
	SEV_ALGO_ECDH_SHA256 = 0x003,
	SEV_ALGO_RSA_SHA384 = 0x101,
	SEV_ALGO_ECDSA_SHA384 = 0x102,
	SEV_ALGO_ECDH_SHA384 = 0x103,
};

enum sev_curve { SEV_CURVE_P256 = 1, SEV_CURVE_P384 = 2 };

/* The processor generations with a legacy SEV CA (ARK and ASK pinned). */
enum sev_gen {
	SEV_GEN_NAPLES = 0,
	SEV_GEN_ROME,
	SEV_GEN_MILAN,
	SEV_GEN_GENOA,
	SEV_GEN_TURIN,
	SEV_GEN_COUNT,
	SEV_GEN_UNKNOWN = -1,
};

/* "naples", "rome", ... (as --product takes them); NULL when out of range. */
const char *sev_gen_name(enum sev_gen g);
/* "Naples", "Rome", ... (as humans read them); NULL when out of range. */
const char *sev_gen_title(enum sev_gen g);
/* The generation named (case-insensitive "naples", "Milan", ...), or SEV_GEN_UNKNOWN. */
enum sev_gen sev_gen_parse(const char *name);

/* "ARK", "ASK", "OCA", "PEK", "PDH", "CEK", "empty"; NULL for an unknown code. */
const char *sev_usage_name(uint32_t usage);
/* "RSA-SHA256", "ECDSA-SHA256", ...; NULL for an unknown code. */
const char *sev_algo_name(uint32_t algo);

/* Why a buffer is not a valid certificate or report. */
enum sev_error {
	SEV_ERR_NONE = 0,
	SEV_ERR_LENGTH,       /* wrong size for the format */
	SEV_ERR_VERSION,      /* version is not 1 */
	SEV_ERR_RESERVED,     /* a reserved byte is not zero */
	SEV_ERR_USAGE,        /* unknown or unexpected key usage */
	SEV_ERR_ALGO,         /* unknown algorithm, or one that does not fit the key */
	SEV_ERR_CURVE,        /* unknown curve */
	SEV_ERR_KEY_SIZE,     /* RSA size not 2048 or 4096, or exponent and modulus sizes differ */
	SEV_ERR_PADDING,      /* a key or signature has non-zero bytes past its length */
	SEV_ERR_SIG_SLOT,     /* a signature slot that is neither empty nor well-formed */
};

struct sev_diag {
	enum sev_error code;
	size_t offset; /* byte offset of the fault in the buffer */
};

/* One phrase: "reserved bytes are not zero", ... */
const char *sev_strerror(enum sev_error code);
/* "byte 0x006: reserved bytes are not zero" into buf (len bytes). */
void sev_diag_text(const struct sev_diag *d, char *buf, size_t len);

/* A signature slot of a SEV certificate. */
struct sev_sig {
	uint32_t usage;
	uint32_t algo;
	bool empty;        /* algo is not RSA or ECDSA (also KDS's old usage 0x0010 quirk) */
	const uint8_t *sig; /* SEV_SIG_LEN bytes */
};

/* A parsed SEV certificate; the pointers borrow the parsed buffer. */
struct sev_cert {
	const uint8_t *raw;  /* SEV_CERT_LEN bytes */
	uint32_t version;    /* 1 */
	uint8_t api_major, api_minor;
	uint32_t usage;      /* enum sev_usage: OCA, PEK, PDH or CEK */
	uint32_t algo;       /* enum sev_algo */
	bool rsa;            /* an RSA key (else EC) */
	uint32_t rsa_bits;   /* 2048 or 4096 */
	const uint8_t *rsa_exp, *rsa_mod; /* LE, rsa_bits / 8 bytes each */
	uint32_t curve;      /* enum sev_curve */
	size_t coord_len;    /* 32 (P-256) or 48 (P-384) significant bytes */
	const uint8_t *qx, *qy; /* LE, SEV_EC_COORD_LEN bytes each */
	struct sev_sig sig[2];
};

/*
 * Parse one SEV certificate: exactly SEV_CERT_LEN bytes, version 1, the
 * reserved half-word zero, a known usage and an algorithm that fits it, a
 * known curve, zero padding after every key field and signature, and
 * every slot either empty or a known RSA/ECDSA algorithm.  0, or -EBADMSG
 * with *diag (may be NULL).
 */
int sev_cert_parse(const uint8_t *buf, size_t len, struct sev_cert *out, struct sev_diag *diag);

/* A parsed AMD CA certificate (ARK or ASK); pointers borrow the buffer. */
struct sev_ca_cert {
	const uint8_t *raw;
	size_t len;          /* the whole certificate */
	size_t signed_len;   /* bytes before the signature */
	uint32_t version;    /* 1 */
	const uint8_t *key_id, *certifying_id; /* SEV_CA_KEY_ID_LEN each */
	uint32_t usage;      /* SEV_USAGE_ARK or SEV_USAGE_ASK */
	uint32_t pubexp_bits, modulus_bits; /* equal: 2048 or 4096 */
	const uint8_t *pubexp, *modulus;    /* LE, modulus_bits / 8 bytes each */
	const uint8_t *sig;  /* LE, modulus_bits / 8 bytes; NULL: unsigned (576-byte Naples ARK) */
};

/*
 * Parse one AMD CA certificate at the start of buf: version 1, usage ARK
 * or ASK, reserved bytes zero, equal exponent and modulus sizes of 2048 or
 * 4096 bits.  *used (may be NULL) is its length; with exact, buf must hold
 * it and nothing else.  A 2048-bit ARK with no room for its signature is
 * parsed as unsigned (sig NULL, len SEV_CA_UNSIGNED_LEN): only the pinned
 * Naples ARK may be accepted that way (the chain check decides).
 * 0, or -EBADMSG with *diag.
 */
int sev_ca_parse(const uint8_t *buf, size_t len, bool exact, struct sev_ca_cert *out,
		 size_t *used, struct sev_diag *diag);

/*
 * Split AMD's ask_ark_<gen>.cert file (the ASK, then the ARK) into the two.
 * 0, or -EBADMSG with *diag.
 */
int sev_ca_split(const uint8_t *buf, size_t len, struct sev_ca_cert *ask, struct sev_ca_cert *ark,
		 struct sev_diag *diag);

/* A parsed legacy attestation report; pointers borrow the buffer. */
struct sev_report {
	const uint8_t *raw;           /* SEV_REPORT_LEN bytes */
	const uint8_t *mnonce;        /* SEV_MNONCE_LEN */
	const uint8_t *launch_digest; /* SEV_DIGEST_LEN */
	uint32_t policy;
	uint32_t sig_usage, sig_algo;
	uint32_t reserved;
	const uint8_t *r, *s;         /* LE, SEV_EC_COORD_LEN each */
};

/* Parse a report: exactly SEV_REPORT_LEN bytes.  0, or -EBADMSG with *diag. */
int sev_report_parse(const uint8_t *buf, size_t len, struct sev_report *out,
		     struct sev_diag *diag);

/* The built-in (pinned) ARK or ASK of a generation, as AMD publishes it; NULL if none. */
const uint8_t *sev_builtin_ca(enum sev_gen g, bool ark, size_t *len);

/*
 * What a chain check is given.  Buffers are raw files; NULL means absent.
 * cek, oca and pek are required; pdh and report are checked when present.
 */
struct sev_chain {
	const uint8_t *ark; size_t ark_len; /* NULL: the pinned ARK of the generation */
	const uint8_t *ask; size_t ask_len; /* NULL: the pinned ASK of the generation */
	const uint8_t *cek, *oca, *pek, *pdh; /* SEV_CERT_LEN each */
	const uint8_t *report;                /* SEV_REPORT_LEN */
	const uint8_t *mnonce;                /* SEV_MNONCE_LEN: the report must carry it */
};

struct sev_verify_opts {
	/*
	 * The generation, or SEV_GEN_UNKNOWN: found by trying each pinned
	 * ASK against the CEK (chain->ask NULL) or each pinned ARK against
	 * the ASK.
	 */
	enum sev_gen gen;
	/*
	 * A private root (an ARK in the AMD CA format; --trust-root), trusted
	 * too: an ARK that is byte for byte this one is trusted like a pinned
	 * one.  With no chain->ark it is the ARK when chain->ask is certified
	 * by it or no generation was found; the pinned ASK never goes with it.
	 */
	const uint8_t *trust_ark; size_t trust_ark_len;
	/*
	 * The ASK that private root certified (AMD's ASK-then-ARK file given
	 * as the root), or NULL: the ASK of a chain that has none when the
	 * ARK used is trust_ark, and of a CEK alone (sev_cek_verify()).
	 */
	const uint8_t *trust_ask; size_t trust_ask_len;
};

/*
 * Verify ARK -> ASK -> CEK, OCA (self), OCA -> PEK, CEK -> PEK, PEK -> PDH,
 * PEK -> report (and its mnonce), in that order, appending one named check
 * per step to *out:
 *   ark-format, ark-trusted, ark-signature, ask-format, ask-signature,
 *   cek-format, cek-signature, oca-format, oca-signature, pek-format,
 *   pek-oca-signature, pek-cek-signature, pdh-format, pdh-signature,
 *   report-format, report-signature, report-mnonce
 * (a check whose input is absent is left out; one that cannot be made
 * because an earlier one failed is added as failed, "not checked: ...").
 * *gen (may be NULL) is the generation found.  0 when all passed, -EBADMSG
 * when any failed, -ENOMEM, -EINVAL.
 */
int sev_chain_verify(const struct sev_chain *c, const struct sev_verify_opts *o,
		     struct amd_check_list *out, enum sev_gen *gen);

/*
 * One CEK as KDS serves it (signed by the ASK, not yet bound to a PEK):
 * it parses, holds a CEK key, and one of its slots verifies with a trusted
 * ASK: the pinned ASK of o->gen, or of each pinned generation in turn when
 * o->gen is SEV_GEN_UNKNOWN (ASK <- pinned ARK checked too), and if none
 * fits, o->trust_ask, certified by o->trust_ark (self-signed).  0 with
 * *gen (may be NULL) the generation whose ASK signed it (o->gen for the
 * trust root's), -EBADMSG with one phrase in why (len bytes), -ENOMEM,
 * -EINVAL.
 */
int sev_cek_verify(const uint8_t *cek, size_t cek_len, const struct sev_verify_opts *o,
		   enum sev_gen *gen, char *why, size_t len);

/*
 * Verify a report against a PEK alone (the broker, every report): the PEK
 * parses, the report parses, its sig_usage is PEK and sig_algo the PEK's,
 * the ECDSA signature over bytes 00-33 verifies and, with mnonce, the
 * report carries it.  0, -EBADMSG with one phrase in why (len bytes), or
 * -ENOMEM.
 */
int sev_report_verify(const uint8_t *pek, const uint8_t *report, const uint8_t *mnonce,
		      char *why, size_t len);

#endif
