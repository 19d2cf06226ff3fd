/* SPDX-License-Identifier: MIT */
/* aslr.c - is an address the same in every run? (ASLR)
 *
 * Address space layout randomisation: at every exec the kernel places the
 * stack, the mmap area (shared libraries, anonymous mappings), the vDSO, a
 * position-independent executable (PIE) and the start of the heap at
 * random offsets. This program runs itself twice (fork, then exec of
 * /proc/self/exe; each run sends its addresses back through a pipe) and
 * prints, side by side, the address of a function (text), a global
 * (data), a malloc block (heap), a local (stack), printf in libc
 * (library), an anonymous mmap (mmap) and the vDSO, and which moved. Both
 * runs stay alive until the end, so their maps can be compared.
 *
 * Run:   layout/aslr              two runs, with ASLR as the system has it
 *        layout/aslr --no-aslr    two runs without ASLR: nothing moves
 *        layout/aslr --step       pause while both runs are alive
 *
 * What to look for:
 *   - randomize_va_space 2 (the usual): every row moves.
 *   - Only whole pages move (the offset inside a page stays), except for
 *     the stack, which the kernel also shifts by a few 16-byte steps.
 *   - Text and data move together: one binary, one random base.
 *   - A non-PIE build (cc -no-pie -o /tmp/aslr layout/aslr.c): text and
 *     data stay, everything else still moves.
 *
 * Try beside it:
 *   cat /proc/sys/kernel/randomize_va_space    readelf -h layout/aslr
 *   setarch -R layout/aslr
 *   for i in 1 2; do grep stack /proc/self/maps; done
 */
#include "../res/memtour.h"
#include <dlfcn.h>
#include <link.h>		/* ElfW(): our own ELF header */
#include <sys/auxv.h>		/* getauxval(AT_SYSINFO_EHDR): the vDSO */
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/wait.h>

#define NKINDS 7
static const char *const kinds[NKINDS] = {
	"text", "data", "heap", "stack", "library", "mmap", "vdso"
};

int data_var = 42;			/* .data: an initialised global */
extern const char __executable_start[];	/* the linker's: our ELF header */
static int no_aslr;			/* --no-aslr */
static int child_mode;			/* hidden --child: one run */

static void options(int argc, char **argv);

/* One run (the child, after exec): print "KIND 0xADDR" for each kind,
 * then wait until the parent closes our stdin, so that our maps can be
 * read meanwhile. The text written into each block is what
 * /proc/PID/mem shows at its address. */
int child(void)
{
	volatile char local[16] = "a local";
	char *heap = malloc(64);
	char *map = mmap(NULL, mt_pagesize(), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *lib = NULL;
	uintptr_t addr[NKINDS];
	char c;
	int i;

	if (!heap || map == MAP_FAILED)
		mt_die("memory for the run");
	strcpy(heap, "a heap block");
	strcpy(map, "an mmap page");
#if !defined(__GLIBC__) || __GLIBC__ > 2 || __GLIBC_MINOR__ >= 34
	lib = dlsym(RTLD_NEXT, "printf");  /* not a PLT stub in a non-PIE */
#endif
	addr[0] = (uintptr_t)child;
	addr[1] = (uintptr_t)&data_var;
	addr[2] = (uintptr_t)heap;
	addr[3] = (uintptr_t)local;
	addr[4] = lib ? (uintptr_t)lib : (uintptr_t)printf;
	addr[5] = (uintptr_t)map;
	addr[6] = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	for (i = 0; i < NKINDS; i++)
		printf("%s %#lx\n", kinds[i], (unsigned long)addr[i]);
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	free(heap);
	return 0;
}

/* Start one run: fork, exec /proc/self/exe --child with a pipe on its
 * stdout (its addresses) and one on its stdin (held open: it waits). */
static pid_t start_run(uintptr_t addr[NKINDS], int *hold)
{
	static char buf[512], exe[PATH_MAX];
	int out[2], in[2], i, got = 0;
	size_t len = 0;
	ssize_t r;
	char *line, *nl;
	pid_t pid;

	/* The path the link names (valgrind gives its client's here), or
	 * the link itself. */
	r = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	strcpy(r > 0 ? exe + r : exe, r > 0 ? "" : "/proc/self/exe");
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(in, O_CLOEXEC) < 0)
		mt_die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		mt_die("fork");
	if (pid == 0) {
		if (dup2(out[1], STDOUT_FILENO) < 0 ||
		    dup2(in[0], STDIN_FILENO) < 0)
			mt_die("dup2");
		execl(exe, mt_prog, "--child", (char *)NULL);
		mt_die("exec %s", exe);
	}
	close(out[1]);
	close(in[0]);
	*hold = in[1];
	/* Read its NKINDS lines (it keeps the pipe open while it waits). */
	for (i = 0; i < NKINDS && len < sizeof(buf) - 1; len += (size_t)r) {
		r = read(out[0], buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		buf[len + (size_t)r] = '\0';
		for (line = buf + len; (line = strchr(line, '\n')); line++)
			i++;
	}
	buf[len] = '\0';
	close(out[0]);
	for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		for (i = 0; i < NKINDS; i++)
			if (strncmp(line, kinds[i], strlen(kinds[i])) == 0 &&
			    line[strlen(kinds[i])] == ' ') {
				addr[i] = strtoull(line + strlen(kinds[i]),
						   NULL, 16);
				got++;
			}
	}
	if (got != NKINDS)
		mt_fail("run (pid %d) sent %d of %d addresses", (int)pid, got,
			NKINDS);
	return pid;
}

/* What the kernel will randomise, and whether we can turn it off. */
static void settings(void)
{
	static const char *const meaning[] = {
		"off: nothing is randomised",
		"stack, mmap, libraries, vDSO, PIE; not the heap start",
		"stack, mmap, libraries, vDSO, PIE and the heap start",
	};
	const ElfW(Ehdr) *eh = (const void *)__executable_start;
	static struct mt_lines l;
	const char *s = NULL;
	int v = -1, persona;

	if (mt_lines_open(&l, "/proc/sys/kernel/randomize_va_space") == 0 &&
	    (s = mt_lines_next(&l)))
		v = atoi(s);
	mt_lines_close(&l);
	if (v >= 0 && v <= 2)
		printf("randomize_va_space: %d (%s)\n", v, meaning[v]);
	else
		printf("randomize_va_space: unknown (cannot read "
		       "/proc/sys/kernel/randomize_va_space)\n");
	/* Our own ELF header, mapped at __executable_start: a PIE is
	 * ET_DYN, loaded where the kernel chooses; ET_EXEC is not. */
	printf("executable: %s\n", eh->e_type == ET_DYN ?
	       "PIE (ELF type ET_DYN: loaded where the kernel chooses)" :
	       "non-PIE (ELF type ET_EXEC: loaded at its link address)");

	persona = personality(0xffffffff);
	printf("personality: 0x%x (ADDR_NO_RANDOMIZE %s)\n", persona,
	       persona & ADDR_NO_RANDOMIZE ? "set" : "not set");
	if (!no_aslr)
		return;
	/* Set here, the flag passes to the runs through fork, and the
	 * kernel applies it at their exec (what setarch -R does). */
	errno = 0;
	if (!(persona & ADDR_NO_RANDOMIZE) &&
	    (personality(persona | ADDR_NO_RANDOMIZE) < 0 ||
	     !(personality(0xffffffff) & ADDR_NO_RANDOMIZE)))
		printf("no-aslr: refused: %s.\nA seccomp filter (a container's "
		       "default profile) may forbid personality();\nthe runs "
		       "below keep ASLR.\n", strerror(errno ? errno : EPERM));
	else
		printf("no-aslr: both runs start with ADDR_NO_RANDOMIZE\n");
}

int main(int argc, char **argv)
{
	uintptr_t addr[2][NKINDS];
	int hold[2], status, i, moved = 0;
	pid_t pid[2];
	size_t ps = mt_pagesize();

	mt_init(argv);
	options(argc, argv);
	if (child_mode)
		return child();

	settings();
	for (i = 0; i < 2; i++)
		pid[i] = start_run(addr[i], &hold[i]);
	printf("run 1: pid %d\nrun 2: pid %d\n", (int)pid[0], (int)pid[1]);

	printf("\n%-8s %-18s %-18s %s\n", "what", "run 1", "run 2", "moved");
	for (i = 0; i < NKINDS; i++) {
		int m = addr[0][i] != addr[1][i];

		moved += m;
		printf("%-8s %#-18lx %#-18lx %s\n", kinds[i],
		       (unsigned long)addr[0][i], (unsigned long)addr[1][i],
		       m ? "yes" : "no");
	}
	printf("moved: %d of %d\n\n", moved, NKINDS);
#ifndef __GLIBC__
	printf("This libc is not glibc: the heap block came from spare data "
	       "pages, not [heap].\n");
#endif
	if (moved == 0)
		printf("Nothing moved: the kernel placed both runs at the same "
		       "addresses.\n");
	else
		printf("The kernel chose new bases at each exec. Text, data, "
		       "heap, library,\nmmap and vdso keep their offset inside "
		       "a page (%zu bytes): only whole\npages move. The stack "
		       "also moves by a random number of 16-byte steps.\n",
		       ps);
	if (addr[0][0] - addr[0][1] == addr[1][0] - addr[1][1])
		printf("Text and data are %lu bytes apart in both runs: one "
		       "binary, one base.\n",
		       (unsigned long)(addr[0][1] - addr[0][0]));

	mt_pause("both runs alive; try: cat /proc/{%d,%d}/maps", (int)pid[0],
		 (int)pid[1]);
	for (i = 0; i < 2; i++) {
		close(hold[i]);		/* EOF: the run ends */
		if (waitpid(pid[i], &status, 0) < 0)
			mt_die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			mt_fail("run %d (pid %d) failed", i + 1, (int)pid[i]);
	}
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-aslr", no_argument, NULL, 'r' },
		{ "child", no_argument, NULL, 'C' },	/* one run, hidden */
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[--no-aslr] [--step]";
	mt_help = "\n"
"Run this program twice (exec of /proc/self/exe) and print, side by side,\n"
"the addresses of a function (text), a global (data), a malloc block\n"
"(heap), a local (stack), printf in libc (library), an anonymous mmap\n"
"(mmap) and the vDSO in both runs, and which moved. Also prints\n"
"/proc/sys/kernel/randomize_va_space and whether the binary is a PIE.\n"
"\n"
"  --no-aslr   run both with the personality flag ADDR_NO_RANDOMIZE\n"
"              (like setarch -R): nothing moves\n"
"  --step      pause while both runs are alive (also MEMTOUR_STEP=1)\n"
"  -h, --help  this text\n";
	while ((c = mt_getopt(argc, argv, "", longopts)) != -1)
		switch (c) {
		case 'r':
			no_aslr = 1;
			break;
		case 'C':
			child_mode = 1;
			break;
		}
	mt_no_operands(argc, argv);
}
