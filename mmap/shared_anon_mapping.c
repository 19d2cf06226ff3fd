/* SPDX-License-Identifier: MIT */
/* shared_anon_mapping.c - one page shared by parent and child, both ways
 *
 * mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
 * -1, 0) before fork gives related processes memory they really share:
 * fork copies the mapping, not the page, and a write is never copied
 * (no copy-on-write). It is the simplest IPC there is (add a lock or a
 * pipe to take turns, as this program does with a pipe).
 *
 * What you will see:
 *   - the mapping in /proc/PID/maps as "rw-s" (s: shared), named
 *     "/dev/zero (deleted)": the memory is a file on the kernel's internal
 *     tmpfs, and it counts as RssShmem in /proc/PID/status
 *   - the parent writes 42 and the child reads 42; the child writes 99 and
 *     the parent reads 99; the child prints its own maps line: rw-s too,
 *     with the same device and inode (one and the same tmpfs file)
 *   - while both map it, smaps counts the page as Shared_Dirty; once the
 *     child has exited it is Private_Dirty again (one process maps it)
 *
 * Run:   mmap/shared_anon_mapping
 *        mmap/shared_anon_mapping --step
 *
 * Try beside it, at the pauses: grep the address in both processes' maps,
 * pmap -X PID, and as root the page's frame number in /proc/PID/pagemap
 * (the same in both processes).
 */
#include "../res/memtour.h"
#include <sys/mman.h>
#include <sys/wait.h>

static void options(int argc, char **argv);

static void show_smaps(const char *when, const void *addr)
{
	printf("smaps %s: Rss %ld kB, Shared_Dirty %ld kB, "
	       "Private_Dirty %ld kB\n", when, mt_smaps_kb(addr, "Rss"),
	       mt_smaps_kb(addr, "Shared_Dirty"),
	       mt_smaps_kb(addr, "Private_Dirty"));
}

/* The child: on its turn, reads the parent's value and writes its own. */
static void child(int turn, volatile int *value)
{
	char c;

	if (!mt_await(turn, &c, 1))
		_exit(0);
	printf("child reads: %d\n", *value);
	*value = 99;
	printf("child writes: %d\n", *value);
	mt_maps_print("child's maps", (void *)value, 0);
	mt_tell(turn, "", 1);
	mt_await(turn, &c, 1);	/* stay until the parent has looked */
	_exit(0);
}

int main(int argc, char **argv)
{
	size_t len = mt_pagesize();
	volatile int *value;
	pid_t pid;
	int turn;
	char c;

	mt_init(argv);
	options(argc, argv);

	/* 1. One shared page, before fork: the child inherits the mapping. */
	value = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (value == MAP_FAILED)
		mt_die("mmap %zu bytes", len);
	printf("mapping: %p, %zu (%s), shared anonymous\n", (void *)value,
	       len, mt_human(len));
	mt_maps_print("maps", (void *)value, 1);
	mt_pause("shared page mapped; try: grep '^%lx' /proc/%d/maps",
		 (unsigned long)value, (int)getpid());

	/* 2. fork; then values go both ways through the same page. */
	pid = mt_fork_turns(&turn);
	if (pid == 0)
		child(turn, value);
	printf("child: pid %d\n", (int)pid);
	*value = 42;
	printf("parent writes: %d\n", *value);
	mt_tell(turn, "", 1);
	if (!mt_await(turn, &c, 1))
		mt_child_gone(pid);
	printf("parent reads: %d\n", *value);
	mt_pause("both wrote to one page; try: grep '^%lx' /proc/%d/maps "
		 "/proc/%d/maps", (unsigned long)value, (int)getpid(),
		 (int)pid);
	show_smaps("with the child", (void *)value);
	printf("RssShmem: %ld kB\n", mt_status_kb("RssShmem"));
	mt_pause("the page is mapped by two processes; try: grep -A12 '^%lx' "
		 "/proc/%d/smaps | grep -E '^(Rss|Shared_Dirty|Private_Dirty):'",
		 (unsigned long)value, (int)getpid());

	/* 3. The child exits: the page is this process's alone again. */
	close(turn);
	if (waitpid(pid, NULL, 0) < 0)
		mt_die("waitpid");
	show_smaps("after the child exited", (void *)value);
	mt_pause("one process maps the page again; try: grep -A12 '^%lx' "
		 "/proc/%d/smaps | grep -E '^(Rss|Shared_Dirty|Private_Dirty):'",
		 (unsigned long)value, (int)getpid());
	if (munmap((void *)value, len) < 0)
		mt_die("munmap");
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		MT_COMMON_OPTIONS
	};

	mt_usage = "[--step]";
	mt_help =
		"\nA shared anonymous mapping made before fork: parent and child "
		"write to one\npage and each reads the other's value; maps shows "
		"it as rw-s in both.\n\n"
		"      --step        pause at each step (or MEMTOUR_STEP=1)\n"
		"  -h, --help        this help\n";
	while (mt_getopt(argc, argv, "", longopts) != -1)
		;
	mt_no_operands(argc, argv);
}
