/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace stand-in for <linux/bug.h>: a warning is a test failure. */
#ifndef _SHIM_LINUX_BUG_H
#define _SHIM_LINUX_BUG_H

void shim_warn(const char *file, int line, const char *cond);

#define WARN_ON(cond) ({						\
	int __ret = !!(cond);						\
	if (__ret)							\
		shim_warn(__FILE__, __LINE__, #cond);			\
	__ret;								\
})
#define WARN_ON_ONCE(cond)	WARN_ON(cond)
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)

#endif
