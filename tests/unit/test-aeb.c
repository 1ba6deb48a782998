// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * formats/aeb.c: the example frames of sev-legacy.md section 7 both ways,
 * both service spellings, mnonce present, absent and of a wrong length,
 * every malformed class (header, envelope, payload), protobuf semantics
 * (unknown fields, repeated fields, absent defaults), the responses decoded
 * back with protobuf-c, and the evidence JSON parsed back with jansson.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aeb.h"
#include "aeb.pb-c.h"
#include "tap.h"
#include "ttrpc.pb-c.h"

/* The example frames of sev-legacy.md section 7. */
static const uint8_t size_request[] = {
	0x00, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00,
	0x0a, 0x07, 'a', 'e', 'b', '.', 'A', 'e', 'b',
	0x12, 0x1f, 'R', 'e', 't', 'r', 'i', 'e', 'v', 'e', 'A', 't', 't', 'e', 's', 't', 'a',
	't', 'i', 'o', 'n', 'E', 'v', 'i', 'd', 'e', 'n', 'c', 'e', 'S', 'i', 'z', 'e',
	0x1a, 0x02, 0x08, 0x01,
};
static const uint8_t size_reply[] = {
	0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00,
	0x0a, 0x00, 0x12, 0x03, 0x10, 0xbd, 0x32,
};
static const uint8_t evidence_request[] = {
	0x00, 0x00, 0x00, 0x2d, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00,
	0x0a, 0x07, 'a', 'e', 'b', '.', 'A', 'e', 'b',
	0x12, 0x1b, 'R', 'e', 't', 'r', 'i', 'e', 'v', 'e', 'A', 't', 't', 'e', 's', 't', 'a',
	't', 'i', 'o', 'n', 'E', 'v', 'i', 'd', 'e', 'n', 'c', 'e',
	0x1a, 0x05, 0x08, 0x01, 0x10, 0xbd, 0x32,
};

#define HDR TTRPC_HEADER_LEN

static int parse(const uint8_t *d, size_t n, struct aeb_request *r, char *why, size_t wl)
{
	return aeb_request_parse(d, n, r, why, wl);
}

/* An envelope built with protobuf-c, the way ttrpc-rust's client builds it. */
static uint8_t *envelope(const char *service, const char *method, const uint8_t *payload,
			 size_t payload_len, size_t *len)
{
	Ttrpc__Request req = TTRPC__REQUEST__INIT;
	uint8_t *b;

	req.service = (char *)service;
	req.method = (char *)method;
	req.payload.data = (uint8_t *)payload;
	req.payload.len = payload_len;
	*len = ttrpc__request__get_packed_size(&req);
	b = malloc(*len ? *len : 1);
	if (b)
		ttrpc__request__pack(&req, b);
	return b;
}

static uint8_t *evidence_payload(uint32_t handle, uint32_t size, const uint8_t *mnonce,
				 size_t mnonce_len, size_t *len)
{
	Aeb__RetrieveAttestationEvidenceRequest r = AEB__RETRIEVE_ATTESTATION_EVIDENCE_REQUEST__INIT;
	uint8_t *b;

	r.guest_handle = handle;
	r.evidence_size = size;
	r.mnonce.data = (uint8_t *)mnonce;
	r.mnonce.len = mnonce_len;
	*len = aeb__retrieve_attestation_evidence_request__get_packed_size(&r);
	b = malloc(*len ? *len : 1);
	if (b)
		aeb__retrieve_attestation_evidence_request__pack(&r, b);
	return b;
}

static void test_header(void)
{
	struct ttrpc_header h = { 0x01020304, 0xa0b0c0d0, 2, 0x5a }, g;
	uint8_t b[HDR];
	char why[128];

	ttrpc_header_encode(&h, b);
	CHECK(memcmp(b, "\x01\x02\x03\x04\xa0\xb0\xc0\xd0\x02\x5a", HDR) == 0,
	      "header: big-endian length and stream ID, type, flags");
	ttrpc_header_decode(b, &g);
	CHECK(g.length == h.length && g.stream_id == h.stream_id && g.type == 2 && g.flags == 0x5a,
	      "header: decode inverts encode");

	ttrpc_header_decode(size_request, &g);
	CHECK(g.length == 0x2e && g.stream_id == 1 && g.type == TTRPC_REQUEST && g.flags == 0,
	      "header: the example size request");
	CHECK_EQ(g.length, sizeof(size_request) - HDR, "header: its length is the data's");
	CHECK_EQ(ttrpc_header_check(&g, why, sizeof(why)), 0, "header check: a request passes");

	g = (struct ttrpc_header){ AEB_MAX_REQUEST, 3, TTRPC_REQUEST, 0 };
	CHECK_EQ(ttrpc_header_check(&g, why, sizeof(why)), 0, "header check: 4096 bytes pass");
	g.length = AEB_MAX_REQUEST + 1;
	CHECK_EQ(ttrpc_header_check(&g, why, sizeof(why)), -EBADMSG, "header check: 4097 bytes fail");
	CHECK(strstr(why, "4097") != NULL, "header check: the phrase names the length");
	g.length = 0xffffffffu;
	CHECK_EQ(ttrpc_header_check(&g, NULL, 0), -EBADMSG, "header check: 4 GiB fail (why NULL)");
	g = (struct ttrpc_header){ 10, 1, TTRPC_RESPONSE, 0 };
	CHECK_EQ(ttrpc_header_check(&g, why, sizeof(why)), -EBADMSG, "header check: a response fails");
	CHECK(strstr(why, "type 2") != NULL, "header check: the phrase names the type");
	g.type = TTRPC_DATA;
	CHECK_EQ(ttrpc_header_check(&g, why, sizeof(why)), -EBADMSG, "header check: data fails");
	g.type = 0;
	CHECK_EQ(ttrpc_header_check(&g, why, sizeof(why)), -EBADMSG, "header check: type 0 fails");
	g = (struct ttrpc_header){ 10, 1, TTRPC_REQUEST, 1 };
	CHECK_EQ(ttrpc_header_check(&g, why, sizeof(why)), -EBADMSG,
		 "header check: flags 1 (remote closed) fail");
	g.flags = 0x80;
	CHECK_EQ(ttrpc_header_check(&g, why, sizeof(why)), -EBADMSG, "header check: flags 0x80 fail");
}

static void test_examples(void)
{
	struct aeb_request r;
	char why[128] = "";
	uint8_t *f = NULL, *e = NULL;
	size_t n = 0, en = 0;
	uint8_t p[2] = { 0x08, 0x01 };

	CHECK_EQ(parse(size_request + HDR, sizeof(size_request) - HDR, &r, why, sizeof(why)), 0,
		 "example size request parses");
	CHECK(r.method == AEB_METHOD_SIZE && r.guest_handle == 1 && r.evidence_size == 0 &&
	      !r.has_mnonce, "example size request: size, handle 1");
	CHECK_EQ(parse(evidence_request + HDR, sizeof(evidence_request) - HDR, &r, why, sizeof(why)),
		 0, "example evidence request parses");
	CHECK(r.method == AEB_METHOD_EVIDENCE && r.guest_handle == 1 &&
	      r.evidence_size == AEB_EVIDENCE_SIZE && !r.has_mnonce,
	      "example evidence request: evidence, handle 1, size 6461");

	CHECK_EQ(aeb_size_response(1, 0, AEB_EVIDENCE_SIZE, &f, &n), 0, "size reply encodes");
	CHECK(n == sizeof(size_reply) && memcmp(f, size_reply, n) == 0,
	      "size reply is the example byte for byte");
	free(f);

	/* The other way: protobuf-c builds the example requests byte for byte. */
	e = envelope("aeb.Aeb", "RetrieveAttestationEvidenceSize", p, sizeof(p), &en);
	CHECK(e && en == sizeof(size_request) - HDR &&
	      memcmp(e, size_request + HDR, en) == 0, "size request envelope is the example");
	free(e);
	f = evidence_payload(1, AEB_EVIDENCE_SIZE, NULL, 0, &n);
	e = envelope("aeb.Aeb", "RetrieveAttestationEvidence", f, n, &en);
	CHECK(e && en == sizeof(evidence_request) - HDR &&
	      memcmp(e, evidence_request + HDR, en) == 0, "evidence request envelope is the example");
	free(e);
	free(f);
}

static void test_names(void)
{
	struct aeb_request r;
	char why[128];
	uint8_t p[2] = { 0x08, 0x07 };
	static const char *const bad_service[] = { "aeb.aeb", "aeb.Aeb ", "Aeb", "", "aeb.AEB.x",
						   "ttrpc.Aeb" };
	static const char *const bad_method[] = { "retrieveAttestationEvidence", "",
						  "RetrieveAttestationEvidenceSize2",
						  "/aeb.Aeb/RetrieveAttestationEvidence" };
	uint8_t *e;
	size_t en;

	e = envelope("aeb.AEB", "RetrieveAttestationEvidenceSize", p, sizeof(p), &en);
	CHECK_EQ(parse(e, en, &r, why, sizeof(why)), 0, "service aeb.AEB is accepted");
	CHECK(r.method == AEB_METHOD_SIZE && r.guest_handle == 7, "aeb.AEB: size, handle 7");
	free(e);
	e = envelope("aeb.AEB", "RetrieveAttestationEvidence", p, sizeof(p), &en);
	CHECK_EQ(parse(e, en, &r, why, sizeof(why)), 0, "aeb.AEB evidence is accepted");
	CHECK(r.method == AEB_METHOD_EVIDENCE && r.guest_handle == 7 && r.evidence_size == 0,
	      "aeb.AEB evidence: handle 7, size absent is 0");
	free(e);
	for (size_t i = 0; i < sizeof(bad_service) / sizeof(*bad_service); i++) {
		e = envelope(bad_service[i], "RetrieveAttestationEvidence", p, sizeof(p), &en);
		CHECK_EQ(parse(e, en, &r, why, sizeof(why)), -ENOENT, "unknown service: -ENOENT");
		CHECK(strncmp(why, "unknown service", 15) == 0, "unknown service: the phrase");
		free(e);
	}
	for (size_t i = 0; i < sizeof(bad_method) / sizeof(*bad_method); i++) {
		e = envelope("aeb.Aeb", bad_method[i], p, sizeof(p), &en);
		CHECK_EQ(parse(e, en, &r, why, sizeof(why)), -ENOENT, "unknown method: -ENOENT");
		CHECK(strncmp(why, "unknown method", 14) == 0, "unknown method: the phrase");
		free(e);
	}
	/* A name from the peer is made printable and short in the phrase. */
	{
		char longname[200];

		memset(longname, 'x', sizeof(longname) - 1);
		longname[0] = '\x1b';
		longname[sizeof(longname) - 1] = 0;
		e = envelope("aeb.Aeb", longname, p, sizeof(p), &en);
		CHECK_EQ(parse(e, en, &r, why, sizeof(why)), -ENOENT, "long method name: -ENOENT");
		CHECK(why[16] == '?' && strstr(why, "...") && strlen(why) < 100,
		      "long method name: printable and cut in the phrase");
		free(e);
	}
	/* Empty data: every field at its default, so an empty service. */
	CHECK_EQ(parse(NULL, 0, &r, why, sizeof(why)), -ENOENT, "empty data: -ENOENT");
}

static void test_mnonce(void)
{
	struct aeb_request r;
	char why[128];
	uint8_t mn[17];
	uint8_t *p, *e;
	size_t pn, en;

	for (size_t i = 0; i < sizeof(mn); i++)
		mn[i] = (uint8_t)(0xf0 + i);
	p = evidence_payload(9, AEB_EVIDENCE_SIZE, mn, 16, &pn);
	e = envelope("aeb.Aeb", "RetrieveAttestationEvidence", p, pn, &en);
	CHECK_EQ(parse(e, en, &r, why, sizeof(why)), 0, "mnonce of 16 bytes parses");
	CHECK(r.has_mnonce && memcmp(r.mnonce, mn, 16) == 0 && r.guest_handle == 9 &&
	      r.evidence_size == AEB_EVIDENCE_SIZE, "mnonce of 16 bytes: copied");
	CHECK(pn >= 18 && p[pn - 18] == 0x7a && p[pn - 17] == 16, "mnonce is field 15 (tag 0x7a)");
	free(p);
	free(e);
	for (size_t len = 1; len <= 17; len++) {
		if (len == 16)
			continue;
		p = evidence_payload(9, AEB_EVIDENCE_SIZE, mn, len, &pn);
		e = envelope("aeb.Aeb", "RetrieveAttestationEvidence", p, pn, &en);
		memset(&r, 0xa5, sizeof(r));
		CHECK_EQ(parse(e, en, &r, why, sizeof(why)), -EBADMSG, "mnonce not 16 bytes: -EBADMSG");
		CHECK(strncmp(why, "mnonce of ", 10) == 0 && !r.has_mnonce && r.guest_handle == 0,
		      "mnonce not 16 bytes: the phrase, the request cleared");
		free(p);
		free(e);
	}
	/* An empty mnonce is proto3's absent field. */
	p = evidence_payload(9, AEB_EVIDENCE_SIZE, mn, 0, &pn);
	e = envelope("aeb.Aeb", "RetrieveAttestationEvidence", p, pn, &en);
	CHECK_EQ(parse(e, en, &r, why, sizeof(why)), 0, "no mnonce parses");
	CHECK(!r.has_mnonce, "no mnonce: has_mnonce false");
	free(p);
	free(e);
	{
		/* An explicit empty field 15 on the wire is the same. */
		uint8_t pl[] = { 0x08, 0x02, 0x7a, 0x00 };

		e = envelope("aeb.Aeb", "RetrieveAttestationEvidence", pl, sizeof(pl), &en);
		CHECK_EQ(parse(e, en, &r, why, sizeof(why)), 0, "mnonce of 0 bytes on the wire");
		CHECK(!r.has_mnonce && r.guest_handle == 2, "mnonce of 0 bytes: absent");
		free(e);
	}
	{
		/* The size call has no mnonce: field 15 there is an unknown field. */
		uint8_t pl[18] = { 0x7a, 0x10 };

		e = envelope("aeb.Aeb", "RetrieveAttestationEvidenceSize", pl, sizeof(pl), &en);
		CHECK_EQ(parse(e, en, &r, why, sizeof(why)), 0, "size call with a field 15 parses");
		CHECK(!r.has_mnonce, "size call with a field 15: no mnonce");
		free(e);
	}
}

static void test_semantics(void)
{
	struct aeb_request r;
	char why[128];
	uint8_t *e;
	size_t en;

	{
		/* guest_handle 0 is omitted on the wire: an empty payload, or none. */
		e = envelope("aeb.Aeb", "RetrieveAttestationEvidenceSize", NULL, 0, &en);
		CHECK_EQ(parse(e, en, &r, why, sizeof(why)), 0, "no payload parses");
		CHECK(r.method == AEB_METHOD_SIZE && r.guest_handle == 0, "no payload: handle 0");
		free(e);
		uint8_t d[] = { 0x0a, 0x07, 'a', 'e', 'b', '.', 'A', 'e', 'b', 0x12, 0x1b, 'R', 'e', 't',
				'r', 'i', 'e', 'v', 'e', 'A', 't', 't', 'e', 's', 't', 'a', 't', 'i',
				'o', 'n', 'E', 'v', 'i', 'd', 'e', 'n', 'c', 'e', 0x1a, 0x00 };
		CHECK_EQ(parse(d, sizeof(d), &r, why, sizeof(why)), 0, "an empty payload parses");
		CHECK(r.method == AEB_METHOD_EVIDENCE && r.guest_handle == 0 && r.evidence_size == 0,
		      "an empty payload: every field 0");
	}
	{
		/* Unknown fields of every wire type, in envelope and payload; a
		 * repeated scalar takes its last value; timeout and metadata read. */
		uint8_t pl[] = { 0x08, 0x05, 0xa0, 0x06, 0x01, /* field 100 varint */
				 0x10, 0x01, 0x08, 0x06,       /* guest_handle again: 6 */
				 0x2d, 1, 2, 3, 4,             /* field 5 fixed32 */
				 0x31, 1, 2, 3, 4, 5, 6, 7, 8, /* field 6 fixed64 */
				 0x3a, 0x02, 'h', 'i',         /* field 7 bytes */
				 0x10, 0xbd, 0x32 };
		Ttrpc__Request req = TTRPC__REQUEST__INIT;
		Ttrpc__KeyValue kv = TTRPC__KEY_VALUE__INIT, *kvs[1] = { &kv };
		uint8_t buf[256];
		size_t n;

		req.service = "aeb.Aeb";
		req.method = "RetrieveAttestationEvidence";
		req.payload.data = pl;
		req.payload.len = sizeof(pl);
		req.timeout_nano = 5000000000;
		kv.key = "k";
		kv.value = "v";
		req.n_metadata = 1;
		req.metadata = kvs;
		n = ttrpc__request__pack(&req, buf);
		buf[n++] = 0xf8; /* field 31 varint, unknown */
		buf[n++] = 0x01;
		buf[n++] = 0x2a;
		CHECK_EQ(parse(buf, n, &r, why, sizeof(why)), 0, "unknown and repeated fields parse");
		CHECK(r.method == AEB_METHOD_EVIDENCE && r.guest_handle == 6 &&
		      r.evidence_size == AEB_EVIDENCE_SIZE, "repeated guest_handle: the last wins");
	}
	{
		/* A repeated envelope field: the last service and method win. */
		uint8_t d[64];
		size_t n = 0;

		memcpy(d + n, "\x0a\x03xyz\x12\x01m", 8);
		n += 8;
		memcpy(d + n, "\x0a\x07" "aeb.Aeb", 9);
		n += 9;
		memcpy(d + n, "\x12\x1f" "RetrieveAttestationEvidenceSize", 33);
		n += 33;
		CHECK_EQ(parse(d, n, &r, why, sizeof(why)), 0, "repeated service and method: the last");
		CHECK(r.method == AEB_METHOD_SIZE, "repeated method: the last is the size call");
	}
}

struct bad {
	const char *name;
	const char *d;
	size_t n;
};

#define BAD(name, s) { name, s, sizeof(s) - 1 }

static void test_malformed(void)
{
	static const struct bad bad[] = {
		BAD("envelope: a truncated tag varint", "\x80"),
		BAD("envelope: a truncated length", "\x0a"),
		BAD("envelope: a length past the end", "\x0a\x08" "aeb.Aeb"),
		BAD("envelope: service as a varint (wrong wire type)", "\x08\x01"),
		BAD("envelope: payload as fixed32 (wrong wire type)", "\x1d\x01\x02\x03\x04"),
		BAD("envelope: field number 0", "\x02\x00"),
		BAD("envelope: wire type 7", "\x0f"),
		BAD("envelope: a start group", "\x0b\x0c"),
		BAD("envelope: an end group", "\x0c"),
		BAD("envelope: a varint of 11 bytes",
		    "\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
		BAD("envelope: a truncated fixed64", "\x29\x01\x02\x03"),
		BAD("envelope: metadata truncated inside", "\x2a\x04\x0a\x05kk"),
		BAD("envelope: metadata key as a varint", "\x2a\x02\x08\x01"),
	};
	/* Payloads that fail inside the right envelope. */
	static const struct bad badp[] = {
		BAD("payload: truncated varint", "\x08\x80"),
		BAD("payload: guest_handle length-delimited", "\x0a\x00"),
		BAD("payload: mnonce as a varint", "\x78\x01"),
		BAD("payload: a length past the end", "\x3a\x05\x01"),
		BAD("payload: wire type 6", "\x0e"),
	};
	struct aeb_request r;
	char why[128];
	uint8_t big[AEB_MAX_REQUEST + 1];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why[0] = 0;
		CHECK_EQ(parse((const uint8_t *)bad[i].d, bad[i].n, &r, why, sizeof(why)), -EBADMSG, bad[i].name);
		CHECK(strcmp(why, "malformed ttrpc request") == 0, "envelope: the phrase");
	}
	for (size_t i = 0; i < sizeof(badp) / sizeof(*badp); i++)
		for (int m = 0; m < 2; m++) {
			const char *method = m ? "RetrieveAttestationEvidence"
					       : "RetrieveAttestationEvidenceSize";
			size_t en;
			uint8_t *e = envelope("aeb.Aeb", method, (const uint8_t *)badp[i].d,
					      badp[i].n, &en);

			/* The size request has no field 15: a varint there is unknown. */
			int want = !m && badp[i].d[0] == 0x78 ? 0 : -EBADMSG;

			why[0] = 0;
			CHECK_EQ(parse(e, en, &r, why, sizeof(why)), want, badp[i].name);
			if (want)
				CHECK(strncmp(why, "malformed Retrieve", 18) == 0, "payload: the phrase");
			free(e);
		}
	/*
	 * Every strict prefix of the example evidence request: one that cuts a
	 * field is malformed; one at a field's end is a valid message (no
	 * service or method yet: unknown; no payload yet: every field 0).
	 */
	for (size_t n = 0; n < sizeof(evidence_request) - HDR; n++) {
		int ret = parse(evidence_request + HDR, n, &r, why, sizeof(why));
		int want = n == 0 || n == 9 ? -ENOENT : n == 38 ? 0 : -EBADMSG;

		CHECK_EQ(ret, want, "a prefix of the evidence request");
	}
	memset(big, 0, sizeof(big));
	CHECK_EQ(parse(big, sizeof(big), &r, why, sizeof(why)), -EBADMSG, "4097 bytes: -EBADMSG");
	CHECK(strstr(why, "over the limit") != NULL, "4097 bytes: the phrase");
}

static void test_responses(void)
{
	uint8_t *f = NULL;
	size_t n = 0;
	struct ttrpc_header h;
	Ttrpc__Response *resp;
	Aeb__RetrieveAttestationEvidenceResponse *er;
	Aeb__RetrieveAttestationEvidenceSizeResponse *sr;
	static const char ev[] = "{\"report\":{}}";

	CHECK_EQ(ttrpc_status_response(7, TTRPC_CODE_UNIMPLEMENTED, "x", &f, &n), 0,
		 "status response encodes");
	CHECK(n == HDR + 7 && memcmp(f, "\0\0\0\x07\0\0\0\x07\x02\0\x0a\x05\x08\x0c\x12\x01x",
				     n) == 0, "status response: the bytes");
	free(f);
	CHECK_EQ(ttrpc_status_response(9, TTRPC_CODE_INTERNAL, NULL, &f, &n), 0,
		 "status response without message");
	CHECK(n == HDR + 4 && memcmp(f + HDR, "\x0a\x02\x08\x0d", 4) == 0,
	      "status response without message: the bytes");
	free(f);
	CHECK_EQ(ttrpc_status_response(9, -1, "", &f, &n), 0, "status code -1 encodes");
	resp = ttrpc__response__unpack(NULL, n - HDR, f + HDR);
	CHECK(resp && resp->status && resp->status->code == -1 && resp->payload.len == 0,
	      "status code -1 decodes back");
	ttrpc__response__free_unpacked(resp, NULL);
	free(f);

	CHECK_EQ(aeb_size_response(0xfffffffd, 3, 42, &f, &n), 0, "size response with an error");
	ttrpc_header_decode(f, &h);
	CHECK(h.length == n - HDR && h.stream_id == 0xfffffffd && h.type == TTRPC_RESPONSE &&
	      h.flags == 0, "size response: the header");
	resp = ttrpc__response__unpack(NULL, n - HDR, f + HDR);
	sr = resp ? aeb__retrieve_attestation_evidence_size_response__unpack(
			    NULL, resp->payload.len, resp->payload.data)
		  : NULL;
	CHECK(resp && resp->status && resp->status->code == 0 && sr && sr->error_code == 3 &&
	      sr->evidence_size == 42, "size response decodes back");
	if (sr)
		aeb__retrieve_attestation_evidence_size_response__free_unpacked(sr, NULL);
	ttrpc__response__free_unpacked(resp, NULL);
	free(f);

	CHECK_EQ(aeb_evidence_response(3, 0, ev, strlen(ev), &f, &n), 0, "evidence response encodes");
	ttrpc_header_decode(f, &h);
	CHECK(h.length == n - HDR && h.stream_id == 3 && h.type == TTRPC_RESPONSE,
	      "evidence response: the header");
	resp = ttrpc__response__unpack(NULL, n - HDR, f + HDR);
	er = resp ? aeb__retrieve_attestation_evidence_response__unpack(NULL, resp->payload.len,
									resp->payload.data)
		  : NULL;
	CHECK(resp && resp->status && resp->status->code == 0 && er && er->error_code == 0 &&
	      er->evidence_size == AEB_EVIDENCE_SIZE && er->evidence.len == strlen(ev) &&
	      memcmp(er->evidence.data, ev, strlen(ev)) == 0, "evidence response decodes back");
	if (er)
		aeb__retrieve_attestation_evidence_response__free_unpacked(er, NULL);
	ttrpc__response__free_unpacked(resp, NULL);
	free(f);

	CHECK_EQ(aeb_evidence_response(3, 1, NULL, 0, &f, &n), 0, "evidence response, no evidence");
	CHECK(n == HDR + 9 &&
	      memcmp(f + HDR, "\x0a\x00\x12\x05\x08\x01\x10\xbd\x32", 9) == 0,
	      "evidence response, no evidence: error_code 1, size 6461");
	free(f);
	f = (uint8_t *)"x";
	CHECK_EQ(aeb_evidence_response(3, 0, NULL, 1, &f, &n), -EINVAL, "NULL evidence: -EINVAL");
	CHECK(f == NULL && n == 0, "NULL evidence: nothing out");
	CHECK_EQ(aeb_evidence_response(3, 0, ev, TTRPC_MAX_DATA + 1, &f, &n), -EINVAL,
		 "evidence over 4 MiB: -EINVAL");
	{
		/* An evidence that fits alone but not with its envelope. */
		char *huge = calloc(1, TTRPC_MAX_DATA);

		CHECK(huge && aeb_evidence_response(3, 0, huge, TTRPC_MAX_DATA, &f, &n) == -EINVAL,
		      "evidence of 4 MiB: its frame is over the maximum, -EINVAL");
		free(huge);
	}
}

static void fill(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 7 + seed);
}

/* The array at key holds exactly n numbers equal to b. */
static int same_array(json_t *o, const char *key, const uint8_t *b, size_t n)
{
	json_t *a = json_object_get(o, key);

	if (!json_is_array(a) || json_array_size(a) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);

		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255 ||
		    json_integer_value(v) != b[i])
			return 0;
	}
	return 1;
}

static int same_u32(json_t *o, const char *key, uint32_t v)
{
	json_t *x = json_object_get(o, key);

	return json_is_integer(x) && json_integer_value(x) == (json_int_t)v;
}

static void test_json(void)
{
	static uint8_t report[SEV_REPORT_LEN], cek[SEV_CERT_LEN], pek[SEV_CERT_LEN],
		oca[SEV_CERT_LEN];
	static const struct {
		enum sev_gen gen;
		const char *name;
	} gens[] = {
		{ SEV_GEN_NAPLES, "AmdNaples" }, { SEV_GEN_ROME, "AmdRome" },
		{ SEV_GEN_MILAN, "AmdMilan" },   { SEV_GEN_GENOA, "Unknown" },
		{ SEV_GEN_TURIN, "Unknown" },    { SEV_GEN_UNKNOWN, "Unknown" },
	};
	char *js = NULL;
	size_t n = 0;
	json_error_t err;
	json_t *root, *rep;

	fill(report, sizeof(report), 1);
	/* policy 0xffffffff, PEK usage 0x1002, ECDSA-SHA256 2, reserved 0. */
	memcpy(report + 0x30, "\xff\xff\xff\xff\x02\x10\0\0\x02\0\0\0\0\0\0\0", 16);
	fill(cek, sizeof(cek), 2);
	fill(pek, sizeof(pek), 3);
	fill(oca, sizeof(oca), 4);
	for (size_t g = 0; g < sizeof(gens) / sizeof(*gens); g++) {
		CHECK_EQ(aeb_evidence_json(report, cek, pek, oca, gens[g].gen, &js, &n), 0,
			 "evidence JSON is written");
		CHECK(js && strlen(js) == n, "evidence JSON: NUL-terminated, its length");
		root = json_loadb(js, n, JSON_REJECT_DUPLICATES, &err);
		CHECK(json_is_object(root) && json_object_size(root) == 5,
		      "evidence JSON: an object of five keys");
		CHECK_STR(json_string_value(json_object_get(root, "device_type")), gens[g].name,
			  "evidence JSON: device_type from the generation");
		CHECK_STR(aeb_device_type(gens[g].gen), gens[g].name, "aeb_device_type");
		rep = json_object_get(root, "report");
		CHECK(json_is_object(rep) && json_object_size(rep) == 7, "report: seven keys");
		CHECK(same_array(rep, "monce", report, 16), "report.monce: 16 bytes");
		CHECK(same_array(rep, "launch_digest", report + 0x10, 32),
		      "report.launch_digest: 32 bytes");
		CHECK(same_u32(rep, "policy", 0xffffffffu), "report.policy: u32 little-endian");
		CHECK(same_u32(rep, "sig_usage", 0x1002), "report.sig_usage");
		CHECK(same_u32(rep, "sig_algo", 2), "report.sig_algo");
		CHECK(same_u32(rep, "reserved", 0), "report.reserved");
		CHECK(same_array(rep, "sig1", report + 0x40, 144), "report.sig1: 144 bytes");
		CHECK(same_array(root, "cek", cek, SEV_CERT_LEN), "cek: 2084 bytes");
		CHECK(same_array(root, "pek", pek, SEV_CERT_LEN), "pek: 2084 bytes");
		CHECK(same_array(root, "oca", oca, SEV_CERT_LEN), "oca: 2084 bytes");
		json_decref(root);
		free(js);
		js = NULL;
	}
	/* The bytes at the ends of the range, and the report's u32s at both ends. */
	memset(cek, 0, sizeof(cek));
	memset(pek, 255, sizeof(pek));
	memset(report + 0x30, 0, 16);
	report[0x3c] = 1;
	CHECK_EQ(aeb_evidence_json(report, cek, pek, oca, SEV_GEN_MILAN, &js, &n), 0, "JSON again");
	root = json_loadb(js, n, 0, &err);
	rep = json_object_get(root, "report");
	CHECK(same_array(root, "cek", cek, SEV_CERT_LEN) && same_array(root, "pek", pek, SEV_CERT_LEN),
	      "bytes 0 and 255");
	CHECK(same_u32(rep, "policy", 0) && same_u32(rep, "reserved", 1), "u32 0 and 1");
	CHECK(strncmp(js, "{\"report\":{\"monce\":[", 20) == 0 && n > 27 &&
	      strcmp(js + n - 27, "],\"device_type\":\"AmdMilan\"}") == 0,
	      "compact JSON: report first, device_type last");
	CHECK(strchr(js, ' ') == NULL && strchr(js, '\n') == NULL, "compact JSON: no whitespace");
	json_decref(root);
	free(js);
	js = (char *)"x";
	CHECK_EQ(aeb_evidence_json(NULL, cek, pek, oca, SEV_GEN_MILAN, &js, &n), -EINVAL,
		 "a NULL report: -EINVAL");
	CHECK(js == NULL && n == 0, "a NULL report: nothing out");
	CHECK_EQ(aeb_evidence_json(report, cek, pek, NULL, SEV_GEN_MILAN, &js, &n), -EINVAL,
		 "a NULL OCA: -EINVAL");
}

/* Requests built by protobuf-c parse back to what went in. */
static void test_round_trips(void)
{
	static const uint32_t handles[] = { 0, 1, 127, 128, 16383, 16384, 0x7fffffff, 0xffffffff };
	uint8_t mn[16];
	int ok = 1, ok2 = 1;

	for (size_t i = 0; i < sizeof(handles) / sizeof(*handles); i++)
		for (int with = 0; with < 2; with++) {
			struct aeb_request r;
			size_t pn, en;
			uint8_t *p, *e;

			fill(mn, sizeof(mn), (unsigned)i);
			p = evidence_payload(handles[i], handles[(i + 3) % 8], mn, with ? 16 : 0, &pn);
			e = envelope(i % 2 ? "aeb.AEB" : "aeb.Aeb", "RetrieveAttestationEvidence", p,
				     pn, &en);
			if (parse(e, en, &r, NULL, 0) != 0 || r.method != AEB_METHOD_EVIDENCE ||
			    r.guest_handle != handles[i] || r.evidence_size != handles[(i + 3) % 8] ||
			    r.has_mnonce != with || (with && memcmp(r.mnonce, mn, 16) != 0))
				ok = 0;
			free(e);
			free(p);
		}
	CHECK(ok, "round trip: evidence requests, handles and sizes at the varint edges");
	for (size_t i = 0; i < sizeof(handles) / sizeof(*handles); i++) {
		uint8_t *f = NULL;
		size_t n = 0;
		Ttrpc__Response *resp;
		Aeb__RetrieveAttestationEvidenceSizeResponse *sr = NULL;
		struct ttrpc_header h;

		if (aeb_size_response(handles[i], handles[7 - i], handles[i], &f, &n) != 0) {
			ok2 = 0;
			continue;
		}
		ttrpc_header_decode(f, &h);
		resp = ttrpc__response__unpack(NULL, n - HDR, f + HDR);
		if (resp)
			sr = aeb__retrieve_attestation_evidence_size_response__unpack(
				NULL, resp->payload.len, resp->payload.data);
		if (h.stream_id != handles[i] || h.length != n - HDR || !sr ||
		    sr->error_code != handles[7 - i] || sr->evidence_size != handles[i])
			ok2 = 0;
		if (sr)
			aeb__retrieve_attestation_evidence_size_response__free_unpacked(sr, NULL);
		ttrpc__response__free_unpacked(resp, NULL);
		free(f);
	}
	CHECK(ok2, "round trip: size responses, stream IDs and values at the varint edges");
}

int main(void)
{
	test_header();
	test_examples();
	test_names();
	test_mnonce();
	test_semantics();
	test_malformed();
	test_responses();
	test_json();
	test_round_trips();
	return tap_done();
}
