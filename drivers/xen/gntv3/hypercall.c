// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3's hypercalls, one error-injectable wrapper each (see hypercall.h).
 *
 * A wrapper does nothing but the call: an injected fault skips its whole
 * body and returns the errno, which is what the caller would see had the
 * hypervisor refused the call as a whole.  So nothing the caller relies on
 * may happen in here.  In particular the per-op statuses of an injected
 * (or a real, half-done) call are whatever the caller put there: every
 * map op gntv3 makes starts with a failed status (gnttab_set_map_op(),
 * GNTV3_ST_NOT_REACHED), so an op the hypervisor never reached reads as
 * failed, never as done.
 *
 * noinline keeps each wrapper a function of its own, which is what
 * fail_function and kprobes attach to.
 */

#include <linux/error-injection.h>
#include <xen/events.h>
#include <xen/interface/event_channel.h>
#include <asm/xen/hypercall.h>

#include "hypercall.h"

/**
 * gntv3_hyp_map_refs() - gnttab_map_refs() of a batch of v1 map ops
 * @ops: the map ops, their status preset to a failure
 * @kops: PV: the kernel-mapping ops beside @ops, or NULL
 * @pages: the pages mapped into
 * @count: number of ops (and pages)
 *
 * Return: 0 or the hypercall's negative errno; each op's own result is in
 * its status.
 */
noinline int gntv3_hyp_map_refs(struct gnttab_map_grant_ref *ops,
				struct gnttab_map_grant_ref *kops,
				struct page **pages, unsigned int count)
{
	return gnttab_map_refs(ops, kops, pages, count);
}
ALLOW_ERROR_INJECTION(gntv3_hyp_map_refs, ERRNO);

/**
 * gntv3_hyp_unmap_refs() - gnttab_unmap_refs() of a batch of v1 unmap ops
 * @ops: the unmap ops
 * @kops: PV: the kernel-mapping ops beside @ops, or NULL
 * @pages: the pages unmapped
 * @count: number of ops (and pages)
 *
 * Return: 0 or the hypercall's negative errno.
 */
noinline int gntv3_hyp_unmap_refs(struct gnttab_unmap_grant_ref *ops,
				  struct gnttab_unmap_grant_ref *kops,
				  struct page **pages, unsigned int count)
{
	return gnttab_unmap_refs(ops, kops, pages, count);
}
ALLOW_ERROR_INJECTION(gntv3_hyp_unmap_refs, ERRNO);

/**
 * gntv3_hyp_gnttab_setup() - a grant table sub-op that sets something up
 * @cmd: GNTTABOP_v3_query, GNTTABOP_v3_register_tree or GNTTABOP_v3_map
 * @uop: its argument array
 * @count: its number of elements
 *
 * Return: the hypercall's result.
 */
noinline int gntv3_hyp_gnttab_setup(unsigned int cmd, void *uop,
				    unsigned int count)
{
	return HYPERVISOR_grant_table_op(cmd, uop, count);
}
ALLOW_ERROR_INJECTION(gntv3_hyp_gnttab_setup, ERRNO);

/**
 * gntv3_hyp_gnttab_teardown() - a grant table sub-op that takes something
 *	down
 * @cmd: GNTTABOP_unmap_grant_ref, GNTTABOP_v3_unmap,
 *	GNTTABOP_v3_unregister_tree, GNTTABOP_v3_revoke, or GNTTABOP_v3_query
 *	as the barrier before a native table page is freed
 * @uop: its argument array
 * @count: its number of elements
 *
 * Return: the hypercall's result.
 */
noinline int gntv3_hyp_gnttab_teardown(unsigned int cmd, void *uop,
				       unsigned int count)
{
	return HYPERVISOR_grant_table_op(cmd, uop, count);
}
ALLOW_ERROR_INJECTION(gntv3_hyp_gnttab_teardown, ERRNO);

/**
 * gntv3_hyp_evtchn_setup() - an event channel op that makes a port
 * @cmd: EVTCHNOP_alloc_unbound or EVTCHNOP_bind_interdomain
 * @arg: its argument, which receives the port
 *
 * Return: the hypercall's result.
 */
noinline int gntv3_hyp_evtchn_setup(int cmd, void *arg)
{
	return HYPERVISOR_event_channel_op(cmd, arg);
}
ALLOW_ERROR_INJECTION(gntv3_hyp_evtchn_setup, ERRNO);

/**
 * gntv3_hyp_evtchn_close() - close a port no irq was bound to
 * @port: the port
 *
 * Return: the hypercall's result.
 */
noinline int gntv3_hyp_evtchn_close(evtchn_port_t port)
{
	struct evtchn_close close = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
}
ALLOW_ERROR_INJECTION(gntv3_hyp_evtchn_close, ERRNO);

/**
 * gntv3_hyp_batch_copy() - gnttab_batch_copy() of v1 copy ops
 * @ops: the copy ops
 * @count: their number
 *
 * gnttab_batch_copy() itself says nothing: each op's result is in its
 * status.
 *
 * Return: 0, or an injected fault's errno (then no op was tried).
 */
noinline int gntv3_hyp_batch_copy(struct gnttab_copy *ops, unsigned int count)
{
	gnttab_batch_copy(ops, count);
	return 0;
}
ALLOW_ERROR_INJECTION(gntv3_hyp_batch_copy, ERRNO);
