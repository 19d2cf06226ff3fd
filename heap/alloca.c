/* alloca.c - alloca takes stack memory; returning frees it
 *
 * alloca(n) does not call malloc: it moves the stack pointer down by n
 * (rounded up to keep the stack aligned) and hands you the bytes in
 * between, inside the current function's stack frame. Nothing to free:
 * when the function returns, its frame, alloca'd bytes included, is gone,
 * and the next call reuses the very same addresses.
 *
 * Run:   heap/alloca              (64 KiB)
 *        heap/alloca -s 1M --step
 *
 * What to look for:
 *   - the stack pointer (the address of a local in a function called
 *     just then) before and after alloca: it went down by about n
 *   - the alloca'd block lies below the caller's local, inside [stack]
 *   - a second call gets the same address: the first block is gone
 *
 * The rules (the program obeys them; read why in the comments below):
 *   - never free() it, never realloc() it: it is not from malloc
 *   - never return it or keep it past the function's return
 *   - it lives until the function returns, not until the end of the
 *     enclosing { } block (unlike a variable-length array): alloca in a
 *     loop keeps piling up stack
 *   - never write f(alloca(n)): the stack pointer moves in the middle of
 *     building f's argument list; where arguments go on the stack, the
 *     block and the arguments get mixed up (not portable, may break)
 *   - alloca cannot fail politely: it never returns NULL. Too big a
 *     request runs the stack into its limit and the next touch gets
 *     SIGSEGV; a huge one can even jump over the guard gap below the
 *     stack into another mapping and corrupt it silently ("stack clash";
 *     gcc -fstack-clash-protection probes each page to prevent that). So
 *     this program caps n at a quarter of RLIMIT_STACK.
 *
 * Lines a test reads:
 *   size: BYTES              local_main: 0xADDR (a local of main)
 *   sp_before: 0xADDR        sp_after: 0xADDR   (stack pointer probes)
 *   alloca: 0xADDR           (first call)       alloca_again: 0xADDR
 *   same_address: yes|no
 *
 * Try beside it (second terminal, at the pause):
 *   grep '\[stack\]' /proc/PID/maps          the block is inside [stack]
 *   gdb -batch -ex 'disassemble use_alloca' heap/alloca
 *                      look for the size being taken off %rsp
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <alloca.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *prog = "alloca";
static int step_mode;		/* --step or MEMTOUR_STEP=1 */

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

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [-s SIZE] [--step] [--help]\n", prog);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
	       "Call a function that allocas SIZE bytes, twice; print the\n"
	       "stack pointer before and after the alloca, the block's\n"
	       "address, and show the second call gets the same address.\n"
	       "\n"
	       "  -s, --size SIZE   bytes to alloca, K/M suffixes; 1 to a\n"
	       "                    quarter of the stack limit; default 64K\n"
	       "      --step        pause while the block is alive (also\n"
	       "                    MEMTOUR_STEP=1)\n"
	       "      --help        this text\n");
}

/* Strict size parser: decimal digits, then an optional K, M, G or T
 * (powers of 1024). No sign, no blanks, no zero, no overflow. */
static int parse_size(const char *s, size_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v, mul = 1;
	const char *u;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end && (u = strchr(units, toupper((unsigned char)*end)))) {
		mul <<= 10 * (u - units + 1);
		end++;
	}
	if (*end != '\0' || v == 0 || v > SIZE_MAX / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

/* Where the stack pointer is now, near enough: the address of a local in
 * a function of its own, called from here, so its frame sits just below
 * the caller's current stack pointer. Stored in a global rather than
 * returned: a compiler may replace a returned local address with 0. */
static volatile uintptr_t probe_sp;

static __attribute__((noinline)) void probe(void)
{
	volatile char here = 0;

	probe_sp = (uintptr_t)&here;
}

/* Called twice. Each call allocas size bytes, touches them (so the stack
 * really grows to hold them), reports, and returns: the block dies here.
 *
 * Only the address goes back to main, as a number, to compare the two
 * calls: handing back the pointer itself and using it would read the
 * stack of whatever function runs next (a dangling pointer). */
static __attribute__((noinline)) uintptr_t use_alloca(size_t size, int call)
{
	uintptr_t before, after;
	volatile char *p;
	size_t i, ps = sysconf(_SC_PAGESIZE);

	probe();
	before = probe_sp;
	/* Keep alloca alone in its statement: in f(alloca(n)) the stack
	 * pointer would move while f's arguments are being laid out. */
	p = alloca(size);
	probe();
	after = probe_sp;
	/* Touch the block from the top down, a page at a time: the kernel
	 * grows [stack] as the faults walk downwards. */
	for (i = size; i > 0; i = i > ps ? i - ps : 0)
		p[i - 1] = (char)call;
	p[0] = (char)call;

	if (call == 1) {
		printf("sp_before: 0x%lx\n", (unsigned long)before);
		printf("sp_after: 0x%lx\n", (unsigned long)after);
		printf("sp_moved: %lu bytes (asked for %zu)\n",
		       (unsigned long)(before - after), size);
		printf("    the compiler rounds the size up to keep the stack "
		       "16-byte aligned\n");
		printf("alloca: %p\n", (void *)p);
		printf("alloca_end: %p\n", (void *)(p + size));
		step("block alive; try: "
		     "grep '\\[stack\\]' /proc/%ld/maps", (long)getpid());
	} else {
		printf("alloca_again: %p\n", (void *)p);
	}
	/* No free(p): returning is what frees it. */
	return (uintptr_t)p;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "step", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *env = getenv("MEMTOUR_STEP");
	volatile int local_main = 0;
	size_t size = 64 * 1024, max = 2UL << 20;
	uintptr_t first, second;
	struct rlimit rl;
	int c;

	if (env && *env && strcmp(env, "0") != 0)
		step_mode = 1;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = rl.rlim_cur / 4;
	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":hs:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_size(optarg, &size) < 0 || size > max) {
				fprintf(stderr, "%s: bad size (1 to %zu, a "
					"quarter of the stack limit): %s\n",
					prog, max, optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'S':
			step_mode = 1;
			break;
		case 'h':
			help();
			return 0;
		case ':':
			if (optopt && strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "%s: option '-%c' needs an "
					"argument\n", prog, optopt);
			else
				fprintf(stderr, "%s: option '%s' needs an "
					"argument\n", prog, argv[optind - 1]);
			usage(stderr);
			return 2;
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
		fprintf(stderr, "%s: unexpected argument: %s\n", prog,
			argv[optind]);
		usage(stderr);
		return 2;
	}

	printf("size: %zu\n", size);
	printf("local_main: %p\n", (void *)&local_main);
	first = use_alloca(size, 1);
	second = use_alloca(size, 2);
	printf("same_address: %s\n", first == second ? "yes" : "no");
	if (first == second)
		printf("    the first block died when use_alloca returned; "
		       "the second call's\n    frame, alloca'd block "
		       "included, landed on the same bytes\n");
	else
		printf("    the second call's frame sat elsewhere (a "
		       "sanitizer or debugger\n    can move frames), but the "
		       "first block was dead all the same\n");
	printf("so: never free() alloca'd memory (malloc never saw it);\n"
	       "    never return it or keep it past the return (it is "
	       "reused);\n"
	       "    it lives until the function returns: alloca in a loop "
	       "piles up;\n"
	       "    never write f(alloca(n)): the stack pointer would move "
	       "while f's\n    arguments are being set up (it breaks where "
	       "they go on the stack)\n");
	(void)local_main;
	return 0;
}
