/* SPDX-License-Identifier: MIT */
/* soft_dirty.c - pages written since a moment: the soft-dirty bit
 *
 * Bit 55 of a pagemap entry is "soft-dirty": the kernel sets it when a page
 * is written, and writing 4 to /proc/PID/clear_refs clears it for every
 * page of the process. Clear, let the program run, read pagemap: the pages
 * with bit 55 set are exactly those written since the clear. That is how
 * checkpoint/restore (CRIU) copies a running process in rounds, and how
 * incremental snapshots find what changed.
 *
 * This program maps a few pages, writes them all, clears the bits, writes
 * every third page, and prints bit 55 of each page after each step. Kernels
 * built without CONFIG_MEM_SOFT_DIRTY (arm64, and some x86_64 builds) never
 * set the bit: the mapping's VmFlags in smaps then has no "sd", and the
 * program says so. Linux 6.7 and later offer the PAGEMAP_SCAN ioctl on
 * pagemap, with a userfaultfd in asynchronous write-protect mode, for the
 * same job on any kernel that has userfaultfd.
 *
 * Run:  ./soft_dirty [-n PAGES] [--step]   (--help: all options)
 * With --step, in a second terminal, the raw entries (bit 55 is 0x0080...):
 *   dd if=/proc/PID/pagemap bs=8 skip=PAGE count=N 2>/dev/null \
 *     | od -v -An -tx8 -w8
 */
#include "../res/memtour.h"
#include <sys/mman.h>

#define SOFT_DIRTY (1ULL << 55)

static size_t npages = 16;		/* -n */
static size_t ps;
static void options(int argc, char **argv);

/* Bit 55 of each page, one character a page: # set, . clear. */
static size_t row(const char *step, const char *p)
{
	static uint64_t e[64];
	size_t i, n = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || pread(fd, e, npages * 8, (off_t)((uintptr_t)p / ps * 8))
	    != (ssize_t)(npages * 8))
		mt_die("read /proc/self/pagemap");
	close(fd);
	printf("%-22s ", step);
	for (i = 0; i < npages; i++) {
		n += !!(e[i] & SOFT_DIRTY);
		putchar(e[i] & SOFT_DIRTY ? '#' : '.');
	}
	printf(" %zu\n", n);
	return n;
}

/* VmFlags "sd": the kernel tracks soft-dirty in the mapping at p. */
static int tracked(const char *p)
{
	static struct mt_lines l;
	const char *s;
	unsigned long a, b;
	int inside = 0, sd = 0;

	if (mt_lines_open(&l, "/proc/self/smaps") < 0)
		mt_die("/proc/self/smaps");
	while ((s = mt_lines_next(&l)))
		if (sscanf(s, "%lx-%lx ", &a, &b) == 2)
			inside = a == (uintptr_t)p;
		else if (inside && !strncmp(s, "VmFlags:", 8))
			sd = strstr(s, " sd") != NULL;
	return sd;
}

static void stop(const char *what, const char *p)
{
	mt_pause("%s; try: dd if=/proc/%ld/pagemap bs=8 skip=%lu count=%zu "
		 "2>/dev/null | od -v -An -tx8 -w8", what, (long)getpid(),
		 (unsigned long)((uintptr_t)p / ps), npages);
}

int main(int argc, char **argv)
{
	char *p;
	size_t i, written = 0;
	int fd;

	mt_init(argv);
	options(argc, argv);
	ps = mt_pagesize();
	p = mmap(NULL, npages * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		mt_die("mmap");
	/* Small pages only: one write, one page (and one bit). */
	if (madvise(p, npages * ps, MADV_NOHUGEPAGE) != 0 && errno != EINVAL)
		mt_die("madvise");
	printf("page size: %zu\n", ps);
	printf("region: %p, %zu pages (private anonymous)\n", (void *)p,
	       npages);
	printf("soft-dirty tracking: %s\n\n", tracked(p) ? "yes (VmFlags has "
	       "'sd')" : "no (VmFlags in smaps has no 'sd')");
	printf("%-22s %-*s %s\n", "step", (int)npages, "bit 55 of each page",
	       "set");

	memset(p, 1, npages * ps);
	row("wrote every page", p);
	stop("every page written", p);
	/* Writing 4 to clear_refs clears every soft-dirty bit. */
	fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "4", 1) != 1)
		mt_die("write 4 to /proc/self/clear_refs");
	close(fd);
	row("cleared (clear_refs 4)", p);
	stop("soft-dirty bits cleared", p);

	for (i = 1; i < npages; i += 3, written++)
		p[i * ps] = 2;
	row("wrote every third", p);
	printf("written since the clear: %zu pages:", written);
	for (i = 1; i < npages; i += 3)
		printf(" %zu", i);
	putchar('\n');
	if (!tracked(p))
		printf("\nno soft-dirty here: the kernel was built without "
		       "CONFIG_MEM_SOFT_DIRTY\n(arm64 has none), so bit 55 "
		       "stays 0 and clear_refs 4 changes nothing.\n"
		       "Where it works, checkpoint/restore (CRIU) and "
		       "incremental snapshots\nclear the bits, let a program "
		       "run, then copy only the pages written since.\n"
		       "Linux 6.7 and later do it with the PAGEMAP_SCAN "
		       "ioctl on pagemap and a\nuserfaultfd in asynchronous "
		       "write-protect mode.\n");
	stop("wrote every third page", p);
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pages", required_argument, NULL, 'n' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-n PAGES] [--step]";
	mt_help = "\nClears the soft-dirty bits (bit 55 of pagemap), writes "
		  "every third page,\nand shows which bits the kernel set "
		  "again.\n\n  -n, --pages PAGES  pages in the region (2 to "
		  "48, default 16)\n  --step             pause after each "
		  "step\n";
	while ((c = mt_getopt(argc, argv, "n:", longopts)) != -1)
		if (c == 'n')
			npages = mt_count_arg("-n", optarg, 2, 48);
	mt_no_operands(argc, argv);
}
