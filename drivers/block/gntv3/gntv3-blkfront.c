// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3-blkfront: a virtual disk whose pages reach the backend as gntv3
 * grants (protocol: blkif_gntv3.h).
 *
 * Each device keeps one gntv3 grant tree for its backend domain, from probe
 * to remove, and offers it to the backend with a revoke ring
 * (gntv3_front_connect()).  Per block connection it grants a ring page
 * (4 KiB) and a pool of data buffers, one per blk-mq tag: each a 2 MiB
 * folio granted as ONE superpage grant.  A request takes an idle buffer
 * from the pool and copies its data into (write) or out of (read) it; the
 * backend maps each buffer once and keeps it mapped, so the steady state
 * costs no grant operation at all, only the copy.  Granting the bio's own
 * pages instead would cost a grant, a map and an unmap per 4 KiB page per
 * request, each a hypercall (about 10 us under QEMU TCG, plus a TLB flush
 * on the backend at unmap).
 *
 * A buffer leaves the backend through gntv3_revoke() while the revoke ring
 * is up: the backend drops its persistent mapping once no request uses it
 * and acknowledges, and the grant ends cleanly.  That is how the pool
 * shrinks; the debugfs knob revoke_storm shrinks it to nothing and grows
 * it back, repeatedly, under I/O.  A buffer is only ever revoked while it
 * is idle (in the pool, no request owns it), so the backend never sees a
 * request for a revoked buffer.
 *
 * The ring page is a gntv3 grant rather than a v1 grant made with
 * xenbus_setup_ring(): the backend then reaches every page through one
 * interface (gntv3_map()), and ending the ring grant follows the same
 * XSA-396 rule as the buffers (quarantined while the backend still maps
 * it), with no second teardown path.
 *
 * A backend that closes (or is reloaded) leaves the disk in place: requests
 * in flight are requeued, the grants of this connection are ended, and the
 * device reconnects when a backend offers InitWait again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/debugfs.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <xen/events.h>
#include <xen/gntv3.h>
#include <xen/xenbus.h>

#include "blkif_gntv3.h"

#define GV3BF_MAX_DEPTH		32
#define GV3BF_BUF_ORDER		(GNTV3_SIZE_ORDER(GNTV3_SIZE_2M))

/* Most rounds one write to revoke_storm asks for. */
#define GV3BF_STORM_MAX		100000

/*
 * How long a closing connection lets the backend acknowledge the revoke of
 * each buffer: it is still there, but may be on its way out.
 */
#define GV3BF_CLOSE_REVOKE_MS	1000

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
static struct dentry *gv3bf_debugfs;

/**
 * struct gv3bf_buf - one data buffer of the pool
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
 * @buf: index of the buffer it owns, or -1
 */
struct gv3bf_pdu {
	u8 op;
	blk_status_t status;
	int buf;
};

/**
 * struct gv3bf_pool_stats - what the buffer pool went through
 * @rounds: revoke storm rounds done
 * @revoked: buffers revoked with the backend's acknowledgment
 * @dead: revokes that got no acknowledgment (the grant is dead)
 * @revoke_errors: revokes that failed outright
 * @ended: buffers ended without asking (no revoke ring, backend gone)
 * @busy: buffers a storm round found in use and left alone
 * @regrant_errors: buffers that could not be granted again
 */
struct gv3bf_pool_stats {
	u64 rounds;
	u64 revoked;
	u64 dead;
	u64 revoke_errors;
	u64 ended;
	u64 busy;
	u64 regrant_errors;
};

/**
 * struct gv3bf - one frontend device
 * @dev: the xenbus device
 * @front: the grant tree for the backend domain, probe to remove
 * @index: number of the disk's name
 * @conn_id: number of the tree's gntv3 connection (GNTV3_BLKIF_XS_CONN)
 * @dbg: our debugfs directory
 * @storm_stop: remove() started: revoke_storm stops at the next round
 * @conn_lock: serialises setting up and tearing down a connection (xenbus
 *	callbacks, remove) and the revoke storm; protects the fields down to
 *	@pool
 * @bufs: the buffer pool
 * @ring_folio: the ring page while set up, else NULL
 * @ring_gid: its grant id
 * @irq: event channel irq while set up, else 0
 * @sectors: disk size told by the backend
 * @disk: the disk, created at the first connection
 * @tag_set: its tag set
 * @removing: remove() started: fail every request
 * @pool: counters of the pool
 * @lock: protects @ring, @inflight, @connected, @ring_dead, @buf_free,
 *	@buf_out and the counters below; taken from the interrupt handler
 * @ring: our half of the shared ring
 * @inflight: request of each tag that is on the ring, else NULL
 * @connected: requests may be put on the ring
 * @ring_dead: the backend corrupted the ring index: consume nothing more
 * @buf_free: bit i set: @bufs[i] is granted and idle
 * @buf_out: buffers owned by requests
 * @buf_wq: woken when @buf_out drops to zero
 * @bad_rsp: malformed responses dropped
 * @io_errors: requests the backend answered with an error
 * @no_buf: times a request found no idle buffer and waited
 */
struct gv3bf {
	struct xenbus_device *dev;
	struct gntv3_front *front;
	int index;
	u32 conn_id;
	struct dentry *dbg;
	bool storm_stop;

	struct mutex conn_lock;		/* see above */
	struct gv3bf_buf bufs[GV3BF_MAX_DEPTH];
	struct folio *ring_folio;
	gntv3_id_t ring_gid;
	int irq;
	u64 sectors;
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;
	bool removing;
	struct gv3bf_pool_stats pool;

	spinlock_t lock;		/* see above; irq-safe */
	struct gntv3_blkif_front_ring ring;
	struct request *inflight[GV3BF_MAX_DEPTH];
	bool connected;
	bool ring_dead;
	unsigned long buf_free;
	unsigned int buf_out;
	wait_queue_head_t buf_wq;
	u64 bad_rsp;
	u64 io_errors;
	u64 no_buf;
};

/* ---- the pool, data side (under fe->lock) ---- */

/* Take an idle buffer for @pdu's request. */
static blk_status_t gv3bf_buf_get(struct gv3bf *fe, struct blk_mq_hw_ctx *hctx,
				  struct gv3bf_pdu *pdu)
{
	blk_status_t sts = BLK_STS_OK;
	unsigned long flags;

	spin_lock_irqsave(&fe->lock, flags);
	if (!fe->connected) {
		/* restarted by gv3bf_connect(), under this lock's ordering */
		blk_mq_stop_hw_queue(hctx);
		sts = BLK_STS_DEV_RESOURCE;
	} else if (!fe->buf_free) {
		/*
		 * A revoke storm holds the idle ones: blk-mq runs the queue
		 * again when a request completes, after a short delay, or
		 * when the storm gives them back.
		 */
		fe->no_buf++;
		sts = BLK_STS_RESOURCE;
	} else {
		pdu->buf = __ffs(fe->buf_free);
		__clear_bit(pdu->buf, &fe->buf_free);
		fe->buf_out++;
	}
	spin_unlock_irqrestore(&fe->lock, flags);
	return sts;
}

/* Give @pdu's buffer back to the pool. */
static void gv3bf_buf_put_locked(struct gv3bf *fe, struct gv3bf_pdu *pdu)
{
	lockdep_assert_held(&fe->lock);
	if (pdu->buf < 0)
		return;
	__set_bit(pdu->buf, &fe->buf_free);
	pdu->buf = -1;
	if (!--fe->buf_out)
		wake_up(&fe->buf_wq);
}

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
	struct gntv3_blkif_request *req;
	unsigned long flags;
	blk_status_t sts;
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
	pdu->buf = -1;
	if (pdu->op != GNTV3_BLKIF_OP_FLUSH) {
		sts = gv3bf_buf_get(fe, hctx, pdu);
		if (sts != BLK_STS_OK)
			return sts;
	}
	blk_mq_start_request(rq);
	/*
	 * The buffer is this request's alone, and stays granted until the
	 * request gives it back (disconnect waits for that): no lock.
	 */
	if (pdu->op == GNTV3_BLKIF_OP_WRITE)
		gv3bf_copy(rq, folio_address(fe->bufs[pdu->buf].folio), true);

	spin_lock_irqsave(&fe->lock, flags);
	if (!fe->connected) {
		gv3bf_buf_put_locked(fe, pdu);
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
		req->gid = fe->bufs[pdu->buf].gid;
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
	unsigned long flags;

	if (pdu->status == BLK_STS_OK && pdu->op == GNTV3_BLKIF_OP_READ)
		gv3bf_copy(rq, folio_address(fe->bufs[pdu->buf].folio), false);
	spin_lock_irqsave(&fe->lock, flags);
	gv3bf_buf_put_locked(fe, pdu);
	spin_unlock_irqrestore(&fe->lock, flags);
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
		fe->io_errors++;
		break;
	case GNTV3_BLKIF_RSP_EOPNOTSUPP:
		pdu->status = BLK_STS_NOTSUPP;
		fe->io_errors++;
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

/* ---- the pool, grant side (under fe->conn_lock) ---- */

/* Is the revoke ring up, so that the backend can be asked? */
static bool gv3bf_ring_up(struct gv3bf *fe)
{
	struct gntv3_conn_info info;

	return !gntv3_front_conn_info(fe->front, &info) && info.connected;
}

/*
 * Take the grant of one idle buffer back: the one place a buffer leaves
 * the backend.  With @ask and the revoke ring up, gntv3_revoke(): the
 * backend drops its mapping and acknowledges within @timeout_ms (0: gntv3's
 * default), and the folio is ours to grant again.  Otherwise, or without
 * an acknowledgment, the grant is ended (dead) and gntv3 quarantines the
 * folio if the backend still maps it, keeping its own reference: we drop
 * ours and allocate a fresh one next time.
 *
 * Returns false when asking did not work (no ring, no or a bad answer):
 * callers then stop asking, so that a backend that went away costs one
 * timeout, not one per buffer.
 */
static bool gv3bf_buf_release(struct gv3bf *fe, struct gv3bf_buf *buf,
			      bool ask, unsigned int timeout_ms)
{
	bool ok;
	int rc;

	lockdep_assert_held(&fe->conn_lock);
	if (!buf->granted)
		return true;
	buf->granted = false;
	if (ask && gv3bf_ring_up(fe)) {
		rc = gntv3_revoke(fe->front, buf->gid, 0, timeout_ms);
		if (rc == GNTV3_REVOKE_DONE) {
			fe->pool.revoked++;
			return true;
		}
		ok = false;
		if (rc == GNTV3_REVOKE_DEAD) {
			fe->pool.dead++;
		} else {
			fe->pool.revoke_errors++;
			pr_warn("%s: revoking grant %llu: %d\n",
				fe->dev->nodename, buf->gid, rc);
		}
	} else {
		ok = !ask;	/* asked for, but no ring */
		fe->pool.ended++;
		rc = gntv3_end_grant(fe->front, buf->gid);
		if (!rc)
			return ok;
		if (rc < 0)
			pr_warn("%s: ending grant %llu: %d\n",
				fe->dev->nodename, buf->gid, rc);
	}
	folio_put(buf->folio);
	buf->folio = NULL;
	return ok;
}

static int gv3bf_buf_grant(struct gv3bf *fe, struct gv3bf_buf *buf)
{
	int rc;

	lockdep_assert_held(&fe->conn_lock);
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

/* ---- revoke storm (debugfs) ---- */

/*
 * One round: every idle buffer leaves the pool, is revoked and granted
 * again, and goes back at once, so that I/O goes on with the others;
 * buffers that could not be granted last time get another chance.  A
 * revoke that fails ends the storm: the rest of the round ends its
 * buffers without asking.
 */
static int gv3bf_storm_round(struct gv3bf *fe)
{
	unsigned long take = 0;
	bool connected, ask = true;
	unsigned int i;
	int rc = 0;

	mutex_lock(&fe->conn_lock);
	spin_lock_irq(&fe->lock);
	connected = fe->connected;
	if (connected) {
		take = fe->buf_free;
		fe->buf_free = 0;
	}
	spin_unlock_irq(&fe->lock);
	if (!connected || !fe->disk) {
		rc = -ENOTCONN;
		goto out;
	}
	for (i = 0; i < depth; i++) {
		struct gv3bf_buf *buf = &fe->bufs[i];

		if (test_bit(i, &take)) {
			if (!gv3bf_buf_release(fe, buf, ask, 0)) {
				ask = false;
				rc = -EIO;
			}
		} else if (buf->granted) {
			fe->pool.busy++;	/* a request owns it */
			continue;
		}
		if (gv3bf_buf_grant(fe, buf)) {
			fe->pool.regrant_errors++;
			continue;
		}
		spin_lock_irq(&fe->lock);
		__set_bit(i, &fe->buf_free);
		spin_unlock_irq(&fe->lock);
		blk_mq_run_hw_queues(fe->disk->queue, true);
	}
	fe->pool.rounds++;
out:
	mutex_unlock(&fe->conn_lock);
	return rc;
}

static ssize_t gv3bf_storm_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct gv3bf *fe = file->private_data;
	unsigned int rounds, i;
	int rc;

	rc = kstrtouint_from_user(ubuf, len, 0, &rounds);
	if (rc)
		return rc;
	if (!rounds || rounds > GV3BF_STORM_MAX)
		return -EINVAL;
	for (i = 0; i < rounds; i++) {
		if (READ_ONCE(fe->storm_stop))
			return -ESHUTDOWN;
		if (signal_pending(current))
			return -EINTR;
		rc = gv3bf_storm_round(fe);
		if (rc)
			return rc;
		cond_resched();
	}
	return len;
}

static const struct file_operations gv3bf_storm_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = gv3bf_storm_write,
	.llseek = noop_llseek,
};

static int gv3bf_stats_show(struct seq_file *m, void *unused)
{
	struct gv3bf *fe = m->private;
	struct gntv3_conn_info ci = { };
	struct gv3bf_pool_stats pool;
	unsigned int i, granted = 0;
	u64 bad_rsp, io_errors, no_buf;

	mutex_lock(&fe->conn_lock);
	pool = fe->pool;
	for (i = 0; i < depth; i++)
		granted += fe->bufs[i].granted;
	mutex_unlock(&fe->conn_lock);
	spin_lock_irq(&fe->lock);
	bad_rsp = fe->bad_rsp;
	io_errors = fe->io_errors;
	no_buf = fe->no_buf;
	spin_unlock_irq(&fe->lock);
	gntv3_front_conn_info(fe->front, &ci);

	seq_printf(m, "buffers %u\ngranted %u\nrounds %llu\nrevoked %llu\n",
		   depth, granted, pool.rounds, pool.revoked);
	seq_printf(m, "dead %llu\nrevoke_errors %llu\nended %llu\nbusy %llu\n",
		   pool.dead, pool.revoke_errors, pool.ended, pool.busy);
	seq_printf(m, "regrant_errors %llu\nno_buf %llu\nbad_rsp %llu\n",
		   pool.regrant_errors, no_buf, bad_rsp);
	seq_printf(m, "io_errors %llu\nring_connected %d\nring_sent %llu\n",
		   io_errors, ci.connected, ci.sent);
	seq_printf(m, "ring_acked %llu\nring_nacked %llu\nring_timed_out %llu\n",
		   ci.acked, ci.nacked, ci.timed_out);
	seq_printf(m, "ring_malformed %llu\nring_resets %llu\n", ci.malformed,
		   ci.resets);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gv3bf_stats);

/* ---- connection ---- */

/*
 * Undo gv3bf_setup() and gv3bf_connect(); requeue what was in flight.
 * @ask: the backend is still there (it asked to close, or we leave), so
 * buffers are revoked rather than ended.
 */
static void gv3bf_disconnect(struct gv3bf *fe, bool ask)
{
	struct request *requeue[GV3BF_MAX_DEPTH];
	unsigned int i, n = 0;
	int rc;

	lockdep_assert_held(&fe->conn_lock);
	/* no queue_rq() holds a buffer it has not put on the ring yet */
	if (fe->disk)
		blk_mq_quiesce_queue(fe->disk->queue);
	spin_lock_irq(&fe->lock);
	fe->connected = false;
	for (i = 0; i < depth; i++) {
		struct request *rq = fe->inflight[i];

		if (!rq)
			continue;
		gv3bf_buf_put_locked(fe, blk_mq_rq_to_pdu(rq));
		requeue[n++] = rq;
		fe->inflight[i] = NULL;
	}
	spin_unlock_irq(&fe->lock);

	/* no interrupt runs after this: the event channel is closed */
	if (fe->irq)
		unbind_from_irqhandler(fe->irq, fe);
	fe->irq = 0;
	for (i = 0; i < n; i++)
		blk_mq_requeue_request(requeue[i], false);
	/* requests answered already give theirs back when they complete */
	wait_event(fe->buf_wq, !READ_ONCE(fe->buf_out));

	if (fe->ring_folio) {
		rc = gntv3_end_grant(fe->front, fe->ring_gid);
		if (rc < 0)
			pr_warn("%s: ending the ring grant: %d\n",
				fe->dev->nodename, rc);
		folio_put(fe->ring_folio);	/* gntv3 keeps its own */
		fe->ring_folio = NULL;
	}
	spin_lock_irq(&fe->lock);
	fe->buf_free = 0;
	spin_unlock_irq(&fe->lock);
	for (i = 0; i < depth; i++)
		if (!gv3bf_buf_release(fe, &fe->bufs[i], ask,
				       GV3BF_CLOSE_REVOKE_MS))
			ask = false;	/* see gv3bf_buf_release() */
	if (fe->disk)
		blk_mq_unquiesce_queue(fe->disk->queue);
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
	rc = xenbus_printf(xbt, dev->nodename, GNTV3_BLKIF_XS_CONN, "%u",
			   fe->conn_id) ?:
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

/*
 * Backend in InitWait: grant the ring and the buffers, publish them.  The
 * tree itself reaches the backend through its gntv3 connection, made at
 * probe, whose number we publish.
 */
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
	spin_lock_irq(&fe->lock);
	fe->buf_free = GENMASK(depth - 1, 0);
	spin_unlock_irq(&fe->lock);
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
	pr_info("%s: %s connected to dom%u: %llu sectors, %u x 2 MiB buffers, tree ref %u, gntv3 connection %#x, ring id %llu\n",
		fe->dev->nodename, fe->disk->disk_name, fe->dev->otherend_id,
		fe->sectors, depth, gntv3_front_tree_ref(fe->front),
		fe->conn_id, fe->ring_gid);

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
			gv3bf_disconnect(fe, false);
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
			gv3bf_disconnect(fe, true);
			xenbus_dev_fatal(dev, rc, "connecting");
		}
		break;
	case XenbusStateClosing:
	case XenbusStateClosed:
		if (dev->state == XenbusStateClosed)
			break;
		/*
		 * Closing: the backend is still there and serves revokes.
		 * Closed: it let go of everything before it said so; asking
		 * would wait for a ring that is gone, and its reset reaches
		 * us through a watch this (xenwatch) thread would deliver.
		 */
		gv3bf_disconnect(fe, be_state == XenbusStateClosing);
		xenbus_frontend_closed(dev);
		break;
	default:
		/* Unknown: no backend state yet, e.g. while being attached */
		break;
	}
	mutex_unlock(&fe->conn_lock);
}

/* ---- xenbus ---- */

/* Our gntv3 connection number: GNTV3_BLKIF_CONN_BASE + the xenbus one. */
static int gv3bf_conn_id(struct xenbus_device *dev, u32 *conn_id)
{
	const char *num = strrchr(dev->nodename, '/');
	unsigned int devid;

	if (!num || kstrtouint(num + 1, 10, &devid) ||
	    devid > U32_MAX - GNTV3_BLKIF_CONN_BASE)
		return -EINVAL;
	*conn_id = GNTV3_BLKIF_CONN_BASE + devid;
	return 0;
}

static void gv3bf_debugfs_add(struct gv3bf *fe)
{
	fe->dbg = debugfs_create_dir(dev_name(&fe->dev->dev), gv3bf_debugfs);
	debugfs_create_file("revoke_storm", 0200, fe->dbg, fe,
			    &gv3bf_storm_fops);
	debugfs_create_file("stats", 0444, fe->dbg, fe, &gv3bf_stats_fops);
}

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
	init_waitqueue_head(&fe->buf_wq);
	rc = gv3bf_conn_id(dev, &fe->conn_id);
	if (rc)
		goto err_free;
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
	/* the revoke ring: it follows backends coming and going itself */
	rc = gntv3_front_connect(fe->front, fe->conn_id);
	if (rc)
		goto err_front;
	dev_set_drvdata(&dev->dev, fe);
	gv3bf_debugfs_add(fe);
	return 0;

err_front:
	gntv3_front_destroy(fe->front);
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

	/* a storm in progress ends at its next round; removal waits for it */
	WRITE_ONCE(fe->storm_stop, true);
	debugfs_remove(fe->dbg);

	mutex_lock(&fe->conn_lock);
	WRITE_ONCE(fe->removing, true);
	gv3bf_disconnect(fe, true);
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
	/* disconnects the revoke ring too */
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
	int rc;

	BUILD_BUG_ON(GV3BF_MAX_DEPTH > BITS_PER_LONG);	/* buf_free */
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
	/* without debugfs the pair works, only the knob is missing */
	gv3bf_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	rc = xenbus_register_frontend(&gv3bf_driver);
	if (rc)
		debugfs_remove(gv3bf_debugfs);
	return rc;
}
module_init(gv3bf_init);

static void __exit gv3bf_exit(void)
{
	xenbus_unregister_driver(&gv3bf_driver);
	debugfs_remove(gv3bf_debugfs);
}
module_exit(gv3bf_exit);

MODULE_DESCRIPTION("gntv3 virtual disk frontend");
MODULE_LICENSE("GPL");
MODULE_ALIAS("xen:" GNTV3_BLKIF_XS_TYPE);
