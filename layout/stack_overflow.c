/* stack_overflow.c - overflow the stack, catch SIGSEGV in the guard gap
 *
 * What it demonstrates
 *   The main thread's stack is one mapping, [stack] in /proc/PID/maps, that
 *   the kernel grows downwards on demand: a page fault on an address below
 *   it extends it down to that page, unless its size would then exceed the
 *   soft RLIMIT_STACK (`ulimit -s`, in KiB). This
 *   program calls a function with a fixed-size frame (a 1 KiB volatile
 *   array) deeper and deeper, with no base case that is ever reached. When
 *   the stack cannot grow any more, the next push or store lands just below
 *   [stack], in memory that no mapping holds, and the kernel sends SIGSEGV
 *   with si_code SEGV_MAPERR ("address not mapped").
 *
 *   A handler for that signal cannot run on the normal stack: it is full. So
 *   the program gives the kernel an alternate signal stack (sigaltstack) and
 *   installs the handler with SA_ONSTACK | SA_SIGINFO. The handler only
 *   stores the fault address and si_code in globals and siglongjmp()s back
 *   to main, which then reads /proc/self/maps (the [stack] mapping has grown
 *   to its maximum by then) and prints the report.
 *
 *   The guard gap. Since Linux 4.12 (the "Stack Clash" fix, also backported
 *   to older stable kernels) the kernel keeps stack_guard_gap pages free
 *   below a stack that grows down: 256 pages by default, so 1 MiB with
 *   4 KiB pages (16 MiB with 64 KiB pages on aarch64); the kernel command
 *   line option stack_guard_gap=N changes it. mmap never picks an address
 *   in the gap (only MAP_FIXED can put a mapping there), and the stack is
 *   never grown to within the gap of an accessible mapping below it. Here
 *   RLIMIT_STACK stops the stack first; the fault address still lies in
 *   the gap. The gap is not a mapping (it does not appear in
 *   /proc/PID/maps), and no mapping holds the address: SEGV_MAPERR. A
 *   pthread's guard page, by contrast, is a real PROT_NONE mapping (---p)
 *   and a fault there is SEGV_ACCERR.
 *
 * How to run it
 *   ./stack_overflow                   run with your ulimit -s
 *   bash -c 'ulimit -s 1024; exec ./stack_overflow'    a 1 MiB stack
 *   ./stack_overflow --step            pause before and after the overflow
 *   ./stack_overflow --no-handler      let the kernel kill it: the shell
 *                                      prints "Segmentation fault"
 *   If RLIMIT_STACK is unlimited or above 64 MiB (MAX_DEMO_STACK), the
 *   program lowers its own soft limit to 64 MiB and says so: an unlimited
 *   stack would grow until memory runs out, and every frame is written, so
 *   every page of it becomes resident.
 *
 * What to look for
 *   "stack mapping size" equals RLIMIT_STACK (rounded down to a page) and
 *   "stack used" is within one frame of it; the fault address is a few
 *   bytes to one frame below the start of [stack]; depth * frame size is
 *   about the stack used.
 *
 * Lines a test checks (name: value; sizes in bytes, addresses in hex)
 *   RLIMIT_STACK: N            soft limit used by the demo
 *   guard gap: N               stack_guard_gap in bytes (cmdline or default)
 *   stack mapping before: 0xLO-0xHI
 *   frame size: N              bytes between two successive frames
 *   depth: N                   deepest call that completed its frame
 *   stack used: N              top of [stack] - lowest frame reached
 *   stack mapping: 0xLO-0xHI   [stack] after the fault
 *   stack mapping size: N
 *   fault address: 0x...       si_addr
 *   below stack: N             start of [stack] - fault address
 *   si_code: SEGV_MAPERR
 *   handler stack: 0x...       a local of the handler (alternate stack)
 *   alternate stack: 0xLO-0xHI
 *
 * Commands to try beside it
 *   ulimit -s; grep '\[stack\]' /proc/PID/maps (at a pause); grep Stack
 *   /proc/PID/limits; bash -c 'ulimit -s 2048; exec ./stack_overflow';
 *   strace -e trace=none ./stack_overflow (shows the SIGSEGV and si_code);
 *   gdb ./stack_overflow, run --no-handler, then bt -3 and info proc mappings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define FRAME_BYTES	1024			/* the array in each frame */
#define MAX_DEMO_STACK	(64UL << 20)		/* cap for huge limits */
#define DEFAULT_GAP_PAGES 256UL			/* kernel's stack_guard_gap */

static const char *prog = "stack_overflow";
static int step_mode;		/* --step or MEMTOUR_STEP=1 */

/* Shared with the signal handler: written before it is installed, or
 * volatile and only stored by it. */
static sigjmp_buf jump_back;
static volatile uintptr_t fault_addr;
static volatile sig_atomic_t fault_code;
static volatile uintptr_t handler_local;

/* Written by every call of recurse(). */
static volatile long depth;
static volatile uintptr_t first_frame, lowest_frame;
static volatile long stop_at = -1;	/* never reached: no base case */

static char maps_buf[1 << 16];		/* /proc/self/maps, read(2) */

/* The pause protocol (GUIDE.md): print one line, flush it, then wait for a
 * line on stdin; EOF means go on. read(2), not stdio: no hidden malloc. */
static void step(const char *fmt, ...)
{
	static int n;
	va_list ap;
	char c;

	if (!step_mode)
		return;
	printf("[pause %d] pid %ld: ", ++n, (long)getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
		;
}

static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [--step] [--no-handler] [--help]\n", prog);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
	"Recurse through a function with a fixed-size frame until the stack\n"
	"reaches RLIMIT_STACK (ulimit -s), catch the SIGSEGV on an alternate\n"
	"signal stack and report the depth, the stack used, the [stack]\n"
	"mapping, the fault address and how far below [stack] it lies (in\n"
	"the guard gap, which is not a mapping: si_code SEGV_MAPERR).\n"
	"\n"
	"  --step        pause before recursing and after the fault\n"
	"                (MEMTOUR_STEP=1 does the same)\n"
	"  --no-handler  no handler: the kernel kills the process (SIGSEGV)\n"
	"  --help        this text\n"
	"\n"
	"Try: bash -c 'ulimit -s 1024; exec ./stack_overflow'\n");
}

/* The human unit of a size: "8 MiB", "1036 KiB", "1.2 KiB", "16 bytes". */
static const char *unit(unsigned long n)
{
	static char buf[4][32];
	static int i;
	char *b = buf[i++ % 4];

	if (n >= (1UL << 20) && n % (1UL << 20) == 0)
		snprintf(b, 32, "%lu MiB", n >> 20);
	else if (n >= (1UL << 20))
		snprintf(b, 32, "%.2f MiB", n / 1048576.0);
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(b, 32, "%lu KiB", n >> 10);
	else if (n >= 1024)
		snprintf(b, 32, "%.1f KiB", n / 1024.0);
	else
		snprintf(b, 32, "%lu bytes", n);
	return b;
}

/* Read a whole /proc file into buf with open/read (no stdio, no malloc). */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (len < size - 1 &&
	       (r = read(fd, buf + len, size - 1 - len)) > 0)
		len += r;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* Bounds of the [stack] line of /proc/self/maps; 0 if not found. */
static int stack_bounds(uintptr_t *lo, uintptr_t *hi)
{
	char *line, *end;

	if (read_file("/proc/self/maps", maps_buf, sizeof(maps_buf)) < 0)
		die("/proc/self/maps");
	for (line = maps_buf; *line; line = end + 1) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line) - 1;
		if (end - line > 7 && memcmp(end - 7, "[stack]", 7) == 0) {
			*lo = strtoull(line, &line, 16);
			*hi = strtoull(line + 1, NULL, 16);
			return 1;
		}
		if (!end[1])
			break;
	}
	return 0;
}

/* stack_guard_gap in pages: from the kernel command line, else 256. The
 * kernel reads the value in decimal and ignores it unless all of it is a
 * number; if the option is given twice, the last one wins. */
static __attribute__((noinline))	/* not in main: sigsetjmp is there */
unsigned long guard_gap_pages(int *from_cmdline)
{
	static char cmdline[8192];
	const char *key = "stack_guard_gap=", *p = cmdline;
	unsigned long pages = DEFAULT_GAP_PAGES;

	*from_cmdline = 0;
	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)) <= 0)
		return pages;
	while ((p = strstr(p, key))) {
		if (p == cmdline || p[-1] == ' ') {
			const char *v = p + strlen(key);
			char *e;
			unsigned long n = strtoul(v, &e, 10);

			if (e != v && (*e == ' ' || *e == '\n' || !*e)) {
				pages = n;
				*from_cmdline = 1;
			}
		}
		p += strlen(key);
	}
	return pages;
}

/* Only async-signal-safe work here: store into globals and jump out. */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	volatile char here = 0;

	(void)sig;
	(void)ctx;
	handler_local = (uintptr_t)&here;
	fault_addr = (uintptr_t)si->si_addr;
	fault_code = si->si_code;
	siglongjmp(jump_back, 1);
}

/* One frame per call: a volatile array the compiler must keep in memory,
 * and a use of the result after the call, so neither gcc nor clang can turn
 * the recursion into a loop (no tail call). */
static __attribute__((noinline)) long recurse(long n)
{
	volatile char frame[FRAME_BYTES];

	frame[0] = (char)n;
	frame[FRAME_BYTES - 1] = (char)n;
	depth = n;
	lowest_frame = (uintptr_t)frame;
	if (n == 1)
		first_frame = (uintptr_t)frame;
	if (n == stop_at)
		return 0;
	return recurse(n + 1) + frame[0] + frame[FRAME_BYTES - 1];
}

static const char *code_name(int code)
{
	switch (code) {
	case SEGV_MAPERR:
		return "SEGV_MAPERR";
	case SEGV_ACCERR:
		return "SEGV_ACCERR";
	default:
		return "other";
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "step", no_argument, NULL, 's' },
		{ "no-handler", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *s = getenv("MEMTOUR_STEP");
	unsigned long page = sysconf(_SC_PAGESIZE), gap_pages, limit;
	uintptr_t lo, hi;
	int no_handler = 0, from_cmdline, c;
	struct rlimit rl;

	if (s && *s && strcmp(s, "0") != 0)
		step_mode = 1;
	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			step_mode = 1;
			break;
		case 'n':
			no_handler = 1;
			break;
		case 'h':
			help();
			return 0;
		default:
			if (optopt && strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "%s: unknown option '-%c'\n",
					prog, optopt);
			else
				fprintf(stderr, "%s: unknown option '%s'\n",
					prog, argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		usage(stderr);
		return 2;
	}

	/* The limit the kernel checks each time it grows the stack. */
	if (getrlimit(RLIMIT_STACK, &rl) < 0)
		die("getrlimit RLIMIT_STACK");
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > MAX_DEMO_STACK) {
		if (rl.rlim_cur == RLIM_INFINITY)
			printf("RLIMIT_STACK is unlimited: the stack could "
			       "grow until memory runs out.\n");
		else
			printf("RLIMIT_STACK is %s: more than this demo "
			       "should make resident\n(it writes to every "
			       "frame).\n", unit(rl.rlim_cur));
		printf("This demo lowers its own soft limit to %lu MiB.\n",
		       MAX_DEMO_STACK >> 20);
		rl.rlim_cur = MAX_DEMO_STACK;
		if (setrlimit(RLIMIT_STACK, &rl) < 0)
			die("setrlimit RLIMIT_STACK");
	}
	limit = rl.rlim_cur;
	gap_pages = guard_gap_pages(&from_cmdline);

	printf("RLIMIT_STACK: %lu (%s)\n", limit, unit(limit));
	printf("page size: %lu\n", page);
	printf("guard gap: %lu (%lu pages, %s)\n", gap_pages * page,
	       gap_pages, from_cmdline ? "stack_guard_gap= on the kernel "
	       "command line" : "the kernel default");
	if (!stack_bounds(&lo, &hi)) {
		fprintf(stderr, "%s: no [stack] line in /proc/self/maps\n",
			prog);
		return 1;
	}
	printf("stack mapping before: 0x%" PRIxPTR "-0x%" PRIxPTR
	       " (%s)\n", lo, hi, unit(hi - lo));

	if (!no_handler) {
		/* The handler needs a stack of its own: the normal one is
		 * full when SIGSEGV arrives. */
		size_t alt_size = 64 * 1024;
		struct sigaction sa;
		stack_t ss;
		void *alt;

#ifdef _SC_SIGSTKSZ
		if (sysconf(_SC_SIGSTKSZ) > (long)alt_size)
			alt_size = sysconf(_SC_SIGSTKSZ);
#endif
		alt = mmap(NULL, alt_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (alt == MAP_FAILED)
			die("mmap alternate stack");
		ss.ss_sp = alt;
		ss.ss_size = alt_size;
		ss.ss_flags = 0;
		if (sigaltstack(&ss, NULL) < 0)
			die("sigaltstack");
		printf("alternate stack: 0x%" PRIxPTR "-0x%" PRIxPTR "\n",
		       (uintptr_t)alt, (uintptr_t)alt + alt_size);

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_segv;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSEGV, &sa, NULL) < 0)
			die("sigaction SIGSEGV");
	} else {
		printf("no handler: the kernel will kill this process with"
		       " SIGSEGV\n(the shell prints \"Segmentation fault\","
		       " status 139 = 128 + 11)\n");
	}

	step("start; try: grep '\\[stack\\]' /proc/%ld/maps",
	     (long)getpid());
	fflush(stdout);		/* --no-handler: nothing may stay buffered */

	if (sigsetjmp(jump_back, 1) == 0) {
		recurse(1);
		fprintf(stderr, "%s: the recursion returned?\n", prog);
		return 1;
	}

	/* Back from the handler, on the normal stack again. */
	if (!stack_bounds(&lo, &hi)) {
		fprintf(stderr, "%s: no [stack] line in /proc/self/maps\n",
			prog);
		return 1;
	}
	if (lowest_frame < lo || lowest_frame >= hi) {
		/* valgrind, for one, runs the program on a stack of its own */
		fprintf(stderr, "%s: the frames (down to 0x%" PRIxPTR
			") are not in\n[stack] 0x%" PRIxPTR "-0x%" PRIxPTR
			": nothing to report about it\n", prog,
			(uintptr_t)lowest_frame, lo, hi);
		return 1;
	}
	printf("frame size: %lu\n", depth > 1 ? (unsigned long)
	       ((first_frame - lowest_frame) / (depth - 1)) : 0UL);
	printf("depth: %ld\n", (long)depth);
	printf("stack used: %lu (%s)\n", (unsigned long)(hi - lowest_frame),
	       unit(hi - lowest_frame));
	printf("stack mapping: 0x%" PRIxPTR "-0x%" PRIxPTR "\n", lo, hi);
	printf("stack mapping size: %lu (%s)\n", (unsigned long)(hi - lo),
	       unit(hi - lo));
	printf("fault address: 0x%" PRIxPTR "\n", (uintptr_t)fault_addr);
	if (fault_addr < lo)
		printf("below stack: %lu\n",
		       (unsigned long)(lo - fault_addr));
	else
		printf("below stack: none (the fault is not below [stack])\n");
	printf("si_code: %s (%d)\n", code_name(fault_code), (int)fault_code);
	printf("handler stack: 0x%" PRIxPTR "\n", (uintptr_t)handler_local);
	if (fault_code != SEGV_MAPERR || fault_addr >= lo) {
		printf("\nThis fault is not the expected one (SEGV_MAPERR "
		       "below [stack]).\n");
		return 1;
	}
	printf("\n"
	"The [stack] mapping grew to %s; RLIMIT_STACK allows %s.\n"
	"The next access fell below it: the kernel refused to grow the\n"
	"stack past the limit, no mapping holds that address, so SIGSEGV\n"
	"came with SEGV_MAPERR. The address lies in the guard gap, the %s\n"
	"(stack_guard_gap pages) below [stack] where mmap places nothing,\n"
	"so that the stack cannot grow into the mapping below it and a\n"
	"frame smaller than the gap cannot jump over it. The gap is not a\n"
	"mapping (a pthread's guard page is: PROT_NONE, SEGV_ACCERR).\n"
	"The handler ran on the alternate signal stack: [stack] was full.\n",
	       unit(hi - lo), unit(limit), unit(gap_pages * page));

	step("fault caught; try: "
	     "grep '\\[stack\\]' /proc/%ld/maps", (long)getpid());
	return 0;
}
