// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3_xentest: exercise the prototype v3 hypervisor (xen/patches) from a
 * PV dom0 that grants to itself.  Not part of gntv3.ko: it talks to the
 * GNTTABOP_v3_* sub-ops directly, builds its trees by hand (including
 * hostile ones) and prints TAP lines and timings to the kernel log.
 *
 * Loaded by xen/test/dom0.sh in a VM booted on the prototype hypervisor
 * (scripts/xenvm.sh with GNTV3_XEN=...).  The module stays loaded (init
 * returns 0) so that its results can be read with dmesg.
 */

#define pr_fmt(fmt) "gntv3_xentest: " fmt

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <asm/xen/hypercall.h>
#include <asm/xen/page.h>
#include <xen/interface/grant_table_v3.h>

#define SELF		0	/* dom0 grants to itself */
#define AREA_PAGES	2048	/* 8 MiB of vmap space: a 2 MiB-aligned run inside */

static unsigned int nr_ok, nr_fail, nr_test;

static bool selftest = true;
module_param(selftest, bool, 0444);
MODULE_PARM_DESC(selftest, "run the self-grant tests at load (default 1)");

#define CHECK(cond, fmt, ...) do {					\
	nr_test++;							\
	if (cond) {							\
		nr_ok++;						\
		pr_info("ok %u - " fmt "\n", nr_test, ##__VA_ARGS__);	\
	} else {							\
		nr_fail++;						\
		pr_info("not ok %u - " fmt "\n", nr_test, ##__VA_ARGS__); \
	}								\
} while (0)

/* A hand-built tree: descriptor, level-1 root table, level-0 table. */
struct xtree {
	struct page *desc_pg, *l1_pg, *l0_pg;
	struct gntv3_tree_desc *desc;
	u64 *l1, *l0;
	gntv3_tree_t handle;
};

static struct page *dummy;
static void *area;
static unsigned long area_va;

static u64 gfn_of(struct page *pg)
{
	return xen_page_to_gfn(pg);
}

static u64 table_pte(struct page *pg)
{
	return GNTV3_PTE_FRAME(gfn_of(pg)) | GNTV3_PTE_TABLE | GNTV3_PTE_VALID;
}

static u64 leaf_pte(u64 gfn, unsigned int size, bool rw)
{
	return GNTV3_PTE_FRAME(gfn) | GNTV3_PTE_SIZE(size) | GNTV3_PTE_VALID |
	       (rw ? GNTV3_PTE_WRITE : 0);
}

static u64 pte_maddr(unsigned long va)
{
	unsigned int level;
	pte_t *ptep = lookup_address(va, &level);

	return arbitrary_virt_to_machine(ptep).maddr;
}

static bool pte_writable(unsigned long va)
{
	unsigned int level;
	pte_t *ptep = lookup_address(va, &level);

	return native_pte_val(*ptep) & _PAGE_RW;
}

static int xtree_alloc(struct xtree *t)
{
	t->desc_pg = alloc_page(GFP_KERNEL | __GFP_ZERO);
	t->l1_pg = alloc_page(GFP_KERNEL | __GFP_ZERO);
	t->l0_pg = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!t->desc_pg || !t->l1_pg || !t->l0_pg)
		return -ENOMEM;
	t->desc = page_address(t->desc_pg);
	t->l1 = page_address(t->l1_pg);
	t->l0 = page_address(t->l0_pg);
	t->desc->magic = GNTV3_TREE_MAGIC;
	t->desc->version = GNTV3_ABI_VERSION;
	t->desc->grantee = SELF;
	t->l1[0] = table_pte(t->l0_pg);
	t->desc->root = table_pte(t->l1_pg) | (2ULL << GNTV3_ROOT_LEVELS_SHIFT);
	return 0;
}

static void xtree_free(struct xtree *t)
{
	if (t->desc_pg)
		__free_page(t->desc_pg);
	if (t->l1_pg)
		__free_page(t->l1_pg);
	if (t->l0_pg)
		__free_page(t->l0_pg);
}

static int v3_register(struct xtree *t, s16 *status)
{
	struct gnttab_v3_register_tree op = {
		.grantee = SELF, .desc_gfn = gfn_of(t->desc_pg),
	};
	int rc = HYPERVISOR_grant_table_op(GNTTABOP_v3_register_tree, &op, 1);

	*status = op.status;
	t->handle = op.tree;
	return rc;
}

static s16 v3_unregister(struct xtree *t)
{
	struct gnttab_v3_unregister_tree op = {
		.grantee = SELF, .tree = t->handle,
	};

	if (HYPERVISOR_grant_table_op(GNTTABOP_v3_unregister_tree, &op, 1))
		return -999;
	return op.status;
}

/* Map @id (size @size, read-only if @ro) at vmap address @va. */
static s16 v3_map(struct xtree *t, gntv3_id_t id, unsigned int size, bool ro,
		  unsigned long va, grant_handle_t *handle)
{
	struct gnttab_v3_map op = {
		.id = id, .host_addr = pte_maddr(va), .tree = t->handle,
		.flags = GNTV3_MAP_HOST | GNTV3_MAP_CONTAINS_PTE |
			 (ro ? GNTV3_MAP_READONLY : 0),
		.granter = SELF, .size = size,
	};

	if (HYPERVISOR_grant_table_op(GNTTABOP_v3_map, &op, 1))
		return -999;
	*handle = op.handle;
	return op.status;
}

static s16 v3_unmap(unsigned long va, grant_handle_t handle)
{
	struct gnttab_v3_unmap op = {
		.host_addr = pte_maddr(va), .handle = handle,
	};

	if (HYPERVISOR_grant_table_op(GNTTABOP_v3_unmap, &op, 1))
		return -999;
	return op.status;
}

static s16 v3_revoke(struct xtree *t, gntv3_id_t id, u64 scratch,
		     u16 flags, u32 *nr)
{
	struct gnttab_v3_revoke op = {
		.id = id, .scratch_gfn = scratch, .grantee = SELF,
		.flags = flags, .tree = t->handle,
	};

	if (HYPERVISOR_grant_table_op(GNTTABOP_v3_revoke, &op, 1))
		return -999;
	if (nr)
		*nr = op.nr_redirected;
	return op.status;
}

/* ------------------------------------------------------------------ */

static struct xtree hostile;
static volatile bool flipping;

/* Rewrite the hostile tree's entries as fast as possible during walks. */
static int flipper(void *data)
{
	struct page *pg = data;
	u64 vals[] = {
		leaf_pte(gfn_of(pg), GNTV3_SIZE_4K, true),
		table_pte(hostile.l1_pg),		/* table at level 0 */
		leaf_pte(gfn_of(pg), GNTV3_SIZE_2M, true),	/* bad size */
		leaf_pte(1, GNTV3_SIZE_4K, true),	/* not ours */
		0,
		leaf_pte(gfn_of(pg), GNTV3_SIZE_4K, false) | GNTV3_PTE_RSV_MASK,
	};
	u64 vals1[] = { table_pte(hostile.l0_pg), table_pte(hostile.l1_pg),
			table_pte(hostile.l0_pg) | GNTV3_PTE_WRITE };
	unsigned long i = 0;

	while (!kthread_should_stop()) {
		WRITE_ONCE(hostile.l0[0], vals[i % ARRAY_SIZE(vals)]);
		WRITE_ONCE(hostile.l1[0], vals1[(i / 7) % ARRAY_SIZE(vals1)]);
		i++;
		if (!(i & 1023))
			cond_resched();
	}
	return 0;
}

static void test_hostile(struct page *data)
{
	struct task_struct *k;
	grant_handle_t h;
	unsigned long va = area_va;	/* a 4 KiB slot below the 2 MiB run */
	unsigned int i, ok = 0, refused = 0, bad_unmap = 0;
	s16 st;

	if (xtree_alloc(&hostile)) {
		CHECK(0, "hostile tree allocation");
		return;
	}
	CHECK(!v3_register(&hostile, &st) && st == GNTST_okay,
	      "register the hostile tree (handle %u)", hostile.handle);

	/* Static hostile shapes, each must be refused. */
	hostile.l1[0] = table_pte(hostile.l1_pg);
	st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st != GNTST_okay, "loop (root names itself): refused, status %d", st);

	hostile.l1[0] = table_pte(hostile.l0_pg);
	hostile.l0[0] = leaf_pte(gfn_of(data), GNTV3_SIZE_2M, false);
	st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st != GNTST_okay, "leaf size != level: refused, status %d", st);

	hostile.l0[0] = leaf_pte(gfn_of(data), GNTV3_SIZE_4K, false) | (1ULL << 9);
	st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st != GNTST_okay, "reserved bit: refused, status %d", st);

	hostile.l0[0] = leaf_pte(gfn_of(data), GNTV3_SIZE_4K, false) | GNTV3_PTE_V1;
	st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st != GNTST_okay, "v1 bit in a native tree: refused, status %d", st);

	hostile.l0[0] = table_pte(hostile.l0_pg);
	st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st != GNTST_okay, "table entry at level 0: refused, status %d", st);

	hostile.l0[0] = leaf_pte(1, GNTV3_SIZE_4K, false);
	st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st == GNTST_bad_page, "leaf frame 1 (not the granter's): GNTST_bad_page, status %d", st);

	hostile.l0[0] = leaf_pte(0xfffffffffULL, GNTV3_SIZE_4K, false);
	st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st == GNTST_bad_page, "leaf frame beyond RAM: GNTST_bad_page, status %d", st);

	hostile.l1[0] = GNTV3_PTE_FRAME(1) | GNTV3_PTE_TABLE | GNTV3_PTE_VALID;
	st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st == GNTST_bad_page, "table frame not the granter's: GNTST_bad_page, status %d", st);
	hostile.l1[0] = table_pte(hostile.l0_pg);

	hostile.l0[0] = leaf_pte(gfn_of(data), GNTV3_SIZE_4K, false);
	st = v3_map(&hostile, 1ULL << 18, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st == GNTST_bad_gntref, "id beyond the tree's levels: GNTST_bad_gntref, status %d", st);

	st = v3_map(&hostile, 5, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st == GNTST_bad_gntref, "empty entry: GNTST_bad_gntref, status %d", st);

	hostile.l0[0] |= GNTV3_PTE_REVOKED;
	st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st == GNTST_permission_denied, "revoked leaf: GNTST_permission_denied, status %d", st);
	hostile.l0[0] &= ~GNTV3_PTE_REVOKED;

	hostile.desc->root = table_pte(hostile.l1_pg) | (5ULL << GNTV3_ROOT_LEVELS_SHIFT);
	st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st != GNTST_okay, "root word with 5 levels: refused, status %d", st);
	hostile.desc->root = GNTV3_PTE_FRAME(gfn_of(hostile.l1_pg)) | GNTV3_PTE_VALID |
			     (2ULL << GNTV3_ROOT_LEVELS_SHIFT);
	st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
	CHECK(st != GNTST_okay, "root word without the table bit: refused, status %d", st);
	hostile.desc->root = table_pte(hostile.l1_pg) | (2ULL << GNTV3_ROOT_LEVELS_SHIFT);

	/* Entries rewritten while the hypervisor walks them. */
	k = kthread_run(flipper, data, "gntv3-flip");
	if (IS_ERR(k)) {
		CHECK(0, "flipper thread");
		goto out;
	}
	for (i = 0; i < 20000; i++) {
		st = v3_map(&hostile, 0, GNTV3_SIZE_4K, true, va, &h);
		if (st == GNTST_okay) {
			ok++;
			if (v3_unmap(va, h) != GNTST_okay)
				bad_unmap++;
		} else {
			refused++;
		}
		if (!(i & 255))
			cond_resched();
	}
	kthread_stop(k);
	CHECK(ok && refused && !bad_unmap,
	      "20000 maps while entries are rewritten: %u mapped and unmapped, %u refused, %u bad unmaps",
	      ok, refused, bad_unmap);

out:
	hostile.l1[0] = table_pte(hostile.l0_pg);
	hostile.l0[0] = 0;
	CHECK(v3_unregister(&hostile) == GNTST_okay, "unregister the hostile tree");
}

/* ------------------------------------------------------------------ */

#define BATCH_SLOTS	40	/* more than one hypervisor unmap batch (32) */

/* Map id @id of @t rw at @n slots from @base in one call; handles in @h. */
static bool batch_map(struct xtree *t, gntv3_id_t id, unsigned long base,
		      unsigned int n, grant_handle_t *h)
{
	struct gnttab_v3_map *ops = kcalloc(n, sizeof(*ops), GFP_KERNEL);
	unsigned int i;
	bool ok = !!ops;

	for (i = 0; ops && i < n; i++) {
		ops[i].id = id;
		ops[i].host_addr = pte_maddr(base + i * PAGE_SIZE);
		ops[i].tree = t->handle;
		ops[i].flags = GNTV3_MAP_HOST | GNTV3_MAP_CONTAINS_PTE;
		ops[i].granter = SELF;
		ops[i].size = GNTV3_SIZE_4K;
	}
	if (ops && HYPERVISOR_grant_table_op(GNTTABOP_v3_map, ops, n))
		ok = false;
	for (i = 0; ok && i < n; i++) {
		h[i] = ops[i].handle;
		ok = ops[i].status == GNTST_okay;
	}
	kfree(ops);
	return ok;
}

static void unmap_op(struct gnttab_v3_unmap *op, unsigned long va,
		     grant_handle_t h)
{
	memset(op, 0, sizeof(*op));
	op->host_addr = pte_maddr(va);
	op->handle = h;
	op->status = 1;	/* not a GNTST_* value: "not written back" */
}

/*
 * One GNTTABOP_v3_unmap of 42 ops over two hypervisor batches: 40 good
 * ones, a second op for a handle the same batch already unmaps, and an
 * unknown handle in the second batch.  Each op gets its own status, the
 * failures change nothing for the others, and every PTE is cleared.
 * Then the cost of 32 unmaps in one call against 32 calls of one.
 */
static void test_batch_unmap(struct xtree *t, struct page *pg,
			     unsigned long base)
{
	struct gnttab_v3_unmap ops[BATCH_SLOTS + 2];
	grant_handle_t h[BATCH_SLOTS];
	unsigned int i, k, good = 0, cleared = 0, reps = 50;
	u64 t_batch = 0, t_single = 0, s;
	bool mapped;
	int rc;

	t->l0[2] = leaf_pte(gfn_of(pg), GNTV3_SIZE_4K, true);
	mapped = batch_map(t, 2, base, BATCH_SLOTS, h);
	CHECK(mapped, "map id 2 at %u slots in one call", BATCH_SLOTS);
	if (!mapped)
		goto out;
	CHECK(v3_revoke(t, 2, GNTV3_NO_SCRATCH, 0, NULL) == GNTST_eagain,
	      "cooperative revoke of id 2 while mapped %u times: GNTST_eagain",
	      BATCH_SLOTS);

	for (i = 0, k = 0; i < BATCH_SLOTS; i++) {
		unmap_op(&ops[k++], base + i * PAGE_SIZE, h[i]);
		if (i == 4)		/* first batch: handle of op 3 again */
			unmap_op(&ops[k++], base + 3 * PAGE_SIZE, h[3]);
		if (i == 33)		/* second batch: no such handle */
			unmap_op(&ops[k++], base, 0xfffe);
	}
	rc = HYPERVISOR_grant_table_op(GNTTABOP_v3_unmap, ops, k);
	for (i = 0; i < k; i++)
		if (i != 5 && i != 35 && ops[i].status == GNTST_okay)
			good++;
	for (i = 0; i < BATCH_SLOTS; i++) {
		unsigned int level;
		pte_t *ptep = lookup_address(base + i * PAGE_SIZE, &level);

		if (!native_pte_val(*ptep))
			cleared++;
	}
	CHECK(!rc && good == BATCH_SLOTS, "one unmap call of %u ops: rc %d, %u of %u okay",
	      k, rc, good, BATCH_SLOTS);
	CHECK(ops[5].status == GNTST_general_error,
	      "same handle twice in a batch: the second op fails alone, status %d",
	      ops[5].status);
	CHECK(ops[35].status == GNTST_bad_handle,
	      "unknown handle in the second batch: GNTST_bad_handle, status %d",
	      ops[35].status);
	CHECK(cleared == BATCH_SLOTS, "%u of %u PTEs cleared", cleared, BATCH_SLOTS);
	CHECK(v3_revoke(t, 2, GNTV3_NO_SCRATCH, 0, NULL) == GNTST_okay,
	      "cooperative revoke of id 2 once the batch unmapped it");
	CHECK(v3_unmap(base, h[0]) == GNTST_bad_handle,
	      "a handle of the batch again: GNTST_bad_handle");

	/* Timings: 32 unmaps in one call, 32 calls of one. */
	for (i = 0; i < reps; i++) {
		if (!batch_map(t, 2, base, 32, h))
			break;
		for (k = 0; k < 32; k++)
			unmap_op(&ops[k], base + k * PAGE_SIZE, h[k]);
		s = ktime_get_ns();
		rc = HYPERVISOR_grant_table_op(GNTTABOP_v3_unmap, ops, 32);
		t_batch += ktime_get_ns() - s;
		for (k = 0; k < 32 && !rc; k++)
			if (ops[k].status != GNTST_okay)
				rc = -EIO;
		if (rc || !batch_map(t, 2, base, 32, h))
			break;
		s = ktime_get_ns();
		for (k = 0; k < 32 && !rc; k++)
			if (v3_unmap(base + k * PAGE_SIZE, h[k]) != GNTST_okay)
				rc = -EIO;
		t_single += ktime_get_ns() - s;
		if (rc)
			break;
	}
	CHECK(i == reps, "%u rounds of 32 unmaps in one call and in 32 calls", reps);
	pr_info("# bench: unmap_4k_batch32_native %llu ns, unmap_4k_single_native %llu ns (per op, TCG)\n",
		t_batch / (reps * 32), t_single / (reps * 32));
out:
	t->l0[2] = 0;
}

static struct page *find_superpage(struct page **junk, unsigned int *nr_junk)
{
	unsigned int try, i;

	for (try = 0; try < 24; try++) {
		struct page *pg = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_ZERO, 9);
		unsigned long m0;

		if (!pg)
			return NULL;
		m0 = pfn_to_mfn(page_to_pfn(pg));
		for (i = 1; i < 512; i++)
			if (pfn_to_mfn(page_to_pfn(pg) + i) != m0 + i)
				break;
		if (i == 512 && !(m0 & 511))
			return pg;
		junk[(*nr_junk)++] = pg;
	}
	return NULL;
}

static void test_main(void)
{
	struct gnttab_v3_query q = { };
	struct xtree t = { }, t2 = { };
	struct page *a, *b, *scratch, *sp = NULL, *junk[24];
	unsigned int nr_junk = 0, i;
	unsigned long va_a, va_b, va_sp;
	grant_handle_t ha, hb, hsp;
	char *pa, *pb;
	u32 nr;
	s16 st;
	int rc;

	rc = HYPERVISOR_grant_table_op(GNTTABOP_v3_query, &q, 1);
	CHECK(!rc && q.status == GNTST_okay && q.version == GNTV3_ABI_VERSION,
	      "GNTTABOP_v3_query: rc %d version %u features %#x max_levels %u max_trees %u",
	      rc, q.version, q.features, q.max_levels, q.max_trees);
	if (rc)
		return;

	a = alloc_page(GFP_KERNEL | __GFP_ZERO);
	b = alloc_page(GFP_KERNEL | __GFP_ZERO);
	scratch = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!a || !b || !scratch || xtree_alloc(&t) || xtree_alloc(&t2)) {
		CHECK(0, "allocations");
		return;
	}
	strscpy(page_address(a), "hello from v3 grant A", PAGE_SIZE);
	strscpy(page_address(b), "read-only v3 grant B", PAGE_SIZE);
	strscpy(page_address(scratch), "scratch page", PAGE_SIZE);

	/* Area layout: [0, 2M-aligned run) 4 KiB slots, then the run. */
	va_sp = ALIGN(area_va + 16 * PAGE_SIZE, PAGE_SIZE << 9);
	va_a = area_va + PAGE_SIZE;
	va_b = area_va + 2 * PAGE_SIZE;
	pa = (char *)va_a;
	pb = (char *)va_b;

	t.l0[0] = leaf_pte(gfn_of(a), GNTV3_SIZE_4K, true);
	t.l0[1] = leaf_pte(gfn_of(b), GNTV3_SIZE_4K, false);
	CHECK(!v3_register(&t, &st) && st == GNTST_okay && t.handle,
	      "register tree 1: handle %u", t.handle);
	CHECK(!v3_register(&t2, &st) && st == GNTST_okay && t2.handle &&
	      t2.handle != t.handle,
	      "register tree 2 to the same grantee: handle %u (ABI 2: trees are not replaced)",
	      t2.handle);

	st = v3_map(&t, 0, GNTV3_SIZE_4K, false, va_a, &ha);
	CHECK(st == GNTST_okay, "map id 0 rw: status %d handle %u", st, ha);
	if (st != GNTST_okay)
		goto out;
	CHECK(!strcmp(pa, "hello from v3 grant A"), "read through the mapping: \"%.24s\"", pa);
	strscpy(pa + 64, "written by the grantee", 64);
	CHECK(!strcmp((char *)page_address(a) + 64, "written by the grantee"),
	      "a write through the mapping reaches the granted page");

	st = v3_map(&t, 1, GNTV3_SIZE_4K, false, va_b, &hb);
	CHECK(st == GNTST_permission_denied, "map read-only leaf rw: GNTST_permission_denied, status %d", st);
	st = v3_map(&t, 1, GNTV3_SIZE_4K, true, va_b, &hb);
	CHECK(st == GNTST_okay && !strcmp(pb, "read-only v3 grant B") && !pte_writable(va_b),
	      "map read-only leaf ro: status %d, \"%.24s\", PTE read-only", st, pb);
	if (st == GNTST_okay)
		CHECK(v3_unmap(va_b, hb) == GNTST_okay, "unmap id 1");

	st = v3_map(&t2, 0, GNTV3_SIZE_4K, true, va_b, &hb);
	CHECK(st == GNTST_bad_gntref, "id 0 of tree 2 (empty) is not id 0 of tree 1: status %d", st);
	{
		struct gnttab_v3_map op = {
			.id = 0, .host_addr = pte_maddr(va_b), .tree = 12345,
			.flags = GNTV3_MAP_HOST | GNTV3_MAP_CONTAINS_PTE |
				 GNTV3_MAP_READONLY,
			.granter = SELF,
		};

		HYPERVISOR_grant_table_op(GNTTABOP_v3_map, &op, 1);
		CHECK(op.status == GNTST_bad_handle, "unknown tree handle: GNTST_bad_handle, status %d",
		      op.status);
	}
	{
		struct gnttab_unmap_grant_ref op = {
			.host_addr = pte_maddr(va_a), .handle = ha,
		};

		HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &op, 1);
		CHECK(op.status == GNTST_bad_handle,
		      "v1 GNTTABOP_unmap_grant_ref of a v3 handle: GNTST_bad_handle, status %d",
		      op.status);
	}

	st = v3_revoke(&t, 0, GNTV3_NO_SCRATCH, 0, &nr);
	CHECK(st == GNTST_eagain, "cooperative revoke while mapped: GNTST_eagain, status %d", st);
	CHECK(v3_unregister(&t) == GNTST_eagain, "unregister while mapped: GNTST_eagain");
	st = v3_revoke(&t, 0, GNTV3_NO_SCRATCH, GNTV3_REVOKE_DOWNGRADE, &nr);
	CHECK(st == GNTST_eagain, "cooperative downgrade while mapped rw: GNTST_eagain, status %d", st);

	/* Forced downgrade: the writable PTE becomes read-only in place. */
	t.l0[0] = (t.l0[0] & ~GNTV3_PTE_WRITE) | GNTV3_PTE_DOWNGRADE;
	st = v3_revoke(&t, 0, 0, GNTV3_REVOKE_DOWNGRADE, &nr);
	CHECK(st == GNTST_okay && nr == 1 && !pte_writable(va_a) &&
	      !strcmp(pa, "hello from v3 grant A"),
	      "forced downgrade: status %d, %u redirected, PTE read-only, still reads the page", st, nr);
	st = v3_revoke(&t, 0, GNTV3_NO_SCRATCH, GNTV3_REVOKE_DOWNGRADE, &nr);
	CHECK(st == GNTST_okay, "cooperative downgrade once no writable mapping is left: status %d", st);

	/* Forced revoke: the PTE moves to the scratch page. */
	t.l0[0] = 0;
	st = v3_revoke(&t, 0, gfn_of(scratch), 0, &nr);
	CHECK(st == GNTST_okay && nr == 1, "forced revoke with a scratch page: status %d, %u redirected",
	      st, nr);
	strscpy(page_address(a), "granter reuses its page", PAGE_SIZE);
	CHECK(!strcmp(pa, "scratch page"),
	      "grantee now reads the scratch page (\"%.24s\") while the granter reuses its page", pa);
	st = v3_revoke(&t, 0, GNTV3_NO_SCRATCH, 0, &nr);
	CHECK(st == GNTST_okay, "cooperative revoke after the forced one: status %d", st);
	CHECK(v3_unmap(va_a, ha) == GNTST_okay, "grantee unmaps the redirected mapping");
	CHECK(v3_unmap(va_a, ha) == GNTST_bad_handle, "a second unmap of the handle: GNTST_bad_handle");

	/* 2 MiB leaf: ids 512..1023 of tree 1 (level 1, entry 1). */
	sp = find_superpage(junk, &nr_junk);
	if (!sp) {
		pr_info("# no machine-contiguous 2 MiB run found in 24 tries: 2 MiB tests skipped\n");
	} else {
		char *last = (char *)va_sp + 511 * PAGE_SIZE;

		strscpy(page_address(sp), "first 4 KiB of the 2 MiB leaf", 64);
		strscpy((char *)page_address(sp) + 511 * PAGE_SIZE, "last 4 KiB of the 2 MiB leaf", 64);
		t.l1[1] = leaf_pte(gfn_of(sp), GNTV3_SIZE_2M, true);
		st = v3_map(&t, 512, GNTV3_SIZE_2M, false, va_sp, &hsp);
		CHECK(st == GNTST_okay, "map a 2 MiB leaf with one request: status %d", st);
		if (st == GNTST_okay) {
			CHECK(!strcmp((char *)va_sp, "first 4 KiB of the 2 MiB leaf") &&
			      !strcmp(last, "last 4 KiB of the 2 MiB leaf"),
			      "read its first and last 4 KiB");
			st = v3_map(&t, 513, GNTV3_SIZE_4K, true, va_b, &hb);
			CHECK(st == GNTST_okay && !strcmp(pb, ""),
			      "map one 4 KiB piece (id 513) of it: status %d", st);
			t.l1[1] = 0;
			st = v3_revoke(&t, 512, gfn_of(scratch), 0, &nr);
			CHECK(st == GNTST_okay && nr == 2 && !strcmp(last, "scratch page") &&
			      !strcmp(pb, "scratch page"),
			      "forced revoke of the 2 MiB leaf: status %d, %u mappings redirected, all read scratch",
			      st, nr);
			CHECK(v3_unmap(va_sp, hsp) == GNTST_okay && v3_unmap(va_b, hb) == GNTST_okay,
			      "unmap both");
		}
		st = v3_map(&t, 512, GNTV3_SIZE_2M, false, va_sp + PAGE_SIZE, &hsp);
		CHECK(st != GNTST_okay, "2 MiB map at a PTE not starting an L1 page: refused");
	}

	test_batch_unmap(&t, a, va_sp + (PAGE_SIZE << 9));

	/* Timings: 4 KiB map+unmap, v3 and v1, and a forced revoke. */
	{
		u64 t0, t1, t2, t3 = 0, t4 = 0;
		grant_ref_t ref;
		unsigned int n = 2000;

		t.l0[0] = leaf_pte(gfn_of(a), GNTV3_SIZE_4K, true);
		t0 = ktime_get_ns();
		for (i = 0; i < n; i++) {
			if (v3_map(&t, 0, GNTV3_SIZE_4K, false, va_a, &ha) != GNTST_okay ||
			    v3_unmap(va_a, ha) != GNTST_okay)
				break;
		}
		t1 = ktime_get_ns();
		CHECK(i == n, "%u v3 map+unmap (4 KiB)", n);

		ref = gnttab_grant_foreign_access(SELF, gfn_of(a), 0);
		t2 = ktime_get_ns();
		for (i = 0; i < n && (int)ref >= 0; i++) {
			struct gnttab_map_grant_ref m = {
				.host_addr = pte_maddr(va_a),
				.flags = GNTMAP_host_map | GNTMAP_contains_pte,
				.ref = ref, .dom = SELF,
			};
			struct gnttab_unmap_grant_ref u = { .host_addr = m.host_addr };

			HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &m, 1);
			if (m.status != GNTST_okay)
				break;
			u.handle = m.handle;
			HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1);
			if (u.status != GNTST_okay)
				break;
		}
		t3 = ktime_get_ns();
		CHECK(i == n, "%u v1 map+unmap (4 KiB), stock path", n);
		if ((int)ref >= 0) {
			gnttab_end_foreign_access_ref(ref);
			gnttab_free_grant_reference(ref);
		}

		for (i = 0; i < 200; i++) {
			u64 s;

			if (v3_map(&t, 0, GNTV3_SIZE_4K, false, va_a, &ha) != GNTST_okay)
				break;
			s = ktime_get_ns();
			st = v3_revoke(&t, 0, gfn_of(scratch), 0, &nr);
			t4 += ktime_get_ns() - s;
			if (st != GNTST_okay || nr != 1 || v3_unmap(va_a, ha) != GNTST_okay)
				break;
		}
		CHECK(i == 200, "200 forced revokes of a mapped 4 KiB grant");
		pr_info("# bench: map_unmap_4k_native %llu ns, map_unmap_4k_v1 %llu ns, revoke_4k_native %llu ns (per op, TCG)\n",
			(t1 - t0) / n, (t3 - t2) / n, t4 / 200);
	}

	t.l0[0] = 0;
	t.l0[1] = 0;
out:
	CHECK(v3_unregister(&t) == GNTST_okay, "unregister tree 1");
	CHECK(v3_unregister(&t2) == GNTST_okay, "unregister tree 2");
	CHECK(v3_unregister(&t2) == GNTST_bad_handle, "unregister tree 2 again: GNTST_bad_handle");

	test_hostile(a);

	xtree_free(&t);
	xtree_free(&t2);
	for (i = 0; i < nr_junk; i++)
		__free_pages(junk[i], 9);
	if (sp)
		__free_pages(sp, 9);
	__free_page(a);
	__free_page(b);
	__free_page(scratch);
}

/* ------------------------------------------------------------------
 * Two-domain commands (xen/test/xdomain-*.sh), one tree and one mapping
 * per domain:  echo "grant D" | "map D H" | "read" | "unmap" | "unregister"
 * > /sys/module/gntv3_xentest/parameters/cmd.  Results go to the kernel
 * log as "XT ..." lines.
 */
static struct xtree xd_tree;
static struct page *xd_page;
static grant_handle_t xd_handle;
static bool xd_mapped;
static DEFINE_MUTEX(xd_lock);

static int xd_cmd(const char *val, const struct kernel_param *kp)
{
	unsigned long va = area_va + 8 * PAGE_SIZE;
	unsigned int d, h;
	s16 st;

	mutex_lock(&xd_lock);
	if (sscanf(val, "grant %u", &d) == 1 && !xd_tree.desc_pg) {
		xd_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!xd_page || xtree_alloc(&xd_tree)) {
			pr_info("XT grant status=-ENOMEM\n");
			goto out;
		}
		snprintf(page_address(xd_page), 64, "granted by this domain to d%u", d);
		xd_tree.desc->grantee = d;
		xd_tree.l0[0] = leaf_pte(gfn_of(xd_page), GNTV3_SIZE_4K, true);
		{
			struct gnttab_v3_register_tree op = {
				.grantee = d, .desc_gfn = gfn_of(xd_tree.desc_pg),
			};

			HYPERVISOR_grant_table_op(GNTTABOP_v3_register_tree, &op, 1);
			xd_tree.handle = op.tree;
			pr_info("XT grant status=%d handle=%u\n", op.status, op.tree);
		}
	} else if (sscanf(val, "map %u %u", &d, &h) == 2 && !xd_mapped) {
		struct gnttab_v3_map op = {
			.id = 0, .host_addr = pte_maddr(va), .tree = h,
			.flags = GNTV3_MAP_HOST | GNTV3_MAP_CONTAINS_PTE,
			.granter = d, .size = GNTV3_SIZE_4K,
		};

		HYPERVISOR_grant_table_op(GNTTABOP_v3_map, &op, 1);
		xd_mapped = op.status == GNTST_okay;
		xd_handle = op.handle;
		pr_info("XT map status=%d text=\"%.40s\"\n", op.status,
			xd_mapped ? (char *)va : "");
	} else if (!strncmp(val, "read", 4) && xd_mapped) {
		pr_info("XT read text=\"%.40s\"\n", (char *)va);
	} else if (!strncmp(val, "unmap", 5) && xd_mapped) {
		st = v3_unmap(va, xd_handle);
		xd_mapped = st != GNTST_okay;
		pr_info("XT unmap status=%d\n", st);
	} else if (!strncmp(val, "unregister", 10) && xd_tree.desc_pg) {
		struct gnttab_v3_unregister_tree op = {
			.grantee = xd_tree.desc->grantee, .tree = xd_tree.handle,
		};

		HYPERVISOR_grant_table_op(GNTTABOP_v3_unregister_tree, &op, 1);
		pr_info("XT unregister status=%d\n", op.status);
	} else {
		pr_info("XT bad command\n");
	}
out:
	mutex_unlock(&xd_lock);
	return 0;
}

static const struct kernel_param_ops xd_cmd_ops = { .set = xd_cmd };
module_param_cb(cmd, &xd_cmd_ops, NULL, 0200);

static int __init xentest_init(void)
{
	struct page **pages;
	unsigned int i;

	if (!xen_pv_domain())
		return -ENODEV;
	dummy = alloc_page(GFP_KERNEL | __GFP_ZERO);
	pages = kcalloc(AREA_PAGES, sizeof(*pages), GFP_KERNEL);
	if (!dummy || !pages)
		return -ENOMEM;
	for (i = 0; i < AREA_PAGES; i++)
		pages[i] = dummy;
	area = vmap(pages, AREA_PAGES, VM_MAP, PAGE_KERNEL);
	kfree(pages);
	if (!area)
		return -ENOMEM;
	area_va = (unsigned long)area;

	if (selftest) {
		pr_info("TAP version 13\n");
		test_main();
		pr_info("done: %u passed, %u failed\n", nr_ok, nr_fail);
	}
	return 0;
}

static void __exit xentest_exit(void)
{
	vunmap(area);
	__free_page(dummy);
}

module_init(xentest_init);
module_exit(xentest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gntv3 prototype hypervisor tests (PV dom0, self-grant)");
