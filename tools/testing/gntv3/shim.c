// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace implementations behind the kernel header shims.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "shim.h"
#include <linux/bug.h>
#include <linux/slab.h>
#include <asm/barrier.h>

long shim_live_allocs;
void (*shim_wmb_hook)(void *arg);
void *shim_wmb_arg;
unsigned long shim_nr_wmb;

static unsigned long fail_nth;
static unsigned long fail_calls;

void shim_fail_nth(unsigned long n)
{
	fail_nth = n;
	fail_calls = 0;
}

bool shim_should_fail(void)
{
	fail_calls++;
	return fail_nth && fail_calls == fail_nth;
}

unsigned long shim_fail_points(void)
{
	return fail_calls;
}

void *shim_kmalloc(size_t size, gfp_t gfp)
{
	void *p;

	if (shim_should_fail())
		return NULL;
	p = malloc(size ? size : 1);
	if (!p)
		return NULL;
	if (gfp & __GFP_ZERO)
		memset(p, 0, size);
	else
		memset(p, 0xa5, size);	/* catch reads of uninitialised memory */
	shim_live_allocs++;
	return p;
}

void shim_kfree(const void *p)
{
	if (!p)
		return;
	shim_live_allocs--;
	free((void *)p);
}

void shim_warn(const char *file, int line, const char *cond)
{
	test_fail(file, line, "WARN_ON(%s)", cond);
}

void shim_wmb(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	shim_nr_wmb++;
	if (shim_wmb_hook)
		shim_wmb_hook(shim_wmb_arg);
}
