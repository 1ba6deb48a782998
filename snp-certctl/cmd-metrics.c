// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * metrics: what status and check know, and how each workflow last ended,
 * in the Prometheus text exposition format, on stdout or into a file
 * written atomically (node_exporter's textfile collector).  Read-only,
 * like status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "metrics.h"
#include "util.h"

static const char usage[] =
	"Usage: snp-certctl metrics [-o FILE] [--product P]\n"
	"\n"
	"Write what status reports (the platform, its TCBs, every table of the store\n"
	"judged against it, their certificates' expiry, interrupted updates) and how\n"
	"refresh, fw-update and vlek-load last ended (the store's state file) in the\n"
	"Prometheus text exposition format 0.0.4.  Series (all gauges):\n"
	"\n"
	"  snp_certctl_platform_up, snp_certctl_platform_tcb_info{which,bl,tee,snp,\n"
	"  ucode[,fmc]}, snp_certctl_sev_chain_matches_platform (legacy SEV),\n"
	"  snp_certctl_store_tables, snp_certctl_store_unmanaged_files,\n"
	"  snp_certctl_table_matches_platform{table}, snp_certctl_table_status{table,\n"
	"  status}, snp_certctl_table_interrupted{table},\n"
	"  snp_certctl_certificate_not_after_seconds{table,type},\n"
	"  snp_certctl_refresh_last_success_timestamp_seconds,\n"
	"  snp_certctl_workflow_last_run_timestamp_seconds{workflow,result},\n"
	"  snp_certctl_workflow_last_success_timestamp_seconds{workflow},\n"
	"  snp_certctl_workflow_last_exit_status{workflow},\n"
	"  snp_certctl_workflow_last_lock_hold_seconds{workflow},\n"
	"  snp_certctl_metrics_generated_timestamp_seconds\n"
	"\n"
	"With metrics_dir set, refresh, fw-update, vlek-load, status and check write\n"
	"the same to DIR/snp-certctl.prom after their work.  Exits 0 whenever it could\n"
	"write them, also without an SEV device (snp_certctl_platform_up is 0).\n"
	"\n"
	"  -o, --output FILE     write FILE atomically (a temporary file in its\n"
	"                        directory, renamed; mode 0644) instead of stdout\n"
	HELP_PRODUCT;

static int cmd_metrics_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		LONGOPT_PRODUCT,
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct status_platform p = { 0 };
	struct status_store s = { 0 };
	const char *out = NULL;
	char *text = NULL;
	size_t len = 0;
	struct why why;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":o:" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else
			common_option(ctx, c, optarg, argv);
	}
	if (optind != argc)
		return usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (out && !*out)
		return usage_error(ctx, "-o needs a file name");
	ret = ctx_load(ctx);
	if (ret)
		return ret;
	if (status_read(ctx, &p, &s) < 0 || metrics_collect(ctx, &p, &s, &text, &len) < 0) {
		ret = EXIT_FAIL;
		goto out;
	}
	if (!out) {
		fwrite(text, 1, len, stdout);
	} else if (write_file_atomic(out, text, len, 0644, WRITE_REPLACE | WRITE_DEVICE, &why) < 0) {
		err("%s", why.msg);
		ret = EXIT_FAIL;
	}
out:
	free(text);
	status_store_free(&s);
	return ret;
}

const struct cmd cmd_metrics = { "metrics", cmd_metrics_main,
				 "write the metrics for Prometheus (text exposition format)", usage,
				 .json = false };
