/* SPDX-License-Identifier: MIT */
/* hello.c - one small program, built dynamic and static
 *
 * The Makefile builds this file twice:
 *	elf/hello          dynamically linked, position-independent (PIE):
 *	                   the kernel starts the dynamic linker named in its
 *	                   PT_INTERP, which maps libc and then runs main
 *	elf/hello_static   linked with -static: libc is inside the file, there
 *	                   is no interpreter, the kernel jumps straight in
 * It prints its arguments, its process ID and a few addresses, and whether
 * a dynamic linker started it (AT_BASE in the auxiliary vector the kernel,
 * or elf/elfload, put on its stack).
 *
 * Run it:
 *	elf/hello a b c; elf/hello_static a b c
 *	elf/elfload elf/hello a b c       the same, loaded without execve
 * and compare the two builds:
 *	ls -l elf/hello elf/hello_static; readelf -d elf/hello_static
 *	elf/hello_static --step           then grep -c . /proc/PID/maps
 *	elf/startup                       both, measured
 */
#include "../res/memtour.h"
#include <sys/auxv.h>

int a_global = 42;	/* in .data */

int main(int argc, char **argv)
{
	int a_local = 0, i;
	unsigned long interp = getauxval(AT_BASE);

	mt_init(argv);
	mt_usage = "[--step] [ARG...]";
	mt_help = "\nPrints its arguments, its process ID, a few addresses "
		  "and who started it.\n\n"
		  "      --step    pause once main runs\n"
		  "  -h, --help    this help\n";
	mt_getopt(argc, argv, "+", (const struct option[]){
		MT_COMMON_OPTIONS });
	printf("argc: %d\n", argc);
	for (i = 0; i < argc; i++)
		printf("argv[%d]: %s\n", i, argv[i]);
	printf("pid: %d\n", (int)getpid());
	printf("main: %p\n", (void *)main);
	printf("a global: %p\n", (void *)&a_global);
	printf("a local: %p\n", (void *)&a_local);
	if (interp)
		printf("dynamic linker at: 0x%lx\n", interp);
	else
		printf("dynamic linker at: none (statically linked)\n");
	mt_pause("main is running; try: cat /proc/%d/maps", (int)getpid());
	return 0;
}
