// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the AEB wire codec.  The input is a frame (10-byte
 * header, then the envelope); the parser also gets the whole input as an
 * envelope.  It must not read out of bounds (ASan), must answer 0, -EBADMSG
 * or -ENOENT with a phrase, and a request it accepts, encoded again by
 * protobuf-c, parses to the same request.  The response encoders decode
 * back to what they were given; an input of exactly 6460 bytes is also a
 * report and three certificates, and the evidence JSON must parse back
 * with jansson to the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aeb.h"
#include "aeb.pb-c.h"
#include "ttrpc.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const struct aeb_request *a, const struct aeb_request *b)
{
	return a->method == b->method && a->guest_handle == b->guest_handle &&
	       a->evidence_size == b->evidence_size && a->has_mnonce == b->has_mnonce &&
	       (!a->has_mnonce || memcmp(a->mnonce, b->mnonce, AEB_MNONCE_LEN) == 0);
}

/* The request again, as ttrpc-rust would send it. */
static void reencode(const struct aeb_request *r)
{
	Ttrpc__Request req = TTRPC__REQUEST__INIT;
	Aeb__RetrieveAttestationEvidenceRequest er = AEB__RETRIEVE_ATTESTATION_EVIDENCE_REQUEST__INIT;
	Aeb__RetrieveAttestationEvidenceSizeRequest sr =
		AEB__RETRIEVE_ATTESTATION_EVIDENCE_SIZE_REQUEST__INIT;
	uint8_t payload[64], env[256];
	struct aeb_request back;
	size_t pn, en;

	if (r->method == AEB_METHOD_SIZE) {
		sr.guest_handle = r->guest_handle;
		pn = aeb__retrieve_attestation_evidence_size_request__pack(&sr, payload);
		req.method = "RetrieveAttestationEvidenceSize";
	} else {
		er.guest_handle = r->guest_handle;
		er.evidence_size = r->evidence_size;
		er.mnonce.data = (uint8_t *)r->mnonce;
		er.mnonce.len = r->has_mnonce ? AEB_MNONCE_LEN : 0;
		pn = aeb__retrieve_attestation_evidence_request__pack(&er, payload);
		req.method = "RetrieveAttestationEvidence";
	}
	req.service = "aeb.Aeb";
	req.payload.data = payload;
	req.payload.len = pn;
	if (ttrpc__request__get_packed_size(&req) > sizeof(env))
		abort();
	en = ttrpc__request__pack(&req, env);
	if (aeb_request_parse(env, en, &back, NULL, 0) != 0 || !same(r, &back))
		abort();
}

static void one(const uint8_t *d, size_t n)
{
	struct aeb_request r;
	char why[128];
	int ret;

	why[0] = 0;
	ret = aeb_request_parse(d, n, &r, why, sizeof(why));
	if (ret == 0) {
		if (r.method != AEB_METHOD_SIZE && r.method != AEB_METHOD_EVIDENCE)
			abort();
		if (r.method == AEB_METHOD_SIZE && (r.evidence_size || r.has_mnonce))
			abort();
		reencode(&r);
	} else if ((ret != -EBADMSG && ret != -ENOENT) || !why[0] ||
		   strnlen(why, sizeof(why)) == sizeof(why)) {
		abort();
	}
}

static void responses(const struct ttrpc_header *h)
{
	uint8_t *f = NULL;
	size_t n = 0;
	Ttrpc__Response *resp = NULL;
	Aeb__RetrieveAttestationEvidenceSizeResponse *sr = NULL;
	struct ttrpc_header g;

	if (aeb_size_response(h->stream_id, h->length, h->stream_id ^ h->length, &f, &n) != 0)
		return;
	ttrpc_header_decode(f, &g);
	if (g.stream_id != h->stream_id || g.length != n - TTRPC_HEADER_LEN ||
	    g.type != TTRPC_RESPONSE || g.flags)
		abort();
	resp = ttrpc__response__unpack(NULL, n - TTRPC_HEADER_LEN, f + TTRPC_HEADER_LEN);
	if (!resp || !resp->status || resp->status->code != 0)
		abort();
	sr = aeb__retrieve_attestation_evidence_size_response__unpack(NULL, resp->payload.len,
								      resp->payload.data);
	if (!sr || sr->error_code != h->length || sr->evidence_size != (h->stream_id ^ h->length))
		abort();
	aeb__retrieve_attestation_evidence_size_response__free_unpacked(sr, NULL);
	ttrpc__response__free_unpacked(resp, NULL);
	free(f);
}

static int same_array(json_t *o, const char *key, const uint8_t *b, size_t n)
{
	json_t *a = json_object_get(o, key);

	if (json_array_size(a) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (json_integer_value(json_array_get(a, i)) != b[i])
			return 0;
	return 1;
}

static void evidence(const uint8_t *d)
{
	const uint8_t *rep = d, *cek = d + SEV_REPORT_LEN, *pek = cek + SEV_CERT_LEN,
		      *oca = pek + SEV_CERT_LEN;
	char *js = NULL;
	size_t n = 0;
	json_t *root, *r;

	if (aeb_evidence_json(rep, cek, pek, oca, (enum sev_gen)(d[0] % 7) - 1, &js, &n) != 0)
		return;
	root = json_loadb(js, n, JSON_REJECT_DUPLICATES, NULL);
	r = json_object_get(root, "report");
	if (json_object_size(root) != 5 || json_object_size(r) != 7 ||
	    !same_array(r, "monce", rep, 16) || !same_array(r, "launch_digest", rep + 16, 32) ||
	    !same_array(r, "sig1", rep + 64, 144) || !same_array(root, "cek", cek, SEV_CERT_LEN) ||
	    !same_array(root, "pek", pek, SEV_CERT_LEN) || !same_array(root, "oca", oca, SEV_CERT_LEN) ||
	    !json_is_string(json_object_get(root, "device_type")))
		abort();
	json_decref(root);
	free(js);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ttrpc_header h;
	uint8_t b[TTRPC_HEADER_LEN];

	one(data, size);
	if (size < TTRPC_HEADER_LEN)
		return 0;
	ttrpc_header_decode(data, &h);
	ttrpc_header_encode(&h, b);
	if (memcmp(b, data, TTRPC_HEADER_LEN) != 0)
		abort();
	if (ttrpc_header_check(&h, NULL, 0) == 0) {
		size_t n = size - TTRPC_HEADER_LEN;

		one(data + TTRPC_HEADER_LEN, h.length < n ? h.length : n);
	}
	responses(&h);
	if (size == SEV_REPORT_LEN + 3 * SEV_CERT_LEN)
		evidence(data);
	return 0;
}
