// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config: the firmware's SNP_CONFIG, mask_chip_id and mask_chip_key.  With
 * no option, print them; else set or reset them with SNP_SET_CONFIG as a
 * workflow on every table in the store (no FILE: a change of endorsement
 * key concerns every table): it changes what attestation reports carry (no
 * chip id) or who signs them (not the VCEK), so, like SNP_COMMIT and
 * SNP_VLEK_LOAD, it runs under every table's exclusive lock, with the
 * hooks, and the tables are checked against the platform again after it.
 * The firmware is read again under the store lock (survey) and once more
 * under the tables' locks just before SNP_SET_CONFIG: the mask not asked
 * for and the reported TCB are written as the firmware has them then.
 * Masking the chip id or the chip key while a table holds a VCEK is
 * refused (--force), before any lock and again under them, since guests
 * could no longer use that VCEK; the tables are never written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "platform.h"
#include "sev.h"
#include "util.h"
#include "workflow.h"

enum { OPT_MASK_CHIP_ID = OPT_COMMON_LAST, OPT_MASK_CHIP_KEY, OPT_FORCE };

static const char usage[] =
	"Usage: snp-certctl config [--mask-chip-id on|off] [--mask-chip-key on|off]\n"
	"                          [--force] [--timeout SEC] [--product P] [--json]\n"
	"\n"
	"Without an option, print the firmware's configuration: mask_chip_id (reports\n"
	"carry no chip id, GET_ID2 answers none), mask_chip_key (reports are not signed\n"
	"with the VCEK) and the reported TCB.  With one, set or reset the masks with\n"
	"SNP_SET_CONFIG under the exclusive lock of every table in the store, with the\n"
	"hooks as for fw-update; the other mask and the reported TCB are kept as the\n"
	"firmware has them at that moment.  Then every table is checked against the\n"
	"platform again.  The tables are not written.  Masking either while a table\n"
	"holds a VCEK is refused: guests could not use that VCEK (switch to a VLEK\n"
	"first with vlek-load, or give --force).  A configuration already in place is\n"
	"left alone (exit 0).\n"
	"\n"
	"      --mask-chip-id on|off   mask the chip id in reports, or stop masking it\n"
	"      --mask-chip-key on|off  stop signing reports with the VCEK, or sign again\n"
	"      --force           mask even while a table holds a VCEK\n"
	HELP_TIMEOUT
	HELP_PRODUCT
	"      --json            one JSON document on stdout:\n"
	"  {\"product\", \"reported_tcb\", \"mask_chip_id\", \"mask_chip_key\"}, and when\n"
	"  setting also \"changed\", \"was\": {\"mask_chip_id\", \"mask_chip_key\"},\n"
	"  \"locks_held_us\", \"tables\": [{\"file\", \"action\", \"reason\", ...}],\n"
	"  \"error\"; \"reported_tcb\", the masks and \"changed\" are null when\n"
	"  SNP_SET_CONFIG was accepted but the configuration could not be read back\n"
	"\n"
	"Exit status: 0 shown, or set (or already so); 1 failure (a hook failed);\n"
	"2 usage; 3 a lock was not had in time; 4 a table holds a VCEK the new masks\n"
	"would strand (no --force), or does not match the platform after; 5 platform\n"
	"error (no SEV device, SNP_SET_CONFIG failed or did not take, or the\n"
	"configuration could not be read back after it).\n";

/* A mask option: -1 not given, 0 off, 1 on. */
struct config_args {
	int chip_id, chip_key;
	bool force;
};

struct config {
	struct config_args a;
	struct platform_id plat;   /* as last read */
	bool was_id, was_key;      /* the masks before SNP_SET_CONFIG */
	bool new_id, new_key;      /* the masks to set */
	struct sev_dev *dev;
	bool issued;               /* SNP_SET_CONFIG was issued and accepted */
	bool unknown;              /* ... and plat could not be read back after it */
	bool set;                  /* ... and it took */
};

static int parse_onoff(const struct ctx *ctx, const char *opt, const char *arg, int *out)
{
	if (strcmp(arg, "on") == 0)
		*out = 1;
	else if (strcmp(arg, "off") == 0)
		*out = 0;
	else
		return usage_error(ctx, "invalid --%s '%s': want on or off", opt, arg);
	return 0;
}

static const char *onoff(bool b)
{
	return b ? "on" : "off";
}

/* The masks as plat has them (was_*), and those to set (new_*: the others as they are). */
static void config_masks(struct config *c)
{
	c->was_id = c->plat.st.features & SNP_FEATURE_MASK_CHIP_ID;
	c->was_key = c->plat.st.features & SNP_FEATURE_MASK_CHIP_KEY;
	c->new_id = c->a.chip_id < 0 ? c->was_id : c->a.chip_id == 1;
	c->new_key = c->a.chip_key < 0 ? c->was_key : c->a.chip_key == 1;
}

/* The masks asked for are already in place: say so. */
static bool already(const struct config *c)
{
	if (c->new_id != c->was_id || c->new_key != c->was_key)
		return false;
	info("mask_chip_id is %s and mask_chip_key %s already; nothing to do",
	     onoff(c->was_id), onoff(c->was_key));
	return true;
}

/* Every table kept, since nothing is to be done (another run did it meanwhile). */
static void keep_all(struct workflow *wf, const struct config *c)
{
	for (size_t i = 0; i < workflow_n(wf); i++)
		wf_set(workflow_table(wf, i), WF_UNCHANGED, 0, "kept: nothing to do: "
		       "mask_chip_id is %s and mask_chip_key %s already", onoff(c->was_id),
		       onoff(c->was_key));
}

/* The masks as they are, and the platform's product and reported TCB. */
static void print_config(const struct ctx *ctx, const struct config *c)
{
	const struct platform_id *p = &c->plat;
	char tcb[WF_TCB_LEN];
	struct amd_tcb t;
	struct jout j;

	amd_tcb_from_raw(p->product, p->st.reported_tcb, &t);
	if (!ctx->json) {
		wf_tcb_spec(p->product, p->st.reported_tcb, tcb, sizeof(tcb));
		tprintf("mask_chip_id: %s\n", onoff(c->was_id));
		tprintf("mask_chip_key: %s\n", onoff(c->was_key));
		tprintf("reported_tcb: %s\n", tcb);
		return;
	}
	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	jout_string(&j, "product", amd_product_name(p->product));
	jout_tcb(&j, "reported_tcb", p->product, &t, p->st.reported_tcb);
	jout_bool(&j, "mask_chip_id", c->was_id);
	jout_bool(&j, "mask_chip_key", c->was_key);
	jout_object_end(&j);
	jout_finish(&j);
}

/* The device must open for writing before anything is locked. */
static int prepare(struct workflow *wf, void *arg, struct why *why)
{
	struct config *c = arg;

	if (sev_open(sev_device_path(), true, &c->dev, NULL, why) < 0) {
		workflow_fail_pending(wf, -ERR_PLATFORM, "not configured: the SEV device cannot "
				      "be opened");
		return -ERR_PLATFORM;
	}
	return 0;
}

/*
 * Nothing to write: every table stays pending (so that any failure before
 * SNP_SET_CONFIG marks it) and locked; recheck() decides after.
 */
static int stage(struct workflow *wf, void *arg, struct why *why)
{
	(void)wf;
	(void)arg;
	(void)why;
	return 0;
}

/*
 * After SNP_SET_CONFIG was accepted: SNP_PLATFORM_STATUS and the chip id
 * (GET_ID2: unmasked, it is there to check the VCEKs against) read back;
 * the masks must be as asked and the reported TCB the one written (tcb).
 * 0 or -ERR_PLATFORM with why (the tables marked).
 */
static int read_back(struct workflow *wf, struct config *c, uint64_t tcb, struct why *why)
{
	const struct snp_platform_status *st = &c->plat.st;
	struct why w;

	if (platform_read(c->dev, &c->plat, &w) < 0) {
		c->unknown = true;
		workflow_fail_pending(wf, -ERR_PLATFORM, "not checked: SNP_SET_CONFIG was "
				      "accepted, but the configuration could not be read back "
				      "(it may have changed; see 'snp-certctl config'); the "
				      "table is unchanged");
		return why_set(why, -ERR_PLATFORM, "SNP_SET_CONFIG was issued and accepted, but "
			       "the configuration could not be read back (%s); it may have "
			       "changed: run 'snp-certctl config' to see", w.msg);
	}
	if (!!(st->features & SNP_FEATURE_MASK_CHIP_ID) != c->new_id ||
	    !!(st->features & SNP_FEATURE_MASK_CHIP_KEY) != c->new_key ||
	    st->reported_tcb != tcb) {
		workflow_fail_pending(wf, -ERR_PLATFORM, "not checked: SNP_SET_CONFIG did not "
				      "take; the table is unchanged");
		return why_set(why, -ERR_PLATFORM, "SNP_SET_CONFIG did not take on '%s': the "
			       "firmware reports mask_chip_id %s, mask_chip_key %s, reported TCB "
			       "0x%016llx", sev_dev_path(c->dev),
			       onoff(st->features & SNP_FEATURE_MASK_CHIP_ID),
			       onoff(st->features & SNP_FEATURE_MASK_CHIP_KEY),
			       (unsigned long long)st->reported_tcb);
	}
	c->set = true;
	return 0;
}

/* A VCEK table while mask (on now) keeps guests from using it; was: it was on before. */
static void kept_masked(struct wf_table *t, const struct config *c, const char *mask, bool was)
{
	if (was)
		wf_set(t, WF_UNCHANGED, 0, "kept: holds a VCEK that guests cannot use while %s "
		       "is on (it was on before)", mask);
	else
		wf_set(t, WF_UNCHANGED, 0, "kept%s: holds a VCEK that guests cannot use with %s "
		       "on", c->a.force ? " (--force)" : "", mask);
}

/* Every table against the platform as it is now configured (c->plat, read back). */
static void recheck(struct workflow *wf, const struct config *c)
{
	char reason[WF_REASON_LEN];
	struct amd_tcb rep;

	amd_tcb_from_raw(c->plat.product, c->plat.st.reported_tcb, &rep);
	for (size_t i = 0; i < workflow_n(wf); i++) {
		struct wf_table *t = workflow_table(wf, i);

		if (!t->has_key) {
			wf_set(t, WF_UNCHANGED, 0, "kept (no endorsement key)");
		} else if (t->vlek) {
			wf_set(t, WF_UNCHANGED, 0, "kept: a VLEK, whatever the masks");
		} else if (c->new_key) {
			kept_masked(t, c, "mask_chip_key", c->was_key);
		} else if (c->new_id) {
			kept_masked(t, c, "mask_chip_id", c->was_id);
		} else if (!c->plat.chip_id_known) {
			wf_set(t, WF_UNCHANGED, 0, "kept: the firmware gave no chip id, so its VCEK "
			       "was not checked against this chip");
		} else if (wf_vcek_matches(t, &c->plat, &rep, reason, sizeof(reason))) {
			wf_set(t, WF_UNCHANGED, 0, "kept: %s", reason);
		} else {
			wf_set(t, WF_FAILED, -ERR_VERIFY, "does not match the platform: %s",
			       reason);
		}
	}
}

/*
 * A table that holds a VCEK while a mask goes on would be of no use to
 * guests: before any lock, and again under them (the writers' reads).  0,
 * or -ERR_VERIFY with why (the tables marked).
 */
static int vcek_check(struct workflow *wf, const struct config *c, struct why *why)
{
	const char *mask = c->new_key && !c->was_key ? "mask_chip_key" : "mask_chip_id";
	const char *what = c->new_key && !c->was_key ?
				   "reports would no longer be signed with it" :
				   "reports would carry no chip id to tie it to";

	if (c->a.force || !((c->new_id && !c->was_id) || (c->new_key && !c->was_key)))
		return 0;
	for (size_t i = 0; i < workflow_n(wf); i++) {
		const struct wf_table *t = workflow_table(wf, i);

		if (!t->has_key || t->vlek)
			continue;
		workflow_fail_pending(wf, -ERR_VERIFY, "not configured: '%s' holds a VCEK; "
				      "nothing was done", t->path);
		return why_set(why, -ERR_VERIFY, "refusing to set %s: '%s' holds a VCEK and %s; "
			       "switch the tables to a VLEK first (snp-certctl vlek-load), or "
			       "give --force", mask, t->path, what);
	}
	return 0;
}

/* Under the store lock: the firmware read again, every table in the store read. */
static int survey(struct workflow *wf, void *arg, struct why *why)
{
	struct config *c = arg;
	char tcb[WF_TCB_LEN];
	int rc;

	rc = platform_identify(ctx_get(workflow_ctx(wf), SET_PRODUCT), &c->plat, why);
	if (rc)
		return rc;
	config_masks(c);
	if (already(c)) {
		keep_all(wf, c);
		for (size_t i = 0; i < workflow_n(wf); i++)
			wf_drop(workflow_table(wf, i));
		workflow_skip_firmware_step(wf);
		return 0;
	}
	wf_tcb_spec(c->plat.product, c->plat.st.reported_tcb, tcb, sizeof(tcb));
	workflow_set_tcbs(wf, tcb, tcb);
	rc = wf_look_all(wf, "not configured", why);
	return rc ? rc : vcek_check(wf, c, why);
}

/*
 * The firmware read once more, then SNP_SET_CONFIG with the reported TCB
 * and the mask not asked for as it has them now, then read back.
 */
static int under_locks(struct workflow *wf, void *arg, struct why *why)
{
	struct config *c = arg;
	int rc;

	rc = sev_platform_status(c->dev, &c->plat.st, NULL, why);
	if (rc < 0) {
		workflow_fail_pending(wf, rc, "not configured: the firmware's configuration "
				      "could not be read; the table is unchanged");
		return rc;
	}
	config_masks(c);
	if (already(c)) {
		keep_all(wf, c);
		return 0;
	}
	rc = vcek_check(wf, c, why);
	if (rc)
		return rc;
	rc = sev_set_config(c->dev, c->plat.st.reported_tcb, c->new_id, c->new_key, NULL, why);
	if (rc < 0) {
		workflow_fail_pending(wf, -ERR_PLATFORM, "not configured: SNP_SET_CONFIG failed; "
				      "the table is unchanged");
		return rc;
	}
	c->issued = true;
	rc = read_back(wf, c, c->plat.st.reported_tcb, why);
	if (rc)
		return rc;
	recheck(wf, c);
	return 0;
}

/*
 * The configuration as last read (null where it could not be read back
 * after SNP_SET_CONFIG), whether it changed, what it was.
 */
static void json_extra(struct workflow *wf, void *arg, struct jout *j)
{
	const struct config *c = arg;
	const struct platform_id *p = &c->plat;
	bool id = p->st.features & SNP_FEATURE_MASK_CHIP_ID;
	bool key = p->st.features & SNP_FEATURE_MASK_CHIP_KEY;

	jout_string(j, "product", amd_product_name(p->product));
	if (c->unknown) {
		jout_string(j, "reported_tcb", NULL);
		jout_string(j, "mask_chip_id", NULL);
		jout_string(j, "mask_chip_key", NULL);
		jout_string(j, "changed", NULL);
	} else {
		jout_tcb_raw(j, "reported_tcb", p->product, p->st.reported_tcb);
		jout_bool(j, "mask_chip_id", id);
		jout_bool(j, "mask_chip_key", key);
		jout_bool(j, "changed", id != c->was_id || key != c->was_key);
	}
	jout_object_begin(j, "was");
	jout_bool(j, "mask_chip_id", c->was_id);
	jout_bool(j, "mask_chip_key", c->was_key);
	jout_object_end(j);
	jout_int(j, "locks_held_us", workflow_held_us(wf));
}

static const struct workflow_ops config_ops = {
	.command = "config",
	.flags = WF_ALL_OR_NOTHING | WF_JOURNAL_UNDER_LOCKS | WF_FIRMWARE_STEP,
	.survey = survey,
	.prepare = prepare,
	.stage = stage,
	.under_locks = under_locks,
	.json = json_extra,
};

static int parse_args(struct ctx *ctx, int argc, char **argv, struct config_args *a)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "mask-chip-id", required_argument, NULL, OPT_MASK_CHIP_ID },
		{ "mask-chip-key", required_argument, NULL, OPT_MASK_CHIP_KEY },
		{ "force", no_argument, NULL, OPT_FORCE },
		LONGOPT_TIMEOUT,
		LONGOPT_PRODUCT,
		{ NULL, 0, NULL, 0 },
	};
	int c, ret = 0;

	*a = (struct config_args){ .chip_id = -1, .chip_key = -1 };
	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case OPT_MASK_CHIP_ID:
			ret = parse_onoff(ctx, "mask-chip-id", optarg, &a->chip_id);
			break;
		case OPT_MASK_CHIP_KEY:
			ret = parse_onoff(ctx, "mask-chip-key", optarg, &a->chip_key);
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		}
		if (ret)
			return ret;
	}
	if (optind < argc)
		return usage_error(ctx, "a table was given: config acts on every table in the "
				   "store");
	if (a->chip_id < 0 && a->chip_key < 0 && a->force)
		return usage_error(ctx, "--force is for setting: give --mask-chip-id or "
				   "--mask-chip-key");
	return 0;
}

static int cmd_config_main(struct ctx *ctx, int argc, char **argv)
{
	struct config c = { 0 };
	int ret;

	ret = parse_args(ctx, argc, argv, &c.a);
	if (ret == 0)
		ret = ctx_load(ctx);
	if (ret == 0)
		ret = cmd_platform(ctx, &c.plat);
	if (ret)
		return ret;
	config_masks(&c);
	if (c.a.chip_id < 0 && c.a.chip_key < 0) {
		print_config(ctx, &c);
		return 0;
	}
	/* Without a lock: then again under the store lock (survey), as others may change it. */
	if (already(&c)) {
		print_config(ctx, &c);
		return 0;
	}
	ret = workflow_run(ctx, &config_ops, &c, NULL, 0);
	if (c.set)
		info("set mask_chip_id %s, mask_chip_key %s (was %s, %s)", onoff(c.new_id),
		     onoff(c.new_key), onoff(c.was_id), onoff(c.was_key));
	sev_close(c.dev);
	return ret;
}

const struct cmd cmd_config = { "config", cmd_config_main,
				"show or set the firmware's chip id and chip key masks", usage, .json = true };
