/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntv3's hypercalls, each behind one wrapper of hypercall.c.
 *
 * Every grant table and event channel hypercall gntv3 makes goes through
 * one of these, so that a test can make any of them fail: the kernel's
 * fail_function (CONFIG_FAIL_FUNCTION, with the per-task fail-nth of
 * CONFIG_FAULT_INJECTION), or the gntv3_fault test module on kernels
 * without it.  The wrappers come in two classes:
 *
 *  - set-up calls (gntv3_hyp_map_refs(), gntv3_hyp_gnttab_setup(),
 *    gntv3_hyp_evtchn_setup(), gntv3_hyp_batch_copy()): a failure leaves
 *    nothing behind, the caller undoes its own steps and returns the
 *    errno.  These are what the fail-nth sweeps inject.
 *  - tear-down calls (gntv3_hyp_unmap_refs(), gntv3_hyp_gnttab_teardown(),
 *    gntv3_hyp_evtchn_close()): when Xen refuses to unmap, the page may
 *    still be mapped, and gntv3 leaks it on purpose (counted) rather than
 *    free it.  The fail-nth sweeps leave them out; sweeps of their own
 *    (gntv3_fault teardown=1, in a VM run that expects the leaks) check
 *    that each refusal is counted, contained and survives module unload.
 */
#ifndef _GNTV3_HYPERCALL_H
#define _GNTV3_HYPERCALL_H

#include <linux/types.h>
#include <xen/grant_table.h>

struct page;

/*
 * The status gntv3 puts in its native map ops before the call: an op the
 * hypervisor never reached (a call that failed as a whole, half-way or by
 * an injected fault) must read as failed, not as GNTST_okay (0), which
 * their zeroed array would say.  gnttab_set_map_op() does the same for v1
 * map ops (status 1); a v1 copy that fails as a whole fails each of its
 * ops with the call's errno (gntv3_v1_copy()).
 */
#define GNTV3_ST_NOT_REACHED	GNTST_general_error

int gntv3_hyp_map_refs(struct gnttab_map_grant_ref *ops,
		       struct gnttab_map_grant_ref *kops, struct page **pages,
		       unsigned int count);
int gntv3_hyp_unmap_refs(struct gnttab_unmap_grant_ref *ops,
			 struct gnttab_unmap_grant_ref *kops,
			 struct page **pages, unsigned int count);
int gntv3_hyp_gnttab_setup(unsigned int cmd, void *uop, unsigned int count);
int gntv3_hyp_gnttab_teardown(unsigned int cmd, void *uop,
			      unsigned int count);
int gntv3_hyp_evtchn_setup(int cmd, void *arg);
int gntv3_hyp_evtchn_close(evtchn_port_t port);
int gntv3_hyp_batch_copy(struct gnttab_copy *ops, unsigned int count);

#endif /* _GNTV3_HYPERCALL_H */
