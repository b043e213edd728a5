/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal unit test harness for the gntv3 pure core.
 *
 * TEST(name) { ... } defines a test; CHECK*() count a failure and go on,
 * REQUIRE() also ends the test.  Each test gets its own deterministic random
 * stream (GNTV3_SEED in the environment changes all of them).
 */
#ifndef _GNTV3_HARNESS_H
#define _GNTV3_HARNESS_H

#include <stdio.h>
#include <string.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <asm/byteorder.h>

struct test_case {
	const char *name;
	const char *file;
	int line;
	void (*fn)(void);
};

void test_register(struct test_case *tc);

#define TEST(name)							\
	static void test_fn_##name(void);				\
	static struct test_case test_case_##name = {			\
		#name, __FILE__, __LINE__, test_fn_##name		\
	};								\
	__attribute__((constructor)) static void test_reg_##name(void)	\
	{								\
		test_register(&test_case_##name);			\
	}								\
	static void test_fn_##name(void)

extern unsigned long test_nr_checks;
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define CHECK(cond) ({							\
	bool __ok = (cond);						\
	test_nr_checks++;						\
	if (!__ok)							\
		test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);	\
	__ok;								\
})

#define CHECK_EQ(a, b) ({						\
	long long __a = (long long)(a), __b = (long long)(b);		\
	test_nr_checks++;						\
	if (__a != __b)							\
		test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld",	\
			  #a, #b, __a, __b);				\
	__a == __b;							\
})

#define CHECK_EQ_HEX(a, b) ({						\
	unsigned long long __a = (a), __b = (b);			\
	test_nr_checks++;						\
	if (__a != __b)							\
		test_fail(__FILE__, __LINE__,				\
			  "%s == %s: %#llx != %#llx", #a, #b, __a, __b);\
	__a == __b;							\
})

#define CHECK_STR_EQ(a, b) ({					\
	const char *__a = (a), *__b = (b);				\
	bool __ok = !strcmp(__a, __b);					\
	test_nr_checks++;						\
	if (!__ok)							\
		test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
			  #a, #b, __a, __b);				\
	__ok;								\
})

#define REQUIRE(cond)		do { if (!CHECK(cond)) return; } while (0)
#define REQUIRE_EQ(a, b)	do { if (!CHECK_EQ(a, b)) return; } while (0)

/* Random numbers, reproducible per test. */
u64 test_rand(void);
u64 test_rand_below(u64 n);	/* uniform in [0, n), n > 0 */
bool test_chance(unsigned int percent);

/* Multiplier for the random tests' iterations: GNTV3_SCALE, default 1. */
extern unsigned int test_scale;

#endif
