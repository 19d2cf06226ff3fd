/* SPDX-License-Identifier: MIT */
/* jit.c - executable memory the W^X way: write, then make it r-x
 *
 * A just-in-time compiler writes machine code into memory and runs it.
 * Memory that is writable and executable at the same time is an
 * attacker's dream (write shellcode, jump to it), so the rule is W^X:
 *   1. mmap the page PROT_READ|PROT_WRITE (maps: rw-p) and write the code
 *   2. calling it now faults: the page is not executable (the NX bit)
 *   3. flush the instruction cache (needed on aarch64, a no-op on x86),
 *      mprotect it PROT_READ|PROT_EXEC (maps: r-xp)
 *   4. call it: it runs and returns a + b
 *   5. writing to it now faults: the code cannot be changed behind you
 *
 * The function is two instructions (x86_64: lea eax,[rdi+rsi]; ret,
 * aarch64: add w0,w0,w1; ret). Other machines get a message.
 *
 * Run:   mprotect/jit --step
 *        mprotect/jit -a 1000 -b 234
 *        mprotect/jit --no-handler   (the first call kills it: 139)
 * Try:   objdump -D -b binary -mi386:x86-64 on the bytes it prints
 */
#include "../res/memtour.h"	/* first: it defines _GNU_SOURCE */
#include <setjmp.h>
#include <sys/mman.h>

static unsigned int arg_a = 40, arg_b = 2;	/* -a, -b */
static int no_handler;
static void options(int argc, char **argv);

#if defined(__x86_64__)
static const unsigned char code[] = { 0x8d, 0x04, 0x37, 0xc3 };
static const char *code_text = "lea eax,[rdi+rsi]; ret";
#elif defined(__aarch64__)
/* Two little-endian 32-bit instructions: 0x0b010000, 0xd65f03c0. */
static const unsigned char code[] = { 0x00, 0x00, 0x01, 0x0b,
				      0xc0, 0x03, 0x5f, 0xd6 };
static const char *code_text = "add w0, w0, w1; ret";
#endif

static sigjmp_buf back;

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

#ifdef __x86_64__
#define HAVE_CODE 1
#elif defined(__aarch64__)
#define HAVE_CODE 1
#endif

#ifdef HAVE_CODE
typedef unsigned int (*add_fn)(unsigned int, unsigned int);

static void call(add_fn f, const char *when)
{
	printf("access: call 0x%lx %s\n", (unsigned long)(uintptr_t)f, when);
	mt_check_stdout();	/* the handler writes past stdio */
	if (sigsetjmp(back, 1) == 0)
		printf("result: %u + %u = %u\n", arg_a, arg_b,
		       f(arg_a, arg_b));
}

static void run(void)
{
	size_t ps = mt_pagesize();
	unsigned char *page;
	add_fn f;

	page = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		mt_die("mmap");
	memcpy(page, code, sizeof(code));
	f = (add_fn)(uintptr_t)page;
	printf("page size: %zu\n", ps);
	printf("code: 0x%lx-0x%lx\n", (unsigned long)page,
	       (unsigned long)(page + ps));
	printf("machine code:");
	for (size_t i = 0; i < sizeof(code); i++)
		printf(" %02x", code[i]);
	printf(" (%s)\n", code_text);
	mt_pause("code written, the page is rw-p; try: grep '^%lx-' "
		 "/proc/%d/maps", (unsigned long)page, (int)getpid());

	call(f, "before mprotect (not executable)");

	/* The CPU may hold stale instructions for these addresses. */
	__builtin___clear_cache((char *)page, (char *)page + sizeof(code));
	if (mprotect(page, ps, PROT_READ | PROT_EXEC) < 0)
		mt_die("mprotect PROT_READ|PROT_EXEC");
	printf("mprotect: PROT_READ|PROT_EXEC\n");
	mt_pause("the page is r-xp now; try: grep '^%lx-' /proc/%d/maps",
		 (unsigned long)page, (int)getpid());

	call(f, "after mprotect");

	printf("access: write 0x%lx after mprotect\n", (unsigned long)page);
	mt_check_stdout();
	if (sigsetjmp(back, 1) == 0) {
		*(volatile unsigned char *)page = 0xc3;
		printf("no fault: the code page was writable\n");
	}
}
#endif

int main(int argc, char **argv)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;

	mt_init(argv);
	options(argc, argv);
#ifndef HAVE_CODE
	mt_fail("this program holds machine code for x86_64 and aarch64 "
		"only: add this machine's bytes for add(a, b) to show W^X");
#endif
	if (!no_handler) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_fault;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		if (sigaltstack(&ss, NULL) < 0 ||
		    sigaction(SIGSEGV, &sa, NULL) < 0)
			mt_die("sigaction");
	}
#ifdef HAVE_CODE
	run();
#endif
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-handler", no_argument, NULL, 'N' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-a A] [-b B] [--no-handler] [--step]";
	mt_help = "\nWrite a two-instruction add(a, b) into an rw-p page,\n"
		  "show that calling it faults, mprotect it r-xp, call it,\n"
		  "and show that writing it now faults.\n\n"
		  "  -a A, -b B        the numbers to add, 0 to 1000000;\n"
		  "                    default 40 and 2\n"
		  "      --no-handler  no SIGSEGV handler: the first call\n"
		  "                    kills the program\n"
		  "      --step        pause at each step (also "
		  "MEMTOUR_STEP=1)\n"
		  "  -h, --help        this text\n";
	while ((c = mt_getopt(argc, argv, "a:b:", longopts)) != -1)
		switch (c) {
		case 'a':
			arg_a = (unsigned int)mt_count_arg("-a", optarg, 0,
							   1000000);
			break;
		case 'b':
			arg_b = (unsigned int)mt_count_arg("-b", optarg, 0,
							   1000000);
			break;
		case 'N':
			no_handler = 1;
			break;
		}
	mt_no_operands(argc, argv);
}
