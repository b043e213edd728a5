/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one reader of gntv3's debugfs files, for the selftests and the
 * cross-domain peer.  Every line of every file under
 * /sys/kernel/debug/gntv3/ is one or more "key: value" pairs separated by
 * spaces, values without spaces: a line with one pair is a counter, a line
 * with several describes one object named by its first pair.
 */
#ifndef _GNTV3_KV_H
#define _GNTV3_KV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GNTV3_KV_MAX	24	/* pairs on one line, at most */
#define GNTV3_KV_LINE	1024	/* longest line */

/* The pairs of one line; the strings point into the caller's line. */
struct gntv3_kv {
	int n;
	const char *key[GNTV3_KV_MAX];
	const char *val[GNTV3_KV_MAX];
};

/*
 * Split @line, which is modified, into its pairs.  Returns their number, or
 * -1 if the line is not made of "key: value" pairs only.
 */
static inline int gntv3_kv_parse(char *line, struct gntv3_kv *kv)
{
	char *tok, *save, *colon;

	kv->n = 0;
	line[strcspn(line, "\n")] = 0;
	for (tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		colon = strchr(tok, ':');
		if (!colon || colon[1] || colon == tok || kv->n == GNTV3_KV_MAX)
			return -1;
		*colon = 0;
		kv->key[kv->n] = tok;
		kv->val[kv->n] = strtok_r(NULL, " ", &save);
		if (!kv->val[kv->n])
			return -1;
		kv->n++;
	}
	return kv->n;
}

/* The value of @key on a parsed line, NULL if it has none. */
static inline const char *gntv3_kv_str(const struct gntv3_kv *kv,
				       const char *key)
{
	int i;

	for (i = 0; i < kv->n; i++)
		if (!strcmp(kv->key[i], key))
			return kv->val[i];
	return NULL;
}

/* The number @key has on a parsed line (any base strtoll reads), or @dflt. */
static inline long long gntv3_kv_num(const struct gntv3_kv *kv,
				     const char *key, long long dflt)
{
	const char *v = gntv3_kv_str(kv, key);
	char *end;
	long long n;

	if (!v)
		return dflt;
	n = strtoll(v, &end, 0);
	return *end ? dflt : n;
}

/* Is the parsed line an object of kind @kind (its first key)? */
static inline int gntv3_kv_is(const struct gntv3_kv *kv, const char *kind)
{
	return kv->n > 0 && !strcmp(kv->key[0], kind);
}

/*
 * The number @key has on the first line of @path that has it: counters come
 * first in every file, so a counter is found before an object's field of
 * the same name.  -1 if the file or the key is missing or not a number.
 */
static inline long long gntv3_debugfs_kv(const char *path, const char *key)
{
	char line[GNTV3_KV_LINE];
	struct gntv3_kv kv;
	long long found = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (gntv3_kv_parse(line, &kv) > 0 && gntv3_kv_str(&kv, key)) {
			found = gntv3_kv_num(&kv, key, -1);
			break;
		}
	}
	fclose(f);
	return found;
}

#endif /* _GNTV3_KV_H */
