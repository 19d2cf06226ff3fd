/* thp.c - transparent huge pages: one fault per 2 MiB
 *
 * A huge page maps 2 MiB (on x86_64; the size is whatever
 * /sys/kernel/mm/transparent_hugepage/hpage_pmd_size says) with one
 * page-table entry one level up, instead of 512 small-page entries. The
 * kernel can hand them out by itself ("transparent" huge pages, THP) to
 * anonymous memory. This program:
 *
 *   0. reads the THP mode (enabled, defrag) from sysfs and says what it means;
 *   1. maps a region aligned to the huge page size (over-allocate, trim),
 *      marks it MADV_HUGEPAGE, touches it and counts the page faults for
 *      each huge-page-sized chunk: 1 fault each when it got huge pages;
 *      then reads AnonHugePages of that mapping from /proc/self/smaps;
 *   2. does the same with MADV_NOHUGEPAGE: 512 faults per 2 MiB, no
 *      AnonHugePages;
 *   3. tries MAP_HUGETLB (the other kind of huge page, reserved in advance
 *      through /proc/sys/vm/nr_hugepages) and explains why it fails when
 *      nothing is reserved. It never changes nr_hugepages;
 *   4. with --time: times the first touch and then random reads of the same
 *      region (256 MiB by default) with and without huge pages, median of
 *      5 passes each.
 *
 * Run:  ./thp             steps 0-3, a second or less
 *       ./thp --step      pause after each step (or MEMTOUR_STEP=1)
 *       ./thp --time      add step 4 (a few seconds on a small VM)
 *       ./thp -s 1G       step 4 with a 1 GiB region (-s implies --time)
 *
 * What to look for: "faults" is 1 per chunk with huge pages and
 * chunk/pagesize (512 with 4 KiB pages) without; AnonHugePages is
 * normally the whole region or nothing (a chunk that found no free 2 MiB
 * block falls back to small pages alone). With THP "never" both regions
 * get small pages and the program says so. Huge pages cut the faults by
 * 512, but a first touch must still zero every byte, so its time gains
 * much less (and compaction can make it slower); random reads gain from
 * TLB reach (one TLB entry covers 2 MiB; in a VM only if the host backs
 * the guest with huge pages too). On a VM these times are noisy: read
 * ratios, and run it more than once.
 *
 * Only the PMD size (2 MiB) is shown. Since Linux 6.8 smaller sizes
 * ("mTHP", hugepages-16kB ... hugepages-1024kB) can be enabled one by one;
 * a fault then maps several small pages at once, still with small-page
 * entries: they count in Anonymous but not in AnonHugePages.
 *
 * Lines a test checks (sizes in bytes):
 *   page_size, hpage_pmd_size, thp_enabled, thp_defrag,
 *   thp_pmd_size_enabled, thp_effective, process_thp_disabled,
 *   region_size; for each region (TAG huge, then nohuge): TAG_region
 *   (address), TAG_rss_before, the chunk table (faults per huge page),
 *   TAG_faults, TAG_major_faults, TAG_faults_per_hpage, TAG_rss,
 *   TAG_anon_huge_pages, TAG_hpages, TAG_thp_fault_alloc_delta and
 *   TAG_thp_fault_fallback_delta (/proc/vmstat, system-wide);
 *   huge_fallback (no|yes) and fallback_reason; thp_note (when THP cannot
 *   be shown); nr_hugepages, nr_overcommit_hugepages, hugetlb_page_size,
 *   hugetlb_mmap, hugetlb_why or hugetlb_region, hugetlb_faults,
 *   hugetlb_kernel_page_size, hugetlb_private; with --time: timing_size,
 *   "faults per touch", timing_huge_pages_min, timing_faults_total.
 *   The times themselves are measurements no test can check.
 *
 * Try beside it (PID from the pause line):
 *   grep -A25 ^ADDR /proc/PID/smaps     AnonHugePages, THPeligible, and
 *                                       VmFlags: hg = MADV_HUGEPAGE,
 *                                       nh = MADV_NOHUGEPAGE
 *   cut -d' ' -f10,12 /proc/PID/stat    minflt and majflt so far
 *   grep thp_ /proc/vmstat              thp_fault_alloc, thp_fault_fallback
 *   grep AnonHugePages /proc/meminfo    huge pages in use, system-wide
 *   perf stat -e dTLB-load-misses ./thp --time   (real hardware; a VM
 *                                       may not count TLB misses)
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define PASSES 5

static const char *prog = "thp";
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

static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [--step] [--time] [-s SIZE] [--help]\n", prog);
}

static void help(void)
{
	usage(stdout);
	printf("\nTransparent huge pages: reads the THP mode, touches a "
	       "region\nwith MADV_HUGEPAGE and one with MADV_NOHUGEPAGE, "
	       "counts the\npage faults per huge page and shows "
	       "AnonHugePages from smaps;\n"
	       "tries MAP_HUGETLB and explains nr_hugepages.\n\n"
	       "  --step      pause after each step (also MEMTOUR_STEP=1)\n"
	       "  --time      also time first touch and random reads, with\n"
	       "              and without huge pages (median of %d passes)\n"
	       "  -s SIZE     size of the timed region, suffix K, M or G\n"
	       "              (default 256M; implies --time)\n"
	       "  --help      this text\n", PASSES);
}

/* --- reading /proc and /sys with open/read (no stdio: no malloc) -------- */

static char procbuf[256 * 1024];

/* Read a whole file into procbuf, NUL-terminated. -1 with errno set. */
static ssize_t read_proc(const char *path)
{
	size_t len = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (len < sizeof(procbuf) - 1) {
		n = read(fd, procbuf + len, sizeof(procbuf) - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (n < 0)
		return -1;
	if (len == sizeof(procbuf) - 1) {
		errno = EFBIG;
		return -1;
	}
	procbuf[len] = '\0';
	return len;
}

/* The [selected] word of a sysfs mode file, e.g. "always [madvise] never".
 * Writes "" if the file cannot be read. */
static void sysfs_mode(const char *path, char *out, size_t size)
{
	char *l, *r;

	out[0] = '\0';
	if (read_proc(path) < 0)
		return;
	l = strchr(procbuf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!l || !r || (size_t)(r - l) > size)
		return;
	memcpy(out, l + 1, r - l - 1);
	out[r - l - 1] = '\0';
}

/* A number from a file holding only a number; -1 if unreadable. */
static long long file_number(const char *path)
{
	if (read_proc(path) < 0)
		return -1;
	return strtoll(procbuf, NULL, 10);
}

/* "name value" or "name: value" from a /proc file with one item a line. */
static long long proc_item(const char *path, const char *name)
{
	size_t nl = strlen(name);
	char *p;

	if (read_proc(path) < 0)
		return -1;
	for (p = procbuf; *p; p++) {
		if (strncmp(p, name, nl) == 0 &&
		    (p[nl] == ' ' || p[nl] == ':'))
			return strtoll(p + nl + 1, NULL, 10);
		p = strchr(p, '\n');
		if (!p)
			break;
	}
	return -1;
}

/* A field (in kB) of the /proc/self/smaps entry of the mapping holding
 * addr; -1 if there is none. */
static long smaps_kb(const void *addr, const char *field)
{
	uintptr_t a = (uintptr_t)addr;
	size_t fl = strlen(field);
	int inside = 0;
	char *p, *end;

	if (read_proc("/proc/self/smaps") < 0)
		die("read /proc/self/smaps");
	for (p = procbuf; *p; p = end + 1) {
		unsigned long lo, hi;
		char *sp;

		end = strchr(p, '\n');
		if (!end)
			break;
		sp = strchr(p, ' ');
		/* A mapping's header: "lo-hi perms ...", no colon in it. */
		if (sp && sp < end && memchr(p, ':', sp - p) == NULL &&
		    sscanf(p, "%lx-%lx ", &lo, &hi) == 2) {
			inside = a >= lo && a < hi;
			continue;
		}
		if (inside && strncmp(p, field, fl) == 0 && p[fl] == ':')
			return strtol(p + fl + 1, NULL, 10);
	}
	return -1;
}

/* --- small helpers ------------------------------------------------------ */

static long pagesize;
static size_t hpage;

/* "8 MiB"; "8388608 (8 MiB)" if full. */
static const char *size_str(size_t n, int full)
{
	static char buf[4][48];
	static int i;
	static const char *unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	char *b = buf[i++ % 4];
	size_t v = n;
	int u = 0;

	while (v >= 1024 && v % 1024 == 0 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(b, sizeof(buf[0]), "%zu%s", n, full ? "" : " bytes");
	else if (full)
		snprintf(b, sizeof(buf[0]), "%zu (%zu %s)", n, v, unit[u]);
	else
		snprintf(b, sizeof(buf[0]), "%zu %s", v, unit[u]);
	return b;
}

static const char *human(size_t n)
{
	return size_str(n, 1);
}

static const char *unit(size_t n)
{
	return size_str(n, 0);
}

static void faults(long *minflt, long *majflt)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		die("getrusage");
	*minflt = ru.ru_minflt;
	if (majflt)
		*majflt = ru.ru_majflt;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Map len bytes starting on an align boundary: ask for len + align, then
 * unmap the unaligned head and the tail. */
static char *map_aligned(size_t len, size_t align)
{
	size_t total = len + align, head, tail;
	char *raw, *p;

	raw = mmap(NULL, total, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap");
	p = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	head = p - raw;
	tail = total - head - len;
	if (head && munmap(raw, head) < 0)
		die("munmap head");
	if (tail && munmap(p + len, tail) < 0)
		die("munmap tail");
	return p;
}

/* Write one byte into every small page: each write to a page not yet
 * mapped is a page fault. */
static void touch(char *p, size_t len)
{
	volatile char *v = p;
	size_t i;

	for (i = 0; i < len; i += pagesize)
		v[i] = 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --- step 0: the mode --------------------------------------------------- */

static char mode[32], defrag[32], pmd_mode[32], effective[32];
static int proc_disabled;	/* prctl(PR_SET_THP_DISABLE) in force */

static void explain_mode(void)
{
	char path[128];

	sysfs_mode(THP_DIR "/enabled", mode, sizeof(mode));
	sysfs_mode(THP_DIR "/defrag", defrag, sizeof(defrag));
	/* Since 6.8 each THP size has its own switch; "inherit" follows
	 * the top-level one. The PMD size decides what we see here. */
	snprintf(path, sizeof(path), THP_DIR "/hugepages-%zukB/enabled",
		 hpage / 1024);
	sysfs_mode(path, pmd_mode, sizeof(pmd_mode));
	*strrchr(path, '/') = '\0';	/* the size's folder */
	if (pmd_mode[0] && strcmp(pmd_mode, "inherit") != 0)
		strcpy(effective, pmd_mode);
	else
		strcpy(effective, mode[0] ? mode : "unknown");
	proc_disabled = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1;

	printf("page_size: %s\n", human(pagesize));
	printf("hpage_pmd_size: %s\n", human(hpage));
	printf("thp_enabled: %s\n", mode[0] ? mode : "unknown");
	printf("thp_defrag: %s\n", defrag[0] ? defrag : "unknown");
	if (pmd_mode[0])
		printf("thp_pmd_size_enabled: %s (hugepages-%zukB/enabled)\n",
		       pmd_mode, hpage / 1024);
	printf("thp_effective: %s\n", effective);
	printf("process_thp_disabled: %s\n", proc_disabled ? "yes" : "no");
	printf("\n");

	if (!mode[0]) {
		printf("thp_note: %s is missing: this kernel was\n"
		       "  built without transparent huge pages; the\n"
		       "  MADV_HUGEPAGE region gets small pages like the "
		       "other.\n", THP_DIR);
	} else if (strcmp(effective, "always") == 0) {
		printf("'always': every anonymous mapping gets huge pages on\n"
		       "  first touch wherever a whole aligned %s fits,\n"
		       "  unless it is marked MADV_NOHUGEPAGE.\n",
		       unit(hpage));
	} else if (strcmp(effective, "madvise") == 0) {
		printf("'madvise': only regions marked MADV_HUGEPAGE get "
		       "huge\n  pages; everything else gets small pages.\n");
	} else if (strcmp(effective, "never") == 0) {
		printf("thp_note: THP is 'never': the kernel gives huge "
		       "pages\n  to no process and ignores MADV_HUGEPAGE, so "
		       "both\n  regions below get small pages and "
		       "AnonHugePages\n  stays 0. This program cannot show a "
		       "huge page fault\n  here. To see one, as root:\n"
		       "  echo madvise > %s/enabled\n", pmd_mode[0] &&
		       strcmp(pmd_mode, "inherit") != 0 ? path :
		       THP_DIR);
	}
	if (proc_disabled)
		printf("thp_note: THP is disabled for this process by\n"
		       "  prctl(PR_SET_THP_DISABLE), inherited from its "
		       "parent;\n"
		       "  no region here can get huge pages.\n");
	/* always, madvise and defer+madvise make a fault in an
	 * MADV_HUGEPAGE region reclaim and compact memory itself; defer
	 * only wakes kswapd and kcompactd, never does neither. */
	if (defrag[0])
		printf("defrag '%s': when no free %s block is at hand,\n"
		       "  a fault in a MADV_HUGEPAGE region %s.\n", defrag,
		       unit(hpage), strcmp(defrag, "always") == 0 ||
		       strstr(defrag, "madvise") ? "waits while the kernel "
		       "reclaims\n  and compacts memory" :
		       "takes small pages at once");
	printf("khugepaged may later collapse small pages into huge "
	       "ones,\n  in the regions the mode allows.\n");
}

/* --- steps 1 and 2: a region with and without huge pages --------------- */

static size_t region_size;

static void region(const char *tag, int advice)
{
	size_t chunks = region_size / hpage, c;
	long f0, f1, m0, m1, a0, fb0, ch0, rss, ahp;
	long a1, fb1, ch1, fc, fcm;
	long per_chunk[64];
	char *p, warm[16];

	p = map_aligned(region_size, hpage);
	if (madvise(p, region_size, advice) < 0) {
		if (errno != EINVAL)
			die("madvise");
		/* No THP in this kernel: the advice does not exist. */
		printf("madvise(%s): %s (no THP in this kernel)\n",
		       advice == MADV_HUGEPAGE ? "MADV_HUGEPAGE" :
		       "MADV_NOHUGEPAGE", strerror(errno));
	}
	printf("%s_region: %p\n", tag, (void *)p);
	printf("%s_rss_before: %s (untouched: nothing mapped yet)\n", tag,
	       human((size_t)smaps_kb(p, "Rss") * 1024));
	/* printf's first padded field reads a libc table: one page fault.
	 * Take it now, so that between the two pauses only the touch
	 * faults and a test can compare with /proc/PID/stat. */
	snprintf(warm, sizeof(warm), "%6ld", 0L);
	step("%s mapped; try: grep THPeligible /proc/%ld/smaps", tag,
	     (long)getpid());

	/* Between the pause above and the one below nothing but the
	 * touch may fault, so a test can compare /proc/PID/stat. The
	 * buffers read_proc and printf use are already faulted in. */
	a0 = proc_item("/proc/vmstat", "thp_fault_alloc");
	fb0 = proc_item("/proc/vmstat", "thp_fault_fallback");
	ch0 = proc_item("/proc/vmstat", "thp_fault_fallback_charge");
	faults(&f0, &m0);
	for (c = 0; c < chunks; c++) {
		long x0, x1;

		faults(&x0, NULL);
		touch(p + c * hpage, hpage);
		faults(&x1, NULL);
		per_chunk[c] = x1 - x0;
	}
	faults(&f1, &m1);
	a1 = proc_item("/proc/vmstat", "thp_fault_alloc");
	fb1 = proc_item("/proc/vmstat", "thp_fault_fallback");
	ch1 = proc_item("/proc/vmstat", "thp_fault_fallback_charge");

	printf("%5s  %-18s  %6s\n", "chunk", "address", "faults");
	for (c = 0; c < chunks; c++)
		printf("%5zu  %-18p  %6ld%s\n", c, (void *)(p + c * hpage),
		       per_chunk[c], per_chunk[c] == 1 ? "  one huge page" :
		       "  small pages");
	printf("%s_faults: %ld\n", tag, f1 - f0);
	printf("%s_major_faults: %ld\n", tag, m1 - m0);
	printf("%s_faults_per_hpage: %ld (small pages would take %zu)\n",
	       tag, (f1 - f0) / (long)chunks, hpage / pagesize);
	rss = smaps_kb(p, "Rss");
	ahp = smaps_kb(p, "AnonHugePages");
	if (ahp < 0)		/* no such line: a kernel without THP */
		ahp = 0;
	printf("%s_rss: %s\n", tag, human((size_t)rss * 1024));
	printf("%s_anon_huge_pages: %s\n", tag, human((size_t)ahp * 1024));
	printf("%s_hpages: %zu of %zu\n", tag, (size_t)ahp * 1024 / hpage,
	       chunks);
	fc = a1 - a0;
	fcm = fb1 - fb0;
	printf("%s_thp_fault_alloc_delta: %ld (/proc/vmstat, system-wide)\n",
	       tag, fc);
	printf("%s_thp_fault_fallback_delta: %ld\n", tag, fcm);

	if (advice == MADV_HUGEPAGE) {
		int full = (size_t)ahp * 1024 == region_size;

		printf("huge_fallback: %s\n", full ? "no" : "yes");
		if (!full) {
			printf("fallback_reason: ");
			if (!mode[0])
				printf("no THP in this kernel\n");
			else if (strcmp(effective, "never") == 0)
				printf("THP mode is 'never'\n");
			else if (proc_disabled)
				printf("THP disabled for this process\n");
			else if (ch1 - ch0 > 0)
				printf("the memory cgroup limit left no room"
				       " for a huge page\n");
			else if (fcm > 0)
				printf("no free %s block of physical memory"
				       "\n  and defrag '%s' did not make one"
				       "\n", unit(hpage), defrag);
			else
				printf("not known (see thp_* in /proc/vmstat)"
				       "\n");
		}
	}
	step("%s touched; try: grep AnonHuge /proc/%ld/smaps", tag,
	     (long)getpid());
	if (munmap(p, region_size) < 0)
		die("munmap");
}

/* --- step 3: hugetlb ---------------------------------------------------- */

static void hugetlb(void)
{
	long long nr, over, hsize_kb;
	long f0, f1;
	size_t hsize;
	char *p;

	nr = file_number("/proc/sys/vm/nr_hugepages");
	over = file_number("/proc/sys/vm/nr_overcommit_hugepages");
	hsize_kb = proc_item("/proc/meminfo", "Hugepagesize");
	printf("nr_hugepages: %lld\n", nr);
	printf("nr_overcommit_hugepages: %lld\n", over);
	if (hsize_kb <= 0) {
		printf("hugetlb_mmap: not tried\n"
		       "hugetlb_why: no Hugepagesize in /proc/meminfo: this\n"
		       "  kernel has no hugetlbfs.\n");
		step("no hugetlb; try: grep -i huge /proc/meminfo");
		return;
	}
	hsize = (size_t)hsize_kb * 1024;
	printf("hugetlb_page_size: %s\n", human(hsize));
	p = mmap(NULL, hsize, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		printf("hugetlb_mmap: failed: %s\n", strerror(err));
		if (err == ENOMEM && nr == 0) {
			printf("hugetlb_why: nr_hugepages is 0. MAP_HUGETLB "
			       "takes pages from a\n"
			       "  pool the administrator reserves in "
			       "advance, and the pool is empty.\n"
			       "  Unlike THP there is no fallback to small "
			       "pages. To try it, as root:\n"
			       "    echo 4 > /proc/sys/vm/nr_hugepages\n"
			       "  (or hugepages=4 on the kernel command "
			       "line), and echo 0 to give them\n"
			       "  back. This program never changes it.\n");
			if (over > 0)
				printf("  nr_overcommit_hugepages is %lld: "
				       "the kernel may add that many\n"
				       "  surplus pages on demand, but found "
				       "no free %s block for one.\n",
				       over, unit(hsize));
			else
				printf("  (nr_overcommit_hugepages, 0 here, "
				       "would let the kernel add surplus\n"
				       "  pages on demand while free %s "
				       "blocks exist.)\n", unit(hsize));
		} else if (err == ENOMEM) {
			printf("hugetlb_why: the pool has %lld pages but "
			       "none is free (see HugePages_Free\n"
			       "  in /proc/meminfo).\n", nr);
		} else {
			printf("hugetlb_why: the kernel refused MAP_HUGETLB "
			       "(no hugetlbfs?).\n");
		}
		step("MAP_HUGETLB failed; try: grep -i huge /proc/meminfo");
		return;
	}
	faults(&f0, NULL);
	touch(p, hsize);
	faults(&f1, NULL);
	printf("hugetlb_mmap: ok\n");
	printf("hugetlb_region: %p\n", (void *)p);
	printf("hugetlb_faults: %ld\n", f1 - f0);
	printf("hugetlb_kernel_page_size: %s\n",
	       human((size_t)smaps_kb(p, "KernelPageSize") * 1024));
	printf("hugetlb_private: %s (Private_Hugetlb; not in Rss)\n",
	       human((size_t)smaps_kb(p, "Private_Hugetlb") * 1024));
	step("hugetlb mapped; try: grep Hugetlb /proc/%ld/smaps",
	     (long)getpid());
	if (munmap(p, hsize) < 0)
		die("munmap");
}

/* --- step 4: timing ----------------------------------------------------- */

struct pass {
	double touch_ms, read_ms;
	long faults, ahp_kb;
};

static void timed_pass(size_t len, int huge, struct pass *r)
{
	const volatile uint64_t *w;
	uint64_t x = 88172645463325252ULL;
	size_t nwords = len / 8, nreads = len / 64, i;
	long f0, f1;
	double t0, t1;
	char *p;

	p = map_aligned(len, hpage);
	if (madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) < 0 &&
	    errno != EINVAL)
		die("madvise");
	faults(&f0, NULL);
	t0 = now_ms();
	touch(p, len);
	t1 = now_ms();
	faults(&f1, NULL);
	r->touch_ms = t1 - t0;
	r->faults = f1 - f0;
	r->ahp_kb = smaps_kb(p, "AnonHugePages");
	if (r->ahp_kb < 0)
		r->ahp_kb = 0;

	/* Random 8-byte reads, one per 64 bytes of region on average:
	 * almost every one needs a TLB entry the TLB does not hold. */
	w = (const volatile uint64_t *)p;
	t0 = now_ms();
	for (i = 0; i < nreads; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* x * nwords / 2^64: an index below nwords, without the
		 * slow division of x % nwords. volatile: the read stays. */
		(void)w[(size_t)(((unsigned __int128)x * nwords) >> 64)];
	}
	r->read_ms = now_ms() - t0;
	if (munmap(p, len) < 0)
		die("munmap");
}

static void timing(size_t len)
{
	double ht[PASSES], st[PASSES], hr[PASSES], sr[PASSES];
	double hf[PASSES], sf[PASSES];
	double mht, mst, mhr, msr;
	long f0, f1, min_ahp = -1;
	struct pass r;
	int i;

	printf("timing_size: %s, %d passes each way, %zu random reads\n",
	       human(len), PASSES, len / 64);
	fflush(stdout);
	faults(&f0, NULL);
	for (i = 0; i < PASSES; i++) {
		/* Alternate the order so neither kind always goes first. */
		int k;

		for (k = 0; k < 2; k++) {
			int huge = (i + k) % 2 == 0;

			timed_pass(len, huge, &r);
			if (huge) {
				ht[i] = r.touch_ms;
				hr[i] = r.read_ms;
				hf[i] = r.faults;
				if (min_ahp < 0 || r.ahp_kb < min_ahp)
					min_ahp = r.ahp_kb;
			} else {
				st[i] = r.touch_ms;
				sr[i] = r.read_ms;
				sf[i] = r.faults;
			}
		}
	}
	mht = median(ht, PASSES);
	mst = median(st, PASSES);
	mhr = median(hr, PASSES);
	msr = median(sr, PASSES);
	printf("                    huge pages  small pages  small/huge\n");
	printf("faults per touch  %12.0f %12.0f %10.1fx\n",
	       median(hf, PASSES), median(sf, PASSES),
	       median(sf, PASSES) / median(hf, PASSES));
	printf("first touch (ms)  %12.1f %12.1f %10.2fx\n", mht, mst,
	       mst / mht);
	printf("random reads (ms) %12.1f %12.1f %10.2fx\n", mhr, msr,
	       msr / mhr);
	printf("first touch range: huge %.1f-%.1f ms, small %.1f-%.1f ms\n",
	       ht[0], ht[PASSES - 1], st[0], st[PASSES - 1]);
	printf("timing_huge_pages_min: %s (fewest AnonHugePages in a pass)\n",
	       human((size_t)min_ahp * 1024));
	if ((size_t)min_ahp * 1024 < len)
		printf("timing_note: some passes did not get huge pages "
		       "everywhere:\n  the 'huge' column is partly small "
		       "pages.\n");
	printf("timing_note: timings are noisy on a VM (other guests, host\n"
	       "  page faults, nested paging); run it again and compare the\n"
	       "  ratios, not the milliseconds. Both first touches zero\n"
	       "  the same bytes; huge pages save only the cost of the\n"
	       "  faults (%zu times fewer), and compaction can eat that.\n"
	       "  Random reads show TLB reach: one entry covers %s\n"
	       "  instead of %s (in a VM only where the host also maps\n"
	       "  the guest's memory with huge pages; a guest huge page\n"
	       "  still shortens each TLB miss's page walk).\n",
	       hpage / pagesize, unit(hpage), unit(pagesize));
	faults(&f1, NULL);
	printf("timing_faults_total: %ld\n", f1 - f0);
	step("timing done; try: grep thp_fault /proc/vmstat");
}

/* --- main --------------------------------------------------------------- */

/* SIZE with an optional K, M or G suffix; 0 on success. */
static int parse_size(const char *s, size_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm': case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g': case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	}
	if (*end || v == 0 || v > SIZE_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "step", no_argument, NULL, 'S' },
		{ "time", no_argument, NULL, 'T' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *env = getenv("MEMTOUR_STEP");
	size_t tsize = 256UL << 20;
	long long h;
	int do_time = 0, c;

	if (env && *env && strcmp(env, "0") != 0)
		step_mode = 1;
	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			step_mode = 1;
			break;
		case 'T':
			do_time = 1;
			break;
		case 's':
			if (parse_size(optarg, &tsize) < 0) {
				fprintf(stderr, "%s: bad size '%s'\n", prog,
					optarg);
				usage(stderr);
				return 2;
			}
			do_time = 1;
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
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		usage(stderr);
		return 2;
	}

	pagesize = sysconf(_SC_PAGESIZE);
	h = file_number(THP_DIR "/hpage_pmd_size");
	/* No THP: the size a page-table entry one level up maps, which is
	 * pagesize * (pagesize / 8) on x86_64 and aarch64. */
	hpage = h > 0 ? (size_t)h : (size_t)pagesize * (pagesize / 8);

	if (do_time) {
		size_t ram = (size_t)sysconf(_SC_PHYS_PAGES) * pagesize;

		if (tsize % hpage)
			tsize += hpage - tsize % hpage;
		if (tsize > ram / 2) {
			fprintf(stderr, "%s: size %s is more than half of "
				"this machine's memory\n", prog, human(tsize));
			usage(stderr);
			return 2;
		}
	}

	printf("--- 0. the THP mode\n");
	explain_mode();

	/* Four huge pages, two if they are big (512 MiB with 64 KiB
	 * pages on aarch64). */
	region_size = hpage * (hpage > (32UL << 20) ? 2 : 4);
	printf("region_size: %s\n", human(region_size));
	printf("\n--- 1. MADV_HUGEPAGE, aligned to %s\n", unit(hpage));
	region("huge", MADV_HUGEPAGE);
	printf("\n--- 2. the same with MADV_NOHUGEPAGE\n");
	region("nohuge", MADV_NOHUGEPAGE);
	printf("\n--- 3. MAP_HUGETLB: huge pages reserved in advance\n");
	hugetlb();
	printf("\n--- 4. timing\n");
	if (do_time)
		timing(tsize);
	else
		printf("timing: skipped; ./thp --time times 256 MiB (a few "
		       "seconds),\n  ./thp -s 1G a bigger region\n");
	return 0;
}
