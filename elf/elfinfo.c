/* SPDX-License-Identifier: MIT */
/* elfinfo.c - a small readelf: headers, segments, sections
 *
 * An ELF file is a header, two tables and the bytes they point into. The
 * ELF header (-H) says what the file is (32 or 64 bits, which machine, an
 * executable, a shared object or a .o) and where the two tables are. The
 * program headers (-l) are the loader's view: segments, each a range of
 * the file to map at an address with some permissions, and the path of
 * the interpreter (the dynamic linker) for a dynamically linked program.
 * The section headers (-S) are the linker's view: .text, .rodata, .data,
 * .bss, the symbol tables, the strings. The dynamic section (-d) tells the
 * dynamic linker which libraries the program NEEDs; the symbol tables (-s)
 * name the functions and variables, with their addresses.
 *
 * Run it:
 *	elf/elfinfo                  its own binary: -H -l -S -d
 *	elf/elfinfo -a elf/hello     everything, symbols too
 *	elf/elfinfo -l /bin/ls       segments, interpreter, which sections
 *	                             each segment holds
 * and put it beside binutils, which shows the same numbers:
 *	readelf -hlSdsW elf/hello
 *
 * Every offset, size, count and string index in the file is checked
 * against the file's size before it is used, so a truncated or corrupted
 * file gets "elfinfo: FILE: what is wrong" and exit status 1, never a
 * crash. Try: head -c 100 elf/hello > /tmp/h && elf/elfinfo /tmp/h
 *
 * Only little-endian files (x86_64, aarch64, riscv, 32-bit x86 and Arm
 * as they are usually built) are read; a big-endian one is refused.
 */
#include "../res/memtour.h"
#include <setjmp.h>
#include <sys/mman.h>

static int show_header, show_segments, show_sections, show_dynamic,
	show_symbols;
#ifndef ELFINFO_FUZZ
static void options(int argc, char **argv);
#endif

/* --- reading the file safely ---------------------------------------------- */

/* One ELF file, mapped read-only, and what its header says. */
struct elf {
	const char *name;
	const unsigned char *b;	/* the whole file */
	size_t size;
	int is64;		/* ELFCLASS64: 8-byte addresses */
	unsigned type, machine, version, osabi, flags;
	uint64_t entry, phoff, shoff;
	unsigned ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
	uint64_t strtab_off, strtab_size;	/* section names */
};

/* A program header and a section header, both classes alike. */
struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz, align;
};

struct shdr {
	uint32_t name, type, link, info;
	uint64_t flags, addr, offset, size, entsize;
};

static void section(const struct elf *e, unsigned i, struct shdr *s);
static jmp_buf bad_file;
static int quiet_errors;	/* the fuzzer wants no messages */

/* A file that breaks a rule: say what is wrong and give up on it. */
static void __attribute__((noreturn, format(printf, 2, 3)))
bad(const struct elf *e, const char *fmt, ...)
{
	va_list ap;

	if (!quiet_errors) {
		fflush(stdout);
		fprintf(stderr, "%s: %s: ", mt_prog, e->name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	longjmp(bad_file, 1);
}

/* The n bytes at offset off, or an error if any of them lies past the
 * end of the file. Written so that no sum can overflow. */
static const unsigned char *at(const struct elf *e, uint64_t off, uint64_t n,
			       const char *what)
{
	if (off > e->size || n > e->size - off)
		bad(e, "%s (offset %llu, %llu bytes) lies past the end of the "
		    "file (%zu bytes)", what, (unsigned long long)off,
		    (unsigned long long)n, e->size);
	return e->b + off;
}

/* Little-endian numbers, byte by byte: right on any host, and no
 * unaligned access. */
static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* A field that is 4 bytes in ELF32 and 8 in ELF64. */
static uint64_t word(const struct elf *e, const unsigned char *p)
{
	return le(p, e->is64 ? 8 : 4);
}

/* A table of count entries of entsize bytes at off: checked whole. */
static const unsigned char *table(const struct elf *e, uint64_t off,
				  uint64_t count, uint64_t entsize,
				  const char *what)
{
	if (entsize && count > e->size / entsize)
		bad(e, "%s: %llu entries of %llu bytes cannot fit in the file",
		    what, (unsigned long long)count,
		    (unsigned long long)entsize);
	return at(e, off, count * entsize, what);
}

/* String idx of the string table at [off, off + size): it must start
 * inside the table and end with a NUL inside it. */
static const char *string(const struct elf *e, uint64_t off, uint64_t size,
			  uint64_t idx, const char *what)
{
	const unsigned char *t = at(e, off, size, what);

	if (idx >= size)
		bad(e, "%s: string %llu is outside its table (%llu bytes)",
		    what, (unsigned long long)idx, (unsigned long long)size);
	if (!memchr(t + idx, '\0', size - idx))
		bad(e, "%s: string %llu has no end", what,
		    (unsigned long long)idx);
	return (const char *)t + idx;
}

/* --- the ELF header ------------------------------------------------------- */

static const char *const type_names[] = {
	"NONE (no file type)", "REL (relocatable file: a .o)",
	"EXEC (executable at fixed addresses)",
	"DYN (shared object or PIE)",
	"CORE (core file)",
};

static const char *machine_name(unsigned m)
{
	switch (m) {
	case 3: return "Intel 80386";
	case 8: return "MIPS";
	case 20: return "PowerPC";
	case 21: return "PowerPC64";
	case 22: return "IBM S/390";
	case 40: return "ARM";
	case 62: return "x86-64";
	case 183: return "AArch64";
	case 243: return "RISC-V";
	case 247: return "BPF";
	case 258: return "LoongArch";
	}
	return "other";
}

/* Read and check the ELF header: the first 16 bytes (e_ident) say what
 * kind of ELF this is, the rest where everything else is. */
static void read_header(struct elf *e)
{
	const unsigned char *h = at(e, 0, 16, "ELF identification");
	const unsigned char *p;

	if (memcmp(h, "\177ELF", 4) != 0)
		bad(e, "not an ELF file (no \\177ELF at the start)");
	if (h[4] != 1 && h[4] != 2)
		bad(e, "unknown ELF class %u (1 is ELF32, 2 is ELF64)", h[4]);
	if (h[5] == 2)
		bad(e, "a big-endian file: this reader reads little-endian "
		    "files only");
	if (h[5] != 1)
		bad(e, "unknown data encoding %u", h[5]);
	e->is64 = h[4] == 2;
	e->osabi = h[7];
	p = at(e, 0, e->is64 ? 64 : 52, "ELF header");
	e->type = (unsigned)le(p + 16, 2);
	e->machine = (unsigned)le(p + 18, 2);
	e->version = (unsigned)le(p + 20, 4);
	e->entry = word(e, p + 24);
	p += e->is64 ? 32 : 28;	/* from here the fields are shifted */
	e->phoff = word(e, p);
	e->shoff = word(e, p + (e->is64 ? 8 : 4));
	p += e->is64 ? 16 : 8;
	e->flags = (unsigned)le(p, 4);
	e->ehsize = (unsigned)le(p + 4, 2);
	e->phentsize = (unsigned)le(p + 6, 2);
	e->phnum = (unsigned)le(p + 8, 2);
	e->shentsize = (unsigned)le(p + 10, 2);
	e->shnum = (unsigned)le(p + 12, 2);
	e->shstrndx = (unsigned)le(p + 14, 2);

	if (e->phnum && e->phentsize < (e->is64 ? 56 : 32))
		bad(e, "program header size %u is too small", e->phentsize);
	if ((e->shnum || e->shoff) && e->shentsize < (e->is64 ? 64 : 40))
		bad(e, "section header size %u is too small", e->shentsize);
}

/* The two tables, checked whole against the file before any entry is
 * read, and the table of section names. */
static void read_tables(struct elf *e)
{
	struct shdr s0;

	/* More than 65279 sections: the real counts are in section 0. */
	if (e->shoff && (e->shnum == 0 || e->shstrndx == 0xffff)) {
		table(e, e->shoff, 1, e->shentsize, "section header 0");
		e->shnum = 1;
		section(e, 0, &s0);
		if (s0.size > 0xffffffff)
			bad(e, "section 0 holds an impossible count");
		e->shnum = (unsigned)s0.size;
		if (e->shstrndx == 0xffff)
			e->shstrndx = s0.link;
	}
	table(e, e->phoff, e->phnum, e->phentsize, "program header table");
	table(e, e->shoff, e->shnum, e->shentsize, "section header table");
	e->strtab_off = e->strtab_size = 0;
	if (e->shnum && e->shstrndx) {
		if (e->shstrndx >= e->shnum)
			bad(e, "section name table %u does not exist (%u "
			    "sections)", e->shstrndx, e->shnum);
		section(e, e->shstrndx, &s0);
		e->strtab_off = s0.offset;
		e->strtab_size = s0.size;
		at(e, s0.offset, s0.size, "section name table");
	}
}

static void print_header(const struct elf *e)
{
	const unsigned char *h = e->b;
	int i;

	printf("ELF header\n  magic:                   ");
	for (i = 0; i < 16; i++)
		printf("%02x%s", h[i], i < 15 ? " " : "\n");
	printf("  class:                   ELF%d\n", e->is64 ? 64 : 32);
	printf("  data:                    little endian\n");
	printf("  OS/ABI:                  %u (%s)\n", e->osabi,
	       e->osabi == 0 ? "System V" : e->osabi == 3 ? "GNU" : "other");
	printf("  type:                    %s\n",
	       e->type < 5 ? type_names[e->type] : "other");
	printf("  machine:                 %s (%u)\n", machine_name(e->machine),
	       e->machine);
	printf("  version:                 %u\n", e->version);
	printf("  entry point:             0x%llx\n",
	       (unsigned long long)e->entry);
	printf("  program headers at:      %llu (bytes into file)\n",
	       (unsigned long long)e->phoff);
	printf("  section headers at:      %llu (bytes into file)\n",
	       (unsigned long long)e->shoff);
	printf("  flags:                   0x%x\n", e->flags);
	printf("  header size:             %u (bytes)\n", e->ehsize);
	printf("  program header size:     %u (bytes)\n", e->phentsize);
	printf("  program headers:         %u\n", e->phnum);
	printf("  section header size:     %u (bytes)\n", e->shentsize);
	printf("  section headers:         %u\n", e->shnum);
	printf("  section name table:      %u\n\n", e->shstrndx);
}

/* --- program headers: the loader's view ----------------------------------- */

/* Program header i (i < phnum: the table was checked whole). */
static void segment(const struct elf *e, unsigned i, struct phdr *ph)
{
	const unsigned char *p = e->b + e->phoff + (uint64_t)i * e->phentsize;

	ph->type = (uint32_t)le(p, 4);
	if (e->is64) {	/* ELF64 moved p_flags up, next to p_type */
		ph->flags = (uint32_t)le(p + 4, 4);
		ph->offset = le(p + 8, 8);
		ph->vaddr = le(p + 16, 8);
		ph->filesz = le(p + 32, 8);
		ph->memsz = le(p + 40, 8);
		ph->align = le(p + 48, 8);
	} else {
		ph->offset = le(p + 4, 4);
		ph->vaddr = le(p + 8, 4);
		ph->filesz = le(p + 16, 4);
		ph->memsz = le(p + 20, 4);
		ph->flags = (uint32_t)le(p + 24, 4);
		ph->align = le(p + 28, 4);
	}
}

static const char *segment_type(uint32_t t)
{
	static char other[24];

	switch (t) {
	case 0: return "NULL";
	case 1: return "LOAD";		/* map this part of the file */
	case 2: return "DYNAMIC";	/* the dynamic linker's table */
	case 3: return "INTERP";	/* path of the dynamic linker */
	case 4: return "NOTE";
	case 5: return "SHLIB";
	case 6: return "PHDR";		/* the program headers themselves */
	case 7: return "TLS";		/* template of thread-local data */
	case 0x6474e550: return "GNU_EH_FRAME";
	case 0x6474e551: return "GNU_STACK";	/* is the stack executable? */
	case 0x6474e552: return "GNU_RELRO";	/* read-only after relocation */
	case 0x6474e553: return "GNU_PROPERTY";
	case 0x6474e554: return "GNU_SFRAME";
	}
	snprintf(other, sizeof(other), "0x%x", t);
	return other;
}

/* "R E" as readelf writes it: read, write, execute. */
static const char *segment_flags(uint32_t f)
{
	static char s[4];

	s[0] = f & 4 ? 'R' : ' ';
	s[1] = f & 2 ? 'W' : ' ';
	s[2] = f & 1 ? 'E' : ' ';
	return s;
}

/* Is section s in segment p? The rule readelf uses: an allocated section
 * must lie inside the segment in memory, any section but .bss-like ones
 * inside it in the file; thread-local sections belong to TLS, LOAD and
 * RELRO only, and a non-allocated one to no loaded segment; PHDR holds no
 * section, and an empty section at the very edge of DYNAMIC or NOTE is
 * not counted. */
static int in_segment(const struct shdr *s, const struct phdr *p)
{
	int tls = (s->flags & 0x400) != 0, alloc = (s->flags & 2) != 0;
	int nobits = s->type == 8;
	uint64_t size = tls && nobits && p->type != 7 ? 0 : s->size;

	if (tls && nobits && p->type != 7)
		return 0;	/* .tbss takes no room outside TLS */
	if (tls ? p->type != 7 && p->type != 1 && p->type != 0x6474e552
		: p->type == 7 || p->type == 6)
		return 0;
	if (!alloc && (p->type == 1 || p->type == 2 || p->type == 0x6474e551 ||
		       p->type == 0x6474e550 || p->type == 0x6474e552 ||
		       p->type == 0x6474e554))
		return 0;
	if (!nobits && (s->offset < p->offset ||
			s->offset - p->offset > p->filesz - 1 ||
			s->offset - p->offset + size > p->filesz))
		return 0;
	if (alloc && (s->addr < p->vaddr || s->addr - p->vaddr > p->memsz - 1 ||
		      s->addr - p->vaddr + size > p->memsz))
		return 0;
	if ((p->type == 2 || p->type == 4) && s->size == 0 && p->memsz != 0 &&
	    ((!nobits && s->offset == p->offset) ||
	     (alloc && s->addr == p->vaddr)))
		return 0;
	return 1;
}

static const char *section_name(const struct elf *e, const struct shdr *s);

static void print_segments(const struct elf *e)
{
	struct phdr ph;
	struct shdr sh;
	const unsigned char *p;
	const char *name;
	unsigned i, j;
	int w = e->is64 ? 16 : 8, col;

	if (e->phnum == 0) {
		printf("no program headers: nothing here for a loader (a .o "
		       "is linked, not run)\n\n");
		return;
	}
	printf("Program headers: %u, starting at offset %llu\n", e->phnum,
	       (unsigned long long)e->phoff);
	printf("  type           offset   vaddr%*s filesz   memsz    flg "
	       "align\n", w - 3, "");
	for (i = 0; i < e->phnum; i++) {
		segment(e, i, &ph);
		printf("  %-14s 0x%06llx 0x%0*llx 0x%06llx 0x%06llx %s 0x%llx\n",
		       segment_type(ph.type), (unsigned long long)ph.offset, w,
		       (unsigned long long)ph.vaddr,
		       (unsigned long long)ph.filesz,
		       (unsigned long long)ph.memsz, segment_flags(ph.flags),
		       (unsigned long long)ph.align);
		if (ph.type != 3)
			continue;
		/* PT_INTERP: a NUL-terminated path, inside the file. */
		p = at(e, ph.offset, ph.filesz, "interpreter path");
		if (ph.filesz == 0 || memchr(p, '\0', ph.filesz) == NULL)
			bad(e, "the interpreter path has no end");
		printf("      interpreter: %s\n", (const char *)p);
	}
	if (e->shnum == 0 || (uint64_t)e->phnum * e->shnum > 4000000) {
		putchar('\n');	/* none, or too many pairs to match quickly */
		return;
	}
	printf("\n  segment  sections\n");
	for (i = 0; i < e->phnum; i++) {
		segment(e, i, &ph);
		col = printf("  %02u      ", i);
		for (j = 1; j < e->shnum; j++) {
			section(e, j, &sh);
			if (!in_segment(&sh, &ph))
				continue;
			name = section_name(e, &sh);
			if (col + strlen(name) > 78)	/* wrap, same column */
				col = printf("\n          ");
			col += printf(" %s", name);
		}
		putchar('\n');
	}
	putchar('\n');
}

/* --- section headers: the linker's view ----------------------------------- */

/* Section header i (i < shnum: the table was checked whole). */
static void section(const struct elf *e, unsigned i, struct shdr *s)
{
	const unsigned char *p = e->b + e->shoff + (uint64_t)i * e->shentsize;
	int n = e->is64 ? 8 : 4;

	s->name = (uint32_t)le(p, 4);
	s->type = (uint32_t)le(p + 4, 4);
	s->flags = word(e, p + 8);
	s->addr = word(e, p + 8 + n);
	s->offset = word(e, p + 8 + 2 * n);
	s->size = word(e, p + 8 + 3 * n);
	s->link = (uint32_t)le(p + 8 + 4 * n, 4);
	s->info = (uint32_t)le(p + 12 + 4 * n, 4);
	s->entsize = word(e, p + 16 + 5 * n);
}

static const char *section_name(const struct elf *e, const struct shdr *s)
{
	if (!e->strtab_size)
		return "";
	return string(e, e->strtab_off, e->strtab_size, s->name,
		      "section name");
}

static const char *section_type(uint32_t t)
{
	static const char *const names[] = {
		"NULL", "PROGBITS", "SYMTAB", "STRTAB", "RELA", "HASH",
		"DYNAMIC", "NOTE", "NOBITS", "REL", "SHLIB", "DYNSYM", "", "",
		"INIT_ARRAY", "FINI_ARRAY", "PREINIT_ARRAY", "GROUP",
		"SYMTAB SECTION INDICES", "RELR",
	};
	static char other[24];

	if (t < sizeof(names) / sizeof(names[0]) && names[t][0])
		return names[t];
	switch (t) {
	case 0x6ffffff6: return "GNU_HASH";
	case 0x6ffffffd: return "VERDEF";
	case 0x6ffffffe: return "VERNEED";
	case 0x6fffffff: return "VERSYM";
	case 0x6ffffff5: return "GNU_ATTRIBUTES";
	case 0x6fff4c03: return "LLVM_ADDRSIG";
	case 0x70000001: return "X86_64_UNWIND";
	case 0x70000003: return "ARM_ATTRIBUTES";
	}
	snprintf(other, sizeof(other), "0x%x", t);
	return other;
}

/* The flag letters readelf prints, lowest bit first. */
static const char *section_flags(uint64_t f, unsigned osabi)
{
	static const struct { uint64_t bit; char c; } letters[] = {
		{ 0x1, 'W' },	/* writable */
		{ 0x2, 'A' },	/* allocated: takes memory at run time */
		{ 0x4, 'X' },	/* executable */
		{ 0x10, 'M' }, { 0x20, 'S' },	/* mergeable, strings */
		{ 0x40, 'I' }, { 0x80, 'L' }, { 0x100, 'O' }, { 0x200, 'G' },
		{ 0x400, 'T' },	/* thread-local */
		{ 0x800, 'C' },	/* compressed */
		{ 0x200000, 'R' },	/* retain (GNU and FreeBSD only) */
		{ 0x10000000, 'l' },	/* x86-64 large */
		{ 0x80000000, 'E' },	/* exclude */
	};
	static char s[24];
	size_t i, n = 0;

	for (i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		if (f & letters[i].bit && (letters[i].c != 'R' ||
					   osabi == 3 || osabi == 9)) {
			s[n++] = letters[i].c;
			f &= ~letters[i].bit;
		}
	if (f & 0x0ff00000)
		s[n++] = 'o';	/* the OS's own */
	if (f & 0xf0000000)
		s[n++] = 'p';	/* the processor's own */
	if (f & ~(uint64_t)0xfff00000)
		s[n++] = 'x';	/* unknown */
	s[n] = '\0';
	return s;
}

static void print_sections(const struct elf *e)
{
	struct shdr s;
	unsigned i;
	int w = e->is64 ? 16 : 8;

	if (e->shnum == 0) {
		printf("no section headers (the loader does not need them: "
		       "strip can remove them)\n\n");
		return;
	}
	printf("Section headers: %u, starting at offset %llu\n", e->shnum,
	       (unsigned long long)e->shoff);
	printf("  [Nr] name               type          address%*s offset "
	       "size   flags\n", w - 7, "");
	for (i = 0; i < e->shnum; i++) {
		section(e, i, &s);
		printf("  [%2u] %-18s %-13s %0*llx %06llx %06llx %s\n", i,
		       section_name(e, &s), section_type(s.type), w,
		       (unsigned long long)s.addr,
		       (unsigned long long)s.offset,
		       (unsigned long long)s.size, section_flags(s.flags, e->osabi));
	}
	printf("  flags: W write, A alloc (in memory at run time), X execute,"
	       "\n  M merge, S strings, I info, L link order, O extra OS "
	       "processing,\n  G group, T TLS, C compressed, R retain, "
	       "E exclude, l large\n\n");
}

/* The first section of a type (SHT_DYNAMIC, SHT_SYMTAB...), or -1. */
static int find_section(const struct elf *e, uint32_t type, struct shdr *s)
{
	unsigned i;

	for (i = 1; i < e->shnum; i++) {
		section(e, i, s);
		if (s->type == type)
			return (int)i;
	}
	return -1;
}

/* A section's linked string table (sh_link), checked. */
static void linked_strings(const struct elf *e, const struct shdr *s,
			   struct shdr *str)
{
	if (s->link == 0 || s->link >= e->shnum)
		bad(e, "section links to string table %u, which does not "
		    "exist", s->link);
	section(e, s->link, str);
	at(e, str->offset, str->size, "string table");
}

/* --- the dynamic section: what the dynamic linker must do ----------------- */

static const char *dynamic_tag(uint64_t t)
{
	static const char *const names[] = {
		"NULL", "NEEDED", "PLTRELSZ", "PLTGOT", "HASH", "STRTAB",
		"SYMTAB", "RELA", "RELASZ", "RELAENT", "STRSZ", "SYMENT",
		"INIT", "FINI", "SONAME", "RPATH", "SYMBOLIC", "REL", "RELSZ",
		"RELENT", "PLTREL", "DEBUG", "TEXTREL", "JMPREL", "BIND_NOW",
		"INIT_ARRAY", "FINI_ARRAY", "INIT_ARRAYSZ", "FINI_ARRAYSZ",
		"RUNPATH", "FLAGS", "", "PREINIT_ARRAY", "PREINIT_ARRAYSZ",
		"SYMTAB_SHNDX", "RELRSZ", "RELR", "RELRENT",
	};
	static char other[24];

	if (t < sizeof(names) / sizeof(names[0]) && names[t][0])
		return names[t];
	switch (t) {
	case 0x6ffffef5: return "GNU_HASH";
	case 0x6ffffef6: return "TLSDESC_PLT";
	case 0x6ffffef7: return "TLSDESC_GOT";
	case 0x6ffffff0: return "VERSYM";
	case 0x6ffffff9: return "RELACOUNT";
	case 0x6ffffffa: return "RELCOUNT";
	case 0x6ffffffb: return "FLAGS_1";
	case 0x6ffffffc: return "VERDEF";
	case 0x6ffffffd: return "VERDEFNUM";
	case 0x6ffffffe: return "VERNEED";
	case 0x6fffffff: return "VERNEEDNUM";
	}
	snprintf(other, sizeof(other), "0x%llx", (unsigned long long)t);
	return other;
}

/* Entries whose value is a size in bytes, as readelf shows them. */
static int is_size_tag(uint64_t t)
{
	return t == 2 || t == 8 || t == 9 || t == 10 || t == 11 || t == 18 ||
	       t == 19 || t == 27 || t == 28 || t == 33 || t == 35 ||
	       t == 37;
}

/* FLAGS and FLAGS_1: bits, each with the name readelf gives it. */
static const char *const flag_names[32] = {
	"ORIGIN", "SYMBOLIC", "TEXTREL", "BIND_NOW", "STATIC_TLS",
};
static const char *const flag_1_names[32] = {
	"NOW", "GLOBAL", "GROUP", "NODELETE", "LOADFLTR", "INITFIRST",
	"NOOPEN", "ORIGIN", "DIRECT", "TRANS", "INTERPOSE", "NODEFLIB",
	"NODUMP", "CONFALT", "ENDFILTEE", "DISPRELDNE", "DISPRELPND",
	"NODIRECT", "IGNMULDEF", "NOKSYMS", "NOHDR", "EDITED", "NORELOC",
	"SYMINTPOSE", "GLOBAUDIT", "SINGLETON", "STUB", "PIE", "KMOD",
	"WEAKFILTER", "NOCOMMON",
};

static void print_flags(uint64_t v, const char *const names[32])
{
	int i;

	printf("0x%llx", (unsigned long long)v);
	for (i = 0; i < 32; i++)
		if (v >> i & 1)
			printf(" %s", names[i] ? names[i] : "unknown");
	if (v >> 32)
		printf(" unknown");
	putchar('\n');
}

static void print_dynamic(const struct elf *e)
{
	struct shdr d, str;
	const unsigned char *p;
	uint64_t i, n, tag, val;
	int es = e->is64 ? 16 : 8;

	if (find_section(e, 6, &d) < 0) {
		printf("no dynamic section: %s\n\n", e->type == 1 ?
		       "a .o is not linked yet" :
		       "statically linked, no dynamic linker at work");
		return;
	}
	linked_strings(e, &d, &str);
	n = d.size / (uint64_t)es;
	p = table(e, d.offset, n, (uint64_t)es, "dynamic section");
	for (i = 0; i < n; i++)	/* the table ends at DT_NULL */
		if (word(e, p + i * (uint64_t)es) == 0) {
			n = i + 1;
			break;
		}
	printf("Dynamic section: %llu entries at offset 0x%llx\n",
	       (unsigned long long)n, (unsigned long long)d.offset);
	printf("  tag                value\n");
	for (i = 0; i < n; i++, p += es) {
		tag = word(e, p);
		val = word(e, p + es / 2);
		printf("  %-18s ", dynamic_tag(tag));
		if (tag == 1 || tag == 14 || tag == 15 || tag == 29)
			/* NEEDED, SONAME, RPATH, RUNPATH: a string */
			printf("%s\n", string(e, str.offset, str.size, val,
					      "dynamic string"));
		else if (is_size_tag(tag))	/* RELASZ, SYMENT... */
			printf("%llu (bytes)\n", (unsigned long long)val);
		else if (tag == 0x6ffffff9 || tag == 0x6ffffffa ||
			 tag == 0x6ffffffd || tag == 0x6fffffff)
			/* RELACOUNT, RELCOUNT, VERDEFNUM, VERNEEDNUM */
			printf("%llu\n", (unsigned long long)val);
		else if (tag == 20)	/* PLTREL: which kind of relocation */
			printf("%s\n", val == 7 ? "RELA" : val == 17 ? "REL" :
			       "other");
		else if (tag == 30 || tag == 0x6ffffffb)
			print_flags(val, tag == 30 ? flag_names : flag_1_names);
		else
			printf("0x%llx\n", (unsigned long long)val);
	}
	putchar('\n');
}

/* --- symbols: names for addresses ----------------------------------------- */

static const char *symbol_type(unsigned t)
{
	static const char *const names[] = {
		"NOTYPE", "OBJECT", "FUNC", "SECTION", "FILE", "COMMON", "TLS",
	};

	if (t < 7)
		return names[t];
	return t == 10 ? "IFUNC" : "other";
}

static const char *symbol_bind(unsigned b)
{
	static const char *const names[] = { "LOCAL", "GLOBAL", "WEAK" };

	if (b < 3)
		return names[b];
	return b == 10 ? "UNIQUE" : "other";
}

static void print_symbols_of(const struct elf *e, const struct shdr *s)
{
	static const char *const vis[] = {
		"DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED",
	};
	struct shdr str, sec;
	const unsigned char *p;
	const char *name;
	uint64_t i, n, value, size;
	unsigned es = e->is64 ? 24 : 16, info, shndx;
	char ndx[16];
	int col;

	linked_strings(e, s, &str);
	n = s->size / es;
	p = table(e, s->offset, n, es, "symbol table");
	printf("Symbol table %s: %llu entries\n", section_name(e, s),
	       (unsigned long long)n);
	printf("   num: value%*s  size type    bind   vis       ndx name\n",
	       e->is64 ? 11 : 3, "");
	for (i = 0; i < n; i++, p += es) {
		/* ELF64: name, info, other, shndx, value, size;
		 * ELF32: name, value, size, info, other, shndx. */
		value = e->is64 ? le(p + 8, 8) : le(p + 4, 4);
		size = e->is64 ? le(p + 16, 8) : le(p + 8, 4);
		info = e->is64 ? p[4] : p[12];
		shndx = (unsigned)le(p + (e->is64 ? 6 : 14), 2);
		if (shndx == 0)
			snprintf(ndx, sizeof(ndx), "UND");	/* elsewhere */
		else if (shndx == 0xfff1)
			snprintf(ndx, sizeof(ndx), "ABS");
		else if (shndx == 0xfff2)
			snprintf(ndx, sizeof(ndx), "COM");
		else
			snprintf(ndx, sizeof(ndx), "%u", shndx);
		name = string(e, str.offset, str.size, le(p, 4), "symbol name");
		if (!*name && (info & 15) == 3 && shndx < e->shnum) {
			section(e, shndx, &sec);	/* a section's symbol */
			name = section_name(e, &sec);
		}
		col = printf("%6llu: %0*llx %5llu %-7s %-6s %-9s %3s",
			     (unsigned long long)i, e->is64 ? 16 : 8,
			     (unsigned long long)value,
			     (unsigned long long)size, symbol_type(info & 15),
			     symbol_bind(info >> 4),
			     vis[p[e->is64 ? 5 : 13] & 3], ndx);
		/* A long name goes whole on a line of its own, indented,
		 * rather than past column 80 (readelf -W: on the row). */
		if (!*name)
			putchar('\n');
		else if (col + 1 + strlen(name) > 79)
			printf("\n%10s%s\n", "", name);
		else
			printf(" %s\n", name);
	}
	putchar('\n');
}

/* A symbol table section: where its entries are, and which section. */
struct symtab {
	uint64_t offset, size;
	uint32_t link;
	unsigned index, same_as;	/* same_as: an earlier one, or 0 */
};

static int by_place(const void *a, const void *b)
{
	const struct symtab *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	if (x->link != y->link)
		return x->link < y->link ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int by_index(const void *a, const void *b)
{
	const struct symtab *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* Every SYMTAB and DYNSYM section, each table of entries once: a section
 * header over the same bytes as an earlier one (a crafted file can hold
 * thousands) only names that one, so the output grows with the file, not
 * with sections times symbols. Sorted by place to find them, then shown
 * in section order. */
static void print_symbols(const struct elf *e)
{
	static struct symtab *t;
	struct shdr s;
	unsigned i, n = 0;

	free(t);
	t = calloc(e->shnum ? e->shnum : 1, sizeof(*t));
	if (!t)
		mt_die("malloc");
	for (i = 1; i < e->shnum; i++) {
		section(e, i, &s);
		if (s.type == 2 || s.type == 11)	/* SYMTAB, DYNSYM */
			t[n++] = (struct symtab){ s.offset, s.size, s.link, i,
						  0 };
	}
	qsort(t, n, sizeof(*t), by_place);
	for (i = 1; i < n; i++)
		if (t[i].offset == t[i - 1].offset &&
		    t[i].size == t[i - 1].size && t[i].link == t[i - 1].link)
			t[i].same_as = t[i - 1].same_as ? t[i - 1].same_as :
				       t[i - 1].index;
	qsort(t, n, sizeof(*t), by_index);
	for (i = 0; i < n; i++) {
		section(e, t[i].index, &s);
		if (!t[i].same_as) {
			print_symbols_of(e, &s);
			continue;
		}
		printf("Symbol table %s (section %u): the same entries as "
		       "section %u\n\n", section_name(e, &s), t[i].index,
		       t[i].same_as);
	}
	if (!n)
		printf("no symbol tables (stripped)\n\n");
}

/* --- one file ------------------------------------------------------------- */

/* Everything asked for about the file in memory at [b, b + size). Returns
 * 0, or 1 when the file is not a well-formed ELF (after saying why). */
static int show(const char *name, const unsigned char *b, size_t size)
{
	static struct elf e;	/* static: it must survive the longjmp */

	memset(&e, 0, sizeof(e));
	e.name = name;
	e.b = b;
	e.size = size;
	if (setjmp(bad_file))
		return 1;
	read_header(&e);
	if (show_header)
		print_header(&e);
	if (show_segments || show_sections || show_dynamic || show_symbols)
		read_tables(&e);
	if (show_segments)
		print_segments(&e);
	if (show_sections)
		print_sections(&e);
	if (show_dynamic)
		print_dynamic(&e);
	if (show_symbols)
		print_symbols(&e);
	return 0;
}

#ifdef ELFINFO_FUZZ
/* libFuzzer's entry point: the whole parser on any bytes (see --help). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready++) {
		quiet_errors = 1;
		show_header = show_segments = show_sections = show_dynamic =
			show_symbols = 1;
		if (!freopen("/dev/null", "w", stdout))
			abort();
	}
	show("fuzz", data, size);
	return 0;
}
#else
/* Map FILE read-only (the kernel brings in only the pages we read) and
 * show it. */
static int show_file(const char *path, int files)
{
	static char real[PATH_MAX];
	struct stat st;
	void *b;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s: %s\n", mt_prog, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (files > 1)	/* on a line of its own, after a cut-short file */
		printf("\nFile: %s\n\n", path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		fprintf(stderr, "%s: %s: %s\n", mt_prog, path,
			S_ISREG(st.st_mode) ? "empty file" :
			"not a regular file");
		close(fd);
		return 1;
	}
	b = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (b == MAP_FAILED) {
		fprintf(stderr, "%s: %s: mmap: %s\n", mt_prog, path,
			strerror(errno));
		return 1;
	}
	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	mt_pause("%s is mapped read-only at %p; try: grep -F '%s' "
		 "/proc/%d/maps", path, b, real, (int)getpid());
	r = show(path, b, (size_t)st.st_size);
	munmap(b, (size_t)st.st_size);
	return r;
}

int main(int argc, char **argv)
{
	static char self[PATH_MAX];
	ssize_t n;
	int i, status = 0;

	mt_init(argv);
	options(argc, argv);
	if (optind == argc) {	/* no file: read our own binary */
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			mt_die("/proc/self/exe");
		self[n] = '\0';
		return show_file(self, 1);
	}
	for (i = optind; i < argc; i++)
		status |= show_file(argv[i], argc - optind);
	return status;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file-header", no_argument, NULL, 'H' },
		{ "segments", no_argument, NULL, 'l' },
		{ "program-headers", no_argument, NULL, 'l' },
		{ "sections", no_argument, NULL, 'S' },
		{ "section-headers", no_argument, NULL, 'S' },
		{ "dynamic", no_argument, NULL, 'd' },
		{ "symbols", no_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		MT_COMMON_OPTIONS
	};
	int c, any = 0;

	mt_usage = "[-H] [-l] [-S] [-d] [-s] [-a] [--step] [FILE...]";
	mt_help = "\nShows what an ELF file tells the linker and the loader, "
		"as readelf -W does.\nWith no FILE, reads its own binary. "
		"With no option: -H -l -S -d.\n\n"
		"  -H, --file-header   the ELF header (readelf -h; -h is "
		"help here)\n"
		"  -l, --segments      program headers, interpreter, sections "
		"per segment\n"
		"  -S, --sections      section headers\n"
		"  -d, --dynamic       the dynamic section: NEEDED libraries, "
		"SONAME...\n"
		"  -s, --symbols       the symbol tables .symtab and .dynsym\n"
		"  -a, --all           all of the above\n"
		"      --step          pause once the file is mapped\n"
		"  -h, --help          this help\n\n"
		"Exit status: 0 read, 1 a file is not a well-formed ELF or "
		"cannot be read,\n2 usage.\n\n"
		"Built as a fuzz target instead of a program:\n"
		"  clang -g -O1 -fsanitize=fuzzer,address,undefined "
		"-DELFINFO_FUZZ \\\n"
		"      -o elfinfo-fuzz elf/elfinfo.c\n";
	while ((c = mt_getopt(argc, argv, "HlSdsa", longopts)) != -1) {
		any = 1;
		switch (c) {
		case 'H': show_header = 1; break;
		case 'l': show_segments = 1; break;
		case 'S': show_sections = 1; break;
		case 'd': show_dynamic = 1; break;
		case 's': show_symbols = 1; break;
		case 'a':
			show_header = show_segments = show_sections =
				show_dynamic = show_symbols = 1;
			break;
		}
	}
	if (!any)
		show_header = show_segments = show_sections = show_dynamic = 1;
}
#endif
