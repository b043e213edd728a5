/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace stand-in for <asm/byteorder.h>. */
#ifndef _SHIM_ASM_BYTEORDER_H
#define _SHIM_ASM_BYTEORDER_H

#include <endian.h>
#include <linux/types.h>

#define cpu_to_le64(x)		((__le64)htole64(x))
#define le64_to_cpu(x)		((u64)le64toh(x))
#define cpu_to_le32(x)		((__le32)htole32(x))
#define le32_to_cpu(x)		((u32)le32toh(x))

#endif
