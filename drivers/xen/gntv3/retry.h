/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 safe unmap: the retry schedule.
 *
 * Pure like tree.c: only <linux/types.h>, so tools/testing/gntv3 builds the
 * very same retry.c in userspace.  Locking: none; the schedule is a function
 * of its arguments.
 */
#ifndef _GNTV3_RETRY_H
#define _GNTV3_RETRY_H

#include <linux/types.h>

/* Defaults of the unmap_retry_* module parameters (unmap.c), in ms. */
#define GNTV3_RETRY_BASE_MS	1
#define GNTV3_RETRY_CAP_MS	256
#define GNTV3_RETRY_BUDGET_MS	10000

/**
 * struct gntv3_retry_policy - bounded exponential backoff
 * @base_ms: delay before the first retry; 0 counts as 1
 * @cap_ms: no delay is longer than this; a cap below the base counts as
 *	the base
 * @budget_ms: give up once this much time went by since the first attempt;
 *	0 means give up after the first attempt
 */
struct gntv3_retry_policy {
	u32 base_ms;
	u32 cap_ms;
	u32 budget_ms;
};

u32 gntv3_retry_delay(const struct gntv3_retry_policy *p, unsigned int retry);
u32 gntv3_retry_next(const struct gntv3_retry_policy *p, unsigned int retry,
		     u64 waited_ms);

#endif /* _GNTV3_RETRY_H */
