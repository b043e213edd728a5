// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3-blkback: the backend of a gntv3 virtual disk (blkif_gntv3.h).
 *
 * Serves each device from its backing store: a file or block device opened
 * with O_DIRECT when it allows it (the "params" node), or a memory disk of
 * ramdisk_mb MiB.  The frontend's data buffers are gntv3 grants, mapped in
 * batches the first time a request names them and then kept mapped
 * (persistent mappings) until disconnect, or until more than
 * max_persistent are mapped, when all are given back through the safe
 * unmap at once.  Requests are read once from the ring, validated field by field,
 * and served in order by one kernel thread per device; a bad request gets
 * an error response and is counted.
 *
 * Only <xen/gntv3.h> touches grants: the ring page is a gntv3 grant too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bvec.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <xen/events.h>
#include <xen/gntv3.h>
#include <xen/xenbus.h>

#include "blkif_gntv3.h"

static unsigned int ramdisk_mb = 64;
module_param(ramdisk_mb, uint, 0444);
MODULE_PARM_DESC(ramdisk_mb, "Size in MiB of a memory disk (params \"ramdisk\" or absent)");

static unsigned int max_persistent = 32;
module_param(max_persistent, uint, 0644);
MODULE_PARM_DESC(max_persistent, "Grants kept mapped per device before all are unmapped");

#define GV3BK_RING_SIZE		GNTV3_BLKIF_RING_SIZE
#define GV3BK_MAX_PAGES		(GNTV3_BLKIF_MAX_BYTES / PAGE_SIZE)
#define GV3BK_KICK		0	/* bit of gv3bk::flags */

/**
 * struct gv3bk_stats - what one device did, printed at disconnect
 * @requests: requests served (good or bad)
 * @bad_requests: requests rejected by validation
 * @io_errors: requests whose I/O on the backing store failed
 * @maps: grants mapped
 * @map_batches: gntv3_map() calls that mapped them
 * @evictions: times every persistent mapping was given back to make room
 */
struct gv3bk_stats {
	u64 requests;
	u64 bad_requests;
	u64 io_errors;
	u64 maps;
	u64 map_batches;
	u64 evictions;
};

/**
 * struct gv3bk - one backend device
 * @dev: the xenbus device
 * @file: backing file or block device, or NULL for the memory disk
 * @ram: the memory disk, or NULL
 * @sectors: size of the disk in 512-byte sectors
 * @conn_lock: serialises connect and disconnect (xenbus callbacks, remove)
 * @connected: a connection is up; under @conn_lock
 * @back: attachment to the frontend's tree while connected
 * @ring_map: mapping of the ring page while connected
 * @ring: our view of the shared ring; only @thread uses it
 * @irq: event channel irq while connected
 * @thread: serves the ring while connected
 * @wq: @thread waits here for @flags
 * @flags: GV3BK_KICK, set by the interrupt
 * @ring_dead: the frontend corrupted the ring indices; @thread only
 * @maps: persistent mappings, grant id -> struct gntv3_mapping; @thread only
 *	while connected, disconnect after stopping it
 * @nr_maps: entries of @maps
 * @reqs: the batch of requests copied from the ring; @thread only
 * @status: the status of each request of the batch
 * @miss: grant ids of the batch that are not mapped yet
 * @miss_maps: their mappings
 * @bvec: page vector of one request
 * @stats: counters; @thread only while connected
 */
struct gv3bk {
	struct xenbus_device *dev;
	struct file *file;
	void *ram;
	u64 sectors;

	struct mutex conn_lock;		/* connect vs. disconnect */
	bool connected;
	struct gntv3_back *back;
	struct gntv3_mapping *ring_map;
	struct gntv3_blkif_back_ring ring;
	int irq;
	struct task_struct *thread;
	wait_queue_head_t wq;
	unsigned long flags;
	bool ring_dead;

	struct xarray maps;
	unsigned int nr_maps;
	struct gntv3_blkif_request reqs[GV3BK_RING_SIZE];
	s16 status[GV3BK_RING_SIZE];
	gntv3_id_t miss[GV3BK_RING_SIZE];
	struct gntv3_mapping *miss_maps[GV3BK_RING_SIZE];
	struct bio_vec bvec[GV3BK_MAX_PAGES + 1];
	struct gv3bk_stats stats;
};

/* ---- persistent mappings ---- */

/**
 * struct gv3bk_unmap_wait - one round of giving persistent mappings back
 * @left: unmaps not done yet, plus one for the issuer
 * @done: completed when @left drops to zero
 */
struct gv3bk_unmap_wait {
	atomic_t left;
	struct completion done;
};

static void gv3bk_unmap_done(struct gntv3_mapping *map, int result,
			     void *data)
{
	struct gv3bk_unmap_wait *w = data;

	/* -EBUSY: still mapped, detach takes care of it */
	if (result)
		pr_warn("unmap of grant %llu: %d\n", map->id, result);
	if (atomic_dec_and_test(&w->left))
		complete(&w->done);
}

/*
 * Give every persistent mapping back through the safe unmap, all at once,
 * and wait for them: nothing does I/O on them any more (the thread is
 * between batches or stopped).
 */
static void gv3bk_unmap_all(struct gv3bk *be)
{
	struct gv3bk_unmap_wait w;
	struct gntv3_mapping *map;
	unsigned long gid;
	int rc;

	atomic_set(&w.left, 1);
	init_completion(&w.done);
	xa_for_each(&be->maps, gid, map) {
		xa_erase(&be->maps, gid);
		atomic_inc(&w.left);
		rc = gntv3_unmap_async(map, gv3bk_unmap_done, &w);
		if (rc) {
			/* left to detach, which unmaps whatever remains */
			pr_warn("unmap of grant %lu: %d\n", gid, rc);
			atomic_dec(&w.left);
		}
	}
	be->nr_maps = 0;
	if (!atomic_dec_and_test(&w.left))
		wait_for_completion(&w.done);
}

/* Map @n grant ids not mapped yet, all in one call if the batch is good. */
static void gv3bk_map_missing(struct gv3bk *be, unsigned int n, int *rcs)
{
	unsigned int i;
	int rc;

	if (!n)
		return;
	if (be->nr_maps + n > max_persistent && be->nr_maps) {
		gv3bk_unmap_all(be);
		be->stats.evictions++;
	}
	be->stats.map_batches++;
	rc = gntv3_map(be->back, be->miss, n, 0, be->miss_maps);
	for (i = 0; i < n; i++) {
		/* one bad id fails the batch: find it by mapping one by one */
		if (rc) {
			be->stats.map_batches++;
			rcs[i] = gntv3_map(be->back, &be->miss[i], 1, 0,
					   &be->miss_maps[i]);
		} else {
			rcs[i] = 0;
		}
		if (rcs[i])
			continue;
		rcs[i] = xa_err(xa_store(&be->maps, be->miss[i],
					 be->miss_maps[i], GFP_KERNEL));
		if (rcs[i]) {
			gntv3_unmap_sync(be->miss_maps[i]);
			continue;
		}
		be->nr_maps++;
		be->stats.maps++;
	}
}

/* ---- requests ---- */

/* Fields that do not depend on the grant; true if @req may be served. */
static bool gv3bk_req_valid(const struct gv3bk *be,
			    const struct gntv3_blkif_request *req)
{
	u64 nr_sectors;

	if (req->pad0[0] || req->pad0[1] || req->pad0[2] || req->pad1)
		return false;
	switch (req->op) {
	case GNTV3_BLKIF_OP_FLUSH:
		return !req->nr_bytes && !req->sector && !req->gid &&
		       !req->offset;
	case GNTV3_BLKIF_OP_READ:
	case GNTV3_BLKIF_OP_WRITE:
		break;
	default:
		return false;
	}
	if (!req->nr_bytes || req->nr_bytes > GNTV3_BLKIF_MAX_BYTES ||
	    req->nr_bytes % GNTV3_BLKIF_SECTOR_SIZE ||
	    req->offset % GNTV3_BLKIF_SECTOR_SIZE ||
	    req->offset > GNTV3_BLKIF_MAX_BYTES - req->nr_bytes)
		return false;
	nr_sectors = req->nr_bytes >> GNTV3_BLKIF_SECTOR_SHIFT;
	return req->sector < be->sectors &&
	       nr_sectors <= be->sectors - req->sector;
}

static int gv3bk_io_ram(struct gv3bk *be,
			const struct gntv3_blkif_request *req,
			struct gntv3_mapping *map)
{
	u8 *disk = be->ram + (req->sector << GNTV3_BLKIF_SECTOR_SHIFT);
	unsigned int off = req->offset, done = 0, len;
	u8 *buf;

	while (done < req->nr_bytes) {
		len = min(req->nr_bytes - done,
			  (unsigned int)PAGE_SIZE - offset_in_page(off));
		buf = page_address(map->pages[off >> PAGE_SHIFT]) +
		      offset_in_page(off);
		if (req->op == GNTV3_BLKIF_OP_WRITE)
			memcpy(disk + done, buf, len);
		else
			memcpy(buf, disk + done, len);
		done += len;
		off += len;
	}
	return 0;
}

static int gv3bk_io_file(struct gv3bk *be,
			 const struct gntv3_blkif_request *req,
			 struct gntv3_mapping *map)
{
	unsigned int off = req->offset, done = 0, n = 0, len;
	loff_t pos = req->sector << GNTV3_BLKIF_SECTOR_SHIFT;
	struct iov_iter iter;
	ssize_t ret;

	while (done < req->nr_bytes) {
		len = min(req->nr_bytes - done,
			  (unsigned int)PAGE_SIZE - offset_in_page(off));
		bvec_set_page(&be->bvec[n++], map->pages[off >> PAGE_SHIFT],
			      len, offset_in_page(off));
		done += len;
		off += len;
	}
	if (req->op == GNTV3_BLKIF_OP_WRITE) {
		iov_iter_bvec(&iter, ITER_SOURCE, be->bvec, n, req->nr_bytes);
		ret = vfs_iter_write(be->file, &iter, &pos, 0);
	} else {
		iov_iter_bvec(&iter, ITER_DEST, be->bvec, n, req->nr_bytes);
		ret = vfs_iter_read(be->file, &iter, &pos, 0);
	}
	if (ret < 0)
		return ret;
	return ret == req->nr_bytes ? 0 : -EIO;
}

static s16 gv3bk_serve(struct gv3bk *be, const struct gntv3_blkif_request *req)
{
	struct gntv3_mapping *map;
	int rc;

	if (req->op == GNTV3_BLKIF_OP_FLUSH) {
		rc = be->file ? vfs_fsync(be->file, 0) : 0;
	} else {
		map = xa_load(&be->maps, req->gid);
		if (!map)
			return GNTV3_BLKIF_RSP_ERROR;	/* counted when mapped */
		/* the grant may be smaller than the request says */
		if ((u64)req->offset + req->nr_bytes >
		    (u64)map->nr_pages << PAGE_SHIFT) {
			be->stats.bad_requests++;
			return GNTV3_BLKIF_RSP_ERROR;
		}
		rc = be->file ? gv3bk_io_file(be, req, map) :
				gv3bk_io_ram(be, req, map);
	}
	if (rc) {
		be->stats.io_errors++;
		pr_warn_ratelimited("op %u sector %llu: %d\n", req->op,
				    req->sector, rc);
		return GNTV3_BLKIF_RSP_ERROR;
	}
	return GNTV3_BLKIF_RSP_OKAY;
}

/* Copy up to a ring's worth of requests; -EPROTO if the index is bad. */
static int gv3bk_fetch(struct gv3bk *be, unsigned int *nr)
{
	RING_IDX rc = be->ring.req_cons, rp = be->ring.sring->req_prod;
	unsigned int n = 0;

	virt_rmb();	/* requests before the index that published them */
	if (RING_REQUEST_PROD_OVERFLOW(&be->ring, rp)) {
		pr_warn("dom%u: request producer %u out of range (cons %u): ring dead\n",
			be->dev->otherend_id, rp, rc);
		return -EPROTO;
	}
	while (rc != rp && n < ARRAY_SIZE(be->reqs) &&
	       !RING_REQUEST_CONS_OVERFLOW(&be->ring, rc)) {
		RING_COPY_REQUEST(&be->ring, rc, &be->reqs[n]);
		be->ring.req_cons = ++rc;
		n++;
	}
	*nr = n;
	return 0;
}

/* Validate, map what is missing in one batch, serve, respond. */
static void gv3bk_serve_batch(struct gv3bk *be, unsigned int nr)
{
	struct gntv3_blkif_response *rsp;
	int rcs[GV3BK_RING_SIZE];
	unsigned int i, j, nmiss = 0;
	bool notify;

	for (i = 0; i < nr; i++) {
		const struct gntv3_blkif_request *req = &be->reqs[i];

		be->status[i] = GNTV3_BLKIF_RSP_OKAY;
		if (!gv3bk_req_valid(be, req)) {
			be->status[i] = req->op > GNTV3_BLKIF_OP_FLUSH ?
					GNTV3_BLKIF_RSP_EOPNOTSUPP :
					GNTV3_BLKIF_RSP_ERROR;
			be->stats.bad_requests++;
			continue;
		}
		if (req->op == GNTV3_BLKIF_OP_FLUSH ||
		    xa_load(&be->maps, req->gid))
			continue;
		for (j = 0; j < nmiss && be->miss[j] != req->gid; j++)
			;
		if (j == nmiss)
			be->miss[nmiss++] = req->gid;
	}
	gv3bk_map_missing(be, nmiss, rcs);
	for (j = 0; j < nmiss; j++)
		if (rcs[j]) {
			pr_warn_ratelimited("dom%u: cannot map grant %llu: %d\n",
					    be->dev->otherend_id, be->miss[j],
					    rcs[j]);
			be->stats.bad_requests++;
		}

	for (i = 0; i < nr; i++) {
		const struct gntv3_blkif_request *req = &be->reqs[i];

		if (be->status[i] == GNTV3_BLKIF_RSP_OKAY)
			be->status[i] = gv3bk_serve(be, req);
		rsp = RING_GET_RESPONSE(&be->ring, be->ring.rsp_prod_pvt);
		rsp->tag = req->tag;
		rsp->op = req->op;
		rsp->pad0 = 0;
		rsp->status = be->status[i];
		rsp->pad1 = 0;
		be->ring.rsp_prod_pvt++;
		be->stats.requests++;
	}
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&be->ring, notify);
	if (notify)
		notify_remote_via_irq(be->irq);
}

/* Serve until the ring is empty; true if anything was there. */
static bool gv3bk_process(struct gv3bk *be)
{
	unsigned int nr;
	bool did = false;
	int more;

	for (;;) {
		if (gv3bk_fetch(be, &nr)) {
			be->ring_dead = true;	/* never look at it again */
			return did;
		}
		if (nr) {
			did = true;
			gv3bk_serve_batch(be, nr);
			if (be->nr_maps > max_persistent) {
				gv3bk_unmap_all(be);
				be->stats.evictions++;
			}
			continue;
		}
		RING_FINAL_CHECK_FOR_REQUESTS(&be->ring, more);
		if (!more)
			return did;
	}
}

static int gv3bk_thread(void *data)
{
	struct gv3bk *be = data;
	bool did;

	while (!kthread_should_stop()) {
		wait_event_interruptible(be->wq,
					 test_bit(GV3BK_KICK, &be->flags) ||
					 kthread_should_stop());
		if (!test_and_clear_bit(GV3BK_KICK, &be->flags) ||
		    be->ring_dead)
			continue;
		did = gv3bk_process(be);
		if (be->ring_dead) {
			/* no EOI: the event channel stays masked */
			xenbus_dev_fatal(be->dev, -EPROTO, "corrupt ring index");
			continue;
		}
		xen_irq_lateeoi(be->irq, did ? 0 : XEN_EOI_FLAG_SPURIOUS);
	}
	return 0;
}

static irqreturn_t gv3bk_interrupt(int irq, void *data)
{
	struct gv3bk *be = data;

	set_bit(GV3BK_KICK, &be->flags);
	wake_up(&be->wq);
	return IRQ_HANDLED;
}

/* ---- connection ---- */

static void gv3bk_disconnect(struct gv3bk *be)
{
	struct gv3bk_stats *s = &be->stats;
	int rc;

	lockdep_assert_held(&be->conn_lock);
	if (!be->connected)
		return;
	kthread_stop(be->thread);
	unbind_from_irqhandler(be->irq, be);
	gv3bk_unmap_all(be);
	rc = gntv3_unmap_sync(be->ring_map);
	if (rc)
		pr_warn("unmapping the ring: %d\n", rc);
	gntv3_back_detach(be->back);
	be->connected = false;
	pr_info("dom%u %s: disconnected: %llu requests, %llu bad, %llu I/O errors, %llu grants mapped in %llu batches, %llu evictions\n",
		be->dev->otherend_id, be->dev->nodename, s->requests,
		s->bad_requests, s->io_errors, s->maps, s->map_batches,
		s->evictions);
}

/* Read what the frontend published and bring the ring up. */
static int gv3bk_connect(struct gv3bk *be)
{
	struct xenbus_device *dev = be->dev;
	unsigned int tree_ref, evtchn, version;
	unsigned long long ring_id;
	char *transport;
	int rc;

	lockdep_assert_held(&be->conn_lock);
	if (be->connected)
		return 0;
	version = xenbus_read_unsigned(dev->otherend, GNTV3_XS_VERSION, 0);
	if (version != GNTV3_ABI_VERSION)
		return -EPROTO;
	transport = xenbus_read(XBT_NIL, dev->otherend, GNTV3_XS_TRANSPORT, NULL);
	if (IS_ERR(transport))
		return PTR_ERR(transport);
	rc = strcmp(transport, GNTV3_XS_TRANSPORT_V1) ? -EOPNOTSUPP : 0;
	kfree(transport);
	if (rc)
		return rc;
	if (xenbus_scanf(XBT_NIL, dev->otherend, GNTV3_XS_TREE_REF, "%u",
			 &tree_ref) != 1 ||
	    xenbus_scanf(XBT_NIL, dev->otherend, GNTV3_BLKIF_XS_RING_ID,
			 "%llu", &ring_id) != 1 ||
	    xenbus_scanf(XBT_NIL, dev->otherend, GNTV3_BLKIF_XS_EVTCHN, "%u",
			 &evtchn) != 1)
		return -EPROTO;

	be->back = gntv3_back_attach(dev->otherend_id, tree_ref);
	if (IS_ERR(be->back))
		return PTR_ERR(be->back);
	rc = gntv3_map(be->back, &ring_id, 1, GNTV3_MAP_F_VMAP, &be->ring_map);
	if (rc)
		goto err_detach;
	if (be->ring_map->order || be->ring_map->readonly) {
		rc = -EPROTO;
		goto err_unmap;
	}
	BACK_RING_INIT(&be->ring, (struct gntv3_blkif_sring *)be->ring_map->vaddr,
		       XEN_PAGE_SIZE);

	be->flags = 0;
	be->ring_dead = false;
	rc = bind_interdomain_evtchn_to_irqhandler_lateeoi(dev, evtchn,
							   gv3bk_interrupt, 0,
							   "gntv3-blkback", be);
	if (rc < 0)
		goto err_unmap;
	be->irq = rc;
	memset(&be->stats, 0, sizeof(be->stats));
	be->thread = kthread_run(gv3bk_thread, be, "gv3bk/%u", dev->otherend_id);
	if (IS_ERR(be->thread)) {
		rc = PTR_ERR(be->thread);
		goto err_unbind;
	}
	be->connected = true;
	pr_info("dom%u %s: connected (tree ref %u, ring id %llu, %llu sectors)\n",
		dev->otherend_id, dev->nodename, tree_ref, ring_id, be->sectors);
	return 0;

err_unbind:
	unbind_from_irqhandler(be->irq, be);
err_unmap:
	gntv3_unmap_sync(be->ring_map);
err_detach:
	gntv3_back_detach(be->back);
	return rc;
}

static void gv3bk_frontend_changed(struct xenbus_device *dev,
				   enum xenbus_state fe_state)
{
	struct gv3bk *be = dev_get_drvdata(&dev->dev);
	int rc;

	mutex_lock(&be->conn_lock);
	switch (fe_state) {
	case XenbusStateInitialising:
		/* a frontend coming back after it closed */
		if (dev->state == XenbusStateClosed)
			xenbus_switch_state(dev, XenbusStateInitWait);
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (dev->state != XenbusStateInitWait)
			break;
		rc = gv3bk_connect(be);
		if (rc) {
			xenbus_dev_fatal(dev, rc, "connecting to dom%u",
					 dev->otherend_id);
			break;
		}
		xenbus_switch_state(dev, XenbusStateConnected);
		break;
	case XenbusStateClosing:
		gv3bk_disconnect(be);
		xenbus_switch_state(dev, XenbusStateClosing);
		break;
	case XenbusStateClosed:
		/* a new backend meeting a frontend that closed: wait for it */
		if (dev->state == XenbusStateInitWait)
			break;
		fallthrough;
	case XenbusStateUnknown:
		gv3bk_disconnect(be);
		xenbus_switch_state(dev, XenbusStateClosed);
		break;
	default:
		break;
	}
	mutex_unlock(&be->conn_lock);
}

/* ---- backing store ---- */

static int gv3bk_open_store(struct gv3bk *be)
{
	char *params;
	u64 bytes;
	int rc = 0;

	params = xenbus_read(XBT_NIL, be->dev->nodename, GNTV3_BLKIF_XS_PARAMS,
			     NULL);
	if (IS_ERR(params) || !strcmp(params, GNTV3_BLKIF_XS_RAMDISK) ||
	    !*params) {
		bytes = (u64)ramdisk_mb << 20;
		be->ram = bytes ? vzalloc(bytes) : NULL;
		if (!be->ram)
			rc = -ENOMEM;
		goto out;
	}
	be->file = filp_open(params, O_RDWR | O_LARGEFILE | O_DIRECT, 0);
	if (IS_ERR(be->file) && PTR_ERR(be->file) == -EINVAL)
		be->file = filp_open(params, O_RDWR | O_LARGEFILE, 0);
	if (IS_ERR(be->file)) {
		rc = PTR_ERR(be->file);
		be->file = NULL;
		goto out;
	}
	/* a block device's size lives in its own inode, not the node's */
	bytes = i_size_read(be->file->f_mapping->host);
out:
	if (!rc) {
		be->sectors = bytes >> GNTV3_BLKIF_SECTOR_SHIFT;
		pr_info("%s: %s, %llu sectors%s\n", be->dev->nodename,
			IS_ERR(params) ? GNTV3_BLKIF_XS_RAMDISK : params,
			be->sectors,
			be->file && !(be->file->f_flags & O_DIRECT) ?
			" (buffered)" : "");
	}
	if (!IS_ERR(params))
		kfree(params);
	return rc;
}

static void gv3bk_close_store(struct gv3bk *be)
{
	if (be->file)
		filp_close(be->file, NULL);
	vfree(be->ram);
}

/* ---- xenbus ---- */

static int gv3bk_probe(struct xenbus_device *dev,
		       const struct xenbus_device_id *id)
{
	struct xenbus_transaction xbt;
	struct gv3bk *be;
	int rc;

	be = kvzalloc(sizeof(*be), GFP_KERNEL);
	if (!be)
		return -ENOMEM;
	be->dev = dev;
	mutex_init(&be->conn_lock);
	init_waitqueue_head(&be->wq);
	xa_init(&be->maps);
	dev_set_drvdata(&dev->dev, be);

	rc = gv3bk_open_store(be);
	if (rc) {
		xenbus_dev_fatal(dev, rc, "opening the backing store");
		goto err_free;
	}
again:
	rc = xenbus_transaction_start(&xbt);
	if (rc)
		goto err_store;
	rc = xenbus_printf(xbt, dev->nodename, GNTV3_XS_FEATURE, "%u",
			   GNTV3_ABI_VERSION) ?:
	     xenbus_printf(xbt, dev->nodename, GNTV3_BLKIF_XS_SECTORS, "%llu",
			   be->sectors) ?:
	     xenbus_printf(xbt, dev->nodename, GNTV3_BLKIF_XS_FLUSH, "%u",
			   be->file ? 1 : 0);
	if (rc) {
		xenbus_transaction_end(xbt, 1);
		goto err_store;
	}
	rc = xenbus_transaction_end(xbt, 0);
	if (rc == -EAGAIN)
		goto again;
	if (rc)
		goto err_store;
	rc = xenbus_switch_state(dev, XenbusStateInitWait);
	if (rc)
		goto err_store;
	return 0;

err_store:
	gv3bk_close_store(be);
err_free:
	dev_set_drvdata(&dev->dev, NULL);
	kvfree(be);
	return rc;
}

static void gv3bk_remove(struct xenbus_device *dev)
{
	struct gv3bk *be = dev_get_drvdata(&dev->dev);

	mutex_lock(&be->conn_lock);
	gv3bk_disconnect(be);
	mutex_unlock(&be->conn_lock);
	gv3bk_close_store(be);
	xa_destroy(&be->maps);
	dev_set_drvdata(&dev->dev, NULL);
	kvfree(be);
}

static const struct xenbus_device_id gv3bk_ids[] = {
	{ GNTV3_BLKIF_XS_TYPE },
	{ "" }
};

static struct xenbus_driver gv3bk_driver = {
	.ids = gv3bk_ids,
	.probe = gv3bk_probe,
	.remove = gv3bk_remove,
	.otherend_changed = gv3bk_frontend_changed,
};

static int __init gv3bk_init(void)
{
	if (!xen_domain())
		return -ENODEV;
	return xenbus_register_backend(&gv3bk_driver);
}
module_init(gv3bk_init);

static void __exit gv3bk_exit(void)
{
	xenbus_unregister_driver(&gv3bk_driver);
}
module_exit(gv3bk_exit);

MODULE_DESCRIPTION("gntv3 virtual disk backend");
MODULE_LICENSE("GPL");
MODULE_ALIAS("xen-backend:" GNTV3_BLKIF_XS_TYPE);
