/* SPDX-License-Identifier: MIT */
/* layout.c - where text, data, bss, heap and stack lie in memory
 *
 * A process's address space is a list of mappings, and /proc/PID/maps
 * shows them, one line each, low addresses first. This program takes one
 * object of every kind (its ELF header, a function, a string literal,
 * globals with and without a value, a static local, a small and a large
 * malloc block, a libc function, a local variable, argv, the environment,
 * the vDSO), prints its address and the line of /proc/self/maps that holds
 * it. Then the linker's boundary symbols etext, edata and end, and the
 * sizes of text, data and bss they imply.
 *
 * Run:   layout/layout           the table, the boundaries, the sizes
 *        layout/layout --step    ... and pause, to read /proc/PID/maps
 *
 * What to look for:
 *   - header, text, rodata, data, bss, heap: low to high; far above, the
 *     large block, libc and the vDSO; the stack at the top.
 *   - The code is in the only executable (r-xp) mapping of the binary; the
 *     string literal and the const global in a read-only one (r--p).
 *   - The small block is in [heap], below the program break (sbrk(0)); the
 *     1 MiB block is not: malloc gave it a mapping of its own.
 *   - argv[0] and the environment sit above the local variable, at the very
 *     top of [stack]: the kernel put them there before main ran.
 *   - bss = end - edata takes no room in the file: what does not fit in the
 *     last page of the data becomes an anonymous mapping.
 *   - Run it twice: with ASLR every address changes, the order does not.
 *
 * Try beside it:
 *   nm -n layout/layout | grep -wE 'etext|edata|end'   size layout/layout
 *   readelf -lW layout/layout    pmap -x PID    setarch -R layout/layout
 */
#include "../res/memtour.h"
#include <dlfcn.h>
#include <link.h>		/* ElfW(): the ELF header and program headers */
#include <sys/auxv.h>		/* getauxval(AT_SYSINFO_EHDR): the vDSO */

/* Defined by the linker (see end(3)): one past the end of the code, of the
 * initialised data and of the bss; and the first byte of the binary in
 * memory, its ELF header. They have an address, no value. */
extern char etext, edata, end;
extern const char __executable_start[];
extern char **environ;

/* The objects whose addresses we show. Not static, so nm lists them. */
const char const_global[] = "a const global, in .rodata";
int init_global = 42;
int uninit_global;

static void options(int argc, char **argv);

/* A libc function. &printf would do in a PIE, but in a binary built with
 * -fno-pie -no-pie it is the address of the program's own PLT stub;
 * dlsym(RTLD_NEXT) finds libc's code (dlsym is in glibc itself from 2.34,
 * and always in musl; older glibc needs -ldl, so it is left out there). */
static uintptr_t libc_function(void)
{
	void *p = NULL;

#if !defined(__GLIBC__) || __GLIBC__ > 2 || __GLIBC_MINOR__ >= 34
	p = dlsym(RTLD_NEXT, "printf");
#endif
	return p ? (uintptr_t)p : (uintptr_t)printf;
}

/* The start of the writable segment (.init_array ... .data .bss). The ELF
 * header is mapped at the load base and says where the program headers
 * are; the first PT_LOAD maps the file from offset 0, so the load bias is
 * load base - its p_vaddr (0 for a non-PIE). 0 if there is none. */
static uintptr_t data_segment(void)
{
	const ElfW(Ehdr) *eh = (const void *)__executable_start;
	const ElfW(Phdr) *ph = (const void *)(__executable_start +
					      eh->e_phoff);
	uintptr_t bias = 0;
	int i;

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

/* One row: the object, and the line of /proc/self/maps that holds it, as
 * "START-END PERMS NAME" (NAME: the file's basename, [heap], [stack]...,
 * or "anonymous" for memory that no file backs). */
static void row(const char *region, const char *what, uintptr_t addr)
{
	static struct mt_mapping m;
	const char *name;

	printf("%-6s 0x%-13lx %-14s ", region, (unsigned long)addr, what);
	if (mt_maps_find(0, (void *)addr, &m) < 0) {
		printf("(not mapped)\n");
		return;
	}
	name = strrchr(m.path, '/');
	name = name ? name + 1 : m.path[0] ? m.path : "anonymous";
	printf("%08lx-%08lx %s %s\n", (unsigned long)m.start,
	       (unsigned long)m.end, m.perms, name);
}

/* The boundary symbols and the sizes they imply. */
static void boundaries(uintptr_t dseg, uintptr_t brk_now, const char *kind)
{
	size_t text = (size_t)(&etext - __executable_start);
	size_t data = (size_t)((uintptr_t)&edata - dseg);
	size_t bss = (size_t)(&end - &edata);

	printf("\nexecutable: %s\n", kind);
	printf("load base: %p\n", (void *)__executable_start);
	printf("etext: %p\n", (void *)&etext);
	if (dseg)
		printf("data segment: %p\n", (void *)dseg);
	printf("edata: %p\n", (void *)&edata);
	printf("end: %p\n", (void *)&end);
	printf("break: %p\n", (void *)brk_now);
	printf("text to etext: %zu (%s)\n", text, mt_human(text));
	if (dseg)
		printf("data size: %zu (%s)\n", data, mt_human(data));
	printf("bss size: %zu (%s)\n", bss, mt_human(bss));
	printf("\n"
"etext, edata and end are one past the code, the initialised data and the\n"
"bss (man 3 end); the table shows the last byte of each (etext-1 ...).\n"
"text to etext = etext - load base: the ELF headers, the read-only tables\n"
"before the code, padding, the code. size(1)'s text counts every read-only\n"
"section instead (.rodata too, after etext), without headers or padding.\n"
"data size = edata - data segment: the writable part stored in the file.\n"
"Its first pages (relro) the loader made read-only once relocated.\n"
"bss size = end - edata: zeros, so no room in the file; what does not fit\n"
"in the last page of the data is an anonymous mapping.\n");
}

int main(int argc, char **argv)
{
	static int static_local = 7;	/* initialised: .data, not the stack */
	const char *volatile literal = "a string literal, in .rodata";
	volatile int local = 0x10ca1;	/* on the stack */
	uintptr_t load_base = (uintptr_t)__executable_start, dseg, brk_now;
	const char *kind;
	char *small, *large;
	static struct mt_mapping m;

	mt_init(argv);
	options(argc, argv);

	/* A small block comes from the brk area, [heap]; the large one is
	 * above malloc's mmap threshold and gets a mapping of its own. The
	 * text in each is what /proc/PID/mem shows at its address. */
	small = malloc(32);
	large = malloc(1 << 20);
	if (!small || !large)
		mt_die("malloc");
	strcpy(small, "a small block");
	strcpy(large, "a large block");
	brk_now = (uintptr_t)sbrk(0);
	dseg = data_segment();
	/* The ELF header is mapped at the load base: ET_DYN is a PIE. */
	kind = ((const ElfW(Ehdr) *)load_base)->e_type == ET_DYN ?
	       "PIE" : "non-PIE";

	printf("%-6s %-15s %-14s %s\n", "region", "address", "what",
	       "mapping (a line of /proc/self/maps)");
	row("hdr", "ELF header", load_base);
	row("text", "main()", (uintptr_t)main);
	row("text", "etext-1", (uintptr_t)&etext - 1);
	row("rodata", "string literal", (uintptr_t)literal);
	row("rodata", "const global", (uintptr_t)const_global);
	if (dseg)
		row("relro", "data segment", dseg);
	row("data", "init global", (uintptr_t)&init_global);
	row("data", "static local", (uintptr_t)&static_local);
	row("data", "edata-1", (uintptr_t)&edata - 1);
	row("bss", "uninit global", (uintptr_t)&uninit_global);
	row("bss", "end-1", (uintptr_t)&end - 1);
	row("heap", "malloc(32)", (uintptr_t)small);
	row("heap", "sbrk(0)-1", brk_now - 1);
	row("mmap", "malloc(1 MiB)", (uintptr_t)large);
	row("lib", "printf()", libc_function());
	row("stack", "local var", (uintptr_t)&local);
	row("stack", "argv[0]", (uintptr_t)argv[0]);
	if (environ[0])
		row("stack", "environ[0]", (uintptr_t)environ[0]);
	if (getauxval(AT_SYSINFO_EHDR))
		row("vdso", "vDSO (auxv)", getauxval(AT_SYSINFO_EHDR));
	else
		printf("(no vDSO: the kernel was booted with vdso=0)\n");
	if (mt_maps_find(0, small, &m) < 0 || strcmp(m.path, "[heap]") != 0)
#ifdef __GLIBC__
		printf("(malloc(32) is not in [heap]: this malloc does not "
		       "use brk; valgrind?)\n");
#else
		printf("(this libc is not glibc: small blocks come from spare "
		       "data pages, not [heap])\n");
#endif
	boundaries(dseg, brk_now, kind);

	mt_pause("table printed; try: cat /proc/%d/maps", (int)getpid());
	free(large);
	free(small);
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = { MT_COMMON_OPTIONS };

	mt_usage = "[--step]";
	mt_help = "\n"
"Print the address of one object of each kind (ELF header, code, read-only\n"
"data, data, bss, heap, a large malloc, a libc function, stack, argv,\n"
"environ, vDSO) with the line of /proc/self/maps that holds it, the\n"
"linker symbols etext, edata and end, and the sizes of text, data and bss\n"
"they imply.\n"
"\n"
"  --step      pause at the end (also MEMTOUR_STEP=1): compare with\n"
"              cat /proc/PID/maps in a second terminal\n"
"  -h, --help  this text\n";
	while (mt_getopt(argc, argv, "", longopts) != -1)
		;
	mt_no_operands(argc, argv);
}
