/* SPDX-License-Identifier: MIT */
/* malloc_chunks.c - what malloc hands out: chunks, and mmap for big ones
 *
 * malloc(n) gives you at least n bytes, but it carves the heap into chunks
 * of its own sizes. On 64-bit glibc, blocks asked for one after another
 * sit one after the other, and the distance between two is the chunk
 * size: n plus 8 bytes of bookkeeping, rounded up to 16 (at least 32), so
 * every block is 16-byte aligned. malloc_usable_size(p) says how many bytes
 * you may really use: the chunk size less those 8.
 *
 * Those 8 bytes, just before the pointer, hold the chunk's size; its low
 * bits are flags (P: the chunk before is in use; M: this chunk has a
 * mapping of its own; A: it comes from another thread's arena). The 8
 * bytes before them belong to the chunk before while it is in use.
 *
 * A request of the mmap threshold (M_MMAP_THRESHOLD, 128 KiB by default)
 * or more gets an anonymous mapping of its own, and free unmaps it.
 * mallopt() moves the threshold: the same request then comes from [heap].
 * Another C library (musl) or a sanitizer has other rules: the program
 * says so and shows the addresses only.
 *
 * Run:   heap/malloc_chunks
 *        heap/malloc_chunks -l 1M --step
 * Try beside it:
 *   strace -e trace=brk,mmap,munmap heap/malloc_chunks
 *   gdb: p/x ((size_t *)ptr)[-1]         the size word by hand
 */
#include "../res/memtour.h"
#include <malloc.h>

static size_t large = 200000;	/* -l */
static void options(int argc, char **argv);

static char outbuf[8192];	/* stdout's buffer: stdio mallocs none */

/* glibc's malloc, not a sanitizer's or valgrind's (which replace it). */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define GLIBC_MALLOC 1
#else
#define GLIBC_MALLOC 0
#endif

/* glibc's size word: the 8 bytes just before the block. */
static size_t size_word(const void *p)
{
	return *(const volatile size_t *)((uintptr_t)p - sizeof(size_t));
}

static const char *flags(size_t w)
{
	static char f[4];

	f[0] = w & 1 ? 'P' : '-';
	f[1] = w & 2 ? 'M' : '-';
	f[2] = w & 4 ? 'A' : '-';
	return f;
}

/* The mapping that holds p, as the kernel shows it. */
static const char *where(const void *p)
{
	static struct mt_mapping m;
	static char s[PATH_MAX + 64];

	if (mt_maps_find(0, p, &m) < 0)
		return "no mapping?";
	snprintf(s, sizeof(s), "0x%lx-0x%lx %s", (unsigned long)m.start,
		 (unsigned long)m.end, m.path[0] ? m.path : "(anonymous)");
	return s;
}

/* The start of the mapping that holds p, as maps prints it (no 0x). */
static const char *map_start(const void *p)
{
	static char start[24];

	snprintf(start, sizeof(start), "%s", where(p) + 2);
	start[strcspn(start, "-")] = '\0';
	return start;
}

static void small_blocks(int glibc)
{
	static const size_t req[] = { 1, 24, 25, 40, 100, 1000, 4000 };
	enum { N = sizeof(req) / sizeof(req[0]) };
	char *b[N + 1];
	size_t w;
	int i;

	/* Allocate first, print after: nothing may malloc in between. One
	 * extra block, so that the last one has a neighbour. */
	for (i = 0; i <= N; i++)
		if (!(b[i] = malloc(i < N ? req[i] : 1)))
			mt_die("malloc");
	if (glibc)
		printf("%7s  %-14s  %8s  %6s  %10s  %s\n", "request",
		       "address", "distance", "usable", "size word", "flags");
	else
		printf("%7s  %-14s  %6s\n", "request", "address", "usable");
	for (i = 0; i < N; i++) {
		w = glibc ? size_word(b[i]) : 0;
		if (glibc)
			printf("%7zu  %-14p  %8td  %6zu  %#10zx  %s\n", req[i],
			       (void *)b[i], b[i + 1] - b[i],
			       malloc_usable_size(b[i]), w, flags(w));
		else
			printf("%7zu  %-14p  %6zu\n", req[i], (void *)b[i],
			       malloc_usable_size(b[i]));
	}
	printf("first block in: %s\n", where(b[0]));
	if (glibc)
		printf("    distance: to the next block, the chunk size "
		       "(request + 8, rounded up\n    to 16, at least 32); "
		       "usable: the chunk less its size word;\n    P: the "
		       "chunk before is in use\n");
	else
		printf("    this malloc is not glibc's: it keeps blocks of "
		       "each size class in\n    groups of their own, so "
		       "consecutive blocks are not neighbours and\n    "
		       "there is no size word to show: addresses and usable "
		       "sizes only\n");
	mt_pause("small blocks; try: grep '^%s' /proc/%d/maps",
		 map_start(b[0]), (int)getpid());
	for (i = 0; i <= N; i++)
		free(b[i]);
}

static void large_block(int glibc)
{
	static struct mt_mapping m;
	char *big = malloc(large);
	uintptr_t chunk;
	size_t w;

	if (!big)
		mt_die("malloc(%zu)", large);
	printf("\nlarge block: %p, %zu (%s)\n", (void *)big, large,
	       mt_human(large));
	printf("in: %s\n", where(big));
	if (glibc) {
		/* An mmapped chunk starts 16 bytes before the block (a
		 * spare word, then the size word) and spans whole pages. */
		w = size_word(big);
		chunk = (uintptr_t)big - 2 * sizeof(size_t);
		printf("size word: %#zx %s\n", w, flags(w));
		printf("    M: its own anonymous mapping, %zu bytes in whole "
		       "pages; free will\n    munmap it", w & ~(size_t)7);
		if (mt_maps_find(0, big, &m) == 0 && (m.start != chunk ||
		    m.end != chunk + (w & ~(size_t)7)))
			printf(". Here the maps line is bigger: the kernel "
			       "merged it with\n    a neighbour of the same "
			       "permissions (munmap takes the chunk only)");
		printf("\n");
	}
	mt_pause("large block; try: grep '^%s' /proc/%d/maps",
		 map_start(big), (int)getpid());
	free(big);
}

#ifdef M_MMAP_THRESHOLD
static void raised_threshold(void)
{
	size_t thr = mt_page_round(large * 2);
	char *big;

	if (mallopt(M_MMAP_THRESHOLD, (int)thr) != 1)
		mt_fail("mallopt(M_MMAP_THRESHOLD, %zu) failed", thr);
	if (!(big = malloc(large)))
		mt_die("malloc(%zu)", large);
	printf("\nmallopt(M_MMAP_THRESHOLD, %zu)\n", thr);
	printf("large block again: %p\n", (void *)big);
	printf("in: %s\n", where(big));
	printf("    below the new threshold, the same request comes from "
	       "[heap]\n");
	mt_pause("after mallopt; try: grep '^%s' /proc/%d/maps",
		 map_start(big), (int)getpid());
	free(big);
}
#endif

int main(int argc, char **argv)
{
	const char *pre = getenv("LD_PRELOAD");
	int glibc = GLIBC_MALLOC && !(pre && strstr(pre, "vgpreload"));

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	mt_init(argv);
	options(argc, argv);

	if (!GLIBC_MALLOC)
		printf("this libc is not glibc, or a sanitizer replaced its "
		       "malloc: glibc's chunks\nand size words are not "
		       "there; what this malloc does instead:\n\n");
	else if (!glibc)
		printf("valgrind replaced malloc: no glibc size words\n\n");
	small_blocks(glibc);
	large_block(glibc);
#ifdef M_MMAP_THRESHOLD
	if (glibc)
		raised_threshold();
#endif
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "large", required_argument, NULL, 'l' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-l SIZE] [--step]";
	mt_help = "\nShow the chunks malloc hands out: addresses of "
		  "consecutive blocks, the\ndistance between them, "
		  "malloc_usable_size, glibc's size word before each\n"
		  "block; then a large block in a mapping of its own, and "
		  "the same size from\n[heap] once mallopt(M_MMAP_THRESHOLD) "
		  "is raised above it.\n\n"
		  "  -l, --large SIZE  the large request, 128K to 16M (K, M, "
		  "G suffixes);\n"
		  "                    default 200000\n"
		  "      --step        pause after each part (also "
		  "MEMTOUR_STEP=1)\n"
		  "  -h, --help        this text\n";
	while ((c = mt_getopt(argc, argv, "l:", longopts)) != -1)
		if (c == 'l')
			large = mt_size_arg("-l", optarg, 128 * 1024, 16 << 20);
	mt_no_operands(argc, argv);
}
