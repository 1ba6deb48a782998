// SPDX-License-Identifier: GPL-2.0-or-later
/* show --url.  See show-url.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amdcert.h"
#include "json.h"
#include "kds-http.h"
#include "kds.h"
#include "platform.h"
#include "show-url.h"
#include "util.h"

/* One URL: its name, the base it lives under, its path ("" when not known). */
struct url {
	const char *name;
	const char *note; /* for people, or NULL */
	char path[KDS_PATH_MAX];
	char *url;        /* base + path, NULL when not known */
	bool csp;         /* under kds_csp_url */
};

enum { U_VCEK, U_VCEK_CHAIN, U_VCEK_CRL, U_VLEK, U_VLEK_CHAIN, U_VLEK_CRL, U_COUNT };

/*
 * Venice: AMD has published no KDS endpoint or CA chain for it; never
 * guess one.  0 or EXIT_PLATFORM.
 */
static int venice(const struct ctx *ctx)
{
	struct platform_cpu cpu;

	if (platform_product(ctx_get(ctx, SET_PRODUCT), &cpu, NULL) != AMD_PRODUCT_UNKNOWN ||
	    !platform_is_venice(cpu.vendor, cpu.family, cpu.model))
		return 0;
	err("this CPU is Venice (Zen 6, family 0x%x model 0x%x): AMD has published no KDS "
	    "endpoint or CA chain for it yet, so no URL is known", cpu.family, cpu.model);
	return EXIT_PLATFORM;
}

/* The paths for platform p. */
static void paths(const struct platform_id *p, struct url *u)
{
	struct kds_vcek_id id = { .product = p->product, .hwid_len = SEV_CHIP_ID_LEN };

	amd_tcb_from_raw(p->product, p->st.reported_tcb, &id.tcb);
	memcpy(id.hwid, p->chip_id, SEV_CHIP_ID_LEN);
	if (!p->chip_id_known || kds_vcek_path(&id, u[U_VCEK].path, KDS_PATH_MAX) < 0)
		u[U_VCEK].path[0] = '\0';
	if (kds_vlek_path(p->product, &id.tcb, u[U_VLEK].path, KDS_PATH_MAX) < 0)
		u[U_VLEK].path[0] = '\0';
	kds_chain_path(p->product, KDS_FAMILY_VCEK, u[U_VCEK_CHAIN].path, KDS_PATH_MAX);
	kds_crl_path(p->product, KDS_FAMILY_VCEK, u[U_VCEK_CRL].path, KDS_PATH_MAX);
	kds_chain_path(p->product, KDS_FAMILY_VLEK, u[U_VLEK_CHAIN].path, KDS_PATH_MAX);
	kds_crl_path(p->product, KDS_FAMILY_VLEK, u[U_VLEK_CRL].path, KDS_PATH_MAX);
}

/* The URLs under the settings' bases.  0, or an exit status after saying why. */
static int urls(const struct ctx *ctx, struct url *u)
{
	const char *base;
	int r;

	for (size_t i = 0; i < U_COUNT; i++) {
		if (!u[i].path[0])
			continue;
		base = ctx_get(ctx, u[i].csp ? SET_KDS_CSP_URL : SET_KDS_URL);
		r = kds_url_join(base, u[i].path, &u[i].url);
		if (r == -ENOMEM)
			return cmd_oom();
		if (r < 0) {
			err("invalid KDS URL '%s' (setting %s): want http://HOST[:PORT][/PATH] or "
			    "https://...", base, u[i].csp ? "kds_csp_url" : "kds_url");
			return EXIT_USAGE;
		}
	}
	return 0;
}

static void print_json(const struct platform_id *p, const struct url *u)
{
	char hex[2 * SEV_CHIP_ID_LEN + 1];
	struct amd_tcb tcb;
	struct jout j;

	amd_tcb_from_raw(p->product, p->st.reported_tcb, &tcb);
	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	jout_string(&j, "product", amd_product_name(p->product));
	jout_tcb(&j, "reported_tcb", p->product, &tcb, p->st.reported_tcb);
	format_hex(p->chip_id, sizeof(p->chip_id), hex);
	jout_string(&j, "chip_id", p->chip_id_known ? hex : NULL);
	jout_object_begin(&j, "urls");
	for (size_t i = 0; i < U_COUNT; i++)
		jout_string(&j, u[i].name, u[i].url);
	jout_object_end(&j);
	jout_object_end(&j);
	jout_finish(&j);
}

static void print_text(const struct url *u)
{
	for (size_t i = 0; i < U_COUNT; i++) {
		if (u[i].url)
			tprintf("%s: %s%s%s\n", u[i].name, u[i].url, u[i].note ? "  " : "",
				u[i].note ? u[i].note : "");
	}
}

int show_urls(struct ctx *ctx)
{
	struct url u[U_COUNT] = {
		[U_VCEK] = { .name = "vcek" },
		[U_VCEK_CHAIN] = { .name = "vcek_cert_chain" },
		[U_VCEK_CRL] = { .name = "vcek_crl" },
		[U_VLEK] = { .name = "vlek", .note = "(client certificate: fetch vlek)",
			     .csp = true },
		[U_VLEK_CHAIN] = { .name = "vlek_cert_chain" },
		[U_VLEK_CRL] = { .name = "vlek_crl" },
	};
	struct platform_id p;
	int ret;

	ret = ctx_load(ctx);
	if (ret == 0)
		ret = venice(ctx);
	if (ret == 0)
		ret = cmd_platform(ctx, &p);
	if (ret)
		return ret;
	paths(&p, u);
	ret = urls(ctx, u);
	if (ret == 0 && !p.chip_id_known)
		warn("the firmware masks the chip id (mask_chip_id): no VCEK URL; use a VLEK");
	if (ret == 0 && ctx->json)
		print_json(&p, u);
	else if (ret == 0)
		print_text(u);
	for (size_t i = 0; i < U_COUNT; i++)
		free(u[i].url);
	return ret;
}
