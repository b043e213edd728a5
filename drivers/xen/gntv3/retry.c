// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 safe unmap: the retry schedule.
 *
 * A mapping whose pages are still referenced is retried after
 * base, 2 * base, 4 * base, ... ms, each delay capped at cap ms, until
 * budget ms have gone by since the first attempt.  With the defaults
 * (1 ms, 256 ms, 10 s) that is 8 quick retries within 255 ms for the common
 * case of I/O finishing soon, then one retry every 256 ms, about 47 retries
 * in all, and a final answer after 10 s.  The last delay is shortened so
 * that the last retry happens exactly when the budget runs out.
 */
#include "retry.h"

/**
 * gntv3_retry_delay() - the uncapped-by-budget delay before a retry
 * @p: the policy
 * @retry: 0 for the first retry, 1 for the second, ...
 *
 * Return: min(base << @retry, cap) in ms, never 0, never overflowing.
 */
u32 gntv3_retry_delay(const struct gntv3_retry_policy *p, unsigned int retry)
{
	u32 base = p->base_ms ? p->base_ms : 1;
	u32 cap = p->cap_ms > base ? p->cap_ms : base;

	/* base << retry > cap as soon as retry exceeds the bit width of cap */
	if (retry >= 32 || base > (cap >> retry))
		return cap;
	return base << retry;
}

/**
 * gntv3_retry_next() - when to try again, or whether to give up
 * @p: the policy
 * @retry: how many retries have been made so far
 * @waited_ms: time since the first attempt
 *
 * Return: the delay in ms (at least 1) before retry number @retry, or 0 when
 * the budget is spent and the caller must give up.
 */
u32 gntv3_retry_next(const struct gntv3_retry_policy *p, unsigned int retry,
		     u64 waited_ms)
{
	u32 delay;

	if (waited_ms >= p->budget_ms)
		return 0;
	delay = gntv3_retry_delay(p, retry);
	if (delay > p->budget_ms - waited_ms)
		delay = p->budget_ms - waited_ms;
	return delay;
}
