// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of ring.c, the revoke/notification ring: both sides over one
 * shared page, out-of-order ACKs matched by cookie, wrap-around of the
 * free-running indices, and hostile peers: indices that jump by more than
 * the ring or rewind, garbage ops/flags/status/reserved fields, wrong
 * cookies, empty and out-of-range id ranges, random garbage.
 */
#include <string.h>

#include "harness.h"
#include "ring.h"

struct pair {
	struct gntv3_sring s;
	struct gntv3_ring fe;
	struct gntv3_ring be;
};

static void pair_init(struct pair *p)
{
	memset(&p->s, 0, sizeof(p->s));
	gntv3_ring_reset_shared(&p->s);
	gntv3_ring_init(&p->fe, &p->s, true);
	gntv3_ring_init(&p->be, &p->s, false);
}

/* Move every counter of both sides (and the shared page) to @base. */
static void pair_rebase(struct pair *p, u32 base)
{
	p->fe.req_prod_pvt = p->fe.rsp_cons = base;
	p->fe.req_cons = p->fe.rsp_prod_pvt = base;
	p->be.req_prod_pvt = p->be.rsp_cons = base;
	p->be.req_cons = p->be.rsp_prod_pvt = base;
	p->s.f2b_idx.req_prod = p->s.f2b_idx.rsp_prod = base;
	p->s.b2f_idx.req_prod = p->s.b2f_idx.rsp_prod = base;
}

static int send(struct gntv3_ring *r, u8 op, gntv3_id_t id, u32 nr, u32 cookie)
{
	struct gntv3_ring_msg m;

	gntv3_ring_make_req(&m, op, id, nr, cookie);
	return gntv3_ring_put_req(r, &m);
}

TEST(ring_layout_and_init)
{
	struct pair p;

	CHECK_EQ(sizeof(struct gntv3_ring_msg), 32);
	CHECK_EQ(sizeof(struct gntv3_sring), 2112);
	pair_init(&p);
	CHECK(p.fe.req == p.s.f2b && p.fe.rsp == p.s.b2f);
	CHECK(p.be.req == p.s.b2f && p.be.rsp == p.s.f2b);
	CHECK_EQ(gntv3_ring_req_space(&p.fe), GNTV3_RING_SLOTS);
	CHECK_EQ(gntv3_ring_acks_owed(&p.be), 0);
}

TEST(ring_revoke_round_trip)
{
	struct gntv3_ring_pending pend = { 0 };
	struct gntv3_ring_msg m, req, ack, got;
	struct pair p;
	int slot;

	pair_init(&p);
	gntv3_ring_make_req(&m, GNTV3_RING_OP_REVOKE, 512, 512, 77);
	slot = gntv3_ring_pending_add(&pend, &m);
	REQUIRE(slot >= 0);
	REQUIRE_EQ(gntv3_ring_put_req(&p.fe, &m), 0);
	CHECK_EQ(p.s.f2b_idx.req_prod, 1);
	CHECK_EQ(gntv3_ring_req_space(&p.fe), GNTV3_RING_SLOTS - 1);
	/* nothing for the frontend yet, one request for the backend */
	CHECK_EQ(gntv3_ring_get_ack(&p.fe, &got), -EAGAIN);
	CHECK_EQ(gntv3_ring_get_req(&p.fe, &got), -EAGAIN);
	REQUIRE_EQ(gntv3_ring_get_req(&p.be, &req), 0);
	CHECK_EQ(req.op, GNTV3_RING_OP_REVOKE);
	CHECK_EQ(req.id, 512);
	CHECK_EQ(req.nr_ids, 512);
	CHECK_EQ(req.cookie, 77);
	CHECK_EQ(gntv3_ring_get_req(&p.be, &got), -EAGAIN);
	CHECK_EQ(gntv3_ring_acks_owed(&p.be), 1);

	gntv3_ring_make_ack(&req, GNTST_okay, &ack);
	REQUIRE_EQ(gntv3_ring_put_ack(&p.be, &ack), 0);
	CHECK_EQ(gntv3_ring_put_ack(&p.be, &ack), -EINVAL);	/* none owed */
	CHECK_EQ(p.s.f2b_idx.rsp_prod, 1);

	REQUIRE_EQ(gntv3_ring_get_ack(&p.fe, &got), 0);
	CHECK_EQ(got.op, GNTV3_RING_OP_REVOKE | GNTV3_RING_OP_ACK);
	CHECK_EQ(got.status, GNTST_okay);
	CHECK_EQ(gntv3_ring_pending_match(&pend, &got), slot);
	gntv3_ring_pending_del(&pend, slot);
	CHECK_EQ(gntv3_ring_pending_match(&pend, &got), -ENOENT);
	CHECK_EQ(gntv3_ring_req_space(&p.fe), GNTV3_RING_SLOTS);
	CHECK_EQ(p.fe.cnt.bad_msg + p.fe.cnt.bad_index, 0);
	CHECK_EQ(p.be.cnt.bad_msg + p.be.cnt.bad_index, 0);
}

/* The backend's lane works the same way in the other direction. */
TEST(ring_unmapped_notification)
{
	struct gntv3_ring_msg req, ack, got;
	struct pair p;

	pair_init(&p);
	REQUIRE_EQ(send(&p.be, GNTV3_RING_OP_UNMAPPED, 3, 1, 5), 0);
	/* a backend may not send what only a frontend asks */
	REQUIRE_EQ(send(&p.be, GNTV3_RING_OP_REVOKE, 3, 1, 6), 0);
	CHECK_EQ(gntv3_ring_get_req(&p.be, &got), -EAGAIN);
	REQUIRE_EQ(gntv3_ring_get_req(&p.fe, &req), 0);
	CHECK_EQ(req.op, GNTV3_RING_OP_UNMAPPED);
	CHECK_EQ(gntv3_ring_get_req(&p.fe, &got), -EBADMSG);
	CHECK_EQ(p.fe.cnt.bad_msg, 1);
	CHECK_EQ(gntv3_ring_acks_owed(&p.fe), 2);
	gntv3_ring_make_ack(&req, GNTST_okay, &ack);
	CHECK_EQ(gntv3_ring_put_ack(&p.fe, &ack), 0);
	gntv3_ring_make_ack(&got, GNTST_general_error, &ack);
	CHECK_EQ(gntv3_ring_put_ack(&p.fe, &ack), 0);
	REQUIRE_EQ(gntv3_ring_get_ack(&p.be, &got), 0);
	CHECK_EQ(got.cookie, 5);
	/* the NACK of the forged REVOKE is itself not a valid ACK for us */
	CHECK_EQ(gntv3_ring_get_ack(&p.be, &got), -EBADMSG);
	CHECK_EQ(p.be.cnt.bad_msg, 1);
	CHECK_EQ(gntv3_ring_req_space(&p.be), GNTV3_RING_SLOTS);
}

TEST(ring_full_and_out_of_order_acks)
{
	struct gntv3_ring_pending pend = { 0 };
	struct gntv3_ring_msg reqs[GNTV3_RING_SLOTS], ack, got, m;
	unsigned int i, seen = 0;
	int slots[GNTV3_RING_SLOTS];
	struct pair p;

	pair_init(&p);
	for (i = 0; i < GNTV3_RING_SLOTS; i++) {
		gntv3_ring_make_req(&m, i & 1 ? GNTV3_RING_OP_DOWNGRADE :
				    GNTV3_RING_OP_REVOKE, i * 10, i + 1, 1000 + i);
		slots[i] = gntv3_ring_pending_add(&pend, &m);
		REQUIRE(slots[i] >= 0);
		REQUIRE_EQ(gntv3_ring_put_req(&p.fe, &m), 0);
	}
	m.cookie = 1;	/* a fresh cookie: full, not a duplicate */
	CHECK_EQ(gntv3_ring_pending_add(&pend, &m), -ENOSPC);
	CHECK_EQ(gntv3_ring_req_space(&p.fe), 0);
	CHECK_EQ(send(&p.fe, GNTV3_RING_OP_REVOKE, 0, 1, 1), -ENOSPC);

	for (i = 0; i < GNTV3_RING_SLOTS; i++)
		REQUIRE_EQ(gntv3_ring_get_req(&p.be, &reqs[i]), 0);
	/* answer in reverse order */
	for (i = GNTV3_RING_SLOTS; i--; ) {
		gntv3_ring_make_ack(&reqs[i], GNTST_okay, &ack);
		REQUIRE_EQ(gntv3_ring_put_ack(&p.be, &ack), 0);
	}
	while (gntv3_ring_get_ack(&p.fe, &got) == 0) {
		int s = gntv3_ring_pending_match(&pend, &got);

		REQUIRE(s >= 0);
		CHECK_EQ(got.cookie - 1000, s);
		gntv3_ring_pending_del(&pend, s);
		seen++;
	}
	CHECK_EQ(seen, GNTV3_RING_SLOTS);
	CHECK_EQ(pend.used, 0);
	CHECK_EQ(gntv3_ring_req_space(&p.fe), GNTV3_RING_SLOTS);
}

/* Counters that wrap around 2^32 keep working. */
TEST(ring_index_wrap)
{
	struct gntv3_ring_msg req, ack, got;
	unsigned int i, n;
	struct pair p;

	pair_init(&p);
	pair_rebase(&p, 0xffffffffU - 40);
	for (i = 0; i < 200; i++) {
		n = 1 + test_rand_below(GNTV3_RING_SLOTS);
		for (unsigned int k = 0; k < n; k++)
			REQUIRE_EQ(send(&p.fe, GNTV3_RING_OP_REVOKE, k, 1, i * 64 + k), 0);
		for (unsigned int k = 0; k < n; k++) {
			REQUIRE_EQ(gntv3_ring_get_req(&p.be, &req), 0);
			CHECK_EQ(req.cookie, i * 64 + k);
			gntv3_ring_make_ack(&req, GNTST_okay, &ack);
			REQUIRE_EQ(gntv3_ring_put_ack(&p.be, &ack), 0);
		}
		for (unsigned int k = 0; k < n; k++)
			REQUIRE_EQ(gntv3_ring_get_ack(&p.fe, &got), 0);
		CHECK_EQ(gntv3_ring_get_ack(&p.fe, &got), -EAGAIN);
	}
	CHECK(p.fe.req_prod_pvt < 0xffffffffU - 40);	/* it did wrap */
	CHECK(!p.fe.broken && !p.be.broken);
}

/* A backend writing a bogus rsp_prod on the frontend's lane. */
TEST(ring_hostile_ack_index)
{
	static const u32 bad[] = { 2, 33, 0x80000000U, 0xffffffffU };
	struct gntv3_ring_msg got;
	unsigned int i;
	struct pair p;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pair_init(&p);
		REQUIRE_EQ(send(&p.fe, GNTV3_RING_OP_REVOKE, 1, 1, 1), 0);
		/* one request in flight: an rsp_prod of 2 or more is a lie */
		p.s.f2b_idx.rsp_prod = bad[i];
		CHECK_EQ(gntv3_ring_get_ack(&p.fe, &got), -EPROTO);
		CHECK(p.fe.broken);
		CHECK_EQ(p.fe.cnt.bad_index, 1);
		/* broken stays broken, even once the index looks fine */
		p.s.f2b_idx.rsp_prod = 0;
		CHECK_EQ(gntv3_ring_get_ack(&p.fe, &got), -EPROTO);
		CHECK_EQ(send(&p.fe, GNTV3_RING_OP_REVOKE, 1, 1, 2), -EPROTO);
		CHECK_EQ(p.fe.cnt.bad_index, 1);
	}

	/* a rewind after an ACK was consumed */
	pair_init(&p);
	pair_rebase(&p, 100);
	REQUIRE_EQ(send(&p.fe, GNTV3_RING_OP_REVOKE, 1, 1, 1), 0);
	p.s.f2b_idx.rsp_prod = 101;
	p.s.f2b[100 & GNTV3_RING_MASK].op |= GNTV3_RING_OP_ACK;
	CHECK_EQ(gntv3_ring_get_ack(&p.fe, &got), 0);
	p.s.f2b_idx.rsp_prod = 99;
	CHECK_EQ(gntv3_ring_get_ack(&p.fe, &got), -EPROTO);
	CHECK_EQ(p.fe.cnt.bad_index, 1);
}

/* A frontend writing a bogus req_prod on its own lane. */
TEST(ring_hostile_request_index)
{
	struct gntv3_ring_msg got, ack;
	struct pair p;
	unsigned int i;

	/* exactly a full ring of garbage-free requests is fine */
	pair_init(&p);
	for (i = 0; i < GNTV3_RING_SLOTS; i++)
		gntv3_ring_make_req(&p.s.f2b[i], GNTV3_RING_OP_REVOKE, i, 1, i);
	p.s.f2b_idx.req_prod = GNTV3_RING_SLOTS;
	for (i = 0; i < GNTV3_RING_SLOTS; i++)
		REQUIRE_EQ(gntv3_ring_get_req(&p.be, &got), 0);
	CHECK_EQ(gntv3_ring_acks_owed(&p.be), GNTV3_RING_SLOTS);

	/* one more before any ACK: more than the ring holds */
	p.s.f2b_idx.req_prod = GNTV3_RING_SLOTS + 1;
	CHECK_EQ(gntv3_ring_get_req(&p.be, &got), -EPROTO);
	CHECK(p.be.broken);
	CHECK_EQ(p.be.cnt.bad_index, 1);
	CHECK_EQ(gntv3_ring_put_ack(&p.be, &got), -EPROTO);

	/* a jump by far more than the ring */
	pair_init(&p);
	p.s.f2b_idx.req_prod = 1000;
	CHECK_EQ(gntv3_ring_get_req(&p.be, &got), -EPROTO);
	CHECK_EQ(p.be.cnt.bad_index, 1);

	/* a rewind below what was consumed but not answered yet */
	pair_init(&p);
	pair_rebase(&p, 50);
	for (i = 0; i < 4; i++)
		REQUIRE_EQ(send(&p.fe, GNTV3_RING_OP_REVOKE, i, 1, i), 0);
	for (i = 0; i < 4; i++)
		REQUIRE_EQ(gntv3_ring_get_req(&p.be, &got), 0);
	gntv3_ring_make_ack(&got, GNTST_okay, &ack);
	REQUIRE_EQ(gntv3_ring_put_ack(&p.be, &ack), 0);
	p.s.f2b_idx.req_prod = 52;	/* consumed up to 54, answered 51 */
	CHECK_EQ(gntv3_ring_get_req(&p.be, &got), -EPROTO);
	CHECK_EQ(p.be.cnt.bad_index, 1);

	/* a rewind below what was answered */
	pair_init(&p);
	pair_rebase(&p, 50);
	p.s.f2b_idx.req_prod = 49;
	CHECK_EQ(gntv3_ring_get_req(&p.be, &got), -EPROTO);
}

/*
 * FORGET is a frontend's request like REVOKE: accepted from the frontend,
 * answered in its slot, refused (counted, NACKable) from the backend.
 */
TEST(ring_forget_is_f2b_only)
{
	struct gntv3_ring_msg req, ack, got;
	struct pair p;
	int slot;

	pair_init(&p);
	REQUIRE_EQ(send(&p.fe, GNTV3_RING_OP_FORGET, 7, 512, 9), 0);
	REQUIRE_EQ(gntv3_ring_get_req(&p.be, &req), 0);
	CHECK_EQ(req.op, GNTV3_RING_OP_FORGET);
	CHECK_EQ(req.id, 7);
	CHECK_EQ(req.nr_ids, 512);
	gntv3_ring_make_ack(&req, GNTST_okay, &ack);
	CHECK_EQ(gntv3_ring_put_ack(&p.be, &ack), 0);
	slot = gntv3_ring_get_ack(&p.fe, &got);
	CHECK_EQ(slot, 0);
	CHECK_EQ(got.op, GNTV3_RING_OP_FORGET | GNTV3_RING_OP_ACK);
	CHECK_EQ(got.cookie, 9);

	REQUIRE_EQ(send(&p.be, GNTV3_RING_OP_FORGET, 7, 1, 10), 0);
	CHECK_EQ(gntv3_ring_get_req(&p.fe, &got), -EBADMSG);
	CHECK_EQ(p.fe.cnt.bad_msg, 1);
	CHECK_EQ(p.be.cnt.bad_msg, 0);
}

/* Garbage in the fields of a request: counted, dropped, slot consumed. */
TEST(ring_garbage_requests)
{
	struct gntv3_ring_msg m, got;
	unsigned int i, nr = 0;
	struct pair p;

	pair_init(&p);
	for (i = 0; i < 12; i++) {
		gntv3_ring_make_req(&m, GNTV3_RING_OP_REVOKE, 10, 1, i);
		switch (i) {
		case 0: m.op = 0; break;
		case 1: m.op = GNTV3_RING_OP_UNMAPPED; break;	/* b2f only */
		case 2: m.op = GNTV3_RING_OP_REVOKE | GNTV3_RING_OP_ACK; break;
		case 3: m.op = 0xff; break;
		case 4: m.flags = 1; break;
		case 5: m.status = -1; break;
		case 6: m.pad = 0x1000; break;
		case 7: m.reserved = 1ULL << 63; break;
		case 8: m.nr_ids = 0; break;
		case 9: m.id = GNTV3_ID_LIMIT; break;
		case 10: m.id = GNTV3_ID_LIMIT - 1; m.nr_ids = 2; break;
		case 11: m.id = ~0ULL; m.nr_ids = 0xffffffffU; break;
		}
		REQUIRE_EQ(gntv3_ring_put_req(&p.fe, &m), 0);
	}
	/* and valid edge cases */
	REQUIRE_EQ(send(&p.fe, GNTV3_RING_OP_REVOKE, GNTV3_ID_LIMIT - 1, 1, 100), 0);
	REQUIRE_EQ(send(&p.fe, GNTV3_RING_OP_DOWNGRADE,
			GNTV3_ID_LIMIT - 0xffffffffULL, 0xffffffffU, 101), 0);
	for (i = 0; i < 12; i++) {
		CHECK_EQ(gntv3_ring_get_req(&p.be, &got), -EBADMSG);
		CHECK_EQ(got.cookie, i);
	}
	while (gntv3_ring_get_req(&p.be, &got) == 0)
		nr++;
	CHECK_EQ(nr, 2);
	CHECK_EQ(p.be.cnt.bad_msg, 12);
	CHECK(!p.be.broken);
	CHECK_EQ(gntv3_ring_acks_owed(&p.be), 14);
}

/* Garbage in ACKs, and ACKs that match nothing. */
TEST(ring_garbage_acks)
{
	struct gntv3_ring_pending pend = { 0 };
	struct gntv3_ring_msg req, ack, got;
	struct pair p;
	int slot, i;

	pair_init(&p);
	gntv3_ring_make_req(&req, GNTV3_RING_OP_DOWNGRADE, 8, 4, 0xabcd);
	slot = gntv3_ring_pending_add(&pend, &req);
	REQUIRE(slot >= 0);
	for (i = 0; i < 11; i++)
		REQUIRE_EQ(gntv3_ring_put_req(&p.fe, &req), 0);
	for (i = 0; i < 11; i++) {
		REQUIRE_EQ(gntv3_ring_get_req(&p.be, &got), 0);
		gntv3_ring_make_ack(&got, GNTST_okay, &ack);
		switch (i) {
		case 0: ack.op = GNTV3_RING_OP_DOWNGRADE; break;	/* no ACK bit */
		case 1: ack.op = GNTV3_RING_OP_UNMAPPED | GNTV3_RING_OP_ACK; break;
		case 2: ack.status = 1; break;
		case 3: ack.flags = 0x80; break;
		case 4: ack.reserved = 1; break;
		case 5: ack.nr_ids = 0; break;
		/* well-formed, but not the answer to our request */
		case 6: ack.cookie = 0xabce; break;
		case 7: ack.id = 9; break;
		case 8: ack.nr_ids = 5; break;
		case 9: ack.op = GNTV3_RING_OP_REVOKE | GNTV3_RING_OP_ACK; break;
		case 10: ack.status = GNTST_eagain; break;	/* the real one */
		}
		REQUIRE_EQ(gntv3_ring_put_ack(&p.be, &ack), 0);
	}
	for (i = 0; i < 6; i++)
		CHECK_EQ(gntv3_ring_get_ack(&p.fe, &got), -EBADMSG);
	CHECK_EQ(p.fe.cnt.bad_msg, 6);
	for (i = 6; i < 10; i++) {
		REQUIRE_EQ(gntv3_ring_get_ack(&p.fe, &got), 0);
		CHECK_EQ(gntv3_ring_pending_match(&pend, &got), -ENOENT);
	}
	REQUIRE_EQ(gntv3_ring_get_ack(&p.fe, &got), 0);
	CHECK_EQ(gntv3_ring_pending_match(&pend, &got), slot);
	CHECK_EQ(got.status, GNTST_eagain);
	CHECK_EQ(gntv3_ring_req_space(&p.fe), GNTV3_RING_SLOTS);
}

TEST(ring_pending_set)
{
	struct gntv3_ring_pending pend = { 0 };
	struct gntv3_ring_msg m;
	int i, s;

	gntv3_ring_make_req(&m, GNTV3_RING_OP_REVOKE, 0, 1, 7);
	REQUIRE_EQ(gntv3_ring_pending_add(&pend, &m), 0);
	CHECK_EQ(gntv3_ring_pending_add(&pend, &m), -EEXIST);
	for (i = 1; i < GNTV3_RING_SLOTS; i++) {
		m.cookie = 100 + i;
		CHECK_EQ(gntv3_ring_pending_add(&pend, &m), i);
	}
	m.cookie = 5000;
	CHECK_EQ(gntv3_ring_pending_add(&pend, &m), -ENOSPC);
	gntv3_ring_pending_del(&pend, 17);
	gntv3_ring_pending_del(&pend, GNTV3_RING_SLOTS);	/* ignored */
	gntv3_ring_pending_del(&pend, ~0U);			/* ignored */
	s = gntv3_ring_pending_add(&pend, &m);
	CHECK_EQ(s, 17);
	CHECK_EQ(pend.req[17].cookie, 5000);
	CHECK_EQ(pend.used, 0xffffffffU);
}

/*
 * Random garbage written by a hostile peer at random times: the honest
 * side's calls never crash, its invariants hold, and everything it
 * accepted is well-formed.
 */
TEST(ring_random_hostile_peer)
{
	unsigned int iter, n = 20000 * test_scale;
	struct gntv3_ring_msg got;
	struct pair p;
	u8 *raw;

	pair_init(&p);
	raw = (u8 *)&p.s;
	for (iter = 0; iter < n; iter++) {
		unsigned int what = test_rand_below(6);
		int rc;

		if (p.be.broken || p.fe.broken || test_chance(1))
			pair_init(&p);
		if (what == 0) {
			raw[test_rand_below(sizeof(p.s))] = test_rand();
		} else if (what == 1) {
			/* small plausible index moves */
			p.s.f2b_idx.rsp_prod += test_rand_below(3);
			p.s.b2f_idx.req_prod += test_rand_below(3);
		} else if (what == 2) {
			send(&p.fe, 1 + test_rand_below(2), test_rand_below(1 << 20),
			     1 + test_rand_below(512), test_rand());
		}
		rc = gntv3_ring_get_ack(&p.fe, &got);
		if (!rc) {
			CHECK(got.op & GNTV3_RING_OP_ACK);
			CHECK(!gntv3_ring_check_range(got.id, got.nr_ids));
			CHECK(got.status <= 0 && !got.flags && !got.reserved);
		}
		rc = gntv3_ring_get_req(&p.fe, &got);
		if (!rc) {
			CHECK_EQ(got.op, GNTV3_RING_OP_UNMAPPED);
			CHECK(!gntv3_ring_check_range(got.id, got.nr_ids));
		}
		if (rc == 0 || rc == -EBADMSG) {
			struct gntv3_ring_msg ack;

			gntv3_ring_make_ack(&got, GNTST_okay, &ack);
			CHECK_EQ(gntv3_ring_put_ack(&p.fe, &ack), 0);
		}
		CHECK(gntv3_ring_req_space(&p.fe) <= GNTV3_RING_SLOTS);
		CHECK(gntv3_ring_acks_owed(&p.fe) <= GNTV3_RING_SLOTS);
	}
}
