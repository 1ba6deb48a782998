// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check: is this host ready to serve SEV-SNP certificate tables?  A list
 * of named checks, each PASS, FAIL or SKIP with a one-line reason and,
 * when not PASS, what to do; the exit status says the worst class that
 * failed.  It reads what status reads (status-read.c) and judges it, plus
 * CPUID, the SYSCFG MSR, /dev/kvm and, with --online, the cache and KDS.
 * Read-only, like status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
#include "kds-http.h"
#include "kds.h"
#include "metrics.h"
#include "status-read.h"
#include "store.h"
#include "util.h"

/* CPUID leaf 0x8000001F EAX (AMD APM vol. 3, "Encrypted Memory Capabilities"). */
#define CPUID_MEM_ENC 0x8000001fu
#define CPUID_SEV (1u << 1)
#define CPUID_SEV_ES (1u << 3)
#define CPUID_SNP (1u << 4)
/* SYSCFG (MSR 0xC0010010): MemEncryptionModEn (SME) and SecureNestedPagingEn. */
#define MSR_SYSCFG 0xc0010010u
#define SYSCFG_SME (1ull << 23)
#define SYSCFG_SNP (1ull << 24)

/*
 * The oldest SEV-SNP firmware API this tool works with: 1.51, the first SNP
 * ABI the kernel accepts (drivers/crypto/ccp/sev-dev.c SNP_MIN_API 1.51),
 * whose SNP_PLATFORM_STATUS already has the reported TCB every table is
 * judged by.
 */
#define MIN_API_MAJOR 1
#define MIN_API_MINOR 51

#define EXPIRY_DAYS 30

static const char usage[] =
	"Usage: snp-certctl check [--online] [--product P] [--kds-url URL]\n"
	"                         [--kds-mirror URL] [--cache DIR] [--json]\n"
	"\n"
	"Check that this host is ready to serve SEV-SNP certificate tables: one line\n"
	"per check, PASS, FAIL or SKIP, a reason and, when not PASS, what to do.\n"
	"Checks: cpu-vendor, product (Venice: no KDS endpoint is known), cpuid-sev,\n"
	"cpuid-sev-es, cpuid-snp (CPUID 0x8000001F), msr-syscfg-snp (SME and SNP in\n"
	"SYSCFG, from /dev/cpu/0/msr), kvm-amd-loaded, kvm-amd-sev-snp, ccp-loaded,\n"
	"sev-device, snp-platform-init, snp-rmp-init, firmware-api (at least 1.51),\n"
	"kvm-req-certs (the certificate exit, Linux 7.0), store, table:NAME (each\n"
	"table matches the reported TCB and chip), sev-chain (the stored legacy SEV\n"
	"chain holds the firmware's PEK; skipped without legacy SEV or a stored\n"
	"chain), tables-interrupted, cert-expiry (none within 30 days), and with\n"
	"--online cache, kds-reachable and, with a mirror (kds_mirror), kds-mirror\n"
	"(it serves the product's CA chain).\n"
	"\n"
	"Exits 0 when nothing failed (SKIPs allowed), 5 when a platform check failed,\n"
	"else 4 when a table does not match the platform, else 1 (the store, the\n"
	"cache, a table that cannot be read), else 6 (KDS, with --online).\n"
	"\n"
	"      --online          also check the cache and that KDS answers\n"
	HELP_PRODUCT
	HELP_KDS_URL
	HELP_KDS_MIRROR
	HELP_CACHE
	"      --json            one JSON document on stdout:\n"
	"  {\"checks\": [{\"name\", \"result\" (\"pass\"|\"fail\"|\"skip\"), \"class\"\n"
	"               (\"platform\"|\"table\"|\"store\"|\"kds\"), \"reason\", \"fix\",\n"
	"               \"file\", \"path\" (table:NAME only)}],\n"
	"   \"passed\", \"failed\", \"skipped\", \"exit\", \"error\" (when exit is not 0)}\n";

enum result { PASS, FAIL, SKIP };
/* In rising precedence: the exit status is that of the highest class that failed. */
enum check_class { CLASS_KDS, CLASS_STORE, CLASS_TABLE, CLASS_PLATFORM };

struct check {
	char *name;
	enum result result;
	enum check_class cls;
	char reason[WHY_MAX];
	char fix[256];
	const struct status_table *table; /* table:NAME */
};

struct checks {
	struct check *v;
	size_t n, cap;
	bool oom;
};

static const char *result_name(enum result r)
{
	return r == PASS ? "pass" : r == FAIL ? "fail" : "skip";
}

static const char *class_name(enum check_class c)
{
	switch (c) {
	case CLASS_PLATFORM:
		return "platform";
	case CLASS_TABLE:
		return "table";
	case CLASS_STORE:
		return "store";
	case CLASS_KDS:
		break;
	}
	return "kds";
}

static int class_exit(enum check_class c)
{
	switch (c) {
	case CLASS_PLATFORM:
		return EXIT_PLATFORM;
	case CLASS_TABLE:
		return EXIT_VERIFY;
	case CLASS_STORE:
		return EXIT_FAIL;
	case CLASS_KDS:
		break;
	}
	return EXIT_KDS;
}

/* Add one check: its result, what to do (fix, NULL for a PASS) and the reason (printf). */
__attribute__((format(printf, 6, 7)))
static struct check *say(struct checks *l, const char *name, enum check_class cls,
			 enum result r, const char *fix, const char *fmt, ...)
{
	struct check *c;
	va_list ap;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct check *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->oom = true;
			return NULL;
		}
		l->v = v;
		l->cap = cap;
	}
	c = &l->v[l->n];
	*c = (struct check){ .result = r, .cls = cls };
	c->name = strdup(name);
	if (!c->name) {
		l->oom = true;
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	snprintf(c->fix, sizeof(c->fix), "%s", fix ? fix : "");
	l->n++;
	return c;
}

static void checks_free(struct checks *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
}

/* ---- the CPU ----------------------------------------------------------- */

static bool is_amd(const struct status_platform *p)
{
	return p->have_cpu && strcmp(p->cpu.vendor, "AuthenticAMD") == 0;
}

static void check_cpu(struct checks *l, const struct status_platform *p)
{
	const struct platform_cpu *c = &p->cpu;
	enum cpuid_source src = CPUID_FROM_NONE;
	uint32_t r[4];

	platform_cpuid(0, r, &src);
	if (!p->have_cpu)
		say(l, "cpu-vendor", CLASS_PLATFORM, FAIL, "run on an AMD EPYC host (Milan or later)",
		    "CPUID cannot be read: not an x86 CPU");
	else if (!is_amd(p))
		say(l, "cpu-vendor", CLASS_PLATFORM, FAIL, "run on an AMD EPYC host (Milan or later)",
		    "the CPU is %s, not AuthenticAMD (from %s): SEV-SNP is AMD's", c->vendor,
		    platform_cpuid_source_name(src));
	else
		say(l, "cpu-vendor", CLASS_PLATFORM, PASS, NULL,
		    "AuthenticAMD, family 0x%x model 0x%x stepping %u (from %s)", c->family,
		    c->model, c->stepping, platform_cpuid_source_name(src));

	if (p->source == PLATFORM_SOURCE_SETTING)
		say(l, "product", CLASS_PLATFORM, PASS, NULL, "%s, from the product setting",
		    amd_product_name(p->product));
	else if (p->product != AMD_PRODUCT_UNKNOWN)
		say(l, "product", CLASS_PLATFORM, PASS, NULL, "%s (family 0x%x model 0x%x)",
		    amd_product_name(p->product), c->family, c->model);
	else if (p->have_cpu && platform_is_venice(c->vendor, c->family, c->model))
		say(l, "product", CLASS_PLATFORM, SKIP,
		    "use tables from elsewhere (a VLEK from your cloud provider) until AMD's KDS "
		    "serves Venice",
		    "Venice (Zen 6, family 0x%x model 0x%x): AMD has published no KDS endpoint or "
		    "CA chain for it yet, so no VCEK can be fetched; TCBs are shown raw",
		    c->family, c->model);
	else if (p->have_cpu)
		say(l, "product", CLASS_PLATFORM, FAIL,
		    "set 'product' (Milan, Genoa or Turin) or give --product",
		    "%s family 0x%x model 0x%x is no SEV-SNP product this tool knows", c->vendor,
		    c->family, c->model);
	else
		say(l, "product", CLASS_PLATFORM, FAIL,
		    "set 'product' (Milan, Genoa or Turin) or give --product",
		    "no CPU to tell the product from");
}

static void check_cpuid_bit(struct checks *l, const char *name, const char *what, uint32_t eax,
			    uint32_t bit, unsigned int n)
{
	if (eax & bit)
		say(l, name, CLASS_PLATFORM, PASS, NULL,
		    "CPUID 0x8000001F EAX bit %u (%s) is set", n, what);
	else
		say(l, name, CLASS_PLATFORM, FAIL,
		    "run on bare metal with an EPYC CPU that has SEV-SNP (Milan or later)",
		    "CPUID 0x8000001F EAX bit %u (%s) is clear: the CPU does not offer it", n, what);
}

static void check_cpuid(struct checks *l, const struct status_platform *p)
{
	static const char *const names[] = { "cpuid-sev", "cpuid-sev-es", "cpuid-snp" };
	uint32_t r[4] = { 0 }, max[4] = { 0 };
	enum cpuid_source src = CPUID_FROM_NONE;

	if (!is_amd(p) || platform_cpuid(0x80000000u, max, &src) < 0 || max[0] < CPUID_MEM_ENC ||
	    platform_cpuid(CPUID_MEM_ENC, r, NULL) < 0) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (!is_amd(p))
				say(l, names[i], CLASS_PLATFORM, SKIP, "see cpu-vendor",
				    "not an AMD CPU");
			else
				say(l, names[i], CLASS_PLATFORM, FAIL,
				    "run on an EPYC CPU that has SEV-SNP (Milan or later)",
				    "CPUID has no leaf 0x8000001F (memory encryption; highest "
				    "extended leaf 0x%x, from %s)", max[0],
				    platform_cpuid_source_name(src));
		}
		return;
	}
	check_cpuid_bit(l, "cpuid-sev", "SEV", r[0], CPUID_SEV, 1);
	check_cpuid_bit(l, "cpuid-sev-es", "SEV-ES", r[0], CPUID_SEV_ES, 3);
	check_cpuid_bit(l, "cpuid-snp", "SEV-SNP", r[0], CPUID_SNP, 4);
}

static void check_msr(struct checks *l)
{
	uint64_t v = 0;
	int ret = platform_msr_read(MSR_SYSCFG, &v);

	if (ret == -ENOENT || ret == -ENXIO || ret == -ENODEV)
		say(l, "msr-syscfg-snp", CLASS_PLATFORM, SKIP, "'modprobe msr' to check it",
		    "/dev/cpu/0/msr is not there (the msr module is not loaded)");
	else if (ret == -EACCES || ret == -EPERM)
		say(l, "msr-syscfg-snp", CLASS_PLATFORM, SKIP, "run check as root to check it",
		    "cannot read /dev/cpu/0/msr: %s", strerror(-ret));
	else if (ret < 0)
		say(l, "msr-syscfg-snp", CLASS_PLATFORM, SKIP, "see the kernel log",
		    "cannot read SYSCFG (MSR 0xC0010010) from /dev/cpu/0/msr: %s", strerror(-ret));
	else if (!(v & SYSCFG_SME))
		say(l, "msr-syscfg-snp", CLASS_PLATFORM, FAIL,
		    "enable SME (SMEE) and SEV-SNP in the BIOS setup",
		    "SYSCFG 0x%llx: MemEncryptionModEn (bit 23) is clear: memory encryption is "
		    "off", (unsigned long long)v);
	else if (!(v & SYSCFG_SNP))
		say(l, "msr-syscfg-snp", CLASS_PLATFORM, FAIL,
		    "enable SEV-SNP (and its RMP table) in the BIOS setup, and boot a kernel with "
		    "SNP host support",
		    "SYSCFG 0x%llx: SecureNestedPagingEn (bit 24) is clear: SNP is not enabled",
		    (unsigned long long)v);
	else
		say(l, "msr-syscfg-snp", CLASS_PLATFORM, PASS, NULL,
		    "SYSCFG 0x%llx: MemEncryptionModEn (bit 23) and SecureNestedPagingEn (bit 24) "
		    "are set", (unsigned long long)v);
}

/* ---- modules, device, firmware ------------------------------------------ */

static bool module_up(enum module_state s)
{
	return s == MODULE_LOADED || s == MODULE_BUILTIN;
}

static void check_module(struct checks *l, const char *check, const char *mod,
			 enum module_state s)
{
	char fix[64];

	snprintf(fix, sizeof(fix), "modprobe %s", mod);
	if (module_up(s))
		say(l, check, CLASS_PLATFORM, PASS, NULL, "%s is %s", mod,
		    platform_module_state_name(s));
	else if (s == MODULE_UNKNOWN)
		say(l, check, CLASS_PLATFORM, SKIP, "see /sys/module",
		    "libkmod cannot tell whether %s is loaded", mod);
	else
		say(l, check, CLASS_PLATFORM, FAIL, s == MODULE_ABSENT ? fix :
		    "wait for it, then check again", "%s is %s", mod, platform_module_state_name(s));
}

static void check_modules(struct checks *l, const struct status_platform *p)
{
	static const char fix[] = "load kvm_amd with sev_snp=1 ('modprobe -r kvm_amd; modprobe "
				  "kvm_amd sev_snp=1', or kvm_amd.sev_snp=1 on the kernel command "
				  "line)";

	check_module(l, "kvm-amd-loaded", "kvm_amd", p->kvm_amd);
	if (p->sev_snp == TRI_YES)
		say(l, "kvm-amd-sev-snp", CLASS_PLATFORM, PASS, NULL, "kvm_amd's sev_snp is Y");
	else if (p->sev_snp == TRI_NO)
		say(l, "kvm-amd-sev-snp", CLASS_PLATFORM, FAIL, fix,
		    "kvm_amd's sev_snp is N: KVM runs no SNP guests");
	else if (module_up(p->kvm_amd))
		say(l, "kvm-amd-sev-snp", CLASS_PLATFORM, FAIL,
		    "boot a kernel with SNP host support (Linux 6.11 or later)",
		    "kvm_amd has no sev_snp parameter: the kernel lacks SNP host support");
	else
		say(l, "kvm-amd-sev-snp", CLASS_PLATFORM, SKIP, "see kvm-amd-loaded",
		    "kvm_amd is not loaded");
	check_module(l, "ccp-loaded", "ccp", p->ccp);
}

static void check_firmware(struct checks *l, const struct status_platform *p)
{
	static const char dmesg[] = "see the kernel log: dmesg | grep -i -e ccp -e sev";
	const struct snp_platform_status *st = &p->st;

	if (!p->present)
		say(l, "sev-device", CLASS_PLATFORM, FAIL,
		    "load ccp and kvm_amd (sev_snp=1): the kernel creates the device",
		    "%s: %s", p->path, p->error);
	else if (!p->opened)
		say(l, "sev-device", CLASS_PLATFORM, FAIL,
		    "run check as root (or point SNP_CERTCTL_DEVICE at the device)", "%s",
		    p->error);
	else
		say(l, "sev-device", CLASS_PLATFORM, PASS, NULL, "%s is there and opens",
		    p->path);

	if (!p->opened) {
		say(l, "snp-platform-init", CLASS_PLATFORM, SKIP, "see sev-device",
		    "no SEV device to ask");
		say(l, "snp-rmp-init", CLASS_PLATFORM, SKIP, "see sev-device",
		    "no SEV device to ask");
		say(l, "firmware-api", CLASS_PLATFORM, SKIP, "see sev-device",
		    "no SEV device to ask");
		return;
	}
	if (!p->have_status) {
		say(l, "snp-platform-init", CLASS_PLATFORM, FAIL, dmesg, "%s", p->error);
		say(l, "snp-rmp-init", CLASS_PLATFORM, SKIP, "see snp-platform-init",
		    "no platform status");
		say(l, "firmware-api", CLASS_PLATFORM, SKIP, "see snp-platform-init",
		    "no platform status");
		return;
	}
	if (st->state == SNP_STATE_INIT)
		say(l, "snp-platform-init", CLASS_PLATFORM, PASS, NULL,
		    "the SNP platform state is init");
	else
		say(l, "snp-platform-init", CLASS_PLATFORM, FAIL,
		    "the kernel initialises SNP when kvm_amd loads with sev_snp=1; see the "
		    "kernel log", "the SNP platform state is %s (%u), not init",
		    status_state_name(st->state), st->state);
	if (st->rmp & SNP_RMP_INITIALIZED)
		say(l, "snp-rmp-init", CLASS_PLATFORM, PASS, NULL, "the RMP is initialised");
	else
		say(l, "snp-rmp-init", CLASS_PLATFORM, FAIL,
		    "reserve the RMP in the BIOS (SNP memory coverage) and see the kernel log",
		    "the RMP is not initialised");
	if (st->api_major > MIN_API_MAJOR ||
	    (st->api_major == MIN_API_MAJOR && st->api_minor >= MIN_API_MINOR))
		say(l, "firmware-api", CLASS_PLATFORM, PASS, NULL,
		    "API %u.%u, build %u (at least %d.%d needed)", st->api_major, st->api_minor,
		    st->build_id, MIN_API_MAJOR, MIN_API_MINOR);
	else
		say(l, "firmware-api", CLASS_PLATFORM, FAIL,
		    "update the SEV firmware (a BIOS update, or the ccp module's firmware file)",
		    "API %u.%u is older than %d.%d, the first SEV-SNP ABI the kernel accepts",
		    st->api_major, st->api_minor, MIN_API_MAJOR, MIN_API_MINOR);
}

/* The certificate exit: libsnpcert's probe (status-read.c), as a VMM makes it. */
static void check_kvm(struct checks *l, const struct status_platform *p)
{
	const char *w = status_kvm_req_certs(p);
	int e = p->kvm_open_err ? -p->kvm_open_err : -p->kvm_req_certs;

	if (p->kvm_open_err && (e == EACCES || e == EPERM))
		say(l, "kvm-req-certs", CLASS_PLATFORM, SKIP,
		    "run check as root (or in group kvm) to check it",
		    "cannot open " STATUS_KVM_DEVICE ": %s", strerror(e));
	else if (p->kvm_open_err)
		say(l, "kvm-req-certs", CLASS_PLATFORM, FAIL, "load kvm_amd",
		    "cannot open " STATUS_KVM_DEVICE ": %s", strerror(e));
	else if (strcmp(w, "yes") == 0)
		say(l, "kvm-req-certs", CLASS_PLATFORM, PASS, NULL,
		    "KVM has the certificate exit (KVM_X86_SEV_SNP_REQ_CERTS): VMMs can hand "
		    "guests these tables");
	else if (strcmp(w, "no") == 0)
		say(l, "kvm-req-certs", CLASS_PLATFORM, FAIL, "boot Linux 7.0 or later",
		    "KVM lacks the certificate exit (KVM_X86_SEV_SNP_REQ_CERTS): no VMM can hand "
		    "guests the tables");
	else
		say(l, "kvm-req-certs", CLASS_PLATFORM, FAIL, "see the kernel log",
		    "KVM_HAS_DEVICE_ATTR on " STATUS_KVM_DEVICE " failed: %s", strerror(e));
}

/* ---- the store and its tables ------------------------------------------- */

/*
 * The store lock as store_lock() takes it: absent (made then), or a regular
 * file passing sc_trust_check.  0, or -1 with what is wrong in bad.
 */
static int store_lock_usable(const char *store, char *bad, size_t len)
{
	char *path = path_join(store, STORE_LOCK_NAME), reason[128];
	struct stat st;
	int r = 0;

	if (path && lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			snprintf(bad, len, "its lock '%s' is %s, not a regular file", path,
				 file_type_name(st.st_mode));
			r = -1;
		} else if (sc_trust_check(&st, reason, sizeof(reason)) < 0) {
			snprintf(bad, len, "its lock '%s' is %s", path, reason);
			r = -1;
		}
	}
	free(path);
	return r;
}

static void check_store(struct checks *l, const struct status_store *s)
{
	char bad[WHY_MAX];
	struct why why;
	struct stat st;

	if (store_trusted(s->path, &why) < 0)
		say(l, "store", CLASS_STORE, FAIL,
		    "make it and every directory above it owned by root and not writable by "
		    "group or others", "%s", why.msg);
	else if (stat(s->path, &st) < 0)
		say(l, "store", CLASS_STORE, FAIL,
		    errno == ENOENT ? "create it: install -d -m 0755 STORE (as root), then build "
				      "tables into it" : "check its owner and mode",
		    "the store '%s': %s", s->path, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		say(l, "store", CLASS_STORE, FAIL, "make it a directory (setting store)",
		    "the store '%s' is %s, not a directory", s->path, file_type_name(st.st_mode));
	else if (s->list_error)
		say(l, "store", CLASS_STORE, FAIL, "check its owner and mode",
		    "cannot read the store '%s': %s", s->path, s->error);
	else if (store_lock_usable(s->path, bad, sizeof(bad)) < 0)
		say(l, "store", CLASS_STORE, FAIL, "remove it (workflows make it again)",
		    "every workflow refuses the store '%s': %s", s->path, bad);
	else if (s->unmanaged)
		say(l, "store", CLASS_STORE, FAIL, "remove or move them out of the store (see the "
		    "warnings above)", "the store '%s' holds %zu %s that %s not %s "
		    "snp-certctl can manage, so refresh fails", s->path, s->unmanaged,
		    s->unmanaged == 1 ? "entry" : "entries", s->unmanaged == 1 ? "is" : "are",
		    s->unmanaged == 1 ? "a table" : "tables");
	else
		say(l, "store", CLASS_STORE, PASS, NULL,
		    "%s: %zu %s, owned by uid %u, not writable by group or others", s->path, s->n,
		    s->n == 1 ? "table" : "tables", (unsigned int)st.st_uid);
}

/* What a status of status_read_store() means for table:NAME. */
static const struct {
	const char *status;
	enum result result;
	enum check_class cls;
	const char *fix;
} table_verdicts[] = {
	{ "match", PASS, CLASS_TABLE, NULL },
	{ "vlek", PASS, CLASS_TABLE, NULL },
	{ "tcb-mismatch", FAIL, CLASS_TABLE, "snp-certctl refresh" },
	{ "chip-mismatch", FAIL, CLASS_TABLE, "fetch this chip's VCEK: snp-certctl refresh" },
	{ "product-mismatch", FAIL, CLASS_TABLE,
	  "rebuild it for this platform's product, or correct the product setting" },
	{ "no-key", FAIL, CLASS_TABLE,
	  "add a VCEK (snp-certctl refresh) or a VLEK (snp-certctl update --vlek)" },
	{ "malformed", FAIL, CLASS_TABLE, "rebuild it (snp-certctl build, or refresh)" },
	{ "unreadable", FAIL, CLASS_STORE, "check the file's owner and mode" },
	{ "busy", FAIL, CLASS_STORE, "see who holds it: snp-certctl locks" },
	{ "interrupted", FAIL, CLASS_STORE, "snp-certctl recover" },
	{ "untrusted", FAIL, CLASS_STORE, "make it root's and not writable by others: "
	  "chown root FILE; chmod go-w FILE" },
	{ "unknown", SKIP, CLASS_TABLE, "see the platform checks above" },
};

static void check_tables(struct checks *l, const struct status_store *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct status_table *t = &s->v[i];
		size_t k = 0;
		struct check *c;
		char name[512];

		while (k + 1 < sizeof(table_verdicts) / sizeof(table_verdicts[0]) &&
		       strcmp(table_verdicts[k].status, t->status) != 0)
			k++;
		snprintf(name, sizeof(name), "table:%s", t->name);
		c = say(l, name, table_verdicts[k].cls, table_verdicts[k].result,
			table_verdicts[k].fix, "%s: %s", t->status, t->detail);
		if (c)
			c->table = t;
	}
}

/*
 * The stored legacy SEV chain (<store>/sev/pek.cert) against the PEK the
 * firmware exports: fails on another PEK (class table: what guests are
 * handed does not fit the platform) or a stored file that cannot be used
 * (class store); skipped without a legacy SEV platform or a stored chain.
 */
static void check_sev_chain(struct checks *l, const struct status_platform *p)
{
	const char *st = p->sev_chain ? p->sev_chain : "unknown";

	if (!p->opened || !p->have_legacy)
		say(l, "sev-chain", CLASS_TABLE, SKIP, "none needed without legacy SEV guests",
		    "no legacy SEV platform to compare "
		    "with%s%s", p->legacy_error[0] ? ": " : "", p->legacy_error);
	else if (strcmp(st, "absent") == 0)
		say(l, "sev-chain", CLASS_TABLE, SKIP,
		    "export the chain (sev-export) if legacy SEV guests need it", "no stored chain (%s)",
		    p->sev_chain_path);
	else if (strcmp(st, "match") == 0)
		say(l, "sev-chain", CLASS_TABLE, PASS, NULL, "%s: %s", p->sev_chain_path,
		    p->sev_chain_detail);
	else if (strcmp(st, "mismatch") == 0)
		say(l, "sev-chain", CLASS_TABLE, FAIL,
		    "export the platform's chain again (sev-export) and verify it (sev-verify)",
		    "%s: %s", p->sev_chain_path, p->sev_chain_detail);
	else if (strcmp(st, "unknown") == 0)
		say(l, "sev-chain", CLASS_TABLE, SKIP,
		    "run check as root while the platform is init to compare it",
		    "the firmware's PEK could not be read: %s", p->sev_chain_detail);
	else
		say(l, "sev-chain", CLASS_STORE, FAIL,
		    "export the platform's chain again (sev-export)", "%s: %s: %s",
		    p->sev_chain_path, st, p->sev_chain_detail);
}

static void check_interrupted(struct checks *l, const struct status_store *s)
{
	char list[WHY_MAX] = "";
	size_t n = 0, o = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (!s->v[i].interrupted)
			continue;
		if (o < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", n ? ", " : "",
					      s->v[i].name);
		n++;
	}
	if (n)
		say(l, "tables-interrupted", CLASS_STORE, FAIL, "snp-certctl recover",
		    "%zu %s awaiting recovery (an update was cut short): %s", n,
		    n == 1 ? "table is" : "tables are", list);
	else
		say(l, "tables-interrupted", CLASS_STORE, PASS, NULL, "no table awaits recovery");
}

static void check_expiry(struct checks *l, const struct status_store *s, time_t now)
{
	const struct status_table *first = NULL;
	char list[WHY_MAX] = "", when[32];
	size_t n = 0, o = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct status_table *t = &s->v[i];

		if (!t->has_expiry)
			continue;
		if (!first || t->not_after < first->not_after)
			first = t;
		if (t->not_after - now >= (time_t)EXPIRY_DAYS * 86400)
			continue;
		format_time(t->not_after, when, sizeof(when));
		if (o < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o,
					      "%s%s (its %s certificate %s %s)", n ? ", " : "",
					      t->name, amd_cert_kind_name(t->expiry_kind),
					      t->not_after < now ? "expired" : "expires", when);
		n++;
	}
	if (!first) {
		say(l, "cert-expiry", CLASS_STORE, SKIP, "see store", "no certificates to check");
		return;
	}
	if (n) {
		say(l, "cert-expiry", CLASS_STORE, FAIL,
		    "snp-certctl refresh, or rebuild the table with new certificates",
		    "%zu %s a certificate that expires within %d days: %s", n,
		    n == 1 ? "table has" : "tables have", EXPIRY_DAYS, list);
		return;
	}
	format_time(first->not_after, when, sizeof(when));
	say(l, "cert-expiry", CLASS_STORE, PASS, NULL,
	    "nothing expires within %d days; the first is %s's %s, on %s", EXPIRY_DAYS,
	    first->name, amd_cert_kind_name(first->expiry_kind), when);
}

/* ---- --online ----------------------------------------------------------- */

static void check_cache(struct checks *l, const char *dir)
{
	char bad[128];
	struct stat st;
	int e = stat(dir, &st) < 0 ? errno : 0;

	if (e == ENOENT)
		say(l, "cache", CLASS_STORE, PASS, NULL,
		    "the cache '%s' does not exist yet: the first fetch creates it", dir);
	else if (e)
		say(l, "cache", CLASS_STORE, FAIL, "check its owner and mode (setting cache_dir)",
		    "the cache '%s': %s", dir, strerror(e));
	else if (!S_ISDIR(st.st_mode))
		say(l, "cache", CLASS_STORE, FAIL, "make it a directory (setting cache_dir)",
		    "the cache '%s' is %s, not a directory", dir, file_type_name(st.st_mode));
	else if (sc_trust_check_dir(&st, bad, sizeof(bad)) < 0)
		say(l, "cache", CLASS_STORE, FAIL,
		    "chown root and chmod go-w the cache directory", "the cache '%s' is %s", dir,
		    bad);
	else if (access(dir, W_OK) < 0)
		say(l, "cache", CLASS_STORE, FAIL, "run as the user that owns it (root)",
		    "cannot write the cache '%s': %s", dir, strerror(errno));
	else
		say(l, "cache", CLASS_STORE, PASS, NULL,
		    "the cache '%s' is a directory this user can write, not writable by others",
		    dir);
}

static void check_kds(struct checks *l, const struct ctx *ctx, const struct status_platform *p)
{
	struct kds_http_opts o;
	char path[KDS_PATH_MAX];
	struct why why = { "cannot form the CA chain's request" };
	uint8_t *body = NULL;
	char *url = NULL;
	size_t len = 0;

	if (p->product == AMD_PRODUCT_UNKNOWN) {
		say(l, "kds-reachable", CLASS_KDS, SKIP, "see product",
		    p->have_cpu && platform_is_venice(p->cpu.vendor, p->cpu.family, p->cpu.model) ?
			    "no KDS endpoint is known for Venice" :
			    "the product is unknown: nothing to ask KDS for");
		return;
	}
	if (kds_http_opts_init(&o, ctx_get(ctx, SET_KDS_URL), &why) < 0 ||
	    kds_chain_path(p->product, KDS_FAMILY_VCEK, path, sizeof(path)) < 0 ||
	    kds_http_get(&o, path, false, "the CA chain", &body, &len, &why) < 0) {
		say(l, "kds-reachable", CLASS_KDS, FAIL,
		    "check the network, the proxy (https_proxy) and the setting kds_url", "%s",
		    why.msg);
		return;
	}
	free(body);
	if (kds_url_join(ctx_get(ctx, SET_KDS_URL), path, &url) < 0)
		url = NULL;
	say(l, "kds-reachable", CLASS_KDS, PASS, NULL, "%s answered (%zu bytes)",
	    url ? url : path, len);
	free(url);
}

/*
 * With a mirror (setting kds_mirror): does it serve the product's CA chain,
 * at its cache name, as mirror writes it?  Only its presence is judged here;
 * what a host takes from it is verified when it is fetched.
 */
static void check_mirror(struct checks *l, const struct ctx *ctx, const struct status_platform *p)
{
	const char *base = ctx_get(ctx, SET_KDS_MIRROR);
	struct kds_http_opts o;
	char name[KDS_PATH_MAX], path[KDS_PATH_MAX + 1];
	struct why why = { "cannot form the CA chain's name" };
	uint8_t *body = NULL;
	size_t len = 0;

	if (!base || !*base || p->product == AMD_PRODUCT_UNKNOWN)
		return;
	if (kds_http_opts_init(&o, base, &why) < 0 ||
	    kds_chain_name(p->product, KDS_FAMILY_VCEK, name, sizeof(name)) < 0) {
		say(l, "kds-mirror", CLASS_KDS, FAIL, "check the setting kds_mirror", "%s",
		    why.msg);
		return;
	}
	o.server = "the mirror";
	snprintf(path, sizeof(path), "/%s", name);
	if (kds_http_get(&o, path, false, path, &body, &len, &why) < 0) {
		say(l, "kds-mirror", CLASS_KDS, FAIL,
		    "run snp-certctl mirror --hosts for this host, publish it, check kds_mirror",
		    "%s", why.msg);
		return;
	}
	free(body);
	say(l, "kds-mirror", CLASS_KDS, PASS, NULL, "the mirror '%s' serves %s (%zu bytes)", base,
	    name, len);
}

/* ---- output --------------------------------------------------------------- */

static int exit_for(const struct checks *l)
{
	int worst = -1;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].result == FAIL && (int)l->v[i].cls > worst)
			worst = (int)l->v[i].cls;
	return worst < 0 ? 0 : class_exit((enum check_class)worst);
}

static void count(const struct checks *l, size_t out[3])
{
	out[PASS] = out[FAIL] = out[SKIP] = 0;
	for (size_t i = 0; i < l->n; i++)
		out[l->v[i].result]++;
}

static void print_text(const struct checks *l, int status)
{
	size_t n[3];

	for (size_t i = 0; i < l->n; i++) {
		const struct check *c = &l->v[i];

		tprintf("%s  %-19s %s\n", c->result == PASS ? "PASS" : c->result == FAIL ? "FAIL" :
			"SKIP", c->name, c->reason);
		if (c->result != PASS && c->fix[0])
			tprintf("      %-19s %s\n", "to do:", c->fix);
	}
	count(l, n);
	tprintf("%zu passed, %zu failed, %zu skipped: exit %d\n", n[PASS], n[FAIL], n[SKIP],
		status);
}

/*
 * The error a failing check's document ends with: the first failed check of
 * the class that decided the exit status, and how many others failed.
 */
static void json_failure(struct jout *j, const struct checks *l, int status, size_t failed)
{
	const struct check *decisive = NULL;
	char msg[2 * WHY_MAX]; /* a name and a reason; error_note keeps WHY_MAX of it */

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].result == FAIL && (!decisive || l->v[i].cls > decisive->cls))
			decisive = &l->v[i];
	if (decisive) {
		snprintf(msg, sizeof(msg), "%s: %s%s", decisive->name, decisive->reason,
			 failed > 1 ? " (and other checks failed)" : "");
		error_note(msg);
	}
	jout_error(j, status);
}

static void print_json(const struct checks *l, int status)
{
	struct jout j;
	size_t n[3];

	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	jout_array_begin(&j, "checks");
	for (size_t i = 0; i < l->n; i++) {
		const struct check *c = &l->v[i];

		jout_object_begin(&j, NULL);
		jout_string(&j, "name", c->name);
		jout_string(&j, "result", result_name(c->result));
		jout_string(&j, "class", class_name(c->cls));
		jout_string(&j, "reason", c->reason);
		if (c->result != PASS && c->fix[0])
			jout_string(&j, "fix", c->fix);
		if (c->table)
			jout_table(&j, c->table->path);
		jout_object_end(&j);
	}
	jout_array_end(&j);
	count(l, n);
	jout_uint(&j, "passed", n[PASS]);
	jout_uint(&j, "failed", n[FAIL]);
	jout_uint(&j, "skipped", n[SKIP]);
	jout_uint(&j, "exit", (unsigned int)status);
	if (status)
		json_failure(&j, l, status, n[FAIL]);
	jout_object_end(&j);
	jout_finish(&j);
}

static int cmd_check_main(struct ctx *ctx, int argc, char **argv)
{
	enum { OPT_ONLINE = OPT_COMMON_LAST };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		LONGOPT_PRODUCT,
		LONGOPT_KDS_URL,
		LONGOPT_KDS_MIRROR,
		LONGOPT_CACHE,
		{ "online", no_argument, NULL, OPT_ONLINE },
		{ NULL, 0, NULL, 0 },
	};
	struct status_platform p = { 0 };
	struct checks l = { 0 };
	struct status_store s;
	bool online = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == OPT_ONLINE)
			online = true;
		else
			common_option(ctx, c, optarg, argv);
	}
	if (optind != argc)
		return usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	ret = ctx_load(ctx);
	if (ret)
		return ret;
	if (status_read(ctx, &p, &s) < 0) {
		status_store_free(&s);
		return EXIT_FAIL;
	}
	check_cpu(&l, &p);
	check_cpuid(&l, &p);
	check_msr(&l);
	check_modules(&l, &p);
	check_firmware(&l, &p);
	check_kvm(&l, &p);
	check_store(&l, &s);
	check_tables(&l, &s);
	check_sev_chain(&l, &p);
	check_interrupted(&l, &s);
	check_expiry(&l, &s, time(NULL));
	if (online) {
		check_cache(&l, ctx_get(ctx, SET_CACHE_DIR));
		check_kds(&l, ctx, &p);
		check_mirror(&l, ctx, &p);
	} else {
		say(&l, "cache", CLASS_STORE, SKIP, "give --online", "not checked without --online");
		say(&l, "kds-reachable", CLASS_KDS, SKIP, "give --online",
		    "not checked without --online");
	}
	if (l.oom) {
		ret = cmd_oom();
	} else {
		ret = exit_for(&l);
		if (ctx->json)
			print_json(&l, ret);
		else
			print_text(&l, ret);
		metrics_write_dir(ctx, &p, &s);
	}
	checks_free(&l);
	status_store_free(&s);
	return ret;
}

const struct cmd cmd_check = { "check", cmd_check_main,
			       "check that this host is ready for SEV-SNP certificate tables",
			       usage, .json = true };
