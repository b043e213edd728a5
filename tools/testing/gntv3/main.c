// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test runner: runs every registered test (or those whose name contains
 * argv[1]), prints "ok N name" / "not ok N name" per test and, last,
 * "P passed, F failed".  A test fails if any check fails or if it leaves
 * kmalloc allocations behind.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "shim.h"

#define MAX_TESTS		256
#define MAX_REPORTS_PER_TEST	10

static struct test_case *tests[MAX_TESTS];
static unsigned int nr_tests;
static unsigned long nr_failed_checks;
static u64 rand_state;

unsigned long test_nr_checks;
unsigned int test_scale = 1;

void test_register(struct test_case *tc)
{
	if (nr_tests == MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	tests[nr_tests++] = tc;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (nr_failed_checks++ >= MAX_REPORTS_PER_TEST)
		return;
	fprintf(stdout, "#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* xorshift64*: small, fast and good enough to drive tests. */
u64 test_rand(void)
{
	rand_state ^= rand_state >> 12;
	rand_state ^= rand_state << 25;
	rand_state ^= rand_state >> 27;
	return rand_state * 0x2545f4914f6cdd1dULL;
}

u64 test_rand_below(u64 n)
{
	return test_rand() % n;
}

bool test_chance(unsigned int percent)
{
	return test_rand_below(100) < percent;
}

/* splitmix64 of the seed and the test name: a distinct stream per test */
static u64 test_seed(u64 seed, const char *s)
{
	u64 z = seed;

	while (*s)
		z = (z ^ (unsigned char)*s++) * 0x100000001b3ULL;
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 1;
}

static int test_cmp(const void *a, const void *b)
{
	const struct test_case *x = *(struct test_case * const *)a;
	const struct test_case *y = *(struct test_case * const *)b;
	int r = strcmp(x->file, y->file);

	return r ? r : x->line - y->line;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	u64 seed = 0x6e7476332d746573ULL;
	const char *env;
	unsigned int i, n = 0, passed = 0, failed = 0;
	struct timespec t0, t1;

	env = getenv("GNTV3_SCALE");
	if (env && atoi(env) > 0)
		test_scale = atoi(env);
	env = getenv("GNTV3_SEED");
	seed = env ? strtoull(env, NULL, 0) : seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	qsort(tests, nr_tests, sizeof(tests[0]), test_cmp);
	printf("# seed %#llx, scale %u\n", (unsigned long long)seed, test_scale);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (i = 0; i < nr_tests; i++) {
		struct test_case *tc = tests[i];
		long live = shim_live_allocs;

		if (filter && !strstr(tc->name, filter))
			continue;
		n++;
		nr_failed_checks = 0;
		rand_state = test_seed(seed, tc->name);
		shim_fail_nth(0);
		shim_wmb_hook = NULL;
		tc->fn();
		shim_fail_nth(0);
		shim_wmb_hook = NULL;
		if (shim_live_allocs != live)
			test_fail(tc->file, tc->line, "%ld kmalloc allocations leaked",
				  shim_live_allocs - live);
		if (nr_failed_checks) {
			printf("not ok %u %s\n", n, tc->name);
			failed++;
		} else {
			printf("ok %u %s\n", n, tc->name);
			passed++;
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %lu checks in %.2f s\n", test_nr_checks,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
