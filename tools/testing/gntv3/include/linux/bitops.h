/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace stand-in for <linux/bitops.h>: the bit searches gntv3 uses. */
#ifndef _SHIM_LINUX_BITOPS_H
#define _SHIM_LINUX_BITOPS_H

#include <linux/types.h>

/* Index of the lowest set bit; undefined for 0 as in the kernel. */
static inline unsigned int __ffs64(u64 word)
{
	return (unsigned int)__builtin_ctzll(word);
}

/* Index of the highest set bit, plus one; 0 for 0. */
static inline int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

#endif
