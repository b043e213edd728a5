/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace stand-in for <asm/barrier.h>.  smp_wmb() calls into the harness
 * so tests can check what a weakly ordered reader may observe at each one.
 */
#ifndef _SHIM_ASM_BARRIER_H
#define _SHIM_ASM_BARRIER_H

void shim_wmb(void);

/* A release fence plus the harness hook, see shim.c. */
#define smp_wmb()	shim_wmb()
/* Plain C11 fences: the harness is single threaded. */
#define smp_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)

#endif
