/* SPDX-License-Identifier: MIT */
/* loader_bench.c - the cost of user-space demand paging vs the kernel's
 *
 * Each row touches every page of the same file once, through a fresh
 * mapping, and reports the median of several passes (the first pass only
 * warms the page cache):
 *   kernel mmap   an mmap of the file; the kernel's fault handler maps
 *                 page-cache pages, several per fault ("fault-around")
 *   window N      demand_loader -a N: a SIGSEGV per N pages, two mprotect
 *                 calls and a pread that copies the bytes
 *   userfaultfd   uffd_loader: a handler thread copies each page in
 * The faults column: minor faults counted by getrusage for the kernel row,
 * the loader's own count for the others. "x kernel" is the row's time over
 * the kernel's.
 *
 * Run:   sigsegv/loader_bench            (a 16 MiB scratch file)
 *        sigsegv/loader_bench -n 9 FILE
 * Try:   perf stat -e page-faults,context-switches on each loader
 */
#include "../res/memtour.h"	/* first: it defines _GNU_SOURCE */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static unsigned passes = 5;	/* -n */
static const char *path;	/* FILE */
static void options(int argc, char **argv);


static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One pass of the kernel's own demand paging: ns per page, faults. */
static double kernel_pass(int fd, size_t len, long *faults)
{
	size_t ps = mt_pagesize(), i;
	struct rusage r0, r1;
	struct timespec t0, t1;
	char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);

	if (p == MAP_FAILED)
		mt_die("mmap %s", path);
	getrusage(RUSAGE_SELF, &r0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < len / ps; i++)
		(void)*(volatile char *)(p + i * ps);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &r1);
	munmap(p, len);
	*faults = r1.ru_minflt - r0.ru_minflt;
	return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
		(double)(t1.tv_nsec - t0.tv_nsec)) / (double)(len / ps);
}

/* One pass of a loader: run it with --touch, read its report. Returns -1
 * if it failed (its message went to stderr). */
static int loader_pass(const char *prog, const char *window, double *ns,
		       long *faults)
{
	static char exe[PATH_MAX + 32], out[8192];
	char *s;
	ssize_t n, got = 0;
	int p[2], status;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s", mt_beside(prog));
	mt_check_stdout();
	if (pipe(p) < 0 || (pid = fork()) < 0)
		mt_die("fork");
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execl(exe, exe, "--touch", "--around", window, path,
		      (char *)NULL);
		dprintf(STDERR_FILENO, "loader_bench: run %s: %s\n", exe,
			strerror(errno));
		_exit(MT_EXIT_FAIL);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	if (waitpid(pid, &status, 0) < 0 || status != 0)
		return -1;
	s = strstr(out, "time per page: ");
	if (!s || sscanf(s, "time per page: %lf", ns) != 1 ||
	    !(s = strstr(out, "faults taken: ")) ||
	    sscanf(s, "faults taken: %ld", faults) != 1)
		mt_fail("%s: no time per page in its report", exe);
	return 0;
}

/* The median of `passes` passes after a warm-up, rounded to 0.1 ns as it
 * is printed (the ratio is taken from the printed figures). */
static int row(int fd, size_t len, const char *prog, const char *window,
	       double *ns, long *faults)
{
	double t[51];

	for (unsigned i = 0; i <= passes; i++)
		if (!prog)
			t[i] = kernel_pass(fd, len, faults);
		else if (loader_pass(prog, window, &t[i], faults) < 0)
			return -1;
	qsort(t + 1, passes, sizeof(t[0]), cmp_double);
	*ns = (double)(long long)(t[1 + passes / 2] * 10 + 0.5) / 10;
	return 0;
}

int main(int argc, char **argv)
{
	static const char *names[] = { "kernel mmap", "window 1", "window 16",
				       "window 64", "userfaultfd" };
	static const char *windows[] = { NULL, "1", "16", "64", "1" };
	static char chunk[64 * 1024];
	struct stat st;
	double ns, kernel = 0;
	long faults;
	int fd;

	mt_init(argv);
	options(argc, argv);
	if (!path) {		/* 16 MiB of scratch: quick enough for a tour */
		fd = mt_scratch("bench");
		memset(chunk, 'x', sizeof(chunk));
		for (int i = 0; i < 256; i++)
			if (write(fd, chunk, sizeof(chunk)) != sizeof(chunk))
				mt_die("write %s", mt_scratch_path);
		path = mt_scratch_path;
	} else if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
		   fcntl(fd, F_SETFL, 0) < 0) {	/* a FIFO: no wait in open */
		mt_die("open %s", path);
	}
	if (fstat(fd, &st) < 0)
		mt_die("stat %s", path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		mt_fail("%s: not a regular file with data in it", path);

	printf("file: %s\nfile size: %jd (%s)\npage size: %zu\npages: %zu\n"
	       "passes: %u, the median shown\n", path, (intmax_t)st.st_size,
	       mt_human((uint64_t)st.st_size), mt_pagesize(),
	       mt_page_round((size_t)st.st_size) / mt_pagesize(), passes);
	printf("%-14s %12s %12s %9s\n", "loader", "ns/page", "faults/pass",
	       "x kernel");
	for (int i = 0; i < 5; i++) {
		if (row(fd, mt_page_round((size_t)st.st_size),
			i == 4 ? "uffd_loader" : i ? "demand_loader" : NULL,
			windows[i], &ns, &faults) < 0) {
			printf("%-14s not measured: uffd_loader failed (see "
			       "above)\n", names[i]);
			continue;
		}
		kernel = i ? kernel : ns;
		printf("%-14s %12.1f %12ld %9.1f\n", names[i], ns, faults,
		       ns / kernel);
	}
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "passes", required_argument, NULL, 'n' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-n PASSES] [FILE]";
	mt_help = "\nTouch every page of FILE (default: a 16 MiB scratch\n"
		  "file) through the kernel's mmap, demand_loader with\n"
		  "windows of 1, 16 and 64 pages, and uffd_loader; print\n"
		  "the median ns per page of each and its ratio to the\n"
		  "kernel's.\n\n"
		  "  -n, --passes N  passes per row after a warm-up, the\n"
		  "                  median is taken (5 to 50); default 5\n"
		  "  -h, --help      this text\n";
	while ((c = mt_getopt(argc, argv, "n:", longopts)) != -1)
		if (c == 'n')
			passes = (unsigned)mt_count_arg("-n", optarg, 5, 50);
	if (optind < argc)
		path = argv[optind++];
	mt_no_operands(argc, argv);
}
