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
 *   (coalescing), so the arena does not crumble into small pieces. Blocks
 *   of 128 KiB or more (the request plus its 16-byte header) get a mapping
 *   of their own, which free gives straight back to the kernel with munmap,
 *   and realloc resizes with mremap.
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
 *     named [anon:mini_malloc arena 0] on Linux 5.17 and later (with
 *     CONFIG_ANON_VMA_NAME). Unnamed, it may be merged with an anonymous
 *     neighbour of the same permissions: its maps line can be longer.
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
 *   --stress: forks ok: N   faults found: N   result: ok|FAILED
 *
 * Commands to try beside it
 *   grep mini_malloc /proc/PID/maps      the arenas and large blocks
 *   grep -A3 'mini_malloc arena' /proc/PID/smaps    Size versus Rss
 *   strace -e trace=mmap,munmap,mremap ./mini_malloc   the kernel calls
 *   LD_PRELOAD=$PWD/mini_malloc.so python3 -c 'print(sum(range(10**6)))'
 *   LD_PRELOAD=$PWD/mini_malloc.so grep mini_malloc /proc/self/maps
 *                grep finds the library, and on 5.17+ its own arenas
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

#define ALIGNMENT	16			/* payloads are 16-aligned */
#define ARENA_SIZE	((size_t)1 << 20)	/* one arena: 1 MiB */
#define LARGE_MIN	((size_t)128 << 10)	/* from here on: own mapping */
#define NBINS		16			/* size classes 2^5 .. 2^20 */
#define MAX_REQUEST	((size_t)PTRDIFF_MAX - ARENA_SIZE) /* or ENOMEM */

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
 * libc itself and every library use ours. glibc's manual says a
 * replacement must provide malloc, free, calloc and realloc (glibc itself
 * needs them), and that a general-purpose one should provide the other
 * six below too, because programs and other libraries call them.
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

/* --- 10a. The scripted sequence ---------------------------------------- */

/* Every arena with the bytes in use and free (walking its blocks), then
 * every free block (walking the bins) and the arena it lies in. */
static void print_state(void)
{
	struct arena *a;
	struct block *b;
	size_t used, freed;
	int i;

	lock();
	printf("arena  start           end             size     used     "
	       "free\n");
	for (a = arenas; a; a = a->next) {
		used = freed = 0;
		b = (struct block *)((char *)a + ARENA_HDR);
		for (; block_size(b) != 0; b = next_block(b))
			*(in_use(b) ? &used : &freed) += block_size(b);
		printf("%-6lu 0x%-13lx 0x%-13lx %-8zu %-8zu %zu\n", a->id,
		       (unsigned long)a, (unsigned long)a + a->size, a->size,
		       used, freed);
	}
	printf("bin  block           size     arena\n");
	for (i = 0; i < NBINS; i++)
		for (b = bins[i]; b; b = b->next) {
			/* Which arena? Every free block lies in one. */
			for (a = arenas; (char *)b < (char *)a ||
			     (char *)b >= (char *)a + a->size; a = a->next)
				;
			printf("%-4d 0x%-13lx %-8zu %lu\n", i,
			       (unsigned long)b, block_size(b), a->id);
		}
	unlock();
}

static void print_ptr(const char *name, void *p)
{
	printf("%-4s 0x%-13lx 0x%-13lx %zu\n", name, (unsigned long)p,
	       (unsigned long)block_of(p), block_size(block_of(p)));
}

/* Stage 7: each call of the aligned family, then the calls that must
 * fail or do nothing. */
static void show_aligned_and_edges(void)
{
	static const char *call[] = {
		"posix_memalign(64, 100)", "aligned_alloc(1024, 2048)",
		"memalign(256, 10)", "valloc(100)", "pvalloc(100)",
		"calloc(1000, 8)"
	};
	size_t align[] = { 64, 1024, 256, page_size(), page_size(), 16 };
	void *p[6], *z;
	int i, zero = 1;

	if (mm_posix_memalign(&p[0], 64, 100))
		p[0] = NULL;
	p[1] = mm_aligned_alloc(1024, 2048);
	p[2] = mm_memalign(256, 10);
	p[3] = mm_valloc(100);
	p[4] = mm_pvalloc(100);
	p[5] = mm_calloc(1000, 8);
	for (i = 0; i < 6; i++)
		if (!p[i])
			die(call[i]);
	for (i = 0; i < 8000; i++)
		zero &= ((unsigned char *)p[5])[i] == 0;
	printf("call                       address          aligned  "
	       "usable\n");
	for (i = 0; i < 6; i++) {
		printf("%-26s 0x%-14lx %-8s %zu\n", call[i],
		       (unsigned long)p[i],
		       (uintptr_t)p[i] % align[i] ? "NO" : "yes",
		       mm_malloc_usable_size(p[i]));
		mm_free(p[i]);
	}
	printf("calloc zeroed: %s\n", zero ? "yes" : "NO");

	printf("edge case                  result\n");
	mm_free(NULL);
	printf("%-26s %s\n", "free(NULL)", "ok");
	z = mm_malloc(0);
	printf("%-26s %s, usable %zu\n", "malloc(0)",
	       z ? "unique pointer" : "NULL", mm_malloc_usable_size(z));
	mm_free(z);
	z = mm_realloc(NULL, 10);
	printf("%-26s %s\n", "realloc(NULL, 10)", z ? "like malloc" : "NULL");
	z = mm_realloc(z, 0);
	printf("%-26s %s\n", "realloc(p, 0)", z ? "?" : "freed, NULL");
	errno = 0;
	z = mm_malloc(SIZE_MAX);
	printf("%-26s %s (%s)\n", "malloc(SIZE_MAX)", z ? "?" : "NULL",
	       strerror(errno));
	errno = 0;
	z = mm_calloc(SIZE_MAX / 2, 4);		/* the product overflows */
	printf("%-26s %s (%s)\n", "calloc(SIZE_MAX/2, 4)", z ? "?" : "NULL",
	       strerror(errno));
	errno = 0;
	z = mm_malloc((size_t)1 << 46);		/* 64 TiB: mmap says no */
	printf("%-26s %s (%s)\n", "malloc(64 TiB)", z ? "mapped" : "NULL",
	       z ? "" : strerror(errno));
	mm_free(z);
}

static void demo(void)
{
	char *a, *b, *c, *d, *old, *big;
	size_t big_size = 512 << 10;
	long pid = (long)getpid();
	const char *see = "grep mini_malloc /proc/";

	printf("mini_malloc demo: pid %ld\n", pid);
	printf("page size: %zu\n", page_size());
	printf("arena size: %zu (1 MiB)\n", ARENA_SIZE);
	printf("large block from: %zu (128 KiB)\n", LARGE_MIN);
	printf("header size: %zu\n", (size_t)HDR_SIZE);

	printf("\n== stage 1: a = malloc(100), b = 200, c = 300, d = 1000\n");
	a = mm_malloc(100);
	b = mm_malloc(200);
	c = mm_malloc(300);
	d = mm_malloc(1000);
	if (!a || !b || !c || !d)
		die("mm_malloc");
	if (vma_names) {
		printf("vma names: yes\n");
	} else {
		printf("vma names: no (needs Linux 5.17+ with "
		       "CONFIG_ANON_VMA_NAME)\n");
		see = "cat /proc/";
	}
	printf("ptr  payload         block           size\n");
	print_ptr("a", a);
	print_ptr("b", b);
	print_ptr("c", c);
	print_ptr("d", d);
	print_state();
	step("4 blocks cut from arena 0; try: %s%ld/maps", see, pid);

	printf("\n== stage 2: free(b), free(c): one free block\n");
	mm_free(b);
	mm_free(c);
	print_state();
	step("b and c merged; try: %s%ld/maps", see, pid);

	printf("\n== stage 3: realloc(a, 300), then realloc(a, 3000)\n");
	old = a;
	a = mm_realloc(a, 300);
	if (!a)
		die("mm_realloc");
	printf("realloc 300: 0x%lx %s\n", (unsigned long)a,
	       a == old ? "in place" : "moved");
	old = a;
	a = mm_realloc(a, 3000);
	if (!a)
		die("mm_realloc");
	printf("realloc 3000: 0x%lx %s\n", (unsigned long)a,
	       a == old ? "in place" : "moved");
	printf("ptr  payload         block           size\n");
	print_ptr("a", a);
	print_ptr("d", d);
	print_state();
	step("a grew in place, then moved; try: pmap -x %ld", pid);

	printf("\n== stage 4: big = malloc(512 KiB), filled: a mapping of "
	       "its own\n");
	big = mm_malloc(big_size);
	if (!big)
		die("mm_malloc");
	memset(big, 'x', big_size);
	printf("large: 0x%lx\n", (unsigned long)big);
	printf("large block: 0x%lx %zu\n", (unsigned long)block_of(big),
	       block_size(block_of(big)));
	step("512 KiB in a mapping of its own; try: pmap -x %ld", pid);

	printf("\n== stage 5: big = realloc(big, 2 MiB), filled: mremap\n");
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
	step("2 MiB now, maybe moved; try: pmap -x %ld", pid);

	printf("\n== stage 6: free(big): munmap, the mapping is gone\n");
	mm_free(big);
	printf("freed large: 0x%lx\n", (unsigned long)big);
	step("big is unmapped; try: pmap -x %ld", pid);

	printf("\n== stage 7: the aligned family, calloc and edge cases\n");
	show_aligned_and_edges();

	printf("\n== stage 8: free(a), free(d): the arena is one free block "
	       "again\n");
	mm_free(a);
	mm_free(d);
	print_state();
	step("all free again; try: %s%ld/maps", see, pid);
}

/* --- 10b. --bench and --stress: random churn --------------------------- */

/* glibc's allocator or ours, behind one set of names. */
struct api {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*memalign)(size_t, size_t);
};

static const struct api libc_api = { malloc, free, calloc, realloc,
				     memalign };
static const struct api mini_api = { mm_malloc, mm_free, mm_calloc,
				     mm_realloc, mm_memalign };

#define SLOTS	(1 << 12)	/* --bench: at most this many blocks alive */
#define THREADS	4	/* --stress */
#define FORKS	20	/* --stress */

struct slot {
	unsigned char *p;
	size_t n;
	unsigned char tag;	/* the byte the block is filled with */
};

/* xorshift64*, a small fast PRNG: the same seed gives the same run. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Mark a block with its tag, or check the mark: both ends only for the
 * bench (time malloc, not memset), every byte for the stress. */
static void mark(struct slot *s, int all)
{
	if (all)
		memset(s->p, s->tag, s->n);
	else
		s->p[0] = s->p[s->n - 1] = s->tag;
}

static int marked(const struct slot *s, int all)
{
	size_t i;

	for (i = 0; all && i < s->n; i++)
		if (s->p[i] != s->tag)
			return 0;
	return s->p[0] == s->tag && s->p[s->n - 1] == s->tag;
}

/* ops times: pick a random slot. A full slot: check its block and free
 * it. An empty slot: malloc 16 B..64 KiB (sizes spread evenly over the
 * powers of two) and mark it. Blocks thus die in random order.
 * With mix (the stress): allocate with calloc, memalign and realloc of
 * NULL too, realloc a quarter of the full slots instead of freeing them,
 * and mark every byte; fewer blocks alive, up to 4 KiB, and one in 64
 * large (128 KiB more). Returns the faults found: a changed byte, a bad
 * alignment, calloc memory that is not zero. */
static long churn(const struct api *api, long ops, uint64_t seed, int mix)
{
	struct slot slot[SLOTS] = { { NULL, 0, 0 } };
	int maxbits = mix ? 12 : 16, nslots = mix ? 256 : SLOTS;
	long i, bad = 0;

	seed = (seed + 1) * 0x9e3779b97f4a7c15ULL;	/* never 0 */
	for (i = 0; i < ops; i++) {
		uint64_t r = rnd(&seed);
		struct slot *s = &slot[r % (uint64_t)nslots];
		int bits = 4 + (int)((r >> 12) % (uint64_t)(maxbits - 3));
		size_t n = ((size_t)1 << bits) + (r >> 20) % (1u << bits);
		size_t align = (size_t)32 << (r >> 40) % 8;	/* to 4K */
		int how = mix ? (int)((r >> 50) % 4) : 0;

		if (n > (size_t)1 << maxbits)
			n = (size_t)1 << maxbits;
		if (mix && (r >> 44) % 64 == 0)	/* now and then: large */
			n += LARGE_MIN;
		if (s->p && !marked(s, mix))
			bad++;
		if (s->p && how == 1) {		/* realloc keeps the front */
			s->p = api->realloc(s->p, n);
			if (!s->p)
				die("realloc");
			s->n = n < s->n ? n : s->n;
			bad += !marked(s, 1);
			s->n = n;
			mark(s, 1);
		} else if (s->p) {
			api->free(s->p);
			s->p = NULL;
		} else {
			s->p = how == 1 ? api->calloc(1, n) :
			       how == 2 ? api->memalign(align, n) :
			       how == 3 ? api->realloc(NULL, n) :
			       api->malloc(n);
			if (!s->p)
				die("malloc");
			s->n = n;
			s->tag = 0;
			bad += how == 1 && !marked(s, 1);	/* zeroed? */
			bad += how == 2 && (uintptr_t)s->p % align != 0;
			s->tag = (unsigned char)(r >> 56);
			mark(s, mix);
		}
	}
	for (i = 0; i < nslots; i++)
		api->free(slot[i].p);
	return bad;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench(long ops)
{
	double t0 = now(), tg, tm;

	churn(&libc_api, ops, 42, 0);
	tg = now() - t0;
	t0 = now();
	churn(&mini_api, ops, 42, 0);
	tm = now() - t0;
	printf("bench: %ld operations, sizes 16..65536, at most %d alive\n",
	       ops, SLOTS);
	printf("glibc: %.4f\n", tg);
	printf("mini: %.4f\n", tm);
	printf("ratio: %.2f (mini / glibc)\n", tm / tg);
}

static const struct api *stress_api;
static long stress_ops, stress_bad;

static void *stress_thread(void *arg)
{
	long bad = churn(stress_api, stress_ops, (uintptr_t)arg, 1);

	__atomic_add_fetch(&stress_bad, bad, __ATOMIC_RELAXED);
	return NULL;
}

/* THREADS threads churn while the main thread forks FORKS times. Each
 * child must be able to allocate at once: a lock left held at the fork
 * would hang it, and the alarm would kill it. */
static void stress(const struct api *api, long ops)
{
	pthread_t t[THREADS];
	int i, st, forks_ok = 0;
	pid_t pid;

	stress_api = api;
	stress_ops = ops;
	printf("stress: %d threads x %ld operations, %d forks, %s names\n",
	       THREADS, ops, FORKS, api == &libc_api ? "libc" : "mm_");
	fflush(stdout);
	for (i = 0; i < THREADS; i++) {
		errno = pthread_create(&t[i], NULL, stress_thread,
				       (void *)(uintptr_t)(i + 1));
		if (errno)
			die("pthread_create");
	}
	for (i = 0; i < FORKS; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			alarm(5);
			_exit(churn(api, 2000, (uint64_t)getpid(), 1) ? 1 : 0);
		}
		if (waitpid(pid, &st, 0) < 0)
			die("waitpid");
		forks_ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("forks ok: %d\n", forks_ok);
	printf("faults found: %ld\n", stress_bad);
	if (forks_ok != FORKS || stress_bad) {
		printf("result: FAILED\n");
		exit(1);
	}
	printf("result: ok\n");
}

/* --- 10c. main --------------------------------------------------------- */

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
"  --bench     time the same churn (malloc and free, sizes 16 B..64 KiB,\n"
"              random free order, fixed seed) with glibc's and ours\n"
"  --stress    %d threads churn (malloc, calloc, realloc, memalign) and\n"
"              check every byte, while the main thread forks %d times\n"
"  --libc      with --stress: call malloc, free, ... by their usual names\n"
"              (ours under LD_PRELOAD=mini_malloc.so, else glibc's)\n"
"  -n OPS      operations for --bench (1000000) or per thread for\n"
"              --stress (200000)\n"
"  -h, --help  this text\n"
"\n"
"The same file builds the LD_PRELOAD library:\n"
"  cc -shared -fPIC -DMINI_MALLOC_LIB -o mini_malloc.so mini_malloc.c\n",
	       THREADS, FORKS);
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
	unsigned long long ops = 0;
	char *end;

	if (s && *s && strcmp(s, "0") != 0)
		step_mode = 1;
	opterr = 0;	/* our own messages below, with prog */
	while ((c = getopt_long(argc, argv, ":hn:", opts, NULL)) != -1) {
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
			errno = 0;
			ops = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || errno ||
			    ops == 0 || ops > 1000000000) {
				fprintf(stderr, "%s: bad number of "
					"operations (1..1000000000): %s\n",
					prog, optarg);
				usage(stderr);
				return 2;
			}
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
		bench(ops ? (long)ops : 1000000);
	else if (mode == 'S')
		stress(use_libc ? &libc_api : &mini_api,
		       ops ? (long)ops : 200000);
	else
		demo();
	return 0;
}
#endif /* MINI_MALLOC_LIB */
