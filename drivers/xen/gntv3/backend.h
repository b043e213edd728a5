/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 backend (mapping side): internal declarations shared by attach.c
 * (attach, detach), map.c (batch map), pool.c (mapping objects, page
 * cache), unmap.c (safe unmap), the grantee half of the transports
 * (transport_v1_tree.c: descriptor, table cache, tree walk;
 * transport_v1_map.c: gnttab_map_refs()/gnttab_unmap_refs();
 * transport_native.c), debugfs.c and dev_back.c (the backend ioctls of
 * /dev/gntv3).
 */
#ifndef _GNTV3_BACKEND_H
#define _GNTV3_BACKEND_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/mm.h>
#include <xen/gntv3.h>
#include <xen/grant_table.h>

/**
 * struct gntv3_back_notifier - what an attachment tells the layer above it
 * @mappings_gone: some mappings of @back went away, and their owner knows
 *	(its done callback ran, or gntv3_unmap_batch() is about to return);
 *	called with @back's lock held: must neither sleep nor call back
 *	into @back
 * @detaching: gntv3_back_detach() of @back started, before any mapping is
 *	touched; called without any lock, may sleep; the layer lets go of
 *	everything that looks at @back.  No callback runs after it.
 * @revoking: is a request of the frontend (revoke, downgrade) being carried
 *	out; called with @back's lock held, must neither sleep nor call
 *	back into @back.  While it says so, no mapping enters the mapping
 *	cache (cache.c), so none can slip past the request's eviction.
 *
 * The connection (conn_back.c) hands one down with gntv3_back_set_notifier();
 * the attachment never calls the connection by name.
 */
struct gntv3_back_notifier {
	void (*mappings_gone)(struct gntv3_back *back, void *data);
	void (*detaching)(struct gntv3_back *back, void *data);
	bool (*revoking)(struct gntv3_back *back, void *data);
};

/*
 * Pages mapped by one gntv3_map() call at most: 64 superpages of 2 MiB.
 * Bounds the op arrays (kvmalloc) and the time one batch holds back->lock.
 * The one exception is a 1 GiB grant alone in its batch (v1:
 * gntv3_map_1g_alone()).
 */
#define GNTV3_MAP_MAX_PAGES	(64U << 9)

/*
 * Freed mappings an attachment keeps for its next gntv3_map() (struct
 * gntv3_back @pool): two batches of 512 single pages.
 */
#define GNTV3_MAP_POOL_MAX	1024U

/*
 * Batches of up to GNTV3_INLINE_NR entries keep their work arrays on the
 * stack.  Batches of one or a few pages are the common case of block and
 * network backends, and allocating and zeroing those arrays cost such a
 * batch more than everything else gntv3 adds to the hypercalls.  16 covers
 * a blkif request (BLKIF_MAX_SEGMENTS_PER_REQUEST, 11); the largest frame
 * it makes is gntv3_v1_copy()'s, 840 bytes, all of them process context.
 */
#define GNTV3_INLINE_NR		16

/* @n zeroed elements of @size bytes: in @buf if they fit, else allocated. */
static inline void *gntv3_array_get(void *buf, size_t buf_size, size_t n,
				    size_t size)
{
	if (n * size <= buf_size) {
		memset(buf, 0, n * size);
		return buf;
	}
	return kvcalloc(n, size, GFP_KERNEL);
}

/* Free @array from gntv3_array_get(@buf, ...), which may be NULL. */
static inline void gntv3_array_put(void *array, void *buf)
{
	if (array != buf)
		kvfree(array);
}

/* Page references a mapped page has when nobody but gntv3 holds it. */
#define GNTV3_PAGE_REFS_OURS	1

/**
 * struct gntv3_back_counters - module-wide backend counters (debugfs "back",
 * GNTV3_IOC_BACK_STATS); atomics, no lock
 * @attachments: attachments alive
 * @mappings: mappings alive (mapped, not yet unmapped or leaked)
 * @pages_mapped: foreign pages of those mappings
 * @unmap_pending: mappings waiting in the safe unmap path
 * @retries: timer retries of the safe unmap
 * @stuck: unmaps that gave up with -EBUSY after the last retry
 * @cancelled: pending unmaps cancelled by detach or unload
 * @bad_entries: malformed descriptor or tree entries rejected
 * @tcache_maps: table pages mapped into a table cache
 * @leaked: mappings left mapped (never freed) because a page was still
 *	in use at detach/unload or an unmap hypercall failed
 * @unmapped_at_detach: live mappings their user never unmapped, unmapped
 *	by gntv3_back_detach() instead: how /dev/gntv3 cleans up at close,
 *	but a bug in a kernel driver, which must unmap before it detaches
 * @copy_ops: grant copy ops tried (gntv3_copy())
 * @copy_bytes: bytes those ops copied
 * @copy_errors: grant copy ops that failed
 */
struct gntv3_back_counters {
	atomic64_t attachments;
	atomic64_t mappings;
	atomic64_t pages_mapped;
	atomic64_t unmap_pending;
	atomic64_t retries;
	atomic64_t stuck;
	atomic64_t cancelled;
	atomic64_t bad_entries;
	atomic64_t tcache_maps;
	atomic64_t leaked;
	atomic64_t unmapped_at_detach;
	atomic64_t copy_ops;
	atomic64_t copy_bytes;
	atomic64_t copy_errors;
};

extern struct gntv3_back_counters gntv3_back_cnt;

/* State of a struct gntv3_map_priv, under back->lock. */
enum gntv3_map_state {
	GNTV3_MAP_LIVE,		/* mapped, owned by the caller */
	GNTV3_MAP_PENDING,	/* in the safe unmap path */
	GNTV3_MAP_CANCELLING,	/* taken over by detach/unload */
	GNTV3_MAP_CACHED,	/* unmapped by its owner, kept mapped (cache.c) */
	GNTV3_MAP_CACHING,	/* to be cached once the owner's done returned */
};

/**
 * struct gntv3_map_priv - a struct gntv3_mapping and what gntv3 keeps of it
 * @pub: what the caller sees
 * @node: in back->maps (under back->lock)
 * @queue: in back->cache_lru while GNTV3_MAP_CACHED, in back->unmap_queue
 *	while its unmap waits for the next attempt (under back->lock)
 * @handles: grant handle of each page's kernel mapping
 * @vptes: PV with GNTV3_MAP_F_VMAP: machine address of the PTE of each
 *	page's mapping inside @pub.vaddr, followed in the same allocation by
 *	the grant handles of those mappings (gntv3_vhandles()); NULL otherwise
 * @done: the caller's completion of the current unmap
 * @data: its argument
 * @start: jiffies at the first attempt of the current unmap
 * @due: jiffies at which the next attempt is due (in back->unmap_queue)
 * @page0: @pub.pages of a one-page mapping (no PV vmap), which so costs
 *	one allocation instead of three: batches of single pages are common
 * @first_ref: v1 reference of page 0; page i was mapped from first_ref + i
 * @handle0: @handles of such a mapping
 * @retry: retries made by the current unmap
 * @state: enum gntv3_map_state (under back->lock)
 * @map_flags: the gntv3_map() flags it was made with; a later map of its
 *	id with the same flags may take it from the mapping cache
 * @indexed: it is its id's entry in back->cache, so it may enter the
 *	mapping cache (only a GNTV3_MAP_F_CACHE mapping; under back->lock)
 * @result: the outcome of the unmap's last attempt, from the attempt
 *	until the done callback it is passed to
 *
 * Its size is the bench row mem_map_*: the fields are ordered so that the
 * small ones share one word, and the unmap's timer is its attachment's
 * (back->unmap_work), not one per mapping.
 */
struct gntv3_map_priv {
	struct gntv3_mapping pub;
	struct list_head node;
	struct list_head queue;
	grant_handle_t *handles;
	u64 *vptes;
	gntv3_unmap_done_t done;
	void *data;
	unsigned long start;
	unsigned long due;
	struct page *page0;
	grant_ref_t first_ref;
	grant_handle_t handle0;
	unsigned int retry;
	u8 state;
	u8 map_flags;
	bool indexed;
	s8 result;
};

static inline struct gntv3_map_priv *to_map_priv(struct gntv3_mapping *map)
{
	return container_of(map, struct gntv3_map_priv, pub);
}

/* Bytes per page of a PV vmap's array: a PTE address and a grant handle. */
#define GNTV3_VMAP_SLOT	(sizeof(u64) + sizeof(grant_handle_t))

/*
 * The grant handles of the PTEs of a PV GNTV3_MAP_F_VMAP mapping: they
 * follow its @vptes, so that the mapping keeps one pointer, not two.
 */
static inline grant_handle_t *gntv3_vhandles(const struct gntv3_map_priv *mp)
{
	return (grant_handle_t *)(mp->vptes + mp->pub.nr_pages);
}

/**
 * struct gntv3_tcache_entry - one peer table page mapped read-only
 * @ref: its v1 grant reference
 * @page: the page it is mapped into (from gnttab_alloc_pages())
 * @handle: grant handle of that mapping
 * @level: level the table was found at
 * @parent: v1 reference of the table whose entry named it, or
 *	GNTV3_TCACHE_ROOT for the root table
 * @index: index of that entry in @parent
 * @stamp: back->tcache_clock at the last use (LRU eviction)
 */
struct gntv3_tcache_entry {
	grant_ref_t ref;
	struct page *page;
	grant_handle_t handle;
	unsigned int level;
	u64 parent;
	unsigned int index;
	u64 stamp;
};

#define GNTV3_TCACHE_ROOT	(~0ULL)

/**
 * struct gntv3_stack - a bounded stack of pointers (the caches of an
 *	attachment, under its lock)
 * @slot: room for @max pointers
 * @nr: pointers on the stack, in @slot[0 .. @nr)
 * @max: its bound
 */
struct gntv3_stack {
	void **slot;
	unsigned int nr;
	unsigned int max;
};

/**
 * struct gntv3_cache_stats - what a mapping cache did (cache.c)
 * @hits: maps served from the cache
 * @misses: GNTV3_MAP_F_CACHE maps the cache could not serve
 * @puts: unmaps that left their mapping in the cache
 * @evicted: cached mappings unmapped to make room
 * @invalidated: cached mappings unmapped for a REVOKE or DOWNGRADE of
 *	the frontend
 * @forgotten: cached mappings unmapped for a FORGET of the frontend (it
 *	ended the grants)
 */
struct gntv3_cache_stats {
	u64 hits;
	u64 misses;
	u64 puts;
	u64 evicted;
	u64 invalidated;
	u64 forgotten;
};

/**
 * struct gntv3_back - one attachment to a frontend's tree
 * @domid: the frontend domain
 * @self: our own domain id, as the descriptor must name it
 * @tree_ref: its tree reference (v1: of its descriptor page)
 * @xops: the transport the tree is reached through (grantee half of
 *	struct gntv3_transport_ops); set at attach, constant
 * @lock: protects everything below and the state of every mapping in @maps;
 *	taken by gntv3_map(), the unmap work and detach.  Never held while
 *	calling a done callback.
 * @desc_page: v1: the descriptor page, mapped read-only
 * @desc_handle: v1: grant handle of that mapping
 * @generation: v1: descriptor generation the table cache belongs to
 * @tcache: v1: cached table mappings, @tcache_nr of them, at most
 *	gntv3_tcache_max (read at attach into @tcache_max)
 * @tcache_clock: v1: bumped at every cache use
 * @maps: every struct gntv3_map_priv of this attachment not yet unmapped
 * @dying: detach started; no new map or unmap
 * @unmap_queue: mappings whose unmap waits for an attempt, linked by
 *	their @queue (under @lock)
 * @unmap_work: makes the attempts that are due (unmap.c); armed for the
 *	earliest of them, never again once @dying is set
 * @link: in the module's list of attachments (under gntv3_backs_lock)
 * @ref: the owner's reference, dropped by detach, and one per unmap work
 *	between taking a mapping off @maps and the end of its done callback;
 *	the last one frees the attachment
 * @in_done: unmap works between the same two points; detach waits until
 *	there is none, so that no done callback of the attachment runs once
 *	gntv3_back_detach() returned, and gntv3_back_range_mapped() counts
 *	every range busy while there is one (raised and dropped under @lock)
 * @notifier: the events of the layer above (a connection made by
 *	gntv3_back_connect() or gntv3_back_connect_keys()), NULL otherwise;
 *	set before the attachment is handed out, cleared by detach (under
 *	@lock)
 * @notifier_data: its argument (under @lock)
 * @revoke_fn: the owner's revoke handler, or NULL (under @lock)
 * @revoke_data: its argument (under @lock)
 * @pool: freed struct gntv3_map_priv kept for the next gntv3_map() instead
 *	of going back to the slab, at most GNTV3_MAP_POOL_MAX (under @lock);
 *	freed at detach
 * @page_cache: struct page pointers of pages that held mappings of this
 *	attachment and are free again, for the next gntv3_map(), at most
 *	back_cached_pages (module parameter, read at attach) (under @lock);
 *	freed at detach
 * @cache: the mapping cache's index (cache.c): for each id, the one
 *	mapping made with GNTV3_MAP_F_CACHE that may be cached, live or
 *	cached (under @lock; the xarray's own lock nests inside)
 * @cache_lru: the GNTV3_MAP_CACHED mappings, least recently cached first
 *	(under @lock)
 * @cache_nr: how many (under @lock)
 * @cache_pages: their pages (under @lock)
 * @cache_max: bound of @cache_pages, back_map_cache_pages (module
 *	parameter) read at attach; 0: no cache
 * @cache_span: the most pages an indexed mapping of this attachment has
 *	had, so that a range's indexed mappings are found from its first id
 *	less @cache_span - 1 (under @lock; never shrinks)
 * @cache_stats: its counters while attached (under @lock), added to the
 *	module's when it detaches
 * @leak_first: with @leak_end, ids [@leak_first, @leak_end) cover every
 *	mapping of this attachment that was leaked (the hypervisor refused
 *	its unmap, gntv3_back_leak_mapping()): those grants are still mapped,
 *	so a revoke overlapping the range is refused, not acknowledged
 *	(gntv3_back_range_mapped()).  One interval, so it may cover ids that
 *	were never leaked: their revoke is refused too, and the frontend's
 *	quarantine releases them on its next attempt.  Empty while
 *	@leak_end is 0 (under @lock)
 * @leak_end: see @leak_first
 */
struct gntv3_back {
	domid_t domid;
	domid_t self;
	grant_ref_t tree_ref;
	const struct gntv3_transport_ops *xops;
	struct mutex lock;	/* see @lock above */
	struct page *desc_page;
	grant_handle_t desc_handle;
	u32 generation;
	struct gntv3_tcache_entry *tcache;
	unsigned int tcache_nr;
	unsigned int tcache_max;
	u64 tcache_clock;
	struct list_head maps;
	bool dying;
	struct list_head unmap_queue;
	struct delayed_work unmap_work;
	struct list_head link;
	struct kref ref;
	atomic_t in_done;
	const struct gntv3_back_notifier *notifier;
	void *notifier_data;
	gntv3_revoke_handler_t revoke_fn;
	void *revoke_data;
	struct gntv3_stack pool;
	struct gntv3_stack page_cache;
	struct xarray cache;
	struct list_head cache_lru;
	unsigned int cache_nr;
	unsigned int cache_pages;
	unsigned int cache_max;
	unsigned int cache_span;
	struct gntv3_cache_stats cache_stats;
	gntv3_id_t leak_first;
	gntv3_id_t leak_end;
};

/* Bounds of the debugfs knob back_tcache_max. */
#define GNTV3_TCACHE_MIN	GNTV3_MAX_LEVELS
#define GNTV3_TCACHE_LIMIT	1024

struct gntv3_pte_info;
struct gntv3_walk_cursor;
struct gntv3_walk_result;

/* Kernel address of a page in the linear map. */
static inline unsigned long gntv3_kaddr(struct page *page)
{
	return (unsigned long)pfn_to_kaddr(page_to_pfn(page));
}

/* A malformed descriptor or tree entry was rejected. */
static inline void gntv3_bad_entry(void)
{
	atomic64_inc(&gntv3_back_cnt.bad_entries);
}

/* Count @nr_maps mappings of @nr_pages pages in all in (@sign 1) or out. */
static inline void gntv3_map_account(long sign, unsigned int nr_maps,
				     unsigned int nr_pages)
{
	atomic64_add(sign * nr_maps, &gntv3_back_cnt.mappings);
	atomic64_add(sign * nr_pages, &gntv3_back_cnt.pages_mapped);
}

/*
 * attach.c; gntv3_back_init() and gntv3_back_exit() are declared in
 * internal.h, the dev_back.c entry points in dev.h.
 */
extern struct list_head gntv3_backs;
extern struct mutex gntv3_backs_lock;
void gntv3_back_mappings_gone(struct gntv3_back *back);
void gntv3_back_put(struct gntv3_back *back);
int gntv3_back_set_notifier(struct gntv3_back *back,
			    const struct gntv3_back_notifier *ops, void *data);
void *gntv3_back_notifier_data(struct gntv3_back *back,
			       const struct gntv3_back_notifier *ops);
bool gntv3_back_range_mapped(struct gntv3_back *back, gntv3_id_t first,
			     u64 nr_ids, bool *leaked);
void gntv3_back_call_revoke(struct gntv3_back *back, gntv3_id_t first,
			    u64 nr_ids, bool downgrade);

/*
 * transport_v1_tree.c, transport_v1_map.c: the v1 transport, grantee half
 * (gntv3_transport_v1 points to the first four)
 */
int gntv3_v1_tree_open(struct gntv3_back *back);
void gntv3_v1_tree_close(struct gntv3_back *back);
int gntv3_v1_map(struct gntv3_back *back, const gntv3_id_t *ids,
		 unsigned int nr, unsigned int flags,
		 struct gntv3_map_priv **mps);
void gntv3_v1_unmap(struct gntv3_map_priv **mps, unsigned int nr,
		    int *results);
int gntv3_v1_copy(struct gntv3_back *back, struct gntv3_copy_op *ops,
		  unsigned int nr);
int gntv3_v1_leaf(struct gntv3_back *back, u64 root, gntv3_id_t id,
		  struct gntv3_walk_cursor *cur, struct gntv3_pte_info *pi,
		  u64 *piece, unsigned int *order);
extern u32 gntv3_tcache_max;
int gntv3_map_one_page(domid_t domid, grant_ref_t ref, bool readonly,
		       struct page **pagep, grant_handle_t *handle);
void gntv3_unmap_one_page(struct page *page, grant_handle_t handle);
void gntv3_tcache_drop_all(struct gntv3_back *back);
int gntv3_back_read_desc(struct gntv3_back *back, u64 *root);
int gntv3_tcache_walk(struct gntv3_back *back, u64 root, gntv3_id_t id,
		      struct gntv3_walk_cursor *cur,
		      struct gntv3_walk_result *res);

extern u32 gntv3_fail_map_op;
int gntv3_gnttab_errno(s16 status);

/* pool.c */
int gntv3_pool_init(void);
void gntv3_pool_exit(void);
int gntv3_back_caches_init(struct gntv3_back *back);
void gntv3_back_caches_free(struct gntv3_back *back);
void gntv3_mapping_free_arrays(struct gntv3_map_priv *mp);
int gntv3_mapping_init(struct gntv3_map_priv *mp, struct gntv3_back *back,
		       gntv3_id_t id, unsigned int order, bool readonly,
		       grant_ref_t first_ref, bool pv_vmap);
int gntv3_mappings_alloc(struct gntv3_back *back, struct gntv3_map_priv **mps,
			 unsigned int nr);
void gntv3_mappings_free(struct gntv3_back *back, struct gntv3_map_priv **mps,
			 unsigned int nr);
int gntv3_pages_get(struct gntv3_back *back, struct page **pages,
		    unsigned int nr);
void gntv3_pages_put(struct gntv3_back *back, struct page **pages,
		     unsigned int nr);
void gntv3_back_free_mapping(struct gntv3_map_priv *mp);
void gntv3_back_free_mappings(struct gntv3_map_priv **mps, unsigned int nr);

/* cache.c */
void gntv3_cache_init(struct gntv3_back *back);
void gntv3_cache_retire(struct gntv3_back *back);
void gntv3_cache_index(struct gntv3_back *back, struct gntv3_map_priv *mp);
void gntv3_cache_unindex(struct gntv3_back *back, struct gntv3_map_priv *mp);
bool gntv3_cache_open(struct gntv3_back *back);
bool gntv3_cache_put(struct gntv3_back *back, struct gntv3_map_priv *mp,
		     bool idle);
bool gntv3_cache_may_put(struct gntv3_back *back, struct gntv3_map_priv *mp);
void gntv3_cache_settle(struct gntv3_back *back, struct gntv3_map_priv *mp);
struct gntv3_map_priv *gntv3_cache_find(struct gntv3_back *back,
					gntv3_id_t id, unsigned int flags);
void gntv3_cache_commit(struct gntv3_back *back, struct gntv3_map_priv *mp);
void gntv3_cache_abort(struct gntv3_back *back, struct gntv3_map_priv *mp);
void gntv3_cache_forget(struct gntv3_back *back, struct gntv3_map_priv *mp);
void gntv3_cache_evict_range(struct gntv3_back *back, gntv3_id_t first,
			     u64 nr_ids);
unsigned int gntv3_cache_drop_range(struct gntv3_back *back,
				    gntv3_id_t first, u64 nr_ids);
struct seq_file;
void gntv3_cache_show(struct seq_file *s);

/* unmap.c */
extern u32 gntv3_unmap_done_delay_ms;
int gntv3_unmap_init(void);
void gntv3_unmap_exit(void);
void gntv3_unmap_work_init(struct gntv3_back *back);
void gntv3_unmap_stop(struct gntv3_back *back);
int gntv3_unmap_cancel(struct gntv3_map_priv *mp, bool was_pending);
void gntv3_unmap_evict(struct gntv3_map_priv *mp);
bool gntv3_pages_idle(const struct gntv3_map_priv *mp);
void gntv3_back_leak_mapping(struct gntv3_map_priv *mp, const char *why);
void gntv3_back_unmap_pages(struct gntv3_map_priv **mps, unsigned int nr,
			    int *results);

#endif /* _GNTV3_BACKEND_H */
