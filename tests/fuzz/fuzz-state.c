// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the run state document (formats/runstate.c): any
 * bytes.  What decodes is valid (sorted, in range), encodes, and decodes
 * again to the same state, which encodes to the same bytes; recording a run
 * into it keeps it valid.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct runstate *a, const struct runstate *b)
{
	if (a->n != b->n)
		abort();
	for (size_t i = 0; i < a->n; i++) {
		const struct runstate_entry *x = &a->v[i], *y = &b->v[i];

		if (strcmp(x->workflow, y->workflow) != 0 || x->last_run != y->last_run ||
		    x->exit_status != y->exit_status || x->lock_hold_s != y->lock_hold_s ||
		    x->has_last_success != y->has_last_success ||
		    (x->has_last_success && x->last_success != y->last_success))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct runstate s, t;
	char why[256], *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int ret = runstate_parse(data, size, &s, why, sizeof(why));

	if (ret == -ENOMEM)
		return 0;
	if (ret == -EBADMSG) {
		if (!why[0] || s.n != 0)
			abort();
		return 0;
	}
	if (ret != 0 || s.n > RUNSTATE_MAX)
		abort();
	for (size_t i = 0; i < s.n; i++)
		if (!runstate_name_valid(s.v[i].workflow) ||
		    (i && strcmp(s.v[i - 1].workflow, s.v[i].workflow) >= 0))
			abort();
	ret = runstate_encode(&s, &a, &alen);
	if (ret == -ENOMEM)
		return 0;
	if (ret != 0 || strlen(a) != alen || a[alen - 1] != '\n')
		abort();
	if (runstate_parse(a, alen, &t, why, sizeof(why)) != 0)
		abort();
	same(&s, &t);
	if (runstate_encode(&t, &b, &blen) == 0 && (blen != alen || memcmp(a, b, alen) != 0))
		abort();
	/* A failure after the last run keeps its last success; a success is its own. */
	if (s.n) {
		struct runstate_entry old = s.v[0];

		if (runstate_record(&s, old.workflow, old.last_run, 1, 0.5) != 0 ||
		    s.v[0].has_last_success != old.has_last_success ||
		    (old.has_last_success && s.v[0].last_success != old.last_success))
			abort();
		if (runstate_record(&s, old.workflow, old.last_run, 0, 0) != 0 ||
		    s.v[0].last_success != old.last_run)
			abort();
	}
	free(a);
	free(b);
	return 0;
}
