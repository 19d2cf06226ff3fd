/* SPDX-License-Identifier: MIT */
/* free_and_sbrk.c - free rarely lowers the program break
 *
 * malloc NUM blocks of SIZE bytes: they pile up in the heap one after the
 * other, and the break moves up. Then free some (blocks MIN to MAX, every
 * STEP-th, numbered from 1), and then the rest. Watch the break: free gives
 * memory back to the kernel only from the top of the heap, and only when
 *   - a freed block merged with its free neighbours into a free chunk of
 *     64 KiB or more (only then does free look at the top at all),
 *   - the free space at the top (the "top chunk") has reached the trim
 *     threshold (M_TRIM_THRESHOLD, 128 KiB by default), and
 *   - there is a whole page left over after keeping M_TOP_PAD (128 KiB)
 *     and a minimal chunk (32 bytes) for the next malloc.
 * A free block below a block in use cannot join the top: it waits on
 * malloc's free lists for the next malloc, inside the process.
 * These are glibc's rules; with another C library the program shows the
 * break and [heap] only.
 *
 * Run:   heap/free_and_sbrk                  1000 x 10240, free every 2nd
 *        heap/free_and_sbrk 1000 10240 1 200 700   a middle range: no drop
 *        heap/free_and_sbrk 1000 10240 1 500 1000  the top half: drops
 *        heap/free_and_sbrk -t 8M 1000 10240 1 500 1000  a threshold above
 *                                       the 5 MB freed at the top: no drop
 * Try beside it:
 *   strace -e trace=brk heap/free_and_sbrk    the brk calls malloc makes
 *   ltrace -e malloc_trim heap/free_and_sbrk  (malloc_trim(3) trims by hand)
 */
#include "../res/memtour.h"
#include <malloc.h>

#define MAX_ALLOCS 100000
#define MAX_BLOCK (128 * 1024 - 24)	/* below the mmap threshold */

static long num = 1000, size = 10240, stride = 2, lo = 1, hi = -1;
static long trim;			/* -t: M_TRIM_THRESHOLD, 0: default */
static void options(int argc, char **argv);

static char outbuf[8192];	/* stdout's buffer: stdio mallocs none */
static char *ptr[MAX_ALLOCS];

/* The size of the top chunk: glibc's mallinfo2 calls it keepcost. */
static long top_chunk(void)
{
#ifdef __GLIBC__
#if __GLIBC_PREREQ(2, 33)
	return (long)mallinfo2().keepcost;
#endif
#endif
	return -1;
}

/* The break, the [heap] line, and the top chunk. */
static char *show(const char *title)
{
	static struct mt_mapping m;
	char *b = sbrk(0);

	printf("\n%s\n", title);
	printf("break: %p\n", (void *)b);
	if (mt_maps_find(0, b - 1, &m) == 0 && strstr(m.path, "[heap]"))
		printf("[heap]: 0x%lx-0x%lx, %zu (%s)\n",
		       (unsigned long)m.start, (unsigned long)m.end,
		       (size_t)(m.end - m.start), mt_human(m.end - m.start));
	else
		printf("[heap]: none\n");
	if (top_chunk() >= 0)
		printf("top chunk: %ld (%s)\n", top_chunk(),
		       mt_human((uint64_t)top_chunk()));
	return b;
}

static void pause_heap(const char *what)
{
	mt_pause("%s; try: grep '\\[heap\\]' /proc/%d/maps || "
		 "echo 'no [heap] line'", what, (int)getpid());
}

/* Why the break did or did not move, from what was measured. */
static void explain(char *before, char *after)
{
	long top = top_chunk(), thr = trim ? trim : 128 * 1024;
	long pad = 128 * 1024, give, ps = (long)mt_pagesize();

	if (after < before) {
		printf("the break went down: yes, by %ld (%s)\n",
		       (long)(before - after), mt_human(before - after));
		printf("    the freed blocks at the top merged into the top "
		       "chunk; it reached the\n    trim threshold, and free "
		       "gave back whole pages, keeping M_TOP_PAD\n");
		return;
	}
	printf("the break went down: no\n");
	if (top < 0) {
		printf("    this libc is not glibc: its free has rules of its "
		       "own (musl's malloc\n    takes blocks from mmap, not "
		       "from the break: see [heap] above)\n");
		return;
	}
	if (ptr[num - 1])
		printf("    block %ld is still in use: no freed block "
		       "touches the top chunk,\n    so none merged into it; "
		       "they wait on malloc's free lists\n", num);
	if (top < thr) {
		printf("    the top chunk (%ld) is below the trim threshold "
		       "(%ld): free keeps it\n", top, thr);
		return;
	}
	give = (top - 32 - 1 - pad) / ps * ps;
	printf("    the top chunk (%ld) is above the trim threshold (%ld),\n"
	       "    but a trim keeps M_TOP_PAD (%ld) and 32 bytes, and gives "
	       "back\n    whole pages only: %ld here\n", top, thr, pad,
	       give > 0 ? give : 0);
}

int main(int argc, char **argv)
{
	long i, n = 0;
	char *b_alloc, *b_free;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	mt_init(argv);
	options(argc, argv);

	printf("blocks: %ld of %ld (%s)\n", num, size, mt_human(size));
	printf("freeing: blocks %ld to %ld, one in every %ld; then the rest\n", lo,
	       hi, stride);
#ifdef M_TRIM_THRESHOLD
	if (trim && mallopt(M_TRIM_THRESHOLD, (int)trim) != 1)
		mt_fail("mallopt(M_TRIM_THRESHOLD, %ld) failed", trim);
	printf("trim threshold: %ld (%s)%s\n", trim ? trim : 131072L,
	       mt_human(trim ? trim : 131072), trim ? ", set with mallopt" :
	       ", glibc's default");
	printf("M_TOP_PAD: 131072 (128 KiB), glibc's default\n");
#endif
	if (size <= 1032)
		printf("    note: freed blocks this small wait in glibc's "
		       "tcache or fast bins,\n    unmerged: the break may "
		       "stay even when all are free\n");
	show("before any malloc");
	pause_heap("no malloc yet");

	for (i = 0; i < num; i++)
		if (!(ptr[i] = malloc((size_t)size)))
			mt_die("malloc block %ld", i + 1);
	b_alloc = show("after the mallocs");
	printf("first block: %p\n", (void *)ptr[0]);
	printf("last block: %p\n", (void *)ptr[num - 1]);
	pause_heap("allocated");

	for (i = lo - 1; i < hi; i += stride, n++) {
		free(ptr[i]);
		ptr[i] = NULL;
	}
	printf("\nfreed: %ld blocks, %ld (%s)\n", n, n * size,
	       mt_human((uint64_t)(n * size)));
	b_free = show("after those frees");
	explain(b_alloc, b_free);
	pause_heap("freed some");

	for (i = n = 0; i < num; i++)
		if (ptr[i]) {
			free(ptr[i]);
			ptr[i] = NULL;
			n++;
		}
	printf("\nfreed the rest: %ld blocks, %ld (%s)\n", n, n * size,
	       mt_human((uint64_t)(n * size)));
	show("all blocks free");
	explain(b_free, sbrk(0));
	pause_heap("freed the rest");
	return 0;
}

static long positional(const char *what, const char *s, long max)
{
	return (long)mt_count_arg(what, s, 1, (uint64_t)max);
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "trim", required_argument, NULL, 't' },
		MT_COMMON_OPTIONS
	};
	uint64_t v;
	int c, n;

	mt_usage = "[-t SIZE] [--step] [NUM [SIZE [STEP [MIN [MAX]]]]]";
	mt_help = "\nmalloc NUM blocks of SIZE bytes, free blocks MIN..MAX "
		  "(from 1) every STEP-th,\nthen the rest; print the program "
		  "break, [heap] and glibc's top chunk\nafter each phase, "
		  "and why the break moved or not.\n"
		  "Defaults: 1000 10240 2 1 NUM. SIZE at most 131048 (below "
		  "the mmap\nthreshold); NUM at most 100000, 1 GiB in all.\n\n"
		  "  -t, --trim SIZE  set M_TRIM_THRESHOLD with mallopt "
		  "(glibc only;\n"
		  "                   a page to 1G, K, M, G suffixes)\n"
		  "      --step       pause after each phase (also "
		  "MEMTOUR_STEP=1)\n"
		  "  -h, --help       this text\n";
	while ((c = mt_getopt(argc, argv, "t:", longopts)) != -1)
		if (c == 't')
			trim = (long)mt_size_arg("-t", optarg,
						 mt_pagesize(), 1 << 30);
#ifndef M_TRIM_THRESHOLD
	if (trim)
		mt_usage_error("-t: this libc is not glibc: it has no "
			       "M_TRIM_THRESHOLD");
#endif
	n = argc - optind;
	if (n > 5)
		mt_usage_error("unexpected argument '%s'", argv[optind + 5]);
	if (n > 0)
		num = positional("NUM", argv[optind], MAX_ALLOCS);
	if (n > 1) {
		/* A number too big for [heap] gets the reason, not just
		 * the range. */
		if (mt_parse_u64(argv[optind + 1], &v) == 0 && v > MAX_BLOCK)
			mt_usage_error("SIZE: '%s' is too big (1 to %d):\n"
				       "from the mmap threshold on, each block "
				       "gets a mapping of its own,\nand the "
				       "break would not move",
				       argv[optind + 1], MAX_BLOCK);
		size = positional("SIZE", argv[optind + 1], MAX_BLOCK);
	}
	if (n > 2)
		stride = positional("STEP", argv[optind + 2], MAX_ALLOCS);
	if (n > 3)
		lo = positional("MIN", argv[optind + 3], MAX_ALLOCS);
	if (n > 4)
		hi = positional("MAX", argv[optind + 4], MAX_ALLOCS);
	if (hi < 0)
		hi = num;
	if (num * size > 1L << 30)
		mt_usage_error("%ld blocks of %ld bytes: more than 1 GiB",
			       num, size);
	if (lo > hi || hi > num)
		mt_usage_error("need 1 <= MIN <= MAX <= NUM (MIN %ld, MAX %ld, "
			       "NUM %ld)", lo, hi, num);
}
