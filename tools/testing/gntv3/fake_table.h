/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake table page provider for struct gntv3_tree: it tracks every page it
 * hands out, names pages by native frame numbers or v1 references, and can
 * check what a weakly ordered grantee may observe at each barrier.
 */
#ifndef _GNTV3_FAKE_TABLE_H
#define _GNTV3_FAKE_TABLE_H

#include "tree.h"

struct fake_page {
	__le64 *ptes;		/* NULL once freed */
	__le64 *snap;		/* contents at the last smp_wmb() */
	bool reach;		/* reachable at the current check point */
	bool reach_prev;	/* reachable at the previous check point */
};

struct fake_prov {
	bool v1;		/* refs are v1 references (GNTV3_PTE_V1) */
	u64 base;		/* frame (or reference) of page 0 */
	struct fake_page *pages;
	size_t nr_pages, cap;
	unsigned long nr_alloc, nr_free, nr_live;
	u64 root;		/* last published root word */
	unsigned long nr_publish;

	/*
	 * Ordering checks, when @track_order: at every barrier, publish and
	 * fake_check_point(), each table page that became reachable from the
	 * published root must hold what it held at the previous barrier, and
	 * @visible_cb (if set) checks the leaves the grantee must still see.
	 */
	bool track_order;
	unsigned long order_errors;
	bool quiet;		/* count ordering errors without failing */
	void (*visible_cb)(struct fake_prov *p, void *arg);
	void *visible_arg;
};

extern const struct gntv3_tree_ops fake_ops;

void fake_init(struct fake_prov *p, bool v1);
/* Checks that every page was given back; returns the number still live. */
unsigned long fake_fini(struct fake_prov *p);
/* gntv3_get_table_fn over the provider's live pages (ctx: the provider). */
int fake_get_table(void *ctx, unsigned int level, u64 table_pte, const __le64 **ptes);
/* Page named by an entry, or NULL if dead or unknown. */
struct fake_page *fake_page_of(struct fake_prov *p, u64 pte);
/* An ordering check point outside of any barrier (e.g. after an operation). */
void fake_check_point(struct fake_prov *p);
/* Make smp_wmb() in the core check @p. */
void fake_track_order(struct fake_prov *p);

#endif
