// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * status: the SEV device, the modules, the firmware's view of the platform
 * (SNP_PLATFORM_STATUS, SEV_GET_ID2) and, for every table in the store,
 * whether its endorsement key is the one the firmware signs reports with.
 * Read-only: the device is opened O_RDONLY and no lock is taken.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "amdcert.h"
#include "cmd.h"
#include "json.h"
#include "platform.h"
#include "sev.h"
#include "lockwait.h"
#include "snpcert.h"
#include "store.h"
#include "table.h"
#include "util.h"

static const char usage[] =
	"Usage: snp-certctl status [--product P] [--json]\n"
	"\n"
	"Report the SEV device (" DEFAULT_DEVICE ", or $SNP_CERTCTL_DEVICE), the kvm_amd\n"
	"and ccp modules and kvm_amd's sev_snp parameter, the firmware's API version,\n"
	"build, state, current and reported TCB, chip id, VLEK and guest count, and for\n"
	"every table in the store whether its endorsement key matches the reported TCB\n"
	"and chip:\n"
	"\n"
	"  match             a VCEK for the reported TCB and this chip\n"
	"  vlek              a VLEK for the reported TCB (a VLEK has no chip id)\n"
	"  tcb-mismatch      the key is for another TCB: refresh the table\n"
	"  chip-mismatch     the key is for another chip\n"
	"  product-mismatch  the key is for another product than this platform\n"
	"  no-key            the table holds neither a VCEK nor a VLEK\n"
	"  malformed         the table or its key cannot be decoded\n"
	"  unreadable        the file cannot be read\n"
	"  busy              a writer held the table's lock past the lock timeout\n"
	"  interrupted       an update was cut short: recover (or refresh) completes it\n"
	"  unknown           the platform (or its chip id) could not be read\n"
	"\n"
	"Exits 0 whenever it could report, also without an SEV device or when a\n"
	"firmware command failed (that is reported, and warned about on stderr).\n"
	"TCBs are decoded in the layout of the product (CPUID, or the product setting).\n"
	"\n"
	"      --product P       decode as Milan, Genoa or Turin instead of detecting it\n"
	"      --json            one JSON document on stdout:\n"
	"  {\"sev\": {\"device\", \"present\", \"error\", \"api_major\", \"api_minor\",\n"
	"           \"build_id\", \"state\" (\"uninit\"|\"init\"|\"unknown\"), \"state_code\",\n"
	"           \"rmp_initialized\", \"current_tcb\", \"reported_tcb\", \"chip_id\",\n"
	"           \"chip_id_error\", \"mask_chip_id\", \"mask_chip_key\", \"vlek_loaded\",\n"
	"           \"guest_count\"},\n"
	"   \"modules\": {\"kvm_amd\": {\"state\", \"sev_snp\"}, \"ccp\": {\"state\"}},\n"
	"   \"product\", \"product_source\" (\"cpuid\"|\"setting\"|\"none\"),\n"
	"   \"cpu\": {\"vendor\", \"family\", \"model\", \"stepping\"},\n"
	"   \"store\": {\"path\", \"error\", \"unmanaged\", \"tables\": [{\"file\", \"path\",\n"
	"             \"status\",\n"
	"             \"detail\", \"key\" (\"vcek\"|\"vlek\"), \"product\", \"tcb\",\n"
	"             \"hwid\"}]}}\n"
	"  A TCB is {\"bl\", \"tee\", \"snp\", \"ucode\", \"fmc\" (Turin), \"raw\": \"0x...\"}\n"
	"  (only \"raw\" when the product is unknown).  Module states: loaded, builtin,\n"
	"  coming, going, absent, unknown; sev_snp is true, false or null (unknown).\n"
	"  chip_id is lowercase hex, or null when masked or unreadable; \"error\" and\n"
	"  \"chip_id_error\" appear only when something failed.\n";

/* What the host and firmware said. */
struct plat {
	const char *path;
	bool present;                /* the device exists */
	char error[192];             /* opening it or SNP_PLATFORM_STATUS failed */
	bool have_status;
	struct snp_platform_status st;
	bool have_chip_id;           /* read, and not all zeros */
	bool chip_id_masked;
	uint8_t chip_id[SEV_CHIP_ID_LEN];
	char chip_id_error[192];
	enum module_state kvm_amd, ccp;
	enum tristate sev_snp;
	enum amd_product product;
	enum platform_source source;
	struct platform_cpu cpu;
	bool have_cpu;
};

/* What one table says. */
struct tstat {
	char *name;
	char *path;
	const char *status;
	char detail[WHY_MAX];
	bool has_key;
	bool vlek;
	struct amd_cert_info info;
};

static void read_platform(struct plat *p, const char *product_override)
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
out:
	sev_close(dev);
}

static const char *state_name(uint8_t state)
{
	switch (state) {
	case SNP_STATE_UNINIT:
		return "uninit";
	case SNP_STATE_INIT:
		return "init";
	}
	return "unknown";
}

static void tcb_text(enum amd_product p, uint64_t raw, char *buf, size_t len)
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
static void tcb_json(struct json *j, const char *key, enum amd_product p, uint64_t raw)
{
	struct amd_tcb tcb;

	amd_tcb_from_raw(p, raw, &tcb);
	json_tcb(j, key, p, p == AMD_PRODUCT_UNKNOWN ? NULL : &tcb, raw);
}

/* Judge one table against the platform (read as a VMM does, by the deadline d).  0 or -ENOMEM. */
static int judge(const struct plat *p, struct tstat *ts, const struct sc_deadline *d)
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
	if (ret < 0 && cmd_interrupted(ts->path)) {
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
	table_free(&t);
	free(blob);
	return ret;
}

/* ---- output ----------------------------------------------------------------- */

#define LABEL "%-16s"

static void print_text(const struct plat *p, const char *store, const char *store_error,
		       size_t unmanaged,
		       const struct tstat *v, size_t n)
{
	const struct snp_platform_status *st = &p->st;
	char buf[256], hex[2 * SEV_CHIP_ID_LEN + 1];

	if (!p->present)
		tprintf(LABEL "%s: absent (%s)\n", "SEV device", p->path, p->error);
	else
		tprintf(LABEL "%s: present\n", "SEV device", p->path);
	tprintf(LABEL "%s\n", "kvm_amd", platform_module_state_name(p->kvm_amd));
	tprintf(LABEL "%s\n", "sev_snp",
	       p->sev_snp == TRI_YES ? "Y" : p->sev_snp == TRI_NO ? "N" : "unknown");
	tprintf(LABEL "%s\n", "ccp", platform_module_state_name(p->ccp));
	if (p->product == AMD_PRODUCT_UNKNOWN && p->have_cpu)
		tprintf(LABEL "unknown (CPU %s family 0x%x model 0x%x)\n", "product", p->cpu.vendor,
		       p->cpu.family, p->cpu.model);
	else if (p->product == AMD_PRODUCT_UNKNOWN)
		tprintf(LABEL "unknown\n", "product");
	else if (p->source == PLATFORM_SOURCE_SETTING)
		tprintf(LABEL "%s (from the product setting)\n", "product",
		       amd_product_name(p->product));
	else
		tprintf(LABEL "%s (CPU family 0x%x model 0x%x)\n", "product",
		       amd_product_name(p->product), p->cpu.family, p->cpu.model);
	if (p->present && !p->have_status)
		tprintf(LABEL "not available: %s\n", "firmware", p->error);
	if (p->have_status) {
		tprintf(LABEL "API %u.%u, build %u\n", "firmware", st->api_major, st->api_minor,
		       st->build_id);
		tprintf(LABEL "%s, RMP %sinitialized\n", "platform state", state_name(st->state),
		       st->rmp & SNP_RMP_INITIALIZED ? "" : "not ");
		tcb_text(p->product, st->current_tcb, buf, sizeof(buf));
		tprintf(LABEL "%s\n", "current TCB", buf);
		tcb_text(p->product, st->reported_tcb, buf, sizeof(buf));
		tprintf(LABEL "%s\n", "reported TCB", buf);
	}
	if (p->present && p->have_chip_id) {
		format_hex(p->chip_id, sizeof(p->chip_id), hex);
		tprintf(LABEL "%s%s\n", "chip id", hex,
		       p->have_status && (st->features & SNP_FEATURE_MASK_CHIP_ID) ?
			       " (masked in attestation reports)" : "");
	} else if (p->chip_id_masked) {
		tprintf(LABEL "masked\n", "chip id");
	} else if (p->present && p->chip_id_error[0]) {
		tprintf(LABEL "not available: %s\n", "chip id", p->chip_id_error);
	}
	if (p->have_status) {
		tprintf(LABEL "chip id %s, chip key %s\n", "masks",
		       st->features & SNP_FEATURE_MASK_CHIP_ID ? "masked" : "not masked",
		       st->features & SNP_FEATURE_MASK_CHIP_KEY ? "masked" : "not masked");
		tprintf(LABEL "%s\n", "VLEK",
		       st->features & SNP_FEATURE_VLEK_EN ? "loaded" : "not loaded");
		tprintf(LABEL "%u\n", "guests", st->guest_count);
	}
	if (store_error) {
		tprintf(LABEL "%s: %s\n", "store", store, store_error);
		return;
	}
	if (unmanaged)
		tprintf(LABEL "%s: %zu %s, %zu not managed (not regular files)\n", "store", store,
			n, n == 1 ? "table" : "tables", unmanaged);
	else
		tprintf(LABEL "%s: %zu %s\n", "store", store, n, n == 1 ? "table" : "tables");
	for (size_t i = 0; i < n; i++)
		tprintf("  %-30s %-16s %s\n", v[i].name, v[i].status, v[i].detail);
}

static void print_json(const struct plat *p, const char *store, const char *store_error,
		       size_t unmanaged,
		       const struct tstat *v, size_t n)
{
	const struct snp_platform_status *st = &p->st;
	char hex[2 * AMD_HWID_MAX + 1], ver[16];
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);

	json_object_begin(&j, "sev");
	json_string(&j, "device", p->path);
	json_bool(&j, "present", p->present);
	if (p->error[0] && p->present)
		json_string(&j, "error", p->error);
	if (p->have_status) {
		json_uint(&j, "api_major", st->api_major);
		json_uint(&j, "api_minor", st->api_minor);
		snprintf(ver, sizeof(ver), "%u.%u", st->api_major, st->api_minor);
		json_string(&j, "api_version", ver);
		json_uint(&j, "build_id", st->build_id);
		json_string(&j, "state", state_name(st->state));
		json_uint(&j, "state_code", st->state);
		json_bool(&j, "rmp_initialized", st->rmp & SNP_RMP_INITIALIZED);
		tcb_json(&j, "current_tcb", p->product, st->current_tcb);
		tcb_json(&j, "reported_tcb", p->product, st->reported_tcb);
	}
	if (p->present) {
		if (p->have_chip_id) {
			format_hex(p->chip_id, sizeof(p->chip_id), hex);
			json_string(&j, "chip_id", hex);
		} else {
			json_string(&j, "chip_id", NULL);
		}
		if (p->chip_id_error[0])
			json_string(&j, "chip_id_error", p->chip_id_error);
	}
	if (p->have_status) {
		json_bool(&j, "mask_chip_id", st->features & SNP_FEATURE_MASK_CHIP_ID);
		json_bool(&j, "mask_chip_key", st->features & SNP_FEATURE_MASK_CHIP_KEY);
		json_bool(&j, "vlek_loaded", st->features & SNP_FEATURE_VLEK_EN);
		json_uint(&j, "guest_count", st->guest_count);
	}
	json_object_end(&j);

	json_object_begin(&j, "modules");
	json_object_begin(&j, "kvm_amd");
	json_string(&j, "state", platform_module_state_name(p->kvm_amd));
	if (p->sev_snp == TRI_UNKNOWN)
		json_string(&j, "sev_snp", NULL);
	else
		json_bool(&j, "sev_snp", p->sev_snp == TRI_YES);
	json_object_end(&j);
	json_object_begin(&j, "ccp");
	json_string(&j, "state", platform_module_state_name(p->ccp));
	json_object_end(&j);
	json_object_end(&j);

	json_string(&j, "product", amd_product_name(p->product));
	json_string(&j, "product_source", platform_source_name(p->source));
	if (p->have_cpu) {
		json_object_begin(&j, "cpu");
		json_string(&j, "vendor", p->cpu.vendor);
		json_uint(&j, "family", p->cpu.family);
		json_uint(&j, "model", p->cpu.model);
		json_uint(&j, "stepping", p->cpu.stepping);
		json_object_end(&j);
	}

	json_object_begin(&j, "store");
	json_string(&j, "path", store);
	if (store_error)
		json_string(&j, "error", store_error);
	json_uint(&j, "unmanaged", unmanaged);
	json_array_begin(&j, "tables");
	for (size_t i = 0; i < n; i++) {
		const struct amd_cert_info *in = &v[i].info;

		json_object_begin(&j, NULL);
		json_table(&j, v[i].path);
		json_string(&j, "status", v[i].status);
		json_string(&j, "detail", v[i].detail);
		if (v[i].has_key) {
			json_string(&j, "key", v[i].vlek ? "vlek" : "vcek");
			json_string(&j, "product", amd_product_name(in->product));
			tcb_json(&j, "tcb", in->product, amd_tcb_to_raw(in->product, &in->tcb));
			if (in->has_hwid) {
				format_hex(in->hwid, in->hwid_len, hex);
				json_string(&j, "hwid", hex);
			}
		}
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);

	json_object_end(&j);
	json_finish(&j);
}

/* An entry of the store that is not a table: said and counted. */
static void count_unmanaged(void *arg, const char *dir, const char *name, int error)
{
	if (error)
		return; /* store_list() fails with it */
	store_warn_unmanaged(dir, name);
	(*(size_t *)arg)++;
}

static int cmd_status_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		LONGOPT_PRODUCT,
		{ NULL, 0, NULL, 0 },
	};
	struct plat p = { 0 };
	struct tstat *v = NULL;
	char **names = NULL;
	const char *store, *store_error = NULL;
	size_t unmanaged = 0;
	struct sc_deadline d;
	size_t n = 0;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1)
		common_option(ctx, c, optarg, argv);
	if (optind != argc)
		return usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	ret = ctx_load(ctx);
	if (ret)
		return ret;
	store = ctx_get(ctx, SET_STORE);

	read_platform(&p, ctx_get(ctx, SET_PRODUCT));
	/* One lock timeout for the whole store: status is quick even when a writer is stuck. */
	sc_deadline_init(&d, ctx->lock_timeout);

	ret = store_list(store, &names, &n, count_unmanaged, &unmanaged);
	if (ret == -ENOMEM) {
		ret = cmd_oom();
		goto out;
	}
	if (ret < 0) {
		/* A store not created yet is not an error for status. */
		store_error = strerror(-ret);
		if (ret != -ENOENT)
			warn("cannot read the store '%s': %s", store, store_error);
		n = 0;
	}
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		ret = cmd_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		v[i].name = names[i];
		names[i] = NULL;
		if (asprintf(&v[i].path, "%s/%s", store, v[i].name) < 0) {
			v[i].path = NULL;
			err("out of memory");
			ret = EXIT_FAIL;
			goto out;
		}
		if (judge(&p, &v[i], &d) < 0) {
			ret = cmd_oom();
			goto out;
		}
	}
	if (ctx->json)
		print_json(&p, store, store_error, unmanaged, v, n);
	else
		print_text(&p, store, store_error, unmanaged, v, n);
	ret = 0;
out:
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].path);
	}
	store_free(names, n);
	free(v);
	return ret;
}

const struct cmd cmd_status = { "status", cmd_status_main,
				"report the SEV platform and whether the tables match it", usage };
