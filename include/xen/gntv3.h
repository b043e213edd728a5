/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3: grant table v3 for Linux Xen guests, in-kernel API.
 *
 * Frontend (granting) side: one struct gntv3_front per backend domain holds
 * the grant tree for that domain.  Pages and folios are granted into it and
 * named by grant ids; a 2 MiB or 1 GiB folio is one superpage grant.
 *
 * Backend (mapping) side: one struct gntv3_back per attached frontend tree.
 * Grant ids are mapped in batches into struct gntv3_mapping objects and given
 * back, one by one or in batches, through the safe unmap path, which waits
 * until nobody else holds a reference to the mapped pages.
 *
 * Connection: a frontend publishes a tree and a revoke/notification ring in
 * xenstore (gntv3_front_connect()); a backend finds them and attaches
 * (gntv3_back_connect()).  The frontend then takes grants back with
 * gntv3_revoke(): the backend unmaps and acknowledges, or the grant is
 * declared dead after a timeout and quarantined.
 *
 * Context: unless said otherwise, every call may sleep.
 */
#ifndef _XEN_GNTV3_H
#define _XEN_GNTV3_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/mm_types.h>
#include <xen/grant_table.h>
#include <xen/xenbus.h>
#include <xen/interface/grant_table_v3.h>

struct gntv3_front;
struct gntv3_back;

/* Flags for gntv3_grant_*(). */
#define GNTV3_GRANT_READONLY	BIT(0)	/* backend may only read */

/**
 * enum gntv3_grant_state - life of one grant, as gntv3_grant_query() reports
 * @GNTV3_STATE_ACTIVE: granted; the backend may map it
 * @GNTV3_STATE_REVOKING: revoked or being downgraded; waiting for the backend
 * @GNTV3_STATE_QUARANTINED: ended while the backend still mapped it; the
 *	page and ids are held until the backend lets go (see XSA-396)
 */
enum gntv3_grant_state {
	GNTV3_STATE_ACTIVE,
	GNTV3_STATE_REVOKING,
	GNTV3_STATE_QUARANTINED,
};

/**
 * struct gntv3_grant_info - one grant as seen by gntv3_grant_query()
 * @first_id: first id of the grant
 * @order: page order (0, 9 or 18)
 * @readonly: granted read-only
 * @state: enum gntv3_grant_state
 * @pte: the leaf entry as the backend sees it
 */
struct gntv3_grant_info {
	gntv3_id_t first_id;
	unsigned int order;
	bool readonly;
	enum gntv3_grant_state state;
	u64 pte;
};

/**
 * struct gntv3_front_stats - counters of one frontend tree
 * @nr_grants: grants that are active or revoking
 * @nr_ids: ids allocated (a 2 MiB grant counts 512)
 * @nr_quarantined: grants ended while still mapped, not yet released
 * @nr_tables: table pages of the tree
 * @table_bytes: bytes the tables take: @nr_tables pages and the
 *	granter's shadow of each (a node, and a pointer per entry for a table
 *	that held more than one entry, at the size of the kmalloc() bucket
 *	each comes from)
 * @levels: levels of the tree (0 while empty)
 * @nr_v1_refs: v1 grant entries in use by this tree (tables included)
 * @nr_failures: grant or end calls that failed inside the transport
 * @record_bytes: bytes of the grant records of this tree's grants (active,
 *	revoking or quarantined): their number times the size of the
 *	kmalloc() bucket they come from; with @table_bytes, the tree's
 *	memory per grant
 * @record_pool_bytes: bytes of freed grant records the tree keeps for its
 *	next grants (at most 512 of them)
 */
struct gntv3_front_stats {
	u64 nr_grants;
	u64 nr_ids;
	u64 nr_quarantined;
	u64 nr_tables;
	u64 table_bytes;
	unsigned int levels;
	u64 nr_v1_refs;
	u64 nr_failures;
	u64 record_bytes;
	u64 record_pool_bytes;
};

struct gntv3_front *gntv3_front_create(domid_t backend);
int gntv3_front_destroy(struct gntv3_front *front);
domid_t gntv3_front_backend(const struct gntv3_front *front);
grant_ref_t gntv3_front_tree_ref(const struct gntv3_front *front);
void gntv3_front_get_stats(struct gntv3_front *front,
			   struct gntv3_front_stats *stats);

int gntv3_grant_page(struct gntv3_front *front, struct page *page,
		     unsigned int flags, gntv3_id_t *id);
int gntv3_grant_folio(struct gntv3_front *front, struct folio *folio,
		      unsigned int flags, gntv3_id_t *id);
int gntv3_grant_pages(struct gntv3_front *front, struct page **pages,
		      unsigned int nr, unsigned int flags, gntv3_id_t *first);
int gntv3_end_grant(struct gntv3_front *front, gntv3_id_t id);
int gntv3_grant_query(struct gntv3_front *front, gntv3_id_t id,
		      struct gntv3_grant_info *info);

const char *gntv3_transport_name(void);

/* ------------------------------------------------------------------------
 * Connection and revocation (frontend side)
 */

/* Flags for gntv3_revoke(). */
#define GNTV3_REVOKE_F_DOWNGRADE	BIT(0)	/* rw -> ro only */

/* Results of gntv3_revoke() besides negative errnos. */
#define GNTV3_REVOKE_DONE	0	/* acknowledged and carried out */
#define GNTV3_REVOKE_DEAD	1	/* no answer: the grant is dead */

/**
 * struct gntv3_conn_info - one frontend connection, see gntv3_front_conn_info()
 * @state: our XenbusState
 * @peer_state: the backend's XenbusState as last read
 * @connected: the ring is usable
 * @ring_ref: v1 grant reference of the ring page
 * @evtchn: our event channel port
 * @sent: requests put on the ring
 * @acked: requests acknowledged with GNTST_okay
 * @nacked: requests answered with an error status
 * @timed_out: requests that got no answer in time
 * @malformed: malformed messages (and corrupt indices) from the backend
 * @resets: times the ring was re-created because the backend went away
 */
struct gntv3_conn_info {
	int state;
	int peer_state;
	bool connected;
	u32 ring_ref;
	u32 evtchn;
	u64 sent;
	u64 acked;
	u64 nacked;
	u64 timed_out;
	u64 malformed;
	u64 resets;
};

int gntv3_front_connect(struct gntv3_front *front, u32 devid);
int gntv3_front_disconnect(struct gntv3_front *front);
int gntv3_front_conn_info(struct gntv3_front *front,
			  struct gntv3_conn_info *info);
int gntv3_revoke(struct gntv3_front *front, gntv3_id_t id,
		 unsigned int flags, unsigned int timeout_ms);

/* ------------------------------------------------------------------------
 * Backend side
 */

/* Flags for gntv3_map(). */
#define GNTV3_MAP_F_READONLY	BIT(0)	/* map read-only */
#define GNTV3_MAP_F_VMAP	BIT(1)	/* also map contiguously */
#define GNTV3_MAP_F_2M		BIT(2)	/* every id names a 2 MiB grant */
#define GNTV3_MAP_F_CACHE	BIT(3)	/* may stay mapped after its unmap */
#define GNTV3_MAP_F_4K		BIT(4)	/* every id as its own 4 KiB page */

/**
 * struct gntv3_mapping - one mapped grant (a 4 KiB id or a whole superpage)
 * @back: the attachment it belongs to
 * @id: the grant id mapped (the first id of a superpage mapped whole)
 * @pages: the @nr_pages pages; each is PageForeign with xen_page_foreign()
 *	naming the frontend domain and the backing v1 reference
 * @vaddr: contiguous kernel mapping of all pages with GNTV3_MAP_F_VMAP,
 *	else NULL
 * @nr_pages: 1 << @order
 * @order: page order of the mapping (0 or 9; 18 where supported)
 * @readonly: mapped read-only
 *
 * Fields are read-only for users; gntv3 owns the object until the done
 * callback of gntv3_unmap_async() ran or gntv3_unmap_sync() returned 0.
 * The small fields come last and share one word: every live mapping
 * carries this structure.
 */
struct gntv3_mapping {
	struct gntv3_back *back;
	gntv3_id_t id;
	struct page **pages;
	void *vaddr;
	unsigned int nr_pages;
	u8 order;
	bool readonly;
};

/**
 * typedef gntv3_unmap_done_t - completion of gntv3_unmap_async()
 * @map: the mapping; freed by gntv3 right after this returns when
 *	@result is 0
 * @result: 0 once unmapped; -EBUSY if the pages were still in use after the
 *	last retry (the mapping then stays valid and owned by the caller);
 *	-ECANCELED if detach or module unload cancelled it while the pages
 *	were still in use (the mapping must not be used any more: its pages
 *	are deliberately leaked, never freed while mapped); -EIO if Xen
 *	refused the unmap (the mapping is gone, its pages leaked)
 * @data: the caller's pointer
 *
 * Called from a workqueue; may sleep.
 */
typedef void (*gntv3_unmap_done_t)(struct gntv3_mapping *map, int result,
				   void *data);

struct gntv3_back *gntv3_back_attach(domid_t frontend, grant_ref_t tree_ref);
void gntv3_back_detach(struct gntv3_back *back);
int gntv3_map(struct gntv3_back *back, const gntv3_id_t *ids,
	      unsigned int nr, unsigned int flags,
	      struct gntv3_mapping **maps);
int gntv3_unmap_async(struct gntv3_mapping *map, gntv3_unmap_done_t done,
		      void *data);
int gntv3_unmap_sync(struct gntv3_mapping *map);

/**
 * struct gntv3_mem_stats - memory gntv3 holds for backend mappings,
 *	module-wide, see gntv3_get_mem_stats()
 * @map_tracking_bytes: bookkeeping of the mappings not freed yet: their
 *	objects (the slab's real object size) and their arrays (as
 *	allocated: ksize(), or whole pages if vmalloc()ed); not the pages
 *	the grants are mapped into
 * @map_pooled_bytes: freed mapping objects the attachments keep for their
 *	next gntv3_map() (at most 1024 each)
 */
struct gntv3_mem_stats {
	u64 map_tracking_bytes;
	u64 map_pooled_bytes;
};

void gntv3_get_mem_stats(struct gntv3_mem_stats *stats);

/**
 * typedef gntv3_revoke_handler_t - the frontend asks for grants back
 * @back: the attachment
 * @first: first id of the range
 * @nr_ids: number of ids
 * @downgrade: only write access is taken away (a DOWNGRADE request); the
 *	owner must still drop every mapping of the range on the v1 transport
 * @data: the owner's pointer
 *
 * Called from a workqueue, without any gntv3 lock held; may sleep.  The
 * owner must start unmapping (gntv3_unmap_async()) every mapping it holds
 * that overlaps the range.  gntv3 acknowledges the request once no mapping
 * of the range is left, however long that takes; new mappings of the range
 * already fail.
 */
typedef void (*gntv3_revoke_handler_t)(struct gntv3_back *back,
				       gntv3_id_t first, u64 nr_ids,
				       bool downgrade, void *data);

struct gntv3_back *gntv3_back_connect(domid_t frontend, u32 devid,
				      unsigned int timeout_ms);
bool gntv3_back_connected(struct gntv3_back *back);
void gntv3_back_set_revoke_handler(struct gntv3_back *back,
				   gntv3_revoke_handler_t fn, void *data);
int gntv3_back_notify_unmapped(struct gntv3_back *back, gntv3_id_t id,
			       u32 nr_ids);
int gntv3_unmap_batch(struct gntv3_mapping **maps, unsigned int nr,
		      gntv3_unmap_done_t done, void *const *data,
		      int *results);

/* Directions of struct gntv3_copy_op. */
#define GNTV3_COPY_FROM_PEER	0	/* the peer's grant -> our page */
#define GNTV3_COPY_TO_PEER	1	/* our page -> the peer's grant */

/* Ops one gntv3_copy() call takes at most. */
#define GNTV3_COPY_MAX_OPS	512U

/**
 * struct gntv3_copy_op - one piece of a grant copy
 * @id: a grant id of the attached tree naming a 4 KiB frame; unlike
 *	gntv3_map(), an id inside a superpage names that 4 KiB piece of it
 * @offset: byte offset inside the granted frame
 * @len: bytes to copy, at least 1; @offset + @len at most XEN_PAGE_SIZE
 * @page: our page
 * @page_offset: byte offset inside @page; @page_offset + @len at most
 *	XEN_PAGE_SIZE
 * @dir: GNTV3_COPY_FROM_PEER or GNTV3_COPY_TO_PEER
 * @status: OUT: 0 once copied, else a negative errno for this op alone:
 *	-ENOENT for an id that is not granted, -ERANGE for an id beyond the
 *	tree's levels, -EACCES for a revoked grant or a copy into a read-only
 *	one, -EAGAIN for a copy into a grant being downgraded, -EPROTO or
 *	-ELOOP for a corrupt tree, or an errno from Xen's status
 */
struct gntv3_copy_op {
	gntv3_id_t id;
	unsigned int offset;
	unsigned int len;
	struct page *page;
	unsigned int page_offset;
	unsigned int dir;
	int status;
};

int gntv3_copy(struct gntv3_back *back, struct gntv3_copy_op *ops,
	       unsigned int nr);

/* ------------------------------------------------------------------------
 * xenstore: the gntv3 keys in a driver's own xenbus device directory
 *
 * A driver that hands a tree and a revoke ring to its peer publishes and
 * reads the GNTV3_XS_* keys inside its own transactions, next to its own
 * keys, and runs its own XenbusState machine only (see
 * Documentation/gntv3/api.rst).  gntv3_front_connect() and
 * gntv3_back_connect() above run a standalone state machine under
 * data/gntv3/<devid> instead, for /dev/gntv3 and tests.
 */

/**
 * struct gntv3_xs_keys - what a frontend publishes for its backend
 * @version: gntv3-version, the ABI version chosen
 * @native: gntv3-transport is "native" (else "v1")
 * @tree_ref: gntv3-tree-ref, v1 reference of the tree descriptor (v1 only)
 * @ring_ref: gntv3-ring-ref, v1 reference of the revoke ring page
 * @evtchn: gntv3-event-channel, the frontend's port of the ring
 */
struct gntv3_xs_keys {
	u32 version;
	bool native;
	u32 tree_ref;
	u32 ring_ref;
	u32 evtchn;
};

/**
 * typedef gntv3_xs_fn - the body of a xenstore transaction
 * @xbt: the transaction
 * @data: the caller's pointer
 *
 * Return: 0 to commit, a negative errno to abort.  Called again from the
 * start when the commit answers -EAGAIN.
 */
typedef int (*gntv3_xs_fn)(struct xenbus_transaction xbt, void *data);

int gntv3_xs_transaction(gntv3_xs_fn fn, void *data);
int gntv3_xs_read_u32(struct xenbus_transaction xbt, const char *dir,
		      const char *node, u32 *val);
int gntv3_xs_read_feature(struct xenbus_transaction xbt, const char *dir);

/* frontend */
int gntv3_front_xs_publish(struct gntv3_front *front,
			   struct xenbus_transaction xbt, const char *dir,
			   const char *otherend);
void gntv3_front_ring_up(struct gntv3_front *front);
void gntv3_front_ring_down(struct gntv3_front *front);

/* backend */
int gntv3_back_xs_advertise(struct xenbus_transaction xbt, const char *dir);
int gntv3_back_xs_read(struct xenbus_transaction xbt, const char *dir,
		       struct gntv3_xs_keys *keys);
struct gntv3_back *gntv3_back_connect_keys(domid_t frontend,
					   const struct gntv3_xs_keys *keys);

#endif /* _XEN_GNTV3_H */
