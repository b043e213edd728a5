/* SPDX-License-Identifier: MIT */
/*
 * blkif_gntv3.h - the gntv3 block protocol: a virtual disk whose data pages
 * are gntv3 grants.
 *
 * The frontend (the domain owning the disk's user) grants every page the
 * backend needs from the one gntv3 grant tree it keeps for the backend
 * domain: the ring page as a 4 KiB grant and its data buffers as 2 MiB
 * superpage grants.  Requests name a grant id and a byte range inside it,
 * never a v1 grant reference, so one 2 MiB buffer is one id however it is
 * carried underneath.  The backend maps each buffer once and keeps the
 * mapping (persistent mappings); the frontend copies request data into and
 * out of its buffers.
 *
 * The tree reaches the backend through a gntv3 connection
 * (Documentation/gntv3/revoke.rst): the frontend offers the tree and a
 * revoke ring with gntv3_front_connect() under the connection number it
 * publishes as GNTV3_BLKIF_XS_CONN, and the backend attaches with
 * gntv3_back_connect().  Over that ring the frontend takes a buffer back
 * (gntv3_revoke()) when it shrinks its buffer pool: the backend drops its
 * persistent mapping of the buffer once no request uses it, and only then
 * acknowledges.  A frontend names a buffer in a request only between
 * granting it and revoking it.
 *
 * Xenstore (device type GNTV3_BLKIF_XS_TYPE):
 *
 * Backend directory, written by the backend before InitWait:
 *   feature-gntv3         GNTV3_ABI_VERSION it speaks
 *   sectors               disk size in 512-byte sectors
 *   feature-flush-cache   1 if GNTV3_BLKIF_OP_FLUSH does something
 * and by the toolstack:
 *   params                backing store: a file or block device path, or
 *                         "ramdisk" for the backend's own memory disk
 *
 * Frontend directory, written by the frontend before Initialised:
 *   gntv3-conn            number of the gntv3 connection that carries the
 *                         tree and the revoke ring; the frontend picks it
 *                         (Linux: GNTV3_BLKIF_CONN_BASE + the device's
 *                         xenbus number), the backend must assume nothing
 *   ring-id               gntv3 id of the ring page (a 4 KiB rw grant)
 *   event-channel         interdomain event channel of the ring
 *
 * Every field a peer writes into the ring is untrusted: the backend checks
 * each request (op, pads, lengths, alignment, range, the grant's size) and
 * answers a bad one with GNTV3_BLKIF_RSP_ERROR; the frontend checks each
 * response's tag, op and status and drops a bad one.
 *
 * All structures have explicit padding and the same layout on every
 * architecture, so no per-ABI variants are needed.  Fields are in the
 * byte order of the two domains (little-endian on x86 and Arm), as in
 * every Xen ring protocol.
 *
 * Copyright (c) 2026, the gntv3 authors
 */
#ifndef __XEN_BLKIF_GNTV3_H__
#define __XEN_BLKIF_GNTV3_H__

#include <linux/types.h>
#include <xen/interface/io/ring.h>
#include <xen/interface/grant_table_v3.h>

#define GNTV3_BLKIF_XS_TYPE		"vgntv3blk"
#define GNTV3_BLKIF_XS_PARAMS		"params"
#define GNTV3_BLKIF_XS_SECTORS		"sectors"
#define GNTV3_BLKIF_XS_FLUSH		"feature-flush-cache"
#define GNTV3_BLKIF_XS_RING_ID		"ring-id"
#define GNTV3_BLKIF_XS_EVTCHN		"event-channel"
#define GNTV3_BLKIF_XS_RAMDISK		"ramdisk"
#define GNTV3_BLKIF_XS_CONN		"gntv3-conn"

/* Linux frontends number their gntv3 connections from here. */
#define GNTV3_BLKIF_CONN_BASE		0x62000000U

#define GNTV3_BLKIF_SECTOR_SHIFT	9
#define GNTV3_BLKIF_SECTOR_SIZE		512U

/* Largest request: one 2 MiB superpage grant. */
#define GNTV3_BLKIF_MAX_BYTES		(2U << 20)

/* Request ops. */
#define GNTV3_BLKIF_OP_READ		0	/* disk -> grant */
#define GNTV3_BLKIF_OP_WRITE		1	/* grant -> disk */
#define GNTV3_BLKIF_OP_FLUSH		2	/* make written data durable */

/* Response status. */
#define GNTV3_BLKIF_RSP_OKAY		0
#define GNTV3_BLKIF_RSP_ERROR		(-1)	/* I/O error or bad request */
#define GNTV3_BLKIF_RSP_EOPNOTSUPP	(-2)	/* op not supported */

/**
 * struct gntv3_blkif_request - one request on the ring (40 bytes)
 * @op: GNTV3_BLKIF_OP_*
 * @pad0: zero
 * @nr_bytes: READ/WRITE: bytes to transfer, a multiple of 512 from 512 to
 *	GNTV3_BLKIF_MAX_BYTES; FLUSH: zero
 * @tag: chosen by the frontend, echoed in the response
 * @sector: READ/WRITE: first 512-byte sector; FLUSH: zero
 * @gid: READ/WRITE: first id of the data grant; FLUSH: zero
 * @offset: READ/WRITE: byte offset of the data in that grant, a multiple
 *	of 512; @offset + @nr_bytes must not exceed the grant; FLUSH: zero
 * @pad1: zero
 */
struct gntv3_blkif_request {
	u8 op;
	u8 pad0[3];
	u32 nr_bytes;
	u64 tag;
	u64 sector;
	gntv3_id_t gid;
	u32 offset;
	u32 pad1;
};

/**
 * struct gntv3_blkif_response - one response on the ring (16 bytes)
 * @tag: the request's tag
 * @op: the request's op
 * @pad0: zero
 * @status: GNTV3_BLKIF_RSP_*
 * @pad1: zero
 */
struct gntv3_blkif_response {
	u64 tag;
	u8 op;
	u8 pad0;
	s16 status;
	u32 pad1;
};

/*
 * struct gntv3_blkif_sring, struct gntv3_blkif_front_ring and
 * struct gntv3_blkif_back_ring over one 4 KiB page: 64 slots.
 */
DEFINE_RING_TYPES(gntv3_blkif, struct gntv3_blkif_request,
		  struct gntv3_blkif_response);

#define GNTV3_BLKIF_RING_SIZE \
	__CONST_RING_SIZE(gntv3_blkif, XEN_PAGE_SIZE)

#endif /* __XEN_BLKIF_GNTV3_H__ */
