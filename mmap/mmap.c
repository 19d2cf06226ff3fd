/* SPDX-License-Identifier: MIT */
/* mmap.c - private anonymous memory: zeros, copy-on-write, munmap
 *
 * mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
 * -1, 0) is the plainest memory a process can ask for: malloc uses it for
 * big blocks, and the heap and the stack are the same kind of memory.
 *
 * What you will see, step by step:
 *   - the mapping in /proc/self/maps as "rw-p" (p: private) and its smaps
 *     figures: Rss 0 kB, because no page exists yet
 *   - one write gives the process a page of its own: Rss and
 *     Private_Dirty grow by one page
 *   - reading the other pages gives zeros, and usually no memory: a read
 *     maps the kernel's one shared zero page, which is nobody's memory
 *     (a kernel without the zero page gives each read a page: the
 *     program says which it saw)
 *   - after fork the child reads the same value; the page now counts as
 *     Shared_Dirty, mapped read-only in both processes. The child writes:
 *     the kernel copies the page for it (copy-on-write) and the parent
 *     keeps its own value; both print their maps line: "rw-p" in each
 *   - after munmap the addresses are gone: touching one is SIGSEGV
 *     (caught and explained; --no-handler lets the kernel kill it)
 *
 * Run:   mmap/mmap
 *        mmap/mmap --step        (pauses; run the try: commands beside it)
 *
 * Try beside it: strace -e trace=memory mmap/mmap (the mmap, madvise and
 * munmap calls), and at a pause pmap -X PID.
 */
#include "../res/memtour.h"
#include <sys/mman.h>
#include <sys/wait.h>

static size_t size;		/* default: 16 pages */
static int no_handler;
static void options(int argc, char **argv);

/* The smaps figures of this mapping that the story changes. */
static void show_smaps(const char *when, const void *addr)
{
	printf("smaps %s: Rss %ld kB, Shared_Dirty %ld kB, "
	       "Private_Dirty %ld kB\n", when, mt_smaps_kb(addr, "Rss"),
	       mt_smaps_kb(addr, "Shared_Dirty"),
	       mt_smaps_kb(addr, "Private_Dirty"));
}

/* The child: reads the value, then (its turn again) writes its own. */
static void child(int turn, volatile int *value)
{
	char c;

	printf("child reads: %d\n", *value);
	mt_tell(turn, "", 1);
	if (!mt_await(turn, &c, 1))
		_exit(0);
	*value = 99;
	printf("child wrote: %d (its own copy of the page now)\n", *value);
	mt_maps_print("child's maps", (void *)value, 1);
	mt_tell(turn, "", 1);
	mt_await(turn, &c, 1);	/* until the parent has looked */
	_exit(0);
}

/* After munmap: a touch is SIGSEGV. Say where and why, then end here. */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	mt_sig_puts("caught SIGSEGV: address ");
	mt_sig_hex((uintptr_t)si->si_addr);
	mt_sig_puts(si->si_code == SEGV_MAPERR ?
		    ", code SEGV_MAPERR (no mapping there)\n" :
		    ", code not SEGV_MAPERR\n");
	_exit(0);
}

int main(int argc, char **argv)
{
	size_t ps = mt_pagesize(), i;
	volatile unsigned char *p;
	volatile int *value;
	unsigned long sum = 0;
	pid_t pid;
	int turn;
	char c;

	mt_init(argv);
	size = 16 * ps;
	options(argc, argv);

	/* 1. Ask for the memory: address space only, no page yet. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		mt_die("mmap %zu bytes", size);
	/* One small page per touch, whatever the THP setting. */
	madvise((void *)p, size, MADV_NOHUGEPAGE);
	printf("page size: %zu\n", ps);
	printf("mapping: %p, %zu (%s), private anonymous\n", (void *)p, size,
	       mt_human(size));
	mt_maps_print("maps", (void *)p, 1);
	show_smaps("after mmap", (void *)p);
	mt_pause("mapped, no page yet; try: grep -A12 '^%lx' /proc/%d/smaps"
		 " | grep -E '^(Size|Rss):'", (unsigned long)p, (int)getpid());

	/* 2. Write: the first page becomes ours. */
	value = (volatile int *)p;
	*value = 42;
	printf("wrote: %d at %p\n", *value, (void *)p);
	show_smaps("after writing", (void *)p);
	mt_pause("one page written; try: grep -A12 '^%lx' /proc/%d/smaps | "
		 "grep -E '^(Rss|Private_Dirty|Anonymous):'", (unsigned long)p,
		 (int)getpid());

	/* 3. Read every page: zeros, but are they memory? */
	if (size == ps) {
		printf("read no untouched page: the mapping is the one page "
		       "written (give -s two\npages or more to see what a "
		       "read takes)\n");
		mt_pause("nothing to read; try: grep -A12 '^%lx' /proc/%d/smaps"
			 " | grep -E '^(Rss|Anonymous):'", (unsigned long)p,
			 (int)getpid());
	} else {
		for (i = ps; i < size; i += ps)
			sum += p[i] + p[i + ps - 1];
		printf("read %zu untouched pages: the sum of their bytes is "
		       "%lu\n", size / ps - 1, sum);
		show_smaps("after reading", (void *)p);
		printf("Anonymous: %ld kB\n",
		       mt_smaps_kb((void *)p, "Anonymous"));
		if ((size_t)mt_smaps_kb((void *)p, "Rss") * 1024 <= ps)
			printf("reading took no memory: each read mapped the "
			       "kernel's one zero page\n");
		else
			printf("reading took memory: this kernel gives a read "
			       "fault a page of its own\n(it does not use the "
			       "zero page here; mmap/first_touch says why)\n");
		mt_pause("pages read; try: grep -A12 '^%lx' /proc/%d/smaps | "
			 "grep -E '^(Rss|Anonymous):'", (unsigned long)p,
			 (int)getpid());
	}

	/* 4. fork: both see 42 through one page, until one of them writes. */
	pid = mt_fork_turns(&turn);
	if (pid == 0)
		child(turn, value);
	if (!mt_await(turn, &c, 1))
		mt_child_gone(pid);
	printf("child: pid %d\n", (int)pid);
	show_smaps("after fork", (void *)p);
	mt_pause("child %d forked: the pages are shared, read-only; try: "
		 "grep -A12 '^%lx' /proc/%d/smaps | grep -E '^(Shared|Private)"
		 "_Dirty:'", (int)pid, (unsigned long)p, (int)getpid());
	mt_tell(turn, "", 1);
	if (!mt_await(turn, &c, 1))
		mt_child_gone(pid);
	printf("parent reads: %d (its page was not touched)\n", *value);
	show_smaps("after child wrote", (void *)p);
	mt_maps_print("parent's maps", (void *)p, 1);
	mt_pause("the child wrote to a copy; try: grep '^%lx' /proc/%d/maps "
		 "/proc/%d/maps", (unsigned long)p, (int)getpid(), (int)pid);
	close(turn);
	if (waitpid(pid, NULL, 0) < 0)
		mt_die("waitpid");

	/* 5. munmap: the addresses are gone; a touch is SIGSEGV. */
	if (munmap((void *)p, size) < 0)
		mt_die("munmap");
	printf("munmap: done, %p is no longer mapped\n", (void *)p);
	mt_pause("unmapped; try: grep '^%lx' /proc/%d/maps || echo 'no "
		 "mapping at %p'", (unsigned long)p, (int)getpid(), (void *)p);
	if (!no_handler)
		mt_catch(SIGSEGV, on_segv);
	printf("reading %p again...\n", (void *)p);
	mt_check_stdout();	/* the handler ends with _exit: report now */
	sum = *value;
	printf("read %lu: this line is never printed\n", sum);
	return 1;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "no-handler", no_argument, NULL, 'n' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-s SIZE] [--no-handler] [--step]";
	mt_help =
		"\nA private anonymous mapping, step by step: zeros and no "
		"memory until a\nwrite, copy-on-write after fork, SIGSEGV after "
		"munmap.\n\n"
		"  -s, --size SIZE   size of the mapping (default 16 pages; "
		"K, M, G)\n"
		"      --no-handler  let the kernel kill the program at the "
		"SIGSEGV\n"
		"      --step        pause at each step (or MEMTOUR_STEP=1)\n"
		"  -h, --help        this help\n";
	while ((c = mt_getopt(argc, argv, "s:", longopts)) != -1)
		switch (c) {
		case 's':
			size = mt_page_round(mt_size_arg("-s", optarg, 1,
							  1ULL << 30));
			break;
		case 'n':
			no_handler = 1;
			break;
		}
	mt_no_operands(argc, argv);
}
