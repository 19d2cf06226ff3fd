/* free_and_sbrk.c - free rarely lowers the program break
 *
 * Allocate NUM blocks of SIZE bytes with malloc (they pile up in the heap,
 * one after the other), then free some of them: blocks MIN to MAX, every
 * STEP-th (numbered from 1, as in the classic TLPI example). Then free the
 * rest. free gives memory back to the kernel (moves the break down) only
 * when the free space at the top of the heap, merged into one chunk (the
 * top chunk), reaches the trim threshold (M_TRIM_THRESHOLD: 128 KiB by
 * default, and twice the mmap threshold once glibc has raised that one by
 * itself). It checks this only after freeing a chunk of 64 KiB or more,
 * merged neighbours and top chunk included; it then lowers the break,
 * keeping M_TOP_PAD (128 KiB) for later (malloc_trim(3) can do it at any
 * time, and release free pages in the middle too). Free blocks in the
 * middle stay inside the process, on malloc's free lists, ready for the
 * next malloc: the break does not move.
 *
 * Run:   heap/free_and_sbrk                  1000 x 10240, free every 2nd
 *        heap/free_and_sbrk 1000 10240 1 200 700   a middle range: no drop
 *        heap/free_and_sbrk 1000 10240 1 500 1000  the top half: drops
 *        heap/free_and_sbrk 1000 10240 1 1 999     all but the last: no drop
 *        heap/free_and_sbrk -t 8M 1000 10240 1 500 1000  threshold above
 *                                       the 5 MB freed at the top: no drop
 *
 * Blocks must stay below the mmap threshold (128 KiB): bigger ones get a
 * mapping of their own and never touch the break (see malloc_chunks).
 * Small blocks are a special case: glibc keeps the first 7 freed blocks
 * of each size up to 1032 bytes in a per-thread cache (tcache), and the
 * further ones up to 120 bytes (chunks up to 128) in fast bins, without
 * merging them: the break may then stay put even when all are free (a
 * note says so).
 *
 * Lines a test reads:
 *   break_start: 0xADDR    heap_start: BYTES     (before any malloc)
 *   break_alloc: 0xADDR    heap_alloc: BYTES     (after allocating)
 *   break_free: 0xADDR     heap_free: BYTES      (after the chosen frees)
 *   break_rest: 0xADDR     heap_rest: BYTES      (after freeing the rest)
 *   freed: N blocks (BYTES)    lowered: yes|no    freed_rest: N blocks
 *
 * Try beside it (second terminal, at a pause):
 *   grep '\[heap\]' /proc/PID/maps
 *   strace -e trace=brk heap/free_and_sbrk    the brk calls malloc makes
 *   valgrind --trace-malloc=yes heap/free_and_sbrk 10 10240
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ALLOCS 1000000
#define MAX_TOTAL (1L << 30)	/* num-allocs x block-size: at most 1 GiB */
#define MMAP_THRESHOLD (128 * 1024)	/* glibc's default M_MMAP_THRESHOLD */
/* The largest request whose chunk (the request plus an 8-byte size word,
 * rounded up to 16) stays below the threshold: malloc serves it from the
 * heap, never from a mapping of its own. */
#define MAX_BLOCK (MMAP_THRESHOLD - 24)

static const char *prog = "free_and_sbrk";
static int step_mode;		/* --step or MEMTOUR_STEP=1 */

/* stdout's buffer, given before the first printf, so stdio's own malloc
 * does not land in the heap we watch. The pointers live in bss too. */
static char outbuf[8192];
static char *ptr[MAX_ALLOCS];

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
	fprintf(f, "usage: %s [-t BYTES] [--step] [--help]\n"
		"       [num-allocs [block-size [step [min [max]]]]]\n", prog);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
	       "Allocate num-allocs blocks of block-size bytes, free blocks\n"
	       "min..max (from 1) every step-th, then free the rest; print\n"
	       "the program break and the [heap] size after each phase.\n"
	       "Defaults: 1000 10240 2 1 num-allocs (every second block).\n"
	       "block-size at most %d (below the mmap threshold);\n"
	       "num-allocs at most %d, and 1 GiB in all.\n"
	       "\n"
	       "  -t, --trim BYTES  set M_TRIM_THRESHOLD with mallopt\n"
	       "                    (K/M suffixes; glibc default 128K)\n"
	       "      --step        pause after each phase\n"
	       "                    (also MEMTOUR_STEP=1)\n"
	       "      --help        this text\n", MAX_BLOCK, MAX_ALLOCS);
}

static void usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, arg);
	usage(stderr);
	exit(2);
}

/* Strict parser: decimal digits, then an optional K or M (powers of 1024).
 * No sign, no blanks, no zero, no overflow, at most max. */
static long parse_num(const char *s, long max, const char *what)
{
	unsigned long long v, mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		usage_error(what, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		mul = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024, end++;
	if (errno || *end != '\0' || v == 0 ||
	    v > (unsigned long long)max / mul)
		usage_error(what, s);
	return (long)(v * mul);
}

/* Size of our [heap] mapping from /proc/self/maps, read with open/read
 * into a static buffer (fopen would malloc); 0 if there is none. */
static unsigned long heap_size(void)
{
	static char buf[65536];
	unsigned long lo, hi;
	size_t len = 0;
	ssize_t n;
	char *p;
	int fd = open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		return 0;
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	p = strstr(buf, "[heap]");
	if (!p)
		return 0;
	while (p > buf && p[-1] != '\n')
		p--;
	if (sscanf(p, "%lx-%lx", &lo, &hi) != 2)
		return 0;
	return hi - lo;
}

static void show(const char *phase)
{
	printf("break_%s: %p\n", phase, sbrk(0));
	printf("heap_%s: %lu bytes\n", phase, heap_size());
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trim", required_argument, NULL, 't' },
		{ "step", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *env = getenv("MEMTOUR_STEP");
	long num = 1000, size = 10240, stride = 2, min = 1, max = -1;
	long trim = -1, i, nfree = 0, nrest = 0;
	char *b_alloc, *b_free, *b_rest;
	long pid = (long)getpid();
	int c;

	setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));

	if (env && *env && strcmp(env, "0") != 0)
		step_mode = 1;
	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, "+:ht:", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			trim = parse_num(optarg, 1L << 30,
					 "bad trim threshold (1 to 1G)");
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
	if (argc - optind > 5)
		usage_error("too many arguments", argv[optind + 5]);
	if (optind < argc)
		num = parse_num(argv[optind], MAX_ALLOCS,
				"bad num-allocs (1 to 1000000)");
	if (optind + 1 < argc) {
		size = parse_num(argv[optind + 1], 1L << 30,
				 "bad block-size (1 to 131048)");
		if (size > MAX_BLOCK) {
			fprintf(stderr, "%s: block-size %ld is not below the "
				"mmap threshold\n(at most %d): malloc would "
				"give each block a mapping of its own,\nand "
				"the break would not move\n", prog, size,
				MAX_BLOCK);
			usage(stderr);
			return 2;
		}
	}
	if (optind + 2 < argc)
		stride = parse_num(argv[optind + 2], MAX_ALLOCS, "bad step");
	if (optind + 3 < argc)
		min = parse_num(argv[optind + 3], MAX_ALLOCS, "bad min");
	if (optind + 4 < argc)
		max = parse_num(argv[optind + 4], MAX_ALLOCS, "bad max");
	if (max < 0)
		max = num;
	if (num * size > MAX_TOTAL) {
		fprintf(stderr, "%s: %ld blocks of %ld bytes: more than 1 GiB "
			"in all\n", prog, num, size);
		usage(stderr);
		return 2;
	}
	if (min > max || max > num) {
		fprintf(stderr, "%s: need 1 <= min <= max <= num-allocs "
			"(min %ld, max %ld, num %ld)\n", prog, min, max, num);
		usage(stderr);
		return 2;
	}

	printf("num_allocs: %ld\nblock_size: %ld\n", num, size);
	printf("free_plan: blocks %ld..%ld, every %ld, then the rest\n", min,
	       max, stride);
	if (trim > 0) {
		if (mallopt(M_TRIM_THRESHOLD, (int)trim) != 1) {
			fprintf(stderr, "%s: mallopt M_TRIM_THRESHOLD "
				"failed\n", prog);
			return 1;
		}
		printf("trim_threshold: %ld (set with mallopt)\n", trim);
	} else {
		printf("trim_threshold: 131072 (glibc's default)\n");
	}
	if (size <= 1032)
		printf("    note: freed blocks this small wait in glibc's "
		       "tcache or fast bins,\n    not merged into the top: "
		       "the break may stay\n");
	show("start");
	printf("    (the heap is empty until the first malloc)\n");
	step("no malloc yet; try: grep '\\[heap\\]' /proc/%ld/maps", pid);
	putchar('\n');

	for (i = 0; i < num; i++) {
		ptr[i] = malloc(size);
		if (!ptr[i]) {
			fprintf(stderr, "%s: malloc block %ld: %s\n", prog,
				i + 1, strerror(errno));
			return 1;
		}
	}
	printf("allocated: %ld blocks (%ld bytes)\n", num, num * size);
	show("alloc");
	b_alloc = sbrk(0);
	step("allocated; try: grep '\\[heap\\]' /proc/%ld/maps", pid);

	for (i = min - 1; i < max; i += stride) {
		free(ptr[i]);
		ptr[i] = NULL;
		nfree++;
	}
	printf("\nfreed: %ld blocks (%ld bytes)\n", nfree, nfree * size);
	show("free");
	b_free = sbrk(0);
	printf("lowered: %s\n", b_free < b_alloc ? "yes" : "no");
	if (b_free < b_alloc)
		printf("    the break went down %ld bytes: the freed blocks "
		       "at the top merged\n    into the top chunk, which "
		       "reached the trim threshold; free gave it\n    back, "
		       "all but M_TOP_PAD (128 KiB) and the page rounding\n",
		       (long)(b_alloc - b_free));
	else
		printf("    the break did not move: the free chunk at the top "
		       "did not reach the\n    trim threshold; the freed "
		       "blocks wait on malloc's free lists\n");
	step("freed some; try: grep '\\[heap\\]' /proc/%ld/maps", pid);

	for (i = 0; i < num; i++) {
		if (ptr[i]) {
			free(ptr[i]);
			ptr[i] = NULL;
			nrest++;
		}
	}
	printf("\nfreed_rest: %ld blocks (%ld bytes)\n", nrest, nrest * size);
	show("rest");
	b_rest = sbrk(0);
	printf("    all free: the break is %ld bytes below where it was "
	       "after allocating\n", (long)(b_alloc - b_rest));
	step("freed the rest; try: grep '\\[heap\\]' /proc/%ld/maps", pid);
	return 0;
}
