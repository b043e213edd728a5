/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace stand-in for <linux/limits.h>: the fixed-width maxima the pure
 * core uses.
 */
#ifndef _SHIM_LINUX_LIMITS_H
#define _SHIM_LINUX_LIMITS_H

#include <linux/types.h>

#define U16_MAX		((u16)~0U)

#endif /* _SHIM_LINUX_LIMITS_H */
