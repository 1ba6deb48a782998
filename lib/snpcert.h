/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsnpcert: read (and write) SEV-SNP GHCB certificate tables under the
 * fcntl OFD lock protocol shared with QEMU and snp-certctl.
 *
 * A VMM opens the table once, and for each guest request takes the shared
 * lock, reads the table, hands it to the firmware with the request, then
 * unlocks.  While snp-certctl rewrites the table (in place, under an
 * exclusive lock) readers wait, at most their timeout.
 *
 * Every function returns 0 (or a count) on success and a negative errno
 * value on failure; none prints, exits, raises signals or starts threads.
 * Handles are not shared between threads without the caller's own locking;
 * distinct handles may be used from distinct threads.  All descriptors are
 * close-on-exec.  See libsnpcert(3).
 */
#ifndef SNPCERT_H
#define SNPCERT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The protocol's writer-intent byte: a writer announces itself by
 * write-locking this one byte (far past any table) before it waits for the
 * whole-file lock.  Stock readers' whole-file locks cover it, so they are
 * held off; libsnpcert readers lock only [0, SNPCERT_INTENT_OFFSET) and back
 * off while it is held.  Tools that list lock holders may use it.
 */
#define SNPCERT_INTENT_OFFSET ((long long)1 << 40)

/* ---- read side (LIBSNPCERT_1, 0.1.0) ---------------------------------- */

/* An open table, as a reader sees it.  Opaque. */
struct snpcert_file;

/*
 * Open the table at path for reading (O_RDONLY, no symlink in the last
 * component, regular files only).  No lock is taken.
 * On success *out owns the handle; free it with snpcert_close().
 * Returns 0, -EINVAL (NULL argument), -ELOOP (symlink), -EISDIR/-EINVAL (not
 * a regular file), -ENOMEM, or the errno of open(2).
 */
int snpcert_open(const char *path, struct snpcert_file **out);

/*
 * Take the shared lock on the file the path names now, waiting at most
 * timeout_ms milliseconds.  If the file was replaced since it was opened
 * (another inode at the path), the handle reopens it first.  Backs off while
 * a writer has announced itself, so writers are not starved.
 * Returns 0 (locked), -EAGAIN (timeout_ms 0 and the lock is busy),
 * -ETIMEDOUT, -EALREADY (this handle already holds the lock), or an errno
 * of open(2)/fcntl(2) (-ENOENT if the path is gone).
 */
int snpcert_lock_shared(struct snpcert_file *f, unsigned int timeout_ms);

/*
 * Copy the whole table into buf and set *size to its length.  Only while
 * locked (-ENOLCK otherwise).  If buf_len is smaller than the table,
 * returns -ENOSPC with *size set to the bytes needed and copies nothing.
 * A malformed or half-written table is -EBADMSG and is never copied, as
 * is one a tool outside the protocol kept changing during three reads
 * (see libsnpcert(3)); a table over 1 MiB is -EFBIG.  Returns 0 or the
 * errno of pread(2).
 */
int snpcert_read(struct snpcert_file *f, void *buf, size_t buf_len, size_t *size);

/* Release the lock (0 also if none was held). */
int snpcert_unlock(struct snpcert_file *f);

/* Release the lock, close the file and free the handle.  NULL is fine. */
void snpcert_close(struct snpcert_file *f);

/* The guest pages a table of size bytes needs: DIV_ROUND_UP(size, 4096). */
size_t snpcert_npages(size_t size);

/*
 * A static description of a value returned by this library ("lock busy",
 * "malformed certificate table", ...; strerror(3) text otherwise).
 * Accepts the negative value as returned.  Never NULL.
 */
const char *snpcert_strerror(int err);

/*
 * The descriptor of the open table (for poll-free integration, fstat, ...),
 * or -EBADF when none is open.  Owned by the handle: do not close it.
 */
int snpcert_fd(const struct snpcert_file *f);

/*
 * Check that buf holds a well-formed GHCB certificate table (the rules of
 * snp-certctl's parser).  Returns 0, -EBADMSG, or -EINVAL (NULL buf with a
 * non-zero len).
 */
int snpcert_table_check(const void *buf, size_t len);

/* ---- write side (LIBSNPCERT_1, 0.1.0) --------------------------------- */

/*
 * An update of one table: a writer.  The protocol, in order:
 *
 *   snpcert_writer_open()     open the table read-write and take the
 *                             writers' lock on its journal; finishes or
 *                             rolls back an interrupted update first;
 *   snpcert_writer_read()     the current contents (optional);
 *   snpcert_writer_prepare()  write the new contents to the journal and
 *                             make it durable (before the exclusive lock);
 *   snpcert_writer_lock()     announce the writer, take the exclusive lock;
 *   snpcert_writer_commit()   write the table in place (inode unchanged),
 *                             in an order a reader can always recognise;
 *   snpcert_writer_unlock()   let readers in again;
 *   snpcert_writer_finish()   make the table durable, clear the journal;
 *   snpcert_writer_close()    release everything (also after failures).
 *
 * The exclusive lock may be taken before prepare and held over several
 * prepare/commit rounds (for firmware steps), and several writers on
 * different tables may hold their locks at once.
 */
struct snpcert_writer;

/*
 * Refuse tables or journals not owned by the effective uid (or by root).
 * Since 0.2.0 writers always apply this rule; the flag is still accepted.
 */
#define SNPCERT_WRITER_STRICT_OWNER 0x1u

/*
 * Since 0.3.0 (older libraries refuse the flags with -EINVAL), for files
 * that are not tables, kept with the same protocol (snp-certctl's SEV
 * chain):
 *   SNPCERT_WRITER_OPAQUE   the file holds any 1..SNPCERT_OPAQUE_MAX bytes:
 *                           no table rules (snpcert_writer_read and prepare
 *                           take any bytes), and the commit writes the
 *                           contents whole, so readers must hold the lock
 *                           and recognise a torn file themselves;
 *   SNPCERT_WRITER_DISCARD  a pending journal is dropped, never replayed
 *                           (the file is one of a set whose update did not
 *                           reach its commit point; snpcert_recover reports
 *                           SNPCERT_RECOVER_DISCARDED).
 */
#define SNPCERT_WRITER_OPAQUE 0x2u
#define SNPCERT_WRITER_DISCARD 0x4u
#define SNPCERT_OPAQUE_MAX (64u * 1024)

/*
 * Open path for an update.  Refuses symlinks (-ELOOP), non-regular files
 * (-EINVAL), files writable by group or others or owned by someone else
 * (-EPERM: the owner must be root or the effective uid; when the
 * effective uid is 0, root), a table in a directory that fails the same
 * rule (-EPERM; a sticky directory may be writable by others), and tables
 * or journals with more than one name (-EMLINK: a hard link; since 0.2.0).
 * Waits at most timeout_ms for another writer of the same table
 * (-ETIMEDOUT).  If an interrupted update is found, it is completed
 * from a good journal (rolled forward) or a bad journal is discarded, which
 * may take the exclusive lock briefly within the same timeout.  With
 * timeout_ms 0, -EAGAIN instead of -ETIMEDOUT.  A wait cut short by a
 * signal handler is -EINTR (as F_OFD_SETLKW's), here, in
 * snpcert_writer_lock() and in snpcert_recover(): the caller may retry.
 */
int snpcert_writer_open(const char *path, unsigned int flags, unsigned int timeout_ms,
			struct snpcert_writer **out);

/*
 * The table's current contents, validated: *buf is malloc'd (free() it).
 * -EBADMSG for a malformed table.
 */
int snpcert_writer_read(struct snpcert_writer *w, uint8_t **buf, size_t *len);

/*
 * Record the new contents in the journal and make it durable, and reserve
 * the table's space for them (fallocate(2), where the file system can), so
 * that the commit cannot run out of space: a full disk is -ENOSPC here,
 * before the lock, with the table untouched.  buf must be a valid table
 * (-EBADMSG).  May be called with or without the lock.
 * -EBUSY after a commit that failed half-way: retry snpcert_writer_commit().
 * Closing the writer after prepare without a commit clears the journal.
 */
int snpcert_writer_prepare(struct snpcert_writer *w, const void *buf, size_t len);

/*
 * Take the exclusive lock within timeout_ms: -ETIMEDOUT (-EAGAIN for 0),
 * -ESTALE when the path no longer names the file the writer opened.
 * Calling it again while locked is a no-op.
 */
int snpcert_writer_lock(struct snpcert_writer *w, unsigned int timeout_ms);

/*
 * Write the prepared contents into the table, in place.  Only while
 * locked (-ENOLCK) and after prepare (-EINVAL).  Does not fsync.
 */
int snpcert_writer_commit(struct snpcert_writer *w);

/* Release the exclusive lock (0 also if none was held). */
int snpcert_writer_unlock(struct snpcert_writer *w);

/* fsync the table, then clear the journal durably.  After commit. */
int snpcert_writer_finish(struct snpcert_writer *w);

/* Unlock, release the journal lock, close, free.  NULL is fine. */
void snpcert_writer_close(struct snpcert_writer *w);

/* The table's descriptor (read-write), owned by the writer. */
int snpcert_writer_fd(const struct snpcert_writer *w);

/*
 * Bring the table at path to a complete state after a crash: replay a good
 * journal, discard a bad one.  Sets *outcome (may be NULL) to one of
 * SNPCERT_RECOVER_*.  Same refusals, timeout and -EAGAIN as
 * snpcert_writer_open.
 */
#define SNPCERT_RECOVER_CLEAN 0      /* nothing to do */
#define SNPCERT_RECOVER_REPLAYED 1   /* the interrupted update was completed */
#define SNPCERT_RECOVER_DISCARDED 2  /* a partial journal was dropped, table untouched */
int snpcert_recover(const char *path, unsigned int flags, unsigned int timeout_ms, int *outcome);

/*
 * The journal path for a table path ("<dir>/.<name>.snpcert-journal"),
 * malloc'd in *out.
 */
int snpcert_journal_path(const char *path, char **out);

/* ---- the KVM certificate exit (LIBSNPCERT_1.1, 0.2.0) -------------------- */

/*
 * Linux 7.0's KVM_EXIT_SNP_REQ_CERTS, for headers that lack it (Debian 12's):
 * the exit reason in kvm_run->exit_reason, and the exit's data, struct
 * kvm_exit_snp_req_certs (run->snp_req_certs in Linux 7.0's <linux/kvm.h>),
 * which sits at the start of kvm_run's exit union, byte 32.
 */
#define SNPCERT_KVM_EXIT_SNP_REQ_CERTS 43
struct snpcert_kvm_req_certs {
	uint64_t gpa;    /* the guest's buffer (4 KiB aligned), as the guest gave it */
	uint64_t npages; /* its size in pages; on ENOSPC, the VMM sets the pages needed */
	uint64_t ret;    /* 0 on exit; the VMM sets snpcert_req_certs_ret() */
};
#define SNPCERT_KVM_REQ_CERTS(run) \
	((struct snpcert_kvm_req_certs *)(void *)((unsigned char *)(run) + 32))

/*
 * Serve one KVM_EXIT_SNP_REQ_CERTS exit into the guest's buffer buf of
 * npages 4 KiB pages (the host address of the exit's gpa; the caller checks
 * that the whole range is guest memory).  Returns
 *   0        the table was read under the shared lock and copied to buf,
 *            the rest of the npages * 4096 bytes zeroed, and THE SHARED
 *            LOCK IS STILL HELD: set kvm_run->immediate_exit, re-enter
 *            KVM_RUN (KVM sends the request to the firmware and returns
 *            -EINTR), then snpcert_unlock(f).  A missing file (the path is
 *            gone) is answered as the empty table: 24 zero bytes, the
 *            buffer zeroed, no lock held (snpcert_unlock() is still right);
 *   -ENOSPC  the buffer is too small: *npages_needed is ceil(size / 4096)
 *            (1 for a missing file); nothing written, no lock held;
 *   -EAGAIN  a writer held or announced the lock for timeout_ms
 *            milliseconds (0: one attempt); no lock held;
 *   -EBADMSG the file does not hold a valid table; no lock held;
 *   other    -errno (-EINVAL for bad arguments, timeout_ms < 0 or a buffer
 *            over SIZE_MAX; -EALREADY if f is locked); no lock held.
 * npages_needed may be NULL; it is set only on -ENOSPC.
 */
int snpcert_req_certs(struct snpcert_file *f, void *buf, uint64_t npages, int timeout_ms,
		      uint64_t *npages_needed);

/*
 * The value for kvm_run->snp_req_certs.ret that goes with a result of
 * snpcert_req_certs(): 0 -> 0, -ENOSPC -> ENOSPC, -EAGAIN -> EAGAIN, any
 * other -> EIO (the only values KVM accepts).
 */
uint64_t snpcert_req_certs_ret(int rc);

/*
 * Does this kernel have the certificate exit?  KVM_HAS_DEVICE_ATTR on the
 * /dev/kvm descriptor kvm_fd, group KVM_X86_GRP_SEV, attribute
 * KVM_X86_SEV_SNP_REQ_CERTS.  Returns 0 (it has), -ENXIO (it has not: a
 * kernel before 7.0, or without SEV), or another -errno of ioctl(2).
 */
int snpcert_kvm_probe(int kvm_fd);

/*
 * Turn the exit on for the SNP VM vm_fd (KVM_MEMORY_ENCRYPT_OP with
 * KVM_SEV_SNP_ENABLE_REQ_CERTS; sev_fd: the VMM's /dev/sev descriptor, or
 * -1).  Before any vCPU exists: KVM answers -EINVAL afterwards, and for a
 * VM that is not SNP.  Returns 0 or -errno of ioctl(2).
 */
int snpcert_kvm_enable(int vm_fd, int sev_fd);

#ifdef __cplusplus
}
#endif

#endif
