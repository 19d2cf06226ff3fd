/* SPDX-License-Identifier: MIT */
/* smaps_dirty.c - Shared_ or Private_Dirty: who maps a page, not MAP_SHARED
 *
 * Shared_Dirty and Private_Dirty in /proc/PID/smaps do not mean MAP_SHARED
 * and MAP_PRIVATE. They count how many page-table entries map each page
 * right now (its mapcount): a page mapped once is Private, mapped by two
 * processes Shared. Pss divides each page by that count. Dirty means
 * written and not yet written back to its file (after a sync, or about
 * 30 s, a file page turns Clean: the program says so when it sees it).
 *
 * The program writes two pages into each of four mappings:
 *   private-anon   MAP_PRIVATE | MAP_ANONYMOUS
 *   shared-anon    MAP_SHARED | MAP_ANONYMOUS (shmem: not "Anonymous")
 *   private-file   MAP_PRIVATE of a scratch file (the writes make private
 *                  copies: anonymous pages inside a file mapping)
 *   shared-file    MAP_SHARED of the same file (page cache pages)
 * and prints Rss, Pss, Shared_Dirty, Private_Dirty and Anonymous of each,
 * read from smaps, at four stages:
 *   1. before fork: all Private_Dirty, one process maps them;
 *   2. after fork: the private mappings turn Shared_Dirty (fork copied
 *      their page-table entries: copy-on-write, Pss halves); the shared
 *      ones stay Private_Dirty, because fork copies the entries only of
 *      mappings that hold anonymous pages; the child maps the others when
 *      it first touches them;
 *   3. the child has read the shared mappings: now they are Shared;
 *   4. the child has written the private ones: copy-on-write gave it its
 *      own copies, so the parent's pages are Private again.
 *
 * Run:  ./smaps_dirty [--step]
 * Beside it:  grep -A10 ^ADDR- /proc/PID/smaps    (ADDR without 0x)
 *             grep -e Pss -e Dirty /proc/PID/smaps_rollup
 *             pmap -X PID
 */
#include "../res/memtour.h"
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static const char *names[4] = { "private-anon", "shared-anon",
				"private-file", "shared-file" };
static char *map[4];		/* the four mappings, two pages each */
static size_t len;		/* two pages */
static pid_t parent, child;
static int to_child[2], to_parent[2];	/* pipes: "go", "done" */
static void options(int argc, char **argv);

/* len bytes at a fixed place between two PROT_NONE guard pages, so that
 * no mapping merges with a neighbour: one smaps entry each. */
static char *map_one(int flags, int fd)
{
	size_t ps = mt_pagesize();
	char *g = mmap(NULL, len + 2 * ps, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p = MAP_FAILED;

	if (g != MAP_FAILED)
		p = mmap(g + ps, len, PROT_READ | PROT_WRITE,
			 flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		mt_die("mmap");
	return p;
}

/* A field of the smaps entry of process pid that holds p, in kB. */
static long kb(pid_t pid, const char *p, const char *field)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	return mt_kb_field(path, p, field);
}

/* The rows of one process. Returns 1 if its shared-file pages, written
 * at stage 1, are in RAM but no longer Dirty: written back. */
static int rows(const char *who, pid_t pid)
{
	long rss = 0, dirty = 0;

	for (int i = 0; i < 4; i++) {
		rss = kb(pid, map[i], "Rss");
		dirty = kb(pid, map[i], "Shared_Dirty") +
			kb(pid, map[i], "Private_Dirty");
		printf("%-7s %-13s %5ld %5ld %12ld %13ld %9ld\n", who, names[i],
		       rss, kb(pid, map[i], "Pss"),
		       kb(pid, map[i], "Shared_Dirty"),
		       kb(pid, map[i], "Private_Dirty"),
		       kb(pid, map[i], "Anonymous"));
	}
	return rss > 0 && dirty == 0;	/* the last mapping: shared-file */
}

static void stage(int n, const char *what)
{
	int clean;

	printf("\nstage %d: %s\n%-7s %-13s %5s %5s %12s %13s %9s\n", n, what,
	       "who", "mapping (kB)", "Rss", "Pss", "Shared_Dirty",
	       "Private_Dirty", "Anonymous");
	clean = rows("parent", parent);
	if (child)
		rows("child", child);
	/* Writeback (a sync, or the flusher after dirty_expire_centisecs,
	 * 30 s) makes a file page Clean: the Dirty columns lose it. */
	if (clean)
		printf("  shared-file was written back to the file (a sync, "
		       "or ~30 s): Clean now\n");
}

/* The child waits for a word from the parent, does it, says done. */
static void child_loop(void)
{
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the parent */
	if (getppid() != parent)
		_exit(0);
	close(to_child[1]);	/* or the read below never sees EOF */
	close(to_parent[0]);
	while (read(to_child[0], &c, 1) == 1) {
		for (int i = 0; i < 4; i++) {
			volatile char *p = map[i];

			for (size_t o = 0; o < len; o += mt_pagesize()) {
				if (c == 'r' && (i == 1 || i == 3))
					(void)p[o];	/* read shared */
				if (c == 'w' && (i == 0 || i == 2))
					p[o] = 'c';	/* write private */
			}
		}
		if (write(to_parent[1], &c, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

/* Tell the child to do c, and wait until it has. */
static void ask(char c)
{
	if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1)
		mt_die("talking to the child");
}

static void smaps_pause(const char *what, pid_t pid, int i)
{
	mt_pause("%s; try: grep -A10 ^%lx- /proc/%d/smaps", what,
		 (unsigned long)(uintptr_t)map[i], (int)pid);
}

int main(int argc, char **argv)
{
	int fd, st;

	mt_init(argv);
	options(argc, argv);
	len = 2 * mt_pagesize();
	parent = getpid();
	fd = mt_scratch("smaps_dirty");
	if (ftruncate(fd, (off_t)len) != 0)
		mt_die("ftruncate %s", mt_scratch_path);
	map[0] = map_one(MAP_PRIVATE | MAP_ANONYMOUS, -1);
	map[1] = map_one(MAP_SHARED | MAP_ANONYMOUS, -1);
	map[2] = map_one(MAP_PRIVATE, fd);
	map[3] = map_one(MAP_SHARED, fd);
	printf("page size: %zu\nmapping size: %zu (%s)\n", mt_pagesize(), len,
	       mt_human(len));
	for (int i = 0; i < 4; i++) {
		memset(map[i], 'p', len);
		printf("%s: %p\n", names[i], (void *)map[i]);
	}
	printf("scratch file: %s\nparent: %d\n", mt_scratch_path,
	       (int)parent);
	stage(1, "the parent wrote two pages into each mapping");
	smaps_pause("wrote", parent, 0);

	if (pipe(to_child) != 0 || pipe(to_parent) != 0)
		mt_die("pipe");
	if (fflush(stdout) != 0) {	/* before fork, or the child prints
					 * it too; a failed write is said once */
		dprintf(2, "%s: write: %s\n", mt_prog, strerror(errno));
		_exit(1);
	}
	child = fork();
	if (child < 0)
		mt_die("fork");
	if (child == 0)
		child_loop();
	printf("child: %d\n", (int)child);
	stage(2, "fork: the child has touched nothing yet");
	smaps_pause("forked", parent, 0);
	ask('r');
	stage(3, "the child read the shared mappings");
	smaps_pause("touched", child, 3);
	ask('w');
	stage(4, "the child wrote the private mappings: its own copies");
	smaps_pause("copied", parent, 0);

	close(to_child[1]);
	if (waitpid(child, &st, 0) < 0)
		mt_die("waitpid");
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = { MT_COMMON_OPTIONS };

	mt_usage = "[--step]";
	mt_help = "\nWrites into a private and a shared, anonymous and file "
		  "mapping, forks, and\nshows Shared_Dirty and Private_Dirty "
		  "of each in parent and child as the\nchild reads and "
		  "writes: they count how many processes map a page.\n\n"
		  "      --step    pause at each stage\n"
		  "  -h, --help    this text\n";
	while (mt_getopt(argc, argv, "", longopts) != -1)
		;
	mt_no_operands(argc, argv);
}
