/* SPDX-License-Identifier: MIT */
/* mprotect.c - change page protections; catch and decode the SIGSEGV
 *
 * One region of two pages is walked through PROT_READ|PROT_WRITE,
 * PROT_READ, PROT_NONE and back. At each step the perms column of
 * /proc/PID/maps changes (rw-p, r--p, ---p) and the program tries an
 * access the new protection forbids. The kernel answers with SIGSEGV; a
 * handler installed with SA_SIGINFO reads the siginfo it gets:
 *   si_code SEGV_ACCERR (2)  the address is mapped, the access is not
 *                            allowed (write to r--p, any access to ---p)
 *   si_code SEGV_MAPERR (1)  nothing is mapped there at all
 *   si_addr                  the exact byte that was touched
 * then jumps back (siglongjmp) so the walk goes on. Last, a load from a
 * non-canonical address shows a SIGSEGV that is no page fault at all.
 *
 * Run:   mprotect/mprotect --step
 *        mprotect/mprotect --no-handler   (the kernel kills it: status 139)
 *
 * Try beside it: the grep each pause suggests; `strace -e trace=mprotect
 * mprotect/mprotect` shows each call; in gdb, `handle SIGSEGV nostop`.
 */
#include "../res/memtour.h"	/* first: it defines _GNU_SOURCE */
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static int no_handler;		/* --no-handler: let the kernel kill it */
static void options(int argc, char **argv);

static char *region;		/* two pages */
static size_t ps;
static sigjmp_buf back;		/* where the handler jumps back to */

/* --- the handler: async-signal-safe calls only (write via mt_sig_*) ---- */

static const char *code_name(int code)
{
	switch (code) {
	case SEGV_MAPERR:
		return "SEGV_MAPERR: nothing mapped here";
	case SEGV_ACCERR:
		return "SEGV_ACCERR: mapped, access not allowed";
	case SI_KERNEL:
		return "SI_KERNEL: sent by the kernel, no page fault";
	default:
		return "another code: see sigaction(2)";
	}
}

static void on_fault(int sig, siginfo_t *si, void *ucontext)
{
	(void)ucontext;
	mt_sig_puts(sig == SIGSEGV ? "caught: SIGSEGV, si_code " :
				     "caught: another signal, si_code ");
	mt_sig_dec(si->si_code);
	mt_sig_puts(" (");
	mt_sig_puts(code_name(si->si_code));
	mt_sig_puts(")\nfault address: ");
	mt_sig_hex((uintptr_t)si->si_addr);
	mt_sig_puts("\n");
	siglongjmp(back, 1);	/* back into touch(), the access abandoned */
}

/* One access the current protection may forbid. stdout is flushed first:
 * the handler writes with write(2), past stdio's buffer. */
static void touch(uintptr_t addr, int write, const char *what)
{
	volatile char *p = (volatile char *)addr;

	printf("access: %s 0x%lx (%s)\n", write ? "write" : "read",
	       (unsigned long)addr, what);
	mt_check_stdout();
	if (sigsetjmp(back, 1) == 0) {
		if (write)
			*p = 'X';
		else
			(void)*p;
		printf("no fault: the access was allowed\n");
	}
}

static void protect(int prot, const char *name, const char *perms)
{
	if (mprotect(region, 2 * ps, prot) < 0)
		mt_die("mprotect %s", name);
	printf("mprotect: %s\n", name);
	mt_pause("the region is now %s; try: grep '^%lx-' /proc/%d/maps",
		 perms, (unsigned long)region, (int)getpid());
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	char where[64];

	mt_init(argv);
	options(argc, argv);
	ps = mt_pagesize();
	if (!no_handler) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_fault;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		if (sigaltstack(&ss, NULL) < 0 ||
		    sigaction(SIGSEGV, &sa, NULL) < 0 ||
		    sigaction(SIGBUS, &sa, NULL) < 0)
			mt_die("sigaction");
	}

	region = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		mt_die("mmap");
	strcpy(region, "hello, protection");
	printf("page size: %zu\n", ps);
	printf("region: 0x%lx-0x%lx, %zu (%s), 2 pages\n",
	       (unsigned long)region, (unsigned long)(region + 2 * ps),
	       2 * ps, mt_human(2 * ps));
	printf("wrote: \"%s\"\n", region);
	mt_pause("the region is rw-p; try: grep '^%lx-' /proc/%d/maps",
		 (unsigned long)region, (int)getpid());

	/* The kernel wants a page-aligned start (the length is rounded up).
	 * The system call itself: musl's mprotect() rounds the start down
	 * for you, and would protect the whole first page. */
	if (syscall(SYS_mprotect, region + 1, 1, PROT_READ) == 0)
		mt_fail("mprotect at region start + 1 succeeded");
	printf("mprotect at region start + 1: %s (not page-aligned)\n",
	       strerror(errno));

	protect(PROT_READ, "PROT_READ", "r--p");
	printf("read: \"%s\"\n", region);
	snprintf(where, sizeof(where), "region start + %zu", ps + 4);
	touch((uintptr_t)region + ps + 4, 1, where);

	protect(PROT_NONE, "PROT_NONE", "---p");
	touch((uintptr_t)region + 100, 0, "region start + 100");

	protect(PROT_READ | PROT_WRITE, "PROT_READ|PROT_WRITE", "rw-p");
	printf("read: \"%s\" (the contents survived every change)\n", region);

	if (munmap(region + ps, ps) < 0)
		mt_die("munmap");
	printf("munmap: the second page, 0x%lx\n",
	       (unsigned long)(region + ps));
	mt_pause("only the first page is left; try: grep '^%lx-' "
		 "/proc/%d/maps", (unsigned long)region, (int)getpid());
	snprintf(where, sizeof(where), "region start + %zu", ps + 200);
	touch((uintptr_t)region + ps + 200, 0, where);

	/* Not every SIGSEGV is a page fault. x86_64 uses 48 (or 57) address
	 * bits; an address whose top bits are not all copies of bit 47 is
	 * non-canonical: the CPU raises a general-protection fault before
	 * any page table is looked at, and the kernel sends SIGSEGV with
	 * si_code SI_KERNEL and address 0 (Linux 6.18). Elsewhere the
	 * kernel decides: the handler prints what it reports. */
	touch((uintptr_t)1 << 63, 0, "non-canonical");
#if defined(__x86_64__)
	printf("note: a general-protection fault, not a page fault: the\n"
	       "      kernel is not told the address, so it reports 0\n");
#else
	printf("note: this machine is not x86_64; the lines above are what "
	       "its kernel reports\n");
#endif
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-handler", no_argument, NULL, 'n' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[--no-handler] [--step]";
	mt_help = "\nMap two pages and walk them through PROT_READ|PROT_WRITE,\n"
		  "PROT_READ, PROT_NONE and back; try a forbidden access at\n"
		  "each step and decode the SIGSEGV (si_code, address). Then\n"
		  "touch an unmapped page and a non-canonical address.\n\n"
		  "      --no-handler  no SIGSEGV handler: the first forbidden\n"
		  "                    access kills the program\n"
		  "      --step        pause at each step (also MEMTOUR_STEP=1)\n"
		  "  -h, --help        this text\n";
	while ((c = mt_getopt(argc, argv, "", longopts)) != -1)
		if (c == 'n')
			no_handler = 1;
	mt_no_operands(argc, argv);
}
