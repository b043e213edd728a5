/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Harness side of the kernel shims: allocation accounting, failure
 * injection (like iommufd's fail_nth) and the smp_wmb() hook.
 */
#ifndef _GNTV3_SHIM_H
#define _GNTV3_SHIM_H

#include <linux/types.h>

/* kmalloc-family allocations not yet freed. */
extern long shim_live_allocs;

/*
 * shim_fail_nth(n): the n-th failure point from now on fails (n >= 1), and
 * only that one; n == 0 disables injection.  Failure points are shim
 * kmalloc calls and whatever else asks shim_should_fail() (the fake table
 * provider).  shim_fail_points() tells how many points were passed since.
 */
void shim_fail_nth(unsigned long n);
bool shim_should_fail(void);
unsigned long shim_fail_points(void);

/* Called by every smp_wmb() in the core, when set. */
extern void (*shim_wmb_hook)(void *arg);
extern void *shim_wmb_arg;
extern unsigned long shim_nr_wmb;

#endif
