/* SPDX-License-Identifier: MIT */
/* page_faults.c - count the page faults as a process touches memory
 *
 * mmap only reserves addresses. A page gets a frame of RAM the first time
 * it is touched, in a page fault: a minor fault when the content is at
 * hand (zeros, or a file page already in the page cache), a major fault
 * when the disk must be read first. This program touches memory in ten
 * ways and prints, for each, the faults it cost and the process's totals:
 *
 *   write A          a minor fault a page; RSS grows a page a fault
 *   write A again    no fault: the pages are there
 *   read B           a fault a page; on most kernels no RSS: the zero page
 *   populate C       MAP_POPULATE: the faults are taken inside mmap
 *   MADV_DONTNEED A  the pages are thrown away; reading A faults again
 *   read the file    its page cache dropped: a major fault reads the disk,
 *                    and far fewer faults than pages (fault-around)
 *
 * Run:  ./page_faults [-n PAGES] [--step]
 * With --step it pauses after each step; in a second terminal try
 *   ps -o minflt,majflt,rss PID      the totals the table prints
 *   fincore /proc/PID/fd/3           the scratch file's page cache
 *   perf stat -e minor-faults,major-faults ./page_faults
 * Transparent huge pages are off here: one fault maps one page.
 */
#include "../res/memtour.h"
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>

#define TMPFS_MAGIC_NUMBER 0x01021994	/* statfs f_type of tmpfs */

static size_t npages = 1024;	/* pages per region (-n) */
static size_t ps;		/* the page size */
static long min0, maj0, min1, maj1;	/* the counters before, after */
static void options(int argc, char **argv);

/* getrusage gives the counters /proc/PID/stat fields 10 and 12 hold. */
static void counters(long *minflt, long *majflt)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);	/* cannot fail for RUSAGE_SELF */
	*minflt = ru.ru_minflt;
	*majflt = ru.ru_majflt;
}

#define start() counters(&min0, &maj0)

/* One row: the faults since start(), then the totals and VmRSS, the
 * figures `ps -o minflt,majflt,rss` shows; then a pause, if one is due. */
static void pause_ps(const char *what)
{
	mt_pause("%s; try: ps -o minflt,majflt,rss %d", what, (int)getpid());
}

static void row(const char *step, size_t pages, const char *what)
{
	counters(&min1, &maj1);
	printf("%-16s %6zu %6ld %6ld %9ld %7ld %9ld\n", step, pages,
	       min1 - min0, maj1 - maj0, min1, maj1, mt_status_kb("VmRSS"));
	if (what)
		pause_ps(what);
}

/* One byte a page. volatile: every access happens, they are the lesson. */
static void write_pages(char *base, char v)
{
	volatile char *p = base;

	for (size_t i = 0; i < npages; i++)
		p[i * ps] = v;
}

static size_t read_pages(const char *base)
{
	const volatile char *p = base;
	size_t zeros = 0;

	for (size_t i = 0; i < npages; i++)
		zeros += p[i * ps] == 0;
	return zeros;
}

/* A region of npages between two PROT_NONE guard pages, so that the
 * kernel keeps it a mapping of its own (one smaps entry). */
static char *map_region(int flags)
{
	char *g = mmap(NULL, (npages + 2) * ps, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p = MAP_FAILED;

	if (g != MAP_FAILED)
		p = mmap(g + ps, npages * ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | flags, -1, 0);
	if (p == MAP_FAILED)
		mt_die("mmap");
	return p;
}

/* Does the kernel command line turn the zero page off (a vendor patch)? */
static const char *cmdline_zero_page(void)
{
	static char buf[8192];
	char *w;
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	for (w = strtok(buf, " \n"); w; w = strtok(NULL, " \n"))
		if (strstr(w, "zero_page"))
			return w;
	return NULL;
}

static void anonymous(void)
{
	char *a = map_region(0), *b = map_region(0), *c;
	const char *why = cmdline_zero_page();
	size_t zeros;
	long rss_b;

	printf("region A: %p\nregion B: %p\n", (void *)a, (void *)b);
	printf("\n%-16s %6s %6s %6s %9s %7s %9s\n", "step", "pages", "minor",
	       "major", "minflt", "majflt", "rss kB");
	/* The first row, the first pause and the smaps reader fault in
	 * their own code and buffers: from here on the totals a row
	 * prints are those at its pause. */
	start();
	row("mapped A and B", 0, NULL);
	mt_smaps_kb(a, "Rss");
	mt_pause("mapped; try: grep -A4 ^%lx- /proc/%d/smaps",
		 (unsigned long)(uintptr_t)a, (int)getpid());
	start();
	write_pages(a, (char)0xa5);
	row("write A", npages, "wrote A");
	start();
	write_pages(a, (char)0xa5);
	row("write A again", npages, NULL);
	start();
	read_pages(b);
	row("read B", npages, NULL);
	rss_b = mt_smaps_kb(b, "Rss");
	printf("  Rss of B: %ld kB\n", rss_b);
	if (rss_b == 0)
		printf("  Read faults mapped the shared zero page, read-only: "
		       "no RAM, no RSS.\n  A first write gets a page a frame "
		       "of its own.\n");
	else
		printf("  This kernel gives each read fault a zeroed page of "
		       "its own instead\n  of the shared zero page%s%s.\n",
		       why ? ": " : "", why ? why : "");
	mt_pause("read B; try: grep -A4 ^%lx- /proc/%d/smaps",
		 (unsigned long)(uintptr_t)b, (int)getpid());
	start();
	c = map_region(MAP_POPULATE);
	row("populate C", npages, "populated C");
	start();
	write_pages(c, 0x5a);
	row("write C", npages, NULL);
	start();
	if (madvise(a, npages * ps, MADV_DONTNEED) != 0)
		mt_die("madvise(MADV_DONTNEED)");
	row("MADV_DONTNEED A", 0, "dropped A");
	start();
	zeros = read_pages(a);
	row("read A again", npages, NULL);
	printf("  %zu of %zu pages of A read 0: the old bytes are gone\n",
	       zeros, npages);
	pause_ps("read A again");
}

/* The scratch file: in $TMPDIR, unless that is tmpfs, whose page cache
 * is the file itself and cannot be dropped. */
static int scratch(void)
{
	const char *env = getenv("TMPDIR"), *dir = env && *env ? env : "/tmp";
	struct statfs sf;

	if (statfs(dir, &sf) == 0 && sf.f_type == TMPFS_MAGIC_NUMBER &&
	    statfs("/var/tmp", &sf) == 0 && sf.f_type != TMPFS_MAGIC_NUMBER) {
		printf("%s is tmpfs: its page cache is the file and cannot "
		       "be dropped;\nthe scratch file goes to /var/tmp\n",
		       dir);
		setenv("TMPDIR", "/var/tmp", 1);
	}
	return mt_scratch("page_faults");
}

static void file(void)
{
	static char page[65536];	/* one page, of any size */
	static unsigned char vec[1 << 16];	/* a byte a page, mincore */
	size_t len = npages * ps, cached = 0;
	int fd = scratch();
	char *f;

	printf("\nscratch file: %s\n", mt_scratch_path);
	memset(page, 0x5a, sizeof(page));
	for (size_t i = 0; i < npages; i++)
		if (pwrite(fd, page, ps, (off_t)(i * ps)) != (ssize_t)ps)
			mt_die("write %s", mt_scratch_path);
	/* Dirty pages cannot be dropped: write them back first. */
	if (fsync(fd) != 0)
		mt_die("fsync");
	errno = posix_fadvise(fd, 0, (off_t)len, POSIX_FADV_DONTNEED);
	if (errno)
		mt_die("posix_fadvise");
	f = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (f == MAP_FAILED)
		mt_die("mmap %s", mt_scratch_path);
	/* mincore: which pages of the mapping are in the page cache. */
	if (mincore(f, len, vec) != 0)
		mt_die("mincore");
	for (size_t i = 0; i < npages; i++)
		cached += vec[i] & 1;
	printf("pages in the page cache after the drop: %zu of %zu\n\n",
	       cached, npages);
	mt_pause("dropped the cache; try: fincore /proc/%d/fd/%d",
		 (int)getpid(), fd);
	start();
	read_pages(f);
	row("read the file", npages, NULL);
	printf("  %ld faults (%ld major) for %zu pages\n",
	       min1 - min0 + maj1 - maj0, maj1 - maj0, npages);
	pause_ps("read the file");
	start();
	read_pages(f);
	row("read it again", npages, NULL);
	start();
	if (munmap(f, len) != 0 ||
	    (f = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		mt_die("map %s again", mt_scratch_path);
	read_pages(f);
	row("map, read again", npages, "mapped it again");

	printf("\nA major fault waits for the disk, which reads ahead: "
	       "often one brings\nin the whole file. A read fault in a file "
	       "mapping also maps the pages\naround it that are in the page "
	       "cache (fault-around, 64 KiB by default):\nabout one fault "
	       "per %zu pages, even from a warm page cache.\n",
	       65536 / ps > 1 ? 65536 / ps : 1);
	if (cached == npages)
		printf("The page cache could not be dropped (tmpfs?): no "
		       "fault read the disk.\n");
}

int main(int argc, char **argv)
{
	mt_init(argv);
	options(argc, argv);
	ps = mt_pagesize();
	/* No transparent huge page of any size: one fault, one page. */
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
		printf("prctl(PR_SET_THP_DISABLE): %s\n", strerror(errno));
	printf("page size: %zu\npages per region: %zu (%s)\n", ps, npages,
	       mt_human(npages * ps));
	anonymous();
	file();
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pages", required_argument, NULL, 'n' },
		MT_COMMON_OPTIONS
	};
	long phys = sysconf(_SC_PHYS_PAGES);
	int c;

	mt_usage = "[-n PAGES] [--step]";
	mt_help = "\nCounts the page faults of touching anonymous memory and "
		  "a file mapping\nin ten ways: each row, a step's faults and "
		  "the process's totals.\n\n"
		  "  -n, --pages PAGES  pages per region (default 1024)\n"
		  "      --step         pause after each step\n"
		  "  -h, --help         this text\n";
	while ((c = mt_getopt(argc, argv, "n:", longopts)) != -1)
		if (c == 'n')
			npages = mt_count_arg("-n", optarg, 1, 1 << 16);
	mt_no_operands(argc, argv);
	/* Three regions and a file of that size: keep it small. */
	if (phys > 0 && npages > (size_t)phys / 8)
		mt_usage_error("%zu pages is more than 1/8 of this machine's "
			       "memory", npages);
}
