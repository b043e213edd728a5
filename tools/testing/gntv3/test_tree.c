// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the granter side of tree.c: install, lookup, update, remove,
 * growth and shrinking, table accounting, publish ordering, failure
 * injection and random operations against a reference model.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "shim.h"
#include "fake_table.h"
#include "tree.h"

#define ID_LIMIT	(1ULL << GNTV3_ID_BITS)
#define PV(n)		((void *)(uintptr_t)(n))

/* ---- reference model: the leaves, in a plain array ---- */

struct mleaf {
	gntv3_id_t id;
	unsigned int size;
	u64 pte;
	void *priv;
};

struct model {
	struct mleaf *v;
	size_t n, cap;
	gntv3_id_t removing;	/* leaf being removed right now, or GNTV3_INVALID_ID */
};

static u64 span(unsigned int size)
{
	return 1ULL << GNTV3_SIZE_ORDER(size);
}

static struct mleaf *model_covering(struct model *m, gntv3_id_t id)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (id >= m->v[i].id && id - m->v[i].id < span(m->v[i].size))
			return &m->v[i];
	return NULL;
}

static bool model_overlaps(struct model *m, gntv3_id_t id, unsigned int size)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (id < m->v[i].id + span(m->v[i].size) && m->v[i].id < id + span(size))
			return true;
	return false;
}

static void model_add(struct model *m, gntv3_id_t id, unsigned int size, u64 pte, void *priv)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		if (!m->v)
			abort();
	}
	m->v[m->n++] = (struct mleaf){ id, size, pte, priv };
}

static void model_del(struct model *m, struct mleaf *l)
{
	*l = m->v[--m->n];
}

static unsigned int id_levels(gntv3_id_t id)
{
	unsigned int l = 1;

	while (id >> (GNTV3_LEVEL_BITS * l))
		l++;
	return l;
}

/* ---- helpers ---- */

struct env {
	struct fake_prov prov;
	struct gntv3_tree tree;
	struct model model;
};

static void env_init(struct env *e, bool v1)
{
	memset(e, 0, sizeof(*e));
	fake_init(&e->prov, v1);
	gntv3_tree_init(&e->tree, &fake_ops, &e->prov);
	e->model.removing = GNTV3_INVALID_ID;
}

static int remove_id(struct env *e, gntv3_id_t id);

/* Remove whatever is left, then check nothing leaked. */
static void env_fini(struct env *e)
{
	while (e->model.n) {
		struct mleaf *l = &e->model.v[test_rand_below(e->model.n)];

		/* remove_id() drops the leaf from the model only on success */
		if (!CHECK_EQ(remove_id(e, l->id), 0))
			model_del(&e->model, l);
	}
	CHECK_EQ(gntv3_tree_fini(&e->tree), 0);
	CHECK_EQ_HEX(e->prov.root, 0);
	CHECK_EQ(e->tree.nr_tables, 0);
	CHECK_EQ(e->tree.nr_slot_arrays, 0);
	CHECK_EQ(e->prov.nr_alloc, e->prov.nr_free);
	CHECK_EQ(fake_fini(&e->prov), 0);
	CHECK_EQ(e->prov.order_errors, 0);
	free(e->model.v);
}

static u64 leaf_pte(struct env *e, unsigned int size, bool write)
{
	u64 order = GNTV3_SIZE_ORDER(size);
	u64 frame;

	if (e->prov.v1)
		frame = test_rand_below((1ULL << 32) - span(size) + 1);
	else
		frame = (test_rand() & ((1ULL << 52) - 1)) >> order << order;
	return GNTV3_PTE_VALID | GNTV3_PTE_SIZE(size) | GNTV3_PTE_FRAME(frame) |
	       (e->prov.v1 ? GNTV3_PTE_V1 : 0) | (write ? GNTV3_PTE_WRITE : 0);
}

/*
 * The tests describe leaves as whole entries, which the model compares with
 * what the grantee reads.  These adapters call the flags-and-frame API of
 * tree.c with what such an entry says; an entry that no frame word and
 * flags can express gets flags the tree must refuse (-EINVAL).
 */
#define BAD_FLAGS	(1U << 31)
#define FRAME_WORD	(GNTV3_PTE_FRAME_MASK | GNTV3_PTE_V1)

static int install_pte(struct gntv3_tree *t, gntv3_id_t id, unsigned int size,
		       u64 pte, void *priv)
{
	unsigned int flags = pte & GNTV3_PTE_WRITE ? GNTV3_TREE_RW : GNTV3_TREE_RO;

	if ((pte & ~FRAME_WORD & ~GNTV3_PTE_WRITE) !=
	    (GNTV3_PTE_VALID | GNTV3_PTE_SIZE(size)))
		flags |= BAD_FLAGS;
	return gntv3_tree_install(t, id, size, pte & FRAME_WORD, flags, priv);
}

static unsigned int pte_flags(u64 bits)
{
	return (bits & GNTV3_PTE_WRITE ? GNTV3_TREE_RW : 0) |
	       (bits & GNTV3_PTE_REVOKED ? GNTV3_TREE_REVOKED : 0) |
	       (bits & GNTV3_PTE_DOWNGRADE ? GNTV3_TREE_DOWNGRADE : 0) |
	       (bits & ~(u64)(GNTV3_PTE_WRITE | GNTV3_PTE_REVOKED |
			      GNTV3_PTE_DOWNGRADE) ? BAD_FLAGS : 0);
}

static int update_pte(struct gntv3_tree *t, gntv3_id_t id, u64 set, u64 clear)
{
	return gntv3_tree_update(t, id, pte_flags(set), pte_flags(clear));
}

static int install(struct env *e, gntv3_id_t id, unsigned int size, void *priv)
{
	u64 pte = leaf_pte(e, size, test_chance(50));
	int ret = install_pte(&e->tree, id, size, pte, priv);

	if (!ret)
		model_add(&e->model, id, size, pte, priv);
	return ret;
}

static int remove_id(struct env *e, gntv3_id_t id)
{
	struct mleaf *l = model_covering(&e->model, id);
	struct gntv3_leaf leaf;
	int ret;

	e->model.removing = id;
	ret = gntv3_tree_remove(&e->tree, id, &leaf);
	e->model.removing = GNTV3_INVALID_ID;
	if (!ret && CHECK(l && l->id == id)) {
		CHECK_EQ_HEX(leaf.pte, l->pte);
		CHECK_EQ_HEX(leaf.first_id, l->id);
		CHECK_EQ(leaf.size, l->size);
		CHECK(leaf.priv == l->priv);
		model_del(&e->model, l);
	}
	return ret;
}

/* The grantee's view of one model leaf through the published root. */
static void check_leaf_visible(struct env *e, const struct mleaf *l, gntv3_id_t id)
{
	struct gntv3_walk_result res;

	if (!CHECK_EQ(gntv3_walk(e->prov.root, id, fake_get_table, &e->prov, NULL, &res), 0))
		return;
	CHECK_EQ_HEX(res.pte, l->pte);
	CHECK_EQ(res.level, l->size);
	CHECK_EQ_HEX(res.first_id, l->id);
}

static void check_lookup(struct env *e, gntv3_id_t id)
{
	struct mleaf *l = model_covering(&e->model, id);
	struct gntv3_leaf leaf;
	int ret = gntv3_tree_lookup(&e->tree, id, &leaf);

	if (!l) {
		struct gntv3_walk_result res;
		int w = gntv3_walk(e->prov.root, id, fake_get_table, &e->prov, NULL, &res);

		CHECK_EQ(ret, -ENOENT);
		CHECK(w == -ENOENT || w == -ERANGE);
		return;
	}
	if (!CHECK_EQ(ret, 0))
		return;
	CHECK_EQ_HEX(leaf.pte, l->pte);
	CHECK_EQ_HEX(leaf.first_id, l->id);
	CHECK_EQ(leaf.size, l->size);
	CHECK(leaf.priv == l->priv);
	check_leaf_visible(e, l, id);
}

/* Count tables and leaves reachable from a table; every table is non-empty. */
static void count_reachable(struct env *e, u64 pte, unsigned int level,
			    unsigned long *tables, unsigned long *leaves)
{
	struct fake_page *pg = fake_page_of(&e->prov, pte);
	unsigned int i, used = 0;

	if (!CHECK(pg))
		return;
	++*tables;
	for (i = 0; i < GNTV3_PTES_PER_TABLE; i++) {
		u64 x = le64_to_cpu(pg->ptes[i]);

		if (!x)
			continue;
		used++;
		CHECK_EQ(gntv3_pte_validate(x, level), 0);
		if (x & GNTV3_PTE_TABLE)
			count_reachable(e, x, level - 1, tables, leaves);
		else
			++*leaves;
	}
	CHECK(used > 0);
}

/* Whole-tree invariants against the model. */
/* The model's leaf of the lowest first id at or above @id, or NULL. */
static struct mleaf *model_next(struct model *m, gntv3_id_t id)
{
	struct mleaf *best = NULL;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].id >= id && (!best || m->v[i].id < best->id))
			best = &m->v[i];
	return best;
}

/* gntv3_tree_next() visits the model's leaves in id order, from anywhere. */
static void check_next(struct env *e)
{
	struct gntv3_leaf leaf;
	struct mleaf *l;
	gntv3_id_t id = 0, from;
	size_t seen = 0;

	while (!gntv3_tree_next(&e->tree, id, &leaf)) {
		l = model_next(&e->model, id);
		if (!CHECK(l) || !CHECK_EQ_HEX(leaf.first_id, l->id))
			return;
		CHECK_EQ_HEX(leaf.pte, l->pte);
		CHECK_EQ(leaf.size, l->size);
		CHECK(leaf.priv == l->priv);
		id = leaf.first_id + span(leaf.size);
		seen++;
	}
	CHECK_EQ(seen, e->model.n);
	/* from a random id (inside a superpage, say) */
	from = e->model.n ? e->model.v[test_rand_below(e->model.n)].id +
			    test_rand_below(3) : test_rand_below(1ULL << 20);
	l = model_next(&e->model, from);
	if (l) {
		if (CHECK_EQ(gntv3_tree_next(&e->tree, from, &leaf), 0))
			CHECK_EQ_HEX(leaf.first_id, l->id);
	} else {
		CHECK_EQ(gntv3_tree_next(&e->tree, from, &leaf), -ENOENT);
	}
}

static void check_tree(struct env *e)
{
	unsigned long tables = 0, leaves = 0;
	unsigned int levels = 0;
	size_t i;

	CHECK_EQ_HEX(e->prov.root, gntv3_tree_root(&e->tree));
	CHECK_EQ(e->tree.nr_leaves, e->model.n);
	CHECK_EQ(e->tree.nr_tables, e->prov.nr_live);
	for (i = 0; i < e->model.n; i++) {
		const struct mleaf *l = &e->model.v[i];
		unsigned int need = id_levels(l->id);

		if (need < l->size + 1)
			need = l->size + 1;
		if (need > levels)
			levels = need;
		check_lookup(e, l->id);
		check_lookup(e, l->id + span(l->size) - 1);
	}
	/* The tree is exactly as deep as its leaves need. */
	CHECK_EQ(e->tree.levels, levels);
	CHECK_EQ(GNTV3_ROOT_GET_LEVELS(e->prov.root), levels);
	if (e->prov.root)
		count_reachable(e, GNTV3_ROOT_ENTRY(e->prov.root), levels - 1, &tables, &leaves);
	/* No table is kept empty or unreachable. */
	CHECK_EQ(tables, e->prov.nr_live);
	CHECK_EQ(leaves, e->model.n);
	check_next(e);
}

/* Ordering hook: every committed leaf stays visible at every barrier. */
static void visible_cb(struct fake_prov *p, void *arg)
{
	struct env *e = arg;
	size_t i;

	(void)p;
	for (i = 0; i < e->model.n; i++)
		if (e->model.v[i].id != e->model.removing)
			check_leaf_visible(e, &e->model.v[i], e->model.v[i].id);
}

static void track_order(struct env *e)
{
	fake_track_order(&e->prov);
	e->prov.visible_cb = visible_cb;
	e->prov.visible_arg = e;
}

/* ---- tests ---- */

TEST(tree_empty)
{
	struct env e;
	struct gntv3_leaf leaf;

	env_init(&e, false);
	CHECK_EQ_HEX(gntv3_tree_root(&e.tree), 0);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 0, &leaf), -ENOENT);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, ID_LIMIT - 1, &leaf), -ENOENT);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, ID_LIMIT, &leaf), -ENOENT);
	CHECK_EQ(gntv3_tree_remove(&e.tree, 0, &leaf), -ENOENT);
	CHECK_EQ(update_pte(&e.tree, 0, GNTV3_PTE_REVOKED, 0), -ENOENT);
	CHECK_EQ(e.prov.nr_publish, 0);
	env_fini(&e);
	CHECK_EQ(e.prov.nr_publish, 1);
	CHECK_EQ(e.prov.nr_alloc, 0);
}

TEST(tree_install_4k_one_level)
{
	struct env e;
	u64 root;

	env_init(&e, false);
	track_order(&e);
	CHECK_EQ(install(&e, 0, GNTV3_SIZE_4K, PV(1)), 0);
	root = gntv3_tree_root(&e.tree);
	CHECK_EQ(GNTV3_ROOT_GET_LEVELS(root), 1);
	CHECK_EQ_HEX(GNTV3_ROOT_ENTRY(root) & ~GNTV3_PTE_FRAME_MASK,
		     GNTV3_PTE_VALID | GNTV3_PTE_TABLE);
	CHECK_EQ(e.tree.nr_tables, 1);
	CHECK_EQ(e.prov.nr_publish, 1);
	CHECK_EQ(install(&e, 511, GNTV3_SIZE_4K, PV(2)), 0);
	CHECK_EQ(e.tree.nr_tables, 1);
	CHECK_EQ(e.prov.nr_publish, 1);
	check_tree(&e);
	check_lookup(&e, 1);
	check_lookup(&e, 510);
	CHECK_EQ(remove_id(&e, 0), 0);
	CHECK_EQ(e.tree.nr_tables, 1);
	CHECK_EQ(remove_id(&e, 511), 0);
	CHECK_EQ(e.tree.nr_tables, 0);
	CHECK_EQ(e.tree.levels, 0);
	CHECK_EQ_HEX(e.prov.root, 0);
	CHECK_EQ(e.prov.nr_publish, 2);
	env_fini(&e);
}

/*
 * The hot table (tree.c): 4 KiB leaves in the level-0 table of the last
 * one skip the walk, and must still be refused where the walk would
 * refuse them, and never reach a table that was freed.
 */
TEST(tree_install_4k_hot_table)
{
	struct env e;

	env_init(&e, true);
	track_order(&e);
	CHECK_EQ(install(&e, 5, GNTV3_SIZE_4K, PV(1)), 0);
	CHECK(e.tree.hot);
	CHECK_EQ(install(&e, 6, GNTV3_SIZE_4K, PV(2)), 0);
	CHECK_EQ(install(&e, 6, GNTV3_SIZE_4K, PV(3)), -EEXIST);
	/* bad entries are refused before the hot table is looked at */
	CHECK_EQ(install_pte(&e.tree, 7, GNTV3_SIZE_4K,
			     leaf_pte(&e, GNTV3_SIZE_4K, true) | GNTV3_PTE_REVOKED,
			     PV(3)), -EINVAL);
	CHECK_EQ(install_pte(&e.tree, 7, GNTV3_SIZE_4K,
			     GNTV3_PTE_VALID | GNTV3_PTE_V1 | GNTV3_PTE_FRAME_MASK,
			     PV(3)), -EINVAL);
	CHECK_EQ(remove_id(&e, 7), -ENOENT);
	/* a superpage elsewhere, then 4 KiB leaves beside it and in it */
	CHECK_EQ(install(&e, 1024, GNTV3_SIZE_2M, PV(4)), 0);
	CHECK_EQ(install(&e, 1024 + 3, GNTV3_SIZE_4K, PV(5)), -EEXIST);
	CHECK_EQ(install(&e, 8, GNTV3_SIZE_4K, PV(6)), 0);
	check_tree(&e);
	/* the hot table freed with its last leaf: the next 4 KiB leaf walks */
	CHECK_EQ(remove_id(&e, 5), 0);
	CHECK_EQ(remove_id(&e, 6), 0);
	CHECK_EQ(remove_id(&e, 8), 0);
	CHECK(!e.tree.hot);
	CHECK_EQ(install(&e, 9, GNTV3_SIZE_4K, PV(7)), 0);
	CHECK_EQ(e.tree.nr_tables, 2);
	check_tree(&e);
	check_lookup(&e, 9);
	env_fini(&e);
}

TEST(tree_growth_all_levels)
{
	static const gntv3_id_t ids[] = {
		0, 512, 512ULL * 512, 512ULL * 512 * 512, ID_LIMIT - 1,
	};
	static const unsigned int want_levels[] = { 1, 2, 3, 4, 4 };
	static const unsigned long want_tables[] = { 1, 3, 6, 10, 13 };
	unsigned int i;
	struct env e;

	for (int v1 = 0; v1 < 2; v1++) {
		env_init(&e, v1);
		track_order(&e);
		for (i = 0; i < 5; i++) {
			CHECK_EQ(install(&e, ids[i], GNTV3_SIZE_4K, PV(i + 1)), 0);
			CHECK_EQ(e.tree.levels, want_levels[i]);
			CHECK_EQ(e.tree.nr_tables, want_tables[i]);
			check_tree(&e);
			fake_check_point(&e.prov);
		}
		CHECK_EQ(e.prov.nr_publish, 4);
		/* Remove from the top: the tree shrinks back level by level. */
		for (i = 5; i-- > 1; ) {
			CHECK_EQ(remove_id(&e, ids[i]), 0);
			CHECK_EQ(e.tree.levels, want_levels[i - 1]);
			CHECK_EQ(e.tree.nr_tables, want_tables[i - 1]);
			check_tree(&e);
			fake_check_point(&e.prov);
		}
		CHECK(GNTV3_ROOT_GET_LEVELS(e.prov.root) == 1);
		env_fini(&e);
	}
}

TEST(tree_growth_direct)
{
	struct env e;

	env_init(&e, false);
	track_order(&e);
	/* Empty to four levels in one install: four new tables. */
	CHECK_EQ(install(&e, ID_LIMIT - 1, GNTV3_SIZE_4K, NULL), 0);
	CHECK_EQ(e.tree.levels, 4);
	CHECK_EQ(e.tree.nr_tables, 4);
	CHECK_EQ(e.prov.nr_publish, 1);
	check_tree(&e);
	/* One level to four with the path below the new top: 3 + 3 tables. */
	CHECK_EQ(remove_id(&e, ID_LIMIT - 1), 0);
	CHECK_EQ(e.tree.nr_tables, 0);
	CHECK_EQ(install(&e, 7, GNTV3_SIZE_4K, NULL), 0);
	CHECK_EQ(install(&e, ID_LIMIT - 512, GNTV3_SIZE_4K, NULL), 0);
	CHECK_EQ(e.tree.levels, 4);
	CHECK_EQ(e.tree.nr_tables, 7);
	check_tree(&e);
	/* The shallow leaf goes: the deep path stays, so no shrink. */
	CHECK_EQ(remove_id(&e, 7), 0);
	CHECK_EQ(e.tree.levels, 4);
	CHECK_EQ(e.tree.nr_tables, 4);
	check_tree(&e);
	env_fini(&e);
}

TEST(tree_superpages)
{
	struct env e;
	struct gntv3_leaf leaf;

	env_init(&e, false);
	track_order(&e);
	CHECK_EQ(install(&e, 512, GNTV3_SIZE_2M, PV(2)), 0);
	CHECK_EQ(e.tree.levels, 2);
	CHECK_EQ(e.tree.nr_tables, 1);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 512 + 300, &leaf), 0);
	CHECK_EQ_HEX(leaf.first_id, 512);
	CHECK_EQ(leaf.size, GNTV3_SIZE_2M);
	CHECK(leaf.priv == PV(2));
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 511, &leaf), -ENOENT);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 1024, &leaf), -ENOENT);

	CHECK_EQ(install(&e, 1ULL << 18, GNTV3_SIZE_1G, PV(3)), 0);
	CHECK_EQ(e.tree.levels, 3);
	CHECK_EQ(e.tree.nr_tables, 2);
	CHECK_EQ(install(&e, 0, GNTV3_SIZE_4K, PV(4)), 0);
	CHECK_EQ(e.tree.nr_tables, 3);
	CHECK_EQ(install(&e, 3ULL << 27, GNTV3_SIZE_1G, PV(5)), 0);
	CHECK_EQ(e.tree.levels, 4);
	check_tree(&e);
	check_lookup(&e, (1ULL << 18) + 12345);
	check_lookup(&e, (2ULL << 18) - 1);
	check_lookup(&e, 2ULL << 18);

	CHECK_EQ(remove_id(&e, 3ULL << 27), 0);
	CHECK_EQ(e.tree.levels, 3);
	CHECK_EQ(remove_id(&e, 1ULL << 18), 0);
	CHECK_EQ(e.tree.levels, 2);
	CHECK_EQ(remove_id(&e, 512), 0);
	CHECK_EQ(e.tree.levels, 1);
	CHECK_EQ(e.tree.nr_tables, 1);
	check_tree(&e);
	env_fini(&e);

	/* A superpage at id 0 of an empty tree sits in a single root table. */
	env_init(&e, true);
	CHECK_EQ(install(&e, 0, GNTV3_SIZE_1G, NULL), 0);
	CHECK_EQ(e.tree.levels, 3);
	CHECK_EQ(e.tree.nr_tables, 1);
	check_tree(&e);
	env_fini(&e);
}

/*
 * A table gets its array of per-entry pointers at its second entry and
 * keeps it; a table that only ever held one entry has none.
 */
TEST(tree_slot_arrays)
{
	struct gntv3_leaf leaf;
	struct env e;
	long live;
	int i;

	env_init(&e, false);
	CHECK_EQ(install(&e, 512, GNTV3_SIZE_2M, PV(1)), 0);
	CHECK_EQ(e.tree.nr_tables, 1);
	CHECK_EQ(e.tree.nr_slot_arrays, 0);
	/*
	 * a second level-0 path under the root: the root needs its array,
	 * the third failure point (after the new table's node and page)
	 */
	live = shim_live_allocs;
	shim_fail_nth(3);
	CHECK_EQ(install(&e, 0, GNTV3_SIZE_4K, PV(2)), -ENOMEM);
	shim_fail_nth(0);
	CHECK_EQ(shim_live_allocs, live);
	CHECK_EQ(e.tree.nr_slot_arrays, 0);
	CHECK_EQ(install(&e, 0, GNTV3_SIZE_4K, PV(2)), 0);
	CHECK_EQ(e.tree.nr_tables, 2);
	CHECK_EQ(e.tree.nr_slot_arrays, 1);
	for (i = 1; i < 512; i++)
		CHECK_EQ(install(&e, i, GNTV3_SIZE_4K, PV(i + 2)), 0);
	CHECK_EQ(e.tree.nr_slot_arrays, 2);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 511, &leaf), 0);
	CHECK(leaf.priv == PV(513));
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 600, &leaf), 0);
	CHECK(leaf.priv == PV(1));
	check_tree(&e);
	/* down to one entry again: the arrays stay until their table goes */
	for (i = 1; i < 512; i++)
		CHECK_EQ(remove_id(&e, i), 0);
	CHECK_EQ(e.tree.nr_slot_arrays, 2);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 0, &leaf), 0);
	CHECK(leaf.priv == PV(2));
	CHECK_EQ(remove_id(&e, 0), 0);
	CHECK_EQ(e.tree.nr_tables, 1);
	CHECK_EQ(e.tree.nr_slot_arrays, 1);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 512, &leaf), 0);
	CHECK(leaf.priv == PV(1));
	check_tree(&e);
	env_fini(&e);
}

TEST(tree_install_errors)
{
	const u64 v = GNTV3_PTE_VALID, f = GNTV3_PTE_FRAME(0x1234000);
	const u64 ok4k = v | f | GNTV3_PTE_SIZE(0);
	const u64 ok2m = v | f | GNTV3_PTE_SIZE(1);
	const u64 ok1g = v | GNTV3_PTE_FRAME(1ULL << 18) | GNTV3_PTE_SIZE(2);
	struct gntv3_tree *t;
	struct env e;
	u64 root;

	env_init(&e, false);
	t = &e.tree;
	/* -EINVAL: size and entry */
	CHECK_EQ(install_pte(t, 0, 3, v | f | GNTV3_PTE_SIZE(3), NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 0, 0, f, NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 0, 0, 0, NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 0, 0, ok4k | GNTV3_PTE_TABLE, NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 0, 0, ok4k | GNTV3_PTE_REVOKED, NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 0, 0, ok4k | GNTV3_PTE_DOWNGRADE, NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 0, 0, ok2m, NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 0, 1, ok4k, NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 0, 0, ok4k | (1ULL << 9), NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 0, 0, ok4k | GNTV3_PTE_V1 |
				    GNTV3_PTE_FRAME(1ULL << 32), NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 0, 1, v | GNTV3_PTE_SIZE(1) |
				    GNTV3_PTE_FRAME(0x1234001), NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 0, 2, v | GNTV3_PTE_SIZE(2) | GNTV3_PTE_V1 |
				    GNTV3_PTE_FRAME(0xffffffffULL - 1000), NULL), -EINVAL);
	/* -EINVAL: misaligned ids */
	CHECK_EQ(install_pte(t, 1, 1, ok2m, NULL), -EINVAL);
	CHECK_EQ(install_pte(t, 512, 2, ok1g, NULL), -EINVAL);
	CHECK_EQ(install_pte(t, (1ULL << 18) + 512, 2, ok1g, NULL), -EINVAL);
	/* -ERANGE */
	CHECK_EQ(install_pte(t, ID_LIMIT, 0, ok4k, NULL), -ERANGE);
	CHECK_EQ(install_pte(t, ID_LIMIT, 2, ok1g, NULL), -ERANGE);
	CHECK_EQ(install_pte(t, ~0ULL, 0, ok4k, NULL), -ERANGE);
	CHECK_EQ(e.prov.nr_alloc, 0);

	/* -EEXIST */
	CHECK_EQ(install_pte(t, 5, 0, ok4k, NULL), 0);
	model_add(&e.model, 5, 0, ok4k, NULL);
	root = e.prov.root;
	CHECK_EQ(install_pte(t, 5, 0, ok4k, NULL), -EEXIST);
	CHECK_EQ(install_pte(t, 0, 1, ok2m, NULL), -EEXIST);  /* over the root */
	CHECK_EQ(install_pte(t, 0, 2, ok1g, NULL), -EEXIST);
	CHECK_EQ(e.tree.nr_tables, 1);
	CHECK_EQ_HEX(e.prov.root, root);
	CHECK_EQ(install_pte(t, 1024, 1, ok2m, NULL), 0);
	model_add(&e.model, 1024, 1, ok2m, NULL);
	CHECK_EQ(install_pte(t, 1024, 1, ok2m, NULL), -EEXIST);
	CHECK_EQ(install_pte(t, 1024 + 7, 0, ok4k, NULL), -EEXIST); /* under a 2M */
	CHECK_EQ(install_pte(t, 0, 1, ok2m, NULL), -EEXIST);  /* over a table */
	CHECK_EQ(install_pte(t, 0, 2, ok1g, NULL), -EEXIST);
	CHECK_EQ(install_pte(t, 1ULL << 18, 2, ok1g, NULL), 0);
	model_add(&e.model, 1ULL << 18, 2, ok1g, NULL);
	CHECK_EQ(install_pte(t, (1ULL << 18) + 512, 1, ok2m, NULL), -EEXIST);
	CHECK_EQ(install_pte(t, (2ULL << 18) - 1, 0, ok4k, NULL), -EEXIST);
	check_tree(&e);
	env_fini(&e);
}

TEST(tree_update)
{
	const u64 sp = GNTV3_PTE_VALID | GNTV3_PTE_SIZE(1) | GNTV3_PTE_FRAME(512 * 9);
	struct gntv3_tree *t;
	struct gntv3_leaf leaf;
	struct env e;

	env_init(&e, false);
	t = &e.tree;
	CHECK_EQ(install_pte(t, 1536, 1, sp | GNTV3_PTE_WRITE, PV(7)), 0);
	model_add(&e.model, 1536, 1, sp | GNTV3_PTE_WRITE, PV(7));

	/* Downgrade: D set and W cleared in one store. */
	CHECK_EQ(update_pte(t, 1536, GNTV3_PTE_DOWNGRADE, GNTV3_PTE_WRITE), 0);
	e.model.v[0].pte = sp | GNTV3_PTE_DOWNGRADE;
	check_tree(&e);
	/* W back while D is set is refused. */
	CHECK_EQ(update_pte(t, 1536, GNTV3_PTE_WRITE, 0), -EINVAL);
	CHECK_EQ(update_pte(t, 1536, GNTV3_PTE_REVOKED, GNTV3_PTE_DOWNGRADE), 0);
	e.model.v[0].pte = sp | GNTV3_PTE_REVOKED;
	check_tree(&e);
	CHECK_EQ(update_pte(t, 1536, GNTV3_PTE_WRITE, GNTV3_PTE_REVOKED), 0);
	e.model.v[0].pte = sp | GNTV3_PTE_WRITE;
	check_tree(&e);
	CHECK_EQ(update_pte(t, 1536, 0, 0), 0);

	CHECK_EQ(update_pte(t, 1536, GNTV3_PTE_TABLE, 0), -EINVAL);
	CHECK_EQ(update_pte(t, 1536, 0, GNTV3_PTE_VALID), -EINVAL);
	CHECK_EQ(update_pte(t, 1536, GNTV3_PTE_FRAME(1), 0), -EINVAL);
	CHECK_EQ(update_pte(t, 1536, GNTV3_PTE_SIZE(2), 0), -EINVAL);
	CHECK_EQ(update_pte(t, 1536, GNTV3_PTE_V1, 0), -EINVAL);
	CHECK_EQ(update_pte(t, 1536, GNTV3_PTE_REVOKED, GNTV3_PTE_REVOKED), -EINVAL);
	CHECK_EQ(update_pte(t, 1537, GNTV3_PTE_REVOKED, 0), -EINVAL);
	CHECK_EQ(update_pte(t, 2047, GNTV3_PTE_REVOKED, 0), -EINVAL);
	CHECK_EQ(update_pte(t, 2048, GNTV3_PTE_REVOKED, 0), -ENOENT);
	CHECK_EQ(update_pte(t, 0, GNTV3_PTE_REVOKED, 0), -ENOENT);
	CHECK_EQ(update_pte(t, ID_LIMIT, GNTV3_PTE_REVOKED, 0), -ENOENT);
	check_tree(&e);

	/* remove: same first-id rule */
	CHECK_EQ(gntv3_tree_remove(t, 1537, &leaf), -EINVAL);
	CHECK_EQ(gntv3_tree_remove(t, 1024, &leaf), -ENOENT);
	CHECK_EQ(gntv3_tree_remove(t, ID_LIMIT + 1536, &leaf), -ENOENT);
	CHECK_EQ(gntv3_tree_fini(t), -EBUSY);
	CHECK_EQ(e.tree.nr_tables, 1);
	check_tree(&e);
	env_fini(&e);
}

/* Random operations, ids drawn from @id_space so conflicts are frequent. */
static void random_ops(bool v1, u64 id_space, unsigned int nr_ops, bool ordered)
{
	unsigned long installed = 0;
	struct env e;
	unsigned int i;

	env_init(&e, v1);
	if (ordered)
		track_order(&e);
	for (i = 0; i < nr_ops; i++) {
		unsigned int op = test_rand_below(100);
		unsigned int size = test_chance(75) ? 0 : test_chance(70) ? 1 : 2;
		gntv3_id_t id = test_rand_below(id_space);
		struct mleaf *l;
		int ret, want;

		if (test_chance(90))
			id &= ~(span(size) - 1);
		if (test_chance(2))
			id = ID_LIMIT + test_rand_below(1000);

		if (op < 45) {
			if (id >= ID_LIMIT)
				want = -ERANGE;
			else if (id & (span(size) - 1))
				want = -EINVAL;
			else
				want = model_overlaps(&e.model, id, size) ? -EEXIST : 0;
			ret = install(&e, id, size, PV(i));
			CHECK_EQ(ret, want);
			installed += !ret;
		} else if (op < 80) {
			if (e.model.n && test_chance(70))
				id = e.model.v[test_rand_below(e.model.n)].id +
				     (test_chance(10) ? 1 : 0);
			l = model_covering(&e.model, id);
			want = !l ? -ENOENT : l->id != id ? -EINVAL : 0;
			CHECK_EQ(remove_id(&e, id), want);
		} else if (op < 90) {
			static const u64 flags[] = {
				GNTV3_PTE_WRITE, GNTV3_PTE_REVOKED, GNTV3_PTE_DOWNGRADE,
			};
			u64 set = flags[test_rand_below(3)], clear = flags[test_rand_below(3)];
			u64 pte;

			if (set == clear)
				clear = 0;
			if (e.model.n && test_chance(80))
				id = e.model.v[test_rand_below(e.model.n)].id;
			l = model_covering(&e.model, id);
			pte = l ? (l->pte | set) & ~clear : 0;
			want = !l ? -ENOENT : l->id != id ? -EINVAL :
			       (pte & GNTV3_PTE_WRITE) && (pte & GNTV3_PTE_DOWNGRADE) ? -EINVAL : 0;
			ret = update_pte(&e.tree, id, set, clear);
			CHECK_EQ(ret, want);
			if (!ret)
				l->pte = pte;
		} else {
			check_lookup(&e, id);
		}
		fake_check_point(&e.prov);
		if (i % 64 == 0 || ordered)
			check_tree(&e);
	}
	check_tree(&e);
	CHECK(installed > nr_ops / 10);
	env_fini(&e);
}

TEST(tree_random_dense)
{
	random_ops(false, 1ULL << 20, 4000 * test_scale, false);
	random_ops(true, 1ULL << 20, 4000 * test_scale, false);
}

TEST(tree_random_sparse)
{
	random_ops(false, ID_LIMIT, 3000 * test_scale, false);
	random_ops(true, ID_LIMIT, 3000 * test_scale, false);
}

TEST(tree_random_small_ordered)
{
	random_ops(false, 1ULL << 19, 600, true);
	random_ops(true, ID_LIMIT, 400, true);
}

TEST(tree_ordering_detects_bad_publish)
{
	struct env e;

	/*
	 * The checker itself must be able to fail: linking a table before
	 * writing it, or publishing a root over a stale table, is reported.
	 */
	env_init(&e, false);
	track_order(&e);
	CHECK_EQ(install(&e, 3, GNTV3_SIZE_4K, NULL), 0);
	e.prov.pages[0].snap[3] = 0;	/* pretend the leaf came after the barrier */
	e.prov.pages[0].reach_prev = false;
	e.prov.visible_cb = NULL;
	e.prov.quiet = true;
	fake_check_point(&e.prov);
	e.prov.quiet = false;
	CHECK_EQ(e.prov.order_errors, 1);
	e.prov.order_errors = 0;
	env_fini(&e);
}

/*
 * Make each failure point of one install fail in turn and check that the
 * tree is unchanged and nothing leaked; the last round succeeds.  An
 * install has two failure points per new table (its node and its page)
 * and one per table that gets its array of slots for a second entry.
 */
static void fail_nth_install(struct env *e, gntv3_id_t id, unsigned int size,
			     unsigned long points)
{
	unsigned long n, tables = e->tree.nr_tables, pages = e->prov.nr_live;
	unsigned int levels = e->tree.levels;
	u64 root = e->prov.root, pte = leaf_pte(e, size, true);
	long live = shim_live_allocs;
	int ret = -ENOMEM;

	for (n = 1; ret == -ENOMEM && n < 100; n++) {
		shim_fail_nth(n);
		ret = install_pte(&e->tree, id, size, pte, NULL);
		shim_fail_nth(0);
		if (ret != -ENOMEM)
			break;
		CHECK_EQ(shim_live_allocs, live);
		CHECK_EQ(e->tree.nr_tables, tables);
		CHECK_EQ(e->prov.nr_live, pages);
		CHECK_EQ(e->tree.levels, levels);
		CHECK_EQ_HEX(e->prov.root, root);
		check_tree(e);
	}
	CHECK_EQ(ret, 0);
	CHECK_EQ(n - 1, points);
	model_add(&e->model, id, size, pte, NULL);
	check_tree(e);
}

TEST(tree_fail_nth)
{
	struct env e;

	env_init(&e, false);
	track_order(&e);
	/* empty -> 4 levels: 4 tables of one entry each */
	fail_nth_install(&e, ID_LIMIT - 1, GNTV3_SIZE_4K, 8);
	/* 3 tables, and the root's second entry */
	fail_nth_install(&e, 0, GNTV3_SIZE_4K, 7);
	/* the hot leaf table's second entry */
	fail_nth_install(&e, 1, GNTV3_SIZE_4K, 1);
	/* the hot table has its array now */
	fail_nth_install(&e, 2, GNTV3_SIZE_4K, 0);
	env_fini(&e);

	env_init(&e, true);
	track_order(&e);
	fail_nth_install(&e, 0, GNTV3_SIZE_4K, 2);
	/* 1 -> 4 levels with a new path under the top: 6 tables, 2 entries on top */
	fail_nth_install(&e, 5ULL << 27, GNTV3_SIZE_4K, 13);
	/* the second entry of the level-2 table above the old root */
	fail_nth_install(&e, 1ULL << 18, GNTV3_SIZE_1G, 1);
	fail_nth_install(&e, 3ULL << 18, GNTV3_SIZE_2M, 2);
	env_fini(&e);
}

/* The flags-and-frame API itself, and gntv3_pte_decode() of what it wrote. */
TEST(tree_flags_frame)
{
	const u64 frame = GNTV3_PTE_FRAME(1234) | GNTV3_PTE_V1;
	struct gntv3_pte_info pi;
	struct gntv3_leaf leaf;
	struct env e;

	env_init(&e, true);
	CHECK_EQ(gntv3_tree_install(&e.tree, 7, 0, frame, GNTV3_TREE_REVOKED, NULL), -EINVAL);
	CHECK_EQ(gntv3_tree_install(&e.tree, 7, 0, frame, GNTV3_TREE_DOWNGRADE, NULL), -EINVAL);
	CHECK_EQ(gntv3_tree_install(&e.tree, 7, 0, frame | GNTV3_PTE_WRITE, GNTV3_TREE_RO,
				    NULL), -EINVAL);
	CHECK_EQ(gntv3_tree_install(&e.tree, 7, 0, frame, GNTV3_TREE_RW, PV(1)), 0);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 7, &leaf), 0);
	gntv3_pte_decode(leaf.pte, &pi);
	CHECK_EQ(pi.frame, 1234);
	CHECK(pi.v1 && !pi.ro && !pi.table && !pi.revoked && !pi.downgrading);
	CHECK_EQ(pi.size, GNTV3_SIZE_4K);

	CHECK_EQ(gntv3_tree_update(&e.tree, 7, GNTV3_TREE_DOWNGRADE, GNTV3_TREE_RW), 0);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 7, &leaf), 0);
	gntv3_pte_decode(leaf.pte, &pi);
	CHECK(pi.ro && pi.downgrading && !pi.revoked);
	CHECK_EQ(gntv3_tree_update(&e.tree, 7, GNTV3_TREE_REVOKED, GNTV3_TREE_DOWNGRADE), 0);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 7, &leaf), 0);
	gntv3_pte_decode(leaf.pte, &pi);
	CHECK(pi.ro && pi.revoked && !pi.downgrading);
	CHECK_EQ(gntv3_tree_update(&e.tree, 7, 1U << 5, 0), -EINVAL);

	CHECK_EQ(gntv3_tree_install(&e.tree, 512, 1, GNTV3_PTE_FRAME(4096) | GNTV3_PTE_V1,
				    GNTV3_TREE_RO, NULL), 0);
	CHECK_EQ(gntv3_tree_lookup(&e.tree, 512 + 9, &leaf), 0);
	gntv3_pte_decode(leaf.pte, &pi);
	CHECK(pi.ro && !pi.revoked && pi.v1);
	CHECK_EQ(pi.size, GNTV3_SIZE_2M);
	CHECK_EQ(pi.frame, 4096);
	CHECK_EQ(gntv3_tree_remove(&e.tree, 7, &leaf), 0);
	CHECK_EQ(gntv3_tree_remove(&e.tree, 512, &leaf), 0);
	env_fini(&e);
}
