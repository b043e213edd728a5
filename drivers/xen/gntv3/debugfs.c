// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 debugfs files, under /sys/kernel/debug/gntv3/:
 *
 *  transport		the transport in use and the result of the
 *			load-time probe
 *  fronts		one line per grant tree (destroyed ones too, until
 *			their quarantine drained)
 *  stats		module-wide frontend counters
 *  back		backend counters, then one line per attachment
 *  back_pages		one line per backend mapping, then one per page
 *  mem			memory gauges of the backend's mappings (memstats.h)
 *  back_tcache_max	knob: table cache bound of new attachments
 *  back_done_delay_ms	fault injection, see unmap.c (*)
 *  back_fail_map_op	fault injection, see transport_v1_map.c (*)
 *  conn		connection counters, then one line per frontend and
 *			per backend connection (conn.c, conn_front.c,
 *			conn_back.c)
 *  back_ignore_revokes	fault injection, see conn.c (*)
 *  front_inject	fault injection, write-only: 1 makes every connected
 *			frontend put one malformed request (unknown op) on
 *			its ring, 2 one with a bogus reserved field (*)
 *
 * (*) only with CONFIG_XEN_GNTV3_TEST, like the test ioctls.
 *
 * One format everywhere: every line is one or more "key: value" pairs
 * separated by single spaces, values without spaces.  A line with one pair
 * is a counter; a line with several describes one object, named by its
 * first pair ("attach: <domid> tree_ref: ...").  Counters come first.
 *
 * Every file is created here, once every other part of the module is up,
 * and removed before any of them goes down.  The format is for people and
 * tests, not a stable ABI.
 */

#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <xen/grant_table.h>

#include "backend.h"
#include "conn.h"
#include "internal.h"

static struct dentry *gntv3_debugfs_dir;

/**
 * gntv3_debugfs_root() - the module's debugfs directory
 *
 * Valid between gntv3_debugfs_init() and gntv3_debugfs_exit().  May be an
 * error pointer when debugfs is unavailable; debugfs_create_*() accept it.
 * Files created below it are removed by gntv3_debugfs_exit().
 *
 * Return: the dentry of /sys/kernel/debug/gntv3.
 */
struct dentry *gntv3_debugfs_root(void)
{
	return gntv3_debugfs_dir;
}

static int transport_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "transport: %s\n", gntv3_transport->name);
	seq_printf(m, "probe_rc: %d\n", gntv3_probe_rc);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(transport);

static void fronts_show_one(struct seq_file *m, struct gntv3_front *front)
{
	struct gntv3_front_stats st;
	bool dead;
	u64 qpages;

	mutex_lock(&front->lock);
	gntv3_front_stats_locked(front, &st);
	dead = front->dead;
	qpages = front->nr_qpages;
	mutex_unlock(&front->lock);

	seq_printf(m, "backend: %u levels: %u grants: %llu ids: %llu tables: %llu v1_refs: %llu quarantined: %llu quarantined_pages: %llu failures: %llu record_bytes: %llu record_pool_bytes: %llu state: %s\n",
		   front->backend, st.levels, st.nr_grants, st.nr_ids,
		   st.nr_tables, st.nr_v1_refs, st.nr_quarantined, qpages,
		   st.nr_failures, st.record_bytes, st.record_pool_bytes,
		   dead ? "destroyed" : "live");
}

static int fronts_show(struct seq_file *m, void *unused)
{
	struct gntv3_front *front;

	mutex_lock(&gntv3_fronts_lock);
	list_for_each_entry(front, &gntv3_fronts, node)
		fronts_show_one(m, front);
	mutex_unlock(&gntv3_fronts_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fronts);

/*
 * Active grants over all trees, summed here rather than counted in a
 * module-wide atomic: granting writes nothing shared between fronts.
 */
static u64 gntv3_nr_grants(void)
{
	struct gntv3_front *front;
	u64 n = 0;

	mutex_lock(&gntv3_fronts_lock);
	list_for_each_entry(front, &gntv3_fronts, node) {
		mutex_lock(&front->lock);
		n += front->nr_grants;
		mutex_unlock(&front->lock);
	}
	mutex_unlock(&gntv3_fronts_lock);
	return n;
}

static int stats_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "trees: %ld\n", atomic_long_read(&gntv3_stats.nr_trees));
	seq_printf(m, "grants: %llu\n", gntv3_nr_grants());
	seq_printf(m, "quarantined: %ld\n",
		   atomic_long_read(&gntv3_stats.nr_quarantined));
	seq_printf(m, "failures: %ld\n",
		   atomic_long_read(&gntv3_stats.nr_failures));
	seq_printf(m, "leaked: %ld\n", atomic_long_read(&gntv3_stats.nr_leaked));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/* ---- backend ---- */

static const char *const gntv3_map_state_name[] = {
	[GNTV3_MAP_LIVE] = "live",
	[GNTV3_MAP_PENDING] = "pending",
	[GNTV3_MAP_CANCELLING] = "cancelling",
	[GNTV3_MAP_CACHED] = "cached",
	[GNTV3_MAP_CACHING] = "caching",
};

static int gntv3_back_show(struct seq_file *s, void *unused)
{
	struct gntv3_back_counters *c = &gntv3_back_cnt;
	struct gntv3_back *back;

	seq_printf(s, "attachments: %lld\nmappings: %lld\npages_mapped: %lld\n",
		   atomic64_read(&c->attachments), atomic64_read(&c->mappings),
		   atomic64_read(&c->pages_mapped));
	seq_printf(s, "unmap_pending: %lld\nretries: %lld\nstuck: %lld\ncancelled: %lld\n",
		   atomic64_read(&c->unmap_pending), atomic64_read(&c->retries),
		   atomic64_read(&c->stuck), atomic64_read(&c->cancelled));
	seq_printf(s, "bad_entries: %lld\ntcache_maps: %lld\nleaked: %lld\n",
		   atomic64_read(&c->bad_entries), atomic64_read(&c->tcache_maps),
		   atomic64_read(&c->leaked));
	seq_printf(s, "unmapped_at_detach: %lld\n",
		   atomic64_read(&c->unmapped_at_detach));
	seq_printf(s, "copy_ops: %lld\ncopy_bytes: %lld\ncopy_errors: %lld\n",
		   atomic64_read(&c->copy_ops), atomic64_read(&c->copy_bytes),
		   atomic64_read(&c->copy_errors));
	gntv3_cache_show(s);
	mutex_lock(&gntv3_backs_lock);
	list_for_each_entry(back, &gntv3_backs, link) {
		mutex_lock(&back->lock);
		seq_printf(s, "attach: %u tree_ref: %u generation: %u tables: %u tables_max: %u cached_pages: %u cached_pages_max: %u pooled_maps: %u pooled_maps_max: %u map_cache_pages: %u map_cache_max: %u\n",
			   back->domid, back->tree_ref, back->generation,
			   back->tcache_nr, back->tcache_max,
			   back->page_cache.nr, back->page_cache.max,
			   back->pool.nr, back->pool.max,
			   back->cache_pages, back->cache_max);
		mutex_unlock(&back->lock);
	}
	mutex_unlock(&gntv3_backs_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gntv3_back);

static int gntv3_mem_show(struct seq_file *s, void *unused)
{
	struct gntv3_mem_stats st;

	gntv3_get_mem_stats(&st);
	seq_printf(s, "map_tracking_bytes: %llu\nmap_pooled_bytes: %llu\n",
		   st.map_tracking_bytes, st.map_pooled_bytes);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gntv3_mem);

/*
 * One line per mapping, then one per page:
 *   map: I domid: D order: O ro: R state: S vmap: V first_ref: F
 *   page: N pfn: P foreign: F domid: D gref: G count: C
 * domid/gref are read back from xen_page_foreign(), which gnttab_map_refs()
 * filled in, so a test can check them against the grant's v1 references.
 */
static int gntv3_back_pages_show(struct seq_file *s, void *unused)
{
	struct gntv3_map_priv *mp;
	struct gntv3_back *back;
	unsigned int i;

	mutex_lock(&gntv3_backs_lock);
	list_for_each_entry(back, &gntv3_backs, link) {
		mutex_lock(&back->lock);
		list_for_each_entry(mp, &back->maps, node) {
			seq_printf(s, "map: %llu domid: %u order: %u ro: %d state: %s vmap: %d first_ref: %u\n",
				   mp->pub.id, back->domid, mp->pub.order,
				   mp->pub.readonly, gntv3_map_state_name[mp->state],
				   !!mp->pub.vaddr, mp->first_ref);
			for (i = 0; i < mp->pub.nr_pages; i++) {
				struct page *page = mp->pub.pages[i];
				struct xen_page_foreign *f = xen_page_foreign(page);

				seq_printf(s, "page: %u pfn: %#lx foreign: %d domid: %d gref: %lld count: %d\n",
					   i, page_to_pfn(page), !!f,
					   f ? f->domid : -1, f ? (s64)f->gref : -1LL,
					   page_count(page));
			}
		}
		mutex_unlock(&back->lock);
	}
	mutex_unlock(&gntv3_backs_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gntv3_back_pages);

/* ---- connections: the show function is conn.c's ---- */

DEFINE_SHOW_ATTRIBUTE(gntv3_conn);

static ssize_t gntv3_inject_write(struct file *file, const char __user *buf,
				  size_t len, loff_t *ppos)
{
	u32 what;
	int rc;

	rc = kstrtou32_from_user(buf, len, 0, &what);
	if (rc)
		return rc;
	rc = gntv3_fconn_inject(what);
	return rc ? rc : len;
}

static const struct file_operations gntv3_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = gntv3_inject_write,
	.llseek = noop_llseek,
};

/**
 * gntv3_debugfs_init() - create /sys/kernel/debug/gntv3 and its files
 *
 * Failures are ignored, as for every debugfs user.
 */
void gntv3_debugfs_init(void)
{
	gntv3_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("transport", 0444, gntv3_debugfs_dir, NULL,
			    &transport_fops);
	debugfs_create_file("fronts", 0444, gntv3_debugfs_dir, NULL,
			    &fronts_fops);
	debugfs_create_file("stats", 0444, gntv3_debugfs_dir, NULL,
			    &stats_fops);

	debugfs_create_file("back", 0400, gntv3_debugfs_dir, NULL,
			    &gntv3_back_fops);
	debugfs_create_file("back_pages", 0400, gntv3_debugfs_dir, NULL,
			    &gntv3_back_pages_fops);
	debugfs_create_file("mem", 0444, gntv3_debugfs_dir, NULL,
			    &gntv3_mem_fops);
	/* Knob: table cache bound of the attachments made from now on. */
	debugfs_create_u32("back_tcache_max", 0600, gntv3_debugfs_dir,
			   &gntv3_tcache_max);
	debugfs_create_file("conn", 0400, gntv3_debugfs_dir, NULL,
			    &gntv3_conn_fops);

	/* Fault injection is part of the test interface. */
	if (!IS_ENABLED(CONFIG_XEN_GNTV3_TEST))
		return;
	/* See gntv3_unmap_done_delay_ms (unmap.c). */
	debugfs_create_u32("back_done_delay_ms", 0600, gntv3_debugfs_dir,
			   &gntv3_unmap_done_delay_ms);
	/* See gntv3_fail_map_op (transport_v1_map.c). */
	debugfs_create_u32("back_fail_map_op", 0600, gntv3_debugfs_dir,
			   &gntv3_fail_map_op);
	/* See gntv3_back_ignore_revokes (conn.c). */
	debugfs_create_u32("back_ignore_revokes", 0600, gntv3_debugfs_dir,
			   &gntv3_back_ignore_revokes);
	debugfs_create_file("front_inject", 0200, gntv3_debugfs_dir, NULL,
			    &gntv3_inject_fops);
}

/**
 * gntv3_debugfs_exit() - remove the directory and every file below it
 */
void gntv3_debugfs_exit(void)
{
	debugfs_remove_recursive(gntv3_debugfs_dir);
	gntv3_debugfs_dir = NULL;
}
