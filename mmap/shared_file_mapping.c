/* SPDX-License-Identifier: MIT */
/* shared_file_mapping.c - writes to a shared file mapping reach the file
 *
 * mmap(..., PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) makes the file's
 * pages in the page cache part of the process, with no copy: read(2) and
 * every process that maps the file use the same pages. That is
 * memory-mapped I/O: edit a file by storing bytes. You will see:
 *   - the mapping in /proc/self/maps as "rw-s" (s: shared)
 *   - word 1 made uppercase by stores; read(2) has it at once, here and in
 *     another process; that process maps the file too and uppercases word
 *     2, which this one sees, and sees this one's word 3
 *   - msync(MS_SYNC) writes the page to the disk: smaps shows it clean;
 *     after munmap read(2) still shows the edits: they are the file
 *   - an offset that is not a multiple of the page size is EINVAL; a
 *     mapping may run past the end of the file: the rest of the last page
 *     reads as zeros, a page wholly past it is SIGBUS (caught; with
 *     --no-handler the kernel kills the program)
 * Run:   mmap/shared_file_mapping [FILE]   (a scratch copy of FILE or of
 *                                          res/sample.txt, removed at exit)
 *        mmap/shared_file_mapping --in-place FILE  (edits FILE itself)
 * Try beside it: strace -e trace=memory, and pmap -X PID at a pause.
 */
#include "../res/memtour.h"
#include <sys/mman.h>
#include <sys/wait.h>

static const char *path;	/* the file given, then the file mapped */
static char what[PATH_MAX + 32];	/* the file, as errors name it */
static int in_place, no_handler;
static void options(int argc, char **argv);

static void show_smaps(const char *when, const void *addr)
{
	printf("smaps %s: Rss %ld kB, Shared_Dirty %ld kB, "
	       "Private_Dirty %ld kB\n", when, mt_smaps_kb(addr, "Rss"),
	       mt_smaps_kb(addr, "Shared_Dirty"),
	       mt_smaps_kb(addr, "Private_Dirty"));
}

/* The words the story edits: runs of ASCII letters (31 shown at most). */
static size_t w_off[3], w_len[3];
#define letter(c) (((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z')
#define SHOWN(k) (w_len[k] < 31 ? (int)w_len[k] : 31)

static void find_words(const volatile char *p, size_t len)
{
	size_t i = 0, k;

	for (k = 0; k < 3; k++) {
		while (i < len && !letter(p[i]))
			i++;
		if (i == len)
			mt_fail("%s: fewer than three words to edit", what);
		for (w_off[k] = i; i < len && letter(p[i]); i++)
			;
		w_len[k] = i - w_off[k];
	}
}

/* Make word k uppercase with plain stores, and say so. */
static void upcase(const char *who, volatile char *p, int k)
{
	char was[32];
	size_t i;

	memcpy(was, (const char *)p + w_off[k], (size_t)SHOWN(k));
	for (i = w_off[k]; i < w_off[k] + w_len[k]; i++)
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] -= 'a' - 'A';
	printf("%s word %d at offset %zu: \"%.*s\" -> \"%.*s\"\n", who, k + 1,
	       w_off[k], SHOWN(k), was, SHOWN(k), (const char *)p + w_off[k]);
}

/* Word k through the mapping p. */
#define show_word(who, p, k) printf("%s word %d: \"%.*s\"\n", who, (k) + 1, \
				    SHOWN(k), (const char *)(p) + w_off[k])

/* Word k of the file through read(2), not through the mapping. */
static void read_word(const char *who, int fd, int k)
{
	char buf[32];

	if (pread(fd, buf, (size_t)SHOWN(k), (off_t)w_off[k]) != SHOWN(k))
		mt_die("read %s", what);
	printf("%s, read(2) of word %d: \"%.*s\"\n", who, k + 1, SHOWN(k),
	       buf);
}

/* Another process maps the same file, shared, on its own. */
static void child(int fd, int turn, size_t len)
{
	volatile char *own;
	char c;

	read_word("child", fd, 0);
	own = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (own == MAP_FAILED)
		mt_die("child: mmap %s", what);
	mt_maps_print("child's own maps", (void *)own, 0);
	upcase("child writes", own, 1);
	mt_tell(turn, &own, sizeof(own));
	if (mt_await(turn, &c, 1))
		show_word("child reads", own, 2);
	fflush(stdout);
	_exit(0);
}

/* f opened with flags, and a regular file: or a message and exit 1. */
static int open_regular(const char *f, int flags, struct stat *st)
{
	int fd = open(f, flags);

	if (fd < 0)
		mt_die("open %s", f);
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode))
		mt_fail("%s: not a regular file: give a file with some text", f);
	return fd;
}

/* A page wholly past the end of the file: SIGBUS. Say where, end here. */
static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	mt_sig_puts("caught SIGBUS: address ");
	mt_sig_hex((uintptr_t)si->si_addr);
	mt_sig_puts(si->si_code == BUS_ADRERR ? ", code BUS_ADRERR (no "
		    "file behind it)\n" : ", code not BUS_ADRERR\n");
	_exit(0);
}

int main(int argc, char **argv)
{
	size_t ps = mt_pagesize(), len, big;
	volatile char *p, *q;
	struct stat st;
	void *theirs;
	pid_t pid;
	int fd, pd, turn;

	mt_init(argv);
	options(argc, argv);
	pd = (int)getpid();

	/* 1. The file: a scratch copy, or the user's file with --in-place. */
	fd = open_regular(path ? path : mt_res_path("sample.txt"),
			  in_place ? O_RDWR : O_RDONLY, &st);
	if (in_place) {
		printf("editing %s in place: its first three words become "
		       "uppercase\n", path);
		snprintf(what, sizeof(what), "%s", path);
	} else {
		/* Errors name the file the user knows: the copy is gone. */
		snprintf(what, sizeof(what), "scratch copy of %s",
			 path ? path : "res/sample.txt");
		fd = mt_scratch_copy("shared", fd);	/* from the file */
		printf("%s (removed at exit)\n", what);
		path = mt_scratch_path;
	}
	len = (size_t)st.st_size;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED && len == 0)
		mt_fail("mmap %s: %s (the file is empty: a mapping of "
			"length 0 is EINVAL)", what, strerror(errno));
	if (p == MAP_FAILED)
		mt_die("mmap %s", what);
	find_words(p, len);
	printf("file: %s\nfile size: %zu (%s)\nmapping: %p, shared file "
	       "mapping\n", path, len, mt_human(len), (void *)p);
	mt_maps_print("maps", (void *)p, 0);
	mt_pause("file mapped shared; try: grep '^%lx' /proc/%d/maps",
		 (unsigned long)p, pd);

	/* 2. Memory-mapped I/O: edit a word with stores, no write(2). */
	upcase("parent writes", p, 0);
	read_word("parent", fd, 0);
	show_smaps("after the edit", (void *)p);
	mt_pause("word 1 edited in memory is in the file; try: dd if='%s' "
		 "bs=1 skip=%zu count=%zu 2>/dev/null; echo", path, w_off[0],
		 w_len[0]);

	/* 3. A second process maps the file: each sees the other's stores. */
	pid = mt_fork_turns(&turn);
	if (pid == 0)
		child(fd, turn, len);
	if (!mt_await(turn, &theirs, sizeof(theirs)))
		mt_child_gone(pid);
	printf("child: pid %d\n", (int)pid);
	show_word("parent reads", p, 1);
	show_smaps("with the child", (void *)p);
	mt_pause("two processes map the file; try: grep -E '^(%lx|%lx)' "
		 "/proc/%d/maps /proc/%d/maps", (unsigned long)p,
		 (unsigned long)theirs, pd, (int)pid);
	upcase("parent writes", p, 2);
	mt_tell(turn, "", 1);
	close(turn);
	if (waitpid(pid, NULL, 0) < 0)
		mt_die("waitpid");

	/* 4. msync: the dirty page goes to the disk now, not some time. */
	if (msync((void *)p, len, MS_SYNC) < 0)
		mt_die("msync");
	show_smaps("after msync", (void *)p);
	printf("msync(MS_SYNC): %s\n", mt_smaps_kb((void *)p,
	       "Private_Dirty") == 0 ? "the page is on the disk, clean again" :
	       "the page stays dirty: this file system keeps\nfiles in "
	       "memory (tmpfs has no disk to write to)");
	read_word("after msync", fd, 1);
	mt_pause("page written back; try: grep -A12 '^%lx' /proc/%d/smaps | "
		 "grep -E '^(Rss|Private_Clean|Private_Dirty):'",
		 (unsigned long)p, pd);

	/* 5. munmap: the edits stay, because they are the file. */
	if (munmap((void *)p, len) < 0)
		mt_die("munmap");
	read_word("after munmap", fd, 0);
	read_word("after munmap", fd, 2);

	/* 6. Part of a file: offsets are whole pages... */
	q = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 1);
	printf("mmap at offset 1: %s (offsets are whole pages)\n",
	       q == MAP_FAILED ? strerror(errno) : "accepted?");

	/* ...and the mapping may run past the end of the file. */
	big = mt_page_round(len) + ps;
	q = mmap(NULL, big, PROT_READ, MAP_SHARED, fd, 0);
	if (q == MAP_FAILED)
		mt_die("mmap %zu bytes", big);
	printf("mapping past the end: %p, %zu (%s) over a %zu-byte file\n",
	       (void *)q, big, mt_human(big), len);
	if (len % ps)
		printf("byte at offset %zu, just past the end: %d (the rest "
		       "of the last page is zeros)\n", len, q[len]);
	mt_pause("mapped beyond the file; try: grep '^%lx' /proc/%d/maps",
		 (unsigned long)q, pd);
	if (!in_place) {
		mt_scratch_remove();	/* even if SIGBUS kills us */
		mt_scratch_path[0] = '\0';
	}
	if (!no_handler)
		mt_catch(SIGBUS, on_sigbus);
	printf("reading %p, a page wholly past the end of the file...\n",
	       (void *)(q + mt_page_round(len)));
	mt_check_stdout();	/* the handler ends with _exit: report now */
	printf("read %d: this line is never printed\n",
	       q[mt_page_round(len)]);
	return 1;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "in-place", no_argument, NULL, 'i' },
		{ "no-handler", no_argument, NULL, 'n' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[--no-handler] [--step] [FILE | --in-place FILE]";
	mt_help = "\nMaps a file shared and edits it through memory; msync, "
		"munmap, EINVAL for an\nunaligned offset, SIGBUS past the end "
		"of the file.\n\n  FILE              work on a scratch copy of "
		"FILE in $TMPDIR (default:\n                    res/sample.txt"
		"); removed at exit\n      --in-place    edit FILE itself: its "
		"first three words become uppercase\n      --no-handler  let "
		"the kernel kill the program at the SIGBUS\n      --step      "
		"  pause at each step (or MEMTOUR_STEP=1)\n  -h, --help       "
		" this help\n";
	while ((c = mt_getopt(argc, argv, "", longopts)) != -1) {
		in_place |= c == 'i';
		no_handler |= c == 'n';
	}
	if (optind < argc)
		path = argv[optind++];
	mt_no_operands(argc, argv);
	if (in_place && !path)
		mt_usage_error("--in-place needs a FILE");
}
