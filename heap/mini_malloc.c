/* mini_malloc.c - a small malloc of our own, built on mmap
 *
 * What it demonstrates
 *   malloc is an ordinary library, not part of the kernel. It asks the kernel
 *   for big pieces of memory with mmap(2) (here: 1 MiB "arenas") and cuts
 *   them into blocks. Every block starts with a 16-byte header: its own size
 *   and the size of the block just before it, so the allocator can step from
 *   any block to both neighbours. Free blocks wait on free lists ("bins"),
 *   one per power-of-two size class. malloc takes the first free block that
 *   fits and splits off the rest; free merges a block with free neighbours
 *   (coalescing), so the arena does not crumble into small pieces. Requests
 *   of 128 KiB or more get a mapping of their own, which free gives straight
 *   back to the kernel with munmap, and realloc grows with mremap.
 *
 * Two builds from this one file
 *   cc -o mini_malloc mini_malloc.c -pthread
 *       The demo. The allocator's functions are called mm_malloc, mm_free,
 *       ... so they live next to glibc's malloc in one process.
 *   cc -shared -fPIC -DMINI_MALLOC_LIB -o mini_malloc.so mini_malloc.c \
 *      -pthread
 *       The library. The same code exported as malloc, free, calloc,
 *       realloc, posix_memalign, aligned_alloc, memalign, valloc, pvalloc
 *       and malloc_usable_size, to replace glibc's in any program:
 *           LD_PRELOAD=$PWD/mini_malloc.so ls -l
 *
 * How to run the demo
 *   ./mini_malloc           scripted calls; arenas and free list after each
 *   ./mini_malloc --step    pause at each stage to look at /proc/PID/maps
 *   ./mini_malloc --bench   time the same churn with glibc's and our malloc
 *   ./mini_malloc --stress  threads and fork() hammer the allocator
 *
 * What to look for
 *   - The arena's range is a mapping of its own in /proc/PID/maps, rw-p,
 *     named [anon:mini_malloc arena 0] on Linux 5.17 and later.
 *   - Its Rss in /proc/PID/smaps is a few pages, not 1 MiB: the big free
 *     block at the end was never touched, so the kernel gave it no RAM yet.
 *   - After free(b) and free(c) the free list holds ONE block where b and c
 *     were: their sizes added up (coalescing).
 *   - realloc stays in place when the next block is free and big enough,
 *     and moves (malloc, copy, free) when it is not.
 *   - The 512 KiB block is a separate mapping; after free it is gone.
 *
 * Lines a test checks (each stage starts with "== stage N: ...")
 *   vma names: yes | no (why)
 *   table "ptr payload block size": rows a, b, c, d (block = header)
 *   table "arena start end size used free": one row per arena
 *   table "bin block size arena": the free list
 *   realloc 300: ADDRESS in place|moved     realloc 3000: the same
 *   large: ADDRESS     large block: ADDRESS SIZE     mremap: moved|...
 *   table "call address aligned usable": the aligned family and calloc
 *   calloc zeroed: yes     table "edge case result"
 *   --bench: glibc: SECONDS   mini: SECONDS   ratio: MINI/GLIBC (...)
 *   --stress: forks ok: N   result: ok
 *
 * Commands to try beside it
 *   grep mini_malloc /proc/PID/maps      the arenas and large blocks
 *   grep -A3 'mini_malloc arena' /proc/PID/smaps    Size versus Rss
 *   strace -e trace=mmap,munmap,mremap ./mini_malloc   the kernel calls
 *   LD_PRELOAD=$PWD/mini_malloc.so python3 -c 'print(sum(range(10**6)))'
 *   LD_PRELOAD=$PWD/mini_malloc.so grep mini_malloc /proc/self/maps
 *                          grep finds the arenas of its own malloc
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

/* ======================================================================
 * 1. Tunables
 * ====================================================================== */

#define ALIGNMENT	16			/* every payload is 16-aligned */
#define ARENA_SIZE	((size_t)1 << 20)	/* one arena: 1 MiB */
#define LARGE_MIN	((size_t)128 << 10)	/* from here on: own mapping */
#define NBINS		16			/* size classes 2^5 .. 2^20 */
#define MAX_REQUEST	((size_t)PTRDIFF_MAX - ARENA_SIZE)	/* else ENOMEM */

/* Give a mapping a name in /proc/PID/maps (Linux 5.17 and later). */
#ifndef PR_SET_VMA
#define PR_SET_VMA		0x53564d41
#define PR_SET_VMA_ANON_NAME	0
#endif

_Static_assert(ALIGNMENT >= _Alignof(max_align_t),
	       "payloads must be aligned for any type");

static size_t align_up(size_t n, size_t a)	/* a: a power of two */
{
	return (n + a - 1) & ~(a - 1);
}

/* The page size, asked once. Threads may race to store it, so the store
 * and the load are atomic; they all store the same value anyway. */
static size_t page_size(void)
{
	static size_t ps;
	size_t v = __atomic_load_n(&ps, __ATOMIC_RELAXED);

	if (!v) {
		v = (size_t)sysconf(_SC_PAGESIZE);
		__atomic_store_n(&ps, v, __ATOMIC_RELAXED);
	}
	return v;
}

/* Diagnostics from inside the allocator: write(2) only, because printf
 * could call malloc, which is us. */
static void fatal(const char *msg)
{
	static const char pre[] = "mini_malloc: ";
	ssize_t r;	/* we abort anyway: a failed write changes nothing */

	r = write(STDERR_FILENO, pre, sizeof(pre) - 1);
	r = write(STDERR_FILENO, msg, strlen(msg));
	r = write(STDERR_FILENO, "\n", 1);
	(void)r;
	abort();
}

/* ======================================================================
 * 2. Blocks
 *
 * An arena is a row of blocks, each one right after the other:
 *
 *   +-----------+-----------+-------------------------------+
 *   | prev_size |   size  F | payload (what malloc returns) |
 *   +-----------+-----------+-------------------------------+
 *   0           8           16                              size
 *
 * size is a multiple of 16, so its low 4 bits are free for flags F:
 * INUSE (allocated) and MMAPPED (a large block with a mapping of its own).
 * A free block keeps two links to its neighbours on the free list in
 * the first 16 bytes of its payload; so no block is smaller than 32 bytes.
 * ====================================================================== */

struct block {
	size_t prev_size;	/* size of the block before; 0: none */
	size_t size;		/* size of this block | flags */
	struct block *next;	/* free blocks only: free list links */
	struct block *prev;
};

#define HDR_SIZE	offsetof(struct block, next)	/* 16 bytes */
#define MIN_BLOCK	sizeof(struct block)		/* 32 bytes */
#define INUSE		((size_t)1)
#define MMAPPED		((size_t)2)
#define FLAGS		((size_t)ALIGNMENT - 1)

_Static_assert(HDR_SIZE == ALIGNMENT, "this layout wants a 64-bit system");

static size_t block_size(const struct block *b)
{
	return b->size & ~FLAGS;
}

static int in_use(const struct block *b)
{
	return (b->size & INUSE) != 0;
}

static int is_mmapped(const struct block *b)
{
	return (b->size & MMAPPED) != 0;
}

static void *payload(struct block *b)
{
	return (char *)b + HDR_SIZE;
}

static struct block *block_of(void *p)
{
	return (struct block *)((char *)p - HDR_SIZE);
}

static struct block *next_block(struct block *b)
{
	return (struct block *)((char *)b + block_size(b));
}

static struct block *prev_block(struct block *b)
{
	return (struct block *)((char *)b - b->prev_size);
}

/* Give an arena block a size and state, and tell the next block. */
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

/* ======================================================================
 * 3. Free lists
 *
 * Bin i holds the free blocks whose size s has 2^(i+5) <= s < 2^(i+6):
 * bin 0 has 32..63 bytes, bin 1 64..127, ... Each bin is a doubly linked
 * list, newest first. A request looks first in its own bin (first fit:
 * not every block there is big enough), then takes the first block of any
 * higher bin (all of those are big enough).
 * ====================================================================== */

static struct block *bins[NBINS];

static int bin_index(size_t size)
{
	int log2 = (int)(sizeof(long) * CHAR_BIT) - 1 -
		   __builtin_clzl((unsigned long)size);

	return log2 - 5 < NBINS ? log2 - 5 : NBINS - 1;
}

static void bin_insert(struct block *b)
{
	struct block **head = &bins[bin_index(block_size(b))];

	b->prev = NULL;
	b->next = *head;
	if (*head)
		(*head)->prev = b;
	*head = b;
}

static void bin_remove(struct block *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		bins[bin_index(block_size(b))] = b->next;
	if (b->next)
		b->next->prev = b->prev;
}

/* Find a free block of at least need bytes and take it off its list. */
static struct block *take_free_block(size_t need)
{
	for (int i = bin_index(need); i < NBINS; i++)
		for (struct block *b = bins[i]; b; b = b->next)
			if (block_size(b) >= need) {
				bin_remove(b);
				return b;
			}
	return NULL;
}

/* ======================================================================
 * 4. Arenas
 *
 * An arena is one anonymous mapping of ARENA_SIZE bytes:
 *
 *   +-------+---------+---------+-- ... --+---------+-------+
 *   | arena | block 0 | block 1 |         | block n | fence |
 *   +-------+---------+---------+-- ... --+---------+-------+
 *
 * The arena header links all arenas together (the demo prints them). The
 * fence is a header of size 0 marked INUSE: the block before it never
 * tries to merge past the end. Block 0 has prev_size 0: nothing before.
 * Arenas are never given back; only large blocks are (a simplification:
 * glibc, too, rarely shrinks its heap).
 * ====================================================================== */

struct arena {
	struct arena *next;	/* all arenas, newest first */
	size_t size;		/* bytes mapped, this header included */
	unsigned long id;	/* 0, 1, 2, ... in order of creation */
};

#define ARENA_HDR	align_up(sizeof(struct arena), ALIGNMENT)

static struct arena *arenas;
static unsigned long arena_count;
static int vma_names = -1;	/* did naming work? -1: not tried yet */

/* Name a mapping "mini_malloc WHAT [ID]" so it shows in /proc/PID/maps.
 * Old kernels say EINVAL: then it stays unnamed, and that is fine. */
static int name_mapping(void *addr, size_t len, const char *what, long id)
{
	char name[48] = "mini_malloc ", digits[24];
	size_t n = strlen(name);
	int i = 0, ok, saved_errno = errno;

	memcpy(name + n, what, strlen(what) + 1);
	n += strlen(what);
	if (id >= 0) {
		do
			digits[i++] = (char)('0' + id % 10);
		while ((id /= 10) > 0);
		name[n++] = ' ';
		while (i > 0)
			name[n++] = digits[--i];
		name[n] = '\0';
	}
	ok = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)addr,
		   len, (unsigned long)name) == 0;
	errno = saved_errno;	/* malloc must not change errno on success */
	return ok;
}

/* Map a new arena. Its one big free block is returned, not put on a list. */
static struct block *arena_new(void)
{
	struct arena *a;
	struct block *first, *fence;
	size_t size = ARENA_SIZE - ARENA_HDR - HDR_SIZE;

	a = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return NULL;		/* errno is ENOMEM */
	a->size = ARENA_SIZE;
	a->id = arena_count++;
	a->next = arenas;
	arenas = a;
	vma_names = name_mapping(a, ARENA_SIZE, "arena", (long)a->id);

	first = (struct block *)((char *)a + ARENA_HDR);
	fence = (struct block *)((char *)first + size);
	first->prev_size = 0;
	fence->size = 0 | INUSE;
	set_block(first, size, INUSE);	/* also sets fence->prev_size */
	return first;
}

/* ======================================================================
 * 5. Splitting and coalescing
 * ====================================================================== */

/* Put block b back on a free list, merged with any free neighbour. */
static void release_block(struct block *b)
{
	size_t size = block_size(b);
	struct block *next = next_block(b);

	b->size = size;		/* free now, even if merged into prev below */
	if (!in_use(next)) {			/* merge forward */
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

/* ======================================================================
 * 6. Large blocks: a mapping each
 *
 * A large block lives alone in its own mapping. prev_size says how far
 * the header sits from the start of the mapping (more than 0 only when
 * memalign asked for a big alignment), size how far from there to the end.
 * No other block is involved, so these functions need no lock.
 * ====================================================================== */

static void *large_alloc(size_t need, size_t align)
{
	size_t len, pad = align > ALIGNMENT ? align : 0;
	char *map, *p;
	struct block *b;

	if (need > MAX_REQUEST - pad) {
		errno = ENOMEM;
		return NULL;
	}
	len = align_up(need + pad, page_size());
	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return NULL;		/* errno is ENOMEM */
	name_mapping(map, len, "large", -1);
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
	munmap((char *)b - b->prev_size, b->prev_size + block_size(b));
}

/* Resize a large block by asking the kernel to move its pages: mremap
 * changes the page tables, it copies no bytes. NULL: caller moves it. */
static void *large_resize(struct block *b, size_t need)
{
	size_t len = align_up(need, page_size());

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

/* ======================================================================
 * 7. One lock, and fork
 *
 * Threads share the bins and arenas, so one mutex guards them all. fork()
 * copies memory but only the calling thread: if another thread held the
 * lock at that moment, the child would wait for it forever. So we take
 * the lock just before fork and release it after, in parent and child.
 * ====================================================================== */

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;

static void lock(void)
{
	pthread_mutex_lock(&heap_lock);
}

static void unlock(void)
{
	pthread_mutex_unlock(&heap_lock);
}

__attribute__((constructor)) static void mm_init(void)
{
	pthread_atfork(lock, unlock, unlock);
}

/* ======================================================================
 * 8. The allocator's interface (called mm_malloc, mm_free, ...)
 * ====================================================================== */

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
		fatal("free(): invalid pointer (not 16-aligned)");
	if (!in_use(b))
		fatal("free(): block is not in use (double free?)");
	if (is_mmapped(b)) {
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
	/* A fresh mapping is already zero: the kernel saw to that. */
	if (p && !is_mmapped(block_of(p)))
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
	if (is_mmapped(b)) {
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
	size_t need = block_size_for(n);
	struct block *b, *ab;
	char *p, *q;

	if (!need || align > MAX_REQUEST - need) {
		errno = ENOMEM;
		return NULL;
	}
	if (align & (align - 1))	/* as glibc: round up to 2^k */
		align = (size_t)1 << (sizeof(long) * CHAR_BIT -
				      __builtin_clzl((unsigned long)align));
	if (align <= ALIGNMENT)
		return mm_malloc(n);
	if (need + align + MIN_BLOCK >= LARGE_MIN)
		return large_alloc(need, align);
	/* Take a block with room to spare, find an aligned payload at least
	 * MIN_BLOCK bytes in, and give the piece in front back. */
	lock();
	p = arena_alloc(need + align + MIN_BLOCK);
	if (p && (uintptr_t)p % align) {
		/*   b                 ab
		 *   | hdr | front ... | hdr | aligned payload q ...    |
		 *   '-- back to the free list '-- ours, shrunk to need */
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

static void *mm_valloc(size_t n)
{
	return mm_memalign(page_size(), n);
}

static void *mm_pvalloc(size_t n)
{
	size_t ps = page_size();

	if (n > MAX_REQUEST) {
		errno = ENOMEM;
		return NULL;
	}
	return mm_memalign(ps, align_up(n ? n : 1, ps));
}

#ifdef MINI_MALLOC_LIB
/* ======================================================================
 * 9. The library build: the real names
 *
 * A program finds malloc by name when it starts. With
 * LD_PRELOAD=mini_malloc.so these definitions come first, so the program,
 * libc itself and every library use ours. glibc's manual lists exactly
 * these functions as the ones a replacement malloc must provide.
 * ====================================================================== */

void *malloc(size_t n)
{
	return mm_malloc(n);
}

void free(void *p)
{
	mm_free(p);
}

void *calloc(size_t nmemb, size_t size)
{
	return mm_calloc(nmemb, size);
}

void *realloc(void *p, size_t n)
{
	return mm_realloc(p, n);
}

int posix_memalign(void **pp, size_t align, size_t n)
{
	return mm_posix_memalign(pp, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	return mm_aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n)
{
	return mm_memalign(align, n);
}

void *valloc(size_t n)
{
	return mm_valloc(n);
}

void *pvalloc(size_t n)
{
	return mm_pvalloc(n);
}

size_t malloc_usable_size(void *p)
{
	return mm_malloc_usable_size(p);
}

#else /* the demo program */
/* ======================================================================
 * 10. The demo: show the arenas and free list, time it, stress it
 *
 * From here on we are an ordinary program: printf may use glibc's malloc,
 * our allocator is only reached through its mm_ names.
 * ====================================================================== */

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

static const char *prog = "mini_malloc";
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

/* --- 10a. Printing the allocator's state ------------------------------ */

static void print_arenas(void)
{
	struct arena *a;
	struct block *b;
	size_t used, freed;

	lock();
	printf("arena  start           end             size     used     "
	       "free\n");
	for (a = arenas; a; a = a->next) {
		used = freed = 0;
		b = (struct block *)((char *)a + ARENA_HDR);
		for (; block_size(b) != 0; b = next_block(b)) {
			if (in_use(b))
				used += block_size(b);
			else
				freed += block_size(b);
		}
		printf("%-6lu 0x%-13lx 0x%-13lx %-8zu %-8zu %zu\n", a->id,
		       (unsigned long)a, (unsigned long)a + a->size, a->size,
		       used, freed);
	}
	unlock();
}

static unsigned long arena_id_of(struct block *b)
{
	struct arena *a;

	for (a = arenas; a; a = a->next)
		if ((char *)b > (char *)a && (char *)b < (char *)a + a->size)
			return a->id;
	return (unsigned long)-1;
}

static void print_free_list(void)
{
	struct block *b;
	int i;

	lock();
	printf("bin  block           size     arena\n");
	for (i = 0; i < NBINS; i++)
		for (b = bins[i]; b; b = b->next)
			printf("%-4d 0x%-13lx %-8zu %lu\n", i,
			       (unsigned long)b, block_size(b), arena_id_of(b));
	unlock();
}

static void print_state(void)
{
	print_arenas();
	print_free_list();
}

static void print_ptr(const char *name, void *p)
{
	printf("%-4s 0x%-13lx 0x%-13lx %zu\n", name, (unsigned long)p,
	       (unsigned long)block_of(p), block_size(block_of(p)));
}

static void print_stage(int n, const char *what)
{
	printf("\n== stage %d: %s\n", n, what);
}

/* --- 10b. The scripted sequence --------------------------------------- */

static void show_edge_cases(void)
{
	void *p, *z;
	int e;

	printf("edge case                  result\n");
	mm_free(NULL);
	printf("%-26s %s\n", "free(NULL)", "ok");
	z = mm_malloc(0);
	printf("%-26s %s, usable %zu\n", "malloc(0)",
	       z ? "unique pointer" : "NULL", mm_malloc_usable_size(z));
	p = mm_realloc(NULL, 10);
	printf("%-26s %s\n", "realloc(NULL, 10)", p ? "like malloc" : "NULL");
	p = mm_realloc(p, 0);
	printf("%-26s %s\n", "realloc(p, 0)", p ? "?" : "freed, NULL");
	errno = 0;
	p = mm_malloc(SIZE_MAX);
	e = errno;
	printf("%-26s %s (%s)\n", "malloc(SIZE_MAX)", p ? "?" : "NULL",
	       strerror(e));
	errno = 0;
	p = mm_calloc(SIZE_MAX / 2, 4);
	e = errno;
	printf("%-26s %s (%s)\n", "calloc(SIZE_MAX/2, 4)", p ? "?" : "NULL",
	       strerror(e));
	errno = 0;
	p = mm_malloc((size_t)1 << 46);		/* 64 TiB: mmap says no */
	e = errno;
	printf("%-26s %s (%s)\n", "malloc(64 TiB)", p ? "mapped" : "NULL",
	       p ? "" : strerror(e));
	mm_free(p);
	mm_free(z);
}

static void show_aligned(void)
{
	size_t ps = page_size();
	void *p[6];
	int i, zero = 1;
	static const struct {
		const char *call;
		size_t align;
	} t[] = {
		{ "posix_memalign(64, 100)", 64 },
		{ "aligned_alloc(1024, 2048)", 1024 },
		{ "memalign(256, 10)", 256 },
		{ "valloc(100)", 0 },
		{ "pvalloc(100)", 0 },
		{ "calloc(1000, 8)", ALIGNMENT },
	};

	if (mm_posix_memalign(&p[0], 64, 100))
		p[0] = NULL;
	p[1] = mm_aligned_alloc(1024, 2048);
	p[2] = mm_memalign(256, 10);
	p[3] = mm_valloc(100);
	p[4] = mm_pvalloc(100);
	p[5] = mm_calloc(1000, 8);
	if (!p[0] || !p[1] || !p[2] || !p[3] || !p[4] || !p[5])
		die("aligned allocation");
	for (i = 0; i < 8000; i++)
		zero &= ((unsigned char *)p[5])[i] == 0;
	printf("call                       address          aligned  usable\n");
	for (i = 0; i < 6; i++) {
		size_t a = t[i].align ? t[i].align : ps;

		printf("%-26s 0x%-14lx %-8s %zu\n", t[i].call,
		       (unsigned long)p[i],
		       (uintptr_t)p[i] % a ? "NO" : "yes",
		       mm_malloc_usable_size(p[i]));
	}
	printf("calloc zeroed: %s\n", zero ? "yes" : "NO");
	for (i = 0; i < 6; i++)
		mm_free(p[i]);
}

static void demo(void)
{
	char *a, *b, *c, *d, *old, *big;
	size_t big_size = 512 << 10;
	pid_t pid = getpid();

	printf("mini_malloc demo: pid %ld\n", (long)pid);
	printf("page size: %zu\n", page_size());
	printf("arena size: %zu (1 MiB)\n", ARENA_SIZE);
	printf("large block from: %zu (128 KiB)\n", LARGE_MIN);
	printf("header size: %zu\n", (size_t)HDR_SIZE);

	print_stage(1, "a = malloc(100), b = 200, c = 300, d = 1000");
	a = mm_malloc(100);
	b = mm_malloc(200);
	c = mm_malloc(300);
	d = mm_malloc(1000);
	if (!a || !b || !c || !d)
		die("mm_malloc");
	if (vma_names)
		printf("vma names: yes\n");
	else
		printf("vma names: no (needs Linux 5.17+ with "
		       "CONFIG_ANON_VMA_NAME)\n");
	printf("ptr  payload         block           size\n");
	print_ptr("a", a);
	print_ptr("b", b);
	print_ptr("c", c);
	print_ptr("d", d);
	print_state();
	step("4 blocks cut from arena 0; try: %s%ld/maps",
	     vma_names ? "grep mini_malloc /proc/" : "cat /proc/", (long)pid);

	print_stage(2, "free(b), free(c): one free block");
	mm_free(b);
	mm_free(c);
	print_state();
	step("b and c merged; try: %s%ld/maps",
	     vma_names ? "grep mini_malloc /proc/" : "cat /proc/", (long)pid);

	print_stage(3, "realloc(a, 300), then realloc(a, 3000)");
	old = a;
	a = mm_realloc(a, 300);
	printf("realloc 300: 0x%lx %s\n", (unsigned long)a,
	       a == old ? "in place" : "moved");
	old = a;
	a = mm_realloc(a, 3000);
	printf("realloc 3000: 0x%lx %s\n", (unsigned long)a,
	       a == old ? "in place" : "moved");
	if (!a)
		die("mm_realloc");
	printf("ptr  payload         block           size\n");
	print_ptr("a", a);
	print_ptr("d", d);
	print_state();
	step("a grew in place, then moved; try: pmap -x %ld", (long)pid);

	print_stage(4, "big = malloc(512 KiB), filled: a mapping of its own");
	big = mm_malloc(big_size);
	if (!big)
		die("mm_malloc");
	memset(big, 'x', big_size);
	printf("large: 0x%lx\n", (unsigned long)big);
	printf("large block: 0x%lx %zu\n", (unsigned long)block_of(big),
	       block_size(block_of(big)));
	step("512 KiB in a mapping of its own; try: pmap -x %ld", (long)pid);

	print_stage(5, "big = realloc(big, 2 MiB), filled: mremap");
	old = big;
	big = mm_realloc(big, 4 * big_size);
	if (!big)
		die("mm_realloc");
	memset(big + big_size, 'y', 3 * big_size);
	printf("large: 0x%lx\n", (unsigned long)big);
	printf("large block: 0x%lx %zu\n", (unsigned long)block_of(big),
	       block_size(block_of(big)));
	printf("mremap: %s, first bytes kept: %s\n",
	       big == old ? "grew in place" : "moved",
	       big[0] == 'x' && big[big_size - 1] == 'x' ? "yes" : "NO");
	step("2 MiB now, maybe moved; try: pmap -x %ld", (long)pid);

	print_stage(6, "free(big): munmap, the mapping is gone");
	mm_free(big);
	printf("freed large: 0x%lx\n", (unsigned long)big);
	step("big is unmapped; try: pmap -x %ld", (long)pid);

	print_stage(7, "the aligned family, calloc and edge cases");
	show_aligned();
	show_edge_cases();

	print_stage(8, "free(a), free(d): the arena is one free block again");
	mm_free(a);
	mm_free(d);
	print_state();
	step("all free again; try: %s%ld/maps",
	     vma_names ? "grep mini_malloc /proc/" : "cat /proc/", (long)pid);
}

/* --- 10c. Two allocators behind one set of function pointers ---------- */

struct allocator {
	const char *name;
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*memalign)(size_t, size_t);
	size_t (*usable)(void *);
};

static const struct allocator glibc_api = {
	"libc", malloc, free, calloc, realloc, memalign, malloc_usable_size
};

static const struct allocator mini_api = {
	"mini", mm_malloc, mm_free, mm_calloc, mm_realloc, mm_memalign,
	mm_malloc_usable_size
};

/* A small fast PRNG (xorshift64*): the same seed gives the same run. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* A size between 16 bytes and max, spread evenly over the powers of two
 * (programs ask for small blocks far more often than for big ones). */
static size_t rnd_size(uint64_t r, size_t max)
{
	int bits = 4 + (int)(r % 13);
	size_t n = ((size_t)1 << bits) + (size_t)((r >> 8) % (1u << bits));

	return n > max ? max : n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- 10d. --bench ------------------------------------------------------ */

#define BENCH_SLOTS (1 << 12)

/* ops times: pick a random slot; free it if full, else malloc 16 B..64 KiB
 * and touch its first and last byte. Then free what is left. */
static double churn(const struct allocator *api, long ops)
{
	static unsigned char *slot[BENCH_SLOTS];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	double t0 = now();
	long i;

	for (i = 0; i < ops; i++) {
		uint64_t r = rnd(&seed);
		unsigned char **s = &slot[r % BENCH_SLOTS];
		size_t n;

		if (*s) {
			api->free(*s);
			*s = NULL;
			continue;
		}
		n = rnd_size(r >> 12, 64 << 10);
		*s = api->malloc(n);
		if (!*s)
			die("malloc");
		(*s)[0] = (*s)[n - 1] = 1;
	}
	for (i = 0; i < BENCH_SLOTS; i++) {
		api->free(slot[i]);
		slot[i] = NULL;
	}
	return now() - t0;
}

static void bench(long ops)
{
	double tg, tm;

	printf("bench: %ld operations, sizes 16..65536, %d slots\n", ops,
	       BENCH_SLOTS);
	tg = churn(&glibc_api, ops);
	tm = churn(&mini_api, ops);
	printf("allocator  seconds    ns/op\n");
	printf("%-10s %-10.4f %.1f\n", "glibc", tg, tg * 1e9 / (double)ops);
	printf("%-10s %-10.4f %.1f\n", "mini", tm, tm * 1e9 / (double)ops);
	printf("glibc: %.4f\n", tg);
	printf("mini: %.4f\n", tm);
	printf("ratio: %.2f (mini / glibc)\n", tm / tg);
}

/* --- 10e. --stress ----------------------------------------------------- */

#define STRESS_THREADS	4
#define STRESS_SLOTS	256
#define STRESS_FORKS	20

struct slot {
	unsigned char *p;
	size_t n;
	unsigned char tag;
};

static const struct allocator *stress_api;
static long stress_ops;
static int stress_failed;	/* set by any thread: atomic access */

static void stress_fail(const char *what)
{
	fprintf(stderr, "%s: stress: %s\n", prog, what);
	__atomic_store_n(&stress_failed, 1, __ATOMIC_RELAXED);
}

static int stress_ok(void)
{
	return !__atomic_load_n(&stress_failed, __ATOMIC_RELAXED);
}

/* Is the block still holding what we wrote (all bytes = tag)? Checks
 * the ends and every 251st byte: cheap, and catches overlaps. */
static int intact(const struct slot *s)
{
	size_t i;

	for (i = 0; i < s->n; i += (i < 64 || s->n - i <= 64) ? 1 : 251)
		if (s->p[i] != s->tag)
			return 0;
	return 1;
}

static void fill(struct slot *s, size_t n, unsigned char tag)
{
	s->n = n;
	s->tag = tag;
	memset(s->p, tag, n);
}

/* One step of the stress: free, realloc, or allocate one of 4 ways. */
static void stress_one(struct slot *s, uint64_t r)
{
	const struct allocator *api = stress_api;
	size_t n = (r & 63) == 0 ? rnd_size(r >> 8, 300 << 10) :
				   rnd_size(r >> 8, 1 << 12);
	size_t align = (size_t)16 << ((r >> 40) % 9);	/* 16 B to 4 KiB */
	size_t keep;

	if (s->p) {
		if (!intact(s))
			stress_fail("block contents changed");
		if ((r >> 6) % 4 == 0) {
			keep = n < s->n ? n : s->n;
			s->p = api->realloc(s->p, n);
			s->n = keep;
			if (!s->p || !intact(s)) {
				stress_fail("realloc lost the contents");
				s->p = NULL;
				return;
			}
			fill(s, n, s->tag);
		} else {
			api->free(s->p);
			s->p = NULL;
		}
		return;
	}
	switch ((r >> 6) % 4) {
	case 0:
		s->p = api->malloc(n);
		break;
	case 1:
		s->p = api->calloc(1, n);
		for (keep = 0; s->p && keep < n; keep++)
			if (s->p[keep])
				stress_fail("calloc memory is not zero");
		break;
	case 2:
		s->p = api->memalign(align, n);
		if (s->p && (uintptr_t)s->p % align)
			stress_fail("memalign result is not aligned");
		break;
	default:
		s->p = api->realloc(NULL, n);
		break;
	}
	if (!s->p) {
		stress_fail("allocation failed");
		return;
	}
	if (api->usable(s->p) < n)
		stress_fail("usable size too small");
	fill(s, n, (unsigned char)(r >> 56));
}

static void *stress_thread(void *arg)
{
	struct slot slots[STRESS_SLOTS] = { { NULL, 0, 0 } };
	uint64_t seed = 0x2545f4914f6cdd1dULL + (uintptr_t)arg;
	long i;

	for (i = 0; i < stress_ops && stress_ok(); i++) {
		uint64_t r = rnd(&seed);

		stress_one(&slots[r % STRESS_SLOTS], r);
	}
	for (i = 0; i < STRESS_SLOTS; i++)
		stress_api->free(slots[i].p);
	return NULL;
}

/* In the child of a fork: the allocator must work at once. If a lock
 * was left held, the alarm kills the child and the parent reports it. */
static void fork_child(void)
{
	struct slot s = { NULL, 0, 0 };
	uint64_t seed = (uint64_t)getpid();
	int i;

	alarm(5);
	for (i = 0; i < 2000; i++)
		stress_one(&s, rnd(&seed));
	stress_api->free(s.p);
	_exit(stress_ok() ? 0 : 1);
}

static void stress(const struct allocator *api, long ops)
{
	pthread_t t[STRESS_THREADS];
	int i, st, forks_ok = 0;
	pid_t pid;

	stress_api = api;
	stress_ops = ops;
	printf("stress: %d threads x %ld operations, %d forks, %s names\n",
	       STRESS_THREADS, ops, STRESS_FORKS, api->name);
	fflush(stdout);
	for (i = 0; i < STRESS_THREADS; i++) {
		errno = pthread_create(&t[i], NULL, stress_thread,
				       (void *)(uintptr_t)i);
		if (errno)
			die("pthread_create");
	}
	for (i = 0; i < STRESS_FORKS && stress_ok(); i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			fork_child();
		if (waitpid(pid, &st, 0) < 0)
			die("waitpid");
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			forks_ok++;
		else
			stress_fail(WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ?
				    "fork child hung (lock held?)" :
				    "fork child failed");
	}
	for (i = 0; i < STRESS_THREADS; i++)
		pthread_join(t[i], NULL);
	printf("forks ok: %d\n", forks_ok);
	printf("result: %s\n", stress_ok() ? "ok" : "FAILED");
	if (!stress_ok())
		exit(1);
}

/* --- 10f. main --------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [--step] [--bench | --stress [--libc]] "
		"[-n OPS]\n", prog);
}

static void help(void)
{
	usage(stdout);
	printf("\n"
"A small malloc built on mmap: 1 MiB arenas cut into blocks with 16-byte\n"
"headers, free lists by size class, splitting and coalescing, large\n"
"blocks in mappings of their own. With no option it runs a scripted\n"
"sequence and prints its arenas and free list after each stage.\n"
"\n"
"  --step      pause at each stage (also MEMTOUR_STEP=1)\n"
"  --bench     time the same churn (mixed sizes 16 B..64 KiB, random\n"
"              free order, fixed seed) with glibc's malloc and with ours\n"
"  --stress    %d threads and %d forks allocate, check and free\n"
"  --libc      with --stress: call malloc, free, ... by their usual names\n"
"              (ours under LD_PRELOAD=mini_malloc.so, else glibc's)\n"
"  -n OPS      operations for --bench (1000000) or per thread for\n"
"              --stress (200000)\n"
"  -h, --help  this text\n"
"\n"
"The same file builds the LD_PRELOAD library:\n"
"  cc -shared -fPIC -DMINI_MALLOC_LIB -o mini_malloc.so mini_malloc.c\n",
	       STRESS_THREADS, STRESS_FORKS);
}

static long parse_ops(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s == '-' || *s == '\0' || *end || errno || v == 0 ||
	    v > 1000000000ULL) {
		fprintf(stderr, "%s: bad number of operations: %s "
			"(1..1000000000)\n", prog, s);
		usage(stderr);
		exit(2);
	}
	return (long)v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "step", no_argument, NULL, 's' },
		{ "bench", no_argument, NULL, 'b' },
		{ "stress", no_argument, NULL, 'S' },
		{ "libc", no_argument, NULL, 'l' },
		{ "ops", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *s = getenv("MEMTOUR_STEP");
	int c, mode = 0, use_libc = 0;
	long ops = 0;

	if (s && *s && strcmp(s, "0") != 0)
		step_mode = 1;
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			step_mode = 1;
			break;
		case 'b':
		case 'S':
			if (mode && mode != c) {
				fprintf(stderr, "%s: --bench and --stress "
					"do not mix\n", prog);
				usage(stderr);
				return 2;
			}
			mode = c;
			break;
		case 'l':
			use_libc = 1;
			break;
		case 'n':
			ops = parse_ops(optarg);
			break;
		case 'h':
			help();
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument: %s\n", prog,
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if ((use_libc && mode != 'S') || (ops && !mode)) {
		fprintf(stderr, "%s: --libc needs --stress, -n needs --bench "
			"or --stress\n", prog);
		usage(stderr);
		return 2;
	}
	if (mode == 'b')
		bench(ops ? ops : 1000000);
	else if (mode == 'S')
		stress(use_libc ? &glibc_api : &mini_api, ops ? ops : 200000);
	else
		demo();
	return 0;
}
#endif /* MINI_MALLOC_LIB */
