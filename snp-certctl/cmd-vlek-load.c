// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vlek-load: load a wrapped VLEK (the hashstick a cloud provider gets from
 * AMD's KDS) into the firmware and switch the tables to the VLEK chain
 * (VLEK, ASVK, ARK), all under the exclusive locks.  Everything is checked
 * before: the hashstick's size, the VLEK's chain, its product and TCB
 * against the platform; every new table is built, verified and journaled
 * before the locks, so under them there is only SNP_VLEK_LOAD and the
 * in-place writes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "certs.h"
#include "cmd.h"
#include "hashstick.h"
#include "json.h"
#include "platform.h"
#include "sev.h"
#include "util.h"
#include "workflow.h"

enum { OPT_HASHSTICK = OPT_COMMON_LAST, OPT_VLEK, OPT_ASVK, OPT_ARK };

static const char usage[] =
	"Usage: snp-certctl vlek-load --hashstick FILE --vlek CERT [--asvk FILE]\n"
	"                             [--ark FILE] [--timeout SEC] [--product P]\n"
	"                             [--trust-root PEM]...\n"
	"                             [--json] [FILE...]\n"
	"\n"
	"Load the wrapped VLEK in the hashstick FILE into the firmware (SNP_VLEK_LOAD)\n"
	"and switch every table FILE (default: every table in the store) to the VLEK\n"
	"chain: the VCEK removed, the VLEK, the ASVK (in the ASK slot) and the ARK\n"
	"first, the CRL and other entries kept byte for byte.  Before any lock: the\n"
	"hashstick must be 432 bytes; the VLEK's chain must verify (ASVK and ARK: the\n"
	"files given, else the built-in ones for the VLEK's product); the VLEK must be\n"
	"for this platform's product and its reported TCB; every new table is verified\n"
	"and journaled.  Then, with the hooks as for fw-update: every exclusive lock,\n"
	"SNP_VLEK_LOAD, the in-place writes, release.\n"
	"\n"
	"      --hashstick FILE  the wrapped VLEK (432 bytes) from the KDS\n"
	"      --vlek CERT       the VLEK certificate (PEM or DER)\n"
	"      --asvk FILE       the ASVK that signed it (default: built in)\n"
	"      --ark FILE        the ARK (default: built in)\n"
	HELP_TIMEOUT
	HELP_PRODUCT
	HELP_TRUST_ROOT
	"      --json            one JSON document on stdout:\n"
	"  {\"platform\": {\"product\", \"reported_tcb\", \"vlek_loaded\"},\n"
	"   \"vlek\": {\"file\", \"path\", \"tcb\", \"csp_id\", \"hashstick_sha256\"},\n"
	"   \"loaded\", \"locks_held_us\",\n"
	"   \"tables\": [{\"file\", \"path\", \"action\", \"reason\", \"exit_status\",\n"
	"   \"old_tcb\", \"new_tcb\"}], \"error\"}\n"
	HELP_JSON_WORKFLOW
	"\n"
	"Exit status: 0 loaded and every table switched; 1 failure (a hook at pre-update\n"
	"or locked failed), 2 usage, 3 a lock was not had in time, 4 the hashstick, the\n"
	"VLEK or a new table does not verify, or the VLEK is for another product or TCB,\n"
	"5 platform error (SNP_VLEK_LOAD failed).  The tables are unchanged on failure.\n";

struct vlek_args {
	const char *hashstick, *vlek, *asvk, *ark;
};

struct vlek_inputs {
	uint8_t *hashstick;
	size_t hashstick_len;
	struct cert_input vlek, asvk, ark;
	char tcb[WF_TCB_LEN];
};

static void inputs_clear(struct vlek_inputs *in)
{
	free(in->hashstick);
	cert_input_clear(&in->vlek);
	cert_input_clear(&in->asvk);
	cert_input_clear(&in->ark);
}

/* One certificate from a file or, when path is NULL, the built-in one of kind k. */
static int load_cert(const char *path, enum amd_product p, enum amd_cert_kind k,
		     struct cert_input *c)
{
	int ret;

	ret = path ? cert_input_load(path, amd_cert_kind_name(k), c) : cert_input_builtin(p, k, c);
	if (ret)
		return ret;
	if (c->info.kind != k) {
		err("%s '%s' is not an %s (CN '%s')", amd_cert_kind_name(k), c->path,
		    amd_cert_kind_name(k), c->info.common_name);
		return EXIT_VERIFY;
	}
	return 0;
}

/* The hashstick, the VLEK and its chain, verified.  0 or an exit status after printing why. */
static int load_inputs(const struct vlek_args *a, const struct amd_trust *trust,
		       struct vlek_inputs *in)
{
	struct amd_check_list checks = { 0 };
	char why[256];
	int ret, r;

	ret = hashstick_read(a->hashstick, &in->hashstick, &in->hashstick_len);
	if (ret)
		return ret;
	r = hashstick_check(in->hashstick, in->hashstick_len, why, sizeof(why));
	if (r == -ENOMEM)
		return cmd_oom();
	if (r < 0) {
		err("hashstick '%s': %s", a->hashstick, why);
		return EXIT_VERIFY;
	}
	ret = cert_input_load(a->vlek, "VLEK", &in->vlek);
	if (ret)
		return ret;
	if (in->vlek.info.kind != AMD_CERT_VLEK) {
		err("VLEK '%s' is not a VLEK (CN '%s')", a->vlek, in->vlek.info.common_name);
		return EXIT_VERIFY;
	}
	if (in->vlek.info.product == AMD_PRODUCT_UNKNOWN || !in->vlek.info.has_tcb) {
		err("VLEK '%s' does not say its product and TCB (AMD extensions missing)", a->vlek);
		return EXIT_VERIFY;
	}
	amd_tcb_format(in->vlek.info.product, &in->vlek.info.tcb, in->tcb, sizeof(in->tcb));
	ret = load_cert(a->asvk, in->vlek.info.product, AMD_CERT_ASVK, &in->asvk);
	if (ret == 0)
		ret = load_cert(a->ark, in->vlek.info.product, AMD_CERT_ARK, &in->ark);
	if (ret)
		return ret;
	r = amd_chain_verify(in->vlek.x509, in->asvk.x509, in->ark.x509, trust, time(NULL),
			     &checks);
	if (r == -ENOMEM) {
		ret = cmd_oom();
	} else if (r < 0) {
		for (size_t i = 0; i < checks.n; i++)
			if (!checks.v[i].ok)
				err("%s: %s", checks.v[i].name, checks.v[i].detail);
		err("not loading VLEK '%s': its chain does not verify", a->vlek);
		ret = EXIT_VERIFY;
	}
	amd_check_list_free(&checks);
	return ret;
}

/* The VLEK against the platform: product and reported TCB.  0 or EXIT_VERIFY. */
static int check_platform(const struct vlek_inputs *in, const struct platform_id *p,
			  const char *path)
{
	const struct amd_cert_info *v = &in->vlek.info;
	char rep[WF_TCB_LEN];
	struct amd_tcb tcb;

	if (v->product != p->product) {
		err("VLEK '%s' is for %s, this platform is %s", path, amd_product_name(v->product),
		    amd_product_name(p->product));
		return EXIT_VERIFY;
	}
	amd_tcb_from_raw(p->product, p->st.reported_tcb, &tcb);
	amd_tcb_format(p->product, &tcb, rep, sizeof(rep));
	if (!amd_tcb_equal(p->product, &v->tcb, &tcb)) {
		err("VLEK '%s' is for TCB %s, the platform reports %s", path, in->tcb, rep);
		return EXIT_VERIFY;
	}
	return 0;
}

/* Everything a run of vlek-load needs, for the driver's steps. */
struct vlek {
	struct vlek_args a;
	struct vlek_inputs in;
	struct amd_trust *trust;
	struct platform_id plat;
	struct sev_dev *dev;
	bool loaded;
};

/* The device must open for writing before anything is locked. */
static int prepare(struct workflow *wf, void *arg, struct why *why)
{
	struct vlek *v = arg;
	const char *path = sev_device_path();
	int rc;

	rc = sev_open(path, true, &v->dev, NULL, why);
	if (rc < 0) {
		workflow_fail_pending(wf, -ERR_PLATFORM, "not switched: the SEV device cannot be "
				      "opened");
		return -ERR_PLATFORM;
	}
	return 0;
}

/*
 * Build and verify every table.  The journals are written only after
 * SNP_VLEK_LOAD (WF_JOURNAL_UNDER_LOCKS): a journal written before would
 * be replayed by recovery even if the VLEK never got loaded.
 */
static int stage(struct workflow *wf, void *arg, struct why *why)
{
	const struct vlek *v = arg;
	struct verify_opts vo;
	int rc;

	why->msg[0] = '\0'; /* each table's failure was said */
	wf_verify_opts(&vo, v->trust, &v->plat, v->in.tcb, false);
	for (size_t i = 0; i < workflow_n(wf); i++) {
		struct wf_table *t = workflow_table(wf, i);
		struct table next = { 0 };
		char was[WF_TCB_LEN + 16] = "no key";

		if (t->has_key)
			snprintf(was, sizeof(was), "%s for TCB %s", t->vlek ? "VLEK" : "VCEK",
				 t->old_tcb);
		wf_set_new_tcb(t, v->plat.product, v->in.tcb);
		rc = wf_build_vlek(t, &v->in.vlek, &v->in.asvk, &v->in.ark, &next, why);
		if (rc == 0)
			rc = wf_stage(t, &next, &vo);
		else
			wf_set(t, WF_FAILED, rc, "the new table could not be built");
		table_free(&next);
		if (rc)
			return rc;
		if (t->action == WF_UNCHANGED)
			wf_set(t, WF_UNCHANGED, 0, "already holds this VLEK chain");
		else
			wf_set(t, WF_UPDATE, 0, "switched to the VLEK for TCB %s (was: %s)",
			       v->in.tcb, was);
	}
	return 0;
}

/* SNP_VLEK_LOAD, with every table locked. */
static int under_locks(struct workflow *wf, void *arg, struct why *why)
{
	struct vlek *v = arg;
	int rc;

	rc = sev_vlek_load(v->dev, v->in.hashstick, NULL, why);
	if (rc < 0) {
		workflow_fail_pending(wf, -ERR_PLATFORM, "not switched: SNP_VLEK_LOAD failed; the "
				      "table is unchanged");
		return -ERR_PLATFORM;
	}
	v->loaded = true;
	return 0;
}

static void json_extra(struct workflow *wf, void *arg, struct jout *j)
{
	const struct vlek *v = arg;
	const struct vlek_inputs *in = &v->in;
	unsigned char md[32];
	char hex[65];

	jout_object_begin(j, "platform");
	jout_string(j, "product", amd_product_name(v->plat.product));
	jout_tcb_raw(j, "reported_tcb", v->plat.product, v->plat.st.reported_tcb);
	jout_bool(j, "vlek_loaded", v->loaded || (v->plat.st.features & SNP_FEATURE_VLEK_EN));
	jout_object_end(j);
	jout_object_begin(j, "vlek");
	jout_table(j, v->a.vlek);
	jout_tcb_spec(j, "tcb", v->plat.product, in->tcb);
	if (in->vlek.info.has_csp_id)
		jout_string(j, "csp_id", in->vlek.info.csp_id);
	if (EVP_Digest(in->hashstick, in->hashstick_len, md, NULL, EVP_sha256(), NULL) == 1) {
		format_hex(md, sizeof(md), hex);
		jout_string(j, "hashstick_sha256", hex);
	}
	jout_object_end(j);
	jout_bool(j, "loaded", v->loaded);
	jout_int(j, "locks_held_us", workflow_held_us(wf));
}

static void set_tcbs(struct workflow *wf, const struct vlek *v)
{
	workflow_set_tcbs(wf, v->in.tcb, v->in.tcb);
}

static int survey(struct workflow *wf, void *arg, struct why *why)
{
	(void)why;
	set_tcbs(wf, arg);
	return 0;
}

static const struct workflow_ops vlek_ops = {
	.command = "vlek-load",
	.flags = WF_ALL_OR_NOTHING | WF_JOURNAL_UNDER_LOCKS | WF_FIRMWARE_STEP,
	.survey = survey,
	.prepare = prepare,
	.stage = stage,
	.under_locks = under_locks,
	.json = json_extra,
};

static int cmd_vlek_load_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "hashstick", required_argument, NULL, OPT_HASHSTICK },
		{ "vlek", required_argument, NULL, OPT_VLEK },
		{ "asvk", required_argument, NULL, OPT_ASVK },
		{ "ark", required_argument, NULL, OPT_ARK },
		LONGOPT_TIMEOUT,
		LONGOPT_PRODUCT,
		LONGOPT_TRUST_ROOT,
		{ NULL, 0, NULL, 0 },
	};
	struct vlek v = { 0 };
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case OPT_HASHSTICK:
			v.a.hashstick = optarg;
			break;
		case OPT_VLEK:
			v.a.vlek = optarg;
			break;
		case OPT_ASVK:
			v.a.asvk = optarg;
			break;
		case OPT_ARK:
			v.a.ark = optarg;
			break;
		}
	}
	if (!v.a.hashstick || !v.a.vlek)
		return usage_error(ctx, "give the wrapped VLEK (--hashstick FILE) and its "
				   "certificate (--vlek CERT)");
	ret = ctx_load(ctx);
	if (ret)
		return ret;

	ret = trust_load(ctx, &v.trust);
	if (ret == 0)
		ret = load_inputs(&v.a, v.trust, &v.in);
	if (ret == 0)
		ret = cmd_platform(ctx, &v.plat);
	if (ret == 0)
		ret = check_platform(&v.in, &v.plat, v.a.vlek);
	if (ret)
		goto out;
	ret = workflow_run(ctx, &vlek_ops, &v, argv + optind, (size_t)(argc - optind));
	if (v.loaded)
		info("loaded the VLEK for TCB %s into the firmware", v.in.tcb);
out:
	sev_close(v.dev);
	inputs_clear(&v.in);
	amd_trust_free(v.trust);
	return ret;
}

const struct cmd cmd_vlek_load = { "vlek-load", cmd_vlek_load_main,
				   "load a VLEK into the firmware and switch the tables to it",
				   usage, .json = true };
