/* SPDX-License-Identifier: MIT */
/* peek.c - any process's pages through pagemap: one page cache, ranges
 *
 * /proc/PID/pagemap holds one 64-bit entry per virtual page of process PID:
 * present (bit 63), swapped (62), file page or shared anonymous (61),
 * exclusive: mapped by this process only (56), soft-dirty (55) and the page
 * frame number (bits 0-54; 0 unless you are root). This program reads it:
 *
 *   peek                       its own program text, libc text and a
 *                              written data page. Run it twice: both
 *                              copies map the same text and libc frames
 *                              (one page cache), each its own data frame
 *   peek --pid PID ADDR...     the entries of addresses of process PID
 *   peek [--pid PID] --range START END    which pages of a range are
 *   peek [--pid PID] --range NAME         present, one character a page,
 *                              for addresses or a mapping ([heap], libc.so.6)
 *   peek --help                all the options
 *
 * Addresses are hex, as /proc/PID/maps shows them ("0x" optional). Reading
 * another user's process needs root. Try beside it:
 *   grep -F '[heap]' /proc/PID/maps     then  peek --pid PID --range [heap]
 *   pmap -X PID                         Rss per mapping: the present pages
 */
#include "../res/memtour.h"
#include <sys/mman.h>

#define PRESENT (1ULL << 63)
#define SWAPPED (1ULL << 62)
#define FILE_OR_SHARED (1ULL << 61)
#define EXCLUSIVE (1ULL << 56)
#define SOFT_DIRTY (1ULL << 55)
#define PFN_MASK ((1ULL << 55) - 1)
#define MAX_PAGES 65536			/* the largest --range */

static pid_t pid;			/* --pid, or this process */
static int range;			/* --range */
static char **operands;			/* ADDR..., START END, or NAME */
static int noperands;
static size_t ps;
static int pagemap_fd;
static int pfn_hidden;			/* a present page read as frame 0 */
static void options(int argc, char **argv);

/* Open /proc/PID/pagemap, or say clearly why it cannot be read. */
static void open_pagemap(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/pagemap", (long)pid);
	pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pagemap_fd >= 0)
		return;
	if (errno == ENOENT)
		mt_fail("no process %ld", (long)pid);
	if (errno == EACCES || errno == EPERM)
		mt_fail("%s: %s: only its owner or root may read it", path,
			strerror(errno));
	mt_die("%s", path);
}

/* n entries from the page holding addr on: 8 bytes each at page * 8. */
static void entries(uintptr_t addr, uint64_t *e, size_t n)
{
	ssize_t r = pread(pagemap_fd, e, n * 8, (off_t)(addr / ps * 8));

	if (r < 0)
		mt_die("read pagemap of pid %ld at 0x%lx", (long)pid,
		       (unsigned long)addr);
	if (r != (ssize_t)(n * 8))	/* [vsyscall]: above user space */
		mt_fail("0x%lx is past the end of pagemap: it covers user "
			"space only", (unsigned long)(addr + (size_t)r / 8 * ps));
}

/* One row: the entry decoded, flags as p s f x d ('-' when clear). */
static void row(const char *what, uintptr_t addr)
{
	static const char letters[] = "psfxd";
	static const uint64_t bits[] = { PRESENT, SWAPPED, FILE_OR_SHARED,
					 EXCLUSIVE, SOFT_DIRTY };
	char flags[6] = "-----", pfn[40] = "-";
	uint64_t e;
	int i;

	entries(addr, &e, 1);
	for (i = 0; i < 5; i++)
		if (e & bits[i])
			flags[i] = letters[i];
	if (e & SWAPPED)
		snprintf(pfn, sizeof(pfn), "swap type %llu offset 0x%llx",
			 (unsigned long long)(e & 31),
			 (unsigned long long)((e & PFN_MASK) >> 5));
	else if (e & PRESENT)
		snprintf(pfn, sizeof(pfn), (e & PFN_MASK) ? "0x%llx" : "hidden",
			 (unsigned long long)(e & PFN_MASK));
	/* The kernel decides what a reader sees, by its capability (not
	 * its uid: root of a user namespace reads 0 too). */
	if ((e & PRESENT) && !(e & SWAPPED) && !(e & PFN_MASK))
		pfn_hidden = 1;
	printf("%-13.13s 0x%-14lx 0x%016llx %s %s\n", what,
	       (unsigned long)addr, (unsigned long long)e, flags, pfn);
}

static void header(void)
{
	printf("flags: p present, s swapped, f file or shared, x exclusive, "
	       "d soft-dirty\n\n%-13s %-16s %-18s %-5s %s\n", "page",
	       "address", "pagemap entry", "flags", "pfn");
}

static void pfn_note(void)
{
	if (pfn_hidden)
		printf("\npfn hidden: frame numbers are shown to CAP_SYS_ADMIN "
		       "(root) only; run as root\nto compare frames.\n");
}

/* Default: this process's own pages, one of each kind. */
static char data[65536] __attribute__((aligned(65536)));

static void own_pages(const char *self)
{
	static struct mt_lines l;
	static struct mt_mapping m, libc;
	const char *s, *base;

	if (mt_lines_open(&l, "/proc/self/maps") < 0)
		mt_die("/proc/self/maps");
	while ((s = mt_lines_next(&l)))		/* libc's code: libc.so.6 */
		if (mt_parse_maps_line(s, &m) == 0 && m.perms[2] == 'x' &&
		    (base = strrchr(m.path, '/')) && !libc.start &&
		    (!strncmp(base, "/libc.", 6) ||
		     !strncmp(base, "/ld-musl", 8)))
			libc = m;
	data[0] = 1;			/* a data page of its own */
	if (libc.start)			/* map libc's page: read it */
		(void)*(volatile const char *)libc.start;
	header();
	row("program text", (uintptr_t)own_pages / ps * ps);
	if (libc.start)
		row("libc text", libc.start);
	else
		printf("libc text: no shared libc in this process (a static "
		       "program)\n");
	row("written data", (uintptr_t)data);
	pfn_note();
	mt_pause("run a second copy: the same text frames, its own data "
		 "frame; try: %s", self);
}

/* --range: one character a page, 64 pages a line, and the counts. */
static void range_map(uintptr_t start, uintptr_t end)
{
	static uint64_t e[64];
	size_t n, i, present = 0, swapped = 0;

	printf("range: 0x%lx-0x%lx (%zu pages)\n"
	       "# present, s swapped, . not present\n\n",
	       (unsigned long)start, (unsigned long)end, (end - start) / ps);
	for (; start < end; start += n * ps) {
		n = (end - start) / ps < 64 ? (end - start) / ps : 64;
		entries(start, e, n);
		printf("0x%lx ", (unsigned long)start);
		for (i = 0; i < n; i++) {
			present += !!(e[i] & PRESENT);
			swapped += !!(e[i] & SWAPPED);
			putchar(e[i] & PRESENT ? '#' : e[i] & SWAPPED ? 's' : '.');
		}
		putchar('\n');
	}
	printf("\npresent: %zu\nswapped: %zu\n", present, swapped);
}

/* --range NAME: the first mapping whose path or file name is NAME. */
static void named_range(const char *name, uintptr_t *start, uintptr_t *end)
{
	static struct mt_lines l;
	static struct mt_mapping m;
	char path[64];
	const char *s, *base;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	if (mt_lines_open(&l, path) < 0)
		mt_die("%s", path);
	while ((s = mt_lines_next(&l)))
		if (mt_parse_maps_line(s, &m) == 0 && m.path[0] &&
		    (base = strrchr(m.path, '/'), !strcmp(m.path, name) ||
		     (base && !strcmp(base + 1, name)))) {
			mt_lines_close(&l);
			*start = m.start;
			*end = m.end;
			return;
		}
	mt_fail("no mapping named '%s' in pid %ld (see %s)", name, (long)pid,
		path);
}

int main(int argc, char **argv)
{
	static char self[PATH_MAX];
	uintptr_t start, end;
	ssize_t n;
	int i;

	mt_init(argv);
	ps = mt_pagesize();
	pid = getpid();
	options(argc, argv);
	open_pagemap();
	if (range) {
		if (noperands == 1) {
			named_range(operands[0], &start, &end);
		} else {
			start = mt_addr_arg(operands[0]) / ps * ps;
			end = mt_addr_arg(operands[1]);
			if (end <= start)
				mt_usage_error("--range: END must be above "
					       "START");
			end = end > UINTPTR_MAX - ps ? end / ps * ps :
			      (end + ps - 1) / ps * ps;
		}
		if ((end - start) / ps > MAX_PAGES)
			mt_usage_error("--range: %lu pages, more than %d",
				       (unsigned long)((end - start) / ps),
				       MAX_PAGES);
		range_map(start, end);
	} else if (noperands) {
		static struct mt_mapping m;

		for (i = 0; i < noperands; i++)
			if (mt_maps_find(pid, (void *)mt_addr_arg(operands[i]),
					 &m) != 0)
				mt_fail("%s is not mapped in pid %ld (see "
					"/proc/%ld/maps)", operands[i],
					(long)pid, (long)pid);
		header();
		for (i = 0; i < noperands; i++) {
			start = mt_addr_arg(operands[i]);
			mt_maps_find(pid, (void *)start, &m);
			row(m.path[0] ? (strrchr(m.path, '/') ?
				strrchr(m.path, '/') + 1 : m.path) :
				"anonymous", start);
		}
		pfn_note();
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		own_pages(self);
	}
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "range", no_argument, NULL, 'r' },
		MT_COMMON_OPTIONS
	};
	int c, given = 0;

	mt_usage = "[--pid PID] [ADDR... | --range START END | --range NAME]";
	mt_help = "\nWith no arguments: this program's text, libc's text and "
		  "a data page.\n\n  --pid PID     read process PID "
		  "(default: this one)\n  ADDR...       decode the pages of "
		  "these hex addresses\n  --range START END   a map of the "
		  "pages present, one character a page\n  --range NAME  the "
		  "same for a mapping: [heap], [stack], libc.so.6\n"
		  "  --step        with no arguments, pause after the table\n";
	while ((c = mt_getopt(argc, argv, "", longopts)) != -1)
		if (c == 'p')
			pid = (pid_t)mt_count_arg("--pid", optarg, 1, INT_MAX),
			given = 1;
		else
			range = 1;
	operands = argv + optind;
	noperands = argc - optind;
	if (range && noperands != 1 && noperands != 2)
		mt_usage_error("--range needs START END or a mapping name");
	if (given && !range && !noperands)
		mt_usage_error("--pid needs addresses or --range");
	for (c = 0; c < noperands && !(range && noperands == 1); c++)
		mt_addr_arg(operands[c]);	/* a usage error if malformed */
}
