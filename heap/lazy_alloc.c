/* SPDX-License-Identifier: MIT */
/* lazy_alloc.c - malloc reserves addresses; pages come when first touched
 *
 * Demand paging. A big malloc returns at once and costs no memory: the
 * kernel only records a range of addresses (VmSize grows, VmRSS does not).
 * The first touch of each page is a minor fault: the kernel then fills in
 * the page table entry (VmPTE grows: one 4 KiB table maps 2 MiB on x86_64).
 * A read usually maps the one shared zero page, so VmRSS stays flat; a
 * write gives the page a frame of its own. free hands the range back (a
 * block this big gets a mapping of its own: free unmaps it).
 *
 * The table has one row per step, read from /proc/self/status and
 * getrusage(2):  start, malloc, read (every page), write-half (every
 * other page), write-all, free.
 *
 * Transparent huge pages could bring in 2 MiB at one fault and spoil the
 * count: prctl(PR_SET_THP_DISABLE) keeps this process on small pages.
 *
 * Run:   heap/lazy_alloc              (256 MiB)
 *        heap/lazy_alloc -s 64M --step
 * Try beside it:
 *   perf stat -e page-faults,minor-faults heap/lazy_alloc
 *   cat /proc/sys/vm/overcommit_memory; grep Commit /proc/meminfo
 */
#include "../res/memtour.h"
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

static size_t size = 256UL << 20;	/* -s */
static int size_given, touch_anyway;	/* -s given, --touch-anyway */
static void options(int argc, char **argv);

struct snap {
	long vmsize, vmrss, anon, pte, minflt;	/* kB, and a count */
};

static struct snap last;

static struct snap take(void)
{
	struct snap s;
	struct rusage ru;

	s.vmsize = mt_status_kb("VmSize");
	s.vmrss = mt_status_kb("VmRSS");
	s.anon = mt_status_kb("RssAnon");
	s.pte = mt_status_kb("VmPTE");
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		mt_die("getrusage");
	s.minflt = ru.ru_minflt;
	return s;
}

/* Take the figures, print the row and what changed since the last one. */
static struct snap row(const char *name)
{
	struct snap s = take();

	printf("%-10s %10ld %10ld %10ld %10ld %12ld\n", name, s.vmsize,
	       s.vmrss, s.anon, s.pte, s.minflt);
	if (strcmp(name, "start") != 0)
		printf("    since the last step: VmSize %+ld kB, VmRSS %+ld "
		       "kB, VmPTE %+ld kB,\n    minor faults %+ld\n",
		       s.vmsize - last.vmsize, s.vmrss - last.vmrss,
		       s.pte - last.pte, s.minflt - last.minflt);
	return s;
}

static void pause_row(const char *what)
{
	mt_pause("%s; try: grep -E '^(VmSize|VmRSS|RssAnon|VmPTE)' "
		 "/proc/%d/status; ps -o min_flt -p %d", what, (int)getpid(),
		 (int)getpid());
}

/* MemAvailable in kB, or -1: the size is then not checked against it. */
static long mem_available(void)
{
	long kb = mt_kb_field("/proc/meminfo", NULL, "MemAvailable");

	if (kb < 0)
		printf("MemAvailable: unknown (/proc/meminfo cannot be read "
		       "or has no MemAvailable)\n");
	else
		printf("MemAvailable: %ld kB (%s)\n", kb,
		       mt_human((uint64_t)kb * 1024));
	if (kb >= 0 && !size_given && size / 1024 > (size_t)kb / 2) {
		size = (size_t)kb / 4 * 1024 & ~((1UL << 20) - 1);
		if (size < 1UL << 20)
			mt_fail("MemAvailable is %ld kB: too little for "
				"even 1 MiB", kb);
		printf("    the default 256 MiB is more than half of it: "
		       "lowered to %s\n", mt_human(size));
	}
	return kb;
}

/* vm.overcommit_memory: how the kernel judges a request for address
 * space it cannot back with memory now. */
static long overcommit(void)
{
	static const char *what[] = {
		"heuristic: refuses one request above RAM + swap",
		"always: never refuses", "strict: up to CommitLimit"
	};
	static struct mt_lines l;
	const char *s = NULL;
	long mode = -1;

	if (mt_lines_open(&l, "/proc/sys/vm/overcommit_memory") == 0)
		s = mt_lines_next(&l);
	if (s && s[0] >= '0' && s[0] <= '2')
		mode = s[0] - '0';
	mt_lines_close(&l);
	if (mode >= 0)
		printf("overcommit_memory: %ld (%s)\n", mode, what[mode]);
	return mode;
}

/* Was the kernel booted without the shared zero page? Read at start:
 * reading it later would fault in pages between a row and its pause. */
static int no_zero_page_boot(void)
{
	static struct mt_lines l;
	const char *cmd = NULL;
	int found;

	if (mt_lines_open(&l, "/proc/cmdline") == 0)
		cmd = mt_lines_next(&l);
	found = cmd && strstr(cmd, "pvm_no_zero_page=1");
	mt_lines_close(&l);
	return found;
}

/* Does this kernel map the shared zero page on a read fault? */
static void explain_read(struct snap *s, size_t pages, int pvm)
{
	printf("    read %zu pages: one minor fault each, and the kernel "
	       "filled in\n    their page table entries\n", pages);
	if ((size_t)(s->anon - last.anon) < pages * mt_pagesize() / 1024 / 2) {
		printf("    each read mapped the one shared zero page: "
		       "VmRSS stays flat\n");
		return;
	}
	printf("    VmRSS grew too: this kernel gave every page read a "
	       "frame of its own\n    instead of the shared zero page\n");
	if (pvm)
		printf("    (it was booted with pvm_no_zero_page=1, as a "
		       "PVM guest kernel is)\n");
}

int main(int argc, char **argv)
{
	size_t ps, pages, first, i, half = 0;
	volatile char *page;
	long avail, mode;
	int pvm = no_zero_page_boot();
	struct snap before;
	char *p;

	mt_init(argv);
	options(argc, argv);
	ps = mt_pagesize();

	avail = mem_available();
	mode = overcommit();
	printf("size: %zu (%s)\n", size, mt_human(size));
	printf("page size: %zu\n", ps);
	/* Before the malloc: malloc's first write could otherwise fault in
	 * a whole huge page. */
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0)
		printf("huge pages: off (prctl PR_SET_THP_DISABLE): one "
		       "fault maps one page\n");
	else
		printf("huge pages: prctl(PR_SET_THP_DISABLE) failed (%s): "
		       "madvise(MADV_NOHUGEPAGE)\n", strerror(errno));

	/* Once for nothing: the first run of take() may fault in a page of
	 * its own (stack, buffer) between two of the figures it reads. */
	take();
	printf("\n%-10s %10s %10s %10s %10s %12s\n", "step", "VmSize kB",
	       "VmRSS kB", "RssAnon kB", "VmPTE kB", "minor faults");
	last = row("start");
	pause_row("start");

	if (!(p = malloc(size)))
		mt_die("malloc(%zu) (overcommit_memory %ld)", size, mode);
	madvise((void *)((uintptr_t)p & ~(ps - 1)), size, MADV_NOHUGEPAGE);
	/* The whole pages of the block: the first partial page holds
	 * malloc's header and is already there. */
	first = ((uintptr_t)p + ps - 1) & ~(ps - 1);
	pages = ((uintptr_t)p + size - first) / ps;
	printf("block: %p, %zu whole pages from 0x%lx\n", (void *)p, pages,
	       (unsigned long)first);
	last = row("malloc");
	printf("    VmSize grew by the block: address space, no memory "
	       "yet\n");
	pause_row("malloc: address space only");

	if (avail >= 0 && size / 1024 > (size_t)avail && !touch_anyway) {
		fprintf(stderr, "%s: not touching %s: more than MemAvailable "
			"(%s): writing it would run\nthe system out of "
			"memory (--touch-anyway to insist)\n", mt_prog,
			mt_human(size), mt_human((uint64_t)avail * 1024));
		free(p);
		row("free");
		pause_row("free");
		return 2;
	}

	/* volatile: each load really happens; its value is not used. */
	for (i = 0; i < pages; i++) {
		page = (volatile char *)first + i * ps;
		(void)*page;
	}
	{
		struct snap s = row("read");

		explain_read(&s, pages, pvm);
		last = s;
	}
	pause_row("read every page");

	before = last;
	for (i = 0; i < pages; i += 2, half++)
		((volatile char *)first)[i * ps] = 1;
	last = row("write-half");
	printf("    wrote every other page: %zu pages, %zu kB\n", half,
	       half * ps / 1024);
	if (last.anon - before.anon > 0)
		printf("    each write fault gave its page a frame of its "
		       "own\n");
	else
		printf("    no fault: the read pass gave every page a "
		       "frame already\n");
	pause_row("wrote every other page");

	for (i = 0; i < pages; i++)
		((volatile char *)first)[i * ps] = 2;
	last = row("write-all");
	printf("    wrote every page: the other %zu pages\n", pages - half);
	pause_row("wrote every page");

	free(p);
	last = row("free");
	printf("    free unmapped the block: VmSize and VmRSS drop\n");
	pause_row("freed");
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "touch-anyway", no_argument, NULL, 'T' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-s SIZE] [--touch-anyway] [--step]";
	mt_help = "\nmalloc SIZE bytes, read every page, write every other "
		  "page, write every page,\nfree; after each step print "
		  "VmSize, VmRSS, RssAnon, VmPTE (/proc/self/status)\nand "
		  "the minor-fault count.\n\n"
		  "  -s, --size SIZE     1M to 1T (K, M, G, T suffixes); "
		  "default 256M, lowered\n"
		  "                      to a quarter of MemAvailable if "
		  "that is less than 512M\n"
		  "      --touch-anyway  touch the block even if SIZE is "
		  "more than MemAvailable\n"
		  "      --step          pause at each step (also "
		  "MEMTOUR_STEP=1)\n"
		  "  -h, --help          this text\n\n"
		  "Exit status 2 also when SIZE is above MemAvailable: the "
		  "block is then\nreserved and freed, never touched.\n";
	while ((c = mt_getopt(argc, argv, "s:", longopts)) != -1)
		if (c == 's') {
			size = mt_size_arg("-s", optarg, 1 << 20, 1ULL << 40);
			size_given = 1;
		} else if (c == 'T') {
			touch_anyway = 1;
		}
	mt_no_operands(argc, argv);
}
