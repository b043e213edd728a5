/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the gntv3 connection kselftests (gntv3_ring.c,
 * gntv3_hostile_back.c): xenstored, the connection ioctls and their
 * debugfs counters.
 */
#ifndef _GNTV3_CONN_UTILS_H
#define _GNTV3_CONN_UTILS_H

#include <sys/stat.h>
#include <linux/types.h>

/* <xen/gntdev.h> uses Xen's names, which no uapi header defines. */
typedef __u16 domid_t;
typedef __u32 grant_ref_t;
#include <xen/gntdev.h>

#include "gntv3_back_utils.h"

#define SELF_DOMID		0
#define GNTV3_DEBUGFS_CONN	GNTV3_DEBUGFS_DIR "/conn"

#define XENSTORED_SOCKET	"/run/xenstored/socket"

/* xenstored runs, or was started by xenstored_start(). */
static int xenstored_ok;

__attribute__((constructor)) static void xenstored_start(void)
{
	struct stat st;
	int i;

	if (!stat(XENSTORED_SOCKET, &st)) {
		xenstored_ok = 1;
		return;
	}
	printf("# starting xenstored\n");
	if (system("mkdir -p /run/xen /run/xenstored && xenstored --pid-file=/run/xenstored.pid"))
		return;
	for (i = 0; i < 100 && stat(XENSTORED_SOCKET, &st); i++)
		gntv3_msleep(100);
	xenstored_ok = !stat(XENSTORED_SOCKET, &st);
}

/* Counter @key of debugfs conn, -1 if missing. */
static inline long long conn_stat(const char *key)
{
	return gntv3_debugfs_kv(GNTV3_DEBUGFS_CONN, key);
}

static inline int conn_info(int fd, __u32 tree, struct gntv3_ioc_conn_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->tree = tree;
	return ioctl(fd, GNTV3_IOC_CONN_INFO, ci);
}

static inline int back_connect(int fd, __u32 devid, __u32 timeout_ms, __u32 *back)
{
	struct gntv3_ioc_back_connect c = {
		.domid = SELF_DOMID,
		.devid = devid,
		.timeout_ms = timeout_ms,
	};
	int ret = ioctl(fd, GNTV3_IOC_BACK_CONNECT, &c);

	if (!ret && back)
		*back = c.back;
	return ret;
}

static inline int do_revoke(int fd, __u32 tree, __u64 id, __u32 flags,
			    __u32 timeout_ms, int *result)
{
	struct gntv3_ioc_revoke r = {
		.tree = tree,
		.flags = flags,
		.id = id,
		.timeout_ms = timeout_ms,
		.result = -1,
	};
	int ret = ioctl(fd, GNTV3_IOC_REVOKE, &r);

	if (!ret && result)
		*result = r.result;
	return ret;
}

/* Wait up to @ms for the tree's connection to be (dis)connected. */
static inline int wait_connected(int fd, __u32 tree, int want, unsigned int ms)
{
	struct gntv3_ioc_conn_info ci;
	double end = gntv3_now() + ms / 1000.0;

	do {
		if (!conn_info(fd, tree, &ci) && (int)ci.connected == want)
			return 0;
		gntv3_msleep(10);
	} while (gntv3_now() < end);
	return -1;
}

/* Wait up to @ms for the tree's quarantine to hold @want grants. */
static inline int wait_quarantined(int fd, __u32 tree, __u64 want, unsigned int ms)
{
	struct gntv3_ioc_tree_stats st;
	double end = gntv3_now() + ms / 1000.0;

	do {
		if (!_gntv3_stats(fd, tree, &st) && st.nr_quarantined == want)
			return 0;
		gntv3_msleep(10);
	} while (gntv3_now() < end);
	return -1;
}

/* Wait up to @ms for the counter @key, as @read reads it, to reach @want. */
static inline int wait_stat(long long (*read)(const char *key),
			    const char *key, long long want, unsigned int ms)
{
	double end = gntv3_now() + ms / 1000.0;

	do {
		if (read(key) >= want)
			return 0;
		gntv3_msleep(5);
	} while (gntv3_now() < end);
	return -1;
}

/* Wait up to @ms for the connection counter @key to reach @want. */
static inline int wait_conn_stat(const char *key, long long want,
				 unsigned int ms)
{
	return wait_stat(conn_stat, key, want, ms);
}

/*
 * The revoke ring page, struct gntv3_sring of grant_table_v3.h, as a test
 * playing a hostile peer writes it after mapping it through gntdev.
 */
#define FAKE_RING_SLOTS		32
#define FAKE_RING_OP_REVOKE	1
#define FAKE_RING_OP_DOWNGRADE	2
#define FAKE_RING_OP_UNMAPPED	3
#define FAKE_RING_OP_ACK	0x80

struct fake_lane {
	__u32 req_prod;
	__u32 rsp_prod;
	__u32 pad[6];
};

struct fake_sring_head {
	struct fake_lane f2b;	/* frontend's requests, backend's ACKs */
	struct fake_lane b2f;	/* backend's notifications, frontend's ACKs */
};

struct fake_ring_msg {
	__u64 id;
	__u32 nr_ids;
	__u32 cookie;
	__u8 op;
	__u8 flags;
	__s16 status;
	__u32 pad;
	__u64 reserved;
};

struct fake_sring {
	struct fake_sring_head idx;
	struct fake_ring_msg f2b[FAKE_RING_SLOTS];
	struct fake_ring_msg b2f[FAKE_RING_SLOTS];
};

#define GNTDEV_PATH	"/dev/xen/gntdev"

/* The kernel writes the page at the same time: no cached or torn reads. */
static inline __u32 idx_read(__u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void idx_write(__u32 *p, __u32 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

#endif /* _GNTV3_CONN_UTILS_H */
