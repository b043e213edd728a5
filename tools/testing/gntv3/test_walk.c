// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the grantee side of tree.c: gntv3_pte_validate() and gntv3_walk()
 * over hostile trees (random entries, loops, wrong sizes, reserved bits,
 * out-of-range ids), with and without a walk cursor.  The walk must never
 * crash, read out of bounds, loop, or return a leaf that does not validate;
 * a corrupt tree is -EPROTO (-ELOOP for a loop).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tree.h"

#define ID_LIMIT	(1ULL << GNTV3_ID_BITS)

/* The entry format spelled out field by field, independently of tree.c. */
static int ref_validate(u64 pte, unsigned int level)
{
	bool v = pte & 1, t = pte >> 1 & 1, w = pte >> 2 & 1, r = pte >> 3 & 1;
	bool d = pte >> 4 & 1, b = pte >> 7 & 1;
	unsigned int sz = pte >> 5 & 3, rsv = pte >> 8 & 0xf;
	u64 frame = pte >> 12, n;

	if (level >= 4)
		return -EINVAL;
	if (!pte)
		return -ENOENT;
	if (!v || rsv || (b && frame >= 1ULL << 32))
		return -EINVAL;
	if (t)
		return level == 0 || w || r || d || sz ? -EINVAL : 0;
	if (sz == 3 || sz != level || (d && w))
		return -EINVAL;
	n = 1ULL << (9 * sz);
	if (b)
		return frame > (1ULL << 32) - n ? -EINVAL : 0;
	return frame % n ? -EINVAL : 0;
}

static u64 mk(unsigned int flags_sz, u64 frame)
{
	return flags_sz | GNTV3_PTE_FRAME(frame);
}

TEST(validate_cases)
{
	const u64 V = GNTV3_PTE_VALID, T = GNTV3_PTE_TABLE, W = GNTV3_PTE_WRITE;
	const u64 R = GNTV3_PTE_REVOKED, D = GNTV3_PTE_DOWNGRADE, B = GNTV3_PTE_V1;
	unsigned int l;

	CHECK_EQ(gntv3_pte_validate(0, 0), -ENOENT);
	CHECK_EQ(gntv3_pte_validate(0, 3), -ENOENT);
	CHECK_EQ(gntv3_pte_validate(0, 4), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(V, 4), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(V, ~0U), -EINVAL);
	/* leaves */
	CHECK_EQ(gntv3_pte_validate(V, 0), 0);
	CHECK_EQ(gntv3_pte_validate(mk(V | W, ~0ULL), 0), 0);
	CHECK_EQ(gntv3_pte_validate(mk(V | R | W, 5), 0), 0);
	CHECK_EQ(gntv3_pte_validate(mk(V | D, 5), 0), 0);
	CHECK_EQ(gntv3_pte_validate(mk(V | D | W, 5), 0), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(mk(0, 5), 0), -EINVAL);		/* V clear */
	CHECK_EQ(gntv3_pte_validate(W, 0), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(V | GNTV3_PTE_SIZE(1), 0), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(V, 1), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(V | GNTV3_PTE_SIZE(3), 3), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(V | GNTV3_PTE_SIZE(2), 2), 0);
	for (l = 8; l < 12; l++)
		CHECK_EQ(gntv3_pte_validate(V | 1ULL << l, 0), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(mk(V | B, 0xffffffffULL), 0), 0);
	CHECK_EQ(gntv3_pte_validate(mk(V | B, 1ULL << 32), 0), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(mk(V, 1ULL << 32), 0), 0);
	/* superpage frames */
	CHECK_EQ(gntv3_pte_validate(mk(V | GNTV3_PTE_SIZE(1), 512), 1), 0);
	CHECK_EQ(gntv3_pte_validate(mk(V | GNTV3_PTE_SIZE(1), 513), 1), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(mk(V | GNTV3_PTE_SIZE(1) | B, 513), 1), 0);
	CHECK_EQ(gntv3_pte_validate(mk(V | GNTV3_PTE_SIZE(2), 1ULL << 30), 2), 0);
	CHECK_EQ(gntv3_pte_validate(mk(V | GNTV3_PTE_SIZE(2), (1ULL << 30) + 512), 2), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(mk(V | GNTV3_PTE_SIZE(2) | B,
				       (1ULL << 32) - (1ULL << 18)), 2), 0);
	CHECK_EQ(gntv3_pte_validate(mk(V | GNTV3_PTE_SIZE(2) | B,
				       (1ULL << 32) - (1ULL << 18) + 1), 2), -EINVAL);
	CHECK_EQ(gntv3_pte_validate(mk(V | GNTV3_PTE_SIZE(1) | B, 0xffffffffULL), 1), -EINVAL);
	/* tables */
	CHECK_EQ(gntv3_pte_validate(mk(V | T, 77), 0), -EINVAL);
	for (l = 1; l < 4; l++) {
		CHECK_EQ(gntv3_pte_validate(mk(V | T, 77), l), 0);
		CHECK_EQ(gntv3_pte_validate(mk(V | T | B, 77), l), 0);
		CHECK_EQ(gntv3_pte_validate(mk(V | T | W, 77), l), -EINVAL);
		CHECK_EQ(gntv3_pte_validate(mk(V | T | R, 77), l), -EINVAL);
		CHECK_EQ(gntv3_pte_validate(mk(V | T | D, 77), l), -EINVAL);
		CHECK_EQ(gntv3_pte_validate(mk(V | T | GNTV3_PTE_SIZE(l), 77), l), -EINVAL);
		CHECK_EQ(gntv3_pte_validate(mk(T, 77), l), -EINVAL);
		CHECK_EQ(gntv3_pte_validate(mk(V | T | B, 1ULL << 40), l), -EINVAL);
		CHECK_EQ(gntv3_pte_validate(mk(V | T, 77) | 1ULL << 10, l), -EINVAL);
	}
}

/* Random entries biased towards the interesting corners. */
static u64 rand_pte(void)
{
	u64 pte;

	switch (test_rand_below(5)) {
	case 0:
		return test_rand();
	case 1:
		return test_rand() & 0xfff;
	case 2:	/* plausible fields, each small */
		pte = test_rand() & 0xff;
		if (test_chance(80))
			pte &= ~GNTV3_PTE_RSV_MASK;
		return pte | GNTV3_PTE_FRAME(test_chance(50) ? test_rand_below(1 << 20) :
					     test_rand() >> 12);
	case 3: {	/* a valid leaf with one bit flipped, or not */
		unsigned int sz = test_rand_below(3);

		pte = GNTV3_PTE_VALID | GNTV3_PTE_SIZE(sz) |
		      GNTV3_PTE_FRAME(test_rand_below(1 << 20) << (9 * sz));
		if (test_chance(70))
			pte ^= 1ULL << test_rand_below(64);
		return pte;
	}
	default:
		return 0;
	}
}

TEST(validate_fuzz)
{
	unsigned int i, valid = 0;

	for (i = 0; i < 200000 * test_scale; i++) {
		u64 pte = rand_pte();
		unsigned int level = test_chance(95) ? test_rand_below(4) : test_rand_below(8);
		int want = ref_validate(pte, level);

		if (!CHECK_EQ(gntv3_pte_validate(pte, level), want))
			break;
		valid += !want;
	}
	CHECK(valid > 1000);
}

/* ---- hostile trees ---- */

#define NR_PAGES	6
#define PAGE_BASE	0x4000ULL	/* frames of the pages */

struct hostile {
	__le64 *pages[NR_PAGES];	/* exactly one table each: ASan sees overruns */
	bool v1;
	unsigned int calls, max_calls;
	int bad_level;
	int fail_page;			/* get_table fails for this page, or -1 */
};

static u64 page_ref(struct hostile *h, unsigned int i)
{
	return GNTV3_PTE_FRAME(PAGE_BASE + i) | (h->v1 ? GNTV3_PTE_V1 : 0);
}

static int page_of(struct hostile *h, u64 pte)
{
	u64 frame = GNTV3_PTE_GET_FRAME(pte);

	if (!!(pte & GNTV3_PTE_V1) != h->v1 || frame < PAGE_BASE || frame >= PAGE_BASE + NR_PAGES)
		return -1;
	return frame - PAGE_BASE;
}

static int hostile_get(void *ctx, unsigned int level, u64 table_pte, const __le64 **ptes)
{
	struct hostile *h = ctx;
	int i = page_of(h, table_pte);

	h->calls++;
	/* The walk only asks for validated table entries, one level down each time. */
	if (!(table_pte & GNTV3_PTE_TABLE) || ref_validate(table_pte, 1) ||
	    level >= GNTV3_MAX_LEVELS)
		h->bad_level++;
	if (i < 0 || i == h->fail_page)
		return -EIO;
	*ptes = h->pages[i];
	return 0;
}

/* What the walk must answer, computed the slow way. */
static int ref_walk(struct hostile *h, u64 root, gntv3_id_t id, struct gntv3_walk_result *res)
{
	unsigned int levels = root >> 8 & 0xf, level, n = 0, i;
	u64 e = root & ~0xf00ULL, refs[8];
	int p, r;

	if (!root)
		return -ENOENT;
	if (levels < 1 || levels > 4 || !(e & GNTV3_PTE_TABLE) || ref_validate(e, 1))
		return -EPROTO;
	if (id >= 1ULL << (9 * levels))
		return -ERANGE;
	for (level = levels; e & GNTV3_PTE_TABLE; ) {
		level--;
		for (i = 0; i < n; i++)
			if (refs[i] == (e & (GNTV3_PTE_FRAME_MASK | GNTV3_PTE_V1)))
				return -ELOOP;
		refs[n++] = e & (GNTV3_PTE_FRAME_MASK | GNTV3_PTE_V1);
		p = page_of(h, e);
		if (p < 0 || p == h->fail_page)
			return -EIO;
		e = le64_to_cpu(h->pages[p][(id >> (9 * level)) & 511]);
		r = ref_validate(e, level);
		if (r)
			return r == -EINVAL ? -EPROTO : r;
	}
	res->pte = e;
	res->level = level;
	res->first_id = id >> (9 * level) << (9 * level);
	return 0;
}

static u64 hostile_entry(struct hostile *h)
{
	unsigned int r = test_rand_below(100);
	u64 e;

	if (r < 25)
		return 0;
	if (r < 55) {	/* a table entry to some page, maybe a wrong one */
		e = GNTV3_PTE_VALID | GNTV3_PTE_TABLE | page_ref(h, test_rand_below(NR_PAGES));
		if (test_chance(10))
			e ^= 1ULL << test_rand_below(64);
		if (test_chance(5))
			e = GNTV3_PTE_VALID | GNTV3_PTE_TABLE |
			    GNTV3_PTE_FRAME(test_rand_below(1 << 16));
		return e;
	}
	if (r < 80) {	/* a leaf of any size with random flags */
		unsigned int sz = test_rand_below(4);

		e = GNTV3_PTE_VALID | GNTV3_PTE_SIZE(sz) | (test_rand() & 0x1c) |
		    (h->v1 ? GNTV3_PTE_V1 : 0) |
		    GNTV3_PTE_FRAME(test_rand_below(1ULL << 24) << (test_chance(80) ? 9 * sz : 0));
		return e;
	}
	return rand_pte();
}

static u64 hostile_root(struct hostile *h)
{
	unsigned int levels = test_chance(90) ? 1 + test_rand_below(4) : test_rand_below(16);
	u64 e = GNTV3_PTE_VALID | GNTV3_PTE_TABLE | page_ref(h, test_rand_below(NR_PAGES));

	if (test_chance(10))
		e = hostile_entry(h);
	if (test_chance(3))
		return 0;
	return (e & ~GNTV3_ROOT_LEVELS_MASK) | (u64)levels << GNTV3_ROOT_LEVELS_SHIFT;
}

static gntv3_id_t hostile_id(void)
{
	static const u64 idx[] = { 0, 1, 2, 511 };
	gntv3_id_t id = 0;
	unsigned int l;

	if (test_chance(10))
		return test_chance(50) ? test_rand() : test_rand_below(ID_LIMIT);
	for (l = 0; l < 4; l++)
		id |= idx[test_rand_below(4)] << (9 * l);
	if (test_chance(5))
		id += ID_LIMIT * (1 + test_rand_below(3));
	return id;
}

TEST(walk_hostile_fuzz)
{
	unsigned int round, i, j, found = 0, loops = 0, deep = 0;
	struct hostile h;

	for (i = 0; i < NR_PAGES; i++)
		h.pages[i] = malloc(GNTV3_PTES_PER_TABLE * sizeof(__le64));
	for (round = 0; round < 1500 * test_scale; round++) {
		h.v1 = test_chance(50);
		h.fail_page = test_chance(10) ? (int)test_rand_below(NR_PAGES) : -1;
		for (i = 0; i < NR_PAGES; i++)
			for (j = 0; j < GNTV3_PTES_PER_TABLE; j++)
				h.pages[i][j] = cpu_to_le64(hostile_entry(&h));
		for (i = 0; i < 64; i++) {
			struct gntv3_walk_result res, want_res;
			u64 root = hostile_root(&h);
			gntv3_id_t id = hostile_id();
			int ret, want;

			h.calls = 0;
			h.bad_level = 0;
			memset(&res, 0x5a, sizeof(res));
			ret = gntv3_walk(root, id, hostile_get, &h, NULL, &res);
			want = ref_walk(&h, root, id, &want_res);
			if (!CHECK_EQ(ret, want))
				goto out;
			CHECK(h.calls <= GNTV3_ROOT_GET_LEVELS(root));
			CHECK_EQ(h.bad_level, 0);
			loops += ret == -ELOOP;
			deep += h.calls >= 3;
			if (ret)
				continue;
			found++;
			CHECK_EQ_HEX(res.pte, want_res.pte);
			CHECK_EQ(res.level, want_res.level);
			CHECK_EQ_HEX(res.first_id, want_res.first_id);
			CHECK_EQ(gntv3_pte_validate(res.pte, res.level), 0);
			CHECK(!(res.pte & GNTV3_PTE_TABLE));
			CHECK_EQ(GNTV3_PTE_GET_SIZE(res.pte), res.level);
			CHECK(res.first_id <= id && id - res.first_id < 1ULL << (9 * res.level));
		}
	}
out:
	printf("# walks: %u found, %u loops, %u deep\n", found, loops, deep);
	/* The generator reaches every outcome worth testing. */
	CHECK(found > 300);
	CHECK(loops > 300);
	CHECK(deep > 500);
	for (i = 0; i < NR_PAGES; i++)
		free(h.pages[i]);
}

TEST(walk_cases)
{
	const u64 VT = GNTV3_PTE_VALID | GNTV3_PTE_TABLE;
	struct gntv3_walk_result res;
	struct hostile h = { .fail_page = -1 };
	u64 root;
	int i;

	for (i = 0; i < NR_PAGES; i++)
		h.pages[i] = calloc(GNTV3_PTES_PER_TABLE, sizeof(__le64));

	root = VT | page_ref(&h, 0) | 4ULL << GNTV3_ROOT_LEVELS_SHIFT;
	CHECK_EQ(gntv3_walk(0, 0, hostile_get, &h, NULL, &res), -ENOENT);
	CHECK_EQ(gntv3_walk(root & ~GNTV3_ROOT_LEVELS_MASK, 0, hostile_get, &h, NULL, &res),
		 -EPROTO);
	CHECK_EQ(gntv3_walk(VT | page_ref(&h, 0) | 5ULL << 8, 0, hostile_get, &h, NULL, &res),
		 -EPROTO);
	CHECK_EQ(gntv3_walk(VT | page_ref(&h, 0) | 15ULL << 8, 0, hostile_get, &h, NULL, &res),
		 -EPROTO);
	CHECK_EQ(gntv3_walk(GNTV3_PTE_VALID | page_ref(&h, 0) | 1ULL << 8, 0, hostile_get, &h,
			    NULL, &res), -EPROTO);
	CHECK_EQ(gntv3_walk(root | GNTV3_PTE_WRITE, 0, hostile_get, &h, NULL, &res), -EPROTO);
	CHECK_EQ(gntv3_walk(1ULL << 8, 0, hostile_get, &h, NULL, &res), -EPROTO);
	CHECK_EQ(gntv3_walk(VT | page_ref(&h, 0) | 1ULL << 8, 512, hostile_get, &h, NULL, &res),
		 -ERANGE);
	CHECK_EQ(gntv3_walk(root, ID_LIMIT, hostile_get, &h, NULL, &res), -ERANGE);
	CHECK_EQ(gntv3_walk(root, 0, hostile_get, &h, NULL, &res), -ENOENT);

	/* page 0 -> page 0: a loop */
	h.pages[0][0] = cpu_to_le64(VT | page_ref(&h, 0));
	CHECK_EQ(gntv3_walk(root, 0, hostile_get, &h, NULL, &res), -ELOOP);
	/* page 0 -> 1 -> 0 */
	h.pages[0][0] = cpu_to_le64(VT | page_ref(&h, 1));
	h.pages[1][0] = cpu_to_le64(VT | page_ref(&h, 0));
	CHECK_EQ(gntv3_walk(root, 0, hostile_get, &h, NULL, &res), -ELOOP);
	/* 0 -> 1 -> 2 -> 3 -> a 4K leaf */
	h.pages[1][0] = cpu_to_le64(VT | page_ref(&h, 2));
	h.pages[2][0] = cpu_to_le64(VT | page_ref(&h, 3));
	h.pages[3][5] = cpu_to_le64(GNTV3_PTE_VALID | GNTV3_PTE_FRAME(99));
	CHECK_EQ(gntv3_walk(root, 5, hostile_get, &h, NULL, &res), 0);
	CHECK_EQ_HEX(res.pte, GNTV3_PTE_VALID | GNTV3_PTE_FRAME(99));
	CHECK_EQ(res.level, 0);
	CHECK_EQ(res.first_id, 5);
	CHECK_EQ(gntv3_walk(root, 6, hostile_get, &h, NULL, &res), -ENOENT);
	/* a table entry at level 0 */
	h.pages[3][6] = cpu_to_le64(VT | page_ref(&h, 4));
	CHECK_EQ(gntv3_walk(root, 6, hostile_get, &h, NULL, &res), -EPROTO);
	/* a 2M leaf at level 0 */
	h.pages[3][7] = cpu_to_le64(GNTV3_PTE_VALID | GNTV3_PTE_SIZE(1) | GNTV3_PTE_FRAME(512));
	CHECK_EQ(gntv3_walk(root, 7, hostile_get, &h, NULL, &res), -EPROTO);
	/* 2M leaves at level 1: native needs an aligned frame */
	h.pages[2][1] = cpu_to_le64(GNTV3_PTE_VALID | GNTV3_PTE_SIZE(1) | GNTV3_PTE_FRAME(513));
	CHECK_EQ(gntv3_walk(root, 512 + 3, hostile_get, &h, NULL, &res), -EPROTO);
	h.pages[2][1] = cpu_to_le64(GNTV3_PTE_VALID | GNTV3_PTE_SIZE(1) | GNTV3_PTE_FRAME(1024));
	CHECK_EQ(gntv3_walk(root, 512 + 3, hostile_get, &h, NULL, &res), 0);
	CHECK_EQ(res.level, 1);
	CHECK_EQ(res.first_id, 512);
	/* a 1G leaf at level 2 */
	h.pages[1][2] = cpu_to_le64(GNTV3_PTE_VALID | GNTV3_PTE_SIZE(2) | GNTV3_PTE_WRITE |
				    GNTV3_PTE_FRAME(3ULL << 18));
	CHECK_EQ(gntv3_walk(root, (2ULL << 18) + 777, hostile_get, &h, NULL, &res), 0);
	CHECK_EQ(res.level, 2);
	CHECK_EQ_HEX(res.first_id, 2ULL << 18);
	/* reserved bits */
	h.pages[1][3] = cpu_to_le64(GNTV3_PTE_VALID | GNTV3_PTE_SIZE(2) | 1ULL << 11);
	CHECK_EQ(gntv3_walk(root, 3ULL << 18, hostile_get, &h, NULL, &res), -EPROTO);
	/* get_table errors pass through */
	h.fail_page = 2;
	CHECK_EQ(gntv3_walk(root, 5, hostile_get, &h, NULL, &res), -EIO);
	h.fail_page = -1;
	h.pages[0][0] = cpu_to_le64(VT | GNTV3_PTE_FRAME(12345));
	CHECK_EQ(gntv3_walk(root, 5, hostile_get, &h, NULL, &res), -EIO);

	for (i = 0; i < NR_PAGES; i++)
		free(h.pages[i]);
}

/*
 * A tree that is mostly sane, so that most walks find a 4K leaf: page 0 is
 * the root, page 1 the level-1 table of a 3-level tree, the other pages
 * level-0 tables; one entry in ten is hostile.
 */
static u64 sane_tree(struct hostile *h)
{
	const u64 VT = GNTV3_PTE_VALID | GNTV3_PTE_TABLE;
	unsigned int levels = 2 + test_rand_below(2), i, j;
	unsigned int top = levels == 3 ? 1 : 0;

	for (i = 0; i < NR_PAGES; i++) {
		for (j = 0; j < GNTV3_PTES_PER_TABLE; j++) {
			u64 e;

			if (test_chance(10))
				e = hostile_entry(h);
			else if (i == 0 && levels == 3)
				e = j < 2 ? VT | page_ref(h, 1) : 0;
			else if (i == top)
				e = VT | page_ref(h, 2 + j % (NR_PAGES - 2));
			else
				e = GNTV3_PTE_VALID | (test_rand() & 0x1c) |
				    (h->v1 ? GNTV3_PTE_V1 : 0) |
				    GNTV3_PTE_FRAME(test_rand_below(1 << 20));
			h->pages[i][j] = cpu_to_le64(e);
		}
	}
	return VT | page_ref(h, 0) | (u64)levels << GNTV3_ROOT_LEVELS_SHIFT;
}

/*
 * Batches of ids walked with a cursor, as the backend does: mostly runs of
 * consecutive ids, some jumps, and between two ids the peer rewrites entries
 * of the level-0 table the cursor names.  Each answer must be what a full
 * walk from the root gives; a cursor hit must not ask for any table.
 */
TEST(walk_cursor_fuzz)
{
	unsigned int round, i, k, hits = 0, found = 0, rewrites = 0;
	struct hostile h;

	for (i = 0; i < NR_PAGES; i++)
		h.pages[i] = malloc(GNTV3_PTES_PER_TABLE * sizeof(__le64));
	for (round = 0; round < 1500 * test_scale; round++) {
		struct gntv3_walk_cursor cur = {};
		u64 root;
		gntv3_id_t id;

		h.v1 = test_chance(50);
		h.fail_page = test_chance(5) ? (int)test_rand_below(NR_PAGES) : -1;
		root = sane_tree(&h);
		id = test_rand_below(1 << 18);
		for (k = 0; k < 64; k++) {
			struct gntv3_walk_result res, want_res;
			bool covered = cur.ptes && cur.root == root &&
				       !((cur.id ^ id) >> GNTV3_LEVEL_BITS);
			int ret, want;

			if (cur.ptes && test_chance(30)) {
				__le64 *ptes = (__le64 *)cur.ptes;

				ptes[test_rand_below(GNTV3_PTES_PER_TABLE)] =
					cpu_to_le64(hostile_entry(&h));
				rewrites++;
			}
			h.calls = 0;
			h.bad_level = 0;
			memset(&res, 0x5a, sizeof(res));
			ret = gntv3_walk(root, id, hostile_get, &h, &cur, &res);
			want = ref_walk(&h, root, id, &want_res);
			if (!CHECK_EQ(ret, want))
				goto out;
			CHECK_EQ(h.bad_level, 0);
			if (covered) {
				CHECK_EQ(h.calls, 0);
				hits++;
			}
			if (!ret) {
				found++;
				CHECK_EQ_HEX(res.pte, want_res.pte);
				CHECK_EQ(res.level, want_res.level);
				CHECK_EQ_HEX(res.first_id, want_res.first_id);
			}
			/* a full walk leaves a cursor only after a 4K leaf */
			if (!covered && cur.ptes)
				CHECK(!ret && !res.level && cur.root == root &&
				      cur.id == id);
			/* now and then another root: the cursor must not outlive it */
			switch (test_rand_below(20)) {
			case 0:
				id = hostile_id();
				break;
			case 1:
				root = hostile_root(&h);
				break;
			case 2:
				id = test_rand_below(1 << 18);
				break;
			default:
				id++;
			}
		}
	}
out:
	printf("# cursor walks: %u hits, %u found, %u rewrites\n", hits, found, rewrites);
	CHECK(hits > 1000);
	CHECK(found > 1000);
	for (i = 0; i < NR_PAGES; i++)
		free(h.pages[i]);
}
