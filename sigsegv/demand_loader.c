/* SPDX-License-Identifier: MIT */
/* demand_loader.c - load a file page by page from a SIGSEGV handler
 *
 * The kernel loads a mapped file lazily: a page comes in on the first
 * touch. This program does the same job by hand. It reserves a PROT_NONE
 * region as large as the file (address space only, no memory), then reads
 * the file through the region. The first touch of each page faults; the
 * SIGSEGV handler (SA_SIGINFO) sees the address in si_addr, makes that
 * page, or the window of --around N pages holding it, writable, fills it
 * from the file with pread, makes it read-only, and returns: the CPU runs
 * the faulting instruction again, and now it succeeds. A fault outside
 * the region (or a write to a loaded page) is a real bug: the handler
 * restores the default action and returns, so the access faults again
 * and the kernel kills the program (status 139 in a shell).
 *
 * Run:   sigsegv/demand_loader --pages 0,3 FILE --step   (r--p islands)
 *        sigsegv/demand_loader --bench BIGFILE  (against the kernel)
 */
#include "../res/memtour.h"	/* first: it defines _GNU_SOURCE */
#include <sys/mman.h>
#include <time.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14; older C libraries lack it */
#endif
#define MAX_PAGES (1UL << 20)	/* a bit per window: 128 KiB of bss */

static size_t window = 1;	/* --around: pages loaded per fault */
static size_t list[64], nlist;	/* --pages */
static enum { AUTO, CAT, PAGES, TOUCH } mode;	/* AUTO: by the size */
static int crash, bench;
static const char *path;
static void options(int argc, char **argv);

static char *region;		/* the PROT_NONE reservation */
static size_t region_len, ps;
static int fd, out = STDOUT_FILENO;	/* the file; where cat writes it */
static unsigned char loaded[MAX_PAGES / 8];	/* windows loaded */
static volatile sig_atomic_t faults, pages_loaded;

/* Async-signal-safe only: mprotect and pread are plain system calls that
 * take no lock of ours; a message goes out with write(2) (mt_sig_puts). */
static void on_fault(int sig, siginfo_t *si, void *ucontext)
{
	uintptr_t a = (uintptr_t)si->si_addr, r = (uintptr_t)region;
	size_t w = (a - r) / ps / window, off, len, done = 0;
	int saved = errno;
	ssize_t n;

	(void)ucontext;
	if (a < r || a >= r + region_len || loaded[w / 8] & (1 << w % 8)) {
		signal(sig, SIG_DFL);	/* not ours: let it kill us */
		errno = saved;
		return;
	}
	off = w * window * ps;
	len = region_len - off < window * ps ? region_len - off : window * ps;
	if (mprotect(region + off, len, PROT_READ | PROT_WRITE) < 0)
		goto fail;
	/* Allocate the window's pages in one call, not one fault each
	 * inside pread (Linux 5.14 on; older kernels fault them in). */
	madvise(region + off, len, MADV_POPULATE_WRITE);
	while (done < len) {
		n = pread(fd, region + off + done, len - done,
			  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;	/* end of file: the rest stays zero */
		done += (size_t)n;
	}
	if (mprotect(region + off, len, PROT_READ) < 0)
		goto fail;
	loaded[w / 8] |= (unsigned char)(1 << w % 8);
	faults++;
	pages_loaded += (sig_atomic_t)(len / ps);
	errno = saved;
	return;	/* the faulting access runs again, and succeeds */
fail:
	mt_sig_puts("demand_loader: loading a page failed\n");
	_exit(MT_EXIT_FAIL);
}

/* Pages of the region present in RAM, from /proc/self/pagemap (bit 63). */
static size_t present(void)
{
	static uint64_t e[512];
	size_t i, k, m, n = region_len / ps, count = 0;
	int pm = open("/proc/self/pagemap", O_RDONLY);

	for (i = 0; i < n; i += m) {
		m = n - i < 512 ? n - i : 512;
		if (pread(pm, e, m * 8, (off_t)(((uintptr_t)region / ps + i) *
						 8)) != (ssize_t)(m * 8))
			mt_die("read /proc/self/pagemap");
		for (k = 0; k < m; k++)
			count += e[k] >> 63;
	}
	close(pm);
	return count;
}

/* Read the file through the region: print it all, touch every page
 * (timed), or show the first bytes of the listed pages. Each first touch
 * of a page faults. */
static void read_through(size_t size)
{
	size_t i, k, n = region_len / ps;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; (mode == CAT || mode == TOUCH) && i < n; i++) {
		/* A fault; and a page must be loaded before write(2) reads
		 * it: the kernel's own read of a missing page takes no
		 * SIGSEGV (it gets EFAULT). */
		(void)*(volatile char *)(region + i * ps);
		if (mode == CAT)	/* the bytes alone on stdout */
			mt_write_all(out, region + i * ps,
				     size - i * ps < ps ? size - i * ps : ps,
				     "the file's copy");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (mode == TOUCH)	/* loader_bench reads this */
		printf("time per page: %.1f ns\n",
			((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
			 (double)(t1.tv_nsec - t0.tv_nsec)) / (double)n);
	if (mode != PAGES)
		return;
	if (!nlist)		/* the first and the last page */
		list[nlist++] = 0, list[nlist++] = n - 1;
	printf("%8s  %-18s  %s\n", "page", "address", "first bytes");
	for (k = 0; k < nlist; k++) {
		unsigned char *p;

		if (list[k] >= n)
			mt_fail("--pages: page %zu is past the last page, %zu",
				list[k], n - 1);
		p = (unsigned char *)region + list[k] * ps;
		printf("%8zu  0x%-16lx ", list[k], (unsigned long)p);
		for (i = 0; i < 8 && list[k] * ps + i < size; i++)
			printf(" %02x", p[i]);	/* faults at i 0 */
		putchar('\n');
	}
}

/* --bench: loader_bench, beside this program, compares the loaders. */
static void run_bench(void)
{
	const char *exe = mt_beside("loader_bench");

	mt_check_stdout();
	execl(exe, exe, path, (char *)NULL);
	mt_die("run %s", exe);
}

int main(int argc, char **argv)
{
	static char self[PATH_MAX];
	struct sigaction sa = { .sa_sigaction = on_fault,
				.sa_flags = SA_SIGINFO };
	struct stat st;
	size_t n;

	mt_init(argv);
	options(argc, argv);
	ps = mt_pagesize();
	if (bench)
		run_bench();
	if (!path) {		/* our own executable */
		if (readlink("/proc/self/exe", self, PATH_MAX - 1) < 0)
			mt_die("readlink /proc/self/exe");
		path = self;
	}
	/* O_NONBLOCK: a FIFO would wait in open for a writer; a regular
	 * file's reads never block on it, cleared all the same. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0 || fcntl(fd, F_SETFL, 0) < 0)
		mt_die("open %s", path);
	if (!S_ISREG(st.st_mode))
		mt_fail("%s: %s", path, S_ISDIR(st.st_mode) ? "is a directory:"
			" give a regular file" : "not a regular file: only a "
			"file has a size to reserve");
	if ((uint64_t)st.st_size > MAX_PAGES * ps)
		mt_fail("%s: %s is over this loader's limit of %s", path,
			mt_human((uint64_t)st.st_size), mt_human(MAX_PAGES * ps));
	if (mode == AUTO)
		mode = path != self && st.st_size <= 1024 * 1024 ? CAT : PAGES;
	/* In cat mode stdout carries the file's bytes and nothing else, so
	 * that `demand_loader FILE > copy` copies it: they go to a copy of
	 * stdout, and stdout (the report, the pauses) becomes stderr. */
	if (mode == CAT && ((out = dup(STDOUT_FILENO)) < 0 ||
			    dup2(STDERR_FILENO, STDOUT_FILENO) < 0))
		mt_die("dup");
	printf("file: %s\nfile size: %jd (%s)\npage size: %zu\n", path,
	       (intmax_t)st.st_size, mt_human((uint64_t)st.st_size), ps);
	if (st.st_size == 0) {
		printf("nothing to load: the file is empty\n");
		return 0;
	}

	region_len = mt_page_round((size_t)st.st_size);
	region = mmap(NULL, region_len, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (region == MAP_FAILED)
		mt_die("mmap %zu bytes", region_len);
	if (sigaction(SIGSEGV, &sa, NULL) < 0)
		mt_die("sigaction");
	n = region_len / ps;
	printf("region: 0x%lx-0x%lx, %zu (%s), %zu page%s\n",
	       (unsigned long)region, (unsigned long)(region + region_len),
	       region_len, mt_human(region_len), n, n > 1 ? "s" : "");
	printf("window: %zu page%s\n", window, window > 1 ? "s" : "");
	mt_pause("region reserved, PROT_NONE, nothing loaded; try: grep "
		 "'^%lx-' /proc/%d/maps", (unsigned long)region, (int)getpid());

	read_through((size_t)st.st_size);
	printf("faults taken: %d\npages loaded: %d\n", (int)faults,
	       (int)pages_loaded);
	printf("pages present: %zu\n", present());
	mt_pause("%d page%s loaded, %s; try: awk '/^%lx-/,/-%lx /' "
		 "/proc/%d/maps", (int)pages_loaded, pages_loaded > 1 ? "s" :
		 "", (size_t)pages_loaded == n ? "the whole region r--p" :
		 "r--p islands in the ---p region", (unsigned long)region,
		 (unsigned long)(region + region_len), (int)getpid());
	if (crash) {
		char *volatile outside = (char *)(uintptr_t)16;

		printf("access: read 0x10, outside the region\n");
		mt_check_stdout();	/* before the kernel kills us */
		(void)*(volatile char *)outside;
	}
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "around", required_argument, NULL, 'a' },
		{ "pages", required_argument, NULL, 'p' },
		{ "touch", no_argument, NULL, 't' },
		{ "crash", no_argument, NULL, 'C' },
		{ "bench", no_argument, NULL, 'b' },
		MT_COMMON_OPTIONS
	};
	int c, modes = 0;

	mt_usage = "[-a N] [-p LIST | -t] [--crash] [--step] [FILE]\n"
		   "       demand_loader --bench FILE";
	mt_help = "\nLoad FILE (default: this program) into a PROT_NONE\n"
		  "region from a SIGSEGV handler and read it through the\n"
		  "region: print it when it is 1 MiB or less (the report then\n"
		  "goes to stderr), else touch its first and last page.\n\n"
		  "  -a, --around N   pages loaded per fault (1 to 512)\n"
		  "  -p, --pages LIST touch only these pages: 0,5,9\n"
		  "  -t, --touch      touch every page; print the time per page\n"
		  "      --crash      then read 0x10, outside the region\n"
		  "      --bench      run loader_bench on FILE: the kernel's\n"
		  "                   mmap against this loader and userfaultfd\n"
		  "      --step       pause at each step (also MEMTOUR_STEP=1)\n"
		  "  -h, --help       this text\n";
	while ((c = mt_getopt(argc, argv, "a:p:t", longopts)) != -1)
		switch (c) {
		case 'a':
			window = mt_count_arg("--around", optarg, 1, 512);
			break;
		case 'p':
			nlist = mt_count_list("--pages", optarg, "page", list,
					      64, MAX_PAGES - 1);
			modes += mode != PAGES;
			mode = PAGES;
			break;
		case 't':
			modes += mode != TOUCH;
			mode = TOUCH;
			break;
		case 'C':
			crash = 1;
			break;
		case 'b':
			bench = 1;
			break;
		}
	if (modes > 1)
		mt_usage_error("--pages and --touch: choose one");
	if (optind < argc)
		path = argv[optind++];
	mt_no_operands(argc, argv);
	if (bench && !path)
		mt_usage_error("--bench needs a FILE (64 MiB makes a good one)");
}
