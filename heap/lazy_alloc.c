/* lazy_alloc.c - malloc reserves addresses; pages come on first write
 *
 * The classic demand-paging lesson. A big malloc returns at once and costs
 * no memory: the kernel only records a range of addresses. Reading it maps
 * every page to the one shared zero page: still no memory. Only a write
 * gives a page its own frame, one minor fault per page. free hands the
 * range back (a block this big came from mmap, not from the heap).
 *
 * Run:   heap/lazy_alloc              (256 MiB)
 *        heap/lazy_alloc -s 64M --step
 *        heap/lazy_alloc -s 64G       (more than RAM: only the virtual part)
 *
 * At each step it prints VmSize, VmRSS and VmData from /proc/self/status and
 * the minor-fault count from getrusage(2):
 *   start       where we begin
 *   malloc      VmSize and VmData grow by SIZE (plus the page that holds
 *               malloc's header), VmRSS does not
 *   read        every page read: VmRSS still flat (the shared zero page),
 *               though each page took a minor fault to map it
 *   write-half  every other page written: VmRSS and minflt grow by that many
 *   write-all   every page written: VmRSS grows by the rest
 *   free        VmSize back where it started (munmap inside free)
 *
 * Transparent huge pages: with THP "always" one write could bring in a
 * whole huge page (2 MiB, 512 pages, on x86_64; the PMD size, which is
 * 32 MiB or 512 MiB on arm64 with 16K or 64K pages) and spoil the count.
 * prctl(PR_SET_THP_DISABLE) before the malloc keeps the whole process on
 * small pages, whatever the system setting (children inherit it, even
 * across execve). If the prctl fails, madvise(MADV_NOHUGEPAGE) marks just
 * the block instead.
 *
 * Lines a test reads:
 *   the table "step VmSize(kB) VmRSS(kB) VmData(kB) minflt", one row per
 *   step, named as above; indented lines between rows explain them
 *   size: BYTES (human)      page_size: BYTES       block: 0xADDR
 *   pages: N (whole pages inside the block)
 *   written_half: N          written_all: N
 *   mem_available: KB kB     overcommit_memory: 0|1|2 (meaning)
 *   thp_mode: always|madvise|never    thp: what was done about it
 *   malloc_failed: yes|no    via: malloc|mmap
 *
 * Sizes above MemAvailable (/proc/meminfo) are only reserved, never touched:
 * the program frees the block and exits 2, unless --touch-anyway.
 * If malloc itself fails (vm.overcommit_memory 0 refuses one request larger
 * than RAM + swap; 2 refuses anything beyond CommitLimit) the failure is
 * reported and the block is mapped with mmap(MAP_NORESERVE) instead, which
 * modes 0 and 1 do not count (mode 2 does: that fails too, exit 1).
 *
 * Try beside it (second terminal, at a pause):
 *   grep -E 'Vm(Size|RSS|Data)' /proc/PID/status
 *   ps -o min_flt,maj_flt,rss,vsz -p PID
 *   pmap -x PID            the big anonymous mapping and its RSS
 *   grep -A3 -m1 -e '-rw-p 00000000 00:00 0 ' /proc/PID/smaps
 *   perf stat -e page-faults heap/lazy_alloc
 *   cat /proc/sys/vm/overcommit_memory; grep Commit /proc/meminfo
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
#include <unistd.h>

static const char *prog = "lazy_alloc";
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
	fprintf(f, "usage: %s [-s SIZE] [--touch-anyway] [--step] [--help]\n",
		prog);
}

static void usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s\n", prog, msg, arg ? ": " : "",
		arg ? arg : "");
	usage(stderr);
	exit(2);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
	       "Allocate SIZE bytes with malloc and watch VmSize, VmRSS,\n"
	       "VmData (/proc/self/status) and the minor-fault count step by\n"
	       "step:\n"
	       "after malloc, after reading every page, after writing every\n"
	       "other page, after writing every page, after free.\n"
	       "\n"
	       "  -s, --size SIZE   bytes to allocate, K/M/G/T suffixes\n"
	       "                    (powers of 1024); default 256M, least 1M\n"
	       "      --touch-anyway  touch the block even if SIZE is more\n"
	       "                    than MemAvailable (may wake the OOM\n"
	       "                    killer)\n"
	       "      --step        pause at each step (also MEMTOUR_STEP=1)\n"
	       "      --help        this text\n"
	       "\n"
	       "Exit status: 0 done; 1 a system call failed; 2 usage error,\n"
	       "or SIZE above MemAvailable without --touch-anyway (the block\n"
	       "is then reserved and freed, never touched).\n");
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

/* "256 MiB", "1.5 GiB": a human reading of a byte count. */
static const char *human(unsigned long long b)
{
	static char buf[4][32];
	static int i;
	const char *unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB",
			       "EiB" };
	unsigned long long whole = b;
	int u = 0;
	char *s = buf[i++ % 4];

	while (whole >= 1024 && u < 6) {
		whole /= 1024;
		u++;
	}
	if (u == 0 || b % (1ULL << (10 * u)) == 0)
		snprintf(s, 32, "%llu %s", whole, unit[u]);
	else
		snprintf(s, 32, "%.1f %s", (double)b / (1ULL << (10 * u)),
			 unit[u]);
	return s;
}

/* Read a whole small file (/proc) into a static buffer with open/read:
 * stdio would malloc a buffer and disturb what we measure. */
static const char *slurp(const char *path)
{
	static char buf[16384];
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* The number after "NAME:" in a "NAME:   1234 kB" style file; -1 if none. */
static long long field(const char *text, const char *name)
{
	size_t len = strlen(name);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, name, len) == 0 && p[len] == ':')
			return strtoll(p + len + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* Print the table's header line through the very library calls a pause
 * makes (vprintf, putchar, fflush, getpid, read), so that they have run
 * once before the first figures are taken: the first call into a page of
 * libc's code faults it in, with up to 64 KiB of its cached neighbours
 * (the kernel's fault-around), and that would move VmRSS between a row
 * and its pause. */
static void header(const char *fmt, ...)
{
	va_list ap;
	char c;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	(void)getpid();
	if (read(STDIN_FILENO, &c, 0) < 0)
		c = 0;
}

struct snap {
	long long vmsize, vmrss, vmdata;	/* kB */
	long minflt;
};

static struct snap take(void)
{
	struct snap s;
	struct rusage ru;
	const char *st = slurp("/proc/self/status");

	if (!st)
		die("open /proc/self/status");
	s.vmsize = field(st, "VmSize");
	s.vmrss = field(st, "VmRSS");
	s.vmdata = field(st, "VmData");
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		die("getrusage");
	s.minflt = ru.ru_minflt;
	return s;
}

static void row(const char *name, struct snap *s)
{
	printf("%-11s %11lld %11lld %11lld %9ld\n", name, s->vmsize, s->vmrss,
	       s->vmdata, s->minflt);
}

static void delta(struct snap *a, struct snap *b)
{
	printf("    since last step: VmSize %+lld kB, VmRSS %+lld kB, "
	       "minflt %+ld\n", b->vmsize - a->vmsize, b->vmrss - a->vmrss,
	       b->minflt - a->minflt);
}

static int thp_note(void)
{
	const char *t = slurp("/sys/kernel/mm/transparent_hugepage/enabled");
	const char *mode = "unknown";
	char huge[48] = "huge page";

	if (t && strstr(t, "[always]"))
		mode = "always";
	else if (t && strstr(t, "[madvise]"))
		mode = "madvise";
	else if (t && strstr(t, "[never]"))
		mode = "never";
	printf("thp_mode: %s\n", mode);
	/* The huge page size: 2 MiB on x86_64, more on arm64 with 16K or
	 * 64K pages. */
	t = slurp("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
	if (t && strtoull(t, NULL, 10) > 0)
		snprintf(huge, sizeof(huge), "%s huge page",
			 human(strtoull(t, NULL, 10)));
	/* Before the malloc: even malloc's first write (its chunk header)
	 * could otherwise fault in a whole huge page. */
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0) {
		printf("thp: disabled for this process with "
		       "prctl(PR_SET_THP_DISABLE)\n"
		       "    so one write faults in one %ld-byte page, not a\n"
		       "    %s, even when THP is \"always\"\n",
		       sysconf(_SC_PAGESIZE), huge);
		return 1;
	}
	printf("thp: prctl(PR_SET_THP_DISABLE) failed (%s);\n"
	       "    madvise(MADV_NOHUGEPAGE) on the block instead\n",
	       strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "touch-anyway", no_argument, NULL, 'T' },
		{ "step", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *env = getenv("MEMTOUR_STEP");
	size_t size = 256UL << 20, ps = sysconf(_SC_PAGESIZE);
	size_t pages, first, i, half = 0, all = 0;
	long long avail_kb, mode;
	int touch_anyway = 0, use_mmap = 0, thp_off, c;
	volatile char *block;
	struct snap s0, s1;
	const char *mi;
	void *p;

	if (env && *env && strcmp(env, "0") != 0)
		step_mode = 1;
	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":hs:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_size(optarg, &size) < 0)
				usage_error("bad size (a positive number, "
					    "optional K/M/G/T)", optarg);
			break;
		case 'T':
			touch_anyway = 1;
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
	if (optind < argc)
		usage_error("unexpected argument", argv[optind]);
	if (size < (1UL << 20))
		usage_error("size below 1M (so small a block could come "
			    "from the heap, not mmap)", NULL);

	mi = slurp("/proc/meminfo");
	avail_kb = mi ? field(mi, "MemAvailable") : -1;
	mi = slurp("/proc/sys/vm/overcommit_memory");
	mode = mi ? strtoll(mi, NULL, 10) : -1;

	printf("size: %zu (%s)\n", size, human(size));
	printf("page_size: %zu\n", ps);
	printf("mem_available: %lld kB (%s)\n", avail_kb,
	       human(avail_kb * 1024ULL));
	printf("overcommit_memory: %lld (%s)\n", mode,
	       mode == 0 ? "heuristic" : mode == 1 ? "always" :
	       mode == 2 ? "strict: CommitLimit" : "unknown");
	thp_off = thp_note();
	putchar('\n');
	header("%-11s %11s %11s %11s %9s", "step", "VmSize(kB)", "VmRSS(kB)",
	       "VmData(kB)", "minflt");

	s0 = take();
	row("start", &s0);
	step("start; try: grep Vm /proc/%ld/status", (long)getpid());

	p = malloc(size);
	if (!p) {
		int e = errno;

		printf("    malloc(%zu) failed: %s\n", size, strerror(e));
		fprintf(stderr, "%s: malloc %s: %s\n", prog, human(size),
			strerror(e));
		if (mode == 0)
			printf("    vm.overcommit_memory=0 refuses a single "
			       "request larger than RAM + swap\n");
		else if (mode == 2)
			printf("    vm.overcommit_memory=2 refuses what would "
			       "push Committed_AS past CommitLimit\n");
		printf("    trying mmap(MAP_NORESERVE): mode 0 and 1 do not "
		       "count such a mapping\n");
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			if (mode == 2)
				printf("    (strict mode counts it anyway)\n");
			fflush(stdout);
			die("mmap MAP_NORESERVE");
		}
		use_mmap = 1;
	}
	block = p;
	printf("malloc_failed: %s\n", use_mmap ? "yes" : "no");
	printf("via: %s\n", use_mmap ? "mmap" : "malloc");
	printf("block: %p\n", p);
	/* Without THP support madvise says EINVAL: no huge pages anyway. */
	if (!thp_off && madvise((void *)((uintptr_t)p & ~(ps - 1)),
				size + ((uintptr_t)p & (ps - 1)),
				MADV_NOHUGEPAGE) < 0 && errno != EINVAL)
		die("madvise MADV_NOHUGEPAGE");

	/* The whole pages inside the block: malloc's 16-byte header moves
	 * the block off a page boundary, so the first partial page (which
	 * holds the header and is already resident) is left out. */
	first = ((uintptr_t)p + ps - 1) & ~(ps - 1);
	pages = ((uintptr_t)p + size - first) / ps;
	printf("pages: %zu\n", pages);

	s1 = take();
	row("malloc", &s1);
	delta(&s0, &s1);
	printf("    VmSize grew by the block: address space, no memory yet\n");
	step("malloc; try: grep Vm /proc/%ld/status", (long)getpid());
	s0 = s1;

	if (avail_kb >= 0 && size / 1024 > (unsigned long long)avail_kb &&
	    !touch_anyway) {
		printf("    not touching it: %s is more than MemAvailable "
		       "(%s)\n", human(size), human(avail_kb * 1024ULL));
		fprintf(stderr, "%s: not touching %s: more than "
			"MemAvailable (%s);\n"
			"writing it would run the system out of memory "
			"(--touch-anyway to insist)\n", prog, human(size),
			human(avail_kb * 1024ULL));
		usage(stderr);
		if (use_mmap)
			munmap(p, size);
		else
			free(p);
		s1 = take();
		row("free", &s1);
		delta(&s0, &s1);
		step("free; try: grep -E 'Vm(Size|RSS)' /proc/%ld/status",
		     (long)getpid());
		return 2;
	}

	/* volatile: each load really happens. What it loads (zeros, from
	 * the zero page) is indeterminate to C: we do not use it. */
	for (i = 0; i < pages; i++)
		(void)block[first - (uintptr_t)p + i * ps];
	s1 = take();
	row("read", &s1);
	delta(&s0, &s1);
	printf("    read %zu pages: each read fault maps the one shared\n"
	       "    zero page, so VmRSS stays flat (only the page tables\n"
	       "    grow: VmPTE in /proc/PID/status)\n", pages);
	step("read every page; try: grep VmRSS /proc/%ld/status",
	     (long)getpid());
	s0 = s1;

	for (i = 0; i < pages; i += 2, half++)
		block[first - (uintptr_t)p + i * ps] = 1;
	printf("written_half: %zu\n", half);
	s1 = take();
	row("write-half", &s1);
	delta(&s0, &s1);
	printf("    wrote every other page: %zu pages, %zu kB; each write\n"
	       "    fault gives its page a frame of its own\n", half,
	       half * ps / 1024);
	step("wrote half the pages; try: ps -o min_flt,rss -p %ld",
	     (long)getpid());
	s0 = s1;

	for (i = 0; i < pages; i++)
		block[first - (uintptr_t)p + i * ps] = 2;
	all = pages;
	printf("written_all: %zu\n", all);
	s1 = take();
	row("write-all", &s1);
	delta(&s0, &s1);
	printf("    wrote every page: %zu more pages faulted in (the other\n"
	       "    half was already there: no fault)\n", all - half);
	step("wrote every page; try: ps -o min_flt,rss -p %ld",
	     (long)getpid());
	s0 = s1;

	if (use_mmap)
		munmap(p, size);
	else
		free(p);
	s1 = take();
	row("free", &s1);
	delta(&s0, &s1);
	printf("    free gave the range back (%s):\n"
	       "    VmSize and VmRSS drop\n",
	       use_mmap ? "munmap" : "a block this big is mmapped");
	step("free; try: grep -E 'Vm(Size|RSS)' /proc/%ld/status",
	     (long)getpid());
	return 0;
}
