// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3-blkback: the backend of a gntv3 virtual disk (blkif_gntv3.h).
 *
 * Serves each device from its backing store: a file or block device opened
 * with O_DIRECT when it allows it (the "params" node), or a memory disk of
 * ramdisk_mb MiB.  The frontend's data buffers are gntv3 grants, mapped in
 * batches the first time a request names them and then kept mapped
 * (persistent mappings) until disconnect, until the frontend revokes them,
 * or until more than max_persistent are mapped, when all are given back at
 * once.  Requests are read once from the ring, validated field by field,
 * and served in order by one kernel thread per device; a bad request gets
 * an error response and is counted.
 *
 * Revocation.  The frontend's tree comes with a revoke ring, published in
 * the frontend's device directory next to the block ring's keys
 * (gntv3_back_xs_read(), gntv3_back_connect_keys()); gntv3 calls our revoke
 * handler when the frontend
 * wants a buffer back, and acknowledges once we no longer map it.  Only
 * the I/O thread touches the persistent mappings, and it serves each batch
 * of requests to the end before it looks at anything else.  So the
 * handler does not unmap: it queues the range for the thread and wakes it;
 * the thread drops the overlapping mappings between two batches, when no
 * request uses them, and gives them back with one gntv3_unmap_batch().  A
 * mapping in use by a request is therefore never unmapped under it, the
 * I/O path takes no lock for it, and the acknowledgment waits at most for
 * the batch being served.
 *
 * One state machine per device, ours: gntv3 keeps no xenstore state of its
 * own for the device.  The otherend_changed callback (the xenwatch thread)
 * only queues a work item, and every state transition of a device runs
 * there: connecting and disconnecting map and unmap, and a disconnect
 * waits for the I/O thread's batch, which xenwatch should not wait for.
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
#include <linux/spinlock.h>
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
#define GV3BK_KICK		0	/* bit of gv3bk::flags: the ring has work */
#define GV3BK_REVOKE		1	/* bit of gv3bk::flags: ranges revoked */

/*
 * Revoked ranges queued for the thread; more than that at once (the
 * frontend has 32 revoke requests in flight at most, but may send more for
 * ids we never mapped) make the thread drop every persistent mapping.
 */
#define GV3BK_MAX_REVOKES	32

/* Mappings given back per gntv3_unmap_batch() call. */
#define GV3BK_UNMAP_CHUNK	64

/**
 * struct gv3bk_stats - what one device did, printed at disconnect
 * @requests: requests served (good or bad)
 * @bad_requests: requests rejected by validation
 * @io_errors: requests whose I/O on the backing store failed
 * @maps: grants mapped
 * @map_batches: gntv3_map() calls that mapped them
 * @evictions: times every persistent mapping was given back to make room
 * @revokes: revoke (or downgrade) requests of the frontend taken in
 * @revoked: persistent mappings dropped because of them
 * @unmap_batches: gntv3_unmap_batch() calls
 */
struct gv3bk_stats {
	u64 requests;
	u64 bad_requests;
	u64 io_errors;
	u64 maps;
	u64 map_batches;
	u64 evictions;
	u64 revokes;
	u64 revoked;
	u64 unmap_batches;
};

/**
 * struct gv3bk_range - ids the frontend revoked
 * @first: first id
 * @nr: number of ids
 */
struct gv3bk_range {
	gntv3_id_t first;
	u64 nr;
};

/**
 * struct gv3bk - one backend device
 * @dev: the xenbus device
 * @file: backing file or block device, or NULL for the memory disk
 * @ram: the memory disk, or NULL
 * @sectors: size of the disk in 512-byte sectors
 * @state_work: follows the frontend's state: every connect and disconnect
 *	but remove's runs here (see the top of the file)
 * @conn_lock: serialises connect and disconnect (@state_work, remove)
 * @connected: a connection is up; under @conn_lock
 * @back: attachment to the frontend's tree, from gntv3_back_connect_keys(),
 *	while connected
 * @ring_map: mapping of the ring page while connected
 * @ring: our view of the shared ring; only @thread uses it
 * @irq: event channel irq while connected
 * @thread: serves the ring while connected
 * @wq: @thread waits here for @flags
 * @flags: GV3BK_KICK, set by the interrupt; GV3BK_REVOKE, set by the
 *	revoke handler
 * @ring_dead: the frontend corrupted the ring indices; @thread only
 * @revoke_lock: protects @revoke, @nr_revoke, @revoke_all and @revokes_in,
 *	which the revoke handler fills and @thread empties
 * @revoke: ranges revoked and not yet dropped
 * @nr_revoke: entries of @revoke
 * @revoke_all: @revoke overflowed: drop every persistent mapping
 * @revokes_in: revoke requests not yet counted in @stats
 * @revoking: @thread's copy of @revoke while it drops mappings
 * @maps: persistent mappings, grant id -> struct gntv3_mapping; @thread only
 *	while connected, disconnect after stopping it
 * @nr_maps: entries of @maps
 * @unmap: mappings of one gntv3_unmap_batch() call; @thread only while
 *	connected, disconnect after stopping it
 * @unmap_data: the argument of each one's done callback
 * @unmap_rc: the result of each one
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

	struct work_struct state_work;
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

	spinlock_t revoke_lock;		/* see above */
	struct gv3bk_range revoke[GV3BK_MAX_REVOKES];
	unsigned int nr_revoke;
	bool revoke_all;
	u64 revokes_in;
	struct gv3bk_range revoking[GV3BK_MAX_REVOKES];

	struct xarray maps;
	unsigned int nr_maps;
	struct gntv3_mapping *unmap[GV3BK_UNMAP_CHUNK];
	void *unmap_data[GV3BK_UNMAP_CHUNK];
	int unmap_rc[GV3BK_UNMAP_CHUNK];
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

static void gv3bk_unmap_wait_init(struct gv3bk_unmap_wait *w)
{
	atomic_set(&w->left, 1);
	init_completion(&w->done);
}

/* Drop the issuer's count and wait for the unmaps still pending. */
static void gv3bk_unmap_wait(struct gv3bk_unmap_wait *w)
{
	if (!atomic_dec_and_test(&w->left))
		wait_for_completion(&w->done);
}

static void gv3bk_unmap_done(struct gntv3_mapping *map, int result,
			     void *data)
{
	struct gv3bk_unmap_wait *w = data;

	/* -EBUSY: still mapped, detach takes care of it */
	if (result)
		pr_warn_ratelimited("unmap of grant %llu: %d\n", map->id,
				    result);
	if (atomic_dec_and_test(&w->left))
		complete(&w->done);
}

/*
 * Give back the @n mappings collected in be->unmap, already out of
 * be->maps, with one gntv3_unmap_batch() call: one unmap hypercall for
 * all whose pages nobody holds (all of them here: the thread serves its
 * requests synchronously and calls this between batches, or after it
 * stopped).  Those still in use take the safe unmap path and count in @w.
 */
static void gv3bk_unmap_flush(struct gv3bk *be, unsigned int n,
			      struct gv3bk_unmap_wait *w)
{
	unsigned int i;
	int rc;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		be->unmap_data[i] = w;
	/* counted before the call: a done callback may run at once */
	atomic_add(n, &w->left);
	be->stats.unmap_batches++;
	rc = gntv3_unmap_batch(be->unmap, n, gv3bk_unmap_done, be->unmap_data,
			       be->unmap_rc);
	for (i = 0; i < n; i++) {
		if (rc) {
			/* nothing was done (-ENOMEM...): one by one then */
			be->unmap_rc[i] = gntv3_unmap_async(be->unmap[i],
							    gv3bk_unmap_done,
							    w);
			if (!be->unmap_rc[i])
				continue;
			/* left to detach, which unmaps whatever remains */
			pr_warn_ratelimited("unmap of grant %llu: %d\n",
					    be->unmap[i]->id, be->unmap_rc[i]);
		} else if (be->unmap_rc[i] == -EINPROGRESS) {
			continue;	/* the done callback counts it */
		} else if (be->unmap_rc[i]) {
			/* the mapping is gone: name it by its batch slot */
			pr_warn_ratelimited("unmap %u of a batch: %d\n", i,
					    be->unmap_rc[i]);
		}
		atomic_dec(&w->left);	/* never the last: the issuer's */
	}
}

static bool gv3bk_overlaps(const struct gntv3_mapping *map,
			   const struct gv3bk_range *r)
{
	return map->id < r->first + r->nr && r->first < map->id + map->nr_pages;
}

/*
 * Give back the persistent mappings that overlap one of @nr ranges, or
 * every one when @ranges is NULL, in batches, and wait for them.  The
 * thread is between batches or stopped: no request uses them.
 */
static void gv3bk_unmap_ranges(struct gv3bk *be,
			       const struct gv3bk_range *ranges,
			       unsigned int nr)
{
	struct gv3bk_unmap_wait w;
	struct gntv3_mapping *map;
	unsigned int n = 0, i;
	unsigned long gid;

	gv3bk_unmap_wait_init(&w);
	xa_for_each(&be->maps, gid, map) {
		for (i = 0; ranges && i < nr; i++)
			if (gv3bk_overlaps(map, &ranges[i]))
				break;
		if (ranges && i == nr)
			continue;
		xa_erase(&be->maps, gid);
		be->nr_maps--;
		be->unmap[n++] = map;
		if (ranges)
			be->stats.revoked++;
		if (n == ARRAY_SIZE(be->unmap)) {
			gv3bk_unmap_flush(be, n, &w);
			n = 0;
		}
	}
	gv3bk_unmap_flush(be, n, &w);
	gv3bk_unmap_wait(&w);
}

/* Give every persistent mapping back. */
static void gv3bk_unmap_all(struct gv3bk *be)
{
	gv3bk_unmap_ranges(be, NULL, 0);
}

/*
 * The revoke handler (gntv3's workqueue): queue the range for the thread,
 * which owns the mappings.  gntv3 acknowledges the frontend once the
 * thread dropped them.  A downgrade is handled like a revoke: on the v1
 * transport every mapping of the range must go, and the next request maps
 * it again.
 */
static void gv3bk_revoke(struct gntv3_back *back, gntv3_id_t first,
			 u64 nr_ids, bool downgrade, void *data)
{
	struct gv3bk *be = data;

	spin_lock(&be->revoke_lock);
	be->revokes_in++;
	if (be->nr_revoke < ARRAY_SIZE(be->revoke)) {
		be->revoke[be->nr_revoke].first = first;
		be->revoke[be->nr_revoke].nr = nr_ids;
		be->nr_revoke++;
	} else {
		be->revoke_all = true;
	}
	spin_unlock(&be->revoke_lock);
	set_bit(GV3BK_REVOKE, &be->flags);
	wake_up(&be->wq);
}

/* The thread, between batches: drop what the frontend revoked. */
static void gv3bk_drop_revoked(struct gv3bk *be)
{
	unsigned int nr;
	bool all;

	if (!test_and_clear_bit(GV3BK_REVOKE, &be->flags))
		return;
	spin_lock(&be->revoke_lock);
	nr = be->nr_revoke;
	all = be->revoke_all;
	memcpy(be->revoking, be->revoke, nr * sizeof(be->revoke[0]));
	be->stats.revokes += be->revokes_in;
	be->nr_revoke = 0;
	be->revoke_all = false;
	be->revokes_in = 0;
	spin_unlock(&be->revoke_lock);

	if (all) {
		be->stats.revoked += be->nr_maps;
		gv3bk_unmap_all(be);
	} else {
		gv3bk_unmap_ranges(be, be->revoking, nr);
	}
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
	/* the protocol's buffers are 2 MiB grants (blkif_gntv3.h) */
	rc = gntv3_map(be->back, be->miss, n, GNTV3_MAP_F_2M, be->miss_maps);
	for (i = 0; i < n; i++) {
		/* one bad id fails the batch: find it by mapping one by one */
		if (rc) {
			be->stats.map_batches++;
			rcs[i] = gntv3_map(be->back, &be->miss[i], 1,
					   GNTV3_MAP_F_2M, &be->miss_maps[i]);
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
			/* no request uses a mapping now */
			gv3bk_drop_revoked(be);
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
					 test_bit(GV3BK_REVOKE, &be->flags) ||
					 kthread_should_stop());
		gv3bk_drop_revoked(be);
		/* an EOI only for a kick of the interrupt */
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
	/* a handler still running only queues for the stopped thread */
	gntv3_back_set_revoke_handler(be->back, NULL, NULL);
	kthread_stop(be->thread);
	unbind_from_irqhandler(be->irq, be);
	gv3bk_unmap_all(be);
	rc = gntv3_unmap_sync(be->ring_map);
	if (rc)
		pr_warn("unmapping the ring: %d\n", rc);
	/* waits for our revoke handler; gntv3 calls it no more */
	gntv3_back_detach(be->back);
	be->connected = false;
	pr_info("dom%u %s: disconnected: %llu requests, %llu bad, %llu I/O errors, %llu grants mapped in %llu batches, %llu evictions, %llu revokes, %llu mappings revoked, %llu unmap batches\n",
		be->dev->otherend_id, be->dev->nodename, s->requests,
		s->bad_requests, s->io_errors, s->maps, s->map_batches,
		s->evictions, s->revokes, s->revoked, s->unmap_batches);
}

/**
 * struct gv3bk_keys - what the frontend published in its directory
 * @dir: that directory
 * @ring_id: gntv3 id of the block ring page
 * @evtchn: the block ring's event channel
 * @gntv3: the tree, the revoke ring and its event channel
 */
struct gv3bk_keys {
	const char *dir;
	gntv3_id_t ring_id;
	u32 evtchn;
	struct gntv3_xs_keys gntv3;
};

static int gv3bk_read_xbt(struct xenbus_transaction xbt, void *data)
{
	struct gv3bk_keys *k = data;
	char *id;
	int rc;

	id = xenbus_read(xbt, k->dir, GNTV3_BLKIF_XS_RING_ID, NULL);
	if (IS_ERR(id))
		return -EPROTO;
	rc = kstrtou64(id, 10, &k->ring_id) ? -EPROTO : 0;
	kfree(id);
	return rc ?:
	       gntv3_xs_read_u32(xbt, k->dir, GNTV3_BLKIF_XS_EVTCHN,
				 &k->evtchn) ?:
	       gntv3_back_xs_read(xbt, k->dir, &k->gntv3);
}

/*
 * Read the frontend's keys (one snapshot), attach to its tree and revoke
 * ring, map the block ring, bring the thread up.
 */
static int gv3bk_connect(struct gv3bk *be)
{
	struct xenbus_device *dev = be->dev;
	struct gv3bk_keys k = { .dir = dev->otherend };
	int rc;

	lockdep_assert_held(&be->conn_lock);
	if (be->connected)
		return 0;
	rc = gntv3_xs_transaction(gv3bk_read_xbt, &k);
	if (rc)
		return rc;
	be->back = gntv3_back_connect_keys(dev->otherend_id, &k.gntv3);
	if (IS_ERR(be->back))
		return PTR_ERR(be->back);
	rc = gntv3_map(be->back, &k.ring_id, 1, GNTV3_MAP_F_VMAP,
		       &be->ring_map);
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
	be->nr_revoke = 0;
	be->revoke_all = false;
	be->revokes_in = 0;
	rc = bind_interdomain_evtchn_to_irqhandler_lateeoi(dev, k.evtchn,
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
	gntv3_back_set_revoke_handler(be->back, gv3bk_revoke, be);
	be->connected = true;
	pr_info("dom%u %s: connected (tree ref %u, ring id %llu, %llu sectors)\n",
		dev->otherend_id, dev->nodename, k.gntv3.tree_ref, k.ring_id,
		be->sectors);
	return 0;

err_unbind:
	unbind_from_irqhandler(be->irq, be);
err_unmap:
	gntv3_unmap_sync(be->ring_map);
err_detach:
	gntv3_back_detach(be->back);
	return rc;
}

/*
 * Follow the frontend's state, read afresh: events that came faster than
 * this work are folded into the latest state.
 */
static void gv3bk_state_work(struct work_struct *work)
{
	struct gv3bk *be = container_of(work, struct gv3bk, state_work);
	struct xenbus_device *dev = be->dev;
	enum xenbus_state fe_state;
	int rc;

	fe_state = xenbus_read_driver_state(dev->otherend);
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

/* The xenwatch thread: never wait here, see the top of the file. */
static void gv3bk_frontend_changed(struct xenbus_device *dev,
				   enum xenbus_state fe_state)
{
	struct gv3bk *be = dev_get_drvdata(&dev->dev);

	queue_work(system_long_wq, &be->state_work);
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

/* What we offer, in one transaction before InitWait. */
static int gv3bk_advertise_xbt(struct xenbus_transaction xbt, void *data)
{
	struct gv3bk *be = data;
	const char *dir = be->dev->nodename;

	return gntv3_back_xs_advertise(xbt, dir) ?:
	       xenbus_printf(xbt, dir, GNTV3_BLKIF_XS_SECTORS, "%llu",
			     be->sectors) ?:
	       xenbus_printf(xbt, dir, GNTV3_BLKIF_XS_FLUSH, "%u",
			     be->file ? 1 : 0);
}

static int gv3bk_probe(struct xenbus_device *dev,
		       const struct xenbus_device_id *id)
{
	struct gv3bk *be;
	int rc;

	be = kvzalloc(sizeof(*be), GFP_KERNEL);
	if (!be)
		return -ENOMEM;
	be->dev = dev;
	INIT_WORK(&be->state_work, gv3bk_state_work);
	mutex_init(&be->conn_lock);
	init_waitqueue_head(&be->wq);
	spin_lock_init(&be->revoke_lock);
	xa_init(&be->maps);
	dev_set_drvdata(&dev->dev, be);

	rc = gv3bk_open_store(be);
	if (rc) {
		xenbus_dev_fatal(dev, rc, "opening the backing store");
		goto err_free;
	}
	rc = gntv3_xs_transaction(gv3bk_advertise_xbt, be);
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

	/* xenbus calls no otherend_changed any more */
	cancel_work_sync(&be->state_work);
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
