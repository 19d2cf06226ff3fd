/* layout.c - where text, data, bss, heap and stack lie in memory
 *
 * A process's address space is a list of mappings: /proc/PID/maps shows
 * them, one line each, low addresses first.  This program takes one object
 * of every kind (a function, a string literal, globals with and without an
 * initial value, a static local, a small and a large malloc, a libc
 * function, a local variable, argv and the environment, the vDSO), prints
 * its address, and names the line of /proc/self/maps that holds it.  It
 * also prints the linker's boundary symbols etext, edata and end and the
 * sizes they imply, and can draw the whole address space as a column.
 *
 * Run:   ./layout              the table, the boundaries, the sizes
 *        ./layout --map        ... and the address space as an ASCII column
 *        ./layout --svg F      ... and the same picture as an SVG file F
 *        ./layout --step       pause at the end: compare with /proc/PID/maps
 *
 * What to look for:
 *   - text < rodata < data < bss < heap ... libraries ... stack: low to high.
 *   - The ELF header itself is mapped, at the load base (offset 0, r--p).
 *   - The string literal and the const global sit in a read-only mapping
 *     (r--p), the code in the only executable one (r-xp) of the binary.
 *   - The small malloc is in [heap], below the program break sbrk(0); the
 *     1 MiB malloc is not: glibc gave it a mapping of its own.
 *   - argv[0] and the environment strings are at the very top of [stack],
 *     above the local variable.
 *   - The writable segment starts read-only: .init_array, .fini_array,
 *     .data.rel.ro, .dynamic and .got are made r--p by the dynamic loader
 *     once relocated (RELRO); .got.plt (written at lazy binding), .data and
 *     .bss follow, rw-p.
 *   - bss = end - edata takes no room in the file: what does not fit in the
 *     last page of the data segment becomes an anonymous mapping.
 *   - Run it twice: with ASLR every address changes, the order does not.
 *
 * Lines a test checks:
 *   the table "region address what mapping": one row per object; mapping is
 *   "START-END PERMS NAME" of the /proc/self/maps line holding the address
 *   (NAME is the file's basename, [heap], [stack], [vdso] or anonymous)
 *   executable: PIE | non-PIE   (ELF type ET_DYN or ET_EXEC)
 *   load base: 0x...     (= &__executable_start, the binary's first byte)
 *   etext: 0x...  edata: 0x...  end: 0x...  break: 0x...  (= sbrk(0))
 *   data segment: 0x...  (start of the writable PT_LOAD segment)
 *   text to etext: N     (etext - load base)
 *   data size: N         (edata - data segment)
 *   bss size: N          (end - edata)
 *
 * Try beside it (the pid is printed at the pause):
 *   cat /proc/PID/maps     pmap -x PID      size layout      nm -n layout
 *   readelf -lW layout     readelf -SW layout
 *   setarch -R ./layout    (no ASLR: the same addresses on every run)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <link.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

/* Defined by the linker (see end(3) and `ld --verbose`): one past the end
 * of the code, of the initialised data and of the bss; and the first byte
 * of the binary in memory. They have no value, only an address. GNU ld's
 * script PROVIDEs etext, edata and end: they exist only in a program that
 * refers to them, as this one does (_edata, __bss_start, _end always). */
extern char etext, edata, end;
extern const char __executable_start[];	/* an array: no size known */
extern char **environ;

/* The objects whose addresses we show. Not static, so nm lists them. */
const char const_global[] = "a const global: a real object in .rodata";
int init_global = 42;
int uninit_global;

#define LARGE_MALLOC (1024 * 1024)	/* above malloc's mmap threshold */
#define MAX_MAPS 256
#define MAX_ROWS 24

static const char *prog = "layout";
static int step_mode;		/* --step or MEMTOUR_STEP=1 */

/* /proc/self/maps goes here, read with read(2): stdio would malloc a
 * buffer and move the heap we are measuring. It lives in the bss and is
 * most of it, so the bss spills over the last page of the data segment. */
static char maps_buf[32768];

struct mapping {
	unsigned long lo, hi;	/* [lo, hi) */
	char perms[5];
	const char *path;	/* "" for an anonymous mapping */
};
static struct mapping maps[MAX_MAPS];
static int nmaps;

struct row {
	const char *region;
	const char *what;
	uintptr_t addr;
	const struct mapping *m;
};
static struct row rows[MAX_ROWS];
static int nrows;
static const char *kind;		/* PIE or non-PIE */

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
	fprintf(f, "usage: %s [--map] [--svg FILE] [--force] [--step]\n",
		prog);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
"Print the address of one object of each kind (code, read-only data,\n"
"data, bss, heap, a large malloc, a libc function, stack, argv, environ,\n"
"vDSO) with the /proc/self/maps line that holds it, the linker symbols\n"
"etext, edata and end, and the sizes of text, data and bss they imply.\n"
"\n"
"  --map        also draw every mapping as a column, high addresses on\n"
"               top, gaps between mappings marked with their size\n"
"  --svg FILE   also write that picture as a standalone SVG to FILE.\n"
"               FILE must not exist: layout never overwrites a file\n"
"               unless --force is given too\n"
"  --force      let --svg FILE replace an existing FILE\n"
"  --step       pause at the end (also MEMTOUR_STEP=1) so you can\n"
"               compare with cat /proc/PID/maps\n"
"  --help       this text\n");
}

static void usage_error(const char *msg)
{
	fprintf(stderr, "%s: %s\n", prog, msg);
	usage(stderr);
	exit(2);
}

/* 65536 -> "64 KiB", 1536 -> "1.5 KiB", 100 -> "100 B" */
static const char *human(char *buf, size_t len, unsigned long long v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB", "EiB" };
	double d = v;
	int u = 0;

	while (d >= 1024 && u < 6) {
		d /= 1024;
		u++;
	}
	if (u == 0 || d == (double)(unsigned long long)d)
		snprintf(buf, len, "%.0f %s", d, unit[u]);
	else
		snprintf(buf, len, "%.1f %s", d, unit[u]);
	return buf;
}

static const char *skip_field(const char *p)
{
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

/* Read /proc/self/maps into maps_buf and split it into maps[]. */
static void read_maps(void)
{
	size_t len = 0;
	ssize_t r;
	char *p, *nl;
	int fd;

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open /proc/self/maps");
	while ((r = read(fd, maps_buf + len, sizeof(maps_buf) - 1 - len)) > 0)
		len += r;
	if (r < 0)
		die("read /proc/self/maps");
	close(fd);
	maps_buf[len] = '\0';
	if (len == sizeof(maps_buf) - 1)
		fprintf(stderr, "%s: /proc/self/maps is longer than %zu bytes;"
			" only its start is used\n", prog, len);

	nmaps = 0;
	for (p = maps_buf; *p && nmaps < MAX_MAPS; p = nl + 1) {
		struct mapping *m = &maps[nmaps];
		char *e;

		nl = strchr(p, '\n');
		if (!nl)
			break;		/* a cut line at the end */
		*nl = '\0';
		/* 55d0c3a00000-55d0c3a01000 r--p 00000000 fe:00 1234  /path */
		m->lo = strtoul(p, &e, 16);
		if (*e != '-')
			continue;
		m->hi = strtoul(e + 1, &e, 16);
		if (*e != ' ' || strlen(e) < 6)
			continue;
		memcpy(m->perms, e + 1, 4);
		m->perms[4] = '\0';
		p = (char *)skip_field(e + 1);		/* perms */
		p = (char *)skip_field(p);		/* offset */
		p = (char *)skip_field(p);		/* device */
		m->path = skip_field(p);		/* inode */
		nmaps++;
	}
}

static const struct mapping *find_mapping(uintptr_t a)
{
	int i;

	for (i = 0; i < nmaps; i++)
		if (maps[i].lo <= a && a < maps[i].hi)
			return &maps[i];
	return NULL;
}

/* The short name of a mapping: a file's basename, [heap], [stack], ...
 * or "anonymous" for the lines of maps without a name. */
static const char *map_name(const struct mapping *m)
{
	const char *s;

	if (!m->path[0])
		return "anonymous";
	if (m->path[0] == '[')
		return m->path;
	s = strrchr(m->path, '/');
	return s ? s + 1 : m->path;
}

/* Add a row to the table (main adds 19 at most); returns it. */
static struct row *add_row(const char *region, const char *what,
			   uintptr_t addr)
{
	rows[nrows] = (struct row){ region, what, addr, NULL };
	return &rows[nrows++];
}

/* The start of the writable PT_LOAD segment (.init_array ... .data .bss).
 * The ELF header is mapped at the load base and says where the program
 * headers are; the first PT_LOAD maps the file from offset 0, so the load
 * bias is load base - its p_vaddr (0 for a non-PIE). 0 if none. */
static uintptr_t data_segment(void)
{
	const ElfW(Ehdr) *eh = (const void *)__executable_start;
	const ElfW(Phdr) *ph;
	uintptr_t bias = 0;
	int i;

	ph = (const void *)(__executable_start + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_offset == 0)
			bias = (uintptr_t)__executable_start - ph[i].p_vaddr;
		if (ph[i].p_flags & PF_W)
			return bias + ph[i].p_vaddr;
	}
	return 0;
}

/* The rows in mapping m that start a region not seen before in it: their
 * indexes go to first[]; returns how many. */
static int regions_in(const struct mapping *m, int first[MAX_ROWS])
{
	int i, j, n = 0;

	for (i = 0; i < nrows; i++) {
		if (rows[i].m != m)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(rows[first[j]].region, rows[i].region) == 0)
				break;
		if (j == n)
			first[n++] = i;
	}
	return n;
}

/* The region names of the rows that fall in mapping m: "data, bss". */
static const char *labels(char *buf, size_t len, const struct mapping *m)
{
	int first[MAX_ROWS], n = regions_in(m, first), i;
	size_t used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s",
				 i ? ", " : "", rows[first[i]].region);
	return buf;
}

/* "gap 41.3 TiB". The gap below x86_64's [vsyscall] is mostly not user
 * space: with 4-level page tables user space ends at 128 TiB (47 bits),
 * then comes the non-canonical hole, addresses no pointer may hold (almost
 * all of the 16 EiB), then the kernel's half, where [vsyscall] lies. */
static const char *gap_text(char *buf, size_t len, const struct mapping *above,
			    unsigned long size)
{
	char sz[32];

	snprintf(buf, len, "gap %s%s", human(sz, sizeof(sz), size),
		 strcmp(above->path, "[vsyscall]") == 0 ?
		 " (mostly not user space)" : "");
	return buf;
}

/* --map: every mapping from the highest address down, as an ASCII box;
 * a mapping's top is labelled with its end address, its bottom with its
 * start; mappings that touch share one border. */
static void draw_map(void)
{
	static const char bar[] = "----------------------------------------";
	char sz[32], lab[80], addr[24];
	unsigned long prev_lo = 0;
	int i;

	printf("\nThe address space, high addresses on top (boxes not to "
	       "scale):\n\n");
	for (i = nmaps - 1; i >= 0; i--) {
		const struct mapping *m = &maps[i];

		if (i == nmaps - 1 || m->hi != prev_lo) {
			if (i != nmaps - 1) {
				char gap[40];
				int l, r;

				gap_text(gap, sizeof(gap), m + 1,
					 prev_lo - m->hi);
				l = (38 - (int)strlen(gap)) / 2;
				r = 38 - (int)strlen(gap) - l;
				printf("%-18s :%*s%s%*s:\n", "", l, "", gap,
				       r, "");
			}
			snprintf(addr, sizeof(addr), "0x%lx", m->hi);
			printf("%-18s +%.38s+\n", addr, bar);
		}
		labels(lab, sizeof(lab), m);
		printf("%-18s | %-20.20s %s %10s |%s%s\n", "", map_name(m),
		       m->perms, human(sz, sizeof(sz), m->hi - m->lo),
		       lab[0] ? " " : "", lab);
		snprintf(addr, sizeof(addr), "0x%lx", m->lo);
		printf("%-18s +%.38s+\n", addr, bar);
		prev_lo = m->lo;
	}
}

/* Text inside an SVG element: & and < must be written as entities. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else
			fputc(*s, f);
	}
}

static const char *fill(const struct mapping *m)
{
	if (strcmp(m->path, "[heap]") == 0)
		return "#cdb9f2";
	if (strcmp(m->path, "[stack]") == 0)
		return "#f9c99a";
	if (m->path[0] == '[')
		return "#d9d9d9";		/* vdso, vvar, vsyscall */
	if (m->perms[0] != 'r')
		return "#eeeeee";		/* no access: a guard */
	if (m->perms[2] == 'x')
		return "#f4aaaa";		/* code */
	if (m->perms[1] == 'w')
		return m->path[0] ? "#b5e3ab" : "#a9d3f5";
	return "#fbe7a1";			/* read-only data */
}

/* The picture of --map as a standalone SVG document: a box per mapping,
 * its end address on top, its start below, and beside it the objects of
 * the table that it holds, one line per region. */
static void write_svg(FILE *f)
{
	const int bx = 170, bw = 330, lx = 515, w = 880, gh = 30, lh = 16;
	static const struct {
		const char *color, *text;
	} legend[] = {
		{ "#f4aaaa", "code (r-x)" },
		{ "#fbe7a1", "read-only data (r--)" },
		{ "#b5e3ab", "file data (rw-)" },
		{ "#a9d3f5", "anonymous (rw-)" },
		{ "#cdb9f2", "[heap]" },
		{ "#f9c99a", "[stack]" },
		{ "#d9d9d9", "set up by the kernel" },
	};
	const int nleg = sizeof(legend) / sizeof(legend[0]);
	int first[MAX_ROWS], nr, i, j, k, y, h, bh;
	unsigned long prev_lo = 0;
	char sz[32], lab[80];

	/* Height first: one box per mapping, one band per gap. */
	h = 70 + 30 + 22 * ((nleg + 2) / 3);
	for (i = nmaps - 1; i >= 0; i--) {
		if (i != nmaps - 1 && maps[i].hi != prev_lo)
			h += gh;
		nr = regions_in(&maps[i], first);
		h += nr > 1 ? 10 + lh * nr : 26;
		prev_lo = maps[i].lo;
	}

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"DejaVu Sans Mono, monospace\" "
		"font-size=\"12\">\n", w, h, w, h);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
		w, h);
	fprintf(f, "<text x=\"10\" y=\"24\" font-size=\"16\" "
		"font-weight=\"bold\">The address space of layout "
		"(pid %ld, %s)</text>\n", (long)getpid(), kind);
	fprintf(f, "<text x=\"10\" y=\"44\" fill=\"#555\">From "
		"/proc/self/maps: high addresses on top, boxes not to "
		"scale, gaps with their size.</text>\n");

	y = 60;
	prev_lo = 0;
	for (i = nmaps - 1; i >= 0; i--) {
		const struct mapping *m = &maps[i];
		int top = i == nmaps - 1 || m->hi != prev_lo;

		if (i != nmaps - 1 && m->hi != prev_lo) {
			fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
				"y2=\"%d\" stroke=\"#999\" "
				"stroke-dasharray=\"4 4\"/>\n",
				bx + bw / 2, y + 2, bx + bw / 2, y + gh - 2);
			fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#666\" "
				"font-style=\"italic\">%s</text>\n",
				bx + bw / 2 + 10, y + gh / 2 + 4,
				gap_text(lab, sizeof(lab), m + 1,
					 prev_lo - m->hi));
			y += gh;
		}
		nr = regions_in(m, first);
		bh = nr > 1 ? 10 + lh * nr : 26;
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
			"height=\"%d\" fill=\"%s\" stroke=\"#333\"/>\n",
			bx, y, bw, bh, fill(m));
		if (top)
			fprintf(f, "<text x=\"%d\" y=\"%d\" "
				"text-anchor=\"end\">0x%lx</text>\n",
				bx - 8, y + 4, m->hi);
		fprintf(f, "<text x=\"%d\" y=\"%d\" "
			"text-anchor=\"end\">0x%lx</text>\n",
			bx - 8, y + bh + 4, m->lo);
		fprintf(f, "<text x=\"%d\" y=\"%d\">", bx + 8, y + 17);
		xml_text(f, map_name(m));
		fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" "
			"text-anchor=\"end\">%s  %s</text>\n",
			bx + bw - 8, y + 17, m->perms,
			human(sz, sizeof(sz), m->hi - m->lo));
		/* "data: init global, static local, edata-1" */
		for (j = 0; j < nr; j++) {
			const char *r = rows[first[j]].region;

			fprintf(f, "<text x=\"%d\" y=\"%d\"><tspan "
				"font-weight=\"bold\">%s:</tspan>", lx,
				y + 17 + j * lh, r);
			for (k = first[j]; k < nrows; k++) {
				if (rows[k].m != m ||
				    strcmp(rows[k].region, r) != 0)
					continue;
				fprintf(f, "%s", k == first[j] ? " " : ", ");
				xml_text(f, rows[k].what);
			}
			fprintf(f, "</text>\n");
		}
		y += bh;
		prev_lo = m->lo;
	}

	y += 30;
	for (i = 0; i < nleg; i++) {
		int x = 10 + (i % 3) * 250, yy = y + (i / 3) * 22;

		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"16\" "
			"height=\"14\" fill=\"%s\" stroke=\"#333\"/>\n"
			"<text x=\"%d\" y=\"%d\">%s</text>\n", x, yy - 11,
			legend[i].color, x + 22, yy, legend[i].text);
	}
	fprintf(f, "</svg>\n");
}

/* The boundary symbols, the sizes they imply, and what those mean. */
static void print_sizes(uintptr_t dseg, uintptr_t brk_now)
{
	unsigned long text = &etext - __executable_start;
	unsigned long data = (uintptr_t)&edata - dseg;
	unsigned long bss = &end - &edata;
	char sz[32];

	printf("\nexecutable: %s\n", kind);
	printf("load base: 0x%lx\n", (unsigned long)__executable_start);
	printf("etext: 0x%lx\n", (unsigned long)&etext);
	printf("data segment: 0x%lx\n", (unsigned long)dseg);
	printf("edata: 0x%lx\n", (unsigned long)&edata);
	printf("end: 0x%lx\n", (unsigned long)&end);
	printf("break: 0x%lx\n", (unsigned long)brk_now);
	printf("text to etext: %lu (%s)\n", text, human(sz, sizeof(sz), text));
	if (dseg)
		printf("data size: %lu (%s)\n", data,
		       human(sz, sizeof(sz), data));
	printf("bss size: %lu (%s)\n", bss, human(sz, sizeof(sz), bss));

	printf("\n"
"  etext, edata, end: one past the code, the initialised data and the\n"
"  bss (see end(3)); the rows show the last byte of each (etext-1 ...).\n"
"  text to etext = etext - load base: the ELF and program headers, the\n"
"  read-only sections before the code, padding up to the code's page,\n"
"  the code. size(1)'s \"text\" adds up every read-only allocated\n"
"  section instead: also those after etext (.rodata, .eh_frame), but no\n"
"  headers and no padding. Either can be larger: compare size layout.\n"
"  data size = edata - data segment: the part of the writable segment\n"
"  stored in the file. First .init_array, .fini_array, .data.rel.ro,\n"
"  .dynamic and .got, which the dynamic loader makes read-only once it\n"
"  has relocated them (RELRO: the r--p line), then .got.plt and .data.\n"
"  size's \"data\" counts the same sections, without the padding.\n"
"  bss size = end - edata: zeros only, so it takes no room in the file;\n"
"  past the last page of the data in the file it is anonymous memory.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "map", no_argument, NULL, 'm' },
		{ "svg", required_argument, NULL, 'g' },
		{ "force", no_argument, NULL, 'f' },
		{ "step", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static int static_local = 7;	/* initialised: .data, not the stack */
	const char *volatile literal = "a string literal, in .rodata";
	const char *s = getenv("MEMTOUR_STEP");
	const char *svg_path = NULL;
	int do_map = 0, force = 0;
	int local = 1;			/* on the stack */
	uintptr_t brk_now, dseg, vdso, load_base;
	struct row *r_small;
	void *lib_fn = NULL;
	char *small, *large;
	FILE *svg = NULL;
	int c, i;

	if (s && *s && strcmp(s, "0") != 0)
		step_mode = 1;
	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			do_map = 1;
			break;
		case 'g':
			svg_path = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 's':
			step_mode = 1;
			break;
		case 'h':
			help();
			return 0;
		case ':':
			if (optopt && strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "%s: option '-%c' needs an "
					"argument\n", prog, optopt);
			else
				fprintf(stderr, "%s: option '%s' needs an "
					"argument\n", prog, argv[optind - 1]);
			usage(stderr);
			return 2;
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
	if (optind < argc)
		usage_error("too many arguments");
	if (force && !svg_path)
		usage_error("--force only applies to --svg FILE");
	if (svg_path && !*svg_path)
		usage_error("--svg needs a file name");

	/* --svg FILE: open it before any output. O_EXCL makes the kernel
	 * refuse a file that exists: no file is overwritten unasked. */
	if (svg_path) {
		int fd = open(svg_path, O_WRONLY | O_CREAT | O_CLOEXEC |
			      (force ? O_TRUNC : O_EXCL), 0644);

		if (fd < 0 && errno == EEXIST) {
			fprintf(stderr, "%s: %s exists; not overwriting it "
				"(add --force to replace it)\n", prog,
				svg_path);
			exit(1);
		}
		if (fd < 0 || !(svg = fdopen(fd, "w")))
			die(svg_path);
	}

	/* The heap: a small block comes from the brk area; the large one
	 * is above the mmap threshold and gets an anonymous mapping. */
	small = malloc(32);
	large = malloc(LARGE_MALLOC);
	if (!small || !large)
		die("malloc");
	small[0] = large[0] = 1;
	brk_now = (uintptr_t)sbrk(0);

	/* A libc function. &printf would do in a PIE, but a binary built
	 * with -fno-pie -no-pie sees the address of its own PLT stub for
	 * printf instead; dlsym(RTLD_NEXT) finds libc's code.
	 * (dlsym is in libc itself since glibc 2.34.) */
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
	lib_fn = dlsym(RTLD_NEXT, "printf");
#endif
	if (!lib_fn)
		lib_fn = (void *)printf;

	vdso = getauxval(AT_SYSINFO_EHDR);	/* the kernel tells us */
	dseg = data_segment();
	load_base = (uintptr_t)__executable_start;
	/* The ELF header is mapped at the load base: ET_DYN is a PIE. */
	kind = ((const ElfW(Ehdr) *)load_base)->e_type == ET_DYN ?
	       "PIE" : "non-PIE";

	add_row("hdr", "ELF header", load_base);
	add_row("text", "main()", (uintptr_t)main);
	add_row("text", "etext-1", (uintptr_t)&etext - 1);
	add_row("rodata", "string literal", (uintptr_t)literal);
	add_row("rodata", "const global", (uintptr_t)const_global);
	if (dseg)
		add_row("relro", "data segment", dseg);
	add_row("data", "init global", (uintptr_t)&init_global);
	add_row("data", "static local", (uintptr_t)&static_local);
	add_row("data", "edata-1", (uintptr_t)&edata - 1);
	add_row("bss", "uninit global", (uintptr_t)&uninit_global);
	add_row("bss", "end-1", (uintptr_t)&end - 1);
	r_small = add_row("heap", "malloc(32)", (uintptr_t)small);
	add_row("heap", "sbrk(0)-1", brk_now - 1);
	add_row("mmap", "malloc(1 MiB)", (uintptr_t)large);
	add_row("lib", "printf()", (uintptr_t)lib_fn);
	add_row("stack", "local var", (uintptr_t)&local);
	if (argc > 0 && argv[0])
		add_row("stack", "argv[0]", (uintptr_t)argv[0]);
	if (environ && environ[0])
		add_row("stack", "environ[0]", (uintptr_t)environ[0]);
	if (vdso)
		add_row("vdso", "vDSO (auxv)", vdso);

	/* Everything is in place: take one snapshot of the mappings. */
	read_maps();
	for (i = 0; i < nrows; i++)
		rows[i].m = find_mapping(rows[i].addr);

	printf("%-6s %-15s %-14s %s\n", "region", "address", "what",
	       "mapping (a line of /proc/self/maps)");
	for (i = 0; i < nrows; i++) {
		const struct mapping *m = rows[i].m;

		printf("%-6s 0x%-13lx %-14s ", rows[i].region,
		       (unsigned long)rows[i].addr, rows[i].what);
		if (m)
			printf("%08lx-%08lx %s %s\n", m->lo, m->hi, m->perms,
			       map_name(m));
		else
			printf("(not mapped)\n");
	}
	if (!vdso)
		printf("(no vDSO: the kernel was booted with vdso=0?)\n");
	if (!r_small->m || strcmp(r_small->m->path, "[heap]") != 0)
		printf("(malloc(32) is not in [heap]: this malloc does not use"
		       " brk; ASan? valgrind?)\n");
	print_sizes(dseg, brk_now);
	if (!do_map && !svg)
		printf("  Draw it: %s --map, or --svg FILE.\n", prog);

	if (do_map)
		draw_map();

	if (svg) {
		errno = 0;
		write_svg(svg);
		if (fflush(svg) == EOF || ferror(svg)) {
			int e = errno ? errno : EIO;

			if (!force)
				unlink(svg_path);	/* we created it */
			errno = e;
			die(svg_path);
		}
		printf("\nsvg: %s\n", svg_path);
	}

	step("layout printed; try: cat /proc/%ld/maps", (long)getpid());
	free(large);
	free(small);
	return 0;
}
