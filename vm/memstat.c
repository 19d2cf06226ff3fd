/* memstat.c - per-mapping RSS, PSS, USS and swap, like pmap -X
 *
 * How much memory does a process use? It depends on how you count pages that
 * other processes map too (libc's code is mapped by every process):
 *   RSS  every page mapped into the process and present in RAM
 *   PSS  each such page divided by the number of times it is mapped (its
 *        mapcount), so the PSS of all processes adds up to the RAM their
 *        mapped pages really use
 *   USS  only the pages mapped once, here (Private_Clean + Private_Dirty):
 *        roughly what the system gets back when the process exits
 * The kernel reports these per mapping in /proc/PID/smaps, and summed for
 * the whole process in /proc/PID/smaps_rollup. memstat prints both: one row
 * per mapping and the totals.
 *
 * A subtlety you can see here: smaps rounds each mapping's Pss DOWN to a
 * whole kB, while smaps_rollup adds the exact shares first and rounds once.
 * So the Pss column adds up to a little less than the rollup's Pss (less than
 * 1 kB per mapping); memstat shows both numbers and the difference.
 *
 * Reading another process's smaps needs the right to ptrace it (same user,
 * or root): otherwise open(2) fails with EACCES. memstat reads the rollup,
 * then smaps, then the rollup again, and retries if the process changed
 * meanwhile (PSS also changes when OTHER processes map or unmap a shared
 * page).
 *
 * Exit status: 0; 1 with a message when PID names no process (it does not
 * exist, exited meanwhile, or is a number no PID can be), when its memory
 * may not be read, or for a kernel thread (no user memory); 2 for a usage
 * error (a PID that is not a whole number, an unknown option).
 *
 * Run:  ./memstat [-s] [--step] [PID]     no PID: memstat itself
 *
 * Output, checked by tests/vm.bats:
 *   pid: PID (COMM)
 *   table "Address Size Rss Pss ShCl ShDi PrCl PrDi Swap Mapping", in kB:
 *     ShCl/ShDi = Shared_Clean/Shared_Dirty, PrCl/PrDi = Private_Clean/
 *     Private_Dirty; a value over 99999 kB is shown in M, G or T (MiB...);
 *     long names are shortened in the middle with ".."
 *   mappings: N
 *   rss: BYTES, pss: BYTES, uss: BYTES, swap: BYTES, swap_pss: BYTES
 *     (from smaps_rollup)
 *   pss_of_mappings: BYTES        the sum of the table's Pss column
 *   pss_rounding: BYTES           pss - pss_of_mappings
 *   -s: the totals only
 *
 * Try beside it:
 *   pmap -X PID                 procps' view of the same smaps
 *   cat /proc/PID/smaps_rollup
 *   smem -P NAME                if installed
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "memstat";
static int step_mode;		/* --step or MEMTOUR_STEP=1 */

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
	fprintf(f, "usage: %s [-s] [--step] [--help] [PID]\n", prog);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
"Shows the memory of process PID (default: memstat itself) the way\n"
"`pmap -X` does: one row per mapping with its Size, Rss, Pss,\n"
"Shared_Clean, Shared_Dirty, Private_Clean, Private_Dirty and Swap in kB\n"
"(from /proc/PID/smaps), then the totals RSS, PSS, USS and swap (from\n"
"/proc/PID/smaps_rollup).\n"
"\n"
"  -s, --summary  the totals only\n"
"      --step     pause after reading (also MEMTOUR_STEP=1)\n"
"      --help     this text\n"
"\n"
"Reading another user's process needs root (the right to ptrace it).\n");
}

static char who[32];		/* "PID" or "self" */
static char path[64];

/* The line reader: a static buffer on a file descriptor, no stdio. */
struct lines {
	int fd, err;
	size_t len, pos;
	char buf[8192];
};

static struct lines lr;

static int open_lines(const char *file)
{
	snprintf(path, sizeof(path), "/proc/%s/%s", who, file);
	lr.fd = open(path, O_RDONLY);
	lr.len = lr.pos = 0;
	lr.err = 0;
	return lr.fd;
}

static char *next_line(void)
{
	char *nl, *line;
	ssize_t r;

	for (;;) {
		nl = memchr(lr.buf + lr.pos, '\n', lr.len - lr.pos);
		if (nl || (lr.len == sizeof(lr.buf) - 1 && lr.pos == 0)) {
			line = lr.buf + lr.pos;
			if (!nl)	/* overlong line: cut it */
				nl = lr.buf + lr.len - 1;
			*nl = '\0';
			lr.pos = nl + 1 - lr.buf;
			return line;
		}
		memmove(lr.buf, lr.buf + lr.pos, lr.len - lr.pos);
		lr.len -= lr.pos;
		lr.pos = 0;
		r = read(lr.fd, lr.buf + lr.len, sizeof(lr.buf) - 1 - lr.len);
		if (r < 0) {
			lr.err = errno;
			return NULL;
		}
		if (r == 0) {
			if (lr.len == 0)
				return NULL;
			lr.buf[lr.len++] = '\n';	/* no final newline */
			continue;
		}
		lr.len += r;
	}
}

/* What went wrong opening or reading /proc/PID: say it plainly, exit 1. */
static void proc_error(int e)
{
	fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(e));
	if (e == ENOENT)
		fprintf(stderr, "%s: there is no process %s (it may have "
			"exited)\n", prog, who);
	else if (e == EACCES || e == EPERM)
		fprintf(stderr, "%s: reading the memory map of process %s "
			"needs the right to ptrace\n  it: be its owner, or "
			"have CAP_SYS_PTRACE (root); a security module or\n"
			"  another user namespace may refuse even root\n",
			prog, who);
	else if (e == ESRCH)
		fprintf(stderr, "%s: process %s has no user address space: "
			"it is a kernel thread,\n  or it exited\n", prog,
			who);
	exit(1);
}

/* smaps field names, in the order of the table's columns. */
enum { SIZE, RSS, PSS, SHCL, SHDI, PRCL, PRDI, SWAP, NCOL };
static const char *const field[NCOL] = {
	"Size", "Rss", "Pss", "Shared_Clean", "Shared_Dirty",
	"Private_Clean", "Private_Dirty", "Swap"
};
static const char *const title[NCOL] = {
	"Size", "Rss", "Pss", "ShCl", "ShDi", "PrCl", "PrDi", "Swap"
};

struct mapping {
	unsigned long start;
	unsigned long long kb[NCOL];
	char name[64];
};

static struct mapping *maps;
static size_t nmaps, cap;

/* The kB value of "Name:   123 kB" if line starts with Name. */
static int kb_field(const char *line, const char *name,
		    unsigned long long *v)
{
	size_t n = strlen(name);

	if (strncmp(line, name, n) != 0 || line[n] != ':')
		return 0;
	*v = strtoull(line + n + 1, NULL, 10);
	return 1;
}

struct rollup {
	unsigned long long rss, pss, prcl, prdi, swap, swappss;
};

static void read_rollup(struct rollup *r)
{
	unsigned long long v;
	char *line;
	int seen = 0;

	if (open_lines("smaps_rollup") < 0)
		proc_error(errno);
	memset(r, 0, sizeof(*r));
	while ((line = next_line())) {
		seen = 1;
		if (kb_field(line, "Rss", &v))
			r->rss = v;
		else if (kb_field(line, "Pss", &v))
			r->pss = v;
		else if (kb_field(line, "Private_Clean", &v))
			r->prcl = v;
		else if (kb_field(line, "Private_Dirty", &v))
			r->prdi = v;
		else if (kb_field(line, "Swap", &v))
			r->swap = v;
		else if (kb_field(line, "SwapPss", &v))
			r->swappss = v;
	}
	close(lr.fd);
	if (lr.err)
		proc_error(lr.err);
	if (!seen)
		proc_error(ESRCH);
}

/* The name of a mapping: the basename of a file, [heap], [stack]... */
static void set_name(struct mapping *m, const char *s)
{
	const char *slash;

	if (!*s) {
		s = "[anon]";
	} else if (*s == '/') {
		/* "/dir/file (deleted)": the basename, with the suffix. */
		slash = strrchr(s, '/');
		s = slash + 1;
	}
	snprintf(m->name, sizeof(m->name), "%s", s);
}

static void read_smaps(unsigned long long sum[NCOL])
{
	struct mapping *m = NULL;
	unsigned long start, end;
	char *line, *p;
	int i, nf;

	if (open_lines("smaps") < 0)
		proc_error(errno);
	nmaps = 0;
	memset(sum, 0, NCOL * sizeof(sum[0]));
	while ((line = next_line())) {
		/* A header: "start-end perms offset dev inode   name". */
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, ' ') > strchr(line, '-')) {
			if (nmaps == cap) {
				cap = cap ? 2 * cap : 256;
				maps = realloc(maps, cap * sizeof(*maps));
				if (!maps)
					die("realloc");
			}
			m = &maps[nmaps++];
			memset(m, 0, sizeof(*m));
			m->start = start;
			/* Skip five fields to the name (which may hold
			 * spaces). */
			for (p = line, nf = 0; nf < 5 && *p; nf++) {
				p += strcspn(p, " ");
				p += strspn(p, " ");
			}
			set_name(m, p);
			continue;
		}
		if (!m)
			continue;
		for (i = 0; i < NCOL; i++)
			if (kb_field(line, field[i], &m->kb[i])) {
				sum[i] += m->kb[i];
				break;
			}
	}
	close(lr.fd);
	if (lr.err)
		proc_error(lr.err);
	if (nmaps == 0)
		proc_error(ESRCH);
}

/* A kB value in 5 columns: 12345, then 1234M, 1234G, 1234T. */
static const char *col(unsigned long long kb)
{
	static char buf[8][24];
	static int n;
	const char *unit = "KMGTP";
	char *b = buf[n++ % 8];
	int u = 0;

	while (kb > 99999 && u < 4) {
		kb >>= 10;	/* rounded down, as smaps does */
		u++;
	}
	if (u)
		snprintf(b, 24, "%4llu%c", kb, unit[u]);
	else
		snprintf(b, 24, "%5llu", kb);
	return b;
}

/* A name in at most w columns: long ones keep their start and end. */
static const char *shorten(const char *s, int w)
{
	static char buf[80];
	int len = strlen(s), tail = w / 3;

	if (len <= w)
		return s;
	snprintf(buf, sizeof(buf), "%.*s..%s", w - 2 - tail, s,
		 s + len - tail);
	return buf;
}

static void bytes(const char *name, long long kb)
{
	printf("%s: %lld", name, kb * 1024);
	if (kb >= 10 * 1024 * 1024)
		printf(" (%.1f GiB)", kb / 1048576.0);
	else if (kb >= 10 * 1024)
		printf(" (%.1f MiB)", kb / 1024.0);
	else if (kb)
		printf(" (%lld KiB)", kb);
	putchar('\n');
}

static long parse_args(int argc, char **argv, int *summary)
{
	static const struct option opts[] = {
		{ "summary", no_argument, NULL, 's' },
		{ "step", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *arg;
	long pid = 0;
	int c;

	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":s", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			*summary = 1;
			break;
		case 'S':
			step_mode = 1;
			break;
		case 'h':
			help();
			exit(0);
		default:
			if (optopt && strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "%s: unknown option '-%c'\n",
					prog, optopt);
			else
				fprintf(stderr, "%s: unknown option '%s'\n",
					prog, argv[optind - 1]);
			usage(stderr);
			exit(2);
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "%s: one PID at most\n", prog);
		usage(stderr);
		exit(2);
	}
	if (optind < argc) {
		arg = argv[optind];
		/* Not digits: not a PID at all, a usage error. */
		if (!*arg || arg[strspn(arg, "0123456789")]) {
			fprintf(stderr, "%s: bad PID '%s': a PID is a whole "
				"number\n", prog, arg);
			usage(stderr);
			exit(2);
		}
		/* A number no process can have: like a PID that exited. */
		errno = 0;
		pid = strtol(arg, NULL, 10);
		if (errno || pid <= 0 || pid > INT_MAX) {
			fprintf(stderr, "%s: there is no process %s: PIDs run "
				"from 1 to pid_max\n  (/proc/sys/kernel/"
				"pid_max)\n", prog, arg);
			exit(1);
		}
	}
	return pid;
}

int main(int argc, char **argv)
{
	const char *s = getenv("MEMTOUR_STEP");
	unsigned long long sum[NCOL];
	struct rollup r1, r2;
	char comm[64] = "?", warm[128], *line;
	int summary = 0, tries, same = 0;
	size_t i;
	long pid;
	int j, w;

	if (s && *s && strcmp(s, "0") != 0)
		step_mode = 1;
	pid = parse_args(argc, argv, &summary);
	if (pid)
		snprintf(who, sizeof(who), "%ld", pid);
	else
		snprintf(who, sizeof(who), "%ld", (long)getpid());

	if (open_lines("comm") < 0)
		proc_error(errno);
	if ((line = next_line()))
		snprintf(comm, sizeof(comm), "%s", line);
	close(lr.fd);

	/* Printing allocates stdio's buffer and runs libc code that is
	 * faulted in on first use: do both before reading, so that memstat
	 * reading itself sees the memory it still has when it pauses. */
	printf("pid: %s (%s)\n", who, comm);
	snprintf(warm, sizeof(warm), "%#14lx %5llu %4llu%c %.1f %lld %.*s%s",
		 0x1UL, 1ULL, 2ULL, 'M', 1.5, -1LL, 2, "ab", "c");

	/* Rollup, smaps, rollup: retry until the process held still. */
	for (tries = 0; tries < 5 && !same; tries++) {
		read_rollup(&r1);
		read_smaps(sum);
		read_rollup(&r2);
		same = r1.rss == r2.rss && r1.pss == r2.pss &&
		       r1.swap == r2.swap && sum[RSS] == r2.rss &&
		       sum[SWAP] == r2.swap && sum[PSS] <= r2.pss;
	}

	if (!summary) {
		printf("%14s", "Address");
		for (j = 0; j < NCOL; j++)
			printf(" %5s", title[j]);
		printf(" Mapping\n");
		for (i = 0; i < nmaps; i++) {
			/* 14 columns hold a 48-bit address; a wider one
			 * ([vsyscall]) leaves less room for the name. */
			w = printf("%#14lx", maps[i].start);
			for (j = 0; j < NCOL; j++)
				printf(" %s", col(maps[i].kb[j]));
			printf(" %s\n", shorten(maps[i].name,
						79 - w - 6 * NCOL - 1));
		}
		printf("(kB; ShCl/ShDi = Shared_Clean/Dirty, PrCl/PrDi = "
		       "Private_Clean/Dirty)\n");
	}
	printf("mappings: %zu\n", nmaps);
	bytes("rss", r2.rss);
	bytes("pss", r2.pss);
	bytes("uss", r2.prcl + r2.prdi);
	bytes("swap", r2.swap);
	bytes("swap_pss", r2.swappss);
	bytes("pss_of_mappings", sum[PSS]);
	bytes("pss_rounding", (long long)r2.pss - (long long)sum[PSS]);
	printf("note: the totals come from /proc/%s/smaps_rollup. smaps "
	       "rounds each\n  mapping's Pss down to a whole kB; the rollup "
	       "adds the exact shares\n  first, so the %zu mappings' Pss "
	       "add up to %lld kB less (under 1 kB each).\n", who, nmaps,
	       (long long)r2.pss - (long long)sum[PSS]);
	if (!same)
		printf("note: process %s kept changing while it was read: "
		       "the rows and the\n  totals may not agree.\n", who);
	step("read it; try: cat /proc/%s/smaps_rollup", who);
	free(maps);
	return 0;
}
