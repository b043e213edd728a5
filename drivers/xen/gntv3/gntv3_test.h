/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/gntv3 test interface: ioctls that only the kselftests (and the demo)
 * use.  They exist only in a kernel built with CONFIG_XEN_GNTV3_TEST, which
 * answers ENOTTY to them otherwise.  Not part of the production ABI in
 * include/uapi/xen/gntv3.h: their numbers and structs may change with the
 * tests.
 *
 * Include after the production header: <xen/gntv3.h> from include/uapi in
 * userspace, <uapi/xen/gntv3.h> in the kernel.  Common errors as there:
 * EFAULT, EINVAL for a non-zero pad, ENOENT for a handle the file does not
 * own.
 */
#ifndef _GNTV3_TEST_H
#define _GNTV3_TEST_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* its own macro: "make headers" renames the header's include guard */
#ifndef GNTV3_IOC_MAGIC
#error "include the /dev/gntv3 uapi header (xen/gntv3.h) first"
#endif

/* States reported in struct gntv3_ioc_query.state. */
#define GNTV3_QUERY_ACTIVE	0
#define GNTV3_QUERY_REVOKING	1
#define GNTV3_QUERY_QUARANTINED	2

/**
 * struct gntv3_ioc_query - GNTV3_IOC_QUERY: one grant of a tree
 * @tree: IN: tree handle
 * @pad: must be zero
 * @id: IN: any id the grant covers
 * @first_id: OUT: first id of the grant
 * @pte: OUT: the leaf entry as published to the backend
 * @order: OUT: page order of the grant
 * @state: OUT: GNTV3_QUERY_*
 * @readonly: OUT: 1 if read-only
 * @pad2: must be zero
 *
 * ENOENT for a tree handle the file does not own, or an id no grant covers.
 */
struct gntv3_ioc_query {
	__u32 tree;
	__u32 pad;
	__u64 id;
	__u64 first_id;
	__u64 pte;
	__u32 order;
	__u32 state;
	__u32 readonly;
	__u32 pad2;
};

/**
 * struct gntv3_ioc_tree_stats - GNTV3_IOC_TREE_STATS
 * @tree: IN: tree handle
 * @levels: OUT: levels of the tree
 * @nr_grants: OUT: active and revoking grants
 * @nr_ids: OUT: ids allocated
 * @nr_quarantined: OUT: quarantined grants
 * @nr_tables: OUT: table pages
 * @nr_v1_refs: OUT: v1 grant entries in use (tables included)
 * @nr_failures: OUT: transport failures
 *
 * ENOENT for a tree handle the file does not own.
 */
struct gntv3_ioc_tree_stats {
	__u32 tree;
	__u32 levels;
	__u64 nr_grants;
	__u64 nr_ids;
	__u64 nr_quarantined;
	__u64 nr_tables;
	__u64 nr_v1_refs;
	__u64 nr_failures;
};

/**
 * struct gntv3_ioc_map_hold - GNTV3_IOC_MAP_HOLD: take or drop an extra page
 * reference on one page of a mapping, as a driver still doing I/O would
 * @map: IN: mapping handle
 * @page: IN: page index within the mapping
 * @hold: IN: 1 take a reference, 0 drop the one taken before
 * @pad: must be zero
 *
 * ENOENT for an unknown mapping handle; EINVAL for @page beyond the
 * mapping, @hold above 1, or a drop without a hold; EBUSY for a new hold
 * while the mapping is being unmapped (dropping one is what the unmap waits
 * for, and is allowed); EOVERFLOW when a page already has 65535 holds.
 */
struct gntv3_ioc_map_hold {
	__u32 map;
	__u32 page;
	__u32 hold;
	__u32 pad;
};

/**
 * struct gntv3_ioc_back_stats - GNTV3_IOC_BACK_STATS: counters of the module
 * @nr_mapped: OUT: mappings alive
 * @nr_pages_mapped: OUT: foreign pages mapped
 * @nr_unmap_pending: OUT: unmaps waiting for their pages to be released
 * @nr_unmap_retries: OUT: timer retries of the safe unmap so far
 * @nr_unmap_stuck: OUT: unmaps that gave up after the last retry
 * @nr_bad_entries: OUT: malformed tree entries rejected
 */
struct gntv3_ioc_back_stats {
	__u64 nr_mapped;
	__u64 nr_pages_mapped;
	__u64 nr_unmap_pending;
	__u64 nr_unmap_retries;
	__u64 nr_unmap_stuck;
	__u64 nr_bad_entries;
};

/**
 * struct gntv3_ioc_grant_huge - GNTV3_IOC_GRANT_HUGE: grant the huge page
 *	under a user address (hugetlbfs, mmap() with MAP_HUGETLB) as one leaf
 * @tree: IN: tree handle
 * @flags: IN: GNTV3_IOC_GRANT_READONLY or 0
 * @addr: IN: user address of the huge page's first byte
 * @order: IN: 9 (2 MiB) or 18 (1 GiB); the folio under @addr must have
 *	exactly this order
 * @pad: must be zero
 * @first_id: OUT: first grant id; the grant covers 1 << @order ids
 *
 * The folio is pinned (long term) until END or close, as the user pages of
 * GNTV3_IOC_GRANT are, and END ends it like any other grant of the file.
 * This is the way to a 1 GiB grant: a module cannot allocate a gigantic
 * folio, but hugetlbfs hands out one reserved at boot (hugepagesz=1G
 * hugepages=1).
 *
 * ENOENT for an unknown tree; EINVAL for an unknown flag, @order not 9 or
 * 18, @addr not aligned to the huge page size, or memory under @addr that is
 * not a folio of order @order; EFAULT for memory that cannot be pinned
 * (writable unless READONLY); ENOSPC as for GNTV3_IOC_GRANT (a 1 GiB grant
 * needs 2^18 consecutive v1 grant references on the v1 transport).
 */
struct gntv3_ioc_grant_huge {
	__u32 tree;
	__u32 flags;
	__u64 addr;
	__u32 order;
	__u32 pad;
	__u64 first_id;
};

/*
 * Numbers 0x70 .. 0x7f of GNTV3_IOC_MAGIC belong to the test interface; the
 * production ioctls stay below.
 */
#define GNTV3_IOC_QUERY		_IOWR(GNTV3_IOC_MAGIC, 0x70, struct gntv3_ioc_query)
#define GNTV3_IOC_TREE_STATS	_IOWR(GNTV3_IOC_MAGIC, 0x71, struct gntv3_ioc_tree_stats)
#define GNTV3_IOC_MAP_HOLD	_IOW(GNTV3_IOC_MAGIC, 0x72, struct gntv3_ioc_map_hold)
#define GNTV3_IOC_BACK_STATS	_IOR(GNTV3_IOC_MAGIC, 0x73, struct gntv3_ioc_back_stats)
#define GNTV3_IOC_GRANT_HUGE	_IOWR(GNTV3_IOC_MAGIC, 0x74, struct gntv3_ioc_grant_huge)

#endif /* _GNTV3_TEST_H */
