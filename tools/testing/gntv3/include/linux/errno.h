/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace stand-in for <linux/errno.h>.  libc's <errno.h> itself reaches
 * <linux/errno.h> (this file, by include order), so take the numbers from
 * the system's uapi <asm/errno.h>: they are the kernel's.
 */
#ifndef _SHIM_LINUX_ERRNO_H
#define _SHIM_LINUX_ERRNO_H

#include <asm/errno.h>

#endif
