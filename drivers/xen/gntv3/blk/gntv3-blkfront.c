// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3-blkfront: a virtual disk whose pages reach the backend as gntv3
 * grants (protocol: blkif_gntv3.h).
 *
 * Each device keeps one gntv3 grant tree for its backend domain, from probe
 * to remove.  Per connection it grants a ring page (4 KiB) and one data
 * buffer per blk-mq tag: a 2 MiB folio granted as ONE superpage grant.  A
 * request copies its data into (write) or out of (read) its tag's buffer;
 * the backend maps each buffer once and keeps it mapped, so the steady
 * state costs no grant operation at all, only the copy.  Granting the
 * bio's own pages instead would cost a grant, a map and an unmap per 4 KiB
 * page per request, each a hypercall (about 10 us under QEMU TCG, plus a
 * TLB flush on the backend at unmap).
 *
 * The ring page is a gntv3 grant rather than a v1 grant made with
 * xenbus_setup_ring(): the backend then reaches every page through one
 * interface (gntv3_back_attach() + gntv3_map()), and ending the ring grant
 * follows the same XSA-396 rule as the buffers (quarantined while the
 * backend still maps it), with no second teardown path.
 *
 * A backend that closes (or is reloaded) leaves the disk in place: requests
 * in flight are requeued, the grants of this connection are ended, and the
 * device reconnects when a backend offers InitWait again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <xen/events.h>
#include <xen/gntv3.h>
#include <xen/xenbus.h>

#include "blkif_gntv3.h"

#define GV3BF_MAX_DEPTH		32
#define GV3BF_BUF_ORDER		(GNTV3_SIZE_ORDER(GNTV3_SIZE_2M))

static unsigned int depth = 8;
module_param(depth, uint, 0444);
MODULE_PARM_DESC(depth, "Queue depth, and 2 MiB buffers granted, per disk (1-32)");

/*
 * Smaller than a buffer on purpose: a 1 MiB I/O then becomes several
 * requests in flight at once, and the backend serves one while we copy
 * another.
 */
static unsigned int max_request_kb = 256;
module_param(max_request_kb, uint, 0444);
MODULE_PARM_DESC(max_request_kb, "Largest request in KiB (4-2048)");

static DEFINE_IDA(gv3bf_ida);

/**
 * struct gv3bf_buf - the data buffer of one tag
 * @folio: a 2 MiB folio (our reference), or NULL
 * @gid: its grant id while @granted
 * @granted: granted to the backend for the current connection
 */
struct gv3bf_buf {
	struct folio *folio;
	gntv3_id_t gid;
	bool granted;
};

/**
 * struct gv3bf_pdu - per-request driver data
 * @op: GNTV3_BLKIF_OP_* sent
 * @status: result, set before the request is completed
 */
struct gv3bf_pdu {
	u8 op;
	blk_status_t status;
};

/**
 * struct gv3bf - one frontend device
 * @dev: the xenbus device
 * @front: the grant tree for the backend domain, probe to remove
 * @index: number of the disk's name
 * @conn_lock: serialises setting up and tearing down a connection (xenbus
 *	callbacks, remove); protects the fields down to @removing
 * @bufs: one buffer per tag
 * @ring_folio: the ring page while set up, else NULL
 * @ring_gid: its grant id
 * @irq: event channel irq while set up, else 0
 * @sectors: disk size told by the backend
 * @disk: the disk, created at the first connection
 * @tag_set: its tag set
 * @removing: remove() started: fail every request
 * @lock: protects @ring, @inflight, @connected, @ring_dead and @bad_rsp;
 *	taken from the interrupt handler
 * @ring: our half of the shared ring
 * @inflight: request of each tag that is on the ring, else NULL
 * @connected: requests may be put on the ring
 * @ring_dead: the backend corrupted the ring index: consume nothing more
 * @bad_rsp: malformed responses dropped
 */
struct gv3bf {
	struct xenbus_device *dev;
	struct gntv3_front *front;
	int index;

	struct mutex conn_lock;		/* see above */
	struct gv3bf_buf bufs[GV3BF_MAX_DEPTH];
	struct folio *ring_folio;
	gntv3_id_t ring_gid;
	int irq;
	u64 sectors;
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;
	bool removing;

	spinlock_t lock;		/* see above; irq-safe */
	struct gntv3_blkif_front_ring ring;
	struct request *inflight[GV3BF_MAX_DEPTH];
	bool connected;
	bool ring_dead;
	u64 bad_rsp;
};

/* ---- data path ---- */

/* Copy between @rq's pages and @buf, which holds the request contiguously. */
static void gv3bf_copy(struct request *rq, u8 *buf, bool to_buf)
{
	struct req_iterator iter;
	struct bio_vec bv;

	rq_for_each_segment(bv, rq, iter) {
		if (to_buf)
			memcpy_from_bvec(buf, &bv);
		else
			memcpy_to_bvec(&bv, buf);
		buf += bv.bv_len;
	}
}

static blk_status_t gv3bf_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct gv3bf *fe = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	struct gv3bf_pdu *pdu = blk_mq_rq_to_pdu(rq);
	struct gv3bf_buf *buf = &fe->bufs[rq->tag];
	struct gntv3_blkif_request *req;
	unsigned long flags;
	bool notify;

	switch (req_op(rq)) {
	case REQ_OP_READ:
		pdu->op = GNTV3_BLKIF_OP_READ;
		break;
	case REQ_OP_WRITE:
		pdu->op = GNTV3_BLKIF_OP_WRITE;
		break;
	case REQ_OP_FLUSH:
		pdu->op = GNTV3_BLKIF_OP_FLUSH;
		break;
	default:
		return BLK_STS_NOTSUPP;
	}
	if (READ_ONCE(fe->removing))
		return BLK_STS_IOERR;
	blk_mq_start_request(rq);
	/* the buffer is this tag's alone, so the copy needs no lock */
	if (pdu->op == GNTV3_BLKIF_OP_WRITE)
		gv3bf_copy(rq, folio_address(buf->folio), true);

	spin_lock_irqsave(&fe->lock, flags);
	if (!fe->connected) {
		/* restarted by gv3bf_connect(), under this lock's ordering */
		blk_mq_stop_hw_queue(hctx);
		spin_unlock_irqrestore(&fe->lock, flags);
		return BLK_STS_DEV_RESOURCE;
	}
	req = RING_GET_REQUEST(&fe->ring, fe->ring.req_prod_pvt);
	req->op = pdu->op;
	memset(req->pad0, 0, sizeof(req->pad0));
	req->tag = rq->tag;
	req->pad1 = 0;
	if (pdu->op == GNTV3_BLKIF_OP_FLUSH) {
		req->nr_bytes = 0;
		req->sector = 0;
		req->gid = 0;
	} else {
		req->nr_bytes = blk_rq_bytes(rq);
		req->sector = blk_rq_pos(rq);
		req->gid = buf->gid;
	}
	req->offset = 0;
	fe->ring.req_prod_pvt++;
	fe->inflight[rq->tag] = rq;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&fe->ring, notify);
	if (notify)
		notify_remote_via_irq(fe->irq);
	spin_unlock_irqrestore(&fe->lock, flags);
	return BLK_STS_OK;
}

/* Softirq (or the interrupt) after the response arrived. */
static void gv3bf_complete(struct request *rq)
{
	struct gv3bf_pdu *pdu = blk_mq_rq_to_pdu(rq);
	struct gv3bf *fe = rq->q->queuedata;

	if (pdu->status == BLK_STS_OK && pdu->op == GNTV3_BLKIF_OP_READ)
		gv3bf_copy(rq, folio_address(fe->bufs[rq->tag].folio), false);
	blk_mq_end_request(rq, pdu->status);
}

/*
 * Check one response against what we sent; the request it completes, or
 * NULL when it is malformed (counted, dropped).  Under fe->lock.
 */
static struct request *gv3bf_take_rsp(struct gv3bf *fe,
				      const struct gntv3_blkif_response *rsp)
{
	struct gv3bf_pdu *pdu;
	struct request *rq;

	lockdep_assert_held(&fe->lock);
	if (rsp->tag >= depth || !fe->inflight[rsp->tag] || rsp->pad0 ||
	    rsp->pad1)
		goto bad;
	rq = fe->inflight[rsp->tag];
	pdu = blk_mq_rq_to_pdu(rq);
	if (rsp->op != pdu->op)
		goto bad;
	switch (rsp->status) {
	case GNTV3_BLKIF_RSP_OKAY:
		pdu->status = BLK_STS_OK;
		break;
	case GNTV3_BLKIF_RSP_ERROR:
		pdu->status = BLK_STS_IOERR;
		break;
	case GNTV3_BLKIF_RSP_EOPNOTSUPP:
		pdu->status = BLK_STS_NOTSUPP;
		break;
	default:
		goto bad;
	}
	fe->inflight[rsp->tag] = NULL;
	return rq;
bad:
	fe->bad_rsp++;
	pr_warn_ratelimited("%s: dropped a malformed response (tag %llu op %u status %d)\n",
			    fe->dev->nodename, rsp->tag, rsp->op, rsp->status);
	return NULL;
}

static irqreturn_t gv3bf_interrupt(int irq, void *data)
{
	struct request *done[GV3BF_MAX_DEPTH];
	struct gntv3_blkif_response rsp;
	unsigned int eoi = XEN_EOI_FLAG_SPURIOUS, n = 0, i;
	struct gv3bf *fe = data;
	struct request *rq;
	unsigned long flags;
	RING_IDX rc, rp;
	int more = 1;

	spin_lock_irqsave(&fe->lock, flags);
	while (fe->connected && !fe->ring_dead && more) {
		rp = READ_ONCE(fe->ring.sring->rsp_prod);
		virt_rmb();	/* responses before the index published them */
		if (RING_RESPONSE_PROD_OVERFLOW(&fe->ring, rp)) {
			fe->ring_dead = true;
			pr_warn("%s: response producer %u out of range: ring dead\n",
				fe->dev->nodename, rp);
			break;
		}
		for (rc = fe->ring.rsp_cons; rc != rp; rc++) {
			RING_COPY_RESPONSE(&fe->ring, rc, &rsp);
			eoi = 0;
			rq = gv3bf_take_rsp(fe, &rsp);
			/* each tag is in flight once: at most depth */
			if (rq)
				done[n++] = rq;
		}
		fe->ring.rsp_cons = rc;
		RING_FINAL_CHECK_FOR_RESPONSES(&fe->ring, more);
	}
	spin_unlock_irqrestore(&fe->lock, flags);

	for (i = 0; i < n; i++)
		blk_mq_complete_request(done[i]);
	xen_irq_lateeoi(irq, eoi);
	return IRQ_HANDLED;
}

static const struct blk_mq_ops gv3bf_mq_ops = {
	.queue_rq = gv3bf_queue_rq,
	.complete = gv3bf_complete,
};

/* ---- buffers ---- */

/*
 * Take the grant of one buffer back.  The buffer stays ours to reuse when
 * the backend no longer maps it; if it still does, gntv3 quarantines the
 * folio (keeping its own reference) and we drop ours and allocate a fresh
 * one next time.  This is the one place a buffer leaves the backend.
 */
static void gv3bf_buf_release(struct gv3bf *fe, struct gv3bf_buf *buf)
{
	int rc;

	if (!buf->granted)
		return;
	buf->granted = false;
	rc = gntv3_end_grant(fe->front, buf->gid);
	if (!rc)
		return;
	if (rc < 0)
		pr_warn("%s: ending grant %llu: %d\n", fe->dev->nodename,
			buf->gid, rc);
	folio_put(buf->folio);
	buf->folio = NULL;
}

static int gv3bf_buf_grant(struct gv3bf *fe, struct gv3bf_buf *buf)
{
	int rc;

	if (!buf->folio) {
		buf->folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN,
					 GV3BF_BUF_ORDER);
		if (!buf->folio)
			return -ENOMEM;
	}
	rc = gntv3_grant_folio(fe->front, buf->folio, 0, &buf->gid);
	if (rc)
		return rc;
	buf->granted = true;
	return 0;
}

/* ---- connection ---- */

/* Undo gv3bf_setup() and gv3bf_connect(); requeue what was in flight. */
static void gv3bf_disconnect(struct gv3bf *fe)
{
	struct request *requeue[GV3BF_MAX_DEPTH];
	unsigned int i, n = 0;
	int rc;

	lockdep_assert_held(&fe->conn_lock);
	spin_lock_irq(&fe->lock);
	fe->connected = false;
	for (i = 0; i < depth; i++) {
		if (fe->inflight[i])
			requeue[n++] = fe->inflight[i];
		fe->inflight[i] = NULL;
	}
	spin_unlock_irq(&fe->lock);

	/* no interrupt runs after this: the event channel is closed */
	if (fe->irq)
		unbind_from_irqhandler(fe->irq, fe);
	fe->irq = 0;
	for (i = 0; i < n; i++)
		blk_mq_requeue_request(requeue[i], false);

	if (fe->ring_folio) {
		rc = gntv3_end_grant(fe->front, fe->ring_gid);
		if (rc < 0)
			pr_warn("%s: ending the ring grant: %d\n",
				fe->dev->nodename, rc);
		folio_put(fe->ring_folio);	/* gntv3 keeps its own */
		fe->ring_folio = NULL;
	}
	for (i = 0; i < depth; i++)
		gv3bf_buf_release(fe, &fe->bufs[i]);
	if (n || fe->bad_rsp)
		pr_info("%s: disconnected: %u requests requeued, %llu bad responses\n",
			fe->dev->nodename, n, fe->bad_rsp);
}

static int gv3bf_publish(struct gv3bf *fe, evtchn_port_t evtchn)
{
	struct xenbus_device *dev = fe->dev;
	struct xenbus_transaction xbt;
	int rc;

again:
	rc = xenbus_transaction_start(&xbt);
	if (rc)
		return rc;
	rc = xenbus_printf(xbt, dev->nodename, GNTV3_XS_VERSION, "%u",
			   GNTV3_ABI_VERSION) ?:
	     xenbus_printf(xbt, dev->nodename, GNTV3_XS_TRANSPORT, "%s",
			   gntv3_transport_name()) ?:
	     xenbus_printf(xbt, dev->nodename, GNTV3_XS_TREE_REF, "%u",
			   gntv3_front_tree_ref(fe->front)) ?:
	     xenbus_printf(xbt, dev->nodename, GNTV3_BLKIF_XS_RING_ID, "%llu",
			   fe->ring_gid) ?:
	     xenbus_printf(xbt, dev->nodename, GNTV3_BLKIF_XS_EVTCHN, "%u",
			   evtchn);
	if (rc) {
		xenbus_transaction_end(xbt, 1);
		return rc;
	}
	rc = xenbus_transaction_end(xbt, 0);
	if (rc == -EAGAIN)
		goto again;
	return rc;
}

/* Backend in InitWait: grant the ring and the buffers, publish them. */
static int gv3bf_setup(struct gv3bf *fe)
{
	struct gntv3_blkif_sring *sring;
	evtchn_port_t evtchn;
	unsigned int i;
	int rc;

	lockdep_assert_held(&fe->conn_lock);
	if (xenbus_read_unsigned(fe->dev->otherend, GNTV3_XS_FEATURE, 0) <
	    GNTV3_ABI_VERSION)
		return -EPROTONOSUPPORT;
	for (i = 0; i < depth; i++) {
		rc = gv3bf_buf_grant(fe, &fe->bufs[i]);
		if (rc)
			return rc;
	}
	fe->ring_folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 0);
	if (!fe->ring_folio)
		return -ENOMEM;
	sring = folio_address(fe->ring_folio);
	spin_lock_irq(&fe->lock);
	XEN_FRONT_RING_INIT(&fe->ring, sring, XEN_PAGE_SIZE);
	fe->ring_dead = false;
	spin_unlock_irq(&fe->lock);
	rc = gntv3_grant_folio(fe->front, fe->ring_folio, 0, &fe->ring_gid);
	if (rc) {
		folio_put(fe->ring_folio);
		fe->ring_folio = NULL;
		return rc;
	}

	rc = xenbus_alloc_evtchn(fe->dev, &evtchn);
	if (rc)
		return rc;
	rc = bind_evtchn_to_irqhandler_lateeoi(evtchn, gv3bf_interrupt, 0,
					       "gntv3-blkfront", fe);
	if (rc < 0) {
		xenbus_free_evtchn(fe->dev, evtchn);
		return rc;
	}
	fe->irq = rc;
	return gv3bf_publish(fe, evtchn);
}

static const struct block_device_operations gv3bf_fops = {
	.owner = THIS_MODULE,
};

static int gv3bf_alloc_disk(struct gv3bf *fe, bool flush)
{
	struct queue_limits lim = {
		.logical_block_size = GNTV3_BLKIF_SECTOR_SIZE,
		.max_hw_sectors = max_request_kb << 1,
		.max_segments = GNTV3_BLKIF_MAX_BYTES / PAGE_SIZE,
		.features = flush ? BLK_FEAT_WRITE_CACHE : 0,
	};
	struct gendisk *disk;
	int rc;

	fe->tag_set.ops = &gv3bf_mq_ops;
	fe->tag_set.nr_hw_queues = 1;
	fe->tag_set.queue_depth = depth;
	fe->tag_set.numa_node = NUMA_NO_NODE;
	fe->tag_set.cmd_size = sizeof(struct gv3bf_pdu);
	fe->tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	rc = blk_mq_alloc_tag_set(&fe->tag_set);
	if (rc)
		return rc;
	disk = blk_mq_alloc_disk(&fe->tag_set, &lim, fe);
	if (IS_ERR(disk)) {
		blk_mq_free_tag_set(&fe->tag_set);
		return PTR_ERR(disk);
	}
	disk->fops = &gv3bf_fops;
	disk->flags |= GENHD_FL_NO_PART;
	snprintf(disk->disk_name, sizeof(disk->disk_name), "gntv3blk%d",
		 fe->index);
	set_capacity(disk, fe->sectors);
	fe->disk = disk;
	return 0;
}

/* Backend Connected: create the disk the first time, then let I/O flow. */
static int gv3bf_connect(struct gv3bf *fe)
{
	bool first = !fe->disk;
	u64 sectors;
	int rc;

	lockdep_assert_held(&fe->conn_lock);
	sectors = xenbus_read_unsigned(fe->dev->otherend, GNTV3_BLKIF_XS_SECTORS,
				       0);
	if (first) {
		fe->sectors = sectors;
		rc = gv3bf_alloc_disk(fe, xenbus_read_unsigned(fe->dev->otherend,
							       GNTV3_BLKIF_XS_FLUSH,
							       0));
		if (rc)
			return rc;
	} else if (sectors != fe->sectors) {
		fe->sectors = sectors;
		set_capacity_and_notify(fe->disk, sectors);
	}

	spin_lock_irq(&fe->lock);
	fe->connected = true;
	spin_unlock_irq(&fe->lock);
	xenbus_switch_state(fe->dev, XenbusStateConnected);
	pr_info("%s: %s connected to dom%u: %llu sectors, %u x 2 MiB buffers, tree ref %u, ring id %llu\n",
		fe->dev->nodename, fe->disk->disk_name, fe->dev->otherend_id,
		fe->sectors, depth, gntv3_front_tree_ref(fe->front),
		fe->ring_gid);

	if (first) {
		/* I/O must already flow: add_disk() may read the disk */
		rc = add_disk(fe->disk);
		if (rc) {
			put_disk(fe->disk);
			fe->disk = NULL;
			blk_mq_free_tag_set(&fe->tag_set);
		}
		return rc;
	}
	blk_mq_start_stopped_hw_queues(fe->disk->queue, true);
	blk_mq_kick_requeue_list(fe->disk->queue);
	return 0;
}

static void gv3bf_backend_changed(struct xenbus_device *dev,
				  enum xenbus_state be_state)
{
	struct gv3bf *fe = dev_get_drvdata(&dev->dev);
	int rc = 0;

	mutex_lock(&fe->conn_lock);
	switch (be_state) {
	case XenbusStateInitWait:
		/* first time, or a backend back after it closed */
		if (dev->state != XenbusStateInitialising &&
		    dev->state != XenbusStateClosed)
			break;
		rc = gv3bf_setup(fe);
		if (rc) {
			gv3bf_disconnect(fe);
			xenbus_dev_fatal(dev, rc, "setting up the ring");
			break;
		}
		xenbus_switch_state(dev, XenbusStateInitialised);
		break;
	case XenbusStateConnected:
		if (dev->state != XenbusStateInitialised)
			break;
		rc = gv3bf_connect(fe);
		if (rc) {
			gv3bf_disconnect(fe);
			xenbus_dev_fatal(dev, rc, "connecting");
		}
		break;
	case XenbusStateClosing:
	case XenbusStateClosed:
		if (dev->state == XenbusStateClosed)
			break;
		gv3bf_disconnect(fe);
		xenbus_frontend_closed(dev);
		break;
	default:
		/* Unknown: no backend state yet, e.g. while being attached */
		break;
	}
	mutex_unlock(&fe->conn_lock);
}

/* ---- xenbus ---- */

static int gv3bf_probe(struct xenbus_device *dev,
		       const struct xenbus_device_id *id)
{
	struct gv3bf *fe;
	int rc;

	fe = kzalloc(sizeof(*fe), GFP_KERNEL);
	if (!fe)
		return -ENOMEM;
	fe->dev = dev;
	mutex_init(&fe->conn_lock);
	spin_lock_init(&fe->lock);
	fe->index = ida_alloc(&gv3bf_ida, GFP_KERNEL);
	if (fe->index < 0) {
		rc = fe->index;
		goto err_free;
	}
	fe->front = gntv3_front_create(dev->otherend_id);
	if (IS_ERR(fe->front)) {
		rc = PTR_ERR(fe->front);
		goto err_ida;
	}
	dev_set_drvdata(&dev->dev, fe);
	return 0;

err_ida:
	ida_free(&gv3bf_ida, fe->index);
err_free:
	kfree(fe);
	return rc;
}

static void gv3bf_remove(struct xenbus_device *dev)
{
	struct gv3bf *fe = dev_get_drvdata(&dev->dev);
	unsigned int i;
	int rc;

	mutex_lock(&fe->conn_lock);
	WRITE_ONCE(fe->removing, true);
	gv3bf_disconnect(fe);
	mutex_unlock(&fe->conn_lock);

	if (fe->disk) {
		/* requeued and new requests now fail at once */
		blk_mq_start_stopped_hw_queues(fe->disk->queue, true);
		blk_mq_kick_requeue_list(fe->disk->queue);
		del_gendisk(fe->disk);
		put_disk(fe->disk);
		blk_mq_free_tag_set(&fe->tag_set);
	}
	for (i = 0; i < depth; i++)
		if (fe->bufs[i].folio)
			folio_put(fe->bufs[i].folio);
	rc = gntv3_front_destroy(fe->front);
	if (rc)
		pr_warn("%s: grant tree still in use (%d): leaking it\n",
			dev->nodename, rc);
	ida_free(&gv3bf_ida, fe->index);
	dev_set_drvdata(&dev->dev, NULL);
	kfree(fe);
}

static const struct xenbus_device_id gv3bf_ids[] = {
	{ GNTV3_BLKIF_XS_TYPE },
	{ "" }
};

static struct xenbus_driver gv3bf_driver = {
	.ids = gv3bf_ids,
	.probe = gv3bf_probe,
	.remove = gv3bf_remove,
	.otherend_changed = gv3bf_backend_changed,
	.not_essential = true,
};

static int __init gv3bf_init(void)
{
	if (!xen_domain())
		return -ENODEV;
	if (!depth || depth > GV3BF_MAX_DEPTH ||
	    depth > GNTV3_BLKIF_RING_SIZE) {
		pr_err("depth=%u: must be 1 to %u\n", depth, GV3BF_MAX_DEPTH);
		return -EINVAL;
	}
	if (max_request_kb < 4 || max_request_kb > GNTV3_BLKIF_MAX_BYTES / SZ_1K) {
		pr_err("max_request_kb=%u: must be 4 to %u\n", max_request_kb,
		       GNTV3_BLKIF_MAX_BYTES / SZ_1K);
		return -EINVAL;
	}
	return xenbus_register_frontend(&gv3bf_driver);
}
module_init(gv3bf_init);

static void __exit gv3bf_exit(void)
{
	xenbus_unregister_driver(&gv3bf_driver);
}
module_exit(gv3bf_exit);

MODULE_DESCRIPTION("gntv3 virtual disk frontend");
MODULE_LICENSE("GPL");
MODULE_ALIAS("xen:" GNTV3_BLKIF_XS_TYPE);
