/* SPDX-License-Identifier: MIT */
/* uffd_loader.c - demand paging in user space with userfaultfd(2)
 *
 * demand_loader bends SIGSEGV into a page loader; userfaultfd is made for
 * the job. A touch of a missing page of a registered region raises no
 * signal: the faulting thread sleeps, a message comes on the userfaultfd,
 * a handler thread reads it and fills the page from the file with
 * UFFDIO_COPY (the kernel allocates the page, copies our bytes in, maps
 * it, wakes the sleeper). No mprotect, no signal frame, no async-signal
 * rules. QEMU's post-copy migration and CRIU's lazy restore use it.
 * An ordinary user gets user-mode faults only (UFFD_USER_MODE_ONLY, asked
 * for here) unless vm.unprivileged_userfaultfd is 1; refused (an old
 * kernel, seccomp), it says why and exits 1.
 *
 * Run:   sigsegv/uffd_loader --pages 0,3 FILE --step   (Rss grows)
 */
#include "../res/memtour.h"	/* first: it defines _GNU_SOURCE */
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#if __has_include(<linux/userfaultfd.h>)
#include <linux/userfaultfd.h>
#else	/* a C library without kernel headers (musl): what we use of them */
struct uffdio_api { uint64_t api, features, ioctls; };
struct uffdio_range { uint64_t start, len; };
struct uffdio_register { struct uffdio_range range; uint64_t mode, ioctls; };
struct uffdio_copy { uint64_t dst, src, len, mode; int64_t copy; };
struct uffd_msg { uint8_t event, r1; uint16_t r2; uint32_t r3; union {
	struct { uint64_t flags, address; uint32_t ptid; } pagefault;
	uint64_t r[3]; } arg; } __attribute__((packed));
#define UFFD_API 0xAA
#define UFFD_EVENT_PAGEFAULT 0x12
#define UFFDIO_REGISTER_MODE_MISSING 1
#define UFFDIO_API _IOWR(0xAA, 0x3F, struct uffdio_api)
#define UFFDIO_REGISTER _IOWR(0xAA, 0x00, struct uffdio_register)
#define UFFDIO_COPY _IOWR(0xAA, 0x03, struct uffdio_copy)
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1	/* Linux 5.11; older headers lack it */
#endif

static size_t window = 1;	/* --around: pages copied per fault */
static size_t list[64], nlist;	/* --pages */
static enum { AUTO, CAT, PAGES, TOUCH } mode;	/* AUTO: by the size */
static int crash;
static const char *path;
static void options(int argc, char **argv);

static char *region, *buf;	/* the registered region; a staging buffer */
static size_t region_len, ps;
static int fd, uffd, out = STDOUT_FILENO;	/* out: where cat writes */
static long faults, pages_loaded;	/* written by the handler thread */

/* Why userfaultfd(2) failed with err, as far as this process can see. */
static void __attribute__((noreturn)) refused(int err)
{
	static struct mt_lines l;
	const char *s = NULL, *seccomp = "?";

	if (mt_lines_open(&l, "/proc/self/status") == 0)
		while ((s = mt_lines_next(&l)))
			if (strncmp(s, "Seccomp:", 8) == 0)
				break;
	seccomp = s ? s + 8 + strspn(s + 8, " \t") : seccomp;
	fflush(stdout);	/* the report so far first (cat mode: on stderr) */
	s = mt_lines_open(&l, "/proc/sys/vm/unprivileged_userfaultfd") == 0
		    ? mt_lines_next(&l) : NULL;
	fprintf(stderr, "%s: userfaultfd: %s\n%s: cannot load pages through "
		"userfaultfd here:\n  vm.unprivileged_userfaultfd: %s (0: "
		"ordinary users get user-mode faults only)\n  seccomp: %s (0: "
		"off, 2: a filter that may refuse the call)\n", mt_prog,
		strerror(err), mt_prog, s ? s : "not present", seccomp);
	fprintf(stderr, "  /dev/userfaultfd: %s\n  %s\n",
		access("/dev/userfaultfd", R_OK | W_OK) == 0 ? "usable" :
		errno == ENOENT ? "absent (Linux 6.1 on)" :
		"not usable by this user", err == ENOSYS ?
		"ENOSYS: no CONFIG_USERFAULTFD in this kernel, or seccomp "
		"hides it" : "to enable: sysctl -w vm.unprivileged_userfaultfd"
		"=1, or\n  give this user access to /dev/userfaultfd");
	exit(MT_EXIT_FAIL);
}

/* A userfaultfd for faults in user mode, or why there is none. */
static int open_uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int u = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);

	if (u < 0 && errno == EINVAL)	/* before 5.11: no such flag */
		u = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (u < 0)
		refused(errno);
	if (ioctl(u, UFFDIO_API, &api) < 0)
		mt_die("UFFDIO_API");
	return u;
}

/* The handler thread: an ordinary thread, any call allowed. */
static void *serve(void *arg)
{
	struct uffd_msg m;
	struct uffdio_copy c;
	size_t off, len, done;
	ssize_t n;

	(void)arg;
	for (;;) {
		n = read(uffd, &m, sizeof(m));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(m))
			mt_die("read userfaultfd");
		if (m.event != UFFD_EVENT_PAGEFAULT)
			continue;
		off = (size_t)(m.arg.pagefault.address - (uintptr_t)region) /
		      ps / window * window * ps;
		len = region_len - off < window * ps ? region_len - off :
						       window * ps;
		memset(buf, 0, len);	/* past the end of file: zeros */
		for (done = 0; done < len; done += (size_t)n)
			if ((n = pread(fd, buf + done, len - done,
				       (off_t)(off + done))) <= 0)
				break;
		__atomic_add_fetch(&faults, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&pages_loaded, (long)(len / ps),
				   __ATOMIC_SEQ_CST);
		c = (struct uffdio_copy){ .dst = (uintptr_t)region + off,
					  .src = (uintptr_t)buf, .len = len };
		if (ioctl(uffd, UFFDIO_COPY, &c) < 0 && errno != EEXIST)
			mt_die("UFFDIO_COPY");	/* copies, maps, wakes */
	}
	return NULL;
}

/* Read the file through the region, as demand_loader does. */
static void read_through(size_t size)
{
	size_t i, k, n = region_len / ps;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; (mode == CAT || mode == TOUCH) && i < n; i++) {
		/* A fault; and a page must be loaded before write(2) reads
		 * it: the kernel's own read of a missing page takes no
		 * SIGSEGV (it gets EFAULT). */
		(void)*(volatile char *)(region + i * ps);
		if (mode == CAT)	/* the bytes alone on stdout */
			mt_write_all(out, region + i * ps,
				     size - i * ps < ps ? size - i * ps : ps,
				     "the file's copy");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (mode == TOUCH)
		printf("time per page: %.1f ns\n",
			((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
			 (double)(t1.tv_nsec - t0.tv_nsec)) / (double)n);
	if (mode != PAGES)
		return;
	if (!nlist)		/* the first and the last page */
		list[nlist++] = 0, list[nlist++] = n - 1;
	printf("%8s  %-18s  %s\n", "page", "address", "first bytes");
	for (k = 0; k < nlist; k++) {
		unsigned char *p;

		if (list[k] >= n)
			mt_fail("--pages: page %zu is past the last page, %zu",
				list[k], n - 1);
		p = (unsigned char *)region + list[k] * ps;
		printf("%8zu  0x%-16lx ", list[k], (unsigned long)p);
		for (i = 0; i < 8 && list[k] * ps + i < size; i++)
			printf(" %02x", p[i]);	/* faults at i 0 */
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	static char self[PATH_MAX];
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	pthread_t t;
	struct stat st;
	size_t n;
	long loaded;

	mt_init(argv);
	options(argc, argv);
	ps = mt_pagesize();
	if (!path) {		/* our own executable */
		if (readlink("/proc/self/exe", self, PATH_MAX - 1) < 0)
			mt_die("readlink /proc/self/exe");
		path = self;
	}
	/* O_NONBLOCK: a FIFO would wait in open for a writer. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0 || fcntl(fd, F_SETFL, 0) < 0)
		mt_die("open %s", path);
	if (!S_ISREG(st.st_mode))
		mt_fail("%s: %s", path, S_ISDIR(st.st_mode) ? "is a directory:"
			" give a regular file" : "not a regular file: only a "
			"file has a size to reserve");
	if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX / 2)
		mt_fail("%s: too big for this machine's address space", path);
	if (mode == AUTO)
		mode = path != self && st.st_size <= 1024 * 1024 ? CAT : PAGES;
	/* In cat mode stdout carries the file's bytes alone: the report and
	 * the pauses go to stderr (as in demand_loader). */
	if (mode == CAT && ((out = dup(STDOUT_FILENO)) < 0 ||
			    dup2(STDERR_FILENO, STDOUT_FILENO) < 0))
		mt_die("dup");
	printf("file: %s\nfile size: %jd (%s)\npage size: %zu\n", path,
	       (intmax_t)st.st_size, mt_human((uint64_t)st.st_size), ps);
	if (st.st_size == 0) {
		printf("nothing to load: the file is empty\n");
		return 0;
	}

	uffd = open_uffd();
	region_len = mt_page_round((size_t)st.st_size);
	region = mmap(NULL, region_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	buf = mmap(NULL, window * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED || buf == MAP_FAILED)
		mt_die("mmap %zu bytes", region_len);
	reg.range = (struct uffdio_range){ (uintptr_t)region, region_len };
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		mt_die("UFFDIO_REGISTER");
	if ((errno = pthread_create(&t, NULL, serve, NULL)) != 0)
		mt_die("pthread_create");
	n = region_len / ps;
	printf("region: 0x%lx-0x%lx, %zu (%s), %zu page%s\n",
	       (unsigned long)region, (unsigned long)(region + region_len),
	       region_len, mt_human(region_len), n, n > 1 ? "s" : "");
	printf("window: %zu page%s\n", window, window > 1 ? "s" : "");
	mt_pause("region registered, no page present; try: grep -A4 '^%lx-' "
		 "/proc/%d/smaps", (unsigned long)region, (int)getpid());

	read_through((size_t)st.st_size);
	loaded = __atomic_load_n(&pages_loaded, __ATOMIC_SEQ_CST);
	printf("faults taken: %ld\npages loaded: %ld\n",
	       __atomic_load_n(&faults, __ATOMIC_SEQ_CST), loaded);
	/* Rss of the region's smaps entry: uffd regions never merge. */
	printf("pages present: %ld\n",
	       mt_smaps_kb(region, "Rss") * 1024 / (long)ps);
	mt_pause("%ld page%s copied in; try: grep -A4 '^%lx-' /proc/%d/smaps",
		 loaded, loaded > 1 ? "s" : "", (unsigned long)region,
		 (int)getpid());
	if (crash) {
		char *volatile outside = (char *)(uintptr_t)16;

		printf("access: read 0x10, outside the region\n");
		mt_check_stdout();	/* before the kernel kills us */
		(void)*(volatile char *)outside;
	}
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "around", required_argument, NULL, 'a' },
		{ "pages", required_argument, NULL, 'p' },
		{ "touch", no_argument, NULL, 't' },
		{ "crash", no_argument, NULL, 'C' },
		MT_COMMON_OPTIONS
	};
	int c, modes = 0;

	mt_usage = "[-a N] [-p LIST | -t] [--crash] [--step] [FILE]";
	mt_help = "\nAs demand_loader, but the pages of FILE come in through\n"
		  "userfaultfd: a handler thread copies each missing page.\n\n"
		  "  -a, --around N   pages copied per fault (1 to 512)\n"
		  "  -p, --pages LIST touch only these pages: 0,5,9\n"
		  "  -t, --touch      touch every page; print the time per page\n"
		  "      --crash      then read 0x10, outside the region\n"
		  "      --step       pause at each step (also MEMTOUR_STEP=1)\n"
		  "  -h, --help       this text\n";
	while ((c = mt_getopt(argc, argv, "a:p:t", longopts)) != -1)
		switch (c) {
		case 'a':
			window = mt_count_arg("--around", optarg, 1, 512);
			break;
		case 'p':
			nlist = mt_count_list("--pages", optarg, "page", list,
					      64, SIZE_MAX / 2);
			/* fall through */
		case 't':
			modes |= c == 'p' ? 1 : 2;
			mode = c == 'p' ? PAGES : TOUCH;
			break;
		case 'C':
			crash = 1;
			break;
		}
	if (modes == 3)
		mt_usage_error("--pages and --touch: choose one");
	if (optind < argc)
		path = argv[optind++];
	mt_no_operands(argc, argv);
}
