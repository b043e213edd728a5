// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 native-only kselftests: what the native transport promises over
 * v1, on a hypervisor that implements grant table v3 (the project's
 * prototype, xen/patches).  Skipped on the v1 transport.
 *
 * Runs in a PV dom0 in loopback, like gntv3_back: one open file grants to
 * domid 0, another attaches to the tree by its handle and maps.
 *
 * Checks: more live grant ids in one tree than v1's 32,768 grant
 * references (the same user pages back several ids), each mapped back
 * through GNTTABOP_v3_map and read, the last id included; the tree is named
 * by the hypervisor's handle, not by a v1 reference (a wrong handle maps
 * nothing).
 *
 * Must run as root with gntv3.ko loaded.
 */
#include "gntv3_back_utils.h"

#define SELF_DOMID	0
#define V1_MAX_REFS	32768	/* Xen's default: 64 frames of 512 v1 refs */
#define BATCH		GNTV3_IOC_MAX_PAGES
#define NR_BATCHES	9	/* 36,864 ids: past V1_MAX_REFS */

FIXTURE(native) {
	int fd;		/* frontend file */
	int bfd;	/* backend file */
	__u32 tree;
	__u32 tree_ref;
	__u32 back;
};

FIXTURE_SETUP(native)
{
	struct gntv3_ioc_info info = { 0 };

	self->fd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", GNTV3_DEV, strerror(errno));
	self->bfd = open(GNTV3_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->bfd);
	ASSERT_EQ(0, _gntv3_info(self->fd, &info));
	if (info.transport != GNTV3_TRANSPORT_NATIVE)
		SKIP(return, "transport %u is not native (probe %d)",
		     info.transport, info.probe_rc);
	test_tree_create(SELF_DOMID, &self->tree, &self->tree_ref);
	ASSERT_EQ(0, _gntv3_attach(self->bfd, SELF_DOMID, self->tree_ref,
				   &self->back)) TH_LOG("attach: %s", strerror(errno));
}

FIXTURE_TEARDOWN(native)
{
	if (self->bfd >= 0)
		close(self->bfd);
	if (self->fd >= 0)
		close(self->fd);
}

/* Map @id, read its first 8 bytes into *@word, unmap. */
static int map_read(int bfd, __u32 back, __u64 id, __u64 *word)
{
	int res = -1, rc;
	__u32 map;

	rc = _gntv3_map(bfd, back, GNTV3_IOC_MAP_READONLY, &id, 1, &map);
	if (rc)
		return rc;
	rc = _gntv3_map_rw(bfd, map, GNTV3_IOC_RW_READ, 0, sizeof(*word), word);
	if (_gntv3_unmap(bfd, map, 0, &res) || res)
		rc = rc ? rc : -1;
	return rc;
}

TEST_F(native, more_ids_than_v1_refs)
{
	__u64 *buf = gntv3_buf(BATCH), first[NR_BATCHES], word = 0, id;
	struct gntv3_ioc_tree_stats st;
	unsigned int b, i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < BATCH; i++)
		buf[i * PAGE_SZ / sizeof(*buf)] = 0x6e61746976650000ULL | i;
	for (b = 0; b < NR_BATCHES; b++)
		test_grant_user(self->tree, GNTV3_IOC_GRANT_READONLY, buf, BATCH,
				&first[b]);
	test_stats(self->tree, &st);
	EXPECT_EQ(NR_BATCHES * BATCH, st.nr_grants);
	/* no v1 grant reference behind any of them */
	EXPECT_EQ(0, st.nr_v1_refs);
	ASSERT_LT(V1_MAX_REFS, first[NR_BATCHES - 1] + BATCH - 1);

	/* the hypervisor walks to ids on both sides of 32,768 */
	for (b = 0; b < NR_BATCHES; b += NR_BATCHES - 1) {
		for (i = 0; i < BATCH; i += BATCH - 1) {
			id = first[b] + i;
			ASSERT_EQ(0, map_read(self->bfd, self->back, id, &word))
				TH_LOG("id %llu: %s", (unsigned long long)id,
				       strerror(errno));
			EXPECT_EQ(0x6e61746976650000ULL | i, word);
		}
	}
	/* an id past the last grant maps nothing */
	id = first[NR_BATCHES - 1] + BATCH;
	EXPECT_NE(0, map_read(self->bfd, self->back, id, &word));
	/* closing the files at teardown ends the grants and the tree */
}

/* The attachment names the tree by its handle; another handle maps nothing. */
TEST_F(native, wrong_handle_maps_nothing)
{
	unsigned char *buf = gntv3_buf(1);
	__u64 id, word;
	__u32 other;

	ASSERT_NE(NULL, buf);
	test_grant_user(self->tree, 0, buf, 1, &id);
	ASSERT_EQ(0, _gntv3_attach(self->bfd, SELF_DOMID, self->tree_ref + 1000,
				   &other));
	EXPECT_NE(0, map_read(self->bfd, other, id, &word));
	EXPECT_EQ(0, map_read(self->bfd, self->back, id, &word));
	EXPECT_ERRNO(ENOENT, _gntv3_attach(self->bfd, SELF_DOMID, 0, NULL));
	test_end(self->tree, id);
}

TEST_HARNESS_MAIN
