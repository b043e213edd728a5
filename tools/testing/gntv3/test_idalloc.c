// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of idalloc.c: lowest-first aligned runs, exhaustion, reuse and
 * merging, random sequences against a bitmap model, failure injection.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "shim.h"
#include "idalloc.h"

#define ID_LIMIT	(1ULL << GNTV3_ID_BITS)

static unsigned int order_of(u64 nr)
{
	unsigned int o = 0;

	while ((1ULL << o) < nr)
		o++;
	return o;
}

/* ---- bitmap model ---- */

struct run {
	u64 first, nr;
};

struct imodel {
	u64 limit, nr_used;
	u8 *used;
	struct run *runs;
	size_t nr_runs, cap;
};

static void imodel_init(struct imodel *m, u64 limit)
{
	memset(m, 0, sizeof(*m));
	m->limit = limit;
	m->used = calloc(limit, 1);
}

static void imodel_fini(struct imodel *m)
{
	free(m->used);
	free(m->runs);
}

/* Lowest multiple of 2^order starting 2^order free ids, or ~0. */
static u64 imodel_lowest(struct imodel *m, unsigned int order)
{
	u64 p, i, n = 1ULL << order;

	for (p = 0; p + n <= m->limit; p += n) {
		for (i = 0; i < n && !m->used[p + i]; i++)
			;
		if (i == n)
			return p;
	}
	return ~0ULL;
}

static void imodel_set(struct imodel *m, u64 first, u64 nr, bool used)
{
	u64 i;

	for (i = first; i < first + nr; i++) {
		CHECK(m->used[i] != used);
		m->used[i] = used;
	}
	m->nr_used += used ? nr : -nr;
}

static void imodel_add_run(struct imodel *m, u64 first, u64 nr)
{
	if (m->nr_runs == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->runs = realloc(m->runs, m->cap * sizeof(*m->runs));
		if (!m->runs)
			abort();
	}
	m->runs[m->nr_runs++] = (struct run){ first, nr };
}

static bool imodel_any_free(struct imodel *m, u64 first, u64 nr)
{
	u64 i;

	for (i = first; i < first + nr; i++)
		if (!m->used[i])
			return true;
	return false;
}

/* ---- tests ---- */

TEST(ida_init_limits)
{
	struct gntv3_ida ida;
	static const u64 bad[] = { 0, 3, 100, ID_LIMIT * 2, ID_LIMIT + 1 };
	static const u64 good[] = { 1, 2, 32, 64, 128, 4096, ID_LIMIT };
	unsigned int i;

	for (i = 0; i < 5; i++)
		CHECK_EQ(gntv3_ida_init(&ida, bad[i]), -EINVAL);
	for (i = 0; i < 7; i++) {
		gntv3_id_t first = 77;

		if (!CHECK_EQ(gntv3_ida_init(&ida, good[i]), 0))
			continue;
		CHECK_EQ_HEX(ida.limit, good[i]);
		CHECK_EQ(ida.nr_used, 0);
		/* The whole space is one run at first. */
		CHECK_EQ(gntv3_ida_alloc(&ida, good[i], 0, &first), 0);
		CHECK_EQ(first, 0);
		CHECK_EQ_HEX(ida.nr_used, good[i]);
		CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &first), -ENOSPC);
		CHECK_EQ(gntv3_ida_free(&ida, 0, good[i]), 0);
		CHECK_EQ(ida.nr_used, 0);
		gntv3_ida_destroy(&ida);
	}
	shim_fail_nth(1);
	CHECK_EQ(gntv3_ida_init(&ida, 4096), -ENOMEM);
	shim_fail_nth(0);
}

/*
 * Single ids take a fast path (one bit of a bitmap leaf, no change of
 * shape): it must agree with the general one on every answer, also where
 * it has to hand over (the first id, the last id of a leaf, ids of a
 * whole used block above a bitmap, a double free).
 */
TEST(ida_single_fast_path)
{
	struct gntv3_ida ida;
	gntv3_id_t id, run;
	unsigned int i;

	REQUIRE_EQ(gntv3_ida_init(&ida, ID_LIMIT), 0);
	for (i = 0; i < 130; i++) {
		CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
		CHECK_EQ(id, i);
	}
	/* a hole is refilled lowest first */
	CHECK_EQ(gntv3_ida_free(&ida, 65, 1), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 3, 1), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 3, 1), -EINVAL);
	CHECK_EQ(gntv3_ida_free(&ida, 200, 1), -EINVAL);
	CHECK_EQ(ida.nr_used, 128);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 3);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 65);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 130);
	/* a whole block of 256 above the bitmaps, freed one id at a time */
	CHECK_EQ(gntv3_ida_alloc(&ida, 256, 8, &run), 0);
	CHECK_EQ(run, 256);
	for (i = 0; i < 256; i++)
		CHECK_EQ(gntv3_ida_free(&ida, run + i, 1), 0);
	CHECK_EQ(gntv3_ida_free(&ida, run, 1), -EINVAL);
	/* the lowest ids, freed one by one, down to an empty allocator */
	for (i = 0; i <= 130; i++)
		CHECK_EQ(gntv3_ida_free(&ida, i, 1), 0);
	CHECK_EQ(ida.nr_used, 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1ULL << 20, 20, &run), 0);
	CHECK_EQ(run, 0);
	gntv3_ida_destroy(&ida);
}

/*
 * Single ids come from a cached bitmap leaf (idalloc.c).  Whatever the
 * cache holds, the answers are the trie's: a free below the block is the
 * next id, a run sees the block's free ids, a double free or a bad run is
 * refused, and a refill that cannot get memory changes nothing.
 */
TEST(ida_single_cache)
{
	struct gntv3_ida ida;
	gntv3_id_t id;
	unsigned int i;

	REQUIRE_EQ(gntv3_ida_init(&ida, ID_LIMIT), 0);
	for (i = 0; i < 10; i++)
		CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	/* [10, 12) are free but not a block of 4: the run goes to 12 */
	CHECK_EQ(gntv3_ida_alloc(&ida, 4, 0, &id), 0);
	CHECK_EQ(id, 12);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 10);
	/* cached ids: a double free and a run with a free id are refused */
	CHECK_EQ(gntv3_ida_free(&ida, 5, 1), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 5, 1), -EINVAL);
	CHECK_EQ(gntv3_ida_free(&ida, 4, 3), -EINVAL);
	CHECK_EQ(gntv3_ida_free(&ida, 11, 1), -EINVAL);
	CHECK_EQ(ida.nr_used, 14);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 5);
	/* fill the block and the next one; a free below is the lowest again */
	for (i = 0; i < 100; i++)
		CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 114);
	CHECK_EQ(gntv3_ida_free(&ida, 7, 1), 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 7);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 115);
	/* a run above the block leaves it alone; freeing everything empties it */
	CHECK_EQ(gntv3_ida_alloc(&ida, 64, 6, &id), 0);
	CHECK_EQ(id, 128);
	CHECK_EQ(gntv3_ida_free(&ida, 128, 64), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 0, 116), 0);
	CHECK_EQ(ida.nr_used, 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, ID_LIMIT, 0, &id), 0);
	CHECK_EQ(id, 0);
	gntv3_ida_destroy(&ida);

	/* exactly one block: exhaustion, then the freed id */
	REQUIRE_EQ(gntv3_ida_init(&ida, 64), 0);
	for (i = 0; i < 64; i++)
		CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), -ENOSPC);
	CHECK_EQ(gntv3_ida_free(&ida, 33, 1), 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 33);
	gntv3_ida_destroy(&ida);

	/* a refill above the root grows it: without memory, nothing changes */
	REQUIRE_EQ(gntv3_ida_init(&ida, ID_LIMIT), 0);
	for (i = 0; i < 64; i++)
		CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	shim_fail_nth(1);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), -ENOMEM);
	shim_fail_nth(0);
	CHECK_EQ(ida.nr_used, 64);
	CHECK_EQ(gntv3_ida_free(&ida, 64, 1), -EINVAL);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 64);
	gntv3_ida_destroy(&ida);
}

TEST(ida_lowest_first)
{
	struct gntv3_ida ida;
	gntv3_id_t id;

	REQUIRE_EQ(gntv3_ida_init(&ida, 1ULL << 20), 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 1);
	CHECK_EQ(gntv3_ida_alloc(&ida, 2, 0, &id), 0);
	CHECK_EQ(id, 2);
	CHECK_EQ(gntv3_ida_alloc(&ida, 3, 0, &id), 0);	/* a block of 4, tail stays free */
	CHECK_EQ(id, 4);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 7);
	CHECK_EQ(gntv3_ida_alloc(&ida, 5, 3, &id), 0);
	CHECK_EQ(id, 8);
	CHECK_EQ(gntv3_ida_alloc(&ida, 512, 9, &id), 0);
	CHECK_EQ(id, 512);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 13);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1ULL << 18, 18, &id), 0);
	CHECK_EQ(id, 1ULL << 18);
	CHECK_EQ(gntv3_ida_alloc(&ida, 512, 9, &id), 0);
	CHECK_EQ(id, 1024);
	CHECK_EQ(ida.nr_used, 1 + 1 + 2 + 3 + 1 + 5 + 512 + 1 + (1 << 18) + 512);
	/* reuse after free, lowest first */
	CHECK_EQ(gntv3_ida_free(&ida, 1, 1), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 512, 512), 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 1);
	CHECK_EQ(gntv3_ida_alloc(&ida, 256, 0, &id), 0);
	CHECK_EQ(id, 256);
	CHECK_EQ(gntv3_ida_alloc(&ida, 256, 8, &id), 0);
	CHECK_EQ(id, 512);
	gntv3_ida_destroy(&ida);
}

TEST(ida_errors)
{
	struct gntv3_ida ida;
	gntv3_id_t id = 1234;

	REQUIRE_EQ(gntv3_ida_init(&ida, 4096), 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 0, 0, &id), -EINVAL);
	CHECK_EQ(gntv3_ida_alloc(&ida, 4097, 0, &id), -EINVAL);
	CHECK_EQ(gntv3_ida_alloc(&ida, ~0ULL, 0, &id), -EINVAL);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 13, &id), -EINVAL);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 18, &id), -EINVAL);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, ~0U, &id), -EINVAL);
	CHECK_EQ(id, 1234);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 12, &id), 0);
	CHECK_EQ(id, 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 12, &id), -ENOSPC);
	CHECK_EQ(gntv3_ida_alloc(&ida, 2048, 0, &id), 0);
	CHECK_EQ(id, 2048);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1024, 0, &id), 0);
	CHECK_EQ(id, 1024);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1024, 0, &id), -ENOSPC);
	CHECK_EQ(gntv3_ida_alloc(&ida, 512, 9, &id), 0);
	CHECK_EQ(id, 512);
	CHECK_EQ(ida.nr_used, 1 + 2048 + 1024 + 512);

	CHECK_EQ(gntv3_ida_free(&ida, 0, 0), -EINVAL);
	CHECK_EQ(gntv3_ida_free(&ida, 4096, 1), -EINVAL);
	CHECK_EQ(gntv3_ida_free(&ida, 4095, 2), -EINVAL);
	CHECK_EQ(gntv3_ida_free(&ida, ~0ULL, 2), -EINVAL);
	CHECK_EQ(gntv3_ida_free(&ida, 1, ~0ULL), -EINVAL);
	CHECK_EQ(gntv3_ida_free(&ida, 1, 1), -EINVAL);		/* never allocated */
	CHECK_EQ(gntv3_ida_free(&ida, 0, 2), -EINVAL);		/* half allocated */
	CHECK_EQ(gntv3_ida_free(&ida, 500, 20), -EINVAL);
	CHECK_EQ(ida.nr_used, 1 + 2048 + 1024 + 512);
	CHECK_EQ(gntv3_ida_free(&ida, 0, 1), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 0, 1), -EINVAL);		/* double free */
	/* adjacent runs may go back together, and in pieces */
	CHECK_EQ(gntv3_ida_free(&ida, 1024, 1024 + 2048), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 512 + 100, 50), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 512 + 100, 1), -EINVAL);
	CHECK_EQ(ida.nr_used, 512 - 50);
	CHECK_EQ(gntv3_ida_free(&ida, 512, 100), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 512 + 150, 512 - 150), 0);
	CHECK_EQ(ida.nr_used, 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 4096, 12, &id), 0);
	CHECK_EQ(id, 0);
	gntv3_ida_destroy(&ida);
}

TEST(ida_exhaustion)
{
	static const u64 limits[] = { 1, 2, 8, 64, 128, 1024 };
	unsigned int i;

	for (i = 0; i < 6; i++) {
		struct gntv3_ida ida;
		gntv3_id_t id;
		u64 n;

		REQUIRE_EQ(gntv3_ida_init(&ida, limits[i]), 0);
		for (n = 0; n < limits[i]; n++) {
			CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
			CHECK_EQ(id, n);
		}
		CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), -ENOSPC);
		CHECK_EQ_HEX(ida.nr_used, limits[i]);
		CHECK_EQ(gntv3_ida_free(&ida, limits[i] / 2, 1), 0);
		CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
		CHECK_EQ(id, limits[i] / 2);
		if (limits[i] > 1)
			CHECK_EQ(gntv3_ida_alloc(&ida, 2, 0, &id), -ENOSPC);
		gntv3_ida_destroy(&ida);
	}
}

/* Random allocations and frees checked id by id against the bitmap model. */
static void ida_random(u64 limit, unsigned int nr_ops)
{
	unsigned int max_order = order_of(limit), i, allocs = 0, nospc = 0;
	struct gntv3_ida ida;
	struct imodel m;
	gntv3_id_t id;
	u64 nr;

	REQUIRE_EQ(gntv3_ida_init(&ida, limit), 0);
	imodel_init(&m, limit);
	for (i = 0; i < nr_ops; i++) {
		unsigned int align = 0, r = test_rand_below(100);
		int ret;

		if (r < 55) {
			if (r < 25)
				nr = 1;
			else if (r < 40)
				nr = 2 + test_rand_below(7);
			else if (r < 47)
				nr = 1 + test_rand_below(limit / 8 + 1);
			else if (r < 52)
				nr = 1ULL << (align = test_rand_below(max_order + 1));
			else
				nr = 1 + test_rand_below(64);
			if (r >= 52)
				align = test_rand_below(max_order + 1);
			if (nr > limit)
				nr = limit;
			{
				unsigned int order = order_of(nr) > align ? order_of(nr) : align;
				u64 want = imodel_lowest(&m, order);

				ret = gntv3_ida_alloc(&ida, nr, align, &id);
				if (want == ~0ULL) {
					nospc++;
					CHECK_EQ(ret, -ENOSPC);
					continue;
				}
				if (!CHECK_EQ(ret, 0) || !CHECK_EQ_HEX(id, want))
					break;
				CHECK_EQ(id & ((1ULL << align) - 1), 0);
			}
			imodel_set(&m, id, nr, true);
			imodel_add_run(&m, id, nr);
			allocs++;
		} else if (r < 95 && m.nr_runs) {
			size_t k = test_rand_below(m.nr_runs);
			struct run run = m.runs[k];
			u64 a = 0, b = run.nr;

			m.runs[k] = m.runs[--m.nr_runs];
			if (test_chance(25) && run.nr > 1) {
				/* free a piece, keep what is left around it */
				a = test_rand_below(run.nr);
				b = a + 1 + test_rand_below(run.nr - a);
				if (a)
					imodel_add_run(&m, run.first, a);
				if (b < run.nr)
					imodel_add_run(&m, run.first + b, run.nr - b);
			}
			if (!CHECK_EQ(gntv3_ida_free(&ida, run.first + a, b - a), 0))
				break;
			imodel_set(&m, run.first + a, b - a, false);
		} else {
			/* a bad free: some id of the run is not in use */
			u64 first = test_rand_below(limit);

			nr = 1 + test_rand_below(limit - first);
			if (nr > 100)
				nr = 100;
			if (imodel_any_free(&m, first, nr))
				CHECK_EQ(gntv3_ida_free(&ida, first, nr), -EINVAL);
		}
		if (!CHECK_EQ_HEX(ida.nr_used, m.nr_used))
			break;
	}
	CHECK(allocs + nospc > nr_ops / 4);
	CHECK(nospc > 0 || limit > 4096);

	/* Everything back: the whole space is one free block again. */
	while (m.nr_runs) {
		struct run run = m.runs[--m.nr_runs];

		CHECK_EQ(gntv3_ida_free(&ida, run.first, run.nr), 0);
	}
	CHECK_EQ(ida.nr_used, 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, limit, max_order, &id), 0);
	CHECK_EQ(id, 0);
	gntv3_ida_destroy(&ida);
	imodel_fini(&m);
}

TEST(ida_random_small)
{
	ida_random(1, 200);
	ida_random(4, 500);
	ida_random(32, 2000);
	ida_random(64, 2000);
	ida_random(128, 3000);
}

TEST(ida_random_medium)
{
	ida_random(1024, 6000 * test_scale);
	ida_random(4096, 6000 * test_scale);
	ida_random(1 << 16, 1500 * test_scale);
}

TEST(ida_big_space)
{
	struct gntv3_ida ida;
	long live = shim_live_allocs;
	gntv3_id_t id;
	u64 i;

	REQUIRE_EQ(gntv3_ida_init(&ida, ID_LIMIT), 0);
	for (i = 0; i < 1000; i++)
		if (!CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0) || !CHECK_EQ(id, i))
			break;
	for (i = 0; i < 100; i++)
		if (!CHECK_EQ(gntv3_ida_alloc(&ida, 512, 9, &id), 0) ||
		    !CHECK_EQ(id, 1024 + 512 * i))
			break;
	for (i = 1; i <= 40; i++)
		if (!CHECK_EQ(gntv3_ida_alloc(&ida, 1ULL << 18, 18, &id), 0) ||
		    !CHECK_EQ_HEX(id, i << 18))
			break;
	CHECK_EQ(ida.nr_used, 1000 + 100 * 512 + 40 * (1ULL << 18));
	/* The untouched top of the space costs nothing. */
	CHECK(shim_live_allocs - live < 200);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1ULL << 35, 35, &id), 0);
	CHECK_EQ_HEX(id, 1ULL << 35);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1ULL << 35, 35, &id), -ENOSPC);
	CHECK_EQ(gntv3_ida_free(&ida, 1ULL << 35, 1ULL << 35), 0);
	/* 100k single ids: a few bits each */
	for (i = 0; i < 100000; i++)
		if (!CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0))
			break;
	CHECK(shim_live_allocs - live < 100000 / 64 * 2 + 400);
	/* They filled 1000..1023, then the free space from 52224 upwards. */
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 52224 + 100000 - 24);
	CHECK_EQ(gntv3_ida_free(&ida, 0, 52224 + 100000 - 23 + 1), -EINVAL);
	CHECK_EQ(gntv3_ida_free(&ida, 0, 52224 + 100000 - 23), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 1ULL << 18, 40ULL << 18), 0);
	CHECK_EQ(ida.nr_used, 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, ID_LIMIT, 0, &id), 0);
	CHECK_EQ(id, 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), -ENOSPC);
	gntv3_ida_destroy(&ida);
	CHECK_EQ(shim_live_allocs, live);
}

/*
 * The root is only as tall as the ids in use need: growing for a run far
 * up and freeing it gives the nodes back, and an all-free allocator hands
 * out the whole space from 0 again.
 */
TEST(ida_root_follows_use)
{
	struct gntv3_ida ida;
	long live = shim_live_allocs, dense;
	gntv3_id_t id;
	u64 i;

	REQUIRE_EQ(gntv3_ida_init(&ida, ID_LIMIT), 0);
	for (i = 0; i < 512; i++)
		if (!CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0) || !CHECK_EQ(id, i))
			break;
	/* 512 ids: a root of order 9, 7 node pairs down to 8 bitmaps */
	dense = shim_live_allocs - live;
	CHECK_EQ(dense, 1 + 7);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 512);
	CHECK_EQ(gntv3_ida_free(&ida, 512, 1), 0);
	/* above the root: the lowest free block of each order */
	CHECK_EQ(gntv3_ida_alloc(&ida, 2, 10, &id), 0);
	CHECK_EQ(id, 1024);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1ULL << 35, 0, &id), 0);
	CHECK_EQ_HEX(id, 1ULL << 35);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1ULL << 34, 34, &id), 0);
	CHECK_EQ_HEX(id, 1ULL << 34);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1ULL << 34, 34, &id), -ENOSPC);
	CHECK_EQ(gntv3_ida_free(&ida, 1ULL << 35, 1ULL << 35), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 1ULL << 34, 1ULL << 34), 0);
	CHECK_EQ(gntv3_ida_free(&ida, 1024, 2), 0);
	/* the root shrank back; at most the spare pairs stay cached */
	CHECK(shim_live_allocs - live <= dense + 16);
	CHECK_EQ(gntv3_ida_free(&ida, 0, 512), 0);
	CHECK_EQ(ida.nr_used, 0);
	/* all free again: the whole space is one block from 0 */
	CHECK_EQ(gntv3_ida_alloc(&ida, 1ULL << 35, 35, &id), 0);
	CHECK_EQ(id, 0);
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ_HEX(id, 1ULL << 35);
	gntv3_ida_destroy(&ida);
	CHECK_EQ(shim_live_allocs, live);
}

TEST(ida_speed)
{
	struct gntv3_ida ida;
	gntv3_id_t ids[4096];
	unsigned int i, n = 0;

	REQUIRE_EQ(gntv3_ida_init(&ida, ID_LIMIT), 0);
	for (i = 0; i < 300000; i++) {
		if (n < 4096 && (n == 0 || test_chance(55))) {
			if (!CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &ids[n]), 0))
				break;
			n++;
		} else {
			unsigned int k = test_rand_below(n);

			if (!CHECK_EQ(gntv3_ida_free(&ida, ids[k], 1), 0))
				break;
			ids[k] = ids[--n];
		}
	}
	CHECK_EQ(ida.nr_used, n);
	/* lowest first keeps the ids dense */
	for (i = 0; i < n; i++)
		CHECK(ids[i] < 8192);
	gntv3_ida_destroy(&ida);
}

TEST(ida_fail_nth)
{
	struct gntv3_ida ida;
	unsigned long n, failures = 0;
	gntv3_id_t id = 0, base;
	int ret = -ENOMEM;

	/*
	 * The first ids need no node; a run far above them grows the root
	 * by 15 levels (6 -> 21), one node pair each.
	 */
	REQUIRE_EQ(gntv3_ida_init(&ida, ID_LIMIT), 0);
	shim_fail_nth(1);
	ret = gntv3_ida_alloc(&ida, 3, 0, &id);
	shim_fail_nth(0);
	CHECK_EQ(ret, 0);
	CHECK_EQ(id, 0);
	for (n = 1, ret = -ENOMEM; ret == -ENOMEM; n++) {
		shim_fail_nth(n);
		ret = gntv3_ida_alloc(&ida, 1 << 20, 20, &id);
		shim_fail_nth(0);
		if (ret != -ENOMEM)
			break;
		failures++;
		CHECK_EQ(ida.nr_used, 3);
		CHECK_EQ(gntv3_ida_free(&ida, 1 << 20, 1), -EINVAL);
		CHECK_EQ(gntv3_ida_free(&ida, 0, 4), -EINVAL);
	}
	CHECK_EQ(ret, 0);
	CHECK_EQ_HEX(id, 1 << 20);
	CHECK(failures > 1);
	CHECK_EQ(ida.nr_used, 3 + (1 << 20));
	/* what the failed attempts grew was given back: 3 is still free */
	CHECK_EQ(gntv3_ida_alloc(&ida, 1, 0, &id), 0);
	CHECK_EQ(id, 3);
	gntv3_ida_destroy(&ida);

	/* Freeing part of a run splits; each failure leaves the run whole. */
	REQUIRE_EQ(gntv3_ida_init(&ida, 4096), 0);
	REQUIRE_EQ(gntv3_ida_alloc(&ida, 512, 9, &base), 0);
	failures = 0;
	ret = -ENOMEM;
	for (n = 1; ret == -ENOMEM; n++) {
		shim_fail_nth(n);
		ret = gntv3_ida_free(&ida, base + 100, 50);
		shim_fail_nth(0);
		if (ret != -ENOMEM)
			break;
		failures++;
		CHECK_EQ(ida.nr_used, 512);
	}
	CHECK_EQ(ret, 0);
	CHECK(failures > 1);
	CHECK_EQ(ida.nr_used, 462);
	/* the hole is reused: 112..127 is the lowest free aligned 16 */
	CHECK_EQ(gntv3_ida_alloc(&ida, 16, 4, &id), 0);
	CHECK_EQ(id, base + 112);
	gntv3_ida_destroy(&ida);

	/* Every alloc and free of a random sequence, each failing once. */
	REQUIRE_EQ(gntv3_ida_init(&ida, 1 << 14), 0);
	{
		struct imodel m;
		unsigned int i;

		imodel_init(&m, 1 << 14);
		for (i = 0; i < 300; i++) {
			unsigned long before = ida.nr_used;

			if (m.nr_runs && test_chance(40)) {
				size_t k = test_rand_below(m.nr_runs);
				struct run run = m.runs[k];
				u64 a = run.nr > 2 ? 1 : 0;

				shim_fail_nth(1 + test_rand_below(3));
				ret = gntv3_ida_free(&ida, run.first + a, run.nr - a);
				shim_fail_nth(0);
				if (ret == -ENOMEM) {
					CHECK_EQ(ida.nr_used, before);
					continue;
				}
				CHECK_EQ(ret, 0);
				m.runs[k].nr = a;
				if (!a)
					m.runs[k] = m.runs[--m.nr_runs];
				imodel_set(&m, run.first + a, run.nr - a, false);
			} else {
				u64 nr = 1 + test_rand_below(600);
				unsigned int align = test_chance(20) ? 9 : 0;
				unsigned int order = order_of(nr) > align ? order_of(nr) : align;
				u64 want = imodel_lowest(&m, order);

				shim_fail_nth(1 + test_rand_below(3));
				ret = gntv3_ida_alloc(&ida, nr, align, &id);
				shim_fail_nth(0);
				if (ret == -ENOMEM) {
					CHECK_EQ(ida.nr_used, before);
					continue;
				}
				if (want == ~0ULL) {
					CHECK_EQ(ret, -ENOSPC);
					continue;
				}
				if (!CHECK_EQ(ret, 0) || !CHECK_EQ(id, want))
					break;
				imodel_set(&m, id, nr, true);
				imodel_add_run(&m, id, nr);
			}
			CHECK_EQ(ida.nr_used, m.nr_used);
		}
		while (m.nr_runs) {
			struct run run = m.runs[--m.nr_runs];

			if (run.nr)
				CHECK_EQ(gntv3_ida_free(&ida, run.first, run.nr), 0);
		}
		CHECK_EQ(ida.nr_used, 0);
		CHECK_EQ(gntv3_ida_alloc(&ida, 1 << 14, 14, &id), 0);
		imodel_fini(&m);
	}
	gntv3_ida_destroy(&ida);
}
