// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 /dev/gntv3: frontend ioctls, and mmap() of kernel-allocated grants.
 *
 * Every open file is a context of its own: the trees it creates, the user
 * pages it pins and the folios it allocates are recorded in its struct
 * gntv3_file and released when it is closed, that is when the last
 * descriptor is closed and the last mmap() of it unmapped.  The backend
 * ioctls are passed to dev_back.c.
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
 *               -ENOSPC: the file's GNTV3_DEV_MAX_GRANTS or
 *               GNTV3_DEV_MAX_ALLOC_PAGES is reached, or the tree ran out
 *               of ids or v1 grant references.
 *  END          -ENOENT: no such tree handle, or no grant of this file
 *               starts at @id (an id inside a superpage, or one already
 *               ended: a second END fails this way).  @result 1 means
 *               the backend still maps the grant and gntv3 quarantined
 *               it; the file drops its pin or folio reference either way.
 *  QUERY        -ENOENT: no such tree handle, or no grant covers @id.
 *  TREE_STATS   -ENOENT: no such tree handle.
 *  CONNECT      -ENOENT: no such tree handle; -EEXIST: connected already;
 *               errors of gntv3_front_connect().
 *  DISCONNECT   -ENOENT: no such tree handle; -ENOTCONN: not connected.
 *  REVOKE       -ENOENT: no such tree handle, or no grant of this file
 *               starts at @id; -EALREADY: the grant is being revoked;
 *               @result 0 (done) or 1 (dead), see gntv3_revoke().
 *  CONN_INFO    -ENOENT: no such tree handle; -ENOTCONN: not connected.
 *  others       -ENOTTY.
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
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <xen/gntv3.h>
#include <xen/xen.h>
#include <xen/xenbus.h>
#include <uapi/xen/gntv3.h>

#include "dev.h"
#include "internal.h"

/*
 * mmap() offsets of GNTV3_IOC_GRANT_ALLOC memory: slot N starts at byte
 * N << GNTV3_DEV_SLOT_SHIFT, one window of the largest folio size per slot.
 */
#define GNTV3_DEV_SLOT_SHIFT	30
#define GNTV3_DEV_SLOT_PGSHIFT	(GNTV3_DEV_SLOT_SHIFT - PAGE_SHIFT)

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

static struct gntv3_dev_tree *gntv3_dev_tree_get(struct gntv3_file *file, u32 handle)
{
	lockdep_assert_held(&file->lock);
	return xa_load(&file->trees, handle);
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

static int gntv3_dev_tree_create(struct gntv3_file *file, void __user *uarg)
{
	struct gntv3_ioc_tree_create arg;
	struct gntv3_dev_tree *tree;
	u32 handle;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.pad)
		return -EINVAL;
	/* DOMID_SELF and the other reserved ids name no domain to grant to. */
	if (arg.domid >= DOMID_FIRST_RESERVED)
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
	tree->front = gntv3_front_create(arg.domid);
	if (IS_ERR(tree->front)) {
		ret = PTR_ERR(tree->front);
		goto out_unlock;
	}
	ret = xa_alloc(&file->trees, &handle, tree, xa_limit_32b, GFP_KERNEL);
	if (ret)
		goto out_destroy;
	file->nr_trees++;

	arg.tree = handle;
	arg.tree_ref = gntv3_front_tree_ref(tree->front);
	/* Copied out under the lock, so that a failure is undone unseen. */
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		ret = -EFAULT;
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

static int gntv3_dev_tree_destroy(struct gntv3_file *file, void __user *uarg)
{
	struct gntv3_ioc_tree arg;
	struct gntv3_dev_tree *tree;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad)
		return -EINVAL;

	mutex_lock(&file->lock);
	tree = gntv3_dev_tree_get(file, arg.tree);
	if (!tree)
		ret = -ENOENT;
	else if (!xa_empty(&tree->grants))
		ret = -EBUSY;
	else
		ret = gntv3_dev_tree_free(file, arg.tree, tree);
	mutex_unlock(&file->lock);
	return ret;
}

static int gntv3_dev_tree_stats(struct gntv3_file *file, void __user *uarg)
{
	struct gntv3_ioc_tree_stats arg;
	struct gntv3_front_stats st;
	struct gntv3_dev_tree *tree;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;

	mutex_lock(&file->lock);
	tree = gntv3_dev_tree_get(file, arg.tree);
	if (!tree) {
		mutex_unlock(&file->lock);
		return -ENOENT;
	}
	gntv3_front_get_stats(tree->front, &st);
	mutex_unlock(&file->lock);

	arg.levels = st.levels;
	arg.nr_grants = st.nr_grants;
	arg.nr_ids = st.nr_ids;
	arg.nr_quarantined = st.nr_quarantined;
	arg.nr_tables = st.nr_tables;
	arg.nr_v1_refs = st.nr_v1_refs;
	arg.nr_failures = st.nr_failures;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return 0;
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

static int gntv3_dev_grant(struct gntv3_file *file, void __user *uarg)
{
	struct gntv3_ioc_grant arg;
	struct gntv3_dev_tree *tree;
	unsigned int nr;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	ret = gntv3_dev_grant_check(&arg);
	if (ret)
		return ret;

	mutex_lock(&file->lock);
	tree = gntv3_dev_tree_get(file, arg.tree);
	if (!tree) {
		ret = -ENOENT;
		goto out_unlock;
	}
	nr = arg.flags & GNTV3_IOC_GRANT_ALLOC ? 1 : arg.nr_pages;
	if (file->nr_grants + nr > GNTV3_DEV_MAX_GRANTS) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	if (arg.flags & GNTV3_IOC_GRANT_ALLOC)
		ret = gntv3_dev_grant_alloc(file, tree, &arg);
	else
		ret = gntv3_dev_grant_user(file, tree, &arg);
	if (ret)
		goto out_unlock;

	/* Copied out under the lock, so that a failure is undone unseen. */
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		ret = -EFAULT;
		while (nr--)
			gntv3_dev_end(file, tree, arg.first_id + nr);
	}
out_unlock:
	mutex_unlock(&file->lock);
	return ret;
}

static int gntv3_dev_end_ioctl(struct gntv3_file *file, void __user *uarg)
{
	struct gntv3_ioc_end arg;
	struct gntv3_dev_tree *tree;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad || arg.pad2)
		return -EINVAL;

	mutex_lock(&file->lock);
	tree = gntv3_dev_tree_get(file, arg.tree);
	ret = tree ? gntv3_dev_end(file, tree, arg.id) : -ENOENT;
	mutex_unlock(&file->lock);
	if (ret < 0)
		return ret;

	arg.result = ret;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return 0;
}

static int gntv3_dev_query(struct gntv3_file *file, void __user *uarg)
{
	struct gntv3_ioc_query arg;
	struct gntv3_grant_info info;
	struct gntv3_dev_tree *tree;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad || arg.pad2)
		return -EINVAL;

	mutex_lock(&file->lock);
	tree = gntv3_dev_tree_get(file, arg.tree);
	ret = tree ? gntv3_grant_query(tree->front, arg.id, &info) : -ENOENT;
	mutex_unlock(&file->lock);
	if (ret)
		return ret;

	arg.first_id = info.first_id;
	arg.pte = info.pte;
	arg.order = info.order;
	arg.state = info.state;
	arg.readonly = info.readonly;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return 0;
}

/* ------------------------------------------------------------------------
 * Connection and revocation
 */

static int gntv3_dev_connect(struct gntv3_file *file, void __user *uarg)
{
	struct gntv3_ioc_connect arg;
	struct gntv3_dev_tree *tree;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	mutex_lock(&file->lock);
	tree = gntv3_dev_tree_get(file, arg.tree);
	ret = tree ? gntv3_front_connect(tree->front, arg.devid) : -ENOENT;
	mutex_unlock(&file->lock);
	return ret;
}

static int gntv3_dev_disconnect(struct gntv3_file *file, void __user *uarg)
{
	struct gntv3_dev_tree *tree;
	struct gntv3_ioc_tree arg;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad)
		return -EINVAL;
	mutex_lock(&file->lock);
	tree = gntv3_dev_tree_get(file, arg.tree);
	ret = tree ? gntv3_front_disconnect(tree->front) : -ENOENT;
	mutex_unlock(&file->lock);
	return ret;
}

/*
 * The wait for the backend's answer happens under file->lock, which keeps
 * the tree and the grant record alive; the backend side of a loopback test
 * runs on another file.
 */
static int gntv3_dev_revoke(struct gntv3_file *file, void __user *uarg)
{
	struct gntv3_ioc_revoke arg;
	struct gntv3_dev_tree *tree;
	struct gntv3_dev_grant *g;
	bool downgrade;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~GNTV3_IOC_REVOKE_DOWNGRADE)
		return -EINVAL;
	downgrade = arg.flags & GNTV3_IOC_REVOKE_DOWNGRADE;

	mutex_lock(&file->lock);
	tree = gntv3_dev_tree_get(file, arg.tree);
	g = tree ? xa_load(&tree->grants, arg.id) : NULL;
	if (!g) {
		ret = -ENOENT;
		goto out;
	}
	ret = gntv3_revoke(tree->front, arg.id,
			   downgrade ? GNTV3_REVOKE_F_DOWNGRADE : 0,
			   arg.timeout_ms);
	/* gone unless a downgrade succeeded; a dead grant keeps its own ref */
	if (ret == GNTV3_REVOKE_DEAD || (ret == GNTV3_REVOKE_DONE && !downgrade)) {
		xa_erase(&tree->grants, arg.id);
		gntv3_dev_put_grant(file, g);
	}
out:
	mutex_unlock(&file->lock);
	if (ret < 0)
		return ret;
	arg.result = ret;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static int gntv3_dev_conn_info(struct gntv3_file *file, void __user *uarg)
{
	struct gntv3_ioc_conn_info arg;
	struct gntv3_conn_info info;
	struct gntv3_dev_tree *tree;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	mutex_lock(&file->lock);
	tree = gntv3_dev_tree_get(file, arg.tree);
	ret = tree ? gntv3_front_conn_info(tree->front, &info) : -ENOENT;
	mutex_unlock(&file->lock);
	if (ret)
		return ret;
	arg.state = info.state;
	arg.peer_state = info.peer_state;
	arg.connected = info.connected;
	arg.ring_ref = info.ring_ref;
	arg.evtchn = info.evtchn;
	arg.sent = info.sent;
	arg.acked = info.acked;
	arg.nacked = info.nacked;
	arg.timed_out = info.timed_out;
	arg.malformed = info.malformed;
	arg.resets = info.resets;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
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

static int gntv3_dev_info(void __user *uarg)
{
	struct gntv3_ioc_info arg = {
		.transport = gntv3_transport->uapi_id,
		.probe_rc = gntv3_probe_rc,
		.abi_version = GNTV3_ABI_VERSION,
		.self_domid = gntv3_dev_self_domid(),
	};

	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return 0;
}

/* ------------------------------------------------------------------------
 * File operations
 */

static long gntv3_dev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct gntv3_file *file = filp->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case GNTV3_IOC_INFO:
		return gntv3_dev_info(uarg);
	case GNTV3_IOC_TREE_CREATE:
		return gntv3_dev_tree_create(file, uarg);
	case GNTV3_IOC_TREE_DESTROY:
		return gntv3_dev_tree_destroy(file, uarg);
	case GNTV3_IOC_GRANT:
		return gntv3_dev_grant(file, uarg);
	case GNTV3_IOC_END:
		return gntv3_dev_end_ioctl(file, uarg);
	case GNTV3_IOC_QUERY:
		return gntv3_dev_query(file, uarg);
	case GNTV3_IOC_TREE_STATS:
		return gntv3_dev_tree_stats(file, uarg);
	case GNTV3_IOC_CONNECT:
		return gntv3_dev_connect(file, uarg);
	case GNTV3_IOC_DISCONNECT:
		return gntv3_dev_disconnect(file, uarg);
	case GNTV3_IOC_REVOKE:
		return gntv3_dev_revoke(file, uarg);
	case GNTV3_IOC_CONN_INFO:
		return gntv3_dev_conn_info(file, uarg);
	case GNTV3_IOC_ATTACH:
	case GNTV3_IOC_DETACH:
	case GNTV3_IOC_MAP:
	case GNTV3_IOC_UNMAP:
	case GNTV3_IOC_MAP_RW:
	case GNTV3_IOC_MAP_HOLD:
	case GNTV3_IOC_BACK_STATS:
	case GNTV3_IOC_UNMAP_BATCH:
	case GNTV3_IOC_BACK_CONNECT:
	case GNTV3_IOC_BACK_NOTIFY:
	case GNTV3_IOC_BACK_CONN_INFO:
		return gntv3_dev_back_ioctl(file, cmd, uarg);
	default:
		return -ENOTTY;
	}
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
