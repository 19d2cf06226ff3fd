/* malloc_chunks.c - what malloc hands out: chunks, and mmap for big ones
 *
 * malloc(n) gives you at least n bytes, but it carves the heap into chunks
 * of its own sizes. Blocks asked for one after another sit one after the
 * other; the distance between two is the chunk size: n plus malloc's
 * bookkeeping, rounded up so that every block is 16-byte aligned (on
 * 64-bit glibc: n + 8 rounded up to 16, at least 32). malloc_usable_size(p)
 * says how many bytes you may really use.
 *
 * glibc detail (shown only on glibc): the 8 bytes just before the pointer
 * hold the chunk's size, its low bits used as flags (1 PREV_INUSE: the
 * chunk before is in use; 2 IS_MMAPPED; 4 NON_MAIN_ARENA: from an arena
 * other than the main one, as other threads use). The 8 bytes before the
 * size word (prev_size) matter only while the chunk before is free; while
 * it is in use they are that chunk's last 8 bytes: hence only 8 bytes of
 * overhead per block, and usable = chunk size - 8. Built with
 * AddressSanitizer or run under valgrind, malloc is not glibc's: the
 * program says so and skips the size words and the mallopt part.
 *
 * A request whose chunk reaches the mmap threshold (M_MMAP_THRESHOLD,
 * 128 KiB by default) and that no free space already in the heap (a free
 * chunk, or the top chunk) can hold gets a fresh anonymous mapping of its
 * own, and free unmaps it. mallopt() moves the threshold: the same
 * request then comes from [heap]. glibc moves it by itself too: freeing a
 * mapped chunk bigger than the threshold (and at most 32 MiB on 64-bit)
 * raises the threshold to that chunk's size, and the trim threshold to
 * twice that; setting either of them, M_TOP_PAD or M_MMAP_MAX with
 * mallopt stops it.
 *
 * Run:   heap/malloc_chunks
 *        heap/malloc_chunks -l 1M --step
 *
 * Lines a test reads:
 *   the table "request address distance usable sizeword flags"
 *   aligned16: yes|no           libc: glibc 2.36 | other
 *   small: 0xADDR               the first small block (in [heap])
 *   large_size: BYTES           large: 0xADDR (not in [heap])
 *   large_mapping: 0xLO-0xHI    mmap_threshold_set: BYTES
 *   large_after_mallopt: 0xADDR (in [heap])
 *
 * Try beside it (second terminal, at a pause):
 *   grep -v / /proc/PID/maps     the lines with no file: [heap], anonymous
 *   valgrind --trace-malloc=yes heap/malloc_chunks  (valgrind's malloc)
 *   strace -e trace=brk,mmap,munmap heap/malloc_chunks
 *   gdb: p *(size_t *)(ptr - 8)          the size word by hand
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

/* Under AddressSanitizer malloc is ASan's, with red zones around every
 * block: the glibc size word is not there, and reading it is an error. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static const char *prog = "malloc_chunks";
static int step_mode;		/* --step or MEMTOUR_STEP=1 */

/* stdout's buffer, given before the first printf: stdio would otherwise
 * malloc one in the middle of the blocks we want side by side. */
static char outbuf[8192];

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
	fprintf(f, "usage: %s [-l SIZE] [--step] [--help]\n", prog);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
	       "Show the chunks malloc hands out: addresses of consecutive\n"
	       "blocks, the distance between them, malloc_usable_size, the\n"
	       "16-byte alignment, glibc's size word before each block; then\n"
	       "a large block that gets a mapping of its own, and the same\n"
	       "size again from [heap] once mallopt(M_MMAP_THRESHOLD) is\n"
	       "raised above it.\n"
	       "\n"
	       "  -l, --large SIZE  the large request, 128K to 16M, K/M\n"
	       "                    suffixes; default 200000\n"
	       "      --step        pause after each part (also "
	       "MEMTOUR_STEP=1)\n"
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

/* The /proc/self/maps line holding addr, read with open/read into a static
 * buffer (fopen would malloc). Returns the line (no newline) or NULL. */
static const char *maps_line(const void *addr)
{
	static char buf[65536], line[256];
	unsigned long lo, hi, a = (unsigned long)addr;
	size_t len = 0;
	ssize_t n;
	char *p, *nl;
	int fd = open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		die("open /proc/self/maps");
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	for (p = buf; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (sscanf(p, "%lx-%lx", &lo, &hi) == 2 && a >= lo &&
		    a < hi) {
			size_t l = nl - p < (long)sizeof(line) - 1 ?
				   (size_t)(nl - p) : sizeof(line) - 1;

			memcpy(line, p, l);
			line[l] = '\0';
			return line;
		}
	}
	return NULL;
}

static const char *where(const void *addr)
{
	const char *l = maps_line(addr);

	if (!l)
		return "no mapping?";
	if (strstr(l, "[heap]"))
		return "[heap]";
	return "own anonymous mapping";
}

static void size_word(const void *p, int glibc)
{
	size_t w;

	if (!glibc) {
		printf("  %10s %s\n", "-", "-");
		return;
	}
	w = ((const size_t *)p)[-1];
	printf("  %#10zx %s%s%s\n", w, w & 1 ? "P" : "-", w & 2 ? "M" : "-",
	       w & 4 ? "A" : "-");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "large", required_argument, NULL, 'l' },
		{ "step", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const size_t req[] = { 1, 24, 25, 40, 100, 1000, 4000 };
	enum { NREQ = sizeof(req) / sizeof(req[0]) };
	const char *env = getenv("MEMTOUR_STEP");
	size_t large = 200000, thr, ps;
	char *blk[NREQ + 1], *big, *big2;
	long pid = (long)getpid();
	int glibc = 0, aligned = 1, c, i;

	setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));

	if (env && *env && strcmp(env, "0") != 0)
		step_mode = 1;
	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":hl:", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (parse_size(optarg, &large) < 0 ||
			    large < 128 * 1024 || large > 16 << 20) {
				fprintf(stderr, "%s: bad large size (128K to "
					"16M): %s\n", prog, optarg);
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

#ifdef __GLIBC__
	printf("libc: glibc %s\n", gnu_get_libc_version());
	env = getenv("LD_PRELOAD");
	glibc = !UNDER_ASAN && !(env && strstr(env, "vgpreload"));
	if (!glibc)
		printf("    %s: malloc is %s, not glibc's; the size\n"
		       "    words and the mmap threshold below do not apply\n",
		       UNDER_ASAN ? "built with AddressSanitizer" :
		       "running under valgrind", UNDER_ASAN ? "ASan's" :
		       "valgrind's");
#else
	printf("libc: not glibc\n"
	       "    the size word before each block is a glibc detail: "
	       "skipped here\n");
#endif

	/* Allocate first, print after: nothing may malloc in between. One
	 * extra block so that the last one has a neighbour to measure to. */
	for (i = 0; i <= NREQ; i++) {
		blk[i] = malloc(i < NREQ ? req[i] : 1);
		if (!blk[i])
			die("malloc");
	}
	printf("max_align_t: %zu\n", alignof(max_align_t));
	printf("\n%7s %-16s %8s %6s %10s %s\n", "request", "address",
	       "distance", "usable", "sizeword", "flags");
	for (i = 0; i < NREQ; i++) {
		if ((uintptr_t)blk[i] % 16)
			aligned = 0;
		printf("%7zu %-16p %8td %6zu", req[i], (void *)blk[i],
		       blk[i + 1] - blk[i], malloc_usable_size(blk[i]));
		size_word(blk[i], glibc);
	}
	printf("    distance = next address - this one: the chunk size, "
	       "never less than 32\n"
	       "    usable = what you may use (glibc: chunk - 8, the size "
	       "word's cost)\n"
	       "    flags: P = PREV_INUSE, the chunk before is in use "
	       "(glibc size word)\n");
	printf("aligned16: %s\n", aligned ? "yes" : "no");
	printf("small: %p (%s)\n", (void *)blk[0], where(blk[0]));
	step("small blocks; try: grep '\\[heap\\]' /proc/%ld/maps", pid);

	big = malloc(large);
	if (!big)
		die("malloc large");
	printf("\nlarge_size: %zu\n", large);
	printf("large: %p (%s)\n", (void *)big, where(big));
	{
		unsigned long lo = 0, hi = 0;
		const char *l = maps_line(big);

		if (l)
			sscanf(l, "%lx-%lx", &lo, &hi);
		printf("large_mapping: 0x%lx-0x%lx (%lu bytes)\n", lo, hi,
		       hi - lo);
		printf("    (the kernel may merge it with an anonymous "
		       "neighbour: the line can\n    be longer than the "
		       "block)\n");
	}
	if (glibc) {
		printf("large_sizeword:");
		size_word(big, glibc);
		printf("    M = IS_MMAPPED: free() will munmap it\n");
	}
	printf("    its chunk reaches the mmap threshold (128 KiB by default) "
	       "and the heap\n    has no free space that big: malloc maps "
	       "a fresh anonymous region\n");
	step("large block; try: grep -v / /proc/%ld/maps", pid);

#ifdef M_MMAP_THRESHOLD
	ps = sysconf(_SC_PAGESIZE);
	thr = (large * 2 + ps - 1) & ~(ps - 1);
	if (!glibc) {
		printf("\nmmap threshold: not glibc's malloc here, skipped\n");
	} else if (mallopt(M_MMAP_THRESHOLD, (int)thr) != 1) {
		fprintf(stderr, "%s: mallopt M_MMAP_THRESHOLD failed\n", prog);
		free(big);
		return 1;
	} else {
		printf("\nmmap_threshold_set: %zu\n", thr);
		big2 = malloc(large);
		if (!big2)
			die("malloc large again");
		printf("large_after_mallopt: %p (%s)\n", (void *)big2,
		       where(big2));
		printf("    below the new threshold, the same request now "
		       "comes from [heap]\n");
		step("after mallopt; try: "
		     "grep '\\[heap\\]' /proc/%ld/maps", pid);
		free(big2);
	}
#else
	(void)thr;
	(void)big2;
	(void)ps;
	printf("\nno M_MMAP_THRESHOLD in this C library: skipped\n");
#endif
	free(big);
	for (i = 0; i <= NREQ; i++)
		free(blk[i]);
	return 0;
}
