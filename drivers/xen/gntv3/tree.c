// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 grant tree: the granter's shadow of the tree it exposes, and the
 * grantee's validating walk of a tree written by its peer.
 *
 * The granter owns every table page it exposes, but the grantee may read any
 * of them at any time, so each change is ordered such that whatever the
 * grantee can reach is complete: a new table is filled before the entry (or
 * the root word) that makes it reachable is written, with a write barrier in
 * between.  Entries are stored with WRITE_ONCE() so that the grantee never
 * sees a torn 64-bit word.
 *
 * Copyright (c) 2026, the gntv3 authors
 */

#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>

#include "tree.h"

/* Flag bits of a leaf, those gntv3_tree_update() may change. */
#define GNTV3_LEAF_FLAG_BITS	(GNTV3_PTE_WRITE | GNTV3_PTE_REVOKED | GNTV3_PTE_DOWNGRADE)
/* A frame word: what names a page in an entry (see tree.h). */
#define GNTV3_FRAME_WORD_BITS	(GNTV3_PTE_FRAME_MASK | GNTV3_PTE_V1)
/* The GNTV3_TREE_* flags there are. */
#define GNTV3_TREE_FLAGS	(GNTV3_TREE_RW | GNTV3_TREE_REVOKED | GNTV3_TREE_DOWNGRADE)
/*
 * An install that grows the tree from one level to GNTV3_MAX_LEVELS needs
 * GNTV3_MAX_LEVELS - 1 new roots plus GNTV3_MAX_LEVELS - 1 tables below the
 * top; this bounds the tables one call allocates.
 */
#define GNTV3_INSTALL_MAX_TABLES	(2 * GNTV3_MAX_LEVELS)
/* a table's array of per-entry pointers (struct gntv3_table.slots) */
#define GNTV3_TABLE_SLOTS_BYTES	(GNTV3_PTES_PER_TABLE * sizeof(void *))
/* struct gntv3_table.one of a table that has its array of slots */
#define GNTV3_SLOTS_ARRAY	U16_MAX

/**
 * struct gntv3_table - software node of one table page
 * @ptes: the 512 entries the grantee reads (from &gntv3_tree_ops.table_alloc)
 * @ref: FRAME and B bits naming the page in the entry that points to it
 * @used: entries in use
 * @one: GNTV3_SLOTS_ARRAY once the table has @slots; until then the index
 *	of its entry, if it has one, whose pointer is @slot
 * @slots: per entry, the child node (table entry) or the owner's pointer
 *	(leaf entry); which one is told by GNTV3_PTE_TABLE in the entry
 * @slot: the pointer of the single entry of a table without @slots
 *
 * Many tables hold one entry for good (a root above a single table, the
 * table of a lone superpage), and the array costs as much as the table
 * page itself: a table gets it only when it is about to hold a second
 * entry (gntv3_table_grow()), and keeps it.
 */
struct gntv3_table {
	__le64 *ptes;
	u64 ref;
	u16 used;
	u16 one;
	union {
		void **slots;
		void *slot;
	};
};

/* Ids below 1 << gntv3_span_bits(levels) fit a tree of @levels levels. */
static unsigned int gntv3_span_bits(unsigned int levels)
{
	return GNTV3_LEVEL_BITS * levels;
}

/* Number of levels a tree needs for @id to be addressable. */
static unsigned int gntv3_id_levels(gntv3_id_t id)
{
	unsigned int levels = 1;

	while (id >> gntv3_span_bits(levels))
		levels++;
	return levels;
}

static u64 gntv3_entry(const struct gntv3_table *tbl, unsigned int idx)
{
	/* Only the owner writes these entries, so a plain read is exact. */
	return le64_to_cpu(tbl->ptes[idx]);
}

/* The entry bits of GNTV3_TREE_* @flags. */
static u64 gntv3_flag_bits(unsigned int flags)
{
	return (flags & GNTV3_TREE_RW ? GNTV3_PTE_WRITE : 0) |
	       (flags & GNTV3_TREE_REVOKED ? GNTV3_PTE_REVOKED : 0) |
	       (flags & GNTV3_TREE_DOWNGRADE ? GNTV3_PTE_DOWNGRADE : 0);
}

static u64 gntv3_table_pte(const struct gntv3_table *tbl)
{
	return tbl->ref | GNTV3_PTE_TABLE | GNTV3_PTE_VALID;
}

static u64 gntv3_root_word(const struct gntv3_table *root, unsigned int levels)
{
	return gntv3_table_pte(root) | ((u64)levels << GNTV3_ROOT_LEVELS_SHIFT);
}

/* The pointer kept for entry @idx, which is in use. */
static void *gntv3_slot(const struct gntv3_table *tbl, unsigned int idx)
{
	return tbl->one == GNTV3_SLOTS_ARRAY ? tbl->slots[idx] : tbl->slot;
}

/* Whether @tbl can take one more entry without allocating. */
static bool gntv3_table_has_room(const struct gntv3_table *tbl)
{
	return tbl->one == GNTV3_SLOTS_ARRAY || !tbl->used;
}

/*
 * Give @tbl its array of slots, so that it can hold a second entry.  The
 * tree's contents do not change, so a failure leaves nothing to undo.
 */
static int gntv3_table_grow(struct gntv3_tree *t, struct gntv3_table *tbl)
{
	void **slots;

	if (gntv3_table_has_room(tbl))
		return 0;
	slots = kzalloc(GNTV3_TABLE_SLOTS_BYTES, GFP_KERNEL);
	if (!slots)
		return -ENOMEM;
	slots[tbl->one] = tbl->slot;
	tbl->slots = slots;
	tbl->one = GNTV3_SLOTS_ARRAY;
	t->nr_slot_arrays++;
	return 0;
}

/*
 * Write a non-zero entry that may be reachable by the grantee; @tbl has
 * room (gntv3_table_grow()).
 */
static void gntv3_set_entry(struct gntv3_table *tbl, unsigned int idx, u64 pte,
			    void *slot)
{
	/*
	 * Order every earlier store (the contents of a table about to be
	 * linked, the granted frame's data) before the entry is visible.
	 */
	smp_wmb();
	WRITE_ONCE(tbl->ptes[idx], cpu_to_le64(pte));
	if (tbl->one == GNTV3_SLOTS_ARRAY) {
		tbl->slots[idx] = slot;
	} else {
		tbl->one = idx;
		tbl->slot = slot;
	}
	tbl->used++;
}

static void gntv3_clear_entry(struct gntv3_table *tbl, unsigned int idx)
{
	WRITE_ONCE(tbl->ptes[idx], cpu_to_le64(0));
	if (tbl->one == GNTV3_SLOTS_ARRAY)
		tbl->slots[idx] = NULL;
	else
		tbl->slot = NULL;
	tbl->used--;
}

static struct gntv3_table *gntv3_table_new(struct gntv3_tree *t, int *err)
{
	struct gntv3_table *tbl;

	*err = -ENOMEM;
	tbl = kzalloc(sizeof(*tbl), GFP_KERNEL);
	if (!tbl)
		return NULL;
	*err = t->ops->table_alloc(t->ctx, &tbl->ptes, &tbl->ref);
	if (*err) {
		kfree(tbl);
		return NULL;
	}
	t->nr_tables++;
	return tbl;
}

/**
 * gntv3_tree_shadow_sizes() - what a table costs its owner beside its page
 * @node: set to the size of a table's software node
 * @slots: set to the size of its array of per-entry pointers
 *
 * Both are kzalloc()ed, the node with each table (gntv3_table_new()), the
 * array once a table holds more than one entry (&gntv3_tree.nr_slot_arrays
 * counts them), so that a caller can count a tree's memory at the slab's
 * sizes.
 */
void gntv3_tree_shadow_sizes(size_t *node, size_t *slots)
{
	*node = sizeof(struct gntv3_table);
	*slots = GNTV3_TABLE_SLOTS_BYTES;
}

static void gntv3_table_del(struct gntv3_tree *t, struct gntv3_table *tbl)
{
	if (tbl == t->hot)
		t->hot = NULL;
	t->ops->table_free(t->ctx, tbl->ptes, tbl->ref);
	if (tbl->one == GNTV3_SLOTS_ARRAY) {
		kfree(tbl->slots);
		t->nr_slot_arrays--;
	}
	kfree(tbl);
	t->nr_tables--;
}

static void gntv3_publish(struct gntv3_tree *t)
{
	/* The tables below the new root are complete before it is seen. */
	smp_wmb();
	t->ops->publish_root(t->ctx, gntv3_tree_root(t));
}

/**
 * gntv3_tree_init() - set up an empty tree
 * @t: the tree
 * @ops: how to get and release table pages and publish the root word
 * @ctx: passed to every @ops call
 *
 * An empty tree owns no table page; its root word is zero.
 */
void gntv3_tree_init(struct gntv3_tree *t, const struct gntv3_tree_ops *ops, void *ctx)
{
	t->ops = ops;
	t->ctx = ctx;
	t->root = NULL;
	t->levels = 0;
	t->nr_tables = 0;
	t->nr_slot_arrays = 0;
	t->nr_leaves = 0;
	t->hot = NULL;
}

/**
 * gntv3_tree_fini() - tear down an empty tree
 * @t: the tree
 *
 * Publishes a zero root word.  Empty tables are freed as soon as their last
 * entry goes, so a tree without leaves holds no table page.
 *
 * Return: 0, or -EBUSY (tree unchanged) while leaves remain.
 */
int gntv3_tree_fini(struct gntv3_tree *t)
{
	if (t->nr_leaves)
		return -EBUSY;
	t->ops->publish_root(t->ctx, 0);
	return 0;
}

/**
 * gntv3_tree_root() - the root word the grantee should see
 * @t: the tree
 *
 * Return: the root table entry with the number of levels in bits 8-11 (see
 * struct gntv3_tree_desc), or 0 for an empty tree.
 */
u64 gntv3_tree_root(const struct gntv3_tree *t)
{
	return t->root ? gntv3_root_word(t->root, t->levels) : 0;
}

/*
 * Follow table entries from the root towards @id, no further than level
 * @stop.  Returns the last table reached and its level in *@level: either
 * *@level == @stop, or the entry for @id at *@level is empty or a leaf.
 * @path, when given, receives the table at each level passed.
 * The tree must not be empty and @id must fit its levels.
 */
static struct gntv3_table *gntv3_descend(const struct gntv3_tree *t, gntv3_id_t id,
					 unsigned int stop, unsigned int *level,
					 struct gntv3_table **path)
{
	struct gntv3_table *tbl = t->root;
	unsigned int l = t->levels - 1;

	for (;;) {
		unsigned int idx = GNTV3_ID_INDEX(id, l);

		if (path)
			path[l] = tbl;
		if (l == stop || !(gntv3_entry(tbl, idx) & GNTV3_PTE_TABLE))
			break;
		tbl = gntv3_slot(tbl, idx);
		l--;
	}
	*level = l;
	return tbl;
}

/*
 * Find the leaf whose first id is @id.  Returns its table and level, and
 * fills @path (when given) with the tables from the root down to it.
 */
static struct gntv3_table *gntv3_find_first(const struct gntv3_tree *t, gntv3_id_t id,
					    unsigned int *level, struct gntv3_table **path,
					    int *err)
{
	struct gntv3_table *tbl;
	u64 pte;

	*err = -ENOENT;
	if (!t->root || id >> gntv3_span_bits(t->levels))
		return NULL;
	tbl = gntv3_descend(t, id, 0, level, path);
	pte = gntv3_entry(tbl, GNTV3_ID_INDEX(id, *level));
	if (!pte)
		return NULL;
	if (id & ((1ULL << GNTV3_SIZE_ORDER(*level)) - 1)) {
		/* @id is inside a superpage, not its first id. */
		*err = -EINVAL;
		return NULL;
	}
	*err = 0;
	return tbl;
}

static void gntv3_fill_leaf(const struct gntv3_table *tbl, unsigned int level,
			    gntv3_id_t id, struct gntv3_leaf *leaf)
{
	unsigned int idx = GNTV3_ID_INDEX(id, level);

	leaf->pte = gntv3_entry(tbl, idx);
	leaf->size = level;
	leaf->first_id = id & ~((1ULL << GNTV3_SIZE_ORDER(level)) - 1);
	leaf->priv = gntv3_slot(tbl, idx);
}

/*
 * The entry of a new leaf, or 0 if the arguments do not make one the
 * grantee will accept.  R and D only ever come from an update.
 */
static u64 gntv3_new_leaf(unsigned int size, u64 frame, unsigned int flags)
{
	u64 pte;

	if (size > GNTV3_SIZE_1G || (frame & ~GNTV3_FRAME_WORD_BITS) ||
	    (flags & ~GNTV3_TREE_RW))
		return 0;
	pte = GNTV3_PTE_VALID | GNTV3_PTE_SIZE(size) | frame | gntv3_flag_bits(flags);
	return gntv3_pte_validate(pte, size) ? 0 : pte;
}

static int gntv3_new_leaf_check(gntv3_id_t id, unsigned int size, u64 pte)
{
	if (!pte)
		return -EINVAL;
	if (id >> GNTV3_ID_BITS)
		return -ERANGE;
	if (id & ((1ULL << GNTV3_SIZE_ORDER(size)) - 1))
		return -EINVAL;
	return 0;
}

/*
 * How many tables installing a leaf at @id, level @size, in a tree of
 * @levels levels needs, or -EEXIST if an installed leaf or table covers
 * any id of the new leaf.
 */
static int gntv3_install_tables(const struct gntv3_tree *t, gntv3_id_t id,
				unsigned int size, unsigned int levels)
{
	const struct gntv3_table *tbl;
	unsigned int l;

	if (!t->root)
		return levels - size;
	if (id >> gntv3_span_bits(t->levels)) {
		/*
		 * @id is beyond the current tree: its path leaves the new top
		 * table through a non-zero entry, so every table below the
		 * new roots is new.
		 */
		return (levels - t->levels) + (levels - 1 - size);
	}
	if (size >= t->levels) {
		/* The leaf would sit at or above the current root (id 0). */
		return -EEXIST;
	}
	tbl = gntv3_descend(t, id, size, &l, NULL);
	if (gntv3_entry(tbl, GNTV3_ID_INDEX(id, l)))
		return -EEXIST;
	return l - size;
}

/*
 * A 4 KiB leaf in the level-0 table @t->hot: the table exists, so no
 * superpage covers its ids and nothing needs allocating.
 */
static int gntv3_install_hot(struct gntv3_tree *t, gntv3_id_t id, u64 pte,
			     void *priv)
{
	unsigned int idx = GNTV3_ID_INDEX(id, 0);
	int ret;

	if (gntv3_entry(t->hot, idx))
		return -EEXIST;
	ret = gntv3_table_grow(t, t->hot);
	if (ret)
		return ret;
	gntv3_set_entry(t->hot, idx, pte, priv);
	t->nr_leaves++;
	return 0;
}

/**
 * gntv3_tree_install() - add a leaf to the tree
 * @t: the tree
 * @id: first id of the leaf, aligned to @size
 * @size: GNTV3_SIZE_4K, GNTV3_SIZE_2M or GNTV3_SIZE_1G
 * @frame: the frame word of the first frame (see tree.h): a frame number
 *	aligned to @size, or the first of a run of v1 references
 * @flags: GNTV3_TREE_RO or GNTV3_TREE_RW
 * @priv: the owner's pointer, reported by lookup and remove
 *
 * Allocates the missing tables on the path to @id and adds levels on top of
 * the root when @id or @size need them.  New tables are written completely
 * before the entry or root word linking them is, so the grantee only ever
 * reaches complete tables; a new root word is published last.
 *
 * Return: 0; -EINVAL for a bad @size, @frame or @flags or an @id not
 * aligned to @size;
 * -ERANGE for an @id beyond GNTV3_ID_BITS; -EEXIST if any id of the leaf is
 * already covered (by a leaf, or by a table for a superpage); -ENOMEM or the
 * error of &gntv3_tree_ops.table_alloc, with the tree unchanged.
 */
int gntv3_tree_install(struct gntv3_tree *t, gntv3_id_t id, unsigned int size, u64 frame,
		       unsigned int flags, void *priv)
{
	struct gntv3_table *fresh[GNTV3_INSTALL_MAX_TABLES];
	struct gntv3_table *path[GNTV3_MAX_LEVELS];
	bool link[GNTV3_MAX_LEVELS] = { };
	unsigned int levels, need, l, i, nr_new, nr_fresh = 0;
	u64 pte = gntv3_new_leaf(size, frame, flags);
	struct gntv3_table *root, *tbl;
	int ret;

	ret = gntv3_new_leaf_check(id, size, pte);
	if (ret)
		return ret;
	if (size == GNTV3_SIZE_4K && t->hot &&
	    id - t->hot_first < GNTV3_PTES_PER_TABLE)
		return gntv3_install_hot(t, id, pte, priv);
	need = max(size + 1, gntv3_id_levels(id));
	if (need > GNTV3_MAX_LEVELS)
		return -ERANGE;
	levels = max(need, t->levels);

	ret = gntv3_install_tables(t, id, size, levels);
	if (ret < 0)
		return ret;
	nr_new = ret;
	for (i = 0; i < nr_new; i++) {
		fresh[i] = gntv3_table_new(t, &ret);
		if (!fresh[i])
			goto err_free;
	}

	/* New roots, none reachable yet: each one's entry 0 is the old root. */
	root = t->root;
	l = t->levels;
	if (!root) {
		root = fresh[nr_fresh++];
		l = levels;
	}
	for (; l < levels; l++) {
		tbl = fresh[nr_fresh++];
		gntv3_set_entry(tbl, 0, gntv3_table_pte(root), root);
		root = tbl;
	}

	/* Pick the tables on the path, new ones where an entry is empty. */
	tbl = root;
	for (l = levels - 1; l > size; l--) {
		unsigned int idx = GNTV3_ID_INDEX(id, l);

		path[l] = tbl;
		if (gntv3_entry(tbl, idx)) {
			tbl = gntv3_slot(tbl, idx);
		} else {
			tbl = fresh[nr_fresh++];
			link[l] = true;
		}
	}
	path[size] = tbl;

	/*
	 * Room for the new entries, before any is written where the grantee
	 * can see it.  At most one table needs its array: the deepest one of
	 * the old tree on the path, or a new root that links a new path.
	 */
	for (l = size; l < levels; l++) {
		if (l != size && !link[l])
			continue;
		ret = gntv3_table_grow(t, path[l]);
		if (ret)
			goto err_free;
	}

	/* Bottom up: a table is complete before the entry linking it. */
	gntv3_set_entry(tbl, GNTV3_ID_INDEX(id, size), pte, priv);
	for (l = size + 1; l < levels; l++)
		if (link[l])
			gntv3_set_entry(path[l], GNTV3_ID_INDEX(id, l),
					gntv3_table_pte(path[l - 1]), path[l - 1]);
	t->nr_leaves++;
	if (size == GNTV3_SIZE_4K) {
		t->hot = tbl;
		t->hot_first = id & ~(u64)(GNTV3_PTES_PER_TABLE - 1);
	}

	if (root != t->root) {
		t->root = root;
		t->levels = levels;
		gntv3_publish(t);
	}
	return 0;

err_free:
	while (i--)
		gntv3_table_del(t, fresh[i]);
	return ret;
}

/**
 * gntv3_tree_lookup() - find the leaf covering an id
 * @t: the tree
 * @id: any id
 * @leaf: filled with the leaf covering @id
 *
 * Return: 0, or -ENOENT if no leaf covers @id.
 */
int gntv3_tree_lookup(const struct gntv3_tree *t, gntv3_id_t id, struct gntv3_leaf *leaf)
{
	struct gntv3_table *tbl;
	unsigned int l;
	u64 pte;

	if (!t->root || id >> gntv3_span_bits(t->levels))
		return -ENOENT;
	tbl = gntv3_descend(t, id, 0, &l, NULL);
	pte = gntv3_entry(tbl, GNTV3_ID_INDEX(id, l));
	if (!pte || (pte & GNTV3_PTE_TABLE))
		return -ENOENT;
	gntv3_fill_leaf(tbl, l, id, leaf);
	return 0;
}

/*
 * The first leaf below @tbl (level @l, covering ids from @base) whose first
 * id is at least @id; recursion depth: the levels of the tree.
 */
static int gntv3_next_below(const struct gntv3_table *tbl, unsigned int l,
			    gntv3_id_t base, gntv3_id_t id,
			    struct gntv3_leaf *leaf)
{
	unsigned int shift = gntv3_span_bits(l), i;
	gntv3_id_t first;
	u64 pte;

	for (i = id > base ? (id - base) >> shift : 0;
	     i < GNTV3_PTES_PER_TABLE; i++) {
		pte = gntv3_entry(tbl, i);
		first = base + ((u64)i << shift);
		if (!pte)
			continue;
		if (pte & GNTV3_PTE_TABLE) {
			if (!gntv3_next_below(gntv3_slot(tbl, i), l - 1, first,
					      max(id, first), leaf))
				return 0;
		} else if (first >= id) {
			gntv3_fill_leaf(tbl, l, first, leaf);
			return 0;
		}
	}
	return -ENOENT;
}

/**
 * gntv3_tree_next() - find the next leaf, in id order
 * @t: the tree
 * @id: where to start
 * @leaf: filled with the leaf of the lowest first id at or above @id
 *
 * A superpage that covers @id but starts below it is not reported.  To
 * visit every leaf, start at 0 and go on from the id after each leaf.
 *
 * Return: 0, or -ENOENT if no leaf starts at or above @id.
 */
int gntv3_tree_next(const struct gntv3_tree *t, gntv3_id_t id,
		    struct gntv3_leaf *leaf)
{
	if (!t->root || id >> gntv3_span_bits(t->levels))
		return -ENOENT;
	return gntv3_next_below(t->root, t->levels - 1, 0, id, leaf);
}

/**
 * gntv3_tree_update() - change the flags of a leaf
 * @t: the tree
 * @id: first id of the leaf
 * @set: flags to set, among GNTV3_TREE_RW, GNTV3_TREE_REVOKED and
 *	GNTV3_TREE_DOWNGRADE
 * @clear: flags to clear, same set of flags, disjoint from @set
 *
 * The entry changes with one 64-bit store.  A downgrade sets
 * GNTV3_TREE_DOWNGRADE and clears GNTV3_TREE_RW in the same call: a leaf
 * with both set is invalid (the grantee rejects it).
 *
 * Return: 0; -ENOENT if no leaf covers @id; -EINVAL if @id is not the
 * leaf's first id, for other bits in @set or @clear, for overlapping @set
 * and @clear, or if the result would be invalid.
 */
int gntv3_tree_update(struct gntv3_tree *t, gntv3_id_t id, unsigned int set,
		      unsigned int clear)
{
	struct gntv3_table *tbl;
	unsigned int l, idx;
	u64 pte;
	int ret;

	if ((set | clear) & ~GNTV3_TREE_FLAGS || (set & clear))
		return -EINVAL;
	tbl = gntv3_find_first(t, id, &l, NULL, &ret);
	if (!tbl)
		return ret;
	idx = GNTV3_ID_INDEX(id, l);
	pte = (gntv3_entry(tbl, idx) | gntv3_flag_bits(set)) & ~gntv3_flag_bits(clear);
	if (gntv3_pte_validate(pte, l))
		return -EINVAL;
	WRITE_ONCE(tbl->ptes[idx], cpu_to_le64(pte));
	return 0;
}

/* Drop the top level while the root only holds a table in entry 0. */
static void gntv3_tree_shrink(struct gntv3_tree *t)
{
	struct gntv3_table *old;

	while (t->levels > 1 && t->root->used == 1 &&
	       (gntv3_entry(t->root, 0) & GNTV3_PTE_TABLE)) {
		old = t->root;
		t->root = gntv3_slot(old, 0);
		t->levels--;
		gntv3_publish(t);
		gntv3_table_del(t, old);
	}
}

/**
 * gntv3_tree_remove() - take a leaf out of the tree
 * @t: the tree
 * @id: first id of the leaf
 * @leaf: filled with the leaf as it was
 *
 * Tables left empty are unlinked and given back through
 * &gntv3_tree_ops.table_free, and the tree loses its top levels while the
 * root only holds entry 0 (a new root word is then published).
 *
 * Return: 0; -ENOENT if no leaf covers @id; -EINVAL if @id is not the
 * leaf's first id.
 */
int gntv3_tree_remove(struct gntv3_tree *t, gntv3_id_t id, struct gntv3_leaf *leaf)
{
	struct gntv3_table *path[GNTV3_MAX_LEVELS];
	struct gntv3_table *tbl;
	unsigned int l;
	int ret;

	tbl = gntv3_find_first(t, id, &l, path, &ret);
	if (!tbl)
		return ret;
	gntv3_fill_leaf(tbl, l, id, leaf);
	gntv3_clear_entry(tbl, GNTV3_ID_INDEX(id, l));
	t->nr_leaves--;

	for (; !tbl->used; tbl = path[++l]) {
		if (l == t->levels - 1) {
			t->root = NULL;
			t->levels = 0;
			t->ops->publish_root(t->ctx, 0);
			gntv3_table_del(t, tbl);
			return 0;
		}
		/* Unlink first: the provider defers the free while it may be mapped. */
		gntv3_clear_entry(path[l + 1], GNTV3_ID_INDEX(id, l + 1));
		gntv3_table_del(t, tbl);
	}
	gntv3_tree_shrink(t);
	return 0;
}

/**
 * gntv3_pte_validate() - check an entry read from an untrusted tree
 * @pte: the entry, in CPU byte order
 * @level: level of the table it was read from
 *
 * A table entry (GNTV3_PTE_TABLE) is valid above level 0 with W, R, D and
 * SZ clear.  A leaf is valid with SZ equal to @level (never 3), D only with
 * W clear, and, for a superpage, a frame aligned to its size (native) or a
 * run of v1 references that does not wrap past 2^32 (GNTV3_PTE_V1).  Any
 * entry must have the reserved bits clear and, with GNTV3_PTE_V1, a frame
 * field below 2^32.
 *
 * Return: 0 for a valid entry, -ENOENT for an all-zero (absent) entry,
 * -EINVAL otherwise (including @level >= GNTV3_MAX_LEVELS).
 */
int gntv3_pte_validate(u64 pte, unsigned int level)
{
	unsigned int size = GNTV3_PTE_GET_SIZE(pte);
	u64 frame = GNTV3_PTE_GET_FRAME(pte);
	u64 nr_frames;

	if (level >= GNTV3_MAX_LEVELS)
		return -EINVAL;
	if (!pte)
		return -ENOENT;
	if (!(pte & GNTV3_PTE_VALID) || (pte & GNTV3_PTE_RSV_MASK))
		return -EINVAL;
	if ((pte & GNTV3_PTE_V1) && (pte & GNTV3_PTE_FRAME_MASK & ~GNTV3_PTE_V1_REF_MASK))
		return -EINVAL;

	if (pte & GNTV3_PTE_TABLE) {
		if (!level || (pte & (GNTV3_LEAF_FLAG_BITS | GNTV3_PTE_SIZE_MASK)))
			return -EINVAL;
		return 0;
	}

	if (size != level || size > GNTV3_SIZE_1G)
		return -EINVAL;
	if ((pte & GNTV3_PTE_DOWNGRADE) && (pte & GNTV3_PTE_WRITE))
		return -EINVAL;
	nr_frames = 1ULL << GNTV3_SIZE_ORDER(size);
	if (pte & GNTV3_PTE_V1)
		return frame + nr_frames - 1 > 0xffffffffULL ? -EINVAL : 0;
	return frame & (nr_frames - 1) ? -EINVAL : 0;
}

/* Validate an entry read from the peer: -EPROTO unless valid or absent. */
static int gntv3_walk_check(u64 pte, unsigned int level)
{
	int ret = gntv3_pte_validate(pte, level);

	return ret == -EINVAL ? -EPROTO : ret;
}

/* The entry for @id in the level-0 table @ptes of the peer's tree. */
static int gntv3_walk_leaf(const __le64 *ptes, gntv3_id_t id,
			   struct gntv3_walk_result *res)
{
	u64 pte = le64_to_cpu(READ_ONCE(ptes[GNTV3_ID_INDEX(id, 0)]));
	int ret;

	/* at level 0 validation refuses tables: this is a leaf or nothing */
	ret = gntv3_walk_check(pte, 0);
	if (ret)
		return ret;
	res->pte = pte;
	res->level = 0;
	res->first_id = id;
	return 0;
}

/**
 * gntv3_walk() - find the leaf covering an id in an untrusted tree
 * @root: root word read once from the peer's struct gntv3_tree_desc
 * @id: the id to look up
 * @get_table: gives access to the table an entry names
 * @ctx: passed to @get_table
 * @cur: NULL, or a cursor to start from and to update for the next id of
 *	the same batch (see struct gntv3_walk_cursor)
 * @res: filled with the validated leaf
 *
 * Every entry is read once and validated before use; the walk descends at
 * most the number of levels in @root and refuses a path that names the same
 * table twice.  With @cur naming the level-0 table of @id under the same
 * @root, only that table's entry for @id is read.
 *
 * Return: 0; -ENOENT if @root is zero or no leaf covers @id; -ERANGE if @id
 * is beyond the tree's levels; -ELOOP if a table appears twice on the path;
 * -EPROTO for an invalid root word or entry (a corrupt tree); or the error
 * of @get_table.
 */
int gntv3_walk(u64 root, gntv3_id_t id, gntv3_get_table_fn get_table, void *ctx,
	       struct gntv3_walk_cursor *cur, struct gntv3_walk_result *res)
{
	unsigned int levels = GNTV3_ROOT_GET_LEVELS(root);
	u64 pte = GNTV3_ROOT_ENTRY(root);
	u64 seen[GNTV3_MAX_LEVELS];
	unsigned int l, i, nr_seen = 0;
	const __le64 *ptes;
	int ret;

	if (cur) {
		if (cur->ptes && cur->root == root &&
		    !((cur->id ^ id) >> GNTV3_LEVEL_BITS))
			return gntv3_walk_leaf(cur->ptes, id, res);
		cur->ptes = NULL;
	}
	if (!root)
		return -ENOENT;
	if (!levels || levels > GNTV3_MAX_LEVELS || !(pte & GNTV3_PTE_TABLE) ||
	    gntv3_pte_validate(pte, 1))
		return -EPROTO;
	if (id >> gntv3_span_bits(levels))
		return -ERANGE;

	/* Validation refuses table entries at level 0, which ends the loop. */
	for (l = levels; pte & GNTV3_PTE_TABLE; ) {
		u64 ref = pte & GNTV3_FRAME_WORD_BITS;

		l--;
		for (i = 0; i < nr_seen; i++)
			if (seen[i] == ref)
				return -ELOOP;
		seen[nr_seen++] = ref;

		ret = get_table(ctx, l, pte, &ptes);
		if (ret)
			return ret;
		pte = le64_to_cpu(READ_ONCE(ptes[GNTV3_ID_INDEX(id, l)]));
		ret = gntv3_walk_check(pte, l);
		if (ret)
			return ret;
	}

	res->pte = pte;
	res->level = l;
	res->first_id = id & ~((1ULL << GNTV3_SIZE_ORDER(l)) - 1);
	if (cur && !l) {
		cur->root = root;
		cur->ptes = ptes;
		cur->id = id;
	}
	return 0;
}
