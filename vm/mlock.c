/* SPDX-License-Identifier: MIT */
/* mlock.c - lock pages in RAM: mlock, mlockall and RLIMIT_MEMLOCK
 *
 * mlock(2) asks the kernel to keep a range of pages in RAM: it faults them
 * all in at once and never swaps them out until munlock(2). mlockall(2)
 * does it for every mapping (MCL_CURRENT) and every later one
 * (MCL_FUTURE). Locked memory cannot be reclaimed, so an ordinary process
 * may lock at most RLIMIT_MEMLOCK bytes (`ulimit -l`, in KiB); a process
 * with CAP_IPC_LOCK (root) is not limited. You will see:
 *
 *   mlock(A)      VmLck in /proc/PID/status, and Locked and Rss of A in
 *                 smaps, grow to the size of A; VmFlags gains "lo"
 *   munlock(A)    back to 0
 *   the limit     a child without CAP_IPC_LOCK (dropped if it had it)
 *                 mlocks one page more than the limit: refused, ENOMEM
 *   mlockall      every mapping is locked, and a mapping made after it
 *
 * Run:  ./mlock [-n PAGES] [--step]
 *       bash -c 'ulimit -l 64; exec ./mlock'     a small limit
 * Beside it:  grep -E 'VmLck|CapEff' /proc/PID/status
 *             grep 'locked memory' /proc/PID/limits
 *             grep Mlocked /proc/meminfo     locked pages, system-wide
 */
#include "../res/memtour.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define CAP_IPC_LOCK_BIT (1u << 14)	/* CAP_IPC_LOCK is capability 14 */

static size_t npages = 16;	/* -n: pages in region A */
static size_t ps;
static void options(int argc, char **argv);

/* capget(2)/capset(2), version 3, without libcap: the first 32 bits. */
struct cap_head { uint32_t version; int pid; };
struct cap_data { uint32_t effective, permitted, inheritable; };

static int has_ipc_lock(int drop)
{
	struct cap_head h = { 0x20080522, 0 };
	struct cap_data d[2];

	if (syscall(SYS_capget, &h, d) != 0)
		return 0;
	if (drop && (d[0].effective & CAP_IPC_LOCK_BIT)) {
		d[0].effective &= ~CAP_IPC_LOCK_BIT;
		d[0].permitted &= ~CAP_IPC_LOCK_BIT;
		if (syscall(SYS_capset, &h, d) != 0)
			mt_die("capset");
	}
	return (d[0].effective & CAP_IPC_LOCK_BIT) != 0;
}

/* len bytes between two PROT_NONE guard pages: the kernel cannot merge
 * the region with a neighbour, so smaps shows it alone. */
static char *map(size_t len)
{
	char *g = mmap(NULL, len + 2 * ps, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p = MAP_FAILED;

	if (g != MAP_FAILED)
		p = mmap(g + ps, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		mt_die("mmap %zu bytes", len);
	return p;
}

/* "VmLck: N kB", and for region p its smaps Locked and Rss. */
static void show(const char *p)
{
	printf("  VmLck: %ld kB", mt_status_kb("VmLck"));
	if (p)
		printf(", Locked: %ld kB, Rss: %ld kB", mt_smaps_kb(p, "Locked"),
		       mt_smaps_kb(p, "Rss"));
	printf("\n");
}

static void smaps_pause(const char *what, const char *p)
{
	mt_pause("%s; try: grep -A24 ^%lx- /proc/%d/smaps", what,
		 (unsigned long)(uintptr_t)p, (int)getpid());
}

static void lock_region(void)
{
	size_t len = npages * ps;
	char *a = map(len);

	printf("\nregion A: %p, %zu (%s)\n", (void *)a, len, mt_human(len));
	if (mlock(a, len) == 0) {
		printf("mlock(A): ok, every page faulted in and locked\n");
		show(a);
		smaps_pause("locked", a);
	} else {
		printf("mlock(A): %s: A does not fit in RLIMIT_MEMLOCK\n",
		       strerror(errno));
		show(a);
	}
	if (munlock(a, len) != 0)
		mt_die("munlock");
	printf("munlock(A): ok\n");
	show(a);
	smaps_pause("unlocked", a);
}

/* One page more than the limit, in a child that has no CAP_IPC_LOCK. */
static void past_the_limit(const struct rlimit *rl, int cap)
{
	size_t len;
	pid_t pid;
	char *b;
	int st;

	printf("\npast the limit:\n");
	if (rl->rlim_cur == RLIM_INFINITY || rl->rlim_cur > (64u << 20)) {
		printf("  RLIMIT_MEMLOCK is %s: too much to lock here; try\n"
		       "  bash -c 'ulimit -l 64; exec ./mlock'\n",
		       rl->rlim_cur == RLIM_INFINITY ? "unlimited" : "large");
		return;
	}
	len = (rl->rlim_cur / ps + 1) * ps;
	if (fflush(stdout) != 0) {	/* before fork, or the child prints
					 * it too; a failed write is said once */
		dprintf(2, "%s: write: %s\n", mt_prog, strerror(errno));
		_exit(1);
	}
	pid = fork();
	if (pid < 0)
		mt_die("fork");
	if (pid > 0) {
		if (waitpid(pid, &st, 0) < 0)
			mt_die("waitpid");
		return;
	}
	has_ipc_lock(1);
	printf("  child %d%s, no CAP_IPC_LOCK\n", (int)getpid(), cap ?
	       " (it dropped it with capset)" : "");
	b = map(len);
	if (mlock(b, len) == 0)
		printf("  mlock of %zu (%s): ok?\n", len, mt_human(len));
	else if (errno == EPERM && rl->rlim_cur == 0)
		printf("  mlock of %zu (%s): %s\n  RLIMIT_MEMLOCK is %llu: "
		       "without CAP_IPC_LOCK no page may be locked\n", len,
		       mt_human(len), strerror(errno),
		       (unsigned long long)rl->rlim_cur);
	else
		printf("  mlock of %zu (%s), one page over the limit: %s\n",
		       len, mt_human(len), strerror(errno));
	show(NULL);
	mt_pause("refused; try: grep -E 'VmLck|CapEff' /proc/%d/status",
		 (int)getpid());
	fflush(stdout);
	_exit(0);
}

/* The mappings mlockall left unlocked, from smaps: no "lo" in VmFlags.
 * They are the kernel's special mappings ([vvar], [vdso]...), which map
 * pages no process may pin. */
static const char *unlocked(void)
{
	static struct mt_lines l;
	static struct mt_mapping m;
	static char names[256];
	const char *s, *lo;
	size_t n = 0;

	names[0] = '\0';
	if (mt_lines_open(&l, "/proc/self/smaps") < 0)
		mt_die("/proc/self/smaps");
	while ((s = mt_lines_next(&l))) {
		if (mt_parse_maps_line(s, &m) == 0 ||
		    strncmp(s, "VmFlags:", 8) != 0)
			continue;
		for (lo = s; (lo = strstr(lo, " lo")); lo++)
			if (lo[3] == ' ' || lo[3] == '\0')
				break;
		if (!lo && n < sizeof(names))
			n += (size_t)snprintf(names + n, sizeof(names) - n,
					      " %s", m.path[0] ? m.path :
					      "(anonymous)");
	}
	return names[0] ? names + 1 : "none";
}

static void lock_all(void)
{
	size_t len = npages * ps;
	int r = mlockall(MCL_CURRENT | MCL_FUTURE);
	char *f;

	printf("\nmlockall(MCL_CURRENT | MCL_FUTURE): %s\n",
	       r ? strerror(errno) : "ok");
	if (r)
		printf("  every mapping counts against the limit, and VmSize "
		       "is %ld kB\n", mt_status_kb("VmSize"));
	else
		printf("  VmLck: %ld kB of VmSize %ld kB: every mapping is "
		       "locked but\n  %s, which cannot be locked\n",
		       mt_status_kb("VmLck"), mt_status_kb("VmSize"),
		       unlocked());
	mt_pause("%s; try: grep -E 'VmSize|VmLck' /proc/%d/status",
		 r ? "refused" : "mlockall", (int)getpid());
	if (r)
		return;
	f = map(len);
	printf("region F: %p, mapped after mlockall: MCL_FUTURE locked it\n",
	       (void *)f);
	show(f);
	smaps_pause("mapped F", f);
	if (munlockall() != 0)
		mt_die("munlockall");
	printf("munlockall(): ok\n");
	show(f);
	mt_pause("munlockall; try: grep -E 'VmSize|VmLck' /proc/%d/status",
		 (int)getpid());
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	int cap;

	mt_init(argv);
	options(argc, argv);
	ps = mt_pagesize();
	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		mt_die("getrlimit");
	cap = has_ipc_lock(0);
	printf("page size: %zu\n", ps);
	if (rl.rlim_cur == RLIM_INFINITY)
		printf("RLIMIT_MEMLOCK: unlimited\n");
	else
		printf("RLIMIT_MEMLOCK: %llu (%s)\n",
		       (unsigned long long)rl.rlim_cur, mt_human(rl.rlim_cur));
	printf("CAP_IPC_LOCK: %s\n", cap ? "yes: the limit does not apply "
	       "to this process" : "no: this process may lock up to the "
	       "limit");
	lock_region();
	past_the_limit(&rl, cap);
	lock_all();
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pages", required_argument, NULL, 'n' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-n PAGES] [--step]";
	mt_help = "\nLocks a region with mlock, unlocks it, shows a child "
		  "without CAP_IPC_LOCK\nrefused one page past RLIMIT_MEMLOCK, "
		  "then locks everything with mlockall.\n\n"
		  "  -n, --pages PAGES  pages in the region (default 16)\n"
		  "      --step         pause at each step\n"
		  "  -h, --help         this text\n";
	while ((c = mt_getopt(argc, argv, "n:", longopts)) != -1)
		if (c == 'n')
			npages = mt_count_arg("-n", optarg, 1, 1 << 16);
	mt_no_operands(argc, argv);
}
