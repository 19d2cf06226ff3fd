/* SPDX-License-Identifier: MIT */
/* pagetable.c - one page's pagemap entry, untouched to copy-on-write
 *
 * The page tables say, for each virtual page, which page frame of RAM holds
 * it, if any. /proc/PID/pagemap shows them: one 64-bit entry per virtual
 * page, at byte offset (address / page size) * 8. This program maps one page
 * and reads its entry at each state of its life: untouched (not present);
 * read (the shared zero page: one frame for every page only read); written
 * (a frame of its own, exclusive: mapped here only), decoded bit by bit;
 * after fork (parent and child map one frame, not exclusive); after the
 * child writes (copy-on-write: the child gets a new frame, both exclusive
 * again); and a MAP_SHARED page (one frame whoever writes).
 *
 * Run:  ./pagetable [--kpageflags] [--step]   (--help: all options)
 *       ./pagetable --pid PID ADDR...   the same translation, field by
 *                                       field, for pages of process PID
 * An ordinary user reads frame numbers as 0; present and exclusive still
 * show every step. As root, --kpageflags adds each frame's flags and map
 * count (/proc/kpageflags, /proc/kpagecount). With --step, in a second
 * terminal, the raw entry the program printed:
 *   dd if=/proc/PID/pagemap bs=8 skip=PAGE count=1 2>/dev/null | od -An -tx8
 * Two more modes are the lessons of the programs beside this one, and
 * pagetable hands over to them: --pid PID --range START END (or a mapping
 * name such as [heap]) runs pagemap/peek, --soft-dirty runs
 * pagemap/soft_dirty. See also pagemap/addrsplit (the walk).
 */
#include "../res/memtour.h"
#include <sys/mman.h>
#include <sys/wait.h>

#define PRESENT (1ULL << 63)		/* a frame holds the page */
#define SWAPPED (1ULL << 62)		/* the page is in swap */
#define FILE_OR_SHARED (1ULL << 61)	/* a file page or shared anonymous */
#define EXCLUSIVE (1ULL << 56)		/* mapped by this process only */
#define SOFT_DIRTY (1ULL << 55)		/* written since clear_refs */
#define PFN_MASK ((1ULL << 55) - 1)	/* bits 0-54: the frame number */
#define yes(bit) ((bit) ? "yes" : "no")

static int kpageflags;			/* --kpageflags */
static pid_t other;			/* --pid: another process */
static int range, soft_dirty;		/* --range, --soft-dirty */
static char **addrs;			/* the operands: ADDR... */
static int naddrs;
static size_t ps;			/* the page size */
static void options(int argc, char **argv);

/* /proc/kpageflags: one 64-bit word of flags per frame, bit numbers from
 * the kernel's include/uapi/linux/kernel-page-flags.h. */
static const char *const flag_names[] = {
	"LOCKED", "ERROR", "REFERENCED", "UPTODATE", "DIRTY", "LRU",
	"ACTIVE", "SLAB", "WRITEBACK", "RECLAIM", "BUDDY", "MMAP", "ANON",
	"SWAPCACHE", "SWAPBACKED", "COMPOUND_HEAD", "COMPOUND_TAIL", "HUGE",
	"UNEVICTABLE", "HWPOISON", "NOPAGE", "KSM", "THP", "OFFLINE",
	"ZERO_PAGE", "IDLE", "PGTABLE",
};

static uint64_t word(const char *file, uint64_t index)	/* 8 bytes */
{
	uint64_t w;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || pread(fd, &w, 8, (off_t)(index * 8)) != 8)
		mt_die("read %s", file);
	close(fd);
	return w;
}

/* --kpageflags: what the kernel knows about the frame itself. */
static void frame(uint64_t e)
{
	uint64_t pfn = e & PFN_MASK, flags;
	size_t i;
	int col;

	if (!kpageflags || !(e & PRESENT) || (e & SWAPPED) || !pfn)
		return;
	flags = word("/proc/kpageflags", pfn);
	col = printf("  frame flags: 0x%llx", (unsigned long long)flags);
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (flags >> i & 1) {
			if (col + 1 + (int)strlen(flag_names[i]) > 78)
				col = printf("\n              ") - 1;
			col += printf(" %s", flag_names[i]);
		}
	printf("\n  frame map count: %llu\n", (unsigned long long)
	       word("/proc/kpagecount", pfn));
}

static void header(void)
{
	printf("\n%-14s %7s %-18s %-7s %-9s %-4s %s\n", "state", "pid",
	       "pagemap entry", "present", "exclusive", "file", "pfn");
}

/* Said once, the first time the kernel answers frame number 0 for a page
 * that is present: what it hides is decided by who reads, not by uid. */
static void pfn_note(uint64_t e)
{
	static int told;

	if ((e & PRESENT) && !(e & SWAPPED) && !(e & PFN_MASK) && !told++)
		printf("  pfn hidden: the kernel shows frame numbers only to "
		       "CAP_SYS_ADMIN (root),\n  others read 0 (they help "
		       "Rowhammer attacks); present and exclusive\n  still "
		       "show every step. Run as root to see the frames.\n");
}

/* One row of the table: the entry of addr in pid, decoded. */
static uint64_t row(const char *state, pid_t pid, const void *addr)
{
	char path[64], pfn[24] = "-";
	uint64_t e;

	/* The entry of a page: 8 bytes at (address / page size) * 8. */
	snprintf(path, sizeof(path), "/proc/%ld/pagemap", (long)pid);
	e = word(path, (uintptr_t)addr / ps);

	if ((e & PRESENT) && (e & PFN_MASK))
		snprintf(pfn, sizeof(pfn), "0x%llx",
			 (unsigned long long)(e & PFN_MASK));
	else if (e & PRESENT)
		snprintf(pfn, sizeof(pfn), "hidden");
	printf("%-14s %7ld 0x%016llx %-7s %-9s %-4s %s\n", state, (long)pid,
	       (unsigned long long)e, yes(e & PRESENT), yes(e & EXCLUSIVE),
	       yes(e & FILE_OR_SHARED), pfn);
	frame(e);
	pfn_note(e);
	return e;
}

/* The shared zero page: present, neither exclusive nor a file page. */
static int zero_page(uint64_t e1, uint64_t e2)
{
	static struct mt_lines l;
	const char *s = NULL, *w = NULL;

	if (e1 & EXCLUSIVE) {
		if (mt_lines_open(&l, "/proc/cmdline") == 0 &&
		    (s = mt_lines_next(&l)) && (w = strstr(s, "zero_page")))
			while (w > s && w[-1] != ' ')
				w--;
		mt_lines_close(&l);
		printf("no zero page: this kernel gives each read page a "
		       "zeroed frame of its own\n");
		if (w)
			printf("  (its command line says so: %.*s)\n",
			       (int)strcspn(w, " "), w);
		return 0;
	}
	if (e1 & PFN_MASK)
		printf("zero page: pfn 0x%llx, %s\n", (unsigned long long)
		       (e1 & PFN_MASK), e1 == e2 ? "the same for both pages "
		       "read" : "but the next page differs");
	else
		printf("zero page: present, not exclusive, no file\n");
	return 1;
}

/* A pause whose try: command prints the raw entry of addr for each pid. */
static void stop(const char *what, const char *pids, const void *addr)
{
	const char *many = strchr(pids, ' ') ? "for p in " : "";

	mt_pause("%s; try: %s%s%sdd if=/proc/%s/pagemap bs=8 skip=%lu "
		 "count=1 2>/dev/null | od -An -tx8%s", what, many,
		 *many ? pids : "", *many ? "; do " : "", *many ? "$p" : pids,
		 (unsigned long)((uintptr_t)addr / ps), *many ? "; done" : "");
}

/* Where the entry of address a is: its page number, and 8 bytes a page. */
static void where(uintptr_t a)
{
	printf("page number: %lu (address / page size)\n",
	       (unsigned long)(a / ps));
	printf("offset in pagemap: %lu (page number * 8)\n",
	       (unsigned long)(a / ps * 8));
}

/* Every field of an entry, with the bits it comes from. */
static void decode(uintptr_t a, uint64_t e)
{
	unsigned long long pfn = e & PFN_MASK;

	printf("\nthe entry of 0x%lx, field by field:\n", (unsigned long)a);
	printf("  raw entry: 0x%016llx\n", (unsigned long long)e);
	printf("  present (bit 63): %d\n", !!(e & PRESENT));
	printf("  swapped (bit 62): %d\n", !!(e & SWAPPED));
	printf("  file page or shared anonymous (bit 61): %d\n",
	       !!(e & FILE_OR_SHARED));
	printf("  exclusively mapped (bit 56): %d\n", !!(e & EXCLUSIVE));
	printf("  soft-dirty (bit 55): %d\n", !!(e & SOFT_DIRTY));
	if (e & SWAPPED) {
		printf("  swap type (bits 0-4): %llu\n", pfn & 31);
		printf("  swap offset (bits 5-54): 0x%llx\n", pfn >> 5);
	} else if (pfn) {
		printf("  page frame number (bits 0-54): 0x%llx\n", pfn);
		printf("  physical address: 0x%llx (pfn * page size + "
		       "0x%lx)\n", pfn * ps + a % ps, (unsigned long)(a % ps));
	} else {
		printf("  page frame number (bits 0-54): 0 (%s)\n",
		       e & PRESENT ? "hidden" : "not present: no frame");
	}
}

/* The child after fork: write both pages when told, then wait to exit. */
static void child(volatile char *page, volatile char *shared, int go, int done)
{
	char c;

	if (read(go, &c, 1) != 1)	/* the parent holds the other ends */
		_exit(1);
	page[0] = 2;	/* private: copy-on-write, a new frame */
	shared[0] = 2;	/* shared: the same frame */
	/* Then wait for EOF: the parent has looked. */
	_exit(write(done, "w", 1) != 1 || read(go, &c, 1) != 0);
}

/* --pid PID ADDR...: the same translation for another process's pages,
 * read from /proc/PID/pagemap (and its mappings from /proc/PID/maps). */
static void other_process(void)
{
	char path[64];
	static struct mt_mapping m;
	const char *name;
	uint64_t e;
	uintptr_t a;
	ssize_t r = 8;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%ld/pagemap", (long)other);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		mt_fail("no process %ld", (long)other);
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		mt_fail("%s: %s: only its owner or root may read it", path,
			strerror(errno));
	if (fd < 0)
		mt_die("%s", path);
	for (i = 0; i < naddrs * 2; i++) {	/* check all, then show */
		a = mt_addr_arg(addrs[i % naddrs]);
		if (mt_maps_find(other, (void *)a, &m) != 0) {
			if (errno != ENOENT)
				mt_die("/proc/%ld/maps", (long)other);
			mt_fail("%s is not mapped in pid %ld (see "
				"/proc/%ld/maps)", addrs[i % naddrs],
				(long)other, (long)other);
		}
		/* The entry of a page: 8 bytes at (address / page size) * 8.
		 * [vsyscall] is mapped but above user space: no entry. */
		r = pread(fd, &e, 8, (off_t)(a / ps * 8));
		if (r < 0)
			mt_die("read %s at 0x%lx", path, (unsigned long)a);
		if (r != 8)
			mt_fail("0x%lx is past the end of pagemap: it covers "
				"user space only", (unsigned long)a);
		if (i < naddrs)
			continue;
		name = strrchr(m.path, '/') ? strrchr(m.path, '/') + 1 :
		       m.path[0] ? m.path : "anonymous";
		printf("%spid %ld, address 0x%lx\n", i > naddrs ? "\n" : "",
		       (long)other, (unsigned long)a);
		printf("mapping: %lx-%lx %s %s\n", (unsigned long)m.start,
		       (unsigned long)m.end, m.perms, name);
		where(a);
		decode(a, e);
		frame(e);
		pfn_note(e);
	}
	close(fd);
}

/* --range and --soft-dirty are the lessons of the programs beside this
 * one: run NAME from the same folder, with args (argv[0] first). */
static void __attribute__((noreturn)) hand_over(const char *name, char **args)
{
	const char *path = mt_beside(name);

	if (access(path, X_OK) != 0)
		mt_die("%s shows this, but %s cannot run (build it: make "
		       "pagemap/%s)", name, path, name);
	printf("%s is pagemap/%s's lesson: running it\n\n", range ?
	       "--range" : "--soft-dirty", name);
	mt_check_stdout();	/* exec runs no atexit work */
	args[0] = (char *)path;
	execv(path, args);
	mt_die("cannot run %s", path);
}

int main(int argc, char **argv)
{
	volatile char *page, *shared;
	char me_s[24], both[48], c;
	uint64_t e;
	pid_t me, kid;
	int go[2], done[2];

	mt_init(argv);
	ps = mt_pagesize();
	options(argc, argv);
	if (range || soft_dirty) {
		char pid_s[24], *args[8] = { NULL }, **p = args + 1;

		snprintf(pid_s, sizeof(pid_s), "%ld", (long)other);
		if (other)
			*p++ = "--pid", *p++ = pid_s;
		if (range)
			*p++ = "--range", *p++ = addrs[0],
			*p++ = naddrs > 1 ? addrs[1] : NULL;
		if (mt_stepping)
			*p = "--step";
		hand_over(range ? "peek" : "soft_dirty", args);
	}
	if (kpageflags && access("/proc/kpageflags", R_OK) != 0) {
		printf("frame flags: cannot read /proc/kpageflags: %s\n  it is "
		       "root's only (CAP_SYS_ADMIN): run as root to see them\n",
		       strerror(errno));
		kpageflags = 0;
	}
	if (other) {
		other_process();
		return 0;
	}
	me = getpid();

	/* Two private pages (the second is only ever read) and a shared
	 * one. No transparent huge pages: one touch, one small page. */
	page = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || shared == MAP_FAILED)
		mt_die("mmap");
	if (madvise((void *)page, 2 * ps, MADV_NOHUGEPAGE) != 0 &&
	    errno != EINVAL)
		mt_die("madvise");
	snprintf(me_s, sizeof(me_s), "%ld", (long)me);
	printf("page size: %zu\n", ps);
	printf("page: %p (private anonymous)\n", (void *)page);
	where((uintptr_t)page);

	header();
	row("untouched", me, (void *)page);
	stop("mapped, never touched: not present", me_s, (void *)page);

	(void)page[0];
	(void)page[ps];
	e = row("read", me, (void *)page);
	stop(zero_page(e, row("read (next)", me, (void *)(page + ps))) ?
	     "read: both pages map the zero page" :
	     "read: each page got a frame of its own", me_s, (void *)page);

	page[0] = 1;
	decode((uintptr_t)page, row("written", me, (void *)page));
	stop("written: a frame of its own", me_s, (void *)page);

	shared[0] = 1;
	if (pipe(go) != 0 || pipe(done) != 0)
		mt_die("pipe");
	fflush(stdout);
	kid = fork();
	if (kid < 0)
		mt_die("fork");
	if (kid == 0) {
		close(go[1]);
		close(done[0]);
		child(page, shared, go[0], done[1]);
	}
	snprintf(both, sizeof(both), "%ld %ld", (long)me, (long)kid);
	header();
	row("fork: parent", me, (void *)page);
	row("fork: child", kid, (void *)page);
	stop("forked: one frame, in both", both, (void *)page);

	if (write(go[1], "g", 1) != 1 || read(done[0], &c, 1) != 1)
		mt_die("the child did not write");
	row("CoW: parent", me, (void *)page);
	row("CoW: child", kid, (void *)page);
	stop("the child wrote: copy-on-write, a new frame", both,
	     (void *)page);

	shared[0] = 3;
	row("shared: parent", me, (void *)shared);
	row("shared: child", kid, (void *)shared);
	stop("both wrote the shared page: one frame", both, (void *)shared);

	close(go[1]);
	if (waitpid(kid, NULL, 0) < 0)
		mt_die("waitpid");
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kpageflags", no_argument, NULL, 'k' },
		{ "pid", required_argument, NULL, 'p' },
		{ "range", no_argument, NULL, 'r' },
		{ "soft-dirty", no_argument, NULL, 's' },
		MT_COMMON_OPTIONS
	};
	int c, i;

	mt_usage = "[--kpageflags] [--step]\n       pagetable --pid PID "
		   "[--kpageflags] ADDR...\n       pagetable --pid PID --range "
		   "START END|NAME\n       pagetable --soft-dirty";
	mt_help = "\nOne page's pagemap entry: untouched, read (zero page), "
		  "written, after fork,\nafter the child writes "
		  "(copy-on-write), and a shared page.\n\n  --kpageflags  as "
		  "root, each frame's flags and map count too\n"
		  "  --step        pause at each state\n"
		  "  --pid PID ADDR...  the same translation, field by field, "
		  "for addresses\n                (hex) of process PID\n"
		  "\nTwo modes are taught by the programs beside this one; "
		  "pagetable runs them:\n  --pid PID --range START END  runs "
		  "peek: a map of the pages present, one\n  --pid PID --range "
		  "NAME       character a page, for addresses or a mapping\n"
		  "                               ([heap], [stack], "
		  "libc.so.6)\n  --soft-dirty  runs soft_dirty: bit 55 on the "
		  "pages written since a clear\n";
	while ((c = mt_getopt(argc, argv, "", longopts)) != -1)
		if (c == 'k')
			kpageflags = 1;
		else if (c == 'p')
			other = (pid_t)mt_count_arg("--pid", optarg, 1, INT_MAX);
		else if (c == 'r')
			range = 1;
		else
			soft_dirty = 1;
	addrs = argv + optind;
	naddrs = argc - optind;
	if (soft_dirty && (range || other || kpageflags || naddrs))
		mt_usage_error("--soft-dirty takes no other option or "
			       "argument");
	if (range && kpageflags)
		mt_usage_error("--range shows no frames: no --kpageflags");
	if (range && naddrs != 1 && naddrs != 2)
		mt_usage_error("--range needs START END or a mapping name");
	if (other && !range && !naddrs)
		mt_usage_error("--pid needs addresses or --range");
	if (!other && !range)
		mt_no_operands(argc, argv);
	for (i = 0; i < naddrs && !(range && naddrs == 1); i++)
		mt_addr_arg(addrs[i]);	/* a usage error if malformed */
}
