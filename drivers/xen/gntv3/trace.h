/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3 tracepoints: where a grant, a map, an unmap and a revoke spend
 * their time, for the kernel's own tracing tools (tracefs events/gntv3/,
 * perf, trace-cmd).  One event per step of Documentation/gntv3/revoke.rst:
 *
 *   frontend: gntv3_grant, gntv3_end, gntv3_revoke_sent, gntv3_revoke_acked
 *   backend:  gntv3_map, gntv3_unmap, gntv3_unmap_retry,
 *             gntv3_revoke_req (a request taken off the ring),
 *             gntv3_revoke_ack (the ACK put on the ring)
 *
 * A revoke round trip reads revoke_sent -> revoke_req -> unmap ->
 * revoke_ack -> revoke_acked, each stamped by the tracer.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM gntv3

#if !defined(_GNTV3_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GNTV3_TRACE_H

#include <linux/tracepoint.h>
#include <linux/types.h>

TRACE_EVENT(gntv3_grant,
	    TP_PROTO(u16 domid, u64 id, unsigned int order, bool ro, int rc),
	    TP_ARGS(domid, id, order, ro, rc),
	    TP_STRUCT__entry(__field(u16, domid)
			     __field(u64, id)
			     __field(unsigned int, order)
			     __field(bool, ro)
			     __field(int, rc)
	    ),
	    TP_fast_assign(__entry->domid = domid;
			   __entry->id = id;
			   __entry->order = order;
			   __entry->ro = ro;
			   __entry->rc = rc;
	    ),
	    TP_printk("dom=%u id=%#llx order=%u %s rc=%d", __entry->domid,
		      __entry->id, __entry->order, __entry->ro ? "ro" : "rw",
		      __entry->rc)
);

TRACE_EVENT(gntv3_end,
	    TP_PROTO(u16 domid, u64 id, int rc),
	    TP_ARGS(domid, id, rc),
	    TP_STRUCT__entry(__field(u16, domid)
			     __field(u64, id)
			     __field(int, rc)
	    ),
	    TP_fast_assign(__entry->domid = domid;
			   __entry->id = id;
			   __entry->rc = rc;
	    ),
	    TP_printk("dom=%u id=%#llx rc=%d", __entry->domid, __entry->id,
		      __entry->rc)
);

TRACE_EVENT(gntv3_map,
	    TP_PROTO(u16 domid, u64 first_id, unsigned int nr, int rc),
	    TP_ARGS(domid, first_id, nr, rc),
	    TP_STRUCT__entry(__field(u16, domid)
			     __field(u64, first_id)
			     __field(unsigned int, nr)
			     __field(int, rc)
	    ),
	    TP_fast_assign(__entry->domid = domid;
			   __entry->first_id = first_id;
			   __entry->nr = nr;
			   __entry->rc = rc;
	    ),
	    TP_printk("dom=%u id=%#llx nr=%u rc=%d", __entry->domid,
		      __entry->first_id, __entry->nr, __entry->rc)
);

TRACE_EVENT(gntv3_unmap,
	    TP_PROTO(u16 domid, u64 id, unsigned int nr_pages, int result),
	    TP_ARGS(domid, id, nr_pages, result),
	    TP_STRUCT__entry(__field(u16, domid)
			     __field(u64, id)
			     __field(unsigned int, nr_pages)
			     __field(int, result)
	    ),
	    TP_fast_assign(__entry->domid = domid;
			   __entry->id = id;
			   __entry->nr_pages = nr_pages;
			   __entry->result = result;
	    ),
	    TP_printk("dom=%u id=%#llx pages=%u result=%d", __entry->domid,
		      __entry->id, __entry->nr_pages, __entry->result)
);

TRACE_EVENT(gntv3_unmap_retry,
	    TP_PROTO(u16 domid, u64 id, unsigned int retry,
		     unsigned int delay_ms),
	    TP_ARGS(domid, id, retry, delay_ms),
	    TP_STRUCT__entry(__field(u16, domid)
			     __field(u64, id)
			     __field(unsigned int, retry)
			     __field(unsigned int, delay_ms)
	    ),
	    TP_fast_assign(__entry->domid = domid;
			   __entry->id = id;
			   __entry->retry = retry;
			   __entry->delay_ms = delay_ms;
	    ),
	    TP_printk("dom=%u id=%#llx retry=%u in %u ms", __entry->domid,
		      __entry->id, __entry->retry, __entry->delay_ms)
);

/* Both ends of the ring: the request and its ACK. */
DECLARE_EVENT_CLASS(gntv3_revoke_msg,
		    TP_PROTO(u16 domid, u64 id, u32 nr_ids, bool downgrade,
			     int status),
		    TP_ARGS(domid, id, nr_ids, downgrade, status),
		    TP_STRUCT__entry(__field(u16, domid)
				     __field(u64, id)
				     __field(u32, nr_ids)
				     __field(bool, downgrade)
				     __field(int, status)
		    ),
		    TP_fast_assign(__entry->domid = domid;
				   __entry->id = id;
				   __entry->nr_ids = nr_ids;
				   __entry->downgrade = downgrade;
				   __entry->status = status;
		    ),
		    TP_printk("dom=%u id=%#llx nr=%u %s status=%d", __entry->domid,
			      __entry->id, __entry->nr_ids,
			      __entry->downgrade ? "downgrade" : "revoke", __entry->status)
);

DEFINE_EVENT(gntv3_revoke_msg, gntv3_revoke_sent,
	     TP_PROTO(u16 domid, u64 id, u32 nr_ids, bool downgrade,
		      int status),
	     TP_ARGS(domid, id, nr_ids, downgrade, status));
DEFINE_EVENT(gntv3_revoke_msg, gntv3_revoke_req,
	     TP_PROTO(u16 domid, u64 id, u32 nr_ids, bool downgrade,
		      int status),
	     TP_ARGS(domid, id, nr_ids, downgrade, status));
DEFINE_EVENT(gntv3_revoke_msg, gntv3_revoke_ack,
	     TP_PROTO(u16 domid, u64 id, u32 nr_ids, bool downgrade,
		      int status),
	     TP_ARGS(domid, id, nr_ids, downgrade, status));
/* status: the backend's GNTST_*, or 1 when no answer came in time */
DEFINE_EVENT(gntv3_revoke_msg, gntv3_revoke_acked,
	     TP_PROTO(u16 domid, u64 id, u32 nr_ids, bool downgrade,
		      int status),
	     TP_ARGS(domid, id, nr_ids, downgrade, status));

#endif /* _GNTV3_TRACE_H */

/* Out of the kernel's include/trace/events/: the header is found here. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
