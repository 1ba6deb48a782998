// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Prometheus text exposition format (version 0.0.4): one small writer
 * (a family's # HELP and # TYPE once, before its first sample; label values
 * escaped and made valid UTF-8), and the series of snp-certctl.  See
 * metrics.h.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amdtcb.h"
#include "metrics.h"
#include "util.h"

/* ---- the writer -------------------------------------------------------------- */

struct prom {
	char *buf;
	size_t len, cap;
	bool oom;
	const char *name, *type, *help; /* the family begun */
	bool header;                    /* its # HELP and # TYPE written */
};

static void put(struct prom *p, const char *s, size_t n)
{
	if (p->oom)
		return;
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		char *b;

		while (p->len + n + 1 > cap)
			cap *= 2;
		b = realloc(p->buf, cap);
		if (!b) {
			p->oom = true;
			return;
		}
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void puts_(struct prom *p, const char *s)
{
	put(p, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) putf(struct prom *p, const char *fmt, ...)
{
	char b[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(p, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

/*
 * The length of the valid UTF-8 sequence at s (n bytes left), or 0: no
 * overlong forms, no surrogates, nothing past U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned int c = s[0];
	size_t need, i;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4, cp = c & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

/*
 * s escaped as the format wants: backslash and newline always, the double
 * quote in label values (quote); a byte that is not valid UTF-8 becomes
 * U+FFFD (the format is UTF-8; a file name need not be).
 */
static void put_escaped(struct prom *p, const char *s, bool quote)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t k = utf8_len(u + i, n - i);

		if (k == 0) {
			puts_(p, "\xef\xbf\xbd");
			i++;
		} else if (u[i] == '\\') {
			puts_(p, "\\\\");
			i++;
		} else if (u[i] == '\n') {
			puts_(p, "\\n");
			i++;
		} else if (u[i] == '"' && quote) {
			puts_(p, "\\\"");
			i++;
		} else {
			put(p, s + i, k);
			i += k;
		}
	}
}

/* Begin a family: its header is written before its first sample (none: no header). */
static void family(struct prom *p, const char *name, const char *type, const char *help)
{
	p->name = name;
	p->type = type;
	p->help = help;
	p->header = false;
}

/*
 * One sample of the family begun: the value, then label pairs (name,
 * value), NULL-terminated.  Integral values are written whole (Unix
 * times exactly), others with 9 significant digits.
 */
static void sample(struct prom *p, double v, ...)
{
	const char *k, *val;
	bool first = true;
	va_list ap;

	if (!p->header) {
		puts_(p, "# HELP ");
		puts_(p, p->name);
		puts_(p, " ");
		put_escaped(p, p->help, false);
		puts_(p, "\n# TYPE ");
		puts_(p, p->name);
		puts_(p, " ");
		puts_(p, p->type);
		puts_(p, "\n");
		p->header = true;
	}
	puts_(p, p->name);
	va_start(ap, v);
	while ((k = va_arg(ap, const char *)) != NULL) {
		val = va_arg(ap, const char *);
		puts_(p, first ? "{" : ",");
		puts_(p, k);
		puts_(p, "=\"");
		put_escaped(p, val ? val : "", true);
		puts_(p, "\"");
		first = false;
	}
	va_end(ap);
	if (!first)
		puts_(p, "}");
	if (!isfinite(v))
		puts_(p, isnan(v) ? " NaN\n" : v > 0 ? " +Inf\n" : " -Inf\n");
	else if (v == floor(v) && fabs(v) < 1e15)
		putf(p, " %.0f\n", v);
	else
		putf(p, " %.9g\n", v);
}

/* ---- the series -------------------------------------------------------------- */

static const enum amd_cert_kind kinds[] = { AMD_CERT_VCEK, AMD_CERT_VLEK, AMD_CERT_ASK,
					    AMD_CERT_ASVK, AMD_CERT_ARK };

/* 1 or 0 as check judges table:NAME (PASS or FAIL); -1: not decided (SKIP, "unknown"). */
static int table_matches(const struct status_table *t)
{
	if (strcmp(t->status, "unknown") == 0)
		return -1;
	return strcmp(t->status, "match") == 0 || strcmp(t->status, "vlek") == 0;
}

static void tcb_info(struct prom *m, const char *which, enum amd_product prod, uint64_t raw)
{
	char bl[8], tee[8], snp[8], ucode[8], fmc[8];
	struct amd_tcb t;

	amd_tcb_from_raw(prod, raw, &t);
	snprintf(bl, sizeof(bl), "%u", t.bl);
	snprintf(tee, sizeof(tee), "%u", t.tee);
	snprintf(snp, sizeof(snp), "%u", t.snp);
	snprintf(ucode, sizeof(ucode), "%u", t.ucode);
	snprintf(fmc, sizeof(fmc), "%u", t.fmc);
	if (prod == AMD_PRODUCT_TURIN)
		sample(m, 1, "which", which, "bl", bl, "tee", tee, "snp", snp, "ucode", ucode,
		       "fmc", fmc, NULL);
	else
		sample(m, 1, "which", which, "bl", bl, "tee", tee, "snp", snp, "ucode", ucode,
		       NULL);
}

static void platform(struct prom *m, const struct status_platform *p)
{
	family(m, "snp_certctl_platform_up", "gauge",
	       "1 when the SEV device answered SNP_PLATFORM_STATUS, else 0");
	sample(m, p->have_status, NULL);
	family(m, "snp_certctl_platform_tcb_info", "gauge",
	       "The firmware's current and reported TCB (value 1; fmc on Turin only)");
	if (p->have_status && p->product != AMD_PRODUCT_UNKNOWN) {
		tcb_info(m, "current", p->product, p->st.current_tcb);
		tcb_info(m, "reported", p->product, p->st.reported_tcb);
	}
}

/*
 * The stored legacy SEV chain (<store>/sev/pek.cert) against the PEK the
 * firmware exports, as check sev-chain judges it: 1 match, 0 mismatch (or
 * a stored chain that cannot be used); absent without a stored chain or
 * when it cannot be compared.
 */
static void sev_chain(struct prom *m, const struct status_platform *p)
{
	const char *c = p->sev_chain;

	family(m, "snp_certctl_sev_chain_matches_platform", "gauge",
	       "1 when the stored legacy SEV chain's PEK is the firmware's, else 0; absent "
	       "without a stored chain or a legacy SEV platform");
	if (!c || strcmp(c, "absent") == 0 || strcmp(c, "unknown") == 0)
		return;
	sample(m, strcmp(c, "match") == 0, NULL);
}

static void store(struct prom *m, const struct status_store *s)
{
	family(m, "snp_certctl_store_tables", "gauge", "Tables in the store");
	sample(m, (double)s->n, NULL);
	family(m, "snp_certctl_store_unmanaged_files", "gauge",
	       "Entries of the store that are not regular files, so never refreshed");
	sample(m, (double)s->unmanaged, NULL);
	family(m, "snp_certctl_table_matches_platform", "gauge",
	       "1 when the table carries the endorsement key for the platform's reported TCB "
	       "and chip (status: match or vlek), else 0; absent while the platform is unknown");
	for (size_t i = 0; i < s->n; i++)
		if (table_matches(&s->v[i]) >= 0)
			sample(m, table_matches(&s->v[i]), "table", s->v[i].name, NULL);
	family(m, "snp_certctl_table_status", "gauge",
	       "The table's status as snp-certctl status names it (value 1)");
	for (size_t i = 0; i < s->n; i++)
		sample(m, 1, "table", s->v[i].name, "status", s->v[i].status, NULL);
	family(m, "snp_certctl_table_interrupted", "gauge",
	       "1 when the table's journal holds an interrupted update awaiting recovery");
	for (size_t i = 0; i < s->n; i++)
		sample(m, s->v[i].interrupted, "table", s->v[i].name, NULL);
	family(m, "snp_certctl_certificate_not_after_seconds", "gauge",
	       "The end of the validity of the table's certificate of this type, Unix time");
	for (size_t i = 0; i < s->n; i++) {
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			if (!s->v[i].has_not_after[kinds[k]])
				continue;
			sample(m, (double)s->v[i].cert_not_after[kinds[k]], "table", s->v[i].name,
			       "type", amd_cert_kind_name(kinds[k]), NULL);
		}
	}
}

static void runs(struct prom *m, const struct runstate *st)
{
	const struct runstate_entry *r = runstate_find(st, "refresh");

	family(m, "snp_certctl_refresh_last_success_timestamp_seconds", "gauge",
	       "When refresh last succeeded (every table right), Unix time");
	if (r && r->has_last_success)
		sample(m, (double)r->last_success, NULL);
	family(m, "snp_certctl_workflow_last_run_timestamp_seconds", "gauge",
	       "When the workflow's last run ended, Unix time; result is its outcome");
	for (size_t i = 0; i < st->n; i++)
		sample(m, (double)st->v[i].last_run, "workflow", st->v[i].workflow, "result",
		       st->v[i].exit_status ? "failure" : "success", NULL);
	family(m, "snp_certctl_workflow_last_success_timestamp_seconds", "gauge",
	       "When the workflow last succeeded, Unix time");
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].has_last_success)
			sample(m, (double)st->v[i].last_success, "workflow", st->v[i].workflow,
			       NULL);
	family(m, "snp_certctl_workflow_last_exit_status", "gauge",
	       "The exit status of the workflow's last run (0: success)");
	for (size_t i = 0; i < st->n; i++)
		sample(m, st->v[i].exit_status, "workflow", st->v[i].workflow, NULL);
	family(m, "snp_certctl_workflow_last_lock_hold_seconds", "gauge",
	       "How long the workflow's last run held the tables' exclusive locks (readers "
	       "kept out), seconds");
	for (size_t i = 0; i < st->n; i++)
		sample(m, st->v[i].lock_hold_s, "workflow", st->v[i].workflow, NULL);
}

int metrics_render(const struct status_platform *p, const struct status_store *s,
		   const struct runstate *st, time_t now, char **text, size_t *len)
{
	struct prom m = { 0 };

	platform(&m, p);
	sev_chain(&m, p);
	store(&m, s);
	if (st)
		runs(&m, st);
	family(&m, "snp_certctl_metrics_generated_timestamp_seconds", "gauge",
	       "When these metrics were written, Unix time");
	sample(&m, (double)now, NULL);
	if (m.oom) {
		free(m.buf);
		return -ENOMEM;
	}
	*text = m.buf;
	*len = m.len;
	return 0;
}

int metrics_collect(const struct ctx *ctx, const struct status_platform *p,
		    const struct status_store *s, char **text, size_t *len)
{
	struct status_platform own_p = { 0 };
	struct status_store own_s = { 0 };
	struct runstate st;
	bool have = false;
	int ret = 0;

	if (!p) {
		int saved = log_verbosity;

		log_verbosity = -1;
		ret = status_read(ctx, &own_p, &own_s);
		log_verbosity = saved;
		p = &own_p;
		s = &own_s;
	}
	if (ret == 0)
		ret = run_state_load(ctx_get(ctx, SET_STORE), &st, &have);
	if (ret == 0) {
		ret = metrics_render(p, s, have ? &st : NULL, time(NULL), text, len);
		if (ret)
			cmd_oom();
	}
	status_store_free(&own_s);
	return ret;
}

void metrics_write_dir(const struct ctx *ctx, const struct status_platform *p,
		       const struct status_store *s)
{
	const char *dir = ctx_get(ctx, SET_METRICS_DIR);
	char *path = NULL, *text = NULL;
	size_t len = 0;
	struct why why;

	if (!dir)
		return;
	path = path_join(dir, METRICS_FILE_NAME);
	if (!path) {
		cmd_oom();
		return;
	}
	if (metrics_collect(ctx, p, s, &text, &len) == 0) {
		if (write_file_atomic(path, text, len, 0644, WRITE_REPLACE, &why) < 0)
			warn("%s", why.msg);
		else
			debug("wrote the metrics to '%s'", path);
	}
	free(text);
	free(path);
}
