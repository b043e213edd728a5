// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 /dev/gntv3: the backend ioctls (ATTACH .. UNMAP_BATCH, BACK_CONNECT
 * .. BACK_CONN_INFO).
 *
 * Each open file has its own attachments and mappings, named by handles
 * from 1.  dev.c copies each argument in and checks its pads before calling
 * the handlers here (see struct gntv3_ucmd).  Closing the file drops the
 * page holds it took (GNTV3_IOC_MAP_HOLD, a test ioctl), then detaches
 * every attachment, which unmaps every mapping (see gntv3_back_detach()).
 *
 * A MAP of a single id also asks for GNTV3_MAP_F_VMAP, and MAP_RW then
 * copies through that contiguous mapping, so the tests exercise both the
 * plain and the vmap path.
 *
 * Lock order: gntv3_dev_back.lock, then an attachment's back->lock (taken
 * inside gntv3_map() and gntv3_unmap_async()).  Done callbacks take only
 * gntv3_dev_back.lock; gntv3_back_detach() is called without it.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <uapi/xen/gntv3.h>

#include "backend.h"
#include "dev.h"
#include "dev_back.h"

/* Attachments and mapped 4 KiB pages one open file may hold. */
#define GNTV3_DEV_MAX_BACKS		64
#define GNTV3_DEV_MAX_MAPPED_PAGES	BIT(18)

static void gntv3_dev_drop_holds(struct gntv3_dev_map *dm)
{
	unsigned int i;

	for (i = 0; i < dm->nr_pages; i++) {
		while (dm->holds[i]) {
			put_page(dm->map->pages[i]);
			dm->holds[i]--;
		}
	}
}

/*
 * Forget @dm: its mapping is unmapped, leaked or about to be detached.
 * Never reads @dm->map, which gntv3 may have freed already.
 */
static void gntv3_dev_map_free(struct gntv3_dev_back *db,
			       struct gntv3_dev_map *dm)
{
	xa_erase(&db->maps, dm->handle);
	db->nr_pages -= dm->nr_pages;
	kvfree(dm->holds);
	kfree(dm);
}

/* Bookkeeping after the safe unmap reported @result; under db->lock. */
static void gntv3_dev_unmap_finish(struct gntv3_dev_back *db,
				   struct gntv3_dev_map *dm, int result)
{
	if (result == -EBUSY) {
		dm->unmapping = false;	/* still mapped and ours */
		return;
	}
	gntv3_dev_map_free(db, dm);
}

/*
 * The unmap's result.  Unless it is -EBUSY, gntv3 frees the mapping as soon
 * as this returns: the handle goes away here, under db->lock, so that no
 * ioctl, detach or revoke handler can find the mapping afterwards.  A
 * synchronous UNMAP only learns the result and touches @dm no more.
 */
static void gntv3_dev_unmap_done(struct gntv3_mapping *map, int result,
				 void *data)
{
	struct gntv3_dev_map *dm = data;
	struct gntv3_dev_back *db = dm->db;
	struct gntv3_dev_waiter *waiter;

	mutex_lock(&db->lock);
	waiter = dm->waiter;
	dm->waiter = NULL;
	gntv3_dev_unmap_finish(db, dm, result);
	if (waiter) {
		waiter->result = result;
		complete(&waiter->done);
	}
	mutex_unlock(&db->lock);
}

/**
 * gntv3_dev_back_open() - set up the backend state of a new file
 * @file: the file
 *
 * Return: 0 or -ENOMEM.
 */
int gntv3_dev_back_open(struct gntv3_file *file)
{
	struct gntv3_dev_back *db;

	db = kzalloc(sizeof(*db), GFP_KERNEL);
	if (!db)
		return -ENOMEM;
	mutex_init(&db->lock);
	xa_init_flags(&db->backs, XA_FLAGS_ALLOC1);
	xa_init_flags(&db->maps, XA_FLAGS_ALLOC1);
	file->back = db;
	return 0;
}

/*
 * Take attachment @h away from the file and detach it.  Holds on its
 * mappings are dropped first; mappings with an UNMAP in flight are left to
 * its done callback or waiter, which detach completes.
 */
static void gntv3_dev_detach_locked(struct gntv3_dev_back *db, unsigned long h,
				    struct gntv3_back **backp)
{
	struct gntv3_dev_map *dm;
	unsigned long i;

	*backp = xa_erase(&db->backs, h);
	if (!*backp)
		return;
	db->nr_backs--;
	xa_for_each(&db->maps, i, dm) {
		if (dm->back != h)
			continue;
		gntv3_dev_drop_holds(dm);
		if (!dm->unmapping)
			gntv3_dev_map_free(db, dm);
	}
}

/**
 * gntv3_dev_back_release() - close: drop holds, unmap and detach everything
 * @file: the file; no ioctl runs on it any more
 */
void gntv3_dev_back_release(struct gntv3_file *file)
{
	struct gntv3_dev_back *db = file->back;
	struct gntv3_back *back;
	struct gntv3_dev_map *dm;
	unsigned long h;

	if (!db)
		return;
	for (;;) {
		mutex_lock(&db->lock);
		h = 0;
		back = xa_find(&db->backs, &h, ULONG_MAX, XA_PRESENT);
		if (back)
			gntv3_dev_detach_locked(db, h, &back);
		mutex_unlock(&db->lock);
		if (!back)
			break;
		gntv3_back_detach(back);
	}
	/* every mapping belonged to an attachment, so none can be left */
	xa_for_each(&db->maps, h, dm)
		gntv3_dev_map_free(db, dm);
	xa_destroy(&db->maps);
	xa_destroy(&db->backs);
	mutex_destroy(&db->lock);
	kfree(db);
	file->back = NULL;
}

/*
 * Give the new attachment @back a handle of @db's, or detach it: 0, or
 * -ENOSPC when the file has GNTV3_DEV_MAX_BACKS attachments already, or
 * -ENOMEM.  Attaching and connecting happen before, without db->lock: a
 * connect waits for the frontend, and done callbacks take db->lock.
 */
static int gntv3_dev_back_add(struct gntv3_dev_back *db,
			      struct gntv3_back *back, u32 *h)
{
	int rc = -ENOSPC;

	mutex_lock(&db->lock);
	if (db->nr_backs < GNTV3_DEV_MAX_BACKS)
		rc = xa_alloc(&db->backs, h, back, xa_limit_31b, GFP_KERNEL);
	if (!rc)
		db->nr_backs++;
	mutex_unlock(&db->lock);
	if (rc)
		gntv3_back_detach(back);
	return rc;
}

/* Drop handle @h of @db and detach its attachment: 0 or -ENOENT. */
static int gntv3_dev_back_del(struct gntv3_dev_back *db, unsigned long h)
{
	struct gntv3_back *back;

	mutex_lock(&db->lock);
	gntv3_dev_detach_locked(db, h, &back);
	mutex_unlock(&db->lock);
	if (!back)
		return -ENOENT;
	gntv3_back_detach(back);
	return 0;
}

/*
 * Give a new attachment a handle and tell userspace; if the answer cannot
 * be written, the attachment is undone unseen.
 */
static int gntv3_dev_back_install(struct gntv3_ucmd *ucmd,
				  struct gntv3_back *back, u32 *handle,
				  size_t size)
{
	struct gntv3_dev_back *db = ucmd->file->back;
	int rc;

	rc = gntv3_dev_back_add(db, back, handle);
	if (rc)
		return rc;
	rc = gntv3_ucmd_respond(ucmd, size);
	if (rc)
		gntv3_dev_back_del(db, *handle);
	return rc;
}

int gntv3_dev_ioc_attach(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_attach *a = ucmd->cmd;
	struct gntv3_back *back;

	back = gntv3_back_attach(a->domid, a->tree_ref);
	if (IS_ERR(back))
		return PTR_ERR(back);
	return gntv3_dev_back_install(ucmd, back, &a->back, sizeof(*a));
}

int gntv3_dev_ioc_detach(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_detach *d = ucmd->cmd;

	return gntv3_dev_back_del(ucmd->file->back, d->back);
}

/* Give new mappings handles; on failure unmap them all. Under db->lock. */
static int gntv3_dev_map_install(struct gntv3_dev_back *db, u32 back,
				 struct gntv3_mapping **maps, u32 *handles,
				 unsigned int nr)
{
	struct gntv3_dev_map *dm;
	unsigned int i, done = 0;
	int rc = 0;

	for (i = 0; i < nr && !rc; i++) {
		dm = kzalloc(sizeof(*dm), GFP_KERNEL);
		if (!dm) {
			rc = -ENOMEM;
			break;
		}
		dm->holds = kvcalloc(maps[i]->nr_pages, sizeof(*dm->holds),
				     GFP_KERNEL);
		if (dm->holds)
			rc = xa_alloc(&db->maps, &dm->handle, dm, xa_limit_31b,
				      GFP_KERNEL);
		else
			rc = -ENOMEM;
		if (rc) {
			kvfree(dm->holds);
			kfree(dm);
			break;
		}
		dm->db = db;
		dm->map = maps[i];
		dm->nr_pages = maps[i]->nr_pages;
		dm->back = back;
		handles[i] = dm->handle;
		db->nr_pages += maps[i]->nr_pages;
		done++;
	}
	if (!rc)
		return 0;
	for (i = 0; i < nr; i++) {
		if (i < done)
			gntv3_dev_map_free(db, xa_load(&db->maps, handles[i]));
		/* fresh mappings nobody holds: the unmap succeeds at once */
		if (gntv3_unmap_sync(maps[i]))
			pr_warn_ratelimited("gntv3: cannot undo a mapping of id %llu\n",
					    maps[i]->id);
	}
	return rc;
}

int gntv3_dev_ioc_map(struct gntv3_ucmd *ucmd)
{
	struct gntv3_dev_back *db = ucmd->file->back;
	struct gntv3_ioc_map *m = ucmd->cmd;
	struct gntv3_mapping **maps = NULL;
	struct gntv3_back *back;
	unsigned int flags = 0, i;
	u32 *handles = NULL;
	u64 *ids;
	int rc;

	if ((m->flags & ~(GNTV3_IOC_MAP_READONLY | GNTV3_IOC_MAP_2M |
			  GNTV3_IOC_MAP_CACHE | GNTV3_IOC_MAP_4K)) ||
	    !m->nr || m->nr > GNTV3_IOC_MAX_PAGES)
		return -EINVAL;
	ids = memdup_array_user(u64_to_user_ptr(m->ids), m->nr, sizeof(*ids));
	if (IS_ERR(ids))
		return PTR_ERR(ids);
	maps = kvcalloc(m->nr, sizeof(*maps), GFP_KERNEL);
	handles = kvcalloc(m->nr, sizeof(*handles), GFP_KERNEL);
	if (!maps || !handles) {
		rc = -ENOMEM;
		goto out_free;
	}
	if (m->flags & GNTV3_IOC_MAP_READONLY)
		flags |= GNTV3_MAP_F_READONLY;
	if (m->flags & GNTV3_IOC_MAP_2M)
		flags |= GNTV3_MAP_F_2M;
	if (m->flags & GNTV3_IOC_MAP_CACHE)
		flags |= GNTV3_MAP_F_CACHE;
	if (m->flags & GNTV3_IOC_MAP_4K)
		flags |= GNTV3_MAP_F_4K;
	if (m->nr == 1)
		flags |= GNTV3_MAP_F_VMAP;

	mutex_lock(&db->lock);
	back = xa_load(&db->backs, m->back);
	if (!back) {
		rc = -ENOENT;
		goto out_unlock;
	}
	/* a lower bound: every id is at least one page (with 2M, 512) */
	if (db->nr_pages + ((u64)m->nr << (flags & GNTV3_MAP_F_2M ?
					   GNTV3_SIZE_ORDER(GNTV3_SIZE_2M) : 0)) >
	    GNTV3_DEV_MAX_MAPPED_PAGES) {
		rc = -ENOSPC;
		goto out_unlock;
	}
	rc = gntv3_map(back, ids, m->nr, flags, maps);
	if (rc)
		goto out_unlock;
	rc = gntv3_dev_map_install(db, m->back, maps, handles, m->nr);
	if (rc)
		goto out_unlock;
	if (copy_to_user(u64_to_user_ptr(m->maps), handles,
			 m->nr * sizeof(*handles))) {
		for (i = 0; i < m->nr; i++) {
			gntv3_dev_map_free(db, xa_load(&db->maps, handles[i]));
			if (gntv3_unmap_sync(maps[i]))
				pr_warn_ratelimited("gntv3: cannot undo a mapping of id %llu\n",
						    maps[i]->id);
		}
		rc = -EFAULT;
	}
out_unlock:
	mutex_unlock(&db->lock);
out_free:
	kvfree(handles);
	kvfree(maps);
	kfree(ids);
	return rc;
}

/**
 * gntv3_dev_map_lock() - look up a mapping handle of the file
 * @db: the file's backend state
 * @handle: the mapping handle
 *
 * Return: the mapping with @db->lock held, or NULL (lock not held).
 */
struct gntv3_dev_map *gntv3_dev_map_lock(struct gntv3_dev_back *db, u32 handle)
{
	struct gntv3_dev_map *dm;

	mutex_lock(&db->lock);
	dm = xa_load(&db->maps, handle);
	if (!dm)
		mutex_unlock(&db->lock);
	return dm;
}

int gntv3_dev_ioc_unmap(struct gntv3_ucmd *ucmd)
{
	struct gntv3_dev_back *db = ucmd->file->back;
	struct gntv3_ioc_unmap *u = ucmd->cmd;
	struct gntv3_dev_waiter waiter;
	struct gntv3_dev_map *dm;
	bool sync;
	int rc;

	if (u->flags & ~GNTV3_IOC_UNMAP_ASYNC)
		return -EINVAL;
	sync = !(u->flags & GNTV3_IOC_UNMAP_ASYNC);

	dm = gntv3_dev_map_lock(db, u->map);
	if (!dm)
		return -ENOENT;
	if (dm->unmapping) {
		mutex_unlock(&db->lock);
		return -EBUSY;
	}
	if (sync) {
		init_completion(&waiter.done);
		dm->waiter = &waiter;
	}
	dm->unmapping = true;
	rc = gntv3_unmap_async(dm->map, gntv3_dev_unmap_done, dm);
	if (rc) {
		dm->unmapping = false;
		dm->waiter = NULL;
	}
	mutex_unlock(&db->lock);

	if (!rc && sync) {
		/* the done callback did the bookkeeping: @dm may be gone */
		wait_for_completion(&waiter.done);
		rc = waiter.result;
	}
	u->result = rc;
	return gntv3_ucmd_respond(ucmd, sizeof(*u));
}

/*
 * Copy @len bytes at @off of a mapping from/to @buf, through @vaddr if the
 * mapping has one, else page by page; @pages[0] is the page holding @off.
 */
static int gntv3_dev_copy(struct page **pages, void *vaddr, bool write,
			  u64 off, u64 len, void __user *buf)
{
	unsigned long left, i = 0;

	if (vaddr) {
		left = write ? copy_from_user(vaddr + off, buf, len) :
			       copy_to_user(buf, vaddr + off, len);
		return left ? -EFAULT : 0;
	}
	while (len) {
		unsigned int in = offset_in_page(off);
		unsigned int chunk = min_t(u64, len, PAGE_SIZE - in);
		void *p = kmap_local_page(pages[i++]);

		left = write ? copy_from_user(p + in, buf, chunk) :
			       copy_to_user(buf, p + in, chunk);
		kunmap_local(p);
		if (left)
			return -EFAULT;
		off += chunk;
		len -= chunk;
		buf += chunk;
	}
	return 0;
}

int gntv3_dev_ioc_map_rw(struct gntv3_ucmd *ucmd)
{
	struct gntv3_dev_back *db = ucmd->file->back;
	struct gntv3_ioc_map_rw *r = ucmd->cmd;
	struct gntv3_mapping *map;
	struct gntv3_dev_map *dm;
	unsigned long first, nr, i;
	struct page **pages;
	void *vaddr;
	bool write;
	int rc;

	if (r->dir != GNTV3_IOC_RW_READ && r->dir != GNTV3_IOC_RW_WRITE)
		return -EINVAL;
	write = r->dir == GNTV3_IOC_RW_WRITE;

	dm = gntv3_dev_map_lock(db, r->map);
	if (!dm)
		return -ENOENT;
	map = dm->map;
	if (!r->len || r->offset >= (u64)map->nr_pages << PAGE_SHIFT ||
	    r->len > ((u64)map->nr_pages << PAGE_SHIFT) - r->offset) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (write && map->readonly) {
		rc = -EACCES;
		goto out_unlock;
	}
	if (dm->unmapping) {
		rc = -EBUSY;
		goto out_unlock;
	}
	first = r->offset >> PAGE_SHIFT;
	nr = ((r->offset + r->len - 1) >> PAGE_SHIFT) - first + 1;
	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	/*
	 * Page references keep the pages mapped across the copy, which may
	 * fault and sleep: an UNMAP or DETACH meanwhile waits for them (or
	 * leaks the pages) like for any other user.  Only local copies of
	 * the page pointers and vaddr are used after the unlock.
	 */
	for (i = 0; i < nr; i++) {
		pages[i] = map->pages[first + i];
		get_page(pages[i]);
	}
	vaddr = map->vaddr;
	mutex_unlock(&db->lock);

	rc = gntv3_dev_copy(pages, vaddr, write,
			    vaddr ? r->offset : offset_in_page(r->offset),
			    r->len, u64_to_user_ptr(r->buf));
	for (i = 0; i < nr; i++)
		put_page(pages[i]);
	kvfree(pages);
	return rc;

out_unlock:
	mutex_unlock(&db->lock);
	return rc;
}

/*
 * Revoke handler of the attachments made by BACK_CONNECT: start a safe
 * unmap of every mapping of the file that overlaps the range.  A mapping
 * already being unmapped is left to that unmap.
 */
static void gntv3_dev_revoke(struct gntv3_back *back, gntv3_id_t first,
			     u64 nr_ids, bool downgrade, void *data)
{
	struct gntv3_dev_back *db = data;
	struct gntv3_mapping *map;
	struct gntv3_dev_map *dm;
	unsigned long i;

	mutex_lock(&db->lock);
	xa_for_each(&db->maps, i, dm) {
		map = dm->map;
		if (map->back != back || dm->unmapping ||
		    map->id >= first + nr_ids || first >= map->id + map->nr_pages)
			continue;
		dm->unmapping = true;
		if (gntv3_unmap_async(map, gntv3_dev_unmap_done, dm))
			dm->unmapping = false;
	}
	mutex_unlock(&db->lock);
}

int gntv3_dev_ioc_back_connect(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_back_connect *c = ucmd->cmd;
	struct gntv3_back *back;

	back = gntv3_back_connect(c->domid, c->devid, c->timeout_ms);
	if (IS_ERR(back))
		return PTR_ERR(back);
	/* it maps nothing of ours yet: the handler finds nothing to unmap */
	gntv3_back_set_revoke_handler(back, gntv3_dev_revoke, ucmd->file->back);
	return gntv3_dev_back_install(ucmd, back, &c->back, sizeof(*c));
}

int gntv3_dev_ioc_back_notify(struct gntv3_ucmd *ucmd)
{
	struct gntv3_dev_back *db = ucmd->file->back;
	struct gntv3_ioc_back_notify *n = ucmd->cmd;
	struct gntv3_back *back;
	int rc;

	mutex_lock(&db->lock);
	back = xa_load(&db->backs, n->back);
	rc = back ? gntv3_back_notify_unmapped(back, n->id, n->nr_ids) : -ENOENT;
	mutex_unlock(&db->lock);
	return rc;
}

int gntv3_dev_ioc_back_conn_info(struct gntv3_ucmd *ucmd)
{
	struct gntv3_dev_back *db = ucmd->file->back;
	struct gntv3_ioc_back_conn_info *ci = ucmd->cmd;
	struct gntv3_back *back;

	mutex_lock(&db->lock);
	back = xa_load(&db->backs, ci->back);
	if (back)
		ci->connected = gntv3_back_connected(back);
	mutex_unlock(&db->lock);
	if (!back)
		return -ENOENT;
	return gntv3_ucmd_respond(ucmd, sizeof(*ci));
}

/*
 * UNMAP_BATCH: the mappings nobody holds are unmapped with one hypercall
 * and their handles freed here; the others go on like an asynchronous
 * UNMAP, finished by gntv3_dev_unmap_done().  All handles are checked and
 * marked first, under db->lock, so that nothing happens on a bad one.
 */
int gntv3_dev_ioc_unmap_batch(struct gntv3_ucmd *ucmd)
{
	struct gntv3_dev_back *db = ucmd->file->back;
	struct gntv3_ioc_unmap_batch *u = ucmd->cmd;
	struct gntv3_mapping **maps = NULL;
	struct gntv3_dev_map **dms = NULL;
	int *results = NULL;
	unsigned int i, marked = 0;
	u32 *handles;
	int rc = 0;

	if (!u->nr || u->nr > GNTV3_IOC_MAX_PAGES)
		return -EINVAL;
	handles = memdup_array_user(u64_to_user_ptr(u->maps), u->nr,
				    sizeof(*handles));
	if (IS_ERR(handles))
		return PTR_ERR(handles);
	maps = kvcalloc(u->nr, sizeof(*maps), GFP_KERNEL);
	dms = kvcalloc(u->nr, sizeof(*dms), GFP_KERNEL);
	results = kvcalloc(u->nr, sizeof(*results), GFP_KERNEL);
	if (!maps || !dms || !results) {
		rc = -ENOMEM;
		goto out_free;
	}

	mutex_lock(&db->lock);
	for (i = 0; i < u->nr && !rc; i++) {
		dms[i] = xa_load(&db->maps, handles[i]);
		if (!dms[i])
			rc = -ENOENT;
		else if (dms[i]->unmapping)
			rc = -EBUSY;
	}
	for (i = 0; !rc && i < u->nr; i++, marked++) {
		dms[i]->unmapping = true;
		maps[i] = dms[i]->map;
	}
	/* a handle listed twice makes this fail with -EALREADY */
	if (!rc)
		rc = gntv3_unmap_batch(maps, u->nr, gntv3_dev_unmap_done,
				       (void *const *)dms, results);
	for (i = 0; i < marked; i++) {
		if (rc)
			dms[i]->unmapping = false;
		else if (results[i] != -EINPROGRESS)
			gntv3_dev_map_free(db, dms[i]);
	}
	mutex_unlock(&db->lock);
	if (!rc && copy_to_user(u64_to_user_ptr(u->results), results,
				u->nr * sizeof(*results)))
		rc = -EFAULT;
out_free:
	kvfree(results);
	kvfree(dms);
	kvfree(maps);
	kfree(handles);
	return rc;
}
