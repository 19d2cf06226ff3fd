/* brk.c - the program break, moved by brk and sbrk
 *
 * The heap of a classic Unix process is one stretch of memory that starts
 * just past the program's data and bss and ends at the "program break".
 * brk(addr) sets the break; sbrk(incr) moves it by incr and returns the old
 * one; sbrk(0) asks where it is. The kernel shows the stretch as the
 * [heap] line of /proc/PID/maps, rounded up to whole pages. malloc grows
 * the heap this way; this program moves the break by hand and mallocs
 * nothing, so nothing else moves it behind our back.
 *
 * Run:   heap/brk                 (increment 100000 bytes)
 *        heap/brk -i 1M --step
 *
 * What to look for, step by step:
 *   1. &end (first byte after the bss, from the linker) versus the initial
 *      sbrk(0): with full ASLR (randomize_va_space 2) the kernel starts the
 *      heap one page plus a random number of pages further on (the random
 *      part is less than 1 GiB on x86_64 and arm64; on x86_64 kernels
 *      before 6.9, less than 32 MiB). No [heap] line yet: the heap is
 *      empty (break == start), and an empty range is no mapping.
 *   2. sbrk(+N): the break moves by exactly N bytes, the [heap] line
 *      appears and ends at the break rounded up to a page.
 *   3. brk(start + N/10): the break goes down, the heap shrinks.
 *   4. sbrk(-N/20): a negative increment moves it down too.
 *   5. brk(an address in the stack): refused, because the heap would run
 *      over the mappings in between (libraries, the stack). The glibc
 *      wrapper returns -1 with errno ENOMEM; the raw system call returns
 *      the old break unchanged, which is how the wrapper knows it failed.
 *   6. brk(start): the heap is empty again; its [heap] line is gone.
 *
 * Lines a test reads (after every step, the latest one counts):
 *   end: 0xADDR   etext: 0xADDR   edata: 0xADDR
 *   break_initial: 0xADDR         gap: BYTES (from &end to the break)
 *   break: 0xADDR                 heap: 0xSTART-0xEND (BYTES) | none
 *   brk_ret: -1 (ENOMEM)          raw_brk_ret: 0xADDR
 *
 * Try beside it (second terminal, at a pause):
 *   grep '\[heap\]' /proc/PID/maps
 *   nm -n heap/brk | grep -w -e end -e edata -e etext
 *   strace -e trace=brk heap/brk       every brk call and what it returned
 *   cat /proc/sys/kernel/randomize_va_space; setarch -R heap/brk
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *prog = "brk";
static int step_mode;		/* --step or MEMTOUR_STEP=1 */

/* The linker defines these: the first address past text, data and bss. */
extern char etext, edata, end;

/* stdout's buffer, given before the first printf: otherwise stdio mallocs
 * one on first use, and that malloc moves the very break we are watching. */
static char outbuf[8192];

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
	fprintf(f, "usage: %s [-i SIZE] [--step] [--help]\n", prog);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
	       "Move the program break by hand and watch the [heap] line of\n"
	       "/proc/self/maps follow: sbrk(+SIZE), brk() back down,\n"
	       "sbrk(-SIZE/20), a brk() the kernel refuses, brk() to the\n"
	       "start. The program never mallocs.\n"
	       "\n"
	       "  -i, --increment SIZE  first sbrk increment in bytes, K/M/G\n"
	       "                        suffixes; 100 to 1G, default 100000\n"
	       "      --step            pause after each step\n"
	       "                        (also MEMTOUR_STEP=1)\n"
	       "      --help            this text\n");
}

/* Strict size parser: decimal digits, then an optional K, M, G or T
 * (powers of 1024). No sign, no blanks, no zero, no overflow. */
static int parse_size(const char *s, size_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v, mul = 1;
	const char *u;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end && (u = strchr(units, toupper((unsigned char)*end)))) {
		mul <<= 10 * (u - units + 1);
		end++;
	}
	if (*end != '\0' || v == 0 || v > SIZE_MAX / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

/* Print the [heap] line of our own maps, read with open/read into a static
 * buffer (fopen would malloc). */
static void show_heap(void)
{
	static char buf[65536];
	unsigned long lo, hi;
	size_t len = 0;
	ssize_t n;
	char *p;
	int fd = open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		die("open /proc/self/maps");
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	p = strstr(buf, "[heap]");
	if (!p) {
		printf("heap: none (no [heap] line: the heap is empty)\n");
		return;
	}
	while (p > buf && p[-1] != '\n')
		p--;
	if (sscanf(p, "%lx-%lx", &lo, &hi) != 2) {
		printf("heap: unreadable\n");
		return;
	}
	printf("heap: 0x%lx-0x%lx (%lu bytes)\n", lo, hi, hi - lo);
}

static void show_break(void)
{
	void *b = sbrk(0);
	uintptr_t ps = sysconf(_SC_PAGESIZE);
	uintptr_t up = ((uintptr_t)b + ps - 1) & ~(ps - 1);

	printf("break: %p (page-rounded: 0x%lx)\n", b, (unsigned long)up);
	show_heap();
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "increment", required_argument, NULL, 'i' },
		{ "step", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *env = getenv("MEMTOUR_STEP");
	size_t inc = 100000;
	char *start, *old;
	int c, aslr = -1, fd;
	char aslr_buf[8];
	long raw;
	int ret;
	long pid;

	/* Before anything is printed: see outbuf above. */
	setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));

	if (env && *env && strcmp(env, "0") != 0)
		step_mode = 1;
	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":hi:", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_size(optarg, &inc) < 0 || inc < 100 ||
			    inc > (1UL << 30)) {
				fprintf(stderr, "%s: bad increment (100 to 1G,"
					" optional K/M/G): %s\n", prog,
					optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'S':
			step_mode = 1;
			break;
		case 'h':
			help();
			return 0;
		case ':':
			if (optopt && strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "%s: option '-%c' needs an "
					"argument\n", prog, optopt);
			else
				fprintf(stderr, "%s: option '%s' needs an "
					"argument\n", prog, argv[optind - 1]);
			usage(stderr);
			return 2;
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
		fprintf(stderr, "%s: unexpected argument: %s\n", prog,
			argv[optind]);
		usage(stderr);
		return 2;
	}
	pid = (long)getpid();

	fd = open("/proc/sys/kernel/randomize_va_space", O_RDONLY);
	if (fd >= 0) {
		if (read(fd, aslr_buf, 1) == 1)
			aslr = aslr_buf[0] - '0';
		close(fd);
	}

	/* 1. Where the heap starts. */
	start = sbrk(0);
	printf("etext: %p\nedata: %p\nend: %p\n", (void *)&etext,
	       (void *)&edata, (void *)&end);
	printf("break_initial: %p\n", (void *)start);
	printf("gap: %lu bytes from &end to the initial break\n",
	       (unsigned long)(start - &end));
	printf("randomize_va_space: %d\n", aslr);
	c = personality(0xffffffff);
	if (c != -1 && (c & ADDR_NO_RANDOMIZE)) {
		printf("    personality ADDR_NO_RANDOMIZE (setarch -R) turns "
		       "ASLR off here\n");
		aslr = 0;
	}
	if (aslr == 2)
		printf("    ASLR is on: the kernel started the heap one page "
		       "plus a random\n    number of pages past the bss "
		       "(less than 1 GiB on x86_64 and arm64;\n"
		       "    x86_64 kernels before 6.9: less than 32 MiB)\n");
	else
		printf("    brk randomization is off: the heap starts at "
		       "&end rounded up to a page\n");
	show_break();
	printf("    break == start: the heap is empty, so there is no "
	       "[heap] mapping yet\n");
	step("initial break; try: grep '\\[heap\\]' /proc/%ld/maps", pid);

	/* 2. sbrk up. */
	old = sbrk(inc);
	if (old == (void *)-1)
		die("sbrk");
	printf("\nsbrk(+%zu) returned the old break %p\n", inc, (void *)old);
	show_break();
	printf("    the break moved by exactly %zu bytes;\n"
	       "    [heap] ends there, rounded up to a page\n", inc);
	step("sbrk(+%zu); try: grep '\\[heap\\]' /proc/%ld/maps", inc, pid);

	/* 3. brk back down. */
	if (brk(start + inc / 10) < 0)
		die("brk down");
	printf("\nbrk(%p) (start + %zu) returned 0\n",
	       (void *)(start + inc / 10), inc / 10);
	show_break();
	printf("    the heap shrank: the pages above the new break are "
	       "gone\n");
	step("brk down; try: grep '\\[heap\\]' /proc/%ld/maps", pid);

	/* 4. sbrk by a negative increment. */
	old = sbrk(-(intptr_t)(inc / 20));
	if (old == (void *)-1)
		die("sbrk negative");
	printf("\nsbrk(-%zu) returned the old break %p\n", inc / 20,
	       (void *)old);
	show_break();
	step("sbrk(-%zu); try: "
	     "grep '\\[heap\\]' /proc/%ld/maps", inc / 20, pid);

	/* 5. A brk the kernel refuses: into the stack, far above. */
	old = sbrk(0);
	errno = 0;
	ret = brk((void *)&aslr);
	printf("\nbrk(%p) (an address in the stack):\n", (void *)&aslr);
	printf("brk_ret: %d (%s)\n", ret, errno == ENOMEM ? "ENOMEM" :
	       strerror(errno));
	raw = syscall(SYS_brk, (void *)&aslr);
	printf("raw_brk_ret: 0x%lx (the %s break)\n", (unsigned long)raw,
	       (char *)raw == old ? "unchanged old" : "NEW?");
	printf("    refused: the heap would grow over the mappings in "
	       "between\n    (shared libraries, the stack itself)\n"
	       "    the system call returns no error code: it returns the "
	       "break as it is,\n    and glibc's brk() turns \"not moved\" "
	       "into -1 and ENOMEM\n");
	show_break();
	step("refused brk; try: grep '\\[heap\\]' /proc/%ld/maps", pid);

	/* 6. Back to the start: empty heap again. */
	if (brk(start) < 0)
		die("brk to start");
	printf("\nbrk(%p) (the initial break)\n", (void *)start);
	show_break();
	step("brk back; try: grep '\\[heap\\]' /proc/%ld/maps", pid);
	return 0;
}
