/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 grant tree format: the granter's shadow of its tree and the
 * grantee's validating walk.
 *
 * This file and tree.c are pure: they use only <linux/types.h>, <linux/bits.h>,
 * <linux/errno.h>, <linux/slab.h> (kzalloc/kfree), <linux/compiler.h>
 * (READ_ONCE/WRITE_ONCE), <linux/minmax.h>, <asm/barrier.h> (smp_wmb),
 * <asm/byteorder.h> and the ABI header, so tools/testing/gntv3 builds the
 * very same tree.c in userspace with a thin shim of those headers.
 *
 * Locking: none inside.  The owner of a struct gntv3_tree serialises every
 * call that changes it (frontend.c holds its per-tree mutex); walks over a
 * peer's tree (gntv3_walk()) keep no state of their own.
 */
#ifndef _GNTV3_TREE_H
#define _GNTV3_TREE_H

#include <linux/bits.h>
#include <linux/types.h>
#include <xen/interface/grant_table_v3.h>

struct gntv3_table;

/*
 * The entry format (struct gntv3_tree_desc, GNTV3_PTE_* in the ABI header)
 * belongs to tree.c: nobody else builds or decodes an entry.  Callers name
 * pages by a frame word, the FRAME field and the B bit of an entry as a
 * transport encodes them (transport_*.c), which the tree stores without
 * looking inside, and give a leaf's permissions and state as flags, as
 * io-pgtable callers pass IOMMU_READ/IOMMU_WRITE.
 */

/* Leaf flags for gntv3_tree_install() and gntv3_tree_update(). */
#define GNTV3_TREE_RO		0U		/* the grantee may map read-only */
#define GNTV3_TREE_RW		BIT(0)	/* ... or writable (W) */
#define GNTV3_TREE_REVOKED	BIT(1)	/* no new mapping (R); update only */
#define GNTV3_TREE_DOWNGRADE	BIT(2)	/* rw->ro in progress (D); update only */

/**
 * struct gntv3_tree_ops - how a tree gets and releases its table pages
 * @table_alloc: allocate a zeroed 4 KiB table page the grantee may read.
 *	Returns 0 and fills @ptes (kernel address of the 512 entries) and
 *	@ref (the frame word naming the page), or a negative errno.
 * @table_free: give a table page back.  @ref is what @table_alloc returned.
 *	The callee defers the free while the grantee may still map the page.
 * @publish_root: make the new root word (see struct gntv3_tree_desc) visible
 *	to the grantee; called after the tables below it are written.
 */
struct gntv3_tree_ops {
	int (*table_alloc)(void *ctx, __le64 **ptes, u64 *ref);
	void (*table_free)(void *ctx, __le64 *ptes, u64 ref);
	void (*publish_root)(void *ctx, u64 root);
};

/**
 * struct gntv3_tree - a granter's grant tree
 * @ops: table page provider, see struct gntv3_tree_ops
 * @ctx: passed to every @ops call
 * @root: software node of the root table, NULL while the tree is empty
 * @levels: number of levels in use (0 while empty)
 * @nr_tables: table pages currently allocated
 * @nr_slot_arrays: tables with an array of per-entry pointers (a table
 *	that never held more than one entry has none)
 * @nr_leaves: leaf entries currently installed
 * @hot: the level-0 table the last 4 KiB leaf went into, or NULL: the next
 *	4 KiB leaf it covers is installed without a walk
 * @hot_first: the first id @hot covers
 */
struct gntv3_tree {
	const struct gntv3_tree_ops *ops;
	void *ctx;
	struct gntv3_table *root;
	unsigned int levels;
	unsigned long nr_tables;
	unsigned long nr_slot_arrays;
	unsigned long nr_leaves;
	struct gntv3_table *hot;
	gntv3_id_t hot_first;
};

/**
 * struct gntv3_leaf - what gntv3_tree_lookup() and gntv3_tree_remove() report
 * @pte: the leaf entry (CPU byte order), for gntv3_pte_decode() or to be
 *	shown as it is
 * @first_id: first id the leaf covers
 * @size: GNTV3_SIZE_* of the leaf
 * @priv: the owner's pointer given to gntv3_tree_install()
 */
struct gntv3_leaf {
	u64 pte;
	gntv3_id_t first_id;
	unsigned int size;
	void *priv;
};

void gntv3_tree_init(struct gntv3_tree *t, const struct gntv3_tree_ops *ops,
		     void *ctx);
int gntv3_tree_fini(struct gntv3_tree *t);
int gntv3_tree_install(struct gntv3_tree *t, gntv3_id_t id, unsigned int size,
		       u64 frame, unsigned int flags, void *priv);
int gntv3_tree_lookup(const struct gntv3_tree *t, gntv3_id_t id,
		      struct gntv3_leaf *leaf);
int gntv3_tree_next(const struct gntv3_tree *t, gntv3_id_t id,
		    struct gntv3_leaf *leaf);
int gntv3_tree_update(struct gntv3_tree *t, gntv3_id_t id, unsigned int set,
		      unsigned int clear);
int gntv3_tree_remove(struct gntv3_tree *t, gntv3_id_t id,
		      struct gntv3_leaf *leaf);
u64 gntv3_tree_root(const struct gntv3_tree *t);
void gntv3_tree_shadow_sizes(size_t *node, size_t *slots);

/* ---- both sides: what an entry says ---- */

/**
 * struct gntv3_pte_info - an entry, decoded by gntv3_pte_decode()
 * @frame: the FRAME field: a v1 grant reference if @v1, else a frame number
 * @size: GNTV3_SIZE_* of a leaf (0 for a table)
 * @table: the entry names the next-level table (T)
 * @v1: @frame is a v1 grant reference (B)
 * @ro: a leaf the grantee may only map read-only (W clear)
 * @revoked: a revoked leaf (R)
 * @downgrading: a leaf being downgraded from rw to ro (D)
 */
struct gntv3_pte_info {
	u64 frame;
	unsigned int size;
	bool table;
	bool v1;
	bool ro;
	bool revoked;
	bool downgrading;
};

/**
 * gntv3_pte_decode() - what a validated entry says
 * @pte: an entry that gntv3_pte_validate() accepted (CPU byte order)
 * @pi: filled in
 */
static inline void gntv3_pte_decode(u64 pte, struct gntv3_pte_info *pi)
{
	pi->frame = GNTV3_PTE_GET_FRAME(pte);
	pi->size = GNTV3_PTE_GET_SIZE(pte);
	pi->table = pte & GNTV3_PTE_TABLE;
	pi->v1 = pte & GNTV3_PTE_V1;
	pi->ro = !(pte & GNTV3_PTE_WRITE);
	pi->revoked = pte & GNTV3_PTE_REVOKED;
	pi->downgrading = pte & GNTV3_PTE_DOWNGRADE;
}

/* ---- grantee side: reading a tree written by an untrusted peer ---- */

int gntv3_pte_validate(u64 pte, unsigned int level);

/**
 * typedef gntv3_get_table_fn - give the grantee access to one peer table
 * @ctx: the walker's context
 * @level: level of the table being asked for
 * @table_pte: the validated entry (T set) naming the table
 * @ptes: set to the table's 512 entries, which the walker reads once each
 *	with READ_ONCE() and validates before use
 *
 * Returns 0 or a negative errno, which gntv3_walk() passes on.
 */
typedef int (*gntv3_get_table_fn)(void *ctx, unsigned int level,
				  u64 table_pte, const __le64 **ptes);

/**
 * struct gntv3_walk_result - a leaf found by gntv3_walk()
 * @pte: the validated leaf entry
 * @level: level it was found at (== its size)
 * @first_id: first id the leaf covers
 */
struct gntv3_walk_result {
	u64 pte;
	unsigned int level;
	gntv3_id_t first_id;
};

/**
 * struct gntv3_walk_cursor - where the last walk of a batch ended
 * @root: the root word that walk started from
 * @ptes: the level-0 table it ended in, NULL for none
 * @id: an id that table covers
 *
 * Batches name consecutive ids more often than not.  With a cursor,
 * gntv3_walk() looks an id of the same level-0 table up there directly
 * (one entry read and validated, as at the end of a full walk) instead of
 * walking down from the root again.  Valid for as long as the caller keeps
 * every table its get_table callback gave out mapped; zero it to start.
 */
struct gntv3_walk_cursor {
	u64 root;
	const __le64 *ptes;
	gntv3_id_t id;
};

int gntv3_walk(u64 root, gntv3_id_t id, gntv3_get_table_fn get_table,
	       void *ctx, struct gntv3_walk_cursor *cur,
	       struct gntv3_walk_result *res);

#endif /* _GNTV3_TREE_H */
