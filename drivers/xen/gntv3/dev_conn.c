// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 /dev/gntv3: the frontend's connection ioctls.
 *
 * CONNECT publishes a tree of the file to its backend domain through
 * xenstore and sets up the revoke-notification ring, DISCONNECT takes it
 * down, CONN_INFO reads the connection's state and ring counters.  Each
 * looks the tree up under the file's lock, which keeps the tree alive for
 * the call; the errors are listed at the top of dev.c.
 */
#include <linux/mutex.h>
#include <linux/types.h>
#include <xen/gntv3.h>
#include <uapi/xen/gntv3.h>

#include "dev.h"

/**
 * gntv3_dev_connect() - GNTV3_IOC_CONNECT
 * @ucmd: the call; its struct gntv3_ioc_connect
 *
 * Return: 0 or a negative errno from gntv3_front_connect(); -ENOENT for an
 * unknown tree handle.
 */
int gntv3_dev_connect(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_connect *arg = ucmd->cmd;
	struct gntv3_front *front;
	int ret;

	front = gntv3_dev_front_lock(ucmd->file, arg->tree);
	if (!front)
		return -ENOENT;
	ret = gntv3_front_connect(front, arg->devid);
	mutex_unlock(&ucmd->file->lock);
	return ret;
}

/**
 * gntv3_dev_disconnect() - GNTV3_IOC_DISCONNECT
 * @ucmd: the call; its struct gntv3_ioc_tree
 *
 * Return: 0 or a negative errno from gntv3_front_disconnect(); -ENOENT for
 * an unknown tree handle.
 */
int gntv3_dev_disconnect(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_tree *arg = ucmd->cmd;
	struct gntv3_front *front;
	int ret;

	front = gntv3_dev_front_lock(ucmd->file, arg->tree);
	if (!front)
		return -ENOENT;
	ret = gntv3_front_disconnect(front);
	mutex_unlock(&ucmd->file->lock);
	return ret;
}

/**
 * gntv3_dev_conn_info() - GNTV3_IOC_CONN_INFO
 * @ucmd: the call; its struct gntv3_ioc_conn_info
 *
 * Return: 0 or a negative errno from gntv3_front_conn_info(); -ENOENT for
 * an unknown tree handle.
 */
int gntv3_dev_conn_info(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_conn_info *arg = ucmd->cmd;
	struct gntv3_conn_info info;
	struct gntv3_front *front;
	int ret;

	front = gntv3_dev_front_lock(ucmd->file, arg->tree);
	if (!front)
		return -ENOENT;
	ret = gntv3_front_conn_info(front, &info);
	mutex_unlock(&ucmd->file->lock);
	if (ret)
		return ret;
	arg->state = info.state;
	arg->peer_state = info.peer_state;
	arg->connected = info.connected;
	arg->ring_ref = info.ring_ref;
	arg->evtchn = info.evtchn;
	arg->sent = info.sent;
	arg->acked = info.acked;
	arg->nacked = info.nacked;
	arg->timed_out = info.timed_out;
	arg->malformed = info.malformed;
	arg->resets = info.resets;
	return gntv3_ucmd_respond(ucmd, sizeof(*arg));
}
