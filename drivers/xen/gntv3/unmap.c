// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 safe unmap.
 *
 * A mapped foreign page may be unmapped only once nobody but gntv3 holds a
 * reference to it: a driver may still be doing I/O on it (a network stack
 * holding an skb frag, a block request in flight).  Unmapping under its
 * feet would let the frontend reuse the frame while we still write it.
 *
 * Linux's gnttab_unmap_refs_async() solves the same problem for gntdev and
 * the backends, but retries in fixed 5 ms steps for ever, keeps no
 * statistics, cannot be cancelled and has no way to say "gave up".  Here:
 *  - the schedule is a bounded exponential backoff (retry.c): 1, 2, 4, ...
 *    ms capped at 256 ms, so a page released within a few ms is unmapped
 *    within a few ms, a long hold costs few wake-ups, and after the budget
 *    (10 s by default) the caller gets done(-EBUSY) with the mapping still
 *    valid and its own again, counted as "stuck", instead of a silent
 *    retry loop that outlives everything;
 *  - base, cap and budget are module parameters (unmap_retry_base_ms,
 *    unmap_retry_cap_ms, unmap_retry_budget_ms), read at every retry;
 *  - the attempts are made by one delayed work per attachment, for every
 *    queued mapping that is due, rather than by a timer in each mapping:
 *    a timer would be a third of a mapping's tracking, and a batch still
 *    in use would wake up once per mapping at every retry;
 *  - pending unmaps, retries, stuck and cancelled ones are counted
 *    (debugfs "back", GNTV3_IOC_BACK_STATS);
 *  - detach and module unload cancel pending unmaps: each gets one final
 *    synchronous attempt (repeated on the schedule above while it fails
 *    for want of memory) and then done(0) or done(-ECANCELED).  A page
 *    still referenced at that point stays mapped and is deliberately
 *    leaked (pr_warn, "leaked" counter): never freed while mapped.
 *  - gntv3_unmap_sync() is the same path with a completion, for callers
 *    that can sleep;
 *  - gntv3_unmap_batch() gives back many mappings at once: those nobody
 *    else holds are unmapped at once, in the caller's context and with
 *    one gnttab_unmap_refs() call for all of them (the cost gntv3_map()
 *    pays for mapping them); the others take the path above.
 *
 * Unmapped pages go to their attachment's page cache and the mappings of a
 * batch unmap to its pool (pool.c), for the next gntv3_map().
 *
 * The check "page_count() == what we hold" and the unmap hypercall run
 * under back->lock but not atomically against other kernel code: like
 * gnttab_unmap_refs_async(), this relies on users not taking new page
 * references once they asked for the unmap.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "backend.h"
#include "retry.h"
#include "trace.h"
#include "transport.h"

static unsigned int unmap_retry_base_ms = GNTV3_RETRY_BASE_MS;
module_param(unmap_retry_base_ms, uint, 0644);
MODULE_PARM_DESC(unmap_retry_base_ms, "First retry delay of the safe unmap (ms)");

static unsigned int unmap_retry_cap_ms = GNTV3_RETRY_CAP_MS;
module_param(unmap_retry_cap_ms, uint, 0644);
MODULE_PARM_DESC(unmap_retry_cap_ms, "Longest retry delay of the safe unmap (ms)");

static unsigned int unmap_retry_budget_ms = GNTV3_RETRY_BUDGET_MS;
module_param(unmap_retry_budget_ms, uint, 0644);
MODULE_PARM_DESC(unmap_retry_budget_ms,
		 "Give up (done -EBUSY) this long after the first unmap attempt (ms)");

/*
 * Fault injection (debugfs back_done_delay_ms, 0 by default): the unmap
 * work sleeps this long after a mapping left its attachment's list and
 * before the done callback, so that a test can detach while works are in
 * that window, which detach must wait out.
 */
u32 gntv3_unmap_done_delay_ms;

/* Runs every unmap attempt and every done callback; drained at unload. */
static struct workqueue_struct *gntv3_unmap_wq;

/**
 * gntv3_back_unmap_pages() - unmap and free the pages of some mappings
 * @mps: @nr mappings of one attachment, which nobody else references any
 *	more; called with their attachment's lock held (its page cache)
 * @nr: number of mappings
 * @results: IN: 0 for each mapping to unmap, anything else skips it.
 *	OUT, for those to unmap: 0 unmapped, its pages back in the
 *	attachment's page cache and the counters updated; -EIO the hypervisor
 *	refused, the mapping is leaked as a whole (its pages stay allocated);
 *	-ENOMEM nothing was done.
 *
 * One call of the attachment's transport (&gntv3_transport_ops.unmap) for
 * all of them.  The mappings themselves are left to the caller
 * (gntv3_back_free_mapping()).
 */
void gntv3_back_unmap_pages(struct gntv3_map_priv **mps, unsigned int nr,
			    int *results)
{
	mps[0]->pub.back->xops->unmap(mps, nr, results);
}

/**
 * gntv3_back_leak_mapping() - give up on a mapping that cannot be unmapped
 * @mp: the mapping, off its attachment's list
 * @why: for the log
 *
 * The pages (and a vmap area) stay mapped and allocated forever: this is the
 * price of never freeing a page that is still mapped.  The attachment
 * remembers the ids, so that it refuses their revoke.  The caller frees the
 * bookkeeping with gntv3_back_free_mapping() when it is done with @mp.
 *
 * Context: under the attachment's lock.
 */
void gntv3_back_leak_mapping(struct gntv3_map_priv *mp, const char *why)
{
	struct gntv3_back *back = mp->pub.back;
	gntv3_id_t end = mp->pub.id + mp->pub.nr_pages;

	lockdep_assert_held(&back->lock);
	if (!back->leak_end || mp->pub.id < back->leak_first)
		back->leak_first = mp->pub.id;
	back->leak_end = max(back->leak_end, end);
	pr_warn_ratelimited("gntv3: leaking mapping of id %llu from d%u (%u pages): %s\n",
			    mp->pub.id, mp->pub.back->domid, mp->pub.nr_pages, why);
	atomic64_inc(&gntv3_back_cnt.leaked);
	gntv3_map_account(-1, 1, mp->pub.nr_pages);
	mp->pub.vaddr = NULL;	/* never vunmap()ed */
}

/* ---- the safe unmap ---- */

/**
 * gntv3_pages_idle() - does nobody but gntv3 hold the pages of a mapping
 * @mp: the mapping
 *
 * Return: true if every page has only gntv3's references.
 */
bool gntv3_pages_idle(const struct gntv3_map_priv *mp)
{
	unsigned int i;

	for (i = 0; i < mp->pub.nr_pages; i++)
		if (page_count(mp->pub.pages[i]) != GNTV3_PAGE_REFS_OURS)
			return false;
	return true;
}

/*
 * One attempt: 0 unmapped, -EBUSY or -ENOMEM try again later, -EIO the
 * hypercall failed and the mapping is leaked (gntv3_back_unmap_pages()).
 */
static int gntv3_unmap_try(struct gntv3_map_priv *mp)
{
	int rc = 0;

	if (!gntv3_pages_idle(mp))
		return -EBUSY;
	gntv3_back_unmap_pages(&mp, 1, &rc);
	return rc;
}

/*
 * A result of gntv3_unmap_batch_cache() and of gntv3_unmap_attempt(): the
 * mapping went to the cache (or goes there after its done callback).
 */
#define GNTV3_UNMAP_CACHED	1

/*
 * Hand a live mapping to its attachment's unmap work; under back->lock.
 * While the attachment is dying the work is not armed: detach finds the
 * mapping pending and makes its last attempt itself.
 */
static void gntv3_unmap_queue(struct gntv3_map_priv *mp,
			      gntv3_unmap_done_t done, void *data)
{
	struct gntv3_back *back = mp->pub.back;

	mp->state = GNTV3_MAP_PENDING;
	mp->retry = 0;
	mp->start = jiffies;
	mp->due = mp->start;
	mp->done = done;
	mp->data = data;
	list_add_tail(&mp->queue, &back->unmap_queue);
	atomic64_inc(&gntv3_back_cnt.unmap_pending);
	if (!back->dying)
		mod_delayed_work(gntv3_unmap_wq, &back->unmap_work, 0);
}

/*
 * After a final result: call back, then free what is no longer mapped and
 * let a pending revoke know.  The caller took a reference to the attachment
 * for us and counted us in back->in_done: a detach may start as soon as the
 * mapping left back->maps, and waits for us to be done with the callback.
 *
 * Ordering against a revoke's ACK: from the moment the mapping left
 * back->maps (under back->lock, with back->in_done raised in the same
 * critical section) until back->in_done drops here, the range check of a
 * pending revoke (gntv3_back_range_mapped()) counts us as still mapped, so
 * no poll can ACK before the owner's done callback ran.  The drop and the
 * kick (gntv3_back_mappings_gone()) happen in one critical section of
 * back->lock, and the range check takes that lock too: the check the kick
 * starts sees back->in_done already down, so the kick that sends the ACK
 * is never lost to a check that ran just before the drop.  The -EBUSY case
 * kicks as well: a check that saw us in back->in_done may be waiting.
 */
static void gntv3_unmap_complete(struct gntv3_map_priv *mp,
				 gntv3_unmap_done_t done, void *data, int result,
				 bool cached)
{
	struct gntv3_back *back = mp->pub.back;
	u32 delay = READ_ONCE(gntv3_unmap_done_delay_ms);
	bool last;

	if (delay)
		msleep(delay);
	trace_gntv3_unmap(back->domid, mp->pub.id, mp->pub.nr_pages, result);
	done(&mp->pub, result, data);
	if (result != -EBUSY && !cached)
		gntv3_back_free_mapping(mp);
	mutex_lock(&back->lock);
	/* only now may somebody else get it from the cache (cache.c) */
	if (cached)
		gntv3_cache_settle(back, mp);
	last = atomic_dec_and_test(&back->in_done);
	gntv3_back_mappings_gone(back);
	mutex_unlock(&back->lock);
	if (last)
		wake_up_var(&back->in_done);
	gntv3_back_put(back);
}

/* The retry schedule of the safe unmap, as the module parameters say now. */
static struct gntv3_retry_policy gntv3_unmap_policy(void)
{
	return (struct gntv3_retry_policy) {
		.base_ms = READ_ONCE(unmap_retry_base_ms),
		.cap_ms = READ_ONCE(unmap_retry_cap_ms),
		.budget_ms = READ_ONCE(unmap_retry_budget_ms),
	};
}

/*
 * One attempt for a queued mapping that is due; under back->lock.
 *
 * Return: true if it stays queued for a retry, false if the attempt was
 * its last: then it is off back->unmap_queue, @mp->result is what its done
 * callback gets (GNTV3_UNMAP_CACHED: 0, and into the cache after the
 * callback), and the attachment is held for gntv3_unmap_complete().  A
 * mapping out of budget (-EBUSY) stays GNTV3_MAP_PENDING until the work
 * hands it back (gntv3_unmap_give_back()), so that nobody queues it again
 * while the work still links it.
 */
static bool gntv3_unmap_attempt(struct gntv3_back *back,
				struct gntv3_map_priv *mp,
				const struct gntv3_retry_policy *policy)
{
	u32 delay;
	int rc;

	if (gntv3_cache_may_put(back, mp) && gntv3_cache_open(back)) {
		/* the owner's until its done callback returned */
		mp->state = GNTV3_MAP_CACHING;
		rc = GNTV3_UNMAP_CACHED;
	} else {
		rc = gntv3_unmap_try(mp);
	}
	if (rc == -EBUSY || rc == -ENOMEM) {
		delay = gntv3_retry_next(policy, mp->retry,
					 jiffies_to_msecs(jiffies - mp->start));
		if (delay) {
			mp->retry++;
			mp->due = jiffies + msecs_to_jiffies(delay);
			atomic64_inc(&gntv3_back_cnt.retries);
			trace_gntv3_unmap_retry(back->domid, mp->pub.id,
						mp->retry, delay);
			return true;
		}
		/* out of budget: the mapping stays valid */
		rc = -EBUSY;
		atomic64_inc(&gntv3_back_cnt.stuck);
	} else if (rc != GNTV3_UNMAP_CACHED) {
		gntv3_cache_unindex(back, mp);
		list_del_init(&mp->node);
	}
	list_del_init(&mp->queue);
	mp->result = rc;
	atomic64_dec(&gntv3_back_cnt.unmap_pending);
	kref_get(&back->ref);
	atomic_inc(&back->in_done);
	return false;
}

/*
 * A mapping whose unmap ran out of budget is the caller's again, from
 * before its done callback (which may unmap it once more) on.
 */
static void gntv3_unmap_give_back(struct gntv3_back *back,
				  struct gntv3_map_priv *mp)
{
	mutex_lock(&back->lock);
	mp->state = GNTV3_MAP_LIVE;
	mutex_unlock(&back->lock);
}

/* Arm the unmap work for the earliest attempt due; under back->lock. */
static void gntv3_unmap_arm(struct gntv3_back *back)
{
	struct gntv3_map_priv *mp;
	unsigned long next = 0;
	bool any = false;

	if (back->dying)
		return;
	list_for_each_entry(mp, &back->unmap_queue, queue) {
		if (!any || time_before(mp->due, next))
			next = mp->due;
		any = true;
	}
	if (any)
		queue_delayed_work(gntv3_unmap_wq, &back->unmap_work,
				   time_after(next, jiffies) ? next - jiffies : 0);
}

/*
 * The unmap work of an attachment: one attempt for each queued mapping
 * that is due, then, without the lock, the done callbacks of those whose
 * unmap is over, then the timer for the next attempt.  One timer per
 * attachment rather than one per mapping: a mapping's tracking stays
 * small (the bench's mem_map rows), and a batch whose pages are still in
 * use costs one wake-up per retry, not one per mapping.
 */
static void gntv3_unmap_work(struct work_struct *work)
{
	struct gntv3_back *back = container_of(to_delayed_work(work),
					       struct gntv3_back, unmap_work);
	struct gntv3_retry_policy policy = gntv3_unmap_policy();
	struct gntv3_map_priv *mp, *tmp;
	LIST_HEAD(over);
	bool cached;

	mutex_lock(&back->lock);
	list_for_each_entry_safe(mp, tmp, &back->unmap_queue, queue) {
		if (time_before(jiffies, mp->due) ||
		    gntv3_unmap_attempt(back, mp, &policy))
			continue;
		list_add_tail(&mp->queue, &over);
	}
	mutex_unlock(&back->lock);

	/*
	 * Ours alone: off back->unmap_queue and still pending or caching, so
	 * nobody queues them again or changes their fields; detach waits for
	 * this work.
	 */
	list_for_each_entry_safe(mp, tmp, &over, queue) {
		cached = mp->result == GNTV3_UNMAP_CACHED;
		list_del_init(&mp->queue);
		if (mp->result == -EBUSY)
			gntv3_unmap_give_back(back, mp);
		/* gntv3_cache_settle() may queue @mp again, for an eviction */
		gntv3_unmap_complete(mp, mp->done, mp->data,
				     cached ? 0 : mp->result, cached);
	}

	mutex_lock(&back->lock);
	gntv3_unmap_arm(back);
	mutex_unlock(&back->lock);
}

/**
 * gntv3_unmap_async() - unmap a mapping once nobody uses its pages
 * @map: a mapping from gntv3_map()
 * @done: called exactly once from a workqueue with the result: 0 unmapped
 *	(@map is freed right after @done returns, or with GNTV3_MAP_F_CACHE
 *	perhaps kept in the mapping cache: either way no longer the
 *	caller's), -EBUSY the pages were
 *	still in use when the retry budget ran out (@map stays valid and the
 *	caller's), -ECANCELED detach or unload cancelled the unmap (@map is
 *	gone after @done returns; pages still in use are leaked, never
 *	freed), -EIO Xen refused the unmap (@map is gone, its pages leaked)
 * @data: passed to @done
 *
 * The first attempt is made at once from the workqueue; while any page is
 * still referenced by someone else, attempts are retried with a bounded
 * exponential backoff (see the top of this file).  The caller must not take
 * new references to the pages after calling this.
 *
 * Context: any context that may take a mutex.
 * Return: 0 if queued; -EINVAL for a bad argument, -EALREADY if an unmap of
 * @map is already pending, -ESHUTDOWN while its attachment is detaching.
 */
int gntv3_unmap_async(struct gntv3_mapping *map, gntv3_unmap_done_t done,
		      void *data)
{
	struct gntv3_map_priv *mp;
	struct gntv3_back *back;
	int rc = 0;

	if (!map || !done || !map->back)
		return -EINVAL;
	mp = to_map_priv(map);
	back = map->back;
	mutex_lock(&back->lock);
	if (back->dying || mp->state == GNTV3_MAP_CANCELLING)
		rc = -ESHUTDOWN;
	else if (mp->state == GNTV3_MAP_PENDING)
		rc = -EALREADY;
	else
		gntv3_unmap_queue(mp, done, data);
	mutex_unlock(&back->lock);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_unmap_async);

struct gntv3_unmap_waiter {
	struct completion done;
	int result;
};

static void gntv3_unmap_sync_done(struct gntv3_mapping *map, int result,
				  void *data)
{
	struct gntv3_unmap_waiter *w = data;

	w->result = result;
	complete(&w->done);
}

/**
 * gntv3_unmap_sync() - unmap a mapping and wait for the result
 * @map: a mapping from gntv3_map()
 *
 * Same path as gntv3_unmap_async(); waits up to the retry budget (10 s by
 * default) while the pages are in use.
 *
 * Context: process context, may sleep; not from a done callback.
 * Return: 0 (@map is freed), -EBUSY (@map still mapped and the caller's),
 * -ECANCELED or -EIO (@map is gone, see gntv3_unmap_async()), or an error
 * of gntv3_unmap_async() (nothing happened).
 */
int gntv3_unmap_sync(struct gntv3_mapping *map)
{
	struct gntv3_unmap_waiter w;
	int rc;

	init_completion(&w.done);
	rc = gntv3_unmap_async(map, gntv3_unmap_sync_done, &w);
	if (rc)
		return rc;
	wait_for_completion(&w.done);
	return w.result;
}
EXPORT_SYMBOL_GPL(gntv3_unmap_sync);

/*
 * Mark every mapping of a batch pending, so that one listed twice is
 * caught, and set its result to 0 if nobody else holds its pages, -EBUSY
 * if somebody does; on failure the ones marked are live again.  Under
 * back->lock.
 */
static int gntv3_unmap_claim(struct gntv3_back *back,
			     struct gntv3_map_priv **mps, unsigned int nr,
			     int *results)
{
	unsigned int i;
	int rc;

	if (back->dying)
		return -ESHUTDOWN;
	for (i = 0; i < nr; i++) {
		if (mps[i]->state != GNTV3_MAP_LIVE)
			break;
		mps[i]->state = GNTV3_MAP_PENDING;
		results[i] = gntv3_pages_idle(mps[i]) ? 0 : -EBUSY;
	}
	if (i == nr)
		return 0;
	rc = mps[i]->state == GNTV3_MAP_PENDING ? -EALREADY : -ESHUTDOWN;
	while (i--)
		mps[i]->state = GNTV3_MAP_LIVE;
	return rc;
}

/*
 * The idle mappings of a claimed batch (result 0) go to the mapping cache
 * if it takes them (result GNTV3_UNMAP_CACHED), the others are unmapped
 * with one call of the transport; under back->lock.
 */
static void gntv3_unmap_batch_cache(struct gntv3_back *back,
				    struct gntv3_map_priv **mps,
				    unsigned int nr, int *results)
{
	int open = -1;	/* asked once, and only for a cacheable mapping */
	unsigned int i, nr_unmap = 0;

	for (i = 0; i < nr; i++) {
		if (results[i])
			continue;
		if (mps[i]->indexed && open < 0)
			open = gntv3_cache_open(back);
		if (mps[i]->indexed && open &&
		    gntv3_cache_put(back, mps[i], true))
			results[i] = GNTV3_UNMAP_CACHED;
		else
			nr_unmap++;
	}
	if (nr_unmap)
		gntv3_back_unmap_pages(mps, nr, results);
}

/**
 * gntv3_unmap_batch() - unmap many mappings of one attachment at once
 * @maps: @nr mappings from gntv3_map() of the same attachment, each listed
 *	once
 * @nr: number of mappings, 1 to 32768 (64 superpages' worth of pages)
 * @done: completion of the mappings that are still in use, as for
 *	gntv3_unmap_async()
 * @data: NULL, or @nr pointers, the i-th passed to @done for the i-th
 *	mapping
 * @results: receives one result per mapping, the i-th for the i-th
 *	mapping.  0: unmapped and freed (or, for a mapping made with
 *	GNTV3_MAP_F_CACHE, perhaps kept mapped in the attachment's mapping
 *	cache: gone for the caller all the same).  -EIO: Xen refused the
 *	unmap, the mapping is gone and its pages are leaked.  -EINPROGRESS:
 *	a page was still in use (or memory was short): the mapping went the
 *	way of gntv3_unmap_async() and @done reports its result later.
 *
 * The mappings whose pages nobody else holds are unmapped right away, in
 * the caller's context, with a single gnttab_unmap_refs() call for all of
 * them (two if PV GNTV3_MAP_F_VMAP and plain mappings are mixed), and
 * their pages go back to the attachment's page cache at once: a batch
 * costs what one gntv3_unmap_sync() costs, where that costs a workqueue
 * round trip and a hypercall per mapping.  Pages still in use are never
 * unmapped here.  The caller must not take new references to the pages
 * after calling this.
 *
 * Context: process context, may sleep.
 * Return: 0 and @results; or, with nothing done: -EINVAL for a bad
 * argument or mappings of different attachments, -EALREADY if an unmap of
 * a mapping is already pending (or it is listed twice), -ESHUTDOWN while
 * the attachment is detaching, -ENOMEM.
 */
int gntv3_unmap_batch(struct gntv3_mapping **maps, unsigned int nr,
		      gntv3_unmap_done_t done, void *const *data,
		      int *results)
{
	struct gntv3_map_priv *mps_inline[GNTV3_INLINE_NR], **mps;
	struct gntv3_back *back;
	unsigned int i, nr_free = 0;
	int rc;

	if (!maps || !nr || nr > GNTV3_MAP_MAX_PAGES || !done || !results ||
	    !maps[0] || !maps[0]->back)
		return -EINVAL;
	back = maps[0]->back;
	for (i = 1; i < nr; i++)
		if (!maps[i] || maps[i]->back != back)
			return -EINVAL;
	mps = gntv3_array_get(mps_inline, sizeof(mps_inline), nr, sizeof(*mps));
	if (!mps)
		return -ENOMEM;

	mutex_lock(&back->lock);
	for (i = 0; i < nr; i++)
		mps[i] = to_map_priv(maps[i]);
	rc = gntv3_unmap_claim(back, mps, nr, results);
	if (!rc) {
		gntv3_unmap_batch_cache(back, mps, nr, results);
		for (i = 0; i < nr; i++) {
			if (results[i] == GNTV3_UNMAP_CACHED) {
				/* stays on back->maps, now the cache's */
				results[i] = 0;
			} else if (results[i] == -EBUSY ||
				   results[i] == -ENOMEM) {
				gntv3_unmap_queue(mps[i], done,
						  data ? data[i] : NULL);
				results[i] = -EINPROGRESS;
			} else {
				trace_gntv3_unmap(back->domid, mps[i]->pub.id,
						  mps[i]->pub.nr_pages,
						  results[i]);
				gntv3_cache_unindex(back, mps[i]);
				list_del_init(&mps[i]->node);
				/* done with mps[i]: keep the ones to free */
				mps[nr_free++] = mps[i];
			}
		}
		gntv3_back_free_mappings(mps, nr_free);
		if (nr_free)
			gntv3_back_mappings_gone(back);
	}
	mutex_unlock(&back->lock);

	gntv3_array_put(mps, mps_inline);
	return rc;
}
EXPORT_SYMBOL_GPL(gntv3_unmap_batch);

/**
 * gntv3_unmap_cancel() - detach's last word on one mapping
 * @mp: the mapping, already off back->maps and in GNTV3_MAP_CANCELLING
 * @was_pending: an unmap was pending: its done callback is owed
 *
 * Makes one final synchronous attempt and frees or leaks the mapping; the
 * attachment's unmap work is stopped already (gntv3_unmap_stop()).  An
 * attempt that failed for want of memory (-ENOMEM: the unmap's op arrays)
 * did nothing and is repeated on the unmap's retry schedule, up to its
 * budget: a failed allocation of a few pages of bookkeeping must not leak
 * a whole mapping and keep the frontend's grant quarantined for ever.
 * Pages still in use (-EBUSY) get no second attempt: detach does not wait
 * for their users.  Called without back->lock, which each attempt takes
 * (the attachment's caches).
 *
 * Return: 0 if unmapped, else the errno of the last attempt.
 */
int gntv3_unmap_cancel(struct gntv3_map_priv *mp, bool was_pending)
{
	struct gntv3_retry_policy policy = gntv3_unmap_policy();
	unsigned long start = jiffies;
	unsigned int retry = 0;
	u32 delay;
	int rc;

	for (;;) {
		mutex_lock(&mp->pub.back->lock);
		rc = gntv3_unmap_try(mp);
		mutex_unlock(&mp->pub.back->lock);
		if (rc != -ENOMEM)
			break;
		delay = gntv3_retry_next(&policy, retry++,
					 jiffies_to_msecs(jiffies - start));
		if (!delay)
			break;
		atomic64_inc(&gntv3_back_cnt.retries);
		msleep(delay);
	}
	if (rc == -EBUSY || rc == -ENOMEM) {
		mutex_lock(&mp->pub.back->lock);
		gntv3_back_leak_mapping(mp, rc == -EBUSY ?
					"pages still in use at detach" :
					"no memory to unmap at detach");
		mutex_unlock(&mp->pub.back->lock);
	}
	if (was_pending) {
		atomic64_dec(&gntv3_back_cnt.unmap_pending);
		if (rc)
			atomic64_inc(&gntv3_back_cnt.cancelled);
		mp->done(&mp->pub, rc == -EIO ? -EIO : rc ? -ECANCELED : 0,
			 mp->data);
	}
	gntv3_back_free_mapping(mp);
	return rc;
}

/* Nobody waits for an eviction from the mapping cache. */
static void gntv3_unmap_evicted(struct gntv3_mapping *map, int result,
				void *data)
{
	/* -EBUSY: still mapped, found and unmapped by detach at the latest */
	if (result)
		pr_warn_ratelimited("gntv3: d%u: evicting id %llu from the mapping cache: %d\n",
				    map->back->domid, map->id, result);
}

/**
 * gntv3_unmap_evict() - unmap a mapping the cache lets go of
 * @mp: the mapping, out of the cache, with its attachment's lock held
 *
 * The safe unmap path, with nobody to call back (cache.c).
 */
void gntv3_unmap_evict(struct gntv3_map_priv *mp)
{
	lockdep_assert_held(&mp->pub.back->lock);
	gntv3_unmap_queue(mp, gntv3_unmap_evicted, NULL);
}

/**
 * gntv3_unmap_work_init() - set up the unmap queue of a new attachment
 * @back: the attachment
 */
void gntv3_unmap_work_init(struct gntv3_back *back)
{
	INIT_LIST_HEAD(&back->unmap_queue);
	INIT_DELAYED_WORK(&back->unmap_work, gntv3_unmap_work);
}

/**
 * gntv3_unmap_stop() - stop the unmap work of a detaching attachment
 * @back: the attachment, @back->dying already set
 *
 * Waits for a running work, done callbacks included; the work is never
 * armed again (gntv3_unmap_queue(), gntv3_unmap_arm()), so what is still
 * queued is left to detach (gntv3_unmap_cancel()).
 */
void gntv3_unmap_stop(struct gntv3_back *back)
{
	cancel_delayed_work_sync(&back->unmap_work);
}

/**
 * gntv3_unmap_init() - create the unmap workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int gntv3_unmap_init(void)
{
	gntv3_unmap_wq = alloc_workqueue("gntv3_unmap", WQ_UNBOUND, 0);
	return gntv3_unmap_wq ? 0 : -ENOMEM;
}

/**
 * gntv3_unmap_exit() - destroy the unmap workqueue
 *
 * Called after every attachment is detached, so no unmap is pending.
 */
void gntv3_unmap_exit(void)
{
	destroy_workqueue(gntv3_unmap_wq);
}
