/* smaps_dirty.c - Shared_ or Private_Dirty: mapcount, not MAP_SHARED
 *
 * "I wrote to a private and to a shared mapping: why do smaps' dirty
 * figures differ between them?" Because Shared_Dirty and Private_Dirty in
 * /proc/PID/smaps do not mean MAP_SHARED and MAP_PRIVATE. They count how
 * many times each page is mapped right now (its mapcount, one per
 * page-table entry): a page mapped once is Private, mapped more often (by
 * two processes, or twice in one) Shared. Pss (proportional set size)
 * divides each page by that count. Dirty means modified and not yet
 * written back: after writeback (sync, or about 30 s) the shared-file
 * pages turn Clean and both Dirty columns read 0 for them.
 *
 * The program writes two pages into each of four mappings:
 *   private-anon   MAP_PRIVATE | MAP_ANONYMOUS
 *   shared-anon    MAP_SHARED | MAP_ANONYMOUS   (shmem: not "Anonymous")
 *   private-file   MAP_PRIVATE of a scratch file (the writes make private
 *                  copies: anonymous pages inside a file mapping)
 *   shared-file    MAP_SHARED of the same file (page cache pages)
 * and prints Rss, Pss, Shared_Dirty, Private_Dirty and Anonymous of each,
 * read from /proc/self/smaps, at four moments:
 *   1. before fork: all four Private_Dirty (one process maps them);
 *   2. after fork, the child alive and waiting: the two private mappings
 *      turn Shared_Dirty (fork copied their page-table entries, the pages
 *      are shared copy-on-write, mapcount 2, Pss halves), the two shared
 *      ones stay Private_Dirty: fork copies page-table entries only of
 *      mappings that have an anon_vma (that ever held an anonymous page);
 *      the child maps the others' pages when it first touches them (a
 *      page fault finds them in the page cache or shmem);
 *   3. after the child has read the shared mappings: now they are Shared;
 *   4. after the child has written to the private mappings: copy-on-write
 *      gave the child its own copies, so the parent's pages are Private
 *      again, while the shared ones stay Shared.
 * The child prints its own figures at 2-4.
 *
 * Run:  ./smaps_dirty          (MEMTOUR_STEP=1 or --step to pause)
 * Each table row: who mapping Rss Pss Shared_Dirty Private_Dirty Anonymous
 * (kB, as smaps prints them). Lines a test checks: private_anon,
 * shared_anon, private_file, shared_file (addresses), parent_pid,
 * child_pid, the "stage N:" headings and the table rows.
 * The scratch file is created under $TMPDIR (default /tmp) and unlinked
 * at once, so maps shows it "(deleted)" and no exit path leaves it behind.
 *
 * Try beside it (PIDs from the pause line):
 *   grep -A12 ^ADDR /proc/PID/smaps       (ADDR without 0x)
 *   grep -e Pss -e Dirty /proc/PID/smaps_rollup
 *   pmap -X PID
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *prog = "smaps_dirty";
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
	fprintf(f, "usage: %s [--step] [--help]\n", prog);
}

/* --- the four mappings -------------------------------------------------- */

enum { PRIV_ANON, SHARED_ANON, PRIV_FILE, SHARED_FILE, NMAP };

static const char *const map_name[NMAP] = {
	"private-anon", "shared-anon", "private-file", "shared-file"
};
static char *map_addr[NMAP];

static const char *const field[] = {
	"Rss", "Pss", "Shared_Dirty", "Private_Dirty", "Anonymous"
};
#define NFIELD (sizeof(field) / sizeof(field[0]))

static long pagesize;
static size_t len;		/* two pages */

/* --- /proc/self/smaps with open/read (no stdio: no malloc) ------------- */

static char procbuf[256 * 1024];

static void read_smaps(void)
{
	size_t n = 0;
	ssize_t r = 0;
	int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open /proc/self/smaps");
	while (n < sizeof(procbuf) - 1) {
		r = read(fd, procbuf + n, sizeof(procbuf) - 1 - n);
		if (r <= 0)
			break;
		n += r;
	}
	if (r < 0)
		die("read /proc/self/smaps");
	if (n == sizeof(procbuf) - 1) {
		errno = EFBIG;
		die("read /proc/self/smaps");
	}
	close(fd);
	procbuf[n] = '\0';
}

/* The NFIELD fields (kB) of the entry in procbuf of the mapping holding
 * addr; -1 for a field not found. */
static void smaps_fields(const void *addr, long val[NFIELD])
{
	uintptr_t a = (uintptr_t)addr;
	int inside = 0;
	char *p, *end;
	size_t i;

	for (i = 0; i < NFIELD; i++)
		val[i] = -1;
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
		if (!inside)
			continue;
		for (i = 0; i < NFIELD; i++) {
			size_t fl = strlen(field[i]);

			if (strncmp(p, field[i], fl) == 0 && p[fl] == ':')
				val[i] = strtol(p + fl + 1, NULL, 10);
		}
	}
}

static void table_header(void)
{
	printf("%-6s %-12s %5s %5s %12s %13s %9s\n", "who", "mapping",
	       "Rss", "Pss", "Shared_Dirty", "Private_Dirty", "Anonymous");
}

/* One row per mapping, as this process's smaps shows it now. */
static void show(const char *who)
{
	long v[NFIELD];
	int m;

	read_smaps();
	for (m = 0; m < NMAP; m++) {
		smaps_fields(map_addr[m], v);
		printf("%-6s %-12s %5ld %5ld %12ld %13ld %9ld\n", who,
		       map_name[m], v[0], v[1], v[2], v[3], v[4]);
	}
	fflush(stdout);
}

/* Write one byte into each of the two pages, or read it. */
static void write_pages(char *p)
{
	volatile char *v = p;
	size_t i;

	for (i = 0; i < len; i += pagesize)
		v[i] = 'w';
}

static void read_pages(const char *p)
{
	const volatile char *v = p;
	size_t i;

	for (i = 0; i < len; i += pagesize)
		(void)v[i];
}

/* --- the child ---------------------------------------------------------- */

/* It waits for one-letter orders on cmd, acknowledges each on ack, and
 * exits on EOF (the parent closed the pipe or died) or when the parent
 * dies (PR_SET_PDEATHSIG): never an orphan, never reads stdin. */
static void child(int cmd, int ack, pid_t parent)
{
	char c;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die("prctl");
	if (getppid() != parent)	/* it died before prctl */
		_exit(1);
	while (read(cmd, &c, 1) == 1) {
		switch (c) {
		case 'r':
			read_pages(map_addr[SHARED_ANON]);
			read_pages(map_addr[SHARED_FILE]);
			break;
		case 'w':
			write_pages(map_addr[PRIV_ANON]);
			write_pages(map_addr[PRIV_FILE]);
			break;
		}
		show("child");
		if (write(ack, "k", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

static int to_child = -1, from_child = -1;

/* Give the child an order and wait until it has printed its table. */
static void order(char c)
{
	char k;

	fflush(stdout);
	if (write(to_child, &c, 1) != 1)
		die("write to child");
	if (read(from_child, &k, 1) != 1) {
		fprintf(stderr, "%s: the child died\n", prog);
		exit(1);
	}
}

/* --- main --------------------------------------------------------------- */

static int scratch_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/smaps_dirty.XXXXXX",
			     dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		die("scratch file name");
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		die("mkostemp in $TMPDIR");
	/* Unlinked at once: the mappings keep it alive, and no exit path,
	 * not even SIGKILL, can leave it behind. */
	if (unlink(path) < 0)
		die("unlink scratch file");
	if (ftruncate(fd, len) < 0)
		die("ftruncate scratch file");
	return fd;
}

static char *map(int prot_flags, int fd)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, prot_flags, fd, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "step", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *env = getenv("MEMTOUR_STEP");
	int c, fd, p2c[2], c2p[2], status, m;
	pid_t pid, parent = getpid();

	if (env && *env && strcmp(env, "0") != 0)
		step_mode = 1;
	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			step_mode = 1;
			break;
		case 'h':
			usage(stdout);
			printf("\nWrites two pages into a private and a "
			       "shared, anonymous and file\nmapping, and "
			       "shows their smaps Rss, Pss, Shared_Dirty, "
			       "Private_Dirty\nand Anonymous before fork, "
			       "after fork, after the child read the\n"
			       "shared mappings and after it wrote the "
			       "private ones.\n\n"
			       "  --step   pause at each stage (also "
			       "MEMTOUR_STEP=1)\n"
			       "  --help   this text\n");
			return 0;
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
	len = 2 * pagesize;
	fd = scratch_file();
	map_addr[PRIV_ANON] = map(MAP_PRIVATE | MAP_ANONYMOUS, -1);
	map_addr[SHARED_ANON] = map(MAP_SHARED | MAP_ANONYMOUS, -1);
	map_addr[PRIV_FILE] = map(MAP_PRIVATE, fd);
	map_addr[SHARED_FILE] = map(MAP_SHARED, fd);
	close(fd);
	/* Small pages only: with THP "always" one write could map 2 MiB. */
	if (madvise(map_addr[PRIV_ANON], len, MADV_NOHUGEPAGE) < 0 ||
	    madvise(map_addr[SHARED_ANON], len, MADV_NOHUGEPAGE) < 0) {
		if (errno != EINVAL)	/* EINVAL: a kernel without THP */
			die("madvise");
	}

	printf("page_size: %ld\n", pagesize);
	printf("mapping_size: %zu (two pages)\n", len);
	printf("private_anon: %p\n", (void *)map_addr[PRIV_ANON]);
	printf("shared_anon: %p\n", (void *)map_addr[SHARED_ANON]);
	printf("private_file: %p\n", (void *)map_addr[PRIV_FILE]);
	printf("shared_file: %p\n", (void *)map_addr[SHARED_FILE]);
	printf("parent_pid: %ld\n", (long)parent);
	printf("Figures in kB, from /proc/PID/smaps of the process named.\n");

	for (m = 0; m < NMAP; m++)
		write_pages(map_addr[m]);
	printf("\nstage 1: before fork, the parent wrote two pages to each\n");
	table_header();
	show("parent");
	printf("One process maps every page: all Private_Dirty, Pss = Rss.\n"
	       "Anonymous counts private-anon and the private copies in\n"
	       "private-file; shared-anon is shmem, not Anonymous.\n"
	       "Dirty = not yet written back. Stay ~30 s at a pause (or run\n"
	       "sync) and shared-file is written to its file: it turns\n"
	       "Clean, and both its Dirty columns read 0.\n");
	step("wrote; try: grep -A12 ^%lx /proc/%ld/smaps",
	     (unsigned long)map_addr[PRIV_ANON], (long)parent);

	if (pipe2(p2c, O_CLOEXEC) < 0 || pipe2(c2p, O_CLOEXEC) < 0)
		die("pipe2");
	fflush(stdout);			/* or the child prints it again */
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(p2c[1]);
		close(c2p[0]);
		child(p2c[0], c2p[1], parent);
	}
	close(p2c[0]);
	close(c2p[1]);
	to_child = p2c[1];
	from_child = c2p[0];

	printf("\nstage 2: after fork, the child alive and waiting\n");
	printf("child_pid: %ld\n", (long)pid);
	table_header();
	show("parent");
	order('s');
	printf("The private mappings are now Shared_Dirty: fork copied\n"
	       "their page-table entries, both processes map the same pages\n"
	       "(copy-on-write), mapcount 2, and Pss gives each process\n"
	       "half. The shared mappings stay Private_Dirty: fork does not\n"
	       "copy page-table entries of shared mappings (a fault can\n"
	       "find the pages again), so the child has Rss 0 there.\n");
	step("forked; try: grep -A12 ^%lx /proc/%ld/smaps",
	     (unsigned long)map_addr[SHARED_ANON], (long)pid);

	printf("\nstage 3: the child read the shared mappings\n");
	table_header();
	order('r');
	show("parent");
	printf("A read fault mapped the shared pages into the child: now\n"
	       "two processes map them, so they are Shared_Dirty in both\n"
	       "and Pss halves. Dirty because the parent wrote them.\n");
	step("read; try: grep -A12 ^%lx /proc/%ld/smaps",
	     (unsigned long)map_addr[SHARED_ANON], (long)pid);

	printf("\nstage 4: the child wrote to the private mappings\n");
	table_header();
	order('w');
	show("parent");
	printf("Copy-on-write gave the child copies of its own: each\n"
	       "process maps its private pages alone again (Private_Dirty,\n"
	       "Pss = Rss); the shared ones stay Shared.\n");
	step("copied; try: grep -A12 ^%lx /proc/%ld/smaps",
	     (unsigned long)map_addr[PRIV_ANON], (long)parent);

	close(to_child);		/* EOF: the child exits */
	close(from_child);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");

	printf("\nThe rules:\n"
	       "- Shared_* and Private_* count mapcount, not MAP_SHARED:\n"
	       "  a page mapped once is Private, mapped more often (by two\n"
	       "  processes, or twice in one) Shared, whatever the mmap\n"
	       "  flags said.\n"
	       "- Pss adds each page's size divided by its mapcount:\n"
	       "  %ld kB shared by two processes is %ld kB in each.\n"
	       "  Summed over all processes, Pss is the memory really used.\n"
	       "- fork copies the page-table entries only of mappings that\n"
	       "  have ever held an anonymous page (private mappings written\n"
	       "  to: the kernel checks for an anon_vma). Shared mappings\n"
	       "  are left for the child to fault in on first touch, so\n"
	       "  their pages stay Private to the parent until then.\n"
	       "- Anonymous counts private anonymous pages, also the copies\n"
	       "  a write makes inside a private file mapping; MAP_SHARED |\n"
	       "  MAP_ANONYMOUS memory is shmem and is not in it.\n",
	       (long)len / 1024, (long)len / 2048);
	return 0;
}
