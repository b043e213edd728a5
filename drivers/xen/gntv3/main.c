// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3: grant table v3 for Xen guests, module entry points.
 *
 * At load the hypervisor is probed once for the grant table v3 sub-ops
 * (GNTTABOP_v3_query); stock Xen answers -ENOSYS and the v1 transport is
 * used.  Then the frontend, the connections, the backend, debugfs and
 * /dev/gntv3 come up, in that order, and go down in reverse.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <xen/page.h>
#include <xen/xen.h>

#include "conn.h"
#include "internal.h"

static char *transport = "auto";
module_param(transport, charp, 0444);
MODULE_PARM_DESC(transport,
		 "How grant trees reach backends: auto (default: native if the hypervisor implements grant table v3, else v1), v1, or native (refuse to load without hypervisor support)");

unsigned int gntv3_quarantine_retry_ms = 1000;
module_param_named(quarantine_retry_ms, gntv3_quarantine_retry_ms, uint, 0644);
MODULE_PARM_DESC(quarantine_retry_ms,
		 "Milliseconds between retries to end the access to grants and pages a backend still mapped (default 1000, at least 1)");

const struct gntv3_transport_ops *gntv3_transport;
int gntv3_probe_rc;
struct gntv3_global_stats gntv3_stats;

static int __init gntv3_select_transport(void)
{
	gntv3_probe_rc = gntv3_transport_probe();

	if (sysfs_streq(transport, "v1")) {
		gntv3_transport = &gntv3_transport_v1;
	} else if (sysfs_streq(transport, "native")) {
		if (gntv3_probe_rc) {
			pr_err("transport=native, but the hypervisor does not implement grant table v3 (GNTTABOP_v3_query: %d)\n",
			       gntv3_probe_rc);
			return -ENODEV;
		}
		gntv3_transport = &gntv3_transport_native;
	} else if (sysfs_streq(transport, "auto")) {
		gntv3_transport = gntv3_probe_rc ? &gntv3_transport_v1 :
						   &gntv3_transport_native;
	} else {
		pr_err("unknown transport=%s (auto, v1 or native)\n",
		       transport);
		return -EINVAL;
	}

	pr_info("using the %s transport (GNTTABOP_v3_query: %d)\n",
		gntv3_transport->name, gntv3_probe_rc);
	return 0;
}

/**
 * gntv3_transport_grantee() - the transport an attachment reaches a tree by
 *
 * The one this module selected at load, as for its own trees: a tree
 * reference is a v1 grant reference of a descriptor (v1) or a tree handle
 * from GNTTABOP_v3_register_tree (native), and nothing in the number says
 * which.  Both domains run on the same hypervisor, so with transport=auto
 * both choose alike; the xenstore connection also compares the transport
 * the frontend published (gntv3_back_xs_read()).
 *
 * Return: the transport, never NULL once the module is loaded.
 */
const struct gntv3_transport_ops *gntv3_transport_grantee(void)
{
	return gntv3_transport;
}

/*
 * The shared layouts of grant_table_v3.h are read by another domain (or a
 * hypervisor) built by another compiler: pin their sizes and the offsets
 * the ABI documentation gives, so that no change slips in unnoticed.
 */
static void __init gntv3_check_abi_layout(void)
{
	BUILD_BUG_ON(sizeof(struct gntv3_tree_desc) != 64);
	BUILD_BUG_ON(offsetof(struct gntv3_tree_desc, root) != 16);
	BUILD_BUG_ON(sizeof(struct gnttab_v3_query) != 24);
	BUILD_BUG_ON(sizeof(struct gnttab_v3_register_tree) != 24);
	BUILD_BUG_ON(sizeof(struct gnttab_v3_unregister_tree) != 16);
	BUILD_BUG_ON(sizeof(struct gnttab_v3_map) != 48);
	BUILD_BUG_ON(sizeof(struct gnttab_v3_unmap) != 24);
	BUILD_BUG_ON(sizeof(struct gnttab_v3_revoke) != 32);
	BUILD_BUG_ON(sizeof(struct gntv3_ring_msg) != 32);
	BUILD_BUG_ON(sizeof(struct gntv3_ring_lane) != 32);
	BUILD_BUG_ON(offsetof(struct gntv3_sring, f2b) != 64);
	BUILD_BUG_ON(offsetof(struct gntv3_sring, b2f) != 1088);
	BUILD_BUG_ON(sizeof(struct gntv3_sring) != 2112);
	BUILD_BUG_ON(sizeof(struct gntv3_sring) > XEN_PAGE_SIZE);
	BUILD_BUG_ON(GNTV3_RING_SLOTS & (GNTV3_RING_SLOTS - 1));
	BUILD_BUG_ON(GNTV3_PTES_PER_TABLE * sizeof(u64) != XEN_PAGE_SIZE);
}

static int __init gntv3_init(void)
{
	int rc;

	gntv3_check_abi_layout();
	if (!xen_domain())
		return -ENODEV;

	rc = gntv3_select_transport();
	if (rc)
		return rc;

	rc = gntv3_front_init();
	if (rc)
		return rc;

	rc = gntv3_conn_init();
	if (rc)
		goto err_front;

	rc = gntv3_back_init();
	if (rc)
		goto err_conn;

	gntv3_debugfs_init();
	rc = gntv3_dev_init();
	if (rc)
		goto err_debugfs;

	return 0;

err_debugfs:
	gntv3_debugfs_exit();
	gntv3_back_exit();
err_conn:
	gntv3_conn_exit();
err_front:
	gntv3_front_exit();
	return rc;
}
module_init(gntv3_init);

static void __exit gntv3_exit(void)
{
	gntv3_dev_exit();
	gntv3_debugfs_exit();
	gntv3_back_exit();
	gntv3_conn_exit();
	gntv3_front_exit();
	gntv3_transport_exit();
}
module_exit(gntv3_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Xen grant table v3: per-backend grant trees with superpage grants");
