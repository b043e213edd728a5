/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 /dev/gntv3 character device: state shared by the frontend ioctls
 * (dev.c) and the backend ioctls (dev_back.c).
 */
#ifndef _GNTV3_DEV_H
#define _GNTV3_DEV_H

#include <linux/bits.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

/*
 * Per-file limits, so that one open file cannot pin or allocate without
 * bound.  The device is root-only (mode 0600), but these also keep a buggy
 * test from exhausting dom0.
 *
 * GNTV3_DEV_MAX_TREES:	trees one file may hold at once
 * GNTV3_DEV_MAX_GRANTS:	grants one file may hold at once; each 4 KiB user
 *			page counts one, each GNTV3_IOC_GRANT_ALLOC folio one
 * GNTV3_DEV_MAX_ALLOC_PAGES: 4 KiB pages of kernel memory one file may hold
 *			through GNTV3_IOC_GRANT_ALLOC (1 GiB: one gigantic
 *			folio, or 512 of 2 MiB)
 */
#define GNTV3_DEV_MAX_TREES		64
#define GNTV3_DEV_MAX_GRANTS		65536
#define GNTV3_DEV_MAX_ALLOC_PAGES	BIT(18)

/**
 * struct gntv3_file - one open() of /dev/gntv3
 * @lock: protects @trees, every tree's grant records, @nr_trees, @nr_grants
 *	and @nr_alloc_pages; serialises all frontend ioctls of this file.
 *	Held around pin_user_pages_fast() and copy_to_user(), which take
 *	mmap_lock: never take it with mmap_lock held (mmap(), faults).
 * @trees: tree handle -> struct gntv3_dev_tree (dev.c), handles from 1
 * @allocs: mmap slot -> struct folio of a GNTV3_IOC_GRANT_ALLOC grant.
 *	Changed under @lock, read by mmap() under its own xa_lock only, so
 *	mmap() (called with mmap_lock held) never takes @lock.
 * @nr_trees: trees in @trees, see GNTV3_DEV_MAX_TREES
 * @nr_grants: grant records held, see GNTV3_DEV_MAX_GRANTS
 * @nr_alloc_pages: pages held in @allocs, see GNTV3_DEV_MAX_ALLOC_PAGES
 * @back: owned by dev_back.c (backend ioctls); dev.c never looks inside
 */
struct gntv3_file {
	struct mutex lock;	/* see @lock above */
	struct xarray trees;
	struct xarray allocs;
	unsigned int nr_trees;
	unsigned long nr_grants;
	unsigned long nr_alloc_pages;
	void *back;
};

int gntv3_dev_init(void);
void gntv3_dev_exit(void);

/* Backend ioctls, implemented in dev_back.c. */
int gntv3_dev_back_open(struct gntv3_file *file);
void gntv3_dev_back_release(struct gntv3_file *file);
long gntv3_dev_back_ioctl(struct gntv3_file *file, unsigned int cmd,
			  void __user *arg);

#endif /* _GNTV3_DEV_H */
