/* SPDX-License-Identifier: MIT */
/* elfload.c - run a program without execve, as exec would
 *
 * execve() throws the old program away and builds a new one in the same
 * process: it maps the parts of the ELF file the program headers name
 * (PT_LOAD segments), with their permissions; it adds zeroed memory for
 * the bss; if the program names an interpreter (PT_INTERP, the dynamic
 * linker ld.so) it maps that too; it builds a stack holding argc, argv,
 * the environment and the auxiliary vector (AT_PHDR, AT_ENTRY, AT_BASE,
 * AT_RANDOM...: what the kernel tells the new program); and it jumps to
 * the entry point: the interpreter's if there is one, else the program's.
 *
 * elfload does all of that itself, with open, mmap and a jump, in the
 * process it already is: the program it loads runs with elfload's PID and
 * nothing is exec'ed. Only the old program is not thrown away (elfload's
 * own mappings stay, unused) and /proc/PID/exe still names elfload.
 *
 * Run it:
 *	elf/elfload                       loads elf/hello_static
 *	elf/elfload elf/hello a b         a PIE with an interpreter
 *	elf/elfload /bin/ls -d /          a system program
 *	elf/elfload --dry-run /bin/ls     the layout only, relative to the
 *	                                  base; nothing is mapped or run
 *	elf/elfload --step elf/hello      pause before the jump: read its maps
 * and beside it:
 *	readelf -lW elf/hello             the segments elfload maps
 *	strace -f -e trace=execve,mmap elf/elfload elf/hello_static
 *	LD_SHOW_AUXV=1 /bin/true          the auxiliary vector the kernel built
 *
 * The jump is a few lines of assembly, written for x86_64 and aarch64;
 * on other machines the program says so and stops.
 */
#include "../res/memtour.h"
#include <elf.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>

#if defined(__x86_64__)
#define MACHINE EM_X86_64
#define PLATFORM_NAME "x86_64"
#elif defined(__aarch64__)
#define MACHINE EM_AARCH64
#define PLATFORM_NAME "aarch64"
#else
#define PLATFORM_NAME "unknown"
#endif

static int dry_run, quiet;
static void options(int argc, char **argv);

/* What the loader found out about one ELF file it mapped. */
struct image {
	const char *path;	/* as given */
	char real[PATH_MAX];	/* canonical: as /proc/PID/maps shows it */
	const char *name;	/* the last part of it, for the table */
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	uintptr_t base;	/* what is added to every address in the file */
	uintptr_t entry, phdr;	/* entry point and program headers, loaded */
	char interp[PATH_MAX];	/* PT_INTERP, or "" */
};

static struct image prog, ld;

static uintptr_t page_down(uintptr_t a)
{
	return a & ~(uintptr_t)(mt_pagesize() - 1);
}

static uintptr_t page_up(uintptr_t a)
{
	return page_down(a + mt_pagesize() - 1);
}

/* "r-xp" from a segment's PF_R, PF_W and PF_X, and the mmap protection. */
static const char *perms(uint32_t f)
{
	static char s[5];

	s[0] = f & PF_R ? 'r' : '-';
	s[1] = f & PF_W ? 'w' : '-';
	s[2] = f & PF_X ? 'x' : '-';
	s[3] = 'p';	/* private: written pages are copies, not the file */
	return s;
}

static int prot(uint32_t f)
{
	return (f & PF_R ? PROT_READ : 0) | (f & PF_W ? PROT_WRITE : 0) |
	       (f & PF_X ? PROT_EXEC : 0);
}

/* One row of the table: where a part of the file (or zeroes) went. */
static void row(const struct image *im, uintptr_t start, uintptr_t end,
		uint32_t flags, const char *offset)
{
	if (quiet)
		return;
	printf("  %-20.20s 0x%-9lx 0x%-9lx %s  %-9s ", im->name,
	       (unsigned long)(start - im->base),
	       (unsigned long)(end - im->base), perms(flags), offset);
	if (dry_run)
		printf("-\n");
	else
		printf("0x%lx\n", (unsigned long)start);
}

/* --- reading the headers -------------------------------------------------- */

/* Read the ELF header and the program headers of path, and check that
 * this is something the machine can run. */
static int read_headers(struct image *im, const char *path)
{
	const char *slash;
	ssize_t n;
	int fd, i;

	im->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		mt_die("%s", path);
	if (!realpath(path, im->real))
		mt_die("%s", path);
	slash = strrchr(im->real, '/');
	im->name = slash ? slash + 1 : im->real;
	n = pread(fd, &im->eh, sizeof(im->eh), 0);
	if (n != (ssize_t)sizeof(im->eh) || memcmp(im->eh.e_ident, ELFMAG, 4))
		mt_fail("%s: not an ELF file", path);
	if (im->eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    im->eh.e_ident[EI_DATA] != ELFDATA2LSB)
		mt_fail("%s: not a 64-bit little-endian ELF file", path);
	if (im->eh.e_type != ET_EXEC && im->eh.e_type != ET_DYN)
		mt_fail("%s: not an executable (a .o or a core file?)", path);
#ifdef MACHINE
	if (im->eh.e_machine != MACHINE)
		mt_fail("%s: built for machine %u, this is %s", path,
			im->eh.e_machine, PLATFORM_NAME);
#endif
	if (im->eh.e_phentsize != sizeof(Elf64_Phdr) || im->eh.e_phnum == 0 ||
	    im->eh.e_phnum > 64)
		mt_fail("%s: %u program headers of %u bytes: not what a "
			"loader expects", path, im->eh.e_phnum,
			im->eh.e_phentsize);
	n = pread(fd, im->ph, im->eh.e_phnum * sizeof(Elf64_Phdr),
		  (off_t)im->eh.e_phoff);
	if (n != (ssize_t)(im->eh.e_phnum * sizeof(Elf64_Phdr)))
		mt_fail("%s: program headers cut short", path);
	im->interp[0] = '\0';
	for (i = 0; i < im->eh.e_phnum; i++) {
		Elf64_Phdr *p = &im->ph[i];

		if (p->p_type != PT_INTERP)
			continue;
		if (p->p_filesz == 0 || p->p_filesz > sizeof(im->interp) ||
		    pread(fd, im->interp, p->p_filesz, (off_t)p->p_offset) !=
		    (ssize_t)p->p_filesz ||
		    im->interp[p->p_filesz - 1] != '\0')
			mt_fail("%s: bad interpreter path", path);
	}
	return fd;
}

/* --- mapping the segments ------------------------------------------------- */

/* Map every PT_LOAD segment of im from fd. An ET_EXEC file goes at the
 * addresses written in it (base 0); an ET_DYN file (a PIE, ld.so) anywhere:
 * we reserve the whole span first, so the kernel picks one free range,
 * and the base is where that range starts minus the lowest address. */
static void map_segments(struct image *im, int fd)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0, start, file_end, mem_end, zero;
	struct stat st;
	void *p;
	int i, flags, bss;
	char off[24];

	if (fstat(fd, &st) < 0)
		mt_die("%s", im->path);
	for (i = 0; i < im->eh.e_phnum; i++) {
		Elf64_Phdr *s = &im->ph[i];

		if (s->p_type != PT_LOAD)
			continue;
		/* A page mapped past the end of the file is no memory at all:
		 * touching it kills us with SIGBUS. So a cut-short file is
		 * refused here, before anything is mapped. */
		if (s->p_offset > (uint64_t)st.st_size ||
		    s->p_filesz > (uint64_t)st.st_size - s->p_offset)
			mt_fail("%s: segment %d ends past the end of the file "
				"(%lld bytes)", im->path, i,
				(long long)st.st_size);
		if (s->p_filesz > s->p_memsz || s->p_memsz > UINTPTR_MAX / 2 ||
		    s->p_vaddr > UINTPTR_MAX / 2 ||
		    (s->p_vaddr - s->p_offset) % mt_pagesize() != 0)
			mt_fail("%s: segment %d cannot be mapped", im->path, i);
		if (page_down(s->p_vaddr) < lo)
			lo = page_down(s->p_vaddr);
		if (page_up(s->p_vaddr + s->p_memsz) > hi)
			hi = page_up(s->p_vaddr + s->p_memsz);
	}
	if (hi == 0)
		mt_fail("%s: no PT_LOAD segment: nothing to load", im->path);
	im->base = 0;
	if (im->eh.e_type == ET_DYN && !dry_run) {
		p = mmap(NULL, hi - lo, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			mt_die("mmap: reserving %lu bytes for %s",
			       (unsigned long)(hi - lo), im->path);
		im->base = (uintptr_t)p - lo;
	}
	for (i = 0; i < im->eh.e_phnum; i++) {
		Elf64_Phdr *s = &im->ph[i];

		if (s->p_type != PT_LOAD)
			continue;
		start = page_down(im->base + s->p_vaddr);
		file_end = page_up(im->base + s->p_vaddr + s->p_filesz);
		mem_end = page_up(im->base + s->p_vaddr + s->p_memsz);
		/* The file's pages: the page offset of p_offset equals that
		 * of p_vaddr, so the file maps page by page. */
		flags = MAP_PRIVATE | MAP_FIXED;
		if (im->eh.e_type == ET_EXEC)	/* never over our own */
			flags = MAP_PRIVATE | MAP_FIXED_NOREPLACE;
		snprintf(off, sizeof(off), "0x%lx",
			 (unsigned long)page_down(s->p_offset));
		/* A bss starting inside the last file page: that page must be
		 * written once, so it is mapped writable until then. */
		zero = im->base + s->p_vaddr + s->p_filesz;
		bss = s->p_memsz > s->p_filesz && zero < file_end;
		if (file_end > start) {
			row(im, start, file_end, s->p_flags, off);
			if (!dry_run &&
			    mmap((void *)start, file_end - start,
				 prot(s->p_flags) | (bss ? PROT_WRITE : 0),
				 flags, fd, (off_t)page_down(s->p_offset)) !=
			    (void *)start)
				mt_die("mmap: segment %d of %s at 0x%lx", i,
				       im->path, (unsigned long)start);
		}
		/* The bss: after p_filesz, zeroes. First the rest of the
		 * last file page (it holds whatever the file has next)... */
		if (!dry_run && bss) {
			memset((void *)zero, 0, file_end - zero);
			if (mprotect((void *)start, file_end - start,
				     prot(s->p_flags)) < 0)
				mt_die("mprotect: segment %d of %s", i,
				       im->path);
		}
		/* ...then whole pages of anonymous memory, zero already. */
		if (mem_end > file_end) {
			row(im, file_end, mem_end, s->p_flags, "bss");
			if (!dry_run &&
			    mmap((void *)file_end, mem_end - file_end,
				 prot(s->p_flags), flags | MAP_ANONYMOUS, -1,
				 0) != (void *)file_end)
				mt_die("mmap: bss of %s at 0x%lx", im->path,
				       (unsigned long)file_end);
		}
	}
	/* Where the program headers are in memory: PT_PHDR says, or find
	 * the segment whose file range holds e_phoff. */
	im->phdr = 0;
	for (i = 0; i < im->eh.e_phnum; i++) {
		Elf64_Phdr *s = &im->ph[i];

		if (s->p_type == PT_PHDR)
			im->phdr = im->base + s->p_vaddr;
		else if (s->p_type == PT_LOAD && !im->phdr &&
			 im->eh.e_phoff >= s->p_offset &&
			 im->eh.e_phoff - s->p_offset < s->p_filesz)
			im->phdr = im->base + s->p_vaddr +
				   (im->eh.e_phoff - s->p_offset);
	}
	im->entry = im->base + im->eh.e_entry;
}

/* --- the stack ------------------------------------------------------------ */

/* Built from the top down, as the kernel does: the strings, 16 random
 * bytes, then (16-byte aligned, at the new stack pointer) argc, argv[],
 * NULL, envp[], NULL and the auxiliary vector, pairs of (type, value)
 * ending with AT_NULL. */
static uintptr_t stack_lo, stack_hi;
static Elf64_auxv_t auxv[24];
static int nauxv;

static uintptr_t scratch_end;	/* argv and envp pointers, kept low */
static void aux(unsigned long type, uintptr_t value);

/* What describes the machine and this process rather than the program
 * (CPU features, clock ticks, the vDSO, a setuid-like start) is passed on
 * from the vector the kernel gave elfload itself, read from
 * /proc/self/auxv: not from getauxval(), which answers with libc's idea
 * (glibc on x86_64 says AT_HWCAP is 2, not the kernel's feature bits). */
static void pass_on_from_kernel(void)
{
	static const unsigned long types[] = {
		AT_FLAGS, AT_SECURE, AT_HWCAP, AT_HWCAP2, AT_CLKTCK,
		AT_SYSINFO_EHDR, 51 /* AT_MINSIGSTKSZ, Linux 5.14 on */,
	};
	static Elf64_auxv_t k[64];
	ssize_t n;
	size_t i, j;
	int fd;

	fd = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		mt_die("/proc/self/auxv");
	n = read(fd, k, sizeof(k) - sizeof(k[0]));	/* the last stays 0 */
	if (n < 0)
		mt_die("read /proc/self/auxv");
	close(fd);
	for (j = 0; j < sizeof(types) / sizeof(types[0]); j++)
		for (i = 0; k[i].a_type != AT_NULL; i++)
			if (k[i].a_type == types[j]) {
				aux(types[j], k[i].a_un.a_val);
				break;
			}
}

static char *push(char **sp, const void *data, size_t n)
{
	if ((uintptr_t)*sp - scratch_end < n + 65536)
		mt_fail("the arguments and environment do not fit the stack");
	*sp -= n;
	memcpy(*sp, data, n);
	return *sp;
}

static void aux(unsigned long type, uintptr_t value)
{
	auxv[nauxv].a_type = type;
	auxv[nauxv++].a_un.a_val = value;
}

static uintptr_t build_stack(int argc, char **argv)
{
	extern char **environ;
	struct rlimit rl;
	size_t size = 8 << 20, n, i, envc = 0;
	char *sp, *execfn, *platform, *rnd, **args, **envs;
	unsigned char random[16];
	uintptr_t *v;
	void *p;

	/* 8 MiB as the kernel's default, less if RLIMIT_STACK says so. */
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur < size &&
	    rl.rlim_cur >= 256 << 10)
		size = (size_t)rl.rlim_cur;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		mt_die("mmap: a stack of %zu bytes", size);
	stack_lo = (uintptr_t)p;
	stack_hi = stack_lo + size;
	while (environ[envc])
		envc++;
	args = (char **)(stack_lo + 16);	/* scratch: pointers first */
	envs = args + argc + 1;
	if ((envc + argc + 2) * sizeof(char *) > size / 4)
		mt_fail("too many arguments and environment variables");
	scratch_end = (uintptr_t)(envs + envc + 1);
	sp = (char *)stack_hi;
	execfn = push(&sp, prog.path, strlen(prog.path) + 1);
	for (i = envc; i-- > 0;)
		envs[i] = push(&sp, environ[i], strlen(environ[i]) + 1);
	for (i = (size_t)argc; i-- > 0;)
		args[i] = push(&sp, argv[i], strlen(argv[i]) + 1);
	platform = push(&sp, PLATFORM_NAME, sizeof(PLATFORM_NAME));
	if (getrandom(random, sizeof(random), 0) != sizeof(random))
		mt_die("getrandom");
	rnd = push(&sp, random, sizeof(random));

	aux(AT_PHDR, prog.phdr);	/* the program's program headers */
	aux(AT_PHENT, sizeof(Elf64_Phdr));
	aux(AT_PHNUM, prog.eh.e_phnum);
	aux(AT_PAGESZ, mt_pagesize());
	aux(AT_BASE, ld.base);	/* where the interpreter is; 0: none */
	aux(AT_ENTRY, prog.entry);	/* where ld.so jumps when done */
	aux(AT_UID, getuid());
	aux(AT_EUID, geteuid());
	aux(AT_GID, getgid());
	aux(AT_EGID, getegid());
	aux(AT_RANDOM, (uintptr_t)rnd);	/* seeds the stack protector */
	aux(AT_PLATFORM, (uintptr_t)platform);
	aux(AT_EXECFN, (uintptr_t)execfn);
	pass_on_from_kernel();	/* AT_HWCAP, AT_SYSINFO_EHDR (the vDSO)... */
	aux(AT_NULL, 0);

	/* Words: argc, argv + NULL, envp + NULL, the vector. An odd count
	 * takes one more word below, so that sp is 16-byte aligned. */
	n = 1 + (size_t)argc + 1 + envc + 1 + 2 * (size_t)nauxv;
	if ((uintptr_t)sp - scratch_end < n * sizeof(uintptr_t) + 16)
		mt_fail("the arguments and environment do not fit the stack");
	sp = (char *)((uintptr_t)(sp - n * sizeof(uintptr_t)) & ~(uintptr_t)15);
	v = (uintptr_t *)sp;
	*v++ = (uintptr_t)argc;
	for (i = 0; i < (size_t)argc; i++)
		*v++ = (uintptr_t)args[i];
	*v++ = 0;
	for (i = 0; i < envc; i++)
		*v++ = (uintptr_t)envs[i];
	*v++ = 0;
	memcpy(v, auxv, (size_t)nauxv * sizeof(auxv[0]));
	memset(args, 0, (envc + argc + 2) * sizeof(char *));
	return (uintptr_t)sp;
}

static const char *aux_name(unsigned long t)
{
	switch (t) {
	case AT_PHDR: return "AT_PHDR       program headers, in memory";
	case AT_PHENT: return "AT_PHENT      size of one";
	case AT_PHNUM: return "AT_PHNUM      how many";
	case AT_PAGESZ: return "AT_PAGESZ     page size";
	case AT_BASE: return "AT_BASE       interpreter's base (0: none)";
	case AT_FLAGS: return "AT_FLAGS";
	case AT_ENTRY: return "AT_ENTRY      the program's entry point";
	case AT_UID: return "AT_UID";
	case AT_EUID: return "AT_EUID";
	case AT_GID: return "AT_GID";
	case AT_EGID: return "AT_EGID";
	case AT_SECURE: return "AT_SECURE     setuid-like start (1: yes)";
	case AT_RANDOM: return "AT_RANDOM     16 random bytes";
	case AT_HWCAP: return "AT_HWCAP      CPU features";
	case AT_HWCAP2: return "AT_HWCAP2     more CPU features";
	case AT_CLKTCK: return "AT_CLKTCK     clock ticks per second";
	case AT_PLATFORM: return "AT_PLATFORM   \"" PLATFORM_NAME "\"";
	case AT_EXECFN: return "AT_EXECFN     the program's path";
	case AT_SYSINFO_EHDR: return "AT_SYSINFO_EHDR  the vDSO";
	case 51: return "AT_MINSIGSTKSZ   smallest signal stack";
	}
	return "AT_NULL       the end";
}

/* Addresses in hex, counts and sizes in decimal. */
static void print_aux(const Elf64_auxv_t *a)
{
	char v[24];
	unsigned long t = a->a_type, x = a->a_un.a_val;

	if (t == AT_PHDR || t == AT_BASE || t == AT_ENTRY || t == AT_RANDOM ||
	    t == AT_HWCAP || t == AT_HWCAP2 || t == AT_PLATFORM ||
	    t == AT_EXECFN || t == AT_SYSINFO_EHDR)
		snprintf(v, sizeof(v), "0x%lx", x);
	else
		snprintf(v, sizeof(v), "%lu", x);
	printf("  %-18s %s\n", v, aux_name(t));
}

/* --- the jump ------------------------------------------------------------- */

/* Point the stack pointer at argc and jump. The register the ABI reserves
 * for a function to run at exit (rdx, x0) must be 0: there is none. */
static void __attribute__((noreturn)) jump(uintptr_t sp, uintptr_t entry)
{
#if defined(__x86_64__)
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "mov %1, %%rax\n\t"
			 "xor %%edx, %%edx\n\t"
			 "jmp *%%rax" : : "r"(sp), "r"(entry) : "memory");
#elif defined(__aarch64__)
	__asm__ volatile("mov sp, %0\n\t"
			 "mov x16, %1\n\t"
			 "mov x0, xzr\n\t"
			 "br x16" : : "r"(sp), "r"(entry) : "memory");
#else
	(void)sp;
	(void)entry;
#endif
	__builtin_unreachable();
}

int main(int argc, char **argv)
{
	static char sample[PATH_MAX];
	char *dflt[] = { sample, NULL }, **args;
	struct image *who;
	uintptr_t sp;
	int fd, i, nargs;

	mt_init(argv);
	options(argc, argv);
#ifndef MACHINE
	if (!dry_run)
		mt_fail("the jump into a loaded program is written for x86_64 "
			"and aarch64 only; on this machine try --dry-run");
#endif
	nargs = argc - optind;
	args = argv + optind;
	if (nargs == 0) {	/* elf/hello_static, beside this program */
		snprintf(sample, sizeof(sample), "%s",
			 mt_beside("hello_static"));
		args = dflt;
		nargs = 1;
	}

	/* 1. The headers: what to map, and is there an interpreter? */
	fd = read_headers(&prog, args[0]);
	if (!quiet) {
		printf("program: %s\n", args[0]);
		printf("type: %s\n", prog.eh.e_type == ET_EXEC ?
		       "EXEC (goes at the addresses written in the file)" :
		       "DYN (goes at a base the loader picks)");
		printf("interpreter: %s\n", prog.interp[0] ? prog.interp :
		       "none (statically linked)");
		printf("\nmappings (start and end from the object's base; "
		       "address = base + start)\n");
		printf("  object               start       end         perms "
		       "offset    address\n");
	}
	/* 2. Map the program's segments, then the interpreter's. */
	map_segments(&prog, fd);
	close(fd);
	if (prog.interp[0]) {
		fd = read_headers(&ld, prog.interp);
		map_segments(&ld, fd);
		close(fd);
	}
	if (dry_run) {
		printf("\nentry point: base + 0x%lx (%s)\n",
		       (unsigned long)(ld.path ? ld.eh.e_entry :
				       prog.eh.e_entry),
		       ld.path ? ld.name : prog.name);
		printf("dry run: nothing was mapped, nothing runs\n");
		return 0;
	}
	/* 3. A new stack, as the kernel would build it. */
	sp = build_stack(nargs, args);
	who = ld.path ? &ld : &prog;
	if (!quiet) {
		printf("\nbase of %s: 0x%lx\n", prog.name,
		       (unsigned long)prog.base);
		if (ld.path)
			printf("base of %s: 0x%lx\n", ld.name,
			       (unsigned long)ld.base);
		printf("new stack: 0x%lx-0x%lx rw-p, %zu (%s)\n",
		       (unsigned long)stack_lo, (unsigned long)stack_hi,
		       (size_t)(stack_hi - stack_lo),
		       mt_human(stack_hi - stack_lo));
		printf("stack pointer: 0x%lx (argc %d, then argv, envp, "
		       "the auxiliary vector)\n", (unsigned long)sp, nargs);
		printf("\nauxiliary vector\n  value              type\n");
		for (i = 0; i < nauxv; i++)
			print_aux(&auxv[i]);
		printf("\njumping to 0x%lx, the entry point of %s;\n"
		       "what follows is %s's own output:\n",
		       (unsigned long)who->entry, who->name, prog.name);
	}
	/* 4. Jump. */
	mt_pause("%s is mapped, its stack built; try: grep -A1 -F -e '%s' "
		 "-e '%s' /proc/%d/maps", prog.name, prog.real,
		 ld.path ? ld.real : prog.real, (int)getpid());
	mt_check_stdout();	/* our own buffer, empty before it goes */
	jump(sp, who->entry);
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		MT_COMMON_OPTIONS
	};
	int c;

	mt_usage = "[-n] [-q] [--step] [PROGRAM [ARG...]]";
	mt_help = "\nRuns PROGRAM (default: elf/hello_static) without execve: "
		"maps its PT_LOAD\nsegments and its interpreter, builds a "
		"stack with argc, argv, envp and the\nauxiliary vector, and "
		"jumps to the entry point. PROGRAM is a path.\n\n"
		"  -n, --dry-run   print the mappings it would make, relative "
		"to the base\n"
		"  -q, --quiet     print nothing of its own: only the "
		"program's output\n"
		"      --step      pause before the jump, to read "
		"/proc/PID/maps\n"
		"  -h, --help      this help\n\n"
		"Options after PROGRAM are the program's. Exit status: the "
		"program's, or\n1 when it cannot be loaded, 2 usage.\n";
	while ((c = mt_getopt(argc, argv, "+nq", longopts)) != -1)
		switch (c) {
		case 'n':
			dry_run = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		}
}
