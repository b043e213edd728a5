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
 * back through the safe unmap path, which waits until nobody else holds a
 * reference to the mapped pages.
 *
 * Context: unless said otherwise, every call may sleep.
 */
#ifndef _XEN_GNTV3_H
#define _XEN_GNTV3_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/mm_types.h>
#include <xen/grant_table.h>
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
 * @levels: levels of the tree (0 while empty)
 * @nr_v1_refs: v1 grant entries in use by this tree (tables included)
 * @nr_failures: grant or end calls that failed inside the transport
 */
struct gntv3_front_stats {
	u64 nr_grants;
	u64 nr_ids;
	u64 nr_quarantined;
	u64 nr_tables;
	unsigned int levels;
	u64 nr_v1_refs;
	u64 nr_failures;
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
 * Backend side
 */

/* Flags for gntv3_map(). */
#define GNTV3_MAP_F_READONLY	BIT(0)	/* map read-only */
#define GNTV3_MAP_F_VMAP	BIT(1)	/* also map contiguously */

/**
 * struct gntv3_mapping - one mapped grant (a 4 KiB id or a whole superpage)
 * @back: the attachment it belongs to
 * @id: the grant id mapped (first id of a superpage)
 * @order: page order of the mapping (0 or 9; 18 where supported)
 * @readonly: mapped read-only
 * @nr_pages: 1 << @order
 * @pages: the @nr_pages pages; each is PageForeign with xen_page_foreign()
 *	naming the frontend domain and the backing v1 reference
 * @vaddr: contiguous kernel mapping of all pages with GNTV3_MAP_F_VMAP,
 *	else NULL
 *
 * Fields are read-only for users; gntv3 owns the object until the done
 * callback of gntv3_unmap_async() ran or gntv3_unmap_sync() returned 0.
 */
struct gntv3_mapping {
	struct gntv3_back *back;
	gntv3_id_t id;
	unsigned int order;
	bool readonly;
	unsigned int nr_pages;
	struct page **pages;
	void *vaddr;
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

#endif /* _XEN_GNTV3_H */
