// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3_bench: gntv3 against the stock Linux grant API, in one PV dom0.
 *
 * Runs at insmod and prints, with pr_info(), a table of median ns per 4 KiB
 * page (per grant for the revoke rows) and one line per row:
 *
 *	bench: <row> gntv3=<ns> stock=<ns> ratio=<r> min=<a> max=<b> rounds=<n>
 *
 * gntv3= and stock= are each side's median; ratio= is NOT their quotient
 * but the median of the per-repetition ratios gntv3 / stock (the two sides
 * of a repetition run back to back, A B A B), min= and max= the extremes
 * of those ratios (bench_stats.c): a slow stretch of the host slows both
 * sides of the repetitions it hits and cancels in their ratios.
 *
 * Everything is granted to our own domain (dom0 loopback, as the
 * kselftests do), so both sides make the very same hypercalls on the very
 * same grant entries.  Each row runs BENCH_WARMUP untimed repetitions, then
 * @reps timed ones; gntv3 and stock alternate which goes first in each
 * repetition, so that a disturbance (other VMs on the host) hits both.
 *
 * What each row times, per side (ending a grant is never timed: both sides
 * end every grant with gnttab_try_end_foreign_access() after the timed
 * region, gntv3 inside gntv3_end_grant()):
 *
 *  grant_4k	  512 single 4 KiB grants, divided by 512.  gntv3:
 *		  gntv3_grant_page() (id allocation, grant record, page
 *		  reference, the v1 entry, the tree leaf).  stock:
 *		  gnttab_grant_foreign_access() (reference allocation, entry).
 *  grant_2m	  one 2 MiB folio, divided by 512.  gntv3: gntv3_grant_folio()
 *		  of the order-9 folio (one run of 512 v1 entries, one leaf).
 *		  stock: gnttab_grant_foreign_access() of its 512 pages.
 *  map_unmap_N	  N = 1, 16, 512 single-page grants (gntv3 ids, and the v1
 *		  references their leaves hold), mapped with one call and
 *		  unmapped with one call, divided by N.  gntv3: gntv3_map() of
 *		  the N ids (resolving them in the tree, taking pages from the
 *		  attachment's page cache, gnttab_map_refs()) and
 *		  gntv3_unmap_batch() (idle check, gnttab_unmap_refs(), pages
 *		  back to the cache); the attachment is made once, outside.
 *		  stock: gnttab_alloc_pages(), gnttab_map_refs(),
 *		  gnttab_unmap_refs(), gnttab_free_pages(), with op arrays
 *		  allocated once, outside.  Getting pages to map into is timed
 *		  on both sides: it is part of mapping a grant, and gntv3
 *		  caches them as xen-blkback does.  The stock page allocation
 *		  is also timed on its own (s.pool), and each map row gets a
 *		  second line, <row>_nopool, whose stock column leaves it out:
 *		  gntv3 against a stock user whose pages cost nothing.
 *  map_unmap_2m  the same for one 2 MiB grant: gntv3 maps its id as one
 *		  request; stock maps the 512 v1 references of its leaf in
 *		  one gnttab_map_refs() call.
 *  revoke_4k	  ns per grant, not per page, and the two columns time
 *  revoke_2m	  different things.  gntv3: the revoke round trip of one
 *		  mapped 4 KiB (2 MiB) grant, the whole gntv3_revoke() call:
 *		  the leaf marked revoked, the REVOKE request on the ring, the
 *		  backend's revoke handler unmapping (gntv3_unmap_async(), as
 *		  /dev/gntv3's does), the ACK, the grant ended.  The frontend
 *		  and the backend are connected through xenstore in this same
 *		  dom0 (gntv3_front_connect(), gntv3_back_connect()), so the
 *		  run needs xenstored; granting and mapping before each revoke
 *		  are not timed.  stock: a plain map+unmap of the same size
 *		  with the stock API, as in map_unmap_1 (map_unmap_2m), from
 *		  the same run: ratio = revoke round trip / map+unmap.
 *
 * Then the memory rows, no timings, measured by gntv3's own gauges (never
 * from sizeof here), one line each:
 *
 *	bench: mem_tree_<g> bytes=<b> granted=<g> per_granted=1/<n> target=1/500 ok|over
 *	bench: mem_map_<n> bytes_per_mapping=<b> mappings=<m> target=64 ok|over
 *
 *  mem_tree_4k	  the frontend's own memory per granted byte: a fresh tree
 *  mem_tree_2m	  given 512 single 4 KiB grants (4k), one 2 MiB folio (2m)
 *  mem_tree_4k_8192  or 8192 4 KiB grants (@pages 16 times over); bytes =
 *		  growth of gntv3_front_get_stats()'s table_bytes (table
 *		  pages and their shadow) + record_bytes (the grant records
 *		  at their kmalloc bucket's size); ok when bytes * 500 <=
 *		  granted.  The grants are ended and record_bytes must come
 *		  back.
 *  mem_map_N	  gntv3's tracking per live mapping: gntv3_map() of 1 or 512
 *  mem_map_2m	  of the map rows' 4 KiB grants, or of their 2 MiB grant (one
 *		  mapping; native: its 512 ids), on @back; bytes = growth of
 *		  gntv3_get_mem_stats()'s map_tracking_bytes (each mapping's
 *		  object at its slab's real size, and its arrays), per
 *		  mapping; ok when at most 64.  Once unmapped the gauge must
 *		  come back.
 *
 * On the native transport (the project's prototype v3 hypervisor, see
 * Documentation/gntv3/native.rst; make bench loads this module there with
 * transport=native suffix=_native, and then every row name ends in
 * @suffix) the stock side is the same v1 grant API on that hypervisor, and
 * the gntv3 side makes the native hypercalls instead:
 *
 *  grant_4k	  gntv3: the id, the grant record and the tree leaf (a frame
 *		  number, no v1 entry); no hypercall.
 *  grant_2m	  gntv3: one 2 MiB leaf if the folio happens to be
 *		  machine-contiguous, else 512 4 KiB leaves under the same
 *		  ids (the split); no hypercall.
 *  map_unmap_N	  gntv3: one GNTTABOP_v3_map of the N ids (the hypervisor
 *		  walks the tree), one GNTTABOP_v3_unmap call for them all.  The
 *		  leaves hold no v1 reference: stock maps v1 grants of its own
 *		  of the same pages, made once, outside.
 *  map_unmap_2m  gntv3: one gntv3_map() of the grant's 512 ids, each mapped
 *		  as its 4 KiB piece (the native grantee does not know a
 *		  leaf's size); stock: the 512 v1 references of its own
 *		  grants of the folio's pages.
 *  revoke_4k	  gntv3: still the round trip: the leaf marked revoked, the
 *		  REVOKE request on the ring, the backend's handler unmapping
 *		  (GNTTABOP_v3_unmap), the ACK, the grant ended with a
 *		  cooperative GNTTABOP_v3_revoke.  gntv3_revoke() forces a
 *		  revoke only when the backend does not answer.
 *  revoke_4k_forced  native only: gntv3_revoke() of a mapped 4 KiB grant of
 *		  a second tree that has no connection, so no request can be
 *		  sent: the leaf marked revoked, one GNTTABOP_v3_revoke with
 *		  the scratch page (the backend's mapping now maps it), the
 *		  grant ended; the returned GNTV3_REVOKE_DEAD is expected.
 *		  The backend's later unmap is not timed.  stock: map+unmap,
 *		  as in revoke_4k.
 *  revoke_2m	  not run: a native backend maps a 2 MiB grant by its 512
 *		  ids, and this row maps one.
 *
 * On both transports, last:
 *
 *  map_unmap_1_cached, map_unmap_512_cached  map_unmap_N through the
 *		  connected attachment with GNTV3_MAP_F_CACHE: the unmap
 *		  leaves the mappings in the attachment's mapping cache
 *		  (drivers/xen/gntv3/cache.c), and after the warm-up every
 *		  timed map finds its ids there: no hypercall, no tree walk.
 *		  stock: the same stock map+unmap as map_unmap_N, which has
 *		  no such cache (xen-blkback's persistent grants are the
 *		  driver's own).  The cache bound (back_map_cache_pages,
 *		  1024 by default) must hold 512 pages.
 *
 * Any failing call prints "bench: FAILED <what>" and fails the insmod with
 * its errno: a benchmark of failing calls would measure nothing.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/gntv3.h>
#include <xen/grant_table.h>
#include <xen/page.h>

#include "bench_stats.h"

static unsigned int reps = 51;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "Timed repetitions per row; the median is reported (default 51)");

static char *transport;
module_param(transport, charp, 0444);
MODULE_PARM_DESC(transport, "Fail unless gntv3 uses this transport (v1 or native; default: either)");

static char *suffix = "";
module_param(suffix, charp, 0444);
MODULE_PARM_DESC(suffix, "Appended to every row name of the \"bench:\" lines (e.g. _native)");

#define BENCH_WARMUP	3
#define BENCH_PAGES	512		/* the largest batch */
#define BENCH_ORDER_2M	9
#define BENCH_SELF	0		/* dom0 grants to itself */
#define BENCH_MAX_REPS	10000
#define BENCH_FIRST_MAP_ROW	2	/* rows before it need no attachment */
#define BENCH_FIRST_REVOKE_ROW	6	/* rows from it on need the connection */
#define BENCH_FORCED_ROW	8	/* needs the unconnected tree (native) */
#define BENCH_DEVID		3	/* our connection's xenstore directory */
#define BENCH_CONNECT_MS	10000	/* to connect through xenstore */
#define BENCH_REVOKE_MS		5000	/* for the backend's ACK */
#define BENCH_MEM_MANY		8192	/* 4 KiB grants of mem_tree_4k_8192 */
#define BENCH_MEM_TREE_TARGET	500	/* tree memory <= granted / 500 */
#define BENCH_MEM_MAP_TARGET	64	/* bytes of tracking per mapping */

enum bench_side { SIDE_GNTV3, SIDE_STOCK, NR_SIDES };

/* the transports a row runs on (struct bench_row.on) */
#define BENCH_ON_V1	BIT(0)
#define BENCH_ON_NATIVE	BIT(1)
#define BENCH_ON_BOTH	(BENCH_ON_V1 | BENCH_ON_NATIVE)

/*
 * A repetition's times in ns: the grant or map, the unmap, and (stock map
 * rows only) the gnttab_alloc_pages() + gnttab_free_pages() part of both.
 */
enum bench_part { PART_FIRST, PART_UNMAP, PART_POOL, NR_PARTS };

/**
 * struct bench - state of the whole run
 * @native: gntv3 uses the native transport (else v1)
 * @front: the tree all gntv3 grants go into
 * @back: our attachment to @front (map rows only)
 * @pages: BENCH_PAGES order-0 pages to grant
 * @folio: an order-9 folio to grant
 * @granted: @pages are granted with gntv3 under @first (map rows)
 * @first: id of @pages[0]; @pages[i] has id @first + i
 * @folio_id: id of @folio while granted with gntv3 (map rows)
 * @folio_granted: @folio is granted under @folio_id
 * @refs: v1 references of the gntv3 grants of @pages (map rows; native:
 *	stock grants of @pages), or of the stock grants of a grant row
 * @refs_2m: v1 references of the 512 pages of @folio's gntv3 grant
 *	(native: stock grants of them)
 * @nr_srefs: native: how many of @refs are stock grants of the map rows
 * @nr_srefs_2m: native: how many of @refs_2m are stock grants
 * @ids: ids to map
 * @maps: gntv3 mappings
 * @results: per mapping results of gntv3_unmap_batch()
 * @tpages: target pages of a stock map
 * @mops: stock map ops
 * @uops: stock unmap ops
 * @leaked: a stock page is still granted or mapped: never freed
 * @cback: our attachment to @front through its connection (revoke rows)
 * @rpage: the page a revoke_4k repetition grants, maps and revokes
 * @rfolio: the order-9 folio of revoke_2m
 * @rlock: protects @rmap against the revoke handler
 * @rmap: the mapping the next revoke must make the handler unmap
 * @rdone: completed when that unmap finished
 * @rresult: its result
 * @ffront: native: a tree with no connection, for revoke_4k_forced
 * @fback: native: our attachment to @ffront
 * @t: per side and part, @reps samples in ns
 * @gs: @reps gntv3 totals of one row, paired with @ss
 * @ss: @reps stock totals of the same repetitions
 * @scratch: @reps samples to sort
 */
struct bench {
	bool native;
	struct gntv3_front *front;
	struct gntv3_back *back;
	struct page *pages[BENCH_PAGES];
	struct folio *folio;
	bool granted;
	gntv3_id_t first;
	gntv3_id_t folio_id;
	bool folio_granted;
	grant_ref_t refs[BENCH_PAGES];
	grant_ref_t refs_2m[BENCH_PAGES];
	unsigned int nr_srefs;
	unsigned int nr_srefs_2m;
	gntv3_id_t ids[BENCH_PAGES];
	struct gntv3_mapping *maps[BENCH_PAGES];
	int results[BENCH_PAGES];
	struct page *tpages[BENCH_PAGES];
	struct gnttab_map_grant_ref mops[BENCH_PAGES];
	struct gnttab_unmap_grant_ref uops[BENCH_PAGES];
	bool leaked;
	struct gntv3_back *cback;
	struct page *rpage;
	struct folio *rfolio;
	struct mutex rlock;	/* see @rlock above */
	struct gntv3_mapping *rmap;
	struct completion rdone;
	int rresult;
	struct gntv3_front *ffront;
	struct gntv3_back *fback;
	u64 *t[NR_SIDES][NR_PARTS];
	u64 *gs;
	u64 *ss;
	u64 *scratch;
};

/* One repetition of one side of a row: fills @t[NR_PARTS] or fails. */
typedef int (*bench_fn)(struct bench *b, unsigned int nr, u64 *t);

/**
 * struct bench_row - one line of the table
 * @name: row name of the "bench:" line
 * @nr: 4 KiB pages per repetition (the divisor)
 * @map: a map row: map and unmap are timed apart
 * @on: BENCH_ON_* transports the row runs on
 * @gntv3: one gntv3 repetition
 * @stock: one stock repetition
 */
struct bench_row {
	const char *name;
	unsigned int nr;
	bool map;
	unsigned int on;
	bench_fn gntv3;
	bench_fn stock;
};

static int bench_failed(const char *what, int rc)
{
	pr_info("bench: FAILED %s (%d)\n", what, rc);
	return rc;
}

static unsigned long bench_kaddr(struct page *page)
{
	return (unsigned long)pfn_to_kaddr(page_to_pfn(page));
}

/* ---- grant rows ---- */

/* End @nr gntv3 grants; 1 (quarantined) means a mapping was left over. */
static int bench_gntv3_end(struct bench *b, const gntv3_id_t *ids,
			   unsigned int nr)
{
	unsigned int i;
	int rc, ret = 0;

	for (i = 0; i < nr; i++) {
		rc = gntv3_end_grant(b->front, ids[i]);
		if (rc && !ret)
			ret = bench_failed("gntv3_end_grant", rc > 0 ? -EBUSY : rc);
	}
	return ret;
}

/* End @nr stock grants; a page whose grant did not end is leaked. */
static int bench_stock_end(struct bench *b, unsigned int nr)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < nr; i++) {
		if (!gnttab_try_end_foreign_access(b->refs[i])) {
			b->leaked = true;
			if (!ret)
				ret = bench_failed("gnttab_try_end_foreign_access",
						   -EBUSY);
		}
	}
	return ret;
}

static int bench_gntv3_grant_4k(struct bench *b, unsigned int nr, u64 *t)
{
	unsigned int i;
	u64 t0, t1;
	int rc = 0;

	t0 = ktime_get_ns();
	for (i = 0; i < BENCH_PAGES && !rc; i++)
		rc = gntv3_grant_page(b->front, b->pages[i], 0, &b->ids[i]);
	t1 = ktime_get_ns();
	if (rc) {
		bench_gntv3_end(b, b->ids, i - 1);
		return bench_failed("gntv3_grant_page", rc);
	}
	t[PART_FIRST] = t1 - t0;
	return bench_gntv3_end(b, b->ids, BENCH_PAGES);
}

static int bench_gntv3_grant_2m(struct bench *b, unsigned int nr, u64 *t)
{
	u64 t0, t1;
	int rc;

	t0 = ktime_get_ns();
	rc = gntv3_grant_folio(b->front, b->folio, 0, &b->ids[0]);
	t1 = ktime_get_ns();
	if (rc)
		return bench_failed("gntv3_grant_folio", rc);
	t[PART_FIRST] = t1 - t0;
	return bench_gntv3_end(b, b->ids, 1);
}

/* Stock: BENCH_PAGES single grants of @pages or of @folio's pages. */
static int bench_stock_grant(struct bench *b, bool folio, u64 *t)
{
	struct page *page;
	unsigned int i;
	u64 t0, t1;
	int ref = 0;

	t0 = ktime_get_ns();
	for (i = 0; i < BENCH_PAGES && ref >= 0; i++) {
		page = folio ? folio_page(b->folio, i) : b->pages[i];
		ref = gnttab_grant_foreign_access(BENCH_SELF,
						  xen_page_to_gfn(page), 0);
		b->refs[i] = ref;
	}
	t1 = ktime_get_ns();
	if (ref < 0) {
		bench_stock_end(b, i - 1);
		return bench_failed("gnttab_grant_foreign_access", ref);
	}
	t[PART_FIRST] = t1 - t0;
	return bench_stock_end(b, BENCH_PAGES);
}

static int bench_stock_grant_4k(struct bench *b, unsigned int nr, u64 *t)
{
	return bench_stock_grant(b, false, t);
}

static int bench_stock_grant_2m(struct bench *b, unsigned int nr, u64 *t)
{
	return bench_stock_grant(b, true, t);
}

/* ---- map rows ---- */

static void bench_unmap_done(struct gntv3_mapping *map, int result, void *data)
{
	/* only for pages still in use, which the bench never holds */
	pr_info("gntv3_bench: late unmap of id %llu: %d\n", map->id, result);
}

/*
 * The outcome of gntv3_unmap_batch() of @nr mappings, which returned @rc:
 * 0 if it and every mapping's result are 0.
 */
static int bench_unmap_checked(struct bench *b, unsigned int nr, int rc)
{
	unsigned int i;

	if (rc)
		return bench_failed("gntv3_unmap_batch", rc);
	for (i = 0; i < nr; i++)
		if (b->results[i])
			return bench_failed("gntv3_unmap_batch result",
					    b->results[i]);
	return 0;
}

/*
 * gntv3: map @nr_ids ids of @back in one call with @flags, unmap them in
 * one call
 */
static int bench_gntv3_map_on(struct bench *b, struct gntv3_back *back,
			      unsigned int flags, unsigned int nr_ids, u64 *t)
{
	u64 t0, t1, t2;
	int rc;

	t0 = ktime_get_ns();
	rc = gntv3_map(back, b->ids, nr_ids, flags, b->maps);
	t1 = ktime_get_ns();
	if (rc)
		return bench_failed("gntv3_map", rc);
	rc = gntv3_unmap_batch(b->maps, nr_ids, bench_unmap_done, NULL,
			       b->results);
	t2 = ktime_get_ns();
	rc = bench_unmap_checked(b, nr_ids, rc);
	if (rc)
		return rc;
	t[PART_FIRST] = t1 - t0;
	t[PART_UNMAP] = t2 - t1;
	return 0;
}

static int bench_gntv3_map(struct bench *b, unsigned int nr_ids, u64 *t)
{
	return bench_gntv3_map_on(b, b->back, 0, nr_ids, t);
}

static int bench_gntv3_map_4k(struct bench *b, unsigned int nr, u64 *t)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		b->ids[i] = b->first + i;
	return bench_gntv3_map(b, nr, t);
}

/*
 * The same through the connected attachment, with the mapping cache: the
 * warm-up repetitions fill it, the timed ones find every id there.
 */
static int bench_gntv3_map_cached(struct bench *b, unsigned int nr, u64 *t)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		b->ids[i] = b->first + i;
	return bench_gntv3_map_on(b, b->cback, GNTV3_MAP_F_CACHE, nr, t);
}

static int bench_gntv3_map_2m(struct bench *b, unsigned int nr, u64 *t)
{
	unsigned int i;

	/*
	 * The native grantee maps an id as its 4 KiB piece, whatever the
	 * leaf's size: a backend maps a 2 MiB grant by its 512 ids.
	 */
	if (b->native) {
		for (i = 0; i < BENCH_PAGES; i++)
			b->ids[i] = b->folio_id + i;
		return bench_gntv3_map(b, BENCH_PAGES, t);
	}
	b->ids[0] = b->folio_id;
	return bench_gntv3_map(b, 1, t);
}

/*
 * Undo a stock map that did not fully succeed, op by op; a page that cannot
 * be unmapped is leaked with all the others (b->leaked).
 */
static void bench_stock_unwind(struct bench *b, unsigned int nr)
{
	struct gnttab_unmap_grant_ref op;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (b->mops[i].status != GNTST_okay)
			continue;
		gnttab_set_unmap_op(&op, bench_kaddr(b->tpages[i]),
				    GNTMAP_host_map, b->mops[i].handle);
		if (gnttab_unmap_refs(&op, NULL, &b->tpages[i], 1) ||
		    op.status != GNTST_okay)
			b->leaked = true;
	}
	if (!b->leaked)
		gnttab_free_pages(nr, b->tpages);
}

/* stock: map @refs[0 .. @nr) in one call, unmap them in one call */
static int bench_stock_map(struct bench *b, const grant_ref_t *refs,
			   unsigned int nr, u64 *t)
{
	u64 t0, ta, t1, tu, t2;
	unsigned int i;
	int rc;

	t0 = ktime_get_ns();
	rc = gnttab_alloc_pages(nr, b->tpages);
	if (rc)
		return bench_failed("gnttab_alloc_pages", rc);
	ta = ktime_get_ns();
	for (i = 0; i < nr; i++)
		gnttab_set_map_op(&b->mops[i], bench_kaddr(b->tpages[i]),
				  GNTMAP_host_map, refs[i], BENCH_SELF);
	rc = gnttab_map_refs(b->mops, NULL, b->tpages, nr);
	for (i = 0; !rc && i < nr; i++)
		if (b->mops[i].status != GNTST_okay)
			rc = -EIO;
	t1 = ktime_get_ns();
	if (rc) {
		bench_stock_unwind(b, nr);
		return bench_failed("gnttab_map_refs", rc);
	}
	for (i = 0; i < nr; i++)
		gnttab_set_unmap_op(&b->uops[i], bench_kaddr(b->tpages[i]),
				    GNTMAP_host_map, b->mops[i].handle);
	rc = gnttab_unmap_refs(b->uops, NULL, b->tpages, nr);
	for (i = 0; !rc && i < nr; i++)
		if (b->uops[i].status != GNTST_okay)
			rc = -EIO;
	if (rc) {
		/* some pages may still be mapped: never free them */
		b->leaked = true;
		return bench_failed("gnttab_unmap_refs", rc);
	}
	tu = ktime_get_ns();
	gnttab_free_pages(nr, b->tpages);
	t2 = ktime_get_ns();
	t[PART_FIRST] = t1 - t0;
	t[PART_UNMAP] = t2 - t1;
	t[PART_POOL] = (ta - t0) + (t2 - tu);
	return 0;
}

static int bench_stock_map_4k(struct bench *b, unsigned int nr, u64 *t)
{
	return bench_stock_map(b, b->refs, nr, t);
}

static int bench_stock_map_2m(struct bench *b, unsigned int nr, u64 *t)
{
	return bench_stock_map(b, b->refs_2m, BENCH_PAGES, t);
}

/* ---- revoke rows ---- */

static void bench_revoke_unmapped(struct gntv3_mapping *map, int result,
				  void *data)
{
	struct bench *b = data;

	b->rresult = result;
	complete(&b->rdone);
}

/*
 * The backend's revoke handler, as /dev/gntv3's: start the safe unmap of
 * the mapping the request covers; gntv3 ACKs once it is gone.
 */
static void bench_revoke_handler(struct gntv3_back *back, gntv3_id_t first,
				 u64 nr_ids, bool downgrade, void *data)
{
	struct bench *b = data;
	struct gntv3_mapping *map;

	mutex_lock(&b->rlock);
	map = b->rmap;
	if (map && map->id < first + nr_ids && first < map->id + map->nr_pages) {
		b->rmap = NULL;
		if (gntv3_unmap_async(map, bench_revoke_unmapped, b))
			b->rmap = map;	/* the revoke then times out */
	}
	mutex_unlock(&b->rlock);
}

/* A revoke that was not carried out: take our mapping back, report. */
static int bench_revoke_failed(struct bench *b, int rc)
{
	struct gntv3_mapping *map;

	mutex_lock(&b->rlock);
	map = b->rmap;
	b->rmap = NULL;
	mutex_unlock(&b->rlock);
	if (map && gntv3_unmap_sync(map))
		b->leaked = true;
	return bench_failed("gntv3_revoke", rc);
}

/* gntv3: grant and map (untimed), then time the revoke round trip */
static int bench_gntv3_revoke(struct bench *b, bool big, u64 *t)
{
	struct gntv3_mapping *map;
	gntv3_id_t id;
	u64 t0, t1;
	int rc;

	rc = big ? gntv3_grant_folio(b->front, b->rfolio, 0, &id) :
		   gntv3_grant_page(b->front, b->rpage, 0, &id);
	if (rc)
		return bench_failed("gntv3_grant for revoke", rc);
	rc = gntv3_map(b->cback, &id, 1, 0, &map);
	if (rc) {
		bench_gntv3_end(b, &id, 1);
		return bench_failed("gntv3_map for revoke", rc);
	}
	reinit_completion(&b->rdone);
	b->rresult = -EINPROGRESS;
	mutex_lock(&b->rlock);
	b->rmap = map;
	mutex_unlock(&b->rlock);

	t0 = ktime_get_ns();
	rc = gntv3_revoke(b->front, id, 0, BENCH_REVOKE_MS);
	t1 = ktime_get_ns();
	if (rc != GNTV3_REVOKE_DONE)
		return bench_revoke_failed(b, rc < 0 ? rc : -ETIMEDOUT);
	/* the ACK means the mapping is gone; its callback may still run */
	if (!wait_for_completion_timeout(&b->rdone,
					 msecs_to_jiffies(BENCH_REVOKE_MS)))
		return bench_failed("revoke handler unmap", -ETIMEDOUT);
	if (b->rresult)
		return bench_failed("revoke handler unmap", b->rresult);
	t[PART_FIRST] = t1 - t0;
	return 0;
}

static int bench_gntv3_revoke_4k(struct bench *b, unsigned int nr, u64 *t)
{
	return bench_gntv3_revoke(b, false, t);
}

static int bench_gntv3_revoke_2m(struct bench *b, unsigned int nr, u64 *t)
{
	return bench_gntv3_revoke(b, true, t);
}

/*
 * Native only: gntv3_revoke() of a mapped 4 KiB grant of a tree that has no
 * connection.  No request can be sent, so it ends in the forced revoke:
 * GNTTABOP_v3_revoke with the scratch page, then the grant ended.  Our
 * mapping then maps the scratch page; its unmap is not timed.
 */
static int bench_gntv3_revoke_forced(struct bench *b, unsigned int nr, u64 *t)
{
	struct gntv3_front_stats st;
	struct gntv3_mapping *map;
	gntv3_id_t id;
	u64 t0, t1;
	int rc, err;

	rc = gntv3_grant_page(b->ffront, b->rpage, 0, &id);
	if (rc)
		return bench_failed("gntv3_grant for forced revoke", rc);
	rc = gntv3_map(b->fback, &id, 1, 0, &map);
	if (rc) {
		gntv3_end_grant(b->ffront, id);
		return bench_failed("gntv3_map for forced revoke", rc);
	}

	t0 = ktime_get_ns();
	rc = gntv3_revoke(b->ffront, id, 0, BENCH_REVOKE_MS);
	t1 = ktime_get_ns();

	gntv3_front_get_stats(b->ffront, &st);
	err = gntv3_unmap_sync(map);
	if (rc != GNTV3_REVOKE_DEAD)
		return bench_failed("forced gntv3_revoke", rc < 0 ? rc : -EPROTO);
	/* not forced: the grant waits in quarantine for our unmap */
	if (st.nr_quarantined)
		return bench_failed("forced gntv3_revoke quarantined", -EBUSY);
	if (err)
		return bench_failed("gntv3_unmap_sync after forced revoke", err);
	t[PART_FIRST] = t1 - t0;
	return 0;
}

/* ---- memory rows ---- */

/* Tree memory of @front: its tables (pages and shadow) and grant records. */
static void bench_tree_mem(struct gntv3_front *front, u64 *tables, u64 *recs)
{
	struct gntv3_front_stats st;

	gntv3_front_get_stats(front, &st);
	*tables = st.table_bytes;
	*recs = st.record_bytes;
}

/*
 * Grant into @front, a fresh tree: @nr_4k single 4 KiB grants (of @pages,
 * again and again), or with @nr_4k 0 the 2 MiB folio @rfolio.  Fills @ids.
 */
static int bench_mem_grant(struct bench *b, struct gntv3_front *front,
			   unsigned int nr_4k, gntv3_id_t *ids,
			   unsigned int *nr_ids)
{
	unsigned int i;
	int rc = 0;

	*nr_ids = 0;
	if (!nr_4k) {
		rc = gntv3_grant_folio(front, b->rfolio, 0, &ids[0]);
		if (rc)
			return bench_failed("gntv3_grant_folio (memory)", rc);
		*nr_ids = 1;
		return 0;
	}
	for (i = 0; i < nr_4k; i++) {
		rc = gntv3_grant_page(front, b->pages[i % BENCH_PAGES], 0,
				      &ids[i]);
		if (rc)
			return bench_failed("gntv3_grant_page (memory)", rc);
		*nr_ids = i + 1;
		if (i % BENCH_PAGES == BENCH_PAGES - 1)
			cond_resched();
	}
	return 0;
}

/*
 * One tree row: a fresh tree, what it holds before and after granting
 * @nr_4k 4 KiB pages (0: one 2 MiB folio), diffed: tables (table_bytes:
 * their pages and the granter's shadow of them) and grant records
 * (record_bytes, their real slab size), as gntv3_front_get_stats() reports
 * them.  The grants are ended and the tree destroyed; the records must all
 * be gone again.
 */
static int bench_mem_tree(struct bench *b, const char *name,
			  unsigned int nr_4k)
{
	u64 t0, r0, t1, r1, over, granted, t2, r2;
	struct gntv3_front *front;
	unsigned int nr_ids, i;
	gntv3_id_t *ids;
	int rc, err;

	ids = kvcalloc(max(nr_4k, 1U), sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return bench_failed("memory for ids", -ENOMEM);
	front = gntv3_front_create(BENCH_SELF);
	if (IS_ERR(front)) {
		kvfree(ids);
		return bench_failed("gntv3_front_create (memory)",
				    PTR_ERR(front));
	}
	bench_tree_mem(front, &t0, &r0);
	rc = bench_mem_grant(b, front, nr_4k, ids, &nr_ids);
	bench_tree_mem(front, &t1, &r1);
	for (i = 0; i < nr_ids; i++) {
		err = gntv3_end_grant(front, ids[i]);
		if (err && !rc)
			rc = bench_failed("gntv3_end_grant (memory)",
					  err > 0 ? -EBUSY : err);
	}
	bench_tree_mem(front, &t2, &r2);
	err = gntv3_front_destroy(front);
	if (err && !rc)
		rc = bench_failed("gntv3_front_destroy (memory)", err);
	kvfree(ids);
	if (rc)
		return rc;
	/* a gauge that does not come back is no measurement */
	if (r2 != r0)
		return bench_failed("record_bytes after ending every grant",
				    -EPROTO);

	over = (t1 - t0) + (r1 - r0);
	granted = (nr_4k ? nr_4k : BIT(BENCH_ORDER_2M)) * (u64)PAGE_SIZE;
	if (!over)
		return bench_failed("no tree memory measured", -EPROTO);
	pr_info("gntv3_bench: %-16s %9llu %9llu %9llu %9u %9llu\n", name,
		granted, t1 - t0, r1 - r0, nr_ids,
		div_u64(over + nr_ids / 2, nr_ids));
	pr_info("bench: %s%s bytes=%llu granted=%llu per_granted=1/%llu target=1/%u %s\n",
		name, suffix, over, granted, div64_u64(granted, over),
		BENCH_MEM_TREE_TARGET,
		over * BENCH_MEM_TREE_TARGET <= granted ? "ok" : "over");
	return 0;
}

/*
 * One mapping row: gntv3_map() of @nr_ids ids of the map rows' grants on
 * the attachment @b->back, and the module-wide gauge of the mappings'
 * memory (gntv3_get_mem_stats(): each mapping's object at its slab's real
 * size, and its arrays) before and after, diffed, per mapping.  Nothing
 * else maps meanwhile; once unmapped, the gauge must be back.
 */
static int bench_mem_map(struct bench *b, const char *name, bool big,
			 unsigned int nr_ids)
{
	struct gntv3_mem_stats m0, m1, m2;
	unsigned int i, nr_pages = 0;
	u64 bytes, per;
	int rc;

	for (i = 0; i < nr_ids; i++)
		b->ids[i] = big ? b->folio_id + (b->native ? i : 0) :
				  b->first + i;
	gntv3_get_mem_stats(&m0);
	rc = gntv3_map(b->back, b->ids, nr_ids, 0, b->maps);
	if (rc)
		return bench_failed("gntv3_map (memory)", rc);
	gntv3_get_mem_stats(&m1);
	for (i = 0; i < nr_ids; i++)
		nr_pages += b->maps[i]->nr_pages;
	rc = bench_unmap_checked(b, nr_ids,
				 gntv3_unmap_batch(b->maps, nr_ids,
						   bench_unmap_done, NULL,
						   b->results));
	if (rc)
		return rc;
	gntv3_get_mem_stats(&m2);
	if (m2.map_tracking_bytes != m0.map_tracking_bytes)
		return bench_failed("map_tracking_bytes after unmapping",
				    -EPROTO);

	bytes = m1.map_tracking_bytes - m0.map_tracking_bytes;
	if (!bytes)
		return bench_failed("no mapping memory measured", -EPROTO);
	per = div_u64(bytes + nr_ids / 2, nr_ids);
	pr_info("gntv3_bench: %-16s %9u %9u %9llu %9llu %9llu\n", name,
		nr_ids, nr_pages, bytes, per,
		div_u64(bytes + nr_pages / 2, nr_pages));
	pr_info("bench: %s%s bytes_per_mapping=%llu mappings=%u target=%u %s\n",
		name, suffix, per, nr_ids, BENCH_MEM_MAP_TARGET,
		per <= BENCH_MEM_MAP_TARGET ? "ok" : "over");
	return 0;
}

/* The memory rows, after the map rows (they need their grants). */
static int bench_mem_rows(struct bench *b)
{
	int rc;

	pr_info("gntv3_bench: memory rows: the tree's own memory (table pages + grant records, of a fresh tree) per granted byte, target 1/%u; gntv3's tracking per live mapping (object + arrays), target %u B\n",
		BENCH_MEM_TREE_TARGET, BENCH_MEM_MAP_TARGET);
	pr_info("gntv3_bench: %-16s %9s %9s %9s %9s %9s\n", "row", "granted",
		"tables", "records", "grants", "per_grant");
	rc = bench_mem_tree(b, "mem_tree_4k", BENCH_PAGES);
	if (!rc)
		rc = bench_mem_tree(b, "mem_tree_2m", 0);
	if (!rc)
		rc = bench_mem_tree(b, "mem_tree_4k_8192", BENCH_MEM_MANY);
	if (rc)
		return rc;
	pr_info("gntv3_bench: %-16s %9s %9s %9s %9s %9s\n", "row", "mappings",
		"pages", "bytes", "per_map", "per_page");
	rc = bench_mem_map(b, "mem_map_1", false, 1);
	if (!rc)
		rc = bench_mem_map(b, "mem_map_512", false, BENCH_PAGES);
	/* native: a 2 MiB grant is mapped by its 512 ids */
	if (!rc)
		rc = bench_mem_map(b, "mem_map_2m", true,
				   b->native ? BENCH_PAGES : 1);
	return rc;
}

/* ---- the table ---- */

static const struct bench_row bench_rows[] = {
	{ "grant_4k", BENCH_PAGES, false, BENCH_ON_BOTH,
	  bench_gntv3_grant_4k, bench_stock_grant_4k },
	{ "grant_2m", BENCH_PAGES, false, BENCH_ON_BOTH,
	  bench_gntv3_grant_2m, bench_stock_grant_2m },
	{ "map_unmap_1", 1, true, BENCH_ON_BOTH,
	  bench_gntv3_map_4k, bench_stock_map_4k },
	{ "map_unmap_16", 16, true, BENCH_ON_BOTH,
	  bench_gntv3_map_4k, bench_stock_map_4k },
	{ "map_unmap_512", BENCH_PAGES, true, BENCH_ON_BOTH,
	  bench_gntv3_map_4k, bench_stock_map_4k },
	{ "map_unmap_2m", BENCH_PAGES, true, BENCH_ON_BOTH,
	  bench_gntv3_map_2m, bench_stock_map_2m },
	/* per grant; stock = a plain map+unmap of the same size */
	{ "revoke_4k", 1, false, BENCH_ON_BOTH,
	  bench_gntv3_revoke_4k, bench_stock_map_4k },
	/* native: a backend would map the 512 ids, this row maps one */
	{ "revoke_2m", 1, false, BENCH_ON_V1,
	  bench_gntv3_revoke_2m, bench_stock_map_2m },
	/* v1 has no forced revoke: the grant would be quarantined */
	{ "revoke_4k_forced", 1, false, BENCH_ON_NATIVE,
	  bench_gntv3_revoke_forced, bench_stock_map_4k },
	/* the connected attachment's mapping cache against a stock map */
	{ "map_unmap_1_cached", 1, true, BENCH_ON_BOTH,
	  bench_gntv3_map_cached, bench_stock_map_4k },
	{ "map_unmap_512_cached", BENCH_PAGES, true, BENCH_ON_BOTH,
	  bench_gntv3_map_cached, bench_stock_map_4k },
};

/* Sum of @parts of @side's repetition @i, minus its page pool if @nopool. */
static u64 bench_sample(struct bench *b, enum bench_side side,
			unsigned int parts, bool nopool, unsigned int i)
{
	u64 v = 0;
	unsigned int p;

	for (p = 0; p < NR_PARTS; p++)
		if (parts & BIT(p))
			v += b->t[side][p][i];
	return nopool ? v - b->t[side][PART_POOL][i] : v;
}

/* Median over the repetitions of the sum of @parts, per 4 KiB page. */
static u64 bench_per_page(struct bench *b, enum bench_side side,
			  unsigned int parts, bool nopool, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < reps; i++)
		b->scratch[i] = bench_sample(b, side, parts, nopool, i);
	return div_u64(bench_median(b->scratch, reps) + nr / 2, nr);
}

/*
 * The headline ratio: the median of the per-repetition ratios gntv3 /
 * stock (the two sides of a repetition run back to back), with min and
 * max.  Both sides divide by the same number of pages, so the ratio of
 * the totals is the ratio per page.
 */
static void bench_row_ratio(struct bench *b, bool nopool,
			    struct bench_ratio_stats *st)
{
	unsigned int both = BIT(PART_FIRST) | BIT(PART_UNMAP), i;

	for (i = 0; i < reps; i++) {
		b->gs[i] = bench_sample(b, SIDE_GNTV3, both, false, i);
		b->ss[i] = bench_sample(b, SIDE_STOCK, both, nopool, i);
	}
	bench_paired_ratios(b->gs, b->ss, reps, b->scratch, st);
}

/* @variant: "" or "_nopool"; the module's @suffix comes last */
static void bench_line(const char *name, const char *variant, u64 g, u64 s,
		       const struct bench_ratio_stats *st)
{
	pr_info("bench: %s%s%s gntv3=%llu stock=%llu ratio=%llu.%03llu min=%llu.%03llu max=%llu.%03llu rounds=%u\n",
		name, variant, suffix, g, s, st->median / 1000, st->median % 1000,
		st->min / 1000, st->min % 1000, st->max / 1000, st->max % 1000,
		st->rounds);
}

static void bench_report(struct bench *b, const struct bench_row *row)
{
	unsigned int both = BIT(PART_FIRST) | BIT(PART_UNMAP), nr = row->nr;
	struct bench_ratio_stats st, stn = { };
	u64 g, s, r, sn = 0, rn;

	g = bench_per_page(b, SIDE_GNTV3, both, false, nr);
	s = bench_per_page(b, SIDE_STOCK, both, false, nr);
	bench_row_ratio(b, false, &st);
	r = st.median;
	if (!row->map) {
		pr_info("gntv3_bench: %-14s %9llu %9llu %3llu.%03llu\n",
			row->name, g, s, r / 1000, r % 1000);
	} else {
		sn = bench_per_page(b, SIDE_STOCK, both, true, nr);
		bench_row_ratio(b, true, &stn);
		rn = stn.median;
		pr_info("gntv3_bench: %-14s %9llu %9llu %3llu.%03llu %9llu %9llu %9llu %9llu %9llu %3llu.%03llu\n",
			row->name, g, s, r / 1000, r % 1000,
			bench_per_page(b, SIDE_GNTV3, BIT(PART_FIRST), false, nr),
			bench_per_page(b, SIDE_GNTV3, BIT(PART_UNMAP), false, nr),
			bench_per_page(b, SIDE_STOCK, BIT(PART_FIRST), false, nr),
			bench_per_page(b, SIDE_STOCK, BIT(PART_UNMAP), false, nr),
			bench_per_page(b, SIDE_STOCK, BIT(PART_POOL), false, nr),
			rn / 1000, rn % 1000);
	}
	bench_line(row->name, "", g, s, &st);
	if (row->map)
		bench_line(row->name, "_nopool", g, sn, &stn);
}

static int bench_row_run(struct bench *b, const struct bench_row *row)
{
	unsigned int rep, side, p;
	u64 t[NR_PARTS];
	int rc;

	if (!(row->on & (b->native ? BENCH_ON_NATIVE : BENCH_ON_V1))) {
		pr_info("gntv3_bench: %-14s not on the %s transport\n",
			row->name, gntv3_transport_name());
		return 0;
	}
	for (rep = 0; rep < reps + BENCH_WARMUP; rep++) {
		for (side = 0; side < NR_SIDES; side++) {
			/* odd repetitions run stock first */
			enum bench_side s = side ^ (rep % 2);

			memset(t, 0, sizeof(t));
			rc = s == SIDE_GNTV3 ? row->gntv3(b, row->nr, t) :
					       row->stock(b, row->nr, t);
			if (rc)
				return rc;
			/* the warm-up repetitions come first and are not kept */
			for (p = 0; rep >= BENCH_WARMUP && p < NR_PARTS; p++)
				b->t[s][p][rep - BENCH_WARMUP] = t[p];
		}
		cond_resched();
	}
	bench_report(b, row);
	return 0;
}

/* ---- setup and teardown ---- */

/* v1 reference held by the leaf of gntv3 grant @id. */
static int bench_leaf_ref(struct bench *b, gntv3_id_t id, grant_ref_t *ref)
{
	struct gntv3_grant_info info;
	int rc;

	rc = gntv3_grant_query(b->front, id, &info);
	if (rc)
		return bench_failed("gntv3_grant_query", rc);
	if (!(info.pte & GNTV3_PTE_V1))
		return bench_failed("leaf without a v1 reference", -EPROTO);
	*ref = GNTV3_PTE_GET_FRAME(info.pte);
	return 0;
}

/*
 * Native: the leaves hold frame numbers, not v1 references; the stock side
 * maps v1 grants of its own of the same pages (v1 lives beside v3).
 */
static int bench_stock_refs(struct bench *b)
{
	struct page *page;
	int ref;

	for (; b->nr_srefs < BENCH_PAGES; b->nr_srefs++) {
		page = b->pages[b->nr_srefs];
		ref = gnttab_grant_foreign_access(BENCH_SELF,
						  xen_page_to_gfn(page), 0);
		if (ref < 0)
			return bench_failed("gnttab_grant_foreign_access", ref);
		b->refs[b->nr_srefs] = ref;
	}
	for (; b->nr_srefs_2m < BENCH_PAGES; b->nr_srefs_2m++) {
		page = folio_page(b->folio, b->nr_srefs_2m);
		ref = gnttab_grant_foreign_access(BENCH_SELF,
						  xen_page_to_gfn(page), 0);
		if (ref < 0)
			return bench_failed("gnttab_grant_foreign_access", ref);
		b->refs_2m[b->nr_srefs_2m] = ref;
	}
	return 0;
}

/* End the stock grants of bench_stock_refs(). */
static int bench_stock_refs_end(struct bench *b)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < b->nr_srefs + b->nr_srefs_2m; i++) {
		grant_ref_t ref = i < b->nr_srefs ? b->refs[i] :
				  b->refs_2m[i - b->nr_srefs];

		if (!gnttab_try_end_foreign_access(ref)) {
			b->leaked = true;
			if (!ret)
				ret = bench_failed("gnttab_try_end_foreign_access",
						   -EBUSY);
		}
	}
	b->nr_srefs = 0;
	b->nr_srefs_2m = 0;
	return ret;
}

/* Grant @pages and @folio for the map rows, attach, find the references. */
static int bench_map_setup(struct bench *b)
{
	grant_ref_t ref;
	unsigned int i;
	int rc;

	rc = gntv3_grant_pages(b->front, b->pages, BENCH_PAGES, 0, &b->first);
	if (rc)
		return bench_failed("gntv3_grant_pages", rc);
	b->granted = true;
	rc = gntv3_grant_folio(b->front, b->folio, 0, &b->folio_id);
	if (rc)
		return bench_failed("gntv3_grant_folio", rc);
	b->folio_granted = true;
	if (b->native) {
		rc = bench_stock_refs(b);
		if (rc)
			return rc;
		goto attach;
	}
	for (i = 0; i < BENCH_PAGES; i++) {
		rc = bench_leaf_ref(b, b->first + i, &b->refs[i]);
		if (rc)
			return rc;
	}
	rc = bench_leaf_ref(b, b->folio_id, &ref);
	if (rc)
		return rc;
	for (i = 0; i < BENCH_PAGES; i++)
		b->refs_2m[i] = ref + i;
attach:
	b->back = gntv3_back_attach(BENCH_SELF, gntv3_front_tree_ref(b->front));
	if (IS_ERR(b->back)) {
		rc = PTR_ERR(b->back);
		b->back = NULL;
		return bench_failed("gntv3_back_attach", rc);
	}
	return 0;
}

/*
 * Connect @front through xenstore and connect to it as its backend, in
 * this same domain, for the revoke rows.
 */
static int bench_revoke_setup(struct bench *b)
{
	struct gntv3_conn_info info = { };
	unsigned int waited;
	int rc;

	rc = gntv3_front_connect(b->front, BENCH_DEVID);
	if (rc)
		return bench_failed("gntv3_front_connect", rc);
	b->cback = gntv3_back_connect(BENCH_SELF, BENCH_DEVID, BENCH_CONNECT_MS);
	if (IS_ERR(b->cback)) {
		rc = PTR_ERR(b->cback);
		b->cback = NULL;
		return bench_failed("gntv3_back_connect", rc);
	}
	gntv3_back_set_revoke_handler(b->cback, bench_revoke_handler, b);
	/* the frontend learns of it through a xenstore watch */
	for (waited = 0; waited < BENCH_CONNECT_MS; waited += 20) {
		rc = gntv3_front_conn_info(b->front, &info);
		if (rc)
			return bench_failed("gntv3_front_conn_info", rc);
		if (info.connected)
			return 0;
		msleep(20);
	}
	return bench_failed("frontend connection", -ETIMEDOUT);
}

/* Native: a second tree, never connected, and our attachment to it. */
static int bench_forced_setup(struct bench *b)
{
	int rc;

	b->ffront = gntv3_front_create(BENCH_SELF);
	if (IS_ERR(b->ffront)) {
		rc = PTR_ERR(b->ffront);
		b->ffront = NULL;
		return bench_failed("gntv3_front_create", rc);
	}
	b->fback = gntv3_back_attach(BENCH_SELF,
				     gntv3_front_tree_ref(b->ffront));
	if (IS_ERR(b->fback)) {
		rc = PTR_ERR(b->fback);
		b->fback = NULL;
		return bench_failed("gntv3_back_attach", rc);
	}
	return 0;
}

static int bench_teardown(struct bench *b)
{
	unsigned int i;
	int rc = 0, err;

	/* the backend's ring first; gntv3_front_destroy() disconnects */
	gntv3_back_detach(b->cback);
	gntv3_back_detach(b->back);
	gntv3_back_detach(b->fback);
	if (b->ffront) {
		err = gntv3_front_destroy(b->ffront);
		if (err)
			rc = bench_failed("gntv3_front_destroy", err);
	}
	err = bench_stock_refs_end(b);
	rc = rc ?: err;
	if (b->granted) {
		for (i = 0; i < BENCH_PAGES; i++)
			b->ids[i] = b->first + i;
		err = bench_gntv3_end(b, b->ids, BENCH_PAGES);
		rc = rc ?: err;
	}
	if (b->folio_granted) {
		err = bench_gntv3_end(b, &b->folio_id, 1);
		rc = rc ?: err;
	}
	err = gntv3_front_destroy(b->front);
	if (err)
		rc = rc ?: bench_failed("gntv3_front_destroy", err);
	return rc;
}

/* gntv3 holds its own references on what it still grants: ours can go. */
static void bench_free(struct bench *b)
{
	unsigned int i, s, p;

	if (!b->leaked) {
		for (i = 0; i < BENCH_PAGES; i++)
			if (b->pages[i])
				__free_page(b->pages[i]);
		if (b->folio)
			folio_put(b->folio);
		if (b->rpage)
			__free_page(b->rpage);
		if (b->rfolio)
			folio_put(b->rfolio);
	}
	for (s = 0; s < NR_SIDES; s++)
		for (p = 0; p < NR_PARTS; p++)
			kvfree(b->t[s][p]);
	kvfree(b->scratch);
	kvfree(b->gs);
	kvfree(b->ss);
	mutex_destroy(&b->rlock);
	kvfree(b);
}

static struct bench *bench_alloc(void)
{
	struct bench *b;
	unsigned int i, s, p;

	b = kvzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return NULL;
	for (s = 0; s < NR_SIDES; s++)
		for (p = 0; p < NR_PARTS; p++)
			b->t[s][p] = kvcalloc(reps, sizeof(u64), GFP_KERNEL);
	b->scratch = kvcalloc(reps, sizeof(u64), GFP_KERNEL);
	b->gs = kvcalloc(reps, sizeof(u64), GFP_KERNEL);
	b->ss = kvcalloc(reps, sizeof(u64), GFP_KERNEL);
	for (i = 0; i < BENCH_PAGES; i++)
		b->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
	b->folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, BENCH_ORDER_2M);
	b->rpage = alloc_page(GFP_KERNEL | __GFP_ZERO);
	b->rfolio = folio_alloc(GFP_KERNEL | __GFP_ZERO, BENCH_ORDER_2M);
	mutex_init(&b->rlock);
	init_completion(&b->rdone);
	for (s = 0; s < NR_SIDES; s++)
		for (p = 0; p < NR_PARTS; p++)
			if (!b->t[s][p])
				goto err;
	for (i = 0; i < BENCH_PAGES; i++)
		if (!b->pages[i])
			goto err;
	if (b->scratch && b->gs && b->ss && b->folio && b->rpage && b->rfolio)
		return b;
err:
	bench_free(b);
	return NULL;
}

static int __init gntv3_bench_init(void)
{
	struct bench *b;
	unsigned int i;
	int rc, err;

	if (!reps || reps > BENCH_MAX_REPS)
		return bench_failed("reps out of range", -EINVAL);
	/* numbers of the wrong transport must not go out under its name */
	if (transport && strcmp(transport, gntv3_transport_name())) {
		pr_info("gntv3_bench: gntv3 uses the %s transport, not %s\n",
			gntv3_transport_name(), transport);
		return bench_failed("transport", -EPROTO);
	}
	b = bench_alloc();
	if (!b)
		return bench_failed("memory", -ENOMEM);
	b->native = !strcmp(gntv3_transport_name(), GNTV3_XS_TRANSPORT_NATIVE);
	b->front = gntv3_front_create(BENCH_SELF);
	if (IS_ERR(b->front)) {
		rc = bench_failed("gntv3_front_create", PTR_ERR(b->front));
		goto out_free;
	}

	pr_info("gntv3_bench: transport %s, %u repetitions after %u warm-up, median ns per 4 KiB page\n",
		gntv3_transport_name(), reps, BENCH_WARMUP);
	pr_info("gntv3_bench: %-14s %9s %9s %7s %9s %9s %9s %9s %9s %7s\n",
		"row", "gntv3", "stock", "ratio", "g.map", "g.unmap",
		"s.map", "s.unmap", "s.pool", "r.nopool");
	for (i = 0; i < BENCH_FIRST_MAP_ROW; i++) {
		rc = bench_row_run(b, &bench_rows[i]);
		if (rc)
			goto out_teardown;
	}
	rc = bench_map_setup(b);
	for (; !rc && i < BENCH_FIRST_REVOKE_ROW; i++)
		rc = bench_row_run(b, &bench_rows[i]);
	if (rc)
		goto out_teardown;
	pr_info("gntv3_bench: s.pool = stock gnttab_alloc_pages() + gnttab_free_pages(), included in s.map and s.unmap (gntv3 takes its pages from the attachment's page cache); r.nopool = gntv3 / (stock - s.pool)\n");
	rc = bench_mem_rows(b);
	if (rc)
		goto out_teardown;
	pr_info("gntv3_bench: revoke rows, median ns per grant: gntv3 = revoke round trip (gntv3_revoke(): request -> backend unmaps -> ACK -> grant ended), stock = stock map+unmap of the same size\n");
	pr_info("gntv3_bench: %-14s %9s %9s %7s\n", "row", "revoke", "map+unm", "ratio");
	if (b->native)
		pr_info("gntv3_bench: native: revoke_4k_forced = gntv3_revoke() with no connection: no request, GNTTABOP_v3_revoke with the scratch page, grant ended\n");
	rc = bench_revoke_setup(b);
	for (; !rc && i < BENCH_FORCED_ROW; i++)
		rc = bench_row_run(b, &bench_rows[i]);
	if (!rc && b->native)
		rc = bench_forced_setup(b);
	for (; !rc && i < ARRAY_SIZE(bench_rows); i++)
		rc = bench_row_run(b, &bench_rows[i]);

out_teardown:
	err = bench_teardown(b);
	rc = rc ?: err;
out_free:
	bench_free(b);
	if (!rc)
		pr_info("gntv3_bench: done\n");
	return rc;
}

static void __exit gntv3_bench_exit(void)
{
}

module_init(gntv3_bench_init);
module_exit(gntv3_bench_exit);

MODULE_DESCRIPTION("gntv3 against the stock Linux grant API: a benchmark run at load");
MODULE_LICENSE("GPL");
