/* SPDX-License-Identifier: MIT */
/* thp.c - transparent huge pages: one fault maps 2 MiB
 *
 * A huge page maps 2 MiB (on x86_64; hpage_pmd_size in sysfs says) with
 * one page-table entry one level up, instead of 512 small-page entries.
 * The kernel hands them out by itself ("transparent" huge pages, THP) to
 * anonymous memory, as its mode allows. This program reads the mode, then
 * writes to two regions aligned to the huge page size and counts the page
 * faults of each huge-page-sized chunk:
 *
 *   MADV_HUGEPAGE     one fault a chunk, AnonHugePages = the whole region
 *                     (unless the mode is "never" or no free 2 MiB block
 *                     of RAM was found: then small pages, and it says why)
 *   MADV_NOHUGEPAGE   512 faults a chunk (with 4 KiB pages), no huge page
 *
 * and last tries MAP_HUGETLB, huge pages from a pool the administrator
 * reserves in advance (vm.nr_hugepages): no fallback to small pages.
 *
 * Run:  ./thp [-s SIZE] [--step]
 * Beside it, with --step (ADDR is a region's address, without 0x):
 *   grep -A24 '^ADDR-' /proc/PID/smaps    Rss, AnonHugePages, THPeligible,
 *                                         VmFlags (hg: MADV_HUGEPAGE,
 *                                         nh: MADV_NOHUGEPAGE)
 *   grep thp_fault /proc/vmstat           huge page faults, system-wide
 */
#include "../res/memtour.h"
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define THP "/sys/kernel/mm/transparent_hugepage"

static uint64_t size_arg;	/* -s, 0: four huge pages */
static size_t ps, hpage, size;	/* page, huge page and region sizes */
static char mode[32];		/* the mode for the huge page size */
static int thp_off;		/* no THP for this process (prctl) */
static void options(int argc, char **argv);

/* A small sysfs file, "" if it cannot be read. */
static char *sysfs(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* The [selected] word of a sysfs mode file, or "" if there is none. */
static void sysfs_mode(const char *path, char *out, size_t len)
{
	char *buf = sysfs(path), *l, *r;

	out[0] = '\0';
	if ((l = strchr(buf, '[')) && (r = strchr(l, ']')))
		snprintf(out, len, "%.*s", (int)(r - l - 1), l + 1);
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void the_mode(void)
{
	char top[32], pmd[32], defrag[32], path[128];

	sysfs_mode(THP "/enabled", top, sizeof(top));
	sysfs_mode(THP "/defrag", defrag, sizeof(defrag));
	/* Since Linux 6.8 each size has its own switch; "inherit" (or no
	 * switch) follows the top-level one. */
	snprintf(path, sizeof(path), THP "/hugepages-%zukB/enabled",
		 hpage / 1024);
	sysfs_mode(path, pmd, sizeof(pmd));
	snprintf(mode, sizeof(mode), "%s",
		 pmd[0] && strcmp(pmd, "inherit") != 0 ? pmd : top);
	thp_off = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) > 0;

	printf("page size: %zu\nhuge page size: %zu (%s)\n", ps, hpage,
	       mt_human(hpage));
	if (!top[0]) {
		printf("THP mode: none: %s is missing, this kernel has no "
		       "THP\n", THP);
		return;
	}
	printf("THP mode: %s (enabled: %s, %zu kB size: %s)\n", mode, top,
	       hpage / 1024, pmd[0] ? pmd : "no switch");
	if (strcmp(mode, "always") == 0)
		printf("  always: every anonymous region gets huge pages where "
		       "a whole aligned\n  one fits, unless marked "
		       "MADV_NOHUGEPAGE\n");
	else if (strcmp(mode, "madvise") == 0)
		printf("  madvise: only regions marked MADV_HUGEPAGE get huge "
		       "pages\n");
	else
		printf("  never: no region gets huge pages, MADV_HUGEPAGE or "
		       "not. To see them,\n  as root: echo madvise > %s\n",
		       pmd[0] && strcmp(pmd, "inherit") != 0 ? path :
		       THP "/enabled");
	if (thp_off)
		printf("  THP is off for this process: prctl(PR_SET_THP_"
		       "DISABLE), inherited\n  from its parent\n");
	/* always, madvise, defer+madvise: an MADV_HUGEPAGE fault compacts
	 * memory itself when no free 2 MiB block is at hand. */
	printf("defrag: %s (with no free huge block at hand, a fault %s)\n",
	       defrag, strcmp(defrag, "always") == 0 ||
	       strstr(defrag, "madvise") ? "in an\n  MADV_HUGEPAGE region "
	       "waits while the kernel compacts memory" : "takes\n  small "
	       "pages at once");
}

/* size bytes aligned to the huge page size: map more, trim the ends. */
static char *map_aligned(void)
{
	char *p = mmap(NULL, size + hpage, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		mt_die("mmap %zu bytes", size + hpage);
	a = ((uintptr_t)p + hpage - 1) / hpage * hpage;
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	munmap((char *)a + size, (uintptr_t)p + hpage - a);
	return (char *)a;
}

static void smaps_pause(const char *what, const char *p)
{
	mt_pause("%s; try: grep -A24 ^%lx- /proc/%d/smaps", what,
		 (unsigned long)(uintptr_t)p, (int)getpid());
}

/* One region: advise, then write a byte a small page, chunk by chunk. */
static void region(int advice, const char *name)
{
	size_t chunks = size / hpage;
	long before, faults[32], total = 0, ahp, rss;
	char row[64];
	char *p = map_aligned();

	if (madvise(p, size, advice) != 0)
		printf("madvise(%s): %s (no THP in this kernel)\n", name,
		       strerror(errno));
	printf("\n%s region: %p\n", name, (void *)p);
	/* The smaps reader's buffers and printf's code fault in now, not
	 * among the touches a second terminal counts between the pauses. */
	mt_smaps_kb(p, "Rss");
	snprintf(row, sizeof(row), "%5zu  %-16p  %6ld", chunks, p, 0L);
	if (advice == MADV_HUGEPAGE)
		smaps_pause("marked", p);
	for (size_t c = 0; c < chunks; c++) {
		volatile char *q = p + c * hpage;

		before = minor_faults();
		for (size_t i = 0; i < hpage; i += ps)
			q[i] = 1;
		faults[c] = minor_faults() - before;
		total += faults[c];
	}
	printf("chunk  address           faults\n");
	for (size_t c = 0; c < chunks; c++)
		printf("%5zu  %-16p  %6ld  %s\n", c, (void *)(p + c * hpage),
		       faults[c], faults[c] == 1 ? "one huge page" :
		       "small pages");
	rss = mt_smaps_kb(p, "Rss") * 1024;
	ahp = mt_smaps_kb(p, "AnonHugePages") * 1024;
	ahp = ahp < 0 ? 0 : ahp;
	printf("faults: %ld for %zu small pages\n", total, size / ps);
	printf("Rss: %ld (%s)\nAnonHugePages: %ld (%s): %zu of %zu huge "
	       "pages\n", rss, mt_human((uint64_t)rss), ahp,
	       mt_human((uint64_t)ahp), (size_t)ahp / hpage, chunks);
	if (advice == MADV_HUGEPAGE && (size_t)ahp < size)
		printf("no huge page here: %s\n", !mode[0] ? "no THP in this "
		       "kernel" : strcmp(mode, "never") == 0 ? "the mode is "
		       "never" : thp_off ? "THP is off for this process" :
		       "no free 2 MiB block of RAM (see thp_fault_fallback "
		       "in /proc/vmstat)");
	smaps_pause("touched", p);
}

/* MAP_HUGETLB: a page from the pool, or an error that says why. */
static void hugetlb(void)
{
	long hkb = mt_kb_field("/proc/meminfo", NULL, "Hugepagesize");
	long total = mt_kb_field("/proc/meminfo", NULL, "HugePages_Total");
	long freep = mt_kb_field("/proc/meminfo", NULL, "HugePages_Free");
	size_t hs = hkb > 0 ? (size_t)hkb * 1024 : 0;
	long before;
	char *p;

	printf("\nMAP_HUGETLB: pool of %ld pages, %ld free (vm.nr_hugepages)"
	       "\n", total, freep);
	if (hs == 0) {
		printf("  no Hugepagesize in /proc/meminfo: no hugetlbfs in "
		       "this kernel\n");
		return;
	}
	p = mmap(NULL, hs, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED) {
		printf("  mmap of %zu (%s): %s\n", hs, mt_human(hs),
		       strerror(errno));
		printf("  MAP_HUGETLB takes pages from the pool and never "
		       "falls back to small\n  pages. To fill the pool, as "
		       "root: echo 4 > /proc/sys/vm/nr_hugepages\n");
		mt_pause("no pool page; try: grep HugePages_ /proc/meminfo");
		return;
	}
	/* A byte in every small page, as in the regions above (memset here
	 * would be its first call: the dynamic linker's lookup, and libc
	 * code not mapped yet, could add faults of their own). */
	before = minor_faults();
	for (size_t i = 0; i < hs; i += mt_pagesize())
		((volatile char *)p)[i] = 1;
	before = minor_faults() - before;
	printf("hugetlb region: %p\nfaults: %ld for %zu (%s)\n", (void *)p,
	       before, hs, mt_human(hs));
	printf("KernelPageSize: %ld kB\nPrivate_Hugetlb: %ld kB (not in "
	       "Rss)\n", mt_smaps_kb(p, "KernelPageSize"),
	       mt_smaps_kb(p, "Private_Hugetlb"));
	smaps_pause("hugetlb", p);
	munmap(p, hs);
}

int main(int argc, char **argv)
{
	long avail = mt_kb_field("/proc/meminfo", NULL, "MemAvailable");

	mt_init(argv);
	options(argc, argv);
	ps = mt_pagesize();
	/* No THP: the size one entry a level up maps, ps * ps / 8. */
	hpage = strtoul(sysfs(THP "/hpage_pmd_size"), NULL, 10);
	hpage = hpage ? hpage : ps * (ps / 8);
	size = hpage * (hpage > (32u << 20) ? 2 : 4);
	if (size_arg > 32 * (uint64_t)hpage)
		mt_usage_error("-s: %llu bytes is more than 32 huge pages",
			       (unsigned long long)size_arg);
	if (size_arg)
		size = (size_arg + hpage - 1) / hpage * hpage;
	if (avail >= 0 && size / 1024 > (size_t)avail / 4)
		mt_fail("%zu bytes a region is more than a quarter of "
			"MemAvailable (%ld kB)", size, avail);
	the_mode();
	printf("region size: %zu (%s)\n", size, mt_human(size));
	region(MADV_HUGEPAGE, "MADV_HUGEPAGE");
	region(MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE");
	hugetlb();
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-s SIZE] [--step]";
	mt_help = "\nCounts the page faults of a region marked MADV_HUGEPAGE "
		  "and of one marked\nMADV_NOHUGEPAGE, chunk by huge page, "
		  "beside their AnonHugePages; then\ntries a MAP_HUGETLB "
		  "page from the reserved pool.\n\n"
		  "  -s, --size SIZE  each region, rounded up to huge pages "
		  "(default 4 of\n                   them; at most 32)\n"
		  "      --step       pause at each step\n"
		  "  -h, --help       this text\n";
	while ((c = mt_getopt(argc, argv, "s:", longopts)) != -1)
		if (c == 's')
			size_arg = mt_size_arg("-s", optarg, 1, 1ULL << 40);
	mt_no_operands(argc, argv);
}
