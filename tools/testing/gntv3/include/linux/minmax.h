/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace stand-in for <linux/minmax.h>.  min()/max() refuse operands of
 * different types like the kernel's do, so type slips show up here too.
 */
#ifndef _SHIM_LINUX_MINMAX_H
#define _SHIM_LINUX_MINMAX_H

#define __shim_cmp(x, y, op) ({						\
	__typeof__(x) __x = (x);					\
	__typeof__(y) __y = (y);					\
	_Static_assert(__builtin_types_compatible_p(__typeof__(__x),	\
						    __typeof__(__y)),	\
		       "min/max of different types");			\
	__x op __y ? __x : __y;						\
})

#define min(x, y)		__shim_cmp(x, y, <)
#define max(x, y)		__shim_cmp(x, y, >)
#define min_t(t, x, y)		__shim_cmp((t)(x), (t)(y), <)
#define max_t(t, x, y)		__shim_cmp((t)(x), (t)(y), >)

#endif
