/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 /dev/gntv3: backend state of one open file, shared by the backend
 * ioctls (dev_back.c) and the test-only ones (dev_test.c).
 */
#ifndef _GNTV3_DEV_BACK_H
#define _GNTV3_DEV_BACK_H

#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct gntv3_back;
struct gntv3_mapping;

/**
 * struct gntv3_dev_back - backend state of one open file (file->back)
 * @lock: protects both xarrays, @nr_backs, @nr_pages and every field of
 *	every struct gntv3_dev_map of this file
 * @backs: attachment handle -> struct gntv3_back
 * @maps: mapping handle -> struct gntv3_dev_map
 * @nr_backs: attachments in @backs
 * @nr_pages: pages of the mappings in @maps
 */
struct gntv3_dev_back {
	struct mutex lock;	/* see @lock above */
	struct xarray backs;
	struct xarray maps;
	unsigned int nr_backs;
	unsigned long nr_pages;
};

/**
 * struct gntv3_dev_waiter - a synchronous UNMAP waiting for its result
 * @done: completed by the unmap's done callback
 * @result: the result it reported
 */
struct gntv3_dev_waiter {
	struct completion done;
	int result;
};

/**
 * struct gntv3_dev_map - one mapping handle
 * @db: the file's state
 * @map: the mapping; valid for as long as @handle is in @db->maps: the
 *	done callback of its unmap takes the handle away before gntv3 frees
 *	the mapping, so nothing of this file reaches a freed one
 * @nr_pages: @map->nr_pages, for the accounting that outlives @map
 * @handle: its handle in @db->maps
 * @back: handle of its attachment
 * @unmapping: an UNMAP is in progress; no new hold, no MAP_RW
 * @waiter: a synchronous UNMAP waits here for the result
 * @holds: page references taken with GNTV3_IOC_MAP_HOLD (a test ioctl), per
 *	page; dropped at DETACH and close
 */
struct gntv3_dev_map {
	struct gntv3_dev_back *db;
	struct gntv3_mapping *map;
	unsigned int nr_pages;
	u32 handle;
	u32 back;
	bool unmapping;
	struct gntv3_dev_waiter *waiter;
	u16 *holds;
};

struct gntv3_dev_map *gntv3_dev_map_lock(struct gntv3_dev_back *db, u32 handle);

#endif /* _GNTV3_DEV_BACK_H */
