/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AEB wire codec: what the librats SEV attester in a legacy SEV or
 * SEV-ES guest speaks to the host's evidence broker over AF_VSOCK
 * (formats/aeb-protocol.md; the design facts in sev-legacy.md section 7):
 *
 *   the ttrpc frame header (10 bytes, big-endian)
 *   the ttrpc envelope (protobuf Request / Response, formats/ttrpc.proto)
 *   the two AEB calls (formats/aeb.proto)
 *   the evidence JSON the guest turns into sev_evidence_t
 *
 * The protobuf messages are decoded by protobuf-c with protobuf semantics:
 * unknown fields are skipped, a repeated scalar field takes its last value,
 * a field left at its proto3 default (guest_handle 0) may be absent.  No
 * I/O here: the broker reads and writes the frames.
 */
#ifndef SNPCERT_FORMATS_AEB_H
#define SNPCERT_FORMATS_AEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sevcert.h"

#define TTRPC_HEADER_LEN 10
#define TTRPC_MAX_DATA (4u << 20)   /* the protocol's maximum */
#define AEB_MAX_REQUEST 4096        /* what the broker accepts: a request is < 100 bytes */
/* sizeof(sev_evidence_t): report 208, CEK, PEK, OCA 2084 each, device_type 1. */
#define AEB_EVIDENCE_SIZE 6461
#define AEB_MNONCE_LEN 16

/* The ttrpc status codes the broker answers with (gRPC's). */
#define TTRPC_CODE_OK 0
#define TTRPC_CODE_INVALID_ARGUMENT 3
#define TTRPC_CODE_NOT_FOUND 5
#define TTRPC_CODE_UNIMPLEMENTED 12
#define TTRPC_CODE_INTERNAL 13
#define TTRPC_CODE_UNAVAILABLE 14

enum { TTRPC_REQUEST = 1, TTRPC_RESPONSE = 2, TTRPC_DATA = 3 };

struct ttrpc_header {
	uint32_t length, stream_id;
	uint8_t type, flags;
};

void ttrpc_header_decode(const uint8_t b[TTRPC_HEADER_LEN], struct ttrpc_header *h);
void ttrpc_header_encode(const struct ttrpc_header *h, uint8_t b[TTRPC_HEADER_LEN]);

/*
 * Whether the broker takes a frame with this header: type TTRPC_REQUEST,
 * flags 0, a length of at most AEB_MAX_REQUEST.  0, or -EBADMSG with a
 * phrase in why (the caller drops the connection: a ttrpc peer that sends
 * anything else is not the librats client, and a length above the limit
 * would make it read megabytes).  The stream ID is not checked (a response
 * reuses it, whatever it is).
 */
int ttrpc_header_check(const struct ttrpc_header *h, char *why, size_t whylen);

enum aeb_method { AEB_METHOD_SIZE, AEB_METHOD_EVIDENCE };

struct aeb_request {
	enum aeb_method method;
	uint32_t guest_handle;
	uint32_t evidence_size;      /* 0 for AEB_METHOD_SIZE */
	bool has_mnonce;             /* the request carried mnonce (field 15) */
	uint8_t mnonce[AEB_MNONCE_LEN];
};

/*
 * Parse a request frame's data (the envelope): 0; -EBADMSG malformed
 * (envelope or payload protobuf, an mnonce not 16 bytes); -ENOENT unknown
 * service or method (the caller answers ttrpc status 12 UNIMPLEMENTED).
 * Service "aeb.Aeb" or "aeb.AEB".  why: one phrase (may be NULL).
 * Accepted as protobuf accepts them: unknown fields, repeated scalar fields
 * (the last wins), absent fields (their default: 0, empty).  timeout_nano
 * and metadata are read and ignored.  len above AEB_MAX_REQUEST: -EBADMSG.
 */
int aeb_request_parse(const uint8_t *data, size_t len, struct aeb_request *out, char *why,
		      size_t whylen);

/*
 * Whole response frames (header + envelope, type TTRPC_RESPONSE, flags 0),
 * malloc'd in *frame (free it), their length in *len.  0 or -ENOMEM;
 * -EINVAL for a message or evidence that would pass TTRPC_MAX_DATA.
 */
int aeb_size_response(uint32_t stream_id, uint32_t error_code, uint32_t evidence_size,
		      uint8_t **frame, size_t *len);
/* evidence_size = AEB_EVIDENCE_SIZE; evidence may be NULL when evidence_len is 0. */
int aeb_evidence_response(uint32_t stream_id, uint32_t error_code, const char *evidence,
			  size_t evidence_len, uint8_t **frame, size_t *len);
/* A failed call: Response{status{code, message}}, no payload. */
int ttrpc_status_response(uint32_t stream_id, int32_t code, const char *message, uint8_t **frame,
			  size_t *len);

/*
 * The evidence JSON of sev-legacy.md section 7 exactly: keys
 * report{monce,launch_digest,policy,sig_usage,sig_algo,reserved,sig1}, cek,
 * pek, oca, device_type; byte arrays as decimal numbers; from a 208-byte
 * report (SEV_REPORT_LEN) and three 2084-byte certs (SEV_CERT_LEN), copied
 * as they are (the caller verified them).  device_type from the generation:
 * "AmdNaples", "AmdRome", "AmdMilan", else "Unknown" (librats knows only
 * these three).  *json malloc'd, NUL-terminated, *len its length without
 * the NUL.  0, -EINVAL (a NULL buffer), -ENOMEM.
 */
int aeb_evidence_json(const uint8_t *report, const uint8_t *cek, const uint8_t *pek,
		      const uint8_t *oca, enum sev_gen gen, char **json, size_t *len);

/* "AmdNaples", "AmdRome", "AmdMilan" or "Unknown". */
const char *aeb_device_type(enum sev_gen gen);

#endif
