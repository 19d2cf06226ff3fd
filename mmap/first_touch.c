/* SPDX-License-Identifier: MIT */
/* first_touch.c - reading untouched memory, private and shared anonymous
 *
 * A common belief: the kernel allocates private memory at its first touch
 * and holds back shared memory until a write. It is the other way round.
 * This program maps 64 MiB of each kind, reads one byte of every page and
 * prints RssAnon and RssShmem from /proc/self/status before and after:
 *
 *   - private anonymous (MAP_PRIVATE | MAP_ANONYMOUS): the reads map the
 *     kernel's one zero page everywhere; RssAnon does not move. A write
 *     would later copy it (copy-on-write) into a page of this process.
 *   - shared anonymous (MAP_SHARED | MAP_ANONYMOUS): the memory is a file
 *     on the kernel's internal tmpfs (maps shows "/dev/zero (deleted)").
 *     A read fault puts a real zeroed page into that file, because every
 *     process sharing it must see one and the same page; RssShmem grows by
 *     the whole size.
 *
 * Some guest kernels turn the zero page off (a PVM guest booted with
 * pvm_no_zero_page=1): there the private read allocates too, and the
 * program says so.
 *
 * Run:   mmap/first_touch           (64 MiB)
 *        mmap/first_touch -s 16M --step
 *
 * Try beside it, at each pause: grep -E '^(RssAnon|RssShmem):'
 * /proc/PID/status, and pmap -X PID for the two mappings.
 */
#include "../res/memtour.h"
#include <sys/mman.h>
#include <sys/resource.h>

static size_t size = 64 << 20;
static int size_given;
static void options(int argc, char **argv);

/* Map size bytes of one kind, one small page per fault. */
static volatile char *map(int kind)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, kind |
		       MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		mt_die("mmap %zu bytes", size);
	madvise(p, size, MADV_NOHUGEPAGE);
	mt_maps_print("maps", p, 1);
	return p;
}

/* One byte of every page, read and thrown away. */
static void read_every_page(volatile char *p)
{
	size_t i;

	for (i = 0; i < size; i += mt_pagesize())
		(void)p[i];
}

/* Where the kernel says why it has no zero page: its command line. */
static int no_zero_page_option(void)
{
	static struct mt_lines l;	/* static: 12 KiB of stack is RssAnon */
	const char *s;
	int found = 0;

	if (mt_lines_open(&l, "/proc/cmdline") < 0)
		return 0;
	while ((s = mt_lines_next(&l)))
		if (strstr(s, "pvm_no_zero_page=1"))
			found = 1;
	return found;
}

/* Touch this program's own zero-initialised data (its bss, from edata to
 * end: see end(3)) and 64 KiB of stack now (less if ulimit -s is smaller).
 * printf and the pauses use both, and a page of them written first
 * between two readings would count in RssAnon too. (A sanitizer build
 * would call the bss walk an overflow: it is one, on purpose, through
 * memory this program owns.) */
__attribute__((no_sanitize_address)) static void settle(void)
{
	extern char edata, end;
	struct rlimit rl;
	size_t n = 64 * 1024, i;
	uintptr_t a;

	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur / 4 < n)
		n = rl.rlim_cur / 4;
	volatile char pad[n];

	for (a = (uintptr_t)&edata; a < (uintptr_t)&end; a += 256)
		*(volatile char *)a = *(volatile char *)a;
	for (i = 0; i < n; i += 256)
		pad[i] = 0;
	(void)pad[0];
}

/* "RssAnon before reading: 1234 kB", and the figure. */
static long show(const char *field, const char *when)
{
	long kb = mt_status_kb(field);

	if (kb < 0)
		mt_fail("/proc/self/status has no %s line", field);
	printf("%s %s: %ld kB\n", field, when, kb);
	return kb;
}

int main(int argc, char **argv)
{
	volatile char *p;
	long before, after, avail;
	int pid, no_zero_page;

	mt_init(argv);
	options(argc, argv);
	pid = (int)getpid();
	no_zero_page = no_zero_page_option();
	settle();

	/* The shared pass allocates the whole size: it must fit. */
	avail = mt_kb_field("/proc/meminfo", NULL, "MemAvailable");
	if (avail >= 0 && size / 1024 > (size_t)avail / 2) {
		if (size_given)
			mt_fail("-s %zu: more than half of MemAvailable "
				"(%ld kB); give a smaller size", size, avail);
		size = mt_page_round((size_t)avail / 4 * 1024);
		printf("(64 MiB is more than half of MemAvailable: lowered)\n");
	}
	printf("size: %zu (%s), %zu pages\n", size, mt_human(size),
	       size / mt_pagesize());

	/* 1. Private anonymous memory, read but never written. */
	printf("\nprivate anonymous mapping\n");
	p = map(MAP_PRIVATE);
	before = show("RssAnon", "before reading");
	mt_pause("private mapping made, nothing read yet; try: grep -E "
		 "'^(RssAnon|RssShmem):' /proc/%d/status", pid);
	read_every_page(p);
	after = show("RssAnon", "after reading");
	printf("RssAnon grew by: %ld kB\n", after - before);
	if ((after - before) * 1024 < (long)size / 100)
		printf("Every page read maps the kernel's one zero page: no "
		       "memory is taken until\na write copies it into a page "
		       "of this process (copy-on-write).\n");
	else
		printf("This kernel gave every read fault a page of its own: it "
		       "does not map the\nzero page%s. A standard kernel leaves "
		       "RssAnon flat here.\n", no_zero_page ?
		       " (its command line sets pvm_no_zero_page=1,\na PVM "
		       "guest option)" : " (some guest kernels turn it off)");
	mt_pause("private pages read; try: grep -E '^(RssAnon|RssShmem):' "
		 "/proc/%d/status", pid);
	if (munmap((void *)p, size) < 0)
		mt_die("munmap");

	/* 2. Shared anonymous memory, read but never written. */
	printf("\nshared anonymous mapping\n");
	p = map(MAP_SHARED);
	before = show("RssShmem", "before reading");
	mt_pause("shared mapping made, nothing read yet; try: grep -E "
		 "'^(RssAnon|RssShmem):' /proc/%d/status", pid);
	read_every_page(p);
	after = show("RssShmem", "after reading");
	printf("RssShmem grew by: %ld kB\n", after - before);
	printf("A shared anonymous mapping is a file on the kernel's "
	       "internal tmpfs. A read\nfault puts a real zeroed page into "
	       "that file: every process sharing it must\nsee the same page, "
	       "and one that mapped the zero page would go on reading\nzeros "
	       "after another wrote.\n");
	mt_pause("shared pages read; try: grep -E '^(RssAnon|RssShmem):' "
		 "/proc/%d/status", pid);
	if (munmap((void *)p, size) < 0)
		mt_die("munmap");
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
	mt_help =
		"\nReads every page of untouched private and shared anonymous "
		"memory and shows\nRssAnon and RssShmem before and after: the "
		"private read takes no memory\n(the zero page), the shared "
		"read takes the whole size.\n\n"
		"  -s, --size SIZE   size of each mapping (default 64M; K, M, "
		"G; at most half\n"
		"                    of MemAvailable)\n"
		"      --step        pause at each step (or MEMTOUR_STEP=1)\n"
		"  -h, --help        this help\n";
	while ((c = mt_getopt(argc, argv, "s:", longopts)) != -1)
		switch (c) {
		case 's':
			size = mt_page_round(mt_size_arg("-s", optarg, 1,
							  1ULL << 40));
			size_given = 1;
			break;
		}
	mt_no_operands(argc, argv);
}
