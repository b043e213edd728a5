/* SPDX-License-Identifier: MIT */
/*
 * grant_table_v3.h
 *
 * Interface for grant table version 3: per-grantee grant trees.
 *
 * A granting domain (the "frontend") keeps one grant tree per grantee (the
 * "backend").  A tree is a radix tree of 4 KiB table pages, each holding
 * GNTV3_PTES_PER_TABLE little-endian 64-bit entries, walked like an x86-64 or
 * IOMMU page table.  A grant id is the index path through the tree: with
 * levels L-1 ... 0, bits [9*l + 8 : 9*l] of the id select the entry in the
 * level-l table.  Level 0 tables hold 4 KiB leaves; a leaf at level 1 is a
 * 2 MiB superpage covering 512 aligned ids; a leaf at level 2 is a 1 GiB
 * superpage covering 2^18 aligned ids.
 *
 * Entries carry a frame field of 52 bits, so any 4 KiB frame of a 64-bit
 * physical address space can be granted (v1 entries stop at 32-bit frame
 * numbers, i.e. 16 TiB).
 *
 * The same layout is used in two ways:
 *
 *  - native: a v3 hypervisor walks the tree itself.  Table and leaf entries
 *    hold guest frame numbers (GFNs).  The granter registers the tree with
 *    GNTTABOP_v3_register_tree and the grantee maps ids with GNTTABOP_v3_map.
 *
 *  - v1-backed (works on every Xen since 3.0): each 4 KiB frame of a leaf,
 *    and each table page, is also granted to the grantee through a v1 grant
 *    entry.  The entry's frame field then holds the v1 grant reference
 *    (GNTV3_PTE_V1 set); a superpage leaf holds the first of 512 (or 2^18)
 *    consecutive v1 references.  The grantee reads the tree by mapping the
 *    table pages read-only with GNTTABOP_map_grant_ref and maps a leaf's
 *    frames with the same hypercall.  The tree's descriptor page is the
 *    "tree reference" handed to the grantee out of band (xenstore).
 *
 * Copyright (c) 2026, the gntv3 authors
 */

#ifndef __XEN_PUBLIC_GRANT_TABLE_V3_H__
#define __XEN_PUBLIC_GRANT_TABLE_V3_H__

#include <xen/interface/grant_table.h>

/*
 * Version of the layout below, negotiated through GNTV3_XS_VERSION and
 * reported by GNTTABOP_v3_query.  2: trees are named by the handle
 * GNTTABOP_v3_register_tree returns (a domain may grant to one grantee
 * through several trees); query reports the GNTV3_FEAT_* the hypervisor
 * implements; GNTTABOP_v3_copy declared.  The tree layout is that of 1.
 */
#define GNTV3_ABI_VERSION		2

/*
 * Grant ids.  An id names one 4 KiB grant frame; a superpage grant is named
 * by its first (aligned) id.  Ids are below 2^(9 * GNTV3_MAX_LEVELS).
 */
typedef uint64_t gntv3_id_t;

#define GNTV3_INVALID_ID		(~(gntv3_id_t)0)

/* ---------------------------------------------------------------------------
 * Tree geometry
 */
#define GNTV3_TABLE_SHIFT		12	/* a table is one 4 KiB page */
#define GNTV3_PTE_SHIFT			3	/* 8 bytes per entry */
#define GNTV3_LEVEL_BITS		(GNTV3_TABLE_SHIFT - GNTV3_PTE_SHIFT)
#define GNTV3_PTES_PER_TABLE		(1U << GNTV3_LEVEL_BITS)	/* 512 */
#define GNTV3_MAX_LEVELS		4	/* ids below 2^36 */
#define GNTV3_ID_BITS			(GNTV3_LEVEL_BITS * GNTV3_MAX_LEVELS)

/* Index of @id in a level-@lvl table. */
#define GNTV3_ID_INDEX(id, lvl) \
	(((id) >> (GNTV3_LEVEL_BITS * (lvl))) & (GNTV3_PTES_PER_TABLE - 1))

/* ---------------------------------------------------------------------------
 * Entries (little-endian uint64_t)
 *
 *  63                                              12 11  8 7 6 5 4 3 2 1 0
 * +--------------------------------------------------+-----+-+---+-+-+-+-+-+
 * |                    FRAME (52 bits)               | RSV |B|SZ |D|R|W|T|V|
 * +--------------------------------------------------+-----+-+---+-+-+-+-+-+
 *
 * V   GNTV3_PTE_VALID      entry is in use.  An entry with V clear must be
 *                          all zero.
 * T   GNTV3_PTE_TABLE      entry points to the next-level table (FRAME is the
 *                          table page).  Never set at level 0.  With T set,
 *                          W, R, D and SZ must be zero.
 * W   GNTV3_PTE_WRITE      leaf: the grantee may map the frames writable.
 * R   GNTV3_PTE_REVOKED    leaf: the granter has revoked the grant.  No new
 *                          mapping may be made; existing mappings must be
 *                          torn down (see the notification ring below).
 * D   GNTV3_PTE_DOWNGRADE  leaf: a rw->ro downgrade is in progress.  W is
 *                          already clear; existing writable mappings must
 *                          be torn down or remapped read-only.  A native
 *                          grantee may map read-only meanwhile; a v1-backed
 *                          one must wait (a v1 entry cannot change its mode
 *                          while mapped, so the granter re-grants it
 *                          read-only after the ack).  Cleared once the
 *                          grantee acknowledged it.
 * SZ  GNTV3_PTE_SIZE       leaf size: 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB, 3 is
 *                          reserved.  Must equal the level the leaf sits at;
 *                          a grantee rejects any other value.
 * B   GNTV3_PTE_V1         FRAME holds a v1 grant reference (the first of
 *                          1 << (9 * SZ) consecutive ones for a leaf) instead
 *                          of a frame number.  Only the low 32 bits of FRAME
 *                          may then be non-zero.
 * RSV                      reserved, must be zero.
 * FRAME GNTV3_PTE_FRAME    frame number (native) or v1 grant reference.
 *                          A superpage's frame must be aligned to its size.
 */
#define GNTV3_PTE_VALID			(1ULL << 0)
#define GNTV3_PTE_TABLE			(1ULL << 1)
#define GNTV3_PTE_WRITE			(1ULL << 2)
#define GNTV3_PTE_REVOKED		(1ULL << 3)
#define GNTV3_PTE_DOWNGRADE		(1ULL << 4)
#define GNTV3_PTE_SIZE_SHIFT		5
#define GNTV3_PTE_SIZE_MASK		(3ULL << GNTV3_PTE_SIZE_SHIFT)
#define GNTV3_PTE_V1			(1ULL << 7)
#define GNTV3_PTE_RSV_MASK		(0xfULL << 8)
#define GNTV3_PTE_FRAME_SHIFT		12
#define GNTV3_PTE_FRAME_MASK		(~0ULL << GNTV3_PTE_FRAME_SHIFT)
#define GNTV3_PTE_V1_REF_MASK		(0xffffffffULL << GNTV3_PTE_FRAME_SHIFT)

/* Leaf sizes (SZ field values) and their page orders. */
#define GNTV3_SIZE_4K			0
#define GNTV3_SIZE_2M			1
#define GNTV3_SIZE_1G			2
#define GNTV3_SIZE_ORDER(sz)		(GNTV3_LEVEL_BITS * (sz))

#define GNTV3_PTE_SIZE(sz) \
	(((uint64_t)(sz) << GNTV3_PTE_SIZE_SHIFT) & GNTV3_PTE_SIZE_MASK)
#define GNTV3_PTE_GET_SIZE(pte) \
	((unsigned int)(((pte) & GNTV3_PTE_SIZE_MASK) >> GNTV3_PTE_SIZE_SHIFT))
#define GNTV3_PTE_FRAME(frame) \
	(((uint64_t)(frame) << GNTV3_PTE_FRAME_SHIFT) & GNTV3_PTE_FRAME_MASK)
#define GNTV3_PTE_GET_FRAME(pte)	((pte) >> GNTV3_PTE_FRAME_SHIFT)

/* ---------------------------------------------------------------------------
 * Tree descriptor: one 4 KiB page per tree, written only by the granter.
 *
 * Native: its GFN is passed to GNTTABOP_v3_register_tree.  v1-backed: it is
 * granted read-only to the grantee and its v1 reference is the tree
 * reference published in xenstore (GNTV3_XS_TREE_REF).
 *
 * @root is one 64-bit word so that a grantee reads the depth and the root
 * table together with a single load: bits 0-7 and 12-63 are a table entry
 * (V and T set, B as for any entry), bits 8-11 hold the number of levels
 * (1 .. GNTV3_MAX_LEVELS).  A root of zero means the tree is empty.  The
 * granter changes @root only when the tree grows or shrinks a level, and
 * bumps @generation after each change so a grantee can drop cached tables.
 */
struct gntv3_tree_desc {
	uint32_t magic;		/* GNTV3_TREE_MAGIC */
	uint16_t version;	/* GNTV3_ABI_VERSION */
	domid_t grantee;	/* the domain this tree grants to */
	uint32_t flags;		/* GNTV3_TREE_F_* */
	uint32_t generation;	/* bumped on every change of @root */
	uint64_t root;		/* root entry | levels << 8, see above */
	uint64_t reserved[5];	/* must be zero */
};

#define GNTV3_TREE_MAGIC		0x33544e47U	/* "GNT3" */
#define GNTV3_TREE_F_V1			(1U << 0)	/* entries hold v1 refs */

#define GNTV3_ROOT_LEVELS_SHIFT		8
#define GNTV3_ROOT_LEVELS_MASK		(0xfULL << GNTV3_ROOT_LEVELS_SHIFT)
#define GNTV3_ROOT_GET_LEVELS(root) \
	((unsigned int)(((root) & GNTV3_ROOT_LEVELS_MASK) >> \
			GNTV3_ROOT_LEVELS_SHIFT))
#define GNTV3_ROOT_ENTRY(root)		((root) & ~GNTV3_ROOT_LEVELS_MASK)

/* ---------------------------------------------------------------------------
 * Hypercall sub-ops offered by a v3 hypervisor (HYPERVISOR_grant_table_op).
 *
 * Probing: a guest issues GNTTABOP_v3_query with count 1.  A hypervisor
 * without grant tables v3 answers -ENOSYS (Xen's default for an unknown
 * grant table command); the guest then falls back to v1-backed trees.  Every
 * sub-op takes an array of @count argument structs and reports per-element
 * results in @status (GNTST_*).
 */
#define GNTTABOP_v3_query		32
#define GNTTABOP_v3_register_tree	33
#define GNTTABOP_v3_unregister_tree	34
#define GNTTABOP_v3_map			35
#define GNTTABOP_v3_unmap		36
#define GNTTABOP_v3_revoke		37
#define GNTTABOP_v3_copy		38

/*
 * Features reported by GNTTABOP_v3_query.  A hypervisor may implement the
 * sub-ops only in part: a guest uses the native transport only when every
 * feature it relies on is reported, and must treat an unreported one as
 * absent even if the sub-op happens to answer.
 */
#define GNTV3_FEAT_SUPERPAGE_2M		(1U << 0)	/* 2 MiB leaves map */
#define GNTV3_FEAT_SUPERPAGE_1G		(1U << 1)	/* 1 GiB leaves map */
#define GNTV3_FEAT_REVOKE_SCRATCH	(1U << 2)	/* revoke with scratch */
#define GNTV3_FEAT_DOWNGRADE		(1U << 3)	/* GNTV3_REVOKE_DOWNGRADE */
#define GNTV3_FEAT_TREES		(1U << 4)	/* register/unregister */
#define GNTV3_FEAT_MAP_PV		(1U << 5)	/* map/unmap, PV grantee */
#define GNTV3_FEAT_MAP_HVM		(1U << 6)	/* same, HVM/PVH (p2m) */
#define GNTV3_FEAT_MAP_DEVICE		(1U << 7)	/* GNTV3_MAP_DEVICE (IOMMU) */
#define GNTV3_FEAT_REVOKE		(1U << 8)	/* revoke, GNTV3_NO_SCRATCH */
#define GNTV3_FEAT_COPY			(1U << 9)	/* GNTTABOP_v3_copy */

/* What any native v3 user needs at least: trees, 4 KiB maps, revoke. */
#define GNTV3_FEAT_BASE	(GNTV3_FEAT_TREES | GNTV3_FEAT_REVOKE)

/*
 * GNTTABOP_v3_query: which tree ABI the hypervisor implements.
 *
 * It is also the granter's barrier against tree walks in progress.  The
 * hypervisor reads a native tree's tables only inside a hypercall, and a
 * query returns only once every walk that was in progress when it was
 * issued has ended.  A granter that unlinked a table from its native tree
 * issues a query before it reuses the table's page, so that no walk that
 * read the old entry above can take the page's new contents for entries.
 */
struct gnttab_v3_query {
	/* OUT parameters. */
	uint32_t version;	/* highest GNTV3_ABI_VERSION supported */
	uint32_t features;	/* GNTV3_FEAT_* */
	uint32_t max_levels;	/* deepest tree accepted */
	uint32_t max_trees;	/* trees a domain may register */
	int16_t status;		/* GNTST_okay */
	uint16_t pad[3];
};

/*
 * Tree handles.  GNTTABOP_v3_register_tree answers a handle that names the
 * new tree among the trees the calling domain registered; every later
 * sub-op about that tree carries it (map with the granter's domid).  A
 * domain may register several trees for the same grantee.  Handles are
 * never GNTV3_TREE_INVALID and are not reused while the domain lives
 * (until the 32-bit counter wraps, and never for a live tree).  For the
 * native transport the handle is the tree reference a frontend publishes
 * in GNTV3_XS_TREE_REF.
 */
typedef uint32_t gntv3_tree_t;

#define GNTV3_TREE_INVALID		0

/*
 * GNTTABOP_v3_register_tree: make @desc_gfn the descriptor of a new tree
 * this domain grants to @grantee through.  The descriptor must carry
 * GNTV3_TREE_MAGIC, a version between 1 and GNTV3_ABI_VERSION, @grantee,
 * no GNTV3_TREE_F_V1 and zero reserved words; the hypervisor keeps the page
 * referenced until the tree is unregistered or either domain dies.
 * GNTST_no_space once the domain has max_trees trees.
 */
struct gnttab_v3_register_tree {
	/* IN parameters. */
	domid_t grantee;
	uint16_t flags;		/* must be zero */
	uint32_t pad;		/* must be zero */
	uint64_t desc_gfn;	/* frame of the struct gntv3_tree_desc page */
	/* OUT parameters. */
	int16_t status;
	uint16_t pad2;
	gntv3_tree_t tree;	/* handle of the new tree */
};

/*
 * GNTTABOP_v3_unregister_tree: forget the tree @tree (registered by the
 * caller for @grantee).  Fails with GNTST_eagain while the grantee still
 * maps any of its ids, GNTST_bad_handle for an unknown handle or one whose
 * grantee is not @grantee.
 */
struct gnttab_v3_unregister_tree {
	/* IN parameters. */
	domid_t grantee;
	uint16_t pad;		/* must be zero */
	gntv3_tree_t tree;	/* from GNTTABOP_v3_register_tree */
	/* OUT parameters. */
	int16_t status;
	uint16_t pad2[3];
};

/* Flags for GNTTABOP_v3_map (same meaning as GNTMAP_*). */
#define GNTV3_MAP_READONLY		(1U << 0)
#define GNTV3_MAP_HOST			(1U << 1)
#define GNTV3_MAP_DEVICE		(1U << 2)

/* PV grantees only: how GNTV3_MAP_HOST maps (as the GNTMAP_* flags). */
#define GNTV3_MAP_CONTAINS_PTE		(1U << 3)	/* host_addr: PTE maddr */
#define GNTV3_MAP_APPLICATION		(1U << 4)	/* user-accessible PTE */

/*
 * GNTTABOP_v3_map: map the grant @id of @granter's tree @tree for the
 * caller, which must be the tree's grantee.  @size must match the leaf (a
 * 4 KiB map of an id inside a superpage maps that id's 4 KiB piece).  One
 * element maps a whole superpage: for a PV grantee @host_addr then names
 * the first of 512 consecutive PTEs (GNTV3_MAP_CONTAINS_PTE: their machine
 * address, all in one page table page) or virtual pages.
 */
struct gnttab_v3_map {
	/* IN parameters. */
	gntv3_id_t id;
	uint64_t host_addr;	/* GNTV3_MAP_HOST: where to map */
	gntv3_tree_t tree;	/* the granter's handle of the tree */
	uint32_t flags;		/* GNTV3_MAP_* */
	domid_t granter;
	uint8_t size;		/* GNTV3_SIZE_* */
	uint8_t pad;		/* must be zero */
	/* OUT parameters. */
	grant_handle_t handle;	/* for GNTTABOP_v3_unmap */
	uint64_t dev_bus_addr;	/* GNTV3_MAP_DEVICE: bus address */
	int16_t status;
	uint16_t pad2[3];
};

/*
 * GNTTABOP_v3_unmap: undo one GNTTABOP_v3_map (all of a superpage).  The
 * mapping @handle names the tree and id the hypervisor recorded at map
 * time, so no tree handle is needed here.
 */
struct gnttab_v3_unmap {
	/* IN parameters. */
	uint64_t host_addr;
	uint64_t dev_bus_addr;
	grant_handle_t handle;
	/* OUT parameters. */
	int16_t status;
	uint16_t pad;
};

/* Flags for GNTTABOP_v3_revoke. */
#define GNTV3_REVOKE_DOWNGRADE		(1U << 0)	/* rw -> ro only */

/*
 * GNTTABOP_v3_revoke: take grant @id of the caller's tree @tree back from
 * @grantee now.  @id is the first id of a leaf as it was when mapped
 * (revoking a superpage takes every mapping of any of its pieces).  Every
 * mapping the grantee still holds is redirected to @scratch_gfn (a frame
 * of the caller, mapped with the access the mapping had), so the granter
 * may reuse the frame as soon as the call returns.  With
 * GNTV3_REVOKE_DOWNGRADE only writable mappings are affected, and they are
 * made read-only in place (same frame; @scratch_gfn is then only a "force"
 * flag and is not used).  With @scratch_gfn == GNTV3_NO_SCRATCH the call
 * fails with GNTST_eagain while mappings exist (writable ones, for a
 * downgrade).  The call does not change the tree: the granter clears or
 * rewrites the leaf itself first, so that no new mapping can be made
 * meanwhile.  A grantee's later GNTTABOP_v3_unmap of a redirected mapping
 * succeeds as usual.
 */
struct gnttab_v3_revoke {
	/* IN parameters. */
	gntv3_id_t id;
	uint64_t scratch_gfn;
	domid_t grantee;
	uint16_t flags;		/* GNTV3_REVOKE_* */
	gntv3_tree_t tree;	/* from GNTTABOP_v3_register_tree */
	/* OUT parameters. */
	uint32_t nr_redirected;	/* grantee mappings redirected */
	int16_t status;
	uint16_t pad;
};

#define GNTV3_NO_SCRATCH		(~(uint64_t)0)

/*
 * GNTTABOP_v3_copy: copy bytes between a grant of a tree and a frame of the
 * caller, as GNTTABOP_copy does for v1 references.  DECLARED ONLY: no
 * hypervisor implements it yet (GNTV3_FEAT_COPY is never reported, the
 * prototype answers -ENOSYS).  A grant side names (@domid, @tree, @id);
 * the other side is a GFN of the caller.  The copy stays within one 4 KiB
 * frame on each side.
 */
#define GNTV3_COPY_SOURCE_GRANT		(1U << 0)	/* source is a grant */
#define GNTV3_COPY_DEST_GRANT		(1U << 1)	/* dest is a grant */

struct gnttab_v3_copy_ptr {
	union {
		gntv3_id_t id;		/* grant side: the id */
		uint64_t gfn;		/* local side: a frame of the caller */
	} u;
	gntv3_tree_t tree;		/* grant side: tree handle */
	domid_t domid;			/* grant side: the granter */
	uint16_t offset;		/* byte offset in the 4 KiB frame */
};

struct gnttab_v3_copy {
	/* IN parameters. */
	struct gnttab_v3_copy_ptr source;
	struct gnttab_v3_copy_ptr dest;
	uint16_t len;			/* offset + len <= 4096 on each side */
	uint16_t flags;			/* GNTV3_COPY_* */
	/* OUT parameters. */
	int16_t status;
	uint16_t pad;
};

/* ---------------------------------------------------------------------------
 * Revoke/notification ring: one 4 KiB page granted by the frontend to the
 * backend, plus an interdomain event channel.
 *
 * The page holds two lanes of GNTV3_RING_SLOTS messages each:
 *  - f2b: the frontend's requests (REVOKE, DOWNGRADE, FORGET), each
 *    answered by one ACK written by the backend into the same slot;
 *  - b2f: the backend's notifications (UNMAPPED), each answered by one ACK
 *    from the frontend in the same slot.
 * Indices are free-running uint32_t counters, masked with
 * (GNTV3_RING_SLOTS - 1) to find a slot.  A producer writes the message,
 * issues a write barrier, then advances its producer index and notifies the
 * event channel; a consumer reads the index, issues a read barrier, then
 * copies the message out once before validating it.  Each side must treat
 * every index and field written by its peer as untrusted: a lane with
 * req_prod - rsp_prod > GNTV3_RING_SLOTS is corrupt.
 */
#define GNTV3_RING_SLOTS		32

/* Message ops. */
#define GNTV3_RING_OP_REVOKE		1	/* f2b: unmap, stop using ids */
#define GNTV3_RING_OP_DOWNGRADE		2	/* f2b: keep ids read-only only */
#define GNTV3_RING_OP_UNMAPPED		3	/* b2f: backend dropped ids */
#define GNTV3_RING_OP_FORGET		4	/* f2b: ids ended, drop cached */
#define GNTV3_RING_OP_ACK		0x80	/* ORed into the op of a reply */

/*
 * FORGET tells the backend that the frontend ended the grants of the range
 * while the backend still mapped some of them: mappings the backend kept
 * for reuse only (a mapping cache) should go now.  Unlike REVOKE it asks
 * nothing of the backend's users, and its ACK is only a hint: the
 * frontend then retries taking the grants back at once, and if some are
 * still mapped, waits for the backend as without FORGET.  A backend that
 * does not know the op answers GNTST_general_error, which changes nothing.
 */

struct gntv3_ring_msg {
	gntv3_id_t id;		/* first id of the range */
	uint32_t nr_ids;	/* number of ids in the range, >= 1 */
	uint32_t cookie;	/* chosen by the requester, echoed in the ACK */
	uint8_t op;		/* GNTV3_RING_OP_* */
	uint8_t flags;		/* must be zero */
	int16_t status;		/* ACK: GNTST_* result; request: zero */
	uint32_t pad;
	uint64_t reserved;	/* must be zero */
};

struct gntv3_ring_lane {
	uint32_t req_prod;	/* advanced by the requester */
	uint32_t rsp_prod;	/* advanced by the responder */
	uint32_t pad[6];
};

struct gntv3_sring {
	struct gntv3_ring_lane f2b_idx;
	struct gntv3_ring_lane b2f_idx;
	struct gntv3_ring_msg f2b[GNTV3_RING_SLOTS];
	struct gntv3_ring_msg b2f[GNTV3_RING_SLOTS];
};

/* ---------------------------------------------------------------------------
 * Xenstore keys for feature and version negotiation.
 *
 * Backend directory:
 *   feature-gntv3        highest GNTV3_ABI_VERSION the backend speaks
 * Frontend directory (written before switching to XenbusStateInitialised):
 *   gntv3-version        version chosen (<= both sides' highest)
 *   gntv3-transport      "native" or "v1": how the tree is made visible
 *   gntv3-tree-ref       v1: grant reference of the tree descriptor page
 *   gntv3-ring-ref       grant reference of the struct gntv3_sring page
 *   gntv3-event-channel  interdomain event channel port for the ring
 */
#define GNTV3_XS_FEATURE		"feature-gntv3"
#define GNTV3_XS_VERSION		"gntv3-version"
#define GNTV3_XS_TRANSPORT		"gntv3-transport"
#define GNTV3_XS_TREE_REF		"gntv3-tree-ref"
#define GNTV3_XS_RING_REF		"gntv3-ring-ref"
#define GNTV3_XS_EVTCHN			"gntv3-event-channel"

#define GNTV3_XS_TRANSPORT_NATIVE	"native"
#define GNTV3_XS_TRANSPORT_V1		"v1"

#endif /* __XEN_PUBLIC_GRANT_TABLE_V3_H__ */
