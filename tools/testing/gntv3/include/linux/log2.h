/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace stand-in for <linux/log2.h>. */
#ifndef _SHIM_LINUX_LOG2_H
#define _SHIM_LINUX_LOG2_H

#include <linux/bitops.h>

#define ilog2(n)		(fls64((u64)(n)) - 1)
#define is_power_of_2(n)	((n) != 0 && (((n) & ((n) - 1)) == 0))
#define order_base_2(n)		((u64)(n) > 1 ? ilog2((u64)(n) - 1) + 1 : 0)

#endif
