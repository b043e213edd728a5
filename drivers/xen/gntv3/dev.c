// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 /dev/gntv3: the ioctl dispatcher, the frontend ioctls, and mmap() of
 * kernel-allocated grants.
 *
 * Every open file is a context of its own: the trees it creates, the user
 * pages it pins and the folios it allocates are recorded in its struct
 * gntv3_file and released when it is closed, that is when the last
 * descriptor is closed and the last mmap() of it unmapped.  Every ioctl goes
 * through one table (gntv3_ioctl_ops), which copies its argument in and
 * checks its pads; the backend handlers are in dev_back.c, the connection
 * ones in dev_conn.c, COPY in dev_copy.c and the test-only ones in
 * dev_test.c.
 *
 * Errors of the frontend ioctls, beyond -EFAULT for an unreadable or
 * unwritable argument (a result that cannot be written back undoes the
 * call) and -EINVAL for a non-zero pad or an unknown flag:
 *
 *  INFO         none.
 *  TREE_CREATE  -EINVAL: @domid is DOMID_SELF or another reserved id;
 *               -ENOSPC: GNTV3_DEV_MAX_TREES trees already exist, or no
 *               v1 grant reference is left for the descriptor.
 *  TREE_DESTROY -ENOENT: no such handle; -EBUSY: the tree has grants.
 *  GRANT        -ENOENT: no such tree handle;
 *               -EINVAL: @nr_pages 0 or above GNTV3_IOC_MAX_PAGES, @order
 *               not 0, 9 or 18, a non-zero @order without ALLOC, ALLOC
 *               with @nr_pages != 1 or @addr != 0, @addr not page aligned,
 *               a user page that is part of a huge page;
 *               -EFAULT: @addr .. + @nr_pages cannot be pinned (writable
 *               unless READONLY);
 *               -ENOMEM: the folio could not be allocated (always for
 *               1 GiB: above the buddy allocator's largest order);
 *               -ENOSPC: the file's dev_max_grants or
 *               GNTV3_DEV_MAX_ALLOC_PAGES is reached, or the tree ran out
 *               of ids or v1 grant references.
 *  END          -ENOENT: no such tree handle, or no grant of this file
 *               starts at @id (an id inside a superpage, or one already
 *               ended: a second END fails this way).  @result 1 means
 *               the backend still maps the grant and gntv3 quarantined
 *               it; the file drops its pin or folio reference either way.
 *  CONNECT      -ENOENT: no such tree handle; -EEXIST: connected already;
 *               errors of gntv3_front_connect().
 *  DISCONNECT   -ENOENT: no such tree handle; -ENOTCONN: not connected.
 *  REVOKE       -ENOENT: no such tree handle, or no grant of this file
 *               starts at @id; -EALREADY: the grant is being revoked;
 *               @result 0 (done) or 1 (dead), see gntv3_revoke().
 *  CONN_INFO    -ENOENT: no such tree handle; -ENOTCONN: not connected.
 *  others       -ENOTTY, also for a known number with another direction
 *               or a shorter struct.
 *
 * The test ioctls (QUERY, TREE_STATS, MAP_HOLD, BACK_STATS) are in
 * dev_test.c, with CONFIG_XEN_GNTV3_TEST only; so is GRANT_HUGE, whose
 * handler is here, beside the other grant paths it shares its records with.
 *
 * mmap() of GRANT's @mmap_offset maps the allocated folio, or a page range
 * of it; -EINVAL for a private mapping, an offset that names no live ALLOC
 * grant, or a range past the folio.
 */

#define pr_fmt(fmt) "gntv3: " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <xen/gntv3.h>
#include <xen/xen.h>
#include <xen/xenbus.h>
#include <uapi/xen/gntv3.h>

#include "dev.h"
#include "gntv3_test.h"
#include "internal.h"

/*
 * mmap() offsets of GNTV3_IOC_GRANT_ALLOC memory: slot N starts at byte
 * N << GNTV3_DEV_SLOT_SHIFT, one window of the largest folio size per slot.
 */
#define GNTV3_DEV_SLOT_SHIFT	30
#define GNTV3_DEV_SLOT_PGSHIFT	(GNTV3_DEV_SLOT_SHIFT - PAGE_SHIFT)

static unsigned int dev_max_grants = GNTV3_DEV_MAX_GRANTS;
module_param(dev_max_grants, uint, 0644);
MODULE_PARM_DESC(dev_max_grants,
		 "Grants one open /dev/gntv3 file may hold at once (default 65536)");

/**
 * struct gntv3_dev_tree - a tree created through one file
 * @front: the tree
 * @grants: first grant id -> struct gntv3_dev_grant, for every grant made
 *	through this file and not ended yet
 */
struct gntv3_dev_tree {
	struct gntv3_front *front;
	struct xarray grants;
};

/**
 * struct gntv3_dev_grant - what the file holds for one grant
 * @page: the pinned user page, or the first page of the allocated folio
 * @slot: mmap slot of an allocated folio (see struct gntv3_file.allocs);
 *	0 for a pinned user page
 */
struct gntv3_dev_grant {
	struct page *page;
	u32 slot;
};

/* Look up tree @handle: returned with file->lock held, or NULL unlocked. */
static struct gntv3_dev_tree *gntv3_dev_tree_lock(struct gntv3_file *file,
						  u32 handle)
{
	struct gntv3_dev_tree *tree;

	mutex_lock(&file->lock);
	tree = xa_load(&file->trees, handle);
	if (!tree)
		mutex_unlock(&file->lock);
	return tree;
}

/**
 * gntv3_dev_front_lock() - look up a tree handle of the file
 * @file: the file
 * @handle: tree handle from GNTV3_IOC_TREE_CREATE
 *
 * Return: the tree's front with @file->lock held, or NULL (not held).
 */
struct gntv3_front *gntv3_dev_front_lock(struct gntv3_file *file, u32 handle)
{
	struct gntv3_dev_tree *tree = gntv3_dev_tree_lock(file, handle);

	return tree ? tree->front : NULL;
}

/* Drop the file's hold on the memory of a grant that gntv3 no longer uses. */
static void gntv3_dev_put_grant(struct gntv3_file *file, struct gntv3_dev_grant *g)
{
	if (g->slot) {
		struct folio *folio = page_folio(g->page);

		/* After the erase, mmap() can no longer find and map the folio. */
		xa_erase(&file->allocs, g->slot);
		file->nr_alloc_pages -= folio_nr_pages(folio);
		folio_put(folio);
	} else {
		unpin_user_page(g->page);
	}
	file->nr_grants--;
	kfree(g);
}

/*
 * End the grant @id of @tree and release what the file holds for it.
 * Returns 0 if access ended, 1 if gntv3 quarantined the grant (it keeps its
 * own reference on the memory, so the file's pin or reference can go), or a
 * negative errno with the grant left as it was.
 */
static int gntv3_dev_end(struct gntv3_file *file, struct gntv3_dev_tree *tree,
			 gntv3_id_t id)
{
	struct gntv3_dev_grant *g;
	int ret;

	lockdep_assert_held(&file->lock);
	g = xa_load(&tree->grants, id);
	if (!g)
		return -ENOENT;
	ret = gntv3_end_grant(tree->front, id);
	if (ret < 0)
		return ret;
	xa_erase(&tree->grants, id);
	gntv3_dev_put_grant(file, g);
	return ret;
}

/* Record a grant of @tree made through @file; on error nothing is kept. */
static int gntv3_dev_track(struct gntv3_file *file, struct gntv3_dev_tree *tree,
			   gntv3_id_t id, struct page *page, u32 slot)
{
	struct gntv3_dev_grant *g;
	int ret;

	g = kmalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	g->page = page;
	g->slot = slot;
	ret = xa_insert(&tree->grants, id, g, GFP_KERNEL);
	if (ret) {
		kfree(g);
		return ret;
	}
	file->nr_grants++;
	return 0;
}

/* ------------------------------------------------------------------------
 * Trees
 */

static int gntv3_dev_tree_create(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_tree_create *arg = ucmd->cmd;
	struct gntv3_file *file = ucmd->file;
	struct gntv3_dev_tree *tree;
	u32 handle;
	int ret;

	/* DOMID_SELF and the other reserved ids name no domain to grant to. */
	if (arg->domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;

	tree = kzalloc(sizeof(*tree), GFP_KERNEL);
	if (!tree)
		return -ENOMEM;
	xa_init(&tree->grants);

	mutex_lock(&file->lock);
	if (file->nr_trees >= GNTV3_DEV_MAX_TREES) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	tree->front = gntv3_front_create(arg->domid);
	if (IS_ERR(tree->front)) {
		ret = PTR_ERR(tree->front);
		goto out_unlock;
	}
	ret = xa_alloc(&file->trees, &handle, tree, xa_limit_32b, GFP_KERNEL);
	if (ret)
		goto out_destroy;
	file->nr_trees++;

	arg->tree = handle;
	arg->tree_ref = gntv3_front_tree_ref(tree->front);
	/* Copied out under the lock, so that a failure is undone unseen. */
	ret = gntv3_ucmd_respond(ucmd, sizeof(*arg));
	if (ret) {
		xa_erase(&file->trees, handle);
		file->nr_trees--;
		goto out_destroy;
	}
	mutex_unlock(&file->lock);
	return 0;

out_destroy:
	gntv3_front_destroy(tree->front);
out_unlock:
	mutex_unlock(&file->lock);
	kfree(tree);
	return ret;
}

/*
 * Free a tree whose grants are all gone from the file.  Grants that gntv3
 * quarantined are not the file's any more: gntv3_front_destroy() leaves them
 * to gntv3, which frees the tree when the last one is released.
 */
static int gntv3_dev_tree_free(struct gntv3_file *file, u32 handle,
			       struct gntv3_dev_tree *tree)
{
	int ret;

	ret = gntv3_front_destroy(tree->front);
	if (ret)
		return ret;
	xa_erase(&file->trees, handle);
	file->nr_trees--;
	xa_destroy(&tree->grants);
	kfree(tree);
	return 0;
}

static int gntv3_dev_tree_destroy(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_tree *arg = ucmd->cmd;
	struct gntv3_file *file = ucmd->file;
	struct gntv3_dev_tree *tree;
	int ret;

	tree = gntv3_dev_tree_lock(file, arg->tree);
	if (!tree)
		return -ENOENT;
	if (!xa_empty(&tree->grants))
		ret = -EBUSY;
	else
		ret = gntv3_dev_tree_free(file, arg->tree, tree);
	mutex_unlock(&file->lock);
	return ret;
}

/* ------------------------------------------------------------------------
 * Grants
 */

static int gntv3_dev_grant_check(const struct gntv3_ioc_grant *arg)
{
	bool alloc = arg->flags & GNTV3_IOC_GRANT_ALLOC;

	if (arg->flags & ~(GNTV3_IOC_GRANT_READONLY | GNTV3_IOC_GRANT_ALLOC))
		return -EINVAL;
	if (!arg->nr_pages || arg->nr_pages > GNTV3_IOC_MAX_PAGES)
		return -EINVAL;
	if (arg->order != GNTV3_SIZE_ORDER(GNTV3_SIZE_4K) &&
	    arg->order != GNTV3_SIZE_ORDER(GNTV3_SIZE_2M) &&
	    arg->order != GNTV3_SIZE_ORDER(GNTV3_SIZE_1G))
		return -EINVAL;
	if (!alloc)
		return arg->order || !PAGE_ALIGNED(arg->addr) ? -EINVAL : 0;
	/* One folio per ALLOC grant: one mmap window, one END. */
	if (arg->nr_pages != 1 || arg->addr)
		return -EINVAL;
	return 0;
}

/*
 * Undo gntv3_dev_grant_user() after gntv3_grant_pages() succeeded: end the
 * @nr grants from @first and drop their records, then the pins.
 */
static void gntv3_dev_grant_user_undo(struct gntv3_file *file,
				      struct gntv3_dev_tree *tree,
				      gntv3_id_t first, struct page **pages,
				      unsigned int nr)
{
	struct gntv3_dev_grant *g;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		g = xa_erase(&tree->grants, first + i);
		if (g) {
			file->nr_grants--;
			kfree(g);
		}
		/* A quarantined grant keeps its own reference on the page. */
		if (gntv3_end_grant(tree->front, first + i) < 0)
			pr_warn_ratelimited("cannot end id %llu after a failed grant\n",
					    first + i);
	}
	unpin_user_pages(pages, nr);
}

static int gntv3_dev_grant_user(struct gntv3_file *file,
				struct gntv3_dev_tree *tree,
				struct gntv3_ioc_grant *arg)
{
	bool ro = arg->flags & GNTV3_IOC_GRANT_READONLY;
	unsigned int nr = arg->nr_pages, i;
	struct page **pages;
	gntv3_id_t first;
	int ret;

	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	/* Long term: the backend may use the pages until END or close. */
	ret = pin_user_pages_fast(arg->addr, nr,
				  FOLL_LONGTERM | (ro ? 0 : FOLL_WRITE), pages);
	if (ret < 0)
		goto out_free;
	if (ret != nr) {
		unpin_user_pages(pages, ret);
		ret = -EFAULT;
		goto out_free;
	}

	ret = gntv3_grant_pages(tree->front, pages, nr,
				ro ? GNTV3_GRANT_READONLY : 0, &first);
	if (ret) {
		unpin_user_pages(pages, nr);
		goto out_free;
	}
	for (i = 0; i < nr; i++) {
		ret = gntv3_dev_track(file, tree, first + i, pages[i], 0);
		if (ret) {
			gntv3_dev_grant_user_undo(file, tree, first, pages, nr);
			goto out_free;
		}
	}
	arg->first_id = first;
	arg->mmap_offset = 0;
out_free:
	kvfree(pages);
	return ret;
}

static int gntv3_dev_grant_alloc(struct gntv3_file *file,
				 struct gntv3_dev_tree *tree,
				 struct gntv3_ioc_grant *arg)
{
	unsigned int flags = arg->flags & GNTV3_IOC_GRANT_READONLY ?
			     GNTV3_GRANT_READONLY : 0;
	struct folio *folio;
	gntv3_id_t id;
	u32 slot;
	int ret;

	if (file->nr_alloc_pages + (1UL << arg->order) > GNTV3_DEV_MAX_ALLOC_PAGES)
		return -ENOSPC;
	/*
	 * A 1 GiB folio is above what the buddy allocator hands out, and the
	 * contiguous allocator behind gigantic folios is not open to modules.
	 */
	if (arg->order > MAX_PAGE_ORDER)
		return -ENOMEM;
	folio = folio_alloc(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN,
			    arg->order);
	if (!folio)
		return -ENOMEM;

	/* Reserve the slot; mmap() finds nothing there until xa_store(). */
	ret = xa_alloc(&file->allocs, &slot, NULL, xa_limit_31b, GFP_KERNEL);
	if (ret)
		goto out_put;
	ret = gntv3_grant_folio(tree->front, folio, flags, &id);
	if (ret)
		goto out_release;
	ret = gntv3_dev_track(file, tree, id, folio_page(folio, 0), slot);
	if (ret) {
		if (gntv3_end_grant(tree->front, id) < 0)
			pr_warn_ratelimited("cannot end id %llu after a failed grant\n", id);
		goto out_release;
	}
	/* The slot is reserved, so this store allocates nothing. */
	xa_store(&file->allocs, slot, folio, GFP_KERNEL);
	file->nr_alloc_pages += folio_nr_pages(folio);

	arg->first_id = id;
	arg->mmap_offset = (u64)slot << GNTV3_DEV_SLOT_SHIFT;
	return 0;

out_release:
	xa_release(&file->allocs, slot);
out_put:
	folio_put(folio);
	return ret;
}

#ifdef CONFIG_XEN_GNTV3_TEST
/* Pin the folio of order @order that starts at @addr; its head page or NULL. */
static struct page *gntv3_dev_pin_huge(u64 addr, unsigned int order, bool ro)
{
	struct page *page;

	/* One pin on the head page holds the whole folio (gup_put_folio()). */
	if (pin_user_pages_fast(addr, 1, FOLL_LONGTERM | (ro ? 0 : FOLL_WRITE),
				&page) != 1)
		return ERR_PTR(-EFAULT);
	if (!PageHead(page) || folio_order(page_folio(page)) != order) {
		unpin_user_page(page);
		return ERR_PTR(-EINVAL);
	}
	return page;
}

/**
 * gntv3_test_ioc_grant_huge() - GNTV3_IOC_GRANT_HUGE
 * @ucmd: the call; its struct gntv3_ioc_grant_huge
 *
 * Grants a hugetlbfs folio of user memory as one superpage leaf, recorded
 * like a pinned user page of GNTV3_IOC_GRANT (END unpins it).
 *
 * Return: 0 or a negative errno, see struct gntv3_ioc_grant_huge.
 */
int gntv3_test_ioc_grant_huge(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_grant_huge *arg = ucmd->cmd;
	bool ro = arg->flags & GNTV3_IOC_GRANT_READONLY;
	struct gntv3_file *file = ucmd->file;
	struct gntv3_dev_tree *tree;
	struct page *page;
	gntv3_id_t id;
	int ret;

	if (arg->flags & ~GNTV3_IOC_GRANT_READONLY)
		return -EINVAL;
	if (arg->order != GNTV3_SIZE_ORDER(GNTV3_SIZE_2M) &&
	    arg->order != GNTV3_SIZE_ORDER(GNTV3_SIZE_1G))
		return -EINVAL;
	if (!IS_ALIGNED(arg->addr, PAGE_SIZE << arg->order))
		return -EINVAL;
	page = gntv3_dev_pin_huge(arg->addr, arg->order, ro);
	if (IS_ERR(page))
		return PTR_ERR(page);

	tree = gntv3_dev_tree_lock(file, arg->tree);
	if (!tree) {
		ret = -ENOENT;
		goto out_unpin;
	}
	ret = -ENOSPC;
	if (file->nr_grants >= READ_ONCE(dev_max_grants))
		goto out_unlock;
	ret = gntv3_grant_folio(tree->front, page_folio(page),
				ro ? GNTV3_GRANT_READONLY : 0, &id);
	if (ret)
		goto out_unlock;
	ret = gntv3_dev_track(file, tree, id, page, 0);
	if (ret) {
		if (gntv3_end_grant(tree->front, id) < 0)
			pr_warn_ratelimited("cannot end id %llu after a failed grant\n", id);
		goto out_unlock;
	}
	arg->first_id = id;
	/* From here on the grant record owns the pin. */
	ret = gntv3_ucmd_respond(ucmd, sizeof(*arg));
	if (ret)
		gntv3_dev_end(file, tree, id);
	mutex_unlock(&file->lock);
	return ret;

out_unlock:
	mutex_unlock(&file->lock);
out_unpin:
	unpin_user_page(page);
	return ret;
}
#endif /* CONFIG_XEN_GNTV3_TEST */

static int gntv3_dev_grant(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_grant *arg = ucmd->cmd;
	struct gntv3_file *file = ucmd->file;
	struct gntv3_dev_tree *tree;
	unsigned int nr;
	int ret;

	ret = gntv3_dev_grant_check(arg);
	if (ret)
		return ret;

	tree = gntv3_dev_tree_lock(file, arg->tree);
	if (!tree)
		return -ENOENT;
	nr = arg->flags & GNTV3_IOC_GRANT_ALLOC ? 1 : arg->nr_pages;
	if (file->nr_grants + nr > READ_ONCE(dev_max_grants)) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	if (arg->flags & GNTV3_IOC_GRANT_ALLOC)
		ret = gntv3_dev_grant_alloc(file, tree, arg);
	else
		ret = gntv3_dev_grant_user(file, tree, arg);
	if (ret)
		goto out_unlock;

	/* Copied out under the lock, so that a failure is undone unseen. */
	ret = gntv3_ucmd_respond(ucmd, sizeof(*arg));
	if (ret) {
		while (nr--)
			gntv3_dev_end(file, tree, arg->first_id + nr);
	}
out_unlock:
	mutex_unlock(&file->lock);
	return ret;
}

static int gntv3_dev_end_ioctl(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_end *arg = ucmd->cmd;
	struct gntv3_file *file = ucmd->file;
	struct gntv3_dev_tree *tree;
	int ret;

	tree = gntv3_dev_tree_lock(file, arg->tree);
	if (!tree)
		return -ENOENT;
	ret = gntv3_dev_end(file, tree, arg->id);
	mutex_unlock(&file->lock);
	if (ret < 0)
		return ret;

	arg->result = ret;
	return gntv3_ucmd_respond(ucmd, sizeof(*arg));
}

/* ------------------------------------------------------------------------
 * Revocation (the connection ioctls are in dev_conn.c)
 */

/*
 * The wait for the backend's answer happens under file->lock, which keeps
 * the tree and the grant record alive; the backend side of a loopback test
 * runs on another file.
 */
static int gntv3_dev_revoke(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_revoke *arg = ucmd->cmd;
	struct gntv3_file *file = ucmd->file;
	struct gntv3_dev_tree *tree;
	struct gntv3_dev_grant *g;
	bool downgrade;
	int ret;

	if (arg->flags & ~GNTV3_IOC_REVOKE_DOWNGRADE)
		return -EINVAL;
	downgrade = arg->flags & GNTV3_IOC_REVOKE_DOWNGRADE;

	tree = gntv3_dev_tree_lock(file, arg->tree);
	if (!tree)
		return -ENOENT;
	g = xa_load(&tree->grants, arg->id);
	if (!g) {
		ret = -ENOENT;
		goto out;
	}
	ret = gntv3_revoke(tree->front, arg->id,
			   downgrade ? GNTV3_REVOKE_F_DOWNGRADE : 0,
			   arg->timeout_ms);
	/* gone unless a downgrade succeeded; a dead grant keeps its own ref */
	if (ret == GNTV3_REVOKE_DEAD || (ret == GNTV3_REVOKE_DONE && !downgrade)) {
		xa_erase(&tree->grants, arg->id);
		gntv3_dev_put_grant(file, g);
	}
out:
	mutex_unlock(&file->lock);
	if (ret < 0)
		return ret;
	arg->result = ret;
	return gntv3_ucmd_respond(ucmd, sizeof(*arg));
}

/* ------------------------------------------------------------------------
 * Module information
 */

/* Our domain id: 0 for dom0, else what the toolstack wrote in xenstore. */
static domid_t gntv3_dev_self_domid(void)
{
	unsigned int domid;

	if (xen_initial_domain())
		return 0;
	/* A relative path is under our own /local/domain/<domid>. */
	if (xenbus_scanf(XBT_NIL, "domid", "", "%u", &domid) != 1 ||
	    domid >= DOMID_FIRST_RESERVED)
		return DOMID_SELF;
	return domid;
}

static int gntv3_dev_info(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_info *arg = ucmd->cmd;

	arg->transport = gntv3_transport->uapi_id;
	arg->probe_rc = gntv3_probe_rc;
	arg->abi_version = GNTV3_ABI_VERSION;
	arg->self_domid = gntv3_dev_self_domid();
	return gntv3_ucmd_respond(ucmd, sizeof(*arg));
}

/* ------------------------------------------------------------------------
 * File operations
 */

/* ------------------------------------------------------------------------
 * ioctl dispatch
 *
 * One table entry per command, indexed by its number: the full ioctl
 * number (direction and size included), the size of its struct and the
 * smallest size userspace may pass, the fields that must be zero and its
 * handler.  The
 * dispatcher does, once for every command, what each handler would
 * otherwise repeat: it finds the command, copies the argument in
 * (copy_struct_from_user(): a shorter struct is zero-extended, a longer
 * one must be zero past what this kernel knows), and fails a non-zero pad
 * with -EINVAL.  The handler checks flags and values, looks up its handle
 * and answers with gntv3_ucmd_respond().
 */

/* The first and the last command number of GNTV3_IOC_MAGIC. */
#define GNTV3_IOC_NR_FIRST	0x30
#define GNTV3_IOC_NR_LAST	0x7f

/* Every command's struct, so that the dispatcher has room for any. */
union gntv3_ucmd_buffer {
	struct gntv3_ioc_info info;
	struct gntv3_ioc_tree_create tree_create;
	struct gntv3_ioc_tree tree;
	struct gntv3_ioc_grant grant;
	struct gntv3_ioc_end end;
	struct gntv3_ioc_attach attach;
	struct gntv3_ioc_detach detach;
	struct gntv3_ioc_map map;
	struct gntv3_ioc_unmap unmap;
	struct gntv3_ioc_map_rw map_rw;
	struct gntv3_ioc_unmap_batch unmap_batch;
	struct gntv3_ioc_copy copy;
	struct gntv3_ioc_connect connect;
	struct gntv3_ioc_revoke revoke;
	struct gntv3_ioc_conn_info conn_info;
	struct gntv3_ioc_back_connect back_connect;
	struct gntv3_ioc_back_notify back_notify;
	struct gntv3_ioc_back_conn_info back_conn_info;
	struct gntv3_ioc_query query;
	struct gntv3_ioc_tree_stats tree_stats;
	struct gntv3_ioc_map_hold map_hold;
	struct gntv3_ioc_back_stats back_stats;
	struct gntv3_ioc_grant_huge grant_huge;
};

/**
 * struct gntv3_ioctl_op - one command of /dev/gntv3
 * @cmd: the ioctl number, direction and size included
 * @size: sizeof() its struct
 * @min_size: the shortest struct accepted: up to its last field of the
 *	first ABI version that had the command
 * @zero: a struct of the command's type with every bit set that must be
 *	zero in the argument (pad and reserved fields): the bytes of the
 *	argument and of @zero are ANDed
 * @execute: the handler
 */
struct gntv3_ioctl_op {
	unsigned int cmd;
	u16 size;
	u16 min_size;
	const void *zero;
	int (*execute)(struct gntv3_ucmd *ucmd);
};

/* A field of this value in @zero must be zero in the argument. */
#define GNTV3_MBZ	(-1)

/*
 * GNTV3_IOC_<_name>, handled by _fn, takes struct gntv3_ioc_<_s> of which
 * userspace must pass at least up to _last; the rest of the arguments name
 * the fields that must be zero, as in ".pad = GNTV3_MBZ".
 */
#define GNTV3_IOCTL_OP(_name, _fn, _s, _last, ...)			\
	[_IOC_NR(GNTV3_IOC_##_name) - GNTV3_IOC_NR_FIRST] = {		\
		.cmd = GNTV3_IOC_##_name,				\
		.size = sizeof(struct gntv3_ioc_##_s) +			\
			BUILD_BUG_ON_ZERO(sizeof(union gntv3_ucmd_buffer) < \
					  sizeof(struct gntv3_ioc_##_s)) + \
			BUILD_BUG_ON_ZERO(_IOC_SIZE(GNTV3_IOC_##_name) != \
					  sizeof(struct gntv3_ioc_##_s)), \
		.min_size = offsetofend(struct gntv3_ioc_##_s, _last),	\
		.zero = &(const struct gntv3_ioc_##_s){ __VA_ARGS__ },	\
		.execute = _fn,						\
	}

static const struct gntv3_ioctl_op gntv3_ioctl_ops[] = {
	GNTV3_IOCTL_OP(INFO, gntv3_dev_info, info, pad),
	GNTV3_IOCTL_OP(TREE_CREATE, gntv3_dev_tree_create, tree_create, pad,
		       .flags = GNTV3_MBZ, .pad = GNTV3_MBZ),
	GNTV3_IOCTL_OP(TREE_DESTROY, gntv3_dev_tree_destroy, tree, pad,
		       .pad = GNTV3_MBZ),
	GNTV3_IOCTL_OP(GRANT, gntv3_dev_grant, grant, mmap_offset),
	GNTV3_IOCTL_OP(END, gntv3_dev_end_ioctl, end, pad2,
		       .pad = GNTV3_MBZ, .pad2 = GNTV3_MBZ),
	GNTV3_IOCTL_OP(ATTACH, gntv3_dev_ioc_attach, attach, back,
		       .pad = GNTV3_MBZ),
	GNTV3_IOCTL_OP(DETACH, gntv3_dev_ioc_detach, detach, pad,
		       .pad = GNTV3_MBZ),
	GNTV3_IOCTL_OP(MAP, gntv3_dev_ioc_map, map, pad, .pad = GNTV3_MBZ),
	GNTV3_IOCTL_OP(UNMAP, gntv3_dev_ioc_unmap, unmap, pad,
		       .pad = GNTV3_MBZ),
	GNTV3_IOCTL_OP(MAP_RW, gntv3_dev_ioc_map_rw, map_rw, buf),
	GNTV3_IOCTL_OP(UNMAP_BATCH, gntv3_dev_ioc_unmap_batch, unmap_batch,
		       flags, .flags = GNTV3_MBZ),
	GNTV3_IOCTL_OP(COPY, gntv3_dev_ioc_copy, copy, segs),
	GNTV3_IOCTL_OP(CONNECT, gntv3_dev_connect, connect, devid),
	GNTV3_IOCTL_OP(DISCONNECT, gntv3_dev_disconnect, tree, pad,
		       .pad = GNTV3_MBZ),
	GNTV3_IOCTL_OP(REVOKE, gntv3_dev_revoke, revoke, result),
	GNTV3_IOCTL_OP(CONN_INFO, gntv3_dev_conn_info, conn_info, resets),
	GNTV3_IOCTL_OP(BACK_CONNECT, gntv3_dev_ioc_back_connect, back_connect,
		       back, .pad = GNTV3_MBZ),
	GNTV3_IOCTL_OP(BACK_NOTIFY, gntv3_dev_ioc_back_notify, back_notify, id),
	GNTV3_IOCTL_OP(BACK_CONN_INFO, gntv3_dev_ioc_back_conn_info,
		       back_conn_info, connected),
#ifdef CONFIG_XEN_GNTV3_TEST
	GNTV3_IOCTL_OP(QUERY, gntv3_test_ioc_query, query, pad2,
		       .pad = GNTV3_MBZ, .pad2 = GNTV3_MBZ),
	GNTV3_IOCTL_OP(TREE_STATS, gntv3_test_ioc_tree_stats, tree_stats,
		       nr_failures),
	GNTV3_IOCTL_OP(MAP_HOLD, gntv3_test_ioc_map_hold, map_hold, pad,
		       .pad = GNTV3_MBZ),
	GNTV3_IOCTL_OP(BACK_STATS, gntv3_test_ioc_back_stats, back_stats,
		       nr_bad_entries),
	GNTV3_IOCTL_OP(GRANT_HUGE, gntv3_test_ioc_grant_huge, grant_huge,
		       first_id, .pad = GNTV3_MBZ),
#endif
};

/**
 * gntv3_ucmd_respond() - copy a command's answer back to userspace
 * @ucmd: the call
 * @size: size of the command's struct
 *
 * Copies what userspace has room for: @size, or less for a shorter struct.
 *
 * Return: 0 or -EFAULT.
 */
int gntv3_ucmd_respond(struct gntv3_ucmd *ucmd, size_t size)
{
	if (copy_to_user(ucmd->ubuf, ucmd->cmd, min_t(size_t, size, ucmd->user_size)))
		return -EFAULT;
	return 0;
}

static long gntv3_dev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct gntv3_ucmd ucmd = {
		.file = filp->private_data,
		.ubuf = (void __user *)arg,
		.user_size = _IOC_SIZE(cmd),
	};
	const struct gntv3_ioctl_op *op;
	union gntv3_ucmd_buffer buf;
	unsigned int nr = _IOC_NR(cmd), i;
	const u8 *zero;
	int ret;

	if (_IOC_TYPE(cmd) != GNTV3_IOC_MAGIC || nr < GNTV3_IOC_NR_FIRST ||
	    nr - GNTV3_IOC_NR_FIRST >= ARRAY_SIZE(gntv3_ioctl_ops))
		return -ENOTTY;
	op = &gntv3_ioctl_ops[array_index_nospec(nr - GNTV3_IOC_NR_FIRST,
						 ARRAY_SIZE(gntv3_ioctl_ops))];
	/* A known number with another direction, or too short, is not ours. */
	if (!op->execute || _IOC_DIR(cmd) != _IOC_DIR(op->cmd) ||
	    ucmd.user_size < op->min_size)
		return -ENOTTY;

	ucmd.cmd = &buf;
	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		ret = copy_struct_from_user(&buf, op->size, ucmd.ubuf,
					    ucmd.user_size);
		if (ret)
			return ret;
	} else {
		memset(&buf, 0, op->size);
	}
	zero = op->zero;
	for (i = 0; i < op->size; i++)
		if (((u8 *)&buf)[i] & zero[i])
			return -EINVAL;
	return op->execute(&ucmd);
}

/*
 * Map (part of) the folio of a GNTV3_IOC_GRANT_ALLOC grant.  Each page table
 * entry holds a page reference, so the memory stays valid for the mapping
 * after END or close; gntv3 no longer grants it by then.
 *
 * Called with mmap_lock held: takes only the xa_lock of @allocs, never
 * file->lock, which is held around pin_user_pages_fast().
 */
static int gntv3_dev_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct gntv3_file *file = filp->private_data;
	unsigned long slot = vma->vm_pgoff >> GNTV3_DEV_SLOT_PGSHIFT;
	unsigned long first = vma->vm_pgoff & ((1UL << GNTV3_DEV_SLOT_PGSHIFT) - 1);
	unsigned long nr = vma_pages(vma), i;
	struct folio *folio;
	int ret = 0;

	/* A private mapping would copy on write, away from the granted memory. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	xa_lock(&file->allocs);
	folio = xa_load(&file->allocs, slot);
	if (folio)
		folio_get(folio);
	xa_unlock(&file->allocs);
	if (!folio)
		return -EINVAL;

	if (first >= folio_nr_pages(folio) || nr > folio_nr_pages(folio) - first) {
		ret = -EINVAL;
		goto out_put;
	}
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	for (i = 0; i < nr && !ret; i++)
		ret = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				     folio_page(folio, first + i));
out_put:
	folio_put(folio);
	return ret;
}

static int gntv3_dev_open(struct inode *inode, struct file *filp)
{
	struct gntv3_file *file;
	int ret;

	file = kzalloc(sizeof(*file), GFP_KERNEL);
	if (!file)
		return -ENOMEM;
	mutex_init(&file->lock);
	xa_init_flags(&file->trees, XA_FLAGS_ALLOC1);
	xa_init_flags(&file->allocs, XA_FLAGS_ALLOC1);

	ret = gntv3_dev_back_open(file);
	if (ret) {
		mutex_destroy(&file->lock);
		kfree(file);
		return ret;
	}
	filp->private_data = file;
	return nonseekable_open(inode, filp);
}

/* End every grant of @tree that the file still holds, then free the tree. */
static void gntv3_dev_tree_release(struct gntv3_file *file, u32 handle,
				   struct gntv3_dev_tree *tree)
{
	struct gntv3_dev_grant *g;
	unsigned long id;
	int ret;

	xa_for_each(&tree->grants, id, g) {
		ret = gntv3_dev_end(file, tree, id);
		if (ret < 0) {
			pr_warn_ratelimited("close: cannot end id %lu: %d\n", id, ret);
			/*
			 * Still granted: leak the pin or folio reference
			 * rather than free memory the backend may use.
			 */
			xa_erase(&tree->grants, id);
			file->nr_grants--;
			kfree(g);
		}
	}
	ret = gntv3_dev_tree_free(file, handle, tree);
	if (ret)
		pr_warn("close: cannot destroy tree %u: %d\n", handle, ret);
}

static int gntv3_dev_release(struct inode *inode, struct file *filp)
{
	struct gntv3_file *file = filp->private_data;
	struct gntv3_dev_tree *tree;
	unsigned long handle;

	/* Backend mappings of our own grants must go before we end them. */
	gntv3_dev_back_release(file);

	mutex_lock(&file->lock);
	xa_for_each(&file->trees, handle, tree)
		gntv3_dev_tree_release(file, handle, tree);
	mutex_unlock(&file->lock);

	xa_destroy(&file->trees);
	xa_destroy(&file->allocs);
	mutex_destroy(&file->lock);
	kfree(file);
	return 0;
}

static const struct file_operations gntv3_dev_fops = {
	.owner = THIS_MODULE,
	.open = gntv3_dev_open,
	.release = gntv3_dev_release,
	.unlocked_ioctl = gntv3_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = gntv3_dev_mmap,
};

static struct miscdevice gntv3_dev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "gntv3",
	.fops = &gntv3_dev_fops,
	.mode = 0600,
};

/**
 * gntv3_dev_init() - register /dev/gntv3
 *
 * Return: 0 or the negative errno of misc_register().
 */
int gntv3_dev_init(void)
{
	return misc_register(&gntv3_dev_misc);
}

/**
 * gntv3_dev_exit() - unregister /dev/gntv3
 *
 * No file can be open: each holds a reference on the module.
 */
void gntv3_dev_exit(void)
{
	misc_deregister(&gntv3_dev_misc);
}
