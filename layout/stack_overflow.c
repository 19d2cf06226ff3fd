/* SPDX-License-Identifier: MIT */
/* stack_overflow.c - overflow the stack, catch SIGSEGV in the guard gap
 *
 * The main thread's stack is one mapping, [stack] in /proc/PID/maps, that
 * the kernel grows down on demand: a fault just below it extends it to
 * that page, as long as its size stays within the soft RLIMIT_STACK
 * (ulimit -s, in KiB). This program calls a function with a fixed-size
 * frame (a 1 KiB array) deeper and deeper. When the stack cannot grow any
 * more, the next call touches memory no mapping holds, below [stack], in
 * the guard gap the kernel keeps free there: SIGSEGV, si_code SEGV_MAPERR
 * ("address not mapped").
 *
 * The handler cannot run on the full stack: it runs on an alternate
 * signal stack (sigaltstack, SA_ONSTACK), records the fault and jumps
 * back to main, which prints the report.
 *
 * Run:   layout/stack_overflow                    with your ulimit -s
 *        bash -c 'ulimit -s 1024; exec layout/stack_overflow'    1 MiB
 *        layout/stack_overflow --step          pause before and after
 *        layout/stack_overflow --no-handler    the kernel kills it
 *
 * What to look for:
 *   - "stack mapping size" is RLIMIT_STACK; "stack used" is within about
 *     a frame of it; depth x frame size is nearly all of it.
 *   - The fault address lies a frame or less below [stack]: in the
 *     guard gap, which is not a mapping (a pthread's guard page is one,
 *     ---p, and a fault there is SEGV_ACCERR).
 *
 * Try beside it:
 *   grep -i stack /proc/PID/limits
 *   strace -e trace=none layout/stack_overflow    (the signal, si_addr)
 *   gdb layout/stack_overflow; run --no-handler; bt -3; info proc mappings
 */
#include "../res/memtour.h"
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define FRAME_WORDS (1024 / sizeof(long))	/* a 1 KiB array per frame */
#define MAX_STACK (64UL << 20)	/* a bigger limit is lowered to this */

static int no_handler;		/* --no-handler */
static void options(int argc, char **argv);

/* Shared with the handler: it only stores into them, then jumps. */
static sigjmp_buf back_to_main;
static volatile uintptr_t fault_addr, handler_local;
static volatile sig_atomic_t fault_code;

/* Written by every call: its number and where its array lies. */
static volatile long depth;
static volatile uintptr_t first_frame, deepest_frame;

/* Each call writes its number into both ends of its array (the array
 * the compiler must keep in memory: volatile), and uses the result of
 * the next call after it returns, so neither gcc nor clang can turn the
 * recursion into a loop. There is no base case: n never comes back to 0. */
static __attribute__((noinline)) long recurse(long n)
{
	volatile long frame[FRAME_WORDS];

	frame[0] = n;
	frame[FRAME_WORDS - 1] = n;
	depth = n;
	deepest_frame = (uintptr_t)frame;
	if (n == 1)
		first_frame = (uintptr_t)frame;
	if (n == 0)
		return 0;
	return recurse(n + 1) + frame[0] + frame[FRAME_WORDS - 1];
}

/* Only async-signal-safe work here: store into globals, jump out. */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	volatile char here = 0;

	(void)sig;
	(void)ctx;
	handler_local = (uintptr_t)&here;
	fault_addr = (uintptr_t)si->si_addr;
	fault_code = si->si_code;
	siglongjmp(back_to_main, 1);
}

/* stack_guard_gap in pages: stack_guard_gap=N on the kernel command line
 * (the last one wins), else the kernel's default, 256. */
static unsigned long guard_gap_pages(int *from_cmdline)
{
	static struct mt_lines l;
	const char *s, *p;
	unsigned long pages = 256;
	char *e;

	*from_cmdline = 0;
	if (mt_lines_open(&l, "/proc/cmdline") < 0 || !(s = mt_lines_next(&l)))
		return pages;
	for (p = s; (p = strstr(p, "stack_guard_gap=")); p++)
		if (p == s || p[-1] == ' ') {
			unsigned long n = strtoul(p + 16, &e, 10);

			if (e != p + 16 && (*e == ' ' || !*e)) {
				pages = n;
				*from_cmdline = 1;
			}
		}
	mt_lines_close(&l);
	return pages;
}

/* The limit the kernel checks each time it grows the stack; one too big
 * for a demo (every frame is written, so all of it becomes resident) is
 * lowered. */
static size_t stack_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_STACK, &rl) < 0)
		mt_die("getrlimit RLIMIT_STACK");
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > MAX_STACK) {
		printf("RLIMIT_STACK is %s: this demo lowers its own soft "
		       "limit to %s.\n", rl.rlim_cur == RLIM_INFINITY ?
		       "unlimited" : mt_human(rl.rlim_cur), mt_human(MAX_STACK));
		rl.rlim_cur = MAX_STACK;
		if (setrlimit(RLIMIT_STACK, &rl) < 0)
			mt_die("setrlimit RLIMIT_STACK");
	}
	return rl.rlim_cur;
}

/* The handler needs a stack of its own: [stack] is full when it runs. */
static void install_handler(void)
{
	size_t size = 64 * 1024;
	struct sigaction sa;
	stack_t ss;

	ss.ss_sp = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED)
		mt_die("mmap alternate stack");
	ss.ss_size = size;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) < 0)
		mt_die("sigaltstack");
	printf("alternate stack: %p-%p\n", ss.ss_sp, (char *)ss.ss_sp + size);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) < 0)
		mt_die("sigaction SIGSEGV");
}

/* Back from the handler, on the normal stack again: the report. */
static void report(size_t limit, unsigned long gap)
{
	size_t ps = mt_pagesize(), used, frame;
	static struct mt_mapping m;
	int here;

	if (mt_maps_find(0, &here, &m) < 0)
		mt_die("the mapping of the stack in /proc/self/maps");
	if (deepest_frame < m.start || deepest_frame >= m.end)
		mt_fail("the frames (down to %#lx) are not in the stack "
			"mapping %#lx-%#lx (valgrind runs programs on a stack "
			"of its own)", (unsigned long)deepest_frame,
			(unsigned long)m.start, (unsigned long)m.end);
	frame = depth > 1 ? (first_frame - deepest_frame) /
			    (size_t)(depth - 1) : 0;
	used = m.end - deepest_frame;
	printf("first frame: %#lx\n", (unsigned long)first_frame);
	printf("deepest frame: %#lx\n", (unsigned long)deepest_frame);
	printf("frame size: %zu\n", frame);
	printf("depth: %ld\n", (long)depth);
	printf("stack used: %zu (%s)\n", used, mt_human(used));
	printf("stack mapping: %#lx-%#lx\n", (unsigned long)m.start,
	       (unsigned long)m.end);
	printf("stack mapping size: %zu (%s)\n", (size_t)(m.end - m.start),
	       mt_human(m.end - m.start));
	printf("fault address: %#lx\n", (unsigned long)fault_addr);
	printf("below stack: %ld\n", (long)(m.start - fault_addr));
	printf("si_code: %s\n", fault_code == SEGV_MAPERR ?
	       "SEGV_MAPERR (address not mapped)" : fault_code == SEGV_ACCERR ?
	       "SEGV_ACCERR (no permission)" : "another code");
	printf("handler stack: %#lx\n", (unsigned long)handler_local);
	if (fault_code != SEGV_MAPERR || fault_addr >= m.start)
		mt_fail("this is not the expected fault (SEGV_MAPERR below "
			"[stack])");
	printf("\n"
"The stack grew to %s; RLIMIT_STACK allows %s. The next call touched\n"
"memory below it: the kernel refused to grow the stack past the limit,\n"
"no mapping holds that address, hence SEGV_MAPERR. It lies in the guard\n"
"gap, the %s below [stack] where mmap places nothing, so that the\n"
"stack cannot run into a mapping below it. The handler ran on the\n"
"alternate stack: [stack] was full.\n",
	       mt_human(m.end - m.start), mt_human(limit), mt_human(gap * ps));
}

int main(int argc, char **argv)
{
	static size_t limit;		/* static: kept across siglongjmp */
	static unsigned long gap;
	static struct mt_mapping m;
	int from_cmdline, here;

	mt_init(argv);
	options(argc, argv);
	limit = stack_limit();
	gap = guard_gap_pages(&from_cmdline);
	printf("RLIMIT_STACK: %zu (%s)\n", limit, mt_human(limit));
	printf("page size: %zu\n", mt_pagesize());
	printf("guard gap: %lu (%lu pages, %s)\n", gap * mt_pagesize(), gap,
	       from_cmdline ? "stack_guard_gap= on the kernel command line" :
	       "the kernel default");
	if (mt_maps_find(0, &here, &m) < 0)
		mt_die("the mapping of the stack in /proc/self/maps");
	printf("stack mapping before: %#lx-%#lx (%s)\n",
	       (unsigned long)m.start, (unsigned long)m.end,
	       mt_human(m.end - m.start));
	if (no_handler)
		printf("no handler: the kernel will kill this process with "
		       "SIGSEGV\n(the shell prints \"Segmentation fault\", "
		       "status 139 = 128 + 11)\n");
	else
		install_handler();

	mt_pause("not grown yet; try: grep '\\[stack\\]' /proc/%d/maps",
		 (int)getpid());
	fflush(stdout);		/* --no-handler: nothing may stay buffered */
	if (sigsetjmp(back_to_main, 1) == 0) {
		recurse(1);
		mt_fail("the recursion returned");
	}
	report(limit, gap);
	mt_pause("grown and faulted; try: grep '\\[stack\\]' /proc/%d/maps",
		 (int)getpid());
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-handler", no_argument, NULL, 'n' },
		MT_COMMON_OPTIONS
	};

	mt_usage = "[--no-handler] [--step]";
	mt_help = "\n"
"Recurse through a function with a 1 KiB frame until the stack reaches\n"
"RLIMIT_STACK (ulimit -s), catch the SIGSEGV on an alternate signal\n"
"stack and report the depth, the stack used, the [stack] mapping, the\n"
"fault address and how far below [stack] it lies (in the guard gap,\n"
"which is not a mapping: si_code SEGV_MAPERR).\n"
"\n"
"  --no-handler  no handler: the kernel kills the process (SIGSEGV)\n"
"  --step        pause before the recursion and after the fault\n"
"                (also MEMTOUR_STEP=1)\n"
"  -h, --help    this text\n"
"\n"
"Try: bash -c 'ulimit -s 1024; exec layout/stack_overflow'\n";
	while (mt_getopt(argc, argv, "", longopts) != -1)
		no_handler = 1;		/* the only option that comes back */
	mt_no_operands(argc, argv);
}
