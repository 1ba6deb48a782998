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
#include "metrics.h"
#include "status-read.h"
#include "util.h"

static const char usage[] =
	"Usage: snp-certctl status [--product P] [--json]\n"
	"\n"
	"Report the SEV device (" DEFAULT_DEVICE ", or $SNP_CERTCTL_DEVICE), the kvm_amd\n"
	"and ccp modules and kvm_amd's sev_snp parameter, whether KVM has the\n"
	"certificate exit (KVM_EXIT_SNP_REQ_CERTS, Linux 7.0), the firmware's API\n"
	"version, build, state, current and reported TCB, chip id, VLEK and guest count,\n"
	"and for every table in the store whether its endorsement key matches the\n"
	"reported TCB and chip:\n"
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
	"  untrusted         others may write the file: writers refuse it (chmod go-w)\n"
	"  unknown           the platform (or its chip id) could not be read\n"
	"\n"
	"The legacy SEV (pre-SNP) platform too: SEV_PLATFORM_STATUS (API version,\n"
	"state uninit/init/working, owner self or external, SEV-ES available) and\n"
	"whether the stored chain (<store>/sev/pek.cert) holds the PEK the firmware\n"
	"exports (compared by key): match, mismatch, absent (no stored chain),\n"
	"malformed, unreadable, or unknown (the firmware's PEK could not be read).\n"
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
	"           \"guest_count\",\n"
	"           \"legacy\": {\"api_major\", \"api_minor\", \"api_version\", \"build_id\",\n"
	"             \"state\" (\"uninit\"|\"init\"|\"working\"), \"state_code\", \"owner\"\n"
	"             (\"self\"|\"external\"), \"es\", \"flags\", \"guest_count\", \"error\",\n"
	"             \"pek_error\", \"chain\": {\"path\", \"status\", \"detail\"}}},\n"
	"   \"modules\": {\"kvm_amd\": {\"state\", \"sev_snp\"}, \"ccp\": {\"state\"}},\n"
	"   \"kvm\": {\"device\", \"req_certs\" (true|false|null: unknown), \"error\"},\n"
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

/* ---- output ----------------------------------------------------------------- */

#define LABEL "%-16s"

/* The legacy SEV platform and the stored chain against it. */
static void print_legacy(const struct status_platform *p)
{
	const struct sev_status *l = &p->legacy;

	if (!p->opened)
		return;
	if (!p->have_legacy) {
		tprintf(LABEL "not available: %s\n", "SEV (legacy)", p->legacy_error);
		return;
	}
	tprintf(LABEL "API %u.%u, build %u, state %s, owner %s, SEV-ES %s\n", "SEV (legacy)",
		l->api_major, l->api_minor, l->build, status_sev_state_name(l->state),
		l->flags & SEV_FLAG_OWNED_EXTERNALLY ? "external" : "self",
		l->flags & SEV_FLAG_ES ? "available" : "not available");
	if (strcmp(p->sev_chain, "absent") == 0)
		tprintf(LABEL "no stored chain (%s)\n", "SEV chain", p->sev_chain_path);
	else
		tprintf(LABEL "%s: %s: %s\n", "SEV chain", p->sev_chain_path, p->sev_chain,
			p->sev_chain_detail);
}

static void json_legacy(struct jout *j, const struct status_platform *p)
{
	const struct sev_status *l = &p->legacy;
	char ver[16];

	jout_object_begin(j, "legacy");
	if (!p->have_legacy) {
		jout_string(j, "error", p->legacy_error);
	} else {
		jout_uint(j, "api_major", l->api_major);
		jout_uint(j, "api_minor", l->api_minor);
		snprintf(ver, sizeof(ver), "%u.%u", l->api_major, l->api_minor);
		jout_string(j, "api_version", ver);
		jout_uint(j, "build_id", l->build);
		jout_string(j, "state", status_sev_state_name(l->state));
		jout_uint(j, "state_code", l->state);
		jout_string(j, "owner", l->flags & SEV_FLAG_OWNED_EXTERNALLY ? "external" : "self");
		jout_bool(j, "es", l->flags & SEV_FLAG_ES);
		jout_uint(j, "flags", l->flags);
		jout_uint(j, "guest_count", l->guest_count);
		if (!p->have_fw_pek)
			jout_string(j, "pek_error", p->fw_pek_error);
	}
	jout_object_begin(j, "chain");
	jout_string(j, "path", p->sev_chain_path);
	jout_string(j, "status", p->sev_chain);
	jout_string(j, "detail", p->sev_chain_detail);
	jout_object_end(j);
	jout_object_end(j);
}

static void print_text(const struct status_platform *p, const struct status_store *s)
{
	const char *store = s->path, *store_error = s->error;
	const struct status_table *v = s->v;
	size_t unmanaged = s->unmanaged, n = s->n;
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
	if (p->kvm_req_certs && strcmp(status_kvm_req_certs(p), "unknown") == 0)
		tprintf(LABEL "unknown (%s: %s)\n", "KVM cert exit", STATUS_KVM_DEVICE,
			strerror(-p->kvm_req_certs));
	else
		tprintf(LABEL "%s\n", "KVM cert exit", status_kvm_req_certs(p));
	if (p->product == AMD_PRODUCT_UNKNOWN && p->have_cpu &&
	    platform_is_venice(p->cpu.vendor, p->cpu.family, p->cpu.model))
		tprintf(LABEL "Venice (CPU family 0x%x model 0x%x): no KDS endpoint is known, TCBs "
			"not decoded\n", "product", p->cpu.family, p->cpu.model);
	else if (p->product == AMD_PRODUCT_UNKNOWN && p->have_cpu)
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
		tprintf(LABEL "%s, RMP %sinitialized\n", "platform state", status_state_name(st->state),
		       st->rmp & SNP_RMP_INITIALIZED ? "" : "not ");
		status_tcb_text(p->product, st->current_tcb, buf, sizeof(buf));
		tprintf(LABEL "%s\n", "current TCB", buf);
		status_tcb_text(p->product, st->reported_tcb, buf, sizeof(buf));
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
	print_legacy(p);
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

static void print_json(const struct status_platform *p, const struct status_store *s)
{
	const char *store = s->path, *store_error = s->error;
	const struct status_table *v = s->v;
	size_t unmanaged = s->unmanaged, n = s->n;
	const struct snp_platform_status *st = &p->st;
	char hex[2 * AMD_HWID_MAX + 1], ver[16];
	struct jout j;

	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);

	jout_object_begin(&j, "sev");
	jout_string(&j, "device", p->path);
	jout_bool(&j, "present", p->present);
	if (p->error[0] && p->present)
		jout_string(&j, "error", p->error);
	if (p->have_status) {
		jout_uint(&j, "api_major", st->api_major);
		jout_uint(&j, "api_minor", st->api_minor);
		snprintf(ver, sizeof(ver), "%u.%u", st->api_major, st->api_minor);
		jout_string(&j, "api_version", ver);
		jout_uint(&j, "build_id", st->build_id);
		jout_string(&j, "state", status_state_name(st->state));
		jout_uint(&j, "state_code", st->state);
		jout_bool(&j, "rmp_initialized", st->rmp & SNP_RMP_INITIALIZED);
		status_tcb_json(&j, "current_tcb", p->product, st->current_tcb);
		status_tcb_json(&j, "reported_tcb", p->product, st->reported_tcb);
	}
	if (p->present) {
		if (p->have_chip_id) {
			format_hex(p->chip_id, sizeof(p->chip_id), hex);
			jout_string(&j, "chip_id", hex);
		} else {
			jout_string(&j, "chip_id", NULL);
		}
		if (p->chip_id_error[0])
			jout_string(&j, "chip_id_error", p->chip_id_error);
	}
	if (p->have_status) {
		jout_bool(&j, "mask_chip_id", st->features & SNP_FEATURE_MASK_CHIP_ID);
		jout_bool(&j, "mask_chip_key", st->features & SNP_FEATURE_MASK_CHIP_KEY);
		jout_bool(&j, "vlek_loaded", st->features & SNP_FEATURE_VLEK_EN);
		jout_uint(&j, "guest_count", st->guest_count);
	}
	if (p->opened)
		json_legacy(&j, p);
	jout_object_end(&j);

	jout_object_begin(&j, "modules");
	jout_object_begin(&j, "kvm_amd");
	jout_string(&j, "state", platform_module_state_name(p->kvm_amd));
	if (p->sev_snp == TRI_UNKNOWN)
		jout_string(&j, "sev_snp", NULL);
	else
		jout_bool(&j, "sev_snp", p->sev_snp == TRI_YES);
	jout_object_end(&j);
	jout_object_begin(&j, "ccp");
	jout_string(&j, "state", platform_module_state_name(p->ccp));
	jout_object_end(&j);
	jout_object_end(&j);

	jout_object_begin(&j, "kvm");
	jout_string(&j, "device", STATUS_KVM_DEVICE);
	if (strcmp(status_kvm_req_certs(p), "unknown") == 0)
		jout_string(&j, "req_certs", NULL);
	else
		jout_bool(&j, "req_certs", p->kvm_req_certs == 0);
	if (p->kvm_req_certs && strcmp(status_kvm_req_certs(p), "unknown") == 0)
		jout_string(&j, "error", strerror(-p->kvm_req_certs));
	jout_object_end(&j);

	jout_string(&j, "product", amd_product_name(p->product));
	jout_string(&j, "product_source", platform_source_name(p->source));
	if (p->have_cpu) {
		jout_object_begin(&j, "cpu");
		jout_string(&j, "vendor", p->cpu.vendor);
		jout_uint(&j, "family", p->cpu.family);
		jout_uint(&j, "model", p->cpu.model);
		jout_uint(&j, "stepping", p->cpu.stepping);
		jout_object_end(&j);
	}

	jout_object_begin(&j, "store");
	jout_string(&j, "path", store);
	if (store_error)
		jout_string(&j, "error", store_error);
	jout_uint(&j, "unmanaged", unmanaged);
	jout_array_begin(&j, "tables");
	for (size_t i = 0; i < n; i++) {
		const struct amd_cert_info *in = &v[i].info;

		jout_object_begin(&j, NULL);
		jout_table(&j, v[i].path);
		jout_string(&j, "status", v[i].status);
		jout_string(&j, "detail", v[i].detail);
		if (v[i].has_key) {
			jout_string(&j, "key", v[i].vlek ? "vlek" : "vcek");
			jout_string(&j, "product", amd_product_name(in->product));
			status_tcb_json(&j, "tcb", in->product, amd_tcb_to_raw(in->product, &in->tcb));
			if (in->has_hwid) {
				format_hex(in->hwid, in->hwid_len, hex);
				jout_string(&j, "hwid", hex);
			}
		}
		jout_object_end(&j);
	}
	jout_array_end(&j);
	jout_object_end(&j);

	jout_object_end(&j);
	jout_finish(&j);
}

static int cmd_status_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		LONGOPT_PRODUCT,
		{ NULL, 0, NULL, 0 },
	};
	struct status_platform p = { 0 };
	struct status_store s;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1)
		common_option(ctx, c, optarg, argv);
	if (optind != argc)
		return usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	ret = ctx_load(ctx);
	if (ret)
		return ret;
	ret = status_read(ctx, &p, &s);
	if (ret == 0) {
		if (ctx->json)
			print_json(&p, &s);
		else
			print_text(&p, &s);
		metrics_write_dir(ctx, &p, &s);
	}
	status_store_free(&s);
	return ret ? EXIT_FAIL : 0;
}

const struct cmd cmd_status = { "status", cmd_status_main,
				"report the SEV platform and whether the tables match it", usage, .json = true };
