/* SPDX-License-Identifier: MIT */
/* alloca.c - alloca takes stack memory; returning frees it
 *
 * alloca(n) does not call malloc: the compiler moves the stack pointer
 * down by n (or a little more) and hands you the bytes in between, inside
 * the calling function's stack frame. Nothing to free: when the function
 * returns, its frame and the block are gone, and the next call reuses the
 * very same addresses. The memory stays: [stack] keeps its pages.
 *
 * What you will see: the stack pointer before and after alloca, the block
 * inside [stack], its pages coming in (Rss of [stack] in smaps, minor
 * faults), and a second call that gets the same address and faults no
 * more.
 *
 * The rules: never free() it (malloc never saw it); never keep it past
 * the return; alloca in a loop piles up until the function returns; never
 * write f(alloca(n)), since the stack pointer moves while f's arguments are
 * set up. alloca never returns NULL: too big a request runs the stack into
 * its limit (SIGSEGV), or past the guard gap into another mapping ("stack
 * clash"; gcc -fstack-clash-protection probes each page). So this program
 * keeps n to a quarter of the stack limit (ulimit -s).
 *
 * Run:   heap/alloca              (64 KiB)
 *        heap/alloca -s 1M --step
 * Try beside it:
 *   objdump -d --no-show-raw-insn heap/alloca | grep -A20 '<use_alloca>:'
 *                      how the compiler takes the size off %rsp
 *   ulimit -s 64; heap/alloca    a smaller stack limit: a smaller default
 */
#include "../res/memtour.h"
#include <alloca.h>
#include <sys/resource.h>

static size_t size = 64 * 1024;		/* -s */
static size_t max_size;		/* a quarter of the stack room left */
static rlim_t limit;			/* RLIMIT_STACK */
static size_t in_use;			/* stack used when main started */
static const volatile int *main_local;	/* in_use is measured down to it */
static int size_given;
static char outbuf[8192];	/* stdout's buffer: one write at the end */
static void options(int argc, char **argv);

/* Where the stack pointer is: the address of a local of a function called
 * from here (its frame sits just below the caller's stack pointer, at the
 * same distance every time). Kept in a global: a compiler may turn a
 * returned local address into 0. */
static volatile uintptr_t probe_sp;

static __attribute__((noinline)) void probe(void)
{
	volatile char here = 0;

	probe_sp = (uintptr_t)&here;
}

/* printf and the pause run below the deepest frame; touch up to 8 KiB
 * there first, so that they bring in no stack page after the figures are
 * read (less under a small stack limit). */
static __attribute__((noinline)) void room_below(void)
{
	volatile char room[max_size < 8192 ? max_size : 8192];

	room[0] = room[sizeof(room) - 1] = 0;
}

static long minflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		mt_die("getrusage");
	return ru.ru_minflt;
}

static void show_stack(const char *when, const void *in_stack)
{
	static struct mt_mapping m;	/* 8 KiB: not on the stack */

	room_below();
	if (mt_maps_find(0, in_stack, &m) < 0)
		mt_die("no mapping holds the stack?");
	printf("[stack] %s: 0x%lx-0x%lx\n    Size %ld kB, Rss %ld kB\n", when,
	       (unsigned long)m.start, (unsigned long)m.end,
	       mt_smaps_kb(in_stack, "Size"), mt_smaps_kb(in_stack, "Rss"));
}

static void pause_stack(const char *what)
{
	mt_pause("%s; try: grep -A4 '\\[stack\\]' /proc/%d/smaps", what,
		 (int)getpid());
}

/* Called twice. Each call allocas size bytes, touches every page (from
 * the top down, as the stack grows), reports, and returns: the block dies
 * here. Only its address goes back to main, as a number, to compare. */
static __attribute__((noinline)) uintptr_t use_alloca(int call)
{
	uintptr_t before, after;
	volatile char *p;
	size_t i, ps = mt_pagesize();
	long faults;

	printf("\ncall %d\n", call);
	if (call == 1) {
		show_stack("before alloca", &before);
		pause_stack("before alloca");
	}
	probe();
	before = probe_sp;
	p = alloca(size);	/* alone in its statement: see the rules */
	probe();
	after = probe_sp;
	faults = minflt();
	for (i = size; i > 0; i = i > ps ? i - ps : 0)
		p[i - 1] = (char)call;
	p[0] = (char)call;
	faults = minflt() - faults;

	printf("stack pointer before alloca: 0x%lx\n", (unsigned long)before);
	printf("stack pointer after alloca: 0x%lx\n", (unsigned long)after);
	printf("the stack pointer moved: %lu (asked for %zu; the compiler "
	       "added %ld)\n", (unsigned long)(before - after), size,
	       (long)(before - after) - (long)size);
	printf("block: %p-%p, %zu (%s)\n", (void *)p, (void *)(p + size),
	       size, mt_human(size));
	printf("minor faults while writing it: %ld\n", faults);
	if (call == 1) {
		printf("    every page of the block not yet in [stack]'s "
		       "memory took a fault\n");
		show_stack("with the block", (const void *)p);
		pause_stack("block alive");
	} else {
		printf("    no new page: the first call's pages are still "
		       "there\n");
	}
	return (uintptr_t)p;	/* a number only: the block is dead */
}

int main(int argc, char **argv)
{
	volatile int local = 0;
	uintptr_t first, second;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	mt_init(argv);
	main_local = &local;
	options(argc, argv);

	printf("stack limit (ulimit -s): ");
	if (limit == RLIM_INFINITY)
		printf("unlimited\n");
	else
		printf("%zu (%s), %zu in use at start\n", (size_t)limit,
		       mt_human(limit), in_use);
	if (!size_given && size > max_size) {
		size = max_size & ~(size_t)15;
		printf("    64 KiB is more than a quarter of the room left: "
		       "the size is lowered\n");
	}
	printf("size: %zu (%s)\n", size, mt_human(size));
	printf("a local of main: %p\n", (void *)&local);

	first = use_alloca(1);
	second = use_alloca(2);
	printf("\nsame address: %s\n", first == second ? "yes" : "no");
	if (first == second)
		printf("    the first block died when use_alloca returned; "
		       "the second call's\n    frame, block included, "
		       "landed on the same bytes\n");
	else
		printf("    the second call's frame sat elsewhere (a "
		       "sanitizer can move frames),\n    but the first "
		       "block was dead all the same\n");
	show_stack("after both calls", (const void *)&local);
	(void)local;
	return 0;
}

/* The top of [stack], from /proc/self/maps, parsed by hand: sscanf and
 * printf need more stack than a small limit may leave. 0 if not found. */
static uintptr_t stack_top(void)
{
	static struct mt_lines l;
	const char *s, *dash;
	uintptr_t top = 0;

	if (mt_lines_open(&l, "/proc/self/maps") < 0)
		return 0;
	while ((s = mt_lines_next(&l)))
		if (strstr(s, "[stack]") && (dash = strchr(s, '-')))
			top = strtoul(dash + 1, NULL, 16);
	return top;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		MT_COMMON_OPTIONS
	};
	static const char small[] = "alloca: the stack limit leaves less "
		"than 32 KiB for this program: raise it (ulimit -s 64)\n";
	struct rlimit rl;
	uintptr_t top;
	int c;

	/* The stack in use so far (arguments, environment, the loader's
	 * frames, main's own) counts against the limit too: from the top
	 * of [stack] down to main's local. printf alone needs some KiB of
	 * stack: below 32 KiB of room, say so with write(2) only. */
	max_size = SIZE_MAX;
	limit = RLIM_INFINITY;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
	    && (top = stack_top()) != 0) {
		limit = rl.rlim_cur;
		in_use = top - (uintptr_t)main_local;
		if (limit < in_use + 32 * 1024) {
			if (write(STDERR_FILENO, small, sizeof(small) - 1))
				_exit(MT_EXIT_FAIL);
			_exit(MT_EXIT_FAIL);
		}
		max_size = (limit - in_use) / 4;
	}
	mt_usage = "[-s SIZE] [--step]";
	mt_help = "\nCall a function that allocas SIZE bytes, twice: the "
		  "stack pointer before\nand after, the block inside [stack], "
		  "its pages and faults, and the same\naddress again in the "
		  "second call.\n\n"
		  "  -s, --size SIZE  bytes to alloca, 1 to 256M (K, M, G "
		  "suffixes), and at\n"
		  "                   most a quarter of the room the stack "
		  "limit leaves;\n"
		  "                   default 64K (lowered to fit)\n"
		  "      --step       pause before alloca and with the block "
		  "alive\n"
		  "  -h, --help       this text\n";
	while ((c = mt_getopt(argc, argv, "s:", longopts)) != -1)
		if (c == 's') {
			size = mt_size_arg("-s", optarg, 1, 256 << 20);
			size_given = 1;
		}
	mt_no_operands(argc, argv);
	if (size_given && size > max_size)
		mt_usage_error("-s: %zu is more than a quarter of the room the "
			       "stack limit\nleaves (%zu bytes of %zu): raise "
			       "it with ulimit -s", size,
			       (size_t)limit - in_use, (size_t)limit);
}
