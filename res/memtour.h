/* SPDX-License-Identifier: MIT */
/* memtour.h - the plumbing every memtour program shares, and nothing else
 *
 * A memtour program is one .c file that reads top to bottom as its lesson.
 * What is no program's lesson lives here: starting up safely, the pause
 * protocol, error messages and exit codes, option parsing, strict numbers
 * and sizes, human-readable sizes, scratch files, a few /proc readers and
 * output a signal handler may use. Include it first, by relative path:
 *
 *	#include "../res/memtour.h"
 *
 * and `cc -o prog prog.c` still builds the program with nothing else.
 * Every function is static (MT_FN): a program that uses only some of them
 * gets no warning for the rest. Nothing here calls malloc, so a program that
 * measures its heap can use all of it.
 *
 * A program's main starts with mt_init(argv) and its options() function (at
 * the bottom of the file) sets mt_usage and mt_help, then loops on
 * mt_getopt().
 *
 * Exit codes: 0 done, 1 a system call or the system failed (mt_die), 2 bad
 * usage (mt_usage_error). A write error on standard output is exit 1 too.
 */
#ifndef MEMTOUR_H
#define MEMTOUR_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every function here is static and marked unused-is-fine. */
#define MT_FN static __attribute__((unused))

#define MT_EXIT_FAIL 1
#define MT_EXIT_USAGE 2

static const char *mt_prog = "memtour";	/* the program's name, for messages */
static const char *mt_usage = "";	/* its arguments: "[-s SIZE] [--step]" */
static const char *mt_help = "";	/* what --help prints after the usage */
static int mt_stepping;			/* --step or MEMTOUR_STEP=1 */
static int mt_failed;			/* an error was reported already */
/* mt_pause's state: which process counts, the count, EOF seen, told how */
static pid_t mt_pause_owner;
static int mt_pause_n, mt_pause_eof, mt_pause_told;

/* --- start up and shut down --------------------------------------------- */

/* A write error on stdout (a full disk, a closed pipe, /dev/full) is an
 * error: say so and exit 1, instead of exiting 0 with the output lost. */
MT_FN void mt_check_stdout(void)
{
	int err = 0;

	if (mt_failed)
		return;	/* one message is enough */

	if (fflush(stdout) != 0)
		err = errno;
	/* musl drops a buffer whose write failed, so the last fflush may
	 * succeed: an empty write asks the descriptor itself. */
	if (ferror(stdout) && !err && write(STDOUT_FILENO, "", 0) < 0)
		err = errno;
	if (ferror(stdout)) {
		dprintf(STDERR_FILENO, "%s: write: %s\n", mt_prog,
			strerror(err ? err : EIO));
		_exit(MT_EXIT_FAIL);
	}
}

/* Call first in main. Takes the program's name from argv[0]; makes 0, 1
 * and 2 safe: a closed one is reopened on /dev/null before anything else
 * can get its number (a scratch file opened as fd 1 would receive the
 * report). stdin opens for reading (a pause then reads EOF and goes on);
 * stdout and stderr open read-only, so a write to them fails and is
 * reported instead of silently vanishing. MEMTOUR_STEP=1 turns step mode
 * on. */
MT_FN void mt_init(char **argv)
{
	const char *env = getenv("MEMTOUR_STEP");
	int fd;

	if (argv && argv[0] && argv[0][0]) {
		const char *slash = strrchr(argv[0], '/');

		mt_prog = slash ? slash + 1 : argv[0];
	}
	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDONLY) != fd)
			_exit(MT_EXIT_FAIL);
	}
	if (env && *env && strcmp(env, "0") != 0)
		mt_stepping = 1;
	/* Write mt_pause's state now: a first write to a page of data is a
	 * page fault, and a program that counts faults or RSS must not see
	 * one at its first pause. */
	mt_pause_owner = getpid();
	mt_pause_n = mt_pause_eof = mt_pause_told = 0;
	atexit(mt_check_stdout);
}

/* --- errors --------------------------------------------------------------- */

/* "prog: MESSAGE[: reason]" on stderr, after what stdout holds. err 0
 * leaves the reason out. */
MT_FN void mt_report(int err, const char *fmt, va_list ap)
{
	fflush(stdout);
	mt_failed = 1;
	fprintf(stderr, "%s: ", mt_prog);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

/* "prog: WHAT: reason" from errno, exit 1. For a failed system call. */
MT_FN void __attribute__((noreturn, format(printf, 1, 2)))
mt_die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	mt_report(err, fmt, ap);
	va_end(ap);
	exit(MT_EXIT_FAIL);
}

/* "prog: MESSAGE", exit 1. For a failure errno does not describe. */
MT_FN void __attribute__((noreturn, format(printf, 1, 2)))
mt_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mt_report(0, fmt, ap);
	va_end(ap);
	exit(MT_EXIT_FAIL);
}

MT_FN void mt_print_usage(FILE *f)
{
	fprintf(f, "usage: %s %s\n", mt_prog, mt_usage);
}

/* "prog: MESSAGE" and the usage line on stderr, exit 2. */
MT_FN void __attribute__((noreturn, format(printf, 1, 2)))
mt_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mt_report(0, fmt, ap);
	va_end(ap);
	mt_print_usage(stderr);
	exit(MT_EXIT_USAGE);
}

/* --- options -------------------------------------------------------------- */

/* Every program takes --step and -h/--help: end its option table with
 * MT_COMMON_OPTIONS. */
#define MT_OPT_STEP 0x100
#define MT_COMMON_OPTIONS                                                     \
	{ "step", no_argument, NULL, MT_OPT_STEP },                           \
	{ "help", no_argument, NULL, 'h' },                                   \
	{ NULL, 0, NULL, 0 }

/* The long option getopt just complained about, named without reading past
 * argv: after an error, optind may be argc + 1 (musl). */
MT_FN const char *mt_bad_long_option(int argc, char **argv)
{
	static char name[64];
	int i = optind - 1 < argc ? optind - 1 : argc - 1;
	size_t n;

	for (; i > 0; i--)
		if (strncmp(argv[i], "--", 2) == 0 && argv[i][2])
			break;
	if (i <= 0)
		return "?";
	n = strcspn(argv[i], "=");
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, argv[i], n);
	name[n] = '\0';
	return name;
}

/* getopt_long with one behaviour for every program: -h and --help print
 * the help and exit 0; --step turns step mode on; an unknown option or a
 * missing argument is a usage error (exit 2) that names the option. Returns
 * the next option the program handles itself, or -1 at the end. A leading
 * '+' in shortopts stops at the first operand (for PROGRAM ARGS...). */
MT_FN int mt_getopt(int argc, char **argv, const char *shortopts,
		     const struct option *longopts)
{
	char opts[128];
	int plus = shortopts[0] == '+', c;

	snprintf(opts, sizeof(opts), "%s:h%s", plus ? "+" : "",
		 shortopts + plus);
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, opts, longopts, NULL);
		switch (c) {
		case 'h':
			mt_print_usage(stdout);
			fputs(mt_help, stdout);
			exit(0);
		case MT_OPT_STEP:
			mt_stepping = 1;
			continue;
		case ':':
			/* A missing argument is always the last word. */
			if (strncmp(argv[argc - 1], "--", 2) != 0 &&
			    optopt > 0 && optopt < MT_OPT_STEP)
				mt_usage_error("option '-%c' needs an argument",
					       optopt);
			mt_usage_error("option '%s' needs an argument",
				       mt_bad_long_option(argc, argv));
		case '?':
			if (optopt > 0 && optopt < MT_OPT_STEP)
				mt_usage_error("unknown option '-%c'", optopt);
			mt_usage_error("unknown option '%s'",
				       mt_bad_long_option(argc, argv));
		default:
			return c;
		}
	}
}

/* After the options: a program that takes no operands says so. */
MT_FN void mt_no_operands(int argc, char **argv)
{
	if (optind < argc)
		mt_usage_error("unexpected argument '%s'", argv[optind]);
}

/* --- numbers and sizes ---------------------------------------------------- */

/* A strict unsigned decimal: digits only (no sign, no blanks, no 0x), no
 * overflow. Returns 0 and sets *out, or -1. */
static int mt_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || *s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s)
		return -1;
	*out = v;
	return 0;
}

/* A size: decimal digits, then an optional K, M, G or T (powers of 1024,
 * either case). Returns 0 and sets *out, or -1 (bad or overflowing). */
MT_FN int mt_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	char digits[32];
	const char *u;
	size_t n = strlen(s ? s : "");
	uint64_t v, mul = 1;

	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n + 1);
	u = strchr(units, digits[n - 1] & ~0x20);
	if (digits[n - 1] > '9' && u && *u) {
		mul <<= 10 * (u - units + 1);
		digits[n - 1] = '\0';
	}
	if (mt_parse_u64(digits, &v) < 0 || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* An option's number or size within [min, max], or a usage error naming
 * the option and the range: "prog: -n: bad count '5x' (1 to 100)". */
MT_FN uint64_t mt_count_arg(const char *opt, const char *s, uint64_t min,
			     uint64_t max)
{
	uint64_t v;

	if (mt_parse_u64(s, &v) < 0 || v < min || v > max)
		mt_usage_error("%s: bad number '%s' (%llu to %llu)", opt, s,
			       (unsigned long long)min,
			       (unsigned long long)max);
	return v;
}

MT_FN uint64_t mt_size_arg(const char *opt, const char *s, uint64_t min,
			    uint64_t max)
{
	uint64_t v;

	if (mt_parse_size(s, &v) < 0 || v < min || v > max)
		mt_usage_error("%s: bad size '%s' (%llu to %llu bytes; "
			       "K, M, G suffixes)", opt, s,
			       (unsigned long long)min,
			       (unsigned long long)max);
	return v;
}

/* An address operand: hex, "0x" optional, as /proc/PID/maps shows it;
 * a usage error otherwise. */
MT_FN uintptr_t mt_addr_arg(const char *s)
{
	const char *h = strncmp(s, "0x", 2) == 0 ? s + 2 : s;
	size_t n = strspn(h, "0123456789abcdefABCDEF");

	if (n == 0 || n > 2 * sizeof(uintptr_t) || h[n])
		mt_usage_error("bad address '%s' (hex, as /proc/PID/maps "
			       "shows it)", s);
	return (uintptr_t)strtoull(h, NULL, 16);
}

/* A comma-separated list of numbers for an option ("--pages 0,5,9"),
 * each 0 to max, at most cap of them, into list; returns how many. The
 * errors name what the numbers are: "--pages: no page number in ','". */
MT_FN size_t mt_count_list(const char *opt, const char *arg, const char *what,
			   size_t *list, size_t cap, uint64_t max)
{
	const char *s = arg, *comma;
	char tok[32];
	size_t n = 0, len;

	for (;; s = comma + 1) {
		comma = strchr(s, ',');
		len = comma ? (size_t)(comma - s) : strlen(s);
		if (len) {
			if (n == cap)
				mt_usage_error("%s: more than %zu %ss", opt,
					       cap, what);
			if (len >= sizeof(tok))
				mt_usage_error("%s: bad number '%.*s' (0 to "
					       "%llu)", opt, (int)len, s,
					       (unsigned long long)max);
			memcpy(tok, s, len);
			tok[len] = '\0';
			list[n++] = mt_count_arg(opt, tok, 0, max);
		}
		if (!comma)
			break;
	}
	if (!n)
		mt_usage_error("%s: no %s number in '%s'", opt, what, arg);
	return n;
}

MT_FN size_t mt_pagesize(void)
{
	static size_t ps;

	if (!ps)
		ps = (size_t)sysconf(_SC_PAGESIZE);
	return ps;
}

/* n rounded up to a multiple of the page size; n must be at most
 * SIZE_MAX - page size + 1 (sizes from mt_size_arg with a sane max are). */
MT_FN size_t mt_page_round(size_t n)
{
	size_t ps = mt_pagesize();

	if (n > SIZE_MAX - (ps - 1))
		mt_fail("size %zu cannot be rounded up to a page", n);
	return (n + ps - 1) / ps * ps;
}

/* "64 KiB", "1.5 MiB", "512 B": a size for people. Four buffers in turn,
 * so up to four calls may stand in one printf. */
MT_FN const char *mt_human(uint64_t bytes)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB",
				       "PiB", "EiB" };
	static char buf[4][24];
	static int next;
	char *b = buf[next++ & 3];
	int u = 0;

	while (u < 6 && bytes >> (10 * u) >= 1024)
		u++;
	if (bytes % (1ULL << (10 * u)) == 0)
		snprintf(b, sizeof(buf[0]), "%llu %s",
			 (unsigned long long)(bytes >> (10 * u)), units[u]);
	else
		snprintf(b, sizeof(buf[0]), "%.1f %s",
			 (double)bytes / (double)(1ULL << (10 * u)), units[u]);
	return b;
}

/* --- the pause protocol --------------------------------------------------- */

/* In step mode, print
 *	[pause N] pid PID: WHAT; try: COMMAND
 * (fmt gives "WHAT; try: COMMAND"), flush, then wait for a line on stdin;
 * EOF means go on, at this pause and every later one. N counts from 1 in
 * each process, a forked child included. The first pause of a run says how
 * to go on. Without step mode it does nothing. (mt_init writes its state
 * once, so that a first pause takes no page fault for it.) */
MT_FN void __attribute__((format(printf, 1, 2))) mt_pause(const char *fmt,
							   ...)
{
	va_list ap;
	char c;
	ssize_t r;

	if (!mt_stepping)
		return;
	if (mt_pause_owner != getpid()) {
		mt_pause_owner = getpid();
		mt_pause_n = 0;
	}
	if (!mt_pause_told++)
		printf("(step mode: at each pause, run the try: command in "
		       "a second terminal,\n then press Enter here to go "
		       "on)\n");
	printf("[pause %d] pid %ld: ", ++mt_pause_n, (long)getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	while (!mt_pause_eof) {
		r = read(STDIN_FILENO, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 1)
			mt_pause_eof = 1;
		else if (c == '\n')
			break;
	}
}

/* --- scratch files -------------------------------------------------------- */

/* One scratch file per program, removed on every exit path the program
 * survives: normal exit, mt_die, and the signals that end a process by
 * default when they come from outside: SIGINT (Ctrl-C), SIGQUIT (Ctrl-\),
 * SIGTERM (kill), SIGHUP (terminal closed), SIGPIPE (output piped into
 * `head`). A signal the program was started with ignored (nohup) stays
 * ignored. Only the process that made the file removes it: a forked child
 * that exits or dies leaves its parent's file alone. */
static char mt_scratch_path[PATH_MAX];
static pid_t mt_scratch_owner;
static const int mt_scratch_sigs[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP,
				       SIGPIPE };

MT_FN void mt_scratch_remove(void)
{
	if (mt_scratch_path[0] && getpid() == mt_scratch_owner)
		unlink(mt_scratch_path);
}

MT_FN void mt_scratch_signal(int sig)
{
	mt_scratch_remove();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Create $TMPDIR/memtour-NAME.XXXXXX (TMPDIR defaults to /tmp) and return
 * its descriptor, open read-write; the path is in mt_scratch_path. */
MT_FN int mt_scratch(const char *name)
{
	const char *dir = getenv("TMPDIR");
	int fd, n;

	if (!dir || !*dir)
		dir = "/tmp";
	n = snprintf(mt_scratch_path, sizeof(mt_scratch_path),
		     "%s/memtour-%s.XXXXXX", dir, name);
	if (n < 0 || (size_t)n >= sizeof(mt_scratch_path)) {
		mt_scratch_path[0] = '\0';
		mt_fail("TMPDIR is too long for a scratch file path: %s", dir);
	}
	fd = mkstemp(mt_scratch_path);
	if (fd < 0) {
		int err = errno;

		mt_scratch_path[0] = '\0';
		errno = err;
		mt_die("scratch file in %s", dir);
	}
	mt_scratch_owner = getpid();
	atexit(mt_scratch_remove);
	for (size_t i = 0; i < sizeof(mt_scratch_sigs) / sizeof(int); i++) {
		struct sigaction sa;

		if (sigaction(mt_scratch_sigs[i], NULL, &sa) == 0 &&
		    sa.sa_handler == SIG_DFL)
			signal(mt_scratch_sigs[i], mt_scratch_signal);
	}
	return fd;
}

/* --- reading /proc without malloc ----------------------------------------- */

/* A line reader over a file, with open/read into the caller's struct:
 * stdio's fopen would malloc and move the heap a program is measuring.
 * Lines longer than the line buffer are cut, never split. */
/* About 12 KiB: programs keep theirs static, off a stack that ulimit -s
 * may have made small. */
struct mt_lines {
	int fd;
	size_t len, pos;
	char buf[8192];
	char line[PATH_MAX + 256];
};

MT_FN int mt_lines_open(struct mt_lines *l, const char *path)
{
	l->fd = open(path, O_RDONLY | O_CLOEXEC);
	l->len = l->pos = 0;
	return l->fd < 0 ? -1 : 0;
}

/* The next line without its '\n', or NULL at the end (the file is closed
 * then). */
MT_FN const char *mt_lines_next(struct mt_lines *l)
{
	size_t n = 0;
	ssize_t r;
	char c;

	if (l->fd < 0)
		return NULL;
	for (;;) {
		if (l->pos == l->len) {
			do
				r = read(l->fd, l->buf, sizeof(l->buf));
			while (r < 0 && errno == EINTR);
			if (r <= 0) {
				close(l->fd);
				l->fd = -1;
				if (n == 0)
					return NULL;
				break;
			}
			l->len = (size_t)r;
			l->pos = 0;
		}
		c = l->buf[l->pos++];
		if (c == '\n')
			break;
		if (n < sizeof(l->line) - 1)
			l->line[n++] = c;
	}
	l->line[n] = '\0';
	return l->line;
}

MT_FN void mt_lines_close(struct mt_lines *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/* One line of /proc/PID/maps, split into its fields. */
/* About 8 KiB: static too, like struct mt_lines. */
struct mt_mapping {
	uintptr_t start, end;
	char perms[5];
	unsigned long long offset;
	char path[PATH_MAX];	/* "" for an anonymous mapping */
	char line[PATH_MAX + 256];	/* the line itself */
};

MT_FN int mt_parse_maps_line(const char *s, struct mt_mapping *m)
{
	unsigned long start, end;
	unsigned long long off;
	int pos = 0;

	if (sscanf(s, "%lx-%lx %4s %llx %*s %*u %n", &start, &end, m->perms,
		   &off, &pos) < 4 || pos == 0)
		return -1;
	m->start = start;
	m->end = end;
	m->offset = off;
	snprintf(m->path, sizeof(m->path), "%s", s + pos);
	snprintf(m->line, sizeof(m->line), "%s", s);
	return 0;
}

/* The mapping of process pid (0: this process) that holds addr. Returns 0,
 * or -1 when no mapping holds it (or maps cannot be read: errno says). */
MT_FN int mt_maps_find(pid_t pid, const void *addr, struct mt_mapping *m)
{
	static struct mt_lines l;
	char path[64];
	const char *s;
	uintptr_t a = (uintptr_t)addr;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	if (mt_lines_open(&l, path) < 0)
		return -1;
	while ((s = mt_lines_next(&l)))
		if (mt_parse_maps_line(s, m) == 0 && a >= m->start &&
		    a < m->end) {
			mt_lines_close(&l);
			return 0;
		}
	errno = ENOENT;
	return -1;
}

/* A "Field:   N kB" figure, in kB, of /proc/self/status (mapping NULL) or
 * of the smaps entry of this process's mapping that holds addr. Returns
 * -1 when the field is not there. */
MT_FN long mt_kb_field(const char *file, const void *addr, const char *field)
{
	static struct mt_lines l;
	size_t fl = strlen(field);
	unsigned long a = (uintptr_t)addr, lo, hi;
	const char *s;
	int inside = addr == NULL;

	if (mt_lines_open(&l, file) < 0)
		return -1;
	while ((s = mt_lines_next(&l))) {
		/* A mapping's header line starts "lo-hi "; a field line
		 * ("AnonHugePages:") never parses as two hex numbers. */
		if (addr && sscanf(s, "%lx-%lx ", &lo, &hi) == 2) {
			inside = a >= lo && a < hi;
			continue;
		}
		if (inside && strncmp(s, field, fl) == 0 && s[fl] == ':') {
			mt_lines_close(&l);
			return strtol(s + fl + 1, NULL, 10);
		}
	}
	return -1;
}

/* VmRSS, VmSize, VmLck... of this process, in kB (-1: not there). */
MT_FN long mt_status_kb(const char *field)
{
	return mt_kb_field("/proc/self/status", NULL, field);
}

/* Rss, Private_Dirty, AnonHugePages... of the mapping holding addr, in kB
 * (-1: no such mapping or field). */
MT_FN long mt_smaps_kb(const void *addr, const char *field)
{
	return mt_kb_field("/proc/self/smaps", addr, field);
}

/* --- output a signal handler may use -------------------------------------- */

/* printf is not async-signal-safe (it may take a lock or malloc that the
 * interrupted code holds); write(2) is. These format with write alone. */
MT_FN void mt_sig_puts(const char *s)
{
	size_t n = strlen(s);
	ssize_t r;

	while (n > 0) {
		r = write(STDOUT_FILENO, s, n);
		if (r <= 0 && errno != EINTR)
			return;
		if (r > 0) {
			s += r;
			n -= (size_t)r;
		}
	}
}

MT_FN void mt_sig_hex(uintptr_t v)
{
	char b[2 + 2 * sizeof(v) + 1], *p = b + sizeof(b) - 1;

	*p = '\0';
	do {
		*--p = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	mt_sig_puts(p);
}

MT_FN void mt_sig_dec(long v)
{
	char b[24], *p = b + sizeof(b) - 1;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	*p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	mt_sig_puts(p);
}

/* --- sample files in res/ ------------------------------------------------- */

/* The path of NAME in the running program's folder (a program beside
 * this one, or "../res/FILE"), found through /proc/self/exe so that it
 * works from any directory. The buffer is reused by the next call. */
MT_FN const char *mt_beside(const char *name)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash;

	if (n <= 0)
		mt_die("readlink /proc/self/exe");
	path[n] = '\0';
	slash = strrchr(path, '/');	/* the link is an absolute path */
	n = snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path),
		     "%s", name);
	if (n < 0 || (size_t)n >= sizeof(path) - (size_t)(slash + 1 - path))
		mt_fail("path of %s is too long", name);
	return path;
}

/* The path of res/NAME: the running program is TOPIC/PROG, so the file
 * is TOPIC/../res/NAME. */
MT_FN const char *mt_res_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "../res/%s", name);
	snprintf(path, sizeof(path), "%s", mt_beside(path));
	return path;
}

/* Write all n bytes to fd (a short write goes on), or die: "write WHAT". */
MT_FN void mt_write_all(int fd, const void *buf, size_t n, const char *what)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (w < 0)
			mt_die("write %s", what);
		p += w;
		n -= (size_t)w;
	}
}

/* A scratch file (see mt_scratch) holding a copy of the file open on
 * src, synced to the disk; returns its descriptor, open read-write at
 * offset 0. */
MT_FN int mt_scratch_copy(const char *name, int src)
{
	int fd = mt_scratch(name);
	static char buf[8192];
	ssize_t r;

	while ((r = read(src, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			mt_die("read");
		mt_write_all(fd, buf, (size_t)r, mt_scratch_path);
	}
	/* On the disk now: its pages in memory start clean, as a file's do. */
	if (fsync(fd) < 0)
		mt_die("fsync %s", mt_scratch_path);
	if (lseek(fd, 0, SEEK_SET) < 0)
		mt_die("lseek %s", mt_scratch_path);
	return fd;
}

/* --- showing a mapping, taking turns with a child, catching a fault ------- */

/* "LABEL: 7f12a000-7f12b000 rw-p 00000000 00:00 0", the maps line of this
 * process's mapping that holds addr, without the blanks the kernel pads
 * before the name; with_name 0 leaves the name (a file's path) out. */
MT_FN void mt_maps_print(const char *label, const void *addr, int with_name)
{
	static struct mt_mapping m;
	int n;

	if (mt_maps_find(0, addr, &m) < 0)
		mt_die("no mapping holds %p in /proc/self/maps", addr);
	n = (int)(strlen(m.line) - strlen(m.path));
	while (n > 0 && m.line[n - 1] == ' ')
		n--;
	printf("%s: %.*s%s%s\n", label, n, m.line,
	       with_name && m.path[0] ? " " : "", with_name ? m.path : "");
}

/* fork, with a socket between parent and child so that they can take
 * turns (mt_tell, mt_await). stdout is flushed first. Returns fork's
 * value; *fd is this side's end of the socket. A child must end with
 * _exit, not exit: exit would run the parent's atexit work (scratch
 * file removal) in the child. */
MT_FN pid_t mt_fork_turns(int *fd)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		mt_die("socketpair");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		mt_die("fork");
	close(sv[pid ? 1 : 0]);
	*fd = sv[pid ? 0 : 1];
	return pid;
}

/* Send n bytes to the other side (stdout flushed first: our lines come
 * before theirs). */
MT_FN void mt_tell(int fd, const void *buf, size_t n)
{
	fflush(stdout);
	if (write(fd, buf, n) != (ssize_t)n)
		mt_die("write to the other process");
}

/* Wait for n bytes from the other side. Returns 1, or 0 when the other
 * side has gone (EOF). */
MT_FN int mt_await(int fd, void *buf, size_t n)
{
	ssize_t r;

	fflush(stdout);
	while ((r = read(fd, buf, n)) < 0 && errno == EINTR)
		;
	return r == (ssize_t)n;
}

/* The other side went away before its turn (mt_await returned 0): say how
 * the child ended, then exit 1. */
MT_FN void mt_child_gone(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) == pid && WIFSIGNALED(st))
		mt_fail("the child ended early: killed by signal %d (%s)",
			WTERMSIG(st), strsignal(WTERMSIG(st)));
	mt_fail("the child ended early");
}

/* Catch signal sig with handler(sig, siginfo, context). */
MT_FN void mt_catch(int sig, void (*handler)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		mt_die("sigaction");
}

#endif /* MEMTOUR_H */
