// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 grant id allocator.
 *
 * A binary buddy allocator over [0, limit), kept as a sparse trie: a node of
 * order o covers 2^o ids aligned to 2^o.  A node above IDA_MAP_ORDER is
 * either a leaf, wholly free or wholly used, or has two children covering
 * its halves.  A node of order IDA_MAP_ORDER (or a smaller root) is always a
 * leaf holding a bitmap of its ids, so dense small allocations cost a few
 * bits each rather than a node each.
 *
 * Every node records the order of the largest free aligned block below it,
 * which makes finding the lowest free block of a given order one descent,
 * preferring the lower half.  A parent whose halves both become wholly free
 * turns back into a free leaf (the buddy merge).
 *
 * Ids above the highest one in use cost nothing, neither memory nor time:
 * the trie starts at a root of order @top, just large enough for the ids in
 * use, and every id from 2^top up is free without a node.  (A full-height
 * trie would be 30 levels deep for a 2^36 space; a tree of a few thousand
 * grants needs a handful.)  The blocks [2^o, 2^(o+1)) for o >= top are
 * free, so the lowest free block of an order the root has no room for
 * starts at 2^max(top, order).  A change beyond the root first grows it by
 * one level per order, each new root having the old one as its lower half
 * and a free leaf as its upper half; after every change the root shrinks
 * back while its upper half is a free leaf.  An all-free root covers the
 * whole space (@top is the limit's order), so that the lowest-first rule
 * is the same as with a full-height trie.
 *
 * Single ids, the ids of 4 KiB grants, come from a cache of one bitmap
 * leaf: the leaf holding the lowest free id is taken over whole (the trie
 * sees all of its ids in use) and its own map kept in the state, so that
 * most single allocations and frees set or clear one bit without a walk.
 * Lowest-first stays exact: every id below the cached block is in use
 * while it is cached, and anything that could change that (a free below
 * it, a free overlapping it, an allocation of a run) first gives the block
 * back to the trie.  Giving it back never splits a node, so it cannot
 * fail.
 *
 * Changes are done in two steps so that a failed allocation leaves the
 * allocator untouched: count the node pairs a change splits, set them
 * aside, then make the change, which cannot fail.
 *
 * The recursive helpers go at most one call per trie level deep:
 * GNTV3_ID_BITS - IDA_MAP_ORDER + 1 = 31 small frames.
 *
 * Copyright (c) 2026, the gntv3 authors
 */

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/types.h>

#include "idalloc.h"

#define IDA_MAP_ORDER	6	/* a u64 bitmap covers 2^6 ids */
#define IDA_NONE_FREE	(-1)	/* max_free of a node without a free id */
#define IDA_SPARE_KEEP	16	/* node pairs cached between calls */

/**
 * struct gntv3_ida_node - one aligned block of ids
 * @kids: the two halves, or NULL for a leaf
 * @map: leaf: bit i set when id (block start + i) is in use; above
 *	IDA_MAP_ORDER only 0 (free) or ~0 (used)
 * @max_free: order of the largest wholly free aligned block within, or
 *	IDA_NONE_FREE
 */
struct gntv3_ida_node {
	struct gntv3_ida_node *kids;
	u64 map;
	int max_free;
};

/**
 * struct gntv3_ida_state - what &gntv3_ida.priv points to
 * @root: node covering [0, 2^@top); every id above is free
 * @order: log2 of the limit
 * @top: order of @root: @order while no id is in use, else at least
 *	min(@order, IDA_MAP_ORDER)
 * @spare: node pairs set aside for splits, chained through kids[0].kids
 * @nr_spare: pairs on @spare
 * @cache_live: the single-id cache holds the block at @cache_base
 * @cache_base: first id of the cached block, a multiple of 2^IDA_MAP_ORDER
 * @cache_map: bit i set when id @cache_base + i is in use
 */
struct gntv3_ida_state {
	struct gntv3_ida_node root;
	unsigned int order;
	unsigned int top;
	struct gntv3_ida_node *spare;
	unsigned int nr_spare;
	bool cache_live;
	u64 cache_base;
	u64 cache_map;
};

/* Bit i is set when an aligned run of 2^order ids can start at bit i. */
static const u64 ida_chunk_starts[IDA_MAP_ORDER + 1] = {
	~0ULL,
	0x5555555555555555ULL,
	0x1111111111111111ULL,
	0x0101010101010101ULL,
	0x0001000100010001ULL,
	0x0000000100000001ULL,
	0x0000000000000001ULL,
};

/* Next coarser map of free chunks: @free has one bit per free 2^@order chunk. */
static u64 ida_coarser(u64 free, unsigned int order)
{
	return free & (free >> (1U << order)) & ida_chunk_starts[order + 1];
}

/* Bit i set when ids i .. i + 2^order - 1 of a bitmap leaf are all free. */
static u64 ida_free_chunks(u64 map, unsigned int order)
{
	u64 free = ~map;
	unsigned int o;

	for (o = 0; o < order; o++)
		free = ida_coarser(free, o);
	return free;
}

static int ida_leaf_max_free(u64 map, unsigned int order)
{
	int best = IDA_NONE_FREE;
	u64 free = ~map;
	unsigned int o;

	if (order > IDA_MAP_ORDER)
		return map ? IDA_NONE_FREE : (int)order;
	for (o = 0; free; o++) {
		best = o;
		if (o == order)
			break;
		free = ida_coarser(free, o);
	}
	return best;
}

static u64 ida_size(unsigned int order)
{
	return 1ULL << order;
}

/* Bits of a bitmap leaf at @start, of @order, that [@a, @b) covers. */
static u64 ida_range_mask(u64 start, unsigned int order, u64 a, u64 b)
{
	u64 lo = max(a, start) - start;
	u64 hi = min(b, start + ida_size(order)) - start;
	u64 bits = hi - lo;

	return (bits == 64 ? ~0ULL : (1ULL << bits) - 1) << lo;
}

static bool ida_covers(u64 start, unsigned int order, u64 a, u64 b)
{
	return a <= start && start + ida_size(order) <= b;
}

static int ida_reserve(struct gntv3_ida_state *st, unsigned int nr)
{
	struct gntv3_ida_node *pair;

	while (st->nr_spare < nr) {
		pair = kmalloc_array(2, sizeof(*pair), GFP_KERNEL);
		if (!pair)
			return -ENOMEM;
		pair[0].kids = st->spare;
		st->spare = pair;
		st->nr_spare++;
	}
	return 0;
}

static void ida_put_pair(struct gntv3_ida_state *st, struct gntv3_ida_node *pair)
{
	if (st->nr_spare >= IDA_SPARE_KEEP) {
		kfree(pair);
		return;
	}
	pair[0].kids = st->spare;
	st->spare = pair;
	st->nr_spare++;
}

/* Turn a leaf above IDA_MAP_ORDER into a parent of two leaves in its state. */
static void ida_split(struct gntv3_ida_state *st, struct gntv3_ida_node *node,
		      unsigned int order)
{
	struct gntv3_ida_node *pair = st->spare;
	int i;

	st->spare = pair[0].kids;
	st->nr_spare--;
	for (i = 0; i < 2; i++) {
		pair[i].kids = NULL;
		pair[i].map = node->map;
		pair[i].max_free = ida_leaf_max_free(node->map, order - 1);
	}
	node->kids = pair;
}

/* Give back every node below @node (recursion depth: levels of the trie). */
static void ida_drop_kids(struct gntv3_ida_state *st, struct gntv3_ida_node *node)
{
	struct gntv3_ida_node *pair = node->kids;

	if (!pair)
		return;
	ida_drop_kids(st, &pair[0]);
	ida_drop_kids(st, &pair[1]);
	node->kids = NULL;
	ida_put_pair(st, pair);
}

/* Recompute @node from its children, merging two wholly free halves. */
static void ida_pull_up(struct gntv3_ida_state *st, struct gntv3_ida_node *node,
			unsigned int order)
{
	struct gntv3_ida_node *kids = node->kids;

	if (!kids[0].kids && !kids[1].kids && !kids[0].map && !kids[1].map) {
		node->kids = NULL;
		node->map = 0;
		node->max_free = (int)order;
		ida_put_pair(st, kids);
		return;
	}
	node->max_free = max(kids[0].max_free, kids[1].max_free);
}

/*
 * Node pairs that marking [@a, @b) below @node (NULL: a leaf) splits: one
 * for each leaf above IDA_MAP_ORDER the range covers only in part.
 */
static unsigned int ida_count_splits(const struct gntv3_ida_node *node, unsigned int order,
				     u64 start, u64 a, u64 b)
{
	const struct gntv3_ida_node *kids = node ? node->kids : NULL;
	unsigned int nr = kids ? 0 : 1;
	u64 mid;

	if (order <= IDA_MAP_ORDER || ida_covers(start, order, a, b))
		return 0;
	mid = start + ida_size(order - 1);
	if (a < mid)
		nr += ida_count_splits(kids ? &kids[0] : NULL, order - 1, start, a, b);
	if (b > mid)
		nr += ida_count_splits(kids ? &kids[1] : NULL, order - 1, mid, a, b);
	return nr;
}

/* Mark [@a, @b) below @node used or free; the needed pairs are reserved. */
static void ida_mark(struct gntv3_ida_state *st, struct gntv3_ida_node *node,
		     unsigned int order, u64 start, u64 a, u64 b, bool used)
{
	u64 mid;

	if (order <= IDA_MAP_ORDER) {
		u64 mask = ida_range_mask(start, order, a, b);

		node->map = used ? node->map | mask : node->map & ~mask;
		node->max_free = ida_leaf_max_free(node->map, order);
		return;
	}
	if (ida_covers(start, order, a, b)) {
		ida_drop_kids(st, node);
		node->map = used ? ~0ULL : 0;
		node->max_free = ida_leaf_max_free(node->map, order);
		return;
	}
	if (!node->kids)
		ida_split(st, node, order);
	mid = start + ida_size(order - 1);
	if (a < mid)
		ida_mark(st, &node->kids[0], order - 1, start, a, b, used);
	if (b > mid)
		ida_mark(st, &node->kids[1], order - 1, mid, a, b, used);
	ida_pull_up(st, node, order);
}

/* Whether every id of [@a, @b) below @node is in use. */
static bool ida_all_used(const struct gntv3_ida_node *node, unsigned int order, u64 start,
			 u64 a, u64 b)
{
	u64 mid, mask;

	if (order <= IDA_MAP_ORDER) {
		mask = ida_range_mask(start, order, a, b);
		return (node->map & mask) == mask;
	}
	if (!node->kids)
		return node->map;
	if (ida_covers(start, order, a, b))
		return node->max_free == IDA_NONE_FREE;
	mid = start + ida_size(order - 1);
	return (a >= mid || ida_all_used(&node->kids[0], order - 1, start, a, b)) &&
	       (b <= mid || ida_all_used(&node->kids[1], order - 1, mid, a, b));
}

/* Order of the largest free aligned block, or IDA_NONE_FREE. */
static int ida_max_free(const struct gntv3_ida_state *st)
{
	/* Below @order, [2^(order - 1), 2^order) is free and no node. */
	return st->top < st->order ? (int)st->order - 1 : st->root.max_free;
}

/* Lowest aligned free block of @order; ida_max_free() must allow it. */
static u64 ida_find(const struct gntv3_ida_state *st, unsigned int order)
{
	const struct gntv3_ida_node *node = &st->root;
	unsigned int o = st->top;
	u64 start = 0;

	if (node->max_free < (int)order)
		return ida_size(max(st->top, order));

	while (node->kids) {
		o--;
		if (node->kids[0].max_free >= (int)order) {
			node = &node->kids[0];
		} else {
			node = &node->kids[1];
			start += ida_size(o);
		}
	}
	if (o > IDA_MAP_ORDER)
		return start;
	return start + __ffs64(ida_free_chunks(node->map, order));
}

static bool ida_root_free(const struct gntv3_ida_state *st)
{
	return !st->root.kids && !st->root.map;
}

/*
 * Make the root a new parent of order @top + 1: the old root is its lower
 * half, its upper half a free leaf.  Takes a reserved pair.
 */
static void ida_grow(struct gntv3_ida_state *st)
{
	struct gntv3_ida_node *pair = st->spare;

	st->spare = pair[0].kids;
	st->nr_spare--;
	pair[0] = st->root;
	pair[1].kids = NULL;
	pair[1].map = 0;
	pair[1].max_free = (int)st->top;
	st->root.kids = pair;
	st->root.map = 0;
	st->root.max_free = max(pair[0].max_free, pair[1].max_free);
	st->top++;
}

/*
 * Smallest root for the ids in use: drop the top while its upper half is
 * a free leaf; an all-free root covers the whole space again.
 */
static void ida_shrink(struct gntv3_ida_state *st)
{
	struct gntv3_ida_node *pair;

	while (st->root.kids && !st->root.kids[1].kids && !st->root.kids[1].map) {
		pair = st->root.kids;
		st->root = pair[0];
		st->top--;
		ida_put_pair(st, pair);
	}
	if (ida_root_free(st)) {
		st->top = st->order;
		st->root.max_free = (int)st->order;
	}
}

/*
 * Mark [@a, @b) used or free.  Ids to free are all below 2^top (they are in
 * use); ids to use may need a taller root first.  On -ENOMEM the allocator
 * is unchanged (a root grown in vain shrinks back).
 */
static int ida_change(struct gntv3_ida_state *st, u64 a, u64 b, bool used)
{
	unsigned int need = order_base_2(b);
	int ret;

	if (used && ida_root_free(st)) {
		/* No id in use: the root may start at any order. */
		st->top = min(max_t(unsigned int, need, IDA_MAP_ORDER), st->order);
		st->root.max_free = (int)st->top;
	}
	if (need > st->top) {
		ret = ida_reserve(st, need - st->top);
		if (ret)
			return ret;
		while (st->top < need)
			ida_grow(st);
	}
	ret = ida_reserve(st, ida_count_splits(&st->root, st->top, 0, a, b));
	if (!ret)
		ida_mark(st, &st->root, st->top, 0, a, b, used);
	ida_shrink(st);
	return ret;
}

/*
 * The fast path for one id, the common case of 4 KiB grants: one descent
 * to the bitmap leaf holding @id, one bit, and max_free fixed on the way
 * back up, stopping where it no longer changes.  Only for a change that
 * alters no shape (no split, merge, growth or shrink), which it checks
 * before touching anything; the caller falls back on ida_change()
 * otherwise.  It then ends exactly as ida_change() would have.
 */
#define IDA_MAX_DEPTH	(GNTV3_ID_BITS - IDA_MAP_ORDER + 1)

/*
 * The bitmap leaf holding @id, or NULL when @id lies in a leaf above
 * IDA_MAP_ORDER or in the free space above the root.  @path receives the
 * parents from the root down (*@depth of them), *@start the leaf's first id.
 */
static struct gntv3_ida_node *ida_leaf_of(struct gntv3_ida_state *st, u64 id,
					  struct gntv3_ida_node **path,
					  unsigned int *depth, u64 *start)
{
	struct gntv3_ida_node *node = &st->root;
	unsigned int o = st->top;

	*depth = 0;
	*start = 0;
	if (id >= ida_size(st->top))
		return NULL;
	while (node->kids) {
		o--;
		path[(*depth)++] = node;
		if (id < *start + ida_size(o)) {
			node = &node->kids[0];
		} else {
			node = &node->kids[1];
			*start += ida_size(o);
		}
	}
	return o > IDA_MAP_ORDER ? NULL : node;
}

/* Set the map of the bitmap leaf @node (of order @o), max_free up @path. */
static void ida_leaf_set(struct gntv3_ida_node *node, unsigned int o, u64 map,
			 struct gntv3_ida_node **path, unsigned int depth)
{
	int old;

	node->map = map;
	node->max_free = ida_leaf_max_free(map, o);
	while (depth--) {
		node = path[depth];
		old = node->max_free;
		node->max_free = max(node->kids[0].max_free,
				     node->kids[1].max_free);
		if (node->max_free == old)
			break;
	}
}

/* Return: 1 done, 0 not a fast case (nothing changed), -EINVAL (free only). */
static int ida_one_fast(struct gntv3_ida_state *st, u64 id, bool used)
{
	struct gntv3_ida_node *path[IDA_MAX_DEPTH], *node;
	unsigned int depth;
	u64 start, bit, map;

	/* a whole free (used) block above a bitmap would have to split */
	node = ida_leaf_of(st, id, path, &depth, &start);
	if (!node)
		return 0;
	bit = 1ULL << (id - start);
	if (!!(node->map & bit) == used)
		return used ? 0 : -EINVAL;
	map = used ? node->map | bit : node->map & ~bit;
	/* a wholly free bitmap may merge with its buddy, or free the root */
	if (!map)
		return 0;
	ida_leaf_set(node, min_t(unsigned int, st->top, IDA_MAP_ORDER), map,
		     path, depth);
	return 1;
}

/* ---- the single-id cache ---- */

static bool ida_cache_holds(const struct gntv3_ida_state *st, u64 id)
{
	return st->cache_live && id - st->cache_base < ida_size(IDA_MAP_ORDER);
}

/*
 * Give the cached block back to the trie: its leaf gets the cache's map.
 * A block left without an id in use goes through ida_change(), which
 * merges it with its buddy and shrinks the root; that splits nothing (the
 * leaf is a bitmap under parents, see ida_cache_fill()), so cannot fail.
 */
static void ida_cache_flush(struct gntv3_ida_state *st)
{
	struct gntv3_ida_node *path[IDA_MAX_DEPTH], *leaf;
	u64 base = st->cache_base, start;
	unsigned int depth;

	if (!st->cache_live)
		return;
	st->cache_live = false;
	if (!st->cache_map) {
		ida_change(st, base, base + ida_size(IDA_MAP_ORDER), false);
		return;
	}
	leaf = ida_leaf_of(st, base, path, &depth, &start);
	ida_leaf_set(leaf, IDA_MAP_ORDER, st->cache_map, path, depth);
}

/*
 * Cache the block of the lowest free id: marked all used in the trie, its
 * real map kept in the state.  A block inside a wholly free leaf above
 * IDA_MAP_ORDER (or above the root) is marked with ida_change(), which may
 * split or grow and so fail with -ENOMEM, leaving everything unchanged.
 */
static int ida_cache_fill(struct gntv3_ida_state *st)
{
	struct gntv3_ida_node *path[IDA_MAX_DEPTH], *leaf;
	u64 base, start;
	unsigned int depth;
	int ret;

	if (ida_max_free(st) < 0)
		return -ENOSPC;
	base = ida_find(st, 0) & ~(ida_size(IDA_MAP_ORDER) - 1);
	leaf = ida_leaf_of(st, base, path, &depth, &start);
	if (leaf) {
		st->cache_map = leaf->map;
		ida_leaf_set(leaf, IDA_MAP_ORDER, ~0ULL, path, depth);
	} else {
		ret = ida_change(st, base, base + ida_size(IDA_MAP_ORDER), true);
		if (ret)
			return ret;
		st->cache_map = 0;
	}
	st->cache_base = base;
	st->cache_live = true;
	return 0;
}

/* One id, lowest first, from the cache (refilled when it has none free). */
static int ida_cache_get(struct gntv3_ida_state *st, u64 *id)
{
	unsigned int bit;
	int ret;

	if (!st->cache_live || st->cache_map == ~0ULL) {
		ida_cache_flush(st);
		ret = ida_cache_fill(st);
		if (ret)
			return ret;
	}
	bit = __ffs64(~st->cache_map);
	st->cache_map |= 1ULL << bit;
	*id = st->cache_base + bit;
	return 0;
}

/* Free one cached id: 0, or -EINVAL when it is not in use. */
static int ida_cache_put(struct gntv3_ida_state *st, u64 id)
{
	u64 bit = 1ULL << (id - st->cache_base);

	if (!(st->cache_map & bit))
		return -EINVAL;
	st->cache_map &= ~bit;
	return 0;
}

/**
 * gntv3_ida_init() - set up an allocator with no id in use
 * @ida: the allocator
 * @limit: ids are below @limit, a power of two up to 1 << GNTV3_ID_BITS
 *
 * Return: 0, -EINVAL for a bad @limit, or -ENOMEM.
 */
int gntv3_ida_init(struct gntv3_ida *ida, u64 limit)
{
	struct gntv3_ida_state *st;

	if (!limit || (limit & (limit - 1)) || limit > 1ULL << GNTV3_ID_BITS)
		return -EINVAL;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->order = ilog2(limit);
	st->top = st->order;
	/* A root smaller than a bitmap has the ids past @limit in use for good. */
	if (st->order < IDA_MAP_ORDER)
		st->root.map = ~0ULL << limit;
	st->root.max_free = ida_leaf_max_free(st->root.map, st->order);

	ida->limit = limit;
	ida->nr_used = 0;
	ida->priv = st;
	return 0;
}

/**
 * gntv3_ida_destroy() - free an allocator and all its state
 * @ida: the allocator; ids still allocated are forgotten
 */
void gntv3_ida_destroy(struct gntv3_ida *ida)
{
	struct gntv3_ida_state *st = ida->priv;
	struct gntv3_ida_node *pair;

	ida_drop_kids(st, &st->root);
	while (st->spare) {
		pair = st->spare;
		st->spare = pair[0].kids;
		kfree(pair);
	}
	kfree(st);
	ida->priv = NULL;
	ida->nr_used = 0;
}

/**
 * gntv3_ida_alloc() - allocate a run of contiguous ids
 * @ida: the allocator
 * @nr: number of ids
 * @align_order: the first id is a multiple of 1 << @align_order
 * @first: set to the first id of the run
 *
 * The run is carved from the lowest free aligned block of
 * 2^max(order_base_2(@nr), @align_order) ids; the rest of that block stays
 * free.
 *
 * Return: 0; -EINVAL if @nr is 0 or above the limit or @align_order is
 * beyond the limit; -ENOSPC if no such block is free; -ENOMEM, with the
 * allocator unchanged.
 */
int gntv3_ida_alloc(struct gntv3_ida *ida, u64 nr, unsigned int align_order,
		    gntv3_id_t *first)
{
	struct gntv3_ida_state *st = ida->priv;
	unsigned int order;
	u64 id;
	int ret;

	if (!nr || nr > ida->limit || align_order > st->order)
		return -EINVAL;
	order = max_t(unsigned int, order_base_2(nr), align_order);
	if (!order && st->order >= IDA_MAP_ORDER) {
		ret = ida_cache_get(st, &id);
		goto out;
	}
	/* a run is placed by the trie, which must know every free id */
	ida_cache_flush(st);
	if (ida_max_free(st) < (int)order)
		return -ENOSPC;
	id = ida_find(st, order);
	ret = order ? 0 : ida_one_fast(st, id, true);
	if (!ret)
		ret = ida_change(st, id, id + nr, true);
	else
		ret = 0;
out:
	if (ret)
		return ret;
	ida->nr_used += nr;
	*first = id;
	return 0;
}

/**
 * gntv3_ida_free() - give back a run of ids
 * @ida: the allocator
 * @first: first id of the run
 * @nr: number of ids
 *
 * The run may be a whole run from gntv3_ida_alloc(), several adjacent ones,
 * or a part of one.  Freeing exactly what was allocated never allocates
 * memory; freeing part of a run may have to.
 *
 * Return: 0; -EINVAL if @nr is 0, the run passes the limit or any of its
 * ids is not in use (nothing is freed then); -ENOMEM, with the allocator
 * unchanged.
 */
int gntv3_ida_free(struct gntv3_ida *ida, gntv3_id_t first, u64 nr)
{
	struct gntv3_ida_state *st = ida->priv;
	int ret;

	if (!nr || first >= ida->limit || nr > ida->limit - first)
		return -EINVAL;
	if (nr == 1 && ida_cache_holds(st, first)) {
		ret = ida_cache_put(st, first);
		if (!ret)
			ida->nr_used--;
		return ret;
	}
	/* an id freed below the cached block (or in it) is the lowest now */
	if (st->cache_live && first < st->cache_base + ida_size(IDA_MAP_ORDER))
		ida_cache_flush(st);
	ret = nr == 1 ? ida_one_fast(st, first, false) : 0;
	if (ret) {
		if (ret > 0)
			ida->nr_used--;
		return ret < 0 ? ret : 0;
	}
	/* every id from 2^top up is free */
	if (first + nr > ida_size(st->top) ||
	    !ida_all_used(&st->root, st->top, 0, first, first + nr))
		return -EINVAL;
	ret = ida_change(st, first, first + nr, false);
	if (ret)
		return ret;
	ida->nr_used -= nr;
	return 0;
}
