// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 xenstore helpers: the one transaction loop of the module, strict
 * number parsing, and the gntv3 keys a driver keeps in its own xenbus
 * device directory.
 *
 * A Xen driver keeps its ring references, event channels and feature-*
 * keys in its own device directory and runs one XenbusState machine.  A
 * driver that also hands a gntv3 tree and revoke ring to its peer does not
 * need a second directory or state machine for them: inside its own
 * transaction
 *
 *   backend, before InitWait    gntv3_back_xs_advertise(xbt, dev->nodename)
 *   frontend, backend InitWait  gntv3_front_xs_publish(front, xbt,
 *				   dev->nodename, dev->otherend)
 *   backend, frontend Initialised
 *				 gntv3_back_xs_read(xbt, dev->otherend, &keys)
 *				 then gntv3_back_connect_keys()
 *   frontend, backend Connected gntv3_front_ring_up()
 *   frontend, backend gone      gntv3_front_ring_down()
 *
 * and the keys (GNTV3_XS_* of <xen/interface/grant_table_v3.h>) sit next
 * to the driver's own.  The standalone directory data/gntv3/<devid> of
 * gntv3_front_connect() and gntv3_back_connect() (conn.h) is for
 * /dev/gntv3 and tests.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/gntv3.h>
#include <xen/xen.h>
#include <xen/xenbus.h>

#include "internal.h"

/**
 * gntv3_xs_transaction() - run @fn inside a xenstore transaction
 * @fn: reads and writes through the transaction it is given; returns 0 to
 *	commit, a negative errno to abort
 * @data: its argument
 *
 * Starts a transaction, calls @fn, and commits; when xenstore answers
 * -EAGAIN (another writer got in between) everything is done again, so @fn
 * must only read and write xenstore and give the same result when called
 * again.
 *
 * Context: process context, may sleep.
 * Return: 0 once committed, the error of @fn (the transaction is then
 * aborted), or a xenstore error.
 */
int gntv3_xs_transaction(gntv3_xs_fn fn, void *data)
{
	struct xenbus_transaction xbt;
	int rc;

	do {
		rc = xenbus_transaction_start(&xbt);
		if (rc)
			return rc;
		rc = fn(xbt, data);
		if (rc) {
			xenbus_transaction_end(xbt, 1);
			return rc;
		}
		rc = xenbus_transaction_end(xbt, 0);
	} while (rc == -EAGAIN);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_xs_transaction);

/**
 * gntv3_xs_self_domid() - our domain id
 * @domid: set to 0 in dom0, else to what the toolstack wrote in xenstore
 *
 * Return: 0, or -ENXIO when it cannot be found.
 */
int gntv3_xs_self_domid(domid_t *domid)
{
	u32 v;

	if (xen_initial_domain()) {
		*domid = 0;
		return 0;
	}
	/* A relative path is under our own /local/domain/<domid>. */
	if (gntv3_xs_read_u32(XBT_NIL, "domid", "", &v) ||
	    v >= DOMID_FIRST_RESERVED)
		return -ENXIO;
	*domid = v;
	return 0;
}

/**
 * gntv3_xs_read_u32() - read a decimal number from xenstore, strictly
 * @xbt: the transaction, or XBT_NIL
 * @dir: the directory
 * @node: the key in it
 * @val: set to the number
 *
 * Unlike xenbus_scanf("%u"), which reads "12abc" as 12, the whole value
 * must be a decimal number that fits 32 bits (one trailing newline is
 * allowed, as kstrtou32() allows it).
 *
 * Context: process context, may sleep.
 * Return: 0, -ENOENT when the key does not exist, -EPROTO when its value
 * is not such a number, -ENOMEM or another xenstore error.
 */
int gntv3_xs_read_u32(struct xenbus_transaction xbt, const char *dir,
		      const char *node, u32 *val)
{
	char *str;
	int rc;

	str = xenbus_read(xbt, dir, node, NULL);
	if (IS_ERR(str))
		return PTR_ERR(str);
	rc = kstrtou32(str, 10, val) ? -EPROTO : 0;
	kfree(str);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_xs_read_u32);

/**
 * gntv3_xs_read_feature() - the gntv3 version a peer offers
 * @xbt: the transaction, or XBT_NIL
 * @dir: the peer's directory (a frontend reads its backend's)
 *
 * Context: process context, may sleep.
 * Return: the version to use, the lower of the peer's feature-gntv3 and
 * ours; -EPROTONOSUPPORT when the peer offers none (no key, 0, or not a
 * number).
 */
int gntv3_xs_read_feature(struct xenbus_transaction xbt, const char *dir)
{
	u32 feature;

	if (gntv3_xs_read_u32(xbt, dir, GNTV3_XS_FEATURE, &feature) ||
	    !feature)
		return -EPROTONOSUPPORT;
	return min_t(u32, feature, GNTV3_ABI_VERSION);
}
EXPORT_SYMBOL_GPL(gntv3_xs_read_feature);

/**
 * gntv3_back_xs_advertise() - say that this backend speaks gntv3
 * @xbt: the driver's transaction
 * @dir: the backend's own directory (dev->nodename)
 *
 * Writes feature-gntv3 with the highest ABI version we speak.
 *
 * Context: process context, may sleep.
 * Return: 0 or a xenstore error.
 */
int gntv3_back_xs_advertise(struct xenbus_transaction xbt, const char *dir)
{
	return xenbus_printf(xbt, dir, GNTV3_XS_FEATURE, "%u",
			     GNTV3_ABI_VERSION);
}
EXPORT_SYMBOL_GPL(gntv3_back_xs_advertise);

/**
 * gntv3_xs_write_keys() - write what a frontend publishes
 * @xbt: the transaction
 * @dir: the frontend's directory
 * @keys: version, tree, ring and event channel
 *
 * Return: 0 or a xenstore error.
 */
int gntv3_xs_write_keys(struct xenbus_transaction xbt, const char *dir,
			const struct gntv3_xs_keys *keys)
{
	int rc;

	rc = xenbus_printf(xbt, dir, GNTV3_XS_VERSION, "%u", keys->version);
	if (!rc)
		rc = xenbus_printf(xbt, dir, GNTV3_XS_TRANSPORT, "%s",
				   keys->native ? GNTV3_XS_TRANSPORT_NATIVE :
				   GNTV3_XS_TRANSPORT_V1);
	if (!rc)
		rc = xenbus_printf(xbt, dir, GNTV3_XS_TREE_REF, "%u",
				   keys->tree_ref);
	if (!rc)
		rc = xenbus_printf(xbt, dir, GNTV3_XS_RING_REF, "%u",
				   keys->ring_ref);
	if (!rc)
		rc = xenbus_printf(xbt, dir, GNTV3_XS_EVTCHN, "%u",
				   keys->evtchn);
	return rc;
}

/**
 * gntv3_xs_remove_keys() - remove what gntv3_xs_write_keys() wrote
 * @xbt: the transaction, or XBT_NIL
 * @dir: the frontend's directory
 */
void gntv3_xs_remove_keys(struct xenbus_transaction xbt, const char *dir)
{
	static const char *const keys[] = {
		GNTV3_XS_VERSION, GNTV3_XS_TRANSPORT, GNTV3_XS_TREE_REF,
		GNTV3_XS_RING_REF, GNTV3_XS_EVTCHN,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		xenbus_rm(xbt, dir, keys[i]);
}

/**
 * gntv3_back_xs_read() - read and check what a frontend published
 * @xbt: the driver's transaction, so that the keys are one snapshot
 * @dir: the frontend's directory (dev->otherend)
 * @keys: filled in
 *
 * Every number is parsed strictly (gntv3_xs_read_u32()).
 *
 * Context: process context, may sleep.
 * Return: 0, -ENOENT when a key is missing, -EPROTO for a malformed value
 * or a version we do not speak, -EOPNOTSUPP for a tree of another
 * transport than ours (gntv3_transport_grantee()), or a xenstore error.
 */
int gntv3_back_xs_read(struct xenbus_transaction xbt, const char *dir,
		       struct gntv3_xs_keys *keys)
{
	char *transport;
	int rc = 0;

	memset(keys, 0, sizeof(*keys));
	transport = xenbus_read(xbt, dir, GNTV3_XS_TRANSPORT, NULL);
	if (IS_ERR(transport))
		return PTR_ERR(transport);
	if (!strcmp(transport, GNTV3_XS_TRANSPORT_NATIVE))
		keys->native = true;
	else if (strcmp(transport, GNTV3_XS_TRANSPORT_V1))
		rc = -EPROTO;
	kfree(transport);
	if (rc)
		return rc;
	rc = gntv3_xs_read_u32(xbt, dir, GNTV3_XS_VERSION, &keys->version);
	if (!rc)
		rc = gntv3_xs_read_u32(xbt, dir, GNTV3_XS_RING_REF,
				       &keys->ring_ref);
	if (!rc)
		rc = gntv3_xs_read_u32(xbt, dir, GNTV3_XS_EVTCHN,
				       &keys->evtchn);
	if (!rc)
		rc = gntv3_xs_read_u32(xbt, dir, GNTV3_XS_TREE_REF,
				       &keys->tree_ref);
	if (rc)
		return rc;
	if (keys->version < 1 || keys->version > GNTV3_ABI_VERSION)
		return -EPROTO;
	/* a tree reference means a different thing to each transport */
	if (keys->native != gntv3_grantee_is_native())
		return -EOPNOTSUPP;
	return 0;
}
EXPORT_SYMBOL_GPL(gntv3_back_xs_read);
