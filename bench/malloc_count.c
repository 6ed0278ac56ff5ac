/* malloc_count.c: counts heap allocations for `dlbench allocations`.
 *
 * Preloaded into a process (LD_PRELOAD=.build/malloc_count.so), it counts every call to malloc,
 * calloc, realloc, posix_memalign, aligned_alloc and memalign in one atomic counter, read with
 * dl_malloc_count() (dlbench finds it with dlsym), and forwards each call to the C library's
 * function, found with dlsym(RTLD_NEXT). dlsym itself may call calloc before the real one is known:
 * those calls are served from a static buffer, whose blocks free() and realloc() recognise.
 *
 * Built by bench/run.py: cc -shared -fPIC -O2 -o .build/malloc_count.so bench/malloc_count.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static uint64_t allocation_count;
static uint64_t allocated_bytes;

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);

/* Memory for the allocations made while the real functions are being looked up. */
static _Alignas(64) unsigned char bootstrap[64 * 1024];
static size_t bootstrap_used;
static int resolving;

uint64_t dl_malloc_count(void) { return __atomic_load_n(&allocation_count, __ATOMIC_RELAXED); }
uint64_t dl_malloc_bytes(void) { return __atomic_load_n(&allocated_bytes, __ATOMIC_RELAXED); }

static inline void counted(size_t bytes) {
    __atomic_fetch_add(&allocation_count, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&allocated_bytes, bytes, __ATOMIC_RELAXED);
}

static int from_bootstrap(const void *p) {
    return (const unsigned char *)p >= bootstrap && (const unsigned char *)p < bootstrap + sizeof bootstrap;
}

/* Static memory is zeroed, so this serves calloc as well. */
static void *bootstrap_alloc(size_t size) {
    size_t rounded = (size + 63) & ~(size_t)63;
    if (rounded < size || bootstrap_used + rounded > sizeof bootstrap) return NULL;
    void *p = bootstrap + bootstrap_used;
    bootstrap_used += rounded;
    return p;
}

static void resolve(void) {
    if (real_malloc || resolving) return;
    resolving = 1;
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    resolving = 0;
}

__attribute__((constructor)) static void malloc_count_init(void) { resolve(); }

void *malloc(size_t size) {
    if (!real_malloc) {
        resolve();
        if (!real_malloc) return bootstrap_alloc(size);
    }
    counted(size);
    return real_malloc(size);
}

void *calloc(size_t count, size_t size) {
    if (!real_calloc) {
        resolve();
        if (!real_calloc) {
            if (size && count > SIZE_MAX / size) return NULL;
            return bootstrap_alloc(count * size);
        }
    }
    counted(count * size);
    return real_calloc(count, size);
}

void *realloc(void *p, size_t size) {
    if (!real_realloc) resolve();
    if (p && from_bootstrap(p)) {
        /* A bootstrap block moves to the real heap; its size is unknown, so copy what may be its. */
        void *moved = malloc(size);
        if (moved) {
            size_t available = (size_t)(bootstrap + sizeof bootstrap - (unsigned char *)p);
            memcpy(moved, p, size < available ? size : available);
        }
        return moved;
    }
    if (!real_realloc) return NULL;
    counted(size);
    return real_realloc(p, size);
}

void free(void *p) {
    if (!p || from_bootstrap(p)) return;
    if (!real_free) resolve();
    if (real_free) real_free(p);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (!real_posix_memalign) resolve();
    if (!real_posix_memalign) return ENOMEM;
    counted(size);
    return real_posix_memalign(out, alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    if (!real_aligned_alloc) resolve();
    if (!real_aligned_alloc) return NULL;
    counted(size);
    return real_aligned_alloc(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    if (!real_memalign) resolve();
    if (!real_memalign) return NULL;
    counted(size);
    return real_memalign(alignment, size);
}
