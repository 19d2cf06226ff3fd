/* aslr.c - is an address the same in every run? (ASLR)
 *
 * What it demonstrates
 *   Address space layout randomisation: each time a program is exec'ed, the
 *   kernel places its stack, its mmap area (shared libraries, anonymous
 *   mappings), the vDSO, a position-independent executable (PIE) and the
 *   start of the heap at random offsets. This program runs itself twice
 *   (fork, then exec of /proc/self/exe with a hidden option, the child's
 *   output coming back through a pipe) and prints side by side, for both
 *   runs, the address of:
 *     text     a function of this program
 *     data     an initialised global variable
 *     heap     a small malloc() block (from brk, the [heap] mapping)
 *     stack    a local variable of main
 *     library  printf in libc (looked up with dlsym(RTLD_NEXT, ...): a
 *              plain &printf may be a PLT stub inside a non-PIE binary)
 *     mmap     an anonymous mmap() of one page
 *     vdso     the vDSO, from getauxval(AT_SYSINFO_EHDR)
 *   and marks which ones moved between the runs.
 *
 *   It also reports /proc/sys/kernel/randomize_va_space:
 *     0  off: nothing is randomised
 *     1  stack, mmap area (libraries, mmap), vDSO and a PIE's load address
 *        are randomised; the heap starts right after the bss (so in a PIE
 *        it moves with the program, but no further)
 *     2  as 1, and the start of the heap (brk) is randomised too: the
 *        default, unless the kernel was built with CONFIG_COMPAT_BRK
 *   and whether this binary is a PIE. Method: it reads its own ELF header,
 *   which the first PT_LOAD maps at __executable_start. A
 *   position-dependent executable is ET_EXEC and is always loaded at the
 *   addresses the linker chose; a PIE is ET_DYN (like a shared library),
 *   loaded at an address the kernel picks. Since this header is the
 *   program's own, ET_DYN means PIE. `readelf -h aslr` shows the same:
 *   "Type: DYN (Position-Independent Executable file)".
 *
 *   With --no-aslr the children are exec'ed with the personality flag
 *   ADDR_NO_RANDOMIZE (what `setarch -R` does), and every address is equal
 *   in both runs. Containers may forbid personality() with seccomp: the
 *   program then says so and runs the children as usual.
 *
 * How to run it
 *   ./aslr                 two runs, with ASLR as the system has it
 *   ./aslr --no-aslr       two runs without ASLR: nothing moves
 *   setarch -R ./aslr      the same, set from outside
 *   ./aslr --step          each run waits while you read its maps
 *   cc -no-pie -o aslr-nopie aslr.c && ./aslr-nopie   text and data stay
 *
 * What to look for
 *   With randomize_va_space 2, every row moves. Within one run, text and
 *   data move together (the same binary), and library and mmap move
 *   together (the same mmap area; so does the vDSO on this kernel, while
 *   older x86_64 kernels gave it a random place of its own, above the
 *   stack).
 *   The offset inside a page never changes, except for the stack: below
 *   the argument strings the kernel also shifts it by a random amount
 *   (< 8 KiB on x86_64, < one page on aarch64, in 16-byte steps).
 *   In a non-PIE build, text and data are equal in both runs.
 *
 * Lines a test checks
 *   randomize_va_space: N (meaning)
 *   pie: yes|no
 *   personality: 0x... (ADDR_NO_RANDOMIZE set|not set)
 *   no-aslr: ...                     only with --no-aslr
 *   runN pid: PID                    for each run
 *   runN WHAT: 0x...                 each address of run N, --step only,
 *                                    printed before its pause
 *   a table: what run1 run2 moved, one row per kind above
 *   moved: N of 7
 *
 * Commands to try beside it
 *   cat /proc/sys/kernel/randomize_va_space; readelf -h aslr | grep Type;
 *   setarch -R ./aslr; at a pause: cat /proc/PID/maps for the child's pid;
 *   for i in 1 2 3; do grep stack /proc/self/maps; done;
 *   ldd ./aslr (twice: the library addresses change, too).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define NKINDS 7
#define RUNS 2

static const char *prog = "aslr";
static int step_mode;		/* --step or MEMTOUR_STEP=1 */

static const char *const kinds[NKINDS] = {
	"text", "data", "heap", "stack", "library", "mmap", "vdso"
};

static int data_var = 42;		/* .data: an initialised global */
extern const char __executable_start[];	/* the linker's: our ELF header */

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
	fprintf(f, "usage: %s [--no-aslr] [--step] [--help]\n", prog);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
	"Run this program twice (exec of /proc/self/exe) and print, side by\n"
	"side, the addresses of a function (text), a global (data), a malloc\n"
	"block (heap), a local (stack), printf in libc (library), an\n"
	"anonymous mmap (mmap) and the vDSO in both runs, marking which\n"
	"moved. Also prints /proc/sys/kernel/randomize_va_space and whether\n"
	"the binary is a PIE (ELF type ET_DYN).\n"
	"\n"
	"  --no-aslr  run the two children with the personality flag\n"
	"             ADDR_NO_RANDOMIZE (like setarch -R): nothing moves\n"
	"  --step     pause while each run is alive (MEMTOUR_STEP=1 too)\n"
	"  --help     this text\n");
}

/* The child: print one "KIND 0xADDR" line per kind, then "ready". With
 * hold, wait for EOF on stdin (a pipe from the parent) before exiting, so
 * that its /proc/PID/maps can be read meanwhile. */
static int child(int hold)
{
	volatile int local = 1;
	void *heap = malloc(64);
	void *map = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *lib = dlsym(RTLD_NEXT, "printf");
	uintptr_t addr[NKINDS];
	char c;
	int i;

	if (!heap)
		die("malloc");
	if (map == MAP_FAILED)
		die("mmap");
	addr[0] = (uintptr_t)child;
	addr[1] = (uintptr_t)&data_var;
	addr[2] = (uintptr_t)heap;
	addr[3] = (uintptr_t)&local;
	addr[4] = (uintptr_t)lib;
	addr[5] = (uintptr_t)map;
	addr[6] = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	for (i = 0; i < NKINDS; i++)
		printf("%s 0x%" PRIxPTR "\n", kinds[i], addr[i]);
	printf("ready\n");
	fflush(stdout);
	if (hold)
		while (read(STDIN_FILENO, &c, 1) > 0)
			;
	free(heap);
	return 0;
}

/* Read a small file (a /proc one) into buf with open/read; -1 on error. */
static ssize_t read_file(const char *path, void *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (len < size && (r = read(fd, (char *)buf + len,
					size - len)) > 0)
		len += r;
	close(fd);
	return len;
}

/* One run: fork, exec /proc/self/exe --child, read its addresses from the
 * pipe. In step mode the child is held alive during a pause. */
static void run(int n, uintptr_t addr[NKINDS])
{
	static char buf[1024], exe[PATH_MAX];
	int out[2], in[2] = { -1, -1 }, status, i, got = 0;
	size_t len = 0;
	ssize_t r;
	char *line, *end, *arg;
	pid_t pid;

	r = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[r > 0 ? r : 0] = '\0';
	if (pipe2(out, O_CLOEXEC) < 0)
		die("pipe");
	if (step_mode && pipe2(in, O_CLOEXEC) < 0)
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		arg = step_mode ? "--child-hold" : "--child";
		if (dup2(out[1], STDOUT_FILENO) < 0 ||
		    (step_mode && dup2(in[0], STDIN_FILENO) < 0))
			die("dup2");
		/* The path /proc/self/exe links to first (valgrind shows
		 * that one to its client), else the link itself. */
		if (exe[0])
			execl(exe, prog, arg, (char *)NULL);
		execl("/proc/self/exe", prog, arg, (char *)NULL);
		die("exec /proc/self/exe");
	}
	close(out[1]);
	if (step_mode)
		close(in[0]);

	/* Read up to "ready" (or EOF if the child failed). */
	while (!strstr(buf, "ready\n") && len < sizeof(buf) - 1 &&
	       (r = read(out[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += r;
		buf[len] = '\0';
	}
	for (line = buf; (end = strchr(line, '\n')); line = end + 1) {
		*end = '\0';
		for (i = 0; i < NKINDS; i++) {
			size_t k = strlen(kinds[i]);

			if (strncmp(line, kinds[i], k) == 0 &&
			    line[k] == ' ') {
				addr[i] = strtoull(line + k + 1, NULL, 16);
				got++;
			}
		}
	}
	memset(buf, 0, sizeof(buf));

	printf("run%d pid: %ld\n", n, (long)pid);
	if (step_mode && got == NKINDS) {
		for (i = 0; i < NKINDS; i++)
			printf("run%d %s: 0x%" PRIxPTR "\n", n, kinds[i],
			       addr[i]);
		step("run %d is pid %ld, waiting; try: cat /proc/%ld/maps",
		     n, (long)pid, (long)pid);
	}
	if (step_mode)
		close(in[1]);		/* EOF: the child goes on and exits */
	while (read(out[0], buf, sizeof(buf)) > 0)
		;
	close(out[0]);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (got != NKINDS || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "%s: run %d (pid %ld) failed\n", prog, n,
			(long)pid);
		exit(1);
	}
}

static void print_randomize_va_space(void)
{
	char buf[16] = "";
	const char *meaning[] = {
		"off: nothing is randomised",
		"stack, mmap, libraries, vDSO, PIE; not the heap start",
		"stack, mmap, libraries, vDSO, PIE and the heap start",
	};
	int v;

	if (read_file("/proc/sys/kernel/randomize_va_space", buf,
		      sizeof(buf) - 1) <= 0) {
		printf("randomize_va_space: unknown (cannot read /proc/sys/"
		       "kernel/randomize_va_space: %s)\n", strerror(errno));
		return;
	}
	v = atoi(buf);
	printf("randomize_va_space: %d (%s)\n", v,
	       v >= 0 && v <= 2 ? meaning[v] : "unknown value");
}

/* PIE or not, from this program's own ELF header: the linker defines
 * __executable_start at its first byte, which the first PT_LOAD maps.
 * (Not /proc/self/exe: run as `ld.so ./aslr`, that is the loader.) */
static void print_pie(void)
{
	const ElfW(Ehdr) *eh = (const void *)__executable_start;
	unsigned int type = eh->e_type;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
		printf("pie: unknown (no ELF header at "
		       "__executable_start)\n");
		return;
	}
	if (type == ET_DYN)
		printf("pie: yes (e_type ET_DYN: loaded where the kernel "
		       "chooses)\n");
	else if (type == ET_EXEC)
		printf("pie: no (e_type ET_EXEC: loaded at its link-time "
		       "address)\n");
	else
		printf("pie: unknown (e_type %u)\n", type);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-aslr", no_argument, NULL, 'r' },
		{ "step", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "child", no_argument, NULL, 'c' },		/* hidden */
		{ "child-hold", no_argument, NULL, 'H' },	/* hidden */
		{ NULL, 0, NULL, 0 }
	};
	const char *s = getenv("MEMTOUR_STEP");
	uintptr_t addr[RUNS][NKINDS];
	int no_aslr = 0, c, i, moved = 0, persona;

	if (s && *s && strcmp(s, "0") != 0)
		step_mode = 1;
	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			no_aslr = 1;
			break;
		case 's':
			step_mode = 1;
			break;
		case 'h':
			help();
			return 0;
		case 'c':
			return child(0);
		case 'H':
			return child(1);
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
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		usage(stderr);
		return 2;
	}

	print_randomize_va_space();
	print_pie();
	persona = personality(0xffffffff);
	printf("personality: 0x%x (ADDR_NO_RANDOMIZE %s)\n", persona,
	       persona & ADDR_NO_RANDOMIZE ? "set: setarch -R?" : "not set");
	if (no_aslr && !(persona & ADDR_NO_RANDOMIZE)) {
		/* Set it here: the children inherit it through fork and
		 * the kernel applies it at their exec. */
		int err = 0;

		if (personality(persona | ADDR_NO_RANDOMIZE) == -1)
			err = errno;
		else if (!(personality(0xffffffff) & ADDR_NO_RANDOMIZE))
			err = EPERM;
		if (err)
			printf("no-aslr: refused: personality("
			       "ADDR_NO_RANDOMIZE): %s.\n"
			       "A seccomp filter (a container's default "
			       "profile) may forbid it; where\n"
			       "it is allowed (setarch -R works there), the "
			       "runs would be equal.\n"
			       "The runs below keep ASLR.\n",
			       strerror(err));
		else
			printf("no-aslr: children run with "
			       "ADDR_NO_RANDOMIZE\n");
	} else if (no_aslr) {
		printf("no-aslr: ADDR_NO_RANDOMIZE already set\n");
	}

	for (i = 0; i < RUNS; i++)
		run(i + 1, addr[i]);

	printf("%-8s %-18s %-18s %s\n", "what", "run1", "run2", "moved");
	for (i = 0; i < NKINDS; i++) {
		int m = addr[0][i] != addr[1][i];

		moved += m;
		printf("%-8s 0x%-16" PRIxPTR " 0x%-16" PRIxPTR " %s\n",
		       kinds[i], addr[0][i], addr[1][i], m ? "yes" : "no");
	}
	printf("moved: %d of %d\n", moved, NKINDS);
	if (moved == 0)
		printf("Nothing moved: the kernel placed both runs at the "
		       "same addresses (no ASLR).\n");
	else
		printf("The kernel chose new random bases at each exec. Text, "
		       "data, heap,\nlibrary, mmap and vdso keep their offset "
		       "inside a page (the low %d bits,\nwith %ld-byte pages):"
		       " only whole pages move. The stack also gets a\n"
		       "random shift in 16-byte steps (< 8 KiB on x86_64), so "
		       "its offset changes too.\n",
		       __builtin_ctzl(sysconf(_SC_PAGESIZE)),
		       sysconf(_SC_PAGESIZE));
	return 0;
}
