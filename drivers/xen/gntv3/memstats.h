/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 memory gauges: what the backend half holds for its mappings,
 * kept exact by pool.c where that memory is allocated and freed, read by
 * gntv3_get_mem_stats() (memstats.c) and debugfs "mem".
 */
#ifndef _GNTV3_MEMSTATS_H
#define _GNTV3_MEMSTATS_H

#include <linux/atomic.h>
#include <linux/types.h>

/**
 * struct gntv3_mem_counters - module-wide memory gauges (atomics, no lock)
 * @map_tracking: bytes of the bookkeeping of the mappings handed out by
 *	gntv3_map() and not freed yet (live, unmapping, or leaked): each
 *	one's struct gntv3_map_priv (the slab's real object size, see
 *	gntv3_pool_init()) and the arrays gntv3_mapping_init() allocated
 *	for it (ksize(), or whole pages for a vmalloc()ed one)
 * @map_pooled: bytes of the struct gntv3_map_priv objects attachments
 *	keep in their pools for their next gntv3_map()
 */
struct gntv3_mem_counters {
	atomic64_t map_tracking;
	atomic64_t map_pooled;
};

extern struct gntv3_mem_counters gntv3_mem_cnt;

size_t gntv3_kv_bytes(const void *p, size_t n, size_t size);

#endif /* _GNTV3_MEMSTATS_H */
