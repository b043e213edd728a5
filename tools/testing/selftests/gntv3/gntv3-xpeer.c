// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3-xpeer: the frontend half of the gntv3_xdomain kselftest, run in a
 * PV domU (xdomain-domu.sh).  Creates a grant tree for the backend domain
 * (dom0), publishes its tree reference in xenstore and serves the commands
 * dom0's test writes there: grant, check, write, end, query, stats, exit.
 * gntv3_xdomain.h describes the protocol.
 *
 *   gntv3-xpeer [-b BACKEND_DOMID] [-t LIFETIME_SECONDS]
 *
 * Exits 0 after an "exit" command, 1 on a setup error or when its lifetime
 * (default 300 s) runs out.  Not a gntv3_* binary on purpose: dom0.sh runs
 * every /bin/gntv3_* as a dom0 test.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <xen/gntv3.h>

#include "gntv3_xdomain.h"

#define PAGE_SZ		4096UL
#define MAX_RECS	64
#define POLL_MS		5

/*
 * One GRANT ioctl: a folio (one grant) or nr user pages (nr grants).  The
 * slot is free when nr is 0; it is freed once every grant of it ended, as
 * ended ids are reused by later grants.
 */
struct rec {
	unsigned long long first_id;
	unsigned int nr;	/* grants: 1 for a folio */
	unsigned int live;	/* grants not ended yet */
	unsigned int order;	/* of each grant */
	unsigned char *mem;	/* user pages, or an mmap() of the folio */
	size_t len;		/* bytes of each grant */
	unsigned char *ended;	/* per grant */
};

static int fd = -1;
static unsigned int tree;
static struct rec recs[MAX_RECS];

static void die(const char *what)
{
	printf("xpeer: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Write XD_DIR/@key = what @fmt makes of the arguments; 0 or -1. */
static int xs_printf(const char *key, const char *fmt, ...)
{
	char path[128], val[XD_MSG_MAX];
	va_list ap;

	snprintf(path, sizeof(path), XD_DIR "/%s", key);
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return xd_write(path, val);
}

/* The live grant starting at @id: its record and index, or NULL. */
static struct rec *find_grant(unsigned long long id, unsigned int *idx)
{
	unsigned int i;
	struct rec *r;

	for (i = 0; i < MAX_RECS; i++) {
		r = &recs[i];
		if (!r->nr || id < r->first_id ||
		    id >= r->first_id + r->nr * (1ULL << r->order) ||
		    (id - r->first_id) % (1ULL << r->order))
			continue;
		*idx = (id - r->first_id) >> r->order;
		if (!r->ended[*idx])
			return r;
	}
	return NULL;
}

static void rec_free(struct rec *r)
{
	if (r->mem && r->mem != MAP_FAILED)
		munmap(r->mem, r->len * r->nr);
	free(r->ended);
	memset(r, 0, sizeof(*r));
}

static unsigned char *grant_mem(struct rec *r, unsigned int idx)
{
	return r->mem + (size_t)idx * r->len;
}

static int access_arg(const char *s, unsigned int *flags)
{
	if (!strcmp(s, "rw"))
		*flags = 0;
	else if (!strcmp(s, "ro"))
		*flags = GNTV3_IOC_GRANT_READONLY;
	else
		return -EINVAL;
	return 0;
}

/* grant <order> <rw|ro> <seed>  /  grantn <n> <rw|ro> <seed> */
static int cmd_grant(int multi, unsigned int a, const char *acc,
		     unsigned int seed, char *out, size_t outlen)
{
	struct gntv3_ioc_grant g = { .tree = tree };
	struct rec *r = NULL;
	unsigned int k;
	char key[32];

	for (k = 0; k < MAX_RECS && !r; k++)
		if (!recs[k].nr)
			r = &recs[k];
	if (!r)
		return -ENOSPC;
	if (access_arg(acc, &g.flags))
		return -EINVAL;
	if (multi) {
		if (a < 1 || a > MAX_RECS)
			return -EINVAL;
		r->nr = a;
		r->len = PAGE_SZ;
		r->mem = mmap(NULL, a * PAGE_SZ, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (r->mem == MAP_FAILED)
			return -ENOMEM;
		for (k = 0; k < a; k++)
			xd_fill(grant_mem(r, k), PAGE_SZ, seed + k);
		g.addr = (unsigned long)r->mem;
		g.nr_pages = a;
	} else {
		if (a != 0 && a != 9)
			return -EINVAL;
		r->nr = 1;
		r->order = a;
		r->len = PAGE_SZ << a;
		g.flags |= GNTV3_IOC_GRANT_ALLOC;
		g.nr_pages = 1;
		g.order = a;
	}
	r->ended = calloc(r->nr, 1);
	if (!r->ended || ioctl(fd, GNTV3_IOC_GRANT, &g)) {
		int err = r->ended ? -errno : -ENOMEM;

		rec_free(r);
		return err;
	}
	r->first_id = g.first_id;
	r->live = r->nr;
	if (!multi) {
		r->mem = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			      g.mmap_offset);
		if (r->mem == MAP_FAILED)
			return -errno;	/* the grant stays; the file owns it */
		xd_fill(r->mem, r->len, seed);
	}

	/* publish grant/<id> for each grant */
	for (k = 0; k < r->nr; k++) {
		snprintf(key, sizeof(key), "grant/%llu",
			 r->first_id + ((unsigned long long)k << r->order));
		if (xs_printf(key, "%u %s %u", r->order, acc, multi ? seed + k : seed))
			return -EIO;
	}
	snprintf(out, outlen, "%llu", r->first_id);
	return 0;
}

static int cmd_check(unsigned long long id, unsigned int seed, int write,
		     char *out, size_t outlen)
{
	unsigned int idx;
	struct rec *r = find_grant(id, &idx);
	long off;

	if (!r || r->ended[idx])
		return -ENOENT;
	if (write) {
		xd_fill(grant_mem(r, idx), r->len, seed);
		return 0;
	}
	off = xd_mismatch(grant_mem(r, idx), r->len, seed);
	if (off >= 0) {
		snprintf(out, outlen, "at %ld", off);
		return -EILSEQ;
	}
	snprintf(out, outlen, "ok");
	return 0;
}

/* END one grant; *quarantined gets the ioctl's result. */
static int end_one(unsigned long long id, int *quarantined)
{
	struct gntv3_ioc_end e = { .tree = tree, .id = id };
	unsigned int idx;
	struct rec *r = find_grant(id, &idx);

	if (ioctl(fd, GNTV3_IOC_END, &e))
		return -errno;
	/* our view of it goes; a quarantined page stays with the kernel */
	if (r) {
		r->ended[idx] = 1;
		if (!--r->live)
			rec_free(r);
	}
	*quarantined = e.result;
	return 0;
}

/* END @n grants from @first on (stops at the first error), drop their keys. */
static int cmd_endn(unsigned long long first, unsigned int n, int multi,
		    char *out, size_t outlen)
{
	unsigned int k, quarantined = 0;
	char path[64];
	int q = 0;
	int rc;

	if (n < 1 || n > MAX_RECS)
		return -EINVAL;
	for (k = 0; k < n; k++) {
		rc = end_one(first + k, &q);
		if (rc)
			return rc;
		quarantined += q != 0;
		snprintf(path, sizeof(path), XD_DIR "/grant/%llu", first + k);
		if (xd_rm(path))
			return -EIO;
	}
	if (multi)
		snprintf(out, outlen, "%u %u", n, quarantined);
	else
		snprintf(out, outlen, "%u", quarantined);
	return 0;
}

static int cmd_query(unsigned long long id, char *out, size_t outlen)
{
	struct gntv3_ioc_query q = { .tree = tree, .id = id };

	if (ioctl(fd, GNTV3_IOC_QUERY, &q))
		return -errno;
	snprintf(out, outlen, "%u %u %u %llx", q.state, q.order, q.readonly,
		 (unsigned long long)q.pte);
	return 0;
}

static int cmd_stats(char *out, size_t outlen)
{
	struct gntv3_ioc_tree_stats st = { .tree = tree };

	if (ioctl(fd, GNTV3_IOC_TREE_STATS, &st))
		return -errno;
	snprintf(out, outlen,
		 "grants=%llu ids=%llu quarantined=%llu v1_refs=%llu tables=%llu levels=%u",
		 (unsigned long long)st.nr_grants, (unsigned long long)st.nr_ids,
		 (unsigned long long)st.nr_quarantined,
		 (unsigned long long)st.nr_v1_refs,
		 (unsigned long long)st.nr_tables, st.levels);
	return 0;
}

/* Serve one command line "<verb> args"; *quit is set by "exit". */
static int serve(const char *line, char *out, size_t outlen, int *quit)
{
	char verb[16], acc[8];
	unsigned long long id;
	unsigned int a, seed;

	out[0] = '\0';
	if (sscanf(line, "%15s", verb) != 1)
		return -EINVAL;
	if (!strcmp(verb, "grant") &&
	    sscanf(line, "%*s %u %7s %u", &a, acc, &seed) == 3)
		return cmd_grant(0, a, acc, seed, out, outlen);
	if (!strcmp(verb, "grantn") &&
	    sscanf(line, "%*s %u %7s %u", &a, acc, &seed) == 3)
		return cmd_grant(1, a, acc, seed, out, outlen);
	if ((!strcmp(verb, "check") || !strcmp(verb, "write")) &&
	    sscanf(line, "%*s %llu %u", &id, &seed) == 2)
		return cmd_check(id, seed, verb[0] == 'w', out, outlen);
	if (!strcmp(verb, "end") && sscanf(line, "%*s %llu", &id) == 1)
		return cmd_endn(id, 1, 0, out, outlen);
	if (!strcmp(verb, "endn") && sscanf(line, "%*s %llu %u", &id, &a) == 2)
		return cmd_endn(id, a, 1, out, outlen);
	if (!strcmp(verb, "query") && sscanf(line, "%*s %llu", &id) == 1)
		return cmd_query(id, out, outlen);
	if (!strcmp(verb, "stats"))
		return cmd_stats(out, outlen);
	if (!strcmp(verb, "exit")) {
		*quit = 1;
		return 0;
	}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct gntv3_ioc_tree_create tc = { .domid = 0 };
	char cmd[XD_MSG_MAX], out[XD_MSG_MAX];
	unsigned long seq, last = 0;
	double deadline;
	int opt, rc, quit = 0, pos;

	setvbuf(stdout, NULL, _IOLBF, 0);
	deadline = 300;
	while ((opt = getopt(argc, argv, "b:t:")) != -1) {
		switch (opt) {
		case 'b':
			tc.domid = (unsigned short)strtoul(optarg, NULL, 0);
			break;
		case 't':
			deadline = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: %s [-b BACKEND] [-t SECONDS]\n", argv[0]);
			return 2;
		}
	}
	deadline += xd_now();

	fd = open("/dev/gntv3", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/gntv3");
	if (ioctl(fd, GNTV3_IOC_TREE_CREATE, &tc))
		die("TREE_CREATE");
	tree = tc.tree;
	/* rsp first: dom0 derives its next seq from it */
	if (xs_printf("rsp", "0 0 none") || xs_printf("backend", "%u", tc.domid) ||
	    xs_printf("tree-ref", "%u", tc.tree_ref) || xs_printf("state", XD_READY))
		die("xenstore-write");
	printf("GNTV3-XPEER-READY backend=%u tree-ref=%u\n", tc.domid, tc.tree_ref);

	while (!quit) {
		if (xd_now() > deadline) {
			printf("xpeer: lifetime over, exiting\n");
			return 1;
		}
		if (xd_read(XD_DIR "/cmd", cmd, sizeof(cmd)) ||
		    sscanf(cmd, "%lu %n", &seq, &pos) != 1 || seq == last) {
			xd_msleep(POLL_MS);
			continue;
		}
		rc = serve(cmd + pos, out, sizeof(out), &quit);
		printf("xpeer: %s -> %d %s\n", cmd, rc, out);
		if (xs_printf("rsp", "%lu %d %s", seq, rc, out))
			die("xenstore-write rsp");
		last = seq;
	}
	close(fd);
	return 0;
}
