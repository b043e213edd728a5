/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Run the awk programs of tools/gntv3/bench on made-up input, for the
 * tests of the scripts' arithmetic.  The tests run from tools/testing/gntv3.
 */
#ifndef GNTV3_TEST_AWK_RUN_H
#define GNTV3_TEST_AWK_RUN_H

#include <stddef.h>

int awk_run(const char *const *progs, const char *input, char *out,
	    size_t size);

#endif
