/* mlock.c - lock pages in RAM: mlock, mlockall, RLIMIT_MEMLOCK
 *
 * mlock(2) asks the kernel to keep a range of pages in RAM: it faults them
 * all in at once and never swaps them out until munlock(2) (they may still
 * be moved to another frame, by compaction: a minor fault, never a major
 * one). mlockall(2) does the same for the whole address space
 * (MCL_CURRENT) and for every mapping made later (MCL_FUTURE). With
 * MCL_ONFAULT, or mlock2(MLOCK_ONFAULT), pages are locked as they are
 * first touched instead of all at once; VmLck counts the whole mapping
 * either way. Locked memory cannot be reclaimed, so an ordinary process
 * may lock at most RLIMIT_MEMLOCK bytes (`ulimit -l`, in KiB; 8 MiB by
 * default since Linux 5.16, 64 KiB before); a process with CAP_IPC_LOCK
 * (root) is not limited.
 *
 * Steps (each followed by a pause with --step):
 *   mapped      mmap an anonymous region A of N pages: nothing locked
 *   mlock       mlock(A): VmLck in /proc/PID/status and the Locked field of
 *               A in /proc/PID/smaps become the size of A. If A does not fit
 *               in RLIMIT_MEMLOCK the error is shown, explained, and the
 *               part that fits is locked instead (row "mlock-fit")
 *   munlock     munlock(A): both drop to 0
 *   over-limit  mlock a region B one page larger than RLIMIT_MEMLOCK:
 *               ENOMEM for an ordinary process (EPERM when the limit is 0),
 *               success with CAP_IPC_LOCK
 *   mlockall    mlockall(MCL_CURRENT | MCL_FUTURE): every mapping is locked;
 *               an ordinary process needs its whole VmSize to fit in the
 *               limit, so this often fails with ENOMEM: explained
 *   future      mmap a new region F: MCL_FUTURE locks (and faults in) it
 *   munlockall  munlockall(): VmLck back to 0
 *
 * Run:  ./mlock [-n PAGES] [--step]
 *       bash -c 'ulimit -l 64; exec ./mlock'     a small limit
 *
 * Output, checked by tests/vm.bats:
 *   pagesize: BYTES
 *   rlimit_memlock: BYTES (soft limit) or unlimited
 *   rlimit_memlock_max: BYTES (hard limit) or unlimited
 *   cap_ipc_lock: yes|no          (bit 14 of CapEff in /proc/self/status)
 *   region_size: BYTES            the size of A asked for
 *   lock_size: BYTES              what mlock locked in A (A shrinks to it)
 *   table "step result VmLck_kB Locked_kB region": result is ok, ENOMEM,
 *   EPERM, EAGAIN or skip; VmLck from /proc/self/status; Locked is the
 *   smaps field of the mapping at "region" (A, B or F)
 *
 * Try beside it (second terminal, with --step):
 *   grep VmLck /proc/PID/status
 *   grep -E '^[0-9a-f]|^Locked|VmFlags' /proc/PID/smaps  ("lo" = locked)
 *   grep 'locked memory' /proc/PID/limits
 *   prlimit --memlock --pid PID
 *   grep Mlocked /proc/meminfo          locked pages, system-wide
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *prog = "mlock";
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
	fprintf(f, "usage: %s [-n PAGES] [--step] [--help]\n", prog);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
"Locks a region of N pages with mlock, unlocks it, tries to lock more than\n"
"RLIMIT_MEMLOCK allows, then locks everything with mlockall(MCL_CURRENT |\n"
"MCL_FUTURE) and unlocks it with munlockall. After each step it prints\n"
"VmLck (/proc/self/status) and the Locked field of the region's mapping\n"
"(/proc/self/smaps).\n"
"\n"
"  -n, --pages N  pages in the region (default: 1 MiB worth)\n"
"      --step     pause after each step (also MEMTOUR_STEP=1)\n"
"      --help     this text\n"
"\n"
"Try it with a small limit:  bash -c 'ulimit -l 64; exec %s'\n", prog);
}

/* A line reader on a file descriptor with a static buffer (no stdio, no
 * malloc): smaps can be longer than any fixed buffer. */
struct lines {
	int fd;
	size_t len, pos;
	char buf[8192];
};

static char *next_line(struct lines *l)
{
	char *nl, *line;
	ssize_t r;

	for (;;) {
		nl = memchr(l->buf + l->pos, '\n', l->len - l->pos);
		if (nl || (l->len == sizeof(l->buf) - 1 && l->pos == 0)) {
			line = l->buf + l->pos;
			if (!nl)	/* overlong line: cut it */
				nl = l->buf + l->len - 1;
			*nl = '\0';
			l->pos = nl + 1 - l->buf;
			return line;
		}
		memmove(l->buf, l->buf + l->pos, l->len - l->pos);
		l->len -= l->pos;
		l->pos = 0;
		r = read(l->fd, l->buf + l->len, sizeof(l->buf) - 1 - l->len);
		if (r < 0)
			die("read /proc/self");
		if (r == 0) {
			if (l->len == 0)
				return NULL;
			l->buf[l->len] = '\n';	/* last line, no newline */
			l->len++;
			continue;
		}
		l->len += r;
	}
}

static struct lines lr;

static void open_lines(const char *path)
{
	lr.fd = open(path, O_RDONLY);
	if (lr.fd < 0)
		die(path);
	lr.len = lr.pos = 0;
}

/* A "Field:  value" of /proc/self/status, as a number (kB for sizes). */
static long long status_field(const char *field, int base)
{
	size_t n = strlen(field);
	long long v = -1;
	char *line;

	open_lines("/proc/self/status");
	while ((line = next_line(&lr)))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			v = strtoll(line + n + 1, NULL, base);
			break;
		}
	close(lr.fd);
	return v;
}

/* The smaps field (kB) of the mapping that holds addr, -1 if none. */
static long smaps_kb(const void *addr, const char *field)
{
	uintptr_t a = (uintptr_t)addr;
	unsigned long lo, hi;
	size_t n = strlen(field);
	int inside = 0;
	long v = -1;
	char *line;

	open_lines("/proc/self/smaps");
	while ((line = next_line(&lr))) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			inside = a >= lo && a < hi;
			continue;
		}
		if (inside && strncmp(line, field, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	close(lr.fd);
	return v;
}

static long pagesize;

static void human(unsigned long long b)
{
	if (b >= (1ULL << 30) && b % (1ULL << 30) == 0)
		printf("%llu (%llu GiB)", b, b >> 30);
	else if (b >= (1ULL << 20) && b % (1ULL << 20) == 0)
		printf("%llu (%llu MiB)", b, b >> 20);
	else if (b >= 1024 && b % 1024 == 0)
		printf("%llu (%llu KiB)", b, b >> 10);
	else
		printf("%llu", b);
}

static void limit_line(const char *name, rlim_t v)
{
	printf("%s: ", name);
	if (v == RLIM_INFINITY)
		printf("unlimited");
	else
		human(v);
	putchar('\n');
}

static void header(void)
{
	printf("%-11s %-7s %9s %9s  %s\n", "step", "result", "VmLck_kB",
	       "Locked_kB", "region");
}

/* One row: the step, how it went, and what the kernel now says. */
static void row(const char *name, const char *result, const void *region)
{
	printf("%-11s %-7s %9lld %9ld  ", name, result,
	       status_field("VmLck", 10),
	       region ? smaps_kb(region, "Locked") : 0L);
	if (region)
		printf("%p\n", region);
	else
		printf("-\n");
}

/* An anonymous region with an inaccessible page on each side: the
 * guards keep the kernel from merging it with a neighbouring mapping, so
 * its smaps entry (and Locked field) is exactly the region. */
static char *map_region(size_t size, int extra)
{
	char *p = mmap(NULL, size + 2 * pagesize, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + pagesize, size, PROT_READ | PROT_WRITE) != 0)
		die("mprotect");
	return p + pagesize;
}

static const char *err_name(int e)
{
	switch (e) {
	case 0:
		return "ok";
	case ENOMEM:
		return "ENOMEM";
	case EPERM:
		return "EPERM";
	case EAGAIN:
		return "EAGAIN";
	default:
		return "error";
	}
}

static void explain_limit(int e, rlim_t limit, size_t asked)
{
	static int told;

	printf("note: %s of %zu bytes: %s.\n", e == EAGAIN ? "mmap" :
	       "mlock", asked, strerror(e));
	if (e == EPERM)
		printf("  RLIMIT_MEMLOCK is 0 and this process has no "
		       "CAP_IPC_LOCK: it may not\n  lock any page "
		       "(EPERM).\n");
	else
		printf("  Locking them would pass RLIMIT_MEMLOCK (%llu bytes) "
		       "and this process\n  has no CAP_IPC_LOCK: the kernel "
		       "refuses (%s) before touching a page.\n",
		       (unsigned long long)limit, err_name(e));
	if (!told++)
		printf("  To allow more: `ulimit -l KiB` (up to the hard "
		       "limit), prlimit --memlock,\n  memlock in "
		       "/etc/security/limits.conf, LimitMEMLOCK= in "
		       "systemd,\n  or CAP_IPC_LOCK.\n");
}

static size_t parse_pages(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'n' },
		{ "step", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	size_t pages = 0;
	unsigned long long v;
	char *end;
	int c;

	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":n:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end ||
			    optarg[0] == '-' || v == 0 || v > 1024 * 1024) {
				fprintf(stderr, "%s: bad page count '%s' "
					"(1 to 1048576)\n", prog, optarg);
				usage(stderr);
				exit(2);
			}
			pages = v;
			break;
		case 's':
			step_mode = 1;
			break;
		case 'h':
			help();
			exit(0);
		case ':':
			if (optopt && strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "%s: option '-%c' needs an "
					"argument\n", prog, optopt);
			else
				fprintf(stderr, "%s: option '%s' needs an "
					"argument\n", prog, argv[optind - 1]);
			usage(stderr);
			exit(2);
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
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		usage(stderr);
		exit(2);
	}
	return pages;
}

/* Largest region the over-limit step will really lock when the limit does
 * not apply (CAP_IPC_LOCK): more would only eat the machine's RAM. */
#define OVER_LIMIT_MAX (64ULL << 20)

int main(int argc, char **argv)
{
	const char *s = getenv("MEMTOUR_STEP");
	char *a, *b = NULL, *f = NULL;
	size_t pages, size, fit, bsize = 0;
	struct rlimit rl;
	long long caps;
	long pid;
	int cap, e;

	if (s && *s && strcmp(s, "0") != 0)
		step_mode = 1;
	pages = parse_pages(argc, argv);
	pagesize = sysconf(_SC_PAGESIZE);
	if (pages == 0)
		pages = (1 << 20) / pagesize ? (1 << 20) / pagesize : 1;
	/* Locked pages cannot be reclaimed: lock no more than 1/8 of RAM. */
	if (pages > (size_t)sysconf(_SC_PHYS_PAGES) / 8) {
		fprintf(stderr, "%s: %zu pages is more than 1/8 of this "
			"machine's memory\n", prog, pages);
		usage(stderr);
		exit(2);
	}
	size = pages * pagesize;
	pid = getpid();

	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		die("getrlimit");
	/* CAP_IPC_LOCK is capability 14: bit 14 of the effective set. */
	caps = status_field("CapEff", 16);
	cap = caps >= 0 && ((caps >> 14) & 1);

	printf("pagesize: %ld\n", pagesize);
	limit_line("rlimit_memlock", rl.rlim_cur);
	limit_line("rlimit_memlock_max", rl.rlim_max);
	printf("cap_ipc_lock: %s\n", cap ? "yes" : "no");
	if (cap)
		printf("note: with CAP_IPC_LOCK (root has it) RLIMIT_MEMLOCK "
		       "does not apply:\n  this process may lock as much "
		       "as it likes.\n");
	printf("region_size: ");
	human(size);
	putchar('\n');

	a = map_region(size, 0);
	if (!a)
		die("mmap");
	header();
	row("mapped", "ok", a);
	step("region A mapped; try: grep VmLck /proc/%ld/status", pid);

	/* mlock faults every page in and marks the mapping VM_LOCKED. */
	e = mlock(a, size) ? errno : 0;
	fit = size;
	if (e && e != ENOMEM && e != EPERM)
		die("mlock");
	if (e) {
		row("mlock", err_name(e), a);
		explain_limit(e, rl.rlim_cur, size);
		/* Go on with what fits: shrink A to the limit. */
		fit = 0;
		if (e == ENOMEM && rl.rlim_cur != RLIM_INFINITY)
			fit = rl.rlim_cur / pagesize * pagesize;
		if (fit && mprotect(a + fit, size - fit, PROT_NONE) != 0)
			die("mprotect");
		if (fit && mlock(a, fit) != 0)
			die("mlock");
		if (fit)
			printf("note: locking only the %zu bytes that fit "
			       "instead\n", fit);
		else
			printf("note: nothing fits: nothing is locked\n");
		row("mlock-fit", fit ? "ok" : "skip", a);
	} else {
		if (!cap && rl.rlim_cur != RLIM_INFINITY &&
		    size > rl.rlim_cur)
			printf("note: that was more than RLIMIT_MEMLOCK: "
			       "it should have failed\n");
		else if (cap && rl.rlim_cur != RLIM_INFINITY &&
			 size > rl.rlim_cur)
			printf("note: %zu bytes is more than RLIMIT_MEMLOCK "
			       "(%llu): CAP_IPC_LOCK\n  lets it pass\n", size,
			       (unsigned long long)rl.rlim_cur);
		row("mlock", "ok", a);
	}
	if (fit && status_field("VmLck", 10) < (long long)(fit / 1024))
		printf("note: mlock said yes but VmLck did not grow: is mlock "
		       "intercepted?\n  (AddressSanitizer makes it do "
		       "nothing)\n");
	printf("lock_size: ");
	human(fit);
	putchar('\n');
	step("mlock; try: grep -A25 ^%lx /proc/%ld/smaps",
	     (unsigned long)(uintptr_t)a, pid);

	if (munlock(a, fit ? fit : size) != 0)
		die("munlock");
	row("munlock", "ok", a);
	step("munlock(A); try: grep VmLck /proc/%ld/status", pid);

	/* One page past the limit. An ordinary process is refused before
	 * any page is touched, so the size costs nothing; with
	 * CAP_IPC_LOCK it is really locked, so keep it modest. */
	if (rl.rlim_cur == RLIM_INFINITY) {
		printf("note: RLIMIT_MEMLOCK is unlimited: there is no limit "
		       "to pass\n");
		row("over-limit", "skip", NULL);
	} else if (cap && rl.rlim_cur > OVER_LIMIT_MAX) {
		printf("note: with CAP_IPC_LOCK this would really lock %llu "
		       "bytes: skipped\n",
		       (unsigned long long)rl.rlim_cur + pagesize);
		row("over-limit", "skip", NULL);
	} else {
		bsize = (rl.rlim_cur / pagesize + 1) * pagesize;
		b = map_region(bsize, MAP_NORESERVE);
		if (!b)
			die("mmap");
		e = mlock(b, bsize) ? errno : 0;
		if (e && e != ENOMEM && e != EPERM)
			die("mlock");
		if (e)
			explain_limit(e, rl.rlim_cur, bsize);
		else
			printf("note: locked %zu bytes, one page over "
			       "RLIMIT_MEMLOCK: CAP_IPC_LOCK\n", bsize);
		row("over-limit", err_name(e), b);
	}
	step("past the limit; try: grep locked /proc/%ld/limits", pid);
	if (b && munmap(b - pagesize, bsize + 2 * pagesize) != 0)
		die("munmap");

	/* mlockall(MCL_CURRENT) checks the whole address space (VmSize)
	 * against the limit, not just what is already resident. */
	e = mlockall(MCL_CURRENT | MCL_FUTURE) ? errno : 0;
	if (e && e != ENOMEM && e != EPERM)
		die("mlockall");
	if (e == EPERM) {
		printf("note: mlockall(MCL_CURRENT | MCL_FUTURE): %s.\n"
		       "  RLIMIT_MEMLOCK is 0 and this process has no "
		       "CAP_IPC_LOCK.\n", strerror(e));
	} else if (e) {
		printf("note: mlockall(MCL_CURRENT | MCL_FUTURE): %s.\n"
		       "  It would lock the whole address space: VmSize "
		       "%lld kB is more than\n  RLIMIT_MEMLOCK (%llu kB) "
		       "allows a process without CAP_IPC_LOCK.\n",
		       strerror(e), status_field("VmSize", 10),
		       (unsigned long long)rl.rlim_cur / 1024);
	} else {
		printf("note: VmLck adds up the size of every locked mapping, "
		       "resident or not\n  (PROT_NONE guards included): "
		       "now almost all of VmSize (%lld kB).\n"
		       "  Locked in smaps counts only pages in RAM (shared "
		       "ones in part, as\n  Pss does).\n",
		       status_field("VmSize", 10));
	}
	row("mlockall", err_name(e), a);
	step("mlockall; try: grep -cw lo /proc/%ld/smaps", pid);

	if (e) {
		row("future", "skip", NULL);
	} else {
		/* MCL_FUTURE: the new mapping is locked, and faulted in. */
		f = map_region(size, 0);
		if (!f && errno != EAGAIN)
			die("mmap");
		if (!f) {
			explain_limit(EAGAIN, rl.rlim_cur, size);
			row("future", "EAGAIN", NULL);
		} else {
			row("future", "ok", f);
		}
	}
	step("MCL_FUTURE mapping; try: grep VmLck /proc/%ld/status", pid);

	if (munlockall() != 0)
		die("munlockall");
	row("munlockall", "ok", f ? f : a);
	step("munlockall; try: grep VmLck /proc/%ld/status", pid);
	return 0;
}
