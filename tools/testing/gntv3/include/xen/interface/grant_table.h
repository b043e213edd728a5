/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace stand-in for <xen/interface/grant_table.h>: the grant types and
 * status codes that grant_table_v3.h refers to (values from the Xen ABI).
 */
#ifndef _SHIM_XEN_INTERFACE_GRANT_TABLE_H
#define _SHIM_XEN_INTERFACE_GRANT_TABLE_H

#include <xen/interface/xen.h>

typedef uint32_t grant_ref_t;
typedef uint32_t grant_handle_t;

#define GNTST_okay		(0)
#define GNTST_general_error	(-1)
#define GNTST_bad_domain	(-2)
#define GNTST_bad_gntref	(-3)
#define GNTST_bad_handle	(-4)
#define GNTST_bad_virt_addr	(-5)
#define GNTST_bad_dev_addr	(-6)
#define GNTST_no_device_space	(-7)
#define GNTST_permission_denied	(-8)
#define GNTST_bad_page		(-9)
#define GNTST_bad_copy_arg	(-10)
#define GNTST_address_too_big	(-11)
#define GNTST_eagain		(-12)
#define GNTST_no_space		(-13)

#endif
