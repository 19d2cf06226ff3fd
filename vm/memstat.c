/* SPDX-License-Identifier: MIT */
/* memstat.c - what a process really uses: RSS, PSS and USS, per mapping
 *
 * How much memory does a process use? It depends on how you count pages
 * that other processes map too (every process maps libc's code):
 *   RSS  every page mapped into the process and present in RAM
 *   PSS  each such page divided by the number of processes mapping it, so
 *        the PSS of all processes adds up to the RAM they really use
 *   USS  only the pages no other process maps (Private_Clean +
 *        Private_Dirty): about what the system gets back when it exits
 * The kernel reports them per mapping in /proc/PID/smaps and summed in
 * /proc/PID/smaps_rollup. memstat prints one row per mapping, like
 * `pmap -X`, then the totals. smaps rounds each mapping's Pss down to a
 * kB, the rollup adds the exact shares first: the rows' Pss add up to a
 * little less than the total, and memstat says by how much.
 *
 * Run:  ./memstat [-s] [--step] [PID]      no PID: memstat itself
 * Reading another user's process needs the right to ptrace it (root).
 * Beside it:  cat /proc/PID/smaps_rollup
 *             pmap -X PID                  procps' view of the same smaps
 */
#include "../res/memtour.h"

enum { SIZE, RSS, PSS, SHCL, SHDI, PRCL, PRDI, SWAP, NCOL };
static const char *const field[NCOL] = {
	"Size", "Rss", "Pss", "Shared_Clean", "Shared_Dirty",
	"Private_Clean", "Private_Dirty", "Swap"
};
static const char *const title[NCOL] = {
	"Size", "Rss", "Pss", "ShCl", "ShDi", "PrCl", "PrDi", "Swap"
};

static int summary;		/* -s: the totals only */
static char pid[24];		/* the process, as a number */
static void options(int argc, char **argv);

/* Does this process have CAP_SYS_PTRACE (bit 19 of CapEff in status)? */
static int has_cap_sys_ptrace(void)
{
	static struct mt_lines l;
	const char *s;
	int yes = 0;

	if (mt_lines_open(&l, "/proc/self/status") < 0)
		return 0;
	while ((s = mt_lines_next(&l)))
		if (strncmp(s, "CapEff:", 7) == 0)
			yes = (strtoull(s + 7, NULL, 16) >> 19) & 1;
	return yes;
}

/* Open /proc/PID/FILE, or say plainly why not and exit 1. */
static void open_proc(struct mt_lines *l, const char *file)
{
	char path[64];
	int e;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, file);
	if (mt_lines_open(l, path) == 0)
		return;
	e = errno;
	fprintf(stderr, "%s: %s: %s\n", mt_prog, path, strerror(e));
	if (e == ENOENT)
		mt_fail("there is no process %s (it may have exited)", pid);
	if (e == ESRCH)
		mt_fail("process %s has no user memory: a kernel thread, or "
			"it exited", pid);
	if ((e == EACCES || e == EPERM) && has_cap_sys_ptrace())
		mt_fail("reading the memory map of process %s needs the right "
			"to ptrace it:\n  this process has CAP_SYS_PTRACE, and "
			"the kernel refuses even so (a\n  security module's "
			"rule, or a process the kernel protects)", pid);
	if (e == EACCES || e == EPERM)
		mt_fail("reading the memory map of process %s needs the right "
			"to ptrace it:\n  be its owner, or have CAP_SYS_PTRACE "
			"(root)", pid);
	exit(MT_EXIT_FAIL);
}

/* The kB of "Name:   123 kB", if line is about Name. */
static int kb_field(const char *line, const char *name, long long *v)
{
	size_t n = strlen(name);

	if (strncmp(line, name, n) != 0 || line[n] != ':')
		return 0;
	*v = strtoll(line + n + 1, NULL, 10);
	return 1;
}

/* The totals: Rss, Pss, Private_Clean, Private_Dirty, Swap, SwapPss. */
static const char *const total_field[6] = {
	"Rss", "Pss", "Private_Clean", "Private_Dirty", "Swap", "SwapPss"
};

static int read_rollup(long long t[6])
{
	static struct mt_lines l;
	const char *s;
	int seen = 0;

	open_proc(&l, "smaps_rollup");
	memset(t, 0, 6 * sizeof(t[0]));
	while ((s = mt_lines_next(&l)))
		for (int i = 0; i < 6; i++)
			seen |= kb_field(s, total_field[i], &t[i]);
	return seen;
}

/* A kB figure in 5 columns: 12345, then 1234M, 1234G (rounded down). */
static const char *col(long long kb)
{
	static char buf[NCOL][16];
	static int n;
	char *b = buf[n++ % NCOL];
	int u = 0;

	while (kb > 99999 && u < 3) {
		kb >>= 10;
		u++;
	}
	snprintf(b, sizeof(buf[0]), u ? "%4lld%c" : "%5lld", kb, "KMGT"[u]);
	return b;
}

/* One row: the address, the 8 figures, the name (a file's basename) in
 * what is left of 79 columns, shortened in the middle with "..". */
static void row(unsigned long start, const long long kb[NCOL],
		const char *name)
{
	int w = printf("%#14lx", start), room, len, tail;
	const char *slash = name[0] == '/' ? strrchr(name, '/') : NULL;

	for (int i = 0; i < NCOL; i++)
		printf(" %s", col(kb[i]));
	name = slash ? slash + 1 : name[0] ? name : "[anon]";
	room = 79 - w - 6 * NCOL - 1;
	len = (int)strlen(name);
	tail = room / 3;
	if (len <= room)
		printf(" %s\n", name);
	else
		printf(" %.*s..%s\n", room - 2 - tail, name, name + len - tail);
}

/* Every mapping of smaps, as a row (unless -s); the sums of the rows. */
static int read_smaps(long long sum[NCOL], int print)
{
	static struct mt_lines l;
	static char name[PATH_MAX];
	static struct mt_mapping m;
	long long kb[NCOL] = { 0 }, v;
	unsigned long start = 0;
	const char *s;
	int n = 0;

	open_proc(&l, "smaps");
	memset(sum, 0, NCOL * sizeof(sum[0]));
	while ((s = mt_lines_next(&l))) {
		if (mt_parse_maps_line(s, &m) == 0) {
			if (n++ && print)
				row(start, kb, name);
			start = m.start;
			snprintf(name, sizeof(name), "%s", m.path);
			memset(kb, 0, sizeof(kb));
			continue;
		}
		for (int i = 0; i < NCOL; i++)
			if (kb_field(s, field[i], &v)) {
				kb[i] = v;
				sum[i] += v;
			}
	}
	if (n && print)
		row(start, kb, name);
	return n;
}

static void total(const char *name, long long kb, const char *note)
{
	printf("%s: %lld (%s)%s\n", name, kb * 1024,
	       mt_human((uint64_t)kb * 1024), note);
}

int main(int argc, char **argv)
{
	static struct mt_lines l;
	long long t1[6], t2[6], sum[NCOL];
	const char *comm;
	int n = 0, same = 0;

	mt_init(argv);
	options(argc, argv);
	if (!pid[0])
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
	open_proc(&l, "comm");
	comm = mt_lines_next(&l);
	printf("pid: %s (%s)\n", pid, comm ? comm : "?");
	mt_lines_close(&l);
	/* Rollup, smaps, rollup: read again until the process held still
	 * (PSS moves too when other processes map or unmap shared pages). */
	for (int tries = 0; tries < 5 && !same; tries++) {
		if (!read_rollup(t1))
			mt_fail("process %s has no user memory: a kernel "
				"thread, or it exited", pid);
		n = read_smaps(sum, 0);
		read_rollup(t2);
		same = memcmp(t1, t2, sizeof(t1)) == 0 && sum[RSS] == t2[0];
	}
	if (!summary) {
		printf("%14s", "Address");
		for (int i = 0; i < NCOL; i++)
			printf(" %5s", title[i]);
		printf(" Mapping\n");
		read_smaps(sum, 1);
		printf("(kB; ShCl/ShDi = Shared_Clean/Dirty, PrCl/PrDi = "
		       "Private_Clean/Dirty)\n");
	}
	printf("mappings: %d\n", n);
	total("RSS", t2[0], "");
	total("PSS", t2[1], "");
	total("USS", t2[2] + t2[3], ": Private_Clean + Private_Dirty");
	total("swap", t2[4], "");
	total("swap PSS", t2[5], "");
	total("PSS of the rows", sum[PSS], "");
	printf("The rows' Pss add up to %lld kB less than PSS: smaps rounds "
	       "each\nmapping's Pss down to a kB, the rollup rounds once.\n",
	       t2[1] - sum[PSS]);
	if (!same)
		printf("Process %s kept changing while it was read: the rows "
		       "and the totals\nmay not agree.\n", pid);
	mt_pause("read it; try: cat /proc/%s/smaps_rollup", pid);
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "summary", no_argument, NULL, 's' },
		MT_COMMON_OPTIONS
	};
	uint64_t v;

	mt_usage = "[-s] [--step] [PID]";
	mt_help = "\nShows the memory of process PID (default: memstat itself) "
		  "like `pmap -X`: a row\nper mapping (kB, from smaps), then "
		  "RSS, PSS, USS and swap (from smaps_rollup).\n\n"
		  "  -s, --summary  the totals only\n"
		  "      --step     pause after reading\n"
		  "  -h, --help     this text\n";
	while (mt_getopt(argc, argv, "s", longopts) == 's')
		summary = 1;
	if (argc - optind > 1)
		mt_usage_error("one PID at most");
	if (optind == argc)
		return;
	if (!argv[optind][0] || argv[optind][strspn(argv[optind],
						       "0123456789")])
		mt_usage_error("bad PID '%s': a PID is a whole number",
			       argv[optind]);
	/* Digits, but more than any PID can be: no such process. */
	if (mt_parse_u64(argv[optind], &v) < 0 || v == 0 || v > INT_MAX)
		mt_fail("there is no process %s: PIDs run from 1 to pid_max",
			argv[optind]);
	snprintf(pid, sizeof(pid), "%llu", (unsigned long long)v);
}
