/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Certificate directories as other SNP host tools lay them out: which file
 * name holds which entry.  Names only; the program does the I/O.
 *
 *   ark.{pem,der,...}  ask.*  asvk.*  vcek.*  vlek.*   certificates
 *   crl.der, *.crl                                     the CRL
 *   <guid>.bin                                         an opaque entry
 */
#ifndef SNPCERT_FORMATS_CERTDIR_H
#define SNPCERT_FORMATS_CERTDIR_H

#include <stdint.h>

#include "ghcb.h"

enum certdir_kind {
	CERTDIR_NONE = 0, /* not ours: ignored */
	CERTDIR_ARK,
	CERTDIR_ASK,
	CERTDIR_ASVK,
	CERTDIR_VCEK,
	CERTDIR_VLEK,
	CERTDIR_CRL,
	CERTDIR_EXTRA,    /* guid says which */
	CERTDIR_KIND_COUNT,
};

/* Classify a file name (no directory part); guid is set for EXTRA. */
enum certdir_kind certdir_classify(const char *name, uint8_t guid[GHCB_GUID_LEN]);
/* The stem a kind is written under by extract: "ark", "ask", ... "crl". */
const char *certdir_stem(enum certdir_kind kind);

#endif
