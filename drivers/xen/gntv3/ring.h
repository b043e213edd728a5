/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 revoke/notification ring: index arithmetic and message checks over
 * the shared struct gntv3_sring of <xen/interface/grant_table_v3.h>.
 *
 * Pure like tree.c: only <linux/types.h>, <linux/errno.h>,
 * <linux/compiler.h> (READ_ONCE/WRITE_ONCE), <asm/barrier.h> and the ABI
 * header, so tools/testing/gntv3 builds the very same ring.c in userspace.
 *
 * Each side keeps a private struct gntv3_ring over the shared page.  It is
 * the requester on its own lane (the frontend on f2b, the backend on b2f)
 * and the responder on the peer's lane.  The k-th ACK of a lane goes into
 * slot k, which the responder consumed before (like every Xen ring), so
 * ACKs may come in any order and are matched to requests by cookie.
 *
 * Everything the peer writes is untrusted: indices are read once and
 * checked against our private counters, messages are copied once and the
 * copy is validated.  A corrupt index marks the ring broken (nothing more
 * is consumed from it); a malformed message is counted and dropped.
 *
 * Locking: none inside.  The owner serialises the requester calls and the
 * responder calls of one ring (they touch disjoint fields, so the two
 * halves may run concurrently).
 */
#ifndef _GNTV3_RING_H
#define _GNTV3_RING_H

#include <linux/types.h>
#include <asm/barrier.h>
#include <xen/interface/grant_table_v3.h>

/*
 * The kernel's <asm/barrier.h> provides virt_*(), the barriers to use
 * against another domain even in a UP build; the userspace harness's shim
 * has only the smp_*() ones, which are the same thing there.
 */
#ifndef virt_wmb
/* userspace harness: orders our stores as the kernel's virt_wmb() does */
#define virt_wmb()	smp_wmb()
/* userspace harness: orders our loads as the kernel's virt_rmb() does */
#define virt_rmb()	smp_rmb()
#endif

#define GNTV3_RING_MASK		(GNTV3_RING_SLOTS - 1)
#define GNTV3_ID_LIMIT		((u64)1 << GNTV3_ID_BITS)

/**
 * struct gntv3_ring_counters - what a ring rejected, for debugfs
 * @bad_index: times the peer's producer index was out of range (the ring
 *	is then broken)
 * @bad_msg: malformed messages dropped (bad op, flags, status, reserved
 *	fields, id range)
 */
struct gntv3_ring_counters {
	u64 bad_index;
	u64 bad_msg;
};

/**
 * struct gntv3_ring - one side's private view of a shared ring
 * @req_idx: indices of our request lane (we own req_prod)
 * @req: slots of our request lane
 * @rsp_idx: indices of the peer's request lane (we own rsp_prod)
 * @rsp: slots of the peer's request lane
 * @req_op_ok: bitmask of the ops the peer may request (1 << op)
 * @own_op_ok: bitmask of the ops we request (for ACK validation)
 * @req_prod_pvt: requests we produced
 * @rsp_cons: ACKs we consumed on our lane
 * @req_cons: peer requests we consumed
 * @rsp_prod_pvt: ACKs we produced on the peer's lane
 * @broken: a corrupt index was seen; nothing more is consumed
 * @cnt: rejection counters
 */
struct gntv3_ring {
	struct gntv3_ring_lane *req_idx;
	struct gntv3_ring_msg *req;
	struct gntv3_ring_lane *rsp_idx;
	struct gntv3_ring_msg *rsp;
	u32 req_op_ok;
	u32 own_op_ok;
	u32 req_prod_pvt;
	u32 rsp_cons;
	u32 req_cons;
	u32 rsp_prod_pvt;
	bool broken;
	struct gntv3_ring_counters cnt;
};

/**
 * struct gntv3_ring_pending - requests of ours waiting for their ACK
 * @used: bitmap of the valid entries of @req
 * @req: copy of each request sent (the ACK must echo it)
 *
 * At most GNTV3_RING_SLOTS requests can be unanswered at once, so one
 * entry per slot is enough.
 */
struct gntv3_ring_pending {
	u32 used;
	struct gntv3_ring_msg req[GNTV3_RING_SLOTS];
};

void gntv3_ring_init(struct gntv3_ring *r, struct gntv3_sring *s,
		     bool frontend);
void gntv3_ring_reset_shared(struct gntv3_sring *s);

/* requester half */
unsigned int gntv3_ring_req_space(const struct gntv3_ring *r);
int gntv3_ring_put_req(struct gntv3_ring *r, const struct gntv3_ring_msg *m);
int gntv3_ring_get_ack(struct gntv3_ring *r, struct gntv3_ring_msg *ack);

/* responder half */
int gntv3_ring_get_req(struct gntv3_ring *r, struct gntv3_ring_msg *req);
int gntv3_ring_put_ack(struct gntv3_ring *r, const struct gntv3_ring_msg *ack);
unsigned int gntv3_ring_acks_owed(const struct gntv3_ring *r);

/* messages */
int gntv3_ring_check_range(gntv3_id_t id, u32 nr_ids);
void gntv3_ring_make_req(struct gntv3_ring_msg *m, u8 op, gntv3_id_t id,
			 u32 nr_ids, u32 cookie);
void gntv3_ring_make_ack(const struct gntv3_ring_msg *req, s16 status,
			 struct gntv3_ring_msg *ack);

/* cookie matching */
int gntv3_ring_pending_add(struct gntv3_ring_pending *p,
			   const struct gntv3_ring_msg *req);
int gntv3_ring_pending_match(const struct gntv3_ring_pending *p,
			     const struct gntv3_ring_msg *ack);
void gntv3_ring_pending_del(struct gntv3_ring_pending *p, unsigned int slot);

#endif /* _GNTV3_RING_H */
