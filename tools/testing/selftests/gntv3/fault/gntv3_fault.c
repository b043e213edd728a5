// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntv3_fault: fail-nth for kernels built without fault injection.
 *
 * A test-only module for the gntv3 kselftests (gntv3_fail_nth).  Debian's
 * kernel has no CONFIG_FAULT_INJECTION, so /proc/self/task/<tid>/fail-nth
 * does not exist there.  This module emulates what failslab and
 * fail_page_alloc do for a task that wrote N to its fail-nth file: the
 * task's slab and page allocations count down from N, and the Nth fails.
 *
 * It does so with kretprobes on the allocator's exported entry points of
 * Linux 6.12 (x86-64):
 *
 *  - the entry handler runs for every call; for the armed task only (task
 *    context, no __GFP_NOFAIL, only calls that reach the slab or page
 *    allocator's fault hook in a kernel with fault injection) it counts
 *    the call down, in the order the kernel's should_fail() would see it:
 *    a slab call is counted before the page allocation of a slab refill
 *    nested in it;
 *  - on the Nth call it keeps what is needed to free the result in the
 *    instance's data, and the return handler frees the allocation and
 *    makes the call return NULL (0 objects for a bulk slab allocation).
 *
 * The allocation itself did happen, so side effects of the allocator
 * (reclaim, a slab refill) remain; the caller sees a failed allocation,
 * as with failslab and fail_page_alloc.
 *
 * It also emulates fail_function for gntv3's set-up hypercalls, the
 * error-injectable wrappers of drivers/xen/gntv3/hypercall.c: a kprobe at
 * each one's entry counts the call as a fault point of the armed task, in
 * the same count as the allocations, and on the Nth makes it return -EIO
 * without running it.  Those probes are registered while gntv3 is loaded
 * (a module notifier follows its loads and unloads).
 *
 * With teardown=1 the fault points are gntv3's tear-down hypercalls
 * instead (gntv3_hyp_unmap_refs(), gntv3_hyp_gnttab_teardown(),
 * gntv3_hyp_evtchn_close()), and nothing else: no allocation and no
 * set-up call is counted, so a sweep walks only the tear-down calls of a
 * path.  They are counted in every task while the count is armed, not in
 * the armed task alone: gntv3 makes most of them from its workers (the
 * unmap work, the ring work), on behalf of the call being swept.  A
 * refused unmap leaves the page mapped and gntv3 leaks it on purpose
 * (counted); what such a sweep checks is that the leak is counted,
 * contained and survives module unload (gntv3_fail_nth, fixture
 * "teardown", in a VM run of its own: dom0-teardown.sh).  Only where the
 * module counts its own fail-nth (kernels without fault injection): the
 * kernel's count would mix allocations in.
 *
 * Not covered: the bulk page allocator (alloc_pages_bulk_noprof(),
 * vmalloc's pages), allocations from the kmem_cache bootstrap cache
 * (failslab spares those), and every other fault site of the kernel
 * (futex, usercopy, and hypercalls other than gntv3's own).
 *
 * Interface, in /sys/kernel/debug/gntv3_fault/:
 *
 *  fail-nth	write N (N > 0): the writing task's Nth fault point from now
 *		on fails; write 0: disarm.  Read: how many points are left
 *		before the fault for the reading task, 0 once it was
 *		injected (or when the task is not armed), as the kernel's
 *		fail-nth file.  One task is armed at a time; the last
 *		writer wins.
 *  alloc_faults  Y (default): allocations are fault points; N: only
 *		gntv3's hypercalls are, so that a sweep can fail each of
 *		them in turn even where the allocations before one differ
 *		from run to run.
 *  stats	"injected: N" (faults injected since load), "counted: N"
 *		(fault points counted), "missed: N" (probe hits lost for
 *		want of a kretprobe instance, summed over the probes: a
 *		count may be off if this grew), "nested: N" (hits while a
 *		kprobe handler ran on the CPU: an interrupt's allocation,
 *		never one the armed task makes, as the handlers allocate
 *		nothing), "hypercalls: N" (of the injected faults, those
 *		made in a gntv3 hypercall: the others are allocations),
 *		"hypercall_probes: N" (gntv3 hypercalls probed now: 0
 *		while gntv3 is not loaded), "teardown: 0|1" (which
 *		hypercalls: set-up, or tear-down only).
 *
 * Loading registers every probe, unloading removes them; no gntv3 symbol
 * is linked against (the hypercall wrappers are found by name), so it can
 * be loaded and unloaded on its own, before or after gntv3.
 *
 * On a kernel with CONFIG_FAULT_INJECTION (the debug tier's) the kernel's
 * own fail-nth does the allocations, and the module only adds gntv3's
 * hypercalls to the same count: its probes count down the task's
 * current->fail_nth as should_fail_ex() does for failslab and
 * fail_page_alloc, and fail the call whose turn it is.  It then probes no
 * allocator and has no fail-nth file of its own (the task's
 * /proc/self/task/<tid>/fail-nth arms it); stats says which faults were
 * hypercalls, as above.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/kprobes.h>
#include <linux/linkage.h>
#include <linux/module.h>
#include <linux/objtool.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#ifndef CONFIG_X86_64
#error "gntv3_fault reads the allocator's arguments as x86-64 passes them"
#endif

/*
 * The armed task, with a reference held so that its task_struct cannot be
 * reused by another task while it is armed.  Written under fault_lock;
 * the probe handlers read it locklessly and only compare it with current.
 */
static struct task_struct *fault_task;
/* Fault points left before the armed task's fault; 0: none armed. */
static atomic_t fault_left = ATOMIC_INIT(0);
/* Protects fault_task's writers (arm, disarm, unload) and its reference. */
static DEFINE_MUTEX(fault_lock);

static atomic64_t fault_injected = ATOMIC64_INIT(0);
static atomic64_t fault_counted = ATOMIC64_INIT(0);
/* Of fault_injected, the faults made in a gntv3 hypercall. */
static atomic64_t fault_hypercalls = ATOMIC64_INIT(0);

static struct dentry *fault_dir;

/* Allocations are fault points (debugfs alloc_faults; read locklessly). */
static bool alloc_faults = true;

static bool teardown;
module_param(teardown, bool, 0444);
MODULE_PARM_DESC(teardown,
		 "fault points: gntv3's tear-down hypercalls only (default: allocations, set-up hypercalls)");

/**
 * enum fault_kind - how the result of a probed call is freed
 * @FAULT_CACHE:	kmem_cache_free() to the cache of the first argument
 * @FAULT_KMALLOC:	kfree()
 * @FAULT_PAGES:	__free_pages() of the order of the second argument
 * @FAULT_CACHE_BULK:	kmem_cache_free_bulk() of the objects the call
 *			allocated into its array
 */
enum fault_kind {
	FAULT_CACHE,
	FAULT_KMALLOC,
	FAULT_PAGES,
	FAULT_CACHE_BULK,
};

/**
 * struct fault_probe - one probed allocator entry point
 * @rp:		the kretprobe
 * @kind:	how its result is freed
 * @gfp_arg:	the argument (0-based) holding the gfp flags
 * @size_arg:	for kmalloc: the argument holding the size, whose calls
 *		above KMALLOC_MAX_CACHE_SIZE go to the page allocator
 *		(counted there) and of 0 allocate nothing; -1 otherwise
 */
struct fault_probe {
	struct kretprobe rp;
	enum fault_kind kind;
	int gfp_arg;
	int size_arg;
};

/**
 * struct fault_data - a kretprobe instance's data, for the Nth call only
 * @cache:	the slab cache (FAULT_CACHE, FAULT_CACHE_BULK)
 * @objs:	the bulk call's object array (FAULT_CACHE_BULK)
 * @order:	the page order (FAULT_PAGES)
 */
struct fault_data {
	struct kmem_cache *cache;
	void **objs;
	unsigned int order;
};

static int fault_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
static int fault_return(struct kretprobe_instance *ri, struct pt_regs *regs);

/*
 * Linux 6.12 with CONFIG_SLAB_BUCKETS passes a kmem_buckets pointer after
 * the size of __kmalloc_node_noprof() and the track_caller variant.
 */
#define BUCKET_ARGS	(IS_ENABLED(CONFIG_SLAB_BUCKETS) ? 1 : 0)

#define FAULT_PROBE(sym, k, gfp, size) {				\
	.rp = {								\
		.kp.symbol_name = sym,					\
		.entry_handler = fault_entry,				\
		.handler = fault_return,				\
		.data_size = sizeof(struct fault_data),			\
		.maxactive = 64,					\
	},								\
	.kind = k,							\
	.gfp_arg = gfp,							\
	.size_arg = size,						\
}

static struct fault_probe fault_probes[] = {
	FAULT_PROBE("kmem_cache_alloc_noprof", FAULT_CACHE, 1, -1),
	FAULT_PROBE("kmem_cache_alloc_lru_noprof", FAULT_CACHE, 2, -1),
	FAULT_PROBE("kmem_cache_alloc_node_noprof", FAULT_CACHE, 1, -1),
	FAULT_PROBE("kmem_cache_alloc_bulk_noprof", FAULT_CACHE_BULK, 1, -1),
	FAULT_PROBE("__kmalloc_cache_noprof", FAULT_KMALLOC, 1, -1),
	FAULT_PROBE("__kmalloc_cache_node_noprof", FAULT_KMALLOC, 1, -1),
	FAULT_PROBE("__kmalloc_noprof", FAULT_KMALLOC, 1, 0),
	FAULT_PROBE("__kmalloc_node_noprof", FAULT_KMALLOC, 1 + BUCKET_ARGS, 0),
	FAULT_PROBE("__kmalloc_node_track_caller_noprof", FAULT_KMALLOC,
		    1 + BUCKET_ARGS, 0),
	FAULT_PROBE("__alloc_pages_noprof", FAULT_PAGES, 0, -1),
};

static struct kretprobe *fault_rps[ARRAY_SIZE(fault_probes)];

/*
 * Whether the module emulates failslab and fail_page_alloc: only where the
 * kernel has no fault injection of its own to count allocations.
 */
#define FAULT_ALLOCATORS	(!IS_ENABLED(CONFIG_FAULT_INJECTION))

/*
 * in_task() of the probed code, from its probe's handler.  A probe reached
 * through ftrace (Debian's kernel: every function starts with a call to
 * __fentry__) or optimized into a jump runs its handler in the probed
 * code's own context; one that traps on int3 (the debug kernel has no
 * ftrace) runs it in the context x86's exc_int3() enters for a kernel-mode
 * trap, an NMI's: in_task() there is false even when the probed code ran
 * in a task.  Take out what that NMI entry added before looking (nothing
 * this module probes runs in an NMI of its own).
 */
static bool fault_probed_in_task(void)
{
	unsigned long pc = preempt_count();

	if (in_nmi())
		pc -= NMI_OFFSET + HARDIRQ_OFFSET;
	return !(pc & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET));
}

/*
 * Whether this call is the armed task's Nth fault point: counts it down
 * when it is one of the task's points.  The probed task is current, so
 * only the armed task itself (or a task arming over it) moves the count.
 */
static bool fault_nth(void)
{
#ifdef CONFIG_FAULT_INJECTION
	/*
	 * The kernel's own count, armed through /proc/self/task/<tid>/fail-nth
	 * and read back there: this point takes its turn in it as
	 * should_fail_ex() has allocations take theirs.
	 */
	unsigned int left;

	if (!fault_probed_in_task())
		return false;
	left = READ_ONCE(current->fail_nth);
	if (!left)
		return false;
	WRITE_ONCE(current->fail_nth, --left);
	atomic64_inc(&fault_counted);
	return !left;
#else
	if (!fault_probed_in_task() ||
	    (!teardown && READ_ONCE(fault_task) != current))
		return false;
	switch (atomic_dec_if_positive(&fault_left)) {
	case -1:
		return false;	/* not armed, or the fault was injected */
	case 0:
		atomic64_inc(&fault_counted);
		return true;
	default:
		atomic64_inc(&fault_counted);
		return false;
	}
#endif
}

/* Entry handler: 0 keeps the instance for fault_return(), on the Nth only. */
static int fault_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct fault_probe *fp = container_of(get_kretprobe(ri),
					      struct fault_probe, rp);
	struct fault_data *d = (struct fault_data *)ri->data;
	gfp_t gfp = (__force gfp_t)regs_get_kernel_argument(regs, fp->gfp_arg);

	if (READ_ONCE(fault_task) != current)
		return 1;		/* the common case, quickly */
	if (!READ_ONCE(alloc_faults))
		return 1;
	if (gfp & __GFP_NOFAIL)
		return 1;
	if (fp->size_arg >= 0) {
		size_t size = regs_get_kernel_argument(regs, fp->size_arg);

		if (!size || size > KMALLOC_MAX_CACHE_SIZE)
			return 1;
	}
	/* calls that return before the kernel's fault hook */
	if (fp->kind == FAULT_CACHE_BULK && !regs_get_kernel_argument(regs, 2))
		return 1;	/* no object asked for */
	if (fp->kind == FAULT_PAGES &&
	    regs_get_kernel_argument(regs, 1) > MAX_PAGE_ORDER)
		return 1;	/* refused with a warning */
	if (!fault_nth())
		return 1;

	d->cache = (struct kmem_cache *)regs_get_kernel_argument(regs, 0);
	d->objs = (void **)regs_get_kernel_argument(regs, 3);
	d->order = regs_get_kernel_argument(regs, 1);
	return 0;
}

/* Return handler of the Nth call: free what it allocated, return none. */
static int fault_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct fault_probe *fp = container_of(get_kretprobe(ri),
					      struct fault_probe, rp);
	struct fault_data *d = (struct fault_data *)ri->data;
	unsigned long ret = regs_return_value(regs);

	if (!ret)
		return 0;	/* it failed by itself */
	switch (fp->kind) {
	case FAULT_CACHE:
		kmem_cache_free(d->cache, (void *)ret);
		break;
	case FAULT_KMALLOC:
		if (!ZERO_OR_NULL_PTR((void *)ret))
			kfree((void *)ret);
		break;
	case FAULT_PAGES:
		__free_pages((struct page *)ret, d->order);
		break;
	case FAULT_CACHE_BULK:
		kmem_cache_free_bulk(d->cache, (int)ret, d->objs);
		break;
	}
	regs_set_return_value(regs, 0);
	atomic64_inc(&fault_injected);
	return 0;
}

/* ---- gntv3's hypercalls, as fail_function would fail them */

/*
 * Where a failed hypercall wrapper goes instead of its body: straight back
 * to its caller.  The probes sit at the wrappers' entry, before any frame
 * is set up, so the return address is on top of the stack.  It is
 * reached by a return from the kprobe, never by an indirect branch.
 */
void fault_hyp_return(void);
asm(".pushsection .text, \"ax\"\n"
	".type fault_hyp_return, @function\n"
	"fault_hyp_return:\n\t"
	ANNOTATE_NOENDBR
	ASM_RET
	".size fault_hyp_return, . - fault_hyp_return\n"
	".popsection\n");

/* What the armed task's failed hypercall returns: the hypervisor refused. */
#define FAULT_HYP_ERRNO		(-EIO)

static int fault_hyp_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (!fault_nth())
		return 0;
	regs_set_return_value(regs, (unsigned long)FAULT_HYP_ERRNO);
	instruction_pointer_set(regs, (unsigned long)fault_hyp_return);
	atomic64_inc(&fault_hypercalls);
	atomic64_inc(&fault_injected);
	return 1;	/* the instruction pointer changed: no single-step */
}

/*
 * Never called (a pre-handler that moves the instruction pointer returns 1,
 * which skips it): its presence keeps kprobes from optimizing the probe
 * into a jump, whose handler's change of the instruction pointer would be
 * ignored (Documentation/trace/kprobes.rst, "Changing Execution Path" and
 * jump optimization).  Without ftrace (the debug kernel) a probe on a
 * plain instruction is optimized once the optimizer's work has run, and
 * the call it was to fail would then go through.
 */
static void fault_hyp_post(struct kprobe *p, struct pt_regs *regs,
			   unsigned long flags)
{
}

#define FAULT_HYP_PROBE(sym)						\
	{ .symbol_name = sym, .pre_handler = fault_hyp_pre,		\
	  .post_handler = fault_hyp_post }

/* gntv3's set-up hypercall wrappers (drivers/xen/gntv3/hypercall.h) */
static struct kprobe fault_setup_probes[] = {
	FAULT_HYP_PROBE("gntv3_hyp_map_refs"),
	FAULT_HYP_PROBE("gntv3_hyp_gnttab_setup"),
	FAULT_HYP_PROBE("gntv3_hyp_evtchn_setup"),
	FAULT_HYP_PROBE("gntv3_hyp_batch_copy"),
};

/* ... and its tear-down ones, probed instead with teardown=1 */
static struct kprobe fault_teardown_probes[] = {
	FAULT_HYP_PROBE("gntv3_hyp_unmap_refs"),
	FAULT_HYP_PROBE("gntv3_hyp_gnttab_teardown"),
	FAULT_HYP_PROBE("gntv3_hyp_evtchn_close"),
};

#define FAULT_HYP_MAX	MAX(ARRAY_SIZE(fault_setup_probes),		\
			    ARRAY_SIZE(fault_teardown_probes))

/* The probe set in use (fault_hyp_set()) and its size. */
static struct kprobe *fault_hyp_probes;
static unsigned int fault_hyp_nr;
static struct kprobe *fault_hyp_kps[FAULT_HYP_MAX];
/* Protects fault_hyp_on and the probes' registration. */
static DEFINE_MUTEX(fault_hyp_lock);
/* The hypercall probes are registered (gntv3 is loaded). */
static bool fault_hyp_on;

/* Probe gntv3's hypercalls if it is loaded; caller holds fault_hyp_lock. */
static void fault_hyp_register_locked(void)
{
	unsigned int i;
	int rc;

	lockdep_assert_held(&fault_hyp_lock);
	if (fault_hyp_on)
		return;
	for (i = 0; i < fault_hyp_nr; i++) {
		/* a kprobe cannot be registered twice without a reset */
		fault_hyp_probes[i].addr = NULL;
		fault_hyp_probes[i].flags = 0;
		fault_hyp_kps[i] = &fault_hyp_probes[i];
	}
	rc = register_kprobes(fault_hyp_kps, fault_hyp_nr);
	if (rc) {
		/* -ENOENT: gntv3 is not loaded; the notifier will tell */
		if (rc != -ENOENT)
			pr_warn("cannot probe gntv3's hypercalls (%d)\n", rc);
		return;
	}
	fault_hyp_on = true;
	pr_info("%u gntv3 %s hypercalls probed\n", fault_hyp_nr,
		teardown ? "tear-down" : "set-up");
}

static void fault_hyp_unregister_locked(void)
{
	lockdep_assert_held(&fault_hyp_lock);
	if (!fault_hyp_on)
		return;
	unregister_kprobes(fault_hyp_kps, fault_hyp_nr);
	fault_hyp_on = false;
}

/* Follow gntv3's loads and unloads. */
static int fault_hyp_module_event(struct notifier_block *nb,
				  unsigned long state, void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, "gntv3"))
		return NOTIFY_DONE;
	mutex_lock(&fault_hyp_lock);
	if (state == MODULE_STATE_LIVE)
		fault_hyp_register_locked();
	else if (state == MODULE_STATE_GOING)
		fault_hyp_unregister_locked();
	mutex_unlock(&fault_hyp_lock);
	return NOTIFY_DONE;
}

static struct notifier_block fault_hyp_nb = {
	.notifier_call = fault_hyp_module_event,
};

/* Disarm; the caller holds fault_lock. */
static void fault_disarm_locked(void)
{
	struct task_struct *t = fault_task;

	lockdep_assert_held(&fault_lock);
	atomic_set(&fault_left, 0);
	WRITE_ONCE(fault_task, NULL);
	if (t)
		put_task_struct(t);
}

static ssize_t fail_nth_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	unsigned int n;
	int rc;

	rc = kstrtouint_from_user(ubuf, count, 0, &n);
	if (rc)
		return rc;
	mutex_lock(&fault_lock);
	fault_disarm_locked();
	if (n) {
		atomic_set(&fault_left, n);
		WRITE_ONCE(fault_task, get_task_struct(current));
	}
	mutex_unlock(&fault_lock);
	return count;
}

static ssize_t fail_nth_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	unsigned int left = 0;
	char buf[16];
	int len;

	mutex_lock(&fault_lock);
	if (fault_task == current)
		left = atomic_read(&fault_left);
	mutex_unlock(&fault_lock);
	len = scnprintf(buf, sizeof(buf), "%u\n", left);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations fail_nth_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = fail_nth_read,
	.write = fail_nth_write,
	.llseek = default_llseek,
};

static int stats_show(struct seq_file *m, void *unused)
{
	unsigned long missed = 0, nested = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fault_probes); i++) {
		missed += fault_probes[i].rp.nmissed;
		nested += fault_probes[i].rp.kp.nmissed;
	}
	seq_printf(m, "injected: %lld\n", atomic64_read(&fault_injected));
	seq_printf(m, "counted: %lld\n", atomic64_read(&fault_counted));
	seq_printf(m, "missed: %lu\n", missed);
	seq_printf(m, "nested: %lu\n", nested);
	seq_printf(m, "hypercalls: %lld\n", atomic64_read(&fault_hypercalls));
	mutex_lock(&fault_hyp_lock);
	seq_printf(m, "hypercall_probes: %u\n", fault_hyp_on ? fault_hyp_nr : 0);
	mutex_unlock(&fault_hyp_lock);
	seq_printf(m, "teardown: %d\n", teardown);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/* Whether allocations are fault points: the allocator probes are in place. */
static bool fault_allocators(void)
{
	return FAULT_ALLOCATORS && !teardown;
}

static int __init gntv3_fault_init(void)
{
	unsigned int i;
	int rc;

	if (teardown && !FAULT_ALLOCATORS) {
		pr_err("teardown=1 needs the module's own fail-nth: not on a kernel with fault injection\n");
		return -EINVAL;
	}
	if (teardown) {
		fault_hyp_probes = fault_teardown_probes;
		fault_hyp_nr = ARRAY_SIZE(fault_teardown_probes);
	} else {
		fault_hyp_probes = fault_setup_probes;
		fault_hyp_nr = ARRAY_SIZE(fault_setup_probes);
	}
	if (fault_allocators()) {
		for (i = 0; i < ARRAY_SIZE(fault_probes); i++)
			fault_rps[i] = &fault_probes[i].rp;
		rc = register_kretprobes(fault_rps, ARRAY_SIZE(fault_rps));
		if (rc) {
			pr_err("cannot probe the allocator (%d): Linux 6.12 only\n",
			       rc);
			return rc;
		}
	}
	rc = register_module_notifier(&fault_hyp_nb);
	if (rc) {
		if (fault_allocators())
			unregister_kretprobes(fault_rps, ARRAY_SIZE(fault_rps));
		return rc;
	}
	mutex_lock(&fault_hyp_lock);
	fault_hyp_register_locked();
	mutex_unlock(&fault_hyp_lock);
	fault_dir = debugfs_create_dir("gntv3_fault", NULL);
	if (FAULT_ALLOCATORS) {
		debugfs_create_file("fail-nth", 0600, fault_dir, NULL,
				    &fail_nth_fops);
		debugfs_create_bool("alloc_faults", 0600, fault_dir,
				    &alloc_faults);
	}
	debugfs_create_file("stats", 0400, fault_dir, NULL, &stats_fops);
	if (teardown)
		pr_info("gntv3's tear-down hypercalls only (test only)\n");
	else if (FAULT_ALLOCATORS)
		pr_info("%zu allocator entry points probed (test only)\n",
			ARRAY_SIZE(fault_probes));
	else
		pr_info("hypercalls in the kernel's fail-nth (test only)\n");
	return 0;
}

static void __exit gntv3_fault_exit(void)
{
	debugfs_remove(fault_dir);
	unregister_module_notifier(&fault_hyp_nb);
	mutex_lock(&fault_hyp_lock);
	fault_hyp_unregister_locked();
	mutex_unlock(&fault_hyp_lock);
	if (fault_allocators())
		unregister_kretprobes(fault_rps, ARRAY_SIZE(fault_rps));
	mutex_lock(&fault_lock);
	fault_disarm_locked();
	mutex_unlock(&fault_lock);
	pr_info("%lld faults injected\n", atomic64_read(&fault_injected));
}

module_init(gntv3_fault_init);
module_exit(gntv3_fault_exit);
MODULE_DESCRIPTION("Per-task fail-nth of allocations and gntv3's hypercalls, for gntv3's selftests");
MODULE_LICENSE("GPL");
