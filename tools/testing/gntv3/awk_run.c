// SPDX-License-Identifier: GPL-2.0-only
/*
 * awk_run() - run awk programs of tools/gntv3/bench on a string
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "awk_run.h"

#define BENCH_AWK	"../../gntv3/bench/"

/*
 * awk_run() - run "awk -f P1 -f P2 ..." on @input
 * @progs: NULL-terminated file names in tools/gntv3/bench, in order
 * @input: the text awk reads
 * @out: receives what awk printed, truncated to @size - 1 bytes
 * @size: size of @out
 *
 * Return: awk's exit status, or -1 if it could not be run.
 */
int awk_run(const char *const *progs, const char *input, char *out,
	    size_t size)
{
	char in_path[] = "/tmp/gntv3-awk-XXXXXX";
	size_t len, used;
	char cmd[512];
	FILE *f;
	int fd, st;

	out[0] = '\0';
	used = snprintf(cmd, sizeof(cmd), "awk");
	for (; *progs; progs++) {
		used += snprintf(cmd + used, sizeof(cmd) - used, " -f %s%s",
				 BENCH_AWK, *progs);
		if (used >= sizeof(cmd))
			return -1;
	}
	fd = mkstemp(in_path);
	if (fd < 0)
		return -1;
	len = strlen(input);
	if (write(fd, input, len) != (ssize_t)len) {
		close(fd);
		unlink(in_path);
		return -1;
	}
	close(fd);
	if ((size_t)snprintf(cmd + used, sizeof(cmd) - used, " %s", in_path) >=
	    sizeof(cmd) - used) {
		unlink(in_path);
		return -1;
	}
	f = popen(cmd, "r");
	if (!f) {
		unlink(in_path);
		return -1;
	}
	len = fread(out, 1, size - 1, f);
	out[len] = '\0';
	st = pclose(f);
	unlink(in_path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
