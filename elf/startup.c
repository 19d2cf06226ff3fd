/* SPDX-License-Identifier: MIT */
/* startup.c - static vs dynamic: size, mappings, start time
 *
 * The same hello.c, built twice. elf/hello_static carries its part of libc
 * inside the file and the kernel jumps straight into it. elf/hello is
 * small and names libraries it NEEDs and an interpreter (the dynamic
 * linker); before main runs, the dynamic linker maps libc, resolves
 * symbols and applies relocations. This program shows the price and the
 * gain: the file sizes, the NEEDED libraries (from the dynamic section),
 * how many mappings each has once main runs (a child stopped at its first
 * pause, its /proc/PID/maps counted), and how long fork + exec + exit
 * takes for each, over many runs: the median, the fastest and the
 * slowest, and the ratio of the medians.
 *
 * Run it:
 *	elf/startup                 100 runs of each
 *	elf/startup -n 1000         more runs: a steadier median
 *	elf/startup --step          stop while each child sits in main
 * and see the dynamic linker's work yourself:
 *	LD_DEBUG=statistics elf/hello        relocations and time in ld.so
 *	strace -c elf/hello; strace -c elf/hello_static    system calls
 *	ldd elf/hello; readelf -d elf/hello_static
 */
#include "../res/memtour.h"
#include <elf.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_RUNS 10000
static unsigned runs = 100;
static void options(int argc, char **argv);

/* --- what the file says: size, interpreter, NEEDED ------------------------ */

static void read_at(int fd, void *buf, size_t n, uint64_t off,
		    const char *path)
{
	if (pread(fd, buf, n, (off_t)off) != (ssize_t)n)
		mt_fail("%s: cut short or not a 64-bit ELF file", path);
}

/* The interpreter (PT_INTERP) and the NEEDED entries of the dynamic
 * section (PT_DYNAMIC), whose strings are at DT_STRTAB: an address, turned
 * into a file offset through the PT_LOAD segment that holds it. */
static void describe(const char *path)
{
	static Elf64_Phdr ph[64];
	Elf64_Ehdr eh;
	Elf64_Dyn d;
	struct stat st;
	uint64_t strtab = 0, off, i, j, nneeded = 0;
	char s[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC), dyn = -1, interp = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		mt_die("%s", path);
	printf("  file size: %lld (%s)\n", (long long)st.st_size,
	       mt_human((uint64_t)st.st_size));
	read_at(fd, &eh, sizeof(eh), 0, path);
	if (memcmp(eh.e_ident, ELFMAG, 4) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph[0]) || eh.e_phnum > 64)
		mt_fail("%s: not a 64-bit ELF program", path);
	read_at(fd, ph, eh.e_phnum * sizeof(ph[0]), eh.e_phoff, path);
	printf("  interpreter: ");
	for (i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (int)i;
		if (ph[i].p_type != PT_INTERP)
			continue;
		memset(s, 0, sizeof(s));
		read_at(fd, s, ph[i].p_filesz < sizeof(s) ? ph[i].p_filesz :
			sizeof(s) - 1, ph[i].p_offset, path);
		printf("%s", s);
		interp = 1;
	}
	printf("%s\n  NEEDED:", interp ? "" : "none: the kernel jumps "
	       "straight into it");
	for (i = 0; dyn >= 0 && i < ph[dyn].p_filesz / sizeof(d); i++) {
		read_at(fd, &d, sizeof(d), ph[dyn].p_offset + i * sizeof(d),
			path);
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_STRTAB)
			for (j = 0; j < eh.e_phnum; j++)
				if (ph[j].p_type == PT_LOAD &&
				    d.d_un.d_ptr >= ph[j].p_vaddr &&
				    d.d_un.d_ptr - ph[j].p_vaddr < ph[j].p_filesz)
					strtab = d.d_un.d_ptr - ph[j].p_vaddr +
						 ph[j].p_offset;
	}
	for (i = 0; strtab && i < ph[dyn].p_filesz / sizeof(d); i++) {
		read_at(fd, &d, sizeof(d), ph[dyn].p_offset + i * sizeof(d),
			path);
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag != DT_NEEDED)
			continue;
		off = strtab + d.d_un.d_val;
		memset(s, 0, sizeof(s));
		if (pread(fd, s, sizeof(s) - 1, (off_t)off) <= 0)
			mt_fail("%s: NEEDED string outside the file", path);
		printf(" %s", s);
		nneeded++;
	}
	printf("%s\n", nneeded ? "" : dyn < 0 ? " none (no dynamic section)" :
	       " none");
	close(fd);
}

/* --- mappings once main runs ---------------------------------------------- */

/* Start path with MEMTOUR_STEP=1: it stops at its pause, inside main, after
 * the dynamic linker has done everything. Count the lines of its maps. */
static void mappings(const char *path)
{
	static struct mt_lines l;
	static char buf[8192];
	char maps[64];
	int in[2], out[2], count = 0;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(in) < 0 || pipe(out) < 0)
		mt_die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		mt_die("fork");
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		setenv("MEMTOUR_STEP", "1", 1);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	while (!memmem(buf, got, "[pause 1]", 9)) {	/* it is in main */
		if (got == sizeof(buf))
			got = 0;
		n = read(out[0], buf + got, sizeof(buf) - got);
		if (n <= 0)
			mt_fail("%s ended before its pause", path);
		got += (size_t)n;
	}
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	if (mt_lines_open(&l, maps) < 0)
		mt_die("%s", maps);
	while (mt_lines_next(&l))
		count++;
	printf("  mappings once main runs: %d\n", count);
	mt_pause("child %d runs main of %s; try: wc -l < /proc/%d/maps",
		 (int)pid, path, (int)pid);
	close(in[1]);	/* EOF: the child goes on and exits */
	while (read(out[0], buf, sizeof(buf)) > 0)
		;
	close(out[0]);
	waitpid(pid, NULL, 0);
}

/* --- time to start and exit ----------------------------------------------- */

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* fork, exec path with its output on /dev/null, wait: microseconds. */
static double one_run(const char *path)
{
	double t0 = now_us();
	pid_t pid = fork();
	int st;

	if (pid < 0)
		mt_die("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		mt_die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		mt_fail("%s did not run (status 0x%x)", path, st);
	return now_us() - t0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *t, unsigned n)	/* t sorted */
{
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static double ts[MAX_RUNS], td[MAX_RUNS];
	static char stat_path[PATH_MAX], dyn_path[PATH_MAX];
	double ms, md;
	unsigned i;

	mt_init(argv);
	options(argc, argv);
	/* hello and hello_static sit beside this program. */
	snprintf(stat_path, sizeof(stat_path), "%s", mt_beside("hello_static"));
	snprintf(dyn_path, sizeof(dyn_path), "%s", mt_beside("hello"));

	printf("static build: %s\n", stat_path);
	describe(stat_path);
	mappings(stat_path);
	printf("dynamic build: %s\n", dyn_path);
	describe(dyn_path);
	mappings(dyn_path);

	/* Turn by turn, so that both see the same load on the machine. */
	unsetenv("MEMTOUR_STEP");
	fflush(stdout);
	for (i = 0; i < runs; i++) {
		ts[i] = one_run(stat_path);
		td[i] = one_run(dyn_path);
	}
	qsort(ts, runs, sizeof(ts[0]), by_value);
	qsort(td, runs, sizeof(td[0]), by_value);
	ms = median(ts, runs);
	md = median(td, runs);
	printf("\nfork + exec + exit, %u runs of each, in microseconds\n",
	       runs);
	printf("  build      median    fastest   slowest\n");
	printf("  static   %8.1f  %8.1f  %8.1f\n", ms, ts[0], ts[runs - 1]);
	printf("  dynamic  %8.1f  %8.1f  %8.1f\n", md, td[0], td[runs - 1]);
	printf("dynamic / static (medians): %.2f\n", md / ms);
	printf("\nWhere the time goes: LD_DEBUG=statistics %s\n"
	       "System calls of each: strace -c %s\n", dyn_path, dyn_path);
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "runs", required_argument, NULL, 'n' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-n RUNS] [--step]";
	mt_help = "\nThe same program built static and dynamic "
		  "(elf/hello_static, elf/hello):\nfile size, interpreter, "
		  "NEEDED libraries, mappings once main runs, and the\n"
		  "time of fork + exec + exit for each.\n\n"
		  "  -n, --runs RUNS  runs of each build (default 100, at "
		  "most 10000)\n"
		  "      --step       pause while each child is in main\n"
		  "  -h, --help       this help\n";
	while ((c = mt_getopt(argc, argv, "n:", longopts)) != -1)
		if (c == 'n')
			runs = (unsigned)mt_count_arg("-n", optarg, 1,
						      MAX_RUNS);
	mt_no_operands(argc, argv);
}
