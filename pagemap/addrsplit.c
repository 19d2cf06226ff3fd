/* SPDX-License-Identifier: MIT */
/* addrsplit.c - page-table indices of an address; where pagemap ends
 *
 * The CPU translates a virtual address by walking a tree of page tables.
 * Each table is one page of 8-byte entries (512 with 4 KiB pages), so each
 * level takes 9 bits of the address as its index; the low 12 bits are the
 * offset inside the page. On x86_64 with 4-level paging:
 *
 *   63..48 sign | 47..39 PGD | 38..30 PUD | 29..21 PMD | 20..12 PTE | 11..0
 *
 * so one last-level table maps 512 pages, 2 MiB, and one PMD entry can map
 * a 2 MiB huge page directly. This program draws that split for addresses
 * of its own (stack, heap, text...), says what one entry and one table of
 * each level map, and then measures how large /proc/self/pagemap really is:
 * a binary search for the first entry pread cannot read. That end is the
 * end of user space (47 bits on x86_64 with 4-level paging, 56 with 5-level;
 * aarch64: 39 to 52 bits, with 4, 16 or 64 KiB pages), not 2^52 entries.
 *
 * Run:  ./addrsplit [--step]   (--help: all options)
 * Try beside it (from the pause lines):
 *   a=0x7ffd5e3c1a2c; printf '%d %d %d %d 0x%x\n' $((a>>39&511)) ...
 *   dd if=/proc/PID/pagemap of=/dev/null bs=8 skip=LAST count=2  (1 record)
 *   grep -m1 -o -w la57 /proc/cpuinfo            can this CPU do 5 levels?
 */
#include "../res/memtour.h"

static size_t ps;
static int offset_bits, level_bits, va_bits, levels;
static void options(int argc, char **argv);

static const char *level_name(int i)	/* i = 0: the top level */
{
	static const char *const lower[] = { "P4D", "PUD", "PMD", "PTE" };

	return i == 0 ? "PGD" : lower[4 - levels + i];
}

/* Bit lo of the field of level i: the offset's bits, then one level's. */
static int level_lo(int i)
{
	return offset_bits + (levels - 1 - i) * level_bits;
}

static int level_width(int i)	/* the top level may have fewer bits */
{
	return i == 0 ? va_bits - level_lo(0) : level_bits;
}

static unsigned long field(uintptr_t a, int lo, int bits)
{
	return (unsigned long)(a >> lo) & ((1UL << bits) - 1);
}

/* The address cut into its fields, as a box. */
static void figure(const char *what, uintptr_t a)
{
	int i, top = va_bits < 64, nf = top + levels + 1;
	char cell[8][24], border[96] = "         +";

	for (i = 0; i < nf; i++)
		strcat(border, "--------+");
	printf("\n%s: 0x%016lx\n\n  bits   ", what, (unsigned long)a);
	if (top)
		printf(" %-8s", (snprintf(cell[0], 24, "%d-%d", 63, va_bits),
				 cell[0]));
	for (i = 0; i < levels; i++)
		printf(" %-8s", (snprintf(cell[0], 24, "%d-%d", level_lo(i) +
					  level_width(i) - 1, level_lo(i)),
				 cell[0]));
	printf(" %d-0\n%s\n  name   |", offset_bits - 1, border);
	snprintf(cell[0], 24, "0x%lx", (unsigned long)(a >> va_bits % 64));
	for (i = 0; i < levels; i++)
		snprintf(cell[top + i], 24, "%lu", field(a, level_lo(i),
							 level_width(i)));
	snprintf(cell[top + levels], 24, "0x%lx", field(a, 0, offset_bits));
	for (i = 0; i < nf; i++)
		printf(" %-7s|", i < top ? "sign" : i == nf - 1 ? "offset" :
		       level_name(i - top));
	printf("\n  index  |");
	for (i = 0; i < nf; i++)
		printf(" %-7s|", cell[i]);
	printf("\n%s\n", border);
}

/* What one entry, and one whole table, of each level map. */
static void level_table(void)
{
	uint64_t entry = ps;
	int i;

	printf("\n%-6s %-10s %-8s %-24s %s\n", "level", "index bits",
	       "entries", "one entry maps", "one table maps");
	for (i = levels - 1; i >= 0; i--)
		entry <<= i == levels - 1 ? 0 : level_bits;
	for (i = 0; i < levels; i++, entry >>= level_bits) {
		char b[16], one[40];

		snprintf(b, sizeof(b), "%d-%d", level_lo(i) + level_width(i) -
			 1, level_lo(i));
		snprintf(one, sizeof(one), "%llu (%s)", (unsigned long long)
			 entry, mt_human(entry));
		printf("%-6s %-10s %-8lu %-24s %llu (%s)\n", level_name(i), b,
		       1UL << level_width(i), one, (unsigned long long)entry
		       << level_width(i), mt_human(entry << level_width(i)));
	}
}

/* The number of pagemap entries: the first index pread cannot read. */
static uint64_t pagemap_entries(void)
{
	uint64_t lo = 0, hi = (uint64_t)1 << (64 - offset_bits), mid, e;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0 || pread(fd, &e, 8, 0) != 8)
		mt_die("read /proc/self/pagemap");
	while (hi - lo > 1) {	/* lo can be read, hi cannot */
		mid = lo + (hi - lo) / 2;
		r = pread(fd, &e, 8, (off_t)(mid * 8));
		if (r < 0)
			mt_die("read /proc/self/pagemap at entry %llu",
			       (unsigned long long)mid);
		*(r == 8 ? &lo : &hi) = mid;
	}
	close(fd);
	return hi;
}

/* A size for people, said exactly when it falls a few bytes short of a
 * round figure (mt_human would round 256 GiB - 8 up to "256.0 GiB"). */
static const char *just_under(uint64_t size)
{
	static char b[64];
	uint64_t unit = 1, up;

	while (unit < (1ULL << 60) && size / unit >= 1024)
		unit <<= 10;
	up = (size + unit - 1) / unit * unit;
	if (up == size || up - size >= 1024)
		return mt_human(size);
	snprintf(b, sizeof(b), "%llu bytes short of %s",
		 (unsigned long long)(up - size), mt_human(up));
	return b;
}

static int cpu_has_la57(void)
{
	static struct mt_lines l;
	const char *s;

	if (mt_lines_open(&l, "/proc/cpuinfo") < 0)
		return 0;
	while ((s = mt_lines_next(&l)))
		if (!strncmp(s, "flags", 5) && strstr(s, " la57")) {
			mt_lines_close(&l);
			return 1;
		}
	return 0;
}

/* A pause whose try: command splits the address with shell arithmetic. */
static void split_pause(uintptr_t a)
{
	char cmd[256] = "", fmt[64] = "";
	size_t n = 0;
	int i;

	for (i = 0; i < levels; i++) {
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " $((a>>%d&%lu))",
				      level_lo(i), (1UL << level_width(i)) - 1);
		strcat(fmt, "%d ");
	}
	mt_pause("the variable's indices and offset; try: a=0x%lx; printf "
		 "'%s0x%%x\\n'%s $((a&%zu))", (unsigned long)a, fmt, cmd,
		 ps - 1);
}

static int data = 1;			/* a global: the data segment */

int main(int argc, char **argv)
{
	int local = 0, user_bits, i;	/* a local: the stack */
	uint64_t n, end;
	char *heap = NULL;

	mt_init(argv);
	options(argc, argv);
	ps = mt_pagesize();
	while ((1UL << offset_bits) < ps)
		offset_bits++;
	level_bits = offset_bits - 3;	/* a table: one page of 8-byte entries */
	n = pagemap_entries();
	end = n * ps;			/* where user space ends */
	for (user_bits = 0; user_bits < 64 && (end - 1) >> user_bits;)
		user_bits++;
#ifdef __x86_64__
	va_bits = user_bits + 1;	/* the upper half is the kernel's */
#else
	va_bits = user_bits;		/* the kernel has a table of its own */
#endif
	levels = (va_bits - offset_bits + level_bits - 1) / level_bits;
	if (levels < 2 || levels > 5)
		mt_fail("%d levels of page tables: not a layout this program "
			"knows", levels);
	printf("page size: %zu (offset: %d bits)\n", ps, offset_bits);
	printf("entries in one table: %zu (index: %d bits)\n", ps / 8,
	       level_bits);
	printf("virtual address bits: %d, in %d levels of tables\n", va_bits,
	       levels);
	figure("a local variable", (uintptr_t)&local);
	level_table();
	printf("\nA table of the last level is one page of %zu entries: it "
	       "maps %zu pages,\n%s. A huge page of that size is one entry "
	       "of the level above.\n", ps / 8, ps / 8, mt_human(ps / 8 * ps));

	heap = malloc(64);
	if (!heap)
		mt_die("malloc");
	printf("\n%-14s %-18s", "what", "address");
	for (i = 0; i < levels; i++)
		printf(" %4s", level_name(i));
	printf(" offset\n");
	{
		const struct { const char *what; uintptr_t a; } rows[] = {
			{ "program text", (uintptr_t)main },
			{ "global data", (uintptr_t)&data },
			{ "heap (malloc)", (uintptr_t)heap },
			{ "stack", (uintptr_t)&local },
		};
		for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
			printf("%-14s 0x%016lx", rows[r].what,
			       (unsigned long)rows[r].a);
			for (i = 0; i < levels; i++)
				printf(" %4lu", field(rows[r].a, level_lo(i),
						      level_width(i)));
			printf(" 0x%lx\n", field(rows[r].a, 0, offset_bits));
		}
	}
	printf("\n");
	split_pause((uintptr_t)&local);
	free(heap);

	printf("how large is pagemap: one entry per page of user space\n");
	printf("  a 64-bit address space would have 2^%d pages\n",
	       64 - offset_bits);
	printf("pagemap entries: %llu (pread returns 0 bytes from there on)\n",
	       (unsigned long long)n);
	printf("pagemap size: %llu (%s)\n", (unsigned long long)(n * 8),
	       just_under(n * 8));
	printf("last entry: %llu, for the page at 0x%llx\n",
	       (unsigned long long)(n - 1), (unsigned long long)(end - ps));
	printf("end of user space: 0x%llx (%d bits)\n",
	       (unsigned long long)end, user_bits);
	printf("5-level paging in this CPU (la57 in /proc/cpuinfo): %s\n",
	       cpu_has_la57() ? "yes" : "no");
#ifdef __x86_64__
	printf("\nx86_64 translates %d-bit addresses; bits 63-%d must all "
	       "equal bit %d\n(canonical addresses), so the lower half is "
	       "user space and the upper\nhalf the kernel's. The last page "
	       "below 2^%d is never mapped: a syscall\ninstruction there "
	       "would return to a non-canonical address. With 5-level\n"
	       "paging (la57, and a kernel that uses it) user space is 56 "
	       "bits; mmap\nhands out addresses above 47 bits only to "
	       "calls that ask for them.\n", va_bits, va_bits, va_bits - 1,
	       user_bits);
#endif
	mt_pause("the last entry, then the end; try: dd if=/proc/%ld/pagemap "
		 "of=/dev/null bs=8 skip=%llu count=2 2>&1 | grep 'records in'",
		 (long)getpid(), (unsigned long long)(n - 1));
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = { MT_COMMON_OPTIONS };

	mt_usage = "[--step]";
	mt_help = "\nSplits addresses of its own into page-table indices and "
		  "the page offset,\nand finds the end of pagemap by reading "
		  "it.\n\n  --step  pause after each part\n";
	while (mt_getopt(argc, argv, "", longopts) != -1)
		;
	mt_no_operands(argc, argv);
}
