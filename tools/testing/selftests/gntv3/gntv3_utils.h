/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the gntv3 kselftests: one small wrapper per ioctl returning
 * the ioctl's result (0, or -1 with errno set), and harness macros around
 * them that assert success or one exact errno.
 *
 * The macros expect the fixture to have an open /dev/gntv3 in self->fd and
 * are meant for TEST_F bodies.
 */
#ifndef _GNTV3_UTILS_H
#define _GNTV3_UTILS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/gntv3.h>		/* the repo's include/uapi/xen/gntv3.h */
#include "../../../../drivers/xen/gntv3/gntv3_test.h"

#include "kselftest_harness.h"
#include "gntv3_kv.h"

#define GNTV3_DEV		"/dev/gntv3"
#define GNTV3_DEBUGFS_DIR	"/sys/kernel/debug/gntv3"
#define GNTV3_DEBUGFS_STATS	GNTV3_DEBUGFS_DIR "/stats"

#define PAGE_SZ			4096UL

/* Values of the kernel ABI the uapi header does not carry. */
#define GNTV3_ABI_VERSION	2		/* grant_table_v3.h */
#define DOMID_SELF		0x7ff0U
#define DOMID_FIRST_RESERVED	0x7ff0U

/* Leaf entry bits, from include/xen/interface/grant_table_v3.h. */
#define PTE_VALID		(1ULL << 0)
#define PTE_TABLE		(1ULL << 1)
#define PTE_WRITE		(1ULL << 2)
#define PTE_REVOKED		(1ULL << 3)
#define PTE_DOWNGRADE		(1ULL << 4)
#define PTE_SIZE(pte)		((unsigned int)(((pte) >> 5) & 3))
#define PTE_V1			(1ULL << 7)
#define PTE_RSV_MASK		(0xfULL << 8)
#define PTE_FRAME(pte)		((pte) >> 12)

/* Assert that @cmd fails with @expected_errno. */
#define EXPECT_ERRNO(expected_errno, cmd)				\
	({								\
		ASSERT_EQ(-1, cmd);					\
		EXPECT_EQ(expected_errno, errno);			\
	})

/* ---- raw wrappers: the ioctl's own result ---- */

static inline int _gntv3_info(int fd, struct gntv3_ioc_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(fd, GNTV3_IOC_INFO, info);
}

static inline int _gntv3_tree_create(int fd, __u16 domid, __u32 *tree,
				     __u32 *tree_ref)
{
	struct gntv3_ioc_tree_create arg = { .domid = domid };
	int ret = ioctl(fd, GNTV3_IOC_TREE_CREATE, &arg);

	if (!ret && tree)
		*tree = arg.tree;
	if (!ret && tree_ref)
		*tree_ref = arg.tree_ref;
	return ret;
}

static inline int _gntv3_tree_destroy(int fd, __u32 tree)
{
	struct gntv3_ioc_tree arg = { .tree = tree };

	return ioctl(fd, GNTV3_IOC_TREE_DESTROY, &arg);
}

static inline int _gntv3_grant(int fd, __u32 tree, __u32 flags, void *addr,
			       __u32 nr_pages, __u32 order, __u64 *first_id,
			       __u64 *mmap_offset)
{
	struct gntv3_ioc_grant arg = {
		.tree = tree,
		.flags = flags,
		.addr = (__u64)(unsigned long)addr,
		.nr_pages = nr_pages,
		.order = order,
	};
	int ret = ioctl(fd, GNTV3_IOC_GRANT, &arg);

	if (!ret && first_id)
		*first_id = arg.first_id;
	if (!ret && mmap_offset)
		*mmap_offset = arg.mmap_offset;
	return ret;
}

static inline int _gntv3_end(int fd, __u32 tree, __u64 id, __s32 *result)
{
	struct gntv3_ioc_end arg = { .tree = tree, .id = id, .result = -1 };
	int ret = ioctl(fd, GNTV3_IOC_END, &arg);

	if (!ret && result)
		*result = arg.result;
	return ret;
}

static inline int _gntv3_query(int fd, __u32 tree, __u64 id,
			       struct gntv3_ioc_query *q)
{
	memset(q, 0, sizeof(*q));
	q->tree = tree;
	q->id = id;
	return ioctl(fd, GNTV3_IOC_QUERY, q);
}

static inline int _gntv3_stats(int fd, __u32 tree,
			       struct gntv3_ioc_tree_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->tree = tree;
	return ioctl(fd, GNTV3_IOC_TREE_STATS, st);
}

/* ---- harness wrappers on self->fd ---- */

/*
 * The module's transport is native (GNTV3_IOC_INFO, read once at start):
 * trees are walked by the hypervisor, leaves hold frame numbers and no v1
 * grant reference exists to check; a native grantee maps a 2 MiB leaf
 * piece by piece (Documentation/gntv3/native.rst).
 */
static int gntv3_native;

__attribute__((constructor)) static void gntv3_read_transport(void)
{
	struct gntv3_ioc_info info;
	int fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	if (!_gntv3_info(fd, &info))
		gntv3_native = info.transport == GNTV3_TRANSPORT_NATIVE;
	close(fd);
}

/*
 * This domain is auto-translated (PVH, HVM): XENFEAT_auto_translated_physmap,
 * bit 2 of /sys/hypervisor/properties/features.  Such a domain cannot map
 * its own grants (Xen would move the granted page out of the granting
 * side; gntv3's attach refuses with EOPNOTSUPP), so the suites whose
 * backend maps this domain's own grants skip there.
 */
static inline bool gntv3_self_translated(void)
{
	FILE *f = fopen("/sys/hypervisor/properties/features", "r");
	unsigned long long feat = 0;

	if (!f)
		return false;
	if (fscanf(f, "%llx", &feat) != 1)
		feat = 0;
	fclose(f);
	return feat & (1ULL << 2);
}

#define GNTV3_SKIP_TRANSLATED_MSG \
	"an auto-translated domain cannot map its own grants"

/* v1 grant references a tree holds: none on native. */
#define V1_REFS(n)	(gntv3_native ? 0 : (n))

/*
 * The superpage grant covering @id is split: one 4 KiB leaf per piece, as
 * the native transport grants a folio that is not contiguous in machine
 * frames (Documentation/gntv3/native.rst, "2 MiB leaves"); never on v1.
 * False for a 4 KiB grant and when the query fails.
 */
static inline bool gntv3_split(int fd, __u32 tree, __u64 id)
{
	struct gntv3_ioc_query q;

	return !_gntv3_query(fd, tree, id, &q) && q.order &&
	       PTE_SIZE(q.pte) == 0;
}

#define test_tree_create(domid, tree, ref)				\
	ASSERT_EQ(0, _gntv3_tree_create(self->fd, domid, tree, ref))
#define test_err_tree_create(err, domid)				\
	EXPECT_ERRNO(err, _gntv3_tree_create(self->fd, domid, NULL, NULL))
#define test_tree_destroy(tree)						\
	ASSERT_EQ(0, _gntv3_tree_destroy(self->fd, tree))
#define test_err_tree_destroy(err, tree)				\
	EXPECT_ERRNO(err, _gntv3_tree_destroy(self->fd, tree))

/* Grant @nr user pages at @addr; *first_id gets the first id. */
#define test_grant_user(tree, flags, addr, nr, first_id)		\
	ASSERT_EQ(0, _gntv3_grant(self->fd, tree, flags, addr, nr, 0,	\
				  first_id, NULL))
/* Grant a kernel folio of @order; fills *first_id and *offset. */
#define test_grant_alloc(tree, flags, order, first_id, offset)		\
	ASSERT_EQ(0, _gntv3_grant(self->fd, tree,			\
				  (flags) | GNTV3_IOC_GRANT_ALLOC, NULL, 1, \
				  order, first_id, offset))
#define test_err_grant(err, tree, flags, addr, nr, order)		\
	EXPECT_ERRNO(err, _gntv3_grant(self->fd, tree, flags, addr, nr,	\
				       order, NULL, NULL))

/* End a grant and assert that access ended at once (result 0). */
#define test_end(tree, id)						\
	({								\
		__s32 __res = -1;					\
		ASSERT_EQ(0, _gntv3_end(self->fd, tree, id, &__res));	\
		ASSERT_EQ(0, __res);					\
	})
#define test_err_end(err, tree, id)					\
	EXPECT_ERRNO(err, _gntv3_end(self->fd, tree, id, NULL))

#define test_query(tree, id, q)						\
	ASSERT_EQ(0, _gntv3_query(self->fd, tree, id, q))
#define test_err_query(err, tree, id)					\
	({								\
		struct gntv3_ioc_query __q;				\
		EXPECT_ERRNO(err, _gntv3_query(self->fd, tree, id, &__q)); \
	})

#define test_stats(tree, st)						\
	ASSERT_EQ(0, _gntv3_stats(self->fd, tree, st))

/* Anonymous, populated, page-aligned memory of @nr pages. */
static inline void *gntv3_buf(size_t nr)
{
	void *p = mmap(NULL, nr * PAGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Counter @key of /sys/kernel/debug/gntv3/stats, -1 if missing. */
static inline long long gntv3_debugfs_stat(const char *key)
{
	return gntv3_debugfs_kv(GNTV3_DEBUGFS_STATS, key);
}

#endif /* _GNTV3_UTILS_H */
