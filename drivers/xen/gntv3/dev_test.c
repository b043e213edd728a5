// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 /dev/gntv3: the test-only ioctls (CONFIG_XEN_GNTV3_TEST).
 *
 * What only the kselftests need: the published leaf entry of a grant, the
 * counters of a tree and of the module's backend, and extra page holds on
 * a mapping, as a driver still doing I/O on it would take.  The commands
 * and their structs are in gntv3_test.h, apart from the production uapi;
 * without CONFIG_XEN_GNTV3_TEST this file is not built and they answer
 * -ENOTTY.  dev.c dispatches them like every other ioctl, after copying the
 * argument in and checking its pads.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <xen/gntv3.h>
#include <uapi/xen/gntv3.h>

#include "backend.h"
#include "dev.h"
#include "dev_back.h"
#include "gntv3_test.h"

int gntv3_test_ioc_query(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_query *q = ucmd->cmd;
	struct gntv3_grant_info info;
	struct gntv3_front *front;
	int rc;

	front = gntv3_dev_front_lock(ucmd->file, q->tree);
	if (!front)
		return -ENOENT;
	rc = gntv3_grant_query(front, q->id, &info);
	mutex_unlock(&ucmd->file->lock);
	if (rc)
		return rc;

	q->first_id = info.first_id;
	q->pte = info.pte;
	q->order = info.order;
	q->state = info.state;
	q->readonly = info.readonly;
	return gntv3_ucmd_respond(ucmd, sizeof(*q));
}

int gntv3_test_ioc_tree_stats(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_tree_stats *ts = ucmd->cmd;
	struct gntv3_front_stats st;
	struct gntv3_front *front;

	front = gntv3_dev_front_lock(ucmd->file, ts->tree);
	if (!front)
		return -ENOENT;
	gntv3_front_get_stats(front, &st);
	mutex_unlock(&ucmd->file->lock);

	ts->levels = st.levels;
	ts->nr_grants = st.nr_grants;
	ts->nr_ids = st.nr_ids;
	ts->nr_quarantined = st.nr_quarantined;
	ts->nr_tables = st.nr_tables;
	ts->nr_v1_refs = st.nr_v1_refs;
	ts->nr_failures = st.nr_failures;
	return gntv3_ucmd_respond(ucmd, sizeof(*ts));
}

/*
 * A hold is a page reference the file keeps until it is dropped here, or
 * until DETACH or close (gntv3_dev_detach_locked()).  The safe unmap of the
 * mapping waits for it, as for any other user of the page.
 */
int gntv3_test_ioc_map_hold(struct gntv3_ucmd *ucmd)
{
	struct gntv3_ioc_map_hold *h = ucmd->cmd;
	struct gntv3_dev_back *db = ucmd->file->back;
	struct gntv3_dev_map *dm;
	int rc = 0;

	if (h->hold > 1)
		return -EINVAL;
	dm = gntv3_dev_map_lock(db, h->map);
	if (!dm)
		return -ENOENT;
	if (h->page >= dm->nr_pages) {
		rc = -EINVAL;
	} else if (h->hold) {
		if (dm->unmapping)
			rc = -EBUSY;
		else if (dm->holds[h->page] == U16_MAX)
			rc = -EOVERFLOW;
		if (!rc) {
			get_page(dm->map->pages[h->page]);
			dm->holds[h->page]++;
		}
	} else if (!dm->holds[h->page]) {
		rc = -EINVAL;
	} else {
		/* allowed during an UNMAP: that is what it waits for */
		put_page(dm->map->pages[h->page]);
		dm->holds[h->page]--;
	}
	mutex_unlock(&db->lock);
	return rc;
}

int gntv3_test_ioc_back_stats(struct gntv3_ucmd *ucmd)
{
	struct gntv3_back_counters *c = &gntv3_back_cnt;
	struct gntv3_ioc_back_stats *s = ucmd->cmd;

	s->nr_mapped = atomic64_read(&c->mappings);
	s->nr_pages_mapped = atomic64_read(&c->pages_mapped);
	s->nr_unmap_pending = atomic64_read(&c->unmap_pending);
	s->nr_unmap_retries = atomic64_read(&c->retries);
	s->nr_unmap_stuck = atomic64_read(&c->stuck);
	s->nr_bad_entries = atomic64_read(&c->bad_entries);
	return gntv3_ucmd_respond(ucmd, sizeof(*s));
}
