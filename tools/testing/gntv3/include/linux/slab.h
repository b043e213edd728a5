/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace stand-in for <linux/slab.h>.  Every allocation goes through
 * shim_kmalloc(), which counts live allocations and can be told to fail
 * (see shim.h: shim_fail_nth).
 */
#ifndef _SHIM_LINUX_SLAB_H
#define _SHIM_LINUX_SLAB_H

#include <linux/types.h>

#define GFP_KERNEL	0x1u
#define __GFP_ZERO	0x100u

void *shim_kmalloc(size_t size, gfp_t gfp);
void shim_kfree(const void *p);

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	return shim_kmalloc(size, gfp);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return shim_kmalloc(size, gfp | __GFP_ZERO);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return shim_kmalloc(n * size, gfp);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return kmalloc_array(n, size, gfp | __GFP_ZERO);
}

static inline void kfree(const void *p)
{
	shim_kfree(p);
}

#endif
