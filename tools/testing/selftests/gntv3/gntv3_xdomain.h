/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The xenstore protocol between gntv3_xdomain (the backend test, in dom0)
 * and gntv3-xpeer (the frontend, in a PV domU), and the helpers both use.
 *
 * Everything lives under the domU's own directory, XD_DIR below
 * /local/domain/<domU>/ (the domU writes it with relative paths; dom0 is
 * privileged and writes there too, and what it creates inherits the domU's
 * ownership, so the domU can read it):
 *
 *   data/gntv3x/backend     domU: the domain its tree grants to ("0")
 *   data/gntv3x/tree-ref    domU: the tree reference to GNTV3_IOC_ATTACH with
 *   data/gntv3x/state       domU: "ready" once the above are written
 *   data/gntv3x/grant/<id>  domU: "<order> <rw|ro> <seed>" for every live
 *                           grant (removed when the domU ends it)
 *   data/gntv3x/cmd         dom0: "<seq> <verb> [args...]"
 *   data/gntv3x/rsp         domU: "<seq> <rc> [payload]", rc 0 or -errno
 *   data/gntv3x/released    dom0: written during a "reload" once dom0
 *                           detached from the old tree
 *
 * The peer polls cmd and serves a command whose seq differs from the last
 * one it answered; dom0 uses seq = (seq of rsp) + 1 and polls rsp until it
 * carries that seq.  Commands (ids and numbers in decimal):
 *
 *   grant <order> <rw|ro> <seed>   one kernel folio of order 0 or 9, filled
 *                                  with pattern <seed>       -> "<id>"
 *   grantn <n> <rw|ro> <seed>      n user pages as n 4 KiB grants, page k
 *                                  filled with pattern seed+k -> "<first id>"
 *   granthuge <9|18> <rw|ro> <seed>  a hugetlbfs page (2 MiB or 1 GiB) as
 *                                  one grant; only its first, middle and
 *                                  last 4 KiB hold pattern <seed> -> "<id>";
 *                                  -ENOMEM when no such page is free
 *   check <id> <seed>              memory of grant <id> holds pattern <seed>
 *                                  -> "ok", else rc -EILSEQ "at <offset>"
 *   checkat <id> <seed> <off>      the same for the 4 KiB at byte <off>
 *   write <id> <seed>              fill grant <id> with pattern <seed>
 *   end <id>                       GNTV3_IOC_END -> "<result>" (1: quarantined)
 *   endn <first> <n>               END of n consecutive grants
 *                                  -> "<ended> <quarantined>"
 *   query <id>                     GNTV3_IOC_QUERY
 *                                  -> "<state> <order> <readonly> <pte hex>"
 *   stats                          GNTV3_IOC_TREE_STATS -> "grants=N ids=N
 *                                  quarantined=N v1_refs=N tables=N levels=N"
 *   info                           GNTV3_IOC_INFO -> "transport=N probe_rc=N
 *                                  abi=N domid=N" (GNTV3_TRANSPORT_*)
 *   connect <devid>                GNTV3_IOC_CONNECT of the tree
 *   disconnect                     GNTV3_IOC_DISCONNECT
 *   conn_info                      GNTV3_IOC_CONN_INFO -> "state=N peer=N
 *                                  connected=N ring_ref=N evtchn=N sent=N
 *                                  acked=N nacked=N timed_out=N
 *                                  malformed=N resets=N"
 *   revoke <id> <flags> <ms>       GNTV3_IOC_REVOKE (flags 1: downgrade,
 *                                  timeout <ms>) -> "<result> <took ms>";
 *                                  result 0 done, 1 dead
 *   revoke_bg <id> <flags> <ms>    the same on a thread -> "started"; until
 *                                  revoke_wait reaped it, commands that use
 *                                  /dev/gntv3 fail with -EBUSY
 *   revoke_wait <ms>               wait up to <ms> for it -> "<result>
 *                                  <took ms>", or rc -EINPROGRESS
 *   dstat <file> <key>             the number after word <key> (or "<key>:")
 *                                  in the domU's debugfs gntv3/<file>
 *   reset <ms>                     undo what earlier commands left: wait up
 *                                  to <ms> for a revoke_bg, disconnect, END
 *                                  every grant made here, wait up to <ms>
 *                                  for the quarantine to drain ->
 *                                  "ended=N disconnected=0|1 grants=N
 *                                  quarantined=N" (what is left at the end)
 *   reload <ms>                    close /dev/gntv3, wait (up to <ms>) for
 *                                  dom0's "released" and for the old tree
 *                                  to go, reload gntv3, make a new tree and
 *                                  publish its tree-ref -> "<tree-ref>
 *                                  <debugfs leaked count before unload>"
 *   exit                           answer, close /dev/gntv3 and exit 0
 *
 * Pattern <seed> of a grant: byte at offset off is xd_pattern(seed, off).
 */
#ifndef _GNTV3_XDOMAIN_H
#define _GNTV3_XDOMAIN_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define XD_DIR		"data/gntv3x"
#define XD_READY	"ready"
#define XD_MSG_MAX	256
/* Bound of every xenstore request and of every tool xd_run() runs (s). */
#define XD_TOOL_TIMEOUT	30

static inline unsigned char xd_pattern(unsigned int seed, size_t off)
{
	return (unsigned char)(seed * 151U + off * 7U + (off >> 12) * 31U +
			       (off >> 9));
}

static inline void xd_fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = xd_pattern(seed, i);
}

/* Offset of the first byte of @p not matching pattern @seed, or -1. */
static inline long xd_mismatch(const unsigned char *p, size_t len,
			       unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != xd_pattern(seed, i))
			return (long)i;
	return -1;
}

static inline double xd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void xd_msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Run @argv (PATH lookup, no shell) with stdout captured into @out (NUL
 * terminated, trailing newline removed; may be NULL) and stderr dropped.
 * The tool gets SIGALRM after XD_TOOL_TIMEOUT s, so a stuck xenstored never
 * hangs the caller.  Returns the exit status, or -1 if it did not exit
 * normally or could not run.
 */
static inline int xd_run(char *const argv[], char *out, size_t len)
{
	int pfd[2], status, devnull;
	size_t n = 0;
	ssize_t r;
	pid_t pid;
	char dummy[64];

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_WRONLY);
		dup2(pfd[1], 1);
		if (devnull >= 0)
			dup2(devnull, 2);
		close(pfd[0]);
		close(pfd[1]);
		alarm(XD_TOOL_TIMEOUT);	/* survives exec, kills the tool */
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		if (out && n + 1 < len)
			r = read(pfd[0], out + n, len - 1 - n);
		else
			r = read(pfd[0], dummy, sizeof(dummy));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out && n + 1 < len)
			n += r;
	}
	close(pfd[0]);
	if (out && len) {
		out[n] = '\0';
		while (n && out[n - 1] == '\n')
			out[--n] = '\0';
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * A minimal xenstore client speaking the wire protocol (xs_wire.h) itself:
 * under QEMU TCG a fork+exec of a xenstore-* tool in a PV guest costs tens
 * of milliseconds, a request on an open connection well under one.  dom0
 * talks to xenstored's socket, a domU to /dev/xen/xenbus; relative paths
 * are relative to the caller's /local/domain/<domid>.  No transactions, no
 * watches: callers poll.
 */
#define XS_SOCKET	"/run/xenstored/socket"
#define XS_DEV		"/dev/xen/xenbus"
#define XS_READ		2
#define XS_WRITE	11
#define XS_RM		13
#define XS_ERROR	16
#define XS_PAYLOAD_MAX	4096

struct xd_xs_msg {
	unsigned int type;
	unsigned int req_id;
	unsigned int tx_id;
	unsigned int len;
};

static int xd_xs_fd = -1;
static pid_t xd_xs_pid;		/* a forked child opens its own connection */

static inline int xd_xs_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (xd_xs_fd >= 0 && xd_xs_pid == getpid())
		return xd_xs_fd;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(sa.sun_path, XS_SOCKET, sizeof(XS_SOCKET));
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = open(XS_DEV, O_RDWR | O_CLOEXEC);
	}
	xd_xs_fd = fd;
	xd_xs_pid = getpid();
	return fd;
}

static inline void xd_xs_close(void)
{
	if (xd_xs_fd >= 0 && xd_xs_pid == getpid())
		close(xd_xs_fd);
	xd_xs_fd = -1;
}

/* Read exactly @len bytes within XD_TOOL_TIMEOUT s; 0 or -1. */
static inline int xd_xs_recv(int fd, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t r;

	while (n < len) {
		if (poll(&pfd, 1, XD_TOOL_TIMEOUT * 1000) != 1)
			return -1;
		r = read(fd, (char *)buf + n, len - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n += r;
	}
	return 0;
}

/*
 * One request: @type with payload @a (NUL included) then @b (not NUL
 * terminated; may be NULL).  The reply's payload goes to @out (NUL
 * terminated, may be NULL).  Returns 0, or -1 for an XS_ERROR reply or a
 * broken connection (which is then closed, to reopen on the next call).
 */
static inline int xd_xs_req(unsigned int type, const char *a, const char *b,
			    char *out, size_t outlen)
{
	static unsigned int req_id;
	char msg[sizeof(struct xd_xs_msg) + XS_PAYLOAD_MAX];
	char reply[XS_PAYLOAD_MAX + 1];
	struct xd_xs_msg *h = (struct xd_xs_msg *)msg, rh;
	size_t la = strlen(a) + 1, lb = b ? strlen(b) : 0;
	int fd = xd_xs_open();

	if (fd < 0 || la + lb > XS_PAYLOAD_MAX)
		return -1;
	h->type = type;
	h->req_id = ++req_id;
	h->tx_id = 0;
	h->len = la + lb;
	memcpy(msg + sizeof(*h), a, la);
	if (lb)
		memcpy(msg + sizeof(*h) + la, b, lb);
	/* one write per message: /dev/xen/xenbus wants it whole */
	if (write(fd, msg, sizeof(*h) + h->len) != (ssize_t)(sizeof(*h) + h->len) ||
	    xd_xs_recv(fd, &rh, sizeof(rh)) || rh.len > XS_PAYLOAD_MAX ||
	    xd_xs_recv(fd, reply, rh.len) || rh.req_id != h->req_id) {
		xd_xs_close();
		return -1;
	}
	if (rh.type == XS_ERROR)
		return -1;
	if (out && outlen) {
		rh.len = rh.len < outlen - 1 ? rh.len : outlen - 1;
		memcpy(out, reply, rh.len);
		out[rh.len] = '\0';
	}
	return 0;
}

/* Read @path into @out; 0 or -1 (missing, or no xenstore). */
static inline int xd_read(const char *path, char *out, size_t len)
{
	return xd_xs_req(XS_READ, path, NULL, out, len);
}

/* Write @val to @path (created if missing); 0 or -1. */
static inline int xd_write(const char *path, const char *val)
{
	return xd_xs_req(XS_WRITE, path, val, NULL, 0);
}

/* Remove @path and everything below it; 0 or -1. */
static inline int xd_rm(const char *path)
{
	return xd_xs_req(XS_RM, path, NULL, NULL, 0);
}

#endif /* _GNTV3_XDOMAIN_H */
