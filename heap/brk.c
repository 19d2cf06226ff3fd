/* SPDX-License-Identifier: MIT */
/* brk.c - the program break, moved by hand with sbrk and brk
 *
 * The heap of a classic Unix process is one stretch of memory that starts
 * past the program's data and bss and ends at the "program break".
 * sbrk(incr) moves the break by incr bytes and returns the old one;
 * sbrk(0) asks where it is; brk(addr) sets it. The kernel shows the stretch
 * as the [heap] line of /proc/PID/maps, in whole pages: it ends at the
 * break rounded up to a page. An empty heap (break == start) is no mapping
 * at all. This program mallocs nothing, so only it moves the break.
 *
 * What you will see:
 *   1. the linker's symbols etext, edata and end, and the initial break
 *      (with ASLR, a random number of pages past end)
 *   2. sbrk(+N): the break moves by exactly N, [heap] appears
 *   3. brk(start + N/10) and 4. sbrk(-N/20): the break goes down
 *   5. brk(an address in the stack): refused, nothing moves
 *   6. brk(start): the heap is empty again, [heap] is gone
 * musl's sbrk refuses to move the break at all: the program says why and
 * uses the brk system call itself.
 *
 * Run:   heap/brk                 (increment 100000 bytes)
 *        heap/brk -i 1M --step
 * Try beside it:
 *   nm -n heap/brk | grep -w -e etext -e edata -e end
 *   strace -e trace=brk heap/brk       every brk call and what it returned
 *   setarch -R heap/brk                without ASLR: the heap starts at end
 */
#include "../res/memtour.h"
#include <sys/personality.h>
#include <sys/syscall.h>

static size_t inc = 100000;	/* -i: the first sbrk increment */
static void options(int argc, char **argv);

/* The linker defines these: the first address past text, data and bss. */
extern char etext, edata, end;

/* stdout's buffer, given before the first printf: otherwise stdio mallocs
 * one on first use, and that malloc moves the very break we watch. */
static char outbuf[8192];

/* glibc's sbrk and brk move the break. musl's refuse: its malloc moves
 * the break itself, and a program moving it too would corrupt malloc's
 * bookkeeping. The system call still works: it takes the wanted break and
 * returns the break as it is afterwards (the old one if refused). */
static int use_syscall;

static char *sys_brk(void *want)
{
	return (char *)syscall(SYS_brk, want);
}

static char *move_by(intptr_t incr)	/* sbrk(incr) */
{
	char *old = sys_brk(0);

	if (!use_syscall)
		return sbrk(incr);
	if (sys_brk(old + incr) == old + incr)
		return old;
	errno = ENOMEM;
	return (char *)-1;
}

static int move_to(char *want)		/* brk(want) */
{
	if (!use_syscall)
		return brk(want);
	if (sys_brk(want) == want)
		return 0;
	errno = ENOMEM;
	return -1;
}

/* The break now, and the [heap] line the kernel shows for it. */
static void show_break(void)
{
	static struct mt_mapping m;
	char *b = sbrk(0);
	uintptr_t up = mt_page_round((uintptr_t)b);

	printf("break: %p\n", (void *)b);
	printf("break rounded up to a page: 0x%lx\n", (unsigned long)up);
	if (mt_maps_find(0, b - 1, &m) == 0 && strstr(m.path, "[heap]"))
		printf("[heap]: 0x%lx-0x%lx, %zu (%s)\n",
		       (unsigned long)m.start, (unsigned long)m.end,
		       (size_t)(m.end - m.start),
		       mt_human(m.end - m.start));
	else
		printf("[heap]: none (an empty heap is no mapping)\n");
}

static void pause_heap(const char *what)
{
	mt_pause("%s; try: grep '\\[heap\\]' /proc/%d/maps || "
		 "echo 'no [heap] line'", what, (int)getpid());
}

/* 1. Where the heap starts: past the bss, a random distance on with ASLR. */
static char *initial_break(void)
{
	char *start = sbrk(0), buf[4] = "";
	static struct mt_mapping m;
	int fd, aslr = -1, pers = personality(0xffffffff);

	printf("page size: %zu\n", mt_pagesize());
	printf("end of text (etext): %p\n", (void *)&etext);
	printf("end of data (edata): %p\n", (void *)&edata);
	printf("end of bss (end): %p\n", (void *)&end);
	printf("initial break: %p\n", (void *)start);
	printf("gap from end to the break: %zu (%s)\n",
	       (size_t)(start - &end), mt_human((size_t)(start - &end)));
	fd = open("/proc/sys/kernel/randomize_va_space", O_RDONLY);
	if (fd >= 0 && read(fd, buf, 1) == 1)
		aslr = buf[0] - '0';
	if (fd >= 0)
		close(fd);
	printf("randomize_va_space: %d\n", aslr);
	if (pers != -1 && (pers & ADDR_NO_RANDOMIZE))
		printf("    but this process runs with ADDR_NO_RANDOMIZE "
		       "(setarch -R): no ASLR\n");
	if (aslr == 2 && !(pers != -1 && (pers & ADDR_NO_RANDOMIZE)))
		printf("    ASLR is on: the kernel started the heap a "
		       "random number of pages\n    past the bss (less "
		       "than 1 GiB on x86_64 since Linux 6.9, 32 MiB "
		       "before)\n");
	else
		printf("    brk randomization is off: the heap starts at "
		       "end rounded up to a page\n");
	show_break();
	if (mt_maps_find(0, start - 1, &m) == 0
	    && strstr(m.path, "[heap]"))
		printf("    the C library's malloc moved the break before "
		       "main ran\n");
	pause_heap("initial break");
	return start;
}

int main(int argc, char **argv)
{
	char *start, *old, *b4;
	long raw;
	int ret;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	mt_init(argv);
	options(argc, argv);

	start = initial_break();

	/* 2. Up by inc. musl says no: then the system call does it. */
	printf("\n2. sbrk(+%zu)\n", inc);
	old = sbrk((intptr_t)inc);
	if (old == (char *)-1 && errno == ENOMEM && sbrk(0) == start) {
#ifndef __GLIBC__
		printf("sbrk(+%zu): -1 (ENOMEM)\n"
		       "    this libc is not glibc: musl's sbrk refuses "
		       "every increment but 0,\n    and its brk() always "
		       "fails: musl's malloc moves the break itself,\n"
		       "    and would be corrupted by a program moving it "
		       "too. From here on\n    this program makes the brk "
		       "system call itself, with syscall(SYS_brk)\n", inc);
		use_syscall = 1;
		old = move_by((intptr_t)inc);
#endif
	}
	if (old == (char *)-1)
		mt_die("sbrk(+%zu)", inc);
	printf("returned the old break: %p\n", (void *)old);
	show_break();
	printf("    the break moved by exactly %zu bytes; [heap] ends "
	       "there, rounded up\n", inc);
	pause_heap("sbrk(+N)");

	/* 3. Down, to an address. */
	printf("\n3. brk(start + %zu)\n", inc / 10);
	if (move_to(start + inc / 10) < 0)
		mt_die("brk(start + %zu)", inc / 10);
	printf("returned: 0\n");
	show_break();
	printf("    the heap shrank: the pages above the new break are "
	       "gone\n");
	pause_heap("brk down");

	/* 4. Down by a negative increment. */
	printf("\n4. sbrk(-%zu)\n", inc / 20);
	old = move_by(-(intptr_t)(inc / 20));
	if (old == (char *)-1)
		mt_die("sbrk(-%zu)", inc / 20);
	printf("returned the old break: %p\n", (void *)old);
	show_break();
	pause_heap("sbrk(-N)");

	/* 5. Refused: up to an address in the stack, far above. Nothing
	 * moves, so no pause here. */
	b4 = sbrk(0);
	printf("\n5. brk(%p), an address in the stack\n", (void *)&ret);
	errno = 0;
	ret = move_to((char *)&ret);
	printf("returned: %d (%s)\n", ret, ret < 0 && errno == ENOMEM ?
	       "ENOMEM" : strerror(errno));
	raw = (long)sys_brk(&ret);
	printf("the system call returned: 0x%lx (%s)\n", (unsigned long)raw,
	       (char *)raw == b4 ? "the break as it was" : "moved?");
	printf("    refused: the heap would grow over the mappings in "
	       "between (shared\n    libraries, the stack itself). The "
	       "system call has no error code:\n    it returns the break "
	       "unchanged, and the C library turns that into\n    -1 "
	       "and ENOMEM\n");
	show_break();

	/* 6. Back to the start. */
	printf("\n6. brk(%p), the initial break\n", (void *)start);
	if (move_to(start) < 0)
		mt_die("brk(start)");
	show_break();
	pause_heap("brk back to the start, empty heap");
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "increment", required_argument, NULL, 'i' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-i SIZE] [--step]";
	mt_help = "\nMove the program break by hand and watch the [heap] line "
		  "of /proc/PID/maps\nfollow: sbrk(+SIZE), brk() back down, "
		  "sbrk(-SIZE/20), a brk() the kernel\nrefuses, brk() to "
		  "the start. The program never mallocs.\n\n"
		  "  -i, --increment SIZE  first sbrk increment, 64K to 1G "
		  "(K, M, G suffixes);\n"
		  "                        default 100000\n"
		  "      --step            pause after each step (also "
		  "MEMTOUR_STEP=1)\n"
		  "  -h, --help            this text\n";
	while ((c = mt_getopt(argc, argv, "i:", longopts)) != -1)
		if (c == 'i')
			inc = mt_size_arg("-i", optarg, 64 * 1024, 1 << 30);
	mt_no_operands(argc, argv);
}
