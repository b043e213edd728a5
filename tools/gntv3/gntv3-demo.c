// SPDX-License-Identifier: GPL-2.0
/*
 * gntv3-demo: a short, readable tour of gntv3 through /dev/gntv3, run in a
 * Xen dom0 that grants to itself (domid 0) and maps its own grants back.
 *
 * Every step checks its result and the demo exits non-zero on the first
 * surprise, so "make demo" cannot show a session that did not happen.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/gntv3.h>
/* QUERY and TREE_STATS: test ioctls, in the module the demo loads */
#include "../../drivers/xen/gntv3/gntv3_test.h"

#define PAGE_SZ		4096UL
#define SZ_2M		(2UL << 20)

static int fd;

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "demo: " __VA_ARGS__);		\
			fprintf(stderr, " (%s)\n", strerror(errno));	\
			exit(1);					\
		}							\
	} while (0)

/* Decode a leaf entry the way a backend reads it. */
static void show_pte(const char *what, uint64_t pte)
{
	static const char *const size[] = { "4K", "2M", "1G", "??" };

	printf("  %-12s pte %#018llx: %s %s size=%s %s=%llu\n",
	       what, (unsigned long long)pte, pte & 1 ? "valid" : "INVALID",
	       pte & 4 ? "rw" : "ro", size[(pte >> 5) & 3],
	       pte & 0x80 ? "v1-ref" : "frame",
	       (unsigned long long)(pte >> 12));
}

static void show_stats(uint32_t tree)
{
	struct gntv3_ioc_tree_stats st = { .tree = tree };

	CHECK(!ioctl(fd, GNTV3_IOC_TREE_STATS, &st), "TREE_STATS");
	printf("  tree: levels=%u tables=%llu grants=%llu ids=%llu v1-refs=%llu quarantined=%llu\n",
	       st.levels, (unsigned long long)st.nr_tables,
	       (unsigned long long)st.nr_grants, (unsigned long long)st.nr_ids,
	       (unsigned long long)st.nr_v1_refs,
	       (unsigned long long)st.nr_quarantined);
}

/*
 * The frontend retries quarantined grants and pages from a timer: wait up
 * to 10 s for the tree to hold no more than @quarantined grants and
 * @v1_refs v1 grant references.
 */
static int wait_stats(uint32_t tree, uint64_t quarantined, uint64_t v1_refs)
{
	struct gntv3_ioc_tree_stats st = { .tree = tree };

	for (int i = 0; i < 100; i++) {
		CHECK(!ioctl(fd, GNTV3_IOC_TREE_STATS, &st), "TREE_STATS");
		if (st.nr_quarantined <= quarantined && st.nr_v1_refs <= v1_refs)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
}

static int wait_quarantine_empty(uint32_t tree)
{
	return wait_stats(tree, 0, UINT64_MAX);
}

/* Only the descriptor's v1 reference is left once everything is released. */
static int wait_v1_refs(uint32_t tree, uint64_t v1_refs)
{
	return wait_stats(tree, UINT64_MAX, v1_refs);
}

static uint64_t query_pte(uint32_t tree, uint64_t id)
{
	struct gntv3_ioc_query q = { .tree = tree, .id = id };

	CHECK(!ioctl(fd, GNTV3_IOC_QUERY, &q), "QUERY %llu", (unsigned long long)id);
	return q.pte;
}

static void end_grant(uint32_t tree, uint64_t id)
{
	struct gntv3_ioc_end e = { .tree = tree, .id = id };

	CHECK(!ioctl(fd, GNTV3_IOC_END, &e), "END %llu", (unsigned long long)id);
	printf("  end id %llu: %s\n", (unsigned long long)id,
	       e.result ? "quarantined (still mapped)" : "access ended");
}

int main(void)
{
	struct gntv3_ioc_info info = { 0 };
	struct gntv3_ioc_tree_create tc = { .domid = 0 };
	struct gntv3_ioc_grant g4 = { 0 }, g2m = { 0 };
	struct gntv3_ioc_tree td = { 0 };
	struct gntv3_ioc_attach at = { .domid = 0 };
	struct gntv3_ioc_map mp = { 0 };
	struct gntv3_ioc_map_rw rw = { 0 };
	struct gntv3_ioc_unmap um = { 0 };
	struct gntv3_ioc_detach dt = { 0 };
	char *page, *big, back[64];
	uint64_t ids[2];
	uint32_t maps[2];

	fd = open("/dev/gntv3", O_RDWR);
	CHECK(fd >= 0, "open /dev/gntv3");

	CHECK(!ioctl(fd, GNTV3_IOC_INFO, &info), "INFO");
	printf("1. gntv3 ABI v%u, transport %s (native v3 probe: %s)\n",
	       info.abi_version,
	       info.transport == GNTV3_TRANSPORT_NATIVE ? "native" : "v1",
	       info.probe_rc ? strerror(-info.probe_rc) : "available");

	CHECK(!ioctl(fd, GNTV3_IOC_TREE_CREATE, &tc), "TREE_CREATE");
	printf("2. grant tree for backend dom%u: tree reference (v1 ref) %u\n",
	       tc.domid, tc.tree_ref);
	show_stats(tc.tree);

	page = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(page != MAP_FAILED, "mmap");
	snprintf(page, PAGE_SZ, "hello from a 4 KiB gntv3 grant");
	g4.tree = tc.tree;
	g4.addr = (uintptr_t)page;
	g4.nr_pages = 1;
	CHECK(!ioctl(fd, GNTV3_IOC_GRANT, &g4), "GRANT 4K");
	printf("3. granted one 4 KiB page rw: id %llu\n",
	       (unsigned long long)g4.first_id);
	show_pte("4 KiB leaf", query_pte(tc.tree, g4.first_id));

	g2m.tree = tc.tree;
	g2m.flags = GNTV3_IOC_GRANT_ALLOC | GNTV3_IOC_GRANT_READONLY;
	g2m.nr_pages = 1;
	g2m.order = 9;
	CHECK(!ioctl(fd, GNTV3_IOC_GRANT, &g2m), "GRANT 2M");
	big = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   g2m.mmap_offset);
	CHECK(big != MAP_FAILED, "mmap 2M");
	snprintf(big + SZ_2M - PAGE_SZ, PAGE_SZ,
		 "last 4 KiB of a 2 MiB superpage grant");
	printf("4. granted one 2 MiB folio ro as ONE superpage grant: ids %llu..%llu\n",
	       (unsigned long long)g2m.first_id,
	       (unsigned long long)g2m.first_id + 511);
	show_pte("2 MiB leaf", query_pte(tc.tree, g2m.first_id));
	show_stats(tc.tree);

	at.tree_ref = tc.tree_ref;
	CHECK(!ioctl(fd, GNTV3_IOC_ATTACH, &at), "ATTACH");
	dt.back = at.back;
	ids[0] = g4.first_id;
	ids[1] = g2m.first_id;
	mp.back = at.back;
	mp.flags = GNTV3_IOC_MAP_READONLY;
	mp.ids = (uintptr_t)ids;
	mp.maps = (uintptr_t)maps;
	mp.nr = 2;
	CHECK(!ioctl(fd, GNTV3_IOC_MAP, &mp), "MAP");
	printf("5. backend dom0 attached to the tree and mapped both grants\n"
	       "   in one batch (513 pages, one hypercall)\n");
	rw.map = maps[1];
	rw.dir = GNTV3_IOC_RW_READ;
	rw.offset = SZ_2M - PAGE_SZ;
	rw.len = sizeof(back);
	rw.buf = (uintptr_t)back;
	CHECK(!ioctl(fd, GNTV3_IOC_MAP_RW, &rw), "MAP_RW");
	back[sizeof(back) - 1] = 0;
	CHECK(!strcmp(back, big + SZ_2M - PAGE_SZ), "data mismatch");
	printf("  backend reads through its mapping: \"%s\"\n", back);
	rw.map = maps[0];
	rw.offset = 0;
	CHECK(!ioctl(fd, GNTV3_IOC_MAP_RW, &rw), "MAP_RW");
	back[sizeof(back) - 1] = 0;
	CHECK(!strcmp(back, page), "data mismatch");
	printf("  backend reads through its mapping: \"%s\"\n", back);

	printf("6. frontend ends the 4 KiB grant while the backend still maps it\n");
	end_grant(tc.tree, g4.first_id);
	show_stats(tc.tree);
	printf("  backend unmaps both (safe unmap: only once no one holds the pages)\n");
	for (int i = 0; i < 2; i++) {
		um.map = maps[i];
		CHECK(!ioctl(fd, GNTV3_IOC_UNMAP, &um) && !um.result, "UNMAP");
	}
	CHECK(!wait_quarantine_empty(tc.tree), "quarantine did not drain");
	printf("  quarantine drained: the page is released only now\n");
	show_stats(tc.tree);
	printf("7. teardown: backend detaches, frontend ends the 2 MiB grant\n");
	CHECK(!ioctl(fd, GNTV3_IOC_DETACH, &dt), "DETACH");
	end_grant(tc.tree, g2m.first_id);
	CHECK(!wait_v1_refs(tc.tree, 1), "table pages still held");
	printf("  tables the backend had cached are released once it detached\n");
	show_stats(tc.tree);
	td.tree = tc.tree;
	CHECK(!ioctl(fd, GNTV3_IOC_TREE_DESTROY, &td), "TREE_DESTROY");
	printf("  tree destroyed\n");
	close(fd);
	return 0;
}
