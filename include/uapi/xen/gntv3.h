/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/gntv3: userspace access to gntv3 grant trees, for tests and tools.
 *
 * One open file is one context.  Trees, grants, attachments and mappings it
 * creates are named by small handles local to the file, and are all released
 * when the file is closed (the last descriptor closed and the last mmap()
 * of it unmapped).  Every ioctl takes one struct, checks that every
 * reserved or padding field is zero (-EINVAL otherwise) and returns 0 or -1
 * with errno set: EFAULT for an unreadable argument, ENOENT for a handle the
 * file does not own, ENOSPC when a per-file limit (trees, grants, allocated
 * pages) or the tree's ids or v1 grant references run out, ENOTTY for an
 * unknown ioctl (or a known number with another direction or a shorter
 * struct).  A longer struct than this header's is accepted if its extra
 * bytes are zero (E2BIG otherwise).  drivers/xen/gntv3/dev.c lists every
 * errno per ioctl.
 *
 * The ioctls that only the selftests use (numbers 0x70 .. 0x7f) are not
 * here: see drivers/xen/gntv3/gntv3_test.h, built with
 * CONFIG_XEN_GNTV3_TEST only.
 */
#ifndef _UAPI_XEN_GNTV3_H
#define _UAPI_XEN_GNTV3_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define GNTV3_IOC_MAGIC		'G'	/* shared with gntdev/gntalloc (0-8) */

/* Transports reported by GNTV3_IOC_INFO. */
#define GNTV3_TRANSPORT_V1	1	/* trees carried over v1 grant entries */
#define GNTV3_TRANSPORT_NATIVE	2	/* hypervisor implements v3 sub-ops */

/**
 * struct gntv3_ioc_info - GNTV3_IOC_INFO: what this kernel runs on
 * @transport: GNTV3_TRANSPORT_*
 * @probe_rc: result of the GNTTABOP_v3_query probe at load (-ENOSYS on a
 *	hypervisor without grant tables v3)
 * @abi_version: GNTV3_ABI_VERSION of the module
 * @self_domid: domain id of the caller's domain (DOMID_SELF if unknown)
 */
struct gntv3_ioc_info {
	__u32 transport;
	__s32 probe_rc;
	__u32 abi_version;
	__u16 self_domid;
	__u16 pad;
};

/**
 * struct gntv3_ioc_tree_create - GNTV3_IOC_TREE_CREATE
 * @domid: IN: the backend domain the tree grants to
 * @flags: IN: must be zero
 * @tree: OUT: handle of the new tree
 * @tree_ref: OUT: what a backend passes to GNTV3_IOC_ATTACH: the v1 grant
 *	reference of the tree descriptor page (v1 transport), or the tree
 *	handle the hypervisor answered (native transport)
 * @pad: must be zero
 *
 * EINVAL for a reserved @domid (DOMID_SELF and above); ENOSPC when the file
 * holds 64 trees already or no v1 grant reference is left.
 */
struct gntv3_ioc_tree_create {
	__u16 domid;
	__u16 flags;
	__u32 tree;
	__u32 tree_ref;
	__u32 pad;
};

/**
 * struct gntv3_ioc_tree - GNTV3_IOC_TREE_DESTROY, GNTV3_IOC_DISCONNECT
 * @tree: IN: handle from GNTV3_IOC_TREE_CREATE
 * @pad: must be zero
 *
 * ENOENT for an unknown handle.  TREE_DESTROY fails with EBUSY while the
 * tree has grants of this file; DISCONNECT with ENOTCONN when the tree is
 * not connected.
 */
struct gntv3_ioc_tree {
	__u32 tree;
	__u32 pad;
};

/* Flags for struct gntv3_ioc_grant. */
#define GNTV3_IOC_GRANT_READONLY	(1U << 0)
#define GNTV3_IOC_GRANT_ALLOC		(1U << 1)	/* kernel memory */

/**
 * struct gntv3_ioc_grant - GNTV3_IOC_GRANT
 * @tree: IN: tree handle
 * @flags: IN: GNTV3_IOC_GRANT_*
 * @addr: IN: without GNTV3_IOC_GRANT_ALLOC, page-aligned address of a user
 *	buffer of @nr_pages pages; they are pinned and granted as 4 KiB grants
 *	with consecutive ids.  Must be zero with GNTV3_IOC_GRANT_ALLOC.
 * @nr_pages: IN: 4 KiB pages to grant (1..GNTV3_IOC_MAX_PAGES); must be 1
 *	with GNTV3_IOC_GRANT_ALLOC
 * @order: IN: 0, 9 (2 MiB) or 18 (1 GiB).  A non-zero order needs
 *	GNTV3_IOC_GRANT_ALLOC: user memory of a PV guest is never backed by
 *	huge folios, so the kernel allocates the folio.
 * @first_id: OUT: first grant id
 * @mmap_offset: OUT: with GNTV3_IOC_GRANT_ALLOC, the offset at which
 *	mmap() of this file maps the allocated memory (MAP_SHARED only;
 *	EINVAL for a bad offset or a range past the folio); zero otherwise
 *
 * A 1 GiB folio is above the buddy allocator's largest order, so a 1 GiB
 * GNTV3_IOC_GRANT_ALLOC fails with ENOMEM; the tree format itself supports
 * 1 GiB leaves.
 *
 * ENOENT for an unknown tree; EINVAL for an unknown flag, a bad @nr_pages
 * or @order, @addr not page aligned (or non-zero with ALLOC), a user page
 * that is part of a huge page; EFAULT for user memory that cannot be
 * pinned (writable unless READONLY); ENOMEM; ENOSPC when the file holds
 * 65536 grants (the module's dev_max_grants parameter) or 2^18 allocated
 * pages already, or the tree ran out of ids or v1 grant references.
 */
struct gntv3_ioc_grant {
	__u32 tree;
	__u32 flags;
	__u64 addr;
	__u32 nr_pages;
	__u32 order;
	__u64 first_id;
	__u64 mmap_offset;
};

#define GNTV3_IOC_MAX_PAGES	4096

/**
 * struct gntv3_ioc_end - GNTV3_IOC_END
 * @tree: IN: tree handle
 * @pad: must be zero
 * @id: IN: first id of a grant
 * @result: OUT: 0 if access ended now, 1 if the backend still maps the
 *	grant and its memory is quarantined until it lets go
 * @pad2: must be zero
 *
 * ENOENT for an id that does not start a grant of this file: an id inside
 * a superpage, or one already ended (a second END).
 */
struct gntv3_ioc_end {
	__u32 tree;
	__u32 pad;
	__u64 id;
	__s32 result;
	__u32 pad2;
};

/* ---- backend side ---- */

/**
 * struct gntv3_ioc_attach - GNTV3_IOC_ATTACH: attach to a frontend's tree
 * @domid: IN: frontend domain (may be the caller's own domain)
 * @pad: must be zero
 * @tree_ref: IN: the frontend's tree reference
 * @back: OUT: attachment handle
 *
 * The module's transport says what @tree_ref is: v1, a grant reference of
 * a descriptor page; native, a tree handle, which the hypervisor checks at
 * each map (GNTV3_IOC_MAP answers an error for a handle naming no tree of
 * @domid that grants to us).
 *
 * EINVAL for a reserved @domid (DOMID_SELF and above); ENOENT if @tree_ref
 * is not granted to this domain (native: 0); EPROTO if the page is not a
 * valid tree descriptor for this domain (bad magic, a version other than 1
 * or 2, bad flags, a non-zero reserved word, another grantee); EOPNOTSUPP
 * for a v1 reference naming a native descriptor, or for @domid this
 * domain's own id when this domain is auto-translated (PVH, HVM: Xen would
 * move a granted page out of the granting side's p2m); ENXIO
 * when this domain's id is unknown; ENOSPC when the file holds 64
 * attachments already.
 */
struct gntv3_ioc_attach {
	__u16 domid;
	__u16 pad;
	__u32 tree_ref;
	__u32 back;
};

/**
 * struct gntv3_ioc_detach - GNTV3_IOC_DETACH
 * @back: IN: attachment handle; its mappings are unmapped first
 * @pad: must be zero
 *
 * ENOENT for an unknown handle.
 */
struct gntv3_ioc_detach {
	__u32 back;
	__u32 pad;
};

/* Flags for struct gntv3_ioc_map. */
#define GNTV3_IOC_MAP_READONLY	(1U << 0)
#define GNTV3_IOC_MAP_2M	(1U << 1)	/* each id: a whole 2 MiB grant */
#define GNTV3_IOC_MAP_CACHE	(1U << 2)	/* may stay mapped after UNMAP */
#define GNTV3_IOC_MAP_4K	(1U << 3)	/* each id: its own 4 KiB page */

/**
 * struct gntv3_ioc_map - GNTV3_IOC_MAP: map a batch of grant ids
 * @back: IN: attachment handle
 * @flags: IN: GNTV3_IOC_MAP_*
 * @ids: IN: user pointer to @nr __u64 grant ids (superpages by first id;
 *	any other id inside one maps its own 4 KiB piece)
 * @maps: IN: user pointer to @nr __u32, OUT: one mapping handle per id
 * @nr: IN: number of ids, 1..GNTV3_IOC_MAX_PAGES
 * @pad: must be zero
 *
 * With GNTV3_IOC_MAP_2M each id must be the first of a 2 MiB grant and is
 * mapped whole on either transport (the native grantee cannot see the
 * tree: without the flag it maps a superpage's first 4 KiB only).  With
 * GNTV3_IOC_MAP_4K each id is mapped as its own 4 KiB page, a superpage's
 * first id too, on either transport (v1 maps that id whole without it).
 *
 * With GNTV3_IOC_MAP_CACHE, on an attachment made by BACK_CONNECT, an
 * UNMAP may leave the pages mapped in the attachment's mapping cache and
 * a later MAP of the same id with the same flags takes them from there
 * without a hypercall; the frontend's REVOKE, DOWNGRADE or end of the
 * grant unmaps them (gntv3_map(), Documentation/gntv3/api.rst).  On an
 * attachment made by ATTACH the flag changes nothing.
 *
 * All or nothing: on error nothing stays mapped.  Beyond the common errors:
 * EINVAL for an unknown flag, GNTV3_IOC_MAP_2M with GNTV3_IOC_MAP_4K, @nr 0
 * or above GNTV3_IOC_MAX_PAGES, or with GNTV3_IOC_MAP_2M an id that is not
 * a 2 MiB grant (native: not aligned to
 * 2 MiB; an aligned id whose 511 successors are not granted is ENOENT);
 * ENOENT for an unknown attachment or an id that is not granted; ERANGE
 * for an id beyond any tree; EACCES for a revoked grant, a writable map
 * of a read-only one, or a writable leaf over a read-only v1 grant;
 * EAGAIN for a grant being downgraded (map it read-only once that is
 * done); EPROTO or ELOOP for a malformed tree (a corrupt descriptor or
 * table entry, a table loop); E2BIG for a batch of more than 32768 pages
 * (a 1 GiB grant maps alone: one id, 2^18 pages); ENOSPC when the file
 * would map more than 2^18 pages, or when Xen has no room for the
 * mappings (its maptrack table, gnttab_max_maptrack_frames).
 */
struct gntv3_ioc_map {
	__u32 back;
	__u32 flags;
	__u64 ids;
	__u64 maps;
	__u32 nr;
	__u32 pad;
};

/* Flags for struct gntv3_ioc_unmap. */
#define GNTV3_IOC_UNMAP_ASYNC	(1U << 0)	/* do not wait */

/**
 * struct gntv3_ioc_unmap - GNTV3_IOC_UNMAP
 * @map: IN: mapping handle
 * @flags: IN: GNTV3_IOC_UNMAP_*
 * @result: OUT: 0 unmapped (or queued with GNTV3_IOC_UNMAP_ASYNC), else
 *	the negative errno of the safe unmap path
 * @pad: must be zero
 *
 * EINVAL for an unknown flag, ENOENT for an unknown handle, EBUSY while an
 * unmap of the same mapping is pending.
 */
struct gntv3_ioc_unmap {
	__u32 map;
	__u32 flags;
	__s32 result;
	__u32 pad;
};

/* Directions for struct gntv3_ioc_map_rw. */
#define GNTV3_IOC_RW_READ	0	/* mapping -> buffer */
#define GNTV3_IOC_RW_WRITE	1	/* buffer -> mapping */

/**
 * struct gntv3_ioc_map_rw - GNTV3_IOC_MAP_RW: copy through a mapping
 * @map: IN: mapping handle
 * @dir: IN: GNTV3_IOC_RW_*; writing a read-only mapping fails with EACCES
 * @offset: IN: byte offset into the mapping
 * @len: IN: bytes to copy; @offset + @len must lie inside the mapping
 * @buf: IN: user buffer
 *
 * EINVAL for an unknown @dir or an empty range or one past the mapping,
 * ENOENT for an unknown handle, EBUSY while the mapping is being unmapped,
 * EFAULT for @buf.
 */
struct gntv3_ioc_map_rw {
	__u32 map;
	__u32 dir;
	__u64 offset;
	__u64 len;
	__u64 buf;
};

/**
 * struct gntv3_ioc_copy_seg - one piece of a GNTV3_IOC_COPY
 * @id: IN: grant id naming a 4 KiB frame of the attached tree (an id
 *	inside a superpage names that frame of it)
 * @buf: IN: user address; [@buf, @buf + @len) must not cross a page
 *	boundary of this process
 * @offset: IN: byte offset inside the granted frame
 * @len: IN: bytes, 1..4096; @offset + @len at most 4096
 * @dir: IN: GNTV3_IOC_COPY_FROM_PEER or GNTV3_IOC_COPY_TO_PEER
 * @status: OUT: 0 once copied, else a negative errno for this piece
 *	alone (those of struct gntv3_ioc_map for the id; EACCES also for a
 *	copy into a read-only grant; EFAULT for @buf)
 */
struct gntv3_ioc_copy_seg {
	__u64 id;
	__u64 buf;
	__u32 offset;
	__u32 len;
	__u32 dir;
	__s32 status;
};

/* Directions for struct gntv3_ioc_copy_seg. */
#define GNTV3_IOC_COPY_FROM_PEER	0	/* the peer's grant -> @buf */
#define GNTV3_IOC_COPY_TO_PEER		1	/* @buf -> the peer's grant */

/* Pieces one GNTV3_IOC_COPY takes at most. */
#define GNTV3_IOC_COPY_MAX_SEGS	512

/**
 * struct gntv3_ioc_copy - GNTV3_IOC_COPY: copy between this process's
 * memory and the grants of an attached tree, without mapping them
 * @back: IN: attachment handle
 * @nr: IN: number of pieces, 1..GNTV3_IOC_COPY_MAX_SEGS
 * @segs: IN: user pointer to @nr struct gntv3_ioc_copy_seg; OUT: their
 *	@status
 *
 * Pieces fail one by one (see @status); the ioctl itself fails, with no
 * piece tried, with ENOENT for an unknown attachment, EINVAL for @nr out of
 * range or a malformed piece (empty, past its frame or crossing a page of
 * @buf, an unknown direction), EOPNOTSUPP when the tree's transport cannot
 * copy (native, for now), EFAULT for @segs.
 */
struct gntv3_ioc_copy {
	__u32 back;
	__u32 nr;
	__u64 segs;
};

/**
 * struct gntv3_ioc_unmap_batch - GNTV3_IOC_UNMAP_BATCH: unmap many mappings
 * @maps: IN: user pointer to @nr __u32 mapping handles, all of one
 *	attachment
 * @results: IN: user pointer to @nr __s32, OUT: one result per handle:
 *	0 unmapped (the handle is gone); -EIO Xen refused, the pages are
 *	leaked (the handle is gone); -EINPROGRESS a page was still held: the
 *	mapping is being unmapped as after an asynchronous UNMAP (EBUSY for
 *	another UNMAP until that finished)
 * @nr: IN: number of handles, 1..GNTV3_IOC_MAX_PAGES
 * @flags: IN: must be zero
 *
 * The pages of all the mappings nobody holds are unmapped with one
 * hypercall.  Nothing happens on error: ENOENT for an unknown handle,
 * EBUSY for a mapping being unmapped, EALREADY for a handle listed twice,
 * EINVAL for mappings of different attachments.  EFAULT if @results cannot
 * be written: the unmaps happened all the same.
 */
struct gntv3_ioc_unmap_batch {
	__u64 maps;
	__u64 results;
	__u32 nr;
	__u32 flags;
};

/* ---- connection and revocation ---- */

/**
 * struct gntv3_ioc_connect - GNTV3_IOC_CONNECT: offer a tree and a revoke
 * ring to the tree's backend through xenstore
 * @tree: IN: tree handle
 * @devid: IN: connection number, unique in this domain: the frontend's keys
 *	go to /local/domain/<self>/data/gntv3/<devid>, the backend's to its
 *	backend/ subdirectory
 *
 * Returns at once; the connection comes up in the background once a
 * backend runs GNTV3_IOC_BACK_CONNECT (see GNTV3_IOC_CONN_INFO).  ENOENT
 * for an unknown tree, EEXIST when the tree is connected already, ENXIO
 * when our domain id is unknown, ENOSPC when no grant reference is left
 * for the ring, or a xenstore error.  Destroying the tree (or closing the
 * file) disconnects it; so does GNTV3_IOC_DISCONNECT (struct gntv3_ioc_tree),
 * ENOTCONN when there is nothing to disconnect.
 */
struct gntv3_ioc_connect {
	__u32 tree;
	__u32 devid;
};

/* Flags for struct gntv3_ioc_revoke. */
#define GNTV3_IOC_REVOKE_DOWNGRADE	(1U << 0)	/* rw -> ro only */

/* Results of GNTV3_IOC_REVOKE. */
#define GNTV3_REVOKE_RESULT_DONE	0	/* acknowledged, carried out */
#define GNTV3_REVOKE_RESULT_DEAD	1	/* no answer: grant dead */

/**
 * struct gntv3_ioc_revoke - GNTV3_IOC_REVOKE: take a grant back (or make it
 * read-only) with the backend's acknowledgment
 * @tree: IN: tree handle
 * @flags: IN: GNTV3_IOC_REVOKE_*
 * @id: IN: first id of a grant of this file
 * @timeout_ms: IN: how long the backend has to answer; 0 for the module's
 *	revoke_timeout_ms
 * @result: OUT: GNTV3_REVOKE_RESULT_*.  DONE for a revoke: the grant is
 *	gone and its memory released; DONE for a downgrade: the grant stays,
 *	read-only.  DEAD: the grant is gone, and its memory is quarantined
 *	for as long as the backend may still map it.
 *
 * Waits for the answer with the file's frontend lock held: run the backend
 * side on another open file.  EINVAL for an unknown flag, ENOENT for an
 * unknown tree or an id that starts no grant of this file, EALREADY for a
 * grant being revoked or quarantined.
 */
struct gntv3_ioc_revoke {
	__u32 tree;
	__u32 flags;
	__u64 id;
	__u32 timeout_ms;
	__s32 result;
};

/* XenbusState values reported by GNTV3_IOC_CONN_INFO. */
#define GNTV3_XS_STATE_INITIALISING	1
#define GNTV3_XS_STATE_INITWAIT		2
#define GNTV3_XS_STATE_INITIALISED	3
#define GNTV3_XS_STATE_CONNECTED	4
#define GNTV3_XS_STATE_CLOSING		5
#define GNTV3_XS_STATE_CLOSED		6

/**
 * struct gntv3_ioc_conn_info - GNTV3_IOC_CONN_INFO: a tree's connection
 * @tree: IN: tree handle
 * @state: OUT: our XenbusState (GNTV3_XS_STATE_*)
 * @peer_state: OUT: the backend's, 0 when it has none
 * @connected: OUT: 1 when revokes go over the ring
 * @ring_ref: OUT: v1 grant reference of the ring page
 * @evtchn: OUT: our event channel port
 * @sent: OUT: requests sent
 * @acked: OUT: requests acknowledged with success
 * @nacked: OUT: requests answered with an error
 * @timed_out: OUT: requests that got no answer in time
 * @malformed: OUT: malformed messages and corrupt indices from the backend
 * @resets: OUT: times the ring was re-created after the backend left
 *
 * ENOTCONN when the tree has no connection.
 */
struct gntv3_ioc_conn_info {
	__u32 tree;
	__u32 state;
	__u32 peer_state;
	__u32 connected;
	__u32 ring_ref;
	__u32 evtchn;
	__u64 sent;
	__u64 acked;
	__u64 nacked;
	__u64 timed_out;
	__u64 malformed;
	__u64 resets;
};

/**
 * struct gntv3_ioc_back_connect - GNTV3_IOC_BACK_CONNECT: find a frontend's
 * connection in xenstore, attach to its tree and connect its ring
 * @domid: IN: frontend domain (may be the caller's own)
 * @pad: must be zero
 * @devid: IN: the frontend's connection number
 * @timeout_ms: IN: how long to wait for the frontend; 0 means 10 s
 * @back: OUT: attachment handle, used like one from GNTV3_IOC_ATTACH;
 *	GNTV3_IOC_DETACH (or close) also disconnects the ring
 *
 * The file's mappings of a revoked range are unmapped (safe unmap: a page
 * still in use delays it) and then acknowledged.  ENOENT when the
 * frontend has no such connection, EACCES when it names another backend,
 * EBUSY while an attachment of this domain made for the same frontend
 * connection is not detached yet (even one whose frontend went away: detach
 * it, then connect again), ETIMEDOUT, EINTR, EOPNOTSUPP for a native
 * tree or (as GNTV3_IOC_ATTACH) for this domain's own frontend in an
 * auto-translated domain, EPROTO for bad keys or a bad tree descriptor, ENOSPC when the file
 * holds 64 attachments already.
 */
struct gntv3_ioc_back_connect {
	__u16 domid;
	__u16 pad;
	__u32 devid;
	__u32 timeout_ms;
	__u32 back;
};

/**
 * struct gntv3_ioc_back_notify - GNTV3_IOC_BACK_NOTIFY: tell the frontend
 * that ids were unmapped (an UNMAPPED notification), so that it retries its
 * quarantine at once
 * @back: IN: attachment handle from GNTV3_IOC_BACK_CONNECT
 * @nr_ids: IN: number of ids
 * @id: IN: first id
 *
 * EINVAL for an empty range or one past the largest id, ENOENT for an
 * unknown handle, ENOTCONN without a connected ring, EPROTO when the
 * frontend broke the ring (a corrupt index; nothing more goes over it until
 * it reconnects), EBUSY when 32 notifications wait for their ACK.
 */
struct gntv3_ioc_back_notify {
	__u32 back;
	__u32 nr_ids;
	__u64 id;
};

/**
 * struct gntv3_ioc_back_conn_info - GNTV3_IOC_BACK_CONN_INFO
 * @back: IN: attachment handle
 * @connected: OUT: 1 while the ring to the frontend is connected
 *
 * ENOENT for an unknown handle.
 */
struct gntv3_ioc_back_conn_info {
	__u32 back;
	__u32 connected;
};

#define GNTV3_IOC_INFO		_IOR(GNTV3_IOC_MAGIC, 0x30, struct gntv3_ioc_info)
#define GNTV3_IOC_TREE_CREATE	_IOWR(GNTV3_IOC_MAGIC, 0x31, struct gntv3_ioc_tree_create)
#define GNTV3_IOC_TREE_DESTROY	_IOW(GNTV3_IOC_MAGIC, 0x32, struct gntv3_ioc_tree)
#define GNTV3_IOC_GRANT		_IOWR(GNTV3_IOC_MAGIC, 0x33, struct gntv3_ioc_grant)
#define GNTV3_IOC_END		_IOWR(GNTV3_IOC_MAGIC, 0x34, struct gntv3_ioc_end)
#define GNTV3_IOC_ATTACH	_IOWR(GNTV3_IOC_MAGIC, 0x40, struct gntv3_ioc_attach)
#define GNTV3_IOC_DETACH	_IOW(GNTV3_IOC_MAGIC, 0x41, struct gntv3_ioc_detach)
#define GNTV3_IOC_MAP		_IOW(GNTV3_IOC_MAGIC, 0x42, struct gntv3_ioc_map)
#define GNTV3_IOC_UNMAP		_IOWR(GNTV3_IOC_MAGIC, 0x43, struct gntv3_ioc_unmap)
#define GNTV3_IOC_MAP_RW	_IOW(GNTV3_IOC_MAGIC, 0x44, struct gntv3_ioc_map_rw)
#define GNTV3_IOC_UNMAP_BATCH	_IOW(GNTV3_IOC_MAGIC, 0x47, struct gntv3_ioc_unmap_batch)
#define GNTV3_IOC_COPY		_IOW(GNTV3_IOC_MAGIC, 0x48, struct gntv3_ioc_copy)
#define GNTV3_IOC_CONNECT	_IOW(GNTV3_IOC_MAGIC, 0x50, struct gntv3_ioc_connect)
#define GNTV3_IOC_DISCONNECT	_IOW(GNTV3_IOC_MAGIC, 0x51, struct gntv3_ioc_tree)
#define GNTV3_IOC_REVOKE	_IOWR(GNTV3_IOC_MAGIC, 0x52, struct gntv3_ioc_revoke)
#define GNTV3_IOC_CONN_INFO	_IOWR(GNTV3_IOC_MAGIC, 0x53, struct gntv3_ioc_conn_info)
#define GNTV3_IOC_BACK_CONNECT	_IOWR(GNTV3_IOC_MAGIC, 0x58, struct gntv3_ioc_back_connect)
#define GNTV3_IOC_BACK_NOTIFY	_IOW(GNTV3_IOC_MAGIC, 0x59, struct gntv3_ioc_back_notify)
#define GNTV3_IOC_BACK_CONN_INFO _IOWR(GNTV3_IOC_MAGIC, 0x5a, struct gntv3_ioc_back_conn_info)

#endif /* _UAPI_XEN_GNTV3_H */
