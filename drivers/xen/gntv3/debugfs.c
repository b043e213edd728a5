// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 debugfs files, under /sys/kernel/debug/gntv3/:
 *
 *  transport	the transport in use and the result of the load-time probe
 *  fronts	one line per grant tree (destroyed ones too, until their
 *		quarantine drained), as key=value pairs
 *  stats	module-wide frontend counters
 *
 * Other parts of the module add their files under gntv3_debugfs_root().
 * The format is for people and tests, not a stable ABI.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>

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

	seq_printf(m, "backend=%u levels=%u grants=%llu ids=%llu tables=%llu v1_refs=%llu quarantined=%llu quarantined_pages=%llu failures=%llu state=%s\n",
		   front->backend, st.levels, st.nr_grants, st.nr_ids,
		   st.nr_tables, st.nr_v1_refs, st.nr_quarantined, qpages,
		   st.nr_failures, dead ? "destroyed" : "live");
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

static int stats_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "trees: %ld\n", atomic_long_read(&gntv3_stats.nr_trees));
	seq_printf(m, "grants: %ld\n", atomic_long_read(&gntv3_stats.nr_grants));
	seq_printf(m, "quarantined: %ld\n",
		   atomic_long_read(&gntv3_stats.nr_quarantined));
	seq_printf(m, "failures: %ld\n",
		   atomic_long_read(&gntv3_stats.nr_failures));
	seq_printf(m, "leaked: %ld\n", atomic_long_read(&gntv3_stats.nr_leaked));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

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
}

/**
 * gntv3_debugfs_exit() - remove the directory and every file below it
 */
void gntv3_debugfs_exit(void)
{
	debugfs_remove_recursive(gntv3_debugfs_dir);
	gntv3_debugfs_dir = NULL;
}
