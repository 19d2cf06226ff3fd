/* page_faults.c - count the page faults as a process touches memory
 *
 * Memory you map is not memory you have: mmap only reserves addresses. The
 * kernel gives a page frame to a page the first time the page is touched, in
 * a page fault. This program touches memory in several ways and counts the
 * faults each way costs, from two independent counters (getrusage(2) and
 * fields 10 and 12 of /proc/self/stat), next to VmRSS:
 *
 *   map        mmap two anonymous regions of N pages: no fault, no RSS
 *   write-1    write one byte per page of region A: one minor fault a page,
 *              RSS grows by N pages
 *   write-2    write them again: the pages are there, no fault at all
 *   read-0     read untouched region B: one minor fault a page, but every
 *              page maps the shared zero page, so RSS does not grow
 *   populate   mmap region C with MAP_POPULATE: the faults happen inside mmap
 *   touch-pop  write region C: no fault left to take
 *   dontneed   madvise(MADV_DONTNEED) on region A: RSS drops by N pages
 *   reread     read region A: it faults again and reads zeros
 *   drop       write a scratch file of N pages, fsync it, drop its page cache
 *              with posix_fadvise(POSIX_FADV_DONTNEED)
 *   file-1     read the mapped file: major faults (the disk is read) plus
 *              minor ones; far fewer faults than pages, see below
 *   file-2     read it again: no fault
 *   file-3     unmap, map again and read: the page cache is warm, so minor
 *              faults only
 *
 * Why fewer faults than pages for a file: on a read fault in a file mapping
 * the kernel also maps the neighbouring pages that are already in the page
 * cache ("fault-around", fault_around_bytes, 64 KiB by default: 16 pages of
 * 4 KiB). So a file of N pages costs about N/16 faults. Only a fault that
 * waits for the disk is major, and it reads ahead (read_ahead_kb of the
 * disk, in /sys/block/DISK/queue/): here one major fault often brings the
 * whole file into the page cache and all the other faults are minor.
 * Anonymous memory has no fault-around: one fault per page (unless a
 * transparent huge page of some size is allowed there, see below).
 *
 * Transparent huge pages: with THP "always" one fault could map 2 MiB (512
 * pages of 4 KiB), and with a smaller size enabled in
 * /sys/kernel/mm/transparent_hugepage/hugepages-*kB/enabled ("mTHP", 16 KiB
 * to 1 MiB) a few pages at once: the count per page would be meaningless.
 * The program turns every THP size off for itself with
 * prctl(PR_SET_THP_DISABLE) and for each region with
 * madvise(MADV_NOHUGEPAGE), so every fault maps one small page whatever
 * those files say.
 *
 * The scratch file lives in $TMPDIR (default /tmp) and is unlinked as soon
 * as it is created, so it disappears on every exit path (even kill -9);
 * /proc/PID/fd/FD (FD is printed as scratch_fd) still reaches it. On tmpfs
 * the page cache IS the file and cannot be dropped: the program then tries
 * /var/tmp, and if that is tmpfs too, says so and shows minor faults only
 * (a tmpfs page is read from a disk only if it was swapped out).
 *
 * Run:  ./page_faults [-n PAGES] [--step]
 *
 * Output, checked by tests/vm.bats:
 *   pagesize: BYTES
 *   pages: N                      (pages per region, default 1024)
 *   thp_mode: MODE                (the system's; off in this process)
 *   region_a: 0xADDR, region_b: 0xADDR
 *   pattern: 0xa5                 (the byte write-1 puts in each page)
 *   table "step pages minflt/ru minflt/st majflt/ru majflt/st rss_kB":
 *     the faults each step took (/ru getrusage, /st /proc/self/stat) and
 *     VmRSS in kB after it; one row per step, in the order above
 *   zeros_after_dontneed: K of N pages
 *   scratch_dir: DIR, scratch_fs: ext4|xfs|btrfs|tmpfs|..., scratch_fd: FD
 *   cache_resident_after_drop: R of N pages   (mincore(2))
 *   file_faults: F (M major, m minor) for N pages: ... pages a fault
 *   read_ahead_kb: KB             (of the disk under the scratch file)
 *   and "note:" lines that explain what could not be shown and why.
 *
 * Try beside it (second terminal, with --step):
 *   cut -d' ' -f10,12 /proc/PID/stat    minflt and majflt
 *   grep -E 'VmRSS|RssAnon|RssFile' /proc/PID/status
 *   cat /proc/PID/smaps_rollup
 *   ps -o minflt,majflt,rss PID         the same counters, by ps
 *   fincore /proc/PID/fd/FD             page cache of the scratch file
 *   perf stat -e page-faults,minor-faults,major-faults ./page_faults
 *   vmstat 1                            system-wide, while it runs
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *prog = "page_faults";
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
	fprintf(f, "usage: %s [-n PAGES] [--step] [--help]\n", prog);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
"Counts the page faults taken while touching memory: first write, second\n"
"write, read of untouched pages (the zero page), MAP_POPULATE,\n"
"MADV_DONTNEED, and a file mapping whose page cache was dropped (major\n"
"faults). Each row gives the faults from getrusage(2) and from\n"
"/proc/self/stat, and VmRSS after the step.\n"
"\n"
"  -n, --pages N  pages per region (default 1024)\n"
"      --step     pause after each step (also MEMTOUR_STEP=1)\n"
"      --help     this text\n"
"\n"
"A scratch file of N pages is made in $TMPDIR (default /tmp; /var/tmp if\n"
"that is tmpfs) and unlinked at once.\n");
}

/* Read a whole small /proc file into buf with open/read (no stdio). */
static void read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	while (len < size - 1) {
		r = read(fd, buf + len, size - 1 - len);
		if (r < 0)
			die(path);
		if (r == 0)
			break;
		len += r;
	}
	buf[len] = '\0';
	close(fd);
}

static char statbuf[2048];
static char statusbuf[8192];

struct counts {
	long ru_min, ru_maj;	/* getrusage(RUSAGE_SELF) */
	long st_min, st_maj;	/* /proc/self/stat fields 10 and 12 */
};

static void take(struct counts *c)
{
	struct rusage ru;
	char *p;
	int field;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		die("getrusage");
	c->ru_min = ru.ru_minflt;
	c->ru_maj = ru.ru_majflt;

	read_file("/proc/self/stat", statbuf, sizeof(statbuf));
	/* The command name (field 2) may hold spaces: start after its ')'. */
	p = strrchr(statbuf, ')');
	if (!p) {
		errno = EINVAL;
		die("/proc/self/stat");
	}
	p++;
	c->st_min = c->st_maj = -1;
	for (field = 3; *p && field <= 12; field++) {
		p += strspn(p, " ");
		if (field == 10)
			c->st_min = strtol(p, NULL, 10);
		if (field == 12)
			c->st_maj = strtol(p, NULL, 10);
		p += strcspn(p, " ");
	}
}

/* A field of /proc/self/status, in kB. */
static long status_kb(const char *field)
{
	size_t len = strlen(field);
	char *p = statusbuf;

	read_file("/proc/self/status", statusbuf, sizeof(statusbuf));
	while (p && *p) {
		if (strncmp(p, field, len) == 0 && p[len] == ':')
			return strtol(p + len + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static long pagesize;
static size_t npages = 1024;

static void header(void)
{
	printf("%-10s %6s %9s %9s %9s %9s %9s\n", "step", "pages",
	       "minflt/ru", "minflt/st", "majflt/ru", "majflt/st", "rss_kB");
}

static void row(const char *name, size_t pages, const struct counts *a,
		const struct counts *b)
{
	printf("%-10s %6zu %9ld %9ld %9ld %9ld %9ld\n", name, pages,
	       b->ru_min - a->ru_min, b->st_min - a->st_min,
	       b->ru_maj - a->ru_maj, b->st_maj - a->st_maj,
	       status_kb("VmRSS"));
}

/* Touch one byte in each page. volatile: the compiler must not drop or
 * merge the accesses, they are the lesson. Returns the pages read as 0. */
static void write_pages(char *base, unsigned char v)
{
	volatile char *p = base;
	size_t i;

	for (i = 0; i < npages; i++)
		p[i * pagesize] = v;
}

static size_t read_pages(const char *base)
{
	const volatile char *p = base;
	size_t i, zeros = 0;

	for (i = 0; i < npages; i++)
		if (p[i * pagesize] == 0)
			zeros++;
	return zeros;
}

/* An anonymous region of npages, between two inaccessible guard pages:
 * they keep the kernel from merging it with a neighbouring region, so that
 * /proc/PID/smaps shows each region as a mapping of its own. */
static char *map_anon(int extra)
{
	size_t len = npages * pagesize;
	char *g, *p;

	g = mmap(NULL, len + 2 * pagesize, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g == MAP_FAILED)
		die("mmap");
	p = mmap(g + pagesize, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | extra, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	/* One fault, one small page: no transparent huge page here. */
	if (madvise(p, len, MADV_NOHUGEPAGE) != 0 && errno != EINVAL)
		die("madvise(MADV_NOHUGEPAGE)");
	return p;
}

/* Fault in the stack the printing code will use, so that a pause or a
 * printf never takes a stack fault inside a measured step. */
static void warm_stack(void)
{
	volatile char buf[64 * 1024];
	size_t i;

	for (i = 0; i < sizeof(buf); i += 256)
		buf[i] = 0;
}

static const char *fs_name(long type)
{
	if (type == TMPFS_MAGIC)
		return "tmpfs";
	if (type == RAMFS_MAGIC)
		return "ramfs";
	if (type == EXT4_SUPER_MAGIC)
		return "ext4";	/* also ext2 and ext3: same magic */
	if (type == XFS_SUPER_MAGIC)
		return "xfs";
	if (type == BTRFS_SUPER_MAGIC)
		return "btrfs";
	if (type == OVERLAYFS_SUPER_MAGIC)
		return "overlay";
	return "other";
}

static int in_memory_fs(long type)
{
	return type == TMPFS_MAGIC || type == RAMFS_MAGIC;
}

/* Create the scratch file: in $TMPDIR, or /var/tmp when $TMPDIR is a
 * memory filesystem whose page cache cannot be dropped. It is unlinked at
 * once, so it goes away on every exit path, even kill -9. */
static int scratch_file(const char **dirp, long *typep)
{
	static char path[PATH_MAX];
	const char *dirs[2];
	struct statfs sf;
	int i, fd = -1, n = 0;
	const char *t = getenv("TMPDIR");

	dirs[n++] = t && *t ? t : "/tmp";
	if (strcmp(dirs[0], "/var/tmp") != 0)
		dirs[n++] = "/var/tmp";
	for (i = 0; i < n; i++) {
		if (statfs(dirs[i], &sf) != 0) {
			printf("note: cannot use %s: %s\n", dirs[i],
			       strerror(errno));
			continue;
		}
		if (in_memory_fs(sf.f_type) && i + 1 < n) {
			printf("note: %s is %s: its page cache cannot be "
			       "dropped; trying %s\n", dirs[i],
			       fs_name(sf.f_type), dirs[i + 1]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/page_faults.XXXXXX",
			 dirs[i]);
		fd = mkstemp(path);
		if (fd < 0) {
			printf("note: cannot create a file in %s: %s\n",
			       dirs[i], strerror(errno));
			continue;
		}
		unlink(path);
		*dirp = dirs[i];
		*typep = sf.f_type;
		return fd;
	}
	return -1;
}

static const char *thp_mode(void)
{
	static char buf[256];
	char *l, *r;
	int fd = open("/sys/kernel/mm/transparent_hugepage/enabled",
		      O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return "unavailable";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return "unavailable";
	buf[n] = '\0';
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r)
		return "unknown";
	*r = '\0';
	return l + 1;
}

/* The readahead window of the disk holding the file, from sysfs:
 * /sys/dev/block/MAJ:MIN is the disk or a partition (whose queue/ is in the
 * parent directory). -1 if there is no such disk (tmpfs, overlay, nfs). */
static long read_ahead_kb(int fd)
{
	static char path[128], buf[32];
	const char *fmt[] = { "/sys/dev/block/%u:%u/queue/read_ahead_kb",
			      "/sys/dev/block/%u:%u/../queue/read_ahead_kb" };
	struct stat st;
	unsigned i;
	ssize_t n;
	int rfd;

	if (fstat(fd, &st) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), fmt[i], major(st.st_dev),
			 minor(st.st_dev));
		rfd = open(path, O_RDONLY);
		if (rfd < 0)
			continue;
		n = read(rfd, buf, sizeof(buf) - 1);
		close(rfd);
		if (n > 0) {
			buf[n] = '\0';
			return strtol(buf, NULL, 10);
		}
	}
	return -1;
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'n' },
		{ "step", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long long v;
	char *end;
	int c;

	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":n:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end ||
			    optarg[0] == '-' || v == 0 || v > 1024 * 1024) {
				fprintf(stderr, "%s: bad page count '%s' "
					"(1 to 1048576)\n", prog, optarg);
				usage(stderr);
				exit(2);
			}
			npages = v;
			break;
		case 's':
			step_mode = 1;
			break;
		case 'h':
			help();
			exit(0);
		case ':':
			if (optopt && strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "%s: option '-%c' needs an "
					"argument\n", prog, optopt);
			else
				fprintf(stderr, "%s: option '%s' needs an "
					"argument\n", prog, argv[optind - 1]);
			usage(stderr);
			exit(2);
		default:
			if (optopt && strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "%s: unknown option '-%c'\n",
					prog, optopt);
			else
				fprintf(stderr, "%s: unknown option '%s'\n",
					prog, argv[optind - 1]);
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	const char *s = getenv("MEMTOUR_STEP");
	struct counts a, b, f0, f1;
	char *ra, *rb, *rc, *rf;
	const char *dir = NULL;
	unsigned char *vec;
	long pid, fstype = 0, ra_kb, fa_pages;
	size_t len, i, zeros, resident;
	int fd;

	if (s && *s && strcmp(s, "0") != 0)
		step_mode = 1;
	parse_args(argc, argv);
	pagesize = sysconf(_SC_PAGESIZE);
	/* Two regions are written and a file as big is cached: keep that
	 * well inside the machine's memory. */
	if (npages > (size_t)sysconf(_SC_PHYS_PAGES) / 8) {
		fprintf(stderr, "%s: %zu pages is more than 1/8 of this "
			"machine's memory\n  (the demo writes two regions and "
			"a file of that size)\n", prog, npages);
		usage(stderr);
		exit(2);
	}
	len = npages * pagesize;
	pid = getpid();
	fa_pages = 65536 / pagesize > 0 ? 65536 / pagesize : 1;

	/* No THP for this process, whatever the system mode: every count
	 * below is per small page. */
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
		printf("note: prctl(PR_SET_THP_DISABLE): %s; relying on "
		       "MADV_NOHUGEPAGE\n", strerror(errno));
	warm_stack();
	/* The first take() touches its buffer and libc's number parsing
	 * after it has read the counters: take those faults now, not in
	 * the "map" step. */
	take(&a);

	printf("pagesize: %ld\n", pagesize);
	printf("pages: %zu\n", npages);
	printf("thp_mode: %s (off here: PR_SET_THP_DISABLE and "
	       "MADV_NOHUGEPAGE,\n  so each fault maps one %ld-byte page)\n",
	       thp_mode(), pagesize);

	/* Made now, so that its notes come before the table. */
	fd = scratch_file(&dir, &fstype);

	take(&a);
	ra = map_anon(0);
	rb = map_anon(0);
	take(&b);
	printf("region_a: %p\nregion_b: %p\n", (void *)ra, (void *)rb);
	printf("pattern: 0xa5\n");
	header();
	row("map", 0, &a, &b);
	step("mapped A, B; try: grep VmRSS /proc/%ld/status", pid);

	take(&a);
	write_pages(ra, 0xa5);
	take(&b);
	row("write-1", npages, &a, &b);
	step("wrote A; try: ps -o minflt,majflt,rss %ld", pid);

	take(&a);
	write_pages(ra, 0xa5);
	take(&b);
	row("write-2", npages, &a, &b);
	step("wrote A again; try: ps -o minflt,majflt,rss %ld", pid);

	take(&a);
	zeros = read_pages(rb);
	take(&b);
	row("read-0", npages, &a, &b);
	step("read B; try: grep Rss /proc/%ld/smaps_rollup", pid);

	take(&a);
	rc = map_anon(MAP_POPULATE);
	take(&b);
	row("populate", npages, &a, &b);
	step("MAP_POPULATE C; try: ps -o minflt,majflt,rss %ld", pid);

	take(&a);
	write_pages(rc, 0x5a);
	take(&b);
	row("touch-pop", npages, &a, &b);
	step("wrote C; try: ps -o minflt,majflt,rss %ld", pid);

	take(&a);
	if (madvise(ra, len, MADV_DONTNEED) != 0)
		die("madvise(MADV_DONTNEED)");
	take(&b);
	row("dontneed", 0, &a, &b);
	step("MADV_DONTNEED on A; try: grep VmRSS /proc/%ld/status", pid);

	take(&a);
	zeros = read_pages(ra);
	take(&b);
	row("reread", npages, &a, &b);
	step("read A again: zeros; try: ps -o minflt,majflt,rss %ld", pid);

	/* The file mapping. */
	rf = NULL;
	resident = npages;
	take(&a);
	if (fd >= 0) {
		/* Fill it from region C (already faulted in: no fault). */
		for (i = 0; i < npages; i++)
			if (pwrite(fd, rc + i * pagesize, pagesize,
				   (off_t)(i * pagesize)) != pagesize)
				die("write scratch file");
		/* Dirty pages cannot be dropped: write them back first. */
		if (fsync(fd) != 0)
			die("fsync");
		errno = posix_fadvise(fd, 0, len, POSIX_FADV_DONTNEED);
		if (errno)
			die("posix_fadvise");
		rf = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (rf == MAP_FAILED)
			die("mmap scratch file");
		/* mincore: which pages are in the page cache (no fault). */
		vec = (unsigned char *)rc;	/* npages bytes fit in C */
		if (mincore(rf, len, vec) != 0)
			die("mincore");
		for (resident = 0, i = 0; i < npages; i++)
			resident += vec[i] & 1;
	}
	take(&b);
	row("drop", 0, &a, &b);
	if (fd < 0) {
		printf("note: no scratch file could be made: the file steps "
		       "show nothing\n");
	}
	if (fd >= 0)
		step("page cache dropped; try: fincore /proc/%ld/fd/%d", pid,
		     fd);
	else
		step("no scratch file; try: df -T /tmp /var/tmp");

	take(&f0);
	take(&a);
	if (rf)
		read_pages(rf);
	take(&b);
	row("file-1", rf ? npages : 0, &a, &b);
	step("read the file; try: ps -o minflt,majflt,rss %ld", pid);
	f1 = b;

	take(&a);
	if (rf)
		read_pages(rf);
	take(&b);
	row("file-2", rf ? npages : 0, &a, &b);
	step("read it again; try: ps -o minflt,majflt,rss %ld", pid);

	take(&a);
	if (rf) {
		if (munmap(rf, len) != 0)
			die("munmap");
		rf = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (rf == MAP_FAILED)
			die("mmap scratch file");
		read_pages(rf);
	}
	take(&b);
	row("file-3", rf ? npages : 0, &a, &b);
	step("mapped it again; try: ps -o minflt,majflt,rss %ld", pid);

	printf("zeros_after_dontneed: %zu of %zu pages\n", zeros, npages);
	printf("note: the populate faults were taken by the kernel itself, "
	       "inside mmap:\n  getrusage and /proc/PID/stat count them, "
	       "perf's minor-faults event\n  does not (it counts faults "
	       "the CPU raised).\n");
	if (fd < 0) {
		printf("scratch_dir: none\n");
	} else {
		long maj = f1.st_maj - f0.st_maj;
		long min = f1.st_min - f0.st_min;

		printf("scratch_dir: %s\nscratch_fs: %s\nscratch_fd: %d\n",
		       dir, fs_name(fstype), fd);
		printf("cache_resident_after_drop: %zu of %zu pages\n",
		       resident, npages);
		if (in_memory_fs(fstype))
			printf("note: %s is %s: the page cache is the only "
			       "copy of the file, so\n  POSIX_FADV_DONTNEED "
			       "keeps it and no fault reads a disk (unless\n"
			       "  the pages were swapped out). Set TMPDIR to "
			       "a disk filesystem to see\n  major faults.\n",
			       dir, fs_name(fstype));
		else if (resident > 0)
			printf("note: the page cache could not be dropped "
			       "(%zu pages stayed):\n  expect fewer major "
			       "faults, or none.\n", resident);
		if (maj + min > 0)
			printf("file_faults: %ld (%ld major, %ld minor) for "
			       "%zu pages: %.1f pages a fault\n", maj + min,
			       maj, min, npages, (double)npages / (maj + min));
		ra_kb = read_ahead_kb(fd);
		if (ra_kb >= 0)
			printf("read_ahead_kb: %ld\n", ra_kb);
		printf("note: a read fault in a file mapping also maps the "
		       "neighbouring pages\n  already in the page cache "
		       "(fault-around: fault_around_bytes, default\n"
		       "  64 KiB = %ld page%s), so a file costs about one "
		       "fault per %ld page%s.\n  Only a fault that has to "
		       "wait for the disk is major, and it reads ahead\n"
		       "  (read-around of up to read_ahead_kb around the "
		       "fault, then async\n  readahead): often one major "
		       "fault brings in the whole file.\n",
		       fa_pages, fa_pages > 1 ? "s" : "", fa_pages,
		       fa_pages > 1 ? "s" : "");
		close(fd);
	}
	return 0;
}
