// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fake table page provider, see fake_table.h.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "shim.h"
#include "fake_table.h"

#define PAGE_BYTES	(GNTV3_PTES_PER_TABLE * sizeof(__le64))
#define NATIVE_BASE	0xabcdef0000ULL	/* exercises frames above 32 bits */
#define V1_BASE		0x1000ULL

static int fake_alloc(void *ctx, __le64 **ptes, u64 *ref)
{
	struct fake_prov *p = ctx;
	struct fake_page *pg;

	if (shim_should_fail())
		return -ENOMEM;
	if (p->nr_pages == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->pages = realloc(p->pages, p->cap * sizeof(*p->pages));
		if (!p->pages)
			abort();
	}
	pg = &p->pages[p->nr_pages];
	memset(pg, 0, sizeof(*pg));
	pg->ptes = calloc(1, PAGE_BYTES);
	pg->snap = calloc(1, PAGE_BYTES);
	if (!pg->ptes || !pg->snap)
		abort();
	*ptes = pg->ptes;
	*ref = GNTV3_PTE_FRAME(p->base + p->nr_pages) | (p->v1 ? GNTV3_PTE_V1 : 0);
	p->nr_pages++;
	p->nr_alloc++;
	p->nr_live++;
	return 0;
}

struct fake_page *fake_page_of(struct fake_prov *p, u64 pte)
{
	u64 frame = GNTV3_PTE_GET_FRAME(pte);

	if (!!(pte & GNTV3_PTE_V1) != p->v1 || frame < p->base ||
	    frame - p->base >= p->nr_pages)
		return NULL;
	if (!p->pages[frame - p->base].ptes)
		return NULL;
	return &p->pages[frame - p->base];
}

static void fake_free(void *ctx, __le64 *ptes, u64 ref)
{
	struct fake_prov *p = ctx;
	struct fake_page *pg = fake_page_of(p, ref);

	if (!CHECK(pg && pg->ptes == ptes))
		return;
	/* Freed for real: ASan reports any later access by the tree code. */
	free(pg->ptes);
	free(pg->snap);
	pg->ptes = NULL;
	pg->snap = NULL;
	p->nr_free++;
	p->nr_live--;
}

static void order_error(struct fake_prov *p, const char *what)
{
	p->order_errors++;
	if (!p->quiet)
		test_fail(__FILE__, __LINE__, "ordering: %s", what);
}

static void mark_reach(struct fake_prov *p, u64 pte, unsigned int level)
{
	struct fake_page *pg = fake_page_of(p, pte);
	unsigned int i;

	if (!pg) {
		order_error(p, "a reachable entry names a dead or unknown table");
		return;
	}
	if (pg->reach) {
		order_error(p, "a table is reachable twice");
		return;
	}
	pg->reach = true;
	for (i = 0; i < GNTV3_PTES_PER_TABLE; i++) {
		u64 e = le64_to_cpu(pg->ptes[i]);

		if (gntv3_pte_validate(e, level) == -EINVAL)
			order_error(p, "a reachable entry is invalid");
		else if (e & GNTV3_PTE_TABLE)
			mark_reach(p, e, level - 1);
	}
}

static void check_point(struct fake_prov *p, bool barrier)
{
	unsigned int levels = GNTV3_ROOT_GET_LEVELS(p->root);
	size_t i;

	for (i = 0; i < p->nr_pages; i++)
		p->pages[i].reach = false;
	if (p->root)
		mark_reach(p, GNTV3_ROOT_ENTRY(p->root), levels - 1);
	for (i = 0; i < p->nr_pages; i++) {
		struct fake_page *pg = &p->pages[i];

		if (pg->reach && !pg->reach_prev && memcmp(pg->ptes, pg->snap, PAGE_BYTES))
			order_error(p, "a table was linked before it was complete");
		pg->reach_prev = pg->reach;
		if (barrier && pg->ptes)
			memcpy(pg->snap, pg->ptes, PAGE_BYTES);
	}
	if (p->visible_cb)
		p->visible_cb(p, p->visible_arg);
}

static void fake_wmb(void *arg)
{
	check_point(arg, true);
}

static void fake_publish(void *ctx, u64 root)
{
	struct fake_prov *p = ctx;

	p->root = root;
	p->nr_publish++;
	if (p->track_order)
		check_point(p, false);
}

const struct gntv3_tree_ops fake_ops = {
	.table_alloc = fake_alloc,
	.table_free = fake_free,
	.publish_root = fake_publish,
};

void fake_init(struct fake_prov *p, bool v1)
{
	memset(p, 0, sizeof(*p));
	p->v1 = v1;
	p->base = v1 ? V1_BASE : NATIVE_BASE;
}

unsigned long fake_fini(struct fake_prov *p)
{
	unsigned long live = p->nr_live;
	size_t i;

	if (shim_wmb_arg == p) {
		shim_wmb_hook = NULL;
		shim_wmb_arg = NULL;
	}
	for (i = 0; i < p->nr_pages; i++) {
		free(p->pages[i].ptes);
		free(p->pages[i].snap);
	}
	free(p->pages);
	p->pages = NULL;
	return live;
}

int fake_get_table(void *ctx, unsigned int level, u64 table_pte, const __le64 **ptes)
{
	struct fake_page *pg = fake_page_of(ctx, table_pte);

	(void)level;
	if (!pg)
		return -EFAULT;
	*ptes = pg->ptes;
	return 0;
}

void fake_check_point(struct fake_prov *p)
{
	if (p->track_order)
		check_point(p, false);
}

void fake_track_order(struct fake_prov *p)
{
	p->track_order = true;
	shim_wmb_hook = fake_wmb;
	shim_wmb_arg = p;
}
