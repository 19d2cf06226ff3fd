/* SPDX-License-Identifier: MIT */
/* private_file_mapping.c - a private file mapping: changes stay in memory
 *
 * mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) is how the
 * loader maps a program's code and data: the pages come from the file,
 * but a write stays in this process. The first write to a page copies it
 * (copy-on-write) into an anonymous page of this process; the file, and
 * every other process that maps it, keep the original.
 *
 * What you will see:
 *   - the mapping in /proc/self/maps as "rw-p" (p: private) with the
 *     file's device and inode, and the first line of the file read
 *     through memory: no read(2)
 *   - a write over the first bytes: smaps shows Private_Dirty and
 *     Anonymous grow by one page (the copy)
 *   - read(2) on the file still returns the original bytes, and so does
 *     another process that maps the file itself; a forked child, which
 *     inherits this mapping, sees the changed copy
 *
 * Run:   mmap/private_file_mapping          (a scratch copy of
 *                                            res/sample.txt, removed at exit)
 *        mmap/private_file_mapping FILE     (FILE is never changed)
 *
 * Try beside it: cmp FILE before and after, strace -e trace=memory, and
 * at a pause pmap -X PID.
 */
#include "../res/memtour.h"
#include <sys/mman.h>
#include <sys/wait.h>

static const char *path;	/* the file the program maps */
static void options(int argc, char **argv);

static void show_smaps(const char *when, const void *addr)
{
	printf("smaps %s: Rss %ld kB, Private_Dirty %ld kB, "
	       "Anonymous %ld kB\n", when, mt_smaps_kb(addr, "Rss"),
	       mt_smaps_kb(addr, "Private_Dirty"),
	       mt_smaps_kb(addr, "Anonymous"));
}

/* The first line of n bytes at s, quoted, at most 50 characters. */
static void show_text(const char *label, const volatile char *s, size_t n)
{
	size_t i;

	printf("%s: \"", label);
	for (i = 0; i < n && i < 50 && s[i] != '\n'; i++)
		putchar(s[i] >= ' ' && s[i] < 127 ? s[i] : '.');
	printf("\"\n");
}

/* Another process: its own private mapping of the same file, and the
 * mapping it inherited from the parent. */
static void child(int turn, const volatile char *inherited, size_t len)
{
	int fd = open(path, O_RDONLY);
	char *own, c;

	if (fd < 0)
		mt_die("child: open %s", path);
	own = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (own == MAP_FAILED)
		mt_die("child: mmap %s", path);
	show_text("child, its own mapping", own, len);
	show_text("child, inherited mapping", inherited, len);
	mt_maps_print("child's own maps", own, 0);
	mt_tell(turn, &own, sizeof(own));
	mt_await(turn, &c, 1);	/* until the parent has looked */
	_exit(0);
}

int main(int argc, char **argv)
{
	static const char mark[] = "COPIED";
	char disk[64];
	volatile char *p;
	struct stat st;
	size_t len, n;
	void *theirs;
	ssize_t r;
	pid_t pid;
	int fd, turn;

	mt_init(argv);
	options(argc, argv);

	/* 1. Open the file and map all of it, private and writable. */
	if (path) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			mt_die("open %s", path);
	} else {
		const char *sample = mt_res_path("sample.txt");
		int src = open(sample, O_RDONLY);

		if (src < 0)
			mt_die("open %s (the sample text; or give a FILE)",
			       sample);
		fd = mt_scratch_copy("private", src);
		close(src);
		path = mt_scratch_path;
		printf("scratch copy of res/sample.txt (removed at exit)\n");
	}
	if (fstat(fd, &st) < 0)
		mt_die("fstat %s", path);
	if (!S_ISREG(st.st_mode))
		mt_fail("%s: not a regular file: give a file with some text",
			path);
	len = (size_t)st.st_size;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED && len == 0)
		mt_fail("mmap %s: %s (the file is empty: a mapping of "
			"length 0 is EINVAL)", path, strerror(errno));
	if (p == MAP_FAILED)
		mt_die("mmap %s", path);
	printf("file: %s\n", path);
	printf("file size: %zu (%s)\n", len, mt_human(len));
	printf("mapping: %p, private file mapping\n", (void *)p);
	mt_maps_print("maps", (void *)p, 0);

	/* 2. Read it through memory: a page fault brings the page in. */
	show_text("first line, through memory", p, len);
	show_smaps("after reading", (void *)p);
	mt_pause("file read through memory; try: grep -A12 '^%lx' "
		 "/proc/%d/smaps | grep -E '^(Rss|Private_Dirty|Anonymous):'",
		 (unsigned long)p, (int)getpid());

	/* 3. Write over the first bytes: the page is copied for us. */
	n = len < sizeof(mark) - 1 ? len : sizeof(mark) - 1;
	memcpy((char *)p, mark, n);
	show_text("first line, after the write", p, len);
	show_smaps("after writing", (void *)p);
	mt_pause("first page changed in memory; try: grep -A12 '^%lx' "
		 "/proc/%d/smaps | grep -E '^(Rss|Private_Dirty|Anonymous):'",
		 (unsigned long)p, (int)getpid());

	/* 4. The file itself is unchanged: read(2) says so. */
	r = pread(fd, disk, sizeof(disk), 0);
	if (r < 0)
		mt_die("read %s", path);
	show_text("first line, through read(2)", disk, (size_t)r);

	/* 5. And another process that maps the file sees the original. */
	pid = mt_fork_turns(&turn);
	if (pid == 0)
		child(turn, p, len);
	if (!mt_await(turn, &theirs, sizeof(theirs)))
		mt_child_gone(pid);
	printf("child: pid %d\n", (int)pid);
	mt_pause("child %d maps the file too; try: grep -E '^(%lx|%lx)' "
		 "/proc/%d/maps /proc/%d/maps", (int)pid, (unsigned long)p,
		 (unsigned long)theirs, (int)getpid(), (int)pid);
	close(turn);
	if (waitpid(pid, NULL, 0) < 0)
		mt_die("waitpid");
	if (munmap((void *)p, len) < 0)
		mt_die("munmap");
	printf("munmap: done; the changed copy is gone with it\n");
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		MT_COMMON_OPTIONS
	};

	mt_usage = "[--step] [FILE]";
	mt_help =
		"\nMaps FILE private and writable, reads it through memory, "
		"changes its first\nbytes in memory, and shows that the file "
		"and another process's mapping keep\nthe original. FILE is "
		"never changed; without FILE the program works on a\nscratch "
		"copy of res/sample.txt in $TMPDIR (default /tmp), removed at "
		"exit.\n\n"
		"      --step        pause at each step (or MEMTOUR_STEP=1)\n"
		"  -h, --help        this help\n";
	while (mt_getopt(argc, argv, "", longopts) != -1)
		;
	if (optind < argc)
		path = argv[optind++];
	mt_no_operands(argc, argv);
}
