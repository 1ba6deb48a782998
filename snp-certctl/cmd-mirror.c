// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * snp-certctl mirror DIR: the verified entries of the KDS cache as a static
 * tree any web server or object store can serve (formats/mirror-layout.md),
 * with index.json written last; with --hosts, first fetched from KDS what
 * the fleet needs and the cache lacks, politely (a token bucket of --rate
 * requests per second across all requests, one request per key ever).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "base.h"
#include "certs.h"
#include "cmd.h"
#include "hostlist.h"
#include "json.h"
#include "kds-cache.h"
#include "sev-store.h"
#include "util.h"

enum { OPT_HOSTS = OPT_COMMON_LAST, OPT_RATE, OPT_OFFLINE };

static const char usage[] =
	"Usage: snp-certctl mirror DIR [--hosts FILE]... [--kds-url URL] [--cache DIR]\n"
	"                          [--rate N] [--offline] [--trust-root PEM]... [--json]\n"
	"\n"
	"Write every entry of the KDS cache that verifies now (VCEKs, the VCEK and VLEK\n"
	"CA chains and CRLs, VLEKs) into DIR, laid out as the cache is, path-only (no\n"
	"query strings), so that any web server, object store or CDN serves DIR as\n"
	"plain files to hosts configured with kds_mirror = URL (formats/mirror-\n"
	"layout.md).  An entry that does not verify is skipped with a warning.  Each\n"
	"file is written whole (temporary file, fsync, rename; files 0644, directories\n"
	"0755), a file already identical is left alone, and DIR/index.json, listing\n"
	"every entry with its sha256, is written last (and removed before the first\n"
	"file already in DIR is replaced, so an index is always true of the files).\n"
	"\n"
	"With --hosts, first fetch what the fleet needs and the cache lacks: each\n"
	"host's VCEK (product, chip id, reported TCB; repeats counted once) and each\n"
	"product's CA chain and CRL, through the cache (verified, then cached), at\n"
	"most N requests per second, one line per key on stderr and a summary.\n"
	"A FILE holds `snp-certctl status --json` documents of hosts (one or several,\n"
	"concatenated: \"product\", \"sev\".\"chip_id\", \"sev\".\"reported_tcb\".\"raw\"),\n"
	"or lines 'PRODUCT CHIP_ID TCB' (# comments; TCB a TCB SPEC or 0x...).\n"
	"\n"
	"      --hosts FILE      the fleet's hosts (repeatable); checked whole before\n"
	"                        any request: a line at fault is an error (exit 2)\n"
	HELP_KDS_URL
	HELP_CACHE
	"      --rate N          at most N requests per second (default 1; fractions\n"
	"                        allowed, 0.1; \"N/s\" too); Retry-After is honoured\n"
	"      --offline         never ask KDS: what the cache lacks fails (exit 6)\n"
	HELP_TRUST_ROOT
	"      --json            one JSON document on stdout:\n"
	"  {\"dir\", \"entries\" (in the index), \"written\", \"unchanged\", \"fetched\",\n"
	"   \"skipped\" (cached entries that do not verify), \"failed\": [{\"what\",\n"
	"   \"error\"}], \"index\" (its path), \"error\" (when a fetch failed)}\n"
	"\n"
	"The setting kds_mirror is not used here: the mirror is made from KDS.\n"
	"One run writes DIR at a time (an exclusive flock of DIR, waited for up to the\n"
	"lock timeout, once the fetches are done); temporary files a killed run left\n"
	"in DIR are removed.  Links and other non-directories inside DIR are refused,\n"
	"never followed: nothing is written outside DIR.\n"
	"Exit status: 0 done, 2 usage (a bad --hosts file: nothing is asked or\n"
	"written), 6 a fetch failed (the others went on; the index lists what is\n"
	"there), 4 KDS sent something that does not verify, 3 another run held DIR\n"
	"past the lock timeout, 1 DIR cannot be written.\n";

#define HOSTS_FILE_MAX (256u * 1024 * 1024)
#define MIRROR_FILE_MAX (64 * 1024)

struct failure {
	char *what, *error;
};

/* One entry of the index. */
struct entry {
	char *path;       /* relative to DIR, the cache name */
	const char *kind; /* vcek, chain, crl, vlek, cek */
	enum amd_product product; /* not for a CEK */
	enum sev_gen gen;         /* a CEK: the generation it verified as */
	enum kds_family family;
	bool has_id;      /* a VCEK: hwid and TCB */
	struct kds_vcek_id id;
	bool has_tcb;     /* a VLEK: its TCB */
	struct amd_tcb tcb;
	unsigned char sha256[32];
	size_t size;
};

/* The token bucket: at most rate requests per second, a burst of one. */
struct bucket {
	double rate, tokens;
	uint64_t last_ns;
};

struct mirror {
	const char *dir;
	int dfd; /* DIR, opened once, locked for the run */
	bool index_dropped; /* DIR/index.json removed before a file was replaced */
	const char **hosts;
	size_t n_hosts;
	double rate;
	bool offline;
	struct kds_vcek_id *keys; /* deduplicated */
	size_t n_keys;
	bool product_seen[AMD_PRODUCT_COUNT];
	struct entry *v;
	size_t n, cap;
	struct failure *failed;
	size_t n_failed;
	int fail_status;
	size_t written, unchanged, fetched, skipped;
	struct bucket bucket;
};

/* ---- options -------------------------------------------------------------- */

/* "N" or "N/s", N > 0 as parse_seconds() reads it (DIGITS[.DIGITS]). */
static int parse_rate(const char *s, double *out)
{
	char buf[64];
	size_t n = strlen(s);

	if (n >= 2 && strcmp(s + n - 2, "/s") == 0)
		n -= 2;
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (parse_seconds(buf, out) < 0 || *out <= 0)
		return -EINVAL;
	return 0;
}

static int parse_args(struct ctx *ctx, int argc, char **argv, struct mirror *m)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "hosts", required_argument, NULL, OPT_HOSTS },
		LONGOPT_KDS_URL,
		LONGOPT_CACHE,
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "offline", no_argument, NULL, OPT_OFFLINE },
		LONGOPT_TRUST_ROOT,
		{ NULL, 0, NULL, 0 },
	};
	const char **h;
	int c;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case OPT_HOSTS:
			h = realloc(m->hosts, (m->n_hosts + 1) * sizeof(*h));
			if (!h)
				return cmd_oom();
			m->hosts = h;
			m->hosts[m->n_hosts++] = optarg;
			break;
		case OPT_RATE:
			if (parse_rate(optarg, &m->rate) < 0)
				return usage_error(ctx, "invalid --rate '%s': want requests per "
						   "second, e.g. 1, 0.1 or 5/s", optarg);
			break;
		case OPT_OFFLINE:
			m->offline = true;
			break;
		}
	}
	if (optind == argc)
		return usage_error(ctx, "no mirror directory given");
	m->dir = argv[optind++];
	if (optind < argc)
		return usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (!*m->dir)
		return usage_error(ctx, "empty mirror directory");
	return 0;
}

/* ---- the hosts ------------------------------------------------------------- */

static int key_cmp(const void *a, const void *b)
{
	const struct kds_vcek_id *x = a, *y = b;
	uint64_t tx = amd_tcb_to_raw(x->product, &x->tcb), ty = amd_tcb_to_raw(y->product, &y->tcb);

	if (x->product != y->product)
		return x->product < y->product ? -1 : 1;
	if (x->hwid_len != y->hwid_len)
		return x->hwid_len < y->hwid_len ? -1 : 1;
	if (memcmp(x->hwid, y->hwid, x->hwid_len))
		return memcmp(x->hwid, y->hwid, x->hwid_len);
	return tx < ty ? -1 : tx > ty;
}

struct hosts_arg {
	struct mirror *m;
	size_t cap;
};

static int add_host(void *arg, unsigned int line, const struct host_key *k)
{
	struct hosts_arg *a = arg;
	struct mirror *m = a->m;
	struct kds_vcek_id id = { .product = k->product, .hwid_len = k->chip_id_len,
				  .tcb = k->tcb };

	(void)line;
	memcpy(id.hwid, k->chip_id, k->chip_id_len);
	if (kds_vcek_id_normalize(&id) < 0)
		return -EINVAL;
	if (m->n_keys == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		struct kds_vcek_id *v = realloc(m->keys, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->keys = v;
		a->cap = cap;
	}
	m->keys[m->n_keys++] = id;
	m->product_seen[k->product] = true;
	return 0;
}

/* Every --hosts file, parsed whole, the keys deduplicated.  0 or an exit status after saying why. */
static int read_hosts(struct mirror *m)
{
	struct hosts_arg a = { m, 0 };
	size_t n = 0;

	for (size_t i = 0; i < m->n_hosts; i++) {
		unsigned int line = 0;
		uint8_t *text = NULL;
		size_t len = 0;
		char why[256];
		int r = read_file(m->hosts[i], HOSTS_FILE_MAX, &text, &len);

		if (r == -ENOMEM)
			return cmd_oom();
		if (r < 0) {
			if (r == -ERR_REFUSED)
				err("refusing the hosts file '%s': not a regular file", m->hosts[i]);
			else if (r == -EFBIG)
				err("cannot read the hosts file '%s': larger than %u MiB",
				    m->hosts[i], HOSTS_FILE_MAX / (1024 * 1024));
			else
				err("cannot read the hosts file '%s': %s", m->hosts[i],
				    strerror(-r));
			return r == -ENOENT || r == -ERR_REFUSED ? EXIT_USAGE : EXIT_FAIL;
		}
		r = hosts_parse(text, len, add_host, &a, &line, why, sizeof(why));
		free(text);
		if (r == -ENOMEM)
			return cmd_oom();
		if (r < 0) {
			err("%s:%u: %s", m->hosts[i], line, why);
			return EXIT_USAGE;
		}
	}
	if (m->n_keys)
		qsort(m->keys, m->n_keys, sizeof(*m->keys), key_cmp);
	for (size_t i = 0; i < m->n_keys; i++)
		if (n == 0 || key_cmp(&m->keys[n - 1], &m->keys[i]) != 0)
			m->keys[n++] = m->keys[i];
	m->n_keys = n;
	return 0;
}

/* ---- fetching ------------------------------------------------------------- */

/* Before every request: wait for a token. */
static void take_token(void *arg)
{
	struct bucket *b = arg;
	uint64_t now = sc_now_ns();

	b->tokens += (double)(now - b->last_ns) / 1e9 * b->rate;
	if (b->tokens > 1.0)
		b->tokens = 1.0;
	b->last_ns = now;
	if (b->tokens < 1.0) {
		sc_sleep_s((1.0 - b->tokens) / b->rate);
		b->last_ns = sc_now_ns();
		b->tokens = 1.0;
	}
	b->tokens -= 1.0;
}

static int add_failure(struct mirror *m, const char *what, int rc, const struct why *why)
{
	struct failure *f = realloc(m->failed, (m->n_failed + 1) * sizeof(*f));

	if (!f)
		return -ENOMEM;
	m->failed = f;
	f = &m->failed[m->n_failed];
	f->what = strdup(what);
	f->error = strdup(why->msg);
	if (!f->what || !f->error) {
		free(f->what);
		free(f->error);
		return -ENOMEM;
	}
	m->n_failed++;
	/* Exit 6 when any fetch failed for KDS's sake, else the first failure's status. */
	if (rc == -ERR_KDS || m->fail_status == 0)
		m->fail_status = exit_status(rc);
	return 0;
}

/* One key (i of n, from 1): got through the cache, said on stderr.  0 or -ENOMEM. */
static int fetch_one(struct mirror *m, struct cache *c, size_t i, size_t n, const char *what,
		     int (*get)(struct cache *c, const void *arg, struct cache_item *it,
				struct why *why),
		     const void *arg)
{
	struct cache_item it = { 0 };
	struct why why = { 0 };
	unsigned long before = c->kds_requests;
	int r = get(c, arg, &it, &why);

	if (r == -ENOMEM)
		return -ENOMEM;
	if (r == 0) {
		bool asked = c->kds_requests != before;

		if (asked)
			m->fetched++;
		info("[%zu/%zu] %s: %s (%zu left)", i, n, what,
		     asked ? "fetched" : "in the cache", n - i);
	} else {
		err("[%zu/%zu] %s: failed: %s (%zu left)", i, n, what, why.msg, n - i);
		r = add_failure(m, what, r, &why);
	}
	cache_item_clear(&it);
	return r == -ENOMEM ? -ENOMEM : 0;
}

static int get_vcek(struct cache *c, const void *arg, struct cache_item *it, struct why *why)
{
	return cache_vcek(c, arg, it, why);
}

static int get_chain(struct cache *c, const void *arg, struct cache_item *it, struct why *why)
{
	return cache_chain(c, *(const enum amd_product *)arg, KDS_FAMILY_VCEK, it, why);
}

static int get_crl(struct cache *c, const void *arg, struct cache_item *it, struct why *why)
{
	return cache_crl(c, *(const enum amd_product *)arg, KDS_FAMILY_VCEK, it, why);
}

/* What --hosts asks for: every key, then each product's CA chain and CRL. */
static int fetch_hosts(struct mirror *m, struct cache *c)
{
	static const enum amd_product products[] = { AMD_PRODUCT_MILAN, AMD_PRODUCT_GENOA,
						     AMD_PRODUCT_TURIN };
	size_t n = m->n_keys, i = 0;
	char what[256];

	for (size_t p = 0; p < sizeof(products) / sizeof(products[0]); p++)
		n += m->product_seen[products[p]] ? 2 : 0;
	m->bucket = (struct bucket){ .rate = m->rate, .tokens = 1.0, .last_ns = sc_now_ns() };
	c->before_request = take_token;
	c->before_arg = &m->bucket;
	for (size_t k = 0; k < m->n_keys; k++) {
		kds_vcek_describe(&m->keys[k], what, sizeof(what));
		if (fetch_one(m, c, ++i, n, what, get_vcek, &m->keys[k]) < 0)
			return -ENOMEM;
	}
	for (size_t p = 0; p < sizeof(products) / sizeof(products[0]); p++) {
		if (!m->product_seen[products[p]])
			continue;
		snprintf(what, sizeof(what), "%s VCEK CA chain", amd_product_name(products[p]));
		if (fetch_one(m, c, ++i, n, what, get_chain, &products[p]) < 0)
			return -ENOMEM;
		snprintf(what, sizeof(what), "%s VCEK CRL", amd_product_name(products[p]));
		if (fetch_one(m, c, ++i, n, what, get_crl, &products[p]) < 0)
			return -ENOMEM;
	}
	c->before_request = NULL;
	return 0;
}

/* ---- writing DIR ------------------------------------------------------------ */

/*
 * mkdir -p of rel's directories below the directory dfd (DIR, shown as
 * dir), 0755, each opened without following a link: a directory inside
 * DIR that is anything but a directory (a symbolic link too, also one
 * swapped in while we write) is refused, so nothing is ever written outside
 * DIR.  The descriptor of rel's directory, or -1 after saying why.
 */
static int open_dirs(int dfd, const char *dir, const char *rel)
{
	char *r = strdup(rel), *s, *name;
	int fd = dup(dfd);

	if (!r || fd < 0) {
		err(!r ? "out of memory" : "cannot use the mirror directory '%s': %s", dir,
		    strerror(errno));
		free(r);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (name = r; (s = strchr(name, '/')); name = s + 1) {
		struct stat st;
		int next;

		*s = '\0';
		if (mkdirat(fd, name, 0755) < 0 && errno != EEXIST) {
			err("cannot create '%s/%.*s': %s", dir, (int)(s - r), r, strerror(errno));
			goto fail;
		}
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int e = errno;

			if ((e == ELOOP || e == ENOTDIR) && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
				err("refusing to write below '%s/%.*s': it is %s, not a directory", dir,
				    (int)(s - r), r, file_type_name(st.st_mode));
			else
				err("cannot create '%s/%.*s': %s", dir, (int)(s - r), r, strerror(e));
			goto fail;
		}
		close(fd);
		fd = next;
		*s = '/';
	}
	free(r);
	return fd;
fail:
	close(fd);
	free(r);
	return -1;
}

/*
 * Before the first file of DIR is replaced: the index goes, so that an
 * index a reader sees is always true of the files (a run killed, or
 * failing, after a replacement leaves none; the next run writes it).
 * 0 or -1 after saying why.
 */
static int drop_index(struct mirror *m)
{
	if (m->index_dropped)
		return 0;
	if ((unlinkat(m->dfd, "index.json", 0) < 0 && errno != ENOENT) || fsync(m->dfd) < 0) {
		err("cannot remove '%s/index.json' before replacing its files: %s", m->dir,
		    strerror(errno));
		return -1;
	}
	m->index_dropped = true;
	return 0;
}

/* Write data as DIR/rel unless it is there already.  1 written, 0 unchanged, -1 said. */
static int put_file(struct mirror *m, const char *rel, const uint8_t *data, size_t len)
{
	int dfd = m->dfd;
	const char *dir = m->dir;
	const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
	uint8_t *old = NULL;
	size_t old_len = 0;
	struct stat st;
	struct why why;
	char *p = NULL;
	int fd, r, ret = -1;

	fd = open_dirs(dfd, dir, rel);
	if (fd < 0)
		return -1;
	p = path_join(dir, rel);
	if (!p) {
		err("out of memory");
		goto out;
	}
	/* A regular file only (never a link followed, nor a FIFO opened). */
	r = read_file_at(fd, name, O_NOFOLLOW, MIRROR_FILE_MAX, &old, &old_len, &st);
	if (r == 0 && old_len == len && memcmp(old, data, len) == 0 &&
	    (st.st_mode & 07777) == 0644 && st.st_nlink == 1) {
		/* Identical, and served as it should be: left alone. */
		ret = 0;
		goto out;
	}
	if (r != -ENOENT && drop_index(m) < 0)
		goto out;
	if (write_file_atomic_at(fd, name, p, data, len, 0644, WRITE_REPLACE, &why) < 0) {
		err("%s", why.msg);
		goto out;
	}
	ret = 1;
out:
	free(old);
	free(p);
	close(fd);
	return ret;
}

static struct entry *new_entry(struct mirror *m, const char *rel, const char *kind,
			       enum amd_product p, enum kds_family f)
{
	struct entry *e;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;

		e = realloc(m->v, cap * sizeof(*e));
		if (!e)
			return NULL;
		m->v = e;
		m->cap = cap;
	}
	e = &m->v[m->n];
	*e = (struct entry){ .kind = kind, .product = p, .family = f };
	e->path = strdup(rel);
	if (!e->path)
		return NULL;
	m->n++;
	return e;
}

/* Is there a file at rel in the cache (for an entry that could not be had)? */
static bool cached(const struct cache *c, const char *rel)
{
	char *p = path_join(c->dir, rel);
	struct stat st;
	bool there = p && lstat(p, &st) == 0;

	free(p);
	return there;
}

/*
 * One cache entry at rel, got (verified) by get: into DIR and the index.
 * 0 (mirrored, or skipped after a warning), -ENOMEM, or -1 (DIR cannot be
 * written, said).
 */
static int mirror_entry(struct mirror *m, struct cache *c, const char *rel, const char *kind,
			enum amd_product p, enum kds_family f,
			int (*get)(struct cache *c, const void *arg, struct cache_item *it,
				   struct why *why),
			const void *arg, struct entry **out)
{
	struct cache_item it = { 0 };
	struct why why = { 0 };
	struct entry *e;
	int r = get(c, arg, &it, &why);

	*out = NULL;
	if (r == -ENOMEM)
		return -ENOMEM;
	if (r == -ENOENT && !cached(c, rel))
		return 0; /* not in the cache */
	if (r < 0) {
		warn("not mirroring '%s': %s", rel, why.msg);
		m->skipped++;
		return 0;
	}
	r = put_file(m, rel, it.data, it.len);
	if (r >= 0) {
		e = new_entry(m, rel, kind, p, f);
		if (!e) {
			cache_item_clear(&it);
			return -ENOMEM;
		}
		SHA256(it.data, it.len, e->sha256);
		e->size = it.len;
		*out = e;
		if (r)
			m->written++;
		else
			m->unchanged++;
		debug("%s '%s/%s'", r ? "wrote" : "unchanged", m->dir, rel);
	}
	cache_item_clear(&it);
	return r < 0 ? -1 : 0;
}

struct family_arg {
	enum amd_product p;
	enum kds_family f;
};

static int get_chain_of(struct cache *c, const void *arg, struct cache_item *it, struct why *why)
{
	const struct family_arg *a = arg;

	return cache_chain(c, a->p, a->f, it, why);
}

static int get_crl_of(struct cache *c, const void *arg, struct cache_item *it, struct why *why)
{
	const struct family_arg *a = arg;

	return cache_crl(c, a->p, a->f, it, why);
}

static int get_vlek(struct cache *c, const void *arg, struct cache_item *it, struct why *why)
{
	const struct kds_vcek_id *id = arg;

	return cache_vlek(c, id->product, &id->tcb, it, why);
}

/* The names in directory path, sorted; n = 0 when it does not exist.  0 or -1 said. */
static int list_dir(const char *path, struct dirent ***names, int *n)
{
	*n = scandir(path, names, NULL, alphasort);
	if (*n >= 0)
		return 0;
	*n = 0;
	*names = NULL;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	err("cannot list the cache directory '%s': %s", path, strerror(errno));
	return -1;
}

static void free_names(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int hex_bytes(const char *s, size_t digits, uint8_t *out)
{
	if (strlen(s) < digits)
		return -1;
	for (size_t i = 0; i < digits; i += 2) {
		unsigned int b;

		if (sscanf(s + i, "%2x", &b) != 1 || !strchr("0123456789abcdef", s[i]) ||
		    !strchr("0123456789abcdef", s[i + 1]))
			return -1;
		out[i / 2] = (uint8_t)b;
	}
	return 0;
}

/* A name TCB_VERSION.der/.bin: the raw TCB.  0 or -1. */
static int tcb_name(const char *name, uint64_t *raw)
{
	uint8_t b[8];

	if (strlen(name) != 20 || strcmp(name + 16, ".der") != 0 || hex_bytes(name, 16, b) < 0)
		return -1;
	*raw = 0;
	for (int i = 0; i < 8; i++)
		*raw = *raw << 8 | b[i];
	return 0;
}

/* The VCEKs of product p under cache/vcek/P/: <hwid>/<TCB>.der. */
static int mirror_vceks(struct mirror *m, struct cache *c, enum amd_product p, const char *pdir)
{
	struct dirent **hw = NULL;
	int nhw = 0, ret = 0;

	if (list_dir(pdir, &hw, &nhw) < 0)
		return -1;
	for (int i = 0; i < nhw && ret == 0; i++) {
		struct kds_vcek_id id = { .product = p, .hwid_len = amd_hwid_len(p) };
		struct dirent **tcbs = NULL;
		char *hdir;
		int nt = 0;

		if (strlen(hw[i]->d_name) != 2 * id.hwid_len ||
		    hex_bytes(hw[i]->d_name, 2 * id.hwid_len, id.hwid) < 0)
			continue;
		hdir = path_join(pdir, hw[i]->d_name);
		if (!hdir) {
			ret = -ENOMEM;
			break;
		}
		if (list_dir(hdir, &tcbs, &nt) < 0)
			ret = -1;
		for (int j = 0; j < nt && ret == 0; j++) {
			char rel[KDS_PATH_MAX];
			struct entry *e;
			uint64_t raw;

			if (tcb_name(tcbs[j]->d_name, &raw) < 0)
				continue;
			amd_tcb_from_raw(p, raw, &id.tcb);
			if (amd_tcb_to_raw(p, &id.tcb) != raw ||
			    kds_vcek_name(&id, rel, sizeof(rel)) < 0)
				continue;
			ret = mirror_entry(m, c, rel, "vcek", p, KDS_FAMILY_VCEK, get_vcek, &id, &e);
			if (ret == 0 && e) {
				e->has_id = true;
				e->id = id;
			}
		}
		free_names(tcbs, nt);
		free(hdir);
	}
	free_names(hw, nhw);
	return ret;
}

/* The VLEKs of product p under cache/vlek/P/cert/: <TCB>.der. */
static int mirror_vleks(struct mirror *m, struct cache *c, enum amd_product p, const char *pdir)
{
	struct dirent **names = NULL;
	char *cdir = path_join(pdir, "cert");
	int n = 0, ret;

	if (!cdir)
		return -ENOMEM;
	ret = list_dir(cdir, &names, &n);
	for (int j = 0; j < n && ret == 0; j++) {
		struct kds_vcek_id id = { .product = p };
		char rel[KDS_PATH_MAX];
		struct entry *e;
		uint64_t raw;

		if (tcb_name(names[j]->d_name, &raw) < 0)
			continue;
		amd_tcb_from_raw(p, raw, &id.tcb);
		if (amd_tcb_to_raw(p, &id.tcb) != raw || kds_vlek_name(p, &id.tcb, rel, sizeof(rel)) < 0)
			continue;
		ret = mirror_entry(m, c, rel, "vlek", p, KDS_FAMILY_VLEK, get_vlek, &id, &e);
		if (ret == 0 && e) {
			e->has_tcb = true;
			e->tcb = id.tcb;
		}
	}
	free_names(names, n);
	free(cdir);
	return ret;
}

struct cek_arg {
	uint8_t id[KDS_CEK_ID_MAX];
	size_t len;
	const struct sev_verify_opts *o;
	enum sev_gen gen;
};

static int get_cek(struct cache *c, const void *arg, struct cache_item *it, struct why *why)
{
	struct cek_arg *a = (struct cek_arg *)arg;

	return cache_cek(c, a->id, a->len, a->o, NULL, it, &a->gen, why);
}

/* The SEV side's CEKs under cache/cek/id/: <HEX>.cert, verified as sev-export takes them. */
static int mirror_ceks(struct mirror *m, struct cache *c, const struct sev_verify_opts *o)
{
	struct dirent **names = NULL;
	char *cdir = path_join(c->dir, "cek/id");
	int n = 0, ret;

	if (!cdir)
		return -ENOMEM;
	ret = list_dir(cdir, &names, &n);
	for (int j = 0; j < n && ret == 0; j++) {
		const char *name = names[j]->d_name;
		size_t digits = strlen(name) >= 5 ? strlen(name) - 5 : 0;
		struct cek_arg a = { .o = o, .gen = SEV_GEN_UNKNOWN };
		char rel[KDS_CEK_PATH_MAX];
		struct entry *e;
		bool ok = digits > 0 && digits % 2 == 0 && digits <= 2 * KDS_CEK_ID_MAX &&
			  strcmp(name + digits, ".cert") == 0;

		for (size_t k = 0; ok && k < digits; k += 2) {
			unsigned int b;

			ok = strchr("0123456789ABCDEF", name[k]) && strchr("0123456789ABCDEF", name[k + 1]) &&
			     sscanf(name + k, "%2X", &b) == 1;
			a.id[k / 2] = (uint8_t)b;
		}
		a.len = digits / 2;
		if (!ok || kds_cek_name(a.id, a.len, rel, sizeof(rel)) < 0)
			continue;
		ret = mirror_entry(m, c, rel, "cek", AMD_PRODUCT_UNKNOWN, KDS_FAMILY_VCEK, get_cek,
				   &a, &e);
		if (ret == 0 && e)
			e->gen = a.gen;
	}
	free_names(names, n);
	free(cdir);
	return ret;
}

/* Everything of the cache that verifies now, into DIR.  0, -ENOMEM or -1 (said). */
static int mirror_cache(struct mirror *m, struct cache *c, const struct sev_verify_opts *sev)
{
	static const enum amd_product products[] = { AMD_PRODUCT_MILAN, AMD_PRODUCT_GENOA,
						     AMD_PRODUCT_TURIN };
	int ret = 0;

	for (size_t fi = 0; fi < 2 && ret == 0; fi++) {
		enum kds_family f = fi ? KDS_FAMILY_VLEK : KDS_FAMILY_VCEK;

		for (size_t pi = 0; pi < 3 && ret == 0; pi++) {
			struct family_arg a = { products[pi], f };
			char rel[KDS_PATH_MAX], *pdir;
			struct entry *e;

			if (kds_chain_name(a.p, f, rel, sizeof(rel)) < 0)
				continue;
			ret = mirror_entry(m, c, rel, "chain", a.p, f, get_chain_of, &a, &e);
			if (ret == 0 && kds_crl_name(a.p, f, rel, sizeof(rel)) == 0)
				ret = mirror_entry(m, c, rel, "crl", a.p, f, get_crl_of, &a, &e);
			if (ret)
				break;
			snprintf(rel, sizeof(rel), "%s/%s", fi ? "vlek" : "vcek",
				 amd_product_name(a.p));
			pdir = path_join(c->dir, rel);
			if (!pdir)
				return -ENOMEM;
			ret = f == KDS_FAMILY_VCEK ? mirror_vceks(m, c, a.p, pdir) :
						     mirror_vleks(m, c, a.p, pdir);
			free(pdir);
		}
	}
	return ret ? ret : mirror_ceks(m, c, sev);
}

/* ---- the index ------------------------------------------------------------ */

static void json_entry(struct jout *j, const struct entry *e)
{
	char hex[2 * 32 + 1], hw[2 * AMD_HWID_MAX + 1];

	jout_object_begin(j, NULL);
	jout_string(j, "path", e->path);
	format_hex(e->sha256, sizeof(e->sha256), hex);
	jout_string(j, "sha256", hex);
	jout_uint(j, "size", e->size);
	jout_string(j, "kind", e->kind);
	if (strcmp(e->kind, "cek") == 0)
		jout_string(j, "generation", sev_gen_name(e->gen));
	else
		jout_string(j, "product", amd_product_name(e->product));
	if (strcmp(e->kind, "chain") == 0 || strcmp(e->kind, "crl") == 0)
		jout_string(j, "family", e->family == KDS_FAMILY_VLEK ? "vlek" : "vcek");
	if (e->has_id) {
		format_hex(e->id.hwid, e->id.hwid_len, hw);
		jout_string(j, "hwid", hw);
		jout_tcb(j, "tcb", e->product, &e->id.tcb, amd_tcb_to_raw(e->product, &e->id.tcb));
	}
	if (e->has_tcb)
		jout_tcb(j, "tcb", e->product, &e->tcb, amd_tcb_to_raw(e->product, &e->tcb));
	jout_object_end(j);
}

/* DIR/index.json, whole, last.  0 or -1 after saying why. */
static int write_index(struct mirror *m)
{
	char now[32], *buf = NULL, *p;
	size_t len = 0;
	struct jout j;
	struct why why;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f) {
		err("out of memory");
		return -1;
	}
	format_time(time(NULL), now, sizeof(now));
	jout_init(&j, f);
	jout_object_begin(&j, NULL);
	jout_int(&j, "format", 1);
	jout_string(&j, "generated", now);
	jout_array_begin(&j, "entries");
	for (size_t i = 0; i < m->n; i++)
		json_entry(&j, &m->v[i]);
	jout_array_end(&j);
	jout_object_end(&j);
	jout_finish(&j);
	if (fclose(f) != 0 || !buf) {
		free(buf);
		err("out of memory");
		return -1;
	}
	p = path_join(m->dir, "index.json");
	if (!p) {
		free(buf);
		err("out of memory");
		return -1;
	}
	r = write_file_atomic_at(m->dfd, "index.json", p, buf, len, 0644, WRITE_REPLACE, &why);
	if (r < 0)
		err("%s", why.msg);
	free(p);
	free(buf);
	return r < 0 ? -1 : 0;
}

/* ---- the command ------------------------------------------------------------ */

static void print_json(const struct mirror *m)
{
	struct jout j;
	char *index = path_join(m->dir, "index.json");

	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	jout_string(&j, "dir", m->dir);
	jout_uint(&j, "entries", m->n);
	jout_uint(&j, "written", m->written);
	jout_uint(&j, "unchanged", m->unchanged);
	jout_uint(&j, "fetched", m->fetched);
	jout_uint(&j, "skipped", m->skipped);
	jout_array_begin(&j, "failed");
	for (size_t i = 0; i < m->n_failed; i++) {
		jout_object_begin(&j, NULL);
		jout_string(&j, "what", m->failed[i].what);
		jout_string(&j, "error", m->failed[i].error);
		jout_object_end(&j);
	}
	jout_array_end(&j);
	jout_string(&j, "index", index);
	if (m->fail_status)
		jout_error(&j, m->fail_status);
	jout_object_end(&j);
	jout_finish(&j);
	free(index);
}

/*
 * DIR itself: a directory (made when missing, 0755), opened into m->dfd.
 * 0 or an exit status after saying why.
 */
static int open_mirror_dir(struct mirror *m)
{
	struct stat st;

	if (mkdir(m->dir, 0755) < 0 && errno != EEXIST) {
		err("cannot create the mirror directory '%s': %s", m->dir, strerror(errno));
		return EXIT_FAIL;
	}
	/* Opened, then checked: what is checked is what is written into. */
	m->dfd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dfd < 0 && errno == ENOTDIR && stat(m->dir, &st) == 0) {
		err("the mirror directory '%s' is %s, not a directory", m->dir,
		    file_type_name(st.st_mode));
		return EXIT_USAGE;
	}
	if (m->dfd < 0) {
		err("cannot use the mirror directory '%s': %s", m->dir, strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

/*
 * One mirror run writes DIR at a time: an exclusive flock(2) of DIR, had
 * by the lock timeout (another run's writes take moments; its fetches are
 * done before it locks).  0 or an exit status after saying why.
 */
static int lock_mirror_dir(const struct ctx *ctx, struct mirror *m)
{
	struct sc_deadline d;
	unsigned int step = 1000;

	sc_deadline_init(&d, ctx->lock_timeout);
	while (flock(m->dfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			err("cannot lock the mirror directory '%s': %s", m->dir, strerror(errno));
			return EXIT_FAIL;
		}
		if (sc_backoff(d.end_ns, &step, 50000) < 0) {
			err("cannot lock the mirror directory '%s': another mirror run held it "
			    "past the lock timeout", m->dir);
			return EXIT_LOCK;
		}
	}
	return 0;
}

/*
 * A run killed between its temporary file and the rename leaves the
 * temporary file: under the lock no other run is writing one, so every
 * regular file named .snp-certctl.XXXXXX in DIR's tree (the layout's depth,
 * links never followed) is such a leftover, and goes.
 */
static void sweep_temps(int dfd, const char *shown, int depth)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		size_t n = strlen(de->d_name);
		int sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode) && n == strlen(TEMP_PREFIX) + 6 &&
		    strncmp(de->d_name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0) {
			if (unlinkat(dfd, de->d_name, 0) == 0)
				debug("removed '%s/%s', left by a run that did not finish", shown,
				      de->d_name);
		} else if (S_ISDIR(st.st_mode) && depth > 0 && de->d_name[0] != '.') {
			sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				sweep_temps(sub, shown, depth - 1);
				close(sub);
			}
		}
	}
	closedir(d);
}

static void mirror_free(struct mirror *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	for (size_t i = 0; i < m->n_failed; i++) {
		free(m->failed[i].what);
		free(m->failed[i].error);
	}
	free(m->failed);
	free(m->keys);
	free(m->hosts);
	if (m->dfd >= 0)
		close(m->dfd); /* the flock goes with it */
}

static int cmd_mirror_main(struct ctx *ctx, int argc, char **argv)
{
	struct mirror m = { .rate = 1.0, .dfd = -1 };
	struct sev_verify_opts sev = { .gen = SEV_GEN_UNKNOWN };
	struct amd_trust *trust = NULL;
	struct sev_root root = { 0 };
	struct cache cache = { 0 };
	struct why why = { 0 };
	int ret;

	ret = parse_args(ctx, argc, argv, &m);
	if (ret == 0)
		ret = ctx_load(ctx);
	if (ret == 0)
		ret = read_hosts(&m);
	if (ret == 0)
		ret = trust_load(ctx, &trust);
	/* The SEV side's CEKs are checked under the setting sev_trust_root too. */
	if (ret == 0)
		ret = sev_trust_root_read(ctx_get(ctx, SET_SEV_TRUST_ROOT), &root);
	if (ret)
		goto out;
	sev_root_opts(&root, &sev);
	ret = cache_init(&cache, ctx, trust, m.offline, &why);
	if (ret) {
		ret = cmd_error(ret, &why);
		goto out;
	}
	/* The mirror is made from KDS, never from a mirror. */
	cache.have_mirror = false;
	ret = open_mirror_dir(&m);
	if (ret)
		goto out;
	if (m.n_hosts && fetch_hosts(&m, &cache) < 0) {
		ret = cmd_oom();
		goto out;
	}
	ret = lock_mirror_dir(ctx, &m);
	if (ret)
		goto out;
	sweep_temps(m.dfd, m.dir, 4);
	cache.lookup_only = true;
	cache.now = time(NULL);
	ret = mirror_cache(&m, &cache, &sev);
	if (ret == -ENOMEM) {
		ret = cmd_oom();
		goto out;
	}
	if (ret < 0 || write_index(&m) < 0) {
		ret = EXIT_FAIL;
		goto out;
	}
	info("mirror: %zu entries written, %zu fetched, %zu unchanged, %zu failed", m.written,
	     m.fetched, m.unchanged, m.n_failed);
	ret = m.fail_status;
	if (ctx->json)
		print_json(&m);
out:
	cache_fini(&cache);
	amd_trust_free(trust);
	sev_root_free(&root);
	mirror_free(&m);
	return ret;
}

const struct cmd cmd_mirror = { "mirror", cmd_mirror_main,
				"write the verified cache as a static KDS mirror (fleets)",
				usage, .json = true };
