/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace stand-in for <xen/interface/xen.h>: only domid_t is needed. */
#ifndef _SHIM_XEN_INTERFACE_XEN_H
#define _SHIM_XEN_INTERFACE_XEN_H

#include <linux/types.h>

typedef uint16_t domid_t;

#endif
