// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3 tracepoints: the one place that creates them (see trace.h).
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
