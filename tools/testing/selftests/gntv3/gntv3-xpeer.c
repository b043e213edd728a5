// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3-xpeer: the frontend half of the gntv3_xdomain kselftest, run in a
 * PV domU (xdomain-domu.sh).  Creates a grant tree for the backend domain
 * (dom0), publishes its tree reference in xenstore and serves the commands
 * dom0's test writes there: grant, granthuge, check, write, end, query, stats,
 * info, the connection and revoke commands (connect, disconnect, conn_info,
 * revoke, revoke_bg, revoke_wait, dstat), reset, reload and exit.  gntv3_xdomain.h
 * describes the protocol.
 *
 * A revoke_bg runs GNTV3_IOC_REVOKE on a thread, so that dom0 can look at
 * both sides while the domU waits for the ACK.  That ioctl holds the
 * file's lock, so until revoke_wait reaped it only the commands that do
 * not use the file are served (dstat, revoke_wait, exit); the others fail
 * with EBUSY instead of blocking.
 *
 *   gntv3-xpeer [-b BACKEND_DOMID] [-t LIFETIME_SECONDS]
 *
 * Exits 0 after an "exit" command, 1 on a setup error or when its lifetime
 * (default 300 s) runs out.  Not a gntv3_* binary on purpose: dom0.sh runs
 * every /bin/gntv3_* as a dom0 test.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <xen/gntv3.h>
#include "../../../../drivers/xen/gntv3/gntv3_test.h"

#include "gntv3_kv.h"
#include "gntv3_xdomain.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT	26
#endif

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

#define GNTV3_KO	"/lib/modules/gntv3.ko"
#define DEBUGFS_DIR	"/sys/kernel/debug/gntv3"

static int fd = -1;
static unsigned int tree;
static struct rec recs[MAX_RECS];

/* The revoke_bg in flight: written by its thread until done is set. */
static struct {
	pthread_t thread;
	int running;		/* started and not reaped by revoke_wait */
	int done;		/* the ioctl returned (atomic) */
	struct gntv3_ioc_revoke arg;
	int err;		/* 0 or -errno of the ioctl */
	double took;		/* s */
} bg;

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

/*
 * granthuge <9|18> <rw|ro> <seed>: a hugetlbfs page of that order granted as
 * one leaf (GNTV3_IOC_GRANT_HUGE).  Only its first, middle and last 4 KiB
 * get pattern @seed (at their offsets in the page): filling all of 1 GiB
 * takes longer under TCG than a command may.  ENOMEM when no huge page of
 * that size is free (none reserved at boot, or no 1 GiB pages on a PV
 * guest), ENOSPC when the grant table cannot hold 2^18 more entries.
 */
static int cmd_grant_huge(unsigned int order, const char *acc,
			  unsigned int seed, char *out, size_t outlen)
{
	struct gntv3_ioc_grant_huge g = { .tree = tree, .order = order };
	size_t len = PAGE_SZ << order, offs[3] = { 0, len / 2, len - PAGE_SZ };
	struct rec *r = NULL;
	unsigned int k;
	char key[32];
	size_t i;

	for (k = 0; k < MAX_RECS && !r; k++)
		if (!recs[k].nr)
			r = &recs[k];
	if (!r)
		return -ENOSPC;
	if ((order != 9 && order != 18) || access_arg(acc, &g.flags))
		return -EINVAL;
	r->mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
		      /* log2 of the page size in bytes */
		      ((order + 12) << MAP_HUGE_SHIFT), -1, 0);
	if (r->mem == MAP_FAILED) {
		r->mem = NULL;
		snprintf(out, outlen, "mmap: %s", strerror(errno));
		return -ENOMEM;
	}
	r->nr = 1;
	r->order = order;
	r->len = len;
	r->ended = calloc(1, 1);
	if (!r->ended) {
		rec_free(r);
		return -ENOMEM;
	}
	/* faults the huge page in (SIGBUS if hugetlbfs has none: checked above) */
	for (k = 0; k < 3; k++)
		for (i = 0; i < PAGE_SZ; i++)
			r->mem[offs[k] + i] = xd_pattern(seed, offs[k] + i);
	g.addr = (unsigned long)r->mem;
	if (ioctl(fd, GNTV3_IOC_GRANT_HUGE, &g)) {
		int err = -errno;

		snprintf(out, outlen, "GRANT_HUGE: %s", strerror(errno));
		rec_free(r);
		return err;
	}
	r->first_id = g.first_id;
	r->live = 1;
	snprintf(key, sizeof(key), "grant/%llu", r->first_id);
	if (xs_printf(key, "%u %s %u", order, acc, seed))
		return -EIO;
	snprintf(out, outlen, "%llu", r->first_id);
	return 0;
}

/* checkat <id> <seed> <offset>: the 4 KiB at @off of grant @id is pattern @seed */
static int cmd_checkat(unsigned long long id, unsigned int seed,
		       unsigned long long off, char *out, size_t outlen)
{
	unsigned int idx;
	struct rec *r = find_grant(id, &idx);
	size_t i;

	if (!r || r->ended[idx])
		return -ENOENT;
	if (off % PAGE_SZ || off >= r->len)
		return -EINVAL;
	for (i = 0; i < PAGE_SZ; i++) {
		if (grant_mem(r, idx)[off + i] != xd_pattern(seed, off + i)) {
			snprintf(out, outlen, "at %llu", off + i);
			return -EILSEQ;
		}
	}
	snprintf(out, outlen, "ok");
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

/* info: GNTV3_IOC_INFO -> "transport=N probe_rc=N abi=N domid=N" */
static int cmd_info(char *out, size_t outlen)
{
	struct gntv3_ioc_info info = { };

	if (ioctl(fd, GNTV3_IOC_INFO, &info))
		return -errno;
	snprintf(out, outlen, "transport=%u probe_rc=%d abi=%u domid=%u",
		 info.transport, info.probe_rc, info.abi_version,
		 info.self_domid);
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

/* ---- connection and revocation ---- */

static int cmd_connect(unsigned int devid)
{
	struct gntv3_ioc_connect c = { .tree = tree, .devid = devid };

	return ioctl(fd, GNTV3_IOC_CONNECT, &c) ? -errno : 0;
}

static int cmd_disconnect(void)
{
	struct gntv3_ioc_tree t = { .tree = tree };

	return ioctl(fd, GNTV3_IOC_DISCONNECT, &t) ? -errno : 0;
}

static int cmd_conn_info(char *out, size_t outlen)
{
	struct gntv3_ioc_conn_info ci = { .tree = tree };

	if (ioctl(fd, GNTV3_IOC_CONN_INFO, &ci))
		return -errno;
	snprintf(out, outlen,
		 "state=%u peer=%u connected=%u ring_ref=%u evtchn=%u sent=%llu acked=%llu nacked=%llu timed_out=%llu malformed=%llu resets=%llu",
		 ci.state, ci.peer_state, ci.connected, ci.ring_ref, ci.evtchn,
		 (unsigned long long)ci.sent, (unsigned long long)ci.acked,
		 (unsigned long long)ci.nacked,
		 (unsigned long long)ci.timed_out,
		 (unsigned long long)ci.malformed,
		 (unsigned long long)ci.resets);
	return 0;
}

/*
 * After a revoke of @id: a revoked or dead grant is gone from the file, so
 * our view of it and its key go too; a downgraded one is read-only now.
 */
static void revoke_account(unsigned long long id, unsigned int flags, int result)
{
	char path[64], val[XD_MSG_MAX], acc[8];
	unsigned int idx, order, seed;
	struct rec *r = find_grant(id, &idx);

	snprintf(path, sizeof(path), XD_DIR "/grant/%llu", id);
	if (result == GNTV3_REVOKE_RESULT_DONE &&
	    (flags & GNTV3_IOC_REVOKE_DOWNGRADE)) {
		if (!xd_read(path, val, sizeof(val)) &&
		    sscanf(val, "%u %7s %u", &order, acc, &seed) == 3)
			xs_printf(path + strlen(XD_DIR "/"), "%u ro %u", order, seed);
		return;
	}
	if (r) {
		r->ended[idx] = 1;
		if (!--r->live)
			rec_free(r);
	}
	xd_rm(path);
}

/* "<result> <took ms>" of a finished revoke */
static int revoke_report(int err, const struct gntv3_ioc_revoke *arg,
			 double took, char *out, size_t outlen)
{
	if (err)
		return err;
	revoke_account(arg->id, arg->flags, arg->result);
	snprintf(out, outlen, "%d %.0f", arg->result, took * 1000);
	return 0;
}

static int cmd_revoke(unsigned long long id, unsigned int flags,
		      unsigned int timeout_ms, char *out, size_t outlen)
{
	struct gntv3_ioc_revoke r = {
		.tree = tree, .flags = flags, .id = id, .timeout_ms = timeout_ms,
	};
	double t0 = xd_now();
	int err;

	err = ioctl(fd, GNTV3_IOC_REVOKE, &r) ? -errno : 0;
	return revoke_report(err, &r, xd_now() - t0, out, outlen);
}

static void *revoke_thread(void *unused)
{
	double t0 = xd_now();

	bg.err = ioctl(fd, GNTV3_IOC_REVOKE, &bg.arg) ? -errno : 0;
	bg.took = xd_now() - t0;
	__atomic_store_n(&bg.done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int cmd_revoke_bg(unsigned long long id, unsigned int flags,
			 unsigned int timeout_ms, char *out, size_t outlen)
{
	memset(&bg.arg, 0, sizeof(bg.arg));
	bg.arg.tree = tree;
	bg.arg.flags = flags;
	bg.arg.id = id;
	bg.arg.timeout_ms = timeout_ms;
	bg.done = 0;
	if (pthread_create(&bg.thread, NULL, revoke_thread, NULL))
		return -EAGAIN;
	bg.running = 1;
	snprintf(out, outlen, "started");
	return 0;
}

/* Wait up to @ms for the revoke_bg; EINPROGRESS if it still waits. */
static int cmd_revoke_wait(unsigned int ms, char *out, size_t outlen)
{
	double end = xd_now() + ms / 1000.0;

	if (!bg.running)
		return -ECHILD;
	while (!__atomic_load_n(&bg.done, __ATOMIC_ACQUIRE)) {
		if (xd_now() >= end)
			return -EINPROGRESS;
		xd_msleep(POLL_MS);
	}
	pthread_join(bg.thread, NULL);
	bg.running = 0;
	return revoke_report(bg.err, &bg.arg, bg.took, out, outlen);
}

/*
 * dstat <file> <key>: the number @key has on the first line of debugfs
 * gntv3/<file> that has it.  In "conn" the module-wide counters come first,
 * then one line per connection, so "acked" is the module's and "pending"
 * the first connection's.
 */
static int cmd_dstat(const char *file, const char *key, char *out, size_t outlen)
{
	char path[96];
	long long v;

	if (strchr(file, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), DEBUGFS_DIR "/%s", file);
	v = gntv3_debugfs_kv(path, key);
	if (v < 0)
		return -ENOENT;
	snprintf(out, outlen, "%lld", v);
	return 0;
}

/*
 * reset <ms>: undo what an earlier command sequence left behind, so that a
 * test that failed half-way does not fail the ones after it: wait up to
 * <ms> for a revoke_bg, take the tree's connection down, END every grant
 * this peer made (dropping its key), then wait up to <ms> for the
 * quarantine to drain -> "ended=N disconnected=0|1 grants=N
 * quarantined=N", the last two from TREE_STATS at the end (0 and 0 when
 * everything went).
 */
static int cmd_reset(unsigned int ms, char *out, size_t outlen)
{
	struct gntv3_ioc_tree_stats st = { .tree = tree };
	double end = xd_now() + ms / 1000.0;
	unsigned long long id;
	unsigned int k, i, nr, ended = 0;
	char path[64];
	int rc, q, disc;

	if (fd < 0)
		return -EBADF;
	if (bg.running && cmd_revoke_wait(ms, out, outlen) == -EINPROGRESS)
		return -EBUSY;
	disc = cmd_disconnect();
	if (disc && disc != -ENOTCONN)
		return disc;
	for (k = 0; k < MAX_RECS; k++) {
		nr = recs[k].nr;
		/* the record goes (nr 0) once its last grant ended */
		for (i = 0; i < nr && recs[k].nr; i++) {
			if (recs[k].ended[i])
				continue;
			id = recs[k].first_id + ((unsigned long long)i << recs[k].order);
			rc = end_one(id, &q);
			if (rc)
				return rc;
			ended++;
			snprintf(path, sizeof(path), XD_DIR "/grant/%llu", id);
			xd_rm(path);
		}
	}
	for (;;) {
		if (ioctl(fd, GNTV3_IOC_TREE_STATS, &st))
			return -errno;
		if (!st.nr_quarantined || xd_now() >= end)
			break;
		xd_msleep(20);
	}
	snprintf(out, outlen, "ended=%u disconnected=%d grants=%llu quarantined=%llu",
		 ended, !disc, (unsigned long long)st.nr_grants,
		 (unsigned long long)st.nr_quarantined);
	return 0;
}

/* debugfs gntv3/fronts lists no tree (destroyed ones included): 1, else 0 */
static int no_fronts(void)
{
	char line[256];
	FILE *f = fopen(DEBUGFS_DIR "/fronts", "r");
	int empty;

	if (!f)
		return 0;
	empty = !fgets(line, sizeof(line), f);
	fclose(f);
	return empty;
}

static int tree_open(unsigned short backend, unsigned int *tree_ref)
{
	struct gntv3_ioc_tree_create tc = { .domid = backend };

	fd = open("/dev/gntv3", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, GNTV3_IOC_TREE_CREATE, &tc))
		return -errno;
	tree = tc.tree;
	*tree_ref = tc.tree_ref;
	return 0;
}

/*
 * reload <ms>: close /dev/gntv3 (the tree, its grants and its connection
 * go), wait up to <ms> for dom0 to write XD_DIR/released (it detached) and
 * for the old tree to be released, reload gntv3, make a new tree and
 * publish its reference -> "<tree-ref> <leaked before unload>".
 */
static int cmd_reload(unsigned int ms, unsigned short backend, char *out,
		      size_t outlen)
{
	double end = xd_now() + ms / 1000.0;
	char val[XD_MSG_MAX], leaked[32] = "?";
	unsigned int k, tree_ref;
	int kfd, rc;

	/* an mmap() of the file keeps it open: unmap first */
	for (k = 0; k < MAX_RECS; k++)
		if (recs[k].nr)
			rec_free(&recs[k]);
	close(fd);
	fd = -1;
	xd_rm(XD_DIR "/grant");
	while (xd_read(XD_DIR "/released", val, sizeof(val)) && xd_now() < end)
		xd_msleep(POLL_MS);
	while (!no_fronts() && xd_now() < end)
		xd_msleep(POLL_MS);
	cmd_dstat("stats", "leaked", leaked, sizeof(leaked));
	while (syscall(SYS_delete_module, "gntv3", O_NONBLOCK)) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EBUSY)
			return -errno;
		if (xd_now() >= end)
			return -ETIME;
		xd_msleep(POLL_MS);
	}
	kfd = open(GNTV3_KO, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return -errno;
	rc = syscall(SYS_finit_module, kfd, "", 0) ? -errno : 0;
	close(kfd);
	if (rc)
		return rc;
	rc = tree_open(backend, &tree_ref);
	if (rc)
		return rc;
	xd_rm(XD_DIR "/released");
	if (xs_printf("tree-ref", "%u", tree_ref))
		return -EIO;
	snprintf(out, outlen, "%u %s", tree_ref, leaked);
	return 0;
}

/* Serve one command line "<verb> args"; *quit is set by "exit". */
static int serve(const char *line, unsigned short backend, char *out,
		 size_t outlen, int *quit)
{
	char verb[16], acc[8], file[16], key[32];
	unsigned long long id, off;
	unsigned int a, b, seed;

	out[0] = '\0';
	if (sscanf(line, "%15s", verb) != 1)
		return -EINVAL;
	if (!strcmp(verb, "dstat") &&
	    sscanf(line, "%*s %15s %31s", file, key) == 2)
		return cmd_dstat(file, key, out, outlen);
	if (!strcmp(verb, "revoke_wait") && sscanf(line, "%*s %u", &a) == 1)
		return cmd_revoke_wait(a, out, outlen);
	if (!strcmp(verb, "exit")) {
		*quit = 1;
		return 0;
	}
	if (bg.running)
		return -EBUSY;	/* the file's lock is held by the revoke */
	if (!strcmp(verb, "connect") && sscanf(line, "%*s %u", &a) == 1)
		return cmd_connect(a);
	if (!strcmp(verb, "disconnect"))
		return cmd_disconnect();
	if (!strcmp(verb, "conn_info"))
		return cmd_conn_info(out, outlen);
	if (!strcmp(verb, "revoke") &&
	    sscanf(line, "%*s %llu %u %u", &id, &a, &b) == 3)
		return cmd_revoke(id, a, b, out, outlen);
	if (!strcmp(verb, "revoke_bg") &&
	    sscanf(line, "%*s %llu %u %u", &id, &a, &b) == 3)
		return cmd_revoke_bg(id, a, b, out, outlen);
	if (!strcmp(verb, "reload") && sscanf(line, "%*s %u", &a) == 1)
		return cmd_reload(a, backend, out, outlen);
	if (!strcmp(verb, "grant") &&
	    sscanf(line, "%*s %u %7s %u", &a, acc, &seed) == 3)
		return cmd_grant(0, a, acc, seed, out, outlen);
	if (!strcmp(verb, "granthuge") &&
	    sscanf(line, "%*s %u %7s %u", &a, acc, &seed) == 3)
		return cmd_grant_huge(a, acc, seed, out, outlen);
	if (!strcmp(verb, "grantn") &&
	    sscanf(line, "%*s %u %7s %u", &a, acc, &seed) == 3)
		return cmd_grant(1, a, acc, seed, out, outlen);
	if ((!strcmp(verb, "check") || !strcmp(verb, "write")) &&
	    sscanf(line, "%*s %llu %u", &id, &seed) == 2)
		return cmd_check(id, seed, verb[0] == 'w', out, outlen);
	if (!strcmp(verb, "checkat") &&
	    sscanf(line, "%*s %llu %u %llu", &id, &seed, &off) == 3)
		return cmd_checkat(id, seed, off, out, outlen);
	if (!strcmp(verb, "end") && sscanf(line, "%*s %llu", &id) == 1)
		return cmd_endn(id, 1, 0, out, outlen);
	if (!strcmp(verb, "endn") && sscanf(line, "%*s %llu %u", &id, &a) == 2)
		return cmd_endn(id, a, 1, out, outlen);
	if (!strcmp(verb, "query") && sscanf(line, "%*s %llu", &id) == 1)
		return cmd_query(id, out, outlen);
	if (!strcmp(verb, "stats"))
		return cmd_stats(out, outlen);
	if (!strcmp(verb, "info"))
		return cmd_info(out, outlen);
	if (!strcmp(verb, "reset") && sscanf(line, "%*s %u", &a) == 1)
		return cmd_reset(a, out, outlen);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	char cmd[XD_MSG_MAX], out[XD_MSG_MAX];
	unsigned short backend = 0;
	unsigned long seq, last = 0;
	unsigned int tree_ref;
	double deadline;
	int opt, rc, quit = 0, pos;

	setvbuf(stdout, NULL, _IOLBF, 0);
	deadline = 300;
	while ((opt = getopt(argc, argv, "b:t:")) != -1) {
		switch (opt) {
		case 'b':
			backend = (unsigned short)strtoul(optarg, NULL, 0);
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

	rc = tree_open(backend, &tree_ref);
	if (rc) {
		errno = -rc;
		die("open /dev/gntv3 and TREE_CREATE");
	}
	/* rsp first: dom0 derives its next seq from it */
	if (xs_printf("rsp", "0 0 none") || xs_printf("backend", "%u", backend) ||
	    xs_printf("tree-ref", "%u", tree_ref) || xs_printf("state", XD_READY))
		die("xenstore-write");
	printf("GNTV3-XPEER-READY backend=%u tree-ref=%u\n", backend, tree_ref);

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
		rc = serve(cmd + pos, backend, out, sizeof(out), &quit);
		printf("xpeer: %s -> %d %s\n", cmd, rc, out);
		if (xs_printf("rsp", "%lu %d %s", seq, rc, out))
			die("xenstore-write rsp");
		last = seq;
	}
	if (bg.running)
		pthread_join(bg.thread, NULL);
	close(fd);
	return 0;
}
