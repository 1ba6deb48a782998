// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The exposition writer (snp-certctl/metrics.c) on made-up platforms and
 * stores: each family's # HELP and # TYPE once and only before a sample,
 * label values escaped (\\ \" \n) and made UTF-8, integral values whole and
 * others not, fmc only on Turin, tables the platform cannot judge left out
 * of matches_platform, the run series only with a run state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "tap.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static char *render(const struct status_platform *p, const struct status_store *s,
		    const struct runstate *st)
{
	char *text = NULL;
	size_t len = 0;

	if (metrics_render(p, s, st, 1764758973, &text, &len) != 0 || strlen(text) != len)
		exit(99);
	return text;
}

int main(void)
{
	struct status_platform p = { 0 };
	struct status_table v[3];
	struct status_store s = { .path = "/store", .v = v, .n = 3, .unmanaged = 2 };
	struct runstate st = { 0 };
	char *t;

	memset(v, 0, sizeof(v));
	v[0].name = "a.certs";
	v[0].status = "match";
	v[0].has_not_after[AMD_CERT_VCEK] = true;
	v[0].cert_not_after[AMD_CERT_VCEK] = 2524607999;
	v[1].name = "we\"ird\\na\nme\xff.certs";
	v[1].status = "tcb-mismatch";
	v[1].interrupted = true;
	v[2].name = "u.certs";
	v[2].status = "unknown";
	p.have_status = true;
	p.product = AMD_PRODUCT_MILAN;
	p.st.current_tcb = 0x7308000000000103ull;
	p.st.reported_tcb = 0x7308000000000103ull;

	t = render(&p, &s, NULL);
	CHECK(strncmp(t, "# HELP snp_certctl_platform_up ", 31) == 0, "first a family's HELP");
	CHECK_EQ(count(t, "# TYPE snp_certctl_table_matches_platform gauge\n"), 1, "TYPE once");
	CHECK_EQ(count(t, "# HELP "), count(t, "# TYPE "), "a HELP for each TYPE");
	CHECK(strstr(t, "snp_certctl_table_matches_platform{table=\"a.certs\"} 1\n") != NULL,
	      "a match is 1");
	CHECK(strstr(t, "snp_certctl_table_matches_platform{table=\"we\\\"ird\\\\na\\nme\xef\xbf\xbd"
			".certs\"} 0\n") != NULL,
	      "quote, backslash, newline escaped; not UTF-8 made U+FFFD");
	CHECK(strstr(t, "snp_certctl_table_matches_platform{table=\"u.certs\"}") == NULL,
	      "unknown: left out of matches_platform");
	CHECK(strstr(t, "snp_certctl_table_status{table=\"u.certs\",status=\"unknown\"} 1\n") != NULL,
	      "unknown: its status said");
	CHECK(strstr(t, "snp_certctl_table_interrupted{table=\"a.certs\"} 0\n") != NULL &&
		      count(t, "snp_certctl_table_interrupted{") == 3 &&
		      count(t, "snp_certctl_table_interrupted{table=\"we") == 1,
	      "interrupted per table");
	CHECK(strstr(t, "snp_certctl_certificate_not_after_seconds{table=\"a.certs\",type=\"vcek\"} "
			"2524607999\n") != NULL, "not_after whole");
	CHECK_EQ(count(t, "snp_certctl_certificate_not_after_seconds{"), 1, "only what a table holds");
	CHECK(strstr(t, "snp_certctl_platform_tcb_info{which=\"reported\",bl=\"3\",tee=\"1\","
			"snp=\"8\",ucode=\"115\"} 1\n") != NULL, "tcb_info, Milan: no fmc");
	CHECK(strstr(t, "snp_certctl_store_unmanaged_files 2\n") != NULL, "unmanaged");
	CHECK(strstr(t, "snp_certctl_store_tables 3\n") != NULL, "tables");
	CHECK(strstr(t, "snp_certctl_workflow") == NULL && strstr(t, "snp_certctl_refresh") == NULL,
	      "no run state: no run series, not even their HELP");
	CHECK(strstr(t, "snp_certctl_sev_chain_matches_platform") == NULL, "no SEV chain judged");
	CHECK(strstr(t, "snp_certctl_metrics_generated_timestamp_seconds 1764758973\n") != NULL,
	      "generated");
	free(t);

	p.product = AMD_PRODUCT_TURIN;
	p.st.reported_tcb = 0x4700000016030401ull;
	p.sev_chain = "mismatch";
	runstate_record(&st, "refresh", 1764700000, 0, 0.00125);
	runstate_record(&st, "refresh", 1764750000, 6, 0);
	runstate_record(&st, "fw-update", 1764750001, 0, 1.5);
	t = render(&p, &s, &st);
	CHECK(strstr(t, "snp_certctl_platform_tcb_info{which=\"reported\",bl=\"4\",tee=\"3\","
			"snp=\"22\",ucode=\"71\",fmc=\"1\"} 1\n") != NULL, "tcb_info, Turin: fmc");
	CHECK(strstr(t, "snp_certctl_sev_chain_matches_platform 0\n") != NULL, "SEV chain mismatch 0");
	CHECK(strstr(t, "snp_certctl_refresh_last_success_timestamp_seconds 1764700000\n") != NULL,
	      "refresh's last success kept through a failure");
	CHECK(strstr(t, "snp_certctl_workflow_last_run_timestamp_seconds{workflow=\"refresh\","
			"result=\"failure\"} 1764750000\n") != NULL, "last run, failure");
	CHECK(strstr(t, "snp_certctl_workflow_last_exit_status{workflow=\"refresh\"} 6\n") != NULL,
	      "exit status");
	CHECK(strstr(t, "snp_certctl_workflow_last_lock_hold_seconds{workflow=\"fw-update\"} 1.5\n") !=
		      NULL, "a fractional value");
	CHECK(strstr(t, "snp_certctl_workflow_last_lock_hold_seconds{workflow=\"refresh\"} 0\n") != NULL,
	      "no lock: 0");
	CHECK(strstr(t, "snp_certctl_workflow_last_success_timestamp_seconds{workflow=\"fw-update\"} "
			"1764750001\n") != NULL, "last success per workflow");
	free(t);

	/* No platform: up 0, no TCB, nothing judged. */
	memset(&p, 0, sizeof(p));
	v[0].status = "unknown";
	v[1].status = "unknown";
	t = render(&p, &s, NULL);
	CHECK(strstr(t, "snp_certctl_platform_up 0\n") != NULL, "down: up 0");
	CHECK(strstr(t, "tcb_info") == NULL, "down: no TCB family at all");
	CHECK(strstr(t, "snp_certctl_table_matches_platform") == NULL, "down: no table judged");
	free(t);
	return tap_done();
}
