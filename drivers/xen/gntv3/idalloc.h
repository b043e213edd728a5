/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 grant id allocator: contiguous and size-aligned runs of ids.
 *
 * Pure like tree.c (same header budget), built into the module and into
 * tools/testing/gntv3.  Locking: none inside; the owner serialises calls.
 */
#ifndef _GNTV3_IDALLOC_H
#define _GNTV3_IDALLOC_H

#include <linux/types.h>
#include <xen/interface/grant_table_v3.h>

/**
 * struct gntv3_ida - id allocator of one grant tree
 * @limit: ids are below @limit (a power of two, at most 1 << GNTV3_ID_BITS)
 * @nr_used: ids currently allocated
 * @priv: implementation state (see idalloc.c)
 *
 * Ids are handed out lowest-first as far as practical, so the tree stays
 * shallow; space above the highest id in use costs nothing.
 */
struct gntv3_ida {
	u64 limit;
	u64 nr_used;
	void *priv;
};

int gntv3_ida_init(struct gntv3_ida *ida, u64 limit);
void gntv3_ida_destroy(struct gntv3_ida *ida);
int gntv3_ida_alloc(struct gntv3_ida *ida, u64 nr, unsigned int align_order,
		    gntv3_id_t *first);
int gntv3_ida_free(struct gntv3_ida *ida, gntv3_id_t first, u64 nr);

#endif /* _GNTV3_IDALLOC_H */
