/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The broker's QMP client: one conversation with the QEMU of one SEV guest
 * over its QMP unix socket (sev-legacy.md section 6): the greeting,
 * qmp_capabilities, query-sev (the guest's handle must be the one the
 * guest named), then query-sev-attestation-report with the mnonce.  Every
 * step within one deadline; every reply line bounded (QMP_LINE_MAX) and
 * parsed with jansson; asynchronous {"event": ...} messages skipped; the
 * report must decode (strict base64) to exactly SEV_REPORT_LEN bytes.  A
 * QEMU that hangs, lies or talks nonsense costs this call, nothing else.
 */
#ifndef SNP_CERTCTL_QMP_H
#define SNP_CERTCTL_QMP_H

#include <stdint.h>

#include "errors.h"
#include "sevcert.h"

#define QMP_LINE_MAX (64 * 1024) /* the longest reply line taken */
#define QMP_LINES_MAX 64         /* events skipped before a reply at most */

/*
 * The attestation report of the guest behind the QMP socket path, taken
 * with mnonce, by deadline_ns (sc_now_ns() clock).  0 with report; -EPERM
 * when query-sev names another handle than handle (no report is asked
 * for); -ENOTSUP when query-sev says SEV is not enabled; -ETIMEDOUT; or
 * -EPROTO (a QMP error, bad JSON, a reply of the wrong shape or size) or
 * another -errno (connect), each with why.  cancel_fd (or -1): once it is
 * readable, every wait ends at once with -ECANCELED (the broker stopping).
 */
int qmp_attest(const char *path, uint32_t handle, const uint8_t mnonce[SEV_MNONCE_LEN],
	       uint64_t deadline_ns, int cancel_fd, uint8_t report[SEV_REPORT_LEN],
	       struct why *why);

/*
 * The QMP socket of vsock guest cid in dir: DIR/CID.sock.  Whoever can
 * write dir, or a directory above it, decides whose QEMU answers for a
 * CID, so dir is walked from "/" without following a link at its end, each
 * directory on the way held to the ownership rule (trustpath.h) and dir
 * itself to sc_trust_check (no sticky exception: anyone could add a socket
 * for a CID that has none yet); the entry must be a socket.  What was
 * checked is what is connected to: path (QMP_DIR_PATH_MAX) names the entry
 * through the open directory, /proc/self/fd/N/CID.sock, valid while *dirfd
 * is open (the caller closes it).  0, or -1 with why.
 */
#define QMP_DIR_PATH_MAX 64
int qmp_dir_socket(const char *dir, uint32_t cid, int *dirfd, char path[QMP_DIR_PATH_MAX],
		   struct why *why);

#endif
