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

struct gntv3_front;

/*
 * Per-file limits, so that one open file cannot pin or allocate without
 * bound.  The device is root-only (mode 0600), but these also keep a buggy
 * test from exhausting dom0.
 *
 * GNTV3_DEV_MAX_TREES:	trees one file may hold at once
 * GNTV3_DEV_MAX_GRANTS:	default of the dev_max_grants module parameter:
 *			grants one file may hold at once; each 4 KiB user
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

/**
 * struct gntv3_ucmd - one ioctl call, as its handler sees it
 * @file: the file the ioctl was made on
 * @ubuf: user pointer to the argument
 * @user_size: size of the argument as userspace declared it (_IOC_SIZE());
 *	at least the command's minimum size
 * @cmd: kernel copy of the argument, copied in and with every pad field
 *	checked by the dispatcher (dev.c); zero-filled beyond @user_size and
 *	for commands that only return data
 */
struct gntv3_ucmd {
	struct gntv3_file *file;
	void __user *ubuf;
	u32 user_size;
	void *cmd;
};

int gntv3_ucmd_respond(struct gntv3_ucmd *ucmd, size_t size);
struct gntv3_front *gntv3_dev_front_lock(struct gntv3_file *file, u32 handle);

int gntv3_dev_init(void);
void gntv3_dev_exit(void);

/* Backend ioctls, implemented in dev_back.c. */
int gntv3_dev_back_open(struct gntv3_file *file);
void gntv3_dev_back_release(struct gntv3_file *file);
int gntv3_dev_ioc_attach(struct gntv3_ucmd *ucmd);
int gntv3_dev_ioc_detach(struct gntv3_ucmd *ucmd);
int gntv3_dev_ioc_map(struct gntv3_ucmd *ucmd);
int gntv3_dev_ioc_unmap(struct gntv3_ucmd *ucmd);
int gntv3_dev_ioc_map_rw(struct gntv3_ucmd *ucmd);
int gntv3_dev_ioc_unmap_batch(struct gntv3_ucmd *ucmd);

/* GNTV3_IOC_COPY, implemented in dev_copy.c. */
int gntv3_dev_ioc_copy(struct gntv3_ucmd *ucmd);

/* The frontend's connection ioctls, implemented in dev_conn.c. */
int gntv3_dev_connect(struct gntv3_ucmd *ucmd);
int gntv3_dev_disconnect(struct gntv3_ucmd *ucmd);
int gntv3_dev_conn_info(struct gntv3_ucmd *ucmd);

/* The backend's connection ioctls, implemented in dev_back.c. */
int gntv3_dev_ioc_back_connect(struct gntv3_ucmd *ucmd);
int gntv3_dev_ioc_back_notify(struct gntv3_ucmd *ucmd);
int gntv3_dev_ioc_back_conn_info(struct gntv3_ucmd *ucmd);

/* Test-only ioctls (CONFIG_XEN_GNTV3_TEST), implemented in dev_test.c. */
int gntv3_test_ioc_query(struct gntv3_ucmd *ucmd);
int gntv3_test_ioc_tree_stats(struct gntv3_ucmd *ucmd);
int gntv3_test_ioc_map_hold(struct gntv3_ucmd *ucmd);
int gntv3_test_ioc_back_stats(struct gntv3_ucmd *ucmd);
int gntv3_test_ioc_grant_huge(struct gntv3_ucmd *ucmd);

#endif /* _GNTV3_DEV_H */
