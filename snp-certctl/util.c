// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base.h"
#include "cmd.h"
#include "trustpath.h"
#include "util.h"

int log_verbosity;

/*
 * Write the line in buf to f with every control character escaped as \xHH:
 * C0 (but a final newline), DEL, and C1 as UTF-8 (U+0080..U+009F, which
 * terminals obey as well).  Process names, file names and certificate
 * subjects are foreign: none of them may move the cursor or recolour the
 * operator's screen.
 */
static void put_escaped(FILE *f, const char *buf)
{
	const unsigned char *p = (const unsigned char *)buf;

	for (; *p; p++) {
		if (*p == '\n' && p[1] == '\0')
			fputc('\n', f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			fprintf(f, "\\x%02x\\x%02x", p[0], p[1]), p++;
		else
			fputc(*p, f);
	}
}

/* vprintf into a malloc'd buffer, or NULL. */
static char *vformat(const char *fmt, va_list ap)
{
	char *buf = NULL;

	return vasprintf(&buf, fmt, ap) < 0 ? NULL : buf;
}

static void put_msg(const char *prefix, const char *msg)
{
	fprintf(stderr, "snp-certctl: %s", prefix);
	put_escaped(stderr, msg ? msg : "(out of memory)");
	fputc('\n', stderr);
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char *msg = vformat(fmt, ap);

	put_msg(prefix, msg);
	free(msg);
}

void tprintf(const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = vformat(fmt, ap);
	va_end(ap);
	put_escaped(stdout, line ? line : "(out of memory)\n");
	free(line);
}

/* Errors are also noted for the JSON error document (error_note, errors.h). */
void err(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	error_note(msg ? msg : "out of memory");
	put_msg("", msg);
	free(msg);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 0)
		return;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 0)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* Decimal digits only: no sign, no space, no 0x. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_seconds(const char *s, double *out)
{
	double v;
	char *end;

	/* DIGITS[.DIGITS], nothing else: strtod would take 0x10, 0x1p3, 1e3, inf. */
	if (!s || strspn(s, "0123456789") == 0)
		return -EINVAL;
	end = (char *)s + strspn(s, "0123456789");
	if (*end == '.' && strspn(end + 1, "0123456789") == 0)
		return -EINVAL;
	if (*end == '.')
		end += 1 + strspn(end + 1, "0123456789");
	if (*end)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > 86400.0 * 365)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_time(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	const char *end;
	uint64_t epoch;

	if (!s)
		return -EINVAL;
	if (s[0] == '@') {
		if (parse_u64(s + 1, &epoch) < 0 || epoch > (uint64_t)INT64_MAX / 2)
			return -EINVAL;
		*out = (time_t)epoch;
		return 0;
	}
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && *end == 'T') {
		end = strptime(end + 1, "%H:%M:%S", &tm);
		if (!end || strcmp(end, "Z") != 0)
			return -EINVAL;
	} else if (!end || *end) {
		return -EINVAL;
	}
	*out = timegm(&tm);
	return 0;
}

int parse_hex(const char *s, uint8_t **out, size_t *len)
{
	size_t n = s ? strlen(s) : 0;
	uint8_t *buf;

	if (n == 0 || n % 2)
		return -EINVAL;
	buf = malloc(n / 2);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)s[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(buf);
			return -EINVAL;
		}
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = buf;
	*len = n / 2;
	return 0;
}

void format_hex(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 15];
	}
	out[2 * len] = '\0';
}

void format_time(time_t t, char *out, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "@%lld", (long long)t);
}

/* read_file, with the fstat of the descriptor it read in *sto. */
/*
 * Open path relative to dirfd (AT_FDCWD: as given) with extra flags, and
 * read it as read_file() does, its fstat in *sto.
 */
int read_file_at(int dirfd, const char *path, int flags, size_t max, uint8_t **out,
		 size_t *len, struct stat *sto)
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t n = 0, cap;
	int fd, ret;

	/*
	 * Links are followed (an input is named by the user) unless flags say
	 * O_NOFOLLOW, but the open never blocks: a FIFO, or a device that would
	 * wait, is refused after fstat, before a byte is read.
	 */
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -ERR_REFUSED;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		ret = -EFBIG;
		goto out;
	}
	ret = fcntl(fd, F_GETFL);
	if (ret < 0 || fcntl(fd, F_SETFL, ret & ~O_NONBLOCK) < 0) {
		ret = -errno;
		goto out;
	}
	/* Sized from fstat when it knows, grown for /proc (and a file still growing). */
	cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	if (cap > max + 1)
		cap = max + 1;
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			uint8_t *nb;

			if (cap > max) {
				ret = -EFBIG;
				goto out;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		ret = -EFBIG;
		goto out;
	}
	*out = buf;
	*len = n;
	*sto = st;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

int read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	struct stat st;

	return read_file_at(AT_FDCWD, path, 0, max, out, len, &st);
}

int read_trusted_file(const char *path, size_t max, uint8_t **out, size_t *len, char *bad,
		      size_t badlen)
{
	char name[NAME_MAX + 1];
	uint8_t *buf = NULL;
	struct stat st;
	size_t n = 0;
	int dir, ret;

	/* Every directory above it, then the file read: the one rule all the way. */
	dir = trust_path_walk(path, true, name, bad, badlen);
	if (dir < 0)
		return dir;
	ret = read_file_at(dir, name, O_NOFOLLOW, max, &buf, &n, &st);
	sc_close(dir);
	if (ret == -ELOOP)
		ret = -ERR_REFUSED; /* a link swapped in after the walk: not a regular file */
	if (ret < 0)
		return ret;
	ret = sc_trust_check(&st, bad, badlen);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*out = buf;
	*len = n;
	return 0;
}

const char *file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	}
	return "not a regular file";
}

/*
 * Write into a character device the user named (-o /dev/stdout, -o
 * /dev/null): opened without blocking and checked again on the descriptor,
 * so a FIFO or a file swapped in after the lstat is never written.
 */
static int write_device(const char *path, const void *buf, size_t len, struct why *why)
{
	struct stat st;
	int fd = -1, ret;

	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = why_set(why, -errno, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		ret = why_set(why, -errno, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISCHR(st.st_mode)) {
		ret = why_set(why, -ERR_REFUSED, "refusing to write '%s': it is %s", path,
			      file_type_name(st.st_mode));
		goto out;
	}
	ret = fcntl(fd, F_GETFL);
	if (ret < 0 || fcntl(fd, F_SETFL, ret & ~O_NONBLOCK) < 0) {
		ret = why_set(why, -errno, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	ret = sc_write_all(fd, buf, len);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	fd = -1;
	if (ret < 0)
		why_set(why, ret, "cannot write '%s': %s", path, strerror(-ret));
out:
	sc_close(fd);
	return ret;
}

/*
 * What is at name in dirfd now decides (shown: the path for messages): 0 to
 * go ahead with the temporary file and the rename, or a code with why.
 */
static int target_at(int dirfd, const char *name, const char *shown, unsigned int flags,
		     struct why *why)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return why_set(why, -errno, "cannot write '%s': %s", shown, strerror(errno));
	}
	if (!(flags & WRITE_REPLACE) && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
		return why_set(why, -EEXIST, "cannot write '%s': %s", shown, strerror(EEXIST));
	/* A link is replaced by the rename, never written through. */
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return why_set(why, -ERR_REFUSED, "refusing to write '%s': it is %s", shown,
			       file_type_name(st.st_mode));
	return 0;
}

/*
 * What is at path now decides: 0 to go ahead with the temporary file and
 * the rename, 1 to write into the named device, or a code with why.
 */
int write_target(const char *path, unsigned int flags, struct why *why)
{
	struct stat st, named;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return why_set(why, -errno, "cannot write '%s': %s", path, strerror(errno));
	}
	/* /dev/stdout is a link to /proc/self/fd/1: what it names decides. */
	if ((flags & WRITE_DEVICE) && S_ISLNK(st.st_mode) && stat(path, &named) == 0 &&
	    S_ISCHR(named.st_mode))
		return 1;
	if ((flags & WRITE_DEVICE) && S_ISCHR(st.st_mode))
		return 1;
	return target_at(AT_FDCWD, path, path, flags, why);
}

/*
 * A temporary file .snp-certctl.XXXXXX created exclusively in dirfd, never
 * following a link planted at the name: its descriptor (the name in tmp),
 * or -errno.
 */
static int make_temp_at(int dirfd, char tmp[sizeof(TEMP_PREFIX) + 6])
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

	for (int attempt = 0; attempt < 100; attempt++) {
		int fd;

		memcpy(tmp, TEMP_PREFIX, sizeof(TEMP_PREFIX) - 1);
		for (size_t i = 0; i < 6; i++)
			tmp[sizeof(TEMP_PREFIX) - 1 + i] =
				chars[(size_t)(sc_random01() * (sizeof(chars) - 1)) % (sizeof(chars) - 1)];
		tmp[sizeof(TEMP_PREFIX) + 5] = '\0';
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

int write_file_atomic_at(int dirfd, const char *name, const char *shown, const void *buf,
			 size_t len, mode_t mode, unsigned int flags, struct why *why)
{
	char tmp[sizeof(TEMP_PREFIX) + 6];
	bool have_tmp = false;
	int fd = -1, ret;

	ret = target_at(dirfd, name, shown, flags, why);
	if (ret < 0)
		return ret;
	fd = make_temp_at(dirfd, tmp);
	if (fd < 0) {
		ret = why_set(why, fd, "cannot write '%s': %s", shown, strerror(-fd));
		fd = -1;
		goto out;
	}
	have_tmp = true;
	ret = sc_write_all(fd, buf, len);
	if (ret == 0 && (fchmod(fd, mode) < 0 || fsync(fd) < 0))
		ret = -errno;
	if (ret < 0) {
		why_set(why, ret, "cannot write '%s': %s", shown, strerror(-ret));
		goto out;
	}
	/*
	 * Both names relative to the one directory opened: rename() replaces
	 * the final name (a link too) and never follows it, and a directory
	 * swapped for a link meanwhile moves nothing anywhere else.
	 */
	if (flags & WRITE_REPLACE) {
		if (renameat(dirfd, tmp, dirfd, name) < 0) {
			ret = why_set(why, -errno, "cannot write '%s': %s", shown, strerror(errno));
			goto out;
		}
	} else if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) < 0) {
		/* Filesystems without RENAME_NOREPLACE: link() never clobbers. */
		if (errno != EINVAL || linkat(dirfd, tmp, dirfd, name, 0) < 0) {
			ret = why_set(why, -errno, "cannot write '%s': %s", shown, strerror(errno));
			goto out;
		}
		unlinkat(dirfd, tmp, 0);
	}
	have_tmp = false;
	if (fsync(dirfd) < 0)
		ret = why_set(why, -errno, "cannot write '%s': %s", shown, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlinkat(dirfd, tmp, 0);
	return ret;
}

int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode,
		      unsigned int flags, struct why *why)
{
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	char *dir = NULL;
	int dfd = -1, ret;

	/* A device by its path; everything else is judged in the directory opened. */
	if (flags & WRITE_DEVICE) {
		ret = write_target(path, flags, why);
		if (ret == 1)
			return write_device(path, buf, len, why);
		if (ret < 0)
			return ret;
	}
	if (!*name)
		return why_set(why, -EISDIR, "cannot write '%s': %s", path, strerror(EISDIR));
	dir = sc_dir_of(path);
	if (!dir) {
		ret = why_set(why, -ENOMEM, "out of memory");
		goto out;
	}
	/* The directory opened once: the temporary file and the rename both in it. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		ret = why_set(why, -errno, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	ret = write_file_atomic_at(dfd, name, path, buf, len, mode, flags, why);
out:
	sc_close(dfd);
	free(dir);
	return ret;
}

int close_stdout(void)
{
	bool bad = ferror(stdout);

	if (fflush(stdout) != 0)
		bad = true;
	if (fclose(stdout) != 0 && errno != EBADF)
		bad = true;
	if (bad) {
		err("cannot write to standard output: %s", strerror(errno ? errno : EIO));
		return EXIT_FAIL;
	}
	return 0;
}

/* The soft limit at start, for the children; RLIM_INFINITY: not changed. */
static rlim_t nofile_soft_at_start = RLIM_INFINITY;

void nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	nofile_soft_at_start = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		nofile_soft_at_start = RLIM_INFINITY;
}

int nofile_reserve(size_t n)
{
	struct rlimit rl;
	unsigned long long nr_open = 0;
	FILE *f;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= n)
		return 0;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= n) {
		if (nofile_soft_at_start == RLIM_INFINITY)
			nofile_soft_at_start = rl.rlim_cur;
		rl.rlim_cur = n;
		return setrlimit(RLIMIT_NOFILE, &rl) < 0 ? -EMFILE : 0;
	}
	/* Beyond the hard limit: only with CAP_SYS_RESOURCE, at most fs.nr_open. */
	f = fopen("/proc/sys/fs/nr_open", "re");
	if (f) {
		if (fscanf(f, "%llu", &nr_open) != 1)
			nr_open = 0;
		fclose(f);
	}
	if (nr_open < n)
		return -EMFILE;
	if (nofile_soft_at_start == RLIM_INFINITY)
		nofile_soft_at_start = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max = n;
	return setrlimit(RLIMIT_NOFILE, &rl) < 0 ? -EMFILE : 0;
}

void nofile_restore(void)
{
	struct rlimit rl;

	if (nofile_soft_at_start == RLIM_INFINITY || getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rl.rlim_cur = nofile_soft_at_start;
	setrlimit(RLIMIT_NOFILE, &rl);
}

char *path_join(const char *dir, const char *name)
{
	size_t dlen = strlen(dir), nlen = strlen(name), o = 0;
	char *p = malloc(dlen + nlen + 2);

	if (!p)
		return NULL;
	for (size_t i = 0; i < dlen; i++)
		if (dir[i] != '/' || o == 0 || p[o - 1] != '/')
			p[o++] = dir[i];
	if (o > 1 && p[o - 1] == '/')
		o--;
	if (o == 1 && p[0] == '.')
		o = 0;
	else if (o > 0 && p[o - 1] != '/')
		p[o++] = '/';
	memcpy(p + o, name, nlen + 1);
	return p;
}
