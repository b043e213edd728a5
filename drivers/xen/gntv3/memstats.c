// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 memory gauges (memstats.h): the bytes the backend half holds for
 * its mappings, as the allocators gave them, for the memory rows of the
 * benchmark and debugfs "mem".  The frontend's memory per tree is in
 * &gntv3_front_stats (record_bytes, nr_tables).
 */
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <xen/gntv3.h>

#include "memstats.h"

struct gntv3_mem_counters gntv3_mem_cnt;

/**
 * gntv3_kv_bytes() - bytes an array from kvcalloc() really takes
 * @p: the array, or NULL
 * @n: its number of elements
 * @size: the size of one
 *
 * ksize() of a kmalloc()ed array (its bucket, or its pages when large);
 * whole pages for a vmalloc()ed one (its page table entries and
 * vm_struct are not counted); 0 for NULL.  The same answer for the same
 * array at allocation and at free, so a gauge kept with it is exact.
 *
 * Return: the number of bytes.
 */
size_t gntv3_kv_bytes(const void *p, size_t n, size_t size)
{
	if (is_vmalloc_addr(p))
		return PAGE_ALIGN(n * size);
	return ksize(p);
}

/**
 * gntv3_get_mem_stats() - memory gntv3 holds for backend mappings
 * @stats: filled in with the module-wide gauges
 *
 * @stats->map_tracking_bytes is the memory of every mapping gntv3_map()
 * handed out and gntv3 has not freed yet: its own object and its arrays,
 * not the pages the grants are mapped into.  Read it before and after a
 * gntv3_map() of N grants, with no other mapping coming or going, for the
 * bytes of tracking per mapping.
 *
 * Context: any context.
 */
void gntv3_get_mem_stats(struct gntv3_mem_stats *stats)
{
	stats->map_tracking_bytes = atomic64_read(&gntv3_mem_cnt.map_tracking);
	stats->map_pooled_bytes = atomic64_read(&gntv3_mem_cnt.map_pooled);
}
EXPORT_SYMBOL_GPL(gntv3_get_mem_stats);
