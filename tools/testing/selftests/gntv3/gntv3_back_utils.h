/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the gntv3 backend kselftests (gntv3_back.c): one wrapper per
 * backend ioctl returning the ioctl's result (0, or -1 with errno set), and
 * readers for the backend's debugfs files and module parameters.
 */
#ifndef _GNTV3_BACK_UTILS_H
#define _GNTV3_BACK_UTILS_H

#include <time.h>

#include "gntv3_utils.h"

#define GNTV3_DEBUGFS_BACK	GNTV3_DEBUGFS_DIR "/back"
#define GNTV3_DEBUGFS_PAGES	GNTV3_DEBUGFS_DIR "/back_pages"
#define GNTV3_PARAM_DIR		"/sys/module/gntv3/parameters"

/*
 * The module's gauges in debugfs, { file, key }: what reads 0 once no file
 * of a test is open, and what a failed all-or-nothing call leaves as it
 * was.  An initializer, so that only the suites that use it hold a copy:
 *	static const char *const gauges[][2] = GNTV3_GAUGES;
 */
#define GNTV3_GAUGES {					\
	{ GNTV3_DEBUGFS_STATS, "trees" },		\
	{ GNTV3_DEBUGFS_STATS, "grants" },		\
	{ GNTV3_DEBUGFS_STATS, "quarantined" },		\
	{ GNTV3_DEBUGFS_STATS, "leaked" },		\
	{ GNTV3_DEBUGFS_BACK, "attachments" },		\
	{ GNTV3_DEBUGFS_BACK, "mappings" },		\
	{ GNTV3_DEBUGFS_BACK, "pages_mapped" },		\
	{ GNTV3_DEBUGFS_BACK, "unmap_pending" },	\
	{ GNTV3_DEBUGFS_BACK, "stuck" },		\
	{ GNTV3_DEBUGFS_BACK, "leaked" },		\
}

static inline int _gntv3_attach(int fd, __u16 domid, __u32 tree_ref,
				__u32 *back)
{
	struct gntv3_ioc_attach arg = { .domid = domid, .tree_ref = tree_ref };
	int ret = ioctl(fd, GNTV3_IOC_ATTACH, &arg);

	if (!ret && back)
		*back = arg.back;
	return ret;
}

/*
 * The errno of attaching to @tree_ref of this domain (dom0), 0 if that
 * worked (the attachment is then left to the file's close).  In an
 * auto-translated domain it must be EOPNOTSUPP.
 */
static inline int gntv3_self_attach_errno(int fd, __u32 tree_ref)
{
	__u32 back;

	return _gntv3_attach(fd, 0, tree_ref, &back) ? errno : 0;
}

static inline int _gntv3_detach(int fd, __u32 back)
{
	struct gntv3_ioc_detach arg = { .back = back };

	return ioctl(fd, GNTV3_IOC_DETACH, &arg);
}

static inline int _gntv3_map(int fd, __u32 back, __u32 flags,
			     const __u64 *ids, __u32 nr, __u32 *maps)
{
	struct gntv3_ioc_map arg = {
		.back = back,
		.flags = flags,
		.ids = (__u64)(unsigned long)ids,
		.maps = (__u64)(unsigned long)maps,
		.nr = nr,
	};

	return ioctl(fd, GNTV3_IOC_MAP, &arg);
}

/* UNMAP; *result gets the safe unmap's result when the ioctl succeeded. */
static inline int _gntv3_unmap(int fd, __u32 map, __u32 flags, int *result)
{
	struct gntv3_ioc_unmap arg = { .map = map, .flags = flags };
	int ret = ioctl(fd, GNTV3_IOC_UNMAP, &arg);

	if (!ret && result)
		*result = arg.result;
	return ret;
}

static inline int _gntv3_map_rw(int fd, __u32 map, __u32 dir, __u64 offset,
				__u64 len, void *buf)
{
	struct gntv3_ioc_map_rw arg = {
		.map = map,
		.dir = dir,
		.offset = offset,
		.len = len,
		.buf = (__u64)(unsigned long)buf,
	};

	return ioctl(fd, GNTV3_IOC_MAP_RW, &arg);
}

static inline int _gntv3_map_hold(int fd, __u32 map, __u32 page, __u32 hold)
{
	struct gntv3_ioc_map_hold arg = { .map = map, .page = page, .hold = hold };

	return ioctl(fd, GNTV3_IOC_MAP_HOLD, &arg);
}

static inline int _gntv3_back_stats(int fd, struct gntv3_ioc_back_stats *st)
{
	memset(st, 0xff, sizeof(*st));
	return ioctl(fd, GNTV3_IOC_BACK_STATS, st);
}

/* Unmap synchronously and assert that it worked. */
#define test_unmap(map)							\
	({								\
		int __res = -1;						\
		ASSERT_EQ(0, _gntv3_unmap(self->fd, map, 0, &__res));	\
		ASSERT_EQ(0, __res);					\
	})

/* Write @val to a gntv3 debugfs knob: 0, or -1 if it cannot be written. */
static inline int gntv3_write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(val, f) < 0 ? -1 : 0;
	if (fclose(f))
		ret = -1;
	return ret;
}

/* Counter @key of /sys/kernel/debug/gntv3/back, -1 if missing. */
static inline long long gntv3_back_stat(const char *key)
{
	return gntv3_debugfs_kv(GNTV3_DEBUGFS_BACK, key);
}

/*
 * Check the pages of the mapping of grant @id from domain @domid listed in
 * /sys/kernel/debug/gntv3/back_pages: there must be exactly @nr_maps such
 * mappings, each of @nr_pages pages, every page PageForeign with
 * xen_page_foreign() naming @domid and v1 reference @first_ref + i.
 * Returns 0 if all holds, else -1 with a message in @why.
 */
static inline int gntv3_check_foreign(__u16 domid, __u64 id,
				      unsigned int nr_pages, __u32 first_ref,
				      int want_vmap, unsigned int nr_maps,
				      char *why, size_t whylen)
{
	unsigned int n = 0, maps = 0, pagecount = 0;
	char line[GNTV3_KV_LINE], copy[GNTV3_KV_LINE];
	unsigned long long want_gref;
	struct gntv3_kv kv;
	int in = 0;
	FILE *f = fopen(GNTV3_DEBUGFS_PAGES, "r");

	snprintf(why, whylen, "ok");
	if (!f) {
		snprintf(why, whylen, "open %s: %s", GNTV3_DEBUGFS_PAGES, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		snprintf(copy, sizeof(copy), "%s", line);
		if (gntv3_kv_parse(line, &kv) < 0) {
			snprintf(why, whylen, "unparsed: %.200s", copy);
			goto bad;
		}
		if (gntv3_kv_is(&kv, "map")) {
			in = gntv3_kv_num(&kv, "domid", -1) == domid &&
			     gntv3_kv_num(&kv, "map", -1) == (long long)id;
			if (!in)
				continue;
			maps++;
			n = 0;
			if ((1LL << gntv3_kv_num(&kv, "order", 0)) != nr_pages ||
			    gntv3_kv_num(&kv, "first_ref", -1) != first_ref ||
			    (want_vmap >= 0 &&
			     gntv3_kv_num(&kv, "vmap", -1) != want_vmap)) {
				snprintf(why, whylen, "map line: %.200s", copy);
				goto bad;
			}
			continue;
		}
		if (!in)
			continue;
		want_gref = (unsigned long long)first_ref + n;
		if (!gntv3_kv_is(&kv, "page") ||
		    gntv3_kv_num(&kv, "page", -1) != n ||
		    gntv3_kv_num(&kv, "foreign", 0) != 1 ||
		    gntv3_kv_num(&kv, "domid", -1) != domid ||
		    (unsigned long long)gntv3_kv_num(&kv, "gref", -1) != want_gref) {
			snprintf(why, whylen, "page line (want gref %llu): %.200s",
				 want_gref, copy);
			goto bad;
		}
		n++;
		pagecount++;
	}
	fclose(f);
	if (maps != nr_maps || pagecount != nr_maps * nr_pages) {
		snprintf(why, whylen, "%u mappings with %u pages of id %llu, want %u x %u",
			 maps, pagecount, (unsigned long long)id, nr_maps, nr_pages);
		return -1;
	}
	return 0;
bad:
	fclose(f);
	return -1;
}

/* The unsigned number a file (a module parameter, a knob) holds; -1 on error. */
static inline long long gntv3_read_number(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Read/write an unsigned module parameter of gntv3; -1 on error. */
static inline long long gntv3_param_get(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), GNTV3_PARAM_DIR "/%s", name);
	return gntv3_read_number(path);
}

static inline int gntv3_param_set(const char *name, long long v)
{
	char path[256];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), GNTV3_PARAM_DIR "/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ret = fprintf(f, "%lld\n", v) > 0 ? 0 : -1;
	if (fclose(f))
		ret = -1;
	return ret;
}

static inline double gntv3_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void gntv3_msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

#endif /* _GNTV3_BACK_UTILS_H */
