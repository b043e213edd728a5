// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 revoke/notification ring: index arithmetic, producer/consumer
 * helpers, message validation and cookie matching (see ring.h).
 *
 * Index checks.  All indices are free-running u32 counters, compared by
 * unsigned differences so that wrap-around is harmless.  On a lane where we
 * request, the peer's rsp_prod may only move forward and never past what we
 * produced: 0 <= rsp_prod - rsp_cons <= req_prod_pvt - rsp_cons.  On a lane
 * where we respond, the peer may have at most GNTV3_RING_SLOTS requests
 * unanswered and may not take back one we already consumed:
 * req_prod - req_cons <= req_prod - rsp_prod_pvt <= GNTV3_RING_SLOTS.
 * Anything else (a jump by more than the ring, a rewind) breaks the ring.
 */
#include <linux/errno.h>
#include <linux/compiler.h>

#include "ring.h"

#define GNTV3_OP_BIT(op)	(1U << (op))

/**
 * gntv3_ring_reset_shared() - zero the indices of a fresh shared ring
 * @s: the shared page, owned by the frontend that is about to grant it
 */
void gntv3_ring_reset_shared(struct gntv3_sring *s)
{
	WRITE_ONCE(s->f2b_idx.req_prod, 0);
	WRITE_ONCE(s->f2b_idx.rsp_prod, 0);
	WRITE_ONCE(s->b2f_idx.req_prod, 0);
	WRITE_ONCE(s->b2f_idx.rsp_prod, 0);
}

/**
 * gntv3_ring_init() - set up one side's view of a shared ring
 * @r: the view, all of it (re)initialised
 * @s: the shared page
 * @frontend: true for the frontend (requests on f2b), false for the backend
 *	(requests on b2f)
 *
 * Both sides start counting at zero: the frontend grants a freshly zeroed
 * page for every connection.
 */
void gntv3_ring_init(struct gntv3_ring *r, struct gntv3_sring *s,
		     bool frontend)
{
	*r = (struct gntv3_ring){ };
	if (frontend) {
		r->req_idx = &s->f2b_idx;
		r->req = s->f2b;
		r->rsp_idx = &s->b2f_idx;
		r->rsp = s->b2f;
		r->own_op_ok = GNTV3_OP_BIT(GNTV3_RING_OP_REVOKE) |
			       GNTV3_OP_BIT(GNTV3_RING_OP_DOWNGRADE) |
			       GNTV3_OP_BIT(GNTV3_RING_OP_FORGET);
		r->req_op_ok = GNTV3_OP_BIT(GNTV3_RING_OP_UNMAPPED);
	} else {
		r->req_idx = &s->b2f_idx;
		r->req = s->b2f;
		r->rsp_idx = &s->f2b_idx;
		r->rsp = s->f2b;
		r->own_op_ok = GNTV3_OP_BIT(GNTV3_RING_OP_UNMAPPED);
		r->req_op_ok = GNTV3_OP_BIT(GNTV3_RING_OP_REVOKE) |
			       GNTV3_OP_BIT(GNTV3_RING_OP_DOWNGRADE) |
			       GNTV3_OP_BIT(GNTV3_RING_OP_FORGET);
	}
}

/**
 * gntv3_ring_check_range() - is [@id, @id + @nr_ids) a valid id range
 * @id: first id
 * @nr_ids: number of ids
 *
 * Return: 0, or -ERANGE for an empty range or one reaching past the ids a
 * tree can have (1 << GNTV3_ID_BITS).
 */
int gntv3_ring_check_range(gntv3_id_t id, u32 nr_ids)
{
	if (!nr_ids || id >= GNTV3_ID_LIMIT || nr_ids > GNTV3_ID_LIMIT - id)
		return -ERANGE;
	return 0;
}

/* The fields every message must have clear, whoever wrote it. */
static bool gntv3_ring_msg_clean(const struct gntv3_ring_msg *m)
{
	return !m->flags && !m->pad && !m->reserved &&
	       !gntv3_ring_check_range(m->id, m->nr_ids);
}

static bool gntv3_ring_req_valid(const struct gntv3_ring *r,
				 const struct gntv3_ring_msg *m)
{
	return m->op < 32 && (r->req_op_ok & GNTV3_OP_BIT(m->op)) &&
	       !m->status && gntv3_ring_msg_clean(m);
}

static bool gntv3_ring_ack_valid(const struct gntv3_ring *r,
				 const struct gntv3_ring_msg *m)
{
	u8 op = m->op & ~GNTV3_RING_OP_ACK;

	/* a GNTST_* status is zero or negative */
	return (m->op & GNTV3_RING_OP_ACK) && op < 32 &&
	       (r->own_op_ok & GNTV3_OP_BIT(op)) && m->status <= 0 &&
	       gntv3_ring_msg_clean(m);
}

/*
 * Copy a message out of the shared page, each field exactly once: what is
 * validated afterwards is the copy, whatever the peer writes meanwhile.
 */
static void gntv3_ring_copy(struct gntv3_ring_msg *dst,
			    const struct gntv3_ring_msg *src)
{
	dst->id = READ_ONCE(src->id);
	dst->nr_ids = READ_ONCE(src->nr_ids);
	dst->cookie = READ_ONCE(src->cookie);
	dst->op = READ_ONCE(src->op);
	dst->flags = READ_ONCE(src->flags);
	dst->status = READ_ONCE(src->status);
	dst->pad = READ_ONCE(src->pad);
	dst->reserved = READ_ONCE(src->reserved);
}

/* ---- requester half ---- */

/**
 * gntv3_ring_req_space() - free slots on our request lane
 * @r: the ring
 *
 * A slot is free once the peer acknowledged the request in it and we
 * consumed that ACK (gntv3_ring_get_ack()).
 *
 * Return: 0 .. GNTV3_RING_SLOTS.
 */
unsigned int gntv3_ring_req_space(const struct gntv3_ring *r)
{
	return GNTV3_RING_SLOTS - (r->req_prod_pvt - r->rsp_cons);
}

/**
 * gntv3_ring_put_req() - publish one request on our lane
 * @r: the ring
 * @m: the request, from gntv3_ring_make_req()
 *
 * Writes the slot, then the producer index behind a write barrier.  The
 * caller notifies the peer afterwards.
 *
 * Return: 0, -ENOSPC when every slot waits for an ACK, -EPROTO when the
 * ring is broken.
 */
int gntv3_ring_put_req(struct gntv3_ring *r, const struct gntv3_ring_msg *m)
{
	if (r->broken)
		return -EPROTO;
	if (!gntv3_ring_req_space(r))
		return -ENOSPC;
	r->req[r->req_prod_pvt & GNTV3_RING_MASK] = *m;
	/* the peer must see the message before the index that announces it */
	virt_wmb();
	r->req_prod_pvt++;
	WRITE_ONCE(r->req_idx->req_prod, r->req_prod_pvt);
	return 0;
}

/**
 * gntv3_ring_get_ack() - take the next ACK from our lane
 * @r: the ring
 * @ack: filled with a private copy of the ACK
 *
 * Return: 0 with a valid ACK in @ack (still to be matched by cookie),
 * -EAGAIN when none is waiting, -EBADMSG for a malformed ACK (counted and
 * dropped; its slot is consumed, call again), -EPROTO when the peer's index
 * is out of range (the ring is broken from now on).
 */
int gntv3_ring_get_ack(struct gntv3_ring *r, struct gntv3_ring_msg *ack)
{
	u32 prod;

	if (r->broken)
		return -EPROTO;
	prod = READ_ONCE(r->req_idx->rsp_prod);
	if (prod - r->rsp_cons > r->req_prod_pvt - r->rsp_cons) {
		r->broken = true;
		r->cnt.bad_index++;
		return -EPROTO;
	}
	if (prod == r->rsp_cons)
		return -EAGAIN;
	/* read the index before the slot it covers */
	virt_rmb();
	gntv3_ring_copy(ack, &r->req[r->rsp_cons & GNTV3_RING_MASK]);
	r->rsp_cons++;
	if (!gntv3_ring_ack_valid(r, ack)) {
		r->cnt.bad_msg++;
		return -EBADMSG;
	}
	return 0;
}

/* ---- responder half ---- */

/**
 * gntv3_ring_get_req() - take the next request from the peer's lane
 * @r: the ring
 * @req: filled with a private copy of the request
 *
 * Every consumed request, malformed ones included, owes the peer one ACK
 * (gntv3_ring_put_ack()), so that its slot accounting stays right: a
 * malformed request is answered with an error status and otherwise
 * ignored.
 *
 * Return: 0 with a valid request in @req, -EAGAIN when none is waiting,
 * -EBADMSG for a malformed request (counted; @req holds the copy to NACK),
 * -EPROTO when the peer's index is out of range (the ring is broken from
 * now on).
 */
int gntv3_ring_get_req(struct gntv3_ring *r, struct gntv3_ring_msg *req)
{
	u32 prod;

	if (r->broken)
		return -EPROTO;
	prod = READ_ONCE(r->rsp_idx->req_prod);
	if (prod - r->rsp_prod_pvt > GNTV3_RING_SLOTS ||
	    prod - r->req_cons > prod - r->rsp_prod_pvt) {
		r->broken = true;
		r->cnt.bad_index++;
		return -EPROTO;
	}
	if (prod == r->req_cons)
		return -EAGAIN;
	/* read the index before the slot it covers */
	virt_rmb();
	gntv3_ring_copy(req, &r->rsp[r->req_cons & GNTV3_RING_MASK]);
	r->req_cons++;
	if (!gntv3_ring_req_valid(r, req)) {
		r->cnt.bad_msg++;
		return -EBADMSG;
	}
	return 0;
}

/**
 * gntv3_ring_acks_owed() - requests consumed but not answered yet
 * @r: the ring
 *
 * Return: 0 .. GNTV3_RING_SLOTS.
 */
unsigned int gntv3_ring_acks_owed(const struct gntv3_ring *r)
{
	return r->req_cons - r->rsp_prod_pvt;
}

/**
 * gntv3_ring_put_ack() - publish one ACK on the peer's lane
 * @r: the ring
 * @ack: the ACK, from gntv3_ring_make_ack()
 *
 * ACKs may be sent in any order: the k-th goes into slot k, whose request
 * was consumed before.
 *
 * Return: 0, -EINVAL when no ACK is owed, -EPROTO when the ring is broken.
 */
int gntv3_ring_put_ack(struct gntv3_ring *r, const struct gntv3_ring_msg *ack)
{
	if (r->broken)
		return -EPROTO;
	if (!gntv3_ring_acks_owed(r))
		return -EINVAL;
	r->rsp[r->rsp_prod_pvt & GNTV3_RING_MASK] = *ack;
	/* the peer must see the ACK before the index that announces it */
	virt_wmb();
	r->rsp_prod_pvt++;
	WRITE_ONCE(r->rsp_idx->rsp_prod, r->rsp_prod_pvt);
	return 0;
}

/* ---- messages ---- */

/**
 * gntv3_ring_make_req() - build a request
 * @m: filled in, every other field zero
 * @op: GNTV3_RING_OP_REVOKE, _DOWNGRADE or _UNMAPPED
 * @id: first id
 * @nr_ids: number of ids
 * @cookie: echoed by the ACK
 */
void gntv3_ring_make_req(struct gntv3_ring_msg *m, u8 op, gntv3_id_t id,
			 u32 nr_ids, u32 cookie)
{
	*m = (struct gntv3_ring_msg){
		.id = id,
		.nr_ids = nr_ids,
		.cookie = cookie,
		.op = op,
	};
}

/**
 * gntv3_ring_make_ack() - build the ACK of a request
 * @req: the request (possibly malformed: only id, nr_ids, cookie and op
 *	are echoed)
 * @status: GNTST_* result
 * @ack: filled in
 */
void gntv3_ring_make_ack(const struct gntv3_ring_msg *req, s16 status,
			 struct gntv3_ring_msg *ack)
{
	*ack = (struct gntv3_ring_msg){
		.id = req->id,
		.nr_ids = req->nr_ids,
		.cookie = req->cookie,
		.op = req->op | GNTV3_RING_OP_ACK,
		.status = status,
	};
}

/* ---- cookie matching ---- */

/**
 * gntv3_ring_pending_add() - remember a request until its ACK
 * @p: the pending set
 * @req: the request
 *
 * Return: the entry's index (0 .. GNTV3_RING_SLOTS - 1), -ENOSPC when the
 * set is full, -EEXIST when a pending request has the same cookie.
 */
int gntv3_ring_pending_add(struct gntv3_ring_pending *p,
			   const struct gntv3_ring_msg *req)
{
	int i, free = -ENOSPC;

	for (i = 0; i < GNTV3_RING_SLOTS; i++) {
		if (!(p->used & (1U << i))) {
			if (free < 0)
				free = i;
		} else if (p->req[i].cookie == req->cookie) {
			return -EEXIST;
		}
	}
	if (free >= 0) {
		p->used |= 1U << free;
		p->req[free] = *req;
	}
	return free;
}

/**
 * gntv3_ring_pending_match() - find the request a valid ACK answers
 * @p: the pending set
 * @ack: an ACK that passed gntv3_ring_get_ack()
 *
 * The ACK must echo the cookie, the op, the first id and the number of
 * ids of the request.
 *
 * Return: the entry's index, or -ENOENT (a stale or forged ACK).
 */
int gntv3_ring_pending_match(const struct gntv3_ring_pending *p,
			     const struct gntv3_ring_msg *ack)
{
	int i;

	for (i = 0; i < GNTV3_RING_SLOTS; i++) {
		const struct gntv3_ring_msg *req = &p->req[i];

		if ((p->used & (1U << i)) && req->cookie == ack->cookie &&
		    (req->op | GNTV3_RING_OP_ACK) == ack->op &&
		    req->id == ack->id && req->nr_ids == ack->nr_ids)
			return i;
	}
	return -ENOENT;
}

/**
 * gntv3_ring_pending_del() - forget a pending request
 * @p: the pending set
 * @slot: index from gntv3_ring_pending_add(); out-of-range values are
 *	ignored
 */
void gntv3_ring_pending_del(struct gntv3_ring_pending *p, unsigned int slot)
{
	if (slot < GNTV3_RING_SLOTS)
		p->used &= ~(1U << slot);
}
