/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3_compat.h - what the out-of-tree build needs to compile the
 * Linux 6.12 sources of gntv3 and its block pair against older kernels.
 *
 * The sources are written for 6.12 and stay so: this header is never part
 * of a kernel tree (scripts/intree-check.sh and "make patches" leave
 * compat/ out), and it is the only file that knows kernel versions.  Each
 * block below supplies, for the kernels that lack it, one 6.12 interface
 * in terms of the older one; on 6.12 the header defines nothing.
 * Documentation/gntv3/testing.rst ("Kernel versions") lists the
 * differences and what an older kernel does not have.
 *
 * ./Kbuild puts the header in front of every file ("-include"): the blocks
 * that only define macros live there.  A block that needs a kernel
 * header's declarations first cannot: the file's own pr_fmt must come
 * before the kernel headers.  Such a block runs when the file includes
 * that kernel header, through a shim of the same name in compat/include/
 * (searched before the kernel's headers) that includes the kernel's header
 * and then this one again.
 *
 * Each block is keyed to the release that changed the interface.  Only 6.1
 * and 6.12 are built and tested; the block layer changed in two steps (6.9
 * and 6.11) and the header knows only the state before both, so 6.9 and
 * 6.10 do not build.
 */
#include <linux/version.h>

#ifndef _GNTV3_COMPAT_H
#define _GNTV3_COMPAT_H

/*
 * vm_flags_set() (6.3): VMA flags became read-only outside the mm helpers
 * that take the mmap lock into account.  Before, a driver's mmap() set
 * vma->vm_flags directly, under the mmap lock its caller holds.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#define vm_flags_set(vma, flags) ((vma)->vm_flags |= (flags))
#endif

/*
 * MAX_PAGE_ORDER (6.8): the largest order the buddy allocator hands out.
 * 6.4 to 6.7 called it MAX_ORDER; before 6.4, MAX_ORDER was one past it.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#define MAX_PAGE_ORDER (MAX_ORDER - 1)
#elif LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
#define MAX_PAGE_ORDER MAX_ORDER
#endif

#endif /* _GNTV3_COMPAT_H */

/*
 * blk_mq_alloc_disk(set, lim, queuedata) (6.9) and queue feature flags in
 * struct queue_limits (6.11): a disk's limits and its volatile write cache
 * are given when the disk is allocated.  Before, the disk was allocated
 * with default limits and each limit was set on its queue afterwards with
 * blk_queue_*().
 *
 * The block pair's "struct queue_limits lim = { ... }" then names a
 * struct of this header, with only the fields that the pair sets (any
 * other field is a compile error here, never silently dropped), and the
 * three-argument blk_mq_alloc_disk() applies them.  The kernel's own
 * struct queue_limits is declared before the rename, by the block headers
 * included first, so every kernel structure keeps its layout.
 *
 * Reached from compat/include/linux/blk-mq.h, after the kernel's
 * <linux/blk-mq.h> (which includes <linux/blkdev.h>).
 */
#if defined(BLK_MQ_H) && !defined(_GNTV3_COMPAT_BLK_MQ) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0)
#define _GNTV3_COMPAT_BLK_MQ
#include <linux/err.h>

/**
 * struct gntv3_compat_queue_limits - the limits the block pair sets
 * @logical_block_size: the smallest unit the device addresses, in bytes
 * @max_hw_sectors: the largest request, in 512-byte sectors
 * @max_segments: the most segments in one request
 * @features: BLK_FEAT_* flags
 */
struct gntv3_compat_queue_limits {
	unsigned int logical_block_size;
	unsigned int max_hw_sectors;
	unsigned short max_segments;
	unsigned int features;
};

#define queue_limits gntv3_compat_queue_limits
#define BLK_FEAT_WRITE_CACHE BIT(0)

/**
 * gntv3_compat_blk_mq_alloc_disk() - blk_mq_alloc_disk() with limits
 * @set: the tag set of the disk's queue
 * @lim: the limits to set on the queue, or %NULL for the defaults
 * @queuedata: the driver's data for the queue
 *
 * Return: the disk, or an ERR_PTR() from the allocation.
 */
static inline struct gendisk *
gntv3_compat_blk_mq_alloc_disk(struct blk_mq_tag_set *set,
			       const struct gntv3_compat_queue_limits *lim,
			       void *queuedata)
{
	/* one lockdep class for the queues of every disk of this file */
	static struct lock_class_key key;
	struct gendisk *disk;

	disk = __blk_mq_alloc_disk(set, queuedata, &key);
	if (IS_ERR(disk) || !lim)
		return disk;
	blk_queue_logical_block_size(disk->queue, lim->logical_block_size);
	blk_queue_max_hw_sectors(disk->queue, lim->max_hw_sectors);
	blk_queue_max_segments(disk->queue, lim->max_segments);
	blk_queue_write_cache(disk->queue,
			      lim->features & BLK_FEAT_WRITE_CACHE, false);
	return disk;
}

#undef blk_mq_alloc_disk
#define blk_mq_alloc_disk(set, lim, queuedata) \
	gntv3_compat_blk_mq_alloc_disk(set, lim, queuedata)
#endif
