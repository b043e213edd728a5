// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of retry.c, the schedule of the safe unmap: exponential growth,
 * the cap, the budget and its exact end, degenerate parameters, no
 * overflow for any retry number.
 */
#include "harness.h"
#include "retry.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const struct gntv3_retry_policy def = {
	GNTV3_RETRY_BASE_MS, GNTV3_RETRY_CAP_MS, GNTV3_RETRY_BUDGET_MS
};

TEST(retry_doubles_then_caps)
{
	static const u32 want[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 256, 256 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(want); i++)
		CHECK_EQ(gntv3_retry_delay(&def, i), want[i]);
	/* shifts past the width of u32 must not overflow or wrap */
	CHECK_EQ(gntv3_retry_delay(&def, 31), 256);
	CHECK_EQ(gntv3_retry_delay(&def, 32), 256);
	CHECK_EQ(gntv3_retry_delay(&def, 1000), 256);
	CHECK_EQ(gntv3_retry_delay(&def, ~0U), 256);
}

TEST(retry_degenerate_policies)
{
	struct gntv3_retry_policy p = { 0, 0, 100 };

	/* base 0 counts as 1, a cap below the base as the base */
	CHECK_EQ(gntv3_retry_delay(&p, 0), 1);
	CHECK_EQ(gntv3_retry_delay(&p, 5), 1);
	p = (struct gntv3_retry_policy){ 50, 10, 100 };
	CHECK_EQ(gntv3_retry_delay(&p, 0), 50);
	CHECK_EQ(gntv3_retry_delay(&p, 3), 50);
	/* a huge base with a huge cap: no overflow */
	p = (struct gntv3_retry_policy){ 0x80000000U, 0xffffffffU, 100 };
	CHECK_EQ_HEX(gntv3_retry_delay(&p, 0), 0x80000000U);
	CHECK_EQ_HEX(gntv3_retry_delay(&p, 1), 0xffffffffU);
	CHECK_EQ_HEX(gntv3_retry_delay(&p, 40), 0xffffffffU);
	/* budget 0: give up at once */
	p = (struct gntv3_retry_policy){ 1, 256, 0 };
	CHECK_EQ(gntv3_retry_next(&p, 0, 0), 0);
}

TEST(retry_budget_is_exact)
{
	unsigned int retry = 0;
	u64 waited = 0;
	u32 d;

	/* Perfect timers: the retries end exactly at the budget. */
	while ((d = gntv3_retry_next(&def, retry, waited))) {
		CHECK(d <= GNTV3_RETRY_CAP_MS);
		waited += d;
		retry++;
		REQUIRE(retry < 1000);
	}
	CHECK_EQ(waited, GNTV3_RETRY_BUDGET_MS);
	/* 8 doubling retries (255 ms), then 256 ms steps, the last shortened */
	CHECK_EQ(retry, 8 + (GNTV3_RETRY_BUDGET_MS - 255 + 255) / 256);
	CHECK_EQ(gntv3_retry_next(&def, retry, waited), 0);
	CHECK_EQ(gntv3_retry_next(&def, retry, waited + 1), 0);
	/* the last delay is clipped to what is left */
	CHECK_EQ(gntv3_retry_next(&def, 20, GNTV3_RETRY_BUDGET_MS - 3), 3);
}

TEST(retry_late_timers)
{
	unsigned int retry = 0;
	u64 waited = 0;
	u32 d;

	/*
	 * Timers that fire late (jiffies rounding, a busy system) use up the
	 * budget sooner: fewer retries, never more time than budget + one
	 * late wake-up.
	 */
	while ((d = gntv3_retry_next(&def, retry, waited))) {
		waited += d + 4 + test_rand_below(20);
		retry++;
		REQUIRE(retry < 1000);
	}
	CHECK(waited >= GNTV3_RETRY_BUDGET_MS);
	CHECK(waited < GNTV3_RETRY_BUDGET_MS + 24 + GNTV3_RETRY_CAP_MS);
	CHECK(retry < 48);
}

TEST(retry_random_policies)
{
	unsigned int n;

	for (n = 0; n < 2000 * test_scale; n++) {
		struct gntv3_retry_policy p = {
			(u32)test_rand_below(1000), (u32)test_rand_below(5000),
			(u32)test_rand_below(20000),
		};
		unsigned int retry = (unsigned int)test_rand_below(64);
		u64 waited = test_rand_below(25000);
		u32 d = gntv3_retry_next(&p, retry, waited);
		u32 lo = p.base_ms ? p.base_ms : 1;
		u32 hi = p.cap_ms > lo ? p.cap_ms : lo;

		if (waited >= p.budget_ms) {
			CHECK_EQ(d, 0);
			continue;
		}
		CHECK(d >= 1);
		CHECK(d <= hi);
		CHECK(waited + d <= p.budget_ms);
		CHECK(gntv3_retry_delay(&p, retry) >= lo);
		CHECK(gntv3_retry_delay(&p, retry + 1) >= gntv3_retry_delay(&p, retry));
	}
}
