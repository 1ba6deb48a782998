// SPDX-License-Identifier: GPL-2.0-or-later
/* The platform and the store as status and check see them.  See status-read.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "cmd.h"
#include "lockwait.h"
#include "sev-store.h"
#include "status-read.h"
#include "store.h"
#include "table.h"
#include "util.h"
#include "snpcert.h"

/* Does KVM have the certificate exit?  libsnpcert's probe, as a VMM makes it. */
static void read_kvm(struct status_platform *p)
{
	int fd = open(STATUS_KVM_DEVICE, O_RDWR | O_CLOEXEC | O_NOCTTY);

	p->kvm_open_err = fd < 0 ? -errno : 0;
	p->kvm_req_certs = fd < 0 ? p->kvm_open_err : snpcert_kvm_probe(fd);
	if (fd >= 0)
		close(fd);
}

const char *status_kvm_req_certs(const struct status_platform *p)
{
	if (p->kvm_open_err)
		return "unknown";
	if (p->kvm_req_certs == 0)
		return "yes";
	if (p->kvm_req_certs == -ENXIO || p->kvm_req_certs == -EINVAL ||
	    p->kvm_req_certs == -ENOTTY)
		return "no";
	return "unknown";
}

/* The legacy SEV platform on the open device. */
static void read_legacy(struct status_platform *p, struct sev_dev *dev)
{
	struct sev_fault fault = { 0 };
	struct why why;
	char text[128];

	if (sev_status(dev, &p->legacy, &fault, &why)) {
		sev_error_text(fault.err, fault.fw, text, sizeof(text));
		snprintf(p->legacy_error, sizeof(p->legacy_error), "SEV_PLATFORM_STATUS failed: %s",
			 text);
		debug("%s", why.msg);
		return;
	}
	p->have_legacy = true;
}

/* The PEK the firmware exports (only asked for when there is a stored one to compare). */
static void read_fw_pek(struct status_platform *p)
{
	uint8_t *chain = malloc(3 * SEV_CERT_LEN), pdh[SEV_CERT_LEN];
	struct sev_fault fault = { 0 };
	struct sev_dev *dev = NULL;
	struct why why;
	char text[128];

	if (!chain) {
		snprintf(p->fw_pek_error, sizeof(p->fw_pek_error), "out of memory");
		goto out;
	}
	if (sev_open(p->path, false, &dev, &fault, &why) ||
	    sev_pdh_export(dev, pdh, chain, &fault, &why)) {
		if (fault.err == -EBADMSG) {
			snprintf(p->fw_pek_error, sizeof(p->fw_pek_error), "%s", why.msg);
		} else {
			sev_error_text(fault.err, fault.fw, text, sizeof(text));
			snprintf(p->fw_pek_error, sizeof(p->fw_pek_error),
				 "SEV_PDH_CERT_EXPORT failed: %s%s", text,
				 fault.err == -EPERM && p->legacy.state != SEV_STATE_INIT ?
					 " (read-only, it exports only in state init)" : "");
		}
		debug("%s", why.msg);
		goto out;
	}
	memcpy(p->fw_pek, chain, SEV_CERT_LEN);
	p->have_fw_pek = true;
out:
	sev_close(dev);
	free(chain);
}

void status_read_platform(struct status_platform *p, const char *product_override)
{
	struct sev_dev *dev = NULL;
	struct sev_fault fault = { 0 };
	struct why why;
	char text[128];
	int ret;

	p->kvm_amd = platform_module_state("kvm_amd");
	p->ccp = platform_module_state("ccp");
	p->sev_snp = platform_sev_snp_param();
	p->product = platform_product(product_override, &p->cpu, &p->source);
	p->have_cpu = p->cpu.vendor[0] != '\0';
	read_kvm(p);

	p->path = sev_device_path();
	ret = sev_open(p->path, false, &dev, &fault, &why);
	if (ret && (fault.err == -ENOENT || fault.err == -ENODEV || fault.err == -ENXIO)) {
		snprintf(p->error, sizeof(p->error), "%s", strerror(-fault.err));
		goto out;
	}
	p->present = true;
	if (ret) {
		snprintf(p->error, sizeof(p->error), "cannot open '%s': %s", p->path,
			 strerror(-fault.err));
		warn("%s", why.msg);
		goto out;
	}
	p->opened = true;
	ret = sev_platform_status(dev, &p->st, &fault, &why);
	if (ret) {
		sev_error_text(fault.err, fault.fw, text, sizeof(text));
		snprintf(p->error, sizeof(p->error), "SNP_PLATFORM_STATUS failed: %s", text);
		warn("%s", why.msg);
	} else {
		p->have_status = true;
	}
	ret = sev_get_id(dev, p->chip_id, &fault, &why);
	if (ret) {
		if (fault.err == -EBADMSG)
			snprintf(text, sizeof(text), "the firmware returned fewer than %d bytes",
				 SEV_CHIP_ID_LEN);
		else
			sev_error_text(fault.err, fault.fw, text, sizeof(text));
		snprintf(p->chip_id_error, sizeof(p->chip_id_error), "SEV_GET_ID2 failed: %s",
			 text);
		warn("SEV_GET_ID2 failed on '%s': %s", p->path, text);
	} else {
		static const uint8_t zero[SEV_CHIP_ID_LEN];

		/* A firmware masking the chip id may answer zeros. */
		if (memcmp(p->chip_id, zero, sizeof(zero)) == 0)
			p->chip_id_masked = true;
		else
			p->have_chip_id = true;
	}
	if (p->have_status && (p->st.features & SNP_FEATURE_MASK_CHIP_ID) && !p->have_chip_id)
		p->chip_id_masked = true;
	read_legacy(p, dev);
out:
	sev_close(dev);
}

const char *status_state_name(uint8_t state)
{
	switch (state) {
	case SNP_STATE_UNINIT:
		return "uninit";
	case SNP_STATE_INIT:
		return "init";
	}
	return "unknown";
}

void status_tcb_text(enum amd_product p, uint64_t raw, char *buf, size_t len)
{
	struct amd_tcb tcb;
	char spec[80];

	if (p == AMD_PRODUCT_UNKNOWN) {
		snprintf(buf, len, "0x%016llx (product unknown: not decoded)",
			 (unsigned long long)raw);
		return;
	}
	amd_tcb_from_raw(p, raw, &tcb);
	amd_tcb_format(p, &tcb, spec, sizeof(spec));
	snprintf(buf, len, "%s (0x%016llx)", spec, (unsigned long long)raw);
}

/* A TCB as the firmware reports it: decoded when the product is known. */
void status_tcb_json(struct jout *j, const char *key, enum amd_product p, uint64_t raw)
{
	struct amd_tcb tcb;

	amd_tcb_from_raw(p, raw, &tcb);
	jout_tcb(j, key, p, p == AMD_PRODUCT_UNKNOWN ? NULL : &tcb, raw);
}

/*
 * The certificate of t that expires first, and the first of each kind
 * (entries that are no certificate: passed over).
 */
static void first_expiry(const struct table *t, struct status_table *ts)
{
	for (size_t i = 0; i < t->n; i++) {
		struct amd_cert_info info;
		X509 *x = NULL;
		int ret;

		if (amd_cert_load(t->items[i].data, t->items[i].len, &x) < 0)
			continue;
		ret = amd_cert_info(x, &info);
		X509_free(x);
		if (ret < 0)
			continue;
		if (!ts->has_expiry || info.not_after < ts->not_after) {
			ts->has_expiry = true;
			ts->not_after = info.not_after;
			ts->expiry_kind = info.kind;
		}
		if (info.kind > AMD_CERT_UNKNOWN && info.kind <= AMD_CERT_VLEK &&
		    (!ts->has_not_after[info.kind] ||
		     info.not_after < ts->cert_not_after[info.kind])) {
			ts->has_not_after[info.kind] = true;
			ts->cert_not_after[info.kind] = info.not_after;
		}
	}
}

/*
 * What a VMM reads is not all there is to say about a table: one that
 * others may write is refused by every writer (and anyone who can write it
 * can change its certificates), and a table may have an interrupted
 * update pending in its journal.  Said over or after ts's verdict.
 */
static void __attribute__((format(printf, 2, 3))) detail_set(struct status_table *ts,
								const char *fmt, ...)
{
	char d[sizeof(ts->detail)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d, sizeof(d), fmt, ap); /* may name the old detail */
	va_end(ap);
	memcpy(ts->detail, d, sizeof(d));
}

static void caveats(struct status_table *ts)
{
	char reason[128];
	struct stat st;

	if (lstat(ts->path, &st) == 0 && S_ISREG(st.st_mode) &&
	    sc_trust_check(&st, reason, sizeof(reason)) < 0) {
		detail_set(ts, "%s: writers refuse it, and whoever can write it can change its "
			   "certificates (as read: %s: %s)", reason, ts->status, ts->detail);
		ts->status = "untrusted";
	}
	if (strcmp(ts->status, "interrupted") != 0 && ts->interrupted)
		detail_set(ts, "%s; an interrupted update is pending: 'snp-certctl recover' "
			   "completes it", ts->detail);
}

/* Judge one table against the platform (read as a VMM does, by the deadline d).  0 or -ENOMEM. */
static int judge(const struct status_platform *p, struct status_table *ts,
		 const struct sc_deadline *d)
{
	const struct amd_cert_info *in = &ts->info;
	struct table t = { 0 };
	struct ghcb_diag diag;
	struct amd_tcb rep;
	uint8_t *blob = NULL;
	size_t len = 0;
	char a[80], b[80];
	struct why why;
	int ret;

	ret = lockwait_read_table(ts->path, d, GHCB_PARSE_LIMIT, &blob, &len, &why);
	ts->interrupted = cmd_interrupted(ts->path);
	if (ret == -ERR_LOCK) {
		ts->status = "busy";
		snprintf(ts->detail, sizeof(ts->detail), "%s", why.msg);
		ret = 0;
		goto out;
	}
	if (ret == -EFBIG) {
		ts->status = "malformed";
		snprintf(ts->detail, sizeof(ts->detail), "larger than %u MiB",
			 GHCB_PARSE_LIMIT / (1024 * 1024));
		ret = 0;
		goto out;
	}
	if (ret < 0) {
		ts->status = "unreadable";
		snprintf(ts->detail, sizeof(ts->detail), "%s", -ret < ERR_BASE ? strerror(-ret) :
			 why.msg);
		ret = ret == -ENOMEM ? ret : 0;
		goto out;
	}
	ret = table_from_blob(blob, len, GHCB_ALLOW_LARGE, &t, &diag);
	if (ret == -ENOMEM)
		goto out;
	if (ret < 0 && ts->interrupted) {
		ts->status = "interrupted";
		snprintf(ts->detail, sizeof(ts->detail), "an update was interrupted: 'snp-certctl "
			 "recover' (or the next refresh) completes it");
		ret = 0;
		goto out;
	}
	if (ret < 0) {
		ts->status = "malformed";
		snprintf(ts->detail, sizeof(ts->detail), "at byte %zu: %s", diag.offset,
			 ghcb_strerror(diag.code));
		ret = 0;
		goto out;
	}
	first_expiry(&t, ts);
	ts->vlek = !table_find(&t, GHCB_KIND_VCEK) && table_find(&t, GHCB_KIND_VLEK);
	ret = table_endorsement_key(&t, &ts->info);
	if (ret == -ENOENT) {
		ts->status = "no-key";
		snprintf(ts->detail, sizeof(ts->detail), "neither a VCEK nor a VLEK entry");
		ret = 0;
		goto out;
	}
	if (ret == -ENOMEM)
		goto out;
	if (ret < 0 || in->product == AMD_PRODUCT_UNKNOWN || !in->has_tcb) {
		ts->status = "malformed";
		snprintf(ts->detail, sizeof(ts->detail), "the %s is not a valid %s certificate",
			 ts->vlek ? "VLEK" : "VCEK", ts->vlek ? "VLEK" : "VCEK");
		ret = 0;
		goto out;
	}
	ts->has_key = true;
	ret = 0;
	if (!ts->vlek && !in->has_hwid) {
		ts->status = "malformed";
		snprintf(ts->detail, sizeof(ts->detail), "the VCEK has no hwID extension");
		goto out;
	}
	if (!p->have_status) {
		ts->status = "unknown";
		snprintf(ts->detail, sizeof(ts->detail), "the platform status is not available");
		goto out;
	}
	if (p->product != AMD_PRODUCT_UNKNOWN && in->product != p->product) {
		ts->status = "product-mismatch";
		snprintf(ts->detail, sizeof(ts->detail), "a %s key, the platform is %s",
			 amd_product_name(in->product), amd_product_name(p->product));
		goto out;
	}
	amd_tcb_format(in->product, &in->tcb, a, sizeof(a));
	amd_tcb_from_raw(in->product, p->st.reported_tcb, &rep);
	amd_tcb_format(in->product, &rep, b, sizeof(b));
	if (!ts->vlek) {
		if (!p->have_chip_id) {
			ts->status = "unknown";
			snprintf(ts->detail, sizeof(ts->detail), "TCB %s; chip id %s, not compared",
				 amd_tcb_equal(in->product, &rep, &in->tcb) ? "matches" : "differs",
				 p->chip_id_masked ? "masked" : "unavailable");
			goto out;
		}
		if (amd_vcek_match(in, in->product, p->chip_id, sizeof(p->chip_id), NULL, NULL,
				   0) != 0) {
			ts->status = "chip-mismatch";
			snprintf(ts->detail, sizeof(ts->detail), "the VCEK is for another chip%s",
				 amd_tcb_equal(in->product, &rep, &in->tcb) ? "" :
									       " and another TCB");
			goto out;
		}
	}
	if (!amd_tcb_equal(in->product, &rep, &in->tcb)) {
		ts->status = "tcb-mismatch";
		snprintf(ts->detail, sizeof(ts->detail), "key %s, reported %s", a, b);
		goto out;
	}
	if (ts->vlek) {
		ts->status = "vlek";
		snprintf(ts->detail, sizeof(ts->detail), "VLEK for the reported TCB %s%s", a,
			 (p->st.features & SNP_FEATURE_VLEK_EN) ?
				 "" : "; no VLEK is loaded in the firmware");
	} else {
		ts->status = "match";
		snprintf(ts->detail, sizeof(ts->detail),
			 "VCEK for the reported TCB %s and this chip", a);
	}
out:
	if (ret == 0)
		caveats(ts);
	table_free(&t);
	free(blob);
	return ret;
}

/* An entry of the store that is not a table: said and counted. */
static void count_unmanaged(void *arg, const char *dir, const char *name, int error)
{
	if (error)
		return; /* store_list() fails with it */
	store_warn_unmanaged(dir, name);
	(*(size_t *)arg)++;
}

int status_read_store(struct status_store *s, const char *dir, const struct status_platform *p,
		      double lock_timeout)
{
	char **names = NULL;
	struct sc_deadline d;
	size_t n = 0;
	int ret;

	memset(s, 0, sizeof(*s));
	s->path = dir;
	/* One lock timeout for the whole store: quick even when a writer is stuck. */
	sc_deadline_init(&d, lock_timeout);
	ret = store_list(dir, &names, &n, count_unmanaged, &s->unmanaged);
	if (ret == -ENOMEM)
		return cmd_oom(), -ENOMEM;
	if (ret < 0) {
		/* A store not created yet is not an error for status. */
		s->list_error = ret;
		s->error = strerror(-ret);
		if (ret != -ENOENT)
			warn("cannot read the store '%s': %s", dir, s->error);
		n = 0;
	}
	s->v = calloc(n ? n : 1, sizeof(*s->v));
	if (!s->v) {
		store_free(names, n);
		return cmd_oom(), -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		s->v[i].name = names[i];
		names[i] = NULL;
		s->n = i + 1;
		if (asprintf(&s->v[i].path, "%s/%s", dir, s->v[i].name) < 0)
			s->v[i].path = NULL;
		if (!s->v[i].path || judge(p, &s->v[i], &d) < 0) {
			store_free(names, n);
			return cmd_oom(), -ENOMEM;
		}
	}
	store_free(names, n);
	return 0;
}

void status_store_free(struct status_store *s)
{
	for (size_t i = 0; s->v && i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].path);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

const char *status_sev_state_name(uint8_t state)
{
	switch (state) {
	case SEV_STATE_UNINIT:
		return "uninit";
	case SEV_STATE_INIT:
		return "init";
	case SEV_STATE_WORKING:
		return "working";
	}
	return "unknown";
}

/* Bytes 0x008-0x413 of a SEV certificate: usage, algorithm and key. */
#define SEV_KEY_OFF 0x008u

/* A stored PEK (parsed) against the one the firmware exports, by key. */
static void judge_pek(struct status_platform *p, const uint8_t *stored)
{
	if (p->have_legacy)
		read_fw_pek(p);
	if (!p->have_fw_pek) {
		p->sev_chain = "unknown";
		snprintf(p->sev_chain_detail, sizeof(p->sev_chain_detail), "%s",
			 !p->present ? "no SEV device" : !p->have_legacy ?
			 (p->legacy_error[0] ? p->legacy_error : "no legacy SEV platform") :
			 p->fw_pek_error);
	} else if (memcmp(stored + SEV_KEY_OFF, p->fw_pek + SEV_KEY_OFF,
			  SEV_CERT_SIGNED_LEN - SEV_KEY_OFF) == 0) {
		p->sev_chain = "match";
		snprintf(p->sev_chain_detail, sizeof(p->sev_chain_detail),
			 "the stored PEK is the firmware's");
	} else {
		p->sev_chain = "mismatch";
		snprintf(p->sev_chain_detail, sizeof(p->sev_chain_detail),
			 "the stored PEK is not the firmware's (a new PEK or OCA?): export the "
			 "chain again");
	}
}

int status_read_sev_chain(struct status_platform *p, const char *dir)
{
	struct sev_cert stored;
	struct sev_diag d;
	uint8_t *buf = NULL;
	size_t len = 0;
	char text[96];
	int r;

	snprintf(p->sev_chain_path, sizeof(p->sev_chain_path), "%s/%s", dir,
		 sev_file_name(SEV_FILE_PEK));
	r = read_file(p->sev_chain_path, SEV_CERT_LEN, &buf, &len);
	if (r == -ENOMEM)
		return -ENOMEM;
	if (r == -ENOENT) {
		p->sev_chain = "absent";
		snprintf(p->sev_chain_detail, sizeof(p->sev_chain_detail), "no stored chain");
	} else if (r < 0) {
		p->sev_chain = "unreadable";
		snprintf(p->sev_chain_detail, sizeof(p->sev_chain_detail), "%s",
			 r == -EFBIG ? "larger than a SEV certificate" :
			 r == -ERR_REFUSED ? "not a regular file" : strerror(-r));
	} else if (sev_cert_parse(buf, len, &stored, &d) < 0) {
		sev_diag_text(&d, text, sizeof(text));
		p->sev_chain = "malformed";
		snprintf(p->sev_chain_detail, sizeof(p->sev_chain_detail),
			 "the stored PEK is not a SEV certificate: %s", text);
	} else if (stored.usage != SEV_USAGE_PEK) {
		p->sev_chain = "malformed";
		snprintf(p->sev_chain_detail, sizeof(p->sev_chain_detail),
			 "the stored PEK certificate holds a %s key", sev_usage_name(stored.usage));
	} else {
		judge_pek(p, buf);
	}
	free(buf);
	return 0;
}

int status_read(const struct ctx *ctx, struct status_platform *p, struct status_store *s)
{
	char *dir;
	int r;

	status_read_platform(p, ctx_get(ctx, SET_PRODUCT));
	dir = sev_store_dir(ctx, NULL);
	r = dir ? status_read_sev_chain(p, dir) : -ENOMEM;
	free(dir);
	if (r < 0) {
		*s = (struct status_store){ 0 };
		err("out of memory");
		return r;
	}
	return status_read_store(s, ctx_get(ctx, SET_STORE), p, ctx->lock_timeout);
}
