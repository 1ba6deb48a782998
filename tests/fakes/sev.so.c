// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A simulated SEV-SNP firmware behind the SEV device, for LD_PRELOAD.
 *
 *   LD_PRELOAD=.../tests/fakes/sev.so FAKE_SEV_STATE=state.txt snp-certctl status
 *
 * open()/openat() (and their 64-bit and fortified variants) of the device
 * path (FAKE_SEV_DEVICE, default /dev/sev) return a descriptor of
 * /dev/null opened with the same access mode, which the fake remembers;
 * ioctl(fd, SEV_ISSUE_CMD, ...) on such a descriptor runs the command
 * against the state file.  Everything else goes to the real functions.
 * Without FAKE_SEV_STATE the fake does nothing at all.
 *
 * The state file holds key=value lines (numbers decimal or 0x hex):
 *   present=0|1          0: opening the device fails with ENOENT (default 1)
 *   open_errno=N         opening fails with errno N (e.g. 13, EACCES)
 *   api_major, api_minor, build_id, state, rmp_initialized, guest_count
 *   current_tcb, reported_tcb, committed_tcb   TCB_VERSION as a u64
 *   chip_id=HEX          128 hex digits (more for several sockets)
 *   chip_id_len=N        the length GET_ID2 insists on (default: chip_id's)
 *   mask_chip_id, mask_chip_key, vlek_loaded   0|1
 *   fail_<CMD>=N         the firmware refuses CMD with status N (once per call)
 *   errno_<CMD>=N        the kernel refuses CMD with errno N, firmware not called
 *   delay_ms_<CMD>=N     the command takes N ms (before it acts)
 *   then_<CMD>=KEY=VALUE once CMD succeeded, KEY is set to VALUE (e.g.
 *                        then_SNP_SET_CONFIG=errno_SNP_PLATFORM_STATUS=5:
 *                        the command takes, the status can then not be read)
 *   sev_state=N          the SEV (pre-SNP) platform state: 0 UNINIT, 1 INIT
 *                        (default), 2 WORKING
 *   sev_flags=N          SEV_PLATFORM_STATUS flags (default 0x100: SEV-ES
 *                        available, not externally owned: 0x1)
 *   sev_chain=DIR        the SEV platform of DIR (as tests/tools/sev-gen
 *                        writes it): pdh.cert, pek.cert, oca.cert and
 *                        cek-fw.cert for SEV_PDH_CERT_EXPORT, id.bin for
 *                        SEV_GET_ID2 (instead of chip_id)
 * <CMD> is SEV_PLATFORM_STATUS, SEV_PDH_CERT_EXPORT, SEV_GET_ID2,
 * SNP_PLATFORM_STATUS, SNP_COMMIT, SNP_SET_CONFIG or SNP_VLEK_LOAD.
 * SEV_PLATFORM_STATUS answers the 12-byte packed status {api_major,
 * api_minor, sev_state, sev_flags (u32), build_id, guest_count (u32)}.  The
 * fake behaves like the kernel and firmware:
 *   - SNP_COMMIT sets committed_tcb = current_tcb;
 *   - SNP_SET_CONFIG and SNP_VLEK_LOAD need a descriptor opened for
 *     writing (EPERM otherwise, as the kernel's sev_ioctl does);
 *   - SNP_SET_CONFIG refuses nonzero reserved bytes or flag bits with
 *     INVALID_PARAM and a reported_tcb with any SPL byte above current_tcb's
 *     with INVALID_CONFIG, else sets reported_tcb, mask_chip_id, mask_chip_key;
 *   - SNP_VLEK_LOAD wants len 16 and version 0 (EINVAL otherwise, as the
 *     kernel), reads the 432-byte hashstick and records vlek_loaded=1 and
 *     vlek_sha256=<hex>;
 *   - SEV_GET_ID2 with a buffer shorter than the chip id answers
 *     INVALID_LENGTH with the length it needs; with mask_chip_id set it
 *     returns zeros;
 *   - SEV_PDH_CERT_EXPORT on a read-only descriptor while sev_state is not
 *     1 (INIT) is EPERM; on a writable one it first moves UNINIT to INIT
 *     (as the kernel's sev_ioctl_do_pdh_export); a length above 16 KiB is
 *     EFAULT; a length query (pdh address, pdh length or chain address 0)
 *     and buffers too small answer INVALID_LENGTH with 2084 and 6252
 *     written back; else the PDH and PEK || OCA || CEK (cek-fw.cert) are
 *     copied from sev_chain (no sev_chain, or a file missing or not 2084
 *     bytes: EIO without a firmware call, said on stderr).
 * Mutating commands rewrite the state file (temporary file + rename) under
 * an flock of STATE.lock.  Every open and command appends one line to
 * FAKE_SEV_LOG (when set):
 *   <epoch seconds.nanoseconds> <pid> <open|CMD> <ok|rdonly|rdwr|fw=N|errno=NAME>
 */
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FAKE "fake-sev"
#include "preload.h"

/* The ABI, written out by hand so the program's sev.h is checked, not copied. */
#define FAKE_SEV_ISSUE_CMD 0xC0105300UL
#define ISSUE_CMD_SIZE 16
#define CMD_SEV_PLATFORM_STATUS 1
#define CMD_PDH_CERT_EXPORT 5
#define CMD_GET_ID2 8
#define CMD_PLATFORM_STATUS 9
#define CMD_COMMIT 10
#define CMD_SET_CONFIG 11
#define CMD_VLEK_LOAD 12
#define FW_INVALID_CONFIG 0x03
#define FW_INVALID_LENGTH 0x04
#define FW_INVALID_PARAM 0x16
#define HASHSTICK_LEN 432
#define SEV_CERT_LEN 2084
#define SEV_BLOB_MAX (16 * 1024)
#define SEV_STATE_INIT 1
#define MAX_FDS 4096
#define MAX_KEYS 128

typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*close_fn)(int);

/* 0: not ours; 1: ours, read-only; 2: ours, writable. */
static unsigned char fd_mode[MAX_FDS];

struct state {
	char *key[MAX_KEYS];
	char *value[MAX_KEYS];
	int n;
};

static const char *device_path(void)
{
	const char *p = getenv("FAKE_SEV_DEVICE");

	return p && *p ? p : "/dev/sev";
}

static bool active(void)
{
	const char *s = getenv("FAKE_SEV_STATE");

	return s && *s;
}

static const char *cmd_name(uint32_t cmd)
{
	switch (cmd) {
	case CMD_SEV_PLATFORM_STATUS:
		return "SEV_PLATFORM_STATUS";
	case CMD_PDH_CERT_EXPORT:
		return "SEV_PDH_CERT_EXPORT";
	case CMD_GET_ID2:
		return "SEV_GET_ID2";
	case CMD_PLATFORM_STATUS:
		return "SNP_PLATFORM_STATUS";
	case CMD_COMMIT:
		return "SNP_COMMIT";
	case CMD_SET_CONFIG:
		return "SNP_SET_CONFIG";
	case CMD_VLEK_LOAD:
		return "SNP_VLEK_LOAD";
	}
	return NULL;
}

static void log_line(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fake_vlog("FAKE_SEV_LOG", what, fmt, ap);
	va_end(ap);
}

/* ---- the state file ----------------------------------------------------- */

static void state_free(struct state *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->key[i]);
		free(s->value[i]);
	}
	s->n = 0;
}

static int state_find(const struct state *s, const char *key)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->key[i], key) == 0)
			return i;
	return -1;
}

static const char *state_get(const struct state *s, const char *key)
{
	int i = state_find(s, key);

	return i < 0 ? NULL : s->value[i];
}

static uint64_t state_num(const struct state *s, const char *key, uint64_t fallback)
{
	const char *v = state_get(s, key);
	char *end;
	uint64_t n;

	if (!v || !*v)
		return fallback;
	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "fake-sev: bad number for %s: '%s'\n", key, v);
		return fallback;
	}
	return n;
}

static int state_set(struct state *s, const char *key, const char *value)
{
	int i = state_find(s, key);
	char *v = strdup(value);

	if (!v)
		return -1;
	if (i >= 0) {
		free(s->value[i]);
		s->value[i] = v;
		return 0;
	}
	if (s->n == MAX_KEYS) {
		free(v);
		return -1;
	}
	s->key[s->n] = strdup(key);
	if (!s->key[s->n]) {
		free(v);
		return -1;
	}
	s->value[s->n++] = v;
	return 0;
}

static int state_set_num(struct state *s, const char *key, uint64_t n, bool hex)
{
	char buf[32];

	snprintf(buf, sizeof(buf), hex ? "0x%016llx" : "%llu", (unsigned long long)n);
	return state_set(s, key, buf);
}

static int state_load(const char *path, struct state *s)
{
	char line[4096];
	FILE *f;

	s->n = 0;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1; /* a missing file: every default */
	while (fgets(line, sizeof(line), f)) {
		char *eq, *end;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		end = eq;
		while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		eq++;
		while (*eq == ' ' || *eq == '\t')
			eq++;
		if (state_set(s, line, eq) < 0) {
			fclose(f);
			state_free(s);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int state_store(const char *path, const struct state *s)
{
	char tmp[4096];
	FILE *f;
	int ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return -1;
	for (int i = 0; i < s->n; i++)
		fprintf(f, "%s=%s\n", s->key[i], s->value[i]);
	if (fflush(f) != 0 || ferror(f))
		ret = -1;
	if (fclose(f) != 0)
		ret = -1;
	if (ret == 0 && rename(tmp, path) != 0)
		ret = -1;
	if (ret)
		unlink(tmp);
	return ret;
}

/* ---- SHA-256, for recording which hashstick was loaded ------------------ */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] +
		     w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

static void sha256_hex(const uint8_t *data, size_t len, char out[65])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint8_t block[64];
	size_t i = 0, rest;
	uint64_t bits = (uint64_t)len * 8;

	for (; i + 64 <= len; i += 64)
		sha256_block(h, data + i);
	rest = len - i;
	memset(block, 0, sizeof(block));
	memcpy(block, data + i, rest);
	block[rest] = 0x80;
	if (rest >= 56) {
		sha256_block(h, block);
		memset(block, 0, sizeof(block));
	}
	for (int j = 0; j < 8; j++)
		block[63 - j] = (uint8_t)(bits >> (8 * j));
	sha256_block(h, block);
	for (int j = 0; j < 8; j++)
		snprintf(out + 8 * j, 9, "%08x", h[j]);
}

/* ---- the commands ------------------------------------------------------- */

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The chip id from the state: chip_id hex, padded with zeros to want bytes. */
static void chip_id(const struct state *s, uint8_t *out, size_t want)
{
	const char *hex = state_get(s, "chip_id");
	size_t i;

	memset(out, 0, want);
	if (!hex)
		return;
	for (i = 0; i < want && hexval(hex[2 * i]) >= 0 && hexval(hex[2 * i + 1]) >= 0; i++)
		out[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
}

static size_t chip_id_len(const struct state *s)
{
	const char *hex = state_get(s, "chip_id");
	size_t n = hex && strlen(hex) / 2 > 64 ? strlen(hex) / 2 : 64;

	return (size_t)state_num(s, "chip_id_len", n);
}

/*
 * DIR/name of the state's sev_chain into out (at most max bytes): its
 * length, or -1 after saying why on stderr (no sev_chain, unreadable, too long).
 */
static long chain_file(const struct state *s, const char *name, uint8_t *out, size_t max)
{
	const char *dir = state_get(s, "sev_chain");
	char path[4096];
	ssize_t n;
	int fd;

	if (!dir || !*dir) {
		fprintf(stderr, "fake-sev: no sev_chain in the state file\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = ((fake_open_fn)fake_next("open"))(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fake-sev: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	n = read(fd, out, max);
	if (n == (ssize_t)max) {
		uint8_t extra;

		if (read(fd, &extra, 1) != 0)
			n = -2;
	}
	((close_fn)fake_next("close"))(fd);
	if (n < 0) {
		fprintf(stderr, "fake-sev: cannot read '%s': %s\n", path,
			n == -2 ? "too long" : strerror(errno));
		return -1;
	}
	return (long)n;
}

/* One 2084-byte certificate of sev_chain into out: 0, or -1 (said on stderr). */
static int chain_cert(const struct state *s, const char *name, uint8_t *out)
{
	long n = chain_file(s, name, out, SEV_CERT_LEN);

	if (n >= 0 && n != SEV_CERT_LEN) {
		fprintf(stderr, "fake-sev: '%s/%s' is %ld bytes, not %d\n",
			state_get(s, "sev_chain"), name, n, SEV_CERT_LEN);
		return -1;
	}
	return n < 0 ? -1 : 0;
}

static int pdh_cert_export(struct state *s, uint8_t *p, bool writable, uint32_t *fw, bool *dirty)
{
	uint64_t pdh = get_u64(p), chain = get_u64(p + 12);
	uint32_t pdh_len = get_u32(p + 8), chain_len = get_u32(p + 20);
	uint8_t buf[4 * SEV_CERT_LEN];

	if (state_num(s, "sev_state", SEV_STATE_INIT) != SEV_STATE_INIT) {
		if (!writable)
			return -EPERM;
		state_set_num(s, "sev_state", SEV_STATE_INIT, false);
		*dirty = true;
	}
	if (pdh && pdh_len && chain) {
		if (pdh_len > SEV_BLOB_MAX || chain_len > SEV_BLOB_MAX)
			return -EFAULT;
	}
	if (!pdh || !pdh_len || !chain || pdh_len < SEV_CERT_LEN || chain_len < 3 * SEV_CERT_LEN) {
		put_u32(p + 8, SEV_CERT_LEN);
		put_u32(p + 20, 3 * SEV_CERT_LEN);
		*fw = FW_INVALID_LENGTH;
		return -EIO;
	}
	if (chain_cert(s, "pdh.cert", buf) < 0 || chain_cert(s, "pek.cert", buf + SEV_CERT_LEN) < 0 ||
	    chain_cert(s, "oca.cert", buf + 2 * SEV_CERT_LEN) < 0 ||
	    chain_cert(s, "cek-fw.cert", buf + 3 * SEV_CERT_LEN) < 0) {
		*fw = 0xffffffffu;
		return -EIO;
	}
	memcpy((void *)(uintptr_t)pdh, buf, SEV_CERT_LEN);
	memcpy((void *)(uintptr_t)chain, buf + SEV_CERT_LEN, 3 * SEV_CERT_LEN);
	put_u32(p + 8, SEV_CERT_LEN);
	put_u32(p + 20, 3 * SEV_CERT_LEN);
	return 0;
}

/*
 * Run one command.  Returns 0, or -errno for the kernel's refusals; a
 * firmware refusal is -EIO with *fw set.  *dirty says the state changed.
 */
static int run(struct state *s, uint32_t cmd, uint64_t data, bool writable, uint32_t *fw,
	       bool *dirty)
{
	const char *name = cmd_name(cmd);
	uint8_t *p = (uint8_t *)(uintptr_t)data;
	char key[64];
	uint64_t n;

	if (!name)
		return -EINVAL;
	snprintf(key, sizeof(key), "delay_ms_%s", name);
	n = state_num(s, key, 0);
	if (n) {
		struct timespec ts = { (time_t)(n / 1000), (long)(n % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	snprintf(key, sizeof(key), "errno_%s", name);
	n = state_num(s, key, 0);
	if (n) {
		*fw = 0xffffffffu; /* SEV_RET_NO_FW_CALL */
		return -(int)n;
	}
	if ((cmd == CMD_SET_CONFIG || cmd == CMD_VLEK_LOAD) && !writable)
		return -EPERM;
	if (cmd != CMD_COMMIT && !p)
		return -EINVAL;
	snprintf(key, sizeof(key), "fail_%s", name);
	n = state_num(s, key, 0);
	if (n) {
		*fw = (uint32_t)n;
		return -EIO;
	}

	switch (cmd) {
	case CMD_GET_ID2: {
		uint64_t addr = get_u64(p);
		uint32_t len = get_u32(p + 8);
		size_t need = chip_id_len(s);
		uint8_t id[4096];
		long got;

		if (state_get(s, "sev_chain")) {
			got = chain_file(s, "id.bin", id, sizeof(id));
			if (got < 0) {
				*fw = 0xffffffffu;
				return -EIO;
			}
			need = (size_t)got;
		}
		if (need > sizeof(id))
			need = sizeof(id);
		if (!addr || len < need) {
			put_u32(p + 8, (uint32_t)need);
			*fw = FW_INVALID_LENGTH;
			return -EIO;
		}
		if (!state_get(s, "sev_chain"))
			chip_id(s, id, need);
		if (state_num(s, "mask_chip_id", 0))
			memset(id, 0, need);
		memcpy((void *)(uintptr_t)addr, id, need);
		put_u32(p + 8, (uint32_t)need);
		return 0;
	}
	case CMD_SEV_PLATFORM_STATUS:
		memset(p, 0, 12);
		p[0] = (uint8_t)state_num(s, "api_major", 1);
		p[1] = (uint8_t)state_num(s, "api_minor", 55);
		p[2] = (uint8_t)state_num(s, "sev_state", SEV_STATE_INIT);
		put_u32(p + 3, (uint32_t)state_num(s, "sev_flags", 0x100));
		p[7] = (uint8_t)state_num(s, "build_id", 0);
		put_u32(p + 8, (uint32_t)state_num(s, "guest_count", 0));
		return 0;
	case CMD_PDH_CERT_EXPORT:
		return pdh_cert_export(s, p, writable, fw, dirty);
	case CMD_PLATFORM_STATUS:
		memset(p, 0, 32);
		p[0] = (uint8_t)state_num(s, "api_major", 1);
		p[1] = (uint8_t)state_num(s, "api_minor", 55);
		p[2] = (uint8_t)state_num(s, "state", 1);
		p[3] = state_num(s, "rmp_initialized", 1) ? 1 : 0;
		put_u32(p + 4, (uint32_t)state_num(s, "build_id", 0));
		put_u32(p + 8, (state_num(s, "mask_chip_id", 0) ? 1u : 0) |
				       (state_num(s, "mask_chip_key", 0) ? 2u : 0) |
				       (state_num(s, "vlek_loaded", 0) ? 4u : 0));
		put_u32(p + 12, (uint32_t)state_num(s, "guest_count", 0));
		put_u64(p + 16, state_num(s, "current_tcb", 0));
		put_u64(p + 24, state_num(s, "reported_tcb", 0));
		return 0;
	case CMD_COMMIT:
		state_set_num(s, "committed_tcb", state_num(s, "current_tcb", 0), true);
		*dirty = true;
		return 0;
	case CMD_SET_CONFIG: {
		uint64_t tcb = get_u64(p), cur = state_num(s, "current_tcb", 0);
		uint32_t flags = get_u32(p + 8);

		if (flags & ~3u) {
			*fw = FW_INVALID_PARAM;
			return -EIO;
		}
		for (int i = 12; i < 64; i++) {
			if (p[i]) {
				*fw = FW_INVALID_PARAM;
				return -EIO;
			}
		}
		for (int i = 0; i < 8; i++) {
			if (((tcb >> (8 * i)) & 0xff) > ((cur >> (8 * i)) & 0xff)) {
				*fw = FW_INVALID_CONFIG;
				return -EIO;
			}
		}
		state_set_num(s, "reported_tcb", tcb, true);
		state_set_num(s, "mask_chip_id", flags & 1, false);
		state_set_num(s, "mask_chip_key", (flags >> 1) & 1, false);
		*dirty = true;
		return 0;
	}
	case CMD_VLEK_LOAD: {
		char digest[65];

		if (get_u32(p) != 16 || p[4] != 0)
			return -EINVAL;
		if (!get_u64(p + 8))
			return -EFAULT;
		sha256_hex((const uint8_t *)(uintptr_t)get_u64(p + 8), HASHSTICK_LEN, digest);
		state_set(s, "vlek_loaded", "1");
		state_set(s, "vlek_sha256", digest);
		*dirty = true;
		return 0;
	}
	}
	return -EINVAL;
}

/* then_<CMD>=KEY=VALUE: after CMD succeeded, the state gets KEY=VALUE.  True: it did. */
static bool then_apply(struct state *s, uint32_t cmd)
{
	const char *name = cmd_name(cmd), *v;
	char key[64], kv[256], *eq;

	snprintf(key, sizeof(key), "then_%s", name ? name : "");
	v = state_get(s, key);
	if (!v || snprintf(kv, sizeof(kv), "%s", v) >= (int)sizeof(kv))
		return false;
	eq = strchr(kv, '=');
	if (!eq)
		return false;
	*eq = '\0';
	return state_set(s, kv, eq + 1) == 0;
}

static int fake_ioctl(int fd, void *argp)
{
	const char *path = getenv("FAKE_SEV_STATE");
	uint8_t arg[ISSUE_CMD_SIZE];
	struct state s = { .n = 0 };
	char lockpath[4096], result[48];
	uint32_t cmd, fw = 0;
	bool dirty = false;
	int lockfd, ret;

	if (!argp) {
		errno = EFAULT;
		return -1;
	}
	memcpy(arg, argp, sizeof(arg));
	cmd = get_u32(arg);
	snprintf(lockpath, sizeof(lockpath), "%s.lock", path);
	lockfd = ((fake_open_fn)fake_next("open"))(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lockfd >= 0)
		flock(lockfd, LOCK_EX);
	if (state_load(path, &s) < 0) {
		fprintf(stderr, "fake-sev: cannot read '%s': %s\n", path, strerror(errno));
		ret = -EIO;
		fw = 0xffffffffu;
	} else {
		ret = run(&s, cmd, get_u64(arg + 4), fd_mode[fd] == 2, &fw, &dirty);
		if (ret == 0 && then_apply(&s, cmd))
			dirty = true;
		if (dirty && state_store(path, &s) < 0) {
			fprintf(stderr, "fake-sev: cannot write '%s': %s\n", path, strerror(errno));
			ret = -EIO;
			fw = 0xffffffffu;
		}
	}
	if (lockfd >= 0)
		((close_fn)fake_next("close"))(lockfd);
	state_free(&s);

	/* The kernel copies the whole argument back, error included. */
	put_u32(arg + 12, ret == 0 ? 0 : fw);
	memcpy(argp, arg, sizeof(arg));
	if (ret == 0)
		snprintf(result, sizeof(result), "ok");
	else if (fw && fw != 0xffffffffu)
		snprintf(result, sizeof(result), "fw=%u", fw);
	else
		snprintf(result, sizeof(result), "errno=%s", strerrorname_np(-ret) ?
			 strerrorname_np(-ret) : "?");
	log_line(cmd_name(cmd) ? cmd_name(cmd) : "UNKNOWN", "%s", result);
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/* ---- the intercepted functions ------------------------------------------ */

/* Ours: the device path, relative to the cwd or absolute. */
static bool is_device(int dirfd, const char *path)
{
	if (!active() || !path)
		return false;
	if (path[0] != '/' && dirfd != AT_FDCWD)
		return false;
	return strcmp(path, device_path()) == 0;
}

static int fake_open(int flags)
{
	struct state s = { .n = 0 };
	const char *path = getenv("FAKE_SEV_STATE");
	int fd, e = 0, acc = flags & O_ACCMODE;

	if (state_load(path, &s) < 0) {
		e = EIO;
	} else if (!state_num(&s, "present", 1)) {
		e = ENOENT;
	} else {
		e = (int)state_num(&s, "open_errno", 0);
	}
	state_free(&s);
	if (e) {
		log_line("open", "errno=%s", strerrorname_np(e) ? strerrorname_np(e) : "?");
		errno = e;
		return -1;
	}
	fd = ((fake_open_fn)fake_next("open"))("/dev/null", acc | (flags & O_CLOEXEC));
	if (fd < 0)
		return -1;
	if (fd >= MAX_FDS) {
		((close_fn)fake_next("close"))(fd);
		errno = EMFILE;
		return -1;
	}
	fd_mode[fd] = acc == O_RDONLY ? 1 : 2;
	log_line("open", "%s", acc == O_RDONLY ? "rdonly" : "rdwr");
	return fd;
}

/* For preload.h's open entry points: the SEV device is ours. */
static int fake_claim(int dirfd, const char *path, int flags)
{
	return is_device(dirfd, path) ? fake_open(flags) : FAKE_NOT_OURS;
}

FAKE_WRAP_OPENS()

__attribute__((visibility("default"))) int close(int fd)
{
	if (fd >= 0 && fd < MAX_FDS)
		fd_mode[fd] = 0;
	return ((close_fn)fake_next("close"))(fd);
}

__attribute__((visibility("default"))) int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *argp;

	va_start(ap, request);
	argp = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd < MAX_FDS && fd_mode[fd] && active()) {
		if (request != FAKE_SEV_ISSUE_CMD) {
			errno = EINVAL; /* sev_ioctl's answer to any other ioctl */
			return -1;
		}
		return fake_ioctl(fd, argp);
	}
	return ((ioctl_fn)fake_next("ioctl"))(fd, request, argp);
}
