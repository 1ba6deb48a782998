// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The AEB wire codec (formats/aeb.h, formats/aeb-protocol.md): ttrpc frame
 * headers, the protobuf envelope and AEB messages through protobuf-c, and
 * the evidence JSON written by hand (its layout is fixed, and the librats
 * client's serde wants exactly these keys).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "aeb.h"
#include "aeb.pb-c.h"
#include "ttrpc.pb-c.h"

#define METHOD_SIZE "RetrieveAttestationEvidenceSize"
#define METHOD_EVIDENCE "RetrieveAttestationEvidence"

static void put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t get_le32(const uint8_t *b)
{
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

void ttrpc_header_decode(const uint8_t b[TTRPC_HEADER_LEN], struct ttrpc_header *h)
{
	h->length = get_be32(b);
	h->stream_id = get_be32(b + 4);
	h->type = b[8];
	h->flags = b[9];
}

void ttrpc_header_encode(const struct ttrpc_header *h, uint8_t b[TTRPC_HEADER_LEN])
{
	put_be32(b, h->length);
	put_be32(b + 4, h->stream_id);
	b[8] = h->type;
	b[9] = h->flags;
}

__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

int ttrpc_header_check(const struct ttrpc_header *h, char *why, size_t whylen)
{
	if (h->type != TTRPC_REQUEST) {
		say(why, whylen, "frame type %u is not a request", h->type);
		return -EBADMSG;
	}
	if (h->flags != 0) {
		say(why, whylen, "request flags 0x%02x are not 0 (only unary calls)", h->flags);
		return -EBADMSG;
	}
	if (h->length > AEB_MAX_REQUEST) {
		say(why, whylen, "request of %u bytes is over the limit of %u", h->length,
		    AEB_MAX_REQUEST);
		return -EBADMSG;
	}
	return 0;
}

/*
 * protobuf-c's allocator, which remembers a failure: unpack returns NULL
 * both for a malformed message and for a failed allocation.
 */
struct pb_alloc {
	ProtobufCAllocator a;
	bool failed;
};

static void *pb_alloc(void *data, size_t size)
{
	struct pb_alloc *p = data;
	void *m = malloc(size ? size : 1);

	if (!m)
		p->failed = true;
	return m;
}

static void pb_free(void *data, void *m)
{
	(void)data;
	free(m);
}

/* A name from the peer, safe to print: printable ASCII, at most 64 characters. */
static void printable(const char *s, char out[68])
{
	size_t i;

	for (i = 0; s[i] && i < 64; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i])
		out[i++] = '.', out[i++] = '.', out[i++] = '.';
	out[i] = 0;
}

int aeb_request_parse(const uint8_t *data, size_t len, struct aeb_request *out, char *why,
		      size_t whylen)
{
	static const uint8_t empty[1];
	struct pb_alloc al = { { pb_alloc, pb_free, NULL }, false };
	Ttrpc__Request *req = NULL;
	Aeb__RetrieveAttestationEvidenceSizeRequest *sreq = NULL;
	Aeb__RetrieveAttestationEvidenceRequest *ereq = NULL;
	char name[68];
	int ret;

	al.a.allocator_data = &al;
	memset(out, 0, sizeof(*out));
	if (len > AEB_MAX_REQUEST) {
		say(why, whylen, "request of %zu bytes is over the limit of %u", len,
		    AEB_MAX_REQUEST);
		return -EBADMSG;
	}
	if (!data)
		data = empty;
	req = ttrpc__request__unpack(&al.a, len, data);
	if (!req) {
		ret = al.failed ? -ENOMEM : -EBADMSG;
		say(why, whylen, "%s", al.failed ? "out of memory" : "malformed ttrpc request");
		goto out;
	}
	if (strcmp(req->service, "aeb.Aeb") != 0 && strcmp(req->service, "aeb.AEB") != 0) {
		printable(req->service, name);
		say(why, whylen, "unknown service '%s'", name);
		ret = -ENOENT;
		goto out;
	}
	if (strcmp(req->method, METHOD_SIZE) == 0) {
		out->method = AEB_METHOD_SIZE;
		sreq = aeb__retrieve_attestation_evidence_size_request__unpack(
			&al.a, req->payload.len, req->payload.len ? req->payload.data : empty);
		if (!sreq) {
			ret = al.failed ? -ENOMEM : -EBADMSG;
			say(why, whylen, "%s",
			    al.failed ? "out of memory" : "malformed " METHOD_SIZE " request");
			goto out;
		}
		out->guest_handle = sreq->guest_handle;
	} else if (strcmp(req->method, METHOD_EVIDENCE) == 0) {
		out->method = AEB_METHOD_EVIDENCE;
		ereq = aeb__retrieve_attestation_evidence_request__unpack(
			&al.a, req->payload.len, req->payload.len ? req->payload.data : empty);
		if (!ereq) {
			ret = al.failed ? -ENOMEM : -EBADMSG;
			say(why, whylen, "%s",
			    al.failed ? "out of memory" : "malformed " METHOD_EVIDENCE " request");
			goto out;
		}
		if (ereq->mnonce.len != 0 && ereq->mnonce.len != AEB_MNONCE_LEN) {
			say(why, whylen, "mnonce of %zu bytes, not %u", ereq->mnonce.len,
			    AEB_MNONCE_LEN);
			ret = -EBADMSG;
			goto out;
		}
		out->guest_handle = ereq->guest_handle;
		out->evidence_size = ereq->evidence_size;
		if (ereq->mnonce.len) {
			out->has_mnonce = true;
			memcpy(out->mnonce, ereq->mnonce.data, AEB_MNONCE_LEN);
		}
	} else {
		printable(req->method, name);
		say(why, whylen, "unknown method '%s'", name);
		ret = -ENOENT;
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	if (ereq)
		aeb__retrieve_attestation_evidence_request__free_unpacked(ereq, &al.a);
	if (sreq)
		aeb__retrieve_attestation_evidence_size_request__free_unpacked(sreq, &al.a);
	if (req)
		ttrpc__request__free_unpacked(req, &al.a);
	return ret;
}

/*
 * A response frame around the payload (already packed, may be empty) and
 * the status: header, then Response{status, payload}.
 */
static int frame_response(uint32_t stream_id, int32_t code, const char *message,
			  const uint8_t *payload, size_t payload_len, uint8_t **frame, size_t *len)
{
	Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
	Ttrpc__Status status = TTRPC__STATUS__INIT;
	struct ttrpc_header h = { 0, stream_id, TTRPC_RESPONSE, 0 };
	uint8_t *buf = NULL;
	size_t n;

	*frame = NULL;
	*len = 0;
	status.code = code;
	/* protobuf-c packs a string only when it is not the default "". */
	if (message)
		status.message = (char *)message;
	resp.status = &status;
	resp.payload.data = (uint8_t *)payload;
	resp.payload.len = payload_len;
	if (payload_len > TTRPC_MAX_DATA || (message && strlen(message) > TTRPC_MAX_DATA))
		return -EINVAL;
	n = ttrpc__response__get_packed_size(&resp);
	if (n > TTRPC_MAX_DATA)
		return -EINVAL;
	buf = malloc(TTRPC_HEADER_LEN + n);
	if (!buf)
		return -ENOMEM;
	h.length = (uint32_t)n;
	ttrpc_header_encode(&h, buf);
	if (ttrpc__response__pack(&resp, buf + TTRPC_HEADER_LEN) != n) {
		free(buf);
		return -EINVAL;
	}
	*frame = buf;
	*len = TTRPC_HEADER_LEN + n;
	return 0;
}

int aeb_size_response(uint32_t stream_id, uint32_t error_code, uint32_t evidence_size,
		      uint8_t **frame, size_t *len)
{
	Aeb__RetrieveAttestationEvidenceSizeResponse r =
		AEB__RETRIEVE_ATTESTATION_EVIDENCE_SIZE_RESPONSE__INIT;
	uint8_t buf[16];
	size_t n;

	r.error_code = error_code;
	r.evidence_size = evidence_size;
	n = aeb__retrieve_attestation_evidence_size_response__get_packed_size(&r);
	if (n > sizeof(buf))
		return -EINVAL;
	aeb__retrieve_attestation_evidence_size_response__pack(&r, buf);
	return frame_response(stream_id, TTRPC_CODE_OK, NULL, buf, n, frame, len);
}

int aeb_evidence_response(uint32_t stream_id, uint32_t error_code, const char *evidence,
			  size_t evidence_len, uint8_t **frame, size_t *len)
{
	Aeb__RetrieveAttestationEvidenceResponse r =
		AEB__RETRIEVE_ATTESTATION_EVIDENCE_RESPONSE__INIT;
	uint8_t *buf = NULL;
	size_t n;
	int ret;

	*frame = NULL;
	*len = 0;
	if ((!evidence && evidence_len) || evidence_len > TTRPC_MAX_DATA)
		return -EINVAL;
	r.error_code = error_code;
	r.evidence_size = AEB_EVIDENCE_SIZE;
	r.evidence.data = (uint8_t *)evidence;
	r.evidence.len = evidence_len;
	n = aeb__retrieve_attestation_evidence_response__get_packed_size(&r);
	if (n > TTRPC_MAX_DATA)
		return -EINVAL;
	buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	aeb__retrieve_attestation_evidence_response__pack(&r, buf);
	ret = frame_response(stream_id, TTRPC_CODE_OK, NULL, buf, n, frame, len);
	free(buf);
	return ret;
}

int ttrpc_status_response(uint32_t stream_id, int32_t code, const char *message, uint8_t **frame,
			  size_t *len)
{
	return frame_response(stream_id, code, message, NULL, 0, frame, len);
}

const char *aeb_device_type(enum sev_gen gen)
{
	switch (gen) {
	case SEV_GEN_NAPLES:
		return "AmdNaples";
	case SEV_GEN_ROME:
		return "AmdRome";
	case SEV_GEN_MILAN:
		return "AmdMilan";
	default:
		return "Unknown";
	}
}

/* The JSON being written: a buffer sized for the worst case up front. */
struct jbuf {
	char *p;
	size_t len;
};

static void jraw(struct jbuf *j, const char *s)
{
	size_t n = strlen(s);

	memcpy(j->p + j->len, s, n);
	j->len += n;
}

static void jbytes(struct jbuf *j, const char *key, const uint8_t *b, size_t n)
{
	jraw(j, key);
	j->p[j->len++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			j->p[j->len++] = ',';
		if (b[i] >= 100)
			j->p[j->len++] = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			j->p[j->len++] = (char)('0' + b[i] / 10 % 10);
		j->p[j->len++] = (char)('0' + b[i] % 10);
	}
	j->p[j->len++] = ']';
}

static void jnum(struct jbuf *j, const char *key, uint32_t v)
{
	jraw(j, key);
	j->len += (size_t)sprintf(j->p + j->len, "%u", v);
}

int aeb_evidence_json(const uint8_t *report, const uint8_t *cek, const uint8_t *pek,
		      const uint8_t *oca, enum sev_gen gen, char **json, size_t *len)
{
	/* Every byte at most "255," and the keys, numbers and braces well below 512. */
	size_t cap = 4 * (SEV_REPORT_LEN + 3 * SEV_CERT_LEN) + 512;
	struct jbuf j = { NULL, 0 };

	*json = NULL;
	*len = 0;
	if (!report || !cek || !pek || !oca)
		return -EINVAL;
	j.p = malloc(cap);
	if (!j.p)
		return -ENOMEM;
	jbytes(&j, "{\"report\":{\"monce\":", report, 16);
	jbytes(&j, ",\"launch_digest\":", report + 0x10, 32);
	jnum(&j, ",\"policy\":", get_le32(report + 0x30));
	jnum(&j, ",\"sig_usage\":", get_le32(report + 0x34));
	jnum(&j, ",\"sig_algo\":", get_le32(report + 0x38));
	jnum(&j, ",\"reserved\":", get_le32(report + 0x3c));
	jbytes(&j, ",\"sig1\":", report + 0x40, 144);
	jbytes(&j, "},\"cek\":", cek, SEV_CERT_LEN);
	jbytes(&j, ",\"pek\":", pek, SEV_CERT_LEN);
	jbytes(&j, ",\"oca\":", oca, SEV_CERT_LEN);
	jraw(&j, ",\"device_type\":\"");
	jraw(&j, aeb_device_type(gen));
	jraw(&j, "\"}");
	j.p[j.len] = 0;
	*json = j.p;
	*len = j.len;
	return 0;
}
