/* SPDX-License-Identifier: MIT */
/* guard_page.c - a PROT_NONE page stops an overrun at its first byte
 *
 * Two one-page buffers, a and b, lie next to each other. A loop writes
 * one page plus a few bytes into a, one byte at a time: a classic
 * off-the-end bug.
 *   - Without a guard, the extra bytes land in b. Nothing faults; b's
 *     contents are simply wrong, and nobody notices until much later.
 *   - With a PROT_NONE page between a and b, the first byte past a is the
 *     guard's first byte: the write faults there (SIGSEGV, SEGV_ACCERR)
 *     and b is untouched.
 * A guard works in whole pages: a buffer that does not end on a page
 * boundary can overrun into the rest of its page undetected (tools such
 * as Electric Fence place each buffer's end at a page's end for that).
 *
 * The same idea protects stacks: every pthread stack has a ---p guard page
 * below it (pthread_attr_setguardsize), and the kernel keeps a guard gap
 * below the main [stack], a hole rather than a mapping (SEGV_MAPERR).
 *
 * Run:   mprotect/guard_page --step
 *        mprotect/guard_page --no-handler   (the guard kills it: 139)
 */
#include "../res/memtour.h"	/* first: it defines _GNU_SOURCE */
#include <setjmp.h>
#include <sys/mman.h>

static size_t overrun = 16;	/* -n: bytes written past a's end */
static int no_handler;		/* --no-handler */
static void options(int argc, char **argv);

static size_t ps;
static sigjmp_buf back;
static volatile size_t written;	/* bytes the loop wrote so far */

/* Async-signal-safe calls only: write(2) through mt_sig_*. */
static void on_fault(int sig, siginfo_t *si, void *ucontext)
{
	(void)sig;
	(void)ucontext;
	mt_sig_puts("caught: SIGSEGV, si_code ");
	mt_sig_dec(si->si_code);
	mt_sig_puts(si->si_code == SEGV_ACCERR ?
			    " (SEGV_ACCERR: mapped, access not allowed)" :
			    " (not SEGV_ACCERR)");
	mt_sig_puts("\nfault address: ");
	mt_sig_hex((uintptr_t)si->si_addr);
	mt_sig_puts("\n");
	siglongjmp(back, 1);
}

/* The bug: write ps + overrun bytes into a one-page buffer. */
static void overrun_a(char *a)
{
	volatile char *p = a;

	printf("writing: %zu bytes into a, %zu past its end\n",
	       ps + overrun, overrun);
	mt_check_stdout();	/* the handler writes past stdio */
	written = 0;
	if (sigsetjmp(back, 1) == 0)
		for (size_t i = 0; i < ps + overrun; i++) {
			p[i] = 'A';
			written = i + 1;
		}
	printf("bytes written: %zu\n", (size_t)written);
}

static void show_b(const char *when, const char *b)
{
	printf("b %s: \"%.32s\"\n", when, b);
}

int main(int argc, char **argv)
{
	static const char data[] = "b's own data, nobody else's";
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	char *a, *b, *guard;

	mt_init(argv);
	options(argc, argv);
	ps = mt_pagesize();
	if (!no_handler) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_fault;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		if (sigaltstack(&ss, NULL) < 0 ||
		    sigaction(SIGSEGV, &sa, NULL) < 0)
			mt_die("sigaction");
	}
	printf("page size: %zu\n", ps);

	/* 1. No guard: a and b are two pages of one mapping. */
	a = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		mt_die("mmap");
	b = a + ps;
	memcpy(b, data, sizeof(data));
	printf("without a guard\n");
	printf("a: 0x%lx-0x%lx\n", (unsigned long)a, (unsigned long)(a + ps));
	printf("b: 0x%lx-0x%lx\n", (unsigned long)b, (unsigned long)(b + ps));
	show_b("before", b);
	mt_pause("a and b are one rw-p mapping; try: grep '^%lx-' "
		 "/proc/%d/maps", (unsigned long)a, (int)getpid());
	overrun_a(a);
	show_b("after", b);
	printf("corrupted: the first %zu bytes of b, and no signal\n",
	       overrun);

	/* 2. A guard page between them: a | guard | b. */
	if (munmap(a, 2 * ps) < 0)
		mt_die("munmap");
	a = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		mt_die("mmap");
	guard = a + ps;
	b = a + 2 * ps;
	if (mprotect(guard, ps, PROT_NONE) < 0)
		mt_die("mprotect");
	memcpy(b, data, sizeof(data));
	printf("\nwith a guard page\n");
	printf("a: 0x%lx-0x%lx\n", (unsigned long)a, (unsigned long)guard);
	printf("guard: 0x%lx-0x%lx\n", (unsigned long)guard,
	       (unsigned long)b);
	printf("b: 0x%lx-0x%lx\n", (unsigned long)b, (unsigned long)(b + ps));
	show_b("before", b);
	mt_pause("a, guard and b are rw-p, ---p, rw-p; try: awk '/^%lx-/,"
		 "/^%lx-/' /proc/%d/maps", (unsigned long)a,
		 (unsigned long)b, (int)getpid());
	overrun_a(a);
	show_b("after", b);
	printf("intact: the guard's first byte stopped the overrun\n");
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "overrun", required_argument, NULL, 'n' },
		{ "no-handler", no_argument, NULL, 'N' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-n BYTES] [--no-handler] [--step]";
	mt_help = "\nOverrun a one-page buffer into its neighbour: first with\n"
		  "nothing between them (the neighbour is corrupted), then\n"
		  "with a PROT_NONE guard page (SIGSEGV at its first byte).\n\n"
		  "  -n, --overrun BYTES  bytes written past the end, 1 to 32;\n"
		  "                       default 16\n"
		  "      --no-handler     no SIGSEGV handler: the guard kills\n"
		  "                       the program\n"
		  "      --step           pause at each step (also "
		  "MEMTOUR_STEP=1)\n"
		  "  -h, --help           this text\n";
	while ((c = mt_getopt(argc, argv, "n:", longopts)) != -1)
		switch (c) {
		case 'n':
			overrun = mt_count_arg("-n", optarg, 1, 32);
			break;
		case 'N':
			no_handler = 1;
			break;
		}
	mt_no_operands(argc, argv);
}
