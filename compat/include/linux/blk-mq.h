/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Out-of-tree build only: the kernel's <linux/blk-mq.h>, then the block
 * layer part of compat/gntv3_compat.h, which needs its declarations.
 */
#include_next <linux/blk-mq.h>
#include "../../gntv3_compat.h"
