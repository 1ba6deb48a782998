/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * example-vmm: the VMM side of an SNP extended guest request, with
 * libsnpcert.  Build against the installed library with
 *
 *     cc example-vmm.c $(pkg-config --cflags --libs snpcert)
 *
 * example-vmm FILE [GUEST_PAGES [REQUESTS]]
 *
 * A guest asks for an attestation report plus the certificate table and
 * offers GUEST_PAGES 4 KiB pages for the table.  The host must hand over the
 * table that matches the keys the firmware signs with *now*, so it holds the
 * shared lock from reading the table until the firmware has produced the
 * report; snp-certctl takes the exclusive lock while it changes keys or the
 * table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "snpcert.h"

/* What a VMM answers the guest (the GHCB's SW_EXITINFO2 codes, simplified). */
enum guest_answer { ANSWER_OK, ANSWER_BUSY, ANSWER_TOO_SMALL, ANSWER_ERROR };

/* Stands in for SNP_GUEST_REQUEST: the report is made under our shared lock. */
static void firmware_make_report(const void *certs, size_t len)
{
	(void)certs;
	printf("firmware: report made; %zu bytes of certificates go to the guest\n", len);
}

/*
 * One guest request.  The table's bytes go into the guest's buffer (here a
 * plain one of guest_len bytes).  *pages is set when the guest must retry
 * with more pages.
 */
static enum guest_answer handle_request(struct snpcert_file *f, void *guest_buf, size_t guest_len,
					size_t *pages)
{
	enum guest_answer answer;
	size_t size = 0;
	int ret;

	/*
	 * 1. The shared lock.  100 ms is what QEMU waits; past it the guest is
	 * told "busy" and retries later (Linux guests retry every 2 s for 60 s).
	 * If the table at the path was replaced, the handle reopens it here.
	 */
	ret = snpcert_lock_shared(f, 100);
	if (ret == -EAGAIN || ret == -ETIMEDOUT)
		return ANSWER_BUSY;
	if (ret < 0) {
		fprintf(stderr, "example-vmm: lock: %s\n", snpcert_strerror(ret));
		return ANSWER_ERROR;
	}

	/* 2. The whole table, validated; nothing is copied unless it is whole. */
	ret = snpcert_read(f, guest_buf, guest_len, &size);
	if (ret == -ENOSPC) {
		/* The guest's buffer is too small: tell it how many pages to offer. */
		*pages = snpcert_npages(size);
		answer = ANSWER_TOO_SMALL;
		goto out;
	}
	if (ret < 0) {
		/*
		 * -EBADMSG: malformed, or a writer died mid-update and nobody has
		 * run "snp-certctl recover" yet.  Never hand such bytes out.
		 */
		fprintf(stderr, "example-vmm: read: %s\n", snpcert_strerror(ret));
		answer = ret == -EBADMSG ? ANSWER_BUSY : ANSWER_ERROR;
		goto out;
	}

	/* 3. Still under the lock: the firmware signs with the matching key. */
	firmware_make_report(guest_buf, size);
	answer = ANSWER_OK;
out:
	/* 4. Let writers in again. */
	snpcert_unlock(f);
	return answer;
}

int main(int argc, char **argv)
{
	struct snpcert_file *f = NULL;
	size_t pages, requests, done = 0;
	void *buf = NULL;
	int ret, status = 1;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: example-vmm FILE [GUEST_PAGES [REQUESTS]]\n");
		return 2;
	}
	pages = argc > 2 ? strtoul(argv[2], NULL, 10) : 1;
	requests = argc > 3 ? strtoul(argv[3], NULL, 10) : 1;

	/* Open once, when the VM starts; the handle lives as long as the VM. */
	ret = snpcert_open(argv[1], &f);
	if (ret < 0) {
		fprintf(stderr, "example-vmm: cannot open '%s': %s\n", argv[1],
			snpcert_strerror(ret));
		goto out;
	}
	while (done < requests) {
		size_t need = 0;

		free(buf);
		buf = calloc(pages ? pages : 1, 4096);
		if (!buf)
			goto out;
		switch (handle_request(f, buf, pages * 4096, &need)) {
		case ANSWER_OK:
			done++;
			break;
		case ANSWER_BUSY:
			printf("guest: host busy, retrying\n");
			break;
		case ANSWER_TOO_SMALL:
			/* What the guest does: retry with the number of pages asked for. */
			printf("guest: buffer of %zu pages too small, %zu needed\n", pages, need);
			pages = need;
			break;
		case ANSWER_ERROR:
			goto out;
		}
	}
	status = 0;
out:
	free(buf);
	snpcert_close(f);
	return status;
}
