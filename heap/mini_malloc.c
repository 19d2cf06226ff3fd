/* SPDX-License-Identifier: MIT */
/* mini_malloc.c - a small malloc of our own: arenas, block headers, bins
 *
 * malloc is an ordinary library, not part of the kernel. This one maps
 * 1 MiB "arenas" with mmap and cuts them into blocks, each with a 16-byte
 * header (the size of the block before, its own size), so free can merge a
 * block with free neighbours. Free blocks wait in bins, one per exact size
 * up to 1008 bytes, then four per power of two; a bitmap says which bins
 * hold a block, so malloc never walks a list. Blocks of 128 KiB and more
 * get a mapping of their own, given back by free (munmap).
 *
 * What you will see: arena 0's blocks after each call, as their headers
 * say, and the kernel's maps line for the arena and for a large block.
 *	heap/mini_malloc [--step]    the scripted calls; --step pauses
 *	heap/mini_malloc --bench     the same random calls, libc's and ours
 * The same file builds a malloc for any program (make heap/mini_malloc.so):
 *	LD_PRELOAD=$PWD/heap/mini_malloc.so cat /proc/self/maps    no [heap]
 *	strace -e trace=mmap,munmap,mremap heap/mini_malloc    the kernel calls
 */
#include "../res/memtour.h"	/* first: it defines _GNU_SOURCE */
#include <pthread.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>

/* === The allocator. Nothing in it may allocate (no printf, no stdio): in
 * the library build it IS malloc, and a call to malloc would call itself. */

#define ALIGNMENT	16			/* payloads are 16-aligned */
#define ARENA_SIZE	((size_t)1 << 20)	/* one arena: 1 MiB */
#define LARGE_MIN	((size_t)128 << 10)	/* from here on: own mapping */
#define MAX_REQUEST	((size_t)PTRDIFF_MAX - ARENA_SIZE) /* or ENOMEM */

#ifndef PR_SET_VMA			/* name a mapping (Linux 5.17+) */
#define PR_SET_VMA		0x53564d41
#define PR_SET_VMA_ANON_NAME	0
#endif

_Static_assert(ALIGNMENT >= _Alignof(max_align_t),
	       "payloads must be aligned for any type");

static size_t align_up(size_t n, size_t a)	/* a: a power of two */
{
	return (n + a - 1) & ~(a - 1);
}

/* Something is badly wrong (a double free): say so with write(2) alone,
 * because printf could call malloc, which is us. */
static void fatal(const char *msg)
{
	if (write(STDERR_FILENO, msg, strlen(msg)) < 0)
		abort();	/* we abort anyway: nothing else to do */
	abort();
}

/* 1. Blocks. An arena is a row of blocks, one right after the other:
 *
 *   +-----------+-----------+-------------------------------+
 *   | prev_size |   size  F | payload (what malloc returns) |
 *   +-----------+-----------+-------------------------------+
 *   0           8           16                              size
 *
 * size is a multiple of 16, so its low 4 bits are free for flags F:
 * INUSE (allocated) and MMAPPED (a large block with a mapping of its own).
 * A free block keeps the links of its bin's list in the first 16 bytes of
 * its payload; so no block is smaller than 32 bytes. */

struct block {
	size_t prev_size;	/* size of the block before; 0: none */
	size_t size;		/* size of this block | flags */
	struct block *next;	/* free blocks only: the bin's list */
	struct block *prev;
};

#define HDR_SIZE	offsetof(struct block, next)	/* 16 bytes */
#define MIN_BLOCK	sizeof(struct block)		/* 32 bytes */
#define INUSE		((size_t)1)
#define MMAPPED		((size_t)2)
#define FLAGS		((size_t)ALIGNMENT - 1)

_Static_assert(HDR_SIZE == ALIGNMENT, "this layout wants a 64-bit system");

/* Reading a header, and stepping from a block to its neighbours. */
#define block_size(b)	((b)->size & ~FLAGS)
#define in_use(b)	(((b)->size & INUSE) != 0)
#define payload(b)	((void *)((char *)(b) + HDR_SIZE))
#define block_of(p)	((struct block *)((char *)(p) - HDR_SIZE))
#define next_block(b)	((struct block *)((char *)(b) + block_size(b)))
#define prev_block(b)	((struct block *)((char *)(b) - (b)->prev_size))

/* Give an arena block a size and state, and tell the block after it. */
static void set_block(struct block *b, size_t size, size_t flags)
{
	b->size = size | flags;
	next_block(b)->prev_size = size;
}

/* The block size that holds n bytes of payload; 0 if n is absurd. */
static size_t block_size_for(size_t n)
{
	if (n > MAX_REQUEST)
		return 0;
	n = align_up(n + HDR_SIZE, ALIGNMENT);
	return n < MIN_BLOCK ? MIN_BLOCK : n;
}

/* 2. Bins. A request must find a free block that fits in a time that does
 * not grow with the heap. Blocks under 1024 bytes go to exact bins: bin 0
 * holds only 32-byte blocks, bin 1 only 48, ... bin 61 only 1008: any
 * block there fits a request of that size. Bigger blocks go to range bins,
 * four for each power of two: 1024..1279, 1280..1535, 1536..1791,
 * 1792..2047, 2048..2559, ... A bit per bin in the bitmap says whether
 * the bin holds a block, so the next bin that does is one instruction
 * away (count trailing zeros), never a walk along a list. */

#define SMALL_END	1024			/* exact bins below this */
#define NSMALL		(SMALL_END / ALIGNMENT - 2)	/* 62 */
#define NBINS		(NSMALL + 4 * 10)	/* ranges 2^10 .. 2^20 */

static struct block *bins[NBINS];	/* each a list, newest first */
static uint64_t bitmap[(NBINS + 63) / 64];	/* bit i: bins[i] not empty */

static int bin_index(size_t size)
{
	int log2, i;

	if (size < SMALL_END)
		return (int)(size / ALIGNMENT) - 2;
	log2 = 63 - __builtin_clzll((unsigned long long)size);
	i = NSMALL + (log2 - 10) * 4 + (int)((size >> (log2 - 2)) & 3);
	return i < NBINS ? i : NBINS - 1;
}

static void bin_insert(struct block *b)
{
	int i = bin_index(block_size(b));

	b->prev = NULL;
	b->next = bins[i];
	if (bins[i])
		bins[i]->prev = b;
	bins[i] = b;
	bitmap[i / 64] |= (uint64_t)1 << (i % 64);
}

static void bin_remove(struct block *b)
{
	int i = bin_index(block_size(b));

	if (b->prev)
		b->prev->next = b->next;
	else
		bins[i] = b->next;
	if (b->next)
		b->next->prev = b->prev;
	if (!bins[i])
		bitmap[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* The first bin from i on that holds a block, or -1. */
static int next_full_bin(int i)
{
	for (; i < NBINS; i = (i / 64 + 1) * 64) {
		uint64_t bits = bitmap[i / 64] >> (i % 64);

		if (bits)
			return i + __builtin_ctzll(bits);
	}
	return -1;
}

/* A free block of at least need bytes, taken off its bin. Its own bin
 * first: an exact bin's blocks all fit; of a range bin's we look at the
 * first only. Else the first block of the next bin that holds one: every
 * block there is bigger than need. */
static struct block *take_free_block(size_t need)
{
	int i = bin_index(need);
	struct block *b = bins[i];

	if (!b || block_size(b) < need) {
		i = next_full_bin(i + 1);
		if (i < 0)
			return NULL;
		b = bins[i];
	}
	bin_remove(b);
	return b;
}

/* 3. Arenas. An arena is one anonymous mapping of ARENA_SIZE bytes:
 *
 *   +-------+---------+---------+-- ... --+---------+-------+
 *   | arena | block 0 | block 1 |         | block n | fence |
 *   +-------+---------+---------+-- ... --+---------+-------+
 *
 * The arena header links all arenas together. The fence is a
 * header of size 0 marked INUSE: the last block never merges past the
 * end. Block 0 has prev_size 0: nothing before it. Arenas are never given
 * back, only large blocks are. */

struct arena {
	struct arena *next;	/* all arenas, newest first */
};

#define ARENA_HDR	align_up(sizeof(struct arena), ALIGNMENT)

static struct arena *arenas;
static int vma_names = -1;	/* did naming work? -1: not tried yet */

/* Name a mapping in /proc/PID/maps where the kernel can (5.17+ with
 * CONFIG_ANON_VMA_NAME); else it stays unnamed. */
static int name_mapping(void *addr, size_t len, const char *name)
{
	int ok, saved_errno = errno;

	ok = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)addr,
		   len, (unsigned long)name) == 0;
	errno = saved_errno;	/* malloc must not change errno on success */
	return ok;
}

/* Map a new arena. Its one big free block is returned, not put in a bin. */
static struct block *arena_new(void)
{
	struct arena *a;
	struct block *first, *fence;
	size_t size = ARENA_SIZE - ARENA_HDR - HDR_SIZE;

	a = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return NULL;		/* errno is ENOMEM */
	a->next = arenas;
	arenas = a;
	vma_names = name_mapping(a, ARENA_SIZE, "mini_malloc arena");

	first = (struct block *)((char *)a + ARENA_HDR);
	fence = (struct block *)((char *)first + size);
	first->prev_size = 0;
	fence->size = 0 | INUSE;
	set_block(first, size, INUSE);	/* also sets fence->prev_size */
	return first;
}

/* 4. Splitting and merging */

/* Put block b into a bin, merged with any free neighbour. */
static void release_block(struct block *b)
{
	size_t size = block_size(b);
	struct block *next = next_block(b);

	b->size = size;		/* free now, even if merged into prev below */
	if (!in_use(next)) {				/* merge forward */
		bin_remove(next);
		size += block_size(next);
	}
	if (b->prev_size && !in_use(prev_block(b))) {	/* merge backward */
		b = prev_block(b);
		bin_remove(b);
		size += block_size(b);
	}
	set_block(b, size, 0);
	bin_insert(b);
}

/* Cut the in-use block b down to need bytes; the rest becomes free. A rest
 * too small to be a block stays with b (malloc_usable_size shows it). */
static void shrink_block(struct block *b, size_t need)
{
	size_t size = block_size(b);
	struct block *rest;

	if (size - need < MIN_BLOCK)
		return;
	set_block(b, need, INUSE);
	rest = next_block(b);
	set_block(rest, size - need, INUSE);
	release_block(rest);
}

/* Grow (or shrink) the in-use block b to need bytes without moving it,
 * by taking from the next block if that one is free. 1: done. */
static int resize_in_place(struct block *b, size_t need)
{
	size_t size = block_size(b);
	struct block *next = next_block(b);

	if (size < need) {
		if (in_use(next) || size + block_size(next) < need)
			return 0;
		bin_remove(next);
		set_block(b, size + block_size(next), INUSE);
	}
	shrink_block(b, need);
	return 1;
}

/* A block of need bytes from some arena (need < LARGE_MIN). Lock held. */
static void *arena_alloc(size_t need)
{
	struct block *b = take_free_block(need);

	if (!b && !(b = arena_new()))
		return NULL;
	set_block(b, block_size(b), INUSE);
	shrink_block(b, need);
	return payload(b);
}

/* 5. Large blocks: a mapping each. prev_size says how far the header
 * sits from the start of the mapping (more than 0 only when memalign
 * asked for a big alignment), size how far from there to the end. No
 * other block is involved, so these need no lock. */

static void *large_alloc(size_t need, size_t align)
{
	size_t len, pad = align > ALIGNMENT ? align : 0;
	char *map, *p;
	struct block *b;

	if (need > MAX_REQUEST - pad) {
		errno = ENOMEM;
		return NULL;
	}
	len = align_up(need + pad, mt_pagesize());
	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return NULL;		/* errno is ENOMEM */
	name_mapping(map, len, "mini_malloc large");
	p = map + HDR_SIZE;
	if (pad)
		p = (char *)align_up((uintptr_t)p, align);
	b = block_of(p);
	b->prev_size = (size_t)((char *)b - map);
	b->size = (len - b->prev_size) | INUSE | MMAPPED;
	return p;
}

static void large_free(struct block *b)
{
	int saved_errno = errno;

	if (munmap((char *)b - b->prev_size, b->prev_size + block_size(b)))
		fatal("mini_malloc: free(): munmap failed (bad pointer?)\n");
	errno = saved_errno;
}

/* Resize a large block by asking the kernel to move its pages: mremap
 * changes page tables and copies no bytes. NULL: the caller moves it. */
static void *large_resize(struct block *b, size_t need)
{
	size_t len = align_up(need, mt_pagesize());

	if (b->prev_size != 0 || need < LARGE_MIN)
		return NULL;		/* aligned, or small now: move */
	if (len != block_size(b)) {
		b = mremap(b, block_size(b), len, MREMAP_MAYMOVE);
		if (b == MAP_FAILED)
			return NULL;
		b->size = len | INUSE | MMAPPED;
	}
	return payload(b);
}

/* 6. One lock, and fork. Threads share the bins and arenas: one mutex
 * guards them all. fork() copies memory but only the calling thread: if
 * another thread held the lock then, the child would wait for it forever.
 * So the lock is taken just before fork and released after, in parent and
 * child. */

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;

static void lock(void) { pthread_mutex_lock(&heap_lock); }
static void unlock(void) { pthread_mutex_unlock(&heap_lock); }

__attribute__((constructor)) static void mm_init(void)
{
	mt_pagesize();		/* asked once, before any thread runs */
	pthread_atfork(lock, unlock, unlock);
}

/* 7. The interface: mm_malloc, mm_free, ... (the library build exports
 * them as malloc, free, ...) */

static void *mm_malloc(size_t n)
{
	size_t need = block_size_for(n);
	void *p;

	if (!need) {
		errno = ENOMEM;
		return NULL;
	}
	if (need >= LARGE_MIN)
		return large_alloc(need, ALIGNMENT);
	lock();
	p = arena_alloc(need);
	unlock();
	return p;
}

static void mm_free(void *p)
{
	struct block *b;

	if (!p)
		return;
	b = block_of(p);
	/* Cheap sanity checks, like glibc's "free(): invalid pointer". */
	if ((uintptr_t)p % ALIGNMENT)
		fatal("mini_malloc: free(): pointer not 16-aligned\n");
	if (!in_use(b))
		fatal("mini_malloc: free(): block not in use (double free?)\n");
	if (b->size & MMAPPED) {
		large_free(b);
		return;
	}
	lock();
	release_block(b);
	unlock();
}

static void *mm_calloc(size_t nmemb, size_t size)
{
	size_t n;
	void *p;

	if (__builtin_mul_overflow(nmemb, size, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	p = mm_malloc(n);
	/* A fresh mapping is zero already: the kernel saw to that. */
	if (p && !(block_of(p)->size & MMAPPED))
		memset(p, 0, n);
	return p;
}

static size_t mm_malloc_usable_size(void *p)
{
	return p ? block_size(block_of(p)) - HDR_SIZE : 0;
}

static void *mm_realloc(void *p, size_t n)
{
	size_t need = block_size_for(n), old;
	struct block *b;
	void *q = NULL;
	int done;

	if (!p)
		return mm_malloc(n);
	if (n == 0) {			/* as glibc: free, return NULL */
		mm_free(p);
		return NULL;
	}
	if (!need) {
		errno = ENOMEM;
		return NULL;
	}
	b = block_of(p);
	if (b->size & MMAPPED) {
		q = large_resize(b, need);
	} else if (need < LARGE_MIN) {
		lock();
		done = resize_in_place(b, need);
		unlock();
		q = done ? p : NULL;
	}
	if (q)
		return q;
	/* It cannot stay: malloc, copy, free. On failure p stays valid. */
	q = mm_malloc(n);
	if (!q)
		return NULL;
	old = mm_malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	mm_free(p);
	return q;
}

/* A payload whose address is a multiple of align. posix_memalign,
 * aligned_alloc, valloc and pvalloc below all end up here. */
static void *mm_memalign(size_t align, size_t n)
{
	size_t need = block_size_for(n), room;
	struct block *b, *ab;
	char *p, *q;

	if (!need || need > MAX_REQUEST - 2 * MIN_BLOCK ||
	    align > MAX_REQUEST - 2 * MIN_BLOCK - need) {
		errno = ENOMEM;
		return NULL;
	}
	if (align & (align - 1))	/* as glibc: round up to 2^k */
		align = (size_t)1 << (64 - __builtin_clzll(align));
	if (align <= ALIGNMENT)
		return mm_malloc(n);
	room = need + align + 2 * MIN_BLOCK;
	if (room >= LARGE_MIN)
		return large_alloc(need, align);
	/* Take a block with room to spare, find an aligned payload at least
	 * MIN_BLOCK bytes in, give the piece in front back, then cut the
	 * block to need (the room left behind is always a block). */
	lock();
	p = arena_alloc(room);
	if (p && (uintptr_t)p % align) {
		/*   b                 ab
		 *   | hdr | front ... | hdr | aligned payload q ...    |
		 *   '-- back to a bin  '-- ours, cut down to need */
		q = (char *)align_up((uintptr_t)p + MIN_BLOCK, align);
		b = block_of(p);
		ab = block_of(q);
		set_block(ab, block_size(b) - (size_t)(q - p), INUSE);
		set_block(b, (size_t)(q - p), INUSE);
		release_block(b);
		p = q;
	}
	if (p)
		shrink_block(block_of(p), need);
	unlock();
	return p;
}

static int mm_posix_memalign(void **pp, size_t align, size_t n)
{
	int saved_errno = errno;
	void *p;

	if (align % sizeof(void *) || (align & (align - 1)) || !align)
		return EINVAL;
	p = mm_memalign(align, n);
	if (!p) {
		errno = saved_errno;	/* it returns the error instead */
		return ENOMEM;
	}
	*pp = p;
	return 0;
}

static void *mm_aligned_alloc(size_t align, size_t n)
{
	if (align & (align - 1) || !align) {
		errno = EINVAL;
		return NULL;
	}
	return mm_memalign(align, n);
}

static void *mm_valloc(size_t n) { return mm_memalign(mt_pagesize(), n); }

static void *mm_pvalloc(size_t n)	/* n rounded up to whole pages */
{
	size_t ps = mt_pagesize();

	return mm_memalign(ps, n > MAX_REQUEST ? n : align_up(n + !n, ps));
}

#ifdef MINI_MALLOC_LIB
/* 8. The library build: the real names. With LD_PRELOAD=mini_malloc.so
 * these come first, so the program, libc and every library call ours. */

void *malloc(size_t n) { return mm_malloc(n); }
void free(void *p) { mm_free(p); }
void *calloc(size_t nmemb, size_t size) { return mm_calloc(nmemb, size); }
void *realloc(void *p, size_t n) { return mm_realloc(p, n); }
void *memalign(size_t align, size_t n) { return mm_memalign(align, n); }
void *valloc(size_t n) { return mm_valloc(n); }
void *pvalloc(size_t n) { return mm_pvalloc(n); }
size_t malloc_usable_size(void *p) { return mm_malloc_usable_size(p); }

void *aligned_alloc(size_t a, size_t n) { return mm_aligned_alloc(a, n); }
int posix_memalign(void **pp, size_t a, size_t n)
{
	return mm_posix_memalign(pp, a, n);
}

#else /* the demo */
/* === The demo: an ordinary program from here on. printf may use the C
 * library's malloc; our allocator is reached through its mm_ names. */

#include <time.h>

static long bench_ops;		/* --bench: calls to time (0: the demo) */
static void options(int argc, char **argv);

static const char *names[] = { "a", "b", "c", "d", "x", "y" };
static char *named[6];		/* the demo's blocks, by name */

/* Every block of arena 0 (the demo needs no other), walked by its
 * headers as free does, up to the fence. */
static void print_blocks(void)
{
	struct block *b = (struct block *)((char *)arenas + ARENA_HDR);
	size_t used = 0, freed = 0;
	int i;

	printf("block           size     state  bin  name\n");
	for (; block_size(b) != 0; b = next_block(b)) {
		const char *name = "-";

		for (i = 0; i < 6; i++)
			if (named[i] == payload(b))
				name = names[i];
		if (in_use(b))
			printf("0x%-13lx %-8zu used   -    %s\n",
			       (unsigned long)b, block_size(b), name);
		else
			printf("0x%-13lx %-8zu free   %-4d -\n",
			       (unsigned long)b, block_size(b),
			       bin_index(block_size(b)));
		*(in_use(b) ? &used : &freed) += block_size(b);
	}
	printf("in use: %zu, free: %zu (headers included)\n", used, freed);
	printf("bins with a block (bitmap):");
	for (i = next_full_bin(0); i >= 0; i = next_full_bin(i + 1))
		printf(" %d", i);
	printf("\n");
}

/* The kernel's maps line holding [p, p + len): a mapping of its own? */
static void print_mapping(const void *p, size_t len, struct mt_mapping *m)
{
	if (mt_maps_find(0, p, m) < 0)
		mt_die("/proc/self/maps");
	printf("maps line: %s\n  (%s)\n", m->line,
	       m->start == (uintptr_t)p && m->end == (uintptr_t)p + len ?
	       "a mapping of its own" :
	       "merged with a neighbour: the same permissions, no name");
}

/* The large block big: where it is, and its maps line. */
static void print_big(char *big, struct mt_mapping *m)
{
	struct block *b = block_of(big);

	printf("big: 0x%lx, block 0x%lx, size %zu\n", (unsigned long)big,
	       (unsigned long)b, block_size(b));
	print_mapping(b, block_size(b), m);
}

/* A pause whose try: command shows the header of block b. */
static void pause_header(const char *what, void *b)
{
	mt_pause("%s; try: xxd -e -g8 -s 0x%lx -l32 /proc/%d/mem", what,
		 (unsigned long)b, (int)getpid());
}

/* The aligned family, calloc and the edge cases. calloc gets a block that
 * held something: 8000 bytes of 0xa5, freed just before. */
static void show_aligned_and_edges(void)
{
	static const char *call[] = { "posix_memalign(64, 100)",
		"aligned_alloc(1024, 2048)", "memalign(256, 10)",
		"valloc(100)", "pvalloc(100)", "calloc(1000, 8)" };
	size_t align[] = { 64, 1024, 256, mt_pagesize(), mt_pagesize(), 16 };
	void *p[6] = { NULL }, *z, *dirty;
	int i;

	mm_posix_memalign(&p[0], 64, 100);
	p[1] = mm_aligned_alloc(1024, 2048);
	p[2] = mm_memalign(256, 10);
	p[3] = mm_valloc(100);
	p[4] = mm_pvalloc(100);
	if (!(dirty = mm_malloc(8000)))
		mt_die("malloc(8000)");
	memset(dirty, 0xa5, 8000);
	mm_free(dirty);
	p[5] = mm_calloc(1000, 8);
	printf("call                       address         aligned  usable\n");
	for (i = 0; i < 6; i++) {
		if (!p[i])
			mt_die("%s", call[i]);
		printf("%-26s 0x%-13lx %-8s %zu\n", call[i],
		       (unsigned long)p[i],
		       (uintptr_t)p[i] % align[i] ? "NO" : "yes",
		       mm_malloc_usable_size(p[i]));
	}
	printf("before calloc: malloc(8000) at 0x%lx, filled with 0xa5, "
	       "freed\n", (unsigned long)dirty);
	/* All zero: the first byte is, and each equals the next. */
	printf("calloc zeroed: %s (%s)\n", *(char *)p[5] == 0 &&
	       memcmp(p[5], (char *)p[5] + 1, 7999) == 0 ? "yes" : "NO",
	       p[5] == dirty ? "the block of 0xa5 bytes" : "another block");
	mt_pause("calloc cleared the freed block; try: xxd -a -s 0x%lx "
		 "-l 8000 /proc/%d/mem", (unsigned long)p[5], (int)getpid());
	for (i = 0; i < 6; i++)
		mm_free(p[i]);

	z = mm_malloc(0);
	printf("malloc(0): 0x%lx, usable %zu\n", (unsigned long)z,
	       mm_malloc_usable_size(z));
	mm_free(z);
	z = mm_realloc(mm_malloc(200), 0);
	printf("realloc(p, 0): %s\n", z ? "not NULL" : "freed, NULL");
	errno = 0;
	z = mm_malloc(SIZE_MAX);
	printf("malloc(SIZE_MAX): %s (%s)\n", z ? "not NULL" : "NULL",
	       strerror(errno));
	errno = 0;
	z = mm_calloc(SIZE_MAX / 2, 4);		/* the product overflows */
	printf("calloc(SIZE_MAX/2, 4): %s (%s)\n", z ? "not NULL" : "NULL",
	       strerror(errno));
}

/* A freed block with used blocks on both sides cannot merge: it waits in
 * the bin of its size, and the next request of that size takes it back.
 * Cutting y also leaves exactly the smallest block behind. */
static void show_exact_bins(void)
{
	char *x, *y, *again;
	size_t xs;

	if (!(x = named[4] = mm_malloc(200)) ||
	    !(y = named[5] = mm_malloc(400)))
		mt_die("malloc");
	xs = block_size(block_of(x));
	printf("x: 0x%lx, y: 0x%lx\n", (unsigned long)x, (unsigned long)y);
	mm_free(x);
	named[4] = NULL;
	print_blocks();
	printf("    x's block has used blocks on both sides: it waits in "
	       "bin %d, for\n    %zu-byte blocks only. y's cut left %zu "
	       "bytes: the smallest block\n", bin_index(xs), xs,
	       block_size(next_block(block_of(y))));
	pause_header("x freed, in its exact bin", block_of(x));
	if (!(again = named[4] = mm_malloc(200)))
		mt_die("malloc");
	printf("malloc(200) again: 0x%lx (%s)\n", (unsigned long)again,
	       again == x ? "x's block, from its bin" : "another block");
}

static void demo(void)
{
	size_t sizes[] = { 100, 200, 300, 1000 }, big_size = LARGE_MIN - 16;
	int pid = (int)getpid(), i;
	char *old, *big;
	static struct mt_mapping m;
	long vm_before;

	/* Under Yama's ptrace_scope 1 only a parent may read our memory:
	 * let the try: commands of a second terminal read it too. */
	if (mt_stepping)
		prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	printf("mini_malloc: a malloc of our own on mmap (pid %d)\n", pid);
	printf("page size: %zu\n", mt_pagesize());
	printf("arena size: %zu (%s)\n", ARENA_SIZE, mt_human(ARENA_SIZE));
	printf("block header: %zu bytes (size of the block before, "
	       "its own size)\n", (size_t)HDR_SIZE);
	printf("smallest block: %zu bytes\n", MIN_BLOCK);
	printf("large blocks from: %zu (%s), a mapping each\n", LARGE_MIN,
	       mt_human(LARGE_MIN));
	printf("bins: %d exact sizes (%zu to %d), then 4 per power of two\n",
	       NSMALL, MIN_BLOCK, SMALL_END - ALIGNMENT);

	printf("\n== stage 1: a, b, c, d = malloc(100, 200, 300, 1000)\n");
	for (i = 0; i < 4; i++)
		if (!(named[i] = mm_malloc(sizes[i])))
			mt_die("malloc(%zu)", sizes[i]);
	printf("arena 0: 0x%lx to 0x%lx\n", (unsigned long)arenas,
	       (unsigned long)arenas + ARENA_SIZE);
	printf("arena names in maps: %s\n", vma_names ? "yes" :
	       "no (needs Linux 5.17+ with CONFIG_ANON_VMA_NAME)");
	print_mapping(arenas, ARENA_SIZE, &m);
	print_blocks();
	mt_pause("arena 0 mapped, 4 blocks cut; try: grep -A4 '^%lx-' "
		 "/proc/%d/smaps", (unsigned long)m.start, pid);

	printf("\n== stage 2: free(b), free(c): one free block\n");
	mm_free(named[1]);
	mm_free(named[2]);
	old = named[1];
	named[1] = named[2] = NULL;
	print_blocks();
	pause_header("b, c merged", block_of(old));

	printf("\n== stage 3: a = realloc(a, 300), then realloc(a, 3000)\n");
	for (i = 0; i < 2; i++) {
		old = named[0];
		if (!(named[0] = mm_realloc(old, i ? 3000 : 300)))
			mt_die("realloc");
		printf("realloc(a, %d): 0x%lx %s\n", i ? 3000 : 300,
		       (unsigned long)named[0],
		       named[0] == old ? "in place" : "moved");
	}
	print_blocks();
	pause_header("a moved, its old block is free", block_of(old));

	printf("\n== stage 4: big = malloc(128 KiB - 16): just large\n");
	if (!(big = mm_malloc(big_size)))
		mt_die("malloc");
	memset(big, 'x', big_size);
	print_big(big, &m);
	mt_pause("big mapped, filled; try: grep -A4 '^%lx-' /proc/%d/smaps",
		 (unsigned long)m.start, pid);

	printf("\n== stage 5: big = realloc(big, 2 MiB), filled: mremap\n");
	old = big;
	if (!(big = mm_realloc(big, 2 << 20)))
		mt_die("realloc");
	memset(big + big_size, 'y', (2 << 20) - big_size);
	printf("mremap: %s, first bytes kept: %s\n",
	       big == old ? "grew in place" : "moved",
	       big[0] == 'x' && big[big_size - 1] == 'x' ? "yes" : "NO");
	print_big(big, &m);
	mt_pause("big is 2 MiB; try: grep -A4 '^%lx-' /proc/%d/smaps",
		 (unsigned long)m.start, pid);

	printf("\n== stage 6: free(big): munmap gives it back\n");
	vm_before = mt_status_kb("VmSize");
	mm_free(big);
	printf("VmSize: %ld kB before, %ld kB after\n", vm_before,
	       mt_status_kb("VmSize"));
	mt_pause("big unmapped; try: grep VmSize /proc/%d/status", pid);

	printf("\n== stage 7: the aligned family, calloc, edge cases\n");
	show_aligned_and_edges();

	printf("\n== stage 8: x, y = malloc(200, 400), free(x): exact "
	       "bins\n");
	show_exact_bins();

	printf("\n== stage 9: free(x, y, a, d): one free block again\n");
	for (i = 0; i < 6; i++) {
		mm_free(named[i]);
		named[i] = NULL;
	}
	print_blocks();
	pause_header("all free, the arena stays mapped",
		     (char *)arenas + ARENA_HDR);
}

/* --bench: the same random churn with the C library's malloc and ours */

#define SLOTS	(1 << 12)	/* at most this many blocks alive */

/* n_ops times: pick a random slot; free its block, or allocate 16 B to
 * 64 KiB (even over the powers of two) into it, so blocks die in random
 * order. Both ends of a block are written, so its pages are touched. */
static void churn(void *(*alloc)(size_t), void (*release)(void *),
		  long n_ops)
{
	static unsigned char *slot[SLOTS];
	uint64_t r = 42;
	long i;
	unsigned k;
	size_t n;
	int bits;

	for (i = 0; i < n_ops; i++) {
		/* A simple LCG: the same seed gives the same run. */
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		k = (unsigned)(r >> 20) % SLOTS;
		bits = 4 + (int)((r >> 40) % 12);
		n = ((size_t)1 << bits) + (r >> 44) % ((size_t)1 << bits);
		if (slot[k]) {
			release(slot[k]);
			slot[k] = NULL;
		} else if ((slot[k] = alloc(n))) {
			slot[k][0] = slot[k][n - 1] = 1;	/* touch it */
		} else {
			mt_die("malloc(%zu)", n);
		}
	}
	for (i = 0; i < SLOTS; i++) {
		release(slot[i]);
		slot[i] = NULL;
	}
}

/* Processor time for each: clock() counts this process's CPU seconds. */
static void bench(long n_ops)
{
	clock_t t0 = clock(), t1, t2;

	churn(malloc, free, n_ops);
	t1 = clock();
	churn(mm_malloc, mm_free, n_ops);
	t2 = clock();
	printf("bench: %ld calls of malloc or free, 16 to 65535 bytes, "
	       "at most %d alive\n", n_ops, SLOTS);
	printf("C library: %.4f s\n", (double)(t1 - t0) / CLOCKS_PER_SEC);
	printf("mini_malloc: %.4f s\n", (double)(t2 - t1) / CLOCKS_PER_SEC);
	printf("ratio: %.2f (mini_malloc / C library)\n",
	       (double)(t2 - t1) / (double)(t1 - t0 ? t1 - t0 : 1));
}

int main(int argc, char **argv)
{
	mt_init(argv);
	options(argc, argv);
	if (bench_ops)
		bench(bench_ops);
	else
		demo();
	return 0;
}

static void options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bench", no_argument, NULL, 'b' },
		{ "ops", required_argument, NULL, 'n' },
		MT_COMMON_OPTIONS
	};
	long n = 0;
	int c;

	mt_usage = "[--step] [--bench [-n OPS]]";
	mt_help = "\n"
"A small malloc on mmap: 1 MiB arenas cut into blocks with 16-byte\n"
"headers, exact-size bins and a bitmap, large blocks in mappings of their\n"
"own. Runs scripted calls and prints the arena's blocks after each.\n\n"
"  --step         pause after each stage (also MEMTOUR_STEP=1)\n"
"  --bench        time the same random malloc and free calls (16 B to\n"
"                 64 KiB) with the C library's malloc and ours\n"
"  -n, --ops OPS  calls for --bench (default 1000000)\n"
"  -h, --help     this text\n";
	while ((c = mt_getopt(argc, argv, "n:", longopts)) != -1)
		switch (c) {
		case 'b':
			bench_ops = 1000000;
			break;
		case 'n':
			n = (long)mt_count_arg("-n", optarg, 1, 1000000000);
			break;
		}
	mt_no_operands(argc, argv);
	if (n && !bench_ops)
		mt_usage_error("-n needs --bench");
	if (n)
		bench_ops = n;
}
#endif /* MINI_MALLOC_LIB */
