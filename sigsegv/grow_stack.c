/* SPDX-License-Identifier: MIT */
/* grow_stack.c - a stack that grows on fault, as the kernel's [stack]
 *
 * The main thread's [stack] starts small and the kernel extends it when a
 * fault lands just below it. Here the same is done by hand:
 *   1. reserve a large PROT_NONE region (address space only, no memory)
 *      and make only its top page readable and writable;
 *   2. run a recursive function on it (makecontext/swapcontext switch
 *      the stack pointer to the region's top);
 *   3. each time a frame reaches below the usable part, the access
 *      faults; the SIGSEGV handler makes the page(s) down to the faulting
 *      address usable and returns, and the access is run again;
 *   4. the region's lowest page stays PROT_NONE, a guard: a fault there
 *      means the reservation is used up, and the run stops with a
 *      message (the kernel sends SIGSEGV at RLIMIT_STACK instead).
 * The handler cannot run on the stack that just faulted: it runs on an
 * alternate signal stack (sigaltstack), and calls only async-signal-safe
 * functions (mprotect, write).
 *
 * Run:   sigsegv/grow_stack --step
 *        sigsegv/grow_stack -d 1000       (deeper than the reservation)
 */
#include "../res/memtour.h"	/* first: it defines _GNU_SOURCE */
#include <setjmp.h>
#include <sys/mman.h>
#ifdef __GLIBC__
#include <ucontext.h>
#else
#include <pthread.h>
#endif

#define FRAME 1000		/* bytes of locals in each frame */

static long depth = 40;			/* -d: frames to recurse */
static size_t reserve_len = 256 * 1024;	/* -r: the reservation */
static void options(int argc, char **argv);

static char *base, *top;	/* the reservation, set before the handler */
static size_t ps;
/* Shared with the handler: volatile sig_atomic_t, the one type a handler
 * may write and the interrupted code read safely. The usable part is
 * [top - usable * ps, top). */
static volatile sig_atomic_t usable = 1, events;
static volatile long deepest;	/* written by recurse() only */
static sigjmp_buf at_limit;
static int stopped;

/* Async-signal-safe only: mprotect is a plain system call; the line goes
 * out with write(2) through mt_sig_*. errno is saved and restored: the
 * interrupted code may be about to read it. */
static void on_fault(int sig, siginfo_t *si, void *ucontext)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	char *page = (char *)(a - a % ps), *low = top - usable * ps;
	int saved = errno;

	(void)ucontext;
	if (a < (uintptr_t)base || a >= (uintptr_t)low) {
		signal(sig, SIG_DFL);	/* not ours: let it kill us */
		errno = saved;
		return;
	}
	if (page == base) {	/* the guard page: the reservation is full */
		errno = saved;
		siglongjmp(at_limit, 1);
	}
	if (mprotect(page, (size_t)(low - page), PROT_READ | PROT_WRITE) < 0) {
		mt_sig_puts("grow_stack: mprotect failed\n");
		_exit(MT_EXIT_FAIL);
	}
	usable = (sig_atomic_t)((top - page) / (long)ps);
	events++;
	mt_sig_puts("grew: usable part starts at ");
	mt_sig_hex((uintptr_t)page);
	mt_sig_puts(", ");
	mt_sig_dec(usable);
	mt_sig_puts(" pages\n");
	errno = saved;
}

/* Each call takes about FRAME bytes of stack, and uses them. Handing the
 * frame to the next call keeps compilers from turning this into a loop. */
static long __attribute__((noinline)) recurse(long n, volatile char *up)
{
	volatile char frame[FRAME];

	frame[0] = (char)n;
	frame[FRAME - 1] = up[0];
	deepest = n;
	if (n < depth)
		return recurse(n + 1, frame) + frame[FRAME - 1];
	return frame[0];
}

/* Runs on the reservation; comes back here at its limit. */
static void entry(void)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	volatile char first = 0;

	if (sigaltstack(&ss, NULL) < 0)	/* per thread */
		mt_die("sigaltstack");
	if (sigsetjmp(at_limit, 1) == 0)
		recurse(1, &first);
	else
		stopped = 1;
}

#ifdef __GLIBC__
static void run_on_reservation(void)
{
	static ucontext_t main_uc, uc;

	if (getcontext(&uc) < 0)
		mt_die("getcontext");
	uc.uc_stack.ss_sp = base;
	uc.uc_stack.ss_size = reserve_len;
	uc.uc_link = &main_uc;	/* where to go when entry returns */
	makecontext(&uc, entry, 0);
	if (swapcontext(&main_uc, &uc) < 0)
		mt_die("swapcontext");
}
#else
static void *thread_entry(void *arg)
{
	entry();
	return arg;
}

static void run_on_reservation(void)
{
	pthread_attr_t attr;
	pthread_t t;

	printf("note: this C library is not glibc and has no makecontext/"
	       "swapcontext:\n      a thread runs on the reservation "
	       "instead\n");
	mt_check_stdout();
	if ((errno = pthread_attr_init(&attr)) ||
	    (errno = pthread_attr_setstack(&attr, base, reserve_len)) ||
	    (errno = pthread_create(&t, &attr, thread_entry, NULL)) ||
	    (errno = pthread_join(t, NULL)))
		mt_die("pthread");
}
#endif

static void show_usable(void)
{
	size_t n = (size_t)usable * ps;

	printf("usable: 0x%lx-0x%lx, %zu (%s), %zu page%s\n",
	       (unsigned long)(top - n), (unsigned long)top, n, mt_human(n),
	       n / ps, n > ps ? "s" : "");
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_fault,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };

	mt_init(argv);
	options(argc, argv);
	ps = mt_pagesize();
	reserve_len = mt_page_round(reserve_len);
	base = mmap(NULL, reserve_len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		mt_die("mmap %zu bytes", reserve_len);
	top = base + reserve_len;
	if (mprotect(top - ps, ps, PROT_READ | PROT_WRITE) < 0)
		mt_die("mprotect");
	if (sigaction(SIGSEGV, &sa, NULL) < 0)
		mt_die("sigaction");
	printf("page size: %zu\n", ps);
	printf("reservation: 0x%lx-0x%lx, %zu (%s)\n", (unsigned long)base,
	       (unsigned long)top, reserve_len, mt_human(reserve_len));
	show_usable();
	mt_pause("only the top page is usable; try: awk '/^%lx-/,/-%lx /' "
		 "/proc/%d/maps", (unsigned long)base, (unsigned long)top,
		 (int)getpid());

	printf("recursion: %ld frames of about %d bytes\n", depth, FRAME);
	mt_check_stdout();	/* the handler writes past stdio */
	run_on_reservation();
	printf("depth reached: %ld\n", deepest);
	printf("growth events: %d\n", (int)events);
	if (stopped)
		printf("limit: depth %ld needs more than the reservation; its "
		       "last page is the guard\n", deepest + 1);
	show_usable();
	mt_pause("the stack grew to %d page%s; try: awk '/^%lx-/,/-%lx /' "
		 "/proc/%d/maps", (int)usable, usable > 1 ? "s" : "",
		 (unsigned long)base, (unsigned long)top, (int)getpid());
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "depth", required_argument, NULL, 'd' },
		{ "reserve", required_argument, NULL, 'r' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-d DEPTH] [-r SIZE] [--step]";
	mt_help = "\nRun a recursive function on a PROT_NONE reservation whose\n"
		  "top page only is usable; a SIGSEGV handler on an alternate\n"
		  "stack makes each page usable when a frame reaches it.\n\n"
		  "  -d, --depth N     frames of about 1000 bytes (1 to 1000000);"
		  "\n                    default 40\n"
		  "  -r, --reserve SIZE  the reservation, 16K to 64M; default "
		  "256K\n"
		  "      --step        pause at each step (also MEMTOUR_STEP=1)\n"
		  "  -h, --help        this text\n";
	while ((c = mt_getopt(argc, argv, "d:r:", longopts)) != -1)
		switch (c) {
		case 'd':
			depth = (long)mt_count_arg("-d", optarg, 1, 1000000);
			break;
		case 'r':
			reserve_len = mt_size_arg("-r", optarg, 16 * 1024,
						  64 << 20);
			break;
		}
	mt_no_operands(argc, argv);
}
